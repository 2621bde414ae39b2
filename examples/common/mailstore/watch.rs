//! Change notification: one ticker per open folder per process, fed by the store's own
//! operations, by file notifications, and by polling where notifications are missing.
//!
//! * One inotify instance for the whole process (one file descriptor and one thread), with
//!   a watch on `new/` and `cur/` of each folder that some session has open. A delivery
//!   (`rename` into `new/`), a flag change (a rename in `cur/`) or an expunge (an unlink)
//!   by another program is an event there. 1,000 idle sessions on one folder share one
//!   ticker and two watches; sessions hold only a `watch::Receiver`.
//! * Only the events that change a directory's entries are asked for (create, delete,
//!   rename, a file closed after writing): not opens and reads, which a FETCH makes by the
//!   hundred and which would wake every session of the folder to sync for nothing.
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

use inotify::{EventMask, Inotify, WatchDescriptor, WatchMask, Watches};
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

/// Watched directory → its folder's ticker, and the watch descriptor → directory map the
/// reader thread looks events up in.
#[derive(Default)]
struct Dirs {
    tickers: HashMap<PathBuf, (WatchDescriptor, Weak<Ticker>)>,
    by_wd: HashMap<WatchDescriptor, PathBuf>,
}

type DirMap = Arc<Mutex<Dirs>>;

/// The events that change a directory's entries (see the module docs).
fn watch_mask() -> WatchMask {
    WatchMask::CREATE
        | WatchMask::DELETE
        | WatchMask::MOVED_FROM
        | WatchMask::MOVED_TO
        | WatchMask::CLOSE_WRITE
        | WatchMask::DELETE_SELF
        | WatchMask::MOVE_SELF
        | WatchMask::ONLYDIR
}

struct Polled {
    dirs: Vec<PathBuf>,
    stamps: Vec<Option<FileStamp>>,
    ticker: Weak<Ticker>,
}

struct Registry {
    /// Watched directories and their tickers; shared with the reader thread.
    dirs: DirMap,
    /// The inotify instance's watch list, `None` when there is no inotify (or polling is
    /// forced).
    watcher: Mutex<Option<Watches>>,
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
        let dirs: DirMap = Arc::new(Mutex::new(Dirs::default()));
        let for_callback = Arc::clone(&dirs);
        let polling_only = *POLLING_ONLY.get_or_init(|| false);
        let watcher = if polling_only {
            None
        } else {
            start_reader(for_callback)
        };
        Registry {
            dirs,
            watcher: Mutex::new(watcher),
            polled: Arc::new(Mutex::new(Vec::new())),
            poller: OnceLock::new(),
        }
    })
}

/// Starts the thread that reads inotify events and ticks the folders they concern; the
/// watch list, or `None` (with a warning) when inotify is not available.
fn start_reader(dirs: DirMap) -> Option<Watches> {
    let mut inotify = match Inotify::init() {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(error = %e, "no file notifications: polling folders");
            return None;
        }
    };
    let watches = inotify.watches();
    let spawned = std::thread::Builder::new()
        .name("pobox-inotify".into())
        .spawn(move || {
            let mut buffer = [0u8; 4096];
            loop {
                let events = match inotify.read_events_blocking(&mut buffer) {
                    Ok(events) => events,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        tracing::error!(error = %e, "reading file notifications failed");
                        return;
                    }
                };
                let map = lock(&dirs);
                for event in events {
                    if event.mask.contains(EventMask::Q_OVERFLOW) {
                        // Events were lost: every folder may have changed.
                        for (_, ticker) in map.tickers.values() {
                            if let Some(t) = ticker.upgrade() {
                                t.tick();
                            }
                        }
                        continue;
                    }
                    let ticker = map
                        .by_wd
                        .get(&event.wd)
                        .and_then(|dir| map.tickers.get(dir))
                        .and_then(|(_, t)| t.upgrade());
                    if let Some(ticker) = ticker {
                        ticker.tick();
                    }
                }
            }
        });
    match spawned {
        Ok(_) => Some(watches),
        Err(e) => {
            tracing::warn!(error = %e, "cannot start the inotify thread: polling folders");
            None
        }
    }
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
        let mut map = lock(&reg.dirs);
        for dir in dirs {
            let added = match watcher.as_mut() {
                Some(w) => match w.add(dir, watch_mask()) {
                    Ok(wd) => Some(wd),
                    Err(e) => {
                        tracing::warn!(dir = %dir.display(), error = %e, "cannot watch: polling it");
                        None
                    }
                },
                None => None,
            };
            match added {
                Some(wd) => {
                    map.by_wd.insert(wd.clone(), dir.clone());
                    map.tickers
                        .insert(dir.clone(), (wd, Arc::downgrade(ticker)));
                    watched.push(dir.clone());
                }
                None => unwatched.push(dir.clone()),
            }
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
        let mut watcher = lock(&reg.watcher);
        let mut map = lock(&reg.dirs);
        for dir in &self.watched {
            if let Some((wd, _)) = map.tickers.remove(dir) {
                map.by_wd.remove(&wd);
                if let Some(w) = watcher.as_mut() {
                    // Fails when the directory is gone (the watch went with it).
                    let _ = w.remove(wd);
                }
            }
        }
    }
}

/// `true` when `dir` is watched through inotify (for tests and logs).
pub fn is_watched(dir: &Path) -> bool {
    REGISTRY
        .get()
        .is_some_and(|reg| lock(&reg.dirs).tickers.contains_key(dir))
}
