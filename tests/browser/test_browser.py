"""
The flow in a real browser: headless Chromium (Debian's chromium +
chromium-driver, driven by python3-selenium) against the programs behind
lighttpd, deployed by tests/web/harness.py from the shipped example config,
with a fake Telnyx.  A person's steps: open the phone form, type the number
the way people do, submit, read the code from the SMS, type it, see the
success page; a wrong code shows the error and leaves the form usable.

Each page is kept as a screenshot at 375 px (a phone) and 1280 px (a
desktop) under tests/out/screenshots/.  The pages must make no request
anywhere but 127.0.0.1, log no console error (a CSP violation is one), and
fit a 375-px-wide screen without sideways scrolling.

Then the same flow in each shipped language (LANGUAGES=en,es,fr,de,pt,ar),
the browser's Accept-Language set through DevTools
(Emulation.setUserAgentOverride's acceptLanguage, which Chromium sends as
its header and shows as navigator.languages): <html lang> and dir, the
words of templates/lang/<tag>.conf on every page, the text message in the
language; Arabic right to left, mirrored, and no sideways scrolling on a
phone.  Screenshots tests/out/screenshots/lang-<tag>-*.png.

axe-core (npm, build/axe: `make check` installs it) checks each page of
the flow, behind lighttpd, in every language: no violation of a WCAG 2.2
rule, A or AA.  BrowserCase is the set-up and the steps, for this
file's BrowserFlow and test_browser_voice.py's VoiceFlow.
"""

import json
import re
import time
import os
import shutil
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "web"))
sys.path.insert(0, str(HERE.parent))

import harness  # noqa: E402
import fake_telnyx  # noqa: E402
from fake_telnyx import FakeTelnyx  # noqa: E402

try:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # reported by setUpClass
    webdriver = None

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SHOTS = harness.REPO / "tests" / "out" / "screenshots"
PHONE_WIDTH, PHONE_HEIGHT = 375, 740
DESKTOP_WIDTH, DESKTOP_HEIGHT = 1280, 800
WAIT = 15  # seconds for a page to arrive
# axe-core (npm, build/axe: tests/tests.mk), run in the page by
# assert_accessible() on the rules of these WCAG levels, 2.0 to 2.2, A and AA.
AXE = harness.REPO / "build" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
INBOUND = "+15550002222"  # the number visitors text (CHANNELS=inbound)
# The shipped languages, each with the Accept-Language of a browser set to it.
LANGUAGES = (("en", "en-US,en"), ("es", "es-ES,es"), ("fr", "fr-FR,fr"), ("de", "de-DE,de"),
             ("pt", "pt-BR,pt"), ("ar", "ar-EG,ar"))
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-default-browser-check",
    "--password-store=basic",
)


def lang_words(tag):
    """{KEY: value} of templates/lang/<tag>.conf: KEY='value' or KEY="value"
    lines, comments and blank lines between (the parser of the CGI suite's
    test_languages.py, which this directory cannot import: its harness is
    another)."""
    rx = re.compile(r'''^([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(?:'([^']*)'|"([^"]*)")[ \t\r]*(?:#.*)?$''')
    words = {}
    path = harness.REPO / "templates" / "lang" / ("%s.conf" % tag)
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            m = rx.match(line)
            assert m is not None, "%s: %r" % (path, line)
            words[m.group(1)] = m.group(2) if m.group(2) is not None else m.group(3)
    return words


def gone(element):
    """A wait condition: element has left the document (the next page came).
    EC.staleness_of() asks the element whether it is enabled, and Chromium
    sometimes answers that question, asked while the page is replaced, with
    "Node with given id does not belong to the document" instead of a stale
    element: that is the same answer."""
    def predicate(_driver):
        try:
            element.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as e:
            if "does not belong to the document" in str(e) or "No node with given id" in str(e):
                return True
            raise
    return predicate


