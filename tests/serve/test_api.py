"""test_api.py - the Step Functions API of `aslc serve` as boto3 sees it.

Each class starts its own server (tests/serve/serverlib.py) on 127.0.0.1
and stops it after, whatever happens.  Every action the server answers is
called on its success path and its error paths, and the answers are held
to what AWS returns: the error codes, their messages word for word where
AWS's wording is known (recorded AWS responses), the HTTP status, and the
members of each response.  What boto3 cannot send (actions botocore 1.29
lacks, requests its parameter checks would stop, bodies that are not JSON)
goes as raw HTTP, signed with SigV4 by botocore where a signature matters.

Run: python3 tests/serve/test_api.py [-v] [Class.test_name], from the root
of a built tree (or with top_builddir set, as make check does).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib  # noqa: E402
from serverlib import (ACCOUNT, REGION, ROLE, Server, full_history, history_problems,  # noqa: E402
                       raw_full_history, wait_done)

from botocore.exceptions import ClientError  # noqa: E402

SRCDIR = serverlib.top_dirs()[0]
PREFIX = "arn:aws:states:%s:%s:" % (REGION, ACCOUNT)

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"Arg1": "argument1"},
                                         "End": True}}}
ECHO = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}
# Three states, a Map of three iterations: a history of some length.
SMALL = {
    "StartAt": "Init",
    "States": {
        "Init": {"Type": "Pass", "Result": [1, 2, 3], "ResultPath": "$.items", "Next": "Each"},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.doubled",
                 "ItemProcessor": {"StartAt": "Double", "States": {
                     "Double": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($, $)"},
                                "End": True}}},
                 "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}
FAIL = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Oops", "Cause": "on purpose"}}}
# A callback: the function (tests/callback/handler.sh) writes the task
# token to $CALLBACK_DIR/token.<i>, and the execution waits for it.
# Counts $.n up to $.max, then succeeds: 1 + 4 max + 3 history events.
COUNTING = {
    "StartAt": "Inc",
    "States": {
        "Inc": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)", "max.$": "$.max"},
                "Next": "Loop"},
        "Loop": {"Type": "Choice", "Default": "Done",
                 "Choices": [{"Variable": "$.n", "NumericLessThanPath": "$.max", "Next": "Inc"}]},
        "Done": {"Type": "Succeed"},
    },
}
HISTORY_FULL = "The execution reached the maximum number of history events (25000)."
CALLBACK = {
    "StartAt": "Approve",
    "States": {
        "Approve": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "Approver",
                           "Payload": {"token.$": "$$.Task.Token", "do": "record", "i.$": "$.i"}},
            "ResultPath": "$.approval",
            "End": True,
        }
    },
}



def wait_for(cond, timeout=120, poll=0.05):
    """Waits until cond() holds (a guard against a hang, not a measure)."""
    end = time.time() + timeout
    while not cond():
        if time.time() > end:
            raise AssertionError("still not the case after %d s" % timeout)
        time.sleep(poll)


def defn(d):
    return json.dumps(d)


class ServerCase(unittest.TestCase):
    """A TestCase with a server for the whole class, stopped after it."""

    server_args = ()
    server_kw = {}

    @classmethod
    def setUpClass(cls):
        serverlib.quiet_aws_env()
        cls.tmp = tempfile.mkdtemp(prefix="aslc-serve-api.")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.prepare()
        cls.srv = Server(*cls.server_args, **cls.server_kw)
        cls.addClassCleanup(cls.srv.close)
        cls.srv.start()
        cls.sfn = cls.srv.client()

    @classmethod
    def prepare(cls):
        pass

    def tearDown(self):
        self.assertTrue(self.srv.alive(), "the server died:\n" + self.srv.log())

    # ---- helpers ---------------------------------------------------------

    def err(self, fn, code, message=None, status=400, **kw):
        """fn(**kw) fails with code (and message, when given): the error."""
        with self.assertRaises(ClientError) as cm:
            fn(**kw)
        e = cm.exception.response
        self.assertEqual(e["Error"]["Code"], code, e)
        if message is not None:
            self.assertEqual(e["Error"]["Message"], message)
        self.assertEqual(e["ResponseMetadata"]["HTTPStatusCode"], status)
        return e

    def raw_err(self, action, body, code, message=None, status=400, **kw):
        st, hdrs, res = self.srv.raw(action, body, **kw)
        self.assertEqual(st, status, res)
        self.assertIsInstance(res, dict, res)
        self.assertEqual(res.get("__type", "").split("#")[-1], code, res)
        if message is not None:
            self.assertEqual(res.get("message"), message)
        self.assertEqual(hdrs.get("content-type"), serverlib.CONTENT_TYPE)
        self.assertTrue(hdrs.get("x-amzn-requestid"))
        return res

    def machine(self, name, d=PASS, **kw):
        kw.setdefault("roleArn", ROLE)
        return self.sfn.create_state_machine(name=name, definition=defn(d), **kw)[
            "stateMachineArn"]

    def run_to_end(self, sm, **kw):
        arn = self.sfn.start_execution(stateMachineArn=sm, **kw)["executionArn"]
        return wait_done(self.sfn, arn)


class StateMachines(ServerCase):
    """Create, Describe, List, Update, Delete; ValidateStateMachineDefinition."""

    def test_create_describe(self):
        r = self.sfn.create_state_machine(name="sm-create", definition=defn(PASS), roleArn=ROLE)
        arn = PREFIX + "stateMachine:sm-create"
        self.assertEqual(r["stateMachineArn"], arn)
        self.assertIn("creationDate", r)
        d = self.sfn.describe_state_machine(stateMachineArn=arn)
        self.assertEqual(d["name"], "sm-create")
        self.assertEqual(d["status"], "ACTIVE")
        self.assertEqual(json.loads(d["definition"]), PASS)
        self.assertEqual(d["roleArn"], ROLE)
        self.assertEqual(d["type"], "STANDARD")
        self.assertEqual(d["creationDate"], r["creationDate"])
        self.assertEqual(d["loggingConfiguration"], {"level": "OFF", "includeExecutionData": False})
        self.assertEqual(d["tracingConfiguration"], {"enabled": False})
        # AWS gives a revisionId once the machine has been updated, and no
        # updateDate (raw: botocore 1.29 does not know revisionId).
        raw = self.srv.call("DescribeStateMachine", {"stateMachineArn": arn})
        self.assertEqual(set(raw), {"stateMachineArn", "name", "status", "definition", "roleArn",
                                    "type", "creationDate", "loggingConfiguration",
                                    "tracingConfiguration"})

    def test_create_the_same_again(self):
        """The same name, definition and role: the same machine, as on AWS."""
        a = self.sfn.create_state_machine(name="sm-twice", definition=defn(PASS), roleArn=ROLE)
        b = self.sfn.create_state_machine(name="sm-twice", definition=defn(PASS), roleArn=ROLE)
        self.assertEqual(a["stateMachineArn"], b["stateMachineArn"])
        self.assertEqual(a["creationDate"], b["creationDate"])
        arn = a["stateMachineArn"]
        self.err(self.sfn.create_state_machine, "StateMachineAlreadyExists",
                 "State Machine Already Exists: '%s'" % arn,
                 name="sm-twice", definition=defn(ECHO), roleArn=ROLE)

    def test_create_errors(self):
        self.err(self.sfn.create_state_machine, "InvalidName", "Invalid Name: 'a b'",
                 name="a b", definition=defn(PASS), roleArn=ROLE)
        self.err(self.sfn.create_state_machine, "InvalidName", "Invalid Name: 'x$'",
                 name="x$", definition=defn(PASS), roleArn=ROLE)
        self.err(self.sfn.create_state_machine, "ValidationException",
                 "1 validation error detected: Value '%s' at 'name' failed to satisfy "
                 "constraint: Member must have length less than or equal to 80" % ("n" * 81),
                 name="n" * 81, definition=defn(PASS), roleArn=ROLE)
        self.err(self.sfn.create_state_machine, "InvalidArn",
                 "Invalid Arn: 'Invalid ARN prefix: not-a-role'",
                 name="sm-bad-role", definition=defn(PASS), roleArn="not-a-role")
        self.err(self.sfn.create_state_machine, "ValidationException",
                 "1 validation error detected: Value 'SLOW' at 'type' failed to satisfy "
                 "constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]",
                 name="sm-bad-type", definition=defn(PASS), roleArn=ROLE, type="SLOW")

    def test_invalid_definition(self):
        # Recorded on AWS, word for word.  (AWS stops at the schema's error;
        # aslc's validator goes on and adds what follows from it, hence
        # the prefix.)
        e = self.err(self.sfn.create_state_machine, "InvalidDefinition",
                     name="sm-invalid", definition=json.dumps({"StartAt": "P"}), roleArn=ROLE)
        self.assertTrue(e["Error"]["Message"].startswith(
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields "
            "are required: [States] at /"), e)
        self.err(self.sfn.create_state_machine, "InvalidDefinition",
                 "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' "
                 "target: Nowhere at /States/C/Default'",
                 name="sm-invalid",
                 definition=defn({"StartAt": "C", "States": {
                     "C": {"Type": "Choice", "Default": "Nowhere", "Choices": [
                         {"Variable": "$.a", "BooleanEquals": True, "Next": "E"}]},
                     "E": {"Type": "Succeed"}}}), roleArn=ROLE)
        e = self.err(self.sfn.create_state_machine, "InvalidDefinition",
                     name="sm-invalid", definition="not json", roleArn=ROLE)
        self.assertTrue(e["Error"]["Message"].startswith("Invalid State Machine Definition: '"))
        # An Express machine cannot wait for a callback (recorded on AWS).
        wftt = {"StartAt": "Publish", "States": {"Publish": {
            "Type": "Task", "Resource": "arn:aws:states:::sns:publish.waitForTaskToken",
            "Parameters": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t",
                           "Message.$": "$$.Task.Token"}, "End": True}}}
        # AWS's has two spaces before "at" (its message ends in one): compared
        # with runs of spaces as one.
        e = self.err(self.sfn.create_state_machine, "InvalidDefinition",
                     name="sm-invalid", definition=defn(wftt), roleArn=ROLE, type="EXPRESS")
        self.assertEqual(" ".join(e["Error"]["Message"].split()),
                         "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express "
                         "state machine does not support '.waitForTaskToken' service "
                         "integration at /States/Publish/Resource'")
        self.err(self.sfn.describe_state_machine, "StateMachineDoesNotExist",
                 stateMachineArn=PREFIX + "stateMachine:sm-invalid")

    def test_names(self):
        """Names are counted in characters, not bytes; any character but
        white space, brackets, wildcards, specials and controls."""
        name = "caf\u00e9-" + "\u00e9" * 70          # 75 characters, 146 bytes
        arn = self.machine(name)
        self.assertEqual(arn, PREFIX + "stateMachine:" + name)
        self.assertEqual(self.sfn.describe_state_machine(stateMachineArn=arn)["name"], name)
        self.assertEqual(self.sfn.create_activity(name=name)["activityArn"],
                         PREFIX + "activity:" + name)
        for bad in ("tab\there", "a{b}", "x?", "semi;colon", "back\\slash", "c1\u0085x",
                    "del\x7f"):
            self.err(self.sfn.create_state_machine, "InvalidName", "Invalid Name: '%s'" % bad,
                     name=bad, definition=defn(PASS), roleArn=ROLE)

    def test_region_of_the_request(self):
        """ARNs name the region the request was signed for."""
        c = self.srv.client()
        other = __import__("boto3").client(
            "stepfunctions", endpoint_url=self.srv.url, region_name="eu-west-3",
            aws_access_key_id="AKIDTESTING", aws_secret_access_key="testing-secret",
            config=c.meta.config)
        arn = other.create_state_machine(name="sm-paris", definition=defn(PASS),
                                         roleArn=ROLE)["stateMachineArn"]
        self.assertEqual(arn, "arn:aws:states:eu-west-3:%s:stateMachine:sm-paris" % ACCOUNT)
        e = other.start_execution(stateMachineArn=arn, name="x")["executionArn"]
        self.assertEqual(e, "arn:aws:states:eu-west-3:%s:execution:sm-paris:x" % ACCOUNT)
        self.assertEqual(wait_done(other, e)["status"], "SUCCEEDED")
        # Each region lists its own.
        def names(client):
            return [m["name"] for m in client.list_state_machines()["stateMachines"]]
        self.assertIn("sm-paris", names(other))
        self.assertNotIn("sm-paris", names(c))
        act = other.create_activity(name="act-paris")["activityArn"]
        self.assertIn(act, [a["activityArn"] for a in other.list_activities()["activities"]])
        self.assertNotIn(act, [a["activityArn"] for a in c.list_activities()["activities"]])
        other.delete_activity(activityArn=act)

    def test_configurations(self):
        arn = self.machine("sm-configs", tracingConfiguration={"enabled": True})
        d = self.sfn.describe_state_machine(stateMachineArn=arn)
        self.assertEqual(d["tracingConfiguration"], {"enabled": True})
        self.assertEqual(d["loggingConfiguration"], {"level": "OFF",
                                                     "includeExecutionData": False})
        self.sfn.update_state_machine(stateMachineArn=arn,
                                      tracingConfiguration={"enabled": False})
        d = self.sfn.describe_state_machine(stateMachineArn=arn)
        self.assertEqual(d["tracingConfiguration"], {"enabled": False})
        self.assertEqual(json.loads(d["definition"]), PASS)

    def test_sizes(self):
        """A definition up to 1 MiB (1,048,576 characters), no more."""
        big = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "", "End": True}}}
        room = 1048576 - len(defn(big))
        big["States"]["P"]["Result"] = "r" * room
        self.assertEqual(len(defn(big)), 1048576)
        arn = self.machine("sm-big", big)
        self.assertEqual(len(self.sfn.describe_state_machine(stateMachineArn=arn)["definition"]),
                         1048576)
        big["States"]["P"]["Result"] += "r"
        self.err(self.sfn.create_state_machine, "ValidationException", name="sm-bigger",
                 definition=defn(big), roleArn=ROLE)

    def test_describe_errors(self):
        arn = PREFIX + "stateMachine:nothing-here"
        self.err(self.sfn.describe_state_machine, "StateMachineDoesNotExist",
                 "State Machine Does Not Exist: '%s'" % arn, stateMachineArn=arn)
        self.err(self.sfn.describe_state_machine, "InvalidArn",
                 "Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'",
                 stateMachineArn="not_a_valid_arn")
        self.err(self.sfn.describe_state_machine, "InvalidArn",
                 "Invalid Arn: 'Resource type not valid in this context: activity'",
                 stateMachineArn=PREFIX + "activity:a")

    def test_list_and_paginate(self):
        names = ["sm-list-%02d" % i for i in range(7)]
        for n in names:
            self.machine(n)
        listed, token, pages = [], None, 0
        while True:
            kw = {"maxResults": 3}
            if token:
                kw["nextToken"] = token
            r = self.sfn.list_state_machines(**kw)
            self.assertLessEqual(len(r["stateMachines"]), 3)
            pages += 1
            listed += r["stateMachines"]
            token = r.get("nextToken")
            if not token:
                break
        ours = [m for m in listed if m["name"].startswith("sm-list-")]
        self.assertEqual([m["name"] for m in ours], names)   # in the order created
        self.assertGreaterEqual(pages, 3)
        for m in ours:
            self.assertEqual(set(m), {"stateMachineArn", "name", "type", "creationDate"})
            self.assertEqual(m["type"], "STANDARD")
        self.assertEqual(len({m["stateMachineArn"] for m in listed}), len(listed))
        # One page of everything.
        whole = self.sfn.list_state_machines(maxResults=1000)
        self.assertNotIn("nextToken", whole)
        self.assertEqual(whole["stateMachines"], listed)
        # Errors recorded on AWS.
        self.err(self.sfn.list_state_machines, "ValidationException",
                 "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy "
                 "constraint: Member must have value less than or equal to 1000",
                 maxResults=1001)
        self.err(self.sfn.list_state_machines, "InvalidToken", nextToken="not-a-token")
        long_token = "t" * 1025
        self.err(self.sfn.list_state_machines, "ValidationException",
                 "1 validation error detected: Value '%s' at 'nextToken' failed to satisfy "
                 "constraint: Member must have length less than or equal to 1024" % long_token,
                 nextToken=long_token)

    def test_update(self):
        arn = self.machine("sm-update")
        before = self.srv.call("DescribeStateMachine", {"stateMachineArn": arn})
        new = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "after",
                                                "End": True}}}
        # Raw: botocore 1.29 does not know revisionId.
        u = self.srv.call("UpdateStateMachine", {"stateMachineArn": arn, "definition": defn(new)})
        self.assertEqual(set(u), {"updateDate", "revisionId"})
        self.assertTrue(u["revisionId"])
        d = self.srv.call("DescribeStateMachine", {"stateMachineArn": arn})
        self.assertEqual(json.loads(d["definition"]), new)
        self.assertEqual(d["revisionId"], u["revisionId"])
        self.assertNotIn("updateDate", d)
        self.assertEqual(d["creationDate"], before["creationDate"])
        self.assertEqual(self.run_to_end(arn)["output"], '"after"')
        role2 = ROLE + "-2"
        u2 = self.srv.call("UpdateStateMachine", {"stateMachineArn": arn, "roleArn": role2})
        self.assertNotEqual(u2["revisionId"], u["revisionId"])
        self.assertEqual(self.sfn.describe_state_machine(stateMachineArn=arn)["roleArn"], role2)
        # Errors: nothing to update (raw: botocore sends it as is), an
        # invalid definition, unknown and malformed ARNs.
        self.raw_err("UpdateStateMachine", {"stateMachineArn": arn}, "MissingRequiredParameter",
                     "Either the definition, the role ARN, the LoggingConfiguration, or the "
                     "TracingConfiguration must be specified")
        self.err(self.sfn.update_state_machine, "InvalidDefinition",
                 stateMachineArn=arn, definition=json.dumps({"StartAt": "P"}))
        self.assertEqual(json.loads(self.sfn.describe_state_machine(
            stateMachineArn=arn)["definition"]), new)
        self.err(self.sfn.update_state_machine, "StateMachineDoesNotExist",
                 stateMachineArn=PREFIX + "stateMachine:sm-none", definition=defn(PASS))
        self.err(self.sfn.update_state_machine, "InvalidArn",
                 stateMachineArn="sm-none", definition=defn(PASS))

    def test_delete(self):
        arn = self.machine("sm-delete")
        self.run_to_end(arn)
        self.sfn.delete_state_machine(stateMachineArn=arn)
        self.err(self.sfn.describe_state_machine, "StateMachineDoesNotExist",
                 stateMachineArn=arn)
        self.err(self.sfn.start_execution, "StateMachineDoesNotExist", stateMachineArn=arn)
        # Deleting what is not there succeeds (recorded on AWS).
        self.sfn.delete_state_machine(stateMachineArn=arn)
        self.err(self.sfn.delete_state_machine, "InvalidArn",
                 "Invalid Arn: 'Invalid ARN prefix: nope'", stateMachineArn="nope")
        # The name can be used again.
        self.assertEqual(self.machine("sm-delete", ECHO), arn)

    def test_validate_definition(self):
        """ValidateStateMachineDefinition (not in botocore 1.29: raw, signed)."""
        ok = self.srv.call("ValidateStateMachineDefinition", {"definition": defn(PASS)})
        self.assertEqual(ok, {"result": "OK", "diagnostics": [], "truncated": False})
        ok = self.srv.call("ValidateStateMachineDefinition",
                           {"definition": defn(PASS), "type": "EXPRESS"})
        self.assertEqual(ok["result"], "OK")
        # Recorded on AWS.
        r = self.srv.call("ValidateStateMachineDefinition", {"definition": "{}"})
        self.assertEqual(r, {"result": "FAIL", "truncated": False, "diagnostics": [
            {"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "location": "/",
             "message": "These fields are required: [States, StartAt]"}]})
        r = self.srv.call("ValidateStateMachineDefinition",
                          {"definition": json.dumps({"States": {"P": {"Type": "Pass",
                                                                     "End": True}}})})
        self.assertEqual(r["diagnostics"], [
            {"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "location": "/",
             "message": "These fields are required: [StartAt]"}])
        r = self.srv.call("ValidateStateMachineDefinition", {"definition": "not a definition"})
        self.assertEqual(r["result"], "FAIL")
        self.assertEqual(r["diagnostics"][0]["code"], "INVALID_JSON_DESCRIPTION")
        wftt = {"StartAt": "SendMessageWithWait", "States": {"SendMessageWithWait": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/1/q",
                           "MessageBody.$": "$$.Task.Token"}, "End": True}}}
        r = self.srv.call("ValidateStateMachineDefinition",
                          {"definition": defn(wftt), "type": "EXPRESS"})
        # AWS's message ends in a space, aslc's does not: compared stripped.
        self.assertEqual(len(r["diagnostics"]), 1, r)
        self.assertEqual(r["diagnostics"][0]["message"].strip(),
                         "Express state machine does not support '.waitForTaskToken' service "
                         "integration")
        self.assertEqual({k: v for k, v in r["diagnostics"][0].items() if k != "message"},
                         {"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED",
                          "location": "/States/SendMessageWithWait/Resource"})
        self.assertEqual(self.srv.call("ValidateStateMachineDefinition",
                                       {"definition": defn(wftt)})["result"], "OK")
        # Several errors, maxResults cuts them.
        bad = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "X"},
                                          "B": {"Type": "Pass", "Next": "Y"}}}
        r = self.srv.call("ValidateStateMachineDefinition", {"definition": defn(bad)})
        self.assertGreaterEqual(len(r["diagnostics"]), 2)
        self.assertFalse(r["truncated"])
        r1 = self.srv.call("ValidateStateMachineDefinition",
                           {"definition": defn(bad), "maxResults": 1})
        self.assertEqual(len(r1["diagnostics"]), 1)
        self.assertTrue(r1["truncated"])
        self.raw_err("ValidateStateMachineDefinition", {}, "ValidationException",
                     "1 validation error detected: Value null at 'definition' failed to "
                     "satisfy constraint: Member must not be null")
        self.raw_err("ValidateStateMachineDefinition", {"definition": defn(PASS), "type": "X"},
                     "ValidationException")


class CallbackCase(ServerCase):
    """A server whose function Approver (tests/callback/handler.sh) writes
    the task tokens it is given into a folder of the test."""

    @classmethod
    def prepare(cls):
        cls.tokens = os.path.join(cls.tmp, "tokens")
        os.mkdir(cls.tokens)
        bindings = os.path.join(cls.tmp, "bindings.json")
        with open(bindings, "w") as f:
            json.dump({"arn:aws:lambda:*:*:function:Approver": {
                "program": [os.path.join(SRCDIR, "tests", "callback", "handler.sh")]}}, f)
        cls.server_args = ("--bindings", bindings)
        cls.server_kw = {"env": {"CALLBACK_DIR": cls.tokens}}

    def token(self, i):
        """The task token the callback's function wrote for execution i."""
        path = os.path.join(self.tokens, "token.%d" % i)
        deadline = time.monotonic() + 120
        while not os.path.exists(path):
            self.assertLess(time.monotonic(), deadline, "no token %d:\n%s" % (i, self.srv.log()))
            time.sleep(0.02)
        with open(path) as f:
            return f.read()

    def waiting(self, sm, i, name=None):
        """Starts the callback machine with token number i: (arn, token)."""
        kw = {"input": json.dumps({"i": i})}
        if name:
            kw["name"] = name
        arn = self.sfn.start_execution(stateMachineArn=sm, **kw)["executionArn"]
        return arn, self.token(i)


