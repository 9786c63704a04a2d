/*
 * history.c - the execution history, in the shape of AWS Step Functions'
 * GetExecutionHistory (doc/behaviour.md §20).
 *
 * exec.c numbers the events of an execution whether or not anyone asked
 * for them, because AWS's causes quote those numbers ("entered at the event
 * id #N").  When the configuration asks for the history, it also hands each
 * event to a list kept here: id, previousEventId, time, type and the
 * *EventDetails object, already in AWS's field names.  A list belongs to one
 * thread: each Map iteration and Parallel branch fills a list of its own,
 * which the parent splices into its list, in index order, once the fan-out
 * has joined (aslrtp_hist_splice).  aslrtp_hist_json turns a list into the
 * document {"events": [...]}.
 *
 * The live sink (aslrt_config.history_event, doc/behaviour.md §31.1): the
 * execution's own list, the top-level one, hands each event to the sink
 * as soon as it is final.  An event added to that list is final at once;
 * a branch's or iteration's events become final when they are spliced
 * into it (their ids are renumbered then), and aslrtp_hist_flush delivers
 * them.  When nobody wants the whole document, delivered events are
 * dropped, so that a long execution holds only the events of the fan-outs
 * in flight.
 *
 * A history file (aslrtp_hist_file, for --history) is such a sink: it
 * writes the document as the events become final, the same text as
 * json_dumpf of the whole document with an indent of 2, so that neither a
 * long history nor large payloads are ever held whole.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aslrt_private.h"

static const struct {
    const char *name;    /* the event's type */
    const char *details; /* the member that holds its details */
} events[] = {
    {"", NULL},
#define X(e, name, details) {name, details},
    ASLRTP_EVENTS(X)
#undef X
};

typedef struct event {
    long id;
    long prev;
    int type;            /* ASLRTP_EV_* */
    long long ms;        /* execution clock */
    json_t *details;     /* owned; NULL: none */
} event;

struct aslrtp_hist {
    event *ev;
    size_t n, cap;
    /* The execution's own list, with a live sink: */
    void (*sink)(void *ud, const json_t *event); /* NULL: none */
    void *sink_ud;
    bool keep;           /* keep delivered events (the document is wanted) */
    size_t delivered;    /* ev[0..delivered) went to the sink */
};

/* Events held by every list of the process, for tests of bounded memory. */
static size_t live_events;

size_t aslrtp_hist_live(void)
{
    return __atomic_load_n(&live_events, __ATOMIC_RELAXED);
}

aslrtp_hist *aslrtp_hist_create(void)
{
    return aslrtp_calloc(1, sizeof(aslrtp_hist));
}

void aslrtp_hist_destroy(aslrtp_hist *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++)
        json_decref(h->ev[i].details);
    __atomic_fetch_sub(&live_events, h->n, __ATOMIC_RELAXED);
    free(h->ev);
    free(h);
}

void aslrtp_hist_set_sink(aslrtp_hist *h, void (*sink)(void *ud, const json_t *event), void *ud,
                          bool keep)
{
    h->sink = sink;
    h->sink_ud = ud;
    h->keep = keep;
}

static event *grow(aslrtp_hist *h)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 64;
        h->ev = aslrtp_reallocarray(h->ev, h->cap, sizeof *h->ev);
    }
    return &h->ev[h->n++];
}

void aslrtp_hist_add_new(aslrtp_hist *h, long id, long prev, int type, long long ms,
                         json_t *details)
{
    event *e = grow(h);
    e->id = id;
    e->prev = prev;
    e->type = type;
    e->ms = ms;
    e->details = details;
    __atomic_fetch_add(&live_events, 1, __ATOMIC_RELAXED);
    if (h->sink)
        aslrtp_hist_flush(h);
}

size_t aslrtp_hist_count(const aslrtp_hist *h)
{
    return h ? h->n : 0;
}

void aslrtp_hist_set_prev(aslrtp_hist *h, size_t i, long prev)
{
    if (h && i < h->n)
        h->ev[i].prev = prev;
}

void aslrtp_hist_splice(aslrtp_hist *dst, aslrtp_hist *src, long lo, long hi, long delta)
{
    if (!src)
        return;
    for (size_t i = 0; i < src->n; i++) {
        event *e = grow(dst);
        *e = src->ev[i];
        if (e->id >= lo && e->id <= hi)
            e->id += delta;
        if (e->prev >= lo && e->prev <= hi)
            e->prev += delta;
    }
    src->n = 0; /* the details moved with the events */
}

json_t *aslrtp_hist_payload(const json_t *v)
{
    char *s = aslrt_json_dumps(v ? v : json_null());
    json_t *j = json_string(s);
    free(s);
    return j ? j : json_string("");
}

/* One event as GetExecutionHistory returns it; the timestamp as AWS's
 * text, or (ms) as integer milliseconds since the epoch. */
