//! The grammar of RFC 3501 §9 as nom 8 parsers over a complete, framed command or response:
//! one function per ABNF rule, named after it, with the rule in its doc comment.
//!
//! The [`Framer`](super::Framer) already guarantees a whole command (lines plus literals), so
//! every parser here is a `nom::*::complete` one: running out of input is a syntax error,
//! never `Incomplete`. Three things are ours rather than nom's defaults:
//!
//! - [`Span`], the input: a `&[u8]` of the framed command that also knows the source `Bytes`
//!   and the [`Limits`]. Strings and literals come out as `Bytes` slices of the source (no
//!   copy), errors know their offset, and `CRLF`, list and nesting rules read the limits.
//! - [`Error`], the nom error: the [`ErrorKind`] (syntax with the rule expected, number out of
//!   range, too deep, too many items) and the offset. A rule names what it expected
//!   ([`byte`], [`take_class1`], [`keyword`], or [`nom::error::context`], which only names
//!   errors nom made unnamed), and the innermost name wins, so the session's `BAD` says
//!   exactly what the hand-written cursors said before. The tag is added by
//!   [`run_command`] / [`run_append_head`].
//! - Byte classes are the `const` tables of [`super::chars`], named after their ABNF rules,
//!   used as `take_while` predicates through [`is`].
//!
//! The grammar commits after its first token, as RFC 3501's grammar allows: once a rule has
//! seen its keyword or its opening byte, what follows is required (it is parsed with `?`,
//! never under `opt`, and the list combinators below require an item after each separator),
//! so an error points at the byte that broke the rule, not at an earlier alternative. The
//! only backtracking is where §9 is ambiguous (`resp-text`, `continue-req`, a response code
//! whose arguments do not parse). Nesting depth is a parameter of every recursive rule.
//!
//! Hot rules call each other directly (`let (i, x) = rule(i)?`) rather than through
//! `map`/`preceded` around `fn` items, whose `Parser::process` re-wraps every result: with
//! that, and [`caseless`] for keywords, the parsers cost the instructions the cursors did
//! (ARCHITECTURE.md, Decisions).

mod command;
mod core;
mod response;

use std::iter::{Copied, Enumerate};
use std::slice::Iter;

use bytes::Bytes;
use nom::error::{ContextError, ErrorKind as NomKind, ParseError as NomParseError};
use nom::{Compare, CompareResult, IResult, Input, Needed, Offset};

use super::error::{ErrorKind, ParseError};
use super::limits::Limits;

pub(crate) use self::command::{append_head, authenticate_data, command};
pub(crate) use self::response::{greeting, response};

/// What every rule sees besides its bytes: the source buffer and the limits.
pub(crate) struct Cx<'a> {
    /// Address of the source's first byte (offsets are computed from it).
    base: usize,
    src: &'a Bytes,
    limits: &'a Limits,
}

/// The input of every rule: a part of a framed command or response.
#[derive(Clone, Copy)]
pub(crate) struct Span<'a> {
    frag: &'a [u8],
    cx: &'a Cx<'a>,
}

impl<'a> Span<'a> {
    /// The bytes of this span.
    #[inline]
    pub(crate) fn fragment(&self) -> &'a [u8] {
        self.frag
    }

    /// Offset of this span's first byte in the source.
    #[inline]
    pub(crate) fn offset(&self) -> usize {
        (self.frag.as_ptr() as usize).wrapping_sub(self.cx.base)
    }

    /// This span as a `Bytes` slice of the source (no copy).
    #[inline]
    pub(crate) fn bytes(&self) -> Bytes {
        let start = self.offset();
        self.cx.src.slice(start..start + self.frag.len())
    }

    /// Length in bytes.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.frag.len()
    }

    /// The first byte, if any.
    #[inline]
    pub(crate) fn first(&self) -> Option<u8> {
        self.frag.first().copied()
    }

    /// The byte `ahead` bytes on.
    #[inline]
    pub(crate) fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.frag.get(ahead).copied()
    }

    /// The limits in force.
    #[inline]
    pub(crate) fn limits(&self) -> &'a Limits {
        self.cx.limits
    }

    /// The span `n` bytes on (at most to the end).
    #[inline]
    pub(crate) fn skip(&self, n: usize) -> Self {
        let (_, rest) = self.frag.split_at(n.min(self.frag.len()));
        Span {
            frag: rest,
            cx: self.cx,
        }
    }

    /// The first `n` bytes (at most all).
    #[inline]
    pub(crate) fn head(&self, n: usize) -> Self {
        let (head, _) = self.frag.split_at(n.min(self.frag.len()));
        Span {
            frag: head,
            cx: self.cx,
        }
    }
}

