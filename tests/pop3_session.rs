//! POP3 session behaviour beyond the RFC examples: authentication rules,
//! STLS, limits, timers, async answers, zero-copy output.

mod support;

use bytes::{Buf, Bytes};
use pobox::pop3::server::{
    CloseReason, Config, Event, LoginRejection, RetrieveError, State, Transport,
};
use pobox::sasl::Mechanism;
use pobox::{AnswerError, UsageError};
use std::time::Duration;
use support::pop3::{Harness, Host, converse};

fn host() -> Host {
    Host::default()
        .with_user("alice", "wonderland")
        .with_message("uid-1", "Subject: one\r\n\r\nbody one\r\n")
        .with_message("uid-2", "Subject: two\n\n.dot line\nlast")
}

fn plain_config() -> Config {
    let mut config = Config::default();
    config.plaintext_auth_without_tls(true);
    config
}

fn session() -> Harness {
    let mut h = Harness::new(plain_config(), Transport::Plain, host());
    h.output();
    h
}

fn logged_in() -> Harness {
    let mut h = session();
    assert!(
        h.say("USER alice\r\nPASS wonderland\r\n")
            .ends_with("(59 octets)\r\n")
    );
    h
}

// ---- authentication -----------------------------------------------------

#[test]
fn unknown_user_and_wrong_password_get_the_same_reply() {
    let mut h = session();
    let unknown = h.say("USER mallory\r\nPASS wonderland\r\n");
    let wrong = h.say("USER alice\r\nPASS wrong\r\n");
    assert_eq!(unknown, "+OK\r\n-ERR [AUTH] Authentication failed\r\n");
    assert_eq!(unknown, wrong);
}

#[test]
fn failed_login_reply_is_held_for_the_failure_delay() {
    let mut h = session();
    h.auto_answer = false;
    assert_eq!(h.say("USER alice\r\nPASS wrong\r\nNOOP\r\n"), "+OK\r\n");
    let Some(Event::Login(request)) = h.unanswered.pop() else {
        panic!("no login event");
    };
    let now = h.now;
    h.session
        .answer(request, Err(LoginRejection::BadCredentials), now)
        .unwrap();
    // Nothing is sent until the delay has passed: the session never sleeps,
    // it reports the deadline.
    assert_eq!(h.output(), b"");
    assert_eq!(h.session.poll_timeout(), Some(now + Duration::from_secs(2)));
    h.session.handle_timeout(now + Duration::from_secs(1));
    assert_eq!(h.output(), b"");
    h.session.handle_timeout(now + Duration::from_secs(2));
    // The pipelined NOOP is answered after the held reply, in order.
    assert_eq!(
        String::from_utf8(h.output()).unwrap(),
        "-ERR [AUTH] Authentication failed\r\n-ERR Command not valid in this state\r\n"
    );
}

#[test]
fn too_many_failed_logins_close_the_session() {
    let mut config = plain_config();
    config.max_auth_failures(2);
    let mut h = Harness::new(config, Transport::Plain, host());
    h.output();
    assert_eq!(
        h.say("USER alice\r\nPASS x\r\nUSER alice\r\nPASS y\r\nUSER alice\r\n"),
        "+OK\r\n-ERR [AUTH] Authentication failed\r\n+OK\r\n-ERR [AUTH] Authentication failed\r\n"
    );
    assert_eq!(h.closed, Some(CloseReason::TooManyAuthFailures));
    assert!(h.session.is_closed());
    assert!(!h.session.wants_read());
}

#[test]
fn pass_without_user_and_pass_after_failed_pass() {
    let mut h = session();
    converse(
        &mut h,
        "C: PASS wonderland
         S: -ERR No USER given
         C: USER alice
         S: +OK
         C: PASS wrong
         S: -ERR [AUTH] Authentication failed
         C: PASS wonderland
         S: -ERR No USER given",
    );
}

