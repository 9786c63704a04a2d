#!/usr/bin/env python3
"""through_serve.py - the recorded AWS executions run through `aslc serve`.

runner.py runs the corpus (tests/conformance/localstack/cases) with
`aslc run` and built binaries; this script runs the same cases through the
Step Functions API of `aslc serve`, as a user's test suite would, and
compares what the API reports with what AWS recorded, exactly as runner.py
compares (its functions: service_plan, judge_case with the same masks,
judge_history with compare_history, summarize).  For each case:

  CreateStateMachine   its type and definition, a role ARN
  StartExecution       the case's input and runner.py's execution name, or
                       StartSyncExecution for the Express sync starts
  DescribeExecution    polled until the execution is no longer RUNNING:
                       its status, output or error and cause are the result
  GetExecutionHistory  every page (of 100 events): the history compared
                       with AWS's, and held to what every history is
  DeleteStateMachine   (its executions and histories go with it)

The servers run with the corpus's account and region (--account
111111111111 --region us-east-1) and --wait=skip, as runner.py runs
`aslc run`.  Cases are grouped by the Lambda functions they call (the
same function names stand for different handlers in different cases): the
cases of a group share one server, whose --bindings file holds their
handlers, and run concurrently on it (--jobs clients).  A case that names
things of its own on the server gets a server of its own: the state
machines it starts (states:startExecution; each is created from its
template under the name the case's ARN gives it, and is the server's own
execution) and the activities its aws_setup creates; so does a case whose
tasks a worker answers (below).

Activities: for a case whose recorded history shows its activity tasks, the
script is the worker the recorded test was.  For each ActivityStarted
event it calls GetActivityTask on the state's activity with the recorded
workerName, then does what the recorded history shows the worker did:
SendTaskHeartbeat (when the task had HeartbeatSeconds) and SendTaskSuccess
with the recorded output, SendTaskFailure with the recorded error and
cause, or nothing (ActivityTimedOut: the worker never answered).  The
same for the callback tasks that runner.py skips because the recorded test
answered them (sqs:sendMessage.waitForTaskToken, sns:publish...): the
script reads the token from the message the execution sent to the test
server's queue (an SNS notification delivered to a subscribed queue
included) and calls SendTaskHeartbeat, SendTaskSuccess (the recorded
output, with the real token where the recording shows its mask) or
SendTaskFailure on the server.  These cases run on a server of their own
with the real clock (--wait=real): under --wait=skip a task's
TimeoutSeconds and HeartbeatSeconds expire at once, before any worker
could answer.

In the recorded histories, a detail that the recording masked with a plain
word (one of the case's mask_tokens, or an ARN's label such as
"activity_arn") matches any value, as a <token> does in runner.py's
compare_history.

AWS services: with --services-env (tests/services/aws/servers.sh, one
server set for the whole run, as runner.py's --services-env), the cases
that call DynamoDB, SQS, SNS, EventBridge or S3 run on a server whose
environment points at the test servers, one at a time (runner.py's lock),
with the servers emptied and set up before each (runner.py's Services).

Skipped: what runner.py skips (service_plan), but for the activity cases
and the callback tasks answered by the script; definitions the server
refuses as "not supported yet"; and Express executions started with
StartExecution (AWS reports their end only to CloudWatch Logs:
DescribeExecution and GetExecutionHistory do not know them, on AWS as on
the server).

The whole corpus takes one to two minutes on two cores
(tests/run-conformance-serve.sh runs it in `make check`).  --subset runs a
smaller part for quick checks by hand: for each feature, state type, query
language, service, integration and start API, --per-group cases (all of
them when it has fewer), chosen by a hash of their names so that it is the
same subset every time, and every case that starts nested executions or
uses activities.

Needs boto3 (python3-boto3): exit 77 without it.
"""

import argparse
import collections
import hashlib
import io
import json
import os
import re
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "serve"))
import runner  # noqa: E402

try:
    import serverlib  # noqa: E402  (imports boto3)
except ImportError as e:   # pragma: no cover - checked by the shell script too
    sys.stderr.write("through_serve.py: boto3 is not installed (%s): skipped\n" % e)
    sys.exit(77)

PATH = "serve"          # the outcome's name in runner.py's reports
ROLE = "arn:aws:iam::%s:role/StepFunctions-conformance" % runner.CORPUS_ACCOUNT
ASYNC_EXPRESS = ("an Express execution started with StartExecution: AWS reports its end only "
                 "to CloudWatch Logs, not through the API")
