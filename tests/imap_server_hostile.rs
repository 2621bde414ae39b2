//! `examples/imap_server` under crashes, races and hostile input: kill -9 at every store
//! step of an APPEND, an EXPUNGE and a MOVE loses and duplicates nothing; two sessions
//! expunging the same messages; a delivery during an EXPUNGE; a 1 GiB APPEND in bounded
//! memory; path traversal in every mailbox argument; and the POP3 and IMAP servers on one
//! Maildir at once.

mod clients;
#[path = "../examples/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use clients::{Fixture, Server, USER, client, example_binary, run};
use common::store::StoreKind;

fn start(fixture: &Fixture, extra: &[&str]) -> Server {
    let mut args = fixture.server_args();
    args.extend(["--listen".into(), "127.0.0.1:0".into()]);
    args.extend(extra.iter().map(OsString::from));
    Server::start_example("imap_server", "imap", args)
}

fn maildir(fixture: &Fixture) -> PathBuf {
    fixture.path("maildir").join(USER)
}

/// A minimal blocking IMAP client: one command at a time, responses as lines (literals
/// read whole and kept inline).
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    next: u32,
}

impl Client {
    fn connect(address: SocketAddr) -> Client {
        let stream = TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .unwrap();
        let writer = stream.try_clone().unwrap();
        let mut c = Client {
            reader: BufReader::new(stream),
            writer,
            next: 1,
        };
        let greeting = c.line().expect("a greeting");
        assert!(greeting.starts_with("* OK"), "{greeting}");
        c
    }

    fn login(address: SocketAddr) -> Client {
        let mut c = Client::connect(address);
        let out = c.ok("LOGIN demo demo");
        assert!(out.last().unwrap().contains("OK"));
        c
    }

    /// One line; `None` when the server closed the connection.
    fn line(&mut self) -> Option<String> {
        let mut raw = Vec::new();
        match self.reader.read_until(b'\n', &mut raw) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        let mut line = String::from_utf8_lossy(&raw).trim_end().to_owned();
        // A literal: read its octets and the rest of the line.
        if let Some(n) = line
            .strip_suffix('}')
            .and_then(|l| l.rsplit_once('{'))
            .and_then(|(_, n)| n.parse::<usize>().ok())
        {
            let mut data = vec![0; n];
            self.reader.read_exact(&mut data).ok()?;
            line.push_str(&String::from_utf8_lossy(&data));
            line.push_str(&self.line()?);
        }
        Some(line)
    }

    fn send(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.writer.write_all(data)
    }

    /// Sends a command; its responses up to and including the tagged one, or what came
    /// before the connection dropped (`Err`).
    fn command(&mut self, text: &str) -> Result<Vec<String>, Vec<String>> {
        let tag = format!("t{}", self.next);
        self.next += 1;
        if self.send(format!("{tag} {text}\r\n").as_bytes()).is_err() {
            return Err(Vec::new());
        }
        self.until(&tag)
    }

    fn until(&mut self, tag: &str) -> Result<Vec<String>, Vec<String>> {
        let mut out = Vec::new();
        loop {
            match self.line() {
                None => return Err(out),
                Some(line) => {
                    let done = line.starts_with(&format!("{tag} "));
                    out.push(line);
                    if done {
                        return Ok(out);
                    }
                }
            }
        }
    }

    fn ok(&mut self, text: &str) -> Vec<String> {
        let out = self
            .command(text)
            .unwrap_or_else(|out| panic!("{text}: connection lost after {out:?}"));
        let last = out.last().unwrap();
        assert!(last.split(' ').nth(1) == Some("OK"), "{text}: {out:?}");
        out
    }

    /// APPEND with a synchronizing literal.
    fn append(&mut self, mailbox: &str, message: &[u8]) -> Result<Vec<String>, Vec<String>> {
        let tag = format!("t{}", self.next);
        self.next += 1;
        self.send(format!("{tag} APPEND {mailbox} {{{}}}\r\n", message.len()).as_bytes())
            .map_err(|_| Vec::new())?;
        let go = self.line().ok_or_else(Vec::new)?;
        if !go.starts_with('+') {
            return Err(vec![go]);
        }
        self.send(message).map_err(|_| Vec::new())?;
        self.send(b"\r\n").map_err(|_| Vec::new())?;
        self.until(&tag)
    }
}

