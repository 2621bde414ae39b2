//! Tunables of a POP3 server session.

use crate::pop3::response::{Text, TextError};
use crate::sasl::Mechanism;
use std::time::Duration;

/// Settings shared by every session of a server. Build it once and share it
/// behind an `Arc`.
///
/// Every limit has a default taken from an RFC or from Dovecot's long
/// practice, and none can be switched off: the setters clamp to at least
/// the RFC's minimum.
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) greeting: Text,
    pub(crate) hostname: String,
    pub(crate) implementation: Option<Text>,
    pub(crate) apop: bool,
    pub(crate) mechanisms: Vec<Mechanism>,
    pub(crate) stls: bool,
    pub(crate) plaintext_auth_without_tls: bool,
    pub(crate) expire: Option<Expire>,
    pub(crate) login_delay: Option<u32>,
    pub(crate) max_line: usize,
    pub(crate) max_sasl_line: usize,
    pub(crate) max_buffered_input: usize,
    pub(crate) max_buffered_output: usize,
    pub(crate) autologout: Duration,
    pub(crate) host_timeout: Duration,
    pub(crate) max_auth_failures: u32,
    pub(crate) auth_failure_delay: Duration,
    pub(crate) max_bad_commands_before_login: u32,
    pub(crate) max_bad_commands_after_login: u32,
}

/// The EXPIRE policy announced in CAPA (RFC 2449 §6.7).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Expire {
    /// `EXPIRE NEVER`: the server does not delete messages on its own.
    Never,
    /// `EXPIRE n`: messages may be deleted after `n` days; `0` means the
    /// client may not leave mail on the server.
    Days(u32),
}

impl Default for Config {
    fn default() -> Self {
        Config {
            greeting: Text::from_static("POP3 server ready"),
            hostname: "localhost".to_owned(),
            implementation: None,
            apop: false,
            mechanisms: vec![Mechanism::Plain, Mechanism::Login],
            stls: false,
            plaintext_auth_without_tls: false,
            expire: None,
            login_delay: None,
            // RFC 2449 §4: servers MUST accept 255-octet command lines.
            max_line: 255,
            // RFC 5034 §4: SASL lines are not bound by the command limit.
            max_sasl_line: 8 * 1024,
            max_buffered_input: 64 * 1024,
            max_buffered_output: 256 * 1024,
            // RFC 1939 §3: an autologout timer "MUST be of at least 10 minutes".
            autologout: Duration::from_secs(10 * 60),
            host_timeout: Duration::from_secs(60),
            max_auth_failures: 3,
            auth_failure_delay: Duration::from_secs(2),
            // Dovecot's defaults (CLIENT_MAX_BAD_COMMANDS in pop3-login and pop3).
            max_bad_commands_before_login: 3,
            max_bad_commands_after_login: 20,
        }
    }
}

/// Why a [`Config`] setting was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The text cannot go on a response line.
    #[error("invalid response text: {0}")]
    Text(#[from] TextError),
    /// A host name must be 1..=255 octets of `atext` and dots, so that the
    /// APOP timestamp is a valid RFC 5322 msg-id.
    #[error("invalid host name")]
    Hostname,
    /// The IMPLEMENTATION capability must be a single token of printable ASCII.
    #[error("invalid implementation name")]
    Implementation,
}

impl Config {
    /// The text of the greeting after `+OK` (default `POP3 server ready`,
    /// as in RFC 1939 §4). The APOP timestamp follows it when APOP is on.
    pub fn greeting(&mut self, text: &str) -> Result<&mut Self, ConfigError> {
        self.greeting = Text::new(text)?;
        Ok(self)
    }

