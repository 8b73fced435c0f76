"""What the hand-over tests share: a site with a SIGNING_KEY, the three
checkers (tools/otp-assertion, tools/otp_assertion.py, tools/otp_assertion.php)
run as a site would run them, and an independent implementation of the
documented assertion format (lib/assertion.h) to craft and read assertions.

    v1.<base64url(payload)>.<base64url(HMAC-SHA256(SIGNING_KEY, "v1." payload64))>
    payload: {"phone": E.164, "verified_at": Unix seconds, "vid": 32 hex}

The CGI programs run through tests/cgi/harness.py (Site, CGITestCase).
"""

import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import time
import unittest
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / 'cgi'))   # harness.py
sys.path.insert(0, str(HERE.parent))           # fake_telnyx.py

import harness  # noqa: E402
from harness import CGITestCase, REQUEST, VERIFY  # noqa: E402,F401

REPO = HERE.parents[1]
CHECKER = REPO / 'tools' / 'otp-assertion'
PY_SNIPPET = REPO / 'tools' / 'otp_assertion.py'
PHP_SNIPPET = REPO / 'tools' / 'otp_assertion.php'
PYTHON = '/usr/bin/python3'
PHP = shutil.which('php', path='/usr/bin:/usr/local/bin:' + os.environ.get('PATH', ''))

SIGNING_KEY = 'site-shared-signing-key-0123456789'
PHONE = '+12025550143'
JSON_HEADERS = {'HTTP_ACCEPT': 'application/json'}

# Config of the hand-over tests: a signing key, an allowed external prefix,
# and send limits high enough for tests that send many codes.
KEYS = {
    'SIGNING_KEY': SIGNING_KEY,
    'RETURN_TO_ALLOWED': 'https://app.example.com/',
    'TOKEN_LENGTH': 6,
    'RESEND_AFTER': 0,
    'PHONE_SEND_LIMIT': 1000,
    'IP_SEND_LIMIT': 100000,
    'NETWORK_SEND_LIMIT': 100000,
    'PHONE_NETWORK_LIMIT': 1000,
    'HOURLY_SEND_LIMIT': 100000,
    'DAILY_SEND_LIMIT': 1000000,
    'PHONE_FAILURE_LIMIT': 100,
}

# The fixed error codes of the JSON API (lib/reply.c, cgi-bin/*.c).
ERROR_CODES = {
    'bad_request', 'invalid_return_to', 'missing_phone', 'invalid_phone', 'bad_signature',
    'country_not_allowed', 'unavailable', 'rate_limited', 'provider_error', 'misconfigured',
    'method_not_allowed', 'too_large', 'unsupported_media_type', 'forbidden_origin',
    'no_verification', 'missing_token', 'wrong_code', 'locked', 'code_dead', 'uri_too_long',
}


# --- the format, implemented here from its documentation -------------------
def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))


def mac64(key, signed):
    return b64u(hmac.new(key.encode(), signed.encode(), hashlib.sha256).digest())


def make_assertion(key, phone, verified_at, vid, version='v1', payload=None):
    """An assertion in the documented format (payload: raw JSON text to use instead)."""
    if payload is None:
        payload = json.dumps({'phone': phone, 'verified_at': verified_at, 'vid': vid},
                             separators=(',', ':'))
    p64 = b64u(payload.encode() if isinstance(payload, str) else payload)
    return '%s.%s.%s' % (version, p64, mac64(key, '%s.%s' % (version, p64)))


def read_assertion(a):
    """The payload of an assertion as a dict (the MAC is not checked here)."""
    version, p64, m64 = a.split('.')
    return json.loads(unb64u(p64))


def phone_sig(key, phone):
    return hmac.new(key.encode(), phone.encode(), hashlib.sha256).hexdigest()


# --- the three checkers -------------------------------------------------------
class Checked:
    def __init__(self, name, proc):
        self.name = name
        self.rc = proc.returncode
        self.out = proc.stdout.strip()
        self.err = proc.stderr.strip()

    @property
    def ok(self):
        return self.rc == 0

    def __repr__(self):
        return '<%s rc=%s out=%r err=%r>' % (self.name, self.rc, self.out, self.err[-300:])


def _run(name, argv, stdin=None, timeout=30):
    env = {'LANG': 'C.UTF-8'}
    return Checked(name, subprocess.run(argv, input=stdin, capture_output=True, text=True,
                                        env=env, timeout=timeout, cwd=str(REPO)))


def argv_c(config, assertion):
    return [str(CHECKER), '-c', str(config), 'verify', assertion]


def argv_py(key, assertion, seen, max_age):
    return [PYTHON, str(PY_SNIPPET), key, assertion, str(seen), str(max_age)]


def argv_php(key, assertion, seen, max_age):
    return [PHP, '-n', str(PHP_SNIPPET), key, assertion, str(seen), str(max_age)]


