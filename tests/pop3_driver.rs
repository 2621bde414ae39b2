//! `examples/pop3_server` on the shared connection driver, over real sockets: a large
//! message with pipelined commands byte for byte, inetd mode on a TCP socket (the
//! socket itself, with TCP_NODELAY), and STLS with a command injected after it
//! (CVE-2011-0411). The in-process tests of the driver are in `tests/driver.rs`.
mod clients;
#[path = "../examples/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::process::{Command, Stdio};
use std::sync::Arc;

use clients::{Fixture, PASSWORD, USER, crlf, server_binary};
use common::flags::Flags;
use common::store::StoreKind;
use common::tls;

/// What RETR sends of `message`: CRLF line ends, dot-stuffed, terminated.
fn stuffed(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in crlf(message).split_inclusive(|&b| b == b'\n') {
        if line.first() == Some(&b'.') {
            out.push(b'.');
        }
        out.extend_from_slice(line);
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// About 3 MB stored with bare LFs: short lines, dot lines, and runs longer than the
/// driver copies (they go out by reference).
fn large_message() -> Vec<u8> {
    let mut m = b"From: a@example.org\nSubject: large\n\n".to_vec();
    let mut i = 0;
    while m.len() < 3_000_000 {
        match i % 4 {
            0 => m.extend_from_slice(b".a dot line\n"),
            1 => {
                m.extend_from_slice(&[b'L'; 5000]);
                m.push(b'\n');
            }
            _ => m.extend_from_slice(format!("line {i}\n").as_bytes()),
        }
        i += 1;
    }
    m
}

fn read_line(reader: &mut impl BufRead) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    line
}

/// A 3 MB message RETR'd twice in one pipelined burst arrives byte for byte, between
/// the other replies, in order.
#[test]
fn a_large_message_and_pipelined_commands_over_tcp() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let message = large_message();
    fixture
        .store
        .append(USER, &message, Flags::EMPTY, None)
        .unwrap();
    let n = fixture.delivered.len() + 1;
    let server = fixture.start_server(&[]);
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    let commands =
        format!("USER {USER}\r\nPASS {PASSWORD}\r\nRETR {n}\r\nNOOP\r\nRETR {n}\r\nQUIT\r\n");
    stream.write_all(commands.as_bytes()).unwrap();
    let mut all = Vec::new();
    stream.read_to_end(&mut all).unwrap();
    let body = stuffed(&message);
    let text = String::from_utf8_lossy(&all);
    let size = crlf(&message).len();
    let status = format!("+OK {size} octets\r\n");
    let first = text.find(&status).unwrap() + status.len();
    assert!(all[first..first + body.len()] == body[..], "first RETR");
    let after = &text[first + body.len()..];
    assert!(after.starts_with("+OK\r\n"), "NOOP: {}", &after[..40]);
    let second = first + body.len() + "+OK\r\n".len() + status.len();
    assert_eq!(&text[second - status.len()..second], status);
    assert!(all[second..second + body.len()] == body[..], "second RETR");
    assert!(text[second + body.len()..].starts_with("+OK "), "QUIT");
}

/// inetd and systemd hand the server one TCP socket as stdin and stdout: the driver uses
/// it as a socket (TCP_NODELAY set, vectored writes), and the session works as usual.
#[test]
fn inetd_mode_on_a_tcp_socket_uses_the_socket() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (socket, _) = listener.accept().unwrap();
    let ours = socket.try_clone().unwrap(); // the same socket, to look at its options
    assert!(!ours.nodelay().unwrap());
    let stdin = OwnedFd::from(socket.try_clone().unwrap());
    let mut child = Command::new(server_binary())
        .arg("--inetd")
        .args(fixture.server_args())
        .stdin(Stdio::from(stdin))
        .stdout(Stdio::from(OwnedFd::from(socket)))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let greeting = read_line(&mut reader);
    assert!(greeting.starts_with("+OK"), "{greeting}");
    assert!(ours.nodelay().unwrap(), "TCP_NODELAY on the inetd socket");
    drop(ours);
    let mut writer = client;
    writer
        .write_all(format!("USER {USER}\r\nPASS {PASSWORD}\r\nRETR 1\r\nQUIT\r\n").as_bytes())
        .unwrap();
    let mut all = Vec::new();
    reader.read_to_end(&mut all).unwrap();
    let body = stuffed(&fixture.delivered[0]);
    assert!(
        all.windows(body.len()).any(|w| w == body),
        "{}",
        String::from_utf8_lossy(&all)
    );
    assert!(String::from_utf8_lossy(&all).contains("signing off"));
    let status = child.wait().unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(status.success(), "{status}\n{log}");
}

