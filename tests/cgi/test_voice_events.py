"""Issue 25: a call's events to webhook.cgi, recorded on the call, and
what the call is told next.

A call is found by its client_state (a token made for it alone) and only
when the event's call_control_id is the call's: signed like every
webhook (Ed25519), taken once (data.id), never moving a call back, and an
event of another call, even of the same verification, or for no call of
ours changes nothing.  A person on the line (the answering machine
detection's verdict) hears a fresh code, digit by digit, twice, in the
verification's language, which then verifies; a machine gets no code
(the call ends); every action posted to the fake Telnyx is checked
against the Call Control spec.  (request.cgi does not place calls yet:
each test writes the call's row as it will.)"""

import json
import re
import time
import urllib.request
import uuid
from pathlib import Path

import fake_telnyx
from harness import CGITestCase, WebhookGateway

PHONE = '+12025550143'
STATE = 'q83vEjRWeJCrze8SNFZ4kA=='
OTHER = 'AAAAAAAAAAAAAAAAAAAAAA=='


class CallSite(CGITestCase):
    """A site that offers calls, a verification, and its call's row."""

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
                             'TOKEN_ALPHABET': 'digits', 'TOKEN_LENGTH': '6',
                             'LANGUAGES': 'en,fr'})
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

    def actions(self):
        """(action, body) of each action on a call the fake took, in order."""
        out = []
        for c in self.fake.calls:
            self.assertEqual(c['problems'], [], c['path'])
            out.append((c['path'].rsplit('/', 1)[-1], c['json']))
        return out


