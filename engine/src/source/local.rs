//! The source of the command line's paths: files, folders and stdin.

use super::{Input, Source, SourceItem, Total};
use crate::input::{Discovery, InputSource, discover};
use std::collections::VecDeque;
use std::path::PathBuf;

/// Files, folders (walked recursively, in sorted order, digests and noise skipped) and `-` for
/// stdin, as [`discover`] expands them.
///
/// The paths are listed when the source is made, so [`Source::total`] knows the number and
/// size of the files; errors of listing come first, then the inputs and skips in order.
///
/// ```
/// use sigil_engine::{LocalSource, Source, SourceItem};
///
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("b.json"), "{}\n")?;
/// std::fs::write(dir.path().join("a.json"), "{}\n")?;
/// let mut source = LocalSource::new(&[dir.path().to_path_buf()]);
/// assert_eq!(source.total().unwrap().inputs, 2);
/// let names: Vec<String> = std::iter::from_fn(|| source.next())
///     .map(|item| match item {
///         SourceItem::Input(input) => input.source.to_string(),
///         other => panic!("{other:?}"),
///     })
///     .collect();
/// assert!(names[0].ends_with("a.json") && names[1].ends_with("b.json"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct LocalSource {
    items: VecDeque<SourceItem>,
    total: Total,
}

impl LocalSource {
    /// Lists `paths` (files, folders, `-` for stdin).
    pub fn new(paths: &[PathBuf]) -> LocalSource {
        let Discovery {
            inputs,
            skipped,
            errors,
        } = discover(paths);
        let mut total = Total::default();
        for input in &inputs {
            total.inputs += 1;
            if let InputSource::Path(path) = input {
                total.bytes += std::fs::metadata(path).map_or(0, |meta| meta.len());
            }
        }
        let mut items: VecDeque<SourceItem> = errors.into_iter().map(SourceItem::Error).collect();
        items.extend(skipped.into_iter().map(SourceItem::Skipped));
        items.extend(
            inputs
                .into_iter()
                .map(|source| SourceItem::Input(Input::open(source))),
        );
        LocalSource { items, total }
    }
}

impl Source for LocalSource {
    fn next(&mut self) -> Option<SourceItem> {
        self.items.pop_front()
    }

    fn total(&self) -> Option<Total> {
        Some(self.total)
    }
}
