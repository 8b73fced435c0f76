"""The call's requests against Telnyx's Call Control spec (issue 25).

tests/data/telnyx-call-body.json is, to the byte, the body request.cgi's
call row (lib/telnyx.c, telnyx_call_body()) posts to POST /v2/calls, and
tests/data/telnyx-{speak,gather,hangup}-body.json the actions on the call
(tests/unit/test_telnyx.c proves that); here they are checked against the
spec's schemas of their paths, and so is every call the fake Telnyx takes.
The checker is shown to catch what it must (so that a pass means
something), and the fake to answer POST /v2/calls as the spec does."""

import json
import unittest
import urllib.error
import urllib.request
from pathlib import Path

import telnyx_spec
from fake_telnyx import FakeTelnyx

TESTS = Path(__file__).resolve().parents[1]
BODY = TESTS / 'data' / 'telnyx-call-body.json'
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def post(url, path, obj, key='KEYabc'):
    h = {'Content-Type': 'application/json'}
    if key is not None:
        h['Authorization'] = 'Bearer ' + key
    req = urllib.request.Request(url + path, data=json.dumps(obj).encode(), headers=h,
                                 method='POST')
    try:
        with _OPENER.open(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def body():
    with open(BODY, encoding='utf-8') as f:
        return json.load(f)


class CallBodyAgainstTheSpec(unittest.TestCase):
    def test_the_call_body_conforms_to_call_request(self):
        self.assertEqual(telnyx_spec.check_request('/v2/calls', body()), [])

    def test_the_call_body_says_what_the_issue_asks(self):
        b = body()
        for k in ('connection_id', 'to', 'from', 'webhook_url', 'client_state'):
            self.assertIsInstance(b[k], str, k)
        self.assertNotEqual(b['answering_machine_detection'], 'disabled')
        # Capped far below Telnyx's four hours, within the spec's range.
        self.assertGreaterEqual(b['time_limit_secs'], 30)
        self.assertLessEqual(b['time_limit_secs'], 120)
        # client_state ties the call to its verification without saying
        # anything: 16 random bytes, no number, no code, no id.
        import base64
        raw = base64.b64decode(b['client_state'], validate=True)
        self.assertEqual(len(raw), 16)
        self.assertNotIn(b['to'].encode(), raw)

    def test_the_checker_catches_what_the_spec_refuses(self):
        cases = [
            ({k: v for k, v in body().items() if k != 'connection_id'}, '/connection_id'),
            (dict(body(), time_limit_secs=14401), '/time_limit_secs'),
            (dict(body(), time_limit_secs=29), '/time_limit_secs'),
            (dict(body(), answering_machine_detection='on'), '/answering_machine_detection'),
            (dict(body(), client_state='not base64!'), '/client_state'),
            (dict(body(), to=7), '/to'),
            (dict(body(), webhook_url_method='PUT'), '/webhook_url_method'),
            (dict(body(), timeout_sec=30), '/timeout_sec'),  # misspelt: not in the schema
        ]
        for b, where in cases:
            with self.subTest(where=where):
                problems = telnyx_spec.check_request('/v2/calls', b)
                self.assertTrue(any(p.startswith(where) for p in problems), problems)

    def test_the_action_bodies_conform_to_their_schemas(self):
        # As lib/telnyx.c builds them (pinned by tests/unit/test_telnyx.c).
        for action in ('speak', 'gather', 'hangup'):
            with self.subTest(action=action):
                with open(TESTS / 'data' / ('telnyx-%s-body.json' % action),
                          encoding='utf-8') as f:
                    b = json.load(f)
                path = '/v2/calls/v3:x/actions/' + (
                    'gather_using_speak' if action == 'gather' else action)
                self.assertEqual(telnyx_spec.check_request(path, b), [])
                # Each carries the call's token, and an id that makes it run once.
                self.assertEqual(b['client_state'], body()['client_state'])
                self.assertTrue(b['command_id'])

    def test_the_actions_have_their_schemas(self):
        ok = telnyx_spec.check_request
        self.assertEqual(ok('/v2/calls/v3:x/actions/hangup', {}), [])
        self.assertEqual(ok('/v2/calls/v3:x/actions/speak',
                            {'payload': '1, 2, 3', 'voice': 'female', 'language': 'en-US'}), [])
        self.assertNotEqual(ok('/v2/calls/v3:x/actions/speak', {'voice': 'female'}), [])
        self.assertNotEqual(ok('/v2/calls/v3:x/actions/dial', {}), [])


class FakeTakesCalls(unittest.TestCase):
    def test_a_call_is_answered_as_the_spec_says(self):
        with FakeTelnyx() as fake:
            status, answer = post(fake.url, '/v2/calls', body())
            self.assertEqual(status, 200)
            data = answer['data']
            self.assertTrue(data['call_control_id'].startswith('v3:'))
            self.assertEqual(data['client_state'], body()['client_state'])
            schema = telnyx_spec.spec()['paths']['/calls']['post']['responses']['200']
            schema = schema['content']['application/json']['schema']
            self.assertEqual(telnyx_spec.check(schema, answer), [])
            self.assertTrue(fake.wait_calls(1))
            call = fake.calls[0]
            self.assertEqual(call['problems'], [])
            self.assertEqual(call['call_control_id'], data['call_control_id'])
            # Calls are not texts: a test's texts are as they were.
            self.assertEqual(fake.messages, [])

    def test_a_call_against_the_spec_is_refused_and_recorded(self):
        with FakeTelnyx() as fake:
            status, answer = post(fake.url, '/v2/calls', dict(body(), time_limit_secs=5))
            self.assertEqual(status, 422)
            self.assertIn('time_limit_secs', answer['errors'][0]['detail'])
            self.assertTrue(fake.calls[0]['problems'])

    def test_modes(self):
        with FakeTelnyx() as fake:
            fake.call_mode = 'status:503'
            self.assertEqual(post(fake.url, '/v2/calls', body())[0], 503)
            fake.call_mode = 'noid'
            status, answer = post(fake.url, '/v2/calls', body())
            self.assertEqual(status, 200)
            self.assertNotIn('call_control_id', answer['data'])
            fake.call_mode = 'ok'
            self.assertEqual(post(fake.url, '/v2/calls', body(), key=None)[0], 401)
            self.assertEqual(post(fake.url, '/v2/calls/v3:x/actions/hangup', {}),
                             (200, {'data': {'result': 'ok'}}))
            self.assertEqual(len(fake.calls), 4)


if __name__ == '__main__':
    unittest.main()
