"""The Debian package (debian/, make deb), as an admin meets it: built,
checked by lintian, its files where Debian puts them, installed with apt on
this machine, the whole flow through the system's Apache with only the
config edited, upgraded over itself with the edit kept, and purged leaving
nothing behind.  It installs into this system, so it runs as root only (CI
is root) and leaves the system as it found it (purge, Apache stopped)."""

import http.cookiejar
import json
import os
import re
import shutil
import stat
import subprocess
import time
import unittest
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NAME = 'sms-otp'
CONF = Path('/etc/sms-otp/otp.conf')
STATE = Path('/var/lib/sms-otp')
CGI = Path('/usr/lib/cgi-bin/sms-otp')
OUTBOX = STATE / 'outbox.jsonl'
BASE = 'http://127.0.0.1/sms-otp/'
APT_ENV = dict(os.environ, DEBIAN_FRONTEND='noninteractive')

# What the package holds, by path: each must be there.
LAYOUT = [
    'usr/lib/cgi-bin/sms-otp/request.cgi', 'usr/lib/cgi-bin/sms-otp/verify.cgi',
    'usr/lib/cgi-bin/sms-otp/webhook.cgi', 'usr/sbin/otp-admin', 'usr/bin/otp-assertion',
    'usr/lib/sms-otp/otp-phonenumber.so',
    'usr/share/sms-otp/templates/index.html', 'usr/share/sms-otp/templates/_style.css',
    'usr/share/sms-otp/templates/lang/en.conf',
    'usr/share/sms-otp/templates/lang/ar.conf', 'usr/share/sms-otp/otp.conf.example',
    'etc/apache2/conf-available/sms-otp.conf', 'etc/lighttpd/conf-available/50-sms-otp.conf',
    'usr/share/man/man5/otp.conf.5.gz', 'usr/share/man/man8/otp-admin.8.gz',
    'usr/share/man/man8/otp-cgi.8.gz', 'usr/share/man/man1/otp-assertion.1.gz',
    'usr/share/doc/sms-otp/README.md.gz', 'usr/share/doc/sms-otp/copyright',
    'usr/share/doc/sms-otp/examples/otp.conf.example',
    'usr/share/doc/sms-otp/examples/apache-example.conf',
]


def run(argv, timeout=600, check=True, **kw):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise AssertionError('%s: exit %d\n%s\n%s' % (' '.join(map(str, argv)), p.returncode,
                                                      p.stdout[-3000:], p.stderr[-3000:]))
    return p


def installed():
    p = run(['dpkg-query', '-W', '-f=${Status}', NAME], check=False)
    return p.returncode == 0 and 'installed' in p.stdout and 'not-installed' not in p.stdout


def apache(action):
    """apache2ctl start or stop, waiting (bounded) for port 80 to follow."""
    run(['apache2ctl', action], timeout=60, check=action == 'start')
    for _ in range(100):
        if _port_open() == (action == 'start') and (action == 'stop' or _cgid_ready()):
            break
        time.sleep(0.1)
    else:
        raise AssertionError('apache2 did not %s' % action + _apache_log())
    # Ready when Apache itself no longer answers 503 (its own page, not the
    # programs'): a bounded wait; a 503 that stays fails the test's checks.
    for _ in range(75 if action == 'start' else 0):
        status, page = Browser().go('request.cgi')  # the phone form: no state
        if status != 503 or '<address>Apache' not in page:
            return
        time.sleep(0.2)


def _cgid_ready():
    """mod_cgid's daemon listens and has handed its socket to www-data (the
    workers cannot connect before: a 503); a server that listens on port 80
    may not be there yet."""
    import pwd
    uid = pwd.getpwnam('www-data').pw_uid
    return any(p.stat().st_uid == uid for p in Path('/run/apache2').rglob('cgisock*'))


def _apache_log():
    """The end of the system Apache's error log, for a failure's message."""
    try:
        return '\n--- /var/log/apache2/error.log:\n' + \
            '\n'.join(Path('/var/log/apache2/error.log').read_text().splitlines()[-30:])
    except OSError as e:
        return '\n(no Apache error log: %s)' % e


def _port_open():
    import socket
    s = socket.socket()
    s.settimeout(0.5)
    try:
        s.connect(('127.0.0.1', 80))
        return True
    except OSError:
        return False
    finally:
        s.close()


