//! The mbox spool, `/var/mail/USER` style: all of a user's messages in one file, each
//! starting with a From_ line (`From sender@example.org Tue Nov 14 22:13:21 2023`) and
//! followed by an empty line.
//!
//! # Format choices
//!
//! * **Separation.** A message starts at a line beginning with `From ` that is the first
//!   line of the file or follows an empty line (`\n` or `\r\n`). A `From ` line elsewhere
//!   belongs to the message body. A non-empty file that does not start with `From ` is
//!   refused ([`StoreError::Corrupt`]). A message's content is everything after its From_
//!   line up to the empty line before the next From_ line (or the end of the file, less one
//!   trailing empty line). `Content-Length:` headers (the mboxcl variants) are ignored.
//! * **Quoting: mboxrd.** Writers prefix `>` to every body line matching `^>*From `;
//!   [`read`](Spool::read) removes one `>` from every line matching `^>+From `. Unlike
//!   mboxo (which quotes only `^From ` and cannot be undone), mboxrd restores every body
//!   exactly. The price: a spool written by an mboxo MTA (Postfix `local` quotes only
//!   `From `) that contains a body line which really began with `>From ` is read with one
//!   `>` too few. Both are common; mboxrd is the only one that round-trips.
//! * **Unique ids.** RFC 1939 §7 wants ids that persist across sessions; mbox has no ids, and
//!   pobox never writes into messages. The id is the MD5 hex digest (32 chars) of the From_
//!   line plus the header section, skipping the headers MUAs and other servers rewrite in
//!   place (`Status`, `X-Status`, `X-Keywords`, `X-UID`, `X-IMAP`, `X-IMAPbase`,
//!   `Content-Length`, `Lines`), with line ends normalised. The From_ line has the
//!   delivery time to the second and the headers have `Received:`/`Message-ID:`, so
//!   distinct deliveries get distinct ids. Trade-offs: a program that edits other headers
//!   changes the id (the client downloads the message again, nothing is lost); two
//!   byte-identical deliveries in the same second collide, so repeats get `-2`, `-3`...
//!   by position, and deleting the first of two twins hands its id to the second (a
//!   client then treats the twin as already seen: it holds an identical copy). An
//!   `X-UIDL:` header is **not** trusted: anyone sending mail could set it to another
//!   message's id and make clients skip that message.
//! * **Flags** come from `Status:` (`R` seen) and `X-Status:` (`A` answered, `F` flagged,
//!   `T` draft, `D` deleted) as MUAs write them; they are not written back.
//! * **Memory.** The whole spool is read once at open and every message is a slice of it
//!   (a copy only for the rare message with quoted `From ` lines). A spool is bounded by
//!   the disk quota of its user; a server for huge spools should index instead.
//!
//! # Locking (see [`super::lock`] for the three kinds)
//!
//! * A session holds an `flock` on the spool for its whole life: a second session, in this
//!   process or another, gets [`StoreError::InUse`] (POP3 `-ERR [IN-USE]`).
//! * The dotlock `USER.lock` and an `fcntl` lock, the two that MTAs take on Linux, are held
//!   only while the spool is read at open and while it is rewritten at commit. Holding them
//!   for a whole session would stop all deliveries for its length, and other programs break
//!   dotlocks older than a few minutes as stale anyway.
//!
//! # Commit: temp file + rename
//!
//! Under both locks, [`Spool::commit`] checks that the spool is still the same file
//! (inode) and that its first bytes are exactly those read at open (else
//! [`StoreError::Changed`]: nothing is deleted). The bytes past them were appended by an
//! MTA during the session and are kept. The new spool (kept messages + appended tail) is
//! written to a temporary file in the same directory, given the old file's mode and
//! (where permitted) owner and group, synced, and renamed over the spool; then the
//! directory is synced. Why not rewrite in place: a crash in the middle of an in-place
//! rewrite leaves a corrupt spool, while a crash before the rename leaves the old spool
//! whole (nothing deleted, nothing lost). The cost: twice the disk space for a moment, and
//! a program that opened the spool *before* taking the dotlock and then waits on its
//! `fcntl` lock would write to the replaced file. Postfix, Exim and procmail take the
//! dotlock first, then open the file, so they always write to the current spool.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use bytes::Bytes;
use md5::{Digest, Md5};
use memchr::memmem;

