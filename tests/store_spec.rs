//! The `--mail` store location, user-name validation, POP3 unique ids and sizes (RFC 1939
//! §7 and §11), Maildir flag letters, From_ line dates and the bundled demo mailbox.
#[path = "../examples/common/mod.rs"]
mod common;

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use common::demo::{self, Demo};
use common::flags::Flags;
use common::from_line;
use common::store::{Store, StoreError, StoreKind, digest_id, md5_id, validate_user};
use pobox::pop3::server::UniqueId;
use pobox::pop3::wire_size;

#[test]
fn mail_spec_parses_both_formats_and_substitutes_the_user() {
    let store: Store = "maildir:/home/%u/Maildir".parse().unwrap();
    assert_eq!(store.kind(), StoreKind::Maildir);
    assert_eq!(
        store.path_for("alice").unwrap(),
        Path::new("/home/alice/Maildir")
    );
    assert_eq!(store.to_string(), "maildir:/home/%u/Maildir");

    let store: Store = "mbox:/var/mail/%u".parse().unwrap();
    assert_eq!(store.kind(), StoreKind::Mbox);
    assert_eq!(store.path_for("bob").unwrap(), Path::new("/var/mail/bob"));

    let store: Store = "maildir:/srv/%u/mail/%u".parse().unwrap();
    assert_eq!(store.path_for("c").unwrap(), Path::new("/srv/c/mail/c"));
}

#[test]
fn mail_spec_rejects_unknown_formats_and_missing_user() {
    for spec in [
        "/var/mail/%u",
        "mh:/home/%u/Mail",
        "mbox:/var/mail/spool",
        "maildir:",
        "",
    ] {
        assert!(
            matches!(spec.parse::<Store>(), Err(StoreError::InvalidSpec { .. })),
            "{spec:?} accepted"
        );
    }
}

#[test]
fn user_names_that_escape_the_path_are_rejected() {
    for bad in [
        "", "..", ".", "a/b", "../root", "x..y", "nul\0", "cr\r", "lf\n", "del\x7f",
    ] {
        assert!(
            matches!(validate_user(bad), Err(StoreError::InvalidUser { .. })),
            "{bad:?} accepted"
        );
    }
    let store: Store = "mbox:/var/mail/%u".parse().unwrap();
    assert!(store.path_for("../../etc/passwd").is_err());
    assert!(store.open("a/b").is_err());
    for good in ["alice", "bob.smith", "x-y_z", "user@example.org", "Jürgen"] {
        assert!(validate_user(good).is_ok(), "{good:?} refused");
    }
}

#[test]
fn rfc1939_7_digest_ids_are_valid_unique_ids() {
    // Formats without ids of their own (mbox, odd Maildir names) use hex digests, which
    // must pass the library's UIDL validation (1 to 70 octets of 0x21..=0x7E).
    let id = md5_id(b"anything");
    assert_eq!(id.as_str().len(), 32);
    assert!(UniqueId::new(id.as_str()).is_ok());
    // MD5("") is the well-known d41d8cd9...
    assert_eq!(md5_id(b"").as_str(), "d41d8cd98f00b204e9800998ecf8427e");
    // A long digest is cut at 35 octets: 70 hex digits, the most RFC 1939 §7 allows.
    assert_eq!(digest_id(&[0xab; 64]).as_str(), "ab".repeat(35));
}

#[test]
fn rfc1939_11_listed_sizes_are_the_octets_retr_sends() {
    // Each bare LF counts as CRLF, and a missing final line end as the CRLF the session
    // adds before the terminating "." (pobox::pop3::wire_size), in both formats.
    let messages: [&[u8]; 4] = [
        b"Subject: a\n\nbody\n",
        b"Subject: b\r\n\r\nmixed\r\nends\n",
        b"Subject: c\n\nno final line end",
        b"Subject: d\n\n.\n..x\n",
    ];
    for kind in [StoreKind::Maildir, StoreKind::Mbox] {
        let dir = tempfile::tempdir().unwrap();
        let template = match kind {
            StoreKind::Maildir => {
                let root = dir.path().join("u");
                for sub in ["cur", "new", "tmp"] {
                    std::fs::create_dir_all(root.join(sub)).unwrap();
                }
                dir.path().join("%u")
            }
            StoreKind::Mbox => dir.path().join("%u"),
        };
        let store = Store::new(kind, &template).unwrap();
        for (i, message) in messages.iter().enumerate() {
            let date = UNIX_EPOCH + Duration::from_secs(1_700_000_000 + i as u64);
            store
                .append("u", message, Flags::EMPTY, Some(date))
                .unwrap();
        }
        let mailbox = store.open("u").unwrap();
        let sizes: Vec<u64> = mailbox.messages().iter().map(|m| m.size).collect();
        assert_eq!(sizes, [20, 27, 33, 22], "{kind:?}");
        for (i, info) in mailbox.messages().iter().enumerate() {
            assert_eq!(
                info.size,
                wire_size(&mailbox.read(i).unwrap()),
                "{kind:?} {i}"
            );
        }
    }
}

#[test]
fn maildir_info_flags_parse_and_print_in_ascii_order() {
    let flags = Flags::from_info("2,SRF");
    assert!(flags.contains(Flags::SEEN | Flags::REPLIED | Flags::FLAGGED));
    assert!(!flags.contains(Flags::TRASHED));
    assert_eq!(flags.letters(), "FRS");
    assert_eq!(flags.info_suffix(), ":2,FRS");
    assert_eq!(Flags::EMPTY.info_suffix(), ":2,");
    // Keywords (lower case) are kept, after the upper-case letters.
    assert_eq!(Flags::from_info("2,aSc").letters(), "Sac");
    // Only the "2," form carries flags.
    assert!(Flags::from_info("1,SR").is_empty());
    assert!(Flags::from_info("").is_empty());
    assert_eq!(Flags::from_info("2,S,?").letters(), "S");
    assert_eq!(
        (Flags::SEEN | Flags::DRAFT).without(Flags::SEEN),
        Flags::DRAFT
    );
    assert_eq!(Flags::from_letter('P'), Some(Flags::PASSED));
    assert_eq!(Flags::from_letter('1'), None);
}

