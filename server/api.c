/*
 * api.c - the actions of the Step Functions API, one function each: a
 * request body (JSON, AWS's camelCase members) in, a response body or one
 * of AWS's errors out (doc/behaviour.md §29).
 *
 * Each action checks its members as AWS does (required ones, types,
 * lengths, enums, ARNs of the right kind), then reads or writes the store
 * and the engine.  What the store holds is the API's shape with dates in
 * milliseconds and private members prefixed "_" (the machine an execution
 * ran, tags); `wire` turns a record into what is sent: dates in seconds,
 * private members left out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aslrt_private.h"
#include "server.h"

/* ---- Members ---------------------------------------------------------------- */

/* AWS's wording for a member that breaks a constraint. */
static void invalid_member(srv_fault *f, const char *member, const char *value,
                           const char *constraint)
{
    if (value)
        srv_fault_set(f, 400, "ValidationException",
                      "1 validation error detected: Value '%s' at '%s' failed to satisfy "
                      "constraint: %s",
                      value, member, constraint);
    else
        srv_fault_set(f, 400, "ValidationException",
                      "1 validation error detected: Value null at '%s' failed to satisfy "
                      "constraint: %s",
                      member, constraint);
}

/* The string member key of req: NULL when absent (f set when required) or
 * not a string (f set).  Lengths in characters between min and max
 * (max 0: none). */
static const char *str_member(json_t *req, const char *key, bool required, size_t min,
                              size_t max, srv_fault *f)
{
    json_t *v = json_object_get(req, key);
    if (!v || json_is_null(v)) {
        if (required)
            invalid_member(f, key, NULL, "Member must not be null");
        return NULL;
    }
    if (!json_is_string(v)) {
        srv_fault_set(f, 400, "SerializationException",
                      "the member '%s' must be a string", key);
        return NULL;
    }
    const char *s = json_string_value(v);
    /* Lengths as AWS counts them: UTF-16 code units. */
    size_t n = aslrtp_utf16_length(s, json_string_length(v));
    if (n < min || (max && n > max)) {
        char c[96];
        if (n < min)
            snprintf(c, sizeof c, "Member must have length greater than or equal to %zu", min);
        else
            snprintf(c, sizeof c, "Member must have length less than or equal to %zu", max);
        /* AWS quotes the value; the largest, sensitive members
         * (definitions, inputs) are not copied into the message. */
        invalid_member(f, key, n > 4096 ? NULL : s, c);
        return NULL;
    }
    return s;
}

/* maxResults: 0..1000, 0 or absent meaning the default (100).  -1 with f. */
static int max_results(json_t *req, srv_fault *f)
{
    json_t *v = json_object_get(req, "maxResults");
    if (!v || json_is_null(v))
        return 100;
    if (!json_is_integer(v)) {
        srv_fault_set(f, 400, "SerializationException", "the member 'maxResults' must be a number");
        return -1;
    }
    json_int_t n = json_integer_value(v);
    if (n < 0 || n > 1000) {
        char text[32];
        snprintf(text, sizeof text, "%lld", (long long)n);
        invalid_member(f, "maxResults", text,
                       n < 0 ? "Member must have value greater than or equal to 0"
                             : "Member must have value less than or equal to 1000");
        return -1;
    }
    return n == 0 ? 100 : (int)n;
}

/* A boolean member, dflt when absent; -1 with f when not a boolean. */
static int bool_member(json_t *req, const char *key, int dflt, srv_fault *f)
{
    json_t *v = json_object_get(req, key);
    if (!v || json_is_null(v))
        return dflt;
    if (!json_is_boolean(v)) {
        srv_fault_set(f, 400, "SerializationException", "the member '%s' must be a boolean", key);
        return -1;
    }
    return json_is_true(v);
}

/* ---- ARNs and names ---------------------------------------------------------- */

/* Whether the value starts as an ARN does; f set as AWS words it if not. */
static bool arn_prefix(const char *arn, srv_fault *f)
{
    if (strncmp(arn, "arn:", 4) == 0)
        return true;
    srv_fault_set(f, 400, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: %s'", arn);
    return false;
}

/* The resource type of an ARN of Step Functions (arn:P:states:R:A:TYPE:...),
 * with f set as AWS words a malformed one. */
static bool arn_of_type(const char *arn, const char *type, srv_fault *f)
{
    if (!arn_prefix(arn, f))
        return false;
    /* arn : partition : service : region : account : type : rest; fields[i]
     * starts after the i+1th colon. */
    const char *fields[5];
    int n = 0;
    for (const char *q = arn; *q && n < 5; q++)
        if (*q == ':')
            fields[n++] = q + 1;
    if (n < 5 || strncmp(fields[1], "states:", 7) != 0) {
        srv_fault_set(f, 400, "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: %s'",
                      arn);
        return false;
    }
    const char *t = fields[4];
    size_t tl = strcspn(t, ":");
    if (strlen(type) != tl || strncmp(t, type, tl) != 0 || !t[tl] || !t[tl + 1]) {
        srv_fault_set(f, 400, "InvalidArn",
                      "Invalid Arn: 'Resource type not valid in this context: %.*s'", (int)tl, t);
        return false;
    }
    return true;
}

/* ---- Records on the wire ----------------------------------------------------- */

static const char *const date_keys[] = {"creationDate", "startDate", "stopDate", "updateDate",
                                         "timestamp", "redriveDate"};

/* rec as sent: dates in seconds, "_" members left out.  New reference. */
static json_t *wire(const json_t *rec)
{
    json_t *o = json_object();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)rec, k, v) {
        if (k[0] == '_')
            continue;
        bool date = false;
        for (size_t i = 0; i < sizeof date_keys / sizeof *date_keys; i++)
            date = date || strcmp(k, date_keys[i]) == 0;
        if (date && json_is_integer(v))
            json_object_set_new(o, k, json_real((double)json_integer_value(v) / 1000.0));
        else
            json_object_set(o, k, v);
    }
    return o;
}

