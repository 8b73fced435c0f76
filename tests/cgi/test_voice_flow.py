"""Issue 25, the voice flow as a visitor goes through it: request.cgi
places the call (channel=voice), the fake Telnyx plays its life through
webhook.cgi, and the visitor's pages and JSON say what became of it.

- A fixed line refused for texts is offered a call (400
  line_type_not_allowed with "alternatives":["voice"], the #alt-voice
  form), and the call is placed.
- VOICE_MODE=code: a person hears a code in the verification's language,
  and it verifies; the page then says the call is done.
- VOICE_MODE=confirm: "I have pressed 1" approves once the 1 came, not
  before, and never after a wrong key.
- A call not answered, busy or taken by a machine: the next page says so
  and offers "Call me again" and a text, which both work.
- A call answered and hung up before anything was said failed, and may
  be placed again; the code form shown again (a wrong code) still says
  what became of the call.
- "Call me instead" from a text's code page (after a wrong code too, and
  after a text Telnyx could not deliver): both codes live, each
  single-use; in confirm mode too.  Only where VOICE_COUNTRY_CODES and
  VOICE_LINE_TYPES let a call go.
- A call the provider refused: provider_error, nothing else killed, not
  counted against the number's day; VOICE_PHONE_LIMIT reached offers a
  text, on the page too.
- The call's pages in six languages, nothing of a text's words on them.
- A fixed line's call page offers no text (the ways a number may take
  are kept with its verification); a refused call holds back no text;
  with no VOICE_COUNTRY_CODES a US site calls the US, not all of +1."""

import html
import json
import re
import time
import unittest
import urllib.parse

from harness import CGITestCase, REQUEST, VERIFY, WebhookGateway, TEMPLATE_DIR

PHONE = '+12025550143'
# A fixed line of the site's country (GB): libphonenumber's FIXED_LINE
# (a US number of the same kind is FIXED_LINE_OR_MOBILE).
LANDLINE = '+442079460958'
JSON = {'HTTP_ACCEPT': 'application/json'}
LANGS = ('en', 'fr', 'de', 'es', 'pt', 'ar')
SPOKEN = re.compile(r'(?:\d, ){5}\d')


class VoiceFlowCase(CGITestCase):
    """A site that texts and calls (Telnyx, the fake), its webhooks through
    a gateway; the fake plays nothing until a test says so (live())."""

    keys = None

    def setUp(self):
        super().setUp()
        self.fake.enable_webhooks()
        self.fake.auto_receipts = False
        self.gateway = WebhookGateway(self.site)
        self.addCleanup(self.gateway.stop)
        self.configure()

    def configure(self, **more):
        keys = {'TELNYX_PUBLIC_KEY': self.fake.public_key, 'WEBHOOK_URL': self.gateway.url,
                'CHANNELS': 'sms,voice', 'VOICE_CONNECTION_ID': '1494404757140276705',
                'TOKEN_ALPHABET': 'digits', 'TOKEN_LENGTH': '6',
                'LANGUAGES': ','.join(LANGS)}
        keys.update(self.keys or {})
        keys.update(more)
        self.site.configure(keys)

    # --- steps ------------------------------------------------------------
    def call(self, phone=PHONE, lang=None, **kw):
        """POST request.cgi channel=voice for phone."""
        fields = {'channel': 'voice'}
        if lang is not None:
            fields['lang'] = lang
        return self.site.request(phone, extra_fields=fields, **kw)

    def resend(self, vid, channel, **kw):
        """The code page's "Call me instead" / "Text me instead" / "Call me
        again": POST request.cgi resend=1 with the verification."""
        body = urllib.parse.urlencode({'verification_id': vid, 'resend': '1',
                                       'channel': channel})
        return self.site.post(REQUEST, body, cookie='otp_vid=' + vid, **kw)

    def page(self, vid, **kw):
        return self.site.get(VERIFY, cookie='otp_vid=' + vid, **kw)

    def pressed(self, vid, **kw):
        """"I have pressed 1": POST verify.cgi without a token."""
        return self.site.verify(None, vid=vid, cookie_vid=vid, **kw)

    def placed(self):
        """The bodies of the calls placed (POST /v2/calls), in order."""
        return [c['json'] for c in self.fake.calls if c['path'] == '/v2/calls']

    def actions(self):
        return [c['path'].rsplit('/', 1)[-1] for c in self.fake.calls]

    def live(self, life='human', digits='1'):
        """The next call placed plays its life (the fake's call_life)."""
        self.fake.call_life = life
        self.fake.call_digits = digits
        self.fake.auto_receipts = True

    def wait_hangup(self, calls=1):
        """Wait until `calls` calls' call.hangup were taken by webhook.cgi."""
        def hangups():
            return sum(1 for w in self.fake.accepted_webhooks()
                       if w['event_type'] == 'call.hangup')
        deadline = time.monotonic() + 30
        while hangups() < calls and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(hangups(), calls, [w['event_type'] for w in self.fake.webhook_posts])

    def spoken(self, n=-1):
        """(code, speak body) of the n-th speak action."""
        speaks = [c['json'] for c in self.fake.calls if c['path'].endswith('/actions/speak')]
        self.assertTrue(speaks, self.actions())
        body = speaks[n]
        said = SPOKEN.findall(body['payload'])
        self.assertEqual(len(said), 2, body['payload'])
        return said[0].replace(', ', ''), body

    def row(self, vid):
        return self.site.sql('SELECT status, channel FROM verification WHERE id = ?', (vid,))[0]

    # --- checks -------------------------------------------------------------
    def assertJson(self, r, status):
        self.assertEqual(r.status, status, r.describe())
        self.assertTrue((r.header('Content-Type') or '').startswith('application/json'),
                        r.describe())
        return json.loads(r.body)

    def assertFate(self, r, word, page='verify', status=200):
        self.assertStatus(r, status, page)
        self.assertTrue('data-call="%s"' % word in r.text, r.describe())

    def form(self, r, form_id):
        """The hidden fields of form form_id of page r, or None."""
        m = re.search(r'<form id="%s"[^>]*>(.*?)</form>' % re.escape(form_id), r.text, re.S)
        if m is None:
            return None
        return dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">',
                               m.group(1)))


