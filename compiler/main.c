/*
 * main.c - the aslc command line.  It runs the pipeline's stages in order
 * and does nothing else:
 *
 *   load (unit.c) → parse (parse.c) → validate (validate.c) → lower (lower.c)
 *   → emit C (emit_c.c; JSONata trees: emit_jsonata.c; literals: ctext.c)
 *   → [build with cc (build.c) | compile in memory (backend_tcc.c)]
 *     or, with --backend=llvm, an LLVM module (backend_llvm.c) → .ll | object + cc | ORC
 *
 * (`aslc graph` stops after validate, or after lower for --format=ir, and
 * draws the machine: graph.c.)
 *
 * and prints diagnostics, the only place that does.  doc/architecture.md
 * follows one `aslc run` through every file.
 *
 * Whatever a command writes reaches its file or standard output, or aslc
 * says why and exits non-zero (2), as coreutils' close_stdout does.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aslrt.h"
#include "aslrt_private.h"
#include "ast.h"
#include "backend.h"
#include "children.h"
#include "config.h"
#include "graph.h"
#include "ir.h"
#include "modules.h"
#include "test.h"
#include "unit.h"

static void usage(FILE *out)
{
    fputs("usage: aslc COMMAND DEFINITION [OPTIONS]\n"
          "\n"
          "Compiles AWS Step Functions state machines (Amazon States Language) to C.\n"
          "\n"
          "commands:\n"
          "  check DEF [--type=STANDARD|EXPRESS]\n"
          "                            validate; print every error with its location\n"
          "  emit  DEF [-o FILE] [--prefix NAME] [--main]\n"
          "                            write C source that builds against libaslrt\n"
          "  build DEF -o BINARY [--cc=CC] [-O0|-O1|-O2|-O3] [-g]\n"
          "            [--state-machines DIR] [--bindings F]\n"
          "                            build a standalone workflow executable (with the\n"
          "                            state machines it starts that DIR and F's\n"
          "                            \"StateMachines\" name compiled in)\n"
          "  graph DEF [--format=dot|mermaid|ir] [-o FILE]\n"
          "                            draw the state machine (Graphviz, Mermaid) or\n"
          "                            print the compiler's control-flow graph\n"
          "  run   DEF [--input JSON | --input-file F] [--bindings F] [--name N]\n"
          "            [--wait=real|skip|scale:F] [--mock-config F --test-case NAME]\n"
          "            [--bench N] [--history FILE] [--state-machines DIR]\n"
          "            [--profile P] [--aws] [--type=STANDARD|EXPRESS] [--sync]\n"
          "            [--account ID] [--region R] [--state-machine-name N]\n"
          "            [--threads N] [--payload-limit BYTES|none] [--s3-root DIR]\n"
          "                            compile in memory (TinyCC) and execute once\n"
          "                            (--bench N: N times, with a report on stderr;\n"
          "                            the options are a workflow program's, see aslc(1))\n"
          "  send-task-success --task-token T --task-output JSON\n"
          "  send-task-failure --task-token T [--error E] [--cause C]\n"
          "  send-task-heartbeat --task-token T\n"
          "                            complete a callback task of a running execution\n"
          "  test  FILE... [--format=tap|junit] [-o FILE] [--filter PATTERN] ...\n"
          "                            run the test cases of mock configurations and\n"
          "                            test files; report TAP or JUnit XML\n"
          "                            (aslc test --help lists its options)\n"
          "  serve [--port N] [--data DIR] [--bindings F] [--mock-config F] ...\n"
          "                            serve the Step Functions API on 127.0.0.1:8083\n"
          "                            (aslc serve --help lists its options)\n"
          "\n"
          "options:\n"
          "  --backend=c|llvm          emit, build, run: through C (cc, TinyCC; the default)\n"
          "                            or LLVM (when built with it; see --version)\n"
          "  --max-errors=N            print at most N errors (default 20, 0 = all)\n"
          "  --diagnostics-format=text|json\n"
          "                            json: one document on stderr, for tools\n"
          "  -Werror                   make warnings errors\n"
          "  --help, --version\n"
          "\n"
          "Exit status: check, graph: 0 valid, 1 errors, 2 usage.  run and built binaries:\n"
          "0 succeeded, 1 failed, 2 usage or invalid input/definition, 3 timed out,\n"
          "4 aborted.  See aslc(1).\n",
          out);
}

/* A usage error of command (NULL: of aslc itself): one line, and where
 * help is.  Returns 2. */
static int bad_usage(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int bad_usage(const char *command, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "aslc%s%s: ", command ? " " : "", command ? command : "");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'aslc%s%s --help'.\n", command ? " " : "", command ? command : "");
    return 2;
}

