#!/usr/bin/env python3
"""Runs the LocalStack-derived AWS Step Functions corpus against aslc.

The corpus (tests/conformance/localstack, see its README.md) holds
executions recorded on AWS: a definition, an input and what AWS returned.
Each case is run through both backends:

  tcc: aslc run DEF --input-file IN --bindings B --wait=skip --name N
  c:   aslc build DEF -o WF; WF --input-file IN --bindings B --wait=skip --name N

and, when aslc was built with LLVM (--path auto or llvm), through LLVM too:

  llvm:     aslc run --backend=llvm DEF ...
  llvm-bin: aslc build --backend=llvm DEF -o WF; WF ...

and every result must match what AWS gave, and each other.  Exit codes of
both: 0 SUCCEEDED (output on stdout), 1 FAILED and 3 TIMED_OUT ({"Error",
"Cause"} on stdout), 4 ABORTED, 2 refused (diagnostics on stderr).  A refusal
whose stderr says "not supported yet" is a skip, any other one a failure.

Comparison: JSON values, numbers numerically (1 == 1.0), key order ignored.
In "loose" cases the strings at masked_paths hold masks (<uuid:1>, plain
words such as "date") that match as wildcards; the same numbered token must
stand for the same text everywhere in a case.

AWS services.  With --services-env DIR/env (tests/services/aws/servers.sh
start DIR, with ASLC_TEST_ACCOUNT=111111111111; tests/run-conformance.sh
does this), the cases that call DynamoDB, SQS, SNS, EventBridge or S3 run
against the AWS-compatible test servers: dynalite, s3rver, and our SQS,
SNS and EventBridge protocol servers.  For each backend path the runner
empties the servers, applies the case's aws_setup steps with boto3
(create_table with the fixture's string partition key, create_queue,
get_queue_attributes, create_topic, subscribe, create_bucket, put_object),
runs the case with the servers' endpoints and credentials in its
environment (S3 too: no --s3-root), and empties them again.  Service cases
run one at a time (they reuse names such as queue-00000001), the others in
parallel beside them.  Without --services-env, S3 is a local folder and the
other services' cases are skipped.  Skipped even with the servers: cases
that need an activity worker, a service no server stands for (Secrets
Manager), the test's own callback worker (a .waitForTaskToken token sent
through SQS or SNS that the recorded history shows answered from outside),
S3's flexible checksums (ChecksumCRC32 in AWS's answer), or an aws_setup
value the case does not hold.

One comparison rule is about the servers, not about aslc: an optimized
integration's SdkHttpMetadata holds the HTTP headers of the server that
answered, and a local server does not send AWS's (Server, x-amz-crc32,
its own request ids and body lengths).  So in the cases run against the
servers, SdkHttpMetadata is compared as a structure: the same members,
HttpStatusCode exactly, AllHttpHeaders an object of lists of strings and
HttpHeaders an object of strings naming the same headers.  Everything
else, SdkResponseMetadata included, is compared exactly, with the case's
masks.

The invalid/ corpus (definitions AWS accepted or refused) runs through
`aslc check`: exit 1 where AWS refused, 0 where it accepted, and the JSON
pointer AWS named must appear in brackets in the diagnostics.

The TestState corpus (--test-state, tests/run-test-state.sh): each call of
test_state_cases/ is posted to the TestState action of `aslc serve` (one
server per set of Lambda functions, started on a free port and stopped by
the runner; or --endpoint URL), or given to tests/teststate/driver
(--driver PROG) on stdin, and AWS's answer is compared as above: status,
output, error, cause, nextState and inspectionData, whose payloads are JSON
text on the wire (the recording kept the ones that are not objects as
text).

Standard library only, Python 3.9+.  `runner.py --self-test` checks the
matcher and the runner's process handling without aslc.
"""

import argparse
import collections
import concurrent.futures
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
LAMBDA_DIR = os.path.join(HERE, "lambda")
# The state machines that cases start as nested executions: LocalStack's
# templates, under the path source.templates names (localstack/README.md).
TEMPLATES_DIR = os.path.join(HERE, "localstack", "templates")
TEMPLATES_PREFIX = "tests/aws/services/stepfunctions/templates/"
DEFAULT_TIMEOUT = 60.0
EXEC_FAILED = 127   # run_process's status when the program could not start
CORPUS_ACCOUNT = "111111111111"
CORPUS_REGION = "us-east-1"
NOT_SUPPORTED = "not supported yet"


# ==== Masks ===============================================================

# <name> or <name:N>: one unknown substring each.
ANGLE_TOKEN = re.compile(r"<[^<>\s]+>")
# Tokens that name one particular value: <uuid:1>, <ArnPart_0idx>.  The same
# such token must stand for the same text everywhere in a case; the others
# (<region>, <request-id>) may differ from one occurrence to the next.
NUMBERED_TOKEN = re.compile(r"<[^<>\s]*(:\d+|_\d+idx)>")
# What the plain word "date" replaced: an ISO-8601 timestamp (or an HTTP
# date, as in the Date header of service responses).
ISO_DATE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?"
    r"(?:Z|[+-]\d{2}(?::?\d{2})?)?"
    r"|[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT")


def compile_mask(masked, words):
    """Splits a masked string into literal text and wildcards.

    Returns a list of parts: ("lit", text), ("tok", token), ("date",) or
    ("any",) (another plain mask word).

    >>> compile_mask("arn:<partition>:x:<uuid:1>", [])
    [('lit', 'arn:'), ('tok', '<partition>'), ('lit', ':x:'), ('tok', '<uuid:1>')]
    >>> compile_mask("at date and start-date", ["date", "start-date"])
    [('lit', 'at '), ('date',), ('lit', ' and '), ('any',)]
    """
    words = sorted((w for w in words if w and "<" not in w), key=len, reverse=True)
    word_re = re.compile("|".join(re.escape(w) for w in words)) if words else None
    parts = []

    def literal(text):
        while text:
            m = word_re.search(text) if word_re else None
            if not m:
                parts.append(("lit", text))
                return
            if m.start():
                parts.append(("lit", text[:m.start()]))
            parts.append(("date",) if m.group() == "date" else ("any",))
            text = text[m.end():]

    pos = 0
    for m in ANGLE_TOKEN.finditer(masked):
        literal(masked[pos:m.start()])
        parts.append(("tok", m.group()))
        pos = m.end()
    literal(masked[pos:])
    return parts


def match_parts(parts, s, env):
    """Matches s against compiled parts; returns the extended token bindings
    (a new dict) or None.  Backtracks, so wildcards may be followed by
    anything.

    >>> match_parts(compile_mask("a<x>b<x>c", []), "a1b22c", {})
    {}
    >>> match_parts(compile_mask("<id:1>/<id:1>", []), "ab/ab", {})
    {'<id:1>': 'ab'}
    >>> match_parts(compile_mask("<id:1>/<id:1>", []), "ab/cd", {}) is None
    True
    >>> match_parts(compile_mask("<id:1>", []), "cd", {"<id:1>": "ab"}) is None
    True
    >>> match_parts(compile_mask("t=date.", ["date"]), "t=2024-01-02T03:04:05.678Z.", {})
    {}
    >>> match_parts(compile_mask("t=date.", ["date"]), "t=date.", {})
    {}
    >>> match_parts(compile_mask("t=date.", ["date"]), "t=yesterday.", {}) is None
    True
    """
    def rec(i, pos, env):
        if i == len(parts):
            return env if pos == len(s) else None
        part = parts[i]
        kind = part[0]
        if kind == "lit" or (kind == "tok" and part[1] in env):
            text = part[1] if kind == "lit" else env[part[1]]
            return rec(i + 1, pos + len(text), env) if s.startswith(text, pos) else None
        if kind == "date":
            for text in ("date", (ISO_DATE.match(s, pos) or [""])[0]):
                if text and s.startswith(text, pos):
                    r = rec(i + 1, pos + len(text), env)
                    if r is not None:
                        return r
            return None
        # A wildcard: try every end, but only where the next literal fits.
        nxt = parts[i + 1] if i + 1 < len(parts) else None
        for end in range(pos, len(s) + 1):
            if nxt and nxt[0] == "lit" and not s.startswith(nxt[1], end):
                continue
            if kind == "tok" and NUMBERED_TOKEN.fullmatch(part[1]):
                r = rec(i + 1, end, dict(env, **{part[1]: s[pos:end]}))
            else:
                r = rec(i + 1, end, env)
            if r is not None:
                return r
        return None

    return rec(0, 0, dict(env))


def mask_matches(masked, actual, words, env):
    """Matches an actual value against a masked expected string.  Returns
    True and updates env (the case's token bindings) on success.

    A string that is one token and nothing else stands for a whole value,
    which need not have been a string (LocalStack masked whole outputs).

    >>> env = {}
    >>> mask_matches("<uuid:1>", "4c1e", [], env), env
    (True, {'<uuid:1>': '4c1e'})
    >>> mask_matches("id <uuid:1>", "id 9", [], env)
    False
    >>> mask_matches("executionSucceededEventDetails.output", {"a": [1]},
    ...              ["executionSucceededEventDetails.output"], {})
    True
    >>> mask_matches("x <a>", 5, [], {})
    False
    """
    parts = compile_mask(masked, words)
    if not isinstance(actual, str):
        # A lone "date" also stood for whole values (LocalStack masked HTTP
        # date headers, which are lists of strings, that way).
        return len(parts) == 1 and parts[0][0] in ("tok", "any", "date")
    r = match_parts(parts, actual, env)
    if r is None:
        return False
    env.update(r)
    return True


# ==== JSON comparison =====================================================

PATH_STEP = re.compile(r"""\.([A-Za-z_][\w-]*)|\["((?:[^"\\]|\\.)*)"\]|\['([^']*)'\]|\[(\d+)\]""")


def parse_path(path):
    """Parses a masked_paths entry into a tuple of keys and indexes.

    >>> parse_path('$.output["Execution"]["Id"]')
    ('output', 'Execution', 'Id')
    >>> parse_path('$.output[0]["a\\\\"b"]')
    ('output', 0, 'a"b')
    >>> parse_path('$.cause')
    ('cause',)
    """
    if not path.startswith("$"):
        raise ValueError("bad masked path: %r" % path)
    steps, pos = [], 1
    while pos < len(path):
        m = PATH_STEP.match(path, pos)
        if not m:
            raise ValueError("bad masked path: %r" % path)
        name, dq, sq, index = m.groups()
        if name is not None:
            steps.append(name)
        elif dq is not None:
            steps.append(json.loads('"%s"' % dq))
        elif sq is not None:
            steps.append(sq)
        else:
            steps.append(int(index))
        pos = m.end()
    return tuple(steps)


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def show_path(path):
    out = "$"
    for step in path:
        out += "[%d]" % step if isinstance(step, int) else (
            "." + step if re.fullmatch(r"[A-Za-z_]\w*", step) else "[%s]" % json.dumps(step))
    return out


