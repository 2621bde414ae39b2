//! POP3 commands: the server parses them, a client encodes them.
//!
//! Grammar (RFC 2449 §3, updated by RFC 5034 §5):
//!
//! ```text
//! command  = keyword *(SP param) CRLF   ;255 octets maximum
//! keyword  = 3*4VCHAR
//! param    = 1*VCHAR
//! ```
//!
//! Keywords are case-insensitive (RFC 1939 §3). Two commands do not follow
//! the `param` rule: `PASS` takes the rest of the line, spaces included
//! (RFC 1939 §7: "a POP3 server may treat spaces in the argument as part of
//! the password"), and in UTF-8 mode (RFC 6856 §2.2) `USER`, `PASS` and
//! `APOP` names may hold UTF-8. pobox accepts well-formed UTF-8 in those
//! arguments in any mode and rejects malformed UTF-8.
//!
//! # Line ends
//!
//! One rule for the whole crate: **a command line ends at LF; one CR right
//! before the LF is part of the terminator.** So `STAT\r\n` and `STAT\n`
//! are the same command (telnet users and some scripts send bare LF, and
//! Dovecot accepts it too), while a CR anywhere else in the line and a NUL
//! anywhere are errors. [`frame_line`] finds the end; [`parse_command_line`]
//! parses what is before it.

use crate::Secret;
use crate::Status;
use bytes::BufMut;
use std::fmt;

/// A POP3 command, borrowing its arguments from the input line.
///
/// The server session turns the borrowed parts into owned event data, so no
/// lifetime reaches the host. Extensions add commands (RFC 2449 §3), so the
/// enum is `#[non_exhaustive]`.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum Command<'a> {
    /// `USER name` (RFC 1939 §7).
    User(&'a str),
    /// `PASS string` (RFC 1939 §7); the password keeps inner spaces.
    Pass(Secret<&'a [u8]>),
    /// `APOP name digest` (RFC 1939 §7); the digest is 32 hex digits.
    Apop {
        /// The mailbox name.
        name: &'a str,
        /// The MD5 digest, decoded from lower- or upper-case hex.
        digest: Secret<[u8; 16]>,
    },
    /// `AUTH mechanism [initial-response]` (RFC 5034 §4).
    Auth {
        /// The SASL mechanism name, as sent (compare case-insensitively).
        mechanism: &'a str,
        /// The initial response, still base64 (`=` for an empty response).
        initial_response: Option<Secret<&'a [u8]>>,
    },
    /// `STLS` (RFC 2595 §4).
    Stls,
    /// `CAPA` (RFC 2449 §5).
    Capa,
    /// `UTF8` (RFC 6856 §2.1).
    Utf8,
    /// `LANG [language-range]` (RFC 6856 §3).
    Lang(Option<&'a str>),
    /// `STAT` (RFC 1939 §5).
    Stat,
    /// `LIST [msg]` (RFC 1939 §5).
    List(Option<u32>),
    /// `RETR msg` (RFC 1939 §5).
    Retr(u32),
    /// `DELE msg` (RFC 1939 §5).
    Dele(u32),
    /// `NOOP` (RFC 1939 §5).
    Noop,
    /// `RSET` (RFC 1939 §5).
    Rset,
    /// `TOP msg n` (RFC 1939 §7).
    Top {
        /// The message number.
        msg: u32,
        /// How many body lines to send after the header.
        lines: u64,
    },
    /// `UIDL [msg]` (RFC 1939 §7).
    Uidl(Option<u32>),
    /// `QUIT` (RFC 1939 §4, §6).
    Quit,
}

/// The command keywords pobox knows, for error reports and state checks.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum Keyword {
    /// `USER`
    User,
    /// `PASS`
    Pass,
    /// `APOP`
    Apop,
    /// `AUTH`
    Auth,
    /// `STLS`
    Stls,
    /// `CAPA`
    Capa,
    /// `UTF8`
    Utf8,
    /// `LANG`
    Lang,
    /// `STAT`
    Stat,
    /// `LIST`
    List,
    /// `RETR`
    Retr,
    /// `DELE`
    Dele,
    /// `NOOP`
    Noop,
    /// `RSET`
    Rset,
    /// `TOP`
    Top,
    /// `UIDL`
    Uidl,
    /// `QUIT`
    Quit,
}

const KEYWORDS: [(&str, Keyword); 17] = [
    ("USER", Keyword::User),
    ("PASS", Keyword::Pass),
    ("APOP", Keyword::Apop),
    ("AUTH", Keyword::Auth),
    ("STLS", Keyword::Stls),
    ("CAPA", Keyword::Capa),
    ("UTF8", Keyword::Utf8),
    ("LANG", Keyword::Lang),
    ("STAT", Keyword::Stat),
    ("LIST", Keyword::List),
    ("RETR", Keyword::Retr),
    ("DELE", Keyword::Dele),
    ("NOOP", Keyword::Noop),
    ("RSET", Keyword::Rset),
    ("TOP", Keyword::Top),
    ("UIDL", Keyword::Uidl),
    ("QUIT", Keyword::Quit),
];

impl Keyword {
    /// The keyword as sent on the wire (upper case).
    pub fn as_str(self) -> &'static str {
        KEYWORDS
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("", |(name, _)| name)
    }

    /// Looks a keyword up case-insensitively (RFC 1939 §3).
    pub fn from_bytes(word: &[u8]) -> Option<Keyword> {
        KEYWORDS
            .iter()
            .find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(word))
            .map(|(_, k)| *k)
    }
}

