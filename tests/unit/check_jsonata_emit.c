/*
 * check_jsonata_emit.c - the JSONata AST as C data (compiler/emit_jsonata.c)
 * evaluates as the parsed AST does.
 *
 * Every expression below is parsed, written out by asl_emit_jsonata, and
 * the whole file compiled at once: in memory with libtcc when aslc has it
 * (the `aslc run` path), else with cc into a shared object.  Each compiled
 * tree is then evaluated on the same input as the parsed one and the two
 * results (or errors) must be identical.  The expressions cover every node
 * kind of aslrt.h, which the test checks too.
 */
#include <config.h>

#include <check.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBTCC
#include <libtcc.h>
#endif

#include "aslrt_private.h"
#include "backend.h"
#include "jsonata/jsonata.h"
#include "testutil.h"

#ifndef JN_RUNTIME_DIR
#define JN_RUNTIME_DIR "runtime"
#endif

static const struct {
    const char *expr;
    const char *input;
} cases[] = {
    {"Account.Order[0].Product.Name", "{\"Account\":{\"Order\":[{\"Product\":[{\"Name\":\"a\"},{\"Name\":\"b\"}]}]}}"},
    {"a.b[c > 1][0].d[]", "{\"a\":{\"b\":[{\"c\":1,\"d\":1},{\"c\":2,\"d\":2},{\"c\":3,\"d\":3}]}}"},
    {"1 + 2 - 3 * 4 / 5 % 6", NULL},
    {"[1 = 1, 1 != 2, 1 < 2, 2 <= 2, 3 > 2, 3 >= 4, 'a' & 'b', true and false, true or false, 2 in [1,2]]", NULL},
    {"[1..5, -(3), -0, 1e300, 0.1, 123.456e-7]", NULL},
    {"{'k': [1, [2, 3]], 'n': null, 't': true, 'f': false, \"s\\u0000x\": 'caf\\u00e9 \\ud83d\\ude00'}", NULL},
    {"*.x", "{\"a\":{\"x\":1},\"b\":{\"x\":2}}"},
    {"**.x", "{\"a\":{\"x\":1,\"b\":[{\"x\":2}]}}"},
    {"a.b.{'up': %.n, 'top': %.%.t}", "{\"t\":0,\"a\":{\"n\":1,\"b\":[{},{}]}}"},
    {"x > 1 ? 'big' : x = 1 ? 'one'", "{\"x\":1}"},
    {"[y ? y : 'zero', $exists(z) ? z : 'none']", "{\"x\":1,\"y\":0}"},
    {"($a := 2; $b := function($x)<n:n>{$x * $a}; $b(5))", NULL},
    {"($f := function($n, $acc){$n = 0 ? $acc : $f($n - 1, $acc * $n)}; $f(10, 1))", NULL},
    {"$match('ab12cd345', /[0-9]+/i).match", NULL},
    {"($sub := $substring(?, 1, ?); $sub('hello', 3))", NULL},
    {"'  x ' ~> $trim() ~> $uppercase()", NULL},
    {"($c := $trim ~> $lowercase; $c(' AB '))", NULL},
    {"$ ~> |a|{'y': 1}, ['x']|", "{\"a\":{\"x\":1,\"z\":2}}"},
    {"items^(>price, name).name", "{\"items\":[{\"name\":\"a\",\"price\":1},{\"name\":\"b\",\"price\":3},{\"name\":\"c\",\"price\":3}]}"},
    {"items[name != 'b']#$i.{'n': name, 'i': $i}", "{\"items\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"}]}"},
    {"items#$i[$i > 0].name", "{\"items\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"}]}"},
    {"loans@$l.books@$b[$l.isbn = $b.isbn].{'t': $b.title, 'c': $l.who}", "{\"loans\":[{\"isbn\":1,\"who\":\"x\"}],\"books\":[{\"isbn\":1,\"title\":\"T\"},{\"isbn\":2,\"title\":\"U\"}]}"},
    {"items{name: $sum(price)}", "{\"items\":[{\"name\":\"a\",\"price\":1},{\"name\":\"a\",\"price\":3},{\"name\":\"c\",\"price\":3}]}"},
    {"$[0][1]", "[[1,2],[3]]"},
    {"[$.a, $$.b]", "{\"a\":1,\"b\":2}"},
    {"function($x, $y){$x + $y}(1, 2)", NULL},
    {"`quoted name` & \"lit\"", "{\"quoted name\":\"q\"}"},
    {"$map([1,2,3], function($v){$v * 2})", NULL},
    {"$notafunction()", NULL},
    {"1 + 'a'", NULL},
};

/* Every node kind occurs among the cases. */
static void mark(const aslrt_jn_node *n, bool *seen)
{
    if (!n)
        return;
    if (n->type > 0 && n->type < 64)
        seen[n->type] = true;
    mark(n->lhs, seen);
    mark(n->rhs, seen);
    mark(n->third, seen);
    mark(n->group, seen);
    for (int i = 0; i < n->nitems; i++)
        mark(n->items[i], seen);
    for (int i = 0; i < n->nstages; i++)
        mark(n->stages[i], seen);
    for (int i = 0; i < n->npredicate; i++)
        mark(n->predicate[i], seen);
}

static char *outcome(jn_ctx *cx, const aslrt_jn_node *ast, const char *input, json_t **keep)
{
    jn_value *in = NULL;
    if (input) {
        json_t *j = json_loads(input, JSON_DECODE_ANY, NULL);
        ck_assert_ptr_nonnull(j);
        json_array_append_new(*keep, j);
        in = jn_from_json(cx, j);
    }
    jn_value *r;
    jn_error err;
    if (!jn_eval(cx, ast, in, &r, &err))
        return aslrtp_strdupf("error %s %s %s", err.code, err.token, err.message);
    json_t *j = jn_to_json(r, NULL);
    if (!j)
        return strdup("undefined");
    aslrtp_buf b = {0};
    aslrtp_buf_add_json(&b, j);
    json_decref(j);
    return aslrtp_buf_finish(&b);
}

