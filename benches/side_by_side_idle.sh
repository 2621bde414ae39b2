#!/usr/bin/env bash
# 1,000 IMAP sessions in IDLE against tuned Dovecot and examples/imap_server in one run:
# the server's PSS per idle session.
#
#   bash benches/side_by_side_idle.sh [SHARED_BENCH_DIR [SESSIONS [N]]]
#
# Why not the shared side_by_side.sh: its idle run passes `--user 'u{n}'`, which loadgen's
# idle mode does not expand, so every login there fails (for Dovecot too) and the row is
# empty. Here all sessions log in as u0, whose Maildir has N messages of about 20 KB, and
# SELECT INBOX before IDLE. Uses the shared tools (loadgen, dovecot.sh, make_mailbox.py);
# prints a Markdown table; JSON stays in $OUT.
set -euo pipefail
proj=$(cd "$(dirname "$0")/.." && pwd)
here=$(cd "${1:-$proj/../shared/bench}" && pwd)
SESSIONS=${2:-1000}
N=${3:-200}
export CARGO_TARGET_DIR_LG=${CARGO_TARGET_DIR_LG:-/tmp/pobox-loadgen-target}
LG=$CARGO_TARGET_DIR_LG/release/loadgen
OUT=${OUT:-$(mktemp -d /tmp/idle-side-by-side.XXXX)}
chmod 755 "$OUT"
D=$OUT/dovecot
P=$OUT/project
command -v dovecot >/dev/null ||
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-core dovecot-imapd >/dev/null
[ -x "$LG" ] || CARGO_TARGET_DIR=$CARGO_TARGET_DIR_LG cargo build --release -q \
  --manifest-path "$here/loadgen/Cargo.toml"
(cd "$proj" && cargo build --release -q --example imap_server)
python3 "$here/make_mailbox.py" "$OUT/seed" u0 "$N" 20000 >/dev/null
printf 'u0:{PLAIN}bench\n' >"$OUT/users"
mkdir -p "$D/mail" "$P/mail"
cp -a "$OUT/seed/u0" "$D/mail/u0"
cp -a "$OUT/seed/u0" "$P/mail/u0"
USERS="u0:bench" DOVECOT_PERF=1 IMAP_PORT=31243 POP3_PORT=31210 "$here/dovecot.sh" start "$D" >/dev/null
DPID=$("$here/dovecot.sh" status "$D")
PPORT=32100
"$proj/target/release/examples/imap_server" --listen 127.0.0.1:$PPORT --users "$OUT/users" \
  --mail "maildir:$P/mail/%u" --log-level warn >"$OUT/project.log" 2>&1 &
PPID_=$!
trap '"$here/dovecot.sh" stop "$D" >/dev/null 2>&1 || true; kill $PPID_ 2>/dev/null || true' EXIT
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$PPORT) 2>/dev/null && break; sleep 0.2; done
for side in dovecot:31243:$DPID project:$PPORT:$PPID_; do
  IFS=: read -r label port pid <<<"$side"
  "$LG" idle --port "$port" --user u0 --pass bench --sessions "$SESSIONS" --hold 5 \
    --pid-tree "$pid" --label "$label-idle" --out "$OUT/$label-idle.json" >/dev/null 2>&1 ||
    echo "loadgen idle against $label failed" >&2
done
python3 - "$OUT" "$SESSIONS" <<'PY'
import json, os, sys
out, n = sys.argv[1], sys.argv[2]
def load(label):
    try:
        return json.load(open(os.path.join(out, label + "-idle.json"))).get("imap_idle", {})
    except Exception:
        return {}
d, p = load("dovecot"), load("project")
print(f"| {n} sessions in IDLE on one mailbox | Dovecot 2.3 tuned | project |")
print("|---|---|---|")
for key, name in [("idle_ok", "sessions idling"), ("errors", "errors"),
                  ("pss_per_session_kb", "PSS per session, KiB"),
                  ("server_pss_idle_kb", "server PSS while idle, KiB"),
                  ("server_processes_idle", "server processes")]:
    print(f"| {name} | {d.get(key)} | {p.get(key)} |")
PY