impl fmt::Display for Keyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Command<'_> {
    /// The command's keyword.
    pub fn keyword(&self) -> Keyword {
        match self {
            Command::User(_) => Keyword::User,
            Command::Pass(_) => Keyword::Pass,
            Command::Apop { .. } => Keyword::Apop,
            Command::Auth { .. } => Keyword::Auth,
            Command::Stls => Keyword::Stls,
            Command::Capa => Keyword::Capa,
            Command::Utf8 => Keyword::Utf8,
            Command::Lang(_) => Keyword::Lang,
            Command::Stat => Keyword::Stat,
            Command::List(_) => Keyword::List,
            Command::Retr(_) => Keyword::Retr,
            Command::Dele(_) => Keyword::Dele,
            Command::Noop => Keyword::Noop,
            Command::Rset => Keyword::Rset,
            Command::Top { .. } => Keyword::Top,
            Command::Uidl(_) => Keyword::Uidl,
            Command::Quit => Keyword::Quit,
        }
    }
}

/// Why a command line could not be parsed.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The line is empty.
    #[error("empty command line")]
    Empty,
    /// The keyword is not a command pobox knows.
    #[error("unknown command")]
    UnknownCommand,
    /// The line holds a NUL octet.
    #[error("NUL octet in command")]
    Nul,
    /// A CR that is not right before the line's LF.
    #[error("bare CR in command")]
    BareCr,
    /// A required argument is missing.
    #[error("{0}: missing argument")]
    MissingArgument(Keyword),
    /// More arguments than the command takes.
    #[error("{0}: too many arguments")]
    TooManyArguments(Keyword),
    /// Arguments not separated by exactly one space, or a non-printable octet.
    #[error("{0}: malformed arguments")]
    Syntax(Keyword),
    /// A message number or line count that is zero where that is not
    /// allowed, signed, not decimal, or too large.
    #[error("{0}: invalid number")]
    InvalidNumber(Keyword),
    /// A name that is not well-formed UTF-8.
    #[error("{0}: invalid UTF-8")]
    InvalidUtf8(Keyword),
}

/// Finds the end of the command line at the start of `buf`.
///
/// Returns `Complete(n)`, where `n` counts the line and its terminator (LF,
/// or CR LF), or `Partial` when no LF has arrived yet. See the module docs
/// for the line-end rule.
pub fn frame_line(buf: &[u8]) -> Status<usize> {
    match memchr::memchr(b'\n', buf) {
        Some(lf) => Status::Complete(lf + 1),
        None => Status::Partial,
    }
}

/// Strips the line terminator (LF or CRLF) from a framed line and checks it
/// for NUL and bare CR.
pub(crate) fn line_content(line: &[u8]) -> Result<&[u8], CommandError> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if memchr::memchr(0, line).is_some() {
        return Err(CommandError::Nul);
    }
    if memchr::memchr(b'\r', line).is_some() {
        return Err(CommandError::BareCr);
    }
    Ok(line)
}

