//! Multi-line response bodies: dot-stuffing without copying (RFC 1939 §3).
//!
//! Everything RFC 1939 asks of a message on its way out is an insertion of
//! one octet: a `.` before each line that starts with `.` (byte-stuffing)
//! and a CR before each LF that lacks one (stores that keep Unix line ends).
//! So the wire form is the original bytes plus a sorted list of edit
//! points, and [`Stuffed`] serves it as a [`bytes::Buf`] whose chunks are
//! slices of the original `Bytes` and static inserts of one to three
//! octets. A vectorised count over 64-octet blocks sizes the output and
//! skips blocks without edits; `memchr` finds the edit points in the
//! others. Nothing of the body is copied, and no `Bytes` handle is created
//! per chunk.
//!
//! The body then gets a final CRLF if it does not end with one, and the
//! terminating `.CRLF`.

use crate::lf::{BLOCK, block_edits};
use bytes::{Buf, Bytes};
use std::io::IoSlice;

/// What RFC 1939 §11 calls the "exact size" of a message: its octets as
/// sent in RETR, before byte-stuffing, with every LF counted as CRLF.
///
/// For stores that keep LF line ends (mbox, Maildir written by Unix MDAs):
/// each bare LF counts 2, a CRLF counts 2, and a message that does not end
/// with a line end counts the CRLF that [`Stuffed`] adds. It matches what
/// a client receives exactly (RFC 6856 §2.1: the LIST size "SHOULD match
/// the actual number of octets sent in a RETR response").
pub fn wire_size(message: &[u8]) -> u64 {
    let edits = count_edits(message, false);
    let tail = final_line_end(message).len();
    // usize -> u64 never truncates on supported targets (<= 64 bits).
    (message.len() + edits + tail) as u64
}

/// A message prepared for a multi-line response: the original bytes, the
/// insertion points, and the terminator. It is a [`Buf`]: `chunk()` and
/// `chunks_vectored()` hand out slices of the original message.
///
/// Memory is bounded whatever the message holds: insertion points are
/// found a window (about 1,024) at a time as the output advances (a
/// message of nothing but LFs would otherwise need a word per octet); a
/// counting pass at the start makes `remaining()` exact.
///
/// An edit is one of: `.` before a line that starts with `.` after a CRLF
/// (or at the start), or `\r\n` in place of a bare LF, which is `\r\n.` when
/// the next line starts with `.`. Merging the dot into the LF's edit keeps
/// the chunk count at two per edited line.
///
/// Its `Debug` shows sizes only, never the message.
#[derive(Clone)]
pub struct Stuffed {
    body: Bytes,
    /// The next edit points (body offsets), ascending: a bare LF, or a `.`
    /// at a line start after CRLF.
    window: Vec<usize>,
    /// Index in `window` of the next edit not yet sent.
    next_edit: usize,
    /// Body offset up to which edit points have been found.
    scanned: usize,
    /// Octets the edits add that no window has found yet. At zero the rest
    /// of the body is sent without scanning it again (the usual CRLF
    /// message without dot lines is scanned once, by the count).
    unfound: usize,
    /// The final CRLF (when missing) and ".\r\n".
    tail: &'static [u8],
    /// Position in `body` of the next byte to send.
    pos: usize,
    /// Octets of the current edit's insert already sent.
    insert_sent: usize,
    /// Bytes of `tail` already sent.
    tail_sent: usize,
    remaining: usize,
}

impl std::fmt::Debug for Stuffed {
    /// Sizes only: a message body does not belong in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stuffed")
            .field("body_len", &self.body.len())
            .field("pos", &self.pos)
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}

/// How many edit points a [`Stuffed`] looks for at once (it may hold up to
/// one block, 64, more).
const EDIT_WINDOW: usize = 1024;

impl Stuffed {
    /// Prepares a whole message (RETR).
    pub fn new(message: Bytes) -> Stuffed {
        let len = message.len();
        Stuffed::cut(message, len)
    }

