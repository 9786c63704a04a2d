#!/bin/bash
# run-aws-s3.sh - S3 through the rest-xml codec against a real s3rver (an
# S3-compatible server, npm package s3rver, which checks each request's
# access key and its x-amz-content-sha256 header, though not the SigV4
# signature itself): aws-sdk:s3 putObject (text, object, number),
# getObject, listObjectsV2 with one and with two objects, AWS's errors
# (a missing key, a missing bucket, wrong credentials, an endpoint that
# does not answer), in both query languages; and the distributed Map's
# ItemReader (getObject of a CSV, listObjectsV2) and ResultWriter reading
# and writing S3 itself when AWS_ENDPOINT_URL_S3 is set and --s3-root is
# not given.
#
# s3rver runs through tests/services/aws/servers.sh (which starts the other
# service servers too), on 127.0.0.1 on a free port, with its data in the
# test's temporary directory, and is stopped at the end; the buckets are
# made with the AWS CLI.  Node, the npm packages or the AWS CLI missing, or
# a server that does not start, fail the test.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/cli/lib.sh"
servers=$top_srcdir/tests/services/aws/servers.sh

if [ "$have_python" = no ]; then
    echo "run-aws-s3.sh: no python3" >&2
    exit 1
fi
command -v aws >/dev/null 2>&1 || {
    echo "run-aws-s3.sh: the AWS CLI (aws) is not installed: tools/install-deps.sh installs it" >&2
    exit 1
}

srv=$tmp/servers
trap 'bash "$servers" stop "$srv"; rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
bash "$servers" start "$srv" || {
    echo "run-aws-s3.sh: the servers did not start" >&2
    exit 1
}
port=$(sed -n 's|^AWS_ENDPOINT_URL_S3=http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$srv/env")

unset AWS_ENDPOINT_URL AWS_PROFILE AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY
export AWS_ENDPOINT_URL_S3=http://127.0.0.1:$port
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
export AWS_CONFIG_FILE=$tmp/no-config AWS_SHARED_CREDENTIALS_FILE=$tmp/no-credentials
for bucket in bucket1 bucket2; do
    AWS_REGION=us-east-1 aws --endpoint-url "$AWS_ENDPOINT_URL_S3" s3api create-bucket \
        --bucket "$bucket" >/dev/null || {
        echo "run-aws-s3.sh: cannot create the bucket $bucket" >&2
        exit 1
    }
done

# check DESC PYTHON: the last run exited 0 and PYTHON (given the output as
# the JSON value out) holds.
check() {
    local desc=$1 code=$2
    expect "$desc" eval '[ "$rc" = 0 ] && "$PYTHON3" -c "import json, re, sys
out = json.loads(sys.argv[1])
$code" "$out"'
}

md5() { printf '%s' "$1" | md5sum | cut -d' ' -f1; }
date_re='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{3})?Z$'

# ---- putObject, getObject, listObjectsV2 -----------------------------------
cat >"$tmp/objects.asl.json" <<'EOF'
{"StartAt": "PutText", "States": {
 "PutText": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
   "Parameters": {"Bucket": "bucket1", "Key": "dir/a b.txt", "Body": "text data"},
   "ResultPath": "$.text", "Next": "ListOne"},
 "ListOne": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listObjectsV2",
   "Parameters": {"Bucket": "bucket1", "Prefix": "dir/"}, "ResultPath": "$.one", "Next": "PutDict"},
 "PutDict": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
   "Parameters": {"Bucket": "bucket1", "Key": "dir/dict.json", "Body": {"Dict": "Value"}},
   "ResultPath": "$.dict", "Next": "PutNum"},
 "PutNum": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
   "Parameters": {"Bucket": "bucket1", "Key": "num", "Body": 0},
   "ResultPath": "$.num", "Next": "ListTwo"},
 "ListTwo": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listObjectsV2",
   "Parameters": {"Bucket": "bucket1", "Prefix": "dir/"}, "ResultPath": "$.two", "Next": "Get"},
 "Get": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
   "Parameters": {"Bucket": "bucket1", "Key": "dir/a b.txt"}, "ResultPath": "$.get", "Next": "GetDict"},
 "GetDict": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
   "Parameters": {"Bucket": "bucket1", "Key": "dir/dict.json"},
   "ResultSelector": {"Body.$": "States.StringToJson($.Body)"}, "ResultPath": "$.getDict",
   "End": true}}}
