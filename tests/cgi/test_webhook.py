"""Issue 11: webhook.cgi, Telnyx's delivery receipts.

Every webhook is checked before anything is read from it (Ed25519 over
"timestamp|body" with TELNYX_PUBLIC_KEY, 300 s of skew); what passes is
recorded on its message once (data.id), never moving a message back to an
earlier state; the visitor's code form shows the state, and after a
failed delivery offers a new code at once (no cooldown, the limits still
count).  The fake Telnyx signs and posts its receipts to WEBHOOK_URL, here
a small gateway that runs webhook.cgi as a web server would."""

import base64
import json
import re
import time
import unittest
import uuid
from concurrent.futures import ThreadPoolExecutor

import fake_telnyx
import store_db
from harness import CGITestCase, REQUEST, VERIFY, WebhookGateway

PHONE = '+12025550143'
JSON = {'HTTP_ACCEPT': 'application/json'}


class WebhookCase(CGITestCase):
    """A site with TELNYX_PUBLIC_KEY from the fake's key pair."""

    final_status = 'delivered'
    auto_receipts = False  # the fake posts none by itself: each test says what comes
    extra_keys = None

    def setUp(self):
        super().setUp()
        self.fake.enable_webhooks(self.final_status)
        self.fake.auto_receipts = self.auto_receipts
        self.gateway = WebhookGateway(self.site)
        self.addCleanup(self.gateway.stop)
        keys = {'TELNYX_PUBLIC_KEY': self.fake.public_key, 'WEBHOOK_URL': self.gateway.url}
        keys.update(self.extra_keys or {})
        self.site.configure(keys)

    def count(self, table):
        """Rows in table; 0 when no program has made the database yet."""
        if not self.site.store_made():
            return 0
        return self.site.sql('SELECT count(*) FROM %s' % table)[0][0]

    def message(self, message_id):
        """The message's row as a dict, or None."""
        rows = self.site.sql('SELECT * FROM message WHERE id = ?', (message_id,), dicts=True)
        return rows[0] if rows else None

    def hook(self, event_type, payload, event_id=None, timestamp=None, key=None, body=None,
             headers=None):
        """Run webhook.cgi on one event, signed by the fake's key (or key)."""
        if body is None:
            body = fake_telnyx.event(event_type, payload, event_id)
        if headers is None:
            headers = fake_telnyx.sign(key or self.fake.webhook_key, body, timestamp)
        return self.site.webhook(body, headers)

    def sent(self, phone=PHONE):
        """Send a code: (response, message id)."""
        r = self.site.request(phone)
        self.assertStatus(r, 200, 'verify')
        return r, self.message_id(r.vid)

    def message_id(self, vid):
        """The id of the latest text of verification vid."""
        (mid,), = self.site.sql('SELECT message_id FROM verification WHERE id = ?', (vid,))
        return mid

    def delivery(self, vid):
        r = self.site.get(VERIFY, cookie='otp_vid=' + vid,
                          extra=JSON)
        self.assertEqual(r.status, 200, r.describe())
        return json.loads(r.body).get('delivery')