class Executions(CallbackCase):
    """StartExecution, DescribeExecution, DescribeStateMachineForExecution,
    ListExecutions, GetExecutionHistory, StopExecution."""

    def test_start_describe(self):
        sm = self.machine("ex-small", SMALL)
        r = self.sfn.start_execution(stateMachineArn=sm, name="first", input='{"x": 1}')
        arn = PREFIX + "execution:ex-small:first"
        self.assertEqual(r["executionArn"], arn)
        self.assertIn("startDate", r)
        d = wait_done(self.sfn, arn)
        self.assertEqual(d["status"], "SUCCEEDED")
        self.assertEqual(d["name"], "first")
        self.assertEqual(d["stateMachineArn"], sm)
        self.assertEqual(d["input"], '{"x": 1}')
        self.assertEqual(d["inputDetails"], {"included": True})
        self.assertEqual(json.loads(d["output"]),
                         {"x": 1, "items": [1, 2, 3], "doubled": [{"v": 2}, {"v": 4}, {"v": 6}]})
        self.assertEqual(d["outputDetails"], {"included": True})
        self.assertEqual(d["startDate"], r["startDate"])
        self.assertGreaterEqual(d["stopDate"], d["startDate"])
        # The redrive members (raw: botocore 1.29 does not know them).
        raw = self.srv.call("DescribeExecution", {"executionArn": arn})
        self.assertEqual(raw["redriveCount"], 0)
        self.assertEqual(raw["redriveStatus"], "NOT_REDRIVABLE")
        self.assertEqual(raw["redriveStatusReason"],
                         "Execution is SUCCEEDED and cannot be redriven")
        self.assertEqual(set(raw), {"executionArn", "stateMachineArn", "name", "status",
                                    "startDate", "stopDate", "input", "inputDetails", "output",
                                    "outputDetails", "redriveCount", "redriveStatus",
                                    "redriveStatusReason"})
        # A name of its own, input of any JSON type (recorded on AWS).
        d = self.run_to_end(sm, input="[]")
        self.assertEqual(d["status"], "FAILED")   # ResultPath into an array
        self.assertEqual(len(d["name"]), 36)
        self.assertEqual(self.run_to_end(self.machine("ex-echo", ECHO), input="42")["output"],
                         "42")

    def test_failed_execution(self):
        sm = self.machine("ex-fail", FAIL)
        d = self.run_to_end(sm, name="boom")
        self.assertEqual(d["status"], "FAILED")
        self.assertEqual(d["error"], "Oops")
        self.assertEqual(d["cause"], "on purpose")
        self.assertNotIn("output", d)
        self.assertEqual(self.srv.call("DescribeExecution", {"executionArn": d["executionArn"]})[
            "redriveStatus"], "REDRIVABLE")
        h = full_history(self.sfn, d["executionArn"])
        self.assertEqual(history_problems(h, "ExecutionFailed"), [])
        self.assertEqual(h[-1]["executionFailedEventDetails"],
                         {"error": "Oops", "cause": "on purpose"})

    def test_start_errors(self):
        sm = self.machine("ex-errors", ECHO)
        self.err(self.sfn.start_execution, "StateMachineDoesNotExist",
                 "State Machine Does Not Exist: '%sstateMachine:none'" % PREFIX,
                 stateMachineArn=PREFIX + "stateMachine:none")
        self.err(self.sfn.start_execution, "InvalidArn",
                 "Invalid Arn: 'Invalid ARN prefix: ex-errors'", stateMachineArn="ex-errors")
        self.err(self.sfn.start_execution, "InvalidName", "Invalid Name: 'a b'",
                 stateMachineArn=sm, name="a b")
        self.err(self.sfn.start_execution, "InvalidName", "Invalid Name: 'a/b'",
                 stateMachineArn=sm, name="a/b")
        self.err(self.sfn.start_execution, "ValidationException",
                 "1 validation error detected: Value '%s' at 'name' failed to satisfy "
                 "constraint: Member must have length less than or equal to 80" % ("e" * 81),
                 stateMachineArn=sm, name="e" * 81)
        e = self.err(self.sfn.start_execution, "InvalidExecutionInput",
                     stateMachineArn=sm, input="not json")
        self.assertTrue(e["Error"]["Message"].startswith(
            "Invalid State Machine Execution Input: '"), e)
        self.err(self.sfn.start_execution, "InvalidExecutionInput",
                 stateMachineArn=sm, input="{'a': 1}")
        self.raw_err("StartExecution", {}, "ValidationException",
                     "1 validation error detected: Value null at 'stateMachineArn' failed to "
                     "satisfy constraint: Member must not be null")
        self.raw_err("StartExecution", {"stateMachineArn": sm, "input": {"an": "object"}},
                     "SerializationException")

    def test_idempotent_start(self):
        """The same name and input while it runs: the same execution; other
        input, or once it has ended: ExecutionAlreadyExists (AWS)."""
        sm = self.machine("ex-idem", CALLBACK)
        arn, tok = self.waiting(sm, 101, name="once")
        again = self.sfn.start_execution(stateMachineArn=sm, name="once",
                                         input=json.dumps({"i": 101}))
        self.assertEqual(again["executionArn"], arn)
        first = self.sfn.describe_execution(executionArn=arn)
        self.assertEqual(first["status"], "RUNNING")
        self.assertEqual(again["startDate"], first["startDate"])
        self.err(self.sfn.start_execution, "ExecutionAlreadyExists",
                 "Execution Already Exists: '%s'" % arn,
                 stateMachineArn=sm, name="once", input=json.dumps({"i": 102}))
        self.sfn.send_task_success(taskToken=tok, output='{"ok": true}')
        self.assertEqual(wait_done(self.sfn, arn)["status"], "SUCCEEDED")
        self.err(self.sfn.start_execution, "ExecutionAlreadyExists",
                 "Execution Already Exists: '%s'" % arn,
                 stateMachineArn=sm, name="once", input=json.dumps({"i": 101}))
        runs = self.sfn.list_executions(stateMachineArn=sm)["executions"]
        self.assertEqual([e["executionArn"] for e in runs], [arn])

    def test_running(self):
        """What a RUNNING execution looks like (raw: with the redrive members)."""
        sm = self.machine("ex-running", CALLBACK)
        arn, tok = self.waiting(sm, 501, name="now")
        d = self.srv.call("DescribeExecution", {"executionArn": arn})
        self.assertEqual(set(d), {"executionArn", "stateMachineArn", "name", "status",
                                  "startDate", "input", "inputDetails", "redriveCount",
                                  "redriveStatus", "redriveStatusReason"})
        self.assertEqual((d["status"], d["redriveStatus"], d["redriveStatusReason"]),
                         ("RUNNING", "NOT_REDRIVABLE",
                          "Execution is RUNNING and cannot be redriven"))
        listed = self.srv.call("ListExecutions", {"stateMachineArn": sm})["executions"]
        self.assertEqual(set(listed[0]), {"executionArn", "stateMachineArn", "name", "status",
                                          "startDate", "redriveCount"})
        self.sfn.send_task_success(taskToken=tok, output="{}")
        self.assertEqual(wait_done(self.sfn, arn)["status"], "SUCCEEDED")

    def test_idempotent_start_at_once(self):
        """The same start from 8 clients at once: one execution, one ARN."""
        import threading
        sm = self.machine("ex-idem-race", CALLBACK)
        inp = json.dumps({"i": 601})
        arns, errors = [], []
        go = threading.Barrier(8)

        def start():
            c = self.srv.client()
            go.wait()
            try:
                arns.append(c.start_execution(stateMachineArn=sm, name="race",
                                              input=inp)["executionArn"])
            except ClientError as e:
                errors.append(e.response["Error"])
        ts = [threading.Thread(target=start) for _ in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(set(arns), {PREFIX + "execution:ex-idem-race:race"})
        self.assertEqual(len(self.sfn.list_executions(stateMachineArn=sm)["executions"]), 1)
        self.sfn.send_task_success(taskToken=self.token(601), output="{}")
        self.assertEqual(wait_done(self.sfn, arns[0])["status"], "SUCCEEDED")

    def test_input_size(self):
        """Input up to 256 KiB (262,144 characters), no more."""
        sm = self.machine("ex-input-size", ECHO)
        text = json.dumps("i" * (262144 - 2))
        d = self.run_to_end(sm, input=text)
        self.assertEqual((d["status"], len(d["input"]), d["output"]),
                         ("SUCCEEDED", 262144, text))
        self.err(self.sfn.start_execution, "ValidationException", stateMachineArn=sm,
                 input=json.dumps("i" * (262144 - 1)))

    def test_describe_errors(self):
        arn = PREFIX + "execution:ex-small:nothing"
        for fn in (self.sfn.describe_execution, self.sfn.get_execution_history,
                   self.sfn.describe_state_machine_for_execution, self.sfn.stop_execution):
            self.err(fn, "ExecutionDoesNotExist", "Execution Does Not Exist: '%s'" % arn,
                     executionArn=arn)
            self.err(fn, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: invalid_arn'",
                     executionArn="invalid_arn")
            self.err(fn, "InvalidArn",
                     "Invalid Arn: 'Resource type not valid in this context: stateMachine'",
                     executionArn=PREFIX + "stateMachine:ex-small")
        self.raw_err("DescribeExecution", {}, "ValidationException",
                     "1 validation error detected: Value null at 'executionArn' failed to "
                     "satisfy constraint: Member must not be null")

    def test_machine_for_execution(self):
        """DescribeStateMachineForExecution: the revision the execution ran."""
        sm = self.machine("ex-revision", ECHO)
        d1 = self.run_to_end(sm, name="before")
        new = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 2, "End": True}}}
        u = self.srv.call("UpdateStateMachine", {"stateMachineArn": sm, "definition": defn(new)})
        d2 = self.run_to_end(sm, name="after")
        # Raw: botocore 1.29 does not know revisionId.
        m1 = self.srv.call("DescribeStateMachineForExecution",
                           {"executionArn": d1["executionArn"]})
        m2 = self.srv.call("DescribeStateMachineForExecution",
                           {"executionArn": d2["executionArn"]})
        self.assertEqual(json.loads(m1["definition"]), ECHO)
        self.assertEqual(json.loads(m2["definition"]), new)
        for m in (m1, m2):
            self.assertEqual(m["stateMachineArn"], sm)
            self.assertEqual(m["name"], "ex-revision")
            self.assertEqual(m["roleArn"], ROLE)
            self.assertIn("updateDate", m)
            self.assertEqual(m["loggingConfiguration"]["level"], "OFF")
            self.assertEqual(m["tracingConfiguration"], {"enabled": False})
        self.assertNotIn("revisionId", m1)
        self.assertEqual(m2["revisionId"], u["revisionId"])
        self.assertEqual(m2["updateDate"], u["updateDate"])

    def test_list_executions(self):
        sm = self.machine("ex-list", ECHO)
        self.assertEqual(self.sfn.list_executions(stateMachineArn=sm)["executions"], [])
        arns = [self.run_to_end(sm, name="run-%d" % i)["executionArn"] for i in range(5)]
        failing = self.machine("ex-list-fail", FAIL)
        self.run_to_end(failing, name="bad")
        r = self.srv.call("ListExecutions", {"stateMachineArn": sm})
        self.assertEqual([e["executionArn"] for e in r["executions"]], arns[::-1])  # newest first
        e = r["executions"][0]
        self.assertEqual(set(e), {"executionArn", "stateMachineArn", "name", "status",
                                  "startDate", "stopDate", "redriveCount"})
        self.assertEqual(e["status"], "SUCCEEDED")
        # Pages.
        got, token = [], None
        while True:
            kw = {"stateMachineArn": sm, "maxResults": 2}
            if token:
                kw["nextToken"] = token
            page = self.sfn.list_executions(**kw)
            self.assertLessEqual(len(page["executions"]), 2)
            got += [x["executionArn"] for x in page["executions"]]
            token = page.get("nextToken")
            if not token:
                break
        self.assertEqual(got, arns[::-1])
        # Status filters.
        self.assertEqual(len(self.sfn.list_executions(stateMachineArn=sm,
                                                      statusFilter="SUCCEEDED")["executions"]), 5)
        self.assertEqual(self.sfn.list_executions(stateMachineArn=sm,
                                                  statusFilter="FAILED")["executions"], [])
        self.assertEqual(self.sfn.list_executions(stateMachineArn=sm,
                                                  statusFilter="RUNNING")["executions"], [])
        self.assertEqual([x["name"] for x in self.sfn.list_executions(
            stateMachineArn=failing, statusFilter="FAILED")["executions"]], ["bad"])
        cb = self.machine("ex-list-running", CALLBACK)
        running, tok = self.waiting(cb, 201)
        self.assertEqual([x["executionArn"] for x in self.sfn.list_executions(
            stateMachineArn=cb, statusFilter="RUNNING")["executions"]], [running])
        self.sfn.send_task_success(taskToken=tok, output="{}")
        wait_done(self.sfn, running)
        self.assertEqual(self.sfn.list_executions(stateMachineArn=cb,
                                                  statusFilter="RUNNING")["executions"], [])
        # Errors (recorded on AWS).
        self.err(self.sfn.list_executions, "ValidationException",
                 "1 validation error detected: Value 'succeeded' at 'statusFilter' failed to "
                 "satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, "
                 "TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]",
                 stateMachineArn=sm, statusFilter="succeeded")
        self.err(self.sfn.list_executions, "ValidationException",
                 "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy "
                 "constraint: Member must have value less than or equal to 1000",
                 stateMachineArn=sm, maxResults=1001)
        self.err(self.sfn.list_executions, "InvalidToken", stateMachineArn=sm,
                 nextToken="garbage")
        # A token is good for the list it came from only.
        other = self.sfn.list_executions(stateMachineArn=sm, maxResults=1)["nextToken"]
        self.err(self.sfn.list_executions, "InvalidToken", stateMachineArn=failing,
                 nextToken=other)
        self.err(self.sfn.list_state_machines, "InvalidToken", nextToken=other)
        self.err(self.sfn.list_executions, "StateMachineDoesNotExist",
                 "State Machine Does Not Exist: '%sstateMachine:ex-none'" % PREFIX,
                 stateMachineArn=PREFIX + "stateMachine:ex-none")
        self.err(self.sfn.list_executions, "InvalidArn",
                 "Invalid Arn: 'Invalid ARN prefix: invalid_state_machine_arn'",
                 stateMachineArn="invalid_state_machine_arn")
        self.raw_err("ListExecutions", {}, "ValidationException",
                     "Must provide a StateMachine ARN or MapRun ARN")

    def test_history(self):
        sm = self.machine("ex-history", SMALL)
        d = self.run_to_end(sm, name="h", input='{"secret": "s3"}')
        arn = d["executionArn"]
        events = self.sfn.get_execution_history(executionArn=arn)["events"]
        self.assertEqual(history_problems(events, "ExecutionSucceeded"), [])
        types = [e["type"] for e in events]
        self.assertEqual(types[:3], ["ExecutionStarted", "PassStateEntered", "PassStateExited"])
        self.assertIn("MapStateStarted", types)
        self.assertEqual(types.count("MapIterationSucceeded"), 3)
        first = events[0]
        self.assertEqual(first["previousEventId"], 0)
        self.assertEqual(json.loads(first["executionStartedEventDetails"]["input"]),
                         {"secret": "s3"})
        self.assertEqual(first["executionStartedEventDetails"]["inputDetails"],
                         {"truncated": False})
        self.assertEqual(json.loads(events[-1]["executionSucceededEventDetails"]["output"]),
                         json.loads(d["output"]))
        for e in events:
            self.assertEqual(set(e) - {"id", "previousEventId", "timestamp", "type"},
                             {k for k in e if k.endswith("EventDetails")})
        # Reverse order, pages (forwards and backwards).
        rev = self.sfn.get_execution_history(executionArn=arn, reverseOrder=True)["events"]
        self.assertEqual(rev, events[::-1])
        self.assertEqual(full_history(self.sfn, arn, page=4), events)
        self.assertEqual(full_history(self.sfn, arn, page=3, reverseOrder=True), events[::-1])
        one = self.sfn.get_execution_history(executionArn=arn, maxResults=1)
        self.assertEqual(one["events"], events[:1])
        self.assertIn("nextToken", one)
        # Without the execution's data: no input or output anywhere.
        lean = self.sfn.get_execution_history(executionArn=arn, includeExecutionData=False)
        self.assertEqual([e["id"] for e in lean["events"]], [e["id"] for e in events])
        for e in lean["events"]:
            for k, v in e.items():
                if k.endswith("EventDetails"):
                    self.assertNotIn("input", v, e)
                    self.assertNotIn("output", v, e)
        self.assertIn("roleArn", lean["events"][0]["executionStartedEventDetails"])
        # Errors.
        self.err(self.sfn.get_execution_history, "InvalidToken", executionArn=arn,
                 nextToken="garbage")
        d2 = self.run_to_end(sm, name="h2")
        self.err(self.sfn.get_execution_history, "InvalidToken",
                 executionArn=d2["executionArn"], nextToken=one["nextToken"])
        self.err(self.sfn.get_execution_history, "ValidationException",
                 "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy "
                 "constraint: Member must have value less than or equal to 1000",
                 executionArn=arn, maxResults=1001)
        self.raw_err("GetExecutionHistory", {"executionArn": arn, "reverseOrder": "yes"},
                     "SerializationException")

    def test_history_quota(self):
        """A Standard execution's history holds at most 25,000 events, the
        last of them ExecutionSucceeded or ExecutionFailed (doc/behaviour.md
        §33)."""
        sm = self.machine("ex-quota", COUNTING)
        d = self.run_to_end(sm, name="just", input='{"n": 0, "max": 6249}')
        self.assertEqual(d["status"], "SUCCEEDED")
        events = raw_full_history(self.srv, d["executionArn"], page=1000)
        self.assertEqual(len(events), 25000)
        self.assertEqual(history_problems(events, "ExecutionSucceeded"), [])
        d = self.run_to_end(sm, name="over", input='{"n": 0, "max": 6250}')
        self.assertEqual((d["status"], d["error"], d["cause"]),
                         ("FAILED", "States.Runtime", HISTORY_FULL))
        events = raw_full_history(self.srv, d["executionArn"], page=1000)
        self.assertEqual(len(events), 25000)
        self.assertEqual(history_problems(events, "ExecutionFailed"), [])
        self.assertEqual([e["type"] for e in events[-3:]],
                         ["PassStateEntered", "PassStateExited", "ExecutionFailed"])
        self.assertEqual(events[-1]["executionFailedEventDetails"],
                         {"error": "States.Runtime", "cause": HISTORY_FULL})
        # The newest page first, as a console shows it.
        last = self.srv.call("GetExecutionHistory", {"executionArn": d["executionArn"],
                                                     "reverseOrder": True, "maxResults": 1})
        self.assertEqual(last["events"][0]["id"], 25000)

    def test_stop(self):
        sm = self.machine("ex-stop", CALLBACK)
        arn, tok = self.waiting(sm, 301)
        r = self.sfn.stop_execution(executionArn=arn, error="Halt", cause="stopped by the test")
        self.assertIn("stopDate", r)
        d = self.sfn.describe_execution(executionArn=arn)
        self.assertEqual(d["status"], "ABORTED")
        self.assertEqual(d["error"], "Halt")
        self.assertEqual(d["cause"], "stopped by the test")
        self.assertEqual(d["stopDate"], r["stopDate"])
        h = full_history(self.sfn, arn)
        self.assertEqual(history_problems(h, "ExecutionAborted"), [])
        # The token died with the execution.
        self.err(self.sfn.send_task_success, "TaskTimedOut", taskToken=tok, output="{}")
        self.assertEqual([x["executionArn"] for x in self.sfn.list_executions(
            stateMachineArn=sm, statusFilter="ABORTED")["executions"]], [arn])
        # Without error and cause: empty details (recorded on AWS).
        arn2, _ = self.waiting(sm, 302)
        self.sfn.stop_execution(executionArn=arn2)
        d2 = self.sfn.describe_execution(executionArn=arn2)
        self.assertEqual(d2["status"], "ABORTED")
        self.assertNotIn("error", d2)
        h2 = full_history(self.sfn, arn2)
        self.assertEqual(h2[-1]["type"], "ExecutionAborted")
        self.assertEqual(h2[-1]["executionAbortedEventDetails"], {})
        self.raw_err("StopExecution", {}, "ValidationException",
                     "1 validation error detected: Value null at 'executionArn' failed to "
                     "satisfy constraint: Member must not be null")

    def test_callbacks(self):
        """.waitForTaskToken: the token reaches the function, which writes it
        down; the test answers through the API."""
        sm = self.machine("ex-callback", CALLBACK)
        arn, tok = self.waiting(sm, 401, name="approved")
        self.assertEqual(self.sfn.describe_execution(executionArn=arn)["status"], "RUNNING")
        self.assertEqual(set(self.sfn.send_task_heartbeat(taskToken=tok)), {"ResponseMetadata"})
        r = self.sfn.send_task_success(taskToken=tok, output='{"approved": "yes"}')
        self.assertEqual(set(r), {"ResponseMetadata"})
        d = wait_done(self.sfn, arn)
        self.assertEqual(d["status"], "SUCCEEDED")
        self.assertEqual(json.loads(d["output"]), {"i": 401, "approval": {"approved": "yes"}})
        h = full_history(self.sfn, arn)
        self.assertEqual(history_problems(h, "ExecutionSucceeded"), [])
        types = [e["type"] for e in h]
        self.assertIn("TaskSubmitted", types)
        self.assertIn("TaskSucceeded", types)
        # Used again: the task is gone.
        self.err(self.sfn.send_task_success, "TaskTimedOut", taskToken=tok, output="{}")
        self.err(self.sfn.send_task_heartbeat, "TaskTimedOut", taskToken=tok)
        # A failure with its error and cause.
        arn, tok = self.waiting(sm, 402, name="rejected")
        self.sfn.send_task_failure(taskToken=tok, error="Rejected", cause="not today")
        d = wait_done(self.sfn, arn)
        self.assertEqual((d["status"], d["error"], d["cause"]),
                         ("FAILED", "Rejected", "not today"))
        # Tokens that are not one's (AWS's words), bad output.
        self.err(self.sfn.send_task_success, "InvalidToken", "Invalid Token: 'Invalid token'",
                 taskToken="garbage", output="{}")
        self.err(self.sfn.send_task_failure, "InvalidToken", taskToken="garbage")
        self.err(self.sfn.send_task_heartbeat, "InvalidToken", taskToken="garbage")
        arn, tok = self.waiting(sm, 403)
        self.err(self.sfn.send_task_success, "InvalidOutput", taskToken=tok, output="not json")
        self.raw_err("SendTaskSuccess", {"taskToken": tok}, "ValidationException",
                     "1 validation error detected: Value null at 'output' failed to satisfy "
                     "constraint: Member must not be null")
        self.sfn.send_task_success(taskToken=tok, output="1")
        self.assertEqual(json.loads(wait_done(self.sfn, arn)["output"])["approval"], 1)


