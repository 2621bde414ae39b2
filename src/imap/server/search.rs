//! SEARCH (RFC 3501 §6.4.4): the keys are evaluated by the session, asking the host only
//! for what they need.
//!
//! Every message is first judged from what the view holds (flags, `\Recent`, sequence
//! numbers, UIDs) with three-valued logic: a message that matches or fails on those alone
//! costs the host nothing. The rest need data: the host may answer the whole SEARCH from an
//! index ([`SearchAnswer::Matches`]), or let the session evaluate them, one
//! [`MessageRequest`] each (the internal date and size for date and size keys, the bytes
//! for text keys, evaluated with [`mime::search`](crate::mime::search)).

use std::collections::VecDeque;

use crate::Instant;
use crate::answer::{AnswerError, RequestId, UsageError};
use crate::imap::{Code, Date, DateTime, Flag, IString, SearchKey, SequenceSet, Tag};
use crate::mime::{Message, search};

use super::event::{Event, MessageError, MessageRequest, SearchAnswer, SearchRequest, UidSet};
use super::fetch::{Cursor, Slot};
use super::sets::SeqRanges;
use super::view::View;
use super::{Job, Session};

/// A search key compiled against the view once per SEARCH: sequence and UID sets resolved
/// into sorted ranges (looked up by bisection, so a set of 10,000 elements costs each
/// message a few comparisons), flags as the view's own, text keys kept for
/// [`mime::search`](crate::mime::search).
#[derive(Debug)]
enum Key {
    Const(bool),
    /// The message has (or, `false`, lacks) the flag.
    Flag(Flag, bool),
    Recent(bool),
    /// `NEW`: recent and unseen.
    New,
    Seqs(SeqRanges),
    Uids(SeqRanges),
    Before(Date),
    On(Date),
    Since(Date),
    Larger(u32),
    Smaller(u32),
    /// A key that reads the message (headers, body, the Date: field).
    Text(SearchKey),
    Not(Box<Key>),
    Or(Box<Key>, Box<Key>),
    And(Vec<Key>),
}

