//! Encoding of commands (client side), RFC 3501 §9 `command`.

use super::super::command::{AuthenticateData, Command, CommandBody, StatusAttribute, StoreKind};
use super::super::fetch::{FetchAttribute, FetchItems, Section, SectionText};
use super::super::mailbox::Mailbox;
use super::super::search::SearchKey;
use super::Encoder;

impl Encoder {
    /// Appends `command` (tag, body, CRLF). Synchronizing literals are preceded by a
    /// [`Fragment::AwaitContinuation`](super::Fragment::AwaitContinuation).
    pub fn command(&mut self, command: &Command) {
        self.in_command = true;
        self.raw(command.tag.as_bytes());
        self.sp();
        self.command_body(&command.body);
        self.crlf();
        self.in_command = false;
    }

    /// Appends an AUTHENTICATE client line (RFC 3501 §6.2.2): base64 or `*`.
    pub fn authenticate_data(&mut self, data: &AuthenticateData) {
        use base64::Engine as _;
        match data {
            AuthenticateData::Cancel => self.raw(b"*"),
            AuthenticateData::Response(r) => {
                let s = base64::engine::general_purpose::STANDARD.encode(r.declassify());
                self.raw(s.as_bytes());
            }
        }
        self.crlf();
    }

    /// Appends `DONE CRLF`, which ends IDLE (RFC 2177 §3).
    pub fn idle_done(&mut self) {
        self.raw(b"DONE\r\n");
    }

    fn mailbox(&mut self, m: &Mailbox) {
        self.astring(m.as_istring());
    }

    fn sp_mailbox(&mut self, m: &Mailbox) {
        self.sp();
        self.mailbox(m);
    }

    fn uid(&mut self, uid: bool) {
        if uid {
            self.raw(b"UID ");
        }
    }