/// Every message file of a folder: content → how many files hold it.
fn contents(folder: &Path) -> BTreeMap<Vec<u8>, usize> {
    let mut out = BTreeMap::new();
    for sub in ["cur", "new"] {
        let Ok(dir) = fs::read_dir(folder.join(sub)) else {
            continue;
        };
        for e in dir {
            let bytes = fs::read(e.unwrap().path()).unwrap();
            *out.entry(bytes).or_insert(0) += 1;
        }
    }
    out
}

/// The records of a folder's dovecot-uidlist: UIDs ascending, one per file, each file in
/// cur/ or new/ (after the store has synced it).
fn check_uidlist(folder: &Path) {
    let Ok(text) = fs::read_to_string(folder.join("dovecot-uidlist")) else {
        return;
    };
    let mut last = 0u32;
    let mut bases = Vec::new();
    for line in text.lines().skip(1) {
        let uid: u32 = line.split(' ').next().unwrap().parse().unwrap();
        assert!(uid > last, "UIDs ascend in {}: {text}", folder.display());
        last = uid;
        let base = line.split_once(" :").unwrap().1.to_owned();
        assert!(!bases.contains(&base), "one record per file: {text}");
        bases.push(base);
    }
}

/// kill -9 at every store step of APPEND, EXPUNGE and MOVE (the server's `POBOX_CRASH_AT`
/// test hook kills it with SIGKILL at the Nth file-system step): after a restart every
/// message is in at least one mailbox, none twice in one, the appended one whole or not at
/// all, and a fresh server serves all of it with consistent UIDs.
#[test]
fn kill_9_at_every_step_of_append_expunge_and_move_loses_nothing() {
    let appended: &[u8] =
        b"From: crash@example.org\nSubject: appended before the crash\n\nwhole or nothing\n";
    for op in ["append", "expunge", "move"] {
        let mut completed = false;
        for n in 1..=80 {
            let fixture = Fixture::new(StoreKind::Maildir);
            let inbox_before = contents(&maildir(&fixture));
            let archive_before = contents(&maildir(&fixture).join(".Archive"));
            // The hook is armed by the server's environment.
            let mut args = fixture.server_args();
            args.extend(["--listen".into(), "127.0.0.1:0".into()]);
            let mut child = Command::new(example_binary("imap_server"))
                .args(&args)
                .env("POBOX_CRASH_AT", format!("{op}:{n}"))
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut first = String::new();
            BufReader::new(child.stdout.take().unwrap())
                .read_line(&mut first)
                .unwrap();
            let address: SocketAddr = first.trim().rsplit(' ').next().unwrap().parse().unwrap();
            let mut c = Client::login(address);
            c.ok("SELECT INBOX");
            let outcome = match op {
                "append" => c.append("INBOX", appended),
                "expunge" => {
                    c.ok("STORE 1:3 +FLAGS (\\Deleted)");
                    c.command("EXPUNGE")
                }
                _ => c.command("MOVE 1:3 Archive"),
            };
            let _ = child.kill();
            let _ = child.wait();
            let survived = outcome
                .as_ref()
                .is_ok_and(|out| out.last().is_some_and(|l| l.contains(" OK ")));
            // The invariants, on disk and through a fresh server.
            let inbox = contents(&maildir(&fixture));
            let archive = contents(&maildir(&fixture).join(".Archive"));
            for message in inbox_before.keys() {
                let kept = inbox.contains_key(message) || archive.contains_key(message);
                assert!(
                    kept || op == "expunge",
                    "{op} killed at step {n}: a message was lost"
                );
            }
            for (folder, counts) in [("INBOX", &inbox), ("Archive", &archive)] {
                for (message, count) in counts.iter() {
                    assert_eq!(
                        *count,
                        1,
                        "{op} killed at step {n}: a message twice in {folder}: {}",
                        String::from_utf8_lossy(&message[..message.len().min(80)])
                    );
                }
            }
            for message in inbox.keys() {
                assert!(
                    inbox_before.contains_key(message) || message.as_slice() == appended,
                    "{op} at step {n}: a partial message"
                );
            }
            for message in archive.keys() {
                assert!(
                    archive_before.contains_key(message) || inbox_before.contains_key(message),
                    "{op} at step {n}: a stray message in Archive"
                );
            }
            let server = start(&fixture, &[]);
            let mut c = Client::login(server.addr());
            for folder in ["INBOX", "Archive"] {
                let out = c.ok(&format!("SELECT {folder}"));
                let exists: usize = out
                    .iter()
                    .find_map(|l| l.strip_prefix("* ")?.strip_suffix(" EXISTS")?.parse().ok())
                    .unwrap();
                let on_disk = if folder == "INBOX" {
                    contents(&maildir(&fixture))
                } else {
                    contents(&maildir(&fixture).join(".Archive"))
                };
                assert_eq!(
                    exists,
                    on_disk.len(),
                    "{op} at step {n}: {folder} EXISTS is what is on disk"
                );
                if exists > 0 {
                    let fetched = c.ok("UID FETCH 1:* (UID)");
                    assert_eq!(fetched.len() - 1, exists);
                }
            }
            drop(server);
            check_uidlist(&maildir(&fixture));
            check_uidlist(&maildir(&fixture).join(".Archive"));
            if survived {
                completed = true;
                break;
            }
        }
        assert!(completed, "{op} never completed within 80 steps");
    }
}

