//! `examples/imap_server` driven by the synchronising and interactive IMAP clients of
//! Debian: mbsync (isync), offlineimap3, fetchmail and neomutt (under tmux). Python's
//! imaplib and curl are in `tests/imap_clients.rs`.
//!
//! Every test starts its own server on 127.0.0.1 port 0 on a fresh copy of the demo
//! Maildir (INBOX with the seven demo messages and the four extra ones of the client
//! harness, folders Sent, Drafts, Trash, Archive, Archive.2023). The clients' config and
//! state live in the fixture's temporary directory, with HOME pointed there. Every test
//! checks what the client achieved on both sides: the server's Maildir files (name
//! flags after `:2,`, contents, `dovecot-uidlist`) and the client's local copy or
//! screen, not only exit codes. Waits poll for a state with a generous timeout; no
//! sleep is an assertion.
//!
//! The clients come from Debian packages (`isync`, `offlineimap3`, `fetchmail`,
//! `neomutt`, `tmux`, `python3`; `.ci/run` installs them); a missing one fails its test
//! with the package name, unless `POBOX_SKIP_MISSING_CLIENTS=1`.

mod clients;
#[path = "../examples/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clients::{Fixture, PASSWORD, Ran, Server, USER, client, delivered_to, lf, run, script};
use common::store::StoreKind;
use md5::{Digest, Md5};

/// Longest wait for a client to reach a state (a file, a screen, a line of output).
const WAIT: Duration = Duration::from_secs(60);

/// How many messages the fixture's INBOX holds: seven demo messages and four extra.
const INBOX_MESSAGES: usize = 11;

// ---- the server and its Maildir ---------------------------------------------------------

/// `imap_server` on the fixture's Maildir, on an ephemeral loopback port.
fn start(fixture: &Fixture) -> Server {
    let mut args = fixture.server_args();
    args.extend(["--listen".into(), "127.0.0.1:0".into()]);
    args.extend(["--log-level", "debug"].map(OsString::from));
    Server::start_example("imap_server", "imap", args)
}

/// The demo user's Maildir (INBOX); a folder is `.Name` inside it.
fn maildir(fixture: &Fixture) -> PathBuf {
    fixture.path("maildir").join(USER)
}

/// One message file of a Maildir folder.
#[derive(Clone, Debug)]
struct Msg {
    /// Where it is.
    path: PathBuf,
    /// Its Maildir flags (the letters after `:2,`), sorted.
    flags: String,
    /// Its contents.
    bytes: Vec<u8>,
}

impl Msg {
    /// The `Subject:` of the message, as written in the header.
    fn subject(&self) -> String {
        header_field(&self.bytes, "Subject").unwrap_or_default()
    }

    /// The contents as the clients' copies and the server's files can be compared: LF
    /// line ends, without the `X-TUID:` header mbsync adds to what it copies.
    fn normalised(&self) -> Vec<u8> {
        lf(&strip_field(&self.bytes, "X-TUID:", ""))
    }

    /// The file's modification time (a Maildir message's INTERNALDATE).
    fn mtime(&self) -> SystemTime {
        fs::metadata(&self.path).unwrap().modified().unwrap()
    }

    /// The file name's unique part, before the `:` of the info.
    fn base(&self) -> String {
        let name = self.path.file_name().unwrap().to_string_lossy();
        name.split(':').next().unwrap().to_owned()
    }
}

/// The messages of the Maildir folder `dir` (`cur/` and `new/`), sorted by subject.
fn folder(dir: &Path) -> Vec<Msg> {
    let mut out = Vec::new();
    for sub in ["cur", "new"] {
        let Ok(entries) = fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let mut flags: Vec<char> = name
                .split_once(":2,")
                .map(|(_, f)| f.chars().collect())
                .unwrap_or_default();
            flags.sort_unstable();
            // A file the server renames or unlinks while a wait polls is skipped (the
            // next poll sees its new name); nothing else may fail.
            let bytes = match fs::read(&path) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => panic!("{}: {e}", path.display()),
            };
            out.push(Msg {
                path,
                flags: flags.into_iter().collect(),
                bytes,
            });
        }
    }
    out.sort_by_key(|m| (m.subject(), m.normalised()));
    out
}

/// One line per message of `dir`: subject, size and digest of the normalised contents,
/// flags. Two folders with the same summary hold the same messages with the same flags.
fn summary(dir: &Path) -> Vec<String> {
    let mut lines: Vec<String> = folder(dir)
        .iter()
        .map(|m| {
            let body = m.normalised();
            format!(
                "{:?} {} bytes md5 {} flags {:?}",
                m.subject(),
                body.len(),
                hex(&Md5::digest(&body)),
                m.flags
            )
        })
        .collect();
    lines.sort();
    lines
}

/// The message of `dir` whose subject is `subject`; exactly one must exist.
fn find(dir: &Path, subject: &str) -> Msg {
    let all = folder(dir);
    let found: Vec<&Msg> = all.iter().filter(|m| m.subject() == subject).collect();
    assert_eq!(
        found.len(),
        1,
        "one message {subject:?} in {}: {:#?}",
        dir.display(),
        summary(dir)
    );
    found[0].clone()
}

/// Whether `dir` holds a message with this subject.
fn has(dir: &Path, subject: &str) -> bool {
    folder(dir).iter().any(|m| m.subject() == subject)
}

/// `(uid, base name)` of every record of a folder's `dovecot-uidlist`.
fn uidlist(dir: &Path) -> Vec<(u32, String)> {
    let text = fs::read_to_string(dir.join("dovecot-uidlist")).unwrap();
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let uid = line.split(' ').next()?.parse().ok()?;
            let (_, base) = line.split_once(" :")?;
            Some((uid, base.to_owned()))
        })
        .collect()
}

