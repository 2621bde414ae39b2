//! FETCH (RFC 3501 §6.4.5): every item computed from what the host hands per message,
//! streamed.
//!
//! The job walks the resolved sequence numbers in order. Items the view holds (UID, FLAGS)
//! cost the host nothing; for the others the session asks for each message with a
//! [`MessageRequest`], keeping up to [`Config::fetch_window`](super::Config::fetch_window)
//! requests out and producing no more while the output is over its limit, so a FETCH of a
//! whole mailbox runs in bounded memory. Answers may come in any order; responses go out
//! in sequence order. Body sections go out in their wire form ([`WireForm`]): slices of the
//! host's `Bytes` when they need no edit, else converted in one pass (bounded in size; past
//! that, slices between static inserts).

use std::cell::OnceCell;
use std::collections::VecDeque;
use std::num::NonZeroU32;

use crate::Instant;
use crate::answer::{AnswerError, RequestId, UsageError};
use crate::imap::wire::WireForm;
use crate::imap::{
    BodyStructure, Code, FetchAttribute, FetchItems, Flag, MessageDataItem, Section, SectionText,
    SequenceSet, Tag,
};
use crate::mime::Message;
use crate::mime::section::Source;

use super::event::{Event, MessageData, MessageError, MessageRequest};
use super::sets::{SeqRanges, resolve};
use super::{Job, Session};

/// What the items of a FETCH need from the host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Plan {
    pub(super) bytes: bool,
    pub(super) metadata: bool,
    pub(super) envelope: bool,
    pub(super) structure: bool,
    /// A body section without PEEK: `\Seen` is set (RFC 3501 §6.4.5).
    pub(super) sets_seen: bool,
}

impl Plan {
    fn of(items: &[FetchAttribute]) -> Plan {
        use FetchAttribute as A;
        let mut plan = Plan::default();
        for item in items {
            match item {
                A::Uid | A::Flags => {}
                A::InternalDate | A::Rfc822Size => plan.metadata = true,
                A::Envelope => plan.envelope = true,
                A::Body | A::BodyStructure => plan.structure = true,
                A::Rfc822Header => plan.bytes = true,
                A::Rfc822 | A::Rfc822Text => {
                    plan.bytes = true;
                    plan.sets_seen = true;
                }
                A::BodySection { peek, .. } => {
                    plan.bytes = true;
                    plan.sets_seen |= !peek;
                }
            }
        }
        plan
    }

    pub(super) fn needs_host(&self) -> bool {
        self.bytes || self.metadata || self.envelope || self.structure
    }
}

/// One message of a job: its numbers, and the host's answer once it came.
#[derive(Debug)]
pub(super) struct Slot {
    pub(super) seq: u32,
    pub(super) uid: u32,
    /// The request out for it; `None` when the view answers alone.
    pub(super) id: Option<RequestId>,
    pub(super) since: Instant,
    pub(super) mark_seen: bool,
    pub(super) result: Option<Result<MessageData, MessageError>>,
}

impl Slot {
    fn ready(&self) -> bool {
        self.id.is_none() || self.result.is_some()
    }
}

/// The sequence numbers of a job, walked in order.
#[derive(Debug)]
pub(super) struct Cursor {
    ranges: SeqRanges,
    index: usize,
    next: u32,
}

impl Cursor {
    pub(super) fn new(ranges: SeqRanges) -> Cursor {
        let next = ranges.first().map_or(0, |r| r.0);
        Cursor {
            ranges,
            index: 0,
            next,
        }
    }

    pub(super) fn next(&mut self) -> Option<u32> {
        let &(_, end) = self.ranges.get(self.index)?;
        let seq = self.next;
        if seq >= end {
            self.index += 1;
            self.next = self.ranges.get(self.index).map_or(0, |r| r.0);
        } else {
            self.next += 1;
        }
        Some(seq)
    }

    pub(super) fn is_done(&self) -> bool {
        self.index >= self.ranges.len()
    }
}

