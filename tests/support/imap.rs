//! An IMAP host for tests and fuzzing: an in-memory store of mailboxes, a fake clock, and a
//! transcript runner for RFC-style `C:` / `S:` dialogues.
//!
//! It answers every request of `pobox::imap::server` the way a real store would (UIDs,
//! flags, `\Recent` given to the first session that sees a message, COPYUID/APPENDUID),
//! so the session can be proven end to end without I/O. `tests/`, `fuzz/harness.rs` and
//! the benches include it by path.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes};
use pobox::Instant;
use pobox::imap::server::{
    Appended, Change, CloseReason, Config, Copied, Event, LoginRejection, MailboxEntry,
    MailboxError, MailboxName, MailboxOp, MailboxStatus, MessageData, MessageError, SearchAnswer,
    Session, Snapshot, StoreOp, Transport,
};
use pobox::imap::{Date, DateTime, Flag, MailboxAttribute};

/// One stored message.
#[derive(Clone, Debug)]
pub struct Message {
    pub uid: u32,
    pub flags: Vec<Flag>,
    /// `\Recent` not yet given to a session.
    pub recent: bool,
    pub date: DateTime,
    pub bytes: Bytes,
}

/// One mailbox.
#[derive(Clone, Debug)]
pub struct Folder {
    pub uid_validity: u32,
    pub uid_next: u32,
    pub messages: Vec<Message>,
    pub subscribed: bool,
    pub attributes: Vec<MailboxAttribute>,
    /// A `\Noselect` parent (DELETE of a mailbox with children leaves one).
    pub noselect: bool,
}

impl Folder {
    pub fn new(uid_validity: u32) -> Folder {
        Folder {
            uid_validity,
            uid_next: 1,
            messages: Vec::new(),
            subscribed: false,
            attributes: Vec::new(),
            noselect: false,
        }
    }

    fn status(&self) -> MailboxStatus {
        MailboxStatus {
            messages: self.messages.len() as u32,
            recent: self.messages.iter().filter(|m| m.recent).count() as u32,
            uid_next: self.uid_next,
            uid_validity: self.uid_validity,
            unseen: self
                .messages
                .iter()
                .filter(|m| !m.flags.contains(&Flag::Seen))
                .count() as u32,
        }
    }
}

/// A date for tests: 17-Jul-1996 02:44:25 -0700 (RFC 3501 §8's INTERNALDATE).
pub fn rfc3501_date() -> DateTime {
    DateTime::new(Date::new(1996, 7, 17).unwrap(), 2, 44, 25, -7 * 60).unwrap()
}

/// The users' mail.
#[derive(Clone, Debug, Default)]
pub struct Store {
    pub users: Vec<(String, String)>,
    pub folders: BTreeMap<String, Folder>,
    pub next_validity: u32,
}

impl Store {
    pub fn with_user(mut self, user: &str, password: &str) -> Store {
        self.users.push((user.into(), password.into()));
        self
    }

    pub fn with_folder(mut self, name: &str) -> Store {
        self.next_validity += 1;
        self.folders.insert(
            name.to_owned(),
            Folder::new(3857529045 - 100 + self.next_validity),
        );
        self
    }

    /// Adds a message to `folder` (created if missing).
    pub fn with_message(mut self, folder: &str, flags: &[Flag], bytes: impl Into<Bytes>) -> Store {
        self.deliver(folder, flags, bytes.into());
        self
    }

    /// Delivers a message (as an MTA would): the next UID, `\Recent` pending.
    pub fn deliver(&mut self, folder: &str, flags: &[Flag], bytes: Bytes) -> u32 {
        if !self.folders.contains_key(folder) {
            self.next_validity += 1;
            let v = 3857529045 - 100 + self.next_validity;
            self.folders.insert(folder.to_owned(), Folder::new(v));
        }
        let f = self.folders.get_mut(folder).unwrap();
        let uid = f.uid_next;
        f.uid_next += 1;
        f.messages.push(Message {
            uid,
            flags: flags.to_vec(),
            recent: true,
            date: rfc3501_date(),
            bytes,
        });
        uid
    }
}