#[test]
fn plaintext_passwords_are_refused_without_tls_by_default() {
    let mut h = Harness::new(Config::default(), Transport::Plain, host());
    converse(
        &mut h,
        "S: +OK POP3 server ready
         C: CAPA
         S: +OK Capability list follows
         S: TOP
         S: RESP-CODES
         S: AUTH-RESP-CODE
         S: PIPELINING
         S: UIDL
         S: UTF8 USER
         S: LANG
         S: .
         C: USER alice
         S: -ERR [AUTH] Plaintext authentication disallowed on non-secure connections
         C: AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=
         S: -ERR [AUTH] Plaintext authentication disallowed on non-secure connections",
    );
    assert_eq!(h.session.state(), State::Authorization);
}

#[test]
fn implicit_tls_allows_passwords_and_refuses_stls() {
    let mut config = Config::default();
    config.stls(true);
    let mut h = Harness::new(config, Transport::Tls, host());
    h.output();
    assert!(h.session.tls_active());
    converse(
        &mut h,
        "C: STLS
         S: -ERR Command not permitted when TLS active
         C: AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=
         S: +OK Maildrop locked and ready",
    );
}

#[test]
fn sasl_login_and_cram_md5_exchanges() {
    let mut config = plain_config();
    config.mechanisms(&[Mechanism::Login, Mechanism::CramMd5]);
    let mut h = Harness::new(config.clone(), Transport::Plain, host());
    h.output();
    converse(
        &mut h,
        "C: AUTH LOGIN
         S: + VXNlcm5hbWU6
         C: YWxpY2U=
         S: + UGFzc3dvcmQ6
         C: d29uZGVybGFuZA==
         S: +OK Maildrop locked and ready",
    );
    assert_eq!(h.session.user(), Some("alice"));

    let mut h = Harness::new(config, Transport::Plain, host());
    h.output();
    let challenge = h.say("AUTH CRAM-MD5\r\n");
    let challenge = challenge.strip_prefix("+ ").unwrap().trim_end();
    let challenge = String::from_utf8(base64_decode(challenge)).unwrap();
    assert!(
        challenge.starts_with('<') && challenge.ends_with("@localhost>"),
        "{challenge}"
    );
    // RFC 2195 §2: "user SP hex(HMAC-MD5(key=password, challenge))", checked
    // here against a digest computed independently with the md5 crate.
    let digest = hmac_md5(b"wonderland", challenge.as_bytes());
    let response = base64_encode(format!("alice {digest}").as_bytes());
    assert_eq!(
        h.say(&format!("{response}\r\n")),
        "+OK Maildrop locked and ready\r\n"
    );
}

#[test]
fn rfc5034_4_cancel_bad_base64_and_misplaced_initial_response() {
    let mut config = plain_config();
    config.mechanisms(&[Mechanism::Plain, Mechanism::CramMd5]);
    config.max_bad_commands(10, 20);
    let mut h = Harness::new(config, Transport::Plain, host());
    h.output();
    converse(
        &mut h,
        "C: AUTH PLAIN
         S: + 
         C: *
         S: -ERR Authentication canceled
         C: AUTH PLAIN
         S: + 
         C: =AAA
         S: -ERR Invalid base64 data
         C: AUTH PLAIN AAA=BBB
         S: -ERR Invalid base64 data
         C: AUTH PLAIN =
         S: -ERR Invalid authentication data
         C: AUTH CRAM-MD5 AAAA
         S: -ERR Mechanism does not take an initial response
         C: AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=
         S: +OK Maildrop locked and ready
         C: AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=
         S: -ERR Command not valid in this state",
    );
}

#[test]
fn apop_is_refused_when_not_configured() {
    let mut h = session();
    converse(
        &mut h,
        "C: APOP alice c4c9334bac560ecc979e58001b3e22fb
         S: -ERR APOP not available",
    );
}

// ---- STLS (RFC 2595 §4, CVE-2011-0411) ------------------------------------

fn stls_session() -> Harness {
    let mut config = Config::default();
    config.stls(true);
    let mut h = Harness::new(config, Transport::Plain, host());
    h.output();
    h.auto_answer = false;
    h
}

