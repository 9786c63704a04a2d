#!/usr/bin/env python3
"""sqs_server.py - Amazon SQS for aslc's tests: turns SQS calls, in the
query protocol (`Action=SendMessage&QueueUrl=...`, XML answers) or in
awsJson1_0 (`X-Amz-Target: AmazonSQS.SendMessage`), into queues kept in
memory, answered as SQS answers them.

    python3 sqs_server.py --port 0 --port-file F [--access-key K] [--throttle N]

Every request is checked against botocore's model of SQS (awsproto.py).
Queues: CreateQueue, GetQueueUrl, ListQueues, GetQueueAttributes,
SetQueueAttributes, PurgeQueue, DeleteQueue; messages: SendMessage (with
MD5OfMessageBody and MD5OfMessageAttributes as SQS computes them),
SendMessageBatch, ReceiveMessage (visibility timeout, long polling, FIFO
groups), ChangeMessageVisibility, DeleteMessage, DeleteMessageBatch.  Queue URLs are
http://HOST/ACCOUNT/NAME, HOST as the client wrote it.
"""

import base64
import hashlib
import os
import re
import struct
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsproto  # noqa: E402
from awsproto import ServiceError  # noqa: E402

# The attributes a queue can be created with, and the bounds of the numeric ones.
SETTABLE = {
    "DelaySeconds": (0, 900), "MaximumMessageSize": (1024, 1048576),
    "MessageRetentionPeriod": (60, 1209600), "ReceiveMessageWaitTimeSeconds": (0, 20),
    "VisibilityTimeout": (0, 43200), "KmsDataKeyReusePeriodSeconds": (60, 86400),
    "Policy": None, "RedrivePolicy": None, "RedriveAllowPolicy": None,
    "KmsMasterKeyId": None, "SqsManagedSseEnabled": None, "FifoQueue": None,
    "ContentBasedDeduplication": None, "DeduplicationScope": None,
    "FifoThroughputLimit": None,
}
DEFAULTS = {"DelaySeconds": "0", "MaximumMessageSize": "262144",
            "MessageRetentionPeriod": "345600", "ReceiveMessageWaitTimeSeconds": "0",
            "VisibilityTimeout": "30", "SqsManagedSseEnabled": "true"}
# What SQS accepts as the value of a Number attribute.
NUMBER = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"


def non_existent_queue(protocol):
    # The query protocol's wording predates the JSON one.
    """SQS's error for a queue that does not exist."""
    msg = ("The specified queue does not exist for this wsdl version." if protocol == "query"
           else "The specified queue does not exist.")
    return ServiceError("AWS.SimpleQueueService.NonExistentQueue", msg, 400, "QueueDoesNotExist")


def invalid(message):
    """An InvalidParameterValue error."""
    return ServiceError("InvalidParameterValue", message)


def md5_of_attributes(attrs):
    """MD5 of message attributes as SQS computes it: for each attribute, by
    name in byte order, the name, the data type (each as a 4-byte big-endian
    length and the UTF-8 bytes), one byte 1 for a string value or 2 for a
    binary one, and the value (4-byte length and bytes)."""
    h = hashlib.md5()

    def part(b):
        """Hashes B as a 4-byte big-endian length and B."""
        h.update(struct.pack(">I", len(b)) + b)

    for name in sorted(attrs, key=lambda n: n.encode()):
        a = attrs[name]
        part(name.encode())
        part(a["DataType"].encode())
        if a.get("BinaryValue") is not None:
            h.update(b"\x02")
            part(a["BinaryValue"])
        else:
            h.update(b"\x01")
            part(a["StringValue"].encode())
    return h.hexdigest()


