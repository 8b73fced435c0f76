"""
Issue 25 through the real web servers: a visitor with a landline, refused
for texts, is offered a call (the phone form's #alt-voice), request.cgi
places it with the fake Telnyx, the fake plays the call's life and posts
its signed events to webhook.cgi through the server, and the verification
is approved: VOICE_MODE=code, the code spoken to the person who answers
typed into the code form; VOICE_MODE=confirm, a 1 pressed on the call, then
"I have pressed 1" on call.html.  A call nobody answers: the code page
says so and offers "Call me again" and a text.  Apache (mod_cgid and
mod_fcgid) and lighttpd (mod_cgi and mod_fastcgi).
"""

import html.parser
import json
import re
import time
import unittest

import harness
from webcase import ServerCase

# A London fixed line (+44 20 7946 0xxx, Ofcom's drama range): a landline
# as libphonenumber types it, which ALLOWED_LINE_TYPES' default refuses.
LANDLINE_TYPED = "+44 20 7946 %04d"
LANDLINE_E164 = "+44207946%04d"
CALL_WAIT = 30  # seconds for a call's events to come through the server
JSON = {"Accept": "application/json"}


class Forms(html.parser.HTMLParser):
    """{form id: {input name: value}} of a page's forms, and the ids of
    every element."""

    def __init__(self, text):
        super().__init__()
        self.forms = {}
        self.ids = set()
        self._form = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "form":
            self._form = self.forms.setdefault(a.get("id") or "", {})
        elif tag == "input" and self._form is not None and a.get("name"):
            self._form[a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def body_attr(text, name):
    m = re.search(r'<body[^>]*\s%s="([^"]*)"' % name, text)
    return m.group(1) if m else None


def spoken_code(payload):
    """The code a speak action says, digit by digit and twice
    ("1, 2, 3, 4, 5, 6 ... 1, 2, 3, 4, 5, 6"), as a string of digits."""
    said = re.findall(r"\d(?:, \d)+", payload)
    assert len(said) == 2 and said[0] == said[1], payload
    return said[0].replace(", ", "")


class VoiceTests:
    settings = {"CHANNELS": "sms,voice", "VOICE_CONNECTION_ID": "1494404757140276705",
                "ALLOWED_COUNTRY_CODES": "+1,+44", "VOICE_COUNTRY_CODES": "+1,+44",
                "TOKEN_ALPHABET": "digits", "TOKEN_LENGTH": "6"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake.enable_webhooks()
        cls.hook_url = cls.server.url(cls.prefix + "webhook.cgi")
        cls.site.base_settings.update({"TELNYX_PUBLIC_KEY": cls.fake.public_key,
                                       "WEBHOOK_URL": cls.hook_url})

    def setUp(self):
        super().setUp()
        self.fake.auto_receipts = True
        self.fake.call_life = "human"
        self.fake.call_digits = "1"

    # -- helpers ---------------------------------------------------------

    def new_calls(self, before, phone):
        """The calls placed (POST /v2/calls) to phone since the fake had
        `before` calls and actions."""
        return [c for c in self.fake.calls[before:]
                if c["path"] == "/v2/calls" and (c["json"] or {}).get("to") == phone]

    def actions(self, call_id):
        """The actions (speak, hangup ...) the programs took on call_id."""
        prefix = "/v2/calls/%s/actions/" % call_id
        return [(c["path"][len(prefix):], c["json"]) for c in self.fake.calls
                if c["path"].startswith(prefix)]

    def wait_events(self, call_id, want=("call.hangup",), timeout=CALL_WAIT):
        """Poll (bounded) until webhook.cgi, through the server, took each
        of the call's events `want`; return the event types it took, in
        the order their answers came."""
        deadline = time.monotonic() + timeout
        while True:
            took = [p["event_type"] for p in self.fake.accepted_webhooks()
                    if p["message_id"] == call_id]
            if set(want) <= set(took) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        refused = [(p["event_type"], p["status"]) for p in self.fake.webhook_posts
                   if p["message_id"] == call_id and not 200 <= p["status"] < 300]
        self.assertEqual(refused, [], self.logs())
        self.assertLessEqual(set(want), set(took), self.logs())
        return took

    def call_a_landline(self, client, n):
        """Type landline n: refused for texts, the form offers a call;
        take it.  Returns (the answer to the call's form, the call placed)."""
        phone = LANDLINE_E164 % n
        r = client.post(self.path("request.cgi"), {"phone": LANDLINE_TYPED % n})
        self.assertStatus(r, 400, "index")
        self.assertEqual(self.fake.messages_to(phone), [])
        forms = Forms(r.text)
        self.assertIn("alt-voice-button", forms.ids, r.text)
        alt = forms.forms.get("alt-voice")
        self.assertEqual((alt or {}).get("channel"), "voice", r.text)
        before = len(self.fake.calls)
        r = client.post(self.path("request.cgi"), alt)
        self.assertEqual(r.status, 200, "%r%s" % (r, self.logs()))
        self.assertTrue(self.fake.wait_calls(before + 1), self.logs())
        placed = self.new_calls(before, phone)
        self.assertEqual(len(placed), 1, self.fake.calls[before:])
        call = placed[0]
        self.assertEqual(call["problems"], [])
        self.assertEqual(call["json"].get("webhook_url"), self.hook_url)
        self.assertTrue(call["call_control_id"])
        return r, call

    # -- tests -----------------------------------------------------------

    def test_code_mode_the_spoken_code_verifies(self):
        c = self.client()
        r, call = self.call_a_landline(c, 101)
        self.assertEqual(r.page(), "verify", r)
        self.assertEqual(body_attr(r.text, "data-call"), "ringing", r.text)
        self.assertIn("We are calling", r.text)
        # The code comes by the call: no word of a text message.
        self.assertIn("6 characters, as said on the call.", r.text)
        self.assertIn("No call?", r.text)
        self.assertNotIn("text message", r.text)
        took = self.wait_events(call["call_control_id"])
        # In the order their answers came: webhook.cgi answers speak.ended
        # after it asked for the hang-up, whose event may be taken first.
        self.assertCountEqual(took, ["call.initiated", "call.answered",
                                     "call.machine.detection.ended", "call.speak.ended",
                                     "call.hangup"])
        acts = self.actions(call["call_control_id"])
        self.assertEqual([a for a, _ in acts], ["speak", "hangup"], self.logs())
        code = spoken_code(acts[0][1]["payload"])
        self.assertNotIn(code, r.text)
        self.assertStatus(self.verify(c, code), 200, "success")

    def test_confirm_mode_pressing_1_approves(self):
        self.site.write_config(VOICE_MODE="confirm")
        c = self.client()
        r, call = self.call_a_landline(c, 102)
        self.assertEqual(r.page(), "call", r)
        pressed = Forms(r.text).forms.get("pressed-form")
        self.assertIsNotNone(pressed, r.text)
        self.assertIn("pressed", Forms(r.text).ids)
        # The 1 taken (the verification approved) and the call ended.
        self.wait_events(call["call_control_id"], ("call.gather.ended", "call.hangup"))
        self.assertEqual([a for a, _ in self.actions(call["call_control_id"])],
                         ["gather_using_speak", "hangup"], self.logs())
        r = c.post(self.path("verify.cgi"), pressed)
        self.assertStatus(r, 200, "success")
        # Once: the same button again approves nothing more.
        again = c.post(self.path("verify.cgi"), pressed)
        self.assertNotEqual(again.page(), "success", again)

    def test_confirm_mode_the_button_before_the_1_approves_nothing(self):
        self.site.write_config(VOICE_MODE="confirm")
        self.fake.call_digits = "9"
        c = self.client()
        r, call = self.call_a_landline(c, 103)
        pressed = Forms(r.text).forms["pressed-form"]
        self.wait_events(call["call_control_id"], ("call.gather.ended", "call.hangup"))
        r = c.post(self.path("verify.cgi"), pressed)
        self.assertNotEqual(r.page(), "success", r)

    def test_no_answer_offers_a_call_again_and_a_text(self):
        # No cooldown here: "Call me again" at once (RESEND_AFTER has its own tests).
        self.site.write_config(RESEND_AFTER=0)
        self.fake.call_life = "no_answer"
        c = self.client()
        r, call = self.call_a_landline(c, 104)
        self.assertEqual(self.wait_events(call["call_control_id"]),
                         ["call.initiated", "call.hangup"])
        page = c.get(self.path("verify.cgi"))
        self.assertStatus(page, 200, "verify")
        forms = Forms(page.text)
        for id_ in ("call-ended", "call-again"):
            self.assertIn(id_, forms.ids, page.text)
        # A fixed line takes no text: none is offered (request.cgi would refuse it).
        self.assertNotIn("text-me", forms.ids, page.text)
        self.assertEqual(body_attr(page.text, "data-call"), "no_answer")
        self.assertRegex(page.text, r'id="call-ended"[^>]*>\s*<p>Nobody answered the call\.</p>')
        # Call me again: a second call, answered this time, whose code verifies.
        self.fake.call_life = "human"
        before = len(self.fake.calls)
        r = c.post(self.path("request.cgi"), forms.forms["call-again-form"])
        self.assertStatus(r, 200, "verify")
        self.assertTrue(self.fake.wait_calls(before + 1))
        again, = self.new_calls(before, LANDLINE_E164 % 104)
        self.wait_events(again["call_control_id"])
        code = spoken_code(self.actions(again["call_control_id"])[0][1]["payload"])
        self.assertStatus(self.verify(c, code), 200, "success")

    def test_a_busy_line_and_a_machine_say_so(self):
        for n, life, fate, words in ((105, "busy", "busy", "The line was busy."),
                                     (106, "machine", "machine", "An answering machine took the call")):
            with self.subTest(life=life):
                self.fake.call_life = life
                c = self.client()
                r, call = self.call_a_landline(c, n)
                self.wait_events(call["call_control_id"])
                page = c.get(self.path("verify.cgi"))
                self.assertStatus(page, 200, "verify")
                self.assertEqual(body_attr(page.text, "data-call"), fate)
                self.assertRegex(page.text, r'id="call-ended"[^>]*>\s*<p>%s' % re.escape(words))
                self.assertIn("call-again", Forms(page.text).ids)
                # Nothing was said to the machine.
                self.assertNotIn("speak", [a for a, _ in self.actions(call["call_control_id"])])

    def test_json_both_modes(self):
        """The same through the JSON API: a landline's refusal offers a
        call, channel=voice places it, the call's fate, the approval."""
        for n, mode in ((107, "code"), (108, "confirm")):
            with self.subTest(mode=mode):
                self.site.write_config(VOICE_MODE=mode)
                c = self.client()
                phone = LANDLINE_TYPED % n
                r = c.post(self.path("request.cgi"), {"phone": phone}, headers=JSON)
                self.assertStatus(r, 400)
                err = json.loads(r.body)["error"]
                self.assertEqual((err["code"], err.get("alternatives")),
                                 ("line_type_not_allowed", ["voice"]))
                before = len(self.fake.calls)
                r = c.post(self.path("request.cgi"), {"phone": phone, "channel": "voice"},
                           headers=JSON)
                self.assertStatus(r, 200)
                got = json.loads(r.body)
                self.assertEqual((got["status"], got["channel"], got["mode"], got["call"]),
                                 ("pending", "voice", mode, "ringing"), got)
                self.assertTrue(self.fake.wait_calls(before + 1), self.logs())
                call, = self.new_calls(before, LANDLINE_E164 % n)
                if mode == "code":
                    self.wait_events(call["call_control_id"])
                    r = c.get(self.path("verify.cgi"), headers=JSON)
                    self.assertEqual(json.loads(r.body).get("call"), "done", r.text)
                    code = spoken_code(self.actions(call["call_control_id"])[0][1]["payload"])
                    r = c.post(self.path("verify.cgi"),
                               {"verification_id": got["verification_id"], "token": code},
                               headers=JSON)
                else:
                    self.wait_events(call["call_control_id"], ("call.gather.ended", "call.hangup"))
                    r = c.post(self.path("verify.cgi"),
                               {"verification_id": got["verification_id"]}, headers=JSON)
                self.assertStatus(r, 200)
                self.assertEqual(json.loads(r.body)["status"], "approved", r.text)

    def test_a_texted_code_page_offers_a_call(self):
        # A mobile gets its text; "Call me instead" places a call to it.
        c = self.client()
        r, texted = self.request_code(c, "(202) 555-0171", "+12025550171")
        forms = Forms(r.text)
        self.assertIn("call-form", forms.forms, r.text)
        before = len(self.fake.calls)
        r = c.post(self.path("request.cgi"), forms.forms["call-form"])
        self.assertStatus(r, 200, "verify")
        self.assertTrue(self.fake.wait_calls(before + 1), self.logs())
        call, = self.new_calls(before, "+12025550171")
        self.wait_events(call["call_control_id"])
        code = spoken_code(self.actions(call["call_control_id"])[0][1]["payload"])
        self.assertStatus(self.verify(c, code), 200, "success")


class ApacheVoice(VoiceTests, ServerCase):
    server_class = harness.Apache


class LighttpdVoice(VoiceTests, ServerCase):
    server_class = harness.Lighttpd


class LighttpdFastCGIVoice(VoiceTests, ServerCase):
    server_class = harness.LighttpdFastCGI


class ApacheFcgidVoice(VoiceTests, ServerCase):
    server_class = harness.ApacheFcgid


if __name__ == "__main__":
    unittest.main()
