#!/usr/bin/env python3
"""Record Dovecot 2.3's answers for the pobox::mime golden tests.

What it does
------------
1. Builds a throw-away Dovecot configuration and a Maildir in a temporary
   directory. Every file of ``messages/`` (listed, in order, in
   ``manifest.txt``) is copied byte for byte into ``Maildir/cur/``; the file's
   mtime is set to the manifest's internal date (Dovecot's Maildir takes the
   INTERNALDATE from it).
2. Starts ``dovecot -F`` on 127.0.0.1 (a free port) with ``TZ=UTC``.
3. Logs in over a raw socket, SELECTs INBOX, stores each message's flags from
   the manifest, runs every line of ``searches.txt`` as a SEARCH command, then
   EXAMINEs INBOX (read-only, so nothing sets \\Seen) and sends
   ``FETCH <seq> (<item>)`` for every line of ``fetch_items.txt``.
4. Writes the exact bytes of Dovecot's untagged responses (or its tagged
   reply when there is none) to ``golden/``:
     - ``golden/NN-name.golden`` per message (the FETCH answers),
     - ``golden/search.golden`` (the SEARCH answers).
   Record format, repeated:
   ``=== <request length> <answer length>\\n<request>\\n<answer>\\n``, where
   ``<request>`` is the exact command text after the tag (it may hold a
   LITERAL+ literal) and ``<answer>`` the exact response bytes.

It first checks that ``BODY.PEEK[]`` of every message equals the file with
bare LF turned into CRLF, so a wrong UID order cannot go unnoticed.

How to run it (a person, not CI)
--------------------------------
    apt-get install -y dovecot-imapd     # Debian 12: Dovecot 2.3.19
    python3 tests/mime_oracle/run_dovecot_oracle.py
    git diff tests/mime_oracle/golden    # review, then commit

It installs nothing. As root it runs the mail processes as ``nobody`` (Dovecot
refuses uid 0 for mail access); as an ordinary user it runs everything as that
user. It only listens on 127.0.0.1 and stops Dovecot when done.
"""

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def read_list(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return [l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Imap:
    """Minimal IMAP client that keeps the exact bytes of every response."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""
        self.n = 0
        self.read_response()  # greeting

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("server closed the connection")
        self.buf += data

    def read_response(self):
        """One response line including any literals it announces."""
        out = b""
        while True:
            while b"\r\n" not in self.buf:
                self._fill()
            i = self.buf.index(b"\r\n") + 2
            line, self.buf = self.buf[:i], self.buf[i:]
            out += line
            m = re.search(rb"\{(\d+)\}\r\n$", line)
            if not m:
                return out
            n = int(m.group(1))
            while len(self.buf) < n:
                self._fill()
            out += self.buf[:n]
            self.buf = self.buf[n:]

    def command(self, text):
        """Send `text` (bytes, after the tag); return (untagged bytes, tagged line)."""
        self.n += 1
        tag = b"o%d" % self.n
        self.sock.sendall(tag + b" " + text + b"\r\n")
        untagged = b""
        while True:
            resp = self.read_response()
            if resp.startswith(tag + b" "):
                return untagged, resp
            untagged += resp


def to_wire(text):
    """SEARCH text -> command bytes; 8-bit quoted strings become LITERAL+."""
    raw = text.encode("utf-8")
    if all(b < 0x80 for b in raw):
        return raw

    def lit(m):
        body = m.group(1).encode("utf-8")
        return "{%d+}\r\n" % len(body) + m.group(1)

    return b"CHARSET UTF-8 " + re.sub(r'"([^"]*)"', lit, text).encode("utf-8")


def record(out, request, data):
    out.write(b"=== %d %d\n" % (len(request), len(data)))
    out.write(request + b"\n")
    out.write(data + b"\n")


def main():
    manifest = [l.split() for l in read_list("manifest.txt")]
    tmp = tempfile.mkdtemp(prefix="pobox-oracle-")
    if os.geteuid() == 0:
        mail_user = pwd.getpwnam("nobody")
        login_user, internal_user = "dovenull", "dovecot"
    else:
        mail_user = pwd.getpwuid(os.getuid())
        login_user = internal_user = mail_user.pw_name
    maildir = os.path.join(tmp, "Maildir")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(maildir, sub))
    for i, row in enumerate(manifest):
        name, date = row[0], int(row[1])
        dst = os.path.join(maildir, "cur", "%d.M%dP1.pobox-oracle:2," % (1000000000 + i, i))
        shutil.copyfile(os.path.join(HERE, "messages", name), dst)
        os.utime(dst, (date, date))
    port = free_port()
    with open(os.path.join(tmp, "users"), "w") as f:
        f.write("oracle:{PLAIN}oracle:%d:%d::%s::\n" % (mail_user.pw_uid, mail_user.pw_gid, tmp))
    conf = f"""
base_dir = {tmp}/run
state_dir = {tmp}/state
log_path = {tmp}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = 1
mail_location = maildir:{maildir}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {tmp}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {tmp}/users
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""
    conf_path = os.path.join(tmp, "dovecot.conf")
    with open(conf_path, "w") as f:
        f.write(conf)
    for d in ("run", "state"):
        os.makedirs(os.path.join(tmp, d))
    subprocess.run(["chown", "-R", "%d:%d" % (mail_user.pw_uid, mail_user.pw_gid), maildir, tmp],
                   check=False)
    os.chmod(tmp, 0o755)
    env = dict(os.environ, TZ="UTC")
    proc = subprocess.Popen([DOVECOT, "-F", "-c", conf_path], env=env)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        run(port, manifest)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        if os.environ.get("KEEP_ORACLE_DIR"):
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def run(port, manifest):
    golden = os.path.join(HERE, "golden")
    os.makedirs(golden, exist_ok=True)
    c = Imap(port)
    _, ok = c.command(b"LOGIN oracle oracle")
    assert b" OK" in ok, ok
    untagged, ok = c.command(b"SELECT INBOX")
    assert b"* %d EXISTS" % len(manifest) in untagged, untagged
    # Self-check: sequence order equals manifest order.
    for seq, row in enumerate(manifest, 1):
        data, _ = c.command(b"FETCH %d (UID BODY.PEEK[])" % seq)
        with open(os.path.join(HERE, "messages", row[0]), "rb") as f:
            raw = f.read()
        wire = re.sub(rb"(?<!\r)\n", b"\r\n", raw)
        assert b"{%d}\r\n" % len(wire) + wire in data, ("order mismatch", seq, row[0])
        flags = " ".join(row[2:])
        _, ok = c.command(b"STORE %d FLAGS.SILENT (%s)" % (seq, flags.encode()))
        assert b" OK" in ok, ok
    with open(os.path.join(golden, "search.golden"), "wb") as out:
        for line in read_list("searches.txt"):
            cmd = b"SEARCH " + to_wire(line)
            untagged, tagged = c.command(cmd)
            record(out, cmd, untagged or tagged)
    _, ok = c.command(b"EXAMINE INBOX")
    assert b" OK" in ok, ok
    items = read_list("fetch_items.txt")
    for seq, row in enumerate(manifest, 1):
        name = row[0].rsplit(".", 1)[0]
        with open(os.path.join(golden, name + ".golden"), "wb") as out:
            for item in items:
                cmd = b"FETCH %d (%s)" % (seq, item.encode())
                untagged, tagged = c.command(cmd)
                record(out, cmd, untagged or tagged)
    c.command(b"LOGOUT")
    print("recorded %d messages, %d searches, %d fetch items each"
          % (len(manifest), len(read_list("searches.txt")), len(items)))


if __name__ == "__main__":
    sys.exit(main())
