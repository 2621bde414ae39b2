//! The mbox spool: From_ separation, mboxrd quoting, unique ids, the session lock, the
//! dotlock and `fcntl` lock an MTA takes, and a commit that never loses mail an MTA
//! appended during the session.
#[path = "../examples/common/mod.rs"]
mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::flags::Flags;
use common::lock::{DotLock, LockPolicy};
use common::mbox;
use common::store::{CommitSummary, Store, StoreError, StoreKind};
use proptest::prelude::*;

const SPOOL: &[u8] = b"From alice@example.org Tue Nov 14 22:13:21 2023\n\
Subject: one\n\
Message-ID: <1@example.org>\n\
\n\
first\n\
\n\
From bob@example.com Tue Nov 14 22:13:22 2023\n\
Subject: two\n\
Message-ID: <2@example.com>\n\
\n\
>From the start of a line\n\
>>From twice\n\
From here is not a separator (no empty line before)\n\
\n\
From carol@example.org Tue Nov 14 22:13:23 2023\n\
Subject: three\n\
Status: RO\n\
X-Status: AF\n\
\n\
last\n\
\n";

const ONE: &[u8] = b"Subject: one\nMessage-ID: <1@example.org>\n\nfirst\n";
const TWO: &[u8] = b"Subject: two\nMessage-ID: <2@example.com>\n\n\
From the start of a line\n>From twice\nFrom here is not a separator (no empty line before)\n";
const THREE: &[u8] = b"Subject: three\nStatus: RO\nX-Status: AF\n\nlast\n";

/// A temporary mbox spool directory with user "u", and quick lock timeouts.
struct Fixture {
    dir: tempfile::TempDir,
    store: Store,
}

fn quick_locks() -> LockPolicy {
    LockPolicy {
        timeout: Duration::from_millis(300),
        stale_after: Duration::from_secs(300),
        retry_interval: Duration::from_millis(10),
    }
}

impl Fixture {
    fn with(spool: &[u8]) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("u"), spool).unwrap();
        let store = Store::new(StoreKind::Mbox, &dir.path().join("%u"))
            .unwrap()
            .with_lock_policy(quick_locks());
        Fixture { dir, store }
    }

    fn spool(&self) -> PathBuf {
        self.dir.path().join("u")
    }

    fn contents(&self) -> Vec<u8> {
        fs::read(self.spool()).unwrap()
    }

    /// Directory entries other than the spool itself (leftover locks or temp files).
    fn litter(&self) -> Vec<String> {
        fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "u")
            .collect()
    }
}

fn uids(mailbox: &common::store::Mailbox) -> Vec<String> {
    mailbox
        .messages()
        .iter()
        .map(|m| m.uid.to_string())
        .collect()
}

#[test]
fn from_lines_after_an_empty_line_separate_messages() {
    let extents = mbox::split(SPOOL).unwrap();
    assert_eq!(extents.len(), 3);
    assert_eq!(
        &SPOOL[extents[0].from_line.clone()],
        b"From alice@example.org Tue Nov 14 22:13:21 2023"
    );
    // The raw extents cover the whole file, in order.
    assert_eq!(extents[0].raw.start, 0);
    assert_eq!(extents[0].raw.end, extents[1].raw.start);
    assert_eq!(extents[2].raw.end, SPOOL.len());
    assert_eq!(&SPOOL[extents[0].content.clone()], ONE);
    assert_eq!(&SPOOL[extents[2].content.clone()], THREE);
}