class SignatureTest(WebhookCase):
    """Nothing unsigned, badly signed or stale is read or recorded."""

    def setUp(self):
        super().setUp()
        _, self.mid = self.sent()
        self.payload = fake_telnyx.message_payload(self.mid, PHONE, 'delivered')

    def assertRefused(self, r, status, code):
        self.assertSane(r)
        self.assertEqual(r.status, status, r.describe())
        self.assertEqual(json.loads(r.body), {'error': {'code': code}})
        self.assertEqual(self.message(self.mid)['status'], '', 'recorded: ' + r.describe())
        self.assertEqual(self.count('webhook_event'), 0)
        self.assertRegex(r.stderr, r'event=webhook_refused .*status=%d reason=%s'
                         % (status, code))

    def test_good_signature_is_taken(self):
        r = self.hook('message.finalized', self.payload)
        self.assertSane(r)
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(json.loads(r.body), {'status': 'ok'})
        m = self.message(self.mid)
        self.assertEqual((m['status'], m['stage'], m['cost_micros'], m['currency'], m['parts'],
                          m['carrier'], m['line_type']),
                         ('delivered', 4, 5100, 'USD', 1, 'T-MOBILE USA, INC.', 'Wireless'))
        self.assertRegex(r.stderr, r'event=delivery phone=\+12\*+43 .*message_id=%s '
                         r'status=delivered' % self.mid)

    def test_bad_signature(self):
        body = fake_telnyx.event('message.finalized', self.payload)
        h = fake_telnyx.sign(self.fake.webhook_key, body)
        h['telnyx-signature-ed25519'] = base64.b64encode(bytes(64)).decode()
        self.assertRefused(self.hook(None, None, body=body, headers=h), 401, 'bad_signature')

    def test_signature_of_other_bytes(self):
        body = fake_telnyx.event('message.finalized', self.payload)
        h = fake_telnyx.sign(self.fake.webhook_key, body)
        other = body.replace(b'delivered', b'delivery_failed')
        self.assertRefused(self.hook(None, None, body=other, headers=h), 401, 'bad_signature')

    def test_signature_over_other_timestamp(self):
        body = fake_telnyx.event('message.finalized', self.payload)
        h = fake_telnyx.sign(self.fake.webhook_key, body)
        h['telnyx-timestamp'] = str(int(h['telnyx-timestamp']) - 1)
        self.assertRefused(self.hook(None, None, body=body, headers=h), 401, 'bad_signature')

    def test_wrong_key(self):
        other, _ = fake_telnyx.make_key()
        self.assertRefused(self.hook('message.finalized', self.payload, key=other), 401,
                           'bad_signature')

    def test_malformed_signature(self):
        body = fake_telnyx.event('message.finalized', self.payload)
        for sig in ('not base64!', base64.b64encode(bytes(63)).decode(), '', 'A' * 200):
            with self.subTest(sig=sig[:20]):
                h = fake_telnyx.sign(self.fake.webhook_key, body)
                h['telnyx-signature-ed25519'] = sig
                r = self.hook(None, None, body=body, headers=h)
                self.assertRefused(r, 401, 'missing_signature' if sig == '' else
                                   'bad_signature')

    def test_stale_and_future_timestamps(self):
        now = int(time.time())
        for ts in (now - 301 - 5, now + 301 + 5, 0, now - 86400):
            with self.subTest(ts=ts - now):
                self.assertRefused(self.hook('message.finalized', self.payload, timestamp=ts),
                                   401, 'stale_timestamp')

    def test_timestamp_within_skew(self):
        r = self.hook('message.finalized', self.payload, timestamp=int(time.time()) - 250)
        self.assertEqual(r.status, 200, r.describe())

    def test_missing_headers(self):
        body = fake_telnyx.event('message.finalized', self.payload)
        h = fake_telnyx.sign(self.fake.webhook_key, body)
        for drop in ('telnyx-signature-ed25519', 'telnyx-timestamp'):
            with self.subTest(drop=drop):
                hh = {k: v for k, v in h.items() if k != drop}
                self.assertRefused(self.hook(None, None, body=body, headers=hh), 401,
                                   'missing_signature')
        self.assertRefused(self.hook(None, None, body=body, headers={}), 401,
                           'missing_signature')

    def test_unsigned_not_json_is_401_not_400(self):
        # The signature comes first: nothing is parsed before it is checked.
        self.assertRefused(self.hook(None, None, body=b'{not json', headers={}), 401,
                           'missing_signature')


