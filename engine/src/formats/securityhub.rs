//! AWS Security Hub findings in the AWS Security Finding Format (`product: aws, service:
//! securityhub`).
//!
//! A finding is one JSON object with ASFF's PascalCase fields (`SchemaVersion`, `Id`,
//! `ProductArn`, `GeneratorId`, `AwsAccountId`, `Types`, `CreatedAt`, `UpdatedAt`, `Severity`,
//! `Title`, `Resources`, `Compliance`, `Workflow`, `RecordState`...). Findings reach Sigil in
//! three ways, and each finding is one record in all of them, its bytes exactly as delivered:
//!
//! - bare, one per line (recognised by `SchemaVersion` and `ProductArn`, see
//!   [`RecordSource`]);
//! - in a batch as `GetFindings` returns it (`aws securityhub get-findings > findings.json`):
//!   `{"Findings":[{...},{...}],"NextToken":"..."}`, the [`Envelope::SecurityHub`] envelope;
//! - in the EventBridge events Security Hub sends (`detail-type: Security Hub Findings -
//!   Imported`, `detail.findings`), see [`eventbridge`](super::eventbridge).
//!
//! The event time is `UpdatedAt`. GuardDuty's `GetFindings` (`aws guardduty get-findings`)
//! returns the same `{"Findings":[...]}` shape: its findings are GuardDuty records (each
//! finding is tagged with the log its own keys show).
//!
//! [`Envelope::SecurityHub`]: super::Envelope::SecurityHub
//!
//! ```
//! use sigil_engine::formats::{Envelope, Records};
//! use sigil_engine::RecordSource;
//!
//! let batch = br#"{"Findings":[{"SchemaVersion":"2018-10-08","ProductArn":"arn:aws:securityhub:us-east-1::product/aws/guardduty","Title":"a"},
//!   {"SchemaVersion":"2018-10-08","ProductArn":"arn:aws:securityhub:us-east-1::product/aws/inspector","Title":"b"}],"NextToken":"x"}"#;
//! let mut records = Records::default();
//! Envelope::SecurityHub.expand(batch, &mut records).unwrap();
//! let sources: Vec<RecordSource> = records.sourced().map(|(_, source)| source).collect();
//! assert_eq!(sources, [RecordSource::SecurityHub, RecordSource::SecurityHub]);
//! ```

use super::envelope::{ArrayOfRecords, EnvelopeError, Records};
use crate::logsource::RecordSource;

/// The findings of a batch, or of a Security Hub EventBridge event's `detail.findings`; ASFF
/// unless a finding's keys show another log.
pub(crate) const FINDINGS: ArrayOfRecords = ArrayOfRecords {
    envelope: "Security Hub",
    member: "Findings",
    item: "finding",
    source: RecordSource::SecurityHub,
};

/// Appends the findings of a `{"Findings":[...]}` batch to `out`.
pub(crate) fn expand(batch: &[u8], out: &mut Records) -> Result<(), EnvelopeError> {
    FINDINGS.expand(batch, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_cut_and_errors_reported() {
        let mut out = Records::default();
        expand(br#"{"Findings":[],"NextToken":null}"#, &mut out).unwrap();
        assert!(out.is_empty());
        expand(br#" {"Findings":[{"Id":"]"} , {"Id":"b"}]}"#, &mut out).unwrap();
        assert_eq!(
            out.iter().collect::<Vec<_>>(),
            [&br#"{"Id":"]"}"#[..], br#"{"Id":"b"}"#]
        );
        // GuardDuty's GetFindings: the same shape, GuardDuty's findings.
        out.clear();
        let guardduty = br#"{"Findings":[{"schemaVersion":"2.0","type":"Recon:EC2/PortProbeUnprotectedPort","severity":2,"resource":{}}]}"#;
        expand(guardduty, &mut out).unwrap();
        assert_eq!(out.sourced().next().unwrap().1, RecordSource::GuardDuty);
        for (bad, reason) in [
            (
                &br#"{"Findings":[{"Id":1}"#[..],
                "the document ends inside `Findings`",
            ),
            (br#"{"Findings":[1]}"#, "a finding is not an object"),
            (br#"{"Findings":{}}"#, "`Findings` is not an array"),
            (br#"{"Other":[]}"#, "no `Findings` member"),
        ] {
            let error = expand(bad, &mut out).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("Security Hub envelope: {reason}")
            );
        }
    }
}
