//! Which log a record comes from (see [`RecordSource`]), and which rules apply to it.

use crate::eval::Json;
use sigil_compiler::LogSource;

/// The kinds of record Sigil recognises: which log a record comes from, and so which rules apply to it.
///
/// Each record is tagged with a [`RecordSource`]. Records read from text logs (see
/// [`crate::formats`]) know their source from the reader; JSON records are recognised from their
/// top-level fields by [`RecordSource::detect`], which also recognises the records the text
/// readers write. Every source maps to a Sigma [`LogSource`] (`product: aws, service:
/// cloudtrail`...), Sigma's taxonomy naming only CloudTrail:
///
/// | source         | `service`    | recognised by (top-level fields)                               |
/// |----------------|--------------|----------------------------------------------------------------|
/// | CloudTrail     | `cloudtrail` | `eventVersion`, and `eventSource` or `insightDetails` (Insights events) |
/// | WAF            | `waf`        | `webaclId` and `httpRequest`                                   |
/// | GuardDuty      | `guardduty`  | `schemaVersion`, `type`, `severity` and `resource`             |
/// | Route 53 query logs (Resolver and public DNS) | `route53` | `query_name` and `query_type` |
/// | VPC Flow Logs  | `vpcflow`    | `srcaddr`, `log-status` or `interface-id`                      |
/// | ALB            | `alb`        | `target_processing_time` (access), `tls_verify_status` (connection) |
/// | Classic ELB    | `elb`        | `backend_processing_time`                                      |
/// | NLB            | `nlb`        | `tls_handshake_time` and `listener`                            |
/// | CloudFront     | `cloudfront` | `x-edge-request-id` or `x-edge-location`                       |
/// | CloudWatch Logs| `cloudwatch` | `logGroup` and `message` (one log event, see [`crate::formats::cloudwatch`]) |
/// | AWS Config     | `config`     | `configurationItemCaptureTime` and `resourceType`              |
/// | S3 server access logs | `s3access` | `bucket_owner` and `operation`                         |
/// | OCSF events (Amazon Security Lake) | `securitylake` | `class_uid` and `metadata`            |
/// | AWS Network Firewall | `networkfirewall` | `firewall_name` and `event`                      |
/// | Security Hub findings (ASFF) | `securityhub` | `SchemaVersion` and `ProductArn`              |
/// | EventBridge events   | `eventbridge` | `detail-type` and `detail` (events not unwrapped, see [`crate::formats::eventbridge`]) |
///
/// The sources are tried in this order, so a Route 53 Resolver query log (which has a `srcaddr`)
/// is never taken for a VPC flow log. A rule applies to a record when every part of the rule's
/// logsource that is set equals the record's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordSource {
    /// AWS CloudTrail (`product: aws, service: cloudtrail`).
    CloudTrail,
    /// AWS WAF logs (`product: aws, service: waf`).
    Waf,
    /// Amazon GuardDuty findings (`product: aws, service: guardduty`).
    GuardDuty,
    /// Route 53 query logs (`product: aws, service: route53`): the DNS queries of a VPC
    /// (Resolver query logs) and those a public hosted zone answered (public DNS query logs).
    Route53,
    /// VPC (and transit gateway) flow logs (`product: aws, service: vpcflow`).
    VpcFlow,
    /// Application Load Balancer access and connection logs (`product: aws, service: alb`).
    Alb,
    /// Classic Load Balancer access logs (`product: aws, service: elb`).
    Elb,
    /// Network Load Balancer access logs (`product: aws, service: nlb`).
    Nlb,
    /// CloudFront standard logs (`product: aws, service: cloudfront`).
    CloudFront,
    /// CloudWatch Logs log events (`product: aws, service: cloudwatch`).
    CloudWatch,
    /// AWS Config configuration items (`product: aws, service: config`).
    Config,
    /// Amazon S3 server access logs (`product: aws, service: s3access`).
    S3Access,
    /// OCSF events, as Amazon Security Lake stores them (`product: aws, service:
    /// securitylake`): rules written with OCSF names apply, and CloudTrail rules through the
    /// `cloudtrail-ocsf` pipeline.
    SecurityLake,
    /// AWS Network Firewall alert, flow and TLS logs (`product: aws, service: networkfirewall`).
    NetworkFirewall,
    /// AWS Security Hub findings in ASFF (`product: aws, service: securityhub`).
    SecurityHub,
    /// Amazon EventBridge events whose detail is not a record of another source
    /// (`product: aws, service: eventbridge`).
    EventBridge,
    /// Anything else: only rules without a logsource constraint apply.
    Unknown,
}