/* A failure of the store, as the service's own (err freed). */
static void store_failed(srv_fault *f, char *err)
{
    srv_fault_set(f, 500, "InternalFailure", "the store failed: %s", err ? err : "");
    free(err);
}

/* The outcome rc of listing from token: false with f set (err freed). */
static bool listed(int rc, const char *token, char *err, srv_fault *f)
{
    if (rc == SRV_BAD_TOKEN)
        srv_fault_set(f, 400, "InvalidToken", "Invalid Token: '%s'", token);
    else if (rc != SRV_OK) {
        store_failed(f, err);
        return false;
    }
    free(err);
    return rc == SRV_OK;
}

/* A list's answer {key: [...], nextToken}: the members keys (NULL-ended)
 * of each record of page, as sent.  Takes page and next. */
static json_t *page_answer(const char *key, json_t *page, const char *const *keys, char *next)
{
    json_t *items = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(page, i, rec) {
        json_t *one = json_object();
        for (size_t k = 0; keys[k]; k++)
            if (json_object_get(rec, keys[k]))
                json_object_set(one, keys[k], json_object_get(rec, keys[k]));
        json_array_append_new(items, wire(one));
        json_decref(one);
    }
    json_decref(page);
    json_t *r = json_pack("{s:o}", key, items);
    if (next)
        json_object_set_new(r, "nextToken", json_string(next));
    free(next);
    return r;
}

/* Whether the ARN is in region (arn:PARTITION:states:REGION:...). */
static bool in_region(const char *arn, const char *region)
{
    const char *p = arn;
    for (int i = 0; i < 3 && p; i++)
        if ((p = strchr(p, ':')))
            p++;
    size_t n = strlen(region);
    return p && strncmp(p, region, n) == 0 && p[n] == ':';
}

/* A list of named records (ListStateMachines, ListActivities): those of
 * the request's region, as each region of AWS has its own.  A page may
 * hold fewer than maxResults while a nextToken follows, as AWS allows. */
static json_t *list_named(srv *s, srv_kind kind, json_t *req, const char *region,
                          const char *arn_key, const char *key, const char *const *keys,
                          srv_fault *f)
{
    int limit = max_results(req, f);
    const char *token = limit < 0 ? NULL : str_member(req, "nextToken", false, 1, 1024, f);
    if (f->type)
        return NULL;
    json_t *page = NULL;
    char *next = NULL, *err = NULL;
    int rc = srv_store_list(srv_store_of(s), kind, token, limit, &page, &next, &err);
    if (!listed(rc, token, err, f))
        return NULL;
    for (size_t i = json_array_size(page); i-- > 0;)
        if (!in_region(json_string_value(json_object_get(json_array_get(page, i), arn_key)) ?: "",
                       region))
            json_array_remove(page, i);
    return page_answer(key, page, keys, next);
}

/* A Delete* of a named record: deleting what is not there succeeds, as on
 * AWS.  The ARN, or NULL with f set. */
static const char *delete_named(srv *s, srv_kind kind, json_t *req, const char *member,
                                const char *type, srv_fault *f)
{
    const char *arn = str_member(req, member, true, 1, 256, f);
    if (!arn || !arn_of_type(arn, type, f))
        return NULL;
    char *err = NULL;
    int rc = srv_store_delete(srv_store_of(s), kind, arn, &err);
    if (rc != SRV_OK && rc != SRV_NOT_FOUND) {
        store_failed(f, err);
        return NULL;
    }
    free(err);
    return arn;
}

/* ---- State machines ---------------------------------------------------------- */

static json_t *machine_get(srv *s, const char *arn, srv_fault *f)
{
    if (!arn_of_type(arn, "stateMachine", f))
        return NULL;
    json_t *m = srv_store_get(srv_store_of(s), SRV_MACHINE, arn);
    if (!m)
        srv_fault_set(f, 400, "StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'",
                      arn);
    return m;
}

