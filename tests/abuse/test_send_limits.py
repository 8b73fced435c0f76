"""Issue 4, sending limits: every limit at its boundary (the Nth send passes,
the N+1th gets 429 with a sane Retry-After), the window passing, and the
country allow-list.

Each test sets the limits it does not test high (and RESEND_AFTER=0 where
the cooldown would get in the way), so that exactly one limit is in play.
Windows of an hour or a day pass by ageing the rows of the `send` table in
the test's own store (age_sends) instead of sleeping.
"""

import time
import unittest

from abuse_common import (AbuseCase, DAY, FR_PHONE, HOUR, OTHER_PHONE, PHONE, UK_PHONE,
                          age_sends, audit_events, db_query, send_rows)

HIGH = {'RESEND_AFTER': 0, 'PHONE_SEND_LIMIT': 1000, 'PHONE_DAILY_LIMIT': 1000,
        'IP_SEND_LIMIT': 1000000, 'PHONE_NETWORK_LIMIT': 1000, 'NETWORK_SEND_LIMIT': 1000000,
        'HOURLY_SEND_LIMIT': 1000000, 'DAILY_SEND_LIMIT': 10000000,
        'PHONE_FAILURE_LIMIT': 100}


def keys(**kw):
    k = dict(HIGH)
    k.update(kw)
    return k


def phone(i):
    return '+1202555%04d' % (1000 + i)


class PhoneDailyLimitTest(AbuseCase):
    def test_one_number_from_many_addresses_capped_per_day(self):
        # The victim's number asked for from a new address each time, every
        # window passing (aged rows): PHONE_DAILY_LIMIT (default 10) stops the
        # eleventh code of the day, whoever asks.
        site = self.make_site(keys(PHONE_DAILY_LIMIT=None, PHONE_SEND_LIMIT=2))
        for i in range(10):
            r = site.request(PHONE, remote_addr='10.50.%d.1' % i)
            self.assertStatus(r, 200)
            age_sends(site, 700)  # past PHONE_SEND_WINDOW (600 s), inside the day
        r = site.request(PHONE, remote_addr='10.50.99.1')
        self.assert429(r, DAY, why='PHONE_DAILY_LIMIT', at_least=DAY - 10 * 700 - 60)
        self.assertEqual(self.wait_settled(10), 10, 'the refused request sent an SMS')
        # Another number is not held back by it.
        self.assertStatus(site.request(OTHER_PHONE, remote_addr='10.50.99.1'), 200)
        # A day after the first of them, one more gets through.
        age_sends(site, DAY)
        self.assertStatus(site.request(PHONE, remote_addr='10.50.99.2'), 200)


class ResendCooldownTest(AbuseCase):
    def test_default_cooldown_30s(self):
        # The defaults (RESEND_AFTER=30): a second code for the same number at
        # once is refused, also for the same visitor, and nothing is sent.
        r1, vid, code = self.start_flow(PHONE)
        r2 = self.site.request(PHONE, vid=vid)
        self.assert429(r2, 30, why='RESEND_AFTER', at_least=25)
        # The same number, typed, from the same network (127.0.0.0/24).
        r3 = self.site.request('(202) 555-0143', remote_addr='127.0.0.2')
        self.assert429(r3, 30, why='RESEND_AFTER')
        self.assertEqual(self.wait_settled(1), 1, 'a refused request sent an SMS')
        # The cooldown is the network's: a visitor elsewhere gets a code.
        self.start_flow(PHONE, remote_addr='10.40.0.2')
        # Another number is not held back.
        self.start_flow(OTHER_PHONE)
        # The refused requests did not touch the pending code.
        self.assertStatus(self.site.verify(code, vid=vid), 200, 'success')

    def test_cooldown_boundary(self):
        site = self.make_site({'RESEND_AFTER': 30})
        r1, vid, code = self.start_flow(PHONE, site=site)
        # Ageing the send row stands for waiting: 25 s later, still 5 s to go.
        age_sends(site, 25)
        ra = self.assert429(site.request(PHONE, vid=vid), 30, why='RESEND_AFTER')
        self.assertLessEqual(ra, 5, 'Retry-After does not count from the last send')
        # 30 s after the send it is allowed again (at == now - RESEND_AFTER is out).
        age_sends(site, 5)
        self.start_flow(PHONE, site=site, vid=vid)
        self.assertEqual(self.wait_settled(2), 2)

    def test_zero_disables_cooldown(self):
        site = self.make_site({'RESEND_AFTER': 0})
        for _ in range(3):
            self.start_flow(PHONE, site=site)
        self.assertEqual(self.wait_settled(3), 3)


