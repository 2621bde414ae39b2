//! The selected-mailbox view: what the client has been told about the mailbox, and the
//! changes the host has reported that the client has not been told yet.
//!
//! Message sequence numbers (RFC 3501 §2.3.1.2) exist only here. The view maps them to UIDs
//! and back, so the host works in UIDs alone. Host changes are *staged*: a new message, an
//! expunge or a flag change is recorded at once but reaches the client only when
//! [`View::release`] is called at a point RFC 3501 allows (§5.2, §5.5, §7.4.1): the client's
//! numbering changes only through EXPUNGE responses it was sent, and EXISTS never shrinks.
//!
//! Memory: UIDs are kept as runs of consecutive values (a mailbox whose UIDs have no gaps
//! costs 8 octets in all), flags as the number of an interned combination (two octets per
//! message while a mailbox has fewer than 65,536 distinct combinations, four beyond), and
//! `\Recent` as one bit per message.

use std::collections::BTreeSet;

use super::flags::{FlagTable, NO_FLAGS, SetId};

/// A run of consecutive UIDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    first: u32,
    len: u32,
}

/// Message sequence numbers to UIDs: runs, with the sequence number before each run.
#[derive(Debug, Default)]
pub(crate) struct UidMap {
    runs: Vec<Run>,
    /// `before[i]`: messages in the runs before run `i`.
    before: Vec<u32>,
    len: u32,
}

impl UidMap {
    pub(crate) fn len(&self) -> u32 {
        self.len
    }

    /// The largest UID, 0 when empty.
    pub(crate) fn last(&self) -> u32 {
        self.runs.last().map_or(0, |r| r.first + (r.len - 1))
    }

    /// Appends `uid`, which must be above [`last`](Self::last).
    fn push(&mut self, uid: u32) -> bool {
        if uid <= self.last() || self.len == u32::MAX {
            return false;
        }
        match self.runs.last_mut() {
            Some(run) if run.first + run.len == uid => run.len += 1,
            _ => {
                self.before.push(self.len);
                self.runs.push(Run { first: uid, len: 1 });
            }
        }
        self.len += 1;
        true
    }

    /// The UID of message `seq` (from 1).
    pub(crate) fn uid(&self, seq: u32) -> Option<u32> {
        if seq == 0 || seq > self.len {
            return None;
        }
        let index = seq - 1;
        let i = self.before.partition_point(|&b| b <= index) - 1;
        let run = self.runs.get(i)?;
        Some(run.first + (index - self.before[i]))
    }

    /// The sequence number of `uid`, if it is in the map.
    pub(crate) fn seq(&self, uid: u32) -> Option<u32> {
        let i = self
            .runs
            .partition_point(|r| r.first <= uid)
            .checked_sub(1)?;
        let run = self.runs[i];
        (uid - run.first < run.len).then(|| self.before[i] + (uid - run.first) + 1)
    }

    /// The sequence numbers of the UIDs in `lo..=hi` present in the map, as a range.
    pub(crate) fn seq_range(&self, lo: u32, hi: u32) -> Option<(u32, u32)> {
        let first = self.count_below(lo) + 1;
        let last = match hi.checked_add(1) {
            Some(above) => self.count_below(above),
            None => self.len,
        };
        (first <= last).then_some((first, last))
    }

    /// Messages with a UID below `uid`.
    fn count_below(&self, uid: u32) -> u32 {
        let i = self.runs.partition_point(|r| r.first < uid);
        match i.checked_sub(1) {
            None => 0,
            Some(j) => self.before[j] + self.runs[j].len.min(uid - self.runs[j].first),
        }
    }

    /// Removes the messages at the sorted, distinct `seqs`, in one pass.
    fn remove(&mut self, seqs: &[u32]) {
        if seqs.is_empty() {
            return;
        }
        let mut out: Vec<Run> = Vec::with_capacity(self.runs.len() + seqs.len());
        let mut gone = seqs.iter().peekable();
        for (i, run) in self.runs.iter().enumerate() {
            let base = self.before[i];
            let mut start = 0u32;
            while let Some(&&s) = gone.peek() {
                let index = s - 1;
                if index >= base + run.len {
                    break;
                }
                gone.next();
                let at = index - base;
                if at > start {
                    out.push(Run {
                        first: run.first + start,
                        len: at - start,
                    });
                }
                start = at + 1;
            }
            if start < run.len {
                out.push(Run {
                    first: run.first + start,
                    len: run.len - start,
                });
            }
        }
        // Neighbours that became consecutive stay separate runs: UIDs never repeat, so
        // runs only ever split.
        self.runs = out;
        self.before.clear();
        let mut n = 0u32;
        for run in &self.runs {
            self.before.push(n);
            n += run.len;
        }
        self.len = n;
    }

