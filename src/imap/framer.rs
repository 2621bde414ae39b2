//! The framer: finds where a command (or response) ends, lines and literals included, before
//! the grammar runs (STYLE.md §4, "Pitfalls").
//!
//! It keeps its scan offset and the bytes left of the current literal, so input arriving one
//! byte at a time is scanned once (linear, never again from byte 0). It enforces
//! [`Limits::max_line_length`] and [`Limits::max_literal_size`] before the bytes are buffered,
//! and reports each literal announcement (`{n}`, `{n+}`, `~{n}`; RFC 3501 §4.3, RFC 7888,
//! RFC 3516) with the tag read so far, so a server can send `+ ` or refuse by tag.
//!
//! # Contract
//! The caller owns a buffer whose first byte is the first byte of the current command, appends
//! received bytes to its end, and calls [`Framer::poll`] after each append:
//! * [`Frame::Incomplete`]: read more.
//! * [`Frame::Literal`]: a literal was announced. For a synchronizing one the server answers
//!   `+ ` (or refuses: see below); then poll again.
//! * [`Frame::Complete(n)`](Frame::Complete): the first `n` bytes are one command; split them
//!   off and hand them to the grammar ([`parse_command_frame`](super::parse_command_frame)).
//! * `Err(e)`: the command is refused; answer by `e.tag` (see [`ErrorKind`] for which answer).
//!   Keep polling: the framer then returns [`Frame::Discard`] until the refused command's
//!   bytes are gone (the rest of the line, and the bytes of non-synchronizing literals that
//!   the client sends anyway: RFC 7888 §4 option 1), without buffering them.
//! * [`Frame::Discard`]: drop that many bytes from the front of the buffer.
//!
//! ```
//! use pobox::imap::{Frame, Framer, Limits, LiteralMode};
//! let mut framer = Framer::new(&Limits::default());
//! let mut buf = b"A1 LOGIN {4}\r\n".to_vec();
//! let announced = framer.poll(&buf);
//! assert!(matches!(
//!     &announced,
//!     Ok(Frame::Literal(lit)) if (lit.length, lit.mode) == (4, LiteralMode::Sync)
//!         && lit.tag.as_ref().map(|t| t.as_bytes()) == Some(&b"A1"[..])
//! ));
//! assert_eq!(framer.poll(&buf), Ok(Frame::Incomplete));
//! buf.extend_from_slice(b"fred pw\r\n");
//! assert_eq!(framer.poll(&buf), Ok(Frame::Complete(buf.len())));
//! ```

use bytes::Bytes;

use super::chars::TAG_CHAR;
use super::core::{LiteralMode, Tag};
use super::error::{ErrorKind, ParseError};
use super::limits::Limits;

/// A literal announced at the end of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiteralAnnouncement {
    /// The tag of the command, when the line starts with a valid one.
    pub tag: Option<Tag>,
    /// Announced length in bytes.
    pub length: u32,
    /// `{n}` (wait for `+`) or `{n+}` (bytes follow at once, RFC 7888).
    pub mode: LiteralMode,
    /// `~{n}` (`literal8`, RFC 3516).
    pub binary: bool,
}

/// What [`Framer::poll`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// Need more bytes.
    Incomplete,
    /// A literal was announced (its bytes are not consumed yet).
    Literal(LiteralAnnouncement),
    /// The first `n` bytes of the buffer are one complete command or response.
    Complete(usize),
    /// Drop the first `len` bytes of the buffer: they belong to a refused command. `done` is
    /// true when the refused command is over and framing resumes with the next one.
    Discard {
        /// Bytes to drop from the front.
        len: usize,
        /// The refused command ended.
        done: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Framing a command.
    Normal,
    /// Dropping a refused command: skip literal bytes, then lines until one ends without a
    /// non-synchronizing literal.
    Discarding,
    /// The refused command is over at `scan`; report the last discard.
    DiscardDone,
}