class PhoneSendLimitTest(AbuseCase):
    def test_default_5_per_10_minutes(self):
        # PHONE_SEND_LIMIT and PHONE_SEND_WINDOW at their defaults (5, 600 s),
        # per network: each request from another address of one /24, so
        # IP_SEND_LIMIT stays out of it; PHONE_NETWORK_LIMIT (3 a day) raised.
        site = self.make_site({'RESEND_AFTER': 0, 'PHONE_NETWORK_LIMIT': 100})
        for i in range(5):
            self.start_flow(PHONE, site=site, remote_addr='10.41.0.%d' % (i + 1))
        r = site.request(PHONE, remote_addr='10.41.0.9')
        self.assert429(r, 600, why='PHONE_SEND_LIMIT', at_least=570)
        self.assertEqual(self.wait_settled(5), 5, 'the 6th request sent an SMS')
        self.start_flow(OTHER_PHONE, site=site, remote_addr='10.41.0.10')
        # Another network is not held back by this one's five.
        self.start_flow(PHONE, site=site, remote_addr='10.41.1.1')

    def test_default_3_a_day_per_network(self):
        # PHONE_NETWORK_LIMIT at its default: a network's third text to a
        # number is its last of the day; another network's visitor goes on.
        site = self.make_site({'RESEND_AFTER': 0})
        for i in range(3):
            self.start_flow(PHONE, site=site, remote_addr='10.42.0.%d' % (i + 1))
        self.assert429(site.request(PHONE, remote_addr='10.42.0.9'), DAY,
                       why='PHONE_NETWORK_LIMIT', at_least=DAY - 60)
        self.start_flow(PHONE, site=site, remote_addr='10.42.1.1')

    def test_boundary_and_window(self):
        site = self.make_site(keys(PHONE_SEND_LIMIT=3, PHONE_SEND_WINDOW=60))
        for i in range(3):
            self.start_flow(PHONE, site=site)
        self.assert429(site.request(PHONE), 60, why='PHONE_SEND_LIMIT', at_least=40)
        # Retry-After counts from the oldest send in the window: age only it.
        oldest = send_rows(site)[0][0]
        first = '%s = (SELECT min(%s) FROM send)' % (site.row_id('send'), site.row_id('send'))
        age_sends(site, 50, first)
        self.assertEqual(send_rows(site)[0][0], oldest - 50)
        ra = self.assert429(site.request(PHONE), 60, why='PHONE_SEND_LIMIT')
        self.assertLessEqual(ra, 10, 'Retry-After is not from the oldest counted send')
        # Once that send leaves the window, exactly one more passes.
        age_sends(site, 10, first)
        self.start_flow(PHONE, site=site)
        self.assert429(site.request(PHONE), 60, why='PHONE_SEND_LIMIT')
        self.assertEqual(self.wait_settled(4), 4)

    def test_counted_by_normalised_number(self):
        site = self.make_site(keys(PHONE_SEND_LIMIT=2))
        self.start_flow('+1 (202) 555-0143', expect_to=PHONE, site=site)
        self.start_flow('202.555.0143', expect_to=PHONE, site=site)
        self.assert429(site.request('2025550143'), 600, why='PHONE_SEND_LIMIT')


