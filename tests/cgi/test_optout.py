"""Issue 11: a number that texted STOP.  Telnyx refuses the send with HTTP
409 and error 40300; that is not a provider failure but its own answer:
409 opted_out, a page that says to text START to the sending number, the
audit event opted_out, no code left usable, and no retry of the send."""

import json
import unittest

from harness import CGITestCase, FROM_NUMBER

PHONE = '+12025550181'


class OptOutTest(CGITestCase):
    fake_mode = 'status:409'

    def test_opted_out_page(self):
        r = self.site.request(PHONE)
        self.assertStatus(r, 409, 'error')
        self.assertIn('replied STOP', r.text)
        self.assertIn('Text START to %s from it, then try again.' % FROM_NUMBER, r.text)
        self.assertNotIn('provider', r.text.lower())
        self.assertRegex(r.stderr, r'event=opted_out phone=\+12\*+81 ')
        self.assertNotIn('event=provider_error', r.stderr)
        # Sent once, not tried again: the number will not opt back in by itself.
        self.assertEqual(len(self.fake.messages), 1)
        # No verification handed out, and the one stored is dead: the code in
        # the refused text is no use.
        self.assertIsNone(r.vid)
        (vid, status), = self.site.sql('SELECT id, status FROM verification')
        self.assertEqual(status, 'failed')
        self.assertStatus(self.site.verify(self.fake.code_for(PHONE), vid=vid, cookie_vid=vid),
                          410)

    def test_json(self):
        r = self.site.request(PHONE, extra={'HTTP_ACCEPT': 'application/json'})
        self.assertEqual(r.status, 409)
        self.assertEqual(json.loads(r.body)['error']['code'], 'opted_out')


if __name__ == '__main__':
    unittest.main()
