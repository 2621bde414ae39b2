//! Message flags as Maildir spells them: one ASCII letter each, kept in the `:2,` info
//! suffix of the file name (`1700000000.M1P2.host:2,FS`).
//!
//! | letter | Maildir meaning | IMAP (RFC 3501 §2.3.2) |
//! |--------|-----------------|------------------------|
//! | `D` | draft | `\Draft` |
//! | `F` | flagged | `\Flagged` |
//! | `P` | passed (resent/forwarded) | `$Forwarded` keyword |
//! | `R` | replied | `\Answered` |
//! | `S` | seen | `\Seen` |
//! | `T` | trashed | `\Deleted` |
//!
//! Lower-case letters `a`–`z` are keywords whose names a Maildir keeps elsewhere (Dovecot:
//! the `dovecot-keywords` file); they are kept here as letters so that renaming a file
//! never drops them. `\Recent` is not a flag on disk: it is "in new/ at open time".
//!
//! The mbox format has no info suffix: [`super::mbox`] maps the `Status:` and
//! `X-Status:` headers written by MUAs onto these letters.

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

/// A set of flag letters (`A`–`Z`, `a`–`z`), one bit each.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(u64);

impl Flags {
    /// No flag.
    pub const EMPTY: Flags = Flags(0);
    /// `D`: draft (`\Draft`).
    pub const DRAFT: Flags = Flags::letter(b'D');
    /// `F`: flagged (`\Flagged`).
    pub const FLAGGED: Flags = Flags::letter(b'F');
    /// `P`: passed, i.e. forwarded (`$Forwarded`).
    pub const PASSED: Flags = Flags::letter(b'P');
    /// `R`: replied (`\Answered`).
    pub const REPLIED: Flags = Flags::letter(b'R');
    /// `S`: seen (`\Seen`).
    pub const SEEN: Flags = Flags::letter(b'S');
    /// `T`: trashed (`\Deleted`).
    pub const TRASHED: Flags = Flags::letter(b'T');

    /// The bit of an ASCII letter; any other byte gives the empty set.
    const fn letter(b: u8) -> Flags {
        match b {
            b'A'..=b'Z' => Flags(1 << (b - b'A')),
            b'a'..=b'z' => Flags(1 << (26 + (b - b'a'))),
            _ => Flags(0),
        }
    }

    /// The flag for one letter, or `None` when `c` is not an ASCII letter.
    pub fn from_letter(c: char) -> Option<Flags> {
        if c.is_ascii_alphabetic() {
            Some(Flags::letter(c as u8))
        } else {
            None
        }
    }

    /// Flags from a Maildir info part, the text after the `:` of a file name.
    ///
    /// Only the `2,` info form carries flags; any other form (the experimental `1,`)
    /// gives no flags. Bytes that are not letters are ignored.
    pub fn from_info(info: &str) -> Flags {
        match info.strip_prefix("2,") {
            Some(letters) => letters
                .chars()
                .filter_map(Flags::from_letter)
                .fold(Flags::EMPTY, BitOr::bitor),
            None => Flags::EMPTY,
        }
    }

    /// `true` when every flag of `other` is set in `self`.
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// `true` when no flag is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// `self` without the flags of `other`.
    pub fn without(self, other: Flags) -> Flags {
        Flags(self.0 & !other.0)
    }

    /// The letters in ASCII order (upper case first), as the Maildir specification
    /// requires them in the info suffix.
    pub fn letters(self) -> String {
        (b'A'..=b'Z')
            .chain(b'a'..=b'z')
            .filter(|&b| self.contains(Flags::letter(b)))
            .map(char::from)
            .collect()
    }

    /// The info suffix for a file name in cur/: `:2,` followed by [`Flags::letters`].
    pub fn info_suffix(self) -> String {
        format!(":2,{}", self.letters())
    }
}

impl BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

impl BitOrAssign for Flags {
    fn bitor_assign(&mut self, rhs: Flags) {
        self.0 |= rhs.0;
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Flags({:?})", self.letters())
    }
}
