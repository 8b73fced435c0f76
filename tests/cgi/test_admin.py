"""Issue 12: otp-admin, every command against a database the real
programs filled (request.cgi, verify.cgi, webhook.cgi), checked with
SQL of the test's own (site.sql) and with the sqlite3 command's .dump (or
pg_dump, with OTP_TEST_STORE=pg): stats (text and JSON, by
prefix, country and hour), unlock letting a locked number get a new code,
blocks in force at once for every program (the breaker's listed and
lifted too), forget leaving no row with the number, check-config listing
every problem, report --html self-contained with charts that match the
counts, and Unix exit statuses."""

import html.parser
import json
import os
import re
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

import fake_telnyx
from harness import CGITestCase, REPO, REQUEST, WebhookGateway

ADMIN = REPO / 'tools' / 'otp-admin'
JSON = {'HTTP_ACCEPT': 'application/json'}
A, B, C = '+12025550143', '+12025550144', '+13035550100'


def wrong(code):
    return ('1' if code[0] == '0' else '0') + code[1:]


class AdminCase(CGITestCase):
    site_keys = {'RESEND_AFTER': '30', 'IP_SEND_LIMIT': '1000'}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not os.access(ADMIN, os.X_OK):
            raise unittest.SkipTest('tools/otp-admin is not built (run make)')

    def admin(self, *args, config=True):
        argv = [str(ADMIN)] + (['-c', str(self.site.config_path)] if config else []) + \
            [str(a) for a in args]
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                           env={'PATH': '/usr/bin:/bin'})
        for secret in ('KEYtest', 'SECRET'):
            self.assertNotIn(secret, p.stdout + p.stderr)
        return p


class StatsTest(AdminCase):
    def fill(self):
        r, vid, code = self.start_flow(A, remote_addr='10.50.0.1')
        self.assertStatus(self.site.verify(code, vid=vid), 200, 'success')
        self.start_flow(B, remote_addr='10.50.0.2')
        self.start_flow(C, remote_addr='10.50.0.3')
        # A again at once: RESEND_AFTER refuses it.
        self.assertEqual(self.site.request(A, remote_addr='10.50.0.4').status, 429)

    def test_json(self):
        self.fill()
        p = self.admin('stats', '--json')
        self.assertEqual(p.returncode, 0, p.stderr)
        j = json.loads(p.stdout)
        self.assertEqual({k: j['total'][k] for k in ('sent', 'verified', 'delivered', 'failed',
                                                     'refused')},
                         {'sent': 3, 'verified': 1, 'delivered': 0, 'failed': 0, 'refused': 1})
        self.assertEqual(j['refused_by_kind'], {'cooldown': 1})
        self.assertEqual([(g['key'], g['sent'], g['verified'], g['conversion'])
                          for g in j['groups']],
                         [('+1202555', 2, 1, 0.5), ('+1303555', 1, 0, 0)])
        by_country = json.loads(self.admin('stats', '--json', '--by', 'country').stdout)
        self.assertEqual([(g['key'], g['sent'], g['verified']) for g in by_country['groups']],
                         [('+1', 3, 1)])
        by_hour = json.loads(self.admin('stats', '--json', '--by', 'hour').stdout)
        self.assertEqual(len(by_hour['groups']), 1)
        self.assertRegex(by_hour['groups'][0]['key'], r'^\d{4}-\d\d-\d\dT\d\d:00Z$')
        self.assertEqual(by_hour['groups'][0]['sent'], 3)

    def test_text(self):
        self.fill()
        p = self.admin('stats')
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('sent 3  delivered 0  failed 0  verified 1  conversion 33.3%  refused 1',
                      p.stdout)
        self.assertIn('refused by kind: cooldown 1', p.stdout)
        self.assertRegex(p.stdout, r'\+1202555\s+2\s+1\s+50.0%\s+1')
        self.assertNotIn(A, p.stdout)

    def test_since(self):
        self.fill()
        self.site.age_sends(7200)
        self.site.sql('UPDATE verified SET at = at - 7200')
        self.site.sql('UPDATE refusal SET minute = minute - 120')
        j = json.loads(self.admin('stats', '--json', '--since', '1h').stdout)
        self.assertEqual((j['total']['sent'], j['total']['verified'], j['groups']), (0, 0, []))
        j = json.loads(self.admin('stats', '--json', '--since', '3h').stdout)
        self.assertEqual(j['total']['sent'], 3)

    def test_delivered_failed_and_spend(self):
        fake = self.fake
        fake.enable_webhooks('delivery_failed')
        gw = WebhookGateway(self.site)
        self.addCleanup(gw.stop)
        self.site.configure(dict(self.site.keys, TELNYX_PUBLIC_KEY=fake.public_key,
                                 WEBHOOK_URL=gw.url))
        self.start_flow(A, remote_addr='10.51.0.1')
        self.assertTrue(fake.wait_webhooks(2))
        fake.final_status = 'delivered'
        self.start_flow(C, remote_addr='10.51.0.2')
        self.assertTrue(fake.wait_webhooks(4))
        j = json.loads(self.admin('stats', '--json').stdout)
        self.assertEqual((j['total']['delivered'], j['total']['failed']), (1, 1))
        self.assertEqual((j['total']['spend'], j['total']['currency']), ('0.010200', 'USD'))


