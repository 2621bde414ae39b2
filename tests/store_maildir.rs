//! The Maildir store: new/ → cur/, unique ids, sizes, deletion at commit only, the
//! session lock, other readers renaming or deleting files, flags and delivery.
#[path = "../examples/common/mod.rs"]
mod common;

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::flags::Flags;
use common::maildir;
use common::store::{CommitSummary, Store, StoreError, StoreKind};

/// A temporary Maildir store with user "u".
struct Fixture {
    dir: tempfile::TempDir,
    store: Store,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["cur", "new", "tmp"] {
            fs::create_dir_all(dir.path().join("u").join(sub)).unwrap();
        }
        let store = Store::new(StoreKind::Maildir, &dir.path().join("%u")).unwrap();
        Fixture { dir, store }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("u")
    }

    /// Puts a file into new/ or cur/ with the given mtime (seconds since 1970).
    fn put(&self, sub: &str, name: &str, contents: &[u8], mtime: u64) -> PathBuf {
        let path = self.root().join(sub).join(name);
        fs::write(&path, contents).unwrap();
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(UNIX_EPOCH + Duration::from_secs(mtime))
            .unwrap();
        path
    }

    fn names(&self, sub: &str) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.root().join(sub))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

const ONE: &[u8] = b"Subject: one\n\nfirst\n";
const TWO: &[u8] = b"Subject: two\r\n\r\nsecond, CRLF\r\n";
const THREE: &[u8] = b"Subject: three\n\n.dot\n";

fn three_messages() -> Fixture {
    let f = Fixture::new();
    f.put("new", "1700000003.M3P1Q1.host", THREE, 1_700_000_003);
    f.put("cur", "1700000001.M1P1Q1.host:2,S", ONE, 1_700_000_001);
    f.put("new", "1700000002.M2P1Q1.host", TWO, 1_700_000_002);
    f
}

fn uids(mailbox: &common::store::Mailbox) -> Vec<String> {
    mailbox
        .messages()
        .iter()
        .map(|m| m.uid.to_string())
        .collect()
}

#[test]
fn open_moves_new_to_cur_and_lists_by_delivery_time() {
    let f = three_messages();
    let mailbox = f.store.open("u").unwrap();
    assert!(f.names("new").is_empty());
    assert_eq!(
        f.names("cur"),
        [
            "1700000001.M1P1Q1.host:2,S",
            "1700000002.M2P1Q1.host:2,",
            "1700000003.M3P1Q1.host:2,"
        ]
    );
    assert_eq!(
        uids(&mailbox),
        [
            "1700000001.M1P1Q1.host",
            "1700000002.M2P1Q1.host",
            "1700000003.M3P1Q1.host"
        ]
    );
    let m = mailbox.messages();
    assert_eq!(m[0].flags, Flags::SEEN);
    assert!(m[1].flags.is_empty());
    assert_eq!(
        m[2].internal_date,
        UNIX_EPOCH + Duration::from_secs(1_700_000_003)
    );
}

#[test]
fn rfc1939_11_sizes_count_bare_lf_as_crlf_and_read_returns_the_file() {
    let f = three_messages();
    let mailbox = f.store.open("u").unwrap();
    // ONE: 20 bytes with 3 bare LFs; TWO is already CRLF; THREE: 21 bytes, 3 LFs.
    let sizes: Vec<u64> = mailbox.messages().iter().map(|m| m.size).collect();
    assert_eq!(sizes, [23, TWO.len() as u64, 24]);
    assert_eq!(mailbox.total_size(), 23 + TWO.len() as u64 + 24);
    assert_eq!(mailbox.read(0).unwrap(), ONE);
    assert_eq!(mailbox.read(1).unwrap(), TWO);
    assert_eq!(mailbox.read(2).unwrap(), THREE);
    assert!(matches!(
        mailbox.read(3),
        Err(StoreError::NoSuchMessage { index: 3 })
    ));
}

#[test]
fn rfc1939_7_unique_ids_persist_across_sessions_and_flag_changes() {
    let f = three_messages();
    let first = uids(&f.store.open("u").unwrap());
    // A session that ends without UPDATE (dropped): the ids must persist (§7).
    let mut mailbox = f.store.open("u").unwrap();
    assert_eq!(uids(&mailbox), first);
    mailbox.set_flags(1, Flags::SEEN | Flags::REPLIED).unwrap();
    drop(mailbox);
    assert!(
        f.names("cur")
            .contains(&"1700000002.M2P1Q1.host:2,RS".to_owned())
    );
    let mailbox = f.store.open("u").unwrap();
    assert_eq!(uids(&mailbox), first);
    assert_eq!(mailbox.messages()[1].flags, Flags::SEEN | Flags::REPLIED);
}

