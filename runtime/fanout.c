/*
 * fanout.c - the Parallel and Map ops: one state's input fanned out to
 * branches or items that run at once, and their results joined back.
 *
 * Model.  A fan-out (struct fan) runs n branches or items on a pool of
 * worker threads (pool.c), taking indexes in order.  Each worker owns one
 * child execution, a copy of the parent that shares its program,
 * configuration, input and mock counters and has its own state, context,
 * clock skew, retry counters, variables and error; the child runs the
 * branch's or item processor's graph function of the generated code, so a
 * Map nested in an item processor comes back here through that function
 * pointer, never through a call from exec.c.
 *
 *  - Concurrency: Parallel runs every branch at once; Map runs on the
 *    configured pool size (else the machine's cores), lowered to
 *    MaxConcurrency(Path) when that is smaller.
 *  - Failure: the first branch or item to fail (by time) sets a flag that
 *    stops the others (their running handlers are cancelled) and its error
 *    becomes the state's.  A distributed Map instead counts failed children
 *    against ToleratedFailureCount/Percentage(Path), keeps their error
 *    output in their slot, and fails with
 *    States.ExceedToleratedFailureThreshold past the threshold.
 *  - Joining: results land in their index's slot, so the output array is
 *    in input order whatever the timing; each child's history events are
 *    then renumbered into the parent's in index order (renumber), which
 *    with one worker gives exactly the ids AWS writes.
 *
 * A Map's items come from ItemsPath or Items, or from an ItemReader
 * (itemreader.c); ItemSelector and ItemBatcher shape each child's input,
 * and a ResultWriter writes the joined results out.  With an ItemReader
 * the Map Run streams (map_stream, doc/behaviour.md §44): items are read a
 * window at a time, each window fanned out as above, and its results
 * handed to the ResultWriter before the next is read.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec_private.h"
#include "jsonata/jsonata.h"

/* ---- Child executions --------------------------------------------------- */

/* A branch or iteration runs in an execution of its own that shares the
 * parent's program, configuration, input and mock counters, and has its
 * own state, context object, clock skew, retry counters and error.  It
 * stops once *cancel (its fan-out's flag) is set, or whatever stops the
 * parent does: the execution's abort reaches a handler running in a Map
 * nested at any depth. */
static aslrt_exec *child_create(const aslrt_exec *parent, const volatile int *cancel)
{
    aslrt_exec *c = aslrtp_calloc(1, sizeof *c);
    *c = *parent;
    c->error.error = c->error.cause = NULL;
    c->status = ASLRT_SUCCEEDED;
    c->context = NULL;
    c->cancel = (aslrtp_cancel){cancel, &parent->cancel};
    c->has_item = 0;
    c->vars = NULL;
    c->pending = NULL;
    c->task_token = NULL;
    c->jn = NULL;
    c->kept = NULL;             /* the parent's outputs are its own */
    c->bounded_out = NULL;
    memset(&c->jn_keep, 0, sizeof c->jn_keep); /* the parent's are its own */
    c->hist = NULL;
    c->failed_event = ASLRTP_EV_NONE;
    /* Inline branches and iterations read the outer variables; distributed
     * Map children run as executions of their own (doc/behaviour.md §6). */
    c->outer = parent->state && parent->state->distributed ? NULL : parent;
    c->transitions = 0;
    c->child = 1;
    c->retry_counts =
        aslrtp_calloc((size_t)parent->prog->m->nretriers + 1, sizeof *c->retry_counts);
    return c;
}

static void child_destroy(aslrt_exec *c)
{
    aslrt_error_clear(&c->error);
    free(c->task_token);
    json_decref(c->context);
    json_decref(c->vars);
    json_decref(c->pending);
    if (c->jn)
        jn_ctx_destroy(c->jn);
    aslrtp_ex_jn_keep_free(c);
    aslrtp_ex_kept_free(c);
    free(c->retry_counts);
    free(c);
}

/* ---- The fan-out -------------------------------------------------------- */

/* What every thread of a fan-out shares. */
typedef struct fan {
    aslrt_exec *parent;
    aslrt_exec **children;    /* one per worker */
    json_t *input;            /* the state's effective input (read-only) */
    json_t *items;            /* Map: the items (read-only) */
    const int *graphs;        /* Parallel: the branch graphs */
    int graph;                /* Map: the item processor graph */
    int selector;             /* Map: ItemSelector item, or ASLRT_NONE */
    json_t **results;         /* by index */
    volatile int failed;      /* the first failure sets it: the others stop */
    aslrt_error error;        /* that failure */
    int status;
    long events;              /* history events of the children */
    long long skew;           /* the longest child clock */
    size_t n;                 /* items or branches */
    size_t done;              /* finished so far (atomic) */
    int progress;             /* draw a progress line on stderr (a terminal) */
    int tolerant;             /* distributed: failures are counted, not fatal */
    int keep;                 /* note which items failed (failed_items) */
    unsigned char *failed_items; /* with keep: 1 for each failed aslrtp_item */
    size_t nfailed;           /* failed children of a distributed Map (atomic) */
    long long started_ms;     /* for the rate (monotonic clock) */
    long long shown_ms;       /* when the line was last drawn (monotonic, atomic) */
    /* History events.  Each item counts its events on from the parent's
     * count plus those of the items finished before it started; fan_out
     * then renumbers them in item order (the identity with one worker). */
    long started;             /* id of the *StateStarted event */
    long *first;              /* each item's first event id, as it counted it */
    long *count;              /* events each item wrote (0: none) */
    long *last;               /* each item's last event of its chain */
    aslrtp_hist **hists;      /* with a history: each item's events */
    size_t failed_index;      /* the item whose error is the state's */
    size_t base;              /* streamed: the index of the window's first child */
    int streaming;            /* streamed: fan_out runs one window of the children */
} fan;

/* A progress line for long Map runs, on stderr when it is a terminal:
 * items done / total, failures, rate.  Redrawn at most five times a second,
 * by whichever worker finds it due. */