/* loggingConfiguration and tracingConfiguration as given, or AWS's defaults. */
static void set_configs(json_t *doc, json_t *req)
{
    json_t *l = json_object_get(req, "loggingConfiguration");
    json_t *t = json_object_get(req, "tracingConfiguration");
    if (json_is_object(l))
        json_object_set(doc, "loggingConfiguration", l);
    else if (!json_object_get(doc, "loggingConfiguration"))
        json_object_set_new(doc, "loggingConfiguration",
                            json_pack("{s:s,s:b}", "level", "OFF", "includeExecutionData", 0));
    if (json_is_object(t))
        json_object_set(doc, "tracingConfiguration", t);
    else if (!json_object_get(doc, "tracingConfiguration"))
        json_object_set_new(doc, "tracingConfiguration", json_pack("{s:b}", "enabled", 0));
}

static char *new_revision(void)
{
    char u[ASLRTP_UUID_SIZE];
    aslrtp_uuid_v4(u);
    return aslrtp_strdup(u);
}

/* The tags of a request ([{key, value}]) as a map; NULL with f. */
static json_t *tags_of(json_t *req, srv_fault *f)
{
    json_t *tags = json_object_get(req, "tags");
    json_t *m = json_object();
    if (!tags || json_is_null(tags))
        return m;
    if (!json_is_array(tags)) {
        srv_fault_set(f, 400, "SerializationException", "the member 'tags' must be a list");
        json_decref(m);
        return NULL;
    }
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        const char *k = json_string_value(json_object_get(t, "key"));
        json_t *v = json_object_get(t, "value");
        if (!k || (v && !json_is_string(v))) {
            srv_fault_set(f, 400, "ValidationException",
                          "1 validation error detected: Value null at 'tags.%zu.member.key' "
                          "failed to satisfy constraint: Member must not be null",
                          i + 1);
            json_decref(m);
            return NULL;
        }
        json_object_set_new(m, k, json_string(v ? json_string_value(v) : ""));
    }
    return m;
}

static json_t *create_state_machine(srv *s, json_t *req, const char *region, srv_fault *f)
{
    const char *name = str_member(req, "name", true, 1, 80, f);
    const char *def = f->type ? NULL : str_member(req, "definition", true, 1, 1048576, f);
    const char *role = f->type ? NULL : str_member(req, "roleArn", true, 1, 256, f);
    const char *type = f->type ? NULL : str_member(req, "type", false, 0, 0, f);
    if (f->type)
        return NULL;
    if (type && strcmp(type, "STANDARD") != 0 && strcmp(type, "EXPRESS") != 0) {
        invalid_member(f, "type", type, "Member must satisfy enum value set: [STANDARD, EXPRESS]");
        return NULL;
    }
    if (!srv_name_ok(name)) {
        srv_fault_set(f, 400, "InvalidName", "Invalid Name: '%s'", name);
        return NULL;
    }
    if (!arn_prefix(role, f))
        return NULL;
    json_t *tags = tags_of(req, f);
    if (!tags)
        return NULL;
    const srv_options *o = srv_opts(s);
    char *arn = aslrtp_strdupf("arn:aws:states:%s:%s:stateMachine:%s", region, o->account, name);
    json_t *doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "stateMachineArn", arn, "name", name,
                            "status", "ACTIVE", "definition", def, "roleArn", role, "type",
                            type ? type : "STANDARD", "creationDate", (json_int_t)srv_now_ms());
    char *rev = new_revision();
    json_object_set_new(doc, "revisionId", json_string(rev));
    free(rev);
    set_configs(doc, req);
    json_object_set_new(doc, "_tags", tags);
    const char *desc = json_string_value(json_object_get(req, "description"));
    if (desc)
        json_object_set_new(doc, "description", json_string(desc));
    json_t *res = NULL;
    if (srv_compile(s, doc, f)) {
        json_t *existing = NULL;
        char *err = NULL;
        int rc = srv_store_put(srv_store_of(s), SRV_MACHINE, arn, doc, true, &existing, &err);
        if (rc == SRV_OK) {
            res = json_pack("{s:s,s:O}", "stateMachineArn", arn, "creationDate",
                            json_object_get(doc, "creationDate"));
        } else if (rc == SRV_EXISTS) {
            /* The same definition and role again is the same machine
             * (doc/behaviour.md §29). */
            const char *d2 = json_string_value(json_object_get(existing, "definition"));
            const char *r2 = json_string_value(json_object_get(existing, "roleArn"));
            const char *t2 = json_string_value(json_object_get(existing, "type"));
            if (d2 && r2 && t2 && strcmp(d2, def) == 0 && strcmp(r2, role) == 0 &&
                strcmp(t2, type ? type : "STANDARD") == 0)
                res = json_pack("{s:s,s:O}", "stateMachineArn", arn, "creationDate",
                                json_object_get(existing, "creationDate"));
            else
                srv_fault_set(f, 400, "StateMachineAlreadyExists",
                              "State Machine Already Exists: '%s'", arn);
            /* The table must keep the stored revision's code. */
            srv_forget(s, arn);
        } else {
            srv_fault_set(f, 500, "InternalFailure", "the store failed: %s", err ? err : "");
            srv_forget(s, arn);
        }
        json_decref(existing);
        free(err);
    }
    json_decref(doc);
    free(arn);
    if (res) {
        json_t *w = wire(res);
        json_decref(res);
        return w;
    }
    return NULL;
}

