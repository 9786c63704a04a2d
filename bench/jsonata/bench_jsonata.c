/*
 * bench_jsonata.c - the cost of one evaluation of a JSONata expression in
 * aslc's engine (runtime/jsonata/).  For each expression of a list it
 * parses once, then evaluates against an input converted once, resetting
 * the evaluation's arena after every evaluation as the runtime does between
 * states, and reports the median over --runs batches of the time per
 * evaluation.  It also times the parse alone and the conversion of the
 * document from jansson (jn_from_json), which the runtime pays once per
 * state input.  bench/jsonata/run.sh builds and runs it beside bench.js.
 *
 *   bench_jsonata [--time-ms MS] [--runs N] [--only SUBSTR] DOCUMENT EXPRESSIONS
 *
 * EXPRESSIONS is a JSON array of {"name", "expr"}.  Output, one line each,
 * tab-separated:
 *   #from_json  NS                     the conversion of DOCUMENT
 *   NAME  NS_PER_EVAL  PARSE_NS  RESULT_JSON
 *   NAME  error  PARSE_NS  CODE: MESSAGE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "jsonata/jsonata.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* What one batch measures: n repetitions of one operation. */
typedef struct job {
    jn_ctx *cx;             /* reset after every repetition */
    const jn_node *ast;     /* evaluate this ... */
    jn_value *input;        /* ... against this (lives in another context) */
    const char *expr;       /* or parse this */
    json_t *doc;            /* or convert this */
} job;

static double batch(const job *j, long n)
{
    jn_error err;
    jn_value *result;
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if (j->ast)
            jn_eval(j->cx, j->ast, j->input, &result, &err);
        else if (j->expr)
            jn_parse(j->cx, j->expr, strlen(j->expr), &err);
        else
            jn_from_json(j->cx, j->doc);
        jn_ctx_reset(j->cx);
    }
    return now_ns() - t0;
}

/* The median time of one repetition over `runs` batches of about
 * time_ms each (after a warm-up). */
static double measure(const job *j, double time_ms, int runs)
{
    double target = time_ms * 1e6;
    long n = 1;
    double t;
    while ((t = batch(j, n)) < target / 4 && n < (1L << 40))
        n *= 2;
    n = (long)((double)n * target / (t > 1 ? t : 1)) + 1;
    double *per = malloc((size_t)runs * sizeof *per);
    if (!per)
        abort();
    for (int r = 0; r < runs; r++)
        per[r] = batch(j, n) / (double)n;
    qsort(per, (size_t)runs, sizeof *per, cmp_double);
    double median = per[runs / 2];
    free(per);
    return median;
}

static void print_tsv(const char *s)
{
    for (; *s; s++)
        putchar(*s == '\t' || *s == '\n' ? ' ' : *s);
}

int main(int argc, char **argv)
{
    double time_ms = 200;
    int runs = 5;
    const char *only = NULL, *files[2];
    int nfiles = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--time-ms") == 0 && i + 1 < argc)
            time_ms = atof(argv[++i]);
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (argv[i][0] != '-' && nfiles < 2)
            files[nfiles++] = argv[i];
        else
            nfiles = 99;
    }
    if (nfiles != 2 || time_ms <= 0 || runs < 1) {
        fputs("usage: bench_jsonata [--time-ms MS] [--runs N] [--only SUBSTR] "
              "DOCUMENT EXPRESSIONS\n", stderr);
        return 2;
    }
    json_error_t jerr;
    json_t *doc = json_load_file(files[0], JSON_DECODE_ANY, &jerr);
    json_t *list = json_load_file(files[1], 0, &jerr);
    if (!doc || !json_is_array(list)) {
        fprintf(stderr, "bench_jsonata: cannot read %s: %s\n", doc ? files[1] : files[0],
                jerr.text);
        return 2;
    }

    jn_options opt = { .now_ms = -1 };
    jn_ctx *keep = jn_ctx_create(&opt);   /* the ASTs and the input */
    jn_ctx *work = jn_ctx_create(&opt);   /* one evaluation at a time */
    if (!keep || !work)
        abort();

    job conv = { .cx = work, .doc = doc };
    printf("#from_json\t%.1f\n", measure(&conv, time_ms, runs));
    fflush(stdout);
    jn_value *input = jn_from_json(keep, doc);

    size_t k;
    json_t *e;
    json_array_foreach(list, k, e) {
        const char *name = json_string_value(json_object_get(e, "name"));
        const char *expr = json_string_value(json_object_get(e, "expr"));
        if (!name || !expr) {
            fprintf(stderr, "bench_jsonata: entry %zu has no name or expr\n", k);
            return 2;
        }
        if (only && !strstr(name, only))
            continue;
        job parse = { .cx = work, .expr = expr };
        double parse_ns = measure(&parse, time_ms / 4, runs);

        jn_error err;
        memset(&err, 0, sizeof err);
        const jn_node *ast = jn_parse(keep, expr, strlen(expr), &err);
        jn_value *result = NULL;
        if (ast) {
            memset(&err, 0, sizeof err);
            if (!jn_eval(work, ast, input, &result, &err))
                ast = NULL;
        }
        if (!ast) {
            printf("%s\terror\t%.1f\t%s: ", name, parse_ns, err.code);
            print_tsv(err.message);
            putchar('\n');
            jn_ctx_reset(work);
            continue;
        }
        bool unsupported = false;
        json_t *j = jn_to_json(result, &unsupported);
        char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17))
                       : NULL;
        json_decref(j);
        jn_ctx_reset(work);

        job eval = { .cx = work, .ast = ast, .input = input };
        double ns = measure(&eval, time_ms, runs);
        printf("%s\t%.1f\t%.1f\t", name, ns, parse_ns);
        print_tsv(text ? text : "undefined");
        putchar('\n');
        fflush(stdout);
        free(text);
    }
    jn_ctx_destroy(work);
    jn_ctx_destroy(keep);
    json_decref(list);
    json_decref(doc);
    return 0;
}
