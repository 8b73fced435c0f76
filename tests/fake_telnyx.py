#!/usr/bin/python3
"""A fake Telnyx Messages API (POST /v2/messages) for the tests.

It listens on 127.0.0.1 only, records every POST it receives (even the
ones it answers with an error) and answers in the shapes Telnyx documents
(see /work/shared/reference/telnyx-messages-api.md).  Standard library only.

    with FakeTelnyx() as fake:          # or FakeTelnyx(mode='status:401')
        ... API_BASE_URL = fake.url ...
        fake.mode = 'hang'              # settable at any time
        fake.wait_messages(1)
        fake.code_for('+12025550143')

Modes: 'ok'; 'status:NNN' (401, 403, 422, 429, 500, 503, or any other
status: Telnyx's error body for it; 429 also sends Retry-After: 1);
'notjson' (200 with an HTML body); 'nodata' (200 JSON without data.id);
'hang' (read the request, record it, never answer until stop()).
Extra modes: 'spend_limit' (429 with 40333, the profile's daily spend
limit), 'emptyid' (200, data.id ""), 'huge' (200, a 1 MiB JSON body),
'redirect:URL' (307 to URL), 'delay:SECONDS' (then as 'ok'),
'fail_then_ok:NNN' (status NNN to the first POST, then as 'ok'),
'drip' (200 and its headers at once, then the body a byte every
DRIP_EVERY seconds, never done before stop() or HANG_MAX).

TLS, as Telnyx is reached in production: FakeTelnyx(tls=(CERT, KEY))
serves https (fake.url says so) with that certificate chain and key
(tests/tls_certs.py makes them); fake.connections counts the connections
accepted, fake.tls_handshakes the handshakes that succeeded, and
fake.tls_failures holds why each other one failed.  keep_alive=True keeps
a connection open after an answer, as Telnyx does (else each answer says
Connection: close); stop() closes the connections still open.

Webhooks, as Telnyx sends them: after fake.enable_webhooks() (a key pair
the fake makes; fake.public_key is its base64 public key, for
TELNYX_PUBLIC_KEY), every message it accepts in mode 'ok' is followed by
a signed message.sent and then message.finalized with fake.final_status
('delivered' unless the test sets another) posted to the message's
webhook_url (or fake.profile_webhook_url when the message has none),
each tried up to WEBHOOK_TRIES times until it gets a 2xx.  What was
posted is in fake.webhook_posts; wait_webhooks(n) waits for n accepted.
sign(), event(), message_payload() and post_webhook() build and send
webhooks by hand (bad signatures, replays, inbound texts).

Calls, as Telnyx Call Control v2 takes them: POST /v2/calls and POST
/v2/calls/{call_control_id}/actions/{speak,gather_using_speak,hangup,answer}
are recorded in fake.calls (not in fake.messages), each with what
telnyx_spec.check_request() finds wrong with it against Telnyx's schema
('problems'); a request with problems is answered 422 as Telnyx answers
a bad parameter, so a test sees it fail as it would.  fake.call_mode:
'ok' (200 with data.call_control_id, call_leg_id, call_session_id,
client_state as sent, is_alive false, record_type call), 'status:NNN'
(Telnyx's error body for NNN), 'noid' (200 without a call_control_id).
wait_calls(n) waits for n.  After enable_webhooks() (and while
auto_receipts), a call taken plays its life as Telnyx would, each event
signed and posted to the call's webhook_url: fake.call_life 'human'
(call.initiated, call.answered, call.machine.detection.ended human; then
call.speak.ended after a speak, call.gather.ended with fake.call_digits
after a gather, call.hangup after a hangup), 'machine' (the verdict
machine), 'no_answer' (call.hangup timeout), 'busy' (call.hangup
user_busy), 'hangup_midway' (answered, then call.hangup at once).

Run alone: /usr/bin/python3 tests/fake_telnyx.py --port 8099 [--mode ok]
serves until killed and prints each message it receives.
"""

import argparse
import base64
import json
import re
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import telnyx_spec

HOST = '127.0.0.1'  # never any other address
MESSAGES_PATH = '/v2/messages'
CALLS_PATH = '/v2/calls'
HANG_MAX = 120.0    # a hanging answer gives up after this long even without stop()
DRIP_EVERY = 0.5    # seconds between two bytes of a 'drip' answer
BODY_MAX = 1024 * 1024

