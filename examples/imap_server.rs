//! An IMAP4rev1 server (RFC 3501) for real mailboxes, built on pobox: the classic Unix
//! imapd, with STARTTLS and implicit TLS, SASL, IDLE, UIDPLUS, MOVE and the rest of what
//! `pobox::imap::server` implements, on Maildir++ trees that Dovecot can serve too.
//!
//! ```text
//! cargo run --example imap_server                  # the demo: user demo, password demo
//! cargo run --example imap_server -- --help        # every option
//! cargo run --example imap_server -- --listen 0.0.0.0:143 --tls-listen 0.0.0.0:993 \
//!     --cert cert.pem --key key.pem --users /etc/pobox/users --mail 'maildir:/home/%u/Maildir'
//! ```
//!
//! From inetd, one process per connection on stdin/stdout (`/etc/inetd.conf`):
//!
//! ```text
//! imap stream tcp nowait root /usr/local/sbin/imap_server imap_server --inetd --users /etc/pobox/users --mail maildir:/home/%u/Maildir --log-file /var/log/pobox-imap.log
//! ```
//!
//! or systemd (`ListenStream=143`, `Accept=yes`, `StandardInput=socket`). Over SSH, as
//! mutt's `tunnel` runs it, the user is authenticated already:
//!
//! ```text
//! set tunnel = "ssh mail.example.org imap_server --inetd --preauth %u --mail maildir:/home/%u/Maildir"
//! ```
//!
//! Where to read:
//!
//! | file | what |
//! |------|------|
//! | this one | options, listeners, inetd mode, shutdown |
//! | [`connection`] | the host around `pobox::imap::server::Session`: what a program embedding pobox writes |
//! | [`storage`] | the answers that need storage: logins, mailboxes, messages, changes |
//! | `common/` | the store (Maildir++), the users file, TLS set-up, the connection driver, the demo |

#[path = "common/mod.rs"]
mod common;
#[path = "imap_server/connection.rs"]
mod connection;
#[path = "imap_server/storage.rs"]
mod storage;

use std::error::Error;
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clap::Parser;
use pobox::imap::server::{Config, Transport};
use pobox::sasl::Mechanism;
use tokio::net::TcpListener;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tracing::{Instrument, error, info, info_span, warn};

use common::demo::{self, Demo};
use common::driver::{self, Shutdown};
use common::mailstore::{self, MailStore};
use common::store::StoreKind;
use common::tls;
use common::users::Users;

