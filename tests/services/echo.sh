#!/bin/sh
# echo.sh WHO - a handler that answers {"by": WHO, "event": EVENT}.
printf '{"by": "%s", "event": %s}\n' "$1" "$(cat)"
