//! `examples/pop3_server` driven by real POP3 clients, on a temporary Maildir and a
//! temporary mbox: Python's poplib, curl, fetchmail and mpop, plus inetd mode over
//! pipes, maildrop locking, login failures and shutdown.
//!
//! Each test starts its own server on 127.0.0.1 port 0 (the server prints the port)
//! with its own temporary maildrop. The clients come from Debian packages (`python3`,
//! `curl`, `fetchmail`, `mpop`; `.ci/run` installs them); a missing one fails its tests
//! with the package name, unless `POBOX_SKIP_MISSING_CLIENTS=1`. The harness is in
//! `tests/clients/`.
mod clients;
#[path = "../examples/common/mod.rs"]
mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

use clients::*;
use common::flags::Flags;
use common::store::StoreKind;

/// The host name the tests give the server (greeting timestamp, QUIT reply).
const HOST: &str = "pobox.test";

fn read(path: impl AsRef<Path>) -> Vec<u8> {
    let path = path.as_ref();
    fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_text(path: impl AsRef<Path>) -> String {
    String::from_utf8(read(path)).unwrap()
}

/// The message numbers' RFC 1939 sizes, as LIST gives them.
fn sizes(messages: &[Vec<u8>]) -> Vec<usize> {
    messages.iter().map(|m| crlf(m).len()).collect()
}

/// `messages` without the (1-based) message numbers in `gone`.
fn without(messages: &[Vec<u8>], gone: &[usize]) -> Vec<Vec<u8>> {
    (messages.iter().enumerate())
        .filter(|(i, _)| !gone.contains(&(i + 1)))
        .map(|(_, m)| crlf(m))
        .collect()
}

/// The maildrop's messages now, CRLF-normalised.
fn maildrop_now(fixture: &Fixture) -> Vec<Vec<u8>> {
    fixture
        .maildrop()
        .into_iter()
        .map(|(_, m)| crlf(&m))
        .collect()
}

// ---- Python poplib ----------------------------------------------------------------------

/// Greeting, CAPA, USER/PASS (or APOP), STAT, LIST, UIDL, TOP and RETR of every message,
/// compared byte for byte with what was delivered (and, for Maildir, with the files).
fn poplib_walk(kind: StoreKind, apop: bool) {
    let fixture = Fixture::new(kind);
    let mut options = vec!["--hostname", HOST];
    if apop {
        options.push("--apop");
    }
    let server = fixture.start_server(&options);
    let out = fixture.mkdir("walk");
    let Some(mut poplib) = poplib(server.addr(), "walk", USER, PASSWORD) else {
        return;
    };
    poplib.arg(&out);
    if apop {
        poplib.arg("apop");
    }
    let ran = run(&mut poplib);
    ran.expect_success();

    let greeting = read_text(out.join("greeting"));
    if apop {
        // RFC 1939 §7: the timestamp is a msg-id, <digits.digits@host> here.
        let stamp = greeting
            .strip_prefix("+OK POP3 server ready <")
            .and_then(|s| s.strip_suffix(&format!("@{HOST}>")))
            .unwrap_or_else(|| panic!("greeting {greeting:?}"));
        let (a, b) = stamp.split_once('.').unwrap();
        assert!(
            a.parse::<u64>().is_ok() && b.parse::<u64>().is_ok(),
            "{greeting}"
        );
        assert!(server.log().contains("method=Apop"), "{}", server.log());
    } else {
        assert_eq!(greeting, "+OK POP3 server ready");
    }

    // RFC 2449 §5: what a loopback server without certificate offers.
    let capa = read_text(out.join("capa"));
    for capability in [
        "TOP",
        "USER",
        "SASL PLAIN LOGIN",
        "RESP-CODES",
        "AUTH-RESP-CODE",
        "PIPELINING",
        "UIDL",
    ] {
        assert!(
            capa.lines().any(|l| l == capability),
            "{capability} in {capa}"
        );
    }
    assert!(!capa.contains("STLS"), "no certificate, no STLS: {capa}");

    let messages = &fixture.delivered;
    let sizes = sizes(messages);
    let total: usize = sizes.iter().sum();
    assert_eq!(
        ran.value("login"),
        format!(
            "+OK demo's maildrop has {} messages ({total} octets)",
            messages.len()
        )
    );
    assert_eq!(
        read_text(out.join("stat")),
        format!("{} {total}", messages.len())
    );
    let list: String = (sizes.iter().enumerate())
        .map(|(i, size)| format!("{} {size}\r\n", i + 1))
        .collect();
    assert_eq!(read_text(out.join("list")), list);

    // UIDL: Maildir ids are the file names' unique parts; mbox ids are computed. Either
    // way they are what a new session sees (stable across sessions, RFC 1939 §7).
    let now = fixture.maildrop();
    let uidl: String = (now.iter().enumerate())
        .map(|(i, (uid, _))| format!("{} {uid}\r\n", i + 1))
        .collect();
    assert_eq!(read_text(out.join("uidl")), uidl);

    for (i, message) in messages.iter().enumerate() {
        let n = i + 1;
        let retr = read(out.join(format!("retr-{n}")));
        assert!(
            retr == crlf(message),
            "RETR {n} differs from what was delivered"
        );
        if kind == StoreKind::Maildir {
            let file = fixture.maildir_file(&now[i].0);
            assert!(retr == crlf(&file), "RETR {n} differs from its file");
        }
        // poplib counts the octets it received, unstuffed: RFC 1939 §11's size.
        assert_eq!(
            read_text(out.join(format!("retr-{n}.octets"))),
            sizes[i].to_string()
        );
        assert_eq!(
            ran.value(&format!("retr {n}")),
            format!("+OK {} octets", sizes[i])
        );
        for lines in [0, 2] {
            let got = read(out.join(format!("top-{n}-{lines}")));
            assert!(got == top(message, lines), "TOP {n} {lines}");
        }
    }
    assert_eq!(
        ran.value("quit"),
        format!(
            "+OK {HOST} POP3 server signing off ({} messages left)",
            messages.len()
        )
    );
    // Nothing was deleted.
    assert_eq!(maildrop_now(&fixture), without(messages, &[]));
}

#[test]
fn poplib_walk_maildir() {
    poplib_walk(StoreKind::Maildir, false);
}

#[test]
fn poplib_walk_mbox() {
    poplib_walk(StoreKind::Mbox, false);
}

#[test]
fn poplib_apop_walk_mbox() {
    poplib_walk(StoreKind::Mbox, true);
}

#[test]
fn poplib_apop_with_a_wrong_secret_is_refused() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let server = fixture.start_server(&["--apop"]);
    let Some(mut poplib) = poplib(server.addr(), "login", USER, "not the secret") else {
        return;
    };
    let ran = run(poplib.arg("apop"));
    ran.expect_success();
    assert_eq!(ran.value("answer"), "-ERR [AUTH] Authentication failed");
}

