"""Issue 11: verification by an inbound text (CHANNELS=inbound).  Nothing
is sent: request.cgi shows a code of 8 characters without look-alikes and
asks the visitor to text it from the number typed to INBOUND_NUMBER;
webhook.cgi approves the verification when Telnyx reports that text
(message.received, signed) from that number; the visitor's page (GET
verify.cgi, or "I have sent it") then shows success and hands the signed
result back exactly like a typed code.  A code typed into verify.cgi
proves nothing here, and every other text from the number is a wrong
try."""

import json
import re
import unittest
import urllib.parse

import fake_telnyx
from harness import CGITestCase, REQUEST, VERIFY, WebhookGateway

PHONE = '+12025550143'
INBOUND = '+15550002222'
JSON = {'HTTP_ACCEPT': 'application/json'}
ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789'
SIGNING_KEY = 'inbound-signing-key-0123456789abcdef'


class InboundCase(CGITestCase):
    channels = 'sms,inbound'
    extra_keys = None

    def setUp(self):
        super().setUp()
        self.fake.enable_webhooks()
        self.fake.auto_receipts = False
        self.gateway = WebhookGateway(self.site)
        self.addCleanup(self.gateway.stop)
        self.configure()

    def configure(self, **more):
        """The inbound site's config, with the class's extra keys and more."""
        keys = {'TELNYX_PUBLIC_KEY': self.fake.public_key, 'CHANNELS': self.channels,
                'INBOUND_NUMBER': INBOUND, 'SIGNING_KEY': SIGNING_KEY,
                'RETURN_TO_ALLOWED': '/account/'}
        keys.update(self.extra_keys or {})
        keys.update(more)
        self.site.configure(keys)

    def start(self, phone=PHONE, **kw):
        """POST request.cgi with channel=inbound: (response, code shown)."""
        extra = kw.pop('extra_fields', {})
        r = self.site.request(phone, extra_fields=dict({'channel': 'inbound'}, **extra), **kw)
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(r.page, 'inbound', r.describe())
        m = re.search(r'<p class="shown-code" id="inbound-code"[^>]*>([^<]*)</p>', r.text)
        self.assertIsNotNone(m, r.describe())
        return r, m.group(1)

    def text(self, frm, text, to=INBOUND, event_id=None):
        """The visitor's text, as Telnyx reports it; the status webhook.cgi answered."""
        return self.fake.send_inbound(self.gateway.url, frm, to, text, event_id)

    def page(self, vid, **kw):
        return self.site.get(VERIFY, cookie='otp_vid=' + vid, **kw)

    def sent_it(self, vid, shown=None, **kw):
        fields = {'inbound_code': shown} if shown is not None else {}
        return self.site.verify(None, vid=vid, cookie_vid=vid, extra_fields=fields, **kw)

    def row(self, vid):
        rows = self.site.sql('SELECT status, attempts, approved_at, channel FROM verification '
                             'WHERE id = ?', (vid,))
        return rows[0] if rows else None


class StartTest(InboundCase):
    def test_the_page_shows_a_code_and_sends_nothing(self):
        r, code = self.start()
        self.assertSane(r)
        self.assertEqual(len(code), 8)
        self.assertTrue(set(code) <= set(ALPHABET), code)
        self.assertEqual(self.fake.messages, [])
        self.assertIsNotNone(r.cookie_vid)
        self.assertIn('<strong id="text-to">%s</strong>' % INBOUND, r.text)
        self.assertIn('href="sms:%s?body=%s"' % (INBOUND, code), r.text)
        self.assertNotIn(PHONE[2:], r.text)
        # The code is stored as its HMAC only.
        self.assertNotIn(code.encode(), self.site.store_bytes())
        self.assertEqual(self.row(r.vid), ('pending', 0, 0, 'inbound'))
        self.assertRegex(r.stderr, r'event=requested .*channel=inbound')
        self.assertNotIn(code, r.stderr)

    def test_codes_differ(self):
        codes = {self.start('+1202555%04d' % (150 + i), remote_addr='10.9.0.%d' % i)[1]
                 for i in range(5)}
        self.assertEqual(len(codes), 5)

    def test_json(self):
        r = self.site.request(PHONE, extra_fields={'channel': 'inbound'}, extra=JSON)
        self.assertEqual(r.status, 200, r.describe())
        j = json.loads(r.body)
        self.assertEqual(set(j), {'status', 'channel', 'inbound_code', 'text_to',
                                  'verification_id', 'expires_in', 'phone'})
        self.assertEqual((j['status'], j['channel'], j['text_to']),
                         ('pending', 'inbound', INBOUND))
        self.assertRegex(j['inbound_code'], '^[%s]{8}$' % ALPHABET)
        self.assertEqual(j['verification_id'], r.cookie_vid)

    def test_phone_form_offers_both(self):
        r = self.site.get(REQUEST)
        self.assertIn('id="channel-sms" name="channel" value="sms" checked', r.text)
        self.assertIn('name="channel" value="inbound"', r.text)

    def test_sms_still_works_beside_it(self):
        r = self.site.request(PHONE)
        self.assertStatus(r, 200, 'verify')
        self.assertEqual(len(self.fake.messages), 1)


