"""Entering and leaving the flow with return_to: the hidden field, the 303
back to the site with the assertion (query or cookie), the otp_vid cookie
cleared, the success page without return_to, and every open-redirect trick
refused with 400 on GET and on POST."""

import time
import urllib.parse

from test_support import HandoverCase, REQUEST, PHONE, JSON_HEADERS, query_assertion, read_assertion


def get_query(value):
    """A query string carrying value as return_to (percent-encoded once)."""
    return 'return_to=' + urllib.parse.quote(value, safe='')


# (name, raw form-encoded value): each is decoded once by the form parser.
# The same raw text is used as the query of a GET and in a POST body.
TRICKS = [
    ('other host', urllib.parse.quote('https://evil.example/', safe='')),
    ('other host, http', urllib.parse.quote('http://evil.example/', safe='')),
    ('protocol-relative', '//evil.example'),
    ('protocol-relative, three slashes', '///evil.example'),
    ('slash backslash', urllib.parse.quote('/\\evil.example', safe='')),
    ('backslash slash', urllib.parse.quote('\\/evil', safe='')),
    ('backslash backslash', urllib.parse.quote('\\\\evil.example', safe='')),
    ('javascript:', urllib.parse.quote('javascript:alert(1)', safe='')),
    ('javascript: upper case', urllib.parse.quote('JavaScript:alert(1)', safe='')),
    ('data:', urllib.parse.quote('data:text/html,<script>alert(1)</script>', safe='')),
    ('encoded //, decoded once', '%2F%2Fevil.example'),
    ('encoded // lower case', '%2f%2fevil.example'),
    ('encoded /\\', '%2F%5Cevil.example'),
    ('encoded https://', 'https%3A%2F%2Fevil.example%2F'),
    ('CR LF header injection', '/%0d%0aSet-Cookie:x'),
    ('LF alone', '/%0aLocation:%20https://evil.example/'),
    ('CR alone', '/a%0db'),
    ('tab', '/a%09b'),
    ('tab before //', '/%09/evil.example'),
    ('NUL', '/a%00b'),
    ('space', '/a%20b'),
    ('leading space', '%20/account'),
    ('non-ASCII', '/caf%C3%A9'),
    ('allowed host as a prefix of another', urllib.parse.quote(
        'http://app.example.com.evil.example/', safe='')),
    ('allowed host as a prefix of another, https', urllib.parse.quote(
        'https://app.example.com.evil.example/', safe='')),
    ('allowed host then @', urllib.parse.quote('https://app.example.com@evil.example/', safe='')),
    ('allowed host without its path', urllib.parse.quote('https://app.example.com', safe='')),
    ('allowed host over http', urllib.parse.quote('http://app.example.com/cb', safe='')),
    ('scheme without slashes', urllib.parse.quote('https:app.example.com/cb', safe='')),
    ('relative path', 'account/done'),
    ('over-long', '/' + 'a' * 600),
    ('much over-long', '/' + 'a' * 1500),
]

ALLOWED = [
    '/account/done?x=1#top',
    '/account/done',
    '/',
    'https://app.example.com/cb',
    'https://app.example.com/cb?state=abc&y=2#frag',
    '/a/%2F%2Fevil.example',        # a path on this site, '%2F' kept as such
    '/a/%0d%0aSet-Cookie:x',        # ditto: no raw CR/LF ever
    '/' + 'a' * 400,
]


