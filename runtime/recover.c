/*
 * recover.c - the Retry and Catch ops: what a failed state does with its
 * error before it ends the execution.
 *
 * Model.  When an op fails, the generated code calls aslrt_op_recover
 * with the state's frame.  Retriers are tried in order and the first whose
 * ErrorEquals matches decides: with attempts left it waits
 * IntervalSeconds * BackoffRate^attempt (capped by MaxDelaySeconds, scaled
 * by FULL jitter) on the execution's clock, counts the attempt in its
 * counter (reset by aslrt_op_enter at each visit of the state) and in
 * $$.State.RetryCount, restores the state's input and returns ASLRT_RETRY;
 * with none left it passes the error to the catchers.  The first catcher
 * that matches returns its index; aslrt_op_catch then builds the state's
 * output from the error output {"Error", "Cause"} (ResultPath, or JSONata
 * Output and Assign) and the generated code jumps to the catcher's Next.
 * States.Runtime errors, timeouts of the execution and aborts are never
 * retried nor caught.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "exec_private.h"

/* ---- Matching errors ---------------------------------------------------- */

/* ASL spec, "Error names": States.ALL matches every error, States.TaskFailed
 * every error but States.Timeout (AWS Developer Guide), other names only
 * themselves.  A missed heartbeat is a States.Timeout that
 * States.HeartbeatTimeout matches too (doc/behaviour.md §17.1). */
static bool matches(const char *name, const char *const *errors, int n, bool heartbeat)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(errors[i], ASLRTP_ERR_ALL) == 0 || strcmp(errors[i], name) == 0)
            return true;
        if (heartbeat && strcmp(errors[i], ASLRTP_ERR_HEARTBEAT_TIMEOUT) == 0)
            return true;
        if (strcmp(errors[i], ASLRTP_ERR_TASK_FAILED) == 0 && strcmp(name, ASLRTP_ERR_TIMEOUT) != 0)
            return true;
    }
    return false;
}

/* ---- Retry -------------------------------------------------------------- */

