//! Replays the fuzz corpora and the saved crash inputs without a fuzzer (issue 5).
//!
//! Every file of `fuzz/corpus/<target>/` and `fuzz/artifacts/<target>/` runs through the
//! same harness function the cargo-fuzz target uses (`fuzz/harness.rs`), so `cargo test`
//! keeps fixed crashes fixed. The seed corpora are materialised from the RFC vectors of the
//! other tests by [`write_seed_corpora`] (`cargo test --test fuzz_replay -- --ignored`);
//! [`seed_corpora_are_up_to_date`] fails when a vector has no seed file.

#[path = "../fuzz/harness.rs"]
mod harness;

#[path = "imap_support/vectors.rs"]
mod vectors;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

/// Runs every stored input of every target; lists all failures, not only the first.
#[test]
fn corpora_and_artifacts_replay_without_failure() {
    let mut failures = Vec::new();
    let mut count = 0;
    for target in harness::TARGETS {
        for kind in ["corpus", "artifacts"] {
            for path in files(&fuzz_dir().join(kind).join(target)) {
                // A running fuzzer may replace corpus files while this test lists them.
                let Ok(data) = std::fs::read(&path) else {
                    continue;
                };
                count += 1;
                let result = std::panic::catch_unwind(|| harness::run(target, &data));
                if !matches!(result, Ok(true)) {
                    failures.push(path.display().to_string());
                }
            }
        }
    }
    assert!(failures.is_empty(), "failing inputs: {failures:#?}");
    // The seeds alone are a few hundred files: an empty replay means the paths are wrong.
    assert!(count >= 200, "only {count} inputs replayed");
}

/// Every target has a directory, and `run` knows every name (a typo would skip a corpus).
#[test]
fn every_target_has_a_seed_corpus() {
    for target in harness::TARGETS {
        assert!(harness::run(target, b""), "{target}");
        let seeds = files(&fuzz_dir().join("corpus").join(target));
        assert!(!seeds.is_empty(), "no corpus for {target}");
    }
    assert!(!harness::run("no_such_target", b""));
}

// ---- seed corpora ----------------------------------------------------------------------

/// `C:` (client) or `S:` (server) lines of the RFC dialogues in a POP3 test file, grouped
/// by `converse(` script.
fn pop3_script_lines(source: &str, side: &str) -> Vec<Vec<String>> {
    let mut scripts = Vec::new();
    for chunk in source.split("converse(").skip(1) {
        let mut lines = Vec::new();
        for raw in chunk.lines() {
            let l = raw.trim().trim_start_matches('"');
            if l.starts_with(");") {
                break;
            }
            if let Some(rest) = l.strip_prefix(side) {
                let rest = rest.trim_end_matches(',').trim_end_matches('"').trim();
                lines.push(rest.to_owned());
            }
        }
        if !lines.is_empty() {
            scripts.push(lines);
        }
    }
    scripts
}

/// The `C:` lines of the `converse(` dialogues in an IMAP session test file, one list per
/// dialogue (Rust string escapes `\n`, `\"`, `\\` and format's `{{ }}` undone).
fn imap_script_lines(source: &str) -> Vec<Vec<String>> {
    let mut scripts = Vec::new();
    for chunk in source.split("converse(").skip(1) {
        let chunk = &chunk[..chunk.find(");").unwrap_or(chunk.len())];
        let text = chunk
            .replace("\\n", "\n")
            .replace("\\\"", "\"")
            .replace("\\\\", "\\")
            .replace("{{", "{")
            .replace("}}", "}");
        let mut lines = Vec::new();
        for raw in text.lines() {
            let l = raw
                .trim()
                .trim_start_matches("r#\"")
                .trim_start_matches('"');
            if let Some(rest) = l.strip_prefix("C:") {
                let rest = rest
                    .trim_end_matches(',')
                    .trim_end_matches('#')
                    .trim_end_matches('"')
                    .trim_end_matches('\\')
                    .trim();
                lines.push(rest.to_owned());
            }
        }
        if !lines.is_empty() {
            scripts.push(lines);
        }
    }
    scripts
}

