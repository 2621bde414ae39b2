//! POP3 responses: the server encodes them, a client parses them.
//!
//! Grammar (RFC 2449 §3, RFC 5034 §5):
//!
//! ```text
//! response     = greeting / single-line / capa-resp / multi-line / continue-req
//! single-line  = status [SP text] CRLF       ;512 octets maximum
//! status       = "+OK" / "-ERR"
//! text         = *schar / resp-code *CHAR
//! resp-code    = "[" resp-level *("/" resp-level) "]"
//! resp-level   = 1*rchar
//! capa-resp    = single-line *capability "." CRLF
//! capability   = capa-tag *(SP param) CRLF   ;512 octets maximum
//! multi-line   = single-line *dot-stuffed "." CRLF
//! continue-req = "+" SP [base64] CRLF
//! ```
//!
//! Text that a host supplies for the wire (the greeting, the implementation
//! name) goes through [`Text::new`], which refuses CR, LF and NUL so that
//! no value can end a response line early and forge a second one.

use crate::Status;
use bytes::BufMut;
use std::fmt;

/// Longest first line of a response, CRLF included (RFC 2449 §4, RFC 1939 §3).
pub const MAX_RESPONSE_LINE: usize = 512;

/// The status indicator that opens every response (RFC 1939 §3).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Indicator {
    /// `+OK`
    Ok,
    /// `-ERR`
    Err,
}

impl Indicator {
    /// The indicator as sent (servers MUST send it in upper case).
    pub fn as_str(self) -> &'static str {
        match self {
            Indicator::Ok => "+OK",
            Indicator::Err => "-ERR",
        }
    }
}

/// An extended response code (RFC 2449 §8, RFC 3206, RFC 6856 §5).
///
/// Codes are hierarchical; per RFC 2449 §8 unknown detail below a known
/// code is ignored when parsing (`[IN-USE/FOO]` is [`ResponseCode::InUse`]).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum ResponseCode {
    /// `[IN-USE]`: authenticated, but the maildrop is locked (RFC 2449 §8.1.2).
    InUse,
    /// `[LOGIN-DELAY]`: logged in too recently (RFC 2449 §8.1.1).
    LoginDelay,
    /// `[SYS/TEMP]`: a temporary system failure (RFC 3206 §4).
    SysTemp,
    /// `[SYS/PERM]`: a permanent system failure (RFC 3206 §4).
    SysPerm,
    /// `[SYS]` without a known second level (RFC 3206 §4).
    Sys,
    /// `[AUTH]`: a problem with the credentials (RFC 3206 §5).
    Auth,
    /// `[UTF8]`: the message needs UTF-8 mode (RFC 6856 §5).
    Utf8,
    /// Any other code, kept as sent (without the brackets).
    Other(String),
}

impl ResponseCode {
    /// The code as written between the brackets.
    pub fn as_str(&self) -> &str {
        match self {
            ResponseCode::InUse => "IN-USE",
            ResponseCode::LoginDelay => "LOGIN-DELAY",
            ResponseCode::SysTemp => "SYS/TEMP",
            ResponseCode::SysPerm => "SYS/PERM",
            ResponseCode::Sys => "SYS",
            ResponseCode::Auth => "AUTH",
            ResponseCode::Utf8 => "UTF8",
            ResponseCode::Other(code) => code,
        }
    }

    /// Reads a code from its bracketed text (`resp-level *("/" resp-level)`),
    /// case-insensitively.
    fn from_levels(code: &str) -> ResponseCode {
        let (first, second) = grammar::resp_levels(code);
        let is = |name: &str| first.eq_ignore_ascii_case(name);
        if is("IN-USE") {
            ResponseCode::InUse
        } else if is("LOGIN-DELAY") {
            ResponseCode::LoginDelay
        } else if is("AUTH") {
            ResponseCode::Auth
        } else if is("UTF8") {
            ResponseCode::Utf8
        } else if is("SYS") {
            match second {
                Some(l) if l.eq_ignore_ascii_case("TEMP") => ResponseCode::SysTemp,
                Some(l) if l.eq_ignore_ascii_case("PERM") => ResponseCode::SysPerm,
                _ => ResponseCode::Sys,
            }
        } else {
            ResponseCode::Other(code.to_owned())
        }
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}]", self.as_str())
    }
}

/// Response text a host hands to pobox: printable, one line, bounded.
///
/// Refuses CR, LF, NUL and other control octets (UTF-8 is allowed: RFC 6856
/// §3.2 makes response text UTF-8), and text longer than
/// [`Text::MAX_LEN`], so that a status line stays within the 512 octets of
/// RFC 2449 §4.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Text(String);

