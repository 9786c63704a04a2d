/*
 * model.c - lookups in the service table that services.c holds (generated
 * from botocore's models, see aws.h): services by aws-sdk name or endpoint
 * prefix, operations by name, modeled errors by code.  The table is sorted
 * where it is searched.
 */
#include <stdlib.h>
#include <string.h>

#include "aws.h"

extern const aslrtp_aws_service aslrtp_aws_services[];
extern const size_t aslrtp_aws_nservices;
extern const char aslrtp_aws_strings[];

const char *aslrtp_aws_str_at(aslrtp_aws_str s)
{
    return s ? aslrtp_aws_strings + s : NULL;
}

static int by_sdk_name(const void *key, const void *elem)
{
    return strcmp(key, aslrtp_aws_str_at(((const aslrtp_aws_service *)elem)->sdk_name));
}

const aslrtp_aws_service *aslrtp_aws_service_find(const char *name)
{
    if (!name)
        return NULL;
    return bsearch(name, aslrtp_aws_services, aslrtp_aws_nservices, sizeof *aslrtp_aws_services,
                   by_sdk_name);
}

const aslrtp_aws_service *aslrtp_aws_service_by_prefix(const char *endpoint_prefix)
{
    for (size_t i = 0; endpoint_prefix && i < aslrtp_aws_nservices; i++)
        if (strcmp(aslrtp_aws_str_at(aslrtp_aws_services[i].endpoint_prefix),
                   endpoint_prefix) == 0)
            return &aslrtp_aws_services[i];
    return NULL;
}

static int by_op_name(const void *key, const void *elem)
{
    return strcmp(key, aslrtp_aws_str_at(((const aslrtp_aws_op *)elem)->name));
}

const aslrtp_aws_op *aslrtp_aws_op_find(const aslrtp_aws_service *s, const char *name)
{
    if (!s || !name)
        return NULL;
    return bsearch(name, s->ops, s->nops, sizeof *s->ops, by_op_name);
}

static int by_string(const void *key, const void *elem)
{
    return strcmp(key, aslrtp_aws_str_at(*(const aslrtp_aws_str *)elem));
}

const char *aslrtp_aws_error_shape(const aslrtp_aws_service *s, const char *code)
{
    if (!s || !code)
        return NULL;
    const aslrtp_aws_str *pair = bsearch(code, s->errors, s->nerrors, 2 * sizeof *s->errors,
                                         by_string);
    return pair ? aslrtp_aws_str_at(pair[1]) : NULL;
}
