"""Issue 22, part 2: Telnyx over TLS, as in production.  The fake Telnyx
serves https with certificates the tests make (tests/tls_certs.py: a CA,
a server certificate it signs for 127.0.0.1 and localhost, and bad ones),
and the programs trust what CA_FILE names.  A trusted certificate sends
the code; each bad one (self-signed, expired, another host name, an
unknown CA, and the system's bundle, which does not know the test CA)
answers 502 with nothing sent and a log line that says which failure it
was (libcurl's error buffer: before, every case logged "SSL peer
certificate or SSH remote key was not OK").  The answers that hang, drip
or are too large are cut off in bounded time over TLS as over HTTP.
otp-admin check-config reports a CA_FILE it cannot use."""

import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import fake_telnyx
import harness
import test_status
import tls_certs
from harness import API_KEY, CGITestCase, REPO

ADMIN = REPO / 'tools' / 'otp-admin'
PHONE = '+12025550143'

# What libcurl (OpenSSL) says of each bad certificate: the words that tell
# one failure from another in the log.
BAD = (
    # (certificate, CA_FILE is the test CA, the words)
    ('self_signed', True, r'self.signed certificate'),
    ('expired', True, r'certificate has expired'),
    ('wrong_host', True, r"no alternative certificate subject name matches target host "
                         r"name '127\.0\.0\.1'"),
    ('unknown_ca', True, r'unable to get local issuer certificate'),
    ('good', False, r'unable to get local issuer certificate'),  # the system's bundle
)
TODAY = 'SSL peer certificate or SSH remote key was not OK'  # curl_easy_strerror(60)


def log_text(r):
    """r's log lines with their values decoded (log_value() escapes them)."""
    return urllib.parse.unquote(r.stderr)


class TLSCase(CGITestCase):
    """self.fake serves https with certificate self.cert (keeping its
    connections alive, as Telnyx does); self.site trusts the test CA."""

    cert = 'good'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        d = tempfile.mkdtemp(prefix='otp-tls-')
        cls.addClassCleanup(shutil.rmtree, d, True)
        cls.certs = tls_certs.Certs(d)

    def setUp(self):
        self.fake = self.tls_fake(self.cert)
        self.site = self.make_site({'TOKEN_LENGTH': 10, 'CA_FILE': self.certs.ca})

    def tls_fake(self, cert, mode='ok'):
        fake = fake_telnyx.FakeTelnyx(mode=mode, tls=self.certs.pair(cert),
                                      keep_alive=True).start()
        self.addCleanup(fake.stop)
        return fake


class TrustTest(TLSCase):
    def test_trusted_certificate_sends(self):
        self.assertTrue(self.fake.url.startswith('https://127.0.0.1:'), self.fake.url)
        r, vid, code = self.start_flow(PHONE)
        self.assertGreaterEqual(self.fake.tls_handshakes, 1)
        self.assertEqual(self.fake.tls_failures, [])
        msg, = self.fake.messages
        self.assertEqual(msg['authorization'], 'Bearer ' + API_KEY)
        self.assertStatus(self.site.verify(code, vid=vid), 200, 'success')

    def test_trusted_by_host_name(self):
        # The certificate's other name, as API_BASE_URL may name Telnyx.
        site = self.make_site({'TOKEN_LENGTH': 10, 'CA_FILE': self.certs.ca,
                               'API_BASE_URL': 'https://localhost:%d' % self.fake.port})
        self.start_flow(PHONE, site=site)

    def test_each_bad_certificate_is_named(self):
        for i, (cert, trusted, words) in enumerate(BAD):
            with self.subTest(cert=cert, ca_file=trusted):
                fake = self.tls_fake(cert)
                site = harness.Site(fake=fake, keys={
                    'TOKEN_LENGTH': 10, 'CA_FILE': self.certs.ca if trusted else None})
                self.addCleanup(site.cleanup)
                r = site.request('+1202555%04d' % (800 + i), remote_addr='10.22.0.%d' % (i + 1))
                self.assertStatus(r, 502, ('error', 'index'))
                self.assertLess(r.elapsed, 10, 'took too long' + r.describe())
                # Refused before a byte of the request: nothing sent, no retry.
                time.sleep(0.2)
                self.assertEqual(fake.messages, [], 'sent through a bad certificate')
                log = log_text(r)
                self.assertRegex(log, words, 'the log does not say which failure'
                                 + r.describe())
                self.assertNotIn(TODAY, log)
                self.assertNotIn(API_KEY, r.stderr + r.text)
                self.assertNotIn('Bearer', r.stderr)
                self.assertNotIn('+1202555%04d' % (800 + i), r.stderr, 'number not masked')

    def test_ca_file_that_cannot_be_read(self):
        site = self.make_site({'TOKEN_LENGTH': 10,
                               'CA_FILE': str(self.site.dir / 'no-such-ca.pem')})
        r = site.request(PHONE)
        self.assertStatus(r, 502, ('error', 'index'))
        self.assertEqual(self.fake.messages, [])
        self.assertIn('error setting certificate', log_text(r), r.describe())


class TLSProviderFailureTest(TLSCase):
    """test_status's provider failures, over TLS: the answer that never
    comes, the one that comes a byte every DRIP_EVERY seconds, and the one
    too large to read."""

    check_502 = test_status.ProviderFailureTest.check_502

    def test_hang_502_within_16s(self):
        r = self.check_502('hang', max_elapsed=16.5)
        self.assertIn('timed out', log_text(r))

    def test_drip_502_within_16s(self):
        r = self.check_502('drip', max_elapsed=16.5)
        self.assertIn('timed out', log_text(r))

    def test_huge_502(self):
        r = self.check_502('huge', max_elapsed=5)
        self.assertIn('answer too large', log_text(r))


class CheckConfigTest(TLSCase):
    def check_config(self, ca_file):
        self.site.configure(dict(self.site.keys, CA_FILE=str(ca_file)))
        p = subprocess.run([str(ADMIN), '-c', str(self.site.config_path), 'check-config'],
                           capture_output=True, text=True, timeout=60,
                           env={'PATH': '/usr/bin:/bin'})
        self.assertNotIn(API_KEY, p.stdout + p.stderr)
        return p

    def test_ca_file(self):
        if not os.access(ADMIN, os.X_OK):
            self.skipTest('tools/otp-admin is not built (run make)')
        p = self.check_config(self.certs.ca)
        self.assertEqual(p.returncode, 0, p.stderr)
        empty = self.site.dir / 'empty.pem'
        empty.write_bytes(b'')
        garbage = self.site.dir / 'garbage.pem'
        garbage.write_bytes(b'-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n'
                            b'-----END CERTIFICATE-----\n')
        for ca_file, words in ((self.site.dir / 'none.pem', 'cannot be read'),
                               (self.site.dir, 'is not a file'),
                               (empty, 'holds no PEM certificate'),
                               (garbage, 'holds no PEM certificate'),
                               # a PEM file, but a key
                               (self.certs.pair('good')[1], 'holds no')):
            with self.subTest(ca_file=ca_file):
                p = self.check_config(ca_file)
                self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
                self.assertIn('CA_FILE %s %s' % (ca_file, words), p.stderr)
                self.assertIn('1 problem', p.stderr)


if __name__ == '__main__':
    unittest.main()
