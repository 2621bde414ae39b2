//! Server side of the SASL mechanisms POP3 and IMAP offer, and the
//! credentials a host checks.
//!
//! An [`Exchange`] runs one mechanism: it takes the client's decoded
//! responses and gives back challenges until it has [`Credentials`]. The
//! protocol layer (POP3 `AUTH`, IMAP `AUTHENTICATE`) does the base64 and the
//! line handling; this module only knows the mechanisms:
//!
//! | mechanism | RFC | sends the password | initial response |
//! |-----------|-----|--------------------|------------------|
//! | `PLAIN`   | RFC 4616 | yes | allowed |
//! | `LOGIN`   | draft-murchison-sasl-login | yes | allowed (the user name) |
//! | `CRAM-MD5`| RFC 2195 | no (HMAC-MD5 digest) | not allowed: server speaks first |
//!
//! The host never needs to know which mechanism ran: it gets
//! [`Credentials`] and either checks a password it can see, or, for the
//! digest mechanisms (APOP, CRAM-MD5), calls [`Credentials::verify`] with
//! the stored plaintext secret.

use crate::Secret;
use md5::{Digest as _, Md5};
use std::fmt;

/// A SASL mechanism pobox can run on the server side.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum Mechanism {
    /// `PLAIN` (RFC 4616).
    Plain,
    /// `LOGIN` (draft-murchison-sasl-login; sent by Outlook and many others).
    Login,
    /// `CRAM-MD5` (RFC 2195).
    CramMd5,
}

impl Mechanism {
    /// Every mechanism, in the order servers usually advertise them.
    pub const ALL: [Mechanism; 3] = [Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5];

    /// The registered name.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::CramMd5 => "CRAM-MD5",
        }
    }

    /// Looks a mechanism up by name, case-insensitively (RFC 4422 §3.1
    /// names are upper case, but POP3 and IMAP compare without case).
    pub fn from_name(name: &str) -> Option<Mechanism> {
        Mechanism::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
    }

    /// `true` when the mechanism sends the password itself, so it must be
    /// offered only over TLS unless the host decides otherwise (RFC 5034 §4,
    /// RFC 4616 §6).
    pub fn sends_plaintext_password(self) -> bool {
        matches!(self, Mechanism::Plain | Mechanism::Login)
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a client proved about itself; the host decides if it is enough.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum Credentials {
    /// A user name and password in the clear (USER/PASS, PLAIN, LOGIN).
    Password {
        /// The authentication identity (the user logging in).
        user: String,
        /// The password as sent.
        password: Secret<Vec<u8>>,
        /// The authorization identity of PLAIN (RFC 4616 §2), when the
        /// client asked to act as someone else. `None` when absent or empty.
        authzid: Option<String>,
    },
    /// APOP (RFC 1939 §7): MD5 of the greeting's timestamp and the secret.
    Apop {
        /// The user name.
        user: String,
        /// The timestamp the server sent, brackets included.
        timestamp: String,
        /// The digest the client sent.
        digest: Secret<[u8; 16]>,
    },
    /// CRAM-MD5 (RFC 2195): HMAC-MD5 of the challenge keyed by the secret.
    CramMd5 {
        /// The user name.
        user: String,
        /// The challenge the server sent.
        challenge: String,
        /// The digest the client sent.
        digest: Secret<[u8; 16]>,
    },
}

impl Credentials {
    /// The user name the client gave.
    pub fn user(&self) -> &str {
        match self {
            Credentials::Password { user, .. }
            | Credentials::Apop { user, .. }
            | Credentials::CramMd5 { user, .. } => user,
        }
    }

    /// The password, when the client sent it in the clear.
    pub fn password(&self) -> Option<&[u8]> {
        match self {
            Credentials::Password { password, .. } => Some(password.declassify()),
            _ => None,
        }
    }

    /// Checks the credentials against the user's plaintext secret, in time
    /// that does not depend on where the first difference is.
    ///
    /// For hosts that store only password hashes, match on
    /// [`Credentials::Password`] and check the hash instead; APOP and
    /// CRAM-MD5 cannot be checked against a hash.
    pub fn verify(&self, secret: &[u8]) -> bool {
        match self {
            Credentials::Password { password, .. } => ct_eq(password.declassify(), secret),
            Credentials::Apop {
                timestamp, digest, ..
            } => {
                let mut md5 = Md5::new();
                md5.update(timestamp.as_bytes());
                md5.update(secret);
                ct_eq(&md5.finalize()[..], digest.declassify())
            }
            Credentials::CramMd5 {
                challenge, digest, ..
            } => ct_eq(&hmac_md5(secret, challenge.as_bytes()), digest.declassify()),
        }
    }
}

/// Compares without an early exit (the length is not secret).
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// HMAC-MD5 (RFC 2104), as CRAM-MD5 uses it (RFC 2195 §2).
fn hmac_md5(key: &[u8], message: &[u8]) -> [u8; 16] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..16].copy_from_slice(&Md5::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|k| k ^ byte);
    let mut inner = Md5::new();
    inner.update(pad(0x36));
    inner.update(message);
    let mut outer = Md5::new();
    outer.update(pad(0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// Why an exchange failed. The protocol layer answers each with its
/// failure reply (`-ERR`, `NO`, `BAD`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SaslError {
    /// The client's message does not follow the mechanism's syntax.
    #[error("malformed SASL message")]
    Malformed,
    /// An initial response for a mechanism where the server speaks first
    /// (RFC 4422 §3.3; RFC 5034 §4 says to reject the command).
    #[error("mechanism does not take an initial response")]
    UnexpectedInitialResponse,
    /// A response after the exchange has ended.
    #[error("exchange already complete")]
    Finished,
}

/// The next step of an exchange.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Step {
    /// Send this challenge (unencoded) and wait for the next response.
    Challenge(Vec<u8>),
    /// The exchange is over; the host must check these credentials.
    Done(Credentials),
    /// The exchange failed.
    Failed(SaslError),
}

