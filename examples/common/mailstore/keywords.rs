//! `dovecot-keywords`: the names of a folder's keywords, whose letters (`a`–`z`) sit in
//! the `:2,` info of message file names.
//!
//! Facts from Dovecot 2.3 (`src/lib-storage/index/maildir/maildir-keywords.c`,
//! `maildir-filename-flags.c`):
//!
//! * One line per keyword, `<index> <name>`, index 0 to 25; letter = `'a' + index`.
//!   Names compare case-insensitively; lines that do not parse are skipped.
//! * At most 26 keywords per folder (`MAILDIR_MAX_KEYWORDS`). Dovecot keeps a 27th only
//!   in its index, not in the Maildir, so it is lost when the index is. pobox has no
//!   index: a STORE or APPEND that needs a 27th keyword is refused
//!   ([`StoreError::Cannot`]) and changes nothing; a COPY or MOVE keeps the message and
//!   drops the keywords the destination has no letter for (logged).
//! * A letter with no name in the file reads as keyword `unknown-<index>`, as Dovecot
//!   names it.
//! * The file is rewritten only under the folder's uidlist lock, by writing
//!   `dovecot-keywords.lock` and renaming it over the file (the lock is removed first if
//!   left behind, since the uidlist lock already excludes every writer), with an mtime
//!   that always grows.
//! * Flag letters: `D` `\Draft`, `F` `\Flagged`, `R` `\Answered`, `S` `\Seen`,
//!   `T` `\Deleted`. Dovecot gives `P` (passed) no IMAP flag and keeps it, and every
//!   other letter it does not know, in the name when it renames the file; so does pobox
//!   (`$Forwarded` is an ordinary keyword).

use std::fs;
use std::io;
use std::path::Path;
use std::time::Duration;

use pobox::imap::Flag;

use super::StoreError;
use super::uidlist::{FileStamp, replace_file};

/// The file name.
pub const KEYWORDS: &str = "dovecot-keywords";

/// Dovecot's limit: one lower-case letter each.
pub const MAX_KEYWORDS: usize = 26;

/// A folder's keyword table: index → name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keywords {
    names: Vec<Option<String>>,
}

impl Keywords {
    /// Parses the file's contents.
    pub fn parse(data: &str) -> Keywords {
        let mut k = Keywords::default();
        for line in data.lines() {
            let Some((index, name)) = line.split_once(' ') else {
                continue;
            };
            let Ok(index) = index.parse::<usize>() else {
                continue;
            };
            if index >= MAX_KEYWORDS || name.is_empty() || k.index_of(name).is_some() {
                continue;
            }
            if k.names.len() <= index {
                k.names.resize(index + 1, None);
            }
            k.names[index] = Some(name.to_owned());
        }
        k
    }

    /// Reads `dir/dovecot-keywords` (empty when missing).
    pub fn read(dir: &Path) -> Result<(Keywords, Option<FileStamp>), StoreError> {
        let path = dir.join(KEYWORDS);
        match fs::read_to_string(&path) {
            Ok(text) => Ok((Keywords::parse(&text), FileStamp::at(&path))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok((Keywords::default(), None)),
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                Ok((Keywords::default(), FileStamp::at(&path)))
            }
            Err(e) => Err(StoreError::io(&path, e)),
        }
    }

    /// The file's contents.
    pub fn serialize(&self) -> String {
        let mut out = String::new();
        for (i, name) in self.names.iter().enumerate() {
            if let Some(name) = name {
                out.push_str(&format!("{i} {name}\n"));
            }
        }
        out
    }

    /// Writes `dir/dovecot-keywords`; the caller holds the folder's uidlist lock.
    pub fn write(&self, dir: &Path) -> Result<(), StoreError> {
        let path = dir.join(KEYWORDS);
        let mut lock = path.as_os_str().to_owned();
        lock.push(".lock");
        let _ = fs::remove_file(&lock);
        replace_file(
            &path,
            self.serialize().as_bytes(),
            Duration::from_secs(10),
            Duration::from_secs(120),
        )
    }

