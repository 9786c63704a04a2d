"""awsproto.py - what the protocol servers of tests/services/aws/ share.

Turns an HTTP request signed for an AWS service into a call of one of the
service's actions with its parameters checked against botocore's service
model, and the action's result or error into the response AWS sends, in
the query protocol (form-encoded `Action=...`, XML answers: SQS and SNS) or
in AWS's JSON protocols (`X-Amz-Target: Prefix.Action`, JSON answers:
EventBridge's awsJson1_1, SQS's awsJson1_0).  The model is the one
botocore ships (Debian's python3-botocore): its shapes say which members
an action takes, which are required and of which types.  Newer botocore
describes SQS in awsJson1_0 only, without the query protocol's element
names; where the model gives none, the names are the query services' own
convention: one item of a flattened list or map in the singular of the
member's name (or its structure's name), map entries as Name and Value.

A server subclasses Service, names its model, and defines one method per
action it implements (`def SendMessage(self, req, params)`), returning the
output as a dict shaped as the model's output shape, or raising
ServiceError.  Every server also has these test-only endpoints (never
signed):

  GET  /_aslc/requests          every call received: [{"action", "params"}]
  POST /_aslc/throttle?count=N  the next N calls get the throttling error
  POST /_aslc/delay?count=N&seconds=S   the next N calls are answered only
                                after S seconds (an endpoint that hangs)
  GET  /_aslc/health            200 once the server answers

Command line (each server's main): --port 0 picks a free port, written to
--port-file F; --account gives the account id in ARNs and queue URLs
(123456789012 by default); --access-key K answers requests signed with
another key id as AWS answers an unknown one; --throttle N throttles the
first N calls.
"""

import argparse
import base64
import datetime
import http.server
import json
import os
import re
import sys
import threading
import time
import traceback
import urllib.parse
import uuid

import botocore.loaders
import botocore.model



class ServiceError(Exception):
    """An error answer: the query protocol's Code and the JSON protocols'
    __type (the model's shape name), an HTTP status and the message."""

    def __init__(self, code, message, status=400, shape=None, sender=True):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.shape = shape or code
        self.sender = sender


class Request:
    """One call: action, parameters, where it came from (Host, path)."""

    def __init__(self, action, params, protocol, host, path, key_id):
        self.action = action
        self.params = params
        self.protocol = protocol
        self.host = host
        self.path = path
        self.key_id = key_id


def singular(name):
    """The element name of one item of a flattened list or map that the
    model leaves unnamed: AWS's query services name it in the singular
    ("QueueUrls" -> "QueueUrl", "Entries" -> "Entry")."""
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith("s") and not name.endswith("ss"):
        return name[:-1]
    return name


def now():
    """The current time, in UTC."""
    return datetime.datetime.now(datetime.timezone.utc)


def iso8601(t):
    """T as ISO 8601 with milliseconds, as the query protocol writes times."""
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


# ---- checking parameters against the model ----------------------------------


class Checker:
    """Reports a parameter the model requires and the request lacks, or one
    of the wrong type, as the service words it (overridden per service)."""

    def missing(self, path):
        """The error of a required member PATH that is absent."""
        return ServiceError("MissingParameter",
                            "The request must contain the parameter %s." % path)

    def wrong_type(self, path, value, type_name):
        """The error of VALUE at PATH, not of type TYPE_NAME."""
        return ServiceError("InvalidParameterValue",
                            "Value %s for parameter %s is invalid. Reason: must be of type %s."
                            % (value, path, type_name))


