//! Encoding of greetings and responses (server side), RFC 3501 §9 `greeting`, `response`.

use super::super::body::{BodyExtension, BodyKind, BodyStructure, DispositionTail};
use super::super::core::{IString, Text};
use super::super::envelope::{Address, Envelope};
use super::super::fetch::MessageDataItem;
use super::super::response::{
    Code, Continue, Data, Greeting, GreetingKind, ListData, NamespaceDescription, Response,
    SIMPLE_CODES, StatusKind,
};
use super::Encoder;

impl Encoder {
    /// Appends a greeting (RFC 3501 §7.1).
    pub fn greeting(&mut self, g: &Greeting) {
        self.raw(match g.kind {
            GreetingKind::Ok => b"* OK ",
            GreetingKind::PreAuth => b"* PREAUTH ",
            GreetingKind::Bye => b"* BYE ",
        });
        self.resp_text(g.code.as_ref(), &g.text);
        self.crlf();
    }

    /// Appends a response. A `BODY[]` or other string holding CR, LF or 8-bit data goes out as
    /// a literal; from [`CHUNK_THRESHOLD`](super::CHUNK_THRESHOLD) bytes on, as its own chunk.
    pub fn response(&mut self, r: &Response) {
        match r {
            Response::Status(s) => {
                match &s.tag {
                    Some(t) => self.raw(t.as_bytes()),
                    None => self.byte(b'*'),
                }
                self.raw(match s.kind {
                    StatusKind::Ok => b" OK ",
                    StatusKind::No => b" NO ",
                    StatusKind::Bad => b" BAD ",
                    StatusKind::Bye => b" BYE ",
                });
                self.resp_text(s.code.as_ref(), &s.text);
            }
            Response::Continue(Continue::Text { code, text }) => {
                self.raw(b"+ ");
                self.resp_text(code.as_ref(), text);
            }
            Response::Continue(Continue::Base64(data)) => {
                use base64::Engine as _;
                self.raw(b"+ ");
                let s = base64::engine::general_purpose::STANDARD.encode(data);
                self.raw(s.as_bytes());
            }
            Response::Data(d) => {
                self.raw(b"* ");
                self.data(d);
            }
        }
        self.crlf();
    }

    fn resp_text(&mut self, code: Option<&Code>, text: &Text) {
        if let Some(c) = code {
            self.byte(b'[');
            self.code(c);
            self.raw(b"] ");
        }
        self.raw(text.as_bytes());
    }

    fn capabilities(&mut self, caps: &[super::super::core::Atom]) {
        self.raw(b"CAPABILITY");
        for c in caps {
            self.sp();
            self.raw(c.as_bytes());
        }
    }