# The documented error of each status (code, title, detail), for the
# status:N modes.  Telnyx's error pages: 40310, an invalid 'to', is HTTP 400;
# the spec's 422 example is 10004, a missing parameter.
ERRORS = {
    400: ('40310', "Invalid 'to' address", "The 'to' address is not a valid phone number."),
    401: ('10009', 'Authentication failed',
          'The API key looks malformed. Check that you copied it correctly.'),
    403: ('10010', 'Authorization failed',
          'You are not authorized to perform the requested action.'),
    404: ('10005', 'Resource not found', 'The requested resource or URL could not be found.'),
    422: ('10004', 'Missing required parameter', 'A required parameter is missing.'),
    409: ('40300', 'Blocked due to STOP message',
          'Messages cannot be sent to this number: it replied STOP. It must text START.'),
    429: ('10011', 'Too many requests',
          'You have exceeded the maximum number of allowed requests.'),
    500: ('10007', 'Unexpected error', 'An unexpected error occurred.'),
    502: ('10007', 'Unexpected error', 'Bad gateway.'),
    503: ('10007', 'Unexpected error', 'The service is temporarily unavailable.'),
}

# What a code looks like in a text: upper-case hex or digits, 4 to 10.
_CODE = r'[0-9A-F]{4,10}'
_CODE_PATTERNS = [
    re.compile(r'(?m)^@\S+ #(' + _CODE + r')\s*$'),              # WebOTP/Safari last line
    re.compile(r'(?i:token|code|otp|pin|password)\s*(?i:is)?\s*[:=]?\s*(' + _CODE + r')\b'),
]
_ANY_CODE = re.compile(r'(?<![0-9A-Za-z+])(' + _CODE + r')(?![0-9A-Za-z])')


def extract_code(text):
    """The code in an SMS text, or None.

    Tries, in order: a WebOTP line '@host #CODE'; 'token is CODE' (also
    'code', 'otp', 'pin', with or without 'is' or ':'); else the last run of
    4 to 10 upper-case hex characters or digits standing alone.
    """
    if not isinstance(text, str):
        return None
    for pat in _CODE_PATTERNS:
        found = pat.findall(text)
        if found:
            return found[-1]
    found = _ANY_CODE.findall(text)
    # Prefer a run holding a digit: 'FACE' or 'BEAD' in a text is a word.
    with_digit = [f for f in found if re.search(r'[0-9]', f)]
    if with_digit:
        return with_digit[-1]
    return found[-1] if found else None


# The errors the checks of mode 'ok' answer, as Telnyx does (spec3.yml and
# its error pages).
BAD_REQUEST = ('10015', 'Bad Request', 'The request failed because it was not well-formed.')
BAD_TO = ERRORS[400]
MISSING = ('10004', 'Missing required parameter', 'A required parameter is missing.')
BAD_FROM = ('40305', "Invalid 'from' address", "The 'from' address is not a number, short "
            "code or alphanumeric sender id of this account.")
NO_TEXT = ('10015', 'Bad Request', "The 'text' parameter is required for SMS and may not be "
           "empty.")
TOO_LONG = ('40302', 'Message too long', 'The text is longer than 10 parts (1,530 GSM-7 or '
            '670 UCS-2 characters).')
POOL_NUMBER = '+13125550100'  # what a number pool sends from
SPEND_LIMIT = ('40333', 'Spend limit reached', 'The daily spend limit of the messaging profile '
               'has been reached.')


def _error_body(status, err=None, pointer=None):
    code, title, detail = err or ERRORS.get(status, ('10007', 'Unexpected error',
                                                     'An unexpected error occurred.'))
    e = {'code': code, 'title': title, 'detail': detail,
         'meta': {'url': 'https://developers.telnyx.com/docs/overview/errors/' + code}}
    if pointer is None and status == 400 and err is None:
        pointer = '/to'
    if pointer:
        e['source'] = {'pointer': pointer}
    return {'errors': [e]}


# GSM 03.38: the basic table (beyond printable ASCII but '`') and the
# extension table, whose characters take two septets.
_GSM_BASIC = set('@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?'
                 '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà')
_GSM_EXT = set('\f^{}\\[~]|€')


def parts_of(text):
    """(encoding, parts) of an SMS text as Telnyx counts them: GSM-7, 160
    septets in one part or 153 a part; else UCS-2, 70 UTF-16 units or 67 a
    part."""
    gsm = all(c in _GSM_BASIC or c in _GSM_EXT for c in text)
    widths = [(2 if c in _GSM_EXT else 1) if gsm else len(c.encode('utf-16-le')) // 2
              for c in text]
    one, each = (160, 153) if gsm else (70, 67)
    parts, used = 1, 0
    if sum(widths) > one:
        for w in widths:  # a character is never split between two parts
            if used + w > each:
                parts, used = parts + 1, 0
            used += w
    return ('GSM-7' if gsm else 'UCS-2'), parts


