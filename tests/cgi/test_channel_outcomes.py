"""The seam of issue 25: request.cgi sends through a row of the channel
table (lib/channel.c) and reads only the outcome it answers.  Each answer
of the fake Telnyx, through the real program, ends as the outcome's row of
core_sends[] says: the status and error code of the answer, the audit
event, the code dead, and whether the text still counts as sent (a send
the provider refused is kept as 'refused': nothing sent, nothing billed; a
send that may have gone out still counts).  The message is recorded for
webhooks through Telnyx, not through the outbox."""

import json
import unittest

from harness import CGITestCase

JSON = {'HTTP_ACCEPT': 'application/json'}

# fake mode: (HTTP status, JSON error code, audit event, send row kept as)
ANSWERS = {
    'ok': (200, None, 'sent', 'sms'),
    # refused by Telnyx, an HTTP error: nothing sent, nothing billed
    'status:401': (502, 'provider_error', 'provider_error', 'refused'),
    'status:422': (502, 'provider_error', 'provider_error', 'refused'),
    'status:500': (502, 'provider_error', 'provider_error', 'refused'),
    'status:409': (409, 'opted_out', 'opted_out', 'refused'),
    'spend_limit': (429, 'rate_limited', 'limited', 'refused'),
    # may have been sent: it counts
    'nodata': (502, 'provider_error', 'provider_error', 'sms'),
    'emptyid': (502, 'provider_error', 'provider_error', 'sms'),
    'notjson': (502, 'provider_error', 'provider_error', 'sms'),
    'redirect:http://127.0.0.1:9/v2/messages': (502, 'provider_error', 'provider_error', 'sms'),
}


class ChannelOutcomeTest(CGITestCase):

    def test_each_answer_its_outcome(self):
        for i, (mode, (status, code, event, kept)) in enumerate(sorted(ANSWERS.items())):
            phone = '+1202555%04d' % (1500 + i)
            with self.subTest(mode=mode):
                self.fake.mode = mode
                r = self.site.request(phone, extra=JSON, remote_addr='10.80.%d.1' % i)
                self.assertEqual(r.status, status, r.describe())
                body = json.loads(r.body)
                if code is None:
                    self.assertNotIn('error', body)
                else:
                    self.assertEqual(body['error']['code'], code, r.describe())
                self.assertIn('event=%s ' % event, r.stderr)
                self.assertEqual([c for c, in self.site.sql(
                    'SELECT channel FROM send WHERE phone = ?', (phone,))], [kept])
                (vstatus,), = self.site.sql('SELECT status FROM verification WHERE phone = ?',
                                            (phone,))
                self.assertEqual(vstatus, 'pending' if status == 200 else 'failed')
                # Telnyx reports on what it took: the message is kept for its webhooks.
                self.assertEqual(len(self.site.sql('SELECT id FROM message WHERE phone = ?',
                                                   (phone,))), 1 if status == 200 else 0)
                if status != 200:
                    # The provider's words reach the log, in the fields they always had.
                    self.assertRegex(r.stderr, r'http_status=\d+ error_code=\S+ reason=')

    def test_spend_limit_names_the_provider(self):
        self.fake.mode = 'spend_limit'
        r = self.site.request('+12025551600', extra=JSON)
        self.assertEqual(r.status, 429, r.describe())
        self.assertIn("WARNING: Telnyx's spend limit of the messaging profile reached (40333): "
                      "no codes are sent to anyone until the day ends", r.stderr)
        self.assertIn('error_code=40333', r.stderr)


class OutboxChannelTest(CGITestCase):
    transport = 'outbox'

    def test_outbox_keeps_no_message(self):
        phone = '+12025551700'
        self.start_flow(phone)
        # Nobody reports on a line in a file: no message row for webhooks.
        self.assertEqual(self.site.sql('SELECT id FROM message'), [])
        self.assertEqual([c for c, in self.site.sql(
            'SELECT channel FROM send WHERE phone = ?', (phone,))], ['sms'])
        self.assertEqual(self.fake.messages, [])


if __name__ == '__main__':
    unittest.main()