class ChannelTest(InboundCase):
    def assertRefused(self, r):
        self.assertSane(r)
        self.assertEqual(r.status, 400, r.describe())
        self.assertEqual(r.page, 'index')
        self.assertEqual(self.fake.messages, [])

    def test_not_offered(self):
        self.site.configure(dict(self.site.keys, CHANNELS='sms'))
        r = self.site.request(PHONE, extra_fields={'channel': 'inbound'}, extra=JSON)
        self.assertEqual(r.status, 400)
        self.assertEqual(json.loads(r.body)['error']['code'], 'channel_not_allowed')
        self.assertRefused(self.site.request(PHONE, extra_fields={'channel': 'inbound'}))

    def test_outside_inbound_country_codes(self):
        # Default: COUNTRY_CODE (+1) only; inbound senders abroad can be forged.
        self.assertRefused(self.site.request('+447911123456', extra_fields={'channel': 'inbound'}))
        self.site.configure(dict(self.site.keys, INBOUND_COUNTRY_CODES='+44',
                                 ALLOWED_COUNTRY_CODES='+1,+44'))
        self.start('+447911123456')
        self.assertRefused(self.site.request(PHONE, extra_fields={'channel': 'inbound'}))

    def test_a_calling_code_is_matched_whole(self):
        # "+35" is no calling code, and no part of Ireland's +353.
        self.site.configure(dict(self.site.keys, INBOUND_COUNTRY_CODES='+35',
                                 ALLOWED_COUNTRY_CODES='*'))
        self.assertRefused(self.site.request('+353861234567', extra_fields={'channel': 'inbound'}))

    def test_sms_not_offered(self):
        self.site.configure(dict(self.site.keys, CHANNELS='inbound'))
        self.assertRefused(self.site.request(PHONE, extra_fields={'channel': 'sms'}))
        # Without a channel: the only one there is.
        r, _ = self.start(PHONE, extra_fields={'channel': ''})
        self.assertIn('We will show you a code', self.site.get(REQUEST).text)

    def test_unknown_channel(self):
        for ch in ('voice', 'INBOUND', 'sms,inbound', 'x' * 2000):
            with self.subTest(ch=ch[:20]):
                self.assertRefused(self.site.request(PHONE, extra_fields={'channel': ch}))

    def test_config(self):
        base = dict(self.site.keys)
        for keys, key in (({'CHANNELS': 'inbound', 'INBOUND_NUMBER': None}, 'INBOUND_NUMBER'),
                          ({'CHANNELS': 'email'}, 'CHANNELS'),
                          ({'CHANNELS': 'sms,sms'}, 'CHANNELS'),
                          ({'INBOUND_NUMBER': '5550002222'}, 'INBOUND_NUMBER'),
                          ({'INBOUND_COUNTRY_CODES': '44'}, 'INBOUND_COUNTRY_CODES')):
            with self.subTest(keys=keys):
                self.site.configure(dict(base, **keys))
                r = self.site.get(REQUEST)
                self.assertEqual(r.status, 500, r.describe())
                self.assertIn(key, r.stderr)

    def test_inbound_only_needs_no_provider_key(self):
        self.site.configure(dict(self.site.keys, CHANNELS='inbound', API_KEY=None,
                                 SECRET_KEY='inbound-secret-0123456789abcdef'))
        self.start()


