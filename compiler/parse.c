/*
 * parse.c - from the JSON tree of a definition to the AST (ast.h).
 *
 * One pass over the document in key order.  For every state it checks what
 * AWS checks at CreateStateMachine about a field by itself: that the field
 * exists for the state's type, has the right JSON type and range, and that
 * its sub-language (paths, payload templates, intrinsic calls, timestamps)
 * parses.  Sub-languages are parsed by the runtime's own parsers
 * (aslrt_private.h), so what compiles here is exactly what runs.  Rules that
 * relate states to each other (targets, reachability) are in validate.c.
 *
 * Messages reuse AWS's wording where AWS's is known (doc/behaviour.md §22.3).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aslrt.h"
#include "aslrt_private.h"
#include "ast.h"
#include "jsonata/jsonata.h"

typedef struct parser {
    asl_unit *u;
    asl_machine *m;
    size_t depth;              /* graph nesting */
    asl_state **all;           /* machine-wide state list */
    size_t nall, capall;
    asl_graph **graphs;
    size_t ngraphs, capgraphs;
    bool jsonata;              /* inside a JSONata state's own fields */
    unsigned jn_allow;         /* JN_RESULT, JN_ERROR_OUTPUT: what $states has here */
    const char *jn_field;      /* the field being checked, for messages */
} parser;

/* What $states holds beside input and context (doc/behaviour.md §5). */
#define JN_RESULT 1u
#define JN_ERROR_OUTPUT 2u

#define SCHEMA "SCHEMA_VALIDATION_FAILED"

static void err_at(parser *p, const char *ptr, asl_anchor a, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void err_at(parser *p, const char *ptr, asl_anchor a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    asl_diag_vadd(&p->u->diags, ASL_DIAG_ERROR, ptr, a, 0, SCHEMA, fmt, ap);
    va_end(ap);
}

static void err_in_string(parser *p, const char *ptr, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void err_in_string(parser *p, const char *ptr, size_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    asl_diag_vadd(&p->u->diags, ASL_DIAG_ERROR, ptr, ASL_AT_STRING, off, SCHEMA, fmt, ap);
    va_end(ap);
}

/* ==== Field tables ======================================================= */

/* Which state types have a field (doc/behaviour.md §3, JSONPath mode). */
#define T_TASK (1u << ASLRT_STATE_TASK)
#define T_PASS (1u << ASLRT_STATE_PASS)
#define T_CHOICE (1u << ASLRT_STATE_CHOICE)
#define T_WAIT (1u << ASLRT_STATE_WAIT)
#define T_SUCCEED (1u << ASLRT_STATE_SUCCEED)
#define T_FAIL (1u << ASLRT_STATE_FAIL)
#define T_PARALLEL (1u << ASLRT_STATE_PARALLEL)
#define T_MAP (1u << ASLRT_STATE_MAP)
#define T_ALL 0x1feu
#define T_FLOW (T_TASK | T_PASS | T_WAIT | T_PARALLEL | T_MAP)

static const struct field_spec {
    const char *name;
    unsigned types;
} state_fields[] = {
    {"Type", T_ALL},
    {"Comment", T_ALL},
    {"QueryLanguage", T_ALL},
    {"Next", T_FLOW},
    {"End", T_FLOW},
    {"InputPath", T_ALL & ~T_FAIL},
    {"OutputPath", T_ALL & ~T_FAIL},
    {"Assign", T_ALL & ~(T_FAIL | T_SUCCEED)},
    {"ResultPath", T_TASK | T_PASS | T_PARALLEL | T_MAP},
    {"Parameters", T_TASK | T_PASS | T_PARALLEL | T_MAP},
    {"ResultSelector", T_TASK | T_PARALLEL | T_MAP},
    {"Retry", T_TASK | T_PARALLEL | T_MAP},
    {"Catch", T_TASK | T_PARALLEL | T_MAP},
    {"Result", T_PASS},
    {"Resource", T_TASK},
    {"TimeoutSeconds", T_TASK},
    {"TimeoutSecondsPath", T_TASK},
    {"HeartbeatSeconds", T_TASK},
    {"HeartbeatSecondsPath", T_TASK},
    {"Credentials", T_TASK},
    {"Choices", T_CHOICE},
    {"Default", T_CHOICE},
    {"Seconds", T_WAIT},
    {"Timestamp", T_WAIT},
    {"SecondsPath", T_WAIT},
    {"TimestampPath", T_WAIT},
    {"Error", T_FAIL},
    {"Cause", T_FAIL},
    {"ErrorPath", T_FAIL},
    {"CausePath", T_FAIL},
    {"Branches", T_PARALLEL},
    {"ItemProcessor", T_MAP},
    {"Iterator", T_MAP},
    {"ItemsPath", T_MAP},
    {"ItemSelector", T_MAP},
    {"MaxConcurrency", T_MAP},
    {"MaxConcurrencyPath", T_MAP},
    {"ItemReader", T_MAP},
    {"ItemBatcher", T_MAP},
    {"ResultWriter", T_MAP},
    {"ToleratedFailurePercentage", T_MAP},
    {"ToleratedFailurePercentagePath", T_MAP},
    {"ToleratedFailureCount", T_MAP},
    {"ToleratedFailureCountPath", T_MAP},
    {"Label", T_MAP},
};

/* Fields that exist only in JSONata mode (doc/behaviour.md §2.1). */
static const char *const jsonata_only[] = {"Arguments", "Output", "Items", NULL};

static const struct type_name {
    const char *name;
    int type;
} state_types[] = {
    {"Task", ASLRT_STATE_TASK},     {"Wait", ASLRT_STATE_WAIT},
    {"Pass", ASLRT_STATE_PASS},     {"Succeed", ASLRT_STATE_SUCCEED},
    {"Fail", ASLRT_STATE_FAIL},     {"Choice", ASLRT_STATE_CHOICE},
    {"Parallel", ASLRT_STATE_PARALLEL}, {"Map", ASLRT_STATE_MAP},
};

/* Choice comparison operators: name, op, operand JSON type (0 = string,
 * 1 = number, 2 = boolean, 3 = timestamp string), whether it is a ...Path. */
static const struct cmp_spec {
    const char *name;
    int op;
    int operand;
    bool path;
} cmp_specs[] = {
#define CMP(n, op, t) {n, op, t, false}, {n "Path", op, t, true}
    CMP("StringEquals", ASLRT_CMP_STRING_EQ, 0),
    CMP("StringLessThan", ASLRT_CMP_STRING_LT, 0),
    CMP("StringGreaterThan", ASLRT_CMP_STRING_GT, 0),
    CMP("StringLessThanEquals", ASLRT_CMP_STRING_LE, 0),
    CMP("StringGreaterThanEquals", ASLRT_CMP_STRING_GE, 0),
    CMP("NumericEquals", ASLRT_CMP_NUMERIC_EQ, 1),
    CMP("NumericLessThan", ASLRT_CMP_NUMERIC_LT, 1),
    CMP("NumericGreaterThan", ASLRT_CMP_NUMERIC_GT, 1),
    CMP("NumericLessThanEquals", ASLRT_CMP_NUMERIC_LE, 1),
    CMP("NumericGreaterThanEquals", ASLRT_CMP_NUMERIC_GE, 1),
    CMP("BooleanEquals", ASLRT_CMP_BOOLEAN_EQ, 2),
    CMP("TimestampEquals", ASLRT_CMP_TIMESTAMP_EQ, 3),
    CMP("TimestampLessThan", ASLRT_CMP_TIMESTAMP_LT, 3),
    CMP("TimestampGreaterThan", ASLRT_CMP_TIMESTAMP_GT, 3),
    CMP("TimestampLessThanEquals", ASLRT_CMP_TIMESTAMP_LE, 3),
    CMP("TimestampGreaterThanEquals", ASLRT_CMP_TIMESTAMP_GE, 3),
#undef CMP
    {"StringMatches", ASLRT_CMP_STRING_MATCHES, 0, false},
    {"IsNull", ASLRT_CMP_IS_NULL, 2, false},
    {"IsPresent", ASLRT_CMP_IS_PRESENT, 2, false},
    {"IsNumeric", ASLRT_CMP_IS_NUMERIC, 2, false},
    {"IsString", ASLRT_CMP_IS_STRING, 2, false},
    {"IsBoolean", ASLRT_CMP_IS_BOOLEAN, 2, false},
    {"IsTimestamp", ASLRT_CMP_IS_TIMESTAMP, 2, false},
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ==== Small checks ====================================================== */

static const char *json_type_word(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

static const char *want_string(parser *p, json_t *v, const char *ptr, const char *field)
{
    if (!json_is_string(v)) {
        err_at(p, ptr, ASL_AT_VALUE, "The field '%s' must be a string, not %s", field,
               json_type_word(v));
        return NULL;
    }
    return json_string_value(v);
}

/* An integer within [lo, hi]; doubles with no fraction count, as in Java. */
static bool want_int(parser *p, json_t *v, const char *ptr, const char *field,
                     long long lo, long long hi, long long *out)
{
    double d;
    if (json_is_integer(v))
        d = (double)json_integer_value(v);
    else if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)))
        d = json_real_value(v);
    else {
        err_at(p, ptr, ASL_AT_VALUE, "The field '%s' must be an integer", field);
        return false;
    }
    if (d < (double)lo || d > (double)hi) {
        err_at(p, ptr, ASL_AT_VALUE, "The field '%s' must be between %lld and %lld", field,
               lo, hi);
        return false;
    }
    *out = json_is_integer(v) ? json_integer_value(v) : (long long)d;
    return true;
}

/* A JSONPath (reference != 0: a reference path), checked by the runtime's
 * parser; errors point into the string. */
static const char *check_path(parser *p, json_t *v, const char *ptr, const char *field,
                              int reference, bool allow_null)
{
    if (allow_null && json_is_null(v))
        return NULL;
    const char *s = want_string(p, v, ptr, field);
    if (!s)
        return NULL;
    char *why = NULL;
    size_t off = 0;
    aslrtp_path *path = aslrtp_path_compile(s, reference, &why, &off);
    if (!path) {
        if (reference && s[0] != '$')
            err_in_string(p, ptr, 0,
                          "Value is not a Reference Path: Reference path didn't start with '$'");
        else
            err_in_string(p, ptr, off, "The field '%s' is not a valid %s: %s", field,
                          reference ? "reference path" : "JSONPath", why ? why : "syntax error");
        free(why);
        return NULL;
    }
    aslrtp_path_free(path);
    return s;
}

/* A ".$" value of a payload template, or Fail's ErrorPath/CausePath: a path
 * or an intrinsic call. */
static bool check_dynamic(parser *p, json_t *v, const char *ptr, const char *key,
                          bool allow_intrinsic)
{
    const char *s = json_string_value(v);
    if (!s) {
        err_at(p, ptr, ASL_AT_VALUE,
               "The value for the field '%s' must be a valid JSONPath or a valid intrinsic "
               "function call",
               key);
        return false;
    }
    char *why = NULL;
    size_t off = 0;
    if (s[0] == '$') {
        aslrtp_path *path = aslrtp_path_compile(s, 0, &why, &off);
        if (path) {
            aslrtp_path_free(path);
            return true;
        }
    } else if (allow_intrinsic && aslrtp_intrinsic_like(s)) {
        aslrtp_intrinsic *f = aslrtp_intrinsic_compile(s, &why, &off);
        if (f) {
            aslrtp_intrinsic_free(f);
            return true;
        }
    }
    err_in_string(p, ptr, off,
                  "The value for the field '%s' must be a valid JSONPath or a valid intrinsic "
                  "function call%s%s",
                  key, why ? ": " : "", why ? why : "");
    free(why);
    return false;
}

/* Walks a payload template (Parameters, ResultSelector, ItemSelector,
 * Assign values): every "key.$" value must be a path or an intrinsic call;
 * no two keys may be equal once ".$" is dropped. */
static void check_template(parser *p, json_t *v, const char *ptr)
{
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) check_template(p, e, asl_ptr_index(p->u, ptr, i));
        return;
    }
    if (!json_is_object(v))
        return;
    const char *key;
    json_t *val;
    json_object_foreach(v, key, val) {
        char *kptr = asl_ptr(p->u, ptr, key);
        size_t n = strlen(key);
        if (n >= 2 && strcmp(key + n - 2, ".$") == 0) {
            char *plain = asl_strdup(p->u, key);
            plain[n - 2] = '\0';
            if (json_object_get(v, plain))
                err_at(p, kptr, ASL_AT_KEY,
                       "The field '%s' is given twice: as '%s' and as '%s'", plain, plain, key);
            check_dynamic(p, val, kptr, key, true);
        } else {
            check_template(p, val, kptr);
        }
    }
}