class UnlockTest(AdminCase):
    def test_a_locked_number_gets_a_new_code(self):
        self.site.configure(dict(self.site.keys, RESEND_AFTER='0'))
        r, vid, code = self.start_flow(A)
        for _ in range(5):
            self.site.verify(wrong(code), vid=vid)
        self.assertEqual(self.site.verify(code, vid=vid).status, 410)
        # The network that asked (127.0.0.0/24) gets no new code.
        refused = self.site.request(A, remote_addr='127.0.0.2', extra=JSON)
        self.assertEqual(refused.status, 429, refused.describe())
        self.assertEqual(json.loads(refused.body)['error']['kind'], 'guesses')
        p = self.admin('unlock', '(202) 555-0143')
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('+12*******43: 1 verification unlocked, 5 wrong codes forgotten', p.stdout)
        self.assertRegex(p.stderr, r'event=unlocked phone=\+12\*+43 ')
        self.assertEqual(self.site.sql('SELECT count(*) FROM failure'), [(0,)])
        self.assertEqual(self.site.sql("SELECT status, attempts FROM verification"),
                         [('failed', 0)])
        r2, vid2, code2 = self.start_flow(A, remote_addr='10.52.0.3')
        self.assertStatus(self.site.verify(code2, vid=vid2), 200, 'success')
        # The old locked code stays dead.
        self.assertEqual(self.site.verify(code, vid=vid).status, 410)

    def test_a_pending_code_dies_too(self):
        # Somebody guessed at it: its tries are not handed back, the code dies.
        self.site.configure(dict(self.site.keys, RESEND_AFTER='0'))
        r, vid, code = self.start_flow(A)
        for _ in range(3):
            self.assertEqual(self.site.verify(wrong(code), vid=vid).status, 422)
        p = self.admin('unlock', A)
        self.assertIn('1 verification unlocked, 3 wrong codes forgotten', p.stdout)
        self.assertEqual(self.site.verify(code, vid=vid).status, 410)
        r2, vid2, code2 = self.start_flow(A, remote_addr='10.52.1.1')
        self.assertStatus(self.site.verify(code2, vid=vid2), 200, 'success')

    def test_nothing_to_unlock(self):
        self.start_flow(B)
        p = self.admin('unlock', A)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('0 verifications unlocked, 0 wrong codes forgotten', p.stdout)


class BlockTest(AdminCase):
    def test_block_in_force_at_once(self):
        self.start_flow(A)
        p = self.admin('block', '+1303', '--for', '2h')
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r'^\+1303 blocked until \d{4}-\d\d-\d\dT')
        r = self.site.request(C, extra=JSON)
        self.assertEqual(r.status, 429, r.describe())
        err = json.loads(r.body)['error']
        self.assertEqual(err['kind'], 'blocked')
        self.assertAlmostEqual(err['retry_after'], 7200, delta=30)
        self.assertEqual(self.fake.messages_to(C), [])
        # Elsewhere: untouched.
        self.start_flow(B, remote_addr='10.53.0.2')
        blocks = self.admin('blocks')
        self.assertRegex(blocks.stdout, r'^\+1303\s+until \S+\s+operator\s+since ')
        self.assertEqual(self.admin('unblock', '+1303').returncode, 0)
        self.start_flow(C, remote_addr='10.53.0.3')
        again = self.admin('unblock', '+1303')
        self.assertEqual(again.returncode, 1)
        self.assertIn('+1303 is not blocked', again.stderr)
        self.assertEqual(self.admin('blocks').stdout, '')

    def test_the_breakers_blocks_are_listed_and_lifted(self):
        self.site.configure(dict(self.site.keys, CONVERSION_MODE='enforce',
                                 CONVERSION_MIN_SENDS='3', RESEND_AFTER='0',
                                 CONVERSION_MIN_CLIENTS='1', CONVERSION_GRACE='0'))
        for i in range(3):
            self.start_flow('+120255501%02d' % i, remote_addr='10.54.0.%d' % i)
        self.assertEqual(self.site.request('+12025550110').status, 429)
        blocks = self.admin('blocks')
        self.assertRegex(blocks.stdout, r'^\+1202555\s+until \S+\s+conversion\s+')
        self.assertEqual(self.admin('unblock', '+1202555').returncode, 0)
        # Lifted: the breaker judges the range by what comes after (in whole
        # seconds: the second of the lift is not counted), and the sends
        # before do not block it again at once.
        time.sleep(1.1)
        self.start_flow('+12025550111', remote_addr='10.54.1.1')
        self.assertEqual(self.admin('blocks').stdout, '')
        for i in range(2):
            self.start_flow('+120255502%02d' % i, remote_addr='10.54.2.%d' % i)
        # Three more sends, none verified: blocked again, and logged again.
        r = self.site.request('+12025550299', remote_addr='10.54.3.1')
        self.assertEqual(r.status, 429, r.describe())
        self.assertIn('SMS pumping? +1202555 blocked', r.stderr)

    def test_bad_prefixes(self):
        for bad in ('1303', '+0303', '+', '+13035550100123', '+13a'):
            with self.subTest(bad=bad):
                p = self.admin('block', bad)
                self.assertEqual(p.returncode, 2, p.stdout)
        self.assertEqual(self.admin('block', '+1303', '--for', '0').returncode, 2)
        self.assertEqual(self.admin('block', '+1303', '--for', 'soon').returncode, 2)


