#!/bin/sh
# approve.sh - the SQS consumer of a .waitForTaskToken task: completes the
# task with the token in MessageBody.token ($SERVICES_ASLC is aslc).
token=$(sed -n 's/.*"token": *"\([^"]*\)".*/\1/p')
"$SERVICES_ASLC" send-task-success --task-token "$token" --task-output '{"approved": "by state name"}' >&2 || exit 1
echo '{"MessageId": "m-1"}'
