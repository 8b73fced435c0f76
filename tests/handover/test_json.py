"""JSON mode (Accept: application/json): the whole flow, the fixed error
codes for every failure status, cookie and cookie-less clients."""

import json
import os
import time

from test_support import (HandoverCase, REQUEST, VERIFY, PHONE, JSON_HEADERS, read_assertion)

J = JSON_HEADERS


class JsonFlowTest(HandoverCase):

    def send(self, phone=PHONE, site=None, **kw):
        site = site or self.site
        r = site.request(phone, extra=J, **kw)
        body = self.assertJson(r, 200)
        return r, body

    def test_whole_flow(self):
        site = self.make_site({'MAX_ATTEMPTS': 4, 'TOKEN_TTL': 240})
        r = site.get(REQUEST, extra=J)
        self.assertJson(r, 200)
        r, body = self.send(site=site)
        self.assertEqual(body.get('status'), 'pending', body)
        vid = body.get('verification_id')
        self.assertRegex(vid or '', r'^[0-9a-f]{32}$')
        self.assertEqual(body.get('expires_in'), 240)
        self.assertEqual(r.cookie_vid, vid, 'a fetch() from the site gets the same cookie')
        code = self.fake.code_for(PHONE)
        wrong = '000000' if code != '000000' else '111111'
        for left in (3, 2, 1):
            r = site.verify(wrong, vid=vid, extra=J)
            body = self.assertJson(r, 422, 'wrong_code')
            self.assertEqual(body['error'].get('attempts_left'), left, body)
        # the state of the verification, in JSON
        r = site.get(VERIFY, cookie='otp_vid=' + vid, extra=J)
        body = self.assertJson(r, 200)
        self.assertEqual(body.get('status'), 'pending')
        self.assertEqual(body.get('verification_id'), vid)
        r = site.verify(code, vid=vid, extra=J)
        body = self.assertJson(r, 200)
        self.assertEqual(body.get('status'), 'approved', body)
        self.assertIn('assertion', body)
        self.assertEqual(read_assertion(body['assertion'])['vid'], vid)
        self.assertEqual(r.cookies().get('otp_vid', ('x',))[0], '', 'otp_vid not cleared')
        self.assertAccepted(body['assertion'], PHONE, site=site)
        # and now the code is used up
        r = site.verify(code, vid=vid, extra=J)
        self.assertJson(r, 410, 'code_dead')

    def test_cookie_only_client(self):
        # a fetch() from the site: same origin, the cookie, no verification_id field
        r, body = self.send(origin='http://localhost')
        vid = body['verification_id']
        code = self.fake.code_for(PHONE)
        r = self.site.verify(code, cookie_vid=vid, origin='http://localhost', extra=J)
        self.assertEqual(self.assertJson(r, 200).get('status'), 'approved')

    def test_client_without_cookies(self):
        r, body = self.send()
        vid = body['verification_id']
        r = self.site.verify(self.fake.code_for(PHONE), vid=vid, extra=J)
        body = self.assertJson(r, 200)
        self.assertEqual(body.get('status'), 'approved')
        self.assertAccepted(body['assertion'], PHONE)

    def test_return_to_in_json_mode_still_json(self):
        r, body = self.send(extra_fields={'return_to': '/account/done'})
        r = self.site.verify(self.fake.code_for(PHONE), vid=body['verification_id'], extra=J)
        body = self.assertJson(r, 200)
        self.assertEqual(body.get('status'), 'approved')
        self.assertIsNone(r.header('Location'))

    def test_no_assertion_without_signing_key(self):
        site = self.make_site({'SIGNING_KEY': None})
        r, body = self.send(site=site)
        r = site.verify(self.fake.code_for(PHONE), vid=body['verification_id'], extra=J)
        body = self.assertJson(r, 200)
        self.assertEqual(body.get('status'), 'approved')
        self.assertNotIn('assertion', body)

    def test_lock_out(self):
        site = self.make_site({'MAX_ATTEMPTS': 2})
        r, body = self.send(site=site)
        vid = body['verification_id']
        code = self.fake.code_for(PHONE)
        wrong = '000000' if code != '000000' else '111111'
        body = self.assertJson(site.verify(wrong, vid=vid, extra=J), 422, 'wrong_code')
        self.assertEqual(body['error']['attempts_left'], 1)
        self.assertJson(site.verify(wrong, vid=vid, extra=J), 410, 'locked')
        self.assertJson(site.verify(code, vid=vid, extra=J), 410, 'code_dead')