#[test]
fn commands_pipelined_after_stls_are_discarded_not_executed() {
    for split in [None, Some(6), Some(3), Some(7)] {
        let mut h = stls_session();
        let attack = b"STLS\r\nCAPA\r\nUSER alice\r\n";
        let out = match split {
            None => h.feed(attack),
            Some(at) => {
                let mut out = h.feed(&attack[..at]);
                out.extend(h.feed(&attack[at..]));
                out
            }
        };
        assert_eq!(out, b"+OK Begin TLS negotiation\r\n", "split {split:?}");
        assert!(matches!(h.unanswered.as_slice(), [Event::StartTls(_)]));
        // Plaintext arriving before the handshake completes is dropped too.
        assert!(!h.session.wants_read());
        assert_eq!(h.feed(b"CAPA\r\n"), b"");
        let now = h.now;
        let Some(Event::StartTls(request)) = h.unanswered.pop() else {
            panic!("no STLS request");
        };
        h.session.answer(request, (), now).unwrap();
        assert_eq!(h.feed(b""), b"");
        let capa = h.say("CAPA\r\n");
        assert!(!capa.contains("STLS"), "STLS offered again: {capa}");
        assert!(capa.contains("USER\r\n") && capa.contains("SASL PLAIN LOGIN\r\n"));
    }
}

#[test]
fn stls_forgets_a_pending_user() {
    let mut config = Config::default();
    config.stls(true).plaintext_auth_without_tls(true);
    let mut h = Harness::new(config, Transport::Plain, host());
    h.output();
    converse(
        &mut h,
        "C: USER alice
         S: +OK
         C: STLS
         S: +OK Begin TLS negotiation
         C: PASS wonderland
         S: -ERR No USER given",
    );
}

#[test]
fn stls_is_refused_after_utf8_and_when_not_configured() {
    let mut h = stls_session();
    converse(
        &mut h,
        "C: UTF8
         S: +OK UTF8 enabled
         C: STLS
         S: -ERR STLS not permitted after UTF8",
    );
    let mut h = session();
    converse(
        &mut h,
        "C: STLS
         S: -ERR STLS not available",
    );
}

// ---- TRANSACTION ----------------------------------------------------------

#[test]
fn top_of_an_lf_message_and_dot_stuffing() {
    let mut h = logged_in();
    converse(
        &mut h,
        "C: TOP 2 0
         S: +OK
         S: Subject: two
         S:
         S: .
         C: TOP 2 1
         S: +OK
         S: Subject: two
         S:
         S: ..dot line
         S: .
         C: RETR 2
         S: +OK 33 octets
         S: Subject: two
         S:
         S: ..dot line
         S: last
         S: .",
    );
}

#[test]
fn deleted_messages_are_hidden_and_rset_restores_them() {
    let mut h = logged_in();
    converse(
        &mut h,
        "C: DELE 1
         S: +OK message 1 deleted
         C: RETR 1
         S: -ERR message 1 already deleted
         C: TOP 1 0
         S: -ERR message 1 already deleted
         C: LIST 1
         S: -ERR message 1 already deleted
         C: STAT
         S: +OK 1 33
         C: LIST
         S: +OK 1 message (33 octets)
         S: 2 33
         S: .
         C: UIDL
         S: +OK
         S: 2 uid-2
         S: .
         C: RSET
         S: +OK maildrop has 2 messages (59 octets)
         C: UIDL 1
         S: +OK 1 uid-1",
    );
}

#[test]
fn hostile_numbers_are_refused() {
    let mut h = logged_in();
    converse(
        &mut h,
        "C: RETR 99999999999999999999
         S: -ERR Invalid number
         C: TOP 1 -1
         S: -ERR Invalid number
         C: RETR 0
         S: -ERR Invalid number
         C: DELE +1
         S: -ERR Invalid number
         C: RETR 4294967295
         S: -ERR no such message, only 2 messages in maildrop",
    );
    assert_eq!(h.say("NO\0OP\r\n"), "-ERR NUL octet in command\r\n");
    assert_eq!(h.say("NO\rOP\r\n"), "-ERR Bare CR in command\r\n");
    assert_eq!(h.say("NOOP\n"), "+OK\r\n", "bare LF ends a line");
}

