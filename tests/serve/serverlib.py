"""serverlib.py - an `aslc serve` started for a test and stopped after it.

What test_api.py, load.py and bench/serve.py share: `Server` starts
`aslc serve --port 0 --port-file F` on 127.0.0.1 (in memory, or on a --data
directory), waits for the port file, and gives boto3 clients for it and raw
HTTP requests (signed with SigV4 by botocore, or not signed at all, or as
bytes on a socket), for what boto3 cannot send: actions botocore 1.29 does
not know (ValidateStateMachineDefinition), members it would refuse, bodies
that are not JSON.  `stop` sends SIGTERM and waits, `kill` sends SIGKILL;
whatever the test does, `close` leaves no process behind.

The AWS configuration of the user takes no part: the environment the
clients read is reset in `quiet_aws_env`.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import http.client
import unittest.mock

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
from botocore.config import Config

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE = "arn:aws:iam::123456789012:role/service-role/StepFunctions-Test"
TARGET = "AWSStepFunctions."
CONTENT_TYPE = "application/x-amz-json-1.0"


def quiet_aws_env():
    """No user AWS configuration, proxies or retries take part."""
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE",
              "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
              "ALL_PROXY", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SFN"):
        os.environ.pop(k, None)
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"


def top_dirs():
    """(top_srcdir, top_builddir): from make check's environment, else this tree."""
    here = os.path.dirname(os.path.abspath(__file__))
    src = os.environ.get("top_srcdir") or os.path.normpath(os.path.join(here, "..", ".."))
    build = os.environ.get("top_builddir") or src
    return src, build


def aslc_path():
    return os.environ.get("ASLC") or os.path.join(top_dirs()[1], "aslc")


class ServerError(Exception):
    pass