#[test]
fn split_edge_cases() {
    assert!(mbox::split(b"").unwrap().is_empty());
    assert_eq!(
        mbox::split(b"Subject: no From_ line\n\nbody\n"),
        Err("does not begin with a From_ line")
    );
    // No trailing empty line at the end of the file; CRLF empty line as separator.
    let data = b"From a Tue Nov 14 22:13:21 2023\r\nA: 1\r\n\r\nx\r\n\r\nFrom b Tue Nov 14 22:13:21 2023\nB: 2\n\ny";
    let extents = mbox::split(data).unwrap();
    assert_eq!(extents.len(), 2);
    assert_eq!(
        &data[extents[0].from_line.clone()],
        b"From a Tue Nov 14 22:13:21 2023"
    );
    assert_eq!(&data[extents[0].content.clone()], b"A: 1\r\n\r\nx\r\n");
    assert_eq!(&data[extents[1].content.clone()], b"B: 2\n\ny");
    // A From_ line with nothing after it.
    let extents = mbox::split(b"From a").unwrap();
    assert_eq!(extents[0].content, 6..6);
    // A message whose body ends with an empty line keeps it.
    let data = b"From a\nA: 1\n\nbody\n\n\nFrom b\n\n";
    let extents = mbox::split(data).unwrap();
    assert_eq!(&data[extents[0].content.clone()], b"A: 1\n\nbody\n\n");
    assert_eq!(&data[extents[1].content.clone()], b"");
}

#[test]
fn mboxrd_quoting_known_answers() {
    assert_eq!(
        mbox::quote(b"From me\n>From you\n>>From them\n From not\nXFrom no\n"),
        b">From me\n>>From you\n>>>From them\n From not\nXFrom no\n"
    );
    assert_eq!(mbox::quote(b"From"), b"From");
    assert_eq!(mbox::quote(b"From "), b">From ");
    assert_eq!(
        mbox::unquote(b">From me\n>>From you\n>x\n>> From\nFrom raw\n").unwrap(),
        b"From me\n>From you\n>x\n>> From\nFrom raw\n"
    );
    assert_eq!(mbox::unquote(b"no quoted lines\n>From? no\n"), None);
    assert_eq!(mbox::unquote(b"a >From b\n"), None);
}

proptest! {
    #[test]
    fn mboxrd_unquote_undoes_quote(lines in prop::collection::vec(
        prop_oneof![
            Just("From x".to_owned()), Just(">From x".to_owned()), Just(">>From ".to_owned()),
            Just(String::new()), Just("> From".to_owned()), "[>F a-z]{0,12}",
        ],
        0..12,
    ), crlf in any::<bool>()) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let message: String = lines.iter().map(|l| format!("{l}{eol}")).collect();
        let quoted = mbox::quote(message.as_bytes());
        let restored = mbox::unquote(&quoted).unwrap_or_else(|| quoted.clone());
        prop_assert_eq!(restored, message.as_bytes());
        // And a quoted message never contains a line that starts a new message.
        prop_assert!(!quoted.starts_with(b"From ") && !quoted.windows(6).any(|w| w == b"\nFrom "));
    }

    #[test]
    fn delivered_messages_read_back_exactly(bodies in prop::collection::vec("(From |>From |[a-z .]{0,8}\n){0,6}", 1..5)) {
        let f = Fixture::with(b"");
        for body in &bodies {
            let message = format!("Subject: p\n\n{body}");
            mbox::deliver(&f.spool(), message.as_bytes(), "x@example.org", UNIX_EPOCH, &quick_locks()).unwrap();
        }
        let mailbox = f.store.open("u").unwrap();
        prop_assert_eq!(mailbox.messages().len(), bodies.len());
        for (i, body) in bodies.iter().enumerate() {
            let mut expected = format!("Subject: p\n\n{body}").into_bytes();
            if !expected.ends_with(b"\n") {
                expected.push(b'\n');
            }
            prop_assert_eq!(&mailbox.read(i).unwrap()[..], &expected[..]);
        }
    }
}

#[test]
fn read_unquotes_and_sizes_count_the_unquoted_crlf_octets() {
    let f = Fixture::with(SPOOL);
    let mailbox = f.store.open("u").unwrap();
    let expected = [ONE, TWO, THREE];
    for (i, want) in expected.iter().enumerate() {
        assert_eq!(mailbox.read(i).unwrap(), want);
        let lfs = want.iter().filter(|&&b| b == b'\n').count() as u64;
        assert_eq!(
            mailbox.messages()[i].size,
            want.len() as u64 + lfs,
            "message {i}"
        );
    }
}

