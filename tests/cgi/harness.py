"""Run the built CGI programs the way a web server does, and read their answers.

A program runs with a clean environment holding only CGI variables (no
PATH: lighttpd passes none), its body on stdin, and a timeout.  Its output
is parsed as CGI output: a Status line, headers, a blank line, the body.

    site = Site(fake=fake)                 # a temp dir, a config file, a DB path
    r = site.request('(202) 555-0143')     # POST request.cgi
    r.status, r.header('Set-Cookie'), r.page, r.vid, r.text, r.stderr
    r = site.verify(code, vid=r.vid)       # POST verify.cgi

Environment knobs: OTP_TEST_CGI_DIR (where request.cgi and verify.cgi
are; default the checkout's cgi-bin/), OTP_TEST_KEEP=1 (keep temp dirs),
OTP_TEST_NO_SNAPSHOT=1 (run the programs in place instead of from a copy
taken when this module is imported, which keeps a rebuild during a run
from mixing two builds), OTP_TEST_FASTCGI=1 (the programs as FastCGI
applications), OTP_TEST_STORE=pg (each Site's store is a fresh schema of
a PostgreSQL cluster of this process, tests/pg.py, named by DATABASE_URL;
default sqlite, the file at DB_PATH).

A test reads and writes a site's store through the site, in either mode:
site.sql('SELECT status FROM verification WHERE id = ?', (vid,)) returns
rows as tuples (blobs as bytes), site.store_made(), site.dump(),
site.set_schema_version(n), site.store_bytes(); unreachable_store() gives
the keys of a store that cannot be opened.
"""

import html
import http
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
from pathlib import Path

import fake_telnyx

REPO = Path(__file__).resolve().parents[2]
BUILT_DIR = Path(os.environ.get('OTP_TEST_CGI_DIR') or (REPO / 'cgi-bin'))
TEMPLATE_DIR = REPO / 'templates'


def _snapshot(src_dir):
    """Copy the programs into a private directory, so that a rebuild
    during the run (make replaces the files) cannot mix two builds in one
    run or catch a file half written.  OTP_TEST_NO_SNAPSHOT=1: run them in place."""
    names = ('request.cgi', 'verify.cgi', 'webhook.cgi')
    if os.environ.get('OTP_TEST_NO_SNAPSHOT'):
        return src_dir
    for attempt in range(20):  # wait (bounded) for a link in progress to finish
        try:
            stats = [os.stat(src_dir / n) for n in names]
        except FileNotFoundError:
            return src_dir
        if all(st.st_mode & 0o100 for st in stats) and \
                time.time() - max(st.st_mtime for st in stats) > 1.0:
            break
        time.sleep(0.5)
    dst = Path(tempfile.mkdtemp(prefix='otp-cgi-bin-'))
    for n in names:
        shutil.copy2(src_dir / n, dst / n)
    import atexit
    atexit.register(shutil.rmtree, dst, True)
    return dst


CGI_DIR = _snapshot(BUILT_DIR)
REQUEST = CGI_DIR / 'request.cgi'
VERIFY = CGI_DIR / 'verify.cgi'
WEBHOOK = CGI_DIR / 'webhook.cgi'

FORM = 'application/x-www-form-urlencoded'
API_KEY = 'KEYtest0123456789QWERTYsecretkey'
FROM_NUMBER = '+15550001111'
DEFAULT_TIMEOUT = 30
SECURITY_HEADERS = ('Content-Security-Policy', 'X-Content-Type-Options',
                    'Referrer-Policy', 'Cache-Control')

_HEADER_LINE = re.compile(r'^([!#$%&\'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$')
_CRASH_MARKS = ('AddressSanitizer', 'LeakSanitizer', 'UndefinedBehaviorSanitizer',
                'runtime error:', 'Segmentation fault', 'stack smashing', 'double free',
                'free(): invalid', 'malloc(): ')


def built():
    return all(p.is_file() and os.access(p, os.X_OK) for p in (REQUEST, VERIFY, WEBHOOK))


def require_built():
    if not built():
        raise unittest.SkipTest('%s/request.cgi, verify.cgi and webhook.cgi are not built '
                                '(run make)' % BUILT_DIR)


def reason_phrase(status):
    """The reason phrase of status as RFC 9110 names it."""
    # RFC 9110's names where Python's http module (3.11) still has RFC 7231's.
    rfc9110 = {413: 'Content Too Large', 414: 'URI Too Long', 422: 'Unprocessable Content'}
    try:
        return rfc9110.get(status) or http.HTTPStatus(status).phrase
    except ValueError:
        return None


