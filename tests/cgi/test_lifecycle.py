"""A code's life: used once, expiry, lockout, replacement by a new request."""

import time
import unittest

from harness import CGITestCase, VERIFY

PHONE = '+12025550143'


def wrong_code(code, n=0):
    """A code of the same shape as code that differs from it in every place
    (n picks another one)."""
    alphabet = '0123456789' if code.isdigit() else '0123456789ABCDEF'
    shift = 1 + n % (len(alphabet) - 1)
    w = ''.join(alphabet[(alphabet.index(c.upper()) + shift) % len(alphabet)] for c in code)
    assert w.upper() != code.upper()
    return w


class ReplayTest(CGITestCase):
    def test_used_code_is_dead(self):
        r, vid, code = self.start_flow(PHONE)
        self.assertStatus(self.site.verify(code, vid=vid), 200, 'success')
        for attempt in range(3):
            again = self.site.verify(code, vid=vid, cookie_vid=vid)
            self.assertStatus(again, 410, 'error')
            self.assertTrue(any('request.cgi' in h for h in again.links() + again.forms()),
                            'the 410 page offers no new code' + again.describe())
        # a wrong code on a used verification is 410 too, not 422
        self.assertStatus(self.site.verify(wrong_code(code), vid=vid), 410)

    def test_get_verify_after_use(self):
        r, vid, code = self.start_flow(PHONE)
        self.assertStatus(self.site.verify(code, vid=vid), 200, 'success')
        g = self.site.get(VERIFY, cookie='otp_vid=' + vid)
        self.assertSane(g)
        self.assertNotEqual(g.page, 'verify', 'a used verification still shows the form'
                            + g.describe())
        self.assertTrue(any('request.cgi' in h for h in g.links() + g.forms()), g.describe())

    def test_unknown_id_410(self):
        for vid in ('0' * 32, 'abcdef0123456789abcdef0123456789'):
            r = self.site.verify('1234', vid=vid)
            self.assertStatus(r, 410, 'error')
            r = self.site.verify('1234', cookie_vid=vid)
            self.assertStatus(r, 410, 'error')

    def test_no_id_at_all(self):
        r = self.site.verify('1234')
        self.assertStatus(r, 400, 'error')
        self.assertTrue(any('request.cgi' in h for h in r.links() + r.forms()), r.describe())


class ExpiryTest(CGITestCase):
    site_keys = {'TOKEN_TTL': 1}

    def test_expired_code_410(self):
        r, vid, code = self.start_flow(PHONE)
        time.sleep(2.2)
        v = self.site.verify(code, vid=vid)
        self.assertStatus(v, 410, 'error')
        self.assertTrue(any('request.cgi' in h for h in v.links() + v.forms()), v.describe())
        # and it stays dead
        self.assertStatus(self.site.verify(code, vid=vid), 410)

    def test_within_ttl_works(self):
        site = self.make_site({'TOKEN_TTL': 5})
        r, vid, code = self.start_flow(PHONE, site=site)
        time.sleep(1.1)
        self.assertStatus(site.verify(code, vid=vid), 200, 'success')

    def test_wrong_code_after_expiry_410(self):
        r, vid, code = self.start_flow(PHONE)
        time.sleep(2.2)
        self.assertStatus(self.site.verify(wrong_code(code), vid=vid), 410)

    def test_get_verify_after_expiry_links_back(self):
        r, vid, code = self.start_flow(PHONE)
        time.sleep(2.2)
        g = self.site.get(VERIFY, cookie='otp_vid=' + vid)
        self.assertSane(g)
        self.assertTrue(any('request.cgi' in h for h in g.links() + g.forms()), g.describe())


