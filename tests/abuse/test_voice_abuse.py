"""Issue 25, the abuse limits for calls: each limit of texts holds for
calls, with an exact answer at its boundary, and the calls' own.

- call bombing: VOICE_PHONE_LIMIT (3 calls a day per number, whoever
  asks): the 4th is 429 kind phone offering texts (["sms"]), which go on;
- calls count with texts in PHONE_SEND_LIMIT, PHONE_NETWORK_LIMIT,
  PHONE_DAILY_LIMIT, IP_SEND_LIMIT, NETWORK_SEND_LIMIT, the hourly, daily
  and country caps;
- the cooldown (RESEND_AFTER) is per channel: a call after a call waits,
  a call after a text and a text after a call do not;
- DAILY_SPEND_LIMIT counts VOICE_PRICE per call; a call Telnyx refused
  counts in neither the spend nor the number's day;
- toll fraud: no call to a premium-rate, shared-cost or UAN number, nor
  outside VOICE_COUNTRY_CODES (nothing reaches POST /v2/calls), and a
  config that allows them does not load;
- the conversion breaker counts the calls nobody verified;
- concurrent "call me" requests never place more calls than the limits.

A call is placed with the fake Telnyx (POST /v2/calls, counted in
fake.calls); its events are not played (webhooks stay off): the limits
are request.cgi's.  Windows pass by ageing the `send` rows (age_sends).
OTP_TEST_VOICE_ROUNDS sets how many times the concurrent bursts run
(default 5)."""

import json
import os
import re
import subprocess
import threading
import time
import unittest
import urllib.parse

from abuse_common import (DAY, HOUR, OTHER_PHONE, PHONE, UK_PHONE, AbuseCase, age_sends,
                          audit_events, fake_telnyx, harness)

JSON = {'HTTP_ACCEPT': 'application/json'}
UK_FIXED = '+442079460000'
ROUNDS = int(os.environ.get('OTP_TEST_VOICE_ROUNDS') or 5)
BURST = 12  # requests at once: bounded, two cores
ADMIN = harness.REPO / 'tools' / 'otp-admin'
# Every line type a site may allow for calls (lib/config.c): all but
# premium_rate, shared_cost and uan.
ALL_SAFE_TYPES = ('fixed_line,mobile,fixed_line_or_mobile,toll_free,voip,personal_number,'
                  'pager,voicemail,unknown')

VOICE = {'CHANNELS': 'sms,voice', 'VOICE_CONNECTION_ID': '1494404757140276705',
         'TOKEN_ALPHABET': 'digits', 'TOKEN_LENGTH': '6',
         # Calls need both; no event is played to it (webhooks off).
         'WEBHOOK_URL': 'http://127.0.0.1:9/cgi-bin/webhook.cgi'}
HIGH = {'RESEND_AFTER': 0, 'PHONE_SEND_LIMIT': 1000, 'PHONE_DAILY_LIMIT': 1000,
        'IP_SEND_LIMIT': 1000000, 'PHONE_NETWORK_LIMIT': 1000, 'NETWORK_SEND_LIMIT': 1000000,
        'HOURLY_SEND_LIMIT': 1000000, 'DAILY_SEND_LIMIT': 10000000,
        'PHONE_FAILURE_LIMIT': 100, 'VOICE_PHONE_LIMIT': 1000}


def phone(i):
    return '+1202555%04d' % (1000 + i)


class VoiceCase(AbuseCase):
    """A site that places calls; helpers to call, text and count."""

    def voice_site(self, high=True, **kw):
        keys = dict(VOICE, TELNYX_PUBLIC_KEY=fake_telnyx.make_key()[1])
        if high:
            keys.update(HIGH)
        keys.update(kw)
        return self.make_site(keys)

    def call(self, site, number, client, **kw):
        fields = dict(kw.pop('extra_fields', None) or {}, channel='voice')
        return site.request(number, extra_fields=fields, extra=JSON, remote_addr=client, **kw)

    def text(self, site, number, client, **kw):
        return site.request(number, extra=JSON, remote_addr=client, **kw)

    def placed(self):
        """The calls the fake was asked to place (POST /v2/calls)."""
        return [c for c in self.fake.calls if c['path'] == fake_telnyx.CALLS_PATH]

    def assertCalled(self, r, number=None):
        self.assertEqual(r.status, 200, r.describe())
        body = json.loads(r.body)
        self.assertEqual((body['status'], body['channel'], body['call']),
                         ('pending', 'voice', 'ringing'), r.describe())
        if number is not None:
            self.assertEqual(self.placed()[-1]['json']['to'], number)
        return body

    def assertTexted(self, r, number):
        self.assertEqual(r.status, 200, r.describe())
        body = json.loads(r.body)
        self.assertEqual(body['status'], 'pending', r.describe())
        self.assertNotEqual(body.get('channel'), 'voice', r.describe())
        self.assertTrue(self.fake.messages_to(number), 'no text to %s' % number)
        return body

    def assertLimited(self, r, name, kind, alternatives=None, window=DAY, at_least=None):
        """r is 429 kind with exactly `alternatives` (None: none offered),
        a 'limited' audit line naming limit `name`; returns retry_after."""
        self.assertEqual(r.status, 429, r.describe())
        err = json.loads(r.body)['error']
        self.assertEqual((err['kind'], err.get('alternatives')), (kind, alternatives),
                         r.describe())
        ev = [e for e in audit_events(r.stderr) if e['event'] == 'limited']
        self.assertEqual(len(ev), 1, r.describe())
        self.assertIn('limit=%s ' % name, ev[0]['rest'] + ' ', r.describe())
        ra = err['retry_after']
        self.assertEqual(r.header('Retry-After'), str(ra))
        self.assertTrue(1 <= ra <= window, r.describe())
        if at_least is not None:
            self.assertGreaterEqual(ra, at_least, r.describe())
        return ra

    def channels(self, site, number):
        return [row[0] for row in site.sql('SELECT channel FROM send WHERE phone = ? ORDER BY '
                                           + site.row_id('send'), (number,))]


