"""
Under each example config (Apache, lighttpd) the config file, the database
and the outbox cannot be fetched over HTTP, at any plausible URL, and no
directory request lists anything.
"""

import json
import unittest

import harness
from webcase import ServerCase

SQLITE_MAGIC = b"SQLite format 3"


class ExposureTests:
    settings = {"SMS_TRANSPORT": "outbox"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Make every file exist: a request writes the database and outbox.
        r = harness.Client(cls.server).post(cls.prefix + "request.cgi", {"phone": "2025550160"})
        if r.status != 200:
            raise AssertionError("request failed: %r%s" % (r, cls.server.logs()))

    def secrets(self):
        """Byte strings whose presence in an answer means a leak."""
        s = [SQLITE_MAGIC, b"SMS_TRANSPORT", b"DB_PATH", b"OUTBOX_PATH"]
        for line in self.site.outbox_lines():
            s.append(line.encode())
            s.append(json.loads(line)["text"].encode())
        return s

    def urls(self):
        s = self.site
        files = ("otp.conf", "otp.db", "otp.db-wal", "otp.db-shm", "outbox.jsonl", ".htaccess",
                 "request.c", "verify.c", "otp.conf.example", "config.cfg")
        urls = []
        for f in files:
            urls += [self.prefix + f, "/" + f, "/cgi-bin/" + f, "/conf/" + f, "/run/" + f]
        for p in (harness.EXAMPLE_CONFIG, harness.EXAMPLE_STATE_DIR + "/otp.db",
                  harness.EXAMPLE_STATE_DIR + "/outbox.jsonl"):
            urls.append(p)
        for p in (s.config_path, s.db_path, s.outbox_path):
            urls.append(str(p))  # the real path, in case a root were /
        return urls

    def traversal_urls(self):
        s = self.site
        rel_conf = str(s.config_path.relative_to(s.root))
        rel_db = str(s.db_path.relative_to(s.root))
        out = []
        for rel in (rel_conf, rel_db):
            out += [
                self.prefix + "../" * 8 + rel,
                self.prefix + "%2e%2e/" * 8 + rel,
                self.prefix + "..%2f" * 8 + rel,
                "/" + "../" * 8 + rel,
                self.prefix + "request.cgi/../" + "../" * 8 + rel,
            ]
        return out

    def assertNotServed(self, path, allowed=(403, 404)):
        r = self.client().get(path)
        self.assertIn(r.status, allowed, "%s: %r" % (path, r))
        for s in self.secrets():
            self.assertFalse(s in r.body, "%s leaks %r" % (path, s[:40]))

    def test_files_exist_where_the_config_says(self):
        self.assertTrue(self.site.db_path.exists())
        self.assertTrue(self.site.outbox_path.exists())
        self.assertTrue(self.site.outbox_lines())

    def test_plausible_urls_refused(self):
        for u in self.urls():
            with self.subTest(url=u):
                self.assertNotServed(u)

    def test_traversal_refused(self):
        for u in self.traversal_urls():
            with self.subTest(url=u):
                self.assertNotServed(u, allowed=(400, 403, 404))

    def test_path_info_leaks_nothing(self):
        # The program may answer (PATH_INFO), but never with a file's content.
        for u in (self.prefix + "request.cgi" + str(self.site.config_path),
                  self.prefix + "verify.cgi" + str(self.site.db_path),
                  self.prefix + "request.cgi/otp.conf"):
            with self.subTest(url=u):
                r = self.client().get(u)
                for s in self.secrets():
                    self.assertFalse(s in r.body, "%s leaks %r" % (u, s[:40]))

    def test_directories_list_nothing(self):
        for u in (self.prefix, self.prefix.rstrip("/"), self.prefix + "?C=M;O=A", self.prefix + "./"):
            with self.subTest(url=u):
                r = self.client().get(u)
                self.assertFalse(b"Index of" in r.body, "%s lists: %r" % (u, r))
                for name in (b"request.cgi", b"verify.cgi", b"otp.conf", b"otp.db"):
                    if r.status != 200 or r.page() is None:
                        self.assertFalse(name in r.body, "%s names %s: %r" % (u, name, r))
                self.assertIn(r.status, (200, 301, 302, 403, 404), r)
                if r.status == 200:
                    self.assertIsNotNone(r.page(), "a 200 that is not one of our pages: %r" % r)


class ApacheExposure(ExposureTests, ServerCase):
    server_class = harness.Apache


class LighttpdExposure(ExposureTests, ServerCase):
    server_class = harness.Lighttpd


if __name__ == "__main__":
    unittest.main()