class Response:
    """A CGI program's answer, parsed."""

    def __init__(self, prog, env, stdin_len, out, err, rc, elapsed, timed_out,
                 stdin_written, stdin_broken):
        self.prog = os.path.basename(str(prog))
        self.env = env
        self.stdin_len = stdin_len
        self.raw = out
        self.stderr = err.decode('utf-8', 'replace')
        self.returncode = rc
        self.elapsed = elapsed
        self.timed_out = timed_out
        self.stdin_written = stdin_written
        self.stdin_broken = stdin_broken
        self.stdin_consumed = None  # set by run_cgi(stdin_file=True)
        self.headers = []            # [(name, value)] in order
        self.bad_header_lines = []   # lines of the header block that are not 'Name: value'
        self.header_block = b''
        self.body = b''
        self.status = None
        self.reason = ''
        self.has_status_line = False
        self._parse(out)

    def _parse(self, out):
        # The header block ends at the first empty line (LF or CRLF endings).
        m = re.search(rb'\r?\n\r?\n', out)
        if m is None:
            self.header_block, self.body = out, b''
            if out:
                self.bad_header_lines.append('(no blank line after the headers)')
        else:
            self.header_block, self.body = out[:m.start()], out[m.end():]
        for raw_line in self.header_block.split(b'\n'):
            line = raw_line[:-1] if raw_line.endswith(b'\r') else raw_line
            text = line.decode('latin-1')
            hm = _HEADER_LINE.match(text) if '\r' not in text else None
            if hm is None or any(ord(c) < 32 and c != '\t' for c in text):
                if text or self.header_block:
                    self.bad_header_lines.append(text)
                continue
            self.headers.append((hm.group(1), hm.group(2)))
        st = self.header('Status')
        if st is not None:
            self.has_status_line = True
            sm = re.match(r'^(\d{3})(?:\s+(.*))?$', st)
            if sm:
                self.status = int(sm.group(1))
                self.reason = sm.group(2) or ''
                # Every status with its phrase (RFC 9110), never "Unknown".
                if self.reason != reason_phrase(self.status):
                    self.bad_header_lines.append('Status: %s (the phrase of %d is %r)'
                                                 % (st, self.status,
                                                    reason_phrase(self.status)))
        elif self.header('Location') is not None:
            self.status = 302
        elif self.headers:
            self.status = 200

    # --- headers ----------------------------------------------------------
    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def cookies(self):
        """{name: (value, {attr-lower: value-or-True})} from the Set-Cookie headers."""
        out = {}
        for sc in self.header_all('Set-Cookie'):
            parts = [p.strip() for p in sc.split(';')]
            if not parts or '=' not in parts[0]:
                continue
            name, value = parts[0].split('=', 1)
            attrs = {}
            for p in parts[1:]:
                if '=' in p:
                    k, v = p.split('=', 1)
                    attrs[k.strip().lower()] = v.strip()
                elif p:
                    attrs[p.lower()] = True
            out[name.strip()] = (value.strip(), attrs)
        return out

    @property
    def cookie_vid(self):
        c = self.cookies().get('otp_vid')
        return c[0] if c else None

    # --- body -------------------------------------------------------------
    @property
    def text(self):
        return self.body.decode('utf-8', 'replace')

    @property
    def page(self):
        m = re.search(r'<body\b[^>]*\bdata-page\s*=\s*["\']?([A-Za-z_-]+)', self.text)
        return m.group(1) if m else None

    def inputs(self):
        """[{attr: value}] of the page's <input> elements (values unescaped)."""
        res = []
        for tag in re.findall(r'<input\b[^>]*>', self.text, re.I | re.S):
            attrs = {}
            for am in re.finditer(r'([A-Za-z_:-]+)\s*(?:=\s*("[^"]*"|\'[^\']*\'|[^\s>]+))?', tag[6:]):
                v = am.group(2)
                if v is None:
                    v = ''
                elif v[:1] in '"\'':
                    v = v[1:-1]
                attrs[am.group(1).lower()] = html.unescape(v)
            res.append(attrs)
        return res

    @property
    def hidden_vid(self):
        for a in self.inputs():
            if a.get('name') == 'verification_id':
                return a.get('value')
        return None

    @property
    def vid(self):
        """The verification id this answer hands the visitor (cookie, else hidden field)."""
        return self.cookie_vid or self.hidden_vid

    def links(self):
        return [html.unescape(h) for h in
                re.findall(r'<a\b[^>]*\bhref\s*=\s*["\']([^"\']*)["\']', self.text, re.I)]

    def forms(self):
        return [html.unescape(a) for a in
                re.findall(r'<form\b[^>]*\baction\s*=\s*["\']([^"\']*)["\']', self.text, re.I)]

    def has_error_element(self):
        return re.search(r'<[a-zA-Z][^>]*\bclass\s*=\s*["\'][^"\']*\berror\b', self.text) is not None

    def describe(self, body_chars=1500):
        env = {k: v for k, v in self.env.items() if k != 'OTP_CONFIG'}
        return ('\n--- %s %s -> status %s (rc %s, %.2fs%s)\nenv: %r\nheaders: %r\n'
                'bad header lines: %r\nbody: %s\nstderr: %s---'
                % (self.env.get('REQUEST_METHOD'), self.prog, self.status, self.returncode,
                   self.elapsed, ', TIMED OUT' if self.timed_out else '', env, self.headers,
                   self.bad_header_lines, self.short_text()[:body_chars], self.stderr[-3000:]))

    def short_text(self):
        """The body without its <style> and <head>, for messages."""
        t = re.sub(r'(?is)<style\b.*?</style>', '<style>...</style>', self.text)
        return re.sub(r'(?is)<head\b.*?</head>', '<head>...</head>', t)

    def __repr__(self):
        return '<Response %s %s page=%s>' % (self.prog, self.status, self.page)