#[test]
fn a_dropped_connection_deletes_nothing() {
    let mut h = logged_in();
    assert_eq!(
        h.say("DELE 1\r\nDELE 2\r\n"),
        "+OK message 1 deleted\r\n+OK message 2 deleted\r\n"
    );
    drop(h.session);
    assert!(h.host.removed.is_empty());
    assert!(h.host.log.iter().all(|l| !l.starts_with("commit")));
}

#[test]
fn host_failures_map_to_response_codes() {
    for (rejection, reply) in [
        (
            LoginRejection::InUse,
            "-ERR [IN-USE] Do you have another POP session running?\r\n",
        ),
        (
            LoginRejection::LoginDelay,
            "-ERR [LOGIN-DELAY] Logged in too recently\r\n",
        ),
        (
            LoginRejection::SysTemp,
            "-ERR [SYS/TEMP] Unable to open maildrop, try later\r\n",
        ),
        (
            LoginRejection::SysPerm,
            "-ERR [SYS/PERM] Unable to open maildrop\r\n",
        ),
        (
            LoginRejection::Utf8Required,
            "-ERR [UTF8] Maildrop needs UTF8 mode\r\n",
        ),
    ] {
        let mut h = session();
        h.host.refuse_with = Some(rejection);
        assert_eq!(
            h.say("USER alice\r\nPASS wonderland\r\n"),
            format!("+OK\r\n{reply}")
        );
        assert_eq!(h.session.state(), State::Authorization);
        // Not a credential failure: no delay was applied.
        assert_eq!(
            h.session.poll_timeout(),
            Some(h.now + Duration::from_secs(600))
        );
    }
    for (error, reply) in [
        (
            RetrieveError::Unavailable,
            "-ERR [SYS/TEMP] Message temporarily unavailable\r\n",
        ),
        (
            RetrieveError::Gone,
            "-ERR [SYS/PERM] Message is no longer available\r\n",
        ),
        (
            RetrieveError::NeedsUtf8,
            "-ERR [UTF8] Message needs UTF8 mode\r\n",
        ),
    ] {
        let mut h = logged_in();
        h.host.retrieve_fails = Some(error);
        assert_eq!(h.say("RETR 1\r\n"), reply);
    }
}

// ---- async host, timers ----------------------------------------------------

#[test]
fn pipelined_commands_wait_for_an_async_answer() {
    let mut h = logged_in();
    h.auto_answer = false;
    assert_eq!(h.say("RETR 1\r\nSTAT\r\nRETR 2\r\n"), "");
    let Some(Event::Retrieve(request)) = h.unanswered.pop() else {
        panic!("no retrieve event");
    };
    assert!(h.unanswered.is_empty(), "one request at a time");
    assert_eq!(
        (request.msg(), request.index(), request.top_lines()),
        (1, 0, None)
    );
    assert_eq!(request.uid().as_str(), "uid-1");
    let message = h.host.messages[0].1.clone();
    let now = h.now + Duration::from_secs(5);
    h.session.answer(request, Ok(message), now).unwrap();
    h.drive();
    assert_eq!(
        String::from_utf8(h.output()).unwrap(),
        "+OK 26 octets\r\nSubject: one\r\n\r\nbody one\r\n.\r\n+OK 1 36\r\n"
            .replace("+OK 1 36", "+OK 2 59")
    );
    let Some(Event::Retrieve(second)) = h.unanswered.pop() else {
        panic!("no second retrieve");
    };
    assert_eq!(second.msg(), 2);
    let message = h.host.messages[1].1.clone();
    h.session.answer(second, Ok(message), now).unwrap();
    assert!(
        String::from_utf8(h.output())
            .unwrap()
            .starts_with("+OK 33 octets\r\n")
    );
}

