/*
 * replay.c - a main() for a libFuzzer target without libFuzzer: every file
 * named on the command line, and every file in every directory named there
 * (in name order, not recursively), is read into an exact-size buffer and
 * handed once to LLVMFuzzerTestOneInput.  `make check` builds one replay
 * program per target (tests/fuzz/replay_jsonata, _frontend, _paths,
 * _runtime, _loaders) with the ordinary compiler and runs them over the
 * corpora (tests/run-fuzz-replay.sh); in a build configured with
 * --enable-sanitizers they run under ASan, UBSan and LeakSanitizer.  By
 * hand, for gdb or valgrind:  tests/fuzz/replay_paths crash-1234...
 *
 * Each input's name is printed before it runs, so the last name in the log
 * is the one that crashed.  Exit status: 0 all ran, 1 a file could not be
 * read (a crash ends the program with the signal or the sanitizer's status).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Frees what LLVMFuzzerInitialize made (each target defines it). */
void fuzz_target_cleanup(void);

/* Reads path whole into a buffer of exactly its size (so that reading past
 * the end is caught), or returns NULL. */
static uint8_t *read_exact(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    size_t cap = 1 << 12, n;
    uint8_t *buf = malloc(cap);
    *len = 0;
    while (buf && (n = fread(buf + *len, 1, cap - *len, f)) > 0) {
        *len += n;
        if (*len == cap) {
            uint8_t *more = realloc(buf, cap *= 2);
            if (!more)
                free(buf);
            buf = more;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        free(buf);
        return NULL;
    }
    uint8_t *exact = malloc(*len ? *len : 1);
    if (exact)
        memcpy(exact, buf, *len);
    free(buf);
    return exact;
}

/* Runs the target on one file; returns 0, or 1 when it cannot be read. */
static int run_file(const char *path)
{
    size_t len;
    uint8_t *data = read_exact(path, &len);
    if (!data)
        return 1;
    printf("%s\n", path);
    fflush(stdout);
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Runs the target on every regular file of dir; returns how many files
 * could not be read, and adds the number run to *count. */
static int run_dir(const char *dir, size_t *count)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, by_name);
    if (n < 0) {
        perror(dir);
        return 1;
    }
    int bad = 0;
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        if (names[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            bad += run_file(path);
            (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    LLVMFuzzerInitialize(&argc, &argv);
    int bad = 0;
    size_t count = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            bad += run_dir(argv[i], &count);
        } else {
            bad += run_file(argv[i]);
            count++;
        }
    }
    fuzz_target_cleanup();
    printf("replayed %zu input(s), %d unreadable\n", count, bad);
    return bad ? 1 : 0;
}
