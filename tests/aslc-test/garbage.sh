#!/bin/sh
# A handler that prints control characters, XML's special characters and
# bytes that are not UTF-8, not JSON.
cat >/dev/null
printf '\001<&>\377\376 "not JSON"\n'
