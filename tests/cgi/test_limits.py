"""429: the send limits, the RESEND_AFTER, the wrong-code cap, the country
allow-list (DESIGN section 1: 'per-phone, per-client and global send limits,
RESEND_AFTER, country allow-list')."""

import concurrent.futures
import time
import unittest

from harness import CGITestCase

PHONE = '+12025550143'


class LimitCase(CGITestCase):
    def assert429(self, r, max_retry=None):
        self.assertStatus(r, 429, 'error')
        ra = r.header('Retry-After')
        self.assertIsNotNone(ra, 'no Retry-After' + r.describe())
        self.assertRegex(ra, r'^[1-9][0-9]*$', r.describe())
        if max_retry is not None:
            self.assertLessEqual(int(ra), max_retry, r.describe())
        self.assertNotIn(PHONE, r.text)
        return int(ra)


class CooldownTest(LimitCase):
    def test_default_cooldown(self):
        r, vid, code = self.start_flow(PHONE)
        r2 = self.site.request(PHONE, vid=vid)
        self.assert429(r2, max_retry=30)
        self.assertEqual(len(self.fake.messages), 1, 'a 429 still sent an SMS')
        # the pending code is untouched by the refused request
        self.assertStatus(self.site.verify(code, vid=vid), 200, 'success')

    def test_cooldown_ends(self):
        site = self.make_site({'RESEND_AFTER': 2})
        r, vid, code = self.start_flow(PHONE, site=site)
        self.assert429(site.request(PHONE, vid=vid), max_retry=2)
        time.sleep(2.2)
        r2, vid2, code2 = self.start_flow(PHONE, site=site, vid=vid)
        self.assertEqual(len(self.fake.messages), 2)

    def test_cooldown_is_per_phone(self):
        r, vid, code = self.start_flow(PHONE)
        r2, vid2, code2 = self.start_flow('+12025550199')
        self.assertEqual(len(self.fake.messages), 2)


class SendLimitTest(LimitCase):
    def test_phone_send_limit(self):
        site = self.make_site({'RESEND_AFTER': 0, 'PHONE_SEND_LIMIT': 2})
        for i in range(2):
            self.assertStatus(site.request(PHONE, remote_addr='10.30.0.%d' % (i + 1)), 200)
        self.assert429(site.request(PHONE, remote_addr='10.30.0.9'))
        self.assertEqual(len(self.fake.messages), 2)
        self.assertStatus(site.request('+12025550199', remote_addr='10.30.0.10'), 200)

    def test_ip_send_limit(self):
        site = self.make_site({'IP_SEND_LIMIT': 2})
        for i in range(2):
            self.assertStatus(site.request('+1202555%04d' % (900 + i), remote_addr='10.31.0.1'),
                              200)
        self.assert429(site.request('+12025550950', remote_addr='10.31.0.1'))
        self.assertEqual(len(self.fake.messages), 2)
        self.assertStatus(site.request('+12025550951', remote_addr='10.31.0.2'), 200)

    def test_ipv6_clients_counted_by_64(self):
        site = self.make_site({'IP_SEND_LIMIT': 2})
        for i, addr in enumerate(('2001:db8:1:2::1', '2001:db8:1:2::ffff')):
            self.assertStatus(site.request('+1202555%04d' % (960 + i), remote_addr=addr), 200)
        self.assert429(site.request('+12025550970', remote_addr='2001:db8:1:2:aaaa::1'))
        self.assertStatus(site.request('+12025550971', remote_addr='2001:db8:1:3::1'), 200)

    def test_hourly_send_limit(self):
        site = self.make_site({'HOURLY_SEND_LIMIT': 2})
        for i in range(2):
            self.assertStatus(site.request('+1202555%04d' % (910 + i),
                                           remote_addr='10.32.0.%d' % (i + 1)), 200)
        self.assert429(site.request('+12025550920', remote_addr='10.32.0.9'))
        self.assertEqual(len(self.fake.messages), 2)

    def test_limit_holds_under_concurrency(self):
        site = self.make_site({'HOURLY_SEND_LIMIT': 5})
        with concurrent.futures.ThreadPoolExecutor(20) as ex:
            results = list(ex.map(lambda i: site.request('+1202557%04d' % i,
                                                         remote_addr='10.33.0.%d' % (i + 1),
                                                         timeout=60), range(20)))
        for r in results:
            self.assertSane(r)
            self.assertNotIn('locked', r.stderr.lower(), r.describe())
        statuses = sorted(r.status for r in results)
        odd = [r for r in results if r.status not in (200, 429)]
        self.assertEqual(statuses, [200] * 5 + [429] * 15, odd[0].describe() if odd else '')
        self.assertEqual(len(self.fake.messages), 5, 'sends over the limit')

    def test_same_phone_concurrently_sends_once(self):
        with concurrent.futures.ThreadPoolExecutor(10) as ex:
            results = list(ex.map(lambda i: self.site.request(PHONE,
                                                              remote_addr='10.34.0.%d' % (i + 1),
                                                              timeout=60), range(10)))
        statuses = sorted(r.status for r in results)
        odd = [r for r in results if r.status not in (200, 429)]
        self.assertEqual(statuses, [200] + [429] * 9,
                         'cooldown raced' + (odd[0].describe() if odd else ''))
        self.assertEqual(len(self.fake.messages), 1)


