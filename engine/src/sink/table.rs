//! An aligned table for people: time, level, rule title, where.

use super::MatchRecord;
use super::text::{Layout, TextOut, TextSink};
use crate::correlate::CorrelationMatch;
use jiff::Timestamp;
use sigil_compiler::{Rule, RuleMeta};
use std::io::Write;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// A sink writing an aligned table, one row per match.
pub type TableSink<W> = TextSink<W, Table>;

impl<W: Write> TableSink<W> {
    /// A sink writing a table to `out`.
    pub fn new(out: W) -> Self {
        TextSink::with_layout(out, Table)
    }
}

/// The table layout: columns `TIME`, `LEVEL`, `RULE`, `SOURCE`, aligned by display width (so
/// wide and combining characters in titles keep the columns straight). A title wider than its
/// column is cut with `…`; times show milliseconds when they have a fraction.
#[derive(Clone, Copy, Debug, Default)]
pub struct Table;

const TIME_WIDTH: usize = 24;
const LEVEL_WIDTH: usize = 13;
const TITLE_WIDTH: usize = 50;

impl Layout for Table {
    fn header(&self, out: &mut Vec<u8>) {
        row(out, "TIME", "LEVEL", "RULE", "SOURCE");
    }

    fn matched(&mut self, out: &mut TextOut, m: &MatchRecord<'_>) {
        let time = m.timestamp.map_or_else(|| "-".into(), time_text);
        let place = format!("{}:{}", m.input, m.record);
        row(out, &time, level(&m.rule.meta), &m.rule.meta.title, &place);
    }

    fn correlation(&self, out: &mut Vec<u8>, rule: &Rule, m: &CorrelationMatch) {
        let time = time_text(m.window_end);
        row(out, &time, level(&rule.meta), &rule.meta.title, &m.place());
    }
}

fn level(meta: &RuleMeta) -> &'static str {
    meta.level.map_or("-", |l| l.as_str())
}

/// A time as the table shows it: RFC 3339 UTC, with milliseconds when it has a fraction (24
/// characters at most).
fn time_text(time: Timestamp) -> String {
    if time.subsec_nanosecond() == 0 {
        time.to_string()
    } else {
        time.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }
}

/// Writes one row, each column padded to its display width.
fn row(out: &mut Vec<u8>, time: &str, level: &str, title: &str, place: &str) {
    let mut line = String::new();
    for (text, width) in [
        (time, TIME_WIDTH),
        (level, LEVEL_WIDTH),
        (title, TITLE_WIDTH),
    ] {
        let cell = fit(text, width);
        let pad = width.saturating_sub(cell.width());
        line.push_str(&cell);
        line.extend(std::iter::repeat_n(' ', pad + 1));
    }
    line.push_str(place);
    line.push('\n');
    out.extend_from_slice(line.as_bytes());
}

/// `text` cut to `width` columns, ending with `…` when cut.
fn fit(text: &str, width: usize) -> std::borrow::Cow<'_, str> {
    if text.width() <= width {
        return text.into();
    }
    let mut cut = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        used += w;
        cut.push(c);
    }
    cut.push('…');
    cut.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_titles_are_cut_to_their_display_width() {
        let title = "漢字".repeat(30);
        let cell = fit(&title, TITLE_WIDTH);
        // Two columns a character: 24 of them and the `…` fill 49 of the 50 columns.
        assert_eq!(cell.width(), TITLE_WIDTH - 1);
        assert!(cell.ends_with('…'));
        assert_eq!(fit("short", TITLE_WIDTH), "short");
    }

    #[test]
    fn rows_align_whatever_the_title_and_time() {
        let mut out = Vec::new();
        let fraction: Timestamp = "2026-10-01T00:43:45.123456Z".parse().unwrap();
        row(
            &mut out,
            &time_text(fraction),
            "high",
            &"é".repeat(60),
            "a:1",
        );
        row(&mut out, "-", "low", "日本語のルール", "b:2");
        let text = String::from_utf8(out).unwrap();
        let columns: Vec<usize> = text
            .lines()
            .map(|line| line[..line.rfind(' ').unwrap()].width())
            .collect();
        assert_eq!(columns, [TIME_WIDTH + LEVEL_WIDTH + TITLE_WIDTH + 2; 2]);
        assert!(text.starts_with("2026-10-01T00:43:45.123Z "));
    }
}
