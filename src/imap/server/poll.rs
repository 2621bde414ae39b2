//! NOOP (RFC 3501 §6.1.2) and CHECK (§6.4.1) with a mailbox selected: the client's poll.
//! The host is asked to bring the session up to date before the command completes, so a
//! client that polls hears of every change another session finished before it asked,
//! however late the host's own notification would have arrived.

use crate::answer::{AnswerError, UsageError};
use crate::imap::Tag;

use super::event::sealed::Kind;
use super::event::{Event, PollRequest};
use super::{Session, Waiting};

impl Session {
    /// NOOP or CHECK: without a selected mailbox there is nothing to poll.
    pub(super) fn poll(&mut self, tag: Tag, done: &'static str) {
        if self.selected.is_none() {
            return self.done(&tag, true, done);
        }
        let id = self.id();
        self.wait(
            tag,
            id,
            Kind::Poll,
            Waiting::Poll(done),
            Event::Poll(PollRequest { id }),
        );
    }

    pub(super) fn answer_poll(
        &mut self,
        request: PollRequest,
        (): (),
    ) -> Result<(), AnswerError<PollRequest>> {
        let Some(pending) = self.pending_for(&request) else {
            return Err(AnswerError::new(request, UsageError::NotPending));
        };
        if let Waiting::Poll(done) = pending.what {
            // EXPUNGE may be sent at the end of NOOP and CHECK (RFC 3501 §7.4.1).
            self.done(&pending.tag, true, done);
        }
        Ok(())
    }
}
