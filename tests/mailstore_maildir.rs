//! The Maildir++ store behind the `MailStore` trait: layout, mailbox names, Dovecot's
//! uidlist/keywords/subscriptions formats, sizes without reading messages, POP3 as the
//! old store served it, `\Recent`, several sessions, change notification, and no loss
//! under `kill -9` at every file-system step.
#[path = "../examples/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use common::mailstore::maildir::{MaildirAccount, MaildirStore};
use common::mailstore::names::MailboxName;
use common::mailstore::uidlist::Uidlist;
use common::mailstore::{
    Account, Change, FlagOp, Folder, MailStore, MessageMeta, OpenMode, StoreError, open_location,
};
use pobox::imap::{Flag, MailboxAttribute};

/// A temporary store with user "u".
struct Fixture {
    dir: tempfile::TempDir,
    store: MaildirStore,
    account: MaildirAccount,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = MaildirStore::new(dir.path().join("%u").to_str().unwrap()).unwrap();
        let account = store.maildir_account("u").unwrap();
        Fixture {
            dir,
            store,
            account,
        }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("u")
    }

    /// Puts a file as an MTA or another program would, with the given mtime.
    fn put(&self, folder: &str, sub: &str, name: &str, contents: &[u8], mtime: u64) -> PathBuf {
        let path = self.root().join(folder).join(sub).join(name);
        fs::write(&path, contents).unwrap();
        set_mtime(&path, mtime);
        path
    }

    fn names(&self, folder: &str, sub: &str) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.root().join(folder).join(sub))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn append(&self, folder: &str, data: &[u8], flags: &[Flag]) -> u32 {
        let mut sink = self.account.append(folder, flags, None).unwrap();
        sink.write(data).unwrap();
        sink.commit().unwrap().uid
    }

    fn uidlist(&self, folder: &str) -> Uidlist {
        let data = fs::read(self.root().join(folder).join("dovecot-uidlist")).unwrap();
        Uidlist::parse(&data).unwrap()
    }
}

fn set_mtime(path: &Path, secs: u64) {
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(UNIX_EPOCH + Duration::from_secs(secs))
        .unwrap();
}

fn kw(name: &str) -> Flag {
    Flag::keyword(name).unwrap()
}

fn uids(folder: &dyn Folder) -> Vec<u32> {
    folder.messages().iter().map(|m| m.uid).collect()
}

fn meta(folder: &dyn Folder, uid: u32) -> MessageMeta {
    folder
        .messages()
        .iter()
        .find(|m| m.uid == uid)
        .unwrap()
        .clone()
}

fn sorted(mut flags: Vec<Flag>) -> Vec<Flag> {
    flags.sort_by_key(|f| format!("{f:?}"));
    flags
}

const ONE: &[u8] = b"Subject: one\n\nfirst\n";
const TWO: &[u8] = b"Subject: two\r\n\r\nsecond, CRLF\r\n";
const NO_EOL: &[u8] = b"Subject: three\n\nno final line end";

// ---------------------------------------------------------------- --mail and names

#[test]
fn open_location_parses_maildir_and_refuses_mbox_and_unsafe_users() {
    let dir = tempfile::tempdir().unwrap();
    let spec = format!("maildir:{}/%u/Maildir", dir.path().display());
    let store = open_location(&spec).unwrap();
    store.account("alice").unwrap();
    assert!(dir.path().join("alice/Maildir/cur").is_dir());
    for user in ["", "..", "a/b", "x..y", ".", "a\0b", "a\nb"] {
        assert!(
            matches!(store.account(user), Err(StoreError::InvalidUser { .. })),
            "{user:?}"
        );
    }
    match open_location("mbox:/var/mail/%u") {
        Err(StoreError::InvalidSpec { reason, .. }) => assert!(reason.contains("not implemented")),
        other => panic!("{:?}", other.map(|_| ())),
    }
    assert!(matches!(
        open_location("maildir:/srv/mail"),
        Err(StoreError::InvalidSpec { .. })
    ));
    assert!(matches!(
        open_location("imap:/x/%u"),
        Err(StoreError::InvalidSpec { .. })
    ));
}

/// Names that must never become a path: every operation taking a name refuses them, and
/// nothing appears outside the user's Maildir (or inside it).
#[test]
fn path_traversal_is_refused_by_every_operation_taking_a_name() {
    let f = Fixture::new();
    f.account.create("Ok").unwrap();
    drop(f.account.open("INBOX", OpenMode::ReadWrite).unwrap());
    let before_root = f.names("", "");
    let before_top = fs::read_dir(f.dir.path()).unwrap().count();
    let long = "x".repeat(300);
    let long_encoded = "日".repeat(60); // 180 octets of UTF-8, 2 + 80 + 1 on disk... per level
    let bad: Vec<&str> = vec![
        "",
        "..",
        "../x",
        "../../etc",
        "a/../../b",
        "/etc",
        "/tmp/x",
        "a/b",
        ".hidden",
        ".",
        "a..b",
        "a.",
        "Ok..",
        "a\0b",
        "a\nb",
        "a\rb",
        "a\u{7f}b",
        "a\u{1}b",
        "cur",
        "new",
        "tmp",
        "cur.x",
        "tmp.x",
        "DOVECOT-UIDLIST",
        "dovecot-uidlist",
        "dovecot-keywords",
        "subscriptions",
        "maildirfolder",
        "pobox-session.lock",
        "dovecot.index",
        "dovecot-uidvalidity.5f000000",
        &long,
        "*",
        "a%",
    ];
    let long_path = format!("{0}.{0}.{0}.{0}", long_encoded);
    let mut all = bad.clone();
    all.push(&long_path);
    for name in all {
        let invalid = |r: Result<(), StoreError>, op: &str| {
            assert!(
                matches!(r, Err(StoreError::InvalidName { .. })),
                "{op} {name:?}: {r:?}"
            );
        };
        invalid(f.account.create(name), "create");
        invalid(f.account.delete(name), "delete");
        invalid(f.account.rename(name, "New"), "rename from");
        invalid(f.account.rename("Ok", name), "rename to");
        invalid(f.account.subscribe(name, true), "subscribe");
        invalid(f.account.subscribe(name, false), "unsubscribe");
        invalid(f.account.status(name).map(drop), "status");
        for mode in [OpenMode::ReadWrite, OpenMode::ReadOnly, OpenMode::Pop3] {
            invalid(f.account.open(name, mode).map(drop), "open");
        }
        invalid(f.account.append(name, &[], None).map(drop), "append");
        let mut inbox = f.account.open("INBOX", OpenMode::ReadWrite).unwrap();
        invalid(inbox.copy(&[1], name).map(drop), "copy");
        invalid(inbox.move_to(&[1], name).map(drop), "move");
    }
    assert_eq!(f.names("", ""), before_root, "nothing new in the Maildir");
    let after_top = fs::read_dir(f.dir.path()).unwrap().count();
    assert_eq!(after_top, before_top, "nothing new beside the Maildir");
    assert!(!f.dir.path().join("x").exists() && !f.dir.path().join("b").exists());
}

/// Dovecot 2.3 stores Maildir++ names in modified UTF-7 (RFC 3501 §5.1.3).
#[test]
fn rfc3501_5_1_3_non_ascii_names_are_modified_utf7_on_disk() {
    let f = Fixture::new();
    f.account.create("日本語").unwrap();
    f.account.create("A&B").unwrap();
    f.account.create("Café.Menü").unwrap();
    assert!(f.root().join(".&ZeVnLIqe-").join("cur").is_dir());
    assert!(f.root().join(".A&-B").is_dir());
    assert!(f.root().join(".Caf&AOk-.Men&APw-").is_dir());
    let names: Vec<String> = f
        .account
        .folders()
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    for n in ["INBOX", "日本語", "A&B", "Café", "Café.Menü"] {
        assert!(names.contains(&n.to_owned()), "{n} in {names:?}");
    }
    // A directory that is not valid modified UTF-7 is no folder.
    fs::create_dir(f.root().join(".bad&Zz")).unwrap();
    fs::create_dir(f.root().join(".raw\u{e9}")).unwrap();
    let names: Vec<String> = f
        .account
        .folders()
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert!(!names.iter().any(|n| n.contains("bad") || n.contains("raw")));
    assert_eq!(
        MailboxName::from_dir_name(b".&ZeVnLIqe-")
            .unwrap()
            .as_string(),
        "日本語"
    );
}

