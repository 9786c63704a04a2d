/*
 * children.c - the state machines a workflow starts as nested executions
 * (states:startExecution), turned into code: on first use in memory for
 * `aslc run` (the loader libaslrt calls, aslrt_machine_loader_fn), or all
 * at once into C for `aslc build`, which links them into the binary with a
 * main() that hands them to the runtime (aslrt_main_nested).
 *
 * Each child goes through the whole pipeline (load, parse, validate,
 * lower, emit) as the parent did; a child that does not compile is an
 * error with its diagnostics as text.  The runtime finds children by ARN
 * (runtime/nested.c): here only definition files are compiled.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aslrt_private.h"
#include "ast.h"
#include "backend.h"
#include "children.h"
#include "config.h"
#include "ir.h"
#include "unit.h"

/* ---- One definition through the pipeline -------------------------------- */

/* The definition file path lowered to a cfg in *u (destroy it after use),
 * or NULL with *why (malloc'd): the diagnostics as text. */
static asl_cfg *lower_file(const char *path, const char *name, asl_unit **u, char **why)
{
    const char *ioerr;
    *u = asl_unit_load(path, &ioerr);
    if (!*u) {
        *why = aslrtp_strdupf("cannot read '%s': %s", path, ioerr);
        return NULL;
    }
    asl_machine *m = asl_parse_machine(*u);
    if (m)
        asl_validate_machine(*u, m);
    if (m && (*u)->diags.nerrors == 0)
        asl_validate_supported(*u, m, ASL_DIAG_ERROR);
    if (m && (*u)->diags.nerrors == 0)
        return asl_lower_machine(*u, m, name);
    /* The diagnostics, as aslc check would print them. */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f) {
        asl_diag_sort(&(*u)->diags, (*u)->text, (*u)->len);
        asl_diag_print(f, &(*u)->diags, path, (*u)->text, (*u)->len, 5);
        fclose(f);
    }
    while (text && len > 0 && text[len - 1] == '\n')
        text[--len] = '\0';
    *why = aslrtp_strdupf("the definition '%s' is not valid:\n%s", path, text ? text : "");
    free(text);
    return NULL;
}

/* The state machine name a file stands for: its name without the folder
 * and the .asl.json or .json ending. */
static char *name_of(const char *path)
{
    const char *base = strrchr(path, '/');
    char *name = aslrtp_strdup(base ? base + 1 : path);
    size_t n = strlen(name);
    if (n > 9 && strcmp(name + n - 9, ".asl.json") == 0)
        name[n - 9] = '\0';
    else if (n > 5 && strcmp(name + n - 5, ".json") == 0)
        name[n - 5] = '\0';
    return name;
}

/* ---- aslc run: compiled on first use ------------------------------------ */

/* ---- In memory: TinyCC, or LLVM's ORC ------------------------------------ */

struct asl_compiled {
    aslrt_program *prog;
#ifdef HAVE_LIBTCC
    asl_jit *jit;
#endif
#ifdef HAVE_LLVM
    asl_llvm_jit *ljit;
#endif
};

void asl_compiled_destroy(asl_compiled *c)
{
    if (!c)
        return;
    aslrt_program_destroy(c->prog);
#ifdef HAVE_LIBTCC
    asl_jit_destroy(c->jit);
#endif
#ifdef HAVE_LLVM
    asl_llvm_jit_destroy(c->ljit);
#endif
    free(c);
}

const aslrt_program *asl_compiled_program(const asl_compiled *c)
{
    return c->prog;
}

asl_compiled *asl_compile_memory(const asl_cfg *cfg, const char *prefix, bool llvm, char **why)
{
    asl_compiled *c = aslrtp_calloc(1, sizeof *c);
    const aslrt_machine *m = NULL;
    *why = NULL;
    if (llvm) {
#ifdef HAVE_LLVM
        c->ljit = asl_llvm_jit_compile(cfg, prefix, 0, why);
        m = c->ljit ? asl_llvm_jit_machine(c->ljit) : NULL;
#else
        *why = aslrtp_strdup("this aslc was built without LLVM");
#endif
    } else {
#ifdef HAVE_LIBTCC
        c->jit = asl_jit_compile_cfg(cfg, prefix, why);
        m = c->jit ? asl_jit_machine(c->jit) : NULL;
#else
        *why = aslrtp_strdup("this aslc was built without libtcc, its in-memory backend "
                             "(use the LLVM backend, or build with aslc build)");
#endif
    }
    if (m) {
        aslrt_error e = {NULL, NULL};
        c->prog = aslrt_program_create(m, &e);
        if (!c->prog)
            *why = aslrtp_strdup(e.cause ? e.cause : "the machine does not load");
        aslrt_error_clear(&e);
    }
    if (!c->prog) {
        if (!*why)
            *why = aslrtp_strdup("the machine does not compile");
        asl_compiled_destroy(c);
        return NULL;
    }
    return c;
}

