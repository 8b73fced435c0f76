"""The whole flow, the pages, the cookie, the Telnyx request, the transports."""

import json
import re
import unittest

import harness
from harness import CGITestCase, REQUEST, VERIFY, API_KEY, FROM_NUMBER

PHONE_US = '+12025550143'


class WholeFlowTest(CGITestCase):
    """The tutorial's config.cfg verbatim plus the test's keys."""

    def test_tutorial_flow_request_then_verify(self):
        r = self.site.get(REQUEST)
        self.assertStatus(r, 200, 'index')
        self.assertHtml(r)
        # the form posts a 'phone' field to request.cgi
        self.assertTrue(any(a.get('name') == 'phone' for a in r.inputs()), r.describe())
        self.assertTrue(any(f.endswith('request.cgi') for f in r.forms()), r.describe())

        r, vid, code = self.start_flow('(202) 555-0143', expect_to=PHONE_US)
        self.assertHtml(r)
        self.assertRegex(code, r'^[0-9A-F]{4}$', 'TOKEN_LENGTH=4, hex upper case')
        m = self.fake.messages[-1]
        self.assertEqual(m['text'], '%s is your verification code. Do not share it.' % code)
        self.assertEqual(m['from'], FROM_NUMBER)
        self.assertTrue(any(a.get('name') == 'token' for a in r.inputs()), r.describe())
        self.assertTrue(any(f.endswith('verify.cgi') for f in r.forms()), r.describe())

        r2 = self.site.verify(code, vid=vid, cookie_vid=vid)
        self.assertStatus(r2, 200, 'success')
        self.assertHtml(r2)
        self.assertNotIn(code, r2.text)
        self.assertEqual(len(self.fake.messages), 1)

    def test_code_input_autofill_hints(self):
        # reference/telnyx-messages-api.md, 'Browser autofill'
        r, vid, code = self.start_flow(PHONE_US)
        tok = [a for a in r.inputs() if a.get('name') == 'token']
        self.assertEqual(len(tok), 1, r.describe())
        self.assertEqual(tok[0].get('autocomplete'), 'one-time-code', tok)
        site = self.make_site({'TOKEN_ALPHABET': 'digits'})
        r = site.request(PHONE_US, remote_addr='10.15.0.1', extra_fields=None)
        self.assertStatus(r, 200, 'verify')
        tok = [a for a in r.inputs() if a.get('name') == 'token']
        self.assertEqual(tok[0].get('inputmode'), 'numeric', tok)

    def test_verification_id_in_cookie_and_hidden_field_agree(self):
        r, vid, code = self.start_flow(PHONE_US)
        cookie = r.cookie_vid
        self.assertRegex(cookie or '', r'^[0-9a-f]{32}$', r.describe())
        self.assertEqual(r.hidden_vid, cookie, 'hidden verification_id differs from the cookie')

    def test_cookie_attributes(self):
        r = self.site.request(PHONE_US)
        self.assertStatus(r, 200, 'verify')
        sc = [v for v in r.header_all('Set-Cookie') if v.startswith('otp_vid=')]
        self.assertEqual(len(sc), 1, r.describe())
        value, attrs = r.cookies()['otp_vid']
        self.assertRegex(value, r'^[0-9a-f]{32}$')
        self.assertEqual(attrs.get('path'), '/cgi-bin/', sc)
        self.assertIs(attrs.get('httponly'), True, sc)
        self.assertEqual(str(attrs.get('samesite')).lower(), 'strict', sc)
        self.assertNotIn('secure', attrs, 'Secure without HTTPS: %s' % sc)
        self.assertNotIn('domain', attrs, sc)

    def test_cookie_secure_under_https_and_path_from_script_name(self):
        r = self.site.request(PHONE_US, https=True, script_name='/app/otp/request.cgi')
        self.assertStatus(r, 200, 'verify')
        value, attrs = r.cookies()['otp_vid']
        self.assertIs(attrs.get('secure'), True, r.header_all('Set-Cookie'))
        self.assertEqual(attrs.get('path'), '/app/otp/', r.header_all('Set-Cookie'))

    def test_no_secure_when_https_off(self):
        # IIS and some others set HTTPS=off for plain http
        r = self.site.request(PHONE_US, extra={'HTTPS': 'off'})
        self.assertStatus(r, 200, 'verify')
        self.assertNotIn('secure', r.cookies()['otp_vid'][1], r.header_all('Set-Cookie'))

    def test_ids_are_random(self):
        ids = set()
        for i in range(5):
            r = self.site.request('+1202555%04d' % (100 + i), remote_addr='10.1.0.%d' % (i + 1))
            self.assertStatus(r, 200, 'verify')
            ids.add(r.cookie_vid)
        self.assertEqual(len(ids), 5, ids)

    def test_verify_with_hidden_field_only(self):
        r, vid, code = self.start_flow(PHONE_US)
        r2 = self.site.verify(code, vid=vid)
        self.assertStatus(r2, 200, 'success')

    def test_verify_with_cookie_only(self):
        r, vid, code = self.start_flow(PHONE_US)
        r2 = self.site.verify(code, cookie_vid=vid)
        self.assertStatus(r2, 200, 'success')

    def test_bad_first_cookie_does_not_hide_the_real_one(self):
        # a stale or planted otp_vid (another path's, a sibling domain's) sent first
        r, vid, code = self.start_flow(PHONE_US)
        for junk in ('junk', '', '0' * 31, vid.upper()):
            with self.subTest(junk=junk):
                g = self.site.get(VERIFY, cookie='otp_vid=%s; otp_vid=%s' % (junk, vid))
                self.assertStatus(g, 200, 'verify')
                self.assertEqual(g.hidden_vid, vid, g.describe())
        r2 = self.site.verify(code, cookie='a=1; otp_vid=junk; otp_vid=' + vid)
        self.assertStatus(r2, 200, 'success')

    def test_hex_code_is_case_insensitive(self):
        r, vid, code = self.start_flow(PHONE_US)
        self.assertRegex(code, r'^[0-9A-F]{4}$')
        for i in range(20):  # all digits: ask again (another number) until it has a letter
            if code.lower() != code:
                break
            r, vid, code = self.start_flow('+1202555%04d' % (800 + i),
                                           remote_addr='10.13.0.%d' % (i + 1))
        r2 = self.site.verify(code.lower(), vid=vid)
        self.assertStatus(r2, 200, 'success')

    def test_get_request_ignores_query(self):
        r = self.site.get(REQUEST, query='phone=%2B12025550143')
        self.assertStatus(r, 200, 'index')
        self.assertEqual(self.fake.messages, [], 'GET must not send anything')

    def test_get_verify_with_cookie_shows_form(self):
        r, vid, code = self.start_flow(PHONE_US)
        g = self.site.get(VERIFY, cookie='otp_vid=' + vid)
        self.assertStatus(g, 200, 'verify')
        self.assertEqual(g.hidden_vid, vid, g.describe())
        self.assertTrue(any(a.get('name') == 'token' for a in g.inputs()), g.describe())
        self.assertNotIn(PHONE_US, g.text)
        # and the code still works afterwards
        self.assertStatus(self.site.verify(code, vid=vid), 200, 'success')

    def test_get_verify_without_cookie_links_back(self):
        g = self.site.get(VERIFY)
        self.assertSane(g)
        self.assertLess(g.status, 500, g.describe())
        self.assertTrue(any('request.cgi' in h for h in g.links() + g.forms()),
                        'no link back to request.cgi' + g.describe())

    def test_get_verify_with_unknown_cookie_links_back(self):
        g = self.site.get(VERIFY, cookie='otp_vid=' + '0' * 32)
        self.assertSane(g)
        self.assertLess(g.status, 500, g.describe())
        self.assertTrue(any('request.cgi' in h for h in g.links() + g.forms()), g.describe())