class ExecutionDetails(CallbackCase):
    """What an execution shows of its state machine and of how it was
    stopped: the role, StopExecution's error and cause, names."""

    def test_start_execution_event_has_the_role(self):
        """ExecutionStarted names the state machine's role."""
        sm = self.machine("kd-role", ECHO)
        h = full_history(self.sfn, self.run_to_end(sm)["executionArn"])
        self.assertEqual(h[0]["executionStartedEventDetails"]["roleArn"], ROLE)

    def test_stop_reason_in_history(self):
        """StopExecution's error and cause are in ExecutionAborted's details."""
        sm = self.machine("kd-stop", CALLBACK)
        arn, _ = self.waiting(sm, 901)
        self.sfn.stop_execution(executionArn=arn, error="Halt", cause="stopped by the test")
        h = full_history(self.sfn, arn)
        self.assertEqual(h[-1]["executionAbortedEventDetails"],
                         {"error": "Halt", "cause": "stopped by the test"})

    def test_execution_name_in_characters(self):
        """An execution's name is up to 80 characters, as a machine's: 41
        "é" are 41 characters."""
        sm = self.machine("kd-names", ECHO)
        name = "\u00e9" * 41
        arn = self.sfn.start_execution(stateMachineArn=sm, name=name)["executionArn"]
        self.assertEqual(arn, PREFIX + "execution:kd-names:" + name)

    def test_stop_without_reason(self):
        """StopExecution without error and cause: DescribeExecution has
        neither."""
        sm = self.machine("kd-stop-bare", CALLBACK)
        arn, _ = self.waiting(sm, 902)
        self.sfn.stop_execution(executionArn=arn)
        d = self.sfn.describe_execution(executionArn=arn)
        self.assertEqual((d["status"], d.get("error"), d.get("cause")), ("ABORTED", None, None))

    def test_stop_cause_only(self):
        """StopExecution with a cause and no error keeps the cause."""
        sm = self.machine("kd-stop-cause", CALLBACK)
        arn, _ = self.waiting(sm, 903)
        self.sfn.stop_execution(executionArn=arn, cause="only a cause")
        d = self.sfn.describe_execution(executionArn=arn)
        self.assertEqual((d["status"], d.get("cause")), ("ABORTED", "only a cause"))


