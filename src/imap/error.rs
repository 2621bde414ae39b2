//! Parse errors, carrying what a session needs to answer (tag, kind).

use super::core::{LiteralMode, Tag};

/// Why input was refused. The session maps each kind to its answer; the suggested one is in
/// each variant's doc.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The bytes do not match the grammar; `expected` names the rule. Answer: tagged `BAD`
    /// (untagged `BAD` when no tag could be read).
    #[error("syntax error: expected {expected}")]
    Syntax {
        /// The rule or token expected at `offset`.
        expected: &'static str,
    },
    /// A line ended in LF without CR (RFC 3501 §9: lines end with CRLF). Answer: `BAD`.
    #[error("line ends in a bare LF")]
    BareLf,
    /// A number does not fit the grammar's 32-bit `number`. Answer: `BAD`.
    #[error("number out of range")]
    NumberOutOfRange,
    /// The command's lines exceed [`Limits::max_line_length`](super::Limits::max_line_length).
    /// The rest of the line cannot be framed reliably: answer `* BYE` and close (or `BAD` and
    /// drop until the next CRLF).
    #[error("line longer than {limit} bytes")]
    LineTooLong {
        /// The limit.
        limit: usize,
    },
    /// A literal announcement exceeds [`Limits::max_literal_size`](super::Limits::max_literal_size)
    /// (or 2^32-1). Answer: tagged `NO [TOOBIG]` (APPEND) or `BAD [TOOBIG]` (RFC 7888 §5, RFC
    /// 4469 §4); for a synchronizing literal the client sends nothing more of this command.
    #[error("literal of {length} bytes exceeds the limit of {limit}")]
    LiteralTooBig {
        /// Announced length (saturated at `u64::MAX`).
        length: u64,
        /// The limit.
        limit: u32,
        /// How it was announced: a non-synchronizing literal's bytes are on their way.
        mode: LiteralMode,
    },
    /// Nesting deeper than [`Limits::max_depth`](super::Limits::max_depth). Answer: `BAD [LIMIT]`
    /// (RFC 5530 §3).
    #[error("nesting deeper than {limit}")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// A list longer than [`Limits::max_list_items`](super::Limits::max_list_items). Answer:
    /// `BAD [LIMIT]` (RFC 5530 §3).
    #[error("more than {limit} items in one list")]
    TooManyItems {
        /// The limit.
        limit: usize,
    },
}

/// A refused command, response or line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at offset {offset}")]
pub struct ParseError {
    /// The tag, when one could be read (to answer by tag).
    pub tag: Option<Tag>,
    /// What went wrong.
    pub kind: ErrorKind,
    /// Byte offset in the input where it was found.
    pub offset: usize,
}

impl ParseError {
    pub(crate) fn new(kind: ErrorKind, offset: usize) -> Self {
        ParseError {
            tag: None,
            kind,
            offset,
        }
    }

    pub(crate) fn syntax(expected: &'static str, offset: usize) -> Self {
        Self::new(ErrorKind::Syntax { expected }, offset)
    }
}