/// An APPEND being received: folder, flags, date, data so far.
#[derive(Debug)]
pub struct Appending {
    pub folder: String,
    pub flags: Vec<Flag>,
    pub date: Option<DateTime>,
    pub data: Vec<u8>,
}

/// What the host does when asked, beyond answering normally.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Quirk {
    #[default]
    None,
    /// Leave requests of this kind unanswered (in `unanswered`).
    Hold,
}

/// A session, its host and a fake clock.
pub struct Harness {
    pub session: Session,
    pub store: Store,
    pub user: Option<String>,
    pub selected: Option<String>,
    pub now: Instant,
    pub closed: Option<CloseReason>,
    /// Events not answered (with `auto` off, or held by a quirk).
    pub unanswered: Vec<Event>,
    pub auto: bool,
    /// Hold message requests unanswered.
    pub hold_messages: bool,
    /// Hold mutating requests (STORE, COPY, EXPUNGE, APPEND data/commit, mailbox ops).
    pub hold_writes: bool,
    /// Expunge the message instead of handing it over (RFC 2180 §4.1 tests).
    pub gone: Vec<u32>,
    /// An APPEND being received.
    pub appending: Option<Appending>,
    /// Log of the events seen.
    pub log: Vec<String>,
}

pub const NONCE: [u8; 16] = [7; 16];

impl Harness {
    pub fn new(config: Config, store: Store) -> Harness {
        Harness::start(config, Transport::Plain, store, None)
    }

    pub fn start(
        config: Config,
        transport: Transport,
        store: Store,
        preauth: Option<&str>,
    ) -> Harness {
        let now = Instant::now();
        let config = Arc::new(config);
        let session = match preauth {
            None => Session::new(config, transport, NONCE, now),
            Some(user) => Session::preauthenticated(config, transport, user, NONCE, now),
        };
        Harness {
            session,
            store,
            user: preauth.map(str::to_owned),
            selected: None,
            now,
            closed: None,
            unanswered: Vec::new(),
            auto: true,
            hold_messages: false,
            hold_writes: false,
            gone: Vec::new(),
            appending: None,
            log: Vec::new(),
        }
    }

