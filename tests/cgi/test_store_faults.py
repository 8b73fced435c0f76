"""The store's faults, through the real programs (issue 8): a directory that
cannot be written, a file that is not a database, a database cut in half,
a full disk, a process killed in the middle of a transaction.  In each,
POST request.cgi answers a clean 503 (the error page, no path, no SQLite
message) and sends nothing; once the fault is gone the next request works
and sends its code, and no row written before the fault is lost."""

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import unittest

import harness
import store_db
from harness import CGITestCase

# What a page must never show of a database failure.
LEAKS = ('sqlite', 'SQLite', 'SQLITE', 'malformed', 'not a database', 'locked', 'errno',
         'No such file', 'not permitted', 'No space', 'too large', '.db', '/tmp', 'Traceback')

# A writer that holds the write lock with uncommitted pages (more than the
# page cache, so that some reach the -wal file), says so, and waits to be killed.
HOLDER = r'''
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute('PRAGMA cache_size = 50')
con.execute('BEGIN IMMEDIATE')
for i in range(2000):
    con.execute("INSERT INTO send (at, phone, client, country) VALUES (?, '+19995550000', ?, '')",
                (i, 'holder-%04d-' % i + 'x' * 1000))
con.execute("UPDATE verification SET attempts = attempts + 1")
print('holding', flush=True)
time.sleep(600)
'''


@harness.sqlite_only('the faults of the file at DB_PATH (unwritable, cut, a full disk, '
                     'a process killed in its transaction)')