#[test]
fn answering_twice_gives_the_request_back() {
    let mut h = logged_in();
    h.auto_answer = false;
    h.say("RETR 1\r\n");
    let Some(Event::Retrieve(request)) = h.unanswered.pop() else {
        panic!("no retrieve event");
    };
    let now = h.now;
    h.session
        .answer(request, Err(RetrieveError::Unavailable), now)
        .unwrap();
    h.say("RETR 2\r\n");
    let Some(Event::Retrieve(second)) = h.unanswered.pop() else {
        panic!("no retrieve event");
    };
    assert_eq!(second.msg(), 2);
    h.session
        .answer(second, Err(RetrieveError::Gone), now)
        .unwrap();
    h.say("UIDL 1\r\n");
    // The session has nothing pending now: a commit answer is refused.
    h.say("QUIT\r\n");
    let Some(Event::Commit(commit)) = h.unanswered.pop() else {
        panic!("no commit event");
    };
    h.session.answer(commit, Ok(()), h.now).unwrap();
    h.drive();
    let mut h2 = logged_in();
    h2.auto_answer = false;
    h2.say("QUIT\r\n");
    let Some(Event::Commit(foreign)) = h2.unanswered.pop() else {
        panic!("no commit event");
    };
    let Err(AnswerError { request, kind }) = h.session.answer(foreign, Ok(()), h.now) else {
        panic!("a closed session accepted a commit");
    };
    assert_eq!(kind, UsageError::NotPending);
    h2.session.answer(request, Ok(()), h2.now).unwrap();
}

#[test]
fn an_unanswered_request_is_answered_by_the_host_timeout() {
    let mut h = logged_in();
    h.auto_answer = false;
    h.say("RETR 1\r\nNOOP\r\n");
    let start = h.now;
    assert_eq!(
        h.session.poll_timeout(),
        Some(start + Duration::from_secs(60))
    );
    h.session.handle_timeout(start + Duration::from_secs(60));
    assert_eq!(
        String::from_utf8(h.output()).unwrap(),
        "-ERR [SYS/TEMP] Message temporarily unavailable\r\n+OK\r\n"
    );
    // The late answer is refused.
    let Some(Event::Retrieve(late)) = h.unanswered.pop() else {
        panic!("no retrieve event");
    };
    let msg = h.host.messages[0].1.clone();
    assert!(h.session.answer(late, Ok(msg), start).is_err());
}

#[test]
fn pipelined_slow_answers_each_get_their_own_host_timeout() {
    let mut h = logged_in();
    h.auto_answer = false;
    h.say("RETR 1\r\nRETR 2\r\nRETR 1\r\n");
    for step in 1..=3u64 {
        // Each answer takes 50 s: under the 60 s limit each time, though
        // the client's input is 150 s old at the end.
        let now = h.now + Duration::from_secs(50 * step);
        h.session.handle_timeout(now);
        let event = h.unanswered.pop().or_else(|| h.session.poll_event());
        let Some(Event::Retrieve(request)) = event else {
            panic!("no retrieve at step {step}");
        };
        let msg = h.host.messages[request.index()].1.clone();
        h.session.answer(request, Ok(msg), now).unwrap();
    }
    let out = String::from_utf8(h.output()).unwrap();
    assert_eq!(out.matches("+OK").count(), 3, "{out}");
    assert!(!out.contains("-ERR"));
}

/// Issue 9: a commit the host never answers may still remove the messages, so the
/// session must not say "some deleted messages not removed" (RFC 1939 §6's failure
/// reply) nor `+OK`: a temporary error that claims neither, and close.
#[test]
fn an_unanswered_commit_claims_no_outcome_and_closes() {
    let mut h = logged_in();
    h.auto_answer = false;
    assert_eq!(h.say("DELE 1\r\nQUIT\r\n"), "+OK message 1 deleted\r\n");
    let Some(Event::Commit(late)) = h.unanswered.pop() else {
        panic!("no commit event");
    };
    let start = h.now;
    assert_eq!(
        h.session.poll_timeout(),
        Some(start + Duration::from_secs(60))
    );
    h.session.handle_timeout(start + Duration::from_secs(59));
    assert_eq!(h.output(), b"", "not before the host timeout");
    h.now = start + Duration::from_secs(60);
    h.session.handle_timeout(h.now);
    h.drive();
    assert_eq!(
        String::from_utf8(h.output()).unwrap(),
        "-ERR [SYS/TEMP] Storage did not answer; deletions may or may not have been applied\r\n"
    );
    assert_eq!(h.closed, Some(CloseReason::HostTimeout));
    assert_eq!(h.session.state(), State::Closed);
    assert_eq!(h.session.poll_timeout(), None);
    // The host's answer, when it finally comes, changes nothing on the wire.
    let Err(AnswerError { kind, .. }) = h.session.answer(late, Ok(()), h.now) else {
        panic!("a timed-out commit was accepted");
    };
    assert_eq!(kind, UsageError::NotPending);
    assert_eq!(h.output(), b"");
}