NO_WORKER_TASK = "the worker got no activity task within %g s"
# GetExecutionHistory's page size here: long histories take several pages.
HISTORY_PAGE = 100
END_EVENTS = {"SUCCEEDED": "ExecutionSucceeded", "FAILED": "ExecutionFailed",
              "TIMED_OUT": "ExecutionTimedOut", "ABORTED": "ExecutionAborted"}
# aws_setup steps on Step Functions that the script itself takes.
ACTIVITY_STEPS = ("create_activity", "delete_activity")


# ==== Servers =================================================================

class Servers:
    """The `aslc serve` processes of a run: one per group of cases that
    share bindings and environment, started when first needed, and one per
    case for the cases that name things of their own."""

    def __init__(self, opts):
        self.opts = opts
        self.lock = threading.Lock()
        self.shared = {}       # key -> (Server, client)
        self.starting = {}     # key -> Lock
        self.all = []

    def server_env(self, services):
        env = runner.service_process_env(self.opts) if services else {
            k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.setdefault("ASLC_PYTHON_HANDLER", self.opts.python_handler)
        env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
        return env

    def start(self, case, services, wait="skip"):
        """A new server for case's bindings (and the test servers when
        services), its clock as --wait says: (server, client)."""
        srv = serverlib.Server("--account", runner.CORPUS_ACCOUNT, "--region",
                               runner.CORPUS_REGION, *self.opts.serve_arg, wait=wait)
        srv.env = self.server_env(services)
        with self.lock:
            self.all.append(srv)
        if case.data.get("lambda_functions"):
            bdir = os.path.join(srv.dir, "bindings")
            os.makedirs(bdir)
            runner.write_inputs(case, bdir)
            path = os.path.join(bdir, "bindings.json")
            with open(path, encoding="utf-8") as f:
                bindings = json.load(f)
            # Nested state machines are the server's own (created through
            # the API), never files.
            bindings.pop("StateMachines", None)
            with open(path, "w", encoding="utf-8") as f:
                json.dump(bindings, f, indent=2)
            srv.args += ["--bindings", path]
        srv.start()
        with self.lock:
            # boto3's default session is not safe for threads.
            client = srv.client(timeout=self.opts.timeout + 90)
        return srv, client

    def shared_for(self, case, services):
        """The server of case's group, started once."""
        fns = sorted((spec["arn"], os.path.basename(spec["source"]))
                     for spec in (case.data.get("lambda_functions") or {}).values())
        key = json.dumps([fns, bool(services)])
        with self.lock:
            if key in self.shared:
                return self.shared[key]
            gate = self.starting.setdefault(key, threading.Lock())
        with gate:
            with self.lock:
                if key in self.shared:
                    return self.shared[key]
            got = self.start(case, services)
            with self.lock:
                self.shared[key] = got
            return got

    def close_one(self, srv):
        try:
            srv.stop()
        finally:
            srv.close()
            with self.lock:
                if srv in self.all:
                    self.all.remove(srv)

    def close(self):
        """Stops every server; the problems of those that did not stop
        cleanly (a server must end on SIGTERM), with their logs."""
        problems = []
        for srv in list(self.all):
            try:
                rc = srv.stop()
                if rc not in (0, None):
                    problems.append("aslc serve exited with %s:\n%s" % (rc, srv.log()))
            except serverlib.ServerError as e:
                problems.append(str(e))
            srv.close()
        self.all = []
        return problems


# ==== A case through the API ===================================================

def plan(d, opts):
    """runner.service_plan for a case whose activities the script runs
    itself (their aws_setup steps included)."""
    pd = dict(d)
    pd["services"] = [s for s in d.get("services") or [] if s != "activity"]
    pd["aws_setup"] = [st for st in d.get("aws_setup") or []
                       if not (st.get("service") == "stepfunctions"
                               and st.get("operation") in ACTIVITY_STEPS)]
    if "activity" in (d.get("services") or []) and not pd["services"] and \
            d.get("service_class") == "other" and opts.services_env is None:
        # runner.py, without the test servers, skips every "other" case
        # that needs a service; the activity is the server's.
        pd["service_class"] = "none"
    servers, reason = runner.service_plan(pd, opts)
    wait = runner.callback_answered(d)
    if reason and wait and reason == runner.CALLBACK_WORKER % wait and callback_plan(d):
        # The script is the test's callback worker: the plan is the one of
        # a history that shows no answer from outside.
        servers, reason = runner.service_plan(dict(pd, history=[{}]), opts)
    return servers, reason


def activity_steps(d):
    return [st for st in d.get("aws_setup") or []
            if st.get("service") == "stepfunctions" and st.get("operation") in ACTIVITY_STEPS]


def machine_name(case_name):
    """A state machine name of the case's own (AWS's rules: at most 80
    characters, none of the forbidden ones)."""
    return "conformance-" + hashlib.sha1(case_name.encode()).hexdigest()[:16]


def state_by_name(definition, name):
    """The state called name anywhere in the definition (branches and
    Map processors included), or None."""
    found = []

    def walk(v):
        if isinstance(v, dict):
            states = v.get("States")
            if isinstance(states, dict) and isinstance(states.get(name), dict) and not found:
                found.append(states[name])
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(definition)
    return found[0] if found else None


def details(e):
    return next((v for k, v in e.items() if k.endswith("EventDetails") and isinstance(v, dict)),
                {})


def worker_plan(d):
    """What the recorded test's worker did, from the history: a list of
    ("activity", activity ARN, worker name, answer) for its activity tasks
    (answer_of's answer), then callback_plan's steps."""
    history = d.get("history") or []
    by_id = {e.get("id"): e for e in history if isinstance(e.get("id"), int)}
    steps = []
    for e in history:
        if e.get("type") != "ActivityStarted":
            continue
        sched = by_id.get(e.get("previousEventId")) or {}
        entered = by_id.get(sched.get("previousEventId")) or {}
        state = state_by_name(d["definition"], details(entered).get("name"))
        arn = (state or {}).get("Resource")
        if not isinstance(arn, str) or ":activity:" not in arn:
            raise RuntimeError("ActivityStarted event %s: no activity state before it" % e.get("id"))
        worker = details(e).get("workerName")
        end = next((x for x in history if x.get("previousEventId") == e.get("id")), {})
        steps.append(("activity", arn, worker, answer_of(end, sched)))
    return steps + callback_plan(d)


def answer_of(end, scheduled):
    """What a worker answered, from the event that closed its task (end)
    and the one that scheduled it: ("success", output text, heartbeat),
    ("failure", error, cause) or ("none",)."""
    info = details(end)
    if end.get("type") in ("ActivitySucceeded", "TaskSucceeded"):
        out = info.get("output")
        return ("success", out if isinstance(out, str) else json.dumps(out),
                "heartbeatInSeconds" in details(scheduled))
    if end.get("type") in ("ActivityFailed", "TaskFailed"):
        cause = info.get("cause")
        return ("failure", info.get("error"),
                cause if cause is None or isinstance(cause, str) else json.dumps(cause))
    return ("none",)


def token_member(state):
    """The member of a Task state's Parameters or Arguments that holds its
    task token ($$.Task.Token, or $states.context.Task.Token in JSONata)."""
    found = []

    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                if isinstance(x, str) and (
                        (k.endswith(".$") and x.strip() == "$$.Task.Token")
                        or ("{%" in x and "$states.context.Task.Token" in x)):
                    found.append(k[:-2] if k.endswith(".$") else k)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk([(state or {}).get("Parameters"), (state or {}).get("Arguments")])
    return found[0] if found else None


def find_member(v, name):
    """The first string value of a member called name in v, or None."""
    if isinstance(v, dict):
        if isinstance(v.get(name), str):
            return v[name]
        v = list(v.values())
    if isinstance(v, list):
        for x in v:
            r = find_member(x, name)
            if r is not None:
                return r
    return None


def callback_plan(d):
    """What the recorded test's callback worker did: for each task of a
    .waitForTaskToken resource of SQS or SNS answered from outside (a
    TaskSucceeded or TaskFailed right after its TaskSubmitted, as
    runner.callback_answered reads it), ("callback", member, label,
    answer): the member of the message that carries the token, the text
    the recording shows in its place (a mask such as <task_token:1>), and
    answer_of's answer."""
    history = d.get("history") or []
    by_id = {e.get("id"): e for e in history if isinstance(e.get("id"), int) and e.get("id")}
    steps = []
    for e in history:
        prev = by_id.get(e.get("previousEventId")) or {}
        if e.get("type") not in ("TaskSucceeded", "TaskFailed") or \
                prev.get("type") != "TaskSubmitted":
            continue
        info = details(prev)
        if not str(info.get("resource", "")).endswith(".waitForTaskToken") or \
                info.get("resourceType") not in ("sqs", "sns"):
            continue
        sched = prev
        while sched and sched.get("type") != "TaskScheduled":
            sched = by_id.get(sched.get("previousEventId"))
        entered = sched
        while entered and not entered.get("type", "").endswith("StateEntered"):
            entered = by_id.get(entered.get("previousEventId"))
        if not sched or not entered:
            return []
        member = token_member(state_by_name(d["definition"], details(entered).get("name")))
        params = details(sched).get("parameters")
        if isinstance(params, str):
            try:
                params = json.loads(params)
            except ValueError:
                params = None
        if not member:
            return []
        steps.append(("callback", member, find_member(params, member),
                      answer_of(e, sched)))
    return steps


def message_token(services, member, wait):
    """The task token in the next message of the test's queues (an SNS
    notification's Message read inside), the message deleted; None when
    none came within wait seconds."""
    sqs = services.clients["sqs"]
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        for url in sqs.list_queues().get("QueueUrls", []):
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1,
                                      WaitTimeSeconds=0).get("Messages", [])
            for m in got:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                try:
                    body = json.loads(m["Body"])
                    if isinstance(body, dict) and isinstance(body.get("Message"), str) and \
                            body.get("Type") == "Notification":
                        body = json.loads(body["Message"])
                except ValueError:
                    continue
                token = find_member(body, member)
                if token:
                    return token
        time.sleep(0.05)
    return None