/// One run of a mechanism on the server side.
#[derive(Clone, Debug)]
pub struct Exchange {
    state: ExchangeState,
}

#[derive(Clone, Debug)]
enum ExchangeState {
    /// PLAIN, waiting for the message after an empty challenge.
    Plain,
    /// LOGIN, waiting for the user name.
    LoginUser,
    /// LOGIN, waiting for the password of this user.
    LoginPassword(String),
    /// CRAM-MD5, waiting for `user SP digest` for this challenge.
    CramMd5(String),
    Finished,
}

/// Longest PLAIN field (RFC 4616 §2: "up to 255 octets" each).
const MAX_PLAIN_FIELD: usize = 255;

impl Exchange {
    /// Starts `mechanism` with the client's optional initial response.
    ///
    /// `challenge` is the unique string CRAM-MD5 sends (RFC 2195 §2 asks for
    /// a msg-id such as `<1896.697170952@postoffice.example.net>`); the
    /// protocol layer builds it from host-supplied randomness. Other
    /// mechanisms ignore it.
    pub fn start(
        mechanism: Mechanism,
        initial_response: Option<&[u8]>,
        challenge: &str,
    ) -> (Exchange, Step) {
        let mut exchange = Exchange {
            state: ExchangeState::Finished,
        };
        let step = match (mechanism, initial_response) {
            (Mechanism::Plain, Some(ir)) => exchange.finish(plain(ir)),
            (Mechanism::Plain, None) => {
                exchange.state = ExchangeState::Plain;
                Step::Challenge(Vec::new())
            }
            (Mechanism::Login, Some(user)) => exchange.login_user(user),
            (Mechanism::Login, None) => {
                exchange.state = ExchangeState::LoginUser;
                Step::Challenge(b"Username:".to_vec())
            }
            (Mechanism::CramMd5, Some(_)) => Step::Failed(SaslError::UnexpectedInitialResponse),
            (Mechanism::CramMd5, None) => {
                exchange.state = ExchangeState::CramMd5(challenge.to_owned());
                Step::Challenge(challenge.as_bytes().to_vec())
            }
        };
        (exchange, step)
    }

