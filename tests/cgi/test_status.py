"""Every status code of the DESIGN table, and the front line (method, size,
type, origin, encoding) of both programs."""

import os
import time
import unittest
import urllib.parse

import harness
from harness import CGITestCase, REQUEST, VERIFY, API_KEY, FORM

PHONE = '+12025550143'
PROGS = (REQUEST, VERIFY)


class MethodTest(CGITestCase):
    def test_other_methods_405_with_allow(self):
        for prog in PROGS:
            for method in ('HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE'):
                with self.subTest(prog=prog.name, method=method):
                    body = 'phone=%2B12025550143' if method in ('PUT', 'PATCH') else None
                    r = self.site.run(prog, method, body,
                                      content_type=FORM if body else None)
                    self.assertStatus(r, 405)
                    allow = [m.strip().upper() for m in (r.header('Allow') or '').split(',')]
                    self.assertEqual(sorted(allow), ['GET', 'POST'], r.describe())
        self.assertEqual(self.fake.messages, [])

    def test_put_body_is_drained(self):
        r = self.site.run(REQUEST, 'PUT', 'phone=' + 'x' * 200000, content_type=FORM)
        self.assertStatus(r, 405)
        self.assertFalse(r.stdin_broken, 'body not read on the 405 path')


class BodySizeTest(CGITestCase):
    def body_of(self, n):
        head = 'phone=%2B12025550143&pad='
        return head + 'a' * (n - len(head))

    def test_413_over_8k(self):
        for prog in PROGS:
            with self.subTest(prog=prog.name):
                r = self.site.post(prog, self.body_of(8193))
                self.assertStatus(r, 413)
                self.assertEqual(r.returncode, 0, r.describe())
                self.assertFalse(r.stdin_broken, 'body not drained' + r.describe())
        self.assertEqual(self.fake.messages, [])

    def test_8k_exactly_is_not_413(self):
        r = self.site.post(REQUEST, self.body_of(8192))
        self.assertSane(r)
        self.assertNotEqual(r.status, 413, r.describe())

    def test_100k_body_read_and_clean_exit(self):
        for prog in PROGS:
            with self.subTest(prog=prog.name):
                r = self.site.post(prog, self.body_of(100 * 1024), timeout=15)
                self.assertStatus(r, 413)
                self.assertEqual(r.returncode, 0, r.describe())
                self.assertFalse(r.stdin_broken,
                                 'program exited before reading CONTENT_LENGTH bytes'
                                 ' (written %d of %d)' % (r.stdin_written, r.stdin_len))
                self.assertLess(r.elapsed, 10)

    def test_1mib_body_drained(self):
        r = self.site.post(REQUEST, self.body_of(1024 * 1024), timeout=20)
        self.assertStatus(r, 413)
        self.assertFalse(r.stdin_broken, 'a 1 MiB body is still within the drain cap')

    def test_huge_body_does_not_hang(self):
        # more than the drain cap: it may stop reading, but must answer and exit
        r = self.site.post(REQUEST, self.body_of(3 * 1024 * 1024), timeout=20)
        self.assertStatus(r, 413)
        self.assertLess(r.elapsed, 15)

    def test_content_length_larger_than_body(self):
        for prog in PROGS:
            for declared in (100, 9000):
                with self.subTest(prog=prog.name, declared=declared):
                    r = self.site.post(prog, 'phone=%2B1202', content_length=declared, timeout=10)
                    self.assertFalse(r.timed_out, 'hung waiting for the rest of the body')
                    # a short body is malformed; a declared length over 8 KiB is too large
                    self.assertStatus(r, 400 if declared <= 8192 else 413)
        self.assertEqual(self.fake.messages, [])

    def test_content_length_larger_than_body_stdin_left_open(self):
        # a server that keeps the pipe open: the program must not wait forever.
        # (It may wait for a while; we only check that it answers within the timeout.)
        r = self.site.post(REQUEST, 'phone=%2B1202', content_length=100, timeout=20,
                           keep_stdin_open=3)
        self.assertFalse(r.timed_out, 'hung on a short body')
        self.assertStatus(r, 400)

    def test_bad_content_length(self):
        for cl in ('-1', 'abc', '12abc', '1e3', ' ', '99999999999999999999999'):
            with self.subTest(content_length=cl):
                r = self.site.post(REQUEST, 'phone=%2B12025550143', content_length=cl, timeout=10)
                self.assertStatus(r, 400)
        self.assertEqual(self.fake.messages, [])