impl RecordSource {
    /// Every source, in a fixed order (index with `as usize`).
    pub const ALL: [RecordSource; 17] = [
        RecordSource::CloudTrail,
        RecordSource::Waf,
        RecordSource::GuardDuty,
        RecordSource::Route53,
        RecordSource::VpcFlow,
        RecordSource::Alb,
        RecordSource::Elb,
        RecordSource::Nlb,
        RecordSource::CloudFront,
        RecordSource::CloudWatch,
        RecordSource::Config,
        RecordSource::S3Access,
        RecordSource::SecurityLake,
        RecordSource::NetworkFirewall,
        RecordSource::SecurityHub,
        RecordSource::EventBridge,
        RecordSource::Unknown,
    ];

    /// The `service` of the source's logsource (`None` for [`RecordSource::Unknown`]).
    pub fn service(self) -> Option<&'static str> {
        Some(match self {
            RecordSource::CloudTrail => "cloudtrail",
            RecordSource::Waf => "waf",
            RecordSource::GuardDuty => "guardduty",
            RecordSource::Route53 => "route53",
            RecordSource::VpcFlow => "vpcflow",
            RecordSource::Alb => "alb",
            RecordSource::Elb => "elb",
            RecordSource::Nlb => "nlb",
            RecordSource::CloudFront => "cloudfront",
            RecordSource::CloudWatch => "cloudwatch",
            RecordSource::Config => "config",
            RecordSource::S3Access => "s3access",
            RecordSource::SecurityLake => "securitylake",
            RecordSource::NetworkFirewall => "networkfirewall",
            RecordSource::SecurityHub => "securityhub",
            RecordSource::EventBridge => "eventbridge",
            RecordSource::Unknown => return None,
        })
    }

    /// The Sigma logsource of records of this kind.
    pub fn logsource(self) -> LogSource {
        match self.service() {
            Some(service) => LogSource {
                product: Some("aws".into()),
                service: Some(service.into()),
                category: None,
            },
            None => LogSource::default(),
        }
    }

    /// The top-level keys that make [`RecordSource::detect`] recognise this source (`None` for
    /// [`RecordSource::Unknown`]). `detect` tries the sources in [`RecordSource::ALL`] order.
    pub fn recognised_by(self) -> Option<Recognition> {
        let (all, any): (&'static [&'static str], &'static [&'static str]) = match self {
            RecordSource::CloudTrail => (&["eventVersion"], &["eventSource", "insightDetails"]),
            RecordSource::Waf => (&["webaclId", "httpRequest"], &[]),
            RecordSource::GuardDuty => (&["schemaVersion", "type", "severity", "resource"], &[]),
            RecordSource::Route53 => (&["query_name", "query_type"], &[]),
            RecordSource::VpcFlow => (&[], &["srcaddr", "log-status", "interface-id"]),
            RecordSource::Alb => (&[], &["target_processing_time", "tls_verify_status"]),
            RecordSource::Elb => (&["backend_processing_time"], &[]),
            RecordSource::Nlb => (&["tls_handshake_time", "listener"], &[]),
            RecordSource::CloudFront => (&[], &["x-edge-request-id", "x-edge-location"]),
            RecordSource::CloudWatch => (&["logGroup", "message"], &[]),
            RecordSource::Config => (&["configurationItemCaptureTime", "resourceType"], &[]),
            RecordSource::S3Access => (&["bucket_owner", "operation"], &[]),
            RecordSource::SecurityLake => (&["class_uid", "metadata"], &[]),
            RecordSource::NetworkFirewall => (&["firewall_name", "event"], &[]),
            RecordSource::SecurityHub => (&["SchemaVersion", "ProductArn"], &[]),
            RecordSource::EventBridge => (&["detail-type", "detail"], &[]),
            RecordSource::Unknown => return None,
        };
        Some(Recognition { all, any })
    }

    /// Recognises a record's source from its top-level fields (see [`RecordSource`]).
    pub fn detect<'a>(record: impl Json<'a>) -> RecordSource {
        RecordSource::recognise(|key| record.get(key).is_some())
    }

    /// Recognises a record's source from which top-level keys it has (`has`), as
    /// [`RecordSource::detect`] does.
    pub fn recognise(has: impl Fn(&str) -> bool) -> RecordSource {
        RecordSource::ALL
            .into_iter()
            .find(|source| source.recognised_by().is_some_and(|keys| keys.holds(&has)))
            .unwrap_or(RecordSource::Unknown)
    }
}