/// Parses the command at the start of `buf`: [`frame_line`] then
/// [`parse_command_line`]. On `Complete((n, command))`, `n` bytes were
/// used. On error the caller should drop the line ([`frame_line`] gives
/// its length) and answer `-ERR`.
pub fn parse_command(buf: &[u8]) -> Result<Status<(usize, Command<'_>)>, CommandError> {
    match frame_line(buf) {
        Status::Partial => Ok(Status::Partial),
        Status::Complete(n) => parse_command_line(&buf[..n]).map(|c| Status::Complete((n, c))),
    }
}

/// Parses one whole command line (with or without its terminator).
pub fn parse_command_line(line: &[u8]) -> Result<Command<'_>, CommandError> {
    let line = line_content(line)?;
    match grammar::command(line) {
        Ok((_, command)) => Ok(command),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e.0),
        // Complete parsers never ask for more.
        Err(nom::Err::Incomplete(_)) => Err(CommandError::Empty),
    }
}

/// The command grammar of RFC 2449 §3 (updated by RFC 5034 §5) as nom 8 parsers over one
/// line without its terminator, one function per ABNF rule.
mod grammar {
    use nom::bytes::complete::{take_till, take_while_m_n, take_while1};
    use nom::character::complete::digit1;
    use nom::combinator::all_consuming;
    use nom::error::{ErrorKind as NomKind, ParseError};
    use nom::{IResult, Parser};

    use super::{Command, CommandError, Keyword};
    use crate::Secret;

    /// The nom error: the [`CommandError`] the line gets.
    #[derive(Debug)]
    pub(super) struct Error(pub(super) CommandError);

    impl ParseError<&[u8]> for Error {
        fn from_error_kind(_input: &[u8], _kind: NomKind) -> Self {
            Error(CommandError::Empty)
        }

        fn append(_input: &[u8], _kind: NomKind, other: Self) -> Self {
            other
        }
    }

    type PResult<'a, T> = IResult<&'a [u8], T, Error>;

    /// A value, or the error of the line.
    type Checked<T> = Result<T, nom::Err<Error>>;

    /// Fails with `e`.
    fn fail<T>(e: CommandError) -> Result<T, nom::Err<Error>> {
        Err(nom::Err::Error(Error(e)))
    }

