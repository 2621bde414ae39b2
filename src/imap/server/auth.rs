//! Logging in: LOGIN (RFC 3501 §6.2.3), AUTHENTICATE with SASL-IR (§6.2.2, RFC 4959) and
//! STARTTLS (§6.2.1).

use bytes::Bytes;

use crate::Secret;
use crate::answer::{AnswerError, UsageError};
use crate::imap::{AuthenticateData, Code, IString, Tag, parse_authenticate_data};
use crate::sasl::{Credentials, Exchange, Mechanism, SaslError, Step};

use super::event::sealed::Kind;
use super::event::{AuthMethod, Event, LoginRejection, LoginRequest, StartTlsRequest};
use super::input::Item;
use super::{Job, Session, Tls, Waiting};

impl Session {
    pub(super) fn starttls(&mut self, tag: Tag) {
        if self.tls == Tls::Active {
            return self.bad(Some(&tag), None, "TLS is already active");
        }
        if !self.config.starttls {
            return self.bad(Some(&tag), None, "STARTTLS is not available");
        }
        self.tagged_ok(&tag, None, "Begin TLS negotiation now");
        self.tls = Tls::Upgrading;
        // Whatever followed STARTTLS in plaintext is discarded, never executed
        // (RFC 3501 §6.2.1; CVE-2011-0411).
        self.input.clear();
        let id = self.id();
        self.wait(
            tag,
            id,
            Kind::StartTls,
            Waiting::StartTls,
            Event::StartTls(StartTlsRequest { id }),
        );
    }

    pub(super) fn answer_start_tls(
        &mut self,
        request: StartTlsRequest,
        (): (),
    ) -> Result<(), AnswerError<StartTlsRequest>> {
        if self.pending_for(&request).is_none() {
            return Err(AnswerError::new(request, UsageError::NotPending));
        }
        self.tls = Tls::Active;
        self.input.clear();
        Ok(())
    }

    pub(super) fn login(&mut self, tag: Tag, username: IString, password: Secret<IString>) {
        if !self.plaintext_allowed() {
            return self.privacy_required(&tag);
        }
        let Some(user) = username.as_str() else {
            return self.tagged_no(
                &tag,
                Some(Code::AuthenticationFailed),
                "Authentication failed",
            );
        };
        let credentials = Credentials::Password {
            user: user.to_owned(),
            password: Secret::new(password.declassify().as_bytes().to_vec()),
            authzid: None,
        };
        self.check_login(tag, AuthMethod::Login, credentials);
    }

    fn privacy_required(&mut self, tag: &Tag) {
        self.tagged_no(
            tag,
            Some(Code::PrivacyRequired),
            "Plaintext authentication disallowed on non-secure connections",
        );
    }

    pub(super) fn authenticate(
        &mut self,
        tag: Tag,
        mechanism: &crate::imap::Atom,
        initial: Option<Secret<Bytes>>,
    ) {
        let offered = mechanism
            .as_str()
            .and_then(Mechanism::from_name)
            .filter(|m| self.config.mechanisms.contains(m));
        let Some(mechanism) = offered else {
            return self.tagged_no(&tag, None, "Unsupported authentication mechanism");
        };
        if mechanism.sends_plaintext_password() && !self.plaintext_allowed() {
            return self.privacy_required(&tag);
        }
        let challenge = self.cram_challenge();
        let initial = initial.map(|ir| ir.declassify().to_vec());
        let (exchange, step) = Exchange::start(mechanism, initial.as_deref(), &challenge);
        self.sasl_step(tag, mechanism, exchange, step);
    }

    fn sasl_step(&mut self, tag: Tag, mechanism: Mechanism, exchange: Exchange, step: Step) {
        match step {
            Step::Challenge(challenge) => {
                let response = crate::imap::Response::Continue(crate::imap::Continue::Base64(
                    Bytes::from(challenge),
                ));
                self.transmit.encode(|e| e.response(&response));
                self.input.set_line_mode(true);
                self.job = Some(Job::Sasl {
                    tag,
                    mechanism,
                    exchange,
                });
            }
            Step::Done(credentials) => {
                self.check_login(tag, AuthMethod::Sasl(mechanism), credentials)
            }
            Step::Failed(SaslError::UnexpectedInitialResponse) => {
                self.bad(
                    Some(&tag),
                    None,
                    "Mechanism does not take an initial response",
                );
            }
            Step::Failed(_) => self.bad(Some(&tag), None, "Invalid authentication data"),
        }
    }

