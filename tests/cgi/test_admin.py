"""Issue 12: otp-admin, every command against a database the real
programs filled (request.cgi, verify.cgi, webhook.cgi), checked with
SQL of the test's own (site.sql) and with the sqlite3 command's .dump (or
pg_dump, with OTP_TEST_STORE=pg): stats (text and JSON, by
prefix, country and hour, and per channel with how the calls ended, from
rows put in the store), unlock letting a locked number get a new code
(of every network, or of one with --network), locks listing the numbers
locked out with the networks behind each and when each ends, blocks in
force at once for every program (the breaker's listed with the networks
behind them, and lifted too), forget leaving no row with the number,
check-config listing every problem, report --html self-contained with
charts and a table per channel that match the counts, and Unix exit
statuses."""

import calendar
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


def epoch(iso):
    """A time as otp-admin prints it (2026-12-02T05:00:00Z), in Unix seconds."""
    return calendar.timegm(time.strptime(iso, '%Y-%m-%dT%H:%M:%SZ'))


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
        # request.cgi's texts are the sms channel's; no call, nothing inbound.
        ch = j['channels']
        self.assertEqual((ch['sms']['sent'], ch['sms']['verified']), (3, 1))
        self.assertAlmostEqual(ch['sms']['conversion'], 1 / 3)
        self.assertEqual([(ch[c]['sent'], ch[c]['verified']) for c in ('voice', 'inbound')],
                         [(0, 0), (0, 0)])

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


