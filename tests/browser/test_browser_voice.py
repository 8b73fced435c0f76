"""
Issue 25 in a real browser: a visitor with a landline verifies by a call.
Headless Chromium against the programs behind lighttpd (and Apache), the
fake Telnyx playing each call's life and posting its signed events to
webhook.cgi through the server (tests/browser/test_browser.py's
BrowserCase: the same Chromium, the same checks).

The visitor types a London fixed line, which ALLOWED_LINE_TYPES' default
refuses for texts: the phone form comes back with "Call me" (#alt-voice).
VOICE_MODE=code: the code page says "We are calling ..." (data-call
ringing), the person who answers hears a code (the fake's speak action),
types it, sees the success page.  VOICE_MODE=confirm: call.html, a 1 on
the call (fake.call_digits), then "I have pressed 1" lands on the success
page.  A call nobody answers: the code page, reloaded, says so
(#call-ended) with "Call me again" and "Text me a code instead"; the call
again verifies.

axe-core checks the new pages (the phone form with #alt-voice, the code
page while calling, call.html, the call-ended state) in four languages,
Arabic among them: no WCAG 2.2 violation (A and AA).  Screenshots
tests/out/screenshots/voice-*.png.
"""

import re
import time
import unittest

from test_browser import (BrowserCase, By, LANGUAGES, WAIT, WebDriverWait, gone, harness,
                          lang_words)

# A London fixed line (+44 20 7946 0xxx, Ofcom's drama range): a landline
# as libphonenumber types it.
LANDLINE_TYPED = "+44 20 7946 %04d"
LANDLINE_E164 = "+44207946%04d"
CALL_WAIT = 30  # seconds for a call's events to come through the server
# The languages axe-core checks the pages in: right to left among them.
AXE_LANGUAGES = ("en", "fr", "de", "ar")


def spoken_code(payload):
    """The code a speak action says, digit by digit and twice
    ("1, 2, 3, 4, 5, 6 ... 1, 2, 3, 4, 5, 6"), as a string of digits."""
    said = re.findall(r"\d(?:, \d)+", payload)
    assert len(said) == 2 and said[0] == said[1], payload
    return said[0].replace(", ", "")