fn poplib_dele_quit(kind: StoreKind) {
    let fixture = Fixture::new(kind);
    let server = fixture.start_server(&["--hostname", HOST]);
    let before = fixture.maildrop();
    let Some(mut poplib) = poplib(server.addr(), "dele-quit", USER, PASSWORD) else {
        return;
    };
    let ran = run(poplib.args(["1", "3"]));
    ran.expect_success();
    assert_eq!(ran.value("dele 3"), "+OK message 3 deleted");
    let left = fixture.delivered.len() - 2;
    // RFC 1939 §6: +OK only once the deletions are done.
    assert_eq!(
        ran.value("quit"),
        format!("+OK {HOST} POP3 server signing off ({left} messages left)")
    );
    assert_eq!(maildrop_now(&fixture), without(&fixture.delivered, &[1, 3]));
    // The survivors keep their unique ids.
    let ids: Vec<String> = fixture.maildrop().into_iter().map(|(id, _)| id).collect();
    let kept: Vec<String> = (before.into_iter().enumerate())
        .filter(|(i, _)| ![0, 2].contains(i))
        .map(|(_, (id, _))| id)
        .collect();
    assert_eq!(ids, kept);
}

#[test]
fn poplib_dele_and_quit_deletes_maildir() {
    poplib_dele_quit(StoreKind::Maildir);
}

#[test]
fn poplib_dele_and_quit_deletes_mbox() {
    poplib_dele_quit(StoreKind::Mbox);
}