class CallBombingTest(VoiceCase):
    def test_fourth_call_of_a_day_is_refused_texts_go_on(self):
        site = self.voice_site(VOICE_PHONE_LIMIT=3)
        for i in range(3):  # three networks, an hour apart
            self.assertCalled(self.call(site, PHONE, '10.100.%d.1' % i), PHONE)
            age_sends(site, HOUR)
        r = self.call(site, PHONE, '10.100.9.1')
        ra = self.assertLimited(r, 'VOICE_PHONE_LIMIT', 'phone', ['sms'])
        # From the oldest call, three hours old.
        self.assertTrue(DAY - 3 * HOUR - 60 <= ra <= DAY - 3 * HOUR, ra)
        self.assertEqual(len(self.placed()), 3)
        # The number's texts are not the calls': one goes, from the same network.
        self.assertTexted(self.text(site, PHONE, '10.100.9.1'), PHONE)
        # Another number is called.
        self.assertCalled(self.call(site, OTHER_PHONE, '10.100.9.2'), OTHER_PHONE)
        self.assertEqual(self.channels(site, PHONE), ['voice'] * 3 + ['sms'])
        # The first call leaves the day: exactly one more.
        age_sends(site, DAY - 3 * HOUR + 1)
        self.assertCalled(self.call(site, PHONE, '10.100.10.1'), PHONE)
        self.assertLimited(self.call(site, PHONE, '10.100.11.1'), 'VOICE_PHONE_LIMIT', 'phone',
                           ['sms'])
        self.assertEqual(len(self.placed()), 5)

    def test_no_call_offered_once_the_calls_are_spent(self):
        # After the number's calls of the day, a text to it offers no call
        # (["voice"] would be a 429 VOICE_PHONE_LIMIT), nor its code page.
        site = self.voice_site(VOICE_PHONE_LIMIT=1)
        self.assertEqual(self.assertTexted(self.text(site, PHONE, '10.105.0.1'), PHONE)
                         ['alternatives'], ['voice'])
        self.assertCalled(self.call(site, PHONE, '10.105.0.2'))
        body = self.assertTexted(self.text(site, PHONE, '10.105.1.1'), PHONE)
        self.assertNotIn('alternatives', body)
        r = site.get(harness.VERIFY, cookie='otp_vid=' + body['verification_id'],
                     remote_addr='10.105.1.1')
        self.assertStatus(r, 200, 'verify')
        self.assertNotIn('id="call-form"', r.text)
        # Another number still is offered one.
        body = self.assertTexted(self.text(site, OTHER_PHONE, '10.105.1.1'), OTHER_PHONE)
        self.assertEqual(body['alternatives'], ['voice'])
        r = site.get(harness.VERIFY, cookie='otp_vid=' + body['verification_id'],
                     remote_addr='10.105.1.1')
        self.assertIn('id="call-form"', r.text)

    def test_no_call_again_once_the_calls_are_spent(self):
        # A call that was not answered: its page offers "Call me again"
        # while the number has calls left, then only the text.
        site = self.voice_site(VOICE_PHONE_LIMIT=2)
        pages = []
        for i in range(2):
            vid = self.assertCalled(self.call(site, PHONE, '10.106.%d.1' % i))['verification_id']
            site.sql("UPDATE voice_call SET status = 'hangup', stage = 6, cause = 'timeout' "
                     "WHERE vid = ?", (vid,))
            r = site.get(harness.VERIFY, cookie='otp_vid=' + vid, remote_addr='10.106.%d.1' % i)
            self.assertStatus(r, 200, 'verify')
            self.assertIn('id="call-ended"', r.text)
            pages.append(('id="call-again-form"' in r.text, 'id="text-form"' in r.text))
        self.assertEqual(pages, [(True, True), (False, True)])

    def test_default_is_three(self):
        site = self.voice_site(VOICE_PHONE_LIMIT=None)
        for i in range(3):
            self.assertCalled(self.call(site, PHONE, '10.101.%d.1' % i))
        self.assertLimited(self.call(site, PHONE, '10.101.9.1'), 'VOICE_PHONE_LIMIT', 'phone',
                           ['sms'], at_least=DAY - 60)
        self.assertEqual(len(self.placed()), 3)

    def test_the_html_page_offers_the_text(self):
        site = self.voice_site(VOICE_PHONE_LIMIT=1)
        self.assertCalled(self.call(site, PHONE, '10.102.0.1'))
        r = site.request('(202) 555-0143', extra_fields={'channel': 'voice'},
                         remote_addr='10.102.1.1')
        # (The number the visitor typed is in the form, as the inbound
        # channel's: its own, on its own page.)
        self.assertStatus(r, 429, 'error')
        self.assertIn('limit=VOICE_PHONE_LIMIT ', r.stderr)
        form = re.search(r'<form id="alt-sms" method="post" action="request.cgi">(.*?)</form>',
                         r.text, re.S)
        self.assertIsNotNone(form, r.describe())
        fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">',
                                 form.group(1)))
        self.assertEqual(fields, {'lang': 'en', 'channel': 'sms', 'phone': PHONE})
        # The visitor presses it: a text, no call.
        r = site.post(harness.REQUEST, urllib.parse.urlencode(fields), remote_addr='10.102.1.1')
        self.assertStatus(r, 200, 'verify')
        self.assertEqual((len(self.placed()), len(self.fake.messages_to(PHONE))), (1, 1))

    def test_a_number_without_texts_is_offered_nothing(self):
        # A fixed line takes calls, no texts: nothing to offer.
        site = self.voice_site(VOICE_PHONE_LIMIT=2, ALLOWED_COUNTRY_CODES='+1,+44',
                               VOICE_COUNTRY_CODES='+1,+44')
        for i in range(2):
            self.assertCalled(self.call(site, UK_FIXED, '10.103.%d.1' % i), UK_FIXED)
        self.assertLimited(self.call(site, UK_FIXED, '10.103.9.1'), 'VOICE_PHONE_LIMIT', 'phone')

    def test_calling_again_by_the_verification_counts_too(self):
        # "Call me again" (resend=1 with the verification) from one
        # network after another: the same cap.
        site = self.voice_site(VOICE_PHONE_LIMIT=2)
        body = self.assertCalled(self.call(site, PHONE, '10.104.0.1'))
        again = {'resend': '1', 'verification_id': body['verification_id']}
        self.assertCalled(self.call(site, None, '10.104.1.1', extra_fields=again))
        self.assertLimited(self.call(site, None, '10.104.2.1', extra_fields=again),
                           'VOICE_PHONE_LIMIT', 'phone', ['sms'])
        self.assertEqual([c['json']['to'] for c in self.placed()], [PHONE, PHONE])