class ChannelStatsTest(AdminCase):
    """stats and report per channel (issue 25): the codes sent and
    verified by text, by call and inbound, and how the calls ended, from
    rows put in the store as the programs write them."""

    # How each call ended, as webhook.cgi leaves its row: (status, stage,
    # cause, how many), and what stats calls that end.
    CALLS = (
        ('hangup', 6, 'normal_clearing', 2, 'answered'),
        ('hangup', 6, 'time_limit', 1, 'answered'),
        ('detected', 4, 'human', 1, 'answered'),
        ('spoken', 5, '', 1, 'answered'),
        ('hangup', 6, 'no_answer', 2, 'no_answer'),
        ('hangup', 6, 'timeout', 1, 'no_answer'),
        ('hangup', 6, 'user_busy', 1, 'busy'),
        ('hangup', 6, 'call_rejected', 2, 'rejected'),
        ('detected', 4, 'machine', 4, 'machine'),
        ('hangup', 6, 'originator_cancel', 1, 'other'),
        ('hangup', 6, 'not_found', 1, 'other'),
        ('hangup', 6, '', 1, 'other'),
        ('initiated', 2, '', 2, 'other'),
        ('placed', 1, '', 1, 'other'),
    )
    ENDS = {'answered': 5, 'no_answer': 3, 'busy': 1, 'rejected': 2, 'machine': 4, 'other': 6}

    def setUp(self):
        super().setUp()
        # The store as a program makes it, then rows of our own.
        self.assertEqual(self.admin('stats').returncode, 0)
        self.now = int(time.time())

    def put_sends(self, sends, verified, at):
        """sends and verified: {channel: how many}, all at at."""
        self.site.sql_many(
            'INSERT INTO send (at, phone, client, country, channel, prefix, cc) '
            "VALUES (?, ?, '10.60.0.1', '+1', ?, '+1202555', '+1')",
            [(at, '+120255501%02d' % i, ch) for ch, n in sends.items() for i in range(n)])
        self.site.sql_many(
            'INSERT INTO verified (at, phone, prefix, cc, channel) '
            "VALUES (?, ?, '+1202555', '+1', ?)",
            [(at, '+120255501%02d' % i, ch) for ch, n in verified.items() for i in range(n)])

    def put_calls(self, calls, created, tag):
        rows = []
        for status, stage, cause, n, _ in calls:
            for i in range(n):
                rows.append(('%s-%s-%s-%d' % (tag, status, cause, i), 'v%d' % len(rows),
                             '+12025550199', status, stage, cause, created, created))
        self.site.sql_many(
            'INSERT INTO voice_call (state, vid, phone, status, stage, cause, created, updated) '
            'VALUES (?, ?, ?, ?, ?, ?, ?, ?)', rows)

    def fill(self):
        self.put_sends({'sms': 4, 'voice': 5, 'inbound': 2, 'refused': 1},
                       {'sms': 2, 'voice': 3, 'inbound': 1}, self.now - 60)
        self.put_calls(self.CALLS, self.now - 60, 'new')
        # Two hours ago: out of --since 1h, in --since 3h.
        self.put_sends({'voice': 1}, {'voice': 1}, self.now - 7200)
        self.put_calls((('hangup', 6, 'user_busy', 1, 'busy'),), self.now - 7200, 'old')

    def test_json(self):
        self.fill()
        p = self.admin('stats', '--json', '--since', '1h')
        self.assertEqual(p.returncode, 0, p.stderr)
        j = json.loads(p.stdout)
        self.assertEqual(j['channels'], {
            'sms': {'sent': 4, 'verified': 2, 'conversion': 0.5},
            'voice': {'sent': 5, 'verified': 3, 'conversion': 0.6, 'calls': self.ENDS},
            'inbound': {'sent': 2, 'verified': 1, 'conversion': 0.5}})
        # The totals as they were: every send (the refused one too), every code verified.
        self.assertEqual((j['total']['sent'], j['total']['verified']), (12, 6))
        self.assertEqual(sum(e[3] for e in self.CALLS), sum(self.ENDS.values()))
        older = json.loads(self.admin('stats', '--json', '--since', '3h').stdout)['channels']
        self.assertEqual((older['voice']['sent'], older['voice']['verified']), (6, 4))
        self.assertEqual(older['voice']['calls'], dict(self.ENDS, busy=2))
        self.assertEqual(older['sms'], j['channels']['sms'])

    def test_text(self):
        self.fill()
        p = self.admin('stats', '--since', '1h')
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout
        self.assertIn('sent 12  delivered 0  failed 0  verified 6  conversion 50.0%  refused 0',
                      out)
        self.assertRegex(out, r'(?m)^channel\s+sent\s+verified\s+conversion$')
        self.assertRegex(out, r'(?m)^sms\s+4\s+2\s+50\.0%$')
        self.assertRegex(out, r'(?m)^voice\s+5\s+3\s+60\.0%$')
        self.assertRegex(out, r'(?m)^inbound\s+2\s+1\s+50\.0%$')
        self.assertIn('\ncalls: answered 5, no answer 3, busy 1, rejected 2, machine 4, '
                      'other 6\n', out)
        # The groups' table stays the last, as it was.
        self.assertRegex(out, r'\nprefix\s+sent\s+verified\s+conversion\s+refused\n'
                              r'\+1202555\s+12\s+6\s+50\.0%\s+0\n$')
        self.assertNotIn('+12025550199', out)

    def test_no_calls(self):
        self.put_sends({'sms': 2}, {'sms': 1}, self.now - 60)
        p = self.admin('stats')
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r'(?m)^sms\s+2\s+1\s+50\.0%$')
        self.assertRegex(p.stdout, r'(?m)^voice\s+0\s+0\s+0\.0%$')
        self.assertNotIn('calls:', p.stdout)
        j = json.loads(self.admin('stats', '--json').stdout)['channels']
        self.assertEqual(j['voice'], {'sent': 0, 'verified': 0, 'conversion': 0,
                                      'calls': dict.fromkeys(self.ENDS, 0)})
        ids = self.report()
        self.assertEqual(ids['calls'], 'No calls in this period.')
        self.assertNotIn('calls-answered', ids)
        self.assertEqual((ids['sms-sent'], ids['voice-sent']), ('2', '0'))

    def report(self, *args):
        """The report's elements with an id: {id: their text}."""
        out = Path(tempfile.mkdtemp(prefix='otp-report-')) / 'report.html'
        self.addCleanup(lambda: __import__('shutil').rmtree(out.parent, True))
        p = self.admin('report', '--html', out, *args)
        self.assertEqual(p.returncode, 0, p.stderr)
        ids = _Ids()
        ids.feed(out.read_text())
        # Ours once each (the report had "spend" twice before them: its cell, its chart).
        ours = [i for i in ids.seen if i in ('channels', 'calls') or
                i.split('-')[0] in ('channel', 'sms', 'voice', 'inbound', 'calls')]
        self.assertEqual(len(ours), len(set(ours)), ours)
        return ids.text

    def test_report(self):
        self.fill()
        ids = self.report('--since', '1h')
        self.assertEqual({k: v for k, v in ids.items()
                          if k.split('-')[0] in ('sms', 'voice', 'inbound')},
                         {'sms-sent': '4', 'sms-verified': '2', 'sms-conversion': '50.0%',
                          'voice-sent': '5', 'voice-verified': '3', 'voice-conversion': '60.0%',
                          'inbound-sent': '2', 'inbound-verified': '1',
                          'inbound-conversion': '50.0%'})
        self.assertEqual({k[len('calls-'):]: int(v) for k, v in ids.items()
                          if k.startswith('calls-')}, self.ENDS)
        self.assertEqual((ids['sent'], ids['verified']), ('12', '6'))
        self.assertEqual(self.report('--since', '3h')['calls-busy'], '2')


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
        # The operator's word alone: no networks behind it.
        self.assertEqual(len(blocks.stdout.splitlines()), 1, blocks.stdout)
        j = json.loads(self.admin('blocks', '--json').stdout)
        self.assertEqual([(b['prefix'], b['reason'], b['networks'], b['more'])
                          for b in j['blocks']], [('+1303', 'operator', [], 0)])
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

    def breaker(self, **keys):
        """The breaker on, blocking on 3 texts from 3 networks (keys: other values)."""
        self.site.configure(dict(self.site.keys, **dict(
            {'CONVERSION_MODE': 'enforce', 'CONVERSION_MIN_SENDS': '3',
             'CONVERSION_MIN_CLIENTS': '3', 'CONVERSION_GRACE': '0', 'RESEND_AFTER': '0'},
            **keys)))

    def test_the_networks_behind_a_breakers_block(self):
        self.breaker()
        for y in (1, 2, 3):
            self.start_flow('+120255501%02d' % y, remote_addr='10.57.%d.1' % y)
        r = self.site.request('+12025550110', remote_addr='10.57.9.1')
        self.assertEqual(r.status, 429, r.describe())
        p = self.admin('blocks')
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertRegex(lines[0], r'^\+1202555\s+until \S+\s+conversion\s+')
        # Each network whose texts were counted, indented, with its texts; not
        # the network refused (its request sent nothing).
        self.assertEqual([line.split() for line in lines[1:]],
                         [['10.57.%d.0/24' % y, '1', 'text', 'not', 'verified']
                          for y in (1, 2, 3)])
        for line in lines[1:]:
            self.assertRegex(line, r'^\s+10\.57\.')
        self.assertNotIn('+12025550', p.stdout + p.stderr)

    def test_the_busiest_networks_first_and_how_many_more(self):
        self.breaker(CONVERSION_MIN_SENDS='8')
        # 10.58.1.0/24 twice, five more networks once, and one text verified:
        # its network is no evidence.
        phones = iter('+120255502%02d' % i for i in range(20))
        for y in (1, 1, 2, 3, 4, 5, 6):
            self.start_flow(next(phones), remote_addr='10.58.%d.1' % y)
        r, vid, code = self.start_flow(next(phones), remote_addr='10.58.7.1')
        self.assertStatus(self.site.verify(code, vid=vid), 200, 'success')
        r = self.site.request(next(phones), remote_addr='10.58.9.1')
        self.assertEqual(r.status, 429, r.describe())
        p = self.admin('blocks')
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual([line.split()[:2] for line in p.stdout.splitlines()[1:]],
                         [['10.58.1.0/24', '2'], ['10.58.2.0/24', '1'], ['10.58.3.0/24', '1'],
                          ['10.58.4.0/24', '1'], ['10.58.5.0/24', '1'], ['and', '1']])
        self.assertIn('    and 1 more network\n', p.stdout)
        j = json.loads(self.admin('blocks', '--json').stdout)
        self.assertEqual(len(j['blocks']), 1)
        b = j['blocks'][0]
        self.assertEqual((b['prefix'], b['reason'], b['more']), ('+1202555', 'conversion', 0))
        self.assertEqual([(n['network'], n['count']) for n in b['networks']],
                         [('10.58.1.0/24', 2)] +
                         [('10.58.%d.0/24' % y, 1) for y in (2, 3, 4, 5, 6)])
        self.assertRegex(b['until'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')

    def test_bad_prefixes(self):
        for bad in ('1303', '+0303', '+', '+13035550100123', '+13a'):
            with self.subTest(bad=bad):
                p = self.admin('block', bad)
                self.assertEqual(p.returncode, 2, p.stdout)
        self.assertEqual(self.admin('block', '+1303', '--for', '0').returncode, 2)
        self.assertEqual(self.admin('block', '+1303', '--for', 'soon').returncode, 2)


class LocksTest(AdminCase):
    site_keys = {'RESEND_AFTER': '0', 'IP_SEND_LIMIT': '1000', 'PHONE_FAILURE_LIMIT': '5'}

    def lock(self, phone, addr):
        """A code for phone asked from addr, and MAX_ATTEMPTS (5) wrong codes on it."""
        r, vid, code = self.start_flow(phone, remote_addr=addr)
        for _ in range(5):
            self.site.verify(wrong(code), vid=vid, remote_addr=addr)
        self.assertEqual(self.site.verify(code, vid=vid).status, 410)

    def locks(self):
        """otp-admin locks as (first line's words, [indented lines' words]) per lockout."""
        p = self.admin('locks')
        self.assertEqual(p.returncode, 0, p.stderr)
        out = []
        for line in p.stdout.splitlines():
            if line.startswith(' '):
                out[-1][1].append(line.split())
            else:
                out.append((line.split(), []))
        return out, p

    def test_wrong_codes_from_one_network(self):
        self.lock(A, '10.60.1.7')
        # Another network asked for a code and did nothing wrong; another number too.
        self.start_flow(A, remote_addr='10.60.2.7')
        self.start_flow(B, remote_addr='10.60.3.7')
        now = time.time()
        refused = self.site.request(A, remote_addr='10.60.1.9', extra=JSON)
        self.assertEqual(refused.status, 429, refused.describe())
        retry_after = json.loads(refused.body)['error']['retry_after']
        locks, p = self.locks()
        self.assertEqual([(first[0], first[3], first[4:], nets) for first, nets in locks],
                         [('+12*******43', 'PHONE_FAILURE_LIMIT', ['5', 'wrong', 'codes'],
                           [['10.60.1.0/24', '5', 'wrong', 'codes']]),
                          ('+12*******43', 'MAX_ATTEMPTS', ['1', 'locked', 'code'],
                           [['10.60.1.0/24', '1', 'locked', 'code']])], p.stdout)
        for first, nets in locks:
            self.assertEqual(first[1], 'until')
        # The wrong codes' lockout ends when the refusal said; the locked
        # code's when it expires (TOKEN_TTL, 300 s).
        self.assertAlmostEqual(epoch(locks[0][0][2]), now + retry_after, delta=5)
        self.assertAlmostEqual(epoch(locks[1][0][2]), now + 300, delta=30)
        self.assertNotIn('10.60.2.', p.stdout)
        self.assertNotIn('10.60.3.', p.stdout)
        self.assertNotIn(A, p.stdout + p.stderr)
        self.assertNotIn(A[1:], p.stdout + p.stderr)
        j = json.loads(self.admin('locks', '--json').stdout)
        self.assertEqual([(x['number'], x['kind'], x['count'], x['networks'], x['more'])
                          for x in j['locks']],
                         [('+12*******43', 'PHONE_FAILURE_LIMIT', 5,
                           [{'network': '10.60.1.0/24', 'count': 5}], 0),
                          ('+12*******43', 'MAX_ATTEMPTS', 1,
                           [{'network': '10.60.1.0/24', 'count': 1}], 0)])
        self.assertEqual(j['locks'][0]['until'], locks[0][0][2])
        self.assertNotIn(A[1:], json.dumps(j))

    def test_texts_of_a_network_and_of_the_day(self):
        self.site.configure(dict(self.site.keys, PHONE_DAILY_LIMIT='4'))
        for i in range(3):
            self.start_flow(C, remote_addr='10.61.1.%d' % (i + 1))
        self.start_flow(C, remote_addr='10.61.2.1')
        now = time.time()
        self.assertEqual(self.site.request(C, remote_addr='10.61.3.1').status, 429)
        locks, p = self.locks()
        self.assertEqual([(first[0], first[3], first[4:], nets) for first, nets in locks],
                         [('+13*******00', 'PHONE_NETWORK_LIMIT', ['3', 'texts'],
                           [['10.61.1.0/24', '3', 'texts']]),
                          ('+13*******00', 'PHONE_DAILY_LIMIT', ['4', 'texts'],
                           [['10.61.1.0/24', '3', 'texts'], ['10.61.2.0/24', '1', 'text']])],
                         p.stdout)
        for first, nets in locks:
            self.assertAlmostEqual(epoch(first[2]), now + 86400, delta=30)
        self.assertNotIn(C, p.stdout)

    def test_the_numbers_cap_over_every_network(self):
        """OTP_FAILURE_CAP (100 wrong codes an hour, every network's): the
        networks behind it, the busiest first, a handful shown."""
        self.site.configure(dict(self.site.keys, PHONE_FAILURE_LIMIT='100'))
        self.start_flow(B, remote_addr='10.65.10.1')  # the store made
        now = int(time.time())
        nets = ['10.65.1.0/24'] * 40 + ['10.65.2.0/24'] * 30 + \
            ['10.65.%d.0/24' % y for y in range(3, 9) for _ in range(5)]
        self.site.sql_many('INSERT INTO failure (at, phone, net) VALUES (?, ?, ?)',
                           [(now - 600 - i, A, net) for i, net in enumerate(nets)])
        refused = self.site.request(A, remote_addr='10.65.9.1', extra=JSON)
        self.assertEqual(refused.status, 429, refused.describe())
        retry_after = json.loads(refused.body)['error']['retry_after']
        locks, p = self.locks()
        self.assertEqual([(first[0], first[3], first[4:], nets) for first, nets in locks],
                         [('+12*******43', 'OTP_FAILURE_CAP', ['100', 'wrong', 'codes'],
                           [['10.65.1.0/24', '40', 'wrong', 'codes'],
                            ['10.65.2.0/24', '30', 'wrong', 'codes'],
                            ['10.65.3.0/24', '5', 'wrong', 'codes'],
                            ['10.65.4.0/24', '5', 'wrong', 'codes'],
                            ['10.65.5.0/24', '5', 'wrong', 'codes'],
                            ['and', '3', 'more', 'networks']])], p.stdout)
        self.assertAlmostEqual(epoch(locks[0][0][2]), now + retry_after, delta=5)
        j = json.loads(self.admin('locks', '--json').stdout)
        self.assertEqual([(x['kind'], len(x['networks']), x['more']) for x in j['locks']],
                         [('OTP_FAILURE_CAP', 8, 0)])
        # Every network's wrong codes go with unlock.
        p = self.admin('unlock', A)
        self.assertIn('100 wrong codes forgotten', p.stdout)
        self.assertEqual(self.admin('locks').stdout, '')

    def test_unlock_one_network_leaves_the_other(self):
        self.lock(A, '10.62.1.7')
        self.lock(A, '10.62.2.7')
        locks, p = self.locks()
        self.assertEqual(sorted({nets[0][0] for first, nets in locks}),
                         ['10.62.1.0/24', '10.62.2.0/24'])
        # An address of the network names it as well as the network does.
        p = self.admin('unlock', A, '--network', '10.62.1.200')
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('+12*******43 from 10.62.1.0/24: 1 verification unlocked, '
                      '5 wrong codes forgotten', p.stdout)
        self.assertRegex(p.stderr, r'event=unlocked phone=\+12\*+43 .*network=10\.62\.1\.0/24 ')
        self.assertNotIn(A, p.stdout + p.stderr)
        locks, p = self.locks()
        self.assertEqual({nets[0][0] for first, nets in locks}, {'10.62.2.0/24'}, p.stdout)
        # The network lifted gets a code, and it works; the other is still refused.
        r, vid, code = self.start_flow(A, remote_addr='10.62.1.8')
        self.assertStatus(self.site.verify(code, vid=vid), 200, 'success')
        refused = self.site.request(A, remote_addr='10.62.2.8', extra=JSON)
        self.assertEqual(refused.status, 429, refused.describe())
        self.assertEqual(json.loads(refused.body)['error']['kind'], 'guesses')
        # The network as locks prints it; then nothing left of it.
        p = self.admin('unlock', A, '--network', '10.62.2.0/24')
        self.assertIn('from 10.62.2.0/24: 1 verification unlocked, 5 wrong codes forgotten',
                      p.stdout)
        self.assertEqual(self.admin('locks').stdout, '')
        self.start_flow(A, remote_addr='10.62.2.9')

    def test_unlock_every_network(self):
        self.lock(A, '10.63.1.7')
        self.lock(A, '10.63.2.7')
        p = self.admin('unlock', A)
        self.assertIn('+12*******43: 2 verifications unlocked, 10 wrong codes forgotten',
                      p.stdout)
        self.assertRegex(p.stderr, r'event=unlocked phone=\+12\*+43 .*network=all ')
        self.assertEqual(self.admin('locks').stdout, '')
        self.assertEqual(self.site.sql('SELECT count(*) FROM failure'), [(0,)])
        for y in (1, 2):
            self.start_flow(A, remote_addr='10.63.%d.8' % y)

    def test_bad_networks(self):
        for bad in ('10.64.1.0/16', 'bogus', '2001:db8::/64', '/24', '10.64.1'):
            with self.subTest(bad=bad):
                p = self.admin('unlock', A, '--network', bad)
                self.assertEqual(p.returncode, 2, p.stdout)
                self.assertIn('not a network', p.stderr)
        for args in (('locks', '--network', '10.64.1.0/24'), ('locks', 'extra'),
                     ('unlock', A, '--network')):
            with self.subTest(args=args):
                p = self.admin(*args)
                self.assertEqual(p.returncode, 2, p.stdout)
                self.assertIn('usage:', p.stderr)
        self.assertEqual(self.admin('locks').returncode, 0)


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
                                 CHANNELS='fax', OUTBOX_PATH=None, SMS_TRANSPORT='outbox'))
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

    def test_voice_words(self):
        """With CHANNELS=voice, what a call says in each language: a
        VOICE_CODE that does not speak the code is a problem."""
        tdir = self.template_copy('templates')
        self.site.configure(dict(self.site.keys, TEMPLATE_DIR=str(tdir),
                                 LANGUAGES='en,es,fr,de,pt,ar', CHANNELS='sms,voice',
                                 TOKEN_ALPHABET='digits', VOICE_CONNECTION_ID='1494404757',
                                 WEBHOOK_URL='http://127.0.0.1/cgi-bin/webhook.cgi',
                                 TELNYX_PUBLIC_KEY='A' * 43 + '='))
        p = self.admin('check-config')
        self.assertEqual(p.returncode, 0, p.stderr)
        fr = tdir / 'lang' / 'fr.conf'
        # Both forms (with the site's name, and without): the words lose the code.
        fr.write_text(''.join(line.replace('{digits}', '') if line.startswith('VOICE_CODE')
                              else line
                              for line in fr.read_text(encoding='utf-8').splitlines(True)),
                      encoding='utf-8')
        p = self.admin('check-config')
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn('what a call says in fr does not speak the code', p.stderr)
        self.assertIn('1 problem', p.stderr)

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
                                (('blocks',), 0, False), (('locks',), 0, False)):
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


class _Ids(html.parser.HTMLParser):
    """The text of each element that has an id, its children's too."""

    def __init__(self):
        super().__init__()
        self.open = []  # (id, tag) of the elements with an id being read
        self.seen = []
        self.text = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if 'id' in a:
            self.open.append((a['id'], tag))
            self.seen.append(a['id'])
            self.text[a['id']] = ''

    def handle_endtag(self, tag):
        if self.open and self.open[-1][1] == tag:
            self.open.pop()

    def handle_data(self, data):
        for i, _ in self.open:
            self.text[i] += data.strip()


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