#[test]
fn reads_share_the_spool_buffer_read_once_at_open() {
    let f = Fixture::with(SPOOL);
    let mailbox = f.store.open("u").unwrap();
    // Unquoted messages are slices of one buffer: the same bytes, not fresh copies.
    let (a, b) = (mailbox.read(0).unwrap(), mailbox.read(0).unwrap());
    assert_eq!(a.as_ptr(), b.as_ptr());
    let third = mailbox.read(2).unwrap();
    let distance = third.as_ptr() as usize - a.as_ptr() as usize;
    let extents = mbox::split(SPOOL).unwrap();
    assert_eq!(
        distance,
        extents[2].content.start - extents[0].content.start
    );
    // The file can change under the session without changing what it serves.
    fs::write(f.spool(), b"").unwrap();
    assert_eq!(mailbox.read(0).unwrap(), ONE);
}

#[test]
fn flags_and_dates_come_from_status_headers_and_from_lines() {
    let f = Fixture::with(SPOOL);
    let mailbox = f.store.open("u").unwrap();
    let m = mailbox.messages();
    assert!(m[0].flags.is_empty());
    assert_eq!(m[2].flags, Flags::SEEN | Flags::REPLIED | Flags::FLAGGED);
    assert_eq!(
        m[1].internal_date,
        UNIX_EPOCH + Duration::from_secs(1_700_000_002)
    );
}

#[test]
fn rfc1939_7_unique_ids_are_stable_unique_and_ignore_rewritten_headers() {
    let f = Fixture::with(SPOOL);
    let ids = uids(&f.store.open("u").unwrap());
    assert_eq!(ids.len(), 3);
    for id in &ids {
        assert_eq!(id.len(), 32, "{id}");
    }
    assert_ne!(ids[0], ids[1]);
    // Same spool, next session: same ids.
    assert_eq!(uids(&f.store.open("u").unwrap()), ids);

    // A MUA that marks the first message read (Status:, X-UID:) does not change its id;
    // an edited Subject does.
    let marked = String::from_utf8(SPOOL.to_vec()).unwrap().replacen(
        "Subject: one\n",
        "Subject: one\nStatus: RO\nX-UID: 7\n",
        1,
    );
    fs::write(f.spool(), &marked).unwrap();
    assert_eq!(uids(&f.store.open("u").unwrap()), ids);
    let edited = marked.replacen("Subject: one\n", "Subject: One\n", 1);
    fs::write(f.spool(), edited).unwrap();
    let changed = uids(&f.store.open("u").unwrap());
    assert_ne!(changed[0], ids[0]);
    assert_eq!(changed[1..], ids[1..]);
}

#[test]
fn identical_deliveries_get_distinct_ids_by_position() {
    let one = b"From a Tue Nov 14 22:13:21 2023\nSubject: same\n\nbody\n\n";
    let f = Fixture::with(&[&one[..], &one[..], &one[..]].concat());
    let ids = uids(&f.store.open("u").unwrap());
    assert_eq!(ids[1], format!("{}-2", ids[0]));
    assert_eq!(ids[2], format!("{}-3", ids[0]));
}

#[test]
fn x_uidl_headers_are_not_trusted() {
    let spool = b"From a Tue Nov 14 22:13:21 2023\nX-UIDL: abc\nSubject: 1\n\n\n\
From b Tue Nov 14 22:13:22 2023\nX-UIDL: abc\nSubject: 2\n\n";
    let f = Fixture::with(spool);
    let ids = uids(&f.store.open("u").unwrap());
    assert!(ids.iter().all(|id| id != "abc"));
    assert_ne!(ids[0], ids[1]);
}