static json_t *describe_state_machine(srv *s, json_t *req, const char *region, srv_fault *f)
{
    (void)region;
    const char *arn = str_member(req, "stateMachineArn", true, 1, 256, f);
    json_t *m = arn ? machine_get(s, arn, f) : NULL;
    if (!m)
        return NULL;
    json_t *w = wire(m);
    /* AWS shows a revisionId once the machine has been updated, and no
     * updateDate here (doc/behaviour.md §29). */
    if (!json_object_get(m, "updateDate"))
        json_object_del(w, "revisionId");
    json_object_del(w, "updateDate");
    json_decref(m);
    return w;
}

static json_t *list_state_machines(srv *s, json_t *req, const char *region, srv_fault *f)
{
    static const char *const keys[] = {"stateMachineArn", "name", "type", "creationDate", NULL};
    return list_named(s, SRV_MACHINE, req, region, "stateMachineArn", "stateMachines", keys, f);
}

static json_t *update_state_machine(srv *s, json_t *req, const char *region, srv_fault *f)
{
    (void)region;
    const char *arn = str_member(req, "stateMachineArn", true, 1, 256, f);
    const char *def = f->type ? NULL : str_member(req, "definition", false, 1, 1048576, f);
    const char *role = f->type ? NULL : str_member(req, "roleArn", false, 1, 256, f);
    if (f->type)
        return NULL;
    if (!def && !role && !json_object_get(req, "loggingConfiguration") &&
        !json_object_get(req, "tracingConfiguration")) {
        srv_fault_set(f, 400, "MissingRequiredParameter",
                      "Either the definition, the role ARN, the LoggingConfiguration, or the "
                      "TracingConfiguration must be specified");
        return NULL;
    }
    json_t *m = machine_get(s, arn, f);
    if (!m)
        return NULL;
    if (role && !arn_prefix(role, f)) {
        json_decref(m);
        return NULL;
    }
    if (def)
        json_object_set_new(m, "definition", json_string(def));
    if (role)
        json_object_set_new(m, "roleArn", json_string(role));
    set_configs(m, req);
    char *rev = new_revision();
    json_object_set_new(m, "revisionId", json_string(rev));
    free(rev);
    json_object_set_new(m, "updateDate", json_integer(srv_now_ms()));
    json_t *res = NULL;
    if (srv_compile(s, m, f)) {
        char *err = NULL;
        if (srv_store_put(srv_store_of(s), SRV_MACHINE, arn, m, false, NULL, &err) == SRV_OK) {
            json_t *r = json_pack("{s:O,s:O}", "updateDate", json_object_get(m, "updateDate"),
                                  "revisionId", json_object_get(m, "revisionId"));
            res = wire(r);
            json_decref(r);
        } else {
            srv_fault_set(f, 500, "InternalFailure", "the store failed: %s", err ? err : "");
            srv_forget(s, arn);
        }
        free(err);
    }
    json_decref(m);
    return res;
}

static json_t *delete_state_machine(srv *s, json_t *req, const char *region, srv_fault *f)
{
    (void)region;
    const char *arn = delete_named(s, SRV_MACHINE, req, "stateMachineArn", "stateMachine", f);
    if (!arn)
        return NULL;
    srv_forget(s, arn);
    return json_object();
}

static json_t *validate_definition(srv *s, json_t *req, const char *region, srv_fault *f)
{
    (void)s;
    (void)region;
    const char *def = str_member(req, "definition", true, 1, 1048576, f);
    const char *type = f->type ? NULL : str_member(req, "type", false, 0, 0, f);
    int limit = f->type ? -1 : max_results(req, f);
    if (f->type)
        return NULL;
    if (type && strcmp(type, "STANDARD") != 0 && strcmp(type, "EXPRESS") != 0) {
        invalid_member(f, "type", type, "Member must satisfy enum value set: [STANDARD, EXPRESS]");
        return NULL;
    }
    json_t *d = srv_validate(def, type && strcmp(type, "EXPRESS") == 0);
    if (!d)
        return json_pack("{s:s,s:[],s:b}", "result", "OK", "diagnostics", "truncated", 0);
    bool truncated = json_array_size(d) > (size_t)limit;
    while (json_array_size(d) > (size_t)limit)
        json_array_remove(d, json_array_size(d) - 1);
    return json_pack("{s:s,s:o,s:b}", "result", "FAIL", "diagnostics", d, "truncated", truncated);
}

/* ---- Executions ---------------------------------------------------------------- */

static json_t *exec_get(srv *s, const char *arn, srv_fault *f)
{
    /* An Express execution's ARN (arn:...:express:...) is refused as AWS
     * refuses it: its type is not valid here (doc/behaviour.md §29). */
    if (!arn_of_type(arn, "execution", f))
        return NULL;
    json_t *e = srv_store_exec_get(srv_store_of(s), arn);
    if (!e)
        srv_fault_set(f, 400, "ExecutionDoesNotExist", "Execution Does Not Exist: '%s'", arn);
    return e;
}