def cgi_env(method='GET', *, body_len=None, content_type=None, query='', host='localhost',
            cookie=None, origin=None, referer=None, script_name='/cgi-bin/request.cgi',
            remote_addr='127.0.0.1', https=False, config=None, server_port=None,
            content_length=None, extra=None):
    """The environment a web server gives a CGI program; no PATH, nothing else."""
    env = {
        'GATEWAY_INTERFACE': 'CGI/1.1',
        'SERVER_PROTOCOL': 'HTTP/1.1',
        'SERVER_NAME': host.split(':')[0] if host else 'localhost',
        'SERVER_PORT': str(server_port or (443 if https else 80)),
        'REQUEST_METHOD': method,
        'QUERY_STRING': query,
        'SCRIPT_NAME': script_name,
        'REMOTE_ADDR': remote_addr,
    }
    if host is not None:
        env['HTTP_HOST'] = host
    if content_length is not None:
        env['CONTENT_LENGTH'] = str(content_length)
    elif body_len is not None and (body_len > 0 or method == 'POST'):
        env['CONTENT_LENGTH'] = str(body_len)
    if content_type is not None:
        env['CONTENT_TYPE'] = content_type
    if cookie is not None:
        env['HTTP_COOKIE'] = cookie
    if origin is not None:
        env['HTTP_ORIGIN'] = origin
    if referer is not None:
        env['HTTP_REFERER'] = referer
    if https:
        env['HTTPS'] = 'on'
    if config is not None:
        env['OTP_CONFIG'] = str(config)
    if extra:
        for k, v in extra.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
    return env


FASTCGI = os.environ.get('OTP_TEST_FASTCGI') == '1'
STORE = os.environ.get('OTP_TEST_STORE') or 'sqlite'
if STORE not in ('sqlite', 'pg'):
    raise RuntimeError('OTP_TEST_STORE=%s: sqlite or pg' % STORE)
PG = STORE == 'pg'


def sqlite_only(why):
    """Skip a test (or a class) in PostgreSQL mode: it is about SQLite's
    file itself, which the programs do not use there; why says what."""
    return unittest.skipIf(PG, 'about SQLite (OTP_TEST_STORE=pg): ' + why)


def pg_only(why):
    """Run a test only in PostgreSQL mode; why says what it is about."""
    return unittest.skipUnless(PG, 'PostgreSQL mode only (OTP_TEST_STORE=pg): ' + why)


def require_store():
    """SkipTest in PostgreSQL mode when no cluster can be started here."""
    if PG:
        import pg
        why = pg.unavailable()
        if why:
            raise unittest.SkipTest(why)


def unreachable_store():
    """Config keys naming a store that cannot be opened: a DB_PATH under
    /proc, or in PostgreSQL mode a DATABASE_URL whose socket directory
    does not exist."""
    if PG:
        return {'DATABASE_URL': 'postgresql:///otp?host=/proc/nonexistent&user=postgres'}
    return {'DB_PATH': '/proc/nonexistent/x.db'}


def _run_fastcgi(prog, env, stdin, timeout, app=None):
    """As run_cgi(), through the FastCGI application of prog (or app)."""
    import fcgi_client
    if app is None:
        app = fcgi_client.app_for(prog)
    start = time.monotonic()
    timed_out = False
    try:
        out, err, status = app.request(env, stdin, timeout)
    except fcgi_client.Timeout:
        out, err, status, timed_out = b'', b'', None, True
    except (EOFError, OSError) as e:
        out, err, status = b'', ('fastcgi: %s' % e).encode(), None
    return Response(prog, env, len(stdin), out, err, status, time.monotonic() - start,
                    timed_out, len(stdin), False)


