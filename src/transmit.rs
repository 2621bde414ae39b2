//! Bytes waiting to be written to the client: the one output type of both sessions.

use crate::imap::wire::{WireBody, WireForm};
use crate::imap::{Encoder, Fragment};
use crate::pop3::multiline::Stuffed;
use bytes::{Buf, BufMut, Bytes, BytesMut};
use std::collections::VecDeque;
use std::io::IoSlice;

/// A session's output, drained by the host: the same type for the POP3 and the IMAP
/// session. It is a [`bytes::Buf`]: write `chunk()` (or `chunks_vectored()` for
/// `writev`) and `advance()` by what the transport took; with tokio,
/// `stream.write_all_buf(session.transmit())`.
///
/// Status lines, listings and untagged responses are small and live in one growing
/// buffer; message bodies are the host's `Bytes`, referenced rather than copied (POP3
/// byte-stuffing and the CR before a bare LF are static inserts between slices).
#[derive(Default)]
pub struct Transmit {
    queue: VecDeque<Chunk>,
    /// Small writes made after the last queued chunk.
    tail: BytesMut,
    remaining: usize,
}

enum Chunk {
    Bytes(Bytes),
    Body(Stuffed),
    Wire(WireBody),
}

impl Chunk {
    #[inline]
    fn chunk(&self) -> &[u8] {
        match self {
            Chunk::Bytes(b) => b,
            Chunk::Body(s) => s.chunk(),
            Chunk::Wire(w) => w.chunk(),
        }
    }

    #[inline]
    fn remaining(&self) -> usize {
        match self {
            Chunk::Bytes(b) => b.len(),
            Chunk::Body(s) => s.remaining(),
            Chunk::Wire(w) => w.remaining(),
        }
    }

    /// Advances by up to `cnt`; how far it went.
    #[inline]
    fn advance(&mut self, cnt: usize) -> usize {
        let step = cnt.min(self.remaining());
        match self {
            Chunk::Bytes(b) => b.advance(step),
            Chunk::Body(s) => s.advance(step),
            Chunk::Wire(w) => w.advance(step),
        }
        step
    }

    fn chunks_vectored<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        match self {
            Chunk::Bytes(b) => b.chunks_vectored(dst),
            Chunk::Body(s) => s.chunks_vectored(dst),
            Chunk::Wire(w) => w.chunks_vectored(dst),
        }
    }
}

impl std::fmt::Debug for Transmit {
    /// Sizes only: the output holds message bodies and whatever the client was told.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transmit")
            .field("remaining", &self.remaining)
            .field("chunks", &self.queue.len())
            .finish()
    }
}

impl Transmit {
    /// Appends small output (status lines, listings) through `write`.
    pub(crate) fn write(&mut self, write: impl FnOnce(&mut BytesMut)) {
        let before = self.tail.len();
        write(&mut self.tail);
        self.remaining += self.tail.len() - before;
    }

    /// Appends a message body without copying it.
    pub(crate) fn body(&mut self, body: Stuffed) {
        self.flush_tail();
        self.remaining += body.remaining();
        self.queue.push_back(Chunk::Body(body));
    }

    /// Appends IMAP message data in its wire form (CRLF line ends, no NUL): one buffer
    /// (the host's bytes, or their converted copy) or, for a large body that needs edits,
    /// slices between static inserts.
    pub(crate) fn wire(&mut self, body: WireForm) {
        match body {
            WireForm::Whole(bytes) => self.bytes(bytes),
            WireForm::Sliced(body) => {
                if body.remaining() == 0 {
                    return;
                }
                self.flush_tail();
                self.remaining += body.remaining();
                self.queue.push_back(Chunk::Wire(body));
            }
        }
    }

    /// Appends bytes by reference (small ones are copied into the line buffer instead).
    pub(crate) fn bytes(&mut self, bytes: Bytes) {
        if bytes.len() < crate::imap::CHUNK_THRESHOLD {
            return self.write(|out| out.extend_from_slice(&bytes));
        }
        self.flush_tail();
        self.remaining += bytes.len();
        self.queue.push_back(Chunk::Bytes(bytes));
    }

    /// Appends what `encode` writes with an IMAP [`Encoder`]: small output into the line
    /// buffer, literal bodies it passes through as their own chunks, in order.
    pub(crate) fn encode(&mut self, encode: impl FnOnce(&mut Encoder)) {
        let before = self.tail.len();
        let mut encoder = Encoder::with_buf(std::mem::take(&mut self.tail));
        encode(&mut encoder);
        let (fragments, rest) = encoder.into_parts();
        if fragments.is_empty() {
            self.tail = rest;
            self.remaining += self.tail.len() - before;
            return;
        }
        // The first fragment begins with the line buffer as it was.
        self.remaining -= before;
        for fragment in fragments {
            if let Fragment::Data(bytes) = fragment {
                self.remaining += bytes.len();
                self.queue.push_back(Chunk::Bytes(bytes));
            }
        }
        self.tail = rest;
        self.remaining += self.tail.len();
    }

