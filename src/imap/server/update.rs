//! The commands that change messages: STORE (RFC 3501 §6.4.6), COPY (§6.4.7), MOVE
//! (RFC 6851), EXPUNGE (§6.4.3), UID EXPUNGE (RFC 4315 §2.1) and CLOSE (§6.4.2), with
//! UNSELECT (RFC 3691). The host gets UIDs; the session builds the responses, UIDPLUS codes
//! included, from its answer.

use crate::answer::{AnswerError, UsageError};
use crate::imap::{
    Code, FetchAttribute, Flag, Mailbox, SeqNumber, Sequence, SequenceSet, StoreKind, Tag,
};

use super::event::sealed::Kind;
use super::event::{
    Copied, CopyRequest, Event, ExpungeRequest, MailboxError, StoreOp, StoreRequest, UidSet,
};
use super::fetch::End;
use super::flags::Op;
use super::mailbox::refusal;
use super::sets::{SeqRanges, resolve, seqs, uids_of};
use super::{Session, Waiting};

/// A STORE waiting for the host.
#[derive(Debug)]
pub(super) struct StoreJob {
    ranges: SeqRanges,
    uids: UidSet,
    op: Op,
    flags: Vec<Flag>,
    silent: bool,
    uid: bool,
    skipped: bool,
    done: &'static str,
}

/// A COPY or MOVE waiting for the host.
#[derive(Debug)]
pub(super) struct CopyJob {
    uids: UidSet,
    is_move: bool,
}

/// An EXPUNGE, UID EXPUNGE or CLOSE waiting for the host.
#[derive(Debug)]
pub(super) struct ExpungeJob {
    /// CLOSE: expunge silently (RFC 3501 §6.4.2), then leave the mailbox.
    close: bool,
    uid: bool,
}

/// A UID list as a `uid-set` (RFC 4315 §4), runs written as ranges, order kept.
fn uid_set(uids: impl IntoIterator<Item = u32>) -> Option<SequenceSet> {
    let mut items: Vec<(u32, u32)> = Vec::new();
    for u in uids {
        match items.last_mut() {
            Some((_, b)) if b.checked_add(1) == Some(u) => *b = u,
            _ => items.push((u, u)),
        }
    }
    let n = |v| SeqNumber::new(v);
    let items: Option<Vec<Sequence>> = items
        .into_iter()
        .map(|(a, b)| match a == b {
            true => Some(Sequence::Single(n(a)?)),
            false => Some(Sequence::Range(n(a)?, n(b)?)),
        })
        .collect();
    SequenceSet::new(items?).ok()
}

impl Session {
    /// The selected view's resolved set, or the BAD for it.
    fn resolved(&mut self, tag: &Tag, set: &SequenceSet, uid: bool) -> Option<SeqRanges> {
        let view = &self.selected.as_ref()?.view;
        match resolve(set, uid, view) {
            Ok(r) => Some(r),
            Err(why) => {
                self.bad(Some(tag), None, why);
                None
            }
        }
    }