/// Two sessions expunge the same messages at once: each message goes exactly once, and each
/// session hears of every removal exactly once (RFC 3501 §7.4.1), counting its own.
#[test]
fn two_sessions_expunging_the_same_messages() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let server = start(&fixture, &[]);
    let total = contents(&maildir(&fixture)).len();
    let mut a = Client::login(server.addr());
    let mut b = Client::login(server.addr());
    a.ok("SELECT INBOX");
    b.ok("SELECT INBOX");
    a.ok("STORE 1:4 +FLAGS.SILENT (\\Deleted)");
    b.ok("NOOP");
    let (ta, tb) = (a.next, b.next);
    a.send(format!("t{ta} EXPUNGE\r\n").as_bytes()).unwrap();
    b.send(format!("t{tb} EXPUNGE\r\n").as_bytes()).unwrap();
    a.next += 1;
    b.next += 1;
    let out_a = a.until(&format!("t{ta}")).unwrap();
    let out_b = b.until(&format!("t{tb}")).unwrap();
    let mut told = Vec::new();
    for (name, c, out) in [("a", &mut a, out_a), ("b", &mut b, out_b)] {
        let mut expunges = out.iter().filter(|l| l.ends_with(" EXPUNGE")).count();
        // Removals by the other session may reach this one only at its next command.
        let more = c.ok("NOOP");
        expunges += more.iter().filter(|l| l.ends_with(" EXPUNGE")).count();
        let exists = c.ok("SEARCH ALL");
        told.push((name, expunges, exists[0].split(' ').count() - 2));
    }
    for (name, expunges, left) in told {
        assert_eq!(expunges, 4, "session {name} was told of every removal once");
        assert_eq!(left, total - 4, "session {name}'s view");
    }
    assert_eq!(contents(&maildir(&fixture)).len(), total - 4);
    check_uidlist(&maildir(&fixture));
}

