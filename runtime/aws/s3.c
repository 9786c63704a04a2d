/*
 * s3.c - S3 objects read, listed and written through S3's own API (the
 * rest-xml codec, restxml.c), for the distributed Map's ItemReader and
 * ResultWriter when S3 is an endpoint rather than a folder
 * (doc/behaviour.md §28): GetObject, ListObjectsV2 page after page, and
 * PutObject, at the endpoint configured for S3 and with the credentials
 * found as for any service call.  Errors are named and worded as the
 * aws-sdk integration names S3's (S3.NoSuchBucketException, ...); the
 * caller words them as its own failure.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws.h"

static const aslrtp_aws_service *s3(void)
{
    return aslrtp_aws_service_find("s3");
}

bool aslrtp_s3_remote(const aslrt_config *cfg)
{
    return s3() && aslrtp_aws_has_endpoint(cfg, s3());
}

/* Calls S3's operation op with params; its output in *out. */
static int call(const aslrt_config *cfg, const char *region, const char *op, json_t *params,
                size_t limit, json_t **out, aslrt_error *err)
{
    const aslrtp_aws_service *s = s3();
    const aslrtp_aws_op *o = aslrtp_aws_op_find(s, op);
    if (!s || !o) {
        aslrt_error_set(err, "aslc.AwsConfigError", "this build's service table has no S3");
        return 0;
    }
    aslrtp_aws_target t;
    int r = aslrtp_aws_target_resolve(cfg, s, region, &t, err);
    if (r == 0)
        aslrt_error_set(err, "aslc.AwsConfigError",
                        "no endpoint is configured for S3 (AWS_ENDPOINT_URL_S3, "
                        "AWS_ENDPOINT_URL, \"Endpoints\" in the bindings, or --aws)");
    if (r <= 0)
        return 0;
    t.body_limit = limit;
    aslrtp_cancel stop = {cfg ? cfg->abort_flag : NULL, NULL};
    int ok = aslrtp_aws_call(s, o, &t, params, 0, &stop, NULL, out, NULL, err);
    aslrtp_aws_target_free(&t);
    return ok;
}

char *aslrtp_s3_get(const aslrt_config *cfg, const char *region, const char *bucket,
                    const char *key, size_t *len, aslrt_error *err)
{
    json_t *params = json_pack("{s:s,s:s}", "Bucket", bucket, "Key", key);
    json_t *out = NULL;
    int ok = call(cfg, region, "GetObject", params, ASLRTP_S3_OBJECT_LIMIT, &out, err);
    json_decref(params);
    if (!ok) {
        if (err->error && strcmp(err->error, ASLRTP_ERR_DATA_LIMIT_EXCEEDED) == 0) {
            char *c = aslrtp_strdupf("The object s3://%s/%s is larger than aslc reads (%zu MiB).",
                                     bucket, key, ASLRTP_S3_OBJECT_LIMIT >> 20);
            aslrt_error_set(err, ASLRTP_ERR_DATA_LIMIT_EXCEEDED, c);
            free(c);
        }
        return NULL;
    }
    json_t *body = json_object_get(out, "Body");
    *len = json_string_length(body);
    char *data = aslrtp_memdup(json_is_string(body) ? json_string_value(body) : "", *len);
    json_decref(out);
    return data;
}

/* The epoch seconds of an ISO 8601 UTC date, or the value as it is. */
static json_t *epoch_of(json_t *v)
{
    struct tm tm = {0};
    const char *text = json_string_value(v);
    if (!text || !strptime(text, "%Y-%m-%dT%H:%M:%S", &tm))
        return json_incref(v);
    int64_t days = aslrtp_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    return json_integer((json_int_t)(days * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 +
                                     tm.tm_sec));
}

json_t *aslrtp_s3_list(const aslrt_config *cfg, const char *region, const char *bucket,
                       const char *prefix, aslrt_error *err)
{
    json_t *items = json_array();
    char *token = NULL;
    for (;;) {
        json_t *params = json_pack("{s:s}", "Bucket", bucket);
        if (prefix && *prefix)
            json_object_set_new(params, "Prefix", json_string(prefix));
        if (token)
            json_object_set_new(params, "ContinuationToken", json_string(token));
        json_t *out = NULL;
        int ok = call(cfg, region, "ListObjectsV2", params, ASLRTP_S3_OBJECT_LIMIT, &out, err);
        json_decref(params);
        free(token);
        token = NULL;
        if (!ok) {
            json_decref(items);
            return NULL;
        }
        size_t i;
        json_t *o;
        json_array_foreach(json_object_get(out, "Contents"), i, o) {
            json_t *item = json_object();
            json_object_set(item, "Key", json_object_get(o, "Key"));
            json_object_set(item, "ETag", json_object_get(o, "ETag"));
            json_object_set_new(item, "LastModified",
                                epoch_of(json_object_get(o, "LastModified")));
            json_object_set(item, "Size", json_object_get(o, "Size"));
            json_object_set(item, "StorageClass", json_object_get(o, "StorageClass"));
            json_array_append_new(items, item);
        }
        const char *next = json_string_value(json_object_get(out, "NextContinuationToken"));
        bool more = json_is_true(json_object_get(out, "IsTruncated")) && next && *next;
        token = more ? aslrtp_strdup(next) : NULL;
        json_decref(out);
        if (!more)
            return items;
    }
}

int aslrtp_s3_put(const aslrt_config *cfg, const char *region, const char *bucket,
                  const char *key, const char *data, size_t len, aslrt_error *err)
{
    json_t *params = json_pack("{s:s,s:s,s:s%}", "Bucket", bucket, "Key", key, "Body", data, len);
    if (!params) {
        aslrt_error_set(err, ASLRTP_ERR_RUNTIME, "the object's text is not UTF-8");
        return 0;
    }
    json_t *out = NULL;
    int ok = call(cfg, region, "PutObject", params, 0, &out, err);
    json_decref(params);
    json_decref(out);
    return ok;
}
