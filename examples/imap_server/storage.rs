//! The host's answers to the IMAP session's requests that need storage: each function is
//! blocking code (the mail store touches files, or a database), run on tokio's blocking
//! pool, and each takes the session's request handle and gives it back with its result in
//! an [`Answer`], so an answer always goes to the request it was made for.
//!
//! The selected mailbox is a [`SharedFolder`]: the session may have several message reads
//! out at once (its FETCH window), which share it for reading; changes take it alone.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pobox::imap::server::{
    AppendCommit, AppendData, AppendRequest, Appended, Copied, CopyRequest, ExpungeRequest,
    ListRequest, LoginRejection, LoginRequest, MailboxEntry, MailboxError, MailboxName, MailboxOp,
    MailboxRequest, MailboxStatus, MessageData, MessageError, MessageRequest, SelectRequest,
    Snapshot, StatusRequest, StoreOp, StoreRequest,
};
use pobox::imap::{Date, DateTime, Flag};
use pobox::sasl::Credentials;
use tracing::{error, info, warn};

use crate::common::mailstore::{
    Account, AppendSink, Change, FlagOp, Folder, MailStore, OpenMode, StoreError,
};
use crate::common::users::Users;

/// The selected mailbox, shared by the storage tasks of one session.
pub type SharedFolder = Arc<RwLock<Box<dyn Folder>>>;

/// An APPEND being received, shared by the tasks of its pieces.
pub type SharedSink = Arc<Mutex<Option<Box<dyn AppendSink>>>>;

/// A finished piece of storage work, with the request it answers.
pub enum Answer {
    Login(LoginRequest, Result<Arc<dyn Account>, LoginRejection>),
    /// Boxed: a snapshot carries the whole mailbox's state.
    Select(
        SelectRequest,
        Box<Result<(Snapshot, SharedFolder), MailboxError>>,
    ),
    Mailbox(MailboxRequest, Result<(), MailboxError>),
    List(ListRequest, Result<Vec<MailboxEntry>, MailboxError>),
    Status(StatusRequest, Result<MailboxStatus, MailboxError>),
    Append(AppendRequest, Result<SharedSink, MailboxError>),
    AppendData(AppendData, Result<(), MailboxError>),
    AppendCommit(AppendCommit, Result<Appended, MailboxError>),
    /// Boxed: a message's parsed envelope and structure make this the largest answer.
    Message(MessageRequest, Box<Result<MessageData, MessageError>>),
    /// Several message reads, in the order they were asked.
    Messages(Vec<(MessageRequest, Result<MessageData, MessageError>)>),
    Store(StoreRequest, Result<(), MailboxError>),
    Copy(CopyRequest, Result<Copied, MailboxError>),
    Expunge(ExpungeRequest, Result<Vec<u32>, MailboxError>),
    /// What changed in the selected mailbox since the last sync.
    Changes(Result<Vec<Change>, StoreError>),
}

/// The one mapping from store errors to IMAP's (RFC 5530 codes through
/// [`MailboxError`]).
pub fn mailbox_error(e: &StoreError) -> MailboxError {
    match e {
        StoreError::NoMailbox { .. } => MailboxError::NonExistent,
        StoreError::Exists { .. } => MailboxError::AlreadyExists,
        StoreError::InvalidName { .. } | StoreError::Cannot { .. } => MailboxError::Cannot,
        StoreError::InUse { .. } | StoreError::LockTimeout { .. } => MailboxError::InUse,
        StoreError::Gone { .. } => MailboxError::Cannot,
        StoreError::Corrupt { .. } => MailboxError::Corruption,
        StoreError::InvalidSpec { .. } | StoreError::InvalidUser { .. } => MailboxError::ServerBug,
        StoreError::Io { .. } | StoreError::Backend(_) => MailboxError::Unavailable,
    }
}

fn logged(what: &'static str, e: StoreError) -> MailboxError {
    match &e {
        StoreError::NoMailbox { .. }
        | StoreError::Exists { .. }
        | StoreError::InvalidName { .. } => {
            info!(what, error = %e, "refused");
        }
        _ => warn!(what, error = %e, "storage error"),
    }
    mailbox_error(&e)
}

/// Checks the credentials, then opens the user's mail.
///
/// Unknown users and wrong passwords get the same [`LoginRejection::BadCredentials`] after
/// the same work: the users file verifies a dummy hash for unknown users.
pub fn login(users: &Users, store: &dyn MailStore, request: LoginRequest) -> Answer {
    let user = request.user().to_owned();
    let verdict = if credentials_valid(users, request.credentials()) {
        store.account(&user).map_err(|e| {
            error!(user, error = %e, "cannot open the user's mail");
            LoginRejection::Unavailable
        })
    } else {
        warn!(user, method = ?request.method(), "login failed");
        Err(LoginRejection::BadCredentials)
    };
    Answer::Login(request, verdict)
}

