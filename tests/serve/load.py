"""load.py - aslc serve under load and faults, with figures.

Three parts, each against a server of its own (tests/serve/serverlib.py):

  load   N executions of a small Standard machine (a Pass, a Map of five
         iterations, a Choice) started by C concurrent clients on a --data
         store; every one must end SUCCEEDED with the same output, and
         every history must be intact: ids 1..n in order, each
         previousEventId naming an earlier event, ExecutionStarted first,
         ExecutionSucceeded last, the same number of events for all.
  kill   clients start executions (some end at once, some wait a second of
         real time) and read back those that ended, while the server is
         killed with SIGKILL; restarted on the same --data, no execution
         whose start was answered is missing, every one seen SUCCEEDED is
         unchanged (status, input, output, dates, history), and the others
         are SUCCEEDED (ended before the kill, unseen) or FAILED with the
         server's error (aslc.ServerStopped) and cause, none RUNNING.
  fuzz   M malformed requests from 8 clients: random bodies and JSON of the
         wrong shape, random X-Amz-Target, wrong content types, garbage
         methods and request lines, broken and huge headers, truncated and
         chunked bodies, nesting 100,000 deep, bad Authorization headers,
         bodies beyond the 8 MiB limit; each answered with a 4xx (or the
         connection closed, for what is not HTTP), never a 5xx or a hang;
         after them the process is alive and answers good requests.

No check is about time: the figures (counts, elapsed, rates) are printed.
`--quick` is the reduced run of make check (300 executions, a shorter
kill, 2,000 malformed requests); without it, the full figures
(1,000 executions by 16 clients, 10,000 malformed requests).

    python3 tests/serve/load.py [--quick] [--only load,kill,fuzz]
        [--executions N] [--clients C] [--fuzz M] [--seed S]
"""
import argparse
import json
import os
import random
import shutil
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib  # noqa: E402
from serverlib import ROLE, Server, full_history, history_problems, wait_done  # noqa: E402

from botocore.exceptions import BotoCoreError, ClientError  # noqa: E402

SMALL = {
    "StartAt": "Init",
    "States": {
        "Init": {"Type": "Pass", "Result": [1, 2, 3, 4, 5], "ResultPath": "$.items",
                 "Next": "Each"},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.doubled",
                 "ItemProcessor": {"StartAt": "Double", "States": {
                     "Double": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($, $)"},
                                "End": True}}},
                 "Next": "Check"},
        "Check": {"Type": "Choice", "Default": "Done",
                  "Choices": [{"Variable": "$.n", "NumericLessThan": 0, "Next": "Negative"}]},
        "Negative": {"Type": "Fail", "Error": "Negative"},
        "Done": {"Type": "Succeed"},
    },
}
SLOW = {
    "StartAt": "Begin",
    "States": {
        "Begin": {"Type": "Pass", "Next": "Sleep"},
        "Sleep": {"Type": "Wait", "Seconds": 1, "Next": "End"},
        "End": {"Type": "Pass", "Result": "slept", "ResultPath": "$.r", "End": True},
    },
}
FAST = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"},
                                   "B": {"Type": "Pass", "Result": 1, "ResultPath": "$.b",
                                         "End": True}}}
PASS_EXPRESS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}

problems = []


def problem(what):
    problems.append(what)
    print("  PROBLEM: " + what, flush=True)


def pool(n, fn):
    """Runs fn(i) on n threads; exceptions become problems."""
    def body(i):
        try:
            fn(i)
        except Exception as e:  # noqa: BLE001 - reported, never lost
            problem("client %d: %s: %s" % (i, type(e).__name__, e))
    ts = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def strip(d):
    return {k: v for k, v in d.items() if k != "ResponseMetadata"}


# ---- (a) load ---------------------------------------------------------------------