class LandlineTest(VoiceFlowCase):
    """A site of GB whose texts go to mobiles only (the default
    ALLOWED_LINE_TYPES): a fixed line is offered a call."""
    keys = {'COUNTRY_CODE': '+44', 'DEFAULT_REGION': 'GB'}

    def test_texts_refused_with_a_call_offered_json(self):
        r = self.site.request(LANDLINE, extra=JSON)
        err = self.assertJson(r, 400)['error']
        self.assertEqual((err['code'], err.get('alternatives')),
                         ('line_type_not_allowed', ['voice']), r.describe())
        self.assertIn('line_type=fixed_line', r.stderr)
        self.assertEqual(self.fake.messages, [])

    def test_texts_refused_with_a_call_offered_page(self):
        r = self.site.request('020 7946 0958')
        self.assertStatus(r, 400)
        fields = self.form(r, 'alt-voice')
        self.assertIsNotNone(fields, r.describe())
        self.assertIn('id="alt-voice-button"', r.text)
        self.assertEqual((fields['channel'], fields['phone']), ('voice', LANDLINE))
        # Pressed: the call is placed to the number.
        r = self.site.post(REQUEST, urllib.parse.urlencode(fields))
        self.assertStatus(r, 200, 'verify')
        self.assertIn('data-call="ringing"', r.text)
        self.assertEqual([b['to'] for b in self.placed()], [LANDLINE])

    def test_a_call_is_placed(self):
        r = self.call(LANDLINE, extra=JSON)
        j = self.assertJson(r, 200)
        self.assertEqual((j['status'], j['channel'], j['mode'], j['call']),
                         ('pending', 'voice', 'code', 'ringing'), j)
        self.assertEqual(j['verification_id'], r.cookie_vid)
        # No text for a fixed line: nothing else offered.
        self.assertNotIn('alternatives', j)
        (body,) = self.placed()
        self.assertEqual(body['to'], LANDLINE)
        self.assertEqual(self.fake.messages, [])
        self.assertEqual(self.row(j['verification_id']), ('pending', 'voice'))

    def test_a_call_that_ended_offers_no_text(self):
        """The page of a fixed line's call offers no text: the ways its
        number may take are judged whole when it is asked for (country,
        line type, region) and kept with the verification (ways)."""
        self.live('no_answer')
        r = self.call(LANDLINE)
        self.assertStatus(r, 200, 'verify')
        self.wait_hangup()
        p = self.page(r.vid)
        self.assertFate(p, 'no_answer')
        self.assertIsNone(self.form(p, 'text-form'), p.describe())

    def test_a_us_site_that_texts_mobiles_only(self):
        # North American numbers are fixed_line_or_mobile to libphonenumber:
        # a US site that texts mobiles only refuses them, and calls them.
        site = self.make_site(dict(self.site.keys, COUNTRY_CODE='+1', DEFAULT_REGION=None,
                                   ALLOWED_LINE_TYPES='mobile'))
        r = site.request('(201) 555-0123', extra=JSON)
        err = self.assertJson(r, 400)['error']
        self.assertEqual((err['code'], err.get('alternatives')),
                         ('line_type_not_allowed', ['voice']), r.describe())
        self.assertIn('line_type=fixed_line_or_mobile', r.stderr)
        r = site.request('+12015550123', extra_fields={'channel': 'voice'}, extra=JSON)
        self.assertEqual(self.assertJson(r, 200)['channel'], 'voice')
        self.assertEqual([b['to'] for b in self.placed()], ['+12015550123'])

    def test_a_us_site_calls_the_us_only(self):
        # +1 is also Jamaica's (+1 876) and the Dominican Republic's: with no
        # VOICE_COUNTRY_CODES a call goes to the site's own region, not to
        # its whole calling code (toll fraud earns in the Caribbean).
        site = self.make_site(dict(self.site.keys, COUNTRY_CODE='+1', DEFAULT_REGION=None))
        r = site.request('+1 876 234 5678', extra_fields={'channel': 'voice'}, extra=JSON)
        err = self.assertJson(r, 400)['error']
        self.assertEqual(err['code'], 'country_not_allowed', r.describe())
        self.assertEqual(self.placed(), [])
        # Its texts are not refused, and its code page offers no call.
        r = site.request('+1 876 234 5678', extra=JSON)
        j = self.assertJson(r, 200)
        self.assertNotIn('alternatives', j)
        # A site that lists +1876 calls it.
        site = self.make_site(dict(self.site.keys, COUNTRY_CODE='+1', DEFAULT_REGION=None,
                                   VOICE_COUNTRY_CODES='+1'))
        r = site.request('+1 876 234 5678', extra_fields={'channel': 'voice'}, extra=JSON)
        self.assertEqual(self.assertJson(r, 200)['channel'], 'voice', r.describe())
        self.assertEqual([b['to'] for b in self.placed()], ['+18762345678'])

    def test_without_voice_nothing_is_offered(self):
        site = self.make_site({'COUNTRY_CODE': '+44'})
        r = site.request(LANDLINE, extra=JSON)
        err = self.assertJson(r, 400)['error']
        self.assertEqual(err['code'], 'line_type_not_allowed')
        self.assertNotIn('alternatives', err)
        r = site.request(LANDLINE)
        self.assertStatus(r, 400, 'index')
        self.assertIsNone(self.form(r, 'alt-voice'), r.describe())

    def test_nor_where_voice_line_types_leave_it_out(self):
        self.configure(VOICE_LINE_TYPES='mobile')
        err = self.assertJson(self.site.request(LANDLINE, extra=JSON), 400)['error']
        self.assertNotIn('alternatives', err)
        r = self.call(LANDLINE, extra=JSON)
        self.assertEqual(self.assertJson(r, 400)['error']['code'], 'line_type_not_allowed')
        self.assertEqual(self.placed(), [])


