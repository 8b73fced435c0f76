"""Issue 15, the visitor's language: LANGUAGES, the lang field or query
parameter, Accept-Language (quality values, regions, '*', q=0, bounds,
hostile headers), the language sticking to its verification (pages, error
pages, JSON messages, every text message), MESSAGE_TEXT_<tag>, a language
added by a site without a rebuild, and LANGUAGES refused or naming a
language without its file.

What the pages and texts must say is read from templates/lang/<tag>.conf
by the small parser below (KEY='value' or KEY="value", one a line), never
copied here; each text message is counted as an SMS is billed (GSM 03.38:
160 septets, its extension table's characters two each; else UCS-2, 70
UTF-16 units), as lib/text.c counts it."""

import html
import json
import re
import shutil
import tempfile
import unittest
import urllib.parse
from pathlib import Path

from harness import CGITestCase, REQUEST, VERIFY, TEMPLATE_DIR, API_KEY

SHIPPED = ('en', 'es', 'fr', 'de', 'pt', 'ar')
ALL = ','.join(SHIPPED)
DOMAIN = 'accounts.example.com'
JSON = 'application/json'

# --- the language files ------------------------------------------------------

_LINE = re.compile(r'''^([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(?:'([^']*)'|"([^"]*)")[ \t\r]*(?:#.*)?$''')
_WORDS = {}


def read_lang(path):
    """{KEY: value} of a language file; a line that is neither blank, a
    comment nor KEY='value' / KEY="value" fails the test that reads it."""
    words = {}
    for n, line in enumerate(Path(path).read_text(encoding='utf-8').splitlines(), 1):
        s = line.strip()
        if not s or s.startswith('#'):
            continue
        m = _LINE.match(s)
        if m is None:
            raise AssertionError('%s:%d is not KEY=\'value\' or KEY="value": %r' % (path, n, line))
        words[m.group(1)] = m.group(2) if m.group(2) is not None else m.group(3)
    return words


def words(tag):
    if tag not in _WORDS:
        _WORDS[tag] = read_lang(TEMPLATE_DIR / 'lang' / ('%s.conf' % tag))
    return _WORDS[tag]


def tries(tag, n):
    """What the wrong-code message says of the tries left."""
    w = words(tag)
    return w['S_TRIES_ONE'] if n == 1 else w['S_TRIES'].replace('{n}', str(n))


# --- text messages as they are billed ------------------------------------------

GSM7_BASIC = ('@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?'
              '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà')
GSM7_EXTENSION = '\f^{}\\[~]|€'


