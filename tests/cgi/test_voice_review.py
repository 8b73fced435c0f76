"""Issue 25, the security review of the calls request.cgi places: each
finding a test that failed on the code before its fix.

- One network's calls to a number do not use up the number's calls of
  the day (VOICE_PHONE_LIMIT) for everyone else: a fixed line, which
  takes no text, would have no way left for a day.
- The texted code stays good until it expires however many calls that
  were not answered came after it: a second call had dropped it, and
  typed it counted as a wrong try.
- A call Telnyx refused is no call ringing: the code page said "ringing"
  for ever, and offered no call again."""

import json
import unittest

from harness import VERIFY, CGITestCase, WebhookGateway

PHONE = '+12025550143'
JSON = {'HTTP_ACCEPT': 'application/json'}


class VoiceSite(CGITestCase):
    """A site that texts and calls; the fake takes calls and plays no
    events unless a test asks for them."""

    def setUp(self):
        super().setUp()
        self.fake.enable_webhooks()
        self.fake.auto_receipts = False
        self.gateway = WebhookGateway(self.site)
        self.addCleanup(self.gateway.stop)
        self.site.configure({'TELNYX_PUBLIC_KEY': self.fake.public_key,
                             'WEBHOOK_URL': self.gateway.url,
                             'CHANNELS': 'sms,voice',
                             'VOICE_CONNECTION_ID': '1494404757140276705',
                             'TOKEN_ALPHABET': 'digits', 'TOKEN_LENGTH': '6'})

    def call(self, client, vid=None, phone=PHONE):
        return self.site.request(phone, vid=vid, extra_fields={'channel': 'voice'},
                                 remote_addr=client, extra=JSON)

    def assertApproved(self, r):
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(json.loads(r.body)['status'], 'approved', r.describe())

    def resend(self, vid, channel, client='10.83.0.1'):
        return self.site.request(None, remote_addr=client, extra=JSON,
                                 extra_fields={'resend': '1', 'verification_id': vid,
                                               'channel': channel})

    def placed(self):
        return [c for c in self.fake.calls if c['path'] == '/v2/calls']


class OneNetworkLockout(VoiceSite):
    def test_one_network_cannot_use_up_a_numbers_calls(self):
        # An attacker's network asks for calls to the victim's number, as
        # many as its limits let it (the cooldown waited out each time).
        answers = []
        for _ in range(3):
            answers.append(self.call('10.80.0.1'))
            self.site.age_sends(60)
        # The number's owner, on a network of its own, is still called.
        r = self.call('10.81.0.1')
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(json.loads(r.body)['channel'], 'voice')
        # The attacker's network had fewer than the number's calls of the
        # day, and the texts are still offered to it.
        r = answers[-1]
        self.assertEqual(r.status, 429, r.describe())
        self.assertEqual(json.loads(r.body)['error']['kind'], 'phone')
        self.assertEqual(json.loads(r.body)['error']['alternatives'], ['sms'])
        # Several networks still reach the cap per number.
        self.site.age_sends(60)
        r = self.call('10.82.0.1')
        self.assertEqual(r.status, 429, r.describe())
        self.assertIn('VOICE_PHONE_LIMIT', r.stderr)
        self.assertLessEqual(len(self.placed()), 3)


class TextedCodeKept(VoiceSite):
    def test_the_texted_code_outlives_calls_not_answered(self):
        r = self.site.request(PHONE, remote_addr='10.83.0.1', extra=JSON)
        self.assertEqual(r.status, 200, r.describe())
        vid = json.loads(r.body)['verification_id']
        code = self.fake.code_for(PHONE)
        # "Call me instead", twice: no call is answered, none speaks a code.
        for _ in range(2):
            r = self.resend(vid, 'voice')
            self.assertEqual(r.status, 200, r.describe())
            self.assertEqual(json.loads(r.body)['verification_id'], vid)
            self.site.age_sends(60)
        self.assertEqual(len(self.placed()), 2)
        r = self.site.verify(code, vid=vid, remote_addr='10.83.0.1', extra=JSON)
        self.assertApproved(r)

    def test_and_a_text_after_them(self):
        r = self.site.request(PHONE, remote_addr='10.84.0.1', extra=JSON)
        vid = json.loads(r.body)['verification_id']
        first = self.fake.code_for(PHONE)
        self.assertEqual(self.resend(vid, 'voice', '10.84.0.1').status, 200)
        self.site.age_sends(60)
        # "Text me a code instead": the first text's code is the one
        # before it still (the call's verification held none of its own).
        r = self.resend(vid, 'sms', '10.84.0.1')
        self.assertEqual(r.status, 200, r.describe())
        self.assertNotEqual(self.fake.code_for(PHONE), first)
        r = self.site.verify(first, vid=vid, remote_addr='10.84.0.1', extra=JSON)
        self.assertApproved(r)