// ---------------------------------------------------------------- layout and hierarchy

/// RFC 3501 §6.3.3: CREATE makes the superior names it needs; each Maildir++ folder is
/// a Maildir with a `maildirfolder` file, as Dovecot and Courier create them.
#[test]
fn rfc3501_6_3_3_create_makes_maildir_folders_and_parents() {
    let f = Fixture::new();
    f.account.create("Archive.2023").unwrap();
    for dir in [".Archive", ".Archive.2023"] {
        for sub in ["cur", "new", "tmp"] {
            assert!(f.root().join(dir).join(sub).is_dir(), "{dir}/{sub}");
        }
        assert!(f.root().join(dir).join("maildirfolder").is_file());
        assert!(f.root().join(dir).join("dovecot-uidlist").is_file());
    }
    assert!(!f.root().join("maildirfolder").exists(), "not in the root");
    assert!(matches!(
        f.account.create("Archive.2023"),
        Err(StoreError::Exists { .. })
    ));
    assert!(matches!(
        f.account.create("inbox"),
        Err(StoreError::Exists { .. })
    ));
    // INBOX.Sub is an ordinary folder, as Dovecot stores it; `New` is no Maildir
    // internal (Dovecot compares `new` case-sensitively).
    f.account.create("INBOX.Sub").unwrap();
    f.account.create("New").unwrap();
    assert!(f.root().join(".New").is_dir());
    assert!(f.root().join(".INBOX.Sub").is_dir());
}

/// RFC 3501 §6.3.4: DELETE of a mailbox with inferior names removes its messages and
/// leaves it `\Noselect`. In Maildir++ the children are separate directories, so the
/// folder's own directory goes and the name remains as the children's parent.
#[test]
fn rfc3501_6_3_4_delete_with_children_leaves_a_noselect_parent() {
    let f = Fixture::new();
    f.account.create("A.B").unwrap();
    f.append("A", ONE, &[]);
    f.append("A.B", TWO, &[]);
    let mut open_a = f.account.open("A", OpenMode::ReadWrite).unwrap();
    f.account.delete("A").unwrap();
    assert!(!f.root().join(".A").exists());
    assert!(f.root().join(".A.B").is_dir());
    assert_eq!(f.account.status("A.B").unwrap().messages, 1);
    let a = f
        .account
        .folders()
        .unwrap()
        .into_iter()
        .find(|e| e.name == "A")
        .unwrap();
    assert_eq!(a.attributes, [MailboxAttribute::Noselect]);
    assert!(matches!(
        f.account.status("A"),
        Err(StoreError::NoMailbox { .. })
    ));
    assert!(matches!(open_a.sync().unwrap()[..], [Change::Invalidated]));
    // "It is an error to attempt to delete a name that has inferior hierarchical names
    // and also has the \Noselect mailbox name attribute."
    assert!(matches!(
        f.account.delete("A"),
        Err(StoreError::Cannot { .. })
    ));
    assert!(matches!(
        f.account.delete("INBOX"),
        Err(StoreError::Cannot { .. })
    ));
    assert!(matches!(
        f.account.delete("Nope"),
        Err(StoreError::NoMailbox { .. })
    ));
    f.account.delete("A.B").unwrap();
    assert!(
        !f.account
            .folders()
            .unwrap()
            .iter()
            .any(|e| e.name.starts_with('A'))
    );
    assert!(!f.root().join("..DOVECOT-TRASHED").exists());
}

/// A deleted and re-created mailbox gets a new, larger UIDVALIDITY (RFC 3501 §2.3.1.1).
#[test]
fn uidvalidity_is_time_based_grows_and_survives_delete_recreate() {
    let f = Fixture::new();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as u32;
    f.account.create("X").unwrap();
    let first = f.account.status("X").unwrap().uid_validity;
    assert!(first.abs_diff(now) < 60, "{first} vs {now}");
    f.account.delete("X").unwrap();
    f.account.create("X").unwrap();
    let second = f.account.status("X").unwrap().uid_validity;
    assert!(second > first);
    let counter = fs::read_to_string(f.root().join("dovecot-uidvalidity")).unwrap();
    assert_eq!(u32::from_str_radix(&counter, 16).unwrap(), second);
    assert!(
        f.root()
            .join(format!("dovecot-uidvalidity.{second:08x}"))
            .exists()
    );
}

/// RFC 3501 §6.3.5: RENAME moves the inferior names too; renaming INBOX moves its
/// messages to the new mailbox, leaves INBOX empty and does not rename INBOX's
/// inferiors.
#[test]
fn rfc3501_6_3_5_rename_with_children_and_rename_of_inbox() {
    let f = Fixture::new();
    f.account.create("A.B.C").unwrap();
    f.append("A.B", ONE, &[]);
    let validity = f.account.status("A.B").unwrap().uid_validity;
    f.account.rename("A", "Z").unwrap();
    assert!(f.root().join(".Z").is_dir() && f.root().join(".Z.B.C").is_dir());
    assert!(!f.root().join(".A").exists() && !f.root().join(".A.B").exists());
    let status = f.account.status("Z.B").unwrap();
    assert_eq!((status.messages, status.uid_validity), (1, validity));
    assert!(matches!(
        f.account.rename("Z", "Z.B"),
        Err(StoreError::Exists { .. })
    ));
    assert!(matches!(
        f.account.rename("Nope", "Q"),
        Err(StoreError::NoMailbox { .. })
    ));
    f.account.create("Q").unwrap();
    assert!(matches!(
        f.account.rename("Z", "Q"),
        Err(StoreError::Exists { .. })
    ));
    // Under a new parent: the parent is made.
    f.account.rename("Q", "P.Q").unwrap();
    assert!(f.root().join(".P").is_dir() && f.root().join(".P.Q").is_dir());

    f.append("INBOX", ONE, &[Flag::Seen]);
    f.append("INBOX", TWO, &[]);
    f.account.create("INBOX.Kept").unwrap();
    f.account.rename("INBOX", "Old").unwrap();
    assert_eq!(f.account.status("INBOX").unwrap().messages, 0);
    assert!(f.names("", "cur").is_empty() && f.names("", "new").is_empty());
    let old = f.account.open("Old", OpenMode::ReadOnly).unwrap();
    assert_eq!(old.messages().len(), 2);
    let bodies: Vec<Bytes> = uids(&*old).iter().map(|&u| old.read(u).unwrap()).collect();
    assert!(bodies.contains(&Bytes::from_static(ONE)) && bodies.contains(&Bytes::from_static(TWO)));
    assert!(old.messages().iter().any(|m| m.flags == [Flag::Seen]));
    assert!(f.root().join(".INBOX.Kept").is_dir());
}

/// The `subscriptions` file in Dovecot's format: version 2 (`V\t2` header, levels
/// separated by TAB, modified UTF-7) for a new file; an existing version 1 file (one
/// storage name per line) is kept as version 1.
#[test]
fn subscriptions_in_dovecot_format_both_versions() {
    let f = Fixture::new();
    f.account.create("Archive.2023").unwrap();
    f.account.subscribe("INBOX", true).unwrap();
    f.account.subscribe("Archive.2023", true).unwrap();
    f.account.subscribe("日本語", true).unwrap(); // RFC 3501 §6.3.6: need not exist
    assert_eq!(
        fs::read_to_string(f.root().join("subscriptions")).unwrap(),
        "V\t2\n\nINBOX\nArchive\t2023\n&ZeVnLIqe-\n"
    );
    f.account.subscribe("INBOX", false).unwrap();
    let entries = f.account.folders().unwrap();
    let get = |n: &str| entries.iter().find(|e| e.name == n).unwrap().clone();
    assert!(get("Archive.2023").subscribed && get("Archive.2023").exists);
    assert!(!get("INBOX").subscribed);
    assert!(get("日本語").subscribed && !get("日本語").exists);

    let g = Fixture::new();
    g.account.create("Sent").unwrap();
    fs::write(g.root().join("subscriptions"), "INBOX\nSent\nCaf&AOk-.x\n").unwrap();
    let entries = g.account.folders().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.name == "Café.x" && e.subscribed && !e.exists)
    );
    g.account.subscribe("Drafts", true).unwrap();
    assert_eq!(
        fs::read_to_string(g.root().join("subscriptions")).unwrap(),
        "INBOX\nSent\nCaf&AOk-.x\nDrafts\n"
    );
}

