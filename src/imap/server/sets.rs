//! Sequence sets and UID sets resolved against the view (RFC 3501 §9 `sequence-set`,
//! §6.4.8): sorted, merged ranges of message sequence numbers, never expanded.

use crate::imap::SequenceSet;

use super::event::UidSet;
use super::view::View;

/// Inclusive ranges of message sequence numbers, ascending and apart.
pub(super) type SeqRanges = Vec<(u32, u32)>;

fn merge(mut ranges: Vec<(u32, u32)>) -> SeqRanges {
    ranges.sort_unstable();
    let mut out: SeqRanges = Vec::with_capacity(ranges.len());
    for (a, b) in ranges {
        match out.last_mut() {
            Some((_, end)) if a <= end.saturating_add(1) => *end = (*end).max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// The messages `set` names. Sequence numbers must exist ("2:4" with three messages is
/// an error, as is `*` in an empty mailbox: RFC 3501 §9 `seq-number`); UIDs that do not
/// exist are ignored (§6.4.8), and `n:*` always takes in the last message.
pub(super) fn resolve(
    set: &SequenceSet,
    uid: bool,
    view: &View,
) -> Result<SeqRanges, &'static str> {
    if uid {
        let largest = view.last_uid();
        let ranges = set
            .items()
            .iter()
            .filter_map(|s| {
                let (lo, hi) = s.bounds(largest);
                view.uids().seq_range(lo, hi)
            })
            .collect();
        return Ok(merge(ranges));
    }
    let largest = view.len();
    let mut ranges = Vec::with_capacity(set.items().len());
    for s in set.items() {
        let (lo, hi) = s.bounds(largest);
        if lo == 0 || hi > largest {
            return Err("Invalid message sequence number");
        }
        ranges.push((lo, hi));
    }
    Ok(merge(ranges))
}

/// Every sequence number of `ranges`, ascending.
pub(super) fn seqs(ranges: &[(u32, u32)]) -> impl Iterator<Item = u32> + '_ {
    ranges.iter().flat_map(|&(a, b)| a..=b)
}

/// The UIDs of `ranges` that `keep` selects, as a [`UidSet`].
pub(super) fn uids_of(
    ranges: &[(u32, u32)],
    view: &View,
    mut keep: impl FnMut(u32) -> bool,
) -> UidSet {
    let mut set = UidSet::default();
    for seq in seqs(ranges) {
        if keep(seq) {
            if let Some(uid) = view.uid(seq) {
                set.push(uid);
            }
        }
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imap::{SeqNumber, Sequence};

    fn view(uids: &[u32]) -> View {
        let mut v = View::default();
        for &u in uids {
            v.push(u, super::super::flags::NO_FLAGS, false);
        }
        v
    }

    fn set(items: &[(u32, Option<u32>)]) -> SequenceSet {
        let n = |v: u32| {
            if v == 0 {
                SeqNumber::Asterisk
            } else {
                SeqNumber::new(v).unwrap()
            }
        };
        SequenceSet::new(
            items
                .iter()
                .map(|&(a, b)| match b {
                    None => Sequence::Single(n(a)),
                    Some(b) => Sequence::Range(n(a), n(b)),
                })
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn rfc3501_9_sequence_numbers_must_exist_and_merge() {
        let v = view(&[10, 20, 30, 40, 50]);
        // 0 stands for "*" in these helpers.
        assert_eq!(
            resolve(&set(&[(4, Some(2)), (5, None), (1, None)]), false, &v),
            Ok(vec![(1, 5)])
        );
        assert_eq!(resolve(&set(&[(3, Some(0))]), false, &v), Ok(vec![(3, 5)]));
        assert!(resolve(&set(&[(6, None)]), false, &v).is_err());
        assert!(resolve(&set(&[(1, Some(0))]), false, &view(&[])).is_err());
    }

    /// RFC 3501 §6.4.8: non-existent UIDs are ignored, `559:*` takes in the last message.
    #[test]
    fn rfc3501_6_4_8_uid_ranges() {
        let v = view(&[10, 20, 30, 40, 50]);
        assert_eq!(resolve(&set(&[(15, Some(35))]), true, &v), Ok(vec![(2, 3)]));
        assert_eq!(resolve(&set(&[(559, Some(0))]), true, &v), Ok(vec![(5, 5)]));
        assert_eq!(resolve(&set(&[(11, Some(19))]), true, &v), Ok(vec![]));
        assert_eq!(resolve(&set(&[(1, Some(0))]), true, &view(&[])), Ok(vec![]));
        let uids = uids_of(&[(1, 2), (5, 5)], &v, |s| s != 2);
        assert_eq!(uids.ranges(), [(10, 10), (50, 50)]);
    }
}
