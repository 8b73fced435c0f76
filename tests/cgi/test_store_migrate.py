"""Schema versions (issue 8): a file made by the programs of version 1 is
upgraded by the first program that opens it and its pending code still
verifies; an upgraded file has the very schema of a new one; a file of a
newer version than the programs is refused with one log line, a 503, and
is left byte for byte as it was."""

import os
import sqlite3
import time
import unittest

import harness
import store_db
from harness import CGITestCase

PHONE = '+12025550143'
SECRET = 'migrate-secret-0123456789abcdef'
VID = '0123456789abcdef0123456789abcdef'
CODE = '4A7F'   # TOKEN_LENGTH 4 in the tutorial's file, upper-case hex


@harness.sqlite_only('files made by older programs, upgraded in place')
class UpgradeTest(CGITestCase):
    site_keys = {'SECRET_KEY': SECRET}

    def v1_site(self, wal=True):
        """The site's file as the programs of version 1 left it, with a
        pending code CODE for verification VID."""
        path = self.site.db_path
        store_db.make_v1(path, wal=wal)
        store_db.add_pending(path, VID, PHONE, store_db.code_mac(SECRET, VID, CODE),
                             int(time.time()))
        self.assertEqual(store_db.pragma(path, 'user_version'), 1)
        return path

    def test_v1_file_upgraded_and_its_code_verifies(self):
        path = self.v1_site()
        before = store_db.rows(path)
        r = self.site.verify(CODE, vid=VID)
        self.assertStatus(r, 200, 'success')
        self.assertIn('database schema upgraded from version 1 to %d' % store_db.LATEST, r.stderr, r.describe())
        self.assertEqual(store_db.pragma(path, 'user_version'), store_db.LATEST)
        self.assertIn(('index', 'verification_message_id', 'verification',
                       'CREATE INDEX verification_message_id ON verification(message_id)'),
                      store_db.schema(path))
        after = store_db.rows(path)
        # The sends of version 1, each now a text sent (version 5's channel)
        # of no known range (version 6's prefix and calling code), from no
        # known network (version 9's).
        self.assertEqual(after['send'], {row + ('sms', '', '', '') for row in before['send']})
        self.assertEqual([row[0] for row in after['verification']], [VID])
        # Used up, as any code is; the next program has nothing to upgrade.
        again = self.site.verify(CODE, vid=VID)
        self.assertStatus(again, 410)
        self.assertNotIn('upgraded', again.stderr)
        # And a new code works on the upgraded file.
        r, vid, code = self.start_flow('+12025550144', remote_addr='10.80.0.1')
        self.assertStatus(self.site.verify(code, vid=vid), 200, 'success')

    def test_v1_sends_still_count_after_the_upgrade(self):
        # Version 3 counts the hourly and daily caps from send_minute: the
        # upgrade fills it from the sends the file already holds.
        path = self.v1_site()
        now = int(time.time())
        con = sqlite3.connect(str(path))
        con.executemany("INSERT INTO send (at, phone, client, country) VALUES (?, ?, ?, '+1')",
                        [(now - 60 * i, '+1303555%04d' % i, '10.81.0.%d' % i) for i in range(5)])
        con.commit()
        con.close()
        site = self.make_site(dict(self.site_keys, HOURLY_SEND_LIMIT=5, RESEND_AFTER=0),
                              db_path=path)
        r = site.request('+12025550145', remote_addr='10.82.0.1')
        self.assertStatus(r, 429)
        self.assertIn('limit=HOURLY_SEND_LIMIT', r.stderr, r.describe())
        self.assertEqual(store_db.pragma(path, 'user_version'), store_db.LATEST)
        con = sqlite3.connect(str(path))
        minutes = con.execute("SELECT sum(n) FROM send_minute WHERE scope = '*'").fetchone()[0]
        country = con.execute("SELECT sum(n) FROM send_minute WHERE scope = '+1'").fetchone()[0]
        sends = con.execute("SELECT count(*) FROM send").fetchone()[0]
        plus1 = con.execute("SELECT count(*) FROM send WHERE country = '+1'").fetchone()[0]
        con.close()
        self.assertGreaterEqual(sends, 5)
        self.assertEqual((minutes, country), (sends, plus1))

    def test_v1_file_in_rollback_mode_ends_in_wal(self):
        # The first requests' race of version 1 could leave a file with its
        # schema but not in WAL mode.
        path = self.v1_site(wal=False)
        self.assertEqual(store_db.pragma(path, 'journal_mode'), 'delete')
        self.assertStatus(self.site.verify(CODE, vid=VID), 200, 'success')
        self.assertEqual(store_db.pragma(path, 'journal_mode'), 'wal')

    def test_upgraded_schema_is_the_new_schema(self):
        upgraded = self.v1_site()
        self.assertStatus(self.site.verify(CODE, vid=VID), 200, 'success')
        fresh_site = self.make_site(self.site_keys)
        self.start_flow(PHONE, site=fresh_site)
        fresh = fresh_site.db_path
        self.assertEqual(store_db.schema(upgraded), store_db.schema(fresh))
        for p in ('user_version', 'journal_mode'):
            self.assertEqual(store_db.pragma(upgraded, p), store_db.pragma(fresh, p), p)
        # sql/schema.sql is that schema too, as a test file of it shows.
        made = self.site.dir / 'from-schema.sql.db'
        store_db.make_db(made, store_db.SCHEMA.read_text())
        self.assertEqual(store_db.schema(made), store_db.schema(fresh))
        self.assertEqual(store_db.pragma(made, 'user_version'), store_db.LATEST)


@harness.sqlite_only('a file of a newer version, left byte for byte as it was')
class NewerFileTest(CGITestCase):
    def test_newer_version_refused_untouched(self):
        for wal in (True, False):
            with self.subTest(wal=wal):
                site = self.make_site()
                path = site.db_path
                newer = store_db.LATEST + 1
                store_db.make_db(path, store_db.SCHEMA.read_text(), newer, wal=wal)
                self.assertEqual(store_db.pragma(path, 'user_version'), newer)
                raw = path.read_bytes()
                names = sorted(os.listdir(site.dir))
                r = site.request(PHONE)
                self.assertStatus(r, 503, 'error')
                self.assertEqual(self.fake.messages, [], 'sent with a database refused')
                lines = [ln for ln in r.stderr.splitlines() if 'database' in ln]
                self.assertEqual(lines, ['request.cgi: database schema version %d is newer '
                                         'than this program (%d): upgrade the programs'
                                         % (newer, store_db.LATEST)],
                                 r.describe())
                self.assertNotIn(str(site.dir), r.text)
                v = site.verify(CODE, vid=VID)
                self.assertStatus(v, 503, 'error')
                self.assertEqual(len([ln for ln in v.stderr.splitlines()
                                      if 'database' in ln]), 1, v.describe())
                self.assertEqual(path.read_bytes(), raw, 'the file was changed')
                self.assertEqual(sorted(os.listdir(site.dir)), names)


if __name__ == '__main__':
    unittest.main()
