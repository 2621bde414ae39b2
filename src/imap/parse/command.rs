//! `command` (RFC 3501 §6, §9) and its arguments: search keys, fetch attributes, sections,
//! store flags; plus the extension commands listed in [`CommandBody`].

use std::num::NonZeroU32;

use super::super::command::{AppendHead, Command, CommandBody, StatusAttribute, StoreKind};
use super::super::core::LiteralMode;
use super::super::core::{IString, NString};
use super::super::fetch::{FetchAttribute, FetchItems, Partial, Section, SectionText};
use super::super::flag::MailboxAttribute;
use super::super::search::SearchKey;
use super::{Cursor, PResult, upper};
use crate::Secret;

/// `command = tag SP (command-any / command-auth / command-nonauth / command-select) CRLF`
/// (RFC 3501 §9). The whole input must be one command.
pub(crate) fn command(c: &mut Cursor<'_>) -> PResult<Command> {
    let tag = c.tag()?;
    let body = match command_tail(c) {
        Ok(b) => b,
        Err(mut e) => {
            e.tag = Some(tag);
            return Err(e);
        }
    };
    Ok(Command { tag, body })
}

/// `SP (command-any / ...) CRLF` and the end of input.
#[inline]
fn command_tail(c: &mut Cursor<'_>) -> PResult<CommandBody> {
    c.sp()?;
    let body = command_body(c)?;
    c.crlf()?;
    c.end()?;
    Ok(body)
}