class UriTooLongTest(CGITestCase):
    """A query over 4 KiB is 414, not silently dropped (with the site's
    return_to in it).  The JSON code and the page's wording come from
    lib/reply.c's refusals[] row for 414."""

    def test_414_for_query_over_4k(self):
        q = 'return_to=/account/&x=' + 'a' * (5000 - 22)
        self.assertEqual(len(q), 5000)
        for prog in PROGS:
            with self.subTest(prog=prog.name):
                r = self.site.get(prog, query=q)
                self.assertStatus(r, 414, 'error')
                self.assertEqual(r.reason, 'URI Too Long', r.describe())
        r = self.site.post(REQUEST, 'phone=%2B12025550143', query=q)
        self.assertStatus(r, 414, 'error')
        self.assertFalse(r.stdin_broken, 'body not read on the 414 path')
        self.assertEqual(self.fake.messages, [])

    def test_4k_query_is_not_414(self):
        # unknown fields of at most OTP_FIELD_MAX each, to exactly 4096 bytes
        q = 'phone=%2B12025550143' + ''.join('&x%d=%s' % (i, 'a' * 1000) for i in range(4))
        q += '&y=' + 'a' * (4096 - len(q) - 3)
        self.assertEqual(len(q), 4096)
        self.assertStatus(self.site.get(REQUEST, query=q), 200, 'index')

    def test_414_json_code(self):
        import json
        r = self.site.get(REQUEST, query='x=' + 'a' * 4998,
                          extra={'HTTP_ACCEPT': 'application/json'})
        self.assertStatus(r, 414)
        err = json.loads(r.text).get('error', {})
        self.assertEqual(err.get('code'), 'uri_too_long', r.describe())


class ContentTypeTest(CGITestCase):
    def test_415_for_non_form_post(self):
        for prog in PROGS:
            for ct in ('text/plain', 'application/json', 'multipart/form-data; boundary=x',
                       'application/x-www-form-urlencodedX', 'text/html'):
                with self.subTest(prog=prog.name, ct=ct):
                    r = self.site.post(prog, 'phone=%2B12025550143&token=1234', content_type=ct)
                    self.assertStatus(r, 415)
        self.assertEqual(self.fake.messages, [])

    def test_form_with_charset_parameter_accepted(self):
        for ct in ('application/x-www-form-urlencoded; charset=UTF-8',
                   'Application/X-WWW-Form-Urlencoded'):
            with self.subTest(ct=ct):
                r = self.site.post(REQUEST, 'phone=%2B1202555' + str(1000 + len(ct)),
                                   content_type=ct, remote_addr='10.9.0.%d' % len(ct))
                self.assertStatus(r, 200, 'verify')


class OriginTest(CGITestCase):
    def test_403_for_other_origin(self):
        cases = [
            {'origin': 'http://evil.example'},
            {'origin': 'https://evil.example'},
            {'origin': 'http://localhost.evil.example'},
            {'origin': 'http://evillocalhost'},
            {'origin': 'http://localhost:8080'},  # another port is another origin
            {'referer': 'http://evil.example/cgi-bin/request.cgi'},
            {'referer': 'http://evil.example/?http://localhost/'},
            {'referer': 'http://localhost@evil.example/'},
            {'referer': 'http://localhost.evil.example/x'},
            {'origin': 'http://evil.example', 'referer': 'http://localhost/cgi-bin/'},
        ]
        for prog in PROGS:
            for case in cases:
                with self.subTest(prog=prog.name, **case):
                    r = self.site.post(prog, 'phone=%2B12025550143&token=1234', **case)
                    self.assertStatus(r, 403)
        self.assertEqual(self.fake.messages, [])

    def test_overlong_origin_or_referer_is_refused(self):
        # a Referer the program will not read is not 'no Referer': a cross-site page can
        # make its own URL as long as it likes (Apache passes headers up to 8190 bytes)
        long_q = 'a' * 5000
        for i, case in enumerate(({'referer': 'http://evil.example/?' + long_q},
                                  {'origin': 'http://evil.example/' + long_q},
                                  {'origin': 'http://evil.example', 'host': 'localhost' + long_q})):
            with self.subTest(keys=sorted(case)):
                r = self.site.post(REQUEST, 'phone=%%2B1202555%04d' % (1100 + i),
                                   remote_addr='10.14.0.%d' % (i + 1), **case)
                self.assertStatus(r, 403)
        self.assertEqual(self.fake.messages, [], 'a cross-site POST sent an SMS')

    def test_null_origin_is_refused(self):
        # 'Origin: null' comes from sandboxed frames and privacy redirects; it names no host
        # that matches, so a POST with it is cross-site.
        r = self.site.post(REQUEST, 'phone=%2B12025550143', origin='null')
        self.assertStatus(r, 403)
        self.assertEqual(self.fake.messages, [])

    def test_same_origin_accepted(self):
        cases = [
            {},
            {'origin': 'http://localhost'},
            {'origin': 'https://localhost', 'https': True},
            {'referer': 'http://localhost/cgi-bin/request.cgi'},
            {'origin': 'http://example.org:8080', 'host': 'example.org:8080'},
            {'referer': 'http://example.org:8080/cgi-bin/', 'host': 'example.org:8080'},
        ]
        for i, case in enumerate(cases):
            with self.subTest(**case):
                r = self.site.request('+1202555%04d' % (400 + i), remote_addr='10.4.0.%d' % (i + 1),
                                      **case)
                self.assertStatus(r, 200, 'verify')

    def test_get_from_other_origin_is_fine(self):
        r = self.site.get(REQUEST, referer='http://evil.example/')
        self.assertStatus(r, 200, 'index')