EOF
run "$aslc" run "$tmp/objects.asl.json" --input '{}'
check "putObject of a text, an object and a number: S3's ETags are the MD5s of their JSON texts (the text with its quotes, as Step Functions stores it), and of \"0\"" "
assert out['text'] == {'ETag': '\"$(md5 '"text data"')\"', 'ServerSideEncryption': 'AES256'}, out['text']
assert out['dict']['ETag'] == '\"$(md5 '{"Dict":"Value"}')\"'
assert out['num']['ETag'] == '\"$(md5 0)\"'"
check "listObjectsV2 with one object: Contents a list, KeyCount a number, IsTruncated a boolean, LastModified a date" "
one = out['one']
assert isinstance(one['Contents'], list) and len(one['Contents']) == 1, one
c = one['Contents'][0]
assert c['Key'] == 'dir/a b.txt' and c['Size'] == 11 and c['StorageClass'] == 'STANDARD', c
assert c['ETag'] == '\"$(md5 '"text data"')\"'
assert re.match(r'$date_re', c['LastModified']), c
assert one['KeyCount'] == 1 and one['IsTruncated'] is False and one['Name'] == 'bucket1'
assert one['Prefix'] == 'dir/' and one['MaxKeys'] == 1000"
check "listObjectsV2 with two objects, in key order" "
two = out['two']
assert [c['Key'] for c in two['Contents']] == ['dir/a b.txt', 'dir/dict.json'], two
assert two['KeyCount'] == 2"
check "getObject: the body as text, the headers as typed members, Metadata {}" "
g = out['get']
assert g['Body'] == '\"text data\"' and g['ContentLength'] == 11, g
assert g['ContentType'] == 'binary/octet-stream' and g['Metadata'] == {}, g
assert g['ETag'] == '\"$(md5 '"text data"')\"' and g['AcceptRanges'] == 'bytes', g
assert re.match(r'$date_re', g['LastModified']), g
assert list(g)[-1] == 'Body', list(g)
assert out['getDict'] == {'Body': {'Dict': 'Value'}}"

cat >"$tmp/objects-jsonata.asl.json" <<'EOF'
{"QueryLanguage": "JSONata", "StartAt": "Put", "States": {
 "Put": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
   "Arguments": {"Bucket": "bucket2", "Key": "{% $states.input.key %}", "Body": "{% $states.input.body %}"},
   "Output": "{% $states.result %}", "Next": "Get"},
 "Get": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
   "Arguments": {"Bucket": "bucket2", "Key": "k/1"},
   "Output": {"put": "{% $states.input %}", "body": "{% $parse($states.result.Body) %}"}, "End": true}}}
EOF
run "$aslc" run "$tmp/objects-jsonata.asl.json" --input '{"key": "k/1", "body": [1, "two"]}'
check "JSONata: Arguments to putObject and getObject, the body read back" "
assert out == {'put': {'ETag': '\"$(md5 '[1,"two"]')\"', 'ServerSideEncryption': 'AES256'}, 'body': [1, 'two']}, out"

# ---- other operations, by the same codec ------------------------------------------
cat >"$tmp/more.asl.json" <<'EOF'
{"StartAt": "Create", "States": {
 "Create": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:createBucket",
   "Parameters": {"Bucket": "newbucket", "CreateBucketConfiguration": {"LocationConstraint": "us-west-2"}},
   "ResultPath": "$.create", "Next": "Put"},
 "Put": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
   "Parameters": {"Bucket": "newbucket", "Key": "x/y.txt", "Body": "hello",
     "Metadata": {"owner": "me"}, "ContentType": "text/plain"}, "ResultPath": null, "Next": "Head"},
 "Head": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:headObject",
   "Parameters": {"Bucket": "newbucket", "Key": "x/y.txt"}, "ResultPath": "$.head", "Next": "Copy"},
 "Copy": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:copyObject",
   "Parameters": {"Bucket": "newbucket", "Key": "z.txt", "CopySource": "newbucket/x/y.txt"},
   "ResultPath": "$.copy", "Next": "Tag"},
 "Tag": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObjectTagging",
   "Parameters": {"Bucket": "newbucket", "Key": "z.txt", "Tagging": {"TagSet": [{"Key": "a", "Value": "b c"}]}},
   "ResultPath": null, "Next": "GetTag"},
 "GetTag": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObjectTagging",
   "Parameters": {"Bucket": "newbucket", "Key": "z.txt"}, "ResultPath": "$.tags", "Next": "Delete"},
 "Delete": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:deleteObjects",
   "Parameters": {"Bucket": "newbucket", "Delete": {"Objects": [{"Key": "x/y.txt"}, {"Key": "z.txt"}]}},
   "ResultPath": "$.deleted", "Next": "Buckets"},
 "Buckets": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listBuckets",
   "ResultSelector": {"names.$": "$.Buckets[*].Name"}, "ResultPath": "$.buckets", "End": true}}}
