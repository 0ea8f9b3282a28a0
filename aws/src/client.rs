//! The S3 client: credentials, region and endpoint resolved as the AWS CLI resolves them,
//! retries, and the two calls a hunt makes (list a folder's page, get an object or a range).

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::{BoxError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::RequestPayer;
use aws_smithy_http_client::tls;
use tokio::sync::Mutex;

use crate::stats::S3Stats;

/// How to reach S3. The defaults read everything from the standard AWS configuration
/// (environment, shared config and credentials files, SSO, web identity, ECS, IMDS).
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The named profile of the shared config files (`--profile`); default: `AWS_PROFILE`,
    /// or `default`.
    pub profile: Option<String>,
    /// The S3 endpoint (`--endpoint-url`), for S3-compatible stores and tests; default:
    /// `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`, or AWS's own. A custom endpoint is
    /// addressed path-style (`http://host/bucket/key`), and may be plain `http://`.
    pub endpoint_url: Option<String>,
    /// Accept the charges of requester-pays buckets (`--request-payer`).
    pub request_payer: bool,
    /// Attempts per request, the first included, for throttling (503 SlowDown), server
    /// errors, timeouts and dropped connections.
    pub max_attempts: u32,
    /// The first retry's backoff ceiling; each retry doubles it (with full jitter), up to 20 s.
    pub initial_backoff: Duration,
    /// How long to wait for a connection, and for the first byte of a response.
    pub timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            profile: None,
            endpoint_url: None,
            request_payer: false,
            max_attempts: 8,
            initial_backoff: Duration::from_millis(200),
            timeout: Duration::from_secs(30),
        }
    }
}

/// Why a request failed, after its retries.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct RequestError {
    /// The S3 error code (`NoSuchKey`, `AccessDenied`, `SlowDown`...), when S3 sent one.
    pub code: Option<String>,
    /// What went wrong, in words.
    pub message: String,
}

impl RequestError {
    pub(crate) fn of<E, R>(error: SdkError<E, R>) -> RequestError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let code = error.code().map(str::to_string);
        let message = match (error.code(), error.message()) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(code), None) => code.to_string(),
            _ => DisplayErrorContext(&error).to_string(),
        };
        RequestError { code, message }
    }
}

/// The SDK's shared configuration for `options`: the standard credential chain, region and
/// endpoint, retries and timeouts, TLS by rustls on ring. Every client of this crate (S3, SQS,
/// SNS) is built from it.
pub(crate) async fn shared_config(options: &ClientOptions) -> aws_config::SdkConfig {
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(https)
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(options.max_attempts.max(1))
                .with_initial_backoff(options.initial_backoff),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(options.timeout)
                .read_timeout(options.timeout)
                .build(),
        );
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(url) = &options.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// One page of a listing.
#[derive(Debug, Default)]
pub(crate) struct Page {
    /// Objects: key and size, in key order.
    pub objects: Vec<(String, u64)>,
    /// Subfolders (common prefixes, ending with `/`), in order; only when listed with a
    /// delimiter.
    pub folders: Vec<String>,
    /// The token of the next page, if there is one.
    pub next: Option<String>,
}

/// S3 clients, one per region, with the options of the hunt.
pub(crate) struct Clients {
    base: aws_sdk_s3::Config,
    custom_endpoint: bool,
    payer: Option<RequestPayer>,
    /// Clients per bucket, for the bucket's region.
    buckets: Mutex<HashMap<String, aws_sdk_s3::Client>>,
    stats: Arc<S3Stats>,
}

impl Clients {
    /// Loads the AWS configuration (profile, credentials, region, endpoint).
    pub async fn load(options: &ClientOptions, stats: Arc<S3Stats>) -> Clients {
        let shared = shared_config(options).await;
        let custom_endpoint = shared.endpoint_url().is_some();
        let mut base = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(custom_endpoint)
            .interceptor(CountAttempts(Arc::clone(&stats)));
        if shared.region().is_none() {
            // Any region will do to ask a bucket where it lives (see `for_bucket`).
            base = base.region(Region::from_static("us-east-1"));
        }
        Clients {
            base: base.build(),
            custom_endpoint,
            payer: options.request_payer.then_some(RequestPayer::Requester),
            buckets: Mutex::new(HashMap::new()),
            stats,
        }
    }

