"""The tests' throwaway PostgreSQL (tests/pg.py) and the harness's PostgreSQL
mode (OTP_TEST_STORE=pg): a cluster starts on a Unix socket only, answers
psycopg2, takes the 200-odd connections a burst of programs opens, is
reachable by another user (www-data, as Apache runs the programs); two
sites' stores are isolated; it stops and leaves no process and no
directory.  Runs where PostgreSQL is installed, in either mode."""

import os
import pwd
import stat
import subprocess
import sys
import threading
import time
import unittest

import harness
import pg

WHY = pg.unavailable()


def pids_of(cluster):
    """The postmaster's pid and its children's."""
    pid = cluster.postmaster_pid()
    p = subprocess.run(['pgrep', '-P', str(pid)], capture_output=True, text=True, timeout=10)
    return [pid] + [int(x) for x in p.stdout.split()]


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class PlaceholderTest(unittest.TestCase):
    """site.sql()'s translation of ? for psycopg2 (no server needed)."""

    def test_placeholders_outside_literals(self):
        self.assertEqual(harness._pg_query("SELECT ?, '?', \"a?\" FROM t WHERE x = ?", True),
                         "SELECT %s, '?', \"a?\" FROM t WHERE x = %s")

    def test_percent_doubled_only_with_parameters(self):
        self.assertEqual(harness._pg_query("SELECT i % 2, 'a%' FROM n WHERE i = ?", True),
                         "SELECT i %% 2, 'a%%' FROM n WHERE i = %s")
        self.assertEqual(harness._pg_query("SELECT i % 2 FROM n", False), "SELECT i % 2 FROM n")


@unittest.skipIf(WHY, WHY)
class ClusterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = pg.Cluster().start()

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()

    def test_answers_on_a_unix_socket_only(self):
        url = self.cluster.url()
        self.assertEqual(pg.query(url, 'SELECT 1 + 1'), [(2,)])
        self.assertEqual(pg.query(url, 'SHOW listen_addresses'), [('',)])
        self.assertEqual(pg.query(url, 'SHOW unix_socket_directories'), [(self.cluster.dir,)])
        self.assertGreaterEqual(int(pg.query(url, 'SHOW max_connections')[0][0]), 300)
        self.assertEqual(pg.query(url, 'SELECT current_user'), [('postgres',)])

    def test_other_users_reach_the_socket(self):
        d = os.stat(self.cluster.dir)
        self.assertEqual(stat.S_IMODE(d.st_mode), 0o755)
        sock = os.stat(os.path.join(self.cluster.dir, '.s.PGSQL.5432'))
        self.assertTrue(stat.S_ISSOCK(sock.st_mode))
        self.assertEqual(stat.S_IMODE(sock.st_mode) & 0o006, 0o006, oct(sock.st_mode))
        if os.geteuid() != 0:
            self.skipTest('not root: cannot run psql as www-data')
        try:
            pwd.getpwnam('www-data')
        except KeyError:
            self.skipTest('no user www-data')
        psql = os.path.join(pg.bindir(), 'psql')
        p = subprocess.run(['runuser', '-u', 'www-data', '--', psql, '-X', '-A', '-t', '-c',
                            'SELECT 42', self.cluster.url()], capture_output=True, text=True,
                           timeout=30, cwd='/')
        self.assertEqual((p.returncode, p.stdout.strip()), (0, '42'), p.stderr)

    def test_schemas_are_isolated(self):
        a, b = self.cluster.new_schema(), self.cluster.new_schema()
        self.assertNotEqual(a, b)
        pg.query(a, 'CREATE TABLE verification (id TEXT PRIMARY KEY, mac BYTEA)')
        pg.query(a, 'INSERT INTO verification VALUES (%s, %s)', ('a1', b'\x00\xff'))
        self.assertEqual(pg.query(b, "SELECT to_regclass('verification')"), [(None,)])
        pg.query(b, 'CREATE TABLE verification (id TEXT PRIMARY KEY, mac BYTEA)')
        self.assertEqual(pg.query(b, 'SELECT * FROM verification'), [])
        self.assertEqual(pg.query(a, 'SELECT * FROM verification'), [('a1', b'\x00\xff')])
        self.assertEqual(pg.query(a, 'SELECT id, mac FROM verification', dicts=True),
                         [{'id': 'a1', 'mac': b'\x00\xff'}])
        self.assertTrue(self.cluster.drop(a))
        self.assertEqual(pg.query(b, 'SELECT count(*) FROM verification'), [(0,)])
        self.assertEqual(pg.query(self.cluster.url(), 'SELECT count(*) FROM pg_namespace '
                                  'WHERE nspname = %s', (pg.schema_of(a),)), [(0,)])

    def test_databases_are_isolated(self):
        a, b = self.cluster.new_database(), self.cluster.new_database()
        pg.query(a, 'CREATE TABLE t (n BIGINT)')
        pg.query(a, 'INSERT INTO t SELECT generate_series(1, 5)')
        self.assertEqual(pg.query(a, 'SELECT sum(n) FROM t'), [(15,)])  # numeric, as an int
        self.assertEqual(pg.query(b, "SELECT to_regclass('t')"), [(None,)])
        self.assertTrue(self.cluster.drop(a))
        self.assertTrue(self.cluster.drop(b))

    def test_two_hundred_and_fifty_connections_at_once(self):
        url = self.cluster.new_schema()
        cons, errors = [], []
        lock = threading.Lock()

        def one():
            try:
                con = pg.connect(url)
                with lock:
                    cons.append(con)
            except Exception as e:  # noqa: BLE001 (reported below)
                with lock:
                    errors.append(repr(e))
        threads = [threading.Thread(target=one) for _ in range(250)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        try:
            self.assertEqual(errors, [])
            self.assertEqual(len(cons), 250)
            n = pg.query(url, 'SELECT count(*) FROM pg_stat_activity WHERE backend_type = '
                         "'client backend'")[0][0]
            self.assertGreaterEqual(n, 251)
        finally:
            for c in cons:
                c.close()

    def test_stops_and_leaves_nothing(self):
        c = pg.Cluster()
        with c:
            self.assertEqual(pg.query(c.url(), 'SELECT 1'), [(1,)])
            pids = pids_of(c)
            self.assertGreaterEqual(len(pids), 2, 'a postmaster and its children')
            d, data = c.dir, c.data
        self.assertEqual([p for p in pids if alive(p)], [])
        p = subprocess.run(['pgrep', '-f', data], capture_output=True, text=True, timeout=10)
        self.assertEqual(p.stdout, '', 'a process of the stopped cluster')
        self.assertFalse(os.path.exists(d))
        c.stop()  # again: nothing to do

    def test_a_killed_test_process_leaves_nothing(self):
        # SIGKILL: no atexit, no cleanup; the cluster's watchdog stops it.
        code = ('import sys, time; sys.path.insert(0, %r); import pg; c = pg.Cluster().start(); '
                'print(c.dir, c.postmaster_pid(), flush=True); time.sleep(120)'
                % os.path.dirname(pg.__file__))
        proc = subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE, text=True)
        try:
            d, pid = proc.stdout.readline().split()
        finally:
            proc.kill()
            proc.wait(10)
            proc.stdout.close()
        pid = int(pid)
        deadline = time.monotonic() + 60
        while (alive(pid) or os.path.exists(d)) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertFalse(alive(pid), 'the server of a killed test process still runs')
        self.assertFalse(os.path.exists(d), d)