use super::flags::Flags;
use super::from_line;
use super::lock::{DotLock, FcntlLock, InProcessClaim, LockPolicy, try_flock_exclusive};
use super::maildir::sync_dir;
use pobox::pop3::server::UniqueId;
use pobox::pop3::wire_size;

use super::store::{CommitSummary, MessageInfo, StoreError, digest_id};

/// Headers that MUAs and servers rewrite in place; left out of the unique id.
const VOLATILE_HEADERS: [&str; 8] = [
    "status",
    "x-status",
    "x-keywords",
    "x-uid",
    "x-imap",
    "x-imapbase",
    "content-length",
    "lines",
];

/// Where one message lies in the spool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extent {
    /// From the From_ line to the start of the next message (including the empty line
    /// that separates them): what commit keeps or drops.
    pub raw: Range<usize>,
    /// The From_ line, without its line end.
    pub from_line: Range<usize>,
    /// The message itself, still mboxrd-quoted.
    pub content: Range<usize>,
}

/// Splits an mbox file into messages (see the module docs for the rules).
pub fn split(data: &[u8]) -> Result<Vec<Extent>, &'static str> {
    if data.is_empty() {
        return Ok(Vec::new());
    }
    if !data.starts_with(b"From ") {
        return Err("does not begin with a From_ line");
    }
    let mut starts = vec![0];
    starts.extend(
        memmem::find_iter(data, b"\nFrom ")
            .filter(|&lf| ends_with_empty_line(&data[..=lf]))
            .map(|lf| lf + 1),
    );

    let mut extents = Vec::with_capacity(starts.len());
    for (i, &start) in starts.iter().enumerate() {
        let next = starts.get(i + 1).copied();
        let end = next.unwrap_or(data.len());
        let from_end = memchr::memchr(b'\n', &data[start..end]).map_or(end, |n| start + n);
        let content_start = (from_end + 1).min(end);
        // Drop the empty separator line: before the next message it is always there;
        // at the end of the file, when present.
        let before = &data[..end];
        let separator = if before.ends_with(b"\n\r\n") {
            2
        } else if before.ends_with(b"\n\n") {
            1
        } else {
            0
        };
        let content_end = (end - separator).max(content_start);
        let from_line = start..trim_cr(data, from_end).max(start);
        extents.push(Extent {
            raw: start..end,
            from_line,
            content: content_start..content_end,
        });
    }
    Ok(extents)
}

/// `true` when `text` (ending with LF) ends with an empty line.
fn ends_with_empty_line(text: &[u8]) -> bool {
    text.ends_with(b"\n\n") || text.ends_with(b"\n\r\n")
}

/// `end` moved back over a CR just before it.
fn trim_cr(data: &[u8], end: usize) -> usize {
    if end > 0 && data.get(end - 1) == Some(&b'\r') {
        end - 1
    } else {
        end
    }
}

/// Offsets of the `>` to remove when unquoting: the first byte of every line that
/// matches `^>+From `.
fn quoted_lines(content: &[u8]) -> Vec<usize> {
    memmem::find_iter(content, b">From ")
        .filter_map(|gt| {
            let first = content[..gt]
                .iter()
                .rposition(|&b| b != b'>')
                .map_or(0, |p| p + 1);
            (first == 0 || content.get(first - 1) == Some(&b'\n')).then_some(first)
        })
        .collect()
}

/// Undoes mboxrd quoting: one `>` less on every line matching `^>+From `. Returns
/// `None` when there is nothing to undo (the caller then keeps the original bytes).
pub fn unquote(content: &[u8]) -> Option<Vec<u8>> {
    let quoted = quoted_lines(content);
    if quoted.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(content.len() - quoted.len());
    let mut from = 0;
    for gt in quoted {
        out.extend_from_slice(&content[from..gt]);
        from = gt + 1;
    }
    out.extend_from_slice(&content[from..]);
    Some(out)
}