/* ---- aslc run: compiled on first use ------------------------------------ */

typedef struct loaded {
    char *path;                 /* realpath of the definition */
    asl_compiled *code;
} loaded;

struct asl_children {
    bool llvm;                  /* compile with LLVM's ORC (else TinyCC) */
    pthread_mutex_t mu;         /* the table */
    loaded *v;
    size_t n;
};

asl_children *asl_children_create(bool llvm)
{
    asl_children *c = aslrtp_calloc(1, sizeof *c);
    c->llvm = llvm;
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void asl_children_destroy(asl_children *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        asl_compiled_destroy(c->v[i].code);
        free(c->v[i].path);
    }
    free(c->v);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* Compiles path into l (its path already set); false with *why. */
static bool compile_into(asl_children *c, loaded *l, const char *path, char **why)
{
    asl_unit *u = NULL;
    char *name = name_of(path);
    asl_cfg *cfg = lower_file(path, name, &u, why);
    if (cfg) {
        char prefix[48];
        snprintf(prefix, sizeof prefix, "aslc_child_%zu", c->n);
        l->code = asl_compile_memory(cfg, prefix, c->llvm, why);
    }
    free(name);
    asl_unit_destroy(u);
    return l->code != NULL;
}

const aslrt_program *asl_children_load(void *ud, const char *arn, const char *path,
                                       aslrt_error *err)
{
    asl_children *c = ud;
    char *real = realpath(path, NULL);
    if (!real) {
        char *m = aslrtp_strdupf("the state machine '%s': cannot read '%s'", arn, path);
        aslrt_error_set(err, "aslc.InvalidStateMachine", m);
        free(m);
        return NULL;
    }
    pthread_mutex_lock(&c->mu);
    const aslrt_program *p = NULL;
    for (size_t i = 0; i < c->n && !p; i++)
        if (strcmp(c->v[i].path, real) == 0)
            p = asl_compiled_program(c->v[i].code);
    if (p) {
        free(real);
    } else {
        loaded l = {.path = real};
        char *why = NULL;
        if (compile_into(c, &l, path, &why)) {
            c->v = aslrtp_reallocarray(c->v, c->n + 1, sizeof *c->v);
            c->v[c->n++] = l;
            p = asl_compiled_program(l.code);
        } else {
            char *m = aslrtp_strdupf("the state machine '%s' does not compile: %s", arn,
                                     why ? why : "");
            aslrt_error_set(err, "aslc.InvalidStateMachine", m);
            free(m);
            free(real);
        }
        free(why);
    }
    pthread_mutex_unlock(&c->mu);
    return p;
}

size_t asl_children_count(asl_children *c)
{
    pthread_mutex_lock(&c->mu);
    size_t n = c->n;
    pthread_mutex_unlock(&c->mu);
    return n;
}

/* ---- aslc build: every child named, compiled to C ----------------------- */

/* Appends a child (key, definition file) to the list, unless a child of
 * that key is there already. */
static void add_child(asl_child_c **v, size_t *n, const char *key, const char *source)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*v)[i].key, key) == 0)
            return;
    *v = aslrtp_reallocarray(*v, *n + 1, sizeof **v);
    (*v)[(*n)++] = (asl_child_c){aslrtp_strdup(key), aslrtp_strdup(source), NULL};
}

/* The "StateMachines" section of the bindings file path: read as the
 * runtime reads it (paths relative to the file). */
static bool children_of_bindings(const char *path, asl_child_c **v, size_t *n, char **err)
{
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc) {
        *err = aslrtp_strdupf("%s:%d:%d: %s", path, je.line, je.column, je.text);
        return false;
    }
    json_t *sms = json_object_get(doc, "StateMachines");
    char *dir = aslrtp_strdup(path);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[1] = '\0';
    else
        dir[0] = '\0';
    bool ok = true;
    const char *key;
    json_t *file;
    if (sms && !json_is_object(sms)) {
        *err = aslrtp_strdupf("%s: /StateMachines: expected an object mapping state machine ARNs "
                              "or names to definition files",
                              path);
        ok = false;
    }
    json_object_foreach(sms, key, file) {
        if (!ok)
            break;
        const char *f = json_string_value(file);
        if (!f || !*f) {
            *err = aslrtp_strdupf("%s: /StateMachines/%s: expected the path of a definition file",
                                  path, key);
            ok = false;
            break;
        }
        char *p = f[0] == '/' ? aslrtp_strdup(f) : aslrtp_strdupf("%s%s", dir, f);
        char *real = realpath(p, NULL);
        if (!real) {
            *err = aslrtp_strdupf("%s: /StateMachines/%s: cannot use definition file '%s'", path,
                                  key, p);
            ok = false;
        } else {
            add_child(v, n, key, real);
        }
        free(real);
        free(p);
    }
    free(dir);
    json_decref(doc);
    return ok;
}