def run_worker(client, steps, done, problems, wait, services=None):
    """The worker: takes each activity task (GetActivityTask) or callback
    token (from the test's queues, services: runner.Services) and answers
    as recorded."""
    try:
        for kind, what, who, answer in steps:
            deadline = time.monotonic() + wait
            if kind == "callback":
                token = message_token(services, what, wait)
                if not token:
                    problems.append(NO_WORKER_TASK % wait)
                    return
            else:
                task = {}
                while not task.get("taskToken"):
                    if done.is_set() or time.monotonic() > deadline:
                        problems.append(NO_WORKER_TASK % wait)
                        return
                    args = {"activityArn": what}
                    if who:
                        args["workerName"] = who
                    task = client.get_activity_task(**args)
                token = task["taskToken"]
            if answer[0] == "success":
                if answer[2]:
                    client.send_task_heartbeat(taskToken=token)
                out = answer[1]
                if kind == "callback" and who:
                    # The worker sent what it read: the token stood where
                    # the recording shows its mask.
                    out = out.replace(who, token)
                client.send_task_success(taskToken=token, output=out)
            elif answer[0] == "failure":
                args = {"taskToken": token}
                if answer[1] is not None:
                    args["error"] = answer[1]
                if answer[2] is not None:
                    args["cause"] = answer[2]
                client.send_task_failure(**args)
    except Exception as e:   # reported as the case's problem
        problems.append("the worker: %r" % e)


