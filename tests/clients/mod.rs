//! Harness for driving the example servers with real mail clients: a temporary
//! maildrop ([`Fixture`]), the server process ([`Server`]), client processes with a
//! timeout ([`run`]), and the message normalisations the comparisons need.
//!
//! No sleeps: the server prints its bound address on stdout and the harness waits for
//! that line (and, where a test needs to know the server noticed something, for a line
//! of its log). Every wait has a generous timeout and fails with the server's log.

// Each test crate that includes this module uses a different part of it.
#![allow(dead_code)]

use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, UNIX_EPOCH};

use crate::common::demo;
use crate::common::flags::Flags;
use crate::common::store::{Store, StoreKind};

/// The demo user of every fixture (its password is [`PASSWORD`]).
pub const USER: &str = "demo";
/// [`USER`]'s password, stored `{PLAIN}` so that APOP and CRAM-MD5 work.
pub const PASSWORD: &str = "demo";
/// A user with an `{ARGON2ID}` hash of [`HASHED_PASSWORD`] and an empty maildrop.
pub const HASHED_USER: &str = "alice";
/// [`HASHED_USER`]'s password.
pub const HASHED_PASSWORD: &str = "correct horse";
/// `echo -n 'correct horse' | argon2 poboxsalt16byte -id -t 2 -m 12 -p 1 -e`
const HASHED_ENTRY: &str = "{ARGON2ID}$argon2id$v=19$m=4096,t=2,p=1$cG9ib3hzYWx0MTZieXRl$dthR3OR3FTy+oNVTXzpyLq2PuwzLuWpGL+qTbLf/wOM";

/// Longest wait for the server to start or to log something.
const SERVER_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest run of one client command.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(180);

// ---- clients ------------------------------------------------------------------------

/// The path of a client program, or `None` (the test then returns early) when it is
/// missing and `POBOX_SKIP_MISSING_CLIENTS=1`. Without that variable a missing client
/// fails the test, naming the Debian package to install.
pub fn client(program: &str, package: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    });
    if found.is_some() {
        return found;
    }
    if std::env::var("POBOX_SKIP_MISSING_CLIENTS").as_deref() == Ok("1") {
        eprintln!("SKIPPED: {program} is not installed (Debian package {package})");
        return None;
    }
    panic!(
        "{program} not found in PATH: install the Debian package {package} \
         (apt-get install -y {package}; .ci/run does), or set \
         POBOX_SKIP_MISSING_CLIENTS=1 to skip the tests that need it"
    );
}

/// `tests/clients/NAME`: the helper scripts next to this file.
pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("clients")
        .join(name)
}