class NormalisationTest(CGITestCase):
    def check_to(self, typed, want):
        r, vid, code = self.start_flow(typed, expect_to=want)
        self.assertEqual(self.fake.messages[-1]['to'], want)
        return r

    def test_us_number_with_punctuation_gets_country_code(self):
        r = self.check_to('(202) 555-0143', PHONE_US)
        for shown in (PHONE_US, '2025550143', '(202) 555-0143', '555-0143', '5550143'):
            self.assertNotIn(shown, r.text, 'full number shown in the page')

    def test_dots_and_dashes(self):
        self.check_to('202.555.0143', PHONE_US)
        self.check_to('202-555-0199', '+12025550199')

    def test_other_country_refused_by_default(self):
        # ALLOWED_COUNTRY_CODES defaults to COUNTRY_CODE
        r = self.site.request('+44 7911 123456')
        self.assertStatus(r, 400, 'index')
        self.assertEqual(self.fake.messages, [])

    def test_plus_keeps_its_country_code(self):
        self.site = self.make_site({'ALLOWED_COUNTRY_CODES': '+1,+44'})
        r = self.check_to('+44 7911 123456', '+447911123456')
        # A number from abroad in international form, the middle starred.
        self.assertIn('<strong id="masked-phone">+44 7*** ***456</strong>', r.text)
        self.assertNotIn('+447911123456', r.text)
        self.assertNotIn('7911123456', r.text)
        self.assertNotIn('7911 123456', r.text)

    def test_page_shows_masked_number(self):
        # As the visitor writes it at home (national form), the middle starred.
        r = self.check_to('(202) 555-0143', PHONE_US)
        self.assertIn('<strong id="masked-phone">(20*) ***-*143</strong>', r.text)

    def test_other_country_code(self):
        # Issue 10: the trunk prefix 0 goes, as libphonenumber knows it does for +44.
        site = self.make_site({'COUNTRY_CODE': '+44', 'RESEND_AFTER': 0})
        r = site.request('07911 123456')
        self.assertStatus(r, 200, 'verify')
        self.assertEqual(self.fake.messages[-1]['to'], '+447911123456')
        self.assertIn('<strong id="masked-phone">07*** ***456</strong>', r.text)
        # Typed without the 0, the same number.
        r = site.request('7911 123457')
        self.assertStatus(r, 200, 'verify')
        self.assertEqual(self.fake.messages[-1]['to'], '+447911123457')