static void show_progress(fan *fn, bool last)
{
    long long now = aslrtp_mono_ms();
    long long shown = __atomic_load_n(&fn->shown_ms, __ATOMIC_RELAXED);
    if (!last && (now - shown < 200 ||
                  !__atomic_compare_exchange_n(&fn->shown_ms, &shown, now, false,
                                               __ATOMIC_RELAXED, __ATOMIC_RELAXED)))
        return;
    size_t done = __atomic_load_n(&fn->done, __ATOMIC_RELAXED);
    double secs = (double)(now - fn->started_ms) / 1000;
    char total[32] = "";
    if (!fn->streaming)
        snprintf(total, sizeof total, "/%zu", fn->n);
    fprintf(stderr, "\r%s: %zu%s items, %zu failed, %.0f items/s%s", fn->parent->state->name,
            done, total,
            __atomic_load_n(&fn->nfailed, __ATOMIC_RELAXED) +
                (size_t)__atomic_load_n(&fn->failed, __ATOMIC_RELAXED),
            secs > 0 ? (double)done / secs : 0.0, last ? "\n" : "");
}

static void fan_fail(fan *fn, aslrt_exec *c, size_t i)
{
    /* A distributed Map counts failed children against its tolerance and
     * keeps going; their slot holds their error output. */
    if (fn->tolerant && c->status == ASLRT_FAILED) {
        json_t *out = json_object();
        if (c->error.error)
            json_object_set_new(out, "Error", json_string(c->error.error));
        if (c->error.cause)
            json_object_set_new(out, "Cause", json_string(c->error.cause));
        fn->results[i] = out;
        if (fn->failed_items)
            fn->failed_items[i] = 1;
        __atomic_fetch_add(&fn->nfailed, 1, __ATOMIC_RELAXED);
        return;
    }
    /* The first failure (by time) is the state's; later ones, and the
     * cancellations it causes, are dropped. */
    if (__atomic_exchange_n(&fn->failed, 1, __ATOMIC_ACQ_REL) == 0) {
        fn->failed_index = i;
        fn->error = c->error;
        fn->status = c->status;
        c->error.error = c->error.cause = NULL;
    }
}

static void run_item(void *ud, size_t i, int worker)
{
    fan *fn = ud;
    aslrt_exec *c = fn->children[worker];
    aslrt_error_clear(&c->error);
    c->status = ASLRT_SUCCEEDED;
    /* Each branch and iteration has a scope of its own. */
    aslrtp_slot_set(&c->vars, NULL);
    aslrtp_slot_set(&c->pending, NULL);
    aslrtp_ex_jn_keep_forget(c);
    long before = c->event_id;
    json_t *in;
    int graph;
    if (fn->items) {
        json_t *item = json_array_get(fn->items, i);
        graph = fn->graph;
        if (fn->selector != ASLRT_NONE) {
            /* ItemSelector sees the Map's input as $ and the item as
             * $$.Map.Item (only here: doc/behaviour.md §7). */
            c->state = fn->parent->state;
            c->entered_ms = fn->parent->entered_ms;
            c->entered_event = fn->parent->entered_event;
            c->has_item = 1;
            c->item_index = (long)(fn->base + i);
            c->item_value = item;
            if (c->context) {
                json_decref(c->context);
                c->context = NULL;
            }
            in = aslrtp_ex_template(c, fn->selector, fn->input);
            c->has_item = 0;
            if (c->context) {
                json_decref(c->context);
                c->context = NULL;
            }
            if (!in) {
                fan_fail(fn, c, i);
                return;
            }
        } else {
            in = json_incref(item);
        }
    } else {
        graph = fn->graphs[i];
        in = json_incref(fn->input);
    }
    /* History event ids as AWS numbers them when the branches or
     * iterations run one after another (doc/behaviour.md §20.4): after the
     * state's *StateStarted and the events of those before.  A distributed
     * Map's children are executions of their own, whose events are not the
     * parent's (§24.10). */
    bool iteration = fn->items && !fn->tolerant;
    /* A distributed Map's child is an execution of the item processor's
     * ExecutionType: a Standard one has a history quota of its own (its
     * events are not the parent's, §33), and either may run as long as
     * its type allows, within the parent's time (§38). */
    aslrtp_event_count own = {1, 0}; /* their ExecutionStarted */
    long long parent_end = fn->parent->limit_ms;
    if (fn->tolerant) {
        bool express = fn->parent->state->distributed == ASLRT_DISTRIBUTED_EXPRESS;
        c->event_id = 1;
        c->last_event = 0;
        c->hist = NULL;
        c->count = express ? NULL : &own;
        c->express = express;
        if (fn->parent->deadline_ms && fn->parent->deadline_ms < parent_end)
            parent_end = fn->parent->deadline_ms;
        long long mine = aslrtp_ex_clock_ms(fn->parent) +
                         (express ? ASLRTP_EXPRESS_MAX_MS : ASLRTP_STANDARD_MAX_MS);
        c->limit_ms = mine < fn->parent->limit_ms ? mine : fn->parent->limit_ms;
    } else {
        c->event_id = fn->parent->event_id + __atomic_load_n(&fn->events, __ATOMIC_RELAXED);
        c->last_event = fn->started;
        c->hist = fn->hists ? aslrtp_hist_create() : NULL;
    }
    before = c->event_id;
    fn->first[i] = before + 1;
    json_t *d = NULL;
    if (iteration) {
        if (c->hist)
            d = json_pack("{s:I,s:s}", "index", (json_int_t)i, "name", fn->parent->state->name);
        aslrtp_ex_chain(c, ASLRTP_EV_MAP_ITERATION_STARTED, json_incref(d));
    }
    json_t *out = c->prog->m->graphs[graph](c, in);
    if (!out)
        aslrtp_ex_flush_failed(c);
    if (!out && fn->tolerant) {
        /* The child's own quota or time limit (not its parent's) fails it
         * as AWS fails an execution: a failed child, counted against the
         * tolerance. */
        if (own.full) {
            aslrt_error_clear(&c->error);
            aslrt_error_set(&c->error, ASLRTP_ERR_RUNTIME, ASLRTP_HISTORY_FULL_CAUSE);
            c->status = ASLRT_FAILED;
        } else if (c->status == ASLRT_TIMED_OUT && aslrtp_ex_clock_ms(c) < parent_end) {
            c->status = ASLRT_FAILED;
        }
    }
    /* Recorded on AWS: a branch that a Task's error ended writes
     * TaskStateAborted after it, outside the chain. */
    if (!out && !fn->items && c->state && c->state->type == ASLRT_STATE_TASK &&
        c->status == ASLRT_FAILED)
        aslrtp_ex_record(c, ASLRTP_EV_TASK_STATE_ABORTED, c->last_event, NULL);
    if (fn->tolerant)
        c->count = NULL; /* own ends here */
    fn->last[i] = c->last_event;
    if (iteration)
        aslrtp_ex_record(c, out                          ? ASLRTP_EV_MAP_ITERATION_SUCCEEDED
                            : c->status == ASLRT_ABORTED ? ASLRTP_EV_MAP_ITERATION_ABORTED
                                                         : ASLRTP_EV_MAP_ITERATION_FAILED,
                         c->last_event, d);
    if (!fn->tolerant) {
        fn->count[i] = c->event_id - before;
        __atomic_fetch_add(&fn->events, fn->count[i], __ATOMIC_RELAXED);
    }
    if (fn->hists)
        fn->hists[i] = c->hist;
    c->hist = NULL;
    __atomic_fetch_add(&fn->done, 1, __ATOMIC_RELAXED);
    if (fn->progress)
        show_progress(fn, false);
    if (!out) {
        fan_fail(fn, c, i);
        return;
    }
    fn->results[i] = out;
}