/// Which top-level keys recognise a source: every key of `all`, and one of `any` at least
/// (unless `any` is empty).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recognition {
    /// Keys that must all be present.
    pub all: &'static [&'static str],
    /// Keys of which one must be present; none needed when empty.
    pub any: &'static [&'static str],
}

impl Recognition {
    /// Whether the keys recognise a record, given which keys it has.
    pub fn holds(self, has: impl Fn(&str) -> bool) -> bool {
        self.all.iter().all(|key| has(key))
            && (self.any.is_empty() || self.any.iter().any(|key| has(key)))
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
        let insight =
            r#"{"eventVersion":"1.07","eventType":"AwsCloudTrailInsight","insightDetails":{}}"#;
        assert_eq!(source_of(insight), RecordSource::CloudTrail);
        let resolver = r#"{"version":"1.100000","query_name":"example.com.","query_type":"A","srcaddr":"172.31.86.159"}"#;
        assert_eq!(source_of(resolver), RecordSource::Route53);
        let waf = r#"{"webaclId":"arn:x","httpRequest":{"uri":"/"}}"#;
        assert_eq!(source_of(waf), RecordSource::Waf);
        let gd = r#"{"schemaVersion":"2.0","type":"Recon:EC2/PortProbeUnprotectedPort","severity":2,"resource":{}}"#;
        assert_eq!(source_of(gd), RecordSource::GuardDuty);
        // An S3 event notification also has `Records`-style fields but is not CloudTrail.
        let s3 = r#"{"eventVersion":"2.1","s3":{}}"#;
        assert_eq!(source_of(s3), RecordSource::Unknown);
        for (json, source) in [
            (
                r#"{"version":2,"srcaddr":"10.0.0.1"}"#,
                RecordSource::VpcFlow,
            ),
            (
                r#"{"instance-id":"i-1","interface-id":"eni-1"}"#,
                RecordSource::VpcFlow,
            ),
            (
                r#"{"type":"h2","target_processing_time":0.1}"#,
                RecordSource::Alb,
            ),
            (
                r#"{"timestamp":"t","tls_verify_status":"Success"}"#,
                RecordSource::Alb,
            ),
            (r#"{"backend_processing_time":0.1}"#, RecordSource::Elb),
            (
                r#"{"type":"tls","listener":"x","tls_handshake_time":2}"#,
                RecordSource::Nlb,
            ),
            (
                r#"{"x-edge-location":"LAX1","c-ip":"1.2.3.4"}"#,
                RecordSource::CloudFront,
            ),
            (r#"{"logGroup":"g","message":{}}"#, RecordSource::CloudWatch),
            (
                r#"{"configurationItemCaptureTime":"t","resourceType":"AWS::S3::Bucket"}"#,
                RecordSource::Config,
            ),
            (
                r#"{"bucket_owner":"0a1b","operation":"REST.GET.OBJECT"}"#,
                RecordSource::S3Access,
            ),
            (
                r#"{"class_uid":6003,"metadata":{"version":"1.1.0"},"api":{"operation":"x"}}"#,
                RecordSource::SecurityLake,
            ),
            (
                r#"{"firewall_name":"fw","availability_zone":"us-east-1a","event_timestamp":"1","event":{}}"#,
                RecordSource::NetworkFirewall,
            ),
            (
                r#"{"SchemaVersion":"2018-10-08","ProductArn":"arn:x","Types":[]}"#,
                RecordSource::SecurityHub,
            ),
            (
                r#"{"version":"0","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{}}"#,
                RecordSource::EventBridge,
            ),
        ] {
            assert_eq!(source_of(json), source, "{json}");
        }
    }

    #[test]
    fn every_source_has_its_logsource() {
        for (index, source) in RecordSource::ALL.into_iter().enumerate() {
            assert_eq!(source as usize, index);
            let logsource = source.logsource();
            assert_eq!(logsource.service.as_deref(), source.service());
            assert_eq!(logsource.product.is_some(), source != RecordSource::Unknown);
        }
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