def refusal_reason(message):
    """The "... not supported yet" diagnostic of an InvalidDefinition
    message, as runner.not_supported_reason gives it for aslc's stderr."""
    for part in (message or "").split(", "):
        if runner.NOT_SUPPORTED in part:
            part = part[:part.index(runner.NOT_SUPPORTED) + len(runner.NOT_SUPPORTED)]
            return part.split(": ", 1)[-1].lstrip("'")
    return None


def wait_end(client, arn, timeout):
    """DescribeExecution until the execution is no longer RUNNING (None
    after timeout): polled often at first, then every 0.1 s."""
    deadline = time.monotonic() + timeout
    pause = 0.005
    while True:
        d = client.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING":
            return d
        if time.monotonic() > deadline:
            return None
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def result_of(o, desc, raw_output):
    """Sets o.result from DescribeExecution's (or StartSyncExecution's)
    answer, in the shape runner.interpret gives aslc's results."""
    status = desc["status"]
    result = {"status": status}
    if status == "SUCCEEDED":
        text = desc.get("output")
        if text is None:
            o.problem = "SUCCEEDED without an output"
            return
        if raw_output:
            result["output_text"] = text
        else:
            try:
                result["output"] = json.loads(text)
            except ValueError:
                o.problem = "SUCCEEDED but the output is not JSON: %s" % runner.short(text)
                return
    elif status in ("FAILED", "TIMED_OUT"):
        for key in ("error", "cause"):
            if desc.get(key) is not None:
                result[key] = desc[key]
    o.result = result


