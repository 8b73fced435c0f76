"""The PostgreSQL engine itself (lib/store_pg.c), against real throwaway
servers (tests/pg.py): its schema in step with SQLite's, the first requests
to an empty database, a newer schema refused, the server down, silent or
restarted, a failover in the config, and the one clock.  The contract
suites run whole against PostgreSQL too (OTP_TEST_STORE=pg: suites cgi-pg
and abuse-pg); this file runs in the plain and ASan suites only."""

import os
import re
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import harness  # noqa: E402
from harness import REQUEST, VERIFY  # noqa: E402
import pg  # noqa: E402

FAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1'
# The version sql/schema.sql makes, which sql/pg-schema.sql must match.
LATEST = int(re.findall(r'PRAGMA user_version = (\d+);',
                        (harness.REPO / 'sql' / 'schema.sql').read_text())[-1])
SECRET = 'pw-hunter2-never-logged'

# Once: the full suites run in the other modes.
SKIP = harness.FASTCGI or harness.PG
WHY = 'the engine tests run once, in the plain and ASan cgi suites'


def _pg_or_skip():
    why = pg.unavailable()
    if why:
        raise unittest.SkipTest(why)


def with_password(url):
    """url with a password in it, which the programs must never log (trust
    authentication ignores it)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(netloc='postgres:%s@' % SECRET))


def pg_ctl(cluster, *args):
    p = cluster._run(['pg_ctl', '-D', cluster.data, '-l', cluster.log, '-w', '-t', '60', '-s']
                     + list(args), timeout=90)
    if p.returncode != 0:
        raise RuntimeError('pg_ctl %s: %s%s\n%s' % (args, p.stdout, p.stderr,
                                                      cluster.log_tail()))


@unittest.skipIf(SKIP, WHY)
class EngineTest(harness.CGITestCase):
    """On the tests' shared server, a fresh schema or database each."""

    fake_mode = 'ok'
    site_keys = None
    transport = 'outbox'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        _pg_or_skip()
        cls.cluster = pg.session_cluster()

    def pg_site(self, url=None, **keys):
        url = url or self.cluster.new_schema()
        site = self.make_site(dict(keys, DATABASE_URL=url), transport='outbox')
        site.database_url = url
        site._own_store = True  # dropped at cleanup
        return site

    def test_schema_in_step_with_sqlite(self):
        """The same tables with the same columns in both engines (PostgreSQL
        adds a row id or order where SQLite has its rowid, and keeps its
        version in a table where SQLite has PRAGMA user_version)."""
        lite = self.make_site(transport='outbox', keys={'DATABASE_URL': None})
        lite.database_url = None
        site = self.pg_site()
        for s in (lite, site):
            self.start_flow('+12025550143', site=s)
        con = harness.sqlite3.connect(str(lite.db_path))
        try:
            tables = [t for (t,) in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")]
            want = {t: {c[1] for c in con.execute('PRAGMA table_info(%s)' % t)} for t in tables}
        finally:
            con.close()
        rows = pg.query(site.database_url,
                        'SELECT table_name, column_name FROM information_schema.columns '
                        'WHERE table_schema = current_schema()')
        got = {}
        for t, c in rows:
            got.setdefault(t, set()).add(c)
        self.assertEqual(got.pop('otp_schema'), {'version'})
        for t in ('send', 'failure', 'verified'):
            got[t].discard('id')
        got['verification'].discard('seq')
        self.assertEqual(got, want)
        con = harness.sqlite3.connect(str(lite.db_path))
        try:
            (version,), = con.execute('PRAGMA user_version').fetchall()
        finally:
            con.close()
        self.assertEqual(pg.query(site.database_url, 'SELECT version FROM otp_schema'),
                         [(version,)])

    def test_first_requests_to_an_empty_database(self):
        """Sixteen first requests at once from one client to a database
        without tables: one makes the schema under its lock, and the
        client's limit (IP_SEND_LIMIT, 10) holds exactly from the start."""
        site = self.pg_site(url=self.cluster.new_database())
        phones = ['+120255501%02d' % i for i in range(16)]
        with ThreadPoolExecutor(16) as ex:
            rs = list(ex.map(site.request, phones))
        for r in rs:
            self.assertStatus(r, (200, 429))
        self.assertEqual(sorted(r.status for r in rs), [200] * 10 + [429] * 6)
        self.assertEqual(pg.query(site.database_url, 'SELECT version FROM otp_schema'), [(LATEST,)])
        self.assertEqual(pg.query(site.database_url, 'SELECT count(*) FROM send'), [(10,)])
        self.assertEqual(len(site.outbox()), 10)

    def test_newer_schema_refused(self):
        site = self.pg_site()
        self.start_flow('+12025550143', site=site)
        pg.query(site.database_url, 'UPDATE otp_schema SET version = %d' % (LATEST + 1))
        r = site.request('+12025550144')
        self.assertStatus(r, 503)
        self.assertIn('newer than this program', r.stderr)
        self.assertEqual(len(site.outbox()), 1)

    def test_older_schema_upgraded(self):
        """A database of version 6 (before the language column): the first
        program to open it runs sql/pg-migrate-7.sql under the schema lock,
        and the verifications already there keep working."""
        site = self.pg_site()
        _, vid, code = self.start_flow('+12025550143', site=site)
        pg.query(site.database_url, 'ALTER TABLE verification DROP COLUMN lang')
        # ...nor the networks of version 9.
        for table in ('send', 'verification', 'failure'):
            pg.query(site.database_url, 'ALTER TABLE %s DROP COLUMN net' % table)
        # ...nor the calls of version 10, nor the ways a number may take.
        pg.query(site.database_url, 'DROP TABLE voice_call')
        pg.query(site.database_url, 'ALTER TABLE verification DROP COLUMN ways')
        pg.query(site.database_url, 'UPDATE otp_schema SET version = 6')
        r = site.verify(code, vid=vid)
        self.assertStatus(r, 200, 'success')
        self.assertIn('database schema upgraded from version 6 to %d' % LATEST, r.stderr)
        self.assertEqual(pg.query(site.database_url, 'SELECT version FROM otp_schema'),
                         [(LATEST,)])
        self.assertEqual(pg.query(site.database_url, 'SELECT lang FROM verification'), [('',)])

    def test_password_never_logged(self):
        """A password in the URL reaches neither a page nor a log line, on
        success or failure."""
        url = self.cluster.new_schema()
        site = self.pg_site(url=with_password(url))
        _, vid, code = self.start_flow('+12025550143', site=site)
        self.assertStatus(site.verify(code, vid=vid), 200)
        bad = with_password(url.replace(self.cluster.dir, self.cluster.dir + '-gone'))
        site.configure({'DATABASE_URL': bad})
        r = site.request('+12025550144')
        self.assertStatus(r, 503)
        self.assertIn('cannot open database', r.stderr)
        self.assertNotIn(SECRET, site.all_output())

    @unittest.skipUnless(os.path.exists(FAKETIME), 'libfaketime (Debian faketime) is missing')
    def test_the_clock_is_the_databases(self):
        """Web servers whose clocks are hours apart agree on a code's life:
        the time is the database's.  The same skew on SQLite (each machine's
        own clock) makes the code expired, so the test sees the clock."""
        ahead = {'LD_PRELOAD': FAKETIME, 'FAKETIME': '+2h', 'DONT_FAKE_MONOTONIC': '1'}
        if os.environ.get('ASAN_OPTIONS') is not None:
            # The ASan build (cgi-asan): its runtime refuses to come after
            # a preloaded library unless told that this one is meant.
            ahead['ASAN_OPTIONS'] = os.environ['ASAN_OPTIONS'] + ':verify_asan_link_order=0'
        # PostgreSQL: asked for on a machine 2 hours ahead, checked on one
        # on time and on one 2 hours ahead: the code lives as long.
        site = self.pg_site()
        _, vid, code = self.start_flow('+12025550143', site=site, extra=ahead)
        (created, now), = pg.query(site.database_url, 'SELECT created, '
                                   'floor(extract(epoch FROM now()))::bigint FROM verification')
        self.assertLess(abs(created - now), 60, 'created at the local clock')
        self.assertStatus(site.verify('0000', vid=vid, extra=ahead), 422)
        self.assertStatus(site.verify(code, vid=vid), 200, 'success')
        # SQLite: each machine's clock, so the one ahead finds the code dead.
        site = self.make_site(transport='outbox', keys={'DATABASE_URL': None})
        _, vid, code = self.start_flow('+12025550143', site=site)
        self.assertStatus(site.verify(code, vid=vid, extra=ahead), 410)


@unittest.skipIf(SKIP, WHY)
class FaultTest(harness.CGITestCase):
    """A server of its own, stopped and started by the tests."""

    fake_mode = 'ok'
    site_keys = None
    transport = 'outbox'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        _pg_or_skip()
        cls.cluster = pg.Cluster(prefix='otp-pg-fault-').start()

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        if self.cluster.postmaster_pid() is None:
            pg_ctl(self.cluster, 'start')

    def pg_site(self, url=None):
        url = url or self.cluster.new_schema()
        site = self.make_site({'DATABASE_URL': url}, transport='outbox')
        site.database_url = url
        return site

    def test_server_down_then_back(self):
        """Down: a clean 503 at once, nothing sent, nothing stored; back:
        the next request works."""
        site = self.pg_site()
        _, vid, code = self.start_flow('+12025550143', site=site)
        pg_ctl(self.cluster, 'stop', '-m', 'fast')
        r = site.request('+12025550144')
        self.assertStatus(r, 503)
        self.assertLess(r.elapsed, 5)
        self.assertIn('cannot open database', r.stderr)
        self.assertStatus(site.verify(code, vid=vid), 503)
        self.assertEqual(len(site.outbox()), 1)
        pg_ctl(self.cluster, 'start')
        self.assertStatus(site.verify(code, vid=vid), 200, 'success')
        self.start_flow('+12025550144', site=site)

    def test_silent_server_times_out(self):
        """A server that accepts and never answers: the connect timeout
        (the URL's, else 5 s) ends the wait with a 503, nothing sent."""
        lsock = socket.socket()
        lsock.bind(('127.0.0.1', 0))
        lsock.listen(16)
        port = lsock.getsockname()[1]
        held = []

        def accept():
            lsock.settimeout(20)
            try:
                for _ in range(4):
                    held.append(lsock.accept()[0])
            except OSError:
                pass
        t = threading.Thread(target=accept, daemon=True)
        t.start()
        self.addCleanup(lambda: [s.close() for s in held] and None)
        self.addCleanup(lsock.close)
        for url, most in (('postgresql://otp@127.0.0.1:%d/otp?connect_timeout=2' % port, 4.5),
                          ('postgresql://otp@127.0.0.1:%d/otp' % port, 8.5)):
            with self.subTest(url=url):
                site = self.make_site({'DATABASE_URL': url}, transport='outbox')
                r = site.request('+12025550143', timeout=30)
                self.assertStatus(r, 503)
                self.assertGreater(r.elapsed, 1.5)
                self.assertLess(r.elapsed, most)
                self.assertEqual(site.outbox(), [])

    def test_fastcgi_restart_and_failover(self):
        """One FastCGI process keeps its connection: after the server
        restarts, the next request connects afresh and works; after the
        config names another server (a failover), requests go there."""
        import fcgi_client
        site = self.pg_site()
        _, vid, code = self.start_flow('+12025550143', site=site)
        app = fcgi_client.App(VERIFY)
        app.start()
        self.addCleanup(app.stop)

        def status():
            env = harness.cgi_env('GET', config=site.config_path, cookie='otp_vid=' + vid,
                                  script_name='/cgi-bin/verify.cgi',
                                  extra={'HTTP_ACCEPT': 'application/json'})
            out, err, _ = app.request(env, b'', timeout=20)
            r = harness.Response(VERIFY, env, 0, out, err, 0, 0, False, 0, False)
            return r

        self.assertStatus(status(), 200)
        pid = app.pid()
        pg_ctl(self.cluster, 'restart', '-m', 'fast')
        r = status()
        self.assertStatus(r, 200)
        self.assertEqual(app.pid(), pid, 'the process was restarted')
        # The failover: another server, the same data moved there.
        other = pg.Cluster(prefix='otp-pg-other-').start()
        self.addCleanup(other.stop)
        dump = subprocess.run(['pg_dump', '--no-owner', site.database_url],
                              capture_output=True, text=True, timeout=60, check=True).stdout
        url2 = other.new_database()
        p = subprocess.run(['psql', '-q', '-v', 'ON_ERROR_STOP=1', url2], input=dump,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        schema = pg.schema_of(site.database_url)
        url2 = other.url(urllib.parse.urlsplit(url2).path.lstrip('/'), schema=schema)
        pg_ctl(self.cluster, 'stop', '-m', 'fast')
        time.sleep(1.1)  # a new mtime for the config
        site.configure({'DATABASE_URL': url2})
        r = status()
        self.assertStatus(r, 200)
        self.assertIn(b'"pending"', r.body)
        self.assertEqual(app.pid(), pid)
        env = harness.cgi_env('POST', config=site.config_path, content_type=harness.FORM,
                              body_len=len('token=%s&verification_id=%s' % (code, vid)),
                              script_name='/cgi-bin/verify.cgi')
        out, err, _ = app.request(env, ('token=%s&verification_id=%s' % (code, vid)).encode(),
                                  timeout=20)
        r = harness.Response(VERIFY, env, 0, out, err, 0, 0, False, 0, False)
        self.assertStatus(r, 200, 'success')
        self.assertEqual(pg.query(url2, "SELECT status FROM verification"), [('used',)])


if __name__ == '__main__':
    unittest.main()