fn poplib_dele_drop(kind: StoreKind) {
    let fixture = Fixture::new(kind);
    let server = fixture.start_server(&[]);
    let Some(mut poplib) = poplib(server.addr(), "dele-drop", USER, PASSWORD) else {
        return;
    };
    let ran = run(poplib.args(["1", "2"]));
    ran.expect_success();
    assert_eq!(ran.value("dele 2"), "+OK message 2 deleted");
    assert_eq!(ran.value("dropped"), "yes");
    // Once the server has seen the connection end, the maildrop is released, untouched.
    server.wait_log("connection closed by", 1);
    assert_eq!(maildrop_now(&fixture), without(&fixture.delivered, &[]));
}

#[test]
fn poplib_dele_then_dropped_connection_deletes_nothing_maildir() {
    poplib_dele_drop(StoreKind::Maildir);
}

#[test]
fn poplib_dele_then_dropped_connection_deletes_nothing_mbox() {
    poplib_dele_drop(StoreKind::Mbox);
}

#[test]
fn poplib_rset_restores_deleted_messages() {
    let fixture = Fixture::new(StoreKind::Mbox);
    let server = fixture.start_server(&[]);
    let Some(mut poplib) = poplib(server.addr(), "rset", USER, PASSWORD) else {
        return;
    };
    let ran = run(poplib.args(["1", "2"]));
    ran.expect_success();
    let sizes = sizes(&fixture.delivered);
    let (n, total) = (sizes.len(), sizes.iter().sum::<usize>());
    assert_eq!(
        ran.value("stat before"),
        format!("{} {}", n - 2, total - sizes[0] - sizes[1])
    );
    // RFC 1939 §5 RSET: "+OK maildrop has 2 messages (320 octets)".
    assert_eq!(
        ran.value("rset"),
        format!("+OK maildrop has {n} messages ({total} octets)")
    );
    assert_eq!(ran.value("stat after"), format!("{n} {total}"));
    assert!(ran.value("quit").ends_with(&format!("({n} messages left)")));
    assert_eq!(maildrop_now(&fixture), without(&fixture.delivered, &[]));
}

#[test]
fn rfc2449_8_1_2_a_second_session_on_one_maildrop_is_in_use() {
    for kind in [StoreKind::Mbox, StoreKind::Maildir] {
        let fixture = Fixture::new(kind);
        let server = fixture.start_server(&[]);
        let Some(mut poplib) = poplib(server.addr(), "in-use", USER, PASSWORD) else {
            return;
        };
        let ran = run(&mut poplib);
        ran.expect_success();
        assert!(
            ran.value("first")
                .starts_with("+OK demo's maildrop has 11 messages")
        );
        assert_eq!(
            ran.value("second"),
            "-ERR [IN-USE] Do you have another POP session running?"
        );
        assert!(ran.value("first quit").starts_with("+OK"));
    }
}

#[test]
fn wrong_password_and_unknown_user_get_the_same_auth_error() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let server = fixture.start_server(&[]);
    let mut answers = Vec::new();
    for (user, password) in [
        (USER, "wrong"),
        ("nosuchuser", "wrong"),
        (HASHED_USER, "wrong"),
        ("nosuchuser", HASHED_PASSWORD),
    ] {
        let Some(mut poplib) = poplib(server.addr(), "login", user, password) else {
            return;
        };
        let ran = run(&mut poplib);
        ran.expect_success();
        let seconds: f64 = ran.value("seconds").parse().unwrap();
        eprintln!(
            "{user}/{password}: {:?} after {seconds} s",
            ran.value("answer")
        );
        answers.push(ran.value("answer").to_owned());
        // The session holds every failure back for its auth-failure delay (2 s).
        assert!(seconds >= 1.9, "{user}: answered after {seconds} s");
    }
    assert!(
        answers
            .iter()
            .all(|a| a == "-ERR [AUTH] Authentication failed"),
        "{answers:?}"
    );
    // The hashed user can log in with the right password.
    let Some(mut poplib) = poplib(server.addr(), "login", HASHED_USER, HASHED_PASSWORD) else {
        return;
    };
    let ran = run(&mut poplib);
    assert_eq!(
        ran.value("answer"),
        "+OK alice's maildrop has 0 messages (0 octets)"
    );
    // The log names users, never passwords.
    let log = server.log();
    assert!(log.contains("login failed user=\"nosuchuser\""), "{log}");
    assert!(
        !log.contains("wrong") && !log.contains(HASHED_PASSWORD),
        "{log}"
    );
}

