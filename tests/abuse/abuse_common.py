"""Shared pieces of the issue-4 (abuse resistance) CGI tests.

The tests run the real request.cgi and verify.cgi through tests/cgi/harness.py
(a clean CGI environment, the body on stdin) against tests/fake_telnyx.py on
127.0.0.1.  This module only adds what the abuse tests have in common: the
429 checks, the audit-line parser, and direct access to the test's own
store (to age rows of the `send` and `failure` tables instead of sleeping
through an hour), SQLite's file or with OTP_TEST_STORE=pg a PostgreSQL
schema, through the harness's site.sql().
"""

import math
import os
import re
import sys
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
_TESTS = os.path.dirname(_HERE)
for _p in (_TESTS, os.path.join(_TESTS, 'cgi')):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import fake_telnyx  # noqa: E402  (tests/)
import harness  # noqa: E402  (tests/cgi/)
from harness import (CGITestCase, REQUEST, VERIFY, Site, cgi_env, form,  # noqa: E402,F401
                     run_cgi)

PHONE = '+12025550143'
PHONE_MASKED = '+12*******43'
OTHER_PHONE = '+12025550199'
UK_PHONE = '+447911123456'
FR_PHONE = '+33612345678'

HOUR = 3600
DAY = 86400

# "prog: audit time=... event=... phone=... client=... vid=... rest"
AUDIT_RE = re.compile(
    r'^(?P<prog>request\.cgi|verify\.cgi): audit '
    r'time=(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) '
    r'event=(?P<event>[a-z_]+) '
    r'phone=(?P<phone>\S+) '
    r'client=(?P<client>\S+) '
    r'vid=(?P<vid>[0-9a-f]{1,8}|-)'
    r'(?: (?P<rest>.*))?$')

AUDIT_EVENTS = {'requested', 'sent', 'verified', 'wrong', 'locked', 'expired', 'dead',
                'limited', 'refused', 'refused_origin', 'provider_error'}


def audit_lines(text):
    """The lines of stderr text that contain ' audit ' (parsed or not)."""
    return [ln for ln in text.splitlines() if ' audit ' in ln]


def audit_events(text):
    """[match dict] of the well-formed audit lines of stderr text."""
    out = []
    for ln in audit_lines(text):
        m = AUDIT_RE.match(ln)
        if m:
            d = m.groupdict()
            d['line'] = ln
            out.append(d)
    return out


def wrong_code(code):
    """A code of the same length and alphabet that differs in every place."""
    alphabet = '0123456789ABCDEF'
    return ''.join(alphabet[(alphabet.index(c.upper()) + 1) % 16] for c in code)


def wrong_in_one(code):
    """A code that differs from code only in its last character."""
    alphabet = '0123456789ABCDEF'
    c = code[-1].upper()
    return code[:-1] + alphabet[(alphabet.index(c) + 1) % 16]


# --- the test's own database -------------------------------------------------
def db_query(site, sql, args=()):
    """Run one statement (portable SQL, ? placeholders) on site's store;
    return its rows."""
    return site.sql(sql, args)


def age_sends(site, seconds, where='TRUE', args=()):
    """Move rows of the `send` table `seconds` into the past.

    The limits count `send` rows by their Unix-second timestamp; ageing the
    rows in the test's own DB stands for waiting (an hour, a day) without
    sleeping."""
    site.age_sends(seconds, where, args)


def age_failures(site, seconds):
    """Move every row of the `failure` table `seconds` into the past (as
    age_sends, for the per-phone wrong-code limit)."""
    db_query(site, 'UPDATE failure SET at = at - ?', (seconds,))


def send_rows(site):
    """(at, phone, client, country) of the `send` rows, in the order written."""
    if not site.store_made():
        return []
    return db_query(site, 'SELECT at, phone, client, country FROM send ORDER BY %s'
                    % site.row_id('send'))


# Referrer policies that send no referrer to other sites.  The brief asked for
# no-referrer; the programs now send same-origin, because under no-referrer
# browsers send "Origin: null" with the site's own form POSTs, which the
# origin check must refuse (lib/cgi.c, cgi_write()).
REFERRER_POLICIES = ('same-origin', 'no-referrer')


class AbuseCase(CGITestCase):
    """CGITestCase with the checks the abuse tests share."""

    def assertSecurityHeaders(self, r):
        """The headers of every answer (as the harness's, with either
        referrer policy that keeps referrers from other sites)."""
        self.assertTrue(r.header('Content-Security-Policy'),
                        'no Content-Security-Policy' + r.describe(300))
        self.assertEqual((r.header('X-Content-Type-Options') or '').lower(), 'nosniff',
                         r.describe(300))
        self.assertIn((r.header('Referrer-Policy') or '').lower(), REFERRER_POLICIES,
                      r.describe(300))
        self.assertIn('no-store', (r.header('Cache-Control') or '').lower(), r.describe(300))

    def assert429(self, r, window, why=None, at_least=None):
        """r is a 429 error page with a Retry-After of 1..window seconds (and
        >= at_least when given), a page that says how many minutes, and a
        'limited' audit line naming `why` when given.  Returns Retry-After."""
        self.assertStatus(r, 429, 'error')
        ra = r.header('Retry-After')
        self.assertIsNotNone(ra, 'no Retry-After' + r.describe())
        self.assertRegex(ra, r'^[1-9][0-9]*$', 'Retry-After not whole seconds' + r.describe())
        ra = int(ra)
        self.assertLessEqual(ra, window, 'Retry-After beyond the window' + r.describe())
        if at_least is not None:
            self.assertGreaterEqual(ra, at_least, 'Retry-After too short' + r.describe())
        minutes = math.ceil(ra / 60)
        self.assertRegex(r.text, r'\b%d minutes?\b' % minutes,
                         'the page does not say to wait %d minute(s)' % minutes + r.describe())
        self.assertNotIn(PHONE, r.text)
        if why is not None:
            ev = [e for e in audit_events(r.stderr) if e['event'] == 'limited']
            self.assertEqual(len(ev), 1, 'one limited audit line' + r.describe())
            self.assertIn('limit=%s' % why, ev[0]['rest'] or '', r.describe())
            self.assertIn('retry_after=%d' % ra, ev[0]['rest'] or '', r.describe())
        return ra

    def wait_settled(self, n, timeout=5):
        """The fake has received n messages and no more (it records before it
        answers, so by the time a CGI has answered its message is there)."""
        self.fake.wait_messages(n, timeout)
        time.sleep(0.05)
        return len(self.fake.messages)
