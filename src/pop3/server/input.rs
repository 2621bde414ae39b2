//! Received bytes, framed into lines as they arrive.
//!
//! Framing happens in `feed`, once per byte: each LF found closes a line,
//! whose length is queued. A line that grows past the limit is dropped on
//! the spot (its bytes are never buffered: a 10 MB line without LF costs
//! nothing) and leaves a marker in its place, so its `-ERR` goes out in
//! order with the replies to the lines before and after it.

use bytes::{Bytes, BytesMut};
use std::collections::VecDeque;

/// What the session reads next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Frame {
    /// A line, terminator included.
    Line(Bytes),
    /// A line longer than the framing limit was dropped here.
    TooLong,
}

#[derive(Debug)]
enum Queued {
    Line(usize),
    TooLong,
}

/// Its `Debug` shows sizes only: the buffer may hold a pipelined `PASS`.
#[derive(Default)]
pub(crate) struct Input {
    /// Complete lines, then the start of an incomplete one.
    buf: BytesMut,
    /// Lengths of the complete lines at the front of `buf`, and markers.
    queued: VecDeque<Queued>,
    /// Length of the incomplete line at the end of `buf`.
    partial: usize,
    /// Dropping the rest of an overlong line, up to its LF.
    skipping: bool,
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("buffered", &self.buf.len())
            .field("lines", &self.queued.len())
            .field("partial", &self.partial)
            .field("skipping", &self.skipping)
            .finish()
    }
}

impl Input {
    /// Frames `data`. Lines longer than `max_line` (terminator included)
    /// are replaced by a [`Frame::TooLong`] marker.
    pub(crate) fn feed(&mut self, mut data: &[u8], max_line: usize) {
        while !data.is_empty() {
            let lf = memchr::memchr(b'\n', data);
            let segment = lf.map_or(data.len(), |i| i + 1);
            if self.skipping {
                self.skipping = lf.is_none();
            } else if self.partial + segment > max_line {
                // Drop what was buffered of this line and mark its place.
                self.buf.truncate(self.buf.len() - self.partial);
                self.partial = 0;
                self.queued.push_back(Queued::TooLong);
                self.skipping = lf.is_none();
            } else {
                self.buf.extend_from_slice(&data[..segment]);
                if lf.is_some() {
                    self.queued.push_back(Queued::Line(self.partial + segment));
                    self.partial = 0;
                } else {
                    self.partial += segment;
                }
            }
            data = &data[segment..];
        }
    }

    /// The next complete line or marker.
    pub(crate) fn next(&mut self) -> Option<Frame> {
        match self.queued.pop_front()? {
            Queued::Line(len) => Some(Frame::Line(self.buf.split_to(len).freeze())),
            Queued::TooLong => Some(Frame::TooLong),
        }
    }

    /// Bytes held, counting each marker as `max_line` (the client sent at
    /// least that much for it) so that a flood of overlong lines is bounded
    /// like any other pipelined input.
    pub(crate) fn buffered(&self, max_line: usize) -> usize {
        let markers = self
            .queued
            .iter()
            .filter(|q| matches!(q, Queued::TooLong))
            .count();
        self.buf
            .len()
            .saturating_add(markers.saturating_mul(max_line))
    }

    /// Forgets everything received so far (STLS: RFC 2595 §4, and the
    /// command injection of CVE-2011-0411).
    pub(crate) fn clear(&mut self) {
        *self = Input::default();
    }

    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &mut Input) -> Vec<Frame> {
        std::iter::from_fn(|| input.next()).collect()
    }

    #[test]
    fn lines_split_anywhere_come_out_whole() {
        let mut input = Input::default();
        for byte in b"STAT\r\nLIST 1\nNO" {
            input.feed(&[*byte], 255);
        }
        assert_eq!(
            frames(&mut input),
            vec![
                Frame::Line(Bytes::from_static(b"STAT\r\n")),
                Frame::Line(Bytes::from_static(b"LIST 1\n"))
            ]
        );
        input.feed(b"OP\r\n", 255);
        assert_eq!(
            frames(&mut input),
            vec![Frame::Line(Bytes::from_static(b"NOOP\r\n"))]
        );
    }

    #[test]
    fn overlong_lines_are_dropped_in_place_without_buffering() {
        let mut input = Input::default();
        input.feed(b"STAT\r\n", 16);
        input.feed(&[b'x'; 10], 16);
        for _ in 0..1000 {
            input.feed(&[b'x'; 10_000], 16);
        }
        assert!(input.capacity() < 1024, "capacity {}", input.capacity());
        input.feed(b"xx\r\nNOOP\r\n", 16);
        assert_eq!(
            frames(&mut input),
            vec![
                Frame::Line(Bytes::from_static(b"STAT\r\n")),
                Frame::TooLong,
                Frame::Line(Bytes::from_static(b"NOOP\r\n"))
            ]
        );
        // A complete line that is too long in one piece.
        input.feed(b"0123456789abcdefg\r\nQUIT\r\n", 16);
        assert_eq!(
            frames(&mut input),
            vec![Frame::TooLong, Frame::Line(Bytes::from_static(b"QUIT\r\n"))]
        );
        // Exactly at the limit is fine.
        input.feed(b"0123456789abcd\r\n", 16);
        assert_eq!(frames(&mut input).len(), 1);
    }
}