fn command_body(c: &mut Cursor<'_>) -> PResult<CommandBody> {
    use CommandBody as C;
    let start = c.pos();
    let name = c.atom_bytes()?;
    let mut ub = [0u8; 16];
    let body = match upper(name, &mut ub) {
        b"CAPABILITY" => C::Capability,
        b"NOOP" => C::Noop,
        b"LOGOUT" => C::Logout,
        b"STARTTLS" => C::StartTls,
        b"AUTHENTICATE" => authenticate(c)?,
        b"LOGIN" => {
            c.sp()?;
            let username = c.astring()?;
            c.sp()?;
            let password = Secret::new(c.astring()?);
            C::Login { username, password }
        }
        b"SELECT" => C::Select(sp_mailbox(c)?),
        b"EXAMINE" => C::Examine(sp_mailbox(c)?),
        b"CREATE" => {
            let mailbox = sp_mailbox(c)?;
            let special_use = if c.peek() == Some(b' ') {
                // RFC 6154 §6: create-param = "USE" SP "(" [use-attr *(SP use-attr)] ")"
                c.sp()?;
                c.byte(b'(', "\"(\"")?;
                c.expect_keyword(b"USE", "USE")?;
                c.sp()?;
                let v = c.paren_list(true, |c| {
                    c.byte(b'\\', "use-attr")?;
                    let name = c.atom_bytes()?;
                    MailboxAttribute::from_name(name).map_err(|_| c.err("use-attr"))
                })?;
                c.byte(b')', "\")\"")?;
                v
            } else {
                Vec::new()
            };
            C::Create {
                mailbox,
                special_use,
            }
        }
        b"DELETE" => C::Delete(sp_mailbox(c)?),
        b"RENAME" => {
            let from = sp_mailbox(c)?;
            let to = sp_mailbox(c)?;
            C::Rename { from, to }
        }
        b"SUBSCRIBE" => C::Subscribe(sp_mailbox(c)?),
        b"UNSUBSCRIBE" => C::Unsubscribe(sp_mailbox(c)?),
        b"LSUB" => {
            let reference = sp_mailbox(c)?;
            c.sp()?;
            let pattern = c.list_mailbox()?;
            C::Lsub { reference, pattern }
        }
        b"LIST" => {
            c.sp()?;
            // RFC 5258 §6: list-select-opts = "(" [list-select-opt *(SP list-select-opt)] ")"
            let selection = if c.peek() == Some(b'(') {
                let v = c.paren_list(true, |c| c.atom())?;
                c.sp()?;
                v
            } else {
                Vec::new()
            };
            let reference = c.mailbox()?;
            c.sp()?;
            let pattern = c.list_mailbox()?;
            // list-return-opts = "RETURN" SP "(" [return-option *(SP return-option)] ")"
            let return_options = if c.keyword(b" RETURN ") {
                c.paren_list(true, |c| c.atom())?
            } else {
                Vec::new()
            };
            C::List {
                reference,
                pattern,
                selection,
                return_options,
            }
        }
        b"STATUS" => {
            let mailbox = sp_mailbox(c)?;
            c.sp()?;
            let items = c.paren_list(false, status_att)?;
            C::Status { mailbox, items }
        }
        b"APPEND" => {
            let (mailbox, flags, date) = append_arguments(c)?;
            let message = c.literal_any(true)?;
            C::Append {
                mailbox,
                flags,
                date,
                message,
            }
        }
        b"CHECK" => C::Check,
        b"CLOSE" => C::Close,
        b"EXPUNGE" => C::Expunge,
        b"SEARCH" => search(c, false)?,
        b"FETCH" => fetch(c, false)?,
        b"STORE" => store(c, false)?,
        b"COPY" => {
            let (set, mailbox) = set_mailbox(c)?;
            C::Copy {
                set,
                mailbox,
                uid: false,
            }
        }
        b"MOVE" => {
            let (set, mailbox) = set_mailbox(c)?;
            C::Move {
                set,
                mailbox,
                uid: false,
            }
        }
        b"UID" => {
            c.sp()?;
            let name = c.atom_bytes()?;
            let mut ub = [0u8; 16];
            match upper(name, &mut ub) {
                b"SEARCH" => search(c, true)?,
                b"FETCH" => fetch(c, true)?,
                b"STORE" => store(c, true)?,
                b"COPY" => {
                    let (set, mailbox) = set_mailbox(c)?;
                    C::Copy {
                        set,
                        mailbox,
                        uid: true,
                    }
                }
                b"MOVE" => {
                    let (set, mailbox) = set_mailbox(c)?;
                    C::Move {
                        set,
                        mailbox,
                        uid: true,
                    }
                }
                b"EXPUNGE" => {
                    c.sp()?;
                    C::UidExpunge(c.sequence_set()?)
                }
                _ => return Err(c.err("COPY, FETCH, SEARCH, STORE, MOVE or EXPUNGE after UID")),
            }
        }
        b"IDLE" => C::Idle,
        b"UNSELECT" => C::Unselect,
        b"NAMESPACE" => C::Namespace,
        b"ENABLE" => {
            let mut caps = Vec::new();
            // enable = "ENABLE" 1*(SP capability)
            while c.eat(b' ') {
                c.check_items(caps.len())?;
                caps.push(c.atom()?);
            }
            if caps.is_empty() {
                return Err(c.err("SP capability"));
            }
            C::Enable(caps)
        }
        b"ID" => {
            c.sp()?;
            C::Id(id_params(c)?)
        }
        _ if name.first().is_some_and(|b| b.eq_ignore_ascii_case(&b'X')) && name.len() > 1 => {
            let name = c.slice(start, start + name.len());
            let rest = c.rest();
            let terminator = if rest.ends_with(b"\r\n") { 2 } else { 1 };
            let args_len = rest.len().saturating_sub(terminator);
            let a = c.pos();
            let arguments = c.slice(a, a + args_len);
            c.advance(args_len);
            C::Extension {
                name: super::super::core::Atom::unvalidated(name),
                arguments: super::super::command::ExtensionArguments::unvalidated(arguments),
            }
        }
        _ => {
            let mut e = c.err("command name");
            e.offset = start;
            return Err(e);
        }
    };
    Ok(body)
}

/// `SP mailbox SP [flag-list SP] [date-time SP]` of `append` (RFC 3501 §6.3.11, §9): what
/// comes before the message literal.
fn append_arguments(
    c: &mut Cursor<'_>,
) -> PResult<(
    super::super::mailbox::Mailbox,
    Vec<super::super::flag::Flag>,
    Option<super::super::datetime::DateTime>,
)> {
    let mailbox = sp_mailbox(c)?;
    c.sp()?;
    let flags = if c.peek() == Some(b'(') {
        let f = c.flag_list()?;
        c.sp()?;
        f
    } else {
        Vec::new()
    };
    let date = if c.peek() == Some(b'"') {
        let d = c.date_time()?;
        c.sp()?;
        Some(d)
    } else {
        None
    };
    Ok((mailbox, flags, date))
}

