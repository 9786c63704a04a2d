/*
 * embed.c - runs a workflow compiled into this program by `aslc emit`.
 *
 * greeting.c comes from `aslc emit workflow.asl.json --prefix greeting`; it
 * defines one symbol, greeting_machine.  The two Task resources of the
 * workflow are bound to the C functions greet() and shout() below.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>
#include <aslrt.h>

extern const aslrt_machine greeting_machine;   /* greeting.c */

/* Greet: {"salutation": "Hello", "name": "Ada", ...} -> "Hello, Ada!" */
static int greet(void *ud, json_t *input, json_t **output, aslrt_error *err)
{
    const char *salutation = json_string_value(json_object_get(input, "salutation"));
    const char *name = json_string_value(json_object_get(input, "name"));

    (void)ud;
    if (!salutation || !name) {
        aslrt_error_set(err, "Greet.InvalidInput",
                        "\"salutation\" and \"name\" must be strings");
        return 0;
    }
    *output = json_sprintf("%s, %s!", salutation, name);
    if (!*output) {
        aslrt_error_set(err, "Greet.OutOfMemory", NULL);
        return 0;
    }
    return 1;
}

/* Shout: "Hello, Ada!" -> "HELLO, ADA!" */
static int shout(void *ud, json_t *input, json_t **output, aslrt_error *err)
{
    const char *text = json_string_value(input);
    size_t n = json_string_length(input);
    char *s;

    (void)ud;
    if (!text) {
        aslrt_error_set(err, "Shout.InvalidInput", "the input must be a string");
        return 0;
    }
    s = malloc(n + 1);
    if (!s) {
        aslrt_error_set(err, "Shout.OutOfMemory", NULL);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        s[i] = (char)toupper((unsigned char)text[i]);
    *output = json_stringn(s, n);
    free(s);
    if (!*output) {
        aslrt_error_set(err, "Shout.OutOfMemory", NULL);
        return 0;
    }
    return 1;
}

int main(void)
{
    static const struct { const char *name; int excited; } people[] = {
        {"Ada", 1},
        {"Grace", 0},
    };
    aslrt_error err = {0};
    aslrt_program *prog;
    aslrt_bindings *bindings;
    aslrt_config cfg;
    int status = 0;

    prog = aslrt_program_create(&greeting_machine, &err);
    if (!prog) {
        fprintf(stderr, "embed: %s: %s\n", err.error ? err.error : "error",
                err.cause ? err.cause : "");
        aslrt_error_clear(&err);
        return 2;
    }
    bindings = aslrt_bindings_create();
    aslrt_bindings_add_c(bindings, "arn:aws:lambda:*:*:function:Greet", greet, NULL);
    aslrt_bindings_add_c(bindings, "arn:aws:lambda:*:*:function:Shout", shout, NULL);
    aslrt_config_init(&cfg);
    cfg.bindings = bindings;

    for (size_t i = 0; i < sizeof people / sizeof people[0]; i++) {
        json_t *input = json_pack("{s:s, s:b}", "name", people[i].name,
                                  "excited", people[i].excited);
        json_t *output = NULL;

        if (aslrt_execute(prog, &cfg, input, &output, &err) == ASLRT_SUCCEEDED) {
            char *text = aslrt_json_dumps(output);
            puts(text);
            free(text);
            json_decref(output);
        } else {
            fprintf(stderr, "embed: execution failed: %s: %s\n",
                    err.error ? err.error : "(no error)",
                    err.cause ? err.cause : "(no cause)");
            aslrt_error_clear(&err);
            status = 1;
        }
        json_decref(input);
    }
    aslrt_bindings_destroy(bindings);
    aslrt_program_destroy(prog);
    return status;
}