static void check_object_template(parser *p, json_t *v, const char *ptr, const char *field)
{
    if (!json_is_object(v)) {
        err_at(p, ptr, ASL_AT_VALUE, "The field '%s' must be an object", field);
        return;
    }
    check_template(p, v, ptr);
}

/* JSONata mode, below. */
static bool is_expression(const json_t *v);
static bool check_expression(parser *p, json_t *v, const char *ptr);
static void check_jsonata(parser *p, json_t *v, const char *ptr);
static void check_assign(parser *p, json_t *v, const char *ptr);

/* ==== Retry and Catch =================================================== */

static asl_handler **parse_handlers(parser *p, json_t *v, const char *ptr, bool is_catch,
                                    size_t *n)
{
    const char *field = is_catch ? "Catch" : "Retry";
    *n = 0;
    if (!json_is_array(v)) {
        err_at(p, ptr, ASL_AT_VALUE, "The field '%s' must be an array", field);
        return NULL;
    }
    size_t count = json_array_size(v);
    asl_handler **hs = asl_alloc(p->u, (count + 1) * sizeof *hs);
    for (size_t i = 0; i < count; i++) {
        json_t *o = json_array_get(v, i);
        char *hptr = asl_ptr_index(p->u, ptr, i);
        asl_handler *h = asl_alloc(p->u, sizeof *h);
        h->ptr = hptr;
        h->interval = 1;
        h->backoff = 2.0;
        h->max_attempts = 3;
        hs[(*n)++] = h;
        if (!json_is_object(o)) {
            err_at(p, hptr, ASL_AT_VALUE, "Each element of '%s' must be an object", field);
            continue;
        }
        const char *key;
        json_t *val;
        json_object_foreach(o, key, val) {
            char *fptr = asl_ptr(p->u, hptr, key);
            if (strcmp(key, "ErrorEquals") == 0) {
                if (!json_is_array(val) || json_array_size(val) == 0) {
                    err_at(p, fptr, ASL_AT_VALUE,
                           "The field 'ErrorEquals' must be a non-empty array of strings");
                    continue;
                }
                h->nerrors = json_array_size(val);
                h->errors = asl_alloc(p->u, h->nerrors * sizeof *h->errors);
                for (size_t j = 0; j < h->nerrors; j++) {
                    json_t *e = json_array_get(val, j);
                    h->errors[j] = want_string(p, e, asl_ptr_index(p->u, fptr, j), "ErrorEquals");
                    if (h->errors[j] && strcmp(h->errors[j], ASLRTP_ERR_ALL) == 0 &&
                        h->nerrors > 1)
                        err_at(p, asl_ptr_index(p->u, fptr, j), ASL_AT_VALUE,
                               "'" ASLRTP_ERR_ALL "' must appear alone in 'ErrorEquals'");
                }
            } else if (strcmp(key, "Comment") == 0) {
                want_string(p, val, fptr, key);
            } else if (!is_catch && strcmp(key, "IntervalSeconds") == 0) {
                long long x;
                if (want_int(p, val, fptr, key, 1, 99999999, &x))
                    h->interval = (double)x;
            } else if (!is_catch && strcmp(key, "MaxAttempts") == 0) {
                want_int(p, val, fptr, key, 0, 99999999, &h->max_attempts);
            } else if (!is_catch && strcmp(key, "BackoffRate") == 0) {
                if (!json_is_number(val) || json_number_value(val) < 1.0)
                    err_at(p, fptr, ASL_AT_VALUE,
                           "The field 'BackoffRate' must be a number greater than or equal to 1.0");
                else
                    h->backoff = json_number_value(val);
            } else if (!is_catch && strcmp(key, "MaxDelaySeconds") == 0) {
                want_int(p, val, fptr, key, 1, 31622400, &h->max_delay);
            } else if (!is_catch && strcmp(key, "JitterStrategy") == 0) {
                const char *s = want_string(p, val, fptr, key);
                if (s && strcmp(s, "FULL") != 0 && strcmp(s, "NONE") != 0)
                    err_at(p, fptr, ASL_AT_VALUE,
                           "The field 'JitterStrategy' should have one of these values: [FULL, NONE]");
                h->jitter_full = s && strcmp(s, "FULL") == 0;
            } else if (is_catch && strcmp(key, "Next") == 0) {
                h->next = want_string(p, val, fptr, key);
            } else if (is_catch && !p->jsonata && strcmp(key, "ResultPath") == 0) {
                check_path(p, val, fptr, key, 1, true);
                h->result_path = val;
            } else if (is_catch && p->jsonata && strcmp(key, "Output") == 0) {
                p->jn_allow = JN_ERROR_OUTPUT;
                p->jn_field = "Catch/Output";
                check_jsonata(p, val, fptr);
                h->output = val;
            } else if (strcmp(key, "Assign") == 0) {
                p->jn_allow = JN_ERROR_OUTPUT;
                p->jn_field = "Catch/Assign";
                if (p->jsonata)
                    check_assign(p, val, fptr);
                else
                    check_object_template(p, val, fptr, key);
                h->assign = val;
            } else {
                err_at(p, fptr, ASL_AT_KEY, "Field '%s' is not supported", key);
            }
        }
        if (!json_object_get(o, "ErrorEquals"))
            err_at(p, hptr, ASL_AT_VALUE, "These fields are required: [ErrorEquals]");
        if (is_catch && !json_object_get(o, "Next"))
            err_at(p, hptr, ASL_AT_VALUE, "These fields are required: [Next]");
        /* ASL spec, "Retry"/"Catch": States.ALL only in the last element. */
        for (size_t j = 0; j < h->nerrors; j++)
            if (h->errors[j] && strcmp(h->errors[j], ASLRTP_ERR_ALL) == 0 && i + 1 < count)
                err_at(p, hptr, ASL_AT_VALUE,
                       "'" ASLRTP_ERR_ALL "' must appear only in the last %s", is_catch ? "catcher" : "retrier");
    }
    return hs;
}

/* ==== Choice rules ====================================================== */

static asl_rule *parse_rule(parser *p, json_t *o, const char *ptr, bool top);

