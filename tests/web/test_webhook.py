"""
Issue 11 through the real web servers, configured from their shipped
examples: Telnyx's signed webhooks reach webhook.cgi with their headers
(telnyx-signature-ed25519 and telnyx-timestamp become HTTP_TELNYX_...), the
fake posts its receipts for every message to WEBHOOK_URL and the visitor's
page shows them; a failed text offers a new code at once; and the whole
inbound flow: the page shows a code, the fake reports the visitor's text,
the page hands back the result.  Apache (mod_cgid and mod_fcgid) and
lighttpd (mod_cgi and mod_fastcgi).
"""

import json
import re
import time
import unittest

import fake_telnyx
import harness
from webcase import PHONE_E164, ServerCase

INBOUND = "+15550002222"
PHONE = "+12025550162"
JSON = {"Accept": "application/json"}


class WebhookTests:
    settings = {"CHANNELS": "sms,inbound", "INBOUND_NUMBER": INBOUND}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake.enable_webhooks()
        cls.hook_url = cls.server.url(cls.prefix + "webhook.cgi")
        cls.site.base_settings.update({"TELNYX_PUBLIC_KEY": cls.fake.public_key,
                                       "WEBHOOK_URL": cls.hook_url})

    def setUp(self):
        super().setUp()
        self.fake.final_status = "delivered"
        self.fake.auto_receipts = True
        with self.fake._cond:
            del self.fake.webhook_posts[:]

    def delivery(self, client):
        r = client.get(self.path("verify.cgi"), headers=JSON)
        self.assertStatus(r, 200)
        return json.loads(r.body).get("delivery")

    def wait_delivery(self, client, want, timeout=20):
        """The state the page shows once the receipts came (bounded)."""
        deadline = time.monotonic() + timeout
        got = None
        while time.monotonic() < deadline:
            got = self.delivery(client)
            if got == want:
                return got
            time.sleep(0.2)
        return got

    def test_receipts_reach_the_page(self):
        c = self.client()
        self.request_code(c, "(202) 555-0161", "+12025550161")
        self.assertEqual(self.fake.messages[-1]["json"].get("webhook_url"), self.hook_url)
        self.assertTrue(self.fake.wait_webhooks(2), self.fake.webhook_posts)
        self.assertEqual(self.wait_delivery(c, "delivered"), "delivered", self.logs())
        page = c.get(self.path("verify.cgi"))
        self.assertStatus(page, 200, "verify")
        self.assertIn('id="delivered"', page.text)

    def test_failed_text_and_a_new_code_at_once(self):
        self.fake.final_status = "delivery_failed"
        c = self.client()
        self.request_code(c, "(202) 555-0162", PHONE)
        self.assertTrue(self.fake.wait_webhooks(2), self.fake.webhook_posts)
        self.assertEqual(self.wait_delivery(c, "delivery_failed"), "delivery_failed")
        page = c.get(self.path("verify.cgi"))
        self.assertIn('id="undelivered"', page.text)
        vid = harness.parse_form(page.text).inputs["verification_id"]["value"]
        self.fake.auto_receipts = False
        before = len(self.fake.messages_to(PHONE))
        again = c.post(self.path("request.cgi"), {"verification_id": vid, "resend": "1"})
        self.assertStatus(again, 200, "verify")
        self.assertEqual(len(self.fake.messages_to(PHONE)), before + 1)
        code = self.fake.code_for(PHONE)
        self.assertStatus(self.verify(c, code), 200, "success")

    def test_signature_checked_through_the_server(self):
        body = fake_telnyx.event("message.finalized",
                                 fake_telnyx.message_payload("m-web", PHONE_E164, "delivered"))
        good = fake_telnyx.sign(self.fake.webhook_key, body)
        status, answer = fake_telnyx.post_webhook(self.hook_url, body, good)
        self.assertEqual(status, 200, answer)
        bad = dict(good, **{"telnyx-timestamp": str(int(good["telnyx-timestamp"]) + 1)})
        self.assertEqual(fake_telnyx.post_webhook(self.hook_url, body, bad)[0], 401)
        self.assertEqual(fake_telnyx.post_webhook(self.hook_url, body, {})[0], 401)
        big = b'{"data":"' + b"x" * (70 * 1024) + b'"}'
        self.assertEqual(
            fake_telnyx.post_webhook(self.hook_url, big, fake_telnyx.sign(self.fake.webhook_key,
                                                                          big))[0], 413)
        r = self.client().get(self.path("webhook.cgi"))
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header("Allow"), "POST")

    def test_inbound_flow(self):
        c = self.client()
        r = c.post(self.path("request.cgi"), {"phone": "(202) 555-0163", "channel": "inbound"})
        self.assertStatus(r, 200, "inbound")
        code = re.search(r'id="inbound-code"[^>]*>([^<]*)<', r.text).group(1)
        self.assertIn('href="sms:%s?body=%s"' % (INBOUND, code), r.text)
        self.assertEqual(self.fake.messages_to("+12025550163"), [])
        early = c.post(self.path("verify.cgi"), {"inbound_code": code})
        self.assertStatus(early, 200, "inbound")
        self.assertIn("not received your text yet", early.text)
        self.assertEqual(self.fake.send_inbound(self.hook_url, "+12025550163", INBOUND,
                                                "code %s" % code.lower()), 200)
        done = c.get(self.path("verify.cgi"))
        self.assertStatus(done, 200, "success")


class ApacheWebhooks(WebhookTests, ServerCase):
    server_class = harness.Apache


class LighttpdWebhooks(WebhookTests, ServerCase):
    server_class = harness.Lighttpd


class LighttpdFastCGIWebhooks(WebhookTests, ServerCase):
    server_class = harness.LighttpdFastCGI


class ApacheFcgidWebhooks(WebhookTests, ServerCase):
    server_class = harness.ApacheFcgid


if __name__ == "__main__":
    unittest.main()