def part_load(n, clients):
    print("load: %d executions started by %d concurrent clients" % (n, clients), flush=True)
    tmp = tempfile.mkdtemp(prefix="aslc-serve-load.")
    srv = Server(data=os.path.join(tmp, "data"))
    try:
        srv.start()
        sm = srv.client().create_state_machine(name="load", definition=json.dumps(SMALL),
                                               roleArn=ROLE)["stateMachineArn"]
        arns = [None] * n
        t0 = time.monotonic()
        started_at = [0.0]

        def client(i):
            c = srv.client()
            mine = range(i, n, clients)
            for k in mine:
                arns[k] = c.start_execution(stateMachineArn=sm, name="run-%05d" % k,
                                            input=json.dumps({"n": k}))["executionArn"]
            started_at[0] = max(started_at[0], time.monotonic() - t0)
            for k in mine:
                wait_done(c, arns[k], poll=0.01)

        pool(clients, client)
        t_started, t_done = started_at[0], time.monotonic() - t0
        # Every execution and its history.
        c = srv.client()
        lengths, statuses, events = set(), {}, 0
        t1 = time.monotonic()

        def check(i):
            cc = srv.client()
            for k in range(i, n, clients):
                if arns[k] is None:
                    continue
                d = cc.describe_execution(executionArn=arns[k])
                statuses[d["status"]] = statuses.get(d["status"], 0) + 1
                want = {"n": k, "items": [1, 2, 3, 4, 5],
                        "doubled": [{"v": 2 * v} for v in (1, 2, 3, 4, 5)]}
                if d["status"] != "SUCCEEDED" or json.loads(d.get("output", "null")) != want:
                    problem("%s: %s %s" % (arns[k], d["status"], d.get("output")))
                h = full_history(cc, arns[k])
                for p in history_problems(h, "ExecutionSucceeded", times=False):
                    problem("%s: history %s" % (arns[k], p))
                t = serverlib.time_problem(h)
                if t:
                    backwards.append("%s: %s" % (arns[k], t))
                lengths.add(len(h))
                nonlocal_events[0] += len(h)

        nonlocal_events = [0]
        backwards = []
        pool(clients, check)
        events = nonlocal_events[0]
        listed = 0
        token = None
        while True:
            kw = {"stateMachineArn": sm, "maxResults": 1000}
            if token:
                kw["nextToken"] = token
            r = c.list_executions(**kw)
            listed += len(r["executions"])
            token = r.get("nextToken")
            if not token:
                break
        if listed != n:
            problem("ListExecutions lists %d executions, not %d" % (listed, n))
        if backwards:
            # Not a fault of the API: the runtime stamps an event when it
            # happens and numbers it when it is recorded, which concurrent
            # Map iterations may do in the other order.
            print("  note: %d histories have timestamps going back (by a millisecond or so "
                  "between Map iterations), e.g. %s" % (len(backwards), backwards[0]))
        if len(lengths) != 1:
            problem("histories of different lengths: %s" % sorted(lengths))
        print("  started %d in %.2f s (%.0f starts/s); all %d ended in %.2f s (%.0f executions/s)"
              % (n, t_started, n / t_started, n, t_done, n / t_done))
        print("  statuses %s; %d histories checked (%d events, %s each) in %.2f s; "
              "ListExecutions lists %d" % (statuses, n, events, "/".join(map(str, sorted(lengths))),
                                           time.monotonic() - t1, listed), flush=True)
        if srv.stop() != 0:
            problem("the server did not exit 0 on SIGTERM")
    finally:
        srv.close()
        shutil.rmtree(tmp, ignore_errors=True)


# ---- (b) kill ---------------------------------------------------------------------


