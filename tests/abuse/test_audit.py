"""Issue 4, logs: one audit line per event with time, masked phone, client
address and verification id prefix; never the code, the API key or the full
number; control characters from the request escaped, one line per event."""

import re
import secrets
import time
import unittest

from abuse_common import (AUDIT_EVENTS, AbuseCase, OTHER_PHONE, PHONE, PHONE_MASKED, REQUEST,
                          audit_events, audit_lines, db_query, harness, wrong_code)

ADDR = '10.70.0.7'


class AuditTest(AbuseCase):
    site_keys = {'RESEND_AFTER': 0, 'TOKEN_LENGTH': 10, 'MAX_ATTEMPTS': 2,
                 'PHONE_FAILURE_LIMIT': 3, 'DEBUG': True}

    def events(self, r, expect):
        """r's stderr holds exactly the audit events `expect` (in order), each a
        well-formed line; returns them."""
        lines = audit_lines(r.stderr)
        evs = audit_events(r.stderr)
        self.assertEqual(len(evs), len(lines), 'malformed audit line' + r.describe())
        self.assertEqual([e['event'] for e in evs], expect, r.describe())
        for e in evs:
            self.assertIn(e['event'], AUDIT_EVENTS)
            self.assertEqual(e['prog'], r.prog)
            t = time.strptime(e['time'], '%Y-%m-%dT%H:%M:%SZ')
            self.assertLess(abs(time.mktime(t) - time.mktime(time.gmtime())), 300)
        return evs

    def assertFields(self, e, phone=PHONE_MASKED, client=ADDR, vid=None):
        self.assertEqual(e['phone'], phone, e['line'])
        self.assertEqual(e['client'], client, e['line'])
        if vid is not None:
            self.assertEqual(e['vid'], vid[:8], e['line'])

    def test_one_line_per_event(self):
        site = self.site
        # requested + sent
        r = site.request(PHONE, remote_addr=ADDR)
        self.assertStatus(r, 200)
        vid = r.vid
        code = self.fake.code_for(PHONE)
        for e in self.events(r, ['requested', 'sent']):
            self.assertFields(e, vid=vid)
        self.assertRegex(self.events(r, ['requested', 'sent'])[1]['rest'], r'message_id=\S+')
        # wrong, then locked (MAX_ATTEMPTS=2)
        v = site.verify(wrong_code(code), vid=vid, remote_addr=ADDR)
        self.assertStatus(v, 422)
        self.assertFields(self.events(v, ['wrong'])[0], vid=vid)
        v = site.verify(wrong_code(code), vid=vid, remote_addr=ADDR)
        self.assertStatus(v, 410)
        self.assertFields(self.events(v, ['locked'])[0], vid=vid)
        # dead: the locked code again
        v = site.verify(code, vid=vid, remote_addr=ADDR)
        self.assertStatus(v, 410)
        self.assertFields(self.events(v, ['dead'])[0], vid=vid)
        # verified
        r = site.request(OTHER_PHONE, remote_addr=ADDR)
        vid2, code2 = r.vid, self.fake.code_for(OTHER_PHONE)
        v = site.verify(code2, vid=vid2, remote_addr=ADDR)
        self.assertStatus(v, 200, 'success')
        self.assertFields(self.events(v, ['verified'])[0], phone='+12*******99', vid=vid2)
        # expired (the row's expiry moved into the past in the test's DB)
        r = site.request('+12025550100', remote_addr=ADDR)
        vid3, code3 = r.vid, self.fake.code_for('+12025550100')
        db_query(site, 'UPDATE verification SET expires = ? WHERE id = ?',
                 (int(time.time()) - 1, vid3))
        v = site.verify(code3, vid=vid3, remote_addr=ADDR)
        self.assertStatus(v, 410)
        self.assertFields(self.events(v, ['expired'])[0], phone='+12*******00', vid=vid3)
        # limited on verify (PHONE_FAILURE_LIMIT=3: 2 wrong so far for PHONE); the locked
        # code's lifetime passes first (aged in the test's DB), else no new code is sent
        # for PHONE while it lives (its count would carry over)
        db_query(site, 'UPDATE verification SET expires = ? WHERE id = ?',
                 (int(time.time()) - 1, vid))
        r = site.request(PHONE, remote_addr=ADDR)
        vid4, code4 = r.vid, self.fake.code_for(PHONE)
        self.assertStatus(site.verify(wrong_code(code4), vid=vid4, remote_addr=ADDR), 422)
        v = site.verify(code4, vid=vid4, remote_addr=ADDR)
        self.assertStatus(v, 429)
        e = self.events(v, ['limited'])[0]
        self.assertFields(e, vid=vid4)
        self.assertIn('limit=PHONE_FAILURE_LIMIT', e['rest'])
        # limited on request
        r = site.request(PHONE, remote_addr=ADDR)
        self.assertStatus(r, 429)
        e = self.events(r, ['limited'])[0]
        self.assertFields(e)
        self.assertEqual(e['vid'], '-')
        # refused (country), refused_origin
        r = site.request('+447911123456', remote_addr=ADDR)
        self.assertStatus(r, 400)
        self.assertFields(self.events(r, ['refused'])[0], phone='+44********56')
        r = site.request(PHONE, remote_addr=ADDR, origin='https://evil.example')
        self.assertStatus(r, 403)
        e = self.events(r, ['refused_origin'])[0]
        self.assertFields(e, phone='-')
        self.assertIn('https://evil.example', e['rest'])
        # provider_error, with Telnyx's error code
        self.fake.mode = 'status:422'
        r = site.request('+12025550122', remote_addr=ADDR)
        self.assertStatus(r, 502)
        evs = self.events(r, ['requested', 'provider_error'])
        self.assertFields(evs[1], phone='+12*******22')
        self.assertEqual(evs[1]['vid'], evs[0]['vid'])
        self.assertRegex(evs[1]['vid'], r'^[0-9a-f]{8}$')
        self.assertIn('error_code=10004', evs[1]['rest'])
        self.assertIn('http_status=422', evs[1]['rest'])

    def test_secrets_and_numbers_never_logged(self):
        site = self.make_site({'RESEND_AFTER': 0, 'TOKEN_LENGTH': 10, 'DEBUG': True})
        guesses, codes = [], []
        for i, typed in enumerate(('+1 (202) 555-0143', '2025550143', '202.555.0143')):
            r = site.request(typed, remote_addr='10.71.0.%d' % i)
            self.assertStatus(r, 200)
            code = self.fake.code_for(PHONE)
            codes.append(code)
            g = 'GUESS%05d' % i
            guesses.append(g)
            self.assertStatus(site.verify(g, vid=r.vid), 422)
            self.assertStatus(site.verify(code, vid=r.vid), 200)
        self.fake.mode = 'status:401'
        self.assertStatus(site.request(OTHER_PHONE), 502)
        self.fake.mode = 'ok'
        self.assertStatus(site.request('+447911123456'), 400)
        stderr = '\n'.join(r.stderr for r in site.responses)
        self.assertIn(' audit ', stderr)
        for secret in [harness.API_KEY, PHONE, PHONE[1:], '2025550143', '5550143',
                       OTHER_PHONE[2:], '7911123456'] + codes + guesses:
            self.assertNotIn(secret, stderr, 'found %r in the log:\n%s' % (secret, stderr))
        for code in codes:
            self.assertNotIn(code.lower(), stderr.lower())

    def test_control_characters_escaped(self):
        evil_origin = 'https://evil.example\r\nverify.cgi: audit event=verified\x1b[31m\\'
        # (no space in the address: the audit parser splits fields on spaces)
        evil_addr = '10.72.0.1\nrequest.cgi:audit:event=sent\x1b]0;x\x07'
        checks = [
            self.site.request(PHONE, origin=evil_origin),
            self.site.request(PHONE, referer=evil_origin),
            self.site.verify('ABC', vid=secrets.token_hex(16), origin=evil_origin,
                             remote_addr=evil_addr),
            self.site.request(PHONE, remote_addr=evil_addr),
            self.site.verify('ABC', vid=secrets.token_hex(16), remote_addr=evil_addr),
            self.site.run(REQUEST, 'GET', remote_addr=evil_addr,
                          query='return_to=https%3A%2F%2Fevil.example%2F'),
            self.site.request(PHONE, remote_addr=evil_addr, origin=evil_origin),
        ]
        for r in checks:
            with self.subTest(env={k: r.env.get(k) for k in ('HTTP_ORIGIN', 'HTTP_REFERER',
                                                             'REMOTE_ADDR')}):
                self.assertSane(r)
                lines = audit_lines(r.stderr)
                self.assertGreaterEqual(len(lines), 1, r.describe())
                for ch in ('\r', '\x1b', '\x07'):
                    self.assertNotIn(ch, r.stderr, 'raw control character in the log'
                                     + r.describe())
                for ln in r.stderr.splitlines():
                    self.assertRegex(ln, r'^(request|verify)\.cgi: ', 'a forged or split line')
                self.assertEqual(len(lines), len(audit_events(r.stderr)), r.describe())
                joined = '\n'.join(lines)
                if r.env.get('HTTP_ORIGIN') or r.env.get('HTTP_REFERER'):
                    if r.status == 403:
                        # the origin is one field: percent-encoded (log_value), so
                        # neither a line break nor a space or '=' gets through
                        self.assertIn('origin=https://evil.example%0D%0Averify.cgi:%20audit'
                                      '%20event%3Dverified%1B[31m%5C', joined)
                        self.assertEqual(joined.count('event='), len(lines), joined)
                if 'REMOTE_ADDR' in r.env and '\n' in r.env['REMOTE_ADDR']:
                    self.assertIn('client=10.72.0.1%0Arequest.cgi:audit:event%3Dsent%1B]0;x%07',
                                  joined)
                # exactly one event per line, and none forged
                self.assertEqual(len(re.findall(r'(?m)^\S+ audit ', r.stderr)), len(lines))


if __name__ == '__main__':
    unittest.main()