/// RFC 6154 §2 special-use attributes for the conventional top-level names.
#[test]
fn rfc6154_special_use_for_conventional_names() {
    let f = Fixture::new();
    for n in [
        "Sent",
        "Trash",
        "Drafts",
        "Junk",
        "Spam",
        "Archive",
        "Archive.2023",
        "Notes",
    ] {
        f.account.create(n).unwrap();
    }
    let entries = f.account.folders().unwrap();
    let attrs = |n: &str| {
        entries
            .iter()
            .find(|e| e.name == n)
            .unwrap()
            .attributes
            .clone()
    };
    assert_eq!(attrs("Sent"), [MailboxAttribute::Sent]);
    assert_eq!(attrs("Trash"), [MailboxAttribute::Trash]);
    assert_eq!(attrs("Drafts"), [MailboxAttribute::Drafts]);
    assert_eq!(attrs("Junk"), [MailboxAttribute::Junk]);
    assert_eq!(attrs("Spam"), [MailboxAttribute::Junk]);
    assert_eq!(attrs("Archive"), [MailboxAttribute::Archive]);
    assert!(attrs("Archive.2023").is_empty());
    assert!(attrs("Notes").is_empty());
}

// ---------------------------------------------------------------- Dovecot's files

/// dovecot-uidlist version 3: `3 V<uidvalidity> N<nextuid> G<guid>`, then `<uid>
/// [ext] :<base>`; UIDs survive reopening; files from others get the next UIDs in
/// Dovecot's order (delivery time in the name).
#[test]
fn uidlist_is_dovecot_version_3_and_uids_persist() {
    let f = Fixture::new();
    let u1 = f.append("INBOX", ONE, &[]);
    let u2 = f.append("INBOX", NO_EOL, &[Flag::Seen]);
    assert_eq!((u1, u2), (1, 2));
    let text = fs::read_to_string(f.root().join("dovecot-uidlist")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(' ').collect();
    assert_eq!(header[0], "3");
    assert!(header[1].starts_with('V') && header[1][1..].parse::<u32>().unwrap() > 0);
    assert_eq!(header[2], "N3");
    assert!(header[3].starts_with('G') && header[3].len() == 33);
    assert!(header[3][1..].bytes().all(|b| b.is_ascii_hexdigit()));
    let records: Vec<&str> = lines.collect();
    assert_eq!(records.len(), 2);
    assert!(records[0].starts_with("1 X0 :"), "{}", records[0]);
    assert!(records[1].starts_with("2 X1 :"), "{}", records[1]);
    assert!(records[0].ends_with(&format!(",S={},W={}", ONE.len(), ONE.len() + 3)));
    assert!(!records[1].contains(":2,"), "no info in a record");
    // Two files put by other programs: UIDs by the time in their names.
    f.put("", "new", "1700000002.M5P1.host", TWO, 1_700_000_002);
    f.put("", "new", "1700000001.M9P1.host", ONE, 1_700_000_001);
    let inbox = f.account.open("INBOX", OpenMode::ReadOnly).unwrap();
    assert_eq!(uids(&*inbox), [1, 2, 3, 4]);
    let list = f.uidlist("");
    assert_eq!(list.records[2].base, "1700000001.M9P1.host");
    assert_eq!(list.records[3].base, "1700000002.M5P1.host");
    drop(inbox);
    let again = f.store.maildir_account("u").unwrap();
    let inbox = again.open("INBOX", OpenMode::ReadOnly).unwrap();
    assert_eq!(uids(&*inbox), [1, 2, 3, 4]);
    assert_eq!(inbox.uid_next(), 5);
}

/// A version 1 uidlist (old Dovecot, Courier's courierimapuiddb format) keeps its UIDs.
#[test]
fn uidlist_version_1_is_read() {
    let f = Fixture::new();
    f.put("", "cur", "1700000001.M1P1.host:2,S", ONE, 1_700_000_001);
    f.put("", "cur", "1700000002.M1P1.host:2,", TWO, 1_700_000_002);
    fs::write(
        f.root().join("dovecot-uidlist"),
        "1 12345 40\n17 1700000001.M1P1.host:2,S\n30 1700000002.M1P1.host\n",
    )
    .unwrap();
    let inbox = f.account.open("INBOX", OpenMode::ReadOnly).unwrap();
    assert_eq!((inbox.uid_validity(), inbox.uid_next()), (12345, 40));
    assert_eq!(uids(&*inbox), [17, 30]);
}

/// The uidlist is written under `dovecot-uidlist.lock`: a live holder makes writers wait
/// (here: time out), a lock of a dead process is broken at once, as Dovecot breaks it.
#[test]
fn uidlist_lock_is_respected_and_stale_locks_are_broken() {
    let f = Fixture::new();
    let store = MaildirStore::new(f.dir.path().join("%u").to_str().unwrap())
        .unwrap()
        .with_lock_timeout(Duration::from_millis(300));
    let account = store.maildir_account("u").unwrap();
    let host = common::mailstore::uidlist::hostname();
    let lock = f.root().join("dovecot-uidlist.lock");
    account.status("INBOX").unwrap(); // the uidlist exists
    let mut holder = Command::new("sleep").arg("30").spawn().unwrap();
    fs::write(&lock, format!("{}:{host}", holder.id())).unwrap();
    let mut sink = account.append("INBOX", &[], None).unwrap();
    sink.write(ONE).unwrap();
    assert!(matches!(sink.commit(), Err(StoreError::LockTimeout { .. })));
    assert!(
        f.names("", "new").is_empty(),
        "nothing stored without the lock"
    );
    holder.kill().unwrap();
    holder.wait().unwrap();
    // Now the lock names a process that is gone.
    let mut sink = account.append("INBOX", &[], None).unwrap();
    sink.write(ONE).unwrap();
    assert_eq!(sink.commit().unwrap().uid, 1);
    assert!(!lock.exists());
}

/// Keywords: names in `dovecot-keywords` (`<index> <name>`), letters `a`–`z` in the
/// file name's info, at most 26 (Dovecot's limit); `P` and unknown letters are kept
/// as Dovecot keeps them, `P` is no IMAP flag.
#[test]
fn keywords_in_dovecot_keywords_with_info_letters() {
    let f = Fixture::new();
    let uid = f.append("INBOX", ONE, &[Flag::Seen, kw("Work")]);
    let mut inbox = f.account.open("INBOX", OpenMode::ReadWrite).unwrap();
    inbox
        .store(&[uid], FlagOp::Add, &[kw("$Forwarded"), Flag::Flagged])
        .unwrap();
    assert_eq!(
        fs::read_to_string(f.root().join("dovecot-keywords")).unwrap(),
        "0 Work\n1 $Forwarded\n"
    );
    let cur = f.names("", "cur");
    assert_eq!(cur.len(), 1);
    assert!(cur[0].ends_with(":2,FSab"), "{}", cur[0]);
    assert_eq!(
        sorted(meta(&*inbox, uid).flags),
        sorted(vec![
            Flag::Seen,
            Flag::Flagged,
            kw("Work"),
            kw("$Forwarded")
        ])
    );
    // Case-insensitive names (RFC 3501 §2.3.2 keywords are atoms; Dovecot compares
    // them without case).
    inbox.store(&[uid], FlagOp::Remove, &[kw("work")]).unwrap();
    assert!(f.names("", "cur")[0].ends_with(":2,FSb"));
    // 26 letters, then refusal, with nothing changed.
    // Work (no longer on any message, still in the table), $Forwarded, and 24 more.
    let many: Vec<Flag> = (0..24).map(|i| kw(&format!("k{i}"))).collect();
    inbox.store(&[uid], FlagOp::Add, &many).unwrap();
    let name_before = f.names("", "cur");
    let kw_before = fs::read_to_string(f.root().join("dovecot-keywords")).unwrap();
    assert!(matches!(
        inbox.store(&[uid], FlagOp::Add, &[kw("one-too-many")]),
        Err(StoreError::Cannot { .. })
    ));
    assert!(matches!(
        f.account
            .append("INBOX", &[kw("one-too-many")], None)
            .map(drop),
        Err(StoreError::Cannot { .. })
    ));
    assert_eq!(f.names("", "cur"), name_before);
    assert_eq!(
        fs::read_to_string(f.root().join("dovecot-keywords")).unwrap(),
        kw_before
    );

    // P (passed) and unknown letters survive a flag change; a letter without a name
    // reads as `unknown-<n>`, as Dovecot names it.
    let g = Fixture::new();
    g.put("", "cur", "1700000001.M1P1.host:2,PSc", ONE, 1_700_000_001);
    let mut inbox = g.account.open("INBOX", OpenMode::ReadWrite).unwrap();
    assert_eq!(
        sorted(inbox.messages()[0].flags.clone()),
        sorted(vec![Flag::Seen, kw("unknown-2")])
    );
    inbox
        .store(
            &[1],
            FlagOp::Add,
            &[Flag::Flagged, Flag::Draft, Flag::Answered, Flag::Deleted],
        )
        .unwrap();
    assert_eq!(g.names("", "cur"), ["1700000001.M1P1.host:2,DFPRSTc"]);
}

/// Flags in the `:2,` info (RFC 3501 §2.3.2): D \Draft, F \Flagged, R \Answered,
/// S \Seen, T \Deleted; the letters in ASCII order.
#[test]
fn rfc3501_2_3_2_system_flags_are_info_letters() {
    let f = Fixture::new();
    for (flag, letter) in [
        (Flag::Draft, "D"),
        (Flag::Flagged, "F"),
        (Flag::Answered, "R"),
        (Flag::Seen, "S"),
        (Flag::Deleted, "T"),
    ] {
        let uid = f.append("INBOX", ONE, std::slice::from_ref(&flag));
        let inbox = f.account.open("INBOX", OpenMode::ReadOnly).unwrap();
        assert_eq!(meta(&*inbox, uid).flags, [flag]);
        let name = f
            .names("", "cur")
            .into_iter()
            .find(|n| n.ends_with(&format!(":2,{letter}")));
        assert!(name.is_some(), "{letter}");
    }
    let uid = f.append("INBOX", ONE, &[Flag::Seen, Flag::Answered, Flag::Draft]);
    let mut inbox = f.account.open("INBOX", OpenMode::ReadWrite).unwrap();
    inbox
        .store(&[uid], FlagOp::Replace, &[Flag::Deleted, Flag::Flagged])
        .unwrap();
    assert_eq!(
        sorted(meta(&*inbox, uid).flags),
        sorted(vec![Flag::Deleted, Flag::Flagged])
    );
    let list = f.uidlist("");
    let base = &list.records.iter().find(|r| r.uid == uid).unwrap().base;
    assert!(f.root().join("cur").join(format!("{base}:2,FT")).exists());
}

// ---------------------------------------------------------------- sizes and POP3

/// Sizes come from `,S=`/`,W=` in the name or from the uidlist: a message an MTA wrote
/// (no sizes in its name) is read once and its sizes recorded as Dovecot records them
/// (`S`, `W`), with pobox's `X` (line end); a SELECT or POP3 login never reads it again.
#[test]
fn sizes_come_from_names_or_are_recorded_once() {
    let f = Fixture::new();
    let mta = f.put("", "new", "1700000001.M1P1.mta", NO_EOL, 1_700_000_001);
    f.put(
        "",
        "cur",
        "1700000002.M1P1.dove,S=10,W=777:2,S",
        ONE,
        1_700_000_002,
    );
    let inbox = f.account.open("INBOX", OpenMode::ReadOnly).unwrap();
    let m1 = meta(&*inbox, 1);
    let wire = pobox::pop3::wire_size(NO_EOL);
    assert_eq!((m1.size, m1.lacks_final_newline), (wire - 2, true));
    assert_eq!(m1.pop3_size(), wire);
    assert_eq!(meta(&*inbox, 2).size, 777, "W= in the name is believed");
    let list = f.uidlist("");
    let r1 = &list.records[0];
    assert_eq!(r1.ext(b'S'), Some(NO_EOL.len().to_string().as_str()));
    assert_eq!(r1.ext(b'W'), Some((wire - 2).to_string().as_str()));
    assert_eq!(r1.ext(b'X'), Some("1"));
    assert_eq!(list.records[1].ext(b'W'), None, "not when the name has it");
    assert_eq!(list.records[1].ext(b'X'), Some("0"));
    drop(inbox);
    // The file changes behind the store's back (same name): nothing re-reads it.
    fs::write(&mta, b"x").unwrap();
    let again = f.store.maildir_account("u").unwrap();
    for mode in [OpenMode::ReadOnly, OpenMode::Pop3] {
        let inbox = again.open("INBOX", mode).unwrap();
        let m = meta(&*inbox, 1);
        assert_eq!((m.size, m.lacks_final_newline), (wire - 2, true));
    }
}

/// POP3 (RFC 1939 §7, §11): UIDLs and LIST sizes are exactly those of the old store
/// (`examples/common/store.rs`): the base name or its MD5, and `wire_size`.
#[test]
fn rfc1939_pop3_uidls_and_sizes_match_the_old_store() {
    let f = Fixture::new();
    let long = format!("{}.M1P1.host", "9".repeat(80));
    let messages: Vec<(&str, &str, &[u8])> = vec![
        ("new", "1700000001.M1P1.host", ONE),
        ("cur", "1700000002.M1P1.host:2,S", TWO),
        ("cur", "1700000003.M1P1.host:2,", NO_EOL),
        ("new", "1700000004.M1P1.host", b".\n..dots\r\n.\n"),
        ("new", "1700000005.M1P1.host", b""),
        ("new", "1700000006.M1P1.host", b"ends in CR\r"),
        ("new", &long, ONE),
    ];
    for (i, (sub, name, data)) in messages.iter().enumerate() {
        f.put("", sub, name, data, 1_700_000_001 + i as u64);
    }
    let old_store =
        common::store::Store::new(common::store::StoreKind::Maildir, &f.dir.path().join("%u"))
            .unwrap();
    let old: HashMap<String, u64> = {
        let mailbox = old_store.open("u").unwrap();
        mailbox
            .messages()
            .iter()
            .map(|m| (m.uid.to_string(), m.size))
            .collect()
    };
    let inbox = f.account.open("INBOX", OpenMode::Pop3).unwrap();
    assert_eq!(inbox.messages().len(), messages.len());
    for m in inbox.messages() {
        let expected = old[&m.uidl];
        if m.uidl.starts_with("1700000006") {
            // A lone CR at the very end: the session adds only LF, one octet less than
            // pop3_size() counts (see the module docs of mailstore::maildir).
            assert_eq!(m.pop3_size(), expected + 1, "{}", m.uidl);
        } else {
            assert_eq!(m.pop3_size(), expected, "{}", m.uidl);
        }
    }
    let md5_uidl = inbox
        .messages()
        .iter()
        .find(|m| m.uid == 7)
        .unwrap()
        .uidl
        .clone();
    assert_eq!(
        md5_uidl.len(),
        32,
        "a 87-octet base is no valid UIDL: MD5 hex"
    );
}

/// POP3 keeps today's rules: one POP3 session at a time ([IN-USE], RFC 2449 §8.1.2)
/// against the old store's lock too, IMAP alongside; new/ → cur/ at open; the listing
/// is fixed for the session (RFC 1939 §5); deletion is unlink, of what still exists.
#[test]
fn pop3_mode_locks_snapshots_and_unlinks() {
    let f = Fixture::new();
    f.put("", "new", "1700000001.M1P1.host", ONE, 1_700_000_001);
    f.put("", "cur", "1700000002.M1P1.host:2,S", TWO, 1_700_000_002);
    let mut pop = f.account.open("INBOX", OpenMode::Pop3).unwrap();
    assert!(f.names("", "new").is_empty());
    assert!(matches!(
        f.account.open("INBOX", OpenMode::Pop3),
        Err(StoreError::InUse { .. })
    ));
    let old_store =
        common::store::Store::new(common::store::StoreKind::Maildir, &f.dir.path().join("%u"))
            .unwrap();
    assert!(matches!(
        old_store.open("u"),
        Err(common::store::StoreError::InUse { .. })
    ));
    assert!(matches!(
        f.account.open("Sent", OpenMode::Pop3),
        Err(StoreError::Cannot { .. })
    ));
    let mut imap = f.account.open("INBOX", OpenMode::ReadWrite).unwrap();
    f.append("INBOX", NO_EOL, &[]);
    assert_eq!(uids(&*pop), [1, 2]);
    assert!(pop.sync().unwrap().is_empty());
    assert_eq!(uids(&*pop), [1, 2]);
    assert!(pop.messages().iter().all(|m| !m.recent));
    // QUIT: delete 1 (no \Deleted needed) and 2; 2 is expunged over IMAP first.
    imap.store(&[2], FlagOp::Add, &[Flag::Deleted]).unwrap();
    assert_eq!(imap.expunge(&[2]).unwrap(), [2]);
    assert_eq!(pop.expunge(&[1, 2]).unwrap(), [1]);
    drop(pop);
    assert_eq!(
        uids(&*f.account.open("INBOX", OpenMode::ReadOnly).unwrap()),
        [3]
    );
    f.account.open("INBOX", OpenMode::Pop3).unwrap();
    let changes = imap.sync().unwrap();
    assert!(changes.contains(&Change::Expunged(1)), "{changes:?}");
}

// ---------------------------------------------------------------- \Recent and sessions

/// RFC 3501 §2.3.2 `\Recent`: this session is the first to be notified. A message in
/// new/ is recent for the first read-write opener, who moves it to cur/ (as Dovecot
/// does); EXAMINE and STATUS leave it.
#[test]
fn rfc3501_2_3_2_recent_goes_to_the_first_read_write_session() {
    let f = Fixture::new();
    f.put("", "new", "1700000001.M1P1.host", ONE, 1_700_000_001);
    let examine = f.account.open("INBOX", OpenMode::ReadOnly).unwrap();
    assert!(!examine.messages()[0].recent);
    assert_eq!(f.account.status("INBOX").unwrap().recent, 1);
    assert_eq!(f.names("", "new").len(), 1);
    let mut a = f.account.open("INBOX", OpenMode::ReadWrite).unwrap();
    assert!(a.messages()[0].recent);
    assert!(f.names("", "new").is_empty());
    assert_eq!(f.names("", "cur"), ["1700000001.M1P1.host:2,"]);
    let mut b = f.account.open("INBOX", OpenMode::ReadWrite).unwrap();
    assert!(!b.messages()[0].recent);
    assert_eq!(f.account.status("INBOX").unwrap().recent, 0);
    // A delivery while both are open: recent for whoever syncs first.
    f.put("", "new", "1700000002.M1P1.host", TWO, 1_700_000_002);
    let changes = b.sync().unwrap();
    assert!(
        matches!(&changes[..], [Change::Arrived(m)] if m.uid == 2 && m.recent),
        "{changes:?}"
    );
    let changes = a.sync().unwrap();
    assert!(
        matches!(&changes[..], [Change::Arrived(m)] if m.uid == 2 && !m.recent),
        "{changes:?}"
    );
    drop(examine);
}

/// Two sessions on one folder (in one process): each one's APPEND, STORE, EXPUNGE,
/// COPY and MOVE reach the other's sync; a session's own changes are not reported back.
#[test]
fn sessions_see_each_others_changes() {
    let f = Fixture::new();
    f.account.create("Other").unwrap();
    let mut a = f.account.open("INBOX", OpenMode::ReadWrite).unwrap();
    let mut b = f.account.open("INBOX", OpenMode::ReadWrite).unwrap();
    let mut other = f.account.open("Other", OpenMode::ReadWrite).unwrap();
    let u1 = f.append("INBOX", ONE, &[Flag::Seen]);
    let u2 = f.append("INBOX", TWO, &[Flag::Seen]);
    assert!(
        matches!(&b.sync().unwrap()[..], [Change::Arrived(x), Change::Arrived(y)] if x.uid == u1 && y.uid == u2)
    );
    assert_eq!(a.sync().unwrap().len(), 2);
    a.store(&[u1], FlagOp::Add, &[Flag::Deleted]).unwrap();
    assert!(a.sync().unwrap().is_empty(), "own change");
    assert_eq!(
        b.sync().unwrap(),
        [Change::Flags(u1, vec![Flag::Seen, Flag::Deleted])]
    );
    assert_eq!(
        a.expunge(&[u1, u2]).unwrap(),
        [u1],
        "only what has \\Deleted"
    );
    assert_eq!(b.sync().unwrap(), [Change::Expunged(u1)]);
    assert!(a.sync().unwrap().is_empty());
    let copied = a.copy(&[u2], "Other").unwrap();
    assert_eq!(
        (copied.source.clone(), copied.destination.clone()),
        (vec![u2], vec![1])
    );
    assert_eq!(copied.uid_validity, other.uid_validity());
    assert!(
        matches!(&other.sync().unwrap()[..], [Change::Arrived(m)] if m.uid == 1 && m.flags == [Flag::Seen])
    );
    let moved = b.move_to(&[u2], "Other").unwrap();
    assert_eq!(moved.destination, [2]);
    assert!(b.messages().is_empty());
    assert_eq!(a.sync().unwrap(), [Change::Expunged(u2)]);
    assert_eq!(other.sync().unwrap().len(), 1);
    assert_eq!(other.read(2).unwrap(), TWO);
}

/// Two processes: a change made by another process (here a child running the store)
/// reaches this one's sync.
#[test]
fn sessions_in_two_processes_see_each_others_changes() {
    if let Ok(dir) = std::env::var("POBOX_TEST_OTHER_PROCESS") {
        let store = MaildirStore::new(&format!("{dir}/%u")).unwrap();
        let account = store.maildir_account("u").unwrap();
        let mut sink = account.append("INBOX", &[Flag::Flagged], None).unwrap();
        sink.write(TWO).unwrap();
        sink.commit().unwrap();
        let mut inbox = account.open("INBOX", OpenMode::ReadWrite).unwrap();
        inbox.store(&[1], FlagOp::Add, &[Flag::Deleted]).unwrap();
        inbox.expunge(&[1]).unwrap();
        return;
    }
    let f = Fixture::new();
    f.append("INBOX", ONE, &[]);
    let mut inbox = f.account.open("INBOX", OpenMode::ReadWrite).unwrap();
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "sessions_in_two_processes_see_each_others_changes",
            "--quiet",
        ])
        .env("POBOX_TEST_OTHER_PROCESS", f.dir.path())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let changes = inbox.sync().unwrap();
    assert!(changes.contains(&Change::Expunged(1)), "{changes:?}");
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Change::Arrived(m) if m.uid == 2 && m.flags == [Flag::Flagged]))
    );
}