/// `tag SP "APPEND" append-arguments literal-announcement`: an APPEND command up to the end
/// of the line that announces its message literal, for a server that streams the message
/// instead of framing it whole.
pub(crate) fn append_head(c: &mut Cursor<'_>) -> PResult<AppendHead> {
    let tag = c.tag()?;
    let head = (|| {
        c.sp()?;
        let name = c.atom_bytes()?;
        if !name.eq_ignore_ascii_case(b"APPEND") {
            return Err(c.err("APPEND"));
        }
        let (mailbox, flags, date) = append_arguments(c)?;
        let binary = c.eat(b'~');
        c.byte(b'{', "\"{\"")?;
        let length = c.number()?;
        let mode = if c.eat(b'+') {
            LiteralMode::NonSync
        } else {
            LiteralMode::Sync
        };
        c.byte(b'}', "\"}\"")?;
        c.crlf()?;
        c.end()?;
        Ok((mailbox, flags, date, length, mode, binary))
    })();
    match head {
        Ok((mailbox, flags, date, length, mode, binary)) => Ok(AppendHead {
            tag,
            mailbox,
            flags,
            date,
            length,
            mode,
            binary,
        }),
        Err(mut e) => {
            e.tag = Some(tag);
            Err(e)
        }
    }
}

fn sp_mailbox(c: &mut Cursor<'_>) -> PResult<super::super::mailbox::Mailbox> {
    c.sp()?;
    c.mailbox()
}

fn set_mailbox(
    c: &mut Cursor<'_>,
) -> PResult<(
    super::super::sequence::SequenceSet,
    super::super::mailbox::Mailbox,
)> {
    c.sp()?;
    let set = c.sequence_set()?;
    let mailbox = sp_mailbox(c)?;
    Ok((set, mailbox))
}

/// `authenticate = "AUTHENTICATE" SP auth-type [SP (base64 / "=")]` (RFC 3501 §9, RFC 4959 §7).
fn authenticate(c: &mut Cursor<'_>) -> PResult<CommandBody> {
    c.sp()?;
    let mechanism = c.atom()?;
    let initial_response = if c.eat(b' ') {
        if c.peek() == Some(b'=') && c.peek_at(1) == Some(b'\r') {
            c.advance(1);
            Some(Secret::new(bytes::Bytes::new()))
        } else {
            let start = c.pos();
            let b = c.base64()?;
            if c.pos() == start {
                return Err(c.err("base64 or \"=\""));
            }
            Some(Secret::new(b))
        }
    } else {
        None
    };
    Ok(CommandBody::Authenticate {
        mechanism,
        initial_response,
    })
}

/// `status-att` (RFC 3501 §9).
pub(crate) fn status_att(c: &mut Cursor<'_>) -> PResult<StatusAttribute> {
    let name = c.atom_bytes()?;
    let mut ub = [0u8; 16];
    Ok(match upper(name, &mut ub) {
        b"MESSAGES" => StatusAttribute::Messages,
        b"RECENT" => StatusAttribute::Recent,
        b"UIDNEXT" => StatusAttribute::UidNext,
        b"UIDVALIDITY" => StatusAttribute::UidValidity,
        b"UNSEEN" => StatusAttribute::Unseen,
        _ => return Err(c.err("status-att")),
    })
}

/// `id_params_list ::= "(" #(string SPACE nstring) ")" / nil` (RFC 2971 §4).
pub(crate) fn id_params(c: &mut Cursor<'_>) -> PResult<Option<Vec<(IString, NString)>>> {
    if c.keyword(b"NIL") {
        return Ok(None);
    }
    c.paren_list(true, |c| {
        let k = c.string()?;
        c.sp()?;
        Ok((k, c.nstring()?))
    })
    .map(Some)
}

/// `search = "SEARCH" [SP "CHARSET" SP astring] 1*(SP search-key)` (RFC 3501 §9).
fn search(c: &mut Cursor<'_>, uid: bool) -> PResult<CommandBody> {
    c.sp()?;
    let save = c.pos();
    let charset = if c.keyword(b"CHARSET ") {
        let cs = c.astring()?;
        c.sp()?;
        Some(cs)
    } else {
        c.pos = save;
        None
    };
    let mut criteria = vec![search_key(c, 1)?];
    while c.eat(b' ') {
        c.check_items(criteria.len())?;
        criteria.push(search_key(c, 1)?);
    }
    Ok(CommandBody::Search {
        charset,
        criteria,
        uid,
    })
}

