#!/bin/sh
# Run every test suite and add up their closing lines ("N passed, N failed").
# SUITES narrows it: unit, asan, linkage, man, cgi, cgi-asan, cgi-fastcgi, abuse, handover,
# web, browser, fuzz, cgi-pg, abuse-pg.  cgi-asan is the contract suite against the programs
# built with ASan+UBSan; cgi-fastcgi the same suite with the programs as long-lived FastCGI
# applications (tests/fcgi_client.py); cgi-pg and abuse-pg the contract and abuse suites
# with PostgreSQL as the store (a throwaway cluster, tests/pg.py), skipped with a message
# where PostgreSQL is not installed.  fresh is the README's `make run` in a
# new minimal Debian 12 root (tests/fresh; root only).
set -u
cd "$(dirname "$0")/.." || exit 1
PYTHON=${PYTHON:-/usr/bin/python3}
SUITES=${SUITES:-"unit asan linkage man cgi cgi-asan cgi-fastcgi abuse handover web browser fuzz cgi-pg abuse-pg deb fresh"}
mkdir -p tests/out
passed=0 failed=0 skipped=0 bad=""

# Feed one suite's output through, keep its closing counts.
tally() {
	name=$1; shift
	log=tests/out/$name.log
	echo "== $name"
	"$@" >"$log" 2>&1
	rc=$?
	tail -n 40 "$log"
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
	f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
	s=$(echo "$line" | grep -oE '[0-9]+ skipped' | grep -oE '[0-9]+')
	passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
	if [ $rc -ne 0 ] || [ -z "$line" ]; then
		[ -n "$line" ] || failed=$((failed + 1))
		bad="$bad $name"
	fi
}

# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)"; sum them per binary set.
unit_run() {
	p=0 f=0
	for t in "$@"; do
		out=$("$t" 2>&1); rc=$?
		echo "$out"
		n=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | head -n 1)
		m=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | head -n 1)
		p=$((p + ${n:-0})); f=$((f + ${m:-0}))
		[ $rc -eq 0 ] || [ -n "$m" ] || f=$((f + 1))
	done
	echo "$p passed, $f failed"
	[ $f -eq 0 ]
}