static asl_rule **parse_rule_list(parser *p, json_t *v, const char *ptr, const char *field,
                                  size_t *n)
{
    *n = 0;
    if (!json_is_array(v) || json_array_size(v) == 0) {
        err_at(p, ptr, ASL_AT_VALUE, "The field '%s' must be a non-empty array", field);
        return NULL;
    }
    asl_rule **rs = asl_alloc(p->u, json_array_size(v) * sizeof *rs);
    for (size_t i = 0; i < json_array_size(v); i++) {
        asl_rule *r = parse_rule(p, json_array_get(v, i), asl_ptr_index(p->u, ptr, i),
                                 strcmp(field, "Choices") == 0);
        if (r)
            rs[(*n)++] = r;
    }
    return rs;
}

static asl_rule *parse_rule(parser *p, json_t *o, const char *ptr, bool top)
{
    if (!json_is_object(o)) {
        err_at(p, ptr, ASL_AT_VALUE, "A Choice rule must be an object");
        return NULL;
    }
    asl_rule *r = asl_alloc(p->u, sizeof *r);
    r->ptr = (char *)ptr;
    r->kind = ASL_RULE_TEST;
    int nops = 0;
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val) {
        char *fptr = asl_ptr(p->u, ptr, key);
        if (strcmp(key, "Comment") == 0) {
            want_string(p, val, fptr, key);
        } else if (top && strcmp(key, "Next") == 0) {
            r->next = want_string(p, val, fptr, key);
        } else if (top && strcmp(key, "Assign") == 0) {
            p->jn_allow = 0;
            p->jn_field = "Assign";
            if (p->jsonata)
                check_assign(p, val, fptr);
            else
                check_object_template(p, val, fptr, key);
            r->assign = val;
        } else if (top && p->jsonata && strcmp(key, "Output") == 0) {
            p->jn_allow = 0;
            p->jn_field = "Output";
            check_jsonata(p, val, fptr);
            r->output = val;
        } else if (top && p->jsonata && strcmp(key, "Condition") == 0) {
            p->jn_allow = 0;
            p->jn_field = "Condition";
            nops++;
            if (is_expression(val))
                check_expression(p, val, fptr);
            else if (!json_is_boolean(val))
                err_at(p, fptr, ASL_AT_VALUE,
                       "The field 'Condition' must be a boolean or a JSONata expression");
            r->condition = val;
        } else if (p->jsonata) {
            err_at(p, fptr, ASL_AT_KEY, "Field '%s' is not supported", key);
        } else if (strcmp(key, "And") == 0 || strcmp(key, "Or") == 0) {
            nops++;
            r->kind = key[0] == 'A' ? ASL_RULE_AND : ASL_RULE_OR;
            r->kids = parse_rule_list(p, val, fptr, key, &r->nkids);
        } else if (strcmp(key, "Not") == 0) {
            nops++;
            r->kind = ASL_RULE_NOT;
            asl_rule *k = parse_rule(p, val, fptr, false);
            if (k) {
                r->kids = asl_alloc(p->u, sizeof *r->kids);
                r->kids[0] = k;
                r->nkids = 1;
            }
        } else if (strcmp(key, "Variable") == 0) {
            r->variable = check_path(p, val, fptr, key, 0, false);
        } else if (strcmp(key, "Condition") == 0) {
            err_at(p, fptr, ASL_AT_KEY,
                   "The QueryLanguage is set to 'JSONPath', but field 'Condition' is only "
                   "supported for the 'JSONata' QueryLanguage");
        } else {
            const struct cmp_spec *c = NULL;
            for (size_t i = 0; i < ARRAY_LEN(cmp_specs); i++)
                if (strcmp(cmp_specs[i].name, key) == 0)
                    c = &cmp_specs[i];
            if (!c) {
                err_at(p, fptr, ASL_AT_KEY, "Field '%s' is not supported", key);
                continue;
            }
            nops++;
            r->op = c->op;
            r->op_name = key;
            r->is_path = c->path;
            r->operand = val;
            if (c->path) {
                check_path(p, val, fptr, key, 0, false);
                continue;
            }
            bool ok;
            switch (c->operand) {
            case 0: ok = json_is_string(val); break;
            case 1: ok = json_is_number(val); break;
            case 2: ok = json_is_boolean(val); break;
            default: {
                int64_t s;
                int32_t ns;
                ok = json_is_string(val) && aslrtp_timestamp_parse(json_string_value(val), &s, &ns);
                break;
            }
            }
            if (!ok) {
                static const char *const want[] = {"a string", "a number", "a boolean",
                                                   "an RFC3339 timestamp string"};
                err_at(p, fptr, ASL_AT_VALUE, "The value of '%s' must be %s", key,
                       want[c->operand]);
            }
            if (ok && c->op == ASLRT_CMP_STRING_MATCHES) {
                /* ASL spec: "\" escapes only "*" and "\"; a lone trailing "\" is
                 * an error we can catch before running. */
                const char *s = json_string_value(val);
                for (size_t i = 0; s[i]; i++)
                    if (s[i] == '\\' && s[++i] == '\0')
                        err_in_string(p, fptr, i - 1, "Unterminated escape sequence in 'StringMatches'");
            }
        }
    }
    if (p->jsonata) {
        r->kind = ASL_RULE_CONDITION;
        if (!r->condition)
            err_at(p, ptr, ASL_AT_VALUE, "These fields are required: [Condition]");
        if (!r->next)
            err_at(p, ptr, ASL_AT_VALUE, "These fields are required: [Next]");
        return r;
    }
    if (nops == 0) {
        err_at(p, ptr, ASL_AT_VALUE, "A Choice rule needs a comparison operator or And, Or, Not");
        return NULL;
    }
    if (nops > 1)
        err_at(p, ptr, ASL_AT_VALUE, "A Choice rule may have only one comparison operator");
    if (r->kind == ASL_RULE_TEST && !json_object_get(o, "Variable"))
        err_at(p, ptr, ASL_AT_VALUE, "These fields are required: [Variable]");
    if (r->kind != ASL_RULE_TEST && json_object_get(o, "Variable"))
        err_at(p, asl_ptr(p->u, ptr, "Variable"), ASL_AT_KEY,
               "Field 'Variable' is not supported with And, Or or Not");
    if (top && !r->next)
        err_at(p, ptr, ASL_AT_VALUE, "These fields are required: [Next]");
    if (!top && json_object_get(o, "Next"))
        err_at(p, asl_ptr(p->u, ptr, "Next"), ASL_AT_KEY,
               "Field 'Next' is not supported in a nested Choice rule");
    return r;
}

/* ==== States and graphs ================================================= */

static asl_graph *parse_graph(parser *p, json_t *o, const char *ptr, asl_state *owner);

static void add_state(parser *p, asl_state *s)
{
    if (p->nall == p->capall) {
        p->capall = p->capall ? 2 * p->capall : 64;
        p->all = aslrtp_reallocarray(p->all, p->capall, sizeof *p->all);
    }
    s->id = p->nall;
    p->all[p->nall++] = s;
}

/* ==== The distributed Map's ItemReader, ItemBatcher, ResultWriter ======= */

/* A member must have one of the listed string values. */
static const char *want_enum(parser *p, json_t *v, const char *ptr, const char *field,
                             const char *const *values, const char *listed)
{
    const char *s = json_string_value(v);
    for (size_t i = 0; s && values[i]; i++)
        if (strcmp(s, values[i]) == 0)
            return s;
    err_at(p, ptr, ASL_AT_VALUE, "The field '%s' should have one of these values: [%s]", field,
           listed);
    return NULL;
}

/* ItemReader's and ResultWriter's Parameters (JSONPath) or Arguments
 * (JSONata): checks the one the query language has; false for any other
 * key. */
static bool parse_arguments(parser *p, const char *key, json_t *val, const char *fptr)
{
    if (!p->jsonata && strcmp(key, "Parameters") == 0)
        check_object_template(p, val, fptr, key);
    else if (p->jsonata && strcmp(key, "Arguments") == 0)
        check_jsonata(p, val, fptr);
    else
        return false;
    return true;
}