/* An error of the command (usage, a file it cannot use) that no record of
 * the definition holds: with --diagnostics-format=json, the one document on
 * stderr holds it (about file, or the command line), and nothing else is
 * printed; else one line of text.  Returns 2. */
static int command_error(bool json, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int command_error(bool json, const char *file, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    asl_diags d;
    asl_diag_init(&d);
    asl_diag *g = asl_diag_vadd(&d, ASL_DIAG_ERROR, "", ASL_AT_VALUE, 0, NULL, fmt, ap);
    va_end(ap);
    if (json)
        asl_diag_print_json(stderr, &d, file ? file : "<command line>", NULL, 0);
    else
        fprintf(stderr, "aslc: error: %s\n", g->message);
    asl_diag_free(&d);
    return 2;
}

/* Ends the writing of out (stdout, or the file output, which it closes);
 * err: the errno of a write that failed (0: none seen).  Returns 0, or 2
 * after saying what was lost. */
static int finish_output(FILE *out, const char *output, int err)
{
    err = aslrtp_stream_finish(out, err);
    if (!err)
        return 0;
    if (out == stdout)
        aslrtp_write_error("aslc", "standard output", err);
    else
        fprintf(stderr, "aslc: error: cannot write '%s': %s\n", output,
                err > 0 ? strerror(err) : "write error");
    return 2;
}

/* The state machine's default name: the file name without its directory and
 * its .asl.json / .json ending. */
static char *machine_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *name = aslrtp_strdup(base);
    size_t n = strlen(name);
    static const char *const suffixes[] = {".asl.json", ".json", NULL};
    for (size_t i = 0; suffixes[i]; i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && strcmp(name + n - k, suffixes[i]) == 0) {
            name[n - k] = '\0';
            break;
        }
    }
    return name;
}

static void print_diags(asl_unit *u, size_t max_errors, bool json)
{
    asl_diag_sort(&u->diags, u->text, u->len);
    if (json)
        asl_diag_print_json(stderr, &u->diags, u->filename, u->text, u->len);
    else
        asl_diag_print(stderr, &u->diags, u->filename, u->text, u->len, max_errors);
}

/* aslc graph: the machine drawn (from the AST), or its cfg as text. */
static int draw(asl_unit *u, const asl_machine *m, asl_draw_format f, const char *def,
                const char *output)
{
    FILE *out = output ? fopen(output, "w") : stdout;
    if (!out) {
        fprintf(stderr, "aslc: error: cannot write '%s': %s\n", output, strerror(errno));
        return 2;
    }
    char *name = machine_name(def);
    errno = 0;
    bool ok = f == ASL_DRAW_IR ? asl_draw_ir(out, asl_lower_machine(u, m, name))
              : f == ASL_DRAW_DOT ? asl_draw_dot(out, m, name)
                                  : asl_draw_mermaid(out, m);
    free(name);
    return finish_output(out, output, ok ? 0 : errno ? errno : -1);
}

/* Sets VAR to DIR/REL when that file is there and VAR is not set yet. */
static void use_if_there(const char *dir, const char *rel, const char *var)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    if (access(path, R_OK) == 0)
        setenv(var, path, 0);
}

/* Run from its build tree (not installed), aslc uses that tree's runtime
 * (aslrt.h, libaslrt.a), adapters and modules, unless the environment
 * names others. */
static void use_build_tree(void)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 64);
    if (n <= 0)
        return;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return;
    *slash = '\0';
    char path[4200];
    snprintf(path, sizeof path, "%s/.libs/libaslrt.a", exe);
    if (access(path, R_OK) != 0)
        return;
    snprintf(path, sizeof path, "%s/.libs", exe);
    setenv("ASLC_LIB_DIR", path, 0);
    /* The sources may be elsewhere (VPATH builds): the Makefile's srcdir is
     * not known here, so only an in-tree build is recognised for these. */
    snprintf(path, sizeof path, "%s/runtime/aslrt.h", exe);
    if (access(path, R_OK) == 0) {
        snprintf(path, sizeof path, "%s/runtime", exe);
        setenv("ASLC_INCLUDE_DIR", path, 0);
    }
    use_if_there(exe, "runtime/aslc-python-handler", "ASLC_PYTHON_HANDLER");
    use_if_there(exe, "runtime/aslc-node-handler", "ASLC_NODE_HANDLER");
    /* The modules (modules.c): the build tree's, whatever is installed. */
    use_if_there(exe, ".libs/aslc_llvm.so", "ASLC_LLVM_MODULE");
    use_if_there(exe, ".libs/aslc_serve.so", "ASLC_SERVE_MODULE");
}