/// What a client run printed, and how it ended.
#[derive(Debug)]
pub struct Ran {
    /// What the command was, for messages.
    pub command: String,
    /// Its exit status.
    pub status: ExitStatus,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

impl Ran {
    /// Panics (showing all output) unless the exit code is `code`.
    pub fn expect_code(&self, code: i32) -> &Ran {
        assert_eq!(
            self.status.code(),
            Some(code),
            "{} exited with {}\n--- stdout\n{}\n--- stderr\n{}",
            self.command,
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Panics unless the run succeeded.
    pub fn expect_success(&self) -> &Ran {
        self.expect_code(0)
    }

    /// The value of the first `key: value` line on stdout.
    pub fn value(&self, key: &str) -> &str {
        let prefix = format!("{key}: ");
        self.stdout
            .lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {key:?} in the output of {}:\n{self:?}", self.command))
    }
}

/// Runs a client to completion, killing it after [`CLIENT_TIMEOUT`]. Standard input
/// is empty unless `command` says otherwise.
pub fn run(command: &mut Command) -> Ran {
    let description = format!("{command:?}");
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {description}: {e}"));
    let pid = child.id();
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output()));
    let output = match finished.recv_timeout(CLIENT_TIMEOUT) {
        Ok(output) => output.expect("waiting for a client"),
        Err(_) => {
            kill(pid, rustix::process::Signal::KILL);
            panic!("{description} did not finish within {CLIENT_TIMEOUT:?}");
        }
    };
    Ran {
        command: description,
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Python's poplib, driven by `tests/clients/poplib_client.py` (see its docstring).
pub fn poplib(address: SocketAddr, mode: &str, user: &str, password: &str) -> Option<Command> {
    let python = client("python3", "python3")?;
    let mut command = Command::new(python);
    command
        .arg(script("poplib_client.py"))
        .arg(address.ip().to_string())
        .arg(address.port().to_string())
        .args([mode, user, password]);
    Some(command)
}

fn kill(pid: u32, signal: rustix::process::Signal) {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .expect("a child's pid");
    let _ = rustix::process::kill_process(pid, signal);
}

/// Writes a file only its owner can read, as fetchmail and mpop demand of their
/// configuration (it holds a password).
pub fn write_private(path: &Path, contents: &str) {
    fs::write(path, contents).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
}

// ---- the maildrop ---------------------------------------------------------------------

/// A temporary maildrop for [`USER`] (the seven demo messages plus [`extra_messages`])
/// and [`HASHED_USER`] (empty), its users file, and room for client files.
pub struct Fixture {
    /// Everything lives in here.
    pub dir: tempfile::TempDir,
    /// Maildir or mbox.
    pub kind: StoreKind,
    /// The store, as the server opens it.
    pub store: Store,
    /// [`USER`]'s messages as delivered, in maildrop order.
    pub delivered: Vec<Vec<u8>>,
}

impl Fixture {
    /// A fresh maildrop of `kind`.
    pub fn new(kind: StoreKind) -> Fixture {
        let dir = tempfile::Builder::new()
            .prefix("pobox-clients-")
            .tempdir()
            .unwrap();
        let source = demo::source_dir();
        let template = match kind {
            StoreKind::Maildir => {
                let root = dir.path().join("maildir");
                demo::copy_maildir(&source.join("Maildir"), &root.join(USER)).unwrap();
                for sub in ["cur", "new", "tmp"] {
                    fs::create_dir_all(root.join(HASHED_USER).join(sub)).unwrap();
                }
                root.join("%u")
            }
            StoreKind::Mbox => {
                let root = dir.path().join("mbox");
                fs::create_dir_all(&root).unwrap();
                fs::copy(source.join("mbox").join(USER), root.join(USER)).unwrap();
                root.join("%u") // HASHED_USER has no spool: an empty maildrop
            }
        };
        let store = Store::new(kind, &template).unwrap();
        let mut delivered = demo_messages();
        for (i, message) in extra_messages().into_iter().enumerate() {
            let date = UNIX_EPOCH + Duration::from_secs(1_700_100_000 + 60 * i as u64);
            store
                .append(USER, &message, Flags::EMPTY, Some(date))
                .unwrap();
            delivered.push(message);
        }
        fs::write(
            dir.path().join("users"),
            format!("{USER}:{{PLAIN}}{PASSWORD}\n{HASHED_USER}:{HASHED_ENTRY}\n"),
        )
        .unwrap();
        Fixture {
            dir,
            kind,
            store,
            delivered,
        }
    }

    /// A path inside the fixture's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A new empty directory inside the fixture's directory.
    pub fn mkdir(&self, name: &str) -> PathBuf {
        let path = self.path(name);
        fs::create_dir_all(&path).unwrap();
        path
    }

    /// `--users FILE --mail LOCATION` for this fixture.
    pub fn server_args(&self) -> Vec<OsString> {
        vec![
            "--users".into(),
            self.path("users").into(),
            "--mail".into(),
            self.store.to_string().into(),
        ]
    }

    /// Starts the server on this maildrop on an ephemeral port, with `extra` options.
    pub fn start_server(&self, extra: &[&str]) -> Server {
        let mut args = self.server_args();
        args.extend(["--listen".into(), "127.0.0.1:0".into()]);
        args.extend(extra.iter().map(OsString::from));
        Server::start(args)
    }

    /// A self-signed certificate for 127.0.0.1 and localhost: `(cert.pem, key.pem)`.
    pub fn certificate(&self) -> (PathBuf, PathBuf) {
        crate::common::tls::self_signed(&["127.0.0.1", "localhost"])
            .unwrap()
            .write_to(self.dir.path())
            .unwrap()
    }

    /// [`USER`]'s messages now, read through the store (no session may be open).
    pub fn maildrop(&self) -> Vec<(String, Vec<u8>)> {
        let mailbox = self.store.open(USER).unwrap();
        (mailbox.messages().iter().enumerate())
            .map(|(i, m)| (m.uid.to_string(), mailbox.read(i).unwrap().to_vec()))
            .collect()
    }

    /// The file of a Maildir message by its unique id (the name up to the `:`).
    pub fn maildir_file(&self, uid: &str) -> Vec<u8> {
        assert_eq!(self.kind, StoreKind::Maildir);
        let root = self.path("maildir").join(USER);
        for sub in ["cur", "new"] {
            for entry in fs::read_dir(root.join(sub)).unwrap() {
                let entry = entry.unwrap();
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.split(':').next() == Some(uid) {
                    return fs::read(entry.path()).unwrap();
                }
            }
        }
        panic!("no Maildir file for {uid}");
    }
}

/// The bundled demo messages, in delivery order (their names start with the time).
pub fn demo_messages() -> Vec<Vec<u8>> {
    let new = demo::source_dir().join("Maildir").join("new");
    let mut names: Vec<PathBuf> = fs::read_dir(new)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    names.iter().map(|p| fs::read(p).unwrap()).collect()
}

/// Messages with the edge cases clients trip over, delivered after the demo's: CRLF
/// line ends, no final line end, an empty body, and a large body (over pobox's 256 KiB
/// output high-water mark) that is mostly lines starting with a dot.
pub fn extra_messages() -> Vec<Vec<u8>> {
    let mut large = b"From: bulk@example.org\nSubject: many dotted lines\n\n".to_vec();
    for i in 0..12_000 {
        if i % 2 == 0 {
            large.extend_from_slice(format!(".{i:05} a line that starts with a dot\n").as_bytes());
        } else {
            large.extend_from_slice(format!("{i:05} and one that does not\n").as_bytes());
        }
    }
    vec![
        b"From: crlf@example.org\r\nSubject: CRLF line ends\r\n\r\nstored with CRLF\r\n.and a dot\r\n"
            .to_vec(),
        b"From: nolf@example.org\nSubject: no final line end\n\nthe last line has no LF".to_vec(),
        b"From: empty@example.org\nSubject: empty body\n\n".to_vec(),
        large,
    ]
}

/// A message as POP3 sends it (RFC 1939 §3), before byte-stuffing: every bare LF as
/// CRLF, and a final CRLF when the message does not end with a line end.
pub fn crlf(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 32);
    for (i, &b) in message.iter().enumerate() {
        if b == b'\n' && (i == 0 || message[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// What `TOP n lines` returns for `message` (RFC 1939 §7): the header, the empty line,
/// and the first `lines` lines of the body, CRLF-normalised.
pub fn top(message: &[u8], lines: usize) -> Vec<u8> {
    let message = crlf(message);
    let split = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(message.len(), |p| p + 4);
    let (header, body) = message.split_at(split);
    let mut out = header.to_vec();
    for line in body.split_inclusive(|&b| b == b'\n').take(lines) {
        out.extend_from_slice(line);
    }
    out
}

/// `message` with LF line ends (what fetchmail and mpop hand an MDA).
pub fn lf(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len());
    for (i, &b) in message.iter().enumerate() {
        if !(b == b'\r' && message.get(i + 1) == Some(&b'\n')) {
            out.push(b);
        }
    }
    out
}

/// The messages an MDA script (`tests/clients/mda.sh`) stored in `dir`.
pub fn delivered_to(dir: &Path) -> Vec<Vec<u8>> {
    let mut messages: Vec<Vec<u8>> = fs::read_dir(dir)
        .unwrap()
        .map(|e| fs::read(e.unwrap().path()).unwrap())
        .collect();
    messages.sort();
    messages
}

/// `messages`, LF-normalised with a final LF, sorted: to compare with [`delivered_to`].
pub fn as_delivered(messages: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = messages.iter().map(|m| lf(&crlf(m))).collect();
    out.sort();
    out
}

// ---- the server -------------------------------------------------------------------------

/// The `pop3_server` example.
pub fn server_binary() -> PathBuf {
    example_binary("pop3_server")
}

/// An example server binary, next to the test binaries (target/debug/examples/NAME),
/// built once per test process with the same cargo and profile: `cargo test` builds the
/// examples, but `cargo test --all-targets` builds them as tests instead, and
/// `cargo test --test NAME` not at all (a stale binary would be tested).
pub fn example_binary(name: &str) -> PathBuf {
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let exe = std::env::current_exe().unwrap();
    // target/debug/deps/pop3_clients-HASH -> target/debug/examples/pop3_server
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_owned();
    let binary = profile_dir.join("examples").join(name);
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    if !built.iter().any(|b| b == name) {
        built.push(name.to_owned());
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = Command::new(cargo);
        build
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "--example", name]);
        // The variables cargo sets for the test binary, not for a cargo it starts: ring's
        // and rustls's build scripts watch CARGO_MANIFEST_DIR, so with them set this
        // build, and the next `cargo test` after it, rebuilt ring and everything above it.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            let set_for_tests = key.starts_with("CARGO_PKG_")
                || [
                    "CARGO_MANIFEST_DIR",
                    "CARGO_MANIFEST_PATH",
                    "CARGO_PRIMARY_PACKAGE",
                    "CARGO_CRATE_NAME",
                    "CARGO_BIN_NAME",
                    "CARGO_TARGET_TMPDIR",
                ]
                .contains(&key.as_ref());
            if set_for_tests {
                build.env_remove(key.as_ref());
            }
        }
        if profile_dir.file_name().is_some_and(|p| p == "release") {
            build.arg("--release");
        }
        if let Some(target_dir) = profile_dir.parent() {
            build.arg("--target-dir").arg(target_dir);
        }
        let status = build.status().expect("running cargo build --example");
        assert!(status.success(), "cargo build --example {name} failed");
    }
    assert!(
        binary.is_file(),
        "{} is missing after cargo build",
        binary.display()
    );
    binary
}

/// Lines a process wrote on one stream, as they arrive.
#[derive(Default)]
struct Lines {
    state: Mutex<(Vec<String>, bool)>,
    changed: Condvar,
}

impl Lines {
    /// Collects `stream` line by line on a thread until it closes.
    fn collect(stream: impl Read + Send + 'static) -> Arc<Lines> {
        let lines = Arc::new(Lines::default());
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                sink.state.lock().unwrap().0.push(line);
                sink.changed.notify_all();
            }
            sink.state.lock().unwrap().1 = true;
            sink.changed.notify_all();
        });
        lines
    }

    /// Waits until `count` lines contain `needle`; returns the last of them.
    fn wait_for(&self, needle: &str, count: usize) -> Result<String, String> {
        let deadline = Instant::now() + SERVER_TIMEOUT;
        let mut state = self.state.lock().unwrap();
        loop {
            let found: Vec<&String> = state.0.iter().filter(|l| l.contains(needle)).collect();
            if found.len() >= count {
                return Ok(found[count - 1].clone());
            }
            if state.1 {
                return Err(format!("the stream closed before {count} x {needle:?}"));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!("no {count} x {needle:?} within {SERVER_TIMEOUT:?}"));
            }
            state = self.changed.wait_timeout(state, left).unwrap().0;
        }
    }

    fn text(&self) -> String {
        self.state.lock().unwrap().0.join("\n")
    }
}