class KnownDifferences(CallbackCase):
    """What AWS does and aslc serve does not yet: each test asserts AWS's
    behaviour and is expected to fail until the server is fixed (an
    unexpected success then fails the suite, so that the test moves to
    its class).  The reasons lie outside the API's files: the runtime
    writes the history, the compiler the diagnostics."""

    @unittest.expectedFailure
    def test_schema_error_alone(self):
        """AWS reports a definition's schema errors alone (the compiler's
        validator also reports what follows from them)."""
        self.err(self.sfn.create_state_machine, "InvalidDefinition",
                 "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields "
                 "are required: [States] at /'",
                 name="kd-invalid", definition=json.dumps({"StartAt": "P"}), roleArn=ROLE)

    @unittest.expectedFailure
    def test_express_callback_message(self):
        """AWS's message ends in a space (the compiler's does not)."""
        wftt = {"StartAt": "S", "States": {"S": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/1/q",
                           "MessageBody.$": "$$.Task.Token"}, "End": True}}}
        r = self.srv.call("ValidateStateMachineDefinition",
                          {"definition": defn(wftt), "type": "EXPRESS"})
        self.assertEqual(r["diagnostics"][0]["message"],
                         "Express state machine does not support '.waitForTaskToken' service "
                         "integration ")


class Queue(CallbackCase):
    """--max-running 1: executions beyond it wait their turn, RUNNING for
    the API; a stop reaches a waiting one and a handler's process."""

    @classmethod
    def prepare(cls):
        super().prepare()
        sleeper = os.path.join(cls.tmp, "sleeper.sh")
        with open(sleeper, "w") as f:
            f.write("#!/bin/sh\necho $$ > \"$CALLBACK_DIR/sleeper.pid.tmp\"\n"
                    "mv \"$CALLBACK_DIR/sleeper.pid.tmp\" \"$CALLBACK_DIR/sleeper.pid\"\n"
                    "exec sleep 3600\n")
        os.chmod(sleeper, 0o755)
        bindings = cls.server_args[1]
        with open(bindings) as f:
            b = json.load(f)
        b["arn:aws:lambda:*:*:function:Sleeper"] = {"program": [sleeper]}
        with open(bindings, "w") as f:
            json.dump(b, f)
        cls.server_args += ("--max-running", "1")

    def test_queue(self):
        cb = self.machine("q-callback", CALLBACK)
        echo = self.machine("q-echo", ECHO)
        first, tok = self.waiting(cb, 701)
        second = self.sfn.start_execution(stateMachineArn=echo, name="second",
                                          input='{"n": 2}')["executionArn"]
        third = self.sfn.start_execution(stateMachineArn=echo, name="third")["executionArn"]
        for arn in (second, third):
            self.assertEqual(self.sfn.describe_execution(executionArn=arn)["status"], "RUNNING")
        self.sfn.stop_execution(executionArn=third, error="NotNow", cause="stopped in the queue")
        d = self.sfn.describe_execution(executionArn=third)
        self.assertEqual((d["status"], d["error"], d["cause"]),
                         ("ABORTED", "NotNow", "stopped in the queue"))
        self.sfn.send_task_success(taskToken=tok, output="{}")
        self.assertEqual(wait_done(self.sfn, first)["status"], "SUCCEEDED")
        d = wait_done(self.sfn, second)
        self.assertEqual((d["status"], d["output"]), ("SUCCEEDED", '{"n":2}'))
        self.assertEqual(history_problems(full_history(self.sfn, second),
                                          "ExecutionSucceeded"), [])

    def test_stop_kills_the_handler(self):
        sm = self.machine("q-sleeper", {"StartAt": "Sleep", "States": {"Sleep": {
            "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Sleeper",
            "End": True}}})
        arn = self.sfn.start_execution(stateMachineArn=sm)["executionArn"]
        pid_file = os.path.join(self.tokens, "sleeper.pid")
        deadline = time.monotonic() + 120
        while not os.path.exists(pid_file):
            self.assertLess(time.monotonic(), deadline, self.srv.log())
            time.sleep(0.02)
        with open(pid_file) as f:
            pid = int(f.read())
        self.sfn.stop_execution(executionArn=arn, error="Enough", cause="enough")
        d = self.sfn.describe_execution(executionArn=arn)
        self.assertEqual((d["status"], d["error"], d["cause"]), ("ABORTED", "Enough", "enough"))
        # The handler's process goes with the execution (a guard, not a measure).
        deadline = time.monotonic() + 60
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            with open("/proc/%d/stat" % pid) as f:
                if f.read().split(")")[-1].split()[0] == "Z":
                    break
            self.assertLess(time.monotonic(), deadline, "the handler %d still runs" % pid)
            time.sleep(0.05)
        # The queue moves on.
        self.assertEqual(self.run_to_end(self.machine("q-after", ECHO))["status"], "SUCCEEDED")


