//! Importing findings into AWS Security Hub: one ASFF finding per match, in
//! `BatchImportFindings` calls.
//!
//! Findings are imported under the account's *default product*,
//! `arn:<partition>:securityhub:<region>:<account>:product/<account>/default`, the way any
//! account sends its own findings: Security Hub then takes only findings whose `AwsAccountId`
//! is the calling account, so every finding carries the product's account, and the account an
//! event came from goes into its resources. [`SecurityHubPublisher::connect`] takes that
//! product ARN, or finds it from the caller's identity (STS `GetCallerIdentity`) and the
//! client's region.
//!
//! [`SecurityHubPublisher::publish`] sends [`Finding`]s in order, at most 100 per call
//! (Security Hub's limit). The SDK retries throttled and failed calls (standard retry mode,
//! with backoff and jitter); findings Security Hub lists in the response's `FailedFindings`
//! for a passing reason (throttling, an internal error) are imported again, a few times with
//! backoff. A finding still refused after that, or refused for good (invalid, over 240 KB),
//! fails the call with its id, code and message, after the findings before it were imported:
//! the caller tries again (findings are delivered at least once; importing a finding again
//! with the same `Id` updates it, so a retry never makes a duplicate).

use aws_sdk_securityhub::types::{AwsSecurityFinding, Resource, Severity, SeverityLabel};

use crate::batch::{Refusal, until_taken};
use crate::client::{ClientOptions, RequestError, shared_config};

/// The ASFF version every finding declares.
pub const SCHEMA_VERSION: &str = "2018-10-08";

/// Most findings of one `BatchImportFindings` call.
pub const MAX_FINDINGS: usize = 100;

/// One finding to import: what [`SecurityHubPublisher`] needs beyond the product.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Its stable id (the match id): importing the same id again updates the finding.
    pub id: String,
    /// What generated it: the rule's id (or title).
    pub generator_id: String,
    /// ASFF types, `namespace/category/classifier` (at least one).
    pub types: Vec<String>,
    /// When it was created and last updated (RFC 3339).
    pub created_at: String,
    /// When the matched event (or the first of a correlation's) happened, if known.
    pub first_observed_at: Option<String>,
    /// When the last matched event happened, if known.
    pub last_observed_at: Option<String>,
    /// `INFORMATIONAL`, `LOW`, `MEDIUM`, `HIGH` or `CRITICAL`.
    pub severity: &'static str,
    /// The title (Security Hub keeps 256 characters).
    pub title: String,
    /// The description (Security Hub keeps 1024 characters).
    pub description: String,
    /// The resources involved (at least one).
    pub resources: Vec<FindingResource>,
    /// Provider-specific name/value pairs (at most 50).
    pub product_fields: Vec<(String, String)>,
}

/// A resource a finding is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindingResource {
    /// Its ASFF type (`AwsAccount`, `AwsS3Object`, `Other`...).
    pub kind: String,
    /// Its id: an ARN, or another identifier for `Other`.
    pub id: String,
    /// Its region, if known.
    pub region: Option<String>,
}

/// A publisher of findings to Security Hub, under one product.
#[derive(Clone, Debug)]
pub struct SecurityHubPublisher {
    client: aws_sdk_securityhub::Client,
    product_arn: String,
    account: String,
}

impl SecurityHubPublisher {
    /// A publisher importing under `product_arn`, or, when `None`, under the caller's default
    /// product (its account from STS `GetCallerIdentity`, its region the client's).
    pub async fn connect(
        product_arn: Option<&str>,
        options: &ClientOptions,
    ) -> Result<SecurityHubPublisher, RequestError> {
        let shared = shared_config(options).await;
        let product_arn = match product_arn {
            Some(arn) => arn.to_string(),
            None => {
                let identity = aws_sdk_sts::Client::new(&shared)
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(RequestError::of)?;
                let region = shared.region().map(|r| r.to_string()).ok_or(RequestError {
                    code: None,
                    message: "no AWS region is configured for Security Hub".into(),
                })?;
                let account = identity.account().unwrap_or_default();
                let partition = identity
                    .arn()
                    .and_then(|arn| arn.split(':').nth(1))
                    .unwrap_or("aws");
                default_product(partition, &region, account)
            }
        };
        let account = product_account(&product_arn).ok_or_else(|| RequestError {
            code: None,
            message: format!(
                "`{product_arn}` is no Security Hub product ARN \
                 (arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default)"
            ),
        })?;
        Ok(SecurityHubPublisher {
            client: aws_sdk_securityhub::Client::new(&shared),
            account: account.to_string(),
            product_arn,
        })
    }

