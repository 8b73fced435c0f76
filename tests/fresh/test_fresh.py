"""The README's set-up on a fresh Debian 12, as a newcomer meets it.

A minimal root (mmdebstrap --variant=apt --include=make) from the package
registry this machine's apt uses, the checkout copied in, then, as a
newcomer would, once each and as root with no sudo: `make` (one line naming
`make deps`, nothing built), and `make run`, whose flow is walked over HTTP
from here: the phone form, a code "sent" to the outbox and printed by
`make run`, the code typed, the success page.  Prints the packages and
megabytes `make run` installed, and fails if it installed a test tool.

Root only (chroot and mounts; CI is root).  Everything runs in a private
mount and pid namespace (unshare): its mounts and processes end with it,
and the root is removed afterwards."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
import harness  # noqa: E402
from fake_telnyx import extract_code  # noqa: E402

REPO = harness.REPO
SUITE = "bookworm"
BUILD_DEADLINE = 480  # s for `make run` to install, build and serve
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# What only the tests use: `make run` must install none of them.
TEST_TOOLS = ("chromium", "postgresql", "clang", "valgrind", "lintian", "apache2",
              "php-cli", "libcmocka-dev", "mmdebstrap")


def run(argv, timeout=300, **kw):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if p.returncode != 0:
        raise AssertionError("%s: exit %d\n%s\n%s" % (" ".join(map(str, argv)), p.returncode,
                                                      p.stdout[-3000:], p.stderr[-3000:]))
    return p


def apt_sources():
    """The sources this machine's apt reads: the registry the root is made from."""
    files = [Path("/etc/apt/sources.list")] + sorted(Path("/etc/apt/sources.list.d").glob("*"))
    return [str(f) for f in files
            if f.suffix in (".list", ".sources") and f.is_file() and f.read_text().strip()]


def apt_options():
    """This machine's Acquire:: settings (a registry that serves a dated
    snapshot needs Check-Valid-Until "false"): the root's apt gets them too."""
    d = Path("/etc/apt/apt.conf.d")
    return [str(f) for f in sorted(d.glob("*")) if f.is_file() and "Acquire::" in f.read_text()]


def packages(root):
    """{package: installed size in KiB} of a root."""
    p = run(["chroot", root, "dpkg-query", "-W", "-f=${db:Status-Abbrev} ${Package} ${Installed-Size}\n"])
    out = {}
    for line in p.stdout.splitlines():
        f = line.split()
        if len(f) == 3 and f[0] == "ii":
            out[f[1]] = int(f[2]) if f[2].isdigit() else 0
    return out


def mounts_under(root):
    with open("/proc/mounts") as f:
        return [line.split()[1] for line in f if line.split()[1].startswith(str(root))]


class Newcomer:
    """One command in the root, as root with a login's environment, inside
    a private mount and pid namespace: /dev, /proc and /sys mounted for it
    there only.  The namespace's first process is a shell that waits for
    the command (as pid 1 it ignores Ctrl-C, so the command meets it as in
    a terminal).  Its output is read as it comes."""

    def __init__(self, root, command):
        script = ('mount --rbind /dev "$1/dev" && mount -t proc proc "$1/proc" && '
                  'mount -t sysfs sysfs "$1/sys" && '
                  'chroot "$1" /usr/bin/env -i PATH=%s HOME=/root TERM=dumb '
                  '/bin/sh -c "cd /root/otp && exec $2"' % PATH)
        self.proc = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "--pid", "--fork", "--kill-child",
             "/bin/sh", "-c", script, "sh", str(root), command],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            with self.cond:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.lines.append(None)  # end of output
            self.cond.notify_all()

    def wait_for(self, pattern, timeout):
        """The first line matching pattern, seen from the start, or None at
        the end of output or after timeout seconds."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        with self.cond:
            while True:
                for line in self.lines:
                    if line is None:
                        return None
                    m = rx.search(line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(min(left, 1.0))

    def output(self, tail=60):
        with self.cond:
            return "\n".join(l for l in self.lines[-tail:] if l is not None)

    def stop(self):
        """Ctrl-C, as the newcomer stops `make run`; then the namespace's
        end (SIGKILL to all in it), bounded."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=20)
        self.reader.join(timeout=10)
        self.proc.stdout.close()


class FreshDebianTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("root only: a chroot with mounts")
        for tool in ("/usr/bin/mmdebstrap", "/usr/bin/unshare", "/usr/bin/git"):
            harness.need(tool, os.path.basename(tool))
        cls.dir = Path(tempfile.mkdtemp(prefix="otp-fresh-", dir="/var/tmp"))
        cls.root = cls.dir / "root"
        try:
            t = time.monotonic()
            argv = ["mmdebstrap", "--variant=apt", "--include=make", "--quiet"]
            argv += ["--aptopt=" + f for f in apt_options()]
            run(argv + [SUITE, str(cls.root)] + apt_sources(), timeout=300)
            print("fresh root: %d packages in %.0f s" % (len(packages(cls.root)), time.monotonic() - t))
            dest = cls.root / "root" / "otp"
            dest.mkdir(parents=True)
            files = run(["git", "-C", str(REPO), "ls-files", "-z"]).stdout.split("\0")
            for rel in filter(None, files):
                src = REPO / rel
                if src.is_file():  # a file deleted and not yet committed is not there
                    (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, dest / rel, follow_symlinks=False)
        except BaseException:
            cls.remove_root()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.remove_root()

    @classmethod
    def remove_root(cls):
        left = mounts_under(cls.dir)
        if left:  # never remove through a mount of the host's /dev
            raise AssertionError("mounts left under %s: %s" % (cls.dir, left))
        shutil.rmtree(cls.dir, ignore_errors=True)

    def newcomer(self, command):
        n = Newcomer(self.root, command)
        self.addCleanup(self.assertEqual, mounts_under(self.dir), [])
        self.addCleanup(n.stop)
        return n

    def test_1_make_without_packages_names_make_deps(self):
        n = self.newcomer("make")
        self.assertIsNone(n.wait_for(r"^cc |^g\+\+ ", 0))
        n.proc.wait(timeout=60)
        n.reader.join(timeout=10)
        out = n.output()
        self.assertEqual(n.proc.returncode, 2, out)
        lines = out.splitlines()
        self.assertEqual(len(lines), 1, out)
        self.assertIn("`make deps`", lines[0])
        self.assertIn("not installed: ", lines[0])
        self.assertNotIn("pkg-config search path", out)
        self.assertFalse((self.root / "root/otp/lib/libotp.a").exists())

    def test_2_make_run_serves_the_flow(self):
        before = packages(self.root)
        port = harness.free_port()
        t = time.monotonic()
        n = self.newcomer("make run RUN_PORT=%d" % port)
        served = n.wait_for(r"serving http://127\.0\.0\.1:%d/ \(the phone form is (\S+)\)" % port,
                            BUILD_DEADLINE)
        self.assertIsNotNone(served, "make run did not serve in %d s:\n%s" % (BUILD_DEADLINE, n.output()))
        took = time.monotonic() - t
        after = packages(self.root)
        new = sorted(set(after) - set(before))
        mb = sum(after[p] for p in new) / 1024
        print("make run on a fresh %s: %d packages installed, %.0f MB, served in %.0f s"
              % (SUITE, len(new), mb, took))
        self.assertEqual([p for p in TEST_TOOLS if p in after], [], "make run installed test tools")
        self.assertLess(len(new), 200, new)

        server = type("S", (), {"url": lambda s, path: "http://127.0.0.1:%d%s" % (port, path)})()
        c = harness.Client(server)
        r = c.get("/")
        self.assertIn(r.status, (301, 302), r)
        form = urllib.parse.urljoin(r.url, r.header("Location"))
        self.assertEqual(urllib.parse.urlsplit(form).path, served.group(1))
        r = c.get(form)
        self.assertEqual((r.status, r.page()), (200, "index"), r)
        r = c.post(form, {"phone": "(202) 555-0143"})
        self.assertEqual((r.status, r.page()), (200, "verify"), r)
        sms = n.wait_for(r"^SMS to \+12025550143: (.*)$", 30)
        self.assertIsNotNone(sms, n.output())
        code = extract_code(sms.group(1))
        self.assertTrue(code, sms.group(0))
        self.assertNotIn(code, r.text)
        r = c.post(urllib.parse.urljoin(form, "verify.cgi"), {"token": code})
        self.assertEqual((r.status, r.page()), (200, "success"), r)

        n.stop()
        self.assertEqual(n.proc.returncode is not None, True)
        self.assertIsNotNone(n.wait_for(r"^stopped\.$", 0), "make run did not stop on Ctrl-C:\n" + n.output())


if __name__ == "__main__":
    unittest.main()