    /// Runs `rule` on the whole of `arg`; any failure, or bytes left over, is `e`.
    fn whole<'a, T>(
        arg: &'a [u8],
        rule: impl Parser<&'a [u8], Output = T, Error = Error>,
        e: CommandError,
    ) -> Result<T, nom::Err<Error>> {
        match all_consuming(rule).parse(arg) {
            Ok((_, v)) => Ok(v),
            Err(_) => fail(e),
        }
    }

    /// `command = keyword *(SP param) CRLF` (RFC 2449 §3), the line without its CRLF. PASS
    /// takes the rest of the line as its one argument (RFC 1939 §7).
    pub(super) fn command(line: &[u8]) -> PResult<'_, Command<'_>> {
        if line.is_empty() {
            return fail(CommandError::Empty);
        }
        let (rest, keyword) = keyword(line)?;
        let rest = rest.strip_prefix(b" ");
        if keyword == Keyword::Pass {
            // RFC 1939 §7: the password is the rest of the line, spaces and all.
            return match rest {
                Some(password) if !password.is_empty() => {
                    Ok((&[], Command::Pass(Secret::new(password))))
                }
                _ => fail(CommandError::MissingArgument(keyword)),
            };
        }
        let args = match rest {
            Some(rest) => params(keyword)(rest)?.1,
            None => Params::new(keyword),
        };
        let command = match keyword {
            Keyword::User => Command::User(name(keyword, args.exactly1()?)?),
            Keyword::Apop => {
                let [n, d] = args.exactly2()?;
                Command::Apop {
                    name: name(keyword, n)?,
                    digest: Secret::new(whole(d, digest, CommandError::Syntax(keyword))?),
                }
            }
            Keyword::Auth => {
                let (mechanism, initial_response) = args.one_or_two()?;
                Command::Auth {
                    mechanism: ascii(mechanism),
                    initial_response: initial_response.map(Secret::new),
                }
            }
            Keyword::Lang => Command::Lang(args.at_most1()?.map(ascii)),
            Keyword::List => Command::List(args.at_most1()?.map(|a| msg(keyword, a)).transpose()?),
            Keyword::Uidl => Command::Uidl(args.at_most1()?.map(|a| msg(keyword, a)).transpose()?),
            Keyword::Retr => Command::Retr(msg(keyword, args.exactly1()?)?),
            Keyword::Dele => Command::Dele(msg(keyword, args.exactly1()?)?),
            Keyword::Top => {
                let [m, n] = args.exactly2()?;
                Command::Top {
                    msg: msg(keyword, m)?,
                    lines: number(keyword, n)?,
                }
            }
            Keyword::Stls => args.none(Command::Stls)?,
            Keyword::Capa => args.none(Command::Capa)?,
            Keyword::Utf8 => args.none(Command::Utf8)?,
            Keyword::Stat => args.none(Command::Stat)?,
            Keyword::Noop => args.none(Command::Noop)?,
            Keyword::Rset => args.none(Command::Rset)?,
            Keyword::Quit => args.none(Command::Quit)?,
            Keyword::Pass => return fail(CommandError::Syntax(keyword)),
        };
        Ok((&[], command))
    }

    /// `keyword = 3*4VCHAR` (RFC 2449 §3): the word before the first SP, looked up
    /// case-insensitively (RFC 1939 §3); a word pobox does not know is `UnknownCommand`.
    fn keyword(i: &[u8]) -> PResult<'_, Keyword> {
        let (rest, word) = take_till(|b| b == b' ')(i)?;
        match Keyword::from_bytes(word) {
            Some(k) => Ok((rest, k)),
            None => fail(CommandError::UnknownCommand),
        }
    }

    /// The octets of `param`: `VCHAR = %x21-7E` (RFC 5234 B.1), widened to 8-bit octets for
    /// UTF-8 names (RFC 6856 §2.2).
    const PARAM_CHAR: [bool; 256] = {
        let mut t = [false; 256];
        let mut b = 0x21;
        while b < 256 {
            t[b] = b != 0x7f;
            b += 1;
        }
        t
    };

    /// `param = 1*VCHAR` (RFC 2449 §3); anything else before the next SP is `Syntax`.
    fn param(keyword: Keyword) -> impl Fn(&[u8]) -> PResult<'_, &[u8]> {
        move |i| {
            let (rest, p) =
                take_while1(|b: u8| PARAM_CHAR[b as usize])(i).map_err(|_: nom::Err<Error>| {
                    nom::Err::Error(Error(CommandError::Syntax(keyword)))
                })?;
            match rest.first() {
                None | Some(b' ') => Ok((rest, p)),
                Some(_) => fail(CommandError::Syntax(keyword)),
            }
        }
    }

    /// `*(SP param)` after the keyword's SP: one or more params separated by single spaces,
    /// at most two (no POP3 command takes more).
    fn params(keyword: Keyword) -> impl Fn(&[u8]) -> PResult<'_, Params<'_>> {
        move |mut i| {
            let mut params = Params::new(keyword);
            loop {
                let (rest, p) = param(keyword)(i)?;
                if params.count == params.items.len() {
                    return fail(CommandError::TooManyArguments(keyword));
                }
                params.items[params.count] = p;
                params.count += 1;
                match rest.strip_prefix(b" ") {
                    Some(next) => i = next,
                    None => return Ok((rest, params)),
                }
            }
        }
    }

    /// The params of one command line, at most two.
    struct Params<'a> {
        keyword: Keyword,
        items: [&'a [u8]; 2],
        count: usize,
    }

    impl<'a> Params<'a> {
        fn new(keyword: Keyword) -> Self {
            Params {
                keyword,
                items: [&[], &[]],
                count: 0,
            }
        }

        fn none(self, command: Command<'a>) -> Result<Command<'a>, nom::Err<Error>> {
            match self.count {
                0 => Ok(command),
                _ => fail(CommandError::TooManyArguments(self.keyword)),
            }
        }

        fn at_most1(self) -> Result<Option<&'a [u8]>, nom::Err<Error>> {
            match self.count {
                0 => Ok(None),
                1 => Ok(Some(self.items[0])),
                _ => fail(CommandError::TooManyArguments(self.keyword)),
            }
        }

        fn exactly1(self) -> Result<&'a [u8], nom::Err<Error>> {
            match self.count {
                0 => fail(CommandError::MissingArgument(self.keyword)),
                1 => Ok(self.items[0]),
                _ => fail(CommandError::TooManyArguments(self.keyword)),
            }
        }

        fn exactly2(self) -> Result<[&'a [u8]; 2], nom::Err<Error>> {
            match self.count {
                2 => Ok(self.items),
                _ => fail(CommandError::MissingArgument(self.keyword)),
            }
        }

        fn one_or_two(self) -> Checked<(&'a [u8], Option<&'a [u8]>)> {
            match self.count {
                0 => fail(CommandError::MissingArgument(self.keyword)),
                1 => Ok((self.items[0], None)),
                _ => Ok((self.items[0], Some(self.items[1]))),
            }
        }
    }

    /// `msg = 1*DIGIT`, not zero, within `u32` (RFC 1939 §3 "all message-numbers ... are
    /// expressed in base-10"; RFC 1939 §5 "may NOT refer to a message marked as deleted"
    /// starts them at 1).
    fn msg(keyword: Keyword, arg: &[u8]) -> Result<u32, nom::Err<Error>> {
        let n = number(keyword, arg)?;
        match u32::try_from(n) {
            Ok(n) if n > 0 => Ok(n),
            _ => fail(CommandError::InvalidNumber(keyword)),
        }
    }

    /// `1*DIGIT`: a non-negative decimal number without sign; overflow is an error.
    fn number(keyword: Keyword, arg: &[u8]) -> Result<u64, nom::Err<Error>> {
        let digits = whole(arg, digit1, CommandError::InvalidNumber(keyword))?;
        digits
            .iter()
            .try_fold(0u64, |acc, &b| {
                acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
            })
            .map_or(fail(CommandError::InvalidNumber(keyword)), Ok)
    }

    /// A user name: printable ASCII or, per RFC 6856 §2.2, well-formed UTF-8.
    fn name(keyword: Keyword, arg: &[u8]) -> Result<&str, nom::Err<Error>> {
        std::str::from_utf8(arg).map_or(fail(CommandError::InvalidUtf8(keyword)), Ok)
    }

    /// An argument that [`param`] already limited to VCHAR or 8-bit octets. 8-bit octets
    /// are not allowed in mechanism names or language tags; they map to an empty string,
    /// which never matches anything.
    fn ascii(arg: &[u8]) -> &str {
        match std::str::from_utf8(arg) {
            Ok(s) if s.is_ascii() => s,
            _ => "",
        }
    }

    /// `digest = 32HEXDIG`: the APOP digest, 16 octets (RFC 1939 §7 says lower-case; upper
    /// case is accepted as well).
    fn digest(i: &[u8]) -> PResult<'_, [u8; 16]> {
        let (rest, hex) = take_while_m_n(32, 32, |b: u8| b.is_ascii_hexdigit())(i)?;
        let mut out = [0u8; 16];
        let nibble = |c: u8| char::from(c).to_digit(16).unwrap_or(0) as u8;
        for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
            if let [hi, lo] = *pair {
                *byte = nibble(hi) << 4 | nibble(lo);
            }
        }
        Ok((rest, out))
    }
}