class LockoutTest(CGITestCase):
    site_keys = {'MAX_ATTEMPTS': 3}

    def test_lockout_after_max_attempts(self):
        r, vid, code = self.start_flow(PHONE)
        for i in range(2):
            w = self.site.verify(wrong_code(code, i), vid=vid)
            self.assertStatus(w, 422, 'verify')
            self.assertTrue(w.has_error_element(), 'no class="error" element' + w.describe())
            self.assertEqual(w.hidden_vid, vid, 'the form again must carry the id' + w.describe())
        # the MAX_ATTEMPTS-th wrong try leaves none: 410 (test_last_wrong_try_is_410)
        w = self.site.verify(wrong_code(code, 2), vid=vid)
        self.assertStatus(w, 410, 'error')
        w = self.site.verify(wrong_code(code, 3), vid=vid)
        self.assertStatus(w, 410, 'error')
        right = self.site.verify(code, vid=vid)
        self.assertStatus(right, 410, 'error')
        self.assertTrue(any('request.cgi' in h for h in right.links() + right.forms()),
                        right.describe())

    def test_last_wrong_try_is_410(self):
        # 422 is 'a wrong code that still has tries left': the MAX_ATTEMPTS-th wrong
        # try leaves none, so it is already 410, with the page saying it was the last
        r, vid, code = self.start_flow(PHONE)
        answers = [self.site.verify(wrong_code(code, i), vid=vid) for i in range(4)]
        self.assertEqual([a.status for a in answers], [422, 422, 410, 410])
        self.assertIn('last try', answers[2].text)
        self.assertStatus(self.site.verify(code, vid=vid), 410)

    def test_right_code_after_max_minus_one_wrong_tries(self):
        r, vid, code = self.start_flow(PHONE)
        for i in range(2):
            self.assertStatus(self.site.verify(wrong_code(code, i), vid=vid), 422, 'verify')
        self.assertStatus(self.site.verify(code, vid=vid), 200, 'success')

    def test_default_max_attempts_is_5(self):
        site = self.make_site({'MAX_ATTEMPTS': None})
        r, vid, code = self.start_flow(PHONE, site=site)
        statuses = [site.verify(wrong_code(code, i), vid=vid).status for i in range(7)]
        self.assertEqual(statuses, [422] * 4 + [410] * 3, statuses)
        self.assertStatus(site.verify(code, vid=vid), 410)

    def test_default_allows_4_wrong_then_right(self):
        site = self.make_site({'MAX_ATTEMPTS': None})
        r, vid, code = self.start_flow(PHONE, site=site)
        for i in range(4):
            self.assertStatus(site.verify(wrong_code(code, i), vid=vid), 422)
        self.assertStatus(site.verify(code, vid=vid), 200, 'success')

    def test_max_attempts_1(self):
        site = self.make_site({'MAX_ATTEMPTS': 1})
        r, vid, code = self.start_flow(PHONE, site=site)
        self.assertStatus(site.verify(wrong_code(code), vid=vid), (410, 422))
        self.assertStatus(site.verify(code, vid=vid), 410)

    def test_malformed_token_counts_or_is_400(self):
        # a token of the wrong shape may be refused (400) without costing a try, or count as
        # a wrong try (422); it must never verify and never unlock anything
        r, vid, code = self.start_flow(PHONE)
        for tok in ('', ' ', 'ZZZZ', code + '0', code[:-1], '-' + code[1:]):
            with self.subTest(token=tok):
                v = self.site.verify(tok, vid=vid)
                self.assertStatus(v, (400, 410, 422))
        self.assertStatus(self.site.verify(code, vid=vid), (200, 410))


