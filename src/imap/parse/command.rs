//! `command` (RFC 3501 §6, §9) and its arguments: search keys, fetch attributes, sections,
//! store flags; plus the extension commands listed in [`CommandBody`].

use std::num::NonZeroU32;

use nom::Parser;
use nom::combinator::{map, opt};
use nom::sequence::{preceded, terminated};

use super::super::command::{
    AppendHead, Command, CommandBody, ExtensionArguments, StatusAttribute, StoreKind,
};
use super::super::core::{Atom, IString, NString};
use super::super::datetime::DateTime;
use super::super::fetch::{FetchAttribute, FetchItems, Partial, Section, SectionText};
use super::super::flag::{Flag, MailboxAttribute};
use super::super::mailbox::Mailbox;
use super::super::search::SearchKey;
use super::super::sequence::SequenceSet;
use super::core::{
    astring, atom, atom_bytes, base64, date, date_time, flag, flag_list, list_mailbox,
    literal_announcement, literal_any, mailbox, nil, nstring, number, nz_number, sequence_set,
    string, tag,
};
use super::{
    Error, PResult, Span, byte, caseless, check_depth, check_items, crlf, end_of_input, is,
    keyword, many_sp, paren_list, sp, upper,
};
use crate::Secret;

/// `command = tag SP (command-any / command-auth / command-nonauth / command-select) CRLF`
/// (RFC 3501 §9). The whole input must be one command.
pub(crate) fn command(i: Span<'_>) -> PResult<'_, Command> {
    let (i, tag) = tag(i)?;
    let (i, ()) = sp(i)?;
    let (i, body) = command_body(i)?;
    let (i, ()) = crlf(i)?;
    let (i, ()) = end_of_input(i)?;
    Ok((i, Command { tag, body }))
}

/// `command-any / command-auth / command-nonauth / command-select` (RFC 3501 §9) and the
/// extension commands: the command name, then its arguments.
fn command_body(i: Span<'_>) -> PResult<'_, CommandBody> {
    use CommandBody as C;
    let start = i;
    let (i, name) = atom_bytes(i)?;
    let mut ub = [0u8; 16];
    match upper(name.fragment(), &mut ub) {
        b"CAPABILITY" => Ok((i, C::Capability)),
        b"NOOP" => Ok((i, C::Noop)),
        b"LOGOUT" => Ok((i, C::Logout)),
        b"STARTTLS" => Ok((i, C::StartTls)),
        b"AUTHENTICATE" => authenticate(i),
        b"LOGIN" => login(i),
        b"SELECT" => sp_mailbox(i).map(|(i, m)| (i, C::Select(m))),
        b"EXAMINE" => sp_mailbox(i).map(|(i, m)| (i, C::Examine(m))),
        b"CREATE" => create(i),
        b"DELETE" => sp_mailbox(i).map(|(i, m)| (i, C::Delete(m))),
        b"RENAME" => map((sp_mailbox, sp_mailbox), |(from, to)| C::Rename {
            from,
            to,
        })
        .parse(i),
        b"SUBSCRIBE" => sp_mailbox(i).map(|(i, m)| (i, C::Subscribe(m))),
        b"UNSUBSCRIBE" => sp_mailbox(i).map(|(i, m)| (i, C::Unsubscribe(m))),
        b"LSUB" => map(
            (sp_mailbox, preceded(sp, list_mailbox)),
            |(reference, pattern)| C::Lsub { reference, pattern },
        )
        .parse(i),
        b"LIST" => list(i),
        b"STATUS" => status(i),
        b"APPEND" => append(i),
        b"CHECK" => Ok((i, C::Check)),
        b"CLOSE" => Ok((i, C::Close)),
        b"EXPUNGE" => Ok((i, C::Expunge)),
        b"SEARCH" => search(false)(i),
        b"FETCH" => fetch(false)(i),
        b"STORE" => store(false)(i),
        b"COPY" => copy(false)(i),
        b"MOVE" => r#move(false)(i),
        b"UID" => uid(i),
        b"IDLE" => Ok((i, C::Idle)),
        b"UNSELECT" => Ok((i, C::Unselect)),
        b"NAMESPACE" => Ok((i, C::Namespace)),
        b"ENABLE" => enable(i),
        b"ID" => map(preceded(sp, id_params), C::Id).parse(i),
        _ if name.len() > 1 && name.first().is_some_and(|b| b.eq_ignore_ascii_case(&b'X')) => {
            x_command(name, i)
        }
        _ => Err(Error::syntax(start, "command name")),
    }
}

/// `login = "LOGIN" SP userid SP password`; `userid = astring`; `password = astring`
/// (RFC 3501 §9), after the name.
fn login(i: Span<'_>) -> PResult<'_, CommandBody> {
    let (i, ()) = sp(i)?;
    let (i, username) = astring(i)?;
    let (i, ()) = sp(i)?;
    let (i, password) = astring(i)?;
    Ok((
        i,
        CommandBody::Login {
            username,
            password: Secret::new(password),
        },
    ))
}

/// `create = "CREATE" SP mailbox [create-params]`; `create-params = SP "(" create-param
/// *(SP create-param) ")"` (RFC 4466 §2.2) with `create-param = "USE" SP "(" [use-attr
/// *(SP use-attr)] ")"` (RFC 6154 §6), after the name.
fn create(i: Span<'_>) -> PResult<'_, CommandBody> {
    let (i, mailbox) = sp_mailbox(i)?;
    let (i, special_use) = if i.first() == Some(b' ') {
        let (i, ()) = sp(i)?;
        let (i, ()) = byte(b'(', "\"(\"")(i)?;
        let (i, _) = keyword("USE", "USE")(i)?;
        let (i, ()) = sp(i)?;
        let (i, v) = paren_list(true, use_attr).parse(i)?;
        let (i, ()) = byte(b')', "\")\"")(i)?;
        (i, v)
    } else {
        (i, Vec::new())
    };
    Ok((
        i,
        CommandBody::Create {
            mailbox,
            special_use,
        },
    ))
}

/// `use-attr = "\All" / "\Archive" / "\Drafts" / "\Flagged" / "\Junk" / "\Sent" / "\Trash" /
/// use-attr-ext` (RFC 6154 §6).
fn use_attr(i: Span<'_>) -> PResult<'_, MailboxAttribute> {
    let (i, ()) = byte(b'\\', "use-attr")(i)?;
    let (rest, name) = atom_bytes(i)?;
    match MailboxAttribute::from_name(name.fragment()) {
        Ok(a) => Ok((rest, a)),
        Err(_) => Err(Error::syntax(rest, "use-attr")),
    }
}

/// `list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]`
/// (RFC 5258 §6; RFC 3501 §9 without the options), after the name.
fn list(i: Span<'_>) -> PResult<'_, CommandBody> {
    let (i, ()) = sp(i)?;
    // list-select-opts = "(" [list-select-opt *(SP list-select-opt)] ")"
    let (i, selection) = if i.first() == Some(b'(') {
        terminated(paren_list(true, atom), sp).parse(i)?
    } else {
        (i, Vec::new())
    };
    let (i, reference) = mailbox(i)?;
    let (i, pattern) = preceded(sp, list_mailbox).parse(i)?;
    // list-return-opts = "RETURN" SP "(" [return-option *(SP return-option)] ")"
    let (i, return_options) = match caseless(" RETURN ")(i) {
        Ok((i, _)) => paren_list(true, atom).parse(i)?,
        Err(_) => (i, Vec::new()),
    };
    Ok((
        i,
        CommandBody::List {
            reference,
            pattern,
            selection,
            return_options,
        },
    ))
}

/// `status = "STATUS" SP mailbox SP "(" status-att *(SP status-att) ")"` (RFC 3501 §9),
/// after the name.
fn status(i: Span<'_>) -> PResult<'_, CommandBody> {
    map(
        (sp_mailbox, preceded(sp, paren_list(false, status_att))),
        |(mailbox, items)| CommandBody::Status { mailbox, items },
    )
    .parse(i)
}

/// `append = "APPEND" SP mailbox [SP flag-list] [SP date-time] SP literal` (RFC 3501 §9),
/// with `literal8` (RFC 3516 §4.2), after the name.
fn append(i: Span<'_>) -> PResult<'_, CommandBody> {
    let (i, (mailbox, flags, date)) = append_arguments(i)?;
    let (i, message) = literal_any(true)(i)?;
    Ok((
        i,
        CommandBody::Append {
            mailbox,
            flags,
            date,
            message,
        },
    ))
}

/// `SP mailbox SP [flag-list SP] [date-time SP]` of `append` (RFC 3501 §6.3.11, §9): what
/// comes before the message literal.
fn append_arguments(i: Span<'_>) -> PResult<'_, (Mailbox, Vec<Flag>, Option<DateTime>)> {
    let (i, mailbox) = sp_mailbox(i)?;
    let (i, ()) = sp(i)?;
    let (i, flags) = if i.first() == Some(b'(') {
        terminated(flag_list, sp).parse(i)?
    } else {
        (i, Vec::new())
    };
    let (i, date) = if i.first() == Some(b'"') {
        map(terminated(date_time, sp), Some).parse(i)?
    } else {
        (i, None)
    };
    Ok((i, (mailbox, flags, date)))
}

/// `tag SP "APPEND" append-arguments literal-announcement CRLF`: an APPEND command up to the
/// end of the line that announces its message literal, for a server that streams the message
/// instead of framing it whole.
pub(crate) fn append_head(i: Span<'_>) -> PResult<'_, AppendHead> {
    let (i, tag) = tag(i)?;
    let (i, ()) = sp(i)?;
    let (rest, name) = atom_bytes(i)?;
    if !name.fragment().eq_ignore_ascii_case(b"APPEND") {
        return Err(Error::syntax(rest, "APPEND"));
    }
    let (i, (mailbox, flags, date)) = append_arguments(rest)?;
    let (i, binary) = opt(byte(b'~', "\"~\"")).parse(i)?;
    let (i, (length, mode)) = literal_announcement(i)?;
    let (i, ()) = crlf(i)?;
    let (i, ()) = end_of_input(i)?;
    Ok((
        i,
        AppendHead {
            tag,
            mailbox,
            flags,
            date,
            length,
            mode,
            binary: binary.is_some(),
        },
    ))
}

/// `SP mailbox`.
#[inline]
fn sp_mailbox(i: Span<'_>) -> PResult<'_, Mailbox> {
    let (i, ()) = sp(i)?;
    mailbox(i)
}

/// `SP sequence-set SP mailbox` of `copy` and `move`.
fn set_mailbox(i: Span<'_>) -> PResult<'_, (SequenceSet, Mailbox)> {
    let (i, ()) = sp(i)?;
    let (i, set) = sequence_set(i)?;
    let (i, mailbox) = sp_mailbox(i)?;
    Ok((i, (set, mailbox)))
}

/// `copy = "COPY" SP sequence-set SP mailbox` (RFC 3501 §9), after the name.
fn copy(uid: bool) -> impl Fn(Span<'_>) -> PResult<'_, CommandBody> {
    move |i| {
        let (i, (set, mailbox)) = set_mailbox(i)?;
        Ok((i, CommandBody::Copy { set, mailbox, uid }))
    }
}

/// `move = "MOVE" SP sequence-set SP mailbox` (RFC 6851 §4), after the name.
fn r#move(uid: bool) -> impl Fn(Span<'_>) -> PResult<'_, CommandBody> {
    move |i| {
        let (i, (set, mailbox)) = set_mailbox(i)?;
        Ok((i, CommandBody::Move { set, mailbox, uid }))
    }
}

/// `uid = "UID" SP (copy / move / fetch / search / store / uid-expunge)` (RFC 3501 §9,
/// RFC 6851 §4, RFC 4315 §4), after the name.
fn uid(i: Span<'_>) -> PResult<'_, CommandBody> {
    let (i, ()) = sp(i)?;
    let (i, name) = atom_bytes(i)?;
    let mut ub = [0u8; 16];
    match upper(name.fragment(), &mut ub) {
        b"SEARCH" => search(true)(i),
        b"FETCH" => fetch(true)(i),
        b"STORE" => store(true)(i),
        b"COPY" => copy(true)(i),
        b"MOVE" => r#move(true)(i),
        // uid-expunge = "UID" SP "EXPUNGE" SP sequence-set
        b"EXPUNGE" => map(preceded(sp, sequence_set), CommandBody::UidExpunge).parse(i),
        _ => Err(Error::syntax(
            i,
            "COPY, FETCH, SEARCH, STORE, MOVE or EXPUNGE after UID",
        )),
    }
}

/// `enable = "ENABLE" 1*(SP capability)` (RFC 5161 §4), after the name.
fn enable(i: Span<'_>) -> PResult<'_, CommandBody> {
    let (i, caps) = many_sp(atom)(i)?;
    if caps.is_empty() {
        return Err(Error::syntax(i, "SP capability"));
    }
    Ok((i, CommandBody::Enable(caps)))
}

/// `x-command = "X" atom <experimental command arguments>` (RFC 3501 §9): the arguments are
/// the rest of the line, kept as sent, before its terminator (CRLF, or a bare LF).
fn x_command<'a>(name: Span<'a>, i: Span<'a>) -> PResult<'a, CommandBody> {
    let rest = i.fragment();
    let terminator = if rest.ends_with(b"\r\n") { 2 } else { 1 };
    let args_len = rest.len().saturating_sub(terminator);
    Ok((
        i.skip(args_len),
        CommandBody::Extension {
            name: Atom::unvalidated(name.bytes()),
            arguments: ExtensionArguments::unvalidated(i.head(args_len).bytes()),
        },
    ))
}

/// `authenticate = "AUTHENTICATE" SP auth-type [SP (base64 / "=")]`; `auth-type = atom`
/// (RFC 3501 §9, RFC 4959 §7), after the name.
fn authenticate(i: Span<'_>) -> PResult<'_, CommandBody> {
    let (i, mechanism) = preceded(sp, atom).parse(i)?;
    let (i, initial_response) = if i.first() == Some(b' ') {
        let i = i.skip(1);
        if i.first() == Some(b'=') && i.peek_at(1) == Some(b'\r') {
            (i.skip(1), Some(Secret::new(bytes::Bytes::new())))
        } else {
            let (rest, b) = base64(i)?;
            if rest.offset() == i.offset() {
                return Err(Error::syntax(rest, "base64 or \"=\""));
            }
            (rest, Some(Secret::new(b)))
        }
    } else {
        (i, None)
    };
    Ok((
        i,
        CommandBody::Authenticate {
            mechanism,
            initial_response,
        },
    ))
}

/// `base64 CRLF`: a client's line inside an AUTHENTICATE exchange (RFC 3501 §6.2.2; §9
/// `authenticate = "AUTHENTICATE" SP auth-type *(CRLF base64)`), decoded.
pub(crate) fn authenticate_data(i: Span<'_>) -> PResult<'_, bytes::Bytes> {
    terminated(base64, crlf).parse(i)
}

/// `status-att = "MESSAGES" / "RECENT" / "UIDNEXT" / "UIDVALIDITY" / "UNSEEN"`
/// (RFC 3501 §9).
pub(crate) fn status_att(i: Span<'_>) -> PResult<'_, StatusAttribute> {
    let (rest, name) = atom_bytes(i)?;
    let mut ub = [0u8; 16];
    let att = match upper(name.fragment(), &mut ub) {
        b"MESSAGES" => StatusAttribute::Messages,
        b"RECENT" => StatusAttribute::Recent,
        b"UIDNEXT" => StatusAttribute::UidNext,
        b"UIDVALIDITY" => StatusAttribute::UidValidity,
        b"UNSEEN" => StatusAttribute::Unseen,
        _ => return Err(Error::syntax(rest, "status-att")),
    };
    Ok((rest, att))
}

/// `id_params_list ::= "(" #(string SPACE nstring) ")" / nil` (RFC 2971 §4).
pub(crate) fn id_params(i: Span<'_>) -> PResult<'_, Option<Vec<(IString, NString)>>> {
    if let Ok((rest, ())) = nil(i) {
        return Ok((rest, None));
    }
    map(
        paren_list(true, |i| (terminated(string, sp), nstring).parse(i)),
        Some,
    )
    .parse(i)
}

/// `search = "SEARCH" [SP "CHARSET" SP astring] 1*(SP search-key)` (RFC 3501 §9), after the
/// name.
fn search(uid: bool) -> impl Fn(Span<'_>) -> PResult<'_, CommandBody> {
    move |i| {
        let (i, ()) = sp(i)?;
        let (i, charset) = match caseless("CHARSET ")(i) {
            Ok((i, _)) => map(terminated(astring, sp), Some).parse(i)?,
            Err(_) => (i, None),
        };
        let (i, first) = search_key(i, 1)?;
        let (i, criteria) = sp_list1(first, |i| search_key(i, 1))(i)?;
        Ok((
            i,
            CommandBody::Search {
                charset,
                criteria,
                uid,
            },
        ))
    }
}

/// `item *(SP item)` once the first `item` was read: as many `SP item` as follow, at most
/// [`Limits::max_list_items`](super::super::Limits::max_list_items) items in all.
fn sp_list1<'a, T>(
    first: T,
    mut item: impl FnMut(Span<'a>) -> PResult<'a, T>,
) -> impl FnOnce(Span<'a>) -> PResult<'a, Vec<T>> {
    move |mut i: Span<'a>| {
        let mut v = vec![first];
        while i.first() == Some(b' ') {
            let after = i.skip(1);
            check_items(after, v.len())?;
            let (rest, x) = item(after)?;
            v.push(x);
            i = rest;
        }
        Ok((i, v))
    }
}

/// `search-key` (RFC 3501 §9); `depth` counts NOT, OR and parentheses.
pub(crate) fn search_key(i: Span<'_>, depth: usize) -> PResult<'_, SearchKey> {
    use SearchKey as K;
    check_depth(i, depth)?;
    match i.first() {
        // "(" search-key *(SP search-key) ")"
        Some(b'(') => {
            return paren_list(false, |i| search_key(i, depth + 1))(i).map(|(i, v)| (i, K::And(v)));
        }
        // sequence-set
        Some(b'0'..=b'9' | b'*') => {
            return sequence_set(i).map(|(i, s)| (i, K::SequenceSet(s)));
        }
        _ => {}
    }
    let start = i;
    let (i, name) = atom_bytes(i)?;
    let sp_astring = |i| {
        let (i, ()) = sp(i)?;
        astring(i)
    };
    let sp_date = |i| {
        let (i, ()) = sp(i)?;
        date(i)
    };
    let sp_key = |i| {
        let (i, ()) = sp(i)?;
        search_key(i, depth + 1)
    };
    let sp_number = |i| {
        let (i, ()) = sp(i)?;
        number(i)
    };
    let sp_atom = |i| {
        let (i, ()) = sp(i)?;
        atom(i)
    };
    let mut ub = [0u8; 16];
    match upper(name.fragment(), &mut ub) {
        b"ALL" => Ok((i, K::All)),
        b"ANSWERED" => Ok((i, K::Answered)),
        b"BCC" => sp_astring(i).map(|(i, s)| (i, K::Bcc(s))),
        b"BEFORE" => sp_date(i).map(|(i, d)| (i, K::Before(d))),
        b"BODY" => sp_astring(i).map(|(i, s)| (i, K::Body(s))),
        b"CC" => sp_astring(i).map(|(i, s)| (i, K::Cc(s))),
        b"DELETED" => Ok((i, K::Deleted)),
        b"DRAFT" => Ok((i, K::Draft)),
        b"FLAGGED" => Ok((i, K::Flagged)),
        b"FROM" => sp_astring(i).map(|(i, s)| (i, K::From(s))),
        b"HEADER" => {
            let (i, field) = sp_astring(i)?;
            sp_astring(i).map(|(i, value)| (i, K::Header(field, value)))
        }
        b"KEYWORD" => sp_atom(i).map(|(i, a)| (i, K::Keyword(a))),
        b"LARGER" => sp_number(i).map(|(i, n)| (i, K::Larger(n))),
        b"NEW" => Ok((i, K::New)),
        b"NOT" => sp_key(i).map(|(i, k)| (i, K::Not(Box::new(k)))),
        b"OLD" => Ok((i, K::Old)),
        b"ON" => sp_date(i).map(|(i, d)| (i, K::On(d))),
        b"OR" => {
            let (i, a) = sp_key(i)?;
            sp_key(i).map(|(i, b)| (i, K::Or(Box::new(a), Box::new(b))))
        }
        b"RECENT" => Ok((i, K::Recent)),
        b"SEEN" => Ok((i, K::Seen)),
        b"SENTBEFORE" => sp_date(i).map(|(i, d)| (i, K::SentBefore(d))),
        b"SENTON" => sp_date(i).map(|(i, d)| (i, K::SentOn(d))),
        b"SENTSINCE" => sp_date(i).map(|(i, d)| (i, K::SentSince(d))),
        b"SINCE" => sp_date(i).map(|(i, d)| (i, K::Since(d))),
        b"SMALLER" => sp_number(i).map(|(i, n)| (i, K::Smaller(n))),
        b"SUBJECT" => sp_astring(i).map(|(i, s)| (i, K::Subject(s))),
        b"TEXT" => sp_astring(i).map(|(i, s)| (i, K::Text(s))),
        b"TO" => sp_astring(i).map(|(i, s)| (i, K::To(s))),
        b"UID" => {
            let (i, ()) = sp(i)?;
            sequence_set(i).map(|(i, s)| (i, K::Uid(s)))
        }
        b"UNANSWERED" => Ok((i, K::Unanswered)),
        b"UNDELETED" => Ok((i, K::Undeleted)),
        b"UNDRAFT" => Ok((i, K::Undraft)),
        b"UNFLAGGED" => Ok((i, K::Unflagged)),
        b"UNKEYWORD" => sp_atom(i).map(|(i, a)| (i, K::Unkeyword(a))),
        b"UNSEEN" => Ok((i, K::Unseen)),
        _ => Err(Error::syntax(start, "search-key")),
    }
}

/// `fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" / fetch-att /
/// "(" fetch-att *(SP fetch-att) ")")` (RFC 3501 §9), after the name.
fn fetch(uid: bool) -> impl Fn(Span<'_>) -> PResult<'_, CommandBody> {
    move |i| {
        let (i, ()) = sp(i)?;
        let (i, set) = sequence_set(i)?;
        let (i, ()) = sp(i)?;
        let (i, items) = if i.first() == Some(b'(') {
            let (i, v) = paren_list(false, fetch_att)(i)?;
            (i, FetchItems::Attributes(v))
        } else if let Ok((i, _)) = caseless("ALL")(i) {
            (i, FetchItems::All)
        } else if let Ok((i, _)) = caseless("FULL")(i) {
            (i, FetchItems::Full)
        } else if let Ok((i, _)) = caseless("FAST")(i) {
            (i, FetchItems::Fast)
        } else {
            let (i, a) = fetch_att(i)?;
            (i, FetchItems::Attributes(vec![a]))
        };
        Ok((i, CommandBody::Fetch { set, items, uid }))
    }
}

/// The octets of the `fetch-att` and `msg-att` keywords of RFC 3501 §9 (`RFC822.SIZE`,
/// `BODY.PEEK`, ...): letters, digits and "." (ATOM-CHAR would also take "[" and "<").
const FETCH_NAME_CHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_alphanumeric() || b == b'.' as usize;
        b += 1;
    }
    t
};

/// A FETCH item name: `*FETCH_NAME_CHAR` (possibly empty; the caller matches it).
#[inline]
pub(crate) fn fetch_name(i: Span<'_>) -> PResult<'_, Span<'_>> {
    nom::bytes::complete::take_while(is(&FETCH_NAME_CHAR))(i)
}

/// `fetch-att = "ENVELOPE" / "FLAGS" / "INTERNALDATE" / "RFC822" [".HEADER" / ".SIZE" /
/// ".TEXT"] / "BODY" ["STRUCTURE"] / "UID" / "BODY" section ["<" number "." nz-number ">"] /
/// "BODY.PEEK" section ["<" number "." nz-number ">"]` (RFC 3501 §9).
pub(crate) fn fetch_att(i: Span<'_>) -> PResult<'_, FetchAttribute> {
    use FetchAttribute as A;
    let start = i;
    let (i, name) = fetch_name(i)?;
    let mut ub = [0u8; 16];
    match upper(name.fragment(), &mut ub) {
        b"ENVELOPE" => Ok((i, A::Envelope)),
        b"FLAGS" => Ok((i, A::Flags)),
        b"INTERNALDATE" => Ok((i, A::InternalDate)),
        b"RFC822" => Ok((i, A::Rfc822)),
        b"RFC822.HEADER" => Ok((i, A::Rfc822Header)),
        b"RFC822.SIZE" => Ok((i, A::Rfc822Size)),
        b"RFC822.TEXT" => Ok((i, A::Rfc822Text)),
        b"BODYSTRUCTURE" => Ok((i, A::BodyStructure)),
        b"UID" => Ok((i, A::Uid)),
        b"BODY" | b"BODY.PEEK" if i.first() == Some(b'[') => {
            let peek = name.len() == 9;
            let (i, section) = section(i)?;
            let (i, partial) = if i.first() == Some(b'<') {
                let (i, p) = partial(i)?;
                (i, Some(p))
            } else {
                (i, None)
            };
            Ok((
                i,
                A::BodySection {
                    peek,
                    section,
                    partial,
                },
            ))
        }
        b"BODY" => Ok((i, A::Body)),
        _ => Err(Error::syntax(start, "fetch-att")),
    }
}

/// `"<" number "." nz-number ">"`: the partial range of a `fetch-att` (RFC 3501 §9).
fn partial(i: Span<'_>) -> PResult<'_, Partial> {
    let (i, ()) = byte(b'<', "\"<\"")(i)?;
    let (i, origin) = number(i)?;
    let (i, ()) = byte(b'.', "\".\"")(i)?;
    let (i, length) = nz_number(i)?;
    let (i, ()) = byte(b'>', "\">\"")(i)?;
    Ok((i, Partial { origin, length }))
}

/// `section = "[" [section-spec] "]"`; `section-spec = section-msgtext / (section-part
/// ["." section-text])`; `section-part = nz-number *("." nz-number)` (RFC 3501 §9).
pub(crate) fn section(i: Span<'_>) -> PResult<'_, Section> {
    let (mut i, ()) = byte(b'[', "\"[\"")(i)?;
    if i.first() == Some(b']') {
        return Ok((i.skip(1), Section::full()));
    }
    let mut part: Vec<NonZeroU32> = Vec::new();
    while matches!(i.first(), Some(b'1'..=b'9')) {
        check_items(i, part.len())?;
        let (rest, n) = nz_number(i)?;
        part.push(n);
        if rest.first() != Some(b'.') {
            let (rest, ()) = byte(b']', "\"]\"")(rest)?;
            return Ok((rest, Section::from_parts_unchecked(part, None)));
        }
        i = rest.skip(1);
    }
    if !part.is_empty() && i.first() == Some(b'0') {
        return Err(Error::syntax(i, "nz-number"));
    }
    let (i, text) = section_text(!part.is_empty())(i)?;
    let (i, ()) = byte(b']', "\"]\"")(i)?;
    Ok((i, Section::from_parts_unchecked(part, Some(text))))
}

/// `section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list / "TEXT"`;
/// `section-text = section-msgtext / "MIME"` (RFC 3501 §9): `MIME` only after a part.
fn section_text(after_part: bool) -> impl Fn(Span<'_>) -> PResult<'_, SectionText> {
    move |i| {
        let kw = caseless;
        let sp_header_list = |i| {
            let (i, ()) = sp(i)?;
            header_list(i)
        };
        if let Ok((i, _)) = kw("HEADER.FIELDS.NOT")(i) {
            sp_header_list(i).map(|(i, h)| (i, SectionText::HeaderFieldsNot(h)))
        } else if let Ok((i, _)) = kw("HEADER.FIELDS")(i) {
            sp_header_list(i).map(|(i, h)| (i, SectionText::HeaderFields(h)))
        } else if let Ok((i, _)) = kw("HEADER")(i) {
            Ok((i, SectionText::Header))
        } else if let Ok((i, _)) = kw("TEXT")(i) {
            Ok((i, SectionText::Text))
        } else if let (true, Ok((i, _))) = (after_part, kw("MIME")(i)) {
            Ok((i, SectionText::Mime))
        } else {
            Err(Error::syntax(i, "section-text"))
        }
    }
}

/// `header-list = "(" header-fld-name *(SP header-fld-name) ")"`;
/// `header-fld-name = astring` (RFC 3501 §9).
fn header_list(i: Span<'_>) -> PResult<'_, Vec<IString>> {
    paren_list(false, astring)(i)
}

/// `store = "STORE" SP sequence-set SP store-att-flags`;
/// `store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list / (flag *(SP flag)))`
/// (RFC 3501 §9), after the name.
fn store(uid: bool) -> impl Fn(Span<'_>) -> PResult<'_, CommandBody> {
    move |i| {
        let (i, ()) = sp(i)?;
        let (i, set) = sequence_set(i)?;
        let (i, ()) = sp(i)?;
        let (i, kind) = match i.first() {
            Some(b'+') => (i.skip(1), StoreKind::Add),
            Some(b'-') => (i.skip(1), StoreKind::Remove),
            _ => (i, StoreKind::Replace),
        };
        let (i, _) = keyword("FLAGS", "FLAGS")(i)?;
        let (i, silent) = opt(caseless(".SILENT")).parse(i)?;
        let (i, ()) = sp(i)?;
        let (i, flags) = if i.first() == Some(b'(') {
            flag_list(i)?
        } else {
            let (i, first) = flag(i)?;
            sp_list1(first, flag)(i)?
        };
        Ok((
            i,
            CommandBody::Store {
                set,
                kind,
                silent: silent.is_some(),
                flags,
                uid,
            },
        ))
    }
}
