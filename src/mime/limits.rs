//! Limits that keep the work on any message bounded.

/// Bounds on the structure pobox builds from one message.
///
/// Every limit has a fallback instead of an error, because RFC 3501 expects
/// an answer for every message (FETCH BODYSTRUCTURE cannot fail). The work
/// done by [`Message::parse`](super::Message::parse) is linear in the size of
/// the message, times at most `max_depth` boundary comparisons on lines that
/// start with `--`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub(crate) max_depth: usize,
    pub(crate) max_parts: usize,
    pub(crate) max_fields: usize,
    pub(crate) max_field_bytes: usize,
    pub(crate) max_params: usize,
    pub(crate) max_addresses: usize,
    pub(crate) max_boundary_len: usize,
}

/// The largest accepted `max_depth`: the parser recurses once per level.
pub const MAX_DEPTH_CAP: usize = 256;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 100,
            max_parts: 10_000,
            max_fields: 1_000,
            max_field_bytes: 64 * 1024,
            max_params: 64,
            max_addresses: 10_000,
            max_boundary_len: 200,
        }
    }
}

impl Limits {
    /// Nesting depth of multipart and message/rfc822 parts (default 100,
    /// Dovecot's own limit; at most [`MAX_DEPTH_CAP`]). A multipart or
    /// message/rfc822 part deeper than this is reported as one
    /// `application/octet-stream` leaf holding all its bytes.
    pub fn set_max_depth(&mut self, n: usize) -> &mut Self {
        self.max_depth = n.clamp(1, MAX_DEPTH_CAP);
        self
    }

    /// Number of parts in one message (default 10,000; about 200 bytes of
    /// memory each plus their header fields). Parts after the limit are not
    /// listed: their bytes stay in their parent's body and no section number
    /// reaches them.
    pub fn set_max_parts(&mut self, n: usize) -> &mut Self {
        self.max_parts = n.max(1);
        self
    }

    /// Header fields indexed per header (default 1,000; real mail rarely has
    /// more than 100, mostly `Received:`). Later fields are still part of
    /// `BODY[HEADER]` but are not seen by ENVELOPE, BODYSTRUCTURE, SEARCH or
    /// `HEADER.FIELDS`.
    pub fn set_max_fields(&mut self, n: usize) -> &mut Self {
        self.max_fields = n.max(1);
        self
    }

    /// Bytes of one field value that are interpreted (default 64 KiB): a
    /// longer value is read as if it stopped there (sections still return
    /// every byte).
    pub fn set_max_field_bytes(&mut self, n: usize) -> &mut Self {
        self.max_field_bytes = n.max(1);
        self
    }

    /// Parameters read per Content-Type / Content-Disposition, counting each
    /// RFC 2231 section (default 64). Later ones are ignored.
    pub fn set_max_params(&mut self, n: usize) -> &mut Self {
        self.max_params = n.max(1);
        self
    }

    /// Addresses read per address header for ENVELOPE (default 10,000);
    /// later ones are left out of the list.
    pub fn set_max_addresses(&mut self, n: usize) -> &mut Self {
        self.max_addresses = n.max(1);
        self
    }

    /// Longest multipart boundary honoured (default 200; RFC 2046 §5.1.1
    /// allows 70). A multipart with a longer boundary is treated like one
    /// without a boundary: no parts are found in it.
    pub fn set_max_boundary_len(&mut self, n: usize) -> &mut Self {
        self.max_boundary_len = n.max(1);
        self
    }
}
