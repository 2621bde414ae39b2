//! Every example dialogue of RFC 1939 §4–§10, RFC 2449, RFC 2595 §4,
//! RFC 5034 §6 and RFC 6856 §3.3, replayed against the session.
//!
//! `S:` lines are compared byte for byte. Where an RFC example's free text
//! cannot match pobox's (the RFCs disagree among themselves, or the text
//! would reveal whether a user exists), the line is written `S~` and only
//! its status indicator is compared, with the reason next to it.

mod support;

use pobox::pop3::server::{Config, Expire, LoginRejection, Transport};
use pobox::sasl::Mechanism;
use support::pop3::{Harness, Host, RFC1939_NONCE, converse};

/// A message of exactly `size` octets with CRLF line ends.
fn message(subject: &str, size: usize) -> String {
    let mut m = format!("Subject: {subject}\r\n\r\n");
    while m.len() + 30 < size {
        m.push_str("This is a line of the body.\r\n");
    }
    while m.len() + 2 < size {
        m.push('x');
    }
    m.push_str("\r\n");
    assert_eq!(m.len(), size);
    m
}

/// RFC 1939's maildrop: mrose has two messages of 120 and 200 octets
/// (§5: "S: +OK 2 320"), and the shared secret "tanstaaf" (§7).
fn rfc1939_host() -> Host {
    Host::default()
        .with_user("mrose", "tanstaaf")
        .with_message("whqtswO00WBw418f9t5JxYwZ", message("one", 120))
        .with_message("QhdPYR:00WBw1Ph7x7", message("two", 200))
}

fn rfc1939_config() -> Config {
    let mut config = Config::default();
    config
        .hostname("dbc.mtview.ca.us")
        .unwrap()
        .apop(true)
        .plaintext_auth_without_tls(true);
    config
}

fn rfc1939_session() -> Harness {
    Harness::with_nonce(
        rfc1939_config(),
        Transport::Plain,
        rfc1939_host(),
        RFC1939_NONCE,
    )
}

fn as_server_lines(message: &str) -> String {
    message
        .split_inclusive("\r\n")
        .map(|l| format!("S: {}\n", l.trim_end_matches("\r\n")))
        .collect()
}

#[test]
fn rfc1939_10_example_session() {
    let m1 = as_server_lines(&message("one", 120));
    let m2 = as_server_lines(&message("two", 200));
    let mut h = rfc1939_session();
    converse(
        &mut h,
        &format!(
            "S:    +OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>
             C:    APOP mrose c4c9334bac560ecc979e58001b3e22fb
             S:    +OK mrose's maildrop has 2 messages (320 octets)
             C:    STAT
             S:    +OK 2 320
             C:    LIST
             S:    +OK 2 messages (320 octets)
             S:    1 120
             S:    2 200
             S:    .
             C:    RETR 1
             S:    +OK 120 octets
             {m1}
             S:    .
             C:    DELE 1
             S:    +OK message 1 deleted
             C:    RETR 2
             S:    +OK 200 octets
             {m2}
             S:    .
             C:    DELE 2
             S:    +OK message 2 deleted
             C:    QUIT
             S:    +OK dewey POP3 server signing off (maildrop empty)"
        )
        .replace("dewey", "dbc.mtview.ca.us"),
    );
    assert_eq!(
        h.host.removed,
        ["whqtswO00WBw418f9t5JxYwZ", "QhdPYR:00WBw1Ph7x7"]
    );
    assert!(h.session.is_closed());
}

/// RFC 1939 §4: QUIT in AUTHORIZATION ends the session without UPDATE.
#[test]
fn rfc1939_4_quit_in_authorization() {
    let mut config = rfc1939_config();
    config.hostname("dewey").unwrap().apop(false);
    let mut h = Harness::new(config, Transport::Plain, rfc1939_host());
    converse(
        &mut h,
        "S: +OK POP3 server ready
         C: QUIT
         S: +OK dewey POP3 server signing off",
    );
    assert!(h.host.log.iter().all(|l| !l.starts_with("commit")));
    assert!(h.session.is_closed());
}

fn logged_in() -> Harness {
    let mut h = rfc1939_session();
    h.output();
    h.say("USER mrose\r\nPASS tanstaaf\r\n");
    h
}