    /// Prepares the first `len` octets of a message (TOP), which must end
    /// on a line boundary; see [`top_len`].
    pub(crate) fn cut(message: Bytes, len: usize) -> Stuffed {
        let len = len.min(message.len());
        let body = message.slice(..len);
        let tail: &'static [u8] = match final_line_end(&body) {
            b"" => b".\r\n",
            b"\n" => b"\n.\r\n",
            _ => b"\r\n.\r\n",
        };
        // One pass: count the inserts of every block (so `remaining()` is exact), and find
        // the edit points of the first blocks while the window has room (so a message
        // whose edits fit in one window is read once). Runs of consecutive blocks with
        // edits are searched in one `memchr` pass each, not one per block.
        let mut window = Vec::new();
        let (mut edits, mut found, mut scanned) = (0, 0, 0);
        let mut run: Option<usize> = None; // start of a run of blocks with edits
        let mut filling = true;
        for start in (0..len).step_by(BLOCK) {
            let (bare_lf, dot_line) = block_edits(&body, start);
            let block = (bare_lf + dot_line) as usize;
            edits += block;
            if !filling {
                continue; // the window is full: count only
            }
            if block > 0 {
                run.get_or_insert(start);
            } else if let Some(from) = run.take() {
                found += find_edits(&body, from, start, &mut window);
            }
            scanned = len.min(start + BLOCK);
            // The edits counted so far bound the points found in these blocks, so the
            // window ends up at most one block's worth over EDIT_WINDOW.
            if edits >= EDIT_WINDOW {
                if let Some(from) = run.take() {
                    found += find_edits(&body, from, scanned, &mut window);
                }
                filling = false;
            }
        }
        if let Some(from) = run.take() {
            found += find_edits(&body, from, scanned, &mut window);
        }
        let unfound = edits.saturating_sub(found);
        Stuffed {
            remaining: len + edits + tail.len(),
            body,
            window,
            next_edit: 0,
            scanned: if unfound == 0 { len } else { scanned },
            unfound,
            tail,
            pos: 0,
            insert_sent: 0,
            tail_sent: 0,
        }
    }

    /// Finds the next window of edit points once the current one is used
    /// up. Afterwards either an edit is pending, or there are none left.
    /// Blocks of 64 octets without an edit (most of a CRLF message) are
    /// skipped after one vectorised count.
    fn refill(&mut self) {
        if self.next_edit < self.window.len() || self.scanned >= self.body.len() {
            return;
        }
        self.window.clear();
        self.next_edit = 0;
        if self.unfound == 0 {
            self.scanned = self.body.len();
            return;
        }
        let body = &self.body[..];
        while self.scanned < body.len() && self.window.len() < EDIT_WINDOW && self.unfound > 0 {
            let start = self.scanned;
            self.scanned = body.len().min(start + BLOCK);
            if block_edits(body, start) == (0, 0) {
                continue;
            }
            let found = find_edits(body, start, self.scanned, &mut self.window);
            self.unfound = self.unfound.saturating_sub(found);
        }
        if self.unfound == 0 {
            self.scanned = body.len();
        }
    }

    /// The next edit point, if any is left.
    #[inline]
    fn edit(&self) -> Option<usize> {
        self.window.get(self.next_edit).copied()
    }

    /// The octets an edit at `at` sends.
    #[inline]
    fn insert(&self, at: usize) -> &'static [u8] {
        match self.body.get(at) {
            Some(b'\n') if self.body.get(at + 1) == Some(&b'.') => b"\r\n.",
            Some(b'\n') => b"\r\n",
            _ => b".",
        }
    }

    /// The edit due at the current position: its insert, not yet sent part.
    #[inline]
    fn insert_here(&self) -> Option<&'static [u8]> {
        match self.edit() {
            Some(at) if at == self.pos => self.insert(at).get(self.insert_sent..),
            _ => None,
        }
    }

    /// End of the run of original bytes starting at `pos`.
    #[inline]
    fn run_end(&self) -> usize {
        self.edit().unwrap_or(self.body.len())
    }

    /// Takes the next chunk as an owned `Bytes`: a slice of the message, or
    /// a static insert. For hosts that queue `Bytes` for vectored writes.
    pub fn next_bytes(&mut self) -> Option<Bytes> {
        let chunk = if let Some(insert) = self.insert_here() {
            Bytes::from_static(insert)
        } else if self.pos < self.body.len() {
            self.body.slice(self.pos..self.run_end())
        } else if self.tail_sent < self.tail.len() {
            Bytes::from_static(&self.tail[self.tail_sent..])
        } else {
            return None;
        };
        self.advance(chunk.len());
        Some(chunk)
    }

    /// Copies output into `dst` until it holds `max` octets, the body is all out, or the
    /// next run of original octets is at least `large` long (it is left in place, to be
    /// written by reference). The same octets `chunk()` and `advance()` would hand out,
    /// in one loop instead of one call per slice; see [`Transmit::gather`].
    ///
    /// [`Transmit::gather`]: crate::Transmit::gather
    pub(crate) fn gather(&mut self, dst: &mut Vec<u8>, max: usize, large: usize) {
        let start = dst.len();
        // A partly sent insert first (a batch that ended inside it).
        if let Some(at) = self.edit().filter(|_| self.insert_sent > 0) {
            let insert = &self.insert(at)[self.insert_sent..];
            let take = insert.len().min(max.saturating_sub(dst.len()));
            dst.extend_from_slice(&insert[..take]);
            self.advance_insert(at, take);
        }
        while dst.len() < max {
            let Some(&at) = self.window.get(self.next_edit) else {
                // No edit left: the rest of the body, then the tail.
                if self.pos < self.body.len() {
                    let run = self.body.len() - self.pos;
                    if run >= large {
                        break;
                    }
                    let take = run.min(max - dst.len());
                    dst.extend_from_slice(&self.body[self.pos..self.pos + take]);
                    self.pos += take;
                    continue;
                }
                let tail = &self.tail[self.tail_sent..];
                let take = tail.len().min(max - dst.len());
                dst.extend_from_slice(&tail[..take]);
                self.tail_sent += take;
                break;
            };
            if at > self.pos {
                let run = at - self.pos;
                if run >= large {
                    break;
                }
                let take = run.min(max - dst.len());
                dst.extend_from_slice(&self.body[self.pos..self.pos + take]);
                self.pos += take;
                if take < run {
                    break; // full
                }
            }
            // The edit at `pos`, in constant-length stores when it fits whole.
            let lf = self.body.get(at) == Some(&b'\n');
            let dot = lf && self.body.get(at + 1) == Some(&b'.');
            let room = max - dst.len();
            match (lf, dot) {
                (true, true) if room >= 3 => dst.extend_from_slice(b"\r\n."),
                (true, false) if room >= 2 => dst.extend_from_slice(b"\r\n"),
                (false, _) if room >= 1 => dst.push(b'.'),
                _ => {
                    // Only part of it fits: the general path keeps the count.
                    let insert = self.insert(at);
                    dst.extend_from_slice(&insert[..room]);
                    self.advance_insert(at, room);
                    break;
                }
            }
            self.next_edit += 1;
            if lf {
                self.pos += 1; // the CRLF insert takes the place of its bare LF
            }
            if self.next_edit == self.window.len() {
                self.refill();
            }
        }
        self.remaining -= dst.len() - start;
    }

    /// Moves past `cnt` octets of the current edit's insert.
    fn advance_insert(&mut self, at: usize, cnt: usize) -> usize {
        let insert = self.insert(at);
        let step = cnt.min(insert.len() - self.insert_sent);
        self.insert_sent += step;
        if self.insert_sent == insert.len() {
            self.insert_sent = 0;
            self.next_edit += 1;
            // A CRLF insert takes the place of its bare LF.
            if insert[0] == b'\r' {
                self.pos += 1;
            }
            self.refill();
        }
        step
    }
}