class StoreFaultTest(CGITestCase):
    n = 0

    def setUp(self):
        super().setUp()
        self.addCleanup(self.restore)
        self.undo = []

    def restore(self):
        while self.undo:
            self.undo.pop()()

    def next_request(self, site):
        """POST request.cgi for a number and client not used yet."""
        StoreFaultTest.n += 1
        n = StoreFaultTest.n
        return site.request('+1202557%04d' % n, remote_addr='10.%d.%d.1' % (70 + n // 256, n % 256))

    def working_site(self, db_path=None):
        """A site whose store has rows: one flow through request.cgi, with its
        rows as they are now."""
        site = self.make_site(db_path=db_path)
        r = self.next_request(site)
        self.assertStatus(r, 200, 'verify')
        self.assertTrue(self.fake.wait_messages(1, 5))
        return site, store_db.rows(site.db_path)

    def assert_clean_503(self, r):
        sent = len(self.fake.messages)
        self.assertStatus(r, 503, 'error')
        time.sleep(0.2)
        self.assertEqual(len(self.fake.messages), sent, 'sent an SMS with the store failing')
        for leak in LEAKS:
            self.assertNotIn(leak, r.text, 'the page shows %r' % leak + r.describe())
        self.assertTrue(r.stderr.strip(), 'nothing logged' + r.describe())
        self.assertNotIn('event=sent', r.stderr, r.describe())
        return r

    def assert_recovers(self, site, before):
        """The next request works, its code is sent, and every row of before is kept."""
        sent = len(self.fake.messages)
        r = self.next_request(site)
        self.assertStatus(r, 200, 'verify')
        self.assertTrue(self.fake.wait_messages(sent + 1, 5), 'nothing sent' + r.describe())
        after = store_db.rows(site.db_path)
        for table, old in before.items():
            self.assertLessEqual(old, after[table], 'rows of %s lost' % table)
        self.assertEqual(len(after['verification']), len(before['verification']) + 1)
        self.assertEqual(len(after['send']), len(before['send']) + 1)
        return after

    # --- the faults -----------------------------------------------------------
    def make_unwritable(self, d):
        """Make directory d unwritable, even for root: immutable (chattr),
        else put a regular file in its place.  Returns how."""
        if shutil.which('chattr') and subprocess.run(
                ['chattr', '+i', str(d)], capture_output=True).returncode == 0:
            self.undo.append(lambda: subprocess.run(['chattr', '-i', str(d)]))
            return 'immutable'
        aside = d.with_name(d.name + '.aside')
        os.rename(d, aside)
        d.write_text('a file where the directory was\n')
        self.undo.append(lambda: (d.unlink(), os.rename(aside, d)))
        return 'a file'

    def test_unwritable_directory(self):
        d = self.site.dir / 'data'
        d.mkdir()
        site, before = self.working_site(d / 'otp.db')
        new = self.make_site(db_path=d / 'new.db')
        how = self.make_unwritable(d)
        if harness.FASTCGI:
            # A FastCGI process has the file, its -wal and -shm open from the
            # request before: it goes on serving from them, and loses nothing.
            self.assertStatus(self.next_request(site), 200, 'verify')
            before = store_db.rows(site.db_path)
        else:
            # The file there cannot be opened (no -wal or -shm can be made beside it) ...
            self.assert_clean_503(self.next_request(site))
        # ... and none can be made.
        self.assert_clean_503(self.next_request(new))
        self.restore()
        self.assertFalse((d / 'new.db').exists(), how)
        # (A FastCGI process keeps its -wal and -shm; CGI leaves none behind.)
        left = {'otp.db-wal', 'otp.db-shm'} if harness.FASTCGI else set()
        self.assertEqual({p for p in os.listdir(d) if p != 'otp.db'}, left, how)
        self.assert_recovers(site, before)
        self.assert_recovers(new, {t: set() for t in store_db.TABLES})

    def test_file_is_not_a_database(self):
        site, before = self.working_site()
        aside = site.dir / 'otp.db.aside'
        os.rename(site.db_path, aside)
        site.db_path.write_bytes(os.urandom(64 * 1024))
        self.assert_clean_503(self.next_request(site))
        os.replace(aside, site.db_path)
        self.assert_recovers(site, before)

    def test_truncated_database(self):
        site, before = self.working_site()
        aside = site.dir / 'otp.db.aside'
        shutil.copy2(site.db_path, aside)
        size = site.db_path.stat().st_size
        self.assertGreater(size, 8192)
        os.truncate(site.db_path, size // 2)
        self.assert_clean_503(self.next_request(site))
        os.replace(aside, site.db_path)
        self.assert_recovers(site, before)

    def fill(self, d):
        """Fill the filesystem of d; returns the filler's path."""
        filler = d / 'filler'
        with open(filler, 'wb', buffering=0) as f:
            try:
                while f.write(b'\0' * 4096):
                    pass
            except OSError:
                pass
        self.assertEqual(shutil.disk_usage(d).free, 0)
        return filler

    @unittest.skipIf(harness.FASTCGI, 'a FastCGI process writes into the -wal it has open, '
                     'which a full disk does not stop; the CGI run of this suite covers it')
    def test_disk_full(self):
        d = self.site.dir / 'small'
        d.mkdir()
        rc = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', str(d)],
                            capture_output=True)
        if rc.returncode != 0:
            self.skipTest('cannot mount a tmpfs: %s (test_file_size_limit covers it)'
                          % rc.stderr.decode().strip())
        self.addCleanup(subprocess.run, ['umount', '-l', str(d)])
        site, before = self.working_site(d / 'otp.db')
        # Full when the programs open the file: no -shm can be made.
        filler = self.fill(d)
        r = self.assert_clean_503(self.next_request(site))
        self.assertIn('No space left on device', r.stderr)
        filler.unlink()
        # Full when they commit: a reader keeps the -wal and -shm there.
        reader = store_db.connect(site.db_path)
        self.addCleanup(reader.close)
        reader.execute('SELECT count(*) FROM send').fetchone()
        filler = self.fill(d)
        r = self.assert_clean_503(self.next_request(site))
        self.assertIn('database or disk is full', r.stderr)
        reader.close()
        filler.unlink()
        self.assert_recovers(site, before)

    def test_file_size_limit(self):
        # The full disk again without mount(8): RLIMIT_FSIZE, SIGXFSZ ignored,
        # so that writes past it fail with EFBIG.
        site, before = self.working_site()

        def small_files():
            resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

        StoreFaultTest.n += 1
        r = site.request('+1202557%04d' % StoreFaultTest.n, remote_addr='10.71.0.1',
                         preexec_fn=small_files)
        self.assert_clean_503(r)
        self.assert_recovers(site, before)

    def test_process_killed_in_transaction(self):
        site, before = self.working_site()
        holder = subprocess.Popen([sys.executable, '-c', HOLDER, str(site.db_path)],
                                  stdout=subprocess.PIPE)
        self.addCleanup(holder.wait, 10)
        self.addCleanup(lambda: holder.poll() is None and holder.kill())
        self.assertEqual(holder.stdout.readline(), b'holding\n', 'the holder failed')
        wal = site.db_path.with_name('otp.db-wal')
        self.assertGreater(wal.stat().st_size, 0, 'nothing of the transaction in the -wal')
        # While it holds the lock, a request waits its busy timeout, then gives up.
        r = self.next_request(site)
        self.assert_clean_503(r)
        self.assertIn('database is locked', r.stderr)
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        # Every old row as it was (its attempts not raised), none of the holder's.
        after = self.assert_recovers(site, before)
        self.assertFalse([row for row in after['send'] if str(row[2]).startswith('holder-')],
                         'rows of the killed transaction were kept')


if __name__ == '__main__':
    unittest.main()