/* "(entered at the event id #N)" in cause, with N in [lo, hi] shifted by
 * delta: a new string, or NULL when there is nothing to change. */
static char *shift_event_id(const char *cause, long lo, long hi, long delta)
{
    static const char mark[] = "(entered at the event id #";
    const char *at = cause ? strstr(cause, mark) : NULL;
    if (!at)
        return NULL;
    char *end;
    long id = strtol(at + sizeof mark - 1, &end, 10);
    if (id < lo || id > hi || *end != ')')
        return NULL;
    return aslrtp_strdupf("%.*s%ld%s", (int)(at + sizeof mark - 1 - cause), cause, id + delta, end);
}

/* After a fan-out: the items' events join the parent's, in item order,
 * numbered on from the parent's count.  Items running at the same time
 * counted from the same place; here each gets its final ids (with one
 * worker they are the ids it counted), and the error the state reports
 * quotes the final id.  Each item is a chain of its own (doc/behaviour.md
 * §24.10): a MapIterationStarted follows the last event of the item that
 * ran `workers` items earlier in the same slot, or the MapStateStarted. */
static void renumber(aslrt_exec *ex, fan *fn, size_t n, int workers)
{
    long next = ex->event_id;
    long last = fn->started;
    for (size_t i = 0; i < n; i++) {
        if (!fn->count[i]) {
            /* A branch the failure of another cancelled before its first
             * event: its list is empty, but it was made. */
            if (fn->hists) {
                aslrtp_hist_destroy(fn->hists[i]);
                fn->hists[i] = NULL;
            }
            continue;
        }
        long lo = fn->first[i], hi = lo + fn->count[i] - 1, delta = next + 1 - lo;
        if (fn->hists && fn->hists[i]) {
            size_t at = aslrtp_hist_count(ex->hist);
            aslrtp_hist_splice(ex->hist, fn->hists[i], lo, hi, delta);
            aslrtp_hist_destroy(fn->hists[i]);
            fn->hists[i] = NULL;
            if (fn->items && i >= (size_t)workers && fn->count[i - workers])
                aslrtp_hist_set_prev(ex->hist, at, fn->last[i - workers]);
            /* Final now: to the live sink, if this is the execution's list. */
            aslrtp_hist_flush(ex->hist);
        }
        if (fn->last[i] >= lo && fn->last[i] <= hi)
            fn->last[i] += delta;
        if (fn->failed && i == fn->failed_index && delta) {
            char *c = shift_event_id(fn->error.cause, lo, hi, delta);
            if (c) {
                free(fn->error.cause);
                fn->error.cause = c;
            }
        }
        next = hi + delta;
        last = fn->failed ? last : (fn->items ? next : fn->last[i]);
    }
    ex->event_id = next;
    /* The state's next event follows: the failed item's last event, the
     * last MapIterationSucceeded, or the last branch's last event. */
    if (fn->failed && fn->count[fn->failed_index])
        last = fn->last[fn->failed_index];
    if (!fn->tolerant)
        ex->last_event = last;
}

static int fan_out(aslrt_exec *ex, fan *fn, size_t n, int workers)
{
    fn->parent = ex;
    /* The children's clocks start at the parent's: a skew may be negative
     * (an execution given a start time in the past). */
    fn->skew = ex->skew_ms;
    fn->results = aslrtp_calloc(n + 1, sizeof *fn->results);
    if (workers < 1)
        workers = 1;
    if ((size_t)workers > n)
        workers = n ? (int)n : 1;
    fn->children = aslrtp_calloc((size_t)workers, sizeof *fn->children);
    fn->first = aslrtp_calloc(n + 1, sizeof *fn->first);
    fn->count = aslrtp_calloc(n + 1, sizeof *fn->count);
    fn->last = aslrtp_calloc(n + 1, sizeof *fn->last);
    if (ex->hist)
        fn->hists = aslrtp_calloc(n + 1, sizeof *fn->hists);
    for (int w = 0; w < workers; w++)
        fn->children[w] = child_create(ex, &fn->failed);
    fn->n = n;
    if (fn->keep)
        fn->failed_items = aslrtp_calloc(n + 1, 1);
    if (!fn->started_ms)
        fn->started_ms = fn->shown_ms = aslrtp_mono_ms();
    aslrtp_pool_run(n, workers, run_item, fn, &fn->failed);
    if (fn->progress && !fn->streaming && aslrtp_mono_ms() - fn->started_ms >= 200)
        show_progress(fn, true);
    for (int w = 0; w < workers; w++) {
        if (fn->children[w]->skew_ms > fn->skew)
            fn->skew = fn->children[w]->skew_ms;
        /* The states entered by the branches or iterations count as the
         * execution's (aslrtp_execute_counted). */
        ex->transitions += fn->children[w]->transitions;
        child_destroy(fn->children[w]);
    }
    free(fn->children);
    renumber(ex, fn, n, workers);
    if (fn->skew > ex->skew_ms)
        ex->skew_ms = fn->skew;
    int ok = !fn->failed;
    if (ok) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, fn->results[i]);
        aslrtp_slot_set(&ex->fanout_result, arr);
    } else {
        for (size_t i = 0; i < n; i++)
            json_decref(fn->results[i]);
        /* A branch's or iteration's error is the state's own (recorded on
         * AWS: not States.BranchFailed, doc/behaviour.md §13). */
        aslrt_error_clear(&ex->error);
        ex->error = fn->error;
        ex->status = fn->status == ASLRT_SUCCEEDED ? ASLRT_FAILED : fn->status;
        if (aslrtp_ex_abort_requested(ex))
            ex->status = ASLRT_ABORTED;
    }
    free(fn->results);
    free(fn->first);
    free(fn->count);
    free(fn->last);
    free(fn->hists);
    return ok;
}