impl Buf for Stuffed {
    #[inline]
    fn remaining(&self) -> usize {
        self.remaining
    }

    #[inline]
    fn chunk(&self) -> &[u8] {
        let end = match self.edit() {
            Some(at) if at == self.pos => {
                return self.insert(at).get(self.insert_sent..).unwrap_or_default();
            }
            Some(at) => at,
            None => self.body.len(),
        };
        match self.body.get(self.pos..end) {
            Some(run) if !run.is_empty() => run,
            _ => self.tail.get(self.tail_sent..).unwrap_or_default(),
        }
    }

    fn advance(&mut self, mut cnt: usize) {
        cnt = cnt.min(self.remaining);
        self.remaining -= cnt;
        while cnt > 0 {
            match self.edit() {
                Some(at) if at == self.pos => cnt -= self.advance_insert(at, cnt),
                _ if self.pos < self.body.len() => {
                    let step = cnt.min(self.run_end() - self.pos);
                    self.pos += step;
                    cnt -= step;
                }
                _ => {
                    self.tail_sent += cnt;
                    cnt = 0;
                }
            }
        }
    }

    fn chunks_vectored<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let mut filled = 0;
        let mut pos = self.pos;
        let mut edit = self.next_edit;
        let mut sent = self.insert_sent;
        while filled < dst.len() && pos < self.body.len() {
            let next = match self.window.get(edit) {
                Some(&at) => at,
                // The window ends before the body: stop at its end.
                None if self.scanned < self.body.len() => return filled,
                None => self.body.len(),
            };
            if next == pos {
                let insert = self.insert(pos);
                dst[filled] = IoSlice::new(insert.get(sent..).unwrap_or_default());
                sent = 0;
                edit += 1;
                if insert[0] == b'\r' {
                    pos += 1;
                }
            } else {
                dst[filled] = IoSlice::new(&self.body[pos..next]);
                pos = next;
            }
            filled += 1;
        }
        if filled < dst.len() && pos >= self.body.len() && self.tail_sent < self.tail.len() {
            dst[filled] = IoSlice::new(&self.tail[self.tail_sent..]);
            filled += 1;
        }
        filled
    }
}