class ForgetTest(AdminCase):
    def test_forget_leaves_no_row(self):
        fake = self.fake
        fake.enable_webhooks('delivered')
        gw = WebhookGateway(self.site)
        self.addCleanup(gw.stop)
        self.site.configure(dict(self.site.keys, TELNYX_PUBLIC_KEY=fake.public_key,
                                 WEBHOOK_URL=gw.url, SIGNING_KEY='forget-signing-key-0123456789'))
        # Every table: a verified code, a wrong code, a refusal, receipts, an open code.
        r, vid, code = self.start_flow(A, remote_addr='10.55.0.1')
        self.assertEqual(self.site.verify(wrong(code), vid=vid).status, 422)
        self.assertStatus(self.site.verify(code, vid=vid), 200, 'success')
        self.assertEqual(self.site.request(A, remote_addr='10.55.0.2').status, 429)
        self.start_flow(B, remote_addr='10.55.0.3')
        self.assertTrue(fake.wait_webhooks(4))
        dump = self.site.dump()
        self.assertIn(A, dump)
        p = self.admin('forget', '202-555-0143')
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('+12*******43: removed 1 verifications, 1 sends, 1 wrong codes, '
                      '1 messages, 1 codes verified, 0 blocks', p.stdout)
        self.assertRegex(p.stderr, r'event=forgotten phone=\+12\*+43 ')
        dump = self.site.dump()
        self.assertNotIn(A, dump)
        self.assertNotIn(A[1:], dump)
        # The other number is all there.
        self.assertIn(B, dump)
        self.assertEqual(self.site.sql('SELECT count(*) FROM message WHERE phone = ?', (B,)),
                         [(1,)])