def sms_size(text):
    """('gsm7', septets) when every character is in GSM 03.38's default
    alphabet or its extension table (two septets each), else ('ucs2',
    UTF-16 units)."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        return 'gsm7', sum(2 if c in GSM7_EXTENSION else 1 for c in text)
    return 'ucs2', sum(2 if ord(c) > 0xffff else 1 for c in text)


def one_part(text):
    kind, units = sms_size(text)
    return units <= (160 if kind == 'gsm7' else 70)


def sms_pattern(message, domain=None):
    """A regex matching message with its {code}s (all the same code, group
    1) and, with domain, the WebOTP line."""
    code = r'([0-9A-Za-z]{4,10})'
    parts = message.split('{code}')
    rx = re.escape(parts[0]) + code + ''.join(re.escape(p) + r'\1' for p in parts[1:-1])
    rx += re.escape(parts[-1]) if len(parts) > 1 else ''
    if domain is not None:
        rx += re.escape('\n\n@%s #' % domain) + r'\1'
    return re.compile(rx)


# --- pages -------------------------------------------------------------------

def html_attrs(r):
    m = re.search(r'<html\b([^>]*)>', r.text)
    return dict(re.findall(r'([a-z]+)="([^"]*)"', m.group(1))) if m else {}


def element(r, tag, ident=None):
    """The text of the first <tag> (with id ident), unescaped, or None."""
    rx = r'<%s\b[^>]*%s[^>]*>(.*?)</%s>' % (tag, (r'\bid="%s"' % ident) if ident else '', tag)
    m = re.search(rx, r.text, re.S)
    return html.unescape(re.sub(r'<[^>]+>', '', m.group(1))).strip() if m else None


def text_of(r):
    return html.unescape(r.text)


def al(value, **more):
    """extra= for an Accept-Language header (and other variables)."""
    env = {'HTTP_ACCEPT_LANGUAGE': value}
    env.update(more)
    return env


class LanguageCase(CGITestCase):
    transport = 'outbox'
    site_keys = {'LANGUAGES': ALL, 'WEBOTP_DOMAIN': DOMAIN, 'TOKEN_LENGTH': 10,
                 'RESEND_AFTER': 0}

    def setUp(self):
        super().setUp()
        self.n = 0

    def fresh(self):
        """A phone number and a client address not used yet in this test."""
        self.n += 1
        return '+1202555%04d' % (100 + self.n), '10.%d.%d.1' % (15 + self.n // 256, self.n % 256)

    def assertLang(self, r, tag, words_of=None):
        """The page is in language tag: <html lang dir> from its file."""
        w = words_of or words(tag)
        a = html_attrs(r)
        self.assertEqual(a.get('lang'), tag, 'html lang' + r.describe(600))
        self.assertEqual(a.get('dir'), w.get('DIR', 'ltr'), 'html dir' + r.describe(600))

    def assertShows(self, r, tag, *keys, words_of=None):
        w = words_of or words(tag)
        page = text_of(r)
        for k in keys:
            self.assertIn(w[k], page, '%s of %s not on the page' % (k, tag) + r.describe())

    def sms(self, site, phone, tag, message=None, domain=DOMAIN):
        """The last text to phone: the language's SMS_NO_SITE (these sites
        have no SITE_ORIGIN or SITE_NAME; or message) with its code; returns
        the code."""
        texts = site.sent_texts(phone)
        self.assertTrue(texts, 'nothing sent to %s: %r' % (phone, site.outbox()))
        want = message if message is not None else words(tag)['SMS_NO_SITE']
        m = sms_pattern(want, domain).fullmatch(texts[-1])
        self.assertIsNotNone(m, 'the text %r is not %s\'s %r' % (texts[-1], tag, want))
        return m.group(1)

    def wrong(self, code):
        return ('1' if code[0] == '0' else '0') + code[1:]


class ShippedLanguagesTest(LanguageCase):
    """Each shipped language with LANGUAGES=en,es,fr,de,pt,ar."""

    def test_files_are_complete(self):
        # Every key of the first language is translated in the others, and
        # each says which way it is written.
        en = words('en')
        for tag in SHIPPED:
            with self.subTest(tag=tag):
                w = words(tag)
                self.assertEqual(sorted(set(en) - set(w)), [], '%s lacks keys' % tag)
                self.assertIn(w['DIR'], ('ltr', 'rtl'))
                self.assertIn('{code}', w['SMS'])
        self.assertEqual(words('ar')['DIR'], 'rtl')

    def test_phone_form(self):
        for tag in SHIPPED:
            for header in (tag, '%s-XX,%s;q=0.9,en;q=0.1' % (tag, tag)):
                with self.subTest(tag=tag, accept_language=header):
                    r = self.site.get(REQUEST, extra=al(header))
                    self.assertStatus(r, 200, 'index')
                    self.assertLang(r, tag)
                    w = words(tag)
                    self.assertEqual(element(r, 'title'), w['S_PHONE_TITLE'])
                    self.assertEqual(element(r, 'h1'), w['S_PHONE_TITLE'])
                    self.assertEqual(element(r, 'label'), w['S_PHONE_LABEL'])
                    self.assertEqual(element(r, 'button'), w['S_SEND_CODE'])
                    self.assertShows(r, tag, 'S_PHONE_SMS_ONLY', 'S_PHONE_HINT_1')
                    # The form carries the language on to request.cgi.
                    lang = [i.get('value') for i in r.inputs() if i.get('name') == 'lang']
                    self.assertEqual(lang, [tag], r.describe())
                    if tag != 'en':
                        self.assertNotIn(words('en')['S_PHONE_TITLE'], text_of(r))

    def test_whole_flow(self):
        """Code sent, wrong code, right code: every page and the text in the
        language, the text one part long with the longest code and WebOTP."""
        en = words('en')
        for tag in SHIPPED:
            with self.subTest(tag=tag):
                w = words(tag)
                phone, ip = self.fresh()
                env = al(tag)
                r = self.site.request(phone, remote_addr=ip, extra=env)
                self.assertStatus(r, 200, 'verify')
                self.assertLang(r, tag)
                self.assertEqual(element(r, 'title'), w['S_CODE_TITLE'])
                self.assertEqual(element(r, 'h1'), w['S_CODE_TITLE'])
                self.assertShows(r, tag, 'S_SENT_1', 'S_TTL_1', 'S_CODE_LABEL', 'S_VERIFY',
                                 'S_NO_TEXT', 'S_SEND_NEW_CODE', 'S_CODE_HINT_2')
                self.assertIn('request.cgi?lang=%s' % tag, r.links())
                if tag != 'en':
                    self.assertNotIn(en['S_CODE_TITLE'], text_of(r))

                code = self.sms(self.site, phone, tag)
                self.assertEqual(len(code), 10)
                text = self.site.sent_texts(phone)[-1]
                kind, units = sms_size(text)
                self.assertTrue(one_part(text), '%s: %r is %d %s units, more than one part'
                                % (tag, text, units, kind))
                # GSM-7 where the language allows: all but Arabic.
                self.assertEqual(kind, 'ucs2' if tag == 'ar' else 'gsm7', repr(text))

                vid = r.vid
                r = self.site.verify(self.wrong(code), vid=vid, cookie_vid=vid, extra=env)
                self.assertStatus(r, 422, 'verify')
                self.assertLang(r, tag)
                self.assertEqual(element(r, 'p', 'error'),
                                 '%s %s' % (w['MESSAGE_WRONG'], tries(tag, 4)))
                self.assertEqual(element(r, 'h1'), w['S_CODE_TITLE'])

                r = self.site.verify(code, vid=vid, cookie_vid=vid, extra=env)
                self.assertStatus(r, 200, 'success')
                self.assertLang(r, tag)
                self.assertEqual(element(r, 'h1'), w['S_SUCCESS_TITLE'])
                self.assertShows(r, tag, 'S_SUCCESS_1', 'S_SUCCESS_2')
                self.assertEqual(self.site.sql('SELECT lang FROM verification WHERE id = ?',
                                               (vid,)), [(tag,)])

    def test_code_life_one_minute_or_more(self):
        """The code form says a life of 1 minute in its own sentence
        (never "1 minutes"), and a longer one with its number."""
        for ttl, minutes in ((60, 1), (61, 2), (300, 5)):
            site = self.make_site(dict(self.site_keys, TOKEN_TTL=ttl), transport='outbox')
            for tag in SHIPPED:
                with self.subTest(ttl=ttl, tag=tag):
                    w = words(tag)
                    phone, ip = self.fresh()
                    r = site.request(phone, remote_addr=ip, extra=al(tag))
                    self.assertStatus(r, 200, 'verify')
                    page = text_of(r)
                    many = w['S_TTL_1'] + str(minutes) + w['S_TTL_2']
                    if minutes == 1:
                        self.assertIn(w['S_TTL_ONE'], page, r.describe())
                        self.assertNotIn(w['S_TTL_1'] + '1' + w['S_TTL_2'], page)
                    else:
                        self.assertIn(many, page, r.describe())
                        self.assertNotIn(w['S_TTL_ONE'], page)

    def test_shipped_texts_fit_one_part_at_worst(self):
        # The longest code (10) and a long WebOTP domain: still one part.
        for tag in SHIPPED:
            with self.subTest(tag=tag):
                for key in ('SMS', 'SMS_NO_SITE'):
                    text = words(tag)[key].replace('{code}', 'A' * 10).replace(
                        '{site}', 'login.accounts.example-shop.com') + \
                        '\n\n@%s #%s' % ('login.accounts.example-shop.com', 'A' * 10)
                    self.assertTrue(one_part(text), '%r %s: %r' % (tag, key, sms_size(text)))
                    # What the anchors recommend: the code and "do not share it",
                    # the site named where one is known (not in Arabic: UCS-2
                    # leaves no room beside a long WebOTP line).
                    self.assertIn('{code}', words(tag)[key])
                    self.assertEqual('{site}' in words(tag)[key], key == 'SMS' and tag != 'ar')

    def test_counter(self):
        # The counter the texts are held to, on what it must tell apart.
        self.assertEqual(len(set(GSM7_BASIC)), 127)  # 128 codes, one is the escape
        self.assertEqual(sms_size('é€'), ('gsm7', 3))
        self.assertEqual(sms_size('ç'), ('ucs2', 1))  # only Ç is GSM-7
        self.assertEqual(sms_size('`'), ('ucs2', 1))
        self.assertTrue(one_part('a' * 160) and not one_part('a' * 161))
        self.assertTrue(one_part('[' * 80) and not one_part('[' * 80 + 'a'))
        self.assertTrue(one_part('ب' * 70) and not one_part('ب' * 71))
        self.assertFalse(one_part('😀' * 36))

    def test_json_codes_same_messages_differ(self):
        """Accept: application/json: every language the same error code, its
        own message (the file's)."""
        seen = {}
        for tag in SHIPPED:
            with self.subTest(tag=tag):
                w = words(tag)
                env = al(tag, HTTP_ACCEPT=JSON)
                phone, ip = self.fresh()
                r = self.site.request(phone, remote_addr=ip, extra=env)
                self.assertStatus(r, 200)
                self.assertEqual(json.loads(r.text)['status'], 'pending', r.describe())
                code = self.sms(self.site, phone, tag)
                vid = json.loads(r.text)['verification_id']
                got = []
                r = self.site.verify(self.wrong(code), vid=vid, extra=env)
                self.assertStatus(r, 422)
                self.assertTrue(r.header('Content-Type').startswith(JSON), r.describe())
                e = json.loads(r.text)['error']
                self.assertEqual((e['code'], e['attempts_left']), ('wrong_code', 4))
                self.assertEqual(e['message'], '%s %s' % (w['MESSAGE_WRONG'], tries(tag, 4)))
                got.append(('wrong_code', e['message']))
                for prog, body, status, key in (
                        (REQUEST, 'phone=', 400, 'MESSAGE_MISSING_PHONE'),
                        (VERIFY, 'token=1234', 400, 'MESSAGE_NO_VERIFICATION')):
                    r = self.site.post(prog, body, extra=env, remote_addr=ip)
                    self.assertStatus(r, status)
                    e = json.loads(r.text)['error']
                    self.assertEqual(e['message'], w[key])
                    got.append((e['code'], e['message']))
                seen[tag] = got
        codes = {tag: [c for c, _ in got] for tag, got in seen.items()}
        self.assertEqual(len({tuple(c) for c in codes.values()}), 1, codes)
        self.assertEqual(codes['en'], ['wrong_code', 'missing_phone', 'no_verification'])
        for i in range(3):
            messages = [got[i][1] for got in seen.values()]
            self.assertEqual(len(set(messages)), len(SHIPPED), messages)


class StickyLanguageTest(LanguageCase):
    def test_verification_keeps_its_language(self):
        """Started in French: every later answer for it is French, whatever
        Accept-Language or lang says then; so are the new codes."""
        fr = words('fr')
        de = al('de')
        phone, ip = self.fresh()
        r = self.site.request(phone, remote_addr=ip, extra=al('fr'))
        self.assertStatus(r, 200, 'verify')
        self.assertLang(r, 'fr')
        vid = r.vid
        code = self.sms(self.site, phone, 'fr')

        r = self.site.verify(self.wrong(code), vid=vid, cookie_vid=vid, extra=de)
        self.assertStatus(r, 422, 'verify')
        self.assertLang(r, 'fr')
        self.assertEqual(element(r, 'p', 'error'), '%s %s' % (fr['MESSAGE_WRONG'], tries('fr', 4)))

        g = self.site.get(VERIFY, cookie='otp_vid=' + vid, extra=de)
        self.assertStatus(g, 200, 'verify')
        self.assertLang(g, 'fr')
        self.assertEqual(element(g, 'h1'), fr['S_CODE_TITLE'])

        r = self.site.verify(self.wrong(code), vid=vid, extra=al('de', HTTP_ACCEPT=JSON))
        self.assertStatus(r, 422)
        self.assertEqual(json.loads(r.text)['error']['message'],
                         '%s %s' % (fr['MESSAGE_WRONG'], tries('fr', 3)))

        # "Send a new code": its link keeps the language; the form it shows
        # sends it; the new code for the same verification is in French.
        link = 'request.cgi?lang=fr'
        self.assertIn(link, g.links())
        r = self.site.get(REQUEST, query='lang=fr', cookie='otp_vid=' + vid, extra=de)
        self.assertStatus(r, 200, 'index')
        self.assertLang(r, 'fr')
        r = self.site.request(phone, vid=vid, remote_addr=ip, extra_fields={'lang': 'fr'},
                              extra=de)
        self.assertStatus(r, 200, 'verify')
        self.assertLang(r, 'fr')
        self.assertEqual(r.vid, vid, 'a new verification instead of a new code')
        self.assertEqual(len(self.site.sent_texts(phone)), 2)
        code = self.sms(self.site, phone, 'fr')

        # Out of tries: the error page, French, its new-code link too.
        for left in (2, 1):
            r = self.site.verify(self.wrong(code), vid=vid, extra=de)
            self.assertStatus(r, 422, 'verify')
            self.assertEqual(element(r, 'p', 'error'),
                             '%s %s' % (fr['MESSAGE_WRONG'], tries('fr', left)))
        r = self.site.verify(self.wrong(code), vid=vid, extra=de)
        self.assertStatus(r, 410, 'error')
        self.assertLang(r, 'fr')
        self.assertEqual(element(r, 'h1'), fr['TITLE_LOCKED'])
        self.assertEqual(element(r, 'p', 'message'), fr['MESSAGE_LOCKED'])
        self.assertEqual(element(r, 'a', 'new-code'), fr['S_GET_NEW_CODE'])
        self.assertIn(link, r.links())
        self.assertEqual(self.site.sql('SELECT lang FROM verification WHERE id = ?', (vid,)),
                         [('fr',)])

    @unittest.expectedFailure
    def test_new_code_for_it_keeps_its_language(self):
        """A new code for a French verification asked for by a German
        browser (the number again, or the resend form), lang=de even: the
        text is French, and so must be the code form that answers.  It is
        German: core_start() does not copy the verification's language into
        its result (lib/core_send.c), so reply_words() takes the request's.
        Reported; remove expectedFailure when fixed."""
        phone, ip = self.fresh()
        r = self.site.request(phone, remote_addr=ip, extra=al('fr'))
        self.assertStatus(r, 200, 'verify')
        vid = r.vid
        pages = []
        for fields in ({'phone': phone}, {'resend': '1', 'verification_id': vid},
                       {'resend': '1', 'verification_id': vid, 'lang': 'de'}):
            r = self.site.request(None, vid=vid, remote_addr=ip, extra_fields=fields,
                                  extra=al('de'))
            self.assertStatus(r, 200, 'verify')
            self.assertEqual(r.vid, vid)
            self.sms(self.site, phone, 'fr')
            pages.append(r)
        self.assertEqual(len(self.site.sent_texts(phone)), 4)
        self.assertEqual(self.site.sql('SELECT lang FROM verification WHERE id = ?', (vid,)),
                         [('fr',)])
        for r in pages:
            self.assertLang(r, 'fr')

    def test_arabic_verification_error_page(self):
        # rtl sticks too: the JSON and the page of a dead code in Arabic.
        ar = words('ar')
        phone, ip = self.fresh()
        r = self.site.request(phone, remote_addr=ip, extra=al('ar'))
        self.assertStatus(r, 200, 'verify')
        vid = r.vid
        code = self.sms(self.site, phone, 'ar')
        self.assertStatus(self.site.verify(code, vid=vid, extra=al('en')), 200, 'success')
        r = self.site.verify(code, vid=vid, extra=al('en'))
        self.assertStatus(r, 410, 'error')
        self.assertLang(r, 'ar')
        self.assertEqual(html_attrs(r).get('dir'), 'rtl')
        self.assertIn(element(r, 'p', 'message'), (ar['MESSAGE_DEAD'], ar['MESSAGE_EXPIRED']))


class ChoosingTest(LanguageCase):
    """How a request's language is chosen."""

    def lang_of(self, accept=None, query='', site=None, prog=REQUEST):
        """The language of the phone form (or verify.cgi's page) for the request."""
        site = site or self.site
        extra = {'HTTP_ACCEPT_LANGUAGE': accept} if accept is not None else None
        r = site.get(prog, query=query, extra=extra)
        self.assertStatus(r, 200)
        return html_attrs(r).get('lang')

    def test_lang_field_or_query_wins(self):
        self.assertEqual(self.lang_of('fr', 'lang=de'), 'de')
        self.assertEqual(self.lang_of('fr', 'lang=DE'), 'de')
        self.assertEqual(self.lang_of('fr', 'lang=pt-BR'), 'pt')
        self.assertEqual(self.lang_of('ar', 'lang=es', prog=VERIFY), 'es')
        # The form's field, over the header and over the query.
        for query, want in (('', 'pt'), ('lang=es', 'pt')):
            with self.subTest(query=query):
                phone, ip = self.fresh()
                r = self.site.request(phone, remote_addr=ip, extra_fields={'lang': 'pt'},
                                      query=query, extra=al('fr'))
                self.assertStatus(r, 200, 'verify')
                self.assertLang(r, want)
                self.sms(self.site, phone, want)
        phone, ip = self.fresh()
        r = self.site.request(phone, remote_addr=ip, query='lang=es', extra=al('fr'))
        self.assertStatus(r, 200, 'verify')
        self.assertLang(r, 'es')
        self.sms(self.site, phone, 'es')

    def test_unknown_lang_value_ignored(self):
        for v in ('xx', 'ja', 'klingon', '', 'e', 'fr_FR', 'fr-', '<script>', 'fr;q=1', '../en',
                  'en/../fr', 'dé', 'x' * 1000, '*'):
            with self.subTest(lang=v):
                q = urllib.parse.urlencode({'lang': v})
                self.assertEqual(self.lang_of('es', q), 'es')
                self.assertEqual(self.lang_of(None, q), 'en')
                phone, ip = self.fresh()
                r = self.site.request(phone, remote_addr=ip, extra_fields={'lang': v},
                                      extra=al('es'))
                self.assertStatus(r, 200, 'verify')
                self.assertLang(r, 'es')
                self.sms(self.site, phone, 'es')

    def test_accept_language(self):
        cases = [
            ('fr-CA', 'fr'), ('FR-ca', 'fr'), ('pt-BR', 'pt'), ('ar-EG', 'ar'),
            ('de;q=0.5, fr;q=0.9', 'fr'),
            ('de;q=0.5,fr;q=0.5', 'de'),          # a tie: the first
            ('ja, de;q=0.2, es;q=0.3', 'es'),
            ('fr;q=0, de;q=0.1', 'de'),           # q=0: not this one
            ('fr;q=0.000, de;q=0.001', 'de'),
            ('fr;q=0', 'en'), ('fr;q=0, *;q=0', 'en'),
            ('*', 'en'), ('ja, *;q=0.5', 'en'), ('fr, *;q=0.5', 'fr'),
            ('fr ; q=0.5 , de ; q=0.4', 'fr'), ('de;Q=1.0', 'de'), ('es;q=1.', 'es'),
            ('zz, ja-JP, ar', 'ar'),
        ]
        for header, want in cases:
            with self.subTest(accept_language=header):
                self.assertEqual(self.lang_of(header), want)

    def test_star_is_the_first_offered(self):
        site = self.make_site({'LANGUAGES': 'de,fr'}, transport='outbox')
        self.assertEqual(self.lang_of('*', site=site), 'de')
        self.assertEqual(self.lang_of('ja;q=0.9, *;q=0.1', site=site), 'de')
        self.assertEqual(self.lang_of('fr;q=0.2, *;q=0.1', site=site), 'fr')

    def test_not_offered_falls_back_to_the_first(self):
        site = self.make_site({'LANGUAGES': 'fr,en'}, transport='outbox')
        for header in ('ja', 'de, es;q=0.5', None, ''):
            with self.subTest(accept_language=header):
                self.assertEqual(self.lang_of(header, site=site), 'fr')
                self.assertEqual(self.lang_of(header, site=site, prog=VERIFY), 'fr')
        phone, ip = self.fresh()
        r = site.request(phone, remote_addr=ip, extra=al('ja'))
        self.assertStatus(r, 200, 'verify')
        self.assertLang(r, 'fr')
        self.assertEqual(element(r, 'h1'), words('fr')['S_CODE_TITLE'])
        # MESSAGE_TEXT is not set, so the first language's text is its file's.
        self.sms(site, phone, 'fr', domain=None)
        # Offered languages other than the first still win.
        self.assertEqual(self.lang_of('ja, en;q=0.1', site=site), 'en')

    def test_bounds(self):
        # 32 ranges are weighed, the rest not; 4096 bytes are read.
        self.assertEqual(self.lang_of('zz,' * 31 + 'fr'), 'fr')
        self.assertEqual(self.lang_of('zz,' * 32 + 'fr'), 'en')
        self.assertEqual(self.lang_of(' ' * 4094 + 'fr'), 'fr')
        self.assertEqual(self.lang_of(' ' * 4095 + 'fr'), 'en')


HOSTILE = [
    'x' * 8000,
    'zz-' * 2700,
    ('zz;q=0.9,' * 5000) + 'fr',                    # thousands of entries, ~45 KB
    ('ja,' * 3000) + 'de',
    'a' * 4096,
    ',' * 8000,
    ';' * 8000,
    ' ' * 8000,
    ', ; , ;;,',
    ';q=1',
    '=',
    '-',
    '*-',
    '**',
    '-fr',
    'fr-',
    'fr--ca',
    'fr-abcdefghi',
    'toolonglanguagetag',
    'f',
    'fr;q=2', 'fr;q=1.0001', 'fr;q=1.5', 'fr;q=abc', 'fr;q=', 'fr;q=-1', 'fr;q=0.5.5',
    'fr;q=1e3', 'fr;level=1', 'fr;;q=1', 'fr;q=0.5;q=1', 'fr;q', 'fr;q=0x1', 'fr;q=.5',
    'fr;q=00.5', 'fr;q=0.' + '9' * 5000,
    'fr\x01', '\x1b[31mfr\x1b[0m', 'fr\r\nX-Injected: 1', 'f\x7fr', 'fr\n', 'fr\x02',
    'fr\udcff',                                     # invalid UTF-8 (a lone 0xff byte)
    '\udcc3\udca9fr',                               # 0xc3 0xa9: é as bytes, then fr
    '\udcc3fr', 'fr\udce2\udc82',                   # cut sequences
    'fré', 'ع', '日本語',
    '%66%72', 'fr%2C', '"fr"', "'fr'", '<fr>', 'fr/', 'fr.', '_fr',
]


class HostileAcceptLanguageTest(LanguageCase):
    """Whatever the browser sends: the first language, a 200, no error."""

    site_keys = dict(LanguageCase.site_keys, LANGUAGES='de,en,fr,es,pt,ar')

    def test_hostile_headers_get_the_fallback(self):
        de = words('de')
        for header in HOSTILE:
            with self.subTest(accept_language=header[:40], length=len(header)):
                env = al(header)
                for prog in (REQUEST, VERIFY):
                    r = self.site.get(prog, extra=env)
                    self.assertStatus(r, 200, ('index', 'error'))
                    self.assertLang(r, 'de')
                phone, ip = self.fresh()
                r = self.site.request(phone, remote_addr=ip, extra=env)
                self.assertStatus(r, 200, 'verify')
                self.assertLang(r, 'de')
                code = self.sms(self.site, phone, 'de')
                vid = r.vid
                r = self.site.get(VERIFY, cookie='otp_vid=' + vid, extra=env)
                self.assertStatus(r, 200, 'verify')
                self.assertLang(r, 'de')
                r = self.site.verify(self.wrong(code), vid=vid, extra=env)
                self.assertStatus(r, 422, 'verify')
                self.assertLang(r, 'de')
                self.assertEqual(element(r, 'p', 'error'),
                                 '%s %s' % (de['MESSAGE_WRONG'], tries('de', 4)))
                r = self.site.verify(code, vid=vid, extra=dict(env, HTTP_ACCEPT=JSON))
                self.assertStatus(r, 200)
                self.assertEqual(json.loads(r.text)['status'], 'approved')
                self.assertEqual(r.returncode, 0, r.describe())


class MessageTextTest(LanguageCase):
    def test_message_text_per_language(self):
        site = self.make_site(dict(self.site_keys, MESSAGE_TEXT_fr='Code : {code} (site)'),
                              transport='outbox')
        phone, ip = self.fresh()
        self.assertStatus(site.request(phone, remote_addr=ip, extra=al('fr')), 200, 'verify')
        self.sms(site, phone, 'fr', message='Code : {code} (site)')
        for tag in ('de', 'en'):  # the others keep their file's
            phone, ip = self.fresh()
            self.assertStatus(site.request(phone, remote_addr=ip, extra=al(tag)), 200, 'verify')
            self.sms(site, phone, tag)

    def test_message_text_is_the_first_languages(self):
        # MESSAGE_TEXT set: the first language's text; MESSAGE_TEXT_<first> wins over it.
        site = self.make_site(dict(self.site_keys, MESSAGE_TEXT='Acme: {code}'),
                              transport='outbox')
        for tag, want in (('en', 'Acme: {code}'), ('fr', None)):
            phone, ip = self.fresh()
            self.assertStatus(site.request(phone, remote_addr=ip, extra=al(tag)), 200, 'verify')
            self.sms(site, phone, tag, message=want)
        site = self.make_site(dict(self.site_keys, MESSAGE_TEXT='Acme: {code}',
                                   MESSAGE_TEXT_en='Acme EN: {code}'), transport='outbox')
        phone, ip = self.fresh()
        self.assertStatus(site.request(phone, remote_addr=ip), 200, 'verify')
        self.sms(site, phone, 'en', message='Acme EN: {code}')

    @unittest.expectedFailure
    def test_message_text_with_spaces_in_languages(self):
        """LANGUAGES='en ,fr' and 'en fr' are taken (spaces separate, as in
        the other lists), but message_text() finds the first language
        with strcspn(languages, ","): "en " or "en fr", never "en", so
        MESSAGE_TEXT is not used for English.  Reported; remove
        expectedFailure when fixed."""
        for languages in ('en ,fr', 'en fr'):
            site = self.make_site({'LANGUAGES': languages, 'MESSAGE_TEXT': 'Acme: {code}'},
                                  transport='outbox')
            phone, ip = self.fresh()
            r = site.request(phone, remote_addr=ip)
            self.assertStatus(r, 200, 'verify')
            self.assertLang(r, 'en')
            self.sms(site, phone, 'en', message='Acme: {code}', domain=None)

    def test_bad_message_text_lang_is_misconfigured(self):
        for key, value in (('MESSAGE_TEXT_fr', 'no code here'),
                           ('MESSAGE_TEXT_f', 'Code {code}'),
                           ('MESSAGE_TEXT_fr', 'x' * 700 + '{code}')):
            with self.subTest(key=key, value=value[:20]):
                site = self.make_site(dict(self.site_keys, **{key: value}), transport='outbox')
                r = site.request('+12025550143', extra=al('fr'))
                self.assertStatus(r, 500, 'error')
                self.assertIn(key, r.stderr)
                self.assertEqual(site.outbox(), [])


class EnglishOnlyTest(LanguageCase):
    """LANGUAGES=en, or no LANGUAGES: what the programs did before languages."""

    site_keys = {}

    def test_english_as_before(self):
        for keys in ({}, {'LANGUAGES': 'en'}):
            site = self.make_site(keys, transport='outbox')
            for header in (None, 'fr', 'ar, de;q=0.5'):
                with self.subTest(keys=keys, accept_language=header):
                    extra = al(header) if header else None
                    r = site.get(REQUEST, query='lang=fr', extra=extra)
                    self.assertStatus(r, 200, 'index')
                    self.assertEqual(html_attrs(r), {'lang': 'en', 'dir': 'ltr'})
                    self.assertEqual(element(r, 'h1'), 'Verify your phone number')
                    phone, ip = self.fresh()
                    r = site.request(phone, remote_addr=ip, extra_fields={'lang': 'fr'},
                                     extra=extra)
                    self.assertStatus(r, 200, 'verify')
                    self.assertEqual(html_attrs(r), {'lang': 'en', 'dir': 'ltr'})
                    text = site.sent_texts(phone)[-1]
                    m = re.fullmatch(r'([0-9A-F]{4}) is your verification code\. Do not share it\.', text)
                    self.assertIsNotNone(m, repr(text))
                    r = site.verify(self.wrong(m.group(1)), vid=r.vid, extra=extra)
                    self.assertStatus(r, 422, 'verify')
                    self.assertEqual(element(r, 'p', 'error'),
                                     'That code is not right. 4 tries left.')
        site = self.make_site({'MESSAGE_TEXT': 'Code for Acme: {code}'}, transport='outbox')
        phone, ip = self.fresh()
        self.assertStatus(site.request(phone, remote_addr=ip, extra=al('fr')), 200, 'verify')
        self.assertRegex(site.sent_texts(phone)[-1], r'^Code for Acme: [0-9A-F]{4}$')


class SiteLanguageTest(LanguageCase):
    """A site adds a language with a file, no rebuild."""

    site_keys = {}

    def site_with(self, files, languages):
        tmp = Path(tempfile.mkdtemp(prefix='otp-templates-'))
        self.addCleanup(shutil.rmtree, tmp, True)
        shutil.copytree(TEMPLATE_DIR, tmp / 'templates')
        for tag, text in files.items():
            (tmp / 'templates' / 'lang' / ('%s.conf' % tag)).write_text(text, encoding='utf-8')
        return self.make_site({'TEMPLATE_DIR': str(tmp / 'templates'), 'LANGUAGES': languages},
                              transport='outbox')

    def test_italian_added(self):
        it_conf = ("# Italiano: a few keys, the rest from the first language\n"
                   "NAME='Italiano'\n"
                   "SMS='Il suo codice è {code}'\n"
                   "S_PHONE_TITLE='Verifichi il suo numero di telefono'\n"
                   "S_CODE_TITLE=\"Inserisca il codice\"\n"
                   "MESSAGE_WRONG='Il codice non è corretto.'\n")
        it = read_lang_text(it_conf)
        en = words('en')
        site = self.site_with({'it': it_conf}, 'en,it')
        r = site.get(REQUEST, extra=al('it-IT,it;q=0.9'))
        self.assertStatus(r, 200, 'index')
        self.assertLang(r, 'it', words_of={'DIR': 'ltr'})
        self.assertEqual(element(r, 'h1'), it['S_PHONE_TITLE'])
        self.assertEqual(element(r, 'label'), en['S_PHONE_LABEL'])   # not in it.conf
        self.assertEqual(element(r, 'button'), en['S_SEND_CODE'])

        phone, ip = self.fresh()
        r = site.request(phone, remote_addr=ip, extra=al('it'))
        self.assertStatus(r, 200, 'verify')
        self.assertLang(r, 'it', words_of={'DIR': 'ltr'})
        self.assertEqual(element(r, 'h1'), it['S_CODE_TITLE'])
        self.assertIn(en['S_VERIFY'], text_of(r))
        code = self.sms(site, phone, 'it', message=it['SMS'], domain=None)
        r = site.verify(self.wrong(code), vid=r.vid, extra=al('it'))
        self.assertStatus(r, 422, 'verify')
        self.assertEqual(element(r, 'p', 'error'),
                         '%s %s' % (it['MESSAGE_WRONG'], tries('en', 4)))
        # English visitors are unchanged.
        self.assertEqual(self_lang(site, 'en'), 'en')

    def test_rtl_language_added(self):
        site = self.site_with({'he': "DIR='rtl'\nS_PHONE_TITLE='אימות מספר טלפון'\n"}, 'en,he')
        r = site.get(REQUEST, extra=al('he'))
        self.assertStatus(r, 200, 'index')
        self.assertEqual(html_attrs(r), {'lang': 'he', 'dir': 'rtl'})
        self.assertEqual(element(r, 'h1'), 'אימות מספר טלפון')

    def test_language_without_its_file(self):
        """LANGUAGES names xx, which has no file: its visitors get the first
        language, and the log says why."""
        site = self.make_site({'LANGUAGES': 'en,xx,fr'}, transport='outbox')
        r = site.get(REQUEST, extra=al('xx'))
        self.assertStatus(r, 200, 'index')
        self.assertEqual(html_attrs(r), {'lang': 'en', 'dir': 'ltr'})
        self.assertEqual(element(r, 'h1'), words('en')['S_PHONE_TITLE'])
        self.assertIn('xx', r.stderr)
        self.assertIn('lang/xx.conf', r.stderr)
        # The others still work.
        self.assertEqual(self_lang(site, 'fr'), 'fr')
        phone, ip = self.fresh()
        r = site.request(phone, remote_addr=ip, extra=al('xx'))
        self.assertStatus(r, 200, 'verify')
        self.assertLang(r, 'en')
        self.sms(site, phone, 'en', domain=None)


def read_lang_text(text):
    with tempfile.NamedTemporaryFile('w', suffix='.conf', encoding='utf-8') as f:
        f.write(text)
        f.flush()
        return read_lang(f.name)


def self_lang(site, header):
    r = site.get(REQUEST, extra=al(header))
    return html_attrs(r).get('lang') if r.status == 200 else None


class BadLanguagesTest(LanguageCase):
    site_keys = {}

    def test_invalid_languages_is_misconfigured(self):
        for value in ('english', 'en,en', 'EN,en', 'en,fr,en', 'e', 'en_US', 'en-', 'en;fr',
                      'en/fr', '../en', 'en-abcdefghi', '', ','.join('l%s' % c for c in
                                                                      'abcdefghijklmnopq')):
            site = self.make_site({'LANGUAGES': value}, transport='outbox')
            for prog in (REQUEST, VERIFY):
                for method in ('GET', 'POST'):
                    with self.subTest(LANGUAGES=value, prog=prog.name, method=method):
                        body = 'phone=%2B12025550143' if prog == REQUEST else \
                            'token=1234&verification_id=' + '0' * 32
                        r = site.run(prog, method, body if method == 'POST' else None,
                                     extra=al('fr'))
                        self.assertStatus(r, 500, 'error')
                        self.assertIn('LANGUAGES', r.stderr)
                        self.assertNotIn(API_KEY, r.text + r.stderr)
            self.assertEqual(site.outbox(), [])

    def test_list_separators(self):
        # The list syntax of the other list keys: spaces and commas separate.
        for value in ('en,,fr', 'en, fr', ',en,fr,'):
            with self.subTest(LANGUAGES=value):
                site = self.make_site({'LANGUAGES': value}, transport='outbox')
                self.assertEqual(self_lang(site, 'fr'), 'fr')
                self.assertEqual(self_lang(site, 'ja'), 'en')


if __name__ == '__main__':
    unittest.main()
