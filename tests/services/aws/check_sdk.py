#!/usr/bin/env python3
"""check_sdk.py - the servers of servers.sh as boto3 sees them, and the
protocols boto3 of this machine does not speak, spoken by hand: turns the
endpoints of the environment (servers.sh's DIR/env) into one line per check,
"pass: WHAT" or "FAIL: WHAT (why)", for tests/run-aws-servers.sh.

boto3 speaks SQS in the query protocol up to botocore 1.30 (Debian 12's)
and in awsJson1_0 after; the other one is sent here as raw HTTP, so that
both are checked whichever boto3 is installed.
"""

import hashlib
import json
import os
import struct
import sys
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import boto3
import botocore
import botocore.config
import botocore.exceptions
from botocore.exceptions import ClientError

failures = 0


def check(what, ok, why=""):
    """Prints one check and counts its failure."""
    global failures
    if ok:
        print("pass: " + what)
    else:
        failures += 1
        print("FAIL: %s%s" % (what, " (%s)" % (why,) if why else ""))


def error_of(fn, **kw):
    """The error code and message of a call expected to fail."""
    try:
        fn(**kw)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"].get("Message", "")
    return None, "no error"


def md5_of_attributes(attrs):
    """MD5OfMessageAttributes as the SQS documentation computes it."""
    h = hashlib.md5()
    for name in sorted(attrs):
        a = attrs[name]
        for part in (name.encode(), a["DataType"].encode()):
            h.update(struct.pack(">I", len(part)) + part)
        if "BinaryValue" in a:
            value = a["BinaryValue"]
            h.update(b"\x02")
        else:
            value = a["StringValue"].encode()
            h.update(b"\x01")
        h.update(struct.pack(">I", len(value)) + value)
    return h.hexdigest()


