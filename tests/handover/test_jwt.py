"""The assertion as a JWT (ASSERTION_FORMAT=jwt), from the real programs.

Independent libraries take the tokens: PyJWT (Debian's python3-jwt) and
Node's jose (npm, build/node), HS256 with SIGNING_KEY and EdDSA with the
key taken from the JWK Set `otp-admin jwks` prints.  The project's own
checkers (otp-assertion, the PHP checker) refuse what a careless verifier
would take: alg none, HS256 under the public key, an unknown kid, a
tampered header or payload, exp past, iat ahead beyond the skew, a wrong
aud, a jti seen before, a token over the size limit.  A signing key that
is missing, open to others, of another kind or no file makes verify.cgi
answer 503 with one log line and leave the code unused; check-config says
why.  phone_jwt fixes the number as phone_sig does."""

import base64
import hashlib
import http.server
import hmac
import json
import os
import shutil
import subprocess
import threading
import time
import unittest
import urllib.parse

import jwt as pyjwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from test_support import (HandoverCase, CHECKER, PHONE, PHP, PHP_SNIPPET, REPO, REQUEST,
                          SIGNING_KEY, JSON_HEADERS, b64u, phone_sig, _run)

ISS = 'https://otp.example.com'
AUD = 'https://app.example.com'
ADMIN = REPO / 'tools' / 'otp-admin'
JOSE_DIR = REPO / 'build' / 'node' / 'node_modules'
JOSE_SCRIPT = REPO / 'tests' / 'handover' / 'jose_verify.mjs'
NODE = shutil.which('node', path='/usr/bin:/usr/local/bin:' + os.environ.get('PATH', ''))
JWT_KEYS = {'ASSERTION_FORMAT': 'jwt', 'ASSERTION_ISSUER': ISS, 'ASSERTION_AUDIENCE': AUD}


def claims(**over):
    now = int(time.time())
    c = {'iss': ISS, 'aud': AUD, 'iat': now, 'exp': now + 300, 'jti': os.urandom(16).hex(),
         'phone_number': PHONE, 'phone_number_verified': True}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def compact(header, payload, sign):
    """A JWS from header and payload (dicts), signed by sign(signing_input: bytes) -> bytes."""
    h = b64u(json.dumps(header, separators=(',', ':')).encode())
    p = b64u(json.dumps(payload, separators=(',', ':')).encode())
    return '%s.%s.%s' % (h, p, b64u(sign(('%s.%s' % (h, p)).encode())))


def hs256(secret):
    secret = secret.encode() if isinstance(secret, str) else secret
    return lambda m: hmac.new(secret, m, hashlib.sha256).digest()


def jose(token, how, arg):
    """jose's verdict: (exit status, output)."""
    p = subprocess.run([NODE, str(JOSE_SCRIPT), token, ISS, AUD, how, str(arg)],
                       capture_output=True, text=True, timeout=60,
                       env={'JOSE_DIR': str(JOSE_DIR), 'PATH': '/usr/bin:/bin'})
    return p.returncode, p.stdout.strip() + p.stderr.strip()


class JwtCase(HandoverCase):
    site_keys = JWT_KEYS

    def need_jose(self):
        if NODE is None or not (JOSE_DIR / 'jose').is_dir():
            self.skipTest('jose is not installed: make check installs it (build/node)')

    def check_c(self, token, site=None, jwks=None):
        site = site or self.site
        argv = [str(CHECKER), '-c', str(site.config_path)]
        if jwks is not None:
            argv += ['-j', str(jwks)]
        return _run('otp-assertion', argv + ['verify', token])

    def check_php(self, token, site=None, key=SIGNING_KEY):
        if PHP is None:
            self.skipTest('php (php-cli) is not installed')
        site = site or self.site
        return _run('otp_assertion.php', [PHP, '-n', str(PHP_SNIPPET), 'jwt', str(key), ISS, AUD,
                                           token, str(site.dir / 'seen-php.txt'), '300'])

    def assertBothRefuse(self, token, why, key=SIGNING_KEY, jwks=None):
        for c in (self.check_c(token, jwks=jwks), self.check_php(token, key=key)):
            self.assertEqual((c.rc, c.out), (1, ''), '%s took %s: %r' % (c.name, why, c))