class CheckConfigTest(AdminCase):
    def test_good(self):
        p = self.admin('check-config')
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('the programs would run with it', p.stdout)

    def test_every_problem_with_its_key(self):
        self.site.configure(dict(self.site.keys, TOKEN_TTL='9999', CONVERSION_MIN='2',
                                 CHANNELS='voice', OUTBOX_PATH=None, SMS_TRANSPORT='outbox'))
        p = self.admin('check-config')
        self.assertEqual(p.returncode, 1, p.stdout)
        for key in ('TOKEN_TTL', 'CONVERSION_MIN', 'CHANNELS', 'OUTBOX_PATH'):
            self.assertIn(key, p.stderr)
        self.assertIn('4 problems', p.stderr)
        # The programs agree that they would not run.
        r = self.site.get(REQUEST)
        self.assertEqual(r.status, 500)

    def test_languages(self):
        """Each language of LANGUAGES: its file (missing: a problem), the
        first language's keys (missing: a warning each), and its text
        message in one part (more: a warning)."""
        tdir = self.template_copy('templates')
        (tdir / 'lang' / 'it.conf').write_text("SMS='Il suo codice: {code}'\n"
                                               "S_PHONE_TITLE='Verifichi il numero'\n")
        (tdir / 'lang' / 'xx.conf').write_text("SMS='%s {code}'\n" % ('long ' * 40))
        self.site.configure(dict(self.site.keys, TEMPLATE_DIR=str(tdir),
                                 LANGUAGES='en,es,fr,de,pt,ar'))
        p = self.admin('check-config')
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn('warning: language', p.stderr)
        self.assertNotIn('parts', p.stderr)
        self.site.configure(dict(self.site.keys, TEMPLATE_DIR=str(tdir),
                                 LANGUAGES='en,it,xx,ja'))
        p = self.admin('check-config')
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn('cannot read language ja', p.stderr)
        self.assertIn('1 problem', p.stderr)
        self.assertIn('language it lacks S_CODE_TITLE', p.stderr)
        self.assertNotIn('language it lacks S_PHONE_TITLE', p.stderr)
        self.assertIn('the text message of xx is 2 parts', p.stderr)
        self.assertNotIn('the text message of it', p.stderr)

    def test_missing_file(self):
        p = subprocess.run([str(ADMIN), '-c', '/nonexistent/otp.conf', 'check-config'],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn('cannot open config file', p.stderr)


class UsageTest(AdminCase):
    def test_statuses(self):
        # (arguments, exit status, whether the usage is printed)
        for args, rc, usage in (((), 2, True), (('bogus',), 2, True),
                                (('stats', 'extra'), 2, True),
                                (('stats', '--by', 'planet'), 2, True),
                                (('stats', '--since', '-1h'), 2, True),
                                (('stats', '--since', '3x'), 2, True), (('unlock',), 2, True),
                                (('unlock', 'hello'), 2, False), (('report',), 2, True),
                                (('blocks',), 0, False)):
            with self.subTest(args=args):
                p = self.admin(*args)
                self.assertEqual(p.returncode, rc, p.stderr)
                self.assertEqual('usage:' in p.stderr, usage, p.stderr)
        h = self.admin('-h')
        self.assertEqual(h.returncode, 0)
        self.assertIn('usage: otp-admin', h.stdout)

    def test_database_refused(self):
        self.start_flow(A)
        self.site.set_schema_version(99)
        p = self.admin('stats')
        self.assertEqual(p.returncode, 2)
        self.assertIn('newer than this program', p.stderr)


class _Bars(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.bars = []
        self.chart = None
        self.tags = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        if tag == 'svg':
            self.chart = a.get('id')
        if tag == 'rect' and 'data-series' in a:
            self.bars.append((self.chart, a['data-series'], a['data-key'],
                              float(a['data-value'])))


class ReportTest(AdminCase):
    def test_self_contained_and_true(self):
        for i, phone in enumerate((A, B, C, '+13035550101')):
            r, vid, code = self.start_flow(phone, remote_addr='10.56.0.%d' % i)
            if i % 2 == 0:
                self.assertStatus(self.site.verify(code, vid=vid), 200, 'success')
        # The cooldown of A, for the network that asked (10.56.0.0/24).
        self.assertEqual(self.site.request(A, remote_addr='10.56.0.9').status, 429)
        out = Path(tempfile.mkdtemp(prefix='otp-report-')) / 'report.html'
        self.addCleanup(lambda: __import__('shutil').rmtree(out.parent, True))
        p = self.admin('report', '--html', out, '--since', '2d')
        self.assertEqual(p.returncode, 0, p.stderr)
        text = out.read_text()
        self.assertNotIn('<script', text.lower())
        self.assertNotRegex(text, r'(src|href)\s*=')
        self.assertEqual(re.findall(r'https?://[^"\s<]+', text), ['http://www.w3.org/2000/svg'] *
                         text.count('<svg'))
        for number in (A, B, C):
            self.assertNotIn(number, text)
        bars = _Bars()
        bars.feed(text)
        per_hour = [(s, v) for c, s, k, v in bars.bars if c == 'per-hour']
        self.assertEqual(sum(v for s, v in per_hour if s == 'sent'), 4)
        self.assertEqual(sum(v for s, v in per_hour if s == 'verified'), 2)
        conv = {k: v for c, s, k, v in bars.bars if c == 'per-prefix'}
        self.assertEqual(conv, {'+1202555': 50.0, '+1303555': 50.0})
        refusals = {k: v for c, s, k, v in bars.bars if c == 'refusals'}
        self.assertEqual(refusals, {'cooldown': 1.0})
        self.assertIn('<td id="sent">4</td>', text)
        self.assertIn('<td id="verified">2</td>', text)
        # The outbox reports no cost: one day, its bar at 0.
        spend = [(k, v) for c, s, k, v in bars.bars if c == 'spend']
        self.assertEqual([v for k, v in spend], [0.0])
        self.assertRegex(spend[0][0], r'^\d{4}-\d\d-\d\d$')

    def test_cannot_write(self):
        self.start_flow(A)
        p = self.admin('report', '--html', '/nonexistent/dir/r.html')
        self.assertEqual(p.returncode, 2)
        self.assertIn('cannot write', p.stderr)


if __name__ == '__main__':
    unittest.main()