/// Applies mboxrd quoting: one `>` more on every line matching `^>*From `.
pub fn quote(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 16);
    for line in message.split_inclusive(|&b| b == b'\n') {
        let gts = line.iter().take_while(|&&b| b == b'>').count();
        if line[gts..].starts_with(b"From ") {
            out.push(b'>');
        }
        out.extend_from_slice(line);
    }
    out
}

/// The unique id and flags of a message, from its From_ line and header section.
fn identify(from_line: &[u8], content: &[u8]) -> (UniqueId, Flags) {
    let mut md5 = Md5::new();
    md5.update(from_line);
    md5.update(b"\n");
    let mut flags = Flags::EMPTY;
    let mut skipping = false;
    for line in content.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break; // end of the header section
        }
        let continuation = matches!(line.first(), Some(b' ' | b'\t'));
        if !continuation {
            let (name, value) = match memchr::memchr(b':', line) {
                Some(colon) => (&line[..colon], &line[colon + 1..]),
                None => (line, &b""[..]),
            };
            let name = String::from_utf8_lossy(name).trim().to_ascii_lowercase();
            skipping = VOLATILE_HEADERS.contains(&name.as_str());
            flags |= status_flags(&name, value);
        }
        if !skipping {
            md5.update(line);
            md5.update(b"\n");
        }
    }
    (digest_id(&md5.finalize()), flags)
}

/// Flags from a `Status:` or `X-Status:` header value (other headers give none).
fn status_flags(name: &str, value: &[u8]) -> Flags {
    let letters: &[(u8, Flags)] = match name {
        "status" => &[(b'R', Flags::SEEN)],
        "x-status" => &[
            (b'A', Flags::REPLIED),
            (b'F', Flags::FLAGGED),
            (b'T', Flags::DRAFT),
            (b'D', Flags::TRASHED),
        ],
        _ => &[],
    };
    letters
        .iter()
        .filter(|(c, _)| value.contains(c))
        .fold(Flags::EMPTY, |acc, (_, f)| acc | *f)
}

/// Lists the messages of a spool's bytes: ids made unique by position (`-2`, `-3`...),
/// sizes after unquoting, dates from the From_ lines (or `fallback_date`).
pub fn index(
    data: &[u8],
    fallback_date: SystemTime,
) -> Result<(Vec<Extent>, Vec<MessageInfo>), &'static str> {
    let extents = split(data)?;
    let mut seen = std::collections::HashMap::<UniqueId, usize>::new();
    let mut messages = Vec::with_capacity(extents.len());
    for extent in &extents {
        let from = &data[extent.from_line.clone()];
        let content = &data[extent.content.clone()];
        let (mut uid, flags) = identify(from, content);
        let repeats = seen.entry(uid.clone()).or_insert(0);
        *repeats += 1;
        if *repeats > 1 {
            uid = UniqueId::new(format!("{uid}-{repeats}")).unwrap_or(uid);
        }
        // Unquoting removes one `>` per quoted line and changes no line end.
        let size = wire_size(content) - quoted_lines(content).len() as u64;
        let internal_date = from_line::parse(from).unwrap_or(fallback_date);
        messages.push(MessageInfo {
            uid,
            size,
            flags,
            internal_date,
        });
    }
    Ok((extents, messages))
}

/// The spool file held by a session.
#[derive(Debug)]
struct Held {
    /// Open read-write; carries the session `flock`.
    file: File,
    /// (device, inode) of the spool when opened.
    identity: (u64, u64),
    /// Keeps other sessions of this process from opening the same spool.
    _claim: InProcessClaim,
}

/// An mbox spool opened for a session.
#[derive(Debug)]
pub struct Spool {
    path: PathBuf,
    locks: LockPolicy,
    /// `None` when the spool did not exist at open (an empty maildrop, nothing to lock).
    held: Option<Held>,
    /// The whole spool as read at open.
    data: Bytes,
    extents: Vec<Extent>,
    messages: Vec<MessageInfo>,
}