class VoiceFlow(BrowserCase):
    settings = {"CHANNELS": "sms,voice", "VOICE_CONNECTION_ID": "1494404757140276705",
                "ALLOWED_COUNTRY_CODES": "+1,+44", "VOICE_COUNTRY_CODES": "+1,+44",
                "TOKEN_ALPHABET": "digits", "TOKEN_LENGTH": "6"}
    shot_prefix = "voice-"
    # The screenshots and the axe-core checks in four languages: once
    # (here), not per server.
    full = True

    def setUp(self):
        super().setUp()
        # A call plays its life only while the fake posts its events.
        self.fake.auto_receipts = True
        self.fake.call_life = "human"
        self.fake.call_digits = "1"

    # -- helpers ---------------------------------------------------------

    def click(self, element_id):
        """Click the button element_id; wait for the next page."""
        d = self.driver
        body = d.find_element(By.TAG_NAME, "body")
        d.find_element(By.ID, element_id).click()
        WebDriverWait(d, WAIT).until(gone(body))
        WebDriverWait(d, WAIT).until(lambda d: d.execute_script("return document.readyState") == "complete")
        return self.page()

    def reload(self):
        d = self.driver
        d.get(self.url("verify.cgi"))
        WebDriverWait(d, WAIT).until(lambda d: d.execute_script("return document.readyState") == "complete")
        return self.page()

    def landline(self, n):
        """Type landline n: refused for texts, the phone form offers a call
        (#alt-voice), nothing sent."""
        d = self.driver
        d.get(self.url("request.cgi"))
        self.assertEqual(self.page(), "index")
        phone = d.find_element(By.ID, "phone")
        phone.clear()
        phone.send_keys(LANDLINE_TYPED % n)
        self.assertPage(self.submit(phone), "index")
        self.assertTrue(self.error_text(), self.context())
        button = d.find_element(By.ID, "alt-voice-button")
        self.assertTrue(button.is_displayed() and button.is_enabled(), self.context())
        # What the button does is said beside it, and read with it.
        self.assertEqual(button.get_attribute("aria-describedby"), "alt-voice-hint")
        self.assertTrue(d.find_element(By.ID, "alt-voice-hint").is_displayed())
        self.assertEqual(self.fake.messages_to(LANDLINE_E164 % n), [])

    def call(self, n, page):
        """Take the offered call (#alt-voice-button): the next page is
        `page`; return the call placed to landline n."""
        before = len(self.fake.calls)
        self.assertPage(self.click("alt-voice-button"), page)
        return self.placed(before, LANDLINE_E164 % n)

    def placed(self, before, phone):
        """The one call placed (POST /v2/calls) to phone since the fake
        had `before` calls and actions."""
        self.assertTrue(self.fake.wait_calls(before + 1), self.context())
        calls = [c for c in self.fake.calls[before:]
                 if c["path"] == "/v2/calls" and (c["json"] or {}).get("to") == phone]
        self.assertEqual(len(calls), 1, self.fake.calls[before:])
        self.assertEqual(calls[0]["problems"], [])
        self.assertTrue(calls[0]["call_control_id"])
        return calls[0]["call_control_id"]

    def wait_events(self, call_id, want=("call.hangup",), timeout=CALL_WAIT):
        """Poll (bounded) until webhook.cgi, through the server, took each
        of the call's events `want`, none refused; return the event types
        it took, in the order their answers came."""
        deadline = time.monotonic() + timeout
        while True:
            took = [p["event_type"] for p in self.fake.accepted_webhooks()
                    if p["message_id"] == call_id]
            if set(want) <= set(took) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        refused = [(p["event_type"], p["status"]) for p in self.fake.webhook_posts
                   if p["message_id"] == call_id and not 200 <= p["status"] < 300]
        self.assertEqual(refused, [], self.context())
        self.assertLessEqual(set(want), set(took), self.context())
        return took

    def heard(self, call_id):
        """The code spoken on call_id (its speak action)."""
        prefix = "/v2/calls/%s/actions/" % call_id
        speaks = [c["json"] for c in self.fake.calls if c["path"] == prefix + "speak"]
        self.assertEqual(len(speaks), 1, self.context())
        return spoken_code(speaks[0]["payload"])

    def shot(self, name):
        if self.full:
            self.shoot(name)

    # -- tests -----------------------------------------------------------

    def test_1_code_mode_type_the_spoken_code(self):
        d = self.driver
        self.landline(101)
        self.shot("1-index-alt-voice")
        call_id = self.call(101, "verify")
        body = d.find_element(By.TAG_NAME, "body")
        self.assertEqual(body.get_attribute("data-call"), "ringing", self.context())
        self.assertIn("We are calling", body.text)
        self.assertEqual(d.find_element(By.ID, "masked-phone").text[:3], "+44")
        self.shot("2-verify-calling")
        self.wait_events(call_id)
        code = self.heard(call_id)
        self.assertNotIn(code, d.page_source)
        self.assertPage(self.type_code(code), "success")
        self.shot("3-success")
        self.assert_local_only()
        self.assert_no_console_errors()

    def test_2_confirm_mode_press_the_button_after_the_1(self):
        d = self.driver
        self.site.write_config(VOICE_MODE="confirm")
        self.landline(102)
        call_id = self.call(102, "call")
        self.assertEqual(d.find_element(By.TAG_NAME, "h1").text, "Answer the call")
        pressed = d.find_element(By.ID, "pressed")
        self.assertEqual(pressed.text, "I have pressed 1")
        self.assertIsNotNone(pressed.find_element(By.XPATH, "./ancestor::form[@id='pressed-form']"))
        self.shot("4-call-confirm")
        # The 1 taken (the verification approved) and the call ended.
        self.wait_events(call_id, ("call.gather.ended", "call.hangup"))
        self.assertPage(self.click("pressed"), "success")
        self.assert_local_only()
        self.assert_no_console_errors()

    def test_3_no_answer_shows_call_me_again(self):
        d = self.driver
        self.fake.call_life = "no_answer"
        # "Call me again" at once: RESEND_AFTER has tests of its own.
        self.site.write_config(RESEND_AFTER=0)
        self.landline(103)
        call_id = self.call(103, "verify")
        self.assertEqual(self.wait_events(call_id), ["call.initiated", "call.hangup"])
        self.assertPage(self.reload(), "verify")
        ended = d.find_element(By.ID, "call-ended")
        self.assertTrue(ended.is_displayed())
        self.assertIn("Nobody answered the call.", ended.text)
        again = d.find_element(By.ID, "call-again")
        self.assertEqual(again.text, "Call me again")
        # A fixed line takes no text: none is offered.
        self.assertEqual(d.find_elements(By.ID, "text-me"), [])
        self.shot("5-verify-call-ended")
        # Called again, answered this time: the code it says verifies.
        self.fake.call_life = "human"
        before = len(self.fake.calls)
        self.assertPage(self.click("call-again"), "verify")
        call_id = self.placed(before, LANDLINE_E164 % 103)
        self.wait_events(call_id)
        self.assertPage(self.type_code(self.heard(call_id)), "success")
        self.assert_local_only()
        self.assert_no_console_errors()

    def test_4_accessible_in_four_languages(self):
        """axe-core on the phone form with #alt-voice, the code page while
        calling, the call-ended state and call.html, in en, fr, de and ar."""
        d = self.driver
        headers = dict(LANGUAGES)
        self.site.write_config(LANGUAGES=",".join(tag for tag, _ in LANGUAGES))
        self.addCleanup(self.accept_language, "en-US,en")
        for i, tag in enumerate(AXE_LANGUAGES):
            with self.subTest(lang=tag):
                w = lang_words(tag)
                d.delete_all_cookies()
                self.accept_language(headers[tag])
                n = 110 + 2 * i
                # Code mode, a call nobody answers.
                self.fake.call_life = "no_answer"
                self.site.write_config(LANGUAGES=",".join(t for t, _ in LANGUAGES), VOICE_MODE="code")
                self.landline(n)
                self.assert_language(tag, w, "phone form with a call")
                self.assertEqual(d.find_element(By.ID, "alt-voice-button").text, w["S_ALT_VOICE_BUTTON"])
                self.assert_accessible("%s: phone form with #alt-voice" % tag)
                call_id = self.call(n, "verify")
                self.assert_language(tag, w, "code page, calling")
                self.assertEqual(d.find_element(By.TAG_NAME, "body").get_attribute("data-call"), "ringing")
                self.assert_accessible("%s: code page, calling" % tag)
                self.wait_events(call_id)
                self.assertPage(self.reload(), "verify")
                self.assert_language(tag, w, "call ended")
                self.assertEqual(d.find_element(By.ID, "call-again").text, w["S_CALL_AGAIN"])
                self.assertEqual(d.find_element(By.ID, "token-hint").text,
                                 (w["S_CODE_HINT_CALL_1"] + "6" + w["S_CODE_HINT_CALL_2"]).strip())
                self.assert_accessible("%s: code page, the call ended" % tag)
                self.shoot("lang-%s-call-ended" % tag)
                # Confirm mode: call.html.
                self.fake.call_life = "human"
                self.site.write_config(LANGUAGES=",".join(t for t, _ in LANGUAGES), VOICE_MODE="confirm")
                d.delete_all_cookies()
                self.landline(n + 1)
                call_id = self.call(n + 1, "call")
                self.assert_language(tag, w, "call.html")
                self.assertEqual(d.find_element(By.TAG_NAME, "h1").text, w["S_CALL_TITLE"])
                self.assertEqual(d.find_element(By.ID, "pressed").text, w["S_CALL_PRESSED"])
                self.assert_accessible("%s: call.html" % tag)
                self.shoot("lang-%s-call" % tag)
                self.wait_events(call_id, ("call.gather.ended", "call.hangup"))
                self.assertPage(self.click("pressed"), "success")
                self.assert_language(tag, w, "success")
        self.assert_local_only()
        self.assert_no_console_errors()


class ApacheVoiceFlow(VoiceFlow):
    """The same through Apache (event MPM + mod_cgid)."""

    server_class = harness.Apache
    shot_prefix = "apache-voice-"
    full = False
    # The pages are the same: axe-core checks them once, behind lighttpd.
    test_4_accessible_in_four_languages = None


class LighttpdFastCGIVoiceFlow(VoiceFlow):
    """The same with the programs as FastCGI applications (lighttpd mod_fastcgi)."""

    server_class = harness.LighttpdFastCGI
    shot_prefix = "lighttpd-fastcgi-voice-"
    full = False
    # The pages are the same: axe-core checks them once, behind lighttpd.
    test_4_accessible_in_four_languages = None


if __name__ == "__main__":
    unittest.main()