impl<'a> Input for Span<'a> {
    type Item = u8;
    type Iter = Copied<Iter<'a, u8>>;
    type IterIndices = Enumerate<Self::Iter>;

    #[inline]
    fn input_len(&self) -> usize {
        self.frag.len()
    }

    #[inline]
    fn take(&self, index: usize) -> Self {
        self.head(index)
    }

    #[inline]
    fn take_from(&self, index: usize) -> Self {
        self.skip(index)
    }

    #[inline]
    fn take_split(&self, index: usize) -> (Self, Self) {
        (self.skip(index), self.head(index))
    }

    #[inline]
    fn position<P>(&self, predicate: P) -> Option<usize>
    where
        P: Fn(Self::Item) -> bool,
    {
        self.frag.iter().position(|&b| predicate(b))
    }

    #[inline]
    fn iter_elements(&self) -> Self::Iter {
        self.frag.iter().copied()
    }

    #[inline]
    fn iter_indices(&self) -> Self::IterIndices {
        self.iter_elements().enumerate()
    }

    #[inline]
    fn slice_index(&self, count: usize) -> Result<usize, Needed> {
        if self.frag.len() >= count {
            Ok(count)
        } else {
            Err(Needed::new(count - self.frag.len()))
        }
    }

    // The `split_at_position` family below is what `take_while`, `take_while1`, `digit1` and
    // friends run on; nom's defaults go through `Option`s of `Self` that do not always
    // inline, so the scans are written out here (the same semantics, complete input).

    #[inline(always)]
    fn split_at_position_complete<P, E: NomParseError<Self>>(
        &self,
        predicate: P,
    ) -> IResult<Self, Self, E>
    where
        P: Fn(Self::Item) -> bool,
    {
        let n = self
            .frag
            .iter()
            .position(|&b| predicate(b))
            .unwrap_or(self.frag.len());
        Ok(self.take_split(n))
    }

    #[inline(always)]
    fn split_at_position1_complete<P, E: NomParseError<Self>>(
        &self,
        predicate: P,
        e: NomKind,
    ) -> IResult<Self, Self, E>
    where
        P: Fn(Self::Item) -> bool,
    {
        match self
            .frag
            .iter()
            .position(|&b| predicate(b))
            .unwrap_or(self.frag.len())
        {
            0 => Err(nom::Err::Error(E::from_error_kind(*self, e))),
            n => Ok(self.take_split(n)),
        }
    }

    #[inline(always)]
    fn split_at_position_mode<OM: nom::OutputMode, P, E: NomParseError<Self>>(
        &self,
        predicate: P,
    ) -> nom::PResult<OM, Self, Self, E>
    where
        P: Fn(Self::Item) -> bool,
    {
        use nom::Mode as _;
        // Complete input only: the end of the span ends the run.
        let n = self
            .frag
            .iter()
            .position(|&b| predicate(b))
            .unwrap_or(self.frag.len());
        Ok((self.skip(n), OM::Output::bind(|| self.head(n))))
    }

    #[inline(always)]
    fn split_at_position_mode1<OM: nom::OutputMode, P, E: NomParseError<Self>>(
        &self,
        predicate: P,
        e: NomKind,
    ) -> nom::PResult<OM, Self, Self, E>
    where
        P: Fn(Self::Item) -> bool,
    {
        use nom::Mode as _;
        match self
            .frag
            .iter()
            .position(|&b| predicate(b))
            .unwrap_or(self.frag.len())
        {
            0 => Err(nom::Err::Error(OM::Error::bind(|| {
                E::from_error_kind(*self, e)
            }))),
            n => Ok((self.skip(n), OM::Output::bind(|| self.head(n)))),
        }
    }
}

impl Span<'_> {
    /// `tag` / `tag_no_case` on complete input: a span shorter than `t` does not match (nom
    /// treats `Incomplete` as `Error` on complete input anyway, so it is never reported).
    #[inline(always)]
    fn compare_bytes(&self, t: &[u8], no_case: bool) -> CompareResult {
        match self.frag.get(..t.len()) {
            Some(head) if no_case && head.eq_ignore_ascii_case(t) => CompareResult::Ok,
            Some(head) if !no_case && head == t => CompareResult::Ok,
            _ => CompareResult::Error,
        }
    }
}