def short(v, limit=240):
    text = v if isinstance(v, str) and v.startswith("<") else json.dumps(v, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "..."


class Comparison:
    """Compares an expected value with an actual one.

    masked: set of path tuples whose expected strings are masks.
    words:  the case's plain mask words.
    skip_masked: when comparing two actual results with each other, the
    masked places (random ids, times) are not compared at all.
    server_headers: the result came from a test server rather than AWS;
    SdkHttpMetadata is compared as a structure (compare_http_metadata).
    """

    def __init__(self, masked=(), words=(), skip_masked=False, server_headers=False):
        self.masked = set(masked)
        self.words = list(words)
        self.skip_masked = skip_masked
        self.server_headers = server_headers
        self.env = {}
        self.diffs = []

    def diff(self, path, what):
        self.diffs.append("%s: %s" % (show_path(path), what))

    def compare(self, exp, act, path=()):
        """Returns True when act matches exp; differences go to self.diffs.

        >>> c = Comparison()
        >>> c.compare({"a": [1, 2.5, True]}, {"a": [1.0, 2.5, True]})
        True
        >>> c.compare({"a": 1}, {"a": True}), c.diffs
        (False, ['$.a: expected 1, got true'])
        >>> c = Comparison(masked=[("x",)], words=["date"])
        >>> c.compare({"x": "at date", "y": "date"}, {"x": "at 2020-01-01T00:00:00Z", "y": "date"})
        True
        >>> c.compare({"y": "date"}, {"y": "2020-01-01T00:00:00Z"})
        False
        """
        ok = self._compare(exp, act, path)
        return ok

    def compare_http_metadata(self, exp, act, path):
        """An optimized integration's SdkHttpMetadata from a test server.
        Its headers are the server's, not AWS's (no Server or x-amz-crc32,
        other lengths and ids), so only the structure is compared: the same
        members; HttpStatusCode exactly; AllHttpHeaders an object of lists
        of strings and HttpHeaders an object of strings, naming the same
        headers (case aside, as HTTP has it).  Which headers the server
        sends, and their values, are the server's business.

        >>> exp = {"AllHttpHeaders": {"Server": ["S"], "Content-Type": ["a/b"]},
        ...        "HttpHeaders": {"Server": "S", "Content-Type": "a/b"}, "HttpStatusCode": 200}
        >>> c = Comparison(server_headers=True)
        >>> m = "SdkHttpMetadata"
        >>> c.compare({m: exp}, {m: {"AllHttpHeaders": {"content-type": ["x/y"]},
        ...     "HttpHeaders": {"content-type": "x/y"}, "HttpStatusCode": 200}})
        True
        >>> c.compare({m: exp}, {m: {"AllHttpHeaders": {"content-type": "x/y"},
        ...     "HttpHeaders": {}, "HttpStatusCode": 400}})
        False
        >>> len(c.diffs)
        3
        >>> Comparison().compare({m: exp}, {m: {"AllHttpHeaders": {"content-type": ["x/y"]},
        ...     "HttpHeaders": {"content-type": "x/y"}, "HttpStatusCode": 200}})
        False
        """
        ok = True
        for k in sorted(set(exp) | set(act)):
            if k not in act:
                self.diff(path + (k,), "missing (expected %s)" % short(exp[k]))
                ok = False
            elif k not in exp:
                self.diff(path + (k,), "unexpected member %s" % short(act[k]))
                ok = False
        if "HttpStatusCode" in exp and "HttpStatusCode" in act:
            ok = self._compare(exp["HttpStatusCode"], act["HttpStatusCode"],
                               path + ("HttpStatusCode",)) and ok
        names = {}
        for key, kind in (("AllHttpHeaders", list), ("HttpHeaders", str)):
            e, a = exp.get(key), act.get(key)
            if not isinstance(a, dict) or (e is not None and not isinstance(e, dict)):
                if key in act:
                    self.diff(path + (key,), "expected an object, got %s" % short(a))
                    ok = False
                continue
            for name, v in a.items():
                if not isinstance(v, kind) or (kind is list and not all(
                        isinstance(x, str) for x in v)):
                    self.diff(path + (key, name), "expected %s, got %s" % (
                        "a list of strings" if kind is list else "a string", short(v)))
                    ok = False
            names[key] = {n.lower() for n in a}
        if len(names) == 2 and names["AllHttpHeaders"] != names["HttpHeaders"]:
            self.diff(path, "AllHttpHeaders and HttpHeaders name different headers: %s, %s"
                      % (sorted(names["AllHttpHeaders"]), sorted(names["HttpHeaders"])))
            ok = False
        return ok

    def _compare(self, exp, act, path):
        if (self.server_headers and path and path[-1] == "SdkHttpMetadata"
                and isinstance(exp, dict) and isinstance(act, dict)):
            return self.compare_http_metadata(exp, act, path)
        if path in self.masked:
            if self.skip_masked:
                return True
            if isinstance(exp, str):
                if mask_matches(exp, act, self.words, self.env):
                    return True
                self.diff(path, "expected %s (masked), got %s" % (short(exp), short(act)))
                return False
        if isinstance(exp, dict) and isinstance(act, dict):
            ok = True
            for k in exp:
                if k not in act:
                    self.diff(path + (k,), "missing (expected %s)" % short(exp[k]))
                    ok = False
                else:
                    ok = self._compare(exp[k], act[k], path + (k,)) and ok
            for k in act:
                if k not in exp:
                    self.diff(path + (k,), "unexpected member %s" % short(act[k]))
                    ok = False
            return ok
        if isinstance(exp, list) and isinstance(act, list):
            if len(exp) != len(act):
                self.diff(path, "expected %d elements, got %d: %s"
                          % (len(exp), len(act), short(act)))
                return False
            ok = True
            for i, (e, a) in enumerate(zip(exp, act)):
                ok = self._compare(e, a, path + (i,)) and ok
            return ok
        if is_number(exp) and is_number(act):
            if exp == act:
                return True
        elif type(exp) is type(act) and exp == act:
            return True
        self.diff(path, "expected %s, got %s" % (short(exp), short(act)))
        return False


# ==== AWS-compatible servers ==============================================

# The services whose cases run against the test servers (tests/services/aws,
# servers.sh), and the variable of its env file that holds each endpoint.
SERVER_ENDPOINTS = {"dynamodb": "AWS_ENDPOINT_URL_DYNAMODB", "s3": "AWS_ENDPOINT_URL_S3",
                    "sqs": "AWS_ENDPOINT_URL_SQS", "sns": "AWS_ENDPOINT_URL_SNS",
                    "events": "AWS_ENDPOINT_URL_EVENTBRIDGE"}
# aws_setup steps the runner applies before a run, with boto3.
SETUP_STEPS = {("dynamodb", "create_table"), ("sqs", "create_queue"),
               ("sqs", "get_queue_attributes"), ("sns", "create_topic"), ("sns", "subscribe"),
               ("s3", "create_bucket"), ("s3", "put_object")}
# Steps the tests took after the run, to look at what the workflow left (a
# message it sent, an object it wrote); the case's expected result does not
# hold what they read, so the run needs none of them.
AFTER_RUN_READS = {("sqs", "receive_message"), ("s3", "get_object")}
# Steps handled elsewhere: Lambda functions are bindings (write_inputs), a
# state machine deleted before the run is one the bindings do not name.
LOCAL_STEPS = {("lambda", "create_function"), ("stepfunctions", "delete_state_machine")}
# What the extraction left where the test passed an object (a bytearray) or
# computed a value after the run.
SETUP_PLACEHOLDERS = ("__ASLC_OBJECT__", "__ASLC_STUB__")
# Arguments of the tests' own fixtures, not of the API: create_table's
# partition key (a string key: the table's whole key schema) and client.
FIXTURE_ARGS = ("PartitionKey", "client")
CALLBACK_WORKER = ("needs the test's callback worker (the task token that %s sends was "
                   "answered from outside the execution)")
NO_SERVER = "needs AWS service: %s (no server for it here)"
# Members of AWS's answers that come from what neither aslc's calls nor the
# servers have: S3's flexible checksums (the SDK sends x-amz-checksum-crc32
# with a PutObject, S3 answers ChecksumCRC32 and ChecksumType; aslc has no
# CRC32 library, doc/behaviour.md §27 "Not done", and s3rver no checksums).
UNAVAILABLE_MEMBERS = {
    "s3": ("S3's flexible checksums, which neither aslc's calls nor s3rver have",
           ("ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME",
             "ChecksumSHA1", "ChecksumSHA256", "ChecksumType")),
}


def unavailable_member(servers, expected):
    """(what, member) for the first member of UNAVAILABLE_MEMBERS of one of
    servers found in expected, else None.

    >>> unavailable_member(("s3",), {"output": {"ETag": "x", "ChecksumType": "FULL_OBJECT"}})[1]
    'ChecksumType'
    >>> unavailable_member(("sqs",), {"output": {"ChecksumType": 1}}) is None
    True
    """
    found = []

    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                for s in servers:
                    what, names = UNAVAILABLE_MEMBERS.get(s, ("", ()))
                    if k in names and not found:
                        found.append((what, k))
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(expected)
    return found[0] if found else None


# Services that no server can stand for.
NO_SERVER_WHY = {"activity": "needs AWS service: activity (a worker that polls the activity "
                             "and answers its tasks)"}


def callback_answered(d):
    """The first .waitForTaskToken resource (other than a nested execution)
    whose token the recorded history shows answered from outside: a
    TaskSucceeded or TaskFailed right after its TaskSubmitted, which only the
    test's worker, reading the queue or topic the token went to, could send.
    Without a history, the first such resource.  None when there is none.

    >>> ev = lambda i, p, t, r: {"id": i, "previousEventId": p, "type": t,
    ...     "x": {"resource": r, "resourceType": "sqs"}}
    >>> d = {"definition": {"States": {"A": {"Type": "Task",
    ...      "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken"}}}}
    >>> callback_answered(dict(d, history=[ev(5, 4, "TaskSubmitted", "sendMessage.waitForTaskToken"),
    ...     ev(6, 5, "TaskTimedOut", "sendMessage.waitForTaskToken")])) is None
    True
    >>> callback_answered(dict(d, history=[ev(5, 4, "TaskSubmitted", "sendMessage.waitForTaskToken"),
    ...     ev(6, 5, "TaskSucceeded", "sendMessage.waitForTaskToken")]))
    'arn:aws:states:::sqs:sendMessage.waitForTaskToken'
    """
    waits = [r for r in resources_of(d["definition"])
             if r.endswith(".waitForTaskToken") and not r.startswith(START_RESOURCES)]
    if not waits:
        return None
    history = d.get("history")
    if not history:
        return waits[0]
    by_id = {e.get("id"): e for e in history if isinstance(e.get("id"), int) and e.get("id")}

    def details(e):
        return next((v for k, v in e.items() if isinstance(v, dict) and "resource" in v), {})
    for e in history:
        if e.get("type") not in ("TaskSucceeded", "TaskFailed"):
            continue
        prev = by_id.get(e.get("previousEventId"))
        if not prev or prev.get("type") != "TaskSubmitted":
            continue
        info = details(prev)
        if str(info.get("resource", "")).endswith(".waitForTaskToken") and \
                info.get("resourceType") not in ("states", "sfn"):
            return next((r for r in waits if r.endswith(":" + info["resource"])), waits[0])
    return None


def service_plan(d, opts):
    """How a case runs: (servers, reason).  servers: the services it calls on
    the test servers (empty when it needs none, or they are not running);
    reason: why it is skipped, else None.

    Without the servers (no --services-env), S3 runs from a local folder
    (ItemReader, ResultWriter) and nested executions run locally; a case
    that needs another service is skipped, as is one that uses S3 through
    the aws-sdk integration.  With them, every service of SERVER_ENDPOINTS
    (S3 included) is called on its server."""
    services = [s for s in d.get("services") or [] if s != "lambda"]
    steps = [(st.get("service"), st.get("operation")) for st in d.get("aws_setup") or []]
    if opts.services_env is None:
        machines, nested_skip = nested_machines(d)
        if nested_skip:
            return (), nested_skip
        local = ("s3", "stepfunctions")
        others = [s for s in services if s not in local]
        s3_setup_ok = all(sv != "s3" or op in ("create_bucket", "put_object")
                          for sv, op in steps)
        s3_by_reader = "s3" not in services or not any(
            k.startswith("aws-sdk") for k in d.get("integrations") or [])
        if d.get("service_class") == "other" and (others or not s3_setup_ok or not s3_by_reader):
            return (), "needs AWS service: %s" % (", ".join(services) or "?")
        return (), None
    servers = tuple(sorted(s for s in set(services) | {sv for sv, _ in steps}
                           if s in SERVER_ENDPOINTS))
    machines, nested_skip = nested_machines(d, servers)
    if nested_skip:
        return (), nested_skip
    missing = [s for s in services if s not in SERVER_ENDPOINTS and s != "stepfunctions"]
    if missing:
        return (), NO_SERVER_WHY.get(missing[0]) or NO_SERVER % ", ".join(missing)
    for sv, op in steps:
        if (sv, op) in SETUP_STEPS or (sv, op) in AFTER_RUN_READS or (sv, op) in LOCAL_STEPS:
            continue
        if sv in SERVER_ENDPOINTS or sv == "lambda":
            return (), "aws_setup step %s.%s is not one the runner applies" % (sv, op)
        return (), NO_SERVER % sv
    for st in d.get("aws_setup") or []:
        args = {k: v for k, v in (st.get("args") or {}).items() if k not in FIXTURE_ARGS}
        if (st.get("service"), st.get("operation")) in SETUP_STEPS and \
                any(p in json.dumps(args) for p in SETUP_PLACEHOLDERS):
            return (), ("aws_setup step %s.%s passes a value the case does not hold (an object "
                        "or a computed value)" % (st.get("service"), st.get("operation")))
    wait = callback_answered(d)
    if wait:
        return (), CALLBACK_WORKER % wait
    gap = unavailable_member(servers, d.get("expected"))
    if gap:
        return (), "needs %s (%s in AWS's answer)" % gap
    return servers, None


def read_services_env(path):
    """The KEY=value lines of servers.sh's env file, as a dict."""
    env = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                env[k] = v
    for var in SERVER_ENDPOINTS.values():
        if var not in env:
            raise ValueError("%s: no %s" % (path, var))
    return env


def service_process_env(opts):
    """The environment of an execution that calls the test servers: the
    runner's, without any AWS setting of the user's, and with the servers'
    endpoints and credentials."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k.lower() not in (
               "http_proxy", "https_proxy", "all_proxy")}
    env.update(opts.services_env)
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    return env


class Services:
    """boto3 clients of the test servers, which set up what a case needs
    and remove it after.  boto3 is imported only when the servers are used
    (Debian's python3-boto3 1.26 does not read AWS_ENDPOINT_URL_*: each
    client is given its endpoint)."""

    def __init__(self, env):
        import boto3
        import botocore.config
        session = boto3.session.Session(
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=env.get("AWS_REGION") or CORPUS_REGION)
        config = botocore.config.Config(retries={"max_attempts": 1},
                                        s3={"addressing_style": "path"})
        self.clients = {name: session.client(name, endpoint_url=env[var], config=config)
                        for name, var in SERVER_ENDPOINTS.items()}

    def setup(self, d):
        """Applies the case's aws_setup steps for the servers, in order."""
        for st in d.get("aws_setup") or []:
            sv, op = st.get("service"), st.get("operation")
            if (sv, op) not in SETUP_STEPS:
                continue
            args = {k: v for k, v in (st.get("args") or {}).items() if k not in FIXTURE_ARGS}
            if (sv, op) == ("dynamodb", "create_table"):
                # The tests' fixture: a string partition key, nothing else.
                key = st["args"]["PartitionKey"]
                args.setdefault("KeySchema", [{"AttributeName": key, "KeyType": "HASH"}])
                args.setdefault("AttributeDefinitions",
                                [{"AttributeName": key, "AttributeType": "S"}])
                args.setdefault("BillingMode", "PAY_PER_REQUEST")
            getattr(self.clients[sv], op)(**args)
            if (sv, op) == ("dynamodb", "create_table"):
                self.wait_table(args["TableName"], ("ACTIVE",))

    def wait_table(self, name, until):
        """Waits until the table's status is one of `until` (None: the
        table no longer exists) and returns it, as a DynamoDB client must:
        CreateTable and DeleteTable answer before the change is done, and
        the test server finishes it on a timer of its own, so a case could
        otherwise meet its table still CREATING, or lose it to a deletion
        still pending from the case before."""
        import time
        ddb = self.clients["dynamodb"]
        for _ in range(6000):          # 30 s at most: a stuck server fails the case
            try:
                status = ddb.describe_table(TableName=name)["Table"]["TableStatus"]
            except ddb.exceptions.ResourceNotFoundException:
                status = None
            if status in until:
                return status
            time.sleep(0.005)
        raise RuntimeError("DynamoDB table %s: still %s after 30 s" % (name, status))

    def clear(self):
        """Removes everything on the servers: what the setup created and what
        the workflow did (service cases run one at a time)."""
        c = self.clients
        for name in c["dynamodb"].list_tables().get("TableNames", []):
            # A table being deleted is not deleted twice: each deletion
            # removes the name when its timer runs, even a new table's.
            if self.wait_table(name, ("ACTIVE", "DELETING", None)) == "ACTIVE":
                c["dynamodb"].delete_table(TableName=name)
            self.wait_table(name, (None,))
        for url in c["sqs"].list_queues().get("QueueUrls", []):
            c["sqs"].delete_queue(QueueUrl=url)
        for topic in c["sns"].list_topics().get("Topics", []):
            c["sns"].delete_topic(TopicArn=topic["TopicArn"])
        for bucket in c["s3"].list_buckets().get("Buckets", []):
            name = bucket["Name"]
            for page in c["s3"].get_paginator("list_objects_v2").paginate(Bucket=name):
                for obj in page.get("Contents", []):
                    c["s3"].delete_object(Bucket=name, Key=obj["Key"])
            c["s3"].delete_bucket(Bucket=name)


# Service cases run one at a time: they reuse names (sfn_test_table_00000001,
# queue-00000001), and each run starts from servers that hold nothing else.
SERVICES_LOCK = threading.Lock()


# ==== Running aslc ========================================================

class Outcome:
    """What one path (tcc or c) gave for a case."""

    def __init__(self):
        self.result = None    # {"status", "output"/"output_text", "error", "cause"}
        self.skip = None      # a "not supported yet" reason
        self.problem = None   # aslc refused, crashed or timed out
        self.stderr = ""
        self.commands = []
        self.history = None   # the --history document, when one was asked for


def run_process(argv, cwd, timeout, env=None):
    """Runs argv; returns (exit code, stdout, stderr), exit None on timeout.
    The child gets its own process group, so that a timeout also kills the
    handlers (Python Lambda functions) it started."""
    try:
        p = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True, env=env)
    except OSError as e:
        return EXEC_FAILED, b"", ("cannot start %s: %s" % (argv[0], e)).encode()
    try:
        out, err = p.communicate(timeout=timeout)
        return p.returncode, out, err
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        out, err = p.communicate()
        return None, out, err


