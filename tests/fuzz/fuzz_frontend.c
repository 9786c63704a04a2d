/*
 * fuzz_frontend.c - libFuzzer target for aslc's front end: the input bytes
 * are a definition file; they go through libaslc as `aslc check` takes
 * them (compiler/main.c): the unit is created (the JSON parsed), the
 * machine parsed and validated, checked against what this version
 * supports, and the diagnostics sorted and printed both as text and as
 * JSON.  Invalid definitions are the normal case; anything but diagnostics
 * (a crash, an abort from an internal error, a sanitizer report, a leak, an
 * error count that does not match the records) is a finding.
 *
 * Built with libFuzzer by tests/fuzz/run-fuzz.sh frontend; `make check`
 * links it with tests/fuzz/replay.c and replays tests/fuzz/corpus/frontend/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "diag.h"
#include "unit.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Where the printers write: nowhere, but through stdio all the same. */
static FILE *sink;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sink = fopen("/dev/null", "w");
    if (!sink)
        abort();
    return 0;
}

/* Closes the sink (the replay driver calls it before exiting, so that
 * LeakSanitizer sees nothing left). */
void fuzz_target_cleanup(void);
void fuzz_target_cleanup(void)
{
    fclose(sink);
}

/* Every record counted once, by its severity. */
static void check_counts(const asl_diags *d)
{
    size_t errors = 0;
    for (size_t i = 0; i < d->n; i++) {
        if (d->v[i].severity == ASL_DIAG_ERROR)
            errors++;
    }
    if (errors != d->nerrors) {
        fprintf(stderr, "fuzz_frontend: %zu error records but nerrors is %zu\n", errors,
                d->nerrors);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Both machine types, chosen by the input's length, as --type does. */
    asl_unit *u = asl_unit_create("fuzz.asl.json", (const char *)data, size);
    asl_machine *m = asl_parse_machine(u);
    if (m) {
        m->express = size % 2 == 1;
        asl_validate_machine(u, m);
    }
    if (m && u->diags.nerrors == 0)
        asl_validate_supported(u, m, ASL_DIAG_WARNING);
    if (!m && u->diags.nerrors == 0) {
        fputs("fuzz_frontend: no machine and no error\n", stderr);
        abort();
    }
    check_counts(&u->diags);
    asl_diag_sort(&u->diags, u->text, u->len);
    asl_diag_print(sink, &u->diags, u->filename, u->text, u->len, 0);
    asl_diag_print(sink, &u->diags, u->filename, u->text, u->len, 3);
    asl_diag_print_json(sink, &u->diags, u->filename, u->text, u->len);
    /* -Werror turns every warning into an error, and counts them. */
    size_t warnings = 0;
    for (size_t i = 0; i < u->diags.n; i++)
        warnings += u->diags.v[i].severity == ASL_DIAG_WARNING;
    size_t errors = u->diags.nerrors;
    if (asl_diag_promote_warnings(&u->diags) != warnings ||
        u->diags.nerrors != errors + warnings) {
        fputs("fuzz_frontend: -Werror miscounted the warnings\n", stderr);
        abort();
    }
    check_counts(&u->diags);
    asl_unit_destroy(u);
    return 0;
}