class CodeModeTest(VoiceFlowCase):
    def test_the_code_is_spoken_and_verifies(self):
        self.live('human')
        r = self.call(extra=JSON)
        j = self.assertJson(r, 200)
        self.assertEqual((j['channel'], j['mode'], j['call'], j['alternatives']),
                         ('voice', 'code', 'ringing', ['sms']))
        vid = j['verification_id']
        self.wait_hangup()
        self.assertEqual(self.actions(), ['calls', 'speak', 'hangup'])
        code, body = self.spoken()
        self.assertEqual(body['language'], 'en-US')
        # The page after the call: done, the form to type the code.
        p = self.page(vid)
        self.assertFate(p, 'done')
        self.assertIn('id="call-done"', p.text)
        self.assertNotIn('id="call-ended"', p.text)
        j = self.assertJson(self.page(vid, extra=JSON), 200)
        self.assertEqual((j['status'], j['call']), ('pending', 'done'))
        r = self.site.verify(code, vid=vid)
        self.assertStatus(r, 200, 'success')
        # Used once.
        self.assertEqual(self.site.verify(code, vid=vid).status, 410)

    def test_a_wrong_code_after_the_call(self):
        # The form again (422) still says what became of the call.
        self.live('human')
        r = self.call()
        self.wait_hangup()
        code, _ = self.spoken()
        wrong = '000000' if code != '000000' else '111111'
        w = self.site.verify(wrong, vid=r.vid)
        self.assertFate(w, 'done', 'verify', 422)
        self.assertIn('id="call-done"', w.text)
        self.assertNotIn('id="call-on"', w.text)
        self.assertIsNotNone(self.form(w, 'text-form'), w.describe())
        w = self.site.verify('', vid=r.vid)
        self.assertFate(w, 'done', 'verify', 400)
        self.assertStatus(self.site.verify(code, vid=r.vid), 200, 'success')

    def test_in_french(self):
        self.live('human')
        r = self.call(lang='fr')
        self.assertStatus(r, 200, 'verify')
        self.assertIn('Nous appelons le', r.text)
        self.wait_hangup()
        code, body = self.spoken()
        self.assertEqual(body['language'], 'fr-FR')
        self.assertIn('Je répète', body['payload'])
        self.assertStatus(self.site.verify(code, vid=r.vid), 200, 'success')

    def test_before_the_call_is_answered(self):
        r = self.call()
        self.assertStatus(r, 200, 'verify')
        self.assertIn('id="call-on"', r.text)
        self.assertIn('id="text-me"', r.text)
        self.assertNotIn('id="call-me"', r.text)
        # No code yet: nothing typed verifies.
        for guess in ('000000', '123456'):
            self.assertEqual(self.site.verify(guess, vid=r.vid).status, 422)


