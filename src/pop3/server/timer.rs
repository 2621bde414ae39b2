//! Deadlines: the failed-login delay, the host's answer, and autologout.
//!
//! The session never sleeps and reads no clock. Each deadline is computed
//! from times the host passed in; [`poll_timeout`](Session::poll_timeout)
//! reports their minimum and [`handle_timeout`](Session::handle_timeout)
//! acts on the ones due, so an early call does nothing.

use super::{CloseReason, Phase, Session, Waiting};
use crate::Instant;
use crate::pop3::response::{Indicator, ResponseCode};

impl Session {
    /// Acts on every deadline due at `self.now`.
    pub(super) fn fire_timers(&mut self) {
        self.release_held();
        if self.host_deadline().is_some_and(|at| at <= self.now) {
            self.host_timed_out();
        }
        if self.autologout_deadline().is_some_and(|at| at <= self.now) {
            // RFC 1939 §3: close "without removing any messages or sending
            // any response to the client".
            self.close(CloseReason::Autologout);
        }
    }

    /// Sends the held reply to a failed login once its delay is over; the
    /// last allowed failure then ends the session.
    pub(super) fn release_held(&mut self) {
        if self.held.as_ref().is_none_or(|(at, _)| *at > self.now) {
            return;
        }
        if let Some((_, reply)) = self.held.take() {
            self.transmit.write(|out| out.extend_from_slice(&reply));
        }
        if self.auth_failures >= self.config.max_auth_failures {
            self.close(CloseReason::TooManyAuthFailures);
        }
    }

    /// The deadline for the host's answer to the pending request.
    pub(super) fn host_deadline(&self) -> Option<Instant> {
        (self.pending.as_ref()).map(|p| p.since + self.config.host_timeout)
    }

    /// Autologout counts only while the session waits for the client: not
    /// while the host or a failed-login delay holds it up.
    pub(super) fn autologout_deadline(&self) -> Option<Instant> {
        match (&self.phase, &self.pending, &self.held) {
            (Phase::Authorization { .. } | Phase::Transaction { .. }, None, None) => {
                Some(self.idle_since + self.config.autologout)
            }
            _ => None,
        }
    }

    /// The host did not answer in time. A read is answered for it with a
    /// temporary failure, and the client may retry. A commit may have
    /// removed messages, or may still: the session cannot know, so it
    /// claims neither (RFC 1939 §6's "-ERR some deleted messages not
    /// removed" could be false) and ends. A handshake that never finished leaves
    /// nothing to say on a transport in an unknown state: it ends too.
    fn host_timed_out(&mut self) {
        let temp = Some(&ResponseCode::SysTemp);
        let Some(pending) = self.pending.take() else {
            return;
        };
        match pending.what {
            Waiting::Login { .. } => {
                self.reply(Indicator::Err, temp, "Authentication service unavailable");
            }
            Waiting::Retrieve { .. } => {
                self.reply(Indicator::Err, temp, "Message temporarily unavailable");
            }
            Waiting::Commit { .. } => {
                self.reply(
                    Indicator::Err,
                    temp,
                    "Storage did not answer; deletions may or may not have been applied",
                );
                self.close(CloseReason::HostTimeout);
            }
            Waiting::StartTls => self.close(CloseReason::HostTimeout),
        }
    }
}
