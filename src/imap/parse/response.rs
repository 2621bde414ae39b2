//! `greeting`, `response` and `continue-req` (RFC 3501 §7, §9), with response codes, mailbox
//! data, FETCH message data, ENVELOPE and BODYSTRUCTURE, and the NAMESPACE (RFC 2342), ENABLED
//! (RFC 5161) and ID (RFC 2971) responses.

use std::num::NonZeroU32;

use bytes::Bytes;

use super::super::body::{
    Body, BodyExtension, BodyFields, BodyKind, BodyStructure, Disposition, DispositionTail,
    LanguageTail, LocationTail, MultipartExtension, SinglePartExtension,
};
use super::super::chars::{BASE64_CHAR, CODE_TEXT_CHAR, QUOTED_CHAR};
use super::super::core::{Atom, IString};
use super::super::envelope::{Address, Envelope};
use super::super::fetch::MessageDataItem;
use super::super::flag::MailboxAttribute;
use super::super::response::{
    Code, Continue, Data, Delimiter, Greeting, GreetingKind, ListData, NamespaceDescription,
    Response, SIMPLE_CODES, StatusItem, StatusKind, StatusResponse,
};
use super::super::sequence::{SeqNumber, Sequence, SequenceSet};
use super::command::{id_params, section, status_att};
use super::{Cursor, PResult, upper};

/// `greeting = "*" SP (resp-cond-auth / resp-cond-bye) CRLF` (RFC 3501 §9).
pub(crate) fn greeting(c: &mut Cursor<'_>) -> PResult<Greeting> {
    c.byte(b'*', "\"*\"")?;
    c.sp()?;
    let name = c.atom_bytes()?;
    let mut ub = [0u8; 16];
    let kind = match upper(name, &mut ub) {
        b"OK" => GreetingKind::Ok,
        b"PREAUTH" => GreetingKind::PreAuth,
        b"BYE" => GreetingKind::Bye,
        _ => return Err(c.err("OK, PREAUTH or BYE")),
    };
    c.sp()?;
    let (code, text) = resp_text(c)?;
    c.crlf()?;
    c.end()?;
    Ok(Greeting { kind, code, text })
}

/// `response-data / response-done / continue-req` (RFC 3501 §9): one server response.
pub(crate) fn response(c: &mut Cursor<'_>) -> PResult<Response> {
    let r = match c.peek() {
        Some(b'+') => Response::Continue(continue_req(c)?),
        Some(b'*') => {
            c.advance(1);
            c.sp()?;
            untagged(c)?
        }
        _ => {
            let tag = c.tag()?;
            c.sp()?;
            let name = c.atom_bytes()?;
            let mut ub = [0u8; 16];
            let kind = match upper(name, &mut ub) {
                b"OK" => StatusKind::Ok,
                b"NO" => StatusKind::No,
                b"BAD" => StatusKind::Bad,
                _ => return Err(c.err("OK, NO or BAD (resp-cond-state)")),
            };
            c.sp()?;
            let (code, text) = resp_text(c)?;
            Response::Status(StatusResponse {
                tag: Some(tag),
                kind,
                code,
                text,
            })
        }
    };
    c.crlf()?;
    c.end()?;
    Ok(r)
}

/// `continue-req = "+" SP (resp-text / base64) CRLF` (RFC 3501 §9), without the CRLF.
///
/// `text` needs at least one character, so an empty line is `base64`. Otherwise the text is
/// taken as base64 when it is valid padded base64 (length a multiple of 4) without a code;
/// a session in an AUTHENTICATE exchange knows the difference and can re-read `Text`.
pub(crate) fn continue_req(c: &mut Cursor<'_>) -> PResult<Continue> {
    c.byte(b'+', "\"+\"")?;
    c.sp()?;
    let rest = c.rest();
    let line = rest.strip_suffix(b"\r\n").unwrap_or(rest);
    if line.is_empty() {
        return Ok(Continue::Base64(Bytes::new()));
    }
    if line.len() % 4 == 0 && looks_like_base64(line) {
        let save = c.pos();
        if let Ok(b) = c.base64() {
            return Ok(Continue::Base64(b));
        }
        c.pos = save;
    }
    let (code, text) = resp_text(c)?;
    Ok(Continue::Text { code, text })
}