class SharedLimitsTest(VoiceCase):
    """Texts and calls are one number's sends: each limit of texts counts
    calls, whichever comes first."""

    def test_phone_daily_limit(self):
        site = self.voice_site(PHONE_DAILY_LIMIT=4, VOICE_PHONE_LIMIT=3)
        for i, send in enumerate((self.call, self.text, self.call, self.text)):
            r = send(site, PHONE, '10.110.%d.1' % i)
            self.assertEqual(r.status, 200, r.describe())
            age_sends(site, HOUR)
        # Neither a text nor a call: the texts are not a way around.
        self.assertLimited(self.call(site, PHONE, '10.110.9.1'), 'PHONE_DAILY_LIMIT', 'phone')
        self.assertLimited(self.text(site, PHONE, '10.110.9.2'), 'PHONE_DAILY_LIMIT', 'phone')
        self.assertEqual((len(self.placed()), len(self.fake.messages)), (2, 2))
        age_sends(site, DAY - 4 * HOUR + 1)  # the first call leaves the day
        self.assertCalled(self.call(site, PHONE, '10.110.10.1'))

    def test_phone_network_limit(self):
        site = self.voice_site(PHONE_NETWORK_LIMIT=2)
        self.assertCalled(self.call(site, PHONE, '10.111.0.1'))
        self.assertTexted(self.text(site, PHONE, '10.111.0.2'), PHONE)
        self.assertLimited(self.call(site, PHONE, '10.111.0.3'), 'PHONE_NETWORK_LIMIT', 'phone')
        self.assertLimited(self.text(site, PHONE, '10.111.0.4'), 'PHONE_NETWORK_LIMIT', 'phone')
        # Another network's visitor is not held back.
        self.assertCalled(self.call(site, PHONE, '10.111.1.1'))

    def test_phone_send_limit(self):
        site = self.voice_site(PHONE_SEND_LIMIT=2)
        self.assertTexted(self.text(site, PHONE, '10.112.0.1'), PHONE)
        self.assertCalled(self.call(site, PHONE, '10.112.0.2'))
        self.assertLimited(self.call(site, PHONE, '10.112.0.3'), 'PHONE_SEND_LIMIT', 'phone',
                           window=600)
        age_sends(site, 601)
        self.assertCalled(self.call(site, PHONE, '10.112.0.4'))

    def test_ip_send_limit(self):
        site = self.voice_site(IP_SEND_LIMIT=2)
        self.assertCalled(self.call(site, phone(0), '10.113.0.1'))
        self.assertTexted(self.text(site, phone(1), '10.113.0.1'), phone(1))
        self.assertLimited(self.call(site, phone(2), '10.113.0.1'), 'IP_SEND_LIMIT', 'client',
                           window=HOUR, at_least=HOUR - 60)
        self.assertLimited(self.text(site, phone(3), '10.113.0.1'), 'IP_SEND_LIMIT', 'client',
                           window=HOUR)
        self.assertCalled(self.call(site, phone(2), '10.113.0.2'))

    def test_network_send_limit(self):
        site = self.voice_site(NETWORK_SEND_LIMIT=2)
        self.assertCalled(self.call(site, phone(0), '10.114.0.1'))
        self.assertTexted(self.text(site, phone(1), '10.114.0.2'), phone(1))
        self.assertLimited(self.call(site, phone(2), '10.114.0.3'), 'NETWORK_SEND_LIMIT', 'client',
                           window=HOUR)
        self.assertCalled(self.call(site, phone(2), '10.114.1.1'))

    def test_hourly_cap_a_call_then_a_text(self):
        site = self.voice_site(HOURLY_SEND_LIMIT=2)
        self.assertCalled(self.call(site, phone(0), '10.115.0.1'))
        self.assertTexted(self.text(site, phone(1), '10.115.1.1'), phone(1))
        r = self.call(site, phone(2), '10.115.2.1')
        self.assertLimited(r, 'HOURLY_SEND_LIMIT', 'cap', window=HOUR, at_least=HOUR - 60)
        self.assertIn('WARNING: HOURLY_SEND_LIMIT reached', r.stderr)
        self.assertLimited(self.text(site, phone(3), '10.115.3.1'), 'HOURLY_SEND_LIMIT', 'cap',
                           window=HOUR)
        # Ten minutes later the call is still in the hour's count.
        age_sends(site, 600)
        self.assertLimited(self.text(site, phone(3), '10.115.3.1'), 'HOURLY_SEND_LIMIT', 'cap',
                           window=HOUR)
        age_sends(site, HOUR)
        self.assertCalled(self.call(site, phone(2), '10.115.2.1'))
        self.assertEqual(len(self.placed()), 2)

    def test_daily_cap_a_call_then_a_text(self):
        site = self.voice_site(DAILY_SEND_LIMIT=2)
        self.assertCalled(self.call(site, phone(0), '10.116.0.1'))
        self.assertTexted(self.text(site, phone(1), '10.116.1.1'), phone(1))
        self.assertLimited(self.text(site, phone(2), '10.116.2.1'), 'DAILY_SEND_LIMIT', 'cap')
        # 23 hours later: out of the hour, still in the day.
        age_sends(site, 23 * HOUR)
        self.assertLimited(self.call(site, phone(2), '10.116.2.1'), 'DAILY_SEND_LIMIT', 'cap')
        age_sends(site, HOUR)
        self.assertCalled(self.call(site, phone(2), '10.116.2.1'))

    def test_country_hourly_limits(self):
        site = self.voice_site(ALLOWED_COUNTRY_CODES='+1,+44', VOICE_COUNTRY_CODES='+1,+44',
                               COUNTRY_HOURLY_LIMITS='+1:2,+44:100')
        self.assertCalled(self.call(site, phone(0), '10.117.0.1'))
        self.assertTexted(self.text(site, phone(1), '10.117.1.1'), phone(1))
        self.assertLimited(self.call(site, phone(2), '10.117.2.1'), 'COUNTRY_HOURLY_LIMITS',
                           'country', window=HOUR)
        self.assertLimited(self.text(site, phone(3), '10.117.3.1'), 'COUNTRY_HOURLY_LIMITS',
                           'country', window=HOUR)
        # +44 has its own cap.
        self.assertCalled(self.call(site, UK_PHONE, '10.117.4.1'), UK_PHONE)
        age_sends(site, 600)
        self.assertLimited(self.call(site, phone(2), '10.117.2.1'), 'COUNTRY_HOURLY_LIMITS',
                           'country', window=HOUR)
        age_sends(site, HOUR)
        self.assertCalled(self.call(site, phone(2), '10.117.2.1'))


