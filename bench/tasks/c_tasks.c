/*
 * c_tasks.c - the benchmark's two workflows with their Noop task bound to a
 * C function in this process: no process is started per call, and none at
 * all.  tloop.c and tmap.c come from `aslc emit --prefix tloop|tmap`
 * (bench/tasks/run.sh builds them).
 *
 *   c_tasks loop N     the Task loop, N calls in a row
 *   c_tasks map N      the Map over N items, as many at a time as there are cores
 *
 * Prints the execution's output, as a workflow program does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <aslrt.h>

extern const aslrt_machine tloop_machine, tmap_machine;

/* The no-op handler: {} whatever the input. */
static int noop(void *ud, json_t *input, json_t **output, aslrt_error *err)
{
    (void)ud;
    (void)input;
    (void)err;
    *output = json_object();
    return *output != NULL;
}

int main(int argc, char **argv)
{
    long n = argc == 3 ? strtol(argv[2], NULL, 10) : -1;
    int map = argc == 3 && strcmp(argv[1], "map") == 0;
    if (n < 1 || (!map && strcmp(argv[1], "loop") != 0)) {
        fprintf(stderr, "usage: c_tasks loop|map N\n");
        return 2;
    }
    json_t *input;
    if (map) {
        json_t *items = json_array();
        for (long i = 0; i < n; i++)
            json_array_append_new(items, json_integer(i));
        input = json_pack("{s:o}", "items", items);
    } else {
        input = json_pack("{s:i,s:I}", "i", 0, "n", (json_int_t)n);
    }

    aslrt_error err = {0};
    aslrt_program *prog = aslrt_program_create(map ? &tmap_machine : &tloop_machine, &err);
    if (!prog) {
        fprintf(stderr, "c_tasks: %s\n", err.cause ? err.cause : "cannot load the workflow");
        return 2;
    }
    aslrt_bindings *b = aslrt_bindings_create();
    aslrt_bindings_add_c(b, "arn:aws:lambda:*:*:function:Noop", noop, NULL);
    aslrt_config cfg;
    aslrt_config_init(&cfg);
    cfg.bindings = b;
    cfg.payload_limit = -1;     /* the Map's input is large: as --payload-limit=none */
    cfg.express = 1;            /* a million calls are over a Standard execution's
                                   25,000 history events, as with --type=EXPRESS */

    json_t *output = NULL;
    int status = aslrt_execute(prog, &cfg, input, &output, &err);
    if (status == ASLRT_SUCCEEDED) {
        char *text = aslrt_json_dumps(output);
        puts(text);
        free(text);
        json_decref(output);
    } else {
        fprintf(stderr, "c_tasks: %s: %s\n", err.error ? err.error : "",
                err.cause ? err.cause : "");
        aslrt_error_clear(&err);
    }
    aslrt_bindings_destroy(b);
    aslrt_program_destroy(prog);
    json_decref(input);
    return status;
}