static json_t *start(srv *s, json_t *req, bool sync, srv_fault *f)
{
    const char *arn = str_member(req, "stateMachineArn", true, 1, 256, f);
    const char *name = f->type ? NULL : str_member(req, "name", false, 1, 80, f);
    const char *input = f->type ? NULL : str_member(req, "input", false, 0, 262144, f);
    if (f->type)
        return NULL;
    if (name && !srv_name_ok(name)) {
        srv_fault_set(f, 400, "InvalidName", "Invalid Name: '%s'", name);
        return NULL;
    }
    /* Step Functions Local: ARN#TestCase starts the test case of the mock
     * configuration (doc/behaviour.md §29). */
    char *plain = aslrtp_strdup(arn);
    char *hash = strchr(plain, '#');
    const char *test_case = NULL;
    if (hash) {
        *hash = '\0';
        test_case = hash + 1;
    }
    json_t *m = machine_get(s, plain, f);
    json_t *out = NULL;
    if (m)
        srv_start(s, m, name, input, test_case, sync, &out, f);
    json_decref(m);
    free(plain);
    if (!out)
        return NULL;
    json_t *w = wire(out);
    json_decref(out);
    return w;
}

static json_t *start_execution(srv *s, json_t *req, const char *region, srv_fault *f)
{
    (void)region;
    return start(s, req, false, f);
}

static json_t *start_sync_execution(srv *s, json_t *req, const char *region, srv_fault *f)
{
    (void)region;
    return start(s, req, true, f);
}

/* DescribeExecution's redrive members, which AWS always sends. */
static void redrive_status(json_t *d)
{
    const char *st = json_string_value(json_object_get(d, "status"));
    if (!json_object_get(d, "redriveCount"))
        json_object_set_new(d, "redriveCount", json_integer(0));
    if (strcmp(st, "RUNNING") == 0 || strcmp(st, "SUCCEEDED") == 0) {
        json_object_set_new(d, "redriveStatus", json_string("NOT_REDRIVABLE"));
        char *why = aslrtp_strdupf("Execution is %s and cannot be redriven", st);
        json_object_set_new(d, "redriveStatusReason", json_string(why));
        free(why);
    } else {
        json_object_set_new(d, "redriveStatus", json_string("REDRIVABLE"));
    }
}

static json_t *describe_execution(srv *s, json_t *req, const char *region, srv_fault *f)
{
    (void)region;
    const char *arn = str_member(req, "executionArn", true, 1, 256, f);
    json_t *e = arn ? exec_get(s, arn, f) : NULL;
    if (!e)
        return NULL;
    redrive_status(e);
    json_t *w = wire(e);
    json_decref(e);
    return w;
}

static json_t *describe_machine_for_execution(srv *s, json_t *req, const char *region,
                                              srv_fault *f)
{
    (void)region;
    const char *arn = str_member(req, "executionArn", true, 1, 256, f);
    json_t *e = arn ? exec_get(s, arn, f) : NULL;
    if (!e)
        return NULL;
    json_t *m = json_object_get(e, "_machine");
    json_t *r = json_object();
    static const char *const keys[] = {"stateMachineArn", "name", "definition", "roleArn",
                                       "loggingConfiguration", "tracingConfiguration",
                                       "revisionId", "description"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (json_object_get(m, keys[i]))
            json_object_set(r, keys[i], json_object_get(m, keys[i]));
    json_t *upd = json_object_get(m, "updateDate");
    if (!upd)
        json_object_del(r, "revisionId");   /* never updated: none, as on AWS */
    json_object_set(r, "updateDate", upd ? upd : json_object_get(m, "creationDate"));
    json_decref(e);
    json_t *w = wire(r);
    json_decref(r);
    return w;
}

static const char *const statuses[] = {"RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED",
                                       "PENDING_REDRIVE"};

static json_t *list_executions(srv *s, json_t *req, const char *region, srv_fault *f)
{
    (void)region;
    const char *arn = str_member(req, "stateMachineArn", false, 1, 256, f);
    const char *map_run = f->type ? NULL : str_member(req, "mapRunArn", false, 1, 2000, f);
    const char *status = f->type ? NULL : str_member(req, "statusFilter", false, 0, 0, f);
    int limit = f->type ? -1 : max_results(req, f);
    const char *token = f->type ? NULL : str_member(req, "nextToken", false, 1, 3096, f);
    if (f->type)
        return NULL;
    if (!arn && !map_run) {
        srv_fault_set(f, 400, "ValidationException",
                      "Must provide a StateMachine ARN or MapRun ARN");
        return NULL;
    }
    if (status) {
        bool ok = false;
        for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++)
            ok = ok || strcmp(status, statuses[i]) == 0;
        if (!ok) {
            invalid_member(f, "statusFilter", status,
                           "Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, "
                           "PENDING_REDRIVE, ABORTED, FAILED, RUNNING]");
            return NULL;
        }
    }
    if (map_run) {
        srv_fault_set(f, 400, "ResourceNotFound", "Resource not found: '%s'", map_run);
        return NULL;
    }
    json_t *m = machine_get(s, arn, f);
    if (!m)
        return NULL;
    bool express = strcmp(json_string_value(json_object_get(m, "type")), "EXPRESS") == 0;
    json_decref(m);
    if (express) {
        srv_fault_set(f, 400, "StateMachineTypeNotSupported",
                      "This operation is not supported by this type of state machine");
        return NULL;
    }
    json_t *page = NULL;
    char *next = NULL, *err = NULL;
    int rc = srv_store_exec_list(srv_store_of(s), arn, status, token, limit, &page, &next, &err);
    if (!listed(rc, token, err, f))
        return NULL;
    static const char *const keys[] = {"executionArn", "stateMachineArn", "name", "status",
                                       "startDate", "stopDate", "redriveCount", NULL};
    return page_answer("executions", page, keys, next);
}