def check(value, shape, path, checker, empty_is_missing=False):
    """Checks VALUE (already parsed) against SHAPE; raises ServiceError."""
    t = shape.type_name
    if t == "structure":
        if not isinstance(value, dict):
            raise checker.wrong_type(path, value, "structure")
        for name in shape.required_members:
            v = value.get(name)
            if v is None or (empty_is_missing and v == ""):
                raise checker.missing(path + "." + name if path else name)
        for name, member in shape.members.items():
            if name in value and value[name] is not None:
                check(value[name], member, path + "." + name if path else name,
                      checker, empty_is_missing)
    elif t == "list":
        if not isinstance(value, list):
            raise checker.wrong_type(path, value, "list")
        for i, item in enumerate(value):
            check(item, shape.member, "%s.%d" % (path, i + 1), checker, empty_is_missing)
    elif t == "map":
        if not isinstance(value, dict):
            raise checker.wrong_type(path, value, "map")
        for k, v in value.items():
            check(v, shape.value, "%s.%s" % (path, k), checker, empty_is_missing)
    elif t == "string":
        if not isinstance(value, str):
            raise checker.wrong_type(path, value, "string")
    elif t in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise checker.wrong_type(path, value, t)
    elif t in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise checker.wrong_type(path, value, t)
    elif t == "boolean":
        if not isinstance(value, bool):
            raise checker.wrong_type(path, value, t)
    elif t == "blob":
        if not isinstance(value, bytes):
            raise checker.wrong_type(path, value, t)
    elif t == "timestamp":
        if not isinstance(value, datetime.datetime):
            raise checker.wrong_type(path, value, t)


# ---- the query protocol: form parameters to values ---------------------------


class BadValue(Exception):
    """A form value that is not of its member's type."""

    def __init__(self, value, type_name):
        super().__init__(value)
        self.value = value
        self.type_name = type_name
        self.path = ""

    def within(self, name):
        """Prefixes the member's path with NAME, on the way out."""
        self.path = name + ("." + self.path if self.path else "")
        return self


def form_tree(pairs):
    """`A.1.B=x` pairs -> nested dicts {"A": {"1": {"B": "x"}}}."""
    tree = {}
    for key, value in pairs:
        node = tree
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = value
    return tree


def lookup(node, names):
    """The entry of NODE under the first of NAMES it has, case aside."""
    lowered = {k.lower(): k for k in node}
    for name in names:
        if name and name.lower() in lowered:
            return node[lowered[name.lower()]]
    return None


def member_names(name, member):
    """The form names a structure's member may have: its locationName, its
    own name, and for a flattened list or map the name of one item."""
    names = [member.serialization.get("name"), name]
    if member.type_name == "list":
        names.append(member.member.serialization.get("name"))
        if member.member.type_name == "structure":
            names.append(member.member.name)
    if member.type_name in ("list", "map"):
        names.append(singular(name))
    return names


def items(node):
    """The numbered items of NODE (`1`, `2`, ...) in order."""
    if not isinstance(node, dict):
        return None
    keys = [k for k in node if k.isdigit()]
    if len(keys) != len(node):
        return None
    return [node[k] for k in sorted(keys, key=int)]


def from_form(node, shape):
    """The value of SHAPE that the form subtree NODE holds."""
    t = shape.type_name
    if t == "structure":
        if not isinstance(node, dict):
            raise BadValue(node, "structure")
        out = {}
        for name, member in shape.members.items():
            sub = lookup(node, member_names(name, member))
            if sub is not None:
                try:
                    out[name] = from_form(sub, member)
                except BadValue as e:
                    raise e.within(name)
        return out
    if t == "list":
        entries = items(node)
        if entries is None and isinstance(node, dict) and len(node) == 1:
            entries = items(next(iter(node.values())))    # A.member.1
        if entries is None:
            raise BadValue(node, "list")
        return [indexed(from_form, e, shape.member, i) for i, e in enumerate(entries)]
    if t == "map":
        entries = items(node)
        if entries is None and isinstance(node, dict) and len(node) == 1:
            entries = items(next(iter(node.values())))    # A.entry.1
        if entries is None:
            raise BadValue(node, "map")
        out = {}
        for e in entries:
            if not isinstance(e, dict):
                raise BadValue(e, "map entry")
            k = lookup(e, [shape.key.serialization.get("name"), "key", "Name"])
            v = lookup(e, [shape.value.serialization.get("name"), "value", "Value"])
            if not isinstance(k, str) or v is None:
                raise BadValue(e, "map entry")
            out[k] = from_form(v, shape.value)
        return out
    if not isinstance(node, str):
        raise BadValue(node, t)
    if t in ("integer", "long"):
        if not re.fullmatch(r"[+-]?[0-9]+", node):
            raise BadValue(node, t)
        return int(node)
    if t in ("float", "double"):
        try:
            return float(node)
        except ValueError:
            raise BadValue(node, t)
    if t == "boolean":
        if node.lower() not in ("true", "false"):
            raise BadValue(node, t)
        return node.lower() == "true"
    if t == "blob":
        try:
            return base64.b64decode(node, validate=True)
        except ValueError:
            raise BadValue(node, t)
    if t == "timestamp":
        return parse_time(node, t)
    return node


