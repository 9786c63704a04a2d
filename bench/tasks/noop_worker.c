/*
 * noop_worker.c - the no-op Task handler as a persistent worker: it speaks
 * the line protocol of runtime/task_worker.c and answers {} to every
 * request, so that what bench/tasks/run.sh measures is the protocol and the
 * runtime, not the handler.
 *
 *   request  {"id":7,"context":{...},"event":...}\n   (the id always first)
 *   answer   {"id":7,"result":{}}\n
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, stdin) > 0) {
        unsigned long long id;
        if (sscanf(line, "{\"id\":%llu", &id) != 1) {
            fprintf(stderr, "noop_worker: not a request: %.80s\n", line);
            return 2;
        }
        printf("{\"id\":%llu,\"result\":{}}\n", id);
        fflush(stdout);
    }
    free(line);
    return 0;
}