/* An event without the execution's data (includeExecutionData false):
 * its details keep everything but input and output. */
static void strip_data(json_t *ev)
{
    const char *k;
    json_t *v;
    json_object_foreach(ev, k, v) {
        size_t n = strlen(k);
        if (n > 12 && strcmp(k + n - 12, "EventDetails") == 0 && json_is_object(v)) {
            json_object_del(v, "input");
            json_object_del(v, "output");
            json_object_del(v, "inputDetails");
            json_object_del(v, "outputDetails");
        }
    }
}

static json_t *get_execution_history(srv *s, json_t *req, const char *region, srv_fault *f)
{
    (void)region;
    const char *arn = str_member(req, "executionArn", true, 1, 256, f);
    int limit = f->type ? -1 : max_results(req, f);
    int reverse = f->type ? -1 : bool_member(req, "reverseOrder", 0, f);
    int data = f->type ? -1 : bool_member(req, "includeExecutionData", 1, f);
    const char *token = f->type ? NULL : str_member(req, "nextToken", false, 1, 3096, f);
    if (f->type)
        return NULL;
    json_t *e = exec_get(s, arn, f);
    if (!e)
        return NULL;
    json_decref(e);
    /* What the execution has done so far is in the store before it is told. */
    srv_flush_history(s, arn);
    json_t *page = NULL;
    char *next = NULL, *err = NULL;
    int rc = srv_store_events_list(srv_store_of(s), arn, reverse, token, limit, &page, &next,
                                   &err);
    if (!listed(rc, token, err, f))
        return NULL;
    json_t *events = json_array();
    size_t i;
    json_t *ev;
    json_array_foreach(page, i, ev) {
        json_t *w = wire(ev);
        if (!data)
            strip_data(w);
        json_array_append_new(events, w);
    }
    json_decref(page);
    json_t *r = json_pack("{s:o}", "events", events);
    if (next)
        json_object_set_new(r, "nextToken", json_string(next));
    free(next);
    return r;
}

static json_t *stop_execution(srv *s, json_t *req, const char *region, srv_fault *f)
{
    (void)region;
    const char *arn = str_member(req, "executionArn", true, 1, 256, f);
    const char *error = f->type ? NULL : str_member(req, "error", false, 0, 256, f);
    const char *cause = f->type ? NULL : str_member(req, "cause", false, 0, 32768, f);
    if (f->type)
        return NULL;
    json_t *e = exec_get(s, arn, f);
    if (!e)
        return NULL;
    long long stop = 0;
    if (!srv_stop(s, arn, error, cause, &stop)) {
        /* Ended already: its stop date. */
        json_t *now = srv_store_exec_get(srv_store_of(s), arn);
        stop = json_integer_value(json_object_get(now ? now : e, "stopDate"));
        json_decref(now);
    }
    json_decref(e);
    return json_pack("{s:f}", "stopDate", (double)stop / 1000.0);
}

/* ---- Callbacks ------------------------------------------------------------------ */

/* The runtime's refusal of a token, as AWS's error. */
static json_t *task_result(int ok, aslrt_error *e, srv_fault *f)
{
    if (!ok) {
        const char *type = e->error ? e->error : "TaskDoesNotExist";
        if (strncmp(type, "aslc.", 5) == 0)
            type = "TaskDoesNotExist";
        srv_fault_set(f, 400, type, "%s", e->cause ? e->cause : "Task Does Not Exist");
    }
    aslrt_error_clear(e);
    return ok ? json_object() : NULL;
}

static json_t *send_task_success(srv *s, json_t *req, const char *region, srv_fault *f)
{
    (void)s;
    (void)region;
    const char *token = str_member(req, "taskToken", true, 1, 2048, f);
    const char *output = f->type ? NULL : str_member(req, "output", true, 0, 262144, f);
    if (f->type)
        return NULL;
    aslrt_error e = {NULL, NULL};
    return task_result(aslrt_send_task_success(token, output, &e), &e, f);
}

