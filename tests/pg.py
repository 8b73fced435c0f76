#!/usr/bin/python3
"""A throwaway PostgreSQL cluster for the tests (Debian's postgresql package).

    with pg.Cluster() as cluster:            # initdb + pg_ctl start, in a temp dir
        url = cluster.new_schema()           # a libpq URL of a fresh, empty schema
        pg.query(url, 'SELECT 1')            # [(1,)]
    # stopped (pg_ctl stop -m fast), the directory removed

    cluster = pg.session_cluster()           # one per test process, started on
                                             # first use, stopped at exit

The cluster listens on a Unix socket only, in its temporary directory (no
TCP port, nothing another test run could reach), trusts every local user,
and trades durability for speed (fsync off).  initdb refuses to run as
root: then initdb, pg_ctl and the server run as the user postgres (the
package makes it) with the directory chowned to it.  The directory is
0755 and the socket 0777, so that programs run as other users (Apache's
www-data) can connect; the superuser is named postgres either way.

A site's store is a schema of its own in one database: its URL selects it
with options=-csearch_path%3D<schema>, so the programs' unqualified tables
go there.  new_database() gives a whole database instead, for a test that
needs one.  Every wait is bounded.

    /usr/bin/python3 tests/pg.py check      # is it usable here? (exit 0 / 1)
"""

import atexit
import decimal
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

SUPERUSER = 'postgres'
START_TIMEOUT = 60      # seconds pg_ctl -w waits for the server to accept connections
STOP_TIMEOUT = 30
SETTINGS = {
    'listen_addresses': "''",
    'unix_socket_permissions': '0777',
    # The contract suite runs 200 programs at once, each with a connection.
    'max_connections': '300',
    'shared_buffers': "'32MB'",
    'fsync': 'off',
    'synchronous_commit': 'off',
    'full_page_writes': 'off',
    'log_min_messages': 'warning',
}


def bindir():
    """The newest /usr/lib/postgresql/N/bin that has initdb, pg_ctl and
    postgres, or None."""
    need = ('initdb', 'pg_ctl', 'postgres')
    dirs = [d for d in glob.glob('/usr/lib/postgresql/*/bin')
            if all(os.access(os.path.join(d, p), os.X_OK) for p in need)]

    def version(d):
        v = d.split('/')[-2]
        return tuple(int(x) for x in v.split('.') if x.isdigit())
    return max(dirs, key=version) if dirs else None


def unavailable():
    """Why a cluster cannot be started here (a sentence), or None."""
    if bindir() is None:
        return ('PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb: '
                'Debian postgresql)')
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        return 'psycopg2 is not installed (Debian python3-psycopg2)'
    if os.geteuid() == 0:
        import pwd
        try:
            pwd.getpwnam(SUPERUSER)
        except KeyError:
            return 'running as root and there is no user postgres to run the server as'
        if shutil.which('runuser') is None:
            return 'running as root and runuser is missing'
    return None


def _value(v):
    """A column value as the tests compare them: bytea as bytes, a numeric
    that is whole (sum() of a BIGINT) as an int."""
    if isinstance(v, memoryview):
        return v.tobytes()
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


def connect(url):
    """A psycopg2 connection to url, autocommitting; the caller closes it."""
    import psycopg2
    con = psycopg2.connect(url, connect_timeout=10)
    con.autocommit = True
    return con


def query(url, sql, params=None, dicts=False):
    """Run one statement (psycopg2's %s placeholders) on url; return its
    rows as tuples (dicts: as {column: value}), [] if it returns none."""
    con = connect(url)
    try:
        with con.cursor() as cur:
            cur.execute(sql, params)
            if cur.description is None:
                return []
            names = [d[0] for d in cur.description]
            rows = [tuple(_value(v) for v in row) for row in cur.fetchall()]
            return [dict(zip(names, r)) for r in rows] if dicts else rows
    finally:
        con.close()


def query_many(url, sql, seq):
    """Run sql once for each parameter tuple of seq, in one transaction."""
    con = connect(url)
    try:
        con.autocommit = False
        with con:
            with con.cursor() as cur:
                cur.executemany(sql, seq)
    finally:
        con.close()


