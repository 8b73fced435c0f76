"""FastCGI: the programs kept alive by lighttpd mod_fastcgi serve many
requests each without growing and without carrying anything of one request
into the next.

- a soak of 100,000 requests (wrk, through lighttpd) to the verify.cgi
  processes: each keeps its PID, its RSS stays within 10 % of where it was
  after the first 1,000 or more requests (a 2-second run of the same mix), its open descriptors do not grow, and the
  database file does not grow;
- one process answers JSON and HTML requests interleaved, each as asked;
- a changed config file is read again by the running processes.
"""

import json
import os
import re
import subprocess
import time
import urllib.parse

import harness
from webcase import ServerCase

SOAK_REQUESTS = 100000
WARM_REQUESTS = 1000
WRK_SECONDS = 10
WRK_RUNS_MAX = 12  # bounded: 12 runs of 10 s, however slow the machine

# Each wrk request: a code for an unknown verification (read from the
# database, refused 400/410) or the code form, alternately.
WRK_SCRIPT = r"""
local n = 0
request = function()
  n = n + 1
  if n % 2 == 0 then
    return wrk.format("GET", "/otp/verify.cgi", {["Cookie"] = "otp_vid=%s"})
  end
  return wrk.format("POST", "/otp/verify.cgi",
    {["Content-Type"] = "application/x-www-form-urlencoded",
     ["Accept"] = (n %% 4 == 1) and "application/json" or "text/html"},
    "token=123456&verification_id=%s")
end
"""


def processes(exe):
    """PIDs whose executable is exe."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if os.readlink("/proc/%s/exe" % d) == str(exe):
                pids.append(int(d))
        except OSError:
            pass
    return sorted(pids)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        m = re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M)
    return int(m.group(1))


def fds(pid):
    """What pid's descriptors name, sockets left out: a request in flight
    holds its connection's, which comes and goes."""
    names, sockets = [], 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:"):
            sockets += 1
        else:
            names.append(target)
    return tuple(sorted(names)), sockets


class LighttpdFastCGISoak(ServerCase):
    server_class = harness.LighttpdFastCGI
    settings = {"RESEND_AFTER": 0}

    def verify_url(self):
        return self.path("verify.cgi")

    def snapshot(self, exe):
        pids = processes(exe)
        return {p: (rss_kib(p), fds(p)) for p in pids}

    def wrk(self, script, seconds=WRK_SECONDS):
        r = subprocess.run(["wrk", "-t2", "-c8", "-d%ds" % seconds, "-s", str(script),
                            self.server.base],
                           capture_output=True, text=True, timeout=seconds + 60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        m = re.search(r"(\d+) requests in", r.stdout)
        self.assertIsNotNone(m, r.stdout)
        errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                           r.stdout)
        self.assertIsNone(errors, r.stdout)
        return int(m.group(1)), r.stdout

    def test_soak_keeps_memory_descriptors_and_database_flat(self):
        harness.need("/usr/bin/wrk", "wrk")
        exe = self.site.cgi_dir / "verify.cgi"
        vid = "0123456789abcdef0123456789abcdef"
        c = self.client()
        script = harness.Path(self.tmp) / "soak.lua"
        script.write_text(WRK_SCRIPT.replace("%s", vid).replace("%%", "%"))
        # The same mix warms every process up: the first 1,000 requests.
        self.assertStatus(c.post(self.verify_url(), b"token=1&verification_id=" + vid.encode()), 410)
        done, out = self.wrk(script, seconds=2)
        self.assertGreaterEqual(done, WARM_REQUESTS, out)
        before = self.snapshot(exe)
        self.assertGreaterEqual(len(before), 1, "no FastCGI process of verify.cgi is running")
        db_before = os.path.getsize(self.site.db_path)
        runs = 0
        while done < SOAK_REQUESTS and runs < WRK_RUNS_MAX:
            n, out = self.wrk(script)
            done += n
            runs += 1
        self.assertGreaterEqual(done, SOAK_REQUESTS, "only %d requests in %d runs" % (done, runs))
        after = self.snapshot(exe)
        self.assertEqual(sorted(after), sorted(before),
                         "the FastCGI processes were restarted: %s -> %s" % (before, after))
        for pid, (rss, nfd) in before.items():
            self.assertLessEqual(nfd[1], 2, "pid %d has %d sockets" % (pid, nfd[1]))
            rss2, nfd2 = after[pid]
            self.assertLessEqual(rss2, rss * 1.10, "pid %d RSS %d -> %d KiB" % (pid, rss, rss2))
            self.assertEqual(nfd2[0], nfd[0], "pid %d descriptors %s -> %s" % (pid, nfd, nfd2))
            # The listening socket, and at most the connection of a request in flight.
            self.assertLessEqual(nfd2[1], 2, "pid %d has %d sockets" % (pid, nfd2[1]))
        self.assertEqual(os.path.getsize(self.site.db_path), db_before)
        # Still answering, and right.
        self.assertStatus(c.post(self.verify_url(), b"token=1&verification_id=" + vid.encode()), 410)
        print("soak: %d requests, RSS/fds before %s after %s" % (done, before, after))

    def test_json_and_html_interleaved_in_one_process(self):
        c = self.client()
        for i in range(40):
            json_wanted = i % 3 == 0
            headers = {"Accept": "application/json"} if json_wanted else {}
            r = c.get(self.verify_url(), headers=headers)
            self.assertStatus(r, 200)
            if json_wanted:
                self.assertEqual(json.loads(r.body), {"status": "none"})
            else:
                self.assertTrue(r.header("Content-Type").startswith("text/html"), r)

    def test_changed_config_is_read_again(self):
        c = self.client()
        _, code = self.request_code(c, "2025550160", "+12025550160")
        self.site.write_config(MAX_ATTEMPTS=1)
        time.sleep(0.01)
        r = self.verify(c, "0" + code[1:] if code[0] != "0" else "1" + code[1:])
        self.assertStatus(r, 410)  # MAX_ATTEMPTS=1: the first wrong try is the last
