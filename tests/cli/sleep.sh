#!/bin/sh
# A handler that takes long: SIGTERM to the execution must not wait for it.
# It notes its process id in $SLEEP_PIDFILE so that the test can check that
# it was stopped.
[ -n "${SLEEP_PIDFILE:-}" ] && echo $$ >"$SLEEP_PIDFILE"
sleep 60
echo '{}'
