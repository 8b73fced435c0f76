#!/usr/bin/python3
"""A small HTTP proxy on 127.0.0.1 for the tests, counting what it is asked.

    proxy = FakeProxy().start()       # proxy.url: http://127.0.0.1:PORT
    ... http_proxy=proxy.url, or HTTPS_PROXY=proxy.url ...
    proxy.seen                        # [('CONNECT', '127.0.0.1:8443'),
                                      #  ('POST', 'http://127.0.0.1:8099/v2/messages')]
    proxy.stop()

It speaks the two ways a client uses a proxy: CONNECT host:port (a
tunnel: libcurl's way for https:// through HTTPS_PROXY or https_proxy),
relayed both ways until either side closes; and a request in absolute
form (libcurl's way for http:// through http_proxy, unless told to
tunnel), forwarded to its origin with Connection: close and the answer
relayed back.  It forwards only to 127.0.0.1 (403 for any other host) and
records every request, forwarded or not, as (method, target) in seen.
Standard library only.
"""

import select
import socket
import socketserver
import threading
import urllib.parse

HOST = '127.0.0.1'  # never any other address
HEAD_MAX = 64 * 1024


def _read_head(sock):
    """(head, rest): the bytes up to the blank line, and what came after."""
    buf = b''
    while b'\r\n\r\n' not in buf:
        if len(buf) > HEAD_MAX:
            raise ValueError('head too large')
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError('closed before the head ended')
        buf += chunk
    head, rest = buf.split(b'\r\n\r\n', 1)
    return head.decode('latin-1'), rest


def _relay(a, b):
    """Copy bytes between sockets a and b until one side closes."""
    socks = [a, b]
    while True:
        ready, _, _ = select.select(socks, [], [], 30)
        if not ready:
            return
        for s in ready:
            data = s.recv(65536)
            if not data:
                return
            (b if s is a else a).sendall(data)


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        proxy = self.server.proxy
        c = self.request
        c.settimeout(30)
        try:
            head, rest = _read_head(c)
        except (ValueError, EOFError, OSError):
            return
        lines = head.split('\r\n')
        try:
            method, target, _ = lines[0].split(' ', 2)
        except ValueError:
            c.sendall(b'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')
            return
        with proxy.lock:
            proxy.seen.append((method, target))
        if method == 'CONNECT':
            self.connect(c, target, rest)
        else:
            self.forward(c, method, target, lines[1:], rest)

    @staticmethod
    def refuse(c):
        c.sendall(b'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')

    def connect(self, c, target, rest):
        host, _, port = target.rpartition(':')
        if host != HOST or not port.isdigit():
            self.refuse(c)
            return
        try:
            up = socket.create_connection((host, int(port)), timeout=10)
        except OSError:
            c.sendall(b'HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n')
            return
        with up:
            c.sendall(b'HTTP/1.1 200 Connection established\r\n\r\n')
            if rest:
                up.sendall(rest)
            _relay(c, up)

    def forward(self, c, method, target, header_lines, rest):
        u = urllib.parse.urlsplit(target)
        if u.scheme != 'http' or u.hostname != HOST:
            self.refuse(c)
            return
        headers, length = [], 0
        for line in header_lines:
            name, _, value = line.partition(':')
            if name.lower() in ('connection', 'proxy-connection', 'proxy-authorization'):
                continue
            if name.lower() == 'content-length':
                length = int(value.strip())
            headers.append(line)
        body = rest
        while len(body) < length:
            chunk = c.recv(65536)
            if not chunk:
                return
            body += chunk
        path = (u.path or '/') + ('?' + u.query if u.query else '')
        out = ('%s %s HTTP/1.1\r\n' % (method, path) + '\r\n'.join(headers) +
               '\r\nConnection: close\r\n\r\n').encode('latin-1') + body[:length]
        try:
            up = socket.create_connection((HOST, u.port or 80), timeout=30)
        except OSError:
            c.sendall(b'HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n')
            return
        with up:
            up.sendall(out)
            while True:
                data = up.recv(65536)
                if not data:
                    break
                c.sendall(data)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class FakeProxy:
    def __init__(self):
        self.seen = []
        self.lock = threading.Lock()
        self._server = None
        self._thread = None
        self.url = None

    def start(self):
        self._server = _Server((HOST, 0), _Handler)
        self._server.proxy = self
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={'poll_interval': 0.1}, daemon=True)
        self._thread.start()
        self.url = 'http://%s:%d' % (HOST, self._server.server_address[1])
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None