class WrongCodeCapTest(LimitCase):
    def test_phone_failure_limit(self):
        site = self.make_site({'RESEND_AFTER': 0, 'PHONE_FAILURE_LIMIT': 3, 'MAX_ATTEMPTS': 10})
        r, vid, code = self.start_flow(PHONE, site=site)
        wrong = '0000' if code != '0000' else '1111'
        for i in range(3):
            self.assertStatus(site.verify(wrong, vid=vid), 422)
        v = site.verify(wrong, vid=vid)
        self.assert429(v)
        # no new codes for that number from the network that guessed
        # (127.0.0.0/24)...
        self.assert429(site.request(PHONE, remote_addr='127.0.0.2'))
        # ...but a visitor on another network is not locked out by them
        self.assertStatus(site.request(PHONE, remote_addr='10.35.0.1'), 200, 'verify')


class CountryTest(LimitCase):
    def test_allowed_country_codes(self):
        site = self.make_site({'ALLOWED_COUNTRY_CODES': '+1, +44'})
        self.assertStatus(site.request('+44 7911 123456'), 200, 'verify')
        r = site.request('+33 6 12 34 56 78')
        self.assertStatus(r, 400, 'index')
        self.assertTrue(r.has_error_element(), r.describe())
        self.assertEqual(len(self.fake.messages), 1)

    def test_star_allows_all(self):
        site = self.make_site({'ALLOWED_COUNTRY_CODES': '*'})
        self.assertStatus(site.request('+33 6 12 34 56 78'), 200, 'verify')
        self.assertEqual(self.fake.messages[-1]['to'], '+33612345678')

    def test_country_hourly_limit(self):
        site = self.make_site({'ALLOWED_COUNTRY_CODES': '*', 'COUNTRY_HOURLY_LIMITS': '+44:1'})
        self.assertStatus(site.request('+447911123456', remote_addr='10.36.0.1'), 200)
        self.assert429(site.request('+447911123457', remote_addr='10.36.0.2'))
        self.assertStatus(site.request('+12025550143', remote_addr='10.36.0.3'), 200)


class LimitConfigTest(LimitCase):
    def test_invalid_limit_values_500(self):
        cases = [('RESEND_AFTER', -1), ('RESEND_AFTER', 'soon'), ('PHONE_SEND_LIMIT', 0),
                 ('IP_SEND_LIMIT', 0), ('HOURLY_SEND_LIMIT', 'x'), ('DAILY_SEND_LIMIT', -5),
                 ('PHONE_FAILURE_LIMIT', 0), ('ALLOWED_COUNTRY_CODES', ''),
                 ('ALLOWED_COUNTRY_CODES', 'US'), ('ALLOWED_COUNTRY_CODES', ', ,'),
                 ('COUNTRY_HOURLY_LIMITS', '+44'), ('COUNTRY_HOURLY_LIMITS', '+44:0')]
        for key, value in cases:
            with self.subTest(key=key, value=value):
                site = self.make_site({key: value})
                r = site.request(PHONE)
                self.assertStatus(r, 500)
                self.assertIn(key, r.stderr)
        self.assertEqual(self.fake.messages, [])


if __name__ == '__main__':
    unittest.main()