/// A running example server (`pop3_server`, `imap_server`); killed when dropped. A
/// failing test prints its log.
pub struct Server {
    child: Child,
    name: &'static str,
    /// The plain address it listens on (`--listen`), when it listens.
    pub pop3: Option<SocketAddr>,
    /// The implicit-TLS address (`--tls-listen`), when given.
    pub pop3s: Option<SocketAddr>,
    stdout: Arc<Lines>,
    log: Arc<Lines>,
}

impl Server {
    /// Starts `pop3_server` with `args` and waits for the addresses it prints.
    pub fn start(args: Vec<OsString>) -> Server {
        Server::start_example("pop3_server", "pop3", args)
    }

    /// Starts the example `name` with `args` and waits for the addresses it prints
    /// (`SCHEME listening on ADDR`, `SCHEMEs listening on ADDR`).
    pub fn start_example(name: &'static str, scheme: &str, args: Vec<OsString>) -> Server {
        let tls = args.iter().any(|a| a == "--tls-listen");
        let mut child = Command::new(example_binary(name))
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name}: {e}"));
        let stdout = Lines::collect(child.stdout.take().unwrap());
        let log = Lines::collect(child.stderr.take().unwrap());
        let mut server = Server {
            child,
            name,
            pop3: None,
            pop3s: None,
            stdout,
            log,
        };
        server.pop3 = Some(server.address(&format!("{scheme} listening on ")));
        if tls {
            server.pop3s = Some(server.address(&format!("{scheme}s listening on ")));
        }
        server
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the server at once (SIGKILL) and waits for it: for crash tests.
    pub fn kill_now(&mut self) {
        kill(self.child.id(), rustix::process::Signal::KILL);
        let _ = self.child.wait();
    }

