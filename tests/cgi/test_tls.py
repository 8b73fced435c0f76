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
otp-admin check-config reports a CA_FILE it cannot use.

Part 3, one bullet: a FastCGI process keeps its connection to Telnyx
alive: 50 sends, one TLS handshake (as CGI, one a send); a change of
API_KEY, API_BASE_URL or CA_FILE makes a new connection, and a change of
anything else does not."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import fake_telnyx
import fcgi_client
import harness
import test_status
import tls_certs
from harness import API_KEY, CGITestCase, FORM, REPO, REQUEST

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


class KeepAliveTest(TLSCase):
    """One FastCGI process of its own (whatever OTP_TEST_FASTCGI says), and
    a fake that counts its TLS handshakes."""

    SENDS = 50

    def setUp(self):
        super().setUp()
        self.site = self.make_site({'TOKEN_LENGTH': 10, 'CA_FILE': self.certs.ca,
                                    'IP_SEND_LIMIT': 1000})
        self.app = fcgi_client.App(REQUEST)
        self.addCleanup(self.app.stop)

    def send(self, i, site=None, fake=None):
        """POST request.cgi for the i-th number through the process; assert
        the code went out."""
        site, fake = site or self.site, fake or self.fake
        phone = '+1202555%04d' % (2000 + i)
        before = len(fake.messages)
        body = urllib.parse.urlencode([('phone', phone)]).encode()
        env = harness.cgi_env('POST', body_len=len(body), content_type=FORM,
                              script_name='/cgi-bin/request.cgi',
                              remote_addr='10.23.%d.1' % i,  # a network each (NETWORK_SEND_LIMIT)
                              config=site.config_path)
        out, err, status = self.app.request(env, body, 30)
        r = harness.Response(REQUEST, env, len(body), out, err, status, 0.0, False,
                             len(body), False)
        self.assertStatus(r, 200, 'verify')
        self.assertTrue(fake.wait_messages(before + 1, 5), 'nothing sent' + r.describe())
        self.assertEqual(fake.messages[-1]['to'], phone)
        return r

    def test_one_handshake_for_50_sends(self):
        self.send(0)
        pid = self.app.pid()
        for i in range(1, self.SENDS):
            self.send(i)
        self.assertEqual(self.app.pid(), pid, 'the FastCGI application was restarted')
        self.assertEqual(len(self.fake.messages), self.SENDS)
        self.assertEqual((self.fake.connections, self.fake.tls_handshakes), (1, 1),
                         'connections and handshakes for %d sends from one process'
                         % self.SENDS)

    def test_as_cgi_each_process_its_own(self):
        for i in range(5):
            # stdin_file: run as CGI even under OTP_TEST_FASTCGI=1
            r = self.site.request('+1202555%04d' % (2100 + i), remote_addr='10.24.0.%d' % i,
                                  stdin_file=True)
            self.assertStatus(r, 200, 'verify')
        self.assertEqual(len(self.fake.messages), 5)
        self.assertEqual(self.fake.tls_handshakes, 5)

    def test_new_connection_when_the_config_changes_what_it_was_made_under(self):
        for i in range(3):
            self.send(i)
        self.assertEqual(self.fake.tls_handshakes, 1)
        # Another key that is not about the connection: the same one.
        self.site.configure(dict(self.site.keys, TOKEN_LENGTH=9))
        self.send(3)
        self.assertEqual(self.fake.tls_handshakes, 1)
        # API_KEY: a new connection, and the new key on it.
        self.site.configure(dict(self.site.keys, API_KEY='KEYtest-rotated-0123456789'))
        self.send(4)
        self.assertEqual(self.fake.tls_handshakes, 2)
        self.assertEqual(self.fake.messages[-1]['authorization'],
                         'Bearer KEYtest-rotated-0123456789')
        # CA_FILE: the same CA in another file.
        copy = self.site.dir / 'ca-copy.pem'
        shutil.copyfile(self.certs.ca, copy)
        self.site.configure(dict(self.site.keys, CA_FILE=str(copy)))
        self.send(5)
        self.assertEqual(self.fake.tls_handshakes, 3)
        # The file CA_FILE names, replaced.
        os.utime(copy, ns=(time.time_ns() + 10**9,) * 2)
        self.send(6)
        self.assertEqual(self.fake.tls_handshakes, 4)
        # API_BASE_URL: the same server by its other name.
        self.site.configure(dict(self.site.keys,
                                 API_BASE_URL='https://localhost:%d' % self.fake.port))
        self.send(7)
        self.assertEqual(self.fake.tls_handshakes, 5)
        self.send(8)
        self.assertEqual(self.fake.tls_handshakes, 5)

    def test_a_closed_connection_is_made_again(self):
        self.send(0)
        self.send(1)
        self.assertEqual(self.fake.tls_handshakes, 1)
        # The server ends the connection it kept (Telnyx's idle timeout).
        with self.fake._cond:
            kept = list(self.fake._open)
        self.assertEqual(len(kept), 1)
        socket.socket.shutdown(kept[0], socket.SHUT_RDWR)
        time.sleep(0.2)
        self.send(2)
        self.assertEqual(self.fake.tls_handshakes, 2)
        self.assertEqual(len(self.fake.messages), 3, 'a send went out twice')


if __name__ == '__main__':
    unittest.main()
