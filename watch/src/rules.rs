//! Rules, and reloading them: on `SIGHUP`, or when a file under the rule paths changes.
//!
//! A reload loads every rule again and builds a new engine, off the scanning thread; the
//! scanner switches between two jobs, keeping every position and partial line, and the state
//! of each correlation whose definition did not change. A rule set that no longer loads
//! cleanly (any rule refused, or none left) is not used: the rules in force stay, and a
//! [`Notice::ReloadRefused`] carries the diagnostics that say why.
//!
//! Changes are found by polling: the size and modification time of every file under the rule
//! paths, every [`RuleSource::poll`].

use crate::Notice;
use crate::metrics::Metrics;
use crate::scan::Job;
use sigil_compiler::{LoadOptions, Loaded};
use sigil_engine::{Engine, ScanOptions};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::Duration;
use tokio::sync::mpsc;

/// Where the rules come from, and how they are compiled.
#[derive(Clone, Debug)]
pub struct RuleSource {
    /// Rule files and folders.
    pub paths: Vec<PathBuf>,
    /// How they are loaded.
    pub load: LoadOptions,
    /// How they are scanned.
    pub scan: ScanOptions,
    /// How often the files are checked for changes.
    pub poll: Duration,
}

impl RuleSource {
    /// Loads the rules and builds an engine; the load itself when it refused any rule or
    /// loaded none.
    pub fn engine(&self) -> Result<Engine, Box<Loaded>> {
        let loaded = sigil_compiler::load_paths(&self.paths, &self.load);
        if loaded.refused > 0 || loaded.rules.is_empty() {
            return Err(Box::new(loaded));
        }
        Ok(Engine::new(loaded.rules, self.scan.clone()))
    }

    /// A digest of the sizes and modification times of the rule files (and the placeholder
    /// file): it changes when a file is added, removed or written.
    pub fn fingerprint(&self) -> u64 {
        let mut hasher = DefaultHasher::new();
        let files = self.paths.iter().chain(self.load.placeholder_file.as_ref());
        for path in files {
            for entry in walkdir::WalkDir::new(path)
                .sort_by_file_name()
                .into_iter()
                .flatten()
            {
                let Ok(meta) = entry.metadata() else { continue };
                entry.path().hash(&mut hasher);
                meta.len().hash(&mut hasher);
                meta.modified().ok().hash(&mut hasher);
            }
        }
        hasher.finish()
    }
}

/// Reloads the rules when told to (`SIGHUP`) or when they change, sending each new engine to
/// the scanner; runs until the scanner is gone.
pub async fn reload(
    source: RuleSource,
    jobs: mpsc::Sender<Job>,
    metrics: Arc<Metrics>,
    notices: Sender<Notice>,
) {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangup = signal(SignalKind::hangup()).ok();
    let mut seen = source.fingerprint();
    loop {
        let told = async {
            match &mut hangup {
                Some(hangup) => hangup.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            // Told: load whatever the files hold now, and do not load this change again when
            // the next poll sees it.
            _ = told => seen = source.fingerprint(),
            _ = tokio::time::sleep(source.poll) => {
                let now = source.fingerprint();
                if now == seen {
                    continue;
                }
                seen = now;
            }
        }
        let loading = source.clone();
        let Ok(loaded) = tokio::task::spawn_blocking(move || loading.engine()).await else {
            return;
        };
        match loaded {
            Ok(engine) => {
                let rules = engine.rules().len();
                if jobs.send(Job::Reload(Box::new(engine))).await.is_err() {
                    return;
                }
                metrics.add("sigil_reloads_total", &[("outcome", "ok")], 1.0);
                let _ = notices.send(Notice::Reloaded { rules });
            }
            Err(loaded) => {
                metrics.add("sigil_reloads_total", &[("outcome", "refused")], 1.0);
                let _ = notices.send(Notice::ReloadRefused(loaded));
            }
        }
    }
}