    fn address(&self, prefix: &str) -> SocketAddr {
        let line = self.wait_stdout(prefix);
        let address = line
            .strip_prefix(prefix)
            .and_then(|rest| rest.split(' ').next());
        address
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("unexpected line {line:?}"))
    }

    /// The plain POP3 address.
    pub fn addr(&self) -> SocketAddr {
        self.pop3.expect("the server listens for POP3")
    }

    /// Waits for a line on the server's stdout containing `needle`.
    pub fn wait_stdout(&self, needle: &str) -> String {
        self.stdout
            .wait_for(needle, 1)
            .unwrap_or_else(|e| panic!("server stdout: {e}\n--- log\n{}", self.log.text()))
    }

    /// Waits until `count` log lines contain `needle`: the server has done something.
    pub fn wait_log(&self, needle: &str, count: usize) -> String {
        self.log
            .wait_for(needle, count)
            .unwrap_or_else(|e| panic!("server log: {e}\n--- log\n{}", self.log.text()))
    }

    /// The log so far.
    pub fn log(&self) -> String {
        self.log.text()
    }

    /// Sends SIGTERM and waits for the server to exit.
    pub fn terminate(&mut self) -> ExitStatus {
        kill(self.child.id(), rustix::process::Signal::TERM);
        let deadline = Instant::now() + SERVER_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit after SIGTERM\n--- log\n{}",
                self.log.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- {} log\n{}", self.name, self.log.text());
        }
    }
}

