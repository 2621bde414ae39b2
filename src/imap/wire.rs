//! Message data as an IMAP literal carries it (RFC 3501 §4.3, §6.4.5).
//!
//! Stores keep messages with bare LF line ends and, now and then, with NUL octets; the wire
//! needs CRLF (RFC 3501 §2.2, and `BODY[]<partial>` counts wire octets) and a `literal` holds
//! no NUL (`CHAR8 = %x01-ff`, §9). [`WireBody`] serves a window of that wire form as a
//! [`bytes::Buf`]: a CR before each bare LF, and 0x80 in place of each NUL (as Dovecot sends
//! them). Its length is counted up front (one `memchr2` pass), so the literal can be
//! announced before a byte goes out.
//!
//! Three forms, by cost:
//! - a window that needs no edit is the host's `Bytes`, sliced, never copied;
//! - one that needs edits and is at most [`CONVERT_MAX`] wire octets is converted into one
//!   buffer in a single pass ([`WireBody::into_converted`]): a 20 KB message of 70-octet
//!   lines would otherwise go out as some 600 slices, whose bookkeeping cost ten times the
//!   copy;
//! - a larger one is served as slices of the message between static inserts, with edit
//!   points found a window at a time, so memory stays bounded for any message.

use std::io::IoSlice;

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// How many edit points are looked for at once.
const EDIT_WINDOW: usize = 512;

/// Bodies needing edits up to this many wire octets are converted into one buffer.
pub(crate) const CONVERT_MAX: usize = 256 * 1024;

/// What a NUL octet is sent as (RFC 3501 §9: a literal is `*CHAR8`, which excludes NUL).
const NUL_REPLACEMENT: &[u8] = b"\x80";

/// A window of the wire form of some message bytes (see the module docs).
#[derive(Clone)]
pub(crate) struct WireBody {
    bytes: Bytes,
    /// Next raw octet to send.
    pos: usize,
    /// Raw end of the window.
    end: usize,
    /// Sent before `bytes[pos..]`: `"\n"` when the window starts between an inserted CR and
    /// its LF.
    head: &'static [u8],
    /// Sent after `bytes[..end]`: `"\r"` when the window ends between an inserted CR and its
    /// LF.
    tail: &'static [u8],
    /// The window needs no edit (no bare LF, no NUL, no cut insert).
    plain: bool,
    /// The next edit points (raw offsets of bare LFs and NULs), ascending.
    window: Vec<usize>,
    next_edit: usize,
    /// Raw offset up to which edit points have been found.
    scanned: usize,
    insert_sent: usize,
    head_sent: usize,
    tail_sent: usize,
    remaining: usize,
}

/// What an octet of a message needs on the wire.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Edit {
    /// A bare LF: CR LF.
    BareLf,
    /// A NUL: 0x80.
    Nul,
}

/// The edit the octet at `at` needs, if any (an LF at offset 0 is bare).
#[inline]
fn edit_at(body: &[u8], at: usize) -> Option<Edit> {
    match body.get(at) {
        Some(0) => Some(Edit::Nul),
        Some(b'\n') if at == 0 || body.get(at - 1) != Some(&b'\r') => Some(Edit::BareLf),
        _ => None,
    }
}

/// The edit points of `body[from..to]`, ascending: one `memchr2` pass, so the cost is in
/// the line ends, not in the octets.
fn edits(body: &[u8], from: usize, to: usize) -> impl Iterator<Item = (usize, Edit)> + '_ {
    let window = body.get(from..to).unwrap_or_default();
    memchr::memchr2_iter(b'\n', 0, window).filter_map(move |i| {
        let at = from + i;
        edit_at(body, at).map(|e| (at, e))
    })
}

/// Bare LFs in `body[from..to]`, and whether it holds a NUL.
fn count_edits(body: &[u8], from: usize, to: usize) -> (usize, bool) {
    edits(body, from, to).fold((0, false), |(lfs, nul), (_, e)| match e {
        Edit::BareLf => (lfs + 1, nul),
        Edit::Nul => (lfs, true),
    })
}

/// The length of `bytes` in wire form (RFC 3501 §6.4.5 RFC822.SIZE: each bare LF counted as
/// CRLF), counted without a copy.
pub(crate) fn wire_len(bytes: &[u8]) -> u64 {
    (bytes.len() + count_edits(bytes, 0, bytes.len()).0) as u64
}