#[test]
fn rfc1939_5_stat_list_retr_dele_noop_rset() {
    let m1 = as_server_lines(&message("one", 120));
    let mut h = logged_in();
    converse(
        &mut h,
        &format!(
            "C: STAT
             S: +OK 2 320
             C: LIST
             S: +OK 2 messages (320 octets)
             S: 1 120
             S: 2 200
             S: .
               ...
             C: LIST 2
             S: +OK 2 200
               ...
             C: LIST 3
             S: -ERR no such message, only 2 messages in maildrop
             C: RETR 1
             S: +OK 120 octets
             {m1}
             S: .
             C: DELE 1
             S: +OK message 1 deleted
                ...
             C: DELE 2
             S: +OK message 2 deleted
             C: DELE 2
             S: -ERR message 2 already deleted
             C: NOOP
             S: +OK
             C: RSET
             S: +OK maildrop has 2 messages (320 octets)"
        ),
    );
}

#[test]
fn rfc1939_6_quit_in_update() {
    let mut h = logged_in();
    converse(
        &mut h,
        "C: QUIT
         S: +OK dbc.mtview.ca.us POP3 server signing off (2 messages left)",
    );
    assert!(h.host.removed.is_empty());
    let mut h = logged_in();
    converse(
        &mut h,
        "C: DELE 1
         S: +OK message 1 deleted
         C: DELE 2
         S: +OK message 2 deleted
         C: QUIT
         S: +OK dbc.mtview.ca.us POP3 server signing off (maildrop empty)",
    );
    assert_eq!(h.host.removed.len(), 2);
}

#[test]
fn rfc1939_6_quit_reports_failed_removal() {
    let mut h = logged_in();
    h.host.commit_fails = true;
    converse(
        &mut h,
        "C: DELE 1
         S: +OK message 1 deleted
         C: QUIT
         S: -ERR some deleted messages not removed",
    );
    assert!(h.session.is_closed());
}

#[test]
fn rfc1939_7_top_and_uidl() {
    let mut h = rfc1939_session();
    h.host.messages[0].1 = "Subject: top\r\nFrom: a@b\r\n\r\n1\r\n2\r\n3\r\n4\r\n5\r\n6\r\n7\r\n8\r\n9\r\n10\r\n11\r\n12\r\n".into();
    h.host.messages[0].0 = "whqtswO00WBw418f9t5JxYwZ".into();
    h.output();
    h.say("USER mrose\r\nPASS tanstaaf\r\n");
    converse(
        &mut h,
        "C: TOP 1 10
         S: +OK
         S: Subject: top
         S: From: a@b
         S:
         S: 1
         S: 2
         S: 3
         S: 4
         S: 5
         S: 6
         S: 7
         S: 8
         S: 9
         S: 10
         S: .
            ...
         C: TOP 100 3
         S: -ERR no such message, only 2 messages in maildrop
         C: UIDL
         S: +OK
         S: 1 whqtswO00WBw418f9t5JxYwZ
         S: 2 QhdPYR:00WBw1Ph7x7
         S: .
            ...
         C: UIDL 2
         S: +OK 2 QhdPYR:00WBw1Ph7x7
            ...
         C: UIDL 3
         S: -ERR no such message, only 2 messages in maildrop",
    );
}

#[test]
fn rfc1939_7_user_pass_examples() {
    // "S: -ERR sorry, no mailbox for frated here": pobox never tells which
    // users exist, so USER always succeeds and PASS fails instead.
    let mut h = rfc1939_session();
    converse(
        &mut h,
        "S: +OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>
         C: USER frated
         S~ +OK (RFC: -ERR sorry, no mailbox for frated here)
         C: PASS secret
         S: -ERR [AUTH] Authentication failed
         C: USER mrose
         S~ +OK mrose is a real hoopy frood
         C: PASS tanstaaf
         S: +OK mrose's maildrop has 2 messages (320 octets)",
    );
    let mut h = rfc1939_session();
    h.host.refuse_with = Some(LoginRejection::InUse);
    h.output();
    converse(
        &mut h,
        "C: USER mrose
         S~ +OK mrose is a real hoopy frood
         C: PASS tanstaaf
         S~ -ERR maildrop already locked",
    );
}

#[test]
fn rfc1939_7_apop_example() {
    let mut h = rfc1939_session();
    h.host.messages.truncate(1);
    h.host.messages[0].1 = message("one", 369).into();
    converse(
        &mut h,
        // RFC 1939 §7 words the reply "+OK maildrop has 1 message (369
        // octets)" and §10 "+OK mrose's maildrop has ..."; pobox follows §10.
        "S: +OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>
         C: APOP mrose c4c9334bac560ecc979e58001b3e22fb
         S: +OK mrose's maildrop has 1 message (369 octets)",
    );
}