class FrontLineTest(WebhookCase):
    def test_signed_but_not_json(self):
        for body in (b'{not json', b'[]', b'{"data": {}}', b'{"data": {"id": "x"}}', b''):
            with self.subTest(body=body):
                r = self.hook(None, None, body=body,
                              headers=fake_telnyx.sign(self.fake.webhook_key, body))
                self.assertSane(r)
                self.assertEqual(r.status, 400, r.describe())
                self.assertEqual(json.loads(r.body), {'error': {'code': 'not_an_event'}})

    def test_too_large(self):
        payload = fake_telnyx.message_payload(str(uuid.uuid4()), PHONE, 'delivered',
                                              text='x' * (64 * 1024))
        r = self.hook('message.finalized', payload)
        self.assertSane(r)
        self.assertEqual(r.status, 413, r.describe())
        self.assertEqual(self.count('message'), 0)

    def test_just_under_the_limit(self):
        body = fake_telnyx.event('message.finalized',
                                 fake_telnyx.message_payload(str(uuid.uuid4()), PHONE, 'sent'))
        body = body[:-1] + b', "pad": "' + b'x' * (64 * 1024 - len(body) - 11) + b'"}'
        self.assertEqual(len(body), 64 * 1024)
        r = self.hook(None, None, body=body)
        self.assertEqual(r.status, 200, r.describe())

    def test_other_methods(self):
        for method in ('GET', 'PUT', 'DELETE'):
            with self.subTest(method=method):
                r = self.site.webhook(b'', {}, method=method)
                self.assertSane(r)
                self.assertEqual(r.status, 405, r.describe())
                self.assertEqual(r.header('Allow'), 'POST')

    def test_no_public_key(self):
        self.site.configure({'TELNYX_PUBLIC_KEY': None})
        body = fake_telnyx.event('message.finalized',
                                 fake_telnyx.message_payload('m', PHONE, 'delivered'))
        r = self.hook(None, None, body=body)
        self.assertSane(r)
        self.assertEqual(r.status, 500, r.describe())
        self.assertIn('TELNYX_PUBLIC_KEY', r.stderr)

    def test_bad_public_key(self):
        for key in ('not base64', base64.b64encode(bytes(31)).decode(),
                    base64.b64encode(bytes(33)).decode()):
            with self.subTest(key=key):
                self.site.configure({'TELNYX_PUBLIC_KEY': key})
                r = self.hook('message.finalized',
                              fake_telnyx.message_payload('m', PHONE, 'delivered'))
                self.assertEqual(r.status, 500, r.describe())
                self.assertIn('TELNYX_PUBLIC_KEY', r.stderr)
                # The other programs refuse the config as well: the log names the key.
                r = self.site.get(REQUEST)
                self.assertEqual(r.status, 500, r.describe())
                self.assertIn('TELNYX_PUBLIC_KEY', r.stderr)

    def test_unused_event_types_are_ignored(self):
        for kind in ('message.received', 'call.initiated', 'number_order.complete',
                     'message.finalized'):
            with self.subTest(kind=kind):
                # A finalized event with a status Telnyx does not define is no receipt.
                status = 'webhook_delivered' if kind == 'message.finalized' else 'delivered'
                r = self.hook(kind, fake_telnyx.message_payload('m-' + kind, PHONE, status))
                self.assertEqual(r.status, 200, r.describe())
                self.assertEqual(json.loads(r.body), {'status': 'ignored'})
        self.assertEqual(self.count('message'), 0)