/// Why host-supplied text was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// The text holds CR, LF, NUL or another control character.
    #[error("text holds a control character (CR, LF, NUL, ...)")]
    Control,
    /// The text is longer than [`Text::MAX_LEN`] octets.
    #[error("text is longer than {} octets", Text::MAX_LEN)]
    TooLong,
}

impl Text {
    /// Longest text accepted: 512 octets of line (RFC 2449 §4) minus room
    /// for the status, a response code and CRLF.
    pub const MAX_LEN: usize = 400;

    /// Validates text for a response line.
    pub fn new(text: impl Into<String>) -> Result<Text, TextError> {
        let text = text.into();
        if text.chars().any(char::is_control) {
            return Err(TextError::Control);
        }
        if text.len() > Text::MAX_LEN {
            return Err(TextError::TooLong);
        }
        Ok(Text(text))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For pobox's own fixed texts, which tests check.
    pub(crate) fn from_static(text: &'static str) -> Text {
        debug_assert!(Text::new(text).is_ok());
        Text(text.to_owned())
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Writes a single-line response: `status [SP [resp-code SP] text] CRLF`.
///
/// `text` must come from pobox or from a [`Text`]; this function is the
/// one place that builds status lines. An empty text and no code give
/// the bare `+OK\r\n` of RFC 1939's examples.
pub fn encode_status(
    dst: &mut impl BufMut,
    indicator: Indicator,
    code: Option<&ResponseCode>,
    text: &str,
) {
    dst.put_slice(indicator.as_str().as_bytes());
    if let Some(code) = code {
        dst.put_slice(b" [");
        dst.put_slice(code.as_str().as_bytes());
        dst.put_u8(b']');
    }
    if !text.is_empty() {
        dst.put_u8(b' ');
        dst.put_slice(text.as_bytes());
    }
    dst.put_slice(b"\r\n");
}

/// Writes a SASL challenge: `"+" SP [base64] CRLF` (RFC 5034 §5). An empty
/// challenge is `+ ` followed by CRLF, as RFC 5034 §4 requires.
pub fn encode_continuation(dst: &mut impl BufMut, challenge: &[u8]) {
    dst.put_slice(b"+ ");
    dst.put_slice(crate::pop3::command::encode_base64(challenge).as_bytes());
    dst.put_slice(b"\r\n");
}

/// A capability line of the CAPA response (RFC 2449 §5, §6; RFC 2595 §4;
/// RFC 3206 §6; RFC 6856 §2, §3).
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum Capability {
    /// `TOP` (RFC 2449 §6.1).
    Top,
    /// `USER` (RFC 2449 §6.2).
    User,
    /// `SASL mech...` (RFC 2449 §6.3).
    Sasl(Vec<String>),
    /// `RESP-CODES` (RFC 2449 §6.4).
    RespCodes,
    /// `LOGIN-DELAY seconds [USER]` (RFC 2449 §6.5).
    LoginDelay {
        /// Minimum seconds between logins.
        seconds: u32,
        /// `USER`: the value may differ per user; ask again after login.
        per_user: bool,
    },
    /// `PIPELINING` (RFC 2449 §6.6).
    Pipelining,
    /// `EXPIRE days|NEVER [USER]` (RFC 2449 §6.7).
    Expire {
        /// Minimum retention in days; `None` is `NEVER`.
        days: Option<u32>,
        /// `USER`: the value may differ per user; ask again after login.
        per_user: bool,
    },
    /// `UIDL` (RFC 2449 §6.8).
    Uidl,
    /// `IMPLEMENTATION text` (RFC 2449 §6.9).
    Implementation(String),
    /// `STLS` (RFC 2595 §4).
    Stls,
    /// `AUTH-RESP-CODE` (RFC 3206 §6).
    AuthRespCode,
    /// `UTF8 [USER]` (RFC 6856 §2).
    Utf8 {
        /// `USER`: UTF-8 user names and passwords are accepted.
        user: bool,
    },
    /// `LANG` (RFC 6856 §3).
    Lang,
    /// Any other capability: its tag and parameters as sent.
    Other {
        /// The capa-tag.
        tag: String,
        /// The space-separated parameters.
        params: Vec<String>,
    },
}

impl Capability {
    /// Writes the capability line, CRLF included.
    pub fn encode(&self, dst: &mut impl BufMut) {
        let mut line = String::new();
        let per_user = |per_user: bool| if per_user { " USER" } else { "" };
        match self {
            Capability::Top => line.push_str("TOP"),
            Capability::User => line.push_str("USER"),
            Capability::Sasl(mechs) => {
                line.push_str("SASL");
                for mech in mechs {
                    line.push(' ');
                    line.push_str(mech);
                }
            }
            Capability::RespCodes => line.push_str("RESP-CODES"),
            Capability::LoginDelay {
                seconds,
                per_user: u,
            } => {
                line = format!("LOGIN-DELAY {seconds}{}", per_user(*u));
            }
            Capability::Pipelining => line.push_str("PIPELINING"),
            Capability::Expire { days, per_user: u } => {
                line = match days {
                    Some(days) => format!("EXPIRE {days}{}", per_user(*u)),
                    None => format!("EXPIRE NEVER{}", per_user(*u)),
                };
            }
            Capability::Uidl => line.push_str("UIDL"),
            Capability::Implementation(text) => line = format!("IMPLEMENTATION {text}"),
            Capability::Stls => line.push_str("STLS"),
            Capability::AuthRespCode => line.push_str("AUTH-RESP-CODE"),
            Capability::Utf8 { user } => line = format!("UTF8{}", per_user(*user)),
            Capability::Lang => line.push_str("LANG"),
            Capability::Other { tag, params } => {
                line.push_str(tag);
                for param in params {
                    line.push(' ');
                    line.push_str(param);
                }
            }
        }
        // Capability lines come from pobox's own config, whose texts are
        // validated; strip anything that could still break the line.
        line.retain(|c| !c.is_control());
        dst.put_slice(line.as_bytes());
        dst.put_slice(b"\r\n");
    }

    /// Parses one capability line (without its CRLF).
    pub fn parse(line: &str) -> Capability {
        let (tag, params) = grammar::capability(line);
        let is = |name: &str| tag.eq_ignore_ascii_case(name);
        let user_flag = |params: &[&str]| params.iter().any(|p| p.eq_ignore_ascii_case("USER"));
        // LOGIN-DELAY and EXPIRE: a number (or NEVER) first, then maybe USER.
        let number = params.first().and_then(|s| s.parse::<u32>().ok());
        let never = params
            .first()
            .is_some_and(|p| p.eq_ignore_ascii_case("NEVER"));
        let per_user = user_flag(params.get(1..).unwrap_or_default());
        match () {
            _ if is("TOP") => Capability::Top,
            _ if is("USER") => Capability::User,
            _ if is("SASL") => Capability::Sasl(params.iter().map(|s| (*s).to_owned()).collect()),
            _ if is("RESP-CODES") => Capability::RespCodes,
            _ if is("PIPELINING") => Capability::Pipelining,
            _ if is("UIDL") => Capability::Uidl,
            _ if is("STLS") => Capability::Stls,
            _ if is("AUTH-RESP-CODE") => Capability::AuthRespCode,
            _ if is("LANG") => Capability::Lang,
            _ if is("UTF8") => Capability::Utf8 {
                user: user_flag(&params),
            },
            _ if is("IMPLEMENTATION") => Capability::Implementation(params.join(" ")),
            _ if is("LOGIN-DELAY") && number.is_some() => Capability::LoginDelay {
                seconds: number.unwrap_or_default(),
                per_user,
            },
            _ if is("EXPIRE") && (never || number.is_some()) => Capability::Expire {
                days: number,
                per_user,
            },
            _ => Capability::Other {
                tag: tag.to_owned(),
                params: params.iter().map(|s| (*s).to_owned()).collect(),
            },
        }
    }
}

/// The first line of a response, as a client reads it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ResponseLine {
    /// `+OK ...` or `-ERR ...`.
    Status {
        /// `+OK` or `-ERR`.
        indicator: Indicator,
        /// The extended response code, if the text starts with one.
        code: Option<ResponseCode>,
        /// The rest of the text (after the code and one space).
        text: String,
    },
    /// `+ base64`: a SASL challenge, decoded.
    Continuation(Vec<u8>),
}

impl ResponseLine {
    /// The APOP timestamp of a greeting: the first `<...>` in its text
    /// (RFC 1939 §7, RFC 2449 §3 `timestamp`), brackets included.
    pub fn timestamp(&self) -> Option<&str> {
        let ResponseLine::Status { text, .. } = self else {
            return None;
        };
        let start = text.find('<')?;
        let end = start + text[start..].find('>')?;
        Some(&text[start..=end])
    }
}

/// Why a response line could not be parsed.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// Neither `+OK`, `-ERR` nor `+ `.
    #[error("response does not start with +OK, -ERR or +")]
    BadStatus,
    /// NUL, a bare CR, or a line that is not UTF-8.
    #[error("malformed response text")]
    BadText,
    /// A continuation that is not valid base64.
    #[error("invalid base64 in challenge")]
    Base64,
    /// A multi-line block held a line that is not a valid capability or listing.
    #[error("malformed multi-line body")]
    BadBody,
}

/// Parses the response line at the start of `buf`. `Complete((n, line))`
/// says `n` bytes were used. Lenient on line ends the same way commands
/// are (LF or CRLF).
pub fn parse_response_line(buf: &[u8]) -> Result<Status<(usize, ResponseLine)>, ResponseError> {
    let Status::Complete(n) = crate::pop3::command::frame_line(buf) else {
        return Ok(Status::Partial);
    };
    let line = crate::pop3::command::line_content(&buf[..n]).map_err(|_| ResponseError::BadText)?;
    let line = std::str::from_utf8(line).map_err(|_| ResponseError::BadText)?;
    match grammar::response_line(line) {
        Ok((_, response)) => Ok(Status::Complete((n, response))),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e.0),
        // Complete parsers never ask for more.
        Err(nom::Err::Incomplete(_)) => Err(ResponseError::BadStatus),
    }
}

