//! AUTHORIZATION: USER/PASS and APOP (RFC 1939 §7), AUTH with SASL
//! (RFC 5034), STLS (RFC 2595 §4), and the host's answers to the login and
//! to the TLS handshake.

use super::event::{AuthMethod, Event, LoginRejection, LoginRequest, StartTlsRequest};
use super::maildrop::{Maildrop, MessageInfo};
use super::reply::drop_summary;
use super::{Config, Phase, Session, Tls, Waiting, not_pending};
use crate::answer::{AnswerError, UsageError};
use crate::pop3::command::{self, SaslResponse};
use crate::pop3::response::{self, Indicator, ResponseCode};
use crate::sasl::{self, Credentials, Exchange, Mechanism, Step};
use bytes::BytesMut;

/// The host's 16 random octets as two numbers.
pub(super) fn nonce_halves(random: &[u8; 16]) -> [u64; 2] {
    let mut high = [0u8; 8];
    let mut low = [0u8; 8];
    high.copy_from_slice(&random[..8]);
    low.copy_from_slice(&random[8..]);
    [u64::from_be_bytes(high), u64::from_be_bytes(low)]
}

/// The greeting's APOP timestamp, when APOP is on. RFC 1939 §7 suggests
/// `<process-ID.clock@hostname>`; two random 64-bit numbers take the place
/// of process id and clock, so it differs for every session.
pub(super) fn apop_timestamp(config: &Config, random: &[u8; 16]) -> Option<String> {
    let [high, low] = nonce_halves(random);
    config
        .apop
        .then(|| format!("<{high}.{low}@{}>", config.hostname))
}

impl Session {
    /// Plaintext passwords need TLS unless the host allows them
    /// (RFC 5034 §4; ARCHITECTURE.md, Decisions).
    pub(super) fn plaintext_allowed(&self) -> bool {
        self.tls == Tls::Active || self.config.plaintext_auth_without_tls
    }

    /// Back to a fresh AUTHORIZATION: no USER name, no exchange.
    fn forget_authorization(&mut self) {
        self.phase = Phase::Authorization {
            user: None,
            sasl: None,
        };
    }

    pub(super) fn user_command(&mut self, name: &str) {
        if !self.plaintext_allowed() {
            return self.plaintext_refused();
        }
        self.phase = Phase::Authorization {
            user: Some(name.to_owned()),
            sasl: None,
        };
        self.ok("");
    }

    pub(super) fn pass(&mut self, password: &[u8]) {
        let Phase::Authorization { user, .. } = &mut self.phase else {
            return;
        };
        let Some(user) = user.take() else {
            return self.bad_command("No USER given");
        };
        self.good_command();
        self.login(
            AuthMethod::UserPass,
            Credentials::Password {
                user,
                password: crate::Secret::new(password.to_vec()),
                authzid: None,
            },
        );
    }

    pub(super) fn apop(&mut self, name: &str, digest: [u8; 16]) {
        let timestamp = self.timestamp.clone().unwrap_or_default();
        self.good_command();
        self.login(
            AuthMethod::Apop,
            Credentials::Apop {
                user: name.to_owned(),
                timestamp,
                digest: crate::Secret::new(digest),
            },
        );
    }

    pub(super) fn auth(&mut self, mechanism: &str, initial_response: Option<&[u8]>) {
        let Some(mechanism) =
            Mechanism::from_name(mechanism).filter(|m| self.config.mechanisms.contains(m))
        else {
            return self.fail("Unsupported authentication mechanism");
        };
        if mechanism.sends_plaintext_password() && !self.plaintext_allowed() {
            return self.plaintext_refused();
        }
        // RFC 5034 §4: "=" is an empty initial response.
        let initial_response = match initial_response {
            None => None,
            Some(b"=") => Some(Vec::new()),
            Some(text) => match command::decode_base64(text) {
                Some(data) => Some(data),
                None => return self.fail("Invalid base64 data"),
            },
        };
        // RFC 2195 §2: a msg-id-like challenge, unique per exchange.
        self.next_serial += 1;
        let [_, low] = nonce_halves(&self.nonce);
        let challenge = format!("<{low}.{}@{}>", self.next_serial, self.config.hostname);
        let (exchange, step) = Exchange::start(mechanism, initial_response.as_deref(), &challenge);
        self.phase = Phase::Authorization {
            user: None,
            sasl: Some((mechanism, exchange)),
        };
        self.good_command();
        self.sasl_step(mechanism, step);
    }

    /// A client line inside an AUTH exchange.
    pub(super) fn sasl_line(&mut self, line: &[u8]) {
        if line.len() > self.config.max_sasl_line {
            return self.sasl_failed("Authentication line too long");
        }
        match command::parse_sasl_response(line) {
            // RFC 5034 §4: the server "MUST reject the AUTH command".
            Ok(SaslResponse::Cancel) => self.sasl_failed("Authentication canceled"),
            Err(_) => self.sasl_failed("Invalid base64 data"),
            Ok(SaslResponse::Data(data)) => {
                let Phase::Authorization {
                    sasl: Some((mechanism, exchange)),
                    ..
                } = &mut self.phase
                else {
                    return;
                };
                let mechanism = *mechanism;
                let step = exchange.respond(data.declassify());
                self.sasl_step(mechanism, step);
            }
        }
    }

    fn sasl_step(&mut self, mechanism: Mechanism, step: Step) {
        match step {
            Step::Challenge(challenge) => self
                .transmit
                .write(|out| response::encode_continuation(out, &challenge)),
            Step::Done(credentials) => self.login(AuthMethod::Sasl(mechanism), credentials),
            Step::Failed(sasl::SaslError::UnexpectedInitialResponse) => {
                self.sasl_failed("Mechanism does not take an initial response");
            }
            Step::Failed(_) => self.sasl_failed("Invalid authentication data"),
        }
    }

