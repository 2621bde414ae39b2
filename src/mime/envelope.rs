//! ENVELOPE (RFC 3501 §7.4.2) from a header.

use crate::imap::{Address, Envelope, IString, NString};

use super::address::{self, AddrItem};
use super::header::Field;
use super::limits::Limits;

/// An IMAP string from header bytes. NUL cannot be sent in an IMAP string
/// (RFC 3501 §9 `CHAR8`); header text never legitimately holds one, so NULs
/// are dropped.
pub(crate) fn istring(bytes: &[u8]) -> IString {
    let clean: Vec<u8> = if memchr::memchr(0, bytes).is_some() {
        bytes.iter().copied().filter(|&b| b != 0).collect()
    } else {
        bytes.to_vec()
    };
    IString::new(clean).unwrap_or_else(|_| IString::empty())
}

/// Placeholder host for an address without `@domain`: RFC 3501 §7.4.2 reserves
/// a NIL host for group syntax, so a real mailbox needs a string there. The
/// value is the one Dovecot sends, so clients see the same thing.
const MISSING_DOMAIN: &[u8] = b"MISSING_DOMAIN";
/// Placeholder mailbox for `<>` and similar: NIL is reserved for group ends.
const MISSING_MAILBOX: &[u8] = b"MISSING_MAILBOX";

/// Builds the ENVELOPE of the header whose fields are `fields` (RFC 3501
/// §7.4.2): date, subject, in-reply-to and message-id are the raw unfolded
/// field values (RFC 2047 words stay encoded, as the RFC asks), NIL when the
/// field is absent; address fields are parsed address lists, NIL when absent
/// or empty; "If the Sender or Reply-To lines are absent in the [RFC-2822]
/// header, or are present but empty, the server sets the corresponding
/// member of the envelope to be the same value as the from member."
pub(crate) fn envelope(buf: &[u8], fields: &[Field], limits: &Limits) -> Envelope {
    let text = |name: &[u8]| -> NString {
        super::header::find(fields, buf, name)
            .map(|f| istring(&f.unfolded(buf, limits.max_field_bytes)))
    };
    let addrs = |name: &[u8]| -> Vec<Address> {
        super::header::find(fields, buf, name)
            .map(|f| {
                let value = f.unfolded(buf, limits.max_field_bytes);
                // A value cut by `max_field_bytes` ends at its last complete
                // list element rather than in the middle of an address.
                let value = if f.raw_value(buf).len() > limits.max_field_bytes {
                    match memchr::memrchr(b',', &value) {
                        Some(comma) => &value[..comma],
                        None => &value[..],
                    }
                } else {
                    &value[..]
                };
                address::address_list(value, limits.max_addresses)
                    .into_iter()
                    .map(to_address)
                    .collect()
            })
            .unwrap_or_default()
    };
    let from = addrs(b"From");
    let mut sender = addrs(b"Sender");
    if sender.is_empty() {
        sender = from.clone();
    }
    let mut reply_to = addrs(b"Reply-To");
    if reply_to.is_empty() {
        reply_to = from.clone();
    }
    Envelope {
        date: text(b"Date"),
        subject: text(b"Subject"),
        from,
        sender,
        reply_to,
        to: addrs(b"To"),
        cc: addrs(b"Cc"),
        bcc: addrs(b"Bcc"),
        in_reply_to: text(b"In-Reply-To"),
        message_id: text(b"Message-ID"),
    }
}

/// RFC 3501 §7.4.2 address structure: `(name adl mailbox host)`; group start
/// is `(NIL NIL "group name" NIL)`, group end `(NIL NIL NIL NIL)`.
fn to_address(item: AddrItem) -> Address {
    match item {
        AddrItem::GroupStart(name) => Address {
            name: None,
            adl: None,
            mailbox: Some(istring(&name)),
            host: None,
        },
        AddrItem::GroupEnd => Address::default(),
        AddrItem::Mailbox(m) => Address {
            name: m.name.map(|n| istring(&n)),
            adl: m.route.map(|r| istring(&r)),
            mailbox: Some(istring(if m.local.is_empty() {
                MISSING_MAILBOX
            } else {
                &m.local
            })),
            host: Some(istring(match &m.domain {
                Some(d) if !d.is_empty() => d,
                _ => MISSING_DOMAIN,
            })),
        },
    }
}