fn looks_like_base64(s: &[u8]) -> bool {
    let body = s
        .strip_suffix(b"==")
        .or_else(|| s.strip_suffix(b"="))
        .unwrap_or(s);
    body.iter().all(|&b| BASE64_CHAR[b as usize])
}

fn untagged(c: &mut Cursor<'_>) -> PResult<Response> {
    if matches!(c.peek(), Some(b'0'..=b'9')) {
        let n = c.number()?;
        c.sp()?;
        let name = c.atom_bytes()?;
        let mut ub = [0u8; 16];
        let nz = NonZeroU32::new(n);
        let data = match (upper(name, &mut ub), nz) {
            (b"EXISTS", _) => Data::Exists(n),
            (b"RECENT", _) => Data::Recent(n),
            (b"EXPUNGE", Some(n)) => Data::Expunge(n),
            (b"FETCH", Some(seq)) => {
                c.sp()?;
                Data::Fetch {
                    seq,
                    items: msg_att(c)?,
                }
            }
            _ => return Err(c.err("EXISTS, RECENT, EXPUNGE or FETCH (nz-number)")),
        };
        return Ok(Response::Data(data));
    }
    let start = c.pos();
    let name = c.atom_bytes()?;
    let mut ub = [0u8; 16];
    let kind = match upper(name, &mut ub) {
        b"OK" => Some(StatusKind::Ok),
        b"NO" => Some(StatusKind::No),
        b"BAD" => Some(StatusKind::Bad),
        b"BYE" => Some(StatusKind::Bye),
        _ => None,
    };
    if let Some(kind) = kind {
        c.sp()?;
        let (code, text) = resp_text(c)?;
        return Ok(Response::Status(StatusResponse {
            tag: None,
            kind,
            code,
            text,
        }));
    }
    let data = match upper(name, &mut ub) {
        b"CAPABILITY" => Data::Capability(capability_list(c)?),
        b"LIST" => {
            c.sp()?;
            Data::List(mailbox_list(c)?)
        }
        b"LSUB" => {
            c.sp()?;
            Data::Lsub(mailbox_list(c)?)
        }
        b"STATUS" => {
            c.sp()?;
            let mailbox = c.mailbox()?;
            c.sp()?;
            let items = c.paren_list(true, |c| {
                let attribute = status_att(c)?;
                c.sp()?;
                Ok(StatusItem {
                    attribute,
                    value: c.number()?,
                })
            })?;
            Data::Status { mailbox, items }
        }
        b"SEARCH" => {
            let mut v = Vec::new();
            while c.eat(b' ') {
                c.check_items(v.len())?;
                v.push(c.nz_number()?);
            }
            Data::Search(v)
        }
        b"FLAGS" => {
            c.sp()?;
            Data::Flags(c.flag_list()?)
        }
        b"ENABLED" => {
            let mut v = Vec::new();
            while c.eat(b' ') {
                c.check_items(v.len())?;
                v.push(c.atom()?);
            }
            Data::Enabled(v)
        }
        b"NAMESPACE" => {
            c.sp()?;
            let personal = namespace(c)?;
            c.sp()?;
            let other = namespace(c)?;
            c.sp()?;
            let shared = namespace(c)?;
            Data::Namespace {
                personal,
                other,
                shared,
            }
        }
        b"ID" => {
            c.sp()?;
            Data::Id(id_params(c)?)
        }
        _ => {
            c.pos = start;
            return Err(c.err("response-data"));
        }
    };
    Ok(Response::Data(data))
}

/// `resp-text = ["[" resp-text-code "]" SP] text` (RFC 3501 §9). When the bracket does not
/// start a valid code, the whole is text (the optional part is absent).
pub(crate) fn resp_text(c: &mut Cursor<'_>) -> PResult<(Option<Code>, super::super::core::Text)> {
    if c.peek() == Some(b'[') {
        let save = c.pos();
        c.advance(1);
        if let Ok(code) = resp_text_code(c) {
            if c.eat(b']') && c.eat(b' ') {
                if let Ok(text) = c.text() {
                    return Ok((Some(code), text));
                }
            }
        }
        c.pos = save;
    }
    Ok((None, c.text()?))
}