impl<'b> Compare<&'b [u8]> for Span<'_> {
    #[inline(always)]
    fn compare(&self, t: &'b [u8]) -> CompareResult {
        self.compare_bytes(t, false)
    }

    #[inline(always)]
    fn compare_no_case(&self, t: &'b [u8]) -> CompareResult {
        self.compare_bytes(t, true)
    }
}

impl<'b> Compare<&'b str> for Span<'_> {
    #[inline(always)]
    fn compare(&self, t: &'b str) -> CompareResult {
        self.compare_bytes(t.as_bytes(), false)
    }

    #[inline(always)]
    fn compare_no_case(&self, t: &'b str) -> CompareResult {
        self.compare_bytes(t.as_bytes(), true)
    }
}

impl Offset for Span<'_> {
    #[inline]
    fn offset(&self, second: &Self) -> usize {
        second.offset().wrapping_sub(Span::offset(self))
    }
}

/// The nom error of the IMAP grammar: what went wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Error {
    /// Byte offset in the source.
    pub(crate) offset: usize,
    /// The kind; `Syntax { expected: "" }` until a [`nom::error::context`] names the rule.
    pub(crate) kind: ErrorKind,
}

impl Error {
    /// A syntax error at `at`, naming the rule expected there.
    #[inline]
    pub(crate) fn syntax(at: Span<'_>, expected: &'static str) -> nom::Err<Self> {
        nom::Err::Error(Error {
            offset: at.offset(),
            kind: ErrorKind::Syntax { expected },
        })
    }

    /// An error of `kind` at `at`.
    #[inline]
    pub(crate) fn kind(at: Span<'_>, kind: ErrorKind) -> nom::Err<Self> {
        nom::Err::Error(Error {
            offset: at.offset(),
            kind,
        })
    }

    fn into_parse_error(self) -> ParseError {
        match self.kind {
            ErrorKind::Syntax { expected: "" } => ParseError::syntax("valid syntax", self.offset),
            kind => ParseError::new(kind, self.offset),
        }
    }
}

impl<'a> NomParseError<Span<'a>> for Error {
    #[inline]
    fn from_error_kind(input: Span<'a>, _kind: NomKind) -> Self {
        Error {
            offset: input.offset(),
            kind: ErrorKind::Syntax { expected: "" },
        }
    }

    #[inline]
    fn append(_input: Span<'a>, _kind: NomKind, other: Self) -> Self {
        other
    }
}

impl<'a> ContextError<Span<'a>> for Error {
    /// Names an error nom made; an error a rule already named keeps its name.
    #[inline]
    fn add_context(_input: Span<'a>, ctx: &'static str, mut other: Self) -> Self {
        if let ErrorKind::Syntax { expected } = &mut other.kind {
            if expected.is_empty() {
                *expected = ctx;
            }
        }
        other
    }
}

/// Result of one grammar rule.
pub(crate) type PResult<'a, T> = IResult<Span<'a>, T, Error>;

/// Runs `rule` on the first `end` bytes of `src`; values are slices of `src`.
#[inline]
pub(crate) fn run<T>(
    src: &Bytes,
    end: usize,
    limits: &Limits,
    rule: impl for<'a> FnOnce(Span<'a>) -> PResult<'a, T>,
) -> Result<T, ParseError> {
    run_into(src, end, limits, rule, |v| v)
}

/// [`run`], handing the value to `wrap` where it is built (so a large value such as a
/// `Command` moves once into the caller's result).
#[inline(always)]
pub(crate) fn run_into<T, U>(
    src: &Bytes,
    end: usize,
    limits: &Limits,
    rule: impl for<'a> FnOnce(Span<'a>) -> PResult<'a, T>,
    wrap: impl FnOnce(T) -> U,
) -> Result<U, ParseError> {
    let cx = Cx {
        base: src.as_ptr() as usize,
        src,
        limits,
    };
    let buf: &[u8] = src.as_ref();
    let span = Span {
        frag: buf.get(..end).unwrap_or(buf),
        cx: &cx,
    };
    match rule(span) {
        Ok((_, v)) => Ok(wrap(v)),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e.into_parse_error()),
        // Complete parsers never ask for more.
        Err(nom::Err::Incomplete(_)) => Err(ParseError::syntax("complete input", end)),
    }
}

