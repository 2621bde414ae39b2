//! The mail store both example servers use, chosen with `--mail`:
//!
//! * `maildir:PATH/%u`: one Maildir per user ([`super::maildir`]);
//! * `mbox:PATH/%u`: one mbox spool file per user, `/var/mail/%u` style ([`super::mbox`]).
//!
//! `%u` is replaced by the user name, which must be a safe single path component (see
//! [`validate_user`]). The life of a POP3 session against the store:
//!
//! ```text
//! let store: Store = "maildir:/home/%u/Maildir".parse()?;
//! let mut mailbox = store.open("alice")?;        // session lock; new/ -> cur/
//! for m in mailbox.messages() { m.uid; m.size }  // listing for STAT/LIST/UIDL
//! let bytes = mailbox.read(0)?;                  // RETR 1 / TOP 1 n, as `Bytes`
//! mailbox.commit(&[0])?;                         // QUIT in TRANSACTION: delete message 1
//! // or: drop(mailbox)                           // connection lost: nothing is deleted
//! ```
//!
//! Messages are numbered by their index in [`Mailbox::messages`], from 0: POP3 message
//! number `n` is index `n - 1`. The listing is a snapshot taken at open and never changes
//! during the session, as RFC 1939 §5 requires of the maildrop's message numbers.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::SystemTime;

use bytes::Bytes;
use md5::{Digest, Md5};
use pobox::pop3::server::UniqueId;

use super::flags::Flags;
use super::lock::LockPolicy;
use super::{maildir, mbox};

/// What can go wrong with the store. The POP3 server maps [`StoreError::InUse`] to
/// `-ERR [IN-USE]` (RFC 2449 §8.1.2) and everything else to `-ERR [SYS/TEMP]` or
/// `[SYS/PERM]` (RFC 3206 §4).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The `--mail` argument is not `maildir:PATH` or `mbox:PATH` with a `%u`.
    #[error("invalid mail location {spec:?}: {reason}")]
    InvalidSpec {
        /// The argument as given.
        spec: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The user name cannot be used in a path (see [`validate_user`]).
    #[error("user name unusable in a mail path: {reason}")]
    InvalidUser {
        /// Why.
        reason: &'static str,
    },
    /// Another session holds the maildrop.
    #[error("mailbox {path} is in use by another session")]
    InUse {
        /// The maildrop.
        path: PathBuf,
    },
    /// A lock (dotlock or `fcntl`) could not be had in time.
    #[error("timed out waiting for lock on {path}")]
    LockTimeout {
        /// The locked file.
        path: PathBuf,
    },
    /// The maildrop does not exist or is not a Maildir.
    #[error("no mailbox at {path}")]
    NoMailbox {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// A message of the listing is gone: another program deleted it during the session.
    #[error("message {uid} vanished (removed by another program)")]
    Vanished {
        /// Its unique id.
        uid: String,
    },
    /// An index beyond the listing.
    #[error("no message with index {index}")]
    NoSuchMessage {
        /// The index asked for.
        index: usize,
    },
    /// The mbox spool is not in mbox format.
    #[error("{path} is not an mbox file: {reason}")]
    Corrupt {
        /// The spool.
        path: PathBuf,
        /// What is wrong.
        reason: &'static str,
    },
    /// Another program rewrote the mbox spool during the session (not an append): the
    /// commit is refused and nothing is deleted.
    #[error("{path} was changed by another program during the session; nothing deleted")]
    Changed {
        /// The spool.
        path: PathBuf,
    },
    /// The operation is not possible with this format.
    #[error("not supported by this mail format: {what}")]
    Unsupported {
        /// The operation.
        what: &'static str,
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
}

impl StoreError {
    /// An [`StoreError::Io`] for `path`.
    pub fn io(path: &Path, source: io::Error) -> StoreError {
        StoreError::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// `true` for errors a client should retry later (locks), as opposed to broken
    /// configuration or storage. POP3 maps these to `[IN-USE]` or `[SYS/TEMP]`.
    pub fn is_temporary(&self) -> bool {
        matches!(
            self,
            StoreError::InUse { .. }
                | StoreError::LockTimeout { .. }
                | StoreError::Vanished { .. }
                | StoreError::Changed { .. }
        )
    }
}

/// A unique id made from a digest: its bytes in lower-case hex (at most the first 35
/// bytes, so at most 70 characters), for formats with no usable id of their own.
pub fn digest_id(digest: &[u8]) -> UniqueId {
    let hex: String = digest.iter().take(35).map(|b| format!("{b:02x}")).collect();
    // 2 to 70 hex digits: always within RFC 1939 §7's 1 to 70 octets of 0x21..=0x7E.
    UniqueId::new(hex).expect("a hex digest is a valid unique id")
}

/// The MD5 digest of `bytes` as a unique id (32 hex digits).
pub fn md5_id(bytes: &[u8]) -> UniqueId {
    digest_id(&Md5::digest(bytes))
}

/// One message of a maildrop listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageInfo {
    /// Unique id for UIDL.
    pub uid: UniqueId,
    /// Size for LIST and STAT: the octets RETR sends before byte-stuffing, each bare LF
    /// counted as CRLF and a missing final line end as the CRLF the session adds (RFC 1939
    /// §11; [`pobox::pop3::wire_size`]).
    pub size: u64,
    /// Flags (Maildir info suffix; mbox `Status:`/`X-Status:` headers).
    pub flags: Flags,
    /// IMAP INTERNALDATE: the file's mtime (Maildir), the From_ line date (mbox).
    pub internal_date: SystemTime,
}

/// What [`Mailbox::commit`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CommitSummary {
    /// Messages removed by this commit.
    pub deleted: usize,
    /// Messages to delete that another program had already removed (Maildir only).
    pub already_gone: usize,
}

/// Checks that a user name is safe to put into a path in place of `%u`: not empty, at
/// most 255 bytes, not `.` or `..`, and free of `/`, `..`, NUL and other control bytes.
pub fn validate_user(user: &str) -> Result<(), StoreError> {
    let reason = if user.is_empty() {
        "empty"
    } else if user.len() > 255 {
        "longer than 255 bytes"
    } else if user.contains('/') {
        "contains '/'"
    } else if user.contains("..") {
        "contains '..'"
    } else if user == "." {
        "is '.'"
    } else if user.bytes().any(|b| b < 0x20 || b == 0x7f) {
        "contains a control character or NUL"
    } else {
        return Ok(());
    };
    Err(StoreError::InvalidUser { reason })
}

/// The two mail formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// One Maildir per user.
    Maildir,
    /// One mbox spool file per user.
    Mbox,
}

