//! IMAP command parsing: pobox against imap-codec 1.0 on the inputs of issue 5, in one run
//! (ids `pobox/<input>` and `imap-codec/<input>`), and the framer fed a large literal in small
//! pieces (must be linear: constant MB/s whatever the size).
//!
//! Run: `cargo bench --bench imap_parse`. See BENCHMARKS.md for the numbers.

use std::hint::black_box;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use imap_codec::CommandCodec;
use imap_codec::decode::Decoder;
use pobox::imap::{self, Frame, Framer, Limits};

fn append_64k() -> Vec<u8> {
    let mut v = b"A APPEND INBOX (\\Seen) {65536}\r\n".to_vec();
    v.extend((0..65536).map(|i| {
        if i % 80 == 79 {
            b'\n'
        } else {
            b'a' + (i % 26) as u8
        }
    }));
    v.extend_from_slice(b"\r\n");
    v
}

const SAMPLE_SESSION: &[&[u8]] = &[
    b"a001 login mrc secret\r\n",
    b"a002 select inbox\r\n",
    b"a003 fetch 12 full\r\n",
    b"a004 fetch 12 body[header]\r\n",
    b"a005 store 12 +flags \\deleted\r\n",
    b"a006 logout\r\n",
];

fn parse_inputs() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("noop", b"A NOOP\r\n".to_vec()),
        ("uid_search", b"A UID SEARCH CHARSET UTF-8 1:42,42:1337,1337:*\r\n".to_vec()),
        (
            "uid_fetch",
            b"A UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID)])\r\n"
                .to_vec(),
        ),
        ("append_64k", append_64k()),
        ("rfc3501_8_session", SAMPLE_SESSION.concat()),
    ]
}

fn bench_parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("imap_parse");
    g.measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    for (name, input) in parse_inputs() {
        g.throughput(Throughput::Bytes(input.len() as u64));
        let bytes = Bytes::from(input.clone());
        g.bench_function(BenchmarkId::new("pobox", name), |b| {
            b.iter(|| {
                let mut off = 0;
                while off < bytes.len() {
                    let rest = bytes.slice(off..);
                    match imap::parse_command(black_box(&rest)) {
                        Ok(pobox::Status::Complete((n, cmd))) => {
                            black_box(cmd);
                            off += n;
                        }
                        other => panic!("{other:?}"),
                    }
                }
            })
        });
        let codec = CommandCodec::default();
        g.bench_function(BenchmarkId::new("imap-codec", name), |b| {
            b.iter(|| {
                let mut rest: &[u8] = black_box(&input);
                while !rest.is_empty() {
                    let (r, cmd) = codec.decode(rest).unwrap();
                    black_box(cmd);
                    rest = r;
                }
            })
        });
    }
    g.finish();
}

/// A command with an `n`-byte literal, fed in 64-byte pieces the way a session receives it.
fn literal_command(n: usize) -> Vec<u8> {
    let mut v = format!("A APPEND INBOX {{{n}}}\r\n").into_bytes();
    v.extend((0..n).map(|i| b'a' + (i % 26) as u8));
    v.extend_from_slice(b"\r\n");
    v
}

fn bench_literal_feed(c: &mut Criterion) {
    let mut g = c.benchmark_group("imap_literal_feed_64B_pieces");
    g.measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(10);
    let mut limits = Limits::default();
    limits.set_max_literal_size(64 << 20);
    for n in [64 << 10, 256 << 10, 1 << 20, 4 << 20] {
        let input = literal_command(n);
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_function(BenchmarkId::new("pobox", n), |b| {
            b.iter(|| {
                let mut framer = Framer::new(&limits);
                let mut buf = BytesMut::with_capacity(input.len());
                for piece in input.chunks(64) {
                    buf.extend_from_slice(piece);
                    loop {
                        match framer.poll(&buf).unwrap() {
                            Frame::Incomplete => break,
                            Frame::Literal(l) => {
                                black_box(l);
                            }
                            Frame::Complete(len) => {
                                let frame = buf.split_to(len).freeze();
                                black_box(imap::parse_command_frame(&frame, &limits).unwrap());
                            }
                            Frame::Discard { .. } => panic!(),
                        }
                    }
                }
            })
        });
        // imap-codec's decoder takes the whole message each time (O(n^2) when fed piecewise):
        // measured only on the small sizes.
        if n <= 256 << 10 {
            let codec = CommandCodec::default();
            g.bench_function(BenchmarkId::new("imap-codec", n), |b| {
                b.iter(|| {
                    let mut buf: Vec<u8> = Vec::with_capacity(input.len());
                    for piece in input.chunks(64) {
                        buf.extend_from_slice(piece);
                        if let Ok((_, cmd)) = codec.decode(&buf) {
                            black_box(cmd);
                        }
                    }
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench_parse, bench_literal_feed);
criterion_main!(benches);
