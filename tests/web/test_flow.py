"""
The whole flow over HTTP through Apache (event MPM + mod_cgid) and through
lighttpd (mod_cgi), each configured from its shipped example: request a
code, read it from the fake Telnyx, verify, and every status code of
DESIGN.md section 2 that a test can provoke comes through unchanged.
"""

import re
import socket
import unittest

import harness
from webcase import PHONE_E164, PHONE_TYPED, ServerCase, wrong_code


class FlowTests:
    """Mixed into one TestCase per server."""

    # -- pages -----------------------------------------------------------

    def test_get_request_shows_phone_form(self):
        r = self.client().get(self.path("request.cgi"))
        self.assertStatus(r, 200, "index")
        form = harness.parse_form(r.text)
        self.assertIn("phone", form.inputs)
        self.assertEqual(form.inputs["phone"].get("id"), "phone")
        self.assertTrue(r.header("Content-Type").startswith("text/html"), r.header("Content-Type"))

    def test_security_headers_come_through(self):
        r = self.client().get(self.path("request.cgi"))
        self.assertStatus(r, 200)
        self.assertTrue(r.header("Content-Security-Policy"), dict(r.headers))
        self.assertEqual((r.header("X-Content-Type-Options") or "").lower(), "nosniff")

    def test_get_verify_without_verification_is_a_page(self):
        r = self.client().get(self.path("verify.cgi"))
        self.assertStatus(r, 200)
        self.assertIsNotNone(r.page(), r)

    # -- the flow --------------------------------------------------------

    def test_flow_request_verify_replay(self):
        c = self.client()
        r, code = self.request_code(c)
        # The page names the number only masked.
        self.assertNotIn("2025550143", r.text)
        # The cookie as the server passed it on.
        cookies = [h for h in r.headers_all("Set-Cookie") if h.startswith("otp_vid=")]
        self.assertEqual(len(cookies), 1, r.headers_all("Set-Cookie"))
        attrs = [a.strip().lower() for a in cookies[0].split(";")[1:]]
        self.assertIn("httponly", attrs)
        self.assertIn("samesite=strict", attrs)
        self.assertIn("path=" + self.prefix.lower(), attrs)
        self.assertNotIn("secure", attrs)  # plain http here
        vid = re.match(r"otp_vid=([^;]*)", cookies[0]).group(1)
        self.assertRegex(vid, r"^[0-9a-f]{32,}$")
        self.assertEqual(harness.hidden_vid(r), vid)

        r = self.verify(c, code)
        self.assertStatus(r, 200, "success")
        # Replay of the same POST (the cookie it carried, the form's field): dead.
        replay = self.client(cookies=False)
        r = replay.post(self.path("verify.cgi"), {"token": code}, headers={"Cookie": "otp_vid=" + vid})
        self.assertStatus(r, 410)
        r = self.verify(replay, code, vid)
        self.assertStatus(r, 410)

    def test_flow_code_is_case_insensitive(self):
        c = self.client()
        _, code = self.request_code(c, "202-555-0144", "+12025550144")
        r = self.verify(c, code.lower())
        self.assertStatus(r, 200, "success")

    def test_flow_without_cookies_uses_hidden_field(self):
        c = self.client(cookies=False)
        r, code = self.request_code(c, "+1 202 555 0145", "+12025550145")
        vid = harness.hidden_vid(r)
        self.assertTrue(vid, r.text)
        r = self.verify(c, code)  # no cookie, no field: nothing to verify
        self.assertNotEqual(r.status, 200, r)
        r = self.verify(c, code, vid)
        self.assertStatus(r, 200, "success")

    def test_code_of_another_visitor_does_not_verify(self):
        alice, mallory = self.client(), self.client()
        _, code = self.request_code(alice, "2025550146", "+12025550146")
        self.request_code(mallory, "2025550147", "+12025550147")
        r = self.verify(mallory, code)
        self.assertNotEqual(r.status, 200, r)
        self.assertStatus(self.verify(alice, code), 200, "success")

    def test_wrong_code_422_then_right_code(self):
        c = self.client()
        _, code = self.request_code(c, "2025550148", "+12025550148")
        r = self.verify(c, wrong_code(code))
        self.assertStatus(r, 422, "verify")
        errors = harness.parse_form(r.text).errors
        self.assertTrue(any(errors), "no class=error text: %s" % r.text)
        self.assertIn("token", harness.parse_form(r.text).inputs)
        self.assertStatus(self.verify(c, code), 200, "success")

    def test_lockout_after_max_attempts(self):
        self.site.write_config(MAX_ATTEMPTS=3)
        c = self.client()
        _, code = self.request_code(c, "2025550149", "+12025550149")
        for _ in range(2):
            self.assertStatus(self.verify(c, wrong_code(code)), 422)
        self.assertStatus(self.verify(c, wrong_code(code)), 410)  # the last try
        self.assertStatus(self.verify(c, code), 410)

    def test_expired_code_410(self):
        self.site.write_config(TOKEN_TTL=1)
        c = self.client()
        _, code = self.request_code(c, "2025550150", "+12025550150")
        self.sleep_past_ttl(1)
        r = self.verify(c, code)
        self.assertStatus(r, 410)
        self.assertIsNotNone(r.page())

    def test_resend_too_soon_429_with_retry_after(self):
        c = self.client()
        self.request_code(c, "2025550156", "+12025550156")
        r = c.post(self.path("request.cgi"), {"phone": "2025550156"})
        self.assertStatus(r, 429)
        self.assertRegex(r.header("Retry-After") or "", r"^[1-9][0-9]*$", dict(r.headers))
        self.assertIsNotNone(r.page(), r)

    def test_new_request_keeps_the_first_code_good(self):
        # Issue 10: the first text may come late: both codes verify, the first
        # used uses the second up.
        self.site.write_config(RESEND_AFTER=0, TOKEN_LENGTH=10)
        c = self.client()
        _, old = self.request_code(c, "2025550151", "+12025550151")
        _, new = self.request_code(c, "2025550151", "+12025550151")
        self.assertNotEqual(old, new)
        self.assertStatus(self.verify(c, old), 200, "success")
        self.assertNotEqual(self.verify(c, new).status, 200)

    # -- status codes through the server ----------------------------------

    def test_bad_phone_400(self):
        r = self.client().post(self.path("request.cgi"), {"phone": "12"})
        self.assertStatus(r, 400, "index")

    def test_bad_percent_encoding_400(self):
        r = self.client().post(self.path("request.cgi"), b"phone=%zz")
        self.assertStatus(r, 400)

    def test_other_methods_405_with_allow(self):
        c = self.client()
        for prog in ("request.cgi", "verify.cgi"):
            for method in ("PUT", "DELETE", "PATCH"):
                r = c.send(method, self.path(prog), data=b"phone=1")
                self.assertStatus(r, 405)
                allow = [m.strip() for m in (r.header("Allow") or "").split(",")]
                self.assertEqual(sorted(allow), ["GET", "POST"], "%s %s: %r" % (method, prog, r.header("Allow")))

    def test_body_over_8k_413(self):
        c = self.client()
        for prog in ("request.cgi", "verify.cgi"):
            for size in (8 * 1024 + 1, 100 * 1024):
                body = b"phone=" + b"1" * (size - 6)
                r = c.post(self.path(prog), body)
                self.assertStatus(r, 413)

    def test_body_of_exactly_8k_is_read(self):
        # 8 KiB is allowed: the field is too long (400), not the body (413).
        body = b"phone=2025550152&pad=" + b"x" * (8 * 1024 - 21)
        self.assertEqual(len(body), 8 * 1024)
        r = self.client().post(self.path("request.cgi"), body)
        self.assertStatus(r, 400)

    def test_wrong_content_type_415(self):
        c = self.client()
        for ctype in ("text/plain", "multipart/form-data; boundary=x", "application/json"):
            for prog in ("request.cgi", "verify.cgi"):
                r = c.post(self.path(prog), b"phone=2025550143", content_type=ctype)
                self.assertStatus(r, 415)

    def test_cross_origin_post_403(self):
        c = self.client()
        before = len(self.fake.messages_to(PHONE_E164))
        for prog, data in (("request.cgi", {"phone": PHONE_TYPED}), ("verify.cgi", {"token": "123456"})):
            r = c.post(self.path(prog), data, headers={"Origin": "http://evil.example"})
            self.assertStatus(r, 403)
            r = c.post(self.path(prog), data, headers={"Referer": "http://evil.example/x"})
            self.assertStatus(r, 403)
        self.assertEqual(len(self.fake.messages_to(PHONE_E164)), before, "a cross-origin POST sent an SMS")

    def test_same_origin_post_passes(self):
        c = self.client(origin=self.server.origin)
        _, code = self.request_code(c, "2025550153", "+12025550153")
        self.assertStatus(self.verify(c, code), 200, "success")

    def test_provider_failure_502_leaves_no_code(self):
        self.fake.mode = "status:500"
        c = self.client()
        r = c.post(self.path("request.cgi"), {"phone": "2025550154"})
        self.assertStatus(r, 502)
        code = self.fake.code_for("+12025550154")
        self.fake.mode = "ok"
        if code:
            self.assertNotEqual(self.verify(c, code).status, 200)

    def test_misconfigured_500(self):
        self.site.write_config(TOKEN_TTL=99999)
        r = self.client().get(self.path("request.cgi"))
        self.assertStatus(r, 500)

    def test_database_unwritable_503(self):
        self.site.write_config(DB_PATH=str(self.site.root / "no" / "such" / "dir" / "otp.db"))
        n = len(self.fake.messages)
        r = self.client().post(self.path("request.cgi"), {"phone": "2025550155"})
        self.assertStatus(r, 503)
        self.assertEqual(len(self.fake.messages), n, "an SMS was sent without a database")

    def test_connection_not_reset_on_refused_body(self):
        # A raw exchange: the whole answer must arrive, not a reset.
        body = b"x" * (64 * 1024)
        req = (
            "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: text/plain\r\n"
            "Content-Length: %d\r\nConnection: close\r\n\r\n" % (self.path("request.cgi"), self.server.port, len(body))
        ).encode() + body
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=30) as s:
            s.sendall(req)
            data = b""
            while len(data) < 1 << 20:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        self.assertRegex(data[:64].decode("latin-1"), r"^HTTP/1\.[01] 41[35] ", data[:300])


class ApacheFlow(FlowTests, ServerCase):
    server_class = harness.Apache


class LighttpdFlow(FlowTests, ServerCase):
    server_class = harness.Lighttpd


if __name__ == "__main__":
    unittest.main()


class LighttpdFastCGIFlow(FlowTests, ServerCase):
    """The same programs as FastCGI applications under lighttpd mod_fastcgi."""
    server_class = harness.LighttpdFastCGI


class ApacheFcgidFlow(FlowTests, ServerCase):
    """The same programs as FastCGI applications under Apache mod_fcgid."""
    server_class = harness.ApacheFcgid