/* ---- Parallel ----------------------------------------------------------- */

/* The number of threads of a fan-out: the configured pool size, else the
 * machine's cores. */
static int pool_size(const aslrt_exec *ex)
{
    return ex->cfg->threads > 0 ? ex->cfg->threads : aslrtp_pool_default_size();
}

int aslrt_op_parallel(aslrt_exec *ex, aslrt_frame *f)
{
    const aslrt_state *s = ex->state;
    fan fn = {0};
    fn.input = ASLRTP_EFF(f);
    fn.graphs = s->branches;
    fn.selector = ASLRT_NONE;
    fn.started = aslrtp_ex_chain(ex, ASLRTP_EV_PARALLEL_STATE_STARTED, NULL);
    /* Branches all run at once, as on AWS: a branch that waits must not
     * hold the others back. */
    if (!fan_out(ex, &fn, (size_t)s->nbranches, s->nbranches)) {
        ex->failed_event = ASLRTP_EV_PARALLEL_STATE_FAILED;
        return 0;
    }
    /* Recorded on AWS: the state's success does not extend the chain. */
    aslrtp_ex_record(ex, ASLRTP_EV_PARALLEL_STATE_SUCCEEDED, ex->last_event, NULL);
    aslrtp_slot_set(&f->eff, NULL);
    aslrtp_slot_set(&f->res, ex->fanout_result);
    ex->fanout_result = NULL;
    return 1;
}

/* ---- Map ---------------------------------------------------------------- */

/* A ...Path field that must hold an integer (MaxConcurrencyPath,
 * MaxItemsPath, MaxItemsPerBatchPath, ...): a number with no fraction or a
 * string of one, as AWS parses it; anything else fails the state with AWS's
 * message ("The MaxItemsPath field refers to value "1.5" which is not a
 * valid integer: $.MaxItems", recorded). */
static bool path_int(aslrt_exec *ex, int item, json_t *input, const char *field, long long min,
                     long long *out)
{
    if (aslrtp_ex_item(ex, item)->jn) {
        json_t *v = aslrtp_ex_jn_typed(ex, item, input, JSON_INTEGER, "integer");
        if (!v)
            return false;
        bool ok;
        *out = aslrtp_int_value(v, &ok);
        if (*out < min) {
            char *d =
                aslrtp_jfield_type_error(aslrtp_ex_item(ex, item)->jn, "non-negative integer", v);
            aslrtp_ex_fail_in_state(ex, ASLRTP_ERR_QUERY_EVALUATION_ERROR, d);
            free(d);
            ok = false;
        }
        json_decref(v);
        return ok;
    }
    const aslrtp_path *p = aslrtp_ex_item(ex, item)->path;
    json_t *v = aslrtp_ex_select(ex, item, input);
    if (!v)
        return false;
    bool ok;
    *out = aslrtp_path_int(v, &ok);
    ok = ok && *out >= min;
    if (!ok) {
        char *q = aslrtp_quote_value(v);
        char *d = aslrtp_strdupf("The %s field refers to value \"%s\" which is not a valid "
                                 "integer: %s",
                                 field, q, aslrtp_path_text(p));
        aslrtp_ex_fail_in_state(ex, ASLRTP_ERR_RUNTIME, d);
        free(d);
        free(q);
    }
    json_decref(v);
    return ok;
}

/* The number v (taken) as a ToleratedFailurePercentage: false with the
 * state failed with error when it is not between 0 and 100. */
static bool percentage(aslrt_exec *ex, json_t *v, const char *error, double *pct)
{
    *pct = json_number_value(v);
    json_decref(v);
    if (*pct < 0 || *pct > 100) {
        aslrtp_ex_fail_in_state(ex, error, "ToleratedFailurePercentage must be between 0 and 100.");
        return false;
    }
    return true;
}

/* ToleratedFailureCount(Path) and ToleratedFailurePercentage(Path), with
 * AWS's messages for bad values (recorded). */
static bool tolerance(aslrt_exec *ex, const aslrt_state *s, json_t *input, long long *count,
                      double *pct)
{
    if (s->tolerated_count_path != ASLRT_NONE &&
        !path_int(ex, s->tolerated_count_path, input, "ToleratedFailureCountPath", LLONG_MIN,
                  count))
        return false;
    if (*count < -1 || (s->tolerated_count_path != ASLRT_NONE && *count < 0)) {
        aslrtp_ex_fail_in_state(ex, ASLRTP_ERR_RUNTIME,
                                "ToleratedFailureCount cannot be negative.");
        return false;
    }
    if (s->tolerated_percentage_path != ASLRT_NONE && s->jsonata) {
        json_t *v =
            aslrtp_ex_jn_typed(ex, s->tolerated_percentage_path, input, JSON_REAL, "number");
        if (!v)
            return false;
        return percentage(ex, v, ASLRTP_ERR_QUERY_EVALUATION_ERROR, pct);
    } else if (s->tolerated_percentage_path != ASLRT_NONE) {
        const aslrtp_path *p = aslrtp_ex_item(ex, s->tolerated_percentage_path)->path;
        json_t *v = aslrtp_ex_select(ex, s->tolerated_percentage_path, input);
        if (!v)
            return false;
        bool ok;
        double n = aslrtp_path_float(v, &ok);
        if (!ok) {
            char *q = aslrtp_quote_value(v);
            char *d = aslrtp_strdupf("The ToleratedFailurePercentagePath field refers to value "
                                     "\"%s\" which is not a valid float: %s",
                                     q, aslrtp_path_text(p));
            aslrtp_ex_fail_in_state(ex, ASLRTP_ERR_RUNTIME, d);
            free(d);
            free(q);
            json_decref(v);
            return false;
        }
        json_decref(v);
        return percentage(ex, json_real(n), ASLRTP_ERR_RUNTIME, pct);
    }
    return true;
}

