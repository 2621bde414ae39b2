//! Server responses (RFC 3501 §7, §9 `response`, `greeting`, `continue-req`), response codes
//! (RFC 3501 §7.1, RFC 4315, RFC 5530, RFC 7888/RFC 4469 TOOBIG) and the data of the extensions
//! NAMESPACE (RFC 2342), ENABLE (RFC 5161) and ID (RFC 2971).

use std::num::NonZeroU32;

use bytes::Bytes;

use super::command::StatusAttribute;
use super::core::{Atom, IString, NString, Tag, Text};
use super::fetch::MessageDataItem;
use super::flag::{Flag, FlagPerm, MailboxAttribute};
use super::mailbox::Mailbox;
use super::sequence::SequenceSet;

/// `greeting = "*" SP (resp-cond-auth / resp-cond-bye) CRLF` (RFC 3501 §7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    /// OK, PREAUTH or BYE.
    pub kind: GreetingKind,
    /// `[code]`.
    pub code: Option<Code>,
    /// Human-readable text.
    pub text: Text,
}

/// The condition of a greeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GreetingKind {
    /// `OK`: not authenticated state.
    Ok,
    /// `PREAUTH`: already authenticated (§7.1.4).
    PreAuth,
    /// `BYE`: the server refuses the connection (§7.1.5).
    Bye,
}

/// Any server response other than a greeting (`continue-req`, `response-data`,
/// `response-tagged`, `response-fatal`; RFC 3501 §9).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Response {
    /// A status response, tagged or untagged (`resp-cond-state`, `resp-cond-bye`).
    Status(StatusResponse),
    /// Untagged data (`mailbox-data`, `message-data`, `capability-data`, extensions).
    Data(Data),
    /// `continue-req = "+" SP (resp-text / base64) CRLF`.
    Continue(Continue),
}

/// `resp-cond-state` / `resp-cond-bye`, with or without a tag (RFC 3501 §7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusResponse {
    /// `None` for `*`. BYE is never tagged.
    pub tag: Option<Tag>,
    /// OK, NO, BAD or BYE.
    pub kind: StatusKind,
    /// `[code]`.
    pub code: Option<Code>,
    /// Human-readable text.
    pub text: Text,
}

/// The condition of a status response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusKind {
    /// `OK` (§7.1.1).
    Ok,
    /// `NO` (§7.1.2).
    No,
    /// `BAD` (§7.1.3).
    Bad,
    /// `BYE` (§7.1.5), untagged only.
    Bye,
}

/// `continue-req` (RFC 3501 §7.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Continue {
    /// `+ [code] text`.
    Text {
        /// `[code]`.
        code: Option<Code>,
        /// Text.
        text: Text,
    },
    /// `+ base64`: a SASL challenge, decoded. The parser picks this form for an empty line and
    /// for text that is valid padded base64 without a code (see the module docs of `parse`).
    Base64(Bytes),
}

