"""What an attacker tries: other people's codes, guessing, hostile text in
every field, reading the database, fishing for the API key."""

import hashlib
import random
import urllib.parse
import unittest

import harness
from harness import CGITestCase, REQUEST, VERIFY, API_KEY

PHONE_A = '+12025550143'
PHONE_B = '+12025550199'

HOSTILE = [
    '<script>alert("xss1")</script>',
    '"><img src=x onerror=alert(2)>',
    "' onmouseover='alert(3)' x='",
    "'; DROP TABLE verifications; --",
    '" OR 1=1 --',
    'x\r\nSet-Cookie: evil=1',
    'x\r\n\r\n<h1 id=injected>injected</h1>',
    'x\nLocation: http://evil.example/',
    '{{API_KEY}}{{#ERROR}}{{/ERROR}}{{>x}}',
    '</textarea></title><svg/onload=alert(4)>',
    'javascript:alert(5)//',
    '\u202e<b>rtl</b>',
    '%3Cscript%3Ealert(6)%3C/script%3E',
]
DANGEROUS = ('<', '>', '"', "'", '\r', '\n')


def dangerous(payload):
    return any(c in payload for c in DANGEROUS)


class CrossVerificationTest(CGITestCase):
    def test_code_for_b_never_verifies_a(self):
        ra, vid_a, code_a = self.start_flow(PHONE_A)
        rb, vid_b, code_b = self.start_flow(PHONE_B, remote_addr='10.8.0.2')
        self.assertNotEqual(vid_a, vid_b)
        if code_a.upper() == code_b.upper():
            self.skipTest('both codes equal by chance (1/65536)')
        # A's hidden id with B's code; A's cookie with B's code; both
        for kw in ({'vid': vid_a}, {'cookie_vid': vid_a}, {'vid': vid_a, 'cookie_vid': vid_a},
                   {'vid': vid_a, 'cookie_vid': vid_b}):
            with self.subTest(**kw):
                r = self.site.verify(code_b, **kw)
                if kw.get('vid') == vid_a:
                    self.assertStatus(r, 422, 'verify')
                else:
                    self.assertStatus(r, 422)
        # B is not harmed by A's tries, and A still has tries left
        self.assertStatus(self.site.verify(code_b, vid=vid_b), 200, 'success')
        self.assertStatus(self.site.verify(code_a, vid=vid_a), 200, 'success')

    def test_codes_of_many_visitors_do_not_cross(self):
        # the tutorial's hole: any pending code verified anyone
        flows = []
        for i in range(6):
            flows.append(self.start_flow('+1202555%04d' % (500 + i), remote_addr='10.8.1.%d' % i))
        victim_vid = flows[0][1]
        own = flows[0][2]
        others = [f[2] for f in flows[1:] if f[2].upper() != own.upper()]
        results = [self.site.verify(c, vid=victim_vid).status for c in others[:4]]
        self.assertNotIn(200, results)
        self.assertStatus(self.site.verify(own, vid=victim_vid), 200, 'success')

    def test_id_alone_grants_nothing(self):
        ra, vid_a, code_a = self.start_flow(PHONE_A)
        # someone with A's id (not A's code) sees the form, not the number, not the code
        g = self.site.get(VERIFY, cookie='otp_vid=' + vid_a, remote_addr='10.8.2.1')
        self.assertSane(g)
        self.assertNotIn(PHONE_A, g.text)
        self.assertNotIn(code_a, g.text)
        self.assertNotEqual(g.page, 'success')


