//! Dovecot interop, both directions, against Debian's Dovecot 2.3 (`dovecot-imapd`): a
//! Maildir++ tree that Dovecot served keeps its UIDVALIDITY, UIDs, flags, keywords,
//! sizes, folders and subscriptions under pobox's store, and Dovecot serves pobox's
//! changes (a new message, flags, a keyword, an expunge, a new folder, a subscription)
//! the same way afterwards, while it keeps running with its own (now stale) index.
//!
//! The test runs a private Dovecot on a loopback port from its own configuration (the
//! Maildir++ layout with `.` as separator, index and uidlist files inside the Maildir,
//! Dovecot's defaults) and talks to it with a tiny IMAP client. It skips, saying why,
//! when Dovecot is not installed.
#[path = "../examples/common/mod.rs"]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::mailstore::maildir::MaildirStore;
use common::mailstore::{Account, FlagOp, MailStore, OpenMode};
use pobox::imap::Flag;

fn dovecot_binary() -> Option<PathBuf> {
    ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// A private Dovecot; stopped on drop.
struct Dovecot {
    dir: PathBuf,
    port: u16,
    mail_owner: Option<(u32, u32)>,
}

impl Dovecot {
    fn start(dir: &Path, binary: &Path) -> Dovecot {
        let root = rustix::process::getuid().is_root();
        let id = |args: &[&str]| -> u32 {
            let out = Command::new("id").args(args).output().unwrap();
            String::from_utf8(out.stdout)
                .unwrap()
                .trim()
                .parse()
                .unwrap()
        };
        // As root, Dovecot runs mail processes as an ordinary user (it refuses uid 0).
        let (mail_uid, mail_gid) = if root {
            (id(&["-u", "nobody"]), id(&["-g", "nobody"]))
        } else {
            (id(&["-u"]), id(&["-g"]))
        };
        let me = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_owned();
        let (internal, group, login, chroot) = if root {
            (
                "dovecot".to_owned(),
                "dovecot".to_owned(),
                "dovenull".to_owned(),
                "",
            )
        } else {
            let g = String::from_utf8(Command::new("id").arg("-gn").output().unwrap().stdout)
                .unwrap()
                .trim()
                .to_owned();
            (me.clone(), g, me.clone(), "  chroot =")
        };
        for sub in ["run", "state", "mail/u", "home/u"] {
            fs::create_dir_all(dir.join(sub)).unwrap();
        }
        fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(dir.join("run"), fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(dir.join("passwd"), "u:{PLAIN}secret:::::\n").unwrap();
        if root {
            Command::new("chgrp")
                .arg("dovecot")
                .arg(dir.join("passwd"))
                .status()
                .unwrap();
            fs::set_permissions(dir.join("passwd"), fs::Permissions::from_mode(0o640)).unwrap();
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let d = dir.display();
        let conf = format!(
            "instance_name = pobox-interop-{port}
base_dir = {d}/run
state_dir = {d}/state
listen = 127.0.0.1
protocols = imap
shutdown_clients = yes
log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
first_valid_uid = {mail_uid}
last_valid_uid = {mail_uid}
first_valid_gid = {mail_gid}
mail_uid = {mail_uid}
mail_gid = {mail_gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {d}/passwd
  default_fields = home={d}/home/%u
}}
# Maildir++ (Dovecot's default layout for maildir), uidlist and indexes in the Maildir.
mail_location = maildir:{d}/mail/%u:LAYOUT=maildir++
namespace inbox {{
  inbox = yes
  separator = .
}}
mail_max_userip_connections = 100
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
{chroot}
}}
service anvil {{
{chroot}
}}
"
        );
        fs::write(dir.join("dovecot.conf"), conf).unwrap();
        let mail_owner = root.then_some((mail_uid, mail_gid));
        let dovecot = Dovecot {
            dir: dir.to_owned(),
            port,
            mail_owner,
        };
        dovecot.give_mail_back();
        let status = Command::new(binary)
            .arg("-c")
            .arg(dir.join("dovecot.conf"))
            .status()
            .unwrap();
        assert!(status.success(), "dovecot did not start: {}", dovecot.log());
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "dovecot not listening: {}",
                dovecot.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        dovecot
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.join("dovecot.log")).unwrap_or_default()
    }

    /// Files pobox (running as root here) made belong to the mail user again, as they
    /// would if pobox ran as that user.
    fn give_mail_back(&self) {
        if let Some((uid, gid)) = self.mail_owner {
            let status = Command::new("chown")
                .arg("-R")
                .arg(format!("{uid}:{gid}"))
                .arg(self.dir.join("mail"))
                .arg(self.dir.join("home"))
                .status()
                .unwrap();
            assert!(status.success());
        }
    }

    fn login(&self) -> Imap {
        let mut imap = Imap::connect(self.port);
        imap.ok("LOGIN u secret");
        imap
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let pid = fs::read_to_string(self.dir.join("run/master.pid")).unwrap_or_default();
        if let Ok(pid) = pid.trim().parse::<i32>() {
            if let Some(pid) = rustix::process::Pid::from_raw(pid) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
            }
        }
    }
}