class Hs256Test(JwtCase):

    def test_flow_token_checked_by_pyjwt(self):
        token = self.flow_assertion(return_to='/account/done?state=s1')
        self.assertEqual(pyjwt.get_unverified_header(token), {'alg': 'HS256', 'typ': 'JWT'})
        c = pyjwt.decode(token, SIGNING_KEY, algorithms=['HS256'], audience=AUD, issuer=ISS,
                         options={'require': ['exp', 'iat', 'jti', 'iss', 'aud']})
        self.assertEqual(c['phone_number'], PHONE)
        self.assertIs(c['phone_number_verified'], True)
        self.assertRegex(c['jti'], r'^[0-9a-f]{32}$')
        self.assertEqual(c['exp'] - c['iat'], 300)
        self.assertLessEqual(abs(c['iat'] - time.time()), 60)
        self.assertEqual(c['return_to'], '/account/done?state=s1')
        # PyJWT refuses it for another audience, or under another key
        with self.assertRaises(pyjwt.InvalidAudienceError):
            pyjwt.decode(token, SIGNING_KEY, algorithms=['HS256'], audience='https://x.example')
        with self.assertRaises(pyjwt.InvalidSignatureError):
            pyjwt.decode(token, 'another-key-0123456789', algorithms=['HS256'], audience=AUD)

    def test_json_flow_token_checked_by_jose(self):
        self.need_jose()
        token = self.flow_assertion_json('+13125550123')
        rc, out = jose(token, 'hs256', SIGNING_KEY)
        self.assertEqual(rc, 0, out)
        self.assertEqual(json.loads(out)['payload']['phone_number'], '+13125550123')
        rc, out = jose(token, 'hs256', 'another-key-0123456789')
        self.assertEqual(rc, 1, out)

    def test_own_checkers_accept_once(self):
        token = self.flow_assertion()
        for check in (self.check_c, self.check_php):
            first, second = check(token), check(token)
            self.assertEqual((first.rc, first.out), (0, PHONE), first)
            self.assertEqual((second.rc, second.out), (1, ''), second)
            self.assertIn('already used', second.err, second)

    def test_own_checkers_refuse(self):
        now = int(time.time())
        good = compact({'alg': 'HS256', 'typ': 'JWT'}, claims(), hs256(SIGNING_KEY))
        h, p, s = good.split('.')
        other = b64u(json.dumps(claims(phone_number='+12025550199')).encode())
        kid_added = b64u(b'{"alg":"HS256","typ":"JWT","kid":"x"}')
        variants = [
            ('alg none, no signature', '%s.%s.' % (b64u(b'{"alg":"none","typ":"JWT"}'), p)),
            ('alg none, a signature', '%s.%s.%s' % (b64u(b'{"alg":"none"}'), p, s)),
            ('payload swapped', '%s.%s.%s' % (h, other, s)),
            ('header changed', '%s.%s.%s' % (kid_added, p, s)),
            ('signature of another key',
             compact({'alg': 'HS256'}, claims(), hs256('another-key-0123456789'))),
            ('exp past', compact({'alg': 'HS256'}, claims(iat=now - 400, exp=now - 100),
                                 hs256(SIGNING_KEY))),
            ('iat 120 s ahead', compact({'alg': 'HS256'}, claims(iat=now + 120, exp=now + 420),
                                        hs256(SIGNING_KEY))),
            ('wrong aud', compact({'alg': 'HS256'}, claims(aud='https://x.example'),
                                  hs256(SIGNING_KEY))),
            ('wrong iss', compact({'alg': 'HS256'}, claims(iss='https://x.example'),
                                  hs256(SIGNING_KEY))),
            ('no phone_number_verified', compact({'alg': 'HS256'},
                                                 claims(phone_number_verified=None),
                                                 hs256(SIGNING_KEY))),
            ('over the size limit', compact({'alg': 'HS256'}, claims(pad='a' * 3000),
                                            hs256(SIGNING_KEY))),
            ('crit header', compact({'alg': 'HS256', 'crit': ['exp']}, claims(),
                                    hs256(SIGNING_KEY))),
        ]
        for why, token in variants:
            with self.subTest(why):
                self.assertBothRefuse(token, why)
        # within the skew, and the crafted good one: taken
        ahead = compact({'alg': 'HS256'}, claims(iat=now + 30, exp=now + 330), hs256(SIGNING_KEY))
        for token in (good, ahead):
            self.assertEqual(self.check_c(token).rc, 0)

    def test_jti_seen_before_refused(self):
        # a second token of the same verification (same jti) is a replay
        token = self.flow_assertion()
        c = pyjwt.decode(token, SIGNING_KEY, algorithms=['HS256'], audience=AUD)
        again = compact({'alg': 'HS256'}, claims(jti=c['jti'], iat=c['iat'] - 1),
                        hs256(SIGNING_KEY))
        self.assertEqual(self.check_c(token).rc, 0)
        r = self.check_c(again)
        self.assertEqual(r.rc, 1, r)
        self.assertIn('already used', r.err)


