//! APPEND (RFC 3501 §6.3.11), streamed: the host checks the destination before `+`
//! ([`AppendRequest`]), receives the message in pieces as they arrive ([`AppendData`], each
//! answered before the next is handed over), and stores it at the end ([`AppendCommit`]),
//! whose UID makes `OK [APPENDUID]` (RFC 4315). The session holds one read's worth of the
//! message at a time, so a 1 GiB APPEND costs it no more than a small one.

use bytes::Bytes;

use crate::Instant;
use crate::answer::{AnswerError, RequestId, UsageError};
use crate::imap::{AppendHead, Code, DateTime, Flag, LiteralMode, Mailbox, SequenceSet, Tag};

use super::event::{
    AppendCommit, AppendData, AppendRequest, Appended, Event, MailboxError, MailboxName,
};
use super::input::Item;
use super::mailbox::refusal;
use super::{Job, Session};

#[derive(Debug)]
enum Stage {
    /// The [`AppendRequest`] is out.
    Start { id: RequestId, since: Instant },
    /// Streaming; `waiting` for the answer to the piece handed over.
    Data {
        waiting: Option<(RequestId, Instant)>,
    },
    /// The literal is complete; the end of the command comes next.
    Tail,
    /// The host refused a piece after the last octet: the end of the command is read and
    /// dropped.
    Drain,
    /// The [`AppendCommit`] is out.
    Commit { id: RequestId, since: Instant },
}

/// An APPEND in progress.
#[derive(Debug)]
pub(super) struct AppendJob {
    tag: Tag,
    mailbox: MailboxName,
    flags: Vec<Flag>,
    mode: LiteralMode,
    length: u32,
    /// Literal octets not yet received.
    left: u32,
    /// The message of an APPEND framed whole (not streamed), until handed over.
    whole: Option<Bytes>,
    /// The APPEND was framed whole: no literal or end of command left to read.
    framed: bool,
    stage: Stage,
}

impl AppendJob {
    /// When the request out with the host was made.
    pub(super) fn waiting_since(&self) -> Option<Instant> {
        match self.stage {
            Stage::Start { since, .. } | Stage::Commit { since, .. } => Some(since),
            Stage::Data { waiting } => waiting.map(|w| w.1),
            Stage::Tail | Stage::Drain => None,
        }
    }
}

impl Session {
    /// The announcement of an APPEND's message: checks, then asks the host whether the
    /// destination takes it (before `+`).
    pub(super) fn append_head(&mut self, tag: Tag, head: AppendHead) {
        if head.binary {
            self.input.refuse_literal();
            return self.bad(
                Some(&tag),
                None,
                "literal8 needs BINARY, which is not supported",
            );
        }
        if head.length > self.config.max_append {
            // RFC 7889 §4: over the APPENDLIMIT, TOOBIG; refused before the octets come.
            self.input.refuse_literal();
            return self.tagged_no(
                &tag,
                Some(Code::TooBig),
                "Message is larger than APPENDLIMIT",
            );
        }
        let name = head
            .mailbox
            .to_utf8()
            .ok()
            .and_then(|s| MailboxName::new(s).ok());
        let Some(name) = name else {
            self.input.refuse_literal();
            return self.tagged_no(&tag, Some(Code::Cannot), "Invalid mailbox name");
        };
        self.ask_append(
            tag,
            name,
            head.flags,
            head.date,
            head.mode,
            head.length,
            None,
        );
    }