def run_on(srv, client, case, opts, o):
    """The case through the API of one server; what it gave goes into o."""
    d = case.data
    express = d.get("state_machine_type") == "EXPRESS"
    sync = d.get("start_api") == "StartSyncExecution"
    created = []
    activities = []
    try:
        machines, _ = runner.nested_machines(d, case.servers)
        for arn, template in sorted((machines or {}).items()):
            with open(template, encoding="utf-8") as f:
                text = f.read()
            r = client.create_state_machine(name=arn.rsplit(":", 1)[1], definition=text,
                                            roleArn=ROLE, type="STANDARD")
            created.append(r["stateMachineArn"])
        for st in activity_steps(d):
            if st["operation"] == "create_activity":
                activities.append(client.create_activity(**st["args"])["activityArn"])
            else:
                client.delete_activity(**st["args"])
        try:
            r = client.create_state_machine(
                name=machine_name(case.name), roleArn=ROLE,
                definition=json.dumps(d["definition"], ensure_ascii=False),
                type="EXPRESS" if express else "STANDARD")
        except client.exceptions.InvalidDefinition as e:
            msg = e.response.get("Error", {}).get("Message", "")
            o.skip = refusal_reason(msg)
            if not o.skip:
                o.problem = "CreateStateMachine refused the definition: %s" % runner.short(msg, 600)
            return
        sm = r["stateMachineArn"]
        created.append(sm)
        start = dict(stateMachineArn=sm, name=runner.execution_name(case.name),
                     input=json.dumps(d["input"], ensure_ascii=False))
        raw_output = "output_text" in d["expected"]
        if sync:
            result_of(o, client.start_sync_execution(**start), raw_output)
            return
        arn = client.start_execution(**start)["executionArn"]
        steps = worker_plan(d)
        done, worker_problems = threading.Event(), []
        worker = None
        if steps:
            worker = threading.Thread(target=run_worker, daemon=True,
                                      args=(client, steps, done, worker_problems, opts.timeout,
                                            opts.services() if case.servers else None))
            worker.start()
        desc = wait_end(client, arn, opts.timeout)
        done.set()
        if desc is None:
            client.stop_execution(executionArn=arn, error="through_serve.Timeout")
            o.problem = "still RUNNING after %g s (stopped)" % opts.timeout
            return
        result_of(o, desc, raw_output)
        # Every history, recorded on AWS or not, read in pages and held to
        # what any AWS history is: ids 1..N, each previousEventId an
        # earlier event, ExecutionStarted first and the event of the
        # execution's end last.  Timestamps that go back are counted apart
        # (the runtime numbers the events of concurrent Parallel branches
        # and Map iterations branch by branch when they join, where AWS
        # numbers them as they happen).
        # Read as the server sends it: the SDK of this machine (botocore
        # 1.29) would drop the members its model predates
        # (evaluationFailedEventDetails, ...).
        events = serverlib.raw_full_history(srv, arn, page=HISTORY_PAGE)
        problems = serverlib.history_problems(events, END_EVENTS.get(desc["status"]),
                                              times=False)
        if problems:
            o.problem = "GetExecutionHistory: " + "; ".join(problems)
        case.time_problem = serverlib.time_problem(events)
        if d.get("history"):
            o.history = {"events": events}
        if worker:
            # The worker ends with the execution (or with its server's
            # long poll, on the server of this case alone).
            worker.join(65)
        if worker_problems:
            o.problem = "; ".join(worker_problems)
    except Exception as e:
        o.problem = "%s: %s" % (type(e).__name__, e)
    finally:
        o.commands.append(["(aslc serve)", case.name])
        for arn in reversed(created):
            try:
                client.delete_state_machine(stateMachineArn=arn)
            except Exception:
                pass
        for arn in activities:
            try:
                client.delete_activity(activityArn=arn)
            except Exception:
                pass


# How LocalStack's recordings label the ARNs of what a test created
# (snf_role_arn, activity_arn): never an ARN itself, which starts "arn:".
ARN_LABEL = re.compile(r"[a-z][a-z0-9_]*_arn")


