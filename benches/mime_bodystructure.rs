//! BODYSTRUCTURE of a 1 MiB multipart message (parse + build), in bytes per
//! second: `cargo bench --bench mime_bodystructure`.

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pobox::mime::Message;

/// About 1 MiB: a multipart/mixed with a multipart/alternative (text and
/// HTML), 44 base64 attachments of 16 KiB each (76-column lines) and a
/// forwarded message/rfc822: 1.00 MiB with CRLF line ends, 0.98 MiB with bare LF.
fn message(crlf: bool) -> Bytes {
    let eol = if crlf { "\r\n" } else { "\n" };
    let mut m = String::new();
    let mut line = |s: &str| {
        m.push_str(s);
        m.push_str(eol);
    };
    line("From: Bench <bench@example.org>");
    line("To: a@example.org, b@example.org");
    line("Subject: a large message");
    line("Date: Mon, 1 Jan 2024 00:00:00 +0000");
    line("MIME-Version: 1.0");
    line("Content-Type: multipart/mixed; boundary=\"outer-boundary\"");
    line("");
    line("--outer-boundary");
    line("Content-Type: multipart/alternative; boundary=\"alt\"");
    line("");
    line("--alt");
    line("Content-Type: text/plain; charset=utf-8");
    line("Content-Transfer-Encoding: quoted-printable");
    line("");
    for i in 0..400 {
        line(&format!(
            "Line {i} of the plain text part, with some words in it=2E"
        ));
    }
    line("--alt");
    line("Content-Type: text/html; charset=utf-8");
    line("");
    for i in 0..400 {
        line(&format!(
            "<p>Line {i} of the <b>HTML</b> part, with some words.</p>"
        ));
    }
    line("--alt--");
    for a in 0..44 {
        line("--outer-boundary");
        line(&format!(
            "Content-Type: application/octet-stream; name=\"file{a}.bin\""
        ));
        line("Content-Transfer-Encoding: base64");
        line(&format!(
            "Content-Disposition: attachment; filename=\"file{a}.bin\""
        ));
        line("");
        for _ in 0..(16 * 1024 / 57) {
            line("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0");
        }
    }
    line("--outer-boundary");
    line("Content-Type: message/rfc822");
    line("");
    line("From: inner@example.org");
    line("Subject: forwarded");
    line("");
    for i in 0..200 {
        line(&format!("forwarded body line {i}"));
    }
    line("--outer-boundary--");
    Bytes::from(m)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("bodystructure_1mib");
    for (name, crlf) in [("crlf", true), ("bare_lf", false)] {
        let msg = message(crlf);
        group.throughput(Throughput::Bytes(msg.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let m = Message::parse(black_box(msg.clone()));
                black_box(m.body_structure())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
