//! `dovecot-uidlist`: the IMAP UIDs of one Maildir folder, in Dovecot's own format and
//! under Dovecot's own lock, so that Dovecot and pobox can serve the same Maildir (one
//! after the other, or at the same time) without clients seeing new UIDs.
//!
//! Facts from Dovecot 2.3 (`src/lib-storage/index/maildir/maildir-uidlist.c`):
//!
//! * **Format, version 3.** A header line `3 V<uidvalidity> N<nextuid> G<guid>` (the
//!   GUID is 32 lower-case hex digits; other `<key><value>` fields are kept as they are),
//!   then one record per message, ascending by UID: `<uid> [<key><value> ...] :<base>`,
//!   where `<base>` is the file name without its `:2,` info. Record extension keys are
//!   `A`–`Z`; Dovecot uses `S` (physical size), `W` (virtual size: the size with every
//!   LF as CRLF), `P` (POP3 UIDL), `O` (POP3 order) and `G` (message GUID), writes `S`/`W`
//!   only when the file name lacks `,S=`/`,W=`, and keeps keys it does not know when it
//!   rewrites the file. pobox adds one such key, [`EXT_LINE_END`]. Version 1
//!   (`1 <uidvalidity> <nextuid>`, records `<uid> <filename>`, Courier's
//!   `courierimapuiddb` too) is read and rewritten as version 3.
//! * **Locking.** A writer holds `dovecot-uidlist.lock`, a dotlock made with `O_EXCL`
//!   (here: a temporary file holding `<pid>:<host>` hard-linked to the lock name, which
//!   is just as exclusive and never leaves an empty lock behind), writes the new list to
//!   `dovecot-uidlist.tmp`, `rename`s it over `dovecot-uidlist` and removes the lock.
//!   Readers take no lock: the file is always replaced whole. The mtime of each new
//!   list is later than the old one's (Dovecot compares it with its index).
//! * **Stale locks** are broken as Dovecot breaks them (`lib/file-dotlock.c`): at once
//!   when the lock names a process on this host that no longer exists, otherwise when
//!   neither the lock nor the list has changed for 2 minutes
//!   (`MAILDIR_UIDLIST_LOCK_STALE_TIMEOUT`); then a short random pause, so two waiters
//!   do not remove each other's fresh lock.
//! * **UIDVALIDITY** of a new folder comes from `dovecot-uidvalidity` in the Maildir root
//!   (`src/lib-storage/mailbox-uidvalidity.c`): the file holds the last value as 8 hex
//!   digits beside an empty marker file `dovecot-uidvalidity.<hex>`; the next value is
//!   taken by renaming the marker to the next number (atomic between processes). The
//!   first value is the current time, so values are time-based and always grow.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{StoreError, step};

/// The file name.
pub const UIDLIST: &str = "dovecot-uidlist";
/// Its lock.
pub const UIDLIST_LOCK: &str = "dovecot-uidlist.lock";
/// The file a new list is written to before it is renamed over the old one.
pub const UIDLIST_TMP: &str = "dovecot-uidlist.tmp";
/// The root's UIDVALIDITY counter.
pub const UIDVALIDITY: &str = "dovecot-uidvalidity";

/// Physical size (`S`), when the file name has no `,S=`.
pub const EXT_PSIZE: u8 = b'S';
/// Virtual size (`W`, LF counted as CRLF), when the file name has no `,W=`.
pub const EXT_VSIZE: u8 = b'W';
/// pobox's key: how the message ends, `0` with a line end, `1` without one. POP3 sizes
/// (RFC 1939 §11) count the line end the server adds, and Dovecot keeps no such fact;
/// recording it once means no session ever reads a message file to list it.
pub const EXT_LINE_END: u8 = b'X';

/// How long a lock may sit unchanged before it is taken as abandoned (Dovecot's
/// `MAILDIR_UIDLIST_LOCK_STALE_TIMEOUT`).
pub const STALE_AFTER: Duration = Duration::from_secs(120);

/// One message's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Its UID.
    pub uid: u32,
    /// Extension fields (`key`, value), in file order.
    pub ext: Vec<(u8, String)>,
    /// The file name without the `:2,` info.
    pub base: String,
}