class ReceiptTest(WebhookCase):
    def test_replay_has_no_second_effect(self):
        _, mid = self.sent()
        eid = str(uuid.uuid4())
        r = self.hook('message.sent', fake_telnyx.message_payload(mid, PHONE, 'sent'), eid)
        self.assertEqual(json.loads(r.body), {'status': 'ok'})
        before = self.message(mid)
        # The same event again, and an event claiming the same id with other
        # content: taken once, whatever it says the second time.
        for status in ('sent', 'delivered'):
            r = self.hook('message.finalized', fake_telnyx.message_payload(mid, PHONE, status),
                          eid)
            self.assertEqual(r.status, 200, r.describe())
            self.assertEqual(json.loads(r.body), {'status': 'duplicate'})
        self.assertEqual(self.message(mid), before)
        self.assertNotIn('event=delivery', r.stderr)

    def test_out_of_order(self):
        _, mid = self.sent()
        steps = [('message.finalized', 'delivered'), ('message.sent', 'sent'),
                 ('message.sent', 'sending'), ('message.sent', 'queued'),
                 ('message.finalized', 'delivery_failed')]
        for kind, status in steps:
            errors = [fake_telnyx.FINAL_ERRORS[status]] if status in fake_telnyx.FINAL_ERRORS \
                else []
            r = self.hook(kind, fake_telnyx.message_payload(mid, PHONE, status, errors=errors))
            self.assertEqual(r.status, 200, r.describe())
        m = self.message(mid)
        # The first final state stays: nothing earlier, nor another final one, replaces it.
        self.assertEqual((m['status'], m['stage'], m['error_code']), ('delivered', 4, ''))

    def test_states_move_forward(self):
        _, mid = self.sent()
        for status, stage in (('queued', 1), ('sending', 2), ('sent', 3),
                              ('delivery_failed', 4)):
            errors = [fake_telnyx.FINAL_ERRORS[status]] if status in fake_telnyx.FINAL_ERRORS \
                else []
            self.hook('message.finalized',
                      fake_telnyx.message_payload(mid, PHONE, status, errors=errors))
            m = self.message(mid)
            self.assertEqual((m['status'], m['stage']), (status, stage))
        self.assertEqual(m['error_code'], '40008')

    def test_receipt_before_the_send_is_recorded(self):
        # Telnyx can post message.sent before request.cgi has written the id down.
        mid = str(uuid.uuid4())
        r = self.hook('message.sent', fake_telnyx.message_payload(mid, PHONE, 'sent'))
        self.assertEqual(r.status, 200, r.describe())
        m = self.message(mid)
        self.assertEqual((m['vid'], m['phone'], m['status']), ('', PHONE, 'sent'))

    def test_cost_forms(self):
        for cost, micros in (('0.0051', 5100), ('1', 1000000), ('0.00000149', 1),
                             ('12.5', 12500000), ('-1', None), ('1e3', None), ('', None),
                             ('9999999', None)):
            with self.subTest(cost=cost):
                mid = str(uuid.uuid4())
                self.hook('message.finalized',
                          fake_telnyx.message_payload(mid, PHONE, 'delivered', cost=cost))
                self.assertEqual(self.message(mid)['cost_micros'], micros)

    def test_two_hundred_parallel_webhooks(self):
        """200 receipts for 200 messages at once: no update lost."""
        mids = [str(uuid.uuid4()) for _ in range(200)]
        # The database, made by the programs.
        self.hook('message.sent', fake_telnyx.message_payload(str(uuid.uuid4()), PHONE, 'sent'))
        self.site.sql_many("INSERT INTO message (id, vid, phone, sent_at, updated) "
                           "VALUES (?, '', ?, ?, ?)",
                           [(m, PHONE, int(time.time()), int(time.time())) for m in mids])

        def one(mid):
            return self.hook('message.finalized',
                             fake_telnyx.message_payload(mid, PHONE, 'delivered'))

        with ThreadPoolExecutor(max_workers=40) as pool:
            results = list(pool.map(one, mids))
        bad = [r.describe() for r in results if r.status != 200]
        self.assertEqual(bad, [])
        got = dict(self.site.sql('SELECT status, count(*) FROM message WHERE id IN (%s) '
                                 'GROUP BY status' % ','.join('?' * len(mids)), mids))
        self.assertEqual(got, {'delivered': 200})
        self.assertEqual(self.site.sql('SELECT count(*) FROM webhook_event'), [(201,)])


