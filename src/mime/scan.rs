//! Line scanning over raw message bytes, for bare-LF and CRLF messages alike.
//!
//! RFC 5322 §2.1 lines end in CRLF; messages stored on disk often end lines
//! in a bare LF. Every scanner here accepts both and remembers how long each
//! terminator was, so that ranges stay exact slices of the original bytes and
//! sizes can be converted to what the wire (CRLF) sees (RFC 3501 §7.4.2
//! body-fld-octets).

use std::ops::Range;

/// One line of the input: `start..end` is its content without terminator,
/// `next` is where the following line starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Line {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) next: usize,
}

impl Line {
    /// Length of the line terminator: 2 (CRLF), 1 (bare LF) or 0 (end of input).
    pub(crate) fn terminator_len(&self) -> usize {
        self.next - self.end
    }
}

/// The line that starts at `pos`, or `None` at the end of `buf`.
pub(crate) fn line_at(buf: &[u8], pos: usize) -> Option<Line> {
    let rest = buf.get(pos..)?;
    if rest.is_empty() {
        return None;
    }
    match memchr::memchr(b'\n', rest) {
        Some(i) => {
            let nl = pos + i;
            let end = if i > 0 && rest[i - 1] == b'\r' {
                nl - 1
            } else {
                nl
            };
            Some(Line {
                start: pos,
                end,
                next: nl + 1,
            })
        }
        None => Some(Line {
            start: pos,
            end: buf.len(),
            next: buf.len(),
        }),
    }
}

/// Bytes per block of the [`LineIndex`].
const BLOCK: usize = 4096;

/// Counts of line feeds and bare line feeds, so that the wire size and the
/// line count of any range cost O(1) blocks instead of a rescan.
///
/// Memory is two `u64` per 4 KiB of message; a query scans at most two
/// partial blocks. Built once per message in linear time.
#[derive(Debug, Clone, Default)]
pub(crate) struct LineIndex {
    /// `lf[i]`: number of `\n` in `buf[..i * BLOCK]`.
    lf: Vec<u64>,
    /// `bare[i]`: number of `\n` not preceded by `\r` in `buf[..i * BLOCK]`.
    bare: Vec<u64>,
    /// No bare LF anywhere: the raw bytes are already the wire form.
    pub(crate) all_crlf: bool,
}

impl LineIndex {
    pub(crate) fn new(buf: &[u8]) -> LineIndex {
        let blocks = buf.len() / BLOCK + 1;
        let mut lf = Vec::with_capacity(blocks + 1);
        let mut bare = Vec::with_capacity(blocks + 1);
        let (mut n_lf, mut n_bare) = (0u64, 0u64);
        lf.push(0);
        bare.push(0);
        for (b, chunk) in buf.chunks(BLOCK).enumerate() {
            let base = b * BLOCK;
            for i in memchr::memchr_iter(b'\n', chunk) {
                n_lf += 1;
                if base + i == 0 || buf.get(base + i - 1) != Some(&b'\r') {
                    n_bare += 1;
                }
            }
            lf.push(n_lf);
            bare.push(n_bare);
        }
        LineIndex {
            lf,
            bare,
            all_crlf: n_bare == 0,
        }
    }

    fn count(&self, buf: &[u8], range: &Range<usize>, bare_only: bool) -> u64 {
        let table = if bare_only { &self.bare } else { &self.lf };
        let start = range.start.min(buf.len());
        let end = range.end.min(buf.len()).max(start);
        let scan = |from: usize, to: usize| -> u64 {
            let mut n = 0u64;
            if let Some(slice) = buf.get(from..to) {
                for i in memchr::memchr_iter(b'\n', slice) {
                    let at = from + i;
                    if !bare_only || at == 0 || buf.get(at - 1) != Some(&b'\r') {
                        n += 1;
                    }
                }
            }
            n
        };
        let first_full = start.div_ceil(BLOCK);
        let last_full = end / BLOCK;
        if first_full >= last_full {
            return scan(start, end);
        }
        let head = scan(start, first_full * BLOCK);
        let tail = scan(last_full * BLOCK, end);
        let mid = table
            .get(last_full)
            .copied()
            .unwrap_or(0)
            .saturating_sub(table.get(first_full).copied().unwrap_or(0));
        head + mid + tail
    }

    /// Number of line feeds in `range` (RFC 3501 body-fld-lines).
    pub(crate) fn lines(&self, buf: &[u8], range: &Range<usize>) -> u64 {
        self.count(buf, range, false)
    }

    /// Size of `range` once every bare LF is sent as CRLF.
    ///
    /// A LF at `range.start` whose CR lies just before the range counts as
    /// bare here only if it is bare in the message: ranges never start
    /// between CR and LF, since they begin at line starts.
    pub(crate) fn wire_len(&self, buf: &[u8], range: &Range<usize>) -> u64 {
        let len = range.end.saturating_sub(range.start) as u64;
        if self.all_crlf {
            return len;
        }
        len + self.count(buf, range, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_mixed_endings() {
        let buf = b"a\r\nb\nc";
        let l = line_at(buf, 0).unwrap();
        assert_eq!((l.start, l.end, l.next, l.terminator_len()), (0, 1, 3, 2));
        let l = line_at(buf, 3).unwrap();
        assert_eq!((l.end, l.next, l.terminator_len()), (4, 5, 1));
        let l = line_at(buf, 5).unwrap();
        assert_eq!((l.end, l.next, l.terminator_len()), (6, 6, 0));
        assert!(line_at(buf, 6).is_none());
    }

    #[test]
    fn index_counts_match_naive_scan_across_blocks() {
        let mut buf = Vec::new();
        for i in 0..5000 {
            buf.extend_from_slice(if i % 3 == 0 { b"xx\r\n" } else { b"yyy\n" });
        }
        let idx = LineIndex::new(&buf);
        for (s, e) in [
            (0, buf.len()),
            (1, 9000),
            (4095, 4097),
            (5000, 13000),
            (7, 7),
        ] {
            let slice = &buf[s..e];
            let lf = slice.iter().filter(|&&b| b == b'\n').count() as u64;
            let bare = (s..e)
                .filter(|&i| buf[i] == b'\n' && (i == 0 || buf[i - 1] != b'\r'))
                .count() as u64;
            assert_eq!(idx.lines(&buf, &(s..e)), lf);
            assert_eq!(idx.wire_len(&buf, &(s..e)), (e - s) as u64 + bare);
        }
    }
}
