//! Message flags as the selected-mailbox view keeps them: each distinct combination of
//! flags is stored once, and every message holds the number of its combination, so a view
//! of a million messages costs a few bytes per message however many keywords it uses.
//!
//! System flags (RFC 3501 §2.3.2) are bits; keywords and flag extensions get a number
//! the first time they are seen, and compare without regard to ASCII case, as Dovecot and
//! RFC 9051 §2.3.2 do, keeping the spelling first seen.

use std::collections::HashMap;

use crate::imap::{Atom, Flag};

const ANSWERED: u8 = 1;
const FLAGGED: u8 = 2;
const DELETED: u8 = 4;
const SEEN: u8 = 8;
const DRAFT: u8 = 16;

/// One combination of flags: system-flag bits and sorted keyword numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub(crate) struct FlagSet {
    system: u8,
    keywords: Vec<u32>,
}

impl FlagSet {
    pub(crate) fn seen(&self) -> bool {
        self.system & SEEN != 0
    }

    pub(crate) fn deleted(&self) -> bool {
        self.system & DELETED != 0
    }
}

fn system_bit(flag: &Flag) -> Option<u8> {
    Some(match flag {
        Flag::Answered => ANSWERED,
        Flag::Flagged => FLAGGED,
        Flag::Deleted => DELETED,
        Flag::Seen => SEEN,
        Flag::Draft => DRAFT,
        Flag::Keyword(_) | Flag::Extension(_) => return None,
    })
}

/// Number of a flag combination in a [`FlagTable`].
pub(crate) type SetId = u32;

/// The empty combination always has number 0.
pub(crate) const NO_FLAGS: SetId = 0;

/// The keywords and combinations of one mailbox.
#[derive(Debug)]
pub(crate) struct FlagTable {
    /// Keywords and flag extensions by number.
    names: Vec<Flag>,
    /// Lower-cased name (with `\` for extensions) to number.
    by_name: HashMap<Box<[u8]>, u32>,
    sets: Vec<FlagSet>,
    by_set: HashMap<FlagSet, SetId>,
}

impl Default for FlagTable {
    fn default() -> Self {
        let mut table = FlagTable {
            names: Vec::new(),
            by_name: HashMap::new(),
            sets: Vec::new(),
            by_set: HashMap::new(),
        };
        table.intern(FlagSet::default());
        table
    }
}

/// How STORE changes a message's flags (RFC 3501 §6.4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Replace,
    Add,
    Remove,
}

fn key(flag: &Flag) -> Option<Box<[u8]>> {
    let (prefix, atom): (&[u8], &Atom) = match flag {
        Flag::Keyword(a) => (b"", a),
        Flag::Extension(a) => (b"\\", a),
        _ => return None,
    };
    let mut k = prefix.to_vec();
    k.extend(atom.as_bytes().iter().map(u8::to_ascii_lowercase));
    Some(k.into_boxed_slice())
}

impl FlagTable {
    /// The number of a keyword or flag extension, defining it if new.
    pub(crate) fn keyword(&mut self, flag: &Flag) -> Option<u32> {
        let k = key(flag)?;
        if let Some(&n) = self.by_name.get(&k) {
            return Some(n);
        }
        let n = u32::try_from(self.names.len()).ok()?;
        self.names.push(flag.clone());
        self.by_name.insert(k, n);
        Some(n)
    }

    /// The number of a known keyword, without defining it.
    fn known(&self, flag: &Flag) -> Option<u32> {
        self.by_name.get(&key(flag)?).copied()
    }

    /// Every keyword and extension defined so far, in order of definition.
    pub(crate) fn keywords(&self) -> &[Flag] {
        &self.names
    }

    fn intern(&mut self, set: FlagSet) -> SetId {
        if let Some(&id) = self.by_set.get(&set) {
            return id;
        }
        // More combinations than u32 cannot exist: a view holds fewer messages.
        let id = SetId::try_from(self.sets.len()).unwrap_or(SetId::MAX);
        self.sets.push(set.clone());
        self.by_set.insert(set, id);
        id
    }

