//! Change notification: one ticker per open folder per process, fed by the store's own
//! operations, by file notifications, and by polling where notifications are missing.
//!
//! * One inotify instance for the whole process (the `notify` crate's watcher, one file
//!   descriptor and one thread), with a watch on `new/` and `cur/` of each folder that
//!   some session has open. A delivery (`rename` into `new/`), a flag change or an
//!   expunge by another program is an event there. 1,000 idle sessions on one folder
//!   share one ticker and two watches; sessions hold only a `watch::Receiver`.
//! * Where a folder cannot be watched (no inotify, the watch limit reached, a file
//!   system without events), a polling thread (one per process, started when first
//!   needed) compares the directories' stamps every [`POLL_INTERVAL`] and ticks on a
//!   difference.
//! * A tick says only "may have changed": the session then calls `Folder::sync`, which
//!   is cheap when nothing did.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use notify::Watcher;
use tokio::sync::watch;

use super::uidlist::FileStamp;

/// How often the polling fallback looks at folders it cannot watch.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The change counter of one folder in this process.
#[derive(Debug)]
pub struct Ticker {
    tx: watch::Sender<u64>,
}

impl Ticker {
    /// A new ticker at 0.
    pub fn new() -> Ticker {
        Ticker {
            tx: watch::Sender::new(0),
        }
    }

    /// Tells every receiver the folder may have changed.
    pub fn tick(&self) {
        self.tx.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver for a session.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.tx.subscribe()
    }
}

impl Default for Ticker {
    fn default() -> Self {
        Ticker::new()
    }
}

type DirMap = Arc<Mutex<HashMap<PathBuf, Weak<Ticker>>>>;

struct Polled {
    dirs: Vec<PathBuf>,
    stamps: Vec<Option<FileStamp>>,
    ticker: Weak<Ticker>,
}

struct Registry {
    /// Watched directory → its folder's ticker; shared with the watcher's callback.
    dirs: DirMap,
    /// The inotify watcher, `None` when it could not be made (or polling is forced).
    watcher: Mutex<Option<notify::RecommendedWatcher>>,
    /// Folders the poller looks at.
    polled: Arc<Mutex<Vec<Polled>>>,
    poller: OnceLock<()>,
}

static REGISTRY: OnceLock<Registry> = OnceLock::new();
static POLLING_ONLY: OnceLock<bool> = OnceLock::new();

/// Makes this process poll instead of using inotify (tests of the fallback). Must be
/// called before the first folder is watched; returns `false` when it is too late.
pub fn use_polling_only() -> bool {
    POLLING_ONLY.set(true).is_ok() && REGISTRY.get().is_none()
}

fn registry() -> &'static Registry {
    REGISTRY.get_or_init(|| {
        let dirs: DirMap = Arc::new(Mutex::new(HashMap::new()));
        let for_callback = Arc::clone(&dirs);
        let polling_only = *POLLING_ONLY.get_or_init(|| false);
        let watcher = if polling_only {
            None
        } else {
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let Ok(event) = event else { return };
                let map = lock(&for_callback);
                for path in &event.paths {
                    // An entry in a watched directory, or the directory itself (deleted).
                    let ticker = path
                        .parent()
                        .and_then(|dir| map.get(dir))
                        .or_else(|| map.get(path.as_path()))
                        .and_then(Weak::upgrade);
                    if let Some(ticker) = ticker {
                        ticker.tick();
                    }
                }
            })
            .map_err(|e| tracing::warn!(error = %e, "no file notifications: polling folders"))
            .ok()
        };
        Registry {
            dirs,
            watcher: Mutex::new(watcher),
            polled: Arc::new(Mutex::new(Vec::new())),
            poller: OnceLock::new(),
        }
    })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A folder's registration; dropping it removes the watches.
#[derive(Debug)]
pub struct Watch {
    watched: Vec<PathBuf>,
}

/// Watches `dirs` (a folder's `new/` and `cur/`) for `ticker`.
pub fn watch(dirs: &[PathBuf], ticker: &Arc<Ticker>) -> Watch {
    let reg = registry();
    let mut watched = Vec::new();
    let mut unwatched = Vec::new();
    {
        let mut watcher = lock(&reg.watcher);
        for dir in dirs {
            let ok = match watcher.as_mut() {
                Some(w) => match w.watch(dir, notify::RecursiveMode::NonRecursive) {
                    Ok(()) => true,
                    Err(e) => {
                        tracing::warn!(dir = %dir.display(), error = %e, "cannot watch: polling it");
                        false
                    }
                },
                None => false,
            };
            if ok {
                watched.push(dir.clone());
            } else {
                unwatched.push(dir.clone());
            }
        }
    }
    {
        let mut map = lock(&reg.dirs);
        for dir in &watched {
            map.insert(dir.clone(), Arc::downgrade(ticker));
        }
    }
    if !unwatched.is_empty() {
        let stamps = unwatched.iter().map(|d| FileStamp::at(d)).collect();
        lock(&reg.polled).push(Polled {
            dirs: unwatched,
            stamps,
            ticker: Arc::downgrade(ticker),
        });
        start_poller(reg);
    }
    Watch { watched }
}

fn start_poller(reg: &'static Registry) {
    reg.poller.get_or_init(|| {
        let polled = Arc::clone(&reg.polled);
        let spawned = std::thread::Builder::new()
            .name("pobox-maildir-poll".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(POLL_INTERVAL);
                    let mut list = lock(&polled);
                    list.retain(|p| p.ticker.strong_count() > 0);
                    for p in list.iter_mut() {
                        let now: Vec<Option<FileStamp>> =
                            p.dirs.iter().map(|d| FileStamp::at(d)).collect();
                        if now != p.stamps {
                            p.stamps = now;
                            if let Some(t) = p.ticker.upgrade() {
                                t.tick();
                            }
                        }
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start the Maildir polling thread");
        }
    });
}

impl Drop for Watch {
    fn drop(&mut self) {
        let Some(reg) = REGISTRY.get() else { return };
        {
            let mut map = lock(&reg.dirs);
            for dir in &self.watched {
                map.remove(dir);
            }
        }
        let mut watcher = lock(&reg.watcher);
        if let Some(w) = watcher.as_mut() {
            for dir in &self.watched {
                let _ = w.unwatch(dir);
            }
        }
    }
}

/// `true` when `dir` is watched through inotify (for tests and logs).
pub fn is_watched(dir: &Path) -> bool {
    REGISTRY
        .get()
        .is_some_and(|reg| lock(&reg.dirs).contains_key(dir))
}