class CooldownTest(VoiceCase):
    """RESEND_AFTER per channel and per network."""

    def test_a_second_call_waits(self):
        site = self.voice_site(RESEND_AFTER=30)
        body = self.assertCalled(self.call(site, PHONE, '10.120.0.1'))
        self.assertLimited(self.call(site, PHONE, '10.120.0.2'), 'RESEND_AFTER', 'cooldown',
                           window=30, at_least=25)
        # "Call me again" by the verification: the same.
        again = {'resend': '1', 'verification_id': body['verification_id']}
        self.assertLimited(self.call(site, None, '10.120.0.1', extra_fields=again),
                           'RESEND_AFTER', 'cooldown', window=30)
        age_sends(site, 25)
        ra = self.assertLimited(self.call(site, PHONE, '10.120.0.3'), 'RESEND_AFTER',
                                'cooldown', window=30)
        self.assertLessEqual(ra, 5)
        self.assertEqual(len(self.placed()), 1)
        age_sends(site, 5)
        self.assertCalled(self.call(site, None, '10.120.0.1', extra_fields=again))
        # The cooldown is the network's: elsewhere a call goes at once.
        self.assertCalled(self.call(site, PHONE, '10.120.1.1'))
        self.assertEqual(len(self.placed()), 3)

    def test_a_call_right_after_a_text(self):
        site = self.voice_site(RESEND_AFTER=30)
        self.assertTexted(self.text(site, PHONE, '10.121.0.1'), PHONE)
        self.assertCalled(self.call(site, PHONE, '10.121.0.1'), PHONE)
        # Each channel's own cooldown still holds.
        self.assertLimited(self.text(site, PHONE, '10.121.0.1'), 'RESEND_AFTER', 'cooldown',
                           window=30)
        self.assertLimited(self.call(site, PHONE, '10.121.0.1'), 'RESEND_AFTER', 'cooldown',
                           window=30)
        self.assertEqual((len(self.placed()), len(self.fake.messages)), (1, 1))

    def test_a_text_right_after_a_call(self):
        site = self.voice_site(RESEND_AFTER=30)
        body = self.assertCalled(self.call(site, PHONE, '10.122.0.1'), PHONE)
        # "Text me a code instead", by the verification.
        r = self.text(site, None, '10.122.0.1',
                      extra_fields={'resend': '1', 'verification_id': body['verification_id']})
        self.assertTexted(r, PHONE)
        self.assertEqual((len(self.placed()), len(self.fake.messages)), (1, 1))

    def test_a_text_right_after_a_refused_call(self):
        # Telnyx refused the call: nothing rang.  The visitor's text goes
        # at once; another call from its network waits, as a refused text
        # waits (the asker's own count).
        site = self.voice_site(RESEND_AFTER=30)
        self.fake.call_mode = 'status:422'
        r = self.call(site, PHONE, '10.123.0.1')
        self.assertEqual(r.status, 502, r.describe())
        self.fake.call_mode = 'ok'
        self.assertTexted(self.text(site, PHONE, '10.123.0.1'), PHONE)
        self.assertLimited(self.call(site, PHONE, '10.123.0.1'), 'RESEND_AFTER', 'cooldown',
                           window=30)
        self.assertEqual(len(self.placed()), 1)