class ClientSendLimitTest(AbuseCase):
    def test_default_10_per_hour(self):
        site = self.make_site({'RESEND_AFTER': 0})
        for i in range(10):
            self.start_flow(phone(i), site=site, remote_addr='10.42.0.1')
        self.assert429(site.request(phone(10), remote_addr='10.42.0.1'), HOUR,
                       why='IP_SEND_LIMIT', at_least=HOUR - 60)
        self.assertEqual(self.wait_settled(10), 10)

    def test_ipv4_clients_counted_apart(self):
        site = self.make_site(keys(IP_SEND_LIMIT=3))
        for i in range(3):
            self.start_flow(phone(i), site=site, remote_addr='10.43.0.1')
        self.assert429(site.request(phone(3), remote_addr='10.43.0.1'), HOUR,
                       why='IP_SEND_LIMIT', at_least=HOUR - 60)
        # Another IPv4 address, even the next one, has its own count.
        for i in range(3):
            self.start_flow(phone(10 + i), site=site, remote_addr='10.43.0.2')
        self.assert429(site.request(phone(13), remote_addr='10.43.0.2'), HOUR)
        self.assertEqual(self.wait_settled(6), 6)
        clients = sorted({row[2] for row in send_rows(site)})
        self.assertEqual(clients, ['10.43.0.1', '10.43.0.2'])
        # An hour later (rows aged) the first client may send again.
        age_sends(site, HOUR, 'client = ?', ('10.43.0.1',))
        self.start_flow(phone(20), site=site, remote_addr='10.43.0.1')
        self.assert429(site.request(phone(21), remote_addr='10.43.0.2'), HOUR)

    def test_ipv6_same_64_counted_together(self):
        site = self.make_site(keys(IP_SEND_LIMIT=3))
        same_net = ['2001:db8:a:b::1', '2001:db8:a:b:1:2:3:4', '2001:DB8:A:B::FFFF']
        for i, addr in enumerate(same_net):
            self.start_flow(phone(i), site=site, remote_addr=addr)
        for addr in ('2001:db8:a:b:ffff:ffff:ffff:fffe',
                     '2001:0db8:000a:000b:0000:0000:0000:0009'):
            self.assert429(site.request(phone(5), remote_addr=addr), HOUR,
                           why='IP_SEND_LIMIT')
        self.assertEqual({row[2] for row in send_rows(site)}, {'2001:db8:a:b::/64'})

    def test_ipv6_different_64_counted_apart(self):
        site = self.make_site(keys(IP_SEND_LIMIT=2))
        for i in range(2):
            self.start_flow(phone(i), site=site, remote_addr='2001:db8:a:b::%d' % (i + 1))
        self.assert429(site.request(phone(2), remote_addr='2001:db8:a:b::9'), HOUR)
        # The neighbouring /64s (and another /48) are other clients.
        for j, addr in enumerate(('2001:db8:a:c::1', '2001:db8:a:a::1', '2001:db8:b:b::1')):
            self.start_flow(phone(10 + j), site=site, remote_addr=addr)
        self.assertEqual(self.wait_settled(5), 5)

    def test_ipv4_mapped_ipv6_counted_as_ipv4(self):
        # A server listening on a dual-stack socket may pass IPv4 clients as
        # ::ffff:a.b.c.d.  Counting those per /64 would put every IPv4 client
        # of the internet into one bucket (::/64): each is its own client.
        site = self.make_site(keys(IP_SEND_LIMIT=2))
        for i in range(2):
            self.start_flow(phone(i), site=site, remote_addr='::ffff:10.44.0.1')
        self.assert429(site.request(phone(2), remote_addr='::ffff:10.44.0.1'), HOUR)
        r = site.request(phone(3), remote_addr='::ffff:10.44.0.2')
        self.assertStatus(r, 200, 'verify')