def part_kill(seconds, clients):
    print("kill: %d clients for %.1f s, then SIGKILL, restart on the same --data"
          % (clients, seconds), flush=True)
    tmp = tempfile.mkdtemp(prefix="aslc-serve-kill.")
    srv = Server(data=os.path.join(tmp, "data"), wait="real")
    try:
        srv.start()
        c = srv.client()
        fast = c.create_state_machine(name="fast", definition=json.dumps(FAST),
                                      roleArn=ROLE)["stateMachineArn"]
        slow = c.create_state_machine(name="slow", definition=json.dumps(SLOW),
                                      roleArn=ROLE)["stateMachineArn"]
        lock = threading.Lock()
        acked = {}      # arn -> input of every start the server answered
        seen = {}       # arn -> DescribeExecution seen SUCCEEDED before the kill
        stop = threading.Event()

        def client(i):
            cc = srv.client(timeout=30)
            k = 0
            pending = []
            while not stop.is_set():
                try:
                    sm = slow if k % 3 == 0 else fast
                    inp = json.dumps({"client": i, "k": k})
                    arn = cc.start_execution(stateMachineArn=sm, name="c%d-%d" % (i, k),
                                             input=inp)["executionArn"]
                    with lock:
                        acked[arn] = inp
                    pending.append(arn)
                    k += 1
                    still = []
                    for a in pending:
                        d = cc.describe_execution(executionArn=a)
                        if d["status"] == "SUCCEEDED":
                            with lock:
                                seen[a] = strip(d)
                        else:
                            still.append(a)
                    pending = still
                except (ClientError, BotoCoreError, OSError) as e:
                    if not killing.is_set():
                        problem("client %d before the kill: %s" % (i, e))
                    return

        killing = threading.Event()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        time.sleep(seconds)
        with lock:
            at_kill = (len(acked), len(seen))
        killing.set()
        srv.proc.kill()          # SIGKILL, while the clients are still sending
        srv.proc.wait()
        srv.proc = None
        stop.set()
        for t in threads:
            t.join()
        print("  at the kill: %d starts answered, %d seen SUCCEEDED (then %d, %d)"
              % (at_kill[0], at_kill[1], len(acked), len(seen)), flush=True)

        t0 = time.monotonic()
        srv.start()
        t_restart = time.monotonic() - t0
        c = srv.client()
        counts = {"seen SUCCEEDED, unchanged": 0, "SUCCEEDED unseen": 0,
                  "FAILED by the restart": 0}
        for arn, inp in sorted(acked.items()):
            try:
                d = strip(c.describe_execution(executionArn=arn))
            except ClientError as e:
                problem("%s: lost after the restart (%s)" % (arn, e.response["Error"]["Code"]))
                continue
            if d["input"] != inp:
                problem("%s: input %r, not %r" % (arn, d["input"], inp))
            h = full_history(c, arn)
            if arn in seen:
                if d != seen[arn]:
                    problem("%s: changed by the restart: %r != %r" % (arn, d, seen[arn]))
                for p in history_problems(h, "ExecutionSucceeded"):
                    problem("%s: history %s" % (arn, p))
                counts["seen SUCCEEDED, unchanged"] += 1
            elif d["status"] == "SUCCEEDED":
                for p in history_problems(h, "ExecutionSucceeded"):
                    problem("%s: history %s" % (arn, p))
                counts["SUCCEEDED unseen"] += 1
            elif d["status"] == "FAILED" and d.get("error") == "aslc.ServerStopped" \
                    and d.get("cause"):
                # Its history: what the server had stored of it (at least
                # ExecutionStarted), then the failure the restart wrote.
                for p in history_problems(h, "ExecutionFailed"):
                    problem("%s: history %s" % (arn, p))
                if h and h[-1].get("executionFailedEventDetails", {}).get("error") != \
                        "aslc.ServerStopped":
                    problem("%s: ExecutionFailed without the server's error" % arn)
                counts["FAILED by the restart"] += 1
            else:
                problem("%s: %s after the restart (%s)" % (arn, d["status"], d.get("error")))
        for sm in (fast, slow):
            if c.list_executions(stateMachineArn=sm, statusFilter="RUNNING")["executions"]:
                problem("executions still RUNNING after the restart")
        # Still serving: a new execution runs to its end.
        d = wait_done(c, c.start_execution(stateMachineArn=fast,
                                           input='{"after": true}')["executionArn"])
        if d["status"] != "SUCCEEDED":
            problem("an execution after the restart: %s" % d["status"])
        print("  restarted in %.2f s; of %d answered starts: %s; none lost" % (
            t_restart, len(acked), ", ".join("%d %s" % (v, k) for k, v in counts.items())))
        some = next((a for a in acked if a not in seen and
                     c.describe_execution(executionArn=a)["status"] == "FAILED"), None)
        if some:
            d = c.describe_execution(executionArn=some)
            print("  e.g. %s: %s: %s" % (d["status"], d["error"], d["cause"]), flush=True)
        if srv.stop() != 0:
            problem("the server did not exit 0 on SIGTERM")
    finally:
        srv.close()
        shutil.rmtree(tmp, ignore_errors=True)