/// `capability-data = "CAPABILITY" *(SP capability) SP "IMAP4rev1" *(SP capability)`
/// (RFC 3501 §9), after the word CAPABILITY.
fn capability_list(c: &mut Cursor<'_>) -> PResult<Vec<Atom>> {
    let mut v: Vec<Atom> = Vec::new();
    let mut rev1 = false;
    while c.peek() == Some(b' ') && c.peek_at(1) != Some(b']') {
        c.advance(1);
        c.check_items(v.len())?;
        let a = c.atom()?;
        rev1 |= a.eq_ignore_case(b"IMAP4rev1");
        v.push(a);
    }
    if !rev1 {
        return Err(c.err("IMAP4rev1 in capability-data"));
    }
    Ok(v)
}

/// `uid-set` of RFC 4315 §4: ranges without `*`.
fn uid_set(c: &mut Cursor<'_>) -> PResult<SequenceSet> {
    let set = c.sequence_set()?;
    let star = set.items().iter().any(|s| match s {
        Sequence::Single(a) => *a == SeqNumber::Asterisk,
        Sequence::Range(a, b) => *a == SeqNumber::Asterisk || *b == SeqNumber::Asterisk,
    });
    if star {
        return Err(c.err("uid-set (no \"*\", RFC 4315 §4)"));
    }
    Ok(set)
}

/// `resp-text-code` (RFC 3501 §9, RFC 4315 §4, RFC 5530 §4), without the brackets.
fn resp_text_code(c: &mut Cursor<'_>) -> PResult<Code> {
    let start = c.pos();
    let (s, n) = c.take_class(&super::super::chars::ATOM_CHAR);
    // "]" is not an ATOM-CHAR, so the name stops before it.
    let name = c.buf.get(s..s + n).unwrap_or_default();
    if n == 0 {
        return Err(c.err("resp-text-code"));
    }
    let known = known_code(c, name);
    match known {
        Ok(Some(code)) if c.peek() == Some(b']') => return Ok(code),
        _ => c.pos = start + n,
    }
    // atom [SP 1*<any TEXT-CHAR except "]">]
    let name = Atom::unvalidated(c.slice(start, start + n));
    let argument = if c.eat(b' ') {
        let (s, n) = c.take_class(&CODE_TEXT_CHAR);
        if n == 0 {
            return Err(c.err("resp-text-code text"));
        }
        Some(c.slice(s, s + n))
    } else {
        None
    };
    Ok(Code::Other { name, argument })
}

fn known_code(c: &mut Cursor<'_>, name: &[u8]) -> PResult<Option<Code>> {
    for (n, code) in SIMPLE_CODES {
        if name.eq_ignore_ascii_case(n.as_bytes()) {
            return Ok(Some(code.clone()));
        }
    }
    let mut ub = [0u8; 16];
    Ok(Some(match upper(name, &mut ub) {
        b"BADCHARSET" => {
            if c.eat(b' ') {
                Code::BadCharset(c.paren_list(false, |c| c.astring())?)
            } else {
                Code::BadCharset(Vec::new())
            }
        }
        b"CAPABILITY" => Code::Capability(capability_list(c)?),
        b"PERMANENTFLAGS" => {
            c.sp()?;
            Code::PermanentFlags(c.paren_list(true, |c| c.flag_perm())?)
        }
        b"UIDNEXT" => {
            c.sp()?;
            Code::UidNext(c.nz_number()?)
        }
        b"UIDVALIDITY" => {
            c.sp()?;
            Code::UidValidity(c.nz_number()?)
        }
        b"UNSEEN" => {
            c.sp()?;
            Code::Unseen(c.nz_number()?)
        }
        b"APPENDUID" => {
            c.sp()?;
            let uid_validity = c.nz_number()?;
            c.sp()?;
            Code::AppendUid {
                uid_validity,
                uids: uid_set(c)?,
            }
        }
        b"COPYUID" => {
            c.sp()?;
            let uid_validity = c.nz_number()?;
            c.sp()?;
            let source = uid_set(c)?;
            c.sp()?;
            Code::CopyUid {
                uid_validity,
                source,
                destination: uid_set(c)?,
            }
        }
        _ => return Ok(None),
    }))
}