def indexed(convert, value, shape, i):
    """CONVERT(VALUE, SHAPE) for item I of a list, which a BadValue's path
    names (1 for the first, as the query protocol counts)."""
    try:
        return convert(value, shape)
    except BadValue as e:
        raise e.within(str(i + 1))


def parse_time(value, t):
    """An ISO 8601 time or epoch seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    if isinstance(value, str):
        try:
            return datetime.datetime.fromtimestamp(float(value), datetime.timezone.utc)
        except ValueError:
            pass
        try:
            d = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return d if d.tzinfo else d.replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            pass
    raise BadValue(value, t)


# ---- the JSON protocols: JSON values to values -------------------------------


def from_json(value, shape):
    """VALUE decoded from JSON, with blobs and timestamps converted."""
    t = shape.type_name
    if value is None:
        return None
    if t == "structure" and isinstance(value, dict):
        out = {}
        for k, v in value.items():
            try:
                out[k] = from_json(v, shape.members[k]) if k in shape.members else v
            except BadValue as e:
                raise e.within(k)
        return out
    if t == "list" and isinstance(value, list):
        return [indexed(from_json, v, shape.member, i) for i, v in enumerate(value)]
    if t == "map" and isinstance(value, dict):
        return {k: from_json(v, shape.value) for k, v in value.items()}
    if t == "blob" and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except ValueError:
            raise BadValue(value, t)
    if t == "timestamp":
        return parse_time(value, t)
    return value


def to_json(value, shape):
    """VALUE as JSON: blobs base64, timestamps epoch seconds."""
    t = shape.type_name
    if t == "structure":
        return {k: to_json(v, shape.members[k]) for k, v in value.items()
                if v is not None and k in shape.members}
    if t == "list":
        return [to_json(v, shape.member) for v in value]
    if t == "map":
        return {k: to_json(v, shape.value) for k, v in value.items()}
    if t == "blob":
        return base64.b64encode(value).decode()
    if t == "timestamp":
        return value.timestamp() if isinstance(value, datetime.datetime) else value
    return value


# ---- the query protocol's XML answers ---------------------------------------


def xml_escape(s):
    """S escaped for XML text."""
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\r", "&#xD;"))


def xml_scalar(value, shape):
    """The XML text of a scalar VALUE of SHAPE."""
    t = shape.type_name
    if t == "boolean":
        return "true" if value else "false"
    if t == "blob":
        return base64.b64encode(value).decode()
    if t == "timestamp" and isinstance(value, datetime.datetime):
        return iso8601(value)
    return xml_escape(str(value))


def to_xml(value, shape, out):
    """Appends the XML content of VALUE, of SHAPE, to the list OUT, one
    opening tag, closing tag or element with text at a time."""
    for name, member in shape.members.items():
        if value.get(name) is None:
            continue
        v = value[name]
        tag = member.serialization.get("name") or name
        if member.type_name == "list":
            item = member.member
            if member.serialization.get("flattened"):
                tag = (member.serialization.get("name") or item.serialization.get("name")
                       or (item.name if item.type_name == "structure" else singular(name)))
                for x in v:
                    xml_item(tag, x, item, out)
            else:
                out.append("<%s>" % tag)
                for x in v:
                    xml_item(item.serialization.get("name") or "member", x, item, out)
                out.append("</%s>" % tag)
        elif member.type_name == "map":
            flat = member.serialization.get("flattened")
            # Flattened maps (SQS's) name their entries' parts Name and Value.
            kname = member.key.serialization.get("name") or ("Name" if flat else "key")
            vname = member.value.serialization.get("name") or ("Value" if flat else "value")
            if flat:
                tag = member.serialization.get("name") or singular(name)
            else:
                out.append("<%s>" % tag)
                tag = "entry"
            for k, x in v.items():
                out.append("<%s>" % tag)
                out.append("<%s>%s</%s>" % (kname, xml_escape(k), kname))
                xml_item(vname, x, member.value, out)
                out.append("</%s>" % tag)
            if not flat:
                out.append("</%s>" % (member.serialization.get("name") or name))
        else:
            xml_item(tag, v, member, out)


def xml_text(tokens, pretty):
    """The tokens of to_xml as one document: compact, or indented by two
    spaces a level with a newline at the end (as SNS answers)."""
    if not pretty:
        return "".join(tokens)
    lines = []
    depth = 0
    for t in tokens:
        if t.startswith("</"):
            depth -= 1
            lines.append("  " * depth + t)
        elif t.endswith("/>") or "</" in t:
            lines.append("  " * depth + t)
        else:
            lines.append("  " * depth + t)
            depth += 1
    return "\n".join(lines) + "\n"


def xml_item(tag, value, shape, out):
    """Appends one element TAG holding VALUE, of SHAPE, to OUT."""
    if shape.type_name == "structure":
        out.append("<%s>" % tag)
        to_xml(value, shape, out)
        out.append("</%s>" % tag)
    else:
        out.append("<%s>%s</%s>" % (tag, xml_scalar(value, shape), tag))


# ---- the service and its HTTP server ----------------------------------------


class Service:
    """One AWS service over HTTP, its model loaded from botocore."""

    model_name = None          # botocore's name: "sqs", "sns", "events"
    xml_namespace = None       # the query protocol's, when the model has none
    json_version = None        # "1.0" or "1.1": the JSON protocol it speaks
    speaks_query = True        # whether it speaks the query protocol too
    target_prefix = None       # X-Amz-Target's prefix
    throttle_error = None      # ServiceError of a throttled call
    pretty_xml = False         # XML answers indented (SNS) or compact (SQS)
    checker = Checker()

    def __init__(self, args):
        raw = botocore.loaders.create_loader().load_service_model(self.model_name, "service-2")
        self.model = botocore.model.ServiceModel(raw, self.model_name)
        self.region = args.region
        self.account = args.account
        self.access_key = args.access_key
        self.throttle = args.throttle
        self.delays = 0            # calls still to delay, and by how long
        self.delay_seconds = 0.0
        self.lock = threading.Condition()
        self.calls = []

    # Hooks a service may override.

    def json_error_type(self, err):
        """The __type of ERR in a JSON answer."""
        return err.shape

    def json_error_headers(self, err):
        """Headers an error's JSON answer carries besides the body."""
        return {}

    def auth_missing_error(self, protocol):
        """The error of a request without credentials."""
        if protocol == "query":
            return ServiceError("MissingAuthenticationToken",
                                "Request is missing Authentication Token", 403)
        return ServiceError("MissingAuthenticationTokenException",
                            "Missing Authentication Token", 403)

    def auth_wrong_error(self, protocol):
        """The error of a request signed with an unknown access key id."""
        if protocol == "query":
            return ServiceError("InvalidClientTokenId",
                                "The security token included in the request is invalid.", 403)
        return ServiceError("UnrecognizedClientException",
                            "The security token included in the request is invalid.", 400)

    def unknown_action(self, action, protocol):
        """The error of an action the model does not have."""
        if protocol == "query":
            return ServiceError("InvalidAction",
                                "The action %s is not valid for this web service." % action)
        return ServiceError("UnknownOperationException", "", 400)

    def empty_is_missing(self, protocol):
        """Whether an empty string counts as a missing required member."""
        return False

    # The call itself.

    def call(self, protocol, action, body_params, host, path, key_id):
        """Checks and runs ACTION; returns its output dict or raises."""
        try:
            op = self.model.operation_model(action)
        except Exception:
            op = None
        if op is None or not hasattr(self, action):
            raise self.unknown_action(action, protocol)
        try:
            if protocol == "query":
                params = from_form(body_params, op.input_shape) if op.input_shape else {}
            else:
                params = from_json(body_params, op.input_shape) if op.input_shape else {}
        except BadValue as e:
            raise self.checker.wrong_type(e.path, e.value, e.type_name)
        if op.input_shape:
            check(params, op.input_shape, "", self.checker, self.empty_is_missing(protocol))
        req = Request(action, params, protocol, host, path, key_id)
        with self.lock:
            self.calls.append({"action": action, "params": jsonable(params, op.input_shape)})
            if self.throttle > 0:
                self.throttle -= 1
                raise self.throttle_error
        return op, getattr(self, action)(req, params) or {}


