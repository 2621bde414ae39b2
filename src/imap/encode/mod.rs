//! The encoder: writes commands and responses into a `BytesMut`, keeping large literal bodies
//! handed in as `Bytes` as their own chunks (never copied), and marking where a client must wait
//! for a `+` continuation before sending a synchronizing literal (RFC 3501 §7.5).
//!
//! Strings are written as atom, quoted string or literal as their bytes require (RFC 3501
//! §4.3): an `astring` made of `ASTRING-CHAR`s goes out bare, 7-bit text without CR/LF up to
//! [`MAX_QUOTED`] bytes is quoted, anything else is a literal.
//!
//! ```
//! use pobox::imap::{Encoder, Response, Data};
//! let mut enc = Encoder::new();
//! enc.response(&Response::Data(Data::Exists(23)));
//! assert_eq!(enc.to_vec(), b"* 23 EXISTS\r\n");
//! ```

mod command;
mod response;

use bytes::{BufMut, Bytes, BytesMut};

use super::chars::{ASTRING_CHAR, LIST_CHAR, QUOTED_CHAR, TEXT_CHAR};
use super::core::{IString, Literal, LiteralMode, NString};
use super::datetime::{Date, DateTime, MONTHS};
use super::flag::{Flag, FlagFetch, FlagPerm};
use super::sequence::{SeqNumber, Sequence, SequenceSet};

/// Longest string written as a quoted string; longer ones become literals (RFC 2683 §3.2.1.5
/// recommends keeping lines near 1000 octets).
pub const MAX_QUOTED: usize = 1024;

/// Literal bodies at least this long become their own output chunk instead of being copied.
pub const CHUNK_THRESHOLD: usize = 512;

/// Largest non-synchronizing literal under LITERAL- (RFC 7888 §5).
const LITERAL_MINUS_MAX: usize = 4096;

/// How a client encoder announces the literals it has to choose (RFC 7888).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientLiterals {
    /// `{n}` and wait for `+` (RFC 3501; the default).
    #[default]
    Sync,
    /// `{n+}` always (server advertised LITERAL+).
    LiteralPlus,
    /// `{n+}` up to 4096 bytes, `{n}` beyond (server advertised LITERAL-).
    LiteralMinus,
}

/// A piece of encoder output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fragment {
    /// Bytes to send.
    Data(Bytes),
    /// A client must wait for the server's `+` continuation before sending what follows
    /// (a synchronizing literal's bytes).
    AwaitContinuation,
}

/// Encodes commands (client side) and responses (server side). Output accumulates until taken.
#[derive(Debug, Default)]
pub struct Encoder {
    buf: BytesMut,
    out: Vec<Fragment>,
    client: ClientLiterals,
    /// True while encoding a command (literals may need to wait).
    in_command: bool,
}

impl Encoder {
    /// An encoder with synchronizing literals.
    pub fn new() -> Self {
        Self::default()
    }

    /// An encoder for a client that may use non-synchronizing literals.
    pub fn with_client_literals(client: ClientLiterals) -> Self {
        Encoder {
            client,
            ..Self::default()
        }
    }

    /// An encoder that appends to `buf` (the output so far, kept in front).
    pub(crate) fn with_buf(buf: BytesMut) -> Self {
        Encoder {
            buf,
            ..Self::default()
        }
    }

    /// The fragments passed through so far and the unflushed rest of the buffer.
    pub(crate) fn into_parts(self) -> (Vec<Fragment>, BytesMut) {
        (self.out, self.buf)
    }

    fn flush(&mut self) {
        if !self.buf.is_empty() {
            self.out.push(Fragment::Data(self.buf.split().freeze()));
        }
    }

    /// Takes the output so far, with continuation points (client side).
    pub fn take_fragments(&mut self) -> Vec<Fragment> {
        self.flush();
        std::mem::take(&mut self.out)
    }

    /// Takes the output so far as chunks for a vectored write (server side, where no
    /// continuation is awaited).
    pub fn take_chunks(&mut self) -> Vec<Bytes> {
        let mut v = Vec::with_capacity(self.out.len() + 1);
        self.take_chunks_into(&mut v);
        v
    }

    /// Appends the output so far to `chunks` (reusing the caller's vector).
    pub fn take_chunks_into(&mut self, chunks: &mut Vec<Bytes>) {
        for f in self.out.drain(..) {
            if let Fragment::Data(b) = f {
                chunks.push(b);
            }
        }
        if !self.buf.is_empty() {
            chunks.push(self.buf.split().freeze());
        }
    }

