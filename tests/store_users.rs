//! The users file (Dovecot passwd-file format) and password verification.
//!
//! The hashes below are known answers made by other implementations, not by the code
//! under test:
//! * `doveadm pw -s SHA512-CRYPT` and `doveadm pw -s ARGON2ID` (Dovecot 2.3, Debian 12);
//! * `mkpasswd -m sha-512` (whois 5.5, glibc crypt);
//! * Python 3.11 `crypt.crypt` (glibc) with `rounds=10000`;
//! * `argon2` (the reference implementation's command-line tool, Debian 12).
#[path = "../examples/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::users::{Scheme, Users, UsersError};

/// `doveadm pw -s SHA512-CRYPT -p 'correct horse'`
const DOVEADM_SHA512: &str = "{SHA512-CRYPT}$6$2igk34JccD3Qsw2S$Bzok9PV.M1fpNEpwS6P8SvagXTPkCR93fbu7Drq8OtT.zXDe/QHHb1ODeU/aH9S7XbjEZRLPQsr1grt5cirJq1";
/// `mkpasswd -m sha-512 -S saltsaltsalt 'correct horse'`
const MKPASSWD_SHA512: &str = "$6$saltsaltsalt$Cy2drr8kDRji6smvDcT28wkqtq0R0VzVL5CkrjPQCITc5d/31j94knt9rGTcVSyjLXfjsiIsBh5ee8qR/3QDx1";
/// `mkpasswd -m sha-512 -R 5000 -S pobox1234 'Grüße'` (UTF-8 password, explicit rounds)
const MKPASSWD_SHA512_UTF8: &str = "$6$rounds=5000$pobox1234$3xhxRyorjkPRzoEIFctBXqH072ggFIplokeLvjUMgllXUO7yybDLTEzFIb6JCK7gbGycua9GoUzIijCkki1G2.";
/// Python `crypt.crypt('correct horse', '$6$rounds=10000$pythonsalt')`
const PYTHON_SHA512_10000: &str = "$6$rounds=10000$pythonsalt$NUrZqqfTDnkxU7oqEuV2qspl8twpGbpKJ2F6ye3V4aPve7spjNDBNpkVItRw.796IOJEULrDunqV.3lZBP/8W.";
/// `doveadm pw -s ARGON2ID -p 'correct horse'` (Dovecot's defaults: 64 MiB, t=3)
const DOVEADM_ARGON2ID: &str = "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$TRsDT6vIX+cR34DN0DtkDQ$YBD/osEfxbGVKqS1QCeLunedrtpoBQE8W8IZkj1Ma4E";
/// `echo -n 'correct horse' | argon2 poboxsalt16byte -id -t 2 -m 12 -p 1 -e`
const CLI_ARGON2ID: &str = "$argon2id$v=19$m=4096,t=2,p=1$cG9ib3hzYWx0MTZieXRl$dthR3OR3FTy+oNVTXzpyLq2PuwzLuWpGL+qTbLf/wOM";
/// `echo -n 'Grüße' | argon2 anothersalt1234 -id -t 1 -m 10 -p 2 -e`
const CLI_ARGON2ID_UTF8: &str = "$argon2id$v=19$m=1024,t=1,p=2$YW5vdGhlcnNhbHQxMjM0$CBg975zXQqXPAfWvWfhijDT8Gzz3hkmoqEcXs6fng+g";

fn line_error(text: &str) -> (usize, String) {
    match Users::parse(text) {
        Err(UsersError::Line { line, reason }) => (line, reason),
        other => panic!("expected a line error for {text:?}, got {other:?}"),
    }
}

#[test]
fn plain_passwords_verify_and_give_their_plaintext_for_apop() {
    let users = Users::parse("alice:{PLAIN}s3cret\nbob:{cleartext}pa\n").unwrap();
    assert_eq!(users.len(), 2);
    assert!(users.authenticate("alice", b"s3cret").is_some());
    assert!(users.authenticate("alice", b"s3cre").is_none());
    assert!(users.authenticate("alice", b"s3cret ").is_none());
    assert!(users.authenticate("alice", b"").is_none());
    // Scheme names are case-insensitive; CLEARTEXT is Dovecot's alias of PLAIN.
    assert!(users.authenticate("bob", b"pa").is_some());
    assert_eq!(users.get("bob").unwrap().scheme(), Scheme::Plain);
    assert_eq!(
        users.plaintext_password("alice").unwrap().declassify(),
        b"s3cret"
    );
    assert!(users.plaintext_password("nobody").is_none());
}

#[test]
fn sha512_crypt_known_answers_from_doveadm_mkpasswd_and_python() {
    let text = format!(
        "dove:{DOVEADM_SHA512}\nmk:{{SHA512-CRYPT}}{MKPASSWD_SHA512}\n\
         utf8:{{sha512-crypt}}{MKPASSWD_SHA512_UTF8}\npy:{{SHA512-CRYPT}}{PYTHON_SHA512_10000}\n"
    );
    let users = Users::parse(&text).unwrap();
    for user in ["dove", "mk", "py"] {
        assert_eq!(users.get(user).unwrap().scheme(), Scheme::Sha512Crypt);
        assert!(
            users.authenticate(user, b"correct horse").is_some(),
            "{user}"
        );
        assert!(
            users.authenticate(user, b"correct horsE").is_none(),
            "{user}"
        );
    }
    assert!(users.authenticate("utf8", "Grüße".as_bytes()).is_some());
    assert!(users.authenticate("utf8", b"Gruesse").is_none());
    // APOP is impossible with a hash.
    assert!(users.plaintext_password("dove").is_none());
}