/// Incremental framer of IMAP commands and responses (see the module docs).
#[derive(Debug, Clone)]
pub struct Framer {
    max_line: usize,
    max_literal: u32,
    accept_bare_lf: bool,
    /// Lines only: no literal announcements (AUTHENTICATE responses, IDLE's DONE).
    line_mode: bool,
    /// The mode of the literal announcement the last poll reported.
    announced: Option<LiteralMode>,
    mode: Mode,
    /// Offset where scanning resumes.
    scan: usize,
    /// Offset where the current line starts.
    line_start: usize,
    /// Non-literal bytes of the earlier lines of this command.
    line_bytes: usize,
    /// Bytes of the current literal not yet seen.
    literal_left: u32,
    /// Literal bytes announced so far in this command.
    literal_total: u64,
}

impl Framer {
    /// A framer with these limits.
    pub fn new(limits: &Limits) -> Self {
        Framer {
            max_line: limits.max_line_length(),
            max_literal: limits.max_literal_size(),
            accept_bare_lf: limits.accept_bare_lf(),
            line_mode: false,
            announced: None,
            mode: Mode::Normal,
            scan: 0,
            line_start: 0,
            line_bytes: 0,
            literal_left: 0,
            literal_total: 0,
        }
    }

    fn reset(&mut self) {
        self.mode = Mode::Normal;
        self.scan = 0;
        self.line_start = 0;
        self.line_bytes = 0;
        self.literal_left = 0;
        self.literal_total = 0;
    }

    /// Frames plain lines (`true`) or commands with literals (`false`, the default). In line
    /// mode `{n}` at a line's end is ordinary text and every line is [`Frame::Complete`] on its
    /// own: a server reads AUTHENTICATE responses (RFC 3501 §6.2.2) and IDLE's `DONE`
    /// (RFC 2177 §3) this way, through the same scan as commands. Switch only between frames.
    pub fn set_line_mode(&mut self, on: bool) {
        self.line_mode = on;
    }

    /// Refuses the literal just reported by [`Frame::Literal`] (a server that answers the
    /// announcement with a tagged `BAD` or `NO` instead of `+`, RFC 3501 §7.5, RFC 7888 §4).
    /// The refused command's bytes are then dropped through [`Frame::Discard`]: for a
    /// synchronizing literal the command ends with the announcing line (the client sends no
    /// literal without `+`); for a non-synchronizing one the literal's bytes and the rest of the
    /// command follow anyway and are skipped unbuffered. Does nothing when no literal is
    /// pending.
    pub fn refuse_literal(&mut self) {
        let Some(mode) = self.announced.take() else {
            return;
        };
        match mode {
            LiteralMode::Sync => {
                self.literal_left = 0;
                self.mode = Mode::DiscardDone;
            }
            LiteralMode::NonSync => self.mode = Mode::Discarding,
        }
    }

    /// Starts over in discard mode: the next `left` octets of the buffer are the rest of a
    /// literal whose command is refused, followed by the rest of that command. For a server
    /// that took a literal's first bytes out of the buffer itself (streaming an APPEND) and
    /// then gives the command up.
    pub(crate) fn discard_literal(&mut self, left: u32) {
        self.reset();
        self.mode = Mode::Discarding;
        self.literal_left = left;
    }

    /// Literal bytes announced so far in the current command (the sum of its `{n}`).
    pub fn literal_total(&self) -> u64 {
        self.literal_total
    }

    /// True while the framer is inside a literal's bytes (a server must not treat them as a
    /// command line, e.g. for IDLE's DONE).
    pub fn in_literal(&self) -> bool {
        self.literal_left > 0
    }

    /// Bytes of the current command seen so far (the buffer prefix the framer has scanned).
    pub fn scanned(&self) -> usize {
        self.scan
    }

