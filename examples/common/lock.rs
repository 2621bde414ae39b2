//! The three kinds of file lock a Unix mail spool needs, and why each exists.
//!
//! * **Dotlock** ([`DotLock`]): the file `SPOOL.lock`, created with `O_CREAT|O_EXCL`.
//!   It is the one lock every MTA and MUA on a Unix host agrees on, and it works on old
//!   NFS servers where kernel locks do not. It is only an agreement: a crashed holder
//!   leaves it behind, so a dotlock older than [`LockPolicy::stale_after`] is taken as
//!   stale and removed (with a warning in the log). Holders that work for longer than that
//!   must refresh its mtime; this module's holders keep it for milliseconds. Breaking a
//!   stale lock has a small race that no dotlock scheme avoids: two waiters may both
//!   decide the same lock is stale; the second unlink then removes the first waiter's
//!   fresh lock. The remaining `fcntl` lock still serialises the kernel-locking programs.
//! * **`fcntl` lock** ([`FcntlLock`]): POSIX record lock on the whole file, the kernel lock
//!   that Postfix, Exim and procmail take on Linux (with the dotlock). Caveat: POSIX locks
//!   belong to the *process*, and closing *any* descriptor of the file in the process
//!   drops them. The mbox code therefore keeps a per-process claim
//!   ([`InProcessClaim`]) so no second session in the same server process ever opens a
//!   spool another session is using.
//! * **`flock` lock** ([`try_flock_exclusive`]): belongs to the open file description, so it
//!   also excludes two sessions inside one process. On Linux it does not interact with
//!   `fcntl` locks, so an MTA delivering with dotlock + `fcntl` is *not* held up by it. This
//!   is the lock held for a whole POP3 session (the `[IN-USE]` answer of RFC 2449 §8.1.2).
//!   On NFS, Linux emulates `flock` with a whole-file `fcntl` lock, so there a session also
//!   delays deliveries (MTAs defer and retry; nothing is lost).
//!
//! All waits poll with a short sleep and give up after [`LockPolicy::timeout`]: these are
//! blocking calls, for `spawn_blocking` in an async server.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rustix::fs::FlockOperation;
use rustix::io::Errno;

use super::store::StoreError;

/// How long to wait for locks and when a dotlock counts as abandoned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockPolicy {
    /// Give up waiting for a dotlock or `fcntl` lock after this long. Default 10 s: an
    /// MTA appends one message in far less, and a POP3 client would rather get a
    /// temporary error than hang.
    pub timeout: Duration,
    /// A dotlock whose mtime is older than this is removed as stale. Default 5 minutes,
    /// the figure most dotlock implementations use.
    pub stale_after: Duration,
    /// Sleep between attempts. Default 50 ms.
    pub retry_interval: Duration,
}

impl Default for LockPolicy {
    fn default() -> Self {
        LockPolicy {
            timeout: Duration::from_secs(10),
            stale_after: Duration::from_secs(300),
            retry_interval: Duration::from_millis(50),
        }
    }
}

/// A held dotlock `TARGET.lock`; dropping it removes the file (if it is still ours).
#[derive(Debug)]
pub struct DotLock {
    path: PathBuf,
    /// What we wrote into the lock file (pid, time, counter), so that drop never removes
    /// a lock that someone else created after breaking ours as stale. (The inode cannot
    /// tell: file systems hand a freed inode number out again at once.)
    token: String,
}

impl DotLock {
    /// The dotlock path of `target`: the same path with `.lock` appended.
    pub fn path_for(target: &Path) -> PathBuf {
        let mut name = target.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Creates `TARGET.lock` with `O_EXCL`, waiting while another holder has it and
    /// removing it when it is older than `policy.stale_after`.
    ///
    /// Errors: [`StoreError::LockTimeout`] when `policy.timeout` passes,
    /// [`StoreError::Io`] when the directory refuses the file (permissions).
    pub fn acquire(target: &Path, policy: &LockPolicy) -> Result<DotLock, StoreError> {
        let path = DotLock::path_for(target);
        let deadline = Instant::now() + policy.timeout;
        loop {
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(mut file) => {
                    let token = DotLock::token();
                    if let Err(e) = file.write_all(token.as_bytes()) {
                        let _ = fs::remove_file(&path);
                        return Err(StoreError::io(&path, e));
                    }
                    return Ok(DotLock { path, token });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    if DotLock::is_stale(&path, policy.stale_after) {
                        tracing::warn!(lock = %path.display(), "removing stale dotlock");
                        match fs::remove_file(&path) {
                            Ok(()) => continue,
                            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                            Err(e) => return Err(StoreError::io(&path, e)),
                        }
                    }
                }
                Err(e) => return Err(StoreError::io(&path, e)),
            }
            if Instant::now() >= deadline {
                return Err(StoreError::LockTimeout { path });
            }
            std::thread::sleep(policy.retry_interval);
        }
    }

