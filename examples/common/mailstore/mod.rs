//! The mail store both example servers stand on, behind a small trait so that formats (a
//! Maildir++ tree, an mbox spool, a database) can be swapped: one [`MailStore`] per
//! server, one [`Account`] per logged-in user, one [`Folder`] per open mailbox.
//!
//! It is protocol-neutral: POP3 opens INBOX with [`OpenMode::Pop3`] (listing, read,
//! delete at QUIT); IMAP uses every operation. Names are Unicode, with the format's
//! hierarchy delimiter ([`Account::delimiter`]); flags are IMAP's (`pobox::imap::Flag`:
//! the system flags and keywords), the richest model of the three formats.
//!
//! All methods block (files, locks, a database round trip): async servers call them from
//! `tokio::task::spawn_blocking`.
//!
//! # Changes made by others
//! Several sessions, in this process or in others, and programs such as an MTA, change a
//! mailbox while it is open. A [`Folder`] keeps the state its session was told and, on
//! [`Folder::sync`], returns what changed since. [`Folder::changed`] gives a receiver
//! that ticks whenever the folder may have changed (a store operation in this process, a
//! file notification, a poll, a database NOTIFY), so a session in IDLE syncs within a
//! second of a delivery.
//!
//! # Implementations
//!
//! | file | job |
//! |------|-----|
//! | [`maildir`] | Maildir++ ([`maildir::MaildirStore`]): folders, messages, the shared per-folder state, sessions, APPEND/COPY/MOVE/EXPUNGE ordering |
//! | [`names`] | mailbox names from clients made safe; Maildir++ directory names in modified UTF-7 |
//! | [`uidlist`] | `dovecot-uidlist` (version 3), its dotlock and stale-lock rules, `dovecot-uidvalidity` |
//! | [`keywords`] | `dovecot-keywords` and the `:2,` info letters |
//! | [`watch`] | one inotify watcher per process, one ticker per folder, a polling fallback |
//!
//! [`open_location`] turns `--mail maildir:PATH/%u` into a store; `mbox:` is not on this
//! trait yet.
//!
//! # No message is lost
//! Every implementation orders its writes so that a crash at any point (kill -9) leaves
//! each message in at least one place and the UID records consistent: a new message is
//! complete before it becomes visible, a COPY is complete before its UIDs are reported,
//! a MOVE copies before it removes, an EXPUNGE removes only what it was asked to.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use pobox::imap::Flag;
use pobox::imap::MailboxAttribute;

/// What can go wrong with the store. Each protocol maps the kinds to its own answers.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The `--mail` argument is not a location this build understands.
    #[error("invalid mail location {spec:?}: {reason}")]
    InvalidSpec {
        /// The argument as given.
        spec: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The user name cannot be used (in a path, say).
    #[error("user name unusable in a mail location: {reason}")]
    InvalidUser {
        /// Why.
        reason: &'static str,
    },
    /// A mailbox name from a client that the store will not use (`..`, `/`, NUL, a name
    /// that is one of the format's own files).
    #[error("invalid mailbox name: {reason}")]
    InvalidName {
        /// Why.
        reason: &'static str,
    },
    /// No such mailbox.
    #[error("no mailbox {name:?}")]
    NoMailbox {
        /// The name.
        name: String,
    },
    /// The mailbox exists already.
    #[error("mailbox {name:?} exists")]
    Exists {
        /// The name.
        name: String,
    },
    /// The operation is not possible on this mailbox (deleting INBOX, a folder in an mbox
    /// store).
    #[error("not possible: {what}")]
    Cannot {
        /// What was refused.
        what: &'static str,
    },
    /// Another session holds a lock this one needs (a second POP3 session).
    #[error("mailbox {path} is in use by another session")]
    InUse {
        /// The locked mailbox.
        path: PathBuf,
    },
    /// A lock could not be had in time.
    #[error("timed out waiting for lock on {path}")]
    LockTimeout {
        /// The locked file.
        path: PathBuf,
    },
    /// The message is gone (expunged by someone else).
    #[error("message {uid} is gone")]
    Gone {
        /// Its UID.
        uid: u32,
    },
    /// The mailbox's files are damaged.
    #[error("{path} is damaged: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An I/O error on a file of the store.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// Any other failure of the store (a database error).
    #[error("{0}")]
    Backend(String),
}

impl StoreError {
    /// An [`StoreError::Io`] for `path`.
    pub fn io(path: &Path, source: io::Error) -> StoreError {
        StoreError::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// `true` for errors a client should retry later (locks, a message that vanished).
    pub fn is_temporary(&self) -> bool {
        matches!(
            self,
            StoreError::InUse { .. } | StoreError::LockTimeout { .. } | StoreError::Gone { .. }
        )
    }
}

/// A mail store: where every user's mail is. One per server, shared by every session.
pub trait MailStore: Send + Sync + 'static {
    /// The hierarchy delimiter of mailbox names in this store (every account's
    /// [`Account::delimiter`]).
    fn delimiter(&self) -> char {
        '/'
    }