class Server:
    """One `aslc serve` process.  args: more options; data: the --data dir."""

    def __init__(self, *args, data=None, env=None, wait="skip", access_key=None,
                 secret_key=None):
        self.args = list(args)
        self.data = data
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.wait = wait
        self.access_key = access_key
        self.secret_key = secret_key
        self.dir = tempfile.mkdtemp(prefix="aslc-serve-test.")
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.dir, "serve.log")
        self.starts = 0

    # ---- life --------------------------------------------------------------

    def start(self, timeout=120):
        port_file = os.path.join(self.dir, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        cmd = [aslc_path(), "serve", "--port", "0", "--port-file", port_file,
               "--wait=" + self.wait]
        if self.data:
            cmd += ["--data", self.data]
        if self.access_key:
            cmd += ["--access-key-id", self.access_key, "--secret-access-key", self.secret_key]
        cmd += self.args
        self.starts += 1
        log = open(self.log_path, "ab")
        log.write(("---- start %d: %s\n" % (self.starts, " ".join(cmd))).encode())
        log.flush()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                     env=self.env)
        log.close()
        # A guard against a hang, never a measure: the port file appears
        # once the server listens.
        deadline = time.monotonic() + timeout
        while not os.path.exists(port_file):
            if self.proc.poll() is not None:
                raise ServerError("aslc serve exited with %d:\n%s" % (self.proc.returncode,
                                                                      self.log()))
            if time.monotonic() > deadline:
                self.kill()
                raise ServerError("aslc serve did not listen:\n" + self.log())
            time.sleep(0.02)
        with open(port_file) as f:
            self.port = int(f.read().strip())
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=60):
        """SIGTERM, then the exit status (SIGKILL if it does not end)."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise ServerError("aslc serve did not stop on SIGTERM:\n" + self.log())
        rc = self.proc.returncode
        self.proc = None
        return rc

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def close(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    # ---- clients -----------------------------------------------------------

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def client(self, key=None, secret=None, timeout=120):
        """A boto3 Step Functions client for this server.  The host prefix
        of StartSyncExecution ("sync-") would name a host that does not
        resolve: it is not injected."""
        return boto3.client(
            "stepfunctions", endpoint_url=self.url, region_name=REGION,
            aws_access_key_id=key or self.access_key or "AKIDTESTING",
            aws_secret_access_key=secret or self.secret_key or "testing-secret",
            config=Config(inject_host_prefix=False, retries={"max_attempts": 0},
                          read_timeout=timeout, connect_timeout=30,
                          max_pool_connections=64))

    def signed(self, action, body, key=None, secret=None, when=None):
        """(headers, data) of a request signed with SigV4 as botocore signs
        (at the datetime when, naive UTC, instead of now)."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = botocore.awsrequest.AWSRequest(
            method="POST", url=self.url + "/", data=data,
            headers={"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET + action})
        creds = botocore.credentials.Credentials(key or self.access_key or "AKIDTESTING",
                                                 secret or self.secret_key or "testing-secret")
        if when is None:
            botocore.auth.SigV4Auth(creds, "states", REGION).add_auth(req)
        else:
            with unittest.mock.patch("botocore.auth.datetime") as dt:
                dt.datetime.utcnow.return_value = when
                botocore.auth.SigV4Auth(creds, "states", REGION).add_auth(req)
        return dict(req.headers.items()), data

    def raw(self, action=None, body=b"{}", headers=None, sign=True, method="POST",
            key=None, secret=None, timeout=120):
        """One HTTP request: (status, headers as a dict of lower-case names,
        the body parsed as JSON when it is JSON, else bytes)."""
        if sign and action is not None:
            h, data = self.signed(action, body, key, secret)
        else:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            h = {"Content-Type": CONTENT_TYPE}
            if action is not None:
                h["X-Amz-Target"] = TARGET + action
        h.update(headers or {})
        h = {k: v for k, v in h.items() if v is not None}
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, "/", body=data if method != "GET" else None, headers=h)
            r = conn.getresponse()
            raw = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
            status = r.status
        finally:
            conn.close()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw
        return status, hdrs, parsed

    def call(self, action, body, **kw):
        """raw() of a signed request whose answer must be 200: its body."""
        status, _, res = self.raw(action, body, **kw)
        if status != 200:
            raise ServerError("%s: HTTP %d %r" % (action, status, res))
        return res

    def send_bytes(self, data, timeout=30, shut=True):
        """Writes data on a new connection and reads until the server closes
        it or timeout: what came back (b"" when nothing)."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        got = b""
        try:
            try:
                s.sendall(data)
                if shut:
                    s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            while True:
                try:
                    chunk = s.recv(65536)
                except (socket.timeout, OSError):
                    break
                if not chunk:
                    break
                got += chunk
        finally:
            s.close()
        return got


# ---- Executions and histories ------------------------------------------------


def wait_done(client, arn, timeout=300, poll=0.02):
    """DescribeExecution until the execution is no longer RUNNING."""
    deadline = time.monotonic() + timeout
    while True:
        d = client.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING":
            return d
        if time.monotonic() > deadline:
            raise ServerError("%s still RUNNING" % arn)
        time.sleep(poll)


def full_history(client, arn, page=None, **kw):
    """Every event of an execution, page by page."""
    events, token = [], None
    while True:
        args = dict(executionArn=arn, **kw)
        if page:
            args["maxResults"] = page
        if token:
            args["nextToken"] = token
        r = client.get_execution_history(**args)
        events += r["events"]
        token = r.get("nextToken")
        if not token:
            return events


def raw_full_history(srv, arn, page=None):
    """Every event of an execution as the server sends it (JSON, timestamps
    in seconds), page by page: no SDK model drops a member it predates."""
    events, token = [], None
    while True:
        body = {"executionArn": arn}
        if page:
            body["maxResults"] = page
        if token:
            body["nextToken"] = token
        r = srv.call("GetExecutionHistory", body)
        events += r["events"]
        token = r.get("nextToken")
        if not token:
            return events


def time_problem(events):
    """The first pair of events whose timestamps go back in time, or None."""
    stamps = [e["timestamp"] for e in events]
    back = next((i for i in range(1, len(stamps)) if stamps[i] < stamps[i - 1]), None)
    if back is None:
        return None
    return "timestamps go back in time: event %d (%s) %s, event %d (%s) %s" % (
        back, events[back - 1]["type"], stamps[back - 1], back + 1, events[back]["type"],
        stamps[back])


def history_problems(events, last_type=None, times=True):
    """What is wrong with a history: ids 1..N in order, each previousEventId
    naming an earlier event (or 0), timestamps that never go back (unless
    times is false), ExecutionStarted first, the last event of type
    last_type."""
    problems = []
    ids = [e["id"] for e in events]
    if ids != list(range(1, len(ids) + 1)):
        problems.append("ids are not 1..%d: %s" % (len(ids), ids[:20]))
    seen = set()
    for e in events:
        p = e.get("previousEventId", 0)
        if p != 0 and p not in seen:
            problems.append("event %d: previousEventId %r names no earlier event"
                            % (e["id"], p))
        seen.add(e["id"])
    if times and time_problem(events):
        problems.append(time_problem(events))
    if not events or events[0]["type"] != "ExecutionStarted":
        problems.append("does not start with ExecutionStarted")
    if last_type and (not events or events[-1]["type"] != last_type):
        problems.append("ends with %s, not %s" % (events[-1]["type"] if events else "nothing",
                                                  last_type))
    return problems