def masked_words_history(d):
    """The recorded history where a detail that compare_history compares
    holds a mask that is a plain word: one of the case's mask_tokens, or
    an ARN's label (ARN_LABEL: the recordings do not list those in
    mask_tokens).  Written as <word>, which compare_history takes as a
    mask.

    >>> masked_words_history({"mask_tokens": [], "history": [{"type": "ActivityScheduled",
    ...     "activityScheduledEventDetails": {"resource": "activity_arn", "name": "x_arn2"}}]})
    [{'type': 'ActivityScheduled', 'activityScheduledEventDetails': {'resource': '<activity_arn>', 'name': 'x_arn2'}}]
    """
    words = set(d.get("mask_tokens") or []) - {"date"}

    def masked(key, v):
        return (key in runner.HISTORY_DETAIL_KEYS and isinstance(v, str)
                and (v in words or ARN_LABEL.fullmatch(v)))
    out = []
    for e in d.get("history") or []:
        e = dict(e)
        for k, v in list(e.items()):
            if k.endswith("EventDetails") and isinstance(v, dict):
                e[k] = {kk: "<%s>" % vv if masked(kk, vv) else vv for kk, vv in v.items()}
        out.append(e)
    return out


def run_case(case, opts):
    d = case.data
    servers, reason = plan(d, opts)
    if not reason and d.get("state_machine_type") == "EXPRESS" and \
            d.get("start_api") != "StartSyncExecution":
        reason = ASYNC_EXPRESS
    if reason:
        case.verdict, case.reason = "skip", reason
        return case
    case.servers = servers
    o = runner.Outcome()
    case.outcomes[PATH] = o
    machines, _ = runner.nested_machines(d, servers)
    own = bool(machines) or bool(activity_steps(d)) or bool(callback_plan(d))
    try:
        if own:
            # A worker outside the execution needs the real clock: under
            # --wait=skip a task's TimeoutSeconds expires at once, before
            # any worker could take the task.
            wait = "real" if worker_plan(d) else "skip"
            srv, client = opts.pool.start(case, bool(servers), wait)
        else:
            srv, client = opts.pool.shared_for(case, bool(servers))
        try:
            if servers:
                with runner.SERVICES_LOCK:
                    services = opts.services()
                    services.clear()
                    services.setup(d)
                    run_on(srv, client, case, opts, o)
                    services.clear()
            else:
                run_on(srv, client, case, opts, o)
        finally:
            if own:
                opts.pool.close_one(srv)
        if o.problem and not srv.alive():
            o.problem += "\n(the server died:)\n" + srv.log()
        runner.judge_case(case, [PATH], bool(servers))
        try:
            saved = case.data
            case.data = dict(d, history=masked_words_history(d))
            try:
                runner.judge_history(case, [PATH])
            finally:
                case.data = saved
        except Exception as e:
            case.history, case.history_report = "differs", ["through_serve error: %r" % e]
    except Exception as e:
        case.verdict, case.report = "fail", ["through_serve error: %r" % e]
    return case


# ==== The subset ===============================================================

def groups_of(d):
    """The labels a case counts under in the subset: its features, state
    types, query language, services and start API."""
    labels = set(d.get("features") or [])
    labels.add("query_language:%s" % d.get("query_language"))
    labels.add("start_api:%s:%s" % (d.get("state_machine_type"), d.get("start_api")))
    labels.update("service:%s" % s for s in d.get("services") or [])
    labels.update("integration:%s" % s for s in d.get("integrations") or [])
    return labels


def subset(cases, per_group):
    """A deterministic subset: every group of groups_of keeps at least
    min(per_group, its size) cases, those first in the order of a hash of
    their names; nested executions and activities are all kept."""
    rank = lambda c: hashlib.sha1(c.name.encode()).hexdigest()
    ordered = sorted(cases, key=rank)
    chosen = set()
    for c in ordered:
        d = c.data
        if "activity" in (d.get("services") or []) or any(
                r.startswith(runner.START_RESOURCES) for r in runner.resources_of(d["definition"])):
            chosen.add(c.name)
    count = collections.Counter()
    for c in ordered:
        if c.name in chosen:
            for g in groups_of(c.data):
                count[g] += 1
    for c in ordered:
        if c.name in chosen:
            continue
        if any(count[g] < per_group for g in groups_of(c.data)):
            chosen.add(c.name)
            for g in groups_of(c.data):
                count[g] += 1
    return [c for c in cases if c.name in chosen]


# ==== Main =====================================================================

