//! The mailbox commands: SELECT, EXAMINE (RFC 3501 §6.3.1–2), CREATE, DELETE, RENAME,
//! SUBSCRIBE, UNSUBSCRIBE (§6.3.3–7) and STATUS (§6.3.10).

use std::num::NonZeroU32;

use crate::answer::{AnswerError, UsageError};
use crate::imap::{Code, Data, Mailbox, MailboxAttribute, StatusAttribute, StatusItem, Tag};

use super::event::sealed::Kind;
use super::event::{
    Event, MailboxError, MailboxName, MailboxOp, MailboxRequest, MailboxStatus, SelectRequest,
    Snapshot, StatusRequest,
};
use super::{Job, Selected, Session, Waiting};

/// The response code and text of a refusal; `trycreate` for APPEND, COPY and MOVE, whose
/// missing destination is `[TRYCREATE]` (RFC 3501 §6.3.11, §6.4.7).
pub(super) fn refusal(error: MailboxError, trycreate: bool) -> (Code, &'static str) {
    match error {
        MailboxError::NonExistent if trycreate => (Code::TryCreate, "Mailbox does not exist"),
        MailboxError::NonExistent => (Code::NonExistent, "Mailbox does not exist"),
        MailboxError::AlreadyExists => (Code::AlreadyExists, "Mailbox already exists"),
        MailboxError::NoPermission => (Code::NoPerm, "Permission denied"),
        MailboxError::InUse => (Code::InUse, "Mailbox is in use"),
        MailboxError::OverQuota => (Code::OverQuota, "Quota exceeded"),
        MailboxError::TooBig => (Code::TooBig, "Message too big"),
        MailboxError::Limit => (Code::Limit, "Limit reached"),
        MailboxError::Cannot => (Code::Cannot, "Operation not possible"),
        MailboxError::Unavailable => (Code::Unavailable, "Temporarily unavailable"),
        MailboxError::Corruption => (Code::Corruption, "Mailbox is damaged"),
        MailboxError::ServerBug => (Code::ServerBug, "Internal error"),
    }
}

impl Session {
    /// The host's form of a client's mailbox name: modified UTF-7 decoded (RFC 3501
    /// §5.1.3), no NUL, CR or LF. A bad name is answered `NO [CANNOT]` here.
    pub(super) fn host_name(&mut self, tag: &Tag, mailbox: &Mailbox) -> Option<MailboxName> {
        let name = mailbox
            .to_utf8()
            .ok()
            .and_then(|s| MailboxName::new(s).ok());
        if name.is_none() {
            self.tagged_no(tag, Some(Code::Cannot), "Invalid mailbox name");
        }
        name
    }

    pub(super) fn select(&mut self, tag: Tag, mailbox: &Mailbox, examine: bool) {
        // RFC 3501 §6.3.1: SELECT deselects the current mailbox first, even if it fails.
        self.unselect();
        let Some(name) = self.host_name(&tag, mailbox) else {
            return;
        };
        let id = self.id();
        let request = SelectRequest {
            id,
            mailbox: name.clone(),
            read_only: examine,
        };
        let what = Waiting::Select {
            mailbox: name,
            examine,
        };
        self.wait(tag, id, Kind::Select, what, Event::Select(request));
    }

    pub(super) fn answer_select(
        &mut self,
        request: SelectRequest,
        answer: Result<Snapshot, MailboxError>,
    ) -> Result<(), AnswerError<SelectRequest>> {
        let Some(pending) = self.pending_for(&request) else {
            return Err(AnswerError::new(request, UsageError::NotPending));
        };
        let mut snapshot = match answer {
            Ok(s) => s,
            Err(e) => {
                let (code, s) = refusal(e, false);
                self.tagged_no(&pending.tag, Some(code), s);
                return Ok(());
            }
        };
        if let Some(why) = snapshot.error {
            self.job = Some(Job::Host(pending));
            return Err(AnswerError::new(request, UsageError::InvalidAnswer(why)));
        }
        let Waiting::Select { mailbox, examine } = pending.what else {
            return Ok(());
        };
        let read_only = examine || snapshot.read_only;
        snapshot.view.opened();
        let first_unseen = snapshot.view.first_unseen();
        let (count, recent) = (snapshot.view.len(), snapshot.view.recent_count());
        // UIDNEXT is at least one above every UID the client will see.
        let uid_next = snapshot
            .uid_next
            .max(NonZeroU32::new(snapshot.view.next_uid_floor()).unwrap_or(NonZeroU32::MIN));
        self.selected = Some(Box::new(Selected {
            name: mailbox,
            read_only,
            permanent: snapshot.permanent.take(),
            view: snapshot.view,
        }));
        // RFC 3501 §8's order, then what §6.3.1 added since.
        self.data(Data::Exists(count));
        self.flag_list();
        self.data(Data::Recent(recent));
        if let Some(seq) = first_unseen.and_then(NonZeroU32::new) {
            let s = format!("Message {seq} is the first unseen message");
            self.untagged_ok(Some(Code::Unseen(seq)), &s);
        }
        self.untagged_ok(Some(Code::UidValidity(snapshot.uid_validity)), "UIDs valid");
        self.untagged_ok(Some(Code::UidNext(uid_next)), "Predicted next UID");
        let (code, s) = match (read_only, examine) {
            (true, true) => (Code::ReadOnly, "EXAMINE completed"),
            (true, false) => (Code::ReadOnly, "SELECT completed"),
            (false, _) => (Code::ReadWrite, "SELECT completed"),
        };
        self.tagged_ok(&pending.tag, Some(code), s);
        Ok(())
    }