#[test]
fn rfc2449_8_in_use_response_code() {
    let mut h = rfc1939_session();
    h.host.refuse_with = Some(LoginRejection::InUse);
    h.output();
    converse(
        &mut h,
        "C: APOP mrose c4c9334bac560ecc979e58001b3e22fb
         S: -ERR [IN-USE] Do you have another POP session running?",
    );
}

#[test]
fn rfc2449_5_capa_lists_what_the_session_supports() {
    let mut config = Config::default();
    config
        .plaintext_auth_without_tls(true)
        .mechanisms(&[Mechanism::CramMd5])
        .login_delay(Some(900))
        .expire(Some(Expire::Days(60)))
        .implementation("Shlemazle-Plotz-v302")
        .unwrap();
    let mut h = Harness::new(config, Transport::Plain, rfc1939_host());
    h.output();
    // RFC 2449 §5's example, in its order, with the capabilities pobox adds
    // (AUTH-RESP-CODE of RFC 3206, UTF8 and LANG of RFC 6856) in between.
    // KERBEROS_V4 is not a mechanism pobox implements.
    converse(
        &mut h,
        "C: CAPA
         S: +OK Capability list follows
         S: TOP
         S: USER
         S: SASL CRAM-MD5
         S: RESP-CODES
         S: AUTH-RESP-CODE
         S: LOGIN-DELAY 900
         S: PIPELINING
         S: EXPIRE 60
         S: UIDL
         S: UTF8 USER
         S: LANG
         S: IMPLEMENTATION Shlemazle-Plotz-v302
         S: .",
    );
}

fn blurdy() -> Harness {
    let mut config = Config::default();
    config
        .greeting("pop.example.com BlurdyBlurp POP3 server ready")
        .unwrap()
        .stls(true)
        .implementation("BlurdyBlurp")
        .unwrap();
    Harness::new(
        config,
        Transport::Plain,
        Host::default().with_user("test", "test"),
    )
}

#[test]
fn rfc5034_6_auth_plain_with_initial_response_after_stls() {
    let mut h = blurdy();
    converse(
        &mut h,
        "S: +OK pop.example.com BlurdyBlurp POP3 server ready
         C: CAPA
         S: +OK Capability list follows
         S: TOP
         S: RESP-CODES
         S: AUTH-RESP-CODE
         S: PIPELINING
         S: UIDL
         S: STLS
         S: UTF8 USER
         S: LANG
         S: IMPLEMENTATION BlurdyBlurp
         S: .
         C: STLS
         S~ +OK Begin TLS negotiation now
         C: CAPA
         S: +OK Capability list follows
         S: TOP
         S: USER
         S: SASL PLAIN LOGIN
         S: RESP-CODES
         S: AUTH-RESP-CODE
         S: PIPELINING
         S: UIDL
         S: UTF8 USER
         S: LANG
         S: IMPLEMENTATION BlurdyBlurp
         S: .
         C: AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=
         S: +OK Maildrop locked and ready",
    );
}

#[test]
fn rfc5034_6_auth_plain_after_empty_challenge() {
    let mut h = Harness::new(
        Config::default(),
        Transport::Tls,
        Host::default().with_user("test", "test"),
    );
    h.output();
    converse(
        &mut h,
        "C: AUTH PLAIN
         S: + 
         C: dGVzdAB0ZXN0AHRlc3Q=
         S: +OK Maildrop locked and ready",
    );
}

#[test]
fn rfc5034_6_unsupported_mechanism() {
    let mut h = blurdy();
    h.output();
    converse(
        &mut h,
        "C: AUTH DIGEST-MD5
         S: -ERR Unsupported authentication mechanism",
    );
}

#[test]
fn rfc2595_4_stls_examples() {
    let mut h = blurdy();
    h.output();
    converse(
        &mut h,
        "C: STLS
         S: +OK Begin TLS negotiation
         C: STLS
         S: -ERR Command not permitted when TLS active",
    );
}

#[test]
fn rfc6856_3_3_lang_examples() {
    let mut h = Harness::new(
        {
            let mut c = Config::default();
            c.plaintext_auth_without_tls(true);
            c
        },
        Transport::Plain,
        rfc1939_host().with_user("karen", "password"),
    );
    h.output();
    converse(
        &mut h,
        "C: USER karen
         S~ +OK Hello, karen
         C: PASS password
         S~ +OK karen's maildrop contains 2 messages (320 octets)
         C: LANG MUL
         S: -ERR invalid language MUL
         C: LANG
         S: +OK Language listing follows:
         S: en English
         S: .
         C: LANG *
         S: +OK en Language changed",
    );
}