class BadInputTest(CGITestCase):
    def post_request(self, body, **kw):
        r = self.site.post(REQUEST, body, **kw)
        return r

    def test_bad_phone_400(self):
        bad = ['', 'abc', '123', '0143', '+0123456789', '+1234567', '+1234567890123456',
               '12025550143999999', '+1 (202) 555-0143 ext 5', '+1202555O143',
               '+1\t2025550143', '1' * 65]
        for phone in bad:
            with self.subTest(phone=phone):
                r = self.post_request(urllib.parse.urlencode({'phone': phone}))
                self.assertStatus(r, 400, 'index')
        self.assertEqual(self.fake.messages, [])

    def test_what_libphonenumber_reads_as_a_number(self):
        # Issue 10: non-ASCII digits and stray characters around a clear number
        # are the number (libphonenumber's rules), not a 400.
        site = self.make_site({'RESEND_AFTER': 0, 'PHONE_SEND_LIMIT': 10, 'PHONE_DAILY_LIMIT': 10,
                               'PHONE_NETWORK_LIMIT': 10})
        for phone in ('++12025550143', '٢٠٢٥٥٥٠١٤٣', '+1202555014３', ' +12025550143 x'):
            with self.subTest(phone=phone):
                r = site.request(phone)
                self.assertStatus(r, 200, 'verify')
                self.assertEqual(self.fake.messages[-1]['to'], '+12025550143')

    def test_400_page_is_the_form_with_a_message(self):
        r = self.post_request('phone=abc')
        self.assertStatus(r, 400, 'index')
        self.assertTrue(any(a.get('name') == 'phone' for a in r.inputs()), r.describe())
        self.assertTrue(r.has_error_element(), 'no class="error" message' + r.describe())

    def test_missing_field_400(self):
        for body in ('', 'other=1', 'Phone=%2B12025550143', 'phone', 'phon=%2B12025550143'):
            with self.subTest(body=body):
                r = self.post_request(body)
                self.assertStatus(r, 400)
        for body in ('', 'verification_id=' + '0' * 32, 'tok=1234'):
            with self.subTest(prog='verify', body=body):
                r = self.site.post(VERIFY, body, cookie='otp_vid=' + '0' * 32)
                self.assertStatus(r, 400)
        self.assertEqual(self.fake.messages, [])

    def test_bad_percent_encoding_400(self):
        for body in ('phone=%zz12025550143', 'phone=%2B1202555014%4', 'phone=%2B1202555014%',
                     'phone=%2B12025550143&x=%G0', 'phone=%%2B12025550143',
                     'phone=%2B12025550143&x=%4'):
            with self.subTest(body=body):
                self.assertStatus(self.post_request(body), 400)
        for body in ('token=%zz&verification_id=' + '0' * 32, 'token=12%4'):
            with self.subTest(prog='verify', body=body):
                self.assertStatus(self.site.post(VERIFY, body), 400)
        self.assertEqual(self.fake.messages, [])

    def test_nul_and_control_chars_400(self):
        for enc in ('%00', '%01', '%0A', '%0D', '%0D%0A', '%1B', '%7F', '%09'):
            with self.subTest(enc=enc):
                r = self.post_request('phone=%2B1202555' + enc + '0143')
                self.assertStatus(r, 400)
                r = self.site.post(VERIFY, 'token=12' + enc + '34&verification_id=' + '0' * 32)
                self.assertStatus(r, 400)
        self.assertEqual(self.fake.messages, [])

    def test_nul_in_other_field_400(self):
        r = self.post_request('phone=%2B12025550143&x=a%00b')
        self.assertStatus(r, 400)
        self.assertEqual(self.fake.messages, [])

    def test_raw_nul_byte_in_body(self):
        r = self.post_request(b'phone=%2B12025550143\x00junk')
        self.assertStatus(r, 400)
        self.assertEqual(self.fake.messages, [])

    def test_repeated_field_400(self):
        r = self.post_request('phone=%2B12025550143&phone=%2B12025550199')
        self.assertStatus(r, 400)
        self.assertEqual(self.fake.messages, [])

    def test_invalid_utf8_does_not_crash(self):
        r = self.post_request('phone=%FF%FE%2B12025550143')
        self.assertStatus(r, 400)

    def test_long_field(self):
        r = self.post_request('phone=' + '1' * 2000)
        self.assertStatus(r, 400)
        r = self.site.post(VERIFY, 'token=' + 'A' * 2000 + '&verification_id=' + '0' * 32)
        self.assertStatus(r, 400)

    def test_bad_verification_id(self):
        for vid in ('xyz', '0' * 31, '0' * 33, 'G' * 32, '../../etc/passwd', "' OR 1=1 --"):
            with self.subTest(vid=vid):
                r = self.site.verify('1234', vid=vid)
                self.assertStatus(r, 400)


