"""A proxy to Telnyx set where each server gives the programs their own
environment reaches libcurl: as CGI, Apache's SetEnv and lighttpd's
setenv.add-environment (the CGI environment); as FastCGI, mod_fcgid's
FcgidInitialEnv and lighttpd's bin-environment (the environment the
application is started with).  tests/fake_proxy.py records what it is
asked for.

HTTPS_PROXY, as for Telnyx's https:// API, under every server: a CONNECT
to the API's host and port (the fake speaks no TLS, so the send then fails
with 502).  http_proxy, for the fake's plain http:// (libcurl reads only
the lower-case name for http), where the server can pass a lower-case
name: lighttpd's mod_cgi upper-cases the names of setenv.add-environment,
and HTTP_PROXY is what libcurl ignores (it is what a client's Proxy:
header becomes).  A FastCGI request's parameters steer nothing
(tests/cgi/test_proxy.py)."""

import unittest
import urllib.parse

import fake_proxy
import harness
from webcase import ServerCase

# Not the number of the other test: a second code to it would wait for RESEND_AFTER.
PHONE_TYPED, PHONE_E164 = "(202) 555-0175", "+12025550175"


def _with_proxy(base, edit):
    """base with the example snippet edited by edit(snippet, proxy_url)."""

    class WithProxy(base):
        proxy_url = None

        def example_snippet(self):
            snippet = super().example_snippet()
            edited = edit(snippet, self.proxy_url)
            if edited == snippet:
                raise AssertionError("%s: the example changed; update tests/web/test_proxy.py"
                                     % base.name)
            return edited

    WithProxy.__name__ = base.__name__ + "WithProxy"
    return WithProxy


class ProxyTests:
    lower_case_passed = True  # the server can pass http_proxy as it is written

    @classmethod
    def setUpClass(cls):
        cls.proxy = fake_proxy.FakeProxy().start()
        cls.addClassCleanup(cls.proxy.stop)
        cls.server_class.proxy_url = cls.proxy.url
        super().setUpClass()

    def setUp(self):
        super().setUp()
        with self.proxy.lock:
            del self.proxy.seen[:]

    def test_https_send_tunnels_through_https_proxy(self):
        port = urllib.parse.urlsplit(self.fake.url).port
        self.site.write_config(API_BASE_URL="https://127.0.0.1:%d" % port)
        before = len(self.fake.messages_to(PHONE_E164))
        r = self.client().post(self.path("request.cgi"), {"phone": PHONE_TYPED})
        self.assertStatus(r, 502)
        self.assertEqual(self.proxy.seen, [("CONNECT", "127.0.0.1:%d" % port)],
                         "the send did not go through HTTPS_PROXY" + self.logs())
        self.assertEqual(len(self.fake.messages_to(PHONE_E164)), before)

    def test_http_send_goes_through_http_proxy(self):
        if not self.lower_case_passed:
            self.skipTest("%s passes no lower-case name, and libcurl reads only http_proxy"
                          % self.server_class.name)
        r, code = self.request_code(self.client())
        self.assertIsNotNone(code)
        self.assertEqual(self.proxy.seen, [("POST", self.fake.url + "/v2/messages")],
                         "the send did not go through http_proxy" + self.logs())


class ApacheProxy(ProxyTests, ServerCase):
    server_class = _with_proxy(harness.Apache, lambda s, url: s.replace(
        "\tSetEnv OTP_CONFIG ",
        "\tSetEnv http_proxy %s\n\tSetEnv HTTPS_PROXY %s\n\tSetEnv OTP_CONFIG " % (url, url)))


class LighttpdProxy(ProxyTests, ServerCase):
    lower_case_passed = False
    server_class = _with_proxy(harness.Lighttpd, lambda s, url: s.replace(
        'setenv.add-environment = ( "OTP_CONFIG"',
        'setenv.add-environment = ( "HTTPS_PROXY" => "%s", "OTP_CONFIG"' % url))


class LighttpdFastCGIProxy(ProxyTests, ServerCase):
    server_class = _with_proxy(harness.LighttpdFastCGI, lambda s, url: s.replace(
        '"bin-environment" => ( "OTP_CONFIG"',
        '"bin-environment" => ( "http_proxy" => "%s", "HTTPS_PROXY" => "%s", "OTP_CONFIG"'
        % (url, url)))


class ApacheFcgidProxy(ProxyTests, ServerCase):
    server_class = _with_proxy(harness.ApacheFcgid, lambda s, url: s.replace(
        "Mutex pthread fcgid-pipe fcgid-proctbl\n",
        "Mutex pthread fcgid-pipe fcgid-proctbl\nFcgidInitialEnv http_proxy %s\n"
        "FcgidInitialEnv HTTPS_PROXY %s\n" % (url, url)))


if __name__ == "__main__":
    unittest.main()
