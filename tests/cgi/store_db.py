"""The tests' own look into a site's SQLite file (Python's sqlite3, never
the programs' code): row counts, the schema normalised, files of older and
newer versions of the programs, and the code's keyed hash as lib/code.c
makes it.  Used by test_store_migrate.py and test_store_faults.py."""

import hashlib
import hmac
import re
import sqlite3
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
SCHEMA_V1 = TESTS / 'data' / 'schema-v1.sql'               # sql/schema.sql at version 1
SCHEMA = TESTS.parent / 'sql' / 'schema.sql'               # the latest, for new files
TABLES = ('verification', 'send', 'failure', 'assertion_used')
# The version sql/schema.sql makes: its last "PRAGMA user_version = N".
LATEST = int(re.findall(r'PRAGMA user_version = (\d+);', SCHEMA.read_text())[-1])


def connect(path):
    """A connection to an existing file (never makes one)."""
    return sqlite3.connect('file:%s?mode=rw' % path, uri=True, isolation_level=None)


def rows(path):
    """{table: set of rows} of the programs' tables."""
    con = connect(path)
    try:
        return {t: set(con.execute('SELECT * FROM %s' % t)) for t in TABLES}
    finally:
        con.close()


def counts(path):
    return {t: len(r) for t, r in rows(path).items()}


def pragma(path, name):
    con = connect(path)
    try:
        return con.execute('PRAGMA %s' % name).fetchone()[0]
    finally:
        con.close()


def _normal(sql):
    if sql is None:
        return None
    sql = re.sub(r'--[^\n]*', ' ', sql)
    sql = ' '.join(sql.split())
    return re.sub(r'\s*([(),])\s*', r'\1', sql)


def schema(path):
    """The file's schema as sorted (type, name, table, sql) with the SQL
    normalised: no comments, one space between words, none around
    parentheses and commas."""
    con = connect(path)
    try:
        return sorted((t, n, tbl, _normal(sql)) for t, n, tbl, sql in con.execute(
            'SELECT type, name, tbl_name, sql FROM sqlite_master'))
    finally:
        con.close()


def code_mac(key, vid, code):
    """HMAC-SHA256(key, id ':' CODE), the code upper-cased: lib/code.c's code_mac()."""
    return hmac.new(key.encode(), (vid + ':' + code.upper()).encode(), hashlib.sha256).digest()


def make_db(path, script, version=None, wal=True):
    """A new file at path made by script, then user_version set to version
    (unless None), in WAL mode as the programs make them (or rollback mode)."""
    con = sqlite3.connect(str(path), isolation_level=None)
    try:
        con.executescript(script)
        if version is not None:
            con.execute('PRAGMA user_version = %d' % int(version))
        if wal:
            con.execute('PRAGMA journal_mode = WAL')
    finally:
        con.close()


def make_v1(path, wal=True):
    """A file as the programs of version 1 made it."""
    make_db(path, SCHEMA_V1.read_text(), 1, wal)


def add_pending(path, vid, phone, mac, now, ttl=300, attempts=0):
    """A pending verification as request.cgi stores it."""
    con = connect(path)
    try:
        con.execute('INSERT INTO verification (id, phone, mac, created, expires, attempts, '
                    "status, message_id, return_to) VALUES (?, ?, ?, ?, ?, ?, 'pending', "
                    "'40385f64-5717-4562-b3fc-2c963f66afa6', '')",
                    (vid, phone, mac, now, now + ttl, attempts))
        con.execute("INSERT INTO send (at, phone, client, country) VALUES (?, ?, '192.0.2.7', "
                    "'+1')", (now, phone))
    finally:
        con.close()