/// Pushes the edit points of `body[start..end]` onto `window`: bare LFs, and dots at a
/// line start after a CRLF (or at the body's start; a dot after a bare LF rides on that
/// LF's edit). Returns the octets they insert, a riding dot counted with its LF (even
/// when it lies at `end`). A dot at `end` after a CRLF is left to the next range.
fn find_edits(body: &[u8], start: usize, end: usize, window: &mut Vec<usize>) -> usize {
    let mut found = 0;
    let after_crlf = match start {
        0 => true,
        _ => body.get(start - 1) == Some(&b'\n') && start >= 2 && body[start - 2] == b'\r',
    };
    if body.get(start) == Some(&b'.') && after_crlf {
        window.push(start);
        found += 1;
    }
    for lf in memchr::memchr_iter(b'\n', &body[start..end]).map(|i| i + start) {
        if lf == 0 || body[lf - 1] != b'\r' {
            // A bare LF; a dot after it rides on its edit.
            window.push(lf);
            found += 1 + usize::from(body.get(lf + 1) == Some(&b'.'));
        } else if lf + 1 < end && body[lf + 1] == b'.' {
            window.push(lf + 1);
            found += 1;
        }
    }
    found
}

/// The line end to add when a message does not end with one: nothing after
/// LF, LF after a trailing CR, CRLF otherwise (and nothing for an empty
/// message, whose response is the bare terminator).
fn final_line_end(message: &[u8]) -> &'static [u8] {
    match message.last() {
        None | Some(b'\n') => b"",
        Some(b'\r') => b"\n",
        Some(_) => b"\r\n",
    }
}

/// Counts the octets stuffing adds to a body: one per bare LF, and (when
/// `stuff` is set) one per line that starts with `.`.
fn count_edits(body: &[u8], stuff: bool) -> usize {
    let mut edits = 0usize;
    for start in (0..body.len()).step_by(BLOCK) {
        let (bare_lf, dot_line) = block_edits(body, start);
        edits += bare_lf as usize;
        if stuff {
            edits += dot_line as usize;
        }
    }
    edits
}

/// Length of what `TOP msg n` sends of `message` (RFC 1939 §7): the header,
/// the blank line after it, and the first `lines` lines of the body. A
/// message without a blank line is all header; asking for more lines than
/// the body has gives the whole message.
pub fn top_len(message: &[u8], lines: u64) -> usize {
    let mut line_ends = memchr::memchr_iter(b'\n', message);
    // The header ends with the first empty line ("\n" or "\r\n" alone).
    let mut line_start = 0;
    let header_end = loop {
        let Some(lf) = line_ends.next() else {
            return message.len();
        };
        let line = &message[line_start..lf];
        line_start = lf + 1;
        if line.is_empty() || line == b"\r" {
            break line_start;
        }
    };
    let mut end = header_end;
    for _ in 0..lines {
        match line_ends.next() {
            Some(lf) => end = lf + 1,
            None => return message.len(),
        }
    }
    end
}

