//! A POP3 host for tests: an in-memory maildrop, a fake clock, and a
//! transcript runner that reads RFC-style `C:` / `S:` dialogues.

use bytes::{Buf, Bytes};
use pobox::Instant;
use pobox::pop3::server::{
    CloseReason, CommitError, Config, Event, LoginRejection, MessageInfo, RetrieveError, Session,
    Transport, UniqueId,
};
use pobox::pop3::wire_size;
use std::sync::Arc;
use std::time::Duration;

/// The randomness that makes RFC 1939 §7's timestamp
/// `<1896.697170952@dbc.mtview.ca.us>` (with hostname `dbc.mtview.ca.us`).
pub const RFC1939_NONCE: [u8; 16] = [0, 0, 0, 0, 0, 0, 7, 104, 0, 0, 0, 0, 41, 141, 252, 8];

/// How the test host answers.
#[derive(Clone, Debug, Default)]
pub struct Host {
    /// user → password
    pub users: Vec<(String, String)>,
    /// The maildrop, in message-number order.
    pub messages: Vec<(String, Bytes)>,
    /// Unique ids removed by commits.
    pub removed: Vec<String>,
    /// Reject every login that passes the password check with this.
    pub refuse_with: Option<LoginRejection>,
    /// Fail commits.
    pub commit_fails: bool,
    /// Fail retrievals.
    pub retrieve_fails: Option<RetrieveError>,
    /// Log of the events seen.
    pub log: Vec<String>,
}

impl Host {
    pub fn with_user(mut self, user: &str, password: &str) -> Host {
        self.users.push((user.into(), password.into()));
        self
    }

    pub fn with_message(mut self, uid: &str, message: impl Into<Bytes>) -> Host {
        self.messages.push((uid.into(), message.into()));
        self
    }

    fn password(&self, user: &str) -> Option<&str> {
        self.users
            .iter()
            .find(|(u, _)| u == user)
            .map(|(_, p)| p.as_str())
    }
}

/// A session, its host and a fake clock.
pub struct Harness {
    pub session: Session,
    pub host: Host,
    pub now: Instant,
    pub closed: Option<CloseReason>,
    /// Answer events as they come (false: leave them for the test).
    pub auto_answer: bool,
    pub unanswered: Vec<Event>,
}

impl Harness {
    pub fn new(config: Config, transport: Transport, host: Host) -> Harness {
        Harness::with_nonce(config, transport, host, [7; 16])
    }

    pub fn with_nonce(
        config: Config,
        transport: Transport,
        host: Host,
        nonce: [u8; 16],
    ) -> Harness {
        let now = Instant::now();
        Harness {
            session: Session::new(Arc::new(config), transport, nonce, now),
            host,
            now,
            closed: None,
            auto_answer: true,
            unanswered: Vec::new(),
        }
    }