static void parse_item_reader(parser *p, asl_state *s, json_t *o, const char *ptr)
{
    if (!json_is_object(o)) {
        err_at(p, ptr, ASL_AT_VALUE, "The field 'ItemReader' must be an object");
        return;
    }
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val) {
        char *fptr = asl_ptr(p->u, ptr, key);
        if (strcmp(key, "Resource") == 0) {
            static const char *const rs[] = {"arn:aws:states:::s3:getObject",
                                             "arn:aws:states:::s3:listObjectsV2", NULL};
            s->reader_resource = want_enum(p, val, fptr, key, rs,
                                           "arn:aws:states:::s3:getObject, "
                                           "arn:aws:states:::s3:listObjectsV2");
        } else if (parse_arguments(p, key, val, fptr)) {
            s->reader_params = val;
        } else if (strcmp(key, "ReaderConfig") == 0) {
            if (!json_is_object(val)) {
                err_at(p, fptr, ASL_AT_VALUE, "The field 'ReaderConfig' must be an object");
                continue;
            }
            s->reader_config = val;
            const char *ck;
            json_t *cv;
            json_object_foreach(val, ck, cv) {
                char *cptr = asl_ptr(p->u, fptr, ck);
                static const char *const types[] = {"CSV", "JSON", "JSONL", "PARQUET", "MANIFEST", NULL};
                static const char *const headers[] = {"FIRST_ROW", "GIVEN", NULL};
                static const char *const delims[] = {"COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB", NULL};
                static const char *const transf[] = {"NONE", "LOAD_AND_FLATTEN", NULL};
                static const char *const manifests[] = {"ATHENA_DATA", "S3_INVENTORY", NULL};
                if (strcmp(ck, "InputType") == 0)
                    want_enum(p, cv, cptr, ck, types, "CSV, JSON, JSONL, PARQUET, MANIFEST");
                else if (strcmp(ck, "CSVHeaderLocation") == 0)
                    want_enum(p, cv, cptr, ck, headers, "FIRST_ROW, GIVEN");
                else if (strcmp(ck, "CSVDelimiter") == 0)
                    want_enum(p, cv, cptr, ck, delims, "COMMA, PIPE, SEMICOLON, SPACE, TAB");
                else if (strcmp(ck, "Transformation") == 0)
                    want_enum(p, cv, cptr, ck, transf, "NONE, LOAD_AND_FLATTEN");
                else if (strcmp(ck, "ManifestType") == 0)
                    want_enum(p, cv, cptr, ck, manifests, "ATHENA_DATA, S3_INVENTORY");
                else if (strcmp(ck, "CSVHeaders") == 0) {
                    bool ok = json_is_array(cv);
                    for (size_t i = 0; ok && i < json_array_size(cv); i++)
                        ok = json_is_string(json_array_get(cv, i));
                    if (!ok)
                        err_at(p, cptr, ASL_AT_VALUE, "The field 'CSVHeaders' must be an array of strings");
                } else if (strcmp(ck, "MaxItems") == 0) {
                    if (p->jsonata && is_expression(cv)) {
                        check_expression(p, cv, cptr);
                        s->x_reader_max_items = cv;
                    } else {
                        want_int(p, cv, cptr, ck, 0, 100000000, &s->reader_max_items); /* 0: no limit (recorded) */
                    }
                } else if (!p->jsonata && strcmp(ck, "MaxItemsPath") == 0)
                    s->reader_max_items_path = check_path(p, cv, cptr, ck, 1, false);
                else if (strcmp(ck, "ItemsPointer") == 0)
                    want_string(p, cv, cptr, ck);
                else
                    err_at(p, cptr, ASL_AT_KEY, "Field '%s' is not supported", ck);
            }
            if (json_object_get(val, "MaxItems") && json_object_get(val, "MaxItemsPath"))
                err_at(p, fptr, ASL_AT_VALUE, "Only one of 'MaxItems' and 'MaxItemsPath' may be given");
        } else {
            err_at(p, fptr, ASL_AT_KEY, "Field '%s' is not supported", key);
        }
    }
    if (!json_object_get(o, "Resource"))
        err_at(p, ptr, ASL_AT_VALUE, "These fields are required: [Resource]");
}

static void parse_item_batcher(parser *p, asl_state *s, json_t *o, const char *ptr)
{
    if (!json_is_object(o)) {
        err_at(p, ptr, ASL_AT_VALUE, "The field 'ItemBatcher' must be an object");
        return;
    }
    s->batched = true;
    const char *key;
    json_t *val;
    int limits = 0;
    json_object_foreach(o, key, val) {
        char *fptr = asl_ptr(p->u, ptr, key);
        if (strcmp(key, "MaxItemsPerBatch") == 0) {
            limits++;
            if (p->jsonata && is_expression(val)) {
                check_expression(p, val, fptr);
                s->x_batch_max_items = val;
            } else {
                want_int(p, val, fptr, key, 1, 100000000, &s->batch_max_items);
            }
        } else if (strcmp(key, "MaxInputBytesPerBatch") == 0) {
            limits++;
            if (p->jsonata && is_expression(val)) {
                check_expression(p, val, fptr);
                s->x_batch_max_bytes = val;
            } else {
                want_int(p, val, fptr, key, 1, 262144, &s->batch_max_bytes);
            }
        } else if (!p->jsonata && strcmp(key, "MaxItemsPerBatchPath") == 0) {
            limits++;
            s->batch_max_items_path = check_path(p, val, fptr, key, 1, false);
        } else if (!p->jsonata && strcmp(key, "MaxInputBytesPerBatchPath") == 0) {
            limits++;
            s->batch_max_bytes_path = check_path(p, val, fptr, key, 1, false);
        } else if (strcmp(key, "BatchInput") == 0) {
            if (p->jsonata)
                check_jsonata(p, val, fptr);
            else
                check_object_template(p, val, fptr, key);
            s->batch_input = val;
        } else {
            err_at(p, fptr, ASL_AT_KEY, "Field '%s' is not supported", key);
        }
    }
    if (!limits)
        err_at(p, ptr, ASL_AT_VALUE, "At least one of 'MaxItemsPerBatch', 'MaxItemsPerBatchPath', "
                                     "'MaxInputBytesPerBatch' and 'MaxInputBytesPerBatchPath' is required");
    if (json_object_get(o, "MaxItemsPerBatch") && json_object_get(o, "MaxItemsPerBatchPath"))
        err_at(p, ptr, ASL_AT_VALUE, "Only one of 'MaxItemsPerBatch' and 'MaxItemsPerBatchPath' may be given");
    if (json_object_get(o, "MaxInputBytesPerBatch") && json_object_get(o, "MaxInputBytesPerBatchPath"))
        err_at(p, ptr, ASL_AT_VALUE,
               "Only one of 'MaxInputBytesPerBatch' and 'MaxInputBytesPerBatchPath' may be given");
}

static void parse_result_writer(parser *p, asl_state *s, json_t *o, const char *ptr)
{
    if (!json_is_object(o) || json_object_size(o) == 0) {
        err_at(p, ptr, ASL_AT_VALUE, "The field 'ResultWriter' must be a non-empty object");
        return;
    }
    s->writes = true;
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val) {
        char *fptr = asl_ptr(p->u, ptr, key);
        if (strcmp(key, "Resource") == 0) {
            static const char *const rs[] = {"arn:aws:states:::s3:putObject", NULL};
            s->writer_resource = want_enum(p, val, fptr, key, rs, "arn:aws:states:::s3:putObject");
        } else if (parse_arguments(p, key, val, fptr)) {
            s->writer_params = val;
        } else if (strcmp(key, "WriterConfig") == 0) {
            if (!json_is_object(val)) {
                err_at(p, fptr, ASL_AT_VALUE, "The field 'WriterConfig' must be an object");
                continue;
            }
            s->writer_config = val;
            static const char *const outs[] = {"JSON", "JSONL", NULL};
            static const char *const tr[] = {"NONE", "COMPACT", "FLATTEN", NULL};
            const char *ck;
            json_t *cv;
            json_object_foreach(val, ck, cv) {
                char *cptr = asl_ptr(p->u, fptr, ck);
                if (strcmp(ck, "OutputType") == 0)
                    want_enum(p, cv, cptr, ck, outs, "JSON, JSONL");
                else if (strcmp(ck, "Transformation") == 0)
                    want_enum(p, cv, cptr, ck, tr, "NONE, COMPACT, FLATTEN");
                else
                    err_at(p, cptr, ASL_AT_KEY, "Field '%s' is not supported", ck);
            }
            if (!json_object_get(val, "OutputType"))
                err_at(p, fptr, ASL_AT_VALUE, "These fields are required: [OutputType]");
        } else {
            err_at(p, fptr, ASL_AT_KEY, "Field '%s' is not supported", key);
        }
    }
    /* doc/behaviour.md §15.3: WriterConfig alone, Resource with Parameters, or
     * all three. */
    const char *args = p->jsonata ? "Arguments" : "Parameters";
    if (!!json_object_get(o, "Resource") != !!json_object_get(o, args))
        err_at(p, ptr, ASL_AT_VALUE, "'Resource' and '%s' go together in 'ResultWriter'", args);
}

/* Type, Comment, QueryLanguage, Next and End: the same in both query
 * languages.  Returns whether key was one of them. */
static bool parse_common_field(parser *p, asl_state *s, const char *key, json_t *val,
                               const char *fptr)
{
    if (strcmp(key, "Type") == 0) {
        return true;
    } else if (strcmp(key, "Comment") == 0) {
        s->comment = want_string(p, val, fptr, key);
    } else if (strcmp(key, "QueryLanguage") == 0) {
        s->query_language = want_string(p, val, fptr, key);
        if (s->query_language && strcmp(s->query_language, "JSONPath") != 0 &&
            strcmp(s->query_language, "JSONata") != 0)
            err_at(p, fptr, ASL_AT_VALUE,
                   "The field 'QueryLanguage' should have one of these values: [JSONPath, JSONata]");
    } else if (strcmp(key, "Next") == 0) {
        s->next = want_string(p, val, fptr, key);
    } else if (strcmp(key, "End") == 0) {
        if (!json_is_boolean(val))
            err_at(p, fptr, ASL_AT_VALUE, "The field 'End' must be a boolean");
        s->end = json_is_true(val);
    } else {
        return false;
    }
    return true;
}

/* Parallel Branches and Map ItemProcessor (or Iterator): nested graphs. */
static void parse_nested(parser *p, asl_state *s, const char *key, json_t *val, const char *fptr)
{
    if (strcmp(key, "Branches") == 0) {
        if (!json_is_array(val) || json_array_size(val) == 0) {
            err_at(p, fptr, ASL_AT_VALUE, "Value cannot be empty");
            return;
        }
        s->branches = asl_alloc(p->u, json_array_size(val) * sizeof *s->branches);
        for (size_t i = 0; i < json_array_size(val); i++) {
            asl_graph *g = parse_graph(p, json_array_get(val, i), asl_ptr_index(p->u, fptr, i), s);
            if (g)
                s->branches[s->nbranches++] = g;
        }
    } else if (s->processor) {
        err_at(p, fptr, ASL_AT_KEY, "Only one of 'ItemProcessor' and 'Iterator' may be given");
    } else {
        s->processor = parse_graph(p, val, fptr, s);
    }
}

/* ==== JSONata mode ====================================================== */