/// A sync with nothing changed reads nothing: here a uidlist overwritten in place
/// (same inode, size and mtime, so no writer of the format) is not read again.
#[test]
fn sync_reads_nothing_when_no_stamp_changed() {
    let f = Fixture::new();
    f.append("INBOX", ONE, &[Flag::Seen]);
    let mut inbox = f.account.open("INBOX", OpenMode::ReadWrite).unwrap();
    // Age every stamp, so the coarse-clock rescan window is over.
    let old = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    for p in ["", "cur", "new", "dovecot-uidlist"] {
        fs::File::open(f.root().join(p))
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    assert!(inbox.sync().unwrap().is_empty());
    let path = f.root().join("dovecot-uidlist");
    let len = fs::metadata(&path).unwrap().len() as usize;
    fs::OpenOptions::new().write(true).open(&path).unwrap();
    std::io::Write::write_all(
        &mut fs::OpenOptions::new().write(true).open(&path).unwrap(),
        &vec![b'!'; len],
    )
    .unwrap();
    fs::File::open(&path).unwrap().set_modified(old).unwrap();
    assert!(inbox.sync().unwrap().is_empty());
    assert_eq!(uids(&*inbox), [1]);
    assert_eq!(inbox.read(1).unwrap(), ONE);
}

// ---------------------------------------------------------------- notification

fn wait_for_tick(rx: &mut tokio::sync::watch::Receiver<u64>) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if rx.has_changed().unwrap_or(false) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// Delivers a message the way an MTA does: tmp/, then rename into new/.
fn mta_deliver(root: &Path, name: &str, data: &[u8]) {
    let tmp = root.join("tmp").join(name);
    fs::write(&tmp, data).unwrap();
    fs::rename(&tmp, root.join("new").join(name)).unwrap();
}

/// A delivery by another program into new/ ticks `changed()` (inotify): an idling
/// session learns of it without polling its folder.
#[test]
fn an_mta_delivery_ticks_changed() {
    let f = Fixture::new();
    let mut inbox = f.account.open("INBOX", OpenMode::ReadWrite).unwrap();
    let mut rx = inbox.changed();
    rx.borrow_and_update();
    let root = f.root();
    std::thread::spawn(move || mta_deliver(&root, "1700000001.M1P9.mta", ONE))
        .join()
        .unwrap();
    assert!(wait_for_tick(&mut rx), "no tick after a delivery");
    assert!(matches!(&inbox.sync().unwrap()[..], [Change::Arrived(m)] if m.uid == 1 && m.recent));
}

/// Sessions for which no message is `\Recent` share one listing of the folder (memory per
/// idle session does not grow with the mailbox), also after a sync; a session that got
/// `\Recent` (RFC 3501 §2.3.2) keeps its own, with the flag.
#[test]
fn sessions_without_recent_share_one_listing() {
    let f = Fixture::new();
    let root = f.root();
    for i in 0..3 {
        mta_deliver(&root, &format!("170000000{i}.M1P9.mta"), ONE);
    }
    let first = f.account.open("INBOX", OpenMode::ReadWrite).unwrap();
    assert!(first.messages().iter().all(|m| m.recent));
    let a = f.account.open("INBOX", OpenMode::ReadWrite).unwrap();
    let mut b = f.account.open("INBOX", OpenMode::ReadOnly).unwrap();
    assert!(a.messages().iter().all(|m| !m.recent));
    assert_eq!(a.messages().as_ptr(), b.messages().as_ptr(), "not shared");
    assert_ne!(first.messages().as_ptr(), a.messages().as_ptr());
    // Another session changes a flag: after syncing, the two share again, flag included.
    let mut a = a;
    a.store(&[1], FlagOp::Add, &[Flag::Flagged]).unwrap();
    assert!(a.messages()[0].flags.contains(&Flag::Flagged));
    assert!(matches!(&b.sync().unwrap()[..], [Change::Flags(1, _)]));
    assert!(a.sync().unwrap().is_empty());
    assert_eq!(
        a.messages().as_ptr(),
        b.messages().as_ptr(),
        "not shared after sync"
    );
    assert!(b.messages()[0].flags.contains(&Flag::Flagged));
    drop(first);
}

/// A message is read whole whatever its name says its size is (`,S=` too small, too
/// large, or absent): the name only saves system calls.
#[test]
fn reads_are_whole_whatever_the_name_says() {
    let f = Fixture::new();
    let root = f.root();
    mta_deliver(&root, "1700000001.M1P9.mta,S=3", ONE);
    mta_deliver(&root, "1700000002.M1P9.mta,S=99999", ONE);
    mta_deliver(&root, "1700000003.M1P9.mta", ONE);
    let name = format!("1700000004.M1P9.mta,S={}", ONE.len());
    mta_deliver(&root, &name, ONE);
    let inbox = f.account.open("INBOX", OpenMode::ReadOnly).unwrap();
    let all = uids(&*inbox);
    assert_eq!(all.len(), 4);
    for uid in all {
        assert_eq!(inbox.read(uid).unwrap(), ONE, "uid {uid}");
    }
}

/// Reading messages (opening and closing their files, as a FETCH does by the hundred) is
/// no change: only the delivery that follows ticks. inotify delivers events in order, so
/// once the delivery's tick is seen, any tick the reads made would have been seen too.
#[test]
fn reading_messages_does_not_tick_changed() {
    let f = Fixture::new();
    let root = f.root();
    for i in 0..5 {
        mta_deliver(&root, &format!("170000000{i}.M1P9.mta"), ONE);
    }
    let inbox = f.account.open("INBOX", OpenMode::ReadWrite).unwrap();
    let mut rx = inbox.changed();
    let before = *rx.borrow_and_update();
    let reader = f.account.open("INBOX", OpenMode::ReadOnly).unwrap();
    for uid in uids(&*reader) {
        assert_eq!(reader.read(uid).unwrap(), ONE);
    }
    for entry in fs::read_dir(root.join("new")).unwrap() {
        assert_eq!(fs::read(entry.unwrap().path()).unwrap(), ONE);
    }
    mta_deliver(&root, "1700000009.M1P9.mta", ONE);
    assert!(wait_for_tick(&mut rx), "no tick after a delivery");
    assert_eq!(*rx.borrow_and_update(), before + 1, "reads ticked");
    drop(inbox);
}

/// The polling fallback (no inotify) ticks too; run in a child process, which polls.
#[test]
fn the_polling_fallback_ticks_changed() {
    if std::env::var("POBOX_TEST_POLLING").is_ok() {
        assert!(common::mailstore::watch::use_polling_only());
        let f = Fixture::new();
        let inbox = f.account.open("INBOX", OpenMode::ReadWrite).unwrap();
        assert!(!common::mailstore::watch::is_watched(&f.root().join("new")));
        let mut rx = inbox.changed();
        rx.borrow_and_update();
        mta_deliver(&f.root(), "1700000001.M1P9.mta", ONE);
        assert!(wait_for_tick(&mut rx), "no tick from the poller");
        return;
    }
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "the_polling_fallback_ticks_changed", "--quiet"])
        .env("POBOX_TEST_POLLING", "1")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