class ConfirmModeTest(VoiceFlowCase):
    keys = {'VOICE_MODE': 'confirm'}

    def test_a_1_approves(self):
        self.live('human', '1')
        r = self.call(extra=JSON)
        j = self.assertJson(r, 200)
        self.assertEqual((j['channel'], j['mode'], j['call']), ('voice', 'confirm', 'ringing'))
        vid = j['verification_id']
        self.wait_hangup()
        self.assertEqual(self.actions(), ['calls', 'gather_using_speak', 'hangup'])
        r = self.pressed(vid)
        self.assertStatus(r, 200, 'success')
        self.assertEqual(self.pressed(vid).status, 410)

    def test_the_page_after_the_1_is_success(self):
        # A page reloaded (GET verify.cgi) once the 1 came goes through.
        self.live('human', '1')
        r = self.call()
        self.wait_hangup()
        self.assertStatus(self.page(r.vid), 200, 'success')
        self.assertEqual(self.pressed(r.vid).status, 410)

    def test_text_me_instead(self):
        r = self.call()
        t = self.resend(r.vid, 'sms')
        self.assertStatus(t, 200, 'verify')
        self.assertIn('id="call-me"', t.text)
        self.assertStatus(self.site.verify(self.fake.code_for(PHONE), vid=r.vid), 200,
                          'success')

    def test_the_call_page(self):
        r = self.call()
        self.assertStatus(r, 200, 'call')
        self.assertIn('data-call="ringing"', r.text)
        self.assertEqual(self.form(r, 'pressed-form'), {'verification_id': r.vid})
        self.assertIn('id="text-me"', r.text)

    def test_pressed_before_the_1(self):
        r = self.call()
        vid = r.vid
        p = self.pressed(vid)
        self.assertStatus(p, 200, 'call')
        self.assertIn('id="error"', p.text)
        self.assertIn('pressed-form', p.text)
        j = self.assertJson(self.pressed(vid, extra=JSON), 200)
        self.assertEqual((j['status'], j['channel'], j['mode'], j['call']),
                         ('pending', 'voice', 'confirm', 'ringing'), j)
        # The GET of the page while the call rings.
        p = self.page(vid)
        self.assertStatus(p, 200, 'call')
        self.assertNotIn('id="error"', p.text)

    def test_pressed_after_nobody_answered(self):
        self.live('no_answer')
        r = self.call()
        self.wait_hangup()
        p = self.pressed(r.vid)
        self.assertFate(p, 'no_answer', 'call')
        self.assertIn('id="error"', p.text)
        self.assertIn('Nobody answered the call.', p.text)
        self.assertIsNotNone(self.form(p, 'call-again-form'), p.describe())
        self.assertIsNotNone(self.form(p, 'text-form'), p.describe())
        j = self.assertJson(self.pressed(r.vid, extra=JSON), 200)
        self.assertEqual((j['status'], j['call'], j['alternatives']),
                         ('pending', 'no_answer', ['sms']))

    def test_the_texted_code_verifies_after_call_me_instead(self):
        # A code is never asked for on a call here, but one texted before
        # ("Call me instead") lives on, as in code mode.
        r, vid, code = self.start_flow(PHONE)
        c = self.resend(vid, 'voice')
        self.assertStatus(c, 200, 'call')
        self.assertEqual(self.form(c, 'pressed-form'), {'verification_id': vid})
        self.assertStatus(self.site.verify(code, vid=vid), 200, 'success')
        self.assertEqual(self.pressed(vid).status, 410)

    def test_a_wrong_key_approves_nothing(self):
        self.live('human', '9')
        r = self.call()
        self.wait_hangup()
        p = self.pressed(r.vid)
        self.assertNotEqual(p.page, 'success', p.describe())
        j = self.assertJson(self.pressed(r.vid, extra=JSON), 200)
        self.assertEqual((j['status'], j['call']), ('pending', 'done'))


