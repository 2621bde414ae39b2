//! Core rules of RFC 3501 §9: numbers, atoms, strings, literals, mailboxes, sequence sets,
//! flags, dates, text.

use std::num::NonZeroU32;

use bytes::Bytes;
use nom::Parser;
use nom::bytes::complete::take_while;
use nom::character::complete::digit1;
use nom::combinator::{map, opt};
use nom::sequence::preceded;

use super::super::chars::{ASTRING_CHAR, ATOM_CHAR, LIST_CHAR, QUOTED_CHAR, TAG_CHAR, TEXT_CHAR};
use super::super::core::{Atom, IString, Literal, LiteralMode, NString, Tag, Text};
use super::super::datetime::{Date, DateTime, MONTHS};
use super::super::error::ErrorKind;
use super::super::flag::{Flag, FlagFetch, FlagPerm};
use super::super::mailbox::{ListMailbox, Mailbox};
use super::super::sequence::{SeqNumber, Sequence, SequenceSet};
use super::{
    Error, PResult, Span, byte, caseless, crlf, is, paren_list, separated_list1, sp, take_class1,
};

/// `number = 1*DIGIT` ; unsigned 32-bit integer (RFC 3501 §9). A value past 2^32-1 is
/// `NumberOutOfRange` at the digit that overflows.
#[inline]
pub(crate) fn number(i: Span<'_>) -> PResult<'_, u32> {
    let (rest, digits) = digit1(i).map_err(|_: nom::Err<Error>| Error::syntax(i, "number"))?;
    let digits = digits.fragment();
    if digits.len() <= 9 {
        // At most 999,999,999: no overflow possible.
        let n = digits
            .iter()
            .fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
        return Ok((rest, n));
    }
    let mut n: u32 = 0;
    for (k, &d) in digits.iter().enumerate() {
        n = match n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u32::from(d - b'0')))
        {
            Some(n) => n,
            None => return Err(Error::kind(i.skip(k), ErrorKind::NumberOutOfRange)),
        };
    }
    Ok((rest, n))
}

