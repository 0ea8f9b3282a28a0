//! Amazon EventBridge events, unwrapped to the log their detail comes from.
//!
//! AWS services publish events to EventBridge in one envelope:
//! `{"version":"0","id":"...","detail-type":"...","source":"aws.guardduty","account":"...",
//! "time":"...","region":"...","resources":[...],"detail":{...}}`. A rule's Firehose or S3
//! target stores them one per line (the [`Envelope::EventBridge`] envelope), and a CloudWatch
//! Logs target makes each one a log event's message (see [`cloudwatch`](super::cloudwatch)).
//! Each event becomes records as follows:
//!
//! | the event                                         | its records                       | log source |
//! |---------------------------------------------------|-----------------------------------|------------|
//! | `detail` is a record of a log Sigil knows by its own keys: `GuardDuty Finding`, `AWS API Call via CloudTrail`, `AWS Console Sign In via CloudTrail`... | `detail`, exactly as in the event | that log's (`guardduty`, `cloudtrail`...) |
//! | `source` is `aws.securityhub` and `detail.findings` an array (`Security Hub Findings - Imported`, `- Custom Action`) | each finding, exactly as in the event | `securityhub` |
//! | any other event (`EC2 Instance State-change Notification`, `AWS Health Event`...) | the whole event | `eventbridge` |
//!
//! An unwrapped record is the inner event and nothing else: the rules of its log see the same
//! field paths (`eventName`, not `detail.eventName`) and the same event time (`eventTime`,
//! `updatedAt`, `UpdatedAt`) as when it is delivered bare, and a match's `event` is the inner
//! event. The envelope's own fields (`id`, `account`, `region`, `time`, `resources`) are not
//! reachable from it: adding them would change what a rule that tests a field's absence sees,
//! and the inner events carry the account, region and time of their own. A line of an
//! EventBridge file that is not an event (no `detail-type`, or no `detail` object) is a
//! record of the log its own keys show, so that nothing in the file is dropped.
//!
//! [`Envelope::EventBridge`]: super::Envelope::EventBridge
//!
//! ```
//! use sigil_engine::formats::{Envelope, Records};
//! use sigil_engine::RecordSource;
//!
//! let event = br#"{"version":"0","id":"1","detail-type":"AWS API Call via CloudTrail","source":"aws.iam","account":"111122223333","time":"2024-05-01T10:00:00Z","region":"us-east-1","resources":[],"detail":{"eventVersion":"1.08","eventTime":"2024-05-01T09:59:58Z","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey"}}"#;
//! let mut records = Records::default();
//! Envelope::EventBridge.expand(event, &mut records).unwrap();
//! let (record, source) = records.sourced().next().unwrap();
//! assert_eq!(source, RecordSource::CloudTrail);
//! assert_eq!(record, br#"{"eventVersion":"1.08","eventTime":"2024-05-01T09:59:58Z","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey"}"#);
//! ```

use super::envelope::{EnvelopeError, Records, source_of_object};
use super::securityhub;
use crate::framing::{skip_ws, top_level_members, value_end};
use crate::logsource::RecordSource;

/// Appends the records of one event (or of one object that is not an event) to `out`.
pub(crate) fn expand(event: &[u8], out: &mut Records) -> Result<(), EnvelopeError> {
    let error = |reason: &str| EnvelopeError {
        envelope: "EventBridge",
        reason: reason.to_owned(),
    };
    let start = skip_ws(event, 0);
    let (mut detail_type, mut detail, mut security_hub) = (false, None, false);
    for (key, value) in top_level_members(event, start) {
        match key {
            b"detail-type" => detail_type = true,
            b"detail" if event.get(value) == Some(&b'{') => detail = Some(value),
            b"source" => security_hub = event[value..].starts_with(br#""aws.securityhub""#),
            _ => {}
        }
    }
    let whole = event.trim_ascii();
    let Some(detail) = detail.filter(|_| detail_type) else {
        let source = source_of_object(whole, 0);
        out.push_with(source, |bytes| bytes.extend_from_slice(whole));
        return Ok(());
    };
    if security_hub
        && let Some((_, findings)) =
            top_level_members(event, detail).find(|(key, _)| *key == b"findings")
    {
        let list = &securityhub::FINDINGS;
        return list
            .push_elements(event, findings, out)
            .map_err(|e| error(&e.reason("detail.findings", list.item)));
    }
    let end = value_end(event, detail).map_err(|_| error("`detail` is truncated or malformed"))?;
    match source_of_object(event, detail) {
        RecordSource::Unknown | RecordSource::EventBridge => {
            out.push_with(RecordSource::EventBridge, |bytes| {
                bytes.extend_from_slice(whole);
            });
        }
        inner => out.push_with(inner, |bytes| {
            bytes.extend_from_slice(&event[detail..end]);
        }),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded(event: &str) -> Vec<(String, RecordSource)> {
        let mut out = Records::default();
        expand(event.as_bytes(), &mut out).unwrap();
        out.sourced()
            .map(|(record, source)| (String::from_utf8(record.to_vec()).unwrap(), source))
            .collect()
    }

    #[test]
    fn findings_and_other_events() {
        let hub = r#"{"version":"0","detail-type":"Security Hub Findings - Imported","source":"aws.securityhub","detail":{"findings":[{"SchemaVersion":"2018-10-08","Id":"a"},{"SchemaVersion":"2018-10-08","Id":"b"}]}}"#;
        let records = expanded(hub);
        assert_eq!(records.len(), 2);
        assert_eq!(
            records[1],
            (
                r#"{"SchemaVersion":"2018-10-08","Id":"b"}"#.to_owned(),
                RecordSource::SecurityHub
            )
        );
        let ec2 = r#" {"version":"0","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{"instance-id":"i-1","state":"terminated"}}"#;
        assert_eq!(
            expanded(ec2),
            [(ec2.trim().to_owned(), RecordSource::EventBridge)]
        );
        // Not an event: kept whole, as the record its keys make it.
        let bare = r#"{"eventVersion":"1.08","eventSource":"s3.amazonaws.com"}"#;
        assert_eq!(
            expanded(bare),
            [(bare.to_owned(), RecordSource::CloudTrail)]
        );
    }

    #[test]
    fn broken_details_are_errors() {
        let mut out = Records::default();
        for (bad, reason) in [
            (
                r#"{"detail-type":"x","source":"aws.securityhub","detail":{"findings":[1]}}"#,
                "a finding is not an object",
            ),
            (
                r#"{"detail-type":"x","source":"aws.securityhub","detail":{"findings":{}}}"#,
                "`detail.findings` is not an array",
            ),
            (
                r#"{"detail-type":"x","detail":{"a":"#,
                "`detail` is truncated or malformed",
            ),
        ] {
            let error = expand(bad.as_bytes(), &mut out).unwrap_err();
            assert_eq!(error.to_string(), format!("EventBridge envelope: {reason}"));
        }
    }
}