class VisitorTest(WebhookCase):
    """The code form shows what Telnyx reported of the text."""

    extra_keys = {'RESEND_AFTER': '30'}

    def report(self, mid, status):
        errors = [fake_telnyx.FINAL_ERRORS[status]] if status in fake_telnyx.FINAL_ERRORS else []
        r = self.hook('message.finalized',
                      fake_telnyx.message_payload(mid, PHONE, status, errors=errors))
        self.assertEqual(r.status, 200, r.describe())

    def page(self, vid):
        return self.site.get(VERIFY, cookie='otp_vid=' + vid)

    def test_unknown_before_any_webhook(self):
        r, _ = self.sent()
        self.assertEqual(self.delivery(r.vid), 'unknown')
        p = self.page(r.vid)
        self.assertIn('data-delivery="unknown"', p.text)
        self.assertNotIn('id="undelivered"', p.text)
        self.assertIn('We sent a code', p.text)

    def test_each_state(self):
        for i, status in enumerate(('queued', 'sending', 'sent', 'delivered',
                                    'delivery_unconfirmed', 'delivery_failed', 'sending_failed',
                                    'expired')):
            with self.subTest(status=status):
                phone = '+120255501%02d' % (50 + i)
                r, mid = self.sent(phone)
                self.report(mid, status)
                self.assertEqual(self.delivery(r.vid), status)
                p = self.page(r.vid)
                self.assertStatus(p, 200, 'verify')
                self.assertIn('data-delivery="%s"' % status, p.text)
                failed = status in ('delivery_failed', 'sending_failed', 'expired')
                self.assertEqual('id="undelivered"' in p.text, failed, p.describe())
                self.assertEqual('id="resend-form"' in p.text, failed)
                self.assertEqual('We sent a code' in p.text, not failed)
                self.assertEqual('id="delivered"' in p.text, status == 'delivered')
                if failed:
                    self.assertRegex(p.text, r'could not be delivered to\s*<bdi dir="ltr"><strong '
                                     r'id="masked-phone">[^<]*%s</strong>' % phone[-2:])
                    self.assertNotIn(phone[2:], p.text)

    def test_failed_text_offers_a_new_code_at_once(self):
        r, mid = self.sent()
        self.report(mid, 'delivery_failed')
        p = self.page(r.vid)
        forms = re.findall(r'<form id="resend-form" method="post" action="request.cgi">(.*?)'
                           r'</form>', p.text, re.S)
        self.assertEqual(len(forms), 1, p.describe())
        # The form's fields: the verification and resend, no number.
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">',
                                 forms[0]))
        self.assertEqual(fields, {'verification_id': r.vid, 'resend': '1'})
        self.assertNotIn(PHONE[2:], p.text)
        # RESEND_AFTER=30 would refuse a second code now: a failed text does not count.
        again = self.site.post(REQUEST,
                               'verification_id=%s&resend=1' % r.vid, cookie='otp_vid=' + r.vid)
        self.assertStatus(again, 200, 'verify')
        self.assertEqual(again.vid, r.vid)
        self.assertEqual(len(self.fake.messages_to(PHONE)), 2)
        self.assertEqual(self.delivery(r.vid), 'unknown')  # the new text: no report yet
        # The new code works; the stored number was used, never shown.
        code = self.fake.code_for(PHONE)
        ok = self.site.verify(code, vid=r.vid, cookie_vid=r.vid)
        self.assertStatus(ok, 200, 'success')

    def test_resend_within_cooldown_after_delivery_is_refused(self):
        r, mid = self.sent()
        self.report(mid, 'delivered')
        again = self.site.post(REQUEST,
                               'verification_id=%s&resend=1' % r.vid, cookie='otp_vid=' + r.vid)
        self.assertEqual(again.status, 429, again.describe())
        self.assertIn('limit=RESEND_AFTER', again.stderr)
        self.assertEqual(len(self.fake.messages_to(PHONE)), 1)

    def test_failed_texts_still_count_against_the_limits(self):
        self.site.configure(dict(self.site.keys, PHONE_SEND_LIMIT='2'))
        r, mid = self.sent()
        self.report(mid, 'delivery_failed')
        again = self.site.post(REQUEST,
                               'verification_id=%s&resend=1' % r.vid, cookie='otp_vid=' + r.vid)
        self.assertStatus(again, 200, 'verify')
        self.report(self.message_id(again.vid), 'delivery_failed')
        third = self.site.post(REQUEST,
                               'verification_id=%s&resend=1' % r.vid, cookie='otp_vid=' + r.vid)
        self.assertEqual(third.status, 429, third.describe())
        self.assertIn('limit=PHONE_SEND_LIMIT', third.stderr)

    def test_resend_without_a_verification(self):
        for body in ('resend=1', 'resend=1&verification_id=' + 'a' * 32):
            with self.subTest(body=body):
                r = self.site.post(REQUEST, body)
                self.assertEqual(r.status, 400, r.describe())
                self.assertEqual(r.page, 'error')
        self.assertEqual(self.fake.messages, [])

    def test_wrong_code_page_shows_the_failure_too(self):
        r, mid = self.sent()
        self.report(mid, 'expired')
        w = self.site.verify('0000' if self.fake.code_for(PHONE) != '0000' else '1111',
                             vid=r.vid, cookie_vid=r.vid)
        self.assertEqual(w.status, 422, w.describe())
        self.assertIn('id="undelivered"', w.text)
        self.assertIn('data-delivery="expired"', w.text)


