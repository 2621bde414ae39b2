//! Counting line ends in 64-octet blocks: how many LFs lack their CR, and how many lines
//! start with a dot, written as sums over fixed-size arrays that the compiler vectorises.
//! The POP3 stuffing (`pop3::multiline`) and the IMAP wire form of message data
//! (`imap::wire`) both size their output this way without copying a byte.

/// Blocks of this many octets are counted at once.
pub(crate) const BLOCK: usize = 64;

/// Bare LFs and line-leading dots in the block of `body` that starts at
/// `start` (shorter at the end); the body's start counts as a line start.
/// Written as sums over fixed-size arrays, which the compiler vectorises.
pub(crate) fn block_edits(body: &[u8], start: usize) -> (u32, u32) {
    // A whole block after the first: compare in place.
    if let (Some(cur), Some(prev)) = (
        start
            .checked_add(BLOCK)
            .and_then(|end| body.get(start..end)),
        start.checked_sub(1).and_then(|p| body.get(p..p + BLOCK)),
    ) {
        if let (Ok(cur), Ok(prev)) = (
            <&[u8; BLOCK]>::try_from(cur),
            <&[u8; BLOCK]>::try_from(prev),
        ) {
            return count_block(cur, prev);
        }
    }
    // The first or the last block: a padded copy (zeros match nothing).
    let end = body.len().min(start.saturating_add(BLOCK));
    let part = body.get(start..end).unwrap_or_default();
    let mut cur = [0u8; BLOCK];
    let mut prev = [0u8; BLOCK];
    cur[..part.len()].copy_from_slice(part);
    // prev[j] is the octet before cur[j]; before the body's start, a line end.
    prev[0] = match start {
        0 => b'\n',
        _ => body.get(start - 1).copied().unwrap_or(b'\n'),
    };
    prev[1..].copy_from_slice(&cur[..BLOCK - 1]);
    count_block(&cur, &prev)
}

/// Bare LFs and line-leading dots of `cur`, `prev[j]` being the octet before `cur[j]`.
#[inline]
fn count_block(cur: &[u8; BLOCK], prev: &[u8; BLOCK]) -> (u32, u32) {
    let (mut bare_lf, mut dot_line) = (0u8, 0u8);
    for (&c, &p) in cur.iter().zip(prev.iter()) {
        bare_lf += u8::from((c == b'\n') & (p != b'\r'));
        dot_line += u8::from((c == b'.') & (p == b'\n'));
    }
    (u32::from(bare_lf), u32::from(dot_line))
}