/// `nz-number = digit-nz *DIGIT` ; non-zero unsigned 32-bit integer (RFC 3501 §9).
#[inline]
pub(crate) fn nz_number(i: Span<'_>) -> PResult<'_, NonZeroU32> {
    if !matches!(i.first(), Some(b'1'..=b'9')) {
        return Err(Error::syntax(i, "nz-number"));
    }
    let (rest, n) = number(i)?;
    match NonZeroU32::new(n) {
        Some(n) => Ok((rest, n)),
        None => Err(Error::syntax(rest, "nz-number")),
    }
}

/// `tag = 1*<any ASTRING-CHAR except "+">` (RFC 3501 §9).
#[inline]
pub(crate) fn tag(i: Span<'_>) -> PResult<'_, Tag> {
    let (rest, s) = take_class1(&TAG_CHAR, "tag")(i)?;
    Ok((rest, Tag::unvalidated(s.bytes())))
}

/// `atom = 1*ATOM-CHAR` (RFC 3501 §9).
#[inline]
pub(crate) fn atom(i: Span<'_>) -> PResult<'_, Atom> {
    let (rest, s) = atom_bytes(i)?;
    Ok((rest, Atom::unvalidated(s.bytes())))
}

/// The bytes of an `atom` (for keywords and names matched by value).
#[inline]
pub(crate) fn atom_bytes(i: Span<'_>) -> PResult<'_, Span<'_>> {
    take_class1(&ATOM_CHAR, "atom")(i)
}

/// `quoted = DQUOTE *QUOTED-CHAR DQUOTE`;
/// `QUOTED-CHAR = <any TEXT-CHAR except quoted-specials> / "\" quoted-specials`
/// (RFC 3501 §9). The value is unescaped: a slice of the input, or a copy only when the
/// string holds escapes.
pub(crate) fn quoted(i: Span<'_>) -> PResult<'_, Bytes> {
    let (mut i, ()) = byte(b'"', "DQUOTE")(i)?;
    let start = i;
    let mut owned: Option<Vec<u8>> = None;
    loop {
        let (rest, run) = take_while(is(&QUOTED_CHAR))(i)?;
        match (rest.first(), rest.peek_at(1)) {
            (Some(b'"'), _) => {
                let value = match owned {
                    None => start.head(rest.offset() - start.offset()).bytes(),
                    Some(mut v) => {
                        v.extend_from_slice(run.fragment());
                        Bytes::from(v)
                    }
                };
                return Ok((rest.skip(1), value));
            }
            // "\" quoted-specials
            (Some(b'\\'), Some(c @ (b'"' | b'\\'))) => {
                let v = owned.get_or_insert_with(Vec::new);
                v.extend_from_slice(run.fragment());
                v.push(c);
                i = rest.skip(2);
            }
            (Some(b'\\'), _) => return Err(Error::syntax(rest, "quoted-specials after \"\\\"")),
            // A byte outside QUOTED-CHAR: without a DQUOTE or "\" further on, the string is
            // unterminated.
            _ if memchr::memchr2(b'"', b'\\', rest.fragment()).is_none() => {
                return Err(Error::syntax(i, "DQUOTE"));
            }
            _ => return Err(Error::syntax(rest, "QUOTED-CHAR")),
        }
    }
}

/// `literal = "{" number "}" CRLF *CHAR8` (RFC 3501 §9), also `"{" number "+}"` (RFC 7888
/// §4) and, when `binary`, `literal8 = "~{" number ["+"] "}" CRLF *OCTET` (RFC 3516 §4.2,
/// RFC 4466 §4.3). The data is a slice of the input.
pub(crate) fn literal_any(binary: bool) -> impl Fn(Span<'_>) -> PResult<'_, Literal> {
    move |i: Span<'_>| {
        let (i, is8) = if binary && i.first() == Some(b'~') {
            (i.skip(1), true)
        } else {
            (i, false)
        };
        let (i, (n, mode)) = literal_announcement(i)?;
        let (i, ()) = crlf(i)?;
        let len = n as usize;
        if i.fragment().len() < len {
            return Err(Error::syntax(i.skip(len), "literal data"));
        }
        let (rest, data) = (i.skip(len), i.head(len));
        if !is8 {
            if let Some(k) = memchr::memchr(0, data.fragment()) {
                return Err(Error::syntax(data.skip(k), "CHAR8 (NUL in literal)"));
            }
        }
        let literal = if is8 {
            Literal::new_binary(data.bytes(), mode).map_err(|_| Error::syntax(rest, "literal8"))?
        } else {
            Literal::new(data.bytes(), mode).map_err(|_| Error::syntax(rest, "literal"))?
        };
        Ok((rest, literal))
    }
}

/// `"{" number ["+"] "}"`: the announcement of a literal, its length and mode (RFC 3501 §9,
/// RFC 7888 §4).
pub(crate) fn literal_announcement(i: Span<'_>) -> PResult<'_, (u32, LiteralMode)> {
    let (i, ()) = byte(b'{', "\"{\"")(i)?;
    let (i, n) = number(i)?;
    let (i, plus) = opt(byte(b'+', "\"+\"")).parse(i)?;
    let (i, ()) = byte(b'}', "\"}\"")(i)?;
    let mode = match plus {
        Some(()) => LiteralMode::NonSync,
        None => LiteralMode::Sync,
    };
    Ok((i, (n, mode)))
}

/// `string = quoted / literal` (RFC 3501 §9).
#[inline]
pub(crate) fn string(i: Span<'_>) -> PResult<'_, IString> {
    match i.first() {
        Some(b'"') => quoted(i).map(|(i, s)| (i, IString::unvalidated(s))),
        Some(b'{') => literal_any(false)(i).map(|(i, l)| (i, IString::unvalidated(l.into_data()))),
        _ => Err(Error::syntax(i, "string")),
    }
}

/// `astring = 1*ASTRING-CHAR / string` (RFC 3501 §9).
#[inline]
pub(crate) fn astring(i: Span<'_>) -> PResult<'_, IString> {
    match i.first() {
        Some(b'"' | b'{') => string(i),
        _ => {
            let (rest, s) = take_class1(&ASTRING_CHAR, "astring")(i)?;
            Ok((rest, IString::unvalidated(s.bytes())))
        }
    }
}

/// `nil = "NIL"` (RFC 3501 §9), case-insensitively.
#[inline]
pub(crate) fn nil(i: Span<'_>) -> PResult<'_, ()> {
    caseless("NIL")(i).map(|(i, _)| (i, ()))
}

/// `nstring = string / nil` (RFC 3501 §9).
#[inline]
pub(crate) fn nstring(i: Span<'_>) -> PResult<'_, NString> {
    if let Ok((rest, ())) = nil(i) {
        return Ok((rest, None));
    }
    string(i).map(|(i, s)| (i, Some(s)))
}

/// `mailbox = "INBOX" / astring` (RFC 3501 §9); INBOX in any case becomes `INBOX`.
#[inline]
pub(crate) fn mailbox(i: Span<'_>) -> PResult<'_, Mailbox> {
    astring(i).map(|(i, s)| (i, Mailbox::normalize(s)))
}

/// `list-mailbox = 1*list-char / string` (RFC 3501 §9).
pub(crate) fn list_mailbox(i: Span<'_>) -> PResult<'_, ListMailbox> {
    match i.first() {
        Some(b'"' | b'{') => map(string, ListMailbox).parse(i),
        _ => {
            let (rest, s) = take_class1(&LIST_CHAR, "list-mailbox")(i)?;
            Ok((rest, ListMailbox(IString::unvalidated(s.bytes()))))
        }
    }
}

/// `seq-number = nz-number / "*"` (RFC 3501 §9).
#[inline]
fn seq_number(i: Span<'_>) -> PResult<'_, SeqNumber> {
    if i.first() == Some(b'*') {
        return Ok((i.skip(1), SeqNumber::Asterisk));
    }
    nz_number(i).map(|(i, n)| (i, SeqNumber::Value(n)))
}

/// `seq-range = seq-number ":" seq-number`, or a lone `seq-number` (RFC 3501 §9).
#[inline]
fn seq_range(i: Span<'_>) -> PResult<'_, Sequence> {
    let (i, a) = seq_number(i)?;
    if i.first() == Some(b':') {
        seq_number(i.skip(1)).map(|(i, b)| (i, Sequence::Range(a, b)))
    } else {
        Ok((i, Sequence::Single(a)))
    }
}

/// `sequence-set = (seq-number / seq-range) *("," sequence-set)` (RFC 3501 §9).
pub(crate) fn sequence_set(i: Span<'_>) -> PResult<'_, SequenceSet> {
    let (i, v) = separated_list1(byte(b',', "\",\""), seq_range)(i)?;
    Ok((i, SequenceSet::from_vec_unchecked(v)))
}

/// A `flag`, `flag-fetch` or `flag-perm`: what follows a `\`, or a keyword.
pub(crate) enum FlagFetchOrPerm {
    Flag(Flag),
    Recent,
    Asterisk,
}

/// `flag = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" / flag-keyword /
/// flag-extension` (RFC 3501 §9); `\Recent` and `\*` only where `fetch` / `perm` allow them.
fn flag_any(fetch: bool, perm: bool) -> impl Fn(Span<'_>) -> PResult<'_, FlagFetchOrPerm> {
    move |i: Span<'_>| {
        if i.first() != Some(b'\\') {
            // flag-keyword = atom
            return map(atom, |a| FlagFetchOrPerm::Flag(Flag::Keyword(a))).parse(i);
        }
        let i = i.skip(1);
        if perm && i.first() == Some(b'*') {
            return Ok((i.skip(1), FlagFetchOrPerm::Asterisk));
        }
        let (rest, name) = atom_bytes(i)?;
        if let Some(f) = Flag::system(name.fragment()) {
            return Ok((rest, FlagFetchOrPerm::Flag(f)));
        }
        if name.fragment().eq_ignore_ascii_case(b"Recent") {
            if fetch {
                return Ok((rest, FlagFetchOrPerm::Recent));
            }
            return Err(Error::syntax(
                i,
                "flag (\\Recent is not a flag, RFC 3501 §9)",
            ));
        }
        // flag-extension = "\" atom
        Ok((
            rest,
            FlagFetchOrPerm::Flag(Flag::Extension(Atom::unvalidated(name.bytes()))),
        ))
    }
}

/// `flag` (RFC 3501 §9).
pub(crate) fn flag(i: Span<'_>) -> PResult<'_, Flag> {
    match flag_any(false, false)(i)? {
        (rest, FlagFetchOrPerm::Flag(f)) => Ok((rest, f)),
        (rest, _) => Err(Error::syntax(rest, "flag")),
    }
}

/// `flag-fetch = flag / "\Recent"` (RFC 3501 §9).
pub(crate) fn flag_fetch(i: Span<'_>) -> PResult<'_, FlagFetch> {
    match flag_any(true, false)(i)? {
        (rest, FlagFetchOrPerm::Flag(f)) => Ok((rest, FlagFetch::Flag(f))),
        (rest, FlagFetchOrPerm::Recent) => Ok((rest, FlagFetch::Recent)),
        (rest, FlagFetchOrPerm::Asterisk) => Err(Error::syntax(rest, "flag-fetch")),
    }
}

/// `flag-perm = flag / "\*"` (RFC 3501 §9).
pub(crate) fn flag_perm(i: Span<'_>) -> PResult<'_, FlagPerm> {
    match flag_any(false, true)(i)? {
        (rest, FlagFetchOrPerm::Flag(f)) => Ok((rest, FlagPerm::Flag(f))),
        (rest, FlagFetchOrPerm::Asterisk) => Ok((rest, FlagPerm::Asterisk)),
        (rest, FlagFetchOrPerm::Recent) => Err(Error::syntax(rest, "flag-perm")),
    }
}

/// `flag-list = "(" [flag *(SP flag)] ")"` (RFC 3501 §9).
pub(crate) fn flag_list(i: Span<'_>) -> PResult<'_, Vec<Flag>> {
    paren_list(true, flag)(i)
}

/// `n` DIGITs as a number, failing naming `expected`.
fn digits(n: usize, expected: &'static str) -> impl Fn(Span<'_>) -> PResult<'_, u32> {
    move |mut i: Span<'_>| {
        let mut v = 0u32;
        for _ in 0..n {
            match i.first() {
                Some(d @ b'0'..=b'9') => {
                    v = v * 10 + u32::from(d - b'0');
                    i = i.skip(1);
                }
                _ => return Err(Error::syntax(i, expected)),
            }
        }
        Ok((i, v))
    }
}

/// `date-month = "Jan" / "Feb" / "Mar" / "Apr" / "May" / "Jun" / "Jul" / "Aug" / "Sep" /
/// "Oct" / "Nov" / "Dec"` (RFC 3501 §9), case-insensitively, 1-based.
fn date_month(i: Span<'_>) -> PResult<'_, u8> {
    let m = i.fragment().get(..3).unwrap_or_default();
    match MONTHS
        .iter()
        .position(|name| m.eq_ignore_ascii_case(&name[..]))
    {
        Some(k) => Ok((i.skip(3), k as u8 + 1)),
        None => Err(Error::syntax(i, "date-month")),
    }
}

/// `date = date-text / DQUOTE date-text DQUOTE`;
/// `date-text = date-day "-" date-month "-" date-year`; `date-day = 1*2DIGIT`
/// (RFC 3501 §9).
pub(crate) fn date(i: Span<'_>) -> PResult<'_, Date> {
    let (i, quote) = opt(byte(b'"', "DQUOTE")).parse(i)?;
    let start = i;
    let (i, mut day) = digits(1, "date-day")(i)?;
    let (i, second) = opt(digits(1, "date-day")).parse(i)?;
    if let Some(d) = second {
        day = day * 10 + d;
    }
    let (i, ()) = byte(b'-', "\"-\"")(i)?;
    let (i, month) = date_month(i)?;
    let (i, ()) = byte(b'-', "\"-\"")(i)?;
    let (mut i, year) = digits(4, "date-year")(i)?;
    if quote.is_some() {
        (i, ()) = byte(b'"', "DQUOTE")(i)?;
    }
    match Date::new(year as u16, month, day as u8) {
        Ok(d) => Ok((i, d)),
        Err(_) => Err(Error::syntax(start, "valid date")),
    }
}

/// `date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE`;
/// `date-day-fixed = (SP DIGIT) / 2DIGIT`; `time = 2DIGIT ":" 2DIGIT ":" 2DIGIT`;
/// `zone = ("+" / "-") 4DIGIT` (RFC 3501 §9).
pub(crate) fn date_time(i: Span<'_>) -> PResult<'_, DateTime> {
    let (i, ()) = byte(b'"', "DQUOTE")(i)?;
    let start = i;
    let (i, day) = match i.first() {
        Some(b' ') => digits(1, "date-day-fixed")(i.skip(1))?,
        _ => digits(2, "date-day-fixed")(i)?,
    };
    let (i, ()) = byte(b'-', "\"-\"")(i)?;
    let (i, month) = date_month(i)?;
    let (i, ()) = byte(b'-', "\"-\"")(i)?;
    let (i, year) = digits(4, "date-year")(i)?;
    let (i, ()) = sp(i)?;
    let (i, hour) = digits(2, "time")(i)?;
    let (i, minute) = preceded(byte(b':', "\":\""), digits(2, "time")).parse(i)?;
    let (i, second) = preceded(byte(b':', "\":\""), digits(2, "time")).parse(i)?;
    let (i, ()) = sp(i)?;
    let sign: i16 = match i.first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Err(Error::syntax(i, "zone")),
    };
    let (i, zh) = digits(2, "zone")(i.skip(1))?;
    let (i, zm) = digits(2, "zone")(i)?;
    let (i, ()) = byte(b'"', "DQUOTE")(i)?;
    let bad = || Error::syntax(start, "valid date-time");
    if zm >= 60 || zh >= 24 {
        return Err(bad());
    }
    let date = Date::new(year as u16, month, day as u8).map_err(|_| bad())?;
    let zone = sign * (zh as i16 * 60 + zm as i16);
    let dt =
        DateTime::new(date, hour as u8, minute as u8, second as u8, zone).map_err(|_| bad())?;
    Ok((i, dt))
}

/// `text = 1*TEXT-CHAR` (RFC 3501 §9), up to (not including) CRLF.
pub(crate) fn text(i: Span<'_>) -> PResult<'_, Text> {
    let (rest, s) = take_class1(&TEXT_CHAR, "text")(i)?;
    Ok((rest, Text::unvalidated(s.bytes())))
}

/// `base64 = *(4base64-char) [base64-terminal]` (RFC 3501 §9), decoded: the rest of the
/// line, up to CR or LF.
pub(crate) fn base64(i: Span<'_>) -> PResult<'_, Bytes> {
    use base64::Engine as _;
    let n = memchr::memchr2(b'\r', b'\n', i.fragment()).unwrap_or(i.fragment().len());
    match base64::engine::general_purpose::STANDARD.decode(i.head(n).fragment()) {
        Ok(decoded) => Ok((i.skip(n), Bytes::from(decoded))),
        Err(_) => Err(Error::syntax(i, "base64")),
    }
}
