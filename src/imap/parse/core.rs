//! Core rules of RFC 3501 §9: numbers, atoms, strings, literals, mailboxes, sequence sets,
//! flags, dates, text.

use std::num::NonZeroU32;

use bytes::Bytes;

use super::super::chars::{ASTRING_CHAR, ATOM_CHAR, LIST_CHAR, QUOTED_CHAR, TAG_CHAR, TEXT_CHAR};
use super::super::core::{Atom, IString, Literal, LiteralMode, NString, Tag, Text};
use super::super::datetime::{Date, DateTime, MONTHS};
use super::super::error::ErrorKind;
use super::super::flag::{Flag, FlagFetch, FlagPerm};
use super::super::mailbox::{ListMailbox, Mailbox};
use super::super::sequence::{SeqNumber, Sequence, SequenceSet};
use super::{Cursor, PResult};

impl<'a> Cursor<'a> {
    /// `number = 1*DIGIT` ; unsigned 32-bit (RFC 3501 §9).
    pub(crate) fn number(&mut self) -> PResult<u32> {
        let start = self.pos;
        let mut n: u64 = 0;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            n = n * 10 + u64::from(d - b'0');
            if n > u64::from(u32::MAX) {
                return Err(self.err_kind(ErrorKind::NumberOutOfRange));
            }
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.err("number"));
        }
        Ok(n as u32)
    }

    /// `nz-number = digit-nz *DIGIT` (RFC 3501 §9).
    pub(crate) fn nz_number(&mut self) -> PResult<NonZeroU32> {
        if !matches!(self.peek(), Some(b'1'..=b'9')) {
            return Err(self.err("nz-number"));
        }
        let n = self.number()?;
        NonZeroU32::new(n).ok_or_else(|| self.err("nz-number"))
    }

    /// `tag = 1*<any ASTRING-CHAR except "+">` (RFC 3501 §9).
    pub(crate) fn tag(&mut self) -> PResult<Tag> {
        let (s, n) = self.take_class(&TAG_CHAR);
        if n == 0 {
            return Err(self.err("tag"));
        }
        Ok(Tag::unvalidated(self.slice(s, s + n)))
    }

    /// `atom = 1*ATOM-CHAR` (RFC 3501 §9).
    pub(crate) fn atom(&mut self) -> PResult<Atom> {
        let (s, n) = self.take_class(&ATOM_CHAR);
        if n == 0 {
            return Err(self.err("atom"));
        }
        Ok(Atom::unvalidated(self.slice(s, s + n)))
    }

    /// The raw bytes of an atom (for keywords).
    pub(crate) fn atom_bytes(&mut self) -> PResult<&'a [u8]> {
        let (s, n) = self.take_class(&ATOM_CHAR);
        if n == 0 {
            return Err(self.err("atom"));
        }
        Ok(self.buf.get(s..s + n).unwrap_or_default())
    }

    /// `quoted = DQUOTE *QUOTED-CHAR DQUOTE` (RFC 3501 §9). Unescaped content; a copy only
    /// when the string holds escapes.
    pub(crate) fn quoted(&mut self) -> PResult<Bytes> {
        self.byte(b'"', "DQUOTE")?;
        let start = self.pos;
        let mut owned: Option<Vec<u8>> = None;
        let mut seg = start;
        loop {
            let rest = self.rest();
            let Some(i) = memchr::memchr2(b'"', b'\\', rest) else {
                return Err(self.err("DQUOTE"));
            };
            let chunk = rest.get(..i).unwrap_or_default();
            if let Some(bad) = chunk.iter().position(|&b| !QUOTED_CHAR[b as usize]) {
                self.pos += bad;
                return Err(self.err("QUOTED-CHAR"));
            }
            self.pos += i;
            if self.peek() == Some(b'"') {
                let end = self.pos;
                self.pos += 1;
                return Ok(match owned {
                    None => self.slice(start, end),
                    Some(mut v) => {
                        v.extend_from_slice(self.buf.get(seg..end).unwrap_or_default());
                        Bytes::from(v)
                    }
                });
            }
            // "\" quoted-specials
            let esc = self.pos;
            match self.peek_at(1) {
                Some(c @ (b'"' | b'\\')) => {
                    let v = owned.get_or_insert_with(Vec::new);
                    v.extend_from_slice(self.buf.get(seg..esc).unwrap_or_default());
                    v.push(c);
                    self.pos += 2;
                    seg = self.pos;
                }
                _ => return Err(self.err("quoted-specials after \"\\\"")),
            }
        }
    }

    /// `literal = "{" number "}" CRLF *CHAR8` (RFC 3501 §9), also `{n+}` (RFC 7888) and, when
    /// `binary`, `literal8 = "~{" number ["+"] "}" CRLF *OCTET` (RFC 3516, RFC 4466).
    pub(crate) fn literal_any(&mut self, binary: bool) -> PResult<Literal> {
        let is8 = binary && self.eat(b'~');
        self.byte(b'{', "\"{\"")?;
        let n = self.number()?;
        let mode = if self.eat(b'+') {
            LiteralMode::NonSync
        } else {
            LiteralMode::Sync
        };
        self.byte(b'}', "\"}\"")?;
        self.crlf()?;
        let start = self.pos;
        let end = start
            .checked_add(n as usize)
            .filter(|&e| e <= self.buf.len());
        let Some(end) = end else {
            self.pos = self.buf.len();
            return Err(self.err("literal data"));
        };
        let data = self.slice(start, end);
        if !is8 {
            if let Some(i) = memchr::memchr(0, &data) {
                self.pos = start + i;
                return Err(self.err("CHAR8 (NUL in literal)"));
            }
        }
        self.pos = end;
        Ok(if is8 {
            Literal::new_binary(data, mode).map_err(|_| self.err("literal8"))?
        } else {
            Literal::new(data, mode).map_err(|_| self.err("literal"))?
        })
    }

    /// `string = quoted / literal` (RFC 3501 §9).
    pub(crate) fn string(&mut self) -> PResult<IString> {
        match self.peek() {
            Some(b'"') => Ok(IString::unvalidated(self.quoted()?)),
            Some(b'{') => Ok(IString::unvalidated(self.literal_any(false)?.into_data())),
            _ => Err(self.err("string")),
        }
    }

    /// `astring = 1*ASTRING-CHAR / string` (RFC 3501 §9).
    pub(crate) fn astring(&mut self) -> PResult<IString> {
        match self.peek() {
            Some(b'"' | b'{') => self.string(),
            _ => {
                let (s, n) = self.take_class(&ASTRING_CHAR);
                if n == 0 {
                    return Err(self.err("astring"));
                }
                Ok(IString::unvalidated(self.slice(s, s + n)))
            }
        }
    }

    /// `nstring = string / nil` (RFC 3501 §9).
    pub(crate) fn nstring(&mut self) -> PResult<NString> {
        if self.keyword(b"NIL") {
            return Ok(None);
        }
        self.string().map(Some)
    }

    /// `mailbox = "INBOX" / astring` (RFC 3501 §9); INBOX in any case becomes `INBOX`.
    pub(crate) fn mailbox(&mut self) -> PResult<Mailbox> {
        self.astring().map(Mailbox::normalize)
    }

    /// `list-mailbox = 1*list-char / string` (RFC 3501 §9).
    pub(crate) fn list_mailbox(&mut self) -> PResult<ListMailbox> {
        match self.peek() {
            Some(b'"' | b'{') => self.string().map(ListMailbox),
            _ => {
                let (s, n) = self.take_class(&LIST_CHAR);
                if n == 0 {
                    return Err(self.err("list-mailbox"));
                }
                Ok(ListMailbox(IString::unvalidated(self.slice(s, s + n))))
            }
        }
    }

    /// `seq-number = nz-number / "*"` (RFC 3501 §9).
    fn seq_number(&mut self) -> PResult<SeqNumber> {
        if self.eat(b'*') {
            return Ok(SeqNumber::Asterisk);
        }
        self.nz_number().map(SeqNumber::Value)
    }

    /// `sequence-set = (seq-number / seq-range) *("," sequence-set)` (RFC 3501 §9).
    pub(crate) fn sequence_set(&mut self) -> PResult<SequenceSet> {
        let mut v = Vec::new();
        loop {
            self.check_items(v.len())?;
            let a = self.seq_number()?;
            if self.eat(b':') {
                let b = self.seq_number()?;
                v.push(Sequence::Range(a, b));
            } else {
                v.push(Sequence::Single(a));
            }
            if !self.eat(b',') {
                return Ok(SequenceSet::from_vec_unchecked(v));
            }
        }
    }

    /// `flag` (RFC 3501 §9); `\Recent` and `\*` only where `fetch` / `perm` allow them.
    fn flag_any(&mut self, fetch: bool, perm: bool) -> PResult<FlagFetchOrPerm> {
        if self.eat(b'\\') {
            if perm && self.eat(b'*') {
                return Ok(FlagFetchOrPerm::Asterisk);
            }
            let start = self.pos;
            let name = self.atom_bytes()?;
            if let Some(f) = Flag::system(name) {
                return Ok(FlagFetchOrPerm::Flag(f));
            }
            if name.eq_ignore_ascii_case(b"Recent") {
                if fetch {
                    return Ok(FlagFetchOrPerm::Recent);
                }
                self.pos = start;
                return Err(self.err("flag (\\Recent is not a flag, RFC 3501 §9)"));
            }
            let end = self.pos;
            return Ok(FlagFetchOrPerm::Flag(Flag::Extension(Atom::unvalidated(
                self.slice(start, end),
            ))));
        }
        Ok(FlagFetchOrPerm::Flag(Flag::Keyword(self.atom()?)))
    }

    /// `flag` (RFC 3501 §9).
    pub(crate) fn flag(&mut self) -> PResult<Flag> {
        match self.flag_any(false, false)? {
            FlagFetchOrPerm::Flag(f) => Ok(f),
            _ => Err(self.err("flag")),
        }
    }

    /// `flag-fetch = flag / "\Recent"` (RFC 3501 §9).
    pub(crate) fn flag_fetch(&mut self) -> PResult<FlagFetch> {
        match self.flag_any(true, false)? {
            FlagFetchOrPerm::Flag(f) => Ok(FlagFetch::Flag(f)),
            FlagFetchOrPerm::Recent => Ok(FlagFetch::Recent),
            FlagFetchOrPerm::Asterisk => Err(self.err("flag-fetch")),
        }
    }

    /// `flag-perm = flag / "\*"` (RFC 3501 §9).
    pub(crate) fn flag_perm(&mut self) -> PResult<FlagPerm> {
        match self.flag_any(false, true)? {
            FlagFetchOrPerm::Flag(f) => Ok(FlagPerm::Flag(f)),
            FlagFetchOrPerm::Asterisk => Ok(FlagPerm::Asterisk),
            FlagFetchOrPerm::Recent => Err(self.err("flag-perm")),
        }
    }

    /// `flag-list = "(" [flag *(SP flag)] ")"` (RFC 3501 §9).
    pub(crate) fn flag_list(&mut self) -> PResult<Vec<Flag>> {
        self.paren_list(true, |c| c.flag())
    }

    fn digits(&mut self, n: usize, expected: &'static str) -> PResult<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            match self.peek() {
                Some(d @ b'0'..=b'9') => {
                    v = v * 10 + u32::from(d - b'0');
                    self.pos += 1;
                }
                _ => return Err(self.err(expected)),
            }
        }
        Ok(v)
    }

    /// `date-month` (RFC 3501 §9), 1-based.
    fn date_month(&mut self) -> PResult<u8> {
        let m = self.rest().get(..3).ok_or_else(|| self.err("date-month"))?;
        for (i, name) in MONTHS.iter().enumerate() {
            if m.eq_ignore_ascii_case(&name[..]) {
                self.pos += 3;
                return Ok(i as u8 + 1);
            }
        }
        Err(self.err("date-month"))
    }

    /// `date = date-text / DQUOTE date-text DQUOTE`;
    /// `date-text = date-day "-" date-month "-" date-year` (RFC 3501 §9).
    pub(crate) fn date(&mut self) -> PResult<Date> {
        let quoted = self.eat(b'"');
        let start = self.pos;
        let mut day = self.digits(1, "date-day")?;
        if let Some(d @ b'0'..=b'9') = self.peek() {
            day = day * 10 + u32::from(d - b'0');
            self.pos += 1;
        }
        self.byte(b'-', "\"-\"")?;
        let month = self.date_month()?;
        self.byte(b'-', "\"-\"")?;
        let year = self.digits(4, "date-year")?;
        if quoted {
            self.byte(b'"', "DQUOTE")?;
        }
        Date::new(year as u16, month, day as u8).map_err(|_| {
            let mut e = self.err("valid date");
            e.offset = start;
            e
        })
    }

    /// `date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE`
    /// (RFC 3501 §9).
    pub(crate) fn date_time(&mut self) -> PResult<DateTime> {
        self.byte(b'"', "DQUOTE")?;
        let start = self.pos;
        // date-day-fixed = (SP DIGIT) / 2DIGIT
        let day = if self.eat(b' ') {
            self.digits(1, "date-day-fixed")?
        } else {
            self.digits(2, "date-day-fixed")?
        };
        self.byte(b'-', "\"-\"")?;
        let month = self.date_month()?;
        self.byte(b'-', "\"-\"")?;
        let year = self.digits(4, "date-year")?;
        self.sp()?;
        let hour = self.digits(2, "time")?;
        self.byte(b':', "\":\"")?;
        let minute = self.digits(2, "time")?;
        self.byte(b':', "\":\"")?;
        let second = self.digits(2, "time")?;
        self.sp()?;
        let sign: i16 = match self.peek() {
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ => return Err(self.err("zone")),
        };
        self.pos += 1;
        let zh = self.digits(2, "zone")? as i16;
        let zm = self.digits(2, "zone")? as i16;
        self.byte(b'"', "DQUOTE")?;
        let bad = |c: &Self| {
            let mut e = c.err("valid date-time");
            e.offset = start;
            e
        };
        if zm >= 60 || zh >= 24 {
            return Err(bad(self));
        }
        let date = Date::new(year as u16, month, day as u8).map_err(|_| bad(self))?;
        DateTime::new(
            date,
            hour as u8,
            minute as u8,
            second as u8,
            sign * (zh * 60 + zm),
        )
        .map_err(|_| bad(self))
    }

    /// `text = 1*TEXT-CHAR` (RFC 3501 §9), up to (not including) CRLF.
    pub(crate) fn text(&mut self) -> PResult<Text> {
        let (s, n) = self.take_class(&TEXT_CHAR);
        if n == 0 {
            return Err(self.err("text"));
        }
        Ok(Text::unvalidated(self.slice(s, s + n)))
    }

    /// `base64 = *(4base64-char) [base64-terminal]` (RFC 3501 §9), decoded. Consumes the rest
    /// of the line up to CRLF.
    pub(crate) fn base64(&mut self) -> PResult<Bytes> {
        use base64::Engine as _;
        let rest = self.rest();
        let n = memchr::memchr2(b'\r', b'\n', rest).unwrap_or(rest.len());
        let data = rest.get(..n).unwrap_or_default();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|_| self.err("base64"))?;
        self.pos += n;
        Ok(Bytes::from(decoded))
    }
}

pub(crate) enum FlagFetchOrPerm {
    Flag(Flag),
    Recent,
    Asterisk,
}
