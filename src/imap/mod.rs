//! IMAP4rev1 (RFC 3501): the codec (parse and encode, both directions).
//!
//! * Types: plain owned data ([`Command`], [`Response`], [`Greeting`], [`Envelope`],
//!   [`BodyStructure`], [`Section`], [`SearchKey`], [`SequenceSet`], ...). Strings are
//!   [`bytes::Bytes`] slices of the input, so values carry no lifetime and literals are never
//!   copied. Host-supplied text goes through validated constructors.
//! * Modified UTF-7 mailbox names: [`utf7`].
//! * Limits: [`Limits`]; errors: [`ParseError`] with the tag and an [`ErrorKind`].
#![allow(clippy::module_inception)]

mod body;
pub(crate) mod chars;
mod codec;
mod command;
mod core;
mod datetime;
mod encode;
mod envelope;
mod error;
mod fetch;
mod flag;
mod framer;
mod limits;
mod mailbox;
mod parse;
mod response;
mod search;
mod sequence;
pub mod server;
pub mod utf7;
pub(crate) mod wire;

pub use self::body::{
    Body, BodyExtension, BodyFields, BodyKind, BodyStructure, Disposition, DispositionTail,
    LanguageTail, LocationTail, MultipartExtension, SinglePartExtension,
};
pub use self::codec::{
    parse_append_head, parse_authenticate_data, parse_command, parse_command_frame,
    parse_command_with, parse_greeting, parse_greeting_with, parse_idle_done, parse_response,
    parse_response_frame, parse_response_with,
};
pub use self::command::{
    AppendHead, AuthenticateData, Command, CommandBody, ExtensionArguments, StatusAttribute,
    StoreKind,
};
pub use self::core::{Atom, IString, Literal, LiteralMode, NString, Tag, Text, ValueError};
pub use self::datetime::{Date, DateTime};
pub use self::encode::{CHUNK_THRESHOLD, ClientLiterals, Encoder, Fragment, MAX_QUOTED};
pub use self::envelope::{Address, Envelope};
pub use self::error::{ErrorKind, ParseError};
pub use self::fetch::{FetchAttribute, FetchItems, MessageDataItem, Partial, Section, SectionText};
pub use self::flag::{Flag, FlagFetch, FlagPerm, MailboxAttribute};
pub use self::framer::{Frame, Framer, LiteralAnnouncement};
pub use self::limits::Limits;
pub use self::mailbox::{ListMailbox, Mailbox};
pub use self::response::{
    Code, Continue, Data, Delimiter, Greeting, GreetingKind, ListData, NamespaceDescription,
    Response, StatusItem, StatusKind, StatusResponse,
};
pub use self::search::SearchKey;
pub use self::sequence::{SeqNumber, Sequence, SequenceSet};
