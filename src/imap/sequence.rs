//! Sequence sets (RFC 3501 §9 `sequence-set`, `seq-range`, `seq-number`): message sequence
//! numbers or UIDs, kept as written (ranges and `*`), never expanded.

use std::num::NonZeroU32;

use super::core::ValueError;

/// `seq-number = nz-number / "*"` (RFC 3501 §9). Zero cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeqNumber {
    /// A number `1..=u32::MAX`.
    Value(NonZeroU32),
    /// `*`: the largest number in use (RFC 3501 §9, `seq-number`).
    Asterisk,
}

impl SeqNumber {
    /// A number; `None` for 0.
    pub fn new(n: u32) -> Option<Self> {
        NonZeroU32::new(n).map(SeqNumber::Value)
    }

    /// The number, with `*` standing for `largest`.
    pub fn resolve(self, largest: u32) -> u32 {
        match self {
            SeqNumber::Value(n) => n.get(),
            SeqNumber::Asterisk => largest,
        }
    }
}

/// One element of a sequence set: a number or a range `a:b` (order as written; RFC 3501 §9
/// `seq-range`: "2:4 and 4:2 are equivalent").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sequence {
    /// `seq-number`.
    Single(SeqNumber),
    /// `seq-range = seq-number ":" seq-number`.
    Range(SeqNumber, SeqNumber),
}

impl Sequence {
    /// Inclusive bounds `(low, high)`, with `*` standing for `largest`.
    pub fn bounds(self, largest: u32) -> (u32, u32) {
        match self {
            Sequence::Single(n) => {
                let v = n.resolve(largest);
                (v, v)
            }
            Sequence::Range(a, b) => {
                let (a, b) = (a.resolve(largest), b.resolve(largest));
                (a.min(b), a.max(b))
            }
        }
    }
}

/// `sequence-set = (seq-number / seq-range) *("," sequence-set)` (RFC 3501 §9): never empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SequenceSet(Vec<Sequence>);

impl SequenceSet {
    /// A set of the given elements; refused when empty.
    pub fn new(items: Vec<Sequence>) -> Result<Self, ValueError> {
        if items.is_empty() {
            return Err(ValueError::new("sequence-set", "empty"));
        }
        Ok(SequenceSet(items))
    }

    /// A set of one number; `None` for 0.
    pub fn single(n: u32) -> Option<Self> {
        SeqNumber::new(n).map(|n| SequenceSet(vec![Sequence::Single(n)]))
    }

    /// `a:b`; `None` if either is 0.
    pub fn range(a: u32, b: u32) -> Option<Self> {
        Some(SequenceSet(vec![Sequence::Range(
            SeqNumber::new(a)?,
            SeqNumber::new(b)?,
        )]))
    }

    /// `1:*`, every message.
    pub fn all() -> Self {
        SequenceSet(vec![Sequence::Range(
            SeqNumber::Value(NonZeroU32::MIN),
            SeqNumber::Asterisk,
        )])
    }

    /// The elements as written.
    pub fn items(&self) -> &[Sequence] {
        &self.0
    }

    /// True when `n` is in the set, with `*` standing for `largest` (no expansion; linear in
    /// the number of elements).
    pub fn contains(&self, n: u32, largest: u32) -> bool {
        self.0.iter().any(|s| {
            let (lo, hi) = s.bounds(largest);
            lo <= n && n <= hi
        })
    }

    pub(crate) fn from_vec_unchecked(v: Vec<Sequence>) -> Self {
        SequenceSet(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3501_9_sequence_set_semantics() {
        // "a message sequence number set of 2,4:7,9,12:* for a mailbox with 15 messages is
        // equivalent to 2,4,5,6,7,9,12,13,14,15"
        let n = |v| SeqNumber::new(v).unwrap();
        let set = SequenceSet::new(vec![
            Sequence::Single(n(2)),
            Sequence::Range(n(4), n(7)),
            Sequence::Single(n(9)),
            Sequence::Range(n(12), SeqNumber::Asterisk),
        ])
        .unwrap();
        let got: Vec<u32> = (1..=15).filter(|&i| set.contains(i, 15)).collect();
        assert_eq!(got, [2, 4, 5, 6, 7, 9, 12, 13, 14, 15]);
        // "3291:* includes the UID of the last message in the mailbox, even if that value is
        // less than 3291"
        let r = SequenceSet::new(vec![Sequence::Range(n(3291), SeqNumber::Asterisk)]).unwrap();
        assert!(r.contains(100, 100));
        assert!(SequenceSet::new(vec![]).is_err());
        assert!(SeqNumber::new(0).is_none());
    }
}
