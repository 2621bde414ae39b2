//! Entry points of the parser (httparse style: `Ok(Status::Partial)` when the input ends early,
//! `Ok(Status::Complete((consumed, value)))` otherwise).
//!
//! The one-shot functions (`parse_command`, `parse_response`, `parse_greeting`) frame the input
//! from its first byte and then run the grammar; a session that receives bytes piecemeal keeps a
//! [`Framer`] instead (linear in the input, reports literal announcements) and calls
//! [`parse_command_frame`] once per complete command.

use bytes::Bytes;

use super::command::{AppendHead, AuthenticateData, Command};
use super::error::{ErrorKind, ParseError};
use super::framer::{Frame, Framer};
use super::limits::Limits;
use super::parse;
use super::response::{Greeting, Response};
use crate::{Secret, Status};

/// Frames `input` from its start: the length of the first complete command or response.
#[inline]
fn frame(input: &[u8], limits: &Limits) -> Result<Status<usize>, ParseError> {
    // Fast path: a first line within the limit, ending in CRLF, announcing no literal.
    let window = input
        .get(..input.len().min(limits.max_line_length()))
        .unwrap_or_default();
    if let Some(i) = memchr::memchr(b'\n', window) {
        if i > 0
            && window.get(i - 1) == Some(&b'\r')
            && window.get(i.saturating_sub(2)) != Some(&b'}')
        {
            return Ok(Status::Complete(i + 1));
        }
    }
    let mut framer = Framer::new(limits);
    loop {
        match framer.poll(input)? {
            Frame::Incomplete => return Ok(Status::Partial),
            Frame::Literal(_) => continue,
            Frame::Complete(n) => return Ok(Status::Complete(n)),
            // Only reached after an error, which was returned above.
            Frame::Discard { .. } => return Ok(Status::Partial),
        }
    }
}

/// Parses one command (RFC 3501 §9 `command`) from the start of `input`, with default
/// [`Limits`].
///
/// ```
/// use bytes::Bytes;
/// use pobox::Status;
/// use pobox::imap::{parse_command, CommandBody};
/// # fn main() -> Result<(), pobox::imap::ParseError> {
/// let input = Bytes::from_static(b"a1 NOOP\r\na2 LOGOUT\r\n");
/// if let Status::Complete((n, cmd)) = parse_command(&input)? {
///     assert_eq!((n, cmd.tag.as_bytes(), cmd.body), (9, &b"a1"[..], CommandBody::Noop));
/// }
/// assert!(parse_command(&Bytes::from_static(b"a1 NO"))?.is_partial());
/// # Ok(())
/// # }
/// ```
#[inline]
pub fn parse_command(input: &Bytes) -> Result<Status<(usize, Command)>, ParseError> {
    parse_command_with(input, &Limits::default())
}

/// [`parse_command`] with explicit limits.
pub fn parse_command_with(
    input: &Bytes,
    limits: &Limits,
) -> Result<Status<(usize, Command)>, ParseError> {
    let Status::Complete(n) = frame(input, limits)? else {
        return Ok(Status::Partial);
    };
    command_prefix(input, n, limits, |c| Status::Complete((n, c)))
}

#[inline]
fn command_prefix<U>(
    input: &Bytes,
    n: usize,
    limits: &Limits,
    wrap: impl FnOnce(Command) -> U,
) -> Result<U, ParseError> {
    parse::run_command(input, n, limits, wrap).map_err(|mut e| {
        if e.tag.is_none() {
            e.tag = super::framer::tag_of(input.get(..n).unwrap_or_default());
        }
        e
    })
}

/// Runs the command grammar on one complete, framed command (what [`Frame::Complete`]
/// delimited), CRLF included. Literal values are slices of `frame`.
pub fn parse_command_frame(frame: &Bytes, limits: &Limits) -> Result<Command, ParseError> {
    command_prefix(frame, frame.len(), limits, |c| c)
}

/// Parses an APPEND command up to its message literal: `frame` holds the command from its
/// tag through the line that announces the message (what the [`Framer`] has scanned when it
/// reports that [`Frame::Literal`]), so a server can check the destination and then stream
/// the message to storage instead of buffering it (RFC 3501 §6.3.11). A mailbox name sent
/// as a literal is part of `frame`. Fails when `frame` is not such a prefix, e.g. at the
/// announcement of a literal mailbox name.
///
/// ```
/// use bytes::Bytes;
/// use pobox::imap::{parse_append_head, Limits, LiteralMode};
/// # fn main() -> Result<(), pobox::imap::ParseError> {
/// let head = parse_append_head(
///     &Bytes::from_static(b"A3 APPEND saved-messages (\\Seen) {310}\r\n"),
///     &Limits::default(),
/// )?;
/// assert_eq!((head.length, head.mode), (310, LiteralMode::Sync));
/// assert_eq!(head.mailbox.as_bytes(), b"saved-messages");
/// # Ok(())
/// # }
/// ```
pub fn parse_append_head(frame: &Bytes, limits: &Limits) -> Result<AppendHead, ParseError> {
    parse::run_append_head(frame, limits)
}