def not_supported_reason(stderr):
    """The first "... not supported yet" message, without its location, so
    that skip reasons can be tallied.

    >>> not_supported_reason('d.json:3:5: error: "ItemReader" is not supported yet [/States/M]\\n')
    '"ItemReader" is not supported yet'
    >>> not_supported_reason("aslc: error: JSONata is not supported yet, sorry\\n")
    'JSONata is not supported yet'
    >>> not_supported_reason("something else") is None
    True
    """
    for line in stderr.splitlines():
        if NOT_SUPPORTED not in line:
            continue
        msg = re.sub(r"^.*?\b(?:error|warning|note):\s*", "", line, count=1)
        msg = re.sub(r"^aslc:\s*", "", msg)
        msg = msg[:msg.index(NOT_SUPPORTED) + len(NOT_SUPPORTED)]
        return msg.strip()
    return None


STATUS_BY_EXIT = {0: "SUCCEEDED", 1: "FAILED", 3: "TIMED_OUT", 4: "ABORTED"}


def interpret(outcome, code, out, err, raw_output, what, timeout):
    """Turns an execution's exit code and streams into outcome.result."""
    outcome.stderr = err.decode("utf-8", "replace")
    text = out.decode("utf-8", "replace")
    if code is None:
        outcome.problem = "%s: no result within %g s (killed)" % (what, timeout)
        return
    if code == EXEC_FAILED:
        outcome.problem = "%s: could not be started" % what
        return
    if code == 2:
        reason = not_supported_reason(outcome.stderr)
        if reason:
            outcome.skip = reason
        else:
            outcome.problem = "%s: exit 2 (refused the definition or its input)" % what
        return
    if code not in STATUS_BY_EXIT:
        outcome.problem = "%s: %s" % (what, "killed by signal %d" % -code if code < 0
                                      else "unexpected exit status %d" % code)
        return
    status = STATUS_BY_EXIT[code]
    result = {"status": status}
    if status == "SUCCEEDED":
        if raw_output:
            result["output_text"] = text.rstrip("\n")
        else:
            try:
                result["output"] = json.loads(text)
            except ValueError:
                outcome.problem = "%s: exit 0 but stdout is not JSON: %s" % (what, short(text))
                return
    elif status != "ABORTED":
        try:
            doc = json.loads(text) if text.strip() else {}
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            outcome.problem = "%s: exit %d but stdout is not an error object: %s" % (
                what, code, short(text))
            return
        for key, name in (("Error", "error"), ("Cause", "cause")):
            if doc.get(key) is not None:
                result[name] = doc[key]
    outcome.result = result


class Case:
    """One execution case of cases/*.json, and how it went."""

    def __init__(self, path, data):
        self.path = path
        self.data = data
        self.name = data["name"]
        self.verdict = None   # "pass", "fail" or "skip"
        self.reason = ""      # for skips
        self.report = []      # lines explaining a failure
        self.outcomes = {}    # path name -> Outcome
        self.history = None   # "match", "unordered", "differs" or None (nothing to compare)
        self.history_report = []
        self.history_types = True  # event types in the recorded order (judge_history)
        self.servers = ()     # the services it called on the test servers


def execution_name(case_name):
    # Deterministic, and shaped like the UUIDs that the tests gave AWS.
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "aslc-conformance:" + case_name))


# A state machine ARN the tests made: its name ends in 8 digits (README,
# "Masked values"); what follows them (a NoSuchArn test's suffix) is not part
# of the state machine that exists.
MACHINE_ARN = re.compile(r"arn:aws:states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z_]*?_\d{8})")
START_RESOURCES = ("arn:aws:states:::states:startExecution", "arn:aws:states:::aws-sdk:sfn:startExecution")


def resources_of(definition):
    """Every Task Resource of a definition, nested states included."""
    found = []

    def walk(v):
        if isinstance(v, dict):
            if v.get("Type") == "Task" and isinstance(v.get("Resource"), str):
                found.append(v["Resource"])
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(definition)
    return found