/* Every NAME.asl.json or NAME.json in dir, as the state machine NAME (the
 * .asl.json file when both exist, as the runtime looks for it first). */
static bool children_of_dir(const char *dir, asl_child_c **v, size_t *n, char **err)
{
    DIR *d = opendir(dir);
    if (!d) {
        *err = aslrtp_strdupf("--state-machines '%s': cannot read the folder", dir);
        return false;
    }
    char **names = NULL;
    size_t count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0) {
            names = aslrtp_reallocarray(names, count + 1, sizeof *names);
            names[count++] = aslrtp_strdup(e->d_name);
        }
    }
    closedir(d);
    /* .asl.json before .json for one name; otherwise in name order, so
     * that builds do not depend on the folder's order. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < count; i++) {
            size_t len = strlen(names[i]);
            bool asl = len > 9 && strcmp(names[i] + len - 9, ".asl.json") == 0;
            if (asl != (pass == 0))
                continue;
            char *p = aslrtp_strdupf("%s/%s", dir, names[i]);
            char *real = realpath(p, NULL);
            struct stat st;
            if (real && stat(real, &st) == 0 && S_ISREG(st.st_mode)) {
                char *name = name_of(names[i]);
                add_child(v, n, name, real);
                free(name);
            }
            free(real);
            free(p);
        }
    }
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return true;
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const asl_child_c *)a)->key, ((const asl_child_c *)b)->key);
}

bool asl_children_collect(const char *bindings, const char *dir, asl_child_c **out, size_t *n,
                          char **err)
{
    *out = NULL;
    *n = 0;
    if (bindings && !children_of_bindings(bindings, out, n, err))
        return false;
    size_t from_bindings = *n;
    if (dir && !children_of_dir(dir, out, n, err))
        return false;
    qsort(*out + from_bindings, *n - from_bindings, sizeof **out, by_key);
    for (size_t i = 0; i < *n; i++) {
        asl_child_c *c = &(*out)[i];
        asl_unit *u = NULL;
        char *why = NULL;
        char *name = name_of(c->source);
        asl_cfg *cfg = lower_file(c->source, name, &u, &why);
        free(name);
        if (cfg) {
            char prefix[48];
            snprintf(prefix, sizeof prefix, "aslc_child_%zu", i);
            asl_emit_options eo = {.prefix = prefix, .with_main = false, .include_header = true};
            c->csrc = asl_emit_c_string(cfg, &eo);
            if (!c->csrc)
                asl_internal_error(__FILE__, __LINE__, "cannot generate C");
        }
        asl_unit_destroy(u);
        if (!cfg) {
            *err = aslrtp_strdupf("the state machine '%s': %s", c->key, why ? why : "");
            free(why);
            return false;
        }
    }
    return true;
}

void asl_children_free(asl_child_c *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].key);
        free(v[i].source);
        free(v[i].csrc);
    }
    free(v);
}

char *asl_children_main(const char *prefix, const asl_child_c *v, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out)
        return NULL;
    fputs("/* main(): the workflow and the state machines it starts (aslc build). */\n"
          "#include \"aslrt.h\"\n\n",
          out);
    fprintf(out, "extern const aslrt_machine %s_machine;\n", prefix);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "extern const aslrt_machine aslc_child_%zu_machine;\n", i);
    fputs("\nstatic const aslrt_child children[] = {\n", out);
    for (size_t i = 0; i < n; i++) {
        fputs("    {", out);
        asl_put_literal_n(out, v[i].key, strlen(v[i].key));
        fputs(", ", out);
        asl_put_literal_n(out, v[i].source, strlen(v[i].source));
        fprintf(out, ", &aslc_child_%zu_machine},\n", i);
    }
    fprintf(out,
            "};\n\nint main(int argc, char **argv)\n{\n"
            "    return aslrt_main_nested(&%s_machine, children, %zu, 0, 0, argc, argv);\n}\n",
            prefix, n);
    if (fclose(out) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