class RefusedCall(VoiceSite):
    def test_a_refused_call_is_not_said_to_ring(self):
        r = self.site.request(PHONE, remote_addr='10.85.0.1', extra=JSON)
        vid = json.loads(r.body)['verification_id']
        self.fake.call_mode = 'status:422'
        r = self.resend(vid, 'voice', '10.85.0.1')
        self.assertEqual(r.status, 502, r.describe())
        # The texted code is live again; the page says the call failed
        # and offers it again, and the text.
        r = self.site.get(VERIFY, cookie='otp_vid=' + vid, remote_addr='10.85.0.1', extra=JSON)
        self.assertEqual(r.status, 200, r.describe())
        j = json.loads(r.body)
        self.assertEqual((j['status'], j['call']), ('pending', 'failed'), r.describe())
        r = self.site.get(VERIFY, cookie='otp_vid=' + vid, remote_addr='10.85.0.1')
        self.assertIn(b'data-call="failed"', r.body)
        self.assertIn(b'id="call-again"', r.body)
        self.assertIn(b'id="text-me"', r.body)
        self.assertApproved(self.site.verify(self.fake.code_for(PHONE), vid=vid,
                                             remote_addr='10.85.0.1', extra=JSON))


class HandfulOfNetworks(VoiceSite):
    """Attacks on a visitor's calls by someone who wants to lock them out,
    beyond one network (OneNetworkLockout): a few networks, sends the
    provider refused, free inbound starts."""

    LANDLINE = '+442079460958'  # takes no text where ALLOWED_LINE_TYPES leaves fixed lines out

    def landline_site(self):
        self.site.configure(dict(self.site.keys, COUNTRY_CODE='+44', VOICE_COUNTRY_CODES='+44',
                                 ALLOWED_COUNTRY_CODES='+44'))

    @unittest.expectedFailure
    def test_two_networks_cannot_close_a_landlines_calls(self):
        """Found and not fixed: VOICE_PHONE_LIMIT (3) holds for every
        asker, and one network may take all of it but one, so two /24s
        (three requests, each after the cooldown) close a fixed line's
        calls for a day, and a fixed line takes no text: its owner has no
        way left.  As with texts (test_no_dead_ends.HandfulOfNetworksTest),
        a fix trades this lockout against the bombing cap (a number rung
        more often, or per network); that decision is the project's to
        make.  Remove expectedFailure with it."""
        self.landline_site()
        for client in ('10.86.0.1', '10.86.0.1', '10.87.0.1'):
            r = self.call(client, phone=self.LANDLINE)
            self.assertEqual(r.status, 200, r.describe())
            self.site.age_sends(60)
        r = self.call('10.88.0.1', phone=self.LANDLINE)
        self.assertEqual(r.status, 200, r.describe())

    def test_refused_calls_close_nothing(self):
        # Calls Telnyx refused (nothing rang, nothing paid) count for their
        # asker only: as many as its network may ask (PHONE_NETWORK_LIMIT, 3)
        # leave the owner's calls whole.
        self.landline_site()
        self.fake.call_mode = 'status:422'
        for _ in range(3):
            self.assertEqual(self.call('10.89.0.1', phone=self.LANDLINE).status, 502)
            self.site.age_sends(60)
        self.fake.call_mode = 'ok'
        r = self.call('10.89.1.1', phone=self.LANDLINE)
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(json.loads(r.body)['call'], 'ringing')

    def test_free_inbound_starts_take_no_call(self):
        # Inbound starts cost nothing and send nothing: however many a
        # network makes, the number's calls are all there.
        self.site.configure(dict(self.site.keys, CHANNELS='sms,inbound,voice',
                                 INBOUND_NUMBER='+12025550100'))
        for _ in range(2):  # OTP_INBOUND_NET_LIVE
            r = self.site.request(PHONE, remote_addr='10.90.0.1', extra=JSON,
                                  extra_fields={'channel': 'inbound'})
            self.assertEqual(r.status, 200, r.describe())
        for client in ('10.90.0.1', '10.91.0.1'):
            r = self.call(client)
            self.assertEqual(r.status, 200, r.describe())
            self.site.age_sends(60)
        self.assertEqual(len(self.placed()), 2)
