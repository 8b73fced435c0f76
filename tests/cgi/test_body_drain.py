"""DESIGN: 'Read exactly CONTENT_LENGTH bytes of the body on every path,
errors included' (Apache's mod_cgid resets the connection otherwise).

The body is given as a regular file, so the file offset after the program
exits tells how much it read, even of a body that fits in a pipe buffer."""

import unittest

import harness
from harness import CGITestCase, REQUEST, VERIFY, FORM

PHONE = '+12025550143'


def padded(fields, n=6000):
    """An urlencoded body of about n bytes: fields, then ignored padding fields
    of at most 1000 bytes each."""
    body = fields
    i = 0
    while len(body) < n - 20:
        chunk = min(1000, n - len(body) - 12)
        body += '&pad%d=%s' % (i, 'a' * chunk)
        i += 1
    return body


class DrainTest(CGITestCase):
    def check(self, r, status):
        self.assertStatus(r, status)
        self.assertEqual(r.stdin_consumed, r.stdin_len,
                         'read %s of %d body bytes on the %s path'
                         % (r.stdin_consumed, r.stdin_len, status) + r.describe(300))

    def run_body(self, prog, method, body, site=None, **kw):
        site = site or self.site
        return site.run(prog, method, body, stdin_file=True, **kw)

    def test_every_path_reads_the_whole_body(self):
        site = self.site
        vid_site = self.make_site({'RESEND_AFTER': 30})
        r, vid, code = self.start_flow('+12025550111', site=vid_site)
        wrong = '0000' if code != '0000' else '1111'
        nodb = self.make_site(harness.unreachable_store())
        cases = [
            ('request GET with a body', REQUEST, 'GET', padded('x=1'), {}, 200, site),
            ('request 200', REQUEST, 'POST', padded('phone=%2B12025550143'),
             {'remote_addr': '10.40.0.1'}, 200, site),
            ('request 400', REQUEST, 'POST', padded('phone=abc'), {}, 400, site),
            ('request 400 encoding', REQUEST, 'POST', padded('phone=%zz'), {}, 400, site),
            ('request 403', REQUEST, 'POST', padded('phone=%2B12025550143'),
             {'origin': 'http://evil.example'}, 403, site),
            ('request 405', REQUEST, 'PUT', padded('phone=1'), {'content_type': FORM}, 405, site),
            ('request 415', REQUEST, 'POST', padded('phone=1'), {'content_type': 'text/plain'},
             415, site),
            ('request 413', REQUEST, 'POST', padded('phone=1', 9000), {}, 413, site),
            ('request 429', REQUEST, 'POST', padded('phone=%2B12025550111'),
             {'cookie': 'otp_vid=' + vid}, 429, vid_site),
            ('request 500', REQUEST, 'POST', padded('phone=1'),
             {'config': '/nonexistent/otp.conf'}, 500, site),
            ('request 503', REQUEST, 'POST', padded('phone=%2B12025550143'), {}, 503, nodb),
            ('verify 422', VERIFY, 'POST', padded('token=%s&verification_id=%s' % (wrong, vid)),
             {}, 422, vid_site),
            ('verify 410', VERIFY, 'POST', padded('token=1234&verification_id=' + 'e' * 32),
             {}, 410, site),
            ('verify 400', VERIFY, 'POST', padded('token=%zz'), {}, 400, site),
            ('verify 403', VERIFY, 'POST', padded('token=1234'), {'referer': 'http://evil/'},
             403, site),
            ('verify 405', VERIFY, 'DELETE', padded('token=1'), {'content_type': FORM}, 405, site),
            ('verify 415', VERIFY, 'POST', padded('token=1'), {'content_type': 'application/json'},
             415, site),
            ('verify 413', VERIFY, 'POST', padded('token=1', 9000), {}, 413, site),
            ('verify 500', VERIFY, 'POST', padded('token=1'), {'config': '/nonexistent/otp.conf'},
             500, site),
            ('verify 503', VERIFY, 'POST', padded('token=1234&verification_id=' + 'e' * 32), {},
             503, nodb),
            ('verify GET with a body', VERIFY, 'GET', padded('x=1'), {}, 200, site),
            ('verify 200', VERIFY, 'POST', padded('token=%s&verification_id=%s' % (code, vid)),
             {}, 200, vid_site),
        ]
        for name, prog, method, body, kw, status, s in cases:
            with self.subTest(name):
                r = self.run_body(prog, method, body, site=s, **kw)
                self.check(r, status)

    def test_502_path_reads_the_whole_body(self):
        self.fake.mode = 'status:500'
        r = self.run_body(REQUEST, 'POST', padded('phone=%2B12025550143'))
        self.check(r, 502)

    def test_get_with_large_body(self):
        # a GET that carries a body over the limit: drained (up to the cap) too
        r = self.run_body(REQUEST, 'GET', 'a' * 100000)
        self.assertSane(r)
        self.assertEqual(r.stdin_consumed, 100000, r.describe(300))


if __name__ == '__main__':
    unittest.main()
