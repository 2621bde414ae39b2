//! POP3: RFC 1939, with CAPA and response codes (RFC 2449), STLS (RFC 2595),
//! SYS and AUTH codes (RFC 3206), AUTH (RFC 5034), UTF8 and LANG (RFC 6856).
//!
//! - [`command`]: commands, parsed by servers and encoded by clients.
//! - [`response`]: responses, encoded by servers and parsed by clients.
//! - [`multiline`]: byte-stuffing of message bodies without copying them,
//!   the TOP cut, and [`wire_size`] for stores with LF line ends.
//! - [`server`]: the Sans-IO server session.

pub mod command;
pub mod multiline;
pub mod response;
pub mod server;

pub use multiline::wire_size;