class ConfigErrorTest(CGITestCase):
    def test_missing_config_file_500(self):
        for prog in PROGS:
            for method in ('GET', 'POST'):
                with self.subTest(prog=prog.name, method=method):
                    missing = str(self.site.dir / 'nope' / 'otp.conf')
                    r = self.site.run(prog, method, 'phone=%2B12025550143' if method == 'POST' else None,
                                      config=missing)
                    self.assertStatus(r, 500)
                    self.assertNotIn(missing, r.text, 'a path leaks into the page')
                    self.assertTrue(r.stderr.strip(), 'nothing logged')
                    self.assertTrue('otp.conf' in r.stderr or 'config' in r.stderr.lower(),
                                    'log does not name the config file' + r.describe())
        self.assertEqual(self.fake.messages, [])

    def test_no_otp_config_env_uses_built_in_default(self):
        # The path built in is in .build-paths (the Makefile writes it).
        defs = (harness.REPO / '.build-paths').read_text()
        default = defs.split('-DOTP_CONFIG_DEFAULT=')[1].split()[0].strip('\'"')
        if os.path.exists(default):
            self.skipTest('a config is installed at the built-in path %s' % default)
        r = self.site.run(REQUEST, 'GET', config=None)
        self.assertSane(r)
        self.assertStatus(r, 500)
        self.assertIn('cannot open config file %s' % default, r.stderr, r.describe())

    def check_invalid(self, keys, key_named, progs=PROGS):
        site = self.make_site(keys)
        for prog in progs:
            for method in ('GET', 'POST'):
                with self.subTest(keys=keys, prog=prog.name, method=method):
                    body = 'phone=%2B12025550143' if prog == REQUEST else \
                        'token=1234&verification_id=' + '0' * 32
                    r = site.run(prog, method, body if method == 'POST' else None)
                    self.assertStatus(r, 500)
                    self.assertIn(key_named, r.stderr, 'the log does not name the key')
                    self.assertNotIn(API_KEY, r.text + r.stderr)
                    self.assertNotIn(str(site.config_path), r.text)
        self.assertEqual(self.fake.messages, [])

    def test_token_length_out_of_range(self):
        for v in (99, 3, 11, 0, -4, 'abc', '4x', ''):
            self.check_invalid({'TOKEN_LENGTH': v}, 'TOKEN_LENGTH')

    def test_token_ttl_out_of_range(self):
        for v in (0, 601, -1, 'forever', 99999999999999999999):
            self.check_invalid({'TOKEN_TTL': v}, 'TOKEN_TTL')

    def test_max_attempts_out_of_range(self):
        for v in (0, 11, -1, 'many'):
            self.check_invalid({'MAX_ATTEMPTS': v}, 'MAX_ATTEMPTS')

    def test_bad_alphabet(self):
        self.check_invalid({'TOKEN_ALPHABET': 'base64'}, 'TOKEN_ALPHABET')

    def test_bad_transport(self):
        self.check_invalid({'SMS_TRANSPORT': 'pigeon'}, 'SMS_TRANSPORT')

    def test_missing_api_key_with_telnyx(self):
        self.check_invalid({'API_KEY': None}, 'API_KEY', progs=(REQUEST,))

    def test_outbox_without_path(self):
        site = self.make_site({'SMS_TRANSPORT': 'outbox', 'OUTBOX_PATH': None})
        r = site.request(PHONE)
        self.assertStatus(r, 500)
        self.assertIn('OUTBOX_PATH', r.stderr)

    def test_http_base_url_only_for_loopback(self):
        # unroutable or non-http addresses only: a program that does try them reaches nothing
        for url in ('http://192.0.2.1', 'http://10.255.255.1:8080', 'ftp://127.0.0.1',
                    'http://127.0.0.1.invalid', 'file:///etc/passwd', 'gopher://127.0.0.1'):
            site = self.make_site({'API_BASE_URL': url})
            with self.subTest(url=url):
                r = site.request(PHONE, timeout=30)
                self.assertStatus(r, 500)
                self.assertIn('API_BASE_URL', r.stderr)
                self.assertLess(r.elapsed, 3, 'it tried to connect')

    def test_odd_from_number_is_a_warning(self):
        # The tutorial's own file holds FROM_NUMBER='YOUR_TELNYX_NUMBER': a sender that is
        # not E.164, a short code or an alphanumeric id is logged as a warning naming the
        # key, and Telnyx, which has the last word on senders, gets it as it is, and
        # refuses it (40305): the visitor gets the provider's 502, nothing usable is left.
        for v in ('not a number', '+0123', 'YOUR_TELNYX_NUMBER'):
            with self.subTest(FROM_NUMBER=v):
                self.fake.clear()
                site = self.make_site({'FROM_NUMBER': v})
                r = site.request('+1202555%04d' % (1400 + len(v)))
                self.assertStatus(r, 502, 'error')
                self.assertIn('warning: FROM_NUMBER', r.stderr)
                self.assertIn('error_code=40305', r.stderr)
                self.assertEqual([m['from'] for m in self.fake.messages], [v])

    def test_overlong_from_number(self):
        self.check_invalid({'FROM_NUMBER': 'A' * 33}, 'FROM_NUMBER', progs=(REQUEST,))

    def test_missing_from_number_with_telnyx(self):
        self.check_invalid({'FROM_NUMBER': None}, 'FROM_NUMBER', progs=(REQUEST,))

    def test_bad_debug_value(self):
        self.check_invalid({'DEBUG': 'perhaps'}, 'DEBUG')

    def test_message_text_without_code(self):
        self.check_invalid({'MESSAGE_TEXT': 'Hello there'}, 'MESSAGE_TEXT', progs=(REQUEST,))

    def test_message_text_too_long(self):
        self.check_invalid({'MESSAGE_TEXT': 'x' * 700 + ' {code}'}, 'MESSAGE_TEXT',
                           progs=(REQUEST,))

    def test_relative_paths(self):
        for key in ('DB_PATH', 'TEMPLATE_DIR'):
            self.check_invalid({key: 'relative/dir'}, key)

    def test_template_dir_without_templates(self):
        empty = self.site.dir / 'empty'
        empty.mkdir()
        site = self.make_site({'TEMPLATE_DIR': str(empty)})
        for prog in PROGS:
            with self.subTest(prog=prog.name):
                r = site.get(prog)
                self.assertStatus(r, 500)
                self.assertNotIn(str(empty), r.text)
                self.assertIn('TEMPLATE_DIR', r.stderr)

    def test_style_sheet_as_written(self):
        # _style.css reaches every page unchanged, where _header.html puts it,
        # including what auto-escaping would have changed.
        tdir = self.template_copy('styled')
        css = (tdir / '_style.css').read_text() + 'q::before { content: "<&>"; }\n'
        (tdir / '_style.css').write_text(css)
        site = self.make_site({'TEMPLATE_DIR': str(tdir)})
        for prog in PROGS:
            with self.subTest(prog=prog.name):
                r = site.get(prog)
                self.assertIn('<style>\n' + css + '</style>', r.text)
                self.assertNotIn('style sheet', r.stderr)

    def test_templates_from_before_the_style_sheet(self):
        # A TEMPLATE_DIR copied from an earlier release: the style in its
        # _header.html, no _style.css.  Its pages keep their style, and no
        # request logs a missing file.
        tdir = self.template_copy('older')
        css = (tdir / '_style.css').read_text()
        (tdir / '_style.css').unlink()
        header = (tdir / '_header.html').read_text()
        (tdir / '_header.html').write_text(header.replace('{{STYLE:none}}', css))
        site = self.make_site({'TEMPLATE_DIR': str(tdir)})
        for prog in PROGS:
            with self.subTest(prog=prog.name):
                r = site.get(prog)
                self.assertStatus(r, 200)
                self.assertIn('<style>\n' + css + '</style>', r.text)
                self.assertNotIn('style sheet', r.stderr)

    def test_style_sheet_missing(self):
        # The new _header.html without its sheet: the page still comes, unstyled.
        tdir = self.template_copy('unstyled')
        (tdir / '_style.css').unlink()
        site = self.make_site({'TEMPLATE_DIR': str(tdir)})
        r = site.get(REQUEST)
        self.assertStatus(r, 200, 'index')
        self.assertIn('<style>\n</style>', r.text)

    def test_style_sheet_unreadable(self):
        # There but not readable as a file: the page comes unstyled, and the log says why.
        tdir = self.template_copy('unreadable')
        (tdir / '_style.css').unlink()
        (tdir / '_style.css').mkdir()
        site = self.make_site({'TEMPLATE_DIR': str(tdir)})
        r = site.get(REQUEST)
        self.assertStatus(r, 200, 'index')
        self.assertIn('<style>\n</style>', r.text)
        self.assertIn('cannot read the style sheet %s: Is a directory' % (tdir / '_style.css'),
                      r.stderr)

    def test_style_sheet_too_long(self):
        # More than 64 KiB is a mistake: left out, and said.
        tdir = self.template_copy('overstyled')
        (tdir / '_style.css').write_text('p { color: red; }\n' * 4000)
        site = self.make_site({'TEMPLATE_DIR': str(tdir)})
        r = site.get(REQUEST)
        self.assertStatus(r, 200, 'index')
        self.assertNotIn('color: red', r.text)
        self.assertIn('longer than 64 KiB', r.stderr)

    def test_style_sheet_not_a_template(self):
        # Template markers in it are text: the style sheet cannot show values.
        tdir = self.template_copy('marked')
        (tdir / '_style.css').write_text('/* {{LANG}} {{>FOOTER}} */\n')
        site = self.make_site({'TEMPLATE_DIR': str(tdir)})
        r = site.get(REQUEST)
        self.assertStatus(r, 200, 'index')
        self.assertIn('<style>\n/* {{LANG}} {{>FOOTER}} */\n</style>', r.text)

    def test_malformed_line(self):
        site = self.make_site(raw_config="API_KEY='x'\nTHIS IS NOT A LINE\n")
        r = site.request(PHONE)
        self.assertStatus(r, 500)