    pub(super) fn store(
        &mut self,
        tag: Tag,
        set: &SequenceSet,
        kind: StoreKind,
        silent: bool,
        flags: Vec<Flag>,
        uid: bool,
    ) {
        let Some(ranges) = self.resolved(&tag, set, uid) else {
            return;
        };
        let Some(selected) = self.selected.as_ref() else {
            return;
        };
        if selected.read_only {
            return self.tagged_no(&tag, Some(Code::Cannot), "Mailbox is read-only");
        }
        // Only flags the mailbox keeps for good are stored (RFC 3501 §7.1 PERMANENTFLAGS).
        let flags: Vec<Flag> = match &selected.permanent {
            None => flags,
            Some((allowed, new_keywords)) => flags
                .into_iter()
                .filter(|f| {
                    allowed.contains(f)
                        || (*new_keywords && matches!(f, Flag::Keyword(_)))
                        || selected.view.table.keywords().contains(f)
                })
                .collect(),
        };
        let view = &selected.view;
        let mut skipped = false;
        let uids = uids_of(&ranges, view, |seq| {
            let gone = view.is_expunged(seq);
            skipped |= gone;
            !gone
        });
        let (op, store_op, done) = match kind {
            StoreKind::Replace => (Op::Replace, StoreOp::Replace, "FLAGS completed"),
            StoreKind::Add => (Op::Add, StoreOp::Add, "+FLAGS completed"),
            StoreKind::Remove => (Op::Remove, StoreOp::Remove, "-FLAGS completed"),
        };
        let job = StoreJob {
            ranges,
            uids: uids.clone(),
            op,
            flags: flags.clone(),
            silent,
            uid,
            skipped,
            done,
        };
        if uids.is_empty() {
            return self.stored(tag, job);
        }
        let id = self.id();
        let request = StoreRequest {
            id,
            uids,
            op: store_op,
            flags,
        };
        self.wait(
            tag,
            id,
            Kind::Store,
            Waiting::Store(job),
            Event::Store(request),
        );
    }

    pub(super) fn answer_store(
        &mut self,
        request: StoreRequest,
        answer: Result<(), MailboxError>,
    ) -> Result<(), AnswerError<StoreRequest>> {
        let Some(pending) = self.pending_for(&request) else {
            return Err(AnswerError::new(request, UsageError::NotPending));
        };
        let Waiting::Store(job) = pending.what else {
            return Ok(());
        };
        match answer {
            Ok(()) => self.stored(pending.tag, job),
            Err(e) => {
                let (code, s) = refusal(e, false);
                self.release_updates(job.uid);
                self.tagged_no(&pending.tag, Some(code), s);
            }
        }
        Ok(())
    }

    /// The host stored the change: the view takes it, and (unless `.SILENT`) the client
    /// gets each message's flags, through a FETCH-shaped job so that a STORE of a whole
    /// mailbox writes its responses as the output drains.
    fn stored(&mut self, tag: Tag, job: StoreJob) {
        let Some(selected) = self.selected.as_mut() else {
            return;
        };
        let view = &mut selected.view;
        for seq in seqs(&job.ranges) {
            if view.uid(seq).is_some_and(|u| job.uids.contains(u)) {
                let new = view.table.apply(view.flags(seq), job.op, &job.flags);
                // Its own STORE's result is told once, here, and not again as an update.
                view.set_told(seq, new);
            }
        }
        let end = End::Store {
            done: job.done,
            skipped: job.skipped,
        };
        if job.silent {
            self.release_updates(job.uid);
            return match end {
                End::Store { skipped: true, .. } => self.tagged_no(
                    &tag,
                    Some(Code::ExpungeIssued),
                    "Some messages were expunged and not stored",
                ),
                _ => self.tagged_ok(&tag, None, job.done),
            };
        }
        let mut items = vec![FetchAttribute::Flags];
        if job.uid {
            items.push(FetchAttribute::Uid);
        }
        let view = &selected.view;
        let mut told: SeqRanges = Vec::new();
        for seq in seqs(&job.ranges) {
            if view.uid(seq).is_some_and(|u| job.uids.contains(u)) {
                match told.last_mut() {
                    Some((_, b)) if *b + 1 == seq => *b = seq,
                    _ => told.push((seq, seq)),
                }
            }
        }
        // The FETCH FLAGS of a UID STORE carry the UID as an item already; EXPUNGEs stay
        // held for the rest of the STORE (RFC 3501 §7.4.1).
        self.start_fetch(tag, told, items, false, end);
    }

