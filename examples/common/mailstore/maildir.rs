//! The Maildir++ store: [`MaildirStore`] → [`MaildirAccount`] → folders, messages.
//!
//! **Layout** (Maildir++, as Dovecot and Courier write it): INBOX is the user's Maildir
//! (`cur/ new/ tmp/`), every other folder a directory `.Name` or `.Name.Sub` beside them
//! (names in [`super::names`]), itself a Maildir with an empty `maildirfolder` file.
//! Per folder: `dovecot-uidlist` ([`super::uidlist`]) and `dovecot-keywords`
//! ([`super::keywords`]); in the root: `subscriptions` and `dovecot-uidvalidity`.
//!
//! **Messages** are files named `BASE:2,FLAGS`. The base never changes; new messages
//! get `SECONDS.MmicrosPpidQcount.HOST,S=<octets>,W=<wire octets>`, so the sizes are in
//! the name (Dovecot's convention). A message without `,W=` in its name (an MTA's) is
//! read once, when it first gets its UID, and its sizes go into its uidlist record
//! (`S`, `W`, as Dovecot writes them), with pobox's `X` (whether it ends with a line
//! end; POP3 sizes depend on it). From then on, listing a folder, a SELECT or a POP3
//! login reads no message file: it reads the directories, the uidlist and one `stat`
//! per message the process has not seen yet (INTERNALDATE is the file's mtime).
//!
//! **One shared state per folder per process** ([`FolderShared`]): the last scan of
//! `new/` and `cur/`, the parsed uidlist and keywords, and the folder's change ticker
//! and file watch ([`super::watch`]). Every session on the folder keeps only its own
//! view (the messages it has been told of) and, on [`Folder::sync`], diffs that view
//! against the shared state; the shared state is rescanned only when a stamp of
//! `new/`, `cur/`, the uidlist or the keywords file changed (or changed within a clock
//! tick of the last scan, since file times are coarse), so a sync with nothing new costs
//! five `stat` calls, and 1,000 sessions on one folder cost one scan per change.
//!
//! **Writers** of one folder are serialised in the process by the shared state's mutex
//! and between processes (pobox or Dovecot) by the uidlist dotlock. Never are two
//! folders' mutexes held at once: a COPY links or writes its files into the
//! destination's `tmp/` first, and only then locks the destination.
//!
//! **No message is lost or duplicated** (`kill -9` at any point):
//!
//! * APPEND writes `tmp/` (synced), renames into `new/` (no flags) or `cur/`, syncs the
//!   directory, then records the UID. Killed before the rename: the message was never
//!   stored (the client got no OK); after it: the next scan gives the file a UID.
//! * COPY hard-links each source file (or copies its bytes, synced) into the
//!   destination's `tmp/`, then renames them into `new/`/`cur/` and records their UIDs
//!   under the destination's lock. MOVE (and RENAME of INBOX) is a COPY, then the
//!   source files are unlinked and their records dropped: killed in between, the
//!   message is in both folders, never in neither.
//! * EXPUNGE unlinks exactly the files asked for (still `\Deleted`, checked on the
//!   current file name), then drops their records. A record whose file is gone is
//!   harmless; a file without a record gets one at the next scan.
//! * The uidlist is only ever replaced whole by `rename`, under its lock.
//! * A file in no directory listing is only taken as expunged when two scans agree
//!   (`readdir` may skip a file renamed during the scan); only then may its UID go.
//!
//! **`\Recent`** (RFC 3501 §2.3.2) is where the message is: a message in `new/` is
//! recent for the first read-write session that moves it to `cur/` (at SELECT, or when
//! it syncs), as with Dovecot's `new/` handling; EXAMINE and STATUS leave `new/` alone.
//! A message appended or copied with flags goes straight to `cur/` (a Maildir keeps
//! flags only there) and is therefore not recent for anyone.
//!
//! **POP3** ([`OpenMode::Pop3`], INBOX only) is what the POP3 server had before: the
//! `flock` on `pobox-session.lock` for the session's life (a second POP3 session gets
//! [`StoreError::InUse`]; IMAP sessions take no such lock), `new/` moved to `cur/` at
//! open, a listing fixed for the session, deletion by `unlink` at QUIT only, and the
//! UIDL the old store gave: the base name, or its MD5 hex when it is not a valid UIDL.
//! LIST sizes ([`MessageMeta::pop3_size`]) are the old store's `wire_size` for every
//! message but one that ends in a lone CR, which `lacks_final_newline` cannot tell
//! apart from one that ends in another octet: the session adds one octet (LF) there
//! and `pop3_size` counts two.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use pobox::imap::{Flag, MailboxAttribute};
use tokio::sync::watch as tokio_watch;

use super::keywords::{InfoFlags, Keywords, system_letter};
use super::names::{DELIMITER, MailboxName};
use super::uidlist::{
    self, DotLock, EXT_LINE_END, EXT_PSIZE, EXT_VSIZE, FileStamp, Record, Uidlist, sync_dir,
};
use super::watch::{self, Ticker, Watch};
use super::{
    Account, AppendSink, Appended, Change, Copied, FlagOp, Folder, FolderEntry, FolderStatus,
    MailStore, MessageMeta, OpenMode, StoreError, step,
};

pub use super::super::maildir::{SESSION_LOCK, unique_name};

/// The subscriptions file in the Maildir root (Dovecot's name and format).
pub const SUBSCRIPTIONS: &str = "subscriptions";
/// The empty marker file in each Maildir++ subfolder.
pub const MAILDIRFOLDER: &str = "maildirfolder";
/// Dovecot's directory for a folder being deleted (`..DOVECOT-TRASHED`).
pub const TRASH_DIR: &str = "..DOVECOT-TRASHED";
/// File times come from the kernel's coarse clock (one tick is at most 10 ms on
/// Linux); a directory whose mtime is this close to a scan is scanned again next time.
const MTIME_TICK: Duration = Duration::from_millis(50);
/// Files in `tmp/` older than this are removed at open (Dovecot's 36 hours).
const TMP_MAX_AGE: Duration = Duration::from_secs(36 * 3600);

/// `maildir:PATH/%u`: one Maildir++ tree per user.
#[derive(Debug, Clone)]
pub struct MaildirStore {
    template: String,
    lock_timeout: Duration,
}

impl MaildirStore {
    /// A store whose user Maildirs are at `template` with `%u` replaced by the user.
    pub fn new(template: &str) -> Result<MaildirStore, StoreError> {
        let invalid = |reason| StoreError::InvalidSpec {
            spec: template.to_owned(),
            reason,
        };
        if !template.contains("%u") {
            return Err(invalid("the path must contain %u (the user name)"));
        }
        if template.contains('\0') {
            return Err(invalid("the path contains NUL"));
        }
        Ok(MaildirStore {
            template: template.to_owned(),
            lock_timeout: Duration::from_secs(30),
        })
    }

    /// How long to wait for another writer's uidlist lock (default 30 s).
    pub fn with_lock_timeout(mut self, timeout: Duration) -> MaildirStore {
        self.lock_timeout = timeout;
        self
    }

    /// The Maildir of `user` (`validate_user`'s rules).
    pub fn root_for(&self, user: &str) -> Result<PathBuf, StoreError> {
        super::super::store::validate_user(user).map_err(|e| match e {
            super::super::store::StoreError::InvalidUser { reason } => {
                StoreError::InvalidUser { reason }
            }
            other => StoreError::Backend(other.to_string()),
        })?;
        Ok(PathBuf::from(self.template.replace("%u", user)))
    }

    /// `user`'s account as the concrete type (tests reach its paths through it).
    pub fn maildir_account(&self, user: &str) -> Result<MaildirAccount, StoreError> {
        let root = self.root_for(user)?;
        for sub in ["cur", "new", "tmp"] {
            let dir = root.join(sub);
            fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        }
        Ok(MaildirAccount {
            root,
            lock_timeout: self.lock_timeout,
        })
    }
}

impl MailStore for MaildirStore {
    fn delimiter(&self) -> char {
        DELIMITER
    }

    fn account(&self, user: &str) -> Result<Arc<dyn Account>, StoreError> {
        Ok(Arc::new(self.maildir_account(user)?))
    }
}

/// Create, delete, rename and subscribe are rare: one lock for all of them in the process
/// (other processes: each step is one atomic `mkdir`/`rename`).
static TREE_LOCK: Mutex<()> = Mutex::new(());

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One user's Maildir++ tree.
#[derive(Debug, Clone)]
pub struct MaildirAccount {
    root: PathBuf,
    lock_timeout: Duration,
}