/// The response grammar of RFC 2449 §3 and RFC 5034 §5 as nom 8 parsers over one line
/// without its terminator, one function per ABNF rule.
mod grammar {
    use nom::branch::alt;
    use nom::bytes::complete::{tag, take_till, take_till1, take_while};
    use nom::character::complete::char;
    use nom::combinator::{eof, opt, rest, value};
    use nom::error::{ErrorKind as NomKind, ParseError};
    use nom::multi::many0;
    use nom::sequence::{delimited, preceded, terminated};
    use nom::{IResult, Parser};

    use super::{Indicator, ResponseCode, ResponseError, ResponseLine};

    /// The nom error: the [`ResponseError`] the line gets.
    #[derive(Debug)]
    pub(super) struct Error(pub(super) ResponseError);

    impl ParseError<&str> for Error {
        fn from_error_kind(_input: &str, _kind: NomKind) -> Self {
            Error(ResponseError::BadStatus)
        }

        fn append(_input: &str, _kind: NomKind, other: Self) -> Self {
            other
        }
    }

    type PResult<'a, T> = IResult<&'a str, T, Error>;

    /// `response = greeting / single-line / capa-resp / multi-line / continue-req`
    /// (RFC 2449 §3, RFC 5034 §5): the first line of any of them.
    pub(super) fn response_line(line: &str) -> PResult<'_, ResponseLine> {
        match status(line) {
            Ok((i, indicator)) => single_line(indicator)(i),
            Err(_) => continue_req(line),
        }
    }

    /// `status = "+OK" / "-ERR"` (RFC 2449 §3).
    fn status(i: &str) -> PResult<'_, Indicator> {
        alt((
            value(Indicator::Ok, tag("+OK")),
            value(Indicator::Err, tag("-ERR")),
        ))
        .parse(i)
    }

    /// `single-line = status [SP text] CRLF`; `text = *schar / resp-code *CHAR`
    /// (RFC 2449 §3), after the status. A code is read when the text starts with a
    /// bracketed word without spaces; one SP after it is dropped.
    fn single_line(indicator: Indicator) -> impl Fn(&str) -> PResult<'_, ResponseLine> {
        move |i| {
            let text = match i.strip_prefix(' ') {
                Some(text) => text,
                None if i.is_empty() => "",
                None => return Err(nom::Err::Error(Error(ResponseError::BadStatus))),
            };
            let (code, text) = match resp_code(text) {
                Ok((rest, code)) => {
                    let (rest, _) = opt(char(' ')).parse(rest)?;
                    (Some(ResponseCode::from_levels(code)), rest)
                }
                Err(_) => (None, text),
            };
            Ok((
                "",
                ResponseLine::Status {
                    indicator,
                    code,
                    text: text.to_owned(),
                },
            ))
        }
    }

    /// `resp-code = "[" resp-level *("/" resp-level) "]"` (RFC 2449 §3): the text between
    /// the brackets, up to the first `]`; it may not hold a space.
    fn resp_code(i: &str) -> PResult<'_, &str> {
        let (rest, code) = delimited(char('['), take_till1(|c| c == ']'), char(']')).parse(i)?;
        if code.contains(' ') {
            return Err(nom::Err::Error(Error(ResponseError::BadStatus)));
        }
        Ok((rest, code))
    }

    /// `resp-level *("/" resp-level)` (RFC 2449 §3): the first two levels (the second is
    /// all RFC 3206 §4 needs).
    pub(super) fn resp_levels(code: &str) -> (&str, Option<&str>) {
        let level = |i| take_till::<_, _, Error>(|c| c == '/')(i);
        let (i, first) = level(code).unwrap_or(("", code));
        let second = preceded(char::<_, Error>('/'), level)
            .parse(i)
            .ok()
            .map(|(_, l)| l);
        (first, second)
    }

    /// `continue-req = "+" SP [base64] CRLF` (RFC 5034 §5), also a bare `+`; the data
    /// is decoded (`Base64` when it is not valid base64).
    fn continue_req(i: &str) -> PResult<'_, ResponseLine> {
        let (i, _) = alt((tag("+ "), terminated(tag("+"), eof))).parse(i)?;
        let (i, data) = rest(i)?;
        match crate::pop3::command::decode_base64(data.as_bytes()) {
            Some(decoded) => Ok((i, ResponseLine::Continuation(decoded))),
            None => Err(nom::Err::Error(Error(ResponseError::Base64))),
        }
    }

    /// `capability = capa-tag *(SP param) CRLF` (RFC 2449 §3), without the CRLF: the tag
    /// and the params, extra spaces between them ignored.
    pub(super) fn capability(line: &str) -> (&str, Vec<&str>) {
        let spaces = |i| take_while::<_, _, Error>(|c| c == ' ')(i);
        let word = |i| preceded(spaces, take_till1(|c| c == ' ')).parse(i);
        let (i, tag) = opt(word).parse(line).unwrap_or((line, None));
        let params = many0(word).parse(i).map_or(Vec::new(), |(_, p)| p);
        (tag.unwrap_or_default(), params)
    }
}