def parse_args(argv):
    top_srcdir = os.environ.get("top_srcdir") or os.path.dirname(os.path.dirname(HERE))
    top_builddir = os.environ.get("top_builddir") or top_srcdir
    corpus = os.environ.get("ASLC_CONFORMANCE_DIR") or os.path.join(
        top_srcdir, "tests", "conformance", "localstack")
    ap = argparse.ArgumentParser(
        description="Run the AWS Step Functions conformance corpus through aslc serve's API.")
    ap.add_argument("--corpus", default=corpus, help="corpus directory (default %(default)s)")
    ap.add_argument("--aslc", default=os.environ.get("ASLC") or os.path.join(top_builddir, "aslc"),
                    help="the aslc program (default %(default)s)")
    ap.add_argument("--subset", action="store_true",
                    help="a representative part of the corpus, not all of it")
    ap.add_argument("--per-group", type=int, default=3,
                    help="with --subset: cases kept of each feature, state type, service... "
                    "(default %(default)s)")
    ap.add_argument("--filter", default="", help="only cases whose name contains this")
    ap.add_argument("--jobs", "-j", type=int, default=max(2, os.cpu_count() or 1),
                    help="clients running cases at once (default %(default)s)")
    ap.add_argument("--timeout", type=float, default=120.0,
                    help="seconds an execution may run (default %(default)s)")
    ap.add_argument("--serve-arg", action="append", default=[],
                    help="an extra option of every aslc serve (repeatable), e.g. --backend=llvm")
    ap.add_argument("--services-env", default=None, metavar="FILE",
                    help="the env file of the AWS-compatible test servers "
                    "(tests/services/aws/servers.sh start DIR writes DIR/env)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every case")
    ap.add_argument("--list-failures", action="store_true",
                    help="list the failed cases and differing histories at the end")
    opts = ap.parse_args(argv)
    opts.jobs = max(1, opts.jobs)
    opts.aslc = os.path.abspath(opts.aslc)
    opts.python_handler = os.environ.get("ASLC_PYTHON_HANDLER") or os.path.join(
        top_srcdir, "runtime", "aslc-python-handler")
    opts.services_file, opts.services_env = opts.services_env, None
    opts.services = runner.services_of(opts)
    return opts


def main(argv=None):
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    out = sys.stdout
    cases_dir = os.path.join(opts.corpus, "cases")
    if not os.path.isdir(cases_dir):
        sys.stderr.write("through_serve.py: no corpus at %s\n" % opts.corpus)
        return 1
    if not (os.path.isfile(opts.aslc) and os.access(opts.aslc, os.X_OK)):
        sys.stderr.write("through_serve.py: %s is not an executable aslc\n" % opts.aslc)
        return 99
    os.environ["ASLC"] = opts.aslc
    serverlib.quiet_aws_env()
    if opts.services_file:
        try:
            opts.services_env = runner.read_services_env(opts.services_file)
            opts.services()
        except (OSError, ValueError, ImportError) as e:
            sys.stderr.write("through_serve.py: cannot use the test servers (--services-env "
                             "%s): %s\n" % (opts.services_file, e))
            return 99
    everything = runner.load_dir(cases_dir, runner.Case, opts.filter)
    cases = subset(everything, opts.per_group) if opts.subset else everything
    out.write("aslc serve conformance: %d of %d executions%s, %d clients\n"
              % (len(cases), len(everything),
                 "" if len(cases) == len(everything) else
                 " (--subset)", opts.jobs))
    out.flush()
    began = time.monotonic()
    opts.pool = Servers(opts)
    try:
        runner.run_all(cases, run_case, opts, out, "")
    finally:
        problems = opts.pool.close()
    for p in problems:
        out.write("server problem: %s\n" % p)
    # runner.py's summary, its last line (the counts) last.
    buf = io.StringIO()
    failed = runner.summarize(buf, cases, [], opts.list_failures)
    head, last = buf.getvalue().rstrip("\n").rsplit("\n", 1)
    out.write(head.rstrip("\n") + "\n")
    back = [c for c in cases if getattr(c, "time_problem", None)]
    out.write("\nhistories read through the API: %d, with timestamps going back: %d%s\n"
              % (sum(1 for c in cases if PATH in c.outcomes and c.outcomes[PATH].result
                     and c.data.get("start_api") != "StartSyncExecution"), len(back),
                 " (events of concurrent branches numbered branch by branch), e.g. %s: %s"
                 % (back[0].name, back[0].time_problem) if back else ""))
    out.write("through aslc serve: %d cases in %.0f s\n" % (len(cases), time.monotonic() - began))
    out.write(last + "\n")
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
