#!/usr/bin/python3
"""make bench: what each request costs, as ratios to floors measured in the
same run.  A measurement, not a test: it asserts nothing, it prints.

1. CPU per process (user + system from wait4(), 300 runs each) of each path
   of the programs run as CGI, against a C program that does nothing.
2. The same paths with 10^2 and 10^6 sends of history in the database.
3. Requests per second through lighttpd (wrk, 2 threads, 16 connections):
   the programs under mod_cgi and mod_fastcgi, a hello-world C CGI, and
   the tutorial's app (../shared/bench/tutorial_app.py) on gunicorn with
   1 worker and 4 threads and with 2 sync workers; all sending to the same
   fake Telnyx, which speaks TLS (a CA made by tests/tls_certs.py, given to
   the programs as CA_FILE and to the tutorial as SSL_CERT_FILE), keeps
   connections alive and answers each send after a round trip (--round-trip,
   50 ms), as Telnyx does.  Then the goals of sending with that round trip:
   FastCGI against the tutorial's best configuration, CGI against its
   1-worker figure, and the CPU a FastCGI send costs (user + system of the
   request.cgi processes lighttpd started, over the run, per send), beside
   FastCGI's bound (processes / round trip) and the machine's load average
   as each path's sends began (the machine may be shared: say it).  The
   four paths' sends are measured last, one right after the other.

    /usr/bin/python3 tests/bench.py [--runs N] [--seconds S] [--round-trip SECONDS]
                                    [--skip-wrk] [--skip-cpu]
"""

import argparse
import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "web"))

import fake_telnyx  # noqa: E402
import tls_certs  # noqa: E402

TUTORIAL = REPO.parent / "shared" / "bench" / "tutorial_app.py"
NOOP_C = "int main(void) { return 0; }\n"
HELLO_C = r"""#include <stdio.h>
int main(void) {
	fputs("Status: 200 OK\r\nContent-Type: text/html\r\nContent-Length: 52\r\n\r\n"
	      "<!DOCTYPE html><html><body>Hello, world</body></html>", stdout);
	return 0;
}
"""
VID = "0123456789abcdef0123456789abcdef"


def cc(src, out):
    c = out.with_suffix(".c")
    c.write_text(src)
    subprocess.run([os.environ.get("CC", "cc"), "-O2", "-o", str(out), str(c)], check=True)


def cpu_ms(argv, env, stdin=b"", runs=300):
    """Mean and minimum CPU (user + system, ms) of runs executions."""
    times = []
    for _ in range(runs):
        p = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        p.stdin.write(stdin)
        p.stdin.close()
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        times.append((ru.ru_utime + ru.ru_stime) * 1000.0)
    return sum(times) / len(times), min(times)