    /// The mail of `user`, whose login the server has checked. Cheap: opening touches
    /// nothing beyond what the format needs to exist.
    fn account(&self, user: &str) -> Result<Arc<dyn Account>, StoreError>;

    /// Delivers a message to `user`'s INBOX as an MTA would (used by tests and the demo).
    fn deliver(&self, user: &str, message: &[u8]) -> Result<u32, StoreError> {
        let account = self.account(user)?;
        let mut sink = account.append("INBOX", &[], None)?;
        sink.write(message)?;
        Ok(sink.commit()?.uid)
    }
}

/// One mailbox of [`Account::folders`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderEntry {
    /// The name (Unicode, the account's delimiter between levels; `INBOX` for the inbox).
    pub name: String,
    /// `\Noselect`, `\Noinferiors`, and special-use attributes (RFC 6154).
    pub attributes: Vec<MailboxAttribute>,
    /// The user subscribed to it.
    pub subscribed: bool,
    /// `false` for a subscription whose mailbox does not exist.
    pub exists: bool,
}

/// The counters of STATUS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FolderStatus {
    /// Messages.
    pub messages: u32,
    /// Messages no session has been told of yet (`\Recent`).
    pub recent: u32,
    /// Messages without `\Seen`.
    pub unseen: u32,
    /// The UID the next message will get.
    pub uid_next: u32,
    /// The mailbox's UIDVALIDITY.
    pub uid_validity: u32,
}

/// How a folder is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// IMAP SELECT: messages new since the last reader are `\Recent` for this session,
    /// and it takes them (RFC 3501 §2.3.2).
    ReadWrite,
    /// IMAP EXAMINE: nothing changes, `\Recent` stays for others.
    ReadOnly,
    /// POP3 (RFC 1939): INBOX only, one POP3 session at a time ([`StoreError::InUse`]
    /// for the second), IMAP sessions alongside.
    Pop3,
}

/// One message as a listing shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageMeta {
    /// The IMAP UID (RFC 3501 §2.3.1.1), ascending in the listing.
    pub uid: u32,
    /// System flags and keywords.
    pub flags: Vec<Flag>,
    /// `\Recent` for the session that opened the folder.
    pub recent: bool,
    /// The size as the wire sees it: each bare LF counted as CRLF (RFC822.SIZE; the POP3
    /// size of RFC 1939 §11 adds the final line end when it is missing, see
    /// [`MessageMeta::pop3_size`]).
    pub size: u64,
    /// The POP3 unique id (UIDL, RFC 1939 §7): stable across sessions.
    pub uidl: String,
    /// INTERNALDATE (RFC 3501 §2.3.3).
    pub internal_date: SystemTime,
    /// `true` when the message does not end with a line end (POP3 adds one).
    pub lacks_final_newline: bool,
}

impl MessageMeta {
    /// The size POP3 lists (RFC 1939 §11): what RETR sends before byte-stuffing.
    pub fn pop3_size(&self) -> u64 {
        self.size + if self.lacks_final_newline { 2 } else { 0 }
    }
}

/// What a folder reports on [`Folder::sync`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A new message.
    Arrived(MessageMeta),
    /// A message was expunged.
    Expunged(u32),
    /// A message's flags are now these.
    Flags(u32, Vec<Flag>),
    /// The folder was deleted or its UIDVALIDITY changed: it must be closed.
    Invalidated,
}

/// How STORE changes flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOp {
    /// Replace them.
    Replace,
    /// Add these.
    Add,
    /// Remove these.
    Remove,
}

/// Where a COPY or MOVE put messages: `source[i]` became `destination[i]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Copied {
    /// UIDVALIDITY of the destination.
    pub uid_validity: u32,
    /// Source UIDs, ascending.
    pub source: Vec<u32>,
    /// Their UIDs in the destination.
    pub destination: Vec<u32>,
}

/// Where an appended message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// UIDVALIDITY of the mailbox.
    pub uid_validity: u32,
    /// The message's UID.
    pub uid: u32,
}

/// One user's mail.
pub trait Account: Send + Sync {
    /// The hierarchy delimiter of mailbox names (`.` for Maildir++).
    fn delimiter(&self) -> char;

    /// Every mailbox, and every subscription (existing or not).
    fn folders(&self) -> Result<Vec<FolderEntry>, StoreError>;

    /// Creates a mailbox (and its missing parents).
    fn create(&self, name: &str) -> Result<(), StoreError>;

    /// Deletes a mailbox (INBOX cannot be). One with children keeps them and loses its
    /// messages (RFC 3501 §6.3.4).
    fn delete(&self, name: &str) -> Result<(), StoreError>;

    /// Renames a mailbox and its children; renaming INBOX moves its messages and leaves
    /// INBOX empty (RFC 3501 §6.3.5).
    fn rename(&self, from: &str, to: &str) -> Result<(), StoreError>;