impl Spool {
    /// Opens the spool at `path` for a session (see the module docs for the locks). A
    /// missing spool is an empty maildrop; it is not created.
    pub fn open(path: &Path, locks: LockPolicy) -> Result<Spool, StoreError> {
        // The path can be replaced (renamed over) between our stat, open and lock; try
        // again when the file we locked is no longer the one at `path`.
        for _ in 0..5 {
            let meta = match fs::metadata(path) {
                Ok(meta) => meta,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Ok(Spool::empty(path, locks));
                }
                Err(e) => return Err(StoreError::io(path, e)),
            };
            let identity = (meta.dev(), meta.ino());
            let claim = InProcessClaim::try_claim(identity).ok_or_else(|| StoreError::InUse {
                path: path.to_owned(),
            })?;
            let file = match OpenOptions::new().read(true).write(true).open(path) {
                Ok(file) => file,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(StoreError::io(path, e)),
            };
            if !try_flock_exclusive(&file).map_err(|e| StoreError::io(path, e))? {
                return Err(StoreError::InUse {
                    path: path.to_owned(),
                });
            }
            let (data, modified) = {
                let _dotlock = DotLock::acquire(path, &locks)?;
                let _fcntl = FcntlLock::acquire(&file, false, path, &locks)?;
                if !same_file(path, identity)? || !same_file_handle(&file, path, identity)? {
                    continue;
                }
                read_all(&file).map_err(|e| StoreError::io(path, e))?
            };
            let (extents, messages) =
                index(&data, modified).map_err(|reason| StoreError::Corrupt {
                    path: path.to_owned(),
                    reason,
                })?;
            let held = Held {
                file,
                identity,
                _claim: claim,
            };
            return Ok(Spool {
                path: path.to_owned(),
                locks,
                held: Some(held),
                data,
                extents,
                messages,
            });
        }
        Err(StoreError::Changed {
            path: path.to_owned(),
        })
    }

    fn empty(path: &Path, locks: LockPolicy) -> Spool {
        Spool {
            path: path.to_owned(),
            locks,
            held: None,
            data: Bytes::new(),
            extents: Vec::new(),
            messages: Vec::new(),
        }
    }

    /// The listing taken at open.
    pub fn messages(&self) -> &[MessageInfo] {
        &self.messages
    }

    /// The message at `index`, unquoted: a slice of the spool read at open, or a copy
    /// when it had quoted `From ` lines.
    pub fn read(&self, index: usize) -> Result<Bytes, StoreError> {
        let extent = self
            .extents
            .get(index)
            .ok_or(StoreError::NoSuchMessage { index })?;
        let content = self.data.slice(extent.content.clone());
        Ok(match unquote(&content) {
            Some(unquoted) => Bytes::from(unquoted),
            None => content,
        })
    }

    /// Removes the messages at `deleted` (sorted, deduplicated, in range), keeping
    /// everything appended since open (see the module docs), then ends the session.
    pub fn commit(self, deleted: &[usize]) -> Result<CommitSummary, StoreError> {
        let Some(held) = &self.held else {
            return Ok(CommitSummary::default());
        };
        if deleted.is_empty() {
            return Ok(CommitSummary::default());
        }
        let path = &self.path;
        let _dotlock = DotLock::acquire(path, &self.locks)?;
        let _fcntl = FcntlLock::acquire(&held.file, true, path, &self.locks)?;
        if !same_file(path, held.identity)? {
            return Err(StoreError::Changed { path: path.clone() });
        }
        let (current, _) = read_all(&held.file).map_err(|e| StoreError::io(path, e))?;
        if !current.starts_with(&self.data[..]) {
            return Err(StoreError::Changed { path: path.clone() });
        }
        let appended = &current[self.data.len()..];

        let mut kept = Vec::with_capacity(current.len());
        for (i, extent) in self.extents.iter().enumerate() {
            if deleted.binary_search(&i).is_err() {
                kept.extend_from_slice(&self.data[extent.raw.clone()]);
            }
        }
        kept.extend_from_slice(appended);
        let meta = held.file.metadata().map_err(|e| StoreError::io(path, e))?;
        replace(path, &meta, &kept)?;
        Ok(CommitSummary {
            deleted: deleted.len(),
            already_gone: 0,
        })
    }
}