class BudgetTest(VoiceCase):
    def test_calls_spend_the_budget(self):
        # "Over this spend": 0.20 spent of 0.20, the third is refused.
        site = self.voice_site(DAILY_SPEND_LIMIT='0.20', VOICE_PRICE='0.10')
        for i in range(2):
            self.assertCalled(self.call(site, phone(i), '10.130.%d.1' % i))
        r = self.call(site, phone(2), '10.130.2.1')
        self.assertLimited(r, 'DAILY_SPEND_LIMIT', 'budget')
        self.assertIn('WARNING: DAILY_SPEND_LIMIT reached', r.stderr)
        self.assertLimited(self.text(site, phone(3), '10.130.3.1'), 'DAILY_SPEND_LIMIT', 'budget')
        self.assertEqual(len(self.placed()), 2)

    def test_a_limit_between_two_calls(self):
        # 0.25 with calls at 0.10: 0.20 spent is not over it, the third
        # call goes (0.30), the fourth is refused.
        site = self.voice_site(DAILY_SPEND_LIMIT='0.25', VOICE_PRICE='0.10')
        for i in range(3):
            self.assertCalled(self.call(site, phone(i), '10.131.%d.1' % i))
        self.assertLimited(self.call(site, phone(3), '10.131.3.1'), 'DAILY_SPEND_LIMIT', 'budget')
        self.assertEqual(len(self.placed()), 3)

    def test_texts_and_calls_at_their_prices(self):
        site = self.voice_site(DAILY_SPEND_LIMIT='0.20', VOICE_PRICE='0.10', SMS_PRICE='0.05')
        self.assertTexted(self.text(site, phone(0), '10.132.0.1'), phone(0))      # 0.05
        self.assertCalled(self.call(site, phone(1), '10.132.1.1'))                # 0.15
        self.assertTexted(self.text(site, phone(2), '10.132.2.1'), phone(2))      # 0.20
        self.assertLimited(self.text(site, phone(3), '10.132.3.1'), 'DAILY_SPEND_LIMIT', 'budget')

    def test_a_refused_call_spends_nothing(self):
        site = self.voice_site(DAILY_SPEND_LIMIT='0.10', VOICE_PRICE='0.10',
                               VOICE_PHONE_LIMIT=1, PHONE_DAILY_LIMIT=2)
        self.fake.call_mode = 'status:422'
        for i in range(3):
            r = self.call(site, PHONE, '10.133.%d.1' % i)
            self.assertEqual(r.status, 502, r.describe())
        self.fake.call_mode = 'ok'
        self.assertEqual(self.channels(site, PHONE), ['refused_call'] * 3)
        # Neither the spend nor the number's calls or day count them.
        self.assertCalled(self.call(site, PHONE, '10.133.9.1'), PHONE)
        self.assertLimited(self.text(site, OTHER_PHONE, '10.133.9.2'), 'DAILY_SPEND_LIMIT',
                           'budget')
        self.assertEqual(len(self.placed()), 4)

    def test_a_refused_call_after_a_text_in_the_same_second(self):
        # The text and the call of one visitor in one second: the refused
        # call's row becomes 'refused_call', not the text's.  Rows for the next
        # seconds stand for a text just sent, whichever second the call
        # is placed in.
        site = self.voice_site(VOICE_PHONE_LIMIT=1)
        self.assertTexted(self.text(site, OTHER_PHONE, '10.134.0.1'), OTHER_PHONE)  # the store
        now = int(time.time())
        site.sql_many("INSERT INTO send (at, phone, client, country, channel, prefix, cc, net) "
                      "VALUES (?, ?, '10.134.0.1', '+1', 'sms', '+1202555', '+1', "
                      "'10.134.0.0/24')", [(now + s, PHONE) for s in range(-1, 10)])
        self.fake.call_mode = 'status:422'
        r = self.call(site, PHONE, '10.134.0.1')
        self.assertEqual(r.status, 502, r.describe())
        self.fake.call_mode = 'ok'
        rows = site.sql("SELECT channel, count(*) FROM send WHERE phone = ? GROUP BY channel "
                        "ORDER BY channel", (PHONE,))
        self.assertEqual(rows, [('refused_call', 1), ('sms', 11)])
        self.assertCalled(self.call(site, PHONE, '10.134.1.1'), PHONE)


