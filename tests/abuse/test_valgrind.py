"""Issue 4, proof: the CGI programs under valgrind on their main paths, with
no invalid accesses, no uninitialised reads and no definite leaks.

Each program runs as the web server would run it (harness.run_cgi: clean
environment, body on stdin) through a two-line /bin/sh wrapper that execs
Debian's valgrind with --error-exitcode=99 --leak-check=full
--errors-for-leak-kinds=definite and a log file per process.
"""

import os
import re
import secrets
import shutil
import tempfile
import time
import unittest
from pathlib import Path

from abuse_common import (AbuseCase, OTHER_PHONE, PHONE, REQUEST, VERIFY, db_query, harness,
                          wrong_code)

VALGRIND = '/usr/bin/valgrind'
TIMEOUT = 240  # seconds per run: valgrind is slow, a loaded CI box slower
OPTIONS = ['--error-exitcode=99', '--leak-check=full', '--errors-for-leak-kinds=definite',
           '--show-leak-kinds=definite', '--num-callers=30']
BAD = ('Invalid read', 'Invalid write', 'Invalid free', 'Mismatched free',
       'uninitialised', 'Uninitialised', 'Syscall param', 'Source and destination overlap',
       'definitely lost in', 'Process terminating')


def _sanitized(prog):
    with open(prog, 'rb') as f:
        data = f.read()
    return b'__asan_init' in data or b'__ubsan_handle' in data or b'__msan_init' in data