    /// Feeds bytes, answers every event, lets short delays pass, and
    /// returns all output written since the last call.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.session.feed(self.now, bytes);
        self.drive();
        self.output()
    }

    /// As [`feed`](Self::feed), as text.
    pub fn say(&mut self, bytes: &str) -> String {
        String::from_utf8(self.feed(bytes.as_bytes())).expect("server output is UTF-8")
    }

    pub fn output(&mut self) -> Vec<u8> {
        let transmit = self.session.transmit();
        let n = transmit.remaining();
        transmit.copy_to_bytes(n).to_vec()
    }

    /// Answers events until none is left, letting failed-login delays
    /// (anything due within 30 seconds) pass on the fake clock.
    pub fn drive(&mut self) {
        loop {
            while let Some(event) = self.session.poll_event() {
                if self.auto_answer || matches!(event, Event::Closed(_)) {
                    self.answer(event);
                } else {
                    self.unanswered.push(event);
                }
            }
            match self.session.poll_timeout() {
                Some(at) if at <= self.now + Duration::from_secs(30) => {
                    self.now = at;
                    self.session.handle_timeout(at);
                }
                _ => return,
            }
        }
    }

    pub fn answer(&mut self, event: Event) {
        let now = self.now;
        match event {
            Event::Login(request) => {
                self.host.log.push(format!("login {}", request.user()));
                let ok = self
                    .host
                    .password(request.user())
                    .is_some_and(|p| request.credentials().verify(p.as_bytes()))
                    && match request.credentials() {
                        pobox::sasl::Credentials::Password {
                            authzid: Some(z), ..
                        } => z == request.user(),
                        _ => true,
                    };
                let verdict = if !ok {
                    Err(LoginRejection::BadCredentials)
                } else if let Some(rejection) = self.host.refuse_with {
                    Err(rejection)
                } else {
                    Ok(self
                        .host
                        .messages
                        .iter()
                        .map(|(uid, m)| {
                            MessageInfo::new(wire_size(m), UniqueId::new(uid.clone()).unwrap())
                        })
                        .collect())
                };
                self.session
                    .answer(request, verdict, now)
                    .expect("login answered in time");
            }
            Event::Retrieve(request) => {
                self.host.log.push(format!("retrieve {}", request.index()));
                let message = match self.host.retrieve_fails {
                    Some(error) => Err(error),
                    None => Ok(self.host.messages[request.index()].1.clone()),
                };
                self.session
                    .answer(request, message, now)
                    .expect("retrieve answered in time");
            }
            Event::Commit(request) => {
                let uids: Vec<String> = request
                    .deleted()
                    .iter()
                    .map(|(_, uid)| uid.to_string())
                    .collect();
                self.host.log.push(format!("commit {uids:?}"));
                let outcome = if self.host.commit_fails {
                    Err(CommitError::NotAllRemoved)
                } else {
                    self.host.removed.extend(uids);
                    Ok(())
                };
                self.session
                    .answer(request, outcome, now)
                    .expect("commit pending");
            }
            Event::StartTls(request) => {
                self.host.log.push("starttls".into());
                // The test transport needs no handshake; the output so far
                // (the +OK) stays queued for the caller to read.
                self.session.answer(request, (), now).expect("tls pending");
            }
            Event::Closed(reason) => {
                self.host.log.push(format!("closed {reason:?}"));
                self.closed = Some(reason);
            }
            other => panic!("unexpected event {other:?}"),
        }
    }
}

/// Runs an RFC-style dialogue: `S:` lines are what the server must send,
/// `C:` lines what the client sends; leading spaces and the RFC's `...`
/// elisions are ignored. Each client line's expected output is the `S:`
/// lines that follow it, compared byte for byte. Lines starting with `S~`
/// compare only the status indicator (`+OK` / `-ERR`), for RFC examples
/// whose free text differs from pobox's (RFC 1939 §9: "the reply given
/// ... is significant only to +OK and -ERR").
pub fn converse(harness: &mut Harness, script: &str) {
    let mut steps: Vec<(Option<String>, Vec<String>)> = vec![(None, Vec::new())];
    // Lines keep trailing spaces: RFC 5034's empty challenge is "+ ".
    for line in script.lines().map(str::trim_start) {
        if let Some(client) = line.strip_prefix("C:") {
            steps.push((Some(format!("{}\r\n", client.trim())), Vec::new()));
        } else if let Some(server) = line.strip_prefix("S:") {
            steps
                .last_mut()
                .unwrap()
                .1
                .push(server.trim_start().to_owned());
        } else if let Some(server) = line.strip_prefix("S~") {
            steps
                .last_mut()
                .unwrap()
                .1
                .push(format!("~{}", server.trim_start()));
        } else {
            assert!(matches!(line.trim(), "" | "..."), "script line {line:?}");
        }
    }
    for (client, expected) in steps {
        let output = match &client {
            None => harness.output(),
            Some(line) => harness.feed(line.as_bytes()),
        };
        let output = String::from_utf8(output).expect("UTF-8 output");
        let mut got = output.split_inclusive("\r\n");
        for want in &expected {
            let line = got.next().unwrap_or_default();
            if let Some(status) = want.strip_prefix('~') {
                let indicator = status.split(' ').next().unwrap_or_default();
                assert!(
                    line.starts_with(indicator),
                    "after {client:?}: expected {indicator} ..., got {line:?}"
                );
            } else {
                assert_eq!(line, format!("{want}\r\n"), "after {client:?}");
            }
        }
        let rest: String = got.collect();
        assert_eq!(rest, "", "after {client:?}: unexpected extra output");
    }
}
