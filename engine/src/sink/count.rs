//! Counting matched records per value of some fields: `sigil metrics`.

use super::{Batch, MatchRecord, Sink, SinkError};
use crate::correlate::CorrelationMatch;
use crate::input::InputSource;
use crate::record::RecordView;
use sigil_compiler::{FieldPath, Rule};
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use unicode_width::UnicodeWidthStr;

/// The values of the counted fields in one record (`None`: absent, or not a scalar).
pub type Key = Vec<Option<String>>;

/// A sink that counts the matched records per value of some fields (the first scalar at each
/// dotted path, as correlations read group-by fields). A record matched by several rules counts
/// once; correlation matches are not counted.
///
/// ```
/// use sigil_engine::{CountSink, Engine, LocalSource, ScanOptions, hunt, HuntOptions};
///
/// let dir = tempfile::tempdir()?;
/// let log = dir.path().join("findings.jsonl");
/// std::fs::write(&log, "{\"type\":\"Recon\"}\n{\"type\":\"Recon\"}\n{\"type\":\"Backdoor\"}\n")?;
/// let rule = "title: all\nlogsource: {}\ndetection:\n  sel: {type|exists: true}\n  condition: sel\n";
/// let loaded = sigil_compiler::load_str("all.yml".as_ref(), rule, &Default::default());
/// let engine = Engine::new(loaded.rules, ScanOptions::default());
/// let mut sink = CountSink::new(vec![sigil_compiler::FieldPath::new("type")]);
/// hunt(&engine, &mut LocalSource::new(&[log]), &HuntOptions::default(), &mut sink).unwrap();
/// let counts = sink.into_counts();
/// assert_eq!(counts.rows[0], (vec![Some("Recon".to_string())], 2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct CountSink {
    fields: Arc<[FieldPath]>,
    counts: HashMap<Key, u64>,
}

impl CountSink {
    /// Counts by the values of `fields`.
    pub fn new(fields: Vec<FieldPath>) -> CountSink {
        CountSink {
            fields: fields.into(),
            counts: HashMap::new(),
        }
    }

    /// The counts, most frequent first, then by value.
    pub fn into_counts(self) -> Counts {
        let mut rows: Vec<(Key, u64)> = self.counts.into_iter().collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Counts {
            fields: self.fields.iter().map(|f| f.name.clone()).collect(),
            rows,
        }
    }
}

/// The keys of one unit's matched records, each record once.
#[derive(Debug)]
pub struct CountBatch {
    fields: Arc<[FieldPath]>,
    keys: Vec<Key>,
    /// The last record counted: a record matched by several rules comes several times in a row.
    last: Option<(InputSource, u64)>,
}

impl Batch for CountBatch {
    fn matched(&mut self, m: &MatchRecord<'_>, record: &RecordView<'_>) -> Result<(), SinkError> {
        if self
            .last
            .as_ref()
            .is_some_and(|(input, number)| input == m.input && *number == m.record)
        {
            return Ok(());
        }
        self.last = Some((m.input.clone(), m.record));
        let key = self.fields.iter().map(|f| record.first_scalar(f)).collect();
        self.keys.push(key);
        Ok(())
    }
}

impl Sink for CountSink {
    type Batch = CountBatch;

    fn batch(&mut self) -> CountBatch {
        CountBatch {
            fields: Arc::clone(&self.fields),
            keys: Vec::new(),
            last: None,
        }
    }

    fn write(&mut self, batch: CountBatch) -> Result<(), SinkError> {
        for key in batch.keys {
            *self.counts.entry(key).or_default() += 1;
        }
        Ok(())
    }

    fn correlation(&mut self, _: &Rule, _: &CorrelationMatch) -> Result<(), SinkError> {
        Ok(())
    }
}

/// Counted values: one row per distinct key, most frequent first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    /// The counted fields, as named.
    pub fields: Vec<String>,
    /// Each key with its count.
    pub rows: Vec<(Key, u64)>,
}

impl Counts {
    /// Keeps the `n` most frequent rows.
    pub fn truncate(&mut self, n: usize) {
        self.rows.truncate(n);
    }

    /// One JSON object per row: `{"values":{"type":"Recon"},"count":2}` (`null` for absent).
    pub fn write_jsonl(&self, out: &mut impl Write) -> std::io::Result<()> {
        for (key, count) in &self.rows {
            let values: serde_json::Map<String, serde_json::Value> = self
                .fields
                .iter()
                .zip(key)
                .map(|(name, value)| (name.clone(), value.clone().into()))
                .collect();
            let line = serde_json::json!({"values": values, "count": count});
            writeln!(out, "{line}")?;
        }
        Ok(())
    }

    /// CSV with a header line: `count`, then the fields (empty for absent).
    pub fn write_csv(&self, out: &mut impl Write) -> std::io::Result<()> {
        let mut writer = csv::Writer::from_writer(out);
        let header = std::iter::once("count").chain(self.fields.iter().map(String::as_str));
        writer.write_record(header)?;
        for (key, count) in &self.rows {
            let count = count.to_string();
            let cells = std::iter::once(count.as_str())
                .chain(key.iter().map(|v| v.as_deref().unwrap_or("")));
            writer.write_record(cells)?;
        }
        writer.flush()
    }

    /// Aligned columns: the count, then the values (`-` for absent), by display width.
    pub fn write_table(&self, out: &mut impl Write) -> std::io::Result<()> {
        let cell = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        let mut widths: Vec<usize> = self.fields.iter().map(|f| f.width()).collect();
        for (key, _) in &self.rows {
            for (width, value) in widths.iter_mut().zip(key) {
                *width = (*width).max(cell(value).width());
            }
        }
        let count_width = self
            .rows
            .iter()
            .map(|r| r.1.to_string().len())
            .max()
            .unwrap_or(0)
            .max("COUNT".len());
        let line = |out: &mut dyn Write, count: &str, values: Vec<String>| {
            let mut text = format!("{count:>count_width$}");
            for (value, width) in values.iter().zip(&widths) {
                text.push_str("  ");
                text.push_str(value);
                text.extend(std::iter::repeat_n(
                    ' ',
                    width.saturating_sub(value.width()),
                ));
            }
            writeln!(out, "{}", text.trim_end())
        };
        line(out, "COUNT", self.fields.clone())?;
        for (key, count) in &self.rows {
            line(out, &count.to_string(), key.iter().map(cell).collect())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts() -> Counts {
        Counts {
            fields: vec!["type".into(), "region".into()],
            rows: vec![
                (vec![Some("Recon".into()), Some("us-east-1".into())], 2),
                (vec![Some("Backdoor".into()), None], 1),
            ],
        }
    }

    #[test]
    fn counts_render_in_three_formats() {
        let mut out = Vec::new();
        counts().write_csv(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "count,type,region\n2,Recon,us-east-1\n1,Backdoor,\n"
        );
        let mut out = Vec::new();
        counts().write_table(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "COUNT  type      region\n    2  Recon     us-east-1\n    1  Backdoor  -\n"
        );
        let mut out = Vec::new();
        let mut one = counts();
        one.rows.remove(0);
        one.write_jsonl(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"values\":{\"type\":\"Backdoor\",\"region\":null},\"count\":1}\n"
        );
    }
}
