"""Issue 22, part 4: a malformed DATABASE_URL (bad percent-encoding, an
unknown sslmode, an unterminated [, an unknown parameter) never puts the
URL or its password in a log line or a page, as libpq's own message quotes
them: the programs answer 503 with one line saying what is wrong with it,
and otp-admin check-config refuses it with the reason.  No server is
needed: each is refused before any connection."""

import subprocess
import unittest

from harness import CGITestCase, REPO, REQUEST, VERIFY

ADMIN = REPO / 'tools' / 'otp-admin'
PASSWORD = 'pW5ecretMarker'
SHAPES = {
    'bad percent-encoding': ('postgresql://otp:%s%%zz@127.0.0.1:1/otp' % PASSWORD,
                             'is not a valid connection URI (invalid percent-encoded token)'),
    'unknown sslmode': ('postgresql://otp:%s@127.0.0.1:1/otp?sslmode=sometimes' % PASSWORD,
                        'has an unknown sslmode'),
    'unterminated [': ('postgresql://otp:%s@[::1:1/otp' % PASSWORD,
                       'is not a valid connection URI (end of string reached when looking for '
                       'matching "]" in IPv6 host address in URI)'),
    'unknown parameter': ('postgresql://otp:%s@127.0.0.1:1/otp?colour=blue' % PASSWORD,
                          'is not a valid connection URI (invalid URI query parameter)'),
}


class MalformedUrlTest(CGITestCase):
    def configure(self, url):
        keys = dict(self.site.keys)
        keys.pop('DB_PATH', None)
        self.site.configure(dict(keys, DATABASE_URL=url))

    def test_never_logged_or_shown(self):
        for shape, (url, why) in SHAPES.items():
            with self.subTest(shape=shape):
                self.configure(url)
                for r in (self.site.request('+12025550143'),
                          self.site.verify('123456', vid='0' * 32),
                          self.site.get(VERIFY, cookie='otp_vid=' + '0' * 32)):
                    self.assertEqual(r.status, 503, r.describe())
                    for part in (PASSWORD, url, '127.0.0.1:1'):
                        self.assertNotIn(part, r.stderr + r.text, r.describe())
                    self.assertIn('cannot open database: DATABASE_URL ' + why, r.stderr,
                                  r.describe())
                self.assertEqual(self.fake.messages, [])

    def test_check_config_refuses_it(self):
        for shape, (url, why) in SHAPES.items():
            with self.subTest(shape=shape):
                self.configure(url)
                p = subprocess.run([str(ADMIN), '-c', str(self.site.config_path), 'check-config'],
                                   capture_output=True, text=True, timeout=60,
                                   env={'PATH': '/usr/bin:/bin'})
                self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
                self.assertIn('DATABASE_URL ' + why, p.stderr)
                self.assertNotIn(PASSWORD, p.stdout + p.stderr)

    def test_a_well_formed_url_passes_check_config(self):
        self.configure('postgresql://otp:%s@127.0.0.1:1/otp?sslmode=require' % PASSWORD)
        p = subprocess.run([str(ADMIN), '-c', str(self.site.config_path), 'check-config'],
                           capture_output=True, text=True, timeout=60,
                           env={'PATH': '/usr/bin:/bin'})
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNotIn(PASSWORD, p.stdout + p.stderr)


if __name__ == '__main__':
    unittest.main()