def cgi_env(conf, method, body=b"", script="/cgi-bin/x.cgi", **extra):
    env = {"OTP_CONFIG": str(conf), "REQUEST_METHOD": method, "HTTP_HOST": "127.0.0.1",
           "REMOTE_ADDR": "127.0.0.1", "SCRIPT_NAME": script, "QUERY_STRING": ""}
    if method == "POST":
        env["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        env["CONTENT_LENGTH"] = str(len(body))
    env.update(extra)
    return env


def write_conf(path, d, **keys):
    base = {"SECRET_KEY": "'bench-secret-0123456789abcdef'", "SMS_TRANSPORT": "outbox",
            "OUTBOX_PATH": str(d / "outbox.jsonl"), "DB_PATH": str(d / "otp.db"),
            "TEMPLATE_DIR": str(REPO / "templates"), "RESEND_AFTER": 0,
            "PHONE_SEND_LIMIT": 1000, "PHONE_DAILY_LIMIT": 1000, "IP_SEND_LIMIT": 1000000,
            "PHONE_NETWORK_LIMIT": 1000, "NETWORK_SEND_LIMIT": 1000000,
            "HOURLY_SEND_LIMIT": 1000000, "DAILY_SEND_LIMIT": 10000000, "MAX_ATTEMPTS": 10,
            "PHONE_FAILURE_LIMIT": 100, "CONVERSION_MODE": "off"}
    base.update(keys)
    path.write_text("".join("%s=%s\n" % kv for kv in base.items()))


def add_history(db, n):
    """n sends in the last day, spread over numbers, clients and countries."""
    now = int(time.time())
    con = sqlite3.connect(str(db))
    con.executemany("INSERT INTO send (at, phone, client, country) VALUES (?, ?, ?, ?)",
                    ((now - (i * 86000 // max(n, 1)), "+1202%07d" % (i % 10000000),
                      "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255), "+1")
                     for i in range(n)))
    con.commit()
    con.close()


def part_cpu(d, runs):
    noop, hello = d / "noop", d / "hello"
    cc(NOOP_C, noop)
    cc(HELLO_C, hello)
    req, ver = str(REPO / "cgi-bin" / "request.cgi"), str(REPO / "cgi-bin" / "verify.cgi")
    hook = str(REPO / "cgi-bin" / "webhook.cgi")
    key, public = fake_telnyx.make_key()
    rows = []
    for hist in (100, 1000000):
        hd = d / ("h%d" % hist)
        hd.mkdir()
        conf = hd / "otp.conf"
        write_conf(conf, hd, TELNYX_PUBLIC_KEY="'%s'" % public)
        # The database made by the program itself, then the history added.
        subprocess.run([req], env=cgi_env(conf, "POST", b"phone=2025550143"),
                       input=b"phone=2025550143", capture_output=True, check=True)
        add_history(hd / "otp.db", hist - 1)
        counter = [0]

        def phone_body():
            counter[0] += 1
            return ("phone=%%2B1303555%04d" % (counter[0] % 10000)).encode()

        def receipt():
            """A new signed message.finalized: (env, body)."""
            counter[0] += 1
            body = fake_telnyx.event("message.finalized", fake_telnyx.message_payload(
                "bench-%d-%d" % (hist, counter[0]), "+13035550100", "delivered"))
            sig = fake_telnyx.sign(key, body)
            env = cgi_env(conf, "POST", body, HTTP_TELNYX_SIGNATURE_ED25519=sig[
                "telnyx-signature-ed25519"], HTTP_TELNYX_TIMESTAMP=sig["telnyx-timestamp"],
                CONTENT_TYPE="application/json")
            return env, body

        paths = [
            ("GET request.cgi (phone form)", [req], cgi_env(conf, "GET"), b"", 2.0),
            ("GET verify.cgi (no verification)", [ver], cgi_env(conf, "GET"), b"", 2.0),
            # libphonenumber loaded and a number parsed, then refused: its cost alone.
            ("POST request.cgi, bad number (libphonenumber loaded, number refused)", [req],
             cgi_env(conf, "POST", b"phone=%2B1202"), b"phone=%2B1202", None),
            ("POST verify.cgi (code checked, row read)", [ver],
             cgi_env(conf, "POST", b"token=123456&verification_id=" + VID.encode()),
             b"token=123456&verification_id=" + VID.encode(), 2.5),
            ("POST request.cgi (limits, store, outbox)", [req], None, None, 3.0),
            # Telnyx waits at most 2 s: a new signed receipt checked and recorded each time.
            ("POST webhook.cgi (receipt checked and recorded)", [hook], receipt, None, None),
        ]
        hello_ms, _ = cpu_ms([str(hello)], {}, runs=runs)
        floor_all = []
        for name, argv, env, body, goal in paths:
            # The floor measured around each path, so that a machine that
            # speeds up or slows down during the run moves both alike.
            before, _ = cpu_ms([str(noop)], {}, runs=runs // 2)
            if env is None or callable(env):  # a new number (event) each time
                times = []
                for _ in range(runs):
                    if env is None:
                        b = phone_body()
                        e = cgi_env(conf, "POST", b)
                    else:
                        e, b = env()
                    t, _ = cpu_ms(argv, e, b, runs=1)
                    times.append(t)
                mean = sum(times) / len(times)
            else:
                mean, _ = cpu_ms(argv, env, body, runs=runs)
            after, _ = cpu_ms([str(noop)], {}, runs=runs // 2)
            floor = (before + after) / 2
            floor_all.append(floor)
            rows.append((hist, name, mean, mean / floor, goal))
        floor = sum(floor_all) / len(floor_all)
        rows.insert(len(rows) - len(paths), (hist, "no-op C program", floor, 1.0, None))
        rows.insert(len(rows) - len(paths), (hist, "hello-world C CGI", hello_ms,
                                             hello_ms / floor, None))
    print("## CPU per process (user + system, mean of %d runs), ratio to the no-op program "
          "measured around it\n" % runs)
    print("| history (sends) | path | CPU [ms] | ratio | goal |")
    print("|---:|:---|---:|---:|---:|")
    for hist, name, ms, ratio, goal in rows:
        print("| 10^%d | %s | %.2f | %.1fx | %s |" % (len(str(hist)) - 1, name, ms, ratio,
                                                   "%.1fx" % goal if goal else ""))
    print()
    small = {n: ms for h, n, ms, _, _ in rows if h == 100}
    big = {n: ms for h, n, ms, _, _ in rows if h != 100}
    print("10^6 against 10^2 rows of history: " + ", ".join(
        "%s %.2f" % (n.split(" (")[0], big[n] / small[n]) for n in small if " C " not in n))
    print()


def wrk(url, script=None, seconds=5, conns=16):
    """(requests per second, a note of errors)."""
    rate, note, _ = wrk_run(url, script, seconds, conns)
    return rate, note


def wrk_run(url, script=None, seconds=5, conns=16):
    """(requests per second, a note of errors, requests completed)."""
    argv = ["wrk", "-t2", "-c%d" % conns, "-d%ds" % seconds]
    if script is not None:
        argv += ["-s", str(script)]
    r = subprocess.run(argv + [url], capture_output=True, text=True, timeout=seconds + 60)
    m = re.search(r"Requests/sec:\s+([\d.]+)", r.stdout)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", r.stdout)
    errs = re.search(r"Socket errors: (.*)", r.stdout)
    note = ""
    if bad:
        note += " (%s non-2xx)" % bad.group(1)
    if errs:
        note += " (socket errors: %s)" % errs.group(1)
    n = re.search(r"(\d+) requests in", r.stdout)
    return (float(m.group(1)) if m else 0.0), note, (int(n.group(1)) if n else 0)


CLK_TCK = os.sysconf("SC_CLK_TCK")


def session_cpu(sid, comm):
    """{pid: CPU seconds (user + system)} of the processes of session sid
    (a server started with start_new_session: sid is its pid) named comm."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                stat = f.read()
        except OSError:
            continue  # gone meanwhile
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        rest = stat[stat.rindex(")") + 2:].split()
        if name == comm and int(rest[3]) == sid:
            out[int(pid)] = (int(rest[11]) + int(rest[12])) / CLK_TCK
    return out


def children_cpu(pid):
    """CPU seconds (user + system) of the children process pid has waited
    for: lighttpd's CGI processes."""
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[13]) + int(rest[14])) / CLK_TCK


def cpu_between(before, after):
    """CPU spent between two session_cpu() snapshots (a process started
    between them counts from 0; one that ended between them is lost)."""
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())


# A new number each request, typed as the tutorial's form asks (no +1: the
# tutorial puts it in front), in a real area code: libphonenumber refuses
# area codes that do not exist, and the fake Telnyx refuses what is not E.164.
SEND_LUA = r"""
local areas = {202, 212, 303, 312, 415, 512, 617, 702, 808, 917}
local n = 0
local area = areas[math.random(1, #areas)]
request = function()
  n = n + 1
  return wrk.format("POST", "%(path)s",
    {["Content-Type"] = "application/x-www-form-urlencoded"},
    string.format("phone=%%d555%%04d", area, n %% 10000))
end
"""
CHECK_LUA = r"""
request = function()
  return wrk.format("POST", "%(path)s",
    {["Content-Type"] = "application/x-www-form-urlencoded"}, "%(body)s")
end
"""


BENCH_KEYS = {"SMS_TRANSPORT": "telnyx", "RESEND_AFTER": 0, "PHONE_SEND_LIMIT": 1000,
              "PHONE_DAILY_LIMIT": 1000, "IP_SEND_LIMIT": 1000000, "HOURLY_SEND_LIMIT": 1000000,
              "PHONE_NETWORK_LIMIT": 1000, "NETWORK_SEND_LIMIT": 1000000,
              "DAILY_SEND_LIMIT": 10000000, "PHONE_FAILURE_LIMIT": 100}


def part_wrk_pg(harness, fake, ca_file, seconds, results):
    """Sending and checking with the store on PostgreSQL (a throwaway server
    of tests/pg.py on this machine, over its Unix socket), in both modes."""
    import pg
    why = pg.unavailable()
    if why:
        print("(PostgreSQL not measured: %s)\n" % why)
        return
    with pg.Cluster(prefix="otp-bench-pg-") as cluster:
        for server_class in (harness.Lighttpd, harness.LighttpdFastCGI):
            mode = mode_of(server_class) + " PostgreSQL"
            root = Path(harness.temp_root("otp-bench-"))
            site = harness.Site(root, dict(BENCH_KEYS, API_BASE_URL=fake.url,
                                           CA_FILE=ca_file,
                                           DATABASE_URL=cluster.new_database()))
            srv = server_class(site)
            srv.start()
            try:
                lua = root / "send.lua"
                lua.write_text(SEND_LUA % {"path": harness.EXAMPLE_URL + "request.cgi"})
                results[(mode, "send a code")] = wrk(srv.base, lua, seconds)
                lua = root / "check.lua"
                lua.write_text(CHECK_LUA % {"path": harness.EXAMPLE_URL + "verify.cgi",
                                            "body": "token=123456&verification_id=" + VID})
                results[(mode, "check a code")] = wrk(srv.base, lua, seconds)
            finally:
                srv.stop()
                shutil.rmtree(root, True)


def mode_of(server_class):
    import harness
    return "FastCGI" if issubclass(server_class, harness.LighttpdFastCGI) else "CGI"


def start_tutorial(fake, ca_file, args):
    """gunicorn serving the tutorial with args, sending to fake:
    (its Popen, its base URL), once it answers (or 10 s passed)."""
    import harness
    import urllib.request
    port = harness.free_port()
    # The tutorial sends with urllib.request, whose default context trusts
    # what OpenSSL's SSL_CERT_FILE names.
    env = dict(os.environ, TELNYX_API_BASE=fake.url, SSL_CERT_FILE=ca_file,
               PYTHONDONTWRITEBYTECODE="1")
    g = subprocess.Popen(["gunicorn", "--chdir", str(TUTORIAL.parent), "-b",
                          "127.0.0.1:%d" % port] + args + ["tutorial_app:app"],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    base = "http://127.0.0.1:%d" % port
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/", timeout=1).read()
            break
        except OSError:
            time.sleep(0.1)
    return g, base


def stop_tutorial(g):
    g.terminate()
    try:
        g.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(g.pid, 9)
        g.wait(10)


def part_wrk(d, seconds, round_trip):
    import harness  # tests/web/harness.py
    from fake_telnyx import FakeTelnyx

    # The CA where the server's user can read it (lighttpd run by root drops
    # to another user; d is 0700).
    certs_dir = Path(harness.temp_root("otp-bench-ca-"))
    os.chmod(certs_dir, 0o755)
    certs = tls_certs.Certs(certs_dir)
    os.chmod(certs.ca, 0o644)
    ca_file = certs.ca
    fake = FakeTelnyx(mode="delay:%g" % round_trip if round_trip > 0 else "ok",
                      tls=certs.pair("good"), keep_alive=True).start()
    results = {}
    handshakes = {}  # mode: (TLS handshakes the fake saw, sends)
    loads = {}  # mode: the machine's 1-minute load average as its sends began
    fcgi_cpu = None  # (CPU seconds of the request.cgi processes, sends, processes)
    send_cpu = {}  # mode: (CPU seconds of its programs or workers while it sent, sends)

    def measure_send(label, url, lua, sid, comm):
        """wrk's sends to url, with the CPU of session sid's processes named
        comm (None: of the children sid waited for, lighttpd's CGIs)."""
        nonlocal fcgi_cpu
        shakes = fake.tls_handshakes
        cpu0 = session_cpu(sid, comm) if comm else children_cpu(sid)
        loads[label] = os.getloadavg()[0]
        rate, note, sends = wrk_run(url, lua, seconds)
        cpu1 = session_cpu(sid, comm) if comm else children_cpu(sid)
        cpu = cpu_between(cpu0, cpu1) if comm else cpu1 - cpu0
        results[(label, "send a code")] = (rate, note)
        handshakes[label] = (fake.tls_handshakes - shakes, sends)
        send_cpu[label] = (cpu, sends)
        if label == "FastCGI":
            fcgi_cpu = (cpu, sends, len(cpu1))

    try:
        with contextlib.ExitStack() as stack:
            # The sends of the four paths are measured last, one right after
            # the other, so that their ratios are of one state of a machine
            # that may be shared: the servers stay up until then.
            send_runs = []
            for server_class in (harness.Lighttpd, harness.LighttpdFastCGI):
                root = Path(harness.temp_root("otp-bench-"))  # readable by the server's user
                stack.callback(shutil.rmtree, root, True)
                site = harness.Site(root, dict(BENCH_KEYS, API_BASE_URL=fake.url,
                                               CA_FILE=ca_file))
                hello = site.cgi_dir / "hello.cgi"
                cc(HELLO_C, hello)
                os.chmod(hello, 0o755)
                # The floor under the same server: hello.cgi in an alias of its own
                # (the example config serves the two programs and nothing else).
                hello_dir = root / "hello"
                hello_dir.mkdir()
                shutil.move(str(hello), str(hello_dir / "hello.cgi"))
                os.chmod(hello_dir, 0o755)
                extra = ('$HTTP["url"] =~ "^/hello/" {\n\talias.url += ( "/hello/" => "%s/" )\n'
                         '\tcgi.assign = ( ".cgi" => "" )\n}\n' % hello_dir)
                mode = mode_of(server_class)
                srv = server_class(site, extra_conf=extra) if mode == "CGI" \
                    else server_class(site)
                srv.start()
                stack.callback(srv.stop)
                base = srv.base + harness.EXAMPLE_URL
                results[(mode, "phone form")] = wrk(base + "request.cgi", seconds=seconds)
                lua = root / "send.lua"
                lua.write_text(SEND_LUA % {"path": harness.EXAMPLE_URL + "request.cgi"})
                send_runs.append((mode, srv.base, lua, srv.proc.pid,
                                  None if mode == "CGI" else "request.cgi"))
                lua = root / "check.lua"
                lua.write_text(CHECK_LUA % {"path": harness.EXAMPLE_URL + "verify.cgi",
                                            "body": "token=123456&verification_id=" + VID})
                results[(mode, "check a code")] = wrk(srv.base, lua, seconds)
                if mode == "CGI":
                    # lighttpd serves hello.cgi under mod_cgi in the same alias.
                    results[("hello-world CGI", "phone form")] = wrk(
                        srv.base + "/hello/hello.cgi", seconds=seconds)
            part_wrk_pg(harness, fake, ca_file, seconds, results)
            if TUTORIAL.exists() and shutil.which("gunicorn"):
                for label, args in (("tutorial, gunicorn 1 worker 4 threads",
                                     ["-w", "1", "--threads", "4"]),
                                    ("tutorial, gunicorn 2 sync workers", ["-w", "2"])):
                    g, base = start_tutorial(fake, ca_file, args)
                    stack.callback(stop_tutorial, g)
                    results[(label, "phone form")] = wrk(base + "/", seconds=seconds)
                    lua = d / ("tsend-%d.lua" % len(send_runs))
                    lua.write_text(SEND_LUA % {"path": "/request"})
                    send_runs.append((label, base, lua, g.pid, "gunicorn"))
                    lua = d / "tcheck.lua"
                    lua.write_text(CHECK_LUA % {"path": "/verify", "body": "token=ZZZZ"})
                    results[(label, "check a code")] = wrk(base, lua, seconds)
            for run in send_runs:
                # The last path's requests still in flight end first (their
                # handshakes and CPU are not the next one's).
                time.sleep(1)
                measure_send(*run)
    finally:
        fake.stop()
        shutil.rmtree(certs_dir, True)
    print("## Requests per second (wrk, 2 threads, 16 connections, %d s each)\n" % seconds)
    print("(the fake Telnyx: TLS, connections kept alive, each send answered after %g ms)\n"
          % (round_trip * 1000))
    print("(check a code: an unknown verification, answered 410 by the programs and 200 with "
          "its form by the tutorial; wrk counts the 410s as non-2xx)\n")
    columns = ["CGI", "FastCGI", "hello-world CGI", "tutorial, gunicorn 1 worker 4 threads",
               "tutorial, gunicorn 2 sync workers"]
    print("| request | " + " | ".join(columns) + " |")
    print("|:---|" + "---:|" * len(columns))
    for what in ("phone form", "send a code", "check a code"):
        cells = []
        for c in columns:
            v = results.get((c, what))
            cells.append("%.0f%s" % v if v else "")
        print("| %s | %s |" % (what, " | ".join(cells)))
    print()
    print("The store: SQLite against PostgreSQL on the same machine (its Unix socket; a CGI "
          "process connects at each request, a FastCGI process keeps its connection)\n")
    columns = ["CGI", "CGI PostgreSQL", "FastCGI", "FastCGI PostgreSQL"]
    print("| request | CGI, SQLite | CGI, PostgreSQL | FastCGI, SQLite | FastCGI, PostgreSQL |")
    print("|:---|" + "---:|" * len(columns))
    for what in ("send a code", "check a code"):
        cells = []
        for c in columns:
            v = results.get((c, what))
            cells.append("%.0f%s" % v if v else "")
        print("| %s | %s |" % (what, " | ".join(cells)))
    print()
    get = lambda c, w: results.get((c, w), (0.0, ""))[0]  # noqa: E731
    hello = get("hello-world CGI", "phone form")
    t1 = get("tutorial, gunicorn 1 worker 4 threads", "send a code")
    t2 = get("tutorial, gunicorn 2 sync workers", "check a code")
    print("Ratios: phone form CGI / hello-world CGI %.2f (goal 0.7); send a code CGI / "
          "tutorial (1 worker, 4 threads) %.2f (goal 1); FastCGI / CGI: phone form %.1f "
          "(goal 10), check a code %.1f (goal 5); check a code FastCGI / tutorial (2 sync "
          "workers) %.1f (goal 3)" % (
              get("CGI", "phone form") / hello if hello else 0,
              get("CGI", "send a code") / t1 if t1 else 0,
              get("FastCGI", "phone form") / max(get("CGI", "phone form"), 1),
              get("FastCGI", "check a code") / max(get("CGI", "check a code"), 1),
              get("FastCGI", "check a code") / t2 if t2 else 0))
    print()
    print_round_trip(results, handshakes, loads, send_cpu, fcgi_cpu, round_trip)


def print_round_trip(results, handshakes, loads, send_cpu, fcgi_cpu, round_trip):
    """The goals of sending with a round trip to Telnyx (issue 22, part 3)."""
    get = lambda c: results.get((c, "send a code"), (0.0, ""))[0]  # noqa: E731
    t1_label, t2_label = "tutorial, gunicorn 1 worker 4 threads", "tutorial, gunicorn 2 sync workers"
    cgi, fcgi, t1, t2 = get("CGI"), get("FastCGI"), get(t1_label), get(t2_label)
    best = max(t1, t2)
    best_label = "1 worker, 4 threads" if t1 >= t2 else "2 sync workers"
    print("## Sending a code with a %g ms round trip to Telnyx (TLS, keep-alive), the same run\n"
          % (round_trip * 1000))
    print("| send a code | requests/s | CPU a send [ms] | TLS handshakes / sends "
          "| load average (1 min) before |")
    print("|:---|---:|---:|---:|---:|")
    for label, v in (("CGI", cgi), ("FastCGI", fcgi), ("tutorial, 1 worker 4 threads", t1),
                     ("tutorial, 2 sync workers", t2)):
        key = {"tutorial, 1 worker 4 threads": t1_label,
               "tutorial, 2 sync workers": t2_label}.get(label, label)
        h = handshakes.get(key)
        load = loads.get(key)
        cpu, sends = send_cpu.get(key, (0.0, 0))
        print("| %s | %.0f | %s | %s | %s |" % (label, v, "%.1f" % (cpu * 1000 / sends) if sends
                                                else "", "%d / %d" % h if h else "",
                                                "%.2f" % load if load is not None else ""))
    print()
    print("(CPU a send: user + system, over the sends, of the CGI processes lighttpd waited "
          "for, of the request.cgi processes under FastCGI, of gunicorn's processes)\n")

    def goal(name, num, den, want):
        if not den:
            print("%s: not measured" % name)
            return
        r = num / den
        print("%s: %.2f (goal >= %.1f): %s" % (name, r, want, "met" if r >= want else "NOT met"))

    goal("FastCGI / the tutorial's best (%s)" % best_label, fcgi, best, 1.5)
    goal("CGI / the tutorial's 1-worker figure", cgi, t1, 1.0)
    if fcgi_cpu and fcgi_cpu[1]:
        cpu, sends, procs = fcgi_cpu
        print("CPU per FastCGI send: %.2f ms (user + system of %d request.cgi processes, "
              "%.2f s over %d sends)" % (cpu * 1000 / sends, procs, cpu, sends))
        if round_trip > 0:
            # A process waits out each round trip: no more than this.
            bound = procs / round_trip
            print("FastCGI's bound, %d processes / %g ms: %.0f sends/s; reached %.0f %%"
                  % (procs, round_trip * 1000, bound, 100 * fcgi / bound))
    print()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--round-trip", type=float, default=0.05,
                    help="seconds the fake Telnyx waits before it answers a send (0: at once)")
    ap.add_argument("--skip-wrk", action="store_true")
    ap.add_argument("--skip-cpu", action="store_true")
    a = ap.parse_args()
    d = Path(tempfile.mkdtemp(prefix="otp-bench-"))
    try:
        if not a.skip_cpu:
            part_cpu(d, a.runs)
        if not a.skip_wrk:
            part_wrk(d, a.seconds, a.round_trip)
    finally:
        shutil.rmtree(d, True)


if __name__ == "__main__":
    main()