_E164 = re.compile(r'^\+[1-9][0-9]{7,14}$')
_SHORT_CODE = re.compile(r'^[0-9]{4,8}$')
_ALPHANUMERIC = re.compile(r'^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$')


def _check_message(pj, content_type):
    """What Telnyx refuses in a well-formed JSON body: (status, error body),
    or None."""
    if not (content_type or '').split(';')[0].strip().lower() == 'application/json':
        return 400, _error_body(400, BAD_REQUEST)
    to = pj.get('to')
    if to is None:
        return 422, _error_body(422, MISSING, '/to')
    if not isinstance(to, str) or not (_E164.match(to) or _SHORT_CODE.match(to)):
        return 400, _error_body(400, BAD_TO, '/to')
    frm, profile = pj.get('from'), pj.get('messaging_profile_id')
    if frm is None and not profile:
        return 422, _error_body(422, MISSING, '/from')
    if frm is not None:
        if not isinstance(frm, str) or not (_E164.match(frm) or _SHORT_CODE.match(frm)
                                            or _ALPHANUMERIC.match(frm)):
            return 400, _error_body(400, BAD_FROM, '/from')
        if _ALPHANUMERIC.match(frm) and not profile:
            return 422, _error_body(422, MISSING, '/messaging_profile_id')
    text = pj.get('text')
    if not isinstance(text, str) or text == '':
        return 400, _error_body(400, NO_TEXT, '/text')
    if parts_of(text)[1] > 10:
        return 400, _error_body(400, TOO_LONG, '/text')
    return None


# --- webhooks ------------------------------------------------------------

WEBHOOK_TRIES = 3         # Telnyx tries each URL up to 3 times
WEBHOOK_RETRY_DELAY = 0.3  # seconds between tries (Telnyx: longer; tests are short)
WEBHOOK_TIMEOUT = 10.0     # one POST gives up after this long
FINAL_ERRORS = {           # what Telnyx's message.finalized carries for a failed status
    'delivery_failed': {'code': '40008', 'title': 'Undeliverable',
                        'detail': 'The message could not be delivered to the handset.'},
    'sending_failed': {'code': '40001', 'title': 'Not routable',
                       'detail': 'The destination is not routable (a landline?).'},
    'expired': {'code': '40014', 'title': 'Expired in queue',
                'detail': 'The message expired before it could be delivered.'},
}


def make_key():
    """A new Ed25519 key pair: (private key object, base64 public key)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives import serialization
    priv = Ed25519PrivateKey.generate()
    pub = priv.public_key().public_bytes(serialization.Encoding.Raw,
                                         serialization.PublicFormat.Raw)
    return priv, base64.b64encode(pub).decode()


def sign(priv, body, timestamp=None):
    """The two headers Telnyx sends with body (bytes), signed by priv."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    sig = priv.sign(ts.encode() + b'|' + body)
    return {'telnyx-signature-ed25519': base64.b64encode(sig).decode(),
            'telnyx-timestamp': ts}


def message_payload(message_id, to, status, errors=None, cost='0.0051', currency='USD',
                    parts=1, carrier='T-MOBILE USA, INC.', line_type='Wireless',
                    frm='+15550001111', text=None):
    """An outbound message as Telnyx's webhooks report it (OutboundMessagePayload)."""
    p = {
        'record_type': 'message', 'id': message_id, 'direction': 'outbound', 'type': 'SMS',
        'from': {'phone_number': frm, 'carrier': 'Telnyx', 'line_type': 'VoIP'},
        'to': [{'phone_number': to, 'status': status, 'carrier': carrier,
                'line_type': line_type}],
        'parts': parts, 'encoding': 'GSM-7',
        'errors': list(errors or []),
        'cost': {'amount': cost, 'currency': currency} if cost is not None else None,
    }
    if text is not None:
        p['text'] = text
    return p


def inbound_payload(frm, to, text):
    """An inbound text (message.received)."""
    return {
        'record_type': 'message', 'id': str(uuid.uuid4()), 'direction': 'inbound',
        'type': 'SMS', 'from': {'phone_number': frm, 'carrier': 'T-MOBILE USA, INC.',
                                'line_type': 'Wireless'},
        'to': [{'phone_number': to, 'status': 'webhook_delivered'}],
        'text': text, 'parts': 1, 'encoding': 'GSM-7', 'errors': [],
    }