class CallFateTest(VoiceFlowCase):
    FATES = (('no_answer', 'no_answer', 'Nobody answered the call.'),
             ('busy', 'busy', 'The line was busy.'),
             ('machine', 'machine', 'An answering machine took the call'))

    def test_each_fate_on_the_next_page(self):
        for life, word, words in self.FATES:
            with self.subTest(life=life):
                phone = '+1202555%04d' % (200 + len(self.placed()))
                self.live(life)
                r = self.call(phone)
                self.assertStatus(r, 200, 'verify')
                self.wait_hangup(len(self.placed()))
                p = self.page(r.vid)
                self.assertFate(p, word)
                self.assertIn('id="call-ended"', p.text)
                self.assertTrue(words in p.text, p.describe())
                self.assertEqual(self.form(p, 'call-again-form'),
                                 {'verification_id': r.vid, 'resend': '1',
                                  'channel': 'voice'})
                self.assertEqual(self.form(p, 'text-form'),
                                 {'verification_id': r.vid, 'resend': '1', 'channel': 'sms'})
                j = self.assertJson(self.page(r.vid, extra=JSON), 200)
                self.assertEqual((j['status'], j['call'], j['alternatives']),
                                 ('pending', word, ['sms']))

    def test_a_hang_up_before_anything_was_said(self):
        # Answered, then hung up before the machine's verdict (a person who
        # heard silence): nothing was said, so the call failed and may be
        # placed again.
        self.live('hangup_midway')
        r = self.call()
        self.wait_hangup()
        p = self.page(r.vid)
        self.assertFate(p, 'failed')
        self.assertIn('The call could not be completed.', p.text)
        self.assertIsNotNone(self.form(p, 'call-again-form'), p.describe())
        j = self.assertJson(self.page(r.vid, extra=JSON), 200)
        self.assertEqual(j['call'], 'failed')

    def test_call_me_again(self):
        self.live('no_answer')
        r = self.call()
        self.wait_hangup()
        self.site.age_sends(30)  # RESEND_AFTER, between two calls
        self.live('human')
        again = self.resend(r.vid, 'voice')
        self.assertStatus(again, 200, 'verify')
        self.assertEqual(again.vid, r.vid)
        self.assertIn('data-call="ringing"', again.text)
        self.wait_hangup(2)
        self.assertEqual(len(self.placed()), 2)
        code, _ = self.spoken()
        self.assertStatus(self.site.verify(code, vid=r.vid), 200, 'success')

    def test_call_me_again_at_once_after_a_busy_line(self):
        # A call that ended undone holds back no "Call me again" (as a
        # text Telnyx could not deliver holds back no new text) ...
        self.live('busy')
        r = self.call()
        self.wait_hangup()
        again = self.resend(r.vid, 'voice', extra=JSON)
        self.assertEqual(self.assertJson(again, 200)['call'], 'ringing', again.describe())
        self.assertEqual(len(self.placed()), 2)

    def test_a_call_still_ringing_is_the_cooldown(self):
        # ... but one still ringing does: RESEND_AFTER between two calls.
        r = self.call()
        again = self.resend(r.vid, 'voice', extra=JSON)
        err = self.assertJson(again, 429)['error']
        self.assertEqual(err['kind'], 'cooldown')
        self.assertEqual(len(self.placed()), 1)

    def test_text_me_instead(self):
        self.live('machine')
        r = self.call()
        self.wait_hangup()
        t = self.resend(r.vid, 'sms')
        self.assertStatus(t, 200, 'verify')
        self.assertEqual(t.vid, r.vid)
        self.assertIn('data-call="none"', t.text)
        self.assertIn('id="call-me"', t.text)
        code = self.fake.code_for(PHONE)
        self.assertIsNotNone(code)
        self.assertStatus(self.site.verify(code, vid=r.vid), 200, 'success')


