#!/usr/bin/python3
"""Run the Python tests of one directory.

    /usr/bin/python3 tests/pyrun.py tests/cgi [-k PATTERN ...] [-f]

Discovers test_*.py in DIR with unittest, runs them verbosely, and prints
as its last line exactly 'NAME: N passed, N failed, N skipped' (NAME is the
directory's base name; errors count as failed).  Exits 1 if any failed.
DIR and tests/ (this file's directory, for fake_telnyx) are put on sys.path.
"""

import argparse
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


class _Result(unittest.TextTestResult):
    """Counts tests, not subtests: a test with three failing subtests is one
    failed test."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.passed = 0
        self.failed_ids = set()

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.failed_ids.add(test.id())

    def addError(self, test, err):
        super().addError(test, err)
        self.failed_ids.add(test.id())

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.failed_ids.add(test.id())

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None and not issubclass(err[0], unittest.SkipTest):
            self.failed_ids.add(test.id())

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self.passed += 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('dir')
    ap.add_argument('-k', action='append', dest='patterns', default=None,
                    help='only tests whose name contains this (unittest -k)')
    ap.add_argument('-f', '--failfast', action='store_true')
    args = ap.parse_args(argv)

    d = os.path.abspath(args.dir)
    name = os.path.basename(d.rstrip('/')) or d
    if not os.path.isdir(d):
        print('%s: no such directory' % args.dir, file=sys.stderr)
        print('%s: 0 passed, 1 failed, 0 skipped' % name)
        return 1
    for p in (HERE, d):
        if p not in sys.path:
            sys.path.insert(0, p)

    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = ['*%s*' % p if '*' not in p else p for p in args.patterns]
    suite = loader.discover(d, pattern='test_*.py', top_level_dir=d)
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2, resultclass=_Result,
                                     failfast=args.failfast)
    result = runner.run(suite)
    failed = len(result.failed_ids)
    skipped = len(result.skipped)
    sys.stderr.flush()
    sys.stdout.flush()
    print('%s: %d passed, %d failed, %d skipped' % (name, result.passed, failed, skipped),
          flush=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
