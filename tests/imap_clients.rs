//! `examples/imap_server` driven by real clients: Python's imaplib and curl here; the
//! synchronising clients (mbsync, offlineimap3, fetchmail, neomutt) in
//! `tests/imap_sync_clients.rs`. Both servers on one Maildir, crashes and hostile input
//! are in `tests/imap_server_hostile.rs`.

mod clients;
#[path = "../examples/common/mod.rs"]
mod common;

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use clients::{Fixture, Interactive, PASSWORD, Ran, Server, USER, client, run, script};
use common::store::StoreKind;

/// `imap_server` on a fresh copy of the demo Maildir (INBOX, Sent, Drafts, Trash, Archive,
/// Archive.2023) plus the extra messages of the POP3 tests.
fn start(fixture: &Fixture, extra: &[&str]) -> Server {
    let mut args = fixture.server_args();
    args.extend(["--listen".into(), "127.0.0.1:0".into()]);
    args.extend(extra.iter().map(OsString::from));
    Server::start_example("imap_server", "imap", args)
}

/// The demo user's Maildir.
fn maildir(fixture: &Fixture) -> PathBuf {
    fixture.path("maildir").join(USER)
}

fn imaplib(server: &Server, mode: &str, args: &[&str]) -> Option<Ran> {
    let python = client("python3", "python3")?;
    let address = server.addr();
    Some(run(Command::new(python)
        .arg(script("imaplib_client.py"))
        .arg(address.ip().to_string())
        .arg(address.port().to_string())
        .args([mode, USER, PASSWORD])
        .args(args)))
}

/// Every file of `dir/cur` and `dir/new`, by unique part of the name.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for sub in ["cur", "new"] {
        for e in fs::read_dir(dir.join(sub)).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            out.push((name, fs::read(e.path()).unwrap()));
        }
    }
    out.sort();
    out
}

