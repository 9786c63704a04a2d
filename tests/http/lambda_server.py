#!/usr/bin/env python3
"""lambda_server.py - a small server of the AWS Lambda Invoke API, for the tests
of aslc's "http" task handler (runtime/task_http.c).

It serves POST /2015-03-31/functions/NAME/invocations[?Qualifier=Q] for the
test functions below, answering as Lambda does: the result as the body, a
function error with X-Amz-Function-Error, service errors with their status,
x-amzn-ErrorType and a JSON body {"Type", "message"}.

With --credentials KEY_ID:SECRET[:TOKEN] every request must be signed with AWS
Signature Version 4 for the service "lambda" in --region: the server recomputes
the signature from the request as AWS does and answers a mismatch with 403
(InvalidSignatureException), an unknown key or token with 403
(UnrecognizedClientException) and a missing signature with 403
(MissingAuthenticationTokenException).

It listens on 127.0.0.1 (--port, 0 = a free one), prints the port on stdout
(and writes it to --port-file) once it accepts connections, and with
--exit-on-eof stops when its standard input closes, so that a test that dies
never leaves it behind.  Python's standard library only.

Functions (NAME):
  echo          returns the event
  describe      returns what the request looked like (headers, qualifier, ...)
  handled       a function error, X-Amz-Function-Error: Handled
  unhandled     a function error, X-Amz-Function-Error: Unhandled
  unhandled-raw Unhandled with a payload that is not a Lambda error object
  sleep         sleeps event["seconds"], then returns {"slept": seconds}
  garbage       200 with a body that is not JSON
  empty         200 with an empty body (a function that returns nothing)
  not-http      answers bytes that are not HTTP at all, then closes
  big           a result over Step Functions' 256 KB quota
  logs          {"logged": true}, with X-Amz-Log-Result when asked for Tail
  versioned     X-Amz-Executed-Version: the qualifier's version (alias prod = 7)
  throttled     429 TooManyRequestsException
  broken        500 ServiceException
  bad-gateway   502 with an HTML body and no error code
  typed         400 with the code only in the body's __type
  odd           400 with a code Lambda does not declare
Any other name: 404 ResourceNotFoundException, as Lambda answers.
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ACCOUNT = "123456789012"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service "
    "documentation for details."
)
ALIASES = {"prod": "7"}


class Rejection(Exception):
    """A request the service refuses: status, error code, message."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def hmac_sha256(key, text):
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def aws_quote(text, safe):
    return urllib.parse.quote(text, safe=safe)


def canonical_query(query):
    """SigV4's canonical query: names and values decoded, re-encoded with
    only the unreserved characters left bare, sorted."""
    pairs = []
    for part in query.split("&") if query else []:
        name, _, value = part.partition("=")
        pairs.append((aws_quote(urllib.parse.unquote(name), "-_.~"),
                      aws_quote(urllib.parse.unquote(value), "-_.~")))
    pairs.sort()
    return "&".join("%s=%s" % p for p in pairs)


def canonical_uri(path):
    """Non-S3 services encode the (already encoded) path once more."""
    return aws_quote(path or "/", "/-_.~")