class GlobalCapTest(AbuseCase):
    def test_hourly_cap(self):
        site = self.make_site(keys(HOURLY_SEND_LIMIT=3))
        for i in range(3):
            self.start_flow(phone(i), site=site, remote_addr='10.45.0.%d' % (i + 1))
        r = site.request(phone(3), remote_addr='10.45.0.9')
        self.assert429(r, HOUR, why='HOURLY_SEND_LIMIT', at_least=HOUR - 60)
        self.assertRegex(r.stderr, r'(?m)^request\.cgi: WARNING: HOURLY_SEND_LIMIT reached',
                         'the cap is not logged loudly' + r.describe())
        self.assertEqual(self.wait_settled(3), 3)
        # Refused requests do not count: an hour after the 3 sends, 3 more pass.
        age_sends(site, HOUR)
        for i in range(3):
            self.start_flow(phone(10 + i), site=site, remote_addr='10.45.1.%d' % (i + 1))
        self.assert429(site.request(phone(13), remote_addr='10.45.1.9'), HOUR,
                       why='HOURLY_SEND_LIMIT')

    def test_daily_cap(self):
        site = self.make_site(keys(DAILY_SEND_LIMIT=3))
        for i in range(3):
            self.start_flow(phone(i), site=site, remote_addr='10.46.0.%d' % (i + 1))
        r = site.request(phone(3), remote_addr='10.46.0.9')
        self.assert429(r, DAY, why='DAILY_SEND_LIMIT', at_least=DAY - 60)
        self.assertRegex(r.stderr, r'(?m)^request\.cgi: WARNING: DAILY_SEND_LIMIT reached',
                         r.describe())
        # 23 hours later: out of every hourly window, still in the day's.
        age_sends(site, 23 * HOUR)
        ra = self.assert429(site.request(phone(4), remote_addr='10.46.0.10'), DAY,
                            why='DAILY_SEND_LIMIT')
        self.assertLessEqual(ra, HOUR)
        age_sends(site, HOUR)
        self.start_flow(phone(5), site=site, remote_addr='10.46.0.11')
        self.assertEqual(self.wait_settled(4), 4)

    def test_default_hourly_cap_is_200(self):
        # Rows the CGI programs would have written, put in directly (199 sends
        # 10 minutes ago, to other numbers from another client) so as not to
        # run 200 programs.
        site = self.make_site({'RESEND_AFTER': 0})
        self.start_flow(phone(0), site=site, remote_addr='10.47.0.1')  # creates the DB
        age_sends(site, 600)
        db_query(site, "INSERT INTO send (at, phone, client, country) "
                 "SELECT at, phone, client, country FROM send")  # 2
        rowid = site.row_id('send')
        for _ in range(7):
            db_query(site, "INSERT INTO send (at, phone, client, country) "
                     "SELECT at, '+1303555' || (1000 + %s), '10.47.1.1', '+1' FROM send" % rowid)
        n = db_query(site, 'SELECT count(*) FROM send')[0][0]
        self.assertEqual(n, 256)
        # 199 rows in the hour: the first 199 written
        db_query(site, 'DELETE FROM send WHERE %s NOT IN '
                 '(SELECT %s FROM send ORDER BY %s LIMIT 199)' % (rowid, rowid, rowid))
        self.start_flow(phone(1), site=site, remote_addr='10.47.0.2')  # the 200th
        self.assert429(site.request(phone(2), remote_addr='10.47.0.3'), HOUR,
                       why='HOURLY_SEND_LIMIT', at_least=HOUR - 660)

    def test_default_daily_cap_is_1000(self):
        # As above: 999 rows put in directly, two hours old (out of every
        # hourly window, in the day's), to other numbers from other clients.
        site = self.make_site({'RESEND_AFTER': 0})
        self.start_flow(phone(0), site=site, remote_addr='10.48.0.1')  # creates the DB
        db_query(site, 'DELETE FROM send')
        db_query(site, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                 "WHERE i < 999) INSERT INTO send (at, phone, client, country) "
                 "SELECT ? - 7200, '+1303556' || (1000 + i), "
                 "'10.48.1.' || (i % 200), '+1' FROM n", (int(time.time()),))
        self.assertEqual(db_query(site, 'SELECT count(*) FROM send'), [(999,)])
        self.start_flow(phone(1), site=site, remote_addr='10.48.0.2')  # the 1000th
        r = site.request(phone(2), remote_addr='10.48.0.3')
        self.assert429(r, DAY, why='DAILY_SEND_LIMIT', at_least=DAY - 7260)
        self.assertIn('WARNING: DAILY_SEND_LIMIT reached', r.stderr)