    /// An APPEND that arrived framed whole (its literal was not announced apart).
    pub(super) fn append_whole(
        &mut self,
        tag: Tag,
        mailbox: &Mailbox,
        flags: Vec<Flag>,
        date: Option<DateTime>,
        message: Bytes,
    ) {
        let length = u32::try_from(message.len()).unwrap_or(u32::MAX);
        if length > self.config.max_append {
            return self.tagged_no(
                &tag,
                Some(Code::TooBig),
                "Message is larger than APPENDLIMIT",
            );
        }
        let Some(name) = self.host_name(&tag, mailbox) else {
            return;
        };
        self.ask_append(
            tag,
            name,
            flags,
            date,
            LiteralMode::NonSync,
            length,
            Some(message),
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn ask_append(
        &mut self,
        tag: Tag,
        mailbox: MailboxName,
        flags: Vec<Flag>,
        date: Option<DateTime>,
        mode: LiteralMode,
        length: u32,
        whole: Option<Bytes>,
    ) {
        let id = self.id();
        self.events.push_back(Event::Append(AppendRequest {
            id,
            mailbox: mailbox.clone(),
            flags: flags.clone(),
            date,
            size: length,
        }));
        self.job = Some(Job::Append(Box::new(AppendJob {
            tag,
            mailbox,
            flags,
            mode,
            length,
            left: length,
            framed: whole.is_some(),
            whole,
            stage: Stage::Start {
                id,
                since: self.now,
            },
        })));
    }

    fn append_job(
        &mut self,
        id: RequestId,
        stage_id: impl Fn(&Stage) -> Option<RequestId>,
    ) -> Option<Box<AppendJob>> {
        match &self.job {
            Some(Job::Append(job)) if stage_id(&job.stage) == Some(id) => match self.job.take() {
                Some(Job::Append(job)) => Some(job),
                _ => None,
            },
            _ => None,
        }
    }

    pub(super) fn answer_append(
        &mut self,
        request: AppendRequest,
        answer: Result<(), MailboxError>,
    ) -> Result<(), AnswerError<AppendRequest>> {
        let found = self.append_job(request.id, |s| match s {
            Stage::Start { id, .. } => Some(*id),
            _ => None,
        });
        let Some(mut job) = found else {
            return Err(AnswerError::new(request, UsageError::NotPending));
        };
        match answer {
            Ok(()) => {
                if !job.framed {
                    self.input.stream_literal(job.length);
                    if job.mode == LiteralMode::Sync {
                        self.continue_req("Ready for literal data");
                    }
                }
                job.stage = Stage::Data { waiting: None };
                self.job = Some(Job::Append(job));
            }
            Err(e) => {
                if !job.framed {
                    self.input.refuse_literal();
                }
                let (code, s) = refusal(e, true);
                self.tagged_no(&job.tag, Some(code), s);
            }
        }
        Ok(())
    }

    /// Moves the APPEND on; `false` when it waits (for the host or for input).
    pub(super) fn step_append(&mut self) -> bool {
        let Some(Job::Append(mut job)) = self.job.take() else {
            return false;
        };
        let progressed = match job.stage {
            Stage::Start { .. } | Stage::Commit { .. } | Stage::Data { waiting: Some(_) } => false,
            Stage::Data { waiting: None } => {
                if let Some(message) = job.whole.take() {
                    job.left = 0;
                    return match message.is_empty() {
                        true => self.commit_append(job),
                        false => self.append_piece(job, message),
                    };
                }
                if job.left == 0 {
                    if job.framed {
                        return self.commit_append(job);
                    }
                    job.stage = Stage::Tail;
                    true
                } else {
                    match self.input.next() {
                        Some(Item::Data(piece)) => {
                            let n = u32::try_from(piece.len()).unwrap_or(u32::MAX);
                            job.left = job.left.saturating_sub(n);
                            return self.append_piece(job, piece);
                        }
                        // Only streamed data comes while the literal lasts.
                        _ => false,
                    }
                }
            }
            Stage::Tail => match self.input.next() {
                None => false,
                Some(Item::Frame(rest)) if rest[..] == b"\r\n"[..] || rest[..] == b"\n"[..] => {
                    return self.commit_append(job);
                }
                Some(item) => {
                    if matches!(item, Item::Literal(_)) {
                        self.input.refuse_literal();
                    }
                    self.events.push_back(Event::AppendCancelled);
                    self.bad(
                        Some(&job.tag),
                        None,
                        "Unexpected data after the APPEND message (MULTIAPPEND is not supported)",
                    );
                    return true;
                }
            },
            Stage::Drain => match self.input.next() {
                None => false,
                Some(item) => {
                    if matches!(item, Item::Literal(_)) {
                        self.input.refuse_literal();
                    }
                    return true;
                }
            },
        };
        self.job = Some(Job::Append(job));
        progressed
    }

    /// Gives up the APPEND after the host refused a piece or the data broke a rule: the
    /// rest of its message and command are skipped.
    fn abandon_append(&mut self, mut job: Box<AppendJob>) {
        if job.left > 0 {
            self.input.discard_stream();
        } else if !job.framed {
            // The literal is over but the end of the command is still to come.
            job.stage = Stage::Drain;
            self.job = Some(Job::Append(job));
        }
    }

    /// Hands one piece of the message to the host (after the NUL check).
    fn append_piece(&mut self, mut job: Box<AppendJob>, piece: Bytes) -> bool {
        if memchr::memchr(0, &piece).is_some() {
            // RFC 3501 §9: a literal is *CHAR8, which excludes NUL.
            self.events.push_back(Event::AppendCancelled);
            self.bad(Some(&job.tag), None, "NUL octet in the APPEND message");
            self.abandon_append(job);
            return true;
        }
        let id = self.id();
        self.events
            .push_back(Event::AppendData(AppendData { id, data: piece }));
        job.stage = Stage::Data {
            waiting: Some((id, self.now)),
        };
        self.job = Some(Job::Append(job));
        true
    }

    pub(super) fn answer_append_data(
        &mut self,
        request: AppendData,
        answer: Result<(), MailboxError>,
    ) -> Result<(), AnswerError<AppendData>> {
        let found = self.append_job(request.id, |s| match s {
            Stage::Data {
                waiting: Some((id, _)),
            } => Some(*id),
            _ => None,
        });
        let Some(mut job) = found else {
            return Err(AnswerError::new(request, UsageError::NotPending));
        };
        match answer {
            Ok(()) => {
                job.stage = Stage::Data { waiting: None };
                self.job = Some(Job::Append(job));
            }
            Err(e) => {
                let (code, s) = refusal(e, true);
                self.tagged_no(&job.tag, Some(code), s);
                self.abandon_append(job);
            }
        }
        Ok(())
    }

    fn commit_append(&mut self, mut job: Box<AppendJob>) -> bool {
        let id = self.id();
        self.events
            .push_back(Event::AppendCommit(AppendCommit { id }));
        job.stage = Stage::Commit {
            id,
            since: self.now,
        };
        self.job = Some(Job::Append(job));
        true
    }

    pub(super) fn answer_append_commit(
        &mut self,
        request: AppendCommit,
        answer: Result<Appended, MailboxError>,
    ) -> Result<(), AnswerError<AppendCommit>> {
        let found = self.append_job(request.id, |s| match s {
            Stage::Commit { id, .. } => Some(*id),
            _ => None,
        });
        let Some(job) = found else {
            return Err(AnswerError::new(request, UsageError::NotPending));
        };
        match answer {
            Ok(appended) => {
                // The client hears of its own message in the selected mailbox at once.
                if let Some(selected) = self.selected.as_mut().filter(|s| s.name == job.mailbox) {
                    let set = selected.view.table.set_of(&job.flags);
                    selected.view.arrive(appended.uid, set, false);
                }
                let code = match (
                    std::num::NonZeroU32::new(appended.uid_validity),
                    SequenceSet::single(appended.uid),
                ) {
                    (Some(uid_validity), Some(uids)) => {
                        Some(Code::AppendUid { uid_validity, uids })
                    }
                    _ => None,
                };
                self.release_updates(true);
                self.tagged_ok(&job.tag, code, "APPEND completed");
            }
            Err(e) => {
                let (code, s) = refusal(e, true);
                self.release_updates(true);
                self.tagged_no(&job.tag, Some(code), s);
            }
        }
        Ok(())
    }

    /// The host did not answer in time: before any data a read (`NO [UNAVAILABLE]`), after
    /// it the outcome is unknown (`* BYE`).
    pub(super) fn append_timed_out(&mut self, job: AppendJob) {
        match job.stage {
            Stage::Start { .. } => {
                if !job.framed {
                    self.input.refuse_literal();
                }
                self.tagged_no(
                    &job.tag,
                    Some(Code::Unavailable),
                    "Mailbox temporarily unavailable",
                );
            }
            _ => self.storage_lost(),
        }
    }
}