/// Parses one server response (`continue-req`, `response-data`, `response-tagged` or
/// `response-fatal`, RFC 3501 §9) from the start of `input`, with default [`Limits`].
#[inline]
pub fn parse_response(input: &Bytes) -> Result<Status<(usize, Response)>, ParseError> {
    parse_response_with(input, &Limits::default())
}

/// [`parse_response`] with explicit limits.
pub fn parse_response_with(
    input: &Bytes,
    limits: &Limits,
) -> Result<Status<(usize, Response)>, ParseError> {
    let Status::Complete(n) = frame(input, limits)? else {
        return Ok(Status::Partial);
    };
    parse::run_into(input, n, limits, parse::response, |r| {
        Status::Complete((n, r))
    })
}

/// Runs the response grammar on one complete, framed response.
pub fn parse_response_frame(frame: &Bytes, limits: &Limits) -> Result<Response, ParseError> {
    parse::run(frame, frame.len(), limits, parse::response)
}

/// Parses the server greeting (RFC 3501 §7.1, §9 `greeting`), with default [`Limits`].
pub fn parse_greeting(input: &Bytes) -> Result<Status<(usize, Greeting)>, ParseError> {
    parse_greeting_with(input, &Limits::default())
}

/// [`parse_greeting`] with explicit limits.
pub fn parse_greeting_with(
    input: &Bytes,
    limits: &Limits,
) -> Result<Status<(usize, Greeting)>, ParseError> {
    let Status::Complete(n) = frame(input, limits)? else {
        return Ok(Status::Partial);
    };
    parse::run_into(input, n, limits, parse::greeting, |g| {
        Status::Complete((n, g))
    })
}

/// One line without literals (AUTHENTICATE data, DONE): its length with the terminator and
/// the length of its content. The terminator is CRLF, or a bare LF under
/// [`Limits::accept_bare_lf`].
fn line(input: &[u8], limits: &Limits) -> Result<Status<(usize, usize)>, ParseError> {
    let window = input
        .get(..input.len().min(limits.max_line_length()))
        .unwrap_or_default();
    match memchr::memchr(b'\n', window) {
        None if input.len() >= limits.max_line_length() => Err(ParseError::new(
            ErrorKind::LineTooLong {
                limit: limits.max_line_length(),
            },
            limits.max_line_length(),
        )),
        None => Ok(Status::Partial),
        Some(i) if i > 0 && window.get(i - 1) == Some(&b'\r') => {
            Ok(Status::Complete((i + 1, i - 1)))
        }
        Some(i) if limits.accept_bare_lf() => Ok(Status::Complete((i + 1, i))),
        Some(i) => Err(ParseError::new(ErrorKind::BareLf, i)),
    }
}

/// Parses a client line inside an AUTHENTICATE exchange (RFC 3501 §6.2.2): `base64 CRLF`
/// (decoded) or `"*" CRLF` (cancel).
pub fn parse_authenticate_data(
    input: &Bytes,
    limits: &Limits,
) -> Result<Status<(usize, AuthenticateData)>, ParseError> {
    let Status::Complete((n, body)) = line(input, limits)? else {
        return Ok(Status::Partial);
    };
    if input.get(..body) == Some(&b"*"[..]) {
        return Ok(Status::Complete((n, AuthenticateData::Cancel)));
    }
    let frame = input.slice(..n);
    let data = parse::run(&frame, n, limits, parse::authenticate_data)?;
    Ok(Status::Complete((
        n,
        AuthenticateData::Response(Secret::new(data)),
    )))
}

/// Parses the `"DONE" CRLF` line that ends IDLE (RFC 2177 §3, case-insensitive). Any other
/// line is a syntax error (the session then answers BAD and leaves IDLE).
pub fn parse_idle_done(input: &Bytes, limits: &Limits) -> Result<Status<usize>, ParseError> {
    let Status::Complete((n, body)) = line(input, limits)? else {
        return Ok(Status::Partial);
    };
    if input
        .get(..body)
        .is_some_and(|l| l.eq_ignore_ascii_case(b"DONE"))
    {
        Ok(Status::Complete(n))
    } else {
        Err(ParseError::syntax("DONE", 0))
    }
}