def run_cgi(prog, env, stdin=b'', timeout=DEFAULT_TIMEOUT, keep_stdin_open=None,
            stdin_file=False, user=None, preexec_fn=None, app=None):
    """Run prog with env and stdin; return a Response.

    The body is written by a thread so that a program that stops reading
    shows as stdin_broken (EPIPE) instead of blocking us.  keep_stdin_open
    (seconds) keeps stdin open after the body, as a slow client would.
    stdin_file: give the body as a regular file of exactly its bytes
    instead, and set Response.stdin_consumed to the file offset the program
    left (how much it read, even of a small body).  preexec_fn runs in the
    child before the program (say, to set a resource limit).  app: an
    fcgi_client.App the test started (its own process environment, say) to
    send the request to, whatever OTP_TEST_FASTCGI says.
    """
    if isinstance(stdin, str):
        stdin = stdin.encode()
    if app is not None:
        return _run_fastcgi(prog, env, stdin, timeout, app)
    if stdin_file:
        return _run_cgi_file(prog, env, stdin, timeout)
    # OTP_TEST_FASTCGI=1: the request goes to the program running as a
    # FastCGI application, unless the test is about the process itself (a
    # slow or broken stdin, another user, resource limits).
    if FASTCGI and keep_stdin_open is None and user is None and preexec_fn is None and \
            os.path.basename(str(prog)) in ('request.cgi', 'verify.cgi'):
        return _run_fastcgi(prog, env, stdin, timeout)
    start = time.monotonic()
    extra = {}
    if user is not None:  # run as another user (the tests run as root: see test_read_only_dir)
        import pwd
        pw = pwd.getpwnam(user)
        extra = {'user': pw.pw_uid, 'group': pw.pw_gid, 'extra_groups': []}
    if preexec_fn is not None:
        extra['preexec_fn'] = preexec_fn
    proc = subprocess.Popen([str(prog)], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=str(Path(prog).parent), start_new_session=True,
                            close_fds=True, **extra)
    state = {'written': 0, 'broken': False}
    out_chunks, err_chunks = [], []

    def writer():
        try:
            view = memoryview(stdin)
            while state['written'] < len(stdin):
                n = proc.stdin.write(view[state['written']:state['written'] + 65536])
                proc.stdin.flush()
                state['written'] += n if n is not None else min(65536, len(stdin) - state['written'])
            if keep_stdin_open:
                time.sleep(keep_stdin_open)
        except (BrokenPipeError, ConnectionResetError, OSError, ValueError):
            state['broken'] = True
        finally:
            try:
                proc.stdin.close()
            except (BrokenPipeError, OSError, ValueError):
                pass

    def reader(f, sink):
        while True:
            chunk = f.read(65536)
            if not chunk:
                break
            sink.append(chunk)

    threads = [threading.Thread(target=writer, daemon=True),
               threading.Thread(target=reader, args=(proc.stdout, out_chunks), daemon=True),
               threading.Thread(target=reader, args=(proc.stderr, err_chunks), daemon=True)]
    for t in threads:
        t.start()
    timed_out = False
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            proc.kill()
        proc.wait(10)
    elapsed = time.monotonic() - start
    for t in threads[1:]:
        t.join(10)
    threads[0].join(max(1.0, (keep_stdin_open or 0) + 1.0))
    return Response(prog, env, len(stdin), b''.join(out_chunks), b''.join(err_chunks),
                    proc.returncode, elapsed, timed_out, state['written'], state['broken'])


def _run_cgi_file(prog, env, stdin, timeout):
    with tempfile.TemporaryFile() as f:
        f.write(stdin)
        f.seek(0)
        start = time.monotonic()
        proc = subprocess.Popen([str(prog)], env=env, stdin=f, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=str(Path(prog).parent),
                                start_new_session=True, close_fds=True)
        timed_out = False
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                proc.kill()
            out, err = proc.communicate(timeout=10)
        elapsed = time.monotonic() - start
        consumed = os.lseek(f.fileno(), 0, os.SEEK_CUR)
    r = Response(prog, env, len(stdin), out, err, proc.returncode, elapsed, timed_out,
                 consumed, False)
    r.stdin_consumed = consumed
    return r


def form(**fields):
    """An urlencoded body from fields (a None value is left out)."""
    return urllib.parse.urlencode([(k, v) for k, v in fields.items() if v is not None])


def _quote(v):
    if isinstance(v, bool):
        return 'True' if v else 'False'
    if isinstance(v, int):
        return str(v)
    s = str(v)
    if "'" not in s:
        return "'%s'" % s
    return '"%s"' % s


def _pg_query(query, has_params):
    """query with SQLite's ? placeholders as psycopg2's %s (outside string
    literals), and a literal % doubled when parameters are given."""
    out, quote = [], None
    for ch in query:
        if quote is None and ch in '\'"':
            quote = ch
        elif ch == quote:
            quote = None
        if ch == '?' and quote is None:
            out.append('%s')
        elif ch == '%' and has_params:
            out.append('%%')
        else:
            out.append(ch)
    return ''.join(out)