/// Messages delivered while an EXPUNGE of many runs all survive; exactly the deleted ones go.
#[test]
fn a_delivery_during_an_expunge_survives() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let root = maildir(&fixture);
    let account =
        common::mailstore::open_location(&fixture.server_args()[3].to_string_lossy()).unwrap();
    for i in 0..300 {
        account
            .deliver(
                USER,
                format!("Subject: bulk {i}\n\nto be expunged\n").as_bytes(),
            )
            .unwrap();
    }
    let server = start(&fixture, &[]);
    let mut c = Client::login(server.addr());
    let out = c.ok("SELECT INBOX");
    let exists: usize = out
        .iter()
        .find_map(|l| l.strip_prefix("* ")?.strip_suffix(" EXISTS")?.parse().ok())
        .unwrap();
    let keep = contents(&root);
    c.ok(&format!("STORE 12:{exists} +FLAGS.SILENT (\\Deleted)"));
    let tag = c.next;
    c.next += 1;
    c.send(format!("t{tag} EXPUNGE\r\n").as_bytes()).unwrap();
    let mut delivered = Vec::new();
    for i in 0..50 {
        let name = format!("1900000000.M{i}P9.mta");
        let body = format!("Subject: delivered during the expunge {i}\n\nkeep me\n");
        fs::write(root.join("tmp").join(&name), &body).unwrap();
        fs::rename(root.join("tmp").join(&name), root.join("new").join(&name)).unwrap();
        delivered.push(body.into_bytes());
    }
    c.until(&format!("t{tag}")).unwrap();
    let after = contents(&root);
    for message in &delivered {
        assert!(after.contains_key(message), "a delivery was lost");
    }
    // The first eleven (the demo and the extra messages) stay, the 300 bulk ones go.
    assert_eq!(keep.len(), exists);
    assert_eq!(after.len(), 11 + delivered.len());
    check_uidlist(&root);
}

/// A 1 GiB APPEND streams to the store: the server's peak RSS stays far below the
/// message, and the message arrives whole.
#[test]
fn a_one_gib_append_keeps_the_server_small() {
    const SIZE: usize = 1 << 30;
    let fixture = Fixture::new(StoreKind::Maildir);
    let limit = (SIZE + 1).to_string();
    let server = start(&fixture, &["--max-append", &limit]);
    let mut c = Client::login(server.addr());
    let tag = c.next;
    c.next += 1;
    c.send(format!("t{tag} APPEND Archive {{{SIZE}+}}\r\n").as_bytes())
        .unwrap();
    let line = b"0123456789 a line of a very large message, 64 octets with CRLF\r\n";
    let chunk: Vec<u8> = line.iter().copied().cycle().take(1 << 20).collect();
    let writer = c.writer.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        let mut w = writer;
        for _ in 0..SIZE / chunk.len() {
            w.write_all(&chunk).unwrap();
        }
        w.write_all(b"\r\n").unwrap();
    });
    let out = c.until(&format!("t{tag}")).unwrap();
    sender.join().unwrap();
    assert!(out.last().unwrap().contains("OK [APPENDUID"), "{out:?}");
    let status = fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap();
    let peak_kb: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .unwrap()
        .trim()
        .trim_end_matches(" kB")
        .parse()
        .unwrap();
    eprintln!("peak RSS of the server during a 1 GiB APPEND: {peak_kb} kB");
    assert!(
        peak_kb < 200 * 1024,
        "the server's peak RSS was {peak_kb} kB for a 1 GiB APPEND"
    );
    let archive = maildir(&fixture).join(".Archive");
    let sizes: Vec<u64> = ["cur", "new"]
        .iter()
        .flat_map(|s| fs::read_dir(archive.join(s)).unwrap())
        .map(|e| e.unwrap().metadata().unwrap().len())
        .collect();
    assert!(sizes.contains(&(SIZE as u64)), "{sizes:?}");
}