class ProviderFailureTest(CGITestCase):
    site_keys = {'TOKEN_LENGTH': 10}  # long codes: no chance match in pages or logs
    MODES = ('status:401', 'status:403', 'status:422', 'status:429', 'status:500',
             'status:503', 'notjson', 'nodata')

    def check_502(self, mode, max_elapsed=16.0, phone=PHONE, addr='127.0.0.1'):
        self.fake.mode = mode
        self.fake.clear()
        r = self.site.request(phone, timeout=40, remote_addr=addr)
        self.assertStatus(r, 502, ('error', 'index'))
        self.assertLess(r.elapsed, max_elapsed, 'took too long' + r.describe())
        self.assertTrue(self.fake.wait_messages(1, 2), 'the fake was not called')
        self.assertLessEqual(len(self.fake.messages), 2, 'more than one retry')
        self.assertNotIn(API_KEY, r.text + r.stderr)
        self.assertTrue(r.stderr.strip(), 'no log line for a provider failure')
        self.assertNotIn(phone, r.stderr, 'phone not masked in the log')
        codes = [c for c in (harness.fake_telnyx.extract_code(m['text'])
                             for m in self.fake.messages) if c]
        self.assertTrue(codes, 'no code found in %r' % self.fake.messages)
        for code in codes:
            self.assertNotIn(code, r.text)
        # no usable code left: whatever id it handed out, the code does not verify
        vid = r.vid
        if vid is not None:
            for code in codes:
                v = self.site.verify(code, vid=vid, cookie_vid=vid)
                self.assertStatus(v, 410)
        # nor with an id that is not its own
        for code in codes:
            v = self.site.verify(code, vid='f' * 32)
            self.assertStatus(v, 410)
        return r

    def test_provider_errors_502(self):
        for i, mode in enumerate(self.MODES):
            with self.subTest(mode=mode):
                # another number and client each time: the send limits stay out of it
                r = self.check_502(mode, phone='+1202555%04d' % (700 + i),
                                   addr='10.12.0.%d' % (i + 1))
                if mode.startswith('status:'):
                    # the log names Telnyx's error code
                    want = {'401': '10009', '403': '10010', '422': '10004', '429': '10011'}
                    st = mode.split(':')[1]
                    if st in want:
                        self.assertIn(want[st], r.stderr, 'log lacks the Telnyx error code')

    def test_retry_policy(self):
        # reference: no idempotency key, so retry at most once and only where the message
        # surely was not accepted (connection refused, 429, 503)
        once = ('status:401', 'status:403', 'status:422', 'status:500', 'notjson', 'nodata')
        for i, mode in enumerate(once + ('status:429', 'status:503')):
            with self.subTest(mode=mode):
                self.fake.mode = mode
                self.fake.clear()
                r = self.site.request('+1202555%04d' % (1200 + i), remote_addr='10.16.0.%d' % i)
                self.assertStatus(r, 502)
                n = len(self.fake.messages)
                if mode in once:
                    self.assertEqual(n, 1, 'retried after %s: the SMS may go out twice' % mode)
                else:
                    self.assertIn(n, (1, 2))

    def test_no_retry_after_timeout(self):
        self.fake.mode = 'delay:13'
        r = self.site.request(PHONE, timeout=40)
        self.assertStatus(r, 502)
        self.assertLess(r.elapsed, 16.5)
        time.sleep(0.5)
        self.assertEqual(len(self.fake.messages), 1, 'retried after a timeout')

    def test_slow_but_in_time(self):
        self.fake.mode = 'delay:2'
        r, vid, code = self.start_flow(PHONE)
        self.assertStatus(self.site.verify(code, vid=vid), 200, 'success')

    def test_503_then_ok_is_retried_once(self):
        self.fake.mode = 'fail_then_ok:503'
        r = self.site.request(PHONE, timeout=30)
        self.assertStatus(r, 200)
        msgs = self.fake.messages
        self.assertEqual(len(msgs), 2)
        self.assertEqual(msgs[0]['text'], msgs[1]['text'], 'a retry sends the same code')
        code = self.fake.code_for(PHONE)
        self.assertStatus(self.site.verify(code, vid=r.vid), 200, 'success')

    def test_500_then_ok_is_not_retried(self):
        self.fake.mode = 'fail_then_ok:500'
        r = self.site.request(PHONE)
        self.assertStatus(r, 502)
        self.assertEqual(len(self.fake.messages), 1)

    def test_redirect_not_followed(self):
        other = harness.fake_telnyx.FakeTelnyx().start()
        self.addCleanup(other.stop)
        self.fake.mode = 'redirect:' + other.url + '/v2/messages'
        r = self.site.request(PHONE)
        self.assertStatus(r, 502)
        time.sleep(0.3)
        self.assertEqual(other.messages, [], 'followed a redirect with the API key')

    def test_huge_and_odd_answers(self):
        for i, mode in enumerate(('huge', 'emptyid', 'status:302', 'status:404')):
            with self.subTest(mode=mode):
                self.fake.mode = mode
                r = self.site.request('+1202555%04d' % (1300 + i), remote_addr='10.17.0.%d' % i)
                self.assertStatus(r, 502)

    def test_httpoxy(self):
        # a client's 'Proxy:' header reaches a CGI program as HTTP_PROXY
        proxy = harness.fake_telnyx.FakeTelnyx().start()
        self.addCleanup(proxy.stop)
        r = self.site.request(PHONE, extra={'HTTP_PROXY': proxy.url,
                                            'HTTP_HTTPS_PROXY': proxy.url})
        self.assertStatus(r, 200, 'verify')
        self.assertEqual(proxy.messages, [], 'the SMS (and API key) went through HTTP_PROXY')
        self.assertEqual(len(self.fake.messages), 1)

    def test_hang_502_within_16s(self):
        self.check_502('hang', max_elapsed=16.5)

    def test_drip_502_within_16s(self):
        # The answer's headers at once, then a byte every half second: only
        # the total timeout ends it.
        self.check_502('drip', max_elapsed=16.5)

    def test_connection_refused_502(self):
        site = self.make_site({'API_BASE_URL': 'http://127.0.0.1:9'})
        r = site.request(PHONE, timeout=30)
        self.assertStatus(r, 502)
        self.assertLess(r.elapsed, 16)

    def test_failed_resend_leaves_the_unsent_code_unusable(self):
        # Issue 10: the code before it still works (its text may come late); the
        # one whose text was refused does not.
        self.site = self.make_site({'TOKEN_LENGTH': 10, 'RESEND_AFTER': 0})
        r, vid, code1 = self.start_flow(PHONE)
        self.fake.mode = 'status:500'
        r2 = self.site.request(PHONE, vid=vid)
        self.assertStatus(r2, 502)
        code2 = self.fake.code_for(PHONE)
        self.assertNotEqual(code2, code1)
        v = self.site.verify(code2, vid=vid, cookie_vid=vid)
        self.assertStatus(v, 422, 'verify')
        v = self.site.verify(code1, vid=vid, cookie_vid=vid)
        self.assertStatus(v, 200, 'success')

    def test_failed_first_send_leaves_no_usable_code(self):
        self.site = self.make_site({'TOKEN_LENGTH': 10})
        self.fake.mode = 'status:500'
        r = self.site.request(PHONE)
        self.assertStatus(r, 502)
        code = self.fake.code_for(PHONE)
        # The answer names no verification; the store's one row is dead.
        self.assertIsNone(r.vid)
        (vid, status), = self.site.sql('SELECT id, status FROM verification')
        self.assertEqual(status, 'failed')
        v = self.site.verify(code, vid=vid, cookie_vid=vid)
        self.assertStatus(v, 410)

    def test_recovers_after_failure(self):
        self.fake.mode = 'status:503'
        self.assertStatus(self.site.request(PHONE), 502)
        self.fake.mode = 'ok'
        r, vid, code = self.start_flow('+12025550199', remote_addr='10.5.0.1')
        self.assertStatus(self.site.verify(code, vid=vid), 200, 'success')