/// Sorted, merged inclusive ranges of `set` with `*` as `largest`.
fn ranges(set: &SequenceSet, largest: u32) -> SeqRanges {
    let mut v: SeqRanges = set.items().iter().map(|s| s.bounds(largest)).collect();
    v.sort_unstable();
    let mut out: SeqRanges = Vec::with_capacity(v.len());
    for (a, b) in v {
        match out.last_mut() {
            Some((_, end)) if a <= end.saturating_add(1) => *end = (*end).max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

fn in_ranges(r: &[(u32, u32)], n: u32) -> bool {
    let i = r.partition_point(|&(_, b)| b < n);
    r.get(i).is_some_and(|&(a, _)| a <= n)
}

impl Key {
    fn compile(key: &SearchKey, view: &View, depth: usize) -> Key {
        use SearchKey as K;
        if depth > search::MAX_KEY_DEPTH {
            return Key::Const(false);
        }
        let sub = |k: &SearchKey| Box::new(Key::compile(k, view, depth + 1));
        match key {
            K::All => Key::Const(true),
            K::Answered => Key::Flag(Flag::Answered, true),
            K::Deleted => Key::Flag(Flag::Deleted, true),
            K::Draft => Key::Flag(Flag::Draft, true),
            K::Flagged => Key::Flag(Flag::Flagged, true),
            K::Seen => Key::Flag(Flag::Seen, true),
            K::Unanswered => Key::Flag(Flag::Answered, false),
            K::Undeleted => Key::Flag(Flag::Deleted, false),
            K::Undraft => Key::Flag(Flag::Draft, false),
            K::Unflagged => Key::Flag(Flag::Flagged, false),
            K::Unseen => Key::Flag(Flag::Seen, false),
            K::Keyword(k) => Key::Flag(Flag::Keyword(k.clone()), true),
            K::Unkeyword(k) => Key::Flag(Flag::Keyword(k.clone()), false),
            K::Recent => Key::Recent(true),
            K::Old => Key::Recent(false),
            K::New => Key::New,
            K::SequenceSet(set) => Key::Seqs(ranges(set, view.len())),
            K::Uid(set) => Key::Uids(ranges(set, view.last_uid())),
            K::Before(d) => Key::Before(*d),
            K::On(d) => Key::On(*d),
            K::Since(d) => Key::Since(*d),
            K::Larger(n) => Key::Larger(*n),
            K::Smaller(n) => Key::Smaller(*n),
            K::Not(k) => Key::Not(sub(k)),
            K::Or(a, b) => Key::Or(sub(a), sub(b)),
            K::And(keys) => Key::And(
                keys.iter()
                    .map(|k| Key::compile(k, view, depth + 1))
                    .collect(),
            ),
            other => Key::Text(other.clone()),
        }
    }

    /// Whether reading the message text is needed (not only its date and size).
    fn needs_bytes(&self) -> bool {
        match self {
            Key::Text(_) => true,
            Key::Not(k) => k.needs_bytes(),
            Key::Or(a, b) => a.needs_bytes() || b.needs_bytes(),
            Key::And(keys) => keys.iter().any(Key::needs_bytes),
            _ => false,
        }
    }

    /// The key judged for one message: `None` when data it does not have decides it.
    fn judge(&self, m: &Facts<'_>) -> Option<bool> {
        Some(match self {
            Key::Const(b) => *b,
            Key::Flag(flag, has) => m.view.table.has(m.view.flags(m.seq), flag) == *has,
            Key::Recent(r) => m.view.is_recent(m.seq) == *r,
            Key::New => {
                m.view.is_recent(m.seq) && !m.view.table.has(m.view.flags(m.seq), &Flag::Seen)
            }
            Key::Seqs(r) => in_ranges(r, m.seq),
            Key::Uids(r) => in_ranges(r, m.uid),
            Key::Before(d) => m.meta?.date.date() < *d,
            Key::On(d) => m.meta?.date.date() == *d,
            Key::Since(d) => m.meta?.date.date() >= *d,
            Key::Larger(n) => m.meta?.size > *n,
            Key::Smaller(n) => m.meta?.size < *n,
            Key::Text(key) => {
                let (message, ctx) = m.text.as_ref()?;
                search::matches(key, message, ctx)
            }
            Key::Not(k) => !k.judge(m)?,
            Key::Or(a, b) => match (a.judge(m), b.judge(m)) {
                (Some(true), _) | (_, Some(true)) => true,
                (Some(false), Some(false)) => false,
                _ => return None,
            },
            Key::And(keys) => return all(keys, m),
        })
    }
}

/// All of `keys`: false as soon as one is false, unknown if one is unknown.
fn all(keys: &[Key], m: &Facts<'_>) -> Option<bool> {
    let mut known = true;
    for k in keys {
        match k.judge(m) {
            Some(false) => return Some(false),
            Some(true) => {}
            None => known = false,
        }
    }
    known.then_some(true)
}

/// What is known of one message: always its place in the view; its date and size and its
/// text once the host has handed them.
struct Facts<'a> {
    seq: u32,
    uid: u32,
    view: &'a View,
    meta: Option<Meta>,
    text: Option<(Message, search::MessageContext<'a>)>,
}

/// The internal date and size of a message (for date and size keys).
#[derive(Clone, Copy)]
struct Meta {
    date: DateTime,
    size: u32,
}

#[derive(Debug)]
enum Stage {
    /// The [`SearchRequest`] is out.
    AskHost { id: RequestId, since: Instant },
    /// The session reads the candidates.
    Evaluate,
}

/// A SEARCH in progress.
#[derive(Debug)]
pub(super) struct SearchJob {
    pub(super) tag: Tag,
    uid: bool,
    /// The keys as sent (for the host's [`SearchRequest`]) and compiled.
    criteria: Vec<SearchKey>,
    keys: Vec<Key>,
    bytes: bool,
    stage: Stage,
    /// Messages decided so far (sequence numbers).
    matches: Vec<u32>,
    candidates: SeqRanges,
    cursor: Cursor,
    slots: VecDeque<Slot>,
    unavailable: bool,
}

impl SearchJob {
    pub(super) fn oldest(&self) -> Option<Instant> {
        let slots = self
            .slots
            .iter()
            .filter(|s| s.result.is_none())
            .map(|s| s.since);
        match self.stage {
            Stage::AskHost { since, .. } => Some(since),
            Stage::Evaluate => slots.min(),
        }
    }

    pub(super) fn slot_for(&mut self, id: RequestId) -> Option<&mut Slot> {
        self.slots
            .iter_mut()
            .find(|s| s.id == Some(id) && s.result.is_none())
    }
}

impl Session {
    pub(super) fn search(
        &mut self,
        tag: Tag,
        charset: Option<IString>,
        criteria: Vec<SearchKey>,
        uid: bool,
    ) {
        if let Some(charset) = &charset {
            if !search::charset_supported(charset.as_bytes()) {
                // RFC 3501 §6.4.4: NO [BADCHARSET] lists what is supported.
                let supported = ["US-ASCII", "UTF-8"]
                    .map(|c| IString::unvalidated(bytes::Bytes::from_static(c.as_bytes())));
                return self.tagged_no(
                    &tag,
                    Some(Code::BadCharset(supported.to_vec())),
                    "Charset not supported",
                );
            }
        }
        let Some(selected) = self.selected.as_ref() else {
            return;
        };
        let view = &selected.view;
        let keys: Vec<Key> = criteria.iter().map(|k| Key::compile(k, view, 0)).collect();
        let mut matches = Vec::new();
        let mut candidates: SeqRanges = Vec::new();
        let mut candidate_uids = UidSet::default();
        for seq in 1..=view.len() {
            let Some(uid) = view.uid(seq) else {
                continue;
            };
            let facts = Facts {
                seq,
                uid,
                view,
                meta: None,
                text: None,
            };
            match all(&keys, &facts) {
                Some(true) => matches.push(seq),
                Some(false) => {}
                None => {
                    match candidates.last_mut() {
                        Some((_, end)) if *end + 1 == seq => *end = seq,
                        _ => candidates.push((seq, seq)),
                    }
                    candidate_uids.push(uid);
                }
            }
        }
        let bytes = keys.iter().any(Key::needs_bytes);
        let mut job = SearchJob {
            tag,
            uid,
            criteria,
            keys,
            bytes,
            stage: Stage::Evaluate,
            matches,
            cursor: Cursor::new(Vec::new()),
            candidates,
            slots: VecDeque::new(),
            unavailable: false,
        };
        if job.candidates.is_empty() {
            return self.finish_search(job);
        }
        let id = self.id();
        job.stage = Stage::AskHost {
            id,
            since: self.now,
        };
        self.events.push_back(Event::Search(SearchRequest {
            id,
            criteria: job.criteria.clone(),
            candidates: candidate_uids,
        }));
        self.job = Some(Job::Search(Box::new(job)));
    }

    pub(super) fn answer_search(
        &mut self,
        request: SearchRequest,
        answer: Result<SearchAnswer, MessageError>,
    ) -> Result<(), AnswerError<SearchRequest>> {
        let asked = match &self.job {
            Some(Job::Search(job)) => {
                matches!(job.stage, Stage::AskHost { id, .. } if id == request.id)
            }
            _ => false,
        };
        if !asked {
            return Err(AnswerError::new(request, UsageError::NotPending));
        }
        let Some(Job::Search(mut job)) = self.job.take() else {
            return Ok(());
        };
        match answer {
            Ok(SearchAnswer::Evaluate) => {
                job.stage = Stage::Evaluate;
                job.cursor = Cursor::new(std::mem::take(&mut job.candidates));
                self.job = Some(Job::Search(job));
            }
            Ok(SearchAnswer::Matches(uids)) => {
                if let Some(selected) = self.selected.as_ref() {
                    for uid in uids {
                        if let Some(seq) = selected.view.uids().seq(uid) {
                            if in_ranges(&job.candidates, seq) {
                                job.matches.push(seq);
                            }
                        }
                    }
                }
                job.candidates.clear();
                self.finish_search(*job);
            }
            Err(_) => {
                job.unavailable = true;
                job.candidates.clear();
                self.finish_search(*job);
            }
        }
        Ok(())
    }

    /// Moves the evaluation on: judges answered candidates, asks for more.
    pub(super) fn step_search(&mut self) -> bool {
        let Some(Job::Search(mut job)) = self.job.take() else {
            return false;
        };
        if matches!(job.stage, Stage::AskHost { .. }) {
            self.job = Some(Job::Search(job));
            return false;
        }
        let mut progressed = false;
        while let Some(slot) = job.slots.front() {
            if slot.result.is_none() {
                break;
            }
            let Some(slot) = job.slots.pop_front() else {
                break;
            };
            progressed = true;
            self.judge_answered(&mut job, slot);
        }
        // Refilled once half the window is answered, as FETCH does (batches for the host).
        let refill = job.slots.len() <= self.config.fetch_window / 2;
        while refill && job.slots.len() < self.config.fetch_window {
            let Some(seq) = job.cursor.next() else {
                break;
            };
            let Some(uid) = self.selected.as_ref().and_then(|s| s.view.uid(seq)) else {
                continue;
            };
            progressed = true;
            let id = self.id();
            self.events.push_back(Event::Message(MessageRequest {
                id,
                uid,
                bytes: job.bytes,
                metadata: true,
                envelope: false,
                structure: false,
                mark_seen: false,
            }));
            job.slots.push_back(Slot {
                seq,
                uid,
                id: Some(id),
                since: self.now,
                mark_seen: false,
                result: None,
            });
        }
        if job.cursor.is_done() && job.slots.is_empty() {
            self.finish_search(*job);
            return true;
        }
        self.job = Some(Job::Search(job));
        progressed
    }

    /// Judges one candidate with its data.
    fn judge_answered(&mut self, job: &mut SearchJob, slot: Slot) {
        let Some(selected) = self.selected.as_ref() else {
            return;
        };
        let view = &selected.view;
        let data = match slot.result {
            Some(Ok(data)) => data,
            // Expunged elsewhere: it does not match (RFC 2180 §4.1 lets a server leave it out).
            Some(Err(MessageError::Expunged)) | None => return,
            Some(Err(_)) => {
                job.unavailable = true;
                return;
            }
        };
        if view.uid(slot.seq) != Some(slot.uid) {
            return;
        }
        if data.bytes.is_none() && job.bytes {
            job.unavailable = true;
            return;
        }
        let flags = view.table.flags(view.flags(slot.seq));
        let text = data.bytes.as_ref().map(|bytes| {
            let ctx = search::MessageContext {
                seq: slot.seq,
                uid: slot.uid,
                largest_seq: view.len(),
                largest_uid: view.last_uid(),
                flags: &flags,
                recent: view.is_recent(slot.seq),
                internal_date: data.internal_date,
            };
            (Message::parse(bytes.clone()), ctx)
        });
        // The size: the host's, or counted from the bytes.
        let size = data.size.or_else(|| {
            text.as_ref()
                .map(|(m, _)| u32::try_from(m.rfc822_size()).unwrap_or(u32::MAX))
        });
        let facts = Facts {
            seq: slot.seq,
            uid: slot.uid,
            view,
            meta: size.map(|size| Meta {
                date: data.internal_date,
                size,
            }),
            text,
        };
        let Some(matched) = all(&job.keys, &facts) else {
            job.unavailable = true;
            return;
        };
        if matched {
            job.matches.push(slot.seq);
        }
    }

    fn finish_search(&mut self, mut job: SearchJob) {
        if job.unavailable {
            self.release_updates(job.uid);
            return self.tagged_no(
                &job.tag,
                Some(Code::Unavailable),
                "Some messages could not be read",
            );
        }
        job.matches.sort_unstable();
        job.matches.dedup();
        let numbers: Vec<u32> = match (&self.selected, job.uid) {
            (Some(s), true) => job
                .matches
                .iter()
                .filter_map(|&seq| s.view.uid(seq))
                .collect(),
            _ => job.matches,
        };
        self.transmit.write(|out| {
            out.extend_from_slice(b"* SEARCH");
            for n in numbers {
                crate::transmit::put_fmt(out, format_args!(" {n}"));
            }
            out.extend_from_slice(b"\r\n");
        });
        // RFC 3501 §7.4.1: no EXPUNGE while answering SEARCH; UID SEARCH may.
        self.release_updates(job.uid);
        let done = if job.uid {
            "UID SEARCH completed"
        } else {
            "SEARCH completed"
        };
        self.tagged_ok(&job.tag, None, done);
    }
}