/* ItemReader: the items of a file (or listing) under the S3 root, read as
 * they are needed (doc/behaviour.md §44). */
static aslrtp_items *open_reader(aslrt_exec *ex, const aslrt_state *s, json_t *input)
{
    json_t *params = s->reader_params != ASLRT_NONE
                         ? aslrtp_ex_template(ex, s->reader_params, input)
                         : json_object();
    if (!params)
        return NULL;
    long long max = s->reader_max_items;
    if (s->reader_max_items_path != ASLRT_NONE &&
        !path_int(ex, s->reader_max_items_path, input, "MaxItemsPath", LLONG_MIN, &max)) {
        json_decref(params);
        return NULL;
    }
    /* Recorded on AWS: 0 (and anything above the documented 100,000,000)
     * reads every item; a negative count fails. */
    if (max < 0) {
        json_decref(params);
        aslrtp_ex_fail_plain(ex, ASLRTP_ERR_ITEM_READER_FAILED, "field MaxItems must be positive");
        return NULL;
    }
    json_t *config =
        s->reader_config != ASLRT_NONE ? aslrtp_ex_item(ex, s->reader_config)->json : NULL;
    aslrt_error err = {NULL, NULL};
    aslrtp_s3_place at;
    aslrtp_s3_place_of(ex->cfg, aslrtp_ex_region(ex), &at);
    aslrtp_items *it = aslrtp_items_open(&at, s->reader_resource, params, config, (long)max, &err);
    json_decref(params);
    if (!it) {
        aslrtp_ex_fail_plain(ex, err.error ? err.error : ASLRTP_ERR_ITEM_READER_FAILED, err.cause);
        aslrt_error_clear(&err);
    }
    return it;
}

/* ItemSelector on item i (with $$.Map.Item), evaluated by the Map's own
 * execution: the input of a batched Map's child is made of these.  A new
 * value, or NULL with the state failed. */
static json_t *select_item(aslrt_exec *ex, const aslrt_state *s, json_t *input, json_t *it,
                           size_t i)
{
    if (s->item_selector == ASLRT_NONE)
        return json_incref(it);
    ex->has_item = 1;
    ex->item_index = (long)i;
    ex->item_value = it;
    if (ex->context) {
        json_decref(ex->context);
        ex->context = NULL;
    }
    json_t *v = aslrtp_ex_template(ex, s->item_selector, input);
    ex->has_item = 0;
    if (ex->context) {
        json_decref(ex->context);
        ex->context = NULL;
    }
    return v;
}

/* ItemSelector on every item (with $$.Map.Item), then ItemBatcher: the
 * inputs of a batched Map's children. */
static json_t *make_batches(aslrt_exec *ex, const aslrt_state *s, json_t *input, json_t *items)
{
    long long max_items = s->batch_max_items, max_bytes = s->batch_max_bytes;
    if (s->batch_max_items_path != ASLRT_NONE &&
        !path_int(ex, s->batch_max_items_path, input, "MaxItemsPerBatchPath", 1, &max_items))
        return NULL;
    if (s->batch_max_bytes_path != ASLRT_NONE &&
        !path_int(ex, s->batch_max_bytes_path, input, "MaxInputBytesPerBatchPath", 1, &max_bytes))
        return NULL;
    json_t *selected = json_array();
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *it = select_item(ex, s, input, json_array_get(items, i), i);
        if (!it) {
            json_decref(selected);
            return NULL;
        }
        json_array_append_new(selected, it);
    }
    json_t *batch_input = NULL;
    if (s->batch_input != ASLRT_NONE) {
        batch_input = aslrtp_ex_template(ex, s->batch_input, input);
        if (!batch_input) {
            json_decref(selected);
            return NULL;
        }
    }
    aslrt_error err = {NULL, NULL};
    json_t *batches =
        aslrtp_items_batch(selected, (long)max_items, (long)max_bytes, batch_input, &err);
    json_decref(selected);
    json_decref(batch_input);
    if (!batches) {
        aslrtp_ex_fail_in_state(ex, err.error ? err.error : ASLRTP_ERR_RUNTIME,
                                err.cause ? err.cause : "");
        aslrt_error_clear(&err);
    }
    return batches;
}

/* The name a Map Run's ARN gives its Map state: the Label, else the state's
 * name (doc/behaviour.md §15). */
static const char *map_run_name(const aslrt_state *s)
{
    return s->label ? s->label : s->name;
}

/* ResultWriter: the children's results go to files under the S3 root; the
 * state's result says where (or is the transformed results array). */
static json_t *write_results(aslrt_exec *ex, const aslrt_state *s, json_t *input, json_t *results,
                             const unsigned char *failed, json_t *inputs)
{
    json_t *params =
        s->writer_params != ASLRT_NONE ? aslrtp_ex_template(ex, s->writer_params, input) : NULL;
    if (s->writer_params != ASLRT_NONE && !params)
        return NULL;
    json_t *config =
        s->writer_config != ASLRT_NONE ? aslrtp_ex_item(ex, s->writer_config)->json : NULL;
    char *id = aslrtp_ex_uuid();
    char *arn = aslrtp_strdupf("arn:aws:states:%s:%s:mapRun:%s/%s:%s", aslrtp_ex_region(ex),
                               aslrtp_ex_account(ex), ex->sm_name, map_run_name(s), id);
    aslrt_error err = {NULL, NULL};
    aslrtp_s3_place at;
    aslrtp_s3_place_of(ex->cfg, aslrtp_ex_region(ex), &at);
    json_t *out = aslrtp_results_write_at(&at, params, config, arn, results, failed, inputs, &err);
    free(id);
    free(arn);
    json_decref(params);
    if (!out) {
        aslrtp_ex_fail_plain(ex, err.error ? err.error : ASLRTP_ERR_RESULT_WRITER_FAILED,
                             err.cause);
        aslrt_error_clear(&err);
    }
    return out;
}

/* A Map state once a distributed Map has started its Map Run. */
static int map_state(aslrt_exec *ex, aslrt_frame *f, long long tol_count, double tol_pct);