/// The UID the server gave the message of `dir` with this subject.
fn uid_of(dir: &Path, subject: &str) -> u32 {
    let base = find(dir, subject).base();
    uidlist(dir)
        .into_iter()
        .find(|(_, b)| *b == base)
        .unwrap_or_else(|| panic!("no UID for {base} in {}", dir.display()))
        .0
}

/// Every file under `dir` (relative path → size and digest), for "nothing changed".
fn tree(dir: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let bytes = fs::read(&path).unwrap();
                let name = path.strip_prefix(root).unwrap().to_string_lossy();
                let digest = format!("{} bytes md5 {}", bytes.len(), hex(&Md5::digest(&bytes)));
                out.insert(name.into_owned(), digest);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Delivers `message` into the server's folder `dir` as an MTA does (Maildir's
/// protocol: written in tmp/, renamed into new/).
fn deliver(dir: &Path, name: &str, message: &[u8]) {
    let tmp = dir.join("tmp").join(name);
    fs::write(&tmp, message).unwrap();
    fs::rename(&tmp, dir.join("new").join(name)).unwrap();
}

/// Writes a message into a client's local Maildir folder, with `mtime` (what a client
/// that copies arrival dates sends as APPEND's date-time).
fn write_local(path: &Path, message: &[u8], mtime: SystemTime) {
    fs::write(path, message).unwrap();
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
}

/// Renames a Maildir message file to carry `flags` (into `cur/`, as a Maildir client
/// changes flags).
fn set_local_flags(msg: &Msg, flags: &str) {
    let dir = msg.path.parent().unwrap().parent().unwrap();
    let name = msg.path.file_name().unwrap().to_string_lossy().into_owned();
    let base = name.split(":2,").next().unwrap();
    fs::rename(&msg.path, dir.join("cur").join(format!("{base}:2,{flags}"))).unwrap();
}

// ---- messages -----------------------------------------------------------------------------

/// The value of the first header field `name` of `message` (unfolded, trimmed).
fn header_field(message: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(message);
    let prefix = format!("{}:", name.to_ascii_lowercase());
    for line in text.lines() {
        if line.is_empty() {
            return None;
        }
        if line.to_ascii_lowercase().starts_with(&prefix) {
            return Some(line[prefix.len()..].trim().to_owned());
        }
    }
    None
}

/// Removes the first header field that starts with `prefix` (`"X-TUID:"`,
/// `"Received:"`) and contains `marker`, continuation lines included.
fn strip_field(message: &[u8], prefix: &str, marker: &str) -> Vec<u8> {
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
        field.starts_with(prefix.as_bytes()) && String::from_utf8_lossy(field).contains(marker)
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

/// A small message with LF line ends.
fn message(from: &str, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\nTo: {USER}@example.net\nSubject: {subject}\n\
         Date: Tue, 14 Nov 2023 22:13:19 +0000\n\
         Message-ID: <{}@pobox.test>\n\n{body}\n",
        subject.replace(' ', ".")
    )
    .into_bytes()
}

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

// ---- IMAP changes on the server side (Python's imaplib) ---------------------------------

/// Changes on the server over IMAP, as another client makes them: in `mailbox`, each
/// step is `UID +FLAGS (\Flag)` (UID STORE, RFC 3501 §6.4.6) or `UID expunge` (UID STORE
/// +FLAGS (\Deleted) then UID EXPUNGE, RFC 4315 §2.1).
const CHANGE: &str = r#"
import imaplib, sys
def ok(r, what):
    if r[0] != "OK":
        print("error:", what, r); sys.exit(1)
    print(what, r)
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
ok(m.login("demo", "demo"), "login")
ok(m.select(sys.argv[2]), "select")
for step in sys.argv[3:]:
    uid, op = step.split(" ", 1)
    if op == "expunge":
        ok(m.uid("STORE", uid, "+FLAGS", "(\\Deleted)"), step)
        ok(m.uid("EXPUNGE", uid), step)
    else:
        what, flags = op.split(" ", 1)
        ok(m.uid("STORE", uid, what, flags), step)
m.logout()
"#;

/// Runs [`CHANGE`] on `mailbox` with `steps`; `None` when python3 is missing (skipped).
fn imap_change(server: &Server, mailbox: &str, steps: &[String]) -> Option<Ran> {
    let python = client("python3", "python3")?;
    let ran = run(Command::new(python)
        .arg("-c")
        .arg(CHANGE)
        .arg(server.addr().port().to_string())
        .arg(mailbox)
        .args(steps));
    ran.expect_success();
    Some(ran)
}

// ---- waiting ------------------------------------------------------------------------------

/// Polls `probe` until it gives a value, failing after [`WAIT`] with `context()`.
fn wait_for<T>(
    what: &str,
    mut probe: impl FnMut() -> Option<T>,
    context: impl Fn() -> String,
) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {WAIT:?} waiting for {what}\n{}",
            context()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A child process that is killed when the test ends (a long-running client).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

// ---- mbsync (isync) -----------------------------------------------------------------------

/// An mbsync config: channel `pobox` syncing INBOX and Archive of the server with the
/// Maildir `local` (`local/INBOX`, `local/Archive`), both ways, expunging both ways,
/// arrival dates copied (APPEND's date-time and INTERNALDATE, RFC 3501 §6.3.11, §2.3.3).
fn mbsync_config(fixture: &Fixture, server: &Server, local: &Path) -> PathBuf {
    let rc = fixture.path("mbsyncrc");
    let local = local.display();
    fs::write(
        &rc,
        format!(
            "IMAPAccount pobox\n\
             Host 127.0.0.1\n\
             Port {port}\n\
             User {USER}\n\
             Pass {PASSWORD}\n\
             SSLType None\n\
             AuthMechs LOGIN\n\
             \n\
             IMAPStore server\n\
             Account pobox\n\
             \n\
             MaildirStore local\n\
             Path {local}/\n\
             Inbox {local}/INBOX\n\
             SubFolders Verbatim\n\
             \n\
             Channel pobox\n\
             Far :server:\n\
             Near :local:\n\
             Patterns INBOX Archive\n\
             Create Both\n\
             Expunge Both\n\
             CopyArrivalDate yes\n\
             SyncState *\n",
            port = server.addr().port(),
        ),
    )
    .unwrap();
    rc
}

/// The IMAP commands in mbsync's `-Dn` transcript (`>>> 5 UID FETCH 1:8 (UID FLAGS)`),
/// without their tags.
fn mbsync_commands(ran: &Ran) -> Vec<String> {
    ran.stdout
        .lines()
        .filter_map(|line| line.strip_prefix(">>> "))
        .filter_map(|line| line.split_once(' ').map(|(_, command)| command.to_owned()))
        .collect()
}

/// Asserts that an mbsync run only looked: LOGIN, LIST, SELECT, UID FETCH of UIDs and
/// FLAGS, CLOSE; no APPEND, STORE, EXPUNGE or message bodies.
fn mbsync_only_looked(ran: &Ran) {
    let verbs = [
        "LOGIN",
        "NAMESPACE",
        "LIST",
        "SELECT",
        "CLOSE",
        "LOGOUT",
        "CAPABILITY",
    ];
    let commands = mbsync_commands(ran);
    assert!(
        commands.iter().any(|c| c.starts_with("SELECT")),
        "{}",
        ran.stdout
    );
    for command in commands {
        let looks = verbs.iter().any(|verb| command.starts_with(verb))
            || (command.starts_with("UID FETCH") && command.ends_with("(UID FLAGS)"));
        assert!(
            looks,
            "a sync with nothing to do sent {command:?}\n{}",
            ran.stdout
        );
    }
}

/// isync's mbsync, two-way: pull of INBOX and Archive, push of new local messages, flag
/// changes both ways, expunges both ways, and a run with nothing to do.
#[test]
fn mbsync_two_way_sync_of_inbox_and_a_folder() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let server = start(&fixture);
    let Some(mbsync) = client("mbsync", "isync") else {
        return;
    };
    let home = fixture.mkdir("home");
    let local = fixture.mkdir("mbsync");
    let rc = mbsync_config(&fixture, &server, &local);
    let sync = || {
        let ran = run(Command::new(&mbsync)
            .env("HOME", &home)
            .arg("-c")
            .arg(&rc)
            .args(["-Dn", "pobox"]));
        ran.expect_success();
        ran
    };
    let inbox = maildir(&fixture);
    let archive = inbox.join(".Archive");
    let (local_inbox, local_archive) = (local.join("INBOX"), local.join("Archive"));
    let both_sides_equal = |step: &str| {
        for (near, far) in [(&local_inbox, &inbox), (&local_archive, &archive)] {
            assert_eq!(
                summary(near),
                summary(far),
                "after {step}: {} and the server's {} differ",
                near.display(),
                far.display()
            );
        }
    };

    // 1. Pull: every message of both folders, with its flags (Archive's is \Seen
    // \Answered: RS) and, with CopyArrivalDate, its INTERNALDATE as the file's mtime.
    let ran = sync();
    assert!(
        mbsync_commands(&ran)
            .iter()
            .any(|c| c.starts_with("UID FETCH") && c.contains("BODY.PEEK[]")),
        "{}",
        ran.stdout
    );
    assert_eq!(folder(&local_inbox).len(), INBOX_MESSAGES);
    both_sides_equal("the first sync");
    assert_eq!(find(&local_archive, "Welcome to the team").flags, "RS");
    for (near, far) in [(&local_inbox, &inbox), (&local_archive, &archive)] {
        for (n, f) in folder(near).iter().zip(folder(far).iter()) {
            assert_eq!(n.mtime(), f.mtime(), "INTERNALDATE of {:?}", f.subject());
        }
    }

    // 2. Push: a new message in each local folder (one already \Seen) is APPENDed with
    // its flags and date; the server answers APPENDUID (RFC 4315 §3), which mbsync
    // records instead of searching for the message.
    let pushed = message("near@example.org", "written near", "pushed by mbsync");
    let pushed_seen = message("near@example.org", "filed near", "pushed into Archive");
    write_local(
        &local_inbox.join("new").join("1700200000.P1Q1.near"),
        &pushed,
        at(1_700_200_000),
    );
    write_local(
        &local_archive.join("cur").join("1700200060.P1Q2.near:2,S"),
        &pushed_seen,
        at(1_700_200_060),
    );
    let ran = sync();
    let commands = mbsync_commands(&ran);
    assert_eq!(
        commands.iter().filter(|c| c.starts_with("APPEND")).count(),
        2,
        "{commands:#?}"
    );
    both_sides_equal("pushing two messages");
    for (dir, subject, flags, date) in [
        (&inbox, "written near", "", 1_700_200_000),
        (&archive, "filed near", "S", 1_700_200_060),
    ] {
        let stored = find(dir, subject);
        assert_eq!(stored.flags, flags, "{subject}");
        assert_eq!(stored.mtime(), at(date), "APPEND's date-time of {subject}");
        let base = stored.base();
        assert!(
            uidlist(dir).iter().any(|(_, b)| *b == base),
            "{base} has a UID in {}",
            dir.display()
        );
    }
    let renamed = find(&local_inbox, "written near");
    assert!(
        renamed.path.to_string_lossy().contains(",U="),
        "mbsync gave the pushed file its UID: {}",
        renamed.path.display()
    );

    // 3. Flags both ways: \Flagged set locally reaches the server's file (F), \Seen
    // cleared locally is cleared there (UID STORE +FLAGS / -FLAGS, RFC 3501 §6.4.6);
    // \Seen set over IMAP by another client reaches the local file (S), and \Seen
    // cleared over IMAP on another message is cleared locally.
    set_local_flags(&find(&local_inbox, "Lunch on Thursday?"), "F");
    let welcome = "Welcome to the team";
    set_local_flags(&find(&local_archive, welcome), "R");
    let order = "Your order #10442 has shipped";
    let uid = uid_of(&inbox, order);
    let Some(_) = imap_change(&server, "INBOX", &[format!("{uid} +FLAGS (\\Seen)")]) else {
        return;
    };
    assert_eq!(find(&inbox, order).flags, "S");
    let filed = uid_of(&archive, "filed near");
    let Some(_) = imap_change(&server, "Archive", &[format!("{filed} -FLAGS (\\Seen)")]) else {
        return;
    };
    assert_eq!(find(&archive, "filed near").flags, "");
    let ran = sync();
    let commands = mbsync_commands(&ran);
    assert!(
        commands
            .iter()
            .any(|c| c.starts_with("UID STORE") && c.contains("+FLAGS") && c.contains("\\Flagged")),
        "{commands:#?}"
    );
    assert!(
        commands
            .iter()
            .any(|c| c.starts_with("UID STORE") && c.contains("-FLAGS") && c.contains("\\Seen")),
        "{commands:#?}"
    );
    assert_eq!(find(&inbox, "Lunch on Thursday?").flags, "F");
    assert_eq!(find(&archive, welcome).flags, "R");
    assert_eq!(find(&local_inbox, order).flags, "S");
    assert_eq!(find(&local_archive, "filed near").flags, "");
    both_sides_equal("changing flags on both sides");

    // 4. Expunge both ways: a message deleted locally is expunged on the server (mbsync
    // stores \Deleted and expunges, RFC 3501 §6.4.2/§6.4.3); one expunged on the server
    // by another client is deleted locally.
    let spreadsheet = "Spreadsheet and logo for the meeting";
    fs::remove_file(find(&local_inbox, spreadsheet).path).unwrap();
    let dotfiles = "Re: dotfiles (lines that start with a dot)";
    let gone_uid = uid_of(&inbox, dotfiles);
    let Some(_) = imap_change(&server, "INBOX", &[format!("{gone_uid} expunge")]) else {
        return;
    };
    assert!(!has(&inbox, dotfiles));
    let gone_base = find(&inbox, spreadsheet).base();
    sync();
    for subject in [spreadsheet, dotfiles] {
        assert!(!has(&inbox, subject), "{subject} left on the server");
        assert!(!has(&local_inbox, subject), "{subject} left locally");
    }
    assert!(
        !uidlist(&inbox).iter().any(|(_, b)| *b == gone_base),
        "the expunged message's record left dovecot-uidlist"
    );
    assert_eq!(folder(&inbox).len(), INBOX_MESSAGES + 1 - 2);
    both_sides_equal("expunging on both sides");

    // 5. Nothing to do: neither side changes, and mbsync only looks (UID FETCH of UIDs
    // and FLAGS, no APPEND, STORE, EXPUNGE or message bodies).
    let before = (tree(&local), tree(&inbox));
    let ran = sync();
    let after = (tree(&local), tree(&inbox));
    assert_eq!(
        before.0, after.0,
        "a sync with nothing to do changed the local side"
    );
    assert_eq!(
        before.1, after.1,
        "a sync with nothing to do changed the server's Maildir"
    );
    mbsync_only_looked(&ran);

    // 6. The same after a restart of the server: UIDVALIDITY and UIDs come from
    // dovecot-uidlist (RFC 3501 §2.3.1.1: UIDs "SHOULD NOT change between sessions"), so
    // mbsync finds its state valid and fetches nothing again.
    let mut server = server;
    assert!(server.terminate().success(), "{}", server.log());
    let server = start(&fixture);
    mbsync_config(&fixture, &server, &local);
    let ran = sync();
    mbsync_only_looked(&ran);
    assert_eq!(
        tree(&local),
        after.0,
        "a sync after a restart changed the local side"
    );
    assert_eq!(
        tree(&inbox),
        after.1,
        "a sync after a restart changed the server's Maildir"
    );
}