/// RFC 3501 §6 with imaplib: every command of RFC 3501 and the extensions, in one
/// session; FETCH gives the stored files byte for byte (CRLF line ends, RFC 3501 §2.2);
/// APPEND then FETCH gives the appended message back.
#[test]
fn imaplib_every_command() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let server = start(&fixture, &[]);
    let stored = files(&maildir(&fixture));
    let out = fixture.mkdir("fetched");
    let Some(ran) = imaplib(&server, "walk", &[out.to_str().unwrap()]) else {
        return;
    };
    ran.expect_success();
    let caps = ran.value("capability");
    for cap in [
        "IMAP4rev1",
        "LITERAL+",
        "IDLE",
        "UIDPLUS",
        "MOVE",
        "UNSELECT",
        "NAMESPACE",
        "CHILDREN",
        "SPECIAL-USE",
        "APPENDLIMIT=",
    ] {
        assert!(caps.contains(cap), "{cap} in {caps}");
    }
    for absent in ["CONDSTORE", "QRESYNC", "ACL", "QUOTA"] {
        assert!(
            !caps.contains(absent),
            "{absent} is not implemented, not advertised: {caps}"
        );
    }
    assert_eq!(ran.value("namespace"), r#"(("" ".")) NIL NIL"#);
    assert!(
        ran.value("list")
            .contains(r#"(\Sent \HasNoChildren) "." Sent"#)
    );
    assert!(ran.value("lsub").contains(r#"() "." Projects.Alpha"#));
    assert_eq!(
        ran.value("list-after-rename"),
        r#"(\HasChildren) "." Projects | (\HasNoChildren) "." Projects.Beta"#
    );
    assert!(
        ran.value("status")
            .starts_with(&format!("INBOX (MESSAGES {} ", stored.len()))
    );
    // Byte for byte: every message as its file, with CRLF line ends; the UIDs are the
    // ones the store recorded in dovecot-uidlist.
    let fetched = ran.value("fetched");
    assert_eq!(fetched.split(' ').count(), stored.len(), "{fetched}");
    let by_uid = uidlist(&maildir(&fixture));
    for (uid, base) in by_uid.iter().take(stored.len()) {
        let (name, bytes) = stored
            .iter()
            .find(|(name, _)| name.split(':').next() == Some(base.as_str()))
            .unwrap_or_else(|| panic!("no file for UID {uid} ({base})"));
        let got = fs::read(out.join(format!("{uid}.eml"))).unwrap();
        let want = wire(bytes);
        assert!(got == want, "message {uid} ({name}) differs from its file");
        assert!(
            fetched.contains(&format!("{uid}={}/{}", want.len(), want.len())),
            "{fetched}"
        );
    }
    assert!(ran.value("envelope").contains(r#""Lunch on Thursday?""#));
    assert!(
        ran.value("bodystructure")
            .contains(r#""alternative" ("boundary" "#)
    );
    assert_eq!(ran.value("search-flagged"), "1");
    assert_eq!(ran.value("uid-search-keyword"), "1");
    assert_eq!(ran.value("append-roundtrip"), "yes");
    assert!(ran.value("append").starts_with("[APPENDUID "));
    assert!(ran.value("copy").starts_with("[COPYUID "));
    assert_eq!(ran.value("logout"), "BYE");
    // What the session did is on disk: the moved and copied messages in Archive, the
    // expunged ones gone from INBOX.
    let inbox = files(&maildir(&fixture));
    assert_eq!(
        inbox.len(),
        stored.len() - 2,
        "EXPUNGE and UID EXPUNGE removed one each"
    );
    let archive = files(&maildir(&fixture).join(".Archive"));
    assert_eq!(
        archive.len(),
        1 + 2 + 1,
        "one before, two copied, one moved"
    );
}

/// `(uid, base name)` of every record of a folder's `dovecot-uidlist`.
fn uidlist(folder: &Path) -> Vec<(u32, String)> {
    let text = fs::read_to_string(folder.join("dovecot-uidlist")).unwrap();
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let uid = line.split(' ').next()?.parse().ok()?;
            let base = line.split_once(" :").map(|(_, b)| b.to_owned())?;
            Some((uid, base))
        })
        .collect()
}

/// The wire form of a stored message: bare LF as CRLF.
fn wire(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 32);
    for (i, &b) in message.iter().enumerate() {
        if b == b'\n' && (i == 0 || message[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// RFC 2177: a client idling on INBOX hears of a message another process delivers into
/// new/ (the store's file notification), without sending anything.
#[test]
fn imaplib_idle_is_woken_by_a_delivery_into_new() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let server = start(&fixture, &[]);
    let Some(python) = client("python3", "python3") else {
        return;
    };
    let address = server.addr();
    let idler = Interactive::spawn(
        Command::new(python)
            .arg(script("imaplib_client.py"))
            .arg(address.ip().to_string())
            .arg(address.port().to_string())
            .args(["idle", USER, PASSWORD, "60"]),
        true,
    );
    idler.wait_line("idling: yes");
    // An MTA's delivery: write into tmp/, rename into new/ (Maildir's protocol).
    let root = maildir(&fixture);
    let tmp = root.join("tmp").join("1800000000.M1P1.mta");
    fs::write(
        &tmp,
        b"From: mta@example.org\nSubject: delivered\n\nhello\n",
    )
    .unwrap();
    fs::rename(&tmp, root.join("new").join("1800000000.M1P1.mta")).unwrap();
    let woken = idler.wait_line("woken:");
    assert!(woken.ends_with(" EXISTS"), "{woken}");
    let (status, _, stderr) = idler.finish();
    assert!(status.success(), "{stderr}");
}

/// Two sessions on one mailbox see each other's changes: flags stored by one reach the
/// other's FETCH, a message expunged by one is expunged in the other at its next NOOP.
#[test]
fn two_sessions_see_each_others_changes() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let server = start(&fixture, &[]);
    let Some(_) = client("python3", "python3") else {
        return;
    };
    let address = server.addr();
    let mut watcher = Interactive::spawn(
        Command::new("python3")
            .arg("-c")
            .arg(WATCHER)
            .arg(address.port().to_string()),
        true,
    );
    watcher.wait_line("selected");
    let ran = run(Command::new("python3")
        .arg("-c")
        .arg(CHANGER)
        .arg(address.port().to_string()));
    ran.expect_success();
    watcher.send("go\n");
    let flags = watcher.wait_line("after-store:");
    assert!(flags.contains("\\Flagged"), "{flags}");
    watcher.send("go\n");
    let expunge = watcher.wait_line("after-expunge:");
    assert!(expunge.contains("EXPUNGE"), "{expunge}");
    let (status, _, stderr) = watcher.finish();
    assert!(status.success(), "{stderr}");
}

const WATCHER: &str = r#"
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.login("demo", "demo")
m.select("INBOX")
print("selected", flush=True)
sys.stdin.readline()
typ, data = m.fetch("1", "(FLAGS)")
print("after-store:", data[0].decode(), flush=True)
sys.stdin.readline()
m.noop()
print("after-expunge:", "EXPUNGE" if m.untagged_responses.get("EXPUNGE") else "none", m.untagged_responses, flush=True)
m.logout()
"#;

const CHANGER: &str = r#"
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.login("demo", "demo")
m.select("INBOX")
m.store("1", "+FLAGS", "(\\Flagged)")
m.store("2", "+FLAGS", "(\\Deleted)")
m.expunge()
m.logout()
"#;

/// curl's imap:// URLs (RFC 5092): LIST, FETCH by UID with and without `;UIDVALIDITY=`,
/// SEARCH, and upload (APPEND).
#[test]
fn curl_list_fetch_search_append() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let server = start(&fixture, &[]);
    let Some(curl) = client("curl", "curl") else {
        return;
    };
    let base = format!("imap://{}", server.addr());
    let curl = |args: &[&str]| {
        let ran = run(Command::new(&curl)
            .args(["-sS", "-u", "demo:demo"])
            .args(args));
        ran.expect_success();
        ran.stdout
    };
    let list = curl(&[&format!("{base}/")]);
    assert!(
        list.contains(r#"(\HasNoChildren) "." Archive.2023"#),
        "{list}"
    );
    let stored = files(&maildir(&fixture));
    let first = curl(&[&format!("{base}/INBOX;UID=1")]);
    assert!(
        first.as_bytes() == wire(&stored[0].1),
        "UID 1 is the first file"
    );
    // The mailbox's UIDVALIDITY from STATUS, then a URL that names it.
    let status = curl(&["-X", "STATUS INBOX (UIDVALIDITY)", &format!("{base}/")]);
    let validity: String = status
        .split("UIDVALIDITY ")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let again = curl(&[&format!("{base}/INBOX;UIDVALIDITY={validity}/;UID=1")]);
    assert_eq!(again, first);
    let search = curl(&[&format!("{base}/INBOX?SUBJECT%20Thursday")]);
    assert!(search.trim_end().starts_with("* SEARCH "), "{search}");
    let upload = fixture.path("upload.eml");
    fs::write(
        &upload,
        b"From: curl@example.org\r\nSubject: uploaded\r\n\r\nby curl\r\n",
    )
    .unwrap();
    curl(&["-T", upload.to_str().unwrap(), &format!("{base}/Drafts")]);
    let drafts = files(&maildir(&fixture).join(".Drafts"));
    assert!(
        drafts.iter().any(|(_, b)| b.ends_with(b"by curl\r\n")),
        "uploaded into Drafts"
    );
}

/// STARTTLS with `--ssl-reqd` (RFC 3501 §6.2.1) and implicit TLS `imaps://` (RFC 8314).
#[test]
fn curl_starttls_and_imaps() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let (cert, key) = fixture.certificate();
    let server = start(
        &fixture,
        &[
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--tls-listen",
            "127.0.0.1:0",
            "--require-tls",
        ],
    );
    let Some(curl) = client("curl", "curl") else {
        return;
    };
    let curl = |args: &[&str]| {
        run(Command::new(&curl)
            .args(["-sS", "-u", "demo:demo", "--cacert", cert.to_str().unwrap()])
            .args(args))
    };
    let plain = format!("imap://127.0.0.1:{}/INBOX;UID=1", server.addr().port());
    let ran = curl(&["--ssl-reqd", &plain]);
    ran.expect_success();
    assert!(ran.stdout.contains("Lunch on Thursday?"));
    // Without TLS the password is refused on the wire (LOGINDISABLED).
    let ran = curl(&[&plain]);
    assert_ne!(
        ran.status.code(),
        Some(0),
        "plaintext login must fail: {}",
        ran.stdout
    );
    let tls = server.pop3s.unwrap();
    let ran = curl(&[&format!("imaps://localhost:{}/INBOX;UID=2", tls.port())]);
    ran.expect_success();
    assert!(ran.stdout.contains("Subject:"));
}
