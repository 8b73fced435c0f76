"""Issue 4: with WEBOTP_DOMAIN set, the SMS ends with the origin-bound line
'@<domain> #<code>' (WebOTP / Safari), and the code still verifies."""

import unittest

from abuse_common import AbuseCase, PHONE, VERIFY


class WebOTPTest(AbuseCase):
    def check(self, site, text_first):
        r, vid, code = self.start_flow(PHONE, site=site)
        text = site.sent_texts(PHONE)[-1]
        lines = text.split('\n')
        self.assertEqual(lines[-1], '@example.com #%s' % code, repr(text))
        self.assertEqual(lines[-2], '', 'no blank line before the WebOTP line: %r' % text)
        self.assertEqual(lines[0], text_first % code, repr(text))
        self.assertEqual(len(lines), 3, repr(text))
        self.assertFalse(text.endswith('\n'))
        self.assertStatus(site.verify(code, vid=vid), 200, 'success')

    def test_telnyx(self):
        site = self.make_site({'WEBOTP_DOMAIN': 'example.com'})
        self.check(site, '%s is your verification code. Do not share it.')

    def test_outbox_and_own_text(self):
        site = self.make_site({'WEBOTP_DOMAIN': 'example.com',
                               'MESSAGE_TEXT': '{code} is your Example code'},
                              transport='outbox')
        self.check(site, '%s is your Example code')

    def test_site_origin_names_the_site_and_binds_the_code(self):
        # The default text names the site and warns; the WebOTP line comes
        # from SITE_ORIGIN's host when WEBOTP_DOMAIN is not set; one part.
        site = self.make_site({'SITE_ORIGIN': 'https://Example.COM'}, transport='outbox')
        self.check(site, '%s is your example.com verification code. Do not share it.')
        text = site.sent_texts(PHONE)[-1]
        self.assertLessEqual(len(text), 160, repr(text))

    def test_site_name_over_the_host(self):
        site = self.make_site({'SITE_ORIGIN': 'https://example.com', 'SITE_NAME': 'Acme Shop'},
                              transport='outbox')
        self.check(site, '%s is your Acme Shop verification code. Do not share it.')

    def test_an_address_origin_names_nothing(self):
        # Browsers bind codes to host names: an address gets no line, and
        # the text no name.
        site = self.make_site({'SITE_ORIGIN': 'http://127.0.0.1:8080'}, transport='outbox')
        r, vid, code = self.start_flow(PHONE, site=site)
        self.assertEqual(site.sent_texts(PHONE)[-1],
                         '%s is your verification code. Do not share it.' % code)

    def test_without_domain_no_line(self):
        r, vid, code = self.start_flow(PHONE)
        text = self.fake.messages[-1]['text']
        self.assertEqual(text, '%s is your verification code. Do not share it.' % code)
        self.assertNotIn('@', text)

    def test_invalid_domain_is_a_config_error(self):
        for bad in ('https://example.com', 'Example.com', 'example.com/x', 'exa mple.com', '@'):
            with self.subTest(domain=bad):
                site = self.make_site({'WEBOTP_DOMAIN': bad})
                r = site.request(PHONE)
                self.assertStatus(r, 500)
                self.assertIn('WEBOTP_DOMAIN', r.stderr)
                self.assertStatus(site.get(VERIFY), 500)
        self.assertEqual(self.fake.messages, [])


if __name__ == '__main__':
    unittest.main()