/// `search-key` (RFC 3501 §9); `depth` counts NOT, OR and parentheses.
pub(crate) fn search_key(c: &mut Cursor<'_>, depth: usize) -> PResult<SearchKey> {
    use SearchKey as K;
    c.check_depth(depth)?;
    match c.peek() {
        Some(b'(') => {
            let v = c.paren_list(false, |c| search_key(c, depth + 1))?;
            return Ok(K::And(v));
        }
        Some(b'0'..=b'9' | b'*') => return Ok(K::SequenceSet(c.sequence_set()?)),
        _ => {}
    }
    let start = c.pos();
    let name = c.atom_bytes()?;
    let mut ub = [0u8; 16];
    let arg = |c: &mut Cursor<'_>| -> PResult<IString> {
        c.sp()?;
        c.astring()
    };
    let date = |c: &mut Cursor<'_>| {
        c.sp()?;
        c.date()
    };
    Ok(match upper(name, &mut ub) {
        b"ALL" => K::All,
        b"ANSWERED" => K::Answered,
        b"BCC" => K::Bcc(arg(c)?),
        b"BEFORE" => K::Before(date(c)?),
        b"BODY" => K::Body(arg(c)?),
        b"CC" => K::Cc(arg(c)?),
        b"DELETED" => K::Deleted,
        b"DRAFT" => K::Draft,
        b"FLAGGED" => K::Flagged,
        b"FROM" => K::From(arg(c)?),
        b"HEADER" => {
            let f = arg(c)?;
            K::Header(f, arg(c)?)
        }
        b"KEYWORD" => {
            c.sp()?;
            K::Keyword(c.atom()?)
        }
        b"LARGER" => {
            c.sp()?;
            K::Larger(c.number()?)
        }
        b"NEW" => K::New,
        b"NOT" => {
            c.sp()?;
            K::Not(Box::new(search_key(c, depth + 1)?))
        }
        b"OLD" => K::Old,
        b"ON" => K::On(date(c)?),
        b"OR" => {
            c.sp()?;
            let a = search_key(c, depth + 1)?;
            c.sp()?;
            K::Or(Box::new(a), Box::new(search_key(c, depth + 1)?))
        }
        b"RECENT" => K::Recent,
        b"SEEN" => K::Seen,
        b"SENTBEFORE" => K::SentBefore(date(c)?),
        b"SENTON" => K::SentOn(date(c)?),
        b"SENTSINCE" => K::SentSince(date(c)?),
        b"SINCE" => K::Since(date(c)?),
        b"SMALLER" => {
            c.sp()?;
            K::Smaller(c.number()?)
        }
        b"SUBJECT" => K::Subject(arg(c)?),
        b"TEXT" => K::Text(arg(c)?),
        b"TO" => K::To(arg(c)?),
        b"UID" => {
            c.sp()?;
            K::Uid(c.sequence_set()?)
        }
        b"UNANSWERED" => K::Unanswered,
        b"UNDELETED" => K::Undeleted,
        b"UNDRAFT" => K::Undraft,
        b"UNFLAGGED" => K::Unflagged,
        b"UNKEYWORD" => {
            c.sp()?;
            K::Unkeyword(c.atom()?)
        }
        b"UNSEEN" => K::Unseen,
        _ => {
            c.pos = start;
            return Err(c.err("search-key"));
        }
    })
}

/// `fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" / fetch-att /
/// "(" fetch-att *(SP fetch-att) ")")` (RFC 3501 §9).
fn fetch(c: &mut Cursor<'_>, uid: bool) -> PResult<CommandBody> {
    c.sp()?;
    let set = c.sequence_set()?;
    c.sp()?;
    let items = if c.peek() == Some(b'(') {
        FetchItems::Attributes(c.paren_list(false, fetch_att)?)
    } else if c.keyword(b"ALL") {
        FetchItems::All
    } else if c.keyword(b"FULL") {
        FetchItems::Full
    } else if c.keyword(b"FAST") {
        FetchItems::Fast
    } else {
        FetchItems::Attributes(vec![fetch_att(c)?])
    };
    Ok(CommandBody::Fetch { set, items, uid })
}

