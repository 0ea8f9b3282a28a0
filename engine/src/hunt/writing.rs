//! The hunt's output side: scanned units' batches handed to the sink in input order, on a
//! thread of its own, while the workers scan the next units.
//!
//! ```text
//! workers ─(index, outcome)─▶ channel ─▶ writer thread: reorders, Sink::write, counts written
//!    ▲                                                                     │
//!    └── driver: next wave once all but the last unit of the wave before are written
//! ```
//!
//! Units finish out of order on several threads; the writer holds those that come early until
//! the ones before them are written. The driver starts a wave only once every unit of the wave
//! before but its last is written, so the output held in memory stays about one wave's, however
//! slow the sink, and the write of a wave's last unit overlaps the scan of the next wave.

use super::stats::HuntStats;
use super::{Mapped, UnitOutcome};
use crate::sink::{Sink, SinkError};
use std::collections::BTreeMap;
use std::io;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError, mpsc};

/// The sink shared by the driver (which takes empty batches from it) and the writer thread
/// (which writes full ones), and how far the writer has got.
pub(super) struct Writing<'s, S> {
    sink: Mutex<&'s mut S>,
    progress: Mutex<Progress>,
    /// Signalled whenever `progress` changes.
    changed: Condvar,
}

/// How far the writer has got.
#[derive(Default)]
struct Progress {
    /// Units written (or, after an error, dropped), from the first.
    written: usize,
    /// Whether the writer stopped taking batches: the sink failed, or the writer ended.
    stopped: bool,
}

impl<'s, S: Sink> Writing<'s, S> {
    /// The writing of `sink`.
    pub(super) fn new(sink: &'s mut S) -> Self {
        Writing {
            sink: Mutex::new(sink),
            progress: Mutex::new(Progress::default()),
            changed: Condvar::new(),
        }
    }

    /// `len` empty batches for the units of a wave.
    pub(super) fn batches(&self, len: usize) -> Vec<S::Batch> {
        let mut sink = self.sink();
        (0..len).map(|_| sink.batch()).collect()
    }

    /// Waits until the first `units` units are written; false if the writer stopped first.
    pub(super) fn wait_for(&self, units: usize) -> bool {
        let progress = lock(&self.progress);
        let progress = self
            .changed
            .wait_while(progress, |p| p.written < units && !p.stopped)
            .unwrap_or_else(PoisonError::into_inner);
        !progress.stopped
    }

    /// The writer thread's work: receives each unit's outcome with its index among all units,
    /// and writes the units in order (see [`write_unit`]). After an error of the sink, the
    /// units that come are dropped and the error is returned once the channel closes.
    pub(super) fn write_in_order(
        &self,
        outcomes: mpsc::Receiver<(usize, UnitOutcome<S::Batch>)>,
        stats: &mut HuntStats,
    ) -> Result<(), SinkError> {
        // Says the writer stopped however it ends, a panic of the sink included, so that the
        // driver never waits for it in vain.
        let _stopped = StopOnDrop(self);
        let mut waiting = BTreeMap::new();
        let mut written = Ok(());
        let mut next = 0;
        for (index, outcome) in outcomes {
            waiting.insert(index, outcome);
            while let Some(outcome) = waiting.remove(&next) {
                next += 1;
                if written.is_ok() {
                    written = write_unit(outcome, *self.sink(), stats);
                }
                self.update(|p| {
                    p.written = next;
                    p.stopped |= written.is_err();
                });
            }
        }
        written
    }

    fn sink(&self) -> MutexGuard<'_, &'s mut S> {
        lock(&self.sink)
    }

    fn update(&self, change: impl FnOnce(&mut Progress)) {
        change(&mut lock(&self.progress));
        self.changed.notify_all();
    }
}

/// Marks the writing stopped when dropped.
struct StopOnDrop<'w, 's, S: Sink>(&'w Writing<'s, S>);

impl<S: Sink> Drop for StopOnDrop<'_, '_, S> {
    fn drop(&mut self) {
        self.0.update(|p| p.stopped = true);
    }
}