EOF
run "$aslc" run "$tmp/more.asl.json" --input '{}'
check "createBucket (an XML payload), headObject (metadata headers), copyObject, tagging, deleteObjects (XML with Content-MD5), listBuckets" "
h = out['head']
assert h['Metadata'] == {'owner': 'me'} and h['ContentType'] == 'text/plain' and h['ContentLength'] == 7, h
assert out['copy']['CopyObjectResult']['ETag'] == '\"$(md5 '"hello"')\"', out['copy']
assert out['tags'] == {'TagSet': [{'Key': 'a', 'Value': 'b c'}]}, out['tags']
assert sorted(d['Key'] for d in out['deleted']['Deleted']) == ['x/y.txt', 'z.txt'], out['deleted']
assert 'newbucket' in out['buckets']['names'], out['buckets']"

# ---- errors -------------------------------------------------------------------
cat >"$tmp/errors.asl.json" <<'EOF'
{"StartAt": "NoKey", "States": {
 "NoKey": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
   "Parameters": {"Bucket": "bucket1", "Key": "no_such_key.json"},
   "Catch": [{"ErrorEquals": ["S3.NoSuchKeyException"], "ResultPath": "$.noKey", "Next": "NoBucket"}],
   "Next": "NoBucket"},
 "NoBucket": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listObjects",
   "Parameters": {"Bucket": "someNonexistentBucketName"},
   "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.noBucket", "Next": "Head"}],
   "Next": "Head"},
 "Head": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:headObject",
   "Parameters": {"Bucket": "bucket1", "Key": "missing"},
   "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.head", "Next": "Done"}],
   "Next": "Done"},
 "Done": {"Type": "Pass", "End": true}}}
EOF
run "$aslc" run "$tmp/errors.asl.json" --input '{}'
check "a missing key, a missing bucket and a HEAD without a body: AWS's error names and Causes" "
k = out['noKey']
assert k['Error'] == 'S3.NoSuchKeyException', k
assert re.match(r'The specified key does not exist\. \(Service: S3, Status Code: 404, Request ID: [^,]+, Extended Request ID: [^)]+\) \(SDK Attempt Count: 1\)$', k['Cause']), k
b = out['noBucket']
assert b['Error'] == 'S3.NoSuchBucketException', b
assert b['Cause'].startswith('The specified bucket does not exist (Service: S3, Status Code: 404, Request ID: '), b
h = out['head']
assert h['Error'] == 'S3.S3Exception' and 'Status Code: 404' in h['Cause'], h"

AWS_ACCESS_KEY_ID=AKIDWRONG run "$aslc" run "$tmp/errors.asl.json" --input '{}'
expect "wrong credentials: S3 refuses the access key (403, InvalidAccessKeyId, a code the model does not know): S3.S3Exception, not caught as NoSuchKey" \
    eval '[ "$rc" = 1 ] && printf "%s" "$out" | grep -q "^{\"Error\":\"S3.S3Exception\",\"Cause\":\"The AWS Access Key Id you provided does not exist in our records. (Service: S3, Status Code: 403, Request ID: "'

