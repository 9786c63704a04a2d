#!/bin/sh
# An --override-task program that fails as a Lambda function does.
cat >/dev/null
echo '{"errorType": "Custom.Flaky", "errorMessage": "not this time"}'
exit 1
