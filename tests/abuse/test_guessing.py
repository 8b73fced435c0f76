"""Issue 4, guessing: MAX_ATTEMPTS per code, the count carried over to a new
code for the same phone and visitor, PHONE_FAILURE_LIMIT per phone across
visitors, and pages that tell nothing (no oracle)."""

import re
import secrets
import time
import unittest

from abuse_common import (AbuseCase, HOUR, OTHER_PHONE, PHONE, age_failures, db_query,
                          wrong_code, wrong_in_one)


class MaxAttemptsTest(AbuseCase):
    def test_default_max_attempts_then_410(self):
        r, vid, code = self.start_flow(PHONE)
        bad = wrong_code(code)
        for left in (4, 3, 2, 1):
            v = self.site.verify(bad, vid=vid)
            self.assertStatus(v, 422, 'verify')
            self.assertRegex(v.text, r'\b%d (tries|try) left\b' % left, v.describe())
        v = self.site.verify(bad, vid=vid)
        self.assertStatus(v, 410, 'error')
        # Dead for good: the right code no longer works.
        self.assertStatus(self.site.verify(code, vid=vid), 410, 'error')
        self.assertEqual(db_query(self.site, 'SELECT attempts, status FROM verification'),
                         [(5, 'locked')])

    def test_new_code_keeps_the_count(self):
        site = self.make_site({'RESEND_AFTER': 0, 'MAX_ATTEMPTS': 5})
        r, vid, code = self.start_flow(PHONE, site=site)
        for _ in range(4):
            self.assertStatus(site.verify(wrong_code(code), vid=vid), 422)
        # A new code for the same phone from the same visitor (its cookie).
        r2, vid2, code2 = self.start_flow(PHONE, site=site, vid=vid)
        self.assertEqual(vid2, vid, 'the new code did not replace the pending one')
        # Exactly one wrong try is left: it locks the code.
        v = site.verify(wrong_code(code2), vid=vid2)
        self.assertStatus(v, 410, 'error')
        self.assertStatus(site.verify(code2, vid=vid2), 410)

    def test_new_code_after_4_wrong_right_code_works(self):
        site = self.make_site({'RESEND_AFTER': 0, 'MAX_ATTEMPTS': 5})
        r, vid, code = self.start_flow(PHONE, site=site)
        for _ in range(4):
            self.assertStatus(site.verify(wrong_code(code), vid=vid), 422)
        r2, vid2, code2 = self.start_flow(PHONE, site=site, vid=vid)
        self.assertStatus(site.verify(code2, vid=vid2), 200, 'success')

    def test_new_code_shares_the_tries_of_the_old_one(self):
        # Issue 10: the old code stays good (its text may be late), and the
        # wrong tries are counted once for both codes.
        site = self.make_site({'RESEND_AFTER': 0, 'TOKEN_LENGTH': 10})
        r, vid, code = self.start_flow(PHONE, site=site)
        r2, vid2, code2 = self.start_flow(PHONE, site=site, vid=vid)
        self.assertEqual(vid2, vid)
        self.assertNotEqual(code2, code)
        v = site.verify(wrong_code(code), vid=vid)
        self.assertStatus(v, 422, 'verify')
        self.assertRegex(v.text, r'\b4 tries left\b')
        self.assertStatus(site.verify(code, vid=vid), 200, 'success')
        self.assertStatus(site.verify(code2, vid=vid), 410)

    def test_new_code_keeps_count_from_the_cookie_over_many_resends(self):
        site = self.make_site({'RESEND_AFTER': 0, 'MAX_ATTEMPTS': 3, 'PHONE_SEND_LIMIT': 10,
                               'PHONE_NETWORK_LIMIT': 10})
        r, vid, code = self.start_flow(PHONE, site=site)
        self.assertStatus(site.verify(wrong_code(code), vid=vid), 422)
        for _ in range(3):
            r, vid, code = self.start_flow(PHONE, site=site, vid=vid)
        self.assertStatus(site.verify(wrong_code(code), vid=vid), 422)
        r, vid, code = self.start_flow(PHONE, site=site, vid=vid)
        self.assertStatus(site.verify(wrong_code(code), vid=vid), 410)