/// `DQUOTE QUOTED-CHAR DQUOTE / nil`: a hierarchy delimiter.
fn delimiter(c: &mut Cursor<'_>) -> PResult<Option<Delimiter>> {
    if c.keyword(b"NIL") {
        return Ok(None);
    }
    c.byte(b'"', "DQUOTE or NIL")?;
    let ch = match c.peek() {
        Some(b'\\') => match c.peek_at(1) {
            Some(q @ (b'"' | b'\\')) => {
                c.advance(1);
                q
            }
            _ => return Err(c.err("quoted-specials")),
        },
        Some(q) if QUOTED_CHAR[q as usize] => q,
        _ => return Err(c.err("QUOTED-CHAR")),
    };
    c.advance(1);
    c.byte(b'"', "DQUOTE")?;
    Ok(Some(Delimiter::new(ch).map_err(|_| c.err("QUOTED-CHAR"))?))
}

/// `mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil) SP mailbox`
/// (RFC 3501 §9); at most one `mbx-list-sflag`.
fn mailbox_list(c: &mut Cursor<'_>) -> PResult<ListData> {
    let attributes = c.paren_list(true, |c| {
        c.byte(b'\\', "\"\\\"")?;
        let name = c.atom_bytes()?;
        MailboxAttribute::from_name(name).map_err(|_| c.err("mbx-list-flag"))
    })?;
    if attributes.iter().filter(|a| a.is_selectability()).count() > 1 {
        return Err(c.err("at most one mbx-list-sflag"));
    }
    c.sp()?;
    let delimiter = delimiter(c)?;
    c.sp()?;
    let mailbox = c.mailbox()?;
    Ok(ListData {
        attributes,
        delimiter,
        mailbox,
    })
}

/// `Namespace = nil / "(" 1*( "(" string SP (<"> QUOTED_CHAR <"> / nil)
/// *(Namespace_Response_Extension) ")" ) ")"` (RFC 2342 §5).
fn namespace(c: &mut Cursor<'_>) -> PResult<Vec<NamespaceDescription>> {
    if c.keyword(b"NIL") {
        return Ok(Vec::new());
    }
    c.byte(b'(', "\"(\" or NIL")?;
    let mut v = Vec::new();
    loop {
        c.check_items(v.len())?;
        c.byte(b'(', "\"(\"")?;
        let prefix = c.string()?;
        c.sp()?;
        let delimiter = delimiter(c)?;
        let mut extensions = Vec::new();
        while c.eat(b' ') {
            c.check_items(extensions.len())?;
            let name = c.string()?;
            c.sp()?;
            let values = c.paren_list(false, |c| c.string())?;
            extensions.push((name, values));
        }
        c.byte(b')', "\")\"")?;
        v.push(NamespaceDescription {
            prefix,
            delimiter,
            extensions,
        });
        if c.eat(b')') {
            return Ok(v);
        }
    }
}

/// `msg-att = "(" (msg-att-dynamic / msg-att-static) *(SP (msg-att-dynamic / msg-att-static))
/// ")"` (RFC 3501 §9).
fn msg_att(c: &mut Cursor<'_>) -> PResult<Vec<MessageDataItem>> {
    c.paren_list(false, msg_att_item)
}