# ---- (c) fuzz ---------------------------------------------------------------------

ACTIONS = ["CreateStateMachine", "DescribeStateMachine", "ListStateMachines",
           "UpdateStateMachine", "DeleteStateMachine", "ValidateStateMachineDefinition",
           "StartExecution", "StartSyncExecution", "DescribeExecution",
           "DescribeStateMachineForExecution", "ListExecutions", "GetExecutionHistory",
           "StopExecution", "SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat",
           "CreateActivity", "DescribeActivity", "ListActivities", "DeleteActivity",
           "TagResource", "UntagResource", "ListTagsForResource"]
MEMBERS = ["name", "definition", "roleArn", "type", "stateMachineArn", "executionArn",
           "input", "maxResults", "nextToken", "statusFilter", "reverseOrder",
           "includeExecutionData", "error", "cause", "taskToken", "output", "activityArn",
           "resourceArn", "tags", "tagKeys", "loggingConfiguration", "tracingConfiguration",
           "mapRunArn", "traceHeader"]


def rand_text(r, n):
    pool_ = "abcAZ09 :/#*?$\\\"'{}[]<>\u00e9\u4e2d\U0001f600\x00\x01\n\t"
    return "".join(r.choice(pool_) for _ in range(n))


def rand_value(r, depth=0):
    k = r.randrange(10 if depth < 3 else 6)
    if k == 0:
        return None
    if k == 1:
        return r.choice([True, False])
    if k == 2:
        return r.choice([0, -1, 1001, 2 ** 63, -2 ** 64, 1e308, 0.5])
    if k == 3:
        return rand_text(r, r.randrange(0, 40))
    if k == 4:
        return "arn:aws:states:us-east-1:123456789012:" + r.choice(
            ["stateMachine:", "execution:x:", "activity:", "express:a:b:", "", "mapRun:a/b:"]) \
            + rand_text(r, r.randrange(0, 20))
    if k == 5:
        return "x" * r.choice([0, 81, 257, 1025, 5000, 300000])
    if k in (6, 7):
        return [rand_value(r, depth + 1) for _ in range(r.randrange(4))]
    return {r.choice(MEMBERS + ["key", "value"]): rand_value(r, depth + 1)
            for _ in range(r.randrange(4))}


MAY_PASS = {"JSON of the wrong shape", "wrong Content-Type", "bad Authorization"}


