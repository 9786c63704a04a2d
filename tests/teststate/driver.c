/*
 * driver.c - the TestState action without the HTTP server: a request's
 * JSON body on stdin in, the response (or AWS's error, {"__type",
 * "message"}) on stdout out, for tests/conformance/runner.py --test-state
 * --driver.  Options: --bindings F (the Tasks that no mock answers),
 * --region R, --account ID.  Exit status 0 answered, 1 refused, 2 bad
 * usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aslrt_private.h"
#include "server.h"

int main(int argc, char **argv)
{
    const char *bindings_file = NULL, *region = NULL, *account = NULL;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--bindings") == 0)
            bindings_file = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--region") == 0)
            region = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--account") == 0)
            account = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--bindings F] [--region R] [--account ID] < request\n",
                    argv[0]);
            return 2;
        }
    }
    json_error_t je;
    json_t *req = json_loadf(stdin, JSON_DECODE_ANY, &je);
    if (!req) {
        fprintf(stderr, "%s: the request is not JSON: %s (line %d)\n", argv[0], je.text, je.line);
        return 2;
    }
    aslrt_bindings *b = aslrt_bindings_create();
    if (bindings_file) {
        aslrt_error err = {NULL, NULL};
        if (!aslrt_bindings_load_file(b, bindings_file, &err)) {
            fprintf(stderr, "%s: %s: %s\n", argv[0], bindings_file,
                    err.cause ? err.cause : "cannot load");
            aslrt_error_clear(&err);
            aslrt_bindings_destroy(b);
            json_decref(req);
            return 2;
        }
    }
    srv_fault f = {0};
    json_t *res = srv_test_state_at(req, b, region, account, &f);
    int rc = 0;
    if (!res) {
        res = json_pack("{s:s,s:s,s:i}", "__type", f.type, "message", f.message, "status",
                        f.status);
        rc = 1;
    }
    char *text = json_dumps(res, JSON_COMPACT);
    puts(text);
    free(text);
    json_decref(res);
    json_decref(req);
    srv_fault_clear(&f);
    aslrt_bindings_destroy(b);
    return rc;
}