fn msg_att_item(c: &mut Cursor<'_>) -> PResult<MessageDataItem> {
    use MessageDataItem as M;
    let start = c.pos();
    let name = c.fetch_name();
    let mut ub = [0u8; 16];
    let item = match upper(name, &mut ub) {
        b"FLAGS" => {
            c.sp()?;
            M::Flags(c.paren_list(true, |c| c.flag_fetch())?)
        }
        b"ENVELOPE" => {
            c.sp()?;
            M::Envelope(Box::new(envelope(c)?))
        }
        b"INTERNALDATE" => {
            c.sp()?;
            M::InternalDate(c.date_time()?)
        }
        b"RFC822" => {
            c.sp()?;
            M::Rfc822(c.nstring()?)
        }
        b"RFC822.HEADER" => {
            c.sp()?;
            M::Rfc822Header(c.nstring()?)
        }
        b"RFC822.TEXT" => {
            c.sp()?;
            M::Rfc822Text(c.nstring()?)
        }
        b"RFC822.SIZE" => {
            c.sp()?;
            M::Rfc822Size(c.number()?)
        }
        b"BODYSTRUCTURE" => {
            c.sp()?;
            M::BodyStructure(body(c, 1)?)
        }
        b"BODY" if c.peek() == Some(b'[') => {
            let section = section(c)?;
            let origin = if c.eat(b'<') {
                let o = c.number()?;
                c.byte(b'>', "\">\"")?;
                Some(o)
            } else {
                None
            };
            c.sp()?;
            M::BodySection {
                section,
                origin,
                data: c.nstring()?,
            }
        }
        b"BODY" => {
            c.sp()?;
            M::Body(body(c, 1)?)
        }
        b"UID" => {
            c.sp()?;
            M::Uid(c.nz_number()?)
        }
        _ => {
            c.pos = start;
            return Err(c.err("msg-att"));
        }
    };
    Ok(item)
}

/// `envelope` (RFC 3501 §9).
pub(crate) fn envelope(c: &mut Cursor<'_>) -> PResult<Envelope> {
    c.byte(b'(', "\"(\"")?;
    let date = c.nstring()?;
    c.sp()?;
    let subject = c.nstring()?;
    let mut lists: [Vec<Address>; 6] = Default::default();
    for l in lists.iter_mut() {
        c.sp()?;
        *l = address_list(c)?;
    }
    c.sp()?;
    let in_reply_to = c.nstring()?;
    c.sp()?;
    let message_id = c.nstring()?;
    c.byte(b')', "\")\"")?;
    let [from, sender, reply_to, to, cc, bcc] = lists;
    Ok(Envelope {
        date,
        subject,
        from,
        sender,
        reply_to,
        to,
        cc,
        bcc,
        in_reply_to,
        message_id,
    })
}

/// `"(" 1*address ")" / nil` (RFC 3501 §9 `env-from` etc.).
fn address_list(c: &mut Cursor<'_>) -> PResult<Vec<Address>> {
    if c.keyword(b"NIL") {
        return Ok(Vec::new());
    }
    c.byte(b'(', "\"(\" or NIL")?;
    let mut v = Vec::new();
    loop {
        c.check_items(v.len())?;
        v.push(address(c)?);
        if c.eat(b')') {
            return Ok(v);
        }
    }
}

/// `address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")"` (RFC 3501 §9).
fn address(c: &mut Cursor<'_>) -> PResult<Address> {
    c.byte(b'(', "\"(\"")?;
    let name = c.nstring()?;
    c.sp()?;
    let adl = c.nstring()?;
    c.sp()?;
    let mailbox = c.nstring()?;
    c.sp()?;
    let host = c.nstring()?;
    c.byte(b')', "\")\"")?;
    Ok(Address {
        name,
        adl,
        mailbox,
        host,
    })
}

