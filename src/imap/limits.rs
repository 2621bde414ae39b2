//! Limits on what the parser and framer accept. There is no "unlimited" value: every limit
//! bounds memory and work for any input.

/// Limits applied by the framer and the grammar (defaults in each setter's doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    max_line_length: usize,
    max_literal_size: u32,
    max_depth: usize,
    max_list_items: usize,
    accept_bare_lf: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line_length: 64 * 1024,
            max_literal_size: 64 * 1024 * 1024,
            max_depth: 32,
            max_list_items: 32 * 1024,
            accept_bare_lf: false,
        }
    }
}

impl Limits {
    /// Maximum bytes of one command or response outside its literals, CRLFs included,
    /// summed over all its lines. Default 65,536 (64 KiB): RFC 7162 §4 asks servers to accept
    /// command lines of at least 8,192 octets; 64 KiB leaves room for long UID sets and is what
    /// Dovecot uses. Worst case memory: this many bytes buffered per pending command.
    /// Exceeding it: [`ErrorKind::LineTooLong`](super::ErrorKind::LineTooLong).
    pub fn max_line_length(&self) -> usize {
        self.max_line_length
    }

    /// Sets [`Limits::max_line_length`].
    pub fn set_max_line_length(&mut self, v: usize) -> &mut Self {
        self.max_line_length = v;
        self
    }

    /// Maximum total literal bytes of one command or response. Default 67,108,864 (64 MiB):
    /// bigger than typical message size limits of mail systems (25-50 MB), small enough to
    /// buffer. Checked when a literal is announced, before its bytes are buffered.
    /// Exceeding it: [`ErrorKind::LiteralTooBig`](super::ErrorKind::LiteralTooBig).
    pub fn max_literal_size(&self) -> u32 {
        self.max_literal_size
    }

    /// Sets [`Limits::max_literal_size`].
    pub fn set_max_literal_size(&mut self, v: u32) -> &mut Self {
        self.max_literal_size = v;
        self
    }

    /// Maximum nesting of parenthesised search keys (`NOT`/`OR` count too), body structures,
    /// body extensions and other recursive lists. Default 32: real BODYSTRUCTUREs nest a few
    /// levels; the parser recurses once per level, so this bounds stack use.
    /// Exceeding it: [`ErrorKind::TooDeep`](super::ErrorKind::TooDeep).
    pub fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// Sets [`Limits::max_depth`].
    pub fn set_max_depth(&mut self, v: usize) -> &mut Self {
        self.max_depth = v;
        self
    }

    /// Maximum items of any one list (sequence-set elements, flags, search keys, fetch
    /// attributes, capabilities, SEARCH results, ...). Default 32,768: a 64 KiB line holds at
    /// most this many two-byte items, so with the default line limit it only matters when that
    /// limit is raised. Exceeding it: [`ErrorKind::TooManyItems`](super::ErrorKind::TooManyItems).
    pub fn max_list_items(&self) -> usize {
        self.max_list_items
    }

    /// Sets [`Limits::max_list_items`].
    pub fn set_max_list_items(&mut self, v: usize) -> &mut Self {
        self.max_list_items = v;
        self
    }

    /// Whether a line may end in a bare LF instead of CRLF. Default `false`: RFC 3501 §2.2
    /// ends every line with CRLF, and the framer refuses a bare LF with
    /// [`ErrorKind::BareLf`](super::ErrorKind::BareLf). When `true`, a line ends at LF and one
    /// CR before it belongs to the terminator (the rule pobox's POP3 session and Dovecot
    /// follow); a lone CR elsewhere is still an ordinary byte of the line.
    pub fn accept_bare_lf(&self) -> bool {
        self.accept_bare_lf
    }

    /// Sets [`Limits::accept_bare_lf`].
    pub fn set_accept_bare_lf(&mut self, v: bool) -> &mut Self {
        self.accept_bare_lf = v;
        self
    }
}