    pub(super) fn copy(
        &mut self,
        tag: Tag,
        set: &SequenceSet,
        mailbox: &Mailbox,
        uid: bool,
        is_move: bool,
    ) {
        let Some(ranges) = self.resolved(&tag, set, uid) else {
            return;
        };
        let Some(destination) = self.host_name(&tag, mailbox) else {
            return;
        };
        let Some(selected) = self.selected.as_ref() else {
            return;
        };
        if is_move && selected.read_only {
            return self.tagged_no(&tag, Some(Code::Cannot), "Mailbox is read-only");
        }
        let view = &selected.view;
        if seqs(&ranges).any(|seq| view.is_expunged(seq)) {
            // COPY is all or nothing (RFC 3501 §6.4.7), and some of it is gone.
            return self.tagged_no(
                &tag,
                Some(Code::ExpungeIssued),
                "Some messages were expunged",
            );
        }
        let uids = uids_of(&ranges, view, |_| true);
        let done = if is_move {
            "MOVE completed"
        } else {
            "COPY completed"
        };
        if uids.is_empty() {
            return self.done(&tag, true, done);
        }
        let id = self.id();
        let request = CopyRequest {
            id,
            uids: uids.clone(),
            destination,
            is_move,
        };
        self.wait(
            tag,
            id,
            Kind::Copy,
            Waiting::Copy(CopyJob { uids, is_move }),
            Event::Copy(request),
        );
    }

    pub(super) fn answer_copy(
        &mut self,
        request: CopyRequest,
        answer: Result<Copied, MailboxError>,
    ) -> Result<(), AnswerError<CopyRequest>> {
        if let Ok(copied) = &answer {
            if !copied.pairs.is_empty() && copied.uid_validity.is_none() {
                return Err(AnswerError::new(
                    request,
                    UsageError::InvalidAnswer(
                        "COPYUID needs a UIDVALIDITY and lists of one length",
                    ),
                ));
            }
        }
        let Some(pending) = self.pending_for(&request) else {
            return Err(AnswerError::new(request, UsageError::NotPending));
        };
        let Waiting::Copy(job) = pending.what else {
            return Ok(());
        };
        let tag = pending.tag;
        let copied = match answer {
            Ok(c) => c,
            Err(e) => {
                let (code, s) = refusal(e, true);
                self.release_updates(true);
                self.tagged_no(&tag, Some(code), s);
                return Ok(());
            }
        };
        let code = match (
            copied.uid_validity,
            uid_set(copied.pairs.iter().map(|p| p.0)),
            uid_set(copied.pairs.iter().map(|p| p.1)),
        ) {
            (Some(uid_validity), Some(source), Some(destination)) => Some(Code::CopyUid {
                uid_validity,
                source,
                destination,
            }),
            _ => None,
        };
        if !job.is_move {
            self.release_updates(true);
            self.tagged_ok(&tag, code, "COPY completed");
            return Ok(());
        }
        // RFC 6851 §4.3: COPYUID in an untagged OK, then the EXPUNGEs, then the tagged OK.
        if let Some(code) = code {
            self.untagged_ok(Some(code), "Moved UIDs");
        }
        let moved: Vec<u32> = match copied.pairs.is_empty() {
            true => job.uids.iter().collect(),
            false => copied
                .pairs
                .iter()
                .map(|p| p.0)
                .filter(|u| job.uids.contains(*u))
                .collect(),
        };
        self.expunged_now(&moved, false);
        self.release_updates(true);
        self.tagged_ok(&tag, None, "MOVE completed");
        Ok(())
    }

    /// Removes `uids` from the view and, unless `silent`, tells the client (RFC 3501
    /// §7.4.1: lower to higher).
    fn expunged_now(&mut self, uids: &[u32], silent: bool) {
        let Some(selected) = self.selected.as_mut() else {
            return;
        };
        let seqs = selected.view.remove_uids(uids);
        if silent {
            return;
        }
        self.transmit.write(|out| {
            for seq in seqs {
                crate::transmit::put_line(out, format_args!("* {seq} EXPUNGE"));
            }
        });
    }