    /// Asks the host for a mailbox operation.
    fn manage(&mut self, tag: Tag, op: MailboxOp, done: &'static str) {
        let id = self.id();
        let request = MailboxRequest { id, op };
        self.wait(
            tag,
            id,
            Kind::Mailbox,
            Waiting::Mailbox { done },
            Event::Mailbox(request),
        );
    }

    pub(super) fn create(&mut self, tag: Tag, mailbox: &Mailbox, special_use: &[MailboxAttribute]) {
        if !special_use.is_empty() {
            // RFC 6154 §3: only with CREATE-SPECIAL-USE, which this session does not offer.
            return self.bad(Some(&tag), None, "CREATE-SPECIAL-USE is not supported");
        }
        // RFC 3501 §6.3.3: a trailing delimiter declares a parent; create the name without it.
        let delimiter = self.config.delimiter.get();
        let wire = mailbox.as_bytes();
        let trimmed = match wire.strip_suffix(&[delimiter]) {
            Some(t) if !t.is_empty() => Mailbox::new(bytes::Bytes::copy_from_slice(t)).ok(),
            _ => None,
        };
        let Some(name) = self.host_name(&tag, trimmed.as_ref().unwrap_or(mailbox)) else {
            return;
        };
        if name.is_inbox() {
            // "It is an error to attempt to create INBOX".
            return self.tagged_no(&tag, Some(Code::AlreadyExists), "INBOX always exists");
        }
        self.manage(tag, MailboxOp::Create(name), "CREATE completed");
    }

    pub(super) fn delete(&mut self, tag: Tag, mailbox: &Mailbox) {
        let Some(name) = self.host_name(&tag, mailbox) else {
            return;
        };
        if name.is_inbox() {
            // RFC 3501 §6.3.4: "It is an error to attempt to delete INBOX".
            return self.tagged_no(&tag, Some(Code::Cannot), "INBOX cannot be deleted");
        }
        self.manage(tag, MailboxOp::Delete(name), "DELETE completed");
    }

    pub(super) fn rename(&mut self, tag: Tag, from: &Mailbox, to: &Mailbox) {
        let Some(from) = self.host_name(&tag, from) else {
            return;
        };
        let Some(to) = self.host_name(&tag, to) else {
            return;
        };
        if to.is_inbox() {
            return self.tagged_no(&tag, Some(Code::AlreadyExists), "INBOX always exists");
        }
        self.manage(tag, MailboxOp::Rename { from, to }, "RENAME completed");
    }

    pub(super) fn subscribe(&mut self, tag: Tag, mailbox: &Mailbox, on: bool) {
        let Some(name) = self.host_name(&tag, mailbox) else {
            return;
        };
        match on {
            true => self.manage(tag, MailboxOp::Subscribe(name), "SUBSCRIBE completed"),
            false => self.manage(tag, MailboxOp::Unsubscribe(name), "UNSUBSCRIBE completed"),
        }
    }

    pub(super) fn answer_mailbox(
        &mut self,
        request: MailboxRequest,
        answer: Result<(), MailboxError>,
    ) -> Result<(), AnswerError<MailboxRequest>> {
        let Some(pending) = self.pending_for(&request) else {
            return Err(AnswerError::new(request, UsageError::NotPending));
        };
        let Waiting::Mailbox { done } = pending.what else {
            return Ok(());
        };
        match answer {
            Ok(()) => self.done(&pending.tag, true, done),
            Err(e) => {
                let (code, s) = refusal(e, false);
                self.release_updates(true);
                self.tagged_no(&pending.tag, Some(code), s);
            }
        }
        Ok(())
    }

    pub(super) fn status_command(
        &mut self,
        tag: Tag,
        mailbox: Mailbox,
        items: Vec<StatusAttribute>,
    ) {
        let Some(name) = self.host_name(&tag, &mailbox) else {
            return;
        };
        let id = self.id();
        let request = StatusRequest {
            id,
            mailbox: name,
            items: items.clone(),
        };
        self.wait(
            tag,
            id,
            Kind::Status,
            Waiting::Status { mailbox, items },
            Event::Status(request),
        );
    }

    pub(super) fn answer_status(
        &mut self,
        request: StatusRequest,
        answer: Result<MailboxStatus, MailboxError>,
    ) -> Result<(), AnswerError<StatusRequest>> {
        let Some(pending) = self.pending_for(&request) else {
            return Err(AnswerError::new(request, UsageError::NotPending));
        };
        let Waiting::Status { mailbox, items } = pending.what else {
            return Ok(());
        };
        match answer {
            Ok(status) => {
                let items = items
                    .iter()
                    .map(|&attribute| StatusItem {
                        attribute,
                        value: match attribute {
                            StatusAttribute::Messages => status.messages,
                            StatusAttribute::Recent => status.recent,
                            StatusAttribute::UidNext => status.uid_next,
                            StatusAttribute::UidValidity => status.uid_validity,
                            StatusAttribute::Unseen => status.unseen,
                        },
                    })
                    .collect();
                self.data(Data::Status { mailbox, items });
                self.done(&pending.tag, true, "STATUS completed");
            }
            Err(e) => {
                let (code, s) = refusal(e, false);
                self.tagged_no(&pending.tag, Some(code), s);
            }
        }
        Ok(())
    }
}