/* A string that is a JSONata expression: starts with "{%" and ends with
 * "%}" (doc/behaviour.md §5). */
static bool is_expression(const json_t *v)
{
    const char *s = json_string_value(v);
    size_t n = s ? json_string_length(v) : 0;
    return n >= 4 && s[0] == '{' && s[1] == '%' && s[n - 2] == '%' && s[n - 1] == '}';
}

/* The byte offset in the "{% %}" string of a node's jsonata-js position
 * (which counts characters up to the end of its token). */
static size_t node_offset(const char *expr, size_t len, const jn_node *k)
{
    size_t off = k->position > 0 ? jn_utf8_offset(expr, len, (size_t)k->position) : 0;
    if (k->len && off >= k->len)
        off -= k->len;
    return 2 + off;
}

/* doc/behaviour.md §5: what AWS refuses at creation in an expression that
 * parses (UNSUPPORTED_JSONATA_EXPRESSION): `$$` anywhere, and at the top
 * level (outside predicates, later path steps and lambdas, where a context
 * exists) `$` and bare field names, since a state's data is reached
 * through $states. */
static bool check_top_level(parser *p, const jn_node *k, bool top, const char *ptr,
                            const char *expr, size_t len)
{
    if (!k)
        return true;
    bool ok = true;
    if (k->type == ASLRT_JN_VARIABLE && k->str && strcmp(k->str, "$") == 0) {
        asl_diag_add(&p->u->diags, ASL_DIAG_ERROR, ptr, ASL_AT_STRING, node_offset(expr, len, k),
                     "UNSUPPORTED_JSONATA_EXPRESSION",
                     "The JSONata expression is not supported: '$$' is not supported, use "
                     "$states.context");
        return false;
    }
    if (top && (k->type == ASLRT_JN_NAME ||
                (k->type == ASLRT_JN_VARIABLE && k->str && !k->str[0]))) {
        asl_diag_add(&p->u->diags, ASL_DIAG_ERROR, ptr, ASL_AT_STRING, node_offset(expr, len, k),
                     "UNSUPPORTED_JSONATA_EXPRESSION",
                     "Reference to '%s' at the top level is not supported.",
                     k->type == ASLRT_JN_NAME ? k->str : "$");
        return false;
    }
    /* A path's first step is evaluated where the path is; the rest, and
     * every predicate, stage, sort and lambda body, have a context. */
    switch (k->type) {
    case ASLRT_JN_PATH:
        for (int i = 0; i < k->nitems; i++)
            ok &= check_top_level(p, k->items[i], top && i == 0, ptr, expr, len);
        break;
    case ASLRT_JN_LAMBDA:
    case ASLRT_JN_FILTER:
    case ASLRT_JN_SORT:
    case ASLRT_JN_SORT_TERM:
    case ASLRT_JN_TRANSFORM:
        ok &= check_top_level(p, k->lhs, false, ptr, expr, len);
        ok &= check_top_level(p, k->rhs, false, ptr, expr, len);
        ok &= check_top_level(p, k->third, false, ptr, expr, len);
        for (int i = 0; i < k->nitems; i++)
            ok &= check_top_level(p, k->items[i], false, ptr, expr, len);
        break;
    default:
        ok &= check_top_level(p, k->lhs, top, ptr, expr, len);
        ok &= check_top_level(p, k->rhs, top, ptr, expr, len);
        ok &= check_top_level(p, k->third, top, ptr, expr, len);
        for (int i = 0; i < k->nitems; i++)
            ok &= check_top_level(p, k->items[i], top, ptr, expr, len);
        break;
    }
    for (int i = 0; i < k->nstages; i++)
        ok &= check_top_level(p, k->stages[i], false, ptr, expr, len);
    for (int i = 0; i < k->npredicate; i++)
        ok &= check_top_level(p, k->predicate[i], false, ptr, expr, len);
    ok &= check_top_level(p, k->group, false, ptr, expr, len);
    return ok;
}

/* doc/behaviour.md §5: $states.result exists only in the Output and Assign of
 * a Task, Parallel or Map, $states.errorOutput only in a catcher's; AWS
 * refuses a reference elsewhere when the definition is created. */
static bool check_states_fields(parser *p, const jn_node *k, const char *ptr, const char *expr,
                                size_t len)
{
    if (!k)
        return true;
    bool ok = true;
    if (k->type == ASLRT_JN_PATH && k->nitems >= 2 && k->items[0]->type == ASLRT_JN_VARIABLE &&
        k->items[0]->str && strcmp(k->items[0]->str, "states") == 0 &&
        k->items[1]->type == ASLRT_JN_NAME && k->items[1]->str) {
        const char *f = k->items[1]->str;
        bool result = strcmp(f, "result") == 0, error = strcmp(f, "errorOutput") == 0;
        if ((result && !(p->jn_allow & JN_RESULT)) || (error && !(p->jn_allow & JN_ERROR_OUTPUT))) {
            asl_diag_add(&p->u->diags, ASL_DIAG_ERROR, ptr, ASL_AT_STRING,
                         node_offset(expr, len, k->items[1]), "INVALID_JSONATA_EXPRESSION",
                         "$states.%s is not available in the field '%s'%s", f,
                         p->jn_field ? p->jn_field : "",
                         result ? ": only the Output and Assign of a Task, Parallel or Map "
                                  "state have it"
                                : ": only a catcher's Output and Assign have it");
            ok = false;
        }
    }
    ok &= check_states_fields(p, k->lhs, ptr, expr, len);
    ok &= check_states_fields(p, k->rhs, ptr, expr, len);
    ok &= check_states_fields(p, k->third, ptr, expr, len);
    ok &= check_states_fields(p, k->group, ptr, expr, len);
    for (int i = 0; i < k->nitems; i++)
        ok &= check_states_fields(p, k->items[i], ptr, expr, len);
    for (int i = 0; i < k->nstages; i++)
        ok &= check_states_fields(p, k->stages[i], ptr, expr, len);
    for (int i = 0; i < k->npredicate; i++)
        ok &= check_states_fields(p, k->predicate[i], ptr, expr, len);
    return ok;
}

/* Parses the expression in the string v (at ptr) with the runtime's own
 * parser; a syntax error points into the string. */
static bool check_expression(parser *p, json_t *v, const char *ptr)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    jn_error e;
    const jn_node *root = jn_parse(asl_unit_jsonata(p->u), s + 2, n - 4, &e);
    if (root)
        return check_top_level(p, root, true, ptr, s + 2, n - 4) &&
               check_states_fields(p, root, ptr, s + 2, n - 4);
    size_t off = 2 + (e.position > 0 ? (size_t)e.position - 1 : 0);
    if (off > n - 2)
        off = n - 2;
    asl_diag_add(&p->u->diags, ASL_DIAG_ERROR, ptr, ASL_AT_STRING, off, "INVALID_JSONATA_EXPRESSION",
                 "The JSONata expression is not valid: %s: %s", e.code, e.message);
    return false;
}

/* Any JSON value of a JSONata field (Output, Arguments, Assign values,
 * ItemSelector, ...): every "{% %}" string in it must parse. */
static void check_jsonata(parser *p, json_t *v, const char *ptr)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (is_expression(v))
            check_expression(p, v, ptr);
        else if (strncmp(s, "{%", 2) == 0)
            err_in_string(p, ptr, 0, "A JSONata expression must start with '{%%' and end with '%%}'");
        return;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) check_jsonata(p, e, asl_ptr_index(p->u, ptr, i));
        return;
    }
    const char *key;
    json_t *val;
    if (json_is_object(v))
        json_object_foreach(v, key, val) check_jsonata(p, val, asl_ptr(p->u, ptr, key));
}

/* A field that holds either its literal form or an expression: returns
 * the expression's JSON string, or NULL after the literal check. */
static json_t *knob_int(parser *p, json_t *v, const char *ptr, const char *field, long long lo,
                        long long hi, long long *out)
{
    if (is_expression(v)) {
        check_expression(p, v, ptr);
        return v;
    }
    want_int(p, v, ptr, field, lo, hi, out);
    return NULL;
}

static json_t *knob_string(parser *p, json_t *v, const char *ptr, const char *field,
                           const char **out)
{
    if (is_expression(v)) {
        check_expression(p, v, ptr);
        return v;
    }
    *out = want_string(p, v, ptr, field);
    return NULL;
}

static void check_assign(parser *p, json_t *v, const char *ptr)
{
    if (!json_is_object(v)) {
        err_at(p, ptr, ASL_AT_VALUE, "The field 'Assign' must be an object");
        return;
    }
    check_jsonata(p, v, ptr);
}

/* Which state types have a field in JSONata mode (doc/behaviour.md §3). */
static const struct field_spec jsonata_fields[] = {
    {"Type", T_ALL},
    {"Comment", T_ALL},
    {"QueryLanguage", T_ALL},
    {"Next", T_FLOW},
    {"End", T_FLOW},
    {"Output", T_ALL & ~T_FAIL},
    {"Assign", T_ALL & ~(T_FAIL | T_SUCCEED)},
    {"Arguments", T_TASK | T_PARALLEL},
    {"Retry", T_TASK | T_PARALLEL | T_MAP},
    {"Catch", T_TASK | T_PARALLEL | T_MAP},
    {"Resource", T_TASK},
    {"TimeoutSeconds", T_TASK},
    {"HeartbeatSeconds", T_TASK},
    {"Credentials", T_TASK},
    {"Choices", T_CHOICE},
    {"Default", T_CHOICE},
    {"Seconds", T_WAIT},
    {"Timestamp", T_WAIT},
    {"Error", T_FAIL},
    {"Cause", T_FAIL},
    {"Branches", T_PARALLEL},
    {"ItemProcessor", T_MAP},
    {"Iterator", T_MAP},
    {"Items", T_MAP},
    {"ItemSelector", T_MAP},
    {"MaxConcurrency", T_MAP},
    {"ItemReader", T_MAP},
    {"ItemBatcher", T_MAP},
    {"ResultWriter", T_MAP},
    {"ToleratedFailurePercentage", T_MAP},
    {"ToleratedFailureCount", T_MAP},
    {"Label", T_MAP},
};