class DatabaseErrorTest(CGITestCase):
    def check_503(self, db_path, keys=None, secret=None):
        """A store at db_path (or named by keys) that cannot be opened: 503
        and nothing sent, for both programs; neither the path nor secret
        (a password in DATABASE_URL) in the page, secret not in the log."""
        site = self.make_site(keys or {'DB_PATH': str(db_path)})
        r = site.request(PHONE)
        self.assertStatus(r, 503)
        self.assertEqual(self.fake.messages, [], 'sent an SMS without a database')
        self.assertNotIn(str(db_path), r.text, 'a path leaks into the page')
        self.assertTrue(r.stderr.strip())
        v = site.verify('1234', vid='0' * 32)
        self.assertStatus(v, 503)
        if secret is not None:
            for x in (r, v):
                self.assertNotIn(secret, x.text + x.stderr, 'the password leaks' + x.describe())
        return r

    def test_proc_path(self):
        if harness.PG:  # DATABASE_URL's socket directory
            self.check_503('/proc/nonexistent', harness.unreachable_store())
            return
        self.check_503('/proc/nonexistent/x.db')

    @harness.pg_only('a database of the cluster that does not exist')
    def test_no_such_database(self):
        url = self.site.database_url.replace('///postgres?', '///nonexistent_otp?')
        self.check_503('nonexistent_otp', {'DATABASE_URL': url})

    @harness.pg_only('a role of the cluster that does not exist')
    def test_no_such_role(self):
        url = self.site.database_url.replace('user=postgres', 'user=nobody_otp')
        self.check_503('nobody_otp', {'DATABASE_URL': url})

    @harness.pg_only('a password in DATABASE_URL')
    def test_password_never_shown(self):
        # The server trusts the socket: the password is not asked for, so
        # the failure comes from the role that does not exist.
        url = self.site.database_url.replace('user=postgres', 'user=nobody_otp')
        url = url.replace('postgresql:///', 'postgresql://nobody_otp:Sekrit-pw-0123@/')
        self.check_503('nobody_otp', {'DATABASE_URL': url}, secret='Sekrit-pw-0123')

    @harness.sqlite_only('DB_PATH under a regular file')
    def test_parent_is_a_file(self):
        f = self.site.dir / 'afile'
        f.write_text('x')
        self.check_503(f / 'x.db')

    @harness.sqlite_only('DB_PATH naming a directory')
    def test_db_path_is_a_directory(self):
        d = self.site.dir / 'adir'
        d.mkdir()
        self.check_503(d)

    @harness.sqlite_only('a file at DB_PATH that is not SQLite')
    def test_db_is_not_sqlite(self):
        f = self.site.dir / 'garbage.db'
        f.write_bytes(os.urandom(8192))
        self.check_503(f)

    @harness.sqlite_only('DB_PATH in a read-only directory')
    def test_read_only_dir(self):
        d = self.site.dir / 'ro'
        d.mkdir()
        d.chmod(0o555)
        self.addCleanup(d.chmod, 0o755)
        if os.geteuid() != 0:
            self.check_503(d / 'x.db')
            return
        # root writes into read-only directories: run the programs as nobody
        import pwd
        try:
            pwd.getpwnam('nobody')
        except KeyError:
            self.skipTest('root, and no user nobody to run as')
        site = self.make_site({'DB_PATH': str(d / 'x.db')})
        for p in (site.dir, harness.CGI_DIR):
            p.chmod(0o755)
        site.config_path.chmod(0o644)
        for path in (harness.TEMPLATE_DIR, *harness.TEMPLATE_DIR.parents):
            if not os.access(path, os.X_OK) or not (path.stat().st_mode & 0o001):
                self.skipTest('%s is not reachable for nobody' % path)
        r = site.request(PHONE, user='nobody')
        self.assertStatus(r, 503)
        self.assertEqual(self.fake.messages, [], 'sent an SMS without a database')
        self.assertFalse((d / 'x.db').exists())
        v = site.verify('1234', vid='0' * 32, user='nobody')
        self.assertStatus(v, 503)


