"""A FastCGI client, and the programs run as FastCGI applications, for the
tests: the contract suite (tests/cgi) sends its requests this way when
OTP_TEST_FASTCGI=1, so that every test of it also runs against long-lived
processes that have answered all the tests before.

    app = App(path)                  # started on first use, a listening socket as fd 0
    out, err, status = app.request(env, body, timeout)
    app.stop()

    App(path, env={'LANG': 'C', 'http_proxy': url}, err_path=p)   # the process'
                                     # own environment, its stderr appended to file p

The protocol is FastCGI 1.0 (the responder role, one request per
connection): BEGIN_REQUEST, PARAMS, STDIN, then STDOUT and STDERR until
END_REQUEST.
"""

import os
import socket
import struct
import subprocess
import tempfile
import threading

VERSION = 1
BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR = 1, 3, 4, 5, 6, 7
RESPONDER = 1


def _record(kind, content, request_id=1):
    pad = (8 - len(content) % 8) % 8
    return struct.pack("!BBHHBB", VERSION, kind, request_id, len(content), pad, 0) + content + b"\0" * pad


def _length(n):
    return struct.pack("!B", n) if n < 128 else struct.pack("!I", n | 0x80000000)


def _params(env):
    # As subprocess passes an environment: os.fsencode keeps the bytes a
    # test smuggled in as surrogates (a header that is not UTF-8).
    data = b"".join(_length(len(k)) + _length(len(v)) + k + v
                    for k, v in ((os.fsencode(k), os.fsencode(v)) for k, v in env.items()))
    records = [_record(PARAMS, data[i:i + 65535]) for i in range(0, len(data), 65535)]
    return b"".join(records) + _record(PARAMS, b"")


def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed by the application")
        buf += chunk
    return buf


class Timeout(Exception):
    pass


class App:
    """One program as a FastCGI application on a Unix socket of its own."""

    def __init__(self, path, env=None, err_path=None):
        self.path = str(path)
        self.env = dict(env) if env is not None else {"LANG": "C"}
        self.err_path = err_path
        self.proc = None
        self.dir = None
        self.sock_path = None
        self.lock = threading.Lock()

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="otp-fcgi-")
        self.sock_path = os.path.join(self.dir, "app.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(self.sock_path)
        listener.listen(256)
        # As a server starts one: the listening socket as descriptor 0, a
        # minimal environment (each request brings its own parameters).
        err = open(self.err_path, "ab") if self.err_path is not None else subprocess.DEVNULL
        try:
            self.proc = subprocess.Popen([self.path], stdin=listener.fileno(),
                                         stdout=subprocess.DEVNULL, stderr=err,
                                         env=self.env, cwd=os.path.dirname(self.path),
                                         start_new_session=True, close_fds=True)
        finally:
            if err is not subprocess.DEVNULL:
                err.close()
        listener.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None
        if self.dir is not None:
            try:
                os.unlink(self.sock_path)
                os.rmdir(self.dir)
            except OSError:
                pass
            self.dir = None

    def pid(self):
        return self.proc.pid if self.alive() else None

    def request(self, env, body=b"", timeout=30):
        """(stdout, stderr, app status) of one request.  Raises Timeout
        (and restarts the application) when it does not answer in time."""
        with self.lock:
            if not self.alive():
                self.stop()
                self.start()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        out, err = [], []
        try:
            s.connect(self.sock_path)
            msg = _record(BEGIN_REQUEST, struct.pack("!HB5x", RESPONDER, 0)) + _params(env)
            for i in range(0, len(body), 65535):
                msg += _record(STDIN, body[i:i + 65535])
            msg += _record(STDIN, b"")
            s.sendall(msg)
            while True:
                version, kind, _, length, pad, _ = struct.unpack("!BBHHBB", _recv_exact(s, 8))
                content = _recv_exact(s, length + pad)[:length]
                if kind == STDOUT:
                    out.append(content)
                elif kind == STDERR:
                    err.append(content)
                elif kind == END_REQUEST:
                    status = struct.unpack("!I", content[:4])[0]
                    return b"".join(out), b"".join(err), status
        except socket.timeout:
            with self.lock:
                self.stop()
            raise Timeout()
        finally:
            s.close()


_apps = {}
_apps_lock = threading.Lock()


def app_for(path):
    """The one App of program path, for the whole test run."""
    with _apps_lock:
        app = _apps.get(str(path))
        if app is None:
            app = _apps[str(path)] = App(path)
            import atexit
            atexit.register(app.stop)
        return app