impl Record {
    /// The value of extension `key`.
    pub fn ext(&self, key: u8) -> Option<&str> {
        self.ext
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Sets extension `key` (replacing an earlier value).
    pub fn set_ext(&mut self, key: u8, value: String) {
        match self.ext.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.ext.push((key, value)),
        }
    }
}

/// A parsed `dovecot-uidlist`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uidlist {
    /// `V`.
    pub uid_validity: u32,
    /// `N`: the next UID to assign.
    pub next_uid: u32,
    /// `G`: the folder's GUID (32 hex digits).
    pub guid: String,
    /// Other header fields, kept as read.
    pub header_extra: Vec<String>,
    /// Records, ascending by UID.
    pub records: Vec<Record>,
}

impl Uidlist {
    /// An empty list for a new folder.
    pub fn new(uid_validity: u32) -> Uidlist {
        Uidlist {
            uid_validity,
            next_uid: 1,
            guid: new_guid(),
            header_extra: Vec::new(),
            records: Vec::new(),
        }
    }

    /// Parses a file's contents (version 3 or 1).
    pub fn parse(data: &[u8]) -> Result<Uidlist, String> {
        let text = std::str::from_utf8(data).map_err(|_| "not UTF-8".to_owned())?;
        let mut lines = text.split('\n');
        let header = lines.next().unwrap_or("");
        let (version, fields) = header
            .split_once(' ')
            .ok_or_else(|| "no version in the header".to_owned())?;
        let mut list = Uidlist {
            uid_validity: 0,
            next_uid: 0,
            guid: String::new(),
            header_extra: Vec::new(),
            records: Vec::new(),
        };
        match version {
            "3" => {
                for field in fields.split(' ').filter(|f| !f.is_empty()) {
                    let (key, value) = field.split_at(1);
                    match key {
                        "V" => list.uid_validity = parse_u32(value, "V")?,
                        "N" => list.next_uid = parse_u32(value, "N")?,
                        "G" => list.guid = value.to_owned(),
                        _ => list.header_extra.push(field.to_owned()),
                    }
                }
            }
            "1" => {
                let mut it = fields.split(' ');
                list.uid_validity = parse_u32(it.next().unwrap_or(""), "uidvalidity")?;
                list.next_uid = parse_u32(it.next().unwrap_or(""), "next uid")?;
            }
            other => return Err(format!("unsupported version {other:?}")),
        }
        if list.uid_validity == 0 || list.next_uid == 0 {
            return Err("UIDVALIDITY or next UID is 0".to_owned());
        }
        if list.guid.len() != 32 || !list.guid.bytes().all(|b| b.is_ascii_hexdigit()) {
            list.guid = new_guid();
        }
        for line in lines.filter(|l| !l.is_empty()) {
            let (uid, rest) = line
                .split_once(' ')
                .ok_or_else(|| format!("bad record {line:?}"))?;
            let uid = parse_u32(uid, "UID")?;
            if uid == 0 || uid == u32::MAX {
                return Err(format!("bad UID {uid}"));
            }
            let mut record = Record {
                uid,
                ext: Vec::new(),
                base: String::new(),
            };
            if version == "3" {
                let mut rest = rest.trim_start_matches(' ');
                while !rest.starts_with(':') {
                    let end = rest.find(' ').unwrap_or(rest.len());
                    let field = &rest[..end];
                    let key = field.as_bytes().first().copied().unwrap_or(0);
                    if !key.is_ascii_uppercase() {
                        return Err(format!("bad extension field {field:?}"));
                    }
                    record.ext.push((key, field[1..].to_owned()));
                    rest = rest[end..].trim_start_matches(' ');
                    if rest.is_empty() {
                        return Err(format!("record {uid} has no file name"));
                    }
                }
                record.base = rest[1..].to_owned();
            } else {
                record.base = rest.to_owned();
            }
            if let Some(colon) = record.base.find(':') {
                record.base.truncate(colon);
            }
            if record.base.is_empty() || record.base.contains('/') {
                return Err(format!("record {uid} has a bad file name"));
            }
            list.records.push(record);
        }
        // Dovecot writes ascending UIDs; be lenient with anything else (sort, keep the
        // first record of a UID and of a file).
        list.records.sort_by_key(|r| r.uid);
        let mut seen = std::collections::HashSet::new();
        let mut last = 0;
        list.records.retain(|r| {
            let keep = r.uid != last && seen.insert(r.base.clone());
            last = r.uid;
            keep
        });
        if let Some(r) = list.records.last() {
            list.next_uid = list.next_uid.max(r.uid + 1);
        }
        Ok(list)
    }