/* Fields of JSONPath mode that JSONata mode does not have. */
static const char *const jsonpath_only[] = {
    "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Result",
    "TimeoutSecondsPath", "HeartbeatSecondsPath", "SecondsPath", "TimestampPath",
    "ErrorPath", "CausePath", "ItemsPath", "MaxConcurrencyPath",
    "ToleratedFailurePercentagePath", "ToleratedFailureCountPath", NULL};

static void parse_state_jsonata(parser *p, asl_state *s)
{
    json_t *o = s->json;
    const char *key;
    json_t *val;
    unsigned tbit = 1u << s->type;
    s->jsonata = true;
    p->jsonata = true;

    json_object_foreach(o, key, val) {
        char *fptr = asl_ptr(p->u, s->ptr, key);
        const struct field_spec *f = NULL;
        for (size_t i = 0; i < ARRAY_LEN(jsonata_fields) && !f; i++)
            if (strcmp(jsonata_fields[i].name, key) == 0)
                f = &jsonata_fields[i];
        if (!f || !(f->types & tbit)) {
            bool jsonpath = false;
            for (size_t i = 0; jsonpath_only[i]; i++)
                jsonpath |= strcmp(jsonpath_only[i], key) == 0;
            if (jsonpath)
                err_at(p, fptr, ASL_AT_KEY,
                       "The QueryLanguage is set to 'JSONata', but field '%s' is only supported "
                       "for the 'JSONPath' QueryLanguage",
                       key);
            else
                err_at(p, fptr, ASL_AT_KEY, "Field '%s' is not supported", key);
            continue;
        }
        /* $states.result: in the Output and Assign of the states that make
         * a result; catchers set their own. */
        bool makes_result = s->type == ASLRT_STATE_TASK || s->type == ASLRT_STATE_PARALLEL ||
                            s->type == ASLRT_STATE_MAP;
        p->jn_allow = makes_result && (strcmp(key, "Output") == 0 || strcmp(key, "Assign") == 0)
                          ? JN_RESULT
                          : 0;
        p->jn_field = key;
        if (parse_common_field(p, s, key, val, fptr)) {
            continue;
        } else if (strcmp(key, "Output") == 0) {
            check_jsonata(p, val, fptr);
            s->output = val;
        } else if (strcmp(key, "Arguments") == 0) {
            check_jsonata(p, val, fptr);
            s->arguments = val;
        } else if (strcmp(key, "Assign") == 0) {
            check_assign(p, val, fptr);
            s->assign = val;
        } else if (strcmp(key, "Retry") == 0) {
            s->retry = parse_handlers(p, val, fptr, false, &s->nretry);
        } else if (strcmp(key, "Catch") == 0) {
            s->catch_ = parse_handlers(p, val, fptr, true, &s->ncatch);
        } else if (strcmp(key, "Resource") == 0) {
            s->resource = want_string(p, val, fptr, key);
        } else if (strcmp(key, "TimeoutSeconds") == 0) {
            s->x_timeout = knob_int(p, val, fptr, key, 1, 99999999, &s->timeout_seconds);
        } else if (strcmp(key, "HeartbeatSeconds") == 0) {
            s->x_heartbeat = knob_int(p, val, fptr, key, 1, 99999999, &s->heartbeat_seconds);
        } else if (strcmp(key, "Credentials") == 0) {
            if (!json_is_object(val))
                err_at(p, fptr, ASL_AT_VALUE, "The field 'Credentials' must be an object");
            else if (!json_object_get(val, "RoleArn"))
                err_at(p, fptr, ASL_AT_VALUE, "The field 'RoleArn' is required but was missing");
            else
                check_jsonata(p, val, fptr);
            s->credentials = val;
        } else if (strcmp(key, "Choices") == 0) {
            s->choices = parse_rule_list(p, val, fptr, key, &s->nchoices);
        } else if (strcmp(key, "Default") == 0) {
            s->default_next = want_string(p, val, fptr, key);
        } else if (strcmp(key, "Seconds") == 0) {
            s->x_seconds = knob_int(p, val, fptr, key, 0, 99999999, &s->seconds);
        } else if (strcmp(key, "Timestamp") == 0) {
            const char *t = NULL;
            s->x_timestamp = knob_string(p, val, fptr, key, &t);
            int64_t sec;
            int32_t ns;
            if (t && !aslrtp_timestamp_parse(t, &sec, &ns))
                err_at(p, fptr, ASL_AT_VALUE, "String does not match RFC3339 timestamp");
            else
                s->timestamp = t;
        } else if (strcmp(key, "Error") == 0) {
            s->x_error = knob_string(p, val, fptr, key, &s->error);
        } else if (strcmp(key, "Cause") == 0) {
            s->x_cause = knob_string(p, val, fptr, key, &s->cause);
        } else if (strcmp(key, "Branches") == 0 || strcmp(key, "ItemProcessor") == 0 ||
                   strcmp(key, "Iterator") == 0) {
            parse_nested(p, s, key, val, fptr);
            p->jsonata = true;
        } else if (strcmp(key, "Items") == 0) {
            if (is_expression(val))
                check_expression(p, val, fptr);
            else if (json_is_array(val))
                check_jsonata(p, val, fptr);
            else
                err_at(p, fptr, ASL_AT_VALUE,
                       "The field 'Items' must be an array or a JSONata expression");
            s->items = val;
        } else if (strcmp(key, "ItemSelector") == 0) {
            check_jsonata(p, val, fptr);
            s->item_selector = val;
        } else if (strcmp(key, "MaxConcurrency") == 0) {
            s->x_max_concurrency = knob_int(p, val, fptr, key, 0, 2147483647LL, &s->max_concurrency);
        } else if (strcmp(key, "ToleratedFailureCount") == 0) {
            s->x_tolerated_count = knob_int(p, val, fptr, key, 0, 2147483647LL, &s->tolerated_count);
        } else if (strcmp(key, "ToleratedFailurePercentage") == 0) {
            if (is_expression(val)) {
                check_expression(p, val, fptr);
                s->x_tolerated_percentage = val;
            } else if (!json_is_number(val) || json_number_value(val) < 0 ||
                       json_number_value(val) > 100)
                err_at(p, fptr, ASL_AT_VALUE, "ToleratedFailurePercentage must be between 0 and 100.");
            else
                s->tolerated_percentage = json_number_value(val);
        } else if (strcmp(key, "Label") == 0) {
            s->label = want_string(p, val, fptr, key);
        } else if (strcmp(key, "ItemReader") == 0) {
            parse_item_reader(p, s, val, fptr);
        } else if (strcmp(key, "ItemBatcher") == 0) {
            parse_item_batcher(p, s, val, fptr);
        } else {
            parse_result_writer(p, s, val, fptr);
        }
    }
    p->jsonata = false;

    const char *sp = s->ptr;
    switch (s->type) {
    case ASLRT_STATE_TASK:
        if (!json_object_get(o, "Resource"))
            err_at(p, sp, ASL_AT_VALUE, "These fields are required: [Resource]");
        if (s->heartbeat_seconds && s->timeout_seconds &&
            s->heartbeat_seconds >= s->timeout_seconds)
            err_at(p, asl_ptr(p->u, sp, "HeartbeatSeconds"), ASL_AT_VALUE,
                   "'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'");
        break;
    case ASLRT_STATE_CHOICE:
        if (!json_object_get(o, "Choices"))
            err_at(p, sp, ASL_AT_VALUE, "These fields are required: [Choices]");
        break;
    case ASLRT_STATE_WAIT:
        if (!!json_object_get(o, "Seconds") + !!json_object_get(o, "Timestamp") != 1)
            err_at(p, sp, ASL_AT_VALUE, "Exactly one of 'Seconds' and 'Timestamp' must be given");
        break;
    case ASLRT_STATE_PARALLEL:
        if (!json_object_get(o, "Branches"))
            err_at(p, sp, ASL_AT_VALUE, "These fields are required: [Branches]");
        break;
    case ASLRT_STATE_MAP:
        if (!json_object_get(o, "ItemProcessor") && !json_object_get(o, "Iterator"))
            err_at(p, sp, ASL_AT_VALUE, "These fields are required: [ItemProcessor]");
        break;
    default:
        break;
    }
    if (tbit & T_FLOW) {
        if (s->next && s->end)
            err_at(p, sp, ASL_AT_VALUE, "Only one of 'Next' and 'End' may be given");
        else if (!s->next && !s->end && !json_object_get(o, "Next"))
            err_at(p, sp, ASL_AT_VALUE, "One of 'Next' or 'End' is required");
    } else {
        s->end = s->type != ASLRT_STATE_CHOICE;
    }
}