/// Why a command could not be encoded.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// An argument holds CR, LF, NUL, a control octet, or (except in the
    /// password) a space, or is empty.
    #[error("{0}: argument cannot be sent on a command line")]
    InvalidArgument(Keyword),
    /// A message number of zero.
    #[error("{0}: message numbers start at 1")]
    ZeroMessageNumber(Keyword),
}

impl Command<'_> {
    /// Writes the command line, CRLF included, for a client to send.
    ///
    /// Arguments are checked so that no value can end the line early or
    /// smuggle a second command. The 255-octet limit of RFC 2449 §4 is the
    /// client's to respect (RFC 5034 §4 says to drop the initial response
    /// rather than exceed it); this function does not truncate.
    pub fn encode(&self, dst: &mut impl BufMut) -> Result<(), EncodeError> {
        let keyword = self.keyword();
        let param = |arg: &[u8]| {
            if arg.is_empty() || arg.iter().any(|&b| b < 0x21 || b == 0x7f) {
                Err(EncodeError::InvalidArgument(keyword))
            } else {
                Ok(())
            }
        };
        let nonzero = |n: u32| {
            if n == 0 {
                Err(EncodeError::ZeroMessageNumber(keyword))
            } else {
                Ok(n)
            }
        };
        // Validate everything before writing anything.
        match self {
            Command::User(name) => param(name.as_bytes())?,
            Command::Pass(password) => {
                let p = password.declassify();
                if p.is_empty() || p.iter().any(|&b| b < 0x20 || b == 0x7f) {
                    return Err(EncodeError::InvalidArgument(keyword));
                }
            }
            Command::Apop { name, .. } => param(name.as_bytes())?,
            Command::Auth {
                mechanism,
                initial_response,
            } => {
                param(mechanism.as_bytes())?;
                if let Some(ir) = initial_response {
                    param(ir.declassify())?;
                }
            }
            Command::Lang(Some(tag)) => param(tag.as_bytes())?,
            Command::List(Some(n))
            | Command::Uidl(Some(n))
            | Command::Retr(n)
            | Command::Dele(n)
            | Command::Top { msg: n, .. } => {
                nonzero(*n)?;
            }
            _ => {}
        }
        dst.put_slice(keyword.as_str().as_bytes());
        let mut arg = |bytes: &[u8]| {
            dst.put_u8(b' ');
            dst.put_slice(bytes);
        };
        match self {
            Command::User(name) => arg(name.as_bytes()),
            Command::Pass(password) => arg(password.declassify()),
            Command::Apop { name, digest } => {
                arg(name.as_bytes());
                arg(&hex_lower(digest.declassify()));
            }
            Command::Auth {
                mechanism,
                initial_response,
            } => {
                arg(mechanism.as_bytes());
                if let Some(ir) = initial_response {
                    arg(ir.declassify());
                }
            }
            Command::Lang(Some(tag)) => arg(tag.as_bytes()),
            Command::List(Some(n))
            | Command::Uidl(Some(n))
            | Command::Retr(n)
            | Command::Dele(n) => arg(n.to_string().as_bytes()),
            Command::Top { msg, lines } => {
                arg(msg.to_string().as_bytes());
                arg(lines.to_string().as_bytes());
            }
            _ => {}
        }
        dst.put_slice(b"\r\n");
        Ok(())
    }
}

