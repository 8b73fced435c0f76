"""The harness itself, against a stand-in CGI script (runs without the build)."""

import stat
import tempfile
import unittest
from pathlib import Path

import harness

STANDIN = r'''#!/usr/bin/python3
import os, sys, json, time
q = os.environ.get('QUERY_STRING', '')
n = int(os.environ.get('CONTENT_LENGTH') or 0)
if q == 'noread':
    body = b''
elif q == 'sleep':
    time.sleep(60)
else:
    body = sys.stdin.buffer.read(n)
out = sys.stdout.buffer
if q == 'split':
    out.write(b'Status: 200 OK\r\nX-A: 1\r\nSet-Cookie: a=b\rInjected: 1\r\n\r\nbody')
elif q == 'lf':
    out.write(b'Status: 422 Unprocessable Content\nContent-Type: text/html\n\n<body data-page="verify">')
else:
    out.write(b'Status: 200 OK\r\nContent-Type: application/json\r\n'
              b'Set-Cookie: otp_vid=0123456789abcdef0123456789abcdef; Path=/cgi-bin/; HttpOnly; SameSite=Strict\r\n\r\n')
    out.write(json.dumps({'env': dict(os.environ), 'len': len(body)}).encode())
'''


class HarnessTest(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix='otp-harness-'))
        self.prog = self.dir / 'standin.cgi'
        self.prog.write_text(STANDIN)
        self.prog.chmod(self.prog.stat().st_mode | stat.S_IXUSR)

    def tearDown(self):
        import shutil
        shutil.rmtree(self.dir, ignore_errors=True)

    def run_q(self, q, body=b'', **kw):
        env = harness.cgi_env('POST', body_len=len(body), content_type=harness.FORM, query=q,
                              cookie='otp_vid=x', origin='http://localhost',
                              config='/nonexistent.conf')
        return harness.run_cgi(self.prog, env, body, **kw)

    def test_clean_env_without_path(self):
        import json
        r = self.run_q('', b'phone=1')
        self.assertEqual(r.status, 200)
        env = json.loads(r.body)['env']
        self.assertNotIn('PATH', env)
        self.assertNotIn('HOME', env)
        allowed = {'REQUEST_METHOD', 'CONTENT_LENGTH', 'CONTENT_TYPE', 'QUERY_STRING',
                   'HTTP_HOST', 'HTTP_COOKIE', 'HTTP_ORIGIN', 'HTTP_REFERER', 'SCRIPT_NAME',
                   'REMOTE_ADDR', 'SERVER_NAME', 'SERVER_PORT', 'GATEWAY_INTERFACE',
                   'SERVER_PROTOCOL', 'HTTPS', 'OTP_CONFIG', 'LC_CTYPE'}
        # LC_CTYPE: python itself may add it on coercing the C locale.
        self.assertLessEqual(set(env), allowed)
        self.assertEqual(env['CONTENT_LENGTH'], '7')
        self.assertEqual(json.loads(r.body)['len'], 7)
        self.assertEqual(r.cookie_vid, '0123456789abcdef0123456789abcdef')
        attrs = r.cookies()['otp_vid'][1]
        self.assertEqual(attrs['path'], '/cgi-bin/')
        self.assertTrue(attrs['httponly'])

    def test_split_header_detected(self):
        r = self.run_q('split')
        self.assertTrue(r.bad_header_lines, r.headers)
        self.assertIsNone(r.header('Injected'))

    def test_lf_only_output(self):
        r = self.run_q('lf')
        self.assertEqual(r.status, 422)
        self.assertEqual(r.page, 'verify')
        self.assertEqual(r.bad_header_lines, [])

    def test_unread_body_shows_as_broken_pipe(self):
        r = self.run_q('noread', b'x' * 300000)
        self.assertTrue(r.stdin_broken)
        self.assertLess(r.stdin_written, 300000)
        r = self.run_q('', b'x' * 300000)
        self.assertFalse(r.stdin_broken)
        self.assertEqual(r.stdin_written, 300000)

    def test_timeout_kills(self):
        r = self.run_q('sleep', timeout=1)
        self.assertTrue(r.timed_out)
        self.assertLess(r.elapsed, 10)

    def test_input_parsing(self):
        r = harness.Response('x', {}, 0,
                             b'Status: 200 OK\r\n\r\n<body data-page="verify"><form action="verify.cgi">'
                             b'<input type=hidden value="abc&amp;" name=\'verification_id\'>'
                             b'<p class="msg error">x</p><a href="request.cgi?a=1&amp;b=2">new</a>',
                             b'', 0, 0.0, False, 0, False)
        self.assertEqual(r.hidden_vid, 'abc&')
        self.assertEqual(r.page, 'verify')
        self.assertTrue(r.has_error_element())
        self.assertEqual(r.links(), ['request.cgi?a=1&b=2'])
        self.assertEqual(r.forms(), ['verify.cgi'])

    def test_config_text_is_tutorials(self):
        text = harness.Site.config_text({'TOKEN_TTL': 1, 'DEBUG': None, 'X': "it's"})
        self.assertIn("API_KEY='%s'\nFROM_NUMBER='+15550001111'\n\n" % harness.API_KEY, text)
        self.assertIn("COUNTRY_CODE='+1'\nTOKEN_LENGTH=4\n", text)
        self.assertNotIn('DEBUG', text)
        self.assertIn('TOKEN_TTL=1\n', text)
        self.assertIn('X="it\'s"\n', text)


if __name__ == '__main__':
    unittest.main()