class PhoneFailureLimitTest(AbuseCase):
    # The visitors share a /24: PHONE_FAILURE_LIMIT counts per network.
    KEYS = {'RESEND_AFTER': 0, 'MAX_ATTEMPTS': 3, 'PHONE_FAILURE_LIMIT': 6,
            'PHONE_SEND_LIMIT': 100, 'IP_SEND_LIMIT': 1000, 'PHONE_NETWORK_LIMIT': 100}

    def test_across_visitors(self):
        site = self.make_site(self.KEYS)
        a = self.start_flow(PHONE, site=site, remote_addr='10.60.0.1')
        b = self.start_flow(PHONE, site=site, remote_addr='10.60.0.2')
        c = self.start_flow(PHONE, site=site, remote_addr='10.60.0.3')
        other = self.start_flow(OTHER_PHONE, site=site, remote_addr='10.60.0.1')
        # Two visitors use up their 3 tries each: 6 wrong codes for PHONE.
        for (r, vid, code), addr in ((a, '10.60.0.1'), (b, '10.60.0.2')):
            for st in (422, 422, 410):
                self.assertStatus(site.verify(wrong_code(code), vid=vid, remote_addr=addr), st)
        # The 7th guess for PHONE, from a third visitor: 429, even the right code.
        r, vid, code = c
        self.assert429(site.verify(wrong_code(code), vid=vid, remote_addr='10.60.0.3'), HOUR,
                       why='PHONE_FAILURE_LIMIT', at_least=HOUR - 60)
        self.assert429(site.verify(code, vid=vid, remote_addr='10.60.0.3'), HOUR)
        # No new codes for PHONE either, from anyone of that network...
        self.assert429(site.request(PHONE, remote_addr='10.60.0.9'), HOUR,
                       why='PHONE_FAILURE_LIMIT', at_least=HOUR - 60)
        self.assertEqual(len(self.fake.messages_to(PHONE)), 3)
        # ...while a visitor on another network, whose guesses these were not,
        # gets one.
        self.start_flow(PHONE, site=site, remote_addr='10.62.0.1')
        self.assertEqual(len(self.fake.messages_to(PHONE)), 4)
        # The 429s were not counted as tries: C still has all 3.
        self.assertEqual(db_query(site, 'SELECT attempts FROM verification WHERE id = ?',
                                  (vid,)), [(0,)])
        self.assertEqual(db_query(site, 'SELECT count(*) FROM failure'), [(6,)])
        # Other phones are not affected.
        ro, vido, codeo = other
        self.assertStatus(site.verify(wrong_code(codeo), vid=vido, remote_addr='10.60.0.1'),
                          422)
        self.assertStatus(site.verify(codeo, vid=vido, remote_addr='10.60.0.1'), 200, 'success')
        self.start_flow('+12025550177', site=site, remote_addr='10.60.0.1')
        # An hour later (failure rows aged) PHONE may guess and get codes again.
        age_failures(site, HOUR)
        self.assertStatus(site.verify(code, vid=vid, remote_addr='10.60.0.3'), 200, 'success')
        # ...and by then A's and B's locked codes are long expired (aged in the test's DB):
        # while one lives, its count carries over and no new code goes out
        self.assert429(site.request(PHONE, remote_addr='10.60.0.9'), 300, why='MAX_ATTEMPTS',
                       at_least=240)
        db_query(site, 'UPDATE verification SET expires = 0')
        self.start_flow(PHONE, site=site, remote_addr='10.60.0.9')

    def test_boundary(self):
        site = self.make_site(dict(self.KEYS, MAX_ATTEMPTS=10, PHONE_FAILURE_LIMIT=4))
        r, vid, code = self.start_flow(PHONE, site=site)
        for _ in range(4):  # the 4th wrong code is still answered as wrong
            self.assertStatus(site.verify(wrong_code(code), vid=vid), 422)
        self.assert429(site.verify(wrong_code(code), vid=vid), HOUR, why='PHONE_FAILURE_LIMIT')
        # Part of the hour passes: Retry-After counts from the oldest failure.
        age_failures(site, HOUR - 100)
        ra = self.assert429(site.verify(wrong_code(code), vid=vid), HOUR)
        self.assertLessEqual(ra, 100)

    def test_default_limit_is_20(self):
        site = self.make_site({'RESEND_AFTER': 0, 'MAX_ATTEMPTS': 10, 'PHONE_SEND_LIMIT': 100})
        r, vid, code = self.start_flow(PHONE, site=site, remote_addr='10.61.0.1')
        for i in range(2):
            for _ in range(9):
                self.assertStatus(site.verify(wrong_code(code), vid=vid), 422)
            # used up by the right code: a live code's count would carry over to
            # the next (per number), a used one's does not
            self.assertStatus(site.verify(code, vid=vid), 200, 'success')
            r, vid, code = self.start_flow(PHONE, site=site, remote_addr='10.61.0.%d' % (i + 2))
        # 18 wrong so far; a fresh visitor may make 2 more.
        self.assertStatus(site.verify(wrong_code(code), vid=vid), 422)
        self.assertStatus(site.verify(wrong_code(code), vid=vid), 422)
        self.assertEqual(db_query(site, 'SELECT count(*) FROM failure'), [(20,)])
        self.assert429(site.verify(code, vid=vid), HOUR, why='PHONE_FAILURE_LIMIT')


