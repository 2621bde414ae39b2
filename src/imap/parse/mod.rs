//! The grammar of RFC 3501 §9 as a hand-written recursive-descent parser over a complete,
//! framed command or response (one function per ABNF rule, named after it).
//!
//! Why not nom: the framer already guarantees a complete input, so the grammar never needs
//! nom's incomplete handling; a cursor with `const` byte-class tables gives exact error offsets
//! and kinds (tag, limit, syntax) for the session's answer, allocates nothing per token (strings
//! are `Bytes::slice` of the input) and is several times faster than combinator chains.
//! Nesting depth is a parameter of every recursive rule.

mod command;
mod core;
mod response;

use bytes::Bytes;

use super::error::{ErrorKind, ParseError};
use super::limits::Limits;

pub(crate) use self::command::{append_head, command};
pub(crate) use self::response::{greeting, response};

/// Result of one grammar rule.
pub(crate) type PResult<T> = Result<T, ParseError>;

/// Upper-cases a command or keyword name (at most 16 octets; longer names
/// match nothing) into a stack buffer, for case-insensitive matching.
pub(crate) fn upper<'b>(name: &[u8], buf: &'b mut [u8; 16]) -> &'b [u8] {
    let n = name.len().min(16);
    for (d, s) in buf.iter_mut().zip(name.iter().take(n)) {
        *d = s.to_ascii_uppercase();
    }
    if name.len() > 16 {
        b""
    } else {
        buf.get(..n).unwrap_or_default()
    }
}

/// A position in a complete input.
pub(crate) struct Cursor<'a> {
    src: &'a Bytes,
    buf: &'a [u8],
    pos: usize,
    limits: &'a Limits,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(src: &'a Bytes, limits: &'a Limits) -> Self {
        Cursor {
            src,
            buf: src.as_ref(),
            pos: 0,
            limits,
        }
    }

    /// A cursor over the first `end` bytes of `src` (values are still slices of `src`).
    pub(crate) fn prefix(src: &'a Bytes, end: usize, limits: &'a Limits) -> Self {
        let buf: &'a [u8] = src.as_ref();
        Cursor {
            src,
            buf: buf.get(..end).unwrap_or(buf),
            pos: 0,
            limits,
        }
    }

    #[inline]
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    #[inline]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    #[inline]
    pub(crate) fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.buf.get(self.pos + ahead).copied()
    }

    #[inline]
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    #[inline]
    pub(crate) fn advance(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
    }

    #[inline]
    pub(crate) fn slice(&self, start: usize, end: usize) -> Bytes {
        self.src.slice(start..end)
    }

    pub(crate) fn err(&self, expected: &'static str) -> ParseError {
        ParseError::syntax(expected, self.pos)
    }

    pub(crate) fn err_kind(&self, kind: ErrorKind) -> ParseError {
        ParseError::new(kind, self.pos)
    }

    /// Consumes `b` or fails naming `expected`.
    #[inline]
    pub(crate) fn byte(&mut self, b: u8, expected: &'static str) -> PResult<()> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(expected))
        }
    }

    /// Consumes `b` if it is next.
    #[inline]
    pub(crate) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// `SP`: exactly one space (RFC 3501 §9 note 2).
    #[inline]
    pub(crate) fn sp(&mut self) -> PResult<()> {
        self.byte(b' ', "SP")
    }

    /// `CRLF`, or a bare LF when [`Limits::accept_bare_lf`] is set.
    pub(crate) fn crlf(&mut self) -> PResult<()> {
        if self.rest().starts_with(b"\r\n") {
            self.pos += 2;
            Ok(())
        } else if self.limits.accept_bare_lf() && self.peek() == Some(b'\n') {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err("CRLF"))
        }
    }

    /// The input must end here.
    pub(crate) fn end(&self) -> PResult<()> {
        if self.pos == self.buf.len() {
            Ok(())
        } else {
            Err(self.err("end of input"))
        }
    }

    /// Consumes `word` case-insensitively if it is next (RFC 3501 §9 note 1).
    #[inline]
    pub(crate) fn keyword(&mut self, word: &[u8]) -> bool {
        match self.rest().get(..word.len()) {
            Some(s) if s.eq_ignore_ascii_case(word) => {
                self.pos += word.len();
                true
            }
            _ => false,
        }
    }

    /// Like [`Cursor::keyword`] but fails.
    pub(crate) fn expect_keyword(&mut self, word: &[u8], expected: &'static str) -> PResult<()> {
        if self.keyword(word) {
            Ok(())
        } else {
            Err(self.err(expected))
        }
    }

    /// Consumes bytes of `class`; returns the start offset and the count.
    #[inline]
    pub(crate) fn take_class(&mut self, class: &[bool; 256]) -> (usize, usize) {
        let start = self.pos;
        let n = super::chars::span(class, self.rest());
        self.pos += n;
        (start, n)
    }

    /// A FETCH item name: letters, digits and "." (ATOM-CHAR would also take "[" and "<").
    pub(crate) fn fetch_name(&mut self) -> &'a [u8] {
        let rest = self.rest();
        let n = rest
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'.'))
            .unwrap_or(rest.len());
        self.pos += n;
        rest.get(..n).unwrap_or_default()
    }

    /// Fails with `TooDeep` when `depth` exceeds the limit.
    pub(crate) fn check_depth(&self, depth: usize) -> PResult<()> {
        if depth > self.limits.max_depth() {
            Err(self.err_kind(ErrorKind::TooDeep {
                limit: self.limits.max_depth(),
            }))
        } else {
            Ok(())
        }
    }

    /// Fails with `TooManyItems` when a list reached the limit.
    #[inline]
    pub(crate) fn check_items(&self, len: usize) -> PResult<()> {
        if len >= self.limits.max_list_items() {
            Err(self.err_kind(ErrorKind::TooManyItems {
                limit: self.limits.max_list_items(),
            }))
        } else {
            Ok(())
        }
    }

    /// Parses a parenthesised, space-separated, non-empty or possibly empty list.
    pub(crate) fn paren_list<T>(
        &mut self,
        allow_empty: bool,
        mut item: impl FnMut(&mut Self) -> PResult<T>,
    ) -> PResult<Vec<T>> {
        self.byte(b'(', "\"(\"")?;
        let mut v = Vec::new();
        if self.eat(b')') {
            if allow_empty {
                return Ok(v);
            }
            return Err(self.err("list item"));
        }
        loop {
            self.check_items(v.len())?;
            v.push(item(self)?);
            if self.eat(b')') {
                return Ok(v);
            }
            self.sp()?;
        }
    }
}