/// Locks `mutex`, even if a thread panicked while holding it: the panic is passed on where that
/// thread is joined, and the data stays usable until then.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Merges a scanned unit's statistics into `stats`, then writes its batch to `sink` (if the
/// sink did not refuse a match of the unit, and the batch was kept).
///
/// The batch of a unit read through a memory map may hold events to write from the map: the
/// kernel reads them there during the write, where a file that shrank raises no fault. So
/// the file is asked for its size first: if it shrank since the scan, the unit is discarded
/// and the file reported, as a shrink seen during the scan is, and the hunt goes on. If it
/// shrinks during the write, the events may have been cut short or written as zeros: the
/// hunt stops with an error naming the file, so the output is never silently wrong.
pub(super) fn write_unit<S: Sink>(
    outcome: UnitOutcome<S::Batch>,
    sink: &mut S,
    stats: &mut HuntStats,
) -> Result<(), SinkError> {
    let UnitOutcome {
        mut batch,
        stats: mut unit_stats,
        result,
        mapped,
    } = outcome;
    if let Some(Mapped { block, source }) = &mapped
        && batch.is_some()
        && block.shrunk_now()
    {
        unit_stats.discard_shrunk(block, source);
        batch = None;
    }
    stats.merge(unit_stats);
    result?;
    let Some(batch) = batch else {
        return Ok(());
    };
    let written = sink.write(batch);
    match &mapped {
        Some(Mapped { block, source }) if block.shrunk_now() => {
            Err(SinkError::Write(io::Error::other(format!(
                "{source}: the file shrank while matches read from it were written; their \
                 events may be cut short or zeros in the output"
            ))))
        }
        _ => written,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RecordView;
    use crate::correlate::CorrelationMatch;
    use crate::sink::{Batch, MatchRecord};
    use sigil_compiler::Rule;

    /// A batch that is only its unit's number.
    struct Numbered(u64);

    impl Batch for Numbered {
        fn matched(&mut self, _: &MatchRecord<'_>, _: &RecordView<'_>) -> Result<(), SinkError> {
            Ok(())
        }
    }

    /// Records the numbers of the batches written; refuses the one numbered `refused`.
    struct Written {
        numbers: Vec<u64>,
        refused: Option<u64>,
    }

    impl Sink for Written {
        type Batch = Numbered;
        fn batch(&mut self) -> Numbered {
            Numbered(0)
        }
        fn write(&mut self, batch: Numbered) -> Result<(), SinkError> {
            if self.refused == Some(batch.0) {
                return Err(SinkError::Closed);
            }
            self.numbers.push(batch.0);
            Ok(())
        }
        fn correlation(&mut self, _: &Rule, _: &CorrelationMatch) -> Result<(), SinkError> {
            Ok(())
        }
    }

    /// The outcome of scanning unit `unit`, with its index: its batch numbered as the unit,
    /// its statistics counting one file.
    fn outcome(unit: usize) -> (usize, UnitOutcome<Numbered>) {
        let stats = HuntStats {
            files: 1,
            ..HuntStats::default()
        };
        let outcome = UnitOutcome {
            batch: Some(Numbered(unit as u64)),
            stats,
            result: Ok(()),
            mapped: None,
        };
        (unit, outcome)
    }

    /// Sends the outcomes of units 0..n, whose statistics count one file each, in `order`,
    /// and writes them with `refused` refused. Returns the numbers written, the files counted
    /// and the writer's result.
    fn write(order: &[usize], refused: Option<u64>) -> (Vec<u64>, u64, Result<(), SinkError>) {
        let (sent, outcomes) = mpsc::channel();
        for &unit in order {
            sent.send(outcome(unit)).unwrap();
        }
        drop(sent);
        let mut sink = Written {
            numbers: Vec::new(),
            refused,
        };
        let mut stats = HuntStats::default();
        let writing = Writing::new(&mut sink);
        let written = writing.write_in_order(outcomes, &mut stats);
        assert!(!writing.wait_for(order.len()), "the writer says it stopped");
        (sink.numbers, stats.files, written)
    }

    #[test]
    fn units_scanned_out_of_order_are_written_in_order() {
        let order = [3, 1, 0, 2, 7, 4, 6, 5];
        let (numbers, files, written) = write(&order, None);
        assert_eq!(numbers, (0..8).collect::<Vec<_>>());
        assert_eq!(files, 8);
        assert!(written.is_ok());
    }

    #[test]
    fn a_refused_batch_stops_the_writing_and_the_statistics_at_its_unit() {
        let order = [5, 0, 7, 2, 1, 3, 6, 4];
        let (numbers, files, written) = write(&order, Some(4));
        assert_eq!(numbers, [0, 1, 2, 3]);
        // The refused unit's statistics are merged (it was scanned), later units' are not.
        assert_eq!(files, 5);
        assert!(matches!(written, Err(SinkError::Closed)));
    }

    #[test]
    fn the_driver_waits_for_the_units_written_and_not_for_a_stopped_writer() {
        let mut sink = Written {
            numbers: Vec::new(),
            refused: Some(2),
        };
        let mut stats = HuntStats::default();
        let writing = Writing::new(&mut sink);
        let (sent, outcomes) = mpsc::channel();
        std::thread::scope(|scope| {
            let writer = scope.spawn(|| writing.write_in_order(outcomes, &mut stats));
            for unit in 0..2 {
                sent.send(outcome(unit)).unwrap();
            }
            assert!(writing.wait_for(2), "units 0 and 1 are written");
            sent.send(outcome(2)).unwrap();
            // Unit 2 is refused: waiting for unit 5 returns at once, saying the writer stopped.
            assert!(!writing.wait_for(5));
            drop(sent);
            assert!(writer.join().unwrap().is_err());
        });
    }
}
