"""
Two web servers, one PostgreSQL store (issue 13): Apache (event MPM +
mod_cgid) on one port and lighttpd (mod_cgi) on another serve the same
deployment (one harness.Site: the same programs, the same config file, so
one DATABASE_URL), and a throwaway cluster (tests/pg.py) started here holds
the store, a fresh schema per test.  Codes go to an outbox file (both
servers run the programs as the same user, www-data when we are root).

- 100 concurrent visitors, each asking for its code through one server and
  typing it through the other (alternately): every one verified once, the
  code refused when it comes again through the first server;
- 50 parallel requests for one number, split across both, with
  PHONE_SEND_LIMIT=5 and RESEND_AFTER=0: exactly 5 texts, 5 answers 200,
  45 answers 429, 5 rows in send;
- 20 parallel right codes for one verification, split across both: one
  200, nineteen 410 (a used code is dead, DESIGN.md section 2), one row in
  verified.

Skipped where PostgreSQL, Apache or lighttpd is missing (a failure in CI,
as harness.need does).  Bounded: 24 worker threads, 30 s per HTTP exchange,
a deadline per test for all its requests.
"""

import collections
import concurrent.futures
import json
import os
import shutil
import threading
import time
import unittest

import harness
import pg
from fake_telnyx import extract_code

PREFIX = harness.EXAMPLE_URL
WORKERS = 24
DEADLINE = 90.0  # seconds for all the requests of one test
FLOWS = 100
BURST = 50
BURST_LIMIT = 5
RACERS = 20

# Only the limit a test lowers may bite: the per-client and global ones are
# high already (harness.LIMIT_SETTINGS), the per-phone daily one is raised.
SETTINGS = {"PHONE_DAILY_LIMIT": 1000}


def need_postgresql():
    why = pg.unavailable()
    if why:
        if harness.in_ci():
            raise AssertionError(why)
        raise unittest.SkipTest(why)


class SharedStoreTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.need(harness.APACHE, "apache")
        harness.need(harness.LIGHTTPD, "lighttpd")
        need_postgresql()
        harness.need_programs()
        # Class cleanups run last-registered first: servers, then the tree,
        # then the cluster.
        cls.cluster = pg.Cluster(prefix="otp-web-pg-")
        cls.addClassCleanup(cls.cluster.stop)
        cls.cluster.start()
        cls.tmp = harness.temp_root("otp-shared-")
        if not os.environ.get("OTP_KEEP_TMP"):
            cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.site = harness.Site(cls.tmp, SETTINGS)
        cls.servers = (harness.Apache(cls.site), harness.Lighttpd(cls.site))
        for s in cls.servers:
            cls.addClassCleanup(s.stop)
            s.start()

    def setUp(self):
        # A fresh store and outbox per test; both servers read this config.
        self.db = self.cluster.new_schema()
        name = self.id().rsplit(".", 1)[-1]
        self.outbox = self.site.state_dir / ("outbox-%s.jsonl" % name)
        self.configure()

    def configure(self, **overrides):
        self.site.write_config(DATABASE_URL=self.db, OUTBOX_PATH=str(self.outbox), **overrides)

    # -- helpers ---------------------------------------------------------

    def sql(self, statement, params=None):
        return pg.query(self.db, statement, params)

    def messages(self):
        """The outbox's complete lines as dicts (a line being appended at
        this instant is left for the next read)."""
        try:
            text = self.outbox.read_text()
        except FileNotFoundError:
            return []
        out = []
        for line in text.split("\n")[:-1]:
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"bad line": line})
        return out

    def code_for(self, phone):
        codes = [extract_code(m.get("text")) for m in self.messages() if m.get("to") == phone]
        return codes[-1] if codes else None

    def url(self, server, program):
        return server.url(PREFIX + program)

    def logs(self):
        return "".join("\n== %s\n%s" % (s.name, s.logs()) for s in self.servers)

    def run_all(self, fn, n):
        """fn(i) for i in range(n) on WORKERS threads released together;
        return the n results in order (an exception as its text)."""
        gate = threading.Event()

        def gated(i):
            if not gate.wait(timeout=DEADLINE):
                raise RuntimeError("never released")
            return fn(i)

        results = [None] * n
        with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
            futures = {pool.submit(gated, i): i for i in range(n)}
            gate.set()
            done, not_done = concurrent.futures.wait(futures, timeout=DEADLINE)
            for f in not_done:
                f.cancel()
            self.assertFalse(not_done, "%d of %d still running after %ss%s"
                             % (len(not_done), n, DEADLINE, self.logs()))
            for f in done:
                try:
                    results[futures[f]] = f.result()
                except Exception as e:  # a reset, a timeout
                    results[futures[f]] = "%s: %s" % (type(e).__name__, e)
        return results

    # -- the tests -------------------------------------------------------

    def one_flow(self, i):
        """Ask through one server, type the code through the other, then
        send the same code for the same verification through the first.
        None, or what went wrong."""
        phone = "+1202555%04d" % (3000 + i)
        first, second = self.servers[i % 2], self.servers[1 - i % 2]
        c = harness.Client(first)
        r = c.post(self.url(first, "request.cgi"), {"phone": phone})
        if r.status != 200 or r.page() != "verify":
            return "request %s via %s: %r" % (phone, first.name, r)
        code = self.code_for(phone)
        if not code:
            return "no code for %s in the outbox" % phone
        cookie = c.cookie("otp_vid")
        if cookie is None:
            return "no otp_vid cookie from %s" % first.name
        # The cookie set by the one server goes to the other (same host).
        r = c.post(self.url(second, "verify.cgi"), {"token": code})
        if r.status != 200 or r.page() != "success":
            return "verify %s via %s: %r" % (phone, second.name, r)
        # The success page drops the cookie: the replay names the
        # verification in the form's field.
        replay = harness.Client(first, cookies=False)
        r = replay.post(self.url(first, "verify.cgi"), {"token": code, "verification_id": cookie.value})
        if r.status != 410:
            return "used code of %s again via %s: %r" % (phone, first.name, r)
        return None

    def test_100_flows_across_the_two_servers(self):
        start = time.monotonic()
        results = self.run_all(self.one_flow, FLOWS)
        took = time.monotonic() - start
        errors = [e for e in results if e]
        self.assertEqual(errors, [], "%d of %d flows failed in %.1fs:\n%s%s"
                         % (len(errors), FLOWS, took, "\n".join(errors[:10]), self.logs()))
        phones = ["+1202555%04d" % (3000 + i) for i in range(FLOWS)]
        sent = collections.Counter(m.get("to") for m in self.messages())
        self.assertEqual(sent, collections.Counter(phones), "one text per visitor")
        self.assertEqual(self.sql("SELECT status, count(*) FROM verification GROUP BY status"),
                         [("used", FLOWS)])
        self.assertEqual(self.sql("SELECT count(*), count(DISTINCT phone) FROM verified"),
                         [(FLOWS, FLOWS)])
        self.assertEqual(self.sql("SELECT count(*) FROM send"), [(FLOWS,)])

    def test_phone_send_limit_holds_across_the_two_servers(self):
        self.configure(PHONE_SEND_LIMIT=BURST_LIMIT, RESEND_AFTER=0)
        phone = "+12025550170"

        def ask(i):
            server = self.servers[i % 2]
            r = harness.Client(server).post(self.url(server, "request.cgi"), {"phone": phone})
            return (server.name, r.status, r.page(), r.header("Retry-After"))

        results = self.run_all(ask, BURST)
        bad = [r for r in results if not isinstance(r, tuple)]
        self.assertEqual(bad, [], self.logs())
        statuses = collections.Counter(r[1] for r in results)
        self.assertEqual(statuses, {200: BURST_LIMIT, 429: BURST - BURST_LIMIT},
                         "%r%s" % (results, self.logs()))
        for name, status, page, retry in results:
            if status == 200:
                self.assertEqual(page, "verify", results)
            else:
                self.assertRegex(retry or "", r"^[1-9][0-9]*$", results)
        # Both servers took part in the burst.
        self.assertEqual({r[0] for r in results}, {s.name for s in self.servers})
        texts = [m for m in self.messages() if m.get("to") == phone]
        self.assertEqual(len(texts), BURST_LIMIT, texts)
        self.assertEqual(len(self.messages()), BURST_LIMIT)
        self.assertEqual(self.sql("SELECT count(*) FROM send"), [(BURST_LIMIT,)])

    def test_code_is_approved_once_across_the_two_servers(self):
        phone = "+12025550180"
        apache = self.servers[0]
        r = harness.Client(apache).post(self.url(apache, "request.cgi"), {"phone": phone})
        self.assertEqual(r.status, 200, "%r%s" % (r, self.logs()))
        vid = harness.hidden_vid(r)
        code = self.code_for(phone)
        self.assertTrue(vid and code, (vid, code, self.messages()))

        def check(i):
            server = self.servers[i % 2]
            c = harness.Client(server, cookies=False)
            r = c.post(self.url(server, "verify.cgi"), {"token": code, "verification_id": vid})
            return (server.name, r.status, r.page())

        results = self.run_all(check, RACERS)
        bad = [r for r in results if not isinstance(r, tuple)]
        self.assertEqual(bad, [], self.logs())
        statuses = collections.Counter(r[1] for r in results)
        self.assertEqual(statuses, {200: 1, 410: RACERS - 1}, "%r%s" % (results, self.logs()))
        self.assertEqual([r[2] for r in results if r[1] == 200], ["success"])
        self.assertEqual(self.sql("SELECT id, status FROM verification"), [(vid, "used")])
        self.assertEqual(self.sql("SELECT count(*) FROM verified"), [(1,)])


if __name__ == "__main__":
    unittest.main()