/// One inotify instance per process and one watch per folder directory, however many
/// sessions have the folder open (1,000 idle sessions must stay cheap).
#[test]
fn many_sessions_share_one_inotify_and_one_watch_per_folder() {
    if std::env::var("POBOX_TEST_WATCHES").is_ok() {
        let f = Fixture::new();
        f.account.create("Other").unwrap();
        let mut sessions: Vec<Box<dyn Folder>> = Vec::new();
        let mut fds_before = 0;
        for i in 0..1000 {
            let name = if i % 2 == 0 { "INBOX" } else { "Other" };
            let folder = f.account.open(name, OpenMode::ReadWrite).unwrap();
            let _rx = folder.changed();
            sessions.push(folder);
            if i == 1 {
                fds_before = fs::read_dir("/proc/self/fd").unwrap().count();
            }
        }
        let fds_after = fs::read_dir("/proc/self/fd").unwrap().count();
        assert_eq!(
            fds_after, fds_before,
            "descriptors after 2 and after 1,000 sessions"
        );
        let mut inotify = 0;
        let mut watches = 0;
        for fd in fs::read_dir("/proc/self/fd").unwrap().flatten() {
            if fs::read_link(fd.path()).is_ok_and(|l| l.to_string_lossy().contains("inotify")) {
                inotify += 1;
                let info = fs::read_to_string(format!(
                    "/proc/self/fdinfo/{}",
                    fd.file_name().to_string_lossy()
                ))
                .unwrap();
                watches += info
                    .lines()
                    .filter(|l| l.starts_with("inotify wd:"))
                    .count();
            }
        }
        assert_eq!((inotify, watches), (1, 4), "new/ and cur/ of two folders");
        return;
    }
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "many_sessions_share_one_inotify_and_one_watch_per_folder",
            "--quiet",
        ])
        .env("POBOX_TEST_WATCHES", "1")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