class Site:
    """One installation: a temp dir with a config file, a DB path, an outbox.

    keys: config keys on top of the tutorial's file and the test keys
    (a value of None leaves a key out; raw_config replaces the whole text).
    db_path: the database's path (default otp.db in the site's directory;
    keys['DB_PATH'] still wins).  In PostgreSQL mode (OTP_TEST_STORE=pg)
    the site's store is database_url, a fresh schema, written as
    DATABASE_URL (DB_PATH is still written: the programs ignore it then).
    Every Response run through it is kept in self.responses.
    """

    def __init__(self, fake=None, keys=None, transport=None, raw_config=None, prefix='otp-cgi-',
                 db_path=None):
        self.dir = Path(tempfile.mkdtemp(prefix=prefix))
        self.db_path = Path(db_path) if db_path is not None else self.dir / 'otp.db'
        self.database_url = None
        self._own_store = False
        if PG:
            import pg
            self.database_url = pg.session_cluster().new_schema()
            self._own_store = True
        self.outbox_path = self.dir / 'outbox.jsonl'
        self.config_path = self.dir / 'otp.conf'
        self.fake = fake
        self.responses = []
        self._lock = threading.Lock()
        self.keys = {}
        self.transport = transport or ('telnyx' if fake is not None else 'outbox')
        self.configure(keys, raw_config)

    def configure(self, keys=None, raw_config=None):
        if raw_config is not None:
            self.config_path.write_text(raw_config)
            return
        base = {
            'SMS_TRANSPORT': self.transport,
            # Tests send many codes to +1 202 555 and verify few: the
            # conversion breaker (on by default) is tested on its own.
            'CONVERSION_MODE': 'off',
            'DB_PATH': str(self.db_path),
            'TEMPLATE_DIR': str(TEMPLATE_DIR),
        }
        if self.database_url is not None:
            base['DATABASE_URL'] = self.database_url
        if self.transport == 'telnyx' and self.fake is not None:
            base['API_BASE_URL'] = self.fake.url
        if self.transport == 'outbox':
            base['OUTBOX_PATH'] = str(self.outbox_path)
        base.update(keys or {})
        self.keys = base
        self.config_path.write_text(self.config_text(base))

    @staticmethod
    def config_text(keys):
        """The tutorial's config.cfg verbatim (its keys may be overridden or
        removed with None), then the test's keys."""
        tut = [('API_KEY', "'%s'" % API_KEY), ('FROM_NUMBER', "'%s'" % FROM_NUMBER), None,
               ('DEBUG', 'True'), ('COUNTRY_CODE', "'+1'"), ('TOKEN_LENGTH', '4')]
        lines = ['# the tutorial\'s config.cfg']
        for item in tut:
            if item is None:
                lines.append('')
                continue
            k, v = item
            if k in keys:
                if keys[k] is not None:
                    lines.append('%s=%s' % (k, _quote(keys[k])))
            else:
                lines.append('%s=%s' % (k, v))
        lines += ['', '# the test\'s keys']
        tut_keys = {i[0] for i in tut if i}
        for k, v in keys.items():
            if k in tut_keys or v is None:
                continue
            lines.append('%s=%s' % (k, _quote(v)))
        return '\n'.join(lines) + '\n'

    def cleanup(self):
        if os.environ.get('OTP_TEST_KEEP'):
            return
        shutil.rmtree(self.dir, ignore_errors=True)
        self._drop_store()

    def _drop_store(self):
        if self._own_store:
            import pg
            cluster = pg.session_cluster(start=False)
            if cluster is not None:
                cluster.drop(self.database_url)
            self._own_store = False

    # --- the store, read and written by the test ----------------------------
    def use_store_of(self, other):
        """Share other's store (its DB_PATH, or its DATABASE_URL); call
        configure() after it.  other keeps the store and drops it."""
        self._drop_store()
        self.db_path = other.db_path
        self.database_url = other.database_url

    def sql(self, query, params=(), dicts=False):
        """Run one statement on the site's store, in portable SQL with ?
        placeholders; return its rows as tuples (dicts: {column: value}).
        Blobs (BYTEA in PostgreSQL) come back as bytes."""
        if PG:
            import pg
            return pg.query(self.database_url, _pg_query(query, bool(params)),
                            tuple(params) or None, dicts)
        con = sqlite3.connect('file:%s?mode=rw' % self.db_path, uri=True, timeout=30)
        try:
            if dicts:
                con.row_factory = sqlite3.Row
            with con:
                rows = con.execute(query, tuple(params)).fetchall()
            return [dict(r) for r in rows] if dicts else rows
        finally:
            con.close()

    def age_sends(self, seconds, where='TRUE', args=()):
        """Move the rows of `send` that match where `seconds` into the past,
        and their counts in send_minute with them, in one transaction: what
        waiting that long would have made of them.  The programs never
        update a row of `send`, so SQLite's schema has no trigger that moves
        the counts (PostgreSQL's has one, which does it there).  The counts
        are of texts and calls, as the trigger send_counted counts them."""
        update = 'UPDATE send SET at = at - ? WHERE ' + where
        if PG:
            self.sql(update, (seconds,) + tuple(args))
            return
        con = sqlite3.connect('file:%s?mode=rw' % self.db_path, uri=True, timeout=30)
        try:
            with con:
                con.execute(update, (seconds,) + tuple(args))
                con.execute('DELETE FROM send_minute')
                # Calls count as texts there (schema 10).
                con.execute("INSERT INTO send_minute (scope, minute, n) SELECT '*', at / 60, "
                            "count(*) FROM send WHERE channel IN ('sms', 'voice') "
                            "GROUP BY at / 60")
                con.execute("INSERT INTO send_minute (scope, minute, n) SELECT country, "
                            "at / 60, count(*) FROM send WHERE channel IN ('sms', 'voice') "
                            "AND country != '' GROUP BY country, at / 60")
        finally:
            con.close()

    def sql_many(self, query, seq):
        """Run one statement for each parameter tuple of seq, in one transaction."""
        if PG:
            import pg
            return pg.query_many(self.database_url, _pg_query(query, True), list(seq))
        con = sqlite3.connect('file:%s?mode=rw' % self.db_path, uri=True, timeout=30)
        try:
            with con:
                con.executemany(query, seq)
        finally:
            con.close()

    def row_id(self, table):
        """The column that numbers the rows of table (send, failure,
        verified) in the order written: SQLite's rowid, PostgreSQL's id."""
        assert table in ('send', 'failure', 'verified'), table
        return 'id' if PG else 'rowid'

    def store_made(self):
        """Whether a program has made the store (the file, or the tables)."""
        if PG:
            return self.sql("SELECT to_regclass('verification') IS NOT NULL")[0][0]
        return self.db_path.exists()

    def tables(self):
        """The names of the store's tables, sorted."""
        if PG:
            q = ("SELECT table_name FROM information_schema.tables "
                 "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")
        else:
            q = "SELECT name FROM sqlite_master WHERE type = 'table'"
        return sorted(t for (t,) in self.sql(q))

    def set_schema_version(self, version):
        """Make the store claim schema version (PRAGMA user_version, or
        otp_schema.version in PostgreSQL)."""
        if PG:
            self.sql('UPDATE otp_schema SET version = ?', (int(version),))
            return
        con = sqlite3.connect('file:%s?mode=rw' % self.db_path, uri=True, isolation_level=None)
        try:
            con.execute('PRAGMA user_version = %d' % int(version))
        finally:
            con.close()

    def dump(self):
        """The whole store as SQL text: sqlite3's .dump, or pg_dump of the
        site's schema (without its \\restrict lines)."""
        if PG:
            import pg
            argv = [os.path.join(pg.bindir(), 'pg_dump'), '--no-owner',
                    '--schema=' + pg.schema_of(self.database_url), '-d', self.database_url]
        else:
            argv = ['sqlite3', str(self.db_path), '.dump']
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                             check=True).stdout
        # pg_dump 15.14 and later frame the dump with \restrict <random key>:
        # not the store's data, and a random key may hold any short string.
        return ''.join(line for line in out.splitlines(keepends=True)
                       if not line.startswith(('\\restrict ', '\\unrestrict ')))

    def store_bytes(self):
        """The raw bytes the store keeps on disk: the SQLite file and its
        -wal, -journal and -shm; in PostgreSQL, after a CHECKPOINT, the
        files of the site's tables, indexes and TOAST, and the current WAL
        segment up to where it is written."""
        if not PG:
            raw = b''
            for suffix in ('', '-wal', '-journal', '-shm'):
                p = Path(str(self.db_path) + suffix)
                if p.exists():
                    raw += p.read_bytes()
            return raw
        import pg
        cluster = pg.session_cluster()
        self.sql('CHECKPOINT')
        rels = self.sql(
            "SELECT pg_relation_filepath(c.oid) FROM pg_class c WHERE c.oid IN ("
            " SELECT oid FROM pg_class WHERE relnamespace = current_schema()::regnamespace"
            " UNION SELECT reltoastrelid FROM pg_class"
            "  WHERE relnamespace = current_schema()::regnamespace"
            " UNION SELECT i.indexrelid FROM pg_index i"
            "  JOIN pg_class t ON t.reltoastrelid = i.indrelid"
            "  WHERE t.relnamespace = current_schema()::regnamespace)"
            " AND pg_relation_filepath(c.oid) IS NOT NULL")
        raw = b''
        for (rel,) in rels:
            base = os.path.join(cluster.data, rel)
            for n in range(0, 1000):  # a relation's 1 GB segments: base, base.1, ...
                p = base if n == 0 else '%s.%d' % (base, n)
                if not os.path.exists(p):
                    break
                raw += Path(p).read_bytes()
        (walfile, offset), = self.sql(
            'SELECT file_name, file_offset FROM pg_walfile_name_offset(pg_current_wal_lsn())')
        with open(os.path.join(cluster.data, 'pg_wal', walfile), 'rb') as f:
            raw += f.read(offset)
        return raw

    # --- running ----------------------------------------------------------
    def run(self, prog, method='GET', body=None, *, content_type=None, cookie=None,
            timeout=DEFAULT_TIMEOUT, script_name=None, config=True, keep_stdin_open=None,
            stdin_file=False, user=None, preexec_fn=None, app=None, **env_kw):
        if body is None:
            body = b''
        elif isinstance(body, str):
            body = body.encode()
        if script_name is None:
            script_name = '/cgi-bin/' + os.path.basename(str(prog))
        if method == 'POST' and content_type is None:
            content_type = FORM
        env = cgi_env(method, body_len=len(body) if method == 'POST' or body else None,
                      content_type=content_type, cookie=cookie, script_name=script_name,
                      config=self.config_path if config is True else config, **env_kw)
        r = run_cgi(prog, env, body, timeout=timeout, keep_stdin_open=keep_stdin_open,
                    stdin_file=stdin_file, user=user, preexec_fn=preexec_fn, app=app)
        with self._lock:
            self.responses.append(r)
        return r

    def post(self, prog, body, **kw):
        return self.run(prog, 'POST', body, **kw)

    def get(self, prog, **kw):
        return self.run(prog, 'GET', **kw)

    def request(self, phone, vid=None, extra_fields=None, **kw):
        """POST request.cgi with field phone (vid: send it as the cookie)."""
        fields = [('phone', phone)] if phone is not None else []
        fields += list((extra_fields or {}).items())
        if vid is not None and 'cookie' not in kw:
            kw['cookie'] = 'otp_vid=' + vid
        return self.post(REQUEST, urllib.parse.urlencode(fields), **kw)

    def verify(self, token, vid=None, cookie_vid=None, extra_fields=None, **kw):
        """POST verify.cgi: token, verification_id=vid (hidden field), and
        cookie_vid as the otp_vid cookie."""
        fields = []
        if token is not None:
            fields.append(('token', token))
        if vid is not None:
            fields.append(('verification_id', vid))
        fields += list((extra_fields or {}).items())
        if cookie_vid is not None and 'cookie' not in kw:
            kw['cookie'] = 'otp_vid=' + cookie_vid
        return self.post(VERIFY, urllib.parse.urlencode(fields), **kw)

    def webhook(self, body, headers, method='POST', content_type='application/json', **kw):
        """Run webhook.cgi on body (bytes) with Telnyx's headers (a dict of
        telnyx-signature-ed25519 and telnyx-timestamp, or fewer)."""
        extra = dict(kw.pop('extra', None) or {})
        extra.update(webhook_env(headers))
        return self.run(WEBHOOK, method, body, content_type=content_type, extra=extra, **kw)

    # --- what was sent ----------------------------------------------------
    def outbox(self):
        if not self.outbox_path.exists():
            return []
        return [json.loads(line) for line in self.outbox_path.read_text().splitlines()
                if line.strip()]

    def sent_texts(self, phone):
        if self.transport == 'outbox':
            return [m.get('text') for m in self.outbox() if m.get('to') == phone]
        return [m.get('text') for m in self.fake.messages_to(phone)]

    def code_for(self, phone):
        texts = self.sent_texts(phone)
        return fake_telnyx.extract_code(texts[-1]) if texts else None

    def all_output(self):
        """Every byte every program printed (headers, bodies, stderr), as text."""
        with self._lock:
            return '\n'.join(r.raw.decode('latin-1') + '\n' + r.stderr for r in self.responses)