impl MaildirAccount {
    /// The Maildir root (INBOX).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of a mailbox name from a client, checked ([`MailboxName::parse`]).
    pub fn dir_of(&self, name: &str) -> Result<PathBuf, StoreError> {
        Ok(self.path_of(&MailboxName::parse(name)?))
    }

    fn path_of(&self, name: &MailboxName) -> PathBuf {
        if name.is_inbox() {
            self.root.clone()
        } else {
            self.root.join(name.dir_name())
        }
    }

    /// The shared state of an existing folder.
    fn shared(&self, name: &MailboxName) -> Result<Arc<FolderShared>, StoreError> {
        let dir = self.path_of(name);
        if !name.is_inbox() && !dir.is_dir() {
            return Err(StoreError::NoMailbox {
                name: name.as_string(),
            });
        }
        // Maildir++ has no \Noselect folders: a folder directory missing a subdirectory
        // (a crash during CREATE, another program) gets it, as Dovecot does.
        for sub in ["cur", "new", "tmp"] {
            let path = dir.join(sub);
            if !path.is_dir() {
                fs::create_dir_all(&path).map_err(|e| StoreError::io(&path, e))?;
            }
        }
        FolderShared::get(&dir, &self.root, self.lock_timeout)
    }

    /// Every folder directory in the root, by name.
    fn folder_names(&self) -> Result<Vec<MailboxName>, StoreError> {
        let mut names = Vec::new();
        let entries = fs::read_dir(&self.root).map_err(|e| StoreError::io(&self.root, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| StoreError::io(&self.root, e))?;
            let file_name = entry.file_name();
            let Some(name) = MailboxName::from_dir_name(file_name.as_encoded_bytes()) else {
                continue;
            };
            if entry.path().is_dir() {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    fn read_subscriptions(&self) -> Result<(Vec<MailboxName>, bool), StoreError> {
        let path = self.root.join(SUBSCRIPTIONS);
        let text = match fs::read(&path) {
            Ok(data) => data,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Vec::new(), true)),
            Err(e) => return Err(StoreError::io(&path, e)),
        };
        let (v2, body) = match text.strip_prefix(b"V\t2\n\n") {
            Some(rest) => (true, rest),
            None => (false, &text[..]),
        };
        let mut out = Vec::new();
        for line in body.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let levels: Option<Vec<String>> = if v2 {
                line.split(|&b| b == b'\t')
                    .map(|l| super::names::mutf7_decode(&tab_unescape(l)))
                    .collect()
            } else {
                line.split(|&b| b == b'.')
                    .map(super::names::mutf7_decode)
                    .collect()
            };
            // A trailing delimiter (old clients) is dropped, as Dovecot drops it.
            let name = levels.map(|l| l.join(".").trim_end_matches('.').to_owned());
            if let Some(parsed) = name.and_then(|n| MailboxName::parse(&n).ok()) {
                if !out.contains(&parsed) {
                    out.push(parsed);
                }
            }
        }
        Ok((out, v2))
    }

    /// Creates one folder directory (not its parents). `Exists` when it is there.
    fn create_one(&self, name: &MailboxName) -> Result<(), StoreError> {
        let dir = self.path_of(name);
        step("create: mkdir");
        match fs::create_dir(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(StoreError::Exists {
                    name: name.as_string(),
                });
            }
            Err(e) => return Err(StoreError::io(&dir, e)),
        }
        for sub in ["cur", "new", "tmp"] {
            let path = dir.join(sub);
            fs::create_dir(&path).map_err(|e| StoreError::io(&path, e))?;
        }
        let marker = dir.join(MAILDIRFOLDER);
        File::create(&marker).map_err(|e| StoreError::io(&marker, e))?;
        // Fix the UIDVALIDITY now, from the root's counter, so a folder deleted and made
        // again never reuses one (RFC 3501 §2.3.1.1).
        let shared = FolderShared::get(&dir, &self.root, self.lock_timeout)?;
        let mut st = shared.state();
        shared.refresh(&mut st)?;
        drop(st);
        sync_dir(&self.root)?;
        Ok(())
    }

    /// Writes the subscriptions, keeping the file's version (new files: version 2, as
    /// Dovecot 2.3 writes them).
    fn write_subscriptions(&self, names: &[MailboxName], v2: bool) -> Result<(), StoreError> {
        let mut out = String::new();
        if v2 {
            out.push_str("V\t2\n\n");
        }
        for name in names {
            if v2 {
                let levels: Vec<String> = name
                    .levels()
                    .iter()
                    .map(|l| super::names::mutf7_encode(l))
                    .collect();
                out.push_str(&levels.join("\t"));
            } else {
                out.push_str(&name.storage_name());
            }
            out.push('\n');
        }
        uidlist::replace_file(
            &self.root.join(SUBSCRIPTIONS),
            out.as_bytes(),
            Duration::from_secs(120),
            Duration::from_secs(30),
        )
    }

    /// Moves every message of `from` into `to` (COPY, then removal from `from`).
    fn move_all(&self, from: &MailboxName, to: &MailboxName) -> Result<(), StoreError> {
        let source = self.shared(from)?;
        let uids: Vec<u32> = {
            let mut st = source.state();
            source.refresh(&mut st)?;
            st.messages.iter().map(|e| e.uid).collect()
        };
        let copied = copy_between(&source, &uids, &self.shared(to)?)?;
        remove_messages(&source, &copied.source, false)?;
        Ok(())
    }
}

/// Undoes Dovecot's tab escaping (`\001` + `1`/`t`/`r`/`n`) in a subscriptions line.
fn tab_unescape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut it = s.iter();
    while let Some(&b) = it.next() {
        if b == 1 {
            match it.next() {
                Some(b'1') => out.push(1),
                Some(b't') => out.push(b'\t'),
                Some(b'r') => out.push(b'\r'),
                Some(b'n') => out.push(b'\n'),
                Some(&other) => out.push(other),
                None => {}
            }
        } else {
            out.push(b);
        }
    }
    out
}

impl Account for MaildirAccount {
    fn delimiter(&self) -> char {
        DELIMITER
    }

    fn folders(&self) -> Result<Vec<FolderEntry>, StoreError> {
        let names = self.folder_names()?;
        let (subscribed, _) = self.read_subscriptions()?;
        let mut existing: Vec<MailboxName> = vec![MailboxName::parse("INBOX")?];
        existing.extend(names);
        // Parents that exist only as a prefix of a folder: \Noselect, as a DELETE of a
        // folder with children leaves them (RFC 3501 §6.3.4), and as Dovecot lists them.
        let mut implied: Vec<MailboxName> = Vec::new();
        for name in &existing {
            let mut parent = name.parent();
            while let Some(p) = parent {
                if !existing.contains(&p) && !implied.contains(&p) {
                    implied.push(p.clone());
                }
                parent = p.parent();
            }
        }
        let mut out = Vec::new();
        for name in existing.iter().chain(&implied) {
            let mut attributes = Vec::new();
            if implied.contains(name) {
                attributes.push(MailboxAttribute::Noselect);
            } else if let Some(special) = name.special_use() {
                attributes.push(special);
            }
            out.push(FolderEntry {
                name: name.as_string(),
                attributes,
                subscribed: subscribed.contains(name),
                exists: true,
            });
        }
        for name in &subscribed {
            if !existing.contains(name) && !implied.contains(name) {
                out.push(FolderEntry {
                    name: name.as_string(),
                    attributes: Vec::new(),
                    subscribed: true,
                    exists: false,
                });
            }
        }
        Ok(out)
    }