    /// Feeds the client's next (decoded) response.
    pub fn respond(&mut self, response: &[u8]) -> Step {
        match std::mem::replace(&mut self.state, ExchangeState::Finished) {
            ExchangeState::Plain => self.finish(plain(response)),
            ExchangeState::LoginUser => self.login_user(response),
            ExchangeState::LoginPassword(user) => self.finish(Ok(Credentials::Password {
                user,
                password: Secret::new(response.to_vec()),
                authzid: None,
            })),
            ExchangeState::CramMd5(challenge) => self.finish(cram_md5(response, challenge)),
            ExchangeState::Finished => Step::Failed(SaslError::Finished),
        }
    }

    fn login_user(&mut self, user: &[u8]) -> Step {
        match utf8(user) {
            Ok(user) => {
                self.state = ExchangeState::LoginPassword(user);
                Step::Challenge(b"Password:".to_vec())
            }
            Err(e) => Step::Failed(e),
        }
    }

    fn finish(&mut self, result: Result<Credentials, SaslError>) -> Step {
        self.state = ExchangeState::Finished;
        match result {
            Ok(credentials) => Step::Done(credentials),
            Err(e) => Step::Failed(e),
        }
    }
}

/// `message = [authzid] UTF8NUL authcid UTF8NUL passwd` (RFC 4616 §2).
fn plain(message: &[u8]) -> Result<Credentials, SaslError> {
    let (authzid, authcid, passwd) = grammar::message(message)?;
    Ok(Credentials::Password {
        user: utf8(authcid)?,
        password: Secret::new(passwd.to_vec()),
        authzid: match authzid {
            [] => None,
            id => Some(utf8(id)?),
        },
    })
}

/// `user SP digest` with the digest as 32 lower-case hex digits (RFC 2195 §2).
fn cram_md5(response: &[u8], challenge: String) -> Result<Credentials, SaslError> {
    let (user, digest) = grammar::cram_md5_response(response)?;
    Ok(Credentials::CramMd5 {
        user: utf8(user)?,
        challenge,
        digest: Secret::new(digest),
    })
}

/// The client messages of PLAIN (RFC 4616 §2) and CRAM-MD5 (RFC 2195 §2) as nom 8
/// parsers, one function per ABNF rule; any failure is [`SaslError::Malformed`].
mod grammar {
    use nom::IResult;
    use nom::Parser;
    use nom::bytes::complete::{tag, take_while_m_n};
    use nom::combinator::{all_consuming, eof};
    use nom::sequence::{preceded, terminated};

    use super::{MAX_PLAIN_FIELD, SaslError};

    type PResult<'a, T> = IResult<&'a [u8], T>;

