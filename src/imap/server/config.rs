//! Tunables of an IMAP server session.

use std::time::Duration;

use crate::imap::{Delimiter, IString, NString, Text, ValueError};
use crate::sasl::Mechanism;

/// Settings shared by every session of a server. Build it once and share it behind an
/// `Arc`.
///
/// Every limit has a default from an RFC or from Dovecot's long practice, none can be
/// switched off, and the setters clamp to the RFC minimums. Each setter's doc gives the
/// unit, the default, what exceeding it gets, and the worst-case memory it allows.
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) greeting: Text,
    pub(crate) capability_codes: bool,
    pub(crate) mechanisms: Vec<Mechanism>,
    pub(crate) starttls: bool,
    pub(crate) plaintext_auth_without_tls: bool,
    pub(crate) delimiter: Delimiter,
    pub(crate) id: Option<Vec<(IString, NString)>>,
    pub(crate) max_line: usize,
    pub(crate) max_literal_before_login: u32,
    pub(crate) max_literal: u32,
    pub(crate) max_append: u32,
    pub(crate) max_depth: usize,
    pub(crate) max_set_items: usize,
    pub(crate) max_buffered_input: usize,
    pub(crate) max_buffered_output: usize,
    pub(crate) fetch_window: usize,
    pub(crate) autologout: Duration,
    pub(crate) login_timeout: Duration,
    pub(crate) idle_keepalive: Duration,
    pub(crate) host_timeout: Duration,
    pub(crate) max_auth_failures: u32,
    pub(crate) auth_failure_delay: Duration,
    pub(crate) max_bad_commands_before_login: u32,
    pub(crate) max_bad_commands_after_login: u32,
}

/// RFC 3501 §5.4: an autologout timer "MUST be at least 30 minutes".
const MIN_AUTOLOGOUT: Duration = Duration::from_secs(30 * 60);

/// RFC 7888 §5: LITERAL- servers take non-synchronizing literals of up to 4,096 octets.
pub(crate) const LITERAL_MINUS_MAX: u32 = 4096;

impl Default for Config {
    fn default() -> Self {
        Config {
            // RFC 3501 §8's greeting.
            greeting: Text::unvalidated(bytes::Bytes::from_static(b"IMAP4rev1 Service Ready")),
            capability_codes: true,
            mechanisms: vec![Mechanism::Plain, Mechanism::Login],
            starttls: false,
            plaintext_auth_without_tls: false,
            delimiter: Delimiter::unvalidated(b'/'),
            id: None,
            // RFC 7162 §4 asks for at least 8,192; Dovecot takes 64 KiB.
            max_line: 64 * 1024,
            max_literal_before_login: 8 * 1024,
            max_literal: 1024 * 1024,
            max_append: 64 * 1024 * 1024,
            max_depth: 32,
            max_set_items: 16 * 1024,
            max_buffered_input: 256 * 1024,
            max_buffered_output: 256 * 1024,
            fetch_window: 32,
            autologout: MIN_AUTOLOGOUT,
            // Dovecot's login processes give a client a minute to log in.
            login_timeout: Duration::from_secs(60),
            // RFC 2177 §3 leaves the interval open; Dovecot sends its "Still here" every
            // two minutes, shorter than the idle timeout of common NAT boxes.
            idle_keepalive: Duration::from_secs(2 * 60),
            host_timeout: Duration::from_secs(60),
            max_auth_failures: 3,
            auth_failure_delay: Duration::from_secs(2),
            // Dovecot's defaults: 3 before login (imap-login), 20 after (imap).
            max_bad_commands_before_login: 3,
            max_bad_commands_after_login: 20,
        }
    }
}

impl Config {
    /// The text of the greeting after `* OK [CAPABILITY ...]` (default `IMAP4rev1 Service
    /// Ready`, as in RFC 3501 §8). Must be valid `text` (RFC 3501 §9: no CR, LF or NUL, not
    /// starting with `[`).
    pub fn greeting(&mut self, text: &str) -> Result<&mut Self, ValueError> {
        self.greeting = Text::try_from(text)?;
        Ok(self)
    }

    /// Whether the greeting and the tagged OK of LOGIN, AUTHENTICATE and STARTTLS carry
    /// `[CAPABILITY ...]` (default on: clients then skip a CAPABILITY round trip; RFC 3501
    /// §7.1). Off gives the bare responses of RFC 3501 §8.
    pub fn capability_codes(&mut self, on: bool) -> &mut Self {
        self.capability_codes = on;
        self
    }

