#!/usr/bin/env python3
"""bench/compile/build_times.py - how long `aslc build` takes on the generated
chains of gen.py, with cc -O2 and with LLVM -O2, and whether that grows
linearly with the number of states.  Figures only, never pass/fail.

    bench/compile/build_times.py [--aslc PATH] [--runs N] [--big] [--backends c,llvm]
                                 [--timeout S] [--sizes choice:100,200 pass:1000]

For each case (default: choice 100, 200, 400, 1000 and pass 1000; --big adds
the 20,000-state Pass chain) and each backend it runs `aslc build DEF -o BIN
-O2` (with `--backend=llvm` for LLVM) N times (default 1), reports the median
wall time, the peak RSS of the biggest child (cc1, or aslc itself for LLVM),
with the CPU time (user + system) of the build's processes, which a busy
machine disturbs less than the wall time, then runs the program once and checks its output against gen.py's expected
value.  Last, the ratios the speed issue asks for: choice 1000 / choice 200
per backend.

Run it from the top of a built tree (it points ASLC_INCLUDE_DIR and
ASLC_LIB_DIR at runtime/ and .libs/ unless they are set), or with --aslc and
those variables for another build.  Python 3 standard library only.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen  # noqa: E402

DEFAULT_CASES = [('choice', 100), ('choice', 200), ('choice', 400), ('choice', 1000), ('pass', 1000)]
BIG_CASES = [('pass', 20000)]
# Events a Standard execution may have (runtime/exec_private.h, as AWS); a
# state logs about two.
HISTORY_LIMIT = 25000


def timed(argv, env, timeout):
    """(return code, wall seconds, CPU seconds (user + system) of the children,
    peak RSS of the largest child in KB, stderr)."""
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout, text=True)
        rc, err = p.returncode, p.stderr
    except subprocess.TimeoutExpired:
        rc, err = None, 'timed out after %d s' % timeout
    wall = time.monotonic() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return rc, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, err


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--aslc', default=None, help='the aslc to measure (default: ./aslc)')
    ap.add_argument('--runs', type=int, default=1, help='builds per figure; the median is shown')
    ap.add_argument('--big', action='store_true', help='also the 20,000-state Pass chain')
    ap.add_argument('--backends', default='c,llvm', help='c, llvm or both (default c,llvm)')
    ap.add_argument('--timeout', type=int, default=600, help='seconds allowed to one build')
    ap.add_argument('--sizes', nargs='*', default=None,
                    help='cases as SHAPE:N[,N...] (replaces the default list)')
    ap.add_argument('--json', default=None, help='also write the figures to this file')
    ap.add_argument('--markdown', action='store_true',
                    help='print a Markdown report on stdout (progress on stderr): bench/run.py\'s section')
    args = ap.parse_args()

    top = os.getcwd()
    aslc = os.path.abspath(args.aslc or os.path.join(top, 'aslc'))
    env = dict(os.environ)
    env.setdefault('ASLC_INCLUDE_DIR', os.path.join(top, 'runtime'))
    env.setdefault('ASLC_LIB_DIR', os.path.join(top, '.libs'))
    if args.sizes:
        cases = []
        for spec in args.sizes:
            shape, _, ns = spec.partition(':')
            cases += [(shape, int(n)) for n in ns.split(',')]
    else:
        cases = DEFAULT_CASES + (BIG_CASES if args.big else [])
    backends = [b for b in args.backends.split(',') if b]

    results = []
    with tempfile.TemporaryDirectory(prefix='aslc-build-times-') as tmp:
        for shape, n in cases:
            dpath, ipath, expected, transitions = gen.write(shape, n, tmp)
            for be in backends:
                binary = os.path.join(tmp, '%s_%d_%s' % (shape, n, be))
                argv = [aslc, 'build', dpath, '-o', binary, '-O2']
                if be == 'llvm':
                    argv.append('--backend=llvm')
                walls, cpus, note = [], [], ''
                for _ in range(args.runs):
                    # each build in a child of its own, so that ru_maxrss is its own peak
                    p = subprocess.run([sys.executable, '-c', CHILD, json.dumps(argv),
                                        str(args.timeout)], env=env, stdout=subprocess.PIPE,
                                       text=True)
                    rc, wall, cpu, rss, err = json.loads(p.stdout)
                    if rc != 0:
                        note = 'failed: %s' % (err.strip().splitlines() or ['?'])[-1]
                        break
                    walls.append(wall)
                    cpus.append(cpu)
                row = {'shape': shape, 'states': n, 'backend': be, 'walls': walls, 'cpus': cpus,
                       'median_s': statistics.median(walls) if walls else None,
                       'median_cpu_s': statistics.median(cpus) if cpus else None,
                       'rss_kb': rss, 'note': note}
                if walls:
                    # Express: a Standard execution stops at 25,000 history events
                    # (runtime/exec_private.h, as AWS), about 12,500 transitions
                    r = subprocess.run([binary, '--input-file', ipath] +
                                       (['--type=EXPRESS'] if transitions * 2 + 2 > HISTORY_LIMIT else []),
                                       env=env,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                    try:
                        got = json.loads(r.stdout)
                    except ValueError:
                        got = None
                    ok = got == expected
                    row['output_ok'] = ok
                    if not ok:
                        row['note'] = 'OUTPUT MISMATCH: %s' % r.stdout.strip()[:100]
                results.append(row)
                print('%-7s %6d  %-5s wall %8s s  CPU %8s s  peak RSS %7.1f MB  %s' % (
                    shape, n, be, '%.2f' % row['median_s'] if walls else '—',
                    '%.2f' % row['median_cpu_s'] if cpus else '—',
                    rss / 1024.0, row['note'] or 'output ok'),
                      file=sys.stderr if args.markdown else sys.stdout, flush=True)
    if args.markdown:
        markdown(results, backends, args)
        return
    print()
    for be in backends:
        for key, what in (('median_s', 'wall'), ('median_cpu_s', 'CPU')):
            m = {(r['shape'], r['states']): r[key] for r in results if r['backend'] == be}
            for big, small in ((('choice', 1000), ('choice', 200)), (('pass', 20000), ('pass', 1000))):
                if m.get(big) and m.get(small):
                    print('%s, %s: %s %d / %s %d = %.2f' % (be, what, big[0], big[1], small[0],
                                                           small[1], m[big] / m[small]))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=1)


def markdown(results, backends, args):
    """The figures as the Markdown section bench/run.py puts in its report."""
    print('# `aslc build` time by number of states')
    print()
    print('`bench/compile/build_times.py`: `aslc build DEF -o BIN -O2` of the chains of '
          '`bench/compile/gen.py` (*choice*: N - 2 Choice states of five rules each; *pass*: N Pass '
          'states), with cc and with `--backend=llvm`; generation, compile and link. Median of %d; '
          'CPU is user + system time of aslc and the compiler, which a busy machine disturbs less '
          'than the wall time. The output of each program built is checked.' % args.runs)
    print()
    print('| shape | states | backend | wall s | CPU s | peak RSS MB | output |')
    print('|---|--:|---|--:|--:|--:|---|')
    for r in results:
        print('| %s | %d | %s | %s | %s | %.0f | %s |' % (
            r['shape'], r['states'], 'cc -O2' if r['backend'] == 'c' else 'LLVM -O2',
            '%.2f' % r['median_s'] if r['median_s'] is not None else '—',
            '%.2f' % r['median_cpu_s'] if r['median_cpu_s'] is not None else '—',
            r['rss_kb'] / 1024.0, r['note'] or 'ok'))
    print()
    for be in backends:
        m = {(r['shape'], r['states']): r['median_cpu_s'] for r in results if r['backend'] == be}
        for big, small in ((('choice', 1000), ('choice', 200)), (('pass', 20000), ('pass', 1000))):
            if m.get(big) and m.get(small):
                print('- %s: CPU of %s %d ÷ %s %d = %.2f (linear: %.0f)' % (
                    'cc -O2' if be == 'c' else 'LLVM -O2', big[0], big[1], small[0], small[1],
                    m[big] / m[small], big[1] / small[1]))


# The child that runs one build: its RUSAGE_CHILDREN is that build's alone.
CHILD = '''
import json, sys
sys.path.insert(0, %r)
import build_times
print(json.dumps(build_times.timed(json.loads(sys.argv[1]), None, int(sys.argv[2]))))
''' % HERE

if __name__ == '__main__':
    main()