#[test]
fn plaintext_passwords_need_tls_unless_the_address_is_loopback() {
    let fixture = Fixture::new(StoreKind::Maildir);
    // 0.0.0.0 is not a loopback address, even though the test connects over loopback.
    let mut args = fixture.server_args();
    args.extend(["--listen".into(), "0.0.0.0:0".into()]);
    let server = Server::start(args);
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], server.addr().port()));
    let Some(mut poplib) = poplib(address, "login", USER, PASSWORD) else {
        return;
    };
    let ran = run(&mut poplib);
    assert_eq!(
        ran.value("answer"),
        "-ERR [AUTH] Plaintext authentication disallowed on non-secure connections"
    );
}

#[test]
fn sigterm_closes_open_sessions_without_update() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let mut server = fixture.start_server(&[]);
    let Some(mut poplib) = poplib(server.addr(), "hold", USER, PASSWORD) else {
        return;
    };
    let mut client = Interactive::spawn(poplib.arg("1"), true);
    assert_eq!(client.wait_line("dele:"), "dele: +OK message 1 deleted");
    client.wait_line("held: yes");
    let status = server.terminate();
    assert!(status.success(), "exit status {status}");
    assert!(
        server
            .log()
            .contains("connection closed by server shutdown")
    );
    // The client finds the connection closed; nothing was deleted.
    client.send("\n");
    let noop = client.wait_line("noop:");
    assert!(noop.starts_with("noop: failed:"), "{noop}");
    client.finish();
    assert_eq!(maildrop_now(&fixture), without(&fixture.delivered, &[]));
}

#[test]
fn demo_server_runs_with_no_options() {
    // The README's `cargo run --example pop3_server`, on a free port.
    let mut server = Server::start(vec!["--listen".into(), "127.0.0.1:0".into()]);
    let line = server.wait_stdout("demo login:");
    assert!(
        line.starts_with("demo login: user demo, password demo"),
        "{line}"
    );
    let mail = server.wait_stdout("demo mail: maildir:");
    let dir = mail
        .strip_prefix("demo mail: maildir:")
        .and_then(|rest| rest.split("/maildir/%u").next())
        .unwrap()
        .to_owned();
    assert!(Path::new(&dir).is_dir());
    let Some(curl) = client("curl", "curl") else {
        return;
    };
    let url = format!("pop3://{}/", server.addr());
    let ran = run(Command::new(curl).args(["-sS", "-u", "demo:demo", &url]));
    ran.expect_success();
    assert_eq!(ran.stdout.lines().count(), 7, "{}", ran.stdout);
    assert!(server.terminate().success());
    assert!(
        !Path::new(&dir).exists(),
        "the demo copy is removed at exit"
    );
}

// ---- curl -----------------------------------------------------------------------------

fn curl_list_retr_dele(kind: StoreKind) {
    let fixture = Fixture::new(kind);
    let server = fixture.start_server(&[]);
    let Some(curl) = client("curl", "curl") else {
        return;
    };
    let base = format!("pop3://{}/", server.addr());
    let curl = |args: &[&str]| {
        let ran = run(Command::new(&curl)
            .args(["-sS", "-u", "demo:demo"])
            .args(args));
        ran.expect_success();
        ran.stdout
    };
    let sizes = sizes(&fixture.delivered);

    // No message number: LIST.
    let list: String = (sizes.iter().enumerate())
        .map(|(i, size)| format!("{} {size}\r\n", i + 1))
        .collect();
    assert_eq!(curl(&[&base]), list);
    // A custom command with a listing: UIDL.
    let uidl: String = (fixture.maildrop().iter().enumerate())
        .map(|(i, (uid, _))| format!("{} {uid}\r\n", i + 1))
        .collect();
    assert_eq!(curl(&["-X", "UIDL", &base]), uidl);
    // RETR, unstuffed by curl: the demo's dotted lines and the large message.
    for n in [4, fixture.delivered.len()] {
        let got = curl(&[&format!("{base}{n}")]);
        assert!(
            got.as_bytes() == crlf(&fixture.delivered[n - 1]),
            "RETR {n}"
        );
    }
    let got = curl(&["-X", "TOP 4 0", &base]);
    assert!(got.as_bytes() == top(&fixture.delivered[3], 0), "TOP 4 0");
    // DELE: a single-line answer (-I), then QUIT commits it.
    curl(&["-X", "DELE", "-I", &format!("{base}2")]);
    assert_eq!(maildrop_now(&fixture), without(&fixture.delivered, &[2]));
    assert!(
        server.log().contains("method=Sasl(Plain)"),
        "curl uses AUTH PLAIN"
    );
}

