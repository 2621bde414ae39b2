//! QUIT and the UPDATE state (RFC 1939 §4, §6): the deletions go to the
//! host as one commit, and the reply waits for its answer.

use super::event::{CommitError, CommitRequest, Event};
use super::{CloseReason, Phase, Session, Waiting, not_pending};
use crate::answer::AnswerError;
use crate::pop3::response::Indicator;

impl Session {
    pub(super) fn quit(&mut self) {
        self.good_command();
        let (left, deleted) = match std::mem::replace(&mut self.phase, Phase::Update) {
            Phase::Transaction { maildrop, .. } => {
                let deleted = (maildrop.deleted_indices().into_iter())
                    .filter_map(|i| Some((i, maildrop.info(i)?.uid.clone())))
                    .collect();
                (maildrop.totals().0, deleted)
            }
            _ => {
                // RFC 1939 §4: QUIT in AUTHORIZATION does not enter UPDATE.
                let text = format!("{} POP3 server signing off", self.config.hostname);
                self.ok(&text);
                return self.close(CloseReason::Quit);
            }
        };
        let id = self.next_id();
        let event = Event::Commit(CommitRequest { id, deleted });
        self.wait_for(id, Waiting::Commit { left }, event);
    }

    /// The host's outcome of the commit: RFC 1939 §6's two replies, then
    /// the session ends either way.
    pub(super) fn answer_commit(
        &mut self,
        request: CommitRequest,
        answer: Result<(), CommitError>,
    ) -> Result<(), AnswerError<CommitRequest>> {
        let Some(Waiting::Commit { left }) = self.pending_for(&request) else {
            return Err(not_pending(request));
        };
        match answer {
            Ok(()) => {
                let state = match left {
                    0 => "maildrop empty".to_owned(),
                    1 => "1 message left".to_owned(),
                    n => format!("{n} messages left"),
                };
                let text = format!("{} POP3 server signing off ({state})", self.config.hostname);
                self.reply(Indicator::Ok, None, &text);
            }
            Err(CommitError::NotAllRemoved) => {
                self.reply(Indicator::Err, None, "some deleted messages not removed");
            }
        }
        self.close(CloseReason::Quit);
        Ok(())
    }
}