class NoOracleTest(AbuseCase):
    def normalise(self, r, vid):
        return r.raw.replace(vid.encode(), b'<VID>')

    def test_wrong_page_same_for_near_and_far_codes(self):
        site = self.make_site({'RESEND_AFTER': 0, 'TOKEN_LENGTH': 6})
        r1, vid1, code1 = self.start_flow(PHONE, site=site, remote_addr='10.62.0.1')
        r2, vid2, code2 = self.start_flow(PHONE, site=site, remote_addr='10.62.0.2')
        near = site.verify(wrong_in_one(code1), vid=vid1, remote_addr='10.62.0.1')
        far = site.verify(wrong_code(code2), vid=vid2, remote_addr='10.62.0.2')
        self.assertStatus(near, 422, 'verify')
        self.assertStatus(far, 422, 'verify')
        self.assertEqual(self.normalise(near, vid1), self.normalise(far, vid2),
                         'the wrong-code pages differ' + near.describe() + far.describe())
        # Also on one verification, one try apart: only the count differs.
        a = site.verify(wrong_code(code1), vid=vid1, remote_addr='10.62.0.1')
        b = site.verify(wrong_in_one(code1), vid=vid1, remote_addr='10.62.0.1')
        ta = re.sub(rb'\b\d (tries|try) left', b'N left', a.raw)
        tb = re.sub(rb'\b\d (tries|try) left', b'N left', b.raw)
        self.assertEqual(ta, tb)

    def test_case_and_length_of_a_wrong_code_tell_nothing(self):
        site = self.make_site({'RESEND_AFTER': 0, 'TOKEN_LENGTH': 6})
        r1, vid1, code1 = self.start_flow(PHONE, site=site, remote_addr='10.63.0.1')
        r2, vid2, code2 = self.start_flow(PHONE, site=site, remote_addr='10.63.0.2')
        short = site.verify(code1[:3], vid=vid1, remote_addr='10.63.0.1')
        longer = site.verify(wrong_code(code2) + 'AB', vid=vid2, remote_addr='10.63.0.2')
        self.assertStatus(short, 422)
        self.assertStatus(longer, 422)
        self.assertEqual(self.normalise(short, vid1), self.normalise(longer, vid2))

    def test_unknown_and_expired_id_answer_alike(self):
        site = self.make_site({'RESEND_AFTER': 0, 'TOKEN_TTL': 1})
        r, vid, code = self.start_flow(PHONE, site=site)
        time.sleep(2.1)  # TOKEN_TTL=1: the code is now expired
        expired = site.verify(code, vid=vid)
        unknown = site.verify(code, vid=secrets.token_hex(16))
        self.assertStatus(expired, 410, 'error')
        self.assertStatus(unknown, 410, 'error')
        self.assertEqual(expired.raw, unknown.raw,
                         'expired and unknown ids answer differently'
                         + expired.describe() + unknown.describe())
        # A used code and a locked one are the same dead page too.
        site2 = self.make_site({'RESEND_AFTER': 0, 'MAX_ATTEMPTS': 1})
        r, vid, code = self.start_flow(PHONE, site=site2)
        self.assertStatus(site2.verify(code, vid=vid), 200, 'success')
        used = site2.verify(code, vid=vid)
        r, vid, code = self.start_flow(PHONE, site=site2, remote_addr='10.64.0.2')
        self.assertStatus(site2.verify(wrong_code(code), vid=vid), 410)
        locked = site2.verify(wrong_code(code), vid=vid)
        self.assertEqual(used.raw, unknown.raw)
        self.assertEqual(locked.raw, unknown.raw)

    def test_pending_code_for_the_number_not_revealed(self):
        # With no cooldown, asking for a number that has a code pending for
        # another visitor answers exactly as for a number that has none.
        site = self.make_site({'RESEND_AFTER': 0})
        first = site.request(PHONE, remote_addr='10.65.0.1')
        self.assertStatus(first, 200, 'verify')
        second = site.request(PHONE, remote_addr='10.65.0.2')
        self.assertStatus(second, 200, 'verify')
        self.assertNotEqual(first.vid, second.vid, 'a visitor got another visitor\'s id')
        self.assertEqual(self.normalise(first, first.vid), self.normalise(second, second.vid))


if __name__ == '__main__':
    unittest.main()
