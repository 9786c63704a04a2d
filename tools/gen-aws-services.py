#!/usr/bin/env python3
"""gen-aws-services.py - turns botocore's service models into the C table of
runtime/aws/services.c (see runtime/aws/aws.h for its types).

    tools/gen-aws-services.py BOTOCORE_DATA_DIR OUTPUT.c

For every service (the newest API version whose service-2.json exists) the
table holds its names (the aws-sdk name Step Functions uses, the SDK client
name its errors carry, the service id, the AWS_ENDPOINT_URL_<NAME> suffix),
its protocol and signing data (for rest-xml also the XML namespace of its
request bodies), its modeled errors and its operations.  The
protocols that need shapes to write a request or read an answer (query,
ec2, rest-xml) keep every shape their operations reach; rest-json keeps the
shapes two levels down from each operation's input and output, enough for
the members that travel in the URI, the query string and the headers.  The
naming rules are written down in doc/behaviour.md §25.
"""
import gzip
import json
import os
import re
import sys

PROTOCOLS = {"json": "ASLRTP_AWS_JSON", "rest-json": "ASLRTP_AWS_REST_JSON",
             "query": "ASLRTP_AWS_QUERY", "ec2": "ASLRTP_AWS_EC2",
             "rest-xml": "ASLRTP_AWS_REST_XML"}
TYPES = {"structure": "STRUCTURE", "list": "LIST", "map": "MAP", "string": "STRING",
         "integer": "INTEGER", "long": "LONG", "boolean": "BOOLEAN", "double": "DOUBLE",
         "float": "FLOAT", "timestamp": "TIMESTAMP", "blob": "BLOB"}
LOCATIONS = {None: "BODY", "uri": "URI", "querystring": "QUERY", "header": "HEADER",
             "headers": "HEADERS", "statusCode": "STATUS"}


def load_model(data, svc):
    """The newest service-2 model of svc, or None."""
    best = None
    for version in sorted(os.listdir(os.path.join(data, svc))):
        for name in ("service-2.json", "service-2.json.gz"):
            path = os.path.join(data, svc, version, name)
            if os.path.exists(path):
                best = path
    if not best:
        return None
    opener = gzip.open if best.endswith(".gz") else open
    with opener(best, "rt", encoding="utf-8") as f:
        return json.load(f)


def words(service_id):
    """The words of a service id, as the AWS SDK for Java 2 splits them.

    >>> words("DynamoDB"), words("CloudWatch Logs"), words("S3"), words("ApiGatewayV2")
    (['Dynamo', 'DB'], ['Cloud', 'Watch', 'Logs'], ['S3'], ['Api', 'Gateway', 'V2'])
    """
    out = []
    for tok in re.split(r"[^A-Za-z0-9]+", service_id):
        out += re.findall(r"[A-Z]+(?![a-z])[0-9]*|[A-Z]?[a-z]+[0-9]*|[0-9]+", tok)
    return out


def client_name(service_id):
    """The SDK client name: each word capitalized, the rest lower case,
    without a leading Amazon/Aws or a trailing Service.

    >>> [client_name(s) for s in ("DynamoDB", "SFN", "Secrets Manager", "EventBridge")]
    ['DynamoDb', 'Sfn', 'SecretsManager', 'EventBridge']
    """
    ws = [w[0].upper() + w[1:].lower() for w in words(service_id)]
    while len(ws) > 1 and ws[0] in ("Amazon", "Aws"):
        ws = ws[1:]
    if len(ws) > 1 and ws[-1] == "Service":
        ws = ws[:-1]
    return "".join(ws)


class Strings:
    """One pool for every string of the table: the table holds offsets
    (0 is NULL), so it needs no relocations when the library loads."""

    def __init__(self):
        self.text = ["\\000"]
        self.size = 1
        self.at = {}

    def __call__(self, s):
        if s is None:
            return "0"
        if s not in self.at:
            self.at[s] = self.size
            self.text.append(s.replace("\\", "\\\\").replace('"', '\\"') + "\\000")
            self.size += len(s.encode("utf-8")) + 1
        return str(self.at[s])


cstr = Strings()


