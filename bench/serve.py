#!/usr/bin/env python3
"""serve.py - figures of `aslc serve`: the Step Functions API on localhost.

Starts its own server (tests/serve/serverlib.py) on 127.0.0.1 and prints,
as Markdown:

  1. StartSyncExecution round trips per second: an Express machine of one
     Pass state, N client processes (each its own connection, so that the
     client's interpreter is not what is measured) calling it in a loop for
     a few seconds; per N, the rate and the median and p95 round trip.
     Each client speaks raw HTTP with keep-alive (the server's cost), and,
     for N=1, boto3 too (what an SDK user sees).
  2. The latency of a small Standard execution through the API: a Pass, a
     Choice and a Pass, StartExecution, then DescribeExecution polled
     every 2 ms until SUCCEEDED, one after another; median and p95, with
     the store in memory and on a --data directory (SQLite, durable).

Figures only, never pass/fail.  Step Functions Local and LocalStack are
compared when they can be run here; when not, the report says so.

    python3 bench/serve.py [--clients 1,4,16] [--seconds 5] [--runs 200]
"""
import argparse
import http.client
import json
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "serve"))
import serverlib  # noqa: E402
from serverlib import ROLE, Server  # noqa: E402

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
SMALL = {
    "StartAt": "A",
    "States": {
        "A": {"Type": "Pass", "Result": 1, "ResultPath": "$.a", "Next": "C"},
        "C": {"Type": "Choice", "Default": "B",
              "Choices": [{"Variable": "$.a", "NumericEquals": 0, "Next": "B"}]},
        "B": {"Type": "Pass", "End": True},
    },
}


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def ms(x):
    return "%.2f ms" % (x * 1000)


# ---- StartSyncExecution -----------------------------------------------------------


def raw_client(args):
    """One client process: StartSyncExecution on one keep-alive connection
    until the deadline.  (count, round trips in seconds)."""
    port, arn, deadline, i = args
    body = json.dumps({"stateMachineArn": arn, "input": json.dumps({"client": i})}).encode()
    headers = {"Content-Type": serverlib.CONTENT_TYPE,
               "X-Amz-Target": serverlib.TARGET + "StartSyncExecution"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times = []
    while time.time() < deadline:
        t = time.perf_counter()
        conn.request("POST", "/", body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        times.append(time.perf_counter() - t)
        if r.status != 200 or b'"SUCCEEDED"' not in data:
            raise RuntimeError("StartSyncExecution: HTTP %d %r" % (r.status, data[:200]))
    conn.close()
    return times


def boto_client(args):
    port, arn, deadline, i = args
    serverlib.quiet_aws_env()
    srv = Server.__new__(Server)
    srv.port, srv.access_key, srv.secret_key = port, None, None
    c = srv.client()
    times = []
    while time.time() < deadline:
        t = time.perf_counter()
        r = c.start_sync_execution(stateMachineArn=arn, input=json.dumps({"client": i}))
        times.append(time.perf_counter() - t)
        if r["status"] != "SUCCEEDED":
            raise RuntimeError("StartSyncExecution: %s" % r["status"])
    return times


def sync_rate(srv, arn, n, seconds, fn):
    deadline = time.time() + seconds
    with multiprocessing.Pool(n) as p:
        t0 = time.perf_counter()
        results = p.map(fn, [(srv.port, arn, deadline, i) for i in range(n)])
        dt = time.perf_counter() - t0
    times = [t for r in results for t in r]
    return len(times), dt, times


# ---- Standard latency ---------------------------------------------------------------


def standard_latency(srv, runs):
    c = srv.client()
    arn = c.create_state_machine(name="bench-small", definition=json.dumps(SMALL),
                                 roleArn=ROLE)["stateMachineArn"]
    lat = []
    for i in range(runs + 5):
        t = time.perf_counter()
        e = c.start_execution(stateMachineArn=arn, input=json.dumps({"i": i}))["executionArn"]
        while True:
            d = c.describe_execution(executionArn=e)
            if d["status"] != "RUNNING":
                break
            time.sleep(0.002)
        if d["status"] != "SUCCEEDED":
            raise RuntimeError("%s: %s" % (e, d["status"]))
        if i >= 5:                     # the first runs warm up
            lat.append(time.perf_counter() - t)
    # What the two calls alone cost: one DescribeExecution round trip.
    rt = []
    for _ in range(runs):
        t = time.perf_counter()
        c.describe_execution(executionArn=e)
        rt.append(time.perf_counter() - t)
    return lat, rt


def peers():
    """Whether Step Functions Local or LocalStack can run here."""
    found = []
    jar = os.environ.get("SFN_LOCAL_JAR")
    if jar and os.path.exists(jar) and shutil.which("java"):
        found.append("Step Functions Local (%s)" % jar)
    if shutil.which("localstack"):
        found.append("LocalStack")
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", default="1,4,16")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--runs", type=int, default=200)
    a = ap.parse_args()
    serverlib.quiet_aws_env()
    clients = [int(x) for x in a.clients.split(",")]

    print("# aslc serve\n")
    print("aslc: `%s`; %d CPUs; clients are processes on the same machine.\n"
          % (serverlib.aslc_path(), os.cpu_count()))
    srv = Server()
    try:
        srv.start()
        c = srv.client()
        arn = c.create_state_machine(name="bench-pass", definition=json.dumps(PASS),
                                     roleArn=ROLE, type="EXPRESS")["stateMachineArn"]
        print("## StartSyncExecution round trips (Express, one Pass state)\n")
        print("| clients | client | calls | seconds | round trips/s | median | p95 |")
        print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
        rows = [(n, "raw HTTP, keep-alive", raw_client) for n in clients]
        rows.insert(1 if clients else 0, (1, "boto3", boto_client))
        for n, label, fn in rows:
            calls, dt, times = sync_rate(srv, arn, n, a.seconds, fn)
            print("| %d | %s | %d | %.1f | %.0f | %s | %s |" % (
                n, label, calls, dt, calls / dt, ms(statistics.median(times)),
                ms(pct(times, 95))), flush=True)
        srv.stop()
    finally:
        srv.close()

    print("\n## A small Standard execution through the API (Pass, Choice, Pass)\n")
    print("StartExecution, then DescribeExecution every 2 ms until SUCCEEDED; %d runs "
          "one after another (boto3).\n" % a.runs)
    print("| store | median | p95 | one DescribeExecution (median) |")
    print("| --- | ---: | ---: | ---: |")
    tmp = tempfile.mkdtemp(prefix="aslc-bench-serve.")
    try:
        for label, data in (("in memory", None), ("--data (SQLite, durable)",
                                                  os.path.join(tmp, "data"))):
            srv = Server(data=data)
            try:
                srv.start()
                lat, rt = standard_latency(srv, a.runs)
                print("| %s | %s | %s | %s |" % (label, ms(statistics.median(lat)),
                                                 ms(pct(lat, 95)), ms(statistics.median(rt))),
                      flush=True)
                srv.stop()
            finally:
                srv.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    found = peers()
    print()
    if found:
        print("Peers found (%s): not driven by this script yet." % ", ".join(found))
    else:
        print("Step Functions Local (a Java jar, set SFN_LOCAL_JAR) and LocalStack are not "
              "available on this machine: no comparison is made.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
