//! The scanning thread: inputs in (as [`Job`]s), batches of alerts out (as [`Delivery`]s),
//! with the positions to commit once they are delivered.
//!
//! One thread owns the engine, a [`LiveScanner`] and every [`Feed`]. It takes jobs in the
//! order the sources sent them, scans each at once (a pushed piece's matches leave with it),
//! and hands the alerts to the delivery stage with a [`Commit`]: the positions of every input
//! after what was scanned, and the correlation state when it changed. Positions move only
//! with deliveries, so a position is saved only once the matches before it are delivered.
//!
//! The correlation state is saved at most every [`CHECKPOINT_EVERY`]; a batch scanned in
//! between carries no commit (its acknowledgements wait for the next one), so the positions
//! and the correlation state saved always belong together.
//!
//! A new rule set ([`Job::Reload`]) takes effect between two jobs: feeds keep their positions
//! and partial lines, and the correlations whose definition did not change keep their state.

use crate::Notice;
use crate::alert::{Alert, AlertSink};
use crate::metrics::Metrics;
use crate::state::{Commit, FileId, FilePosition, HEAD_DIGEST_BYTES, Positions};
use sigil_engine::correlate::{Correlator, LiveLimits, LiveState};
use sigil_engine::framing::Origin;
use sigil_engine::{Engine, Feed, HuntError, HuntStats, Input, InputSource, LiveScanner};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The least time between two saves of the correlation state.
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// Most alerts a delivery gathers from jobs already waiting, before it leaves.
const BATCH_ALERTS: usize = 2000;

/// The longest an alert waits for more jobs to join its delivery.
const BATCH_AGE: Duration = Duration::from_millis(10);

/// A feed's number, given by its source.
pub type FeedId = u64;

/// What is done once a delivery's matches are delivered and its positions committed (answer an
/// HTTP request, delete a queue message).
pub type Ack = Box<dyn FnOnce() + Send>;

/// A piece of work for the scanning thread.
pub enum Job {
    /// A new feed: a followed file or stdin.
    Open {
        /// Its number.
        feed: FeedId,
        /// Its name.
        source: InputSource,
        /// For a file: its identity and where to resume.
        file: Option<OpenFile>,
    },
    /// The next bytes of a feed.
    Bytes {
        /// The feed.
        feed: FeedId,
        /// Its bytes.
        bytes: Vec<u8>,
    },
    /// A feed ended (stdin closed, a rotated file read to its end).
    End {
        /// The feed.
        feed: FeedId,
    },
    /// A whole input (an HTTP body, an object, a compressed file).
    Whole {
        /// The input.
        input: Input,
        /// Its instance, for match ids.
        instance: String,
        /// For a file read whole: its identity, remembered as done.
        done: Option<FileId>,
        /// What to do once its matches are delivered.
        ack: Option<Ack>,
    },
    /// A file read whole is gone: it need not be remembered any more.
    Forget(FileId),
    /// The `s3://` prefix `0` was read up to key `1`.
    S3Key(String, String),
    /// Scan with these rules from now on.
    Reload(Box<Engine>),
}

/// A followed file, as its feed opens.
pub struct OpenFile {
    /// Its path.
    pub path: PathBuf,
    /// Its device.
    pub dev: u64,
    /// Its inode.
    pub ino: u64,
    /// Its generation (see [`FileId`]).
    pub generation: u32,
    /// Where to resume, and the file's first bytes; `None` to start at its beginning.
    pub resume: Option<(Origin, Vec<u8>)>,
}

/// Alerts to deliver, and what to do once they are.
pub struct Delivery {
    /// The alerts, in order.
    pub alerts: Vec<Alert>,
    /// Run once delivered and committed.
    pub acks: Vec<Ack>,
    /// The positions after these alerts; `None` while the correlation state waits for its
    /// next save (the acks then wait for a later commit).
    pub commit: Option<Commit>,
    /// When the first of the alerts was made.
    pub since: Instant,
}

/// A feed and what the commit needs of it.
struct Fed {
    feed: Feed,
    file: Option<FileFed>,
    instance: String,
}