#[test]
fn curl_list_retrieve_dele_maildir() {
    curl_list_retr_dele(StoreKind::Maildir);
}

#[test]
fn curl_list_retrieve_dele_mbox() {
    curl_list_retr_dele(StoreKind::Mbox);
}

#[test]
fn curl_stls_with_ssl_reqd() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let (cert, key) = fixture.certificate();
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    // --require-tls: no plaintext password even on loopback, so only STLS can log in.
    let server = fixture.start_server(&["--cert", cert, "--key", key, "--require-tls"]);
    let Some(curl) = client("curl", "curl") else {
        return;
    };
    let url = format!("pop3://{}/3", server.addr());
    let plain = run(Command::new(&curl).args(["-sS", "-u", "demo:demo", &url]));
    assert_eq!(
        plain.status.code(),
        Some(67),
        "login denied without TLS: {plain:?}"
    );

    let tls = run(Command::new(&curl).args([
        "-sS",
        "-v",
        "--ssl-reqd",
        "--cacert",
        cert,
        "-u",
        "demo:demo",
        &url,
    ]));
    tls.expect_success();
    assert!(tls.stdout.as_bytes() == crlf(&fixture.delivered[2]));
    assert!(tls.stderr.contains("> STLS"), "{}", tls.stderr);
    assert!(
        tls.stderr.contains("< +OK Begin TLS negotiation"),
        "{}",
        tls.stderr
    );
}

#[test]
fn curl_pop3s_implicit_tls() {
    let fixture = Fixture::new(StoreKind::Mbox);
    let (cert, key) = fixture.certificate();
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let server = fixture.start_server(&[
        "--cert",
        cert,
        "--key",
        key,
        "--tls-listen",
        "127.0.0.1:0",
        "--require-tls",
    ]);
    let Some(curl) = client("curl", "curl") else {
        return;
    };
    let base = format!("pop3s://{}/", server.pop3s.unwrap());
    let curl = |args: &[&str]| {
        run(Command::new(&curl)
            .args(["-sS", "-u", "demo:demo"])
            .args(args))
    };
    // Without the test CA, curl refuses the certificate (CURLE_PEER_FAILED_VERIFICATION).
    assert_eq!(curl(&[&base]).status.code(), Some(60));
    let ran = curl(&["--cacert", cert, &format!("{base}5")]);
    ran.expect_success();
    assert!(ran.stdout.as_bytes() == crlf(&fixture.delivered[4]));
    curl(&["--cacert", cert, "-X", "DELE", "-I", &format!("{base}5")]).expect_success();
    assert_eq!(maildrop_now(&fixture), without(&fixture.delivered, &[5]));
}

#[test]
fn curl_apop_and_cram_md5() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let server = fixture.start_server(&["--apop", "--cram-md5"]);
    let Some(curl) = client("curl", "curl") else {
        return;
    };
    let url = format!("pop3://{}/1", server.addr());
    for (login_options, method) in [("AUTH=+APOP", "method=Apop"), ("AUTH=*", "CramMd5")] {
        let ran = run(Command::new(&curl).args([
            "-sS",
            "-u",
            "demo:demo",
            "--login-options",
            login_options,
            &url,
        ]));
        ran.expect_success();
        assert!(ran.stdout.as_bytes() == crlf(&fixture.delivered[0]));
        assert!(
            server.log().contains(method),
            "{method} in\n{}",
            server.log()
        );
    }
}

// ---- fetchmail --------------------------------------------------------------------------