/// Lower-case hex, as RFC 1939 §7 requires for the APOP digest.
pub(crate) fn hex_lower(bytes: &[u8]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|&b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]])
        .collect()
}

/// A client's line during an AUTH exchange (RFC 5034 §4).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum SaslResponse {
    /// The decoded response.
    Data(Secret<Vec<u8>>),
    /// `*`: the client cancels the exchange.
    Cancel,
}

/// Why a SASL response line was rejected.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SaslLineError {
    /// NUL or a bare CR in the line.
    #[error("control octet in SASL response")]
    Control,
    /// Not valid base64 under the strict rules of RFC 5034 §4.
    #[error("invalid base64 in SASL response")]
    Base64,
}

/// Parses a client's line during an AUTH exchange: base64, or `*` to
/// cancel (RFC 5034 §4, §5 `base64` and `cancel-response`).
///
/// The base64 rules are strict as RFC 5034 §4 requires: any character
/// outside the alphabet, and padding anywhere but the end, are errors.
/// An empty line is an empty response.
pub fn parse_sasl_response(line: &[u8]) -> Result<SaslResponse, SaslLineError> {
    let line = line_content(line).map_err(|_| SaslLineError::Control)?;
    if line == b"*" {
        return Ok(SaslResponse::Cancel);
    }
    decode_base64(line)
        .map(|data| SaslResponse::Data(Secret::new(data)))
        .ok_or(SaslLineError::Base64)
}