def http_request(method, headers, body):
    lines = ["%s / HTTP/1.1" % method, "Host: 127.0.0.1"]
    lines += ["%s: %s" % kv for kv in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogatepass") + body


def good_headers(action, body, ctype=serverlib.CONTENT_TYPE):
    return [("Content-Type", ctype), ("X-Amz-Target", serverlib.TARGET + action),
            ("Content-Length", str(len(body))), ("Connection", "close")]


def fuzz_case(r, big):
    """(category, bytes to send, whether a proper HTTP answer is due)."""
    kind = r.randrange(13)
    action = r.choice(ACTIONS)
    if big:
        # A body beyond the limit, sent whole, or only announced.
        if r.random() < 0.5:
            body = b'{"definition": "' + b"x" * ((8 << 20) + r.randrange(1, 1 << 20)) + b'"}'
            return "huge body", http_request("POST", good_headers(action, body), body), True
        return "huge Content-Length", http_request(
            "POST", good_headers(action, b"")[:2] + [("Content-Length", "99999999999")],
            b"{}"), False
    if kind == 0:
        body = bytes(r.randrange(256) for _ in range(r.randrange(1, 400)))
        return "random body", http_request("POST", good_headers(action, body), body), True
    if kind in (1, 2):
        body = json.dumps(rand_value(r) if kind == 1 else
                          {m: rand_value(r) for m in r.sample(MEMBERS, r.randrange(1, 6))}
                          ).encode()
        return "JSON of the wrong shape", http_request("POST", good_headers(action, body),
                                                       body), True
    if kind == 3:
        body = b"{}"
        target = r.choice(["", "AWSStepFunctions.", "AWSStepFunctions." + rand_text(r, 30),
                           rand_text(r, 200), "AWSStepFunctions.ListStateMachines" * 100,
                           "AWSStepFunctions..", "awsstepfunctions.ListStateMachines"])
        target = target.replace("\r", "").replace("\n", "")
        hs = [(k, target if k == "X-Amz-Target" else v) for k, v in good_headers(action, body)]
        return "random X-Amz-Target", http_request("POST", hs, body), True
    if kind == 4:
        body = b"{}"
        ctype = r.choice(["text/plain", "application/json", "multipart/form-data; boundary=x",
                          "application/x-www-form-urlencoded", "", rand_text(r, 20)])
        ctype = ctype.replace("\r", "").replace("\n", "")
        return "wrong Content-Type", http_request(
            "POST", good_headers(action, body, ctype), body), True
    if kind == 5:
        method = r.choice(["GET", "PUT", "DELETE", "OPTIONS", "PATCH", "BREW", "HEAD",
                           "TRACE", "CONNECT", "G\x00T", rand_text(r, 8)])
        data = http_request(method.replace(" ", "").replace("\r", "").replace("\n", "") or "X",
                            good_headers(action, b"{}"), b"{}")
        return "garbage method", data, False
    if kind == 6:
        body = json.dumps({"stateMachineArn": "arn:aws:states:us-east-1:1:stateMachine:x"})
        body = body.encode()
        cut = r.randrange(0, len(body))
        return "truncated body", http_request("POST", good_headers(action, body),
                                              body[:cut]), False
    if kind == 7:
        hs = good_headers(action, b"{}")
        extra = r.choice([[("X-Long", "a" * r.choice([9000, 100000]))],
                          [("X-%d" % j, "v") for j in range(r.choice([100, 2000]))],
                          [("NoColonHere", "")], [("Content-Length", "2"), ("Content-Length", "7")],
                          [("X-Bin", "\x01\x7f\u00ff")], [(rand_text(r, 10), rand_text(r, 30))]])
        extra = [(k.replace("\r", "").replace("\n", ""), v.replace("\r", "").replace("\n", ""))
                 for k, v in extra]
        return "broken headers", http_request("POST", hs + extra, b"{}"), False
    if kind == 8:
        return "not HTTP", bytes(r.randrange(256) for _ in range(r.randrange(1, 2000))), False
    if kind == 9:
        depth = r.choice([10000, 100000])
        body = (r.choice(["[", '{"a":']) * depth).encode()
        return "deep nesting", http_request("POST", good_headers(action, body), body), True
    if kind == 10:
        hs = [("Content-Type", serverlib.CONTENT_TYPE),
              ("X-Amz-Target", serverlib.TARGET + action), ("Transfer-Encoding", "chunked"),
              ("Connection", "close")]
        body = r.choice([b"zz\r\n{}\r\n0\r\n\r\n", b"2\r\n{}\r\n", b"ffffffffff\r\n{}",
                         b"2\r\n{}\r\n0\r\n\r\n", b"1\r\n{\r\n1\r\n}\r\n0\r\n\r\n"])
        return "chunked body", http_request("POST", hs, body), False
    if kind == 11:
        body = b"{}"
        auth = r.choice(["AWS4-HMAC-SHA256", "AWS4-HMAC-SHA256 Credential=", "Basic abc",
                         "AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=;;;, Signature=zz",
                         "AWS4-HMAC-SHA256 Credential=" + "k" * 5000 + "/20200101/us-east-1/"
                         "states/aws4_request, SignedHeaders=host, Signature=" + "0" * 64,
                         rand_text(r, 100)])
        auth = auth.replace("\r", "").replace("\n", "")
        return "bad Authorization", http_request(
            "POST", good_headers(action, body) + [("Authorization", auth)], body), True
    # An HTTP/1.0 request, or no Host.
    body = b"{}"
    data = http_request("POST", good_headers(action, body), body)
    data = data.replace(b"HTTP/1.1", r.choice([b"HTTP/1.0", b"HTTP/9.9", b"HTTP/1.1"]), 1)
    if r.random() < 0.5:
        data = data.replace(b"Host: 127.0.0.1\r\n", b"", 1)
    return "HTTP version, Host", data, False


def part_fuzz(n, seed, clients=8):
    print("fuzz: %d malformed requests from %d clients (seed %d)" % (n, clients, seed),
          flush=True)
    srv = Server()
    try:
        srv.start()
        c = srv.client()
        xp = c.create_state_machine(name="alive", definition=json.dumps(PASS_EXPRESS),
                                    roleArn=ROLE, type="EXPRESS")["stateMachineArn"]
        lock = threading.Lock()
        by_kind, statuses = {}, {}
        bytes_sent = [0]
        every_big = max(1, n // 20)

        def client(i):
            r = random.Random(seed * 1000 + i)
            for k in range(i, n, clients):
                kind, data, answer_due = fuzz_case(r, big=(k % every_big == every_big - 1))
                got = srv.send_bytes(data, timeout=60)
                status = None
                if got.startswith(b"HTTP/1."):
                    try:
                        status = int(got.split(b" ", 2)[1])
                    except (ValueError, IndexError):
                        status = -1
                key = ("505" if status == 505 else "%dxx" % (status // 100)) \
                    if status and status > 0 else "closed"
                with lock:
                    bytes_sent[0] += len(data)
                    by_kind[kind] = by_kind.get(kind, 0) + 1
                    statuses[key] = statuses.get(key, 0) + 1
                # Never a server error (505 is HTTP's answer to an unknown
                # version); where the request is HTTP, an answer: a 4xx for
                # what cannot be a request of the API, a 2xx or a 4xx where
                # it can (unknown members are ignored, as AWS ignores them;
                # any signature passes when the server has no keys).
                if status and status >= 500 and not (status == 505 and kind.startswith("HTTP")):
                    problem("%s: HTTP %d: %r (request %r)" % (kind, status, got[-300:],
                                                              data[:300]))
                elif answer_due and not (status and (400 <= status < 500 or (
                        status == 200 and kind in MAY_PASS))):
                    problem("%s: no %s answer: %r (request %r)" % (
                        kind, "2xx or 4xx" if kind in MAY_PASS else "4xx", got[:200], data[:200]))
                if not srv.alive():
                    problem("the server died on a %s: %r\n%s" % (kind, data[:300], srv.log()))
                    return

        t0 = time.monotonic()
        pool(clients, client)
        dt = time.monotonic() - t0
        alive = srv.alive()
        ok = False
        if alive:
            r1 = c.list_state_machines()["stateMachines"]
            r2 = c.start_sync_execution(stateMachineArn=xp, input='{"still": "serving"}')
            ok = any(m["stateMachineArn"] == xp for m in r1) and r2["status"] == "SUCCEEDED" \
                and json.loads(r2["output"]) == {"still": "serving"}
        if not ok:
            problem("after the fuzzing the server %s" % ("does not answer properly" if alive
                                                         else "is dead:\n" + srv.log()))
        print("  %d requests (%.1f MB) in %.2f s (%.0f requests/s); answers %s" % (
            n, bytes_sent[0] / 1e6, dt, n / dt, dict(sorted(statuses.items()))))
        print("  kinds: %s" % ", ".join("%s %d" % kv for kv in sorted(by_kind.items())))
        print("  afterwards: process %s, a valid StartSyncExecution %s"
              % ("alive" if alive else "DEAD", "SUCCEEDED" if ok else "FAILED"), flush=True)
        if srv.stop() != 0:
            problem("the server did not exit 0 on SIGTERM")
    finally:
        srv.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="the reduced run of make check")
    ap.add_argument("--only", default="load,kill,fuzz")
    ap.add_argument("--executions", type=int)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--fuzz", type=int)
    ap.add_argument("--kill-seconds", type=float)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    serverlib.quiet_aws_env()
    parts = set(a.only.split(","))
    t0 = time.monotonic()
    if "load" in parts:
        part_load(a.executions or (300 if a.quick else 1000), a.clients)
    if "kill" in parts:
        part_kill(a.kill_seconds or (2.0 if a.quick else 5.0), 8)
    if "fuzz" in parts:
        part_fuzz(a.fuzz or (2000 if a.quick else 10000), a.seed)
    print("load.py: %d problems in %.1f s" % (len(problems), time.monotonic() - t0))
    print("%d passed, %d failed" % (len(parts) if not problems else 0, 1 if problems else 0))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
