"""Issue 4: concurrent bursts.  The counters live in SQLite and every CGI
process checks and records a send in one immediate transaction, so 50
processes at once get exactly the limit through: no double counting, no
'database is locked', also on a first use of the file (issue 8) and with
the machine busy.  The fake Telnyx runs in a process of its own here: in
the test's process, behind 50 threads and with CPU burners beside it, it
answered after the programs' 10-second timeout."""

import collections
import threading
import time
import unittest

import fake_telnyx
from abuse_common import AbuseCase, PHONE, send_rows

N = 50


class BurstTest(AbuseCase):
    def setUp(self):
        self.fake = fake_telnyx.FakeTelnyxProcess().start()
        self.addCleanup(self.fake.stop)
        self.site = self.make_site(self.site_keys, transport=self.transport)

    def burst(self, site, make_call):
        """Run make_call(i) for i in range(N) in N threads released together;
        return the N responses."""
        barrier = threading.Barrier(N, timeout=60)
        results = [None] * N

        def worker(i):
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass
            results[i] = make_call(i)

        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(N)]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(max(1, 240 - (time.monotonic() - start)))
        self.assertFalse(any(t.is_alive() for t in threads), 'requests still running')
        self.assertNotIn(None, results)
        return results

    def check_burst(self, results, limit, why):
        for r in results:
            self.assertSane(r)
            self.assertNotIn('database is locked', r.stderr, r.describe())
            self.assertNotIn('SQLITE_BUSY', r.stderr, r.describe())
            self.assertNotIn('database error', r.stderr, r.describe())
        counts = collections.Counter(r.status for r in results)
        self.assertEqual(counts, {200: limit, 429: N - limit},
                         'statuses %r; first odd one: %s' % (dict(counts), next(
                             (r.describe() for r in results if r.status not in (200, 429)),
                             '')))
        for r in results:
            if r.status == 200:
                self.assertEqual(r.page, 'verify', r.describe())
            else:
                self.assert429(r, 3600, why=why)

    def test_50_parallel_sends_to_one_phone(self):
        # One /24: PHONE_SEND_LIMIT is the network's (PHONE_NETWORK_LIMIT, 3
        # a day at its default, raised out of the way).
        site = self.make_site({'PHONE_SEND_LIMIT': 5, 'RESEND_AFTER': 0,
                               'IP_SEND_LIMIT': 1000, 'PHONE_NETWORK_LIMIT': 1000})
        results = self.burst(site, lambda i: site.request(
            PHONE, remote_addr='10.50.0.%d' % (i + 1), timeout=120))
        self.check_burst(results, 5, 'PHONE_SEND_LIMIT')
        self.assertEqual(self.wait_settled(5), 5, 'the fake received other than 5 messages')
        self.assertTrue(all(m['to'] == PHONE for m in self.fake.messages))
        self.assertEqual(len(send_rows(site)), 5, 'send rows: %r' % send_rows(site))
        # Each 200 handed out its own verification, and its code verifies.
        vids = [r.vid for r in results if r.status == 200]
        self.assertEqual(len(set(vids)), 5)

    def test_50_parallel_sends_from_one_client(self):
        site = self.make_site({'IP_SEND_LIMIT': 10, 'RESEND_AFTER': 0})
        results = self.burst(site, lambda i: site.request(
            '+1202558%04d' % i, remote_addr='10.51.0.1', timeout=120))
        self.check_burst(results, 10, 'IP_SEND_LIMIT')
        self.assertEqual(self.wait_settled(10), 10)
        self.assertEqual(len({m['to'] for m in self.fake.messages}), 10)
        self.assertEqual(len(send_rows(site)), 10)

    def test_50_parallel_sends_against_hourly_cap(self):
        site = self.make_site({'HOURLY_SEND_LIMIT': 7, 'RESEND_AFTER': 0})
        results = self.burst(site, lambda i: site.request(
            '+1202559%04d' % i, remote_addr='10.52.%d.1' % i, timeout=120))
        self.check_burst(results, 7, 'HOURLY_SEND_LIMIT')
        self.assertEqual(self.wait_settled(7), 7)

    def test_50_parallel_with_default_cooldown(self):
        # RESEND_AFTER at its default: one code for the phone, 49 refusals.
        results = self.burst(self.site, lambda i: self.site.request(
            PHONE, remote_addr='10.53.0.%d' % (i + 1), timeout=120))
        self.check_burst(results, 1, 'RESEND_AFTER')
        self.assertEqual(self.wait_settled(1), 1)


if __name__ == '__main__':
    unittest.main()