/// Removes the `Received:` header a client adds to what it delivers: the first header
/// field that starts with `Received:` and contains `marker`, continuation lines included.
fn strip_received(message: &[u8], marker: &str) -> Vec<u8> {
    // Split the header into fields (a field is a line plus its continuation lines).
    let mut fields: Vec<Vec<u8>> = Vec::new();
    let mut lines = message.split_inclusive(|&b| b == b'\n');
    for line in lines.by_ref() {
        match fields.last_mut() {
            Some(field) if line.starts_with(b" ") || line.starts_with(b"\t") => {
                field.extend_from_slice(line)
            }
            _ => fields.push(line.to_vec()),
        }
        if line == b"\n" || line == b"\r\n" {
            break; // the empty line ending the header
        }
    }
    let added = fields.iter().position(|field| {
        field.starts_with(b"Received:") && String::from_utf8_lossy(field).contains(marker)
    });
    if let Some(added) = added {
        fields.remove(added);
    }
    let mut out = fields.concat();
    for line in lines {
        out.extend_from_slice(line);
    }
    out
}

/// A fetchmail rc file (mode 0600) polling `poll` for [`USER`], delivering to `into`
/// through `tests/clients/mda.sh`; `options` go into the user's section.
fn fetchmail_rc(
    fixture: &Fixture,
    name: &str,
    poll: &str,
    options: &[&str],
    into: &Path,
) -> PathBuf {
    let rc = fixture.path(name);
    write_private(
        &rc,
        &format!(
            "set no bouncemail\n\
             poll {poll} protocol pop3 auth password\n  \
             user \"{USER}\" there with password \"{PASSWORD}\" is \"root\" here\n  \
             {options}\n  \
             mda \"sh {mda} {into}\"\n",
            options = options.join("\n  "),
            mda = script("mda.sh").display(),
            into = into.display(),
        ),
    );
    rc
}

fn fetchmail(fixture: &Fixture, fetchmail: &Path, rc: &Path) -> Ran {
    let home = fixture.mkdir("home");
    run(Command::new(fetchmail)
        .env("HOME", &home)
        .arg("--fetchmailrc")
        .arg(rc)
        .arg("--idfile")
        .arg(home.join("fetchids"))
        .arg("--pidfile")
        .arg(home.join("fetchmail.pid"))
        .args(["--nosyslog", "--nodetach", "-v"]))
}

/// The messages fetchmail delivered into `dir`, without its `Received:` header.
fn fetched(dir: &Path) -> Vec<Vec<u8>> {
    let mut messages: Vec<Vec<u8>> = (delivered_to(dir).iter())
        .map(|m| strip_received(m, "(fetchmail-"))
        .collect();
    messages.sort();
    messages
}

#[test]
fn fetchmail_keep_then_no_keep_mbox() {
    let fixture = Fixture::new(StoreKind::Mbox);
    let server = fixture.start_server(&[]);
    let Some(fetchmail_bin) = client("fetchmail", "fetchmail") else {
        return;
    };
    let poll = format!("127.0.0.1 service {}", server.addr().port());

    // keep: everything is delivered, nothing deleted. (sslproto '': plain POP3, since
    // fetchmail 6.4 otherwise insists on STLS.)
    let kept = fixture.mkdir("kept");
    let rc = fetchmail_rc(&fixture, "keep.rc", &poll, &["keep", "sslproto ''"], &kept);
    fetchmail(&fixture, &fetchmail_bin, &rc).expect_success();
    assert_eq!(fetched(&kept), as_delivered(&fixture.delivered));
    assert_eq!(maildrop_now(&fixture), without(&fixture.delivered, &[]));
    // Again: the UIDL list says everything was seen; exit code 1 means "no mail".
    fetchmail(&fixture, &fetchmail_bin, &rc).expect_code(1);
    assert_eq!(delivered_to(&kept).len(), fixture.delivered.len());

    // no keep (and fetchall, as the messages were seen): delivered again and deleted.
    let taken = fixture.mkdir("taken");
    let options = ["no keep", "fetchall", "sslproto ''"];
    let rc = fetchmail_rc(&fixture, "no-keep.rc", &poll, &options, &taken);
    let ran = fetchmail(&fixture, &fetchmail_bin, &rc);
    ran.expect_success();
    assert!(ran.stdout.contains("POP3> DELE 11"), "{}", ran.stdout);
    assert_eq!(fetched(&taken), as_delivered(&fixture.delivered));
    assert!(fixture.maildrop().is_empty());
    fetchmail(&fixture, &fetchmail_bin, &rc).expect_code(1);
}