/// The raw offset whose wire offset is `target`, walking from raw `raw` at wire `wire`:
/// `(offset, true)` when `target` falls between the CR inserted before the bare LF at
/// `offset` and that LF.
fn raw_at(body: &[u8], mut raw: usize, mut wire: u64, target: u64) -> (usize, bool) {
    for (at, edit) in edits(body, raw, body.len()) {
        if edit != Edit::BareLf {
            continue; // a NUL's replacement is one octet, as the NUL
        }
        // The octets before the LF map one to one.
        let run = (at - raw) as u64;
        if wire + run >= target {
            break;
        }
        wire += run;
        // The bare LF: CR at `wire`, LF at `wire + 1`.
        if wire + 1 == target {
            return (at, true);
        }
        wire += 2;
        raw = at + 1;
    }
    let step = usize::try_from(target.saturating_sub(wire)).unwrap_or(usize::MAX);
    (raw.saturating_add(step).min(body.len()), false)
}

/// Appends the wire form of `body[from..to]` to `out`.
fn put_wire(body: &[u8], from: usize, to: usize, out: &mut BytesMut) {
    let mut run = from;
    for (at, edit) in edits(body, from, to) {
        out.put_slice(body.get(run..at).unwrap_or_default());
        out.put_slice(match edit {
            Edit::BareLf => b"\r\n",
            Edit::Nul => NUL_REPLACEMENT,
        });
        run = at + 1;
    }
    out.put_slice(body.get(run..to).unwrap_or_default());
}

/// Message data in wire form, ready for the output: whole (the host's bytes when they need
/// no edit, else converted in one pass) or, past [`CONVERT_MAX`], sliced.
pub(crate) enum WireForm {
    /// One buffer: a slice of the host's bytes, or their converted copy.
    Whole(Bytes),
    /// Slices of the host's bytes between static inserts.
    Sliced(WireBody),
}

impl WireForm {
    /// The wire form of `bytes`, cut to `partial` as [`WireBody::new`] cuts it.
    pub(crate) fn new(bytes: Bytes, partial: Option<(u64, u64)>) -> WireForm {
        let len = bytes.len();
        if partial.is_none() {
            // One pass when no window is cut: up to the first edit to learn that there
            // is one, then converting, which finds the same edits again in cache.
            let first_edit = edits(&bytes, 0, len).next();
            match first_edit {
                None => return WireForm::Whole(bytes),
                Some(_) if len <= CONVERT_MAX => {
                    let mut out = BytesMut::with_capacity(len + len / 16 + 8);
                    put_wire(&bytes, 0, len, &mut out);
                    return WireForm::Whole(out.freeze());
                }
                Some(_) => {}
            }
        }
        let body = WireBody::new(bytes, partial);
        if body.is_plain() {
            WireForm::Whole(body.into_plain())
        } else if body.remaining() <= CONVERT_MAX {
            WireForm::Whole(body.into_converted())
        } else {
            WireForm::Sliced(body)
        }
    }

    /// Its length in octets: the literal's announced size.
    pub(crate) fn len(&self) -> usize {
        match self {
            WireForm::Whole(b) => b.len(),
            WireForm::Sliced(w) => w.remaining(),
        }
    }
}

impl std::fmt::Debug for WireBody {
    /// Sizes only, never the message.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WireBody")
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}

impl WireBody {
    /// The wire form of `bytes`, cut to `partial` = `(origin, length)` in wire octets
    /// (RFC 3501 §6.4.5 `<origin.length>`: past the end gives nothing, a window running past
    /// the end is cut there).
    pub(crate) fn new(bytes: Bytes, partial: Option<(u64, u64)>) -> WireBody {
        let len = bytes.len();
        let (pos, head, end, tail) = match partial {
            None => (0, &b""[..], len, &b""[..]),
            Some((origin, length)) => {
                let wire_len = wire_len(&bytes);
                let first = origin.min(wire_len);
                let last = origin.saturating_add(length).min(wire_len);
                let (start, mid_start) = raw_at(&bytes, 0, 0, first);
                let (pos, head): (usize, &'static [u8]) = match mid_start {
                    true => (start + 1, b"\n"),
                    false => (start, b""),
                };
                // Walk on from the window's start (its wire offset is `first`).
                let (stop, mid_end) = raw_at(&bytes, start, first - u64::from(mid_start), last);
                let tail: &'static [u8] = if mid_end && last > first { b"\r" } else { b"" };
                let end = if last == first { pos } else { stop.max(pos) };
                (pos, head, end, tail)
            }
        };
        let (bare, nul) = count_edits(&bytes, pos, end);
        let mut body = WireBody {
            remaining: head.len() + (end - pos) + bare + tail.len(),
            plain: bare == 0 && !nul && head.is_empty() && tail.is_empty(),
            bytes,
            pos,
            end,
            head,
            tail,
            window: Vec::new(),
            next_edit: 0,
            scanned: pos,
            insert_sent: 0,
            head_sent: 0,
            tail_sent: 0,
        };
        if body.plain {
            body.scanned = end;
        } else {
            body.refill();
        }
        body
    }

