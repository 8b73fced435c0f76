"""The send goes through the proxy the program's own environment names, as
libcurl reads it: http_proxy (lower case only) for an http:// API_BASE_URL,
HTTPS_PROXY or https_proxy for https://, NO_PROXY for the hosts that go
direct.  As CGI the program's environment is the CGI environment (what a
server passes: Apache's SetEnv and PassEnv, lighttpd's
setenv.add-environment); as FastCGI it is the environment the application
was started with (lighttpd's bin-environment, mod_fcgid's
FcgidInitialEnv), which a request's parameters never replace: here a new
FastCGI application of request.cgi, started with the variable, for each
test.  tests/fake_proxy.py counts what it is asked for."""

import os
import tempfile
import unittest
import urllib.parse

import fake_proxy
import harness
from harness import CGITestCase, REQUEST

PHONE = '+12025550163'


class ProxyTest(CGITestCase):
    def setUp(self):
        super().setUp()
        self.proxy = fake_proxy.FakeProxy().start()
        self.addCleanup(self.proxy.stop)

    def send(self, process_env, site=None, phone=PHONE, err_path=None, **kw):
        """POST request.cgi for phone, with process_env in the program's own
        environment: the CGI environment, or under FastCGI the environment
        of a FastCGI application started for this send (its stderr appended
        to err_path)."""
        site = site or self.site
        if not harness.FASTCGI:
            extra = dict(kw.pop('extra', None) or {})
            extra.update(process_env)
            return site.request(phone, extra=extra, **kw)
        import fcgi_client
        env = {'LANG': 'C'}
        env.update(process_env)
        app = fcgi_client.App(REQUEST, env=env, err_path=err_path)
        self.addCleanup(app.stop)
        return site.request(phone, app=app, **kw)

    def test_http_proxy_of_the_process_carries_the_send(self):
        r = self.send({'http_proxy': self.proxy.url})
        self.assertStatus(r, 200, 'verify')
        self.assertEqual(self.proxy.seen, [('POST', self.fake.url + '/v2/messages')],
                         'the send did not go through http_proxy' + r.describe())
        self.assertEqual(len(self.fake.messages_to(PHONE)), 1)

    def test_no_proxy_goes_direct(self):
        r = self.send({'http_proxy': self.proxy.url, 'NO_PROXY': '127.0.0.1'})
        self.assertStatus(r, 200, 'verify')
        self.assertEqual(self.proxy.seen, [], 'NO_PROXY=127.0.0.1 went through the proxy')
        self.assertEqual(len(self.fake.messages_to(PHONE)), 1)

    def test_https_proxy_tunnels_an_https_send(self):
        # An https:// API through HTTPS_PROXY: a CONNECT to the API's host and
        # port.  The fake speaks plain HTTP, so the TLS handshake through the
        # tunnel fails (502, nothing sent): what counts is where it went.
        port = urllib.parse.urlsplit(self.fake.url).port
        site = self.make_site({'API_BASE_URL': 'https://127.0.0.1:%d' % port})
        r = self.send({'HTTPS_PROXY': self.proxy.url}, site=site)
        self.assertStatus(r, 502)
        self.assertEqual(self.proxy.seen, [('CONNECT', '127.0.0.1:%d' % port)],
                         'the send did not go through HTTPS_PROXY' + r.describe())
        self.assertEqual(self.fake.messages, [])

    @unittest.skipUnless(harness.FASTCGI, 'as CGI the request\'s variables are the environment')
    def test_request_parameters_steer_no_send(self):
        # A FastCGI request's parameters are the request's, not the process'
        # environment: a proxy among them (SetEnv, setenv.add-environment)
        # is not where the API key goes.
        r = self.site.request(PHONE, extra={'http_proxy': self.proxy.url,
                                            'https_proxy': self.proxy.url,
                                            'ALL_PROXY': self.proxy.url})
        self.assertStatus(r, 200, 'verify')
        self.assertEqual(self.proxy.seen, [], 'a request parameter chose the proxy')
        self.assertEqual(len(self.fake.messages_to(PHONE)), 1)

    @unittest.skipUnless(harness.FASTCGI, 'as CGI stderr is the request\'s error stream')
    def test_log_lines_go_to_the_request_not_the_process(self):
        fd, err_path = tempfile.mkstemp(prefix='otp-fcgi-err-')
        os.close(fd)
        self.addCleanup(os.unlink, err_path)
        r = self.send({'http_proxy': self.proxy.url}, err_path=err_path)
        self.assertStatus(r, 200, 'verify')
        self.assertIn('request.cgi: audit ', r.stderr, r.describe())
        with open(err_path, 'rb') as f:
            self.assertEqual(f.read(), b'', 'a request\'s log lines went to the process\' stderr')


if __name__ == '__main__':
    unittest.main()
