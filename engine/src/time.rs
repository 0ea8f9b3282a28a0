//! An event's time: found in the usual fields of AWS logs, normalised to a UTC timestamp.

use jiff::Timestamp;
use simd_json::BorrowedValue;
use simd_json::prelude::*;

/// Fields that hold an event's time, in the order they are tried: CloudTrail's `eventTime`,
/// GuardDuty's `updatedAt`, WAF's epoch-millisecond `timestamp` (and the `timestamp` the text
/// log readers add), then common generic names, and AWS Config's capture time.
const TIME_FIELDS: &[&str] = &[
    "eventTime",
    "updatedAt",
    "timestamp",
    "@timestamp",
    "time",
    "createdAt",
    "configurationItemCaptureTime",
];

/// The event's time, if a known field holds an RFC 3339 string or an epoch number.
pub fn event_time(record: &BorrowedValue) -> Option<Timestamp> {
    TIME_FIELDS
        .iter()
        .find_map(|field| record.get(*field).and_then(parse_time))
}

/// Parses an RFC 3339 string, or epoch seconds or milliseconds (as a number or numeric string).
pub fn parse_time(value: &BorrowedValue) -> Option<Timestamp> {
    if let Some(text) = value.as_str() {
        if let Ok(ts) = text.parse::<Timestamp>() {
            return Some(ts);
        }
        return text.trim().parse::<f64>().ok().and_then(from_epoch);
    }
    value.cast_f64().and_then(from_epoch)
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
        assert_eq!(time_of(r#"{"other":1}"#), None);
    }
}
