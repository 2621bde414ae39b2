//! The command dispatcher: every command's validity per state (RFC 3501 §3, §6), the
//! commands that need nothing from the host, and the checks on a literal announcement
//! before the `+` continuation (RFC 3501 §7.5, RFC 7888).

use bytes::Bytes;

use crate::imap::chars::{ATOM_CHAR, TAG_CHAR};
use crate::imap::{
    Code, Command, CommandBody, Data, LiteralAnnouncement, LiteralMode, NamespaceDescription, Tag,
    parse_append_head, parse_command_frame,
};

use super::{Job, Session, State};

/// Where a command may be used (RFC 3501 §6).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Allowed {
    Any,
    NotAuthenticated,
    /// Authenticated or selected.
    LoggedIn,
    /// Authenticated, no mailbox selected (ENABLE, RFC 5161 §3.1).
    AuthenticatedOnly,
    Selected,
}

/// The states a command name is valid in; `None` for an unknown command.
fn allowed(name: &[u8], uid: bool) -> Option<Allowed> {
    use Allowed as A;
    if uid {
        return matches!(
            name,
            b"FETCH" | b"STORE" | b"SEARCH" | b"COPY" | b"MOVE" | b"EXPUNGE"
        )
        .then_some(A::Selected);
    }
    Some(match name {
        b"CAPABILITY" | b"NOOP" | b"LOGOUT" | b"ID" => A::Any,
        b"STARTTLS" | b"AUTHENTICATE" | b"LOGIN" => A::NotAuthenticated,
        b"SELECT" | b"EXAMINE" | b"CREATE" | b"DELETE" | b"RENAME" | b"SUBSCRIBE"
        | b"UNSUBSCRIBE" | b"LIST" | b"LSUB" | b"STATUS" | b"APPEND" | b"IDLE" | b"NAMESPACE" => {
            A::LoggedIn
        }
        b"ENABLE" => A::AuthenticatedOnly,
        b"CHECK" | b"CLOSE" | b"EXPUNGE" | b"SEARCH" | b"FETCH" | b"STORE" | b"COPY" | b"MOVE"
        | b"UNSELECT" => A::Selected,
        _ => return None,
    })
}

/// Why a command is refused in `state`, or `None` when it is valid there.
fn refusal(allowed: Allowed, state: State) -> Option<&'static str> {
    use Allowed as A;
    match (allowed, state) {
        (A::Any, _) => None,
        (A::NotAuthenticated, State::NotAuthenticated) => None,
        (A::NotAuthenticated, _) => Some("Already logged in"),
        (_, State::NotAuthenticated) => Some("Log in first"),
        (A::LoggedIn, _) => None,
        (A::AuthenticatedOnly, State::Authenticated) => None,
        (A::AuthenticatedOnly, _) => Some("Only valid before a mailbox is selected"),
        (A::Selected, State::Selected) => None,
        (A::Selected, _) => Some("No mailbox selected"),
    }
}

/// The tag and the upper-cased command name at the start of a command (after `UID`, the
/// name of the UID command, with `true`).
fn command_name(prefix: &[u8]) -> (Vec<u8>, bool) {
    let word = |s: &[u8], class: &[bool; 256]| s.iter().take_while(|&&b| class[b as usize]).count();
    let tag = word(prefix, &TAG_CHAR);
    let rest = prefix.get(tag + 1..).unwrap_or_default();
    let n = word(rest, &ATOM_CHAR);
    let name = rest.get(..n).unwrap_or_default().to_ascii_uppercase();
    if name == b"UID" {
        let after = rest.get(n + 1..).unwrap_or_default();
        let m = word(after, &ATOM_CHAR);
        return (
            after.get(..m).unwrap_or_default().to_ascii_uppercase(),
            true,
        );
    }
    (name, false)
}

fn is_uid_command(body: &CommandBody) -> bool {
    use CommandBody as C;
    matches!(
        body,
        C::Fetch { uid: true, .. }
            | C::Store { uid: true, .. }
            | C::Search { uid: true, .. }
            | C::Copy { uid: true, .. }
            | C::Move { uid: true, .. }
            | C::UidExpunge(_)
    )
}