    /// Scans what was appended to `buf` since the last call. `buf` must start at the current
    /// command and only grow between calls (except as told by `Complete` and `Discard`).
    pub fn poll(&mut self, buf: &[u8]) -> Result<Frame, ParseError> {
        self.announced = None;
        if self.mode == Mode::DiscardDone {
            let len = self.scan.min(buf.len());
            self.reset();
            return Ok(Frame::Discard { len, done: true });
        }
        loop {
            // Inside a literal: count its bytes without looking at them.
            if self.literal_left > 0 {
                let avail = buf.len().saturating_sub(self.scan);
                let take = avail.min(self.literal_left as usize);
                self.scan += take;
                self.literal_left -= take as u32;
                if self.literal_left > 0 {
                    return Ok(self.incomplete());
                }
                self.line_start = self.scan;
            }
            let Some(rest) = buf.get(self.scan..) else {
                return Ok(Frame::Incomplete);
            };
            let Some(i) = memchr::memchr(b'\n', rest) else {
                self.scan = buf.len();
                let line_len = self.scan - self.line_start;
                if self.mode == Mode::Normal && self.line_bytes + line_len > self.max_line {
                    return Err(self.fail(
                        buf,
                        ErrorKind::LineTooLong {
                            limit: self.max_line,
                        },
                    ));
                }
                return Ok(self.incomplete());
            };
            let lf = self.scan + i;
            self.scan = lf + 1;
            let line = buf.get(self.line_start..lf).unwrap_or_default();
            if self.mode == Mode::Discarding {
                let tail = if self.line_mode {
                    None
                } else {
                    announcement(refused_tail(line))
                };
                match tail {
                    Some((length, LiteralMode::NonSync, _)) => {
                        self.literal_left = u32::try_from(length).unwrap_or(u32::MAX);
                        self.line_start = self.scan;
                        continue;
                    }
                    _ => {
                        let len = self.scan;
                        self.reset();
                        return Ok(Frame::Discard { len, done: true });
                    }
                }
            }
            self.line_bytes += self.scan - self.line_start;
            if self.line_bytes > self.max_line {
                let mut e = ParseError::new(
                    ErrorKind::LineTooLong {
                        limit: self.max_line,
                    },
                    lf,
                );
                e.tag = tag_of(buf);
                let tail = if self.line_mode {
                    None
                } else {
                    announcement(refused_tail(line))
                };
                match tail {
                    Some((length, LiteralMode::NonSync, _)) => {
                        self.mode = Mode::Discarding;
                        self.literal_left = u32::try_from(length).unwrap_or(u32::MAX);
                        self.line_start = self.scan;
                    }
                    _ => self.mode = Mode::DiscardDone,
                }
                return Err(e);
            }
            let body = match line.strip_suffix(b"\r") {
                Some(body) => body,
                None if self.accept_bare_lf => line,
                None => {
                    let mut e = ParseError::new(ErrorKind::BareLf, lf);
                    e.tag = tag_of(buf);
                    self.mode = Mode::DiscardDone;
                    return Err(e);
                }
            };
            let found = if self.line_mode {
                None
            } else {
                announcement(body)
            };
            match found {
                None => {
                    let n = self.scan;
                    self.reset();
                    return Ok(Frame::Complete(n));
                }
                Some((length, mode, binary)) => {
                    self.literal_total = self.literal_total.saturating_add(length);
                    if self.literal_total > u64::from(self.max_literal) {
                        let kind = ErrorKind::LiteralTooBig {
                            length,
                            limit: self.max_literal,
                            mode,
                        };
                        let mut e = ParseError::new(kind, lf);
                        e.tag = tag_of(buf);
                        match mode {
                            // The client waits for "+" that never comes: the command ends here.
                            LiteralMode::Sync => self.mode = Mode::DiscardDone,
                            // The bytes come anyway: skip them, then the rest of the command.
                            LiteralMode::NonSync => {
                                self.mode = Mode::Discarding;
                                self.literal_left = u32::try_from(length).unwrap_or(u32::MAX);
                                self.line_start = self.scan;
                            }
                        }
                        return Err(e);
                    }
                    // Checked above: length <= max_literal <= u32::MAX.
                    let length = u32::try_from(length).unwrap_or(u32::MAX);
                    self.literal_left = length;
                    self.line_start = self.scan;
                    self.announced = Some(mode);
                    return Ok(Frame::Literal(LiteralAnnouncement {
                        tag: tag_of(buf),
                        length,
                        mode,
                        binary,
                    }));
                }
            }
        }
    }