/* Whether nfailed of n children exceed the tolerated failures: exceeding
 * either threshold that is set fails the Map Run; with neither, no
 * failure is tolerated. */
static bool over_threshold(size_t nfailed, size_t n, long long tol_count, double tol_pct)
{
    if (!nfailed)
        return false;
    bool count_set = tol_count >= 0, pct_set = tol_pct >= 0;
    double pct = 100.0 * (double)nfailed / (double)n;
    return (count_set && (long long)nfailed > tol_count) || (pct_set && pct > tol_pct) ||
           (!count_set && !pct_set);
}

/* ResultWriter's Parameters evaluated before the children run, without a
 * trace: should they fail, the execution is left as it was (its error,
 * status and history events), and the Map evaluates them again where the
 * whole-array Map did, after the tolerance, to fail there (doc/behaviour.md
 * §44).  NULL when they fail. */
static json_t *writer_params_early(aslrt_exec *ex, const aslrt_state *s, json_t *input)
{
    aslrtp_hist *hist = ex->hist;
    aslrtp_event_count *count = ex->count;
    long event_id = ex->event_id, last = ex->last_event;
    int failed_event = ex->failed_event, status = ex->status;
    aslrt_error saved = ex->error;
    ex->error = (aslrt_error){NULL, NULL};
    ex->hist = NULL;
    ex->count = NULL;
    json_t *params = aslrtp_ex_template(ex, s->writer_params, input);
    aslrt_error_clear(&ex->error);
    ex->error = saved;
    ex->hist = hist;
    ex->count = count;
    ex->event_id = event_id;
    ex->last_event = last;
    ex->failed_event = failed_event;
    ex->status = status;
    return params;
}

/* How many children a streamed Map Run hands out at a time, at least: the
 * items, inputs and results held at once (doc/behaviour.md §44); a pool of
 * more threads gets 16 children a thread. */
#define WINDOW 1024

/* Every JSONata ItemSelector sees the Map's input: it is converted once
 * instead of once per item (the iterations inherit the pointers).  Whether
 * this Map made the shared values (and must unshare them). */
static bool share_input(aslrt_exec *ex, const aslrt_state *s, int selector, json_t *input)
{
    if (!s->jsonata || selector == ASLRT_NONE || ex->jn_share)
        return false;
    jn_options o = {0};
    ex->jn_share = jn_ctx_create(&o);
    ex->jn_input_src = input;
    ex->jn_input_val = jn_from_json(ex->jn_share, input);
    ex->jn_exec_input = ex->input == input ? ex->jn_input_val
                                           : jn_from_json(ex->jn_share, ex->input);
    return true;
}

static void unshare_input(aslrt_exec *ex)
{
    jn_ctx_destroy(ex->jn_share);
    ex->jn_share = NULL;
    ex->jn_input_src = NULL;
    ex->jn_input_val = NULL;
    ex->jn_exec_input = NULL;
}

/* A distributed Map with an ItemReader (doc/behaviour.md §44): the items are
 * read a window at a time, in order; each window's children run on the
 * pool, and their results go to the ResultWriter (or into the state's
 * result) before the next window is read.  What the whole-array Map did
 * is kept: ItemSelector and ItemBatcher see each item with its index,
 * failures are counted against the tolerance over all the children, and
 * ResultWriter's failures come after the tolerance's. */