class CountryTest(AbuseCase):
    def test_default_allows_only_country_code(self):
        # The harness's config has COUNTRY_CODE='+1' and no ALLOWED_COUNTRY_CODES.
        r = self.site.request('+44 7911 123456')
        self.assertStatus(r, 400, 'index')
        self.assertTrue(r.has_error_element(), r.describe())
        self.assertIn('country', r.text.lower())
        self.assertEqual(self.wait_settled(0), 0, 'the fake Telnyx got a message')
        self.assertEqual(send_rows(self.site), [], 'a refused number was counted')
        ev = [e for e in audit_events(r.stderr) if e['event'] == 'refused']
        self.assertEqual(len(ev), 1, r.describe())
        self.assertIn('reason=country', ev[0]['rest'] or '')
        self.start_flow(PHONE)
        self.start_flow('2025550199', expect_to=OTHER_PHONE)

    def test_country_code_sets_default_list(self):
        site = self.make_site({'COUNTRY_CODE': '+44'})
        self.start_flow('7911 123456', expect_to=UK_PHONE, site=site)
        self.assertStatus(site.request(PHONE), 400, 'index')
        self.assertEqual(self.wait_settled(1), 1)

    def test_star_allows_all(self):
        site = self.make_site(keys(ALLOWED_COUNTRY_CODES='*'))
        for p in (UK_PHONE, FR_PHONE, '+819012345678', PHONE):
            self.start_flow(p, site=site)
        self.assertEqual([m['to'] for m in self.fake.messages],
                         [UK_PHONE, FR_PHONE, '+819012345678', PHONE])

    def test_list_allows_both(self):
        site = self.make_site(keys(ALLOWED_COUNTRY_CODES='+1,+44'))
        self.start_flow(UK_PHONE, site=site)
        self.start_flow(PHONE, site=site)
        r = site.request(FR_PHONE)
        self.assertStatus(r, 400, 'index')
        self.assertEqual([m['to'] for m in self.fake.messages], [UK_PHONE, PHONE])

    def test_country_hourly_limit(self):
        site = self.make_site(keys(ALLOWED_COUNTRY_CODES='+1,+44',
                                   COUNTRY_HOURLY_LIMITS='+44:2,+1:100'))
        self.start_flow('+447911123001', site=site)
        self.start_flow('+447911123002', site=site)
        self.assert429(site.request('+447911123003'), HOUR, why='COUNTRY_HOURLY_LIMITS',
                       at_least=HOUR - 60)
        # +1 has its own, higher cap.
        for i in range(3):
            self.start_flow(phone(i), site=site)
        self.assertEqual(self.wait_settled(5), 5)
        self.assertEqual(sorted(row[3] for row in send_rows(site)),
                         ['+1', '+1', '+1', '+44', '+44'])
        # The hour passes for the +44 sends.
        age_sends(site, HOUR, 'country = ?', ('+44',))
        self.start_flow('+447911123004', site=site)

    def test_country_hourly_limit_with_star(self):
        site = self.make_site(keys(ALLOWED_COUNTRY_CODES='*', COUNTRY_HOURLY_LIMITS='+44:1'))
        self.start_flow(UK_PHONE, site=site)
        self.assert429(site.request('+447911123457'), HOUR, why='COUNTRY_HOURLY_LIMITS')
        self.start_flow(FR_PHONE, site=site)
        self.start_flow(PHONE, site=site)


if __name__ == '__main__':
    unittest.main()