/// `body = "(" (body-type-1part / body-type-mpart) ")"` (RFC 3501 §9); `depth` counts nesting.
pub(crate) fn body(c: &mut Cursor<'_>, depth: usize) -> PResult<BodyStructure> {
    c.check_depth(depth)?;
    c.byte(b'(', "\"(\"")?;
    let b = if c.peek() == Some(b'(') {
        // body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
        let mut bodies = Vec::new();
        while c.peek() == Some(b'(') {
            c.check_items(bodies.len())?;
            bodies.push(body(c, depth + 1)?);
        }
        c.sp()?;
        let subtype = c.string()?;
        let extension = if c.eat(b' ') {
            let params = body_fld_param(c)?;
            Some(MultipartExtension {
                params,
                tail: dsp_tail(c, depth)?,
            })
        } else {
            None
        };
        BodyStructure::Multipart {
            bodies,
            subtype,
            extension,
        }
    } else {
        let media_type = c.string()?;
        c.sp()?;
        let subtype = c.string()?;
        c.sp()?;
        let fields = body_fields(c)?;
        let kind = if media_type.as_bytes().eq_ignore_ascii_case(b"TEXT") {
            c.sp()?;
            BodyKind::Text {
                subtype,
                lines: c.number()?,
            }
        } else if media_type.as_bytes().eq_ignore_ascii_case(b"MESSAGE")
            && subtype.as_bytes().eq_ignore_ascii_case(b"RFC822")
        {
            c.sp()?;
            let envelope = Box::new(envelope(c)?);
            c.sp()?;
            let inner = Box::new(body(c, depth + 1)?);
            c.sp()?;
            BodyKind::Message {
                envelope,
                body: inner,
                lines: c.number()?,
            }
        } else {
            BodyKind::Basic {
                media_type,
                subtype,
            }
        };
        let extension = if c.eat(b' ') {
            let md5 = c.nstring()?;
            Some(SinglePartExtension {
                md5,
                tail: dsp_tail(c, depth)?,
            })
        } else {
            None
        };
        BodyStructure::Single {
            body: Body { fields, kind },
            extension,
        }
    };
    c.byte(b')', "\")\"")?;
    Ok(b)
}

/// `body-fields` (RFC 3501 §9).
fn body_fields(c: &mut Cursor<'_>) -> PResult<BodyFields> {
    let params = body_fld_param(c)?;
    c.sp()?;
    let id = c.nstring()?;
    c.sp()?;
    let description = c.nstring()?;
    c.sp()?;
    let encoding = c.string()?;
    c.sp()?;
    let octets = c.number()?;
    Ok(BodyFields {
        params,
        id,
        description,
        encoding,
        octets,
    })
}

/// `body-fld-param = "(" string SP string *(SP string SP string) ")" / nil` (RFC 3501 §9).
fn body_fld_param(c: &mut Cursor<'_>) -> PResult<Vec<(IString, IString)>> {
    if c.keyword(b"NIL") {
        return Ok(Vec::new());
    }
    c.paren_list(false, |c| {
        let k = c.string()?;
        c.sp()?;
        Ok((k, c.string()?))
    })
}

/// `[SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc *(SP body-extension)]]]`.
fn dsp_tail(c: &mut Cursor<'_>, depth: usize) -> PResult<Option<DispositionTail>> {
    if !c.eat(b' ') {
        return Ok(None);
    }
    // body-fld-dsp = "(" string SP body-fld-param ")" / nil
    let disposition = if c.keyword(b"NIL") {
        None
    } else {
        c.byte(b'(', "\"(\" or NIL")?;
        let kind = c.string()?;
        c.sp()?;
        let params = body_fld_param(c)?;
        c.byte(b')', "\")\"")?;
        Some(Disposition { kind, params })
    };
    let tail = if c.eat(b' ') {
        // body-fld-lang = nstring / "(" string *(SP string) ")"
        let languages = if c.peek() == Some(b'(') {
            c.paren_list(false, |c| c.string())?
        } else {
            c.nstring()?.into_iter().collect()
        };
        let tail = if c.eat(b' ') {
            let location = c.nstring()?;
            let mut extensions = Vec::new();
            while c.eat(b' ') {
                c.check_items(extensions.len())?;
                extensions.push(body_extension(c, depth + 1)?);
            }
            Some(LocationTail {
                location,
                extensions,
            })
        } else {
            None
        };
        Some(LanguageTail { languages, tail })
    } else {
        None
    };
    Ok(Some(DispositionTail { disposition, tail }))
}

/// `body-extension = nstring / number / "(" body-extension *(SP body-extension) ")"`.
fn body_extension(c: &mut Cursor<'_>, depth: usize) -> PResult<BodyExtension> {
    c.check_depth(depth)?;
    match c.peek() {
        Some(b'(') => Ok(BodyExtension::List(
            c.paren_list(false, |c| body_extension(c, depth + 1))?,
        )),
        Some(b'0'..=b'9') => Ok(BodyExtension::Number(c.number()?)),
        _ => Ok(BodyExtension::NString(c.nstring()?)),
    }
}