class Express(ServerCase):
    """Express machines: StartSyncExecution; what AWS keeps none of."""

    def test_sync(self):
        sm = self.machine("xp-pass", PASS, type="EXPRESS")
        self.assertEqual(self.sfn.describe_state_machine(stateMachineArn=sm)["type"], "EXPRESS")
        r = self.sfn.start_sync_execution(stateMachineArn=sm, name="quick", input='{"a": 1}')
        self.assertEqual(r["status"], "SUCCEEDED")
        self.assertTrue(r["executionArn"].startswith(PREFIX + "express:xp-pass:quick:"),
                        r["executionArn"])
        self.assertEqual(r["stateMachineArn"], sm)
        self.assertEqual(r["name"], "quick")
        self.assertEqual(json.loads(r["output"]), {"Arg1": "argument1"})
        self.assertEqual(r["input"], '{"a": 1}')
        self.assertEqual(r["inputDetails"], {"included": True})
        self.assertEqual(r["outputDetails"], {"included": True})
        self.assertEqual(r["billingDetails"]["billedMemoryUsedInMB"], 64)
        self.assertGreaterEqual(r["billingDetails"]["billedDurationInMilliseconds"], 100)
        self.assertEqual(r["billingDetails"]["billedDurationInMilliseconds"] % 100, 0)
        self.assertGreaterEqual(r["stopDate"], r["startDate"])
        self.assertEqual(set(r) - {"ResponseMetadata"},
                         {"executionArn", "stateMachineArn", "name", "startDate", "stopDate",
                          "status", "input", "inputDetails", "output", "outputDetails",
                          "billingDetails"})
        # No name: a UUID.
        r = self.sfn.start_sync_execution(stateMachineArn=sm)
        self.assertEqual(len(r["name"]), 36)
        failing = self.machine("xp-fail", FAIL, type="EXPRESS")
        r = self.sfn.start_sync_execution(stateMachineArn=failing)
        self.assertEqual((r["status"], r["error"], r["cause"]), ("FAILED", "Oops", "on purpose"))
        self.assertNotIn("output", r)

    def test_no_history_quota(self):
        """Express executions keep no history and have no quota of events."""
        sm = self.machine("xp-count", COUNTING, type="EXPRESS")
        r = self.sfn.start_sync_execution(stateMachineArn=sm, input='{"n": 0, "max": 7000}')
        self.assertEqual(r["status"], "SUCCEEDED", r)
        self.assertEqual(json.loads(r["output"]), {"n": 7000, "max": 7000})

    def test_errors(self):
        std = self.machine("xp-standard", PASS)
        self.err(self.sfn.start_sync_execution, "StateMachineTypeNotSupported",
                 "This operation is not supported by this type of state machine",
                 stateMachineArn=std)
        self.err(self.sfn.start_sync_execution, "StateMachineDoesNotExist",
                 stateMachineArn=PREFIX + "stateMachine:xp-none")
        sm = self.machine("xp-async", PASS, type="EXPRESS")
        self.err(self.sfn.start_sync_execution, "InvalidExecutionInput", stateMachineArn=sm,
                 input="{")
        self.err(self.sfn.start_sync_execution, "InvalidName", stateMachineArn=sm, name="a b")
        # StartExecution of an Express machine runs it; AWS keeps nothing
        # to describe (recorded on AWS).
        r = self.sfn.start_execution(stateMachineArn=sm, name="bg")
        arn = r["executionArn"]
        self.assertTrue(arn.startswith(PREFIX + "express:xp-async:bg:"), arn)
        self.err(self.sfn.list_executions, "StateMachineTypeNotSupported",
                 "This operation is not supported by this type of state machine",
                 stateMachineArn=sm)
        for fn in (self.sfn.describe_execution, self.sfn.get_execution_history,
                   self.sfn.stop_execution):
            self.err(fn, "InvalidArn",
                     "Invalid Arn: 'Resource type not valid in this context: express'",
                     executionArn=arn)


