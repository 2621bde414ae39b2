//! Received bytes, framed into commands as they arrive.
//!
//! One [`Framer`](crate::imap::Framer) scans the input once, whatever the reads: commands
//! with their literals, or plain lines (AUTHENTICATE responses, IDLE's DONE) in line mode.
//! Refused commands are skipped without buffering them. An APPEND's message literal is not
//! framed with its command: once the session has accepted it, its octets are handed out as
//! they arrive ([`Item::Data`]), so a message of any size costs one read's worth of memory.

use bytes::{Buf, Bytes, BytesMut};

use crate::imap::{Frame, Framer, Limits, LiteralAnnouncement, ParseError};

/// What the session reads next.
#[derive(Debug)]
pub(crate) enum Item {
    /// One complete command (in line mode, one line), terminator included.
    Frame(Bytes),
    /// A literal announcement at the end of the command so far ([`Input::prefix`]): the
    /// session sends `+`, refuses it, or streams it.
    Literal(LiteralAnnouncement),
    /// A command the framer refused (too long, a literal too big, a bare LF).
    Error(ParseError),
    /// The next octets of a streamed literal.
    Data(Bytes),
}

#[derive(Debug)]
pub(crate) struct Input {
    buf: BytesMut,
    framer: Framer,
    limits: Limits,
    /// Octets of a streamed literal not yet handed out.
    streaming: u32,
}

impl Input {
    pub(crate) fn new(limits: Limits) -> Input {
        Input {
            buf: BytesMut::new(),
            framer: Framer::new(&limits),
            limits,
            streaming: 0,
        }
    }

    pub(crate) fn feed(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The next item, if the input holds one.
    pub(crate) fn next(&mut self) -> Option<Item> {
        if self.streaming > 0 {
            if self.buf.is_empty() {
                return None;
            }
            let n = self.buf.len().min(self.streaming as usize);
            self.streaming -= n as u32;
            if self.streaming == 0 {
                // The rest of the command after the literal is framed afresh.
                self.framer = Framer::new(&self.limits);
            }
            return Some(Item::Data(self.buf.split_to(n).freeze()));
        }
        loop {
            match self.framer.poll(&self.buf) {
                Ok(Frame::Incomplete) => return None,
                Ok(Frame::Complete(n)) => return Some(Item::Frame(self.buf.split_to(n).freeze())),
                Ok(Frame::Literal(announcement)) => return Some(Item::Literal(announcement)),
                Ok(Frame::Discard { len, .. }) => self.buf.advance(len.min(self.buf.len())),
                Err(e) => return Some(Item::Error(e)),
            }
        }
    }

    /// The command so far, up to and including the line of the last announcement.
    pub(crate) fn prefix(&self) -> &[u8] {
        self.buf.get(..self.framer.scanned()).unwrap_or_default()
    }

    /// Answers the last announcement with a refusal: its command is skipped.
    pub(crate) fn refuse_literal(&mut self) {
        self.framer.refuse_literal();
    }

    /// The last announcement (of `length` octets) is the message of an APPEND, to be
    /// handed out as [`Item::Data`]: the command so far is dropped (the session has parsed
    /// it) and the literal's octets follow.
    pub(crate) fn stream_literal(&mut self, length: u32) {
        let head = self.framer.scanned().min(self.buf.len());
        self.buf.advance(head);
        self.framer = Framer::new(&self.limits);
        self.streaming = length;
    }

    /// Literal octets announced so far in the command being framed.
    pub(crate) fn literal_total(&self) -> u64 {
        self.framer.literal_total()
    }

    /// Gives up the streamed literal: what is left of it, and the rest of its command, are
    /// skipped unbuffered.
    pub(crate) fn discard_stream(&mut self) {
        let left = std::mem::take(&mut self.streaming);
        self.framer.discard_literal(left);
    }

    pub(crate) fn set_line_mode(&mut self, on: bool) {
        self.framer.set_line_mode(on);
    }

    /// Forgets everything received (STARTTLS: RFC 3501 §6.2.1, CVE-2011-0411).
    pub(crate) fn clear(&mut self) {
        self.buf = BytesMut::new();
        self.framer = Framer::new(&self.limits);
        self.streaming = 0;
    }

    /// `true` when everything held belongs to the command being framed (so only more
    /// input can move it on).
    pub(crate) fn all_in_current_command(&self) -> bool {
        self.streaming == 0 && self.framer.scanned() >= self.buf.len()
    }

    /// Octets held.
    pub(crate) fn buffered(&self) -> usize {
        self.buf.len()
    }
}