    /// EXPUNGE, or UID EXPUNGE of `set` (RFC 4315 §2.1).
    pub(super) fn expunge(&mut self, tag: Tag, set: Option<SequenceSet>) {
        let uid = set.is_some();
        let ranges = match &set {
            Some(set) => match self.resolved(&tag, set, true) {
                Some(r) => Some(r),
                None => return,
            },
            None => None,
        };
        let Some(selected) = self.selected.as_ref() else {
            return;
        };
        if selected.read_only {
            return self.tagged_no(&tag, Some(Code::Cannot), "Mailbox is read-only");
        }
        let deleted = deleted_uids(&selected.view, ranges.as_deref());
        let done = if uid {
            "UID EXPUNGE completed"
        } else {
            "EXPUNGE completed"
        };
        if deleted.is_empty() {
            return self.done(&tag, true, done);
        }
        self.ask_expunge(tag, deleted, ExpungeJob { close: false, uid });
    }

    fn ask_expunge(&mut self, tag: Tag, uids: UidSet, job: ExpungeJob) {
        let id = self.id();
        let request = ExpungeRequest { id, uids };
        self.wait(
            tag,
            id,
            Kind::Expunge,
            Waiting::Expunge(job),
            Event::Expunge(request),
        );
    }

    /// CLOSE (`expunge`: RFC 3501 §6.4.2) or UNSELECT (RFC 3691).
    pub(super) fn close_mailbox(&mut self, tag: Tag, expunge: bool) {
        let Some(selected) = self.selected.as_ref() else {
            return;
        };
        let deleted = match expunge && !selected.read_only {
            true => deleted_uids(&selected.view, None),
            false => UidSet::default(),
        };
        if deleted.is_empty() {
            self.unselect();
            let done = if expunge {
                "CLOSE completed"
            } else {
                "UNSELECT completed"
            };
            return self.tagged_ok(&tag, None, done);
        }
        self.ask_expunge(
            tag,
            deleted,
            ExpungeJob {
                close: true,
                uid: false,
            },
        );
    }

    pub(super) fn answer_expunge(
        &mut self,
        request: ExpungeRequest,
        answer: Result<Vec<u32>, MailboxError>,
    ) -> Result<(), AnswerError<ExpungeRequest>> {
        let Some(pending) = self.pending_for(&request) else {
            return Err(AnswerError::new(request, UsageError::NotPending));
        };
        let Waiting::Expunge(job) = pending.what else {
            return Ok(());
        };
        let tag = pending.tag;
        match (answer, job.close) {
            (Ok(uids), false) => {
                self.expunged_now(&uids, false);
                let done = if job.uid {
                    "UID EXPUNGE completed"
                } else {
                    "EXPUNGE completed"
                };
                self.done(&tag, true, done);
            }
            (Ok(_), true) => {
                self.unselect();
                self.tagged_ok(&tag, None, "CLOSE completed");
            }
            (Err(e), false) => {
                let (code, s) = refusal(e, false);
                self.release_updates(true);
                self.tagged_no(&tag, Some(code), s);
            }
            (Err(e), true) => {
                // The mailbox is closed either way (RFC 3501 §6.4.2 has no failure for
                // CLOSE); the client learns the expunge did not happen.
                let (code, _) = refusal(e, false);
                self.unselect();
                self.tagged_no(&tag, Some(code), "Closed without expunging");
            }
        }
        Ok(())
    }
}

/// The UIDs with `\Deleted` in the view (within `ranges` when given), leaving out those
/// already expunged elsewhere.
fn deleted_uids(view: &super::view::View, ranges: Option<&[(u32, u32)]>) -> UidSet {
    let all = [(1, view.len())];
    let ranges = match ranges {
        Some(r) => r,
        None if view.len() == 0 => &[][..],
        None => &all[..],
    };
    uids_of(ranges, view, |seq| {
        view.table.get(view.flags(seq)).deleted() && !view.is_expunged(seq)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4315_uid_sets_keep_order_and_runs() {
        let s = uid_set([1, 2, 3, 7, 9, 10]).unwrap();
        let mut e = crate::imap::Encoder::new();
        e.sequence_set(&s);
        assert_eq!(e.to_vec(), b"1:3,7,9:10");
        assert!(uid_set([]).is_none());
    }
}