    fn flush_tail(&mut self) {
        if !self.tail.is_empty() {
            let small = self.tail.split().freeze();
            self.queue.push_back(Chunk::Bytes(small));
        }
    }

    /// Copies output into `dst` until it holds `max` octets, the output is empty, or the
    /// next piece is at least `large` octets long: that piece is left for
    /// [`next_bytes`](Self::next_bytes) (or `chunk`), to be written by reference. Returns
    /// the octets copied. Drains the same bytes, in the same order, as the [`Buf`] view.
    ///
    /// For hosts whose transport copies anyway: the kernel copies each slice of a
    /// vectored write into the socket at a cost per slice, so the short pieces of a body
    /// with bare LFs (two per line) are cheaper gathered into one buffer, and long runs
    /// cheaper by reference. One loop per message body instead of one `chunk`/`advance`
    /// call per slice.
    pub fn gather(&mut self, dst: &mut Vec<u8>, max: usize, large: usize) -> usize {
        let start = dst.len();
        if max > start {
            dst.reserve(max.min(start + self.remaining) - start);
        }
        while dst.len() < max {
            let room = max - dst.len();
            match self.queue.front_mut() {
                Some(Chunk::Body(body)) => {
                    let before = dst.len();
                    body.gather(dst, max, large);
                    self.remaining -= dst.len() - before;
                    if body.remaining() > 0 {
                        break; // full, or a long run next
                    }
                    self.queue.pop_front();
                }
                Some(front) => {
                    let chunk = front.chunk();
                    if chunk.len() >= large || chunk.is_empty() {
                        break;
                    }
                    let take = chunk.len().min(room);
                    dst.extend_from_slice(&chunk[..take]);
                    front.advance(take);
                    self.remaining -= take;
                    if front.remaining() == 0 {
                        self.queue.pop_front();
                    }
                }
                None => {
                    if self.tail.len() >= large {
                        break;
                    }
                    let take = self.tail.len().min(room);
                    dst.extend_from_slice(&self.tail[..take]);
                    self.tail.advance(take);
                    self.remaining -= take;
                    break;
                }
            }
        }
        dst.len() - start
    }

    /// Takes the next piece of output as an owned `Bytes` (a slice of a
    /// message body, or of the small-output buffer), for hosts that queue
    /// `Bytes` for vectored writes. Drains the same bytes as the [`Buf`] view.
    pub fn next_bytes(&mut self) -> Option<Bytes> {
        let bytes = match self.queue.front_mut() {
            Some(Chunk::Bytes(_)) => match self.queue.pop_front() {
                Some(Chunk::Bytes(b)) => b,
                _ => return None,
            },
            Some(Chunk::Body(body)) => match body.next_bytes() {
                Some(b) => b,
                None => {
                    self.queue.pop_front();
                    return self.next_bytes();
                }
            },
            Some(Chunk::Wire(body)) => match body.next_bytes() {
                Some(b) => b,
                None => {
                    self.queue.pop_front();
                    return self.next_bytes();
                }
            },
            None if !self.tail.is_empty() => self.tail.split().freeze(),
            None => return None,
        };
        self.remaining -= bytes.len();
        Some(bytes)
    }
}

impl Buf for Transmit {
    fn remaining(&self) -> usize {
        self.remaining
    }

    #[inline]
    fn chunk(&self) -> &[u8] {
        match self.queue.front() {
            Some(front) => front.chunk(),
            None => &self.tail,
        }
    }

    fn advance(&mut self, mut cnt: usize) {
        cnt = cnt.min(self.remaining);
        self.remaining -= cnt;
        while cnt > 0 {
            match self.queue.front_mut() {
                Some(front) => {
                    cnt -= front.advance(cnt);
                    if front.remaining() == 0 {
                        self.queue.pop_front();
                    }
                }
                None => {
                    self.tail.advance(cnt);
                    cnt = 0;
                }
            }
        }
    }

    fn chunks_vectored<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let mut filled = 0;
        for chunk in &self.queue {
            if filled == dst.len() {
                return filled;
            }
            let n = chunk.chunks_vectored(&mut dst[filled..]);
            let given: usize = dst[filled..filled + n].iter().map(|s| s.len()).sum();
            filled += n;
            // A body may hand out less than all of itself (its edit window ends): what
            // follows it must wait, or the output would go out of order.
            if given < chunk.remaining() {
                return filled;
            }
        }
        if filled < dst.len() && !self.tail.is_empty() {
            dst[filled] = IoSlice::new(&self.tail);
            filled += 1;
        }
        filled
    }
}

/// Writes formatted text (no line end).
pub(crate) fn put_fmt(dst: &mut BytesMut, text: std::fmt::Arguments<'_>) {
    use std::fmt::Write as _;
    struct Adapter<'a>(&'a mut BytesMut);
    impl std::fmt::Write for Adapter<'_> {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0.put_slice(s.as_bytes());
            Ok(())
        }
    }
    // Writing into a BytesMut cannot fail.
    let _ = Adapter(dst).write_fmt(text);
}