// ---- offlineimap3 -------------------------------------------------------------------------

/// offlineimap3, two-way: a first sync pulls INBOX and Archive; local changes (a new
/// message, a flag, a deletion) reach the server; then changes on the server side (a
/// delivery into new/ by an MTA, a flag stored and a message expunged over IMAP by
/// another client) reach the local copy; a last sync with nothing to do changes nothing.
#[test]
fn offlineimap_two_way_sync_then_changes_on_the_server() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let server = start(&fixture);
    let Some(offlineimap) = client("offlineimap", "offlineimap3") else {
        return;
    };
    let home = fixture.mkdir("home");
    let local = fixture.mkdir("offlineimap");
    fs::write(
        home.join(".offlineimaprc"),
        format!(
            "[general]\n\
             accounts = pobox\n\
             \n\
             [Account pobox]\n\
             localrepository = local\n\
             remoterepository = server\n\
             \n\
             [Repository local]\n\
             type = Maildir\n\
             localfolders = {local}\n\
             \n\
             [Repository server]\n\
             type = IMAP\n\
             remotehost = 127.0.0.1\n\
             remoteport = {port}\n\
             remoteuser = {USER}\n\
             remotepass = {PASSWORD}\n\
             ssl = no\n\
             starttls = no\n\
             folderfilter = lambda name: name in ['INBOX', 'Archive']\n",
            local = local.display(),
            port = server.addr().port(),
        ),
    )
    .unwrap();
    let sync = || {
        let ran = run(Command::new(&offlineimap)
            .env("HOME", &home)
            .args(["-o", "-u", "quiet"]));
        ran.expect_success();
        // offlineimap reports errors but exits 0 in some versions.
        assert!(
            !ran.stderr.contains("ERROR") && !ran.stdout.contains("ERROR"),
            "offlineimap reported an error\n--- stdout\n{}\n--- stderr\n{}",
            ran.stdout,
            ran.stderr
        );
        ran
    };
    let inbox = maildir(&fixture);
    let archive = inbox.join(".Archive");
    let (local_inbox, local_archive) = (local.join("INBOX"), local.join("Archive"));
    let both_sides_equal = |step: &str| {
        for (near, far) in [(&local_inbox, &inbox), (&local_archive, &archive)] {
            assert_eq!(
                summary(near),
                summary(far),
                "after {step}: {} and the server's {} differ",
                near.display(),
                far.display()
            );
        }
    };

    // 1. The first sync pulls both folders with their flags.
    sync();
    assert_eq!(folder(&local_inbox).len(), INBOX_MESSAGES);
    assert_eq!(find(&local_archive, "Welcome to the team").flags, "RS");
    both_sides_equal("the first sync");

    // 2. Local changes: a new message is APPENDed (offlineimap takes its UID from
    // APPENDUID, RFC 4315 §3, and renames the local file with it), \Flagged set locally
    // is stored on the server, and a message deleted locally is expunged there (STORE
    // \Deleted, EXPUNGE, RFC 3501 §6.4.3).
    let written = message(
        "near@example.org",
        "written offline",
        "pushed by offlineimap",
    );
    write_local(
        &local_inbox.join("new").join("1700200000.P1Q1.near"),
        &written,
        at(1_700_200_000),
    );
    set_local_flags(&find(&local_inbox, "Lunch on Thursday?"), "F");
    let spreadsheet = "Spreadsheet and logo for the meeting";
    let spreadsheet_base = find(&inbox, spreadsheet).base();
    fs::remove_file(find(&local_inbox, spreadsheet).path).unwrap();
    sync();
    assert!(
        !has(&inbox, spreadsheet),
        "{spreadsheet} left on the server"
    );
    assert!(
        !uidlist(&inbox).iter().any(|(_, b)| *b == spreadsheet_base),
        "the expunged message's record left dovecot-uidlist"
    );
    let stored = find(&inbox, "written offline");
    assert_eq!(
        lf(&stored.bytes),
        written,
        "the server stored what was written"
    );
    let base = stored.base();
    let (uid, _) = uidlist(&inbox)
        .into_iter()
        .find(|(_, b)| *b == base)
        .expect("the appended message has a UID");
    let local_name = find(&local_inbox, "written offline").path;
    assert!(
        local_name.to_string_lossy().contains(&format!(",U={uid},")),
        "offlineimap recorded UID {uid}: {}",
        local_name.display()
    );
    assert_eq!(find(&inbox, "Lunch on Thursday?").flags, "F");
    both_sides_equal("pushing local changes");

    // 3. Changes on the server side: an MTA delivers into new/, another client sets
    // \Answered over IMAP and expunges a message.
    let delivered = message("mta@example.org", "delivered by the MTA", "fresh mail");
    deliver(&inbox, "1800000000.M1P1.mta", &delivered);
    let order = "Your order #10442 has shipped";
    let uid = uid_of(&inbox, order);
    let dotfiles = "Re: dotfiles (lines that start with a dot)";
    let gone = uid_of(&inbox, dotfiles);
    let steps = [
        format!("{uid} +FLAGS (\\Answered)"),
        format!("{gone} expunge"),
    ];
    let Some(_) = imap_change(&server, "INBOX", &steps) else {
        return;
    };
    assert_eq!(find(&inbox, order).flags, "R");
    assert!(!has(&inbox, dotfiles));
    sync();
    assert!(!has(&local_inbox, dotfiles), "{dotfiles} left locally");
    assert_eq!(
        lf(&find(&local_inbox, "delivered by the MTA").bytes),
        delivered
    );
    assert_eq!(find(&local_inbox, order).flags, "R");
    assert_eq!(folder(&local_inbox).len(), INBOX_MESSAGES + 2 - 2);
    both_sides_equal("changes on the server");

    // 4. Nothing to do: neither side changes.
    let before = (tree(&local), tree(&inbox));
    sync();
    let after = (tree(&local), tree(&inbox));
    assert_eq!(
        before.0, after.0,
        "a sync with nothing to do changed the local side"
    );
    assert_eq!(
        before.1, after.1,
        "a sync with nothing to do changed the server's Maildir"
    );
}