    /// The index of `name` (case-insensitive).
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.names
            .iter()
            .position(|n| n.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name)))
    }

    /// The name of the keyword with letter `c` (`unknown-<index>` when the file has
    /// none).
    pub fn name_of(&self, c: u8) -> String {
        let index = usize::from(c - b'a');
        match self.names.get(index) {
            Some(Some(name)) => name.clone(),
            _ => format!("unknown-{index}"),
        }
    }

    /// The letter for `name`, adding it to the table when `create` is set and there is
    /// room; `None` otherwise.
    pub fn letter(&mut self, name: &str, create: bool) -> Option<u8> {
        if let Some(i) = self.index_of(name) {
            return Some(b'a' + i as u8);
        }
        if let Some(i) = name
            .strip_prefix("unknown-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|&i| i < MAX_KEYWORDS && self.names.get(i).is_none_or(|n| n.is_none()))
        {
            // The name Dovecot gives an unnamed letter stands for that letter.
            return Some(b'a' + i as u8);
        }
        if !create {
            return None;
        }
        let free = self
            .names
            .iter()
            .position(|n| n.is_none())
            .or((self.names.len() < MAX_KEYWORDS).then_some(self.names.len()))?;
        if free == self.names.len() {
            self.names.push(None);
        }
        self.names[free] = Some(name.to_owned());
        Some(b'a' + free as u8)
    }
}

/// The flag letters of a `:2,` info and the other characters kept as they are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InfoFlags {
    /// System flag letters (`D F R S T`) and keyword letters (`a`–`z`), sorted.
    pub letters: Vec<u8>,
    /// Letters pobox does not interpret (`P`, other upper-case letters), kept.
    pub other: Vec<u8>,
}

impl InfoFlags {
    /// The flags of a file name (the part after the last `:`, if it is `2,...`).
    pub fn of_name(name: &str) -> InfoFlags {
        let mut f = InfoFlags::default();
        let Some(info) = name.rsplit_once(':').map(|(_, info)| info) else {
            return f;
        };
        let Some(letters) = info.strip_prefix("2,") else {
            return f;
        };
        // A second `,`-separated flag set is left alone, as Dovecot leaves it.
        let letters = letters.split(',').next().unwrap_or("");
        for b in letters.bytes() {
            match b {
                b'D' | b'F' | b'R' | b'S' | b'T' | b'a'..=b'z' => f.letters.push(b),
                _ => f.other.push(b),
            }
        }
        f.letters.sort_unstable();
        f.letters.dedup();
        f
    }

    /// The info suffix: `:2,` and every letter in ASCII order (the Maildir rule).
    pub fn suffix(&self) -> String {
        let mut all: Vec<u8> = self.letters.iter().chain(&self.other).copied().collect();
        all.sort_unstable();
        all.dedup();
        format!(":2,{}", String::from_utf8_lossy(&all))
    }

    /// `true` when a flag letter is set.
    pub fn has(&self, letter: u8) -> bool {
        self.letters.contains(&letter)
    }

    /// `true` when nothing at all is set.
    pub fn is_empty(&self) -> bool {
        self.letters.is_empty() && self.other.is_empty()
    }

    /// The IMAP flags, keyword names from `keywords`.
    pub fn to_flags(&self, keywords: &Keywords) -> Vec<Flag> {
        let mut out = Vec::with_capacity(self.letters.len());
        for &b in &self.letters {
            let flag = match b {
                b'D' => Flag::Draft,
                b'F' => Flag::Flagged,
                b'R' => Flag::Answered,
                b'S' => Flag::Seen,
                b'T' => Flag::Deleted,
                _ => match Flag::keyword(&keywords.name_of(b)) {
                    Ok(flag) => flag,
                    Err(_) => continue, // a name that is not an atom cannot be shown
                },
            };
            out.push(flag);
        }
        out
    }
}

/// The letter of a system flag, `None` for keywords and extension flags.
pub fn system_letter(flag: &Flag) -> Option<u8> {
    Some(match flag {
        Flag::Draft => b'D',
        Flag::Flagged => b'F',
        Flag::Answered => b'R',
        Flag::Seen => b'S',
        Flag::Deleted => b'T',
        _ => return None,
    })
}