#[test]
fn deletions_happen_only_at_commit() {
    let f = three_messages();
    let mailbox = f.store.open("u").unwrap();
    drop(mailbox); // connection lost: nothing deleted
    assert_eq!(f.names("cur").len(), 3);

    let mailbox = f.store.open("u").unwrap();
    let summary = mailbox.commit(&[2, 0, 2]).unwrap();
    assert_eq!(
        summary,
        CommitSummary {
            deleted: 2,
            already_gone: 0
        }
    );
    assert_eq!(f.names("cur"), ["1700000002.M2P1Q1.host:2,"]);
    let mailbox = f.store.open("u").unwrap();
    assert_eq!(uids(&mailbox), ["1700000002.M2P1Q1.host"]);
}

#[test]
fn a_bad_index_deletes_nothing() {
    let f = three_messages();
    let mailbox = f.store.open("u").unwrap();
    assert!(matches!(
        mailbox.commit(&[0, 7]),
        Err(StoreError::NoSuchMessage { index: 7 })
    ));
    assert_eq!(f.names("cur").len(), 3);
}

#[test]
fn rfc2449_8_1_2_second_session_is_in_use_until_the_first_ends() {
    let f = three_messages();
    let first = f.store.open("u").unwrap();
    assert!(matches!(f.store.open("u"), Err(StoreError::InUse { .. })));
    assert!(f.store.open("u").unwrap_err().is_temporary());
    first.commit(&[]).unwrap();
    let second = f.store.open("u").unwrap();
    assert_eq!(second.messages().len(), 3);
}

#[test]
fn session_lock_is_an_flock_seen_by_other_processes() {
    let f = three_messages();
    let lock = f.root().join(maildir::SESSION_LOCK);
    fs::write(&lock, b"").unwrap();
    // util-linux flock(1) holds an flock on the file, as another server process would.
    let mut holder = std::process::Command::new("flock")
        .arg("-x")
        .arg(&lock)
        .args(["sleep", "30"])
        .spawn()
        .expect("flock(1) from util-linux");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut result = f.store.open("u");
    while result.is_ok() && std::time::Instant::now() < deadline {
        drop(result);
        std::thread::sleep(Duration::from_millis(20));
        result = f.store.open("u");
    }
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert!(matches!(result, Err(StoreError::InUse { .. })));
}

#[test]
fn a_message_deleted_by_another_reader_vanishes_cleanly() {
    let f = three_messages();
    let mailbox = f.store.open("u").unwrap();
    fs::remove_file(f.root().join("cur/1700000002.M2P1Q1.host:2,")).unwrap();
    match mailbox.read(1) {
        Err(StoreError::Vanished { uid }) => assert_eq!(uid, "1700000002.M2P1Q1.host"),
        other => panic!("{other:?}"),
    }
    assert_eq!(mailbox.read(0).unwrap(), ONE);
    let summary = mailbox.commit(&[0, 1]).unwrap();
    assert_eq!(
        summary,
        CommitSummary {
            deleted: 1,
            already_gone: 1
        }
    );
    assert_eq!(f.names("cur"), ["1700000003.M3P1Q1.host:2,"]);
}

#[test]
fn a_message_renamed_by_another_reader_is_found_by_its_unique_part() {
    let f = three_messages();
    let mailbox = f.store.open("u").unwrap();
    let cur = f.root().join("cur");
    fs::rename(
        cur.join("1700000002.M2P1Q1.host:2,"),
        cur.join("1700000002.M2P1Q1.host:2,FS"),
    )
    .unwrap();
    assert_eq!(mailbox.read(1).unwrap(), TWO);
    mailbox.commit(&[1]).unwrap();
    assert_eq!(
        f.names("cur"),
        ["1700000001.M1P1Q1.host:2,S", "1700000003.M3P1Q1.host:2,"]
    );
}

