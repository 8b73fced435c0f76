"""Issue 10, through request.cgi and verify.cgi: the message's parts, the
sender rules of Telnyx, Telnyx's error detail in the log, and a code whose
text came late still working after a new one was sent."""

import unittest

from harness import CGITestCase, REQUEST

PHONE = '+12025550161'


class PartsTest(CGITestCase):
    def test_more_than_ten_parts_is_a_config_error(self):
        # UCS-2 (the dash), and the WebOTP line of a long domain: 12 parts.
        domain = 'a' * 63 + '.' + 'b' * 63 + '.example.com'
        site = self.make_site({'MESSAGE_TEXT': '\u2014' + '0' * 600 + ' {code}',
                               'WEBOTP_DOMAIN': domain})
        for prog_get in (True, False):
            r = site.get(REQUEST) if prog_get else site.request(PHONE)
            self.assertStatus(r, 500, 'error')
            self.assertIn('MESSAGE_TEXT', r.stderr)
            self.assertIn('Telnyx sends at most 10', r.stderr)
        self.assertEqual(self.fake.messages, [])

    def test_two_parts_is_a_warning_and_sent(self):
        # 151 characters, a space and a code of 9: 161, two parts.
        site = self.make_site({'MESSAGE_TEXT': 'x' * 151 + ' {code}', 'TOKEN_LENGTH': 9})
        r = site.request(PHONE)
        self.assertStatus(r, 200, 'verify')
        self.assertIn('warning: MESSAGE_TEXT is 2 parts with its codes (161 GSM-7 characters',
                      r.stderr)
        self.assertEqual(len(self.fake.messages[-1]['text']), 161)
        # One character less: one part, no warning.
        site = self.make_site({'MESSAGE_TEXT': 'x' * 150 + ' {code}', 'TOKEN_LENGTH': 9})
        r = site.request('+12025550162')
        self.assertStatus(r, 200, 'verify')
        self.assertNotIn('MESSAGE_TEXT', r.stderr)


class SenderTest(CGITestCase):
    def test_alphanumeric_sender_needs_a_profile(self):
        site = self.make_site({'FROM_NUMBER': 'Acme', 'ALLOWED_COUNTRY_CODES': '+44'})
        r = site.request('+44 7911 123456')
        self.assertStatus(r, 500, 'error')
        self.assertIn('missing MESSAGING_PROFILE_ID', r.stderr)
        self.assertEqual(self.fake.messages, [])
        site = self.make_site({'FROM_NUMBER': 'Acme', 'ALLOWED_COUNTRY_CODES': '+44',
                               'MESSAGING_PROFILE_ID': 'p-1'})
        self.start_flow('+44 7911 123456', expect_to='+447911123456', site=site)
        self.assertNotIn('US and Canada', site.responses[-1].stderr)
        self.assertEqual(self.fake.messages[-1]['from'], 'Acme')

    def test_alphanumeric_sender_with_us_allowed_is_warned_of(self):
        site = self.make_site({'FROM_NUMBER': 'Acme', 'MESSAGING_PROFILE_ID': 'p-1'})
        r = site.get(REQUEST)
        self.assertStatus(r, 200, 'index')
        self.assertIn('cannot reach numbers in the US and Canada', r.stderr)


class ProviderDetailTest(CGITestCase):
    fake_mode = 'status:401'

    def test_detail_logged_never_shown(self):
        r = self.site.request(PHONE)
        self.assertStatus(r, 502, 'error')
        self.assertIn('The%20API%20key%20looks%20malformed', r.stderr)
        self.assertNotIn('malformed', r.text)
        self.assertNotIn('Authentication', r.text)


class LateCodeTest(CGITestCase):
    site_keys = {'RESEND_AFTER': 0}

    def test_first_code_still_works_after_a_second(self):
        r, vid, first = self.start_flow(PHONE)
        r2 = self.site.request(PHONE, vid=vid)
        self.assertStatus(r2, 200, 'verify')
        self.assertEqual(r2.vid, vid, 'a new code for the same verification')
        second = self.fake.code_for(PHONE)
        self.assertNotEqual(first, second)
        # The first text arrived late: its code verifies, and uses the second up.
        r = self.site.verify(first, vid=vid, cookie_vid=vid)
        self.assertStatus(r, 200, 'success')
        r = self.site.verify(second, vid=vid, cookie_vid=vid)
        self.assertStatus(r, 410, 'error')

    def test_third_code_drops_the_first(self):
        r, vid, first = self.start_flow(PHONE)
        for _ in range(2):
            self.assertStatus(self.site.request(PHONE, vid=vid), 200, 'verify')
        third = self.fake.code_for(PHONE)
        r = self.site.verify(first, vid=vid, cookie_vid=vid)
        self.assertStatus(r, 422, 'verify')
        r = self.site.verify(third, vid=vid, cookie_vid=vid)
        self.assertStatus(r, 200, 'success')


if __name__ == '__main__':
    unittest.main()