def webhook_env(headers):
    """What a web server makes of a webhook's headers: HTTP_TELNYX_... ."""
    return {'HTTP_' + k.upper().replace('-', '_'): v for k, v in headers.items()}


class WebhookGateway:
    """What a web server does for webhook.cgi, for the contract suite (no
    web server there): an HTTP server on 127.0.0.1 that runs webhook.cgi
    (as CGI, or as FastCGI with OTP_TEST_FASTCGI=1) for each POST, with
    the request's headers as the environment, and answers what it wrote.
    url is what WEBHOOK_URL names; stop() stops it."""

    def __init__(self, site):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        gateway = self
        self.site = site
        self.responses = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(n)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower().startswith('telnyx-')}
                r = site.webhook(body, headers, content_type=self.headers.get('Content-Type'))
                gateway.responses.append(r)
                out = r.body if isinstance(r.body, bytes) else (r.body or '').encode()
                self.send_response(r.status or 502)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self._server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={'poll_interval': 0.1}, daemon=True)
        self._thread.start()
        self.url = 'http://127.0.0.1:%d/cgi-bin/webhook.cgi' % self._server.server_address[1]

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


class CGITestCase(unittest.TestCase):
    """A test with a started fake Telnyx (self.fake) and a Site (self.site)."""

    fake_mode = 'ok'
    site_keys = None
    transport = None
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        require_built()
        require_store()

    def setUp(self):
        self.fake = fake_telnyx.FakeTelnyx(mode=self.fake_mode).start()
        self.addCleanup(self.fake.stop)
        self.site = self.make_site(self.site_keys, transport=self.transport)

    def template_copy(self, name):
        """A copy of the shipped templates in the test's site directory, as
        a site that edits its templates has; its path."""
        d = self.site.dir / name
        shutil.copytree(TEMPLATE_DIR, d)
        return d

    def make_site(self, keys=None, transport=None, raw_config=None, fake=True, db_path=None):
        site = Site(fake=self.fake if fake else None, keys=keys, transport=transport,
                    raw_config=raw_config, db_path=db_path)
        self.addCleanup(site.cleanup)
        return site

    # --- checks -----------------------------------------------------------
    def assertSane(self, r):
        """What every answer must be: no hang, no crash, parseable CGI output,
        the security headers, no sanitizer report."""
        self.assertFalse(r.timed_out, 'program did not finish' + r.describe())
        self.assertGreaterEqual(r.returncode, 0, 'program killed by a signal' + r.describe())
        for mark in _CRASH_MARKS:
            self.assertNotIn(mark, r.stderr, 'crash report in stderr' + r.describe())
        self.assertEqual(r.bad_header_lines, [], 'malformed CGI header block' + r.describe())
        self.assertIsNotNone(r.status, 'no status' + r.describe())
        self.assertTrue(r.has_status_line, 'no Status: header' + r.describe())
        cl = r.header('Content-Length')
        if cl is not None:
            self.assertEqual(cl, str(len(r.body)), 'Content-Length does not match the body'
                             + r.describe(200))
        self.assertSecurityHeaders(r)

    def assertSecurityHeaders(self, r):
        csp = r.header('Content-Security-Policy')
        self.assertTrue(csp, 'no Content-Security-Policy' + r.describe(300))
        self.assertEqual((r.header('X-Content-Type-Options') or '').lower(), 'nosniff',
                         r.describe(300))
        # no referrer to other sites: 'no-referrer', or 'same-origin' (the lead's choice:
        # under no-referrer browsers send 'Origin: null' with the site's own forms)
        self.assertIn((r.header('Referrer-Policy') or '').lower(), ('no-referrer', 'same-origin'),
                      r.describe(300))
        self.assertIn('no-store', (r.header('Cache-Control') or '').lower(), r.describe(300))

    def assertStatus(self, r, status, page=None):
        self.assertSane(r)
        if isinstance(status, (tuple, list, set)):
            self.assertIn(r.status, status, r.describe())
        else:
            self.assertEqual(r.status, status, r.describe())
        if page is not None:
            if isinstance(page, (tuple, list, set)):
                self.assertIn(r.page, page, 'data-page' + r.describe())
            else:
                self.assertEqual(r.page, page, 'data-page' + r.describe())
        return r

    def assertHtml(self, r):
        ct = (r.header('Content-Type') or '').lower()
        self.assertTrue(ct.startswith('text/html'), 'Content-Type %r' % ct + r.describe(300))

    # --- steps --------------------------------------------------------------
    def start_flow(self, phone, expect_to=None, vid=None, **kw):
        """POST request.cgi for phone: assert 200 + verify page, return
        (response, verification id, code sent)."""
        site = kw.pop('site', self.site)
        before = len(site.sent_texts(expect_to or phone)) if site.transport == 'outbox' else \
            len(self.fake.messages)
        r = site.request(phone, vid=vid, **kw)
        self.assertStatus(r, 200, 'verify')
        to = expect_to or phone
        if site.transport == 'outbox':
            texts = site.sent_texts(to)
            self.assertEqual(len(texts), before + 1, 'outbox: %r' % site.outbox())
            code = fake_telnyx.extract_code(texts[-1])
        else:
            self.assertTrue(self.fake.wait_messages(before + 1, 5),
                            'the fake received nothing' + r.describe())
            code = self.fake.code_for(to)
        self.assertIsNotNone(code, 'no code in what was sent to %s: %r'
                             % (to, site.sent_texts(to)))
        v = r.vid
        self.assertIsNotNone(v, 'no verification id in the answer' + r.describe())
        return r, v, code