    fn code(&mut self, c: &Code) {
        for (name, code) in SIMPLE_CODES {
            if code == c {
                self.raw(name.as_bytes());
                return;
            }
        }
        match c {
            Code::BadCharset(v) => {
                self.raw(b"BADCHARSET");
                if !v.is_empty() {
                    self.sp();
                    self.list(v, |e, s| e.astring(s));
                }
            }
            Code::Capability(v) => self.capabilities(v),
            Code::PermanentFlags(v) => {
                self.raw(b"PERMANENTFLAGS ");
                self.list(v, |e, f| e.flag_perm(f));
            }
            Code::UidNext(n) => {
                self.raw(b"UIDNEXT ");
                self.number(n.get());
            }
            Code::UidValidity(n) => {
                self.raw(b"UIDVALIDITY ");
                self.number(n.get());
            }
            Code::Unseen(n) => {
                self.raw(b"UNSEEN ");
                self.number(n.get());
            }
            Code::AppendUid { uid_validity, uids } => {
                self.raw(b"APPENDUID ");
                self.number(uid_validity.get());
                self.sp();
                self.sequence_set(uids);
            }
            Code::CopyUid {
                uid_validity,
                source,
                destination,
            } => {
                self.raw(b"COPYUID ");
                self.number(uid_validity.get());
                self.sp();
                self.sequence_set(source);
                self.sp();
                self.sequence_set(destination);
            }
            Code::Other { name, argument } => {
                self.raw(name.as_bytes());
                if let Some(a) = argument {
                    // Only TEXT-CHAR except "]" can be written here without ending the code
                    // or the line early: anything else is dropped from the argument.
                    self.sp();
                    for &b in a.iter() {
                        if super::super::chars::CODE_TEXT_CHAR[b as usize] {
                            self.byte(b);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn data(&mut self, d: &Data) {
        match d {
            Data::Capability(v) => self.capabilities(v),
            Data::List(l) => {
                self.raw(b"LIST ");
                self.list_data(l);
            }
            Data::Lsub(l) => {
                self.raw(b"LSUB ");
                self.list_data(l);
            }
            Data::Status { mailbox, items } => {
                self.raw(b"STATUS ");
                self.astring(mailbox.as_istring());
                self.sp();
                self.list(items, |e, it| {
                    e.status_att(it.attribute);
                    e.sp();
                    e.number(it.value);
                });
            }
            Data::Search(v) => {
                self.raw(b"SEARCH");
                for n in v {
                    self.sp();
                    self.number(n.get());
                }
            }
            Data::Flags(v) => {
                self.raw(b"FLAGS ");
                self.flag_list(v);
            }
            Data::Exists(n) => {
                self.number(*n);
                self.raw(b" EXISTS");
            }
            Data::Recent(n) => {
                self.number(*n);
                self.raw(b" RECENT");
            }
            Data::Expunge(n) => {
                self.number(n.get());
                self.raw(b" EXPUNGE");
            }
            Data::Fetch { seq, items } => {
                self.number(seq.get());
                self.raw(b" FETCH ");
                self.list(items, |e, it| e.msg_att(it));
            }
            Data::Enabled(v) => {
                self.raw(b"ENABLED");
                for c in v {
                    self.sp();
                    self.raw(c.as_bytes());
                }
            }
            Data::Namespace {
                personal,
                other,
                shared,
            } => {
                self.raw(b"NAMESPACE ");
                self.namespace(personal);
                self.sp();
                self.namespace(other);
                self.sp();
                self.namespace(shared);
            }
            Data::Id(params) => {
                self.raw(b"ID ");
                self.id_params(params);
            }
        }
    }

    fn list_data(&mut self, l: &ListData) {
        self.list(&l.attributes, |e, a| {
            e.byte(b'\\');
            e.raw(a.name());
        });
        self.sp();
        self.delimiter(l.delimiter);
        self.sp();
        self.astring(l.mailbox.as_istring());
    }

    fn namespace(&mut self, v: &[NamespaceDescription]) {
        if v.is_empty() {
            self.raw(b"NIL");
            return;
        }
        self.byte(b'(');
        for d in v {
            self.byte(b'(');
            self.string(&d.prefix);
            self.sp();
            self.delimiter(d.delimiter);
            for (name, values) in &d.extensions {
                self.sp();
                self.string(name);
                self.sp();
                self.list(values, |e, s| e.string(s));
            }
            self.byte(b')');
        }
        self.byte(b')');
    }

    pub(crate) fn msg_att(&mut self, it: &MessageDataItem) {
        use MessageDataItem as M;
        match it {
            M::Flags(v) => {
                self.raw(b"FLAGS ");
                self.list(v, |e, f| e.flag_fetch(f));
            }
            M::Envelope(env) => {
                self.raw(b"ENVELOPE ");
                self.envelope(env);
            }
            M::InternalDate(dt) => {
                self.raw(b"INTERNALDATE ");
                self.date_time(dt);
            }
            M::Rfc822(s) => {
                self.raw(b"RFC822 ");
                self.nstring(s);
            }
            M::Rfc822Header(s) => {
                self.raw(b"RFC822.HEADER ");
                self.nstring(s);
            }
            M::Rfc822Text(s) => {
                self.raw(b"RFC822.TEXT ");
                self.nstring(s);
            }
            M::Rfc822Size(n) => {
                self.raw(b"RFC822.SIZE ");
                self.number(*n);
            }
            M::Body(b) => {
                self.raw(b"BODY ");
                self.body(b);
            }
            M::BodyStructure(b) => {
                self.raw(b"BODYSTRUCTURE ");
                self.body(b);
            }
            M::BodySection {
                section,
                origin,
                data,
            } => {
                self.raw(b"BODY");
                self.section(section);
                if let Some(o) = origin {
                    self.byte(b'<');
                    self.number(*o);
                    self.byte(b'>');
                }
                self.sp();
                self.nstring(data);
            }
            M::Uid(n) => {
                self.raw(b"UID ");
                self.number(n.get());
            }
        }
    }

    /// `envelope` (RFC 3501 §9).
    pub(crate) fn envelope(&mut self, env: &Envelope) {
        self.byte(b'(');
        self.nstring(&env.date);
        self.sp();
        self.nstring(&env.subject);
        for l in [
            &env.from,
            &env.sender,
            &env.reply_to,
            &env.to,
            &env.cc,
            &env.bcc,
        ] {
            self.sp();
            self.address_list(l);
        }
        self.sp();
        self.nstring(&env.in_reply_to);
        self.sp();
        self.nstring(&env.message_id);
        self.byte(b')');
    }

    fn address_list(&mut self, l: &[Address]) {
        if l.is_empty() {
            self.raw(b"NIL");
            return;
        }
        self.byte(b'(');
        for a in l {
            self.byte(b'(');
            self.nstring(&a.name);
            self.sp();
            self.nstring(&a.adl);
            self.sp();
            self.nstring(&a.mailbox);
            self.sp();
            self.nstring(&a.host);
            self.byte(b')');
        }
        self.byte(b')');
    }

    fn params(&mut self, p: &[(IString, IString)]) {
        if p.is_empty() {
            self.raw(b"NIL");
        } else {
            self.list(p, |e, (k, v)| {
                e.string(k);
                e.sp();
                e.string(v);
            });
        }
    }

    /// `body` (RFC 3501 §9).
    pub(crate) fn body(&mut self, b: &BodyStructure) {
        self.byte(b'(');
        match b {
            BodyStructure::Multipart {
                bodies,
                subtype,
                extension,
            } => {
                for part in bodies {
                    self.body(part);
                }
                self.sp();
                self.string(subtype);
                if let Some(ext) = extension {
                    self.sp();
                    self.params(&ext.params);
                    self.dsp_tail(ext.tail.as_ref());
                }
            }
            BodyStructure::Single { body, extension } => {
                let f = &body.fields;
                let (media_type, subtype): (&[u8], &IString) = match &body.kind {
                    BodyKind::Basic {
                        media_type,
                        subtype,
                    } => (media_type.as_bytes(), subtype),
                    BodyKind::Text { subtype, .. } => (b"TEXT", subtype),
                    BodyKind::Message { .. } => (b"MESSAGE", &f.encoding),
                };
                match &body.kind {
                    BodyKind::Basic { media_type, .. } => self.string(media_type),
                    _ => {
                        self.byte(b'"');
                        self.raw(media_type);
                        self.byte(b'"');
                    }
                }
                self.sp();
                if matches!(body.kind, BodyKind::Message { .. }) {
                    self.raw(b"\"RFC822\"");
                } else {
                    self.string(subtype);
                }
                self.sp();
                self.params(&f.params);
                self.sp();
                self.nstring(&f.id);
                self.sp();
                self.nstring(&f.description);
                self.sp();
                self.string(&f.encoding);
                self.sp();
                self.number(f.octets);
                match &body.kind {
                    BodyKind::Basic { .. } => {}
                    BodyKind::Text { lines, .. } => {
                        self.sp();
                        self.number(*lines);
                    }
                    BodyKind::Message {
                        envelope,
                        body,
                        lines,
                    } => {
                        self.sp();
                        self.envelope(envelope);
                        self.sp();
                        self.body(body);
                        self.sp();
                        self.number(*lines);
                    }
                }
                if let Some(ext) = extension {
                    self.sp();
                    self.nstring(&ext.md5);
                    self.dsp_tail(ext.tail.as_ref());
                }
            }
        }
        self.byte(b')');
    }

    fn dsp_tail(&mut self, t: Option<&DispositionTail>) {
        let Some(t) = t else { return };
        self.sp();
        match &t.disposition {
            None => self.raw(b"NIL"),
            Some(d) => {
                self.byte(b'(');
                self.string(&d.kind);
                self.sp();
                self.params(&d.params);
                self.byte(b')');
            }
        }
        let Some(l) = &t.tail else { return };
        self.sp();
        match l.languages.as_slice() {
            [] => self.raw(b"NIL"),
            [one] => self.string(one),
            many => self.list(many, |e, s| e.string(s)),
        }
        let Some(loc) = &l.tail else { return };
        self.sp();
        self.nstring(&loc.location);
        for x in &loc.extensions {
            self.sp();
            self.body_extension(x);
        }
    }

    fn body_extension(&mut self, x: &BodyExtension) {
        match x {
            BodyExtension::NString(s) => self.nstring(s),
            BodyExtension::Number(n) => self.number(*n),
            BodyExtension::List(v) => self.list(v, |e, x| e.body_extension(x)),
        }
    }
}
