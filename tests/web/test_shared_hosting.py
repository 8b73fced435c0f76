"""
The shared-hosting recipe of the README, under Apache as such a host runs
it: no site config of ours, mod_userdir serving <tmp>/home/user/public_html
at /~user/, .cgi files run in public_html/cgi-bin, AllowOverride FileInfo
(and Indexes, as Debian's userdir.conf).  The user copies the three programs
into ~/public_html/cgi-bin, writes conf/htaccess-example there as .htaccess,
and keeps config, database and outbox in ~/otp, outside the web root.
"""

import unittest

import harness
from webcase import ServerCase

PREFIX = "/~user/cgi-bin/"


class SharedHosting(ServerCase):
    server_class = harness.SharedHostingApache
    layout = "userdir"
    prefix = PREFIX

    def test_layout_is_the_recipe(self):
        s = self.site
        self.assertEqual(sorted(p.name for p in s.cgi_dir.iterdir()),
                         [".htaccess", "request.cgi", "verify.cgi", "webhook.cgi"])
        self.assertFalse(str(s.config_path).startswith(str(s.home / "public_html")))
        self.assertEqual(s.config_path.parent, s.home / "otp")
        self.assertIn("SetEnv OTP_CONFIG " + str(s.config_path), (s.cgi_dir / ".htaccess").read_text())

    def test_flow_through_htaccess_config(self):
        c = self.client()
        r, code = self.request_code(c, "2025550170", "+12025550170")
        cookie = [h for h in r.headers_all("Set-Cookie") if h.startswith("otp_vid=")]
        self.assertTrue(cookie, r.headers_all("Set-Cookie"))
        self.assertIn("path=" + PREFIX, cookie[0].lower().replace(" ", ""))
        vid = harness.hidden_vid(r)
        self.assertStatus(self.verify(c, code), 200, "success")
        self.assertStatus(self.verify(c, code, vid), 410)  # replay
        # The config came from .htaccess: the database is where it says.
        self.assertTrue(self.site.db_path.exists(), list(self.site.state_dir.iterdir()))

    def test_wrong_and_expired(self):
        c = self.client()
        _, code = self.request_code(c, "2025550171", "+12025550171")
        self.assertStatus(self.verify(c, "0" + code[1:] if code[0] != "0" else "1" + code[1:]), 422)
        self.site.write_config(TOKEN_TTL=1)
        _, code = self.request_code(c, "2025550173", "+12025550173")
        self.sleep_past_ttl(1)
        self.assertStatus(self.verify(c, code), 410)

    def test_private_files_not_reachable(self):
        self.request_code(self.client(), "2025550172", "+12025550172")
        secrets = [b"SQLite format 3", b"DB_PATH", b"SMS_TRANSPORT"]
        for u in ("/~user/otp/otp.conf", "/~user/otp/otp.db", "/~user/otp/", "/~user/../otp/otp.conf",
                  PREFIX + "../../otp/otp.conf", PREFIX + "%2e%2e/%2e%2e/otp/otp.conf",
                  "/~user/cgi-bin/.htaccess", "/~user/.htaccess", "/home/user/otp/otp.conf",
                  str(self.site.config_path), str(self.site.db_path)):
            with self.subTest(url=u):
                r = self.client().get(u)
                self.assertIn(r.status, (400, 403, 404), "%s: %r" % (u, r))
                for s in secrets + [str(self.site.config_path).encode()]:
                    self.assertFalse(s in r.body, "%s leaks %r" % (u, s))

    def test_cgi_bin_lists_nothing(self):
        for u in (PREFIX, PREFIX + "?C=M;O=A"):
            with self.subTest(url=u):
                r = self.client().get(u)
                self.assertFalse(b"Index of" in r.body, r)
                if r.status == 200:
                    self.assertEqual(r.page(), "index", "the directory shows the phone form: %r" % r)
                else:
                    self.assertIn(r.status, (403, 404), r)


if __name__ == "__main__":
    unittest.main()
