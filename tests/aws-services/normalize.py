#!/usr/bin/env python3
"""normalize.py - an execution's output (JSON on stdin) turned into the text
tests/run-aws-services.sh compares with tests/aws-services/expected/*.json:
the values that differ from call to call replaced by a placeholder, after
checking that each has the form AWS gives it, so that everything else is
compared exactly:

  request ids (x-amzn-RequestId, RequestId, "Request ID: ..." in a Cause)
                                      -> "<request-id>"
  the HTTP Date header                -> "<date>" (an RFC 822 date)
  Content-Length, x-amz-crc32         -> "<length>", "<crc32>" (digits)
  ids (MessageId, EventId, TableId)   -> "<id>"
  ISO 8601 dates in UTC, as Step Functions prints timestamps
                                      -> "<iso-date>"

Text that holds a JSON object (EventBridge.FailedEntry's Cause) is treated
the same way inside.  The arguments name top-level keys to leave out (the
execution's input, which holds the servers' ports).

A value of the wrong form is left as it is and so fails the comparison.
Prints the result with sorted keys, one line."""
import json
import re
import sys

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")
RFC822 = re.compile(r"^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$")
ID = re.compile(r"^[0-9A-Za-z-]{16,}$")
DIGITS = re.compile(r"^\d+$")
BY_KEY = {
    "x-amzn-requestid": ("<request-id>", ID),
    "requestid": ("<request-id>", ID),
    "date": ("<date>", RFC822),
    "content-length": ("<length>", DIGITS),
    "x-amz-crc32": ("<crc32>", DIGITS),
    "messageid": ("<id>", ID),
    "eventid": ("<id>", ID),
    "tableid": ("<id>", ID),
}


def scalar(key, v):
    rule = BY_KEY.get((key or "").lower())
    if rule and isinstance(v, str) and rule[1].match(v):
        return rule[0]
    if isinstance(v, str):
        if v.startswith("{"):
            try:
                return json.dumps(walk(json.loads(v)), sort_keys=True)
            except ValueError:
                pass
        if ISO.match(v):
            return "<iso-date>"
        return re.sub(r"Request ID: [0-9A-Za-z-]+", "Request ID: <request-id>", v)
    return v


def walk(v, key=None):
    if isinstance(v, dict):
        return {k: walk(x, k) for k, x in v.items()}
    if isinstance(v, list):
        return [walk(x, key) for x in v]
    return scalar(key, v)


out = walk(json.loads(sys.stdin.read()))
if isinstance(out, dict):
    for key in sys.argv[1:]:
        out.pop(key, None)
print(json.dumps(out, sort_keys=True))