def check_attributes(attrs):
    """Message attributes as SQS accepts them: at most 10, named with
    letters, digits, _ - and . (not starting with AWS. or Amazon.), of type
    String, Number or Binary with an optional .custom suffix, each with a
    non-empty value of its type."""
    if len(attrs) > 10:
        raise invalid("Number of message attributes [%d] exceeds the allowed maximum [10]."
                      % len(attrs))
    for name, a in attrs.items():
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,256}", name) or name.startswith(
                ("AWS.", "Amazon.", ".")) or ".." in name or name.endswith("."):
            raise invalid("Message (user) attribute '%s' name is invalid." % name)
        dtype = a["DataType"]
        base = dtype.split(".", 1)[0]
        if base not in ("String", "Number", "Binary"):
            raise invalid("The type of message (user) attribute '%s' is invalid. You must use "
                          "only the following supported type prefixes: Binary, Number, String."
                          % name)
        if base == "Binary":
            if not a.get("BinaryValue"):
                raise invalid("The message attribute '%s' must contain non-empty message "
                              "attribute value for message attribute type '%s'." % (name, dtype))
        else:
            v = a.get("StringValue")
            if v is None or v == "":
                raise invalid("The message attribute '%s' must contain non-empty message "
                              "attribute value for message attribute type '%s'." % (name, dtype))
            if base == "Number" and not re.fullmatch(NUMBER, v):
                raise invalid("Could not cast message attribute '%s' value to number." % name)


def valid_body(body):
    """The characters SQS allows in a message: #x9 #xA #xD, #x20-#xD7FF,
    #xE000-#xFFFD, #x10000-#x10FFFF."""
    return re.fullmatch("[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*", body) is not None


class Queue:
    """A queue: its attributes and messages."""
    def __init__(self, name, attributes):
        self.name = name
        self.attributes = dict(DEFAULTS, **attributes)
        self.created = int(time.time())
        self.modified = self.created
        self.messages = []          # Message, in the order sent
        self.dedup = {}             # deduplication id -> (time, message id, sequence number)
        self.last_purge = None

    @property
    def fifo(self):
        """Whether the queue is a FIFO queue."""
        return self.attributes.get("FifoQueue") == "true"


class Message:
    """A message and what SQS keeps about it."""
    def __init__(self, body, attrs, sys_attrs, delay, group, dedup, seq, sender):
        self.id = str(uuid.uuid4())
        self.body = body
        self.attrs = attrs
        self.sys_attrs = sys_attrs
        self.sent = time.time()
        self.visible_at = self.sent + delay
        self.group = group
        self.dedup = dedup
        self.seq = seq
        self.sender = sender
        self.receives = 0
        self.first_receive = None
        self.handle = None