/// A TLS handshake that never completes: the session closes (nothing can be said on a
/// transport in the middle of a handshake), and a late answer is refused.
#[test]
fn an_unfinished_stls_handshake_closes_at_the_host_timeout() {
    let mut h = stls_session();
    assert_eq!(h.say("STLS\r\n"), "+OK Begin TLS negotiation\r\n");
    let Some(Event::StartTls(late)) = h.unanswered.pop() else {
        panic!("no STLS request");
    };
    let start = h.now;
    assert_eq!(
        h.session.poll_timeout(),
        Some(start + Duration::from_secs(60))
    );
    h.now = start + Duration::from_secs(60);
    h.session.handle_timeout(h.now);
    h.drive();
    assert_eq!(h.output(), b"");
    assert_eq!(h.closed, Some(CloseReason::HostTimeout));
    assert!(!h.session.tls_active());
    let Err(AnswerError { kind, .. }) = h.session.answer(late, (), h.now) else {
        panic!("a timed-out handshake was accepted");
    };
    assert_eq!(kind, UsageError::NotPending);
}

/// Two sessions of one host have requests with the same serial outstanding: an answer
/// given to the wrong session is refused by the session token, hands the request back,
/// and leaves both sessions waiting for their own answers.
#[test]
fn a_request_of_another_session_is_refused_by_its_token() {
    let mut ours = Harness::with_nonce(plain_config(), Transport::Plain, host(), [1; 16]);
    let mut theirs = Harness::with_nonce(plain_config(), Transport::Plain, host(), [2; 16]);
    for h in [&mut ours, &mut theirs] {
        h.output();
        h.say("USER alice\r\nPASS wonderland\r\n");
        h.auto_answer = false;
        h.say("RETR 1\r\n");
    }
    let Some(Event::Retrieve(their_request)) = theirs.unanswered.pop() else {
        panic!("no retrieve event");
    };
    let message = theirs.host.messages[0].1.clone();
    let Err(AnswerError { request, kind }) =
        ours.session
            .answer(their_request, Ok(message.clone()), ours.now)
    else {
        panic!("a session took another session's request");
    };
    assert_eq!(kind, UsageError::NotPending);
    assert_eq!(
        ours.output(),
        b"",
        "nothing was sent for the foreign answer"
    );
    assert_eq!(
        ours.session.poll_timeout(),
        Some(ours.now + Duration::from_secs(60))
    );
    // The handle came back whole: its own session still takes it.
    theirs
        .session
        .answer(request, Ok(message.clone()), theirs.now)
        .unwrap();
    assert!(
        String::from_utf8(theirs.output())
            .unwrap()
            .starts_with("+OK 26 octets\r\n")
    );
    let Some(Event::Retrieve(our_request)) = ours.unanswered.pop() else {
        panic!("no retrieve event");
    };
    ours.session
        .answer(our_request, Ok(message), ours.now)
        .unwrap();
    assert!(
        String::from_utf8(ours.output())
            .unwrap()
            .starts_with("+OK 26 octets\r\n")
    );
}

#[test]
fn autologout_closes_silently_without_update() {
    let mut h = logged_in();
    h.say("DELE 1\r\n");
    let deadline = h.session.poll_timeout().unwrap();
    assert_eq!(deadline, h.now + Duration::from_secs(600));
    h.session.handle_timeout(deadline - Duration::from_secs(1));
    assert!(!h.session.is_closed());
    h.session.handle_timeout(deadline);
    h.drive();
    assert!(h.session.is_closed());
    assert_eq!(h.output(), b"", "RFC 1939 §3: no response on autologout");
    assert_eq!(h.closed, Some(CloseReason::Autologout));
    assert!(h.host.removed.is_empty());
    assert_eq!(h.session.poll_timeout(), None);
}

