//! Time stamps and the handful of textual time formats AWS logs use.
//!
//! All times are UTC epoch milliseconds ([`Millis`]); formatting never consults the system clock or
//! the local time zone. Each `write_*` method appends to a `String` so that hot paths reuse their
//! output buffer:
//!
//! | method                   | example                       | used by                       |
//! |--------------------------|-------------------------------|-------------------------------|
//! | [`Millis::write_iso_seconds`] | `2026-10-01T00:05:09Z`   | CloudTrail `eventTime`        |
//! | [`Millis::write_iso_millis`]  | `2026-10-01T00:05:09.120Z` | GuardDuty `createdAt`       |
//! | [`Millis::write_iso_micros`]  | `2026-10-01T00:05:09.120000Z` | ALB `time`               |
//! | [`Millis::write_compact_minute`] | `20261001T0005Z`      | CloudTrail/ALB/VPC file names |
//! | [`Millis::write_java_datetime`] | `Oct 1, 2026, 12:05:09 AM` | STS credential expiration |

use std::fmt::Write as _;

use jiff::civil::DateTime;
use jiff::tz::Offset;

/// Milliseconds since the Unix epoch, UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Millis(pub(crate) i64);

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl Millis {
    /// One second.
    pub(crate) const SECOND: i64 = 1_000;
    /// One minute.
    pub(crate) const MINUTE: i64 = 60 * Self::SECOND;
    /// One hour.
    pub(crate) const HOUR: i64 = 60 * Self::MINUTE;

    /// This time plus `ms` milliseconds.
    pub(crate) fn plus(self, ms: i64) -> Millis {
        Millis(self.0 + ms)
    }

    /// Whole seconds since the epoch.
    pub(crate) fn epoch_seconds(self) -> i64 {
        self.0.div_euclid(Self::SECOND)
    }

    /// The start of the `width`-millisecond window that holds this time.
    pub(crate) fn floor(self, width: i64) -> Millis {
        Millis(self.0 - self.0.rem_euclid(width))
    }

    fn civil(self) -> DateTime {
        let timestamp = jiff::Timestamp::from_millisecond(self.0)
            .expect("generated times lie within jiff's supported range");
        Offset::UTC.to_datetime(timestamp)
    }

    fn millisecond(self) -> i64 {
        self.0.rem_euclid(Self::SECOND)
    }

    /// `YYYY-MM-DD`.
    pub(crate) fn write_date(self, out: &mut String) {
        let t = self.civil();
        let _ = write!(out, "{:04}-{:02}-{:02}", t.year(), t.month(), t.day());
    }

    /// `hh:mm:ss`.
    pub(crate) fn write_clock(self, out: &mut String) {
        let t = self.civil();
        let _ = write!(out, "{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second());
    }

    /// `YYYY-MM-DDThh:mm:ssZ`.
    pub(crate) fn write_iso_seconds(self, out: &mut String) {
        self.write_date(out);
        out.push('T');
        self.write_clock(out);
        out.push('Z');
    }

    /// `YYYY-MM-DDThh:mm:ss.mmmZ`.
    pub(crate) fn write_iso_millis(self, out: &mut String) {
        self.write_date(out);
        out.push('T');
        self.write_clock(out);
        let _ = write!(out, ".{:03}Z", self.millisecond());
    }

    /// `YYYY-MM-DDThh:mm:ss.uuuuuuZ`, with `extra_micros` (0..1000) as the sub-millisecond digits.
    pub(crate) fn write_iso_micros(self, extra_micros: u32, out: &mut String) {
        self.write_date(out);
        out.push('T');
        self.write_clock(out);
        let _ = write!(out, ".{:03}{:03}Z", self.millisecond(), extra_micros % 1000);
    }

    /// `YYYYMMDDThhmmZ`, the delivery stamp in CloudTrail, ALB and VPC Flow Logs object names.
    pub(crate) fn write_compact_minute(self, out: &mut String) {
        let t = self.civil();
        let _ = write!(
            out,
            "{:04}{:02}{:02}T{:02}{:02}Z",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute()
        );
    }

    /// `YYYYMMDDThhmmssZ`, the stamp in CloudTrail digest object names.
    pub(crate) fn write_compact_second(self, out: &mut String) {
        let t = self.civil();
        let _ = write!(
            out,
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
    }

    /// `YYYY/MM/DD`, the date folders of S3 log prefixes.
    pub(crate) fn write_date_path(self, out: &mut String) {
        let t = self.civil();
        let _ = write!(out, "{:04}/{:02}/{:02}", t.year(), t.month(), t.day());
    }

    /// The hour of day, `00`..`23`.
    pub(crate) fn write_hour(self, out: &mut String) {
        let _ = write!(out, "{:02}", self.civil().hour());
    }

    /// `Oct 1, 2026, 12:05:09 AM`, the Java date format of some CloudTrail response fields.
    pub(crate) fn write_java_datetime(self, out: &mut String) {
        let t = self.civil();
        let hour12 = match t.hour() % 12 {
            0 => 12,
            hour => hour,
        };
        let meridiem = if t.hour() < 12 { "AM" } else { "PM" };
        let _ = write!(
            out,
            "{} {}, {}, {}:{:02}:{:02} {}",
            MONTHS[usize::try_from(t.month() - 1).unwrap_or(0)],
            t.day(),
            t.year(),
            hour12,
            t.minute(),
            t.second(),
            meridiem
        );
    }

    /// This time formatted by one of the `write_*` methods, as a new `String`.
    pub(crate) fn format(self, write: fn(Millis, &mut String)) -> String {
        let mut out = String::with_capacity(32);
        write(self, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        // 2026-10-01T13:05:09.042Z
        let t = Millis(1_790_859_909_042);
        assert_eq!(t.format(Millis::write_iso_seconds), "2026-10-01T13:05:09Z");
        assert_eq!(
            t.format(Millis::write_iso_millis),
            "2026-10-01T13:05:09.042Z"
        );
        assert_eq!(t.format(Millis::write_compact_minute), "20261001T1305Z");
        assert_eq!(t.format(Millis::write_compact_second), "20261001T130509Z");
        assert_eq!(t.format(Millis::write_date_path), "2026/10/01");
        assert_eq!(
            t.format(Millis::write_java_datetime),
            "Oct 1, 2026, 1:05:09 PM"
        );
        let mut micros = String::new();
        t.write_iso_micros(7, &mut micros);
        assert_eq!(micros, "2026-10-01T13:05:09.042007Z");
        assert_eq!(
            t.floor(5 * Millis::MINUTE).format(Millis::write_clock),
            "13:05:00"
        );
    }
}