#[test]
fn deletions_happen_only_at_commit_and_keep_the_rest_byte_exact() {
    let f = Fixture::with(SPOOL);
    drop(f.store.open("u").unwrap());
    assert_eq!(f.contents(), SPOOL);

    let mailbox = f.store.open("u").unwrap();
    let ids = uids(&mailbox);
    let summary = mailbox.commit(&[1]).unwrap();
    assert_eq!(
        summary,
        CommitSummary {
            deleted: 1,
            already_gone: 0
        }
    );
    let extents = mbox::split(SPOOL).unwrap();
    let expected = [
        &SPOOL[extents[0].raw.clone()],
        &SPOOL[extents[2].raw.clone()],
    ]
    .concat();
    assert_eq!(f.contents(), expected);
    assert!(f.litter().is_empty(), "left behind: {:?}", f.litter());
    let after = uids(&f.store.open("u").unwrap());
    assert_eq!(after, [ids[0].clone(), ids[2].clone()]);
}

#[test]
fn deleting_everything_leaves_an_empty_spool() {
    let f = Fixture::with(SPOOL);
    f.store.open("u").unwrap().commit(&[0, 1, 2]).unwrap();
    assert_eq!(f.contents(), b"");
    assert!(f.store.open("u").unwrap().messages().is_empty());
}

#[test]
fn commit_keeps_mail_an_mta_appended_during_the_session() {
    let f = Fixture::with(SPOOL);
    let mailbox = f.store.open("u").unwrap();
    assert_eq!(mailbox.messages().len(), 3);

    // The MTA delivers while the POP3 session is open: it takes the dotlock and the
    // fcntl lock, which the session does not hold between open and commit.
    let late = b"Subject: arrived during the session\n\nFrom the MTA, with love.\n";
    let date = UNIX_EPOCH + Duration::from_secs(1_700_000_100);
    mbox::deliver(&f.spool(), late, "mta@example.net", date, &quick_locks()).unwrap();
    f.store
        .append("u", b"Subject: and another\n\nx\n", Flags::EMPTY, None)
        .unwrap();

    mailbox.commit(&[0]).unwrap();

    let mailbox = f.store.open("u").unwrap();
    assert_eq!(mailbox.messages().len(), 4);
    assert_eq!(mailbox.read(0).unwrap(), TWO);
    assert_eq!(mailbox.read(1).unwrap(), THREE);
    assert_eq!(mailbox.read(2).unwrap(), &late[..]);
    assert_eq!(mailbox.messages()[2].internal_date, date);
    assert_eq!(
        mailbox.read(3).unwrap(),
        &b"Subject: and another\n\nx\n"[..]
    );
    // The appended message was stored quoted, as the MTA would.
    let raw = f.contents();
    let quoted = b"\n>From the MTA";
    assert!(raw.windows(quoted.len()).any(|w| w == quoted));
}

#[test]
fn commit_refuses_when_another_program_rewrote_the_spool() {
    let f = Fixture::with(SPOOL);
    let mailbox = f.store.open("u").unwrap();
    // Another MUA expunges message 1 in place (same inode, different bytes).
    let extents = mbox::split(SPOOL).unwrap();
    let rewritten = [
        &SPOOL[extents[1].raw.clone()],
        &SPOOL[extents[2].raw.clone()],
    ]
    .concat();
    fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(f.spool())
        .unwrap()
        .write_all_at_start(&rewritten);
    assert!(matches!(
        mailbox.commit(&[2]),
        Err(StoreError::Changed { .. })
    ));
    assert_eq!(f.contents(), rewritten, "nothing may be deleted");
}

#[test]
fn commit_refuses_when_the_spool_was_replaced() {
    let f = Fixture::with(SPOOL);
    let mailbox = f.store.open("u").unwrap();
    let other = f.dir.path().join("other");
    fs::write(&other, SPOOL).unwrap();
    fs::rename(&other, f.spool()).unwrap();
    assert!(matches!(
        mailbox.commit(&[0]),
        Err(StoreError::Changed { .. })
    ));
    assert_eq!(f.contents(), SPOOL);
}

