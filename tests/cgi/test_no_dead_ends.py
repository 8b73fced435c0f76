"""Issue 23: no real visitor turned away by someone else's abuse.  Each
attack of the issue's table, on the default limits (the breaker on), as a
test that failed on the code before it and passes now:

- 20 sends to one exchange from two networks, or 20 that Telnyx refused,
  block nothing: the breaker needs CONVERSION_MIN_CLIENTS networks and
  counts only texts Telnyx accepted;
- 60 real sign-ups of one exchange, 30 at once, each typing its code
  seconds after its text: all verify (a code too young to be typed is not
  judged; CONVERSION_GRACE);
- inbound starts for a number take none of its texts;
- wrong codes on a code asked from one network do not lock the number for
  a visitor on another;
- texts Telnyx refused do not spend DAILY_SPEND_LIMIT;
- where a refusal holds for everyone and the site has an inbound number,
  the 429 offers the inbound channel ("alternatives":["inbound"], a form
  on the page), and it works; without one, nothing is offered.

The inbound texts' own findings (line endings, more than four live
verifications) are in test_inbound.py."""

import hashlib
import hmac
import json
import re
import threading
import time
import unittest
import urllib.parse

import fake_telnyx
from harness import CGITestCase, REQUEST, VERIFY, WebhookGateway

JSON = {'HTTP_ACCEPT': 'application/json'}
INBOUND = '+15550002222'
VICTIM = '+12025550143'
ENFORCE = {'CONVERSION_MODE': 'enforce'}
TYPING = 3  # seconds a visitor takes to type the code it was texted


def exchange(i):
    """The i-th number of +1 202 555 (10xx, 11xx, ...), never VICTIM."""
    return '+1202555%04d' % (1000 + i)


class AttackCase(CGITestCase):
    """The defaults of a site, the conversion breaker on (enforce)."""
    site_keys = ENFORCE

    def send(self, phone, client, **kw):
        return self.site.request(phone, remote_addr=client, **kw)

    def assertVerifies(self, phone, client, e164=None):
        """A visitor on client's network asks for a text and types its code."""
        r, vid, code = self.start_flow(phone, expect_to=e164, remote_addr=client)
        self.assertStatus(self.site.verify(code, vid=vid, remote_addr=client), 200, 'success')


class BreakerTest(AttackCase):
    def test_two_networks_cannot_block_an_exchange(self):
        for i in range(20):
            net = 60 + i % 2
            self.assertStatus(self.send(exchange(i), '10.%d.0.%d' % (net, i + 1)), 200,
                              'verify')
        # Old enough to be judged, none verified: 20 of 20 failed to convert.
        self.site.age_sends(300)
        self.assertVerifies('(202) 555-0143', '10.62.0.1', VICTIM)
        self.assertEqual(self.site.sql('SELECT count(*) FROM block'), [(0,)])

    def test_texts_telnyx_refused_do_not_block_an_exchange(self):
        # Twenty networks, so that only the refusals keep the breaker quiet.
        self.fake.mode = 'status:422'
        for i in range(20):
            r = self.send(exchange(i), '10.63.%d.1' % i)
            self.assertEqual(r.status, 502, r.describe())
        self.fake.mode = 'ok'
        self.site.age_sends(300)
        self.assertVerifies(VICTIM, '10.64.0.1')
        self.assertEqual(self.site.sql('SELECT count(*) FROM block'), [(0,)])

    def test_many_networks_still_block_a_wave(self):
        # What the breaker is for: 20 unverified texts from 20 networks.
        for i in range(20):
            self.assertStatus(self.send(exchange(i), '10.65.%d.1' % i), 200, 'verify')
        self.site.age_sends(300)
        r = self.send(VICTIM, '10.66.0.1', extra=JSON)
        self.assertEqual(r.status, 429, r.describe())
        err = json.loads(r.body)['error']
        self.assertEqual((err['kind'], err['retry_after']), ('conversion', 3600))
        self.assertNotIn('alternatives', err)  # no inbound number here
        self.assertRegex(r.stderr, r'SMS pumping\? \+1202555 blocked for 3600 s: 0 of 20 codes '
                         r'sent to it in 3600 s were verified, the others asked for from 20 '
                         r'networks')

    def test_a_young_wave_is_held_then_blocked(self):
        # Twice CONVERSION_MIN_SENDS texts too young to judge, from many
        # networks: held for CONVERSION_GRACE, then judged and blocked.
        for i in range(40):
            self.assertStatus(self.send(exchange(i), '10.67.%d.1' % i), 200, 'verify')
        r = self.send(exchange(40), '10.68.0.1', extra=JSON)
        self.assertEqual(r.status, 429, r.describe())
        err = json.loads(r.body)['error']
        self.assertEqual((err['kind'], err['retry_after']), ('conversion', 120))
        self.assertEqual(self.site.sql('SELECT count(*) FROM block'), [(0,)])
        self.assertEqual(len(self.fake.messages), 40)
        self.site.age_sends(130)
        r = self.send(exchange(40), '10.68.0.1', extra=JSON)
        self.assertEqual(json.loads(r.body)['error']['retry_after'], 3600, r.describe())
        self.assertEqual(self.site.sql('SELECT prefix FROM block'), [('+1202555',)])