#[test]
fn from_line_dates_parse_as_utc_with_optional_offset_and_zone() {
    let at = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
    assert_eq!(
        from_line::parse(b"From alice@example.org Tue Nov 14 22:13:21 2023"),
        Some(at(1_700_000_001))
    );
    // Day padded with a space, as asctime() writes it.
    assert_eq!(
        from_line::parse(b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970"),
        Some(at(0))
    );
    // Zone name between time and year; numeric offset after the year.
    assert_eq!(
        from_line::parse(b"From x Tue Nov 14 22:13:21 UTC 2023"),
        Some(at(1_700_000_001))
    );
    assert_eq!(
        from_line::parse(b"From x Tue Nov 14 23:13:21 2023 +0100"),
        Some(at(1_700_000_001))
    );
    // No sender at all; minutes only.
    assert_eq!(
        from_line::parse(b"From  Tue Nov 14 22:13 2023"),
        Some(at(1_700_000_001 - 21))
    );
    assert_eq!(from_line::parse(b"From x Tue Feb 30 10:00:00 2023"), None);
    assert_eq!(from_line::parse(b"From x yesterday"), None);
    assert_eq!(from_line::parse(b"From x Tue Nov 14 25:00:00 2023"), None);
}

#[test]
fn from_line_dates_format_as_asctime_and_round_trip() {
    assert_eq!(
        from_line::format(UNIX_EPOCH + Duration::from_secs(1_700_000_001)),
        "Tue Nov 14 22:13:21 2023"
    );
    assert_eq!(from_line::format(UNIX_EPOCH), "Thu Jan  1 00:00:00 1970");
    // Leap day, and the last second of a century leap year.
    assert_eq!(
        from_line::format(UNIX_EPOCH + Duration::from_secs(951_868_799)),
        "Tue Feb 29 23:59:59 2000"
    );
    for seconds in [0u64, 59, 86_399, 951_782_400, 1_700_000_001, 4_102_444_800] {
        let t = UNIX_EPOCH + Duration::from_secs(seconds);
        let line = format!("From x {}", from_line::format(t));
        assert_eq!(from_line::parse(line.as_bytes()), Some(t), "{line}");
    }
}

#[test]
fn demo_mailbox_installs_into_a_temporary_copy_in_both_formats() {
    let maildir = Demo::install(StoreKind::Maildir).unwrap();
    let mbox = Demo::install(StoreKind::Mbox).unwrap();
    assert!(maildir.dir().starts_with(std::env::temp_dir()));
    assert!(maildir.store().to_string().starts_with("maildir:"));
    assert!(mbox.store().to_string().starts_with("mbox:"));

    let a = maildir.store().open(demo::USER).unwrap();
    let b = mbox.store().open(demo::USER).unwrap();
    assert!(
        a.messages().len() >= 5,
        "the demo needs at least 5 messages"
    );
    assert_eq!(a.messages().len(), b.messages().len());
    for i in 0..a.messages().len() {
        let (ma, mb) = (&a.messages()[i], &b.messages()[i]);
        assert_eq!(
            a.read(i).unwrap(),
            b.read(i).unwrap(),
            "message {i} differs"
        );
        assert_eq!(ma.size, mb.size);
        // The Maildir copy's mtimes come from the names; the mbox dates from From_ lines.
        assert_eq!(ma.internal_date, mb.internal_date, "message {i} date");
    }

    // Opening moved the copy's new/ messages to cur/; the repository is untouched.
    let source_new = demo::source_dir().join("Maildir").join("new");
    assert_eq!(
        std::fs::read_dir(&source_new).unwrap().count(),
        a.messages().len()
    );
    assert!(!demo::source_dir().join("Maildir").join("cur").exists());
}

#[test]
fn demo_messages_cover_the_cases_the_servers_must_handle() {
    let demo = Demo::install(StoreKind::Maildir).unwrap();
    let mailbox = demo.store().open(demo::USER).unwrap();
    let all: Vec<bytes::Bytes> = (0..mailbox.messages().len())
        .map(|i| mailbox.read(i).unwrap())
        .collect();
    let any = |needle: &[u8]| {
        all.iter()
            .any(|m| m.windows(needle.len()).any(|w| w == needle))
    };
    assert!(any(b"Content-Type: multipart/alternative"));
    assert!(any(b"Content-Type: multipart/mixed"));
    assert!(any(b"Content-Transfer-Encoding: base64"));
    assert!(any(b"\n.\n"), "a line that is a single dot");
    assert!(any(b"\n..double-dot"), "a line starting with two dots");
    assert!(any(b"Subject: =?UTF-8?Q?"), "an RFC 2047 subject");
    assert!(
        any("Subject: Grüße".as_bytes()),
        "a raw UTF-8 subject (RFC 6532)"
    );
    assert!(any(b"\nFrom the mbox"), "a body line starting with From");
    assert!(
        any(b"\n>From an earlier"),
        "a body line starting with >From"
    );
    assert!(all.iter().all(|m| !m.contains(&b'\r')), "stored with LF");

    let users = common::users::Users::load(demo.users_file()).unwrap();
    assert!(
        users
            .authenticate(demo::USER, demo::PASSWORD.as_bytes())
            .is_some()
    );
    assert!(users.plaintext_password(demo::USER).is_some());
}