class ApproveTest(InboundCase):
    def test_the_text_approves_and_the_page_hands_back(self):
        r, code = self.start(extra_fields={'return_to': '/account/done'})
        # As people type it: lower case, spaced, with words around it.
        spaced = ' '.join(code[i:i + 4] for i in (0, 4)).lower()
        self.assertEqual(self.text(PHONE, 'Hi! my code is %s thanks' % spaced), 200)
        self.assertEqual(json.loads(self.gateway.responses[-1].body), {'status': 'ok'})
        self.assertRegex(self.gateway.responses[-1].stderr,
                         r'event=inbound_received phone=\+12\*+43 .*result=approved')
        done = self.page(r.vid)
        self.assertEqual(done.status, 303, done.describe())
        loc = done.header('Location')
        self.assertTrue(loc.startswith('/account/done?otp_assertion='), loc)
        self.assertRegex(done.stderr, r'event=verified .*channel=inbound')
        # Once: the verification is used up, and counted verified once.
        again = self.page(r.vid)
        self.assertNotEqual(again.status, 303)
        self.assertEqual(self.row(r.vid)[0], 'used')
        self.assertEqual(self.site.sql('SELECT channel FROM verified'), [('inbound',)])

    def test_i_have_sent_it(self):
        r, code = self.start()
        early = self.sent_it(r.vid, code)
        self.assertEqual(early.status, 200, early.describe())
        self.assertEqual(early.page, 'inbound')
        self.assertIn('We have not received your text yet', early.text)
        self.assertIn('>%s</p>' % code, early.text)  # shown again: it is the verification's
        # Another code in the hidden field is not shown.
        other = self.sent_it(r.vid, 'ABCDEFGH' if code != 'ABCDEFGH' else 'HGFEDCBA')
        self.assertNotIn('id="inbound-code"', other.text)
        self.assertIn('no longer shows the code', other.text)
        self.assertEqual(self.text(PHONE, code), 200)
        j = self.sent_it(r.vid, code, extra=JSON)
        body = json.loads(j.body)
        self.assertEqual(body['status'], 'approved', j.describe())
        self.assertIn('assertion', body)

    def test_a_typed_code_proves_nothing(self):
        r, code = self.start()
        for token in (code, code.lower(), 'WRONG123'):
            with self.subTest(token=token):
                t = self.site.verify(token, vid=r.vid, cookie_vid=r.vid)
                self.assertEqual(t.status, 200, t.describe())
                self.assertEqual(t.page, 'inbound')
        self.assertEqual(self.row(r.vid), ('pending', 0, 0, 'inbound'))

    def test_wrong_texts_count_and_lock(self):
        r, code = self.start()
        for i in range(1, 5):
            self.assertEqual(self.text(PHONE, 'hello %d' % i), 200)
            self.assertEqual(self.row(r.vid)[:2], ('pending', i))
        self.assertRegex(self.gateway.responses[-1].stderr, r'result=wrong attempts=4')
        self.assertEqual(self.text(PHONE, 'nope'), 200)
        self.assertEqual(self.row(r.vid)[:2], ('locked', 5))
        # The right code comes too late: nothing left to approve.
        self.assertEqual(self.text(PHONE, code), 200)
        self.assertEqual(json.loads(self.gateway.responses[-1].body), {'status': 'ignored'})
        self.assertNotEqual(self.page(r.vid).status, 303)

    def test_replayed_text_counts_once(self):
        r, _ = self.start()
        self.assertEqual(self.text(PHONE, 'wrong', event_id='evt-1'), 200)
        self.assertEqual(self.text(PHONE, 'wrong', event_id='evt-1'), 200)
        self.assertEqual(json.loads(self.gateway.responses[-1].body), {'status': 'duplicate'})
        self.assertEqual(self.row(r.vid)[1], 1)

    def test_from_another_number_or_to_another(self):
        r, code = self.start()
        self.assertEqual(self.text('+12025550199', code), 200)
        self.assertEqual(self.text(PHONE, code, to='+15550003333'), 200)
        self.assertEqual([json.loads(x.body)['status'] for x in self.gateway.responses[-2:]],
                         ['ignored', 'ignored'])
        self.assertEqual(self.row(r.vid), ('pending', 0, 0, 'inbound'))
        self.assertEqual(self.page(r.vid).page, 'inbound')

    def test_two_browsers_one_number(self):
        a, code_a = self.start()
        b, code_b = self.start(remote_addr='10.9.9.9')
        self.assertNotEqual(a.vid, b.vid)
        self.assertEqual(self.text(PHONE, code_a), 200)
        self.assertEqual(self.page(a.vid).status, 200)  # no return_to: the success page
        self.assertEqual(self.row(a.vid)[0], 'used')
        self.assertEqual(self.row(b.vid)[:3], ('pending', 0, 0))

    def test_switching_channel_drops_the_code_before(self):
        """The inbound code was shown on the page: once the visitor asks for
        an SMS instead, typing it must not verify (it stays no code at all)."""
        r, code = self.start()
        sms = self.site.request(PHONE, vid=r.vid, extra_fields={'channel': 'sms'})
        self.assertStatus(sms, 200, 'verify')
        self.assertEqual(sms.vid, r.vid)
        typed = self.site.verify(code, vid=r.vid, cookie_vid=r.vid)
        self.assertEqual(typed.status, 422, typed.describe())
        # And back: the SMS code texted from the phone is not the inbound code.
        sent = self.fake.code_for(PHONE)
        back, code2 = self.start(PHONE, vid=r.vid)
        self.assertEqual(back.vid, r.vid)
        self.assertEqual(self.text(PHONE, sent), 200)
        self.assertEqual(self.row(r.vid)[:3], ('pending', 2, 0))
        self.assertEqual(self.text(PHONE, code2), 200)
        self.assertEqual(self.page(r.vid).page, 'success')

    def test_inbound_switched_off_while_live(self):
        r, code = self.start()
        self.site.configure(dict(self.site.keys, CHANNELS='sms'))
        p = self.page(r.vid)
        self.assertEqual(p.status, 200, p.describe())
        self.assertNotEqual(p.page, 'inbound')
        self.assertNotIn('sms:', p.text)

    def test_unsigned_text_approves_nothing(self):
        r, code = self.start()
        body = fake_telnyx.event('message.received', fake_telnyx.inbound_payload(PHONE, INBOUND,
                                                                                 code))
        other, _ = fake_telnyx.make_key()
        self.assertEqual(fake_telnyx.post_webhook(self.gateway.url, body,
                                                  fake_telnyx.sign(other, body))[0], 401)
        self.assertEqual(self.row(r.vid), ('pending', 0, 0, 'inbound'))