#[test]
fn fetchmail_runs_the_server_in_inetd_mode_as_a_plugin_over_stls() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let (cert, key) = fixture.certificate();
    let Some(fetchmail_bin) = client("fetchmail", "fetchmail") else {
        return;
    };
    // fetchmail runs the command with stdin and stdout on a socket pair, as inetd does
    // with a TCP connection. --require-tls: only a login after STLS can succeed.
    let mut plugin = vec![server_binary().display().to_string()];
    for arg in ["--inetd", "--hostname", HOST, "--require-tls", "--cert"] {
        plugin.push(arg.to_owned());
    }
    plugin.extend([
        cert.display().to_string(),
        "--key".into(),
        key.display().to_string(),
    ]);
    plugin.extend(
        fixture
            .server_args()
            .iter()
            .map(|a| a.to_string_lossy().into_owned()),
    );
    let into = fixture.mkdir("plugin");
    let trust = format!("sslcertfile {}", cert.display());
    // The certificate names localhost: sslcertck checks it against the poll name.
    let options = ["keep", "sslproto 'TLS1.2+'", "sslcertck", &trust];
    let poll = format!("localhost plugin \"{}\"", plugin.join(" "));
    let rc = fetchmail_rc(&fixture, "plugin.rc", &poll, &options, &into);
    let ran = fetchmail(&fixture, &fetchmail_bin, &rc);
    ran.expect_success();
    let transcript = &ran.stdout;
    assert!(
        transcript.contains("POP3< +OK Begin TLS negotiation"),
        "{transcript}"
    );
    assert!(
        transcript.contains("upgrade to TLS succeeded"),
        "{transcript}"
    );
    let bye = format!("POP3< +OK {HOST} POP3 server signing off");
    assert!(transcript.contains(&bye), "{transcript}");
    assert_eq!(fetched(&into), as_delivered(&fixture.delivered));
}

// ---- mpop -----------------------------------------------------------------------------

#[test]
fn mpop_fetches_new_messages_by_uidl_over_stls_and_pop3s() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let (cert, key) = fixture.certificate();
    let server = fixture.start_server(&[
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--tls-listen",
        "127.0.0.1:0",
        "--require-tls",
    ]);
    let Some(mpop) = client("mpop", "mpop") else {
        return;
    };
    let into = fixture.mkdir("mpop");
    let rc = fixture.path("mpoprc");
    write_private(
        &rc,
        &format!(
            "defaults\n\
             tls on\n\
             tls_trust_file {cert}\n\
             uidls_file {uidls}\n\
             delivery mda \"sh {mda} {into}\"\n\
             received_header off\n\
             keep on\n\
             user {USER}\n\
             password {PASSWORD}\n\
             account stls\n\
             host 127.0.0.1\n\
             port {stls}\n\
             tls_starttls on\n\
             account pop3s\n\
             host 127.0.0.1\n\
             port {pop3s}\n\
             tls_starttls off\n",
            cert = cert.display(),
            uidls = fixture.path("uidls").display(),
            mda = script("mda.sh").display(),
            into = into.display(),
            stls = server.addr().port(),
            pop3s = server.pop3s.unwrap().port(),
        ),
    );
    let mpop = |args: &[&str]| {
        let ran = run(Command::new(&mpop)
            .env("HOME", fixture.path("."))
            .arg("-C")
            .arg(&rc)
            .args(args));
        ran.expect_success();
        ran
    };

    // STLS: everything is new.
    mpop(&["stls"]);
    assert_eq!(delivered_to(&into), as_delivered(&fixture.delivered));
    // Implicit TLS, same server and user: the UIDL list says nothing is new.
    let ran = mpop(&["pop3s"]);
    assert!(ran.stdout.contains("new: no messages"), "{}", ran.stdout);
    // A new delivery is the only one fetched next time.
    let fresh = b"From: late@example.org\nSubject: arrived later\n\nnew mail\n".to_vec();
    let date = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    fixture
        .store
        .append(USER, &fresh, Flags::EMPTY, Some(date))
        .unwrap();
    mpop(&["pop3s"]);
    let mut all = fixture.delivered.clone();
    all.push(fresh);
    assert_eq!(delivered_to(&into), as_delivered(&all));
    // keep off: mpop deletes every message it has seen, over pipelined DELEs.
    let ran = mpop(&["--keep=off", "--debug", "stls"]);
    assert!(ran.stdout.contains("--> DELE 12"), "{}", ran.stdout);
    assert!(fixture.maildrop().is_empty());
    assert!(server.log().contains("deleted=12"), "{}", server.log());
}