trait WriteAll {
    fn write_all_at_start(self, data: &[u8]);
}
impl WriteAll for fs::File {
    fn write_all_at_start(mut self, data: &[u8]) {
        std::io::Write::write_all(&mut self, data).unwrap();
    }
}

#[test]
fn commit_preserves_the_spool_mode() {
    let f = Fixture::with(SPOOL);
    fs::set_permissions(f.spool(), fs::Permissions::from_mode(0o640)).unwrap();
    f.store.open("u").unwrap().commit(&[0]).unwrap();
    let mode = fs::metadata(f.spool()).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o640);
}

#[test]
fn rfc2449_8_1_2_second_session_in_this_process_is_in_use() {
    let f = Fixture::with(SPOOL);
    let first = f.store.open("u").unwrap();
    assert!(matches!(f.store.open("u"), Err(StoreError::InUse { .. })));
    drop(first);
    assert_eq!(f.store.open("u").unwrap().messages().len(), 3);
}

/// Runs `args` in the background and waits until `ready` holds.
fn spawn_until(args: &[&str], ready: impl Fn() -> bool) -> Child {
    let child = Command::new(args[0])
        .args(&args[1..])
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", args[0]));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ready() {
        assert!(Instant::now() < deadline, "{args:?} never got ready");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

#[test]
fn rfc2449_8_1_2_session_in_another_process_is_in_use() {
    let f = Fixture::with(SPOOL);
    let spool = f.spool();
    let marker = f.dir.path().join("held");
    // util-linux flock(1) holds an flock on the spool, as another pobox process would.
    let script = format!("touch {}; sleep 30", marker.display());
    let mut holder = spawn_until(
        &["flock", "-x", spool.to_str().unwrap(), "sh", "-c", &script],
        || marker.exists(),
    );
    let result = f.store.open("u");
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert!(
        matches!(result, Err(StoreError::InUse { .. })),
        "{result:?}"
    );
}

#[test]
fn a_session_does_not_block_an_mta_using_fcntl_and_dotlock() {
    // Python's fcntl.lockf is a POSIX fcntl lock, as Postfix and Exim take.
    let f = Fixture::with(SPOOL);
    let _session = f.store.open("u").unwrap();
    let status = Command::new("python3")
        .args([
            "-c",
            "import fcntl,sys; f=open(sys.argv[1],'a'); fcntl.lockf(f, fcntl.LOCK_EX|fcntl.LOCK_NB); f.write('')",
        ])
        .arg(f.spool())
        .status()
        .expect("python3");
    assert!(status.success(), "the MTA could not take the fcntl lock");
    let lock = DotLock::acquire(&f.spool(), &quick_locks()).unwrap();
    drop(lock);
}

#[test]
fn commit_waits_for_an_mta_holding_the_fcntl_lock_and_deletes_nothing_on_timeout() {
    let f = Fixture::with(SPOOL);
    let mailbox = f.store.open("u").unwrap();
    let markers = tempfile::tempdir().unwrap();
    let marker = markers.path().join("locked");
    let script = "import fcntl,sys,time,pathlib; f=open(sys.argv[1],'a'); \
                  fcntl.lockf(f, fcntl.LOCK_EX); pathlib.Path(sys.argv[2]).touch(); time.sleep(30)";
    let mut mta = spawn_until(
        &[
            "python3",
            "-c",
            script,
            f.spool().to_str().unwrap(),
            marker.to_str().unwrap(),
        ],
        || marker.exists(),
    );
    let result = mailbox.commit(&[0]);
    mta.kill().unwrap();
    mta.wait().unwrap();
    assert!(
        matches!(result, Err(StoreError::LockTimeout { .. })),
        "{result:?}"
    );
    assert_eq!(f.contents(), SPOOL);
    assert!(
        f.litter().is_empty(),
        "dotlock left behind: {:?}",
        f.litter()
    );
}

#[test]
fn open_waits_for_a_fresh_dotlock_and_times_out() {
    let f = Fixture::with(SPOOL);
    let lock = DotLock::path_for(&f.spool());
    assert_eq!(lock, f.dir.path().join("u.lock"));
    fs::write(&lock, b"4242\n").unwrap();
    let start = Instant::now();
    let result = f.store.open("u");
    assert!(
        matches!(result, Err(StoreError::LockTimeout { .. })),
        "{result:?}"
    );
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert!(lock.exists(), "someone else's fresh lock must stay");
    // Once the MTA is done, the session opens.
    fs::remove_file(&lock).unwrap();
    assert_eq!(f.store.open("u").unwrap().messages().len(), 3);
}

#[test]
fn a_stale_dotlock_is_broken() {
    let f = Fixture::with(SPOOL);
    let lock = DotLock::path_for(&f.spool());
    fs::write(&lock, b"").unwrap();
    let old = SystemTime::now() - Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(&lock)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let mailbox = f.store.open("u").unwrap();
    assert_eq!(mailbox.messages().len(), 3);
    assert!(!lock.exists());
}

#[test]
fn a_dotlock_is_exclusive_and_removed_on_drop() {
    let f = Fixture::with(SPOOL);
    let first = DotLock::acquire(&f.spool(), &quick_locks()).unwrap();
    assert!(first.path().exists());
    assert!(matches!(
        DotLock::acquire(&f.spool(), &quick_locks()),
        Err(StoreError::LockTimeout { .. })
    ));
    drop(first);
    assert!(f.litter().is_empty());
    // A dotlock someone else re-created after ours was broken is not removed by us.
    let mine = DotLock::acquire(&f.spool(), &quick_locks()).unwrap();
    fs::remove_file(mine.path()).unwrap();
    fs::write(mine.path(), b"theirs").unwrap();
    let path = mine.path().to_owned();
    drop(mine);
    assert_eq!(fs::read(path).unwrap(), b"theirs");
}

#[test]
fn a_missing_spool_is_an_empty_maildrop_and_a_corrupt_one_is_refused() {
    let f = Fixture::with(SPOOL);
    let empty = f.store.open("nobody").unwrap();
    assert!(empty.messages().is_empty());
    assert_eq!(empty.commit(&[]).unwrap(), CommitSummary::default());
    assert!(!f.dir.path().join("nobody").exists(), "must not be created");

    fs::write(f.spool(), b"Subject: not an mbox\n\n").unwrap();
    assert!(matches!(f.store.open("u"), Err(StoreError::Corrupt { .. })));
}

#[test]
fn flags_cannot_be_changed_in_an_mbox() {
    let f = Fixture::with(SPOOL);
    let mut mailbox = f.store.open("u").unwrap();
    assert!(matches!(
        mailbox.set_flags(0, Flags::SEEN),
        Err(StoreError::Unsupported { .. })
    ));
}

#[test]
fn deliver_separates_from_a_spool_without_final_empty_line() {
    let f = Fixture::with(b"From a Tue Nov 14 22:13:21 2023\nSubject: 1\n\nno final newline");
    mbox::deliver(
        &f.spool(),
        b"Subject: 2\n\nbody",
        "b",
        UNIX_EPOCH,
        &quick_locks(),
    )
    .unwrap();
    assert_eq!(
        f.contents(),
        b"From a Tue Nov 14 22:13:21 2023\nSubject: 1\n\nno final newline\n\n\
From b Thu Jan  1 00:00:00 1970\nSubject: 2\n\nbody\n\n"
    );
    let mailbox = f.store.open("u").unwrap();
    assert_eq!(
        mailbox.read(0).unwrap(),
        &b"Subject: 1\n\nno final newline\n"[..]
    );
    assert_eq!(mailbox.read(1).unwrap(), &b"Subject: 2\n\nbody\n"[..]);
}