class TollFraudTest(VoiceCase):
    """No call to where a call earns its callee money."""

    def assertRefused(self, r, code):
        self.assertEqual(r.status, 400, r.describe())
        self.assertEqual(json.loads(r.body)['error']['code'], code, r.describe())

    def test_premium_shared_cost_and_uan_numbers(self):
        site = self.voice_site(ALLOWED_COUNTRY_CODES='+1,+44', VOICE_COUNTRY_CODES='+1,+44',
                               VOICE_LINE_TYPES=ALL_SAFE_TYPES)
        for number, kind in (('+19002345678', 'premium_rate'), ('+449098790123', 'premium_rate'),
                             ('+445512345678', 'uan'), ('+443001234567', 'uan')):
            with self.subTest(number=number):
                r = self.call(site, number, '10.140.0.1')
                self.assertRefused(r, 'line_type_not_allowed')
                self.assertIn('line_type=%s' % kind, r.stderr)
                r = self.call(site, ' ' + number[:3] + ' ' + number[3:], '10.140.0.1')
                self.assertRefused(r, 'line_type_not_allowed')
        self.assertEqual(self.fake.calls, [])
        if site.store_made():  # refused before the store is opened
            self.assertEqual(site.sql('SELECT count(*) FROM send'), [(0,)])

    def test_a_refused_call_says_call(self):
        site = self.voice_site(LANGUAGES='en,fr')
        r = self.call(site, '+19002345678', '10.140.1.1')
        self.assertRefused(r, 'line_type_not_allowed')
        self.assertEqual(json.loads(r.body)['error']['message'],
                         'We cannot call this kind of number: use a mobile or fixed-line number.')
        r = self.call(site, '+19002345678', '10.140.1.1', extra_fields={'lang': 'fr'})
        self.assertIn('appeler', json.loads(r.body)['error']['message'])
        # A text refused says text.
        r = self.text(site, '+19002345678', '10.140.1.1')
        self.assertIn('text messages', json.loads(r.body)['error']['message'])

    def test_outside_voice_country_codes(self):
        # Texts to +44, calls to +1 only (the default: COUNTRY_CODE's).
        site = self.voice_site(ALLOWED_COUNTRY_CODES='+1,+44')
        self.assertRefused(self.call(site, UK_PHONE, '10.141.0.1'), 'country_not_allowed')
        body = self.assertTexted(self.text(site, UK_PHONE, '10.141.0.2'), UK_PHONE)
        self.assertNotIn('voice', body.get('alternatives') or [])
        # "Call me instead" on that verification: refused the same.
        again = {'resend': '1', 'verification_id': body['verification_id']}
        self.assertRefused(self.call(site, None, '10.141.0.2', extra_fields=again),
                           'country_not_allowed')
        self.assertEqual(self.fake.calls, [])
        self.assertEqual(self.channels(site, UK_PHONE), ['sms'])

    def test_the_default_is_the_sites_country_not_its_calling_code(self):
        # COUNTRY_CODE=+1 is the United States' country code and that of
        # some twenty other countries: Jamaica (+1 876), the Dominican
        # Republic (+1 809), where toll fraud (IRSF, "one ring") earns.
        # The default (COUNTRY_CODE's country) calls none of them, and
        # offers no call with their texts.
        site = self.voice_site()
        for i, number in enumerate(('+18762101234', '+18092101234')):
            with self.subTest(number=number):
                self.assertRefused(self.call(site, number, '10.145.%d.1' % i),
                                   'country_not_allowed')
                body = self.assertTexted(self.text(site, number, '10.145.%d.2' % i), number)
                self.assertNotIn('alternatives', body)
                again = {'resend': '1', 'verification_id': body['verification_id']}
                self.assertRefused(self.call(site, None, '10.145.%d.2' % i, extra_fields=again),
                                   'country_not_allowed')
        self.assertEqual(self.placed(), [])
        # The site's own country is called: the United States, and Canada
        # where DEFAULT_REGION says the site is.
        self.assertCalled(self.call(site, PHONE, '10.145.9.1'), PHONE)
        site = self.voice_site(DEFAULT_REGION='CA')
        self.assertCalled(self.call(site, '+14165550143', '10.145.9.2'), '+14165550143')
        self.assertRefused(self.call(site, PHONE, '10.145.9.3'), 'country_not_allowed')

    def test_a_listed_calling_code_is_all_its_countries(self):
        # VOICE_COUNTRY_CODES=+1 said: the operator's choice.
        site = self.voice_site(VOICE_COUNTRY_CODES='+1')
        self.assertCalled(self.call(site, '+18762101234', '10.146.0.1'), '+18762101234')

    def test_a_listed_country_is_called(self):
        site = self.voice_site(ALLOWED_COUNTRY_CODES='+1,+44', VOICE_COUNTRY_CODES='+44')
        self.assertCalled(self.call(site, UK_PHONE, '10.142.0.1'), UK_PHONE)
        self.assertRefused(self.call(site, PHONE, '10.142.0.1'), 'country_not_allowed')
        self.assertEqual(len(self.placed()), 1)

    def test_a_premium_number_texted_is_not_called(self):
        # A site may text premium-rate numbers (ALLOWED_LINE_TYPES): "Call
        # me instead" on such a verification is still refused.
        site = self.voice_site(ALLOWED_LINE_TYPES='mobile,fixed_line_or_mobile,premium_rate')
        body = self.assertTexted(self.text(site, '+19002345678', '10.144.0.1'), '+19002345678')
        self.assertNotIn('voice', body.get('alternatives') or [])
        again = {'resend': '1', 'verification_id': body['verification_id']}
        r = self.call(site, None, '10.144.0.1', extra_fields=again)
        self.assertRefused(r, 'line_type_not_allowed')
        # Nor by the number typed.
        self.assertRefused(self.call(site, '+19002345678', '10.144.1.1'),
                           'line_type_not_allowed')
        self.assertEqual(self.fake.calls, [])
        self.assertEqual(self.channels(site, '+19002345678'), ['sms'])

    def test_a_config_that_allows_them_does_not_load(self):
        for types in ('premium_rate', 'mobile,premium_rate', 'shared_cost', 'fixed_line,uan',
                      'uan'):
            with self.subTest(types=types):
                site = self.voice_site(VOICE_LINE_TYPES=types)
                r = self.call(site, PHONE, '10.143.0.1')
                self.assertEqual(r.status, 500, r.describe())
                self.assertEqual(json.loads(r.body)['error']['code'], 'misconfigured')
                self.assertIn('VOICE_LINE_TYPES', r.stderr)
                # Nor a text: the site does not run at all.
                self.assertEqual(self.text(site, PHONE, '10.143.0.1').status, 500)
                p = subprocess.run([str(ADMIN), '-c', str(site.config_path), 'check-config'],
                                   capture_output=True, text=True, timeout=60,
                                   env={'PATH': '/usr/bin:/bin'})
                self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
                self.assertIn('VOICE_LINE_TYPES', p.stderr)
        self.assertEqual(self.fake.calls, [])
        self.assertEqual(self.fake.messages, [])


