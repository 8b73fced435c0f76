#!/bin/sh
# Start-up and per-request cost of the CGI programs, measured with
# hyperfine (wall time, shell start-up subtracted) against a C program
# that does nothing.  Each request is a new process, so this is what every
# hit pays.  Not a test: numbers depend on the machine.  `make bench`.
set -eu
cd "$(dirname "$0")/.."
RUNS=${RUNS:-300}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM

cat >"$dir/otp.conf" <<CONF
SECRET_KEY='bench-secret-0123456789abcdef'
SMS_TRANSPORT=outbox
OUTBOX_PATH=$dir/outbox.jsonl
DB_PATH=$dir/otp.db
TEMPLATE_DIR=$PWD/templates
RESEND_AFTER=0
PHONE_SEND_LIMIT=1000
IP_SEND_LIMIT=1000000
HOURLY_SEND_LIMIT=1000000
DAILY_SEND_LIMIT=1000000
MAX_ATTEMPTS=10
PHONE_FAILURE_LIMIT=100
CONF
printf 'int main(void) { return 0; }\n' >"$dir/noop.c"
${CC:-cc} -O2 -o "$dir/noop" "$dir/noop.c"

export OTP_CONFIG="$dir/otp.conf" HTTP_HOST=127.0.0.1 REMOTE_ADDR=127.0.0.1 \
	SCRIPT_NAME=/cgi-bin/x.cgi CONTENT_TYPE=application/x-www-form-urlencoded

printf 'phone=2025550143' >"$dir/phone.txt"
# One real verification, so that verify.cgi reads a real row.
REQUEST_METHOD=POST CONTENT_LENGTH=16 cgi-bin/request.cgi <"$dir/phone.txt" >"$dir/first.txt" 2>/dev/null
vid=$(sed -n 's/.*otp_vid=\([0-9a-f]*\).*/\1/p' "$dir/first.txt" | head -n 1)
printf 'token=ZZZZZZ&verification_id=%s' "$vid" >"$dir/token.txt"
tlen=$(wc -c <"$dir/token.txt")

hyperfine --warmup 20 --runs "$RUNS" --export-markdown "$dir/bench.md" \
	-n 'no-op C program' "$dir/noop" \
	-n 'GET verify.cgi (no verification)' "REQUEST_METHOD=GET cgi-bin/verify.cgi >/dev/null 2>&1" \
	-n 'POST verify.cgi (code checked, row read)' \
	"REQUEST_METHOD=POST CONTENT_LENGTH=$tlen cgi-bin/verify.cgi <$dir/token.txt >/dev/null 2>&1" \
	-n 'GET request.cgi (phone form)' "REQUEST_METHOD=GET cgi-bin/request.cgi >/dev/null 2>&1" \
	-n 'POST request.cgi (limits, store, outbox)' \
	"REQUEST_METHOD=POST CONTENT_LENGTH=16 cgi-bin/request.cgi <$dir/phone.txt >/dev/null 2>&1" \
	>/dev/null
cat "$dir/bench.md"