    /// Octets of memory held (for tests of the per-message cost).
    #[cfg(test)]
    pub(crate) fn footprint(&self) -> usize {
        self.runs.capacity() * std::mem::size_of::<Run>() + self.before.capacity() * 4
    }
}

/// One flag combination number per message.
#[derive(Debug)]
enum Column {
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

impl Default for Column {
    fn default() -> Self {
        Column::Narrow(Vec::new())
    }
}

impl Column {
    fn get(&self, index: usize) -> SetId {
        match self {
            Column::Narrow(v) => v.get(index).map_or(NO_FLAGS, |&x| SetId::from(x)),
            Column::Wide(v) => v.get(index).copied().unwrap_or(NO_FLAGS),
        }
    }

    fn make_wide(&mut self) {
        if let Column::Narrow(v) = self {
            *self = Column::Wide(v.iter().map(|&x| u32::from(x)).collect());
        }
    }

    fn set(&mut self, index: usize, id: SetId) {
        if let (Column::Narrow(v), Ok(x)) = (&mut *self, u16::try_from(id)) {
            if let Some(slot) = v.get_mut(index) {
                *slot = x;
            }
            return;
        }
        self.make_wide();
        if let Column::Wide(v) = self {
            if let Some(slot) = v.get_mut(index) {
                *slot = id;
            }
        }
    }

    fn push(&mut self, id: SetId) {
        if let (Column::Narrow(v), Ok(x)) = (&mut *self, u16::try_from(id)) {
            v.push(x);
            return;
        }
        self.make_wide();
        if let Column::Wide(v) = self {
            v.push(id);
        }
    }

    fn remove(&mut self, seqs: &[u32]) {
        fn retain<T>(v: &mut Vec<T>, seqs: &[u32]) {
            let mut gone = seqs.iter().map(|&s| s as usize - 1).peekable();
            let mut i = 0usize;
            v.retain(|_| {
                let keep = gone.peek() != Some(&i);
                if !keep {
                    gone.next();
                }
                i += 1;
                keep
            });
        }
        match self {
            Column::Narrow(v) => retain(v, seqs),
            Column::Wide(v) => retain(v, seqs),
        }
    }

    #[cfg(test)]
    fn footprint(&self) -> usize {
        match self {
            Column::Narrow(v) => v.capacity() * 2,
            Column::Wide(v) => v.capacity() * 4,
        }
    }
}

/// One bit per message.
#[derive(Debug, Default)]
struct Bits {
    words: Vec<u64>,
    len: usize,
    ones: u32,
}

impl Bits {
    fn get(&self, i: usize) -> bool {
        self.words
            .get(i / 64)
            .is_some_and(|w| w >> (i % 64) & 1 == 1)
    }

    fn push(&mut self, bit: bool) {
        if self.len % 64 == 0 {
            self.words.push(0);
        }
        if bit {
            if let Some(w) = self.words.last_mut() {
                *w |= 1 << (self.len % 64);
            }
            self.ones += 1;
        }
        self.len += 1;
    }

    fn remove(&mut self, seqs: &[u32]) {
        let old = std::mem::take(self);
        let mut gone = seqs.iter().map(|&s| s as usize - 1).peekable();
        for i in 0..old.len {
            if gone.peek() == Some(&i) {
                gone.next();
                continue;
            }
            self.push(old.get(i));
        }
    }
}

/// What [`View::release`] tells the client, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Update {
    /// `* n EXPUNGE`, numbered as the client counts at that point.
    Expunge(u32),
    /// `* FLAGS` and `* OK [PERMANENTFLAGS]`: new keywords were defined.
    FlagList,
    /// `* n EXISTS`.
    Exists(u32),
    /// `* n RECENT`.
    Recent(u32),
    /// `* seq FETCH (FLAGS ...)` for message `seq` (UID `uid`).
    Flags { seq: u32, uid: u32 },
}

/// A message the host reported that the client has not been told about.
#[derive(Debug, Clone, Copy)]
struct Arrival {
    uid: u32,
    flags: SetId,
    recent: bool,
}

