//! Event times in SQL, and `--from`/`--to` as predicates.
//!
//! The event time is where Sigil finds it (`engine::time::event_time`): CloudTrail's
//! `eventTime`, GuardDuty's `updatedAt`, WAF's epoch-millisecond `timestamp`, VPC Flow Logs'
//! `start`, ALB's `time`, CloudFront's `date` and `time`; in microseconds since the epoch. As
//! with `sigil hunt --from/--to`, both bounds are inclusive and an event without a time is
//! outside any range. On Athena the tables are partitioned by day (see [`crate::ddl`]), and
//! the range also bounds the day partition so that Athena reads only those days' files.

use crate::tables::EventTime;
use crate::{Cx, Options, Refusal, Target};
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// Epoch numbers above this are milliseconds, below it seconds (as Sigil reads them).
const MILLIS_FROM: &str = "100000000000";

/// Days after `--to` still read: files are named by delivery, which follows the event by up to
/// minutes (CloudTrail: about 15), so events late in the last day sit in the next day's files.
const DELIVERY_MARGIN_DAYS: i64 = 1;

/// The event time of a row of `cx.table`, in microseconds since the epoch.
pub(crate) fn event_micros(cx: &Cx) -> String {
    let d = cx.d;
    match cx.table.time {
        EventTime::Iso(column) => d.iso_micros(&d.ident(column)),
        EventTime::Epoch(column) => {
            let column = d.ident(column);
            format!(
                "CAST(CASE WHEN abs({column}) > {MILLIS_FROM} THEN {column} * 1000 ELSE {column} * 1000000 END AS BIGINT)"
            )
        }
        EventTime::DateAndTime(date, time) => {
            let iso = format!(
                "concat({}, 'T', {}, 'Z')",
                d.to_text(&d.ident(date)),
                d.ident(time)
            );
            d.iso_micros(&iso)
        }
    }
}

/// The predicates of the time range of `options` (none without bounds).
pub(crate) fn range(cx: &Cx, options: &Options) -> Result<Vec<String>, Refusal> {
    let mut parts = Vec::new();
    if options.from.is_none() && options.to.is_none() {
        return Ok(parts);
    }
    let micros = event_micros(cx);
    if let Some(from) = options.from {
        parts.push(format!("{micros} >= {}", ceil_micros(from)));
    }
    if let Some(to) = options.to {
        parts.push(format!("{micros} <= {}", floor_micros(to)));
    }
    if cx.target == Target::Athena && crate::ddl::day_partitioned(cx.table) {
        let day = cx.d.ident(crate::ddl::DAY);
        if let Some(from) = options.from {
            parts.push(format!("{day} >= {}", cx.d.date_text(&date_of(from))));
        }
        if let Some(to) = options.to {
            let last = date_of(to)
                .checked_add(jiff::Span::new().days(DELIVERY_MARGIN_DAYS))
                .map_err(|e| Refusal::new(format!("--to: {e}")))?;
            parts.push(format!("{day} <= {}", cx.d.date_text(&last)));
        }
    }
    Ok(parts)
}

fn date_of(time: Timestamp) -> jiff::civil::Date {
    TimeZone::UTC.to_datetime(time).date()
}

/// The first microsecond at or after `time`.
fn ceil_micros(time: Timestamp) -> i128 {
    let nanos = time.as_nanosecond();
    nanos.div_euclid(1000) + i128::from(nanos.rem_euclid(1000) != 0)
}

/// The last microsecond at or before `time`.
fn floor_micros(time: Timestamp) -> i128 {
    time.as_nanosecond().div_euclid(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_round_inwards() {
        let t: Timestamp = "2026-10-01T00:00:00.0000005Z".parse().unwrap();
        assert_eq!(ceil_micros(t) - floor_micros(t), 1);
        let whole: Timestamp = "2026-10-01T00:00:00Z".parse().unwrap();
        assert_eq!(ceil_micros(whole), floor_micros(whole));
    }
}