/// `resp-text-code` (RFC 3501 §7.1, §9) plus the codes of RFC 4315 (UIDPLUS), RFC 5530 and
/// `TOOBIG` (RFC 4469 §4, used by RFC 7888 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Code {
    /// `ALERT`.
    Alert,
    /// `BADCHARSET [SP "(" astring *(SP astring) ")"]`.
    BadCharset(Vec<IString>),
    /// `capability-data`.
    Capability(Vec<Atom>),
    /// `PARSE`.
    Parse,
    /// `PERMANENTFLAGS SP "(" [flag-perm *(SP flag-perm)] ")"`.
    PermanentFlags(Vec<FlagPerm>),
    /// `READ-ONLY`.
    ReadOnly,
    /// `READ-WRITE`.
    ReadWrite,
    /// `TRYCREATE`.
    TryCreate,
    /// `UIDNEXT SP nz-number`.
    UidNext(NonZeroU32),
    /// `UIDVALIDITY SP nz-number`.
    UidValidity(NonZeroU32),
    /// `UNSEEN SP nz-number`.
    Unseen(NonZeroU32),
    /// `APPENDUID SP nz-number SP append-uid` (RFC 4315 §3; a `uid-set` for MULTIAPPEND).
    AppendUid {
        /// UIDVALIDITY of the destination.
        uid_validity: NonZeroU32,
        /// UID(s) assigned.
        uids: SequenceSet,
    },
    /// `COPYUID SP nz-number SP uid-set SP uid-set` (RFC 4315 §3).
    CopyUid {
        /// UIDVALIDITY of the destination.
        uid_validity: NonZeroU32,
        /// Source UIDs.
        source: SequenceSet,
        /// Destination UIDs, in the same order.
        destination: SequenceSet,
    },
    /// `UIDNOTSTICKY` (RFC 4315 §3).
    UidNotSticky,
    /// `UNAVAILABLE` (RFC 5530 §3).
    Unavailable,
    /// `AUTHENTICATIONFAILED` (RFC 5530).
    AuthenticationFailed,
    /// `AUTHORIZATIONFAILED` (RFC 5530).
    AuthorizationFailed,
    /// `EXPIRED` (RFC 5530).
    Expired,
    /// `PRIVACYREQUIRED` (RFC 5530).
    PrivacyRequired,
    /// `CONTACTADMIN` (RFC 5530).
    ContactAdmin,
    /// `NOPERM` (RFC 5530).
    NoPerm,
    /// `INUSE` (RFC 5530).
    InUse,
    /// `EXPUNGEISSUED` (RFC 5530).
    ExpungeIssued,
    /// `CORRUPTION` (RFC 5530).
    Corruption,
    /// `SERVERBUG` (RFC 5530).
    ServerBug,
    /// `CLIENTBUG` (RFC 5530).
    ClientBug,
    /// `CANNOT` (RFC 5530).
    Cannot,
    /// `LIMIT` (RFC 5530).
    Limit,
    /// `OVERQUOTA` (RFC 5530).
    OverQuota,
    /// `ALREADYEXISTS` (RFC 5530).
    AlreadyExists,
    /// `NONEXISTENT` (RFC 5530).
    NonExistent,
    /// `TOOBIG` (RFC 4469 §4; RFC 7888 §5).
    TooBig,
    /// `atom [SP 1*<any TEXT-CHAR except "]">]`: any other code, kept raw.
    Other {
        /// The code name.
        name: Atom,
        /// Its argument text, if any (TEXT-CHAR except `]`).
        argument: Option<Bytes>,
    },
}

/// Atom-only codes, in one table for the parser and the encoder.
pub(crate) const SIMPLE_CODES: &[(&str, Code)] = &[
    ("ALERT", Code::Alert),
    ("PARSE", Code::Parse),
    ("READ-ONLY", Code::ReadOnly),
    ("READ-WRITE", Code::ReadWrite),
    ("TRYCREATE", Code::TryCreate),
    ("UIDNOTSTICKY", Code::UidNotSticky),
    ("UNAVAILABLE", Code::Unavailable),
    ("AUTHENTICATIONFAILED", Code::AuthenticationFailed),
    ("AUTHORIZATIONFAILED", Code::AuthorizationFailed),
    ("EXPIRED", Code::Expired),
    ("PRIVACYREQUIRED", Code::PrivacyRequired),
    ("CONTACTADMIN", Code::ContactAdmin),
    ("NOPERM", Code::NoPerm),
    ("INUSE", Code::InUse),
    ("EXPUNGEISSUED", Code::ExpungeIssued),
    ("CORRUPTION", Code::Corruption),
    ("SERVERBUG", Code::ServerBug),
    ("CLIENTBUG", Code::ClientBug),
    ("CANNOT", Code::Cannot),
    ("LIMIT", Code::Limit),
    ("OVERQUOTA", Code::OverQuota),
    ("ALREADYEXISTS", Code::AlreadyExists),
    ("NONEXISTENT", Code::NonExistent),
    ("TOOBIG", Code::TooBig),
];