    /// `PID SECONDS.NANOS COUNTER\n`: unique to one lock on this host. The pid comes
    /// first, to help a person find the holder.
    fn token() -> String {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        format!(
            "{pid} {}.{:09} {count}\n",
            now.as_secs(),
            now.subsec_nanos()
        )
    }

    /// `true` when the lock file's mtime is more than `stale_after` in the past.
    fn is_stale(path: &Path, stale_after: Duration) -> bool {
        let Ok(modified) = fs::metadata(path).and_then(|m| m.modified()) else {
            return false; // vanished meanwhile: the next create attempt will tell
        };
        SystemTime::now()
            .duration_since(modified)
            .is_ok_and(|age| age > stale_after)
    }

    /// Where the lock file is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for DotLock {
    fn drop(&mut self) {
        let ours = fs::read(&self.path).is_ok_and(|contents| contents == self.token.as_bytes());
        if ours {
            if let Err(e) = fs::remove_file(&self.path) {
                tracing::warn!(lock = %self.path.display(), error = %e, "cannot remove dotlock");
            }
        }
    }
}

/// A held POSIX `fcntl` lock on a whole file; dropping it unlocks.
#[derive(Debug)]
pub struct FcntlLock<'f> {
    file: &'f File,
}

impl<'f> FcntlLock<'f> {
    /// Takes a shared (`exclusive == false`) or exclusive lock on `file`, waiting up to
    /// `policy.timeout`. `path` is only for the error.
    pub fn acquire(
        file: &'f File,
        exclusive: bool,
        path: &Path,
        policy: &LockPolicy,
    ) -> Result<FcntlLock<'f>, StoreError> {
        let operation = if exclusive {
            FlockOperation::NonBlockingLockExclusive
        } else {
            FlockOperation::NonBlockingLockShared
        };
        let deadline = Instant::now() + policy.timeout;
        loop {
            match rustix::fs::fcntl_lock(file, operation) {
                Ok(()) => return Ok(FcntlLock { file }),
                // POSIX allows either errno for "held by another process".
                Err(Errno::AGAIN | Errno::ACCESS) => {}
                Err(e) => return Err(StoreError::io(path, e.into())),
            }
            if Instant::now() >= deadline {
                return Err(StoreError::LockTimeout {
                    path: path.to_owned(),
                });
            }
            std::thread::sleep(policy.retry_interval);
        }
    }
}

impl Drop for FcntlLock<'_> {
    fn drop(&mut self) {
        let _ = rustix::fs::fcntl_lock(self.file, FlockOperation::NonBlockingUnlock);
    }
}

/// Takes an exclusive `flock` on `file` without waiting: `Ok(false)` when another open
/// file description (another session, here or in another process) holds it. The lock
/// lasts until `file` is closed.
pub fn try_flock_exclusive(file: &File) -> io::Result<bool> {
    match rustix::fs::flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(Errno::WOULDBLOCK) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Files (device, inode) that a session of this process has claimed.
static CLAIMS: Mutex<Vec<(u64, u64)>> = Mutex::new(Vec::new());

/// A claim by one session of this process on one file, released on drop. See the
/// module docs for why `fcntl` locks need it.
#[derive(Debug)]
pub struct InProcessClaim {
    key: (u64, u64),
}

impl InProcessClaim {
    /// Claims the file with this (device, inode), or `None` when another session of this
    /// process already has it.
    pub fn try_claim(key: (u64, u64)) -> Option<InProcessClaim> {
        let mut claims = CLAIMS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if claims.contains(&key) {
            return None;
        }
        claims.push(key);
        Some(InProcessClaim { key })
    }
}

impl Drop for InProcessClaim {
    fn drop(&mut self) {
        let mut claims = CLAIMS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        claims.retain(|k| *k != self.key);
    }
}