struct FileFed {
    path: PathBuf,
    dev: u64,
    ino: u64,
    generation: u32,
    /// The file's first bytes, for its identity.
    head: Vec<u8>,
}

/// What the scanning thread works with besides the engine.
pub struct Context {
    /// Jobs in.
    pub jobs: mpsc::Receiver<Job>,
    /// Deliveries out.
    pub deliveries: mpsc::Sender<Delivery>,
    /// The runtime, to wait on the job channel with a timeout.
    pub runtime: tokio::runtime::Handle,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Messages for people.
    pub notices: Sender<Notice>,
    /// The positions saved by the last run.
    pub positions: Positions,
    /// The correlation state saved by the last run.
    pub correlations: Option<LiveState>,
    /// State limits of the live correlations.
    pub limits: LiveLimits,
    /// A random name for this run's stdin, so that its matches' ids are its own.
    pub run: String,
    /// Set to stop: what was scanned is delivered and committed, the rest waits for the next
    /// start.
    pub stop: Arc<AtomicBool>,
    /// Set when every input has ended (stdin was the only one): the correlations are
    /// decided, everything delivered, and the watcher stops.
    pub ended: Arc<AtomicBool>,
}

/// Everything the thread keeps across rule reloads.
struct Scanning {
    context: Context,
    feeds: HashMap<FeedId, Fed>,
    done: Vec<FileId>,
    s3: std::collections::BTreeMap<String, String>,
    pending: Option<Delivery>,
    /// The correlation state changed since it was last saved.
    dirty: bool,
    last_checkpoint: Instant,
    /// Problems met so far (the first are reported one by one, then a count now and then).
    problems: u64,
    /// When the next count of problems is reported.
    next_summary: u64,
}

/// Problems reported one by one; after them, one notice every [`PROBLEMS_SUMMED`].
const PROBLEMS_REPORTED: u64 = 100;

/// See [`PROBLEMS_REPORTED`].
const PROBLEMS_SUMMED: u64 = 10_000;

/// Why the loop over jobs stopped.
enum Next {
    Reload(Box<Engine>),
    /// Stop; `ended`: every input ended, so the correlations waiting are decided.
    Stop {
        ended: bool,
    },
}

/// The longest wait for a job before checking whether to stop or save.
const IDLE_WAIT: Duration = Duration::from_millis(250);

/// Runs the scanning thread until every job sender is gone.
pub fn run(engine: Engine, context: Context) {
    let mut engine = Box::new(engine);
    let mut saved = context.correlations.clone();
    let done = context.positions.done.clone();
    let s3 = context.positions.s3.clone();
    let mut scanning = Scanning {
        context,
        feeds: HashMap::new(),
        done,
        s3,
        pending: None,
        dirty: false,
        last_checkpoint: Instant::now(),
        problems: 0,
        next_summary: 0,
    };
    loop {
        let correlator = Correlator::new(engine.rules());
        let mut scanner = LiveScanner::new(&engine, &correlator, scanning.context.limits);
        let mut sink = AlertSink::new(engine.rules());
        if let Some(state) = saved.take() {
            let kept = scanner.restore_correlations(state);
            scanning.context.metrics.correlations_restored(kept);
        }
        scanning.context.metrics.rules_loaded(engine.rules());
        match scanning.serve(&mut scanner, &mut sink) {
            Next::Reload(next) => {
                saved = scanner.save_correlations();
                drop(scanner);
                drop(correlator);
                engine = next;
            }
            Next::Stop { ended } => {
                if ended {
                    let stats = scanner.finish_correlations(&mut sink);
                    scanning.account(&mut scanner, stats);
                    scanning.collect(&mut sink, None);
                }
                scanning.checkpoint(&scanner, true);
                scanning.flush();
                return;
            }
        }
    }
}