class JsonErrorTest(HandoverCase):
    """Every failure status answers JSON with a fixed error.code."""

    def test_400(self):
        s = self.site
        cases = [
            (REQUEST, 'phone=not-a-number', 'invalid_phone'),
            (REQUEST, 'phone=', 'missing_phone'),
            (REQUEST, 'phone=%zz', 'bad_request'),
            (REQUEST, 'phone=%2B12025550143&return_to=%2F%2Fevil.example', 'invalid_return_to'),
            (REQUEST, 'phone=%2B12025550143&phone_sig=' + '0' * 64, 'bad_signature'),
            (VERIFY, 'token=%zz', 'bad_request'),
            (VERIFY, 'token=ABCDEF', 'no_verification'),
            (VERIFY, 'verification_id=' + 'a' * 32, 'missing_token'),
        ]
        for prog, body, code in cases:
            with self.subTest(prog=prog.name, body=body):
                self.assertJson(s.post(prog, body, extra=J), 400, code)
        self.assertJson(s.get(REQUEST, query='return_to=//evil', extra=J), 400,
                        'invalid_return_to')
        self.assertEqual(self.fake.messages, [])

    def test_400_country(self):
        site = self.make_site({'ALLOWED_COUNTRY_CODES': '+44'})
        self.assertJson(site.request(PHONE, extra=J), 400, 'country_not_allowed')

    def test_403_405_413_415(self):
        for prog in (REQUEST, VERIFY):
            with self.subTest(prog=prog.name):
                s = self.site
                self.assertJson(s.post(prog, 'phone=%2B12025550143&token=ABCDEF',
                                       origin='https://evil.example', extra=J),
                                403, 'forbidden_origin')
                r = s.run(prog, 'DELETE', extra=J)
                self.assertJson(r, 405, 'method_not_allowed')
                self.assertEqual(r.header('Allow'), 'GET, POST')
                self.assertJson(s.post(prog, 'phone=' + '1' * 9000, extra=J), 413, 'too_large')
                self.assertJson(s.post(prog, '{"phone": "+12025550143"}',
                                       content_type='application/json', extra=J),
                                415, 'unsupported_media_type')
        self.assertEqual(self.fake.messages, [])

    def test_410(self):
        s = self.site
        self.assertJson(s.verify('ABCDEF', vid='b' * 32, extra=J), 410, 'code_dead')
        site = self.make_site({'TOKEN_TTL': 1})
        r = site.request(PHONE, extra=J)
        vid = self.assertJson(r, 200)['verification_id']
        code = self.fake.code_for(PHONE)
        time.sleep(2.1)
        self.assertJson(site.verify(code, vid=vid, extra=J), 410, 'code_dead')

    def test_429_send(self):
        site = self.make_site({'RESEND_AFTER': 60})
        self.assertJson(site.request(PHONE, extra=J), 200)
        r = site.request(PHONE, extra=J)
        body = self.assertJson(r, 429, 'rate_limited')
        self.assertGreater(int(r.header('Retry-After') or 0), 0, r.describe())
        self.assertEqual(body['error'].get('retry_after'), int(r.header('Retry-After')))

    def test_429_guesses(self):
        site = self.make_site({'PHONE_FAILURE_LIMIT': 1})
        vid = self.assertJson(site.request(PHONE, extra=J), 200)['verification_id']
        code = self.fake.code_for(PHONE)
        wrong = '000000' if code != '000000' else '111111'
        self.assertJson(site.verify(wrong, vid=vid, extra=J), 422, 'wrong_code')
        r = site.verify(wrong, vid=vid, extra=J)
        self.assertJson(r, 429, 'rate_limited')
        self.assertTrue(r.header('Retry-After'), r.describe())

    def test_500(self):
        for prog in (REQUEST, VERIFY):
            with self.subTest(prog=prog.name):
                site = self.make_site({'SIGNING_KEY': 'too-short'})
                self.assertJson(site.get(prog, extra=J), 500, 'misconfigured')
                r = site.run(prog, 'GET', config=str(site.dir / 'missing.conf'), extra=J)
                self.assertJson(r, 500, 'misconfigured')

    def test_502(self):
        self.fake.mode = 'status:500'
        r = self.site.request(PHONE, extra=J)
        self.assertJson(r, 502, 'provider_error')
        self.assertIsNone(r.cookie_vid)

    def test_503(self):
        site = self.make_site({'DB_PATH': os.path.join('/nonexistent-otp-dir', 'x', 'otp.db')})
        self.assertJson(site.request(PHONE, extra=J), 503, 'unavailable')
        self.assertJson(site.verify('ABCDEF', vid='c' * 32, extra=J), 503, 'unavailable')
        self.assertEqual(self.fake.messages, [])

    def test_same_errors_in_html(self):
        # HTML mode unchanged: the same failures are pages
        s = self.site
        for r, status in ((s.post(REQUEST, 'phone=not-a-number'), 400),
                          (s.verify('ABCDEF', vid='b' * 32), 410),
                          (s.run(VERIFY, 'DELETE'), 405),
                          (s.post(VERIFY, 'token=1', content_type='text/plain'), 415)):
            with self.subTest(status=status):
                self.assertStatus(r, status)
                self.assertHtml(r)
                self.assertIsNotNone(r.page, r.describe())
