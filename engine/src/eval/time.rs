//! An event's time: found in the usual fields of AWS logs, normalised to a UTC timestamp.

use super::{Json, Kind};
use jiff::Timestamp;
use simd_json::StaticNode;

/// Fields that hold an event's time, in the order they are tried: CloudTrail's `eventTime`,
/// GuardDuty's `updatedAt`, WAF's epoch-millisecond `timestamp` (and the `timestamp` the text
/// log readers add), then common generic names, AWS Config's capture time, Route 53's query
/// time, Security Hub's `UpdatedAt` (ASFF) and Network Firewall's epoch-second
/// `event_timestamp`.
const TIME_FIELDS: &[&str] = &[
    "eventTime",
    "updatedAt",
    "timestamp",
    "@timestamp",
    "time",
    "createdAt",
    "configurationItemCaptureTime",
    "query_timestamp",
    "UpdatedAt",
    "event_timestamp",
];

/// The event's time, if a known field holds an RFC 3339 string or an epoch number.
pub fn event_time<'a>(record: impl Json<'a>) -> Option<Timestamp> {
    TIME_FIELDS
        .iter()
        .find_map(|field| record.get(field).and_then(|value| parse_time(value.kind())))
}

/// The time of the event `record` (one JSON object's bytes), as [`Scanner`](crate::Scanner)
/// finds it: the first of the known time fields (`eventTime`, WAF's epoch-millisecond
/// `timestamp`, ...) that holds an RFC 3339 string or an epoch number. `None` when the record
/// does not parse or has no such field.
///
/// ```
/// let time = sigil_engine::event_time_of(br#"{"eventTime":"2023-07-10T12:00:01Z"}"#);
/// assert_eq!(time.unwrap().to_string(), "2023-07-10T12:00:01Z");
/// ```
pub fn event_time_of(record: &[u8]) -> Option<Timestamp> {
    let mut bytes = record.to_vec();
    let value = simd_json::to_borrowed_value(&mut bytes).ok()?;
    event_time(&value)
}

/// Parses an RFC 3339 string, or epoch seconds or milliseconds (as a number or numeric string).
pub fn parse_time(value: Kind) -> Option<Timestamp> {
    match value {
        Kind::Str(text) => match text.parse::<Timestamp>() {
            Ok(ts) => Some(ts),
            Err(_) => text.trim().parse::<f64>().ok().and_then(from_epoch),
        },
        Kind::Static(StaticNode::I64(n)) => from_epoch(n as f64),
        Kind::Static(StaticNode::U64(n)) => from_epoch(n as f64),
        Kind::Static(StaticNode::F64(n)) => from_epoch(n),
        Kind::Static(_) | Kind::BigNumber(_) | Kind::Array | Kind::Object => None,
    }
}

/// Epoch seconds, or milliseconds when the number is too large to be seconds.
fn from_epoch(n: f64) -> Option<Timestamp> {
    if !n.is_finite() {
        return None;
    }
    let millis = if n.abs() > 1e11 { n } else { n * 1000.0 };
    // Out-of-range values saturate in the cast and are then refused by jiff.
    Timestamp::from_millisecond(millis.floor() as i64).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time_of(json: &str) -> Option<String> {
        let mut bytes = json.as_bytes().to_vec();
        let record = simd_json::to_borrowed_value(&mut bytes).unwrap();
        event_time(&record).map(|t| t.to_string())
    }

    #[test]
    fn finds_the_time_of_each_log() {
        assert_eq!(
            time_of(r#"{"eventTime":"2023-07-10T12:00:01Z"}"#).unwrap(),
            "2023-07-10T12:00:01Z"
        );
        assert_eq!(
            time_of(r#"{"timestamp":1688990401000}"#).unwrap(),
            "2023-07-10T12:00:01Z"
        );
        assert_eq!(
            time_of(r#"{"timestamp":1688990401}"#).unwrap(),
            "2023-07-10T12:00:01Z"
        );
        // Security Hub (ASFF) and Network Firewall (epoch seconds as a string).
        assert_eq!(
            time_of(
                r#"{"CreatedAt":"2023-01-01T00:00:00Z","UpdatedAt":"2023-07-10T12:00:01.000Z"}"#
            )
            .unwrap(),
            "2023-07-10T12:00:01Z"
        );
        assert_eq!(
            time_of(r#"{"event_timestamp":"1688990401","event":{}}"#).unwrap(),
            "2023-07-10T12:00:01Z"
        );
        assert_eq!(time_of(r#"{"other":1}"#), None);
    }
}