def call_payload(call_control_id, client_state, to='+12025550143', frm='+15550001111',
                 **extra):
    """A call event's payload (call.initiated ... call.hangup) as Call Control
    sends it: extra adds hangup_cause, result (machine detection), digits."""
    p = {
        'call_control_id': call_control_id,
        'call_leg_id': str(uuid.uuid4()),
        'call_session_id': str(uuid.uuid4()),
        'client_state': client_state,
        'connection_id': '1494404757140276705',
        'from': frm, 'to': to, 'direction': 'outgoing', 'state': 'bridging',
    }
    p.update(extra)
    return p


def event(event_type, payload, event_id=None, attempt=1, url=''):
    """The envelope Telnyx posts, as bytes."""
    return json.dumps({
        'data': {'record_type': 'event', 'id': event_id or str(uuid.uuid4()),
                 'event_type': event_type,
                 'occurred_at': time.strftime('%Y-%m-%dT%H:%M:%S.000+00:00', time.gmtime()),
                 'payload': payload},
        'meta': {'attempt': attempt, 'delivered_to': url},
    }).encode()


def post_webhook(url, body, headers, timeout=WEBHOOK_TIMEOUT):
    """POST body to url as Telnyx does: (status, answer bytes); status 0 if
    no answer came."""
    req = urllib.request.Request(url, data=body, method='POST', headers=dict(
        headers, **{'Content-Type': 'application/json', 'User-Agent': 'telnyx-webhooks'}))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (OSError, ValueError):
        return 0, b''


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 256  # 50 CGI processes may connect at once
    fake = None
    tls = None  # an ssl.SSLContext: every connection is TLS

    def finish_request(self, request, client_address):
        # In the connection's own thread: the handshake too, so that a
        # client that never finishes one holds up no other.
        fake = self.fake
        conn = request
        with fake._cond:
            fake.connections += 1
            fake._open.add(conn)
        try:
            if self.tls is not None:
                request.settimeout(_Handler.timeout)
                try:
                    conn = self.tls.wrap_socket(request, server_side=True)
                except (ssl.SSLError, OSError) as e:
                    with fake._cond:
                        fake.tls_failures.append(str(e))
                        fake._cond.notify_all()
                    return
                with fake._cond:
                    fake._open.discard(request)
                    fake._open.add(conn)
                    fake.tls_handshakes += 1
                    fake._cond.notify_all()
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            with fake._cond:
                fake._open.discard(conn)
                fake._open.discard(request)
            if conn is not request:  # wrap_socket() took request's descriptor
                try:
                    conn.close()
                except OSError:
                    pass

    def handle_error(self, request, client_address):
        # A connection stop() cut, or a client that went away: not news.
        if self.fake.verbose:
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'FakeTelnyx/1.0'
    timeout = 30  # a client that sends half a request does not hold a thread forever
    # An answer leaves in one write (headers and body, flushed by _send()),
    # at once (TCP_NODELAY), as a production server sends it.
    # Unbuffered, the headers went alone and the body waited under Nagle's
    # algorithm for the client's delayed ACK (40 ms on Linux): a client that
    # keeps its connection alive, past the first few segments that Linux
    # acknowledges at once, paid that on every answer, one that connects
    # anew did not.
    wbufsize = -1
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet: the tests print what they need
        if self.server.fake.verbose:
            sys.stderr.write('fake_telnyx: ' + (fmt % args) + '\n')

    def _read_body(self):
        te = (self.headers.get('Transfer-Encoding') or '').lower()
        if 'chunked' in te:
            data = b''
            while len(data) <= BODY_MAX:
                line = self.rfile.readline(1024)
                if not line:
                    break
                try:
                    n = int(line.split(b';')[0].strip() or b'0', 16)
                except ValueError:
                    break
                if n == 0:
                    # trailers until a blank line
                    while True:
                        t = self.rfile.readline(1024)
                        if not t or t in (b'\r\n', b'\n'):
                            break
                    break
                data += self.rfile.read(n)
                self.rfile.readline(1024)
            return data
        try:
            n = int(self.headers.get('Content-Length') or 0)
        except ValueError:
            n = 0
        n = max(0, min(n, BODY_MAX))
        return self.rfile.read(n) if n else b''

    def _send_json(self, status, obj, extra_headers=()):
        body = json.dumps(obj).encode()
        self._send(status, body, 'application/json', extra_headers)

    def _send(self, status, body, ctype, extra_headers=()):
        keep = self.server.fake.keep_alive
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        if not keep:
            self.send_header('Connection', 'close')
        for k, v in extra_headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()  # headers and body in one write, before any webhook
        if not keep:
            self.close_connection = True

    def _drip(self, body):
        # The headers at once, then the body a byte at a time: a client's
        # timeouts for a connection that stalls are not enough here.
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        deadline = time.monotonic() + HANG_MAX
        for i in range(len(body)):
            if self.server.fake._stopping.wait(DRIP_EVERY) or time.monotonic() > deadline:
                return
            try:
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
            except OSError:
                return

    def do_POST(self):
        fake = self.server.fake
        raw = self._read_body()
        try:
            parsed = json.loads(raw.decode('utf-8'))
        except (ValueError, UnicodeDecodeError):
            parsed = None
        pj = parsed if isinstance(parsed, dict) else {}
        if self.path.split('?')[0].startswith(CALLS_PATH):
            self._call(fake, raw, parsed)
            return
        msg = {
            'to': pj.get('to'),
            'from': pj.get('from'),
            'text': pj.get('text'),
            'messaging_profile_id': pj.get('messaging_profile_id'),
            'authorization': self.headers.get('Authorization'),
            'content_type': self.headers.get('Content-Type'),
            'raw': raw,
            'json': parsed,
            'path': self.path,
            'headers': dict(self.headers.items()),
            'mode': fake.mode,
            'time': time.time(),
        }
        mode = msg['mode']
        fake._record(msg)

        if self.path.split('?')[0] != MESSAGES_PATH:
            self._send_json(404, _error_body(404))
            return
        if mode.startswith('delay:'):
            try:
                delay = float(mode.split(':', 1)[1])
            except ValueError:
                delay = 1.0
            if fake._stopping.wait(min(delay, HANG_MAX)):
                return
            mode = 'ok'
        if mode.startswith('fail_then_ok:'):
            if len(fake.messages) <= 1:
                mode = 'status:' + mode.split(':', 1)[1]
            else:
                mode = 'ok'
        if mode == 'emptyid':
            ok = fake._success(pj)
            ok['data']['id'] = ''
            self._send_json(200, ok)
            return
        if mode == 'huge':
            ok = fake._success(pj)
            ok['data']['padding'] = 'x' * (1024 * 1024)
            self._send_json(200, ok)
            return
        if mode == 'drip':
            self._drip(json.dumps(fake._success(pj)).encode())
            return
        if mode.startswith('redirect:'):
            self._send(307, b'', 'text/plain', [('Location', mode.split(':', 1)[1])])
            return
        if mode == 'hang':
            # Answer nothing; give up when the fake stops (or after HANG_MAX).
            fake._stopping.wait(HANG_MAX)
            self.close_connection = True
            return
        if mode == 'notjson':
            self._send(200, b'<html><body>Bad Gateway? no: not JSON</body></html>',
                       'text/html')
            return
        if mode == 'spend_limit':  # the messaging profile's daily_spend_limit
            self._send_json(429, _error_body(429, SPEND_LIMIT))
            return
        if mode == 'nodata':
            self._send_json(200, {'data': {'record_type': 'message', 'errors': []}})
            return
        if mode.startswith('status:'):
            try:
                status = int(mode.split(':', 1)[1])
            except ValueError:
                status = 500
            extra = []
            if status == 429:
                extra = [('Retry-After', '1'), ('x-ratelimit-limit', '10'),
                         ('x-ratelimit-remaining', '0'), ('x-ratelimit-reset', '1')]
            if status >= 400:
                self._send_json(status, _error_body(status), extra)
            else:
                self._send_json(status, fake._success(pj))
            return
        # 'ok' and anything unknown: success, but check what Telnyx checks.
        if parsed is None or not isinstance(parsed, dict):
            self._send_json(400, _error_body(400, BAD_REQUEST))
            return
        if not (msg['authorization'] or '').startswith('Bearer '):
            self._send_json(401, _error_body(401))
            return
        refused = _check_message(pj, msg['content_type'])
        if refused is not None:
            self._send_json(*refused)
            return
        ok = fake._success(pj)
        self._send_json(200, ok)
        fake._after_send(ok['data'], pj.get('webhook_url'))

    def _call(self, fake, raw, parsed):
        """POST /v2/calls or an action on a call: recorded, checked, answered."""
        path = self.path.split('?')[0]
        problems = (telnyx_spec.check_request(path, parsed) if isinstance(parsed, dict)
                    else ['/: not a JSON object'])
        call = {
            'path': path,
            'json': parsed,
            'raw': raw,
            'authorization': self.headers.get('Authorization'),
            'content_type': self.headers.get('Content-Type'),
            'problems': problems,
            'mode': fake.call_mode,
            'time': time.time(),
        }
        fake._record_call(call)
        mode = call['mode']
        if not (call['authorization'] or '').startswith('Bearer '):
            self._send_json(401, _error_body(401))
            return
        if mode.startswith('status:'):
            try:
                status = int(mode.split(':', 1)[1])
            except ValueError:
                status = 500
            self._send_json(status, _error_body(status))
            return
        if problems:
            first = problems[0].split(':', 1)[0]
            self._send_json(422, _error_body(422, ('90002', 'Invalid parameter',
                                                   '; '.join(problems)[:500]), first))
            return
        if path != CALLS_PATH:  # an action: Telnyx answers {"data":{"result":"ok"}}
            self._send_json(200, {'data': {'result': 'ok'}})
            parts = path.split('/')  # '', 'v2', 'calls', id, 'actions', action
            fake._call_action(parts[3], parts[5])
            return
        data = {
            'record_type': 'call',
            'call_control_id': 'v3:' + base64.urlsafe_b64encode(uuid.uuid4().bytes +
                                                                uuid.uuid4().bytes[:8])
            .decode().rstrip('='),
            'call_leg_id': str(uuid.uuid4()),
            'call_session_id': str(uuid.uuid4()),
            'is_alive': False,
        }
        if 'client_state' in parsed:
            data['client_state'] = parsed['client_state']
        if mode == 'noid':
            del data['call_control_id']
        call['call_control_id'] = data.get('call_control_id')
        self._send_json(200, {'data': data})
        if data.get('call_control_id'):
            fake._call_placed(data['call_control_id'], parsed)

    def _not_allowed(self):
        self._read_body()
        self._send_json(405, {'errors': [{'code': '10015', 'title': 'Bad Request',
                                          'detail': 'Method not allowed.'}]})

    do_GET = do_PUT = do_DELETE = do_PATCH = _not_allowed