// ---- fetchmail over IMAP ------------------------------------------------------------------

/// A fetchmail rc file (mode 0600) polling the server over IMAP for [`USER`], delivering
/// into `into` through `tests/clients/mda.sh`; `options` go into the user's section.
/// (`sslproto ''`: plain IMAP, as fetchmail 6.4 otherwise insists on STARTTLS.)
fn fetchmail_rc(
    fixture: &Fixture,
    server: &Server,
    name: &str,
    options: &[&str],
    into: &Path,
) -> PathBuf {
    let rc = fixture.path(name);
    clients::write_private(
        &rc,
        &format!(
            "set no bouncemail\n\
             poll 127.0.0.1 service {port} protocol imap auth password\n  \
             user \"{USER}\" there with password \"{PASSWORD}\" is \"root\" here\n  \
             sslproto ''\n  \
             {options}\n  \
             mda \"sh {mda} {into}\"\n",
            port = server.addr().port(),
            options = options.join("\n  "),
            mda = script("mda.sh").display(),
            into = into.display(),
        ),
    );
    rc
}

/// fetchmail with `rc`, its state in the fixture's home, verbose (the IMAP dialogue on
/// stdout), in the foreground.
fn fetchmail_command(fixture: &Fixture, fetchmail: &Path, rc: &Path) -> Command {
    let home = fixture.mkdir("home");
    let mut command = Command::new(fetchmail);
    command
        .env("HOME", &home)
        .arg("--fetchmailrc")
        .arg(rc)
        .arg("--idfile")
        .arg(home.join("fetchids"))
        .arg("--pidfile")
        .arg(home.join("fetchmail.pid"))
        .args(["--nosyslog", "--nodetach", "-v"]);
    command
}

