//! AWS Config configuration items (`product: aws, service: config`).
//!
//! AWS Config delivers configuration snapshots and history files to S3 as one JSON document,
//! `{"fileVersion":"1.0","configSnapshotId":"...","configurationItems":[{...},{...}]}`. Each
//! element of `configurationItems` is a record, its bytes exactly as in the file (`resourceType`,
//! `resourceId`, `configurationItemCaptureTime`, `configurationItemStatus`, `configuration`,
//! `supplementaryConfiguration`, `tags`, `relationships`...). The elements are cut by the
//! framing's structural walk, without parsing them.
//!
//! ```
//! use sigil_engine::formats::{Envelope, Records};
//!
//! let history = br#"{"fileVersion":"1.0","configurationItems":[
//!   {"configurationItemCaptureTime":"2024-01-01T00:00:00.000Z","resourceType":"AWS::EC2::SecurityGroup","configurationItemStatus":"OK"}
//! ]}"#;
//! let mut records = Records::default();
//! Envelope::Config.expand(history, &mut records).unwrap();
//! let item: serde_json::Value = serde_json::from_slice(records.iter().next().unwrap()).unwrap();
//! assert_eq!(item["resourceType"], "AWS::EC2::SecurityGroup");
//! ```

use super::envelope::{ArrayOfRecords, EnvelopeError, Records};
use crate::logsource::RecordSource;

/// The configuration items of a snapshot or history file.
const ITEMS: ArrayOfRecords = ArrayOfRecords {
    envelope: "AWS Config",
    member: "configurationItems",
    item: "configuration item",
    source: RecordSource::Config,
};

/// Appends the configuration items of `document` to `out`.
pub(crate) fn expand(document: &[u8], out: &mut Records) -> Result<(), EnvelopeError> {
    ITEMS.expand(document, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_cut_and_errors_reported() {
        let mut out = Records::default();
        expand(br#"{"configurationItems":[]}"#, &mut out).unwrap();
        assert!(out.is_empty());
        expand(
            br#"{"a":{"configurationItems":1},"configurationItems":[{"x":"]"} , {"y":[1]}]}"#,
            &mut out,
        )
        .unwrap();
        assert_eq!(out.len(), 2);
        for bad in [
            &br#"{"configurationItems":[{"x":1}"#[..],
            br#"{"configurationItems":[1]}"#,
            br#"{"configurationItems":{}}"#,
            br#"{"other":[]}"#,
        ] {
            assert!(
                expand(bad, &mut out).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
