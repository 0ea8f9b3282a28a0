//! Which log a record comes from, and which rules apply to it.
//!
//! Each record is tagged with a [`RecordSource`], recognised from its fields: a CloudTrail
//! record has `eventVersion` and `eventSource`; a WAF log record has `webaclId` and
//! `httpRequest`; a GuardDuty finding has `schemaVersion`, `type`, `severity` and `resource`.
//! Every source maps to a Sigma [`LogSource`] (`product: aws, service: cloudtrail`...). A rule
//! applies to a record when every part of the rule's logsource that is set equals the
//! record's.

use sigil_compiler::LogSource;
use simd_json::BorrowedValue;
use simd_json::prelude::*;

/// The kinds of record Sigil recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordSource {
    /// AWS CloudTrail (`product: aws, service: cloudtrail`).
    CloudTrail,
    /// AWS WAF logs (`product: aws, service: waf`).
    Waf,
    /// Amazon GuardDuty findings (`product: aws, service: guardduty`).
    GuardDuty,
    /// Anything else: only rules without a logsource constraint apply.
    Unknown,
}

impl RecordSource {
    /// Every source, in a fixed order (index with `as usize`).
    pub const ALL: [RecordSource; 4] = [
        RecordSource::CloudTrail,
        RecordSource::Waf,
        RecordSource::GuardDuty,
        RecordSource::Unknown,
    ];

    /// The Sigma logsource of records of this kind.
    pub fn logsource(self) -> LogSource {
        let aws = |service: &str| LogSource {
            product: Some("aws".into()),
            service: Some(service.into()),
            category: None,
        };
        match self {
            RecordSource::CloudTrail => aws("cloudtrail"),
            RecordSource::Waf => aws("waf"),
            RecordSource::GuardDuty => aws("guardduty"),
            RecordSource::Unknown => LogSource::default(),
        }
    }

    /// Recognises a record's source from its top-level fields.
    pub fn detect(record: &BorrowedValue) -> RecordSource {
        let has = |key: &str| record.get(key).is_some();
        if has("eventVersion") && has("eventSource") {
            RecordSource::CloudTrail
        } else if has("webaclId") && has("httpRequest") {
            RecordSource::Waf
        } else if has("schemaVersion") && has("type") && has("severity") && has("resource") {
            RecordSource::GuardDuty
        } else {
            RecordSource::Unknown
        }
    }
}

/// Parses `product/service` or `product/category/service` as given to `--logsource`
/// (`*` or an empty part leaves that part unconstrained).
pub fn parse_forced(text: &str) -> Option<LogSource> {
    let parts: Vec<Option<String>> = text
        .split('/')
        .map(|p| (!p.is_empty() && p != "*").then(|| p.to_ascii_lowercase()))
        .collect();
    let (product, category, service) = match parts.as_slice() {
        [product] => (product.clone(), None, None),
        [product, service] => (product.clone(), None, service.clone()),
        [product, category, service] => (product.clone(), category.clone(), service.clone()),
        _ => return None,
    };
    Some(LogSource {
        product,
        service,
        category,
    })
}

/// Whether a rule written for `rule` applies to a record from `record`.
pub fn applies(rule: &LogSource, record: &LogSource) -> bool {
    let part = |r: &Option<String>, x: &Option<String>| r.is_none() || r == x;
    part(&rule.product, &record.product)
        && part(&rule.service, &record.service)
        && part(&rule.category, &record.category)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source_of(json: &str) -> RecordSource {
        let mut bytes = json.as_bytes().to_vec();
        RecordSource::detect(&simd_json::to_borrowed_value(&mut bytes).unwrap())
    }

    #[test]
    fn recognises_records() {
        let ct = r#"{"eventVersion":"1.08","eventSource":"s3.amazonaws.com"}"#;
        assert_eq!(source_of(ct), RecordSource::CloudTrail);
        let waf = r#"{"webaclId":"arn:x","httpRequest":{"uri":"/"}}"#;
        assert_eq!(source_of(waf), RecordSource::Waf);
        let gd = r#"{"schemaVersion":"2.0","type":"Recon:EC2/PortProbeUnprotectedPort","severity":2,"resource":{}}"#;
        assert_eq!(source_of(gd), RecordSource::GuardDuty);
        // An S3 event notification also has `Records`-style fields but is not CloudTrail.
        let s3 = r#"{"eventVersion":"2.1","s3":{}}"#;
        assert_eq!(source_of(s3), RecordSource::Unknown);
    }

    #[test]
    fn rules_apply_by_logsource() {
        let ct = RecordSource::CloudTrail.logsource();
        assert!(applies(&ct, &ct));
        assert!(applies(
            &LogSource {
                product: Some("aws".into()),
                ..Default::default()
            },
            &ct
        ));
        let windows = LogSource {
            product: Some("windows".into()),
            ..Default::default()
        };
        assert!(!applies(&windows, &ct));
        let category = LogSource {
            category: Some("process_creation".into()),
            ..Default::default()
        };
        assert!(!applies(&category, &ct));
        assert!(applies(
            &LogSource::default(),
            &RecordSource::Unknown.logsource()
        ));
        assert_eq!(parse_forced("aws/cloudtrail"), Some(ct));
        assert_eq!(parse_forced("a/b/c/d"), None);
    }
}
