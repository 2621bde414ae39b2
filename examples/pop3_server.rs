//! A POP3 server (RFC 1939) for real mailboxes, built on pobox: the classic Unix pop3d,
//! with STLS and implicit TLS, APOP, SASL, Maildir and mbox spools.
//!
//! ```text
//! cargo run --example pop3_server                  # the demo: user demo, password demo
//! cargo run --example pop3_server -- --help        # every option
//! cargo run --example pop3_server -- --listen 0.0.0.0:110 --tls-listen 0.0.0.0:995 \
//!     --cert cert.pem --key key.pem --users /etc/pobox/users --mail 'mbox:/var/mail/%u'
//! ```
//!
//! From inetd, one process per connection on stdin/stdout (`/etc/inetd.conf`):
//!
//! ```text
//! pop3 stream tcp nowait root /usr/local/sbin/pop3_server pop3_server --inetd --users /etc/pobox/users --mail mbox:/var/mail/%u --log-file /var/log/pobox.log
//! ```
//!
//! or systemd: a `pobox-pop3.socket` with `ListenStream=110` and `Accept=yes`, and a
//! `pobox-pop3@.service` with `ExecStart=/usr/local/sbin/pop3_server --inetd ...`,
//! `StandardInput=socket`, `StandardOutput=socket` and `StandardError=journal`.
//!
//! The server keeps the user ids it is started with: run it as a user that may read
//! and write the maildrops (root or group `mail` for `/var/mail`).
//!
//! Where to read:
//!
//! | file | what |
//! |------|------|
//! | this one | options, listeners, inetd mode, shutdown |
//! | [`connection`] | the POP3 host around `pobox::pop3::server::Session`: what a program embedding pobox writes |
//! | [`storage`] | the answers that need the disk: login check, maildrop, message bytes, deletions |
//! | `common/` | the connection driver (I/O loop), Maildir and mbox stores, the users file, TLS set-up, the demo mailbox |

#[path = "common/mod.rs"]
mod common;
#[path = "pop3_server/connection.rs"]
mod connection;
#[path = "pop3_server/storage.rs"]
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
use pobox::pop3::server::{Config, Transport};
use pobox::sasl::Mechanism;
use tokio::net::TcpListener;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tracing::{Instrument, error, info, info_span, warn};

use common::demo::{self, Demo};
use common::driver::{self, Shutdown, Stdio};
use common::store::{Store, StoreKind};
use common::tls;
use common::users::Users;

