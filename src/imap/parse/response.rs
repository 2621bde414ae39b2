//! `greeting`, `response` and `continue-req` (RFC 3501 §7, §9), with response codes, mailbox
//! data, FETCH message data, ENVELOPE and BODYSTRUCTURE, and the NAMESPACE (RFC 2342), ENABLED
//! (RFC 5161) and ID (RFC 2971) responses.

use std::num::NonZeroU32;

use bytes::Bytes;
use nom::Parser;
use nom::combinator::map;
use nom::sequence::{preceded, terminated};

use super::super::body::{
    Body, BodyExtension, BodyFields, BodyKind, BodyStructure, Disposition, DispositionTail,
    LanguageTail, LocationTail, MultipartExtension, SinglePartExtension,
};
use super::super::chars::{ATOM_CHAR, BASE64_CHAR, CODE_TEXT_CHAR, QUOTED_CHAR};
use super::super::core::{Atom, IString, Text};
use super::super::envelope::{Address, Envelope};
use super::super::fetch::MessageDataItem;
use super::super::flag::MailboxAttribute;
use super::super::response::{
    Code, Continue, Data, Delimiter, Greeting, GreetingKind, ListData, NamespaceDescription,
    Response, SIMPLE_CODES, StatusItem, StatusKind, StatusResponse,
};
use super::super::sequence::{SeqNumber, Sequence, SequenceSet};
use super::command::{fetch_name, id_params, section, status_att};
use super::core::{
    astring, atom, atom_bytes, base64, date_time, flag_fetch, flag_list, flag_perm, mailbox, nil,
    nstring, number, nz_number, sequence_set, string, tag, text,
};
use super::{
    Error, PResult, Span, byte, check_depth, check_items, crlf, end_of_input, many_sp, paren_list,
    sp, take_class1, upper,
};