class TelnyxRequestShapeTest(CGITestCase):
    def test_request_shape(self):
        r, vid, code = self.start_flow(PHONE_US)
        self.assertEqual(len(self.fake.messages), 1)
        m = self.fake.messages[0]
        self.assertEqual(m['path'], '/v2/messages')
        self.assertEqual(m['authorization'], 'Bearer ' + API_KEY)
        self.assertTrue((m['content_type'] or '').lower().startswith('application/json'),
                        m['content_type'])
        body = json.loads(m['raw'])
        self.assertIsInstance(body, dict)
        self.assertEqual(set(body), {'from', 'to', 'text'},
                         'messaging_profile_id must be left out when not set: %r' % body)
        self.assertEqual(body['to'], PHONE_US, 'to is one string, not a list')
        self.assertEqual(body['from'], FROM_NUMBER)
        self.assertEqual(body['text'], code + ' is your verification code. Do not share it.')

    def test_messaging_profile_id_sent_when_set(self):
        site = self.make_site({'MESSAGING_PROFILE_ID': '4001767e-ce0f-4cae-9d5f-0d5e636e7809'})
        r, vid, code = self.start_flow(PHONE_US, site=site)
        body = json.loads(self.fake.messages[-1]['raw'])
        self.assertEqual(body.get('messaging_profile_id'), '4001767e-ce0f-4cae-9d5f-0d5e636e7809')
        self.assertEqual(set(body), {'from', 'to', 'text', 'messaging_profile_id'})

    def test_message_text_template(self):
        site = self.make_site({'MESSAGE_TEXT': 'Example.com code: {code}. Do not share it.'})
        r, vid, code = self.start_flow(PHONE_US, site=site)
        self.assertEqual(self.fake.messages[-1]['text'],
                         'Example.com code: %s. Do not share it.' % code)
        self.assertStatus(site.verify(code, vid=vid), 200, 'success')

    def test_every_code_placeholder_replaced(self):
        # DESIGN: 'the SMS text; {code} is replaced': no literal '{code}' may reach a phone
        site = self.make_site({'MESSAGE_TEXT': 'Code {code}. Again: {code}'})
        r = site.request(PHONE_US)
        self.assertStatus(r, 200)
        code = self.fake.code_for(PHONE_US)
        self.assertEqual(self.fake.messages[-1]['text'], 'Code %s. Again: %s' % (code, code))

    def test_json_escaping_of_text(self):
        site = self.make_site({'MESSAGE_TEXT': 'He said "hi" \\ {code}'})
        r = site.request(PHONE_US)
        self.assertStatus(r, 200)
        body = json.loads(self.fake.messages[-1]['raw'])  # must be valid JSON
        self.assertTrue(body['text'].startswith('He said "hi" \\ '), body)

    def test_webotp_line(self):
        site = self.make_site({'WEBOTP_DOMAIN': 'example.com'})
        r, vid, code = self.start_flow(PHONE_US, site=site)
        text = self.fake.messages[-1]['text']
        lines = text.split('\n')
        self.assertEqual(lines[-1], '@example.com #' + code, repr(text))
        self.assertIn(code + ' is your verification code. Do not share it.', text)
        self.assertStatus(site.verify(code, vid=vid), 200, 'success')

    def test_default_token_length_is_6(self):
        site = self.make_site({'TOKEN_LENGTH': None})
        r, vid, code = self.start_flow(PHONE_US, site=site)
        self.assertRegex(code, r'^[0-9A-F]{6}$')
        self.assertStatus(site.verify(code, vid=vid), 200, 'success')

    def test_digits_alphabet(self):
        site = self.make_site({'TOKEN_ALPHABET': 'digits', 'TOKEN_LENGTH': 8})
        r, vid, code = self.start_flow(PHONE_US, site=site)
        self.assertRegex(self.fake.messages[-1]['text'], r'^[0-9]{8} is your verification code\. Do not share it\.$')
        self.assertStatus(site.verify(code, vid=vid), 200, 'success')

    def test_token_length_10_hex(self):
        site = self.make_site({'TOKEN_LENGTH': 10})
        r, vid, code = self.start_flow(PHONE_US, site=site)
        self.assertRegex(self.fake.messages[-1]['text'], r'^[0-9A-F]{10} is your verification code\. Do not share it\.$')
        self.assertStatus(site.verify(code, vid=vid), 200, 'success')

    def test_codes_vary(self):
        codes = set()
        for i in range(8):
            r, vid, code = self.start_flow('+1202555%04d' % (200 + i),
                                           remote_addr='10.2.0.%d' % (i + 1))
            codes.add(code)
        self.assertGreaterEqual(len(codes), 6, codes)