/// The selected mailbox (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct View {
    uids: UidMap,
    flags: Column,
    recent: Bits,
    pub(crate) table: FlagTable,
    /// UIDs the client sees that the host has expunged, not yet announced.
    expunged: BTreeSet<u32>,
    /// New messages, ascending UIDs above every UID in `uids`.
    arrived: Vec<Arrival>,
    /// UIDs whose flags changed without the client being told.
    dirty: BTreeSet<u32>,
    /// Keywords the client has been told of in a FLAGS response.
    keywords_told: usize,
    /// The RECENT count the client was last told.
    recent_told: u32,
}

impl View {
    /// Appends a message of the host's snapshot; `false` when `uid` is not above the last.
    pub(crate) fn push(&mut self, uid: u32, flags: SetId, recent: bool) -> bool {
        if !self.uids.push(uid) {
            return false;
        }
        self.flags.push(flags);
        self.recent.push(recent);
        true
    }

    /// The snapshot is complete: the client is about to be told of it all.
    pub(crate) fn opened(&mut self) {
        self.keywords_told = self.table.keywords().len();
        self.recent_told = self.recent.ones;
    }

    /// Messages the client knows of (what its last EXISTS said, less its EXPUNGEs).
    pub(crate) fn len(&self) -> u32 {
        self.uids.len()
    }

    pub(crate) fn recent_count(&self) -> u32 {
        self.recent.ones
    }

    pub(crate) fn uids(&self) -> &UidMap {
        &self.uids
    }

    /// The UID of message `seq`.
    pub(crate) fn uid(&self, seq: u32) -> Option<u32> {
        self.uids.uid(seq)
    }

    /// The largest UID the client knows of (what `*` means in a UID set).
    pub(crate) fn last_uid(&self) -> u32 {
        self.uids.last()
    }

    /// The flag combination of message `seq`.
    pub(crate) fn flags(&self, seq: u32) -> SetId {
        self.flags.get(seq as usize - 1)
    }

    pub(crate) fn is_recent(&self, seq: u32) -> bool {
        self.recent.get(seq as usize - 1)
    }

    /// `true` when the host has expunged message `seq` but the client was not told yet.
    pub(crate) fn is_expunged(&self, seq: u32) -> bool {
        self.uid(seq).is_some_and(|u| self.expunged.contains(&u))
    }

    /// Sets the flags of message `seq`, as the client is about to be told them itself
    /// (its own STORE, or a FETCH that set `\Seen`): no separate update is owed.
    pub(crate) fn set_told(&mut self, seq: u32, flags: SetId) {
        self.flags.set(seq as usize - 1, flags);
        if let Some(uid) = self.uid(seq) {
            self.dirty.remove(&uid);
        }
    }

    /// The client is being sent message `seq`'s flags (a FETCH FLAGS it asked for).
    pub(crate) fn told_flags(&mut self, seq: u32) {
        if let Some(uid) = self.uid(seq) {
            self.dirty.remove(&uid);
        }
    }

    /// The first message without `\Seen` (`[UNSEEN n]`, RFC 3501 §6.3.1).
    pub(crate) fn first_unseen(&self) -> Option<u32> {
        (1..=self.len()).find(|&seq| !self.table.get(self.flags(seq)).seen())
    }

    /// The UID after the last one the host has reported.
    pub(crate) fn next_uid_floor(&self) -> u32 {
        self.arrived
            .last()
            .map_or(self.uids.last(), |a| a.uid)
            .saturating_add(1)
    }

    // ---- host changes -------------------------------------------------------------------

    /// A new message. UIDs only grow, so one not above every UID seen is a late report of
    /// what the snapshot already held, and is ignored.
    pub(crate) fn arrive(&mut self, uid: u32, flags: SetId, recent: bool) {
        let last = self.arrived.last().map_or(self.uids.last(), |a| a.uid);
        if uid > last {
            self.arrived.push(Arrival { uid, flags, recent });
        }
    }

    /// A message was expunged by someone else (or by this session's own request).
    pub(crate) fn expunge(&mut self, uid: u32) {
        if let Ok(i) = self.arrived.binary_search_by_key(&uid, |a| a.uid) {
            // The client never heard of it: nothing to announce.
            self.arrived.remove(i);
        } else if self.uids.seq(uid).is_some() {
            self.expunged.insert(uid);
            self.dirty.remove(&uid);
        }
    }