/// `greeting = "*" SP (resp-cond-auth / resp-cond-bye) CRLF`;
/// `resp-cond-auth = ("OK" / "PREAUTH") SP resp-text`; `resp-cond-bye = "BYE" SP resp-text`
/// (RFC 3501 §9).
pub(crate) fn greeting(i: Span<'_>) -> PResult<'_, Greeting> {
    let (i, ()) = byte(b'*', "\"*\"")(i)?;
    let (i, ()) = sp(i)?;
    let (i, name) = atom_bytes(i)?;
    let mut ub = [0u8; 16];
    let kind = match upper(name.fragment(), &mut ub) {
        b"OK" => GreetingKind::Ok,
        b"PREAUTH" => GreetingKind::PreAuth,
        b"BYE" => GreetingKind::Bye,
        _ => return Err(Error::syntax(i, "OK, PREAUTH or BYE")),
    };
    let (i, (code, text)) = terminated(preceded(sp, resp_text), (crlf, end_of_input)).parse(i)?;
    Ok((i, Greeting { kind, code, text }))
}

/// `response = *(continue-req / response-data) response-done` (RFC 3501 §9), one at a time:
/// `continue-req / response-data / response-tagged / response-fatal`.
pub(crate) fn response(i: Span<'_>) -> PResult<'_, Response> {
    let rule = match i.first() {
        Some(b'+') => map(continue_req, Response::Continue).parse(i),
        Some(b'*') => preceded((byte(b'*', "\"*\""), sp), response_data).parse(i),
        _ => response_tagged(i),
    };
    let (i, r) = rule?;
    let (i, _) = (crlf, end_of_input).parse(i)?;
    Ok((i, r))
}

/// `response-tagged = tag SP resp-cond-state CRLF`;
/// `resp-cond-state = ("OK" / "NO" / "BAD") SP resp-text` (RFC 3501 §9), without the CRLF.
fn response_tagged(i: Span<'_>) -> PResult<'_, Response> {
    let (i, tag) = tag(i)?;
    let (i, ()) = sp(i)?;
    let (i, name) = atom_bytes(i)?;
    let mut ub = [0u8; 16];
    let kind = match upper(name.fragment(), &mut ub) {
        b"OK" => StatusKind::Ok,
        b"NO" => StatusKind::No,
        b"BAD" => StatusKind::Bad,
        _ => return Err(Error::syntax(i, "OK, NO or BAD (resp-cond-state)")),
    };
    let (i, (code, text)) = preceded(sp, resp_text).parse(i)?;
    Ok((
        i,
        Response::Status(StatusResponse {
            tag: Some(tag),
            kind,
            code,
            text,
        }),
    ))
}

/// `continue-req = "+" SP (resp-text / base64) CRLF` (RFC 3501 §9), without the CRLF.
///
/// `text` needs at least one character, so an empty line is `base64`. Otherwise the text is
/// taken as base64 when it is valid padded base64 (length a multiple of 4) without a code;
/// a session in an AUTHENTICATE exchange knows the difference and can re-read `Text`.
pub(crate) fn continue_req(i: Span<'_>) -> PResult<'_, Continue> {
    let (i, ()) = byte(b'+', "\"+\"")(i)?;
    let (i, ()) = sp(i)?;
    let rest = i.fragment();
    let line = rest.strip_suffix(b"\r\n").unwrap_or(rest);
    if line.is_empty() {
        return Ok((i, Continue::Base64(Bytes::new())));
    }
    if line.len() % 4 == 0 && looks_like_base64(line) {
        if let Ok((rest, b)) = base64(i) {
            return Ok((rest, Continue::Base64(b)));
        }
    }
    map(resp_text, |(code, text)| Continue::Text { code, text }).parse(i)
}

/// `1*base64-char` with at most two `=` at the end.
fn looks_like_base64(s: &[u8]) -> bool {
    let body = s
        .strip_suffix(b"==")
        .or_else(|| s.strip_suffix(b"="))
        .unwrap_or(s);
    body.iter().all(|&b| BASE64_CHAR[b as usize])
}

/// `response-data = "*" SP (resp-cond-state / resp-cond-bye / mailbox-data / message-data /
/// capability-data) CRLF` (RFC 3501 §9), after the `"*" SP` and without the CRLF; with the
/// ENABLED (RFC 5161 §4), NAMESPACE (RFC 2342 §5) and ID (RFC 2971 §3.2) responses.
fn response_data(i: Span<'_>) -> PResult<'_, Response> {
    if matches!(i.first(), Some(b'0'..=b'9')) {
        return map(message_data, Response::Data).parse(i);
    }
    let start = i;
    let (i, name) = atom_bytes(i)?;
    let mut ub = [0u8; 16];
    let upper = upper(name.fragment(), &mut ub);
    let kind = match upper {
        b"OK" => Some(StatusKind::Ok),
        b"NO" => Some(StatusKind::No),
        b"BAD" => Some(StatusKind::Bad),
        b"BYE" => Some(StatusKind::Bye),
        _ => None,
    };
    if let Some(kind) = kind {
        let (i, (code, text)) = preceded(sp, resp_text).parse(i)?;
        return Ok((
            i,
            Response::Status(StatusResponse {
                tag: None,
                kind,
                code,
                text,
            }),
        ));
    }
    let (i, data) = match upper {
        b"CAPABILITY" => map(capability_list, Data::Capability).parse(i)?,
        b"LIST" => map(preceded(sp, mailbox_list), Data::List).parse(i)?,
        b"LSUB" => map(preceded(sp, mailbox_list), Data::Lsub).parse(i)?,
        b"STATUS" => status_data(i)?,
        // "SEARCH" *(SP nz-number)
        b"SEARCH" => map(many_sp(nz_number), Data::Search).parse(i)?,
        b"FLAGS" => map(preceded(sp, flag_list), Data::Flags).parse(i)?,
        // "ENABLED" *(SP capability)
        b"ENABLED" => map(many_sp(atom), Data::Enabled).parse(i)?,
        b"NAMESPACE" => namespace_response(i)?,
        b"ID" => map(preceded(sp, id_params), Data::Id).parse(i)?,
        _ => return Err(Error::syntax(start, "response-data")),
    };
    Ok((i, Response::Data(data)))
}

/// `message-data = nz-number SP ("EXPUNGE" / ("FETCH" SP msg-att))`, and the
/// `number SP "EXISTS"` / `number SP "RECENT"` of `mailbox-data` (RFC 3501 §9).
fn message_data(i: Span<'_>) -> PResult<'_, Data> {
    let (i, n) = number(i)?;
    let (i, ()) = sp(i)?;
    let (i, name) = atom_bytes(i)?;
    let mut ub = [0u8; 16];
    match (upper(name.fragment(), &mut ub), NonZeroU32::new(n)) {
        (b"EXISTS", _) => Ok((i, Data::Exists(n))),
        (b"RECENT", _) => Ok((i, Data::Recent(n))),
        (b"EXPUNGE", Some(n)) => Ok((i, Data::Expunge(n))),
        (b"FETCH", Some(seq)) => {
            map(preceded(sp, msg_att), |items| Data::Fetch { seq, items }).parse(i)
        }
        _ => Err(Error::syntax(
            i,
            "EXISTS, RECENT, EXPUNGE or FETCH (nz-number)",
        )),
    }
}

/// `"STATUS" SP mailbox SP "(" [status-att-list] ")"`;
/// `status-att-list = status-att SP number *(SP status-att SP number)` (RFC 3501 §9), after
/// the name.
fn status_data(i: Span<'_>) -> PResult<'_, Data> {
    let item = |i| {
        map(
            (terminated(status_att, sp), number),
            |(attribute, value)| StatusItem { attribute, value },
        )
        .parse(i)
    };
    map(
        (preceded(sp, mailbox), preceded(sp, paren_list(true, item))),
        |(mailbox, items)| Data::Status { mailbox, items },
    )
    .parse(i)
}

/// `Namespace_Response = "NAMESPACE" SP Namespace SP Namespace SP Namespace` (RFC 2342 §5),
/// after the name.
fn namespace_response(i: Span<'_>) -> PResult<'_, Data> {
    map(
        (
            preceded(sp, namespace),
            preceded(sp, namespace),
            preceded(sp, namespace),
        ),
        |(personal, other, shared)| Data::Namespace {
            personal,
            other,
            shared,
        },
    )
    .parse(i)
}

/// `resp-text = ["[" resp-text-code "]" SP] text` (RFC 3501 §9). When the bracket does not
/// start a valid code, the whole is text (the optional part is absent).
pub(crate) fn resp_text(i: Span<'_>) -> PResult<'_, (Option<Code>, Text)> {
    if i.first() == Some(b'[') {
        let coded = (
            preceded(byte(b'[', "\"[\""), resp_text_code),
            preceded((byte(b']', "\"]\""), sp), text),
        )
            .parse(i);
        if let Ok((rest, (code, text))) = coded {
            return Ok((rest, (Some(code), text)));
        }
    }
    map(text, |t| (None, t)).parse(i)
}

/// `capability-data = "CAPABILITY" *(SP capability) SP "IMAP4rev1" *(SP capability)`;
/// `capability = ("AUTH=" auth-type) / atom` (RFC 3501 §9), after the word CAPABILITY. A
/// space before `]` ends the list (inside a response code).
fn capability_list(mut i: Span<'_>) -> PResult<'_, Vec<Atom>> {
    let mut v: Vec<Atom> = Vec::new();
    let mut rev1 = false;
    while i.first() == Some(b' ') && i.peek_at(1) != Some(b']') {
        let after = i.skip(1);
        check_items(after, v.len())?;
        let (rest, a) = atom(after)?;
        rev1 |= a.eq_ignore_case(b"IMAP4rev1");
        v.push(a);
        i = rest;
    }
    if !rev1 {
        return Err(Error::syntax(i, "IMAP4rev1 in capability-data"));
    }
    Ok((i, v))
}

/// `uid-set = (uniqueid / uid-range) *("," uid-set)` (RFC 4315 §4): a sequence set
/// without `*`.
fn uid_set(i: Span<'_>) -> PResult<'_, SequenceSet> {
    let (rest, set) = sequence_set(i)?;
    let star = set.items().iter().any(|s| match s {
        Sequence::Single(a) => *a == SeqNumber::Asterisk,
        Sequence::Range(a, b) => *a == SeqNumber::Asterisk || *b == SeqNumber::Asterisk,
    });
    if star {
        return Err(Error::syntax(rest, "uid-set (no \"*\", RFC 4315 §4)"));
    }
    Ok((rest, set))
}

/// `resp-text-code = "ALERT" / "BADCHARSET" [SP "(" astring *(SP astring) ")"] /
/// capability-data / "PARSE" / "PERMANENTFLAGS" SP "(" [flag-perm *(SP flag-perm)] ")" /
/// "READ-ONLY" / "READ-WRITE" / "TRYCREATE" / "UIDNEXT" SP nz-number / "UIDVALIDITY" SP
/// nz-number / "UNSEEN" SP nz-number / atom [SP 1*<any TEXT-CHAR except "]">]` (RFC 3501 §9),
/// with `APPENDUID` and `COPYUID` (RFC 4315 §4) and the codes of RFC 5530 §4, without the
/// brackets. A known name whose arguments do not parse is read as `atom [SP text]`.
fn resp_text_code(i: Span<'_>) -> PResult<'_, Code> {
    // "]" is not an ATOM-CHAR, so the name stops before it.
    let (after_name, name) = take_class1(&ATOM_CHAR, "resp-text-code")(i)?;
    if let Ok((rest, Some(code))) = known_code(name)(after_name) {
        if rest.first() == Some(b']') {
            return Ok((rest, code));
        }
    }
    // atom [SP 1*<any TEXT-CHAR except "]">]
    let name = Atom::unvalidated(name.bytes());
    if after_name.first() == Some(b' ') {
        let (rest, argument) =
            take_class1(&CODE_TEXT_CHAR, "resp-text-code text")(after_name.skip(1))?;
        Ok((
            rest,
            Code::Other {
                name,
                argument: Some(argument.bytes()),
            },
        ))
    } else {
        Ok((
            after_name,
            Code::Other {
                name,
                argument: None,
            },
        ))
    }
}

/// The arguments of a response code pobox knows by `name`; `None` for any other name.
fn known_code<'a>(name: Span<'a>) -> impl FnOnce(Span<'a>) -> PResult<'a, Option<Code>> {
    move |i| {
        let name = name.fragment();
        if let Some((_, code)) = SIMPLE_CODES
            .iter()
            .find(|(n, _)| name.eq_ignore_ascii_case(n.as_bytes()))
        {
            return Ok((i, Some(code.clone())));
        }
        let mut ub = [0u8; 16];
        let (i, code) = match upper(name, &mut ub) {
            b"BADCHARSET" => {
                if i.first() == Some(b' ') {
                    map(paren_list(false, astring), Code::BadCharset).parse(i.skip(1))?
                } else {
                    (i, Code::BadCharset(Vec::new()))
                }
            }
            b"CAPABILITY" => map(capability_list, Code::Capability).parse(i)?,
            b"PERMANENTFLAGS" => map(
                preceded(sp, paren_list(true, flag_perm)),
                Code::PermanentFlags,
            )
            .parse(i)?,
            b"UIDNEXT" => map(preceded(sp, nz_number), Code::UidNext).parse(i)?,
            b"UIDVALIDITY" => map(preceded(sp, nz_number), Code::UidValidity).parse(i)?,
            b"UNSEEN" => map(preceded(sp, nz_number), Code::Unseen).parse(i)?,
            // "APPENDUID" SP nz-number SP append-uid
            b"APPENDUID" => map(
                (preceded(sp, nz_number), preceded(sp, uid_set)),
                |(uid_validity, uids)| Code::AppendUid { uid_validity, uids },
            )
            .parse(i)?,
            // "COPYUID" SP nz-number SP uid-set SP uid-set
            b"COPYUID" => map(
                (
                    preceded(sp, nz_number),
                    preceded(sp, uid_set),
                    preceded(sp, uid_set),
                ),
                |(uid_validity, source, destination)| Code::CopyUid {
                    uid_validity,
                    source,
                    destination,
                },
            )
            .parse(i)?,
            _ => return Ok((i, None)),
        };
        Ok((i, Some(code)))
    }
}

/// `DQUOTE QUOTED-CHAR DQUOTE / nil`: a hierarchy delimiter (RFC 3501 §9 `mailbox-list`).
fn delimiter(i: Span<'_>) -> PResult<'_, Option<Delimiter>> {
    if let Ok((rest, ())) = nil(i) {
        return Ok((rest, None));
    }
    let (i, ()) = byte(b'"', "DQUOTE or NIL")(i)?;
    let (i, ch) = match (i.first(), i.peek_at(1)) {
        (Some(b'\\'), Some(q @ (b'"' | b'\\'))) => (i.skip(1), q),
        (Some(b'\\'), _) => return Err(Error::syntax(i, "quoted-specials")),
        (Some(q), _) if QUOTED_CHAR[q as usize] => (i, q),
        _ => return Err(Error::syntax(i, "QUOTED-CHAR")),
    };
    let (i, ()) = byte(b'"', "DQUOTE")(i.skip(1))?;
    match Delimiter::new(ch) {
        Ok(d) => Ok((i, Some(d))),
        Err(_) => Err(Error::syntax(i, "QUOTED-CHAR")),
    }
}

/// `mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil) SP mailbox`
/// (RFC 3501 §9); at most one `mbx-list-sflag`.
fn mailbox_list(i: Span<'_>) -> PResult<'_, ListData> {
    let (i, attributes) = paren_list(true, mbx_list_flag).parse(i)?;
    if attributes.iter().filter(|a| a.is_selectability()).count() > 1 {
        return Err(Error::syntax(i, "at most one mbx-list-sflag"));
    }
    let (i, delimiter) = preceded(sp, delimiter).parse(i)?;
    let (i, mailbox) = preceded(sp, mailbox).parse(i)?;
    Ok((
        i,
        ListData {
            attributes,
            delimiter,
            mailbox,
        },
    ))
}

/// `mbx-list-oflag / mbx-list-sflag`: `"\" atom` (RFC 3501 §9, RFC 5258 §6).
fn mbx_list_flag(i: Span<'_>) -> PResult<'_, MailboxAttribute> {
    let (i, ()) = byte(b'\\', "\"\\\"")(i)?;
    let (rest, name) = atom_bytes(i)?;
    match MailboxAttribute::from_name(name.fragment()) {
        Ok(a) => Ok((rest, a)),
        Err(_) => Err(Error::syntax(rest, "mbx-list-flag")),
    }
}

/// `Namespace = nil / "(" 1*( "(" string SP (<"> QUOTED_CHAR <"> / nil)
/// *(Namespace_Response_Extension) ")" ) ")"` (RFC 2342 §5).
fn namespace(i: Span<'_>) -> PResult<'_, Vec<NamespaceDescription>> {
    if let Ok((rest, ())) = nil(i) {
        return Ok((rest, Vec::new()));
    }
    let (mut i, ()) = byte(b'(', "\"(\" or NIL")(i)?;
    let mut v = Vec::new();
    loop {
        check_items(i, v.len())?;
        let (rest, d) = namespace_description(i)?;
        v.push(d);
        if rest.first() == Some(b')') {
            return Ok((rest.skip(1), v));
        }
        i = rest;
    }
}

/// `"(" string SP (<"> QUOTED_CHAR <"> / nil) *(Namespace_Response_Extension) ")"`;
/// `Namespace_Response_Extension = SP string SP "(" string *(SP string) ")"` (RFC 2342 §5).
fn namespace_description(i: Span<'_>) -> PResult<'_, NamespaceDescription> {
    let (i, ()) = byte(b'(', "\"(\"")(i)?;
    let (i, prefix) = terminated(string, sp).parse(i)?;
    let (i, delimiter) = delimiter(i)?;
    let extension = |i| (terminated(string, sp), paren_list(false, string)).parse(i);
    let (i, extensions) = many_sp(extension).parse(i)?;
    let (i, ()) = byte(b')', "\")\"")(i)?;
    Ok((
        i,
        NamespaceDescription {
            prefix,
            delimiter,
            extensions,
        },
    ))
}

/// `msg-att = "(" (msg-att-dynamic / msg-att-static) *(SP (msg-att-dynamic / msg-att-static))
/// ")"` (RFC 3501 §9).
fn msg_att(i: Span<'_>) -> PResult<'_, Vec<MessageDataItem>> {
    paren_list(false, msg_att_item).parse(i)
}

/// `msg-att-dynamic = "FLAGS" SP "(" [flag-fetch *(SP flag-fetch)] ")"`;
/// `msg-att-static = "ENVELOPE" SP envelope / "INTERNALDATE" SP date-time / "RFC822" [".HEADER"
/// / ".TEXT"] SP nstring / "RFC822.SIZE" SP number / "BODY" ["STRUCTURE"] SP body / "BODY"
/// section ["<" number ">"] SP nstring / "UID" SP uniqueid` (RFC 3501 §9).
fn msg_att_item(i: Span<'_>) -> PResult<'_, MessageDataItem> {
    use MessageDataItem as M;
    let start = i;
    let (i, name) = fetch_name(i)?;
    let mut ub = [0u8; 16];
    match upper(name.fragment(), &mut ub) {
        b"FLAGS" => map(preceded(sp, paren_list(true, flag_fetch)), M::Flags).parse(i),
        b"ENVELOPE" => map(preceded(sp, envelope), |e| M::Envelope(Box::new(e))).parse(i),
        b"INTERNALDATE" => map(preceded(sp, date_time), M::InternalDate).parse(i),
        b"RFC822" => map(preceded(sp, nstring), M::Rfc822).parse(i),
        b"RFC822.HEADER" => map(preceded(sp, nstring), M::Rfc822Header).parse(i),
        b"RFC822.TEXT" => map(preceded(sp, nstring), M::Rfc822Text).parse(i),
        b"RFC822.SIZE" => map(preceded(sp, number), M::Rfc822Size).parse(i),
        b"BODYSTRUCTURE" => map(preceded(sp, |i| body(i, 1)), M::BodyStructure).parse(i),
        b"BODY" if i.first() == Some(b'[') => {
            let (i, section) = section(i)?;
            let (i, origin) = if i.first() == Some(b'<') {
                let (i, o) = preceded(byte(b'<', "\"<\""), number).parse(i)?;
                let (i, ()) = byte(b'>', "\">\"")(i)?;
                (i, Some(o))
            } else {
                (i, None)
            };
            let (i, data) = preceded(sp, nstring).parse(i)?;
            Ok((
                i,
                M::BodySection {
                    section,
                    origin,
                    data,
                },
            ))
        }
        b"BODY" => map(preceded(sp, |i| body(i, 1)), M::Body).parse(i),
        b"UID" => map(preceded(sp, nz_number), M::Uid).parse(i),
        _ => Err(Error::syntax(start, "msg-att")),
    }
}

/// `envelope = "(" env-date SP env-subject SP env-from SP env-sender SP env-reply-to SP
/// env-to SP env-cc SP env-bcc SP env-in-reply-to SP env-message-id ")"` (RFC 3501 §9).
pub(crate) fn envelope(i: Span<'_>) -> PResult<'_, Envelope> {
    let (i, ()) = byte(b'(', "\"(\"")(i)?;
    let (i, date) = nstring(i)?;
    let (mut i, subject) = preceded(sp, nstring).parse(i)?;
    let mut lists: [Vec<Address>; 6] = Default::default();
    for l in lists.iter_mut() {
        (i, *l) = preceded(sp, address_list).parse(i)?;
    }
    let (i, in_reply_to) = preceded(sp, nstring).parse(i)?;
    let (i, message_id) = preceded(sp, nstring).parse(i)?;
    let (i, ()) = byte(b')', "\")\"")(i)?;
    let [from, sender, reply_to, to, cc, bcc] = lists;
    Ok((
        i,
        Envelope {
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
        },
    ))
}

/// `env-from = "(" 1*address ")" / nil`, and the same for the other address fields
/// (RFC 3501 §9).
fn address_list(i: Span<'_>) -> PResult<'_, Vec<Address>> {
    if let Ok((rest, ())) = nil(i) {
        return Ok((rest, Vec::new()));
    }
    let (mut i, ()) = byte(b'(', "\"(\" or NIL")(i)?;
    let mut v = Vec::new();
    loop {
        check_items(i, v.len())?;
        let (rest, a) = address(i)?;
        v.push(a);
        if rest.first() == Some(b')') {
            return Ok((rest.skip(1), v));
        }
        i = rest;
    }
}

/// `address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")"` (RFC 3501 §9).
fn address(i: Span<'_>) -> PResult<'_, Address> {
    let (i, ()) = byte(b'(', "\"(\"")(i)?;
    let (i, name) = nstring(i)?;
    let (i, adl) = preceded(sp, nstring).parse(i)?;
    let (i, mailbox) = preceded(sp, nstring).parse(i)?;
    let (i, host) = preceded(sp, nstring).parse(i)?;
    let (i, ()) = byte(b')', "\")\"")(i)?;
    Ok((
        i,
        Address {
            name,
            adl,
            mailbox,
            host,
        },
    ))
}

/// `body = "(" (body-type-1part / body-type-mpart) ")"` (RFC 3501 §9); `depth` counts nesting.
pub(crate) fn body(i: Span<'_>, depth: usize) -> PResult<'_, BodyStructure> {
    check_depth(i, depth)?;
    let (i, ()) = byte(b'(', "\"(\"")(i)?;
    let (i, b) = if i.first() == Some(b'(') {
        body_type_mpart(i, depth)?
    } else {
        body_type_1part(i, depth)?
    };
    let (i, ()) = byte(b')', "\")\"")(i)?;
    Ok((i, b))
}

/// `body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]`;
/// `body-ext-mpart = body-fld-param [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc
/// *(SP body-extension)]]]` (RFC 3501 §9).
fn body_type_mpart(mut i: Span<'_>, depth: usize) -> PResult<'_, BodyStructure> {
    let mut bodies = Vec::new();
    while i.first() == Some(b'(') {
        check_items(i, bodies.len())?;
        let (rest, b) = body(i, depth + 1)?;
        bodies.push(b);
        i = rest;
    }
    let (i, subtype) = preceded(sp, string).parse(i)?;
    let (i, extension) = if i.first() == Some(b' ') {
        let (i, params) = body_fld_param(i.skip(1))?;
        let (i, tail) = dsp_tail(i, depth)?;
        (i, Some(MultipartExtension { params, tail }))
    } else {
        (i, None)
    };
    Ok((
        i,
        BodyStructure::Multipart {
            bodies,
            subtype,
            extension,
        },
    ))
}

/// `body-type-1part = (body-type-basic / body-type-msg / body-type-text) [SP body-ext-1part]`;
/// `body-type-basic = media-basic SP body-fields`; `body-type-msg = media-message SP
/// body-fields SP envelope SP body SP body-fld-lines`; `body-type-text = media-text SP
/// body-fields SP body-fld-lines`; `body-ext-1part = body-fld-md5 [SP body-fld-dsp [SP
/// body-fld-lang [SP body-fld-loc *(SP body-extension)]]]` (RFC 3501 §9).
fn body_type_1part(i: Span<'_>, depth: usize) -> PResult<'_, BodyStructure> {
    let (i, media_type) = string(i)?;
    let (i, subtype) = preceded(sp, string).parse(i)?;
    let (i, fields) = preceded(sp, body_fields).parse(i)?;
    let (i, kind) = if media_type.as_bytes().eq_ignore_ascii_case(b"TEXT") {
        let (i, lines) = preceded(sp, number).parse(i)?;
        (i, BodyKind::Text { subtype, lines })
    } else if media_type.as_bytes().eq_ignore_ascii_case(b"MESSAGE")
        && subtype.as_bytes().eq_ignore_ascii_case(b"RFC822")
    {
        let (i, envelope) = preceded(sp, envelope).parse(i)?;
        let (i, inner) = preceded(sp, |i| body(i, depth + 1)).parse(i)?;
        let (i, lines) = preceded(sp, number).parse(i)?;
        (
            i,
            BodyKind::Message {
                envelope: Box::new(envelope),
                body: Box::new(inner),
                lines,
            },
        )
    } else {
        (
            i,
            BodyKind::Basic {
                media_type,
                subtype,
            },
        )
    };
    let (i, extension) = if i.first() == Some(b' ') {
        let (i, md5) = nstring(i.skip(1))?;
        let (i, tail) = dsp_tail(i, depth)?;
        (i, Some(SinglePartExtension { md5, tail }))
    } else {
        (i, None)
    };
    Ok((
        i,
        BodyStructure::Single {
            body: Body { fields, kind },
            extension,
        },
    ))
}

/// `body-fields = body-fld-param SP body-fld-id SP body-fld-desc SP body-fld-enc SP
/// body-fld-octets` (RFC 3501 §9).
fn body_fields(i: Span<'_>) -> PResult<'_, BodyFields> {
    map(
        (
            body_fld_param,
            preceded(sp, nstring),
            preceded(sp, nstring),
            preceded(sp, string),
            preceded(sp, number),
        ),
        |(params, id, description, encoding, octets)| BodyFields {
            params,
            id,
            description,
            encoding,
            octets,
        },
    )
    .parse(i)
}

/// `body-fld-param = "(" string SP string *(SP string SP string) ")" / nil` (RFC 3501 §9).
fn body_fld_param(i: Span<'_>) -> PResult<'_, Vec<(IString, IString)>> {
    if let Ok((rest, ())) = nil(i) {
        return Ok((rest, Vec::new()));
    }
    paren_list(false, |i| (terminated(string, sp), string).parse(i)).parse(i)
}

/// `[SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc *(SP body-extension)]]]`
/// (RFC 3501 §9).
fn dsp_tail(i: Span<'_>, depth: usize) -> PResult<'_, Option<DispositionTail>> {
    if i.first() != Some(b' ') {
        return Ok((i, None));
    }
    let (i, disposition) = body_fld_dsp(i.skip(1))?;
    let (i, tail) = if i.first() == Some(b' ') {
        let (i, languages) = body_fld_lang(i.skip(1))?;
        let (i, tail) = if i.first() == Some(b' ') {
            // body-fld-loc = nstring
            let (i, location) = nstring(i.skip(1))?;
            let (i, extensions) = many_sp(|i| body_extension(i, depth + 1)).parse(i)?;
            (
                i,
                Some(LocationTail {
                    location,
                    extensions,
                }),
            )
        } else {
            (i, None)
        };
        (i, Some(LanguageTail { languages, tail }))
    } else {
        (i, None)
    };
    Ok((i, Some(DispositionTail { disposition, tail })))
}

/// `body-fld-dsp = "(" string SP body-fld-param ")" / nil` (RFC 3501 §9).
fn body_fld_dsp(i: Span<'_>) -> PResult<'_, Option<Disposition>> {
    if let Ok((rest, ())) = nil(i) {
        return Ok((rest, None));
    }
    let (i, ()) = byte(b'(', "\"(\" or NIL")(i)?;
    let (i, kind) = terminated(string, sp).parse(i)?;
    let (i, params) = body_fld_param(i)?;
    let (i, ()) = byte(b')', "\")\"")(i)?;
    Ok((i, Some(Disposition { kind, params })))
}

/// `body-fld-lang = nstring / "(" string *(SP string) ")"` (RFC 3501 §9).
fn body_fld_lang(i: Span<'_>) -> PResult<'_, Vec<IString>> {
    if i.first() == Some(b'(') {
        paren_list(false, string).parse(i)
    } else {
        map(nstring, |s| s.into_iter().collect()).parse(i)
    }
}

/// `body-extension = nstring / number / "(" body-extension *(SP body-extension) ")"`
/// (RFC 3501 §9).
fn body_extension(i: Span<'_>, depth: usize) -> PResult<'_, BodyExtension> {
    check_depth(i, depth)?;
    match i.first() {
        Some(b'(') => map(
            paren_list(false, |i| body_extension(i, depth + 1)),
            BodyExtension::List,
        )
        .parse(i),
        Some(b'0'..=b'9') => map(number, BodyExtension::Number).parse(i),
        _ => map(nstring, BodyExtension::NString).parse(i),
    }
}
