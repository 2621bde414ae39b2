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
