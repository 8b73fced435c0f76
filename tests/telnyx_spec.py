"""Telnyx's Call Control requests checked against its OpenAPI spec.

tests/data/telnyx-openapi-call-control.json is the part of Telnyx's spec
the programs use (POST /calls and the actions speak, gather_using_speak,
hangup and answer).  check_request(path, body) says what is wrong with a
request the programs made, against the schema of its path: the subset of
JSON Schema the spec uses ($ref, oneOf, anyOf, allOf, type, enum, minimum,
maximum, minLength, maxLength, maxItems, required, properties, items), and
stricter than Telnyx in one way: a property the schema does not name is a
problem (a misspelt key is silently ignored by a real API).  Standard
library only, as the fake.

    problems = check_request('/v2/calls', body)   # [] when it conforms
"""

import base64
import binascii
import json
import re
from pathlib import Path

SPEC_PATH = Path(__file__).resolve().parent / 'data' / 'telnyx-openapi-call-control.json'
_spec = None


def spec():
    """The spec, read once."""
    global _spec
    if _spec is None:
        with open(SPEC_PATH, encoding='utf-8') as f:
            _spec = json.load(f)
    return _spec


def _resolve(schema):
    for _ in range(32):  # a chain of $refs, bounded
        ref = schema.get('$ref') if isinstance(schema, dict) else None
        if ref is None:
            return schema
        node = spec()
        for part in ref.lstrip('#/').split('/'):
            node = node[part]
        schema = node
    raise ValueError('$ref chain too long')


def _type_ok(t, v):
    return {
        'string': lambda: isinstance(v, str),
        'integer': lambda: isinstance(v, int) and not isinstance(v, bool),
        'number': lambda: isinstance(v, (int, float)) and not isinstance(v, bool),
        'boolean': lambda: isinstance(v, bool),
        'object': lambda: isinstance(v, dict),
        'array': lambda: isinstance(v, list),
        'null': lambda: v is None,
    }.get(t, lambda: True)()


def check(schema, v, where='', depth=0):
    """What is wrong with v against schema: a list of 'where: why'."""
    if depth > 32:
        return [where + ': schema too deep']
    s = _resolve(schema)
    out = []
    for key in ('allOf',):
        for sub in s.get(key, []):
            out += check(sub, v, where, depth + 1)
    if 'oneOf' in s:
        n = sum(1 for sub in s['oneOf'] if not check(sub, v, where, depth + 1))
        if n != 1:
            out.append('%s: matches %d of oneOf, not 1' % (where or '/', n))
    if 'anyOf' in s and not any(not check(sub, v, where, depth + 1) for sub in s['anyOf']):
        out.append('%s: matches none of anyOf' % (where or '/'))
    t = s.get('type')
    if t is not None and not _type_ok(t, v):
        return out + ['%s: not of type %s' % (where or '/', t)]
    if 'enum' in s and v not in s['enum']:
        out.append('%s: %r not one of %r' % (where or '/', v, s['enum']))
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if 'minimum' in s and v < s['minimum']:
            out.append('%s: %r below %r' % (where, v, s['minimum']))
        if 'maximum' in s and v > s['maximum']:
            out.append('%s: %r above %r' % (where, v, s['maximum']))
    if isinstance(v, str):
        if 'minLength' in s and len(v) < s['minLength']:
            out.append('%s: shorter than %d' % (where, s['minLength']))
        if 'maxLength' in s and len(v) > s['maxLength']:
            out.append('%s: longer than %d' % (where, s['maxLength']))
    if isinstance(v, list):
        if 'maxItems' in s and len(v) > s['maxItems']:
            out.append('%s: more than %d items' % (where, s['maxItems']))
        if 'items' in s:
            for i, item in enumerate(v):
                out += check(s['items'], item, '%s/%d' % (where, i), depth + 1)
    if isinstance(v, dict):
        props = s.get('properties')
        for r in s.get('required', []):
            if r not in v:
                out.append('%s/%s: required' % (where, r))
        if props is not None:
            extra = s.get('additionalProperties', False)
            for k, item in v.items():
                if k in props:
                    out += check(props[k], item, '%s/%s' % (where, k), depth + 1)
                elif extra is False:
                    out.append('%s/%s: not in the schema' % (where, k))
                elif isinstance(extra, dict):
                    out += check(extra, item, '%s/%s' % (where, k), depth + 1)
    return out


def request_schema(path):
    """The schema of a POST to path ('/v2/calls', '/v2/calls/ID/actions/speak'),
    or None when the spec has no such path."""
    p = path.split('?')[0]
    if not p.startswith('/v2/'):
        return None
    p = p[3:]
    for template, ops in spec()['paths'].items():
        rx = '^' + re.sub(r'\\\{[^}]+\\\}', '[^/]+', re.escape(template)) + '$'
        if re.match(rx, p) and 'post' in ops:
            body = ops['post'].get('requestBody', {})
            return body.get('content', {}).get('application/json', {}).get('schema')
    return None


def check_request(path, body):
    """What is wrong with the JSON body posted to path (a list; [] if none)."""
    schema = request_schema(path)
    if schema is None:
        return ['%s: no such path in the spec' % path]
    out = check(schema, body)
    # The spec's words, not its schema: client_state "must be a valid
    # Base-64 encoded string".
    cs = body.get('client_state') if isinstance(body, dict) else None
    if isinstance(cs, str):
        try:
            base64.b64decode(cs, validate=True)
        except (binascii.Error, ValueError):
            out.append('/client_state: not base64')
    return out