class _Received:
    """What a fake received: self._messages under self._cond."""

    @property
    def messages(self):
        """A copy of the list of received messages (dicts), oldest first."""
        with self._cond:
            return list(self._messages)

    def clear(self):
        with self._cond:
            self._messages.clear()

    def messages_to(self, phone):
        return [m for m in self.messages if m.get('to') == phone]

    def code_for(self, phone):
        """The code in the last text sent to phone, or None."""
        for m in reversed(self.messages):
            if m.get('to') == phone:
                return extract_code(m.get('text'))
        return None

    def codes_for(self, phone):
        """Every code sent to phone, oldest first."""
        return [c for c in (extract_code(m.get('text')) for m in self.messages_to(phone))
                if c]

    def wait_messages(self, n, timeout=10):
        """Wait (at most timeout seconds) until n messages were received.
        Returns whether they were."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._messages) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True


class FakeTelnyx(_Received):
    """The fake server.  start() binds 127.0.0.1 on a free port."""

    def __init__(self, mode='ok', port=0, verbose=False, on_message=None, tls=None,
                 keep_alive=False):
        self.mode = mode
        self.port = port
        self.verbose = verbose
        self.on_message = on_message
        self.tls = tls  # (certificate chain file, key file), or None: plain HTTP
        self.keep_alive = keep_alive
        self.connections = 0     # accepted
        self.tls_handshakes = 0  # that succeeded
        self.tls_failures = []   # why each other one failed (the client's alert)
        self._open = set()       # the connections being served
        self._messages = []
        self.call_mode = 'ok'
        self.call_life = 'human'
        self.call_digits = '1'
        self._calls = []
        self._live_calls = {}
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._server = None
        self._thread = None
        # Webhooks: off until enable_webhooks().
        self.webhook_key = None
        self.public_key = None
        self.final_status = 'delivered'
        self.profile_webhook_url = None
        self.auto_receipts = True  # False: post nothing by itself (the test does)
        self.webhook_posts = []
        self._hook_threads = []

    # --- life ---------------------------------------------------------
    def start(self):
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server((HOST, self.port), _Handler)
        self._server.fake = self
        if self.tls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*self.tls)
            self._server.tls = ctx
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={'poll_interval': 0.1},
                                        name='fake-telnyx', daemon=True)
        self._thread.start()
        return self

    def stop(self):
        srv = self._server
        if srv is None:
            return
        self._stopping.set()  # releases every 'hang' handler and webhook retry
        for t in list(self._hook_threads):
            t.join(WEBHOOK_TIMEOUT * WEBHOOK_TRIES + 5)
        srv.shutdown()        # returns once serve_forever has left its loop
        srv.server_close()
        with self._cond:
            still = list(self._open)
        for conn in still:  # kept alive, or mid-handshake: their threads end now
            try:
                socket.socket.shutdown(conn, socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(5)
        self._server = None
        self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    @property
    def url(self):
        if self._server is None:
            raise RuntimeError('FakeTelnyx not started')
        return '%s://%s:%d' % ('https' if self.tls else 'http', HOST, self.port)

    def wait_tls_failures(self, n, timeout=5):
        """Wait (at most timeout seconds) until n handshakes failed."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.tls_failures) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    # --- what it received ---------------------------------------------
    def _record(self, msg):
        with self._cond:
            self._messages.append(msg)
            self._cond.notify_all()
        if self.on_message is not None:
            self.on_message(msg)

    # --- a call's life (after enable_webhooks()) ------------------------
    def _call_events(self, call_id, events):
        """Post events [(type, extra payload)] of call call_id, in order, in
        a thread of their own."""
        live = self._live_calls.get(call_id)
        if live is None or self.webhook_key is None or not self.auto_receipts:
            return

        def run():
            for kind, extra in events:
                payload = call_payload(call_id, live.get('client_state'), to=live.get('to'),
                                       frm=live.get('from'), **extra)
                self.deliver(live['url'], event(kind, payload), kind, call_id)
                if self._stopping.is_set():
                    return

        t = threading.Thread(target=run, name='fake-telnyx-call', daemon=True)
        with self._cond:
            self._hook_threads = [x for x in self._hook_threads if x.is_alive()] + [t]
        t.start()

    def _call_placed(self, call_id, body):
        if not body.get('webhook_url'):
            return
        self._live_calls[call_id] = {'url': body['webhook_url'], 'to': body.get('to'),
                                     'from': body.get('from'),
                                     'client_state': body.get('client_state')}
        life = self.call_life
        events = [('call.initiated', {})]
        if life == 'no_answer':
            events.append(('call.hangup', {'hangup_cause': 'timeout'}))
        elif life == 'busy':
            events.append(('call.hangup', {'hangup_cause': 'user_busy'}))
        elif life == 'hangup_midway':
            events += [('call.answered', {}), ('call.hangup', {'hangup_cause': 'normal_clearing'})]
        else:
            events += [('call.answered', {}),
                       ('call.machine.detection.ended',
                        {'result': 'machine' if life == 'machine' else 'human'})]
        self._call_events(call_id, events)

    def _call_action(self, call_id, action):
        follow = {
            'speak': [('call.speak.ended', {'status': 'completed'})],
            'gather_using_speak': [('call.gather.ended',
                                    {'digits': self.call_digits, 'status': 'valid'})],
            'hangup': [('call.hangup', {'hangup_cause': 'normal_clearing'})],
        }.get(action)
        if follow:
            self._call_events(call_id, follow)

    def _record_call(self, call):
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

    @property
    def calls(self):
        """A copy of the calls and actions received (dicts), oldest first."""
        with self._cond:
            return list(self._calls)

    def wait_calls(self, n, timeout=10):
        """Wait (at most timeout seconds) until n calls and actions came."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._calls) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    # --- webhooks ------------------------------------------------------
    def enable_webhooks(self, final_status='delivered'):
        """Make a key pair and post signed receipts for each message accepted."""
        self.webhook_key, self.public_key = make_key()
        self.final_status = final_status
        return self.public_key

    def sign(self, body, timestamp=None):
        return sign(self.webhook_key, body, timestamp)

    def deliver(self, url, body, event_type='', message_id=''):
        """Post one signed event to url, tried until a 2xx, as Telnyx does.
        Returns the last status (0: no answer)."""
        status = 0
        for attempt in range(1, WEBHOOK_TRIES + 1):
            status, _ = post_webhook(url, body, self.sign(body))
            with self._cond:
                self.webhook_posts.append({'event_type': event_type, 'message_id': message_id,
                                           'url': url, 'status': status, 'attempt': attempt,
                                           'body': body})
                self._cond.notify_all()
            if 200 <= status < 300 or self._stopping.wait(WEBHOOK_RETRY_DELAY):
                break
        return status

    def send_inbound(self, url, frm, to, text, event_id=None):
        """A text from frm to our number to, posted (signed) as message.received.
        Returns the last status."""
        body = event('message.received', inbound_payload(frm, to, text), event_id, url=url)
        return self.deliver(url, body, 'message.received', '')

    def _after_send(self, data, url):
        if self.webhook_key is None or not self.auto_receipts or \
                not (url or self.profile_webhook_url):
            return
        url = url or self.profile_webhook_url
        final = self.final_status
        to = data['to'][0]['phone_number']

        def run():
            for kind, status in (('message.sent', 'sent'), ('message.finalized', final)):
                errors = [FINAL_ERRORS[status]] if status in FINAL_ERRORS else []
                payload = message_payload(data['id'], to, status, errors=errors,
                                          parts=data.get('parts', 1),
                                          cost=None if kind == 'message.sent' else '0.0051')
                self.deliver(url, event(kind, payload, url=url), kind, data['id'])
                if self._stopping.is_set():
                    return

        t = threading.Thread(target=run, name='fake-telnyx-webhooks', daemon=True)
        with self._cond:
            self._hook_threads = [x for x in self._hook_threads if x.is_alive()] + [t]
        t.start()

    def accepted_webhooks(self):
        """The webhook posts that got a 2xx."""
        with self._cond:
            return [p for p in self.webhook_posts if 200 <= p['status'] < 300]

    def wait_webhooks(self, n, timeout=20):
        """Wait (at most timeout seconds) until n posts got a 2xx."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while sum(1 for p in self.webhook_posts if 200 <= p['status'] < 300) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def _success(self, pj):
        to = pj.get('to')
        text = pj.get('text') if isinstance(pj.get('text'), str) else ''
        encoding, parts = parts_of(text)
        frm = pj.get('from') if isinstance(pj.get('from'), str) else POOL_NUMBER
        return {'data': {
            'record_type': 'message',
            'id': str(uuid.uuid4()),
            'direction': 'outbound',
            'type': 'SMS',
            'messaging_profile_id': pj.get('messaging_profile_id')
                or '4001767e-ce0f-4cae-9d5f-0d5e636e7809',
            'from': {'phone_number': frm, 'carrier': 'Telnyx', 'line_type': 'VoIP'},
            'to': [{'phone_number': to, 'status': 'queued', 'carrier': 'T-MOBILE USA, INC.',
                    'line_type': 'Wireless'}],
            'text': pj.get('text'),
            'parts': parts,
            'encoding': encoding,
            'cost': {'amount': '0.0051', 'currency': 'USD'},
            'errors': [],
            'received_at': time.strftime('%Y-%m-%dT%H:%M:%S.000+00:00', time.gmtime()),
        }}