linkage() {
	# No program pays libcurl's start-up cost: verify.cgi never sends,
	# request.cgi loads it only when it sends (lib/http.c), webhook.cgi only
	# when it tells a call its next step (CHANNELS=voice).
	p=0 f=0
	if ldd cgi-bin/verify.cgi | grep -q libcurl || grep -q libcurl cgi-bin/verify.cgi; then
		echo "verify.cgi links or loads libcurl"; f=$((f + 1))
	else p=$((p + 1)); fi
	# Neither parses a typed number.
	for prog in verify webhook; do
		if ldd cgi-bin/$prog.cgi | grep -q libphonenumber || grep -q libphonenumber cgi-bin/$prog.cgi; then
			echo "$prog.cgi links or carries libphonenumber"; f=$((f + 1))
		else p=$((p + 1)); fi
	done
	for prog in request webhook; do
		if ldd cgi-bin/$prog.cgi | grep -q libcurl; then
			echo "$prog.cgi links libcurl at start"; f=$((f + 1))
		else p=$((p + 1)); fi
	done
	# libphonenumber (lib/number.c) is loaded by the requests that parse a
	# number, and only by them: not verify.cgi, not the phone form, not a
	# refusal at the door.  LD_DEBUG=files names every object loaded.
	if ldd cgi-bin/verify.cgi | grep -q libphonenumber || grep -q libphonenumber cgi-bin/verify.cgi \
		|| ldd cgi-bin/request.cgi | grep -q libphonenumber; then
		echo "a program links libphonenumber at start, or verify.cgi carries it"; f=$((f + 1))
	else p=$((p + 1)); fi
	d=$(mktemp -d) || return 1
	printf "SECRET_KEY='linkage-secret-0123456789'\nSMS_TRANSPORT=outbox\nOUTBOX_PATH=%s/outbox\nDB_PATH=%s/otp.db\nTEMPLATE_DIR=%s/templates\n" \
		"$d" "$d" "$PWD" > "$d/otp.conf"
	loads() { # method body: whether request.cgi loaded libphonenumber
		printf '%s' "$2" | env -i OTP_CONFIG="$d/otp.conf" REQUEST_METHOD=$1 HTTP_HOST=127.0.0.1 \
			REMOTE_ADDR=127.0.0.1 SCRIPT_NAME=/request.cgi QUERY_STRING= \
			CONTENT_TYPE=application/x-www-form-urlencoded CONTENT_LENGTH=${#2} \
			LD_DEBUG=files cgi-bin/request.cgi 2>&1 >/dev/null | grep -q 'file=libphonenumber'
	}
	for how in "GET:" "POST:phone=" "POST:phone=2025550143&phone=2025550143"; do
		if loads "${how%%:*}" "${how#*:}"; then
			echo "request.cgi ${how%%:*} '${how#*:}' loaded libphonenumber"; f=$((f + 1))
		else p=$((p + 1)); fi
	done
	if loads POST phone=2025550143; then p=$((p + 1))
	else echo "request.cgi did not load libphonenumber to parse a number"; f=$((f + 1)); fi
	# libpq (lib/store_pg.c) only when DATABASE_URL is set: no program
	# links it, a site on SQLite never loads it, one on PostgreSQL does.
	pq() { # config prog method body: whether prog loaded libpq
		printf '%s' "$4" | env -i OTP_CONFIG="$1" REQUEST_METHOD=$3 HTTP_HOST=127.0.0.1 \
			REMOTE_ADDR=127.0.0.1 SCRIPT_NAME=/$2 QUERY_STRING= \
			CONTENT_TYPE=application/x-www-form-urlencoded CONTENT_LENGTH=${#4} \
			LD_DEBUG=files cgi-bin/$2 2>&1 >/dev/null | grep -q 'file=libpq'
	}
	for prog in request verify webhook; do
		if ldd cgi-bin/$prog.cgi | grep -q libpq; then
			echo "$prog.cgi links libpq"; f=$((f + 1))
		else p=$((p + 1)); fi
	done
	vid=token=123456\&verification_id=0123456789abcdef0123456789abcdef
	for how in "request.cgi:POST:phone=2025550143" "verify.cgi:POST:$vid" "verify.cgi:GET:"; do
		IFS=: read -r prog method body <<-EOF
		$how
		EOF
		if pq "$d/otp.conf" $prog $method "$body"; then
			echo "$prog $method loaded libpq on SQLite"; f=$((f + 1))
		else p=$((p + 1)); fi
	done
	cp "$d/otp.conf" "$d/pg.conf"
	echo "DATABASE_URL='postgresql:///otp?host=$d/none'" >> "$d/pg.conf"
	if pq "$d/pg.conf" verify.cgi POST "$vid"; then p=$((p + 1))
	else echo "verify.cgi did not load libpq with DATABASE_URL set"; f=$((f + 1)); fi
	rm -rf "$d"
	# Ed25519's EVP_PKEY machinery (megabytes of the static libcrypto, paid
	# in page faults at every start) is webhook.cgi's alone.
	# Signing a JWT with Ed25519 loads the shared libcrypto when it signs
	# (lib/eddsa.c): the static one's EVP_PKEY signing and PEM reading stay out.
	for prog in request verify; do
		if nm cgi-bin/$prog.cgi | grep -q ' T EVP_DigestVerify$'; then
			echo "$prog.cgi carries the webhook signature check (EVP_DigestVerify)"; f=$((f + 1))
		else p=$((p + 1)); fi
		if nm cgi-bin/$prog.cgi | grep -qE ' T (EVP_DigestSign|PEM_read_bio_PrivateKey)$'; then
			echo "$prog.cgi carries Ed25519 signing or PEM reading"; f=$((f + 1))
		else p=$((p + 1)); fi
	done
	# request.cgi's static libstdc++ stays its own: it exports no C++
	# symbol the wrapper's libstdc++.so could be bound to instead.
	if nm -D --defined-only cgi-bin/request.cgi | grep -q ' _Z'; then
		echo "request.cgi exports C++ symbols"; f=$((f + 1))
	else p=$((p + 1)); fi
	# The libraries shipped as archives are linked in (the Makefile's
	# LIBS_STATIC): no shared copy of them is loaded at start.
	for prog in cgi-bin/request.cgi cgi-bin/verify.cgi cgi-bin/webhook.cgi; do
		for lib in sqlite3 crypto ctemplate stdc++; do
			a=$(ls /usr/lib/*/lib$lib.a /usr/lib/*/lib${lib}_nothreads.a \
				/usr/lib/gcc/*/*/lib$lib.a 2>/dev/null | head -n 1)
			[ -n "$a" ] || continue
			if ldd $prog | grep -q "lib$lib"; then
				echo "$prog loads lib$lib at start although $a is there"; f=$((f + 1))
			else p=$((p + 1)); fi
		done
	done
	# The modules of lib/ stand in layers: no circle in the include graph
	# (tests/include_graph.py says which modules use which).
	if "$PYTHON" tests/include_graph.py; then p=$((p + 1))
	else echo "lib/'s include graph has a circle"; f=$((f + 1)); fi
	echo "$p passed, $f failed"
	[ $f -eq 0 ]
}

# The man pages: mandoc's lint (warnings and worse), and every key of the
# config table (lib/config.c) in otp.conf(5).
man_pages() {
	p=0 f=0
	for m in man/*.[0-9]; do
		if mandoc -Tlint -W warning "$m"; then p=$((p + 1))
		else echo "$m: mandoc -Tlint"; f=$((f + 1)); fi
	done
	for k in $(grep -oE '(STR|INT|BOOL|CHOICE|PATH)\("[A-Z_]+"|\.name = "[A-Z_]+"' lib/config.c |
		grep -oE '"[A-Z_]+"' | tr -d '"'); do
		if grep -q "^\.It Cm $k\$" man/otp.conf.5; then p=$((p + 1))
		else echo "key $k is not in man/otp.conf.5"; f=$((f + 1)); fi
	done
	echo "$p passed, $f failed"
	[ $f -eq 0 ]
}

# A suite with PostgreSQL as the store (OTP_TEST_STORE=pg), or one skip
# saying why not where PostgreSQL cannot run (tests/pg.py check).
pg_suite() {
	if ! why=$("$PYTHON" tests/pg.py check); then
		echo "skipped: $why"
		echo "0 passed, 0 failed, 1 skipped"
		return 0
	fi
	OTP_TEST_STORE=pg "$PYTHON" tests/pyrun.py "$1"
}

fuzz_brief() {
	p=0 f=0
	for z in tests/fuzz/*.fuzz; do
		[ -e "$z" ] || continue
		name=$(basename "$z" .fuzz)
		mkdir -p build/corpus/$name
		if "$z" -max_total_time=${FUZZ_BRIEF:-15} -timeout=5 -artifact_prefix=build/ build/corpus/$name tests/fuzz/corpus/$name >tests/out/fuzz-$name.log 2>&1; then
			p=$((p + 1)); echo "$name: no crash in ${FUZZ_BRIEF:-15} s"
		else
			f=$((f + 1)); echo "$name: FAILED"; tail -n 30 tests/out/fuzz-$name.log
		fi
	done
	echo "$p passed, $f failed"
	[ $f -eq 0 ]
}

for s in $SUITES; do
	case $s in
	unit) tally unit unit_run tests/unit/*.run ;;
	asan) ASAN_OPTIONS=detect_leaks=1 tally asan unit_run tests/unit/*.asan ;;
	linkage) tally linkage linkage ;;
	man) tally man man_pages ;;
	cgi) [ -d tests/cgi ] && tally cgi "$PYTHON" tests/pyrun.py tests/cgi ;;
	cgi-asan) OTP_TEST_CGI_DIR=$PWD/build/asan/cgi-bin ASAN_OPTIONS=detect_leaks=1 \
		tally cgi-asan "$PYTHON" tests/pyrun.py tests/cgi ;;
	cgi-fastcgi) OTP_TEST_FASTCGI=1 tally cgi-fastcgi "$PYTHON" tests/pyrun.py tests/cgi ;;
	abuse) [ -d tests/abuse ] && tally abuse "$PYTHON" tests/pyrun.py tests/abuse ;;
	handover) [ -d tests/handover ] && tally handover "$PYTHON" tests/pyrun.py tests/handover ;;
	web) [ -d tests/web ] && tally web "$PYTHON" tests/pyrun.py tests/web ;;
	browser) [ -d tests/browser ] && tally browser "$PYTHON" tests/pyrun.py tests/browser ;;
	fuzz) tally fuzz fuzz_brief ;;
	deb) [ -d tests/deb ] && tally deb "$PYTHON" tests/pyrun.py tests/deb ;;
	fresh) [ -d tests/fresh ] && tally fresh "$PYTHON" tests/pyrun.py tests/fresh ;;
	cgi-pg) [ -d tests/cgi ] && tally cgi-pg pg_suite tests/cgi ;;
	abuse-pg) [ -d tests/abuse ] && tally abuse-pg pg_suite tests/abuse ;;
	esac
done

echo
[ -z "$bad" ] || echo "failing suites:$bad"
echo "check: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ] && [ -z "$bad" ]
