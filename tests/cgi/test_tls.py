"""Issue 22, part 2: Telnyx over TLS, as in production.  The fake Telnyx
serves https with certificates the tests make (tests/tls_certs.py: a CA,
a server certificate it signs for 127.0.0.1 and localhost, and bad ones),
and the programs trust what CA_FILE names.  A trusted certificate sends
the code.  otp-admin check-config reports a CA_FILE it cannot use."""

import os
import shutil
import subprocess
import tempfile
import unittest

import fake_telnyx
import tls_certs
from harness import API_KEY, CGITestCase, REPO

ADMIN = REPO / 'tools' / 'otp-admin'
PHONE = '+12025550143'


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