#[test]
fn any_input_resets_the_autologout_timer() {
    let mut h = session();
    h.now += Duration::from_secs(300);
    h.say("NOOP\r\n");
    assert_eq!(
        h.session.poll_timeout(),
        Some(h.now + Duration::from_secs(600))
    );
}

// ---- bad commands ----------------------------------------------------------

#[test]
fn three_bad_commands_before_login_close_the_session() {
    let mut h = session();
    converse(
        &mut h,
        "C: STAT
         S: -ERR Command not valid in this state
         C: XYZZY
         S: -ERR Unknown command
         C: LIST
         S: -ERR Too many bad commands, closing connection",
    );
    assert_eq!(h.closed, Some(CloseReason::TooManyBadCommands));
}

#[test]
fn bad_commands_must_be_in_a_row_and_twenty_after_login() {
    let mut h = session();
    assert_eq!(
        h.say("STAT\r\nXYZZY\r\nCAPA\r\n").matches("-ERR").count(),
        2
    );
    h.say("STAT\r\nUSER alice\r\nPASS wonderland\r\n");
    assert!(!h.session.is_closed());
    let out = h.say(&"USER alice\r\n".repeat(19));
    assert_eq!(out.matches("-ERR").count(), 19);
    assert!(!h.session.is_closed());
    assert_eq!(
        h.say("USER alice\r\n"),
        "-ERR Too many bad commands, closing connection\r\n"
    );
    assert!(h.session.is_closed());
}

#[test]
fn every_command_in_every_wrong_state() {
    let auth_only = [
        "USER a",
        "PASS a",
        "AUTH PLAIN",
        "STLS",
        "UTF8",
        "APOP a c4c9334bac560ecc979e58001b3e22fb",
    ];
    let transaction_only = [
        "STAT", "LIST", "LIST 1", "RETR 1", "DELE 1", "NOOP", "RSET", "TOP 1 1", "UIDL", "UIDL 1",
    ];
    for command in transaction_only {
        let mut h = session();
        assert_eq!(
            h.say(&format!("{command}\r\n")),
            "-ERR Command not valid in this state\r\n",
            "{command} before login"
        );
    }
    for command in auth_only {
        let mut h = logged_in();
        let reply = h.say(&format!("{command}\r\n"));
        assert!(
            reply == "-ERR Command not valid in this state\r\n"
                || reply == "-ERR APOP not available\r\n",
            "{command} after login: {reply}"
        );
    }
    // UPDATE: nothing is processed until the host commits.
    let mut h = logged_in();
    h.auto_answer = false;
    assert_eq!(h.say("QUIT\r\nSTAT\r\nNOOP\r\n"), "");
    assert_eq!(h.session.state(), State::Update);
    let Some(Event::Commit(commit)) = h.unanswered.pop() else {
        panic!("no commit");
    };
    h.session.answer(commit, Ok(()), h.now).unwrap();
    assert_eq!(
        String::from_utf8(h.output()).unwrap(),
        "+OK localhost POP3 server signing off (2 messages left)\r\n"
    );
    // Closed: input is ignored.
    assert_eq!(h.feed(b"STAT\r\n"), b"");
}

// ---- output ----------------------------------------------------------------

#[test]
fn retr_sends_the_hosts_bytes_without_copying_them() {
    let mut body = String::from("Subject: big\r\n\r\n");
    for i in 0..2000 {
        body.push_str(&format!("line {i} of a message that is long enough\r\n"));
        if i % 100 == 0 {
            body.push_str(".leading dot\n");
        }
    }
    let message = Bytes::from(body);
    let mut h = Harness::new(
        plain_config(),
        Transport::Plain,
        Host::default()
            .with_user("alice", "wonderland")
            .with_message("big", message.clone()),
    );
    h.output();
    h.say("USER alice\r\nPASS wonderland\r\n");
    h.session.feed(h.now, b"RETR 1\r\n");
    h.auto_answer = true;
    h.drive();
    let range = message.as_ptr() as usize..message.as_ptr() as usize + message.len();
    let transmit = h.session.transmit();
    let mut from_message = 0;
    let mut inserted = 0;
    let mut wire = Vec::new();
    while let Some(chunk) = transmit.next_bytes() {
        if range.contains(&(chunk.as_ptr() as usize)) {
            from_message += chunk.len();
        } else {
            inserted += chunk.len();
        }
        wire.extend_from_slice(&chunk);
    }
    // Every body byte is a slice of the host's Bytes, except the 20 bare LFs, each sent
    // as a static CRLF.
    assert_eq!(from_message, message.len() - 20);
    // Only the status line, the dots, the CRLFs of bare LFs and the terminator are new.
    assert_eq!(inserted, wire.len() - from_message);
    assert!(inserted < 200, "{inserted} octets inserted");
    assert_eq!(
        pobox::pop3::multiline::unstuff(&wire[wire.iter().position(|&b| b == b'\n').unwrap() + 1..])
            .unwrap()
            .len() as u64,
        pobox::pop3::wire_size(&message)
    );
}

