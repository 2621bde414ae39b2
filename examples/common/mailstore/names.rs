//! Mailbox names from clients, made safe, and their Maildir++ directories.
//!
//! A Maildir++ folder is one directory in the user's Maildir: `.` followed by the
//! folder's levels joined with `.` (the hierarchy delimiter), so `Archive.2023` lives in
//! `.Archive.2023/`. INBOX is the Maildir itself. Each level is written on disk in
//! modified UTF-7 (RFC 3501 §5.1.3), as Dovecot 2.3 stores Maildir++ names by default, so
//! Dovecot and pobox see the same folders: `日本語` is `.&ZeVnLIqe-`.
//!
//! A name comes from a client, so before it becomes a path it must be proven to stay
//! inside the user's Maildir and to name nothing but a folder. [`MailboxName::parse`]
//! refuses:
//!
//! * empty names and empty levels (`a..b`, `.a`, `a.`): a leading `.` in a level would be
//!   an empty level, and `..` can only be written as empty levels, so neither can reach
//!   a parent directory;
//! * `/` anywhere (no absolute paths, no subdirectories), NUL and every control
//!   character, and the LIST wildcards `*` and `%`;
//! * a first level that is a Maildir internal (`cur`, `new`, `tmp`, case-sensitive as in
//!   Dovecot's `maildir_is_internal_name`: `New` is a fine folder), and names of Dovecot
//!   or pobox files ([`RESERVED`]), compared case-insensitively;
//! * over-long names: a level longer than 255 octets (Dovecot's limit), or a directory
//!   name longer than 255 octets (`NAME_MAX`) once encoded.
//!
//! `INBOX` is case-insensitive (RFC 3501 §5.1) and normalised to `INBOX`; `INBOX.Sub` is
//! an ordinary folder `.INBOX.Sub`, as Dovecot stores it.

use super::StoreError;

/// The hierarchy delimiter of Maildir++.
pub const DELIMITER: char = '.';

/// The longest directory name the file system takes (`NAME_MAX` on Linux).
const NAME_MAX: usize = 255;

/// Dovecot's limit on one level of a name (`MAILBOX_MAX_HIERARCHY_NAME_LENGTH`).
const LEVEL_MAX: usize = 255;

/// Names (whole, or as the first level) of Maildir internals and of files Dovecot or
/// pobox keeps in a Maildir, compared case-insensitively; so are `dovecot.index*`,
/// `dovecot.list.index*` and `dovecot-uidvalidity.*`. (A folder is a `.`-directory and so
/// cannot overwrite these files; they are refused so that no folder's name can be
/// confused with them by tools that list the Maildir.)
pub const RESERVED: &[&str] = &[
    "dovecot-uidlist",
    "dovecot-keywords",
    "dovecot-uidvalidity",
    "dovecot-shared",
    "dovecot.index",
    "dovecot.index.log",
    "dovecot.index.cache",
    "dovecot.list.index",
    "dovecot.list.index.log",
    "dovecot.mailbox.log",
    "subscriptions",
    "maildirfolder",
    "courierimapsubscribed",
    "courierimapuiddb",
    "courierimapkeywords",
    "pobox-session.lock",
];

/// A checked mailbox name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MailboxName {
    /// The levels, Unicode; `["INBOX"]` for the inbox.
    levels: Vec<String>,
}

impl MailboxName {
    /// Checks a name given by a client (see the module docs).
    pub fn parse(name: &str) -> Result<MailboxName, StoreError> {
        let invalid = |reason| Err(StoreError::InvalidName { reason });
        if name.is_empty() {
            return invalid("empty");
        }
        if name.contains('/') {
            return invalid("contains '/'");
        }
        if name.chars().any(|c| c.is_control()) {
            return invalid("contains NUL or a control character");
        }
        if name.contains(['*', '%']) {
            return invalid("contains a LIST wildcard ('*' or '%')");
        }
        let mut levels: Vec<String> = Vec::new();
        for level in name.split(DELIMITER) {
            if level.is_empty() {
                return invalid("has an empty level (a leading, trailing or doubled '.')");
            }
            if level.len() > LEVEL_MAX {
                return invalid("a level is longer than 255 octets");
            }
            levels.push(level.to_owned());
        }
        if levels[0].eq_ignore_ascii_case("INBOX") {
            levels[0] = "INBOX".to_owned();
        }
        let whole = name.to_ascii_lowercase();
        let first = levels[0].to_ascii_lowercase();
        if ["cur", "new", "tmp"].contains(&levels[0].as_str())
            || RESERVED.contains(&whole.as_str())
            || RESERVED.contains(&first.as_str())
            || whole.starts_with("dovecot-uidvalidity.")
            || whole.starts_with("dovecot.index")
            || whole.starts_with("dovecot.list.index")
        {
            return invalid("names a Maildir internal or a Dovecot/pobox file");
        }
        let parsed = MailboxName { levels };
        if !parsed.is_inbox() && parsed.dir_name().len() > NAME_MAX {
            return invalid("longer than a Maildir++ directory name can be (255 octets)");
        }
        Ok(parsed)
    }

    /// The name of a folder directory found in the Maildir (`.Archive.2023`), or `None`
    /// when it is not a folder pobox shows: not `.`-prefixed, `.`/`..`, Dovecot's
    /// `..DOVECOT-TRASHED`, invalid modified UTF-7, or refused by [`MailboxName::parse`].
    pub fn from_dir_name(dir: &[u8]) -> Option<MailboxName> {
        let rest = dir.strip_prefix(b".")?;
        if rest.is_empty() || rest.starts_with(b".") {
            return None;
        }
        let mut levels = Vec::new();
        for level in rest.split(|&b| b == b'.') {
            levels.push(mutf7_decode(level)?);
        }
        let name = levels.join(".");
        let parsed = MailboxName::parse(&name).ok()?;
        // Only the canonical spelling: `.inbox.x` would not round-trip to this directory.
        (parsed.dir_name().as_bytes() == dir).then_some(parsed)
    }

