"""
The base of the web tests: a TestCase class that, once per class, starts a
fake Telnyx, deploys the programs (harness.Site) with a config pointing at
it, and starts one web server; and the steps of the flow as helpers.
Every process it starts is stopped by class cleanups, also on failure.
"""

import os
import shutil
import time
import unittest

import harness
from fake_telnyx import FakeTelnyx

PHONE_TYPED = "(202) 555-0143"
PHONE_E164 = "+12025550143"


def wrong_code(code):
    """A code of the same shape that is not code."""
    first = "1" if code[0] == "0" else "0"
    return first + code[1:]


class ServerCase(unittest.TestCase):
    """Subclasses set server_class (harness.Apache, harness.Lighttpd, ...)
    and may set layout, prefix and settings."""

    server_class = None
    layout = "system"
    prefix = harness.EXAMPLE_URL
    settings = {}

    @classmethod
    def setUpClass(cls):
        if cls.server_class is None:
            raise unittest.SkipTest("base class")
        binary = harness.LIGHTTPD if issubclass(cls.server_class, harness.Lighttpd) else harness.APACHE
        harness.need(binary, cls.server_class.name)
        harness.need_programs()
        cls.fake = FakeTelnyx(mode="ok").start()
        cls.addClassCleanup(cls.fake.stop)
        cls.tmp = harness.temp_root("otp-%s-" % cls.server_class.name)
        if not os.environ.get("OTP_KEEP_TMP"):
            cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        settings = {"SMS_TRANSPORT": "telnyx", "API_BASE_URL": cls.fake.url}
        settings.update(cls.settings)
        cls.site = harness.Site(cls.tmp, settings, layout=cls.layout)
        cls.server = cls.server_class(cls.site)
        cls.addClassCleanup(cls.server.stop)
        cls.server.start()

    def setUp(self):
        # Each test starts from the class's config and a fake that answers.
        self.site.write_config()
        self.fake.mode = "ok"

    # -- helpers ---------------------------------------------------------

    def path(self, name):
        return self.prefix + name

    def client(self, **k):
        return harness.Client(self.server, **k)

    def logs(self):
        return "\n" + self.server.logs()

    def assertStatus(self, resp, status, page=None):
        self.assertEqual(resp.status, status, "%r%s" % (resp, self.logs()))
        if page is not None:
            self.assertEqual(resp.page(), page, "%r" % resp)

    def request_code(self, client, phone=PHONE_TYPED, e164=PHONE_E164, status=200):
        """POST the phone; return (response, code sent to e164)."""
        before = len(self.fake.messages_to(e164))
        r = client.post(self.path("request.cgi"), {"phone": phone})
        self.assertStatus(r, status, "verify" if status == 200 else None)
        code = None
        if status == 200:
            msgs = self.fake.messages_to(e164)
            self.assertEqual(len(msgs), before + 1, "one SMS to %s expected: %r" % (e164, msgs))
            code = self.fake.code_for(e164)
            self.assertTrue(code, "no code in %r" % msgs[-1].get("text"))
            self.assertNotIn(code, r.text, "the verify page shows the code")
        return r, code

    def verify(self, client, token, vid=None):
        data = {"token": token}
        if vid is not None:
            data["verification_id"] = vid
        return client.post(self.path("verify.cgi"), data)

    def sleep_past_ttl(self, ttl):
        # Codes are stamped in whole seconds: ttl + 1.2 s is past any expiry.
        time.sleep(ttl + 1.2)
