//! ENVELOPE (RFC 3501 §7.4.2, §9 `envelope`, `address`).

use super::core::NString;

/// `envelope` (RFC 3501 §9): the parsed header of a message. Address lists that are empty are
/// sent as `NIL` (`env-from = "(" 1*address ")" / nil`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Envelope {
    /// `env-date`: the Date: header, unparsed.
    pub date: NString,
    /// `env-subject`.
    pub subject: NString,
    /// `env-from`.
    pub from: Vec<Address>,
    /// `env-sender` (the server defaults it to From, RFC 3501 §7.4.2).
    pub sender: Vec<Address>,
    /// `env-reply-to` (the server defaults it to From).
    pub reply_to: Vec<Address>,
    /// `env-to`.
    pub to: Vec<Address>,
    /// `env-cc`.
    pub cc: Vec<Address>,
    /// `env-bcc`.
    pub bcc: Vec<Address>,
    /// `env-in-reply-to`.
    pub in_reply_to: NString,
    /// `env-message-id`.
    pub message_id: NString,
}

/// `address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")"` (RFC 3501 §9).
///
/// Groups (RFC 3501 §7.4.2): a start is `mailbox` = group name with `host` NIL; the end is
/// `mailbox` and `host` both NIL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Address {
    /// `addr-name`: the phrase, RFC 5322 quoting removed.
    pub name: NString,
    /// `addr-adl`: the source route.
    pub adl: NString,
    /// `addr-mailbox`: local part, or group name.
    pub mailbox: NString,
    /// `addr-host`: domain, or NIL in group syntax.
    pub host: NString,
}