#[test]
fn argon2id_known_answers_from_the_reference_cli() {
    let text = format!("a:{{ARGON2ID}}{CLI_ARGON2ID}\nb:{{argon2id}}{CLI_ARGON2ID_UTF8}\n");
    let users = Users::parse(&text).unwrap();
    assert_eq!(users.get("a").unwrap().scheme(), Scheme::Argon2id);
    assert!(users.authenticate("a", b"correct horse").is_some());
    assert!(users.authenticate("a", b"correct horse!").is_none());
    assert!(users.authenticate("b", "Grüße".as_bytes()).is_some());
    assert!(users.authenticate("b", b"Grusse").is_none());
    assert!(users.plaintext_password("a").is_none());
}

#[test]
fn argon2id_known_answer_from_doveadm_with_dovecot_default_cost() {
    // 64 MiB and 3 passes: seconds in a debug build, so only the matching password.
    let users = Users::parse(&format!("dove:{DOVEADM_ARGON2ID}\n")).unwrap();
    assert!(users.authenticate("dove", b"correct horse").is_some());
}

#[test]
fn optional_passwd_fields_are_parsed() {
    let users = Users::parse(
        "# comment\n\n\
         full:{PLAIN}x:1000:100:Full Name:/home/full:/bin/sh:userdb_mail=maildir:~/Mail quota=1G\r\n\
         short:{PLAIN}y\n\
         empty:{PLAIN}z::::::\n",
    )
    .unwrap();
    let full = users.get("full").unwrap();
    assert_eq!(full.name(), "full");
    assert_eq!((full.uid, full.gid), (Some(1000), Some(100)));
    assert_eq!(
        full.home.as_deref(),
        Some(std::path::Path::new("/home/full"))
    );
    // The extra field is the rest of the line, ':' included.
    assert_eq!(full.extra, ["userdb_mail=maildir:~/Mail", "quota=1G"]);
    assert!(users.authenticate("full", b"x").is_some(), "CRLF line end");
    let short = users.get("short").unwrap();
    assert_eq!((short.uid, short.gid, &short.home), (None, None, &None));
    assert!(users.get("empty").unwrap().extra.is_empty());
    assert!(users.get("# comment").is_none());
}

#[test]
fn unusable_lines_are_refused_at_load_with_their_line_number() {
    let cases: &[(&str, usize, &str)] = &[
        ("a:secret\n", 1, "{SCHEME}"),
        (
            "a:{PLAIN}x\n\nb:{BLF-CRYPT}$2y$05$abc\n",
            3,
            "unsupported password scheme {BLF-CRYPT}",
        ),
        ("a:{PLAIN}\n", 1, "empty password"),
        ("a\n", 1, "no password field"),
        (":{PLAIN}x\n", 1, "empty user name"),
        ("a:{SHA512-CRYPT}$5$salt$hash\n", 1, "$6$"),
        ("a:{SHA512-CRYPT}$6$\n", 1, "malformed"),
        (
            "a:{ARGON2ID}$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA\n",
            1,
            "$argon2id$",
        ),
        ("a:{ARGON2ID}not-a-hash\n", 1, "malformed ARGON2ID"),
        ("a:{PLAIN}x\na:{PLAIN}y\n", 2, "appears twice"),
        ("a:{PLAIN}x:12x\n", 1, "uid"),
    ];
    for (text, line, needle) in cases {
        let (got_line, reason) = line_error(text);
        assert_eq!(got_line, *line, "{text:?}: {reason}");
        assert!(
            reason.contains(needle),
            "{text:?}: {reason:?} lacks {needle:?}"
        );
    }
}

#[test]
fn debug_output_never_shows_passwords_or_hashes() {
    let users = Users::parse(&format!(
        "alice:{{PLAIN}}hunter2\nbob:{{ARGON2ID}}{CLI_ARGON2ID}\n"
    ))
    .unwrap();
    let debug = format!("{users:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(!debug.contains("dthR3OR3"), "{debug}");
    assert!(debug.contains("alice"));
}

/// The fastest of `runs` calls of `f`.
fn fastest(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

#[test]
fn unknown_users_cost_a_hash_verification_like_wrong_passwords() {
    // Without the dummy check an unknown user is answered in microseconds while a wrong
    // password costs 10000 SHA-512 rounds: a ratio of thousands, not the 4 allowed here.
    let users = Users::parse(&format!(
        "alice:{{PLAIN}}a\npy:{{SHA512-CRYPT}}{PYTHON_SHA512_10000}\n\
         mk:{{SHA512-CRYPT}}{PYTHON_SHA512_10000}\n"
    ))
    .unwrap();
    let wrong_password = fastest(5, || {
        assert!(users.authenticate("py", b"wrong").is_none());
    });
    let unknown_user = fastest(5, || {
        assert!(users.authenticate("nobody", b"wrong").is_none());
    });
    assert!(
        unknown_user * 4 >= wrong_password,
        "unknown user {unknown_user:?} vs wrong password {wrong_password:?}"
    );
    // And the dummy never logs anyone in, not even with the dummy's own password.
    assert!(users.authenticate("nobody", b"correct horse").is_none());
}

#[test]
fn an_empty_users_file_lets_nobody_in() {
    let users = Users::parse("# nobody here\n").unwrap();
    assert!(users.is_empty());
    assert!(users.authenticate("", b"").is_none());
    assert!(
        users
            .authenticate("root", b"no users: never matches")
            .is_none()
    );
}

#[test]
fn a_missing_users_file_is_an_io_error_naming_it() {
    let err = Users::load(std::path::Path::new("/nonexistent/pobox-users")).unwrap_err();
    assert!(matches!(err, UsersError::Io { .. }));
    assert!(err.to_string().contains("/nonexistent/pobox-users"));
}