static int map_stream(aslrt_exec *ex, aslrt_frame *f, long long tol_count, double tol_pct)
{
    const aslrt_state *s = ex->state;
    json_t *input = ASLRTP_EFF(f);
    aslrtp_items *it = open_reader(ex, s, input);
    if (!it)
        return 0;
    int ok = 0;
    long long limit = s->max_concurrency;
    long long max_items = s->batch_max_items, max_bytes = s->batch_max_bytes;
    json_t *batch_input = NULL, *all = NULL, *window = json_array(), *wparams = NULL;
    aslrtp_results *w = NULL;
    aslrtp_batcher b = {0};
    aslrt_error err = {NULL, NULL}, werr = {NULL, NULL};
    bool params_later = false;
    fan fn = {0};
    if (s->max_concurrency_path != ASLRT_NONE &&
        !path_int(ex, s->max_concurrency_path, input, "MaxConcurrencyPath", 0, &limit))
        goto out;
    if (s->batched) {
        if (s->batch_max_items_path != ASLRT_NONE &&
            !path_int(ex, s->batch_max_items_path, input, "MaxItemsPerBatchPath", 1, &max_items))
            goto out;
        if (s->batch_max_bytes_path != ASLRT_NONE &&
            !path_int(ex, s->batch_max_bytes_path, input, "MaxInputBytesPerBatchPath", 1,
                      &max_bytes))
            goto out;
        if (s->batch_input != ASLRT_NONE &&
            !(batch_input = aslrtp_ex_template(ex, s->batch_input, input)))
            goto out;
        aslrtp_batcher_init(&b, (long)max_items, (long)max_bytes, batch_input);
    }
    if (s->writes) {
        if (s->writer_params != ASLRT_NONE && !(wparams = writer_params_early(ex, s, input))) {
            params_later = true;
        } else {
            json_t *config =
                s->writer_config != ASLRT_NONE ? aslrtp_ex_item(ex, s->writer_config)->json : NULL;
            char *id = aslrtp_ex_uuid();
            char *arn = aslrtp_strdupf("arn:aws:states:%s:%s:mapRun:%s/%s:%s",
                                       aslrtp_ex_region(ex), aslrtp_ex_account(ex), ex->sm_name,
                                       map_run_name(s), id);
            aslrtp_s3_place at;
            aslrtp_s3_place_of(ex->cfg, aslrtp_ex_region(ex), &at);
            w = aslrtp_results_open(&at, wparams, config, arn, &werr);
            free(id);
            free(arn);
        }
    } else {
        all = json_array();
    }
    int workers = pool_size(ex);
    if (limit > 0 && limit < workers)
        workers = (int)limit;
    size_t wsize = (size_t)workers * 16 > WINDOW ? (size_t)workers * 16 : WINDOW;
    fn.input = input;
    fn.graph = s->processor;
    fn.selector = s->batched ? ASLRT_NONE : s->item_selector;
    fn.keep = 1;
    fn.progress = ex->cfg->progress;
    fn.tolerant = 1;
    fn.streaming = 1;
    fn.started = ex->last_event;
    bool share = share_input(ex, s, fn.selector, input);
    size_t nitems = 0, nchildren = 0;
    bool more = true, ran = true;
    while (more) {
        json_array_clear(window);
        while (more && json_array_size(window) < wsize) {
            json_t *item, *closed = NULL;
            int rc = aslrtp_items_next(it, &item, &err);
            if (rc < 0) {
                aslrtp_ex_fail_plain(ex, err.error ? err.error : ASLRTP_ERR_ITEM_READER_FAILED,
                                     err.cause);
                goto stop;
            }
            if (rc == 0) {
                more = false;
                if (s->batched && (closed = aslrtp_batcher_finish(&b)))
                    json_array_append_new(window, closed);
                break;
            }
            if (!s->batched) {
                json_array_append_new(window, item);
            } else {
                json_t *sel = select_item(ex, s, input, item, nitems);
                json_decref(item);
                if (!sel)
                    goto stop;
                bool added = aslrtp_batcher_add(&b, sel, &closed, &err);
                json_decref(sel);
                if (!added) {
                    aslrtp_ex_fail_in_state(ex, err.error ? err.error : ASLRTP_ERR_RUNTIME,
                                            err.cause ? err.cause : "");
                    goto stop;
                }
                if (closed)
                    json_array_append_new(window, closed);
            }
            nitems++;
        }
        size_t n = json_array_size(window);
        if (!n)
            break;
        fn.items = window;
        fn.base = nchildren;
        if (!fan_out(ex, &fn, n, workers)) {
            ex->failed_event = ASLRTP_EV_MAP_STATE_FAILED;
            free(fn.failed_items);
            goto stop;
        }
        json_t *results = ex->fanout_result;
        ex->fanout_result = NULL;
        for (size_t i = 0; i < n; i++) {
            json_t *r = json_array_get(results, i);
            if (all)
                json_array_append(all, r);
            else if (w && !werr.error)
                aslrtp_results_add(w, nchildren + i, json_array_get(window, i), r,
                                   fn.failed_items[i], &werr);
        }
        json_decref(results);
        free(fn.failed_items);
        fn.failed_items = NULL;
        nchildren += n;
    }
    ran = false;
stop:
    if (fn.progress && fn.done && aslrtp_mono_ms() - fn.started_ms >= 200)
        show_progress(&fn, true);
    if (share)
        unshare_input(ex);
    if (ran)
        goto out;
    if (over_threshold(fn.nfailed, nchildren, tol_count, tol_pct)) {
        aslrtp_ex_fail_plain(ex, ASLRTP_ERR_EXCEED_TOLERATED_FAILURE_THRESHOLD,
                             "The specified tolerated failure threshold was exceeded");
        goto out; /* MapRunFailed (aslrt_op_map) */
    }
    json_t *result = all;
    all = NULL;
    if (params_later) {
        /* They failed before: this time the failure is the state's. */
        json_t *p = aslrtp_ex_template(ex, s->writer_params, input);
        if (!p)
            goto out;
        json_decref(p);
        aslrtp_ex_fail_plain(ex, ASLRTP_ERR_RESULT_WRITER_FAILED,
                             "The ResultWriter Parameters gave a different value when "
                             "evaluated again.");
        goto out;
    }
    if (s->writes && !werr.error)
        result = aslrtp_results_finish(w, &werr);
    if (!result) {
        aslrtp_ex_fail_plain(ex, werr.error ? werr.error : ASLRTP_ERR_RESULT_WRITER_FAILED,
                             werr.cause);
        goto out;
    }
    /* Recorded on AWS since November 2024: neither MapRunSucceeded nor the
     * state's success extends the chain (as in map_state). */
    long prev = aslrtp_ex_record(ex, ASLRTP_EV_MAP_RUN_SUCCEEDED, ex->last_event, NULL);
    aslrtp_ex_record(ex, ASLRTP_EV_MAP_STATE_SUCCEEDED, prev, NULL);
    aslrtp_slot_set(&f->eff, NULL);
    aslrtp_slot_set(&f->res, result);
    ok = 1;
out:
    aslrtp_items_close(it);
    aslrtp_results_close(w);
    json_decref(aslrtp_batcher_finish(&b));
    json_decref(batch_input);
    json_decref(wparams);
    json_decref(window);
    json_decref(all);
    aslrt_error_clear(&err);
    aslrt_error_clear(&werr);
    return ok;
}

int aslrt_op_map(aslrt_exec *ex, aslrt_frame *f)
{
    const aslrt_state *s = ex->state;
    if (!s->distributed)
        return map_state(ex, f, -1, -1);
    /* Distributed (recorded on AWS): MapStateStarted without a length, the
     * tolerated failures (doc/behaviour.md §15.3, both default to 0), then a
     * Map Run that reads the items and runs the children; a failure from
     * then on fails the Map Run (MapRunFailed) and the state. */
    json_t *d = NULL;
    if (ex->hist) {
        /* The length is the items' count, known here without an ItemReader
         * (a JSONPath Map's; 0 otherwise, as with a reader). */
        size_t length = 0;
        if (!s->reader_resource && !s->jsonata) {
            char *why = NULL;
            int owned = 0;
            json_t *items =
                s->items_path == ASLRT_NONE
                    ? ASLRTP_EFF(f)
                    : aslrtp_ex_lookup(ex, ASLRTP_EFF(f), aslrtp_ex_item(ex, s->items_path)->path,
                                       &why, &owned);
            length = json_is_array(items) ? json_array_size(items) : 0;
            if (owned)
                json_decref(items);
            free(why);
        }
        d = json_pack("{s:I}", "length", (json_int_t)length);
    }
    aslrtp_ex_chain(ex, ASLRTP_EV_MAP_STATE_STARTED, d);
    long long tol_count = s->tolerated_count;
    double tol_pct = s->tolerated_percentage;
    if (!tolerance(ex, s, ASLRTP_EFF(f), &tol_count, &tol_pct))
        return 0;
    d = NULL;
    if (ex->hist) {
        char *id = aslrtp_ex_uuid();
        char *arn = aslrtp_strdupf("arn:aws:states:%s:%s:mapRun:%s/%s:%s", aslrtp_ex_region(ex),
                                   aslrtp_ex_account(ex), ex->sm_name, map_run_name(s), id);
        d = json_pack("{s:s}", "mapRunArn", arn);
        free(arn);
        free(id);
    }
    aslrtp_ex_chain(ex, ASLRTP_EV_MAP_RUN_STARTED, d);
    if (map_state(ex, f, tol_count, tol_pct))
        return 1;
    if (ex->status == ASLRT_FAILED && ex->failed_event == ASLRTP_EV_NONE) {
        d = ex->hist ? json_object() : NULL;
        if (d)
            aslrtp_ex_put_error(d, ex->error.error, ex->error.cause);
        aslrtp_ex_chain(ex, ASLRTP_EV_MAP_RUN_FAILED, d);
        ex->failed_event = ASLRTP_EV_MAP_STATE_FAILED;
    }
    return 0;
}