class BrowserCase(unittest.TestCase):
    """A fake Telnyx, a site with its settings behind server_class, and
    Chromium, once per class; the helpers of a person's steps.  No test
    of its own: BrowserFlow here, test_voice.py's VoiceFlow."""

    server_class = harness.Lighttpd
    shot_prefix = ""
    # The site's settings beside the fake's (a subclass's own).
    settings = {}

    @classmethod
    def setUpClass(cls):
        if webdriver is None:
            msg = "python3-selenium not installed"
            if harness.in_ci():
                raise AssertionError(msg)
            raise unittest.SkipTest(msg)
        harness.need(CHROMIUM, "chromium")
        harness.need(CHROMEDRIVER, "chromium-driver")
        harness.need(harness.LIGHTTPD if issubclass(cls.server_class, harness.Lighttpd) else harness.APACHE,
                     cls.server_class.name)
        harness.need_programs()
        SHOTS.mkdir(parents=True, exist_ok=True)

        cls.fake = FakeTelnyx(mode="ok").start()
        cls.addClassCleanup(cls.fake.stop)
        cls.tmp = harness.temp_root("otp-browser-")
        if not os.environ.get("OTP_KEEP_TMP"):
            cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.fake.enable_webhooks()
        cls.fake.auto_receipts = False
        cls.site = harness.Site(cls.tmp, dict({"SMS_TRANSPORT": "telnyx", "API_BASE_URL": cls.fake.url,
                                               "TELNYX_PUBLIC_KEY": cls.fake.public_key},
                                              **cls.settings))
        cls.server = cls.server_class(cls.site)
        cls.addClassCleanup(cls.server.stop)
        cls.server.start()
        cls.hook_url = cls.server.url(harness.EXAMPLE_URL + "webhook.cgi")
        cls.site.base_settings["WEBHOOK_URL"] = cls.hook_url

        cls.profile = tempfile.mkdtemp(prefix="otp-chromium-")
        cls.addClassCleanup(shutil.rmtree, cls.profile, True)
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for f in FLAGS:
            opts.add_argument(f)
        opts.add_argument("--user-data-dir=" + cls.profile)
        opts.add_argument("--window-size=%d,%d" % (DESKTOP_WIDTH, DESKTOP_HEIGHT))
        opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        service = Service(executable_path=CHROMEDRIVER, log_path=os.path.join(cls.tmp, "chromedriver.log"))
        cls.driver = webdriver.Chrome(service=service, options=opts)
        cls.addClassCleanup(cls.driver.quit)
        cls.driver.set_page_load_timeout(30)
        cls.driver.set_script_timeout(10)

    def setUp(self):
        self.site.write_config()
        self.fake.mode = "ok"
        self.fake.auto_receipts = False
        d = self.driver
        d.delete_all_cookies()
        d.get_log("performance")  # drop what earlier tests left
        d.get_log("browser")
        self.desktop()

    # -- helpers ---------------------------------------------------------

    def url(self, name):
        return self.server.url(harness.EXAMPLE_URL + name)

    def page(self):
        return self.driver.find_element(By.TAG_NAME, "body").get_attribute("data-page")

    def submit(self, form_field):
        """Click the submit button of the form holding form_field; wait
        for the next page."""
        d = self.driver
        body = d.find_element(By.TAG_NAME, "body")
        form = form_field.find_element(By.XPATH, "./ancestor::form")
        form.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
        WebDriverWait(d, WAIT).until(gone(body))
        WebDriverWait(d, WAIT).until(lambda d: d.execute_script("return document.readyState") == "complete")
        return self.page()

    def metrics(self, width, height, mobile):
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})

    def desktop(self):
        self.metrics(DESKTOP_WIDTH, DESKTOP_HEIGHT, False)

    def shoot(self, name):
        """Screenshots of this page, phone and desktop, whole page each;
        and the page must fit the phone's width."""
        d = self.driver
        for label, w, h, mobile in (("375", PHONE_WIDTH, PHONE_HEIGHT, True),
                                    ("desktop", DESKTOP_WIDTH, DESKTOP_HEIGHT, False)):
            self.metrics(w, h, mobile)
            full = d.execute_script("return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)")
            self.metrics(w, max(h, min(int(full), 4000)), mobile)
            d.save_screenshot(str(SHOTS / ("%s%s-%s.png" % (self.shot_prefix, name, label))))
            if mobile:
                sw = d.execute_script("return document.documentElement.scrollWidth")
                self.assertLessEqual(sw, w, "%s: %d px wide on a %d-px screen" % (name, sw, w))
                for el in d.find_elements(By.CSS_SELECTOR, "input, button"):
                    if el.is_displayed():
                        r = el.rect
                        self.assertLessEqual(r["x"] + r["width"], w + 0.5, "%s: %s sticks out" % (name, el.get_attribute("outerHTML")[:80]))
                size = d.execute_script("return parseFloat(getComputedStyle(document.body).fontSize)")
                self.assertGreaterEqual(size, 14, "%s: body text %spx on a phone" % (name, size))
        self.desktop()

    def assert_local_only(self):
        """Every request the pages made went to our server (or data:)."""
        d = self.driver
        ours = self.server.base + "/"
        urls = []
        for entry in d.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg.get("method") == "Network.requestWillBeSent":
                urls.append(msg["params"]["request"]["url"])
        urls += d.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        self.assertTrue(urls, "no request seen: the performance log is not working")
        # chrome:// and data: are the browser's own; anything on the network must be ours.
        net = [u for u in urls if u.split(":", 1)[0].lower() in ("http", "https", "ws", "wss", "ftp")]
        self.assertTrue(any(u.startswith(ours) for u in net), urls)
        bad = [u for u in net if not u.startswith(ours)]
        self.assertEqual(bad, [], "requests beyond %s" % ours)

    def assert_no_console_errors(self):
        ours = self.server.base + "/"
        errors = [e for e in self.driver.get_log("browser")
                  if e.get("level") == "SEVERE"
                  # Our own 4xx pages (400, 410, 422) are logged as failed loads: by design.
                  and not (e.get("source") == "network" and e.get("message", "").startswith(ours))]
        self.assertEqual(errors, [], "console errors (CSP violations, failed loads)")

    def context(self):
        """What the browser shows and what the server logged, for a failure."""
        try:
            text = self.driver.find_element(By.TAG_NAME, "body").text
        except WebDriverException:
            text = self.driver.page_source[:2000]
        return "\n--- page (%s) ---\n%s\n%s" % (self.driver.current_url, text[:1500], self.server.logs(3000))

    def assertPage(self, got, *expected):
        self.assertIn(got, expected, self.context())

    def error_text(self):
        els = [e for e in self.driver.find_elements(By.CLASS_NAME, "error") if e.is_displayed()]
        return " ".join(e.text.strip() for e in els).strip()

    def request(self, typed, e164):
        d = self.driver
        d.get(self.url("request.cgi"))
        self.assertEqual(self.page(), "index")
        phone = d.find_element(By.ID, "phone")
        phone.clear()
        phone.send_keys(typed)
        before = len(self.fake.messages_to(e164))
        self.assertPage(self.submit(phone), "verify")
        self.assertTrue(self.fake.wait_messages(1, timeout=5))
        self.assertEqual(len(self.fake.messages_to(e164)), before + 1)
        return self.fake.code_for(e164)

    def type_code(self, code):
        token = self.driver.find_element(By.ID, "token")
        token.clear()
        token.send_keys(code)
        return self.submit(token)

    def assert_accessible(self, where):
        """axe-core on the page as it is now: no violation of a WCAG 2.2
        rule (A and AA), each reported with its nodes."""
        if not AXE.is_file():
            msg = "axe-core is not installed: make check installs it (%s)" % AXE.parent
            if harness.in_ci():
                self.fail(msg)
            self.skipTest(msg)
        d = self.driver
        if not d.execute_script("return typeof window.axe === 'object'"):
            d.execute_script(AXE.read_text(encoding="utf-8"))
        result = d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})"
            ".then(r => done({violations: r.violations.map(v => ({id: v.id, impact: v.impact,"
            " help: v.help, nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)}))}),"
            " e => done({error: String(e)}));", list(AXE_TAGS))
        self.assertNotIn("error", result, "%s: axe-core failed" % where)
        self.assertEqual(result["violations"], [], "%s: WCAG 2.2 violations%s" % (where, self.context()))

    def accept_language(self, header):
        """The header (and navigator.languages) of the next requests."""
        ua = self.driver.execute_script("return navigator.userAgent")
        self.driver.execute_cdp_cmd("Emulation.setUserAgentOverride",
                                    {"userAgent": ua, "acceptLanguage": header})

    def html_lang(self):
        d = self.driver
        return (d.execute_script("return document.documentElement.lang"),
                d.execute_script("return document.documentElement.dir"),
                d.execute_script("return getComputedStyle(document.documentElement).direction"),
                d.execute_script("return getComputedStyle(document.querySelector('main')).direction"))

    def assert_language(self, tag, words, where):
        d = self.driver
        want = "rtl" if words["DIR"] == "rtl" else "ltr"
        self.assertEqual(self.html_lang(), (tag, want, want, want), where + self.context())
        if want == "rtl":
            # Mirrored: a label starts at the right, with its field.
            for label in d.find_elements(By.CSS_SELECTOR, "label[for]"):
                field = d.find_element(By.ID, label.get_attribute("for"))
                lr = d.execute_script(
                    "const r = document.createRange(); r.selectNodeContents(arguments[0]);"
                    "return r.getBoundingClientRect().right", label)
                fr = field.rect["x"] + field.rect["width"]
                self.assertAlmostEqual(lr, fr, delta=2, msg="%s: %s not at the right" % (where, label.text))
            # Numbers read left to right in the right-to-left page: the masked
            # number, the fields for a number and a code.
            for sel in ("#masked-phone", "#phone", "#token"):
                for el in d.find_elements(By.CSS_SELECTOR, sel):
                    self.assertEqual(d.execute_script(
                        "return getComputedStyle(arguments[0]).direction", el), "ltr",
                        "%s: %s is not left to right" % (where, sel))
            # Still readable on a phone: nothing to scroll sideways.
            self.metrics(PHONE_WIDTH, PHONE_HEIGHT, True)
            sw, cw = d.execute_script("return [document.documentElement.scrollWidth, "
                                      "document.documentElement.clientWidth]")
            self.assertLessEqual(sw, cw, "%s: %d px of %d on a phone" % (where, sw, cw))
            self.desktop()


