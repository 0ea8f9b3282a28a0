//! Rule source files and byte spans into them.
//!
//! Every diagnostic and every IR item points back into the file it came from with a [`Span`]:
//! a [`SourceId`] plus a byte range. Line and column are computed on demand from the text, so
//! spans stay two words wide and cheap to copy.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SourceId(pub u32);

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    /// The file the range is in.
    pub source: SourceId,
    /// First byte of the range.
    pub start: usize,
    /// One past the last byte of the range.
    pub end: usize,
}

impl Span {
    /// A span covering `start..end` of `source`.
    pub fn new(source: SourceId, start: usize, end: usize) -> Self {
        Span {
            source,
            start,
            end: end.max(start),
        }
    }

    /// A sub-range of this span, given as offsets relative to its start (used for spans inside
    /// a scalar, such as a token inside a condition string), clamped to this span.
    pub fn sub(self, start: usize, end: usize) -> Span {
        let len = self.end - self.start;
        Span::new(
            self.source,
            self.start + start.min(len),
            self.start + end.min(len),
        )
    }

    /// The span of `value[start..end]`, where `value` is the text of the scalar written at this
    /// span: exact when the scalar is written plainly or in simple quotes, else the whole scalar.
    pub fn in_scalar(self, value: &str, start: usize, end: usize) -> Span {
        let written = self.end - self.start;
        if written == value.len() {
            self.sub(start, end)
        } else if written == value.len() + 2 {
            self.sub(start + 1, end + 1)
        } else {
            self
        }
    }
}

/// One loaded file: its path and its text.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as given by the user (or a synthetic name such as `<stdin>`).
    pub path: PathBuf,
    /// The file's text.
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// Wraps a file's text.
    pub fn new(path: impl Into<PathBuf>, text: String) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            path: path.into(),
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let start = self.line_starts[line];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, column + 1)
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        let start = self
            .line_starts
            .get(line.wrapping_sub(1))
            .copied()
            .unwrap_or(0);
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    /// The source text a span covers (empty if the span is out of range).
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or("")
    }
}

/// All files a load read, indexed by [`SourceId`].
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// Adds a file and returns its id.
    pub fn add(&mut self, file: SourceFile) -> SourceId {
        self.files.push(file);
        SourceId(self.files.len() as u32 - 1)
    }

    /// The number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether there is no file.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The file with this id.
    pub fn get(&self, id: SourceId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// The path of the file with this id.
    pub fn path(&self, id: SourceId) -> &Path {
        &self.get(id).path
    }

    /// All files, in load order.
    pub fn iter(&self) -> impl Iterator<Item = (SourceId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (SourceId(i as u32), f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_from_one() {
        let file = SourceFile::new("x.yml", "ab\nçd: e\n".to_string());
        assert_eq!(file.line_col(0), (1, 1));
        assert_eq!(file.line_col(3), (2, 1));
        // `ç` is two bytes: the `:` at byte 6 is the third character of line 2.
        assert_eq!(file.line_col(6), (2, 3));
        assert_eq!(file.line_text(2), "çd: e");
    }
}