def nested_machines(d, servers=()):
    """The state machines a case starts (states:startExecution,
    aws-sdk:sfn:startExecution): ({ARN: template path}, None), or (None, a
    skip reason) when they are not at hand or need services other than
    servers (those the test servers answer).  A case that starts none gives
    ({}, None)."""
    if not any(r.startswith(START_RESOURCES) for r in resources_of(d["definition"])):
        return {}, None
    children = []
    for t in (d.get("source") or {}).get("templates") or []:
        rel = t[len(TEMPLATES_PREFIX):] if t.startswith(TEMPLATES_PREFIX) else None
        path = rel and os.path.join(TEMPLATES_DIR, re.sub(r"\.json5$", ".json", rel))
        if path and os.path.isfile(path):
            children.append(path)
    if len(children) != 1:
        return None, "needs AWS service: stepfunctions (no local definition of the nested state machine)"
    with open(children[0], encoding="utf-8") as f:
        child = json.load(f)
    needs = sorted({m.group(1) for r in resources_of(child)
                    for m in [re.match(r"arn:aws:states:::(?:aws-sdk:)?([a-z0-9-]+):", r)]
                    if m and m.group(1) not in ("states", "sfn", "lambda")} - set(servers))
    if needs:
        return None, "needs AWS service: %s (in a nested state machine)" % ", ".join(needs)
    # No history tells who answered the child's callbacks: one sent through
    # another service can only have been the test's worker.
    waits = sorted({r for r in resources_of(child) if r.endswith(".waitForTaskToken")
                    and not r.startswith(START_RESOURCES)})
    if waits:
        return None, CALLBACK_WORKER % waits[0]
    # The parent's task token handed to a child that does not answer it
    # itself (sfn:sendTask...) but sends it on through a service.
    sends = sorted(r for r in resources_of(child)
                   if r.startswith("arn:aws:states:::") and not r.startswith(START_RESOURCES)
                   and not r.startswith("arn:aws:states:::lambda:"))
    if sends and "$$.Task.Token" in json.dumps(d["definition"]) and not any(
            ":sendTask" in r for r in resources_of(child)):
        return None, CALLBACK_WORKER % ("%s in the nested state machine" % sends[0])
    text = json.dumps([d["definition"], d["input"]])
    arns = {"arn:aws:states:%s:%s:stateMachine:%s" % m.groups(): children[0]
            for m in MACHINE_ARN.finditer(text)}
    return arns, None


def write_inputs(case, tmp, servers=()):
    """Writes the definition, input and bindings of case into tmp, and the
    S3 objects of its aws_setup into tmp/s3 unless servers holds S3."""
    d = case.data
    with open(os.path.join(tmp, "definition.asl.json"), "w", encoding="utf-8") as f:
        json.dump(d["definition"], f, indent=2, ensure_ascii=False)
    with open(os.path.join(tmp, "input.json"), "w", encoding="utf-8") as f:
        json.dump(d["input"], f, ensure_ascii=False)
    bindings = {}
    for fn, spec in sorted((d.get("lambda_functions") or {}).items()):
        src = os.path.join(LAMBDA_DIR, os.path.basename(spec["source"]))
        if not os.path.isfile(src):
            raise RuntimeError("no Lambda handler %s for %s" % (src, spec["source"]))
        fdir = os.path.join(tmp, fn)
        os.makedirs(fdir, exist_ok=True)
        shutil.copyfile(src, os.path.join(fdir, "handler.py"))
        target = {"python": os.path.join(fdir, "handler.py"), "handler": "handler"}
        arn = spec["arn"]
        # The exact ARN first (earlier bindings win), then its qualified
        # forms (:$LATEST, :alias), then the bare name that optimized
        # integrations may pass as FunctionName.
        bindings[arn] = target
        bindings[arn + ":*"] = target
        bindings.setdefault(fn, target)
    # The state machines it starts, by the ARNs the test created.
    machines, _ = nested_machines(d, servers)
    if machines:
        bindings["StateMachines"] = {}
        for arn, template in sorted(machines.items()):
            local = os.path.join(tmp, "machines", os.path.basename(template))
            os.makedirs(os.path.dirname(local), exist_ok=True)
            shutil.copyfile(template, local)
            bindings["StateMachines"][arn] = os.path.relpath(local, tmp)
    with open(os.path.join(tmp, "bindings.json"), "w", encoding="utf-8") as f:
        json.dump(bindings, f, indent=2)
    # S3 stands for a local folder (aslc's --s3-root): the buckets the test
    # created and the objects it put, byte for byte.
    root = os.path.join(tmp, "s3")
    os.makedirs(root, exist_ok=True)
    for step in d.get("aws_setup") or []:
        if step.get("service") != "s3" or "s3" in servers:
            continue
        args = step.get("args") or {}
        bucket = args.get("Bucket", "")
        if "/" in bucket or bucket in ("", ".", ".."):
            continue
        if step.get("operation") == "create_bucket":
            os.makedirs(os.path.join(root, bucket), exist_ok=True)
        elif step.get("operation") == "put_object":
            key = args.get("Key", "")
            path = os.path.normpath(os.path.join(root, bucket, key))
            if not path.startswith(os.path.join(root, bucket) + os.sep):
                continue
            os.makedirs(os.path.dirname(path), exist_ok=True)
            body = args.get("Body", "")
            with open(path, "wb") as f:
                f.write(body.encode("utf-8") if isinstance(body, str) else bytes(body))


def read_history(o, path):
    """Loads the --history document the execution wrote into o.history."""
    try:
        with open(path, encoding="utf-8") as f:
            o.history = json.load(f)
    except (OSError, ValueError):
        o.history = None


def run_path(kind, opts, tmp, name, raw_output, express=False, sync=False, history=False,
             env=None):
    """Runs the case in tmp through one backend.  raw_output: keep stdout as
    text (AWS's output was not JSON); express: an EXPRESS machine (its ARNs
    differ), told to the execution when aslc has an option for it; env: the
    environment that points it at the test servers (service_process_env),
    S3 included, else S3 is the folder tmp/s3."""
    o = Outcome()
    # The corpus's ARNs use account 111111111111 in us-east-1 (README,
    # "Masked values"), and AWS output shows them unmasked.
    common = ["--input-file", "input.json", "--bindings", "bindings.json"] + (
        [] if env else ["--s3-root", "s3"]) + [
        "--wait=skip", "--name", name,
        "--account", CORPUS_ACCOUNT, "--region", CORPUS_REGION] + opts.run_arg
    if express:
        common += express_option(opts)
    if sync:
        common += ["--sync"]
    # A recorded history is compared event by event; one thread makes Map
    # iterations run (and number their events) in AWS's order.
    hfile = os.path.join(tmp, "history-%s.json" % kind)
    if history:
        common += ["--history", hfile, "--threads", "1"]
    # llvm: in memory (ORC); llvm-bin: a binary built through LLVM.
    backend = ["--backend=llvm"] if kind in ("llvm", "llvm-bin") else []
    if kind in ("tcc", "llvm"):
        argv = [opts.aslc, "run", "definition.asl.json"] + backend + common
        o.commands.append(argv)
        code, out, err = run_process(argv, tmp, opts.timeout, env)
        interpret(o, code, out, err, raw_output, "aslc run", opts.timeout)
        if history:
            read_history(o, hfile)
        return o
    wf = os.path.join(tmp, "wf")
    argv = [opts.aslc, "build", "definition.asl.json", "-o", wf] + backend
    # The state machines it starts are compiled in.
    with open(os.path.join(tmp, "bindings.json"), encoding="utf-8") as f:
        if "StateMachines" in json.load(f):
            argv += ["--bindings", "bindings.json"]
    o.commands.append(argv)
    code, out, err = run_process(argv, tmp, opts.timeout, env)
    if code != 0:
        o.stderr = err.decode("utf-8", "replace")
        reason = not_supported_reason(o.stderr) if code == 2 else None
        if reason:
            o.skip = reason
        elif code is None:
            o.problem = "aslc build: no result within %g s (killed)" % opts.timeout
        elif code < 0:
            o.problem = "aslc build: killed by signal %d" % -code
        elif code == EXEC_FAILED:
            o.problem = "aslc build: could not be started"
        else:
            o.problem = "aslc build: exit %d (refused the definition, or could not build it)" % code
        return o
    argv = [wf] + common
    o.commands.append(argv)
    code, out, err = run_process(argv, tmp, opts.timeout, env)
    interpret(o, code, out, err, raw_output, "workflow binary", opts.timeout)
    if history:
        read_history(o, hfile)
    return o


def expected_view(exp):
    """The parts of "expected" that are compared, in the shape of a result."""
    view = {"status": exp["status"]}
    if "output_text" in exp:
        view["output_text"] = exp["output_text"]
    elif "output" in exp:
        view["output"] = exp["output"]
    for key in ("error", "cause"):
        if key in exp and exp[key] is not None:
            view[key] = exp[key]
    return view


# Members that DescribeExecution gained when AWS introduced redrive (November
# 2023): recordings made before then do not have them.
REDRIVE_MEMBERS = ("RedriveCount", "RedriveStatus", "RedriveStatusReason")


def without_new_members(exp, act):
    """act without the redrive members where exp (an older recording) has
    none, recursively."""
    if isinstance(exp, dict) and isinstance(act, dict):
        return {k: without_new_members(exp.get(k), v) for k, v in act.items()
                if k in exp or k not in REDRIVE_MEMBERS}
    if isinstance(exp, list) and isinstance(act, list) and len(exp) == len(act):
        return [without_new_members(e, a) for e, a in zip(exp, act)]
    return act


def comparable(result, exp_view, before_redrive=False):
    """Shapes an actual result like the expected one: a Cause that AWS gave
    as JSON is parsed, and a TIMED_OUT execution's error and cause are only
    compared when AWS recorded them (its timeout event may carry none).
    before_redrive: the case was recorded before DescribeExecution had the
    redrive members."""
    r = dict(result)
    if isinstance(exp_view.get("cause"), (dict, list)) and isinstance(r.get("cause"), str):
        try:
            r["cause"] = json.loads(r["cause"])
        except ValueError:
            pass
    if before_redrive:
        for key in ("output", "cause"):
            if key in r and key in exp_view:
                r[key] = without_new_members(exp_view[key], r[key])
    if exp_view["status"] == "TIMED_OUT" and r["status"] == "TIMED_OUT":
        for key in ("error", "cause"):
            if key not in exp_view:
                r.pop(key, None)
    return r


def judge_case(case, paths, server_headers=False):
    """Sets case.verdict from its outcomes.  server_headers: the services
    it called were the test servers (Comparison)."""
    d = case.data
    exp = expected_view(d["expected"])
    masked = [parse_path(p) for p in d.get("masked_paths") or []]
    words = d.get("mask_tokens") or []

    skips = [(k, o.skip) for k, o in case.outcomes.items() if o.skip]
    if skips:
        case.verdict, case.reason = "skip", skips[0][1]
        return
    fail = []
    for kind in paths:
        o = case.outcomes[kind]
        if o.problem:
            fail.append("%s: %s" % (kind, o.problem))
            fail.extend("    | " + l for l in o.stderr.splitlines()[-8:])
            continue
        c = Comparison(masked, words, server_headers=server_headers)
        if not c.compare(exp, comparable(o.result, exp, recorded_before(d, 2023, 11))):
            fail.append("%s: differs from AWS" % kind)
            fail.extend("    " + l for l in c.diffs[:12])
            if len(c.diffs) > 12:
                fail.append("    ... %d more differences" % (len(c.diffs) - 12))
            fail.append("    expected: %s" % short(exp, 600))
            fail.append("    actual:   %s" % short(o.result, 600))
            if o.stderr.strip():
                fail.extend("    | " + l for l in o.stderr.splitlines()[-5:])
    results = [case.outcomes[k].result for k in paths if case.outcomes[k].result]
    done = [k for k in paths if case.outcomes[k].result]
    for k, r in zip(done[1:], results[1:]):
        c = Comparison(masked, words, skip_masked=True, server_headers=server_headers)
        if not c.compare(comparable(results[0], exp), comparable(r, exp)):
            fail.append("%s and %s disagree (%s expected, %s actual):" % (done[0], k, done[0], k))
            fail.extend("    " + l for l in c.diffs[:12])
    if fail:
        case.verdict, case.report = "fail", fail
    else:
        case.verdict = "pass"