/// How a FETCH-shaped job ends.
#[derive(Debug)]
pub(super) enum End {
    /// `tag OK FETCH completed` (or the NO of what went wrong).
    Fetch(&'static str),
    /// The FETCH FLAGS of a STORE: `tag OK +FLAGS completed`; `skipped` messages were
    /// expunged elsewhere and not stored.
    Store { done: &'static str, skipped: bool },
}

/// A FETCH in progress (see the module docs).
#[derive(Debug)]
pub(super) struct FetchJob {
    pub(super) tag: Tag,
    uid: bool,
    items: Vec<FetchAttribute>,
    plan: Plan,
    cursor: Cursor,
    slots: VecDeque<Slot>,
    expunged: bool,
    unavailable: bool,
    end: End,
}

impl FetchJob {
    /// When the oldest request still out was made.
    pub(super) fn oldest(&self) -> Option<Instant> {
        self.slots
            .iter()
            .filter(|s| s.id.is_some() && s.result.is_none())
            .map(|s| s.since)
            .min()
    }

    pub(super) fn slot_for(&mut self, id: RequestId) -> Option<&mut Slot> {
        self.slots
            .iter_mut()
            .find(|s| s.id == Some(id) && s.result.is_none())
    }
}

/// BODY: BODYSTRUCTURE without its extension data (RFC 3501 §7.4.2).
fn without_extensions(b: BodyStructure) -> BodyStructure {
    match b {
        BodyStructure::Single { mut body, .. } => {
            if let crate::imap::BodyKind::Message { body: inner, .. } = &mut body.kind {
                let stripped = without_extensions(std::mem::replace(
                    inner.as_mut(),
                    BodyStructure::Multipart {
                        bodies: Vec::new(),
                        subtype: crate::imap::IString::empty(),
                        extension: None,
                    },
                ));
                **inner = stripped;
            }
            BodyStructure::Single {
                body,
                extension: None,
            }
        }
        BodyStructure::Multipart {
            bodies, subtype, ..
        } => BodyStructure::Multipart {
            bodies: bodies.into_iter().map(without_extensions).collect(),
            subtype,
            extension: None,
        },
    }
}

/// A body item: the section it reads, the window, and the name it is answered under.
struct BodyItem {
    section: Section,
    /// `<origin.length>`.
    partial: Option<(u32, u32)>,
    name: &'static str,
}

/// The body item of a FETCH attribute (RFC 3501 §6.4.5: RFC822 is `BODY[]`, RFC822.HEADER
/// is `BODY.PEEK[HEADER]`, RFC822.TEXT is `BODY[TEXT]`).
fn body_item(item: &FetchAttribute) -> Option<BodyItem> {
    let text = |t| Section::new(Vec::new(), Some(t)).unwrap_or_default();
    let (section, partial, name) = match item {
        FetchAttribute::Rfc822 => (Section::full(), None, "RFC822"),
        FetchAttribute::Rfc822Header => (text(SectionText::Header), None, "RFC822.HEADER"),
        FetchAttribute::Rfc822Text => (text(SectionText::Text), None, "RFC822.TEXT"),
        FetchAttribute::BodySection {
            section, partial, ..
        } => (
            section.clone(),
            partial.map(|p| (p.origin, p.length.get())),
            "BODY",
        ),
        _ => return None,
    };
    Some(BodyItem {
        section,
        partial,
        name,
    })
}

impl Session {
    pub(super) fn fetch(&mut self, tag: Tag, set: &SequenceSet, items: &FetchItems, uid: bool) {
        let Some(selected) = self.selected.as_ref() else {
            return;
        };
        let ranges = match resolve(set, uid, &selected.view) {
            Ok(r) => r,
            Err(why) => return self.bad(Some(&tag), None, why),
        };
        let done = if uid {
            "UID FETCH completed"
        } else {
            "FETCH completed"
        };
        self.start_fetch(tag, ranges, items.expand(), uid, End::Fetch(done));
    }

    /// Starts a FETCH-shaped job over `ranges`.
    pub(super) fn start_fetch(
        &mut self,
        tag: Tag,
        ranges: SeqRanges,
        items: Vec<FetchAttribute>,
        uid: bool,
        end: End,
    ) {
        let mut plan = Plan::of(&items);
        if self.selected.as_ref().is_some_and(|s| s.read_only) {
            plan.sets_seen = false;
        }
        self.job = Some(Job::Fetch(Box::new(FetchJob {
            tag,
            uid,
            items,
            plan,
            cursor: Cursor::new(ranges),
            slots: VecDeque::new(),
            expunged: false,
            unavailable: false,
            end,
        })));
    }

    /// Moves the FETCH on: writes the responses that are ready, asks for more messages;
    /// `false` when nothing could be done.
    pub(super) fn step_fetch(&mut self) -> bool {
        let Some(Job::Fetch(mut job)) = self.job.take() else {
            return false;
        };
        let mut progressed = false;
        while !self.output_full() && job.slots.front().is_some_and(Slot::ready) {
            if let Some(slot) = job.slots.pop_front() {
                self.write_fetch(&mut job, slot);
                progressed = true;
            }
        }
        // The window is refilled once half of it is free, so the host gets its requests
        // in batches it can serve together (one trip to its storage for several).
        let refill = job.slots.len() <= self.config.fetch_window / 2;
        while refill && !self.output_full() && job.slots.len() < self.config.fetch_window {
            let Some(seq) = job.cursor.next() else {
                break;
            };
            progressed = true;
            if let Some(slot) = self.plan_slot(&mut job, seq) {
                let ready = slot.ready();
                job.slots.push_back(slot);
                // A slot the view answers alone goes out at once, in order.
                if ready && job.slots.len() == 1 {
                    if let Some(slot) = job.slots.pop_front() {
                        self.write_fetch(&mut job, slot);
                    }
                }
            }
        }
        if job.cursor.is_done() && job.slots.is_empty() {
            self.finish_fetch(*job);
            return true;
        }
        self.job = Some(Job::Fetch(job));
        progressed
    }

    /// The slot for message `seq`, asking the host when the items need it. A message the
    /// host has expunged (and the client not yet been told of) is left out when the host's
    /// data is needed (RFC 2180 §4.1.2).
    fn plan_slot(&mut self, job: &mut FetchJob, seq: u32) -> Option<Slot> {
        let selected = self.selected.as_ref()?;
        let view = &selected.view;
        let uid = view.uid(seq)?;
        let plan = job.plan;
        if !plan.needs_host() {
            return Some(Slot {
                seq,
                uid,
                id: None,
                since: self.now,
                mark_seen: false,
                result: None,
            });
        }
        if view.is_expunged(seq) {
            job.expunged = true;
            return None;
        }
        let mark_seen = plan.sets_seen && !view.table.get(view.flags(seq)).seen();
        let id = self.id();
        self.events.push_back(Event::Message(MessageRequest {
            id,
            uid,
            bytes: plan.bytes || plan.envelope || plan.structure,
            metadata: plan.metadata || plan.bytes,
            envelope: plan.envelope,
            structure: plan.structure,
            mark_seen,
        }));
        Some(Slot {
            seq,
            uid,
            id: Some(id),
            since: self.now,
            mark_seen,
            result: None,
        })
    }

    pub(super) fn answer_message(
        &mut self,
        request: MessageRequest,
        answer: Result<MessageData, MessageError>,
    ) -> Result<(), AnswerError<MessageRequest>> {
        let id = request.id;
        let slot = match &mut self.job {
            Some(Job::Fetch(job)) => job.slot_for(id),
            Some(Job::Search(job)) => job.slot_for(id),
            _ => None,
        };
        match slot {
            Some(slot) => {
                slot.result = Some(answer);
                Ok(())
            }
            None => Err(AnswerError::new(request, UsageError::NotPending)),
        }
    }

    fn finish_fetch(&mut self, job: FetchJob) {
        // RFC 3501 §7.4.1: no EXPUNGE while answering FETCH or STORE; UID FETCH may.
        self.release_updates(job.uid);
        let tag = job.tag;
        match job.end {
            _ if job.unavailable => {
                self.tagged_no(
                    &tag,
                    Some(Code::Unavailable),
                    "Some messages could not be read",
                );
            }
            End::Fetch(_) if job.expunged => {
                self.tagged_no(
                    &tag,
                    Some(Code::ExpungeIssued),
                    "Some messages were expunged",
                );
            }
            End::Store { skipped: true, .. } => {
                self.tagged_no(
                    &tag,
                    Some(Code::ExpungeIssued),
                    "Some messages were expunged and not stored",
                );
            }
            End::Fetch(done) | End::Store { done, .. } => self.tagged_ok(&tag, None, done),
        }
    }

    /// The host did not hand over every message in time: what was written stands, the
    /// FETCH ends `NO [UNAVAILABLE]` (nothing was changed by a read, so nothing is claimed).
    pub(super) fn fetch_timed_out(&mut self, job: FetchJob) {
        self.release_updates(job.uid);
        self.tagged_no(
            &job.tag,
            Some(Code::Unavailable),
            "Some messages could not be read in time",
        );
    }

    /// Writes `* seq FETCH (...)` for one message.
    fn write_fetch(&mut self, job: &mut FetchJob, slot: Slot) {
        let data = match slot.result {
            None => None,
            Some(Ok(data)) => Some(data),
            Some(Err(MessageError::Expunged)) => {
                job.expunged = true;
                return;
            }
            Some(Err(_)) => {
                job.unavailable = true;
                return;
            }
        };
        let Some(selected) = self.selected.as_mut() else {
            return;
        };
        // The message may have been expunged and announced meanwhile (by an EXPUNGE this
        // FETCH cannot send itself, so only through a UID command's release).
        if selected.view.uid(slot.seq) != Some(slot.uid) {
            return;
        }
        if slot.mark_seen && data.is_some() {
            let view = &mut selected.view;
            let seen = view
                .table
                .apply(view.flags(slot.seq), super::flags::Op::Add, &[Flag::Seen]);
            view.set_told(slot.seq, seen);
        }
        // The raw message, parsed only for the items that need its structure (a section
        // with a part or a text specifier, ENVELOPE or BODYSTRUCTURE the host did not cache).
        let raw = data.as_ref().and_then(|d| d.bytes.clone());
        let parsed: OnceCell<Message> = OnceCell::new();
        let message = || {
            raw.as_ref()
                .map(|b| parsed.get_or_init(|| Message::parse(b.clone())))
        };
        let mut items: Vec<&FetchAttribute> = job.items.iter().collect();
        let with_uid = job.uid && !job.items.contains(&FetchAttribute::Uid);
        let with_flags = slot.mark_seen && !job.items.contains(&FetchAttribute::Flags);
        if with_flags {
            items.push(&FetchAttribute::Flags);
        }
        if with_uid {
            items.push(&FetchAttribute::Uid);
        }
        // Check the host's answer holds everything first: a response is never half written.
        for item in &items {
            let have = match item {
                FetchAttribute::InternalDate => data.is_some(),
                FetchAttribute::Rfc822Size => {
                    data.as_ref().is_some_and(|d| d.size.is_some()) || raw.is_some()
                }
                FetchAttribute::Envelope => {
                    data.as_ref().is_some_and(|d| d.envelope.is_some()) || raw.is_some()
                }
                FetchAttribute::Body | FetchAttribute::BodyStructure => {
                    data.as_ref().is_some_and(|d| d.structure.is_some()) || raw.is_some()
                }
                FetchAttribute::Uid | FetchAttribute::Flags => true,
                _ => raw.is_some(),
            };
            if !have {
                job.unavailable = true;
                return;
            }
        }
        let seq = slot.seq;
        self.transmit
            .write(|out| crate::transmit::put_fmt(out, format_args!("* {seq} FETCH (")));
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.transmit.write(|out| out.extend_from_slice(b" "));
            }
            if let Some(BodyItem {
                section,
                partial,
                name,
            }) = body_item(item)
            {
                let Some(bytes) = &raw else {
                    continue;
                };
                let window = partial.map(|(o, l)| (u64::from(o), u64::from(l)));
                // BODY[] is the whole message: no structure needed, so the message is not
                // parsed (the guard must come before `message()` is called).
                let body = if section == Section::full() {
                    WireForm::new(bytes.clone(), window)
                } else {
                    match message() {
                        Some(message) => match message.section_source(&section) {
                            Source::Range(range) => WireForm::new(bytes.slice(range), window),
                            Source::Built(built) => WireForm::new(built, window),
                        },
                        None => continue,
                    }
                };
                let len = body.len();
                let is_body = name == "BODY";
                self.transmit.encode(|e| {
                    e.raw(name.as_bytes());
                    if is_body {
                        e.section(&section);
                        if let Some((origin, _)) = partial {
                            e.raw(b"<");
                            e.number(origin);
                            e.raw(b">");
                        }
                    }
                    e.raw(b" {");
                    e.number(u32::try_from(len).unwrap_or(u32::MAX));
                    e.raw(b"}\r\n");
                });
                self.transmit.wire(body);
                continue;
            }
            let value = match item {
                FetchAttribute::Uid => NonZeroU32::new(slot.uid).map(MessageDataItem::Uid),
                FetchAttribute::Flags => self.flags_item(seq).and_then(|mut v| v.pop()),
                FetchAttribute::InternalDate => data
                    .as_ref()
                    .map(|d| MessageDataItem::InternalDate(d.internal_date)),
                FetchAttribute::Rfc822Size => {
                    let size = data.as_ref().and_then(|d| d.size).or_else(|| {
                        raw.as_ref().map(|b| {
                            u32::try_from(crate::imap::wire::wire_len(b)).unwrap_or(u32::MAX)
                        })
                    });
                    size.map(MessageDataItem::Rfc822Size)
                }
                FetchAttribute::Envelope => data
                    .as_ref()
                    .and_then(|d| d.envelope.clone())
                    .or_else(|| message().map(Message::envelope))
                    .map(|e| MessageDataItem::Envelope(Box::new(e))),
                FetchAttribute::BodyStructure => data
                    .as_ref()
                    .and_then(|d| d.structure.clone())
                    .or_else(|| message().map(Message::body_structure))
                    .map(MessageDataItem::BodyStructure),
                FetchAttribute::Body => data
                    .as_ref()
                    .and_then(|d| d.structure.clone().map(without_extensions))
                    .or_else(|| message().map(Message::body))
                    .map(MessageDataItem::Body),
                _ => None,
            };
            if let Some(value) = value {
                self.transmit.encode(|e| e.msg_att(&value));
            }
        }
        self.transmit.write(|out| out.extend_from_slice(b")\r\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3501_6_4_5_what_each_item_needs() {
        use FetchAttribute as A;
        assert_eq!(Plan::of(&[A::Uid, A::Flags]), Plan::default());
        assert!(!Plan::of(&[A::Uid, A::Flags]).needs_host());
        let p = Plan::of(&[A::Rfc822Header]);
        assert!(
            p.bytes && !p.sets_seen,
            "RFC822.HEADER is BODY.PEEK[HEADER]"
        );
        assert!(Plan::of(&[A::Rfc822Text]).sets_seen);
        let peek = A::BodySection {
            peek: true,
            section: Section::full(),
            partial: None,
        };
        assert!(!Plan::of(&[peek]).sets_seen);
        assert!(Plan::of(&[A::InternalDate]).metadata);
    }

    #[test]
    fn cursor_walks_ranges() {
        let mut c = Cursor::new(vec![(1, 3), (7, 7), (9, 10)]);
        let got: Vec<u32> = std::iter::from_fn(|| c.next()).collect();
        assert_eq!(got, [1, 2, 3, 7, 9, 10]);
        assert!(c.is_done());
        assert!(Cursor::new(Vec::new()).is_done());
    }
}