/// An IMAP4rev1 server (RFC 3501) on Maildir++ mailboxes, built on pobox.
///
/// Without --users and --mail it serves a temporary copy of the bundled demo mail (user
/// demo, password demo). Every address it listens on is printed on stdout.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address for IMAP (port 143 style; STARTTLS is offered when --cert and --key are
    /// given). Repeatable. Port 0 picks a free port; each bound address is printed on
    /// stdout as "imap listening on ADDR".
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:1143")]
    listen: Vec<SocketAddr>,

    /// Address for IMAP over implicit TLS (port 993 style, RFC 8314); needs --cert and
    /// --key. Repeatable; printed as "imaps listening on ADDR".
    #[arg(long, value_name = "ADDR", requires = "cert")]
    tls_listen: Vec<SocketAddr>,

    /// TLS certificate chain, PEM, leaf first (for STARTTLS and --tls-listen).
    #[arg(long, value_name = "PEM", requires = "key")]
    cert: Option<PathBuf>,

    /// TLS private key, PEM (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "PEM", requires = "cert")]
    key: Option<PathBuf>,

    /// Users file in Dovecot's passwd-file format, "user:{SCHEME}password" with PLAIN,
    /// SHA512-CRYPT or ARGON2ID.
    #[arg(long, value_name = "FILE")]
    users: Option<PathBuf>,

    /// The mail: maildir:PATH, where %u stands for the user name (maildir:/home/%u/Maildir);
    /// a Maildir++ tree, folders as .Name directories.
    #[arg(long, value_name = "LOCATION")]
    mail: Option<String>,

    /// Serve exactly one session on stdin/stdout (inetd "nowait", systemd Accept=yes)
    /// instead of listening.
    #[arg(long, conflicts_with_all = ["listen", "tls_listen"])]
    inetd: bool,

    /// With --inetd: the user is authenticated already (an SSH tunnel); the session
    /// starts with `* PREAUTH` (RFC 3501 §7.1.4). Needs --mail.
    #[arg(long, value_name = "USER", requires_all = ["inetd", "mail"])]
    preauth: Option<String>,

    /// Offer AUTHENTICATE CRAM-MD5 (RFC 2195) besides PLAIN and LOGIN; {PLAIN} users only.
    #[arg(long)]
    cram_md5: bool,

    /// Allow LOGIN and AUTHENTICATE PLAIN/LOGIN without TLS on every address. By default
    /// they are allowed without TLS only on loopback addresses (and with --inetd, on a
    /// pipe or a loopback connection); elsewhere a client must use STARTTLS or
    /// --tls-listen first (RFC 3501 §6.2.3: LOGINDISABLED).
    #[arg(long)]
    allow_plaintext: bool,

    /// Refuse plaintext passwords without TLS everywhere, loopback included.
    #[arg(long, conflicts_with = "allow_plaintext")]
    require_tls: bool,

    /// Largest message APPEND accepts, in octets (announced as APPENDLIMIT, RFC 7889).
    /// Larger ones are refused with `NO [TOOBIG]` before their bytes are read; accepted
    /// ones stream to the store, so memory does not grow with the size.
    #[arg(long, value_name = "OCTETS", default_value_t = 64 * 1024 * 1024)]
    max_append: u32,

    /// Log level: error, warn, info (connections, logins), debug (session events), trace.
    #[arg(long, value_name = "LEVEL", default_value = "info")]
    log_level: tracing::Level,

    /// Append the log to FILE instead of stderr. With --inetd and no --log-file, nothing is
    /// logged when stderr is a socket.
    #[arg(long, value_name = "FILE")]
    log_file: Option<PathBuf>,
}

impl Args {
    /// Whether sessions on a transport allow plaintext passwords before TLS; `private`
    /// says nobody else can read the transport (loopback, a pipe).
    fn plaintext_allowed(&self, private: bool) -> bool {
        self.allow_plaintext || (private && !self.require_tls)
    }
}

/// What every connection shares.
pub struct Server {
    /// The users file.
    pub users: Users,
    /// Where the mail is.
    pub store: Arc<dyn MailStore>,
    /// For STARTTLS and implicit TLS, when --cert and --key are given.
    pub tls: Option<TlsAcceptor>,
}

/// For crash tests only: `POBOX_CRASH_AT=OP:N` kills the server (SIGKILL, as `kill -9`)
/// at the Nth file-system step of the store counted from the first step of operation OP
/// (`append`, `copy`, `expunge`, ...): tests/imap_server_hostile.rs loops N over every
/// step of an APPEND, an EXPUNGE and a MOVE and checks that no message is lost.
fn crash_hook() {
    static ARMED: std::sync::OnceLock<(String, usize)> = std::sync::OnceLock::new();
    static SEEN: AtomicU64 = AtomicU64::new(0);
    let Ok(spec) = std::env::var("POBOX_CRASH_AT") else {
        return;
    };
    let Some((op, n)) = spec
        .split_once(':')
        .and_then(|(op, n)| Some((op.to_owned(), n.parse().ok()?)))
    else {
        eprintln!("imap_server: POBOX_CRASH_AT must be OP:N");
        return;
    };
    let _ = ARMED.set((op, n));
    fn step(what: &'static str) {
        let Some((op, n)) = ARMED.get() else {
            return;
        };
        let seen = SEEN.load(Ordering::SeqCst);
        if seen == 0 && !what.starts_with(op.as_str()) {
            return;
        }
        if SEEN.fetch_add(1, Ordering::SeqCst) + 1 >= *n as u64 {
            let _ = rustix::process::kill_process(
                rustix::process::getpid(),
                rustix::process::Signal::KILL,
            );
        }
    }
    common::mailstore::set_step_hook(step);
}