    /// Incomplete, or in discard mode the bytes that can be dropped already. Inside a line,
    /// the last [`REFUSED_TAIL`] bytes stay: a literal announcement at the line's end decides
    /// whether the refused command goes on, wherever the reads happened to split it.
    fn incomplete(&mut self) -> Frame {
        if self.mode == Mode::Discarding {
            let keep = if self.literal_left > 0 {
                0
            } else {
                (self.scan - self.line_start).min(REFUSED_TAIL)
            };
            let len = self.scan - keep;
            if len > 0 {
                self.scan = keep;
                self.line_start = 0;
                return Frame::Discard { len, done: false };
            }
        }
        Frame::Incomplete
    }

    fn fail(&mut self, buf: &[u8], kind: ErrorKind) -> ParseError {
        let mut e = ParseError::new(kind, self.scan);
        e.tag = tag_of(buf);
        self.mode = Mode::Discarding;
        e
    }
}

/// How much of the end of a refused command's line is kept and looked at for a literal
/// announcement (`~{4294967295+}` is 14 octets; longer digit runs are not believed).
const REFUSED_TAIL: usize = 64;

/// The end of a refused command's line (CR removed) where a literal announcement is looked
/// for: the same bytes whether the line came in one read or byte by byte.
fn refused_tail(line: &[u8]) -> &[u8] {
    let body = line.strip_suffix(b"\r").unwrap_or(line);
    body.get(body.len().saturating_sub(REFUSED_TAIL)..)
        .unwrap_or_default()
}

/// The tag at the start of `buf`, when it is one followed by SP.
pub(crate) fn tag_of(buf: &[u8]) -> Option<Tag> {
    let end = memchr::memchr(b' ', buf.get(..buf.len().min(1024))?)?;
    let t = buf.get(..end)?;
    if t.is_empty() || !t.iter().all(|&b| TAG_CHAR[b as usize]) {
        return None;
    }
    Some(Tag::unvalidated(Bytes::copy_from_slice(t)))
}