# An endpoint that does not answer: a port nothing listens on.
closed=$("$PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
AWS_ENDPOINT_URL_S3=http://127.0.0.1:$closed run "$aslc" run "$tmp/objects-jsonata.asl.json" \
    --input '{"key": "k", "body": "b"}'
expect "an endpoint that does not answer: S3.SdkClientException" \
    eval '[ "$rc" = 1 ] && printf "%s" "$out" | grep -q "\"Error\":\"S3.SdkClientException\",\"Cause\":\"Unable to execute HTTP request: "'

# ---- the distributed Map against S3 -------------------------------------------
printf 'name,n\na,1\nb,2\nc,3\n' >"$tmp/rows.csv"
cat >"$tmp/map.asl.json" <<'EOF'
{"StartAt": "Rows", "States": {
 "Rows": {"Type": "Map",
   "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
     "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
     "Parameters": {"Bucket": "bucket2", "Key": "items/rows.csv"}},
   "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
     "StartAt": "Double", "States": {"Double": {"Type": "Pass",
       "Parameters": {"name.$": "$.name", "twice.$": "States.MathAdd(States.StringToJson($.n), States.StringToJson($.n))"},
       "End": true}}},
   "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
     "Parameters": {"Bucket": "bucket2", "Prefix": "out"},
     "WriterConfig": {"OutputType": "JSON", "Transformation": "COMPACT"}},
   "ResultPath": "$.written", "Next": "Manifest"},
 "Manifest": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
   "Parameters": {"Bucket": "bucket2", "Key.$": "$.written.ResultWriterDetails.Key"},
   "ResultSelector": {"manifest.$": "States.StringToJson($.Body)"}, "ResultPath": "$.manifest",
   "Next": "Results"},
 "Results": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
   "Parameters": {"Bucket": "bucket2", "Key.$": "$.manifest.manifest.ResultFiles.SUCCEEDED[0].Key"},
   "ResultSelector": {"results.$": "States.StringToJson($.Body)"}, "ResultPath": "$.results",
   "Next": "Listed"},
 "Listed": {"Type": "Map",
   "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2",
     "Parameters": {"Bucket": "bucket2", "Prefix": "items/"}},
   "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
     "StartAt": "Key", "States": {"Key": {"Type": "Pass", "End": true}}},
   "ResultPath": "$.listed", "Next": "Missing"},
 "Missing": {"Type": "Map",
   "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
     "ReaderConfig": {"InputType": "JSON"},
     "Parameters": {"Bucket": "bucket2", "Key": "items/none.json"}},
   "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
     "StartAt": "Nothing", "States": {"Nothing": {"Type": "Pass", "End": true}}},
   "Catch": [{"ErrorEquals": ["States.ItemReaderFailed"], "ResultPath": "$.missing", "Next": "Done"}],
   "End": true},
 "Done": {"Type": "Pass", "OutputPath": "$['written', 'manifest', 'results', 'listed', 'missing']", "End": true}}}
EOF
# The CSV goes in as a file (a putObject Task would store a text as JSON).
"$PYTHON3" -c '
import sys, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
s3.put_object(Bucket="bucket2", Key="items/rows.csv", Body=open(sys.argv[2], "rb").read())
' "$AWS_ENDPOINT_URL_S3" "$tmp/rows.csv" || exit 99
run "$aslc" run "$tmp/map.asl.json" --input '{}'
check "ItemReader getObject of a CSV in S3, ResultWriter to S3: the manifest and results read back" "
w = out['written']
assert w['ResultWriterDetails']['Bucket'] == 'bucket2', w
assert re.match(r'out/[0-9a-f-]+/manifest\.json$', w['ResultWriterDetails']['Key']), w
m = out['manifest']['manifest']
assert m['DestinationBucket'] == 'bucket2' and len(m['ResultFiles']['SUCCEEDED']) == 1, m
assert out['results']['results'] == [{'name': 'a', 'twice': 2}, {'name': 'b', 'twice': 4}, {'name': 'c', 'twice': 6}], out['results']"
check "ItemReader listObjectsV2 in S3: the objects' Etag, Key, LastModified (epoch seconds), Size, StorageClass" "
l = out['listed']
assert len(l) == 1 and l[0]['Key'] == 'items/rows.csv' and l[0]['Size'] == 19, l
assert l[0]['Etag'] == '\"$(md5 "$(cat "$tmp/rows.csv")
")\"', l
assert isinstance(l[0]['LastModified'], int) and l[0]['StorageClass'] == 'STANDARD', l"
check "ItemReader of a missing object: States.ItemReaderFailed with S3's Cause" "
e = out['missing']
assert e['Error'] == 'States.ItemReaderFailed', e
assert e['Cause'].startswith('The specified key does not exist. (Service: S3, Status Code: 404'), e"

# --s3-root still wins over the endpoint.
mkdir -p "$tmp/root/bucket2/items"
printf '[{"n": 1}]' >"$tmp/root/bucket2/items/local.json"
cat >"$tmp/local.asl.json" <<'EOF'
{"StartAt": "M", "States": {"M": {"Type": "Map",
   "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
     "Parameters": {"Bucket": "bucket2", "Key": "items/local.json"}},
   "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
     "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}}}
EOF
run "$aslc" run "$tmp/local.asl.json" --s3-root "$tmp/root" --input '{}'
check "--s3-root is read, not the endpoint" "
assert out == [{'n': 1}], out"

finish
