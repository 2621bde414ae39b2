#!/usr/bin/env python3
"""Drives the example POP3 server with Python's standard poplib, for tests/pop3_clients.rs.

    poplib_client.py HOST PORT MODE USER PASSWORD [ARGS...]

Results go to stdout as "key: value" lines (the Rust test parses them); message data
goes to files, since it is bytes. Modes:

    walk OUTDIR [apop|stls CAFILE]
        greeting, CAPA, login (USER/PASS, APOP, or STLS then USER/PASS), STAT, LIST,
        UIDL, then TOP n 0, TOP n 2 and RETR n of every message, QUIT. Writes OUTDIR/
        greeting, capa, stat, list, uidl, top-N-L, retr-N (the lines poplib returns,
        dot-unstuffed, each ended with CRLF) and retr-N.octets (poplib's octet count).
    dele-quit N...   DELE each, QUIT.
    dele-drop N...   DELE each, then close the socket without QUIT.
    rset N...        DELE each, RSET, STAT, QUIT.
    login [apop]     USER/PASS (or APOP) only; prints the server's answer and how long
                     it took.
    in-use           logs in, then a second connection logs in as the same user.
    hold N           logs in, DELE N, prints "held", waits for a line on stdin, NOOP.
"""

import os
import poplib
import socket
import ssl
import sys
import time


def connect(host, port):
    return poplib.POP3(host, int(port), timeout=60)


def say(key, value):
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    print(f"{key}: {value}", flush=True)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def lines_to_bytes(lines):
    return b"".join(line + b"\r\n" for line in lines)


def walk(host, port, user, password, outdir, how=None, cafile=None):
    pop = connect(host, port)
    write(os.path.join(outdir, "greeting"), pop.getwelcome())
    if how == "stls":
        pop.stls(ssl.create_default_context(cafile=cafile))
        say("tls", pop.sock.version())
    capa = pop.capa()
    write(
        os.path.join(outdir, "capa"),
        "".join(" ".join([name] + args) + "\n" for name, args in capa.items()).encode(),
    )
    if how == "apop":
        say("login", pop.apop(user, password))
    else:
        pop.user(user)
        say("login", pop.pass_(password))
    count, size = pop.stat()
    write(os.path.join(outdir, "stat"), f"{count} {size}".encode())
    resp, listing, _ = pop.list()
    write(os.path.join(outdir, "list"), lines_to_bytes(listing))
    resp, uidl, _ = pop.uidl()
    write(os.path.join(outdir, "uidl"), lines_to_bytes(uidl))
    for n in range(1, count + 1):
        for top in (0, 2):
            resp, lines, _ = pop.top(n, top)
            write(os.path.join(outdir, f"top-{n}-{top}"), lines_to_bytes(lines))
        resp, lines, octets = pop.retr(n)
        say(f"retr {n}", resp)
        write(os.path.join(outdir, f"retr-{n}"), lines_to_bytes(lines))
        write(os.path.join(outdir, f"retr-{n}.octets"), str(octets).encode())
    say("quit", pop.quit())


def main():
    host, port, mode, user, password = sys.argv[1:6]
    args = sys.argv[6:]
    if mode == "walk":
        walk(host, port, user, password, args[0], *args[1:])
    elif mode in ("dele-quit", "dele-drop", "rset"):
        pop = connect(host, port)
        pop.user(user)
        pop.pass_(password)
        for n in args:
            say(f"dele {n}", pop.dele(int(n)))
        if mode == "dele-drop":
            # Gone without QUIT: RFC 1939 §6 says no UPDATE, so nothing is deleted.
            pop.sock.shutdown(socket.SHUT_RDWR)
            pop.close()
            say("dropped", "yes")
            return
        if mode == "rset":
            say("stat before", "%d %d" % pop.stat())
            say("rset", pop.rset())
            say("stat after", "%d %d" % pop.stat())
        say("quit", pop.quit())
    elif mode == "login":
        pop = connect(host, port)
        start = time.monotonic()
        try:
            if args == ["apop"]:
                say("answer", pop.apop(user, password))
            else:
                pop.user(user)
                say("answer", pop.pass_(password))
        except poplib.error_proto as e:
            say("answer", e.args[0])
        say("seconds", "%.3f" % (time.monotonic() - start))
        pop.quit()
    elif mode == "in-use":
        first = connect(host, port)
        first.user(user)
        say("first", first.pass_(password))
        second = connect(host, port)
        second.user(user)
        try:
            say("second", second.pass_(password))
        except poplib.error_proto as e:
            say("second", e.args[0])
        second.quit()
        say("first quit", first.quit())
    elif mode == "hold":
        pop = connect(host, port)
        pop.user(user)
        pop.pass_(password)
        say("dele", pop.dele(int(args[0])))
        say("held", "yes")
        sys.stdin.readline()
        try:
            say("noop", pop.noop())
        except (poplib.error_proto, OSError) as e:
            say("noop", f"failed: {e!r}")
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
