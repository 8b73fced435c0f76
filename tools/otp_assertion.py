#!/usr/bin/python3
"""Check an otp_assertion on a Python site (standard library only).

    phone = verify(request.args['otp_assertion'], SIGNING_KEY, seen='/var/lib/site/otp-seen.db')
    sig = phone_sig(SIGNING_KEY, '+12025550143')  # request.cgi?phone=...&phone_sig=...

An assertion is v1.<base64url(payload)>.<base64url(HMAC-SHA256(key, "v1." payload64))>,
payload {"phone": E.164, "verified_at": Unix seconds, "vid": 32 hex[, "return_to": ...]}.
verify() returns the phone, or raises ValueError: bad format or MAC, too old, already used
(its vid is kept in the sqlite3 file `seen`), or, when you pass return_to (the one you sent
the visitor in with, holding a state of their session), made for another return_to.  If you
fixed the number with phone_sig, compare it too.

    python3 otp_assertion.py KEY ASSERTION [SEEN_DB [MAX_AGE]]   prints the phone, or exits 1
    python3 otp_assertion.py sign-phone KEY PHONE                prints the phone_sig
"""
import base64, hashlib, hmac, json, re, sqlite3, sys, time


def _mac(key, msg):
    d = hmac.new(key.encode(), msg.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(d).rstrip(b'=').decode()


def phone_sig(key, phone):
    return hmac.new(key.encode(), phone.encode(), hashlib.sha256).hexdigest()


def verify(assertion, key, max_age=300, seen=None, return_to=None):
    parts = str(assertion or '').split('.')
    if len(parts) != 3 or parts[0] != 'v1':
        raise ValueError('malformed or unknown version')
    if not hmac.compare_digest(_mac(key, 'v1.' + parts[1]).encode(), parts[2].encode()):
        raise ValueError('bad signature')
    p = json.loads(base64.urlsafe_b64decode(parts[1] + '=' * (-len(parts[1]) % 4)))
    if not isinstance(p, dict):
        raise ValueError('malformed payload')
    phone, at, vid = p.get('phone'), p.get('verified_at'), p.get('vid')
    if not (isinstance(phone, str) and re.fullmatch(r'\+[1-9][0-9]{7,14}', phone)
            and type(at) is int and isinstance(vid, str) and re.fullmatch(r'[0-9a-f]{32}', vid)):
        raise ValueError('malformed payload')
    if return_to is not None and p.get('return_to') != return_to:
        raise ValueError('made for another return_to')
    now = int(time.time())
    if at > now + 60 or now - at > max_age:
        raise ValueError('expired')
    if seen is not None:  # each assertion is good once: remember its vid
        db = sqlite3.connect(seen, timeout=10)
        try:
            with db:  # one transaction: commits, or rolls back on an exception
                db.execute('CREATE TABLE IF NOT EXISTS otp_seen (vid TEXT PRIMARY KEY, at INT)')
                db.execute('DELETE FROM otp_seen WHERE at < ?', (now - max(max_age, 86400),))
                if db.execute('INSERT OR IGNORE INTO otp_seen VALUES (?, ?)',
                              (vid, at)).rowcount != 1:
                    raise ValueError('already used')
        finally:
            db.close()
    return phone


if __name__ == '__main__':
    a = sys.argv[1:]
    try:
        if len(a) == 3 and a[0] == 'sign-phone':
            print(phone_sig(a[1], a[2]))
        elif 2 <= len(a) <= 4:
            print(verify(a[1], a[0], int(a[3]) if len(a) > 3 else 300, a[2] if len(a) > 2 else None))
        else:
            sys.stderr.write('usage: python3 otp_assertion.py KEY ASSERTION [SEEN_DB [MAX_AGE]]\n'
                             '       python3 otp_assertion.py sign-phone KEY PHONE\n')
            sys.exit(2)
    except ValueError as e:  # json and base64 errors are ValueErrors too
        sys.exit('rejected: %s' % e)