/// Hand-written IMAP sessions for the `imap_session` seeds: the client's side only (the
/// harness's host holds user `joe`, password `pa55w0rd`, INBOX with six messages, Archive,
/// Lists, Lists/rust and Trash). Synchronizing literals are sent without waiting for `+`,
/// as a pipelining client would.
fn imap_sessions() -> Vec<(u8, u8, Vec<u8>)> {
    const LOGIN: &str = "a1 LOGIN joe pa55w0rd\r\n";
    const SELECT: &str = "a1 LOGIN joe pa55w0rd\r\na2 SELECT INBOX\r\n";
    let literal = |s: &str| format!("{{{}}}\r\n{s}", s.len());
    let message = "From: me@example.org\r\nSubject: appended\r\n\r\nhello\r\n";
    let lf_message = "From: me@example.org\nSubject: bare LF\n\n.dot\nhello\n";
    // (first config octet, second config octet, client bytes); 1 = plaintext LOGIN allowed,
    // bad-command and login-failure limits high.
    let mut v: Vec<(u8, u8, String)> = vec![
        (1, 0, format!("{SELECT}a3 FETCH 1:* (FLAGS UID RFC822.SIZE INTERNALDATE)\r\na4 FETCH 1 (ENVELOPE BODYSTRUCTURE BODY)\r\na5 FETCH 2 (BODY[HEADER.FIELDS (From Subject)] BODY[1.MIME] BODY[2]<0.10> BODY.PEEK[TEXT])\r\na6 FETCH 3 (BODY[1.HEADER] BODY[1.TEXT] BODY[1.1] BODY[1.2.MIME])\r\na7 FETCH 4 (RFC822 RFC822.HEADER RFC822.TEXT)\r\na8 FETCH 6 BODY.PEEK[]\r\na9 FETCH *:5 FULL\r\na10 FETCH 1,3:4 FAST\r\na11 LOGOUT\r\n")),
        (1, 0, format!("{SELECT}b1 UID FETCH 1:* (UID FLAGS)\r\nb2 FETCH 2 BODY[]\r\nb3 FETCH 2 BODY[HEADER.FIELDS.NOT (To)]<5.20>\r\nb4 FETCH 4294967295 FLAGS\r\nb5 FETCH 4294967296 FLAGS\r\nb6 FETCH 0 FLAGS\r\nb7 UID FETCH 100:200 FLAGS\r\nb8 FETCH 1 BODY[99]\r\n")),
        (1, 0, format!("{SELECT}c1 STORE 1:3 +FLAGS (\\Deleted)\r\nc2 STORE 2 -FLAGS.SILENT (\\Flagged)\r\nc3 UID STORE 1:* FLAGS ($Label1 \\Seen)\r\nc4 STORE 1 +FLAGS (\\Recent)\r\nc5 EXPUNGE\r\nc6 UID EXPUNGE 1:2\r\nc7 FETCH 1:* FLAGS\r\nc8 CLOSE\r\n")),
        (1, 0, format!("{SELECT}d1 SEARCH ALL\r\nd2 UID SEARCH UNSEEN LARGER 100\r\nd3 SEARCH OR FROM gray TEXT html NOT DELETED\r\nd4 SEARCH CHARSET UTF-8 SUBJECT {}\r\nd5 SEARCH HEADER X-Nul a BEFORE 1-Jan-2000 SINCE 1-Jan-1990 1:3,5\r\nd6 SEARCH BODY \"no final\" NEW\r\nd7 SEARCH CHARSET KOI8-R ALL\r\nd8 SEARCH ((((((((((ALL))))))))))\r\nd9 SEARCH KEYWORD $Label1 UNKEYWORD x SENTBEFORE 1-Jan-2030 SMALLER 99999\r\n", literal("caf\u{e9}"))),
        (1, 0, format!("{SELECT}e1 APPEND INBOX (\\Seen) \"17-Jul-1996 02:44:25 -0700\" {}\r\ne2 APPEND INBOX {{{}+}}\r\n{lf_message}\r\ne3 FETCH 7:* (UID BODY[])\r\ne4 APPEND Nowhere {}\r\ne5 APPEND INBOX {{0}}\r\n\r\ne6 APPEND INBOX {{99999999}}\r\ne7 APPEND INBOX {{4294967295}}\r\ne8 APPEND INBOX ~{{3}}\r\nabc\r\ne9 APPEND INBOX {{3}}\r\na\x00b\r\ne10 APPEND INBOX {{3}}\r\nabc {{3}}\r\ndef\r\ne11 NOOP\r\n", literal(message), lf_message.len(), literal(message))),
        (1, 0, format!("{SELECT}f1 IDLE\r\nDONE\r\nf2 IDLE\r\ngarbage\r\nf3 IDLE\r\ndone\nf4 NOOP\r\n")),
        (1, 0, format!("{LOGIN}g1 CREATE Work/2024/\r\ng2 CREATE INBOX\r\ng3 RENAME Work Play\r\ng4 DELETE Play/2024\r\ng5 SUBSCRIBE Lists/rust\r\ng6 LIST \"\" *\r\ng7 LIST \"\" %\r\ng8 LSUB \"\" *\r\ng9 LIST (SPECIAL-USE) \"\" *\r\ng10 LIST \"\" * RETURN (CHILDREN SUBSCRIBED)\r\ng11 LIST Lists/ %\r\ng12 STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)\r\ng13 RENAME INBOX Old\r\ng14 DELETE INBOX\r\ng15 UNSUBSCRIBE Trash\r\ng16 CREATE &ZeVnLIqe-\r\ng17 CREATE &Jjo!\r\ng18 LIST \"\" \"&ZeVnLIqe-\"\r\n")),
        (1, 0, format!("{LOGIN}h1 EXAMINE INBOX\r\nh2 STORE 1 +FLAGS (\\Seen)\r\nh3 FETCH 1 BODY[]\r\nh4 SELECT Archive\r\nh5 COPY 1 INBOX\r\nh6 MOVE 1 Trash\r\nh7 UID MOVE 1:* Nowhere\r\nh8 UNSELECT\r\nh9 SELECT INBOX\r\nh10 UID COPY 1:3 Archive\r\nh11 MOVE 2:3 Archive\r\nh12 CHECK\r\nh13 NAMESPACE\r\nh14 ENABLE CONDSTORE\r\nh15 ID (\"name\" \"fuzz\")\r\nh16 ID NIL\r\nh17 CAPABILITY\r\nh18 SELECT Lists\r\nh19 LOGOUT\r\n")),
        (1, 0, "t1 AUTHENTICATE PLAIN\r\nAGpvZQBwYTU1dzByZA==\r\nt2 SELECT INBOX\r\n".to_owned()),
        (1, 0, "t1 AUTHENTICATE PLAIN AGpvZQBwYTU1dzByZA==\r\nt2 LOGOUT\r\n".to_owned()),
        (1, 0, "t1 AUTHENTICATE LOGIN\r\nam9l\r\ncGE1NXcwcmQ=\r\nt2 CAPABILITY\r\n".to_owned()),
        (1, 0, "t1 AUTHENTICATE LOGIN\r\n*\r\nt2 AUTHENTICATE PLAIN\r\n!!!\r\nt3 AUTHENTICATE PLAIN =\r\nt4 AUTHENTICATE PLAIN AGpvZQB3cm9uZw==\r\nt5 AUTHENTICATE GSSAPI\r\n".to_owned()),
        (33, 0, "t1 AUTHENTICATE CRAM-MD5\r\nam9lIDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw\r\nt2 AUTHENTICATE CRAM-MD5\r\n*\r\n".to_owned()),
        (2, 0, "s1 CAPABILITY\r\ns2 LOGIN joe pa55w0rd\r\ns3 STARTTLS\r\ns4 LOGIN joe pa55w0rd\r\n".to_owned()),
        (2, 0, "s1 STARTTLS\r\ns2 CAPABILITY\r\ns3 AUTHENTICATE PLAIN AGpvZQBwYTU1dzByZA==\r\ns4 STARTTLS\r\n".to_owned()),
        (6, 0, "s1 STARTTLS\r\ns2 LOGIN joe pa55w0rd\r\n".to_owned()),
        (0, 0, "l1 LOGIN joe pa55w0rd\r\nl2 AUTHENTICATE PLAIN\r\n".to_owned()),
        (1, 0, "l1 LOGIN {9000}\r\nl2 LOGIN {4294967295}\r\nl3 FOO {5}\r\nhello\r\nl4 SELECT {5+}\r\nINBOX\r\nl5 LOGIN {3}\r\njoe {8}\r\npa55w0rd\r\nl6 SELECT {5}\r\nINBOX\r\nl7 FETCH 1 BODY[HEADER.FIELDS ({7}\r\nSubject)]\r\n".to_owned()),
        (1, 8, "l1 LOGIN {5000}\r\nl2 LOGIN {4096+}\r\n".to_owned()),
        (1, 0, "* NOOP\r\n\r\na1 LOGIN joe pa55w0rd\na2 SELECT INBOX\r\na3 NOOP\x00\r\na4 NO\rOP\r\na5 FETCH 1 (FLAGS\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n".to_owned()),
        (1, 0, format!("{SELECT}{}", "n NOOP\r\n".repeat(200))),
        (9, 0, "GET / HTTP/1.1\r\nHost: example.org\r\nUser-Agent: x\r\n\r\n".to_owned()),
        (17, 0, "a LOGIN joe wrong\r\nb LOGIN nobody wrong\r\nc LOGIN joe pa55w0rd\r\nd NOOP\r\n".to_owned()),
        (129, 0, "p1 SELECT INBOX\r\np2 FETCH 1:* (UID FLAGS)\r\np3 LOGIN joe pa55w0rd\r\n".to_owned()),
        (1, 0, "a LOGOUT\r\nb NOOP\r\n".to_owned()),
        (1, 0, format!("{LOGIN}a2 SELECT \"INBOX\"\r\na3 SELECT {{5}}\r\ninbox\r\na4 STATUS Nowhere (MESSAGES)\r\na5 SELECT Nowhere\r\na6 FETCH 1 FLAGS\r\n")),
    ];
    // The same sessions with every limit at its minimum (16 KiB output, a fetch window
    // of 1, 4 KiB literals, no login delay), and one octet at a time.
    let n = v.len();
    for i in 0..n {
        let (a, _, s) = v[i].clone();
        v.push((a, 0b0001_1111, s.clone()));
        if i % 3 == 0 {
            v.push((a, 0b0010_0000, s));
        }
    }
    v.into_iter()
        .map(|(a, b, s)| (a, b, s.into_bytes()))
        .collect()
}

