#!/bin/bash
# servers.sh - starts and stops the AWS-compatible servers aslc's tests run
# against, all on 127.0.0.1 and free ports:
#
#   DynamoDB     dynalite, in memory             (npm, node_server.js)
#   S3           s3rver, its objects in DIR/s3, emptied at start (npm)
#   SQS          sqs_server.py                   (ours, Python)
#   SNS          sns_server.py, delivering to the SQS server
#   EventBridge  events_server.py
#
# Usage:
#   servers.sh start DIR     starts them, waits until each answers, writes
#                            DIR/env; on failure stops what it started
#   servers.sh stop DIR      stops them (each server's process group)
#   servers.sh run DIR CMD...   start, CMD with DIR/env in its environment,
#                            stop (also when CMD fails or is interrupted);
#                            exits with CMD's status
#
# DIR/env holds KEY=value lines, for `set -a; . DIR/env; set +a`:
# AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_SQS,
# AWS_ENDPOINT_URL_SNS, AWS_ENDPOINT_URL_EVENTBRIDGE (http://127.0.0.1:PORT),
# AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (S3RVER and S3RVER: the pair
# s3rver accepts; every server refuses another key id as AWS refuses an
# unknown one), AWS_REGION and AWS_DEFAULT_REGION (us-east-1).
# ARNs and queue URLs carry the account id $ASLC_TEST_ACCOUNT (123456789012
# by default).  Each server's output goes to DIR/NAME.log.  Needs node and
# the npm packages of package.json (tools/install-deps.sh installs both),
# and python3 with botocore ($PYTHON3 names another python3).
set -u
here=$(cd "$(dirname "$0")" && pwd)
PYTHON3=${PYTHON3:-python3}
# The Python servers leave no __pycache__ in the source tree.
export PYTHONDONTWRITEBYTECODE=1
NODE=${NODE:-node}
key=S3RVER
region=us-east-1
account=${ASLC_TEST_ACCOUNT:-123456789012}
names="dynamodb s3 sqs sns eventbridge"

die() {
    echo "servers.sh: $*" >&2
    exit 1
}

# check_tools: what the servers need is installed; a clear error if not.
check_tools() {
    command -v "$NODE" >/dev/null 2>&1 ||
        die "node is not installed (tools/install-deps.sh installs Debian's nodejs and npm)"
    local p
    for p in dynalite s3rver; do
        [ -f "$here/node_modules/$p/package.json" ] ||
            die "the npm package $p is missing in $here/node_modules: run tools/install-deps.sh, or npm ci --omit=optional in $here"
    done
    "$PYTHON3" -c 'import botocore.loaders' 2>/dev/null ||
        die "$PYTHON3 cannot import botocore (tools/install-deps.sh installs python3-botocore)"
}

# launch DIR NAME CMD...: CMD in a session and process group of its own,
# its pid (= its process group) in DIR/NAME.pid, its output in DIR/NAME.log.
launch() {
    local dir=$1 name=$2
    shift 2
    rm -f "$dir/$name.port"
    setsid sh -c 'echo $$ >"$0"; exec "$@"' "$dir/$name.pid" "$@" \
        </dev/null >"$dir/$name.log" 2>&1 &
}

# ready DIR NAME: waits until NAME wrote its port and accepts connections;
# fails at once if it exited.  The limit only guards against a hang.
ready() {
    local dir=$1 name=$2 i pid
    for ((i = 0; i < 600; i++)); do
        pid=$(cat "$dir/$name.pid" 2>/dev/null)
        if [ -s "$dir/$name.port" ] &&
            (exec 9<>"/dev/tcp/127.0.0.1/$(cat "$dir/$name.port")") 2>/dev/null; then
            return 0
        fi
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            echo "servers.sh: the $name server exited; its output:" >&2
            cat "$dir/$name.log" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "servers.sh: the $name server did not answer; its output:" >&2
    cat "$dir/$name.log" >&2
    return 1
}

start() {
    local dir=$1 name
    check_tools
    mkdir -p "$dir" && rm -rf "$dir/s3" && mkdir "$dir/s3" || die "cannot create $dir/s3"
    dir=$(cd "$dir" && pwd)
    launch "$dir" dynamodb "$NODE" "$here/node_server.js" dynalite --port-file "$dir/dynamodb.port" \
        --access-key "$key"
    launch "$dir" s3 "$NODE" "$here/node_server.js" s3rver --port-file "$dir/s3.port" \
        --directory "$dir/s3"
    launch "$dir" sqs "$PYTHON3" "$here/sqs_server.py" --port 0 --port-file "$dir/sqs.port" \
        --access-key "$key" --region "$region" --account "$account"
    launch "$dir" eventbridge "$PYTHON3" "$here/events_server.py" --port 0 \
        --port-file "$dir/eventbridge.port" --access-key "$key" --region "$region" --account "$account"
    ready "$dir" sqs || { stop "$dir"; exit 1; }
    launch "$dir" sns "$PYTHON3" "$here/sns_server.py" --port 0 --port-file "$dir/sns.port" \
        --access-key "$key" --region "$region" --account "$account" \
        --sqs-endpoint "http://127.0.0.1:$(cat "$dir/sqs.port")"
    for name in $names; do
        ready "$dir" "$name" || { stop "$dir"; exit 1; }
    done
    {
        for name in $names; do
            echo "AWS_ENDPOINT_URL_$(echo "$name" | tr '[:lower:]' '[:upper:]')=http://127.0.0.1:$(cat "$dir/$name.port")"
        done
        echo "AWS_ACCESS_KEY_ID=$key"
        echo "AWS_SECRET_ACCESS_KEY=$key"
        echo "AWS_REGION=$region"
        echo "AWS_DEFAULT_REGION=$region"
    } >"$dir/env.tmp" && mv "$dir/env.tmp" "$dir/env"
}

# stop DIR: SIGTERM to each server's process group, SIGKILL to what is
# still there after a while.
stop() {
    local dir=$1 name pid i alive
    for name in $names; do
        pid=$(cat "$dir/$name.pid" 2>/dev/null) || continue
        [ -n "$pid" ] && kill -TERM -- "-$pid" 2>/dev/null
    done
    for ((i = 0; i < 50; i++)); do
        alive=
        for name in $names; do
            pid=$(cat "$dir/$name.pid" 2>/dev/null) || continue
            [ -n "$pid" ] && kill -0 -- "-$pid" 2>/dev/null && alive=yes
        done
        [ -z "$alive" ] && break
        sleep 0.1
    done
    for name in $names; do
        pid=$(cat "$dir/$name.pid" 2>/dev/null) || continue
        [ -n "$pid" ] && kill -KILL -- "-$pid" 2>/dev/null
        rm -f "$dir/$name.pid" "$dir/$name.port"
    done
    rm -f "$dir/env"
    return 0
}

case ${1:-} in
    start)
        [ $# = 2 ] || die "usage: servers.sh start DIR"
        start "$2"
        ;;
    stop)
        [ $# = 2 ] || die "usage: servers.sh stop DIR"
        stop "$2"
        ;;
    run)
        [ $# -ge 3 ] || die "usage: servers.sh run DIR CMD..."
        dir=$2
        shift 2
        trap 'stop "$dir"' EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        start "$dir"
        set -a
        . "$dir/env"
        set +a
        "$@"
        ;;
    *)
        die "usage: servers.sh start DIR | stop DIR | run DIR CMD..."
        ;;
esac