class SQS(awsproto.Service):
    """Amazon SQS in memory."""
    model_name = "sqs"
    xml_namespace = "http://queue.amazonaws.com/doc/2012-11-05/"
    json_version = "1.0"
    target_prefix = "AmazonSQS"
    throttle_error = ServiceError("RequestThrottled", "Rate exceeded", 400)

    def __init__(self, args):
        super().__init__(args)
        self.queues = {}
        self.sequence = 10000000000000000000

    def empty_is_missing(self, protocol):
        return True         # SQS: an empty MessageBody is a missing one

    def json_error_type(self, err):
        # SQS's own errors in its namespace, the front end's (credentials) in coral's.
        if err.shape in self.model.shape_names:
            return "com.amazonaws.sqs#" + err.shape
        return "com.amazon.coral.service#" + err.shape

    def auth_missing_error(self, protocol):
        return ServiceError("MissingAuthenticationToken", "Request is missing Authentication "
                            "Token", 403, "MissingAuthenticationTokenException")

    def auth_wrong_error(self, protocol):
        return ServiceError("InvalidClientTokenId", "The security token included in the "
                            "request is invalid.", 403, "UnrecognizedClientException")

    def json_error_headers(self, err):
        # What awsQueryCompatible clients read the query protocol's code from.
        return {"x-amzn-query-error": "%s;%s" % (err.code, "Sender" if err.sender else "Receiver")}

    def url(self, req, name):
        """The URL of the queue NAME, on the host the client called."""
        host = req.host or "127.0.0.1:%d" % self.server_port
        return "http://%s/%s/%s" % (host, self.account, name)

    def queue(self, req, params):
        """The queue a call names by QueueUrl (or, in the query protocol, by
        the path it is sent to)."""
        url = params.get("QueueUrl") or (req.path if req.path.count("/") == 2 else None)
        if not url:
            raise ServiceError("MissingParameter",
                               "The request must contain the parameter QueueUrl.")
        # SQS knows a queue by the account and name its URL ends with
        # (http(s)://HOST/ACCOUNT/NAME, whatever the host); another
        # account's queue of that name is not this one.
        parts = url.rstrip("/").rsplit("/", 2)
        q = self.queues.get(parts[-1]) if len(parts) == 3 and parts[-2] == self.account else None
        if q is None:
            raise non_existent_queue(req.protocol)
        return q

    # ---- queues --------------------------------------------------------------

    def CreateQueue(self, req, p):
        """CreateQueue: a new queue, or the existing one if its attributes agree."""
        name = p["QueueName"]
        attrs = self.check_queue_attributes(p.get("Attributes") or {})
        fifo = attrs.get("FifoQueue") == "true"
        base = name[:-5] if name.endswith(".fifo") else name
        if (not re.fullmatch(r"[A-Za-z0-9_-]+", base) or len(name) > 80
                or name.endswith(".fifo") != fifo):
            if fifo or name.endswith(".fifo"):
                raise invalid("The name of a FIFO queue can only include alphanumeric "
                              "characters, hyphens, or underscores, must end with .fifo suffix "
                              "and be 1 to 80 in length.")
            raise invalid("Can only include alphanumeric characters, hyphens, or "
                          "underscores. 1 to 80 in length")
        if "ContentBasedDeduplication" in attrs and not fifo:
            raise ServiceError("InvalidAttributeName",
                               "Unknown Attribute ContentBasedDeduplication.")
        with self.lock:
            q = self.queues.get(name)
            if q is not None:
                for k, v in attrs.items():
                    if q.attributes.get(k) != v:
                        raise ServiceError("QueueAlreadyExists",
                                           "A queue already exists with the same name and a "
                                           "different value for attribute %s" % k,
                                           400, "QueueNameExists")
            else:
                self.queues[name] = Queue(name, attrs)
        return {"QueueUrl": self.url(req, name)}

    def check_queue_attributes(self, attrs):
        """ATTRS checked as SQS checks queue attributes."""
        for k, v in attrs.items():
            if k not in SETTABLE:
                raise ServiceError("InvalidAttributeName", "Unknown Attribute %s." % k)
            bounds = SETTABLE[k]
            if bounds and (not re.fullmatch(r"[0-9]+", v)
                           or not bounds[0] <= int(v) <= bounds[1]):
                raise ServiceError("InvalidAttributeValue",
                                   "Invalid value for the parameter %s." % k)
            if k in ("FifoQueue", "ContentBasedDeduplication", "SqsManagedSseEnabled") \
                    and v not in ("true", "false"):
                raise ServiceError("InvalidAttributeValue",
                                   "Invalid value for the parameter %s." % k)
        return {k: v for k, v in attrs.items() if not (k == "FifoQueue" and v == "false")}

    def GetQueueUrl(self, req, p):
        """GetQueueUrl: the URL of a queue named QueueName."""
        with self.lock:
            if p["QueueName"] not in self.queues:
                raise non_existent_queue(req.protocol)
        return {"QueueUrl": self.url(req, p["QueueName"])}

    def ListQueues(self, req, p):
        """ListQueues: the queues with a name prefix, MaxResults at a time."""
        prefix = p.get("QueueNamePrefix", "")
        with self.lock:
            names = sorted(n for n in self.queues if n.startswith(prefix))
        limit = p.get("MaxResults")
        if limit is not None and not 1 <= limit <= 1000:
            raise invalid("Value %d for parameter MaxResults is invalid. Reason: MaxResults "
                          "must be an integer between 1 and 1000." % limit)
        start = int(p.get("NextToken") or 0)
        out = {"QueueUrls": [self.url(req, n) for n in names[start:]]}
        if limit is not None and len(names) - start > limit:
            out["QueueUrls"] = out["QueueUrls"][:limit]
            out["NextToken"] = str(start + limit)
        if not out["QueueUrls"]:
            del out["QueueUrls"]
        return out

    def GetQueueAttributes(self, req, p):
        """GetQueueAttributes: the attributes asked for, counts included."""
        with self.lock:
            q = self.queue(req, p)
            names = p.get("AttributeNames") or []
            t = time.time()
            live = q.messages
            all_attrs = dict(q.attributes)
            all_attrs.update({
                "QueueArn": "arn:aws:sqs:%s:%s:%s" % (self.region, self.account, q.name),
                "CreatedTimestamp": str(q.created),
                "LastModifiedTimestamp": str(q.modified),
                "ApproximateNumberOfMessages": str(sum(1 for m in live if m.visible_at <= t)),
                "ApproximateNumberOfMessagesNotVisible": str(sum(
                    1 for m in live if m.visible_at > t and m.receives > 0)),
                "ApproximateNumberOfMessagesDelayed": str(sum(
                    1 for m in live if m.visible_at > t and m.receives == 0)),
            })
        out = {}
        for n in names:
            if n == "All":
                out = all_attrs
                break
            if n not in all_attrs and n not in SETTABLE:
                raise ServiceError("InvalidAttributeName", "Unknown Attribute %s." % n)
            if n in all_attrs:
                out[n] = all_attrs[n]
        return {"Attributes": out} if out else {}

    def SetQueueAttributes(self, req, p):
        """SetQueueAttributes: changes the attributes given."""
        attrs = self.check_queue_attributes(p["Attributes"])
        with self.lock:
            q = self.queue(req, p)
            if "FifoQueue" in attrs and (attrs["FifoQueue"] == "true") != q.fifo:
                raise ServiceError("InvalidAttributeName",
                                   "Invalid attribute name FifoQueue.")
            q.attributes.update(attrs)
            q.modified = int(time.time())
        return {}

    def PurgeQueue(self, req, p):
        """PurgeQueue: deletes every message, once a minute at most."""
        with self.lock:
            q = self.queue(req, p)
            if q.last_purge is not None and time.time() - q.last_purge < 60:
                raise ServiceError("AWS.SimpleQueueService.PurgeQueueInProgress",
                                   "Only one PurgeQueue operation on %s is allowed every 60 "
                                   "seconds." % q.name, 403, "PurgeQueueInProgress")
            q.messages = []
            q.last_purge = time.time()
        return {}

    def DeleteQueue(self, req, p):
        """DeleteQueue: the queue and its messages are gone."""
        with self.lock:
            q = self.queue(req, p)
            del self.queues[q.name]
            self.lock.notify_all()
        return {}

    # ---- messages ------------------------------------------------------------

    def SendMessage(self, req, p):
        """SendMessage: one message."""
        with self.lock:
            return self.send_one(req, self.queue(req, p), p)

    def send_one(self, req, q, p):
        """Sends the message P (SendMessage's members) to Q."""
        body = p["MessageBody"]
        if not valid_body(body):
            raise ServiceError("InvalidMessageContents",
                               "Invalid binary character in the message body.")
        attrs = p.get("MessageAttributes") or {}
        check_attributes(attrs)
        sys_attrs = p.get("MessageSystemAttributes") or {}
        for name in sys_attrs:
            if name != "AWSTraceHeader":
                raise invalid("Message system attribute name '%s' is invalid." % name)
        with self.lock:
            size = len(body.encode()) + sum(
                len(n.encode()) + len(a["DataType"].encode())
                + len(a.get("BinaryValue") or (a.get("StringValue") or "").encode())
                for n, a in attrs.items())
            limit = int(q.attributes["MaximumMessageSize"])
            if size > limit:
                raise invalid("One or more parameters are invalid. Reason: Message must be "
                              "shorter than %d bytes." % limit)
            delay = p.get("DelaySeconds")
            group = p.get("MessageGroupId")
            dedup = p.get("MessageDeduplicationId")
            if q.fifo:
                if delay:
                    raise invalid("Value %d for parameter DelaySeconds is invalid. Reason: The "
                                  "request include parameter that is not valid for this queue "
                                  "type." % delay)
                if not group:
                    raise ServiceError("MissingParameter",
                                       "The request must contain the parameter MessageGroupId.")
                if dedup is None:
                    if q.attributes.get("ContentBasedDeduplication") != "true":
                        raise invalid("The queue should either have ContentBasedDeduplication "
                                      "enabled or MessageDeduplicationId provided explicitly")
                    dedup = hashlib.sha256(body.encode()).hexdigest()
            else:
                if dedup is not None:
                    raise invalid("Value %s for parameter MessageDeduplicationId is invalid. "
                                  "Reason: The request includes a parameter that is not valid "
                                  "for this queue type." % dedup)
                if delay is not None and not 0 <= delay <= 900:
                    raise invalid("Value %d for parameter DelaySeconds is invalid. Reason: "
                                  "DelaySeconds must be >= 0 and <= 900." % delay)
            out = {"MD5OfMessageBody": hashlib.md5(body.encode()).hexdigest()}
            if attrs:
                out["MD5OfMessageAttributes"] = md5_of_attributes(attrs)
            if sys_attrs:
                out["MD5OfMessageSystemAttributes"] = md5_of_attributes(sys_attrs)
            if q.fifo:
                seen = q.dedup.get(dedup)
                if seen and time.time() - seen[0] < 300:
                    out.update(MessageId=seen[1], SequenceNumber=seen[2])
                    return out
                self.sequence += 1
                seq = "%020d" % self.sequence
            else:
                seq = None
            if delay is None:
                delay = int(q.attributes["DelaySeconds"])
            m = Message(body, attrs, sys_attrs, delay, group, dedup, seq, req.key_id)
            q.messages.append(m)
            if q.fifo:
                q.dedup[dedup] = (m.sent, m.id, seq)
            self.lock.notify_all()
        out["MessageId"] = m.id
        if seq:
            out["SequenceNumber"] = seq
        return out

    def batch(self, req, p, entry_name, one):
        """A batch call: ONE(queue, entry) for each entry, its ServiceError
        a failed entry; the request's own errors as SQS words them."""
        entries = p["Entries"]
        if not entries:
            raise ServiceError("AWS.SimpleQueueService.EmptyBatchRequest",
                               "There should be at least one %s in the request." % entry_name,
                               400, "EmptyBatchRequest")
        if len(entries) > 10:
            raise ServiceError("AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                               "Maximum number of entries per request are 10. You have sent %d."
                               % len(entries), 400, "TooManyEntriesInBatchRequest")
        seen = set()
        for e in entries:
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,80}", e["Id"]):
                raise ServiceError("AWS.SimpleQueueService.InvalidBatchEntryId",
                                   "A batch entry id can only contain alphanumeric characters, "
                                   "hyphens and underscores. It can be at most 80 letters long.",
                                   400, "InvalidBatchEntryId")
            if e["Id"] in seen:
                raise ServiceError("AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
                                   "Id %s repeated." % e["Id"], 400, "BatchEntryIdsNotDistinct")
            seen.add(e["Id"])
        ok, failed = [], []
        with self.lock:
            q = self.queue(req, p)
            for e in entries:
                try:
                    ok.append(dict({"Id": e["Id"]}, **one(q, e)))
                except ServiceError as err:
                    failed.append({"Id": e["Id"], "SenderFault": err.sender, "Code": err.code,
                                   "Message": err.message})
        return {"Successful": ok, "Failed": failed}

    def SendMessageBatch(self, req, p):
        """SendMessageBatch: up to 10 messages, each succeeding or failing alone."""
        return self.batch(req, p, "SendMessageBatchRequestEntry",
                          lambda q, e: self.send_one(req, q, e))

    def DeleteMessageBatch(self, req, p):
        """DeleteMessageBatch: up to 10 receipt handles."""
        return self.batch(req, p, "DeleteMessageBatchRequestEntry",
                          lambda q, e: self.delete_one(q, e["ReceiptHandle"]))

    def ReceiveMessage(self, req, p):
        """ReceiveMessage: up to MaxNumberOfMessages visible messages,
        waiting up to WaitTimeSeconds for one."""
        count = p.get("MaxNumberOfMessages", 1)
        if not 1 <= count <= 10:
            raise invalid("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must "
                          "be between 1 and 10, if provided." % count)
        wait = p.get("WaitTimeSeconds")
        if wait is not None and not 0 <= wait <= 20:
            raise invalid("Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be "
                          ">= 0 and <= 20, if provided." % wait)
        wanted_sys = set(p.get("AttributeNames") or []) | set(
            p.get("MessageSystemAttributeNames") or [])
        wanted = p.get("MessageAttributeNames") or []
        with self.lock:
            q = self.queue(req, p)
            if wait is None:
                wait = int(q.attributes["ReceiveMessageWaitTimeSeconds"])
            visibility = p.get("VisibilityTimeout")
            if visibility is None:
                visibility = int(q.attributes["VisibilityTimeout"])
            deadline = time.time() + wait
            while True:
                got = self.take(q, count, visibility)
                left = deadline - time.time()
                if got or left <= 0 or self.queues.get(q.name) is not q:
                    break
                self.lock.wait(min(left, 0.2))
            messages = [self.render(m, wanted_sys, wanted) for m in got]
        return {"Messages": messages} if messages else {}

    def take(self, q, count, visibility):
        """Up to COUNT visible messages of Q, made invisible for VISIBILITY
        seconds; in a FIFO queue none of a group with one in flight."""
        t = time.time()
        busy = {m.group for m in q.messages if q.fifo and m.receives and m.visible_at > t}
        got = []
        for m in q.messages:
            if len(got) == count:
                break
            if m.visible_at > t or (q.fifo and m.group in busy):
                continue
            m.receives += 1
            if m.first_receive is None:
                m.first_receive = t
            m.visible_at = t + visibility
            handle = "%s %s %s" % (q.name, m.id, uuid.uuid4())
            m.handle = base64.b64encode(handle.encode()).decode()
            got.append(m)
            if q.fifo:
                busy.add(m.group)
        return got

    def render(self, m, wanted_sys, wanted):
        """Message M as ReceiveMessage returns it, with the attributes asked for."""
        out = {"MessageId": m.id, "ReceiptHandle": m.handle,
               "MD5OfBody": hashlib.md5(m.body.encode()).hexdigest(), "Body": m.body}
        values = {"SenderId": m.sender, "SentTimestamp": str(int(m.sent * 1000)),
                  "ApproximateReceiveCount": str(m.receives),
                  "ApproximateFirstReceiveTimestamp": str(int(m.first_receive * 1000)),
                  "MessageGroupId": m.group, "MessageDeduplicationId": m.dedup,
                  "SequenceNumber": m.seq,
                  "AWSTraceHeader": (m.sys_attrs.get("AWSTraceHeader") or {}).get("StringValue")}
        attrs = {k: v for k, v in values.items() if v is not None
                 and ("All" in wanted_sys or k in wanted_sys)}
        if attrs:
            out["Attributes"] = attrs
        chosen = {n: a for n, a in m.attrs.items()
                  if any(w in ("All", ".*") or w == n
                         or (w.endswith(".*") and n.startswith(w[:-1])) for w in wanted)}
        if chosen:
            out["MessageAttributes"] = chosen
            out["MD5OfMessageAttributes"] = md5_of_attributes(chosen)
        return out

    def find_handle(self, q, handle):
        """The message of Q a receipt handle names, or None if deleted."""
        try:
            name, mid, _ = base64.b64decode(handle, validate=True).decode().split(" ")
        except ValueError:
            raise ServiceError("ReceiptHandleIsInvalid",
                               'The input receipt handle "%s" is not a valid receipt handle.'
                               % handle, 404)
        return next((m for m in q.messages if m.id == mid), None)

    def DeleteMessage(self, req, p):
        """DeleteMessage: the message of a receipt handle."""
        with self.lock:
            return self.delete_one(self.queue(req, p), p["ReceiptHandle"])

    def delete_one(self, q, handle):
        """Deletes the message of HANDLE from Q (gone already: nothing)."""
        m = self.find_handle(q, handle)
        if m is not None:
            q.messages.remove(m)
        return {}

    def ChangeMessageVisibility(self, req, p):
        """ChangeMessageVisibility: a message in flight gets a new timeout."""
        v = p["VisibilityTimeout"]
        if not 0 <= v <= 43200:
            raise invalid("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be "
                          ">= 0 and <= 43200, if provided." % v)
        with self.lock:
            q = self.queue(req, p)
            m = self.find_handle(q, p["ReceiptHandle"])
            if m is None or m.handle != p["ReceiptHandle"] or m.visible_at <= time.time():
                raise ServiceError("AWS.SimpleQueueService.MessageNotInflight",
                                   "Message does not exist or is not available for visibility "
                                   "timeout change.", 400, "MessageNotInflight")
            m.visible_at = time.time() + v
            self.lock.notify_all()
        return {}


if __name__ == "__main__":
    sys.exit(awsproto.main(SQS, "Amazon SQS (query and awsJson1_0 protocols) in memory"))