static int map_state(aslrt_exec *ex, aslrt_frame *f, long long tol_count, double tol_pct)
{
    const aslrt_state *s = ex->state;
    json_t *input = ASLRTP_EFF(f);
    json_t *items;
    if (s->reader_resource)
        return map_stream(ex, f, tol_count, tol_pct);
    if (s->jsonata && s->items_path != ASLRT_NONE) {
        /* Items: an array, or an expression that must give one. */
        items = aslrtp_ex_jn_field(ex, s->items_path, f->raw, NULL, NULL);
        if (!items)
            return 0;
        if (!json_is_array(items)) {
            char *d =
                aslrtp_jfield_type_error(aslrtp_ex_item(ex, s->items_path)->jn, "array", items);
            json_decref(items);
            aslrtp_ex_fail_in_state(ex, ASLRTP_ERR_QUERY_EVALUATION_ERROR, d);
            free(d);
            return 0;
        }
    } else if (s->items_path != ASLRT_NONE) {
        items = aslrtp_ex_select(ex, s->items_path, input);
        if (!items)
            return 0;
    } else {
        items = json_incref(input);
    }
    if (!json_is_array(items)) {
        char *v = aslrt_json_dumps(items);
        char *d = aslrtp_strdupf("Map state input must be an array but was: %s", v);
        json_decref(items);
        /* Recorded on AWS: a JSONata Map names this a query error. */
        aslrtp_ex_fail_in_state(
            ex, s->jsonata ? ASLRTP_ERR_QUERY_EVALUATION_ERROR : ASLRTP_ERR_RUNTIME, d);
        free(d);
        free(v);
        return 0;
    }
    long long limit = s->max_concurrency;
    if (s->max_concurrency_path != ASLRT_NONE &&
        !path_int(ex, s->max_concurrency_path, input, "MaxConcurrencyPath", 0, &limit)) {
        json_decref(items);
        return 0;
    }
    long started = ex->last_event; /* a distributed Map's MapRunStarted */
    if (!s->distributed) {
        json_t *d = ex->hist ? json_pack("{s:I}", "length", (json_int_t)json_array_size(items))
                             : NULL;
        started = aslrtp_ex_chain(ex, ASLRTP_EV_MAP_STATE_STARTED, d);
    }
    if (s->batched) {
        json_t *batches = make_batches(ex, s, input, items);
        json_decref(items);
        if (!batches)
            return 0;
        items = batches;
    }
    size_t n = json_array_size(items);
    int workers = pool_size(ex);
    if (limit > 0 && limit < workers)
        workers = (int)limit;
    fan fn = {0};
    fn.input = input;
    fn.items = items;
    fn.graph = s->processor;
    fn.selector = s->batched ? ASLRT_NONE : s->item_selector;
    fn.keep = s->writes; /* the writer needs the results and which failed */
    fn.progress = ex->cfg->progress && n >= 100;
    fn.tolerant = s->distributed;
    fn.started = started;
    bool share = share_input(ex, s, fn.selector, input);
    int ok = fan_out(ex, &fn, n, workers);
    if (share)
        unshare_input(ex);
    if (!ok) {
        ex->failed_event = ASLRTP_EV_MAP_STATE_FAILED;
        json_decref(items);
        free(fn.failed_items);
        return 0;
    }
    if (s->distributed && over_threshold(fn.nfailed, n, tol_count, tol_pct)) {
        aslrtp_slot_set(&ex->fanout_result, NULL);
        json_decref(items);
        free(fn.failed_items);
        aslrtp_ex_fail_plain(ex, ASLRTP_ERR_EXCEED_TOLERATED_FAILURE_THRESHOLD,
                             "The specified tolerated failure threshold was exceeded");
        return 0; /* MapRunFailed (aslrt_op_map) */
    }
    if (s->writes) {
        json_t *out = write_results(ex, s, input, ex->fanout_result, fn.failed_items, items);
        aslrtp_slot_set(&ex->fanout_result, out);
    }
    json_decref(items);
    free(fn.failed_items);
    if (!ex->fanout_result)
        return 0;
    /* Recorded on AWS since November 2024: neither MapRunSucceeded nor the
     * state's success extends the chain (MapStateExited follows
     * MapRunStarted; recordings made before then show MapRunSucceeded
     * extending it). */
    long prev = ex->last_event;
    if (s->distributed)
        prev = aslrtp_ex_record(ex, ASLRTP_EV_MAP_RUN_SUCCEEDED, prev, NULL);
    aslrtp_ex_record(ex, ASLRTP_EV_MAP_STATE_SUCCEEDED, prev, NULL);
    aslrtp_slot_set(&f->eff, NULL);
    aslrtp_slot_set(&f->res, ex->fanout_result);
    ex->fanout_result = NULL;
    return 1;
}

/* ---- TestState (server/teststate.c) -------------------------------------- */

bool aslrtp_map_limits(aslrt_exec *ex, aslrt_frame *f, long long *max_concurrency,
                       long long *tolerated_count, double *tolerated_pct)
{
    const aslrt_state *s = ex->state;
    *max_concurrency = s->max_concurrency;
    *tolerated_count = s->tolerated_count;
    *tolerated_pct = s->tolerated_percentage;
    if (s->max_concurrency_path != ASLRT_NONE &&
        !path_int(ex, s->max_concurrency_path, ASLRTP_EFF(f), "MaxConcurrencyPath", 0,
                  max_concurrency))
        return false;
    return tolerance(ex, s, ASLRTP_EFF(f), tolerated_count, tolerated_pct);
}
