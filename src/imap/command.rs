//! Commands (RFC 3501 §6, §9 `command`), with the extension commands of STARTTLS (§6.2.1),
//! IDLE (RFC 2177), UIDPLUS (RFC 4315), MOVE (RFC 6851), UNSELECT (RFC 3691), NAMESPACE
//! (RFC 2342), ENABLE (RFC 5161), ID (RFC 2971) and SASL-IR (RFC 4959).

use bytes::Bytes;

use super::core::{Atom, IString, Literal, NString, Tag};
use super::datetime::DateTime;
use super::fetch::FetchItems;
use super::flag::{Flag, MailboxAttribute};
use super::mailbox::{ListMailbox, Mailbox};
use super::search::SearchKey;
use super::sequence::SequenceSet;
use crate::Secret;

/// `command = tag SP (command-any / command-auth / command-nonauth / command-select) CRLF`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The client's tag.
    pub tag: Tag,
    /// What follows the tag.
    pub body: CommandBody,
}

/// `status-att` (RFC 3501 §6.3.10, §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusAttribute {
    /// `MESSAGES`.
    Messages,
    /// `RECENT`.
    Recent,
    /// `UIDNEXT`.
    UidNext,
    /// `UIDVALIDITY`.
    UidValidity,
    /// `UNSEEN`.
    Unseen,
}

/// How STORE changes flags (`store-att-flags`, RFC 3501 §6.4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreKind {
    /// `FLAGS`: replace.
    Replace,
    /// `+FLAGS`: add.
    Add,
    /// `-FLAGS`: remove.
    Remove,
}

