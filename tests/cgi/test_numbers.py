"""Issue 10: numbers as the world writes them, through request.cgi.

libphonenumber parses what the visitor typed in the region of
DEFAULT_REGION (or of COUNTRY_CODE); a number that does not exist is 400
invalid_phone, a line type outside ALLOWED_LINE_TYPES is 400
line_type_not_allowed, and neither stores or sends anything.  The unit
test tests/unit/test_number.c has the table of 43 numbers and every
region's example numbers; this proves the same rules through the program."""

import json
import unittest

import harness
from harness import CGITestCase, REQUEST

JSON = {'HTTP_ACCEPT': 'application/json'}


class NumberCase(CGITestCase):
    def assertRefused(self, r, reason, message, site=None):
        site = site or self.site
        self.assertStatus(r, 400, 'index')
        self.assertIn(message, r.text)
        self.assertRegex(r.stderr, r'event=refused .*status=400 reason=%s\b' % reason)
        self.assertEqual(self.fake.messages, [])
        if site.store_made():
            self.assertEqual(site.sql('SELECT * FROM verification'), [])


class InvalidNumberTest(NumberCase):
    def test_number_that_does_not_exist(self):
        # Well formed, but no US area code starts with 0, and +44 7911 12345 is a digit short.
        for typed in ('+1 021 555 0143', '(021) 555-0143', '+44 7911 12345'):
            with self.subTest(typed=typed):
                r = self.site.request(typed)
                self.assertRefused(r, 'invalid_phone',
                                   'That number does not exist. Check it and try again.')

    def test_not_a_number_keeps_its_own_message(self):
        r = self.site.request('call me')
        self.assertRefused(r, 'invalid_phone', 'That does not look like a phone number.')

    def test_json_code(self):
        r = self.site.request('+1 021 555 0143', extra=JSON)
        self.assertEqual(r.status, 400)
        self.assertEqual(json.loads(r.body)['error']['code'], 'invalid_phone')


class LineTypeTest(NumberCase):
    def test_premium_rate_refused(self):
        r = self.site.request('+1 900 555 0100')
        self.assertRefused(r, 'line_type', 'We cannot send text messages to this kind of '
                           'number: use a mobile number.')
        self.assertIn('line_type=premium_rate', r.stderr)
        r = self.site.request('+1 900 555 0100', extra=JSON)
        self.assertEqual(r.status, 400)
        self.assertEqual(json.loads(r.body)['error']['code'], 'line_type_not_allowed')
        self.assertEqual(self.fake.messages, [])

    def test_toll_free_refused(self):
        r = self.site.request('+1 800 234 5678')
        self.assertRefused(r, 'line_type', 'this kind of number')
        self.assertIn('line_type=toll_free', r.stderr)

    def test_landline_refused_by_default_sent_when_allowed(self):
        keys = {'ALLOWED_COUNTRY_CODES': '+44'}
        site = self.make_site(keys)
        r = site.request('+44 20 7946 0958')
        self.assertRefused(r, 'line_type', 'this kind of number', site=site)
        self.assertIn('line_type=fixed_line', r.stderr)
        site = self.make_site(dict(keys, ALLOWED_LINE_TYPES='mobile,fixed_line'))
        self.start_flow('+44 20 7946 0958', expect_to='+442079460958', site=site)
        self.assertEqual(self.fake.messages[-1]['to'], '+442079460958')
        # ... and then a mobile is refused when only fixed lines are allowed.
        site = self.make_site(dict(keys, ALLOWED_LINE_TYPES='fixed_line'))
        r = site.request('+44 7911 123456')
        self.assertEqual(r.status, 400)
        self.assertIn('line_type=mobile', r.stderr)

    def test_bad_list_is_a_config_error(self):
        for value in ('mobiles', 'mobile,,landline', 'MOBILE', ''):
            with self.subTest(value=value):
                site = self.make_site({'ALLOWED_LINE_TYPES': value})
                r = site.request('+12025550143')
                self.assertStatus(r, 500, 'error')
                self.assertIn('ALLOWED_LINE_TYPES', r.stderr)
        self.assertEqual(self.fake.messages, [])

    def test_pumping_targets_allowed_are_warned_of(self):
        site = self.make_site({'ALLOWED_LINE_TYPES': 'mobile,fixed_line_or_mobile,premium_rate'})
        r = site.get(REQUEST)
        self.assertStatus(r, 200, 'index')
        self.assertRegex(r.stderr, r'WARNING: ALLOWED_LINE_TYPES .*premium_rate or shared_cost')
        r = site.request('+1 900 555 0100')
        self.assertStatus(r, 200, 'verify')
        self.assertEqual(self.fake.messages[-1]['to'], '+19005550100')
        r = self.site.get(REQUEST)
        self.assertNotIn('WARNING', r.stderr)


