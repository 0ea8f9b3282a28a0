//! Sigil's AWS side: reading logs where AWS writes them.
//!
//! Today: `s3://bucket/prefix` inputs. [`S3Source`] lists the objects under some prefixes,
//! leaving out what the key tells holds no events in the hunt's range ([`layout`]: the AWS
//! key layouts, `--from`/`--to`, `--account`, `--region`, digests and probe objects), fetches
//! them with bounded concurrency and memory ([`FetchOptions`]), and yields them in key order,
//! each with a blocking [`Read`](std::io::Read) body, for the engine to scan as it scans a
//! local file.
//!
//! # The client stack
//!
//! This crate talks to AWS through the AWS SDK for Rust (`aws-config` and `aws-sdk-s3`), not
//! the Apache Arrow project's `object_store`:
//!
//! - credentials: `aws-config` resolves the complete standard chain, as the AWS CLI does:
//!   environment, the shared `config` and `credentials` files with named profiles
//!   (`--profile`, `AWS_PROFILE`), IAM Identity Center (SSO), `credential_process`,
//!   assume-role profiles, web identity, ECS and EC2 instance metadata. `object_store` dropped
//!   profile support in 0.6 and reads only environment variables, web identity and the
//!   ECS/EKS/IMDS endpoints; a hunter's laptop, with SSO profiles, would not work;
//! - `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3` and the profile's `endpoint_url` are honoured by
//!   the same loader, and the standard retry strategy (exponential backoff with full jitter,
//!   throttling-aware) comes with every client;
//! - the SQS receiver and the SNS and EventBridge publishers that `sigil watch` and
//!   `sigil-lambda` need are clients of the same SDK, on the same configuration, credentials
//!   and HTTP stack: with `object_store`, those would bring the SDK in anyway, and with it a
//!   second HTTP stack and a second credential chain.
//!
//! The cost is build time, measured here as the CPU time (user + system) of a clean debug
//! build (`cargo build -j2`) of a crate holding only the client stack, on this 2-core machine
//! while other builds ran (so wall times, 8-18 minutes, mean little):
//!
//! | client stack | CPU time | crates |
//! |---|---|---|
//! | `object_store` 0.14, feature `aws` | 176 s | 205 |
//! | `aws-config` + `aws-sdk-s3`, TLS by aws-lc (the SDK's default) | 246 s | about 220 |
//! | `aws-config` + `aws-sdk-s3`, TLS by rustls on ring (this crate) | 188 s | 186 |
//!
//! With ring instead of aws-lc (whose C library is most of the difference), the SDK costs
//! about as much as `object_store`, about 12 s more CPU per clean build.
//!
//! # SQS, SNS, EventBridge and Security Hub
//!
//! The client options ([`ClientOptions`]) are the SDK's shared configuration, and every client
//! is built on it: [`sqs::SqsQueue`] receives (and deletes) the S3 event notifications that
//! [`event`] parses, [`S3Source::announced`] reads the objects they announce without listing,
//! [`sns::SnsPublisher`] publishes matches to a topic (`sigil watch`, `sigil-lambda`), and
//! [`eventbridge::EventBusPublisher`] puts them on an event bus (`sigil-lambda`), and
//! [`securityhub::SecurityHubPublisher`] imports them into Security Hub as ASFF findings
//! (`sigil watch`, `sigil-lambda`).

#![deny(missing_docs)]

mod batch;
mod client;
pub mod event;
pub mod eventbridge;
mod fetch;
pub mod layout;
mod list;
pub mod poll;
pub mod securityhub;
pub mod sns;
mod source;
pub mod sqs;
mod stats;
#[cfg(feature = "testing")]
pub mod testing;
mod url;

pub use client::{ClientOptions, RequestError};
pub use fetch::{FetchError, FetchOptions};
pub use source::{Body, Entry, S3Object, S3Options, S3Source};
pub use stats::{S3Counts, S3Stats};
pub use url::{S3Url, UrlError, object_url};
