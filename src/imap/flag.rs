//! Message flags (RFC 3501 §2.3.2, §9 `flag`, `flag-fetch`, `flag-perm`) and mailbox
//! attributes of LIST/LSUB (RFC 3501 §7.2.2, RFC 3348, RFC 6154, RFC 5258).

use bytes::Bytes;

use super::core::{Atom, ValueError};

/// `flag = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" / flag-keyword /
/// flag-extension` (RFC 3501 §9). System flags compare case-insensitively and are parsed into
/// their own variants ("the rule which is listed earlier MUST take priority", §9).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Flag {
    /// `\Answered`.
    Answered,
    /// `\Flagged`.
    Flagged,
    /// `\Deleted`.
    Deleted,
    /// `\Seen`.
    Seen,
    /// `\Draft`.
    Draft,
    /// `flag-keyword = atom` (no backslash), e.g. `$Forwarded`.
    Keyword(Atom),
    /// `flag-extension = "\" atom`, other than the system flags and `\Recent`.
    Extension(Atom),
}

impl Flag {
    /// A keyword (`flag-keyword = atom`).
    pub fn keyword(name: &str) -> Result<Self, ValueError> {
        Atom::try_from(name).map(Flag::Keyword)
    }

    /// Parses the text of a flag as written (`\Seen`, `$Junk`, `\X-Foo`).
    /// `\Recent` is refused: RFC 3501 §9 says `flag` "Does not include \Recent".
    pub fn parse(s: &[u8]) -> Result<Self, ValueError> {
        if let Some(rest) = s.strip_prefix(b"\\") {
            if let Some(f) = Self::system(rest) {
                return Ok(f);
            }
            if rest.eq_ignore_ascii_case(b"Recent") {
                return Err(ValueError::new(
                    "flag",
                    "\\Recent is not a flag (RFC 3501 §9)",
                ));
            }
            if rest == b"*" {
                return Err(ValueError::new("flag", "\\* is only a flag-perm"));
            }
            Ok(Flag::Extension(Atom::new(Bytes::copy_from_slice(rest))?))
        } else {
            Ok(Flag::Keyword(Atom::new(Bytes::copy_from_slice(s))?))
        }
    }

    pub(crate) fn system(name: &[u8]) -> Option<Self> {
        Some(match name.len() {
            4 if name.eq_ignore_ascii_case(b"Seen") => Flag::Seen,
            5 if name.eq_ignore_ascii_case(b"Draft") => Flag::Draft,
            7 if name.eq_ignore_ascii_case(b"Flagged") => Flag::Flagged,
            7 if name.eq_ignore_ascii_case(b"Deleted") => Flag::Deleted,
            8 if name.eq_ignore_ascii_case(b"Answered") => Flag::Answered,
            _ => return None,
        })
    }
}

/// `flag-fetch = flag / "\Recent"` (RFC 3501 §9).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FlagFetch {
    /// A `flag`.
    Flag(Flag),
    /// `\Recent` (RFC 3501 §2.3.2).
    Recent,
}

/// `flag-perm = flag / "\*"` (RFC 3501 §9).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FlagPerm {
    /// A `flag`.
    Flag(Flag),
    /// `\*`: new keywords may be created (RFC 3501 §7.1).
    Asterisk,
}

/// A mailbox attribute of LIST/LSUB (`mbx-list-flags`, RFC 3501 §7.2.2 and §9), with the
/// attributes of RFC 3348 (CHILDREN), RFC 6154 (SPECIAL-USE) and RFC 5258 named.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MailboxAttribute {
    /// `\Noinferiors` (RFC 3501 §7.2.2).
    Noinferiors,
    /// `\Noselect` (selectability flag).
    Noselect,
    /// `\Marked` (selectability flag).
    Marked,
    /// `\Unmarked` (selectability flag).
    Unmarked,
    /// `\HasChildren` (RFC 3348 §4).
    HasChildren,
    /// `\HasNoChildren` (RFC 3348 §4).
    HasNoChildren,
    /// `\NonExistent` (RFC 5258 §3.4).
    NonExistent,
    /// `\Subscribed` (RFC 5258 §3.4).
    Subscribed,
    /// `\Remote` (RFC 5258 §3.4).
    Remote,
    /// `\All` (RFC 6154 §2).
    All,
    /// `\Archive` (RFC 6154 §2).
    Archive,
    /// `\Drafts` (RFC 6154 §2).
    Drafts,
    /// `\Flagged` (RFC 6154 §2).
    Flagged,
    /// `\Junk` (RFC 6154 §2).
    Junk,
    /// `\Sent` (RFC 6154 §2).
    Sent,
    /// `\Trash` (RFC 6154 §2).
    Trash,
    /// Any other `flag-extension` (`"\" atom`).
    Extension(Atom),
}

const ATTRIBUTES: &[(&str, MailboxAttribute)] = &[
    ("Noinferiors", MailboxAttribute::Noinferiors),
    ("Noselect", MailboxAttribute::Noselect),
    ("Marked", MailboxAttribute::Marked),
    ("Unmarked", MailboxAttribute::Unmarked),
    ("HasChildren", MailboxAttribute::HasChildren),
    ("HasNoChildren", MailboxAttribute::HasNoChildren),
    ("NonExistent", MailboxAttribute::NonExistent),
    ("Subscribed", MailboxAttribute::Subscribed),
    ("Remote", MailboxAttribute::Remote),
    ("All", MailboxAttribute::All),
    ("Archive", MailboxAttribute::Archive),
    ("Drafts", MailboxAttribute::Drafts),
    ("Flagged", MailboxAttribute::Flagged),
    ("Junk", MailboxAttribute::Junk),
    ("Sent", MailboxAttribute::Sent),
    ("Trash", MailboxAttribute::Trash),
];

impl MailboxAttribute {
    /// The attribute named `name` (without the backslash), case-insensitively.
    pub fn from_name(name: &[u8]) -> Result<Self, ValueError> {
        for (n, a) in ATTRIBUTES {
            if name.eq_ignore_ascii_case(n.as_bytes()) {
                return Ok(a.clone());
            }
        }
        Ok(MailboxAttribute::Extension(Atom::new(
            Bytes::copy_from_slice(name),
        )?))
    }

    /// The name without the backslash.
    pub fn name(&self) -> &[u8] {
        if let MailboxAttribute::Extension(a) = self {
            return a.as_bytes();
        }
        for (n, a) in ATTRIBUTES {
            if a == self {
                return n.as_bytes();
            }
        }
        b""
    }

    /// True for the `mbx-list-sflag` attributes, of which a LIST response carries at most one
    /// (RFC 3501 §9 `mbx-list-flags`).
    pub fn is_selectability(&self) -> bool {
        matches!(
            self,
            MailboxAttribute::Noselect | MailboxAttribute::Marked | MailboxAttribute::Unmarked
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3501_9_flag_priority() {
        assert_eq!(Flag::parse(b"\\SEEN").unwrap(), Flag::Seen);
        assert!(matches!(
            Flag::parse(b"\\X-Foo").unwrap(),
            Flag::Extension(_)
        ));
        assert!(matches!(Flag::parse(b"$Junk").unwrap(), Flag::Keyword(_)));
        assert!(Flag::parse(b"\\Recent").is_err());
        assert!(Flag::parse(b"\\").is_err());
        assert_eq!(
            MailboxAttribute::from_name(b"haschildren").unwrap().name(),
            b"HasChildren"
        );
    }
}
