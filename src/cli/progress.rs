//! The progress line of a hunt on a terminal: inputs done of all, bytes done of all, an
//! estimate of the time left; cleared when the hunt ends.

use super::Color;
use super::diagnostics::use_color;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sigil_engine::{HuntStats, Total};
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A hunt's progress on stderr, when stderr is a terminal (hidden otherwise).
pub struct Progress {
    bar: ProgressBar,
    /// Inputs begun, and inputs in all (0 when not known).
    files: AtomicU64,
    total_files: u64,
    /// Bytes scanned (decompressed), for sources of unknown size.
    scanned: AtomicU64,
    sized: bool,
    /// More to say first, asked at each update (what S3 reads did).
    detail: Option<Box<dyn Fn() -> String + Send + Sync>>,
}

impl Progress {
    /// A progress line for a source that will deliver `total` (when it knows).
    pub fn new(color: Color, total: Option<Total>) -> Progress {
        let sized = total.is_some_and(|t| t.bytes > 0);
        let bar = if !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else if sized {
            ProgressBar::new(total.map_or(0, |t| t.bytes))
        } else {
            ProgressBar::new_spinner()
        };
        let colored = use_color(color, true);
        let template = match (sized, colored) {
            (true, true) => {
                "{spinner:.cyan} {msg} {bytes}/{total_bytes} ({percent}%), {elapsed}, about {eta} left"
            }
            (true, false) => {
                "{spinner} {msg} {bytes}/{total_bytes} ({percent}%), {elapsed}, about {eta} left"
            }
            (false, true) => "{spinner:.cyan} {msg} {elapsed}",
            (false, false) => "{spinner} {msg} {elapsed}",
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        let progress = Progress {
            bar,
            files: AtomicU64::new(0),
            total_files: total.map_or(0, |t| t.inputs),
            scanned: AtomicU64::new(0),
            sized,
            detail: None,
        };
        progress.show();
        progress
    }

    /// Counts one finished unit of work (called from the workers).
    pub fn unit(&self, stats: &HuntStats) {
        self.files.fetch_add(stats.files, Ordering::Relaxed);
        self.scanned.fetch_add(stats.bytes, Ordering::Relaxed);
        self.bar.inc(stats.stored_bytes);
        self.show();
    }

    /// Says `detail()` first on the line, at each update.
    pub fn with_detail(mut self, detail: impl Fn() -> String + Send + Sync + 'static) -> Progress {
        self.detail = Some(Box::new(detail));
        self.show();
        self
    }

    fn show(&self) {
        let files = self.files.load(Ordering::Relaxed);
        let mut message = self
            .detail
            .as_ref()
            .map_or_else(String::new, |detail| detail() + " ");
        if self.sized {
            message += &format!("{files}/{} files,", self.total_files);
        } else {
            let scanned = indicatif::HumanBytes(self.scanned.load(Ordering::Relaxed));
            message += &format!("{files} inputs, {scanned} scanned,");
        }
        self.bar.set_message(message);
    }

    /// `out` wrapped so that the progress line is taken off the screen while it writes (the
    /// matches and the progress line may share one terminal).
    pub fn writer<W: Write + Send>(&self, out: W) -> impl Write + Send {
        Suspending {
            bar: self.bar.clone(),
            out,
        }
    }

    /// Clears the progress line.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
        self.bar.set_draw_target(ProgressDrawTarget::hidden());
    }
}

/// A writer that hides the progress line while it writes.
struct Suspending<W> {
    bar: ProgressBar,
    out: W,
}

impl<W: Write> Write for Suspending<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.bar.is_hidden() {
            return self.out.write(buf);
        }
        self.bar.suspend(|| self.out.write(buf))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if self.bar.is_hidden() {
            return self.out.write_all(buf);
        }
        self.bar.suspend(|| self.out.write_all(buf))
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        if self.bar.is_hidden() {
            return self.out.write_vectored(bufs);
        }
        self.bar.suspend(|| self.out.write_vectored(bufs))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
