#!/usr/bin/python3
"""The module graph of lib/, from its #include "..." lines, and whether it
has a circle.

A module is the files named after one header: lib/config.h, lib/config.c,
and the files whose names begin with "config_".  Of two headers that would
claim a file, the shorter name's module has it: lib/store_engine.h (the
engines' private header) and lib/store_sqlite.c are module store's, as
kcgi's extern.h is kcgi's.  Module a uses module b when a file of a
includes a file of b.  The graph must have no circle, so that the modules stand
in layers, each using only the ones below it: no include runs back up.
Then the programs' headers are kept apart from the library's own, as
kcgi's kcgi.h is from its extern.h: the programs (cgi-bin/*.c, tools/*.c)
include only the headers of PROGRAM_HEADERS, and those include none but
each other, so no internal header (the line reader, the text's parts, the
store's engines, ...) reaches a program.  Prints each module's layer (0:
uses no other module) and exits 0, or prints each circle or stray
include found and exits 1.  Used by tests/check.sh (suite
linkage); run alone: /usr/bin/python3 tests/include_graph.py [source tree]
"""
import os
import re
import sys

# What the programs may include: the library as its programs see it.  The
# rest of lib/'s headers are its own (kv.h, text.h, url.h, code.h, sms.h,
# store_engine.h, store_schema.h).
PROGRAM_HEADERS = {
    'assertion.h', 'bounds.h', 'cgi.h', 'config.h', 'core.h', 'eddsa.h', 'jwt.h', 'lang.h', 'limit.h', 'log.h',
    'message.h', 'number.h', 'page.h', 'phone.h', 'phonenumber.h', 'reply.h', 'return_to.h',
    'serve.h', 'store.h', 'webhook.h',
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def module_of(base, headers):
    """The module of a file named base (without its extension)."""
    for h in sorted(headers, key=len):
        if base == h or base.startswith(h + '_'):
            return h
    return base


def module_graph(lib):
    """{module: set of modules it uses} for the sources in lib."""
    names = sorted(os.listdir(lib))
    headers = [n[:-2] for n in names if n.endswith('.h')]
    graph = {}
    for name in names:
        base, ext = os.path.splitext(name)
        if ext not in ('.c', '.cc', '.h'):
            continue
        mod = module_of(base, headers)
        with open(os.path.join(lib, name), encoding='utf-8') as f:
            text = f.read()
        uses = graph.setdefault(mod, set())
        for inc in INCLUDE.findall(text):
            # By name, made or not: a generated header (store_schema.h)
            # belongs to its module before make has written it too, so a
            # clean tree shows the same graph as a built one.
            other = module_of(os.path.splitext(os.path.basename(inc))[0], headers)
            if other != mod:
                uses.add(other)
    for uses in list(graph.values()):
        for other in uses:
            graph.setdefault(other, set())
    return graph


def circles(graph):
    """Each strongly connected part of the graph (Tarjan, without
    recursion) as (one circle through it, as a list of modules with the
    first repeated last; the set of its modules)."""
    index, low, on, stack, found = {}, {}, set(), [], []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                elif nxt in on:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                part = []
                while True:
                    m = stack.pop()
                    on.discard(m)
                    part.append(m)
                    if m == node:
                        break
                if len(part) > 1:
                    found.append((cycle_in(graph, set(part)), set(part)))
    return found


def cycle_in(graph, part):
    """One circle through the modules of part (a strongly connected set)."""
    start = min(part)
    path, seen = [start], {start}
    while True:
        here = path[-1]
        for nxt in sorted(graph[here] & part):
            if nxt == start and len(path) > 1:
                return path + [start]
        nxt = next((m for m in sorted(graph[here] & part) if m not in seen), None)
        if nxt is None:
            # Every neighbour seen: the circle closes at the first of them.
            back = min(graph[here] & part)
            return path[path.index(back):] + [back]
        path.append(nxt)
        seen.add(nxt)


def layers(graph):
    """{module: layer}: 0 for a module that uses none, else one more than
    the highest it uses.  Only for a graph without circles."""
    layer = {}
    for _ in range(len(graph) + 1):
        changed = False
        for mod, uses in graph.items():
            want = 1 + max((layer.get(u, 0) for u in uses), default=-1)
            if layer.get(mod) != want:
                layer[mod] = want
                changed = True
        if not changed:
            break
    return layer


def stray_includes(root):
    """Each include that breaks PROGRAM_HEADERS, as "file: header"."""
    stray = []
    files = [os.path.join('lib', h) for h in sorted(PROGRAM_HEADERS)]
    for d in ('cgi-bin', 'tools'):
        files += [os.path.join(d, n) for n in sorted(os.listdir(os.path.join(root, d)))
                  if n.endswith('.c')]
    for name in files:
        path = os.path.join(root, name)
        if not os.path.exists(path):
            stray.append('%s: listed in PROGRAM_HEADERS, not there' % name)
            continue
        with open(path, encoding='utf-8') as f:
            for inc in INCLUDE.findall(f.read()):
                if inc not in PROGRAM_HEADERS:
                    stray.append('%s: includes %s, a header of the library\'s own' % (name, inc))
    return stray


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..')
    lib = os.path.join(root, 'lib')
    graph = module_graph(lib)
    found = circles(graph)
    stray = stray_includes(root)
    for line in stray:
        print(line)
    for c, part in found:
        print('circle: ' + ' -> '.join(c) + '; every include among ' + ' '.join(sorted(part)) +
              ': ' + ', '.join('%s -> %s' % (a, b) for a in sorted(part)
                               for b in sorted(graph[a] & part)))
    if found or stray:
        return 1
    layer = layers(graph)
    for n in range(max(layer.values()) + 1):
        print('layer %d: %s' % (n, ' '.join(sorted(m for m in layer if layer[m] == n))))
    return 0


if __name__ == '__main__':
    sys.exit(main())