/// The tag of the command or response in `src`, for an error found after it (so the
/// session can answer by tag).
#[cold]
fn tag_for(src: &Bytes, end: usize, limits: &Limits, mut e: ParseError) -> ParseError {
    if e.offset > 0 {
        e.tag = run(src, end, limits, self::core::tag).ok();
    }
    e
}

/// Runs `command` (RFC 3501 §9) on the first `end` bytes of `src`; an error after the tag
/// carries it.
#[inline(always)]
pub(crate) fn run_command<U>(
    src: &Bytes,
    end: usize,
    limits: &Limits,
    wrap: impl FnOnce(super::command::Command) -> U,
) -> Result<U, ParseError> {
    run_into(src, end, limits, command, wrap).map_err(|e| tag_for(src, end, limits, e))
}

/// Runs the APPEND head rule on `src`; an error after the tag carries it.
pub(crate) fn run_append_head(
    src: &Bytes,
    limits: &Limits,
) -> Result<super::command::AppendHead, ParseError> {
    run(src, src.len(), limits, append_head).map_err(|e| tag_for(src, src.len(), limits, e))
}

/// A `take_while` predicate from a byte-class table of [`super::chars`].
#[inline]
pub(crate) fn is(class: &'static [bool; 256]) -> impl Fn(u8) -> bool {
    move |b| class[b as usize]
}

/// `1*<class>`: `take_while1` over a byte-class table of [`super::chars`], failing with a
/// syntax error naming `expected` (the rule) where the run should start.
#[inline(always)]
pub(crate) fn take_class1<'a>(
    class: &'static [bool; 256],
    expected: &'static str,
) -> impl Fn(Span<'a>) -> PResult<'a, Span<'a>> {
    move |i| {
        nom::bytes::complete::take_while1(is(class))(i)
            .map_err(|_: nom::Err<Error>| Error::syntax(i, expected))
    }
}

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

/// Matches one byte `b`, failing with a syntax error that names `expected`.
#[inline]
pub(crate) fn byte<'a>(b: u8, expected: &'static str) -> impl Fn(Span<'a>) -> PResult<'a, ()> {
    move |i: Span<'a>| {
        if i.first() == Some(b) {
            Ok((i.skip(1), ()))
        } else {
            Err(Error::syntax(i, expected))
        }
    }
}

/// `SP = %x20`: exactly one space (RFC 3501 §9 note 2).
#[inline]
pub(crate) fn sp(i: Span<'_>) -> PResult<'_, ()> {
    byte(b' ', "SP")(i)
}

/// `CRLF = CR LF` (RFC 5234 B.1), or a bare LF when [`Limits::accept_bare_lf`] is set.
#[inline]
pub(crate) fn crlf(i: Span<'_>) -> PResult<'_, ()> {
    if i.fragment().starts_with(b"\r\n") {
        Ok((i.skip(2), ()))
    } else if i.first() == Some(b'\n') && i.limits().accept_bare_lf() {
        Ok((i.skip(1), ()))
    } else {
        Err(Error::syntax(i, "CRLF"))
    }
}

/// The end of the framed input: nothing may follow the rule.
#[inline]
pub(crate) fn end_of_input(i: Span<'_>) -> PResult<'_, ()> {
    match nom::combinator::eof::<_, Error>(i) {
        Ok((i, _)) => Ok((i, ())),
        Err(_) => Err(Error::syntax(i, "end of input")),
    }
}

/// `word` in any case (RFC 3501 §9 note 1: "the case of alphabetic characters does not
/// matter"): nom's `tag_no_case` for [`Span`], written out so the comparison inlines (the
/// grammar tries keywords in a row: `ALL` / `FULL` / `FAST`, the section texts).
#[inline(always)]
pub(crate) fn caseless<'a>(word: &'static str) -> impl Fn(Span<'a>) -> PResult<'a, Span<'a>> {
    move |i: Span<'a>| match i.compare_bytes(word.as_bytes(), true) {
        CompareResult::Ok => Ok(i.take_split(word.len())),
        _ => Err(nom::Err::Error(Error::from_error_kind(i, NomKind::Tag))),
    }
}

/// `word`, case-insensitively (RFC 3501 §9 note 1), failing naming `expected`.
#[inline]
pub(crate) fn keyword<'a>(
    word: &'static str,
    expected: &'static str,
) -> impl Fn(Span<'a>) -> PResult<'a, Span<'a>> {
    move |i| caseless(word)(i).map_err(|_| Error::syntax(i, expected))
}