    /// Another party changed message `uid`'s flags to `flags`.
    pub(crate) fn flags_changed(&mut self, uid: u32, flags: SetId) {
        if let Ok(i) = self.arrived.binary_search_by_key(&uid, |a| a.uid) {
            self.arrived[i].flags = flags;
            return;
        }
        let Some(seq) = self.uids.seq(uid) else {
            return;
        };
        if self.expunged.contains(&uid) || self.flags(seq) == flags {
            return;
        }
        self.flags.set(seq as usize - 1, flags);
        self.dirty.insert(uid);
    }

    /// `true` when something is staged for the client.
    pub(crate) fn has_updates(&self, expunges: bool) -> bool {
        (expunges && !self.expunged.is_empty())
            || !self.arrived.is_empty()
            || !self.dirty.is_empty()
            || self.table.keywords().len() > self.keywords_told
    }

    /// Hands over the staged changes the client may be told now, in the order they must be
    /// sent: EXPUNGEs (only with `expunges`: never while answering FETCH, STORE or SEARCH,
    /// RFC 3501 §7.4.1), FLAGS when keywords were defined, EXISTS and RECENT for new
    /// messages, then FETCH FLAGS for changed messages. Applies them to the view.
    pub(crate) fn release(&mut self, expunges: bool) -> Vec<Update> {
        let mut out = Vec::new();
        if expunges && !self.expunged.is_empty() {
            let mut seqs: Vec<u32> = self
                .expunged
                .iter()
                .filter_map(|&u| self.uids.seq(u))
                .collect();
            seqs.sort_unstable();
            // "Lower to higher" (RFC 3501 §7.4.1): each number counts the ones before it.
            for (i, &seq) in seqs.iter().enumerate() {
                out.push(Update::Expunge(seq - i as u32));
            }
            self.remove(&seqs);
            self.expunged.clear();
        }
        if self.table.keywords().len() > self.keywords_told {
            self.keywords_told = self.table.keywords().len();
            out.push(Update::FlagList);
        }
        let grew = !self.arrived.is_empty();
        if grew {
            for a in std::mem::take(&mut self.arrived) {
                self.push(a.uid, a.flags, a.recent);
            }
            out.push(Update::Exists(self.len()));
        }
        // RECENT goes with every EXISTS (RFC 3501 §7.3.2: "if the size of the mailbox
        // changes"), and whenever the count changed otherwise.
        if grew || self.recent.ones != self.recent_told {
            self.recent_told = self.recent.ones;
            out.push(Update::Recent(self.recent.ones));
        }
        for uid in std::mem::take(&mut self.dirty) {
            if let Some(seq) = self.uids.seq(uid) {
                out.push(Update::Flags { seq, uid });
            }
        }
        out
    }

    /// Removes messages the client is being told are expunged (this session's own EXPUNGE,
    /// CLOSE or MOVE); returns their numbers as the client counts them one after another.
    pub(crate) fn remove_uids(&mut self, uids: &[u32]) -> Vec<u32> {
        let mut seqs: Vec<u32> = uids.iter().filter_map(|&u| self.uids.seq(u)).collect();
        seqs.sort_unstable();
        seqs.dedup();
        for u in uids {
            self.expunged.remove(u);
            self.dirty.remove(u);
        }
        // A new message the client has not heard of yet may be among them: it is never
        // announced.
        self.arrived.retain(|a| !uids.contains(&a.uid));
        self.remove(&seqs);
        seqs.iter()
            .enumerate()
            .map(|(i, &s)| s - i as u32)
            .collect()
    }

    fn remove(&mut self, seqs: &[u32]) {
        let recent_gone = seqs.iter().filter(|&&s| self.is_recent(s)).count() as u32;
        self.uids.remove(seqs);
        self.flags.remove(seqs);
        self.recent.remove(seqs);
        // The client counts RECENT down with each EXPUNGE of a recent message.
        self.recent_told = self.recent_told.saturating_sub(recent_gone);
    }