    /// The AUTH exchange is over without credentials: a bad command.
    pub(super) fn sasl_failed(&mut self, text: &str) {
        self.forget_authorization();
        self.bad_command(text);
    }

    /// Asks the host to check `credentials`.
    fn login(&mut self, method: AuthMethod, credentials: Credentials) {
        self.forget_authorization();
        let id = self.next_id();
        let user = credentials.user().to_owned();
        let event = Event::Login(LoginRequest {
            id,
            credentials,
            method,
            utf8: self.utf8,
        });
        self.wait_for(id, Waiting::Login { method, user }, event);
    }

    fn plaintext_refused(&mut self) {
        self.forget_authorization();
        self.good_command();
        self.reply(
            Indicator::Err,
            Some(&ResponseCode::Auth),
            "Plaintext authentication disallowed on non-secure connections",
        );
    }

    /// The host's verdict on a login: open the maildrop, or refuse.
    pub(super) fn answer_login(
        &mut self,
        request: LoginRequest,
        answer: Result<Vec<MessageInfo>, LoginRejection>,
    ) -> Result<(), AnswerError<LoginRequest>> {
        if !self.is_pending(&request) {
            return Err(not_pending(request));
        }
        // Checked before taking the request, so it stays pending for a
        // listing the host can fix.
        if let Ok(listing) = &answer {
            if u32::try_from(listing.len()).is_err() {
                return Err(AnswerError::new(request, UsageError::ListingTooLarge));
            }
        }
        let Some(Waiting::Login { method, user }) = self.pending_for(&request) else {
            return Err(not_pending(request));
        };
        match answer {
            Ok(listing) => self.open_maildrop(method, user, listing),
            Err(rejection) => self.login_refused(rejection),
        }
        Ok(())
    }

    /// Enters TRANSACTION (RFC 1939 §4).
    fn open_maildrop(&mut self, method: AuthMethod, user: String, listing: Vec<MessageInfo>) {
        let maildrop = Maildrop::new(listing);
        let (count, size) = maildrop.totals();
        let text = match method {
            // RFC 5034 §6's reply; RFC 1939 §10's for USER/PASS and APOP.
            AuthMethod::Sasl(_) => "Maildrop locked and ready".to_owned(),
            // A non-ASCII name is not echoed (RFC 6856 §2.1 outside UTF-8 replies).
            _ if user.is_ascii() => format!("{user}'s maildrop has {}", drop_summary(count, size)),
            _ => format!("maildrop has {}", drop_summary(count, size)),
        };
        self.reply(Indicator::Ok, None, &text);
        self.phase = Phase::Transaction { user, maildrop };
        self.bad_commands = 0;
    }

    /// Each rejection has its response code (RFC 2449 §8, RFC 3206).
    fn login_refused(&mut self, rejection: LoginRejection) {
        let (code, text) = match rejection {
            LoginRejection::BadCredentials => (ResponseCode::Auth, "Authentication failed"),
            LoginRejection::InUse => (
                // RFC 2449 §8's example text.
                ResponseCode::InUse,
                "Do you have another POP session running?",
            ),
            LoginRejection::LoginDelay => (ResponseCode::LoginDelay, "Logged in too recently"),
            LoginRejection::SysTemp => {
                (ResponseCode::SysTemp, "Unable to open maildrop, try later")
            }
            LoginRejection::SysPerm => (ResponseCode::SysPerm, "Unable to open maildrop"),
            LoginRejection::Utf8Required => (ResponseCode::Utf8, "Maildrop needs UTF8 mode"),
        };
        if rejection == LoginRejection::BadCredentials {
            // Held back, the same delay whether the user exists or not, so
            // neither the reply nor its timing tells them apart.
            self.auth_failures = self.auth_failures.saturating_add(1);
            let mut reply = BytesMut::new();
            response::encode_status(&mut reply, Indicator::Err, Some(&code), text);
            self.held = Some((self.now + self.config.auth_failure_delay, reply));
            self.release_held();
        } else {
            self.reply(Indicator::Err, Some(&code), text);
        }
    }

    pub(super) fn stls(&mut self) {
        if !self.config.stls && self.tls == Tls::Off {
            return self.bad_command("STLS not available");
        }
        if self.tls != Tls::Off {
            // RFC 2595 §4's example text.
            return self.fail("Command not permitted when TLS active");
        }
        if self.utf8 {
            // RFC 6856 §2.1: clients MUST NOT issue STLS after UTF8.
            return self.fail("STLS not permitted after UTF8");
        }
        self.ok("Begin TLS negotiation");
        self.forget_authorization();
        self.tls = Tls::Upgrading;
        // Whatever followed STLS in plaintext is discarded, never executed
        // (CVE-2011-0411); `feed` drops what comes until the answer.
        self.input.clear();
        let id = self.next_id();
        self.wait_for(
            id,
            Waiting::StartTls,
            Event::StartTls(StartTlsRequest { id }),
        );
    }

    /// The handshake is done. The session stays in AUTHORIZATION with
    /// nothing remembered from before it (RFC 2595 §4).
    pub(super) fn answer_start_tls(
        &mut self,
        request: StartTlsRequest,
        (): (),
    ) -> Result<(), AnswerError<StartTlsRequest>> {
        if self.pending_for(&request).is_none() {
            return Err(not_pending(request));
        }
        self.tls = Tls::Active;
        self.input.clear();
        Ok(())
    }
}