/// The seed inputs of every target, from the RFC vectors in the other tests.
fn seeds() -> BTreeMap<&'static str, Vec<Vec<u8>>> {
    let pop3_sources = [include_str!("pop3_rfc.rs"), include_str!("pop3_session.rs")];
    let mut s: BTreeMap<&'static str, Vec<Vec<u8>>> = BTreeMap::new();
    for src in pop3_sources {
        for script in pop3_script_lines(src, "C:") {
            let transcript: Vec<u8> = script
                .iter()
                .flat_map(|l| format!("{l}\r\n").into_bytes())
                .collect();
            for l in &script {
                s.entry("pop3_command")
                    .or_default()
                    .push(format!("{l}\r\n").into_bytes());
            }
            // The session seeds: a configuration byte (plaintext logins allowed, APOP and
            // STLS offered), then the client's side of the dialogue, as it is and after a
            // login (most scripts start logged in).
            for login in [&b""[..], b"USER alice\r\nPASS wonderland\r\n"] {
                let mut session = vec![0b0000_0111];
                session.extend_from_slice(login);
                session.extend_from_slice(&transcript);
                s.entry("pop3_session").or_default().push(session);
            }
        }
        for script in pop3_script_lines(src, "S:") {
            let transcript: Vec<u8> = script
                .iter()
                .flat_map(|l| format!("{l}\r\n").into_bytes())
                .collect();
            s.entry("pop3_response").or_default().push(transcript);
        }
    }
    for v in vectors::VECTORS {
        for target in ["imap_command", "imap_response", "imap_roundtrip"] {
            s.entry(target).or_default().push(v.to_vec());
        }
        if v.starts_with(b"* OK") || v.starts_with(b"* PREAUTH") || v.starts_with(b"* BYE") {
            s.entry("imap_greeting").or_default().push(v.to_vec());
        }
        // Arbitrary bytes are as good a start as any for the value generator.
        s.entry("imap_value_roundtrip")
            .or_default()
            .push(v.to_vec());
    }
    // IMAP sessions: two configuration octets, then the client's bytes.
    for (a, b, client) in imap_sessions() {
        let mut input = vec![a, b];
        input.extend_from_slice(&client);
        s.entry("imap_session").or_default().push(input);
    }
    let imap_sources = [
        include_str!("imap_rfc3501_session.rs"),
        include_str!("imap_session.rs"),
        include_str!("imap_session_extensions.rs"),
    ];
    for src in imap_sources {
        for script in imap_script_lines(src) {
            let transcript: Vec<u8> = script
                .iter()
                .flat_map(|l| format!("{l}\r\n").into_bytes())
                .collect();
            // As the test sends it (often a login of another user), and after a login and
            // SELECT of this harness's user.
            for login in [&b""[..], b"a1 LOGIN joe pa55w0rd\r\na2 SELECT INBOX\r\n"] {
                let mut input = vec![1, 0];
                input.extend_from_slice(login);
                input.extend_from_slice(&transcript);
                s.entry("imap_session").or_default().push(input);
            }
        }
    }
    // The §8 sample session as one pipelined input.
    let sample: Vec<u8> = [
        &b"a001 login mrc secret\r\n"[..],
        b"a002 select inbox\r\n",
        b"a003 fetch 12 full\r\n",
        b"a004 fetch 12 body[header]\r\n",
        b"a005 store 12 +flags \\deleted\r\n",
        b"a006 logout\r\n",
    ]
    .concat();
    s.entry("imap_command").or_default().push(sample);
    // RFC 3501 §5.1.3 and the utf7 module's examples.
    for name in [
        &b"~peter/mail/&U,BTFw-/&ZeVnLIqe-"[..],
        b"&U,BTFw-",
        b"&ZeVnLIqe-",
        b"a&-b",
        b"&2D3eAA-",
        b"INBOX",
        b"&AGE-",
        b"&ZeV-&nLIqe-",
        b"&2D0-",
        b"&U,BTFx-",
    ] {
        s.entry("mutf7").or_default().push(name.to_vec());
    }
    for list in s.values_mut() {
        list.sort();
        list.dedup();
    }
    s
}

/// FNV-1a, for stable seed file names.
fn name(data: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("seed-{h:016x}")
}

/// Writes the seed corpora: `cargo test --test fuzz_replay -- --ignored write_seed_corpora`.
#[test]
#[ignore = "writes files under fuzz/corpus"]
fn write_seed_corpora() {
    for (target, inputs) in seeds() {
        let dir = fuzz_dir().join("corpus").join(target);
        std::fs::create_dir_all(&dir).expect("create corpus dir");
        for data in inputs {
            std::fs::write(dir.join(name(&data)), &data).expect("write seed");
        }
    }
}

#[test]
fn seed_corpora_are_up_to_date() {
    let seeds = seeds();
    assert_eq!(
        seeds.len(),
        harness::TARGETS.len(),
        "a target without seeds"
    );
    for (target, inputs) in seeds {
        assert!(inputs.len() >= 10, "{target}: {} seeds", inputs.len());
        for data in inputs {
            let path = fuzz_dir().join("corpus").join(target).join(name(&data));
            assert!(
                path.is_file(),
                "{} missing: run `cargo test --test fuzz_replay -- --ignored write_seed_corpora`",
                path.display()
            );
        }
    }
}