class BreakerTest(VoiceCase):
    """The conversion breaker on (enforce), the other limits at their
    defaults."""

    def breaker_site(self):
        return self.voice_site(high=False, CONVERSION_MODE='enforce')

    def test_unverified_calls_from_many_networks_block(self):
        site = self.breaker_site()
        for i in range(20):
            self.assertCalled(self.call(site, phone(i), '10.150.%d.1' % i))
        site.age_sends(300)
        r = self.call(site, PHONE, '10.151.0.1')
        self.assertEqual(r.status, 429, r.describe())
        err = json.loads(r.body)['error']
        self.assertEqual((err['kind'], err['retry_after']), ('conversion', 3600))
        self.assertRegex(r.stderr, r'SMS pumping\? \+1202555 blocked for 3600 s: 0 of 20 codes '
                         r'sent to it in 3600 s were verified, the others asked for from 20 '
                         r'networks')
        # Texts to the range are held with it.
        r = self.text(site, PHONE, '10.151.0.2')
        self.assertEqual((r.status, json.loads(r.body)['error']['kind']), (429, 'conversion'))
        self.assertEqual(len(self.placed()), 20)

    def test_calls_and_texts_count_together(self):
        site = self.breaker_site()
        for i in range(20):
            send = self.call if i % 2 else self.text
            self.assertEqual(send(site, phone(i), '10.152.%d.1' % i).status, 200)
        site.age_sends(300)
        r = self.call(site, PHONE, '10.153.0.1')
        self.assertEqual((r.status, json.loads(r.body)['error']['kind']), (429, 'conversion'),
                         r.describe())
        self.assertIn('0 of 20 codes', r.stderr)

    def test_verified_calls_keep_it_quiet(self):
        # 20 calls from 20 networks, each answered by a person who presses
        # 1 (VOICE_MODE=confirm: the fake plays each call's life to
        # webhook.cgi): all verified, the range stays open.
        site = self.breaker_site()
        self.fake.enable_webhooks()
        gateway = harness.WebhookGateway(site)
        self.addCleanup(gateway.stop)
        site.configure(dict(site.keys, TELNYX_PUBLIC_KEY=self.fake.public_key,
                            WEBHOOK_URL=gateway.url, VOICE_MODE='confirm'))
        for i in range(20):
            client = '10.159.%d.1' % i
            vid = self.assertCalled(self.call(site, phone(i), client))['verification_id']
            # initiated, answered, human, gather.ended (1), hangup
            self.assertTrue(self.fake.wait_webhooks(5 * (i + 1), timeout=30),
                            [w['event_type'] for w in self.fake.webhook_posts])
            self.assertStatus(site.verify(None, vid=vid, remote_addr=client), 200, 'success')
        self.assertEqual(site.sql("SELECT count(*) FROM verified WHERE channel = 'voice'"),
                         [(20,)])
        site.age_sends(300)
        self.assertCalled(self.call(site, PHONE, '10.159.99.1'), PHONE)
        self.assertEqual(site.sql('SELECT count(*) FROM block'), [(0,)])

    def test_two_networks_cannot_block_an_exchange_by_calls(self):
        site = self.breaker_site()
        for i in range(20):
            self.assertCalled(self.call(site, phone(i), '10.%d.0.%d' % (154 + i % 2, i + 1)))
        site.age_sends(300)
        self.assertCalled(self.call(site, PHONE, '10.156.0.1'), PHONE)
        self.assertEqual(site.sql('SELECT count(*) FROM block'), [(0,)])

    def test_calls_telnyx_refused_do_not_block(self):
        site = self.breaker_site()
        self.fake.call_mode = 'status:422'
        for i in range(20):
            self.assertEqual(self.call(site, phone(i), '10.157.%d.1' % i).status, 502)
        self.fake.call_mode = 'ok'
        site.age_sends(300)
        self.assertCalled(self.call(site, PHONE, '10.158.0.1'), PHONE)
        self.assertEqual(site.sql('SELECT count(*) FROM block'), [(0,)])