/// `fetch-att` (RFC 3501 §9).
pub(crate) fn fetch_att(c: &mut Cursor<'_>) -> PResult<FetchAttribute> {
    use FetchAttribute as A;
    let start = c.pos();
    let name = c.fetch_name();
    let n = name.len();
    let mut ub = [0u8; 16];
    let att = match upper(name, &mut ub) {
        b"ENVELOPE" => A::Envelope,
        b"FLAGS" => A::Flags,
        b"INTERNALDATE" => A::InternalDate,
        b"RFC822" => A::Rfc822,
        b"RFC822.HEADER" => A::Rfc822Header,
        b"RFC822.SIZE" => A::Rfc822Size,
        b"RFC822.TEXT" => A::Rfc822Text,
        b"BODYSTRUCTURE" => A::BodyStructure,
        b"UID" => A::Uid,
        b"BODY" | b"BODY.PEEK" if c.peek() == Some(b'[') => {
            let peek = n == 9;
            let section = section(c)?;
            let partial = if c.eat(b'<') {
                let origin = c.number()?;
                c.byte(b'.', "\".\"")?;
                let length = c.nz_number()?;
                c.byte(b'>', "\">\"")?;
                Some(Partial { origin, length })
            } else {
                None
            };
            A::BodySection {
                peek,
                section,
                partial,
            }
        }
        b"BODY" => A::Body,
        _ => {
            c.pos = start;
            return Err(c.err("fetch-att"));
        }
    };
    Ok(att)
}

/// `section = "[" [section-spec] "]"` (RFC 3501 §9).
pub(crate) fn section(c: &mut Cursor<'_>) -> PResult<Section> {
    c.byte(b'[', "\"[\"")?;
    if c.eat(b']') {
        return Ok(Section::full());
    }
    // section-part = nz-number *("." nz-number)
    let mut part: Vec<NonZeroU32> = Vec::new();
    while matches!(c.peek(), Some(b'1'..=b'9')) {
        c.check_items(part.len())?;
        part.push(c.nz_number()?);
        if !c.eat(b'.') {
            c.byte(b']', "\"]\"")?;
            return Ok(Section::from_parts_unchecked(part, None));
        }
    }
    if !part.is_empty() && c.peek() == Some(b'0') {
        return Err(c.err("nz-number"));
    }
    let text = if c.keyword(b"HEADER.FIELDS.NOT") {
        c.sp()?;
        SectionText::HeaderFieldsNot(header_list(c)?)
    } else if c.keyword(b"HEADER.FIELDS") {
        c.sp()?;
        SectionText::HeaderFields(header_list(c)?)
    } else if c.keyword(b"HEADER") {
        SectionText::Header
    } else if c.keyword(b"TEXT") {
        SectionText::Text
    } else if !part.is_empty() && c.keyword(b"MIME") {
        SectionText::Mime
    } else {
        return Err(c.err("section-text"));
    };
    c.byte(b']', "\"]\"")?;
    Ok(Section::from_parts_unchecked(part, Some(text)))
}

/// `header-list = "(" header-fld-name *(SP header-fld-name) ")"` (RFC 3501 §9).
fn header_list(c: &mut Cursor<'_>) -> PResult<Vec<IString>> {
    c.paren_list(false, |c| c.astring())
}

/// `store = "STORE" SP sequence-set SP store-att-flags`;
/// `store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list / (flag *(SP flag)))`.
fn store(c: &mut Cursor<'_>, uid: bool) -> PResult<CommandBody> {
    c.sp()?;
    let set = c.sequence_set()?;
    c.sp()?;
    let kind = if c.eat(b'+') {
        StoreKind::Add
    } else if c.eat(b'-') {
        StoreKind::Remove
    } else {
        StoreKind::Replace
    };
    c.expect_keyword(b"FLAGS", "FLAGS")?;
    let silent = c.keyword(b".SILENT");
    c.sp()?;
    let flags = if c.peek() == Some(b'(') {
        c.flag_list()?
    } else {
        let mut v = vec![c.flag()?];
        while c.eat(b' ') {
            c.check_items(v.len())?;
            v.push(c.flag()?);
        }
        v
    };
    Ok(CommandBody::Store {
        set,
        kind,
        silent,
        flags,
        uid,
    })
}