// ---- inetd ----------------------------------------------------------------------------

/// `message` byte-stuffed and terminated as in a multi-line response (RFC 1939 §3).
fn stuffed(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in crlf(message).split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b".") {
            out.push(b'.');
        }
        out.extend_from_slice(line);
    }
    out.extend_from_slice(b".\r\n");
    out
}

#[test]
fn inetd_mode_serves_one_pipelined_session_over_a_pipe() {
    let fixture = Fixture::new(StoreKind::Mbox);
    let mut server = Interactive::spawn(&mut inetd_command(&fixture, &["--hostname", HOST]), false);
    // The whole session in one write: pipelining (RFC 2449 §6.6) over a pipe.
    server.send("USER demo\r\nPASS demo\r\nSTAT\r\nRETR 4\r\nDELE 1\r\nQUIT\r\n");
    let (status, output, log) = server.finish();
    assert!(status.success(), "{status}\n{log}");

    let sizes = sizes(&fixture.delivered);
    let (n, total) = (sizes.len(), sizes.iter().sum::<usize>());
    let mut expected = format!(
        "+OK POP3 server ready\r\n\
         +OK\r\n\
         +OK demo's maildrop has {n} messages ({total} octets)\r\n\
         +OK {n} {total}\r\n\
         +OK {} octets\r\n",
        sizes[3]
    )
    .into_bytes();
    expected.extend_from_slice(&stuffed(&fixture.delivered[3]));
    expected.extend_from_slice(
        format!(
            "+OK message 1 deleted\r\n+OK {HOST} POP3 server signing off ({} messages left)\r\n",
            n - 1
        )
        .as_bytes(),
    );
    assert!(
        output == expected,
        "transcript:\n{}",
        String::from_utf8_lossy(&output)
    );
    assert_eq!(maildrop_now(&fixture), without(&fixture.delivered, &[1]));
}

#[test]
fn inetd_sessions_in_two_processes_on_one_mbox() {
    let fixture = Fixture::new(StoreKind::Mbox);
    let mut first = Interactive::spawn(&mut inetd_command(&fixture, &[]), true);
    first.send("USER demo\r\nPASS demo\r\n");
    first.wait_line("+OK demo's maildrop has");
    // A second process: the session lock is an flock, seen across processes.
    let mut second = Interactive::spawn(&mut inetd_command(&fixture, &[]), true);
    second.send("USER demo\r\nPASS demo\r\n");
    second.wait_line("-ERR [IN-USE]");
    second.send("QUIT\r\n");
    second.wait_line("signing off");
    first.send("DELE 2\r\nQUIT\r\n");
    first.wait_line("signing off");
    assert!(first.finish().0.success());
    assert!(second.finish().0.success());
    assert_eq!(maildrop_now(&fixture), without(&fixture.delivered, &[2]));
}

#[test]
fn inetd_mode_offers_stls_with_a_certificate() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let (cert, key) = fixture.certificate();
    let mut server = Interactive::spawn(
        &mut inetd_command(
            &fixture,
            &[
                "--cert",
                cert.to_str().unwrap(),
                "--key",
                key.to_str().unwrap(),
            ],
        ),
        true,
    );
    server.send("CAPA\r\n");
    server.wait_line("STLS");
    // Whatever follows STLS in the same write is discarded, never executed (RFC 2595
    // §4; CVE-2011-0411): here the server then waits for a TLS ClientHello, gets EOF.
    server.send("STLS\r\nUSER demo\r\nPASS demo\r\nDELE 1\r\nQUIT\r\n");
    server.wait_line("+OK Begin TLS negotiation");
    let (status, _, log) = server.finish();
    assert!(status.success(), "{log}");
    assert!(!log.contains("logged in"), "{log}");
    assert!(log.contains("TLS handshake failed"), "{log}");
    assert_eq!(maildrop_now(&fixture), without(&fixture.delivered, &[]));
}