    /// The combination of `flags`, defining new keywords on the way.
    pub(crate) fn set_of(&mut self, flags: &[Flag]) -> SetId {
        let mut system = 0;
        let mut keywords = Vec::new();
        for flag in flags {
            match system_bit(flag) {
                Some(bit) => system |= bit,
                None => keywords.extend(self.keyword(flag)),
            }
        }
        keywords.sort_unstable();
        keywords.dedup();
        self.intern(FlagSet { system, keywords })
    }

    pub(crate) fn get(&self, id: SetId) -> &FlagSet {
        static EMPTY: FlagSet = FlagSet {
            system: 0,
            keywords: Vec::new(),
        };
        self.sets.get(id as usize).unwrap_or(&EMPTY)
    }

    /// The flags of combination `id`, system flags first.
    pub(crate) fn flags(&self, id: SetId) -> Vec<Flag> {
        let set = self.get(id);
        let mut out = Vec::with_capacity(5 + set.keywords.len());
        // \Seen first, as RFC 3501 §8 shows a message's flags: `(\Seen \Deleted)`.
        for (bit, flag) in [
            (SEEN, Flag::Seen),
            (ANSWERED, Flag::Answered),
            (FLAGGED, Flag::Flagged),
            (DELETED, Flag::Deleted),
            (DRAFT, Flag::Draft),
        ] {
            if set.system & bit != 0 {
                out.push(flag);
            }
        }
        out.extend(
            set.keywords
                .iter()
                .filter_map(|&k| self.names.get(k as usize).cloned()),
        );
        out
    }

    /// Combination `id` changed by a STORE of `flags`.
    pub(crate) fn apply(&mut self, id: SetId, op: Op, flags: &[Flag]) -> SetId {
        let new = match op {
            Op::Replace => return self.set_of(flags),
            Op::Add => {
                let change = self.set_of(flags);
                let (old, add) = (self.get(id), self.get(change));
                let mut keywords: Vec<u32> = old
                    .keywords
                    .iter()
                    .chain(add.keywords.iter())
                    .copied()
                    .collect();
                keywords.sort_unstable();
                keywords.dedup();
                FlagSet {
                    system: old.system | add.system,
                    keywords,
                }
            }
            Op::Remove => {
                let mut system = 0;
                let mut remove = Vec::new();
                for flag in flags {
                    match system_bit(flag) {
                        Some(bit) => system |= bit,
                        // Removing a keyword nobody has set defines nothing.
                        None => remove.extend(self.known(flag)),
                    }
                }
                let old = self.get(id);
                FlagSet {
                    system: old.system & !system,
                    keywords: old
                        .keywords
                        .iter()
                        .copied()
                        .filter(|k| !remove.contains(k))
                        .collect(),
                }
            }
        };
        self.intern(new)
    }

    /// `true` when `flag` is set in combination `id` (keywords case-insensitively).
    pub(crate) fn has(&self, id: SetId, flag: &Flag) -> bool {
        let set = self.get(id);
        match system_bit(flag) {
            Some(bit) => set.system & bit != 0,
            None => self.known(flag).is_some_and(|k| set.keywords.contains(&k)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kw(s: &str) -> Flag {
        Flag::keyword(s).unwrap()
    }

    #[test]
    fn rfc3501_6_4_6_store_operations_on_interned_sets() {
        let mut t = FlagTable::default();
        let a = t.set_of(&[Flag::Seen, kw("$Label1")]);
        assert_eq!(
            t.set_of(&[kw("$label1"), Flag::Seen, Flag::Seen]),
            a,
            "same set, any order or case"
        );
        let b = t.apply(a, Op::Add, &[Flag::Deleted, kw("Work")]);
        assert_eq!(
            t.flags(b),
            [Flag::Seen, Flag::Deleted, kw("$Label1"), kw("Work")]
        );
        let c = t.apply(b, Op::Remove, &[Flag::Seen, kw("WORK"), kw("never-set")]);
        assert_eq!(t.flags(c), [Flag::Deleted, kw("$Label1")]);
        assert_eq!(
            t.keywords().len(),
            2,
            "removing an unknown keyword defines none"
        );
        assert_eq!(t.apply(c, Op::Replace, &[]), NO_FLAGS);
        assert!(t.has(b, &kw("work")) && !t.has(c, &kw("work")) && t.get(c).deleted());
    }
}
