"""Issue 4, the visitor's browser: POSTs whose Origin (or, without one, whose
Referer) names another host are refused with 403; neither is accepted; GET
is not checked."""

import unittest

from abuse_common import (AbuseCase, OTHER_PHONE, PHONE, REQUEST, VERIFY, audit_events,
                          send_rows, wrong_code)


class OriginTest(AbuseCase):
    site_keys = {'RESEND_AFTER': 0}

    def assert403(self, r):
        self.assertStatus(r, 403, 'error')
        ev = [e for e in audit_events(r.stderr) if e['event'] == 'refused_origin']
        self.assertEqual(len(ev), 1, 'no refused_origin audit line' + r.describe())
        return r

    def assertRefusedRequest(self, **kw):
        before = len(self.fake.messages)
        self.assert403(self.site.request(PHONE, **kw))
        self.assertEqual(self.wait_settled(before), before, 'a refused POST sent an SMS')

    def assertAcceptedRequest(self, phone=PHONE, **kw):
        return self.start_flow(phone, **kw)

    # --- refused ------------------------------------------------------------
    def test_other_origin_refused_on_request(self):
        self.assertRefusedRequest(origin='https://evil.example')
        self.assertRefusedRequest(origin='http://evil.example', host='localhost')
        self.assertEqual(send_rows(self.site), [], 'a refused POST was counted')

    def test_other_origin_refused_on_verify_and_not_counted(self):
        r, vid, code = self.start_flow(PHONE)
        self.assert403(self.site.verify(wrong_code(code), vid=vid, origin='https://evil.example'))
        self.assert403(self.site.verify(code, vid=vid, origin='https://evil.example'))
        # Neither refused POST was a try, nor used the code.
        v = self.site.verify(wrong_code(code), vid=vid)
        self.assertStatus(v, 422)
        self.assertRegex(v.text, r'\b4 tries left\b')
        self.assertStatus(self.site.verify(code, vid=vid), 200, 'success')

    def test_other_referer_without_origin_refused(self):
        self.assertRefusedRequest(referer='https://evil.example/form.html')
        r, vid, code = self.start_flow(PHONE)
        self.assert403(self.site.verify(code, vid=vid, referer='http://evil.example/'))

    def test_null_origin_refused(self):
        self.assertRefusedRequest(origin='null')
        r, vid, code = self.start_flow(PHONE)
        self.assert403(self.site.verify(code, vid=vid, origin='null'))

    def test_look_alike_origins_refused(self):
        for origin in ('http://localhost.evil.example', 'http://evil.example/localhost',
                       'http://localhost@evil.example', 'http://evillocalhost',
                       'http://localhost:8080', 'localhost', 'http://localhost:81'):
            with self.subTest(origin=origin):
                self.assertRefusedRequest(origin=origin, host='localhost')
        self.assertRefusedRequest(origin='http://localhost:8081', host='localhost:8080')

    def test_overlong_foreign_origin_or_referer_refused(self):
        # A Referer (or Origin) that names another host is refused however long
        # it is: treating one over the header limit as absent would let a page
        # with a long enough URL post from an old browser that sends no Origin.
        long_path = '/' + 'a' * 5000
        self.assertRefusedRequest(referer='https://evil.example' + long_path)
        self.assertRefusedRequest(origin='https://evil.example' + long_path)

    def test_origin_wins_over_referer(self):
        # An Origin naming another host is refused whatever the Referer says.
        self.assertRefusedRequest(origin='https://evil.example',
                                  referer='http://localhost/cgi-bin/request.cgi')

    # --- accepted -----------------------------------------------------------
    def test_same_host_accepted(self):
        self.assertAcceptedRequest(origin='http://localhost', host='localhost')
        self.assertAcceptedRequest(phone=OTHER_PHONE, origin='https://localhost', https=True)

    def test_same_host_with_and_without_default_port(self):
        cases = [('http://localhost:80', 'localhost', False),
                 ('http://localhost', 'localhost:80', False),
                 ('https://localhost:443', 'localhost', True),
                 ('https://localhost', 'localhost:443', True),
                 ('http://localhost:8080', 'localhost:8080', False),
                 ('http://LocalHost', 'localhost', False)]
        for i, (origin, host, https) in enumerate(cases):
            with self.subTest(origin=origin, host=host):
                self.assertAcceptedRequest(phone='+1202555%04d' % (2000 + i), origin=origin,
                                           host=host, https=https)

    def test_same_host_referer_accepted(self):
        r, vid, code = self.assertAcceptedRequest(referer='http://localhost/cgi-bin/request.cgi')
        v = self.site.verify(code, vid=vid, referer='http://localhost/cgi-bin/request.cgi?x=1')
        self.assertStatus(v, 200, 'success')

    def test_neither_origin_nor_referer_accepted(self):
        r, vid, code = self.assertAcceptedRequest()
        self.assertIsNone(r.env.get('HTTP_ORIGIN'))
        self.assertIsNone(r.env.get('HTTP_REFERER'))
        self.assertStatus(self.site.verify(code, vid=vid), 200, 'success')

    def test_verify_same_origin_accepted(self):
        r, vid, code = self.start_flow(PHONE, origin='http://localhost')
        self.assertStatus(self.site.verify(code, vid=vid, origin='http://localhost'), 200,
                          'success')

    def test_get_not_origin_checked(self):
        r = self.site.get(REQUEST, origin='https://evil.example',
                          referer='https://evil.example/')
        self.assertStatus(r, 200, 'index')
        r = self.site.get(VERIFY, origin='null')
        self.assertStatus(r, 200)


