/*
 * fault.c - the errors the API answers with (server.h, srv_fault): a code,
 * a message and an HTTP status, filled by whichever part of the server
 * refuses a request and sent by http.c in the JSON 1.0 protocol's shape.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "aslrt_private.h"
#include "server.h"

void srv_fault_set(srv_fault *f, int status, const char *type, const char *fmt, ...)
{
    srv_fault_clear(f);
    va_list ap;
    va_start(ap, fmt);
    char *m = NULL;
    if (vasprintf(&m, fmt, ap) < 0)
        m = NULL;
    va_end(ap);
    f->status = status;
    f->type = aslrtp_strdup(type);
    f->message = m ? m : aslrtp_strdup(type);
}

void srv_fault_clear(srv_fault *f)
{
    free(f->type);
    free(f->message);
    f->type = f->message = NULL;
    f->status = 0;
}