    /// The file contents, version 3.
    pub fn serialize(&self) -> Vec<u8> {
        use std::fmt::Write as _;
        let mut out = String::with_capacity(64 + self.records.len() * 48);
        let _ = write!(
            out,
            "3 V{} N{} G{}",
            self.uid_validity, self.next_uid, self.guid
        );
        for field in &self.header_extra {
            out.push(' ');
            out.push_str(field);
        }
        out.push('\n');
        for r in &self.records {
            let _ = write!(out, "{}", r.uid);
            for (key, value) in &r.ext {
                out.push(' ');
                out.push(char::from(*key));
                out.push_str(value);
            }
            out.push_str(" :");
            out.push_str(&r.base);
            out.push('\n');
        }
        out.into_bytes()
    }

    /// Reads `dir/dovecot-uidlist`: `Ok(None)` when it does not exist or is damaged
    /// (Dovecot then starts a new list, with a new UIDVALIDITY, and so does pobox).
    pub fn read(dir: &Path) -> Result<Option<(Uidlist, FileStamp)>, StoreError> {
        let path = dir.join(UIDLIST);
        let mut file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::io(&path, e)),
        };
        let meta = file.metadata().map_err(|e| StoreError::io(&path, e))?;
        let mut data = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        file.read_to_end(&mut data)
            .map_err(|e| StoreError::io(&path, e))?;
        match Uidlist::parse(&data) {
            Ok(list) => Ok(Some((list, FileStamp::of(&meta)))),
            Err(reason) => {
                tracing::warn!(path = %path.display(), %reason, "damaged dovecot-uidlist: starting a new one");
                Ok(None)
            }
        }
    }

    /// Writes the list as `dir/dovecot-uidlist` (the caller holds the [`DotLock`]):
    /// `dovecot-uidlist.tmp`, synced, given an mtime later than the old list's, renamed
    /// over the old list, and the directory synced.
    pub fn write(&self, dir: &Path) -> Result<FileStamp, StoreError> {
        let path = dir.join(UIDLIST);
        let old_mtime = fs::metadata(&path).and_then(|m| m.modified()).ok();
        let tmp = dir.join(UIDLIST_TMP);
        write_file(&tmp, &self.serialize(), old_mtime)?;
        step("uidlist: renamed over");
        fs::rename(&tmp, &path).map_err(|e| StoreError::io(&path, e))?;
        sync_dir(dir)?;
        let meta = fs::metadata(&path).map_err(|e| StoreError::io(&path, e))?;
        Ok(FileStamp::of(&meta))
    }
}

fn parse_u32(s: &str, what: &str) -> Result<u32, String> {
    s.parse().map_err(|_| format!("bad {what} {s:?}"))
}

/// A fresh folder GUID: 128 random bits in hex, as Dovecot's `guid_128_generate`.
pub fn new_guid() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness: time and pid are unique enough for a GUID.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        bytes[..12].copy_from_slice(&now.to_le_bytes()[..12]);
        bytes[12..].copy_from_slice(&std::process::id().to_le_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What identifies one version of a file: replaced files get a new inode, appended ones
/// a new size, rewritten ones a new mtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileStamp {
    ino: u64,
    size: u64,
    mtime_ns: i128,
}

impl FileStamp {
    /// The stamp of `meta`.
    pub fn of(meta: &fs::Metadata) -> FileStamp {
        FileStamp {
            ino: meta.ino(),
            size: meta.size(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
        }
    }

    /// The stamp of the file at `path`, `None` when there is none.
    pub fn at(path: &Path) -> Option<FileStamp> {
        fs::metadata(path).ok().map(|m| FileStamp::of(&m))
    }

    /// The mtime in nanoseconds since 1970.
    pub fn mtime_ns(&self) -> i128 {
        self.mtime_ns
    }
}

/// Writes `data` to a new or truncated `path`, with an mtime later than `after` (when
/// given), and syncs it.
fn write_file(path: &Path, data: &[u8], after: Option<SystemTime>) -> Result<(), StoreError> {
    step("write: create");
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| StoreError::io(path, e))?;
    file.write_all(data).map_err(|e| StoreError::io(path, e))?;
    grow_mtime(&file, after).map_err(|e| StoreError::io(path, e))?;
    file.sync_data().map_err(|e| StoreError::io(path, e))?;
    step("write: synced");
    Ok(())
}

