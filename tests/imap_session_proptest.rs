//! Property tests of the IMAP session.
//!
//! - Whole transcripts fed in random chunks give the same output as fed at once.
//! - The EXPUNGE-consistency model: random changes by other parties (new mail, expunges,
//!   flag changes) interleaved with random client commands. A client model reads every
//!   response and checks it against what the client was told before (RFC 3501 §5.2, §7.3.1,
//!   §7.4.1): EXISTS never shrinks the mailbox, EXPUNGE names a message the client has, a
//!   FETCH's sequence number and UID agree with what the client learnt, no EXPUNGE while a
//!   FETCH, STORE or SEARCH is answered, and in the end the client's view is the store's.

mod support;

use bytes::Bytes;
use pobox::Status;
use pobox::imap::server::Config;
use pobox::imap::{Data, Flag, MessageDataItem, Response, StatusKind, parse_response};
use proptest::prelude::*;
use support::imap::{Harness, Store};

fn plain() -> Config {
    let mut c = Config::default();
    c.plaintext_auth_without_tls(true);
    c
}

fn store(n: u32) -> Store {
    let mut store = Store::default()
        .with_user("joe", "password")
        .with_folder("INBOX")
        .with_folder("Other");
    for i in 1..=n {
        store.deliver(
            "INBOX",
            &[],
            Bytes::from(format!("Subject: {i}\r\n\r\nbody {i}\r\n")),
        );
    }
    store
}

// ---- chunking ---------------------------------------------------------------------------

fn command() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("NOOP".to_owned()),
        Just("FETCH 1:* (UID FLAGS RFC822.SIZE)".to_owned()),
        Just("UID FETCH 1:* (BODY.PEEK[HEADER])".to_owned()),
        Just("FETCH 1 (BODY[TEXT] ENVELOPE)".to_owned()),
        Just("STORE 1:2 +FLAGS (\\Flagged)".to_owned()),
        Just("SEARCH TEXT {4}\r\nbody".to_owned()),
        Just("APPEND Other (\\Seen) {7}\r\nhi\r\nyou".to_owned()),
        Just("APPEND INBOX {4+}\r\nnew!".to_owned()),
        Just("COPY 2 Other".to_owned()),
        Just("LIST \"\" *".to_owned()),
        Just("STATUS Other (MESSAGES UIDNEXT)".to_owned()),
        Just("IDLE\r\nDONE".to_owned()),
        Just("EXPUNGE".to_owned()),
        Just("UID SEARCH UNSEEN".to_owned()),
        Just("BOGUS".to_owned()),
        Just("LOGIN {3}".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// RFC 3501 §5.5 and the Sans-IO contract: the output does not depend on how the input
    /// is split.
    #[test]
    fn transcripts_in_random_chunks_give_the_same_output(
        commands in proptest::collection::vec(command(), 1..12),
        cuts in proptest::collection::vec(1usize..40, 1..60),
    ) {
        let mut script = String::from("a LOGIN joe password\r\nb SELECT INBOX\r\n");
        for (i, c) in commands.iter().enumerate() {
            script.push_str(&format!("c{i} {c}\r\n"));
        }
        script.push_str("z LOGOUT\r\n");
        let run = |pieces: Vec<&[u8]>| {
            let mut h = Harness::new(plain(), store(3));
            let mut out = h.output();
            for p in pieces {
                out.extend(h.feed(p));
            }
            out
        };
        let whole = run(vec![script.as_bytes()]);
        let mut pieces = Vec::new();
        let mut rest = script.as_bytes();
        let mut cut = cuts.iter().cycle();
        while !rest.is_empty() {
            let n = (*cut.next().unwrap()).min(rest.len());
            pieces.push(&rest[..n]);
            rest = &rest[n..];
        }
        let split = run(pieces);
        prop_assert_eq!(String::from_utf8_lossy(&split), String::from_utf8_lossy(&whole));
    }
}

// ---- the EXPUNGE-consistency model ------------------------------------------------------

