//! Writing responses: status lines, the capability list, the greeting, and the staged
//! mailbox updates. The one place that maps a refused command to its answer.

use crate::imap::{
    Atom, Code, Data, ErrorKind, Flag, FlagFetch, FlagPerm, MessageDataItem, ParseError, Response,
    StatusKind, StatusResponse, Tag, Text,
};

use super::view::Update;
use super::{CloseReason, Session, Tls, text};

/// Capabilities the session implements in every state after login (RFC 3501 §7.2.1 plus
/// the extensions of the module docs).
const EXTENSIONS: &[&str] = &[
    "ID",
    "ENABLE",
    "IDLE",
    "NAMESPACE",
    "UIDPLUS",
    "MOVE",
    "UNSELECT",
    "CHILDREN",
    "SPECIAL-USE",
];

/// `text` as response text; server texts are ASCII, so the fallback is never used.
fn resp_text(s: &str) -> Text {
    Text::try_from(s).unwrap_or_else(|_| text("Done"))
}

impl Session {
    /// The one writer of status lines.
    pub(super) fn status(
        &mut self,
        tag: Option<&Tag>,
        kind: StatusKind,
        code: Option<Code>,
        s: &str,
    ) {
        let response = Response::Status(StatusResponse {
            tag: tag.cloned(),
            kind,
            code,
            text: resp_text(s),
        });
        self.transmit.encode(|e| e.response(&response));
    }

    /// Writes untagged data.
    pub(super) fn data(&mut self, data: Data) {
        let response = Response::Data(data);
        self.transmit.encode(|e| e.response(&response));
    }

    /// `tag OK`: a command that worked.
    pub(super) fn tagged_ok(&mut self, tag: &Tag, code: Option<Code>, s: &str) {
        self.bad_commands = 0;
        self.status(Some(tag), StatusKind::Ok, code, s);
    }

    /// `tag NO`: a valid command that failed (not a bad command).
    pub(super) fn tagged_no(&mut self, tag: &Tag, code: Option<Code>, s: &str) {
        self.bad_commands = 0;
        self.status(Some(tag), StatusKind::No, code, s);
    }

    pub(super) fn untagged_ok(&mut self, code: Option<Code>, s: &str) {
        self.status(None, StatusKind::Ok, code, s);
    }

    pub(super) fn bye(&mut self, code: Option<Code>, s: &str) {
        self.status(None, StatusKind::Bye, code, s);
    }

    /// `BAD` to a bad command: unknown, malformed, or in the wrong state (untagged when no
    /// tag could be read). Too many in a row end the session: a client that speaks
    /// another protocol (or a cross-protocol attack) is cut off after a few lines.
    pub(super) fn bad(&mut self, tag: Option<&Tag>, code: Option<Code>, s: &str) {
        self.bad_commands = self.bad_commands.saturating_add(1);
        self.status(tag, StatusKind::Bad, code, s);
        let limit = match self.user {
            None => self.config.max_bad_commands_before_login,
            Some(_) => self.config.max_bad_commands_after_login,
        };
        if self.bad_commands >= limit {
            self.bye(None, "Too many invalid commands");
            self.close(CloseReason::TooManyBadCommands);
        }
    }

    /// The answer to a command the codec refused.
    pub(super) fn parse_error(&mut self, e: ParseError) {
        let (code, s) = match &e.kind {
            ErrorKind::Syntax { expected } => {
                (None, format!("Error in IMAP command: expected {expected}"))
            }
            ErrorKind::BareLf => (None, "Line ends in a bare LF".to_owned()),
            ErrorKind::NumberOutOfRange => (None, "Number out of range".to_owned()),
            ErrorKind::LineTooLong { .. } => {
                (Some(Code::Limit), "Command line too long".to_owned())
            }
            ErrorKind::LiteralTooBig { .. } => (Some(Code::TooBig), "Literal too big".to_owned()),
            ErrorKind::TooDeep { .. } => {
                (Some(Code::Limit), "Arguments nested too deeply".to_owned())
            }
            ErrorKind::TooManyItems { .. } => {
                (Some(Code::Limit), "Too many items in a list".to_owned())
            }
        };
        self.bad(e.tag.as_ref(), code, &s);
    }

    /// Plaintext passwords may be sent: over TLS, or where the host allows it.
    pub(super) fn plaintext_allowed(&self) -> bool {
        self.tls == Tls::Active || self.config.plaintext_auth_without_tls
    }

    /// What this session implements now, exactly (RFC 3501 §6.1.1, §7.2.1). Before login:
    /// how to log in; after: the extensions and APPENDLIMIT.
    pub(super) fn capabilities(&self) -> Vec<Atom> {
        let mut caps: Vec<String> = vec!["IMAP4rev1".to_owned()];
        if self.user.is_none() {
            if self.config.starttls && self.tls == Tls::Off {
                caps.push("STARTTLS".to_owned());
            }
            let plaintext = self.plaintext_allowed();
            if !plaintext {
                // RFC 3501 §6.2.3: LOGIN is refused until TLS is on.
                caps.push("LOGINDISABLED".to_owned());
            }
            let mut any = false;
            for m in &self.config.mechanisms {
                if plaintext || !m.sends_plaintext_password() {
                    caps.push(format!("AUTH={}", m.name()));
                    any = true;
                }
            }
            if any {
                caps.push("SASL-IR".to_owned());
            }
            // Non-synchronizing literals up to 4,096 octets (RFC 7888 §5): what the small
            // pre-login literal limit can take.
            caps.push("LITERAL-".to_owned());
            caps.extend(["ID", "ENABLE", "IDLE"].map(str::to_owned));
        } else {
            caps.push("LITERAL+".to_owned());
            caps.extend(EXTENSIONS.iter().map(|s| (*s).to_owned()));
            caps.push(format!("APPENDLIMIT={}", self.config.max_append));
        }
        caps.into_iter()
            .filter_map(|c| Atom::try_from(c).ok())
            .collect()
    }