    /// `true` when the wire form is the raw window itself (no bare LF, no NUL, no cut
    /// insert): it can then go out as one plain slice.
    pub(crate) fn is_plain(&self) -> bool {
        self.plain
    }

    /// The raw window, for [`is_plain`](Self::is_plain) bodies.
    pub(crate) fn into_plain(self) -> Bytes {
        self.bytes.slice(self.pos..self.end)
    }

    /// The whole (unsent) wire form in one buffer, converted in one pass: for bodies of
    /// up to [`CONVERT_MAX`] octets that need edits.
    pub(crate) fn into_converted(self) -> Bytes {
        let mut out = BytesMut::with_capacity(self.remaining);
        out.put_slice(self.head.get(self.head_sent..).unwrap_or_default());
        put_wire(&self.bytes, self.pos, self.end, &mut out);
        out.put_slice(self.tail.get(self.tail_sent..).unwrap_or_default());
        out.freeze()
    }

    /// Takes the next chunk as an owned `Bytes`: a slice of the message or a static insert.
    pub(crate) fn next_bytes(&mut self) -> Option<Bytes> {
        let chunk = self.chunk();
        if chunk.is_empty() {
            return None;
        }
        let n = chunk.len();
        let taken = if self.head_sent < self.head.len() || self.edit() == Some(self.pos) {
            // A static insert, or the head/tail, both 'static.
            Bytes::from_static(self.static_chunk())
        } else if self.pos < self.end {
            self.bytes.slice(self.pos..self.pos + n)
        } else {
            Bytes::from_static(self.static_chunk())
        };
        self.advance(n);
        Some(taken)
    }

    /// The current chunk when it is not a slice of the message.
    fn static_chunk(&self) -> &'static [u8] {
        if self.head_sent < self.head.len() {
            return self.head.get(self.head_sent..).unwrap_or_default();
        }
        match self.edit() {
            Some(at) if at == self.pos => {
                self.insert(at).get(self.insert_sent..).unwrap_or_default()
            }
            _ => self.tail.get(self.tail_sent..).unwrap_or_default(),
        }
    }

    /// Finds the next window of edit points once the current one is used up.
    fn refill(&mut self) {
        if self.next_edit < self.window.len() || self.scanned >= self.end {
            return;
        }
        self.window.clear();
        self.next_edit = 0;
        let mut scanned = self.end;
        for (at, _) in edits(&self.bytes, self.scanned, self.end) {
            self.window.push(at);
            if self.window.len() == EDIT_WINDOW {
                scanned = at + 1;
                break;
            }
        }
        self.scanned = scanned;
    }

    #[inline]
    fn edit(&self) -> Option<usize> {
        self.window.get(self.next_edit).copied()
    }

    /// What an edit at `at` sends in place of the raw octet there.
    #[inline]
    fn insert(&self, at: usize) -> &'static [u8] {
        match self.bytes.get(at) {
            Some(0) => NUL_REPLACEMENT,
            _ => b"\r\n",
        }
    }

    #[inline]
    fn run_end(&self) -> usize {
        self.edit().unwrap_or(self.end)
    }
}

impl Buf for WireBody {
    #[inline]
    fn remaining(&self) -> usize {
        self.remaining
    }

    fn chunk(&self) -> &[u8] {
        if self.head_sent < self.head.len() {
            return self.head.get(self.head_sent..).unwrap_or_default();
        }
        match self.edit() {
            Some(at) if at == self.pos => {
                return self.insert(at).get(self.insert_sent..).unwrap_or_default();
            }
            _ => {}
        }
        match self.bytes.get(self.pos..self.run_end()) {
            Some(run) if !run.is_empty() => run,
            _ => self.tail.get(self.tail_sent..).unwrap_or_default(),
        }
    }