/// `status-att SP number` of a STATUS response (RFC 3501 §7.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusItem {
    /// The attribute.
    pub attribute: StatusAttribute,
    /// Its value.
    pub value: u32,
}

/// A hierarchy delimiter: one `QUOTED-CHAR` (RFC 3501 §9 `mailbox-list`): 7-bit, not CR,
/// LF or NUL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Delimiter(u8);

impl Delimiter {
    /// Checks `c` against `QUOTED-CHAR`.
    pub fn new(c: u8) -> Result<Self, super::core::ValueError> {
        if super::chars::TEXT_CHAR[c as usize] {
            Ok(Delimiter(c))
        } else {
            Err(super::core::ValueError::new(
                "delimiter",
                "not a QUOTED-CHAR",
            ))
        }
    }

    pub(crate) const fn unvalidated(c: u8) -> Self {
        Delimiter(c)
    }

    /// The character.
    pub fn get(self) -> u8 {
        self.0
    }
}

/// `mailbox-list` of LIST / LSUB (RFC 3501 §7.2.2, §7.2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListData {
    /// `mbx-list-flags` (at most one selectability attribute).
    pub attributes: Vec<MailboxAttribute>,
    /// Hierarchy delimiter, `None` for `NIL`.
    pub delimiter: Option<Delimiter>,
    /// The mailbox.
    pub mailbox: Mailbox,
}

/// One `Namespace_Descr` of RFC 2342 §5.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceDescription {
    /// Prefix (`string`).
    pub prefix: IString,
    /// Hierarchy delimiter, `None` for `NIL`.
    pub delimiter: Option<Delimiter>,
    /// `Namespace_Response_Extension = SP string SP "(" string *(SP string) ")"`.
    pub extensions: Vec<(IString, Vec<IString>)>,
}

/// Untagged data (RFC 3501 §7.2-§7.4, RFC 2342, RFC 5161, RFC 2971).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Data {
    /// `capability-data` (§7.2.1).
    Capability(Vec<Atom>),
    /// `LIST` (§7.2.2).
    List(ListData),
    /// `LSUB` (§7.2.3).
    Lsub(ListData),
    /// `STATUS mailbox (status-att-list)` (§7.2.4).
    Status {
        /// The mailbox.
        mailbox: Mailbox,
        /// Attribute values (may be empty).
        items: Vec<StatusItem>,
    },
    /// `SEARCH *(SP nz-number)` (§7.2.5).
    Search(Vec<NonZeroU32>),
    /// `FLAGS flag-list` (§7.2.6).
    Flags(Vec<Flag>),
    /// `number EXISTS` (§7.3.1).
    Exists(u32),
    /// `number RECENT` (§7.3.2).
    Recent(u32),
    /// `nz-number EXPUNGE` (§7.4.1).
    Expunge(NonZeroU32),
    /// `nz-number FETCH msg-att` (§7.4.2); items never empty.
    Fetch {
        /// Message sequence number.
        seq: NonZeroU32,
        /// The message data items.
        items: Vec<MessageDataItem>,
    },
    /// `ENABLED *(SP capability)` (RFC 5161 §3.2).
    Enabled(Vec<Atom>),
    /// `NAMESPACE` personal, other users', shared (RFC 2342 §5); empty = `NIL`.
    Namespace {
        /// Personal namespaces.
        personal: Vec<NamespaceDescription>,
        /// Other users' namespaces.
        other: Vec<NamespaceDescription>,
        /// Shared namespaces.
        shared: Vec<NamespaceDescription>,
    },
    /// `ID id_params_list` (RFC 2971 §3.2); `None` is `NIL`.
    Id(Option<Vec<(IString, NString)>>),
}
