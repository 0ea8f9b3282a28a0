//! Comma-separated values, one row per match, quoted by the `csv` crate.

use super::MatchRecord;
use super::text::{Layout, TextOut, TextSink};
use crate::correlate::CorrelationMatch;
use sigil_compiler::Rule;
use std::io::Write;

/// A sink writing CSV with a header line: `timestamp,level,rule_id,rule_title,path,record`.
pub type CsvSink<W> = TextSink<W, Csv>;

impl<W: Write> CsvSink<W> {
    /// A sink writing CSV to `out`.
    pub fn new(out: W) -> Self {
        TextSink::with_layout(out, Csv)
    }
}

/// The CSV layout. A correlation match is a row whose time is its window's end, whose `path`
/// is its group and number of events, and whose `record` is empty.
#[derive(Clone, Copy, Debug, Default)]
pub struct Csv;

const HEADER: [&str; 6] = [
    "timestamp",
    "level",
    "rule_id",
    "rule_title",
    "path",
    "record",
];

impl Layout for Csv {
    fn header(&self, out: &mut Vec<u8>) {
        write_row(out, HEADER);
    }

    fn matched(&mut self, out: &mut TextOut, m: &MatchRecord<'_>) {
        let meta = &m.rule.meta;
        write_row(
            out,
            [
                &m.timestamp.map(|t| t.to_string()).unwrap_or_default() as &str,
                meta.level.map_or("", |l| l.as_str()) as &str,
                meta.id.as_deref().unwrap_or(""),
                &meta.title,
                &m.input.to_string(),
                &m.record.to_string(),
            ],
        );
    }

    fn correlation(&self, out: &mut Vec<u8>, rule: &Rule, m: &CorrelationMatch) {
        let meta = &rule.meta;
        write_row(
            out,
            [
                &m.window_end.to_string() as &str,
                meta.level.map_or("", |l| l.as_str()) as &str,
                meta.id.as_deref().unwrap_or(""),
                &meta.title,
                &m.place(),
                "",
            ],
        );
    }
}

/// Appends one row, each field quoted when it needs to be.
fn write_row<'a>(out: &mut Vec<u8>, fields: impl IntoIterator<Item = &'a str>) {
    let mut writer = csv::WriterBuilder::new()
        .buffer_capacity(256)
        .from_writer(std::mem::take(out));
    // Writing to a Vec cannot fail, and every row has the header's six fields.
    writer
        .write_record(fields)
        .expect("writing to a Vec cannot fail");
    *out = writer.into_inner().expect("writing to a Vec cannot fail");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_when_needed() {
        let mut out = Vec::new();
        write_row(&mut out, ["plain", "a,b", "say \"hi\"", "", "x", "1"]);
        assert_eq!(out, b"plain,\"a,b\",\"say \"\"hi\"\"\",,x,1\n");
    }
}
