"""
100 visitors at once through Apache (event MPM + mod_cgid), each with its
own phone: every request gets its SMS, every verification succeeds, none is
lost or mixed up.  The same load through lighttpd.  Bounded: 100 threads,
30 s per HTTP exchange, 240 s for the whole run.
"""

import concurrent.futures
import threading
import time
import unittest

import harness
from webcase import ServerCase

FLOWS = 100
DEADLINE = 240.0


class ConcurrencyTests:
    def one_flow(self, i, barrier):
        phone = "+1202555%04d" % (2000 + i)
        c = self.client()
        barrier.wait(timeout=60)
        r = c.post(self.path("request.cgi"), {"phone": phone})
        if r.status != 200 or r.page() != "verify":
            return "request %s: %r" % (phone, r)
        code = self.fake.code_for(phone)
        if not code:
            return "no code for %s" % phone
        r = c.post(self.path("verify.cgi"), {"token": code})
        if r.status != 200 or r.page() != "success":
            return "verify %s: %r" % (phone, r)
        return None

    def test_100_concurrent_flows(self):
        barrier = threading.Barrier(FLOWS)
        start = time.monotonic()
        errors = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=FLOWS) as pool:
            futures = [pool.submit(self.one_flow, i, barrier) for i in range(FLOWS)]
            done, not_done = concurrent.futures.wait(futures, timeout=DEADLINE)
            for f in not_done:
                f.cancel()
            self.assertFalse(not_done, "%d flows still running after %ss" % (len(not_done), DEADLINE))
            for f in done:
                try:
                    e = f.result()
                except Exception as ex:  # a reset, a timeout
                    e = "%s: %s" % (type(ex).__name__, ex)
                if e:
                    errors.append(e)
        took = time.monotonic() - start
        self.assertEqual(errors, [], "%d of %d flows failed in %.1fs:\n%s%s"
                         % (len(errors), FLOWS, took, "\n".join(errors[:10]), self.logs()))
        sent = {m["to"] for m in self.fake.messages}
        expected = {"+1202555%04d" % (2000 + i) for i in range(FLOWS)}
        self.assertTrue(expected <= sent, "missing SMS: %s" % sorted(expected - sent)[:10])
        self.assertEqual(len([m for m in self.fake.messages if m["to"] in expected]), FLOWS)


class ApacheConcurrency(ConcurrencyTests, ServerCase):
    server_class = harness.Apache


class LighttpdConcurrency(ConcurrencyTests, ServerCase):
    server_class = harness.Lighttpd


class LighttpdFastCGIConcurrency(ConcurrencyTests, ServerCase):
    server_class = harness.LighttpdFastCGI


class ApacheFcgidConcurrency(ConcurrencyTests, ServerCase):
    server_class = harness.ApacheFcgid


if __name__ == "__main__":
    unittest.main()
