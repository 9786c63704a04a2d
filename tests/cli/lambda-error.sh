#!/bin/sh
# A task handler program that fails the way a Lambda function does.
cat >/dev/null
echo '{"errorType": "OrderError", "errorMessage": "no such order"}'
exit 1