class OpenRedirectTest(HandoverCase):

    def test_tricks_refused_on_get(self):
        for name, raw in TRICKS:
            with self.subTest(name):
                # the error page, not a usable form: a verification the site never
                # hears of is of no use (control characters are refused earlier, by
                # the form decoder, with the empty phone form)
                r = self.site.get(REQUEST, query='return_to=' + raw)
                self.assertStatus(r, 400)
                self.assertIn(r.page, ('error', 'index'))
                self.assertNotIn('evil.example', r.header('Location') or '')
                self.assertIsNone(r.header('Location'), r.describe())
                self.assertFalse(any(a.get('name') == 'return_to' for a in r.inputs()),
                                 'refused return_to kept in the form' + r.describe())

    def test_tricks_refused_on_post_and_nothing_sent(self):
        for name, raw in TRICKS:
            with self.subTest(name):
                body = 'phone=%2B12025550143&return_to=' + raw
                r = self.site.post(REQUEST, body)
                self.assertStatus(r, 400)
                self.assertIn(r.page, ('error', 'index'))
                self.assertIsNone(r.header('Location'), r.describe())
                self.assertIsNone(r.cookie_vid, r.describe())
        self.assertEqual(self.sent_count(), 0, 'a code was sent for a refused return_to')

    def test_tricks_refused_in_json(self):
        for name, raw in TRICKS[:12]:
            with self.subTest(name):
                r = self.site.get(REQUEST, query='return_to=' + raw, extra=JSON_HEADERS)
                self.assertJson(r, 400)
                r = self.site.post(REQUEST, 'phone=%2B12025550143&return_to=' + raw,
                                   extra=JSON_HEADERS)
                self.assertJson(r, 400)
        r = self.site.post(REQUEST, 'phone=%2B12025550143&return_to=%2F%2Fevil.example',
                           extra=JSON_HEADERS)
        self.assertJson(r, 400, 'invalid_return_to')

    def test_duplicate_return_to_refused(self):
        r = self.site.get(REQUEST, query='return_to=/ok&return_to=//evil.example')
        self.assertStatus(r, 400)
        r = self.site.post(REQUEST, 'phone=%2B12025550143&return_to=/ok&return_to=//evil.example')
        self.assertStatus(r, 400)
        self.assertEqual(self.sent_count(), 0)

    def test_no_external_url_without_return_to_allowed(self):
        site = self.make_site({'RETURN_TO_ALLOWED': None})
        r = site.get(REQUEST, query=get_query('https://app.example.com/cb'))
        self.assertStatus(r, 400)
        r = site.get(REQUEST, query=get_query('/account/done'))
        self.assertStatus(r, 200, 'index')

    def test_allowed_on_get(self):
        for value in ALLOWED:
            with self.subTest(value):
                r = self.site.get(REQUEST, query=get_query(value))
                self.assertStatus(r, 200, 'index')
                hidden = [a for a in r.inputs() if a.get('name') == 'return_to']
                self.assertEqual(len(hidden), 1, r.describe())
                self.assertEqual(hidden[0].get('type'), 'hidden')
                self.assertEqual(hidden[0].get('value'), value)

    def test_allowed_round_trip(self):
        for i, value in enumerate(ALLOWED):
            with self.subTest(value):
                phone = '+1202555%04d' % (100 + i)
                r = self.flow(phone, value)
                self.assertStatus(r, 303)
                loc = r.header('Location')
                self.assertNotIn('\r', loc)
                self.assertNotIn('\n', loc)
                a = query_assertion(loc)
                base, frag = (value.split('#', 1) + [None])[:2]
                want = base + ('&' if '?' in base else '?') + 'otp_assertion=' + a
                if frag is not None:
                    want += '#' + frag
                self.assertEqual(loc, want)
                self.assertEqual(read_assertion(a)['phone'], phone)


class PathPrefixEscapeTest(HandoverCase):
    """A path prefix in RETURN_TO_ALLOWED holds against an encoded slash or
    backslash next to a dot segment: a server that decodes %2F before it
    routes reads /alice/..%2Fbob/steal as /bob/steal."""
    site_keys = dict(RETURN_TO_ALLOWED='/alice/')

    ESCAPES = ['/alice/..%2Fbob/steal', '/alice/..%2fbob/steal',
               '/alice/..%5Cbob/steal', '/alice/..%5cbob/steal',
               '/alice/x%2F..%2F..%2Fbob/steal', '/alice/%2e%2e%2Fbob/steal']

    def test_encoded_separator_escapes_refused_on_get(self):
        for value in self.ESCAPES:
            with self.subTest(value):
                r = self.site.get(REQUEST, query=get_query(value))
                self.assertStatus(r, 400, 'error')
                self.assertFalse(any(a.get('name') == 'return_to' for a in r.inputs()),
                                 r.describe())

    def test_encoded_separator_escapes_refused_on_post(self):
        for value in self.ESCAPES:
            with self.subTest(value):
                r = self.site.request(PHONE, extra_fields={'return_to': value})
                self.assertStatus(r, 400, 'error')
                self.assertIsNone(r.cookie_vid, r.describe())
        self.assertEqual(self.sent_count(), 0, 'a code was sent for a refused return_to')

    def test_prefix_still_works(self):
        for value in ('/alice/steal', '/alice/a%2Fb'):
            with self.subTest(value):
                r = self.site.get(REQUEST, query=get_query(value))
                self.assertStatus(r, 200, 'index')
        r = self.site.get(REQUEST, query=get_query('/bob/steal'))
        self.assertStatus(r, 400, 'error')