typedef struct options {
    const char *command, *def, *output, *prefix, *cc, *opt;
    const char *backend;      /* --backend: NULL (C), "c", "tcc" or "llvm" */
    bool with_main, debug, express;
    size_t max_errors;
    const char *format;       /* graph: --format, NULL for dot */
    bool diag_json, werror;   /* --diagnostics-format=json, -Werror */
    bool help;                /* COMMAND --help */
    const char *color;        /* --color: auto (NULL), always or never */
    const char *sm_dir, *bindings; /* build: where the state machines it starts are */
} options;

/* ---- The command line ---------------------------------------------------
 *
 * getopt_long reads every command's options: aslc's own (the table below,
 * with build's and graph's) and, for run, the workflow program's, from the
 * runtime's table (runtime/cli.c), so that `aslc run` and a built program
 * accept the same options and name a misspelt one the same way. */

enum {
    A_PREFIX = 0x100, A_CC, A_MAIN, A_TYPE, A_BACKEND, A_MAX_ERRORS, A_DIAGNOSTICS, A_FORMAT,
    A_STATE_MACHINES, A_BINDINGS, A_COLOR, A_PIE
};

static const struct option common_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"prefix", required_argument, NULL, A_PREFIX},
    {"cc", required_argument, NULL, A_CC},
    {"main", no_argument, NULL, A_MAIN},
    {"type", required_argument, NULL, A_TYPE},
    {"backend", required_argument, NULL, A_BACKEND},
    {"max-errors", required_argument, NULL, A_MAX_ERRORS},
    {"diagnostics-format", required_argument, NULL, A_DIAGNOSTICS},
    {"color", required_argument, NULL, A_COLOR},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}
};
static const struct option build_options[] = {
    {"state-machines", required_argument, NULL, A_STATE_MACHINES},
    {"bindings", required_argument, NULL, A_BINDINGS},
    {"pie", no_argument, NULL, A_PIE},
    {NULL, 0, NULL, 0}
};
static const struct option graph_options[] = {
    {"format", required_argument, NULL, A_FORMAT},
    {NULL, 0, NULL, 0}
};

static const char *const opt_levels[] = {"-O0", "-O1", "-O2", "-O3"};

static size_t count_options(const struct option *t)
{
    size_t n = 0;
    while (t[n].name)
        n++;
    return n;
}

/* Appends the options of add that table (n long) does not name yet, but
 * skip (NULL: none). */
static size_t add_options(struct option *table, size_t n, const struct option *add,
                          const char *skip)
{
    for (; add->name; add++) {
        size_t i = 0;
        while (i < n && strcmp(table[i].name, add->name) != 0)
            i++;
        if (i == n && !(skip && strcmp(add->name, skip) == 0))
            table[n++] = *add;
    }
    return n;
}

/* The getopt_long table of command (malloc'd, ending with a zero entry). */
static struct option *options_for(const char *command)
{
    const struct option *run = aslrtp_run_options();
    size_t cap = count_options(common_options) + count_options(build_options) +
                 count_options(graph_options) + count_options(run) + 1;
    struct option *table = aslrtp_calloc(cap, sizeof *table);
    size_t n = add_options(table, 0, common_options, NULL);
    if (strcmp(command, "build") == 0)
        n = add_options(table, n, build_options, NULL);
    if (strcmp(command, "graph") == 0)
        n = add_options(table, n, graph_options, NULL);
    if (strcmp(command, "run") == 0)
        add_options(table, n, run, "version"); /* the workflow's own; --version is aslc's */
    return table;
}

static void free_rest(char **rest, int nrest)
{
    for (int i = 1; i < nrest; i++)
        free(rest[i]);
    free(rest);
}

/* COMMAND --help (and `aslc help COMMAND`): run's lists the workflow
 * program's options too; serve and send-task-* have their own. */
