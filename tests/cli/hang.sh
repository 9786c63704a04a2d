#!/bin/sh
# A handler that never returns by itself: the execution must stop it.  It
# appends its process id to $HANG_PIDS, then becomes `sleep` (so that the
# process the test watches is the handler itself).
echo $$ >>"$HANG_PIDS"
exec sleep 100000