def backend_paths(opts):
    """The outcomes each case gets: tcc (aslc run), c (aslc build), llvm
    (aslc run --backend=llvm), llvm-bin (aslc build --backend=llvm)."""
    if opts.path == "llvm":
        return ["llvm", "llvm-bin"]
    if opts.path in ("tcc", "c"):
        return [opts.path]
    if opts.path == "auto" and opts.has_llvm is None:
        try:
            v = subprocess.run([opts.aslc, "--version"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, timeout=30).stdout
            opts.has_llvm = b"llvm" in v.lower()
        except (OSError, subprocess.SubprocessError):
            opts.has_llvm = False
    return ["tcc", "c"] + (["llvm", "llvm-bin"] if opts.path == "auto" and opts.has_llvm else [])


# ==== Histories ===========================================================

# What is compared of each event's details, besides its type, id and
# previousEventId: names, indexes, lengths and error names.  Payloads and
# causes are left to the execution verdict (the history masks them).
HISTORY_DETAIL_KEYS = ("name", "index", "length", "error", "resource", "resourceType", "state",
                       "location")


def event_view(e):
    """(type, {detail key: value}) of an event, for comparison."""
    view = {}
    for k, v in e.items():
        if k.endswith("EventDetails") and isinstance(v, dict):
            for key in HISTORY_DETAIL_KEYS:
                if key in v and isinstance(v[key], (str, int)):
                    view[key] = v[key]
    return (e.get("type"), view)


def views_match(exp, act):
    """event_view of a recorded event against one of aslc's: a recorded
    value holding a mask (<partition>, <uuid:1>) matches any value."""
    (et, ev), (at, av) = event_view(exp), event_view(act)
    if et != at or set(ev) != set(av):
        return False
    return all(ev[k] == av[k] or (isinstance(ev[k], str) and "<" in ev[k]) for k in ev)


def compare_history(expected, actual, reordered=False, old_map_run=False):
    """Compares a recorded history (AWS's, masked) with aslc's --history
    events.  Returns (verdict, differences): "match" when types, ids,
    previousEventIds and the details of event_view agree in order,
    "unordered" when the same events came in another order (iterations
    and branches that AWS interleaved), else "differs".

    With old_map_run (a recording made before November 2024), a
    MapStateExited may follow MapRunSucceeded, as AWS chained it then; since
    then it follows MapRunStarted, as aslc writes it.

    With reordered (the recording sorted the events inside Parallel
    states and zeroed their ids), the events with id 0 are compared as a
    multiset with the actual events whose ids the recording does not show,
    and a ParallelStateSucceeded or ParallelStateFailed that the recording
    dropped is not missed.

    >>> ev = lambda i, p, t, **d: dict(id=i, previousEventId=p, type=t, stateEnteredEventDetails=d)
    >>> compare_history([ev(1, 0, "A"), ev(2, 1, "B", name="x")], [ev(1, 0, "A"), ev(2, 1, "B", name="x")])
    ('match', [])
    >>> compare_history([ev(1, 0, "A"), ev(2, 1, "B")], [ev(1, 0, "A"), ev(2, 0, "B")])[0]
    'differs'
    >>> compare_history([ev(1, 0, "A"), ev(2, 1, "B"), ev(3, 1, "C")], [ev(1, 0, "A"), ev(2, 1, "C"), ev(3, 1, "B")])[0]
    'unordered'
    >>> compare_history([ev(1, 0, "S"), ev(0, 0, "P", name="b"), ev(0, 0, "P", name="a"), ev(4, 3, "E")],
    ...                 [ev(1, 0, "S"), ev(2, 1, "P", name="a"), ev(3, 2, "P", name="b"),
    ...                  ev(4, 3, "E")], reordered=True)
    ('match', [])
    """
    diffs = []
    if reordered:
        # The recording's zeroed ids read 0 or [0].
        expected = [dict(e, id=e["id"] if isinstance(e.get("id"), int) else 0) for e in expected]
        shown = {e.get("id") for e in expected if e.get("id")}
        by_id = {e.get("id"): e for e in actual}
        for e in expected:
            if not e.get("id"):
                continue
            a = by_id.get(e["id"])
            if a is None:
                diffs.append("event %s %s: missing" % (e["id"], e.get("type")))
            elif not views_match(e, a) or a.get("previousEventId") != e.get("previousEventId"):
                diffs.append("event %s: expected %s prev %s, got %s prev %s"
                             % (e["id"], event_view(e), e.get("previousEventId"),
                                event_view(a), a.get("previousEventId")))
        hidden_exp = sorted(json.dumps(event_view(e), sort_keys=True)
                            for e in expected if not e.get("id"))
        exp_types = {event_view(e)[0] for e in expected}
        # An event the sorted recording lost but a recorded event names as
        # its previousEventId existed on AWS: it is not an extra one.
        referenced = {e.get("previousEventId") for e in expected if e.get("id")}
        hidden_act = [a for a in actual
                      if a.get("id") not in shown and not (
                          a.get("type") in ("ParallelStateSucceeded", "ParallelStateFailed")
                          and a.get("type") not in exp_types)]
        extra = collections.Counter(json.dumps(event_view(a), sort_keys=True) for a in hidden_act)
        extra.subtract(collections.Counter(hidden_exp))
        lost = {json.dumps(event_view(a), sort_keys=True) for a in hidden_act
                if a.get("id") in referenced}
        if all(n == 0 or (n > 0 and k in lost) for k, n in extra.items()):
            hidden_act = hidden_exp
        else:
            hidden_act = sorted(json.dumps(event_view(a), sort_keys=True) for a in hidden_act)
        if hidden_exp != hidden_act:
            diffs.append("events inside Parallel states differ: expected %s, got %s"
                         % (short(hidden_exp), short(hidden_act)))
        return ("match" if not diffs else "differs"), diffs
    for i, (e, a) in enumerate(zip(expected, actual)):
        if (not views_match(e, a) or e.get("id") != a.get("id")
                or (e.get("previousEventId") != a.get("previousEventId")
                    and not (old_map_run and e.get("type") == "MapStateExited"
                             and (expected[i - 1].get("type") == "MapStateSucceeded"
                                  and e.get("previousEventId") == expected[i - 2].get("id"))
                             and expected[i - 2].get("type") == "MapRunSucceeded"))):
            diffs.append("event #%d: expected %s %s prev %s, got %s %s prev %s"
                         % (i + 1, e.get("id"), event_view(e), e.get("previousEventId"),
                            a.get("id"), event_view(a), a.get("previousEventId")))
    if len(expected) != len(actual):
        diffs.append("expected %d events, got %d" % (len(expected), len(actual)))
    if not diffs:
        return "match", []
    key = lambda e: json.dumps(event_view(e), sort_keys=True)
    if (list(map(key, expected)) != list(map(key, actual))
            and sorted(map(key, expected)) == sorted(map(key, actual))):
        return "unordered", diffs
    return "differs", diffs


def types_in_order(expected, actual, reordered=False):
    """The issue's measure: the same event types in the same order (ids,
    previousEventIds and details aside).  Events the recording sorted
    inside Parallel states count as a multiset, and a Parallel
    Succeeded/Failed event it dropped is not missed.

    >>> ev = lambda t: dict(type=t, id=1)
    >>> types_in_order([ev("A"), ev("B")], [ev("A"), ev("B")])
    True
    >>> types_in_order([ev("A"), ev("B")], [ev("B"), ev("A")])
    False
    """
    exp = [e.get("type") for e in expected]
    act = [a.get("type") for a in actual]
    if not reordered:
        return exp == act
    dropped = ("ParallelStateSucceeded", "ParallelStateFailed")
    act = [t for t in act if t not in dropped or t in exp]
    return sorted(exp) == sorted(act) and exp[0] == act[0] and exp[-1] == act[-1]


def recorded_before(d, year, month):
    """Whether the case was recorded on AWS before the given month
    (source.recorded_date reads "DD-MM-YYYY, hh:mm:ss").

    >>> recorded_before({"source": {"recorded_date": "19-06-2024, 10:00:00"}}, 2024, 11)
    True
    >>> recorded_before({"source": {"recorded_date": "13-11-2024, 10:00:00"}}, 2024, 11)
    False
    """
    text = ((d.get("source") or {}).get("recorded_date") or "")[:10]
    try:
        day, mon, yr = (int(x) for x in text.split("-"))
    except ValueError:
        return False
    return (yr, mon) < (year, month)


def judge_history(case, paths):
    """Compares each path's --history with the recorded one.  The outcome
    is reported on its own (case.history) and does not change the
    execution verdict."""
    recorded = case.data.get("history")
    if not recorded or case.verdict == "skip":
        return
    reordered = any("re-ordered" in n for n in case.data.get("notes") or [])
    worst = "match"
    rank = {"match": 0, "unordered": 1, "differs": 2}
    for kind in paths:
        o = case.outcomes.get(kind)
        events = (o.history or {}).get("events") if o else None
        if not isinstance(events, list):
            verdict, diffs = "differs", ["no history written"]
        else:
            verdict, diffs = compare_history(recorded, events, reordered,
                                             recorded_before(case.data, 2024, 11))
        if not isinstance(events, list) or (verdict != "match" and
                                            not types_in_order(recorded, events, reordered)):
            case.history_types = False
        if rank[verdict] > rank[worst]:
            worst = verdict
        if diffs and not case.history_report:
            case.history_report = ["%s: %s" % (kind, d) for d in diffs[:6]]
    case.history = worst


def run_case(case, opts):
    d = case.data
    servers, reason = service_plan(d, opts)
    if reason:
        case.verdict, case.reason = "skip", reason
        return case
    case.servers = servers
    paths = backend_paths(opts)
    tmp = tempfile.mkdtemp(prefix="aslc-conf-", dir=opts.workdir)
    try:
        write_inputs(case, tmp, servers)
        raw_output = "output_text" in d["expected"]
        name = execution_name(case.name)

        def run(kind, env=None):
            return run_path(kind, opts, tmp, name, raw_output,
                            d.get("state_machine_type") == "EXPRESS",
                            d.get("start_api") == "StartSyncExecution",
                            bool(d.get("history")), env)
        if servers:
            # Each path starts from what the test had set up, and nothing else.
            env = service_process_env(opts)
            with SERVICES_LOCK:
                for kind in paths:
                    try:
                        services = opts.services()
                        services.clear()
                        services.setup(d)
                    except Exception as e:
                        raise RuntimeError("setting up the test servers: %s" % e) from e
                    case.outcomes[kind] = run(kind, env)
                opts.services().clear()
        else:
            for kind in paths:
                case.outcomes[kind] = run(kind)
        judge_case(case, paths, bool(servers))
        try:
            judge_history(case, paths)
        except Exception as e:   # reported with the histories, never as the verdict
            case.history, case.history_report = "differs", ["runner error: %r" % e]
    except Exception as e:   # a runner bug must not hide the other cases
        case.verdict, case.report = "fail", ["runner error: %r" % e]
    finally:
        if opts.keep:
            case.report.append("files kept in %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return case


# ==== The invalid/ corpus =================================================

def aws_location_to_pointer(loc):
    """AWS writes array indexes as Choices[0]; our pointers as /Choices/0.
    Returns None for locations that are not pointers.

    >>> aws_location_to_pointer("/States/C/Choices[0]/Next")
    '/States/C/Choices/0/Next'
    >>> aws_location_to_pointer("/")
    ''
    >>> aws_location_to_pointer("[Source: (String)...]") is None
    True
    """
    if not isinstance(loc, str) or not loc.startswith("/"):
        return None
    loc = re.sub(r"\[(\d+)\]", r"/\1", loc)
    return "" if loc == "/" else loc


# A diagnostic's first line; not the echoed source line ("   12 | ...") or
# the caret line, whatever JSON strings they show.
DIAG_LINE = re.compile(r"^(?!\s*\d*\s\|)(?:.*?): (error|warning|note): (.*)$")


def diagnostic_pointers(stderr):
    """The JSON pointers of the error lines of aslc's diagnostics ("" for an
    error without one).

    >>> diagnostic_pointers('a.json:1:2: error: x [/States/A]\\n  1 | {\\na.json: error: y\\n')
    ['/States/A', '']
    """
    out = []
    for line in stderr.splitlines():
        m = DIAG_LINE.match(line)
        if not m or m.group(1) != "error":
            continue
        p = re.search(r" \[(/.*)\]$", m.group(2))
        out.append(p.group(1) if p else "")
    return out


def location_found(pointer, found):
    """True when some diagnostic names pointer or a place inside it: ours
    may be more precise than AWS's (a member of the object AWS named).

    >>> location_found("/States/X", ["/States/X/Next"])
    True
    >>> location_found("/States/X", ["/States/XY"])
    False
    >>> location_found("", ["/StartAt"])
    True
    """
    return any(f == pointer or f.startswith(pointer + "/") for f in found)


class Invalid:
    """One case of invalid/*.json."""

    def __init__(self, path, data):
        self.path = path
        self.data = data
        self.name = data["name"]
        self.verdict = None
        self.reason = ""
        self.report = []


def express_option(opts):
    """How to tell `aslc check` that a machine is EXPRESS, if it can be told;
    found once from its help text."""
    if opts.express_args is None:
        code, out, err = run_process([opts.aslc, "--help"], None, 30)
        text = (out + err).decode("utf-8", "replace")
        if "--type" in text:
            opts.express_args = ["--type=EXPRESS"]
        elif "--express" in text:
            opts.express_args = ["--express"]
        else:
            opts.express_args = []
    return opts.express_args


def run_invalid(case, opts):
    d = case.data
    exp = d["expected"]
    extra = []
    if d.get("state_machine_type") == "EXPRESS":
        extra = express_option(opts)
        if not extra and d.get("category") == "express_unsupported_integration":
            case.verdict = "skip"
            case.reason = "needs the EXPRESS type, which aslc check cannot be given"
            return case
    tmp = tempfile.mkdtemp(prefix="aslc-inv-", dir=opts.workdir)
    try:
        path = os.path.join(tmp, "definition.asl.json")
        if "definition" in d:
            definition = d["definition"]
            if d.get("definition_scope") == "state":
                # TestState with one state: AWS reports locations as if it
                # were the state "StateName" of a machine.
                definition = {"StartAt": "StateName", "States": {"StateName": definition}}
            with open(path, "w", encoding="utf-8") as f:
                json.dump(definition, f, indent=2, ensure_ascii=False)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(d.get("definition_text", ""))
        argv = [opts.aslc, "check"] + extra + ["definition.asl.json"]
        code, out, err = run_process(argv, tmp, opts.timeout)
        stderr = err.decode("utf-8", "replace")
        want = 0 if exp.get("accepted") else 1
        problems = []
        if code == 2 and not_supported_reason(stderr):
            case.verdict, case.reason = "skip", not_supported_reason(stderr)
            return case
        if code is None:
            problems.append("aslc check: no result within %g s" % opts.timeout)
        elif code != want:
            message = exp.get("message")
            problems.append("aslc check exited %d, expected %d (AWS %s it%s)" % (
                code, want, "accepted" if want == 0 else "refused",
                ": " + short(message, 300) if message else ""))
        elif want == 1:
            locs = [exp.get("location")] + [g.get("location") for g in exp.get("diagnostics") or []]
            found = diagnostic_pointers(stderr)
            for loc in locs:
                ptr = aws_location_to_pointer(loc)
                if ptr is not None and not location_found(ptr, found):
                    problems.append("no error at [%s] (AWS: %s)" % (ptr or "/", loc))
        if problems:
            case.verdict = "fail"
            case.report = problems + ["    | " + l for l in stderr.splitlines()[-8:]]
        else:
            case.verdict = "pass"
    except Exception as e:
        case.verdict, case.report = "fail", ["runner error: %r" % e]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return case


# ==== Reporting ===========================================================

def print_case(out, kind, case, verbose):
    if case.verdict == "fail":
        out.write("FAIL %s%s\n" % (kind, case.name))
        out.write("     (%s)\n" % os.path.join(*case.path.split(os.sep)[-2:]))
        for line in case.report:
            out.write("     %s\n" % line)
    elif verbose:
        out.write("%s %s%s%s\n" % ("PASS" if case.verdict == "pass" else "SKIP", kind,
                                   case.name, " (%s)" % case.reason if case.reason else ""))
    out.flush()


def print_table(out, title, rows):
    """rows: {label: Counter(pass/fail/skip)}"""
    if not rows:
        return
    width = max(len(title), max(len(k) for k in rows))
    out.write("\n%-*s %7s %7s %7s\n" % (width, title, "passed", "failed", "skipped"))
    for label in sorted(rows):
        r = rows[label]
        out.write("%-*s %7d %7d %7d\n" % (width, label, r["pass"], r["fail"], r["skip"]))


def services_table(cases):
    """{label: Counter} of the cases that call an AWS service (other than
    Lambda), by service and by service and query language: where the
    servers made a difference."""
    rows = collections.defaultdict(collections.Counter)
    for c in cases:
        if c.data.get("service_class") != "other":
            continue
        ql = c.data.get("query_language")
        for s in sorted(set(c.data.get("services") or []) - {"lambda"}):
            rows[s][c.verdict] += 1
            rows["%s %s" % (s, ql)][c.verdict] += 1
        rows["all services %s" % ql][c.verdict] += 1
        rows["all services"][c.verdict] += 1
    return rows


def summarize(out, cases, invalids, list_failures):
    by_kind = collections.defaultdict(collections.Counter)
    by_feature = collections.defaultdict(collections.Counter)
    for c in cases:
        by_kind["query_language:%s" % c.data.get("query_language")][c.verdict] += 1
        for f in c.data.get("features") or []:
            (by_kind if f.startswith("state:") else by_feature)[f][c.verdict] += 1
    print_table(out, "executions by state type and query language", by_kind)
    print_table(out, "executions by feature", by_feature)
    print_table(out, "executions by service", services_table(cases))

    for title, group in (("executions", cases), ("invalid definitions", invalids)):
        if not group:
            continue
        n = collections.Counter(c.verdict for c in group)
        out.write("\n%s: %d passed, %d failed, %d skipped\n"
                  % (title, n["pass"], n["fail"], n["skip"]))
        reasons = collections.Counter(c.reason for c in group if c.verdict == "skip")
        for reason, count in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
            out.write("  %5d skipped: %s\n" % (count, reason))

    recorded = [c for c in cases if c.history]
    if recorded:
        n = collections.Counter(c.history for c in recorded)
        out.write("\nhistories: %d match of %d recorded (%d same events in another order, "
                  "%d differ)\n" % (n["match"], len(recorded), n["unordered"], n["differs"]))
        out.write("histories, event types in order: %d of %d recorded\n"
                  % (sum(1 for c in recorded if c.history_types), len(recorded)))
        if list_failures:
            for c in recorded:
                if c.history != "match":
                    out.write("  history %s: %s\n" % (c.history, c.name))
                    for line in c.history_report[:4]:
                        out.write("      %s\n" % short(line, 400))

    everything = list(cases) + list(invalids)
    if list_failures:
        failed = [c for c in everything if c.verdict == "fail"]
        if failed:
            out.write("\nfailed:\n")
            for c in failed:
                out.write("  %s\n" % c.name)
    n = collections.Counter(c.verdict for c in everything)
    out.write("\n%d passed, %d failed, %d skipped\n" % (n["pass"], n["fail"], n["skip"]))
    return n["fail"]


# ==== The TestState corpus (--test-state) ==================================

# test_state_cases/*.json: calls to the TestState API (localstack/README.md).
# Each is sent to aslc's TestState, through `aslc serve`'s API (--endpoint,
# or a server the runner starts) or through tests/teststate/driver (--driver),
# and AWS's answer is compared: status, output, error, cause, nextState and
# inspectionData.

# The role the tests passed.  The corpus does not keep roleArn; LocalStack's
# tests pass one to every single-state TestState and none with stateName,
# and the context object shows it (RoleArn is null without one).
TEST_STATE_ROLE = "arn:aws:iam::%s:role/aslc-test-state" % CORPUS_ACCOUNT
# inspectionData members that are payloads: JSON text on the wire.
INSPECTION_PAYLOADS = ("input", "afterInputPath", "afterParameters", "afterArguments",
                       "afterItemsPath", "afterItemSelector", "afterItemBatcher", "result",
                       "afterResultSelector", "afterResultPath", "variables")


def test_state_request(d):
    """The TestState request a case made.

    >>> d = {"definition": {"Type": "Pass"}, "input": {"a": 1},
    ...      "test_state_options": {"inspectionLevel": "DEBUG", "stateName": "S"}}
    >>> r = test_state_request(d); r["input"], r["stateName"], "roleArn" in r
    ('{"a": 1}', 'S', False)
    """
    req = {"definition": json.dumps(d["definition"]), "input": json.dumps(d["input"])}
    opts = d.get("test_state_options") or {}
    for key in ("inspectionLevel", "stateName", "mock", "variables", "context",
                "stateConfiguration", "revealSecrets"):
        if key in opts:
            req[key] = opts[key]
    if "stateName" not in opts:
        req["roleArn"] = TEST_STATE_ROLE
    return req


def parsed_payloads(view):
    """view with the inspection payloads that are JSON text parsed (a copy
    of its inspectionData; view is changed)."""
    insp = view.get("inspectionData")
    if isinstance(insp, dict):
        insp = dict(insp)
        for k in INSPECTION_PAYLOADS:
            if isinstance(insp.get(k), str):
                try:
                    insp[k] = json.loads(insp[k])
                except ValueError:
                    pass
        view["inspectionData"] = insp
    return view


def test_state_view(resp):
    """A TestState response with its JSON texts parsed: output, and the
    payloads of inspectionData.

    >>> test_state_view({"status": "SUCCEEDED", "output": '{"a": 1}',
    ...                  "inspectionData": {"input": '[1]', "maxConcurrency": 0}})
    {'status': 'SUCCEEDED', 'output': {'a': 1}, 'inspectionData': {'input': [1], 'maxConcurrency': 0}}
    """
    view = dict(resp)
    if isinstance(view.get("output"), str):
        try:
            view["output"] = json.loads(view["output"])
        except ValueError:
            pass
    return parsed_payloads(view)


def test_state_expected(exp):
    """The recorded answer in test_state_view's shape: the recording parsed
    the payloads that are objects and kept the others (arrays, strings) as
    JSON text, which is parsed here.

    >>> test_state_expected({"status": "SUCCEEDED", "inspectionData":
    ...     {"afterItemsPath": '["a", "b"]', "input": {"x": 1}, "result": '"s"'}})
    {'status': 'SUCCEEDED', 'inspectionData': {'afterItemsPath': ['a', 'b'], 'input': {'x': 1}, 'result': 's'}}
    """
    view = dict(exp)
    return parsed_payloads(view)


def post_test_state(endpoint, req, timeout):
    """Posts req to the TestState action of the server at endpoint: (HTTP
    status, response body parsed)."""
    import urllib.error
    import urllib.request
    body = json.dumps(req).encode("utf-8")
    r = urllib.request.Request(endpoint.rstrip("/") + "/", data=body, method="POST", headers={
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AWSStepFunctions.TestState"})
    try:
        with urllib.request.urlopen(r, timeout=timeout) as f:
            return f.status, json.loads(f.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        text = e.read().decode("utf-8", "replace")
        try:
            return e.code, json.loads(text)
        except ValueError:
            return e.code, {"__type": "?", "message": text}


def run_test_state_case(case, opts):
    d = case.data
    tmp = tempfile.mkdtemp(prefix="aslc-ts-", dir=opts.workdir)
    try:
        req = test_state_request(d)
        write_inputs(case, tmp)
        o = Outcome()
        if opts.endpoint:
            status, resp = post_test_state(opts.endpoint, req, opts.timeout)
            refused = status != 200
        else:
            argv = [opts.driver, "--bindings", os.path.join(tmp, "bindings.json"),
                    "--account", CORPUS_ACCOUNT, "--region", CORPUS_REGION]
            try:
                p = subprocess.run(argv, cwd=tmp, input=json.dumps(req).encode("utf-8"),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   timeout=opts.timeout)
            except subprocess.TimeoutExpired:
                case.verdict, case.report = "fail", ["no answer within %g s" % opts.timeout]
                return case
            o.stderr = p.stderr.decode("utf-8", "replace")
            try:
                resp = json.loads(p.stdout.decode("utf-8"))
            except ValueError:
                case.verdict = "fail"
                case.report = ["the driver exited %d with %s" % (p.returncode, short(p.stdout))]
                case.report.extend("    | " + l for l in o.stderr.splitlines()[-8:])
                return case
            refused = p.returncode != 0
        if refused:
            case.verdict = "fail"
            case.report = ["refused: %s: %s" % (resp.get("__type"), resp.get("message"))]
            return case
        exp = test_state_expected(d["expected"])
        masked = [parse_path(x) for x in d.get("masked_paths") or []]
        c = Comparison(masked, d.get("mask_tokens") or [])
        act = test_state_view(resp)
        if c.compare(exp, act):
            case.verdict = "pass"
        else:
            case.verdict = "fail"
            case.report = ["differs from AWS"] + ["    " + l for l in c.diffs[:12]]
            case.report.append("    expected: %s" % short(exp, 600))
            case.report.append("    actual:   %s" % short(act, 600))
    except Exception as e:   # a runner bug must not hide the other cases
        case.verdict, case.report = "fail", ["runner error: %r" % e]
    finally:
        if opts.keep:
            case.report.append("files kept in %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return case


def summarize_test_state(out, cases, list_failures):
    rows = collections.defaultdict(collections.Counter)
    for c in cases:
        level = (c.data.get("test_state_options") or {}).get("inspectionLevel", "INFO")
        status = c.data["expected"].get("status")
        rows["%s" % level][c.verdict] += 1
        rows["%s %s" % (level, status)][c.verdict] += 1
        rows["status %s" % status][c.verdict] += 1
    print_table(out, "TestState by inspectionLevel and status", rows)
    if list_failures:
        failed = [c for c in cases if c.verdict == "fail"]
        if failed:
            out.write("\nfailed:\n")
            for c in failed:
                out.write("  %s\n" % c.name)
    n = collections.Counter(c.verdict for c in cases)
    out.write("\nTestState: %d passed, %d failed, %d skipped of %d\n"
              % (n["pass"], n["fail"], n["skip"], len(cases)))
    return n["fail"]


def lambda_key(d):
    """What a case's Lambda functions are: cases with the same key can share
    one server's bindings."""
    return json.dumps(sorted((fn, spec.get("arn"), os.path.basename(spec.get("source", "")))
                             for fn, spec in (d.get("lambda_functions") or {}).items()))


def start_server(opts, case):
    """Starts `aslc serve` on a free port of 127.0.0.1 with the bindings of
    case's Lambda functions, in the corpus's account and region: (process,
    endpoint, folder)."""
    tmp = tempfile.mkdtemp(prefix="aslc-ts-serve-", dir=opts.workdir)
    write_inputs(case, tmp)
    pf = os.path.join(tmp, "port")
    env = dict(os.environ, AWS_ACCOUNT_ID=CORPUS_ACCOUNT, AWS_DEFAULT_REGION=CORPUS_REGION)
    p = subprocess.Popen([opts.aslc, "serve", "--host", "127.0.0.1", "--port", "0",
                          "--port-file", pf, "--bindings", os.path.join(tmp, "bindings.json")],
                         cwd=tmp, stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    import time
    for _ in range(600):
        if p.poll() is not None:
            raise RuntimeError("aslc serve exited %d" % p.returncode)
        try:
            with open(pf) as f:
                port = f.read().strip()
            if port:
                return p, "http://127.0.0.1:%s" % port, tmp
        except OSError:
            pass
        time.sleep(0.1)
    p.kill()
    raise RuntimeError("aslc serve wrote no port file")


def stop_server(p):
    p.terminate()
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()


def main_test_state(opts, out):
    cases = load_dir(os.path.join(opts.corpus, "test_state_cases"), Case, opts.filter)
    servers = []
    try:
        if opts.endpoint or opts.driver:
            out.write("aslc TestState: %d cases, through %s\n"
                      % (len(cases), opts.endpoint or opts.driver))
            out.flush()
            run_all(cases, run_test_state_case, opts, out, "test_state: ")
        else:
            # One server per set of Lambda functions: the same function
            # name stands for different handlers in different cases.
            groups = collections.OrderedDict()
            for c in cases:
                groups.setdefault(lambda_key(c.data), []).append(c)
            out.write("aslc TestState: %d cases, through aslc serve (%d servers)\n"
                      % (len(cases), len(groups)))
            out.flush()
            for group in groups.values():
                p, endpoint, tmp = start_server(opts, group[0])
                servers.append((p, tmp))
                opts.endpoint = endpoint
                run_all(group, run_test_state_case, opts, out, "test_state: ")
            opts.endpoint = None
            cases = [c for g in groups.values() for c in g]
    finally:
        for p, tmp in servers:
            stop_server(p)
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if summarize_test_state(out, cases, opts.list_failures) else 0


# ==== Main ================================================================

def load_dir(directory, cls, filt):
    items = []
    if not os.path.isdir(directory):
        return items
    for fn in os.listdir(directory):
        if not fn.endswith(".json") or fn == "index.json":
            continue
        path = os.path.join(directory, fn)
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if filt and filt not in data.get("name", ""):
            continue
        items.append(cls(path, data))
    items.sort(key=lambda c: c.name)
    return items


def run_all(items, fn, opts, out, kind):
    """Runs fn over items in parallel, printing results in name order."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=opts.jobs) as pool:
        futures = [pool.submit(fn, item, opts) for item in items]
        for fut in futures:
            print_case(out, kind, fut.result(), opts.verbose)


def parse_args(argv):
    top_srcdir = os.environ.get("top_srcdir") or os.path.dirname(os.path.dirname(HERE))
    top_builddir = os.environ.get("top_builddir") or top_srcdir
    # Built workflow binaries find the Python adapter through the
    # environment when aslc is not installed.
    os.environ.setdefault("ASLC_PYTHON_HANDLER",
                          os.path.join(top_srcdir, "runtime", "aslc-python-handler"))
    corpus = os.environ.get("ASLC_CONFORMANCE_DIR") or os.path.join(
        top_srcdir, "tests", "conformance", "localstack")
    ap = argparse.ArgumentParser(
        description="Run the AWS Step Functions conformance corpus against aslc.")
    ap.add_argument("--corpus", default=corpus, help="corpus directory (default %(default)s)")
    ap.add_argument("--aslc", default=os.environ.get("ASLC") or os.path.join(top_builddir, "aslc"),
                    help="the aslc program (default %(default)s)")
    ap.add_argument("--filter", default="", help="only cases whose name contains this")
    ap.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--path", choices=("tcc", "c", "llvm", "both", "auto"),
                    default=os.environ.get("ASLC_CONFORMANCE_PATH") or "auto",
                    help="backends to run each case through: both = tcc and c; llvm = "
                    "LLVM in memory and built; auto = tcc, c and, when aslc has it "
                    "(aslc --version), llvm.  Default: $ASLC_CONFORMANCE_PATH, else auto")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                    help="seconds per aslc/workflow process (default %(default)s)")
    ap.add_argument("--run-arg", action="append", default=[],
                    help="an extra argument for every execution (repeatable)")
    ap.add_argument("--services-env", default=None, metavar="FILE",
                    help="the env file of the AWS-compatible test servers "
                    "(tests/services/aws/servers.sh start DIR writes DIR/env): the cases "
                    "that call DynamoDB, SQS, SNS, EventBridge or S3 run against them; "
                    "without it they are skipped")
    ap.add_argument("--no-invalid", action="store_true", help="skip the invalid/ corpus")
    ap.add_argument("--keep", action="store_true", help="keep each case's temporary files")
    ap.add_argument("--workdir", default=None, help="where temporary directories go")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every case")
    ap.add_argument("--list-failures", action="store_true",
                    help="list the names of failed cases at the end")
    ap.add_argument("--test-state", action="store_true",
                    help="run the TestState corpus (test_state_cases/) instead: through "
                    "--endpoint, --driver, or else an `aslc serve` the runner starts")
    ap.add_argument("--endpoint", default=None, metavar="URL",
                    help="with --test-state: the Step Functions API to post to")
    ap.add_argument("--driver", default=None, metavar="PROG",
                    help="with --test-state: tests/teststate/driver (a request on stdin) "
                    "instead of the API")
    ap.add_argument("--self-test", action="store_true",
                    help="test the runner itself (no aslc needed)")
    opts = ap.parse_args(argv)
    opts.jobs = max(1, opts.jobs)
    # Every process runs in its case's temporary directory.
    opts.aslc = os.path.abspath(opts.aslc)
    if opts.driver:
        opts.driver = os.path.abspath(opts.driver)
    opts.express_args = None
    opts.has_llvm = None
    opts.services_file, opts.services_env = opts.services_env, None
    opts.services = services_of(opts)
    return opts


def services_of(opts):
    """opts.services(): the Services of the test servers, made once."""
    made = []

    def get():
        if not made:
            made.append(Services(opts.services_env))
        return made[0]
    return get


def main(argv=None):
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    if opts.self_test:
        return self_test()
    out = sys.stdout
    if opts.test_state:
        return main_test_state(opts, out)
    cases_dir = os.path.join(opts.corpus, "cases")
    if not os.path.isdir(cases_dir):
        sys.stderr.write("runner.py: no corpus at %s\n" % opts.corpus)
        return 77
    if not (os.path.isfile(opts.aslc) and os.access(opts.aslc, os.X_OK)):
        sys.stderr.write("runner.py: %s is not an executable aslc (build it, or pass --aslc)\n"
                         % opts.aslc)
        return 99

    if opts.services_file:
        try:
            opts.services_env = read_services_env(opts.services_file)
            opts.services()
        except (OSError, ValueError, ImportError) as e:
            sys.stderr.write("runner.py: cannot use the test servers (--services-env %s): %s\n"
                             % (opts.services_file, e))
            return 99
    cases = load_dir(cases_dir, Case, opts.filter)
    invalids = [] if opts.no_invalid else load_dir(
        os.path.join(opts.corpus, "invalid"), Invalid, opts.filter)
    out.write("aslc conformance: %d executions, %d invalid-definition checks, "
              "path %s, %d jobs\n" % (len(cases), len(invalids), " ".join(backend_paths(opts)),
                                      opts.jobs))
    out.flush()
    run_all(cases, run_case, opts, out, "")
    run_all(invalids, run_invalid, opts, out, "invalid: ")
    failed = summarize(out, cases, invalids, opts.list_failures)
    return 1 if failed else 0


# ==== Self-test ===========================================================

# A stand-in for aslc used by --self-test: `run` and built workflows print
# their input as output (a definition with a single Pass state), refuse
# definitions mentioning "Unsupported", and fail as the input asks.
FAKE_ASLC = r'''#!PYTHON
import json, os, shlex, sys
args = sys.argv[1:]

def execute(argv, backend):
    inp = json.load(open(argv[argv.index("--input-file") + 1]))
    bindings = json.load(open(argv[argv.index("--bindings") + 1]))
    if "fail" in inp:
        print(json.dumps({"Error": inp["fail"], "Cause": json.dumps({"why": 1})}))
        sys.exit(1)
    if "uuid" in inp:
        inp["uuid"] = os.urandom(4).hex()
    if "name" in inp:
        inp["name"] = argv[argv.index("--name") + 1]
    if "bindings" in inp:
        inp["bindings"] = sorted(bindings)
    if "tcc_differs" in inp and backend == "tcc":
        inp["tcc_differs"] = 2
    print(json.dumps(inp))
    sys.exit(0)

if args[0] == "check":
    text = open(args[-1]).read()
    if "Unsupported" in text:
        sys.stderr.write("aslc: error: Unsupported things are not supported yet here\n")
        sys.exit(2)
    if "Bad" in text:
        sys.stderr.write("d.json:3:4: error: bad [/States/Bad/Next]\n")
        sys.exit(1)
    sys.exit(0)
if args[0] == "__wf":
    execute(args[1:], "c")
if "Unsupported" in open(args[1]).read():
    sys.stderr.write('definition.asl.json:1:2: error: "Unsupported" is not supported yet [/X]\n')
    sys.exit(2)
if args[0] == "run":
    execute(args[2:], "tcc")
if args[0] == "build":
    wf = args[args.index("-o") + 1]
    with open(wf, "w") as f:
        f.write('#!/bin/sh\nexec %s %s __wf "$@"\n' % (
            shlex.quote(sys.executable), shlex.quote(os.path.abspath(__file__))))
    os.chmod(wf, 0o755)
    sys.exit(0)
sys.exit(2)
'''


def self_test():
    """Doctests of the matcher, then the whole runner on a small made-up
    corpus with a fake aslc."""
    import doctest
    failures, tests = doctest.testmod(sys.modules[__name__])
    print("doctests: %d run, %d failed" % (tests, failures))

    tmp = tempfile.mkdtemp(prefix="aslc-selftest-")
    try:
        failures += self_test_corpus(tmp)
        failures += self_test_test_state(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("self-test %s" % ("FAILED" if failures else "passed"))
    return 1 if failures else 0


def self_test_corpus(tmp):
    aslc = os.path.join(tmp, "aslc")
    with open(aslc, "w") as f:
        f.write(FAKE_ASLC.replace("PYTHON", sys.executable, 1))
    os.chmod(aslc, 0o755)
    corpus = os.path.join(tmp, "corpus")
    os.makedirs(os.path.join(corpus, "cases"))
    os.makedirs(os.path.join(corpus, "invalid"))
    pass_def = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}

    def case(name, inp, expected, definition=pass_def, **kw):
        d = {"name": name, "kind": "execution", "definition": definition, "input": inp,
             "expected": expected, "loose": bool(kw.get("masked_paths")),
             "masked_paths": [], "mask_tokens": [], "query_language": "JSONPath",
             "features": ["state:Pass"], "services": [], "service_class": "none",
             "lambda_functions": {}}
        d.update(kw)
        with open(os.path.join(corpus, "cases", name + ".json"), "w") as f:
            json.dump(d, f)

    fn = {"f1": {"arn": "arn:aws:lambda:us-east-1:111111111111:function:f1",
                 "source": "lambda_sources/x/lambdafunctions/id_function.py"}}
    case("numbers", {"a": 1, "b": [2.0]}, {"status": "SUCCEEDED", "output": {"b": [2], "a": 1.0}})
    case("wrong", {"a": 1}, {"status": "SUCCEEDED", "output": {"a": 2}})
    case("masked", {"uuid": "", "name": "", "t": "2024-05-06T07:08:09.123Z"},
         {"status": "SUCCEEDED", "output": {"uuid": "<uuid:1>", "name": "<ExecArnPart_0idx>",
                                            "t": "date"}},
         masked_paths=['$.output["uuid"]', '$.output["name"]', '$.output["t"]'],
         mask_tokens=["date"])
    case("failed", {"fail": "E"}, {"status": "FAILED", "error": "E", "cause": {"why": 1.0}})
    case("failed-wrong-cause", {"fail": "E"}, {"status": "FAILED", "error": "E", "cause": "x"})
    case("unsupported", {}, {"status": "SUCCEEDED", "output": {}},
         definition={"StartAt": "Unsupported", "States": {}})
    case("service", {}, {"status": "SUCCEEDED", "output": {}},
         service_class="other", services=["sqs"])
    case("disagree", {"tcc_differs": 1}, {"status": "SUCCEEDED", "output": {"tcc_differs": 1}})
    case("lambda", {"bindings": []},
         {"status": "SUCCEEDED", "output": {"bindings": [
             "arn:aws:lambda:us-east-1:111111111111:function:f1",
             "arn:aws:lambda:us-east-1:111111111111:function:f1:*", "f1"]}},
         service_class="lambda", services=["lambda"], lambda_functions=fn)

    def invalid(name, definition, accepted, location=None, ql="JSONPath"):
        d = {"name": name, "kind": "definition_validation", "definition": definition,
             "definition_scope": "state_machine", "state_machine_type": "STANDARD",
             "query_language": ql, "category": "x",
             "expected": {"accepted": accepted, "location": location}}
        with open(os.path.join(corpus, "invalid", name + ".json"), "w") as f:
            json.dump(d, f)

    invalid("inv-ok", pass_def, True)
    invalid("inv-bad", {"States": {"Bad": {}}}, False, "/States/Bad")
    invalid("inv-bad-elsewhere", {"States": {"Bad": {}}}, False, "/States/Other")
    invalid("inv-accepted-but-refused", {"States": {"Bad": {}}}, True)
    invalid("inv-jsonata", pass_def, True, ql="JSONata")
    invalid("inv-unsupported", {"Unsupported": 1}, True)

    want = {"numbers": "pass", "wrong": "fail", "masked": "pass", "failed": "pass",
            "failed-wrong-cause": "fail", "unsupported": "skip", "service": "skip",
            "disagree": "fail", "lambda": "pass", "inv-ok": "pass", "inv-bad": "pass",
            "inv-bad-elsewhere": "fail", "inv-accepted-but-refused": "fail",
            "inv-jsonata": "pass", "inv-unsupported": "skip"}
    # Both C paths, whatever ASLC_CONFORMANCE_PATH says: "disagree" needs two.
    opts = parse_args(["--corpus", corpus, "--aslc", aslc, "--timeout", "30", "--path", "both"])
    cases = load_dir(os.path.join(corpus, "cases"), Case, "")
    invalids = load_dir(os.path.join(corpus, "invalid"), Invalid, "")
    log = open(os.devnull, "w")
    run_all(cases, run_case, opts, log, "")
    run_all(invalids, run_invalid, opts, log, "invalid: ")
    bad = 0
    for c in cases + invalids:
        if c.verdict != want[c.name]:
            bad += 1
            print("self-test: %s: %s, expected %s" % (c.name, c.verdict, want[c.name]))
            for line in c.report:
                print("    " + line)
    skipped = {c.name: c.reason for c in cases + invalids if c.verdict == "skip"}
    for name, reason in (("unsupported", '"Unsupported" is not supported yet'),
                         ("service", "needs AWS service: sqs")):
        if skipped.get(name) != reason:
            bad += 1
            print("self-test: %s: skip reason %r" % (name, skipped.get(name)))
    import io
    buf = io.StringIO()
    nfail = summarize(buf, cases, invalids, True)
    last = buf.getvalue().rstrip("\n").splitlines()[-1]
    if last != "7 passed, 5 failed, 3 skipped" or nfail != 5:
        bad += 1
        print("self-test: summary line %r" % last)
    disagree = next(c for c in cases if c.name == "disagree")
    if not any("disagree" in l for l in disagree.report):
        bad += 1
        print("self-test: no disagreement reported: %r" % disagree.report)
    print("runner on a fake corpus: %d cases, %d wrong" % (len(want), bad))
    return bad


# A stand-in for tests/teststate/driver: answers with the request's input
# as output, and at DEBUG and TRACE with it as inspectionData.input; refuses
# a definition that is not a state.
FAKE_DRIVER = r'''#!PYTHON
import json, sys
req = json.load(sys.stdin)
if "Type" not in json.loads(req["definition"]):
    print(json.dumps({"__type": "InvalidDefinition", "message": "no Type"}))
    sys.exit(1)
res = {"status": "SUCCEEDED", "output": req["input"]}
if req.get("inspectionLevel", "INFO") != "INFO":
    res["inspectionData"] = {"input": req["input"], "maxConcurrency": 0}
print(json.dumps(res))
'''


def self_test_test_state(tmp):
    """--test-state --driver on a made-up corpus with a fake driver."""
    driver = os.path.join(tmp, "driver")
    with open(driver, "w") as f:
        f.write(FAKE_DRIVER.replace("PYTHON", sys.executable, 1))
    os.chmod(driver, 0o755)
    corpus = os.path.join(tmp, "ts-corpus")
    os.makedirs(os.path.join(corpus, "test_state_cases"))

    def case(name, inp, expected, level="INFO", definition=None):
        d = {"name": name, "kind": "test_state", "definition": definition or {"Type": "Pass"},
             "input": inp, "test_state_options": {"inspectionLevel": level},
             "expected": expected, "masked_paths": [], "mask_tokens": []}
        with open(os.path.join(corpus, "test_state_cases", name + ".json"), "w") as f:
            json.dump(d, f)

    case("info", {"a": 1}, {"status": "SUCCEEDED", "output": {"a": 1.0}})
    # Payloads that are not objects were recorded as JSON text.
    case("debug-array", [1, "x"], {"status": "SUCCEEDED", "output": [1, "x"], "inspectionData":
                                   {"input": '[1, "x"]', "maxConcurrency": 0}}, "DEBUG")
    case("wrong", {"a": 1}, {"status": "SUCCEEDED", "output": {"a": 2}})
    case("missing-inspection", {"a": 1}, {"status": "SUCCEEDED", "output": {"a": 1},
                                          "nextState": "N"})
    case("refused", {}, {"status": "SUCCEEDED", "output": {}}, definition={"States": {}})
    want = {"info": "pass", "debug-array": "pass", "wrong": "fail",
            "missing-inspection": "fail", "refused": "fail"}
    opts = parse_args(["--corpus", corpus, "--test-state", "--driver", driver,
                       "--timeout", "30"])
    cases = load_dir(os.path.join(corpus, "test_state_cases"), Case, "")
    run_all(cases, run_test_state_case, opts, open(os.devnull, "w"), "")
    bad = 0
    for c in cases:
        if c.verdict != want[c.name]:
            bad += 1
            print("self-test: test_state %s: %s, expected %s" % (c.name, c.verdict, want[c.name]))
            for line in c.report:
                print("    " + line)
    print("runner --test-state on a fake corpus: %d cases, %d wrong" % (len(want), bad))
    return bad


if __name__ == "__main__":
    sys.exit(main())