/// A POP3 server (RFC 1939) on Maildir or mbox mailboxes, built on pobox.
///
/// Without --users and --mail it serves a temporary copy of the bundled demo mailbox
/// (user demo, password demo). Every address it listens on is printed on stdout.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address for POP3 (port 110 style; STLS is offered when --cert and --key are
    /// given). Repeatable. Port 0 picks a free port; each bound address is printed on
    /// stdout as "pop3 listening on ADDR".
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:1110")]
    listen: Vec<SocketAddr>,

    /// Address for POP3 over implicit TLS (port 995 style, RFC 8314); needs --cert and
    /// --key. Repeatable; printed as "pop3s listening on ADDR".
    #[arg(long, value_name = "ADDR", requires = "cert")]
    tls_listen: Vec<SocketAddr>,

    /// TLS certificate chain, PEM, leaf first (for STLS and --tls-listen).
    #[arg(long, value_name = "PEM", requires = "key")]
    cert: Option<PathBuf>,

    /// TLS private key, PEM (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "PEM", requires = "cert")]
    key: Option<PathBuf>,

    /// Users file in Dovecot's passwd-file format, "user:{SCHEME}password" with PLAIN,
    /// SHA512-CRYPT or ARGON2ID.
    #[arg(long, value_name = "FILE", requires = "mail")]
    users: Option<PathBuf>,

    /// The maildrops: maildir:PATH or mbox:PATH, where %u stands for the user name
    /// (maildir:/home/%u/Maildir, mbox:/var/mail/%u).
    #[arg(long, value_name = "LOCATION", requires = "users")]
    mail: Option<Store>,

    /// Serve exactly one session on stdin/stdout (inetd "nowait", systemd Accept=yes)
    /// instead of listening.
    #[arg(long, conflicts_with_all = ["listen", "tls_listen"])]
    inetd: bool,

    /// Offer APOP (RFC 1939 §7): the greeting carries a timestamp. Only users with a
    /// {PLAIN} password can use it.
    #[arg(long)]
    apop: bool,

    /// Offer AUTH CRAM-MD5 (RFC 2195) besides PLAIN and LOGIN; {PLAIN} users only.
    #[arg(long)]
    cram_md5: bool,

    /// Host name for the APOP timestamp, CRAM-MD5 challenges and the QUIT reply
    /// [default: the system's host name].
    #[arg(long, value_name = "NAME")]
    hostname: Option<String>,

    /// Allow USER/PASS and AUTH PLAIN/LOGIN without TLS on every address. By default
    /// they are allowed without TLS only on loopback addresses (and with --inetd, on a
    /// pipe or a loopback connection), where nobody can listen in; elsewhere a client
    /// must use STLS or --tls-listen first (RFC 5034 §4).
    #[arg(long)]
    allow_plaintext: bool,

    /// Refuse plaintext passwords without TLS everywhere, loopback included.
    #[arg(long, conflicts_with = "allow_plaintext")]
    require_tls: bool,

    /// Log level: error, warn, info (connections, logins), debug (session events), trace.
    #[arg(long, value_name = "LEVEL", default_value = "info")]
    log_level: tracing::Level,

    /// Append the log to FILE instead of stderr. With --inetd and no --log-file,
    /// nothing is logged when stderr is a socket (inetd hands the connection over as
    /// stdin, stdout and stderr alike).
    #[arg(long, value_name = "FILE")]
    log_file: Option<PathBuf>,
}

impl Args {
    /// Whether sessions on a transport allow plaintext passwords before TLS;
    /// `private` says nobody else can read the transport (loopback, a pipe).
    fn plaintext_allowed(&self, private: bool) -> bool {
        self.allow_plaintext || (private && !self.require_tls)
    }
}