/// The command after its tag. `uid: true` is the `UID` prefix (RFC 3501 §6.4.8).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommandBody {
    /// `CAPABILITY` (§6.1.1).
    Capability,
    /// `NOOP` (§6.1.2).
    Noop,
    /// `LOGOUT` (§6.1.3).
    Logout,
    /// `STARTTLS` (§6.2.1).
    StartTls,
    /// `AUTHENTICATE auth-type [SP (base64 / "=")]` (§6.2.2; initial response: RFC 4959).
    Authenticate {
        /// `auth-type` (SASL mechanism name).
        mechanism: Atom,
        /// SASL-IR initial response, decoded; `Some(empty)` for `=`.
        initial_response: Option<Secret<Bytes>>,
    },
    /// `LOGIN userid SP password` (§6.2.3).
    Login {
        /// `userid = astring`.
        username: IString,
        /// `password = astring`.
        password: Secret<IString>,
    },
    /// `SELECT mailbox` (§6.3.1).
    Select(Mailbox),
    /// `EXAMINE mailbox` (§6.3.2).
    Examine(Mailbox),
    /// `CREATE mailbox [SP "(" "USE" SP "(" use-attr ... ")" ")"]` (§6.3.3; USE: RFC 6154 §5.3).
    Create {
        /// The new mailbox.
        mailbox: Mailbox,
        /// RFC 6154 special-use attributes (empty when absent).
        special_use: Vec<MailboxAttribute>,
    },
    /// `DELETE mailbox` (§6.3.4).
    Delete(Mailbox),
    /// `RENAME mailbox SP mailbox` (§6.3.5).
    Rename {
        /// Existing name.
        from: Mailbox,
        /// New name.
        to: Mailbox,
    },
    /// `SUBSCRIBE mailbox` (§6.3.6).
    Subscribe(Mailbox),
    /// `UNSUBSCRIBE mailbox` (§6.3.7).
    Unsubscribe(Mailbox),
    /// `LIST [SP list-select-opts] SP mailbox SP list-mailbox [SP list-return-opts]` (§6.3.8;
    /// the options are RFC 5258 §6 syntax, used by RFC 6154 §5.2; options with values and
    /// multiple patterns are not supported).
    List {
        /// Reference name.
        reference: Mailbox,
        /// Pattern with `*` / `%`.
        pattern: ListMailbox,
        /// Selection options, e.g. `SPECIAL-USE`, `SUBSCRIBED` (empty when absent).
        selection: Vec<Atom>,
        /// Return options after `RETURN`, e.g. `SPECIAL-USE`, `CHILDREN` (empty when absent).
        return_options: Vec<Atom>,
    },
    /// `LSUB mailbox SP list-mailbox` (§6.3.9).
    Lsub {
        /// Reference name.
        reference: Mailbox,
        /// Pattern.
        pattern: ListMailbox,
    },
    /// `STATUS mailbox SP "(" status-att *(SP status-att) ")"` (§6.3.10).
    Status {
        /// The mailbox.
        mailbox: Mailbox,
        /// The attributes asked for (never empty).
        items: Vec<StatusAttribute>,
    },
    /// `APPEND mailbox [SP flag-list] [SP date-time] SP literal` (§6.3.11).
    Append {
        /// Destination.
        mailbox: Mailbox,
        /// Flags to set (empty = no flag list; `()` is not kept apart).
        flags: Vec<Flag>,
        /// Internal date.
        date: Option<DateTime>,
        /// The message (a slice of the input).
        message: Literal,
    },
    /// `CHECK` (§6.4.1).
    Check,
    /// `CLOSE` (§6.4.2).
    Close,
    /// `EXPUNGE` (§6.4.3).
    Expunge,
    /// `UID EXPUNGE sequence-set` (RFC 4315 §2.1).
    UidExpunge(SequenceSet),
    /// `[UID] SEARCH [SP "CHARSET" SP astring] 1*(SP search-key)` (§6.4.4).
    Search {
        /// `CHARSET` argument.
        charset: Option<IString>,
        /// The keys, all of which must match (never empty).
        criteria: Vec<SearchKey>,
        /// UID SEARCH.
        uid: bool,
    },
    /// `[UID] FETCH sequence-set SP (macro / fetch-att / "(" fetch-att ... ")")` (§6.4.5).
    Fetch {
        /// Messages.
        set: SequenceSet,
        /// What to fetch.
        items: FetchItems,
        /// UID FETCH.
        uid: bool,
    },
    /// `[UID] STORE sequence-set SP store-att-flags` (§6.4.6).
    Store {
        /// Messages.
        set: SequenceSet,
        /// `FLAGS`, `+FLAGS` or `-FLAGS`.
        kind: StoreKind,
        /// `.SILENT`.
        silent: bool,
        /// The flags (may be empty: `FLAGS ()`).
        flags: Vec<Flag>,
        /// UID STORE.
        uid: bool,
    },
    /// `[UID] COPY sequence-set SP mailbox` (§6.4.7).
    Copy {
        /// Messages.
        set: SequenceSet,
        /// Destination.
        mailbox: Mailbox,
        /// UID COPY.
        uid: bool,
    },
    /// `[UID] MOVE sequence-set SP mailbox` (RFC 6851 §3).
    Move {
        /// Messages.
        set: SequenceSet,
        /// Destination.
        mailbox: Mailbox,
        /// UID MOVE.
        uid: bool,
    },
    /// `IDLE` (RFC 2177 §3); ended by a `DONE` line ([`parse_idle_done`](super::parse_idle_done)).
    Idle,
    /// `UNSELECT` (RFC 3691 §2).
    Unselect,
    /// `NAMESPACE` (RFC 2342 §5).
    Namespace,
    /// `ENABLE 1*(SP capability)` (RFC 5161 §3.1).
    Enable(Vec<Atom>),
    /// `ID SP id_params_list` (RFC 2971 §3.1): `None` is `NIL`.
    Id(Option<Vec<(IString, NString)>>),
    /// `x-command = "X" atom <experimental command arguments>` (§9): the name and the raw
    /// rest of the command (everything after the name, before the final CRLF).
    Extension {
        /// The command name (starts with `X`).
        name: Atom,
        /// Arguments, unparsed (starting with SP when non-empty).
        arguments: ExtensionArguments,
    },
}