class FakeTelnyxProcess(_Received):
    """The same fake in a process of its own, for tests that load the
    machine: a burst of 50 CGI processes run from 50 threads of the test,
    with CPU burners beside them, leaves a fake in the test's own process
    waiting for the GIL for longer than the programs' 10-second timeout.
    Mode 'ok' only; messages, wait_messages(), code_for() and messages_to()
    as FakeTelnyx's (the child reports each message as a JSON line)."""

    def __init__(self):
        self._messages = []
        self._cond = threading.Condition()
        self._proc = None
        self._reader = None
        self.url = None
        self.mode = 'ok'

    def start(self):
        import os
        import subprocess
        self._proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), '--json'],
                                      stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                      text=True, start_new_session=True)
        first = self._proc.stdout.readline()
        m = re.search(r'listening on (http://\S+)', first)
        if m is None:
            self.stop()
            raise RuntimeError('fake telnyx did not start: %r' % first)
        self.url = m.group(1)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def _read(self):
        for line in self._proc.stdout:
            if line.startswith('{'):
                with self._cond:
                    self._messages.append(json.loads(line))
                    self._cond.notify_all()
            elif line.strip():
                raise RuntimeError('fake telnyx wrote %r' % line)

    def stop(self):
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except Exception:
                self._proc.kill()
                self._proc.wait(10)
            self._proc = None
        if self._reader is not None:
            self._reader.join(5)
            self._reader = None


