//! `search-key` (RFC 3501 §6.4.4, §9): every RFC 3501 search criterion.

use super::core::{Atom, IString};
use super::datetime::Date;
use super::sequence::SequenceSet;

/// One `search-key` (RFC 3501 §9). Nesting (`NOT`, `OR`, parentheses) is bounded by
/// [`Limits::max_depth`](super::Limits::max_depth) when parsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SearchKey {
    /// `ALL`.
    All,
    /// `ANSWERED`.
    Answered,
    /// `BCC astring`.
    Bcc(IString),
    /// `BEFORE date` (internal date).
    Before(Date),
    /// `BODY astring`.
    Body(IString),
    /// `CC astring`.
    Cc(IString),
    /// `DELETED`.
    Deleted,
    /// `DRAFT`.
    Draft,
    /// `FLAGGED`.
    Flagged,
    /// `FROM astring`.
    From(IString),
    /// `HEADER header-fld-name astring`.
    Header(IString, IString),
    /// `KEYWORD flag-keyword`.
    Keyword(Atom),
    /// `LARGER number`.
    Larger(u32),
    /// `NEW` (= RECENT UNSEEN).
    New,
    /// `NOT search-key`.
    Not(Box<SearchKey>),
    /// `OLD`.
    Old,
    /// `ON date`.
    On(Date),
    /// `OR search-key search-key`.
    Or(Box<SearchKey>, Box<SearchKey>),
    /// `RECENT`.
    Recent,
    /// `SEEN`.
    Seen,
    /// `SENTBEFORE date` (Date: header).
    SentBefore(Date),
    /// `SENTON date`.
    SentOn(Date),
    /// `SENTSINCE date`.
    SentSince(Date),
    /// `SINCE date`.
    Since(Date),
    /// `SMALLER number`.
    Smaller(u32),
    /// `SUBJECT astring`.
    Subject(IString),
    /// `TEXT astring`.
    Text(IString),
    /// `TO astring`.
    To(IString),
    /// `UID sequence-set`.
    Uid(SequenceSet),
    /// `UNANSWERED`.
    Unanswered,
    /// `UNDELETED`.
    Undeleted,
    /// `UNDRAFT`.
    Undraft,
    /// `UNFLAGGED`.
    Unflagged,
    /// `UNKEYWORD flag-keyword`.
    Unkeyword(Atom),
    /// `UNSEEN`.
    Unseen,
    /// `sequence-set` (message sequence numbers).
    SequenceSet(SequenceSet),
    /// `"(" search-key *(SP search-key) ")"`: all must match. Never empty.
    And(Vec<SearchKey>),
}