class OutboxFailureTest(CGITestCase):
    def test_unwritable_outbox(self):
        site = self.make_site({'SMS_TRANSPORT': 'outbox', 'OUTBOX_PATH': '/proc/nonexistent/out'})
        r = site.request(PHONE)
        self.assertStatus(r, 502)
        self.assertIn('reason=cannot%20open%20outbox', r.stderr)


class SecurityHeadersEverywhereTest(CGITestCase):
    def test_no_framing_no_inline_script(self):
        r = self.site.get(REQUEST)
        self.assertStatus(r, 200, 'index')
        csp = r.header('Content-Security-Policy')
        directives = {d.strip().split(' ')[0]: d.strip() for d in csp.split(';') if d.strip()}
        self.assertTrue("frame-ancestors 'none'" in csp
                        or (r.header('X-Frame-Options') or '').upper() == 'DENY', csp)
        script = directives.get('script-src', directives.get('default-src', ''))
        self.assertNotIn("'unsafe-inline'", script, csp)
        self.assertNotIn("'unsafe-eval'", script, csp)
        self.assertNotIn('*', script, csp)

    def test_every_status_has_security_headers(self):
        seen = {}
        site = self.site
        r, vid, code = self.start_flow(PHONE)
        seen[200] = r
        seen['400'] = site.post(REQUEST, 'phone=abc')
        seen['403'] = site.post(REQUEST, 'phone=abc', origin='http://evil.example')
        seen['405'] = site.run(VERIFY, 'DELETE')
        seen['413'] = site.post(VERIFY, 'a' * 9000)
        seen['415'] = site.post(VERIFY, 'a', content_type='text/plain')
        wrong = '0000' if code != '0000' else '1111'
        seen['422'] = site.verify(wrong, vid=vid)
        seen['410'] = site.verify(code, vid='e' * 32)
        seen['429'] = site.request(PHONE, vid=vid)  # the RESEND_AFTER
        seen['500'] = site.run(REQUEST, 'GET', config=str(site.dir / 'missing.conf'))
        self.fake.mode = 'status:401'
        seen['502'] = site.request('+12025550199', remote_addr='10.6.0.1')
        seen['503'] = self.make_site(harness.unreachable_store()).request(PHONE)
        for k, r in seen.items():
            with self.subTest(status=k):
                self.assertSane(r)
                self.assertEqual(str(r.status), str(k), r.describe())
                self.assertHtml(r)
                self.assertIn(r.page, ('index', 'verify', 'success', 'error'), r.describe())


if __name__ == '__main__':
    unittest.main()
