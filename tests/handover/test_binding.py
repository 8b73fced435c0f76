"""An assertion names the return_to it was made for, so a site that puts a
state of the visitor's session in return_to can refuse an assertion made
for somebody else's flow (an attacker's own, pushed to the victim by a
link).  Each checker enforces it when given the expected return_to."""

import subprocess

from test_support import HandoverCase, PHONE, SIGNING_KEY, PHP, CHECKER, PYTHON, REPO, read_assertion


class BindingTest(HandoverCase):

    def check_bound(self, assertion, return_to, seen):
        """(rc, stdout) of each checker asked to accept assertion for return_to."""
        c = subprocess.run([str(CHECKER), '-c', str(self.site.config_path), '-r', return_to,
                            'verify', assertion], capture_output=True, text=True, timeout=30)
        py = subprocess.run([PYTHON, '-B', '-c',
                             'import sys; sys.path.insert(0, "tools"); import otp_assertion as o\n'
                             'try:\n    print(o.verify(sys.argv[1], sys.argv[2], 300, sys.argv[3],'
                             ' sys.argv[4]))\n'
                             'except ValueError as e:\n    sys.exit("refused: %s" % e)\n',
                             assertion, SIGNING_KEY, str(seen) + '.db', return_to],
                            cwd=str(REPO), capture_output=True, text=True, timeout=30)
        out = [(c.returncode, c.stdout.strip()), (py.returncode, py.stdout.strip())]
        if PHP is not None:
            php = subprocess.run([PHP, '-n', '-r',
                                  'require "tools/otp_assertion.php";\n'
                                  'try { echo otp_assertion_verify($argv[1], $argv[2], 300,'
                                  ' $argv[3], $argv[4]), "\\n"; }\n'
                                  'catch (UnexpectedValueException $e) { exit(1); }\n',
                                  assertion, SIGNING_KEY, str(seen) + '.txt', return_to],
                                 cwd=str(REPO), capture_output=True, text=True, timeout=30)
            out.append((php.returncode, php.stdout.strip()))
        return out

    def test_payload_names_return_to(self):
        a = self.flow_assertion(return_to='/account/done?state=abc123')
        self.assertEqual(read_assertion(a)['return_to'], '/account/done?state=abc123')

    def test_assertion_for_another_state_refused(self):
        a = self.flow_assertion(return_to='/account/done?state=attacker')
        for rc, out in self.check_bound(a, '/account/done?state=victim', self.site.dir / 's1'):
            self.assertNotEqual(rc, 0)
            self.assertEqual(out, '')

    def test_assertion_for_the_same_state_accepted(self):
        a = self.flow_assertion(return_to='/account/done?state=victim')
        for rc, out in self.check_bound(a, '/account/done?state=victim', self.site.dir / 's2'):
            self.assertEqual((rc, out), (0, PHONE))
