#!/usr/bin/env bash
# Runs one fuzz target for a time: fuzz/run.sh TARGET SECONDS [extra libFuzzer flags]
#
# cargo fuzz needs nightly flags (-Zsanitizer); on this stable toolchain RUSTC_BOOTSTRAP=1
# unlocks them. Set SANITIZER=none to build without AddressSanitizer (faster, and the
# library has no unsafe code). The corpus grows in fuzz/corpus/TARGET/, crashes land in
# fuzz/artifacts/TARGET/; the libFuzzer log goes to fuzz/logs/TARGET.log.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?usage: fuzz/run.sh TARGET SECONDS}
seconds=${2:?usage: fuzz/run.sh TARGET SECONDS}
shift 2
mkdir -p "corpus/$target" "artifacts/$target" logs
max_len=4096
case $target in
  pop3_*) dict=dict/pop3.dict ;;
  imap_session)
    # The IMAP keywords plus the harness's user, mailboxes and SASL data; inputs long
    # enough to pass the smallest line limit (8,192 octets).
    cat dict/imap.dict dict/imap_session.dict > logs/imap_session.dict
    dict=logs/imap_session.dict
    max_len=12288 ;;
  imap_*) dict=dict/imap.dict ;;
  mutf7) dict=dict/mutf7.dict ;;
  *) echo "unknown target $target" >&2; exit 2 ;;
esac
RUSTC_BOOTSTRAP=1 cargo fuzz run -O -s "${SANITIZER:-address}" "$target" "corpus/$target" -- \
  -max_total_time="$seconds" -dict="$dict" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "$@" 2>&1 | tee "logs/$target.log" | grep -E '^(#[0-9]+.*(pulse|DONE|NEW)|stat::|==|SUMMARY|Done)' | tail -n 40
