#!/usr/bin/env python3
"""sns_server.py - Amazon SNS for aslc's tests: turns SNS calls in the query
protocol (`Action=Publish&TopicArn=...`, XML answers indented as SNS
indents them) into topics kept in memory, answered as SNS answers them.

    python3 sns_server.py --port 0 --port-file F [--access-key K] [--throttle N]
                          [--sqs-endpoint URL]

Every request is checked against botocore's model of SNS (awsproto.py).
Topics: CreateTopic (FIFO topics included), GetTopicAttributes,
SetTopicAttributes, ListTopics, DeleteTopic; Publish with
MessageAttributes, MessageStructure and the FIFO rules on MessageGroupId and
MessageDeduplicationId; Subscribe, Unsubscribe, ListSubscriptionsByTopic.
A subscription of protocol "sqs" to a queue of the SQS server at
--sqs-endpoint gets every message published as SNS delivers it (the JSON
notification, or the raw message with RawMessageDelivery).  The messages
published are listed, for the tests, at GET /_aslc/messages.
"""

import datetime
import hashlib
import json
import os
import re
import sys
import urllib.parse
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsproto  # noqa: E402
from awsproto import ServiceError  # noqa: E402

TOPIC_ATTRIBUTES = {"DisplayName", "Policy", "DeliveryPolicy", "KmsMasterKeyId", "FifoTopic",
                    "ContentBasedDeduplication", "SignatureVersion", "TracingConfig",
                    "ArchivePolicy", "FifoThroughputScope", "DataProtectionPolicy"}


def invalid_parameter(what):
    """SNS's InvalidParameter error: "Invalid parameter: WHAT"."""
    return ServiceError("InvalidParameter", "Invalid parameter: " + what, 400,
                        "InvalidParameterException")


def invalid_value(message):
    """SNS's ParameterValueInvalid error."""
    return ServiceError("ParameterValueInvalid", message, 400, "InvalidParameterValueException")


class Checker(awsproto.Checker):
    """SNS words a missing member as its request validation does."""

    def missing(self, path):
        name = path.rsplit(".", 1)[-1]
        return ServiceError("ValidationError",
                            "1 validation error detected: Value null at '%s' failed to satisfy "
                            "constraint: Member must not be null" % (name[:1].lower() + name[1:]))

    def wrong_type(self, path, value, type_name):
        return invalid_parameter(path)


