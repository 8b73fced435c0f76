"""Many CGI processes at once on one database."""

import json
import threading
import unittest

from harness import CGITestCase

N = 50


class ConcurrentFlowsTest(CGITestCase):
    def run_flows(self, site, code_of):
        barrier = threading.Barrier(N, timeout=60)
        results = [None] * N

        def flow(i):
            phone = '+1202556%04d' % i
            addr = '10.20.%d.1' % i  # each visitor on a network of its own
            out = {'phone': phone}
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass
            r = site.request(phone, remote_addr=addr, timeout=90)
            out['request'] = r
            if r.status == 200:
                code = code_of(phone)
                out['code'] = code
                if code is not None:
                    out['verify'] = site.verify(code, vid=r.vid, remote_addr=addr, timeout=90)
            results[i] = out

        threads = [threading.Thread(target=flow, args=(i,), daemon=True) for i in range(N)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(240)
        self.assertFalse(any(t.is_alive() for t in threads), 'flows still running')
        failures = []
        for out in results:
            r = out and out.get('request')
            v = out and out.get('verify')
            if r is None or r.status != 200 or v is None or v.status != 200 or v.page != 'success':
                failures.append(out)
            for x in (r, v):
                if x is not None:
                    self.assertSane(x)
                    low = x.stderr.lower()
                    self.assertNotIn('locked', low, x.describe())
                    self.assertNotIn('busy', low, x.describe())
        self.assertEqual(failures, [], '%d of %d flows failed; first: %s' % (
            len(failures), N,
            failures and (failures[0].get('verify') or failures[0].get('request')).describe()
            if failures and (failures[0].get('verify') or failures[0].get('request')) else ''))
        return results

    def test_50_concurrent_flows_telnyx(self):
        results = self.run_flows(self.site, lambda phone: (
            self.fake.wait_messages(1, 5) and self.fake.code_for(phone)))
        self.assertEqual(len({m['to'] for m in self.fake.messages}), N)
        self.assertEqual(len({out['request'].vid for out in results}), N, 'ids collide')

    def test_50_concurrent_flows_outbox(self):
        site = self.make_site({'API_KEY': None, 'SECRET_KEY': 'outbox-secret-0123456789'},
                              transport='outbox')
        self.run_flows(site, site.code_for)
        lines = site.outbox_path.read_text().splitlines()
        self.assertEqual(len(lines), N, 'outbox lines lost or merged')
        msgs = [json.loads(line) for line in lines]   # each line whole JSON
        self.assertEqual(len({m['to'] for m in msgs}), N)
        self.assertEqual(self.fake.messages, [])


if __name__ == '__main__':
    unittest.main()
