"""Issue 23, "Tests and figures": the pumping simulations.  Each keeps
today's protection and prints its figures (the lines the log keeps):

(a) 50 networks sending to 200 numbers of one prefix (+1202555), none
    verified, one request after another (none in flight): the young wave
    is held once 2 * CONVERSION_MIN_SENDS texts went out, the sends are
    aged past CONVERSION_GRACE (as a real wave would wait), and the next
    request makes the block, once;
(b) one network (one /24, a few addresses) across many prefixes: stopped
    by IP_SEND_LIMIT, counted per address, and NETWORK_SEND_LIMIT, the
    texts of the whole /24 nobody verified;
(c) 200 networks across 20 prefixes of one country: stopped by
    COUNTRY_HOURLY_LIMITS (+1 set below HOURLY_SEND_LIMIT), and with no
    country cap by HOURLY_SEND_LIMIT's default (200).

During each attack, once it has tripped, 20 real visitors on clean
networks (numbers in the attacked prefixes) try to verify, between the
attacker's further requests: by text when they can, else by the inbound
channel the 429 offers (the site has an inbound number: every one
succeeds).  A second variant of (a) has no inbound number: every visitor
is told when to come back (429, Retry-After).

The conversion breaker is on (CONVERSION_MODE=enforce; the harness's
default config turns it off); every other limit at its default."""

import json
import time
import unittest

from abuse_common import AbuseCase, HOUR, VERIFY
from harness import WebhookGateway

JSON = {'HTTP_ACCEPT': 'application/json'}
INBOUND = '+15550002222'
SIGNING_KEY = 'pumping-signing-key-0123456789abcdef'
MIN_SENDS = 20        # CONVERSION_MIN_SENDS's default
GRACE = 120           # CONVERSION_GRACE's default
BLOCK = 3600          # CONVERSION_BLOCK's default
IP_SEND_LIMIT = 10    # IP_SEND_LIMIT's default (an hour)
NETWORK_SEND_LIMIT = 20  # NETWORK_SEND_LIMIT's default (an hour)
HOURLY = 200          # HOURLY_SEND_LIMIT's default
VISITORS = 20
ENFORCE = {'CONVERSION_MODE': 'enforce'}
WITH_INBOUND = dict(ENFORCE, CHANNELS='sms,inbound', INBOUND_NUMBER=INBOUND,
                    INBOUND_COUNTRY_CODES='+1', SIGNING_KEY=SIGNING_KEY)


def figure(line):
    """A figure of the simulation, on a line of its own in the test log."""
    print('\n' + line, flush=True)


class Tally:
    """What the attacker got: texts let through, and each refusal by kind."""

    def __init__(self):
        self.sent = 0
        self.refused = {}
        self.requests = 0

    def add(self, r):
        self.requests += 1
        if r.status == 200:
            self.sent += 1
            return None
        err = json.loads(r.body)['error']
        self.refused[err['kind']] = self.refused.get(err['kind'], 0) + 1
        return err