def url_part(url, name):
    """One query parameter of a libpq URL (None if absent)."""
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    return q[name][0] if name in q else None


def schema_of(url):
    """The schema a URL of new_schema() selects, or None."""
    opts = url_part(url, 'options') or ''
    for o in opts.split():
        if o.startswith('-csearch_path='):
            return o.split('=', 1)[1]
    return None


class Cluster:
    """One PostgreSQL server in a temporary directory: start(), stop(), or
    use it as a context manager.  dir holds the socket, data/ and the log."""

    def __init__(self, keep=False, prefix='otp-pg-'):
        self.bin = bindir()
        self.keep = keep
        self.prefix = prefix
        self.dir = None
        self.data = None
        self.log = None
        self.started = False
        self._lock = threading.Lock()
        self._n = 0
        self._watchdog = None
        self._watch_fd = None

    # --- running the server's programs ------------------------------------
    def _as_owner(self, argv):
        if os.geteuid() == 0:
            return [shutil.which('runuser') or '/usr/sbin/runuser', '-u', SUPERUSER, '--'] + argv
        return argv

    def _run(self, argv, timeout):
        env = {'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'LC_ALL': 'C', 'LANG': 'C'}
        return subprocess.run(self._as_owner([os.path.join(self.bin, argv[0])] + argv[1:]),
                              cwd=self.dir, env=env, capture_output=True, text=True,
                              timeout=timeout)

    def start(self):
        """initdb, write the settings, pg_ctl start -w; raise RuntimeError
        (with the log's end) if the server does not come up."""
        why = unavailable()
        if why:
            raise RuntimeError(why)
        self.dir = tempfile.mkdtemp(prefix=self.prefix)
        os.chmod(self.dir, 0o755)
        if os.geteuid() == 0:
            import pwd
            pw = pwd.getpwnam(SUPERUSER)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self.data = os.path.join(self.dir, 'data')
        self.log = os.path.join(self.dir, 'postgres.log')
        atexit.register(self.stop)
        p = self._run(['initdb', '-D', self.data, '-U', SUPERUSER, '--auth=trust', '-E', 'UTF8',
                       '--locale=C', '--no-sync', '--no-instructions'], timeout=120)
        if p.returncode != 0:
            self.stop()
            raise RuntimeError('initdb failed: %s%s' % (p.stdout[-2000:], p.stderr[-2000:]))
        conf = dict(SETTINGS, unix_socket_directories="'%s'" % self.dir)
        with open(os.path.join(self.data, 'postgresql.conf'), 'a') as f:
            f.write('\n# tests/pg.py\n' + ''.join('%s = %s\n' % kv for kv in conf.items()))
        with open(os.path.join(self.data, 'pg_hba.conf'), 'w') as f:
            f.write('local all all trust\n')
        p = self._run(['pg_ctl', '-D', self.data, '-l', self.log, '-w', '-t', str(START_TIMEOUT),
                       '-s', 'start'], timeout=START_TIMEOUT + 30)
        if p.returncode != 0:
            tail = self.log_tail()
            self.stop()
            raise RuntimeError('pg_ctl start failed: %s%s\nlog: %s'
                               % (p.stdout[-2000:], p.stderr[-2000:], tail))
        self.started = True
        self._watch()
        return self

    def _watch(self):
        # A watchdog in a session of its own: it reads a pipe of ours until
        # it closes, which it does when this process ends, however it ends
        # (SIGKILL too, when atexit never runs); then it stops the server
        # and removes the directory, if stop() has not already.
        r, w = os.pipe()
        argv = [sys.executable, os.path.abspath(__file__), 'watch', self.dir,
                '1' if self.keep else '0']
        self._watchdog = subprocess.Popen(argv, stdin=r, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL, start_new_session=True,
                                          close_fds=True, cwd='/')
        os.close(r)
        self._watch_fd = w

    def log_tail(self, n=4000):
        try:
            with open(self.log, errors='replace') as f:
                return f.read()[-n:]
        except OSError:
            return ''

    def postmaster_pid(self):
        """The server's pid from postmaster.pid, or None."""
        try:
            with open(os.path.join(self.data, 'postmaster.pid')) as f:
                return int(f.readline())
        except (OSError, ValueError, TypeError):
            return None

    def stop(self):
        """pg_ctl stop -m fast (then signals, if it will not), and remove the
        directory unless keep.  Safe to call twice."""
        if self.dir is None:
            return
        with self._lock:
            if self.dir is None:
                return
            if os.path.isdir(self.data or ''):
                pid = self.postmaster_pid()
                if pid is not None:
                    try:
                        self._run(['pg_ctl', '-D', self.data, '-m', 'fast', '-w',
                                   '-t', str(STOP_TIMEOUT), '-s', 'stop'],
                                  timeout=STOP_TIMEOUT + 15)
                    except subprocess.TimeoutExpired:
                        pass
                    self._kill(pid)
            self.started = False
            if not self.keep:
                shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
            if self._watch_fd is not None:  # the watchdog finds nothing left to do
                os.close(self._watch_fd)
                self._watch_fd = None
                try:
                    self._watchdog.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self._watchdog.kill()

    @staticmethod
    def _kill(pid):
        # If pg_ctl did not stop it: SIGQUIT (immediate shutdown), then SIGKILL.
        for sig, wait in ((0, 0), (signal.SIGQUIT, 10), (signal.SIGKILL, 5)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    return
                time.sleep(0.05)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- URLs -------------------------------------------------------------
    def url(self, dbname='postgres', schema=None):
        """A libpq URL of dbname on this server's socket (schema: first in
        its search_path)."""
        q = [('host', self.dir), ('user', SUPERUSER)]
        if schema is not None:
            q.append(('options', '-csearch_path=' + schema))
        return 'postgresql:///%s?%s' % (dbname, urllib.parse.urlencode(q, safe='/'))

    def _next(self):
        with self._lock:
            self._n += 1
            return self._n

    def new_schema(self):
        """The URL of a fresh, empty schema of database postgres."""
        name = 'otp_site_%d' % self._next()
        query(self.url(), 'CREATE SCHEMA %s' % name)
        return self.url(schema=name)

    def new_database(self):
        """The URL of a fresh, empty database."""
        name = 'otp_%d' % self._next()
        query(self.url(), 'CREATE DATABASE %s' % name)
        return self.url(name)

    def drop(self, url):
        """Drop what new_schema() or new_database() made for url (bounded:
        a lock still held by a program gives up after 5 s); True if done."""
        import psycopg2
        schema = schema_of(url)
        name = urllib.parse.urlsplit(url).path.lstrip('/')
        try:
            if schema is not None:
                con = connect(self.url())
                try:
                    with con.cursor() as cur:
                        cur.execute("SET lock_timeout = '5s'")
                        cur.execute('DROP SCHEMA IF EXISTS %s CASCADE' % schema)
                finally:
                    con.close()
            elif name not in ('', 'postgres'):
                query(self.url(), 'DROP DATABASE IF EXISTS %s WITH (FORCE)' % name)
            return True
        except psycopg2.Error:
            return False


_session = None
_session_lock = threading.Lock()


def session_cluster(start=True):
    """The cluster of this process: started on the first call, stopped
    when the process exits (OTP_TEST_KEEP=1: its directory is kept).
    start=False: None if it is not running."""
    global _session
    with _session_lock:
        if _session is None or not _session.started:
            if not start:
                return None
            _session = Cluster(keep=bool(os.environ.get('OTP_TEST_KEEP'))).start()
        return _session


def _watchdog(directory, keep):
    """Cluster._watch()'s child: wait for EOF on stdin, then stop the
    cluster in directory (if it still runs) and remove it unless keep."""
    while os.read(0, 4096):
        pass
    c = Cluster(keep=keep)
    c.dir, c.data = directory, os.path.join(directory, 'data')
    c.stop()


def main(argv):
    if len(argv) == 4 and argv[1] == 'watch':
        _watchdog(argv[2], argv[3] == '1')
        return 0
    if argv[1:] == ['check']:
        why = unavailable()
        print(why or 'PostgreSQL %s is usable' % bindir())
        return 1 if why else 0
    print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
