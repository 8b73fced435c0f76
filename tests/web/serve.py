#!/usr/bin/python3
"""
`make run`: try the whole flow in a browser without a Telnyx account.

    /usr/bin/python3 tests/web/serve.py [--port 8080] [--server lighttpd|apache]

Deploys the built programs under run/ in the repo (git-ignored) exactly as
the web tests do (tests/web/harness.py: the same example server config, the
same config generation) with SMS_TRANSPORT=outbox and a random SECRET_KEY,
starts the web server in the foreground on http://127.0.0.1:PORT/ (which
redirects to the phone form), and prints each code as it lands in the
outbox, and each line the programs log.  Ctrl-C stops it.
"""

import argparse
import json
import os
import secrets
import signal
import stat
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402


def reachable_by_others(path):
    """Whether every directory above path lets other users through."""
    p = Path(path).resolve()
    for d in [p] + list(p.parents):
        if d.exists() and not os.stat(d).st_mode & stat.S_IXOTH:
            return False
    return True


class Tail:
    """New lines of a file, from its end at creation on."""

    def __init__(self, path, from_start=False):
        self.path = Path(path)
        self.pos = 0 if from_start else (self.path.stat().st_size if self.path.exists() else 0)
        self.buf = b""

    def lines(self):
        try:
            with open(self.path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size < self.pos:  # truncated or replaced
                    self.pos = 0
                f.seek(self.pos)
                data = f.read(1 << 20)
                self.pos += len(data)
        except FileNotFoundError:
            return []
        self.buf += data
        *done, self.buf = self.buf.split(b"\n")
        return [d.decode("utf-8", "replace") for d in done]


def main(argv=None):
    ap = argparse.ArgumentParser(description="serve the OTP programs on 127.0.0.1 for a manual try")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--server", choices=sorted(harness.SERVERS), default="lighttpd")
    ap.add_argument("--dir", default=str(harness.REPO / "run"), help="where config, database and outbox go")
    args = ap.parse_args(argv)

    harness.need_programs()
    root = Path(args.dir)
    root.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0 and not reachable_by_others(root):
        # The server's user (www-data) could not get in: use /tmp instead.
        root = Path(tempfile.mkdtemp(prefix="otp-run-"))
        print("note: %s is not reachable by www-data; using %s" % (args.dir, root))

    site = harness.Site(root, {
        "SMS_TRANSPORT": "outbox",
        "API_KEY": None,
        "SECRET_KEY": secrets.token_hex(32),
    })
    form = harness.EXAMPLE_URL + "request.cgi"
    cls = harness.SERVERS[args.server]
    if cls is harness.Lighttpd:
        extra = 'url.redirect = ( "^/$" => "%s" )' % form
    else:
        extra = "RedirectMatch 302 ^/$ %s" % form
    server = cls(site, port=args.port, extra_conf=extra)

    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    try:
        try:
            server.start()
        except RuntimeError as e:
            print("cannot start %s on 127.0.0.1:%d: %s" % (cls.name, args.port, e), file=sys.stderr)
            return 1
        outbox = Tail(site.outbox_path)
        # The programs' stderr: Apache's error log; lighttpd's own stderr.
        logs = [Tail(server.error_log), Tail(server.dir / "stdout.log")]
        print("%s serving http://127.0.0.1:%d/ (the phone form is %s)" % (cls.name, args.port, form))
        print("config:   %s" % site.config_path)
        print("database: %s" % site.db_path)
        print("outbox:   %s  (each code is printed here as it is sent)" % site.outbox_path)
        print("Ctrl-C stops.", flush=True)
        while not stop:
            for line in outbox.lines():
                try:
                    m = json.loads(line)
                    print("SMS to %s: %s" % (m.get("to"), m.get("text")), flush=True)
                except ValueError:
                    print("outbox: %s" % line, flush=True)
            for log in logs:
                for line in log.lines():
                    print("log: %s" % line, flush=True)
            if server.proc is None or server.proc.poll() is not None:
                print("%s exited:\n%s" % (cls.name, server.logs()), file=sys.stderr)
                return 1
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        # A second Ctrl-C must not leave the server running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        server.stop()
    print("stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