    /// The SASL mechanisms AUTHENTICATE offers (default PLAIN and LOGIN). CRAM-MD5 needs
    /// the plaintext password on the host's side. PLAIN and LOGIN are offered only over TLS
    /// unless [`plaintext_auth_without_tls`](Self::plaintext_auth_without_tls).
    pub fn mechanisms(&mut self, mechanisms: &[Mechanism]) -> &mut Self {
        self.mechanisms = mechanisms.to_vec();
        self
    }

    /// Offer STARTTLS on plain connections (default off: the host must be able to run a
    /// TLS handshake when [`Event::StartTls`](super::Event::StartTls) asks).
    pub fn starttls(&mut self, on: bool) -> &mut Self {
        self.starttls = on;
        self
    }

    /// Allow LOGIN and the PLAIN and LOGIN mechanisms without TLS (default off: RFC 3501
    /// §6.2.3 and §11.1; the session then advertises LOGINDISABLED). For transports that
    /// are private already (loopback, a UNIX socket, an SSH tunnel).
    pub fn plaintext_auth_without_tls(&mut self, allow: bool) -> &mut Self {
        self.plaintext_auth_without_tls = allow;
        self
    }

    /// The hierarchy delimiter of mailbox names (default `/`; Maildir++ stores use `.`).
    /// It appears in LIST and NAMESPACE (RFC 3501 §6.3.8, RFC 2342).
    pub fn delimiter(&mut self, delimiter: u8) -> Result<&mut Self, ValueError> {
        self.delimiter = Delimiter::new(delimiter)?;
        Ok(self)
    }

    /// What the ID command answers (RFC 2971 §3.3; default `NIL`, which tells attackers
    /// nothing). At most 30 pairs, field names at most 30 octets, values at most 1,024.
    pub fn id(&mut self, fields: &[(&str, &str)]) -> Result<&mut Self, ValueError> {
        if fields.len() > 30 {
            return Err(ValueError {
                what: "ID",
                reason: "more than 30 field-value pairs (RFC 2971 §3.3)",
            });
        }
        let mut out = Vec::new();
        for (name, value) in fields {
            if name.len() > 30 || value.len() > 1024 {
                return Err(ValueError {
                    what: "ID",
                    reason: "field over 30 or value over 1024 octets (RFC 2971 §3.3)",
                });
            }
            out.push((IString::try_from(*name)?, Some(IString::try_from(*value)?)));
        }
        self.id = Some(out);
        Ok(self)
    }

    /// Longest command, in octets outside its literals, CRLFs included (default 65,536;
    /// RFC 7162 §4 asks for at least 8,192, the floor). Longer: `BAD`, and the rest of the
    /// line is skipped unbuffered. Memory: this many octets per pending command.
    pub fn max_line(&mut self, octets: usize) -> &mut Self {
        self.max_line = octets.max(8192);
        self
    }

    /// Total literal octets of one command before login (default 8,192: a LOGIN with
    /// literal user name and password; at least 4,096 so that LITERAL- holds, RFC 7888 §5).
    /// Bigger: `BAD [TOOBIG]`, the literal refused before its bytes are read.
    pub fn max_literal_before_login(&mut self, octets: u32) -> &mut Self {
        self.max_literal_before_login = octets.max(LITERAL_MINUS_MAX);
        self
    }

    /// Total literal octets of one command after login, APPEND's message excepted (default
    /// 1 MiB: search strings and mailbox names; at least 4,096). Bigger: `BAD [TOOBIG]`
    /// before the bytes are read. Memory: this many octets per pending command.
    pub fn max_literal(&mut self, octets: u32) -> &mut Self {
        self.max_literal = octets.max(LITERAL_MINUS_MAX);
        self
    }

    /// Largest APPEND message, announced as `APPENDLIMIT` (RFC 7889; default 64 MiB, at
    /// least 4,096). Bigger: `NO [TOOBIG]` before the bytes are read. The message streams to
    /// the host in pieces, so the session's memory does not grow with it.
    pub fn max_append(&mut self, octets: u32) -> &mut Self {
        self.max_append = octets.max(LITERAL_MINUS_MAX);
        self
    }