static void parse_state(parser *p, asl_state *s)
{
    json_t *o = s->json;
    const char *key;
    json_t *val;
    unsigned tbit = 1u << s->type;

    json_object_foreach(o, key, val) {
        char *fptr = asl_ptr(p->u, s->ptr, key);
        const struct field_spec *f = NULL;
        for (size_t i = 0; i < ARRAY_LEN(state_fields) && !f; i++)
            if (strcmp(state_fields[i].name, key) == 0)
                f = &state_fields[i];
        if (!f || !(f->types & tbit)) {
            bool jsonata = false;
            for (size_t i = 0; jsonata_only[i]; i++)
                jsonata |= strcmp(jsonata_only[i], key) == 0;
            if (jsonata && f == NULL)
                err_at(p, fptr, ASL_AT_KEY,
                       "The QueryLanguage is set to 'JSONPath', but field '%s' is only supported "
                       "for the 'JSONata' QueryLanguage",
                       key);
            else
                err_at(p, fptr, ASL_AT_KEY, "Field '%s' is not supported", key);
            continue;
        }
        if (parse_common_field(p, s, key, val, fptr)) {
            continue;
        } else if (strcmp(key, "InputPath") == 0) {
            check_path(p, val, fptr, key, 0, true);
            s->input_path = val;
        } else if (strcmp(key, "OutputPath") == 0) {
            check_path(p, val, fptr, key, 0, true);
            s->output_path = val;
        } else if (strcmp(key, "ResultPath") == 0) {
            const char *rp = check_path(p, val, fptr, key, 1, true);
            if (rp && rp[1] == '$')
                err_in_string(p, fptr, 0, "The field 'ResultPath' cannot refer to the context object ($$)");
            else if (rp && rp[1] != '\0' && rp[1] != '.' && rp[1] != '[')
                err_in_string(p, fptr, 0, "The field 'ResultPath' cannot refer to a variable");
            s->result_path = val;
        } else if (strcmp(key, "Parameters") == 0) {
            check_object_template(p, val, fptr, key);
            if (s->type == ASLRT_STATE_MAP)
                s->item_selector = val;
            else
                s->parameters = val;
        } else if (strcmp(key, "ResultSelector") == 0) {
            check_object_template(p, val, fptr, key);
            s->result_selector = val;
        } else if (strcmp(key, "Assign") == 0) {
            check_object_template(p, val, fptr, key);
            s->assign = val;
        } else if (strcmp(key, "Result") == 0) {
            s->result = val;
        } else if (strcmp(key, "Retry") == 0) {
            s->retry = parse_handlers(p, val, fptr, false, &s->nretry);
        } else if (strcmp(key, "Catch") == 0) {
            s->catch_ = parse_handlers(p, val, fptr, true, &s->ncatch);
        } else if (strcmp(key, "Resource") == 0) {
            s->resource = want_string(p, val, fptr, key);
        } else if (strcmp(key, "TimeoutSeconds") == 0) {
            want_int(p, val, fptr, key, 1, 99999999, &s->timeout_seconds);
        } else if (strcmp(key, "HeartbeatSeconds") == 0) {
            want_int(p, val, fptr, key, 1, 99999999, &s->heartbeat_seconds);
        } else if (strcmp(key, "TimeoutSecondsPath") == 0) {
            s->timeout_path = check_path(p, val, fptr, key, 1, false);
        } else if (strcmp(key, "HeartbeatSecondsPath") == 0) {
            s->heartbeat_path = check_path(p, val, fptr, key, 1, false);
        } else if (strcmp(key, "Credentials") == 0) {
            if (!json_is_object(val))
                err_at(p, fptr, ASL_AT_VALUE, "The field 'Credentials' must be an object");
            else if (!json_object_get(val, "RoleArn") && !json_object_get(val, "RoleArn.$"))
                err_at(p, fptr, ASL_AT_VALUE, "The field 'RoleArn' is required but was missing");
            else
                check_template(p, val, fptr);
            s->credentials = val;
        } else if (strcmp(key, "Choices") == 0) {
            s->choices = parse_rule_list(p, val, fptr, key, &s->nchoices);
        } else if (strcmp(key, "Default") == 0) {
            s->default_next = want_string(p, val, fptr, key);
        } else if (strcmp(key, "Seconds") == 0) {
            want_int(p, val, fptr, key, 0, 99999999, &s->seconds);
        } else if (strcmp(key, "Timestamp") == 0) {
            const char *t = want_string(p, val, fptr, key);
            int64_t sec;
            int32_t ns;
            if (t && !aslrtp_timestamp_parse(t, &sec, &ns))
                err_at(p, fptr, ASL_AT_VALUE, "String does not match RFC3339 timestamp");
            else
                s->timestamp = t;
        } else if (strcmp(key, "SecondsPath") == 0) {
            s->seconds_path = check_path(p, val, fptr, key, 1, false);
        } else if (strcmp(key, "TimestampPath") == 0) {
            s->timestamp_path = check_path(p, val, fptr, key, 1, false);
        } else if (strcmp(key, "Error") == 0) {
            s->error = want_string(p, val, fptr, key);
        } else if (strcmp(key, "Cause") == 0) {
            s->cause = want_string(p, val, fptr, key);
        } else if (strcmp(key, "ErrorPath") == 0 || strcmp(key, "CausePath") == 0) {
            const char *t = want_string(p, val, fptr, key);
            if (t && check_dynamic(p, val, fptr, key, true)) {
                if (key[0] == 'E')
                    s->error_path = t;
                else
                    s->cause_path = t;
            }
        } else if (strcmp(key, "Branches") == 0 || strcmp(key, "ItemProcessor") == 0 ||
                   strcmp(key, "Iterator") == 0) {
            parse_nested(p, s, key, val, fptr);
        } else if (strcmp(key, "ItemsPath") == 0) {
            s->items_path = check_path(p, val, fptr, key, 1, false);
        } else if (strcmp(key, "ItemSelector") == 0) {
            if (s->item_selector)
                err_at(p, fptr, ASL_AT_KEY, "Only one of 'ItemSelector' and 'Parameters' may be given");
            check_object_template(p, val, fptr, key);
            s->item_selector = val;
        } else if (strcmp(key, "MaxConcurrency") == 0) {
            want_int(p, val, fptr, key, 0, 2147483647LL, &s->max_concurrency);
        } else if (strcmp(key, "ToleratedFailureCount") == 0) {
            want_int(p, val, fptr, key, 0, 2147483647LL, &s->tolerated_count);
        } else if (strcmp(key, "ToleratedFailurePercentage") == 0) {
            if (!json_is_number(val) || json_number_value(val) < 0 || json_number_value(val) > 100)
                err_at(p, fptr, ASL_AT_VALUE, "ToleratedFailurePercentage must be between 0 and 100.");
            else
                s->tolerated_percentage = json_number_value(val);
        } else if (strcmp(key, "MaxConcurrencyPath") == 0) {
            s->max_concurrency_path = check_path(p, val, fptr, key, 1, false);
        } else if (strcmp(key, "ToleratedFailureCountPath") == 0) {
            s->tolerated_count_path = check_path(p, val, fptr, key, 1, false);
        } else if (strcmp(key, "ToleratedFailurePercentagePath") == 0) {
            s->tolerated_percentage_path = check_path(p, val, fptr, key, 1, false);
        } else if (strcmp(key, "Label") == 0) {
            s->label = want_string(p, val, fptr, key);
        } else if (strcmp(key, "ItemReader") == 0) {
            parse_item_reader(p, s, val, fptr);
        } else if (strcmp(key, "ItemBatcher") == 0) {
            parse_item_batcher(p, s, val, fptr);
        } else {
            parse_result_writer(p, s, val, fptr);
        }
    }

    /* Required fields and exclusive pairs. */
    const char *sp = s->ptr;
    switch (s->type) {
    case ASLRT_STATE_TASK:
        if (!json_object_get(o, "Resource"))
            err_at(p, sp, ASL_AT_VALUE, "These fields are required: [Resource]");
        if (json_object_get(o, "TimeoutSeconds") && json_object_get(o, "TimeoutSecondsPath"))
            err_at(p, sp, ASL_AT_VALUE, "Only one of 'TimeoutSeconds' and 'TimeoutSecondsPath' may be given");
        if (json_object_get(o, "HeartbeatSeconds") && json_object_get(o, "HeartbeatSecondsPath"))
            err_at(p, sp, ASL_AT_VALUE, "Only one of 'HeartbeatSeconds' and 'HeartbeatSecondsPath' may be given");
        if (s->heartbeat_seconds && s->timeout_seconds &&
            s->heartbeat_seconds >= s->timeout_seconds)
            err_at(p, asl_ptr(p->u, sp, "HeartbeatSeconds"), ASL_AT_VALUE,
                   "'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'");
        break;
    case ASLRT_STATE_CHOICE:
        if (!json_object_get(o, "Choices"))
            err_at(p, sp, ASL_AT_VALUE, "These fields are required: [Choices]");
        break;
    case ASLRT_STATE_WAIT: {
        int n = !!json_object_get(o, "Seconds") + !!json_object_get(o, "Timestamp") +
                !!json_object_get(o, "SecondsPath") + !!json_object_get(o, "TimestampPath");
        if (n != 1)
            err_at(p, sp, ASL_AT_VALUE,
                   "Exactly one of 'Seconds', 'Timestamp', 'SecondsPath' and 'TimestampPath' "
                   "must be given");
        break;
    }
    case ASLRT_STATE_FAIL:
        if (json_object_get(o, "Error") && json_object_get(o, "ErrorPath"))
            err_at(p, sp, ASL_AT_VALUE, "Only one of 'Error' and 'ErrorPath' may be given");
        if (json_object_get(o, "Cause") && json_object_get(o, "CausePath"))
            err_at(p, sp, ASL_AT_VALUE, "Only one of 'Cause' and 'CausePath' may be given");
        break;
    case ASLRT_STATE_PARALLEL:
        if (!json_object_get(o, "Branches"))
            err_at(p, sp, ASL_AT_VALUE, "These fields are required: [Branches]");
        break;
    case ASLRT_STATE_MAP: {
        if (!json_object_get(o, "ItemProcessor") && !json_object_get(o, "Iterator"))
            err_at(p, sp, ASL_AT_VALUE, "These fields are required: [ItemProcessor]");
        static const char *const pairs[][2] = {
            {"MaxConcurrency", "MaxConcurrencyPath"},
            {"ToleratedFailureCount", "ToleratedFailureCountPath"},
            {"ToleratedFailurePercentage", "ToleratedFailurePercentagePath"}};
        for (size_t i = 0; i < 3; i++)
            if (json_object_get(o, pairs[i][0]) && json_object_get(o, pairs[i][1]))
                err_at(p, sp, ASL_AT_VALUE, "Only one of '%s' and '%s' may be given", pairs[i][0],
                       pairs[i][1]);
        break;
    }
    default:
        break;
    }
    if (tbit & T_FLOW) {
        if (s->next && s->end)
            err_at(p, sp, ASL_AT_VALUE, "Only one of 'Next' and 'End' may be given");
        else if (!s->next && !s->end && !json_object_get(o, "Next"))
            err_at(p, sp, ASL_AT_VALUE, "One of 'Next' or 'End' is required");
    } else {
        s->end = s->type != ASLRT_STATE_CHOICE;
    }
}