static json_t *send_task_failure(srv *s, json_t *req, const char *region, srv_fault *f)
{
    (void)s;
    (void)region;
    const char *token = str_member(req, "taskToken", true, 1, 2048, f);
    const char *error = f->type ? NULL : str_member(req, "error", false, 0, 256, f);
    const char *cause = f->type ? NULL : str_member(req, "cause", false, 0, 32768, f);
    if (f->type)
        return NULL;
    aslrt_error e = {NULL, NULL};
    return task_result(aslrt_send_task_failure(token, error, cause, &e), &e, f);
}

static json_t *send_task_heartbeat(srv *s, json_t *req, const char *region, srv_fault *f)
{
    (void)s;
    (void)region;
    const char *token = str_member(req, "taskToken", true, 1, 2048, f);
    if (f->type)
        return NULL;
    aslrt_error e = {NULL, NULL};
    return task_result(aslrt_send_task_heartbeat(token, &e), &e, f);
}

/* ---- Activities ----------------------------------------------------------------- */

static json_t *activity_get(srv *s, const char *arn, srv_fault *f)
{
    if (!arn_of_type(arn, "activity", f))
        return NULL;
    json_t *a = srv_store_get(srv_store_of(s), SRV_ACTIVITY, arn);
    if (!a)
        srv_fault_set(f, 400, "ActivityDoesNotExist", "Activity Does Not Exist: '%s'", arn);
    return a;
}

static json_t *create_activity(srv *s, json_t *req, const char *region, srv_fault *f)
{
    const char *name = str_member(req, "name", true, 1, 80, f);
    if (f->type)
        return NULL;
    if (!srv_name_ok(name)) {
        srv_fault_set(f, 400, "InvalidName", "Invalid Name: '%s'", name);
        return NULL;
    }
    json_t *tags = tags_of(req, f);
    if (!tags)
        return NULL;
    char *arn = aslrtp_strdupf("arn:aws:states:%s:%s:activity:%s", region, srv_opts(s)->account,
                               name);
    json_t *doc = json_pack("{s:s,s:s,s:I,s:o}", "activityArn", arn, "name", name, "creationDate",
                            (json_int_t)srv_now_ms(), "_tags", tags);
    json_t *existing = NULL;
    char *err = NULL;
    /* Creating an activity that exists returns it (AWS's CreateActivity is
     * idempotent). */
    int rc = srv_store_put(srv_store_of(s), SRV_ACTIVITY, arn, doc, true, &existing, &err);
    json_t *r = NULL;
    if (rc == SRV_OK || rc == SRV_EXISTS) {
        json_t *src = rc == SRV_OK ? doc : existing;
        json_t *one = json_pack("{s:s,s:O}", "activityArn", arn, "creationDate",
                                json_object_get(src, "creationDate"));
        r = wire(one);
        json_decref(one);
    } else {
        srv_fault_set(f, 500, "InternalFailure", "the store failed: %s", err ? err : "");
    }
    free(err);
    json_decref(existing);
    json_decref(doc);
    free(arn);
    return r;
}

static json_t *describe_activity(srv *s, json_t *req, const char *region, srv_fault *f)
{
    (void)region;
    const char *arn = str_member(req, "activityArn", true, 1, 256, f);
    json_t *a = arn ? activity_get(s, arn, f) : NULL;
    if (!a)
        return NULL;
    json_t *w = wire(a);
    json_decref(a);
    return w;
}

static json_t *list_activities(srv *s, json_t *req, const char *region, srv_fault *f)
{
    static const char *const keys[] = {"activityArn", "name", "creationDate", NULL};
    return list_named(s, SRV_ACTIVITY, req, region, "activityArn", "activities", keys, f);
}

static json_t *delete_activity(srv *s, json_t *req, const char *region, srv_fault *f)
{
    (void)region;
    return delete_named(s, SRV_ACTIVITY, req, "activityArn", "activity", f) ? json_object()
                                                                              : NULL;
}

static json_t *get_activity_task(srv *s, json_t *req, const char *region, srv_fault *f)
{
    (void)region;
    const char *arn = str_member(req, "activityArn", true, 1, 256, f);
    const char *worker = f->type ? NULL : str_member(req, "workerName", false, 1, 80, f);
    if (f->type)
        return NULL;
    json_t *a = activity_get(s, arn, f);
    if (!a)
        return NULL;
    json_decref(a);
    /* A long poll: AWS holds the request up to 60 seconds. */
    return srv_activity_poll(s, arn, worker, 60);
}

/* ---- Tags -------------------------------------------------------------------------- */

/* The record a tagged ARN names, and its kind; NULL with f. */
static json_t *tagged(srv *s, const char *arn, srv_kind *kind, srv_fault *f)
{
    json_t *r = NULL;
    if (strstr(arn, ":stateMachine:")) {
        *kind = SRV_MACHINE;
        r = srv_store_get(srv_store_of(s), SRV_MACHINE, arn);
    } else if (strstr(arn, ":activity:")) {
        *kind = SRV_ACTIVITY;
        r = srv_store_get(srv_store_of(s), SRV_ACTIVITY, arn);
    }
    if (!r && arn_prefix(arn, f))
        srv_fault_set(f, 400, "ResourceNotFound", "Resource not found: '%s'", arn);
    return r;
}

