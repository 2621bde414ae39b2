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
use crate::imap::{Code, DateTime, Flag, IString, SearchKey, Tag};
use crate::mime::{Message, search};

use super::event::{Event, MessageError, MessageRequest, SearchAnswer, SearchRequest, UidSet};
use super::fetch::{Cursor, Slot};
use super::flags::FlagTable;
use super::sets::SeqRanges;
use super::view::View;
use super::{Job, Session};

/// What is known of one message before its data is read.
struct Facts<'a> {
    seq: u32,
    uid: u32,
    view: &'a View,
    table: &'a FlagTable,
}

impl Facts<'_> {
    fn has(&self, flag: &Flag) -> bool {
        self.table.has(self.view.flags(self.seq), flag)
    }

    fn recent(&self) -> bool {
        self.view.is_recent(self.seq)
    }
}

/// The internal date and size of a message (for date and size keys).
#[derive(Clone, Copy)]
struct Meta {
    date: DateTime,
    size: u32,
}

/// `key` judged from `facts` (and `meta` when given): `None` when the message's data
/// decides it.
fn judge(key: &SearchKey, facts: &Facts<'_>, meta: Option<Meta>, depth: usize) -> Option<bool> {
    use SearchKey as K;
    if depth > search::MAX_KEY_DEPTH {
        return Some(false);
    }
    let flag = |f: Flag| Some(facts.has(&f));
    Some(match key {
        K::All => true,
        K::Answered => return flag(Flag::Answered),
        K::Deleted => return flag(Flag::Deleted),
        K::Draft => return flag(Flag::Draft),
        K::Flagged => return flag(Flag::Flagged),
        K::Seen => return flag(Flag::Seen),
        K::Unanswered => !facts.has(&Flag::Answered),
        K::Undeleted => !facts.has(&Flag::Deleted),
        K::Undraft => !facts.has(&Flag::Draft),
        K::Unflagged => !facts.has(&Flag::Flagged),
        K::Unseen => !facts.has(&Flag::Seen),
        K::Keyword(k) => facts.has(&Flag::Keyword(k.clone())),
        K::Unkeyword(k) => !facts.has(&Flag::Keyword(k.clone())),
        K::Recent => facts.recent(),
        K::New => facts.recent() && !facts.has(&Flag::Seen),
        K::Old => !facts.recent(),
        K::SequenceSet(set) => set.contains(facts.seq, facts.view.len()),
        K::Uid(set) => set.contains(facts.uid, facts.view.last_uid()),
        K::Before(d) => meta?.date.date() < *d,
        K::On(d) => meta?.date.date() == *d,
        K::Since(d) => meta?.date.date() >= *d,
        K::Larger(n) => meta?.size > *n,
        K::Smaller(n) => meta?.size < *n,
        K::Not(k) => !judge(k, facts, meta, depth + 1)?,
        K::Or(a, b) => match (
            judge(a, facts, meta, depth + 1),
            judge(b, facts, meta, depth + 1),
        ) {
            (Some(true), _) | (_, Some(true)) => true,
            (Some(false), Some(false)) => false,
            _ => return None,
        },
        K::And(keys) => return all(keys, facts, meta, depth + 1),
        // Text and Date: header keys need the message.
        _ => return None,
    })
}

/// All of `keys`: false as soon as one is false, unknown if one is unknown.
fn all(keys: &[SearchKey], facts: &Facts<'_>, meta: Option<Meta>, depth: usize) -> Option<bool> {
    let mut known = true;
    for k in keys {
        match judge(k, facts, meta, depth) {
            Some(false) => return Some(false),
            Some(true) => {}
            None => known = false,
        }
    }
    known.then_some(true)
}

/// Whether any of `keys` reads the message text (not only its date and size).
fn needs_bytes(keys: &[SearchKey]) -> bool {
    use SearchKey as K;
    keys.iter().any(|k| match k {
        K::Bcc(_)
        | K::Body(_)
        | K::Cc(_)
        | K::From(_)
        | K::Header(..)
        | K::Subject(_)
        | K::Text(_)
        | K::To(_)
        | K::SentBefore(_)
        | K::SentOn(_)
        | K::SentSince(_) => true,
        K::Not(k) => needs_bytes(std::slice::from_ref(k)),
        K::Or(a, b) => needs_bytes(std::slice::from_ref(a)) || needs_bytes(std::slice::from_ref(b)),
        K::And(keys) => needs_bytes(keys),
        _ => false,
    })
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
    criteria: Vec<SearchKey>,
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
                table: &view.table,
            };
            match all(&criteria, &facts, None, 0) {
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
        let bytes = needs_bytes(&criteria);
        let mut job = SearchJob {
            tag,
            uid,
            criteria,
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
                            if job.candidates.iter().any(|&(a, b)| (a..=b).contains(&seq)) {
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
        while job.slots.len() < self.config.fetch_window {
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
        let matched = match &data.bytes {
            Some(bytes) => {
                let message = Message::parse(bytes.clone());
                let flags = view.table.flags(view.flags(slot.seq));
                let ctx = search::MessageContext {
                    seq: slot.seq,
                    uid: slot.uid,
                    largest_seq: view.len(),
                    largest_uid: view.last_uid(),
                    flags: &flags,
                    recent: view.is_recent(slot.seq),
                    internal_date: data.internal_date,
                };
                job.criteria
                    .iter()
                    .all(|k| search::matches(k, &message, &ctx))
            }
            None if job.bytes => {
                job.unavailable = true;
                return;
            }
            None => {
                let facts = Facts {
                    seq: slot.seq,
                    uid: slot.uid,
                    view,
                    table: &view.table,
                };
                let meta = data.size.map(|size| Meta {
                    date: data.internal_date,
                    size,
                });
                match all(&job.criteria, &facts, meta, 0) {
                    Some(m) => m,
                    None => {
                        job.unavailable = true;
                        return;
                    }
                }
            }
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