class GuessingTest(CGITestCase):
    def guesses(self, code, n):
        rnd = random.Random(1234)
        out, seen = [], {code.upper()}
        while len(out) < n:
            g = '%04X' % rnd.randrange(0x10000)
            if g not in seen:
                seen.add(g)
                out.append(g if rnd.random() < 0.5 else g.lower())
        return out

    def test_1000_wrong_guesses_get_nothing(self):
        r, vid, code = self.start_flow(PHONE_A)
        statuses = []
        for g in self.guesses(code, 1000):
            v = self.site.verify(g, vid=vid, timeout=20)
            self.assertFalse(v.timed_out, v.describe())
            statuses.append(v.status)
            if v.status == 200:
                break
        self.assertNotIn(200, statuses)
        n422 = statuses.count(422)
        self.assertIn(n422, (4, 5), 'MAX_ATTEMPTS is 5: %r' % statuses[:10])
        self.assertEqual(statuses[:4], [422] * 4, statuses[:10])
        self.assertEqual(set(statuses[5:]), {410}, sorted(set(statuses)))
        self.assertEqual(len(statuses), 1000)
        self.assertStatus(self.site.verify(code, vid=vid), 410, 'error')
        self.assertStatus(self.site.verify(code, cookie_vid=vid), 410, 'error')
        # whether the MAX_ATTEMPTS-th answer is 422 or 410: test_last_wrong_try_is_422

    def test_concurrent_guesses_respect_max_attempts(self):
        import concurrent.futures
        r, vid, code = self.start_flow(PHONE_A)
        guesses = self.guesses(code, 200)
        with concurrent.futures.ThreadPoolExecutor(12) as ex:
            results = list(ex.map(lambda g: self.site.verify(g, vid=vid, timeout=60), guesses))
        for v in results:
            self.assertSane(v)
            low = v.stderr.lower()
            self.assertNotIn('database is locked', low, v.describe())
            self.assertNotIn('busy', low, v.describe())
        statuses = [v.status for v in results]
        self.assertNotIn(200, statuses)
        self.assertLessEqual(statuses.count(422), 5, 'more wrong tries than MAX_ATTEMPTS: '
                             'the attempt count races')
        self.assertEqual(statuses.count(422) + statuses.count(410), len(statuses),
                         sorted(set(statuses)))
        self.assertStatus(self.site.verify(code, vid=vid), 410)

    def test_concurrent_right_code_used_once(self):
        import concurrent.futures
        r, vid, code = self.start_flow(PHONE_A)
        with concurrent.futures.ThreadPoolExecutor(16) as ex:
            results = list(ex.map(lambda i: self.site.verify(code, vid=vid, timeout=60),
                                  range(32)))
        statuses = [v.status for v in results]
        self.assertEqual(statuses.count(200), 1, 'a code used more than once: %r' % statuses)
        self.assertEqual(statuses.count(410), 31, statuses)


class HostileTextTest(CGITestCase):
    def check_answer(self, r, payload):
        self.assertSane(r)  # no split header, no crash
        self.assertLess(r.status, 500, r.describe())
        names = {k.lower() for k, v in r.headers}
        self.assertNotIn('location', names, r.describe())
        for sc in r.header_all('Set-Cookie'):
            self.assertNotIn('evil', sc)
            self.assertRegex(sc, r'^otp_vid=[0-9a-f]{32}(;|$)|^otp_vid=;', sc)
        if dangerous(payload):
            self.assertNotIn(payload, r.text, 'payload raw in the page' + r.describe())
            for part in ('<script>alert', '<img src=x', '<svg/onload', "onmouseover='",
                         '<h1 id=injected>'):
                if part in payload:
                    self.assertNotIn(part, r.text, r.describe())
        self.assertNotIn(API_KEY, r.text)
        for line in r.stderr.splitlines():
            self.assertRegex(line, r'^(request|verify)\.cgi: ',
                             'a log line not written by the program (forged?)' + r.describe())

    def test_hostile_phone(self):
        for p in HOSTILE:
            with self.subTest(payload=p):
                r = self.site.request(p)
                self.check_answer(r, p)
                self.assertEqual(r.status, 400, r.describe())

    def test_hostile_phone_around_a_valid_number(self):
        for p in HOSTILE:
            with self.subTest(payload=p):
                r = self.site.request('+12025550143' + p)
                self.check_answer(r, p)

    def test_hostile_token(self):
        r, vid, code = self.start_flow(PHONE_A, site=self.make_site({'MAX_ATTEMPTS': 10}))
        site = self.site
        for p in HOSTILE:
            with self.subTest(payload=p):
                v = site.verify(p, vid='0' * 32)
                self.check_answer(v, p)

    def test_hostile_token_on_a_live_verification(self):
        site = self.make_site({'MAX_ATTEMPTS': 10})
        r, vid, code = self.start_flow(PHONE_A, site=site)
        for p in HOSTILE[:8]:
            with self.subTest(payload=p):
                v = site.verify(p, vid=vid)
                self.check_answer(v, p)
                self.assertIn(v.status, (400, 422), v.describe())
        self.assertStatus(site.verify(code, vid=vid), 200, 'success')

    def test_hostile_verification_id(self):
        for p in HOSTILE:
            with self.subTest(payload=p):
                self.check_answer(self.site.verify('1234', vid=p), p)
                self.check_answer(self.site.verify('1234', cookie_vid=p), p)

    def test_hostile_cookie_header(self):
        for p in HOSTILE + ['otp_vid=' + '0' * 32 + '; otp_vid=<script>x</script>',
                            'otp_vid=' + 'a' * 10000, ';;;=;=;', 'otp_vid']:
            with self.subTest(payload=p):
                self.check_answer(self.site.get(VERIFY, cookie='otp_vid=' + p), p)
                self.check_answer(self.site.get(VERIFY, cookie=p), p)
                self.check_answer(self.site.request('+12025550143', cookie=p,
                                                    remote_addr='10.9.9.9'), p)

    def test_hostile_extra_fields_and_query(self):
        for p in HOSTILE:
            with self.subTest(payload=p):
                body = urllib.parse.urlencode({'phone': '+12025550143', 'name': p, p: 'x',
                                               'return_to': p, 'phone_sig': p})
                r = self.site.post(REQUEST, body, query=urllib.parse.quote(p))
                self.check_answer(r, p)
                g = self.site.get(REQUEST, query='phone=' + urllib.parse.quote(p))
                self.check_answer(g, p)
                for field in ('return_to', 'phone_sig'):
                    g = self.site.get(REQUEST, query='phone=%2B12025550143&' + field + '='
                                      + urllib.parse.quote(p))
                    self.check_answer(g, p)
                g = self.site.get(VERIFY, query='verification_id=' + urllib.parse.quote(p))
                self.check_answer(g, p)

    def test_hostile_host_origin_referer(self):
        for p in HOSTILE:
            with self.subTest(payload=p):
                r = self.site.post(REQUEST, 'phone=%2B12025550143', host=p)
                self.check_answer(r, p)
                r = self.site.post(REQUEST, 'phone=%2B12025550143', origin=p)
                self.check_answer(r, p)
                self.assertEqual(r.status, 403, r.describe())
                r = self.site.post(REQUEST, 'phone=%2B12025550143', referer=p)
                self.check_answer(r, p)

    def test_hostile_script_name(self):
        for p in ('/cgi-bin\r\nSet-Cookie: evil=1/request.cgi', '/cgi;evil=1/request.cgi',
                  '/a b/request.cgi', '/<script>/request.cgi'):
            with self.subTest(script_name=p):
                r = self.site.request('+12025550143', script_name=p, remote_addr='10.9.8.%d' % len(p))
                self.assertSane(r)
                for sc in r.header_all('Set-Cookie'):
                    self.assertNotIn('evil', sc)
                    self.assertNotIn('<script>', sc)
                self.assertNotIn('<script>/', r.text)

    def test_database_survives(self):
        for p in HOSTILE:
            self.site.request(p)
            self.site.verify(p, vid=p)
        r, vid, code = self.start_flow(PHONE_B)
        self.assertStatus(self.site.verify(code, vid=vid), 200, 'success')
        self.assertTrue(self.site.tables())

    def test_config_value_with_cr_does_not_inject_headers(self):
        site = self.make_site({'API_KEY': 'KEYabc\rX-Injected: 1'})
        r = site.request(PHONE_A)
        self.assertSane(r)
        if r.status == 200 or self.fake.messages:
            for m in self.fake.messages:
                self.assertNotIn('X-Injected', m['headers'], m['headers'])
        else:
            self.assertEqual(r.status, 500, r.describe())