/// STLS with USER and PASS sent in plaintext right behind it, in one segment: the
/// session discards them (RFC 2595 §4, CVE-2011-0411), the handshake runs, and inside
/// TLS the client is still not logged in.
#[test]
fn stls_over_tcp_discards_commands_sent_behind_it() {
    let fixture = Fixture::new(StoreKind::Maildir);
    let cert = tls::self_signed(&["127.0.0.1", "localhost"]).unwrap();
    let (cert_file, key_file) = cert.write_to(fixture.dir.path()).unwrap();
    let server = fixture.start_server(&[
        "--cert",
        cert_file.to_str().unwrap(),
        "--key",
        key_file.to_str().unwrap(),
    ]);
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    assert!(read_line(&mut reader).starts_with("+OK"));
    stream
        .write_all(format!("STLS\r\nUSER {USER}\r\nPASS {PASSWORD}\r\n").as_bytes())
        .unwrap();
    let reply = read_line(&mut reader);
    assert!(reply.starts_with("+OK"), "{reply}");
    assert!(
        reader.buffer().is_empty(),
        "plaintext after +OK: {:?}",
        reader.buffer()
    );
    drop(reader);
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let connection =
        rustls::ClientConnection::new(Arc::new(cert.client_config().unwrap()), name).unwrap();
    let mut tls = rustls::StreamOwned::new(connection, stream);
    tls.write_all(b"STAT\r\nQUIT\r\n").unwrap();
    let mut inside = String::new();
    let _ = tls.read_to_string(&mut inside); // the server may close without close_notify
    let mut lines = inside.lines();
    let stat = lines.next().unwrap_or_default();
    assert!(
        stat.starts_with("-ERR"),
        "STAT after the injected login: {inside}"
    );
    assert!(
        lines.next().unwrap_or_default().starts_with("+OK"),
        "{inside}"
    );
}

/// The server reads messages ahead of the client; whatever order the client asks in
/// (down, up, TOP then RETR of the same message, a jump), each answer is the message
/// asked for.
#[test]
fn retr_and_top_in_any_order_answer_the_message_asked_for() {
    let fixture = Fixture::new(StoreKind::Maildir);
    for i in 0..20 {
        let message = format!("Subject: extra {i}\n\n{}\n", "body line\n".repeat(i * 50));
        fixture
            .store
            .append(USER, message.as_bytes(), Flags::EMPTY, None)
            .unwrap();
    }
    let messages = fixture.maildrop();
    let count = messages.len();
    let mut order: Vec<(&str, usize)> = Vec::new();
    order.extend((1..=count).rev().map(|n| ("RETR", n)));
    for n in 1..=count {
        order.push(("TOP", n));
        order.push(("RETR", n));
    }
    order.extend([("RETR", 3), ("RETR", count), ("RETR", 1), ("RETR", 2)]);
    let server = fixture.start_server(&[]);
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    let mut commands = format!("USER {USER}\r\nPASS {PASSWORD}\r\n");
    for (command, n) in &order {
        match *command {
            "TOP" => commands.push_str(&format!("TOP {n} 0\r\n")),
            _ => commands.push_str(&format!("RETR {n}\r\n")),
        }
    }
    commands.push_str("QUIT\r\n");
    stream.write_all(commands.as_bytes()).unwrap();
    let mut reader = BufReader::new(stream);
    for _ in 0..3 {
        assert!(read_line(&mut reader).starts_with("+OK")); // greeting, USER, PASS
    }
    for (command, n) in order {
        let status = read_line(&mut reader);
        assert!(status.starts_with("+OK"), "{command} {n}: {status}");
        let mut body = Vec::new();
        loop {
            let mut line = Vec::new();
            reader.read_until(b'\n', &mut line).unwrap();
            body.extend_from_slice(&line);
            if line == b".\r\n" {
                break;
            }
        }
        let message = &messages[n - 1].1;
        let expected = match command {
            "TOP" => stuffed(&clients::top(message, 0)),
            _ => stuffed(message),
        };
        assert!(body == expected, "{command} {n}");
    }
    assert!(read_line(&mut reader).contains("signing off"));
}