static json_t *event_json(const event *e, bool ms)
{
    json_t *o = json_pack("{s:I,s:I}", "id", (json_int_t)e->id, "previousEventId",
                          (json_int_t)e->prev);
    if (ms) {
        json_object_set_new(o, "timestamp", json_integer((json_int_t)e->ms));
    } else {
        char ts[40];
        aslrtp_timestamp_format(e->ms, ts, sizeof ts);
        json_object_set_new(o, "timestamp", json_string(ts));
    }
    json_object_set_new(o, "type", json_string(events[e->type].name));
    if (e->details && events[e->type].details)
        json_object_set(o, events[e->type].details, e->details);
    return o;
}

json_t *aslrtp_hist_json(const aslrtp_hist *h)
{
    json_t *arr = json_array();
    for (size_t i = 0; h && i < h->n; i++)
        json_array_append_new(arr, event_json(&h->ev[i], false));
    return json_pack("{s:o}", "events", arr);
}

void aslrtp_hist_flush(aslrtp_hist *h)
{
    if (!h || !h->sink)
        return;
    for (; h->delivered < h->n; h->delivered++) {
        json_t *o = event_json(&h->ev[h->delivered], true);
        h->sink(h->sink_ud, o);
        json_decref(o);
    }
    if (!h->keep && h->n) {
        for (size_t i = 0; i < h->n; i++)
            json_decref(h->ev[i].details);
        __atomic_fetch_sub(&live_events, h->n, __ATOMIC_RELAXED);
        h->n = h->delivered = 0;
    }
}

void aslrtp_hist_resource(const char *arn, char **type, char **resource)
{
    /* arn:aws:states:::lambda:invoke -> lambda / invoke;
     * arn:aws:states:::aws-sdk:s3:getObject -> aws-sdk:s3 / getObject;
     * arn:aws:states:::states:startExecution.sync:2 -> states /
     * startExecution.sync:2 (doc/behaviour.md §20.3, recorded). */
    static const char integration[] = "arn:aws:states:::";
    const char *rest = arn ? arn : "";
    if (strncmp(rest, integration, sizeof integration - 1) == 0)
        rest += sizeof integration - 1;
    const char *colon = strchr(rest, ':');
    if (colon && strncmp(rest, "aws-sdk:", 8) == 0 && strchr(colon + 1, ':'))
        colon = strchr(colon + 1, ':');
    if (rest == arn || !colon) {
        /* Another ARN (a binding's own name): its service is the type. */
        const char *svc = arn ? strchr(arn, ':') : NULL;
        svc = svc ? strchr(svc + 1, ':') : NULL;
        const char *end = svc ? strchr(svc + 1, ':') : NULL;
        *type = end ? aslrtp_strdupf("%.*s", (int)(end - svc - 1), svc + 1) : aslrtp_strdup("");
        *resource = aslrtp_strdup(arn ? arn : "");
        return;
    }
    *type = aslrtp_strdupf("%.*s", (int)(colon - rest), rest);
    *resource = aslrtp_strdup(colon + 1);
}

/* ---- A history file, written as the events come ------------------------ */

struct aslrtp_hist_file {
    FILE *f;
    long events;         /* written so far */
    int err;             /* the first write's failure (errno, -1: unknown) */
};

aslrtp_hist_file *aslrtp_hist_file_open(const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stderr : fopen(path, "w");
    if (!f)
        return NULL;
    aslrtp_hist_file *w = aslrtp_calloc(1, sizeof *w);
    w->f = f;
    static const char head[] = "{\n  \"events\": [";
    aslrtp_write(f, head, sizeof head - 1, &w->err);
    return w;
}

void aslrtp_hist_file_event(void *ud, const json_t *event)
{
    aslrtp_hist_file *w = ud;
    /* The document's timestamp is AWS's text, the sink's milliseconds. */
    json_t *e = json_copy((json_t *)event);
    char ts[40];
    aslrtp_timestamp_format((long long)json_integer_value(json_object_get(e, "timestamp")), ts,
                            sizeof ts);
    json_object_set_new(e, "timestamp", json_string(ts));
    char *text = json_dumps(e, JSON_INDENT(2));
    json_decref(e);
    /* One element of the array: its lines indented as in the document. */
    aslrtp_buf b = {0};
    aslrtp_buf_adds(&b, w->events++ ? ",\n    " : "\n    ");
    for (const char *p = text, *nl; p && *p; p = nl + 1) {
        if (!(nl = strchr(p, '\n'))) {
            aslrtp_buf_adds(&b, p);
            break;
        }
        aslrtp_buf_add(&b, p, (size_t)(nl + 1 - p));
        aslrtp_buf_adds(&b, "    ");
    }
    free(text);
    aslrtp_write(w->f, b.data, b.len, &w->err);
    free(aslrtp_buf_finish(&b));
}

int aslrtp_hist_file_close(aslrtp_hist_file *w)
{
    static const char tail[] = "\n  ]\n}\n";
    aslrtp_write(w->f, tail, sizeof tail - 1, &w->err);
    int err = aslrtp_stream_finish(w->f, w->err);
    free(w);
    return err;
}