    fn create(&self, name: &str) -> Result<(), StoreError> {
        let name = MailboxName::parse(name)?;
        if name.is_inbox() {
            return Err(StoreError::Exists {
                name: "INBOX".to_owned(),
            });
        }
        let _tree = lock(&TREE_LOCK);
        if self.path_of(&name).is_dir() {
            return Err(StoreError::Exists {
                name: name.as_string(),
            });
        }
        // RFC 3501 §6.3.3: the server SHOULD create the superior names the new one needs.
        let mut parents = Vec::new();
        let mut parent = name.parent();
        while let Some(p) = parent {
            parent = p.parent();
            if !p.is_inbox() && !self.path_of(&p).is_dir() {
                parents.push(p);
            }
        }
        for p in parents.iter().rev() {
            match self.create_one(p) {
                Ok(()) | Err(StoreError::Exists { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        self.create_one(&name)
    }

    fn delete(&self, name: &str) -> Result<(), StoreError> {
        let name = MailboxName::parse(name)?;
        if name.is_inbox() {
            return Err(StoreError::Cannot {
                what: "deleting INBOX (RFC 3501 §6.3.4)",
            });
        }
        let _tree = lock(&TREE_LOCK);
        let dir = self.path_of(&name);
        let has_children = self.folder_names()?.iter().any(|n| n.is_below(&name));
        if !dir.is_dir() {
            return Err(if has_children {
                // RFC 3501 §6.3.4: a \Noselect name with inferiors cannot be deleted.
                StoreError::Cannot {
                    what: "deleting a \\Noselect mailbox that has inferior names",
                }
            } else {
                StoreError::NoMailbox {
                    name: name.as_string(),
                }
            });
        }
        // Children live in their own `.Name.Sub` directories, so removing `.Name`
        // removes its messages and leaves the children, and the name stays listed as
        // a \Noselect parent (RFC 3501 §6.3.4). Dovecot's way: rename the folder to
        // `..DOVECOT-TRASHED` (atomic: no session sees half a folder), then remove it.
        let trash = self.root.join(TRASH_DIR);
        for attempt in 0..3 {
            step("delete: rename to trash");
            match fs::rename(&dir, &trash) {
                Ok(()) => break,
                Err(e) if attempt < 2 && trash.exists() => {
                    tracing::debug!(error = %e, "removing an earlier trash directory");
                    fs::remove_dir_all(&trash).map_err(|e| StoreError::io(&trash, e))?;
                }
                Err(e) => return Err(StoreError::io(&dir, e)),
            }
        }
        step("delete: remove trash");
        fs::remove_dir_all(&trash).map_err(|e| StoreError::io(&trash, e))?;
        sync_dir(&self.root)?;
        FolderShared::forget(&dir);
        Ok(())
    }

    fn rename(&self, from: &str, to: &str) -> Result<(), StoreError> {
        let from = MailboxName::parse(from)?;
        let to = MailboxName::parse(to)?;
        if to.is_inbox() {
            return Err(StoreError::Exists {
                name: "INBOX".to_owned(),
            });
        }
        if from.is_inbox() {
            // RFC 3501 §6.3.5: renaming INBOX moves all its messages to a new mailbox
            // and leaves INBOX empty; its inferior names are not renamed.
            self.create(&to.as_string())?;
            return self.move_all(&from, &to);
        }
        if to == from || to.is_below(&from) && self.path_of(&to).is_dir() {
            return Err(StoreError::Exists {
                name: to.as_string(),
            });
        }
        let _tree = lock(&TREE_LOCK);
        let names = self.folder_names()?;
        if names.contains(&to) {
            return Err(StoreError::Exists {
                name: to.as_string(),
            });
        }
        let children: Vec<MailboxName> = names
            .iter()
            .filter(|n| n.is_below(&from) && **n != to)
            .cloned()
            .collect();
        let from_exists = self.path_of(&from).is_dir();
        if !from_exists && children.is_empty() {
            return Err(StoreError::NoMailbox {
                name: from.as_string(),
            });
        }
        if let Some(name) = children
            .iter()
            .filter_map(|c| c.rebase(&from, &to))
            .find(|n| names.contains(n))
        {
            return Err(StoreError::Exists {
                name: name.as_string(),
            });
        }
        for level in children.iter().chain([&from]) {
            if let Some(target) = level.rebase(&from, &to) {
                if target.dir_name().len() > 255 {
                    return Err(StoreError::InvalidName {
                        reason: "a renamed child would be longer than 255 octets",
                    });
                }
            }
        }
        if from_exists {
            step("rename: folder");
            fs::rename(self.path_of(&from), self.path_of(&to))
                .map_err(|e| StoreError::io(&self.path_of(&from), e))?;
            FolderShared::forget(&self.path_of(&from));
        }
        for child in &children {
            let Some(target) = child.rebase(&from, &to) else {
                continue;
            };
            step("rename: child");
            fs::rename(self.path_of(child), self.path_of(&target))
                .map_err(|e| StoreError::io(&self.path_of(child), e))?;
            FolderShared::forget(&self.path_of(child));
        }
        sync_dir(&self.root)?;
        drop(_tree);
        // The new name's missing parents (RFC 3501 §6.3.5: as for CREATE).
        let mut parent = to.parent();
        while let Some(p) = parent {
            parent = p.parent();
            if !p.is_inbox() && !self.path_of(&p).is_dir() {
                let _tree = lock(&TREE_LOCK);
                match self.create_one(&p) {
                    Ok(()) | Err(StoreError::Exists { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    fn subscribe(&self, name: &str, subscribed: bool) -> Result<(), StoreError> {
        let name = MailboxName::parse(name)?;
        let _tree = lock(&TREE_LOCK);
        let (mut names, v2) = self.read_subscriptions()?;
        let had = names.contains(&name);
        if subscribed == had {
            return Ok(());
        }
        if subscribed {
            names.push(name);
        } else {
            names.retain(|n| *n != name);
        }
        let exists = self.root.join(SUBSCRIPTIONS).exists();
        self.write_subscriptions(&names, v2 || !exists)
    }

    fn status(&self, name: &str) -> Result<FolderStatus, StoreError> {
        let name = MailboxName::parse(name)?;
        let shared = self.shared(&name)?;
        let mut st = shared.state();
        shared.refresh(&mut st)?;
        Ok(FolderStatus {
            messages: st.messages.len() as u32,
            recent: st.messages.iter().filter(|e| e.in_new).count() as u32,
            unseen: st.messages.iter().filter(|e| !e.info.has(b'S')).count() as u32,
            uid_next: st.next_uid,
            uid_validity: st.uid_validity,
        })
    }

    fn open(&self, name: &str, mode: OpenMode) -> Result<Box<dyn Folder>, StoreError> {
        let name = MailboxName::parse(name)?;
        if mode == OpenMode::Pop3 && !name.is_inbox() {
            return Err(StoreError::Cannot {
                what: "POP3 serves INBOX only",
            });
        }
        let shared = self.shared(&name)?;
        let pop3_lock = if mode == OpenMode::Pop3 {
            let path = self.root.join(SESSION_LOCK);
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(&path)
                .map_err(|e| StoreError::io(&path, e))?;
            if !super::super::lock::try_flock_exclusive(&file)
                .map_err(|e| StoreError::io(&path, e))?
            {
                return Err(StoreError::InUse {
                    path: self.root.clone(),
                });
            }
            Some(file)
        } else {
            None
        };
        clean_tmp(&shared.dir.join("tmp"));
        shared.watch();
        let mut st = shared.state();
        shared.refresh(&mut st)?;
        let recent = match mode {
            OpenMode::ReadOnly => HashSet::new(),
            OpenMode::ReadWrite | OpenMode::Pop3 => shared.take_new(&mut st)?,
        };
        let messages = if mode == OpenMode::ReadWrite && !recent.is_empty() {
            let keywords = st.keywords.clone();
            Arc::new(
                st.messages
                    .iter()
                    .map(|e| e.meta(&keywords, recent.contains(&e.uid)))
                    .collect(),
            )
        } else {
            st.shared_metas()
        };
        let folder = MaildirFolder {
            account: self.clone(),
            shared: Arc::clone(&shared),
            mode,
            generation: st.generation,
            uid_validity: st.uid_validity,
            uid_next: st.next_uid,
            messages,
            invalidated: false,
            _pop3_lock: pop3_lock,
        };
        Ok(Box::new(folder))
    }

    fn append(
        &self,
        name: &str,
        flags: &[Flag],
        date: Option<SystemTime>,
    ) -> Result<Box<dyn AppendSink>, StoreError> {
        let name = MailboxName::parse(name)?;
        let shared = self.shared(&name)?;
        {
            // A 27th keyword is refused now, before the client sends the message.
            let mut st = shared.state();
            shared.refresh(&mut st)?;
            let mut keywords = st.keywords.clone();
            let (_, missing) = letters_for(flags, &mut keywords, true);
            if !missing.is_empty() {
                return Err(too_many_keywords());
            }
        }
        let base = unique_name();
        let tmp_path = shared.dir.join("tmp").join(&base);
        step("append: create tmp");
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp_path)
            .map_err(|e| StoreError::io(&tmp_path, e))?;
        Ok(Box::new(MaildirAppend {
            shared,
            base,
            tmp_path,
            file: Some(file),
            flags: flags.to_vec(),
            date,
            counter: WireCounter::default(),
            done: false,
        }))
    }
}

fn too_many_keywords() -> StoreError {
    StoreError::Cannot {
        what: "a Maildir folder holds at most 26 keywords (Dovecot's limit)",
    }
}

/// The keyword names among `flags`.
fn keyword_names(flags: &[Flag]) -> impl Iterator<Item = &str> {
    flags.iter().filter_map(|f| match f {
        Flag::Keyword(k) => k.as_str(),
        _ => None,
    })
}

/// Removes files in `tmp/` older than 36 hours (left by crashed writers), as Dovecot does.
fn clean_tmp(tmp: &Path) {
    let Ok(entries) = fs::read_dir(tmp) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        let old = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age > TMP_MAX_AGE);
        if meta.is_file() && old {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Counts the wire size (each bare LF as CRLF) and the line end of a message as it is
/// written, across chunk boundaries.
#[derive(Debug, Default, Clone, Copy)]
struct WireCounter {
    len: u64,
    bare_lf: u64,
    last: Option<u8>,
}

impl WireCounter {
    fn feed(&mut self, data: &[u8]) {
        let mut prev = self.last;
        for lf in memchr::memchr_iter(b'\n', data) {
            let before = if lf == 0 { prev } else { Some(data[lf - 1]) };
            if before != Some(b'\r') {
                self.bare_lf += 1;
            }
        }
        if let Some(&b) = data.last() {
            prev = Some(b);
        }
        self.last = prev;
        self.len += data.len() as u64;
    }

    fn wire(&self) -> u64 {
        self.len + self.bare_lf
    }

    fn lacks_final_newline(&self) -> bool {
        self.last.is_some_and(|b| b != b'\n')
    }
}

/// One message of a folder's shared state.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    uid: u32,
    base: String,
    /// The whole file name (`base:2,FLAGS`).
    name: String,
    in_new: bool,
    info: InfoFlags,
    /// Wire size (`W`).
    size: u64,
    lacks_final_newline: bool,
    mtime: SystemTime,
}

impl Entry {
    fn path(&self, dir: &Path) -> PathBuf {
        dir.join(if self.in_new { "new" } else { "cur" })
            .join(&self.name)
    }

    fn meta(&self, keywords: &Keywords, recent: bool) -> MessageMeta {
        MessageMeta {
            uid: self.uid,
            flags: self.info.to_flags(keywords),
            recent,
            size: self.size,
            uidl: super::super::maildir::unique_id(OsStr::new(&self.base)).to_string(),
            internal_date: self.mtime,
            lacks_final_newline: self.lacks_final_newline,
        }
    }
}

/// The stamps whose change means a rescan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Stamps {
    dir: Option<FileStamp>,
    new: Option<FileStamp>,
    cur: Option<FileStamp>,
    uidlist: Option<FileStamp>,
    keywords: Option<FileStamp>,
}

impl Stamps {
    fn of(dir: &Path) -> Stamps {
        Stamps {
            dir: FileStamp::at(dir),
            new: FileStamp::at(&dir.join("new")),
            cur: FileStamp::at(&dir.join("cur")),
            uidlist: FileStamp::at(&dir.join(uidlist::UIDLIST)),
            keywords: FileStamp::at(&dir.join(super::keywords::KEYWORDS)),
        }
    }

    /// `true` when a directory changed less than [`MTIME_TICK`] before `now`: a change
    /// later in the same clock tick would leave the same mtime, so look again next time.
    fn recent(&self, now: SystemTime) -> bool {
        let now_ns = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as i128;
        [self.new, self.cur, self.uidlist]
            .iter()
            .flatten()
            .any(|s| now_ns - s.mtime_ns() < MTIME_TICK.as_nanos() as i128)
    }
}

/// What every session of this process knows about one folder.
#[derive(Debug, Default)]
struct State {
    loaded: bool,
    /// Bumped whenever `messages` or `keywords` change.
    generation: u64,
    stamps: Stamps,
    /// Rescan at the next refresh whatever the stamps say.
    dirty: bool,
    uid_validity: u32,
    next_uid: u32,
    uidlist: Option<Uidlist>,
    keywords: Keywords,
    /// Messages with a UID whose file exists, ascending by UID.
    messages: Vec<Entry>,
    /// How many of them are in `new/` (so a sync with none there costs nothing more).
    in_new: usize,
    /// The folder directory is gone (deleted or renamed).
    gone: bool,
    /// The listing sessions get for `generation` when none of its messages is `\Recent`
    /// for them: one list shared by all such sessions (see [`State::shared_metas`]).
    metas: Option<(u64, Arc<Vec<MessageMeta>>)>,
}

impl State {
    /// The listing of this generation without `\Recent`, built once and shared: 1,000
    /// sessions on one folder hold one list, not 1,000 copies (each message's flags and
    /// POP3 id cost some 200 octets per session otherwise).
    fn shared_metas(&mut self) -> Arc<Vec<MessageMeta>> {
        if let Some((generation, metas)) = &self.metas {
            if *generation == self.generation {
                return Arc::clone(metas);
            }
        }
        let metas: Arc<Vec<MessageMeta>> = Arc::new(
            self.messages
                .iter()
                .map(|e| e.meta(&self.keywords, false))
                .collect(),
        );
        self.metas = Some((self.generation, Arc::clone(&metas)));
        metas
    }
}

/// One folder's shared state in this process (see the module docs).
#[derive(Debug)]
struct FolderShared {
    dir: PathBuf,
    root: PathBuf,
    dir_ino: u64,
    lock_timeout: Duration,
    state: Mutex<State>,
    ticker: Arc<Ticker>,
    watch: OnceLock<Watch>,
}

type Registry = Mutex<HashMap<PathBuf, Weak<FolderShared>>>;
static FOLDERS: OnceLock<Registry> = OnceLock::new();

fn folders() -> &'static Registry {
    FOLDERS.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Files of a directory scan: base → (file name, in `new/`).
type Scan = HashMap<String, (String, bool)>;

impl FolderShared {
    /// The shared state of the folder at `dir`, made when no session has it.
    fn get(
        dir: &Path,
        root: &Path,
        lock_timeout: Duration,
    ) -> Result<Arc<FolderShared>, StoreError> {
        let ino = fs::metadata(dir).map_err(|e| StoreError::io(dir, e))?.ino();
        let mut map = lock(folders());
        if let Some(shared) = map.get(dir).and_then(Weak::upgrade) {
            if shared.dir_ino == ino {
                return Ok(shared);
            }
        }
        map.retain(|_, w| w.strong_count() > 0);
        let shared = Arc::new(FolderShared {
            dir: dir.to_owned(),
            root: root.to_owned(),
            dir_ino: ino,
            lock_timeout,
            state: Mutex::new(State::default()),
            ticker: Arc::new(Ticker::new()),
            watch: OnceLock::new(),
        });
        map.insert(dir.to_owned(), Arc::downgrade(&shared));
        Ok(shared)
    }

    /// Drops the registry entry of a folder that was deleted or renamed; its sessions
    /// learn it at their next sync.
    fn forget(dir: &Path) {
        let shared = lock(folders()).remove(dir).and_then(|w| w.upgrade());
        if let Some(shared) = shared {
            lock(&shared.state).dirty = true;
            shared.ticker.tick();
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Starts the file watch (once).
    fn watch(&self) {
        self.watch.get_or_init(|| {
            watch::watch(&[self.dir.join("new"), self.dir.join("cur")], &self.ticker)
        });
    }

    fn dotlock(&self) -> Result<DotLock, StoreError> {
        DotLock::uidlist(&self.dir, self.lock_timeout)
    }

    /// Refreshes `st` and refuses to write into a folder that was deleted or renamed
    /// (its directory may now be another folder, with a state of its own).
    fn refresh_for_write(&self, st: &mut State) -> Result<(), StoreError> {
        self.refresh(st)?;
        if st.gone {
            return Err(StoreError::NoMailbox {
                name: self.dir.display().to_string(),
            });
        }
        Ok(())
    }

    /// Brings `st` up to date with the disk: cheap when no stamp changed; otherwise a
    /// rescan, and UIDs (and recorded sizes) for files that have none, under the lock.
    fn refresh(&self, st: &mut State) -> Result<(), StoreError> {
        let stamps = Stamps::of(&self.dir);
        if st.loaded && !st.dirty && stamps == st.stamps {
            return Ok(());
        }
        if stamps.dir.is_none() || stamps.cur.is_none() || self.moved_away() {
            if !st.gone {
                st.gone = true;
                st.generation += 1;
            }
            return Ok(());
        }
        let now = SystemTime::now();
        let mut again = false;
        if stamps.uidlist != st.stamps.uidlist || st.uidlist.is_none() {
            st.uidlist = Uidlist::read(&self.dir)?.map(|(list, _)| list);
        }
        if stamps.keywords != st.stamps.keywords || !st.loaded {
            st.keywords = Keywords::read(&self.dir)?.0;
        }
        let mut scan = scan_dirs(&self.dir)?;
        let known: HashSet<&str> = st.messages.iter().map(|e| e.base.as_str()).collect();
        let missing_known = known.iter().any(|b| !scan.contains_key(*b));
        if missing_known {
            // readdir may miss a file renamed during it: look again before believing
            // that a message is gone.
            for (base, found) in scan_dirs(&self.dir)? {
                scan.entry(base).or_insert(found);
            }
        }
        let listed: HashSet<&str> = st
            .uidlist
            .iter()
            .flat_map(|l| l.records.iter().map(|r| r.base.as_str()))
            .collect();
        let needs_write = st.uidlist.is_none()
            || scan.keys().any(|b| !listed.contains(b.as_str()))
            || st.uidlist.iter().flat_map(|l| &l.records).any(|r| {
                scan.get(&r.base)
                    .is_some_and(|(name, _)| sizes_of(name, r).is_none())
            });
        drop(known);
        drop(listed);
        if needs_write {
            self.assign_uids(st, &scan)?;
        }
        let old: HashMap<String, Entry> = std::mem::take(&mut st.messages)
            .into_iter()
            .map(|e| (e.base.clone(), e))
            .collect();
        let mut messages = Vec::new();
        if let Some(list) = &st.uidlist {
            for r in &list.records {
                let Some((name, in_new)) = scan.get(&r.base) else {
                    continue;
                };
                let Some((size, lacks)) = sizes_of(name, r) else {
                    continue; // not recorded (unwritable folder): shown once it is
                };
                let mtime = match old.get(&r.base) {
                    Some(e) => e.mtime,
                    None => {
                        let path = self
                            .dir
                            .join(if *in_new { "new" } else { "cur" })
                            .join(name);
                        match fs::metadata(&path).and_then(|m| m.modified()) {
                            Ok(t) => t,
                            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                                again = true;
                                continue;
                            }
                            Err(e) => return Err(StoreError::io(&path, e)),
                        }
                    }
                };
                messages.push(Entry {
                    uid: r.uid,
                    base: r.base.clone(),
                    name: name.clone(),
                    in_new: *in_new,
                    info: InfoFlags::of_name(name),
                    size,
                    lacks_final_newline: lacks,
                    mtime,
                });
            }
        }
        let (uid_validity, next_uid) = st
            .uidlist
            .as_ref()
            .map_or((0, 1), |l| (l.uid_validity, l.next_uid));
        let old_list: Vec<&Entry> = {
            let mut v: Vec<&Entry> = old.values().collect();
            v.sort_by_key(|e| e.uid);
            v
        };
        let changed = !st.loaded
            || old_list.len() != messages.len()
            || old_list.iter().zip(&messages).any(|(a, b)| *a != b)
            || st.uid_validity != uid_validity
            || st.next_uid != next_uid;
        st.in_new = messages.iter().filter(|e| e.in_new).count();
        st.messages = messages;
        st.uid_validity = uid_validity;
        st.next_uid = next_uid;
        if changed || stamps.keywords != st.stamps.keywords {
            st.generation += 1;
        }
        // Stamps after our own writes (assign_uids), so they do not cause a rescan.
        st.stamps = Stamps::of(&self.dir);
        st.dirty = again || st.stamps.recent(now);
        st.loaded = true;
        Ok(())
    }

    /// `true` when `dir` is now another directory than the one this state was made for.
    fn moved_away(&self) -> bool {
        fs::metadata(&self.dir).map_or(true, |m| m.ino() != self.dir_ino)
    }

    /// Gives UIDs to files without a record, records sizes the names lack, and starts a
    /// uidlist where there is none, under the dotlock. Message files are read (sizes)
    /// before the lock is taken.
    fn assign_uids(&self, st: &mut State, scan: &Scan) -> Result<(), StoreError> {
        let listed: HashMap<&str, &Record> = st
            .uidlist
            .iter()
            .flat_map(|l| l.records.iter().map(|r| (r.base.as_str(), r)))
            .collect();
        // Sizes for every file that will need them (read outside the lock).
        let mut computed: HashMap<String, (Option<u64>, u64, bool)> = HashMap::new();
        for (base, (name, in_new)) in scan {
            let record = listed.get(base.as_str());
            let known = record.and_then(|r| sizes_of(name, r));
            if known.is_some() {
                continue;
            }
            let path = self
                .dir
                .join(if *in_new { "new" } else { "cur" })
                .join(name);
            let vsize =
                name_size(name, b'W').or_else(|| record.and_then(|r| ext_u64(r, EXT_VSIZE)));
            match measure(&path, vsize) {
                Ok(Some(m)) => {
                    computed.insert(base.clone(), m);
                }
                Ok(None) => {}
                Err(e) => return Err(e),
            }
        }
        drop(listed);
        let _lock = self.dotlock()?;
        let mut list = match Uidlist::read(&self.dir)? {
            Some((list, _)) => list,
            None => match st.uidlist.take() {
                // Damaged on disk but known here: keep the UIDs clients have.
                Some(list) if list.uid_validity != 0 => list,
                _ => Uidlist::new(uidlist::next_uid_validity(&self.root)),
            },
        };
        // Files as they are now (a writer may have finished while we waited).
        let fresh = scan_dirs(&self.dir)?;
        let mut changed = !self.dir.join(uidlist::UIDLIST).exists();
        let mut by_base: HashMap<String, usize> = list
            .records
            .iter()
            .enumerate()
            .map(|(i, r)| (r.base.clone(), i))
            .collect();
        let mut new_bases: Vec<&String> = fresh
            .keys()
            .filter(|b| !by_base.contains_key(*b) && computed.contains_key(*b))
            .collect();
        new_bases.sort_by(|a, b| maildir_sort_cmp(a, b));
        for base in new_bases {
            if list.next_uid == u32::MAX {
                return Err(StoreError::Cannot {
                    what: "the folder has used every UID",
                });
            }
            let uid = list.next_uid;
            list.next_uid += 1;
            list.records.push(Record {
                uid,
                ext: Vec::new(),
                base: base.clone(),
            });
            by_base.insert(base.clone(), list.records.len() - 1);
            changed = true;
        }
        for r in &mut list.records {
            let Some((name, _)) = fresh.get(&r.base) else {
                continue;
            };
            if sizes_of(name, r).is_some() {
                continue;
            }
            let Some(&(psize, vsize, lacks)) = computed.get(&r.base) else {
                continue;
            };
            // As Dovecot: S and W in the record only when the name lacks them.
            if let (Some(psize), None) = (psize, name_size(name, b'S')) {
                r.set_ext(EXT_PSIZE, psize.to_string());
            }
            if name_size(name, b'W').is_none() {
                r.set_ext(EXT_VSIZE, vsize.to_string());
            }
            r.set_ext(EXT_LINE_END, if lacks { "1" } else { "0" }.to_owned());
            changed = true;
        }
        if changed {
            step("assign: write uidlist");
            list.write(&self.dir)?;
        }
        st.uidlist = Some(list);
        Ok(())
    }

    /// Moves the messages of `new/` to `cur/` (`:2,` appended), for a read-write or
    /// POP3 opener; the UIDs it moved (the others were moved by someone else first).
    fn take_new(&self, st: &mut State) -> Result<HashSet<u32>, StoreError> {
        let mut taken = HashSet::new();
        if st.in_new == 0 {
            return Ok(taken);
        }
        let mut moved = false;
        for e in st.messages.iter_mut().filter(|e| e.in_new) {
            let target = if e.name.contains(':') {
                e.name.clone()
            } else {
                format!("{}:2,", e.name)
            };
            let from = self.dir.join("new").join(&e.name);
            let to = self.dir.join("cur").join(&target);
            if to.exists() {
                tracing::warn!(file = %e.name, "not moving new/ message: same name in cur/");
                continue;
            }
            step("take new: rename");
            match fs::rename(&from, &to) {
                Ok(()) => {
                    taken.insert(e.uid);
                    e.in_new = false;
                    e.name = target;
                    moved = true;
                }
                Err(err) if err.kind() == io::ErrorKind::NotFound => st.dirty = true,
                Err(err) => return Err(StoreError::io(&from, err)),
            }
        }
        st.in_new = st.messages.iter().filter(|e| e.in_new).count();
        if moved {
            sync_dir(&self.dir.join("cur"))?;
            st.generation += 1;
            st.stamps = Stamps::of(&self.dir);
            st.dirty = true;
            self.ticker.tick();
        }
        Ok(taken)
    }

    /// Writes the uidlist with `edit` applied, under the dotlock (the caller holds the
    /// state mutex).
    fn edit_uidlist(
        &self,
        st: &mut State,
        edit: impl FnOnce(&mut Uidlist),
    ) -> Result<(), StoreError> {
        let _lock = self.dotlock()?;
        let mut list = match Uidlist::read(&self.dir)? {
            Some((list, _)) => list,
            None => match st.uidlist.take() {
                Some(list) => list,
                None => Uidlist::new(uidlist::next_uid_validity(&self.root)),
            },
        };
        edit(&mut list);
        list.write(&self.dir)?;
        st.uidlist = Some(list);
        Ok(())
    }
}

impl Drop for FolderShared {
    fn drop(&mut self) {
        let mut map = lock(folders());
        if map.get(&self.dir).is_some_and(|w| w.strong_count() == 0) {
            map.remove(&self.dir);
        }
    }
}

/// Lists `new/` then `cur/` (in that order, so a file moved from one to the other
/// during the scan is seen at least once). Dot files, names with CR or LF (Dovecot
/// ignores them), empty bases and names that are not UTF-8 are skipped.
fn scan_dirs(dir: &Path) -> Result<Scan, StoreError> {
    let mut out = Scan::new();
    for (sub, in_new) in [("new", true), ("cur", false)] {
        let path = dir.join(sub);
        let entries = match fs::read_dir(&path) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(StoreError::io(&path, e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| StoreError::io(&path, e))?;
            let Ok(name) = entry.file_name().into_string() else {
                tracing::warn!(file = ?entry.file_name(), "skipping a Maildir file whose name is not UTF-8");
                continue;
            };
            if name.starts_with('.') || name.starts_with(':') || name.contains(['\r', '\n']) {
                continue;
            }
            let base = name.split(':').next().unwrap_or(&name).to_owned();
            // cur/ wins over new/: the file was moved during the scan.
            out.insert(base, (name, in_new));
        }
    }
    Ok(out)
}

/// A message file's contents. With its size from the name (`,S=`), one `read` of one octet
/// more than that: getting exactly the size back is the end of the file, so neither the
/// `stat` nor the read that sees the end (which `fs::read` makes) is needed. Anything else
/// (no size, a wrong one, a short read) falls back to reading to the end.
fn read_message_file(path: &Path, size: Option<u64>) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut file = fs::File::open(path)?;
    let Some(size) = size.and_then(|s| usize::try_from(s).ok()) else {
        let mut data = Vec::new();
        file.read_to_end(&mut data)?;
        return Ok(data);
    };
    let mut data = vec![0u8; size.saturating_add(1)];
    let n = loop {
        match file.read(&mut data) {
            Ok(n) => break n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    };
    data.truncate(n);
    if n != size {
        file.read_to_end(&mut data)?;
    }
    Ok(data)
}

/// `,<key>=<n>` in a file name's base (Dovecot's `maildir_filename_get_size`).
fn name_size(name: &str, key: u8) -> Option<u64> {
    let base = name.split(':').next().unwrap_or(name);
    let pattern = [b',', key, b'='];
    let bytes = base.as_bytes();
    let at = bytes.windows(3).position(|w| w == pattern)? + 3;
    let digits: &[u8] = &bytes[at..];
    let end = digits
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    if end == 0 || !(end == digits.len() || digits[end] == b',') {
        return None;
    }
    std::str::from_utf8(&digits[..end]).ok()?.parse().ok()
}

fn ext_u64(r: &Record, key: u8) -> Option<u64> {
    r.ext(key).and_then(|v| v.parse().ok())
}

/// The wire size and line end of a message from its name and record, if both are
/// known.
fn sizes_of(name: &str, r: &Record) -> Option<(u64, bool)> {
    let vsize = name_size(name, b'W').or_else(|| ext_u64(r, EXT_VSIZE))?;
    let lacks = match r.ext(EXT_LINE_END)? {
        "0" => false,
        "1" => true,
        _ => return None,
    };
    Some((vsize, lacks))
}

/// Reads what a message's name and record lack: (physical size, wire size, lacks a
/// final line end). With the wire size known, only the last octet is read. `None` when
/// the file is gone.
fn measure(
    path: &Path,
    vsize: Option<u64>,
) -> Result<Option<(Option<u64>, u64, bool)>, StoreError> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreError::io(path, e)),
    };
    let io_err = |e| StoreError::io(path, e);
    let len = file.metadata().map_err(io_err)?.len();
    if let Some(vsize) = vsize {
        if len == 0 {
            return Ok(Some((Some(0), vsize, false)));
        }
        file.seek(SeekFrom::End(-1)).map_err(io_err)?;
        let mut last = [0u8; 1];
        file.read_exact(&mut last).map_err(io_err)?;
        return Ok(Some((Some(len), vsize, last[0] != b'\n')));
    }
    let mut data = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.read_to_end(&mut data).map_err(io_err)?;
    let mut counter = WireCounter::default();
    counter.feed(&data);
    Ok(Some((
        Some(data.len() as u64),
        counter.wire(),
        counter.lacks_final_newline(),
    )))
}

/// Dovecot's order for new files (`maildir_filename_sort_cmp`): by the seconds the name
/// starts with, then the microseconds after `M` in its second part, then the name.
fn maildir_sort_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn split(s: &str) -> (u64, &str) {
        let end = s
            .bytes()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(s.len());
        (
            s[..end]
                .parse()
                .unwrap_or(if end == 0 { 0 } else { u64::MAX }),
            &s[end..],
        )
    }
    fn usecs(rest: &str) -> Option<u64> {
        let part = rest.strip_prefix('.')?;
        let part = part.split(['.', ':']).next()?;
        let m = part.find('M')?;
        let digits: String = part[m + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    }
    let (sa, ra) = split(a);
    let (sb, rb) = split(b);
    sa.cmp(&sb)
        .then_with(|| match (usecs(ra), usecs(rb)) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => std::cmp::Ordering::Equal,
        })
        .then_with(|| ra.cmp(rb))
}

/// The info letters of `flags` in a folder whose keyword table is `keywords`, creating
/// keywords when `create`, and the names of the keywords that found no letter.
fn letters_for(flags: &[Flag], keywords: &mut Keywords, create: bool) -> (Vec<u8>, Vec<String>) {
    let mut letters = Vec::new();
    let mut missing = Vec::new();
    for flag in flags {
        if let Some(l) = system_letter(flag) {
            letters.push(l);
        } else if let Flag::Keyword(k) = flag {
            let Some(name) = k.as_str() else { continue };
            match keywords.letter(name, create) {
                Some(l) => letters.push(l),
                None => missing.push(name.to_owned()),
            }
        }
        // Flag::Extension: a Maildir has no place for it; it is not a permanent flag.
    }
    letters.sort_unstable();
    letters.dedup();
    (letters, missing)
}

/// The file name for a new message: `BASE,S=<len>,W=<wire>` plus the info for `letters`.
fn new_file_name(base: &str, len: u64, wire: u64, letters: &[u8]) -> (String, String, bool) {
    let full_base = format!("{base},S={len},W={wire}");
    if letters.is_empty() {
        (full_base.clone(), full_base, true)
    } else {
        let info = InfoFlags {
            letters: letters.to_vec(),
            other: Vec::new(),
        };
        (format!("{full_base}{}", info.suffix()), full_base, false)
    }
}

/// One message to copy: its current path and what its copy needs.
struct CopyItem {
    uid: u32,
    path: PathBuf,
    flags: Vec<Flag>,
    entry: Entry,
}

/// Copies `uids` of `source` into `dest` (see the module docs for the order).
fn copy_between(
    source: &Arc<FolderShared>,
    uids: &[u32],
    dest: &Arc<FolderShared>,
) -> Result<Copied, StoreError> {
    let wanted: HashSet<u32> = uids.iter().copied().collect();
    let collect = |source: &FolderShared| -> Result<Vec<CopyItem>, StoreError> {
        let mut st = source.state();
        source.refresh(&mut st)?;
        Ok(st
            .messages
            .iter()
            .filter(|e| wanted.contains(&e.uid))
            .map(|e| CopyItem {
                uid: e.uid,
                path: e.path(&source.dir),
                flags: e.info.to_flags(&st.keywords),
                entry: e.clone(),
            })
            .collect())
    };
    let items = collect(source)?;
    // Phase 1: every copy complete in dest/tmp/, invisible to everyone.
    let mut staged: Vec<(CopyItem, PathBuf, String)> = Vec::new();
    let cleanup = |staged: &[(CopyItem, PathBuf, String)]| {
        for (_, tmp, _) in staged {
            let _ = fs::remove_file(tmp);
        }
    };
    for item in items {
        let base = unique_name();
        let tmp = dest.dir.join("tmp").join(&base);
        let mut result = stage_copy(&item.path, &tmp);
        if matches!(&result, Err(e) if e.kind() == io::ErrorKind::NotFound) {
            // Renamed (flags) or expunged meanwhile: look it up again.
            let again = collect(source)?;
            result = match again.iter().find(|i| i.uid == item.uid) {
                Some(now) => stage_copy(&now.path, &tmp),
                None => continue, // expunged: nothing to copy
            };
        }
        if let Err(e) = result {
            cleanup(&staged);
            return Err(StoreError::io(&tmp, e));
        }
        staged.push((item, tmp, base));
    }
    // Phase 2: into new/ or cur/ and into the uidlist, under the destination's lock.
    let mut st = dest.state();
    let result = (|| -> Result<Copied, StoreError> {
        dest.refresh_for_write(&mut st)?;
        let _lock = dest.dotlock()?;
        let mut list = match Uidlist::read(&dest.dir)? {
            Some((list, _)) => list,
            None => st
                .uidlist
                .clone()
                .unwrap_or_else(|| Uidlist::new(uidlist::next_uid_validity(&dest.root))),
        };
        let (mut keywords, _) = Keywords::read(&dest.dir)?;
        let before = keywords.clone();
        let mut placed = Vec::new();
        for (item, tmp, base) in &staged {
            let (letters, dropped) = letters_for(&item.flags, &mut keywords, true);
            if !dropped.is_empty() {
                tracing::warn!(?dropped, folder = %dest.dir.display(), "keywords dropped on copy: the folder has 26 already");
            }
            let (name, full_base, to_new) =
                new_file_name(base, file_len(tmp).unwrap_or(0), item.entry.size, &letters);
            placed.push((
                item.uid,
                tmp.clone(),
                name,
                full_base,
                to_new,
                item.entry.lacks_final_newline,
            ));
        }
        if keywords != before {
            keywords.write(&dest.dir)?;
        }
        let mut dirs = HashSet::new();
        for (_, tmp, name, _, to_new, _) in &placed {
            let sub = if *to_new { "new" } else { "cur" };
            step("copy: rename into place");
            fs::rename(tmp, dest.dir.join(sub).join(name)).map_err(|e| StoreError::io(tmp, e))?;
            dirs.insert(sub);
        }
        for sub in dirs {
            sync_dir(&dest.dir.join(sub))?;
        }
        let mut copied = Copied {
            uid_validity: list.uid_validity,
            source: Vec::new(),
            destination: Vec::new(),
        };
        for (src_uid, _, _, full_base, _, lacks) in &placed {
            let uid = list.next_uid;
            list.next_uid += 1;
            list.records.push(Record {
                uid,
                ext: vec![(EXT_LINE_END, if *lacks { "1" } else { "0" }.to_owned())],
                base: full_base.clone(),
            });
            copied.source.push(*src_uid);
            copied.destination.push(uid);
        }
        step("copy: write uidlist");
        list.write(&dest.dir)?;
        st.uidlist = Some(list);
        st.dirty = true;
        Ok(copied)
    })();
    if result.is_err() {
        cleanup(&staged);
    }
    let refreshed = dest.refresh(&mut st);
    drop(st);
    dest.ticker.tick();
    let copied = result?;
    refreshed?;
    Ok(copied)
}

fn file_len(path: &Path) -> Option<u64> {
    fs::metadata(path).ok().map(|m| m.len())
}

/// A complete copy of `from` at `to` (a new name in a `tmp/`): a hard link, or the bytes
/// written, synced, with the same mtime (INTERNALDATE).
fn stage_copy(from: &Path, to: &Path) -> io::Result<()> {
    step("copy: link");
    match fs::hard_link(from, to) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(e),
        Err(_) => {} // another file system, or links refused: copy the bytes
    }
    let data = fs::read(from)?;
    let mtime = fs::metadata(from)?.modified()?;
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(to)?;
    let written = file
        .write_all(&data)
        .and_then(|()| file.set_modified(mtime))
        .and_then(|()| file.sync_all());
    if written.is_err() {
        let _ = fs::remove_file(to);
    }
    written
}

/// Unlinks the files of `uids` (those still there, and still `\Deleted` when
/// `need_deleted`), then drops their records; the UIDs removed.
fn remove_messages(
    shared: &FolderShared,
    uids: &[u32],
    need_deleted: bool,
) -> Result<Vec<u32>, StoreError> {
    let wanted: HashSet<u32> = uids.iter().copied().collect();
    let mut st = shared.state();
    shared.refresh_for_write(&mut st)?;
    let mut removed = Vec::new();
    let mut dirs = HashSet::new();
    for attempt in 0..2 {
        let mut retry = false;
        for e in st.messages.iter().filter(|e| wanted.contains(&e.uid)) {
            if removed.contains(&e.uid) || need_deleted && !e.info.has(b'T') {
                continue;
            }
            step("expunge: unlink");
            match fs::remove_file(e.path(&shared.dir)) {
                Ok(()) => {
                    removed.push(e.uid);
                    dirs.insert(e.in_new);
                }
                Err(err) if err.kind() == io::ErrorKind::NotFound => retry = true,
                Err(err) => return Err(StoreError::io(&e.path(&shared.dir), err)),
            }
        }
        if !retry || attempt == 1 {
            break;
        }
        // Renamed by another session (flags) meanwhile: look again.
        st.dirty = true;
        shared.refresh(&mut st)?;
    }
    if !removed.is_empty() {
        for in_new in dirs {
            sync_dir(&shared.dir.join(if in_new { "new" } else { "cur" }))?;
        }
        let gone: HashSet<u32> = removed.iter().copied().collect();
        shared.edit_uidlist(&mut st, |list| {
            list.records.retain(|r| !gone.contains(&r.uid))
        })?;
        st.dirty = true;
        shared.refresh(&mut st)?;
        shared.ticker.tick();
    }
    removed.sort_unstable();
    Ok(removed)
}

/// A folder opened by one session.
struct MaildirFolder {
    account: MaildirAccount,
    shared: Arc<FolderShared>,
    mode: OpenMode,
    /// The shared generation `messages` matches.
    generation: u64,
    uid_validity: u32,
    uid_next: u32,
    /// The listing as this session knows it: the folder's shared list while no message is
    /// `\Recent` for this session, a copy of its own otherwise (and copied on write when
    /// this session changes flags or expunges).
    messages: Arc<Vec<MessageMeta>>,
    invalidated: bool,
    /// The POP3 session lock (`flock` until dropped).
    _pop3_lock: Option<File>,
}

impl MaildirFolder {
    fn position(&self, uid: u32) -> Option<usize> {
        self.messages.binary_search_by_key(&uid, |m| m.uid).ok()
    }

    fn destination(&self, to: &str) -> Result<Arc<FolderShared>, StoreError> {
        let name = MailboxName::parse(to)?;
        self.account.shared(&name)
    }
}

impl Folder for MaildirFolder {
    fn uid_validity(&self) -> u32 {
        self.uid_validity
    }

    fn uid_next(&self) -> u32 {
        self.uid_next
    }

    fn messages(&self) -> &[MessageMeta] {
        &self.messages
    }

    fn read(&self, uid: u32) -> Result<Bytes, StoreError> {
        for attempt in 0..2 {
            let (path, size) = {
                let mut st = self.shared.state();
                if attempt > 0 {
                    st.dirty = true;
                    self.shared.refresh(&mut st)?;
                }
                match st.messages.binary_search_by_key(&uid, |e| e.uid) {
                    Ok(i) => (
                        st.messages[i].path(&self.shared.dir),
                        name_size(&st.messages[i].name, b'S'),
                    ),
                    Err(_) if attempt == 0 => continue,
                    Err(_) => return Err(StoreError::Gone { uid }),
                }
            };
            match read_message_file(&path, size) {
                Ok(data) => return Ok(Bytes::from(data)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(StoreError::io(&path, e)),
            }
        }
        Err(StoreError::Gone { uid })
    }

    fn store(&mut self, uids: &[u32], op: FlagOp, flags: &[Flag]) -> Result<(), StoreError> {
        let wanted: HashSet<u32> = uids.iter().copied().collect();
        let shared = Arc::clone(&self.shared);
        let mut st = shared.state();
        shared.refresh_for_write(&mut st)?;
        // Keywords first (under the uidlist lock, as Dovecot): a 27th is refused before
        // anything changes.
        let mut keywords = st.keywords.clone();
        let (_, missing) = letters_for(flags, &mut keywords, false);
        if !missing.is_empty() && op != FlagOp::Remove {
            let _lock = shared.dotlock()?;
            let (mut fresh, _) = Keywords::read(&shared.dir)?;
            let (_, still) = letters_for(flags, &mut fresh, true);
            if !still.is_empty() {
                return Err(too_many_keywords());
            }
            fresh.write(&shared.dir)?;
            st.keywords = fresh;
        }
        let mut keywords = st.keywords.clone();
        let (letters, _) = letters_for(flags, &mut keywords, false);
        let mut changed: Vec<(u32, InfoFlags)> = Vec::new();
        for attempt in 0..2 {
            let mut retry = false;
            for e in st.messages.iter_mut().filter(|e| wanted.contains(&e.uid)) {
                if changed.iter().any(|(u, _)| *u == e.uid) {
                    continue;
                }
                let mut info = e.info.clone();
                match op {
                    FlagOp::Replace => info.letters = letters.clone(),
                    FlagOp::Add => info.letters.extend_from_slice(&letters),
                    FlagOp::Remove => info.letters.retain(|l| !letters.contains(l)),
                }
                info.letters.sort_unstable();
                info.letters.dedup();
                if info == e.info {
                    changed.push((e.uid, info));
                    continue;
                }
                let name = format!("{}{}", e.base, info.suffix());
                let from = e.path(&shared.dir);
                let to = shared.dir.join("cur").join(&name);
                step("store: rename");
                match fs::rename(&from, &to) {
                    Ok(()) => {
                        e.name = name;
                        e.in_new = false;
                        e.info = info.clone();
                        changed.push((e.uid, info));
                    }
                    Err(err) if err.kind() == io::ErrorKind::NotFound => retry = true,
                    Err(err) => return Err(StoreError::io(&from, err)),
                }
            }
            if !retry || attempt == 1 {
                break;
            }
            st.dirty = true;
            shared.refresh(&mut st)?;
        }
        st.generation += 1;
        st.stamps = Stamps::of(&shared.dir);
        st.dirty = true;
        let keywords = st.keywords.clone();
        drop(st);
        shared.ticker.tick();
        // This session's own view has its own change; sync() reports only others'.
        for (uid, info) in changed {
            if let Some(i) = self.position(uid) {
                if let Some(m) = Arc::make_mut(&mut self.messages).get_mut(i) {
                    m.flags = info.to_flags(&keywords);
                }
            }
        }
        Ok(())
    }

    fn copy(&mut self, uids: &[u32], to: &str) -> Result<Copied, StoreError> {
        let dest = self.destination(to)?;
        copy_between(&self.shared, uids, &dest)
    }

    fn move_to(&mut self, uids: &[u32], to: &str) -> Result<Copied, StoreError> {
        let dest = self.destination(to)?;
        let copied = copy_between(&self.shared, uids, &dest)?;
        let removed = remove_messages(&self.shared, &copied.source, false)?;
        if self.mode != OpenMode::Pop3 {
            Arc::make_mut(&mut self.messages).retain(|m| !removed.contains(&m.uid));
        }
        Ok(copied)
    }

    fn expunge(&mut self, uids: &[u32]) -> Result<Vec<u32>, StoreError> {
        let removed = remove_messages(&self.shared, uids, self.mode != OpenMode::Pop3)?;
        if self.mode != OpenMode::Pop3 {
            Arc::make_mut(&mut self.messages).retain(|m| removed.binary_search(&m.uid).is_err());
        }
        Ok(removed)
    }

    fn sync(&mut self) -> Result<Vec<Change>, StoreError> {
        if self.mode == OpenMode::Pop3 {
            return Ok(Vec::new()); // RFC 1939: the listing is fixed for the session
        }
        if self.invalidated {
            return Ok(Vec::new());
        }
        let shared = Arc::clone(&self.shared);
        let mut st = shared.state();
        shared.refresh(&mut st)?;
        if st.gone || shared.moved_away() || st.uid_validity != self.uid_validity {
            self.invalidated = true;
            return Ok(vec![Change::Invalidated]);
        }
        let recent = if self.mode == OpenMode::ReadWrite {
            shared.take_new(&mut st)?
        } else {
            HashSet::new()
        };
        if st.generation == self.generation {
            return Ok(Vec::new());
        }
        let mut changes = Vec::new();
        // `\Recent` stays with this session's messages for the session's life.
        let mut any_recent = false;
        let mut view = Vec::with_capacity(st.messages.len());
        let mut old = self.messages.iter().peekable();
        for e in &st.messages {
            while let Some(m) = old.next_if(|m| m.uid < e.uid) {
                changes.push(Change::Expunged(m.uid));
            }
            match old.next_if(|m| m.uid == e.uid) {
                Some(m) => {
                    let mut m = m.clone();
                    let flags = e.info.to_flags(&st.keywords);
                    if flags != m.flags {
                        changes.push(Change::Flags(m.uid, flags.clone()));
                        m.flags = flags;
                    }
                    any_recent |= m.recent;
                    view.push(m);
                }
                None => {
                    let meta = e.meta(&st.keywords, recent.contains(&e.uid));
                    any_recent |= meta.recent;
                    changes.push(Change::Arrived(meta.clone()));
                    view.push(meta);
                }
            }
        }
        for m in old {
            changes.push(Change::Expunged(m.uid));
        }
        // Without `\Recent` the view is the generation's listing, which every such session
        // shares.
        self.messages = if any_recent {
            Arc::new(view)
        } else {
            st.shared_metas()
        };
        self.generation = st.generation;
        self.uid_next = st.next_uid;
        Ok(changes)
    }

    fn changed(&self) -> tokio_watch::Receiver<u64> {
        self.shared.watch();
        self.shared.ticker.subscribe()
    }
}

/// A message being appended: written to `tmp/BASE` as it arrives.
struct MaildirAppend {
    shared: Arc<FolderShared>,
    base: String,
    tmp_path: PathBuf,
    file: Option<File>,
    flags: Vec<Flag>,
    date: Option<SystemTime>,
    counter: WireCounter,
    done: bool,
}

impl AppendSink for MaildirAppend {
    fn write(&mut self, data: &[u8]) -> Result<(), StoreError> {
        let Some(file) = self.file.as_mut() else {
            return Err(StoreError::Cannot {
                what: "writing to a finished append",
            });
        };
        file.write_all(data)
            .map_err(|e| StoreError::io(&self.tmp_path, e))?;
        self.counter.feed(data);
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<Appended, StoreError> {
        let file = self.file.take().ok_or(StoreError::Cannot {
            what: "committing a finished append",
        })?;
        let io_err = |e| StoreError::io(&self.tmp_path, e);
        if let Some(date) = self.date {
            file.set_modified(date).map_err(io_err)?;
        }
        step("append: fsync");
        file.sync_all().map_err(io_err)?;
        drop(file);
        let shared = Arc::clone(&self.shared);
        let mut st = shared.state();
        let result = (|| -> Result<Appended, StoreError> {
            shared.refresh_for_write(&mut st)?;
            let _lock = shared.dotlock()?;
            let mut list = match Uidlist::read(&shared.dir)? {
                Some((list, _)) => list,
                None => st
                    .uidlist
                    .clone()
                    .unwrap_or_else(|| Uidlist::new(uidlist::next_uid_validity(&shared.root))),
            };
            let (mut keywords, _) = Keywords::read(&shared.dir)?;
            let before = keywords.clone();
            let (letters, missing) = letters_for(&self.flags, &mut keywords, true);
            if !missing.is_empty() {
                return Err(too_many_keywords());
            }
            if keywords != before {
                keywords.write(&shared.dir)?;
            }
            let (name, full_base, to_new) =
                new_file_name(&self.base, self.counter.len, self.counter.wire(), &letters);
            let sub = if to_new { "new" } else { "cur" };
            let target = shared.dir.join(sub).join(&name);
            step("append: rename into place");
            fs::rename(&self.tmp_path, &target).map_err(|e| StoreError::io(&target, e))?;
            self.done = true;
            sync_dir(&shared.dir.join(sub))?;
            let uid = list.next_uid;
            list.next_uid += 1;
            list.records.push(Record {
                uid,
                ext: vec![(
                    EXT_LINE_END,
                    if self.counter.lacks_final_newline() {
                        "1"
                    } else {
                        "0"
                    }
                    .to_owned(),
                )],
                base: full_base,
            });
            step("append: write uidlist");
            list.write(&shared.dir)?;
            let uid_validity = list.uid_validity;
            st.uidlist = Some(list);
            st.dirty = true;
            Ok(Appended { uid_validity, uid })
        })();
        let _ = shared.refresh(&mut st);
        drop(st);
        shared.ticker.tick();
        result
    }
}

impl Drop for MaildirAppend {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_file(&self.tmp_path);
        }
    }
}