    /// Octets held, for the memory test.
    #[cfg(test)]
    pub(crate) fn footprint(&self) -> usize {
        self.uids.footprint() + self.flags.footprint() + self.recent.words.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(uids: &[u32]) -> View {
        let mut v = View::default();
        for &u in uids {
            assert!(v.push(u, NO_FLAGS, false));
        }
        v.opened();
        v
    }

    #[test]
    fn uid_map_runs_seq_and_uid_lookups() {
        let v = view(&[3, 4, 5, 9, 10, 20]);
        let m = v.uids();
        assert_eq!(
            (1..=6).map(|s| m.uid(s).unwrap()).collect::<Vec<_>>(),
            [3, 4, 5, 9, 10, 20]
        );
        assert_eq!(m.seq(9), Some(4));
        assert_eq!(m.seq(8), None);
        assert_eq!(m.uid(0), None);
        assert_eq!(m.uid(7), None);
        // RFC 3501 §6.4.8: a UID range selects the messages whose UIDs fall in it.
        assert_eq!(m.seq_range(6, 9), Some((4, 4)));
        assert_eq!(m.seq_range(6, 8), None);
        assert_eq!(m.seq_range(1, u32::MAX), Some((1, 6)));
        assert_eq!(m.seq_range(21, 30), None);
        assert_eq!(m.runs.len(), 3);
    }

    /// RFC 3501 §7.4.1: "a "lower to higher" server will send five untagged EXPUNGE
    /// responses for message sequence number 5" when the last 5 of 9 are expunged.
    #[test]
    fn rfc3501_7_4_1_expunges_are_numbered_lower_to_higher() {
        let mut v = view(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
        for u in 5..=9 {
            v.expunge(u);
        }
        assert_eq!(
            v.release(false),
            [],
            "none while answering FETCH, STORE or SEARCH"
        );
        assert_eq!(v.len(), 9);
        assert_eq!(v.release(true), vec![Update::Expunge(5); 5]);
        assert_eq!(v.len(), 4);
    }

    #[test]
    fn arrivals_expunges_and_flag_changes_are_staged_in_order() {
        let mut v = view(&[10, 11, 12]);
        v.arrive(11, NO_FLAGS, false); // a late report of what the snapshot held
        v.arrive(13, NO_FLAGS, true);
        v.arrive(14, NO_FLAGS, false);
        v.expunge(14); // gone before the client heard of it
        v.expunge(10);
        let seen = v.table.set_of(&[crate::imap::Flag::Seen]);
        v.flags_changed(12, seen);
        v.flags_changed(10, seen); // expunged: not announced
        assert_eq!(v.len(), 3, "nothing reaches the client before release");
        assert_eq!(
            v.release(true),
            [
                Update::Expunge(1),
                Update::Exists(3),
                Update::Recent(1),
                Update::Flags { seq: 2, uid: 12 },
            ]
        );
        assert_eq!(
            (1..=3).map(|s| v.uid(s).unwrap()).collect::<Vec<_>>(),
            [11, 12, 13]
        );
        assert!(v.release(true).is_empty());
        // EXISTS never decreases: with an unannounced expunge, a new message counts on top.
        v.expunge(11);
        v.arrive(15, NO_FLAGS, false);
        assert_eq!(v.release(false), [Update::Exists(4), Update::Recent(1)]);
        assert_eq!(v.release(true), [Update::Expunge(1)]);
        // An expunge this session asked for may take a message it was not yet told of.
        v.arrive(16, NO_FLAGS, false);
        assert_eq!(v.remove_uids(&[16, 12]), [1]);
        assert_eq!(v.release(true), []);
    }

    #[test]
    fn a_million_messages_cost_a_few_octets_each() {
        let mut v = View::default();
        let seen = v.table.set_of(&[crate::imap::Flag::Seen]);
        for u in 1..=1_000_000u32 {
            let uid = u + (u / 1000) * 5; // a gap every thousand messages
            v.push(uid, if u % 3 == 0 { seen } else { NO_FLAGS }, u > 999_990);
        }
        v.opened();
        assert_eq!(v.len(), 1_000_000);
        assert_eq!(v.uid(1_000_000), Some(1_000_000 + 1000 * 5));
        assert_eq!(v.recent_count(), 10);
        let per_message = v.footprint() as f64 / 1_000_000.0;
        assert!(per_message < 4.0, "{per_message} octets per message");
        let gone: Vec<u32> = (1..=1000)
            .map(|i| i * 997)
            .filter_map(|s| v.uid(s))
            .collect();
        let seqs = v.remove_uids(&gone);
        assert_eq!(seqs.len(), gone.len());
        assert_eq!(v.len(), 1_000_000 - gone.len() as u32);
    }
}