static int command_help(const char *command)
{
    if (strcmp(command, "run") == 0) {
        fputs("usage: aslc run DEFINITION [OPTIONS]\n"
              "\n"
              "Compiles the state machine in memory (TinyCC, or LLVM with --backend=llvm) and\n"
              "runs it once, as the program `aslc build` makes would run.\n"
              "\n"
              "aslc's options: --backend=c|llvm, -O0..-O3, --prefix NAME, --max-errors=N,\n"
              "  --diagnostics-format=text|json, -Werror (see aslc --help).\n"
              "\n"
              "The workflow program's options:\n",
              stdout);
        aslrtp_run_usage(stdout, "aslc run DEFINITION");
        return 0;
    }
    static const struct {
        const char *command, *text;
    } helps[] = {
        {"check", "usage: aslc check DEFINITION [--type=STANDARD|EXPRESS]\n"
                  "Validates the definition and prints every error with its location.\n"},
        {"emit", "usage: aslc emit DEFINITION [-o FILE] [--prefix NAME] [--main]\n"
                 "          [--backend=c|llvm] [-O0|-O1|-O2|-O3] [--type=STANDARD|EXPRESS]\n"
                 "Writes C source that builds against libaslrt (LLVM IR with --backend=llvm).\n"},
        {"build", "usage: aslc build DEFINITION -o BINARY [--cc=CC] [-O0|-O1|-O2|-O3] [-g]\n"
                  "          [--backend=c|llvm] [--prefix NAME] [--state-machines DIR]\n"
                  "          [--bindings FILE] [--type=STANDARD|EXPRESS] [--pie]\n"
                  "Builds a standalone workflow program (`BINARY --help` lists its options),\n"
                  "with the state machines it starts that DIR and FILE's \"StateMachines\"\n"
                  "name compiled in.  The program is linked at a fixed address, which saves\n"
                  "its start the relocation of the static libraries' pointers; --pie makes\n"
                  "it position-independent instead (address space layout randomization).\n"},
        {"graph", "usage: aslc graph DEFINITION [--format=dot|mermaid|ir] [-o FILE]\n"
                  "Draws the state machine (Graphviz, Mermaid) or prints the compiler's\n"
                  "control-flow graph.\n"},
    };
    for (size_t i = 0; i < sizeof helps / sizeof *helps; i++)
        if (strcmp(helps[i].command, command) == 0) {
            fputs(helps[i].text, stdout);
            fputs("\nDiagnostics: --max-errors=N (default 20, 0 = all),\n"
                  "  --diagnostics-format=text|json, -Werror.  See aslc --help and aslc(1).\n",
                  stdout);
            return 0;
        }
    usage(stdout);
    return 0;
}

/* The LLVM backend (backend_llvm.c) for emit (.ll text), build and run.
 * -On picks LLVM's pipeline: none by default for emit, O2 for build (as
 * for cc), O0 for run (compile time counts there, as with TinyCC). */
static int run_llvm(const options *o, const asl_cfg *cfg, const asl_emit_options *eo,
                    asl_unit **u, int nrest, char **rest)
{
#ifdef HAVE_LLVM
    int opt = o->opt ? o->opt[2] - '0' : -1;
    char *err = NULL;
    int rc = 0;
    if (!asl_llvm_available(&err)) {
        fprintf(stderr, "aslc: error: %s\n", err);
        free(err);
        return 2;
    }
    if (strcmp(o->command, "emit") == 0) {
        FILE *out = o->output ? fopen(o->output, "w") : stdout;
        if (!out) {
            fprintf(stderr, "aslc: error: cannot write '%s': %s\n", o->output, strerror(errno));
            rc = 2;
        } else if (!asl_llvm_emit_ir(out, cfg, eo, opt, &err)) {
            fprintf(stderr, "aslc: error: cannot write '%s'%s%s\n",
                    o->output ? o->output : "stdout", err ? ": " : "", err ? err : "");
            aslrtp_stream_finish(out, 0);
            rc = 2;
        } else {
            rc = finish_output(out, o->output, 0);
        }
    } else if (strcmp(o->command, "build") == 0) {
        if (!asl_llvm_build_executable(cfg, eo, o->output, o->cc, opt < 0 ? 2 : opt, o->debug,
                                       &err)) {
            fprintf(stderr, "aslc: error: cannot build '%s': %s\n", o->output, err ? err : "");
            rc = 2;
        }
    } else {
        asl_llvm_jit *j = asl_llvm_jit_compile(cfg, eo->prefix, opt < 0 ? 0 : opt, &err);
        if (!j) {
            fprintf(stderr, "aslc: internal error: LLVM: %s\n", err ? err : "");
            rc = 2;
        } else {
            /* The module holds copies of everything: free the definition. */
            asl_unit_destroy(*u);
            *u = NULL;
            asl_children *kids = asl_children_create(true);
            rc = aslrt_main_nested(asl_llvm_jit_machine(j), NULL, 0, asl_children_load, kids,
                                   nrest, rest);
            asl_children_destroy(kids);
            asl_llvm_jit_destroy(j);
        }
    }
    free(err);
    return rc;
#else
    (void)o, (void)cfg, (void)eo, (void)u, (void)nrest, (void)rest;
    return 2; /* refused with the options */
#endif
}

/* The value of the last --NAME=VALUE that aslc handed to the workflow (it
 * hands every valued option over in that form), or NULL. */
static const char *rest_value(int nrest, char **rest, const char *name)
{
    size_t n = strlen(name);
    const char *v = NULL;
    for (int i = 1; i < nrest; i++)
        if (strncmp(rest[i], "--", 2) == 0 && strncmp(rest[i] + 2, name, n) == 0 &&
            rest[i][n + 2] == '=')
            v = rest[i] + n + 3;
    return v;
}

/* run's --input or --input-file (not "-": stdin is the workflow's to
 * read): parsed as the workflow will parse it; what is wrong becomes a
 * record of u (about the input file, or the command line). */