    fn advance(&mut self, mut cnt: usize) {
        cnt = cnt.min(self.remaining);
        self.remaining -= cnt;
        while cnt > 0 {
            if self.head_sent < self.head.len() {
                let step = cnt.min(self.head.len() - self.head_sent);
                self.head_sent += step;
                cnt -= step;
                continue;
            }
            match self.edit() {
                Some(at) if at == self.pos => {
                    let insert = self.insert(at);
                    let step = cnt.min(insert.len() - self.insert_sent);
                    self.insert_sent += step;
                    cnt -= step;
                    if self.insert_sent == insert.len() {
                        self.insert_sent = 0;
                        self.next_edit += 1;
                        self.pos += 1;
                        self.refill();
                    }
                }
                _ if self.pos < self.end => {
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
        if filled < dst.len() && self.head_sent < self.head.len() {
            dst[filled] = IoSlice::new(self.head.get(self.head_sent..).unwrap_or_default());
            filled += 1;
        }
        let (mut pos, mut edit, mut sent) = (self.pos, self.next_edit, self.insert_sent);
        while filled < dst.len() && pos < self.end {
            let next = match self.window.get(edit) {
                Some(&at) => at,
                None if self.scanned < self.end => return filled,
                None => self.end,
            };
            if next == pos {
                let insert = self.insert(pos);
                dst[filled] = IoSlice::new(insert.get(sent..).unwrap_or_default());
                sent = 0;
                edit += 1;
                pos += 1;
            } else {
                dst[filled] = IoSlice::new(self.bytes.get(pos..next).unwrap_or_default());
                pos = next;
            }
            filled += 1;
        }
        if filled < dst.len() && pos >= self.end && self.tail_sent < self.tail.len() {
            dst[filled] = IoSlice::new(self.tail.get(self.tail_sent..).unwrap_or_default());
            filled += 1;
        }
        filled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wire form the slow way: CR before each bare LF, 0x80 for NUL.
    fn reference(raw: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, &b) in raw.iter().enumerate() {
            match b {
                b'\n' if i == 0 || raw[i - 1] != b'\r' => out.extend_from_slice(b"\r\n"),
                0 => out.push(0x80),
                b => out.push(b),
            }
        }
        out
    }

    fn drain(mut body: WireBody, piece: usize) -> Vec<u8> {
        let expected = body.remaining();
        let mut out = Vec::new();
        while body.has_remaining() {
            let chunk = body.chunk();
            assert!(
                !chunk.is_empty(),
                "empty chunk with {} left",
                body.remaining()
            );
            let n = chunk.len().min(piece);
            out.extend_from_slice(&chunk[..n]);
            body.advance(n);
        }
        assert_eq!(out.len(), expected);
        out
    }

    fn vectored(body: &WireBody) -> Vec<u8> {
        let mut slices = [IoSlice::new(&[]); 4096];
        let n = body.chunks_vectored(&mut slices);
        slices[..n].iter().flat_map(|s| s.to_vec()).collect()
    }

    #[test]
    fn rfc3501_2_2_bare_lf_goes_out_as_crlf_and_nul_as_0x80() {
        let raw = b"Subject: x\n\nline\r\nmix\nnul\0here\n\n";
        let body = WireBody::new(Bytes::from_static(raw), None);
        assert!(!body.is_plain());
        assert_eq!(vectored(&body), reference(raw));
        assert_eq!(drain(body, usize::MAX), reference(raw));
        let crlf = WireBody::new(Bytes::from_static(b"a\r\nb\r\n"), None);
        assert!(crlf.is_plain());
        assert_eq!(&crlf.into_plain()[..], b"a\r\nb\r\n");
    }

    /// RFC 3501 §6.4.5: `<origin.length>` counts wire octets, so a window may start or end
    /// between a CR that pobox inserts and its LF. Every window of a mixed message, drained
    /// in pieces of every size, is the slice of the reference wire form.
    #[test]
    fn rfc3501_6_4_5_every_partial_window_is_a_slice_of_the_wire_form() {
        let mut raw = Vec::new();
        for i in 0..40u8 {
            raw.extend_from_slice(match i % 5 {
                0 => &b"ab\n"[..],
                1 => b"\r\n",
                2 => b"\n\n",
                3 => b"x\0y\r",
                _ => b"0123456789012345678901234567890123456789012345678901234567890123\n",
            });
        }
        let wire = reference(&raw);
        let bytes = Bytes::from(raw);
        for origin in (0..wire.len() as u64 + 3).step_by(7).chain([0, 1, 2, 3]) {
            for length in [1u64, 2, 3, 5, 64, 65, 130, 1000] {
                let o = (origin as usize).min(wire.len());
                let e = (origin.saturating_add(length) as usize).min(wire.len());
                let expected = &wire[o..e];
                let body = WireBody::new(bytes.clone(), Some((origin, length)));
                assert_eq!(body.remaining(), expected.len(), "<{origin}.{length}>");
                assert_eq!(vectored(&body), expected, "<{origin}.{length}> vectored");
                let converted = body.clone().into_converted();
                assert_eq!(&converted[..], expected, "<{origin}.{length}> converted");
                for piece in [1, 3, usize::MAX] {
                    let got = drain(body.clone(), piece);
                    assert_eq!(got, expected, "<{origin}.{length}> in pieces of {piece}");
                }
            }
        }
    }

    /// The three forms: CRLF data is the host's buffer itself, small LF data one converted
    /// buffer, large LF data slices (memory bounded by the edit window, not the message).
    #[test]
    fn wire_forms_by_size_and_content() {
        let crlf = Bytes::from_static(b"Subject: a\r\n\r\nbody\r\n");
        match WireForm::new(crlf.clone(), None) {
            WireForm::Whole(b) => assert_eq!(b.as_ptr(), crlf.as_ptr(), "not copied"),
            WireForm::Sliced(_) => panic!("CRLF data sliced"),
        }
        let lf = Bytes::from_static(b"Subject: a\n\nbo\0dy\n");
        match WireForm::new(lf.clone(), None) {
            WireForm::Whole(b) => assert_eq!(&b[..], &reference(&lf)[..]),
            WireForm::Sliced(_) => panic!("small LF data sliced"),
        }
        let big = Bytes::from(b"a line\n".repeat(CONVERT_MAX / 4));
        let form = WireForm::new(big.clone(), None);
        assert_eq!(form.len(), reference(&big).len());
        match form {
            WireForm::Sliced(body) => assert_eq!(drain(body, usize::MAX), reference(&big)),
            WireForm::Whole(_) => panic!("large LF data converted whole"),
        }
        let window = WireForm::new(lf.clone(), Some((3, 12)));
        assert_eq!(window.len(), 12);
    }

    #[test]
    fn large_bodies_refill_the_edit_window_without_copying() {
        let raw: Vec<u8> = b"x\n".repeat(10_000);
        let bytes = Bytes::from(raw.clone());
        let start = bytes.as_ptr() as usize;
        let mut body = WireBody::new(bytes.clone(), None);
        assert_eq!(body.remaining(), 30_000);
        let mut out = Vec::new();
        while body.has_remaining() {
            let c = body.chunk();
            let p = c.as_ptr() as usize;
            // Every chunk is a slice of the message or a static insert.
            assert!((start..start + raw.len()).contains(&p) || c == b"\r\n");
            out.extend_from_slice(c);
            let n = c.len();
            body.advance(n);
        }
        assert_eq!(out, reference(&raw));
        assert!(body.window.capacity() <= 2 * EDIT_WINDOW);
    }
}

#[cfg(test)]
mod vectored_tests {
    use super::*;

    /// Drains a body the way a host writes it: `chunks_vectored` into up to 1,024 slices,
    /// then `advance` by what the kernel took (here: all but the last 7 octets, or all).
    #[test]
    fn vectored_writes_with_partial_advances_give_the_wire_form() {
        let mut raw = Vec::new();
        for i in 0..12_000 {
            raw.extend_from_slice(format!(".{i:05} a line\n").as_bytes());
        }
        let expected = {
            let mut out = Vec::new();
            for &b in &raw {
                if b == b'\n' {
                    out.push(b'\r');
                }
                out.push(b);
            }
            out
        };
        let mut body = WireBody::new(Bytes::from(raw), None);
        let mut out = Vec::new();
        let mut round = 0;
        while body.has_remaining() {
            let mut slices = [IoSlice::new(&[]); 1024];
            let n = body.chunks_vectored(&mut slices);
            assert!(n > 0, "no slices with {} left", body.remaining());
            let got: Vec<u8> = slices[..n].iter().flat_map(|s| s.to_vec()).collect();
            let take = if round % 2 == 0 {
                got.len().saturating_sub(7).max(1)
            } else {
                got.len()
            };
            out.extend_from_slice(&got[..take]);
            body.advance(take);
            round += 1;
        }
        assert_eq!(out.len(), expected.len());
        assert!(out == expected);
    }
}