class ReplacementTest(CGITestCase):
    # no RESEND_AFTER: these ask for a new code right away
    site_keys = {'MAX_ATTEMPTS': 3, 'RESEND_AFTER': 0}

    def test_new_request_keeps_the_first_code_until_used(self):
        # Issue 10: the first text may come late; its code stays good, and using
        # it uses the new one up.  TOKEN_LENGTH 10: the two codes differ.
        self.site = self.make_site(dict(self.site_keys, TOKEN_LENGTH=10))
        r1, vid1, code1 = self.start_flow(PHONE)
        r2, vid2, code2 = self.start_flow(PHONE, vid=vid1)
        self.assertNotEqual(code1, code2)
        self.assertEqual(len(self.fake.messages_to(PHONE)), 2)
        self.assertEqual(vid2, vid1, 'the pending verification was not the one given a new code')
        old = self.site.verify(code1, vid=vid2, cookie_vid=vid2)
        self.assertStatus(old, 200, 'success')
        self.assertStatus(self.site.verify(code2, vid=vid2, cookie_vid=vid2), 410)

    def test_attempt_count_carries_over(self):
        r1, vid1, code1 = self.start_flow(PHONE)
        for i in range(2):
            self.assertStatus(self.site.verify(wrong_code(code1, i), vid=vid1), 422)
        r2, vid2, code2 = self.start_flow(PHONE, vid=vid1)
        # 2 wrong tries already: the 3rd (the last of MAX_ATTEMPTS) kills it
        self.assertStatus(self.site.verify(wrong_code(code2, 0), vid=vid2), (410, 422))
        self.assertStatus(self.site.verify(code2, vid=vid2), 410)

    def test_attempt_count_carries_over_without_cookies(self):
        # a client without cookies names its verification with the verification_id field
        r1, vid1, code1 = self.start_flow(PHONE)
        for i in range(2):
            self.assertStatus(self.site.verify(wrong_code(code1, i), vid=vid1), 422)
        r2 = self.site.request(PHONE, extra_fields={'verification_id': vid1})
        self.assertStatus(r2, 200, 'verify')
        self.assertEqual(r2.vid, vid1, 'a new verification instead of the pending one')
        code2 = self.fake.code_for(PHONE)
        self.assertStatus(self.site.verify(wrong_code(code2, 0), vid=vid1), 410)

    def test_malformed_verification_id_on_request_is_400(self):
        r = self.site.request(PHONE, extra_fields={'verification_id': 'not-an-id'})
        self.assertStatus(r, 400)
        self.assertEqual(self.fake.messages, [])

    def test_one_try_left_after_replacement(self):
        r1, vid1, code1 = self.start_flow(PHONE)
        for i in range(2):
            self.assertStatus(self.site.verify(wrong_code(code1, i), vid=vid1), 422)
        r2, vid2, code2 = self.start_flow(PHONE, vid=vid1)
        self.assertStatus(self.site.verify(code2, vid=vid2), 200, 'success')

    def test_attempt_count_carries_over_to_lockout(self):
        r1, vid1, code1 = self.start_flow(PHONE)
        for i in range(3):
            self.site.verify(wrong_code(code1, i), vid=vid1)
        self.assertStatus(self.site.verify(code1, vid=vid1), 410)
        # a new request after a lockout must not hand out 3 fresh tries on the same number:
        # nothing is sent while the locked code lives, from this visitor or another
        # on its network (127.0.0.0/24)
        for kw in ({'vid': vid1}, {'remote_addr': '127.0.0.7'}):
            r2 = self.site.request(PHONE, **kw)
            self.assertStatus(r2, 429)
            self.assertIn('limit=MAX_ATTEMPTS', r2.stderr)
        self.assertEqual(len(self.fake.messages_to(PHONE)), 1)
        # a visitor on another network was not the one guessing: a code, fresh tries
        r3, vid3, code3 = self.start_flow(PHONE, remote_addr='10.99.0.7')
        self.assertStatus(self.site.verify(code3, vid=vid3), 200, 'success')

    def test_other_visitor_same_phone_is_separate(self):
        r1, vid1, code1 = self.start_flow(PHONE)
        r2, vid2, code2 = self.start_flow(PHONE, remote_addr='10.7.0.2')
        self.assertNotEqual(vid1, vid2)
        # the second visitor's code does not verify the first visitor
        if code1 != code2:
            self.assertStatus(self.site.verify(code2, vid=vid1), 422)
        self.assertStatus(self.site.verify(code2, vid=vid2), 200, 'success')


if __name__ == '__main__':
    unittest.main()
