/*
 * teststep.c - what the TestState action (server/teststate.c) needs of an
 * execution besides the ops of aslrt.h: it runs one state of a machine by
 * calling those ops itself, from the graph function it puts in the place of
 * the machine's own, and through these functions it gives the state the
 * variables and context object the request names, answers a mocked service
 * with an error, sets the attempts a state's retriers have made, and reads
 * back the error and the variables.  Nothing else in the runtime calls them
 * (doc/behaviour.md §32).
 */
#include <limits.h>

#include "exec_private.h"

/* A state tested alone is not an execution: no limit on how long one may
 * run applies (its Wait does not wait; doc/behaviour.md §38). */
void aslrtp_step_unlimited(aslrt_exec *ex)
{
    ex->limit_ms = LLONG_MAX;
}

void aslrtp_step_set_vars(aslrt_exec *ex, json_t *vars)
{
    aslrtp_slot_set(&ex->vars, vars ? json_deep_copy(vars) : NULL);
}

json_t *aslrtp_step_vars(const aslrt_exec *ex)
{
    return ex->vars;
}

void aslrtp_step_set_context(aslrt_exec *ex, json_t *context)
{
    aslrtp_slot_set(&ex->context, json_incref(context));
}

void aslrtp_step_fail(aslrt_exec *ex, const char *error, const char *cause)
{
    aslrtp_ex_fail_plain(ex, error, cause);
}

const aslrt_error *aslrtp_step_error(const aslrt_exec *ex)
{
    return &ex->error;
}

void aslrtp_step_set_retries(aslrt_exec *ex, int count)
{
    const aslrt_state *s = ex->state;
    for (int i = 0; s && i < s->nretriers; i++)
        ex->retry_counts[s->retrier + i] = count;
}

json_t *aslrtp_step_select(aslrt_exec *ex, int item, json_t *doc)
{
    return aslrtp_ex_select(ex, item, doc);
}