class PumpingCase(AbuseCase):
    site_keys = WITH_INBOUND
    inbound = True

    def setUp(self):
        super().setUp()
        if self.inbound:
            self.fake.enable_webhooks()
            self.fake.auto_receipts = False
            self.gateway = WebhookGateway(self.site)
            self.addCleanup(self.gateway.stop)
            self.site.configure(dict(self.site.keys, TELNYX_PUBLIC_KEY=self.fake.public_key))
        self.started = time.monotonic()

    def configure(self, **more):
        self.site.configure(dict(self.site.keys, **more))

    def attack(self, phone, addr):
        """One request of the attacker (JSON, as a bot would ask)."""
        r = self.site.request(phone, remote_addr=addr, extra=JSON)
        self.assertIn(r.status, (200, 429), r.describe())
        return r

    # --- a real visitor ------------------------------------------------------
    def visitor(self, phone, addr):
        """A real visitor on a clean network: a text when it can have one,
        else the inbound channel the 429 offers.  'text' or 'inbound' when
        it verified, ('wait', kind, retry_after) when told to come back."""
        r = self.site.request(phone, remote_addr=addr, extra=JSON)
        self.assertIn(r.status, (200, 429), r.describe())
        if r.status == 200:
            vid = json.loads(r.body)['verification_id']
            self.assertTrue(self._wait_to(phone), 'no text to the visitor' + r.describe())
            code = self.fake.code_for(phone)
            v = self.site.verify(code, vid=vid, remote_addr=addr)
            self.assertStatus(v, 200, 'success')
            return 'text'
        err = json.loads(r.body)['error']
        ra = err.get('retry_after')
        self.assertIsInstance(ra, int, r.describe())
        self.assertGreaterEqual(ra, 1, r.describe())
        self.assertEqual(r.header('Retry-After'), str(ra), r.describe())
        alternatives = err.get('alternatives', [])
        if 'inbound' not in alternatives:
            return ('wait', err['kind'], ra)
        # The way through the 429 offers: text the code the page shows.
        s = self.site.request(phone, remote_addr=addr, extra=JSON,
                              extra_fields={'channel': 'inbound'})
        self.assertEqual(s.status, 200, s.describe())
        j = json.loads(s.body)
        self.assertEqual((j['channel'], j['text_to']), ('inbound', INBOUND), s.describe())
        self.assertEqual(self.fake.send_inbound(self.gateway.url, phone, INBOUND,
                                                j['inbound_code']), 200)
        v = self.site.get(VERIFY, cookie='otp_vid=' + j['verification_id'], remote_addr=addr)
        self.assertStatus(v, 200, 'success')
        return 'inbound'

    def _wait_to(self, phone, timeout=5):
        deadline = time.monotonic() + timeout
        while not self.fake.messages_to(phone) and time.monotonic() < deadline:
            time.sleep(0.02)
        return bool(self.fake.messages_to(phone))

    def shares(self, outcomes):
        text = outcomes.count('text')
        inbound = outcomes.count('inbound')
        waits = [o for o in outcomes if isinstance(o, tuple)]
        return text, inbound, waits

    def visitors_line(self, outcomes):
        text, inbound, waits = self.shares(outcomes)
        line = '%d real visitors: %d by text, %d by inbound text, %d told when to come back' % (
            len(outcomes), text, inbound, len(waits))
        if waits:
            kinds = sorted({w[1] for w in waits})
            line += ' (%s, retry_after %d..%d s)' % (
                '/'.join(kinds), min(w[2] for w in waits), max(w[2] for w in waits))
        return line

    def run_visitors(self, visitors, more_attack):
        """Each visitor in turn, the attacker's next requests between them
        (more_attack: an iterator of (phone, addr)); the outcomes."""
        outcomes = []
        for phone, addr in visitors:
            outcomes.append(self.visitor(phone, addr))
            for _ in range(2):
                nxt = next(more_attack, None)
                if nxt is not None:
                    self.after_trip.add(self.attack(*nxt))
        return outcomes

    def assertQuick(self, limit=90):
        took = time.monotonic() - self.started
        self.assertLess(took, limit, 'the simulation took %.0f s' % took)
        return took


# --- (a) many networks, one prefix -------------------------------------------
def prefix_a(i):
    """The i-th number of +1 202 555 the attacker texts (1000..1199)."""
    return '+1202555%04d' % (1000 + i)


def visitor_a(v):
    """Real visitors' numbers in the attacked prefix, none the attacker's."""
    return '+1202555%04d' % (3000 + v)


