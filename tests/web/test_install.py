"""
`make install`: from a copy of the source tree (so the work tree's build is
left alone), install with PREFIX under a temporary root, check the tree
(programs, templates, example config, state directory), that a second
install keeps the site owner's config, and that the installed programs,
behind Apache configured from apache-example.conf as it stands (only the
root prefixed), work with the defaults compiled in: no DB_PATH or
TEMPLATE_DIR in the config.  Also DESTDIR staging: nothing lands outside
DESTDIR.
"""

import os
import shutil
import subprocess
import unittest
from pathlib import Path

import harness
from webcase import ServerCase

MAKE_TIMEOUT = 600
SOURCE_EXCLUDE = {".git", "run", "build", "__pycache__", "out"}


def copy_source(dst):
    """The work tree's sources, without build products or run state."""

    def ignore(d, names):
        skip = set()
        for n in names:
            if n in SOURCE_EXCLUDE or n.endswith((".o", ".a", ".cgi", ".run", ".asan", ".fuzz")):
                skip.add(n)
        if Path(d) == harness.REPO / "lib":
            skip.add("store_schema.h")
        return skip

    shutil.copytree(harness.REPO, dst, ignore=ignore, symlinks=True)


def make(src, *args):
    r = subprocess.run(["make", "-C", str(src), "-j2", *args], capture_output=True, text=True,
                       timeout=MAKE_TIMEOUT, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise AssertionError("make %s failed:\n%s\n%s" % (" ".join(args), r.stdout[-3000:], r.stderr[-3000:]))
    return r


def files_under(root):
    return sorted(str(p.relative_to(root)) for p in Path(root).rglob("*"))


class InstallPrefix(ServerCase):
    """make install PREFIX=<root>/usr/local: the layout the examples name."""

    server_class = harness.Apache

    @classmethod
    def setUpClass(cls):
        harness.need(harness.APACHE, "apache")
        if not shutil.which("make"):
            raise unittest.SkipTest("no make")
        cls.tmp = harness.temp_root("otp-install-")
        if not os.environ.get("OTP_KEEP_TMP"):
            cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.root = Path(cls.tmp)
        os.chmod(cls.root, 0o755)
        cls.src = cls.root / "src"
        copy_source(cls.src)
        cls.install_prefix = str(cls.root) + harness.EXAMPLE_PREFIX
        cls.make_args = ("PREFIX=" + cls.install_prefix,)
        make(cls.src, "install", *cls.make_args)
        cls.installed = files_under(cls.root / harness.EXAMPLE_PREFIX.lstrip("/"))

        from fake_telnyx import FakeTelnyx
        cls.fake = FakeTelnyx(mode="ok").start()
        cls.addClassCleanup(cls.fake.stop)
        # The admin's edit of the installed config: outbox, a key; no paths,
        # so the compiled-in DB_PATH and TEMPLATE_DIR are used.
        cls.site = harness.Site(cls.root, {"DB_PATH": None, "TEMPLATE_DIR": None, "OUTBOX_PATH": None,
                                           "SMS_TRANSPORT": "telnyx", "API_BASE_URL": cls.fake.url},
                                installed=True)
        cls.server = harness.Apache(cls.site)
        cls.addClassCleanup(cls.server.stop)
        cls.server.start()

    def p(self, example_path):
        return self.root / example_path.lstrip("/")

    def test_tree(self):
        cgi = self.p(harness.EXAMPLE_CGI_DIR)
        self.assertTrue(cgi.is_dir(), "CGIDIR is not where the examples look (%s): installed %s"
                        % (harness.EXAMPLE_CGI_DIR, self.installed))
        self.assertEqual(sorted(p.name for p in cgi.iterdir()),
                         ["request.cgi", "verify.cgi", "webhook.cgi"],
                         "the ScriptAlias directory must hold the three programs only")
        for name in harness.PROGRAMS:
            self.assertTrue(os.access(cgi / name, os.X_OK), name)
        tpl = self.p(harness.EXAMPLE_TEMPLATE_DIR)
        for name in ("index.html", "verify.html", "verify_success.html", "error.html",
                     "inbound.html", "_header.html", "_footer.html", "_style.css"):
            self.assertTrue((tpl / name).is_file(), "%s missing from %s" % (name, tpl))
        # The phone number wrapper as a file, for hosts that refuse it from memory.
        self.assertTrue(self.p(harness.EXAMPLE_PREFIX + "/lib/otp/otp-phonenumber.so").is_file(),
                        self.installed)
        conf = self.p(harness.EXAMPLE_CONFIG)
        self.assertTrue(conf.is_file())
        self.assertTrue((conf.parent / "otp.conf.example").is_file())
        self.assertEqual(os.stat(conf).st_mode & 0o007, 0, "config readable by others")
        state = self.p(harness.EXAMPLE_STATE_DIR)
        self.assertTrue(state.is_dir())
        self.assertEqual(os.stat(state).st_mode & 0o007, 0, "state dir open to others")

    def test_second_install_keeps_config(self):
        conf = self.p(harness.EXAMPLE_CONFIG)
        before = conf.read_text()
        self.assertIn(harness.SECRET_KEY, before)  # the site's own config
        make(self.src, "install", *self.make_args)
        self.assertEqual(conf.read_text(), before, "make install overwrote the config")

    def test_flow_with_compiled_defaults(self):
        self.assertNotIn("DB_PATH", self.site.config_path.read_text())
        c = self.client()
        _, code = self.request_code(c, "2025550180", "+12025550180")
        self.assertStatus(self.verify(c, code), 200, "success")
        self.assertTrue(self.p(harness.EXAMPLE_STATE_DIR + "/otp.db").exists(),
                        "the database is not in LOCALSTATEDIR/lib/otp: %s"
                        % files_under(self.p(harness.EXAMPLE_STATE_DIR)))

    def test_config_default_compiled_in(self):
        # Without OTP_CONFIG the program reads SYSCONFDIR/otp/otp.conf.
        prog = self.p(harness.EXAMPLE_CGI_DIR) / "request.cgi"
        env = {"REQUEST_METHOD": "GET", "GATEWAY_INTERFACE": "CGI/1.1", "SCRIPT_NAME": "/otp/request.cgi",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1"}
        who = {"user": self.site.uid, "group": self.site.gid} if os.geteuid() == 0 else {}
        r = subprocess.run([str(prog)], env=env, capture_output=True, timeout=30, stdin=subprocess.DEVNULL, **who)
        self.assertIn(b"Status: 200", r.stdout.split(b"\r\n\r\n")[0], r.stdout[:300] + r.stderr[:500])


class InstallDestdir(unittest.TestCase):
    """make install DESTDIR=<stage> PREFIX=/usr SYSCONFDIR=/etc
    LOCALSTATEDIR=/var: everything lands under the stage, in the
    packager's layout."""

    @classmethod
    def setUpClass(cls):
        if not shutil.which("make"):
            raise unittest.SkipTest("no make")
        cls.tmp = Path(harness.temp_root("otp-destdir-"))
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.src = cls.tmp / "src"
        copy_source(cls.src)
        cls.stage = cls.tmp / "stage"
        cls.args = ("DESTDIR=" + str(cls.stage), "PREFIX=/usr", "SYSCONFDIR=/etc", "LOCALSTATEDIR=/var",
                    "CGIDIR=/usr/lib/cgi-bin/otp")
        make(cls.src, "install", *cls.args)

    def test_layout(self):
        s = self.stage
        for f in ("usr/lib/cgi-bin/otp/request.cgi", "usr/lib/cgi-bin/otp/verify.cgi",
                  "usr/share/otp/templates/index.html", "etc/otp/otp.conf", "etc/otp/otp.conf.example"):
            self.assertTrue((s / f).is_file(), "%s not installed: %s" % (f, files_under(s)))
        self.assertTrue((s / "var/lib/otp").is_dir(), files_under(s))

    def test_defaults_follow_variables(self):
        data = (self.stage / "usr/lib/cgi-bin/otp/request.cgi").read_bytes()
        for path in (b"/etc/otp/otp.conf", b"/var/lib/otp/otp.db", b"/usr/share/otp/templates"):
            self.assertIn(path, data, "compiled-in default %s missing" % path.decode())
        self.assertNotIn(str(self.stage).encode(), data, "DESTDIR leaked into the program")

    def test_reinstall_keeps_config(self):
        conf = self.stage / "etc/otp/otp.conf"
        conf.write_text("API_KEY='mine'\n")
        make(self.src, "install", *self.args)
        self.assertEqual(conf.read_text(), "API_KEY='mine'\n")


if __name__ == "__main__":
    unittest.main()