// ---------------------------------------------------------------- append, copy, expunge

/// APPEND streams into tmp/; commit renames into new/ (no flags) or cur/ (flags) with
/// the INTERNALDATE as mtime (RFC 3501 §6.3.11) and returns the UID; dropped without a
/// commit, it leaves nothing.
#[test]
fn rfc3501_6_3_11_append_streams_through_tmp() {
    let f = Fixture::new();
    let date = UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    let mut sink = f
        .account
        .append("INBOX", &[Flag::Seen], Some(date))
        .unwrap();
    sink.write(b"Subject: x\n").unwrap();
    let tmp = f.names("", "tmp");
    assert_eq!(tmp.len(), 1);
    assert_eq!(
        fs::read(f.root().join("tmp").join(&tmp[0])).unwrap(),
        b"Subject: x\n"
    );
    sink.write(b"\nbody\n").unwrap();
    let appended = sink.commit().unwrap();
    assert_eq!(appended.uid, 1);
    assert_eq!(
        appended.uid_validity,
        f.account.status("INBOX").unwrap().uid_validity
    );
    assert!(f.names("", "tmp").is_empty());
    let cur = f.names("", "cur");
    assert!(cur[0].ends_with(",S=17,W=20:2,S"), "{}", cur[0]);
    let inbox = f.account.open("INBOX", OpenMode::ReadOnly).unwrap();
    assert_eq!(inbox.messages()[0].internal_date, date);
    assert_eq!(inbox.read(1).unwrap(), &b"Subject: x\n\nbody\n"[..]);
    drop(inbox);

    let mut sink = f.account.append("INBOX", &[], None).unwrap();
    sink.write(ONE).unwrap();
    drop(sink);
    assert!(f.names("", "tmp").is_empty(), "dropped: nothing left");
    assert_eq!(f.fixture_count(), 1);
    f.append("INBOX", ONE, &[]);
    assert_eq!(f.names("", "new").len(), 1, "no flags: new/");
    assert!(matches!(
        f.account.append("Nope", &[], None).map(drop),
        Err(StoreError::NoMailbox { .. })
    ));
}