#[derive(Debug, Clone)]
enum Step {
    /// Another party delivers a message.
    Deliver,
    /// Another party expunges the n-th message of the store (modulo its size).
    ExpungeElsewhere(usize),
    /// Another party flags the n-th message.
    FlagElsewhere(usize, bool),
    /// The client sends a command.
    Client(Cmd),
}

#[derive(Debug, Clone)]
enum Cmd {
    Noop,
    Fetch(u32),
    UidFetchAll,
    Store(u32),
    UidStore(u32),
    Search,
    UidSearch,
    Expunge,
    Idle,
    Move(u32),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => Just(Step::Deliver),
        2 => any::<usize>().prop_map(Step::ExpungeElsewhere),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(n, d)| Step::FlagElsewhere(n, d)),
        6 => prop_oneof![
            Just(Cmd::Noop),
            (1u32..8).prop_map(Cmd::Fetch),
            Just(Cmd::UidFetchAll),
            (1u32..8).prop_map(Cmd::Store),
            (1u32..20).prop_map(Cmd::UidStore),
            Just(Cmd::Search),
            Just(Cmd::UidSearch),
            Just(Cmd::Expunge),
            Just(Cmd::Idle),
            (1u32..8).prop_map(Cmd::Move),
        ]
        .prop_map(Step::Client),
    ]
}

/// What the client knows: for each message number, the UID when it has learnt it.
#[derive(Debug, Default)]
struct ClientModel {
    uids: Vec<Option<u32>>,
}