class BurstOfSignupsTest(AttackCase):
    """A local campaign: 60 visitors of one exchange sign up, 30 at once,
    each typing its code seconds after its text.  All 60 verify."""

    def one(self, i, results):
        phone, client = exchange(i), '10.70.%d.1' % i  # each visitor on a network of its own
        r = self.send(phone, client)
        if r.status != 200:
            results[i] = r
            return
        vid = re.search(r'otp_vid=([0-9a-f]+)', r.header('Set-Cookie') or '').group(1)
        deadline = time.monotonic() + 10
        while not self.fake.messages_to(phone) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(TYPING)  # reading the text, typing the code
        results[i] = self.site.verify(self.fake.code_for(phone), vid=vid, remote_addr=client)

    def test_sixty_signups_all_verify(self):
        results = [None] * 60
        for first in (0, 30):
            barrier = threading.Barrier(30, timeout=60)

            def worker(i):
                try:
                    barrier.wait()
                except threading.BrokenBarrierError:
                    pass
                self.one(i, results)

            threads = [threading.Thread(target=worker, args=(i,), daemon=True)
                       for i in range(first, first + 30)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            self.assertFalse(any(t.is_alive() for t in threads), 'sign-ups still running')
            time.sleep(2)  # the next wave of the campaign, seconds later
        bad = [(i, r.describe() if r is not None else 'no answer')
               for i, r in enumerate(results) if r is None or r.status != 200 or
               r.page != 'success']
        self.assertEqual(bad, [])


class NumberLockoutTest(AttackCase):
    site_keys = dict(ENFORCE, CHANNELS='sms,inbound', INBOUND_NUMBER=INBOUND)

    def inbound(self, client):
        return self.send(VICTIM, client, extra_fields={'channel': 'inbound'}, extra=JSON)

    def test_inbound_starts_take_none_of_a_numbers_texts(self):
        # 5 starts from one address, 5 more ten minutes later: two at a
        # time are live for the network (its own limit), none takes a text.
        for _ in range(2):
            for i in range(5):
                r = self.inbound('10.71.0.1')
                self.assertEqual(r.status, 200 if i < 2 else 429, r.describe())
            self.site.age_sends(600)
        self.assertVerifies(VICTIM, '10.72.0.1')

    def test_many_networks_cannot_close_the_inbound_channel(self):
        # 13 networks, 5 inbound starts each for the victim's number: each
        # network has two live at a time, far from the number's 256.
        for n in range(13):
            for i in range(5):
                r = self.inbound('10.73.%d.%d' % (n, i + 1))
                self.assertEqual(r.status, 200 if i < 2 else 429, r.describe())
        r = self.inbound('10.74.0.1')
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(json.loads(r.body)['channel'], 'inbound')

    def test_wrong_codes_from_one_network_do_not_lock_a_number(self):
        r, vid, code = self.start_flow(VICTIM, remote_addr='10.75.0.1')
        wrong = '0' * len(code) if code != '0' * len(code) else '1' * len(code)
        for _ in range(5):
            self.site.verify(wrong, vid=vid, remote_addr='10.75.0.1')
        self.assertEqual(self.site.verify(code, vid=vid).status, 410)
        self.site.age_sends(60)  # past RESEND_AFTER
        # The attacker's network gets no new code for the number...
        r = self.send(VICTIM, '10.75.0.2', extra=JSON)
        self.assertEqual((r.status, json.loads(r.body)['error']['kind']), (429, 'guesses'))
        # ...the victim's does.
        self.assertVerifies(VICTIM, '10.74.0.1')


class HandfulOfNetworksTest(AttackCase):
    """A handful of networks against one number, on a site without an
    inbound number (the defaults): each network asks for its
    PHONE_NETWORK_LIMIT (3) texts of the day, and four of them exceed the
    number's PHONE_DAILY_LIMIT (10), the cap against SMS bombing."""

    @unittest.expectedFailure
    def test_four_networks_cannot_close_a_numbers_day(self):
        """Found in the second read of 2026-12-07 and not yet fixed: the
        victim, on a fifth network, gets 429 with nothing offered until the
        day is over.  Remove expectedFailure with the fix."""
        for n in range(4):
            for i in range(3):
                self.send(VICTIM, '10.95.%d.%d' % (n, i + 1))
                self.site.age_sends(60)  # past RESEND_AFTER
        self.assertVerifies(VICTIM, '10.96.0.1')


class OneNetworkTest(AttackCase):
    def test_one_network_of_many_addresses_cannot_pump_a_range(self):
        # 60 addresses of one /24, a text each to one range, none verified:
        # one asker for NETWORK_SEND_LIMIT (20), though no address reaches
        # IP_SEND_LIMIT and the breaker counts one network.
        statuses = []
        for i in range(60):
            r = self.send(exchange(i), '10.76.0.%d' % (i + 1), extra=JSON)
            statuses.append(r.status)
            if r.status == 429:
                self.assertEqual(json.loads(r.body)['error']['kind'], 'client', r.describe())
                self.assertIn('limit=NETWORK_SEND_LIMIT', r.stderr)
        self.assertEqual(statuses, [200] * 20 + [429] * 40)
        self.assertEqual(len(self.fake.messages), 20)
        # A visitor elsewhere is not held back by it.
        self.assertVerifies(VICTIM, '10.77.0.1')


class BudgetTest(AttackCase):
    site_keys = dict(ENFORCE, DAILY_SPEND_LIMIT='0.50', SMS_PRICE='0.05')

    def test_texts_telnyx_refused_spend_nothing(self):
        self.fake.mode = 'status:422'
        for i in range(10):
            self.assertEqual(self.send(exchange(i), '10.75.%d.1' % i).status, 502)
        self.fake.mode = 'ok'
        self.assertVerifies(VICTIM, '10.76.0.1')

    def test_texts_sent_do(self):
        for i in range(10):
            self.assertStatus(self.send(exchange(i), '10.77.%d.1' % i), 200, 'verify')
        r = self.send(VICTIM, '10.78.0.1', extra=JSON)
        self.assertEqual((r.status, json.loads(r.body)['error']['kind']), (429, 'budget'))


class SharedNetworkTest(AttackCase):
    """One attacker on a network real visitors share (a carrier's NAT, a
    campus): what it uses up of the network's limits must not leave the
    others a dead end where the site has an inbound number."""
    site_keys = dict(ENFORCE, CHANNELS='sms,inbound', INBOUND_NUMBER=INBOUND)

    def test_network_send_limit_offers_inbound(self):
        for i in range(20):  # 20 texts nobody verifies, from 10.90.0.0/24
            self.assertStatus(self.send(exchange(i), '10.90.0.%d' % (i + 1)), 200, 'verify')
        r = self.send(VICTIM, '10.90.0.200', extra=JSON)
        err = json.loads(r.body)['error']
        self.assertEqual((r.status, err['kind'], err.get('alternatives')),
                         (429, 'client', ['inbound']), r.describe())
        r = self.send(VICTIM, '10.90.0.200', extra_fields={'channel': 'inbound'})
        self.assertStatus(r, 200, 'inbound')

    def test_phone_network_limit_offers_inbound(self):
        for i in range(3):  # the network's 3 texts of the day to the victim's number
            self.assertStatus(self.send(VICTIM, '10.91.0.%d' % (i + 1)), 200, 'verify')
            self.site.age_sends(60)
        r = self.send(VICTIM, '10.91.0.200', extra=JSON)
        err = json.loads(r.body)['error']
        self.assertEqual((r.status, err.get('alternatives')), (429, ['inbound']), r.describe())

    def test_the_askers_own_address_gets_none(self):
        self.site.configure(dict(self.site.keys, IP_SEND_LIMIT='1'))
        self.assertStatus(self.send(exchange(0), '10.92.0.1'), 200, 'verify')
        err = json.loads(self.send(exchange(1), '10.92.0.1', extra=JSON).body)['error']
        self.assertNotIn('alternatives', err)


class AlternativesTest(AttackCase):
    """A refusal that holds for everyone offers the inbound channel where the
    site has one, and it works end to end."""
    site_keys = dict(ENFORCE, DAILY_SPEND_LIMIT='0.05', SMS_PRICE='0.05',
                     CHANNELS='sms,inbound', INBOUND_NUMBER=INBOUND,
                     SIGNING_KEY='alternatives-signing-key-0123456789')

    def setUp(self):
        super().setUp()
        self.fake.enable_webhooks()
        self.fake.auto_receipts = False
        self.gateway = WebhookGateway(self.site)
        self.addCleanup(self.gateway.stop)
        self.site.configure(dict(self.site.keys, TELNYX_PUBLIC_KEY=self.fake.public_key))
        # The day's budget: one text.
        self.assertStatus(self.send(exchange(0), '10.80.0.1'), 200, 'verify')

    def test_json_says_so(self):
        r = self.send(VICTIM, '10.81.0.1', extra=JSON)
        self.assertEqual(r.status, 429, r.describe())
        err = json.loads(r.body)['error']
        self.assertEqual((err['kind'], err['alternatives']), ('budget', ['inbound']))

    def test_the_page_offers_it_and_it_works(self):
        r = self.send('(202) 555-0143', '10.81.0.1')
        self.assertStatus(r, 429, 'error')
        form = re.search(r'<form id="alt-inbound" method="post" action="request.cgi">(.*?)</form>',
                         r.text, re.S)
        self.assertIsNotNone(form, r.describe())
        fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">',
                                 form.group(1)))
        self.assertEqual(fields, {'lang': 'en', 'channel': 'inbound', 'phone': VICTIM})
        # The visitor presses it: the inbound page, and its text approves.
        r = self.site.post(REQUEST, urllib.parse.urlencode(fields), remote_addr='10.81.0.1')
        self.assertStatus(r, 200, 'inbound')
        vid = re.search(r'otp_vid=([0-9a-f]+)', r.header('Set-Cookie')).group(1)
        code = re.search(r'id="inbound-code"[^>]*>([^<]*)<', r.text).group(1)
        self.assertEqual(self.fake.send_inbound(self.gateway.url, VICTIM, INBOUND, code), 200)
        r = self.site.get(VERIFY, cookie='otp_vid=' + vid)
        self.assertStatus(r, 200, 'success')
        self.assertEqual(len(self.fake.messages), 1)  # nothing more was sent, or paid

    def test_a_site_given_number_and_return_to_are_kept(self):
        key = self.site.keys['SIGNING_KEY']
        sig = hmac.new(key.encode(), VICTIM.encode(), hashlib.sha256).hexdigest()
        self.site.configure(dict(self.site.keys, RETURN_TO_ALLOWED='/account/'))
        r = self.site.request(VICTIM, remote_addr='10.82.0.1',
                              extra_fields={'phone_sig': sig, 'return_to': '/account/'})
        self.assertStatus(r, 429, 'error')
        fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">',
                                 r.text))
        self.assertEqual((fields['phone'], fields['phone_sig'], fields['return_to']),
                         (VICTIM, sig, '/account/'))

    def test_not_for_the_askers_own_limits(self):
        # IP_SEND_LIMIT is the asker's: nothing to offer around it.
        self.site.configure(dict(self.site.keys, DAILY_SPEND_LIMIT='100', IP_SEND_LIMIT='1'))
        r = self.send(VICTIM, '10.80.0.1', extra=JSON)
        err = json.loads(r.body)['error']
        self.assertEqual((r.status, err['kind']), (429, 'client'))
        self.assertNotIn('alternatives', err)

    def test_not_outside_the_inbound_countries(self):
        self.site.configure(dict(self.site.keys, ALLOWED_COUNTRY_CODES='+1,+44',
                                 INBOUND_COUNTRY_CODES='+1'))
        r = self.send('+447911123456', '10.83.0.1', extra=JSON)
        err = json.loads(r.body)['error']
        self.assertEqual((r.status, err['kind']), (429, 'budget'))
        self.assertNotIn('alternatives', err)
        r = self.send('+447911123457', '10.83.0.2')
        self.assertNotIn('alt-inbound', r.text)


if __name__ == '__main__':
    unittest.main()