impl Fixture {
    fn fixture_count(&self) -> usize {
        self.names("", "cur").len() + self.names("", "new").len()
    }
}

/// COPY (RFC 3501 §6.4.7) keeps flags and INTERNALDATE, hard-links the file, maps
/// keywords onto the destination's own letters; MOVE (RFC 6851) removes the source.
#[test]
fn copy_links_and_keeps_flags_and_move_removes() {
    let f = Fixture::new();
    f.account.create("Dest").unwrap();
    let dest_first = f.append("Dest", ONE, &[kw("Other")]); // Dest's letter a = Other
    let uid = f.append("INBOX", TWO, &[Flag::Answered, kw("Work")]);
    let mut inbox = f.account.open("INBOX", OpenMode::ReadWrite).unwrap();
    let copied = inbox.copy(&[uid, 99], "Dest").unwrap();
    assert_eq!(
        (copied.source, copied.destination),
        (vec![uid], vec![dest_first + 1])
    );
    let dest = f.account.open("Dest", OpenMode::ReadOnly).unwrap();
    let m = meta(&*dest, dest_first + 1);
    assert_eq!(sorted(m.flags), sorted(vec![Flag::Answered, kw("Work")]));
    assert_eq!(m.internal_date, meta(&*inbox, uid).internal_date);
    assert!(f.names(".Dest", "cur").iter().any(|n| n.ends_with(":2,Rb")));
    let src_ino = fs::metadata(f.root().join("cur").join(&f.names("", "cur")[0])).unwrap();
    assert_eq!(src_ino.nlink(), 2, "a hard link, as Dovecot copies");
    let moved = inbox.move_to(&[uid], "Dest").unwrap();
    assert_eq!(moved.destination, [dest_first + 2]);
    assert!(inbox.messages().is_empty());
    assert_eq!(f.fixture_count(), 0);
    assert!(matches!(
        inbox.copy(&[1], "Nope"),
        Err(StoreError::NoMailbox { .. })
    ));
}

// ---------------------------------------------------------------- the demo

#[test]
fn the_demo_has_folders_for_imap() {
    let demo = common::demo::Demo::install(common::store::StoreKind::Maildir).unwrap();
    let store = MaildirStore::new(demo.dir().join("maildir").join("%u").to_str().unwrap()).unwrap();
    let account = store.account(common::demo::USER).unwrap();
    let entries = account.folders().unwrap();
    for name in [
        "INBOX",
        "Sent",
        "Archive",
        "Archive.2023",
        "Drafts",
        "Trash",
    ] {
        let e = entries
            .iter()
            .find(|e| e.name == name)
            .unwrap_or_else(|| panic!("{name}"));
        assert!(e.subscribed, "{name} subscribed");
    }
    assert_eq!(account.status("INBOX").unwrap().messages, 7);
    assert!(account.status("Sent").unwrap().messages >= 1);
    assert!(account.status("Archive.2023").unwrap().messages >= 2);
}

// ---------------------------------------------------------------- kill -9

/// The operations the kill test interrupts.
const KILL_OPS: &[&str] = &[
    "append",
    "copy",
    "move",
    "expunge",
    "store",
    "rename-inbox",
    "delete",
    "create",
    "first-open",
];

/// The fixture: INBOX with three messages (one `\Deleted`, one with a keyword), folder
/// Dest with one; every message carries a Message-ID to be found by.
fn kill_fixture(dir: &Path) {
    let store = MaildirStore::new(dir.join("%u").to_str().unwrap()).unwrap();
    let account = store.maildir_account("u").unwrap();
    account.create("Dest").unwrap();
    account.create("Dest.Sub").unwrap();
    let put = |folder: &str, id: &str, flags: &[Flag]| {
        let mut sink = account.append(folder, flags, None).unwrap();
        sink.write(format!("Message-ID: <{id}>\n\nbody {id}\n").as_bytes())
            .unwrap();
        sink.commit().unwrap();
    };
    put("INBOX", "m1", &[Flag::Seen]);
    put("INBOX", "m2", &[Flag::Deleted, kw("Work")]);
    put("INBOX", "m3", &[]);
    put("Dest", "d1", &[]);
    // A message an MTA left, without sizes or UID (read at the first open).
    mta_deliver(
        &dir.join("u"),
        "1700000009.M1P1.mta",
        b"Message-ID: <mta>\n\nraw\n",
    );
}