fn credentials_valid(users: &Users, credentials: &Credentials) -> bool {
    match credentials {
        Credentials::Password {
            user,
            password,
            authzid,
        } => {
            let valid = users.authenticate(user, password.declassify()).is_some();
            // PLAIN may ask to act as another user (RFC 4616 §2): not offered here.
            valid && authzid.as_ref().is_none_or(|authzid| authzid == user)
        }
        // CRAM-MD5 proves knowledge of the plaintext password.
        other => match users.plaintext_password(other.user()) {
            Some(secret) => other.verify(secret.declassify()),
            None => {
                std::hint::black_box(other.verify(b"not a password"));
                false
            }
        },
    }
}

/// SELECT or EXAMINE: opens the mailbox and lists it into a snapshot.
pub fn select(account: &dyn Account, request: SelectRequest) -> Answer {
    let mode = if request.read_only() {
        OpenMode::ReadOnly
    } else {
        OpenMode::ReadWrite
    };
    let result = account
        .open(request.mailbox().as_str(), mode)
        .map_err(|e| logged("select", e))
        .map(|folder| {
            let mut snapshot = Snapshot::new(folder.uid_validity(), folder.uid_next());
            for m in folder.messages() {
                snapshot.push(m.uid, &m.flags, m.recent);
            }
            (snapshot, Arc::new(RwLock::new(folder)))
        });
    Answer::Select(request, Box::new(result))
}

pub fn manage(account: &dyn Account, request: MailboxRequest) -> Answer {
    let result = match request.op() {
        MailboxOp::Create(name) => account.create(name.as_str()),
        MailboxOp::Delete(name) => account.delete(name.as_str()),
        MailboxOp::Rename { from, to } => account.rename(from.as_str(), to.as_str()),
        MailboxOp::Subscribe(name) => account.subscribe(name.as_str(), true),
        MailboxOp::Unsubscribe(name) => account.subscribe(name.as_str(), false),
        other => {
            warn!(?other, "mailbox operation not known to this server");
            return Answer::Mailbox(request, Err(MailboxError::Cannot));
        }
    };
    Answer::Mailbox(request, result.map_err(|e| logged("mailbox", e)))
}

pub fn list(account: &dyn Account, request: ListRequest) -> Answer {
    let result = account
        .folders()
        .map_err(|e| logged("list", e))
        .map(|folders| {
            folders
                .into_iter()
                .filter_map(|f| {
                    let name = MailboxName::new(f.name).ok()?;
                    let mut entry = if f.exists {
                        MailboxEntry::new(name)
                    } else {
                        MailboxEntry::subscription(name)
                    };
                    if f.subscribed && f.exists {
                        entry = entry.subscribed();
                    }
                    for a in f.attributes {
                        entry = entry.attribute(a);
                    }
                    Some(entry)
                })
                .collect()
        });
    Answer::List(request, result)
}

pub fn status(account: &dyn Account, request: StatusRequest) -> Answer {
    let result = account
        .status(request.mailbox().as_str())
        .map_err(|e| logged("status", e))
        .map(|s| MailboxStatus {
            messages: s.messages,
            recent: s.recent,
            uid_next: s.uid_next,
            uid_validity: s.uid_validity,
            unseen: s.unseen,
        });
    Answer::Status(request, result)
}

/// IMAP's date-time (RFC 3501 §9) as a point in time.
pub fn system_time(dt: DateTime) -> SystemTime {
    let d = dt.date();
    let days = days_from_civil(
        i64::from(d.year()),
        i64::from(d.month()),
        i64::from(d.day()),
    );
    let (h, m, s) = dt.time();
    let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s)
        - i64::from(dt.zone_minutes()) * 60;
    match u64::try_from(secs) {
        Ok(secs) => UNIX_EPOCH + Duration::from_secs(secs),
        Err(_) => UNIX_EPOCH,
    }
}