class Activities(ServerCase):
    def test_activities(self):
        r = self.sfn.create_activity(name="act-one")
        arn = PREFIX + "activity:act-one"
        self.assertEqual(r["activityArn"], arn)
        again = self.sfn.create_activity(name="act-one")   # idempotent (AWS)
        self.assertEqual(again["activityArn"], arn)
        self.assertEqual(again["creationDate"], r["creationDate"])
        d = self.sfn.describe_activity(activityArn=arn)
        self.assertEqual(set(d) - {"ResponseMetadata"}, {"activityArn", "name", "creationDate"})
        self.assertEqual((d["name"], d["creationDate"]), ("act-one", r["creationDate"]))
        for i in range(4):
            self.sfn.create_activity(name="act-page-%d" % i)
        got, token = [], None
        while True:
            kw = {"maxResults": 2}
            if token:
                kw["nextToken"] = token
            page = self.sfn.list_activities(**kw)
            self.assertLessEqual(len(page["activities"]), 2)
            got += page["activities"]
            token = page.get("nextToken")
            if not token:
                break
        self.assertEqual([a["name"] for a in got],
                         ["act-one"] + ["act-page-%d" % i for i in range(4)])
        self.assertEqual(set(got[0]), {"activityArn", "name", "creationDate"})
        self.err(self.sfn.list_activities, "InvalidToken", nextToken="garbage")
        self.sfn.delete_activity(activityArn=arn)
        self.sfn.delete_activity(activityArn=arn)   # twice: fine (AWS)
        self.err(self.sfn.describe_activity, "ActivityDoesNotExist",
                 "Activity Does Not Exist: '%s'" % arn, activityArn=arn)
        self.assertNotIn(arn, [a["activityArn"] for a in self.sfn.list_activities()["activities"]])

    def test_errors(self):
        # Recorded on AWS.
        self.err(self.sfn.create_activity, "InvalidName",
                 "Invalid Name: 'TestActivity InvalidName$'", name="TestActivity InvalidName$")
        self.err(self.sfn.describe_activity, "InvalidArn",
                 "Invalid Arn: 'Invalid ARN prefix: act'", activityArn="act")
        self.err(self.sfn.describe_activity, "InvalidArn",
                 "Invalid Arn: 'Resource type not valid in this context: stateMachine'",
                 activityArn=PREFIX + "stateMachine:x")
        self.err(self.sfn.delete_activity, "InvalidArn", activityArn="act")
        self.raw_err("CreateActivity", {}, "ValidationException",
                     "1 validation error detected: Value null at 'name' failed to satisfy "
                     "constraint: Member must not be null")


class ActivityTasks(ServerCase):
    """Activity Task states and their workers: GetActivityTask takes the
    oldest task of the activity (a long poll), SendTask* completes it; the
    history is AWS's (ActivityScheduled, ActivityStarted with the worker's
    name, ActivitySucceeded / ActivityFailed / ActivityTimedOut).  Real
    time here: with skipped waits an activity's timers expire at once."""

    server_kw = {"wait": "real"}

    def activity_machine(self, name, timeout=3600, heartbeat=None):
        act = self.sfn.create_activity(name=name + "-act")["activityArn"]
        task = {"Type": "Task", "Resource": act, "TimeoutSeconds": timeout, "End": True}
        if heartbeat:
            task["HeartbeatSeconds"] = heartbeat
        return act, self.machine(name, {"StartAt": "Work", "States": {"Work": task}})

    def types(self, arn):
        return [e["type"] for e in full_history(self.sfn, arn)]

    def test_worker_succeeds(self):
        act, sm = self.activity_machine("at-ok")
        arn = self.sfn.start_execution(stateMachineArn=sm, input='{"n": 1}')["executionArn"]
        t = self.sfn.get_activity_task(activityArn=act, workerName="worker-1")
        self.assertEqual(json.loads(t["input"]), {"n": 1})
        # The history so far is there while the execution waits.
        self.assertEqual(self.types(arn), ["ExecutionStarted", "TaskStateEntered",
                                           "ActivityScheduled", "ActivityStarted"])
        h = full_history(self.sfn, arn)
        self.assertEqual(h[3]["activityStartedEventDetails"], {"workerName": "worker-1"})
        sched = h[2]["activityScheduledEventDetails"]
        self.assertEqual((sched["resource"], sched["timeoutInSeconds"]), (act, 3600))
        self.sfn.send_task_heartbeat(taskToken=t["taskToken"])
        self.sfn.send_task_success(taskToken=t["taskToken"], output='{"done": true}')
        d = wait_done(self.sfn, arn)
        self.assertEqual((d["status"], json.loads(d["output"])), ("SUCCEEDED", {"done": True}))
        self.assertEqual(self.types(arn)[-4:], ["ActivityStarted", "ActivitySucceeded",
                                                "TaskStateExited", "ExecutionSucceeded"])
        # The token is closed now (AWS: TaskTimedOut).
        self.err(self.sfn.send_task_success, "TaskTimedOut", taskToken=t["taskToken"],
                 output="{}")

    def test_worker_fails(self):
        act, sm = self.activity_machine("at-fail")
        arn = self.sfn.start_execution(stateMachineArn=sm)["executionArn"]
        t = self.sfn.get_activity_task(activityArn=act)
        self.sfn.send_task_failure(taskToken=t["taskToken"], error="Worker.Broke",
                                   cause="out of paper")
        d = wait_done(self.sfn, arn)
        self.assertEqual((d["status"], d["error"], d["cause"]),
                         ("FAILED", "Worker.Broke", "out of paper"))
        self.assertIn("ActivityFailed", self.types(arn))

    def test_timeout(self):
        act, sm = self.activity_machine("at-timeout", timeout=1)
        arn = self.sfn.start_execution(stateMachineArn=sm)["executionArn"]
        d = wait_done(self.sfn, arn)
        self.assertEqual((d["status"], d["error"]), ("FAILED", "States.Timeout"))
        self.assertIn("ActivityTimedOut", self.types(arn))

    def test_queue_order_and_stop(self):
        act, sm = self.activity_machine("at-queue")
        first = self.sfn.start_execution(stateMachineArn=sm, input='{"i": 1}')["executionArn"]
        wait_for(lambda: "ActivityScheduled" in self.types(first))
        second = self.sfn.start_execution(stateMachineArn=sm, input='{"i": 2}')["executionArn"]
        wait_for(lambda: "ActivityScheduled" in self.types(second))
        # A stopped execution's task is not handed out.
        self.sfn.stop_execution(executionArn=first, error="Halt")
        t = self.sfn.get_activity_task(activityArn=act)
        self.assertEqual(json.loads(t["input"]), {"i": 2})
        self.sfn.send_task_success(taskToken=t["taskToken"], output="{}")
        self.assertEqual(wait_done(self.sfn, second)["status"], "SUCCEEDED")
        self.assertEqual(self.sfn.describe_execution(executionArn=first)["status"], "ABORTED")

    def test_deleted_activity(self):
        # Recorded on AWS: the state fails with States.Runtime, no Catch.
        act, sm = self.activity_machine("at-deleted")
        self.sfn.delete_activity(activityArn=act)
        arn = self.sfn.start_execution(stateMachineArn=sm)["executionArn"]
        d = wait_done(self.sfn, arn)
        self.assertEqual((d["status"], d["error"]), ("FAILED", "States.Runtime"))
        self.assertEqual(d["cause"], "An error occurred while executing the state 'Work' "
                         "(entered at the event id #2). The activity %s does not exist." % act)

    def test_errors(self):
        self.err(self.sfn.get_activity_task, "ActivityDoesNotExist",
                 "Activity Does Not Exist: '%s'" % (PREFIX + "activity:nope"),
                 activityArn=PREFIX + "activity:nope")
        self.err(self.sfn.get_activity_task, "InvalidArn",
                 "Invalid Arn: 'Invalid ARN prefix: nope'", activityArn="nope")


class NestedExecutions(ServerCase):
    """A Task's states:startExecution (every pattern) and
    aws-sdk:sfn:startExecution start executions of the server's own state
    machines, which the API then knows like any other."""

    def test_nested(self):
        child = self.machine("nx-child", {"StartAt": "P", "States": {"P": {
            "Type": "Pass", "Parameters": {"got.$": "$"}, "End": True}}})
        bad = self.machine("nx-bad", {"StartAt": "F", "States": {"F": {
            "Type": "Fail", "Error": "Child.Broke", "Cause": "on purpose"}}})
        parent = self.machine("nx-parent", {"StartAt": "Sync2", "States": {
            "Sync2": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                      "Parameters": {"StateMachineArn": child, "Input": {"a": 1},
                                     "Name": "nx-kid"},
                      "ResultSelector": {"Output.$": "$.Output", "Status.$": "$.Status"},
                      "ResultPath": "$.sync2", "Next": "Fire"},
            "Fire": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
                     "Parameters": {"StateMachineArn": child, "Input": {"b": 2}},
                     "ResultSelector": {"ExecutionArn.$": "$.ExecutionArn"},
                     "ResultPath": "$.fire", "Next": "Fails"},
            "Fails": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync",
                      "Parameters": {"StateMachineArn": bad},
                      "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.failed",
                                 "Next": "Missing"}], "End": True},
            "Missing": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:startExecution",
                        "Parameters": {"StateMachineArn": child + "-nope"},
                        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.missing",
                                   "Next": "Done"}], "End": True},
            "Done": {"Type": "Succeed"}}})
        d = self.run_to_end(parent)
        self.assertEqual(d["status"], "SUCCEEDED", d)
        out = json.loads(d["output"])
        self.assertEqual(out["sync2"], {"Output": {"got": {"a": 1}}, "Status": "SUCCEEDED"})
        kid = PREFIX + "execution:nx-child:nx-kid"
        self.assertEqual(self.sfn.describe_execution(executionArn=kid)["status"], "SUCCEEDED")
        fired = out["fire"]["ExecutionArn"]
        self.assertEqual(wait_done(self.sfn, fired)["status"], "SUCCEEDED")
        self.assertEqual({e["executionArn"] for e in
                          self.sfn.list_executions(stateMachineArn=child)["executions"]},
                         {kid, fired})
        self.assertEqual(out["failed"]["Error"], "States.TaskFailed")
        cause = json.loads(out["failed"]["Cause"])
        self.assertEqual((cause["Status"], cause["Error"], cause["Cause"]),
                         ("FAILED", "Child.Broke", "on purpose"))
        self.assertEqual(out["missing"]["Error"], "Sfn.StateMachineDoesNotExistException")
        self.assertIn("State Machine Does Not Exist: '%s-nope'" % child, out["missing"]["Cause"])
        # The same name again: the API's error, as the integration reports it.
        again = self.machine("nx-again", {"StartAt": "S", "States": {"S": {
            "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync",
            "Parameters": {"StateMachineArn": child, "Input": {"c": 3}, "Name": "nx-kid"},
            "End": True}}})
        d = self.run_to_end(again)
        self.assertEqual((d["status"], d["error"]),
                         ("FAILED", "StepFunctions.ExecutionAlreadyExistsException"))