    /// Deepest nesting of search keys and other recursive arguments (default 32, at least
    /// 8). Deeper: `BAD [LIMIT]` (RFC 5530). Bounds the parser's stack.
    pub fn max_depth(&mut self, depth: usize) -> &mut Self {
        self.max_depth = depth.max(8);
        self
    }

    /// Most elements of one list in a command: sequence-set elements, flags, search keys,
    /// fetch attributes (default 16,384, at least 1,024). More: `BAD [LIMIT]`.
    pub fn max_set_items(&mut self, items: usize) -> &mut Self {
        self.max_set_items = items.max(1024);
        self
    }

    /// Octets of received input held before [`wants_read`](super::Session::wants_read)
    /// says stop (default 256 KiB, at least 16 KiB). Pipelined commands wait here; feeding
    /// past it closes the session with `* BYE`. A single command being received may grow
    /// past it up to its own limits ([`max_line`](Self::max_line) plus the literal limit it
    /// was accepted under): it cannot be framed before it is whole.
    pub fn max_buffered_input(&mut self, octets: usize) -> &mut Self {
        self.max_buffered_input = octets.max(16 * 1024);
        self
    }

    /// Octets of output queued before the session stops producing more (default 256 KiB,
    /// at least 16 KiB): a FETCH of a whole mailbox, or many pipelined commands, wait until
    /// the host has written what is queued. Message bodies count by their size but are not
    /// copied.
    pub fn max_buffered_output(&mut self, octets: usize) -> &mut Self {
        self.max_buffered_output = octets.max(16 * 1024);
        self
    }

    /// Messages asked of the host ahead of the output during a FETCH or SEARCH that needs
    /// their data (default 32, 1 to 1,024). Memory: up to this many messages held at once.
    /// Requests go out in batches: the window is refilled once half of it is answered.
    pub fn fetch_window(&mut self, messages: usize) -> &mut Self {
        self.fetch_window = messages.clamp(1, 1024);
        self
    }

    /// Inactivity before the session logs out after login (default and minimum 30 minutes,
    /// RFC 3501 §5.4). IDLE counts as activity only when the client re-issues it
    /// (RFC 2177 §3: clients do so every 29 minutes).
    pub fn autologout(&mut self, timeout: Duration) -> &mut Self {
        self.autologout = timeout.max(MIN_AUTOLOGOUT);
        self
    }

    /// Inactivity before login after which the session closes with `* BYE` (default 60 s,
    /// at least 10 s).
    pub fn login_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.login_timeout = timeout.max(Duration::from_secs(10));
        self
    }

    /// How often `* OK Still here` goes out during IDLE (default 2 minutes, 10 s to 29
    /// minutes), so that NAT boxes keep the connection.
    pub fn idle_keepalive(&mut self, interval: Duration) -> &mut Self {
        self.idle_keepalive = interval.clamp(Duration::from_secs(10), Duration::from_secs(29 * 60));
        self
    }

    /// How long the host may take to answer a request (default 60 s, at least 1 s). Then
    /// the session answers reads with `NO [UNAVAILABLE]` and ends the connection with
    /// `* BYE` for anything that changes a mailbox, without claiming an outcome.
    pub fn host_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.host_timeout = timeout.max(Duration::from_secs(1));
        self
    }

    /// Failed logins before `* BYE` (default 3, at least 1).
    pub fn max_auth_failures(&mut self, count: u32) -> &mut Self {
        self.max_auth_failures = count.max(1);
        self
    }

    /// How long the reply to a failed login is held back (default 2 s, at most 15 s). The
    /// session reads no further command meanwhile and reports the deadline through
    /// [`poll_timeout`](super::Session::poll_timeout).
    pub fn auth_failure_delay(&mut self, delay: Duration) -> &mut Self {
        self.auth_failure_delay = delay.min(Duration::from_secs(15));
        self
    }

    /// Bad commands in a row (unknown, malformed, in the wrong state) before `* BYE`:
    /// `before` login (default 3: a client speaking another protocol, a cross-protocol
    /// attack) and `after` (default 20). At least 1 each.
    pub fn max_bad_commands(&mut self, before: u32, after: u32) -> &mut Self {
        self.max_bad_commands_before_login = before.max(1);
        self.max_bad_commands_after_login = after.max(1);
        self
    }
}
