"""The assertion from a real flow, checked by the three checkers a site may
use: tools/otp-assertion (C, key and DB from the config), the Python
snippet and the PHP snippet.  All three give the same number for a good one
and reject a tampered, expired, future or replayed one."""

import json
import subprocess
import time

from test_support import (HandoverCase, PHONE, SIGNING_KEY, PHP, CHECKER, PYTHON, REPO, argv_c,
                          argv_py, argv_php, b64u, unb64u, make_assertion, read_assertion, mac64)


def swap(s, i):
    """s with the base64url character at i replaced by another that changes
    its high bits (so it decodes to a different byte)."""
    c = s[i]
    alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    return s[:i] + alphabet[(alphabet.index(c) + 32) % 64] + s[i + 1:]


class AgreeTest(HandoverCase):

    def test_html_flow_assertion_accepted_by_all_three(self):
        a = self.flow_assertion()
        self.assertAccepted(a, PHONE)

    def test_json_flow_assertion_accepted_by_all_three(self):
        a = self.flow_assertion_json('+13125550123')
        self.assertAccepted(a, '+13125550123')

    def test_checker_reads_stdin(self):
        a = self.flow_assertion()
        p = subprocess.run([str(CHECKER), '-c', str(self.site.config_path), 'verify', '-'],
                           input=a + '\n', capture_output=True, text=True, timeout=30)
        self.assertEqual((p.returncode, p.stdout.strip()), (0, PHONE), p.stderr)

    def test_snippets_as_libraries(self):
        # what the README shows: call the function, get the number or an error
        a = self.flow_assertion()
        seen = self.site.dir / 'lib-seen.db'
        code = ('import sys; sys.path.insert(0, "tools"); import otp_assertion as o\n'
                'print(o.verify(sys.argv[1], sys.argv[2], 300, sys.argv[3]))\n'
                'try:\n    o.verify(sys.argv[1], sys.argv[2], 300, sys.argv[3])\n'
                'except ValueError as e:\n    print("refused:", e)\n')
        p = subprocess.run([PYTHON, '-B', '-c', code, a, SIGNING_KEY, str(seen)], cwd=str(REPO),
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.stdout.splitlines(), [PHONE, 'refused: already used'], p.stderr)
        if PHP is None:
            self.skipTest('php (php-cli) is not installed')
        code = ('require "tools/otp_assertion.php";\n'
                'echo otp_assertion_verify($argv[1], $argv[2], 300, $argv[3]), "\\n";\n'
                'try { otp_assertion_verify($argv[1], $argv[2], 300, $argv[3]); }\n'
                'catch (UnexpectedValueException $e) { echo "refused: ", $e->getMessage(), "\\n"; }\n')
        p = subprocess.run([PHP, '-n', '-r', code, a, SIGNING_KEY, str(self.site.dir / 'lib.txt')],
                           cwd=str(REPO), capture_output=True, text=True, timeout=30)
        self.assertEqual(p.stdout.splitlines(), [PHONE, 'refused: already used'], p.stderr)

    def test_crafted_fresh_assertion_accepted(self):
        # the documented format is all a site needs
        a = make_assertion(SIGNING_KEY, '+33612345678', int(time.time()) - 5, 'cd' * 16)
        self.assertAccepted(a, '+33612345678')


