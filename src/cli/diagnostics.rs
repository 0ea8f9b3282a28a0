//! Rendering diagnostics: rustc-style text for people, JSON lines for editors and CI.

use super::Color;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;
use sigil_compiler::{Diagnostic, Severity, SourceMap};
use std::io::IsTerminal;

/// Whether to colour a stream, given the user's choice and whether it is a terminal.
pub fn use_color(choice: Color, is_terminal: bool) -> bool {
    match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => is_terminal && std::env::var_os("NO_COLOR").is_none(),
    }
}

/// Renders diagnostics like rustc does, with the offending span labelled in its source line.
pub struct TextRenderer {
    renderer: Renderer,
}

impl TextRenderer {
    /// A renderer for stdout, coloured per `color`.
    pub fn for_stdout(color: Color) -> Self {
        Self::styled(use_color(color, std::io::stdout().is_terminal()))
    }

    /// A renderer for stderr, coloured per `color`.
    pub fn for_stderr(color: Color) -> Self {
        Self::styled(use_color(color, std::io::stderr().is_terminal()))
    }

    fn styled(styled: bool) -> Self {
        let renderer = if styled {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        TextRenderer { renderer }
    }

    /// Renders one diagnostic.
    pub fn render(&self, diag: &Diagnostic, sources: &SourceMap) -> String {
        let file = sources.get(diag.primary.span.source);
        let path = file.path.display().to_string();
        let level = match diag.severity() {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let primary = clamp(diag.primary.span.start, diag.primary.span.end, &file.text);
        let mut snippet = Snippet::source(file.text.as_str())
            .line_start(1)
            .path(path.as_str())
            .fold(true)
            .annotation(
                AnnotationKind::Primary
                    .span(primary)
                    .label(diag.primary.message.as_str()),
            );
        for label in diag
            .secondary
            .iter()
            .filter(|l| l.span.source == diag.primary.span.source)
        {
            let range = clamp(label.span.start, label.span.end, &file.text);
            snippet = snippet.annotation(
                AnnotationKind::Context
                    .span(range)
                    .label(label.message.as_str()),
            );
        }
        let mut title = level
            .primary_title(diag.message.as_str())
            .id(diag.code.id())
            .element(snippet);
        // Labels in other files (the first rule of a duplicate id) get a snippet each.
        for label in (diag.secondary.iter()).filter(|l| l.span.source != diag.primary.span.source) {
            let other = sources.get(label.span.source);
            let range = clamp(label.span.start, label.span.end, &other.text);
            title = title.element(
                Snippet::source(other.text.as_str())
                    .line_start(1)
                    .path(other.path.to_string_lossy())
                    .fold(true)
                    .annotation(
                        AnnotationKind::Context
                            .span(range)
                            .label(label.message.as_str()),
                    ),
            );
        }
        let mut report = vec![title];
        if let Some(help) = &diag.help {
            report.push(Group::with_title(
                Level::HELP.secondary_title(help.as_str()),
            ));
        }
        self.renderer.render(&report)
    }
}

/// A byte range that lies within `text` on character boundaries.
fn clamp(start: usize, end: usize, text: &str) -> std::ops::Range<usize> {
    let fix = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    fix(start)..fix(end.max(start))
}

/// One diagnostic as a JSON line (`sigil check --format json`).
#[derive(Serialize)]
pub struct JsonDiagnostic<'a> {
    code: &'a str,
    severity: &'a str,
    message: &'a str,
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    label: &'a str,
    help: Option<&'a str>,
}

impl<'a> JsonDiagnostic<'a> {
    /// The JSON form of a diagnostic.
    pub fn new(diag: &'a Diagnostic, sources: &SourceMap) -> Self {
        let file = sources.get(diag.primary.span.source);
        let (line, column) = file.line_col(diag.primary.span.start);
        let (end_line, end_column) = file.line_col(diag.primary.span.end);
        JsonDiagnostic {
            code: diag.code.id(),
            severity: match diag.severity() {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
            message: &diag.message,
            file: file.path.display().to_string(),
            line,
            column,
            end_line,
            end_column,
            label: &diag.primary.message,
            help: diag.help.as_deref(),
        }
    }
}
