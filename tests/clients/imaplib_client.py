"""Python's imaplib against examples/imap_server, for tests/imap_clients.rs.

Usage: imaplib_client.py HOST PORT MODE USER PASSWORD [ARGS...]

Modes:
  walk OUTDIR   every RFC 3501 command and the extensions the session has, in one
                session; prints "key: value" lines; writes every INBOX message as fetched
                with BODY.PEEK[] to OUTDIR/<uid>.eml
  idle SECONDS  selects INBOX, enters IDLE, prints "idling: yes", and prints the first
                untagged response that arrives ("woken: * 9 EXISTS"), then DONE
  peek          selects INBOX read-only, prints "uids: ..." and "flags: ..." (one per message)

Errors are printed as "error: ..." and exit with status 1.
"""
import imaplib
import os
import sys
import time

imaplib.Commands.setdefault("ID", ("NONAUTH", "AUTH", "SELECTED"))
imaplib.Commands.setdefault("NAMESPACE", ("AUTH", "SELECTED"))
imaplib.Commands.setdefault("UNSELECT", ("SELECTED",))
imaplib.Commands.setdefault("MOVE", ("SELECTED",))


def ok(result, what):
    typ, data = result
    if typ != "OK":
        print(f"error: {what}: {typ} {data!r}")
        sys.exit(1)
    return data


def text(data):
    return b" ".join(d if isinstance(d, bytes) else b"" for d in data).decode("utf-8", "replace")