    /// The client for `bucket`: in the bucket's own region, which AWS tells in the
    /// `x-amz-bucket-region` header of a `HeadBucket` answer (even a refusal), unless a
    /// custom endpoint is set, where the configured region is used as it is.
    pub async fn for_bucket(&self, bucket: &str) -> aws_sdk_s3::Client {
        let mut buckets = self.buckets.lock().await;
        if let Some(client) = buckets.get(bucket) {
            return client.clone();
        }
        let client = aws_sdk_s3::Client::from_conf(self.base.clone());
        let client = match self.custom_endpoint {
            true => client,
            false => match bucket_region(&client, bucket).await {
                Some(region) if Some(region.as_str()) != self.base.region().map(|r| r.as_ref()) => {
                    let config = self.base.to_builder().region(Region::new(region)).build();
                    aws_sdk_s3::Client::from_conf(config)
                }
                _ => client,
            },
        };
        buckets.insert(bucket.to_string(), client.clone());
        client
    }

    /// Lists one page of `prefix` in `bucket`: with the `/` delimiter (subfolders as common
    /// prefixes) or flat.
    pub async fn list(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: bool,
        token: Option<String>,
    ) -> Result<Page, RequestError> {
        self.list_after(bucket, prefix, delimiter, None, token)
            .await
    }

    /// [`Clients::list`] of the keys after `start_after` only.
    pub async fn list_after(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: bool,
        start_after: Option<String>,
        token: Option<String>,
    ) -> Result<Page, RequestError> {
        let client = self.for_bucket(bucket).await;
        self.stats.listed_page(1);
        let output = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_delimiter(delimiter.then(|| "/".to_string()))
            .set_start_after(start_after)
            .set_continuation_token(token)
            .set_request_payer(self.payer.clone())
            .send()
            .await
            .map_err(RequestError::of)?;
        let objects = output
            .contents()
            .iter()
            .filter_map(|object| {
                let size = object.size().unwrap_or(0).max(0) as u64;
                object.key().map(|key| (key.to_string(), size))
            })
            .collect();
        let folders = output
            .common_prefixes()
            .iter()
            .filter_map(|folder| folder.prefix().map(str::to_string))
            .collect();
        let next = match output.is_truncated() {
            Some(true) => output.next_continuation_token().map(str::to_string),
            _ => None,
        };
        Ok(Page {
            objects,
            folders,
            next,
        })
    }

    /// The size of the object `key`, in bytes (`HeadObject`).
    pub async fn size(&self, bucket: &str, key: &str) -> Result<u64, RequestError> {
        let client = self.for_bucket(bucket).await;
        let output = client
            .head_object()
            .bucket(bucket)
            .key(key)
            .set_request_payer(self.payer.clone())
            .send()
            .await
            .map_err(RequestError::of)?;
        Ok(output.content_length().unwrap_or(0).max(0) as u64)
    }

    /// Starts getting `key` (the bytes of `range`, or the whole object): the body streams
    /// once the response has begun.
    pub async fn get(
        &self,
        bucket: &str,
        key: &str,
        range: Option<Range<u64>>,
    ) -> Result<ByteStream, RequestError> {
        let client = self.for_bucket(bucket).await;
        self.stats.get_request(1);
        let range = range.map(|range| format!("bytes={}-{}", range.start, range.end - 1));
        let output = client
            .get_object()
            .bucket(bucket)
            .key(key)
            .set_range(range)
            .set_request_payer(self.payer.clone())
            .send()
            .await
            .map_err(RequestError::of)?;
        Ok(output.body)
    }
}

/// The region `bucket` lives in, as a `HeadBucket` answer tells (`None` if it does not).
async fn bucket_region(client: &aws_sdk_s3::Client, bucket: &str) -> Option<String> {
    match client.head_bucket().bucket(bucket).send().await {
        Ok(output) => output.bucket_region().map(str::to_string),
        Err(error) => error
            .raw_response()
            .and_then(|response| response.headers().get("x-amz-bucket-region"))
            .map(str::to_string),
    }
}

/// Counts every HTTP attempt, so that retries show in the statistics.
#[derive(Debug)]
struct CountAttempts(Arc<S3Stats>);

impl Intercept for CountAttempts {
    fn name(&self) -> &'static str {
        "CountAttempts"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _config: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.attempt(1);
        Ok(())
    }
}
