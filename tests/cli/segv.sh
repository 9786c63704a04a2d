#!/bin/sh
# A task handler program that crashes.
cat >/dev/null
kill -SEGV $$