class CallEvents(CallSite):
    """Events posted one by one, as a test says."""

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

    def test_a_person_hears_a_fresh_code_that_verifies(self):
        text_code = self.fake.code_for(PHONE)
        self.assertAnswer(self.hook('call.answered', 'v3:one'), 200, 'ok')
        self.assertEqual(self.actions(), [])  # the machine's verdict first
        eid = str(uuid.uuid4())
        r = self.hook('call.machine.detection.ended', 'v3:one', event_id=eid, result='human')
        self.assertAnswer(r, 200, 'ok')
        (action, body), = self.actions()
        self.assertEqual(action, 'speak')
        self.assertEqual(self.fake.calls[0]['path'], '/v2/calls/v3:one/actions/speak')
        self.assertEqual((body['client_state'], body['command_id']), (STATE, eid))
        self.assertEqual((body['voice'], body['language']), ('female', 'en-US'))
        spoken = re.findall(r'(?:\d, ){5}\d', body['payload'])
        self.assertEqual(len(spoken), 2, body['payload'])
        self.assertEqual(spoken[0], spoken[1])
        code = spoken[0].replace(', ', '')
        # Neither the code nor the words are in the log.
        self.assertNotIn(code, r.stderr)
        self.assertNotIn(spoken[0], r.stderr)
        # Said: the call ends.
        self.assertAnswer(self.hook('call.speak.ended', 'v3:one'), 200, 'ok')
        self.assertEqual([a for a, _ in self.actions()], ['speak', 'hangup'])
        # The spoken code verifies (the texted one stays good until it expires).
        self.assertNotEqual(code, text_code)
        r = self.site.verify(code, vid=self.vid)
        self.assertStatus(r, 200, 'success')

    def test_the_code_is_spoken_in_the_verifications_language(self):
        # As a visitor who asked in French has it.
        self.site.sql("UPDATE verification SET lang = 'fr' WHERE id = ?", (self.vid,))
        self.hook('call.machine.detection.ended', 'v3:one', result='human')
        (action, body), = self.actions()
        self.assertEqual(body['language'], 'fr-FR')
        self.assertIn('Je répète', body['payload'])

    def test_a_machine_gets_no_code(self):
        self.assertAnswer(self.hook('call.machine.detection.ended', 'v3:one', result='machine'),
                          200, 'ok')
        self.assertEqual([a for a, _ in self.actions()], ['hangup'])
        self.assertEqual(self.call(), ('v3:one', 'detected', 4, 'machine'))

    def test_not_sure_gets_no_code_but_may_be_asked(self):
        self.hook('call.machine.detection.ended', 'v3:one', result='not_sure')
        self.assertEqual([a for a, _ in self.actions()], ['hangup'])
        self.site.sql('UPDATE voice_call SET stage = 1')
        self.site.configure(dict(self.site.keys, VOICE_MODE='confirm'))
        self.hook('call.machine.detection.ended', 'v3:one', result='not_sure')
        self.assertEqual([a for a, _ in self.actions()], ['hangup', 'gather_using_speak'])

    def test_a_replayed_verdict_speaks_once(self):
        eid = str(uuid.uuid4())
        self.hook('call.machine.detection.ended', 'v3:one', event_id=eid, result='human')
        self.assertAnswer(self.hook('call.machine.detection.ended', 'v3:one', event_id=eid,
                                    result='human'), 200, 'duplicate')
        self.hook('call.machine.detection.ended', 'v3:one', result='human')
        self.assertEqual([a for a, _ in self.actions()], ['speak'])

    def test_a_dead_verification_gets_no_code(self):
        self.site.sql("UPDATE verification SET status = 'locked'")
        self.hook('call.machine.detection.ended', 'v3:one', result='human')
        self.assertEqual([a for a, _ in self.actions()], ['hangup'])

    def test_confirm_mode_asks_for_a_1(self):
        self.site.configure(dict(self.site.keys, VOICE_MODE='confirm'))
        self.hook('call.machine.detection.ended', 'v3:one', result='human')
        (action, body), = self.actions()
        self.assertEqual(action, 'gather_using_speak')
        self.assertEqual(body['valid_digits'], '1')
        self.assertIn('press 1', body['payload'])
        # A wrong key: nothing approved, the call ends.
        self.hook('call.gather.ended', 'v3:one', digits='2', status='valid')
        self.assertEqual([a for a, _ in self.actions()], ['gather_using_speak', 'hangup'])
        r = self.site.verify(None, vid=self.vid)
        self.assertNotEqual(r.status, 200, r.describe())

    def test_confirm_mode_asks_nothing_for_a_dead_verification(self):
        self.site.configure(dict(self.site.keys, VOICE_MODE='confirm'))
        self.site.sql("UPDATE verification SET status = 'used'")
        self.hook('call.machine.detection.ended', 'v3:one', result='human')
        self.assertEqual([a for a, _ in self.actions()], ['hangup'])

    def test_confirm_mode_in_the_verifications_language(self):
        self.site.configure(dict(self.site.keys, VOICE_MODE='confirm'))
        self.site.sql("UPDATE verification SET lang = 'fr' WHERE id = ?", (self.vid,))
        self.hook('call.machine.detection.ended', 'v3:one', result='human')
        (action, body), = self.actions()
        self.assertEqual((body['language'], body['invalid_payload']),
                         ('fr-FR', 'Appuyez sur 1 pour confirmer.'))

    def test_confirm_mode_a_1_approves(self):
        self.site.configure(dict(self.site.keys, VOICE_MODE='confirm'))
        self.hook('call.machine.detection.ended', 'v3:one', result='human')
        r = self.hook('call.gather.ended', 'v3:one', digits='1', status='valid')
        self.assertAnswer(r, 200, 'ok')
        self.assertEqual([a for a, _ in self.actions()], ['gather_using_speak', 'hangup'])
        # Nothing to type: the visitor's page goes through, once.
        r = self.site.verify(None, vid=self.vid)
        self.assertStatus(r, 200, 'success')
        r = self.site.verify(None, vid=self.vid)
        self.assertNotEqual(r.status, 200, r.describe())

    def test_a_1_in_code_mode_approves_nothing(self):
        self.hook('call.machine.detection.ended', 'v3:one', result='human')
        self.hook('call.gather.ended', 'v3:one', digits='1', status='valid')
        r = self.site.verify(None, vid=self.vid)
        self.assertNotEqual(r.status, 200, r.describe())

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