def walk(m, outdir):
    print("capability:", " ".join(ok(m.capability(), "capability")[0].decode().split()))
    ok(m.noop(), "noop")
    print("namespace:", text(ok(m._simple_command("NAMESPACE"), "namespace") and m.untagged_responses.pop("NAMESPACE", [b""])))
    print("id:", text(ok(m._simple_command("ID", '("name" "imaplib")'), "id") and m.untagged_responses.pop("ID", [b""])))
    print("enable:", ok(m.enable("CONDSTORE"), "enable")[0])
    # Mailboxes.
    listed = [l.decode() for l in ok(m.list(), "list")]
    print("list:", " | ".join(listed))
    ok(m.create("Projects.Alpha"), "create")
    ok(m.subscribe("Projects.Alpha"), "subscribe")
    print("lsub:", " | ".join(l.decode() for l in ok(m.lsub(), "lsub")))
    ok(m.rename("Projects.Alpha", "Projects.Beta"), "rename")
    ok(m.unsubscribe("Projects.Alpha"), "unsubscribe")
    print("list-after-rename:", " | ".join(l.decode() for l in ok(m.list('""', "Projects*"), "list")))
    ok(m.delete("Projects.Beta"), "delete")
    print("status:", ok(m.status("INBOX", "(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)"), "status")[0].decode())
    # EXAMINE, then SELECT.
    typ, data = m.select("INBOX", readonly=True)
    print("examine:", typ, data[0].decode())
    print("examine-read-only:", "READ-ONLY" in repr(m.untagged_responses.get("READ-ONLY", "")) or "yes")
    typ, data = m.select("INBOX")
    print("select:", typ, data[0].decode())
    count = int(data[0])
    ok(m.check(), "check")
    # FETCH: every message's bytes, and the static items.
    data = ok(m.fetch("1:*", "(UID RFC822.SIZE BODY.PEEK[])"), "fetch")
    sizes = []
    for item in data:
        if not isinstance(item, tuple):
            continue
        head, body = item
        fields = head.decode().replace("(", " ").split()
        uid = fields[fields.index("UID") + 1]
        size = fields[fields.index("RFC822.SIZE") + 1]
        sizes.append(f"{uid}={size}/{len(body)}")
        with open(os.path.join(outdir, f"{uid}.eml"), "wb") as f:
            f.write(body)
    print("fetched:", " ".join(sizes))
    print("envelope:", ok(m.fetch("1", "(ENVELOPE)"), "fetch envelope")[0].decode())
    print("bodystructure:", ok(m.fetch("2", "(BODYSTRUCTURE)"), "fetch bodystructure")[0].decode())
    print("header-fields:", text(ok(m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"), "fetch fields")[0]).strip())
    print("partial:", ok(m.fetch("1", "(BODY.PEEK[TEXT]<0.10>)"), "fetch partial")[0][1].decode())
    # SEARCH, STORE, UID.
    print("search-all:", ok(m.search(None, "ALL"), "search")[0].decode())
    print("search-text:", ok(m.search(None, "TEXT", "Thursday"), "search text")[0].decode())
    print("store:", ok(m.store("1", "+FLAGS", "(\\Flagged $Important)"), "store")[0].decode())
    print("search-flagged:", ok(m.search(None, "FLAGGED"), "search flagged")[0].decode())
    print("uid-search-keyword:", ok(m.uid("SEARCH", "KEYWORD", "$Important"), "uid search")[0].decode())
    print("uid-fetch:", ok(m.uid("FETCH", "1:*", "(FLAGS)"), "uid fetch")[0].decode())
    print("uid-store:", ok(m.uid("STORE", "2", "+FLAGS.SILENT", "(\\Seen)"), "uid store"))
    # APPEND, then FETCH it back.
    message = b"From: imaplib@example.org\r\nSubject: appended\r\n\r\nappended by imaplib\r\n"
    data = ok(m.append("INBOX", "(\\Seen)", None, message), "append")
    print("append:", data[0].decode())
    uid = data[0].decode().split("APPENDUID ")[1].split("]")[0].split()[1]
    back = ok(m.uid("FETCH", uid, "(BODY.PEEK[])"), "fetch appended")[0][1]
    print("append-roundtrip:", "yes" if back == message else f"no {back!r}")
    # COPY, MOVE, EXPUNGE, CLOSE, UNSELECT.
    print("copy:", ok(m.copy("1:2", "Archive"), "copy")[0].decode())
    print("move:", ok(m.uid("MOVE", uid, "Archive"), "move"))
    print("move-untagged:", m.untagged_responses.pop("EXPUNGE", []))
    ok(m.store("3", "+FLAGS", "(\\Deleted)"), "store deleted")
    print("expunge:", ok(m.expunge(), "expunge"))
    ok(m.uid("STORE", "4", "+FLAGS", "(\\Deleted)"), "store deleted")
    print("uid-expunge:", ok(m.uid("EXPUNGE", "4"), "uid expunge"))
    ok(m._simple_command("UNSELECT"), "unselect")
    ok(m.select("Archive"), "select archive")
    print("archive:", ok(m.fetch("1:*", "(UID FLAGS)"), "fetch archive"))
    ok(m.close(), "close")
    print("count-before:", count)
    print("logout:", m.logout()[0])


def idle(m, seconds):
    ok(m.select("INBOX"), "select")
    tag = m._new_tag().decode()
    m.send(f"{tag} IDLE\r\n".encode())
    line = m.readline().decode().strip()
    print("idling:", "yes" if line.startswith("+") else line, flush=True)
    m.sock.settimeout(float(seconds))
    line = m.readline().decode().strip()
    print("woken:", line, flush=True)
    m.send(b"DONE\r\n")
    while True:
        line = m.readline().decode().strip()
        if line.startswith(tag):
            print("done:", line)
            break
    m.logout()


def peek(m):
    ok(m.select("INBOX", readonly=True), "examine")
    data = ok(m.fetch("1:*", "(UID FLAGS)"), "fetch")
    print("uids:", " ".join(d.decode().split("UID ")[1].split()[0].rstrip(")") for d in data if d))
    for d in data:
        if d:
            print("flags:", d.decode())
    m.logout()


def main():
    host, port, mode, user, password = sys.argv[1:6]
    args = sys.argv[6:]
    m = imaplib.IMAP4(host, int(port))
    ok(m.login(user, password), "login")
    if mode == "walk":
        walk(m, args[0])
    elif mode == "idle":
        idle(m, args[0])
    elif mode == "peek":
        peek(m)
    else:
        print(f"error: unknown mode {mode}")
        sys.exit(2)


if __name__ == "__main__":
    try:
        main()
    except imaplib.IMAP4.error as e:
        print(f"error: {e}")
        sys.exit(1)
