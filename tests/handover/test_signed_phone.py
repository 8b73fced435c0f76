"""A site fixes the number to verify: phone + phone_sig (hex HMAC-SHA256 of
the E.164 number with SIGNING_KEY).  The right signature shows the number
read-only and the code goes to it; an altered number or signature is 400
and nothing is sent.  The three tools make the same signature."""

import subprocess
import urllib.parse

from test_support import (HandoverCase, REQUEST, PHONE, SIGNING_KEY, JSON_HEADERS, CHECKER,
                          PY_SNIPPET, PHP_SNIPPET, PHP, PYTHON, REPO, phone_sig, query_assertion,
                          read_assertion)

OTHER = '+12025550199'


def tool_sigs(config, phone):
    """phone_sig as made by otp-assertion, the Python and the PHP snippet."""
    out = {}
    run = lambda argv: subprocess.run(argv, capture_output=True, text=True, timeout=30,
                                      env={'LANG': 'C.UTF-8'}, cwd=str(REPO))
    p = run([str(CHECKER), '-c', str(config), 'sign-phone', phone])
    out['otp-assertion'] = (p.returncode, p.stdout.strip())
    p = run([PYTHON, str(PY_SNIPPET), 'sign-phone', SIGNING_KEY, phone])
    out['otp_assertion.py'] = (p.returncode, p.stdout.strip())
    if PHP is not None:
        p = run([PHP, '-n', str(PHP_SNIPPET), 'sign-phone', SIGNING_KEY, phone])
        out['otp_assertion.php'] = (p.returncode, p.stdout.strip())
    return out