    /// Feeds bytes, answers every event, lets short delays pass, and returns the output
    /// written since the last call.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.session.feed(self.now, bytes);
        self.drive();
        self.output()
    }

    /// [`feed`](Self::feed) as text.
    pub fn say(&mut self, text: &str) -> String {
        String::from_utf8_lossy(&self.feed(text.as_bytes())).into_owned()
    }

    /// All output so far, draining the session's transmit queue (and letting it produce
    /// more as it drains).
    pub fn output(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let t = self.session.transmit();
            let n = t.remaining();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&t.copy_to_bytes(n));
            self.drive();
        }
        out
    }

    /// Answers events until none is left, letting failed-login delays (anything due within
    /// 30 seconds) pass on the fake clock.
    pub fn drive(&mut self) {
        loop {
            let mut any = false;
            while let Some(event) = self.session.poll_event() {
                any = true;
                if self.auto || matches!(event, Event::Closed(_) | Event::Unselected) {
                    self.answer(event);
                } else {
                    self.unanswered.push(event);
                }
            }
            match self.session.poll_timeout() {
                Some(at)
                    if at <= self.now + Duration::from_secs(30) && self.unanswered.is_empty() =>
                {
                    self.now = at;
                    self.session.handle_timeout(at);
                }
                _ if any => {}
                _ => return,
            }
        }
    }

    /// Moves the clock on by `d` and lets timers fire.
    pub fn advance(&mut self, d: Duration) -> String {
        self.now += d;
        self.session.handle_timeout(self.now);
        self.drive();
        String::from_utf8_lossy(&self.output()).into_owned()
    }

    /// The folder selected in this harness's session.
    pub fn folder(&mut self) -> Option<&mut Folder> {
        let name = self.selected.clone()?;
        self.store.folders.get_mut(&name)
    }

    /// Delivers a message to `folder` as another agent would, and tells the session when
    /// it is the selected one.
    pub fn deliver(&mut self, folder: &str, flags: &[Flag], bytes: &'static [u8]) -> u32 {
        let uid = self.store.deliver(folder, flags, Bytes::from_static(bytes));
        if self.selected.as_deref() == Some(folder) {
            let now = self.now;
            self.session.handle_change(
                now,
                Change::Arrived {
                    uid,
                    flags,
                    recent: false,
                },
            );
            self.drive();
        }
        uid
    }

    /// Another session expunges `uid` of the selected folder.
    pub fn expunge_elsewhere(&mut self, uid: u32) {
        if let Some(f) = self.folder() {
            f.messages.retain(|m| m.uid != uid);
        }
        let now = self.now;
        self.session.handle_change(now, Change::Expunged { uid });
        self.drive();
    }

    /// Another session sets the flags of `uid` of the selected folder.
    pub fn flags_elsewhere(&mut self, uid: u32, flags: &[Flag]) {
        if let Some(f) = self.folder() {
            if let Some(m) = f.messages.iter_mut().find(|m| m.uid == uid) {
                m.flags = flags.to_vec();
            }
        }
        let now = self.now;
        self.session
            .handle_change(now, Change::Flags { uid, flags });
        self.drive();
    }

    fn password(&self, user: &str) -> Option<&str> {
        self.store
            .users
            .iter()
            .find(|(u, _)| u == user)
            .map(|(_, p)| p.as_str())
    }

    fn writes(&self, event: &Event) -> bool {
        matches!(
            event,
            Event::Store(_)
                | Event::Copy(_)
                | Event::Expunge(_)
                | Event::AppendData(_)
                | Event::AppendCommit(_)
                | Event::Mailbox(_)
        )
    }

    /// Answers one event from the store.
    pub fn answer(&mut self, event: Event) {
        if (self.hold_writes && self.writes(&event))
            || (self.hold_messages && matches!(event, Event::Message(_)))
        {
            self.unanswered.push(event);
            return;
        }
        let now = self.now;
        match event {
            Event::Login(request) => {
                self.log.push(format!("login {}", request.user()));
                let ok = self
                    .password(request.user())
                    .is_some_and(|p| request.credentials().verify(p.as_bytes()));
                let answer = if ok {
                    Ok(())
                } else {
                    Err(LoginRejection::BadCredentials)
                };
                if ok {
                    self.user = Some(request.user().to_owned());
                }
                self.session
                    .answer(request, answer, now)
                    .expect("login pending");
            }
            Event::StartTls(request) => {
                self.log.push("starttls".into());
                self.session
                    .answer(request, (), now)
                    .expect("starttls pending");
            }
            Event::Select(request) => {
                let name = request.mailbox().as_str().to_owned();
                self.log.push(format!("select {name}"));
                let answer = match self.store.folders.get_mut(&name) {
                    Some(f) if !f.noselect => {
                        let mut s = Snapshot::new(f.uid_validity, f.uid_next);
                        for m in &mut f.messages {
                            s.push(m.uid, &m.flags, m.recent);
                            // The first read-write session to see a message takes \Recent.
                            if !request.read_only() {
                                m.recent = false;
                            }
                        }
                        self.selected = Some(name);
                        Ok(s)
                    }
                    _ => Err(MailboxError::NonExistent),
                };
                self.session
                    .answer(request, answer, now)
                    .expect("select pending");
            }
            Event::Unselected => {
                self.log.push("unselected".into());
                self.selected = None;
            }
            Event::Mailbox(request) => {
                self.log.push(format!("mailbox {:?}", request.op()));
                let answer = self.manage(request.op().clone());
                self.session
                    .answer(request, answer, now)
                    .expect("mailbox op pending");
            }
            Event::List(request) => {
                let entries = self
                    .store
                    .folders
                    .iter()
                    .map(|(name, f)| {
                        let mut e = MailboxEntry::new(MailboxName::new(name.clone()).unwrap());
                        if f.subscribed {
                            e = e.subscribed();
                        }
                        if f.noselect {
                            e = e.attribute(MailboxAttribute::Noselect);
                        }
                        for a in &f.attributes {
                            e = e.attribute(a.clone());
                        }
                        e
                    })
                    .collect();
                self.session
                    .answer(request, Ok(entries), now)
                    .expect("list pending");
            }
            Event::Status(request) => {
                let answer = match self.store.folders.get(request.mailbox().as_str()) {
                    Some(f) => Ok(f.status()),
                    None => Err(MailboxError::NonExistent),
                };
                self.session
                    .answer(request, answer, now)
                    .expect("status pending");
            }
            Event::Append(request) => {
                let name = request.mailbox().as_str().to_owned();
                self.log.push(format!("append {name} {}", request.size()));
                let answer = if self.store.folders.contains_key(&name) {
                    self.appending = Some(Appending {
                        folder: name,
                        flags: request.flags().to_vec(),
                        date: request.date(),
                        data: Vec::new(),
                    });
                    Ok(())
                } else {
                    Err(MailboxError::NonExistent)
                };
                self.session
                    .answer(request, answer, now)
                    .expect("append pending");
            }
            Event::AppendData(data) => {
                if let Some(a) = self.appending.as_mut() {
                    a.data.extend_from_slice(data.data());
                }
                self.session
                    .answer(data, Ok(()), now)
                    .expect("append data pending");
            }
            Event::AppendCommit(commit) => {
                let Some(Appending {
                    folder: name,
                    flags,
                    date,
                    data,
                }) = self.appending.take()
                else {
                    panic!("commit without append");
                };
                let f = self.store.folders.get_mut(&name).unwrap();
                let uid = f.uid_next;
                f.uid_next += 1;
                f.messages.push(Message {
                    uid,
                    flags,
                    recent: false,
                    date: date.unwrap_or_else(rfc3501_date),
                    bytes: Bytes::from(data),
                });
                let validity = f.uid_validity;
                self.log.push(format!("appended {name} {uid}"));
                let answer = Ok(Appended {
                    uid_validity: validity,
                    uid,
                });
                self.session
                    .answer(commit, answer, now)
                    .expect("commit pending");
            }
            Event::AppendCancelled => {
                self.log.push("append cancelled".into());
                self.appending = None;
            }
            Event::Message(request) => {
                let uid = request.uid();
                let gone = self.gone.contains(&uid);
                let found = self
                    .folder()
                    .and_then(|f| f.messages.iter_mut().find(|m| m.uid == uid));
                let answer = match found {
                    Some(m) if !gone => {
                        if request.mark_seen() && !m.flags.contains(&Flag::Seen) {
                            m.flags.push(Flag::Seen);
                        }
                        let size =
                            pobox::mime::Message::parse(m.bytes.clone()).rfc822_size() as u32;
                        Ok(MessageData::new(m.date).bytes(m.bytes.clone()).size(size))
                    }
                    _ => Err(MessageError::Expunged),
                };
                self.session
                    .answer(request, answer, now)
                    .expect("message pending");
            }
            Event::Search(request) => {
                self.session
                    .answer(request, Ok(SearchAnswer::Evaluate), now)
                    .expect("search pending");
            }
            Event::Store(request) => {
                self.log.push(format!(
                    "store {:?} {:?} {:?}",
                    request.uids(),
                    request.op(),
                    request.flags()
                ));
                let (op, flags, uids) = (
                    request.op(),
                    request.flags().to_vec(),
                    request.uids().clone(),
                );
                if let Some(f) = self.folder() {
                    for m in f.messages.iter_mut().filter(|m| uids.contains(m.uid)) {
                        match op {
                            StoreOp::Replace => m.flags = flags.clone(),
                            StoreOp::Add => {
                                for fl in &flags {
                                    if !m.flags.contains(fl) {
                                        m.flags.push(fl.clone());
                                    }
                                }
                            }
                            StoreOp::Remove => m.flags.retain(|x| !flags.contains(x)),
                        }
                    }
                }
                self.session
                    .answer(request, Ok(()), now)
                    .expect("store pending");
            }
            Event::Copy(request) => {
                let dest = request.destination().as_str().to_owned();
                self.log.push(format!(
                    "copy {:?} {dest} move={}",
                    request.uids(),
                    request.is_move()
                ));
                let answer = self.copy(
                    &request.uids().iter().collect::<Vec<_>>(),
                    &dest,
                    request.is_move(),
                );
                self.session
                    .answer(request, answer, now)
                    .expect("copy pending");
            }
            Event::Expunge(request) => {
                self.log.push(format!("expunge {:?}", request.uids()));
                let uids = request.uids().clone();
                let mut removed = Vec::new();
                if let Some(f) = self.folder() {
                    f.messages.retain(|m| {
                        let go = uids.contains(m.uid) && m.flags.contains(&Flag::Deleted);
                        if go {
                            removed.push(m.uid);
                        }
                        !go
                    });
                }
                self.session
                    .answer(request, Ok(removed), now)
                    .expect("expunge pending");
            }
            Event::Poll(request) => {
                // Every change is reported as it happens (`deliver`, `expunge_elsewhere`).
                self.log.push("poll".to_owned());
                self.session.answer(request, (), now).expect("poll pending");
            }
            Event::Closed(reason) => {
                self.log.push(format!("closed {reason:?}"));
                self.closed = Some(reason);
            }
            other => panic!("unexpected event {other:?}"),
        }
    }

    fn manage(&mut self, op: MailboxOp) -> Result<(), MailboxError> {
        let folders = &mut self.store.folders;
        match op {
            MailboxOp::Create(name) => {
                let name = name.as_str().to_owned();
                if folders.get(&name).is_some_and(|f| !f.noselect) {
                    return Err(MailboxError::AlreadyExists);
                }
                self.store.next_validity += 1;
                let v = 3857529045 - 100 + self.store.next_validity;
                self.store.folders.insert(name, Folder::new(v));
                Ok(())
            }
            MailboxOp::Delete(name) => {
                let name = name.as_str().to_owned();
                let has_children = folders.keys().any(|k| k.starts_with(&format!("{name}/")));
                match folders.get_mut(&name) {
                    None => Err(MailboxError::NonExistent),
                    Some(f) if has_children => {
                        // RFC 3501 §6.3.4: the mailbox loses its messages and becomes \Noselect.
                        f.messages.clear();
                        f.noselect = true;
                        Ok(())
                    }
                    Some(_) => {
                        folders.remove(&name);
                        Ok(())
                    }
                }
            }
            MailboxOp::Rename { from, to } => {
                let (from, to) = (from.as_str().to_owned(), to.as_str().to_owned());
                if folders.contains_key(&to) {
                    return Err(MailboxError::AlreadyExists);
                }
                if from == "INBOX" {
                    // RFC 3501 §6.3.5: INBOX's messages move; INBOX stays, empty.
                    let inbox = folders.get_mut("INBOX").ok_or(MailboxError::NonExistent)?;
                    let mut moved = inbox.clone();
                    inbox.messages.clear();
                    moved.uid_validity += 1000;
                    folders.insert(to, moved);
                    return Ok(());
                }
                let names: Vec<String> = folders
                    .keys()
                    .filter(|k| **k == from || k.starts_with(&format!("{from}/")))
                    .cloned()
                    .collect();
                if names.is_empty() {
                    return Err(MailboxError::NonExistent);
                }
                for n in names {
                    let f = folders.remove(&n).unwrap();
                    folders.insert(format!("{to}{}", &n[from.len()..]), f);
                }
                Ok(())
            }
            MailboxOp::Subscribe(name) => {
                let f = folders.entry(name.as_str().to_owned()).or_insert_with(|| {
                    let mut f = Folder::new(1);
                    f.noselect = true;
                    f
                });
                f.subscribed = true;
                Ok(())
            }
            MailboxOp::Unsubscribe(name) => match folders.get_mut(name.as_str()) {
                Some(f) => {
                    f.subscribed = false;
                    Ok(())
                }
                None => Err(MailboxError::NonExistent),
            },
            other => panic!("unexpected op {other:?}"),
        }
    }

    fn copy(&mut self, uids: &[u32], dest: &str, is_move: bool) -> Result<Copied, MailboxError> {
        let source = self.selected.clone().ok_or(MailboxError::NonExistent)?;
        if !self.store.folders.contains_key(dest) {
            return Err(MailboxError::NonExistent);
        }
        let picked: Vec<Message> = self.store.folders[&source]
            .messages
            .iter()
            .filter(|m| uids.contains(&m.uid))
            .cloned()
            .collect();
        let d = self.store.folders.get_mut(dest).unwrap();
        let (mut src, mut dst) = (Vec::new(), Vec::new());
        for mut m in picked {
            src.push(m.uid);
            m.uid = d.uid_next;
            d.uid_next += 1;
            m.recent = true;
            dst.push(m.uid);
            d.messages.push(m);
        }
        let validity = d.uid_validity;
        if is_move {
            let s = self.store.folders.get_mut(&source).unwrap();
            s.messages.retain(|m| !src.contains(&m.uid));
        }
        Ok(Copied::with_uids(validity, &src, &dst))
    }
}