#[test]
fn a_million_pipelined_noops_keep_output_bounded() {
    let mut h = logged_in();
    let noops = b"NOOP\r\n".repeat(1_000_000);
    let mut fed = 0;
    let mut answered = 0;
    let mut peak = 0;
    while fed < noops.len() || h.session.transmit().has_remaining() {
        if h.session.wants_read() && fed < noops.len() {
            let n = (noops.len() - fed).min(16 * 1024);
            h.session.feed(h.now, &noops[fed..fed + n]);
            fed += n;
        }
        while h.session.poll_event().is_some() {}
        peak = peak.max(h.session.transmit().remaining());
        let t = h.session.transmit();
        let n = t.remaining();
        answered += t.copy_to_bytes(n).len() / 5;
    }
    assert_eq!(answered, 1_000_000);
    assert!(peak <= 512 * 1024, "output peaked at {peak} bytes");
}

#[test]
fn feeding_past_the_input_limit_closes_with_an_error() {
    let mut h = logged_in();
    h.auto_answer = false;
    h.say("RETR 1\r\n");
    let mut fed = 0;
    while h.session.wants_read() {
        h.session.feed(h.now, &b"NOOP\r\n".repeat(1000));
        fed += 6000;
        assert!(fed < 200_000, "wants_read never turned false");
    }
    h.session.feed(h.now, b"NOOP\r\n");
    h.drive();
    assert_eq!(
        String::from_utf8(h.output()).unwrap(),
        "-ERR [SYS/TEMP] Too many pipelined commands\r\n"
    );
    assert_eq!(h.closed, Some(CloseReason::InputOverflow));
}

#[test]
fn utf8_mode_is_reported_to_the_host() {
    let mut h = session();
    h.auto_answer = false;
    h.say("UTF8\r\nUSER jöran\r\nPASS pässword\r\n");
    let Some(Event::Login(request)) = h.unanswered.pop() else {
        panic!("no login");
    };
    assert!(request.utf8());
    assert_eq!(request.user(), "jöran");
    assert!(h.session.utf8_enabled());
    let now = h.now;
    h.session.answer(request, Ok(Vec::new()), now).unwrap();
    // A non-ASCII name is not echoed (RFC 6856 §2.1 outside UTF-8 replies).
    assert_eq!(
        String::from_utf8(h.output()).unwrap(),
        "+OK maildrop has 0 messages (0 octets)\r\n"
    );
}

// ---- small independent helpers for the CRAM-MD5 test ------------------------

fn base64_decode(text: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = alphabet.iter().position(|&a| a == c).unwrap() as u32;
        bits = bits << 6 | v;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

fn base64_encode(data: &[u8]) -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, &b| n << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(alphabet[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn hmac_md5(key: &[u8], message: &[u8]) -> String {
    use md5::{Digest, Md5};
    let mut block = [0u8; 64];
    block[..key.len()].copy_from_slice(key);
    let inner = Md5::new()
        .chain_update(block.map(|b| b ^ 0x36))
        .chain_update(message)
        .finalize();
    let outer = Md5::new()
        .chain_update(block.map(|b| b ^ 0x5c))
        .chain_update(inner)
        .finalize();
    outer.iter().map(|b| format!("{b:02x}")).collect()
}