/// A tiny IMAP client: one command at a time, literals in responses read whole.
struct Imap {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    tag: u32,
}

impl Imap {
    fn connect(port: u16) -> Imap {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let writer = stream.try_clone().unwrap();
        let mut imap = Imap {
            reader: BufReader::new(stream),
            writer,
            tag: 0,
        };
        let greeting = imap.line();
        assert!(greeting.starts_with("* OK"), "{greeting}");
        imap
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        // A literal at the end of a line: read it and the rest of the response line.
        while let Some(n) = line
            .trim_end()
            .strip_suffix('}')
            .and_then(|l| l.rsplit_once('{'))
            .and_then(|(_, n)| n.parse::<usize>().ok())
        {
            let mut data = vec![0; n];
            self.reader.read_exact(&mut data).unwrap();
            line = format!("{}{}", line.trim_end(), String::from_utf8_lossy(&data));
            let mut rest = String::new();
            self.reader.read_line(&mut rest).unwrap();
            line.push_str(&rest);
        }
        line.trim_end().to_owned()
    }

    /// Sends a command; returns the untagged lines; the tagged answer must be OK.
    fn ok(&mut self, command: &str) -> Vec<String> {
        self.tag += 1;
        let tag = format!("a{}", self.tag);
        write!(self.writer, "{tag} {command}\r\n").unwrap();
        self.finish(&tag, command)
    }

    fn finish(&mut self, tag: &str, command: &str) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let line = self.line();
            if let Some(rest) = line.strip_prefix(&format!("{tag} ")) {
                assert!(rest.starts_with("OK"), "{command}: {rest}");
                return lines;
            }
            lines.push(line);
        }
    }

    fn append(&mut self, mailbox: &str, flags: &str, message: &[u8]) {
        self.tag += 1;
        let tag = format!("a{}", self.tag);
        write!(
            self.writer,
            "{tag} APPEND {mailbox} ({flags}) {{{}}}\r\n",
            message.len()
        )
        .unwrap();
        let cont = self.line();
        assert!(cont.starts_with('+'), "{cont}");
        self.writer.write_all(message).unwrap();
        self.writer.write_all(b"\r\n").unwrap();
        self.finish(&tag, "APPEND");
    }

    /// SELECT (or EXAMINE) then `UID FETCH 1:* (FLAGS RFC822.SIZE)`: what a client
    /// knows of a mailbox.
    fn snapshot(&mut self, mailbox: &str) -> Snapshot {
        let lines = self.ok(&format!("EXAMINE {mailbox}"));
        let code = |name: &str| -> u32 {
            lines
                .iter()
                .find_map(|l| l.split(&format!("[{name} ")).nth(1))
                .and_then(|r| r.split(']').next())
                .unwrap()
                .parse()
                .unwrap()
        };
        let (uid_validity, uid_next) = (code("UIDVALIDITY"), code("UIDNEXT"));
        let exists = lines
            .iter()
            .any(|l| l.ends_with(" EXISTS") && !l.starts_with("* 0 "));
        let mut messages = BTreeMap::new();
        if exists {
            for line in self.ok("UID FETCH 1:* (FLAGS RFC822.SIZE)") {
                let uid: u32 = field(&line, "UID ").parse().unwrap();
                let size: u64 = field(&line, "RFC822.SIZE ").parse().unwrap();
                let flags = line
                    .split("FLAGS (")
                    .nth(1)
                    .and_then(|r| r.split(')').next())
                    .unwrap()
                    .split(' ')
                    .filter(|f| !f.is_empty() && *f != "\\Recent")
                    .map(str::to_owned)
                    .collect();
                messages.insert(uid, (flags, size));
            }
        }
        Snapshot {
            uid_validity,
            uid_next,
            messages,
        }
    }
}