    /// Takes the output so far as one contiguous vector (copies; for tests and small output).
    pub fn to_vec(&mut self) -> Vec<u8> {
        let mut v = Vec::new();
        for c in self.take_chunks() {
            v.extend_from_slice(&c);
        }
        v
    }

    /// Bytes waiting in the scratch buffer plus chunk count (for tests).
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty() && self.out.is_empty()
    }

    #[inline]
    pub(crate) fn raw(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    #[inline]
    pub(crate) fn byte(&mut self, b: u8) {
        self.buf.put_u8(b);
    }

    #[inline]
    pub(crate) fn sp(&mut self) {
        self.buf.put_u8(b' ');
    }

    #[inline]
    pub(crate) fn crlf(&mut self) {
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `number`.
    pub(crate) fn number(&mut self, n: u32) {
        let mut tmp = [0u8; 10];
        let mut i = tmp.len();
        let mut v = n;
        loop {
            i -= 1;
            tmp[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.buf.extend_from_slice(&tmp[i..]);
    }

    /// A literal's announcement and bytes, in `mode`.
    pub(crate) fn literal_bytes(&mut self, data: &Bytes, mode: LiteralMode, binary: bool) {
        if binary {
            self.byte(b'~');
        }
        self.byte(b'{');
        self.number(data.len() as u32);
        if mode == LiteralMode::NonSync {
            self.byte(b'+');
        }
        self.raw(b"}\r\n");
        let wait = self.in_command && mode == LiteralMode::Sync;
        if wait || data.len() >= CHUNK_THRESHOLD {
            self.flush();
            if wait {
                self.out.push(Fragment::AwaitContinuation);
            }
            self.out.push(Fragment::Data(data.clone()));
        } else {
            self.raw(data);
        }
    }

    /// A [`Literal`] as given (APPEND).
    pub(crate) fn literal(&mut self, l: &Literal) {
        self.literal_bytes(l.data(), l.mode(), l.is_binary());
    }

    /// A literal whose announcement the encoder chooses.
    fn chosen_literal(&mut self, data: &Bytes) {
        let mode = if !self.in_command {
            LiteralMode::Sync
        } else {
            match self.client {
                ClientLiterals::Sync => LiteralMode::Sync,
                ClientLiterals::LiteralPlus => LiteralMode::NonSync,
                ClientLiterals::LiteralMinus if data.len() <= LITERAL_MINUS_MAX => {
                    LiteralMode::NonSync
                }
                ClientLiterals::LiteralMinus => LiteralMode::Sync,
            }
        };
        self.literal_bytes(data, mode, false);
    }

    /// `quoted`, escaping `"` and `\`.
    fn quoted(&mut self, s: &[u8]) {
        self.byte(b'"');
        let mut rest = s;
        while let Some(i) = memchr::memchr2(b'"', b'\\', rest) {
            self.raw(&rest[..i]);
            self.byte(b'\\');
            self.byte(rest[i]);
            rest = &rest[i + 1..];
        }
        self.raw(rest);
        self.byte(b'"');
    }

    /// `string = quoted / literal`.
    pub(crate) fn string(&mut self, s: &IString) {
        let b = s.as_bytes();
        if b.len() <= MAX_QUOTED && super::chars::all(&TEXT_CHAR, b) {
            self.quoted(b);
        } else {
            let data = s.clone().into_bytes();
            self.chosen_literal(&data);
        }
    }

    /// `astring = 1*ASTRING-CHAR / string`.
    pub(crate) fn astring(&mut self, s: &IString) {
        let b = s.as_bytes();
        if !b.is_empty() && b.len() <= MAX_QUOTED && super::chars::all(&ASTRING_CHAR, b) {
            self.raw(b);
        } else {
            self.string(s);
        }
    }

    /// `list-mailbox = 1*list-char / string`.
    pub(crate) fn list_mailbox(&mut self, s: &IString) {
        let b = s.as_bytes();
        if !b.is_empty() && b.len() <= MAX_QUOTED && super::chars::all(&LIST_CHAR, b) {
            self.raw(b);
        } else {
            self.string(s);
        }
    }

    /// `nstring = string / nil`.
    pub(crate) fn nstring(&mut self, s: &NString) {
        match s {
            Some(s) => self.string(s),
            None => self.raw(b"NIL"),
        }
    }

    /// `sequence-set`.
    pub(crate) fn sequence_set(&mut self, s: &SequenceSet) {
        for (i, item) in s.items().iter().enumerate() {
            if i > 0 {
                self.byte(b',');
            }
            match item {
                Sequence::Single(n) => self.seq_number(*n),
                Sequence::Range(a, b) => {
                    self.seq_number(*a);
                    self.byte(b':');
                    self.seq_number(*b);
                }
            }
        }
    }

    fn seq_number(&mut self, n: SeqNumber) {
        match n {
            SeqNumber::Value(v) => self.number(v.get()),
            SeqNumber::Asterisk => self.byte(b'*'),
        }
    }

    /// `flag`.
    pub(crate) fn flag(&mut self, f: &Flag) {
        match f {
            Flag::Answered => self.raw(b"\\Answered"),
            Flag::Flagged => self.raw(b"\\Flagged"),
            Flag::Deleted => self.raw(b"\\Deleted"),
            Flag::Seen => self.raw(b"\\Seen"),
            Flag::Draft => self.raw(b"\\Draft"),
            Flag::Keyword(a) => self.raw(a.as_bytes()),
            Flag::Extension(a) => {
                self.byte(b'\\');
                self.raw(a.as_bytes());
            }
        }
    }

    /// `flag-fetch`.
    pub(crate) fn flag_fetch(&mut self, f: &FlagFetch) {
        match f {
            FlagFetch::Flag(f) => self.flag(f),
            FlagFetch::Recent => self.raw(b"\\Recent"),
        }
    }

    /// `flag-perm`.
    pub(crate) fn flag_perm(&mut self, f: &FlagPerm) {
        match f {
            FlagPerm::Flag(f) => self.flag(f),
            FlagPerm::Asterisk => self.raw(b"\\*"),
        }
    }

    /// `"(" item *(SP item) ")"`.
    pub(crate) fn list<T>(&mut self, items: &[T], mut each: impl FnMut(&mut Self, &T)) {
        self.byte(b'(');
        for (i, it) in items.iter().enumerate() {
            if i > 0 {
                self.sp();
            }
            each(self, it);
        }
        self.byte(b')');
    }

    /// `flag-list`.
    pub(crate) fn flag_list(&mut self, flags: &[Flag]) {
        self.list(flags, |e, f| e.flag(f));
    }

    /// `date-text` (day without padding).
    pub(crate) fn date(&mut self, d: &Date) {
        self.number(u32::from(d.day()));
        self.byte(b'-');
        self.raw(&MONTHS[usize::from(d.month().clamp(1, 12)) - 1][..]);
        self.byte(b'-');
        self.four(u32::from(d.year()));
    }

    fn two(&mut self, v: u32) {
        self.byte(b'0' + (v / 10 % 10) as u8);
        self.byte(b'0' + (v % 10) as u8);
    }

    fn four(&mut self, v: u32) {
        self.two(v / 100);
        self.two(v % 100);
    }

    /// `date-time`.
    pub(crate) fn date_time(&mut self, dt: &DateTime) {
        let d = dt.date();
        self.byte(b'"');
        if d.day() < 10 {
            self.sp();
            self.byte(b'0' + d.day());
        } else {
            self.two(u32::from(d.day()));
        }
        self.byte(b'-');
        self.raw(&MONTHS[usize::from(d.month().clamp(1, 12)) - 1][..]);
        self.byte(b'-');
        self.four(u32::from(d.year()));
        self.sp();
        let (h, m, s) = dt.time();
        self.two(u32::from(h));
        self.byte(b':');
        self.two(u32::from(m));
        self.byte(b':');
        self.two(u32::from(s));
        self.sp();
        let z = dt.zone_minutes();
        self.byte(if z < 0 { b'-' } else { b'+' });
        let z = u32::from(z.unsigned_abs());
        self.two(z / 60);
        self.two(z % 60);
        self.byte(b'"');
    }

    /// A hierarchy delimiter: `DQUOTE QUOTED-CHAR DQUOTE / nil`.
    pub(crate) fn delimiter(&mut self, d: Option<super::response::Delimiter>) {
        match d {
            None => self.raw(b"NIL"),
            Some(c) => {
                let c = c.get();
                self.byte(b'"');
                if !QUOTED_CHAR[c as usize] {
                    self.byte(b'\\');
                }
                self.byte(c);
                self.byte(b'"');
            }
        }
    }
}