class ValgrindTest(AbuseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not os.access(VALGRIND, os.X_OK):
            raise unittest.SkipTest('valgrind is not installed (%s)' % VALGRIND)
        if _sanitized(REQUEST) or _sanitized(VERIFY):
            raise unittest.SkipTest('the programs are built with a sanitizer; valgrind '
                                    'needs a plain build')

    def setUp(self):
        super().setUp()
        self.vgdir = Path(tempfile.mkdtemp(prefix='otp-vg-'))
        if not os.environ.get('OTP_TEST_KEEP'):
            self.addCleanup(shutil.rmtree, self.vgdir, True)
        self.wrappers = {}
        for prog in (REQUEST, VERIFY):
            w = self.vgdir / prog.name
            w.write_text('#!/bin/sh\nexec %s --log-file=%s/%s.%%p.log %s %s\n'
                         % (VALGRIND, self.vgdir, prog.stem, ' '.join(OPTIONS), prog))
            w.chmod(0o755)
            self.wrappers[prog] = w
        self.runs = 0

    def vg(self, site, prog, method='GET', body=None, expect=200, **kw):
        """Run prog under valgrind; assert its status and a clean valgrind log."""
        before = set(self.vgdir.glob('*.log'))
        r = site.run(self.wrappers[prog], method, body, timeout=TIMEOUT,
                     script_name='/cgi-bin/' + prog.name, **kw)
        logs = sorted(set(self.vgdir.glob('*.log')) - before)
        self.runs += 1
        self.assertFalse(r.timed_out, 'valgrind run timed out' + r.describe())
        self.assertEqual(len(logs), 1, 'valgrind wrote no log: %r' % logs + r.describe())
        log = logs[0].read_text(errors='replace')
        where = '\n%s %s -> %s\nvalgrind log:\n%s' % (method, prog.name, r.status, log[-6000:])
        self.assertRegex(log, r'ERROR SUMMARY: 0 errors from 0 contexts', where)
        for bad in BAD:
            self.assertNotIn(bad, log, where)
        m = re.search(r'definitely lost: ([\d,]+) bytes', log)
        if m:
            self.assertEqual(m.group(1), '0', where)
        self.assertEqual(r.returncode, 0, 'exit status %s (99: valgrind found errors)'
                         % r.returncode + where)
        self.assertStatus(r, expect)
        return r

    def test_request_and_verify_outbox(self):
        site = self.make_site({'RESEND_AFTER': 30, 'MAX_ATTEMPTS': 3,
                               'WEBOTP_DOMAIN': 'example.com'}, transport='outbox')
        self.vg(site, REQUEST)                                               # GET form
        self.vg(site, VERIFY)                                                # GET, no code
        r = self.vg(site, REQUEST, 'POST', harness.form(phone=PHONE))        # send
        self.assertEqual(r.page, 'verify')
        vid = r.vid
        code = site.code_for(PHONE)
        self.assertIsNotNone(code, site.outbox())
        cookie = 'otp_vid=' + vid
        self.vg(site, VERIFY, cookie=cookie)                                 # GET code form
        self.vg(site, VERIFY, 'POST', harness.form(token=wrong_code(code),    # wrong
                                                   verification_id=vid), expect=422)
        self.vg(site, VERIFY, 'POST', harness.form(token=code, verification_id=vid),
                expect=200)                                                  # right
        self.vg(site, VERIFY, 'POST', harness.form(token=code, verification_id=vid),
                expect=410)                                                  # used
        self.vg(site, VERIFY, 'POST', harness.form(token=code,
                                                   verification_id=secrets.token_hex(16)),
                expect=410)                                                  # unknown id
        self.vg(site, REQUEST, 'POST', harness.form(phone=PHONE), expect=429)  # cooldown
        self.vg(site, REQUEST, 'POST', harness.form(phone='12'), expect=400)   # bad phone
        self.vg(site, REQUEST, 'POST', harness.form(phone='+447911123456'),
                expect=400)                                                  # country
        self.vg(site, REQUEST, 'POST', harness.form(phone=OTHER_PHONE),
                origin='https://evil.example', expect=403)                   # origin
        self.vg(site, VERIFY, 'PUT', expect=405)
        self.vg(site, REQUEST, 'POST', 'phone=' + 'x' * 9000, expect=413)
        self.vg(site, VERIFY, 'POST', harness.form(token='1'), content_type='text/plain',
                expect=415)

    def test_locked_and_failure_limit(self):
        site = self.make_site({'RESEND_AFTER': 0, 'MAX_ATTEMPTS': 1, 'PHONE_FAILURE_LIMIT': 1},
                              transport='outbox')
        r = site.request(PHONE)
        self.assertStatus(r, 200)
        code = site.code_for(PHONE)
        self.vg(site, VERIFY, 'POST', harness.form(token=wrong_code(code),
                                                   verification_id=r.vid), expect=410)
        r2 = site.request(PHONE)  # 429 now: refused for the phone
        self.assertStatus(r2, 429)
        self.vg(site, REQUEST, 'POST', harness.form(phone=PHONE), expect=429)
        # the hour and the locked code's lifetime pass: age both in the test's own DB
        db_query(site, 'DELETE FROM failure')
        db_query(site, 'UPDATE verification SET expires = 0')
        r3 = site.request(PHONE, remote_addr='10.80.0.3')
        self.assertStatus(r3, 200)
        db_query(site, "INSERT INTO failure (at, phone, net) VALUES (?, ?, '10.80.0.0/24')",
                 (int(time.time()), PHONE))
        self.vg(site, VERIFY, 'POST', harness.form(token=code, verification_id=r3.vid),
                expect=429)

    def test_telnyx_send_and_provider_error(self):
        # The libcurl path, against the fake on 127.0.0.1.
        site = self.make_site({'RESEND_AFTER': 0})
        self.vg(site, REQUEST, 'POST', harness.form(phone=PHONE))
        self.assertEqual(len(self.fake.messages), 1)
        self.fake.mode = 'status:422'
        self.vg(site, REQUEST, 'POST', harness.form(phone=OTHER_PHONE), expect=502)

    def test_misconfigured_and_no_database(self):
        bad = self.make_site({'RESEND_AFTER': 'soon'}, transport='outbox')
        self.vg(bad, REQUEST, 'POST', harness.form(phone=PHONE), expect=500)
        self.vg(bad, VERIFY, expect=500)
        nodb = self.make_site(harness.unreachable_store(), transport='outbox')
        self.vg(nodb, REQUEST, 'POST', harness.form(phone=PHONE), expect=503)

    def test_json_mode(self):
        site = self.make_site({'RESEND_AFTER': 30}, transport='outbox')
        j = {'HTTP_ACCEPT': 'application/json'}
        r = self.vg(site, REQUEST, 'POST', harness.form(phone=PHONE), extra=j)
        self.vg(site, REQUEST, 'POST', harness.form(phone=PHONE), extra=j, expect=429)
        vid = r.vid
        code = site.code_for(PHONE)
        self.vg(site, VERIFY, 'POST', harness.form(token=wrong_code(code), verification_id=vid),
                extra=j, expect=422)
        self.vg(site, VERIFY, 'POST', harness.form(token=code, verification_id=vid), extra=j)


if __name__ == '__main__':
    unittest.main()