class TamperTest(HandoverCase):

    def variants(self, a):
        v, p64, m64 = a.split('.')
        payload = read_assertion(a)
        other = dict(payload, phone='+12025550199')
        other64 = b64u(json.dumps(other, separators=(',', ':')).encode())
        return [
            ('payload character', '%s.%s.%s' % (v, swap(p64, 5), m64)),
            ('payload character near the end', '%s.%s.%s' % (v, swap(p64, len(p64) - 3), m64)),
            ('other phone, MAC kept', '%s.%s.%s' % (v, other64, m64)),
            ('payload truncated', '%s.%s.%s' % (v, p64[:-4], m64)),
            ('MAC first character', '%s.%s.%s' % (v, p64, swap(m64, 0))),
            ('MAC middle character', '%s.%s.%s' % (v, p64, swap(m64, 20))),
            ('MAC truncated', '%s.%s.%s' % (v, p64, m64[:-1])),
            ('MAC extended', '%s.%s.%s' % (v, p64, m64 + 'A')),
            ('MAC padded', '%s.%s.%s=' % (v, p64, m64)),
            ('MAC empty', '%s.%s.' % (v, p64)),
            ('MAC of another key', '%s.%s.%s' % (v, p64, mac64('another-key-0123456789',
                                                                 'v1.' + p64))),
            ('version v2', 'v2.%s.%s' % (p64, m64)),
            ('version V1', 'V1.%s.%s' % (p64, m64)),
            ('version v2, re-signed', 'v2.%s.%s' % (p64, mac64(SIGNING_KEY, 'v2.' + p64))),
            ('no version', '%s.%s' % (p64, m64)),
            ('extra part', a + '.x'),
            ('whitespace added', a + ' '),
            ('empty', ''),
            ('garbage', 'v1.!!!.???'),
            ('huge', 'v1.' + 'A' * 5000 + '.' + m64),
        ]

    def test_tampered_rejected_by_all_three(self):
        a = self.flow_assertion()
        for name, t in self.variants(a):
            with self.subTest(name):
                self.assertNotEqual(t, a)
                self.assertRejected(t, why=name)
        # the untouched one is still good (nothing above used it up)
        self.assertAccepted(a, PHONE)

    def test_signed_but_malformed_payload_rejected(self):
        # the key holder's mistakes: MAC right, payload wrong
        now = int(time.time())
        bad = [
            ('not JSON', 'phone=+12025550143'),
            ('JSON array', '["+12025550143", %d]' % now),
            ('phone not E.164', '{"phone":"2025550143","verified_at":%d,"vid":"%s"}' % (now, 'a' * 32)),
            ('phone a number', '{"phone":12025550143,"verified_at":%d,"vid":"%s"}' % (now, 'a' * 32)),
            ('time a string', '{"phone":"+12025550143","verified_at":"%d","vid":"%s"}' % (now, 'a' * 32)),
            ('no time', '{"phone":"+12025550143","vid":"%s"}' % ('a' * 32)),
            ('vid short', '{"phone":"+12025550143","verified_at":%d,"vid":"abc"}' % now),
            ('vid upper case', '{"phone":"+12025550143","verified_at":%d,"vid":"%s"}' % (now, 'A' * 32)),
            ('no vid', '{"phone":"+12025550143","verified_at":%d}' % now),
        ]
        for name, payload in bad:
            with self.subTest(name):
                self.assertRejected(make_assertion(SIGNING_KEY, None, None, None, payload=payload),
                                    why=name)

    def test_mac_encoding_must_be_canonical(self):
        # A 32-byte MAC is 43 base64url characters; the last one carries 4
        # bits and 2 unused ones.  Only the canonical form is the assertion:
        # the variants with the unused bits set must be rejected like any
        # other altered assertion (the snippets compare encoded MACs).
        alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
        for k in range(4):
            # a fresh vid each time: a checker that accepts the variant uses it up
            a = make_assertion(SIGNING_KEY, PHONE, int(time.time()), '%032x' % (k + 1))
            v, p64, m64 = a.split('.')
            i = alphabet.index(m64[-1])
            j = (i & ~3) | k
            if j == i:
                continue
            m = m64[:-1] + alphabet[j]
            with self.subTest(canonical=m64[-1], variant=m[-1]):
                self.assertEqual(unb64u(m), unb64u(m64), 'same MAC bytes')
                self.assertRejected('%s.%s.%s' % (v, p64, m), why='non-canonical MAC')
        a = make_assertion(SIGNING_KEY, PHONE, int(time.time()), 'f' * 32)
        self.assertAccepted(a, PHONE)