class SiteOriginTest(AbuseCase):
    """With SITE_ORIGIN the POST's Origin (or Referer) must be that origin
    exactly; the Host header, which a DNS-rebinding page writes, is not read."""
    site_keys = {'RESEND_AFTER': 0, 'SITE_ORIGIN': 'https://otp.example.com'}

    def rebinding(self, site, prog=REQUEST, **kw):
        """A POST from a page on evil whose name now points at this server."""
        kw.setdefault('origin', 'http://evil')
        if prog == REQUEST:
            return site.request(PHONE, host='evil', **kw)
        return site.verify('1234', vid='0' * 32, host='evil', **kw)

    def test_dns_rebinding_refused_with_site_origin(self):
        before = len(self.fake.messages)
        r = self.rebinding(self.site)
        self.assertStatus(r, 403, 'error')
        self.assertEqual(len([e for e in audit_events(r.stderr)
                              if e['event'] == 'refused_origin']), 1, r.describe())
        self.assertStatus(self.rebinding(self.site, VERIFY), 403, 'error')
        self.assertStatus(self.rebinding(self.site, origin=None,
                                         referer='http://evil/form.html'), 403, 'error')
        self.assertEqual(self.wait_settled(before), before, 'a refused POST sent an SMS')
        self.assertEqual(send_rows(self.site), [])

    def test_dns_rebinding_passes_without_site_origin(self):
        # what the Host-based check lets through, and why SITE_ORIGIN exists
        site = self.make_site({'RESEND_AFTER': 0})
        self.start_flow(PHONE, site=site, host='evil', origin='http://evil')

    def test_real_origin_passes(self):
        for i, kw in enumerate(({'origin': 'https://otp.example.com'},
                                {'origin': 'https://OTP.example.com:443'},
                                {'referer': 'https://otp.example.com/cgi-bin/request.cgi'},
                                {})):
            with self.subTest(**kw):
                # Host is not read: the real one, or what a proxy passes on
                r, vid, code = self.start_flow('+1202555%04d' % (2100 + i), https=True,
                                               host='127.0.0.1:8443', **kw)
                self.assertStatus(self.site.verify(code, vid=vid, https=True, **kw), 200,
                                  'success')

    def test_other_origins_refused(self):
        for origin in ('http://otp.example.com', 'https://otp.example.com:8443',
                       'https://otp.example.com.evil.example', 'https://evil.example',
                       'https://otp.example.com@evil.example', 'null'):
            with self.subTest(origin=origin):
                # even with a Host that names the site
                r = self.site.request(PHONE, host='otp.example.com', https=True, origin=origin)
                self.assertStatus(r, 403, 'error')
        self.assertEqual(self.fake.messages, [])

    def test_get_not_origin_checked(self):
        r = self.site.get(REQUEST, host='evil', origin='http://evil')
        self.assertStatus(r, 200, 'index')


if __name__ == '__main__':
    unittest.main()