fn field<'a>(line: &'a str, name: &str) -> &'a str {
    let rest = line.split(name).nth(1).unwrap();
    rest.split([' ', ')']).next().unwrap()
}

#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    uid_validity: u32,
    uid_next: u32,
    /// UID → (flags as IMAP spells them, RFC822.SIZE).
    messages: BTreeMap<u32, (BTreeSet<String>, u64)>,
}

fn flag_text(flag: &Flag) -> String {
    match flag {
        Flag::Answered => "\\Answered".into(),
        Flag::Flagged => "\\Flagged".into(),
        Flag::Deleted => "\\Deleted".into(),
        Flag::Seen => "\\Seen".into(),
        Flag::Draft => "\\Draft".into(),
        Flag::Keyword(k) | Flag::Extension(k) => k.as_str().unwrap().to_owned(),
    }
}

/// The same view from pobox's store.
fn pobox_snapshot(account: &dyn Account, name: &str) -> Snapshot {
    let folder = account.open(name, OpenMode::ReadOnly).unwrap();
    Snapshot {
        uid_validity: folder.uid_validity(),
        uid_next: folder.uid_next(),
        messages: folder
            .messages()
            .iter()
            .map(|m| (m.uid, (m.flags.iter().map(flag_text).collect(), m.size)))
            .collect(),
    }
}

const JAPANESE: &str = "&ZeVnLIqe-"; // 日本語 in modified UTF-7 (RFC 3501 §5.1.3)

