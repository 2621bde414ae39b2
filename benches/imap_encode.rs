//! IMAP response encoding: pobox against imap-codec 1.0 on the inputs of issue 5, in one run
//! (ids `pobox/<input>` and `imap-codec/<input>`). Each value is parsed once from its wire
//! form by each library; the loop encodes it and takes the output (pobox: chunks for a
//! vectored write, the 1 MiB literal passed through; imap-codec: `dump()` into one `Vec`).
//!
//! Run: `cargo bench --bench imap_encode`. See BENCHMARKS.md for the numbers.

use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use imap_codec::ResponseCodec;
use imap_codec::decode::Decoder;
use imap_codec::encode::Encoder as _;
use pobox::imap;

const FETCH_ENVELOPE_BODYSTRUCTURE: &[u8] = b"* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" \
RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \
\"IMAP4rev1 WG mtg summary and minutes\" \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((NIL NIL \"imap\" \"cac.washington.edu\")) \
((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \
\"<B27397-0100000@cac.washington.edu>\") \
BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92 NIL NIL NIL NIL)\
(\"APPLICATION\" \"PDF\" (\"NAME\" \"minutes.pdf\") NIL NIL \"BASE64\" 40210 NIL (\"attachment\" (\"FILENAME\" \"minutes.pdf\")) NIL NIL) \
\"MIXED\" (\"BOUNDARY\" \"xyz\") NIL NIL NIL))\r\n";

fn fetch_1mib() -> Vec<u8> {
    let mut v = b"* 1 FETCH (BODY[] {1048576}\r\n".to_vec();
    v.extend((0..1048576).map(|i| {
        if i % 80 == 79 {
            b'\n'
        } else {
            b'a' + (i % 26) as u8
        }
    }));
    v.extend_from_slice(b")\r\n");
    v
}

fn bench_encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("imap_encode");
    g.measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        ("exists", b"* 0 EXISTS\r\n".to_vec()),
        (
            "fetch_envelope_bodystructure",
            FETCH_ENVELOPE_BODYSTRUCTURE.to_vec(),
        ),
        ("fetch_body_1mib", fetch_1mib()),
    ];
    for (name, wire) in inputs {
        g.throughput(Throughput::Bytes(wire.len() as u64));
        let ours = match imap::parse_response(&Bytes::from(wire.clone())).unwrap() {
            pobox::Status::Complete((_, r)) => r,
            pobox::Status::Partial => panic!(),
        };
        let mut enc = imap::Encoder::new();
        enc.response(&ours);
        let check: Vec<u8> = enc.to_vec();
        assert_eq!(check, wire, "{name}");
        let mut chunks = Vec::new();
        g.bench_function(BenchmarkId::new("pobox", name), |b| {
            b.iter(|| {
                enc.response(black_box(&ours));
                enc.take_chunks_into(&mut chunks);
                black_box(&chunks);
                chunks.clear();
            })
        });
        let codec = ResponseCodec::default();
        let (_, theirs) = codec.decode(&wire).unwrap();
        g.bench_function(BenchmarkId::new("imap-codec", name), |b| {
            b.iter(|| black_box(codec.encode(black_box(&theirs)).dump()))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_encode);
criterion_main!(benches);