/// Writes a line of text and CRLF; for listings.
pub(crate) fn put_line(dst: &mut BytesMut, line: std::fmt::Arguments<'_>) {
    put_fmt(dst, line);
    dst.put_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body that hands out only part of itself per `chunks_vectored` (a large message
    /// with more edits than its window) is not followed by the next chunk's bytes: the
    /// output stays in order however many slices the host asks for.
    #[test]
    fn vectored_output_stays_in_order_after_a_partial_body() {
        let mut body = Vec::new();
        for i in 0..5000 {
            body.extend_from_slice(format!(".{i}\n").as_bytes());
        }
        let mut t = Transmit::default();
        t.body(Stuffed::new(Bytes::from(body.clone())));
        t.write(|b| b.put_slice(b"+OK next\r\n"));
        let expected = {
            let mut s = Stuffed::new(Bytes::from(body));
            let mut v = s.copy_to_bytes(s.remaining()).to_vec();
            v.extend_from_slice(b"+OK next\r\n");
            v
        };
        let mut out = Vec::new();
        while t.has_remaining() {
            let mut slices = [IoSlice::new(&[]); 1024];
            let n = t.chunks_vectored(&mut slices);
            let got: Vec<u8> = slices[..n].iter().flat_map(|s| s.to_vec()).collect();
            out.extend_from_slice(&got);
            t.advance(got.len());
        }
        assert!(out == expected, "the output went out of order");
    }

    #[test]
    fn buf_and_next_bytes_drain_the_same_bytes_in_order() {
        let mut t = Transmit::default();
        t.write(|b| b.put_slice(b"+OK 5 octets\r\n"));
        t.body(Stuffed::new(Bytes::from_static(b".a\nb")));
        t.write(|b| b.put_slice(b"+OK\r\n"));
        let total = t.remaining();
        let mut slices = [IoSlice::new(&[]); 8];
        let n = t.chunks_vectored(&mut slices);
        let vectored: Vec<u8> = slices[..n].iter().flat_map(|s| s.to_vec()).collect();
        let expected = b"+OK 5 octets\r\n..a\r\nb\r\n.\r\n+OK\r\n";
        assert_eq!(vectored, expected);
        assert_eq!(total, expected.len());
        let mut via_bytes = Vec::new();
        t.advance(3);
        via_bytes.extend_from_slice(b"+OK");
        while let Some(b) = t.next_bytes() {
            via_bytes.extend_from_slice(&b);
        }
        assert_eq!(via_bytes, expected);
        assert_eq!(t.remaining(), 0);
        assert!(t.chunk().is_empty());
    }

    /// A transmit with a status line, an LF body with dot lines and a long run, and
    /// a line after it; and its bytes, drained through the `Buf` view.
    fn mixed() -> (Transmit, Vec<u8>) {
        let build = || {
            let mut body = b"Subject: x\n\n.dot\nline\n".to_vec();
            body.extend_from_slice(&b"long run of text ".repeat(100));
            body.extend_from_slice(b"\r\n.\r\nend");
            let mut t = Transmit::default();
            t.write(|b| b.put_slice(b"+OK\r\n"));
            t.body(Stuffed::new(Bytes::from(body)));
            t.write(|b| b.put_slice(b"+OK bye\r\n"));
            t
        };
        let mut view = build();
        let mut expected = Vec::new();
        while view.has_remaining() {
            let chunk = view.chunk().to_vec();
            expected.extend_from_slice(&chunk);
            view.advance(chunk.len());
        }
        (build(), expected)
    }

    #[test]
    fn gather_and_next_bytes_drain_the_same_bytes_as_the_buf_view() {
        for large in [1, 2, 3, 16, 1000, 2000, usize::MAX] {
            for max in [1, 2, 5, 64, 1 << 20] {
                let (mut t, expected) = mixed();
                let mut out = Vec::new();
                let mut shared = 0;
                while t.has_remaining() {
                    let before = t.remaining();
                    let mut batch = Vec::new();
                    let n = t.gather(&mut batch, max, large);
                    assert_eq!(n, batch.len());
                    assert!(n <= max);
                    assert_eq!(t.remaining(), before - n);
                    out.extend_from_slice(&batch);
                    if t.has_remaining() && t.chunk().len() >= large {
                        let piece = t.next_bytes().unwrap();
                        assert!(piece.len() >= large);
                        shared += piece.len();
                        out.extend_from_slice(&piece);
                    } else {
                        assert!(
                            n > 0 || !t.has_remaining(),
                            "no progress: large {large} max {max}"
                        );
                    }
                }
                assert_eq!(out, expected, "large {large} max {max}");
                if large == 1000 {
                    assert!(shared >= 1700, "the long run goes by reference: {shared}");
                }
                if large == usize::MAX {
                    assert_eq!(shared, 0);
                }
            }
        }
    }
}