class Browser:
    """Cookies kept, no redirects followed."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def go(self, path, fields=None):
        data = urllib.parse.urlencode(fields).encode() if fields is not None else None
        req = urllib.request.Request(BASE + path, data=data,
                                     headers={'Origin': 'http://127.0.0.1'} if data else {})
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()


@unittest.skipUnless(os.geteuid() == 0, 'the package test installs into the system: root only '
                     '(CI runs it as root)')
class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for tool in ('dpkg-buildpackage', 'lintian', 'apt-get', 'apache2ctl', 'dh_apache2'):
            if shutil.which(tool) is None:
                if os.environ.get('CI'):
                    raise AssertionError('%s missing: make deps installs it' % tool)
                raise unittest.SkipTest('%s is not installed (make deps)' % tool)
        if installed():
            raise unittest.SkipTest('sms-otp is installed on this machine already: the test '
                                    'will not touch an admin\'s installation')
        if _port_open():
            raise unittest.SkipTest('something listens on port 80 already')
        run(['make', '-s', 'deb'], cwd=REPO, timeout=1200)
        debs = sorted((REPO / 'build' / 'deb').glob('sms-otp_*.deb'))
        assert len(debs) == 1, debs
        cls.deb = debs[0]

    def setUp(self):
        import tempfile
        self.tmp = tempfile.mkdtemp(prefix='otp-deb-')
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_1_lintian(self):
        p = run(['lintian', '--fail-on', 'error,warning', str(self.deb)], check=False)
        bad = [l for l in (p.stdout + p.stderr).splitlines() if re.match(r'^[EW]: ', l)]
        self.assertEqual(bad, [])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_2_layout(self):
        listing = run(['dpkg-deb', '-c', str(self.deb)]).stdout
        paths = {line.split()[-1].lstrip('./') for line in listing.splitlines()}
        for want in LAYOUT:
            self.assertIn(want, paths)
        # The config and the database are made at installation, never shipped.
        self.assertFalse([p for p in paths if p.startswith('etc/sms-otp')], paths)
        self.assertFalse([p for p in paths if p.startswith('var/')], paths)
        # The web servers' snippets are conffiles: an admin's edit survives.
        ctrl = Path(self.tmp) / 'control'
        run(['dpkg-deb', '-e', str(self.deb), str(ctrl)])
        self.assertEqual(sorted((ctrl / 'conffiles').read_text().split()),
                         ['/etc/apache2/conf-available/sms-otp.conf',
                          '/etc/lighttpd/conf-available/50-sms-otp.conf'])
        info = run(['dpkg-deb', '-I', str(self.deb)]).stdout
        for dep in ('libc6', 'libcjson1', 'libcurl4', 'libphonenumber8'):
            self.assertRegex(info, r'Depends:.*\b%s\b' % dep)
        self.assertNotRegex(info, r'Depends:.*libpq5')  # DATABASE_URL only: Suggests

    def test_3_install_flow_upgrade_purge(self):
        self.addCleanup(self._purge_quietly)
        run(['apt-get', 'install', '-y', '-q', str(self.deb)], env=APT_ENV)
        self.assertTrue(installed())
        # A config of this installation's own: a random SECRET_KEY, 0640 root:www-data.
        st = CONF.stat()
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o640)
        self.assertEqual((st.st_uid, _group(st.st_gid)), (0, 'www-data'))
        key = re.findall(r"^SECRET_KEY='([0-9a-f]+)'$", CONF.read_text(), re.M)
        self.assertEqual(len(key), 1)
        self.assertEqual(len(key[0]), 64)
        st = STATE.stat()
        self.assertEqual(_user(st.st_uid), 'www-data')
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o700)
        self.assertTrue(Path('/etc/apache2/conf-enabled/sms-otp.conf').is_symlink())
        self.assertTrue(Path('/etc/apache2/mods-enabled/cgid.load').exists())
        # Only the config edited: the outbox instead of Telnyx.
        text = CONF.read_text() + "SMS_TRANSPORT=outbox\nOUTBOX_PATH='%s'\n" % OUTBOX
        CONF.write_text(text)
        p = run(['otp-admin', 'check-config'])
        self.assertIn('the programs would run with it', p.stdout)
        apache('start')
        self.addCleanup(apache, 'stop')
        b = Browser()
        status, page = b.go('request.cgi')
        self.assertEqual(status, 200, page[:500] + _apache_log())
        self.assertIn('data-page="index"', page)
        status, page = b.go('request.cgi', {'phone': '2025550143'})
        self.assertEqual(status, 200, page[:2000] + _apache_log())
        self.assertIn('data-page="verify"', page)
        sent = [json.loads(l) for l in OUTBOX.read_text().splitlines()]
        self.assertEqual([m['to'] for m in sent], ['+12025550143'])
        code = re.findall(r'([0-9A-F]{4,10})', sent[0]['text'])[-1]
        vid = re.search(r'name="verification_id" value="([0-9a-f]{32})"', page).group(1)
        status, page = b.go('verify.cgi', {'verification_id': vid, 'token': code})
        self.assertEqual(status, 200, page[:2000] + _apache_log())
        self.assertIn('data-page="success"', page)
        self.assertTrue((STATE / 'otp.db').exists())
        # The database and the config are not served.
        for path in ('../../../var/lib/sms-otp/otp.db', 'otp.conf'):
            self.assertNotEqual(b.go(path)[0], 200)
        # Upgraded over itself: the edit and the key are kept, the flow goes on.
        apache('stop')
        run(['apt-get', 'install', '-y', '-q', '--reinstall', str(self.deb)], env=APT_ENV)
        self.assertEqual(CONF.read_text(), text)
        apache('start')
        status, page = Browser().go('request.cgi', {'phone': '2025550144'})
        self.assertEqual(status, 200, page[:2000] + _apache_log())
        apache('stop')
        # Purged: nothing left behind.
        run(['apt-get', 'purge', '-y', '-q', NAME], env=APT_ENV)
        self.assertFalse(installed())
        for gone in (CONF.parent, STATE, CGI, Path('/usr/share/sms-otp'),
                     Path('/etc/apache2/conf-available/sms-otp.conf'),
                     Path('/etc/apache2/conf-enabled/sms-otp.conf'),
                     Path('/etc/lighttpd/conf-available/50-sms-otp.conf')):
            self.assertFalse(gone.exists() or gone.is_symlink(), gone)

    def _purge_quietly(self):
        if installed():
            subprocess.run(['apt-get', 'purge', '-y', '-q', NAME], env=APT_ENV,
                           capture_output=True, timeout=300)


def _group(gid):
    import grp
    return grp.getgrgid(gid).gr_name


def _user(uid):
    import pwd
    return pwd.getpwuid(uid).pw_name


if __name__ == '__main__':
    unittest.main()