static void check_input(asl_unit *u, int nrest, char **rest)
{
    const char *text = rest_value(nrest, rest, "input");
    const char *file = rest_value(nrest, rest, "input-file");
    if (text && file)
        return;   /* the workflow refuses both: one message, its own */
    char *owned = NULL;
    size_t len = 0;
    if (file && strcmp(file, "-") != 0) {
        const char *why;
        asl_unit *in = asl_unit_load(file, &why);
        if (!in) {
            asl_diag *g = asl_diag_add(&u->diags, ASL_DIAG_ERROR, "", ASL_AT_VALUE, 0, NULL,
                                       "cannot read input file '%s': %s", file, why);
            asl_diag_set_file(g, file);
            return;
        }
        owned = aslrtp_memdup(in->text, in->len + 1);
        len = in->len;
        asl_unit_destroy(in);
        text = owned;
    } else if (text) {
        len = strlen(text);
    }
    json_error_t je;
    json_t *input = text ? aslrtp_json_loads(text, len, &je) : NULL;
    if (text && !input) {
        asl_diag *g = asl_diag_add(&u->diags, ASL_DIAG_ERROR, "", ASL_AT_VALUE, 0, NULL,
                                   "the input is not valid JSON (%s:%d:%d: %s)",
                                   file ? file : "--input", je.line, je.column, je.text);
        asl_diag_set_file(g, file ? file : "<command line>");
    }
    json_decref(input);
    free(owned);
}

/* The bindings file of run (its --bindings) or build: loaded as the
 * workflow or the build will load it; what is wrong becomes a record of u
 * about that file. */
static void check_bindings(asl_unit *u, const options *o, int nrest, char **rest)
{
    const char *path = rest_value(nrest, rest, "bindings");
    if (!path)
        path = o->bindings;
    if (!path)
        return;
    aslrt_bindings *b = aslrt_bindings_create();
    aslrt_error err = {NULL, NULL};
    if (!aslrt_bindings_load_file(b, path, &err)) {
        asl_diag *g = asl_diag_add(&u->diags, ASL_DIAG_ERROR, "", ASL_AT_VALUE, 0, err.error,
                                   "%s", err.cause ? err.cause : "bad bindings file");
        asl_diag_set_file(g, path);
    }
    aslrt_error_clear(&err);
    aslrt_bindings_destroy(b);
}