fn main() -> ExitCode {
    crash_hook();
    let args = Args::parse();
    if let Err(e) = init_logging(&args) {
        eprintln!("imap_server: {e}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            error!(error = %e, "cannot start the runtime");
            return ExitCode::FAILURE;
        }
    };
    let (inetd, logs_to_file) = (args.inetd, args.log_file.is_some());
    let result = runtime.block_on(run(args));
    if inetd {
        // tokio reads stdin on a thread blocked in read(2), which cannot be cancelled.
        runtime.shutdown_background();
    } else {
        runtime.shutdown_timeout(Duration::from_secs(5));
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("{e}");
            if logs_to_file {
                eprintln!("imap_server: {e}");
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn Error>> {
    let mut signals = Signals::new()?;

    // The mail and its users: as given, or a private copy of the demo.
    let (location, users_file, demo) = match (&args.mail, &args.users) {
        (Some(mail), Some(users)) => (mail.clone(), Some(users.clone()), None),
        (Some(mail), None) if args.preauth.is_some() => (mail.clone(), None, None),
        (None, None) => {
            let demo = Demo::install(StoreKind::Maildir)?;
            (
                demo.store().to_string(),
                Some(demo.users_file().to_owned()),
                Some(demo),
            )
        }
        _ => return Err("--mail and --users go together (or --mail with --preauth)".into()),
    };
    let store = mailstore::open_location(&location).map_err(|e| format!("--mail: {e}"))?;
    let users = match &users_file {
        Some(path) => Users::load(path)?,
        None => Users::parse("")?,
    };
    let tls = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => {
            Some(TlsAcceptor::from(Arc::new(tls::server_config(cert, key)?)))
        }
        _ => None,
    };
    let starttls = tls.is_some();
    let delimiter = store.delimiter();
    let server = Arc::new(Server { users, store, tls });
    let (stop, shutdown) = watch::channel(false);

    if args.inetd {
        let stdio = driver::Stdio::open();
        let peer = inetd_peer();
        let private = peer.is_none_or(|peer| peer.ip().is_loopback());
        let config = session_config(&args, starttls, args.plaintext_allowed(private), delimiter)?;
        let span = match peer {
            Some(peer) => info_span!("conn", %peer),
            None => info_span!("conn", peer = "stdin"),
        };
        span.in_scope(|| info!("inetd session"));
        let session = connection::serve(
            stdio,
            Transport::Plain,
            config,
            server,
            args.preauth.clone(),
            shutdown,
        )
        .instrument(span);
        tokio::pin!(session);
        tokio::select! {
            () = &mut session => return Ok(()),
            name = signals.recv() => info!(signal = name, "shutting down"),
        }
        let _ = stop.send(true);
        session.await;
        return Ok(());
    }

    let mut listeners = Vec::new();
    for &address in &args.listen {
        let plaintext = args.plaintext_allowed(address.ip().is_loopback());
        let config = session_config(&args, starttls, plaintext, delimiter)?;
        listeners.push((bind(address, "imap").await?, None, config));
        info!(%address, starttls, plaintext_without_tls = plaintext, "IMAP");
    }
    for &address in &args.tls_listen {
        let acceptor = server
            .tls
            .clone()
            .ok_or("--tls-listen needs --cert and --key")?;
        let config = session_config(&args, false, true, delimiter)?;
        listeners.push((bind(address, "imaps").await?, Some(acceptor), config));
        info!(%address, "IMAP over TLS");
    }
    if let Some(demo) = &demo {
        let first = listeners.first().and_then(|(l, _, _)| l.local_addr().ok());
        println!(
            "demo mail: {} (a temporary copy of examples/demo, deleted at exit)",
            demo.store()
        );
        println!(
            "demo login: user {user}, password {password}{try_it}",
            user = demo::USER,
            password = demo::PASSWORD,
            try_it = first.map_or(String::new(), |a| format!(
                "; try: curl imap://{}:{}@{a}/INBOX;UID=1",
                demo::USER,
                demo::PASSWORD
            )),
        );
    }

    let mut accepting = JoinSet::new();
    for (listener, implicit_tls, config) in listeners {
        let (server, shutdown) = (Arc::clone(&server), shutdown.clone());
        accepting.spawn(accept_loop(
            listener,
            implicit_tls,
            config,
            server,
            shutdown,
        ));
    }

    let name = signals.recv().await;
    info!(signal = name, "shutting down: open sessions get * BYE");
    let _ = stop.send(true);
    tokio::select! {
        () = async { while accepting.join_next().await.is_some() {} } => {}
        name = signals.recv() => warn!(signal = name, "second signal: not waiting any longer"),
    }
    drop(demo);
    Ok(())
}

/// Binds a listener and prints its address (`imap listening on 127.0.0.1:1143`).
async fn bind(address: SocketAddr, scheme: &str) -> Result<TcpListener, Box<dyn Error>> {
    let listener = TcpListener::bind(address)
        .await
        .map_err(|e| format!("cannot listen on {address}: {e}"))?;
    println!("{scheme} listening on {}", listener.local_addr()?);
    Ok(listener)
}

/// Accepts connections until shutdown, one task each, then waits for them to end.
async fn accept_loop(
    listener: TcpListener,
    implicit_tls: Option<TlsAcceptor>,
    config: Arc<Config>,
    server: Arc<Server>,
    mut shutdown: Shutdown,
) {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    driver::accepted(&stream);
                    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
                    let span = info_span!("conn", id, %peer);
                    span.in_scope(|| info!(tls = implicit_tls.is_some(), "connection opened"));
                    let (config, server) = (Arc::clone(&config), Arc::clone(&server));
                    let shutdown = shutdown.clone();
                    match implicit_tls.clone() {
                        Some(acceptor) => connections.spawn(
                            connection::serve_implicit_tls(stream, acceptor, config, server, shutdown)
                                .instrument(span),
                        ),
                        None => connections.spawn(
                            connection::serve(stream, Transport::Plain, config, server, None, shutdown)
                                .instrument(span),
                        ),
                    };
                }
                Err(e) => {
                    warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(done) = connections.join_next() => {
                if let Err(e) = done {
                    error!(error = %e, "connection task failed");
                }
            }
            () = async { let _ = shutdown.wait_for(|&stop| stop).await; } => break,
        }
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

/// The session settings for one kind of listener.
fn session_config(
    args: &Args,
    starttls: bool,
    plaintext: bool,
    delimiter: char,
) -> Result<Arc<Config>, Box<dyn Error>> {
    let mut config = Config::default();
    config
        .starttls(starttls)
        .plaintext_auth_without_tls(plaintext)
        .delimiter(u8::try_from(delimiter).map_err(|_| "the store's delimiter is not ASCII")?)?;
    config.max_append(args.max_append);
    config.id(&[("name", "pobox"), ("version", env!("CARGO_PKG_VERSION"))])?;
    if args.cram_md5 {
        config.mechanisms(&[Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5]);
    }
    Ok(Arc::new(config))
}

/// The client's address when stdin is a TCP socket (inetd, systemd).
fn inetd_peer() -> Option<SocketAddr> {
    let stdin = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
    std::net::TcpStream::from(stdin).peer_addr().ok()
}

/// SIGINT and SIGTERM.
struct Signals {
    interrupt: Signal,
    terminate: Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
        }
    }
}

fn init_logging(args: &Args) -> Result<(), Box<dyn Error>> {
    let logs = tracing_subscriber::fmt()
        .with_max_level(args.log_level)
        .with_target(false);
    match &args.log_file {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("--log-file {}: {e}", path.display()))?;
            logs.with_writer(Arc::new(file)).init();
        }
        None if args.inetd && stderr_is_socket() => {}
        None => logs.with_writer(std::io::stderr).init(),
    }
    Ok(())
}

fn stderr_is_socket() -> bool {
    rustix::fs::fstat(std::io::stderr()).is_ok_and(|stat| {
        rustix::fs::FileType::from_raw_mode(stat.st_mode) == rustix::fs::FileType::Socket
    })
}