class CodeLifeTest(InboundCase):
    def test_one_minute_or_more(self):
        """1 minute in a sentence of its own, never "1 minutes"; longer
        lives with their number."""
        for n, (ttl, said) in enumerate(((60, 'works for 1 minute. A normal'),
                                         (61, 'works for 2 minutes. A normal'),
                                         (600, 'works for 10 minutes. A normal'))):
            with self.subTest(ttl=ttl):
                self.configure(TOKEN_TTL=str(ttl))
                r, _ = self.start(phone='+1202555%04d' % (170 + n))
                self.assertIn(said, r.text)
                self.assertNotIn('1 minutes', r.text)


class LimitTest(InboundCase):
    extra_keys = {'HOURLY_SEND_LIMIT': '1', 'RESEND_AFTER': '0'}

    def test_inbound_is_not_paid_for(self):
        # Inbound starts cost nothing: the caps on texts sent do not count them.
        for i in range(3):
            self.start('+1202555%04d' % (170 + i), remote_addr='10.8.0.%d' % i)
        self.assertStatus(self.site.request('+12025550180', remote_addr='10.8.1.1'), 200,
                          'verify')
        r = self.site.request('+12025550181', remote_addr='10.8.1.2')
        self.assertEqual(r.status, 429, r.describe())
        self.assertIn('limit=HOURLY_SEND_LIMIT', r.stderr)

    def test_per_number_limit_still_counts(self):
        self.site.configure(dict(self.site.keys, PHONE_SEND_LIMIT='2', HOURLY_SEND_LIMIT='100'))
        self.start()
        self.start()
        r = self.site.request(PHONE, extra_fields={'channel': 'inbound'})
        self.assertEqual(r.status, 429, r.describe())
        self.assertIn('limit=PHONE_SEND_LIMIT', r.stderr)


if __name__ == '__main__':
    unittest.main()
