//! What both sessions share about answering their requests: the request identity, and the
//! error that hands a refused answer's request back.
//!
//! Every request a session makes of its host is an owned handle holding a private
//! [`RequestId`]; the host answers it, now or later, through the session's one `answer`
//! method, whose answer type is checked per request kind at compile time. An answer the
//! session cannot take (already answered, timed out, from another session, or invalid)
//! comes back inside [`AnswerError`] with the handle, so the host can answer it another way
//! or drop it.

/// Who made a request: a number per session (from the host's randomness) and a counter.
/// Public only so that sealed traits may name it; no path outside the crate reaches it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RequestId {
    pub(crate) session: u64,
    pub(crate) serial: u64,
}

/// An answer the session did not take; the request comes back.
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct AnswerError<R> {
    /// The request, so the host can answer it another way (or drop it).
    pub request: R,
    /// What was wrong.
    pub kind: UsageError,
}

impl<R> AnswerError<R> {
    pub(crate) fn new(request: R, kind: UsageError) -> Self {
        AnswerError { request, kind }
    }
}

/// A mistake of the host (a bug), as opposed to the client's protocol errors, which the
/// session answers on the wire.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// The request is not pending: already answered, answered by the session itself after
    /// its host timeout, from another session, or from before the session closed.
    #[error("the request is not pending in this session")]
    NotPending,
    /// A POP3 maildrop listing with more than 2^32 - 1 messages, more than message numbers
    /// can address.
    #[error("the maildrop listing is too large")]
    ListingTooLarge,
    /// The answer breaks a rule of its type (documented on the type): UIDs out of order, a
    /// zero UIDVALIDITY, COPYUID lists of different lengths.
    #[error("the answer is invalid: {0}")]
    InvalidAnswer(&'static str),
}
