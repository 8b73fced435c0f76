"""The fake Telnyx server itself (runs without the programs being built)."""

import http.client
import json
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path

from fake_telnyx import DRIP_EVERY, FakeTelnyx, extract_code

TESTS = Path(__file__).resolve().parents[1]


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def post(url, obj=None, raw=None, headers=None, timeout=5):
    data = raw if raw is not None else json.dumps(obj).encode()
    h = {'Authorization': 'Bearer KEYabc', 'Content-Type': 'application/json'}
    h.update(headers or {})
    req = urllib.request.Request(url + '/v2/messages', data=data, headers=h, method='POST')
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


MSG = {'from': '+15550001111', 'to': '+12025550143', 'text': 'Your token is 1A2B'}


class FakeTelnyxTest(unittest.TestCase):
    def setUp(self):
        self.fake = FakeTelnyx().start()
        self.addCleanup(self.fake.stop)

    def test_listens_on_loopback_only(self):
        self.assertRegex(self.fake.url, r'^http://127\.0\.0\.1:\d+$')
        self.assertEqual(self.fake._server.server_address[0], '127.0.0.1')

    def test_ok_answers_documented_shape_and_records(self):
        status, headers, body = post(self.fake.url, MSG)
        self.assertEqual(status, 200)
        d = json.loads(body)['data']
        self.assertEqual(d['record_type'], 'message')
        self.assertRegex(d['id'], r'^[0-9a-f-]{36}$')
        self.assertEqual(d['to'], [d['to'][0]])
        self.assertEqual(d['to'][0]['phone_number'], '+12025550143')
        self.assertEqual(d['to'][0]['status'], 'queued')
        m = self.fake.messages[0]
        self.assertEqual((m['to'], m['from'], m['text']), (MSG['to'], MSG['from'], MSG['text']))
        self.assertIsNone(m['messaging_profile_id'])
        self.assertEqual(m['authorization'], 'Bearer KEYabc')
        self.assertEqual(m['content_type'], 'application/json')
        self.assertEqual(json.loads(m['raw']), MSG)
        self.assertEqual(self.fake.code_for('+12025550143'), '1A2B')
        self.assertIsNone(self.fake.code_for('+19999999999'))

    def test_spec_rules(self):
        # Telnyx's spec3.yml and error pages: what 'ok' refuses, and how.
        def refused(body, status, code, pointer, headers=None, raw=None):
            st, _, b = post(self.fake.url, body, raw=raw, headers=headers)
            err = json.loads(b)['errors'][0]
            self.assertEqual((st, err['code']), (status, code), (body, err))
            self.assertTrue(err['title'])
            if pointer:
                self.assertEqual(err['source']['pointer'], pointer)
        refused({'from': MSG['from'], 'text': 'x'}, 422, '10004', '/to')
        for to in ('12025550143', '+1 202 555 0143', ['+12025550143'], '+0123456789', 7):
            refused(dict(MSG, to=to), 400, '40310', '/to')
        refused({'to': MSG['to'], 'text': 'x'}, 422, '10004', '/from')
        for frm in ('YOUR_TELNYX_NUMBER', '+0123', 'not-a-sender', ''):
            refused(dict(MSG, **{'from': frm}), 400, '40305', '/from')
        refused(dict(MSG, **{'from': 'Acme'}), 422, '10004', '/messaging_profile_id')
        for text in ('', None):
            refused(dict(MSG, text=text), 400, '10015', '/text')
        refused(dict(MSG, text='a' * 1531), 400, '40302', '/text')
        refused(dict(MSG, text='\u0416' * 671), 400, '40302', '/text')
        refused(MSG, 400, '10015', None, headers={'Content-Type': 'text/plain'})
        refused(None, 400, '10015', None, raw=b'{"to": ')
        # Each refusal is recorded, as every POST is.
        self.assertEqual(len(self.fake.messages), 18)

    def test_success_shape_follows_the_text(self):
        cases = [('a' * 160, 'GSM-7', 1), ('a' * 161, 'GSM-7', 2), ('\u20ac' * 81, 'GSM-7', 2),
                 ('a' * 1530, 'GSM-7', 10), ('\u0416' * 70, 'UCS-2', 1),
                 ('\u0416' * 71, 'UCS-2', 2), ('\U0001f511' * 36, 'UCS-2', 2),
                 ('\u0416' * 670, 'UCS-2', 10)]
        for text, encoding, parts in cases:
            with self.subTest(text=text[:3], n=len(text)):
                status, _, body = post(self.fake.url, dict(MSG, text=text))
                self.assertEqual(status, 200, body)
                d = json.loads(body)['data']
                self.assertEqual((d['encoding'], d['parts']), (encoding, parts))
                self.assertEqual(d['from']['phone_number'], MSG['from'])
        # A number pool (a profile, no from): from.phone_number is still a string.
        body = {'to': MSG['to'], 'text': 'x', 'messaging_profile_id': 'p-1'}
        status, _, b = post(self.fake.url, body)
        self.assertEqual(status, 200)
        self.assertIsInstance(json.loads(b)['data']['from']['phone_number'], str)
        # An alphanumeric sender with its profile.
        status, _, b = post(self.fake.url, dict(MSG, messaging_profile_id='p-1', **{'from': 'Acme'}))
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(b)['data']['from']['phone_number'], 'Acme')

    def test_profile_id_recorded(self):
        post(self.fake.url, dict(MSG, messaging_profile_id='abc-123'))
        self.assertEqual(self.fake.messages[0]['messaging_profile_id'], 'abc-123')

    def test_error_modes(self):
        want = {400: '40310', 401: '10009', 403: '10010', 409: '40300', 422: '10004', 429: '10011',
                500: '10007', 503: '10007'}
        for st, code in want.items():
            self.fake.mode = 'status:%d' % st
            status, headers, body = post(self.fake.url, MSG)
            self.assertEqual(status, st)
            err = json.loads(body)['errors'][0]
            self.assertIsInstance(err['code'], str)
            self.assertTrue(err['title'])
            if code:
                self.assertEqual(err['code'], code)
            if st == 429:
                self.assertEqual(headers.get('Retry-After'), '1')
        self.assertEqual(len(self.fake.messages), len(want), 'failures are recorded too')

    def test_notjson_and_nodata(self):
        self.fake.mode = 'notjson'
        status, _, body = post(self.fake.url, MSG)
        self.assertEqual(status, 200)
        with self.assertRaises(ValueError):
            json.loads(body)
        self.fake.mode = 'nodata'
        status, _, body = post(self.fake.url, MSG)
        self.assertEqual(status, 200)
        self.assertNotIn('id', json.loads(body)['data'])
        self.assertEqual(len(self.fake.messages), 2)

    def test_hang_records_never_answers_and_stop_is_bounded(self):
        self.fake.mode = 'hang'
        got = {}

        def client():
            try:
                post(self.fake.url, MSG, timeout=30)
                got['answer'] = True
            except Exception as e:  # the connection closes at stop()
                got['error'] = e
        t = threading.Thread(target=client, daemon=True)
        t.start()
        self.assertTrue(self.fake.wait_messages(1, 5))
        time.sleep(1.0)
        self.assertTrue(t.is_alive(), 'hang answered: %r' % got)
        t0 = time.monotonic()
        self.fake.stop()
        self.assertLess(time.monotonic() - t0, 3.0, 'stop() waited for the hanging handler')
        t.join(5)
        self.assertFalse(t.is_alive())
        self.assertNotIn('answer', got)

    def test_wait_messages_is_bounded(self):
        t0 = time.monotonic()
        self.assertFalse(self.fake.wait_messages(1, timeout=0.3))
        self.assertLess(time.monotonic() - t0, 2)

    def test_concurrent_posts_all_recorded(self):
        n = 40
        ts = [threading.Thread(target=post, args=(self.fake.url, dict(MSG, to='+1202555%04d' % i)))
              for i in range(n)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(10)
        self.assertTrue(self.fake.wait_messages(n, 5))
        self.assertEqual(len({m['to'] for m in self.fake.messages}), n)

    def test_wrong_path_is_404_and_recorded(self):
        req = urllib.request.Request(self.fake.url + '/v1/messages', data=b'{}', method='POST')
        with self.assertRaises(urllib.error.HTTPError) as cm:
            _OPENER.open(req, timeout=5)
        self.assertEqual(cm.exception.code, 404)
        self.assertEqual(self.fake.messages[0]['path'], '/v1/messages')

    def test_context_manager(self):
        with FakeTelnyx(mode='status:401') as f:
            status, _, _ = post(f.url, MSG)
            self.assertEqual(status, 401)
            port = f.port
        s = socket.socket()
        self.addCleanup(s.close)
        s.settimeout(2)
        self.assertNotEqual(s.connect_ex(('127.0.0.1', port)), 0, 'still listening after stop')


class DripTest(unittest.TestCase):
    def test_drip_sends_headers_then_a_byte_at_a_time(self):
        fake = FakeTelnyx(mode='drip').start()
        self.addCleanup(fake.stop)
        c = http.client.HTTPConnection('127.0.0.1', fake.port, timeout=5)
        self.addCleanup(c.close)
        c.request('POST', '/v2/messages', json.dumps(MSG),
                  {'Authorization': 'Bearer KEYabc', 'Content-Type': 'application/json'})
        t0 = time.monotonic()
        resp = c.getresponse()
        self.assertEqual(resp.status, 200)
        self.assertLess(time.monotonic() - t0, 1)
        self.assertGreater(int(resp.getheader('Content-Length')), 100)
        got = resp.read(3)
        self.assertEqual(got, b'{"d')
        self.assertGreater(time.monotonic() - t0, 2.5 * DRIP_EVERY)
        self.assertTrue(fake.wait_messages(1, 1))


class TLSTest(unittest.TestCase):
    """FakeTelnyx(tls=...): https, with connections and handshakes counted."""

    @classmethod
    def setUpClass(cls):
        import tls_certs
        d = tempfile.mkdtemp(prefix='otp-tls-')
        cls.addClassCleanup(shutil.rmtree, d, True)
        cls.certs = tls_certs.Certs(d)

    def fake(self, cert='good', keep_alive=False):
        fake = FakeTelnyx(tls=self.certs.pair(cert), keep_alive=keep_alive).start()
        self.addCleanup(fake.stop)
        return fake

    def connect(self, fake, host='127.0.0.1'):
        ctx = ssl.create_default_context(cafile=self.certs.ca)
        c = http.client.HTTPSConnection(host, fake.port, timeout=5, context=ctx)
        self.addCleanup(c.close)
        return c

    def post(self, c):
        c.request('POST', '/v2/messages', json.dumps(MSG),
                  {'Authorization': 'Bearer KEYabc', 'Content-Type': 'application/json'})
        resp = c.getresponse()
        return resp, resp.read()

    def test_https_with_the_test_ca(self):
        fake = self.fake()
        self.assertRegex(fake.url, r'^https://127\.0\.0\.1:\d+$')
        for host in ('127.0.0.1', 'localhost'):
            resp, body = self.post(self.connect(fake, host))
            self.assertEqual(resp.status, 200)
            self.assertEqual(resp.getheader('Connection'), 'close')
        self.assertEqual((fake.connections, fake.tls_handshakes, fake.tls_failures), (2, 2, []))
        self.assertEqual(len(fake.messages), 2)

    def test_bad_certificates_fail_for_a_client_that_checks(self):
        for cert, why in (('self_signed', 'self-signed'), ('expired', 'expired'),
                          ('wrong_host', "match"), ('unknown_ca', 'local issuer')):
            with self.subTest(cert=cert):
                fake = self.fake(cert)
                with self.assertRaisesRegex(ssl.SSLError, why):
                    self.post(self.connect(fake))
                self.assertEqual(fake.messages, [])

    def test_keep_alive_one_handshake(self):
        fake = self.fake(keep_alive=True)
        c = self.connect(fake)
        for _ in range(3):
            resp, body = self.post(c)
            self.assertEqual(resp.status, 200)
            self.assertIsNone(resp.getheader('Connection'))
        self.assertEqual((fake.connections, fake.tls_handshakes), (1, 1))
        # stop() ends the connection it kept, at once.
        t0 = time.monotonic()
        fake.stop()
        self.assertLess(time.monotonic() - t0, 3)
        with self.assertRaises((OSError, http.client.HTTPException)):
            self.post(c)

    def test_a_handshake_refused_is_recorded(self):
        fake = self.fake()
        ctx = ssl.create_default_context()  # the system's bundle: no test CA
        c = http.client.HTTPSConnection('127.0.0.1', fake.port, timeout=5, context=ctx)
        self.addCleanup(c.close)
        with self.assertRaises(ssl.SSLError):
            self.post(c)
        self.assertTrue(fake.wait_tls_failures(1))
        self.assertEqual(fake.tls_handshakes, 0)
        self.assertIn('UNKNOWN_CA', fake.tls_failures[0])


class ExtractCodeTest(unittest.TestCase):
    def test_texts(self):
        cases = {
            'Your token is 1A2B': '1A2B',
            'Your token is 0042': '0042',
            'Your token is DEAD': 'DEAD',
            'Your token is 123456': '123456',
            'Your token is ABCDEF1234': 'ABCDEF1234',
            'Code 9F3C for example.com': '9F3C',
            'FACE it: 1234 is your code': '1234',
            'Your code for example.com is 482913\n\n@example.com #482913': '482913',
            'Use BEEF7 now, call +12025550143': 'BEEF7',
            'no code here': None,
            'Your token is 12': None,
            None: None,
        }
        for text, want in cases.items():
            self.assertEqual(extract_code(text), want, text)


class FakeTelnyxMainTest(unittest.TestCase):
    def test_runs_standalone_and_prints_messages(self):
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            port = s.getsockname()[1]
        p = subprocess.Popen([sys.executable, str(TESTS / 'fake_telnyx.py'), '--port', str(port)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = p.stdout.readline()
            self.assertIn('127.0.0.1:%d' % port, line)
            status, _, _ = post('http://127.0.0.1:%d' % port, MSG)
            self.assertEqual(status, 200)
            line = p.stdout.readline()
            self.assertIn('+12025550143', line)
            self.assertIn('Your token is 1A2B', line)
        finally:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        self.assertEqual(p.returncode, 0)


if __name__ == '__main__':
    unittest.main()
