//! A parsed record as sinks and later stages see it.

use crate::eval::{TapeRecord, first_scalar};
use crate::logsource::RecordSource;
use sigil_compiler::FieldPath;

/// A parsed record: what a [`Sink`](crate::Sink) can read of a matched record without parsing
/// it again.
///
/// Field paths are read as rules read them (dotted names walk nested objects, literal dotted
/// keys too; an array is searched element by element).
#[derive(Clone, Copy)]
pub struct RecordView<'v> {
    value: TapeRecord<'v, 'v>,
    source: RecordSource,
}

impl std::fmt::Debug for RecordView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordView")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl<'v> RecordView<'v> {
    pub(crate) fn new(value: TapeRecord<'v, 'v>, source: RecordSource) -> Self {
        RecordView { value, source }
    }

    /// The parsed value, for the engine's own stages.
    pub(crate) fn value(&self) -> TapeRecord<'v, 'v> {
        self.value
    }

    /// What kind of log the record comes from.
    pub fn source(&self) -> RecordSource {
        self.source
    }

    /// The first scalar (string, number or boolean, as text) found at `path`, if any.
    ///
    /// ```
    /// use sigil_engine::{Engine, ScanOptions};
    /// let rule = "title: t\nlogsource: {}\ndetection:\n  sel: {a.b: x}\n  condition: sel\n";
    /// let loaded = sigil_compiler::load_str("t.yml".as_ref(), rule, &Default::default());
    /// let engine = Engine::new(loaded.rules, ScanOptions::default());
    /// let mut scanner = engine.scanner();
    /// let found = scanner.scan(br#"{"a":{"b":"x","n":[7,8]}}"#).unwrap();
    /// let view = found.view().unwrap();
    /// assert_eq!(view.first_scalar(&sigil_compiler::FieldPath::new("a.n")).as_deref(), Some("7"));
    /// ```
    pub fn first_scalar(&self, path: &FieldPath) -> Option<String> {
        first_scalar(self.value, path)
    }
}
