"""Issue 22, part 4: sending on a hardened host.  request.cgi loads the
phone number wrapper from an executable memory file; a kernel that refuses
those (vm.memfd_noexec=2, here in a private pid namespace, where the
setting is the namespace's own), or a host without /proc (a private mount
namespace with an empty /proc), used to make every send answer 503 with
"memfd_create: Permission denied".  Now the wrapper is loaded as a file,
beside the program or from the library directory make install uses, and
without one the log names the cause and the fix.  Root only (namespaces)."""

import os
import shutil
import stat
import unittest

from harness import BUILT_DIR, CGITestCase, REPO, form

WRAPPER = REPO / 'lib' / 'otp-phonenumber.so'
INSTALLED = '/usr/local/lib/otp/otp-phonenumber.so'  # the Makefile's LIBDIR by default
PHONE = '+12025550143'

# How the program is started: in a pid namespace with memfd_noexec=2, or in
# a mount namespace whose /proc is empty.  "$1" is the program's absolute path.
HARDENINGS = {
    'memfd_noexec=2': "exec /usr/bin/unshare --pid --fork /bin/sh -c "
                      "'echo 2 > /proc/sys/vm/memfd_noexec && exec \"$0\"' \"$1\"",
    'no /proc': "exec /usr/bin/unshare --mount --propagation private /bin/sh -c "
                "'/bin/mount -t tmpfs none /proc && exec \"$0\"' \"$1\"",
}


# The sanitizers read their options and do their leak check through /proc:
# the ASan-built programs (suite cgi-asan) cannot run without it.
ASAN = 'ASAN_OPTIONS' in os.environ


@unittest.skipUnless(os.geteuid() == 0, 'root only: namespaces')
class HardenedHostTest(CGITestCase):
    def program(self, hardening, beside):
        """request.cgi copied into a directory of its own (with the wrapper
        file beside it or not), started through hardening."""
        d = self.site.dir / ('bin-%s-%d' % (hardening.replace(' ', '').replace('/', ''),
                                            beside))
        d.mkdir()
        shutil.copy2(BUILT_DIR / 'request.cgi', d / 'request.cgi')
        if beside:
            shutil.copy2(WRAPPER, d / 'otp-phonenumber.so')
        start = d / 'start.sh'
        start.write_text('#!/bin/sh\nset -- "%s"\n%s\n' % (d / 'request.cgi',
                                                            HARDENINGS[hardening]))
        start.chmod(stat.S_IRWXU)
        return start

    def send(self, prog):
        return self.site.run(prog, 'POST', form(phone=PHONE), script_name='/cgi-bin/request.cgi')

    def test_memfd_refused_is_the_cause(self):
        # The namespace really refuses it: what the program met before.
        r = self.send(self.program('memfd_noexec=2', False))
        if os.path.exists(INSTALLED):
            self.skipTest('%s is installed on this machine' % INSTALLED)
        self.assertEqual(r.status, 500, r.describe())  # the host, not a request, is at fault
        self.assertIn('the host refuses it from memory (memfd_create: Permission denied: a '
                      'kernel with vm.memfd_noexec=2', r.stderr, r.describe())
        self.assertIn('make install puts lib/otp-phonenumber.so there, or copy it beside the '
                      'program', r.stderr)
        self.assertEqual(self.fake.messages, [])

    @unittest.skipIf(ASAN, 'the sanitizers need /proc')
    def test_no_proc_is_named_too(self):
        r = self.send(self.program('no /proc', False))
        if os.path.exists(INSTALLED):
            self.skipTest('%s is installed on this machine' % INSTALLED)
        self.assertEqual(r.status, 500, r.describe())  # the host, not a request, is at fault
        self.assertIn('the host refuses it from memory (/proc/self/fd/', r.stderr, r.describe())
        self.assertEqual(self.fake.messages, [])

    def test_the_file_beside_the_program_sends(self):
        for hardening in HARDENINGS:
            if hardening == 'no /proc' and ASAN:
                continue  # the sanitizers need /proc
            with self.subTest(hardening=hardening):
                before = len(self.fake.messages_to(PHONE))
                r = self.send(self.program(hardening, True))
                self.assertStatus(r, 200, 'verify')
                self.assertTrue(self.fake.wait_messages(before + 1, 5), r.describe())
                self.assertEqual(len(self.fake.messages_to(PHONE)), before + 1)
                self.site.age_sends(60)  # past RESEND_AFTER for the next round

    def test_an_ordinary_host_still_loads_it_from_memory(self):
        # No file anywhere: the memory file is what loads it.
        d = self.site.dir / 'plain'
        d.mkdir()
        shutil.copy2(BUILT_DIR / 'request.cgi', d / 'request.cgi')
        r = self.send(d / 'request.cgi')
        self.assertStatus(r, 200, 'verify')


if __name__ == '__main__':
    unittest.main()