/// Fails with `TooDeep` when `depth` exceeds [`Limits::max_depth`].
#[inline]
pub(crate) fn check_depth(i: Span<'_>, depth: usize) -> Result<(), nom::Err<Error>> {
    let limit = i.limits().max_depth();
    if depth > limit {
        Err(Error::kind(i, ErrorKind::TooDeep { limit }))
    } else {
        Ok(())
    }
}

/// Fails with `TooManyItems` when a list of `len` items is full
/// ([`Limits::max_list_items`]).
#[inline]
pub(crate) fn check_items(i: Span<'_>, len: usize) -> Result<(), nom::Err<Error>> {
    let limit = i.limits().max_list_items();
    if len >= limit {
        Err(Error::kind(i, ErrorKind::TooManyItems { limit }))
    } else {
        Ok(())
    }
}

/// `item *(sep item)` with at most [`Limits::max_list_items`] items; after `sep`, an item is
/// required (the separator commits).
pub(crate) fn separated_list1<'a, T, S>(
    mut sep: impl FnMut(Span<'a>) -> PResult<'a, S>,
    mut item: impl FnMut(Span<'a>) -> PResult<'a, T>,
) -> impl FnMut(Span<'a>) -> PResult<'a, Vec<T>> {
    move |mut i: Span<'a>| {
        let mut v = Vec::new();
        loop {
            check_items(i, v.len())?;
            let (rest, x) = item(i)?;
            v.push(x);
            match sep(rest) {
                Ok((rest, _)) => i = rest,
                Err(nom::Err::Error(_)) => return Ok((rest, v)),
                Err(e) => return Err(e),
            }
        }
    }
}

/// `*(SP item)`: as many `SP item` as follow, at most [`Limits::max_list_items`]; after an
/// SP the item is required.
pub(crate) fn many_sp<'a, T>(
    mut item: impl FnMut(Span<'a>) -> PResult<'a, T>,
) -> impl FnMut(Span<'a>) -> PResult<'a, Vec<T>> {
    move |mut i: Span<'a>| {
        let mut v = Vec::new();
        while i.first() == Some(b' ') {
            let after = i.skip(1);
            check_items(after, v.len())?;
            let (rest, x) = item(after)?;
            v.push(x);
            i = rest;
        }
        Ok((i, v))
    }
}

/// How many items a parenthesised list starting at `i` probably has: one more than the
/// spaces before the first `)` (a nested list or a string can make it more; it is only the
/// first capacity of the list's `Vec`, at most 64, so that a FETCH attribute list or a
/// header list is allocated once).
#[inline]
fn list_len_hint(i: Span<'_>) -> usize {
    let f = i.fragment();
    let end = memchr::memchr(b')', f).unwrap_or(f.len()).min(512);
    let head = f.get(..end).unwrap_or_default();
    (1 + head.iter().filter(|&&b| b == b' ').count())
        .min(64)
        .min(i.limits().max_list_items())
}

/// `"(" [item *(SP item)] ")"` (or `"(" item *(SP item) ")"` when `!allow_empty`), at most
/// [`Limits::max_list_items`] items: the parenthesised lists of RFC 3501 §9.
pub(crate) fn paren_list<'a, T>(
    allow_empty: bool,
    mut item: impl FnMut(Span<'a>) -> PResult<'a, T>,
) -> impl FnMut(Span<'a>) -> PResult<'a, Vec<T>> {
    move |i: Span<'a>| {
        let (mut i, ()) = byte(b'(', "\"(\"")(i)?;
        if i.first() == Some(b')') {
            let i = i.skip(1);
            if allow_empty {
                return Ok((i, Vec::new()));
            }
            return Err(Error::syntax(i, "list item"));
        }
        let mut v = Vec::with_capacity(list_len_hint(i));
        loop {
            check_items(i, v.len())?;
            let (rest, x) = item(i)?;
            v.push(x);
            if rest.first() == Some(b')') {
                return Ok((rest.skip(1), v));
            }
            (i, ()) = sp(rest)?;
        }
    }
}
