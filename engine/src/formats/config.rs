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

use super::envelope::{EnvelopeError, Records, each_object};
use crate::framing::{skip_ws, top_level_members};
use crate::logsource::RecordSource;

/// Appends the configuration items of `document` to `out`.
pub(crate) fn expand(document: &[u8], out: &mut Records) -> Result<(), EnvelopeError> {
    let error = |reason: String| EnvelopeError {
        envelope: "AWS Config",
        reason,
    };
    let start = skip_ws(document, 0);
    let (_, array) = top_level_members(document, start)
        .find(|(key, _)| *key == b"configurationItems")
        .ok_or_else(|| error("no `configurationItems` member".to_owned()))?;
    each_object(document, array, |item| {
        out.push_with(RecordSource::Config, |bytes| bytes.extend_from_slice(item));
    })
    .map_err(|e| error(e.reason("configurationItems", "configuration item")))
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