@unittest.skipUnless(harness.PG, 'PostgreSQL mode only (OTP_TEST_STORE=pg): '
                     "the harness's sites on the session's cluster")
class SiteStoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_store()

    def site(self):
        s = harness.Site()
        self.addCleanup(s.cleanup)
        return s

    def test_each_site_names_its_own_schema(self):
        # pg_dump's \restrict key is 64 random letters and digits: a
        # marker with a dash cannot occur in it by chance.
        ROW = 'only-in-site-a'
        a, b = self.site(), self.site()
        self.assertNotEqual(a.database_url, b.database_url)
        conf = a.config_path.read_text()
        self.assertIn("DATABASE_URL='%s'\n" % a.database_url, conf)
        self.assertIn("DB_PATH='%s'\n" % a.db_path, conf)
        self.assertFalse(a.store_made())
        a.sql('CREATE TABLE verification (id TEXT, mac BYTEA, created BIGINT)')
        a.sql('INSERT INTO verification VALUES (?, ?, ?)', (ROW, b'\x01\x02', 7))
        self.assertTrue(a.store_made())
        self.assertFalse(b.store_made())
        self.assertEqual(a.sql('SELECT * FROM verification WHERE id = ?', (ROW,)),
                         [(ROW, b'\x01\x02', 7)])
        self.assertEqual(a.tables(), ['verification'])
        self.assertEqual(b.tables(), [])
        self.assertIn(ROW, a.dump())
        self.assertNotIn(ROW, b.dump())

    def test_cleanup_drops_the_schema(self):
        a = self.site()
        schema = pg.schema_of(a.database_url)
        a.cleanup()
        cluster = pg.session_cluster()
        self.assertEqual(pg.query(cluster.url(), 'SELECT count(*) FROM pg_namespace '
                                  'WHERE nspname = %s', (schema,)), [(0,)])

    def test_a_shared_store_is_dropped_once(self):
        a, b = self.site(), self.site()
        b.use_store_of(a)
        a.sql('CREATE TABLE t (n BIGINT)')
        b.cleanup()
        self.assertEqual(a.sql('SELECT count(*) FROM t'), [(0,)])

    def test_store_bytes_hold_what_was_written(self):
        a = self.site()
        a.sql('CREATE TABLE verification (id TEXT, mac BYTEA)')
        a.sql('INSERT INTO verification VALUES (?, ?)', ('needle-0123456789', b'\x00' * 4))
        self.assertIn(b'needle-0123456789', a.store_bytes())


if __name__ == '__main__':
    unittest.main()
