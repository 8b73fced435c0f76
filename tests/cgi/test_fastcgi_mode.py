"""With OTP_TEST_FASTCGI=1 (check.sh's suite cgi-fastcgi) this whole suite
runs against the programs as FastCGI applications: this file proves that
it does, and that one process answers one site after another, each from
its own config, as asked (HTML or JSON), with nothing of the last."""

import json
import re
import unittest

import harness
from harness import CGITestCase, REQUEST, VERIFY


@unittest.skipUnless(harness.FASTCGI, 'the suite runs as CGI (OTP_TEST_FASTCGI unset)')
class FastCGIModeTest(CGITestCase):
    def test_one_process_answers_every_site(self):
        import fcgi_client
        a, b = self.make_site({'TOKEN_LENGTH': 8}), self.make_site({'TOKEN_LENGTH': 4})
        r1, vid1, code1 = self.start_flow('+12025550101', site=a)
        app = fcgi_client.app_for(REQUEST)
        pid = app.pid()
        self.assertIsNotNone(pid, 'request.cgi is not running as a FastCGI application')
        r2, vid2, code2 = self.start_flow('+12025550102', site=b)
        self.assertEqual(app.pid(), pid, 'the FastCGI application was restarted')
        self.assertEqual((len(code1), len(code2)), (8, 4))  # each site's own config
        self.assertNotIn(vid1, r2.raw.decode())
        v = a.run(VERIFY, 'GET', cookie='otp_vid=' + vid1, extra={'HTTP_ACCEPT': 'application/json'})
        self.assertStatus(v, 200)
        self.assertEqual(json.loads(v.body)['status'], 'pending')
        v = b.run(VERIFY, 'GET', cookie='otp_vid=' + vid2)
        self.assertStatus(v, 200, 'verify')
        self.assertStatus(a.verify(code1, vid=vid1), 200, 'success')
        self.assertStatus(b.verify(code1[:4], vid=vid2), 422)
        self.assertIsNotNone(fcgi_client.app_for(VERIFY).pid())

    def test_words_of_one_site_never_on_another(self):
        # A process keeps the first language's words between pages; a site
        # whose language file lacks one of them shows nothing there, never
        # the word of the site before it.
        import fcgi_client
        # A new process: one that answered the suite before has shared its
        # words as often as it may (16 times) and sets them per page.
        fcgi_client.app_for(REQUEST).stop()

        def site_with(name, edit):
            tdir = self.template_copy(name)
            en = tdir / 'lang' / 'en.conf'
            en.write_text(edit(en.read_text()))
            return self.make_site({'TEMPLATE_DIR': str(tdir)})

        a = site_with('words-a', lambda t: t + "S_PHONE_TITLE='Site A only'\n")
        b = site_with('words-b', lambda t: ''.join(
            line for line in t.splitlines(True) if not line.startswith('S_PHONE_TITLE=')))
        r = a.get(REQUEST)
        self.assertStatus(r, 200, 'index')
        self.assertIn('<title>Site A only</title>', r.text)
        pid = fcgi_client.app_for(REQUEST).pid()
        for _ in range(2):
            r = b.get(REQUEST)
            self.assertStatus(r, 200, 'index')
            self.assertNotIn('Site A only', r.text)
            self.assertIn('<title></title>', r.text)
            r = a.get(REQUEST)
            self.assertIn('<title>Site A only</title>', r.text)
        self.assertEqual(fcgi_client.app_for(REQUEST).pid(), pid, 'the FastCGI application was restarted')

    def test_alternating_sites_do_not_grow_the_process(self):
        # One process answering two sites in turn loads each one's config,
        # words and style sheet at every change; what it keeps of them must
        # not grow with the changes (ctemplate keeps every global value it
        # is given, so those are set a bounded number of times).
        import fcgi_client
        fcgi_client.app_for(REQUEST).stop()  # a new process: from its first share on
        sites = []
        for name in ('turn-a', 'turn-b'):
            tdir = self.template_copy(name)
            sites.append(self.make_site({'TEMPLATE_DIR': str(tdir)}))

        def turns(n):
            for _ in range(n):
                for site in sites:
                    r = site.get(REQUEST)
                    self.assertStatus(r, 200, 'index')
                    self.assertIn('<title>Verify your phone number</title>', r.text)

        turns(60)
        pid = fcgi_client.app_for(REQUEST).pid()
        before = rss_kib(pid)
        turns(400)
        self.assertEqual(fcgi_client.app_for(REQUEST).pid(), pid, 'the FastCGI application was restarted')
        after = rss_kib(pid)
        self.assertLess(after - before, 512, 'RSS %d -> %d KiB over 800 site changes' % (before, after))


def rss_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        return int(re.search(r'^VmRSS:\s+(\d+) kB', f.read(), re.M).group(1))
