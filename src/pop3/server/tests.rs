//! Tests that look inside the session (buffer sizes); behaviour through the
//! public API is tested in `tests/pop3_*.rs`.

use super::*;
use bytes::Buf;

fn session() -> (Session, Instant) {
    let now = Instant::now();
    let mut config = Config::default();
    config.plaintext_auth_without_tls(true);
    (
        Session::new(Arc::new(config), Transport::Plain, [1; 16], now),
        now,
    )
}

fn drain(session: &mut Session) -> String {
    let t = session.transmit();
    let n = t.remaining();
    String::from_utf8(t.copy_to_bytes(n).to_vec()).unwrap()
}

#[test]
fn a_10_mb_line_without_lf_keeps_the_input_buffer_small() {
    let (mut s, now) = session();
    drain(&mut s);
    let chunk = vec![b'A'; 64 * 1024];
    for _ in 0..160 {
        s.feed(now, &chunk);
        assert!(
            s.input.capacity() <= 16 * 1024,
            "capacity {}",
            s.input.capacity()
        );
    }
    s.feed(now, b"\r\nNOOP\r\n");
    assert_eq!(
        drain(&mut s),
        "-ERR Command line too long\r\n-ERR Command not valid in this state\r\n"
    );
    assert!(s.input.capacity() <= 16 * 1024);
}

#[test]
fn a_line_over_255_octets_is_refused_even_under_the_sasl_framing_limit() {
    let (mut s, now) = session();
    drain(&mut s);
    let mut line = b"USER ".to_vec();
    line.extend(std::iter::repeat_n(b'u', 251));
    line.extend_from_slice(b"\r\n");
    assert_eq!(line.len(), 258);
    s.feed(now, &line);
    assert_eq!(drain(&mut s), "-ERR Command line too long\r\n");
    let ok = [&b"USER "[..], &[b'u'; 248], b"\r\n"].concat();
    assert_eq!(ok.len(), 255);
    s.feed(now, &ok);
    assert_eq!(drain(&mut s), "+OK\r\n");
}