def check_attributes(attrs):
    """Message attributes as SNS accepts them: at most 10, of type String,
    String.Array, Number or Binary (a custom suffix allowed), each with a
    non-empty value of its type."""
    if len(attrs) > 10:
        raise invalid_parameter("MessageAttributes Reason: Number of message attributes "
                                "[%d] exceeds the allowed maximum [10]." % len(attrs))
    for name, a in attrs.items():
        dtype = a["DataType"]
        base = dtype.split(".", 1)[0]
        if dtype.startswith("String.Array"):
            base = "String.Array"
        if base not in ("String", "String.Array", "Number", "Binary"):
            raise invalid_value("The message attribute '%s' has an invalid message attribute "
                                "type, the set of supported type prefixes is Binary, Number, and "
                                "String." % name)
        value = a.get("BinaryValue") if base == "Binary" else a.get("StringValue")
        if not value:
            raise invalid_value("The message attribute '%s' must contain non-empty message "
                                "attribute value for message attribute type '%s'."
                                % (name, dtype))
        if base == "Number" and not re.fullmatch(
                r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", value):
            raise invalid_value("Could not cast message attribute '%s' value to number." % name)
        if base == "String.Array":
            try:
                ok = isinstance(json.loads(value), list)
            except ValueError:
                ok = False
            if not ok:
                raise invalid_parameter("Message attribute '%s' of type String.Array must be "
                                        "a JSON array." % name)


class Topic:
    """A topic: its attributes, subscriptions and deduplication ids."""
    def __init__(self, arn, name, attributes):
        self.arn = arn
        self.name = name
        self.attributes = dict(attributes)
        self.subscriptions = {}      # arn -> {"Protocol", "Endpoint", "Attributes"}
        self.dedup = {}              # deduplication id -> (message id, sequence number)

    @property
    def fifo(self):
        """Whether the topic is a FIFO topic."""
        return self.attributes.get("FifoTopic") == "true"


class SNS(awsproto.Service):
    """Amazon SNS in memory."""
    model_name = "sns"
    xml_namespace = "http://sns.amazonaws.com/doc/2010-03-31/"
    throttle_error = ServiceError("Throttled", "Rate exceeded", 429, "ThrottledException")
    pretty_xml = True
    checker = Checker()

    @staticmethod
    def add_arguments(p):
        """--sqs-endpoint: where sqs subscriptions deliver."""
        p.add_argument("--sqs-endpoint", help="the SQS server that sqs subscriptions reach")

    def __init__(self, args):
        super().__init__(args)
        self.topics = {}
        self.published = []
        self.sequence = 10000000000000000000
        self.sqs_endpoint = args.sqs_endpoint

    def test_endpoint(self, path, query):
        """GET /_aslc/messages: the messages published."""
        if path == "/_aslc/messages":
            with self.lock:
                return list(self.published)
        return None

    def topic(self, arn):
        """The topic of ARN, or NotFound."""
        t = self.topics.get(arn)
        if t is None:
            raise ServiceError("NotFound", "Topic does not exist", 404, "NotFoundException")
        return t

    def check_topic_arn(self, arn):
        """ARN checked as SNS checks a topic's ARN."""
        if not re.fullmatch(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]+", arn):
            raise invalid_parameter("TopicArn")

    # ---- topics ----------------------------------------------------------------

    def CreateTopic(self, req, p):
        """CreateTopic: a new topic, or the existing one if its attributes agree."""
        name = p["Name"]
        attrs = p.get("Attributes") or {}
        for k in attrs:
            if k not in TOPIC_ATTRIBUTES:
                raise invalid_parameter("AttributeName")
        fifo = attrs.get("FifoTopic") == "true"
        base = name[:-5] if fifo and name.endswith(".fifo") else name
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", base) or len(name) > 256:
            if fifo:
                raise invalid_parameter(
                    "Fifo Topic names must end with .fifo and must be made up of only "
                    "uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, "
                    "and must be between 1 and 256 characters long.")
            raise invalid_parameter("Topic Name")
        if fifo and not name.endswith(".fifo"):
            raise invalid_parameter(
                "Fifo Topic names must end with .fifo and must be made up of only uppercase "
                "and lowercase ASCII letters, numbers, underscores, and hyphens, and must be "
                "between 1 and 256 characters long.")
        if not fifo:
            attrs = {k: v for k, v in attrs.items() if k != "FifoTopic"}
        arn = "arn:aws:sns:%s:%s:%s" % (self.region, self.account, name)
        with self.lock:
            t = self.topics.get(arn)
            if t is None:
                self.topics[arn] = Topic(arn, name, attrs)
            elif any(t.attributes.get(k) != v for k, v in attrs.items()):
                raise invalid_parameter("Attributes Reason: Topic already exists with "
                                        "different attributes")
        return {"TopicArn": arn}

    def GetTopicAttributes(self, req, p):
        """GetTopicAttributes: the topic's attributes and counts."""
        self.check_topic_arn(p["TopicArn"])
        with self.lock:
            t = self.topic(p["TopicArn"])
            attrs = {"TopicArn": t.arn, "Owner": self.account, "DisplayName": "",
                     "SubscriptionsConfirmed": str(len(t.subscriptions)),
                     "SubscriptionsPending": "0", "SubscriptionsDeleted": "0"}
            attrs.update(t.attributes)
        return {"Attributes": attrs}

    def SetTopicAttributes(self, req, p):
        """SetTopicAttributes: one attribute changed."""
        self.check_topic_arn(p["TopicArn"])
        if p["AttributeName"] not in TOPIC_ATTRIBUTES or p["AttributeName"] == "FifoTopic":
            raise invalid_parameter("AttributeName")
        with self.lock:
            self.topic(p["TopicArn"]).attributes[p["AttributeName"]] = p.get("AttributeValue", "")
        return {}

    def ListTopics(self, req, p):
        """ListTopics: the topics, 100 at a time."""
        with self.lock:
            arns = sorted(self.topics)
        start = int(p.get("NextToken") or 0)
        out = {"Topics": [{"TopicArn": a} for a in arns[start:start + 100]]}
        if len(arns) > start + 100:
            out["NextToken"] = str(start + 100)
        return out

    def DeleteTopic(self, req, p):
        """DeleteTopic: the topic is gone (a missing one too)."""
        self.check_topic_arn(p["TopicArn"])
        with self.lock:
            self.topics.pop(p["TopicArn"], None)
        return {}

    # ---- subscriptions ---------------------------------------------------------

    def Subscribe(self, req, p):
        """Subscribe: an endpoint of a protocol SNS knows; sqs ones get deliveries."""
        self.check_topic_arn(p["TopicArn"])
        protocol = p["Protocol"]
        endpoint = p.get("Endpoint")
        if protocol not in ("http", "https", "email", "email-json", "sms", "sqs", "application",
                            "lambda", "firehose"):
            raise invalid_parameter("Amazon SNS does not support this protocol string: "
                                    + protocol)
        if protocol == "sqs" and not (endpoint or "").startswith("arn:aws:sqs:"):
            raise invalid_parameter("SQS endpoint ARN")
        with self.lock:
            t = self.topic(p["TopicArn"])
            for arn, s in t.subscriptions.items():
                if s["Protocol"] == protocol and s["Endpoint"] == endpoint:
                    return {"SubscriptionArn": arn}
            arn = "%s:%s" % (t.arn, uuid.uuid4())
            t.subscriptions[arn] = {"Protocol": protocol, "Endpoint": endpoint,
                                    "Attributes": dict(p.get("Attributes") or {})}
        return {"SubscriptionArn": arn}

    def Unsubscribe(self, req, p):
        """Unsubscribe: the subscription is gone."""
        with self.lock:
            for t in self.topics.values():
                t.subscriptions.pop(p["SubscriptionArn"], None)
        return {}

    def ListSubscriptionsByTopic(self, req, p):
        """ListSubscriptionsByTopic: the topic's subscriptions."""
        self.check_topic_arn(p["TopicArn"])
        with self.lock:
            t = self.topic(p["TopicArn"])
            subs = [{"SubscriptionArn": a, "Owner": self.account, "Protocol": s["Protocol"],
                     "Endpoint": s["Endpoint"], "TopicArn": t.arn}
                    for a, s in t.subscriptions.items()]
        return {"Subscriptions": subs}

    # ---- publishing ------------------------------------------------------------

    def Publish(self, req, p):
        """Publish: one message to a topic, checked as SNS checks it,
        delivered to its sqs subscriptions."""
        arn = p.get("TopicArn") or p.get("TargetArn")
        if not arn:
            if p.get("PhoneNumber"):
                raise invalid_parameter("PhoneNumber Reason: this test server sends no SMS")
            raise invalid_parameter("TopicArn or TargetArn Reason: no value for required "
                                    "parameter")
        self.check_topic_arn(arn)
        message = p["Message"]
        if message == "":
            raise invalid_parameter("Empty message")
        if len(message.encode()) > 262144:
            raise invalid_parameter("Message too long")
        if "Subject" in p and (p["Subject"] == "" or len(p["Subject"]) > 100
                               or not p["Subject"].isprintable()):
            raise invalid_parameter("Subject")
        if p.get("MessageStructure") is not None:
            if p["MessageStructure"] != "json":
                raise invalid_parameter("MessageStructure")
            try:
                structured = json.loads(message)
            except ValueError:
                raise invalid_parameter("Message Structure - JSON message body failed to parse")
            if not isinstance(structured, dict) or "default" not in structured:
                raise invalid_parameter("Message Structure - No default entry in JSON message "
                                        "body")
        attrs = p.get("MessageAttributes") or {}
        check_attributes(attrs)
        group = p.get("MessageGroupId")
        dedup = p.get("MessageDeduplicationId")
        with self.lock:
            t = self.topic(arn)
            seq = None
            if t.fifo:
                if not group:
                    raise invalid_parameter("The MessageGroupId parameter is required for FIFO "
                                            "topics")
                if dedup is None:
                    if t.attributes.get("ContentBasedDeduplication") != "true":
                        raise invalid_parameter("The topic should either have "
                                                "ContentBasedDeduplication enabled or "
                                                "MessageDeduplicationId provided explicitly")
                    dedup = hashlib.sha256(message.encode()).hexdigest()
                if dedup in t.dedup:
                    mid, seq = t.dedup[dedup]
                    return {"MessageId": mid, "SequenceNumber": seq}
                self.sequence += 1
                seq = "%020d" % self.sequence
            elif dedup is not None:
                raise invalid_parameter("MessageDeduplicationId Reason: The request includes "
                                        "MessageDeduplicationId parameter that is not valid for "
                                        "this topic type")
            mid = str(uuid.uuid4())
            if t.fifo:
                t.dedup[dedup] = (mid, seq)
            record = {"TopicArn": arn, "MessageId": mid, "Message": message}
            for k in ("Subject", "MessageStructure", "MessageGroupId"):
                if p.get(k) is not None:
                    record[k] = p[k]
            if dedup is not None:
                record["MessageDeduplicationId"] = dedup
            if seq is not None:
                record["SequenceNumber"] = seq
            if attrs:
                record["MessageAttributes"] = awsproto.to_json(
                    attrs, self.model.shape_for("MessageAttributeMap"))
            self.published.append(record)
            deliveries = [s for s in t.subscriptions.values() if s["Protocol"] == "sqs"]
        for s in deliveries:
            self.deliver(s, record, attrs)
        out = {"MessageId": mid}
        if seq is not None:
            out["SequenceNumber"] = seq
        return out

    def deliver(self, sub, record, attrs):
        """Sends RECORD to the SQS queue of subscription SUB, as SNS does:
        the JSON notification, or with RawMessageDelivery the message with
        its attributes."""
        if not self.sqs_endpoint:
            return
        queue = sub["Endpoint"].rsplit(":", 2)
        form = {"Action": "SendMessage",
                "QueueUrl": "%s/%s/%s" % (self.sqs_endpoint.rstrip("/"), queue[1], queue[2])}
        message = record["Message"]
        if record.get("MessageStructure") == "json":
            structured = json.loads(message)
            message = structured.get("sqs", structured["default"])
        if sub["Attributes"].get("RawMessageDelivery") == "true":
            form["MessageBody"] = message
            for i, (name, a) in enumerate(sorted(attrs.items()), 1):
                form["MessageAttribute.%d.Name" % i] = name
                form["MessageAttribute.%d.Value.DataType" % i] = a["DataType"]
                if a.get("BinaryValue") is not None:
                    form["MessageAttribute.%d.Value.BinaryValue" % i] = \
                        awsproto.base64.b64encode(a["BinaryValue"]).decode()
                else:
                    form["MessageAttribute.%d.Value.StringValue" % i] = a["StringValue"]
        else:
            note = {"Type": "Notification", "MessageId": record["MessageId"],
                    "TopicArn": record["TopicArn"]}
            if "Subject" in record:
                note["Subject"] = record["Subject"]
            note["Message"] = message
            note["Timestamp"] = awsproto.iso8601(datetime.datetime.now(datetime.timezone.utc))
            if "SequenceNumber" in record:
                note["SequenceNumber"] = record["SequenceNumber"]
            note["UnsubscribeURL"] = "http://127.0.0.1:%d/?Action=Unsubscribe" % self.server_port
            if attrs:
                note["MessageAttributes"] = {
                    n: {"Type": a["DataType"],
                        "Value": a.get("StringValue") if a.get("BinaryValue") is None
                        else awsproto.base64.b64encode(a["BinaryValue"]).decode()}
                    for n, a in attrs.items()}
            form["MessageBody"] = json.dumps(note)
        if "MessageGroupId" in record:
            form["MessageGroupId"] = record["MessageGroupId"]
            form["MessageDeduplicationId"] = record["MessageDeduplicationId"][:128]
        data = urllib.parse.urlencode(form).encode()
        rq = urllib.request.Request(self.sqs_endpoint, data, {
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "AWS4-HMAC-SHA256 Credential=%s/sns-delivery"
                             % (self.access_key or "sns")})
        try:
            urllib.request.urlopen(rq, timeout=10).read()
        except OSError as e:
            print("sns_server: delivery to %s failed: %s" % (sub["Endpoint"], e), file=sys.stderr)


if __name__ == "__main__":
    sys.exit(awsproto.main(SNS, "Amazon SNS (query protocol) in memory"))