class StorageTest(CGITestCase):
    site_keys = {'TOKEN_LENGTH': 10, 'SECRET_KEY': 'hmac-secret-for-tests-0123456789',
                 'RESEND_AFTER': 0}

    def db_dump(self):
        """Every value of every table (text and blobs) and the raw bytes of the
        store (the database file and its side files, or PostgreSQL's files
        of the site's tables and its WAL)."""
        values = []
        tables = self.site.tables()
        for t in tables:
            for row in self.site.sql('select * from "%s"' % t.replace('"', '""')):
                values.extend(row)
        return tables, values, self.site.store_bytes()

    def assert_no_code(self, code, vid):
        tables, values, raw = self.db_dump()
        self.assertTrue(any(v is not None for v in values), 'nothing stored at all?')
        forms = {code, code.upper(), code.lower()}
        bad = []
        for v in values:
            if isinstance(v, bytes):
                for f in forms:
                    if f.encode() in v:
                        bad.append(v)
            elif v is not None:
                for f in forms:
                    if f in str(v):
                        bad.append(v)
        self.assertEqual(bad, [], 'the code is stored in clear')
        for f in forms:
            self.assertNotIn(f.encode(), raw, 'the code is in the database file')
            self.assertNotIn(f.encode('utf-16-le'), raw)
        # not an unkeyed hash either
        digests = []
        for f in forms:
            for data in (f, vid + f, f + vid, vid + ':' + f):
                for h in (hashlib.sha256, hashlib.sha1, hashlib.md5, hashlib.sha512):
                    d = h(data.encode()).digest()
                    digests += [d, d.hex().encode(), d.hex().upper().encode()]
        for d in digests:
            self.assertNotIn(d, raw, 'an unkeyed hash of the code is stored')
        # a plain HMAC with the API key is fine (it is keyed), but only the keyed form
        return tables

    def test_db_holds_no_code_in_clear(self):
        r, vid, code = self.start_flow(PHONE_A)
        self.assert_no_code(code, vid)
        w = self.site.verify('0' * 10 if code != '0' * 10 else '1' * 10, vid=vid)
        self.assertStatus(w, 422)
        self.assert_no_code(code, vid)
        self.assertStatus(self.site.verify(code.lower(), vid=vid), 200, 'success')
        self.assert_no_code(code, vid)

    def test_db_holds_no_code_after_replacement_and_failure(self):
        r, vid, code1 = self.start_flow(PHONE_A)
        r2, vid2, code2 = self.start_flow(PHONE_A, vid=vid)
        self.fake.mode = 'status:500'
        r3 = self.site.request(PHONE_B, remote_addr='10.10.0.1')
        self.assertStatus(r3, 502)
        code3 = self.fake.code_for(PHONE_B)
        for c, v in ((code1, vid), (code2, vid2), (code3, r3.vid or '')):
            self.assert_no_code(c, v)

    @harness.sqlite_only('the mode of the file at DB_PATH')
    def test_database_file_not_world_readable(self):
        r, vid, code = self.start_flow(PHONE_A)
        mode = self.site.db_path.stat().st_mode & 0o777
        self.assertEqual(mode & 0o007, 0, 'the database is world-accessible: %o' % mode)

    def test_secret_key_changes_the_stored_hash(self):
        # SECRET_KEY is what keys the hash: another SECRET_KEY must not verify the code
        r, vid, code = self.start_flow(PHONE_A)
        keys = dict(self.site.keys)
        keys['SECRET_KEY'] = 'another-secret-0123456789abcdef'
        other = harness.Site(fake=self.fake, keys=keys)
        self.addCleanup(other.cleanup)
        other.use_store_of(self.site)
        other.configure(keys)
        v = other.verify(code, vid=vid)
        self.assertSane(v)
        self.assertNotEqual(v.status, 200, 'the code verified under another SECRET_KEY')
        self.assertStatus(self.site.verify(code, vid=vid), (200, 410))