    /// Subscribes to (or unsubscribes from) a name, existing or not.
    fn subscribe(&self, name: &str, subscribed: bool) -> Result<(), StoreError>;

    /// The counters of a mailbox.
    fn status(&self, name: &str) -> Result<FolderStatus, StoreError>;

    /// Opens a mailbox for a session.
    fn open(&self, name: &str, mode: OpenMode) -> Result<Box<dyn Folder>, StoreError>;

    /// Starts appending a message: its octets go to the sink as they arrive, and it
    /// appears in the mailbox only on [`AppendSink::commit`]. `date`: INTERNALDATE, now
    /// when `None`.
    fn append(
        &self,
        name: &str,
        flags: &[Flag],
        date: Option<SystemTime>,
    ) -> Result<Box<dyn AppendSink>, StoreError>;
}

/// A message being appended. Dropped without [`commit`](AppendSink::commit), it leaves
/// nothing behind.
pub trait AppendSink: Send {
    /// The next octets of the message.
    fn write(&mut self, data: &[u8]) -> Result<(), StoreError>;

    /// Stores the message: durable and visible to others once this returns.
    fn commit(self: Box<Self>) -> Result<Appended, StoreError>;
}

/// A mailbox opened by one session.
pub trait Folder: Send + Sync {
    /// UIDVALIDITY (RFC 3501 §2.3.1.1).
    fn uid_validity(&self) -> u32;

    /// The UID the next message will get.
    fn uid_next(&self) -> u32;

    /// The messages as this session knows them (after the last [`sync`](Folder::sync)).
    fn messages(&self) -> &[MessageMeta];

    /// A message's octets, as stored (LF or CRLF line ends).
    fn read(&self, uid: u32) -> Result<Bytes, StoreError>;

    /// Changes the flags of `uids` (those that still exist).
    fn store(&mut self, uids: &[u32], op: FlagOp, flags: &[Flag]) -> Result<(), StoreError>;

    /// Copies `uids` to the mailbox `to`.
    fn copy(&mut self, uids: &[u32], to: &str) -> Result<Copied, StoreError>;

    /// Moves `uids` to the mailbox `to` (RFC 6851): copied first, removed here after.
    fn move_to(&mut self, uids: &[u32], to: &str) -> Result<Copied, StoreError>;

    /// Removes those of `uids` that still have `\Deleted` (POP3: that still exist); the
    /// UIDs removed.
    fn expunge(&mut self, uids: &[u32]) -> Result<Vec<u32>, StoreError>;

    /// What changed since the last call (or the open), as others made it.
    fn sync(&mut self) -> Result<Vec<Change>, StoreError>;

    /// Ticks whenever the folder may have changed; then call [`sync`](Folder::sync).
    fn changed(&self) -> tokio::sync::watch::Receiver<u64>;
}

impl fmt::Debug for dyn Folder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Folder")
            .field("uid_validity", &self.uid_validity())
            .field("messages", &self.messages().len())
            .finish()
    }
}

pub mod keywords;
pub mod maildir;
pub mod names;
pub mod uidlist;
pub mod watch;

/// Opens the store a `--mail` argument names: `maildir:PATH` with `%u` for the user name
/// (a Maildir++ tree per user, [`maildir::MaildirStore`]). `mbox:` is not implemented on
/// this trait yet.
pub fn open_location(spec: &str) -> Result<Arc<dyn MailStore>, StoreError> {
    let invalid = |reason| StoreError::InvalidSpec {
        spec: spec.to_owned(),
        reason,
    };
    if let Some(path) = spec.strip_prefix("maildir:") {
        let store = maildir::MaildirStore::new(path).map_err(|e| match e {
            StoreError::InvalidSpec { reason, .. } => invalid(reason),
            other => other,
        })?;
        Ok(Arc::new(store))
    } else if spec.starts_with("mbox:") {
        Err(invalid(
            "mbox: is not implemented by the new store yet (the POP3 server's old store \
             still serves mbox spools); use maildir:PATH/%u",
        ))
    } else {
        Err(invalid("must start with maildir: or mbox:"))
    }
}

/// A hook called before each file-system step that changes a mailbox (create, write,
/// sync, rename, link, unlink, lock), with the step's name. Tests set it to kill the
/// process after N steps and check that nothing was lost; it is never set otherwise.
static STEP_HOOK: std::sync::OnceLock<fn(&'static str)> = std::sync::OnceLock::new();

/// Sets the [`STEP_HOOK`] for this process (once); `false` when one is set already.
pub fn set_step_hook(hook: fn(&'static str)) -> bool {
    STEP_HOOK.set(hook).is_ok()
}

/// Marks a file-system step (see [`set_step_hook`]).
pub(crate) fn step(what: &'static str) {
    if let Some(hook) = STEP_HOOK.get() {
        hook(what);
    }
}