def raw(url, body, headers):
    """POSTs BODY to URL, signed in name only; (status, headers, text)."""
    headers = dict(headers, Authorization="AWS4-HMAC-SHA256 Credential=%s/20240101/us-east-1/"
                   "sqs/aws4_request, SignedHeaders=host, Signature=00"
                   % os.environ["AWS_ACCESS_KEY_ID"])
    rq = urllib.request.Request(url, body.encode(), headers)
    try:
        with urllib.request.urlopen(rq) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def client(service, env):
    """A boto3 client of SERVICE at the endpoint the variable ENV names."""
    return boto3.client(service, endpoint_url=os.environ[env], region_name="us-east-1",
                        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"])


def main():
    """Every check, in order; 1 if one failed."""
    print("boto3 %s, botocore %s" % (boto3.__version__, botocore.__version__))
    sqs = client("sqs", "AWS_ENDPOINT_URL_SQS")
    sns = client("sns", "AWS_ENDPOINT_URL_SNS")
    events = client("events", "AWS_ENDPOINT_URL_EVENTBRIDGE")
    ddb = client("dynamodb", "AWS_ENDPOINT_URL_DYNAMODB")
    s3 = client("s3", "AWS_ENDPOINT_URL_S3")
    protocol = sqs.meta.service_model.protocol
    print("boto3 speaks SQS in the %s protocol" % protocol)

    # SQS through boto3: binary attributes, their MD5, receive and delete.
    url = sqs.create_queue(QueueName="sdk-queue")["QueueUrl"]
    attrs = {"text": {"DataType": "String", "StringValue": "h\u00e9llo"},
             "count": {"DataType": "Number", "StringValue": "1.50"},
             "blob": {"DataType": "Binary", "BinaryValue": bytes([0, 1, 255])},
             "custom": {"DataType": "String.custom", "StringValue": "x"}}
    sent = sqs.send_message(QueueUrl=url, MessageBody="h\u00e9llo \U0001F600",
                            MessageAttributes=attrs)
    check("boto3 SQS send-message: MD5OfMessageBody is the MD5 of the UTF-8 body",
          sent["MD5OfMessageBody"] == hashlib.md5("h\u00e9llo \U0001F600".encode()).hexdigest(),
          sent)
    check("boto3 SQS send-message: MD5OfMessageAttributes as the SQS documentation computes it",
          sent.get("MD5OfMessageAttributes") == md5_of_attributes(attrs), sent)
    got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"],
                              AttributeNames=["All"]).get("Messages", [])
    check("boto3 SQS receive-message: the message, its attributes and their MD5",
          len(got) == 1 and got[0]["MessageId"] == sent["MessageId"]
          and got[0]["MessageAttributes"] == attrs
          and got[0]["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
          and got[0]["Attributes"]["ApproximateReceiveCount"] == "1", got)
    again = sqs.receive_message(QueueUrl=url).get("Messages", [])
    check("boto3 SQS: a received message stays invisible for the visibility timeout",
          again == [], again)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    n = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    check("boto3 SQS: deleted, the queue is empty",
          n["ApproximateNumberOfMessages"] == "0"
          and n["ApproximateNumberOfMessagesNotVisible"] == "0", n)
    code, msg = error_of(sqs.send_message, QueueUrl=url, MessageBody="")
    check("boto3 SQS: an empty MessageBody is MissingParameter",
          (code, msg) == ("MissingParameter",
                          "The request must contain the parameter MessageBody."), (code, msg))
    code, msg = error_of(sqs.get_queue_url, QueueName="no-such-queue")
    check("boto3 SQS: a missing queue is AWS.SimpleQueueService.NonExistentQueue",
          code == "AWS.SimpleQueueService.NonExistentQueue", (code, msg))
    code, msg = error_of(sqs.create_queue, QueueName="bad.fifo")
    check("boto3 SQS: a .fifo name without FifoQueue is refused",
          code == "InvalidParameterValue", (code, msg))
    fifo = sqs.create_queue(QueueName="sdk.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    code, msg = error_of(sqs.send_message, QueueUrl=fifo, MessageBody="x")
    check("boto3 SQS FIFO: MessageGroupId is required", code == "MissingParameter"
          and "MessageGroupId" in msg, (code, msg))
    a = sqs.send_message(QueueUrl=fifo, MessageBody="x", MessageGroupId="g",
                         MessageDeduplicationId="d")
    b = sqs.send_message(QueueUrl=fifo, MessageBody="x", MessageGroupId="g",
                         MessageDeduplicationId="d")
    check("boto3 SQS FIFO: a duplicate keeps its MessageId and SequenceNumber",
          a["MessageId"] == b["MessageId"] and a["SequenceNumber"] == b["SequenceNumber"]
          and len(a["SequenceNumber"]) == 20, (a, b))

    # Batches: per-entry results, per-entry failures, the request's own errors.
    r = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "a", "MessageBody": "one"},
        {"Id": "b", "MessageBody": "two", "MessageAttributes": {
            "k": {"DataType": "Number", "StringValue": "x"}}}])
    check("boto3 SQS send-message-batch: one sent with its MD5, one failed with its code",
          [e["Id"] for e in r.get("Successful", [])] == ["a"]
          and r["Successful"][0]["MD5OfMessageBody"] == hashlib.md5(b"one").hexdigest()
          and [(e["Id"], e["Code"], e["SenderFault"]) for e in r.get("Failed", [])]
          == [("b", "InvalidParameterValue", True)], r)
    code, msg = error_of(sqs.send_message_batch, QueueUrl=url, Entries=[
        {"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}])
    check("boto3 SQS send-message-batch with a repeated Id: BatchEntryIdsNotDistinct",
          code == "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", (code, msg))
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    r = sqs.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": "m%d" % i, "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
    check("boto3 SQS delete-message-batch", [m["Body"] for m in got] == ["one"]
          and [e["Id"] for e in r.get("Successful", [])] == ["m0"] and not r.get("Failed"),
          (got, r))

    # The other SQS protocol, by hand.
    body_md5 = hashlib.md5(b"raw").hexdigest()
    if protocol == "query":
        status, headers, text = raw(os.environ["AWS_ENDPOINT_URL_SQS"], json.dumps(
            {"QueueUrl": url, "MessageBody": "raw"}),
            {"X-Amz-Target": "AmazonSQS.SendMessage",
             "Content-Type": "application/x-amz-json-1.0"})
        check("awsJson1_0 SQS SendMessage by hand: 200 and the body's MD5",
              status == 200 and json.loads(text).get("MD5OfMessageBody") == body_md5,
              (status, text))
        status, headers, text = raw(os.environ["AWS_ENDPOINT_URL_SQS"], json.dumps(
            {"QueueUrl": url + "-missing", "MessageBody": "raw"}),
            {"X-Amz-Target": "AmazonSQS.SendMessage",
             "Content-Type": "application/x-amz-json-1.0"})
        check("awsJson1_0 SQS: a missing queue is QueueDoesNotExist with its query code in "
              "x-amzn-query-error",
              status == 400 and json.loads(text)["__type"].endswith("#QueueDoesNotExist")
              and headers.get("x-amzn-query-error")
              == "AWS.SimpleQueueService.NonExistentQueue;Sender", (status, text))
    else:
        status, headers, text = raw(
            os.environ["AWS_ENDPOINT_URL_SQS"],
            "Action=SendMessage&Version=2012-11-05&QueueUrl=%s&MessageBody=raw"
            "&MessageAttribute.1.Name=k&MessageAttribute.1.Value.DataType=String"
            "&MessageAttribute.1.Value.StringValue=v" % urllib.parse.quote(url, safe=""),
            {"Content-Type": "application/x-www-form-urlencoded"})
        ns = "{http://queue.amazonaws.com/doc/2012-11-05/}"
        try:
            root = ET.fromstring(text)
            md5 = root.findtext(ns + "SendMessageResult/" + ns + "MD5OfMessageBody")
            amd5 = root.findtext(ns + "SendMessageResult/" + ns + "MD5OfMessageAttributes")
        except ET.ParseError:
            md5 = amd5 = None
        check("query SQS SendMessage by hand: 200, XML with the MD5s",
              status == 200 and md5 == body_md5 and amd5 == md5_of_attributes(
                  {"k": {"DataType": "String", "StringValue": "v"}}), (status, text))
        status, headers, text = raw(
            os.environ["AWS_ENDPOINT_URL_SQS"],
            "Action=SendMessage&Version=2012-11-05&QueueUrl=%s" % urllib.parse.quote(url),
            {"Content-Type": "application/x-www-form-urlencoded"})
        check("query SQS: no MessageBody is MissingParameter in an ErrorResponse",
              status == 400 and "<Code>MissingParameter</Code>" in text
              and "The request must contain the parameter MessageBody." in text, (status, text))

    # SNS through boto3.
    topic = sns.create_topic(Name="sdk-topic")["TopicArn"]
    sqs.create_queue(QueueName="sdk-sub")
    sub_url = sqs.get_queue_url(QueueName="sdk-sub")["QueueUrl"]
    sub_arn = sqs.get_queue_attributes(QueueUrl=sub_url,
                                       AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=sub_arn)
    pub = sns.publish(TopicArn=topic, Message="to the queue", Subject="s",
                      MessageAttributes={"n": {"DataType": "Number", "StringValue": "7"}})
    got = sqs.receive_message(QueueUrl=sub_url, WaitTimeSeconds=5).get("Messages", [])
    note = json.loads(got[0]["Body"]) if got else {}
    check("boto3 SNS publish: the subscribed SQS queue gets the notification",
          note.get("Type") == "Notification" and note.get("MessageId") == pub["MessageId"]
          and note.get("Message") == "to the queue"
          and note.get("MessageAttributes") == {"n": {"Type": "Number", "Value": "7"}}, got)
    code, msg = error_of(sns.publish, TopicArn=topic, Message="x",
                         MessageAttributes={"n": {"DataType": "Number", "StringValue": "x"}})
    check("boto3 SNS: a Number attribute that is not a number is ParameterValueInvalid",
          code == "ParameterValueInvalid", (code, msg))
    fifo_topic = sns.create_topic(Name="sdk.fifo", Attributes={
        "FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    a = sns.publish(TopicArn=fifo_topic, Message="m", MessageGroupId="g")
    b = sns.publish(TopicArn=fifo_topic, Message="m", MessageGroupId="g")
    check("boto3 SNS FIFO: content-based deduplication gives the same MessageId",
          a["MessageId"] == b["MessageId"] and "SequenceNumber" in a, (a, b))

    # EventBridge through boto3.
    r = events.put_events(Entries=[
        {"Source": "sdk", "DetailType": "t", "Detail": json.dumps({"k": [1, 2]})},
        {"Source": "sdk", "DetailType": "t"}])
    check("boto3 EventBridge: an entry without Detail fails alone, with InvalidArgument",
          r["FailedEntryCount"] == 1 and "EventId" in r["Entries"][0]
          and r["Entries"][1] == {"ErrorCode": "InvalidArgument", "ErrorMessage":
                                  "Parameter Detail is not valid. Reason: Detail is a "
                                  "required argument."}, r)

    # DynamoDB and S3 through boto3.
    ddb.create_table(TableName="sdk-table", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    ddb.get_waiter("table_exists").wait(TableName="sdk-table",
                                        WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    ddb.put_item(TableName="sdk-table", Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    code, msg = error_of(ddb.update_item, TableName="sdk-table", Key={"pk": {"S": "a"}},
                         UpdateExpression="SET n = :two", ConditionExpression="n = :zero",
                         ExpressionAttributeValues={":two": {"N": "2"}, ":zero": {"N": "0"}})
    check("boto3 DynamoDB: a failed condition is ConditionalCheckFailedException",
          (code, msg) == ("ConditionalCheckFailedException", "The conditional request failed"),
          (code, msg))
    s3.create_bucket(Bucket="sdk-bucket")
    s3.put_object(Bucket="sdk-bucket", Key="dir/a.json", Body=b'{"a":1}')
    body = s3.get_object(Bucket="sdk-bucket", Key="dir/a.json")["Body"].read()
    listed = s3.list_objects_v2(Bucket="sdk-bucket", Prefix="dir/")
    check("boto3 S3: put, get and list-objects-v2, path-style",
          body == b'{"a":1}' and [o["Key"] for o in listed.get("Contents", [])]
          == ["dir/a.json"] and listed["KeyCount"] == 1, (body, listed))
    # Credentials: none, and a key id the servers do not know.
    unsigned = botocore.config.Config(signature_version=botocore.UNSIGNED)
    wrong = dict(aws_access_key_id="AKIDWRONG", aws_secret_access_key="x")
    for service, env, call, none_code, wrong_code in (
            ("sqs", "AWS_ENDPOINT_URL_SQS", "list_queues", "MissingAuthenticationToken",
             "InvalidClientTokenId"),
            ("sns", "AWS_ENDPOINT_URL_SNS", "list_topics", "MissingAuthenticationToken",
             "InvalidClientTokenId"),
            ("events", "AWS_ENDPOINT_URL_EVENTBRIDGE", "list_event_buses",
             "MissingAuthenticationTokenException", "UnrecognizedClientException"),
            ("dynamodb", "AWS_ENDPOINT_URL_DYNAMODB", "list_tables",
             "MissingAuthenticationTokenException", "UnrecognizedClientException"),
            ("s3", "AWS_ENDPOINT_URL_S3", "list_buckets", None, "InvalidAccessKeyId")):
        if none_code:
            c = boto3.client(service, endpoint_url=os.environ[env], region_name="us-east-1",
                             config=unsigned)
            code, msg = error_of(getattr(c, call))
            check("boto3 %s without credentials: %s" % (service, none_code),
                  code == none_code, (code, msg))
        if wrong_code:
            c = boto3.client(service, endpoint_url=os.environ[env], region_name="us-east-1",
                             **wrong)
            code, msg = error_of(getattr(c, call))
            check("boto3 %s with an unknown key id: %s" % (service, wrong_code),
                  code == wrong_code, (code, msg))

    # Throttling: the service's error without retries, success after them
    # (botocore's standard mode does not count SNS's Throttled, a 429, as a
    # throttling error; its legacy mode retries every 429).
    once = botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1})
    for service, env, call, code_expected, mode in (
            ("sqs", "AWS_ENDPOINT_URL_SQS", "list_queues", "RequestThrottled", "standard"),
            ("sns", "AWS_ENDPOINT_URL_SNS", "list_topics", "Throttled", "legacy"),
            ("events", "AWS_ENDPOINT_URL_EVENTBRIDGE", "list_event_buses",
             "ThrottlingException", "standard")):
        base = os.environ[env]
        urllib.request.urlopen(urllib.request.Request(base + "/_aslc/throttle?count=1", b"",
                                                      method="POST")).read()
        c = boto3.client(service, endpoint_url=base, region_name="us-east-1", config=once)
        code, msg = error_of(getattr(c, call))
        check("boto3 %s throttled, no retry: %s" % (service, code_expected),
              code == code_expected, (code, msg))
        urllib.request.urlopen(urllib.request.Request(base + "/_aslc/throttle?count=2", b"",
                                                      method="POST")).read()
        c = boto3.client(service, endpoint_url=base, region_name="us-east-1",
                         config=botocore.config.Config(
                             retries={"mode": mode, "total_max_attempts": 3}))
        try:
            r = getattr(c, call)()
            retries = r["ResponseMetadata"].get("RetryAttempts")
        except ClientError as e:
            retries = e.response["Error"]["Code"]
        check("boto3 %s throttled twice: retried (%s mode), the third call succeeds"
              % (service, mode), retries == 2, retries)

    # A delayed answer: the client's read timeout applies.
    base = os.environ["AWS_ENDPOINT_URL_SQS"]
    urllib.request.urlopen(urllib.request.Request(base + "/_aslc/delay?count=1&seconds=5", b"",
                                                  method="POST")).read()
    c = boto3.client("sqs", endpoint_url=base, region_name="us-east-1",
                     config=botocore.config.Config(read_timeout=1, retries={
                         "mode": "standard", "total_max_attempts": 1}))
    try:
        c.list_queues()
        timed_out = False
    except botocore.exceptions.ReadTimeoutError:
        timed_out = True
    check("SQS delayed by /_aslc/delay: the client's read timeout applies", timed_out)
    r = c.list_queues()
    check("SQS after the delayed call: answers at once again", "QueueUrls" in r, r)

    print("done: check_sdk.py ran to its end")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