class CallLife(CallSite):
    """The fake Telnyx plays a call's whole life: its events signed and
    posted to webhook.cgi through a gateway, each action answered by the
    next event, as Telnyx would."""

    def place(self):
        """POST /v2/calls to the fake, as request.cgi's call row will."""
        body = json.loads((Path(__file__).resolve().parents[1] / 'data' /
                           'telnyx-call-body.json').read_text())
        body.update(to=PHONE, client_state=STATE, webhook_url=self.gateway.url)
        req = urllib.request.Request(self.fake.url + '/v2/calls', data=json.dumps(body).encode(),
                                     headers={'Authorization': 'Bearer KEY',
                                              'Content-Type': 'application/json'})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(req, timeout=10) as r:
            return json.loads(r.read())['data']['call_control_id']

    def life(self, events):
        self.fake.auto_receipts = True
        call_id = self.place()
        self.assertTrue(self.fake.wait_webhooks(events, timeout=30),
                        [w['event_type'] for w in self.fake.webhook_posts])
        return call_id

    def test_a_person_hears_the_code_and_the_call_ends(self):
        call_id = self.life(5)  # initiated, answered, human, speak.ended, hangup
        self.assertEqual([a for a, _ in self.actions()], ['calls', 'speak', 'hangup'])
        self.assertEqual(self.call(), (call_id, 'hangup', 6, 'normal_clearing'))
        spoken = re.findall(r'(?:\d, ){5}\d', self.fake.calls[1]['json']['payload'])
        r = self.site.verify(spoken[0].replace(', ', ''), vid=self.vid)
        self.assertStatus(r, 200, 'success')

    def test_a_machine_hears_nothing(self):
        self.fake.call_life = 'machine'
        call_id = self.life(4)  # initiated, answered, machine, hangup
        self.assertEqual([a for a, _ in self.actions()], ['calls', 'hangup'])
        # The machine's verdict stays the cause over the hang-up that
        # follows: it is what the visitor's page says of the call.
        self.assertEqual(self.call(), (call_id, 'hangup', 6, 'machine'))

    def test_no_answer_and_busy(self):
        for life, cause in (('no_answer', 'timeout'), ('busy', 'user_busy')):
            with self.subTest(life=life):
                self.site.sql('UPDATE voice_call SET call_id = ?, stage = 1, status = ?',
                              ('', 'placed'))
                self.fake.call_life = life
                n = len(self.fake.accepted_webhooks())
                call_id = self.life(n + 2)
                self.assertEqual(self.call(), (call_id, 'hangup', 6, cause))
        self.assertEqual([a for a, _ in self.actions()], ['calls', 'calls'])

    def test_a_hang_up_mid_way(self):
        self.fake.call_life = 'hangup_midway'
        call_id = self.life(3)  # initiated, answered, hangup: no verdict came
        self.assertEqual([a for a, _ in self.actions()], ['calls'])
        self.assertEqual(self.call(), (call_id, 'hangup', 6, 'normal_clearing'))
        # The texted code is as it was.
        r = self.site.verify(self.fake.code_for(PHONE), vid=self.vid)
        self.assertStatus(r, 200, 'success')

    def test_confirm_by_pressing_1(self):
        self.site.configure(dict(self.site.keys, VOICE_MODE='confirm'))
        self.life(5)  # initiated, answered, human, gather.ended, hangup
        self.assertEqual([a for a, _ in self.actions()],
                         ['calls', 'gather_using_speak', 'hangup'])
        r = self.site.verify(None, vid=self.vid)
        self.assertStatus(r, 200, 'success')

    def test_confirm_with_a_wrong_key(self):
        self.site.configure(dict(self.site.keys, VOICE_MODE='confirm'))
        self.fake.call_digits = '9'
        self.life(5)
        self.assertEqual([a for a, _ in self.actions()],
                         ['calls', 'gather_using_speak', 'hangup'])
        r = self.site.verify(None, vid=self.vid)
        self.assertNotEqual(r.status, 200, r.describe())