/// A point in time as IMAP's date-time, in UTC (years clamped to 1970..=9999).
pub fn date_time(t: SystemTime) -> DateTime {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let secs = i64::try_from(secs).unwrap_or(i64::MAX).min(253_402_300_799);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    // In range by construction: a civil date of year 1970..=9999 and a time of day.
    let date = Date::new(y as u16, m as u8, d as u8).expect("a civil date is a date");
    DateTime::new(
        date,
        (rest / 3600) as u8,
        (rest / 60 % 60) as u8,
        (rest % 60) as u8,
        0,
    )
    .expect("a time of day is a time")
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The start of an APPEND: opens a sink in the destination.
pub fn append(account: &dyn Account, request: AppendRequest) -> Answer {
    let date = request.date().map(system_time);
    let result = account
        .append(request.mailbox().as_str(), request.flags(), date)
        .map(|sink| Arc::new(Mutex::new(Some(sink))))
        .map_err(|e| logged("append", e));
    Answer::Append(request, result)
}

pub fn append_data(sink: &SharedSink, request: AppendData) -> Answer {
    let mut guard = sink.lock().unwrap_or_else(|p| p.into_inner());
    let result = match guard.as_mut() {
        Some(s) => s.write(request.data()).map_err(|e| logged("append", e)),
        None => Err(MailboxError::ServerBug),
    };
    if result.is_err() {
        // The message is given up: the sink's drop removes what was written.
        *guard = None;
    }
    drop(guard);
    Answer::AppendData(request, result)
}

pub fn append_commit(sink: &SharedSink, request: AppendCommit) -> Answer {
    let taken = sink.lock().unwrap_or_else(|p| p.into_inner()).take();
    let result = match taken {
        Some(s) => s
            .commit()
            .map(|a| Appended {
                uid_validity: a.uid_validity,
                uid: a.uid,
            })
            .map_err(|e| logged("append", e)),
        None => Err(MailboxError::ServerBug),
    };
    Answer::AppendCommit(request, result)
}

/// A message's data for FETCH or SEARCH; marks it `\Seen` when the request says so.
pub fn message(folder: &SharedFolder, request: MessageRequest) -> Answer {
    let result = message_data(folder, &request);
    Answer::Message(request, Box::new(result))
}

/// Several messages' data, read one after another.
pub fn messages(folder: &SharedFolder, requests: Vec<MessageRequest>) -> Answer {
    Answer::Messages(
        requests
            .into_iter()
            .map(|request| {
                let result = message_data(folder, &request);
                (request, result)
            })
            .collect(),
    )
}

fn message_data(
    folder: &SharedFolder,
    request: &MessageRequest,
) -> Result<MessageData, MessageError> {
    let uid = request.uid();
    if request.mark_seen() {
        let mut f = folder.write().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = f.store(&[uid], FlagOp::Add, &[Flag::Seen]) {
            warn!(uid, error = %e, "cannot set \\Seen");
        }
    }
    let f = folder.read().unwrap_or_else(|p| p.into_inner());
    // The view is in UID order.
    let messages = f.messages();
    let meta = messages
        .binary_search_by_key(&uid, |m| m.uid)
        .ok()
        .and_then(|i| messages.get(i))
        .cloned();
    match meta {
        None => Err(MessageError::Expunged),
        Some(meta) => {
            let data = MessageData::new(date_time(meta.internal_date))
                .size(u32::try_from(meta.size).unwrap_or(u32::MAX));
            if request.needs_bytes() {
                match f.read(uid) {
                    Ok(bytes) => Ok(data.bytes(bytes)),
                    Err(StoreError::Gone { .. }) => Err(MessageError::Expunged),
                    Err(e) => {
                        warn!(uid, error = %e, "cannot read message");
                        Err(MessageError::Unavailable)
                    }
                }
            } else {
                Ok(data)
            }
        }
    }
}

pub fn store(folder: &SharedFolder, request: StoreRequest) -> Answer {
    let op = match request.op() {
        StoreOp::Replace => FlagOp::Replace,
        StoreOp::Add => FlagOp::Add,
        StoreOp::Remove => FlagOp::Remove,
    };
    let uids: Vec<u32> = request.uids().iter().collect();
    let result = folder
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .store(&uids, op, request.flags())
        .map_err(|e| logged("store", e));
    Answer::Store(request, result)
}

pub fn copy(folder: &SharedFolder, request: CopyRequest) -> Answer {
    let uids: Vec<u32> = request.uids().iter().collect();
    let to = request.destination().as_str().to_owned();
    let mut f = folder.write().unwrap_or_else(|p| p.into_inner());
    let done = if request.is_move() {
        f.move_to(&uids, &to)
    } else {
        f.copy(&uids, &to)
    };
    drop(f);
    let result = done
        .map(|c| Copied::with_uids(c.uid_validity, &c.source, &c.destination))
        .map_err(|e| logged("copy", e));
    Answer::Copy(request, result)
}

pub fn expunge(folder: &SharedFolder, request: ExpungeRequest) -> Answer {
    let uids: Vec<u32> = request.uids().iter().collect();
    let result = folder
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .expunge(&uids)
        .map_err(|e| logged("expunge", e));
    Answer::Expunge(request, result)
}

/// What changed in the selected mailbox since the session last heard.
pub fn sync(folder: &SharedFolder) -> Answer {
    Answer::Changes(folder.write().unwrap_or_else(|p| p.into_inner()).sync())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let dt = DateTime::new(Date::new(1996, 7, 17).unwrap(), 9, 44, 25, 0).unwrap();
        assert_eq!(date_time(system_time(dt)), dt);
        let zoned = DateTime::new(Date::new(2024, 1, 1).unwrap(), 1, 0, 0, 120).unwrap();
        let utc = date_time(system_time(zoned));
        assert_eq!(
            (
                utc.date().year(),
                utc.date().month(),
                utc.date().day(),
                utc.time()
            ),
            (2023, 12, 31, (23, 0, 0))
        );
    }
}