static int aslc_main(int argc, char **argv)
{
    use_build_tree();
    options o = {.cc = getenv("CC"), .max_errors = 20};
    if (!o.cc || !*o.cc)
        o.cc = "cc";
    if (argc < 2)
        return usage(stderr), 2;
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return usage(stdout), 0;
    /* aslc help [COMMAND]: COMMAND --help. */
    if (strcmp(argv[1], "help") == 0) {
        if (argc < 3)
            return usage(stdout), 0;
        char *hv[] = {argv[0], argv[2], "--help", NULL};
        return aslc_main(3, hv);
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
#ifdef HAVE_LIBTCC
        printf("aslc %s (runtime ABI %d, TinyCC backend)\n", PACKAGE_VERSION, ASLRT_ABI_VERSION);
#else
        printf("aslc %s (runtime ABI %d)\n", PACKAGE_VERSION, ASLRT_ABI_VERSION);
#endif
#ifdef HAVE_LLVM
#ifdef HAVE_LIBTCC
        printf("backends: c (cc), tcc (in memory), llvm (%s)\n", asl_llvm_version());
#else
        printf("backends: c (cc), llvm (%s)\n", asl_llvm_version());
#endif
#endif
        return 0;
    }
    o.command = argv[1];
    /* The Step Functions API on a local port (server/): a long-lived
     * process, whose heap stays as glibc makes it. */
    if (strcmp(o.command, "serve") == 0)
        return asl_serve_module_main(argc - 1, argv + 1);
    /* Completing callback tasks of running executions (aslrt.h). */
    if (strcmp(o.command, "send-task-success") == 0 ||
        strcmp(o.command, "send-task-failure") == 0 ||
        strcmp(o.command, "send-task-heartbeat") == 0)
        return aslrt_send_task_main(argc - 1, argv + 1);
    /* Every other command compiles, megabytes of heap for a large
     * definition: all of it on huge pages (alloc.c); `aslc run` of the
     * 1,000-state chain takes 1,300 page faults fewer. */
    aslrtp_heap_huge(4096, (size_t)16 << 20);
    /* Test cases of mock configurations and test files (test.c). */
    if (strcmp(o.command, "test") == 0)
        return asl_test_main(argc - 1, argv + 1);
    if (strcmp(o.command, "check") != 0 && strcmp(o.command, "emit") != 0 &&
        strcmp(o.command, "build") != 0 && strcmp(o.command, "run") != 0 &&
        strcmp(o.command, "graph") != 0)
        return bad_usage(NULL, "unknown command '%s'", o.command);

    /* aslc's own options, and for run the workflow program's, which go
     * to it (as --name=VALUE).  The first usage error is reported once
     * every option has been read (--diagnostics-format may come after). */
    struct option *table = options_for(o.command);
    char **rest = aslrtp_calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    char *bad = NULL;
    rest[nrest++] = "aslc run";
    optind = 0;
    opterr = 0;
    int c, index;
    while ((c = getopt_long(argc - 1, argv + 1, ":o:O:gW:h", table, &index)) != -1) {
        const char *v = optarg;
        char *why = NULL;
        switch (c) {
        case 'o': o.output = v; break;
        case 'g': o.debug = true; break;
        case 'h': o.help = true; break;
        case 'O':
            if (strlen(v) == 1 && v[0] >= '0' && v[0] <= '3')
                o.opt = opt_levels[v[0] - '0'];
            else
                why = aslrtp_strdupf("unknown option '-O%s' (-O0, -O1, -O2 or -O3)", v);
            break;
        case 'W':
            if (strcmp(v, "error") == 0)
                o.werror = true;
            else
                why = aslrtp_strdupf("unknown option '-W%s' (-Werror)", v);
            break;
        case A_PREFIX: o.prefix = v; break;
        case A_CC: o.cc = v; break;
        case A_MAIN: o.with_main = true; break;
        case A_BACKEND: o.backend = v; break;
        case A_FORMAT: o.format = v; break;
        case A_STATE_MACHINES: o.sm_dir = v; break;
        case A_BINDINGS: o.bindings = v; break;
        case A_PIE: asl_build_set_pie(true); break;
        case A_TYPE:
            if (strcmp(v, "EXPRESS") != 0 && strcmp(v, "STANDARD") != 0)
                why = aslrtp_strdupf("bad --type '%s' (expected STANDARD or EXPRESS)", v);
            o.express = strcmp(v, "EXPRESS") == 0;
            /* the execution's ARNs depend on it too */
            rest[nrest++] = aslrtp_strdupf("--type=%s", v);
            break;
        case A_MAX_ERRORS: {
            char *end;
            unsigned long n = strtoul(v, &end, 10);
            if (*end || end == v || v[0] == '-')
                why = aslrtp_strdupf("bad --max-errors value '%s' (a number, 0 for all)", v);
            o.max_errors = (size_t)n;
            break;
        }
        case A_COLOR:
            if (strcmp(v, "auto") != 0 && strcmp(v, "always") != 0 && strcmp(v, "never") != 0)
                why = aslrtp_strdupf("bad --color '%s' (auto, always or never)", v);
            o.color = v;
            break;
        case A_DIAGNOSTICS:
            if (strcmp(v, "json") != 0 && strcmp(v, "text") != 0)
                why = aslrtp_strdupf("bad --diagnostics-format '%s' (text or json)", v);
            o.diag_json = strcmp(v, "json") == 0;
            break;
        case '?':
        case ':':
            why = aslrtp_option_error(table, argv + 1, c);
            break;
        default:                /* the workflow program's */
            rest[nrest++] = table[index].has_arg
                                ? aslrtp_strdupf("--%s=%s", table[index].name, v)
                                : aslrtp_strdupf("--%s", table[index].name);
            break;
        }
        if (why && !bad)
            bad = why;
        else
            free(why);
    }
    for (int i = optind + 1; i < argc; i++) {
        if (!o.def)
            o.def = argv[i];
        else if (!bad)
            bad = aslrtp_strdupf("unexpected argument '%s'", argv[i]);
    }
    free(table);
    /* Colours on a terminal, unless NO_COLOR (set and not empty) or a dumb
     * terminal says otherwise; --color=always|never decides alone. */
    const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");
    bool color = o.color && strcmp(o.color, "auto") != 0
                     ? strcmp(o.color, "always") == 0
                     : isatty(STDERR_FILENO) && !(no_color && *no_color) &&
                           !(term && strcmp(term, "dumb") == 0);
    asl_diag_use_color(color ? stderr : NULL);
    if (o.help) {
        free(bad);
        free_rest(rest, nrest);
        return command_help(o.command);
    }
    /* Errors of the command line, in the format asked for. */
    if (!bad && o.prefix && !asl_emit_c_prefix_ok(o.prefix))
        bad = aslrtp_strdupf("--prefix '%s' cannot begin C names: it must be ASCII letters, "
                             "digits and '_', start with a letter, and not start with 'aslrt' "
                             "or 'aslc_'",
                             o.prefix);
    /* The workflow's options, read as it will read them. */
    if (!bad && strcmp(o.command, "run") == 0)
        aslrtp_run_args_check(nrest, rest, &bad);
    if (bad) {
        int rc = o.diag_json ? command_error(true, NULL, "%s", bad)
                             : bad_usage(o.command, "%s", bad);
        free(bad);
        free_rest(rest, nrest);
        return rc;
    }
    if (o.backend && strcmp(o.backend, "c") != 0 && strcmp(o.backend, "tcc") != 0 &&
        strcmp(o.backend, "llvm") != 0) {
        free_rest(rest, nrest);
        return o.diag_json ? command_error(true, NULL, "unknown backend '%s' (c, tcc or llvm)",
                                           o.backend)
                           : bad_usage(o.command, "unknown backend '%s' (c, tcc or llvm)",
                                       o.backend);
    }
#ifndef HAVE_LLVM
    if (o.backend && strcmp(o.backend, "llvm") == 0) {
        free_rest(rest, nrest);
        fputs("aslc: error: this aslc was built without LLVM (configure --with-llvm)\n", stderr);
        return 2;
    }
#endif
    if (!o.def) {
        free_rest(rest, nrest);
        return o.diag_json ? command_error(true, NULL, "%s: no definition file given", o.command)
                           : bad_usage(o.command, "no definition file given");
    }
    if (strcmp(o.command, "build") == 0 && !o.output) {
        free_rest(rest, nrest);
        return o.diag_json ? command_error(true, NULL, "%s: -o BINARY is required", o.command)
                           : bad_usage(o.command, "-o BINARY is required");
    }
    bool check = strcmp(o.command, "check") == 0;
    bool graph = strcmp(o.command, "graph") == 0;
    asl_draw_format format = ASL_DRAW_DOT;
    if (graph && o.format && !asl_draw_parse_format(o.format, &format)) {
        free_rest(rest, nrest);
        return o.diag_json ? command_error(true, NULL, "unknown graph format '%s' (dot, mermaid "
                                           "or ir)", o.format)
                           : bad_usage(o.command, "unknown graph format '%s' (dot, mermaid or ir)",
                                       o.format);
    }
    int invalid = check || graph ? 1 : 2;

    /* 1. Load and parse the JSON. */
    const char *why;
    asl_unit *u = asl_unit_load(o.def, &why);
    if (!u) {
        free_rest(rest, nrest);
        return command_error(o.diag_json, o.def, "cannot read '%s': %s", o.def, why);
    }
    /* 2. Build the AST, checking every field. */
    asl_machine *m = asl_parse_machine(u);
    /* 3. Check the graph rules and resources. */
    if (m) {
        m->express = o.express;
        asl_validate_machine(u, m);
    }
    /* 4. Refuse what this version cannot run (a warning for check, and
     * for graph unless it is to lower the machine). */
    if (m && u->diags.nerrors == 0)
        asl_validate_supported(u, m, check || (graph && format != ASL_DRAW_IR)
                                         ? ASL_DIAG_WARNING : ASL_DIAG_ERROR);
    if (o.werror)
        asl_diag_promote_warnings(&u->diags);
    /* With the json format, the files run and build will read are tried
     * now, so that what is wrong with them is in the one document. */
    if (o.diag_json && m && u->diags.nerrors == 0) {
        check_bindings(u, &o, nrest, rest);
        if (strcmp(o.command, "run") == 0)
            check_input(u, nrest, rest);
    }
    /* A valid definition that emit, build or run go on with: its json
     * document waits for what they find (build's state machines). */
    bool later = o.diag_json && m && u->diags.nerrors == 0 && !check && !graph;
    if ((u->diags.n || o.diag_json) && !later)
        print_diags(u, o.max_errors, o.diag_json);
    if (!m || u->diags.nerrors) {
        asl_unit_destroy(u);
        free_rest(rest, nrest);
        return invalid;
    }
    if (check || graph) {
        int grc = graph ? draw(u, m, format, o.def, o.output) : 0;
        asl_unit_destroy(u);
        free_rest(rest, nrest);
        return grc;
    }

    /* 5. Lower to the control-flow graph. */
    char *name = machine_name(o.def);
    asl_cfg *cfg = asl_lower_machine(u, m, name);
    char *prefix = o.prefix ? aslrtp_strdup(o.prefix) : asl_emit_c_identifier(o.def);
    int rc = 0;

    /* 6. Generate code and hand it to a backend. */
    if (strcmp(o.command, "build") == 0)
        asl_build_set_static(!asl_build_needs_libraries(u->root));
    asl_emit_options eo = {.prefix = prefix,
                           .with_main = o.with_main || strcmp(o.command, "build") == 0,
                           .include_header = strcmp(o.command, "run") != 0};
    bool llvm = o.backend && strcmp(o.backend, "llvm") == 0;
    /* build: the state machines it starts, compiled in, with a main() of
     * their own (children.c). */
    asl_child_c *kids = NULL;
    size_t nkids = 0;
    const char **units = NULL;
    if (strcmp(o.command, "build") == 0 && (o.sm_dir || o.bindings)) {
        char *err = NULL;
        if (!asl_children_collect(o.bindings, o.sm_dir, &kids, &nkids, &err)) {
            if (o.diag_json) {
                asl_diag *g = asl_diag_add(&u->diags, ASL_DIAG_ERROR, "", ASL_AT_VALUE, 0, NULL,
                                           "%s", err ? err : "");
                asl_diag_set_file(g, o.bindings ? o.bindings : o.sm_dir);
                print_diags(u, o.max_errors, true);
            } else {
                fprintf(stderr, "aslc: error: %s\n", err ? err : "");
            }
            free(err);
            asl_children_free(kids, nkids);
            free(prefix);
            free(name);
            free_rest(rest, nrest);
            asl_unit_destroy(u);
            return 2;
        }
        if (nkids) {
            eo.with_main = false;
            units = aslrtp_calloc(nkids + 2, sizeof *units);
            for (size_t i = 0; i < nkids; i++)
                units[i] = kids[i].csrc;
            units[nkids] = asl_children_main(prefix, kids, nkids);
            eo.units = units;
            eo.nunits = nkids + 1;
        }
    }
    if (later)
        print_diags(u, o.max_errors, true);
    bool in_memory = !llvm && strcmp(o.command, "emit") != 0 && strcmp(o.command, "build") != 0;
    char *csrc = llvm || in_memory ? NULL : asl_emit_c_string(cfg, &eo);
    if (!llvm && !in_memory && !csrc)
        asl_internal_error(__FILE__, __LINE__, "cannot generate C");
    if (llvm)
        rc = run_llvm(&o, cfg, &eo, &u, nrest, rest);
    else if (strcmp(o.command, "emit") == 0) {
        FILE *out = o.output ? fopen(o.output, "w") : stdout;
        int werr = 0;
        if (!out) {
            fprintf(stderr, "aslc: error: cannot write '%s': %s\n", o.output, strerror(errno));
            rc = 2;
        } else {
            aslrtp_write(out, csrc, strlen(csrc), &werr);
            rc = finish_output(out, o.output, werr);
        }
    } else if (strcmp(o.command, "build") == 0) {
        char *err = NULL;
        /* The workflow first, then what eo.units adds. */
        const char **all = aslrtp_calloc(eo.nunits + 1, sizeof *all);
        all[0] = csrc;
        for (size_t i = 0; i < eo.nunits; i++)
            all[i + 1] = eo.units[i];
        bool built = asl_build_units(all, eo.nunits + 1, NULL, o.output, o.cc, o.opt, o.debug,
                                     &err);
        free(all);
        if (!built) {
            fprintf(stderr, "aslc: error: cannot build '%s': %s\n", o.output, err ? err : "");
            rc = 2;
        }
        free(err);
    } else {
#ifndef HAVE_LIBTCC
        fputs("aslc: error: this aslc was built without libtcc; use 'aslc build'\n", stderr);
        rc = 2;
#else
        char *err = NULL;
        asl_jit *j = asl_jit_compile_cfg(cfg, prefix, &err);
        if (!j) {
            fprintf(stderr, "aslc: internal error: TinyCC rejected the generated code: %s\n",
                    err ? err : "");
            rc = 2;
        } else {
            /* The definition is no longer needed: free it before running. */
            asl_unit_destroy(u);
            u = NULL;
            /* The state machines it starts are compiled on first use. */
            asl_children *kids_run = asl_children_create(false);
            rc = aslrt_main_nested(asl_jit_machine(j), NULL, 0, asl_children_load, kids_run,
                                   nrest, rest);
            asl_children_destroy(kids_run);
            asl_jit_destroy(j);
        }
        free(err);
#endif
    }
    free(csrc);
    if (units)
        free((char *)units[nkids]);
    free(units);
    asl_children_free(kids, nkids);
    free(prefix);
    free(name);
    free_rest(rest, nrest);
    asl_unit_destroy(u);
    return rc;
}

/* aslc, then what it wrote to stdout checked: output lost to a write error
 * (a full disk, a closed stdout) is an error, never a success. */
int main(int argc, char **argv)
{
    aslrtp_std_fds_hold();
    /* Out of memory while compiling: "aslc: out of memory (N bytes)" and
     * exit status 2, not an abort; `aslc run` switches to the execution's
     * way once it runs (doc/behaviour.md §36). */
    aslrtp_oom_exit(2, false);
    int rc = aslc_main(argc, argv);
    if (!aslrtp_stdout_done("aslc") && rc == 0)
        rc = 2;
    return rc;
}