impl Session {
    /// One complete command.
    pub(super) fn command_frame(&mut self, frame: Bytes) {
        match parse_command_frame(&frame, &self.limits) {
            Ok(command) => self.command(command),
            Err(e) => self.parse_error(e),
        }
    }

    fn command(&mut self, Command { tag, body }: Command) {
        use CommandBody as C;
        self.in_uid_command = is_uid_command(&body);
        let name = body.name();
        let (word, uid) = match name.strip_prefix("UID ") {
            Some(rest) => (rest, true),
            None => (name, false),
        };
        let refused = match allowed(word.as_bytes(), uid) {
            None => Some("Unknown command"),
            Some(a) => refusal(a, self.state()),
        };
        if let Some(why) = refused {
            return self.bad(Some(&tag), None, why);
        }
        match body {
            C::Capability => {
                let caps = self.capabilities();
                self.data(Data::Capability(caps));
                self.tagged_ok(&tag, None, "CAPABILITY completed");
            }
            C::Noop => self.poll(tag, "NOOP completed"),
            C::Check => self.poll(tag, "CHECK completed"),
            C::Logout => {
                self.bye(None, "IMAP4rev1 server terminating connection");
                self.tagged_ok(&tag, None, "LOGOUT completed");
                self.close(super::CloseReason::Logout);
            }
            C::StartTls => self.starttls(tag),
            C::Authenticate {
                mechanism,
                initial_response,
            } => self.authenticate(tag, &mechanism, initial_response),
            C::Login { username, password } => self.login(tag, username, password),
            C::Id(_) => {
                self.data(Data::Id(self.config.id.clone()));
                self.tagged_ok(&tag, None, "ID completed");
            }
            C::Enable(_) => {
                // RFC 5161 §3.2: none of this session's extensions needs enabling.
                self.data(Data::Enabled(Vec::new()));
                self.tagged_ok(&tag, None, "ENABLE completed");
            }
            C::Namespace => {
                // RFC 2342 §5: one personal namespace, no prefix.
                self.data(Data::Namespace {
                    personal: vec![NamespaceDescription {
                        prefix: crate::imap::IString::empty(),
                        delimiter: Some(self.config.delimiter),
                        extensions: Vec::new(),
                    }],
                    other: Vec::new(),
                    shared: Vec::new(),
                });
                self.tagged_ok(&tag, None, "NAMESPACE completed");
            }
            C::Idle => self.idle(tag),
            C::Select(mailbox) => self.select(tag, &mailbox, false),
            C::Examine(mailbox) => self.select(tag, &mailbox, true),
            C::Create {
                mailbox,
                special_use,
            } => self.create(tag, &mailbox, &special_use),
            C::Delete(mailbox) => self.delete(tag, &mailbox),
            C::Rename { from, to } => self.rename(tag, &from, &to),
            C::Subscribe(mailbox) => self.subscribe(tag, &mailbox, true),
            C::Unsubscribe(mailbox) => self.subscribe(tag, &mailbox, false),
            C::List {
                reference,
                pattern,
                selection,
                return_options,
            } => self.list(tag, reference, pattern, &selection, &return_options, false),
            C::Lsub { reference, pattern } => self.list(tag, reference, pattern, &[], &[], true),
            C::Status { mailbox, items } => self.status_command(tag, mailbox, items),
            C::Append {
                mailbox,
                flags,
                date,
                message,
            } => self.append_whole(tag, &mailbox, flags, date, message.into_data()),
            C::Close => self.close_mailbox(tag, true),
            C::Unselect => self.close_mailbox(tag, false),
            C::Expunge => self.expunge(tag, None),
            C::UidExpunge(set) => self.expunge(tag, Some(set)),
            C::Search {
                charset,
                criteria,
                uid,
            } => self.search(tag, charset, criteria, uid),
            C::Fetch { set, items, uid } => self.fetch(tag, &set, &items, uid),
            C::Store {
                set,
                kind,
                silent,
                flags,
                uid,
            } => self.store(tag, &set, kind, silent, flags, uid),
            C::Copy { set, mailbox, uid } => self.copy(tag, &set, &mailbox, uid, false),
            C::Move { set, mailbox, uid } => self.copy(tag, &set, &mailbox, uid, true),
            _ => self.bad(Some(&tag), None, "Unknown command"),
        }
    }