class TestStateAction(ServerCase):
    """TestState (not in botocore 1.29: raw, signed); the recorded AWS
    cases run through tests/run-test-state.sh, this checks the action as
    a client sees it."""

    def test_pass_and_task(self):
        r = self.srv.call("TestState", {
            "definition": defn({"Type": "Pass", "Parameters": {"x.$": "$.a"}, "Next": "N"}),
            "input": '{"a": 7}', "roleArn": ROLE})
        self.assertEqual((r["status"], json.loads(r["output"]), r["nextState"]),
                         ("SUCCEEDED", {"x": 7}, "N"))
        r = self.srv.call("TestState", {
            "definition": defn({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                "Parameters": {"FunctionName": "f", "Payload.$": "$"},
                                "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
                                "End": True}),
            "input": "{}", "roleArn": ROLE, "inspectionLevel": "DEBUG",
            "mock": {"errorOutput": {"error": "Boom", "cause": "mocked"}}})
        self.assertEqual((r["status"], r["error"], r["cause"]), ("RETRIABLE", "Boom", "mocked"))
        self.assertIn("inspectionData", r)

    def test_errors(self):
        self.raw_err("TestState", {"roleArn": ROLE}, "ValidationException",
                     "1 validation error detected: Value null at 'definition' failed to "
                     "satisfy constraint: Member must not be null")
        res = self.raw_err("TestState", {"definition": defn({"Type": "Nope"}), "roleArn": ROLE},
                           "InvalidDefinition")
        self.assertTrue(res["message"].startswith("Invalid State Machine Definition: '"),
                        res["message"])


class LambdaEndpoint(ServerCase):
    """Lambda Tasks that no binding answers go to a Lambda endpoint
    (LAMBDA_ENDPOINT, as Step Functions Local reads it): here the Invoke
    API of tests/http/lambda_server.py; a binding still answers first."""

    @classmethod
    def prepare(cls):
        port_file = os.path.join(cls.tmp, "lambda.port")
        cls.lambda_server = subprocess.Popen(
            [sys.executable, os.path.join(SRCDIR, "tests", "http", "lambda_server.py"),
             "--port", "0", "--port-file", port_file, "--exit-on-eof"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        cls.addClassCleanup(cls.lambda_server.wait)
        cls.addClassCleanup(cls.lambda_server.stdin.close)
        wait_for(lambda: os.path.exists(port_file) and open(port_file).read().strip())
        with open(port_file) as f:
            port = f.read().strip()
        bindings = os.path.join(cls.tmp, "bindings.json")
        with open(bindings, "w") as f:
            json.dump({"arn:aws:lambda:*:*:function:Approver": {
                "program": [os.path.join(SRCDIR, "tests", "callback", "handler.sh")]}}, f)
        cls.server_args = ("--bindings", bindings)
        cls.server_kw = {"env": {"LAMBDA_ENDPOINT": "http://127.0.0.1:" + port,
                                 "CALLBACK_DIR": cls.tmp}}

    def test_invoke(self):
        sm = self.machine("le-invoke", {"StartAt": "Arn", "States": {
            "Arn": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:%s:function:echo"
                    % ACCOUNT, "ResultPath": "$.arn", "Next": "Invoke"},
            "Invoke": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                       "Parameters": {"FunctionName": "echo", "Payload": {"p": 1}},
                       "ResultSelector": {"Payload.$": "$.Payload",
                                          "StatusCode.$": "$.StatusCode"},
                       "ResultPath": "$.invoke", "Next": "Missing"},
            "Missing": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                        "Parameters": {"FunctionName": "no-such-function"},
                        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.missing",
                                   "Next": "Done"}], "End": True},
            "Done": {"Type": "Succeed"}}})
        d = self.run_to_end(sm, input='{"v": 1}')
        self.assertEqual(d["status"], "SUCCEEDED", d)
        out = json.loads(d["output"])
        self.assertEqual(out["arn"], {"v": 1})
        self.assertEqual(out["invoke"], {"Payload": {"p": 1}, "StatusCode": 200})
        self.assertEqual(out["missing"]["Error"], "Lambda.ResourceNotFoundException")


class Tags(ServerCase):
    def tags(self, arn):
        return {t["key"]: t["value"]
                for t in self.sfn.list_tags_for_resource(resourceArn=arn)["tags"]}

    def test_tags(self):
        sm = self.machine("tag-sm", tags=[{"key": "team", "value": "a"}])
        self.assertEqual(self.tags(sm), {"team": "a"})
        self.assertEqual(set(self.sfn.tag_resource(
            resourceArn=sm, tags=[{"key": "env", "value": "test"},
                                  {"key": "team", "value": "b"}])), {"ResponseMetadata"})
        self.assertEqual(self.tags(sm), {"team": "b", "env": "test"})
        self.sfn.untag_resource(resourceArn=sm, tagKeys=["team", "absent"])
        self.assertEqual(self.tags(sm), {"env": "test"})
        self.sfn.tag_resource(resourceArn=sm, tags=[{"key": "empty", "value": ""}])
        self.assertEqual(self.tags(sm)["empty"], "")
        act = self.sfn.create_activity(name="tag-act", tags=[{"key": "k", "value": "v"}])[
            "activityArn"]
        self.assertEqual(self.tags(act), {"k": "v"})
        self.sfn.untag_resource(resourceArn=act, tagKeys=["k"])
        self.assertEqual(self.tags(act), {})
        # Tags do not change the machine.
        self.assertEqual(self.sfn.describe_state_machine(stateMachineArn=sm)["name"], "tag-sm")

    def test_errors(self):
        gone = PREFIX + "stateMachine:tag-none"
        for fn, kw in ((self.sfn.tag_resource, {"tags": [{"key": "a", "value": "b"}]}),
                       (self.sfn.untag_resource, {"tagKeys": ["a"]}),
                       (self.sfn.list_tags_for_resource, {})):
            self.err(fn, "ResourceNotFound", "Resource not found: '%s'" % gone,
                     resourceArn=gone, **kw)
            self.err(fn, "InvalidArn", resourceArn="nope", **kw)
        sm = self.machine("tag-errors")
        self.raw_err("TagResource", {"resourceArn": sm}, "ValidationException",
                     "1 validation error detected: Value null at 'tags' failed to satisfy "
                     "constraint: Member must not be null")
        self.raw_err("UntagResource", {"resourceArn": sm}, "ValidationException",
                     "1 validation error detected: Value null at 'tagKeys' failed to satisfy "
                     "constraint: Member must not be null")


class Protocol(ServerCase):
    """The JSON 1.0 protocol: what arrives that is not a good request."""

    def test_headers_of_an_answer(self):
        st, h, body = self.srv.raw("ListStateMachines", {})
        self.assertEqual(st, 200)
        self.assertEqual(h["content-type"], serverlib.CONTENT_TYPE)
        self.assertRegex(h["x-amzn-requestid"], r"^[0-9a-f-]{36}$")
        self.assertIsInstance(body["stateMachines"], list)

    def test_malformed_json(self):
        for body in (b"{", b"not json", b'{"a": }', b"\xff\xfe{}"):
            self.raw_err("ListStateMachines", body, "SerializationException")
        for body in (b"[]", b'"text"', b"42", b"null"):
            self.raw_err("ListStateMachines", body, "SerializationException")
        # An empty body is an empty request.
        st, _, res = self.srv.raw("ListStateMachines", b"")
        self.assertEqual(st, 200, res)

    def test_wrong_member_types(self):
        self.raw_err("DescribeStateMachine", {"stateMachineArn": 42}, "SerializationException")
        self.raw_err("ListStateMachines", {"maxResults": "ten"}, "SerializationException")
        self.raw_err("CreateStateMachine", {"name": "x", "definition": {"StartAt": "P"},
                                            "roleArn": ROLE}, "SerializationException")
        self.raw_err("TagResource", {"resourceArn": PREFIX + "stateMachine:x", "tags": "a"},
                     "SerializationException")
        self.raw_err("TagResource", {"resourceArn": PREFIX + "stateMachine:x",
                                     "tags": [{"value": "v"}]}, "ValidationException")

    def test_response_members(self):
        """Every action's answer has AWS's members, no more (raw: what
        botocore would drop is seen)."""
        call = self.srv.call

        def members(action, body, want):
            got = call(action, body)
            self.assertEqual(set(got), set(want), action)
            return got
        sm = members("CreateStateMachine", {"name": "pm-sm", "definition": defn(PASS),
                                            "roleArn": ROLE},
                     {"stateMachineArn", "creationDate"})["stateMachineArn"]
        xp = members("CreateStateMachine", {"name": "pm-xp", "definition": defn(PASS),
                                            "roleArn": ROLE, "type": "EXPRESS"},
                     {"stateMachineArn", "creationDate"})["stateMachineArn"]
        members("ListStateMachines", {}, {"stateMachines"})
        members("UpdateStateMachine", {"stateMachineArn": sm, "definition": defn(ECHO)},
                {"updateDate", "revisionId"})
        ex = members("StartExecution", {"stateMachineArn": sm, "name": "pm"},
                     {"executionArn", "startDate"})["executionArn"]
        wait_done(self.sfn, ex)
        members("StartSyncExecution", {"stateMachineArn": xp},
                {"executionArn", "stateMachineArn", "name", "startDate", "stopDate", "status",
                 "input", "inputDetails", "output", "outputDetails", "billingDetails"})
        members("DescribeStateMachineForExecution", {"executionArn": ex},
                {"stateMachineArn", "name", "definition", "roleArn", "updateDate",
                 "loggingConfiguration", "tracingConfiguration", "revisionId"})
        members("ListExecutions", {"stateMachineArn": sm}, {"executions"})
        members("GetExecutionHistory", {"executionArn": ex}, {"events"})
        members("StopExecution", {"executionArn": ex}, {"stopDate"})
        act = members("CreateActivity", {"name": "pm-act"},
                      {"activityArn", "creationDate"})["activityArn"]
        members("DescribeActivity", {"activityArn": act}, {"activityArn", "name", "creationDate"})
        members("ListActivities", {}, {"activities"})
        members("TagResource", {"resourceArn": sm, "tags": [{"key": "k", "value": "v"}]}, ())
        members("ListTagsForResource", {"resourceArn": sm}, {"tags"})
        members("UntagResource", {"resourceArn": sm, "tagKeys": ["k"]}, ())
        members("ValidateStateMachineDefinition", {"definition": defn(PASS)},
                {"result", "diagnostics", "truncated"})
        members("DeleteActivity", {"activityArn": act}, ())
        members("DeleteStateMachine", {"stateMachineArn": sm}, ())

    def test_unknown_action(self):
        self.raw_err("DoSomethingElse", {}, "UnknownOperationException")
        self.raw_err(None, {}, "UnknownOperationException",
                     headers={"X-Amz-Target": "AWSLambda.Invoke"})
        self.raw_err(None, {}, "UnknownOperationException", sign=False)

    def test_missing_members(self):
        for action, member in (("DescribeStateMachine", "stateMachineArn"),
                               ("CreateStateMachine", "name"),
                               ("UpdateStateMachine", "stateMachineArn"),
                               ("DeleteStateMachine", "stateMachineArn"),
                               ("StartSyncExecution", "stateMachineArn"),
                               ("DescribeStateMachineForExecution", "executionArn"),
                               ("GetExecutionHistory", "executionArn"),
                               ("SendTaskSuccess", "taskToken"),
                               ("SendTaskFailure", "taskToken"),
                               ("SendTaskHeartbeat", "taskToken"),
                               ("DescribeActivity", "activityArn"),
                               ("DeleteActivity", "activityArn"),
                               ("ListTagsForResource", "resourceArn")):
            self.raw_err(action, {}, "ValidationException",
                         "1 validation error detected: Value null at '%s' failed to satisfy "
                         "constraint: Member must not be null" % member)

    def test_too_large(self):
        body = b'{"definition": "' + b"x" * (9 << 20) + b'"}'
        st, _, res = self.srv.raw("ValidateStateMachineDefinition", body, sign=False)
        self.assertEqual(st, 413, res)
        # Still serving.
        self.assertEqual(self.srv.raw("ListStateMachines", {})[0], 200)

    def test_not_post(self):
        st, _, _ = self.srv.raw(None, b"", method="GET", sign=False)
        self.assertGreaterEqual(st, 400)
        self.assertLess(st, 500)

    def test_unsigned_accepted_without_keys(self):
        st, _, res = self.srv.raw("ListStateMachines", {}, sign=False)
        self.assertEqual(st, 200, res)