def main(argv=None):
    ap = argparse.ArgumentParser(description='Fake Telnyx Messages API on 127.0.0.1')
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--mode', default='ok')
    ap.add_argument('--verbose', action='store_true')
    ap.add_argument('--json', action='store_true', help='each message as one JSON line')
    ap.add_argument('--tls', nargs=2, metavar=('CERT', 'KEY'),
                    help='serve https with this certificate chain and key')
    args = ap.parse_args(argv)

    out_lock = threading.Lock()

    def show(m):
        if args.json:
            # One write per line, under a lock: handlers run in threads.
            with out_lock:
                sys.stdout.write(json.dumps(m, default=str) + '\n')
                sys.stdout.flush()
            return
        print('message: to=%r from=%r text=%r profile=%r auth=%r mode=%s'
              % (m['to'], m['from'], m['text'], m['messaging_profile_id'],
                 m['authorization'], m['mode']), flush=True)

    fake = FakeTelnyx(mode=args.mode, port=args.port, verbose=args.verbose, on_message=show,
                      tls=args.tls)
    fake.start()
    print('fake telnyx listening on %s (mode %s)' % (fake.url, fake.mode), flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    signal.signal(signal.SIGINT, lambda *a: done.set())
    while not done.wait(0.5):
        pass
    fake.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