static int by_name(const void *a, const void *b)
{
    const asl_state *x = *(asl_state *const *)a, *y = *(asl_state *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

asl_state *asl_graph_find(const asl_graph *g, const char *name)
{
    size_t lo = 0, hi = g->nstates;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(g->by_name[mid]->name, name);
        if (c == 0)
            return g->by_name[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static asl_graph *parse_graph(parser *p, json_t *o, const char *ptr, asl_state *owner)
{
    if (!json_is_object(o)) {
        err_at(p, ptr, ASL_AT_VALUE, owner ? "A branch or item processor must be an object"
                                           : "Definition must be a valid JSON object");
        return NULL;
    }
    if (++p->depth > 32) {
        err_at(p, ptr, ASL_AT_VALUE, "The definition is too deeply nested");
        p->depth--;
        return NULL;
    }
    asl_graph *g = asl_alloc(p->u, sizeof *g);
    g->ptr = (char *)ptr;
    g->owner = owner;
    if (p->ngraphs == p->capgraphs) {
        p->capgraphs = p->capgraphs ? 2 * p->capgraphs : 16;
        p->graphs = aslrtp_reallocarray(p->graphs, p->capgraphs, sizeof *p->graphs);
    }
    g->id = p->ngraphs;
    p->graphs[p->ngraphs++] = g;

    json_t *states = json_object_get(o, "States");
    json_t *start = json_object_get(o, "StartAt");
    if (!states && !start)
        err_at(p, ptr, ASL_AT_VALUE, "These fields are required: [States, StartAt]");
    else if (!states)
        err_at(p, ptr, ASL_AT_VALUE, "These fields are required: [States]");
    else if (!start)
        err_at(p, ptr, ASL_AT_VALUE, "These fields are required: [StartAt]");

    const char *key;
    json_t *val;
    json_object_foreach(o, key, val) {
        char *fptr = asl_ptr(p->u, ptr, key);
        if (strcmp(key, "StartAt") == 0) {
            g->start_at = want_string(p, val, fptr, key);
        } else if (strcmp(key, "Comment") == 0) {
            const char *c = want_string(p, val, fptr, key);
            if (!owner)
                p->m->comment = c;
        } else if (strcmp(key, "States") == 0) {
            continue;
        } else if (!owner && strcmp(key, "Version") == 0) {
            p->m->version = want_string(p, val, fptr, key);
        } else if (!owner && strcmp(key, "TimeoutSeconds") == 0) {
            want_int(p, val, fptr, key, 0, 99999999, &p->m->timeout_seconds);
        } else if (!owner && strcmp(key, "QueryLanguage") == 0) {
            const char *q = want_string(p, val, fptr, key);
            if (q && strcmp(q, "JSONPath") != 0 && strcmp(q, "JSONata") != 0)
                err_at(p, fptr, ASL_AT_VALUE,
                       "The field 'QueryLanguage' should have one of these values: [JSONPath, JSONata]");
            p->m->query_language = q;
        } else if (owner && owner->type == ASLRT_STATE_MAP && strcmp(key, "ProcessorConfig") == 0) {
            if (!json_is_object(val)) {
                err_at(p, fptr, ASL_AT_VALUE, "The field 'ProcessorConfig' must be an object");
                continue;
            }
            const char *ck;
            json_t *cv;
            json_object_foreach(val, ck, cv) {
                char *cptr = asl_ptr(p->u, fptr, ck);
                const char *v = json_string_value(cv);
                if (strcmp(ck, "Mode") == 0) {
                    if (!v || (strcmp(v, "INLINE") != 0 && strcmp(v, "DISTRIBUTED") != 0))
                        err_at(p, cptr, ASL_AT_VALUE,
                               "The field 'Mode' should have one of these values: [INLINE, DISTRIBUTED]");
                    owner->distributed = v && strcmp(v, "DISTRIBUTED") == 0;
                } else if (strcmp(ck, "ExecutionType") == 0) {
                    if (!v || (strcmp(v, "STANDARD") != 0 && strcmp(v, "EXPRESS") != 0))
                        err_at(p, cptr, ASL_AT_VALUE,
                               "The field 'ExecutionType' should have one of these values: [STANDARD, EXPRESS]");
                    owner->express_children = v && strcmp(v, "EXPRESS") == 0;
                } else {
                    err_at(p, cptr, ASL_AT_KEY, "Field '%s' is not supported", ck);
                }
            }
            if (owner->distributed && !json_object_get(val, "ExecutionType"))
                err_at(p, fptr, ASL_AT_VALUE, "These fields are required: [ExecutionType]");
            owner->map_json = owner->json;
        } else {
            err_at(p, fptr, ASL_AT_KEY, "Field '%s' is not supported", key);
        }
    }

    if (states && !json_is_object(states)) {
        err_at(p, asl_ptr(p->u, ptr, "States"), ASL_AT_VALUE, "The field 'States' must be an object");
        states = NULL;
    }
    char *sptr = asl_ptr(p->u, ptr, "States");
    size_t n = states ? json_object_size(states) : 0;
    g->states = asl_alloc(p->u, (n + 1) * sizeof *g->states);
    json_object_foreach(states, key, val) {
        asl_state *s = asl_alloc(p->u, sizeof *s);
        s->name = key;
        s->ptr = asl_ptr(p->u, sptr, key);
        s->json = val;
        s->graph = g;
        s->seconds = -1;
        s->tolerated_count = -1;
        s->tolerated_percentage = -1;
        if (!json_is_object(val)) {
            err_at(p, s->ptr, ASL_AT_VALUE, "A state must be an object");
            continue;
        }
        json_t *type = json_object_get(val, "Type");
        const char *tname = json_string_value(type);
        for (size_t i = 0; tname && i < ARRAY_LEN(state_types); i++)
            if (strcmp(state_types[i].name, tname) == 0)
                s->type = state_types[i].type;
        if (!type) {
            err_at(p, s->ptr, ASL_AT_VALUE, "These fields are required: [Type]");
            continue;
        }
        if (!s->type) {
            err_at(p, asl_ptr(p->u, s->ptr, "Type"), ASL_AT_VALUE,
                   "The field 'Type' should have one of these values: [Task, Wait, Pass, "
                   "Succeed, Fail, Choice, Parallel, Map]");
            continue;
        }
        s->index = g->nstates;
        g->states[g->nstates++] = s;
        add_state(p, s);
        const char *ql = json_string_value(json_object_get(val, "QueryLanguage"));
        if (!ql)
            ql = p->m->query_language;
        if (ql && strcmp(ql, "JSONata") == 0)
            parse_state_jsonata(p, s);
        else
            parse_state(p, s);
    }
    /* Transitions name their targets: an index makes resolving them cheap
     * for machines of thousands of states. */
    g->by_name = asl_alloc(p->u, (g->nstates + 1) * sizeof *g->by_name);
    if (g->nstates)
        memcpy(g->by_name, g->states, g->nstates * sizeof *g->states);
    qsort(g->by_name, g->nstates, sizeof *g->by_name, by_name);
    p->depth--;
    return g;
}

asl_machine *asl_parse_machine(asl_unit *u)
{
    if (!u->root)
        return NULL;
    parser p = {.u = u};
    if (!json_is_object(u->root)) {
        asl_diag_add(&u->diags, ASL_DIAG_ERROR, "", ASL_AT_VALUE, 0, SCHEMA,
                     "Definition must be a valid JSON object");
        return NULL;
    }
    p.m = asl_alloc(u, sizeof *p.m);
    p.m->top = parse_graph(&p, u->root, "", NULL);
    p.m->states = asl_alloc(u, (p.nall + 1) * sizeof *p.m->states);
    if (p.nall)
        memcpy(p.m->states, p.all, p.nall * sizeof *p.all);
    p.m->nstates = p.nall;
    p.m->graphs = asl_alloc(u, (p.ngraphs + 1) * sizeof *p.m->graphs);
    memcpy(p.m->graphs, p.graphs, p.ngraphs * sizeof *p.graphs);
    p.m->ngraphs = p.ngraphs;
    free(p.all);
    free(p.graphs);
    return p.m;
}