#[test]
fn dovecot_and_pobox_serve_the_same_maildir_both_ways() {
    let Some(binary) = dovecot_binary() else {
        println!("SKIPPED: dovecot is not installed (apt-get install dovecot-imapd)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dovecot = Dovecot::start(tmp.path(), &binary);

    // 1. Dovecot writes.
    let mut imap = dovecot.login();
    imap.ok("CREATE Archive");
    imap.ok("CREATE Archive.2023");
    imap.ok(&format!("CREATE {JAPANESE}"));
    imap.ok("SUBSCRIBE INBOX");
    imap.ok("SUBSCRIBE Archive.2023");
    imap.append("INBOX", "\\Seen", b"Subject: one\r\n\r\nfirst\r\n");
    imap.append(
        "INBOX",
        "\\Flagged $Work",
        b"Subject: two\r\n\r\nsecond\r\n",
    );
    imap.append("INBOX", "", b"Subject: three\r\n\r\nno final line end");
    imap.append("INBOX", "", b"Subject: four\r\n\r\nto be expunged\r\n");
    imap.append(
        "Archive.2023",
        "\\Seen Later",
        b"Subject: old\r\n\r\narchived\r\n",
    );
    imap.append(JAPANESE, "\\Draft", b"Subject: x\r\n\r\ny\r\n");
    imap.ok("SELECT INBOX");
    imap.ok("UID STORE 1 +FLAGS (\\Answered)");
    imap.ok("UID STORE 4 +FLAGS (\\Deleted)");
    imap.ok("EXPUNGE");
    let folders = ["INBOX", "Archive", "Archive.2023", JAPANESE];
    let dovecot_view: Vec<Snapshot> = folders.iter().map(|f| imap.snapshot(f)).collect();
    imap.ok("LOGOUT");
    assert_eq!(dovecot_view[0].messages.len(), 3);
    assert_eq!(dovecot_view[0].uid_next, 5);

    // 2. pobox sees the same: UIDVALIDITY, UIDNEXT, UIDs, flags, keywords, sizes.
    let store = MaildirStore::new(tmp.path().join("mail/%u").to_str().unwrap()).unwrap();
    let account = store.account("u").unwrap();
    let names = ["INBOX", "Archive", "Archive.2023", "日本語"];
    for (name, seen) in names.iter().zip(&dovecot_view) {
        assert_eq!(&pobox_snapshot(&*account, name), seen, "{name}");
    }
    let entries = account.folders().unwrap();
    for name in names {
        assert!(
            entries.iter().any(|e| e.name == name && e.exists),
            "{name} listed"
        );
    }
    let subscribed: BTreeSet<&str> = entries
        .iter()
        .filter(|e| e.subscribed)
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(subscribed, BTreeSet::from(["INBOX", "Archive.2023"]));

    // 3. pobox writes.
    let mut sink = account
        .append(
            "INBOX",
            &[Flag::Seen, Flag::keyword("pobox-kw").unwrap()],
            None,
        )
        .unwrap();
    sink.write(b"Subject: from pobox\n\nbare LF line ends\n")
        .unwrap();
    let appended = sink.commit().unwrap();
    assert_eq!(appended.uid, 5, "the UID after Dovecot's last");
    let mut inbox = account.open("INBOX", OpenMode::ReadWrite).unwrap();
    inbox
        .store(
            &[2],
            FlagOp::Add,
            &[Flag::Answered, Flag::keyword("Later").unwrap()],
        )
        .unwrap();
    inbox.store(&[2], FlagOp::Remove, &[Flag::Flagged]).unwrap();
    inbox.store(&[1], FlagOp::Add, &[Flag::Deleted]).unwrap();
    assert_eq!(inbox.expunge(&[1]).unwrap(), [1]);
    drop(inbox);
    account.create("Projects.2024").unwrap();
    account.subscribe("Projects.2024", true).unwrap();
    let mut sink = account
        .append("Projects.2024", &[Flag::Flagged], None)
        .unwrap();
    sink.write(b"Subject: plan\r\n\r\nthe plan\r\n").unwrap();
    sink.commit().unwrap();
    let pobox_view: Vec<Snapshot> = ["INBOX", "Projects.2024", "Archive.2023"]
        .iter()
        .map(|n| pobox_snapshot(&*account, n))
        .collect();
    dovecot.give_mail_back();

    // 4. Dovecot (still running, its index now stale) serves pobox's changes.
    let mut imap = dovecot.login();
    for (name, expected) in ["INBOX", "Projects.2024", "Archive.2023"]
        .iter()
        .zip(&pobox_view)
    {
        assert_eq!(&imap.snapshot(name), expected, "Dovecot's view of {name}");
    }
    let inbox = &pobox_view[0];
    assert!(!inbox.messages.contains_key(&1));
    assert_eq!(
        inbox.messages[&2].0,
        BTreeSet::from([
            "$Work".to_owned(),
            "Later".to_owned(),
            "\\Answered".to_owned()
        ])
    );
    assert_eq!(
        inbox.messages[&5].0,
        BTreeSet::from(["\\Seen".to_owned(), "pobox-kw".to_owned()])
    );
    let status = imap.ok("STATUS Projects.2024 (MESSAGES UIDNEXT UIDVALIDITY)");
    let line = &status[0];
    assert_eq!(
        field(line, "UIDVALIDITY "),
        pobox_view[1].uid_validity.to_string()
    );
    assert_eq!(field(line, "MESSAGES "), "1");
    let list = imap.ok("LIST \"\" *").join("\n");
    assert!(list.contains("Projects.2024"), "{list}");
    let lsub = imap.ok("LSUB \"\" *").join("\n");
    assert!(
        lsub.contains("Projects.2024") && lsub.contains("Archive.2023"),
        "{lsub}"
    );
    imap.ok("EXAMINE INBOX");
    let body = imap.ok("UID FETCH 5 BODY.PEEK[TEXT]").join("\n");
    assert!(body.contains("bare LF line ends"), "{body}");
    imap.ok("LOGOUT");
    let log = dovecot.log();
    assert!(
        !log.contains("Error:") && !log.contains("Panic"),
        "Dovecot complained:\n{log}"
    );
}