impl ClientModel {
    /// Applies one server response, checking it against what came before. `restricted`:
    /// a FETCH, STORE or SEARCH (not UID) is being answered.
    fn apply(&mut self, r: &Response, restricted: bool) -> Result<(), String> {
        match r {
            Response::Data(Data::Exists(n)) => {
                let n = *n as usize;
                if n < self.uids.len() {
                    return Err(format!("EXISTS {n} below {}", self.uids.len()));
                }
                self.uids.resize(n, None);
            }
            Response::Data(Data::Expunge(seq)) => {
                if restricted {
                    return Err(format!(
                        "EXPUNGE {seq} while answering FETCH, STORE or SEARCH"
                    ));
                }
                let i = seq.get() as usize - 1;
                if i >= self.uids.len() {
                    return Err(format!("EXPUNGE {seq} of {} messages", self.uids.len()));
                }
                self.uids.remove(i);
            }
            Response::Data(Data::Fetch { seq, items }) => {
                let i = seq.get() as usize - 1;
                if i >= self.uids.len() {
                    return Err(format!("FETCH {seq} of {} messages", self.uids.len()));
                }
                for item in items {
                    if let MessageDataItem::Uid(uid) = item {
                        match self.uids[i] {
                            Some(known) if known != uid.get() => {
                                return Err(format!("message {seq} was UID {known}, now {uid}"));
                            }
                            _ => self.uids[i] = Some(uid.get()),
                        }
                    }
                }
                // UIDs ascend with message numbers (RFC 3501 §2.3.1.1).
                let known: Vec<u32> = self.uids.iter().flatten().copied().collect();
                if known.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(format!("UIDs out of order: {known:?}"));
                }
            }
            Response::Data(Data::Search(numbers)) => {
                for n in numbers {
                    if n.get() as usize > self.uids.len() && !restricted {
                        // UID SEARCH: numbers are UIDs; nothing to check by position.
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Every response in `out`.
fn responses(out: &[u8]) -> Vec<Response> {
    let mut rest = Bytes::copy_from_slice(out);
    let mut all = Vec::new();
    while !rest.is_empty() {
        match parse_response(&rest) {
            Ok(Status::Complete((n, r))) => {
                all.push(r);
                let _ = rest.split_to(n);
            }
            other => panic!(
                "unparsable output {other:?} at {:?}",
                String::from_utf8_lossy(&rest)
            ),
        }
    }
    all
}

fn is_tagged(r: &Response) -> bool {
    matches!(r, Response::Status(s) if s.tag.is_some())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn expunge_consistency_model(steps in proptest::collection::vec(step(), 1..60)) {
        let mut h = Harness::new(plain(), store(4));
        h.output();
        h.say("a LOGIN joe password\r\n");
        let mut model = ClientModel::default();
        for r in responses(&h.feed(b"b SELECT INBOX\r\n")) {
            model.apply(&r, false).map_err(TestCaseError::fail)?;
        }
        let mut idling = false;
        for (i, step) in steps.iter().enumerate() {
            let (wire, restricted) = match step {
                Step::Deliver => {
                    h.deliver("INBOX", &[], b"Subject: new\r\n\r\nnew\r\n");
                    (None, false)
                }
                Step::ExpungeElsewhere(n) => {
                    let uids: Vec<u32> = h.store.folders["INBOX"].messages.iter().map(|m| m.uid).collect();
                    if !uids.is_empty() {
                        h.expunge_elsewhere(uids[n % uids.len()]);
                    }
                    (None, false)
                }
                Step::FlagElsewhere(n, deleted) => {
                    let uids: Vec<u32> = h.store.folders["INBOX"].messages.iter().map(|m| m.uid).collect();
                    if !uids.is_empty() {
                        let flag = if *deleted { Flag::Deleted } else { Flag::Flagged };
                        h.flags_elsewhere(uids[n % uids.len()], &[flag]);
                    }
                    (None, false)
                }
                Step::Client(cmd) => {
                    if idling {
                        for r in responses(&h.feed(b"DONE\r\n")) {
                            model.apply(&r, false).map_err(TestCaseError::fail)?;
                        }
                        idling = false;
                    }
                    let count = model.uids.len() as u32;
                    let tag = format!("t{i}");
                    let (text, restricted) = match cmd {
                        Cmd::Noop => ("NOOP".to_owned(), false),
                        Cmd::Fetch(n) if count > 0 => (format!("FETCH {}:* (UID FLAGS)", 1 + n % count), true),
                        Cmd::Fetch(_) | Cmd::UidFetchAll => ("UID FETCH 1:* (UID FLAGS)".to_owned(), false),
                        Cmd::Store(n) if count > 0 => (format!("STORE {} +FLAGS (\\Seen)", 1 + n % count), true),
                        Cmd::Store(n) | Cmd::UidStore(n) => (format!("UID STORE {n}:* +FLAGS (\\Answered)"), false),
                        Cmd::Search => ("SEARCH ALL".to_owned(), true),
                        Cmd::UidSearch => ("UID SEARCH ALL".to_owned(), false),
                        Cmd::Expunge => ("EXPUNGE".to_owned(), false),
                        Cmd::Idle => {
                            idling = true;
                            ("IDLE".to_owned(), false)
                        }
                        Cmd::Move(n) if count > 0 => (format!("MOVE {} Other", 1 + n % count), false),
                        Cmd::Move(n) => (format!("UID MOVE {n} Other"), false),
                    };
                    (Some(h.feed(format!("{tag} {text}\r\n").as_bytes())), restricted)
                }
            };
            // Unsolicited output (IDLE) arrives between steps too.
            let out = match wire {
                Some(out) => out,
                None => h.output(),
            };
            let mut in_command = restricted;
            for r in responses(&out) {
                let tagged = is_tagged(&r);
                model.apply(&r, in_command && !tagged).map_err(|e| TestCaseError::fail(format!("step {i} {step:?}: {e}")))?;
                if tagged {
                    if let Response::Status(s) = &r {
                        prop_assert!(s.kind != StatusKind::Bad, "step {i} {step:?}: {r:?}");
                    }
                    in_command = false;
                }
            }
        }
        if idling {
            for r in responses(&h.feed(b"DONE\r\n")) {
                model.apply(&r, false).map_err(TestCaseError::fail)?;
            }
        }
        // In the end, after a command that may tell everything, the client's view is the
        // store's, message by message.
        for r in responses(&h.feed(b"y NOOP\r\nz UID FETCH 1:* (UID)\r\n")) {
            model.apply(&r, false).map_err(TestCaseError::fail)?;
        }
        let store_uids: Vec<u32> = h.store.folders["INBOX"].messages.iter().map(|m| m.uid).collect();
        let client_uids: Vec<u32> = model.uids.iter().map(|u| u.unwrap_or(0)).collect();
        prop_assert_eq!(client_uids, store_uids);
    }
}