static bool put_back(srv *s, srv_kind kind, const char *arn, json_t *rec, srv_fault *f)
{
    char *err = NULL;
    int rc = srv_store_put(srv_store_of(s), kind, arn, rec, false, NULL, &err);
    if (rc != SRV_OK)
        store_failed(f, err);
    return rc == SRV_OK;
}

static json_t *tag_resource(srv *s, json_t *req, const char *region, srv_fault *f)
{
    (void)region;
    const char *arn = str_member(req, "resourceArn", true, 1, 256, f);
    if (f->type)
        return NULL;
    if (!json_object_get(req, "tags")) {
        invalid_member(f, "tags", NULL, "Member must not be null");
        return NULL;
    }
    /* The request's members are read before the resource is looked up,
     * as AWS reads them. */
    json_t *add = tags_of(req, f);
    if (!add)
        return NULL;
    srv_kind kind;
    json_t *rec = tagged(s, arn, &kind, f);
    json_t *r = NULL;
    if (rec) {
        json_t *tags = json_object_get(rec, "_tags");
        if (!json_is_object(tags)) {
            tags = json_object();
            json_object_set_new(rec, "_tags", tags);
        }
        json_object_update(tags, add);
        if (put_back(s, kind, arn, rec, f))
            r = json_object();
    }
    json_decref(add);
    json_decref(rec);
    return r;
}

static json_t *untag_resource(srv *s, json_t *req, const char *region, srv_fault *f)
{
    (void)region;
    const char *arn = str_member(req, "resourceArn", true, 1, 256, f);
    if (f->type)
        return NULL;
    json_t *keys = json_object_get(req, "tagKeys");
    if (!json_is_array(keys)) {
        invalid_member(f, "tagKeys", NULL, "Member must not be null");
        return NULL;
    }
    srv_kind kind;
    json_t *rec = tagged(s, arn, &kind, f);
    if (!rec)
        return NULL;
    json_t *tags = json_object_get(rec, "_tags");
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k)
        if (json_is_string(k))
            json_object_del(tags, json_string_value(k));
    json_t *r = put_back(s, kind, arn, rec, f) ? json_object() : NULL;
    json_decref(rec);
    return r;
}

static json_t *list_tags(srv *s, json_t *req, const char *region, srv_fault *f)
{
    (void)region;
    const char *arn = str_member(req, "resourceArn", true, 1, 256, f);
    if (f->type)
        return NULL;
    srv_kind kind;
    json_t *rec = tagged(s, arn, &kind, f);
    if (!rec)
        return NULL;
    json_t *list = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(rec, "_tags"), k, v)
        json_array_append_new(list, json_pack("{s:s,s:O}", "key", k, "value", v));
    json_decref(rec);
    return json_pack("{s:o}", "tags", list);
}

/* TestState: one state run once, in the server's region and account
 * (teststate.c). */
static json_t *test_state(srv *s, json_t *req, const char *region, srv_fault *f)
{
    return srv_test_state_at(req, srv_bindings(s), region, srv_opts(s)->account, f);
}

/* ---- The table -------------------------------------------------------------------- */

typedef json_t *(*action_fn)(srv *s, json_t *req, const char *region, srv_fault *f);

static const struct {
    const char *name;
    action_fn fn;
} actions[] = {
    {"CreateStateMachine", create_state_machine},
    {"DescribeStateMachine", describe_state_machine},
    {"ListStateMachines", list_state_machines},
    {"UpdateStateMachine", update_state_machine},
    {"DeleteStateMachine", delete_state_machine},
    {"ValidateStateMachineDefinition", validate_definition},
    {"StartExecution", start_execution},
    {"StartSyncExecution", start_sync_execution},
    {"DescribeExecution", describe_execution},
    {"DescribeStateMachineForExecution", describe_machine_for_execution},
    {"ListExecutions", list_executions},
    {"GetExecutionHistory", get_execution_history},
    {"StopExecution", stop_execution},
    {"SendTaskSuccess", send_task_success},
    {"SendTaskFailure", send_task_failure},
    {"SendTaskHeartbeat", send_task_heartbeat},
    {"CreateActivity", create_activity},
    {"DescribeActivity", describe_activity},
    {"ListActivities", list_activities},
    {"DeleteActivity", delete_activity},
    {"GetActivityTask", get_activity_task},
    {"TagResource", tag_resource},
    {"UntagResource", untag_resource},
    {"ListTagsForResource", list_tags},
    {"TestState", test_state},
};

json_t *srv_api_call(srv *s, const char *action, json_t *req, const char *region, srv_fault *f)
{
    for (size_t i = 0; i < sizeof actions / sizeof *actions; i++)
        if (strcmp(actions[i].name, action) == 0) {
            json_t *r = actions[i].fn(s, req, region ? region : srv_opts(s)->region, f);
            if (!r && !f->type)
                srv_fault_set(f, 500, "InternalFailure", "the action %s failed", action);
            return r;
        }
    srv_fault_set(f, 400, "UnknownOperationException", "Unknown operation %s", action);
    return NULL;
}
