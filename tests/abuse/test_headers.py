"""Issue 4: every answer, whatever its status, carries Content-Security-Policy
(no script at all, frame-ancestors 'none'), X-Content-Type-Options: nosniff,
a Referrer-Policy that sends no referrer to other sites (no-referrer, or
same-origin: see abuse_common.REFERRER_POLICIES) and Cache-Control: no-store."""

import json
import re
import secrets
import unittest

from abuse_common import AbuseCase, PHONE, REFERRER_POLICIES, REQUEST, VERIFY, harness, wrong_code

JSON = {'HTTP_ACCEPT': 'application/json'}


def csp_directives(value):
    out = {}
    for part in value.split(';'):
        words = part.split()
        if words:
            out.setdefault(words[0].lower(), words[1:])
    return out


class HeadersTest(AbuseCase):
    def assertHeaders(self, r, status):
        self.assertStatus(r, status)
        csp = csp_directives(r.header('Content-Security-Policy'))
        # No script: script-src, else default-src, is 'none'.
        script = csp.get('script-src', csp.get('default-src'))
        self.assertEqual(script, ["'none'"], 'CSP allows script' + r.describe(200))
        self.assertEqual(csp.get('frame-ancestors'), ["'none'"], r.describe(200))
        for d in ('script-src-elem', 'script-src-attr', 'worker-src'):
            self.assertIn(csp.get(d, ["'none'"]), (["'none'"],), r.describe(200))
        self.assertEqual(len(r.header_all('Content-Security-Policy')), 1)
        self.assertEqual(r.header('X-Content-Type-Options'), 'nosniff')
        self.assertIn(r.header('Referrer-Policy'), REFERRER_POLICIES)
        self.assertEqual(len(r.header_all('Referrer-Policy')), 1)
        # The page's <meta name="referrer">, if any, says the same.
        meta = re.findall(r'<meta\s+name="referrer"\s+content="([^"]*)"', r.text)
        self.assertIn(meta, ([], [r.header('Referrer-Policy')]), r.describe(200))
        self.assertIn('no-store', r.header('Cache-Control'))
        self.assertNotRegex(r.text, r'(?i)<script\b|\bon[a-z]+\s*=\s*["\']|javascript:',
                            'script in the page' + r.describe(200))
        if status == 405:
            self.assertEqual(r.header('Allow'), 'GET, POST')
        if status == 429:
            self.assertRegex(r.header('Retry-After') or '', r'^[1-9][0-9]*$')
        return r

    def each_status(self, extra=None):
        """One answer of every status, from both programs where both give it."""
        site = self.make_site({'RESEND_AFTER': 30, 'PHONE_FAILURE_LIMIT': 2,
                               'MAX_ATTEMPTS': 10})
        kw = {'extra': extra} if extra else {}
        out = []
        out.append((200, site.get(REQUEST, **kw)))
        out.append((200, site.get(VERIFY, **kw)))
        ok = site.request(PHONE, **kw)
        out.append((200, ok))
        vid = ok.vid or ok.hidden_vid
        if vid is None and ok.status == 200:
            vid = json.loads(ok.text).get('verification_id')
        code = self.fake.code_for(PHONE)
        out.append((400, site.request('not a phone', **kw)))
        out.append((400, site.verify('', vid=vid, **kw)))
        out.append((403, site.request(PHONE, origin='https://evil.example', **kw)))
        out.append((403, site.verify(code, vid=vid, origin='https://evil.example', **kw)))
        out.append((405, site.run(REQUEST, 'PUT', **kw)))
        out.append((405, site.run(VERIFY, 'DELETE', **kw)))
        out.append((410, site.verify(code, vid=secrets.token_hex(16), **kw)))
        out.append((413, site.post(REQUEST, 'phone=' + 'x' * 9000, **kw)))
        out.append((413, site.post(VERIFY, 'token=' + 'x' * 9000, **kw)))
        out.append((415, site.post(REQUEST, '{"phone": "1"}', content_type='application/json',
                                   **kw)))
        out.append((415, site.post(VERIFY, 'token=1', content_type='text/plain', **kw)))
        out.append((422, site.verify(wrong_code(code), vid=vid, **kw)))
        out.append((429, site.request(PHONE, **kw)))  # cooldown
        out.append((422, site.verify(wrong_code(code), vid=vid, **kw)))
        out.append((429, site.verify(wrong_code(code), vid=vid, **kw)))  # PHONE_FAILURE_LIMIT
        # 500: an invalid config value, and no config file at all.
        bad = self.make_site({'RESEND_AFTER': -1})
        out.append((500, bad.request(PHONE, **kw)))
        out.append((500, bad.get(VERIFY, **kw)))
        out.append((500, site.get(REQUEST, config=str(site.dir / 'missing.conf'), **kw)))
        # 502: the provider fails.
        self.fake.mode = 'status:500'
        out.append((502, site.request('+12025550111', **kw)))
        self.fake.mode = 'ok'
        # 503: the database cannot be opened.
        nodb = self.make_site(harness.unreachable_store())
        out.append((503, nodb.request(PHONE, **kw)))
        out.append((503, nodb.verify('1234', vid=secrets.token_hex(16), **kw)))
        return out

    def test_every_status_html(self):
        seen = set()
        for status, r in self.each_status():
            with self.subTest(status=status, prog=r.prog, method=r.env['REQUEST_METHOD']):
                self.assertHeaders(r, status)
                seen.add(status)
        self.assertEqual(seen, {200, 400, 403, 405, 410, 413, 415, 422, 429, 500, 502, 503})

    def test_every_status_json(self):
        for status, r in self.each_status(JSON):
            with self.subTest(status=status, prog=r.prog, method=r.env['REQUEST_METHOD']):
                self.assertHeaders(r, status)

    def test_success_and_pending_pages(self):
        r, vid, code = self.start_flow(PHONE)
        self.assertHeaders(self.site.verify(code, vid=vid), 200)
        self.assertHeaders(self.site.get(VERIFY, cookie='otp_vid=' + vid), 200)


if __name__ == '__main__':
    unittest.main()