/// The messages fetchmail delivered into `dir`, without the `Received:` header it adds.
fn fetched(dir: &Path) -> Vec<Vec<u8>> {
    let mut messages: Vec<Vec<u8>> = (delivered_to(dir).iter())
        .map(|m| strip_field(m, "Received:", "(fetchmail-"))
        .collect();
    messages.sort();
    messages
}

/// The server INBOX's messages, as fetchmail hands them to an MDA: LF line ends, a
/// final line end.
fn as_fetched(dir: &Path) -> Vec<Vec<u8>> {
    let messages: Vec<Vec<u8>> = folder(dir).into_iter().map(|m| m.bytes).collect();
    clients::as_delivered(&messages)
}

/// `keep`: every unseen message is fetched once and stays on the server, marked \Seen
/// (fetchmail fetches with BODY.PEEK and stores \Seen itself, RFC 3501 §6.4.5, §6.4.6),
/// so the next poll finds no new mail (exit code 1). `no keep`: fetched and deleted
/// (STORE \Deleted, then EXPUNGE, RFC 3501 §6.4.3): the server's INBOX is empty.
#[test]
fn fetchmail_imap_keep_then_no_keep() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let server = start(&fixture);
    let Some(fetchmail) = client("fetchmail", "fetchmail") else {
        return;
    };
    let inbox = maildir(&fixture);
    let want = as_fetched(&inbox);
    assert_eq!(want.len(), INBOX_MESSAGES);
    assert!(
        folder(&inbox).iter().all(|m| m.flags.is_empty()),
        "all unseen"
    );

    let kept = fixture.mkdir("kept");
    let rc = fetchmail_rc(&fixture, &server, "keep.rc", &["keep"], &kept);
    let ran = run(&mut fetchmail_command(&fixture, &fetchmail, &rc));
    ran.expect_success();
    assert!(ran.stdout.contains("IMAP> A0001 LOGIN"), "{}", ran.stdout);
    assert_eq!(fetched(&kept), want);
    let after = folder(&inbox);
    assert_eq!(after.len(), INBOX_MESSAGES, "keep deletes nothing");
    for m in &after {
        assert_eq!(
            m.flags,
            "S",
            "{:?} is marked \\Seen on the server",
            m.subject()
        );
    }
    // Again: nothing unseen (SEARCH UNSEEN is empty), exit code 1 means "no mail".
    let ran = run(&mut fetchmail_command(&fixture, &fetchmail, &rc));
    ran.expect_code(1);
    assert_eq!(delivered_to(&kept).len(), INBOX_MESSAGES, "fetched once");

    // no keep, and fetchall as every message is seen now: fetched again and expunged.
    let taken = fixture.mkdir("taken");
    let options = ["no keep", "fetchall"];
    let rc = fetchmail_rc(&fixture, &server, "no-keep.rc", &options, &taken);
    let ran = run(&mut fetchmail_command(&fixture, &fetchmail, &rc));
    ran.expect_success();
    assert!(ran.stdout.contains(" EXPUNGE"), "{}", ran.stdout);
    assert_eq!(fetched(&taken), want);
    assert!(folder(&inbox).is_empty(), "{:#?}", summary(&inbox));
    assert!(
        uidlist(&inbox).is_empty(),
        "the expunged messages left dovecot-uidlist"
    );
    run(&mut fetchmail_command(&fixture, &fetchmail, &rc)).expect_code(1);
}