class RoundTripTest(HandoverCase):

    def test_get_form_then_post_its_fields_then_303_with_assertion(self):
        rt = '/account/done?x=1#top'
        r = self.site.get(REQUEST, query=get_query(rt))
        self.assertStatus(r, 200, 'index')
        self.assertHtml(r)
        fields = {a['name']: a.get('value', '') for a in r.inputs() if a.get('name')}
        self.assertEqual(fields.get('return_to'), rt)
        fields['phone'] = '(202) 555-0143'
        t0 = int(time.time())
        r = self.site.post(REQUEST, urllib.parse.urlencode(fields))
        self.assertStatus(r, 200, 'verify')
        vid = r.vid
        code = self.fake.code_for(PHONE)
        # the verify form carries no return_to: it is kept with the verification
        r = self.site.verify(code, vid=vid, cookie_vid=vid)
        self.assertStatus(r, 303)
        self.assertHtml(r)
        loc = r.header('Location')
        self.assertTrue(loc.startswith('/account/done?x=1&otp_assertion=v1.'), loc)
        self.assertTrue(loc.endswith('#top'), loc)
        a = query_assertion(loc)
        payload = read_assertion(a)
        self.assertEqual(set(payload), {'phone', 'verified_at', 'vid', 'return_to'})
        self.assertEqual(payload['return_to'], rt)
        self.assertEqual(payload['phone'], PHONE)
        self.assertEqual(payload['vid'], vid)
        self.assertIsInstance(payload['verified_at'], int)
        self.assertTrue(t0 <= payload['verified_at'] <= int(time.time()), payload)
        # otp_vid is cleared
        c = r.cookies().get('otp_vid')
        self.assertIsNotNone(c, r.describe())
        self.assertEqual(c[0], '')
        self.assertEqual(c[1].get('max-age'), '0')
        self.assertNotIn('otp_assertion', r.cookies(), 'query mode sets no cookie')
        # the 303's body links to the same place, for clients that do not follow
        self.assertIn(loc, r.links())
        # and the assertion is good
        self.assertAccepted(a, PHONE)

    def test_without_cookie_hidden_field_only(self):
        r = self.site.request(PHONE, extra_fields={'return_to': '/cb'})
        self.assertStatus(r, 200, 'verify')
        vid = r.hidden_vid
        self.assertRegex(vid or '', r'^[0-9a-f]{32}$')
        r = self.site.verify(self.fake.code_for(PHONE), vid=vid)
        self.assertStatus(r, 303)
        self.assertEqual(read_assertion(query_assertion(r.header('Location')))['vid'], vid)

    def test_without_return_to_success_page(self):
        r = self.flow(PHONE, None)
        self.assertStatus(r, 200, 'success')
        self.assertHtml(r)
        self.assertIsNone(r.header('Location'))
        self.assertNotIn('otp_assertion', r.text)
        self.assertNotIn('otp_assertion', r.cookies())
        self.assertEqual(r.cookies().get('otp_vid', ('x',))[0], '')

    def test_wrong_code_keeps_return_to(self):
        r, vid, code = self.start_flow(PHONE, extra_fields={'return_to': '/cb'})
        wrong = '000000' if code != '000000' else '111111'
        r = self.site.verify(wrong, vid=vid, cookie_vid=vid)
        self.assertStatus(r, 422, 'verify')
        self.assertIsNone(r.header('Location'))
        r = self.site.verify(code, vid=vid, cookie_vid=vid)
        self.assertStatus(r, 303)
        self.assertTrue(r.header('Location').startswith('/cb?otp_assertion='))

    def test_new_code_keeps_return_to(self):
        # "Send a new code" asks again for the same number without return_to: the
        # site's return_to stays with the verification
        r, vid, code = self.start_flow(PHONE, extra_fields={'return_to': '/cb'})
        r, vid2, code2 = self.start_flow(PHONE, vid=vid)
        self.assertEqual(vid2, vid)
        r = self.site.verify(code2, vid=vid2, cookie_vid=vid2)
        self.assertStatus(r, 303)
        self.assertTrue(r.header('Location').startswith('/cb?otp_assertion=v1.'), r.describe())

    def test_new_code_for_another_number_has_no_return_to(self):
        r, vid, code = self.start_flow(PHONE, extra_fields={'return_to': '/cb'})
        r, vid2, code2 = self.start_flow('+12025550188', vid=vid)
        self.assertNotEqual(vid2, vid)
        r = self.site.verify(code2, vid=vid2, cookie_vid=vid2)
        self.assertStatus(r, 200, 'success')

    def test_return_to_needs_signing_key(self):
        site = self.make_site({'SIGNING_KEY': None})
        r = site.get(REQUEST, query=get_query('/cb'))
        self.assertStatus(r, 500)
        self.assertIn('SIGNING_KEY', r.stderr)
        # without return_to the flow works as before
        r = self.flow(PHONE, None, site=site)
        self.assertStatus(r, 200, 'success')

    def test_absolute_allowed_url(self):
        r = self.flow(PHONE, 'https://app.example.com/cb')
        self.assertStatus(r, 303)
        loc = r.header('Location')
        self.assertTrue(loc.startswith('https://app.example.com/cb?otp_assertion=v1.'), loc)
        self.assertAccepted(query_assertion(loc), PHONE)


