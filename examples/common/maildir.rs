//! Maildir: one file per message in `new/` (not yet seen by any reader) or `cur/`, written
//! in `tmp/` first and moved in by `rename`, so a reader never sees half a message.
//!
//! * **Names.** `UNIQUE[:INFO]`. The unique part never changes; `:2,LETTERS` carries the
//!   flags ([`Flags`]). The POP3 unique id is the unique part, so it is stable across
//!   sessions, across the new/ → cur/ move and across flag changes. A unique part that is
//!   not a valid UIDL (RFC 1939 §7: 1–70 chars of 0x21–0x7E, e.g. a long or non-ASCII
//!   name) is replaced by the MD5 hex digest of its bytes, which is just as stable.
//! * **Opening** takes the session lock (below), moves every message of new/ to cur/ with
//!   an empty `:2,` info as Maildir readers do, then lists cur/ sorted by mtime (the
//!   delivery time, also IMAP's INTERNALDATE) and name. Sizes are counted once at open by
//!   reading each file ([`wire_size`]); the bytes are not kept.
//! * **Deletion** is by `unlink`, only in [`Maildir::commit`] (RFC 1939 §6 UPDATE). A
//!   dropped session deletes nothing.
//! * **Other readers** (an IMAP server, a MUA) may rename a file (flags) or delete it at
//!   any time, since Maildir needs no lock. A file missing under its listed name is looked
//!   up again by its unique part; if it is gone, [`Maildir::read`] returns
//!   [`StoreError::Vanished`] and [`Maildir::commit`] counts it in
//!   [`CommitSummary::already_gone`].
//!
//! **Concurrent sessions.** The format has no lock, and Dovecot takes none for POP3 on
//! Maildir by default. Two POP3 sessions on one Maildir would still see each other's
//! deletions as vanished messages, and a client's UIDL bookkeeping gets confused; so a
//! session holds an `flock` on `pobox-session.lock` in the Maildir's root for its whole
//! life, and a second session gets [`StoreError::InUse`] (POP3 `-ERR [IN-USE]`). Only
//! pobox knows that lock: other programs are handled by the vanishing rules above.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use super::flags::Flags;
use super::lock::try_flock_exclusive;
use pobox::pop3::server::UniqueId;
use pobox::pop3::wire_size;

use super::store::{CommitSummary, MessageInfo, StoreError, md5_id};

/// The session lock file in a Maildir's root.
pub const SESSION_LOCK: &str = "pobox-session.lock";

/// A Maildir opened for a session.
#[derive(Debug)]
pub struct Maildir {
    root: PathBuf,
    messages: Vec<MessageInfo>,
    /// The current file name in cur/ of each listed message.
    files: Vec<OsString>,
    /// Holds the `flock` for the session; closing it releases the lock.
    _session_lock: File,
}

impl Maildir {
    /// Opens the Maildir at `root` for a session (see the module docs).
    pub fn open(root: &Path) -> Result<Maildir, StoreError> {
        for sub in ["cur", "new"] {
            if !root.join(sub).is_dir() {
                return Err(StoreError::NoMailbox {
                    path: root.to_owned(),
                });
            }
        }
        let lock_path = root.join(SESSION_LOCK);
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|e| StoreError::io(&lock_path, e))?;
        if !try_flock_exclusive(&lock).map_err(|e| StoreError::io(&lock_path, e))? {
            return Err(StoreError::InUse {
                path: root.to_owned(),
            });
        }