/// `--idle` (RFC 2177): after fetching what is there, fetchmail idles on INBOX; a
/// message an MTA delivers into new/ is announced with EXISTS while it idles, and it
/// fetches (and, with `no keep`, expunges) it without polling.
#[test]
fn fetchmail_imap_idle_fetches_a_delivery() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let server = start(&fixture);
    let Some(fetchmail) = client("fetchmail", "fetchmail") else {
        return;
    };
    let inbox = maildir(&fixture);
    let mut want = as_fetched(&inbox);
    let into = fixture.mkdir("idle");
    let rc = fetchmail_rc(&fixture, &server, "idle.rc", &["no keep"], &into);
    let transcript_path = fixture.path("fetchmail-idle.log");
    let transcript = fs::File::create(&transcript_path).unwrap();
    let mut command = fetchmail_command(&fixture, &fetchmail, &rc);
    command
        .arg("--idle")
        .stdin(Stdio::null())
        .stdout(transcript.try_clone().unwrap())
        .stderr(transcript);
    let _fetchmail = Running(command.spawn().expect("starting fetchmail"));
    let transcript = || fs::read_to_string(&transcript_path).unwrap_or_default();
    // Idling: an IDLE command answered with a continuation request, after which fetchmail
    // waits for the server.
    let idling = |text: &str, after: usize| {
        let lines: Vec<&str> = text.lines().collect();
        let idle = lines
            .iter()
            .enumerate()
            .skip(after)
            .filter(|(_, l)| l.starts_with("fetchmail: IMAP> ") && l.ends_with(" IDLE"))
            .map(|(i, _)| i)
            .next_back()?;
        let continued = lines[idle..]
            .iter()
            .any(|l| l.starts_with("fetchmail: IMAP< +"));
        let waiting = lines[idle..].iter().all(|l| !l.contains("IMAP> DONE"));
        (continued && waiting).then_some(idle + 1)
    };

    let first_idle = wait_for(
        "fetchmail to fetch the INBOX and idle",
        || {
            // uidlist first: EXPUNGE drops the records after unlinking the files.
            let done = delivered_to(&into).len() == INBOX_MESSAGES
                && uidlist(&inbox).is_empty()
                && folder(&inbox).is_empty();
            done.then(|| idling(&transcript(), 0)).flatten()
        },
        transcript,
    );
    assert_eq!(fetched(&into), want);

    // An MTA delivers while fetchmail idles.
    let delivery = message("mta@example.org", "delivered during IDLE", "wake up");
    deliver(&inbox, "1800000000.M1P1.mta", &delivery);
    wait_for(
        "fetchmail to fetch the delivery and idle again",
        || {
            let done = delivered_to(&into).len() == INBOX_MESSAGES + 1
                && uidlist(&inbox).is_empty()
                && folder(&inbox).is_empty();
            done.then(|| idling(&transcript(), first_idle)).flatten()
        },
        transcript,
    );
    want.push(lf(&delivery));
    want.sort();
    assert_eq!(fetched(&into), want);
    let text = transcript();
    let after_idle: Vec<&str> = text.lines().skip(first_idle).collect();
    assert!(
        after_idle.contains(&"fetchmail: IMAP< * 1 EXISTS"),
        "the server announced the delivery during IDLE\n{text}"
    );
    assert!(
        uidlist(&inbox).is_empty(),
        "the fetched delivery was expunged"
    );
}

