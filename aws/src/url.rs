//! `s3://bucket/prefix` locations.

use std::fmt;

/// A location in S3: a bucket and a key prefix (empty for the whole bucket).
///
/// ```
/// use sigil_aws::S3Url;
///
/// let url = S3Url::parse("s3://trail-bucket/AWSLogs/111122223333/").unwrap()?;
/// assert_eq!((url.bucket.as_str(), url.prefix.as_str()), ("trail-bucket", "AWSLogs/111122223333/"));
/// assert_eq!(url.to_string(), "s3://trail-bucket/AWSLogs/111122223333/");
/// assert!(S3Url::parse("logs/trail.json.gz").is_none());
/// assert!(S3Url::parse("s3:///key").unwrap().is_err());
/// # Ok::<(), sigil_aws::UrlError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct S3Url {
    /// The bucket's name.
    pub bucket: String,
    /// The key prefix: every object whose key starts with it is read.
    pub prefix: String,
}

/// An `s3://` URL that names no bucket.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}`: an S3 location is written s3://bucket or s3://bucket/prefix")]
pub struct UrlError(String);

impl S3Url {
    /// Reads `text` as an S3 location: `None` if it does not start with `s3://` (a local
    /// path), an error if it does but names no valid bucket.
    pub fn parse(text: &str) -> Option<Result<S3Url, UrlError>> {
        let rest = text.strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        Some(match valid {
            true => Ok(S3Url {
                bucket: bucket.to_string(),
                prefix: prefix.to_string(),
            }),
            false => Err(UrlError(text.to_string())),
        })
    }

    /// Whether `text` is an `s3://` URL (valid or not), as opposed to a local path.
    pub fn is_s3(text: &str) -> bool {
        text.starts_with("s3://")
    }
}

impl fmt::Display for S3Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

/// The URL of an object, `s3://bucket/key`: how matches name their source.
pub fn object_url(bucket: &str, key: &str) -> String {
    format!("s3://{bucket}/{key}")
}