    /// Runs `rule` on all of `input`.
    fn whole<'a, T>(
        input: &'a [u8],
        rule: impl Parser<&'a [u8], Output = T, Error = nom::error::Error<&'a [u8]>>,
    ) -> Result<T, SaslError> {
        all_consuming(rule)
            .parse(input)
            .map(|(_, v)| v)
            .map_err(|_| SaslError::Malformed)
    }

    /// `UTF8NUL = %x00` (RFC 4616 §2).
    fn utf8nul(i: &[u8]) -> PResult<'_, &[u8]> {
        tag(&[0u8][..])(i)
    }

    /// `1*SAFE` with `min` octets at least and at most 255 (RFC 4616 §2: "up to 255
    /// octets"): `authzid`, `authcid` and `passwd` hold no NUL.
    fn field(min: usize) -> impl Fn(&[u8]) -> PResult<'_, &[u8]> {
        move |i| take_while_m_n(min, MAX_PLAIN_FIELD, |b| b != 0)(i)
    }

    /// `message = [authzid] UTF8NUL authcid UTF8NUL passwd`; `authcid = 1*SAFE`;
    /// `passwd = 1*SAFE` (RFC 4616 §2).
    #[allow(clippy::type_complexity)]
    pub(super) fn message(message: &[u8]) -> Result<(&[u8], &[u8], &[u8]), SaslError> {
        whole(
            message,
            (
                terminated(field(0), utf8nul),
                terminated(field(1), utf8nul),
                field(1),
            ),
        )
    }

    /// `digest = 32(DIGIT / %x61-66)`: 16 octets as hex (RFC 2195 §2; upper case is
    /// accepted too).
    fn digest(i: &[u8]) -> PResult<'_, [u8; 16]> {
        let (rest, hex) = take_while_m_n(32, 32, |b: u8| b.is_ascii_hexdigit())(i)?;
        let mut out = [0u8; 16];
        let nibble = |c: u8| char::from(c).to_digit(16).unwrap_or(0) as u8;
        for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
            if let [hi, lo] = *pair {
                *byte = nibble(hi) << 4 | nibble(lo);
            }
        }
        Ok((rest, out))
    }

    /// `response = user SP digest` (RFC 2195 §2): the user name is everything before the
    /// last SP (it may hold spaces) and may not be empty.
    pub(super) fn cram_md5_response(response: &[u8]) -> Result<(&[u8], [u8; 16]), SaslError> {
        let split = response.len().checked_sub(33).ok_or(SaslError::Malformed)?;
        let (user, tail) = response.split_at(split);
        if user.is_empty() {
            return Err(SaslError::Malformed);
        }
        let digest = whole(tail, terminated(preceded(tag(&b" "[..]), digest), eof))?;
        Ok((user, digest))
    }
}