// ---- neomutt under tmux -------------------------------------------------------------------

/// A detached tmux session on a private socket (in the fixture's directory) running one
/// program on a 200×50 screen; the tmux server (and the program) is killed when dropped.
struct Tmux {
    tmux: PathBuf,
    socket: PathBuf,
    /// Shown when a wait fails (the client's debug log).
    log: PathBuf,
}

impl Tmux {
    fn start(tmux: PathBuf, socket: PathBuf, home: &Path, log: PathBuf, program: &str) -> Tmux {
        let session = Tmux { tmux, socket, log };
        let ran = run(session
            .command()
            .env("HOME", home)
            .env("LC_ALL", "C.UTF-8")
            .env_remove("TMUX")
            .args(["-f", "/dev/null", "new-session", "-d", "-s", "pobox"])
            .args(["-x", "200", "-y", "50", program]));
        ran.expect_success();
        session
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.tmux);
        command.arg("-S").arg(&self.socket);
        command
    }

    /// Presses keys by tmux's names (`Enter`, `C-u`, `q`).
    fn keys(&self, keys: &[&str]) {
        run(self.command().args(["send-keys", "-t", "pobox"]).args(keys)).expect_success();
    }

    /// Types `text` literally.
    fn type_text(&self, text: &str) {
        run(self
            .command()
            .args(["send-keys", "-t", "pobox", "-l", text]))
        .expect_success();
    }

    /// The screen's text now.
    fn screen(&self) -> String {
        let ran = run(self.command().args(["capture-pane", "-p", "-t", "pobox"]));
        if ran.status.success() {
            ran.stdout
        } else {
            format!("(no screen: {})", ran.stderr.trim())
        }
    }

    /// Waits until the screen shows every one of `present` and none of `absent`.
    fn wait_screen(&self, what: &str, present: &[&str], absent: &[&str]) -> String {
        wait_for(
            what,
            || {
                let screen = self.screen();
                let shown = present.iter().all(|p| screen.contains(p))
                    && !absent.iter().any(|a| screen.contains(a));
                shown.then_some(screen)
            },
            || self.context(),
        )
    }

    /// Whether the session still runs.
    fn alive(&self) -> bool {
        run(self.command().args(["has-session", "-t", "pobox"]))
            .status
            .success()
    }

    /// The client's current debug log (neomutt writes `$debug_file` with a `0` appended
    /// and rotates older runs to 1, 2, ...).
    fn client_log(&self) -> String {
        let mut current = self.log.clone().into_os_string();
        current.push("0");
        fs::read_to_string(current).unwrap_or_default()
    }

    /// The screen and the end of the client's debug log.
    fn context(&self) -> String {
        let mut log = String::new();
        let dir = self.log.parent().unwrap();
        let stem = self.log.file_name().unwrap().to_string_lossy().into_owned();
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&stem)
            {
                let text = fs::read_to_string(&path).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(60).collect();
                let _ = writeln!(log, "--- {}", path.display());
                for line in tail.into_iter().rev() {
                    let _ = writeln!(log, "{line}");
                }
            }
        }
        format!("--- screen\n{}\n{log}", self.screen())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self
            .command()
            .arg("kill-server")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// neomutt, driven through tmux like a person: opens INBOX over IMAP (the index shows