/// Removes byte-stuffing and the terminator from a multi-line body, as a
/// client does (RFC 1939 §3). Returns `None` when the terminator is missing.
pub fn unstuff(wire: &[u8]) -> Option<Vec<u8>> {
    match crate::pop3::response::parse_multiline(wire) {
        crate::Status::Complete((_, body)) => Some(body),
        crate::Status::Partial => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(message: &'static [u8]) -> Vec<u8> {
        let mut s = Stuffed::new(Bytes::from_static(message));
        let expected = s.remaining();
        let out = s.copy_to_bytes(expected).to_vec();
        assert_eq!(s.remaining(), 0);
        out
    }

    #[test]
    fn rfc1939_3_byte_stuffing() {
        assert_eq!(
            wire(b"a\r\n.b\r\n..\r\n.\r\n"),
            b"a\r\n..b\r\n...\r\n..\r\n.\r\n"
        );
        assert_eq!(wire(b".first\r\n"), b"..first\r\n.\r\n");
    }

    #[test]
    fn bare_lf_becomes_crlf_and_final_line_end_is_added() {
        assert_eq!(wire(b"a\nb\n"), b"a\r\nb\r\n.\r\n");
        assert_eq!(wire(b"a\n.b"), b"a\r\n..b\r\n.\r\n");
        assert_eq!(wire(b"a\r"), b"a\r\n.\r\n");
        assert_eq!(wire(b"\n\n"), b"\r\n\r\n.\r\n");
        assert_eq!(wire(b""), b".\r\n");
        assert_eq!(wire(b"a\rb\r\n"), b"a\rb\r\n.\r\n");
    }

    #[test]
    fn rfc1939_11_wire_size_counts_lf_as_two() {
        assert_eq!(wire_size(b"a\r\nb\r\n"), 6);
        assert_eq!(wire_size(b"a\nb\n"), 6);
        assert_eq!(wire_size(b".a\n"), 4, "stuffing is not counted");
        assert_eq!(wire_size(b"abc"), 5, "the added CRLF is counted");
        assert_eq!(wire_size(b""), 0);
    }

    #[test]
    fn rfc1939_7_top_cuts_header_blank_line_and_n_lines() {
        let m = b"Subject: x\r\nFrom: y\r\n\r\nline 1\r\nline 2\r\nline 3\r\n";
        assert_eq!(&m[..top_len(m, 0)], b"Subject: x\r\nFrom: y\r\n\r\n");
        assert_eq!(
            &m[..top_len(m, 2)],
            b"Subject: x\r\nFrom: y\r\n\r\nline 1\r\nline 2\r\n"
        );
        assert_eq!(top_len(m, 3), m.len());
        assert_eq!(top_len(m, 99), m.len());
        let lf = b"Subject: x\n\nbody\n";
        assert_eq!(&lf[..top_len(lf, 0)], b"Subject: x\n\n");
        let headers_only = b"Subject: only headers\r\n";
        assert_eq!(top_len(headers_only, 0), headers_only.len());
        assert_eq!(top_len(b"\r\nbody\r\n", 0), 2, "no header at all");
        let unterminated = b"Subject: x\r\n\r\nno final newline";
        assert_eq!(top_len(unterminated, 5), unterminated.len());
    }

    #[test]
    fn chunks_are_slices_of_the_message_not_copies() {
        let message = Bytes::from(b"Subject: t\n\n.dot\nplain\r\n..two\nlast".to_vec());
        let range = message.as_ptr() as usize..message.as_ptr() as usize + message.len();
        let mut s = Stuffed::new(message.clone());
        let mut out = Vec::new();
        let mut from_message = 0;
        while let Some(chunk) = s.next_bytes() {
            let p = chunk.as_ptr() as usize;
            if range.contains(&p) {
                from_message += chunk.len();
            } else {
                assert!(
                    chunk.len() <= 5,
                    "only small inserts are not from the message"
                );
            }
            out.extend_from_slice(&chunk);
        }
        // Every octet but the 4 bare LFs (sent as static CRLFs) comes from the message.
        assert_eq!(from_message, message.len() - 4);
        assert_eq!(
            out,
            b"Subject: t\r\n\r\n..dot\r\nplain\r\n...two\r\nlast\r\n.\r\n"
        );
    }

    #[test]
    fn edit_window_refills_across_a_large_body() {
        // 30,000 insertion points: far more than one window holds.
        let body: Vec<u8> = b".\n".repeat(15_000);
        let mut s = Stuffed::new(Bytes::from(body));
        assert!(s.window.len() <= EDIT_WINDOW + BLOCK);
        let n = s.remaining();
        let wire = s.copy_to_bytes(n);
        assert_eq!(
            &wire[..],
            [&b"..\r\n".repeat(15_000)[..], b".\r\n"].concat()
        );
    }

    /// Profiled on `cargo bench --bench pop3`: the block count must agree with the edit
    /// points found, across block edges (a CRLF at a block's end and a dot at the next one's
    /// start; a bare LF there), for every offset.
    #[test]
    fn edits_across_block_edges_at_every_offset() {
        for lead in 0..130 {
            for tail in [&b"\r\n.x"[..], b"\n.x", b"\n\n", b"\r\n\r\n.", b"."] {
                let mut m = vec![b'a'; lead];
                m.extend_from_slice(tail);
                m.extend_from_slice(b"\r\nend");
                let mut s = Stuffed::new(Bytes::from(m.clone()));
                let n = s.remaining();
                let wire = s.copy_to_bytes(n);
                let mut expected = Vec::new();
                let mut line_start = true;
                for (i, &b) in m.iter().enumerate() {
                    if line_start && b == b'.' {
                        expected.push(b'.');
                    }
                    if b == b'\n' && (i == 0 || m[i - 1] != b'\r') {
                        expected.push(b'\r');
                    }
                    expected.push(b);
                    line_start = b == b'\n';
                }
                expected.extend_from_slice(b"\r\n.\r\n");
                assert_eq!(&wire[..], &expected[..], "lead {lead} tail {tail:?}");
            }
        }
    }

    /// Profiled on `cargo bench --bench pop3`: per-chunk bookkeeping dominates RETR of
    /// LF-stored messages, so a bare LF and the dot of the line after it are one insert.
    #[test]
    fn a_bare_lf_and_the_next_lines_dot_are_one_insert() {
        let mut s = Stuffed::new(Bytes::from_static(b"ab\n.cd\nef\r\n.gh"));
        let mut chunks = Vec::new();
        while let Some(c) = s.next_bytes() {
            chunks.push(c);
        }
        let chunks: Vec<&[u8]> = chunks.iter().map(|c| &c[..]).collect();
        assert_eq!(
            chunks,
            [
                &b"ab"[..],
                b"\r\n.",
                b".cd",
                b"\r\n",
                b"ef\r\n",
                b".",
                b".gh",
                b"\r\n.\r\n"
            ]
        );
        // Partial advances inside a multi-octet insert.
        let mut s = Stuffed::new(Bytes::from_static(b"a\n.b"));
        s.advance(2);
        assert_eq!(s.chunk(), b"\n.");
        s.advance(1);
        assert_eq!(s.chunk(), b".");
        s.advance(1);
        assert_eq!(s.chunk(), b".b");
    }

    #[test]
    fn scanning_stops_once_every_counted_edit_is_found() {
        let mut body = b".first\r\n".to_vec();
        body.extend(b"a CRLF line of text\r\n".repeat(10_000));
        let mut s = Stuffed::new(Bytes::from(body.clone()));
        assert_eq!(s.window, [0]);
        assert_eq!(s.scanned, body.len(), "the rest is not scanned again");
        let n = s.remaining();
        let wire = s.copy_to_bytes(n);
        assert_eq!(&wire[..], [b".", &body[..], b".\r\n"].concat());
        let clean = b"no edits at all\r\n".repeat(100);
        let s = Stuffed::new(Bytes::from(clean.clone()));
        assert!(s.window.is_empty());
        assert_eq!(s.scanned, clean.len());
    }

    /// The wire form RFC 1939 asks for, octet by octet: the reference for the tests.
    fn reference(m: &[u8]) -> Vec<u8> {
        let mut expected = Vec::new();
        let mut line_start = true;
        for (i, &b) in m.iter().enumerate() {
            if line_start && b == b'.' {
                expected.push(b'.');
            }
            if b == b'\n' && (i == 0 || m[i - 1] != b'\r') {
                expected.push(b'\r');
            }
            expected.push(b);
            line_start = b == b'\n';
        }
        expected.extend_from_slice(final_line_end(m));
        expected.extend_from_slice(b".\r\n");
        expected
    }

    /// Paragraphs of CRLF lines (no edits), of LF lines and of dot lines, of every
    /// length, over several windows: the one-pass count-and-find of the first window,
    /// its runs of blocks searched together, and the later refills agree with the
    /// octet-by-octet reference.
    #[test]
    fn mixed_paragraphs_over_several_windows_match_the_reference() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..8 {
            let mut m = Vec::new();
            while m.len() < 150_000 {
                let kind = next(4);
                for _ in 0..next(40) {
                    if kind == 3 || next(8) == 0 {
                        m.push(b'.');
                    }
                    m.extend(std::iter::repeat_n(b'x', next(150) as usize));
                    match kind {
                        0 => m.extend_from_slice(b"\r\n"),
                        _ => m.push(b'\n'),
                    }
                }
            }
            let expected = reference(&m);
            let mut s = Stuffed::new(Bytes::from(m.clone()));
            assert_eq!(s.remaining(), expected.len());
            assert!(s.window.len() <= EDIT_WINDOW + BLOCK);
            let mut out = Vec::new();
            while s.has_remaining() {
                let before = out.len();
                s.gather(
                    &mut out,
                    before + 1 + next(5000) as usize,
                    1 + next(3000) as usize,
                );
                if out.len() == before {
                    out.extend_from_slice(&s.next_bytes().unwrap());
                }
                assert_eq!(s.remaining(), expected.len() - out.len());
            }
            assert!(out == expected);
            let mut s = Stuffed::new(Bytes::from(m));
            let n = s.remaining();
            assert!(s.copy_to_bytes(n) == expected);
        }
    }

    /// `gather` hands out what `chunk`/`advance` do, whatever the limits, and stops only
    /// at a long run or a full buffer.
    #[test]
    fn gather_copies_what_the_buf_view_hands_out() {
        let mut messages: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"a".to_vec(),
            b".\n.\n..\r\n.".to_vec(),
            b".\n".repeat(1500),
        ];
        for lead in [0, 1, 62, 63, 64, 65, 127, 128] {
            let mut m = vec![b'a'; lead];
            m.extend_from_slice(b"\n.x\r\n.y\nz");
            m.extend_from_slice(&vec![b'b'; 300]);
            messages.push(m);
        }
        for message in messages {
            let mut view = Stuffed::new(Bytes::from(message.clone()));
            let n = view.remaining();
            let expected = view.copy_to_bytes(n);
            for large in [1, 2, 3, 64, 200, usize::MAX] {
                for max in [1, 3, 100, 1 << 20] {
                    let mut s = Stuffed::new(Bytes::from(message.clone()));
                    let mut out = Vec::new();
                    while s.has_remaining() {
                        let mut batch = Vec::new();
                        s.gather(&mut batch, max, large);
                        assert!(batch.len() <= max);
                        if batch.is_empty() {
                            let run = s.chunk().len();
                            assert!(run >= large, "stopped at a run of {run} < {large}");
                            let piece = s.next_bytes().unwrap();
                            out.extend_from_slice(&piece);
                        }
                        out.extend_from_slice(&batch);
                        assert_eq!(s.remaining(), n - out.len());
                    }
                    assert_eq!(
                        &out[..],
                        &expected[..],
                        "{message:?} large {large} max {max}"
                    );
                }
            }
        }
    }

    #[test]
    fn vectored_chunks_cover_everything() {
        let mut s = Stuffed::new(Bytes::from_static(b"a\n.b\nc"));
        let mut slices = [IoSlice::new(&[]); 16];
        let n = s.chunks_vectored(&mut slices);
        let joined: Vec<u8> = slices[..n].iter().flat_map(|s| s.iter().copied()).collect();
        assert_eq!(joined, b"a\r\n..b\r\nc\r\n.\r\n");
        assert_eq!(joined.len(), s.remaining());
        s.advance(3);
        assert_eq!(s.chunk(), b".");
    }
}
