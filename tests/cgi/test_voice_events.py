"""Issue 25: a call's events to webhook.cgi, recorded on the call.

A call is found by its client_state (a token made for it alone) and only
when the event's call_control_id is the call's: signed like every
webhook (Ed25519), taken once (data.id), never moving a call back, and an
event of another call, even of the same verification, or for no call of
ours changes nothing.  (What the call then does, speaking the code or
asking for a 1, comes next; here the record it will decide by.)"""

import time
import uuid

import fake_telnyx
from harness import CGITestCase, WebhookGateway

PHONE = '+12025550143'
STATE = 'q83vEjRWeJCrze8SNFZ4kA=='
OTHER = 'AAAAAAAAAAAAAAAAAAAAAA=='


class CallEvents(CGITestCase):
    def setUp(self):
        super().setUp()
        self.fake.enable_webhooks()
        self.fake.auto_receipts = False
        self.gateway = WebhookGateway(self.site)
        self.addCleanup(self.gateway.stop)
        self.site.configure({'TELNYX_PUBLIC_KEY': self.fake.public_key,
                             'WEBHOOK_URL': self.gateway.url,
                             'CHANNELS': 'sms,voice',
                             'VOICE_CONNECTION_ID': '1494404757140276705'})
        # A verification, and a call placed for it (request.cgi does not
        # place calls yet: the row as it will write it).
        r = self.site.request(PHONE)
        self.assertStatus(r, 200, 'verify')
        self.vid = r.vid
        now = int(time.time())
        self.site.sql('INSERT INTO voice_call (state, vid, phone, created, updated) '
                      'VALUES (?, ?, ?, ?, ?)', (STATE, self.vid, PHONE, now, now))

    def hook(self, event_type, call_id, state=STATE, event_id=None, key=None, **extra):
        body = fake_telnyx.event(event_type, fake_telnyx.call_payload(call_id, state, **extra),
                                 event_id)
        return self.site.webhook(body, fake_telnyx.sign(key or self.fake.webhook_key, body))

    def call(self):
        rows = self.site.sql('SELECT call_id, status, stage, cause FROM voice_call '
                             'WHERE state = ?', (STATE,))
        return rows[0]

    def assertAnswer(self, r, status, word):
        self.assertEqual(r.status, status, r.describe())
        self.assertIn(word.encode(), r.body)

    def test_a_call_moves_forward_with_its_events(self):
        self.assertAnswer(self.hook('call.initiated', 'v3:one'), 200, 'ok')
        self.assertEqual(self.call(), ('v3:one', 'initiated', 2, ''))
        self.assertAnswer(self.hook('call.answered', 'v3:one'), 200, 'ok')
        self.assertAnswer(self.hook('call.machine.detection.ended', 'v3:one', result='human'),
                          200, 'ok')
        self.assertEqual(self.call(), ('v3:one', 'detected', 4, 'human'))
        r = self.hook('call.hangup', 'v3:one', hangup_cause='normal_clearing')
        self.assertAnswer(r, 200, 'ok')
        self.assertEqual(self.call(), ('v3:one', 'hangup', 6, 'normal_clearing'))
        self.assertRegex(r.stderr, r'event=call phone=\+12\*+43 .*event=call.hangup')
        # Nothing of the call's ids or state in the log.
        self.assertNotIn(STATE, r.stderr)

    def test_replays_and_late_events_change_nothing(self):
        eid = str(uuid.uuid4())
        self.assertAnswer(self.hook('call.answered', 'v3:one', event_id=eid), 200, 'ok')
        self.assertAnswer(self.hook('call.answered', 'v3:one', event_id=eid), 200, 'duplicate')
        self.assertAnswer(self.hook('call.hangup', 'v3:one', hangup_cause='timeout'), 200, 'ok')
        self.assertAnswer(self.hook('call.initiated', 'v3:one'), 200, 'ignored')
        self.assertAnswer(self.hook('call.answered', 'v3:one'), 200, 'ignored')
        self.assertEqual(self.call(), ('v3:one', 'hangup', 6, 'timeout'))

    def test_another_calls_events_change_nothing(self):
        self.assertAnswer(self.hook('call.initiated', 'v3:one'), 200, 'ok')
        # The same client_state with another call's id: not this call.
        self.assertAnswer(self.hook('call.hangup', 'v3:two', hangup_cause='busy'), 200,
                          'ignored')
        # A state of no call of ours, or no token at all.
        self.assertAnswer(self.hook('call.hangup', 'v3:one', state=OTHER), 200, 'ignored')
        self.assertAnswer(self.hook('call.hangup', 'v3:one', state='aGF2ZSBhIG5pY2UgZGF5ID1d'),
                          200, 'ignored')
        self.assertAnswer(self.hook('call.hangup', 'v3:one', state=None), 200, 'ignored')
        self.assertEqual(self.call(), ('v3:one', 'initiated', 2, ''))

    def test_unsigned_or_forged_events_are_refused(self):
        other_key, _ = fake_telnyx.make_key()
        r = self.hook('call.hangup', 'v3:one', key=other_key, hangup_cause='busy')
        self.assertEqual(r.status, 401, r.describe())
        self.assertEqual(self.call(), ('', 'placed', 1, ''))

    def test_without_voice_the_events_are_ignored(self):
        self.site.configure({'TELNYX_PUBLIC_KEY': self.fake.public_key,
                             'WEBHOOK_URL': self.gateway.url})
        self.assertAnswer(self.hook('call.answered', 'v3:one'), 200, 'ignored')
        self.assertEqual(self.call(), ('', 'placed', 1, ''))