        move_new_to_cur(root)?;
        let (messages, files) = scan_cur(&root.join("cur"))?;
        Ok(Maildir {
            root: root.to_owned(),
            messages,
            files,
            _session_lock: lock,
        })
    }

    /// The listing taken at open.
    pub fn messages(&self) -> &[MessageInfo] {
        &self.messages
    }

    /// Reads the message at `index` in one read of its file.
    pub fn read(&self, index: usize) -> Result<Bytes, StoreError> {
        let (info, name) = self.entry(index)?;
        let cur = self.root.join("cur");
        match fs::read(cur.join(name)) {
            Ok(data) => return Ok(Bytes::from(data)),
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(StoreError::io(&cur.join(name), e));
            }
            Err(_) => {}
        }
        // Renamed by another reader (flags changed)? Look it up by its unique part.
        let renamed = find_by_unique(&cur, name)?.ok_or_else(|| StoreError::Vanished {
            uid: info.uid.to_string(),
        })?;
        match fs::read(cur.join(&renamed)) {
            Ok(data) => Ok(Bytes::from(data)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(StoreError::Vanished {
                uid: info.uid.to_string(),
            }),
            Err(e) => Err(StoreError::io(&cur.join(renamed), e)),
        }
    }

    /// Replaces the flags of the message at `index` by renaming its file in cur/.
    pub fn set_flags(&mut self, index: usize, flags: Flags) -> Result<(), StoreError> {
        let (info, name) = self.entry(index)?;
        let cur = self.root.join("cur");
        let current = if cur.join(name).exists() {
            name.to_owned()
        } else {
            find_by_unique(&cur, name)?.ok_or_else(|| StoreError::Vanished {
                uid: info.uid.to_string(),
            })?
        };
        let mut new_name = unique_part(&current).to_owned();
        new_name.push(flags.info_suffix());
        fs::rename(cur.join(&current), cur.join(&new_name)).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => StoreError::Vanished {
                uid: info.uid.to_string(),
            },
            _ => StoreError::io(&cur.join(&current), e),
        })?;
        if let (Some(file), Some(message)) =
            (self.files.get_mut(index), self.messages.get_mut(index))
        {
            *file = new_name;
            message.flags = flags;
        }
        Ok(())
    }

    /// Unlinks the messages at `deleted` (sorted, deduplicated, in range: see
    /// [`super::store::Mailbox::commit`]) and syncs cur/, then releases the session lock.
    pub fn commit(self, deleted: &[usize]) -> Result<CommitSummary, StoreError> {
        let cur = self.root.join("cur");
        let mut summary = CommitSummary::default();
        for &index in deleted {
            let (_, name) = self.entry(index)?;
            match fs::remove_file(cur.join(name)) {
                Ok(()) => summary.deleted += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    match find_by_unique(&cur, name)? {
                        Some(renamed) => match fs::remove_file(cur.join(&renamed)) {
                            Ok(()) => summary.deleted += 1,
                            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                                summary.already_gone += 1
                            }
                            Err(e) => return Err(StoreError::io(&cur.join(renamed), e)),
                        },
                        None => summary.already_gone += 1,
                    }
                }
                Err(e) => return Err(StoreError::io(&cur.join(name), e)),
            }
        }
        if summary.deleted > 0 {
            sync_dir(&cur)?;
        }
        Ok(summary)
    }

    fn entry(&self, index: usize) -> Result<(&MessageInfo, &OsStr), StoreError> {
        match (self.messages.get(index), self.files.get(index)) {
            (Some(info), Some(name)) => Ok((info, name.as_os_str())),
            _ => Err(StoreError::NoSuchMessage { index }),
        }
    }
}

/// The unique part of a Maildir file name: everything before the first `:`.
pub fn unique_part(name: &OsStr) -> &OsStr {
    let bytes = name.as_bytes();
    let end = memchr::memchr(b':', bytes).unwrap_or(bytes.len());
    OsStr::from_bytes(bytes.get(..end).unwrap_or(bytes))
}

/// The POP3 unique id for a file name: its unique part, or the MD5 hex digest of the
/// unique part when that is not a valid UIDL.
pub fn unique_id(name: &OsStr) -> UniqueId {
    let unique = unique_part(name);
    unique
        .to_str()
        .and_then(|u| UniqueId::new(u).ok())
        .unwrap_or_else(|| md5_id(unique.as_bytes()))
}

/// Moves every message of new/ to cur/ with an empty `:2,` info (as a Maildir reader
/// does when it first sees them). Files another reader moved first are skipped; a name
/// that already exists in cur/ is left in new/ with a warning rather than overwritten.
fn move_new_to_cur(root: &Path) -> Result<(), StoreError> {
    let new = root.join("new");
    let cur = root.join("cur");
    for entry in fs::read_dir(&new).map_err(|e| StoreError::io(&new, e))? {
        let entry = entry.map_err(|e| StoreError::io(&new, e))?;
        let name = entry.file_name();
        if name.as_bytes().starts_with(b".") {
            continue;
        }
        let mut target = name.clone();
        if memchr::memchr(b':', name.as_bytes()).is_none() {
            target.push(":2,");
        }
        if cur.join(&target).exists() {
            tracing::warn!(file = ?name, "not moving new/ message: same name already in cur/");
            continue;
        }
        match fs::rename(new.join(&name), cur.join(&target)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {} // another reader moved it
            Err(e) => return Err(StoreError::io(&new.join(&name), e)),
        }
    }
    Ok(())
}