class FakePostsTest(WebhookCase):
    """The whole way round: the fake posts its receipts to WEBHOOK_URL."""

    final_status = 'delivery_failed'
    auto_receipts = True

    def test_receipts_arrive_and_show(self):
        r = self.site.request(PHONE)
        self.assertStatus(r, 200, 'verify')
        msg = self.fake.messages[-1]['json']
        self.assertEqual(msg.get('webhook_url'), self.gateway.url)
        self.assertTrue(self.fake.wait_webhooks(2), self.fake.webhook_posts)
        kinds = [p['event_type'] for p in self.fake.accepted_webhooks()]
        self.assertEqual(kinds, ['message.sent', 'message.finalized'])
        self.assertEqual(self.delivery(r.vid), 'delivery_failed')
        self.assertIn('undelivered', self.site.all_output())

    def test_store_down_is_503_and_telnyx_tries_again(self):
        r = self.site.request(PHONE)
        self.assertStatus(r, 200, 'verify')
        self.assertTrue(self.fake.wait_webhooks(2))
        mid = self.message_id(r.vid)
        body = fake_telnyx.event('message.finalized',
                                 fake_telnyx.message_payload(mid, PHONE, 'delivered'))
        # A file of a newer schema: the programs refuse to touch it.
        self.site.set_schema_version(99)
        del self.fake.webhook_posts[:]
        self.assertEqual(self.fake.deliver(self.gateway.url, body, 'message.finalized', mid), 503)
        self.assertEqual([(p['attempt'], p['status']) for p in self.fake.webhook_posts],
                         [(1, 503), (2, 503), (3, 503)])
        self.assertEqual(self.message(mid)['status'], 'delivery_failed')
        # Back: the same event is taken then, once.
        self.site.set_schema_version(store_db.LATEST)
        self.assertEqual(self.fake.deliver(self.gateway.url, body, 'message.finalized', mid), 200)
        self.assertEqual(self.message(mid)['status'], 'delivery_failed')  # final stays final
        self.assertEqual(self.fake.deliver(self.gateway.url, body, 'message.finalized', mid), 200)
        self.assertEqual(json.loads(self.gateway.responses[-1].body), {'status': 'duplicate'})

    def test_no_webhook_url_uses_the_profile(self):
        self.site.configure(dict(self.site.keys, WEBHOOK_URL=None))
        self.fake.profile_webhook_url = self.gateway.url
        r = self.site.request(PHONE)
        self.assertNotIn('webhook_url', self.fake.messages[-1]['json'])
        self.assertTrue(self.fake.wait_webhooks(2))
        self.assertEqual(self.delivery(r.vid), 'delivery_failed')


class ConfigTest(CGITestCase):
    def test_webhook_url_values(self):
        for url, ok in (('https://example.com/cgi-bin/webhook.cgi', True),
                        ('http://127.0.0.1:8080/cgi-bin/webhook.cgi', True),
                        ('http://example.com/cgi-bin/webhook.cgi', False),
                        ('https://example.com', False), ('ftp://example.com/x', False),
                        ('https://example.com/a b', False), ('webhook.cgi', False)):
            with self.subTest(url=url):
                self.site.configure({'WEBHOOK_URL': url})
                r = self.site.get(REQUEST)
                self.assertEqual(r.status, 200 if ok else 500, r.describe())
                if not ok:
                    self.assertIn('WEBHOOK_URL', r.stderr)


if __name__ == '__main__':
    unittest.main()