class ConcurrencyTest(VoiceCase):
    """BURST requests at once (threads behind a barrier), ROUNDS times,
    each round on a fresh site: the limits count exactly.  With
    OTP_TEST_FASTCGI=1, FASTCGI_APPS long-lived request.cgi processes of
    the test's own take them in turn, as a server's pool does (the
    harness's one application answers one request at a time)."""

    FASTCGI_APPS = 4

    def setUp(self):
        super().setUp()
        self.apps = []
        if harness.FASTCGI:
            import fcgi_client
            for _ in range(self.FASTCGI_APPS):
                app = fcgi_client.App(harness.REQUEST)
                self.addCleanup(app.stop)
                self.apps.append(app)

    def burst(self, site, jobs):
        """Run jobs [(send, number, client)] at once; their responses."""
        results = [None] * len(jobs)
        barrier = threading.Barrier(len(jobs), timeout=60)

        def worker(i):
            send, number, client = jobs[i]
            kw = {'app': self.apps[i % len(self.apps)]} if self.apps else {}
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass
            results[i] = send(site, number, client, **kw)

        threads = [threading.Thread(target=worker, args=(i,), daemon=True)
                   for i in range(len(jobs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertFalse(any(t.is_alive() for t in threads), 'requests still running')
        # Each application of the pool took its share, and lives on.
        self.assertEqual([a.alive() for a in self.apps], [True] * len(self.apps))
        return results

    def outcomes(self, results):
        """{(status, limit or ''): count}"""
        out = {}
        for r in results:
            self.assertIsNotNone(r)
            limit = ''
            if r.status == 429:
                ev = [e for e in audit_events(r.stderr) if e['event'] == 'limited']
                limit = ev[0]['rest'].split()[0] if ev else '?'
            out[(r.status, limit)] = out.get((r.status, limit), 0) + 1
        return out

    def test_calls_to_one_number_from_many_networks(self):
        for n in range(ROUNDS):
            with self.subTest(round=n):
                site = self.voice_site(VOICE_PHONE_LIMIT=3)
                before = len(self.placed())
                results = self.burst(site, [(self.call, PHONE, '10.160.%d.1' % i)
                                            for i in range(BURST)])
                self.assertEqual(self.outcomes(results),
                                 {(200, ''): 3, (429, 'limit=VOICE_PHONE_LIMIT'): BURST - 3})
                self.assertEqual(len(self.placed()) - before, 3)
                self.assertEqual(self.channels(site, PHONE), ['voice'] * 3)

    def test_calls_from_one_network_within_the_cooldown(self):
        for n in range(ROUNDS):
            with self.subTest(round=n):
                site = self.voice_site(RESEND_AFTER=30)
                before = len(self.placed())
                results = self.burst(site, [(self.call, PHONE, '10.161.0.%d' % (i + 1))
                                            for i in range(BURST)])
                self.assertEqual(self.outcomes(results),
                                 {(200, ''): 1, (429, 'limit=RESEND_AFTER'): BURST - 1})
                self.assertEqual(len(self.placed()) - before, 1)

    def test_calls_to_many_numbers_under_the_budget(self):
        # DAILY_SPEND_LIMIT 0.30 at 0.10 a call: three calls, to any numbers.
        for n in range(ROUNDS):
            with self.subTest(round=n):
                site = self.voice_site(DAILY_SPEND_LIMIT='0.30', VOICE_PRICE='0.10')
                before = len(self.placed())
                results = self.burst(site, [(self.call, phone(i), '10.163.%d.1' % i)
                                            for i in range(BURST)])
                self.assertEqual(self.outcomes(results),
                                 {(200, ''): 3, (429, 'limit=DAILY_SPEND_LIMIT'): BURST - 3})
                self.assertEqual(len(self.placed()) - before, 3)

    def test_calls_and_texts_under_the_hourly_cap(self):
        for n in range(ROUNDS):
            with self.subTest(round=n):
                site = self.voice_site(HOURLY_SEND_LIMIT=5)
                jobs = [(self.call if i % 2 else self.text, phone(i), '10.164.%d.1' % i)
                        for i in range(BURST)]
                results = self.burst(site, jobs)
                self.assertEqual(self.outcomes(results),
                                 {(200, ''): 5, (429, 'limit=HOURLY_SEND_LIMIT'): BURST - 5})
                self.assertEqual(site.sql("SELECT count(*) FROM send WHERE channel IN "
                                          "('sms', 'voice')"), [(5,)])

    def test_calls_and_texts_under_the_numbers_day(self):
        for n in range(ROUNDS):
            with self.subTest(round=n):
                site = self.voice_site(VOICE_PHONE_LIMIT=3, PHONE_DAILY_LIMIT=4)
                calls, texts = len(self.placed()), len(self.fake.messages)
                jobs = [(self.call if i % 2 else self.text, PHONE, '10.162.%d.1' % i)
                        for i in range(BURST)]
                results = self.burst(site, jobs)
                self.assertTrue(self.fake.wait_messages(texts, 5))
                ok = [r for r in results if r.status == 200]
                self.assertEqual(len(ok), 4, self.outcomes(results))
                self.assertEqual(len(ok) + sum(r.status == 429 for r in results), BURST,
                                 self.outcomes(results))
                placed = len(self.placed()) - calls
                self.assertLessEqual(placed, 3)
                time.sleep(0.05)
                self.assertEqual(placed + len(self.fake.messages) - texts, 4)
                self.assertEqual(len(self.channels(site, PHONE)), 4)


if __name__ == '__main__':
    unittest.main()