class CallInsteadTest(VoiceFlowCase):
    def text(self):
        r, vid, code = self.start_flow(PHONE)
        return r, vid, code

    def test_the_code_page_offers_a_call(self):
        r, vid, _ = self.text()
        self.assertEqual(self.form(r, 'call-form'),
                         {'verification_id': vid, 'resend': '1', 'channel': 'voice'})
        self.assertIn('id="call-me"', r.text)
        self.assertNotIn('id="text-me"', r.text)
        self.assertIn('data-call="none"', r.text)
        j = self.assertJson(self.page(vid, extra=JSON), 200)
        self.assertEqual(j['alternatives'], ['voice'])
        self.assertNotIn('call', j)

    def test_a_wrong_code_still_offers_a_call(self):
        r, vid, code = self.text()
        wrong = '000000' if code != '000000' else '111111'
        w = self.site.verify(wrong, vid=vid)
        self.assertStatus(w, 422, 'verify')
        self.assertEqual(self.form(w, 'call-form'),
                         {'verification_id': vid, 'resend': '1', 'channel': 'voice'})

    def test_the_texted_code_verifies_after_the_call_was_placed(self):
        r, vid, code = self.text()
        c = self.resend(vid, 'voice')
        self.assertStatus(c, 200, 'verify')
        self.assertEqual(c.vid, vid)
        self.assertEqual([b['to'] for b in self.placed()], [PHONE])
        self.assertIn('data-call="ringing"', c.text)
        self.assertStatus(self.site.verify(code, vid=vid), 200, 'success')

    def test_both_codes_live_each_kills_the_other(self):
        for first in ('text', 'call'):
            with self.subTest(first=first):
                phone = '+12025550%d' % (160 + len(self.placed()))
                r, vid, texted = self.start_flow(phone)
                self.live('human')
                c = self.resend(vid, 'voice')
                self.assertStatus(c, 200, 'verify')
                self.wait_hangup(len(self.placed()))
                said, _ = self.spoken()
                self.assertNotEqual(said, texted)
                one, other = (texted, said) if first == 'text' else (said, texted)
                self.assertStatus(self.site.verify(one, vid=vid), 200, 'success')
                self.assertEqual(self.site.verify(other, vid=vid).status, 410)
                self.fake.auto_receipts = False

    def test_an_undelivered_text_offers_a_call(self):
        # Telnyx reports the text: sent, then delivery_failed.
        self.fake.final_status = 'delivery_failed'
        self.fake.auto_receipts = True
        r, vid, _ = self.text()
        self.assertTrue(self.fake.wait_webhooks(2), self.fake.webhook_posts)
        p = self.page(vid)
        self.assertStatus(p, 200, 'verify')
        self.assertIn('data-delivery="delivery_failed"', p.text)
        self.assertIn('id="undelivered"', p.text)
        self.assertEqual(self.form(p, 'call-form'),
                         {'verification_id': vid, 'resend': '1', 'channel': 'voice'})
        c = self.resend(vid, 'voice')
        self.assertStatus(c, 200, 'verify')
        self.assertEqual(len(self.placed()), 1)


class OutsideVoiceTest(VoiceFlowCase):
    keys = {'ALLOWED_COUNTRY_CODES': '+1,+44'}

    def test_no_call_outside_voice_country_codes(self):
        # VOICE_COUNTRY_CODES defaults to COUNTRY_CODE's country (+1).
        r, vid, code = self.start_flow('+447911123456')
        self.assertIsNone(self.form(r, 'call-form'), r.describe())
        j = self.assertJson(self.page(vid, extra=JSON), 200)
        self.assertNotIn('alternatives', j)
        c = self.resend(vid, 'voice', extra=JSON)
        self.assertEqual(self.assertJson(c, 400)['error']['code'], 'country_not_allowed')
        self.assertEqual(self.placed(), [])
        self.assertStatus(self.site.verify(code, vid=vid), 200, 'success')


class OutboxTest(VoiceFlowCase):
    def test_a_call_written_down(self):
        site = self.make_site({'CHANNELS': 'sms,voice'}, transport='outbox')
        r = site.request(PHONE, extra_fields={'channel': 'voice'}, extra=JSON)
        j = self.assertJson(r, 200)
        self.assertEqual((j['channel'], j['call']), ('voice', 'ringing'))
        (line,) = site.outbox()
        self.assertEqual((line['to'], line['from'], line['call']), (PHONE, '+15550001111', True))
        self.assertEqual(site.sql('SELECT state FROM voice_call'), [(line['client_state'],)])


