#!/bin/sh
# A callback task's function: reads {"token", "do", "i"} and, as "do" says,
# completes its own task with $CALLBACK_CLI (aslc or a workflow program),
# or writes the token to $CALLBACK_DIR/token.<i> for the test to use later.
event=$(cat)
token=$(printf '%s' "$event" | sed -n 's/.*"token":"\([A-Za-z0-9_-]*\)".*/\1/p')
what=$(printf '%s' "$event" | sed -n 's/.*"do":"\([a-z]*\)".*/\1/p')
i=$(printf '%s' "$event" | sed -n 's/.*"i":\([0-9]*\).*/\1/p')
case $what in
success)
    $CALLBACK_CLI send-task-success --task-token "$token" --task-output '{"from": "handler"}' ;;
fail)
    $CALLBACK_CLI send-task-failure --task-token "$token" --error Rejected --cause "no way" ;;
twice)
    $CALLBACK_CLI send-task-success --task-token "$token" --task-output '1'
    $CALLBACK_CLI send-task-success --task-token "$token" --task-output '2' \
        2>"$CALLBACK_DIR/twice.err"
    echo $? >"$CALLBACK_DIR/twice.rc" ;;
record)
    printf '%s' "$token" >"$CALLBACK_DIR/token.${i:-0}.tmp"
    mv "$CALLBACK_DIR/token.${i:-0}.tmp" "$CALLBACK_DIR/token.${i:-0}" ;;
esac
# What the function returns is not the state's result.
echo '{"submitted": true}'