class Signatures(ServerCase):
    """--access-key-id and --secret-access-key: SigV4 is checked."""

    server_kw = {"access_key": "AKIDSERVETEST", "secret_key": "serve/test+secret"}

    def test_right_key(self):
        arn = self.machine("sig-sm", PASS, type="EXPRESS")
        self.assertEqual(self.sfn.start_sync_execution(stateMachineArn=arn)["status"],
                         "SUCCEEDED")
        self.assertEqual(self.srv.call("ValidateStateMachineDefinition",
                                       {"definition": defn(PASS)})["result"], "OK")
        self.assertIn("stateMachines", self.sfn.list_state_machines())

    def test_wrong_secret(self):
        c = self.srv.client(key="AKIDSERVETEST", secret="wrong")
        self.err(c.list_state_machines, "InvalidSignatureException",
                 "The request signature we calculated does not match the signature you "
                 "provided. Check your AWS Secret Access Key and signing method. Consult the "
                 "service documentation for details.")
        self.raw_err("ListStateMachines", {}, "InvalidSignatureException",
                     key="AKIDSERVETEST", secret="wrong")

    def test_unknown_key(self):
        c = self.srv.client(key="AKIDOTHER", secret="serve/test+secret")
        self.err(c.list_state_machines, "UnrecognizedClientException",
                 "The security token included in the request is invalid.")

    def test_tampered(self):
        """A body changed after signing, or a signed header changed."""
        h, data = self.srv.signed("ListStateMachines", {"maxResults": 1})
        st, _, res = self.srv.raw(None, b'{"maxResults": 2}', headers=h, sign=False)
        self.assertEqual((st, res["__type"]), (400, "InvalidSignatureException"))
        h2 = dict(h)
        h2["X-Amz-Date"] = "20200101T000000Z"
        st, _, res = self.srv.raw(None, data, headers=h2, sign=False)
        self.assertEqual((st, res["__type"]), (400, "InvalidSignatureException"))
        st, _, res = self.srv.raw(None, data, headers=h, sign=False)
        self.assertEqual(st, 200, res)

    def test_out_of_time(self):
        """A signature is good 5 minutes either side of its date (AWS's words)."""
        import datetime
        now = datetime.datetime.utcnow()
        for delta, words in ((-3600, "Signature expired: "), (3600, "Signature not yet current: ")):
            when = now + datetime.timedelta(seconds=delta)
            h, data = self.srv.signed("ListStateMachines", {}, when=when)
            st, _, res = self.srv.raw(None, data, headers=h, sign=False)
            self.assertEqual((st, res["__type"]), (400, "InvalidSignatureException"), res)
            self.assertRegex(res["message"], "^" + words + when.strftime("%Y%m%dT%H%M%SZ") +
                             r" is (now earlier|still later) than \d{8}T\d{6}Z "
                             r"\(\d{8}T\d{6}Z [-+] 5 min\.\)$")
        h, data = self.srv.signed("ListStateMachines", {},
                                  when=now - datetime.timedelta(seconds=60))
        self.assertEqual(self.srv.raw(None, data, headers=h, sign=False)[0], 200)

    def test_unsigned(self):
        self.raw_err("ListStateMachines", {}, "MissingAuthenticationTokenException", sign=False)
        self.raw_err("ListStateMachines", {}, "MissingAuthenticationTokenException", sign=False,
                     headers={"Authorization": "Bearer abc"})


class Mocks(ServerCase):
    """A test case of Step Functions Local's mock config: ARN#TestCase."""

    @classmethod
    def prepare(cls):
        cls.server_args = ("--mock-config",
                           os.path.join(SRCDIR, "tests", "services", "MockConfigFile.json"))

    def definition(self):
        with open(os.path.join(SRCDIR, "tests", "services",
                               "LambdaSQSIntegration.asl.json")) as f:
            return f.read()

    def test_cases(self):
        sm = self.sfn.create_state_machine(name="LambdaSQSIntegration",
                                           definition=self.definition(),
                                           roleArn=ROLE)["stateMachineArn"]
        happy = self.run_to_end(sm + "#HappyPath", name="happy", input='{"n": 1}')
        self.assertEqual(happy["status"], "SUCCEEDED", happy)
        self.assertEqual(happy["executionArn"], PREFIX + "execution:LambdaSQSIntegration:happy")
        self.assertEqual(happy["stateMachineArn"], sm)
        self.assertEqual(json.loads(happy["output"]),
                         {"MD5OfMessageBody": "3bcb6e8e-7h85-4375-b0bc-1a59812c6e51",
                          "MessageId": "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"})
        retry = self.run_to_end(sm + "#RetryPath", name="retry")
        self.assertEqual(retry["status"], "SUCCEEDED", retry)
        h = full_history(self.sfn, retry["executionArn"])
        self.assertEqual(history_problems(h, "ExecutionSucceeded"), [])
        self.assertEqual([e["type"] for e in h].count("TaskFailed"), 3)
        failed = [e["taskFailedEventDetails"] for e in h if e["type"] == "TaskFailed"]
        self.assertEqual([f["error"] for f in failed],
                         ["Lambda.ResourceNotReadyException", "Lambda.TimeoutException",
                          "Lambda.TimeoutException"])
        runs = self.sfn.list_executions(stateMachineArn=sm)["executions"]
        self.assertEqual({e["name"] for e in runs}, {"happy", "retry"})
        # A case the config does not have.
        e = self.err(self.sfn.start_execution, "ValidationException",
                     stateMachineArn=sm + "#NoSuchCase")
        self.assertIn("NoSuchCase", e["Error"]["Message"])
        self.err(self.sfn.start_execution, "StateMachineDoesNotExist",
                 stateMachineArn=PREFIX + "stateMachine:Unknown#HappyPath")


class Persistence(unittest.TestCase):
    """--data DIR: a restart keeps machines, executions and histories; an
    execution running at a clean stop is ABORTED by the shutdown."""

    def test_restart(self):
        serverlib.quiet_aws_env()
        tmp = tempfile.mkdtemp(prefix="aslc-serve-data.")
        self.addCleanup(shutil.rmtree, tmp, True)
        tokens = os.path.join(tmp, "tokens")
        os.mkdir(tokens)
        bindings = os.path.join(tmp, "bindings.json")
        with open(bindings, "w") as f:
            json.dump({"arn:aws:lambda:*:*:function:Approver": {
                "program": [os.path.join(SRCDIR, "tests", "callback", "handler.sh")]}}, f)
        srv = Server("--bindings", bindings, data=os.path.join(tmp, "data"),
                     env={"CALLBACK_DIR": tokens})
        self.addCleanup(srv.close)
        srv.start()
        c = srv.client()
        sm = c.create_state_machine(name="kept", definition=defn(SMALL), roleArn=ROLE,
                                    tags=[{"key": "k", "value": "v"}])["stateMachineArn"]
        cb = c.create_state_machine(name="kept-cb", definition=defn(CALLBACK),
                                    roleArn=ROLE)["stateMachineArn"]
        act = c.create_activity(name="kept-act")["activityArn"]
        done = wait_done(c, c.start_execution(stateMachineArn=sm, name="done",
                                              input='{"a": 1}')["executionArn"])
        hist = full_history(c, done["executionArn"])
        running = c.start_execution(stateMachineArn=cb, name="running",
                                    input='{"i": 1}')["executionArn"]
        deadline = time.monotonic() + 120
        while not os.path.exists(os.path.join(tokens, "token.1")):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.02)
        machine = srv.call("DescribeStateMachine", {"stateMachineArn": sm})
        self.assertEqual(srv.stop(), 0)

        srv.start()
        c = srv.client()
        self.assertEqual(srv.call("DescribeStateMachine", {"stateMachineArn": sm}), machine)
        self.assertEqual({t["key"]: t["value"] for t in c.list_tags_for_resource(
            resourceArn=sm)["tags"]}, {"k": "v"})
        self.assertEqual(c.describe_activity(activityArn=act)["name"], "kept-act")
        again = c.describe_execution(executionArn=done["executionArn"])
        for k in ("status", "output", "input", "startDate", "stopDate"):
            self.assertEqual(again[k], done[k], k)
        self.assertEqual(full_history(c, done["executionArn"]), hist)
        stopped = c.describe_execution(executionArn=running)
        self.assertEqual(stopped["status"], "ABORTED")
        self.assertEqual(stopped["error"], "aslc.ServerStopped")
        self.assertTrue(stopped["cause"])
        self.assertEqual(history_problems(full_history(c, running), "ExecutionAborted"), [])
        # The machines still run after the restart (compiled again).
        d = wait_done(c, c.start_execution(stateMachineArn=sm, name="after",
                                           input='{"a": 1}')["executionArn"])
        self.assertEqual(d["output"], done["output"])
        self.assertEqual([e["name"] for e in c.list_executions(stateMachineArn=sm)["executions"]],
                         ["after", "done"])
        self.assertEqual(srv.stop(), 0)


if __name__ == "__main__":
    # unittest's report, then the line every script of make check ends with.
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    print("%d passed, %d failed (%d expected failures: known differences from AWS)"
          % (passed, failed, len(result.expectedFailures)))
    sys.exit(1 if failed else 0)