class Emitter:
    """Collects one service's shapes and members in the table's order."""

    def __init__(self, model, depth_limit):
        self.shapes_in = model["shapes"]
        self.depth_limit = depth_limit
        self.index = {}
        self.scalars = {}
        self.shapes = []     # [type, flags, first, count, tsformat]
        self.members = []    # [name, wire, shape, location, flags]

    def shape(self, name, depth=0):
        """The index of shape name, emitting it (and what it reaches, up to
        the depth limit) the first time; -1 past the limit."""
        if name in self.index:
            return self.index[name]
        if self.depth_limit is not None and depth > self.depth_limit:
            return -1
        sh = self.shapes_in[name]
        if sh["type"] not in ("structure", "list", "map"):
            # Scalars of one kind are one row.
            key = (sh["type"], bool(sh.get("streaming")), sh.get("timestampFormat"))
            if key in self.scalars:
                self.index[name] = self.scalars[key]
                return self.scalars[key]
            self.scalars[key] = len(self.shapes)
        i = len(self.shapes)
        self.index[name] = i
        flags = []
        if sh.get("flattened"):
            flags.append("ASLRTP_SHAPE_FLATTENED")
        if sh.get("exception"):
            flags.append("ASLRTP_SHAPE_EXCEPTION")
        if sh.get("streaming"):
            flags.append("ASLRTP_SHAPE_STREAMING")
        row = [TYPES[sh["type"]], "|".join(flags) or "0", 0, 0, sh.get("timestampFormat")]
        self.shapes.append(row)
        if sh["type"] == "structure":
            members = list(sh.get("members", {}).items())
            required = set(sh.get("required", []))
            payload = sh.get("payload")
            row[2], row[3] = len(self.members), len(members)
            slots = []
            for mname, m in members:
                slots.append(len(self.members))
                self.members.append(None)
            for slot, (mname, m) in zip(slots, members):
                self.members[slot] = self.member(mname, m, depth, mname in required,
                                                 mname == payload)
        elif sh["type"] == "list":
            row[2], row[3] = len(self.members), 1
            self.members.append(None)
            self.members[row[2]] = self.member("member", sh["member"], depth, False, False)
        elif sh["type"] == "map":
            row[2], row[3] = len(self.members), 2
            self.members += [None, None]
            self.members[row[2]] = self.member("key", sh["key"], depth, False, False)
            self.members[row[2] + 1] = self.member("value", sh["value"], depth, False, False)
        return i

    def member(self, mname, m, depth, required, payload):
        flags = []
        if m.get("xmlAttribute"):
            flags.append("ASLRTP_MEMBER_XML_ATTRIBUTE")
        if m.get("flattened"):
            flags.append("ASLRTP_MEMBER_FLATTENED")
        if required:
            flags.append("ASLRTP_MEMBER_REQUIRED")
        if payload:
            flags.append("ASLRTP_MEMBER_PAYLOAD")
        wire = m.get("locationName")
        if m.get("queryName"):
            wire = m["queryName"]
        return [mname, wire if wire != mname else None, self.shape(m["shape"], depth + 1),
                LOCATIONS[m.get("location")], "|".join(flags) or "0"]


def xml_namespace(model):
    """The namespace of a rest-xml service's request bodies (one per
    service), or None."""
    found = []
    for op in model["operations"].values():
        found.append(op.get("input", {}).get("xmlNamespace", {}).get("uri"))
    for sh in model["shapes"].values():
        found.append(sh.get("xmlNamespace", {}).get("uri"))
        for m in sh.get("members", {}).values():
            found.append(m.get("xmlNamespace", {}).get("uri"))
    found = sorted(set(u for u in found if u and "XMLSchema-instance" not in u))
    return found[0] if found else None


def service_rows(data):
    rows = []
    for svc in sorted(os.listdir(data)):
        if not os.path.isdir(os.path.join(data, svc)):
            continue
        model = load_model(data, svc)
        if not model:
            continue
        meta = model["metadata"]
        proto = meta.get("protocol")
        if proto not in PROTOCOLS:
            continue
        sid = meta.get("serviceId") or svc
        client = client_name(sid)
        rows.append((client.lower(), svc, client, sid, model))
    # Two models with one client name: keep the one whose folder is that name.
    seen = {}
    for row in rows:
        if row[0] not in seen or row[1] == row[0]:
            seen[row[0]] = row
    return [seen[k] for k in sorted(seen)]