/// What every connection shares.
pub struct Server {
    /// The users file.
    pub users: Users,
    /// Where the maildrops are.
    pub store: Store,
    /// For STLS and implicit TLS, when --cert and --key are given.
    pub tls: Option<TlsAcceptor>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(e) = init_logging(&args) {
        eprintln!("pop3_server: {e}");
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
        // tokio reads stdin on a thread blocked in read(2), which cannot be cancelled:
        // do not wait for it, or the client would wait for our end of the connection.
        runtime.shutdown_background();
    } else {
        // Storage work a session gave up on (its host timeout) may still be running.
        runtime.shutdown_timeout(Duration::from_secs(5));
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("{e}");
            if logs_to_file {
                eprintln!("pop3_server: {e}");
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn Error>> {
    // Handlers first, so that a signal right after start-up already shuts down cleanly.
    let mut signals = Signals::new()?;

    // The mail and its users: as given, or a private copy of the demo.
    let (store, users_file, demo) = match (&args.mail, &args.users) {
        (Some(store), Some(users)) => (store.clone(), users.clone(), None),
        _ => {
            let demo = Demo::install(StoreKind::Maildir)?;
            (
                demo.store().clone(),
                demo.users_file().to_owned(),
                Some(demo),
            )
        }
    };
    let users = Users::load(&users_file)?;
    let tls = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => {
            Some(TlsAcceptor::from(Arc::new(tls::server_config(cert, key)?)))
        }
        _ => None,
    };
    let hostname = hostname(&args);
    let stls = tls.is_some();
    let server = Arc::new(Server { users, store, tls });
    let (stop, shutdown) = watch::channel(false);

    if args.inetd {
        let peer = inetd_peer();
        let private = peer.is_none_or(|peer| peer.ip().is_loopback());
        let config = session_config(&args, &hostname, stls, args.plaintext_allowed(private))?;
        let span = match peer {
            Some(peer) => info_span!("conn", %peer),
            None => info_span!("conn", peer = "stdin"),
        };
        span.in_scope(|| info!("inetd session"));
        // One socket on stdin and stdout (inetd, systemd), or two pipes.
        let stdio = Stdio::open();
        let session =
            connection::serve(stdio, Transport::Plain, config, server, shutdown).instrument(span);
        tokio::pin!(session);
        tokio::select! {
            () = &mut session => return Ok(()),
            name = signals.recv() => info!(signal = name, "shutting down without UPDATE"),
        }
        let _ = stop.send(true);
        session.await;
        return Ok(());
    }

    // Bind everything first: a port that cannot be had is an error at start-up.
    let mut listeners = Vec::new();
    for &address in &args.listen {
        let plaintext = args.plaintext_allowed(address.ip().is_loopback());
        let config = session_config(&args, &hostname, stls, plaintext)?;
        listeners.push((bind(address, "pop3").await?, None, config));
        info!(%address, stls, plaintext_without_tls = plaintext, "POP3");
    }
    for &address in &args.tls_listen {
        let acceptor = server
            .tls
            .clone()
            .ok_or("--tls-listen needs --cert and --key")?;
        // Plaintext passwords are fine inside TLS; STLS is not offered there.
        let config = session_config(&args, &hostname, false, true)?;
        listeners.push((bind(address, "pop3s").await?, Some(acceptor), config));
        info!(%address, "POP3 over TLS");
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
                "; try: curl pop3://{}:{}@{a}/1",
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
    info!(
        signal = name,
        "shutting down: open sessions end without UPDATE"
    );
    let _ = stop.send(true);
    tokio::select! {
        () = async { while accepting.join_next().await.is_some() {} } => {}
        name = signals.recv() => warn!(signal = name, "second signal: not waiting any longer"),
    }
    drop(demo); // removes the temporary copy
    Ok(())
}

/// Binds a listener and prints its address (`pop3 listening on 127.0.0.1:1110`).
async fn bind(address: SocketAddr, scheme: &str) -> Result<TcpListener, Box<dyn Error>> {
    let listener = TcpListener::bind(address)
        .await
        .map_err(|e| format!("cannot listen on {address}: {e}"))?;
    println!("{scheme} listening on {}", listener.local_addr()?);
    Ok(listener)
}

/// Accepts connections until shutdown, one task each, then waits for them to end.
/// With `implicit_tls`, every connection starts with a TLS handshake.
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
                            connection::serve(stream, Transport::Plain, config, server, shutdown)
                                .instrument(span),
                        ),
                    };
                }
                Err(e) => {
                    // Out of file descriptors, say: back off rather than spin.
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
    hostname: &str,
    stls: bool,
    plaintext: bool,
) -> Result<Arc<Config>, Box<dyn Error>> {
    let mut config = Config::default();
    config
        .hostname(hostname)
        .map_err(|e| format!("--hostname {hostname:?}: {e}"))?
        .apop(args.apop)
        .stls(stls)
        .plaintext_auth_without_tls(plaintext);
    if args.cram_md5 {
        config.mechanisms(&[Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5]);
    }
    Ok(Arc::new(config))
}

/// --hostname, or the system's host name when pobox accepts it, or `localhost`.
fn hostname(args: &Args) -> String {
    if let Some(name) = &args.hostname {
        return name.clone(); // checked by session_config
    }
    let system = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned();
    if Config::default().hostname(&system).is_ok() {
        system
    } else {
        warn!(system, "system host name unusable in POP3; using localhost");
        "localhost".to_owned()
    }
}

/// The client's address when stdin is a TCP socket (inetd, systemd); `None` for a
/// pipe or a socket whose peer cannot be told.
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

    /// Waits for the next signal and names it.
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
        None if args.inetd && stderr_is_socket() => {} // stderr is the client
        None => logs.with_writer(std::io::stderr).init(),
    }
    Ok(())
}

fn stderr_is_socket() -> bool {
    rustix::fs::fstat(std::io::stderr()).is_ok_and(|stat| {
        rustix::fs::FileType::from_raw_mode(stat.st_mode) == rustix::fs::FileType::Socket
    })
}