class ConfigSyntaxTest(CGITestCase):
    def test_quotes_comments_blank_lines(self):
        raw = ("# a comment\n\nAPI_KEY=\"%s\"\nFROM_NUMBER='%s'\n   \n# DEBUG=nonsense\n"
               "DEBUG=False\nCOUNTRY_CODE=\"+1\"\nTOKEN_LENGTH=5\nSMS_TRANSPORT=telnyx\n"
               "API_BASE_URL='%s'\nDB_PATH=\"%s\"\nTEMPLATE_DIR='%s'\n"
               % (API_KEY, FROM_NUMBER, self.fake.url, self.site.db_path, harness.TEMPLATE_DIR))
        if harness.PG:  # the store, in double quotes
            raw += 'DATABASE_URL="%s"\n' % self.site.database_url
        site = self.make_site(raw_config=raw)
        site.use_store_of(self.site)
        site.transport = 'telnyx'
        r, vid, code = self.start_flow('2025550143', expect_to=PHONE_US, site=site)
        self.assertRegex(code, r'^[0-9A-F]{5}$')
        self.assertEqual(self.fake.messages[-1]['authorization'], 'Bearer ' + API_KEY)

    def test_python_syntax_variants(self):
        # the tutorial's file is Python: spaces around '=', trailing comments, '#' inside
        # quotes, a later assignment overriding an earlier one
        raw = ("API_KEY = 'KEY#not-a-comment'\nFROM_NUMBER='%s'  # the sender\n"
               "TOKEN_LENGTH=4\nTOKEN_LENGTH = 7   # seven\nSMS_TRANSPORT=telnyx\n"
               "API_BASE_URL='%s'\nDB_PATH='%s'\nTEMPLATE_DIR='%s'\nDEBUG = True\n"
               % (FROM_NUMBER, self.fake.url, self.site.db_path, harness.TEMPLATE_DIR))
        if harness.PG:  # the store, with a comment after it
            raw += "DATABASE_URL = '%s'  # the store\n" % self.site.database_url
        site = self.make_site(raw_config=raw)
        r, vid, code = self.start_flow(PHONE_US, site=site)
        m = self.fake.messages[-1]
        self.assertEqual(m['authorization'], 'Bearer KEY#not-a-comment')
        self.assertEqual(m['from'], FROM_NUMBER)
        self.assertRegex(code, r'^[0-9A-F]{7}$')

    def test_unknown_key_is_only_a_warning(self):
        site = self.make_site({'SOME_FUTURE_KEY': 'x'})
        r = site.request(PHONE_US)
        self.assertStatus(r, 200, 'verify')
        self.assertIn('SOME_FUTURE_KEY', r.stderr, 'unknown key not logged')


class OutboxTest(CGITestCase):
    transport = 'outbox'
    site_keys = {'API_KEY': None, 'SECRET_KEY': 'outbox-secret-0123456789abcdef'}

    def test_outbox_flow(self):
        r = self.site.request('(202) 555-0143')
        self.assertStatus(r, 200, 'verify')
        lines = self.site.outbox_path.read_text().splitlines()
        self.assertEqual(len(lines), 1, lines)
        msg = json.loads(lines[0])
        self.assertEqual(set(msg), {'to', 'from', 'text'}, msg)
        self.assertEqual(msg['to'], PHONE_US)
        self.assertEqual(msg['from'], FROM_NUMBER)
        m = re.match(r'^([0-9A-F]{4}) is your verification code\. Do not share it\.$', msg['text'])
        self.assertTrue(m, msg)
        self.assertEqual(self.fake.messages, [], 'outbox must not call Telnyx')
        r2 = self.site.verify(m.group(1), vid=r.vid)
        self.assertStatus(r2, 200, 'success')

    def test_outbox_appends(self):
        for i in range(3):
            r = self.site.request('+1202555%04d' % (300 + i), remote_addr='10.3.0.%d' % (i + 1))
            self.assertStatus(r, 200, 'verify')
        out = self.site.outbox()
        self.assertEqual([m['to'] for m in out], ['+1202555%04d' % (300 + i) for i in range(3)])


if __name__ == '__main__':
    unittest.main()