impl Scanning {
    /// Takes jobs until the rules change or the sources are gone.
    fn serve(&mut self, scanner: &mut LiveScanner<'_>, sink: &mut AlertSink) -> Next {
        loop {
            let wait = if self.dirty || self.pending.is_some() {
                CHECKPOINT_EVERY
            } else {
                IDLE_WAIT
            };
            let job = match self.context.jobs.try_recv() {
                Ok(job) => Some(job),
                Err(mpsc::error::TryRecvError::Disconnected) => return Next::Stop { ended: true },
                Err(mpsc::error::TryRecvError::Empty) => {
                    // Nothing waits: what was gathered leaves now.
                    self.checkpoint(scanner, false);
                    self.flush();
                    if self.context.stop.load(Ordering::Relaxed) {
                        return Next::Stop { ended: false };
                    }
                    if self.context.ended.load(Ordering::Acquire) {
                        // The last jobs of the input were sent before its end was told, and
                        // may have come in since the queue looked empty: take them first.
                        match self.context.jobs.try_recv() {
                            Ok(job) => Some(job),
                            Err(_) => return Next::Stop { ended: true },
                        }
                    } else {
                        let jobs = &mut self.context.jobs;
                        match self
                            .context
                            .runtime
                            .block_on(async { tokio::time::timeout(wait, jobs.recv()).await })
                        {
                            Ok(Some(job)) => Some(job),
                            Ok(None) => return Next::Stop { ended: true },
                            Err(_) => None,
                        }
                    }
                }
            };
            let Some(job) = job else {
                continue;
            };
            if let Job::Reload(engine) = job {
                self.checkpoint(scanner, true);
                self.flush();
                return Next::Reload(engine);
            }
            self.job(scanner, sink, job);
            let full = |p: &Delivery| {
                p.alerts.len() >= BATCH_ALERTS
                    || !p.alerts.is_empty() && p.since.elapsed() >= BATCH_AGE
            };
            if self.pending.as_ref().is_some_and(full) {
                self.checkpoint(scanner, false);
                self.flush();
            }
        }
    }

    /// Scans one job.
    fn job(&mut self, scanner: &mut LiveScanner<'_>, sink: &mut AlertSink, job: Job) {
        match job {
            Job::Open { feed, source, file } => {
                let fed = match file {
                    Some(file) => {
                        let instance = format!("{}:{}:{}", file.dev, file.ino, file.generation);
                        let (feed, head) = match file.resume {
                            Some((at, head)) => (Feed::resume(source, at, &head), head),
                            None => (Feed::new(source), Vec::new()),
                        };
                        let mut head = head;
                        head.truncate(HEAD_DIGEST_BYTES);
                        let fed = FileFed {
                            path: file.path,
                            dev: file.dev,
                            ino: file.ino,
                            generation: file.generation,
                            head,
                        };
                        Fed {
                            feed,
                            file: Some(fed),
                            instance,
                        }
                    }
                    None => Fed {
                        feed: Feed::new(source),
                        file: None,
                        instance: self.context.run.clone(),
                    },
                };
                self.feeds.insert(feed, fed);
            }
            Job::Bytes { feed, bytes } => {
                let Some(fed) = self.feeds.get_mut(&feed) else {
                    return;
                };
                if let Some(file) = &mut fed.file
                    && file.head.len() < HEAD_DIGEST_BYTES
                    && fed.feed.position().offset + fed.feed.held() as u64 == file.head.len() as u64
                {
                    let room = HEAD_DIGEST_BYTES - file.head.len();
                    file.head.extend_from_slice(&bytes[..bytes.len().min(room)]);
                }
                sink.instance(&fed.instance);
                let stats = scanner.push(&mut fed.feed, &bytes, sink);
                self.account(scanner, stats);
                self.collect(sink, None);
            }
            Job::End { feed } => {
                if let Some(fed) = self.feeds.remove(&feed) {
                    sink.instance(&fed.instance);
                    let stats = scanner.end(fed.feed, sink);
                    self.account(scanner, stats);
                    self.collect(sink, None);
                }
            }
            Job::Whole {
                input,
                instance,
                done,
                ack,
            } => {
                sink.instance(&instance);
                let stats = scanner.scan_input(input, sink);
                self.account(scanner, stats);
                self.done.extend(done);
                self.collect(sink, ack);
            }
            Job::Forget(id) => self.done.retain(|d| *d != id),
            Job::S3Key(prefix, key) => {
                self.s3.insert(prefix, key);
                self.collect(sink, None);
            }
            Job::Reload(_) => unreachable!("handled by serve"),
        }
    }