class EdDSATest(JwtCase):
    site_keys = None

    def keygen(self, name):
        path = self.site.dir / name
        p = subprocess.run([str(ADMIN), 'keygen', str(path)], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        jwk = json.loads(p.stdout)
        self.assertEqual((jwk['kty'], jwk['crv'], jwk['alg']), ('OKP', 'Ed25519', 'EdDSA'))
        self.assertNotIn('d', jwk)
        return path, jwk

    def use_keys(self, *paths):
        keys = dict(JWT_KEYS, SIGNING_KEY_FILE=','.join(str(p) for p in paths))
        self.site = self.make_site(keys)
        # the site's directory changed: keep the keys beside its config
        return self.jwks()

    def jwks(self):
        p = subprocess.run([str(ADMIN), '-c', str(self.site.config_path), 'jwks'],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        path = self.site.dir / 'jwks.json'
        path.write_text(p.stdout)
        return json.loads(p.stdout), path

    def setUp(self):
        super().setUp()
        self.k1, self.jwk1 = self.keygen('k1.pem')
        (self.set, self.set_path) = self.use_keys(self.k1)

    def pyjwt_check(self, token, jwks):
        kid = pyjwt.get_unverified_header(token)['kid']
        key = [k for k in pyjwt.PyJWKSet.from_dict(jwks).keys if k.key_id == kid][0]
        return pyjwt.decode(token, key.key, algorithms=['EdDSA'], audience=AUD, issuer=ISS)

    def test_flow_token_checked_by_pyjwt_from_the_jwk_set(self):
        self.assertEqual([k['kid'] for k in self.set['keys']], [self.jwk1['kid']])
        token = self.flow_assertion()
        self.assertEqual(pyjwt.get_unverified_header(token),
                         {'alg': 'EdDSA', 'kid': self.jwk1['kid'], 'typ': 'JWT'})
        c = self.pyjwt_check(token, self.set)
        self.assertEqual((c['phone_number'], c['phone_number_verified']), (PHONE, True))

    def test_flow_token_checked_by_jose_from_the_jwk_set(self):
        self.need_jose()
        token = self.flow_assertion()
        rc, out = jose(token, 'jwks', self.set_path)
        self.assertEqual(rc, 0, out)
        self.assertEqual(json.loads(out)['payload']['phone_number'], PHONE)

    def serve_jwks(self):
        """The JWK Set published as the README says, over HTTP on 127.0.0.1; its URL."""
        body = self.set_path.read_bytes()
        seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                seen.append(self.path)
                self.send_response(200)
                self.send_header('Content-Type', 'application/jwk-set+json')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        return 'http://127.0.0.1:%d/.well-known/otp-jwks.json' % server.server_port, seen

    def test_readme_snippets_fetch_the_published_set(self):
        # the README's Python and Node lines, against the set served over HTTP
        url, seen = self.serve_jwks()
        token = self.flow_assertion()
        key = pyjwt.PyJWKClient(url).get_signing_key_from_jwt(token).key
        c = pyjwt.decode(token, key, algorithms=['EdDSA'], audience=AUD, issuer=ISS,
                         options={'require': ['exp', 'iat', 'jti']})
        self.assertEqual(c['phone_number'], PHONE)
        self.assertEqual(seen, ['/.well-known/otp-jwks.json'])
        self.need_jose()
        rc, out = jose(token, 'url', url)
        self.assertEqual(rc, 0, out)
        self.assertEqual(json.loads(out)['payload']['phone_number'], PHONE)
        self.assertEqual(len(seen), 2)

    def test_own_checkers_accept_once_with_the_public_key(self):
        token = self.flow_assertion()
        c = self.check_c(token, jwks=self.set_path)
        self.assertEqual((c.rc, c.out), (0, PHONE), c)
        p = self.check_php(token, key=self.set_path)
        self.assertEqual((p.rc, p.out), (0, PHONE), p)
        for c in (self.check_c(token), self.check_php(token, key=self.set_path)):
            self.assertEqual((c.rc, c.out), (1, ''), c)
            self.assertIn('already used', c.err)

    def test_algorithm_confusion_refused(self):
        x = self.jwk1['x']
        raw = base64.urlsafe_b64decode(x + '=' * (-len(x) % 4))
        pem = serialization.load_pem_private_key(self.k1.read_bytes(), None).public_key() \
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        header = {'alg': 'HS256', 'kid': self.jwk1['kid'], 'typ': 'JWT'}
        for name, secret in (('raw', raw), ('x', x), ('PEM', pem), ('JWK', json.dumps(self.jwk1))):
            with self.subTest(secret=name):
                token = compact(header, claims(), hs256(secret))
                self.assertBothRefuse(token, 'HS256 under the public key (%s)' % name,
                                      key=self.set_path, jwks=self.set_path)
                c = self.check_c(token)
                self.assertEqual(c.rc, 1, c)
                self.assertIn('algorithm not accepted', c.err)

    def test_unknown_kid_and_foreign_key_refused(self):
        other = Ed25519PrivateKey.generate()
        token = compact({'alg': 'EdDSA', 'kid': 'not-a-kid-of-the-set', 'typ': 'JWT'}, claims(),
                        other.sign)
        self.assertBothRefuse(token, 'unknown kid', key=self.set_path, jwks=self.set_path)
        self.assertIn('unknown kid', self.check_c(token).err)
        # the set's kid, another key's signature
        token = compact({'alg': 'EdDSA', 'kid': self.jwk1['kid'], 'typ': 'JWT'}, claims(),
                        other.sign)
        self.assertBothRefuse(token, 'foreign key under our kid', key=self.set_path,
                              jwks=self.set_path)
        self.assertIn('bad signature', self.check_c(token).err)
        # and the real key, for contrast
        key = serialization.load_pem_private_key(self.k1.read_bytes(), None)
        token = compact({'alg': 'EdDSA', 'kid': self.jwk1['kid'], 'typ': 'JWT'}, claims(),
                        key.sign)
        self.assertEqual(self.check_c(token).rc, 0)

    def test_rotation_lists_both_keys(self):
        k2, jwk2 = self.keygen('k2.pem')
        old = self.flow_assertion()
        # the new key published first, the old still signing...
        both, _ = self.use_keys(self.k1, k2)
        self.assertEqual([k['kid'] for k in both['keys']], [self.jwk1['kid'], jwk2['kid']])
        self.assertEqual(pyjwt.get_unverified_header(self.flow_assertion())['kid'],
                         self.jwk1['kid'])
        # ... then the new one signs, the old still listed
        both, _ = self.use_keys(k2, self.k1)
        new = self.flow_assertion()
        self.assertEqual(pyjwt.get_unverified_header(new)['kid'], jwk2['kid'])
        for token in (old, new):
            self.assertEqual(self.pyjwt_check(token, both)['phone_number'], PHONE)


class KeyFileTest(JwtCase):
    site_keys = {'SIGNING_KEY': None}

    def bad_keys(self):
        d = self.site.dir
        wide = d / 'wide.pem'
        subprocess.run([str(ADMIN), 'keygen', str(wide)], capture_output=True, timeout=30,
                       check=True)
        os.chmod(wide, 0o644)
        p256 = d / 'p256.pem'
        p256.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        os.chmod(p256, 0o600)
        return [('missing', d / 'none.pem', 'cannot open'),
                ('readable by others', wide, 'open to group or others'),
                ('not Ed25519', p256, 'not an Ed25519 key'),
                ('a directory', d, 'not a regular file')]

    def test_bad_key_is_503_and_leaves_the_code(self):
        good = self.site.dir / 'good.pem'
        subprocess.run([str(ADMIN), 'keygen', str(good)], capture_output=True, timeout=30,
                       check=True)
        for name, path, why in self.bad_keys():
            with self.subTest(name):
                self.site.configure(dict(self.site.keys, **JWT_KEYS,
                                         SIGNING_KEY_FILE=str(path)))
                r, vid, code = self.start_flow(PHONE, extra_fields={'return_to': '/done'})
                r = self.site.verify(code, vid=vid, cookie_vid=vid)
                self.assertStatus(r, 503)
                self.assertNotIn('eyJ', r.raw.decode('latin-1'))
                lines = [ln for ln in r.stderr.splitlines() if 'no assertion' in ln]
                self.assertEqual(len(lines), 1, r.stderr)
                self.assertIn(why, lines[0])
                self.assertNotIn('PRIVATE KEY', r.stderr)
                # check-config says the same
                p = subprocess.run([str(ADMIN), '-c', str(self.site.config_path), 'check-config'],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(p.returncode, 1, p.stderr)
                self.assertIn('SIGNING_KEY_FILE', p.stderr)
                self.assertIn(why, p.stderr)
                # the key put right: the same code verifies (it was left unused)
                self.site.configure(dict(self.site.keys, SIGNING_KEY_FILE=str(good)))
                r = self.site.verify(code, vid=vid, cookie_vid=vid)
                self.assertStatus(r, 303)
                token = urllib.parse.parse_qs(urllib.parse.urlsplit(
                    r.header('Location')).query)['otp_assertion'][0]
                self.assertEqual(pyjwt.get_unverified_header(token)['alg'], 'EdDSA')

    def test_check_config_names_the_new_keys(self):
        self.site.configure(dict(self.site.keys, ASSERTION_FORMAT='jwt2'))
        p = subprocess.run([str(ADMIN), '-c', str(self.site.config_path), 'check-config'],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertIn('ASSERTION_FORMAT', p.stderr)
        # jwt without an audience (no SITE_ORIGIN either)
        self.site.configure(dict(self.site.keys, ASSERTION_FORMAT='jwt', SIGNING_KEY=SIGNING_KEY))
        p = subprocess.run([str(ADMIN), '-c', str(self.site.config_path), 'check-config'],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertIn('ASSERTION_ISSUER', p.stderr)


class PhoneJwtTest(JwtCase):

    def query(self, phone, token):
        return urllib.parse.urlencode([('phone', phone), ('phone_jwt', token),
                                       ('return_to', '/account/done')])

    def test_phone_jwt_fixes_the_number(self):
        made = subprocess.run([str(CHECKER), '-c', str(self.site.config_path), 'sign-phone-jwt',
                               PHONE], capture_output=True, text=True, timeout=30)
        self.assertEqual(made.returncode, 0, made.stderr)
        by_pyjwt = pyjwt.encode({'phone_number': PHONE, 'exp': int(time.time()) + 600},
                                SIGNING_KEY, algorithm='HS256')
        for token in (made.stdout.strip(), by_pyjwt):
            r = self.site.get(REQUEST, query=self.query(PHONE, token))
            self.assertStatus(r, 200, 'index')
            sigs = [i.get('value') for i in r.inputs() if i.get('name') == 'phone_sig']
            self.assertEqual(sigs, [phone_sig(SIGNING_KEY, PHONE)], r.describe())

    def test_bad_phone_jwt_refused(self):
        now = int(time.time())
        bad = [
            ('another number', pyjwt.encode({'phone_number': '+12025550199'}, SIGNING_KEY,
                                            algorithm='HS256')),
            ('expired', pyjwt.encode({'phone_number': PHONE, 'exp': now - 10}, SIGNING_KEY,
                                     algorithm='HS256')),
            ('another key', pyjwt.encode({'phone_number': PHONE}, 'another-key-0123456789',
                                         algorithm='HS256')),
            ('alg none', compact({'alg': 'none'}, {'phone_number': PHONE}, lambda m: b'')),
        ]
        for why, token in bad:
            with self.subTest(why):
                r = self.site.get(REQUEST, query=self.query(PHONE, token),
                                  extra=JSON_HEADERS)
                self.assertJson(r, 400, 'bad_signature')
                self.assertEqual(self.sent_count(), 0)


if __name__ == '__main__':
    unittest.main()