    fn command_body(&mut self, body: &CommandBody) {
        use CommandBody as C;
        match body {
            C::Capability => self.raw(b"CAPABILITY"),
            C::Noop => self.raw(b"NOOP"),
            C::Logout => self.raw(b"LOGOUT"),
            C::StartTls => self.raw(b"STARTTLS"),
            C::Authenticate {
                mechanism,
                initial_response,
            } => {
                self.raw(b"AUTHENTICATE ");
                self.raw(mechanism.as_bytes());
                if let Some(ir) = initial_response {
                    self.sp();
                    if ir.declassify().is_empty() {
                        self.byte(b'=');
                    } else {
                        use base64::Engine as _;
                        let s = base64::engine::general_purpose::STANDARD.encode(ir.declassify());
                        self.raw(s.as_bytes());
                    }
                }
            }
            C::Login { username, password } => {
                self.raw(b"LOGIN ");
                self.astring(username);
                self.sp();
                self.astring(password.declassify());
            }
            C::Select(m) => {
                self.raw(b"SELECT");
                self.sp_mailbox(m);
            }
            C::Examine(m) => {
                self.raw(b"EXAMINE");
                self.sp_mailbox(m);
            }
            C::Create {
                mailbox,
                special_use,
            } => {
                self.raw(b"CREATE");
                self.sp_mailbox(mailbox);
                if !special_use.is_empty() {
                    self.raw(b" (USE ");
                    self.list(special_use, |e, a| {
                        e.byte(b'\\');
                        e.raw(a.name());
                    });
                    self.byte(b')');
                }
            }
            C::Delete(m) => {
                self.raw(b"DELETE");
                self.sp_mailbox(m);
            }
            C::Rename { from, to } => {
                self.raw(b"RENAME");
                self.sp_mailbox(from);
                self.sp_mailbox(to);
            }
            C::Subscribe(m) => {
                self.raw(b"SUBSCRIBE");
                self.sp_mailbox(m);
            }
            C::Unsubscribe(m) => {
                self.raw(b"UNSUBSCRIBE");
                self.sp_mailbox(m);
            }
            C::List {
                reference,
                pattern,
                selection,
                return_options,
            } => {
                self.raw(b"LIST");
                if !selection.is_empty() {
                    self.sp();
                    self.list(selection, |e, a| e.raw(a.as_bytes()));
                }
                self.sp_mailbox(reference);
                self.sp();
                self.list_mailbox(&pattern.0);
                if !return_options.is_empty() {
                    self.raw(b" RETURN ");
                    self.list(return_options, |e, a| e.raw(a.as_bytes()));
                }
            }
            C::Lsub { reference, pattern } => {
                self.raw(b"LSUB");
                self.sp_mailbox(reference);
                self.sp();
                self.list_mailbox(&pattern.0);
            }
            C::Status { mailbox, items } => {
                self.raw(b"STATUS");
                self.sp_mailbox(mailbox);
                self.sp();
                self.list(items, |e, a| e.status_att(*a));
            }
            C::Append {
                mailbox,
                flags,
                date,
                message,
            } => {
                self.raw(b"APPEND");
                self.sp_mailbox(mailbox);
                if !flags.is_empty() {
                    self.sp();
                    self.flag_list(flags);
                }
                if let Some(d) = date {
                    self.sp();
                    self.date_time(d);
                }
                self.sp();
                self.literal(message);
            }
            C::Check => self.raw(b"CHECK"),
            C::Close => self.raw(b"CLOSE"),
            C::Expunge => self.raw(b"EXPUNGE"),
            C::UidExpunge(set) => {
                self.raw(b"UID EXPUNGE ");
                self.sequence_set(set);
            }
            C::Search {
                charset,
                criteria,
                uid,
            } => {
                self.uid(*uid);
                self.raw(b"SEARCH");
                if let Some(cs) = charset {
                    self.raw(b" CHARSET ");
                    self.astring(cs);
                }
                for k in criteria {
                    self.sp();
                    self.search_key(k);
                }
            }
            C::Fetch { set, items, uid } => {
                self.uid(*uid);
                self.raw(b"FETCH ");
                self.sequence_set(set);
                self.sp();
                match items {
                    FetchItems::All => self.raw(b"ALL"),
                    FetchItems::Fast => self.raw(b"FAST"),
                    FetchItems::Full => self.raw(b"FULL"),
                    FetchItems::Attributes(v) if v.len() == 1 => self.fetch_att(&v[0]),
                    FetchItems::Attributes(v) => self.list(v, |e, a| e.fetch_att(a)),
                }
            }
            C::Store {
                set,
                kind,
                silent,
                flags,
                uid,
            } => {
                self.uid(*uid);
                self.raw(b"STORE ");
                self.sequence_set(set);
                self.sp();
                match kind {
                    StoreKind::Replace => {}
                    StoreKind::Add => self.byte(b'+'),
                    StoreKind::Remove => self.byte(b'-'),
                }
                self.raw(b"FLAGS");
                if *silent {
                    self.raw(b".SILENT");
                }
                self.sp();
                self.flag_list(flags);
            }
            C::Copy { set, mailbox, uid } | C::Move { set, mailbox, uid } => {
                self.uid(*uid);
                self.raw(if matches!(body, C::Copy { .. }) {
                    b"COPY "
                } else {
                    b"MOVE "
                });
                self.sequence_set(set);
                self.sp_mailbox(mailbox);
            }
            C::Idle => self.raw(b"IDLE"),
            C::Unselect => self.raw(b"UNSELECT"),
            C::Namespace => self.raw(b"NAMESPACE"),
            C::Enable(caps) => {
                self.raw(b"ENABLE");
                for c in caps {
                    self.sp();
                    self.raw(c.as_bytes());
                }
            }
            C::Id(params) => {
                self.raw(b"ID ");
                self.id_params(params);
            }
            C::Extension { name, arguments } => {
                self.raw(name.as_bytes());
                // Arguments are passed through as parsed; CRLF inside them comes only from
                // literals the parser framed.
                self.raw(arguments.as_bytes());
            }
        }
    }

    pub(crate) fn id_params(
        &mut self,
        params: &Option<Vec<(super::super::core::IString, super::super::core::NString)>>,
    ) {
        match params {
            None => self.raw(b"NIL"),
            Some(v) => self.list(v, |e, (k, val)| {
                e.string(k);
                e.sp();
                e.nstring(val);
            }),
        }
    }

    pub(crate) fn status_att(&mut self, a: StatusAttribute) {
        self.raw(match a {
            StatusAttribute::Messages => b"MESSAGES",
            StatusAttribute::Recent => b"RECENT",
            StatusAttribute::UidNext => b"UIDNEXT",
            StatusAttribute::UidValidity => b"UIDVALIDITY",
            StatusAttribute::Unseen => b"UNSEEN",
        });
    }