/// `pop3_server --inetd` on the fixture's maildrop, with `extra` options.
pub fn inetd_command(fixture: &Fixture, extra: &[&str]) -> Command {
    let mut command = Command::new(server_binary());
    command
        .arg("--inetd")
        .args(fixture.server_args())
        .args(extra);
    command
}

/// A process talked to through pipes: a server in `--inetd` mode, or a client that
/// waits for the test between steps.
pub struct Interactive {
    child: Child,
    stdin: Option<ChildStdin>,
    /// Its stdout line by line; `None` when the raw bytes are collected at the end.
    lines: Option<Arc<Lines>>,
}

impl Interactive {
    /// Starts `command`; with `by_line`, its stdout is read as it comes
    /// ([`Interactive::wait_line`]), else collected by [`Interactive::finish`].
    pub fn spawn(command: &mut Command, by_line: bool) -> Interactive {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let stdin = child.stdin.take();
        let lines = by_line.then(|| Lines::collect(child.stdout.take().unwrap()));
        Interactive {
            child,
            stdin,
            lines,
        }
    }

    /// Writes `text` to its stdin.
    pub fn send(&mut self, text: &str) {
        use std::io::Write;
        let stdin = self.stdin.as_mut().expect("stdin still open");
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Waits for a line of its stdout containing `needle`.
    pub fn wait_line(&self, needle: &str) -> String {
        let lines = self.lines.as_ref().expect("spawned with by_line");
        lines
            .wait_for(needle, 1)
            .unwrap_or_else(|e| panic!("{e}\n--- stdout so far\n{}", lines.text()))
    }

    /// Closes its stdin and waits for it to exit: the status, its stdout (only what
    /// was not read by line) and its stderr.
    pub fn finish(mut self) -> (ExitStatus, Vec<u8>, String) {
        drop(self.stdin.take());
        let pid = self.child.id();
        let (done, finished) = mpsc::channel();
        std::thread::spawn(move || done.send(self.child.wait_with_output()));
        let output = match finished.recv_timeout(CLIENT_TIMEOUT) {
            Ok(output) => output.unwrap(),
            Err(_) => {
                kill(pid, rustix::process::Signal::KILL);
                panic!("process {pid} did not exit within {CLIENT_TIMEOUT:?}");
            }
        };
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status, output.stdout, stderr)
    }
}