/// `true` when `path` is still the file with this (device, inode).
fn same_file(path: &Path, identity: (u64, u64)) -> Result<bool, StoreError> {
    match fs::metadata(path) {
        Ok(meta) => Ok((meta.dev(), meta.ino()) == identity),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(StoreError::io(path, e)),
    }
}

/// `true` when the open `file` is the file with this (device, inode).
fn same_file_handle(file: &File, path: &Path, identity: (u64, u64)) -> Result<bool, StoreError> {
    let meta = file.metadata().map_err(|e| StoreError::io(path, e))?;
    Ok((meta.dev(), meta.ino()) == identity)
}

/// The whole file from its start, and its mtime.
fn read_all(file: &File) -> io::Result<(Bytes, SystemTime)> {
    let meta = file.metadata()?;
    let mut data = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    let mut reader = file;
    reader.seek(SeekFrom::Start(0))?;
    reader.read_to_end(&mut data)?;
    Ok((Bytes::from(data), meta.modified()?))
}

/// Atomically replaces the file at `path` with `contents`: a temporary file in the same
/// directory with the old file's mode and (where permitted) owner, synced, renamed over
/// `path`, and the directory synced.
fn replace(path: &Path, old: &fs::Metadata, contents: &[u8]) -> Result<(), StoreError> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{name}.pobox-"))
        .tempfile_in(dir)
        .map_err(|e| StoreError::io(dir, e))?;
    let temp_path = temp.path().to_owned();
    // Owner first: chown may clear set-id bits that the chmod below restores. Only root
    // (or a member of the spool's group) may do it; otherwise the file keeps our ids.
    if let Err(e) = std::os::unix::fs::fchown(temp.as_file(), Some(old.uid()), Some(old.gid())) {
        tracing::debug!(error = %e, "cannot give the rewritten spool its old owner");
    }
    let write = |temp: &mut tempfile::NamedTempFile| -> io::Result<()> {
        temp.as_file()
            .set_permissions(Permissions::from_mode(old.mode() & 0o7777))?;
        temp.write_all(contents)?;
        temp.as_file().sync_all()
    };
    write(&mut temp).map_err(|e| StoreError::io(&temp_path, e))?;
    temp.persist(path)
        .map_err(|e| StoreError::io(path, e.error))?;
    sync_dir(dir)
}

/// Appends `message` to the spool at `path` as an MTA does: takes the dotlock, opens
/// (creating with mode 0600), takes the `fcntl` lock, makes sure the previous message ends
/// with an empty line, and writes `From SENDER DATE`, the mboxrd-quoted message (a final
/// LF added if missing) and an empty line. The message bytes are stored as given (an MTA
/// would have turned CRLF into LF already).
pub fn deliver(
    path: &Path,
    message: &[u8],
    sender: &str,
    date: SystemTime,
    locks: &LockPolicy,
) -> Result<(), StoreError> {
    let sender: String = sender
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    let sender = if sender.is_empty() {
        "MAILER-DAEMON".to_owned()
    } else {
        sender
    };

    let _dotlock = DotLock::acquire(path, locks)?;
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| StoreError::io(path, e))?;
    let _fcntl = FcntlLock::acquire(&file, true, path, locks)?;

    let len = file.metadata().map_err(|e| StoreError::io(path, e))?.len();
    let mut tail = [0u8; 3];
    let tail_len = len.min(3) as usize;
    file.read_exact_at(&mut tail[..tail_len], len - tail_len as u64)
        .map_err(|e| StoreError::io(path, e))?;
    let tail = &tail[..tail_len];
    let mut out: Vec<u8> = if len == 0 || ends_with_empty_line(tail) {
        Vec::new()
    } else if tail.ends_with(b"\n") {
        b"\n".to_vec()
    } else {
        b"\n\n".to_vec()
    };
    out.extend_from_slice(format!("From {sender} {}\n", from_line::format(date)).as_bytes());
    out.extend_from_slice(&quote(message));
    if !message.ends_with(b"\n") {
        out.push(b'\n');
    }
    out.push(b'\n');
    let mut writer = &file;
    writer
        .write_all(&out)
        .map_err(|e| StoreError::io(path, e))?;
    file.sync_all().map_err(|e| StoreError::io(path, e))
}