/// Finds the end of a multi-line body at the start of `buf` (the bytes
/// after the status line) and returns it un-stuffed (RFC 1939 §3): each
/// line keeps its CRLF, a leading "." is removed from stuffed lines, and
/// the terminating ".CRLF" is not included. `Complete((n, body))` says `n`
/// bytes were used, terminator included.
pub fn parse_multiline(buf: &[u8]) -> Status<(usize, Vec<u8>)> {
    let mut body = Vec::new();
    let mut pos = 0;
    while let Some(len) = memchr::memchr(b'\n', &buf[pos..]) {
        let line = &buf[pos..pos + len + 1];
        pos += len + 1;
        if line == b".\r\n" || line == b".\n" {
            return Status::Complete((pos, body));
        }
        body.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
    }
    Status::Partial
}

/// Splits a CAPA body (as returned by [`parse_multiline`]) into capabilities.
pub fn parse_capabilities(body: &[u8]) -> Result<Vec<Capability>, ResponseError> {
    let text = std::str::from_utf8(body).map_err(|_| ResponseError::BadBody)?;
    Ok(text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.is_empty())
        .map(Capability::parse)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(buf: &str) -> ResponseLine {
        match parse_response_line(buf.as_bytes()) {
            Ok(Status::Complete((n, line))) => {
                assert_eq!(n, buf.len());
                line
            }
            other => panic!("{buf:?} gave {other:?}"),
        }
    }

    #[test]
    fn rfc2449_8_response_codes_parse_case_insensitively() {
        let line = status("-ERR [IN-USE] Do you have another POP session running?\r\n");
        assert_eq!(
            line,
            ResponseLine::Status {
                indicator: Indicator::Err,
                code: Some(ResponseCode::InUse),
                text: "Do you have another POP session running?".into(),
            }
        );
        let codes = [
            ("[sys/temp]", ResponseCode::SysTemp),
            ("[SYS/PERM/DISK]", ResponseCode::SysPerm),
            ("[SYS]", ResponseCode::Sys),
            ("[auth]", ResponseCode::Auth),
            ("[IN-USE/MORE-DETAIL]", ResponseCode::InUse),
            ("[LOGIN-DELAY]", ResponseCode::LoginDelay),
            ("[UTF8]", ResponseCode::Utf8),
            ("[X-FOO/BAR]", ResponseCode::Other("X-FOO/BAR".into())),
        ];
        for (wire, code) in codes {
            let ResponseLine::Status { code: got, .. } = status(&format!("-ERR {wire} x\r\n"))
            else {
                panic!("not a status line");
            };
            assert_eq!(got, Some(code), "{wire}");
        }
    }

    #[test]
    fn encode_status_lines() {
        let mut out = Vec::new();
        encode_status(&mut out, Indicator::Ok, None, "");
        encode_status(&mut out, Indicator::Ok, None, "2 320");
        encode_status(
            &mut out,
            Indicator::Err,
            Some(&ResponseCode::SysTemp),
            "try later",
        );
        assert_eq!(out, b"+OK\r\n+OK 2 320\r\n-ERR [SYS/TEMP] try later\r\n");
    }

    #[test]
    fn rfc5034_4_empty_challenge_is_plus_space() {
        let mut out = Vec::new();
        encode_continuation(&mut out, b"");
        assert_eq!(out, b"+ \r\n");
        assert_eq!(status("+ \r\n"), ResponseLine::Continuation(Vec::new()));
        assert_eq!(status("+\r\n"), ResponseLine::Continuation(Vec::new()));
        assert_eq!(
            parse_response_line(b"+ !!!\r\n"),
            Err(ResponseError::Base64)
        );
    }

    #[test]
    fn rfc1939_7_greeting_timestamp() {
        let line = status("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n");
        assert_eq!(line.timestamp(), Some("<1896.697170952@dbc.mtview.ca.us>"));
        assert_eq!(status("+OK POP3 server ready\r\n").timestamp(), None);
    }

    #[test]
    fn text_refuses_line_breaks() {
        assert_eq!(Text::new("hello\r\n-ERR forged"), Err(TextError::Control));
        assert_eq!(Text::new("a\0b"), Err(TextError::Control));
        assert_eq!(Text::new("x".repeat(401)), Err(TextError::TooLong));
        assert_eq!(
            Text::new("Grüße").map(|t| t.to_string()),
            Ok("Grüße".into())
        );
    }

    #[test]
    fn rfc2449_5_capa_example_round_trips() {
        let wire = "TOP\r\nUSER\r\nSASL CRAM-MD5 KERBEROS_V4\r\nRESP-CODES\r\nLOGIN-DELAY 900\r\n\
                    PIPELINING\r\nEXPIRE 60\r\nUIDL\r\nIMPLEMENTATION Shlemazle-Plotz-v302\r\n.\r\n";
        let Status::Complete((n, body)) = parse_multiline(wire.as_bytes()) else {
            panic!("partial");
        };
        assert_eq!(n, wire.len());
        let caps = parse_capabilities(&body).unwrap();
        assert_eq!(
            caps,
            vec![
                Capability::Top,
                Capability::User,
                Capability::Sasl(vec!["CRAM-MD5".into(), "KERBEROS_V4".into()]),
                Capability::RespCodes,
                Capability::LoginDelay {
                    seconds: 900,
                    per_user: false
                },
                Capability::Pipelining,
                Capability::Expire {
                    days: Some(60),
                    per_user: false
                },
                Capability::Uidl,
                Capability::Implementation("Shlemazle-Plotz-v302".into()),
            ]
        );
        let mut out = Vec::new();
        for cap in &caps {
            cap.encode(&mut out);
        }
        out.extend_from_slice(b".\r\n");
        assert_eq!(out, wire.as_bytes());
    }

    #[test]
    fn rfc2449_6_7_expire_examples() {
        for (wire, cap) in [
            (
                "EXPIRE 5 USER",
                Capability::Expire {
                    days: Some(5),
                    per_user: true,
                },
            ),
            (
                "EXPIRE 30",
                Capability::Expire {
                    days: Some(30),
                    per_user: false,
                },
            ),
            (
                "EXPIRE NEVER",
                Capability::Expire {
                    days: None,
                    per_user: false,
                },
            ),
            (
                "EXPIRE 0",
                Capability::Expire {
                    days: Some(0),
                    per_user: false,
                },
            ),
        ] {
            assert_eq!(Capability::parse(wire), cap);
            let mut out = Vec::new();
            cap.encode(&mut out);
            assert_eq!(out, format!("{wire}\r\n").as_bytes());
        }
    }

    #[test]
    fn rfc1939_3_multiline_unstuffing() {
        let wire = b"line one\r\n..dot line\r\n.\r\nnext";
        assert_eq!(
            parse_multiline(wire),
            Status::Complete((wire.len() - 4, b"line one\r\n.dot line\r\n".to_vec()))
        );
        assert_eq!(parse_multiline(b"line\r\n.."), Status::Partial);
    }
}