class CookieDeliveryTest(HandoverCase):
    site_keys = dict(RESULT_DELIVERY='cookie', RESULT_MAX_AGE=120)

    def assertion_cookie(self, r):
        c = r.cookies().get('otp_assertion')
        self.assertIsNotNone(c, 'no otp_assertion cookie' + r.describe())
        return c

    def test_cookie_round_trip(self):
        rt = '/account/done?x=1#top'
        r = self.flow(PHONE, rt)
        self.assertStatus(r, 303)
        self.assertEqual(r.header('Location'), rt, 'cookie mode: Location is return_to as is')
        value, attrs = self.assertion_cookie(r)
        self.assertEqual(attrs.get('path'), '/account/')
        self.assertEqual(attrs.get('max-age'), '120')
        self.assertIn('httponly', attrs)
        self.assertNotIn('domain', attrs)
        self.assertEqual(r.cookies().get('otp_vid', ('x',))[0], '', 'otp_vid not cleared')
        self.assertAccepted(value, PHONE)

    def test_url_on_another_host_gets_the_query(self):
        # a cookie of this host is no use to another: a return_to URL gets the
        # assertion in its query even in cookie mode
        r = self.flow(PHONE, 'https://app.example.com/cb')
        self.assertStatus(r, 303)
        self.assertTrue(r.header('Location').startswith('https://app.example.com/cb?otp_assertion=v1.'),
                        r.describe())
        self.assertIsNone(r.cookies().get('otp_assertion'), r.describe())
        self.assertAccepted(query_assertion(r.header('Location')), PHONE)

    def test_cookie_secure_over_https(self):
        r, vid, code = self.start_flow(PHONE, extra_fields={'return_to': '/a/b'}, https=True)
        r = self.site.verify(code, vid=vid, https=True)
        self.assertStatus(r, 303)
        self.assertIn('secure', self.assertion_cookie(r)[1])

    def test_return_to_cannot_inject_cookie_attributes(self):
        # ';' is allowed in a path, but must not become cookie attributes
        rt = '/x;Domain=example.com;Path=/;Max-Age=99999/y'
        r = self.site.request(PHONE, extra_fields={'return_to': rt})
        if r.status == 400:
            return  # refusing such a return_to is fine too
        self.assertStatus(r, 200, 'verify')
        r = self.site.verify(self.fake.code_for(PHONE), vid=r.vid)
        self.assertStatus(r, 303)
        sc = [v for v in r.header_all('Set-Cookie') if v.startswith('otp_assertion=')]
        self.assertEqual(len(sc), 1, r.describe())
        names = [p.split('=', 1)[0].strip().lower() for p in sc[0].split(';')[1:]]
        self.assertNotIn('domain', names, 'return_to injected a Domain attribute: %r' % sc[0])
        self.assertEqual(names.count('path'), 1, 'return_to injected a Path attribute: %r' % sc[0])
        self.assertEqual(names.count('max-age'), 1, 'return_to injected Max-Age: %r' % sc[0])


class HtmlUnchangedTest(HandoverCase):
    """Without Accept: application/json every answer is still an HTML page."""

    def test_pages_are_html(self):
        for accept in (None, '*/*', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'):
            with self.subTest(accept=accept):
                extra = {'HTTP_ACCEPT': accept} if accept else None
                r = self.site.get(REQUEST, query=get_query('/cb'), extra=extra)
                self.assertStatus(r, 200, 'index')
                self.assertHtml(r)
                r = self.site.get(REQUEST, query=get_query('//evil.example'), extra=extra)
                self.assertStatus(r, 400, 'error')
                self.assertHtml(r)
                r = self.site.request(PHONE, extra_fields={'return_to': '/cb'}, extra=extra)
                self.assertStatus(r, 200, 'verify')
                self.assertHtml(r)
                r = self.site.verify('ZZZZZZ', vid=r.vid, extra=extra)
                self.assertStatus(r, 422, 'verify')
                self.assertHtml(r)
                r = self.site.run(REQUEST, 'PUT', extra=extra)
                self.assertStatus(r, 405)
                self.assertHtml(r)