    /// The server's host name, used in the APOP timestamp and CRAM-MD5
    /// challenge (`<random@hostname>`) and in the QUIT reply (`+OK
    /// hostname POP3 server signing off`). Default `localhost`.
    pub fn hostname(&mut self, name: &str) -> Result<&mut Self, ConfigError> {
        let valid = !name.is_empty()
            && name.len() <= 255
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b));
        if !valid {
            return Err(ConfigError::Hostname);
        }
        self.hostname = name.to_owned();
        Ok(self)
    }

    /// The IMPLEMENTATION capability (RFC 2449 §6.9); off by default, since
    /// it tells attackers what they face. One token, printable ASCII.
    pub fn implementation(&mut self, name: &str) -> Result<&mut Self, ConfigError> {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ConfigError::Implementation);
        }
        self.implementation = Some(Text::new(name)?);
        Ok(self)
    }

    /// Offers APOP (RFC 1939 §7): the greeting carries a timestamp built
    /// from the randomness given to [`Session::new`](super::Session::new).
    /// Only for hosts that can read plaintext passwords. Default off.
    pub fn apop(&mut self, on: bool) -> &mut Self {
        self.apop = on;
        self
    }

    /// The SASL mechanisms offered by AUTH (RFC 5034), in this order.
    /// Default `PLAIN LOGIN`. CRAM-MD5 needs plaintext passwords on the host.
    pub fn mechanisms(&mut self, mechanisms: &[Mechanism]) -> &mut Self {
        self.mechanisms = mechanisms.to_vec();
        self.mechanisms.dedup();
        self
    }

    /// Offers STLS (RFC 2595 §4) on sessions that start in plaintext: the
    /// host can upgrade its transport. Default off.
    pub fn stls(&mut self, on: bool) -> &mut Self {
        self.stls = on;
        self
    }

    /// Allows USER/PASS, PLAIN and LOGIN on sessions without TLS. Default
    /// off, as RFC 5034 §4 asks ("this configuration SHOULD be the
    /// default"); turn it on only where the transport is private (loopback,
    /// a local pipe).
    pub fn plaintext_auth_without_tls(&mut self, allow: bool) -> &mut Self {
        self.plaintext_auth_without_tls = allow;
        self
    }

    /// Announces an EXPIRE policy (RFC 2449 §6.7). Default: not announced.
    pub fn expire(&mut self, expire: Option<Expire>) -> &mut Self {
        self.expire = expire;
        self
    }

    /// Announces LOGIN-DELAY seconds (RFC 2449 §6.5). The host enforces it
    /// by rejecting logins with [`LoginRejection::LoginDelay`](super::LoginRejection::LoginDelay).
    /// Default: not announced.
    pub fn login_delay(&mut self, seconds: Option<u32>) -> &mut Self {
        self.login_delay = seconds;
        self
    }

    /// Longest command line, terminator included. Default and minimum 255
    /// octets (RFC 2449 §4). A longer line is answered `-ERR` and skipped
    /// without being buffered.
    pub fn max_line(&mut self, octets: usize) -> &mut Self {
        self.max_line = octets.max(255);
        self
    }

    /// Longest line during an AUTH exchange. Default 8 KiB, minimum 255.
    /// RFC 5034 §4 exempts SASL lines from the command limit; this bounds
    /// them anyway. A longer line fails the exchange with `-ERR`.
    pub fn max_sasl_line(&mut self, octets: usize) -> &mut Self {
        self.max_sasl_line = octets.max(255);
        self
    }

    /// Most received bytes held unprocessed (pipelined commands waiting
    /// for the host or for output room). Default 64 KiB, minimum 1 KiB.
    /// [`Session::wants_read`](super::Session::wants_read) turns false at
    /// this level; feeding more anyway closes the session with `-ERR`.
    /// Worst-case memory: this plus the largest single `feed`.
    pub fn max_buffered_input(&mut self, octets: usize) -> &mut Self {
        self.max_buffered_input = octets.max(1024);
        self
    }

    /// Output level above which the session stops taking new commands until
    /// the host drains [`Session::transmit`](super::Session::transmit).
    /// Default 256 KiB, minimum 4 KiB. Message bodies are referenced, not
    /// copied, so they count only for their headers and inserts.
    pub fn max_buffered_output(&mut self, octets: usize) -> &mut Self {
        self.max_buffered_output = octets.max(4096);
        self
    }

    /// Inactivity autologout (RFC 1939 §3): default and minimum 10 minutes.
    /// When it fires the session closes without UPDATE and without a reply.
    pub fn autologout(&mut self, timeout: Duration) -> &mut Self {
        self.autologout = timeout.max(Duration::from_secs(10 * 60));
        self
    }

    /// How long the session waits for the host to answer a request. Then a
    /// login, RETR or TOP is answered `-ERR [SYS/TEMP]` by the session
    /// itself; a commit gets an `-ERR [SYS/TEMP]` that claims neither
    /// outcome (the host may still remove the messages) and the session
    /// closes; an STLS handshake closes it. Default 60 s, minimum 1 s.
    pub fn host_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.host_timeout = timeout.max(Duration::from_secs(1));
        self
    }

    /// Failed logins allowed per session; the last one's `-ERR` is followed
    /// by closing the connection. Default 3, minimum 1.
    pub fn max_auth_failures(&mut self, count: u32) -> &mut Self {
        self.max_auth_failures = count.max(1);
        self
    }

    /// How long the reply to a failed login is held back (the session
    /// never sleeps: it reports the deadline through
    /// [`Session::poll_timeout`](super::Session::poll_timeout)). Default 2 s
    /// (Dovecot's `auth_failure_delay`).
    pub fn auth_failure_delay(&mut self, delay: Duration) -> &mut Self {
        self.auth_failure_delay = delay;
        self
    }

    /// Bad commands in a row before the session closes: `before` login
    /// (default 3) and `after` (default 20), as Dovecot does. Minimum 1.
    pub fn max_bad_commands(&mut self, before: u32, after: u32) -> &mut Self {
        self.max_bad_commands_before_login = before.max(1);
        self.max_bad_commands_after_login = after.max(1);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_cannot_go_below_the_rfc_minimums() {
        let mut c = Config::default();
        c.max_line(10)
            .autologout(Duration::from_secs(5))
            .max_auth_failures(0);
        assert_eq!(c.max_line, 255);
        assert_eq!(c.autologout, Duration::from_secs(600));
        assert_eq!(c.max_auth_failures, 1);
    }

    #[test]
    fn host_supplied_text_is_validated() {
        let mut c = Config::default();
        assert!(c.greeting("ready\r\n+OK forged").is_err());
        assert!(c.hostname("a b").is_err());
        assert!(c.hostname("mail>x").is_err());
        assert!(c.hostname("mail.example.org").is_ok());
        assert!(c.implementation("pobox 0.1").is_err());
        assert!(c.implementation("pobox-0.1").is_ok());
    }
}
