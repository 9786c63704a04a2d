/*
 * machines.h - two machine descriptors compared table by table, field by
 * field (pointers aside): the C backend's against the LLVM backend's
 * (check_llvm) and against the one machine.c builds in memory
 * (check_compiler).  Included by one test file each.
 */
#ifndef ASLC_TEST_MACHINES_H
#define ASLC_TEST_MACHINES_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aslrt.h"

static void same_str(const char *a, const char *b, const char *what)
{
    ck_assert_msg((a == NULL) == (b == NULL) && (!a || strcmp(a, b) == 0),
                  "%s: \"%s\" against \"%s\"", what, a ? a : "(null)", b ? b : "(null)");
}

static void same_errors(const char *const *a, const char *const *b, int n)
{
    for (int i = 0; i < n; i++)
        same_str(a[i], b[i], "ErrorEquals");
}

static void same_jn(const aslrt_jn_node *a, const aslrt_jn_node *b);

static void same_jn_list(const aslrt_jn_node *const *a, const aslrt_jn_node *const *b, int n)
{
    ck_assert((a == NULL) == (b == NULL));
    for (int i = 0; a && i < n; i++)
        same_jn(a[i], b[i]);
}

static void same_jn(const aslrt_jn_node *a, const aslrt_jn_node *b)
{
    ck_assert((a == NULL) == (b == NULL));
    if (!a)
        return;
    ck_assert_int_eq(a->type, b->type);
    ck_assert_int_eq(a->op, b->op);
    ck_assert_int_eq(a->flags, b->flags);
    ck_assert_int_eq(a->position, b->position);
    ck_assert(memcmp(&a->number, &b->number, sizeof a->number) == 0); /* -0.0, NaN bits */
    ck_assert_uint_eq(a->len, b->len);
    ck_assert((a->str == NULL) == (b->str == NULL));
    if (a->str)
        ck_assert(memcmp(a->str, b->str, a->len + 1) == 0);
    ck_assert_uint_eq(a->hash, b->hash);
    same_str(a->str2, b->str2, "str2");
    same_str(a->focus, b->focus, "focus");
    same_str(a->index, b->index, "index");
    same_str(a->ancestor, b->ancestor, "ancestor");
    same_jn(a->lhs, b->lhs);
    same_jn(a->rhs, b->rhs);
    same_jn(a->third, b->third);
    same_jn(a->group, b->group);
    ck_assert_int_eq(a->nitems, b->nitems);
    ck_assert_int_eq(a->nstages, b->nstages);
    ck_assert_int_eq(a->npredicate, b->npredicate);
    same_jn_list(a->items, b->items, a->nitems);
    same_jn_list(a->stages, b->stages, a->nstages);
    same_jn_list(a->predicate, b->predicate, a->npredicate);
}

/* An item's value, given or parsed from its text: the same JSON. */
static void same_value(const aslrt_item *x, const aslrt_item *y)
{
    if (!x->value && !y->value)
        return;
    ck_assert(x->kind == ASLRT_ITEM_JSON || x->kind == ASLRT_ITEM_TEMPLATE);
    json_t *a = x->value ? json_incref((json_t *)x->value) : json_loads(x->text, JSON_DECODE_ANY, NULL);
    json_t *b = y->value ? json_incref((json_t *)y->value) : json_loads(y->text, JSON_DECODE_ANY, NULL);
    ck_assert_msg(a && b && json_equal(a, b), "item value differs from its text '%s'", x->text);
    json_decref(a);
    json_decref(b);
}