class LeakTest(CGITestCase):
    site_keys = {'TOKEN_LENGTH': 10, 'DEBUG': True}

    def test_api_key_never_in_pages_or_logs(self):
        site = self.site
        r, vid, code = self.start_flow(PHONE_A)
        site.verify('0' * 10 if code != '0' * 10 else '1' * 10, vid=vid)
        site.verify(code, vid=vid)
        site.verify(code, vid=vid)
        site.get(REQUEST)
        site.get(VERIFY, cookie='otp_vid=' + vid)
        site.post(REQUEST, 'phone=abc')
        site.post(REQUEST, 'phone=%zz')
        site.post(REQUEST, 'phone=1', origin='http://evil.example')
        site.post(REQUEST, 'x' * 9000)
        site.post(REQUEST, 'phone=1', content_type='text/plain')
        site.run(REQUEST, 'PUT')
        for i, mode in enumerate(('status:401', 'status:403', 'status:422', 'status:429',
                                  'status:500', 'status:503', 'notjson', 'nodata')):
            self.fake.mode = mode
            site.request('+1202555%04d' % (600 + i), remote_addr='10.11.0.%d' % i)
        self.fake.mode = 'ok'
        bad = self.make_site({'TOKEN_TTL': 0, 'DEBUG': True, 'TOKEN_LENGTH': 10})
        bad.request(PHONE_A)
        nodb = self.make_site(dict(harness.unreachable_store(), DEBUG=True))
        nodb.request(PHONE_A)
        everything = site.all_output() + bad.all_output() + nodb.all_output()
        self.assertGreater(len(site.responses), 15)
        self.assertNotIn(API_KEY, everything)
        self.assertNotIn(API_KEY[:12], everything, 'a prefix of the API key leaks')

    def test_secret_key_and_code_never_in_logs(self):
        site = self.make_site({'SECRET_KEY': 'SECRETKEYvalue-0123456789', 'TOKEN_LENGTH': 10,
                               'DEBUG': True})
        r, vid, code = self.start_flow(PHONE_A, site=site)
        site.verify('0' * 10 if code != '0' * 10 else '1' * 10, vid=vid)
        site.verify(code, vid=vid)
        logs = '\n'.join(x.stderr for x in site.responses)
        pages = '\n'.join(x.raw.decode('latin-1') for x in site.responses)
        self.assertNotIn('SECRETKEYvalue', logs + pages)
        self.assertNotIn(code, logs, 'the code is written to the log')
        self.assertNotIn(code.lower(), logs)
        self.assertNotIn(code, pages, 'the code is in a page')
        self.assertNotIn(PHONE_A, logs, 'the phone number is not masked in the log')

    def test_failure_page_shows_no_provider_detail(self):
        self.fake.mode = 'status:401'
        r = self.site.request(PHONE_A)
        self.assertStatus(r, 502)
        self.assertNotIn('Authentication failed', r.text)
        self.assertNotIn('10009', r.text)
        self.assertNotIn(self.fake.url, r.text)
        self.assertNotIn('127.0.0.1', r.text)


if __name__ == '__main__':
    unittest.main()