/// Decodes base64 under RFC 4648 §4 with the strictness RFC 5034 §4 asks
/// for: canonical padding required, no whitespace, no trailing bits.
pub(crate) fn decode_base64(text: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// Encodes base64 with padding (RFC 4648 §4).
pub(crate) fn encode_base64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Command<'_>, CommandError> {
        parse_command_line(line.as_bytes())
    }

    #[test]
    fn rfc1939_3_keywords_are_case_insensitive() {
        assert_eq!(parse("stat\r\n"), Ok(Command::Stat));
        assert_eq!(parse("StAt\r\n"), Ok(Command::Stat));
        assert_eq!(parse("list 2\r\n"), Ok(Command::List(Some(2))));
        assert_eq!(
            parse("top 1 10\r\n"),
            Ok(Command::Top { msg: 1, lines: 10 })
        );
    }

    #[test]
    fn rfc1939_7_pass_keeps_spaces() {
        let Ok(Command::Pass(p)) = parse("PASS  my secret pass \r\n") else {
            panic!("PASS did not parse");
        };
        assert_eq!(*p.declassify(), b" my secret pass ");
        assert_eq!(
            parse("PASS\r\n"),
            Err(CommandError::MissingArgument(Keyword::Pass))
        );
        assert_eq!(
            parse("PASS \r\n"),
            Err(CommandError::MissingArgument(Keyword::Pass))
        );
    }

    #[test]
    fn rfc1939_7_apop_digest() {
        let Ok(Command::Apop { name, digest }) =
            parse("APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n")
        else {
            panic!("APOP did not parse");
        };
        assert_eq!(name, "mrose");
        assert_eq!(
            hex_lower(digest.declassify()),
            b"c4c9334bac560ecc979e58001b3e22fb"
        );
        assert_eq!(
            parse("APOP mrose c4c9334bac560ecc979e58001b3e22f\r\n"),
            Err(CommandError::Syntax(Keyword::Apop))
        );
        assert_eq!(
            parse("APOP mrose\r\n"),
            Err(CommandError::MissingArgument(Keyword::Apop))
        );
    }

    #[test]
    fn message_numbers_reject_zero_signs_and_overflow() {
        let bad = CommandError::InvalidNumber(Keyword::Retr);
        assert_eq!(parse("RETR 0\r\n"), Err(bad));
        assert_eq!(parse("RETR +1\r\n"), Err(bad));
        assert_eq!(parse("RETR -1\r\n"), Err(bad));
        assert_eq!(parse("RETR 1x\r\n"), Err(bad));
        assert_eq!(parse("RETR 4294967296\r\n"), Err(bad));
        assert_eq!(parse("RETR 99999999999999999999\r\n"), Err(bad));
        assert_eq!(parse("RETR 4294967295\r\n"), Ok(Command::Retr(u32::MAX)));
        assert_eq!(parse("RETR 007\r\n"), Ok(Command::Retr(7)));
        let top = CommandError::InvalidNumber(Keyword::Top);
        assert_eq!(parse("TOP 1 -1\r\n"), Err(top));
        assert_eq!(parse("TOP 1 0\r\n"), Ok(Command::Top { msg: 1, lines: 0 }));
        assert_eq!(parse("TOP 1 18446744073709551616\r\n"), Err(top));
    }

    #[test]
    fn argument_separators_are_single_spaces() {
        assert_eq!(
            parse("RETR  1\r\n"),
            Err(CommandError::Syntax(Keyword::Retr))
        );
        assert_eq!(
            parse("RETR 1 \r\n"),
            Err(CommandError::Syntax(Keyword::Retr))
        );
        assert_eq!(parse("STAT \r\n"), Err(CommandError::Syntax(Keyword::Stat)));
        assert_eq!(parse("RETR\t1\r\n"), Err(CommandError::UnknownCommand));
        assert_eq!(
            parse("STAT 1\r\n"),
            Err(CommandError::TooManyArguments(Keyword::Stat))
        );
        assert_eq!(
            parse("TOP 1 2 3\r\n"),
            Err(CommandError::TooManyArguments(Keyword::Top))
        );
    }

    #[test]
    fn line_end_rule_lf_or_crlf_and_no_stray_cr_or_nul() {
        assert_eq!(parse("NOOP\n"), Ok(Command::Noop));
        assert_eq!(parse("NOOP\r\n"), Ok(Command::Noop));
        assert_eq!(parse("NO\rOP\r\n"), Err(CommandError::BareCr));
        assert_eq!(parse("NOOP\r\r\n"), Err(CommandError::BareCr));
        assert_eq!(parse("NO\0OP\r\n"), Err(CommandError::Nul));
        assert_eq!(parse("USER a\0b\r\n"), Err(CommandError::Nul));
        assert_eq!(parse("\r\n"), Err(CommandError::Empty));
        assert_eq!(frame_line(b"NOOP\r"), Status::Partial);
        assert_eq!(frame_line(b"NOOP\r\nSTAT"), Status::Complete(6));
    }

    #[test]
    fn unknown_and_malformed_keywords() {
        assert_eq!(parse("XTND\r\n"), Err(CommandError::UnknownCommand));
        assert_eq!(parse("STATS\r\n"), Err(CommandError::UnknownCommand));
        assert_eq!(parse(" STAT\r\n"), Err(CommandError::UnknownCommand));
    }

    #[test]
    fn rfc6856_utf8_names() {
        assert_eq!(parse("USER jöran\r\n"), Ok(Command::User("jöran")));
        assert_eq!(
            parse_command_line(b"USER j\xf6ran\r\n"),
            Err(CommandError::InvalidUtf8(Keyword::User))
        );
        assert_eq!(parse("UTF8\r\n"), Ok(Command::Utf8));
        assert_eq!(parse("LANG\r\n"), Ok(Command::Lang(None)));
        assert_eq!(parse("LANG es\r\n"), Ok(Command::Lang(Some("es"))));
    }

    #[test]
    fn rfc5034_4_auth_arguments() {
        let Ok(Command::Auth {
            mechanism,
            initial_response,
        }) = parse("AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n")
        else {
            panic!("AUTH did not parse");
        };
        assert_eq!(mechanism, "PLAIN");
        assert_eq!(
            initial_response.map(|r| *r.declassify()),
            Some(&b"dGVzdAB0ZXN0AHRlc3Q="[..])
        );
        assert!(matches!(
            parse("AUTH PLAIN\r\n"),
            Ok(Command::Auth {
                initial_response: None,
                ..
            })
        ));
        assert_eq!(
            parse("AUTH\r\n"),
            Err(CommandError::MissingArgument(Keyword::Auth))
        );
    }

    #[test]
    fn rfc5034_4_strict_base64_responses() {
        assert_eq!(
            parse_sasl_response(b"dGVzdAB0ZXN0AHRlc3Q=\r\n"),
            Ok(SaslResponse::Data(Secret::new(
                b"test\0test\0test".to_vec()
            )))
        );
        assert_eq!(parse_sasl_response(b"*\r\n"), Ok(SaslResponse::Cancel));
        assert_eq!(
            parse_sasl_response(b"\r\n"),
            Ok(SaslResponse::Data(Secret::new(Vec::new())))
        );
        // "=AAA" and "AAA=BBB" are the RFC's own examples of what to reject.
        for bad in [
            &b"=AAA\r\n"[..],
            b"AAA=BBB\r\n",
            b"dGVzdA\r\n",
            b"dGV zdA==\r\n",
            b"dGVzdA=!\r\n",
        ] {
            assert_eq!(
                parse_sasl_response(bad),
                Err(SaslLineError::Base64),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn encode_writes_crlf_and_refuses_injection() {
        let mut out = Vec::new();
        Command::Top { msg: 1, lines: 10 }.encode(&mut out).unwrap();
        Command::User("mrose").encode(&mut out).unwrap();
        Command::Pass(Secret::new(&b"two words"[..]))
            .encode(&mut out)
            .unwrap();
        assert_eq!(out, b"TOP 1 10\r\nUSER mrose\r\nPASS two words\r\n");
        let mut out = Vec::new();
        assert_eq!(
            Command::User("a\r\nDELE 1").encode(&mut out),
            Err(EncodeError::InvalidArgument(Keyword::User))
        );
        assert_eq!(
            Command::Pass(Secret::new(&b"x\r\nDELE 1"[..])).encode(&mut out),
            Err(EncodeError::InvalidArgument(Keyword::Pass))
        );
        assert_eq!(
            Command::Retr(0).encode(&mut out),
            Err(EncodeError::ZeroMessageNumber(Keyword::Retr))
        );
        assert!(out.is_empty());
    }
}