    /// Ends a command that changed nothing: staged updates (EXPUNGEs only with
    /// `expunges`), then the tagged OK.
    pub(super) fn done(&mut self, tag: &Tag, expunges: bool, s: &str) {
        self.release_updates(expunges);
        self.tagged_ok(tag, None, s);
    }

    /// A literal announcement: the command's tag, name, state and the literal's size are
    /// checked before `+` is sent (RFC 3501 §7.5); a refusal is answered by tag and the
    /// literal's octets are never buffered. An APPEND's message literal is streamed.
    pub(super) fn literal(&mut self, announcement: LiteralAnnouncement) {
        let Some(tag) = announcement.tag.clone() else {
            self.input.refuse_literal();
            return self.bad(None, None, "Invalid tag");
        };
        let (name, uid) = command_name(self.input.prefix());
        let refused = match allowed(&name, uid) {
            None => Some("Unknown command"),
            Some(a) => refusal(a, self.state()),
        };
        if let Some(why) = refused {
            self.input.refuse_literal();
            return self.bad(Some(&tag), None, why);
        }
        if name == b"APPEND" {
            let prefix = Bytes::copy_from_slice(self.input.prefix());
            match parse_append_head(&prefix, &self.limits) {
                Ok(head) => return self.append_head(tag, head),
                // The grammar ran out of input inside the arguments: this literal is one
                // of them (a mailbox name), not the message.
                Err(e) if e.offset >= prefix.len() => {}
                Err(e) => {
                    self.input.refuse_literal();
                    return self.parse_error(e);
                }
            }
        }
        let limit = match self.user {
            None => self.config.max_literal_before_login,
            Some(_) => self.config.max_literal,
        };
        if self.input.literal_total() > u64::from(limit) {
            self.input.refuse_literal();
            return self.bad(Some(&tag), Some(Code::Limit), "Literal too big");
        }
        if announcement.mode == LiteralMode::Sync {
            self.continue_req("Ready for literal data");
        }
    }

    /// `+ text` (RFC 3501 §7.5).
    pub(super) fn continue_req(&mut self, s: &'static str) {
        let response = crate::imap::Response::Continue(crate::imap::Continue::Text {
            code: None,
            text: super::text(s),
        });
        self.transmit.encode(|e| e.response(&response));
    }

    /// IDLE (RFC 2177 §3): `+ idling`, then every change at once until DONE.
    fn idle(&mut self, tag: Tag) {
        self.continue_req("idling");
        self.release_updates(true);
        self.input.set_line_mode(true);
        self.keepalive_at = Some(self.now + self.config.idle_keepalive);
        self.job = Some(Job::Idle { tag });
    }

    /// A line read in line mode: an AUTHENTICATE response or IDLE's DONE.
    pub(super) fn line(&mut self, item: super::Item) {
        match self.job.take() {
            Some(Job::Sasl {
                tag,
                mechanism,
                exchange,
            }) => self.sasl_line(tag, mechanism, exchange, item),
            Some(Job::Idle { tag }) => {
                self.input.set_line_mode(false);
                self.keepalive_at = None;
                let done = match &item {
                    super::Item::Frame(line) => {
                        crate::imap::parse_idle_done(line, &self.limits).is_ok()
                    }
                    _ => false,
                };
                if done {
                    self.done(&tag, true, "IDLE terminated");
                } else {
                    // RFC 2177 §3: anything but DONE ends IDLE; it is not a command.
                    self.bad(Some(&tag), None, "Expected DONE");
                }
            }
            other => self.job = other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_names_and_states() {
        assert_eq!(
            command_name(b"a1 uid fetch {3}\r\n"),
            (b"FETCH".to_vec(), true)
        );
        assert_eq!(
            command_name(b"a1 LOGIN {3}\r\n"),
            (b"LOGIN".to_vec(), false)
        );
        assert_eq!(allowed(b"EXPUNGE", true), Some(Allowed::Selected));
        assert_eq!(allowed(b"LOGIN", true), None);
        assert_eq!(
            refusal(Allowed::Selected, State::Authenticated),
            Some("No mailbox selected")
        );
        assert_eq!(refusal(Allowed::LoggedIn, State::Selected), None);
        assert_eq!(
            refusal(Allowed::AuthenticatedOnly, State::Selected),
            Some("Only valid before a mailbox is selected")
        );
    }
}