class AgeTest(HandoverCase):
    site_keys = dict(RESULT_MAX_AGE=10)

    def resigned(self, a, verified_at):
        p = read_assertion(a)
        return make_assertion(SIGNING_KEY, p['phone'], verified_at, p['vid'])

    def test_expired_rejected(self):
        a = self.flow_assertion()
        t = read_assertion(a)['verified_at']
        self.assertRejected(self.resigned(a, t - 11), why='11 s old, RESULT_MAX_AGE=10')
        self.assertRejected(self.resigned(a, t - 3600), why='an hour old')
        self.assertRejected(self.resigned(a, 0), why='1970')
        self.assertRejected(self.resigned(a, -5), why='negative time')
        # the real one, still young, is good
        self.assertAccepted(a, PHONE)

    def test_real_assertion_expires(self):
        # no crafting: the assertion exactly as verify.cgi made it, 11+ s later
        a = self.flow_assertion()
        made = read_assertion(a)['verified_at']
        while time.time() < made + 11.5:     # bounded: at most ~12 s
            time.sleep(0.5)
        self.assertRejected(a, why='real assertion 11+ s old, RESULT_MAX_AGE=10')
        for c in self.check_all(a):
            self.assertIn('expired', c.err, c)

    def test_from_the_future_rejected(self):
        a = self.flow_assertion()
        t = int(time.time())
        self.assertRejected(self.resigned(a, t + 3600), why='an hour in the future')
        self.assertRejected(self.resigned(a, 2 ** 53), why='far future')

    def test_young_enough_accepted(self):
        a = make_assertion(SIGNING_KEY, PHONE, int(time.time()) - 3, 'aa' * 16)
        self.assertAccepted(a, PHONE)


class ReplayTest(HandoverCase):

    def test_second_use_rejected_by_each(self):
        a = self.flow_assertion()
        for check in (self.check_c, self.check_py, self.check_php):
            first, second = check(a), check(a)
            self.assertEqual((first.rc, first.out), (0, PHONE), first)
            self.assertEqual((second.rc, second.out), (1, ''), second)
            self.assertIn('used', second.err, second)

    def test_replay_by_vid_not_by_string(self):
        # a second assertion for the same verification (same vid) is a replay
        a = self.flow_assertion()
        p = read_assertion(a)
        b = make_assertion(SIGNING_KEY, p['phone'], p['verified_at'] - 1, p['vid'])
        self.assertAccepted(a, PHONE)
        self.assertRejected(b, why='same vid')

    def test_two_verifications_two_assertions(self):
        a = self.flow_assertion(PHONE)
        b = self.flow_assertion(PHONE)
        self.assertNotEqual(read_assertion(a)['vid'], read_assertion(b)['vid'])
        self.assertAccepted(a, PHONE)
        self.assertAccepted(b, PHONE)

    def test_concurrent_uses_accept_exactly_one(self):
        a = self.flow_assertion()
        kinds = [('otp-assertion', lambda: argv_c(self.site.config_path, a)),
                 ('otp_assertion.py', lambda: argv_py(SIGNING_KEY, a, self.site.dir / 'c.db', 300))]
        if PHP is not None:
            kinds.append(('otp_assertion.php',
                          lambda: argv_php(SIGNING_KEY, a, self.site.dir / 'c.txt', 300)))
        for name, argv in kinds:
            with self.subTest(name):
                procs = [subprocess.Popen(argv(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          text=True, cwd=str(REPO)) for _ in range(8)]
                results = []
                for p in procs:
                    try:
                        out, err = p.communicate(timeout=60)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        out, err = p.communicate()
                    results.append((p.returncode, out.strip(), err.strip()))
                ok = [r for r in results if r[0] == 0]
                self.assertEqual(len(ok), 1, results)
                self.assertEqual(ok[0][1], PHONE)
                self.assertTrue(all(r[0] == 1 and 'used' in r[2] for r in results if r[0] != 0),
                                results)