    /// A client line during AUTHENTICATE (RFC 3501 §6.2.2).
    pub(super) fn sasl_line(
        &mut self,
        tag: Tag,
        mechanism: Mechanism,
        mut exchange: Exchange,
        item: Item,
    ) {
        self.input.set_line_mode(false);
        let Item::Frame(line) = item else {
            return self.bad(Some(&tag), None, "Authentication line too long");
        };
        match parse_authenticate_data(&line, &self.limits) {
            // "If the server receives such a response, it MUST reject the AUTHENTICATE
            // command by sending a tagged BAD response."
            Ok(crate::Status::Complete((_, AuthenticateData::Cancel))) => {
                self.bad(Some(&tag), None, "Authentication cancelled");
            }
            Ok(crate::Status::Complete((_, AuthenticateData::Response(data)))) => {
                let step = exchange.respond(data.declassify());
                self.sasl_step(tag, mechanism, exchange, step);
            }
            Ok(crate::Status::Partial) | Err(_) => {
                self.bad(Some(&tag), None, "Invalid base64 data")
            }
        }
    }

    fn check_login(&mut self, tag: Tag, method: AuthMethod, credentials: Credentials) {
        let id = self.id();
        let request = LoginRequest {
            id,
            credentials,
            method,
        };
        self.wait(tag, id, Kind::Login, Waiting::Login, Event::Login(request));
    }

    pub(super) fn answer_login(
        &mut self,
        request: LoginRequest,
        answer: Result<(), LoginRejection>,
    ) -> Result<(), AnswerError<LoginRequest>> {
        let Some(pending) = self.pending_for(&request) else {
            return Err(AnswerError::new(request, UsageError::NotPending));
        };
        let tag = pending.tag;
        match answer {
            Ok(()) => {
                self.user = Some(request.user().to_owned());
                self.auth_failures = 0;
                let code = self.capability_code();
                let done = match request.method() {
                    AuthMethod::Login => "LOGIN completed",
                    AuthMethod::Sasl(_) => "AUTHENTICATE completed",
                };
                self.tagged_ok(&tag, code, done);
            }
            Err(rejection) => {
                let (code, s) = match rejection {
                    LoginRejection::BadCredentials => {
                        (Code::AuthenticationFailed, "Authentication failed")
                    }
                    LoginRejection::NotAuthorized => (Code::AuthorizationFailed, "Not authorized"),
                    LoginRejection::Expired => (Code::Expired, "Authentication expired"),
                    LoginRejection::Unavailable => {
                        (Code::Unavailable, "Authentication service unavailable")
                    }
                    LoginRejection::ContactAdmin => {
                        (Code::ContactAdmin, "Contact the administrator")
                    }
                };
                // Held back: the same delay whether the user exists or not, and no further
                // command is read meanwhile.
                self.auth_failures = self.auth_failures.saturating_add(1);
                self.bad_commands = 0;
                let mut held =
                    Session::detached_status(&tag, crate::imap::StatusKind::No, Some(code), s);
                if self.config.auth_failure_delay.is_zero() {
                    self.transmit.write(|out| out.extend_from_slice(&held));
                    held.clear();
                    if self.auth_failures >= self.config.max_auth_failures {
                        self.bye(None, "Too many authentication failures");
                        self.close(super::CloseReason::TooManyAuthFailures);
                    }
                } else {
                    self.held = Some((self.now + self.config.auth_failure_delay, held));
                }
            }
        }
        Ok(())
    }

    /// A status line encoded apart from the output (for a reply held back).
    fn detached_status(
        tag: &Tag,
        kind: crate::imap::StatusKind,
        code: Option<Code>,
        s: &'static str,
    ) -> bytes::BytesMut {
        let mut encoder = crate::imap::Encoder::new();
        encoder.response(&crate::imap::Response::Status(
            crate::imap::StatusResponse {
                tag: Some(tag.clone()),
                kind,
                code,
                text: super::text(s),
            },
        ));
        bytes::BytesMut::from(&encoder.to_vec()[..])
    }
}