impl CommandBody {
    /// The command name as it is written (`"UID FETCH"`, `"LOGIN"`, ...), for logs and for
    /// `BAD`/`OK` texts.
    pub fn name(&self) -> &'static str {
        use CommandBody as C;
        match self {
            C::Capability => "CAPABILITY",
            C::Noop => "NOOP",
            C::Logout => "LOGOUT",
            C::StartTls => "STARTTLS",
            C::Authenticate { .. } => "AUTHENTICATE",
            C::Login { .. } => "LOGIN",
            C::Select(_) => "SELECT",
            C::Examine(_) => "EXAMINE",
            C::Create { .. } => "CREATE",
            C::Delete(_) => "DELETE",
            C::Rename { .. } => "RENAME",
            C::Subscribe(_) => "SUBSCRIBE",
            C::Unsubscribe(_) => "UNSUBSCRIBE",
            C::List { .. } => "LIST",
            C::Lsub { .. } => "LSUB",
            C::Status { .. } => "STATUS",
            C::Append { .. } => "APPEND",
            C::Check => "CHECK",
            C::Close => "CLOSE",
            C::Expunge => "EXPUNGE",
            C::UidExpunge(_) => "UID EXPUNGE",
            C::Search { uid: false, .. } => "SEARCH",
            C::Search { uid: true, .. } => "UID SEARCH",
            C::Fetch { uid: false, .. } => "FETCH",
            C::Fetch { uid: true, .. } => "UID FETCH",
            C::Store { uid: false, .. } => "STORE",
            C::Store { uid: true, .. } => "UID STORE",
            C::Copy { uid: false, .. } => "COPY",
            C::Copy { uid: true, .. } => "UID COPY",
            C::Move { uid: false, .. } => "MOVE",
            C::Move { uid: true, .. } => "UID MOVE",
            C::Idle => "IDLE",
            C::Unselect => "UNSELECT",
            C::Namespace => "NAMESPACE",
            C::Enable(_) => "ENABLE",
            C::Id(_) => "ID",
            C::Extension { .. } => "X-COMMAND",
        }
    }
}

/// An APPEND command up to its message literal (RFC 3501 §6.3.11): everything but the
/// message, which a server can then stream instead of buffering. See
/// [`parse_append_head`](super::parse_append_head).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendHead {
    /// The client's tag.
    pub tag: Tag,
    /// Destination.
    pub mailbox: Mailbox,
    /// Flags to set (empty = no flag list).
    pub flags: Vec<Flag>,
    /// Internal date.
    pub date: Option<DateTime>,
    /// Announced length of the message literal.
    pub length: u32,
    /// `{n}` or `{n+}`.
    pub mode: super::core::LiteralMode,
    /// `~{n}` (`literal8`, RFC 3516).
    pub binary: bool,
}

/// A line sent by the client during AUTHENTICATE (RFC 3501 §6.2.2): `base64 CRLF` or `"*" CRLF`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthenticateData {
    /// A SASL response, base64-decoded.
    Response(Secret<Bytes>),
    /// `*`: the client cancels the exchange (the server answers BAD).
    Cancel,
}

/// The raw arguments of an `x-command` (RFC 3501 §9), from the name to the final CRLF.
///
/// Parsed arguments may hold literals (and so CRLF); arguments built by a host may not hold
/// CR, LF or NUL, so they cannot end the command early, nor end like a literal announcement
/// (`{5}`), which the server would frame as one (RFC 3501 §4.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExtensionArguments(Bytes);

impl ExtensionArguments {
    /// Arguments without CR, LF or NUL; empty or starting with SP.
    pub fn new(b: impl Into<Bytes>) -> Result<Self, super::core::ValueError> {
        let b = b.into();
        if b.iter().any(|&c| matches!(c, b'\r' | b'\n' | 0)) {
            return Err(super::core::ValueError::new(
                "x-command arguments",
                "CR, LF or NUL",
            ));
        }
        if super::framer::announcement(&b).is_some() {
            return Err(super::core::ValueError::new(
                "x-command arguments",
                "ends like a literal announcement",
            ));
        }
        if !b.is_empty() && b.first() != Some(&b' ') {
            return Err(super::core::ValueError::new(
                "x-command arguments",
                "must start with SP",
            ));
        }
        Ok(ExtensionArguments(b))
    }

    pub(crate) fn unvalidated(b: Bytes) -> Self {
        ExtensionArguments(b)
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}
