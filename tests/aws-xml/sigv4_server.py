#!/usr/bin/env python3
"""sigv4_server.py - a tiny fake of SQS and SNS (the query protocol) and of
S3 listings, for tests/run-aws-query.sh: it checks that what aslc's query
and rest-xml codecs send is signed right (AWS Signature Version 4, as AWS
recomputes it: S3's path not encoded twice, its payload hash taken from
x-amz-content-sha256, which must be the body's) and encoded as the models
say, and answers as the AWS documentation shows.

  SQS   POST /  Action=SendMessage (QueueUrl, MessageBody required; only
        queues named queue1 exist)
  SNS   POST /  Action=Publish (TopicArn required; a FIFO topic, whose name
        ends in .fifo, wants MessageGroupId)
  S3    GET /bucket1?list-type=2...: two pages of one object each (the
        continuation token holds characters that need encoding), GET
        /bucket1/items/a.json and b.json: JSON arrays.

Every request's form (query) or path is appended to --log as a JSON line.
Credentials: AKIDEXAMPLE / SECRETEXAMPLE, any region.  It listens on
127.0.0.1 on a free port, writes the port to --port-file, and stops when
its standard input closes.  Python's standard library only.
"""

import argparse
import hashlib
import hmac
import json
import os
import sys
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY_ID, SECRET = "AKIDEXAMPLE", "SECRETEXAMPLE"
TOKEN = "page 2/+="


class Refused(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def quote(text, safe):
    return urllib.parse.quote(text, safe=safe)


def check_signature(h, body):
    """The service the request is signed for; Refused unless it is signed
    right."""
    auth = h.headers.get("Authorization", "")
    algo, _, rest = auth.partition(" ")
    fields = dict(item.strip().partition("=")[::2] for item in rest.split(","))
    scope = fields.get("Credential", "").split("/")
    if algo != "AWS4-HMAC-SHA256" or len(scope) != 5 or scope[0] != KEY_ID:
        raise Refused(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
    service = scope[3]
    path, _, query = h.path.partition("?")
    pairs = sorted((quote(urllib.parse.unquote(n), "-_.~"), quote(urllib.parse.unquote(v), "-_.~"))
                   for n, _, v in (p.partition("=") for p in query.split("&") if p))
    names = fields["SignedHeaders"].split(";")
    payload = hashlib.sha256(body).hexdigest()
    if service == "s3":
        if h.headers.get("x-amz-content-sha256") != payload:
            raise Refused(400, "XAmzContentSHA256Mismatch",
                          "The provided 'x-amz-content-sha256' header does not match what was computed.")
        uri = path
    else:
        uri = quote(path, "/-_.~")
    canonical = "\n".join([
        h.command, uri, "&".join("%s=%s" % p for p in pairs),
        "".join("%s:%s\n" % (n, ",".join(" ".join(v.split()) for v in h.headers.get_all(n) or []))
                for n in names),
        fields["SignedHeaders"], payload])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", h.headers.get("X-Amz-Date", ""), "/".join(scope[1:]),
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + SECRET).encode()
    for part in scope[1:]:
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    if hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest() != fields.get("Signature"):
        sys.stderr.write("sigv4_server: canonical request:\n%s\n" % canonical)
        raise Refused(403, "SignatureDoesNotMatch",
                      "The request signature we calculated does not match the signature you provided.")
    return service


def xml_text(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, text, ctype="text/xml"):
        data = text.encode()
        rid = str(uuid.uuid4())
        self.send_response(status)
        self.send_header("x-amzn-RequestId", rid)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log(self, entry):
        with self.server.lock, open(self.server.log, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def handle_any(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        service = "?"
        try:
            service = check_signature(self, body)
            if service == "s3":
                self.s3()
            else:
                form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode(), keep_blank_values=True).items()}
                self.log({"service": service, "form": form})
                self.query(service, form)
        except Refused as r:
            if service == "s3":
                self.reply(r.status, "<Error><Code>%s</Code><Message>%s</Message><RequestId>R1</RequestId>"
                           "<HostId>H1</HostId></Error>" % (r.code, xml_text(r.message)))
            else:
                self.reply(r.status, "<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code>"
                           "<Message>%s</Message><Detail/></Error><RequestId>%s</RequestId>"
                           "</ErrorResponse>" % (r.code, xml_text(r.message), uuid.uuid4()))

    do_GET = do_POST = do_PUT = handle_any

    def query(self, service, form):
        action = form.get("Action")
        if service == "sqs" and action == "SendMessage":
            for p in ("QueueUrl", "MessageBody"):
                if p not in form:
                    raise Refused(400, "MissingParameter", "The request must contain the parameter %s." % p)
            if not form["QueueUrl"].endswith("/queue1"):
                raise Refused(400, "AWS.SimpleQueueService.NonExistentQueue",
                              "The specified queue does not exist for this wsdl version.")
            md5 = hashlib.md5(form["MessageBody"].encode()).hexdigest()
            self.reply(200, "<SendMessageResponse><SendMessageResult><MD5OfMessageBody>%s</MD5OfMessageBody>"
                       "<MessageId>%s</MessageId></SendMessageResult><ResponseMetadata><RequestId>%s"
                       "</RequestId></ResponseMetadata></SendMessageResponse>" % (md5, uuid.uuid4(), uuid.uuid4()))
        elif service == "sns" and action == "Publish":
            if "TopicArn" not in form:
                raise Refused(400, "InvalidParameter", "Invalid parameter: TopicArn")
            if form["TopicArn"].endswith(".fifo") and "MessageGroupId" not in form:
                raise Refused(400, "InvalidParameter",
                              "Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
            self.reply(200, "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><PublishResult>"
                       "<MessageId>%s</MessageId></PublishResult><ResponseMetadata><RequestId>%s</RequestId>"
                       "</ResponseMetadata></PublishResponse>" % (uuid.uuid4(), uuid.uuid4()))
        else:
            raise Refused(400, "InvalidAction", "The action %s is not valid for this endpoint." % action)

    def s3(self):
        path, _, query = self.path.partition("?")
        q = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        self.log({"service": "s3", "path": path, "query": q})
        if path == "/bucket1" and q.get("list-type") == "2":
            second = q.get("continuation-token") == TOKEN
            key = "items/b.json" if second else "items/a.json"
            more = "" if second else "<NextContinuationToken>%s</NextContinuationToken>" % xml_text(TOKEN)
            self.reply(200, "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>bucket1</Name>"
                       "<Prefix>%s</Prefix><KeyCount>1</KeyCount><MaxKeys>1</MaxKeys><IsTruncated>%s</IsTruncated>%s"
                       "<Contents><Key>%s</Key><LastModified>2024-01-31T10:00:00.000Z</LastModified>"
                       "<ETag>&quot;0f&quot;</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass></Contents>"
                       "</ListBucketResult>" % (xml_text(q.get("prefix", "")), "false" if second else "true",
                                                more, key), "application/xml")
        elif path in ("/bucket1/items/a.json", "/bucket1/items/b.json"):
            self.reply(200, "[1, 2]" if path.endswith("a.json") else "[3]", "application/json")
        else:
            raise Refused(404, "NoSuchKey", "The specified key does not exist.")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.log, srv.lock = args.log, threading.Lock()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(args.port_file + ".tmp", args.port_file)
    sys.stdin.read()
    srv.shutdown()


if __name__ == "__main__":
    main()