def emit(data, out):
    w = out.write
    w("/* services.c - generated by tools/gen-aws-services.py from botocore's\n"
      " * service models; do not edit (the types are in aws.h). */\n")
    w('#include <stddef.h>\n\n#include "aws/aws.h"\n\n')
    w("extern const char aslrtp_aws_strings[];\n\n")
    entries = []
    for n, (sdk, folder, client, sid, model) in enumerate(service_rows(data)):
        meta = model["metadata"]
        proto = meta["protocol"]
        em = Emitter(model, None)
        ops = []
        for oname in sorted(model["operations"]):
            op = model["operations"][oname]
            http = op.get("http", {})
            rest = proto in ("rest-json", "rest-xml")
            inp = outp = -1
            if "input" in op:
                inp = em.shape(op["input"]["shape"])
            if "output" in op:
                outp = em.shape(op["output"]["shape"])
            wrapper = op.get("output", {}).get("resultWrapper")
            ops.append((oname, http.get("method") if rest else None,
                        http.get("requestUri") if rest else None, inp, outp, wrapper))
        # (the code on the wire, the shape's name), by code.
        errors = sorted(((v.get("error") or {}).get("code") or k, k)
                        for k, v in model["shapes"].items() if v.get("exception"))
        w("static const aslrtp_aws_str errors_%d[] = {" % n)
        w(", ".join("%s, %s" % (cstr(c), cstr(k)) for c, k in errors) or "0")
        w("};\n")
        w("static const aslrtp_aws_op ops_%d[] = {\n" % n)
        for o in ops:
            w("    {%s, %s, %s, %d, %d, %s},\n" % (cstr(o[0]), cstr(o[1]), cstr(o[2]),
                                                   o[3], o[4], cstr(o[5])))
        w("};\n")
        if em.shapes:
            w("static const aslrtp_aws_shape shapes_%d[] = {\n" % n)
            for s in em.shapes:
                w("    {ASLRTP_SHAPE_%s, %s, %d, %d, %s},\n" % (s[0], s[1], s[2], s[3],
                                                              cstr(s[4])))
            w("};\n")
        if em.members:
            w("static const aslrtp_aws_member members_%d[] = {\n" % n)
            for m in em.members:
                w("    {%s, %s, %d, ASLRTP_LOC_%s, %s},\n" % (cstr(m[0]), cstr(m[1]), m[2],
                                                           m[3], m[4]))
            w("};\n")
        env = re.sub(r"[^A-Za-z0-9]+", "_", sid).upper()
        entries.append("    {%s, %s, %s, %s, %s, %s, %s, %s, %s, %s,\n"
                       "     errors_%d, %d, ops_%d, %d, %s, %d, %s, %d, %s},\n" % (
                           cstr(sdk), cstr(client), cstr(sid), cstr(env),
                           cstr(meta["endpointPrefix"]),
                           cstr(meta.get("signingName") or meta["endpointPrefix"]),
                           cstr(meta.get("apiVersion")), PROTOCOLS[proto],
                           cstr(meta.get("jsonVersion") if proto == "json" else None),
                           cstr(meta.get("targetPrefix")),
                           n, len(errors), n, len(ops),
                           "shapes_%d" % n if em.shapes else "NULL", len(em.shapes),
                           "members_%d" % n if em.members else "NULL", len(em.members),
                           cstr(xml_namespace(model) if proto == "rest-xml" else None)))
    w("\n/* Sorted by aws-sdk name. */\n")
    w("const aslrtp_aws_service aslrtp_aws_services[] = {\n")
    for e in entries:
        w(e)
    w("};\nconst size_t aslrtp_aws_nservices = %d;\n" % len(entries))
    w("\nconst char aslrtp_aws_strings[] =\n")
    for i in range(0, len(cstr.text), 8):
        w('    "%s"\n' % "".join(cstr.text[i:i + 8]))
    w("    ;\n")


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: gen-aws-services.py BOTOCORE_DATA_DIR OUTPUT.c\n")
        return 2
    data, target = sys.argv[1], sys.argv[2]
    if not os.path.isdir(data):
        sys.stderr.write("gen-aws-services.py: %s: no botocore data folder "
                         "(install python3-botocore)\n" % data)
        return 1
    tmp = target + ".tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        emit(data, out)
    os.replace(tmp, target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
