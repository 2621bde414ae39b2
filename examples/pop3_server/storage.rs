//! The host's answers to the session's events that need the disk: checking a login
//! against the users file and opening the maildrop, reading messages, committing
//! deletions. Each is blocking code, run by [`super::connection`] on tokio's blocking
//! pool; a login or commit takes the session's request handle and gives it back with its
//! result, so an answer always goes to the request it was made for; messages come back
//! by index, since a read may fetch more than the one asked for.

use std::ops::Range;

use bytes::Bytes;
use pobox::pop3::server::{
    CommitRequest, LoginRejection, LoginRequest, RetrieveError, RetrieveRequest,
};
use pobox::sasl::Credentials;
use tracing::{error, info, warn};

use crate::common::store::{CommitSummary, Mailbox, Store, StoreError};
use crate::common::users::Users;

/// A finished piece of storage work, with the request it answers.
pub enum Answer {
    /// [`login`]'s verdict: the opened maildrop, or why not.
    Login(LoginRequest, Result<Mailbox, LoginRejection>),
    /// [`read_ahead`]'s messages, by index (see [`crate::connection`]).
    Messages(Vec<(usize, Result<Bytes, StoreError>)>),
    /// [`commit`]'s outcome.
    Commit(CommitRequest, Result<CommitSummary, StoreError>),
}

/// Checks the credentials, then opens the user's maildrop (taking its session lock).
///
/// Unknown users and wrong passwords get the same [`LoginRejection::BadCredentials`]
/// (one `-ERR [AUTH]` line on the wire) after the same work: the users file verifies a
/// dummy hash for unknown users, and the maildrop is only looked at once the password
/// is right, so neither the answer nor its timing tells which user names exist.
pub fn login(users: &Users, store: &Store, request: LoginRequest) -> Answer {
    let user = request.user();
    let verdict = if credentials_valid(users, request.credentials()) {
        open_maildrop(store, user)
    } else {
        warn!(user, method = ?request.method(), "login failed");
        Err(LoginRejection::BadCredentials)
    };
    Answer::Login(request, verdict)
}

fn credentials_valid(users: &Users, credentials: &Credentials) -> bool {
    match credentials {
        // USER/PASS, AUTH PLAIN, AUTH LOGIN: check against the stored hash.
        Credentials::Password {
            user,
            password,
            authzid,
        } => {
            let valid = users.authenticate(user, password.declassify()).is_some();
            // PLAIN may ask to act as another user (RFC 4616 §2); this server does not
            // do proxy logins.
            valid && authzid.as_ref().is_none_or(|authzid| authzid == user)
        }
        // APOP and CRAM-MD5 prove knowledge of the plaintext password.
        other => match users.plaintext_password(other.user()) {
            Some(secret) => other.verify(secret.declassify()),
            None => {
                // Unknown user, or one with a hashed password: the same digest work as
                // a known one, then the same answer.
                std::hint::black_box(other.verify(b"not a password"));
                false
            }
        },
    }
}

fn open_maildrop(store: &Store, user: &str) -> Result<Mailbox, LoginRejection> {
    match store.open(user) {
        Ok(mailbox) => Ok(mailbox),
        Err(StoreError::InUse { .. }) => {
            info!(user, "maildrop in use by another session");
            Err(LoginRejection::InUse)
        }
        Err(e) if e.is_temporary() => {
            warn!(user, error = %e, "cannot open maildrop for now");
            Err(LoginRejection::SysTemp)
        }
        Err(e) => {
            error!(user, error = %e, "cannot open maildrop");
            Err(LoginRejection::SysPerm)
        }
    }
}

/// Reads the messages at `indices`: the one RETR or TOP asked for, and those after it
/// that the client is likely to ask for next. Each has its own result.
pub fn read_ahead(mailbox: &Mailbox, indices: Range<usize>) -> Answer {
    Answer::Messages(indices.map(|index| (index, mailbox.read(index))).collect())
}

/// What the session tells the client when a message RETR or TOP asked for cannot be
/// read.
pub fn retrieve_error(request: &RetrieveRequest, e: StoreError) -> RetrieveError {
    warn!(msg = request.msg(), uid = %request.uid(), error = %e, "cannot read message");
    match e {
        StoreError::Vanished { .. } | StoreError::NoSuchMessage { .. } => RetrieveError::Gone,
        _ => RetrieveError::Unavailable,
    }
}

/// Deletes the messages marked with DELE (RFC 1939 §6, the UPDATE state) and releases
/// the maildrop.
pub fn commit(mailbox: Mailbox, request: CommitRequest) -> Answer {
    let indices: Vec<usize> = request.deleted().iter().map(|(index, _)| *index).collect();
    let result = mailbox.commit(&indices);
    Answer::Commit(request, result)
}