class RefusedCallTest(VoiceFlowCase):
    def test_provider_error_kills_nothing_else(self):
        r, vid, code = self.start_flow(PHONE)
        self.fake.call_mode = 'status:422'
        c = self.resend(vid, 'voice', extra=JSON)
        err = self.assertJson(c, 502)['error']
        self.assertEqual(err['code'], 'provider_error', c.describe())
        self.assertEqual(len(self.placed()), 1)
        # The texted code still verifies.
        self.assertStatus(self.site.verify(code, vid=vid), 200, 'success')

    def test_a_refused_call_leaves_the_numbers_day(self):
        self.configure(PHONE_DAILY_LIMIT='1')
        self.fake.call_mode = 'status:422'
        self.assertEqual(self.call().status, 502)
        self.fake.call_mode = 'ok'
        self.site.age_sends(30)  # the asker's cooldown: see the test below
        r, vid, code = self.start_flow(PHONE)
        self.assertStatus(self.site.verify(code, vid=vid), 200, 'success')

    def test_a_refused_call_holds_back_no_text(self):
        """A refused call is kept as 'refused_call' (UNSEND), in the calls'
        cooldown and not the texts': "Text me a code instead" goes at
        once."""
        self.fake.call_mode = 'status:422'
        self.assertEqual(self.call().status, 502)
        self.fake.call_mode = 'ok'
        self.start_flow(PHONE)

    def test_a_refused_call_is_not_counted(self):
        self.configure(VOICE_PHONE_LIMIT='1')
        self.fake.call_mode = 'status:403'
        r = self.call(extra=JSON)
        self.assertEqual(self.assertJson(r, 502)['error']['code'], 'provider_error')
        self.fake.call_mode = 'ok'
        self.site.age_sends(30)  # the cooldown is the asker's
        r = self.call(extra=JSON)
        j = self.assertJson(r, 200)
        self.assertEqual((j['channel'], j['call']), ('voice', 'ringing'))
        # The limit is there: a second call that went out is refused.
        self.site.age_sends(30)
        r = self.call(extra=JSON)
        err = self.assertJson(r, 429)['error']
        self.assertEqual(err['kind'], 'phone', r.describe())
        self.assertEqual(err.get('alternatives'), ['sms'])

    def test_voice_phone_limit_offers_a_text_on_the_page(self):
        self.configure(VOICE_PHONE_LIMIT='1')
        r = self.call()
        self.site.age_sends(30)
        again = self.resend(r.vid, 'voice')
        self.assertStatus(again, 429, 'error')
        fields = self.form(again, 'alt-sms')
        self.assertEqual(fields, {'lang': 'en', 'channel': 'sms', 'verification_id': r.vid,
                                  'resend': '1'}, again.describe())
        self.assertIn('id="alt-sms-button"', again.text)
        t = self.site.post(REQUEST, urllib.parse.urlencode(fields), cookie='otp_vid=' + r.vid)
        self.assertStatus(t, 200, 'verify')
        self.assertEqual(len(self.fake.messages_to(PHONE)), 1)
        self.assertStatus(self.site.verify(self.fake.code_for(PHONE), vid=r.vid), 200, 'success')

    def test_voice_phone_limit_with_the_number_typed(self):
        self.configure(VOICE_PHONE_LIMIT='1')
        self.assertStatus(self.call(), 200, 'verify')
        again = self.call(PHONE, remote_addr='10.9.0.1')
        self.assertStatus(again, 429, 'error')
        self.assertEqual(self.form(again, 'alt-sms'),
                         {'lang': 'en', 'channel': 'sms', 'phone': PHONE}, again.describe())



def lang_words(lang):
    """{KEY: words} of templates/lang/<lang>.conf."""
    out = {}
    for line in (TEMPLATE_DIR / 'lang' / ('%s.conf' % lang)).read_text().splitlines():
        m = re.match(r"""^([A-Z0-9_]+)=(?:'(.*)'|"(.*)")\s*$""", line)
        if m:
            out[m.group(1)] = m.group(2) if m.group(2) is not None else m.group(3)
    return out