/// Runs one operation with a step hook that SIGKILLs this process after N steps.
fn kill_child(op: &str, dir: &Path) {
    fn hook(_what: &'static str) {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNT: AtomicU64 = AtomicU64::new(0);
        let limit: u64 = std::env::var("POBOX_KILL_AFTER").unwrap().parse().unwrap();
        if COUNT.fetch_add(1, Ordering::SeqCst) + 1 >= limit {
            let _ = rustix::process::kill_process(
                rustix::process::getpid(),
                rustix::process::Signal::KILL,
            );
            std::thread::sleep(Duration::from_secs(10));
        }
    }
    let store = MaildirStore::new(dir.join("%u").to_str().unwrap()).unwrap();
    let account = store.maildir_account("u").unwrap();
    if op != "first-open" {
        // Everything read and recorded before the clock starts.
        drop(account.open("INBOX", OpenMode::ReadOnly).unwrap());
    }
    assert!(common::mailstore::set_step_hook(hook));
    match op {
        "append" => {
            let mut sink = account
                .append("Dest", &[Flag::Seen, kw("New")], None)
                .unwrap();
            sink.write(b"Message-ID: <new>\n\n").unwrap();
            sink.write(b"appended\n").unwrap();
            sink.commit().unwrap();
        }
        "copy" => {
            let mut inbox = account.open("INBOX", OpenMode::ReadWrite).unwrap();
            inbox.copy(&[1, 2, 3], "Dest").unwrap();
        }
        "move" => {
            let mut inbox = account.open("INBOX", OpenMode::ReadWrite).unwrap();
            inbox.move_to(&[1, 2, 3], "Dest").unwrap();
        }
        "expunge" => {
            let mut inbox = account.open("INBOX", OpenMode::ReadWrite).unwrap();
            inbox.store(&[1], FlagOp::Add, &[Flag::Deleted]).unwrap();
            inbox.expunge(&[1, 2, 3]).unwrap();
        }
        "store" => {
            let mut inbox = account.open("INBOX", OpenMode::ReadWrite).unwrap();
            inbox
                .store(&[1, 2, 3], FlagOp::Add, &[Flag::Flagged, kw("Later")])
                .unwrap();
        }
        "rename-inbox" => account.rename("INBOX", "Old").unwrap(),
        "delete" => account.delete("Dest.Sub").unwrap(),
        "create" => account.create("New.Folder").unwrap(),
        "first-open" => drop(account.open("INBOX", OpenMode::ReadWrite).unwrap()),
        other => panic!("unknown op {other}"),
    }
}

#[test]
fn kill9_child() {
    let (Ok(op), Ok(dir)) = (
        std::env::var("POBOX_KILL_OP"),
        std::env::var("POBOX_KILL_DIR"),
    ) else {
        return; // only run as the child of kill9_at_every_step
    };
    kill_child(&op, Path::new(&dir));
}

/// Each folder's UIDVALIDITY and (base, UID) records before the operation.
type Before = HashMap<String, (u32, Vec<(String, u32)>)>;

/// Message-IDs in each folder after reopening (which assigns UIDs to what has none),
/// with the uidlist checked: it parses, UIDs ascend, every file has exactly one record.
fn check_after_kill(dir: &Path, before: &Before) -> HashMap<String, Vec<String>> {
    let store = MaildirStore::new(dir.join("%u").to_str().unwrap())
        .unwrap()
        .with_lock_timeout(Duration::from_secs(5));
    let account = store.maildir_account("u").unwrap();
    let mut out = HashMap::new();
    for entry in account.folders().unwrap() {
        if entry.attributes.contains(&MailboxAttribute::Noselect) || !entry.exists {
            continue;
        }
        let folder = account.open(&entry.name, OpenMode::ReadOnly).unwrap();
        let mut ids = Vec::new();
        for m in folder.messages() {
            let data = folder.read(m.uid).unwrap();
            let text = String::from_utf8_lossy(&data);
            let id = text
                .split('<')
                .nth(1)
                .and_then(|s| s.split('>').next())
                .unwrap()
                .to_owned();
            ids.push(id);
        }
        let path = account.dir_of(&entry.name).unwrap();
        let list = Uidlist::parse(&fs::read(path.join("dovecot-uidlist")).unwrap()).unwrap();
        assert!(list.records.windows(2).all(|w| w[0].uid < w[1].uid));
        assert!(list.records.last().is_none_or(|r| r.uid < list.next_uid));
        let mut files = 0;
        for sub in ["cur", "new"] {
            for e in fs::read_dir(path.join(sub)).unwrap().flatten() {
                files += 1;
                let name = e.file_name().into_string().unwrap();
                let base = name.split(':').next().unwrap();
                assert_eq!(
                    list.records.iter().filter(|r| r.base == base).count(),
                    1,
                    "{name}"
                );
            }
        }
        assert_eq!(files, folder.messages().len());
        if let Some((validity, old_uids)) = before.get(&entry.name) {
            // Not a new folder: same UIDVALIDITY, and old messages keep their UIDs.
            assert_eq!(list.uid_validity, *validity, "{}", entry.name);
            for (base, uid) in old_uids {
                if let Some(r) = list.records.iter().find(|r| &r.base == base) {
                    assert_eq!(r.uid, *uid, "{base} kept its UID");
                }
            }
        }
        out.insert(entry.name.clone(), ids);
    }
    out
}

/// `kill -9` after every file-system step of APPEND, COPY, MOVE, EXPUNGE, STORE, RENAME
/// of INBOX, DELETE, CREATE and the first open (UID assignment): every message is still
/// somewhere, at most once per folder, the uidlists are consistent, UIDs and
/// UIDVALIDITY unchanged, and the next writer breaks the dead writer's lock.
#[test]
fn kill9_at_every_step_loses_and_duplicates_nothing() {
    let all = ["m1", "m2", "m3", "d1", "mta"];
    for op in KILL_OPS {
        let mut killed_at = Vec::new();
        for n in 1.. {
            let dir = tempfile::tempdir().unwrap();
            kill_fixture(dir.path());
            // UIDVALIDITY and UIDs before (after the first open assigned the MTA's).
            let before: Before = if *op == "first-open" {
                HashMap::new()
            } else {
                let store = MaildirStore::new(dir.path().join("%u").to_str().unwrap()).unwrap();
                let account = store.maildir_account("u").unwrap();
                drop(account.open("INBOX", OpenMode::ReadOnly).unwrap());
                ["INBOX", "Dest", "Dest.Sub"]
                    .iter()
                    .map(|name| {
                        let path = account.dir_of(name).unwrap();
                        let list = Uidlist::parse(&fs::read(path.join("dovecot-uidlist")).unwrap())
                            .unwrap();
                        let uids = list
                            .records
                            .iter()
                            .map(|r| (r.base.clone(), r.uid))
                            .collect();
                        (name.to_string(), (list.uid_validity, uids))
                    })
                    .collect()
            };
            let status = Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "kill9_child", "--quiet", "--test-threads=1"])
                .env("POBOX_KILL_OP", op)
                .env("POBOX_KILL_DIR", dir.path())
                .env("POBOX_KILL_AFTER", n.to_string())
                .stdout(Stdio::null())
                .status()
                .unwrap();
            let finished = status.success();
            if !finished {
                use std::os::unix::process::ExitStatusExt;
                assert_eq!(status.signal(), Some(9), "{op} step {n}: {status:?}");
                killed_at.push(n);
            }
            let found = check_after_kill(dir.path(), &before);
            for (folder, ids) in &found {
                let mut unique = ids.clone();
                unique.sort();
                unique.dedup();
                assert_eq!(
                    unique.len(),
                    ids.len(),
                    "{op} step {n}: duplicate in {folder}: {ids:?}"
                );
            }
            let everywhere: Vec<&String> = found.values().flatten().collect();
            for id in all {
                let may_go = match *op {
                    "expunge" => id == "m1" || id == "m2",
                    _ => false,
                };
                if !may_go {
                    assert!(
                        everywhere.iter().any(|x| *x == id),
                        "{op} step {n}: {id} lost: {found:?}"
                    );
                }
            }
            if *op == "append" && finished {
                assert!(found["Dest"].contains(&"new".to_owned()));
            }
            if *op == "move" && finished {
                assert_eq!(found["INBOX"], ["mta"]);
            }
            if *op == "delete" && finished {
                assert!(!found.contains_key("Dest.Sub"));
            }
            if finished {
                assert!(n > 1, "{op}: the operation took no step at all");
                break;
            }
        }
        assert!(!killed_at.is_empty(), "{op} was never interrupted");
        eprintln!("{op}: killed after each of steps {killed_at:?}");
    }
}