class RegionTest(NumberCase):
    def test_default_region_wins_over_country_code(self):
        # The tutorial's COUNTRY_CODE='+1' left as it is; DEFAULT_REGION names the region.
        site = self.make_site({'COUNTRY_CODE': '+1', 'DEFAULT_REGION': 'gb',
                               'ALLOWED_COUNTRY_CODES': '+44,+1', 'RESEND_AFTER': 0})
        self.start_flow('07911 123456', expect_to='+447911123456', site=site)
        self.assertIn('<strong id="masked-phone">07*** ***456</strong>',
                      site.responses[-1].text)
        # A number with its + is what it says, shown in international form.
        r, _, _ = self.start_flow('+1 202 555 0143', expect_to='+12025550143', site=site)
        self.assertIn('<strong id="masked-phone">+1 2**-***-*143</strong>', r.text)

    def test_verify_pages_show_it_the_same_way(self):
        # verify.cgi never loads libphonenumber: the form shows what request.cgi stored.
        site = self.make_site({'DEFAULT_REGION': 'GB', 'ALLOWED_COUNTRY_CODES': '+44'})
        r, vid, code = self.start_flow('07911 123456', expect_to='+447911123456', site=site)
        shown = '<strong id="masked-phone">07*** ***456</strong>'
        r = site.get(harness.VERIFY, cookie='otp_vid=' + vid)
        self.assertStatus(r, 200, 'verify')
        self.assertIn(shown, r.text)
        wrong = '0000' if code != '0000' else '1111'
        r = site.verify(wrong, vid=vid, cookie_vid=vid)
        self.assertStatus(r, 422, 'verify')
        self.assertIn(shown, r.text)
        self.assertNotIn('7911123456', r.text)

    def test_france_germany_italy(self):
        cases = [('+33', '06 12 34 56 78', '+33612345678'),
                 ('+49', '0151 23456789', '+4915123456789'),
                 ('+39', '312 345 6789', '+393123456789')]
        for cc, typed, e164 in cases:
            with self.subTest(cc=cc):
                site = self.make_site({'COUNTRY_CODE': cc})
                self.start_flow(typed, expect_to=e164, site=site)

    def test_international_prefixes(self):
        site = self.make_site({'COUNTRY_CODE': '+44', 'ALLOWED_COUNTRY_CODES': '+44',
                               'RESEND_AFTER': 0, 'PHONE_SEND_LIMIT': 10})
        self.start_flow('00 44 7911 123456', expect_to='+447911123456', site=site)
        site = self.make_site({'ALLOWED_COUNTRY_CODES': '+44'})
        self.start_flow('011 44 7911 123457', expect_to='+447911123457', site=site)

    def test_unknown_region_is_a_config_error(self):
        site = self.make_site({'DEFAULT_REGION': 'XX'})
        r = site.request('07911 123456')
        self.assertStatus(r, 500, 'error')
        self.assertIn('DEFAULT_REGION', r.stderr)
        for bad in ('GBR', 'G1', '+44'):
            with self.subTest(bad=bad):
                r = self.make_site({'DEFAULT_REGION': bad}).get(REQUEST)
                self.assertStatus(r, 500, 'error')
                self.assertIn('DEFAULT_REGION', r.stderr)
        self.assertEqual(self.fake.messages, [])

    def test_allow_list_by_calling_code_and_nanp_area(self):
        # +1876 is Jamaica, inside +1: an area prefix still works.
        site = self.make_site({'ALLOWED_COUNTRY_CODES': '+1876'})
        self.start_flow('+1 876 234 5678', expect_to='+18762345678', site=site)
        r = site.request('+1 202 555 0143')
        self.assertStatus(r, 400, 'index')
        self.assertRegex(r.stderr, r'reason=country\b')

    def test_allow_list_matches_calling_codes_not_prefixes(self):
        # '+35' begins +353's numbers, but is no calling code: Ireland is not allowed.
        site = self.make_site({'ALLOWED_COUNTRY_CODES': '+35,+44', 'COUNTRY_CODE': '+44'})
        r = site.request('+353 85 012 3456')
        self.assertStatus(r, 400, 'index')
        self.assertRegex(r.stderr, r'reason=country\b')
        self.start_flow('07911 123456', expect_to='+447911123456', site=site)

    def test_prefilled_number_is_parsed(self):
        site = self.make_site({'DEFAULT_REGION': 'GB', 'ALLOWED_COUNTRY_CODES': '+44'})
        r = site.get(REQUEST, query='phone=07911%20123456')
        self.assertStatus(r, 200, 'index')
        self.assertEqual([a.get('value') for a in r.inputs() if a.get('name') == 'phone'],
                         ['+447911123456'])
        r = site.get(REQUEST, query='phone=0791')
        self.assertStatus(r, 400, 'index')
        self.assertEqual(self.fake.messages, [])


if __name__ == '__main__':
    unittest.main()