def jsonable(value, shape):
    """VALUE of SHAPE as JSON for the request log."""
    return to_json(value, shape) if shape else value


class Handler(http.server.BaseHTTPRequestHandler):
    """The HTTP side: one request, its protocol, its answer."""
    protocol_version = "HTTP/1.1"
    service = None    # set by serve()

    def log_message(self, fmt, *args):
        """No access log: the tests read /_aslc/requests."""
        pass

    def send(self, status, body, content_type, headers=None, request_id=None):
        """Answers with the headers AWS sends, in its order: the request id
        (the one in an XML body too), Connection, Content-Length, Date,
        Content-Type, and HEADERS."""
        data = body.encode() if isinstance(body, str) else body
        self.send_response_only(status)
        self.send_header("x-amzn-RequestId", request_id or str(uuid.uuid4()))
        self.send_header("Connection", "keep-alive")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Date", self.date_time_string())
        self.send_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass                   # the client gave up waiting (a delayed call)

    def do_GET(self):
        """A query-protocol call sent with GET, or a test endpoint."""
        self.handle_any(b"")

    def do_POST(self):
        """A call, or a test endpoint."""
        self.handle_any(self.read_body())

    def read_body(self):
        """The request's body, of a Content-Length or chunked."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def handle_any(self, body):
        """Authenticates, parses, checks and runs one call; answers it."""
        svc = self.service
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith("/_aslc/"):
            return self.test_endpoint(url, body)
        with svc.lock:
            delay = svc.delay_seconds if svc.delays > 0 else 0
            svc.delays = max(svc.delays - 1, 0)
        if delay:
            time.sleep(delay)
        target = self.headers.get("X-Amz-Target")
        # A JSON call names its action in X-Amz-Target; a query call in Action.
        if svc.json_version and (target or not svc.speaks_query):
            protocol = "json"
        else:
            protocol = "query"
        request_id = str(uuid.uuid4())
        try:
            key_id = self.key_id()
            if key_id is None:
                raise svc.auth_missing_error(protocol)
            if svc.access_key is not None and key_id != svc.access_key:
                raise svc.auth_wrong_error(protocol)
            if protocol == "query":
                pairs = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
                pairs += urllib.parse.parse_qsl(body.decode("utf-8", "replace"),
                                                keep_blank_values=True)
                params = form_tree(pairs)
                action = params.pop("Action", None)
                params.pop("Version", None)
                if not isinstance(action, str) or not action:
                    raise ServiceError("MissingAction", "The request is missing an action.")
            else:
                if not target or "." not in target:
                    raise svc.unknown_action(target or "", protocol)
                prefix, action = target.rsplit(".", 1)
                if prefix != svc.target_prefix:
                    raise svc.unknown_action(target, protocol)
                try:
                    params = json.loads(body or b"{}")
                except ValueError:
                    raise ServiceError("SerializationException", "", 400)
                if not isinstance(params, dict):
                    raise ServiceError("SerializationException", "", 400)
            op, result = svc.call(protocol, action, params, self.headers.get("Host", ""),
                                  url.path, key_id)
        except ServiceError as err:
            return self.send_error_answer(protocol, err, request_id)
        except Exception as e:     # a bug of this server: said, not hidden
            traceback.print_exc()
            return self.send_error_answer(protocol, ServiceError(
                "InternalFailure", "test server error: %r" % e, 500, sender=False), request_id)
        if protocol == "query":
            return self.send_query_result(op, result, request_id)
        shape = op.output_shape
        data = json.dumps(to_json(result, shape) if shape else {}, separators=(",", ":"))
        self.send(200, data, "application/x-amz-json-%s" % svc.json_version,
                  request_id=request_id)

    def key_id(self):
        """The access key id the request is signed with, or None."""
        auth = self.headers.get("Authorization")
        if auth:
            m = re.search(r"Credential=([^/,\s]+)", auth)
            return m.group(1) if m else ""
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        if "X-Amz-Credential" in q:
            return q["X-Amz-Credential"][0].split("/")[0]
        return None

    def send_query_result(self, op, result, request_id):
        """The query protocol's XML answer to a call of OP."""
        svc = self.service
        ns = svc.model.metadata.get("xmlNamespace") or svc.xml_namespace
        wrapper = op.output_shape.serialization.get("resultWrapper") if op.output_shape else None
        out = ['<%sResponse xmlns="%s">' % (op.name, ns)]
        if op.output_shape:
            out.append("<%s>" % (wrapper or op.name + "Result"))
            to_xml(result, op.output_shape, out)
            out.append("</%s>" % (wrapper or op.name + "Result"))
        out += ["<ResponseMetadata>", "<RequestId>%s</RequestId>" % request_id,
                "</ResponseMetadata>", "</%sResponse>" % op.name]
        text = xml_text(out, svc.pretty_xml)
        if not svc.pretty_xml:
            text = '<?xml version="1.0"?>' + text
        self.send(200, text, "text/xml", request_id=request_id)

    def send_error_answer(self, protocol, err, request_id):
        """ERR as the protocol's error answer."""
        svc = self.service
        if protocol == "query":
            ns = svc.model.metadata.get("xmlNamespace") or svc.xml_namespace
            tokens = ['<ErrorResponse xmlns="%s">' % ns, "<Error>",
                      "<Type>%s</Type>" % ("Sender" if err.sender else "Receiver"),
                      "<Code>%s</Code>" % xml_escape(err.code),
                      "<Message>%s</Message>" % xml_escape(err.message)]
            if not svc.pretty_xml:
                tokens.append("<Detail/>")
            tokens += ["</Error>", "<RequestId>%s</RequestId>" % request_id, "</ErrorResponse>"]
            body = xml_text(tokens, svc.pretty_xml)
            if not svc.pretty_xml:
                body = '<?xml version="1.0"?>' + body
            return self.send(err.status, body, "text/xml", request_id=request_id)
        body = {"__type": svc.json_error_type(err)}
        if err.message:
            body["message"] = err.message
        self.send(err.status, json.dumps(body, separators=(",", ":")),
                  "application/x-amz-json-%s" % svc.json_version, svc.json_error_headers(err),
                  request_id)

    def test_endpoint(self, url, body):
        """The /_aslc/ endpoints (see the top of the file)."""
        svc = self.service
        q = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/_aslc/health":
            return self.send(200, "{}", "application/json")
        if url.path == "/_aslc/requests":
            with svc.lock:
                return self.send(200, json.dumps(svc.calls), "application/json")
        if url.path == "/_aslc/throttle" and self.command == "POST":
            with svc.lock:
                svc.throttle = int(q.get("count", "1"))
            return self.send(200, "{}", "application/json")
        if url.path == "/_aslc/delay" and self.command == "POST":
            with svc.lock:
                svc.delays = int(q.get("count", "1"))
                svc.delay_seconds = float(q.get("seconds", "60"))
            return self.send(200, "{}", "application/json")
        answer = svc.test_endpoint(url.path, q) if hasattr(svc, "test_endpoint") else None
        if answer is None:
            return self.send(404, '{"message":"no such test endpoint"}', "application/json")
        return self.send(200, json.dumps(answer), "application/json")


def main(service_class, description):
    """Parses the command line, serves until killed."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--port", type=int, default=0, help="port (0: a free one)")
    p.add_argument("--port-file", help="write the port here once listening")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    p.add_argument("--account", default="123456789012", help="account id in ARNs and URLs")
    p.add_argument("--access-key", help="the only access key id accepted")
    p.add_argument("--throttle", type=int, default=0,
                   help="answer the first N calls with the throttling error")
    service_class.add_arguments(p)
    args = p.parse_args()
    service = service_class(args)
    handler = type("BoundHandler", (Handler,), {"service": service})
    server = http.server.ThreadingHTTPServer((args.host, args.port), handler)
    server.daemon_threads = True
    service.server_port = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % service.server_port)
        os.replace(args.port_file + ".tmp", args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def add_no_arguments(parser):
    """A service without command-line options of its own."""
    pass


Service.add_arguments = staticmethod(add_no_arguments)


if __name__ == "__main__":
    sys.exit("awsproto.py is a module: run sqs_server.py, sns_server.py or events_server.py")
