/*
 * handler.c - the benchmark's Task handlers as one small C program, so that a
 * task call costs one fork+exec and no shell start-up.
 *
 *   cc -O2 -o noop handler.c && ln noop inc      (bench/run.py does this in a temp dir)
 *
 * The name it is run as picks the function (as in the workloads README):
 *   ...inc   {"i": N} -> {"i": N+1}      (aslc-bench-inc)
 *   other    anything -> {}              (aslc-bench-noop)
 * The event is argv[1] when given (local-sfn -t overrides), else stdin (aslc
 * "program" bindings).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    static char buf[1 << 16];
    const char *ev = buf;
    if (argc > 1) {
        ev = argv[1];
    } else {
        size_t n = 0, r;
        while ((r = fread(buf + n, 1, sizeof buf - 1 - n, stdin)) > 0)
            n += r;
        buf[n] = '\0';
    }
    const char *name = strrchr(argv[0], '/');
    name = name ? name + 1 : argv[0];
    size_t len = strlen(name);
    if (len >= 3 && strcmp(name + len - 3, "inc") == 0) {
        const char *p = strstr(ev, "\"i\"");
        if (!p || !(p = strchr(p + 3, ':'))) {
            puts("{\"errorType\":\"BadEvent\",\"errorMessage\":\"no key i in the event\"}");
            return 1;
        }
        printf("{\"i\":%lld}\n", strtoll(p + 1, NULL, 10) + 1);
    } else {
        puts("{}");
    }
    return 0;
}
