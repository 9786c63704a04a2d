/*
 * rest.h - what the rest protocols (restxml.c, restjson.c) share: the
 * request line and headers made from the input's uri, querystring and
 * header members, and the output members read back from the answer's
 * headers and status (doc/behaviour.md §27).
 */
#ifndef ASLRT_AWS_REST_H
#define ASLRT_AWS_REST_H

#include "aws.h"

/* Fills w's method, path (the operation's URI template with its {Name}
 * and greedy {Name+} members, then the query string: the template's own
 * parameters and the querystring members, sorted by name then value as
 * SigV4 canonicalizes them) and the header and headers members.  Returns
 * 1, or 0 with err filled (a missing uri member, a header value with a
 * line break, a value of the wrong type). */
int aslrtp_rest_request(const aslrtp_aws_service *s, const aslrtp_aws_op *op, json_t *params,
                        aslrtp_aws_wire *w, aslrt_error *err);

/* The payload member of structure shape (its "payload"), or NULL. */
const aslrtp_aws_member *aslrtp_rest_payload(const aslrtp_aws_service *s, int shape);

/* Whether structure shape has members that travel in the body. */
bool aslrtp_rest_has_body_members(const aslrtp_aws_service *s, int shape);

/* Sets in out the members of output shape that travel in the answer's
 * headers (a headers map is always set, {} when no header has its
 * prefix) and its status code. */
void aslrtp_rest_read_headers(const aslrtp_aws_service *s, int shape,
                              const aslrtp_aws_response *r, json_t *out);

/* The value of header name in r (any case), or NULL. */
const char *aslrtp_rest_header(const aslrtp_aws_response *r, const char *name);

/* Whether w already has the header name (any case). */
bool aslrtp_rest_has_header(const aslrtp_aws_wire *w, const char *name);


#endif /* ASLRT_AWS_REST_H */