/// Makes the mtime of `file` later than `after`.
fn grow_mtime(file: &File, after: Option<SystemTime>) -> io::Result<()> {
    let Some(after) = after else { return Ok(()) };
    let now = file.metadata()?.modified()?;
    if now <= after {
        file.set_modified(after + Duration::from_millis(1))?;
    }
    Ok(())
}

/// Makes a directory's entries durable (renames, links and unlinks in it).
pub fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(dir, e))
}

/// This host's name as Dovecot writes it into lock files.
pub fn hostname() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

/// A held Dovecot dotlock (`dovecot-uidlist.lock`); dropping it removes the lock file
/// if it is still the one this holder made.
#[derive(Debug)]
pub struct DotLock {
    path: PathBuf,
    ino: u64,
}

impl DotLock {
    /// Takes `dir/dovecot-uidlist.lock`, waiting up to `timeout` for another holder and
    /// breaking stale locks (see the module docs). The caller must already exclude the
    /// other threads of this process (a lock naming this process is taken as stale).
    pub fn uidlist(dir: &Path, timeout: Duration) -> Result<DotLock, StoreError> {
        let path = dir.join(UIDLIST_LOCK);
        let guarded = dir.join(UIDLIST);
        let content = format!("{}:{}", std::process::id(), hostname());
        let temp = dir.join("tmp").join(format!(
            "pobox-lock.{}.{}.{}",
            hostname(),
            std::process::id(),
            super::maildir::unique_name()
        ));
        let deadline = Instant::now() + timeout;
        step("lock: temp");
        let made = (|| -> io::Result<()> {
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&temp)?;
            file.write_all(content.as_bytes())
        })();
        let use_link = made.is_ok();
        let result = loop {
            step("lock: create");
            let attempt = if use_link {
                fs::hard_link(&temp, &path)
            } else {
                // tmp/ is not writable or missing: an O_EXCL create, as Dovecot's
                // dotlock_use_excl does.
                OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&path)
                    .and_then(|mut f| f.write_all(content.as_bytes()))
            };
            match attempt {
                Ok(()) => match fs::metadata(&path) {
                    Ok(meta) => {
                        break Ok(DotLock {
                            path,
                            ino: meta.ino(),
                        });
                    }
                    Err(e) => break Err(StoreError::io(&path, e)),
                },
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => break Err(StoreError::io(&path, e)),
            }
            if is_stale(&path, &guarded, STALE_AFTER) {
                tracing::warn!(lock = %path.display(), "breaking stale dotlock");
                match fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => break Err(StoreError::io(&path, e)),
                }
                std::thread::sleep(random_pause());
                continue;
            }
            if Instant::now() >= deadline {
                break Err(StoreError::LockTimeout { path });
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        if use_link {
            let _ = fs::remove_file(&temp);
        }
        result
    }
}

impl Drop for DotLock {
    fn drop(&mut self) {
        let ours = fs::metadata(&self.path).is_ok_and(|m| m.ino() == self.ino);
        if ours {
            step("lock: remove");
            if let Err(e) = fs::remove_file(&self.path) {
                tracing::warn!(lock = %self.path.display(), error = %e, "cannot remove dotlock");
            }
        }
    }
}

/// 100–200 ms, as Dovecot pauses after overriding a lock.
fn random_pause() -> Duration {
    let mut b = [0u8; 1];
    let _ = getrandom::fill(&mut b);
    Duration::from_millis(100 + u64::from(b[0]) * 100 / 255)
}

/// `true` when the dotlock at `lock` (guarding `guarded`) is abandoned: it names a
/// process of this host that is gone (or this very process, whose threads the caller
/// excludes), or neither it nor `guarded` has changed for `stale_after`.
pub fn is_stale(lock: &Path, guarded: &Path, stale_after: Duration) -> bool {
    if let Ok(content) = fs::read_to_string(lock) {
        let content = content.trim_end_matches('\n');
        if let Some((pid, host)) = content.split_once(':') {
            if host == hostname() {
                if let Ok(pid) = pid.parse::<i32>() {
                    if pid as u32 == std::process::id() {
                        return true;
                    }
                    if let Some(pid) = rustix::process::Pid::from_raw(pid) {
                        if rustix::process::test_kill_process(pid) == Err(rustix::io::Errno::SRCH) {
                            return true;
                        }
                        return false; // alive: wait
                    }
                }
            }
        }
    }
    let old = |path: &Path| {
        fs::metadata(path)
            .and_then(|m| m.modified())
            .map(|t| SystemTime::now().duration_since(t).unwrap_or_default() > stale_after)
            .unwrap_or(true)
    };
    fs::metadata(lock).is_ok() && old(lock) && old(guarded)
}