class PumpingOnePrefixTest(PumpingCase):
    """(a) 50 networks, 200 numbers of +1202555, none verified."""
    nets = 50
    numbers = 200
    base = 110  # the attacker's networks: 10.110.0-49.0/24
    visitor_base = 111

    def wave(self):
        """Run the wave until the block is made; return (tally before the
        block, the rest of the attack as an iterator)."""
        attack = iter([(prefix_a(i), '10.%d.%d.%d' % (self.base, i % self.nets, 1 + i // self.nets))
                       for i in range(self.numbers)])
        before = Tally()
        held = None
        for phone, addr in attack:
            r = self.attack(phone, addr)
            err = before.add(r)
            if err is None:
                continue
            # The first refusal: the young wave held (no block yet), for the grace.
            self.assertEqual((err['kind'], err['retry_after']), ('conversion', GRACE),
                             r.describe())
            self.assertEqual(self.site.sql('SELECT count(*) FROM block'), [(0,)])
            held = before.requests
            break
        self.assertIsNotNone(held, 'the wave was never held')
        # The wave waits out the grace: its texts can now be judged.
        self.site.age_sends(GRACE + 10)
        phone, addr = next(attack)
        r = self.attack(phone, addr)
        err = before.add(r)
        self.assertIsNotNone(err, 'the judged wave was let through' + r.describe())
        self.assertEqual((err['kind'], err['retry_after']), ('conversion', BLOCK), r.describe())
        self.assertRegex(r.stderr, r'SMS pumping\? \+1202555 blocked for 3600 s: 0 of %d codes '
                         r'sent to it in 3600 s were verified, the others asked for from %d '
                         r'networks' % (2 * MIN_SENDS, 2 * MIN_SENDS))
        self.assertEqual(self.site.sql('SELECT prefix, reason FROM block'),
                         [('+1202555', 'conversion')])
        return before, held, attack

    def test_many_networks_one_prefix(self):
        before, held, attack = self.wave()
        self.after_trip = Tally()
        visitors = [(visitor_a(v), '10.%d.%d.7' % (self.visitor_base, v))
                    for v in range(VISITORS)]
        outcomes = self.run_visitors(visitors, attack)
        for phone, addr in attack:  # the rest of the 200
            self.after_trip.add(self.attack(phone, addr))
        took = self.assertQuick()
        text, inbound, waits = self.shares(outcomes)
        figure('pumping (a): %d networks, %d numbers of +1202555: %d texts let through before '
               'the block (goal <= %d + in flight, 0 in flight); held at request %d, blocked '
               'at %d; after it %d requests, %d texts, refused %s; blocks made: %d; %s; %.1f s'
               % (self.nets, self.numbers, before.sent, 2 * MIN_SENDS, held, before.requests,
                  self.after_trip.requests, self.after_trip.sent, self.after_trip.refused,
                  len(self.site.sql('SELECT prefix FROM block')), self.visitors_line(outcomes),
                  took))
        # Exactly what the design gives: twice CONVERSION_MIN_SENDS, then held.
        self.assertEqual(before.sent, 2 * MIN_SENDS)
        self.assertEqual(held, 2 * MIN_SENDS + 1)
        self.assertEqual(before.requests, 2 * MIN_SENDS + 2)
        self.assertEqual(before.sent + self.after_trip.requests + 2, self.numbers)
        # Nothing more got through; the block was made once, and holds.
        self.assertEqual(self.after_trip.sent, 0)
        self.assertEqual(self.after_trip.refused, {'conversion': self.numbers - before.requests})
        self.assertEqual(len(self.fake.messages), 2 * MIN_SENDS)
        self.assertEqual(self.site.sql('SELECT prefix, reason FROM block'),
                         [('+1202555', 'conversion')])
        # Every real visitor verified, by the inbound channel the 429 offered.
        self.assertEqual((text, inbound, len(waits)), (0, VISITORS, 0))


class PumpingOnePrefixNoInboundTest(PumpingOnePrefixTest):
    """(a) again, on a site without an inbound number: the visitors are
    told when to come back."""
    site_keys = ENFORCE
    inbound = False
    numbers = 60  # the wave and its block; the rest would change nothing
    base = 112
    visitor_base = 113

    def test_many_networks_one_prefix(self):
        before, held, attack = self.wave()
        self.after_trip = Tally()
        visitors = [(visitor_a(v), '10.%d.%d.7' % (self.visitor_base, v))
                    for v in range(VISITORS)]
        outcomes = self.run_visitors(visitors, attack)
        took = self.assertQuick()
        text, inbound, waits = self.shares(outcomes)
        figure('pumping (a), no inbound number: %d networks, numbers of +1202555: %d texts let '
               'through before the block; after it %d requests, %d texts; %s; %.1f s'
               % (self.nets, before.sent, self.after_trip.requests, self.after_trip.sent,
                  self.visitors_line(outcomes), took))
        self.assertEqual(before.sent, 2 * MIN_SENDS)
        self.assertEqual(self.after_trip.sent, 0)
        # Every one told when the block ends: 429 conversion, Retry-After.
        self.assertEqual((text, inbound, len(waits)), (0, 0, VISITORS))
        self.assertEqual({w[1] for w in waits}, {'conversion'})
        for w in waits:
            self.assertGreaterEqual(w[2], BLOCK - 120)
            self.assertLessEqual(w[2], BLOCK)


# --- (b) one network, many prefixes ------------------------------------------
class PumpingOneNetworkTest(PumpingCase):
    """(b) one /24 (four addresses) across 48 prefixes of +1."""
    addrs = 4
    per_addr = 12

    def test_one_network_many_prefixes(self):
        tally = Tally()
        refusals = []
        phones = []
        for a in range(self.addrs):
            for k in range(self.per_addr):
                n = a * self.per_addr + k
                phone = '+1202%03d%04d' % (600 + n, 1000 + n)  # a prefix each
                phones.append(phone)
                r = self.attack(phone, '10.120.0.%d' % (a + 1))
                err = tally.add(r)
                if err is not None:
                    refusals.append((a, k, err))
        # Each address: IP_SEND_LIMIT texts, then refused for the hour; the
        # /24 as a whole: NETWORK_SEND_LIMIT unverified texts, so the first
        # two addresses' ten each, and nothing for the others.
        full = NETWORK_SEND_LIMIT // IP_SEND_LIMIT
        self.assertEqual(tally.sent, NETWORK_SEND_LIMIT)
        self.assertEqual(tally.refused,
                         {'client': self.addrs * self.per_addr - NETWORK_SEND_LIMIT})
        self.assertEqual(sorted({(a, k) for a, k, _ in refusals}),
                         [(a, k) for a in range(self.addrs) for k in range(self.per_addr)
                          if a >= full or k >= IP_SEND_LIMIT])
        for a, k, err in refusals:
            self.assertGreaterEqual(err['retry_after'], HOUR - 120)
            # The address's own IP_SEND_LIMIT offers nothing; the network's
            # NETWORK_SEND_LIMIT, which its other visitors share, the inbound way.
            own = a < full and k >= IP_SEND_LIMIT
            self.assertEqual(err.get('alternatives'), None if own else ['inbound'], (a, k, err))
        self.assertEqual(len(self.fake.messages), NETWORK_SEND_LIMIT)
        # One network is not a wave: even judged, nothing is held or blocked.
        self.site.age_sends(GRACE + 10)
        self.assertEqual(self.site.sql('SELECT count(*) FROM block'), [(0,)])
        # Real visitors, numbers in the attacked prefixes, clean networks.
        self.after_trip = Tally()
        more = iter([(phones[i], '10.120.0.%d' % (1 + i % self.addrs)) for i in range(40)])
        visitors = [('+1202%03d%04d' % (600 + v, 5000 + v), '10.121.%d.7' % v)
                    for v in range(VISITORS)]
        outcomes = self.run_visitors(visitors, more)
        took = self.assertQuick()
        text, inbound, waits = self.shares(outcomes)
        figure('pumping (b): 1 network (10.120.0.0/24, %d addresses), %d numbers in %d prefixes: '
               '%d texts let through (IP_SEND_LIMIT %d per address, NETWORK_SEND_LIMIT %d per '
               'network), %d refused %s; after it %d '
               'requests, %d texts; blocks made: %d; %s; %.1f s'
               % (self.addrs, len(phones), len(phones), tally.sent, IP_SEND_LIMIT,
                  NETWORK_SEND_LIMIT,
                  sum(tally.refused.values()), tally.refused, self.after_trip.requests,
                  self.after_trip.sent, len(self.site.sql('SELECT prefix FROM block')),
                  self.visitors_line(outcomes), took))
        self.assertEqual(self.after_trip.sent, 0)
        self.assertEqual(self.after_trip.refused, {'client': self.after_trip.requests})
        self.assertEqual(self.site.sql('SELECT count(*) FROM block'), [(0,)])
        # Nothing held for everyone: every visitor gets its text.
        self.assertEqual((text, inbound, len(waits)), (VISITORS, 0, 0))


# --- (c) many networks, many prefixes of one country -------------------------
def prefix_c(i):
    """The i-th number, in one of 20 prefixes (+1202700 .. +1202719)."""
    return '+1202%03d%04d' % (700 + i % 20, 1000 + i // 20)


class PumpingOneCountryTest(PumpingCase):
    """(c) 200 networks across 20 prefixes of +1."""
    nets = 200

    def run_c(self, cap, kind, requests, base, visitor_base):
        attack = iter([(prefix_c(i), '10.%d.%d.%d' % (base, i % self.nets, 1 + i // self.nets))
                       for i in range(requests)])
        before = Tally()
        for phone, addr in attack:
            err = before.add(self.attack(phone, addr))
            if err is not None:
                self.assertEqual(err['kind'], kind)
                self.assertEqual(err.get('alternatives'), ['inbound'])
                self.assertGreaterEqual(err['retry_after'], HOUR - 120)
                break
        self.assertEqual(before.sent, cap, 'texts let through')
        self.assertEqual(before.refused, {kind: 1})
        # No prefix had enough for the breaker: only the cap stopped it.
        self.assertEqual(self.site.sql('SELECT count(*) FROM block'), [(0,)])
        self.after_trip = Tally()
        visitors = [('+1202%03d%04d' % (700 + v, 6000 + v), '10.%d.%d.7' % (visitor_base, v))
                    for v in range(VISITORS)]
        outcomes = self.run_visitors(visitors, attack)
        for phone, addr in attack:
            self.after_trip.add(self.attack(phone, addr))
        self.assertEqual(self.after_trip.sent, 0)
        self.assertEqual(self.after_trip.refused, {kind: self.after_trip.requests})
        self.assertEqual(len(self.fake.messages), cap)
        return before, outcomes

    def test_country_cap(self):
        cap = 100
        self.configure(COUNTRY_HOURLY_LIMITS='+1:%d' % cap)
        before, outcomes = self.run_c(cap, 'country', self.nets, 130, 131)
        took = self.assertQuick()
        text, inbound, waits = self.shares(outcomes)
        figure('pumping (c): %d networks, 20 prefixes of +1, COUNTRY_HOURLY_LIMITS=+1:%d '
               '(HOURLY_SEND_LIMIT %d): %d texts let through (the cap), then 429 country; '
               'after it %d requests, %d texts; blocks made: %d; %s; %.1f s'
               % (self.nets, cap, HOURLY, before.sent, self.after_trip.requests,
                  self.after_trip.sent, len(self.site.sql('SELECT prefix FROM block')),
                  self.visitors_line(outcomes), took))
        self.assertEqual((text, inbound, len(waits)), (0, VISITORS, 0))

    def test_hourly_cap(self):
        before, outcomes = self.run_c(HOURLY, 'cap', self.nets + 20, 132, 133)
        took = self.assertQuick()
        text, inbound, waits = self.shares(outcomes)
        figure('pumping (c), no country cap: %d networks, 20 prefixes of +1: %d texts let '
               'through (HOURLY_SEND_LIMIT), then 429 cap; after it %d requests, %d texts; '
               'blocks made: %d; %s; %.1f s'
               % (self.nets, before.sent, self.after_trip.requests, self.after_trip.sent,
                  len(self.site.sql('SELECT prefix FROM block')),
                  self.visitors_line(outcomes), took))
        self.assertEqual((text, inbound, len(waits)), (0, VISITORS, 0))


if __name__ == '__main__':
    unittest.main()