    /// Counts what a step scanned, and reports its problems.
    fn account(&mut self, scanner: &mut LiveScanner<'_>, stats: Result<HuntStats, HuntError>) {
        let stats = match stats {
            Ok(stats) => stats,
            // The alert sink never fails; keep the counts all the same.
            Err(error) => *error.stats,
        };
        self.dirty |= scanner.correlations_changed();
        for problem in &stats.problems {
            self.problems += 1;
            if self.problems <= PROBLEMS_REPORTED {
                let _ = self
                    .context
                    .notices
                    .send(Notice::Problem(problem.to_string()));
            }
        }
        self.problems += stats.more_problems;
        if self.problems > PROBLEMS_REPORTED && self.problems >= self.next_summary {
            self.next_summary = self.problems + PROBLEMS_SUMMED;
            let message = format!(
                "{} problems with inputs so far; the first {PROBLEMS_REPORTED} were reported (sigil_bad_records_total counts them)",
                self.problems
            );
            let _ = self.context.notices.send(Notice::Problem(message));
        }
        self.context
            .metrics
            .scanned(scanner.engine().rules(), &stats);
    }

    /// Adds the sink's new alerts (and `ack`) to the delivery being gathered.
    fn collect(&mut self, sink: &mut AlertSink, ack: Option<Ack>) {
        let alerts = sink.take();
        let pending = self.pending.get_or_insert_with(|| Delivery {
            alerts: Vec::new(),
            acks: Vec::new(),
            commit: None,
            since: Instant::now(),
        });
        if pending.alerts.is_empty() {
            pending.since = Instant::now();
        }
        pending.alerts.extend(alerts);
        pending.acks.extend(ack);
    }

    /// Gives the delivery being gathered its commit: always when the correlation state is
    /// saved with it (it changed and the last save is old enough, or `force`), or did not
    /// change; otherwise none.
    fn checkpoint(&mut self, scanner: &LiveScanner<'_>, force: bool) {
        if self.pending.is_none() {
            if !self.dirty {
                return;
            }
            self.pending = Some(Delivery {
                alerts: Vec::new(),
                acks: Vec::new(),
                commit: None,
                since: Instant::now(),
            });
        }
        let correlations = if self.dirty {
            if !force && self.last_checkpoint.elapsed() < CHECKPOINT_EVERY {
                if let Some(pending) = &mut self.pending {
                    pending.commit = None;
                }
                return;
            }
            self.dirty = false;
            self.last_checkpoint = Instant::now();
            let rules = scanner.engine().rules();
            let counts: Vec<(String, _)> = scanner
                .correlation_counts()
                .into_iter()
                .map(|(rule, counts)| (rules.rule(rule).meta.title.clone(), counts))
                .collect();
            self.context.metrics.correlations(&counts);
            scanner
                .save_correlations()
                .map(|state| serde_json::to_string(&state).expect("state serialises"))
        } else {
            None
        };
        let positions = self.positions();
        if let Some(pending) = &mut self.pending {
            pending.commit = Some(Commit {
                positions,
                correlations,
            });
        }
    }

    /// Every input's position now.
    fn positions(&self) -> Positions {
        let mut files: Vec<FilePosition> = self
            .feeds
            .values()
            .filter_map(|fed| {
                let file = fed.file.as_ref()?;
                let at = fed.feed.position();
                Some(FilePosition {
                    path: file.path.clone(),
                    id: FileId::new(file.dev, file.ino, &file.head, file.generation),
                    record: at.index,
                    offset: at.offset,
                })
            })
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Positions {
            files,
            done: self.done.clone(),
            s3: self.s3.clone(),
        }
    }

    /// Sends the delivery gathered, if it has anything to deliver or commit.
    fn flush(&mut self) {
        let Some(pending) = self.pending.take() else {
            return;
        };
        if pending.alerts.is_empty() && pending.acks.is_empty() && pending.commit.is_none() {
            return;
        }
        // The delivery stage gone means the watcher is stopping; nothing more can be sent.
        let _ = self.context.deliveries.blocking_send(pending);
    }
}