/// A mail location: format plus path template, as given with `--mail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    kind: StoreKind,
    template: String,
    locks: LockPolicy,
}

impl FromStr for Store {
    type Err = StoreError;

    /// Parses `maildir:PATH` or `mbox:PATH`; `PATH` must contain `%u`.
    fn from_str(spec: &str) -> Result<Store, StoreError> {
        let invalid = |reason| StoreError::InvalidSpec {
            spec: spec.to_owned(),
            reason,
        };
        let (kind, template) = if let Some(path) = spec.strip_prefix("maildir:") {
            (StoreKind::Maildir, path)
        } else if let Some(path) = spec.strip_prefix("mbox:") {
            (StoreKind::Mbox, path)
        } else {
            return Err(invalid("must start with maildir: or mbox:"));
        };
        if !template.contains("%u") {
            return Err(invalid("the path must contain %u (the user name)"));
        }
        if template.contains('\0') {
            return Err(invalid("the path contains NUL"));
        }
        Ok(Store {
            kind,
            template: template.to_owned(),
            locks: LockPolicy::default(),
        })
    }
}

impl fmt::Display for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match self.kind {
            StoreKind::Maildir => "maildir",
            StoreKind::Mbox => "mbox",
        };
        write!(f, "{prefix}:{}", self.template)
    }
}

impl Store {
    /// A store of `kind` at `template` (which must contain `%u`).
    pub fn new(kind: StoreKind, template: &Path) -> Result<Store, StoreError> {
        let prefix = match kind {
            StoreKind::Maildir => "maildir:",
            StoreKind::Mbox => "mbox:",
        };
        format!("{prefix}{}", template.display()).parse()
    }

    /// Uses `policy` for the dotlock and `fcntl` waits instead of the default.
    pub fn with_lock_policy(mut self, policy: LockPolicy) -> Store {
        self.locks = policy;
        self
    }