/* Every table of two machines: the same values (pointers aside). */
static void same_machine(const aslrt_machine *a, const aslrt_machine *b)
{
    ck_assert_int_eq(a->abi_version, b->abi_version);
    same_str(a->name, b->name, "name");
    same_str(a->source, b->source, "source");
    ck_assert_int_eq(a->nitems, b->nitems);
    ck_assert_int_eq(a->nstates, b->nstates);
    ck_assert_int_eq(a->ncmps, b->ncmps);
    ck_assert_int_eq(a->ngraphs, b->ngraphs);
    ck_assert_int_eq(a->nretriers, b->nretriers);
    ck_assert_int_eq(a->ncatchers, b->ncatchers);
    ck_assert_int_eq(a->timeout_seconds, b->timeout_seconds);
    ck_assert_int_eq(a->flags, b->flags);
    for (int i = 0; i < a->nitems; i++) {
        const aslrt_item *x = &a->items[i], *y = &b->items[i];
        ck_assert_int_eq(x->kind, y->kind);
        same_str(x->text, y->text, "item text");
        same_str(x->field, y->field, "item field");
        ck_assert_int_eq(x->nexprs, y->nexprs);
        for (int k = 0; k < x->nexprs; k++)
            same_jn(x->exprs[k], y->exprs[k]);
        same_value(x, y);
    }
    ck_assert(memcmp(a->cmps, b->cmps, (size_t)a->ncmps * sizeof *a->cmps) == 0);
    ck_assert_int_eq(a->nrules, b->nrules);
    ck_assert(memcmp(a->rules, b->rules, (size_t)a->nrules * sizeof *a->rules) == 0);
    for (int i = 0; i < a->nstates; i++) {
        aslrt_state x, y; /* memcpy keeps the padding, which memcmp sees */
        memcpy(&x, &a->states[i], sizeof x);
        memcpy(&y, &b->states[i], sizeof y);
        same_str(x.name, y.name, "state name");
        same_str(x.resource, y.resource, "resource");
        same_str(x.timestamp, y.timestamp, "timestamp");
        same_str(x.error, y.error, "error");
        same_str(x.cause, y.cause, "cause");
        same_str(x.reader_resource, y.reader_resource, "reader_resource");
        same_str(x.writer_resource, y.writer_resource, "writer_resource");
        same_str(x.label, y.label, "label");
        ck_assert_int_eq(x.nbranches, y.nbranches);
        ck_assert((x.branches == NULL) == (y.branches == NULL));
        if (x.branches)
            ck_assert(memcmp(x.branches, y.branches, (size_t)x.nbranches * sizeof(int)) == 0);
        /* Everything else is numbers: compare the structs with the
         * pointers cleared (the padding is zero in both: constant data). */
        x.name = y.name = x.resource = y.resource = x.timestamp = y.timestamp = NULL;
        x.error = y.error = x.cause = y.cause = NULL;
        x.reader_resource = y.reader_resource = x.writer_resource = y.writer_resource = NULL;
        x.label = y.label = NULL;
        x.branches = y.branches = NULL;
        size_t at = 0;
        while (at < sizeof x && ((unsigned char *)&x)[at] == ((unsigned char *)&y)[at])
            at++;
        ck_assert_msg(at == sizeof x, "state %d differs at byte %zu", i, at);
    }
    for (int i = 0; i < a->nretriers; i++) {
        const aslrt_retrier *x = &a->retriers[i], *y = &b->retriers[i];
        ck_assert_int_eq(x->nerrors, y->nerrors);
        same_errors(x->errors, y->errors, x->nerrors);
        ck_assert(x->interval == y->interval && x->backoff == y->backoff);
        ck_assert_int_eq(x->max_attempts, y->max_attempts);
        ck_assert_int_eq(x->max_delay, y->max_delay);
        ck_assert_int_eq(x->jitter_full, y->jitter_full);
    }
    for (int i = 0; i < a->ncatchers; i++) {
        const aslrt_catcher *x = &a->catchers[i], *y = &b->catchers[i];
        ck_assert_int_eq(x->nerrors, y->nerrors);
        same_errors(x->errors, y->errors, x->nerrors);
        ck_assert_int_eq(x->result_path, y->result_path);
        ck_assert_int_eq(x->assign, y->assign);
        ck_assert_int_eq(x->output, y->output);
    }
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, n, m);
    fclose(m);
    fclose(f);
    return buf;
}

#endif /* ASLC_TEST_MACHINES_H */