def check_signature(handler, body, creds, region):
    """Raises Rejection unless the request carries a valid SigV4 signature
    made with creds for region and the service lambda."""
    key_id, secret, token = creds
    auth = handler.headers.get("Authorization")
    if not auth:
        raise Rejection(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
    algo, _, rest = auth.partition(" ")
    if algo != "AWS4-HMAC-SHA256":
        raise Rejection(403, "IncompleteSignatureException",
                        "Unsupported signature algorithm: %s" % algo)
    fields = {}
    for item in rest.split(","):
        name, _, value = item.strip().partition("=")
        fields[name] = value
    try:
        credential = fields["Credential"]
        signed_headers = fields["SignedHeaders"]
        signature = fields["Signature"]
    except KeyError as missing:
        raise Rejection(403, "IncompleteSignatureException",
                        "Authorization header requires '%s' parameter." % missing.args[0])
    scope = credential.split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise Rejection(403, "IncompleteSignatureException", "Bad credential scope: %s" % credential)
    if scope[0] != key_id:
        raise Rejection(403, "UnrecognizedClientException",
                        "The security token included in the request is invalid.")
    if token is not None and handler.headers.get("X-Amz-Security-Token") != token:
        raise Rejection(403, "UnrecognizedClientException",
                        "The security token included in the request is invalid.")
    if scope[2] != region or scope[3] != "lambda":
        raise Rejection(403, "InvalidSignatureException",
                        "Credential should be scoped to a valid region and service "
                        "(lambda in %s), not '%s/%s'." % (region, scope[2], scope[3]))
    names = signed_headers.split(";")
    if "host" not in names or "x-amz-date" not in names:
        raise Rejection(403, "InvalidSignatureException",
                        "'Host' and 'X-Amz-Date' must be signed.")
    amz_date = handler.headers.get("X-Amz-Date", "")
    try:
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        raise Rejection(403, "IncompleteSignatureException", "Bad X-Amz-Date: %r" % amz_date)
    if scope[1] != amz_date[:8]:
        raise Rejection(403, "InvalidSignatureException",
                        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version "
                        "of date from HTTP: '%s' != '%s'" % (scope[1], amz_date[:8]))
    skew = abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds())
    if skew > 15 * 60:
        raise Rejection(403, "InvalidSignatureException", "Signature expired: %s" % amz_date)

    path, _, query = handler.path.partition("?")
    header_lines = []
    for name in names:
        values = handler.headers.get_all(name) or []
        value = ",".join(" ".join(v.strip().split()) for v in values)
        header_lines.append("%s:%s\n" % (name, value))
    canonical = "\n".join([
        handler.command,
        canonical_uri(path),
        canonical_query(query),
        "".join(header_lines),
        signed_headers,
        sha256_hex(body),
    ])
    to_sign = "\n".join([
        "AWS4-HMAC-SHA256",
        amz_date,
        "/".join(scope[1:]),
        sha256_hex(canonical.encode("utf-8")),
    ])
    key = ("AWS4" + secret).encode("utf-8")
    for part in scope[1:]:
        key = hmac_sha256(key, part)
    expected = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        if handler.server.verbose:
            sys.stderr.write("canonical request:\n%s\n" % canonical)
        raise Rejection(403, "InvalidSignatureException", SIGNATURE_MISMATCH)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "lambda-test-server"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("lambda_server: " + (fmt % args) + "\n")

    def reply(self, status, body, headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def reject(self, status, code, message, fault="User", with_header=True):
        headers = [("x-amzn-ErrorType", code)] if with_header else []
        self.reply(status, {"Type": fault, "message": message}, headers)

    def do_GET(self):
        self.reject(404, "UnknownOperationException", "Unknown operation")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        parts = path.split("/")
        if len(parts) != 5 or parts[:3] != ["", "2015-03-31", "functions"] or \
                parts[4] != "invocations":
            self.reject(404, "UnknownOperationException", "Unknown operation")
            return
        name = urllib.parse.unquote(parts[3])
        qualifier = urllib.parse.parse_qs(query).get("Qualifier", [None])[0]
        if self.server.creds:
            try:
                check_signature(self, body, self.server.creds, self.server.region)
            except Rejection as r:
                self.reject(r.status, r.code, r.message)
                return
        try:
            event = json.loads(body.decode("utf-8")) if body else {}
        except (ValueError, UnicodeDecodeError) as e:
            self.reject(400, "InvalidRequestContentException",
                        "Could not parse request body into json: %s" % e)
            return
        function = FUNCTIONS.get(name)
        if function is None:
            arn = "arn:aws:lambda:%s:%s:function:%s" % (self.server.region, ACCOUNT, name)
            if qualifier:
                arn += ":" + qualifier
            self.reject(404, "ResourceNotFoundException", "Function not found: " + arn)
            return
        function(self, event, qualifier)


def f_echo(h, event, qualifier):
    h.reply(200, event)


def f_describe(h, event, qualifier):
    h.reply(200, {
        "event": event,
        "qualifier": qualifier,
        "invocationType": h.headers.get("X-Amz-Invocation-Type"),
        "logType": h.headers.get("X-Amz-Log-Type"),
        "contentType": h.headers.get("Content-Type"),
        "signed": "Authorization" in h.headers,
        "token": h.headers.get("X-Amz-Security-Token"),
        "peerPort": h.client_address[1],
    })


def f_handled(h, event, qualifier):
    h.reply(200, {"errorMessage": "the order is invalid", "errorType": "InvalidOrder",
                  "stackTrace": ["at handler (index.js:3:11)"]},
            [("X-Amz-Function-Error", "Handled")])


def f_unhandled(h, event, qualifier):
    # As the Python runtime prints an uncaught exception (key order, spaces).
    body = ('{"errorMessage": "division by zero", "errorType": "ZeroDivisionError", '
            '"requestId": "0c2f9f3e-5d7a-4f0e-9b1e-1f4a4b1c2d3e", '
            '"stackTrace": ["  File \\"/var/task/app.py\\", line 2, in handler\\n"]}')
    h.reply(200, body.encode("utf-8"), [("X-Amz-Function-Error", "Unhandled")])


def f_unhandled_raw(h, event, qualifier):
    h.reply(200, b"Process exited before completing request",
            [("X-Amz-Function-Error", "Unhandled")])


def f_sleep(h, event, qualifier):
    seconds = float(event.get("seconds", 1)) if isinstance(event, dict) else 1.0
    time.sleep(seconds)
    h.reply(200, {"slept": seconds})


def f_garbage(h, event, qualifier):
    h.reply(200, b"this is not JSON {")


def f_empty(h, event, qualifier):
    h.reply(200, b"")


def f_not_http(h, event, qualifier):
    h.close_connection = True
    try:
        h.wfile.write(b"\x00\x01 garbage, not HTTP\r\n\r\n")
        h.wfile.flush()
    except (BrokenPipeError, ConnectionResetError):
        pass


def f_big(h, event, qualifier):
    h.reply(200, {"data": "x" * 300000})


def f_logs(h, event, qualifier):
    headers = []
    if h.headers.get("X-Amz-Log-Type") == "Tail":
        log = "START RequestId: 1 Version: $LATEST\nhello from the function\nEND RequestId: 1\n"
        headers.append(("X-Amz-Log-Result", base64.b64encode(log.encode()).decode()))
    h.reply(200, {"logged": True}, headers)


def f_versioned(h, event, qualifier):
    version = ALIASES.get(qualifier, qualifier) if qualifier else "$LATEST"
    h.reply(200, {"version": version}, [("X-Amz-Executed-Version", version)])


def f_throttled(h, event, qualifier):
    h.reply(429, {"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
                  "Type": "User", "message": "Rate Exceeded."},
            [("x-amzn-ErrorType", "TooManyRequestsException")])


def f_broken(h, event, qualifier):
    h.reject(500, "ServiceException", "An internal error occurred.", fault="Service")


def f_bad_gateway(h, event, qualifier):
    h.reply(502, b"<html><body>502 Bad Gateway</body></html>")


def f_typed(h, event, qualifier):
    h.reply(400, {"__type": "com.amazonaws.lambda#InvalidParameterValueException",
                  "message": "The payload is not what it should be."})


def f_odd(h, event, qualifier):
    h.reject(400, "SomethingNewException", "A new kind of failure.")


FUNCTIONS = {
    "echo": f_echo,
    "describe": f_describe,
    "handled": f_handled,
    "unhandled": f_unhandled,
    "unhandled-raw": f_unhandled_raw,
    "sleep": f_sleep,
    "garbage": f_garbage,
    "empty": f_empty,
    "not-http": f_not_http,
    "big": f_big,
    "logs": f_logs,
    "versioned": f_versioned,
    "throttled": f_throttled,
    "broken": f_broken,
    "bad-gateway": f_bad_gateway,
    "typed": f_typed,
    "odd": f_odd,
}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--credentials", help="KEY_ID:SECRET[:TOKEN]: require SigV4 signatures")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--exit-on-eof", action="store_true",
                        help="stop when standard input closes")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()

    server = Server(("127.0.0.1", args.port), Handler)
    server.verbose = args.verbose
    server.region = args.region
    server.creds = None
    if args.credentials:
        parts = args.credentials.split(":", 2)
        if len(parts) < 2 or not parts[0] or not parts[1]:
            parser.error("--credentials wants KEY_ID:SECRET[:TOKEN]")
        server.creds = (parts[0], parts[1], parts[2] if len(parts) == 3 else None)

    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    sys.stdout.write("%d\n" % port)
    sys.stdout.flush()

    if args.exit_on_eof:
        def watch():
            try:
                while sys.stdin.buffer.read(4096):
                    pass
            finally:
                os._exit(0)
        threading.Thread(target=watch, daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