class SignedPhoneTest(HandoverCase):

    def query(self, phone, sig, return_to='/account/done'):
        return urllib.parse.urlencode([('phone', phone), ('phone_sig', sig),
                                       ('return_to', return_to)])

    def test_tools_make_the_same_signature(self):
        want = phone_sig(SIGNING_KEY, PHONE)
        self.assertRegex(want, r'^[0-9a-f]{64}$')
        sigs = tool_sigs(self.site.config_path, PHONE)
        if PHP is None:
            self.skipTest('php (php-cli) is not installed')
        for name, (rc, out) in sigs.items():
            self.assertEqual((rc, out), (0, want), name)

    def test_checker_refuses_to_sign_a_non_e164_number(self):
        p = subprocess.run([str(CHECKER), '-c', str(self.site.config_path), 'sign-phone',
                            '2025550143'], capture_output=True, text=True, timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(p.stdout, '')

    def test_get_shows_the_number_read_only(self):
        sig = phone_sig(SIGNING_KEY, PHONE)
        r = self.site.get(REQUEST, query=self.query(PHONE, sig))
        self.assertStatus(r, 200, 'index')
        self.assertHtml(r)
        by_name = {}
        for a in r.inputs():
            by_name.setdefault(a.get('name'), []).append(a)
        self.assertEqual(len(by_name.get('phone', [])), 1, r.describe())
        ph = by_name['phone'][0]
        self.assertEqual(ph.get('value'), PHONE)
        self.assertIn('readonly', ph, 'the signed number must not be editable' + r.describe())
        self.assertEqual([a.get('value') for a in by_name.get('phone_sig', [])], [sig])
        self.assertEqual(by_name['phone_sig'][0].get('type'), 'hidden')
        self.assertEqual([a.get('value') for a in by_name.get('return_to', [])],
                         ['/account/done'])

    def test_post_signed_number_code_goes_to_it(self):
        sig = phone_sig(SIGNING_KEY, PHONE)
        r = self.site.get(REQUEST, query=self.query(PHONE, sig))
        fields = {a['name']: a.get('value', '') for a in r.inputs() if a.get('name')}
        r = self.site.post(REQUEST, urllib.parse.urlencode(fields))
        self.assertStatus(r, 200, 'verify')
        self.assertEqual([m['to'] for m in self.fake.messages], [PHONE])
        r = self.site.verify(self.fake.code_for(PHONE), vid=r.vid)
        self.assertStatus(r, 303)
        a = query_assertion(r.header('Location'))
        self.assertEqual(read_assertion(a)['phone'], PHONE)
        self.assertAccepted(a, PHONE)

    def test_signature_of_the_normalised_number(self):
        # the site signs E.164; the number may come in the national form
        sig = phone_sig(SIGNING_KEY, PHONE)
        r = self.site.request('(202) 555-0143', extra_fields={'phone_sig': sig})
        self.assertStatus(r, 200, 'verify')
        self.assertEqual([m['to'] for m in self.fake.messages], [PHONE])

    def altered(self):
        sig = phone_sig(SIGNING_KEY, PHONE)
        flipped = ('0' if sig[10] != '0' else '1')
        return [
            ('other number, its sig kept', OTHER, sig),
            ('one digit added', PHONE + '1', sig),
            ('sig with one hex digit changed', PHONE, sig[:10] + flipped + sig[11:]),
            ('sig truncated', PHONE, sig[:-2]),
            ('sig with extra characters', PHONE, sig + '00'),
            ('empty sig', PHONE, ''),
            ('sig of the other number', PHONE, phone_sig(SIGNING_KEY, OTHER)),
            ('sig made with another key', PHONE, phone_sig('another-key-0123456789', PHONE)),
            ('sig of the number without +', PHONE, phone_sig(SIGNING_KEY, PHONE[1:])),
            ('no number, a sig', '', sig),
        ]

    def test_altered_refused_on_post_nothing_sent(self):
        for name, phone, sig in self.altered():
            with self.subTest(name):
                r = self.site.request(phone, extra_fields={'phone_sig': sig,
                                                           'return_to': '/account/done'})
                self.assertStatus(r, 400, 'index')
                self.assertIsNone(r.cookie_vid, r.describe())
        self.assertEqual(self.fake.messages, [], 'a code was sent for an altered number')
        self.assertEqual(self.site.outbox(), [])

    def test_altered_refused_on_get(self):
        for name, phone, sig in self.altered():
            with self.subTest(name):
                r = self.site.get(REQUEST, query=self.query(phone, sig))
                self.assertStatus(r, 400, 'index')
                # the altered number is not offered back as if it were signed
                self.assertFalse(any(a.get('name') == 'phone_sig' for a in r.inputs()),
                                 r.describe())

    def test_altered_refused_in_json(self):
        sig = phone_sig(SIGNING_KEY, PHONE)
        r = self.site.request(OTHER, extra_fields={'phone_sig': sig}, extra=JSON_HEADERS)
        self.assertJson(r, 400, 'bad_signature')
        r = self.site.request(PHONE, extra_fields={'phone_sig': sig}, extra=JSON_HEADERS)
        body = self.assertJson(r, 200)
        self.assertEqual(body.get('status'), 'pending')
        self.assertEqual([m['to'] for m in self.fake.messages], [PHONE])

    def test_assertion_names_the_number_actually_verified(self):
        # phone_sig is optional: a visitor may drop it and type another
        # number.  That cannot fool a site that compares the assertion's
        # phone with the one it signed (what the snippets' docs tell it to do).
        r = self.site.request(OTHER, extra_fields={'return_to': '/account/done'})
        self.assertStatus(r, 200, 'verify')
        r = self.site.verify(self.fake.code_for(OTHER), vid=r.vid)
        self.assertStatus(r, 303)
        a = query_assertion(r.header('Location'))
        self.assertEqual(read_assertion(a)['phone'], OTHER)
        self.assertAccepted(a, OTHER)

    def test_signed_phone_without_signing_key_refused(self):
        site = self.make_site({'SIGNING_KEY': None})
        r = site.request(PHONE, extra_fields={'phone_sig': phone_sig(SIGNING_KEY, PHONE)})
        self.assertStatus(r, 400)
        self.assertEqual(self.fake.messages, [])