    /// The greeting: `* OK [CAPABILITY ...] text` or `* PREAUTH [CAPABILITY ...] ...`.
    pub(super) fn greet(&mut self, preauth: Option<&str>) {
        let code = self
            .config
            .capability_codes
            .then(|| Code::Capability(self.capabilities()));
        let greeting = crate::imap::Greeting {
            kind: match preauth {
                None => crate::imap::GreetingKind::Ok,
                Some(_) => crate::imap::GreetingKind::PreAuth,
            },
            code,
            text: match preauth {
                None => self.config.greeting.clone(),
                Some(user) => resp_text(&format!("Logged in as {}", printable(user))),
            },
        };
        self.transmit.encode(|e| e.greeting(&greeting));
    }

    /// `[CAPABILITY ...]` for a tagged OK after login or STARTTLS, when configured.
    pub(super) fn capability_code(&self) -> Option<Code> {
        self.config
            .capability_codes
            .then(|| Code::Capability(self.capabilities()))
    }

    /// Tells the client the staged changes it may be told now (see
    /// [`View::release`](super::view::View::release)): EXPUNGEs only when `expunges`.
    pub(super) fn release_updates(&mut self, expunges: bool) {
        let Some(selected) = self.selected.as_mut() else {
            return;
        };
        if !selected.view.has_updates(expunges) {
            return;
        }
        let updates = selected.view.release(expunges);
        let with_uid = self.in_uid_command;
        for update in updates {
            match update {
                Update::Expunge(seq) => self.transmit.write(|out| {
                    crate::transmit::put_line(out, format_args!("* {seq} EXPUNGE"));
                }),
                Update::Exists(n) => self.data(Data::Exists(n)),
                Update::Recent(n) => self.data(Data::Recent(n)),
                Update::FlagList => self.flag_list(),
                Update::Flags { seq, uid } => self.flags_fetch(seq, with_uid.then_some(uid)),
            }
        }
    }

    /// `* FLAGS (...)` and `* OK [PERMANENTFLAGS (...)]` of the selected mailbox (RFC 3501
    /// §6.3.1, §7.2.6).
    pub(super) fn flag_list(&mut self) {
        let Some(selected) = self.selected.as_ref() else {
            return;
        };
        let mut flags = vec![
            Flag::Answered,
            Flag::Flagged,
            Flag::Deleted,
            Flag::Seen,
            Flag::Draft,
        ];
        flags.extend(selected.view.table.keywords().iter().cloned());
        let (permanent, s): (Vec<FlagPerm>, &str) = if selected.read_only {
            (Vec::new(), "No permanent flags permitted")
        } else {
            match &selected.permanent {
                None => {
                    let mut p: Vec<FlagPerm> = flags.iter().cloned().map(FlagPerm::Flag).collect();
                    p.push(FlagPerm::Asterisk);
                    (p, "Flags permitted")
                }
                Some((list, new_keywords)) => {
                    let mut p: Vec<FlagPerm> = list.iter().cloned().map(FlagPerm::Flag).collect();
                    if *new_keywords {
                        p.push(FlagPerm::Asterisk);
                    }
                    (p, "Limited")
                }
            }
        };
        self.data(Data::Flags(flags));
        self.untagged_ok(Some(Code::PermanentFlags(permanent)), s);
    }

    /// `* seq FETCH (FLAGS (...) [UID uid])` from the view.
    pub(super) fn flags_fetch(&mut self, seq: u32, uid: Option<u32>) {
        let Some(mut items) = self.flags_item(seq) else {
            return;
        };
        if let Some(uid) = uid.and_then(std::num::NonZeroU32::new) {
            items.push(MessageDataItem::Uid(uid));
        }
        if let Some(seq) = std::num::NonZeroU32::new(seq) {
            self.data(Data::Fetch { seq, items });
        }
    }

    /// The FLAGS item of message `seq`, `\Recent` included; marks them told.
    pub(super) fn flags_item(&mut self, seq: u32) -> Option<Vec<MessageDataItem>> {
        let selected = self.selected.as_mut()?;
        let view = &mut selected.view;
        let mut flags: Vec<FlagFetch> = view
            .table
            .flags(view.flags(seq))
            .into_iter()
            .map(FlagFetch::Flag)
            .collect();
        if view.is_recent(seq) {
            flags.push(FlagFetch::Recent);
        }
        view.told_flags(seq);
        Some(vec![MessageDataItem::Flags(flags)])
    }
}

/// `user` as response text: printable ASCII only (a user name is the client's data).
fn printable(user: &str) -> String {
    user.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .take(64)
        .collect()
}
