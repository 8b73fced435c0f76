"""With OTP_TEST_FASTCGI=1 (check.sh's suite cgi-fastcgi) this whole suite
runs against the programs as FastCGI applications: this file proves that
it does, and that one process answers one site after another, each from
its own config, as asked (HTML or JSON), with nothing of the last."""

import json
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