/// Runs an RFC-style dialogue: `S:` lines are what the server must send, `C:` lines what
/// the client sends; leading spaces are ignored. Each client line's expected output is the
/// `S:` lines that follow it, compared byte for byte. An `S~` line compares only the tag
/// (or `*`) and the status word, for RFC examples whose human-readable text differs from
/// pobox's (RFC 3501 §7.1: the text is "human-readable" and not interpreted). A `C:` line
/// that ends a synchronizing literal's announcement is followed by the server's `+`.
pub fn converse(harness: &mut Harness, script: &str) {
    let mut steps: Vec<(Option<String>, Vec<String>)> = vec![(None, Vec::new())];
    for line in script.lines().map(str::trim_start) {
        if let Some(client) = line.strip_prefix("C:") {
            let client = client.trim_start();
            steps.push((Some(format!("{client}\r\n")), Vec::new()));
        } else if let Some(server) = line.strip_prefix("S:") {
            let server = server.trim_start();
            steps.last_mut().unwrap().1.push(server.to_owned());
        } else if let Some(server) = line.strip_prefix("S~") {
            steps
                .last_mut()
                .unwrap()
                .1
                .push(format!("~{}", server.trim_start()));
        } else {
            assert!(line.trim().is_empty(), "script line {line:?}");
        }
    }
    for (client, expected) in steps {
        let output = match &client {
            None => harness.output(),
            Some(line) => harness.feed(line.as_bytes()),
        };
        let output = String::from_utf8_lossy(&output).into_owned();
        let mut got = output.split_inclusive("\r\n");
        for want in &expected {
            let line = got.next().unwrap_or_default();
            match want.strip_prefix('~') {
                Some(status) => {
                    let head: Vec<&str> = status.splitn(3, ' ').take(2).collect();
                    let have: Vec<&str> = line.splitn(3, ' ').take(2).collect();
                    assert_eq!(have, head, "after {client:?}: {line:?} against ~{status}");
                }
                None => assert_eq!(line, format!("{want}\r\n"), "after {client:?}"),
            }
        }
        let rest: String = got.collect();
        assert_eq!(rest, "", "after {client:?}: unexpected output");
    }
}

/// Lines of `output`, for assertions.
pub fn lines(output: &str) -> Vec<&str> {
    output
        .split_inclusive("\r\n")
        .map(|l| l.trim_end_matches("\r\n"))
        .collect()
}