/* Compiles src; returns the address of `jn_roots`.  *handle is what to
 * release afterwards (a TCCState or a dlopen handle). */
static const aslrt_jn_node *const *compile(const char *src, void **handle)
{
#ifdef HAVE_LIBTCC
    TCCState *s = tcc_new();
    ck_assert_ptr_nonnull(s);
#ifdef ASLC_TCC_LIBDIR
    tcc_set_lib_path(s, ASLC_TCC_LIBDIR);
#endif
    tcc_set_output_type(s, TCC_OUTPUT_MEMORY);
    tcc_set_options(s, "-std=c11");
    tcc_add_include_path(s, JN_RUNTIME_DIR);
    ck_assert_int_eq(tcc_compile_string(s, src), 0);
    ck_assert_int_ge(tcc_relocate(s, TCC_RELOCATE_AUTO), 0);
    *handle = s;
    return tcc_get_symbol(s, "jn_roots");
#else
    char cpath[] = "/tmp/check_jsonata_emitXXXXXX";
    int fd = mkstemp(cpath);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs(src, f);
    fclose(f);
    char *so = aslrtp_strdupf("%s.so", cpath);
    char *cmd = aslrtp_strdupf("cc -x c -std=c11 -shared -fPIC -I%s -o %s %s", JN_RUNTIME_DIR,
                               so, cpath);
    ck_assert_int_eq(system(cmd), 0);
    void *h = dlopen(so, RTLD_NOW);
    ck_assert_ptr_nonnull(h);
    unlink(cpath);
    unlink(so);
    free(so);
    free(cmd);
    *handle = h;
    return dlsym(h, "jn_roots");
#endif
}

static void release(void *handle)
{
#ifdef HAVE_LIBTCC
    tcc_delete(handle);
#else
    dlclose(handle);
#endif
}

START_TEST(emitted_trees_evaluate_alike)
{
    enum { N = sizeof cases / sizeof cases[0] };
    jn_ctx *cx = jn_ctx_create(NULL);
    const aslrt_jn_node *parsed[N];
    bool seen[64] = {false};
    char *src = NULL;
    size_t srclen = 0;
    FILE *out = open_memstream(&src, &srclen);
    fputs("#include \"aslrt.h\"\n", out);
    for (int i = 0; i < N; i++) {
        jn_error err;
        parsed[i] = jn_parse(cx, cases[i].expr, strlen(cases[i].expr), &err);
        ck_assert_msg(parsed[i] != NULL, "%s: %s", cases[i].expr, err.message);
        mark(parsed[i], seen);
        char prefix[16];
        snprintf(prefix, sizeof prefix, "e%d", i);
        asl_emit_jsonata(out, parsed[i], prefix);
    }
    fputs("const aslrt_jn_node *const jn_roots[] = {", out);
    for (int i = 0; i < N; i++)
        fprintf(out, "%s&e%d", i ? ", " : "", i);
    fputs("};\n", out);
    fclose(out);

    for (int t = ASLRT_JN_PATH; t <= ASLRT_JN_GROUP; t++)
        ck_assert_msg(seen[t], "no case has a node of kind %d", t);

    void *handle;
    const aslrt_jn_node *const *roots = compile(src, &handle);
    ck_assert_ptr_nonnull(roots);
    json_t *keep = json_array();
    for (int i = 0; i < N; i++) {
        char *want = outcome(cx, parsed[i], cases[i].input, &keep);
        char *got = outcome(cx, roots[i], cases[i].input, &keep);
        ck_assert_msg(strcmp(want, got) == 0, "%s: parsed %s, emitted %s", cases[i].expr, want,
                      got);
        ck_assert_msg(strcmp(want, "undefined") != 0 || i >= N - 2, "%s gave nothing",
                      cases[i].expr);
        free(want);
        free(got);
    }
    json_decref(keep);
    release(handle);
    free(src);
    jn_ctx_destroy(cx);
}
END_TEST

START_TEST(strings_and_numbers_read_back)
{
    jn_ctx *cx = jn_ctx_create(NULL);
    const char *expr = "[\"a\\u0000b\\\"c\\\\\", 0.1, 1.7976931348623157e308, 5e-324]";
    jn_error err;
    const aslrt_jn_node *ast = jn_parse(cx, expr, strlen(expr), &err);
    ck_assert_ptr_nonnull(ast);
    char *src = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&src, &len);
    fputs("#include \"aslrt.h\"\n", out);
    asl_emit_jsonata(out, ast, "lit");
    fputs("const aslrt_jn_node *const jn_roots[] = {&lit};\n", out);
    fclose(out);
    void *handle;
    const aslrt_jn_node *const *roots = compile(src, &handle);
    const aslrt_jn_node *a = roots[0];
    ck_assert_int_eq(a->type, ASLRT_JN_ARRAY);
    ck_assert_int_eq(a->nitems, 4);
    ck_assert_uint_eq(a->items[0]->len, 6);
    ck_assert_mem_eq(a->items[0]->str, "a\0b\"c\\", 6);
    ck_assert(a->items[1]->number == 0.1);
    ck_assert(a->items[2]->number == 1.7976931348623157e308);
    ck_assert(a->items[3]->number == 5e-324);
    release(handle);
    free(src);
    jn_ctx_destroy(cx);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("jsonata_emit");
    TCase *tc = tcase_create("emit");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, emitted_trees_evaluate_alike);
    tcase_add_test(tc, strings_and_numbers_read_back);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = run_suite(suite(), CK_NORMAL);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