/// A literal announcement at the end of a line (CRLF removed): `["~"] "{" number ["+"] "}"`.
/// Returns the length (saturated), the mode and whether it is `literal8`.
pub(crate) fn announcement(line: &[u8]) -> Option<(u64, LiteralMode, bool)> {
    let line = line.strip_suffix(b"}")?;
    let (line, mode) = match line.strip_suffix(b"+") {
        Some(l) => (l, LiteralMode::NonSync),
        None => (line, LiteralMode::Sync),
    };
    let digits = line.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let open = line.len() - digits;
    let line_before = line.get(..open)?.strip_suffix(b"{")?;
    let binary = line_before.last() == Some(&b'~');
    let mut n: u64 = 0;
    for &d in line.get(open..)? {
        n = n.saturating_mul(10).saturating_add(u64::from(d - b'0'));
    }
    Some((n, mode, binary))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lim() -> Limits {
        let mut l = Limits::default();
        l.set_max_line_length(100).set_max_literal_size(1000);
        l
    }

    #[test]
    fn frames_one_byte_at_a_time() {
        let input = b"a1 APPEND x {5+}\r\nhello {3}\r\nabc\r\nb2 NOOP\r\n";
        let mut f = Framer::new(&lim());
        let mut buf = Vec::new();
        let mut events = Vec::new();
        for &b in input.iter() {
            buf.push(b);
            loop {
                match f.poll(&buf).unwrap() {
                    Frame::Incomplete => break,
                    Frame::Complete(n) => {
                        events.push(String::from_utf8_lossy(&buf[..n]).into_owned());
                        buf.drain(..n);
                    }
                    Frame::Literal(l) => events.push(format!("lit {} {:?}", l.length, l.mode)),
                    Frame::Discard { .. } => unreachable!(),
                }
            }
        }
        assert_eq!(
            events,
            [
                "lit 5 NonSync",
                "lit 3 Sync",
                "a1 APPEND x {5+}\r\nhello {3}\r\nabc\r\n",
                "b2 NOOP\r\n"
            ]
        );
    }

    #[test]
    fn rfc7888_4_oversized_nonsync_literal_is_discarded() {
        let mut f = Framer::new(&lim());
        let mut buf = b"t APPEND x {2000+}\r\n".to_vec();
        let e = f.poll(&buf).unwrap_err();
        assert_eq!(e.tag.unwrap().as_bytes(), b"t");
        assert!(matches!(
            e.kind,
            ErrorKind::LiteralTooBig { length: 2000, .. }
        ));
        let mut dropped = 0;
        let mut chunk = vec![b'x'; 500];
        for i in 0..5 {
            if i == 4 {
                chunk = b"\r\nn NOOP\r\n".to_vec();
            }
            buf.extend_from_slice(&chunk);
            loop {
                match f.poll(&buf).unwrap() {
                    Frame::Discard { len, done } => {
                        buf.drain(..len);
                        dropped += len;
                        if done {
                            break;
                        }
                    }
                    Frame::Incomplete => break,
                    other => panic!("{other:?}"),
                }
            }
            assert!(buf.len() <= 520);
        }
        assert_eq!(dropped, 20 + 2000 + 2);
        assert_eq!(f.poll(&buf).unwrap(), Frame::Complete(8));
    }

    #[test]
    fn hostile_literal_length_and_long_line() {
        let mut f = Framer::new(&lim());
        let e = f.poll(b"A {99999999999}\r\n").unwrap_err();
        assert!(matches!(
            e.kind,
            ErrorKind::LiteralTooBig {
                length: 99999999999,
                ..
            }
        ));
        assert_eq!(
            f.poll(b"A {99999999999}\r\n").unwrap(),
            Frame::Discard {
                len: 17,
                done: true
            }
        );
        let mut f = Framer::new(&lim());
        let e = f.poll(&[b'a'; 101]).unwrap_err();
        assert!(matches!(e.kind, ErrorKind::LineTooLong { limit: 100 }));
        let e = Framer::new(&lim()).poll(b"a NOOP\n").unwrap_err();
        assert_eq!(e.kind, ErrorKind::BareLf);
    }

    /// Runs `input` through a framer in reads of `piece` bytes; the complete frames.
    fn frames_in_pieces(input: &[u8], piece: usize) -> Vec<Vec<u8>> {
        let mut f = Framer::new(&lim());
        let mut buf = Vec::new();
        let mut out = Vec::new();
        for chunk in input.chunks(piece) {
            buf.extend_from_slice(chunk);
            loop {
                match f.poll(&buf) {
                    Ok(Frame::Incomplete) => break,
                    Ok(Frame::Complete(n)) => out.push(buf.drain(..n).collect()),
                    Ok(Frame::Discard { len, .. }) => {
                        buf.drain(..len);
                    }
                    Ok(Frame::Literal(_)) | Err(_) => {}
                }
            }
        }
        out
    }

    /// Found by the `imap_command` fuzz target: when an overlong line ending in `{n+}` was
    /// refused before its CRLF arrived, the announcement was missed (split across reads, or
    /// read with its CR), so the literal's bytes and the rest of the refused command were
    /// framed as a new command. RFC 7888 §4: the bytes of a refused non-synchronizing
    /// literal still belong to that command.
    #[test]
    fn rfc7888_4_refused_line_skips_its_literal_however_the_reads_split_it() {
        let mut input = b"A1 APPEND x ".to_vec();
        input.extend_from_slice(&[b'x'; 120]);
        input.extend_from_slice(b" {15+}\r\nA2 DELETE INBOX rest of A1\r\nA3 NOOP\r\n");
        for piece in 1..input.len() {
            assert_eq!(
                frames_in_pieces(&input, piece),
                vec![b"A3 NOOP\r\n".to_vec()],
                "reads of {piece}"
            );
        }
    }

    /// Drives `input` through `f` in one read; every frame, discards as `drop n`.
    fn frames_of(f: &mut Framer, input: &[u8], refuse: bool) -> Vec<String> {
        let mut buf = input.to_vec();
        let mut out = Vec::new();
        loop {
            match f.poll(&buf) {
                Ok(Frame::Incomplete) => return out,
                Ok(Frame::Complete(n)) => {
                    out.push(String::from_utf8_lossy(&buf[..n]).into_owned());
                    buf.drain(..n);
                }
                Ok(Frame::Literal(l)) => {
                    out.push(format!("lit {}", l.length));
                    if refuse {
                        f.refuse_literal();
                    }
                }
                Ok(Frame::Discard { len, .. }) => {
                    out.push(format!("drop {len}"));
                    buf.drain(..len);
                }
                Err(e) => out.push(format!("err {:?}", e.kind)),
            }
        }
    }

    /// RFC 3501 §7.5: a client that gets a tagged BAD or NO instead of `+` sends nothing more
    /// of the command; framing resumes with the next line.
    #[test]
    fn rfc3501_7_5_refused_sync_literal_ends_the_command() {
        let mut f = Framer::new(&lim());
        let got = frames_of(&mut f, b"a LOGIN {5}\r\nb NOOP\r\n", true);
        assert_eq!(got, ["lit 5", "drop 13", "b NOOP\r\n"]);
    }

    /// RFC 7888 §4: a refused non-synchronizing literal's bytes arrive anyway and, with the
    /// rest of the command (here a second literal), are skipped.
    #[test]
    fn rfc7888_4_refused_nonsync_literal_is_skipped_with_the_rest_of_the_command() {
        let mut f = Framer::new(&lim());
        let input = b"a LOGIN {5+}\r\nhello {3+}\r\nabc\r\nb NOOP\r\n";
        let got = frames_of(&mut f, input, true);
        assert_eq!(got.first().map(String::as_str), Some("lit 5"));
        assert_eq!(got.last().map(String::as_str), Some("b NOOP\r\n"));
        let dropped: usize = got
            .iter()
            .filter_map(|g| g.strip_prefix("drop ")?.parse::<usize>().ok())
            .sum();
        assert_eq!(dropped, input.len() - 8);
        // Refusing when nothing was announced changes nothing.
        let mut f = Framer::new(&lim());
        f.refuse_literal();
        assert_eq!(frames_of(&mut f, b"c NOOP\r\n", true), ["c NOOP\r\n"]);
    }

    #[test]
    fn bare_lf_is_a_line_end_only_when_accepted() {
        let mut strict = Framer::new(&lim());
        let got = frames_of(&mut strict, b"a NOOP\nb NOOP\r\n", false);
        assert_eq!(got, ["err BareLf", "drop 7", "b NOOP\r\n"]);
        let mut l = lim();
        l.set_accept_bare_lf(true);
        let mut lenient = Framer::new(&l);
        let got = frames_of(&mut lenient, b"a LOGIN {2}\nxy\n", false);
        assert_eq!(got, ["lit 2", "a LOGIN {2}\nxy\n"]);
    }

    /// RFC 3501 §6.2.2: inside AUTHENTICATE a line is base64, so `{5}` at its end is text.
    #[test]
    fn line_mode_frames_lines_without_literals() {
        let mut f = Framer::new(&lim());
        f.set_line_mode(true);
        let got = frames_of(&mut f, b"abc {5}\r\nDONE\r\n", false);
        assert_eq!(got, ["abc {5}\r\n", "DONE\r\n"]);
        let long = [b'x'; 150];
        let mut input = long.to_vec();
        input.extend_from_slice(b" {5+}\r\nDONE\r\n");
        let got = frames_of(&mut f, &input, false);
        assert_eq!(got.last().map(String::as_str), Some("DONE\r\n"));
    }
}