class LanguagesTest(VoiceFlowCase):
    def assertWords(self, page, lang, keys):
        words = lang_words(lang)
        en = lang_words('en')
        text = html.unescape(page.text)
        for k in keys:
            self.assertIn(k, words, '%s.conf has no %s' % (lang, k))
            self.assertTrue(words[k].strip() in text,
                            '%s of %s missing' % (k, lang) + page.describe())
            if lang != 'en' and words[k] != en[k]:
                self.assertFalse(en[k].strip() in text,
                                 '%s in English on the %s page' % (k, lang) + page.describe())

    def test_the_call_pages(self):
        for i, lang in enumerate(LANGS):
            with self.subTest(lang=lang):
                phone = '+1202555%04d' % (300 + i)
                self.configure(VOICE_MODE='code')
                r = self.call(phone, lang=lang, remote_addr='10.1.%d.1' % i)
                self.assertStatus(r, 200, 'verify')
                self.assertIn('lang="%s"' % lang, r.text)
                self.assertWords(r, lang, ('S_CODE_TITLE', 'S_CALLING_1', 'S_CALLING_2',
                                           'S_CALL_ON', 'S_TEXT_ME', 'S_CODE_HINT_CALL_2',
                                           'S_NO_CALL'))
                # Nothing of a text on a call's page.
                text = html.unescape(r.text)
                words = lang_words(lang)
                for k, call_k in (('S_CODE_HINT_1', 'S_CODE_HINT_CALL_1'),
                                  ('S_CODE_HINT_2', 'S_CODE_HINT_CALL_2'),
                                  ('S_NO_TEXT', 'S_NO_CALL')):
                    w = words[k].strip()
                    if len(w) > 2 and w != words[call_k].strip():
                        self.assertTrue(w not in text, '%s on a call page' % k + r.describe())
                self.configure(VOICE_MODE='confirm')
                r = self.call('+1202555%04d' % (400 + i), lang=lang, remote_addr='10.2.%d.1' % i)
                self.assertStatus(r, 200, 'call')
                self.assertWords(r, lang, ('S_CALL_TITLE', 'S_CALL_CONFIRM_1',
                                           'S_CALL_CONFIRM_2', 'S_CALL_ON', 'S_CALL_PRESSED',
                                           'S_TEXT_ME'))

    def test_pressed_before_the_1(self):
        self.configure(VOICE_MODE='confirm')
        for i, lang in enumerate(LANGS):
            with self.subTest(lang=lang):
                r = self.call('+1202555%04d' % (600 + i), lang=lang, remote_addr='10.4.%d.1' % i)
                p = self.pressed(r.vid)
                self.assertStatus(p, 200, 'call')
                self.assertWords(p, lang, ('MESSAGE_CALL_NOT_YET', 'S_CALL_PRESSED'))

    def test_a_fixed_line_offered_a_call(self):
        self.configure(COUNTRY_CODE='+44', DEFAULT_REGION='GB')
        for i, lang in enumerate(LANGS):
            with self.subTest(lang=lang):
                r = self.site.request(LANDLINE, extra_fields={'lang': lang})
                self.assertStatus(r, 400, 'index')
                self.assertWords(r, lang, ('S_ALT_VOICE', 'S_ALT_VOICE_BUTTON'))

    def test_call_me_instead(self):
        for i, lang in enumerate(LANGS):
            with self.subTest(lang=lang):
                phone = '+1202555%04d' % (700 + i)
                r, vid, code = self.start_flow(phone, extra_fields={'lang': lang},
                                               remote_addr='10.5.%d.1' % i)
                self.assertWords(r, lang, ('S_CALL_ME',))

    def test_the_code_is_spoken_in_each(self):
        for i, lang in enumerate(LANGS):
            with self.subTest(lang=lang):
                phone = '+1202555%04d' % (800 + i)
                self.live('human')
                r = self.call(phone, lang=lang, remote_addr='10.6.%d.1' % i)
                self.assertStatus(r, 200, 'verify')
                self.wait_hangup(i + 1)
                for c in self.fake.calls:
                    self.assertEqual(c['problems'], [], c['path'])
                code, body = self.spoken()
                self.assertTrue(body['language'].lower().startswith(lang) or
                                (lang == 'ar' and body['language'] == 'arb'), body)
                self.assertStatus(self.site.verify(code, vid=r.vid), 200, 'success')

    def test_the_fates(self):
        for i, lang in enumerate(LANGS):
            with self.subTest(lang=lang):
                phone = '+1202555%04d' % (500 + i)
                self.live('no_answer')
                r = self.call(phone, lang=lang, remote_addr='10.3.%d.1' % i)
                self.wait_hangup(i + 1)
                p = self.page(r.vid)
                self.assertFate(p, 'no_answer')
                self.assertWords(p, lang, ('S_CALL_NO_ANSWER', 'S_CALL_AGAIN', 'S_TEXT_ME'))


if __name__ == '__main__':
    unittest.main()