    /// The format.
    pub fn kind(&self) -> StoreKind {
        self.kind
    }

    /// The maildrop path of `user`: the template with every `%u` replaced.
    pub fn path_for(&self, user: &str) -> Result<PathBuf, StoreError> {
        validate_user(user)?;
        Ok(PathBuf::from(self.template.replace("%u", user)))
    }

    /// Opens `user`'s maildrop for a POP3 session: takes the session lock (a second
    /// session gets [`StoreError::InUse`]) and takes the listing snapshot. A Maildir
    /// also has its new/ messages moved to cur/.
    pub fn open(&self, user: &str) -> Result<Mailbox, StoreError> {
        let path = self.path_for(user)?;
        let inner = match self.kind {
            StoreKind::Maildir => Inner::Maildir(maildir::Maildir::open(&path)?),
            StoreKind::Mbox => Inner::Mbox(mbox::Spool::open(&path, self.locks)?),
        };
        Ok(Mailbox { inner })
    }

    /// Delivers a message to `user`'s maildrop as an MTA (or IMAP APPEND) would, without
    /// a session: Maildir writes tmp/ then renames into new/ (or cur/ when `flags` are
    /// given); mbox appends under the dotlock and `fcntl` lock (flags are not stored).
    /// `internal_date` defaults to now.
    pub fn append(
        &self,
        user: &str,
        message: &[u8],
        flags: Flags,
        internal_date: Option<SystemTime>,
    ) -> Result<(), StoreError> {
        let path = self.path_for(user)?;
        match self.kind {
            StoreKind::Maildir => maildir::deliver(&path, message, flags, internal_date).map(drop),
            StoreKind::Mbox => {
                let date = internal_date.unwrap_or_else(SystemTime::now);
                mbox::deliver(&path, message, "MAILER-DAEMON", date, &self.locks)
            }
        }
    }
}

/// One user's maildrop, opened for a session. Dropping it without [`Mailbox::commit`]
/// releases the locks and deletes nothing (the connection-lost case of RFC 1939 §6).
#[derive(Debug)]
pub struct Mailbox {
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    Maildir(maildir::Maildir),
    Mbox(mbox::Spool),
}

impl Mailbox {
    /// The listing taken at open, in delivery order.
    pub fn messages(&self) -> &[MessageInfo] {
        match &self.inner {
            Inner::Maildir(m) => m.messages(),
            Inner::Mbox(m) => m.messages(),
        }
    }

    /// The maildrop size for STAT: the sum of the listing's sizes.
    pub fn total_size(&self) -> u64 {
        self.messages().iter().map(|m| m.size).sum()
    }

    /// The message at `index`, as stored (LF or CRLF line ends; mbox quoting undone).
    /// A Maildir message is read from its file now, in one read; an mbox message is a
    /// slice of the spool read at open.
    pub fn read(&self, index: usize) -> Result<Bytes, StoreError> {
        match &self.inner {
            Inner::Maildir(m) => m.read(index),
            Inner::Mbox(m) => m.read(index),
        }
    }

    /// Replaces the flags of the message at `index` (Maildir only: renames the file).
    pub fn set_flags(&mut self, index: usize, flags: Flags) -> Result<(), StoreError> {
        match &mut self.inner {
            Inner::Maildir(m) => m.set_flags(index, flags),
            Inner::Mbox(_) => Err(StoreError::Unsupported {
                what: "changing flags in an mbox",
            }),
        }
    }

    /// Deletes the messages at `deleted` (indices; duplicates are ignored) and ends the
    /// session (RFC 1939 §6, UPDATE state). Every index is checked before anything is
    /// deleted. On error, the locks are released all the same.
    pub fn commit(self, deleted: &[usize]) -> Result<CommitSummary, StoreError> {
        let count = self.messages().len();
        if let Some(&index) = deleted.iter().find(|&&i| i >= count) {
            return Err(StoreError::NoSuchMessage { index });
        }
        let mut deleted = deleted.to_vec();
        deleted.sort_unstable();
        deleted.dedup();
        match self.inner {
            Inner::Maildir(m) => m.commit(&deleted),
            Inner::Mbox(m) => m.commit(&deleted),
        }
    }
}