/// Lists cur/: reads each file once for its size; files that vanish meanwhile are
/// skipped. Sorted by mtime, then name.
fn scan_cur(cur: &Path) -> Result<(Vec<MessageInfo>, Vec<OsString>), StoreError> {
    let mut found = Vec::new();
    for entry in fs::read_dir(cur).map_err(|e| StoreError::io(cur, e))? {
        let entry = entry.map_err(|e| StoreError::io(cur, e))?;
        let name = entry.file_name();
        if name.as_bytes().starts_with(b".") {
            continue;
        }
        let path = cur.join(&name);
        let (data, modified) = match read_with_mtime(&path) {
            Ok(Some(found)) => found,
            Ok(None) => continue, // not a regular file
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(StoreError::io(&path, e)),
        };
        let flags = name
            .to_str()
            .and_then(|n| n.split_once(':'))
            .map_or(Flags::EMPTY, |(_, info)| Flags::from_info(info));
        found.push((modified, name, wire_size(&data), flags));
    }
    found.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));

    let mut messages: Vec<MessageInfo> = Vec::with_capacity(found.len());
    let mut files = Vec::with_capacity(found.len());
    let mut seen = std::collections::HashSet::new();
    for (internal_date, name, size, flags) in found {
        let mut uid = unique_id(&name);
        if !seen.insert(uid.clone()) {
            // Two files with one unique part: a broken Maildir. Keep both, telling them
            // apart by the whole name.
            tracing::warn!(file = ?name, "duplicate Maildir unique name");
            uid = md5_id(name.as_bytes());
            seen.insert(uid.clone());
        }
        messages.push(MessageInfo {
            uid,
            size,
            flags,
            internal_date,
        });
        files.push(name);
    }
    Ok((messages, files))
}

/// Reads a regular file and its mtime, or `None` for anything else.
fn read_with_mtime(path: &Path) -> io::Result<Option<(Vec<u8>, SystemTime)>> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(None);
    }
    let mut data = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    io::Read::read_to_end(&mut &file, &mut data)?;
    Ok(Some((data, meta.modified()?)))
}

/// The name of the file in cur/ whose unique part is that of `name`, if any.
fn find_by_unique(cur: &Path, name: &OsStr) -> Result<Option<OsString>, StoreError> {
    let unique = unique_part(name);
    for entry in fs::read_dir(cur).map_err(|e| StoreError::io(cur, e))? {
        let entry = entry.map_err(|e| StoreError::io(cur, e))?;
        if unique_part(&entry.file_name()) == unique {
            return Ok(Some(entry.file_name()));
        }
    }
    Ok(None)
}

/// A new unique name: `SECONDS.MmicrosPpidQcount.HOST`, unique within this process by
/// the counter and across processes by the pid, with `/` and `:` in the host name
/// written as `\057` and `\072` as the Maildir specification asks.
pub fn unique_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let host = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .replace('/', "\\057")
        .replace(':', "\\072");
    format!(
        "{}.M{}P{}Q{}.{}",
        now.as_secs(),
        now.subsec_micros(),
        std::process::id(),
        count,
        host
    )
}

/// Delivers `message` into the Maildir at `root` as an MTA or IMAP APPEND does: writes
/// `tmp/NAME`, sets its mtime to `internal_date` (when given), syncs it, then renames it
/// to `new/NAME` (no flags) or `cur/NAME:2,FLAGS`. Returns the new message's unique id.
/// Creates tmp/ when missing (git does not keep empty directories).
pub fn deliver(
    root: &Path,
    message: &[u8],
    flags: Flags,
    internal_date: Option<SystemTime>,
) -> Result<UniqueId, StoreError> {
    if !root.join("cur").is_dir() || !root.join("new").is_dir() {
        return Err(StoreError::NoMailbox {
            path: root.to_owned(),
        });
    }
    let tmp = root.join("tmp");
    fs::create_dir_all(&tmp).map_err(|e| StoreError::io(&tmp, e))?;
    let name = unique_name();
    let tmp_path = tmp.join(&name);
    let write = || -> io::Result<()> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp_path)?;
        file.write_all(message)?;
        if let Some(date) = internal_date {
            file.set_modified(date)?;
        }
        file.sync_all()
    };
    if let Err(e) = write() {
        let _ = fs::remove_file(&tmp_path);
        return Err(StoreError::io(&tmp_path, e));
    }
    let target = if flags.is_empty() {
        root.join("new").join(&name)
    } else {
        root.join("cur")
            .join(format!("{name}{}", flags.info_suffix()))
    };
    fs::rename(&tmp_path, &target).map_err(|e| StoreError::io(&target, e))?;
    let dir = target.parent().unwrap_or(root);
    sync_dir(dir)?;
    Ok(unique_id(OsStr::new(&name)))
}

/// Makes a directory's entries durable (renames and unlinks in it).
pub fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(dir, e))
}