class HandoverCase(CGITestCase):
    """A CGITestCase whose site signs results, with helpers for the flow
    and for running the three checkers against one site."""

    site_keys = KEYS

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not (CHECKER.is_file() and os.access(CHECKER, os.X_OK)):
            raise unittest.SkipTest('%s is not built (run make)' % CHECKER)

    def setUp(self):
        super().setUp()
        self.seen_py = self.site.dir / 'seen-py.db'
        self.seen_php = self.site.dir / 'seen-php.txt'

    def make_site(self, keys=None, transport=None, raw_config=None, fake=True):
        if keys is not None and raw_config is None and keys is not KEYS:
            merged = dict(KEYS)
            merged.update(keys)
            keys = merged
        return super().make_site(keys, transport=transport, raw_config=raw_config, fake=fake)

    # --- checkers -----------------------------------------------------------
    def max_age(self, site=None):
        return int((site or self.site).keys.get('RESULT_MAX_AGE', 300))

    def check_c(self, assertion, site=None):
        site = site or self.site
        return _run('otp-assertion', argv_c(site.config_path, assertion))

    def check_py(self, assertion, site=None, key=SIGNING_KEY):
        site = site or self.site
        return _run('otp_assertion.py', argv_py(key, assertion, site.dir / 'seen-py.db',
                                                self.max_age(site)))

    def check_php(self, assertion, site=None, key=SIGNING_KEY):
        if PHP is None:
            self.skipTest('php (php-cli) is not installed')
        site = site or self.site
        return _run('otp_assertion.php', argv_php(key, assertion, site.dir / 'seen-php.txt',
                                                  self.max_age(site)))

    def check_all(self, assertion, site=None):
        return [self.check_c(assertion, site), self.check_py(assertion, site),
                self.check_php(assertion, site)]

    def assertAccepted(self, assertion, phone, site=None):
        for c in self.check_all(assertion, site):
            self.assertEqual((c.rc, c.out), (0, phone), '%s refused %r: %r' % (c.name, assertion, c))

    def assertRejected(self, assertion, site=None, why=None):
        for c in self.check_all(assertion, site):
            self.assertEqual(c.rc, 1, '%s did not reject %r (%s): %r'
                             % (c.name, assertion, why, c))
            self.assertEqual(c.out, '', '%s printed a number for %r: %r' % (c.name, assertion, c))

    # --- the flow ---------------------------------------------------------------
    def sent_count(self, site=None):
        site = site or self.site
        if site.transport == 'outbox':
            return len(site.outbox())
        return len(self.fake.messages)

    def flow(self, phone=PHONE, return_to=None, site=None, extra=None, **kw):
        """POST request.cgi (with return_to) and verify.cgi with the right
        code (id in the hidden field and the cookie).  Returns verify's answer."""
        site = site or self.site
        fields = dict(extra or {})
        if return_to is not None:
            fields['return_to'] = return_to
        r, vid, code = self.start_flow(phone, site=site, extra_fields=fields, **kw)
        return site.verify(code, vid=vid, cookie_vid=vid)

    def flow_assertion(self, phone=PHONE, return_to='/account/done', site=None):
        """A whole HTML flow in query mode; returns the assertion from Location."""
        r = self.flow(phone, return_to, site=site)
        self.assertStatus(r, 303)
        return query_assertion(r.header('Location'))

    def flow_assertion_json(self, phone=PHONE, site=None):
        site = site or self.site
        r = site.request(phone, extra=JSON_HEADERS)
        self.assertJson(r, 200)
        vid = json.loads(r.text)['verification_id']
        code = site.code_for(phone)
        r = site.verify(code, vid=vid, extra=JSON_HEADERS)
        body = self.assertJson(r, 200)
        self.assertEqual(body.get('status'), 'approved', r.describe())
        return body['assertion']

    def assertJson(self, r, status, code=None):
        """r is a sane JSON answer with status; returns the parsed body.
        code: the error.code it must carry."""
        self.assertStatus(r, status)
        ct = (r.header('Content-Type') or '').lower()
        self.assertTrue(ct.startswith('application/json'), 'Content-Type %r' % ct + r.describe())
        try:
            body = json.loads(r.text)
        except ValueError:
            self.fail('not JSON' + r.describe())
        self.assertIsInstance(body, dict, r.describe())
        if status >= 400:
            err = body.get('error')
            self.assertIsInstance(err, dict, 'no error object' + r.describe())
            self.assertIn(err.get('code'), ERROR_CODES, 'undocumented error code' + r.describe())
            self.assertIsInstance(err.get('message'), str, r.describe())
            if code is not None:
                self.assertEqual(err.get('code'), code, r.describe())
        self.assertNotIn('<', r.text, 'HTML in a JSON answer' + r.describe())
        return body


def query_assertion(location):
    """The otp_assertion parameter of a Location URL (exactly one)."""
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(location or '').query)
    vals = q.get('otp_assertion', [])
    if len(vals) != 1:
        raise AssertionError('no single otp_assertion in %r' % location)
    return vals[0]


class FormatTest(unittest.TestCase):
    """The crafting above follows the documented format: it re-makes, byte
    for byte, an assertion whose MAC only the key holder can produce."""

    def test_crafted_round_trip(self):
        a = make_assertion(SIGNING_KEY, PHONE, 1795696655, 'ab' * 16)
        self.assertRegex(a, r'^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$')
        self.assertEqual(read_assertion(a), {'phone': PHONE, 'verified_at': 1795696655,
                                             'vid': 'ab' * 16})

    def test_time_is_sane(self):
        self.assertGreater(time.time(), 1.6e9)