/* A uniform double in [0, 1), for FULL jitter. */
static double uniform01(aslrt_exec *ex)
{
    uint64_t x = ex->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    ex->rng = x;
    return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

int aslrt_op_recover(aslrt_exec *ex, aslrt_frame *f)
{
    /* An execution that timed out ends; States.Runtime is neither retried
     * nor caught, even by name (recorded on AWS, doc/behaviour.md §17.1). */
    if (ex->status != ASLRT_FAILED)
        return ASLRT_UNCAUGHT;
    const char *name = ex->error.error ? ex->error.error : "";
    if (strcmp(name, ASLRTP_ERR_RUNTIME) == 0) {
        aslrtp_ex_flush_failed(ex);
        return ASLRT_UNCAUGHT;
    }
    const aslrt_state *s = ex->state;
    const aslrt_machine *m = ex->prog->m;

    /* The first retrier that matches decides; when it has no attempts left
     * the catchers are consulted (no fall-through to later retriers). */
    for (int i = 0; i < s->nretriers; i++) {
        const aslrt_retrier *r = &m->retriers[s->retrier + i];
        if (!matches(name, r->errors, r->nerrors, ex->heartbeat_expired))
            continue;
        int *count = &ex->retry_counts[s->retrier + i];
        if (*count >= r->max_attempts)
            break;
        double delay = r->interval * pow(r->backoff, *count);
        if (r->max_delay > 0 && delay > r->max_delay)
            delay = r->max_delay;
        if (r->jitter_full)
            delay *= uniform01(ex);
        /* --override-retry: a fixed wait instead (doc/behaviour.md §41). */
        const double *over = ex->cfg->retry_override_ms;
        if (over && over[s->retrier + i] >= 0)
            delay = over[s->retrier + i] / 1000;
        (*count)++;
        ex->retry_total++;
        int passed = aslrtp_ex_pass_time(ex, delay * 1000);
        if (passed <= 0) {
            if (passed < 0)
                aslrtp_ex_aborted(ex);
            else
                aslrtp_ex_timed_out(ex);
            return ASLRT_UNCAUGHT;
        }
        aslrt_error_clear(&ex->error);
        ex->status = ASLRT_SUCCEEDED;
        aslrtp_slot_set(&ex->pending, NULL);
        aslrtp_slot_set(&f->raw, json_incref(f->input));
        aslrtp_slot_set(&f->eff, NULL);
        aslrtp_slot_set(&f->res, NULL);
        if (ex->context) { /* $$.State.RetryCount changed */
            json_decref(ex->context);
            ex->context = NULL;
        }
        if (ex->task_token) /* a new attempt, a new token */
            aslrtp_ex_drop_token(ex);
        ex->failed_event = ASLRTP_EV_NONE; /* a Map or Parallel starts again */
        return ASLRT_RETRY;
    }
    aslrtp_ex_flush_failed(ex);
    for (int k = 0; k < s->ncatchers; k++) {
        const aslrt_catcher *c = &m->catchers[s->catcher + k];
        if (!matches(name, c->errors, c->nerrors, ex->heartbeat_expired))
            continue;
        /* The error output (ASL spec, "Error Output"). */
        json_t *out = json_object();
        json_object_set_new(out, "Error", ex->error.error ? json_string(name) : json_null());
        if (ex->error.cause)
            json_object_set_new(out, "Cause", json_string(ex->error.cause));
        else if (!ex->error.error) /* recorded on AWS: a callback failed with neither */
            json_object_set_new(out, "Cause", json_null());
        aslrtp_slot_set(&f->res, out);
        aslrt_error_clear(&ex->error);
        ex->status = ASLRT_SUCCEEDED;
        return k;
    }
    return ASLRT_UNCAUGHT;
}

/* ---- Catch -------------------------------------------------------------- */

int aslrt_op_catch(aslrt_exec *ex, aslrt_frame *f, int k)
{
    const aslrt_catcher *c = &ex->prog->m->catchers[ex->state->catcher + k];
    /* The state's own Assign does not apply, the catcher's does, over the
     * error output (doc/behaviour.md §6). */
    aslrtp_slot_set(&ex->pending, NULL);
    if (ex->state->jsonata) {
        /* JSONata: Assign and Output over $states.errorOutput; the output
         * is the error output unless the catcher has an Output. */
        json_t *in = f->input ? f->input : f->raw;
        json_t *out = NULL;
        if (c->assign != ASLRT_NONE) {
            json_t *v = aslrtp_ex_jn_field(ex, c->assign, in, NULL, f->res);
            if (!v)
                return 0;
            aslrtp_slot_set(&ex->pending, v);
        }
        if (c->output != ASLRT_NONE) {
            out = aslrtp_ex_jn_field(ex, c->output, in, NULL, f->res);
            if (!out)
                return 0;
        } else {
            out = json_incref(f->res);
        }
        aslrtp_slot_set(&f->raw, out);
        aslrtp_slot_set(&f->res, NULL);
        aslrtp_slot_set(&f->input, NULL);
        aslrtp_slot_set(&f->eff, NULL);
        aslrtp_ex_exited(ex, f);
        return 1;
    }
    if (c->assign != ASLRT_NONE) {
        json_t *v = aslrtp_ex_template(ex, c->assign, f->res);
        if (!v)
            return 0;
        aslrtp_slot_set(&ex->pending, v);
    }
    /* The catcher's ResultPath merges the error output into the state's
     * raw input; the state's own ResultPath and OutputPath do not apply. */
    aslrtp_slot_set(&f->raw, f->input);
    f->input = NULL;
    aslrtp_slot_set(&f->eff, NULL);
    if (!aslrt_op_result_path(ex, f, c->result_path))
        return 0;
    aslrtp_ex_exited(ex, f);
    return 1;
}

/* ---- TestState (server/teststate.c) -------------------------------------- */

int aslrtp_recover_match(const aslrt_exec *ex)
{
    const char *name = ex->error.error ? ex->error.error : "";
    const aslrt_state *s = ex->state;
    for (int i = 0; s && i < s->nretriers; i++) {
        const aslrt_retrier *r = &ex->prog->m->retriers[s->retrier + i];
        if (matches(name, r->errors, r->nerrors, ex->heartbeat_expired))
            return i;
    }
    return -1;
}