fn utf8(bytes: &[u8]) -> Result<String, SaslError> {
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.is_empty() && !s.contains('\0') => Ok(s.to_owned()),
        _ => Err(SaslError::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(step: Step) -> Credentials {
        match step {
            Step::Done(c) => c,
            other => panic!("expected credentials, got {other:?}"),
        }
    }

    #[test]
    fn rfc4616_4_plain_examples() {
        // "The client sends the authorization identity "Ursel", the
        // authentication identity "Kurt" and the password "xipj3plmq"".
        let (_, step) = Exchange::start(Mechanism::Plain, Some(b"Ursel\0Kurt\0xipj3plmq"), "");
        let c = done(step);
        assert_eq!(c.user(), "Kurt");
        assert!(c.verify(b"xipj3plmq"));
        assert!(!c.verify(b"xipj3plmQ"));
        assert!(matches!(&c, Credentials::Password { authzid: Some(z), .. } if z == "Ursel"));
        // Without authzid, after an empty challenge.
        let (mut ex, step) = Exchange::start(Mechanism::Plain, None, "");
        assert_eq!(step, Step::Challenge(Vec::new()));
        let c = done(ex.respond(b"\0tim\0tanstaaftanstaaf"));
        assert!(matches!(&c, Credentials::Password { authzid: None, .. }));
        assert_eq!(ex.respond(b"again"), Step::Failed(SaslError::Finished));
    }

    #[test]
    fn plain_rejects_malformed_messages() {
        for bad in [
            &b"no-nuls"[..],
            b"\0user",
            b"\0\0password",
            b"\0user\0",
            b"\0user\0pass\0word",
            b"\0\xff\0pw",
        ] {
            let (_, step) = Exchange::start(Mechanism::Plain, Some(bad), "");
            assert_eq!(step, Step::Failed(SaslError::Malformed), "{bad:?}");
        }
        let long = [&[0u8][..], &[b'u'; 256], b"\0pw"].concat();
        let (_, step) = Exchange::start(Mechanism::Plain, Some(&long), "");
        assert_eq!(step, Step::Failed(SaslError::Malformed));
    }

    #[test]
    fn login_asks_user_then_password() {
        let (mut ex, step) = Exchange::start(Mechanism::Login, None, "");
        assert_eq!(step, Step::Challenge(b"Username:".to_vec()));
        assert_eq!(ex.respond(b"tim"), Step::Challenge(b"Password:".to_vec()));
        let c = done(ex.respond(b"pass word"));
        assert_eq!(c.user(), "tim");
        assert_eq!(c.password(), Some(&b"pass word"[..]));
        // The user name may come as the initial response.
        let (mut ex, step) = Exchange::start(Mechanism::Login, Some(b"tim"), "");
        assert_eq!(step, Step::Challenge(b"Password:".to_vec()));
        assert_eq!(done(ex.respond(b"x")).user(), "tim");
    }

    #[test]
    fn rfc2195_2_cram_md5_example() {
        let challenge = "<1896.697170952@postoffice.reston.mci.net>";
        let (mut ex, step) = Exchange::start(Mechanism::CramMd5, None, challenge);
        assert_eq!(step, Step::Challenge(challenge.as_bytes().to_vec()));
        let c = done(ex.respond(b"tim b913a602c7eda7a495b4e6e7334d3890"));
        assert_eq!(c.user(), "tim");
        assert_eq!(c.password(), None);
        assert!(c.verify(b"tanstaaftanstaaf"));
        assert!(!c.verify(b"tanstaaf"));
        let (_, step) = Exchange::start(Mechanism::CramMd5, Some(b"x"), challenge);
        assert_eq!(step, Step::Failed(SaslError::UnexpectedInitialResponse));
        let (mut ex, _) = Exchange::start(Mechanism::CramMd5, None, challenge);
        assert_eq!(ex.respond(b"tim b913"), Step::Failed(SaslError::Malformed));
    }

    #[test]
    fn rfc2195_2_cram_md5_digest_is_32_hex_digits() {
        let challenge = "<1896.697170952@postoffice.reston.mci.net>";
        for bad in [
            // "+9" read as 0x09 by `from_str_radix`: not a hex digit pair.
            &b"tim +913a602c7eda7a495b4e6e7334d3890"[..],
            b"tim b913a602c7eda7a495b4e6e7334d389g",
            b"tim b913a602c7eda7a495b4e6e7334d38900",
            b" b913a602c7eda7a495b4e6e7334d3890",
            b"timb913a602c7eda7a495b4e6e7334d3890",
        ] {
            let (mut ex, _) = Exchange::start(Mechanism::CramMd5, None, challenge);
            assert_eq!(
                ex.respond(bad),
                Step::Failed(SaslError::Malformed),
                "{bad:?}"
            );
        }
        // The user name is everything before the last space; upper-case hex is accepted.
        let (mut ex, _) = Exchange::start(Mechanism::CramMd5, None, challenge);
        let c = done(ex.respond(b"tim smith B913A602C7EDA7A495B4E6E7334D3890"));
        assert_eq!(c.user(), "tim smith");
    }

    #[test]
    fn rfc1939_7_apop_example_verifies() {
        let c = Credentials::Apop {
            user: "mrose".into(),
            timestamp: "<1896.697170952@dbc.mtview.ca.us>".into(),
            digest: Secret::new([
                0xc4, 0xc9, 0x33, 0x4b, 0xac, 0x56, 0x0e, 0xcc, 0x97, 0x9e, 0x58, 0x00, 0x1b, 0x3e,
                0x22, 0xfb,
            ]),
        };
        assert!(c.verify(b"tanstaaf"));
        assert!(!c.verify(b"tanstaa"));
    }

    #[test]
    fn hmac_md5_rfc2104_long_key() {
        // RFC 2202 test case 6: an 80-octet key is hashed first.
        let mac = hmac_md5(
            &[0xaa; 80],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(
            crate::pop3::command::hex_lower(&mac),
            b"6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"
        );
    }

    #[test]
    fn mechanism_names() {
        assert_eq!(Mechanism::from_name("cram-md5"), Some(Mechanism::CramMd5));
        assert_eq!(Mechanism::from_name("DIGEST-MD5"), None);
        assert!(Mechanism::Plain.sends_plaintext_password());
        assert!(!Mechanism::CramMd5.sends_plaintext_password());
    }
}