#[test]
fn odd_names_get_md5_ids_and_dotfiles_are_ignored() {
    let f = Fixture::new();
    let long = format!("{}.host", "7".repeat(80));
    f.put("cur", &format!("{long}:2,"), ONE, 1);
    f.put("cur", "1700000000.with space.host:2,", TWO, 2);
    f.put("cur", ".hidden", THREE, 3);
    f.put("new", ".also-hidden", THREE, 3);
    let mailbox = f.store.open("u").unwrap();
    let ids = uids(&mailbox);
    assert_eq!(ids.len(), 2);
    for id in &ids {
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    assert_ne!(ids[0], ids[1]);
    // Stable: derived from the name, not from the session.
    drop(mailbox);
    assert_eq!(uids(&f.store.open("u").unwrap()), ids);
    assert!(f.names("new").contains(&".also-hidden".to_owned()));
}

#[test]
fn duplicate_unique_parts_still_get_distinct_ids() {
    let f = Fixture::new();
    f.put("cur", "1700000000.dup.host:2,S", ONE, 1);
    f.put("cur", "1700000000.dup.host:2,", TWO, 2);
    let mailbox = f.store.open("u").unwrap();
    let ids = uids(&mailbox);
    assert_eq!(ids[0], "1700000000.dup.host");
    assert_ne!(ids[0], ids[1]);
}

#[test]
fn a_missing_or_incomplete_maildir_is_no_mailbox() {
    let f = Fixture::new();
    assert!(matches!(
        f.store.open("nobody"),
        Err(StoreError::NoMailbox { .. })
    ));
    fs::remove_dir(f.root().join("new")).unwrap();
    assert!(matches!(
        f.store.open("u"),
        Err(StoreError::NoMailbox { .. })
    ));
}

#[test]
fn an_existing_cur_name_is_never_overwritten_by_the_move() {
    let f = Fixture::new();
    f.put("cur", "1.x.host:2,", ONE, 1);
    f.put("new", "1.x.host", TWO, 2);
    let mailbox = f.store.open("u").unwrap();
    assert_eq!(mailbox.messages().len(), 1);
    assert_eq!(mailbox.read(0).unwrap(), ONE);
    assert_eq!(f.names("new"), ["1.x.host"]);
}

#[test]
fn deliver_writes_tmp_then_renames_into_new_or_cur() {
    let f = Fixture::new();
    fs::remove_dir(f.root().join("tmp")).unwrap(); // as after a git checkout
    let date = UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    let id = maildir::deliver(&f.root(), b"Subject: a\n\nx\n", Flags::EMPTY, Some(date)).unwrap();
    let seen = maildir::deliver(&f.root(), b"Subject: b\n\ny\n", Flags::SEEN, None).unwrap();
    assert_eq!(f.names("new"), [id.to_string()]);
    assert_eq!(f.names("cur"), [format!("{seen}:2,S")]);
    assert!(f.names("tmp").is_empty(), "tmp/ left over");
    assert_ne!(id, seen);

    let mailbox = f.store.open("u").unwrap();
    let m = mailbox.messages();
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].uid, id);
    assert_eq!(m[0].internal_date, date);
    assert_eq!(m[1].flags, Flags::SEEN);
    assert!(
        m[1].internal_date
            > SystemTime::now()
                .checked_sub(Duration::from_secs(60))
                .unwrap()
    );
    assert_eq!(mailbox.read(0).unwrap(), &b"Subject: a\n\nx\n"[..]);
}

#[test]
fn store_append_delivers_while_a_session_is_open() {
    let f = three_messages();
    let mailbox = f.store.open("u").unwrap();
    f.store
        .append("u", b"Subject: late\n\n", Flags::EMPTY, None)
        .unwrap();
    // The snapshot does not change (RFC 1939 message numbers stay put) ...
    assert_eq!(mailbox.messages().len(), 3);
    mailbox.commit(&[0]).unwrap();
    // ... and the next session sees the new message.
    assert_eq!(f.store.open("u").unwrap().messages().len(), 3);
}

#[test]
fn unique_names_differ_and_escape_slash_and_colon() {
    let a = maildir::unique_name();
    let b = maildir::unique_name();
    assert_ne!(a, b);
    assert!(!a.contains('/') && !a.contains(':'), "{a}");
    assert_eq!(
        maildir::unique_part(std::ffi::OsStr::new("123.abc:2,FS")),
        "123.abc"
    );
}