/// the subjects), reads a message (the pager shows its body), flags it (the server's
/// file gains F, and S from the reading), deletes another and syncs (its file is gone:
/// STORE \Deleted and EXPUNGE, RFC 3501 §6.4.6, §6.4.3), shows a message delivered
/// while it idles (RFC 2177), changes to Archive (its subjects), and quits. Every step
/// waits for what the screen shows.
#[test]
fn neomutt_reads_flags_deletes_and_changes_folder() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let server = start(&fixture);
    let Some(neomutt) = client("neomutt", "neomutt") else {
        return;
    };
    let Some(tmux) = client("tmux", "tmux") else {
        return;
    };
    let home = fixture.mkdir("home");
    let log = home.join("neomutt.log");
    let muttrc = home.join("muttrc");
    fs::write(
        &muttrc,
        format!(
            "set folder=\"imap://{USER}:{PASSWORD}@127.0.0.1:{port}/\"\n\
             set imap_user=\"{USER}\"\n\
             set imap_pass=\"{PASSWORD}\"\n\
             set spoolfile=\"+INBOX\"\n\
             set imap_passive\n\
             set imap_idle\n\
             set mail_check=1\n\
             set ssl_starttls=no\n\
             set ssl_force_tls=no\n\
             unset header_cache\n\
             set message_cachedir=\"\"\n\
             set sort=mailbox-order\n\
             set delete=yes\n\
             set quit=yes\n\
             set move=no\n\
             set mark_old=no\n\
             set wait_key=no\n\
             set pager_stop\n\
             set timeout=1\n\
             set debug_level=2\n\
             set debug_file=\"{log}\"\n",
            port = server.addr().port(),
            log = log.display(),
        ),
    )
    .unwrap();
    let program = format!("{} -n -F {}", neomutt.display(), muttrc.display());
    let session = Tmux::start(tmux, fixture.path("tmux.sock"), &home, log, &program);
    let inbox = maildir(&fixture);
    let lunch = "Lunch on Thursday?";
    let order = "Your order #10442 has shipped";

    // The index of INBOX.
    session.wait_screen(
        "the INBOX index",
        &[
            "+INBOX [Msgs:11",
            lunch,
            order,
            "many dotted lines",
            "CRLF line ends",
        ],
        &[],
    );

    // Read message 1: jump to it, open it in the pager.
    session.type_text("1");
    session.keys(&["Enter", "Enter"]);
    session.wait_screen(
        "the pager with message 1",
        &[
            "Subject: Lunch on Thursday?",
            "Are you free for lunch on Thursday at noon? The usual place.",
        ],
        &[],
    );
    session.keys(&["q"]);
    session.wait_screen(
        "the index again",
        &["+INBOX [Msgs:11", order],
        &["Subject: "],
    );

    // Flag it and sync: the server's file gets F, and S for having been read.
    session.type_text("F$");
    session.wait_screen("the flag in the status line", &["Flag:1"], &[]);
    wait_for(
        "the server's file of message 1 to be flagged and seen",
        || {
            let done = folder(&inbox)
                .iter()
                .any(|m| m.subject() == lunch && m.flags == "FS");
            done.then_some(())
        },
        || format!("{:#?}\n{}", summary(&inbox), session.context()),
    );

    // Delete message 2 and sync: the server's file is gone.
    let order_base = find(&inbox, order).base();
    session.type_text("2");
    session.keys(&["Enter"]);
    session.type_text("d$");
    session.wait_screen(
        "the index without message 2",
        &["+INBOX [Msgs:10", lunch],
        &[order],
    );
    wait_for(
        "the server's file of message 2 to be gone",
        // The record goes after the file (EXPUNGE unlinks, then drops the record).
        || {
            let gone = !uidlist(&inbox).iter().any(|(_, b)| *b == order_base);
            (gone && !has(&inbox, order)).then_some(())
        },
        || format!("{:#?}\n{}", summary(&inbox), session.context()),
    );
    assert_eq!(folder(&inbox).len(), INBOX_MESSAGES - 1);
    assert_eq!(find(&inbox, lunch).flags, "FS");

    // An MTA delivers while neomutt idles on INBOX (RFC 2177): the index shows it.
    // neomutt's debug log shows the commands it writes (`4> a0012 IDLE`): wait until the
    // last one is IDLE, so that the delivery arrives while it idles, not at a NOOP.
    let idle_from = wait_for(
        "neomutt to idle",
        || {
            let log = session.client_log();
            let last = log.lines().rfind(|l| l.contains("mutt_socket_write_d()"))?;
            last.ends_with(" IDLE").then_some(log.len())
        },
        || session.context(),
    );
    let delivery = message("mta@example.org", "delivered while neomutt idles", "hello");
    deliver(&inbox, "1800000000.M1P1.mta", &delivery);
    session.wait_screen(
        "the delivery in the index",
        &["+INBOX [Msgs:11", "delivered while neomutt idles", lunch],
        &[order],
    );
    let after_idle = session.client_log()[idle_from..].to_owned();
    assert!(
        after_idle.contains("Handling EXISTS"),
        "neomutt heard of the delivery as an EXISTS response\n{after_idle}"
    );

    // Change folder to Archive.
    session.type_text("c");
    session.keys(&["C-u"]);
    session.type_text("=Archive");
    session.keys(&["Enter"]);
    session.wait_screen(
        "the Archive index",
        &["+Archive [Msgs:1", "Welcome to the team"],
        &[lunch],
    );

    // Quit: the session ends, and the server's folders are as neomutt left them.
    let archive_before = summary(&inbox.join(".Archive"));
    session.keys(&["q"]);
    wait_for(
        "neomutt to quit",
        || (!session.alive()).then_some(()),
        || session.context(),
    );
    assert_eq!(summary(&inbox.join(".Archive")), archive_before);
    assert_eq!(folder(&inbox).len(), INBOX_MESSAGES);
    assert!(has(&inbox, "delivered while neomutt idles"));
}