    /// `true` for INBOX itself (not `INBOX.Sub`).
    pub fn is_inbox(&self) -> bool {
        self.levels.len() == 1 && self.levels[0] == "INBOX"
    }

    /// The levels.
    pub fn levels(&self) -> &[String] {
        &self.levels
    }

    /// The name as clients see it (levels joined with the delimiter).
    pub fn as_string(&self) -> String {
        self.levels.join(".")
    }

    /// The Maildir++ directory name (`.` + modified UTF-7 levels joined with `.`); empty
    /// for INBOX, which is the Maildir root.
    pub fn dir_name(&self) -> String {
        if self.is_inbox() {
            return String::new();
        }
        let mut out = String::new();
        for level in &self.levels {
            out.push('.');
            out.push_str(&mutf7_encode(level));
        }
        out
    }

    /// The storage name Dovecot writes in the `subscriptions` file: the modified UTF-7
    /// levels joined with `.` (`INBOX` for the inbox).
    pub fn storage_name(&self) -> String {
        self.levels
            .iter()
            .map(|l| mutf7_encode(l))
            .collect::<Vec<_>>()
            .join(".")
    }

    /// The parent name (`Archive` for `Archive.2023`), `None` at the top.
    pub fn parent(&self) -> Option<MailboxName> {
        (self.levels.len() > 1).then(|| MailboxName {
            levels: self.levels[..self.levels.len() - 1].to_vec(),
        })
    }

    /// `true` when `self` is a strict descendant of `other`.
    pub fn is_below(&self, other: &MailboxName) -> bool {
        self.levels.len() > other.levels.len() && self.levels.starts_with(&other.levels)
    }

    /// `self` with the prefix `from` replaced by `to` (for RENAME of children).
    pub fn rebase(&self, from: &MailboxName, to: &MailboxName) -> Option<MailboxName> {
        let rest = self.levels.strip_prefix(from.levels.as_slice())?;
        let mut levels = to.levels.clone();
        levels.extend_from_slice(rest);
        Some(MailboxName { levels })
    }

    /// The special-use attribute (RFC 6154 §2) of a top-level folder with a conventional
    /// name: `Sent`/`Sent Messages`/`Sent Items` → `\Sent`, `Trash`/`Deleted Messages`/
    /// `Deleted Items` → `\Trash`, `Drafts` → `\Drafts`, `Junk`/`Spam` → `\Junk`,
    /// `Archive` → `\Archive` (case-insensitive).
    pub fn special_use(&self) -> Option<pobox::imap::MailboxAttribute> {
        use pobox::imap::MailboxAttribute as A;
        if self.levels.len() != 1 {
            return None;
        }
        let name = self.levels[0].to_ascii_lowercase();
        Some(match name.as_str() {
            "sent" | "sent messages" | "sent items" => A::Sent,
            "trash" | "deleted messages" | "deleted items" => A::Trash,
            "drafts" => A::Drafts,
            "junk" | "spam" => A::Junk,
            "archive" => A::Archive,
            _ => return None,
        })
    }
}

/// The modified base64 alphabet of RFC 3501 §5.1.3 (`,` in place of `/`).
const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// Encodes one level in modified UTF-7 (RFC 3501 §5.1.3): printable US-ASCII stands for
/// itself (`&` as `&-`), every other run of characters is `&`, the modified base64 of its
/// UTF-16BE form, `-`.
pub fn mutf7_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if pending.is_empty() {
            return;
        }
        out.push('&');
        let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            let chars = match chunk.len() {
                1 => 2,
                2 => 3,
                _ => 4,
            };
            for i in 0..chars {
                let index = (n >> (18 - 6 * i)) & 0x3f;
                out.push(char::from(B64[index as usize]));
            }
        }
        out.push('-');
        pending.clear();
    };
    for c in s.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut units = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut units));
        }
    }
    flush(&mut pending, &mut out);
    out
}

/// Decodes one level of modified UTF-7, or `None` when it is not valid (raw 8-bit
/// octets, a bad base64 run, an unpaired surrogate, a run that encodes printable ASCII).
pub fn mutf7_decode(s: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if !(0x20..=0x7e).contains(&b) {
            return None;
        }
        if b != b'&' {
            out.push(char::from(b));
            i += 1;
            continue;
        }
        let end = i + 1 + s[i + 1..].iter().position(|&c| c == b'-')?;
        let run = &s[i + 1..end];
        i = end + 1;
        if run.is_empty() {
            out.push('&');
            continue;
        }
        let mut bits: u32 = 0;
        let mut nbits = 0;
        let mut bytes = Vec::with_capacity(run.len());
        for &c in run {
            let v = B64.iter().position(|&x| x == c)? as u32;
            bits = (bits << 6) | v;
            nbits += 6;
            if nbits >= 8 {
                nbits -= 8;
                bytes.push((bits >> nbits) as u8);
                bits &= (1 << nbits) - 1;
            }
        }
        if bits != 0 || bytes.len() % 2 != 0 {
            return None;
        }
        let units: Vec<u16> = bytes
            .chunks(2)
            .map(|p| u16::from_be_bytes([p[0], p[1]]))
            .collect();
        let text = String::from_utf16(&units).ok()?;
        if text.chars().any(|c| (' '..='~').contains(&c)) {
            return None; // printable ASCII must stand for itself
        }
        out.push_str(&text);
    }
    Some(out)
}