class BrowserFlow(BrowserCase):
    settings = {"CHANNELS": "sms,inbound", "INBOUND_NUMBER": INBOUND}
    # test_8's screenshots: 48 of them, taken once (here), not per server.
    language_shots = True

    def test_1_flow_as_a_person_does_it(self):
        d = self.driver
        d.get(self.url("request.cgi"))
        self.assertEqual(self.page(), "index")
        self.shoot("1-index")
        phone = d.find_element(By.ID, "phone")
        self.assertEqual(phone.get_attribute("name"), "phone")
        phone.send_keys("(202) 555-0143")
        self.assertPage(self.submit(phone), "verify")
        self.shoot("2-verify")
        code = self.fake.code_for("+12025550143")
        self.assertTrue(code)
        self.assertNotIn(code, d.page_source)

        # The cookie as the browser keeps it.
        cookies = {c["name"]: c for c in d.get_cookies()}
        self.assertIn("otp_vid", cookies, cookies)
        c = cookies["otp_vid"]
        self.assertTrue(c.get("httpOnly"), c)
        self.assertEqual(c.get("sameSite"), "Strict", c)
        self.assertEqual(c.get("path"), harness.EXAMPLE_URL, c)
        self.assertNotIn("otp_vid", d.execute_script("return document.cookie"))

        self.assertPage(self.type_code(code), "success")
        self.shoot("3-success")
        self.assert_local_only()
        self.assert_no_console_errors()

    def test_2_wrong_code_then_right_code(self):
        d = self.driver
        code = self.request("202.555.0144", "+12025550144")
        wrong = ("1" if code[0] == "0" else "0") + code[1:]
        self.assertPage(self.type_code(wrong), "verify")
        text = self.error_text()
        self.assertTrue(text, "no visible error text" + self.context())
        self.shoot("4-verify-wrong-code")
        self.accessible_once("4-verify-wrong-code")
        token = d.find_element(By.ID, "token")
        self.assertTrue(token.is_displayed() and token.is_enabled())
        self.assertPage(self.type_code(code), "success")
        self.assert_local_only()
        self.assert_no_console_errors()

    def test_2a_code_with_a_space_or_a_hyphen(self):
        # As a phone's keyboard or a paste gives it ("722 D91", "722-D91"):
        # the field takes it whole (no maxlength cuts it: WCAG 2.2 3.3.8),
        # and the server drops the space or hyphen.
        for i, sep in enumerate((" ", "-")):
            with self.subTest(sep=sep):
                code = self.request("202.555.015%d" % i, "+1202555015%d" % i)
                typed = code[:3] + sep + code[3:]
                token = self.driver.find_element(By.ID, "token")
                token.clear()
                token.send_keys(typed)
                self.assertEqual(token.get_attribute("value"), typed, self.context())
                self.assertIsNone(token.get_attribute("maxlength"), self.context())
                self.assertPage(self.submit(token), "success")
        self.assert_no_console_errors()

    def test_3_bad_phone_shows_error_on_form(self):
        d = self.driver
        d.get(self.url("request.cgi"))
        phone = d.find_element(By.ID, "phone")
        phone.send_keys("12")
        # The browser's own checks may stop the submit; the server's are tested here.
        d.execute_script("for (const f of document.forms) f.noValidate = true;")
        self.assertPage(self.submit(phone), "index")
        self.assertTrue(self.error_text(), self.context())
        self.shoot("5-index-bad-phone")
        self.accessible_once("5-index-bad-phone")
        self.assertTrue(d.find_element(By.ID, "phone").is_enabled())
        self.assert_no_console_errors()

    def test_4_expired_code_page(self):
        d = self.driver
        self.site.write_config(TOKEN_TTL=1)
        code = self.request("2025550145", "+12025550145")
        time.sleep(2.2)
        page = self.type_code(code)
        self.assertPage(page, "error", "verify", "index")
        self.assertTrue(self.error_text() or page == "error", self.context())
        self.shoot("6-expired")
        self.accessible_once("6-expired")
        # The page offers a new code: a link or form back to request.cgi.
        links = d.find_elements(By.CSS_SELECTOR, 'a[href*="request.cgi"], form[action*="request.cgi"]')
        self.assertTrue(links, "no way to a new code" + self.context())
        self.assert_local_only()
        self.assert_no_console_errors()


    def test_5_inbound_text(self):
        """The visitor picks "you send us a text", sees the code and an sms:
        link, says it is sent too early, then texts it (the fake reports it)."""
        d = self.driver
        d.get(self.url("request.cgi"))
        self.shoot("7-index-channels")
        phone = d.find_element(By.ID, "phone")
        phone.send_keys("(202) 555-0146")
        d.find_element(By.ID, "channel-inbound").click()
        self.assertPage(self.submit(phone), "inbound")
        self.shoot("8-inbound")
        self.accessible_once("8-inbound")
        code = d.find_element(By.ID, "inbound-code").text.strip()
        self.assertRegex(code, "^[A-HJKMNP-Z2-9]{8}$")
        self.assertEqual(d.find_element(By.ID, "sms-link").get_attribute("href"),
                         "sms:%s?body=%s" % (INBOUND, code))
        self.assertEqual(self.fake.messages_to("+12025550146"), [])
        sent = d.find_element(By.CSS_SELECTOR, '#sent-form button[type="submit"]')
        self.assertPage(self.submit(sent), "inbound")
        self.assertIn("not received your text yet", self.error_text())
        self.assertEqual(d.find_element(By.ID, "inbound-code").text.strip(), code)
        self.shoot("9-inbound-not-yet")
        self.accessible_once("9-inbound-not-yet")
        self.assertEqual(self.fake.send_inbound(self.hook_url, "+12025550146", INBOUND,
                                                "my code: " + code.lower()), 200)
        sent = d.find_element(By.CSS_SELECTOR, '#sent-form button[type="submit"]')
        self.assertPage(self.submit(sent), "success")
        self.shoot("10-inbound-success")
        self.assert_local_only()
        self.assert_no_console_errors()

    def test_6_undelivered_text(self):
        """Telnyx reports the text undelivered: the code form says so and
        sends a new code at once."""
        d = self.driver
        self.fake.final_status = "delivery_failed"
        self.fake.auto_receipts = True
        try:
            # This text's two receipts (sent, then finalized), over the
            # posts of the tests before (test_5's inbound text).
            taken = len(self.fake.accepted_webhooks())
            self.request("(202) 555-0147", "+12025550147")
            self.assertTrue(self.fake.wait_webhooks(taken + 2, timeout=20), self.fake.webhook_posts)
        finally:
            self.fake.auto_receipts = False
            self.fake.final_status = "delivered"
        d.get(self.url("verify.cgi"))
        self.assertPage(self.page(), "verify")
        box = d.find_element(By.ID, "undelivered")
        self.assertTrue(box.is_displayed())
        self.assertIn("could not be delivered", box.text)
        self.shoot("11-undelivered")
        self.accessible_once("11-undelivered")
        again = d.find_element(By.CSS_SELECTOR, '#resend-form button[type="submit"]')
        self.assertPage(self.submit(again), "verify")
        self.assertEqual(len(self.fake.messages_to("+12025550147")), 2)
        self.assertPage(self.type_code(self.fake.code_for("+12025550147")), "success")
        self.assert_local_only()
        self.assert_no_console_errors()


    def test_7_operator_report(self):
        """otp-admin report --html on what the flows above left: one file
        that the browser shows without any request, four charts."""
        import subprocess
        admin = harness.REPO / "tools" / "otp-admin"
        if not os.access(admin, os.X_OK):
            self.fail("tools/otp-admin is not built")
        self.request("(202) 555-0148", "+12025550148")
        out = Path(self.tmp) / ("%sreport.html" % self.shot_prefix)
        p = subprocess.run([str(admin), "-c", str(self.site.config_path), "report", "--html",
                            str(out)], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        d = self.driver
        d.get_log("performance")
        d.get(out.as_uri())
        self.assertEqual(d.title, "otp report")
        charts = d.find_elements(By.CSS_SELECTOR, "svg")
        self.assertGreaterEqual(len(charts), 3, d.page_source[:2000])
        bars = d.find_elements(By.CSS_SELECTOR, '#per-hour rect[data-series="sent"]')
        self.assertTrue(bars and all(b.size["height"] >= 0 for b in bars))
        sent = int(d.find_element(By.ID, "sent").text)
        self.assertEqual(sum(float(b.get_attribute("data-value")) for b in bars), sent)
        self.shoot("12-operator-report")
        requests = [json.loads(e["message"])["message"] for e in d.get_log("performance")]
        urls = [m["params"]["request"]["url"] for m in requests
                if m.get("method") == "Network.requestWillBeSent"]
        self.assertEqual([u for u in urls if not u.startswith("file:")], [])

    def language_shot(self, name):
        """shoot() for test_8, or, without its screenshots, the phone-width
        check it makes."""
        if self.language_shots:
            self.shoot(name)
            return
        self.metrics(PHONE_WIDTH, PHONE_HEIGHT, True)
        sw = self.driver.execute_script("return document.documentElement.scrollWidth")
        self.assertLessEqual(sw, PHONE_WIDTH, "%s: %d px wide on a %d-px screen" % (name, sw, PHONE_WIDTH))
        self.desktop()

    def accessible_once(self, where):
        """assert_accessible(), once (behind lighttpd): the pages are the
        same behind every server."""
        if self.language_shots:
            self.assert_accessible(where)

    def test_8_languages(self):
        """The flow in each shipped language, the browser set to it."""
        d = self.driver
        self.site.write_config(LANGUAGES=",".join(tag for tag, _ in LANGUAGES))
        self.addCleanup(self.accept_language, "en-US,en")
        for i, (tag, header) in enumerate(LANGUAGES):
            with self.subTest(lang=tag):
                w = lang_words(tag)
                typed, e164 = "(202) 555-%04d" % (160 + i), "+1202555%04d" % (160 + i)
                d.delete_all_cookies()
                self.accept_language(header)
                self.assertEqual(d.execute_script("return navigator.languages")[0], header.split(",")[0])
                d.get(self.url("request.cgi"))
                self.assertEqual(self.page(), "index")
                self.assert_language(tag, w, "phone form")
                self.assertEqual(d.title, w["S_PHONE_TITLE"])
                self.assertEqual(d.find_element(By.TAG_NAME, "h1").text, w["S_PHONE_TITLE"])
                self.assertEqual(d.find_element(By.CSS_SELECTOR, "label[for=phone]").text, w["S_PHONE_LABEL"])
                self.accessible_once("%s: phone form" % tag)
                self.language_shot("lang-%s-1-index" % tag)
                phone = d.find_element(By.ID, "phone")
                phone.send_keys(typed)
                self.assertPage(self.submit(phone), "verify")
                self.assert_language(tag, w, "code form")
                self.assertEqual(d.find_element(By.TAG_NAME, "h1").text, w["S_CODE_TITLE"])
                self.assertEqual(d.find_element(By.CSS_SELECTOR, "#verify-form button").text, w["S_VERIFY"])
                self.accessible_once("%s: code form" % tag)
                self.language_shot("lang-%s-2-verify" % tag)
                texts = [m["text"] for m in self.fake.messages_to(e164)]
                self.assertEqual(len(texts), 1, texts)
                # These sites name none (no SITE_ORIGIN, no SITE_NAME): the text without it.
                before, after = w.get("SMS_NO_SITE", w["SMS"]).split("{code}", 1)
                self.assertTrue(texts[0].startswith(before) and texts[0].endswith(after), texts)
                code = texts[0][len(before):len(texts[0]) - len(after)]
                self.assertRegex(code, "^[0-9A-F]{4,10}$")
                self.assertNotIn(code, d.page_source)

                wrong = ("1" if code[0] == "0" else "0") + code[1:]
                self.assertPage(self.type_code(wrong), "verify")
                self.assert_language(tag, w, "wrong code")
                self.assertEqual(self.error_text(), "%s %s" % (w["MESSAGE_WRONG"], w["S_TRIES"].replace("{n}", "4")))
                self.accessible_once("%s: wrong code" % tag)
                self.language_shot("lang-%s-3-wrong-code" % tag)
                self.assertPage(self.type_code(code), "success")
                self.assert_language(tag, w, "success")
                self.assertEqual(d.find_element(By.TAG_NAME, "h1").text, w["S_SUCCESS_TITLE"])
                self.accessible_once("%s: success" % tag)
                self.language_shot("lang-%s-4-success" % tag)
        self.assert_local_only()
        self.assert_no_console_errors()


class ApacheBrowserFlow(BrowserFlow):
    """The same through Apache (event MPM + mod_cgid)."""

    server_class = harness.Apache
    shot_prefix = "apache-"
    language_shots = False


class LighttpdFastCGIBrowserFlow(BrowserFlow):
    """The same with the programs as FastCGI applications (lighttpd mod_fastcgi)."""

    server_class = harness.LighttpdFastCGI
    shot_prefix = "lighttpd-fastcgi-"
    language_shots = False


class ApacheFcgidBrowserFlow(BrowserFlow):
    """The same with the programs as FastCGI applications (Apache mod_fcgid)."""

    server_class = harness.ApacheFcgid
    shot_prefix = "apache-fcgid-"
    language_shots = False


if __name__ == "__main__":
    unittest.main()