/// Names from the client can never leave the user's Maildir: `..`, `/`, absolute paths,
/// NUL, Maildir internals, in every argument that names a mailbox. Nothing is created or
/// changed outside the Maildir.
#[test]
fn path_traversal_in_every_mailbox_argument() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let server = start(&fixture, &[]);
    let outside: Vec<(PathBuf, u64)> = walk(fixture.dir.path())
        .into_iter()
        .filter(|(p, _)| !p.starts_with(maildir(&fixture)))
        .collect();
    let mut c = Client::login(server.addr());
    c.ok("SELECT INBOX");
    let hostile = [
        "\"..\"",
        "\"../escape\"",
        "\"a/../../b\"",
        "\"/etc\"",
        "\"/tmp/x\"",
        "\".hidden\"",
        "\"x..y\"",
        "\"cur\"",
        "\"new\"",
        "\"tmp\"",
        "\"..Archive\"",
        "\"Archive..x\"",
        "\"Archive/..\"",
        "{3}\r\na\0b",
        "\"&AC8-etc\"",
        "\".\"",
        "\"~/x\"",
    ];
    for name in hostile {
        for command in [
            format!("SELECT {name}"),
            format!("EXAMINE {name}"),
            format!("CREATE {name}"),
            format!("DELETE {name}"),
            format!("RENAME Archive {name}"),
            format!("RENAME {name} Zzz"),
            format!("SUBSCRIBE {name}"),
            format!("UNSUBSCRIBE {name}"),
            format!("STATUS {name} (MESSAGES)"),
            format!("COPY 1 {name}"),
            format!("MOVE 1 {name}"),
            format!("APPEND {name} {{5+}}\r\nhello"),
        ] {
            let out = match c.command(&command.replace("{3}\r\n", "{3+}\r\n")) {
                Ok(out) => out,
                Err(out) => panic!("{command:?}: connection lost: {out:?}"),
            };
            let last = out.last().unwrap();
            assert!(!last.contains(" OK "), "{command:?} was accepted: {out:?}");
            if command.starts_with("SELECT") || command.starts_with("EXAMINE") {
                c.ok("SELECT INBOX");
            }
        }
    }
    let after: Vec<(PathBuf, u64)> = walk(fixture.dir.path())
        .into_iter()
        .filter(|(p, _)| !p.starts_with(maildir(&fixture)))
        .collect();
    assert_eq!(after, outside, "something outside the Maildir changed");
}

/// Every file under `dir` with its size.
fn walk(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            if m.is_dir() {
                stack.push(e.path());
            } else {
                out.push((e.path(), m.len()));
            }
        }
    }
    out.sort();
    out
}

/// Both servers on one Maildir at once: a message deleted over POP3 disappears from an
/// IMAP session with EXPUNGE (RFC 3501 §7.4.1), and a message appended over IMAP is listed
/// by POP3's next session.
#[test]
fn pop3_and_imap_on_one_maildir() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let imap = start(&fixture, &[]);
    let pop3 = fixture.start_server(&[]);
    let Some(_) = client("python3", "python3") else {
        return;
    };
    let mut c = Client::login(imap.addr());
    let selected = c.ok("SELECT INBOX");
    let exists: usize = selected
        .iter()
        .find_map(|l| l.strip_prefix("* ")?.strip_suffix(" EXISTS")?.parse().ok())
        .unwrap();
    // POP3: delete message 1 and QUIT (RFC 1939 §6: removed in UPDATE).
    let ran = run(Command::new("python3")
        .arg("-c")
        .arg(POP3_DELE)
        .arg(pop3.addr().port().to_string()));
    ran.expect_success();
    // The IMAP session hears of it (the store's file notification); NOOP may tell it.
    let mut expunged = false;
    for _ in 0..200 {
        let out = c.ok("NOOP");
        if out.iter().any(|l| l == "* 1 EXPUNGE") {
            expunged = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        expunged,
        "the IMAP session was not told of the POP3 deletion"
    );
    // IMAP APPEND; POP3's next session lists it.
    let out = c
        .append(
            "INBOX",
            b"From: imap@example.org\r\nSubject: appended over IMAP\r\n\r\nhi\r\n",
        )
        .unwrap();
    assert!(out.last().unwrap().contains("OK [APPENDUID"));
    let ran = run(Command::new("python3")
        .arg("-c")
        .arg(POP3_STAT)
        .arg(pop3.addr().port().to_string()));
    ran.expect_success();
    assert_eq!(
        ran.stdout.trim(),
        format!("{exists}"),
        "POP3 sees one less and one more"
    );
    assert!(ran.stderr.is_empty(), "{}", ran.stderr);
}

const POP3_DELE: &str = r#"
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]))
p.user("demo"); p.pass_("demo")
p.dele(1)
p.quit()
"#;

const POP3_STAT: &str = r#"
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]))
p.user("demo"); p.pass_("demo")
print(p.stat()[0])
subjects = [b"".join(l for l in p.top(n, 0)[1] if l.startswith(b"Subject:")) for n in range(1, p.stat()[0] + 1)]
assert any(b"appended over IMAP" in s for s in subjects), subjects
p.quit()
"#;