    fn search_key(&mut self, k: &SearchKey) {
        use SearchKey as K;
        let (word, rest): (&[u8], Option<&super::super::core::IString>) = match k {
            K::Bcc(s) => (b"BCC", Some(s)),
            K::Body(s) => (b"BODY", Some(s)),
            K::Cc(s) => (b"CC", Some(s)),
            K::From(s) => (b"FROM", Some(s)),
            K::Subject(s) => (b"SUBJECT", Some(s)),
            K::Text(s) => (b"TEXT", Some(s)),
            K::To(s) => (b"TO", Some(s)),
            _ => (b"", None),
        };
        if let Some(s) = rest {
            self.raw(word);
            self.sp();
            self.astring(s);
            return;
        }
        let date_key = |e: &mut Self, w: &[u8], d| {
            e.raw(w);
            e.sp();
            e.date(d);
        };
        match k {
            K::All => self.raw(b"ALL"),
            K::Answered => self.raw(b"ANSWERED"),
            K::Deleted => self.raw(b"DELETED"),
            K::Draft => self.raw(b"DRAFT"),
            K::Flagged => self.raw(b"FLAGGED"),
            K::New => self.raw(b"NEW"),
            K::Old => self.raw(b"OLD"),
            K::Recent => self.raw(b"RECENT"),
            K::Seen => self.raw(b"SEEN"),
            K::Unanswered => self.raw(b"UNANSWERED"),
            K::Undeleted => self.raw(b"UNDELETED"),
            K::Undraft => self.raw(b"UNDRAFT"),
            K::Unflagged => self.raw(b"UNFLAGGED"),
            K::Unseen => self.raw(b"UNSEEN"),
            K::Before(d) => date_key(self, b"BEFORE", d),
            K::On(d) => date_key(self, b"ON", d),
            K::Since(d) => date_key(self, b"SINCE", d),
            K::SentBefore(d) => date_key(self, b"SENTBEFORE", d),
            K::SentOn(d) => date_key(self, b"SENTON", d),
            K::SentSince(d) => date_key(self, b"SENTSINCE", d),
            K::Header(f, v) => {
                self.raw(b"HEADER ");
                self.astring(f);
                self.sp();
                self.astring(v);
            }
            K::Keyword(a) => {
                self.raw(b"KEYWORD ");
                self.raw(a.as_bytes());
            }
            K::Unkeyword(a) => {
                self.raw(b"UNKEYWORD ");
                self.raw(a.as_bytes());
            }
            K::Larger(n) => {
                self.raw(b"LARGER ");
                self.number(*n);
            }
            K::Smaller(n) => {
                self.raw(b"SMALLER ");
                self.number(*n);
            }
            K::Not(k) => {
                self.raw(b"NOT ");
                self.search_key(k);
            }
            K::Or(a, b) => {
                self.raw(b"OR ");
                self.search_key(a);
                self.sp();
                self.search_key(b);
            }
            K::Uid(s) => {
                self.raw(b"UID ");
                self.sequence_set(s);
            }
            K::SequenceSet(s) => self.sequence_set(s),
            K::And(v) => self.list(v, |e, k| e.search_key(k)),
            K::Bcc(_)
            | K::Body(_)
            | K::Cc(_)
            | K::From(_)
            | K::Subject(_)
            | K::Text(_)
            | K::To(_) => {}
        }
    }

    fn fetch_att(&mut self, a: &FetchAttribute) {
        use FetchAttribute as A;
        match a {
            A::Envelope => self.raw(b"ENVELOPE"),
            A::Flags => self.raw(b"FLAGS"),
            A::InternalDate => self.raw(b"INTERNALDATE"),
            A::Rfc822 => self.raw(b"RFC822"),
            A::Rfc822Header => self.raw(b"RFC822.HEADER"),
            A::Rfc822Size => self.raw(b"RFC822.SIZE"),
            A::Rfc822Text => self.raw(b"RFC822.TEXT"),
            A::Body => self.raw(b"BODY"),
            A::BodyStructure => self.raw(b"BODYSTRUCTURE"),
            A::Uid => self.raw(b"UID"),
            A::BodySection {
                peek,
                section,
                partial,
            } => {
                self.raw(if *peek { b"BODY.PEEK" } else { b"BODY" });
                self.section(section);
                if let Some(p) = partial {
                    self.byte(b'<');
                    self.number(p.origin);
                    self.byte(b'.');
                    self.number(p.length.get());
                    self.byte(b'>');
                }
            }
        }
    }

    /// `section`.
    pub(crate) fn section(&mut self, s: &Section) {
        self.byte(b'[');
        for (i, p) in s.part().iter().enumerate() {
            if i > 0 {
                self.byte(b'.');
            }
            self.number(p.get());
        }
        if let Some(t) = s.text() {
            if !s.part().is_empty() {
                self.byte(b'.');
            }
            match t {
                SectionText::Header => self.raw(b"HEADER"),
                SectionText::Text => self.raw(b"TEXT"),
                SectionText::Mime => self.raw(b"MIME"),
                SectionText::HeaderFields(v) => {
                    self.raw(b"HEADER.FIELDS ");
                    self.list(v, |e, f| e.astring(f));
                }
                SectionText::HeaderFieldsNot(v) => {
                    self.raw(b"HEADER.FIELDS.NOT ");
                    self.list(v, |e, f| e.astring(f));
                }
            }
        }
        self.byte(b']');
    }
}