/// Replaces `path` with `data` the way Dovecot's `file_dotlock_replace` does: create
/// `path.lock` with `O_EXCL` (waiting up to `timeout`; a lock unchanged for
/// `stale_after` is broken), write and sync the new contents into it, give it an mtime
/// later than the old file's, and rename it over `path`. Used for `dovecot-keywords`
/// (whose writers also hold the uidlist lock) and `subscriptions`.
pub fn replace_file(
    path: &Path,
    data: &[u8],
    timeout: Duration,
    stale_after: Duration,
) -> Result<(), StoreError> {
    let mut lock = path.as_os_str().to_owned();
    lock.push(".lock");
    let lock = PathBuf::from(lock);
    let old_mtime = fs::metadata(path).and_then(|m| m.modified()).ok();
    let deadline = Instant::now() + timeout;
    let mut file = loop {
        step("replace: lock");
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&lock)
        {
            Ok(file) => break file,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if is_stale(&lock, path, stale_after) {
                    tracing::warn!(lock = %lock.display(), "breaking stale dotlock");
                    let _ = fs::remove_file(&lock);
                    continue;
                }
                if Instant::now() >= deadline {
                    return Err(StoreError::LockTimeout { path: lock });
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => return Err(StoreError::io(&lock, e)),
        }
    };
    let written = file
        .write_all(data)
        .and_then(|()| grow_mtime(&file, old_mtime))
        .and_then(|()| file.sync_data());
    if let Err(e) = written {
        let _ = fs::remove_file(&lock);
        return Err(StoreError::io(&lock, e));
    }
    step("replace: rename");
    if let Err(e) = fs::rename(&lock, path) {
        let _ = fs::remove_file(&lock);
        return Err(StoreError::io(path, e));
    }
    if let Some(dir) = path.parent() {
        sync_dir(dir)?;
    }
    Ok(())
}

/// The next UIDVALIDITY from the Maildir root's `dovecot-uidvalidity` (see the module
/// docs); the current time when the files cannot be used.
pub fn next_uid_validity(root: &Path) -> u32 {
    let path = root.join(UIDVALIDITY);
    let marker = |v: u32| root.join(format!("{UIDVALIDITY}.{v:08x}"));
    let write_main = |v: u32| {
        let _ = fs::write(&path, format!("{v:08x}"));
    };
    let fallback = || {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        u32::try_from(now).unwrap_or(u32::MAX).max(1)
    };
    let try_rename = |mut cur: u32| -> Option<u32> {
        for _ in 0..10 {
            let next = cur.wrapping_add(1).max(1);
            match fs::rename(marker(cur), marker(next)) {
                Ok(()) => return Some(next),
                Err(e) if e.kind() == io::ErrorKind::NotFound => cur = next,
                Err(_) => return None,
            }
        }
        None
    };
    // Fast path: the main file names the current marker.
    if let Some(cur) = fs::read_to_string(&path)
        .ok()
        .and_then(|s| u32::from_str_radix(s.trim(), 16).ok())
        .filter(|&v| v != 0)
    {
        if let Some(next) = try_rename(cur) {
            write_main(next);
            return next;
        }
    }
    // Rescan the markers.
    let prefix = format!("{UIDVALIDITY}.");
    let mut values: Vec<u32> = fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            u32::from_str_radix(name.strip_prefix(&prefix)?, 16).ok()
        })
        .collect();
    values.sort_unstable();
    match (values.first(), values.last()) {
        (Some(&min), Some(&max)) => {
            if min != max {
                let _ = fs::remove_file(marker(min));
            }
            match try_rename(max) {
                Some(next) => {
                    write_main(next);
                    next
                }
                None => fallback(),
            }
        }
        _ => {
            let value = fallback();
            if OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o444)
                .open(marker(value))
                .is_ok()
            {
                write_main(value);
            }
            value
        }
    }
}