    /// The product ARN findings are imported under.
    pub fn product_arn(&self) -> &str {
        &self.product_arn
    }

    /// Imports `findings`, in order; returns once Security Hub has accepted every one.
    pub async fn publish(&self, findings: &[Finding]) -> Result<(), RequestError> {
        for batch in findings.chunks(MAX_FINDINGS) {
            self.import(batch).await?;
        }
        Ok(())
    }

    /// Imports one call's worth of findings, importing again those refused for a passing
    /// reason.
    async fn import(&self, findings: &[Finding]) -> Result<(), RequestError> {
        let name = |finding: &Finding| format!("finding {}", finding.id);
        until_taken(findings, name, |pending: Vec<&Finding>| async move {
            let asff = pending.iter().map(|f| self.asff(f)).collect();
            let output = self
                .client
                .batch_import_findings()
                .set_findings(Some(asff))
                .send()
                .await
                .map_err(RequestError::of)?;
            // Failed findings are named by their ids; one that names none sent still fails.
            let mut refused = Vec::new();
            for failed in output.failed_findings() {
                let (code, message) = (
                    failed.error_code().unwrap_or("?").to_string(),
                    failed.error_message().unwrap_or_default().to_string(),
                );
                let Some(item) = pending.iter().find(|f| failed.id() == Some(f.id.as_str())) else {
                    return Err(RequestError {
                        message: format!(
                            "finding {} was refused: {code}: {message}",
                            failed.id().unwrap_or("?")
                        ),
                        code: Some(code),
                    });
                };
                refused.push(Refusal {
                    item: *item,
                    code,
                    message,
                });
            }
            Ok(refused)
        })
        .await
    }

    /// The ASFF form of `finding`, under this publisher's product.
    fn asff(&self, finding: &Finding) -> AwsSecurityFinding {
        let mut asff = AwsSecurityFinding::builder()
            .schema_version(SCHEMA_VERSION)
            .id(&finding.id)
            .product_arn(&self.product_arn)
            .product_name("Sigil")
            .company_name("Sigil")
            .generator_id(&finding.generator_id)
            .aws_account_id(&self.account)
            .set_types(Some(finding.types.clone()))
            .created_at(&finding.created_at)
            .updated_at(&finding.created_at)
            .set_first_observed_at(finding.first_observed_at.clone())
            .set_last_observed_at(finding.last_observed_at.clone())
            .severity(
                Severity::builder()
                    .label(SeverityLabel::from(finding.severity))
                    .build(),
            )
            .title(cut(&finding.title, 256))
            .description(cut(&finding.description, 1024));
        for resource in &finding.resources {
            asff = asff.resources(
                Resource::builder()
                    .r#type(&resource.kind)
                    .id(&resource.id)
                    .set_region(resource.region.clone())
                    .build(),
            );
        }
        for (name, value) in finding.product_fields.iter().take(50) {
            asff = asff.product_fields(name, value);
        }
        asff.build()
    }
}

/// The default product ARN of `account` in `region` of `partition`.
pub fn default_product(partition: &str, region: &str, account: &str) -> String {
    format!("arn:{partition}:securityhub:{region}:{account}:product/{account}/default")
}

/// The account of a product ARN (`arn:aws:securityhub:REGION:ACCOUNT:product/...`).
fn product_account(arn: &str) -> Option<&str> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts[..] {
        ["arn", _, "securityhub", _, account, rest]
            if !account.is_empty() && rest.starts_with("product/") =>
        {
            Some(account)
        }
        _ => None,
    }
}

/// `text` cut to `chars` characters.
fn cut(text: &str, chars: usize) -> &str {
    match text.char_indices().nth(chars) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_arns_name_their_account() {
        let arn = default_product("aws", "eu-west-1", "111122223333");
        assert_eq!(
            arn,
            "arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default"
        );
        assert_eq!(product_account(&arn), Some("111122223333"));
        assert_eq!(product_account("arn:aws:sns:eu-west-1:1:topic"), None);
        assert_eq!(product_account("securityhub"), None);
        assert_eq!(cut("ééé", 2), "éé");
    }
}
