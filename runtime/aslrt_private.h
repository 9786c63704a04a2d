/*
 * aslrt_private.h - interfaces between the runtime's own files (aslrtp_*).
 *
 * Never installed and never seen by generated code.  The compiler includes
 * it too: it validates paths, intrinsic calls and templates with these very
 * parsers, so compile time and run time cannot disagree.
 *
 * One section per file, headed by the file that defines what it declares.
 * The execution's own internals (struct aslrt_exec and the helpers that
 * exec.c, invoke.c, fanout.c and recover.c share) are in exec_private.h.
 * No file calls a file above it (tests/layering.sh checks the objects).
 *
 * Ownership: as in aslrt.h (borrowed in, new out, "steals" said aloud).
 * Messages returned through `char **why` / `char **err` are malloc'd; the
 * caller frees them.
 */
#ifndef ASLRT_PRIVATE_H
#define ASLRT_PRIVATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "aslrt.h"
#include "errnames.h"

/* Reference counts, atomic all the way: jansson's inline json_incref and
 * json_decref read the count without an atomic load before changing it
 * atomically, which ThreadSanitizer reports when threads share a value (as
 * Map iterations share the Map's input).  These behave the same with every
 * access atomic.  (Values with the count (size_t)-1 are jansson's statics.) */
static inline json_t *aslrtp_json_incref(json_t *j)
{
    if (j && __atomic_load_n(&j->refcount, __ATOMIC_RELAXED) != (size_t)-1)
        __atomic_add_fetch(&j->refcount, 1, __ATOMIC_RELAXED);
    return j;
}

static inline void aslrtp_json_decref(json_t *j)
{
    /* Acquire-release: the thread that frees sees every other thread's
     * last use (without a separate fence, which ThreadSanitizer cannot
     * follow). */
    if (j && __atomic_load_n(&j->refcount, __ATOMIC_RELAXED) != (size_t)-1 &&
        __atomic_sub_fetch(&j->refcount, 1, __ATOMIC_ACQ_REL) == 0)
        json_delete(j);
}

#define json_incref aslrtp_json_incref
#define json_decref aslrtp_json_decref

/* Reads a flag another thread may set (cancel, abort). */
static inline int aslrtp_flag(const volatile int *flag)
{
    return flag && __atomic_load_n(flag, __ATOMIC_ACQUIRE);
}

/* What stops a running call: a chain of flags, any of which set stops it.
 * A branch's or iteration's chain is its fan-out's flag (a sibling failed,
 * or the parent stopped), then its parent's chain, up to the execution's
 * abort flag (SIGINT, SIGTERM, StopExecution). */
typedef struct aslrtp_cancel {
    const volatile int *flag;         /* may be NULL */
    const struct aslrtp_cancel *up;   /* NULL at the top */
} aslrtp_cancel;

static inline int aslrtp_cancelled(const aslrtp_cancel *c)
{
    for (; c; c = c->up)
        if (aslrtp_flag(c->flag))
            return 1;
    return 0;
}

/* ==== alloc.c: allocation that never returns NULL ======================= */

/* The one out-of-memory path: writes "PROGRAM: out of memory (size bytes)"
 * (without the size when it is 0: unknown) to stderr and aborts, or ends
 * the process as aslrtp_oom_exit asked (doc/behaviour.md §36).  It never
 * allocates. */
_Noreturn void aslrtp_oom(size_t size);
/* From now on aslrtp_oom ends the process with _exit(status) (0: abort()),
 * after writing the failed execution {"Error":"States.Runtime",...} to
 * stdout when failure is set. */
void aslrtp_oom_exit(int status, bool failure);
void aslrtp_heap_huge(size_t small, size_t step);
/* pthread_create for the runtime's threads, with its bounded stack
 * (doc/behaviour.md §36), detached or not.  Returns pthread_create's code. */
int aslrtp_thread_create(pthread_t *thread, bool detached, void *(*fn)(void *), void *arg);
/* malloc, calloc and realloc that never return NULL (0 bytes get 1);
 * count * size is checked for overflow. */
void *aslrtp_malloc(size_t n);
void *aslrtp_calloc(size_t count, size_t size);
void *aslrtp_realloc(void *p, size_t n);
void *aslrtp_reallocarray(void *p, size_t count, size_t size);
char *aslrtp_strdup(const char *s);
/* The n bytes at s and a NUL (s may hold NULs). */
char *aslrtp_memdup(const char *s, size_t n);

/* ==== json.c: values, numbers, text ===================================== */

/* Parses any JSON document (scalars too).  Integers beyond int64 become
 * reals instead of failing.  Returns NULL and fills *err on bad JSON. */
json_t *aslrtp_json_loads(const char *text, size_t len, json_error_t *err);
/* The first JSON value of text (more may follow, after white space), read
 * as aslrtp_json_loads reads one; *used is how many bytes it took. */
json_t *aslrtp_json_loads_first(const char *text, size_t len, size_t *used, json_error_t *err);

/* Writes d in the shortest form that reads back as the same double, as
 * Java's Jackson prints doubles (AWS's serializer).  Returns the length. */
int aslrtp_format_double(double d, char *buf, size_t size);

/* True when the serialization of v is longer than limit bytes; stops
 * counting as soon as it is (payload quotas, doc/behaviour.md §23). */
bool aslrtp_json_exceeds(const json_t *v, size_t limit);
/* The longest v's serialization can be, however strings are escaped and
 * numbers printed (SIZE_MAX when that does not fit a size_t). */
size_t aslrtp_json_size_bound(const json_t *v);

/* A growable string buffer. */
typedef struct aslrtp_buf {
    char *data;
    size_t len, cap;
} aslrtp_buf;
/* Makes room for n more bytes and a NUL (doubling, from 64); returns where
 * they go, without counting them in len. */
char *aslrtp_buf_reserve(aslrtp_buf *b, size_t n);
void aslrtp_buf_add(aslrtp_buf *b, const char *s, size_t n);
void aslrtp_buf_adds(aslrtp_buf *b, const char *s);
void aslrtp_buf_addf(aslrtp_buf *b, const char *fmt, ...);
/* Appends the compact AWS serialization of v (see aslrt_json_dumps). */
void aslrtp_buf_add_json(aslrtp_buf *b, const json_t *v);
/* Returns the NUL-terminated data (malloc'd) and resets b. */
char *aslrtp_buf_finish(aslrtp_buf *b);
/* Whether s is one of the strings of list (which ends with NULL). */
bool aslrtp_str_in(const char *s, const char *const *list);
/* The value of the hexadecimal digit c, or -1. */
int aslrtp_hexval(int c);
/* An execution's status (ASLRT_SUCCEEDED, ...) as the API names it
 * ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"), and back (anything
 * else: ASLRT_FAILED). */
const char *aslrtp_status_name(int status);
int aslrtp_status_of(const char *name);

/* cli.c: a --wait value (real, skip, scale:F with F >= 0) into *mode and
 * *scale; false when it is none of these. */
bool aslrtp_wait_parse(const char *v, int *mode, double *scale);

/* ---- cli.c: the options of a workflow program ---------------------------
 * One getopt_long table, which `aslc run` shares: its codes start at
 * ASLRTP_RUN_OPTION_BASE, so that aslc's own stay apart. */
#define ASLRTP_RUN_OPTION_BASE 0x1000
struct option;
const struct option *aslrtp_run_options(void);
/* The message for what getopt_long returned as an error (c: '?' or ':'),
 * naming the option nearest to a misspelt one (malloc'd). */
char *aslrtp_option_error(const struct option *opts, char **argv, int c);
/* A workflow program's --help text, for prog. */
void aslrtp_run_usage(FILE *out, const char *prog);
/* Reads a workflow program's arguments (argv[0] is its name) as it would,
 * running nothing: false with *why (malloc'd) on the first error. */
bool aslrtp_run_args_check(int argc, char **argv, char **why);

/* The n bytes b in lower-case hexadecimal: 2n characters and a NUL in out. */
void aslrtp_hex(const unsigned char *b, size_t n, char *out);

/* malloc'd printf. Aborts on out of memory. */
char *aslrtp_strdupf(const char *fmt, ...);

/* Writing output as coreutils does (util.c): nothing written is lost
 * silently.  aslrtp_write writes n bytes of s to f, keeping in *err the
 * errno of the first failure.  aslrtp_stream_finish flushes f (and closes
 * it, unless it is stdout or stderr) and returns 0 when all that was
 * written went out, else an errno value (err when set), or -1 when the
 * reason was lost.  aslrtp_write_error says so on stderr:
 * "PROG: error writing WHAT: REASON". */
bool aslrtp_write(FILE *f, const char *s, size_t n, int *err);
int aslrtp_stream_finish(FILE *f, int err);
void aslrtp_write_error(const char *prog, const char *what, int err);
/* Whether what was written to stdout went out; if not, says so on stderr
 * ("PROG: error writing standard output: REASON") and clears the error,
 * so that it is said once. */
bool aslrtp_stdout_done(const char *prog);
/* Opens /dev/null on those of descriptors 0, 1 and 2 that are closed, for
 * the wrong direction (standard output read-only): using a closed standard
 * stream still fails, and no file or pipe opened later takes its number. */
void aslrtp_std_fds_hold(void);

/* ==== utf8.c: UTF-8 text =============================================== */

enum {
    ASLRTP_UTF8_WTF8 = 1,     /* accept encoded surrogates (JavaScript strings) */
    ASLRTP_UTF8_PER_BYTE = 2, /* add_clean: one U+FFFD per bad byte */
    ASLRTP_UTF8_NO_NUL = 4    /* add_clean: NUL is a bad byte too */
};
/* Decodes the character at s[0..n) (n > 0): returns its code point and
 * sets *len to its length in bytes.  A sequence that is not well-formed
 * (overlong, a surrogate without ASLRTP_UTF8_WTF8, above U+10FFFF, cut
 * short, or a byte that starts nothing) returns -1 with *len the length of
 * its maximal subpart (1 to 3), which Java replaces with one U+FFFD. */
int32_t aslrtp_utf8_decode(const char *s, size_t n, int flags, size_t *len);
/* For text already checked (jansson's strings, JavaScript's with
 * ASLRTP_UTF8_WTF8): the code point at s[*i] (*i < n), moving *i past it;
 * a byte that is not UTF-8 stands for itself. */
uint32_t aslrtp_utf8_next(const char *s, size_t n, int flags, size_t *i);
/* Writes cp (at most U+10FFFF; a surrogate as its three bytes) to out;
 * returns the length, 1 to 4. */
size_t aslrtp_utf8_encode(uint32_t cp, char out[4]);
/* Appends cp, encoded, to b. */
void aslrtp_utf8_add(aslrtp_buf *b, uint32_t cp);
/* True when s[0..n) is well-formed (NULs allowed). */
bool aslrtp_utf8_valid(const char *s, size_t n, int flags);
/* Appends s[0..n) to b with each ill-formed sequence replaced by U+FFFD:
 * one per maximal subpart (Java's decoder), or per byte with
 * ASLRTP_UTF8_PER_BYTE; with ASLRTP_UTF8_NO_NUL, NULs are replaced too. */
void aslrtp_utf8_add_clean(aslrtp_buf *b, const char *s, size_t n, int flags);
/* A JSON string of the bytes s[0..n) (s may be NULL when n is 0): as they
 * are when they are UTF-8, else with what is not made U+FFFD
 * (aslrtp_utf8_add_clean). */
json_t *aslrtp_utf8_json_string(const char *s, size_t n);
/* Characters in s[0..n): the bytes that are not continuation bytes. */
size_t aslrtp_utf8_count(const char *s, size_t n);
/* Length in UTF-16 code units (Java's String.length(), JavaScript's
 * .length): a four-byte character counts two. */
size_t aslrtp_utf16_length(const char *s, size_t n);
/* The start of the character holding byte i of s: i moved back over
 * continuation bytes (not before 0). */
size_t aslrtp_utf8_floor(const char *s, size_t i);
/* The one of names[0..n) nearest to s, for a "did you mean": at most a
 * third of s's length away (and at least one edit) in insertions,
 * deletions, substitutions and swaps of neighbours, counted in code
 * points; the first of the nearest; NULL when none is that near. */
const char *aslrtp_utf8_nearest(const char *s, const char *const *names, size_t n);

/* ==== clock.c: the monotonic and the wall clock ========================= */

/* CLOCK_MONOTONIC, for intervals and deadlines (its epoch means nothing). */
long long aslrtp_mono_ms(void);
long long aslrtp_mono_ns(void);
/* CLOCK_REALTIME since the Unix epoch, for dates. */
long long aslrtp_wall_ms(void);
long long aslrtp_wall_ns(void);
/* Sleeps ms milliseconds, or less when a signal arrives: returns the
 * milliseconds left (0 when the whole time passed). */
double aslrtp_sleep_ms(double ms);
/* Days from 1970-01-01 to y-m-d (m 1..12) in the proleptic Gregorian
 * calendar, and back. */
int64_t aslrtp_days_from_civil(int64_t y, int64_t m, int64_t d);
void aslrtp_civil_from_days(int64_t z, int64_t *y, int *m, int *d);

/* ==== base64.c: base64 through OpenSSL ================================== */

enum {
    ASLRTP_B64_URL = 1,  /* the URL-safe alphabet ('-' and '_' for '+' and '/') */
    ASLRTP_B64_NOPAD = 2 /* no '=' padding */
};
/* The base64 text of data[0..n) (malloc'd); *len (may be NULL) receives
 * its length. */
char *aslrtp_base64_encode(const void *data, size_t n, int flags, size_t *len);
/* The bytes of the base64 text s[0..n) (malloc'd, NUL-terminated), *len
 * their count; NULL when s is not base64 in the form flags give: every
 * character in the alphabet, and either padded to a multiple of four with
 * at most two '=' at the end, or (ASLRTP_B64_NOPAD) no '=' at all. */
char *aslrtp_base64_decode(const char *s, size_t n, int flags, size_t *len);
/* The same read as commons-codec and Node read it (never NULL): characters
 * outside both alphabets are skipped, '=' ends the data, and a last lone
 * character is dropped. */
char *aslrtp_base64_decode_lenient(const char *s, size_t n, size_t *len);

/* ==== uuid.c: random bytes and UUIDs ==================================== */

/* A UUID's text and its NUL. */
#define ASLRTP_UUID_SIZE 37
/* Fills buf with n random bytes from the kernel (aborts when there are
 * none to be had). */
void aslrtp_random_bytes(void *buf, size_t n);
/* bytes as "8-4-4-4-12" lowercase hex, with the version (4: random, 3:
 * name-based) and the RFC 4122 variant stamped in. */
void aslrtp_uuid_format(const unsigned char bytes[16], int version, char out[ASLRTP_UUID_SIZE]);
/* A random (version 4) UUID. */
void aslrtp_uuid_v4(char out[ASLRTP_UUID_SIZE]);

/* ==== jsonpath.c: one JSONPath implementation (Jayway flavour) ========== */

typedef struct aslrtp_path aslrtp_path;

/* Objects of up to this many members are searched pair by pair. */
#define ASLRTP_SCAN_MAX 4

/* jansson 2.14's object as it lays it out in memory (its hashtable.h and
 * value.c, not installed): read directly only where jsonpath.c's probe
 * found the library running to be 2.14 and its objects laid out so
 * (aslrtp_jansson_layout); through jansson's calls otherwise.  Five calls
 * a lookup were a fifth of a loop's time (doc/architecture.md). */
typedef struct aslrtp_jl_list {
    struct aslrtp_jl_list *prev, *next;
} aslrtp_jl_list;
typedef struct aslrtp_jl_pair {  /* a member; the iterator is &ordered */
    aslrtp_jl_list list, ordered;
    size_t hash;
    json_t *value;
    size_t key_len;
    char key[];
} aslrtp_jl_pair;
typedef struct aslrtp_jl_object {
    json_t json;
    size_t size;
    void *buckets;
    size_t order;
    aslrtp_jl_list list, ordered; /* ordered: the members in insertion order */
} aslrtp_jl_object;
#define ASLRTP_JL_PAIR(it) ((aslrtp_jl_pair *)((char *)(it) - offsetof(aslrtp_jl_pair, ordered)))
/* 1 once the probe found the layout, -1 when it did not, 0 before (atomic). */
extern int aslrtp_jansson_direct;
/* Probes once (jsonpath.c): 1 or -1. */
int aslrtp_jansson_probe(void);

/* Whether objects are read through the layout: the probe's answer. */
static inline __attribute__((always_inline)) bool aslrtp_jansson_layout(void)
{
    int d = __atomic_load_n(&aslrtp_jansson_direct, __ATOMIC_RELAXED);
    return (d ? d : aslrtp_jansson_probe()) == 1;
}

/* An object's size and members in order, through the layout (direct) or
 * jansson's calls: the iterators are jansson's either way. */
static inline size_t aslrtp_obj_size(json_t *obj, bool direct)
{
    return direct ? ((aslrtp_jl_object *)obj)->size : json_object_size(obj);
}
static inline void *aslrtp_obj_iter(json_t *obj, bool direct)
{
    if (!direct)
        return json_object_iter(obj);
    aslrtp_jl_object *o = (aslrtp_jl_object *)obj;
    return o->ordered.next == &o->ordered ? NULL : o->ordered.next;
}
static inline void *aslrtp_obj_iter_next(json_t *obj, void *it, bool direct)
{
    if (!direct)
        return json_object_iter_next(obj, it);
    aslrtp_jl_list *l = ((aslrtp_jl_list *)it)->next;
    return l == &((aslrtp_jl_object *)obj)->ordered ? NULL : l;
}
static inline size_t aslrtp_iter_key_len(void *it, bool direct)
{
    return direct ? ASLRTP_JL_PAIR(it)->key_len : json_object_iter_key_len(it);
}
static inline const char *aslrtp_iter_key(void *it, bool direct)
{
    return direct ? ASLRTP_JL_PAIR(it)->key : json_object_iter_key(it);
}
static inline json_t *aslrtp_iter_value(void *it, bool direct)
{
    return direct ? ASLRTP_JL_PAIR(it)->value : json_object_iter_value(it);
}

/* Member name of obj (an object), borrowed, or NULL.  A small object is
 * scanned in order, comparing lengths first: cheaper than hashing the name,
 * and the objects paths walk through are mostly small.  aslrtp_member_in
 * reads obj through the layout or not as told. */
static inline __attribute__((always_inline)) json_t *aslrtp_member_in(json_t *obj,
                                                                      const char *name,
                                                                      size_t len, bool direct)
{
    if (aslrtp_obj_size(obj, direct) > ASLRTP_SCAN_MAX)
        return json_object_getn(obj, name, len);
    for (void *it = aslrtp_obj_iter(obj, direct); it; it = aslrtp_obj_iter_next(obj, it, direct)) {
        if (aslrtp_iter_key_len(it, direct) != len)
            continue;
        const char *k = aslrtp_iter_key(it, direct);
        if (len == 0 || (k[0] == name[0] && (len == 1 || memcmp(k + 1, name + 1, len - 1) == 0)))
            return aslrtp_iter_value(it, direct);
    }
    return NULL;
}
static inline __attribute__((always_inline)) json_t *aslrtp_member(json_t *obj, const char *name,
                                                                   size_t len)
{
    return aslrtp_member_in(obj, name, len, aslrtp_jansson_layout());
}

/* What aslrtp_path_quick reads of a path, the first member of every
 * aslrtp_path (jsonpath.c): for one from $ made of member names only,
 * each name and its length; names NULL for any other. */
typedef struct aslrtp_path_view {
    const char **names;
    size_t *lens;
    size_t n;
} aslrtp_path_view;

enum {
    ASLRTP_ROOT_INPUT = 1, /* $...  */
    ASLRTP_ROOT_CONTEXT,   /* $$... */
    ASLRTP_ROOT_VAR        /* $name... (a workflow variable) */
};

/* Compiles text.  With reference != 0 only single-node paths are accepted
 * (dot and bracket member access, non-negative indexes).  On error returns
 * NULL with *err (a message) and *erroff (byte offset into text). */
aslrtp_path *aslrtp_path_compile(const char *text, int reference, char **err,
                                 size_t *erroff);
void aslrtp_path_free(aslrtp_path *p);
int aslrtp_path_root(const aslrtp_path *p);
/* The variable name of a ROOT_VAR path (without '$'). */
const char *aslrtp_path_var(const aslrtp_path *p);
const char *aslrtp_path_text(const aslrtp_path *p);
/* True when the path can only select one node (no wildcard, slice, union,
 * filter or deep scan): Jayway's "definite" path. */
int aslrtp_path_definite(const aslrtp_path *p);

/* Evaluates p against doc, which is the root the path's $ (or $$, or $var)
 * stands for.  A definite path returns the node; an indefinite one returns
 * an array of the matches.  Returns NULL when nothing matches, with *why set
 * to Jayway's reason, e.g. "No results for path: $['a']" or
 * "Missing property in path $['a']". */
json_t *aslrtp_path_get(const aslrtp_path *p, json_t *doc, char **why);

/* The same without a reference count change where none is needed (they are
 * atomic, and add up on hot paths): returns the node borrowed from doc, or a
 * new value with *owned set (indefinite paths, member lists). */
json_t *aslrtp_path_lookup(const aslrtp_path *p, json_t *doc, char **why, int *owned);
/* The hot case of both: a path from the input ("$.a.b", names only) whose
 * walk through doc finds a node, borrowed; NULL for anything else (another
 * root or kind of path, a node missing), which the caller then asks
 * aslrtp_path_lookup for: it answers the same node, or says why not. */
static inline __attribute__((always_inline)) json_t *aslrtp_path_quick(const aslrtp_path *p,
                                                                       json_t *doc)
{
    const aslrtp_path_view *v = (const aslrtp_path_view *)p;
    if (!v->names)
        return NULL;
    json_t *cur = doc;
    for (size_t i = 0; i < v->n; i++) {
        if (!json_is_object(cur))
            return NULL;
        cur = aslrtp_member(cur, v->names[i], v->lens[i]);
        if (!cur)
            return NULL;
    }
    return cur;
}

/* ResultPath: stores value at p inside doc, creating objects on the way.
 * Steals doc and value; copies shared (refcount > 1) nodes before changing
 * them.  Returns the new document, or NULL with *why. */
json_t *aslrtp_path_set(const aslrtp_path *p, json_t *doc, json_t *value,
                        char **why);

/* ==== intrinsics.c: the States.* functions ============================== */

typedef struct aslrtp_intrinsic aslrtp_intrinsic;

/* Evaluates a path argument: returns the value, borrowed (it stays alive
 * while the caller works) or new with *owned set; or NULL with *why. */
typedef json_t *(*aslrtp_resolve_fn)(void *ud, const aslrtp_path *p,
                                     char **why, int *owned);

/* True when text looks like an intrinsic call ("States.Name(" ...). */
int aslrtp_intrinsic_like(const char *text);
/* Parses and checks a call: known name, arity, literal argument types,
 * nesting depth.  On error NULL with *err and *erroff. */
aslrtp_intrinsic *aslrtp_intrinsic_compile(const char *text, char **err,
                                           size_t *erroff);
void aslrtp_intrinsic_free(aslrtp_intrinsic *f);
/* Evaluates the call.  Path arguments are resolved through resolve(ud,...).
 * On failure returns NULL with err->error (e.g. "States.Runtime") and
 * err->cause (the detail, without AWS's "An error occurred while executing
 * the state ..." prefix, which the caller adds). */
json_t *aslrtp_intrinsic_eval(const aslrtp_intrinsic *f,
                              aslrtp_resolve_fn resolve, void *ud,
                              aslrt_error *err);
/* True when f's result is always an integer, which
 * aslrtp_intrinsic_eval_int computes without a JSON value: 1 with *out,
 * or 0 with err as above. */
bool aslrtp_intrinsic_is_int(const aslrtp_intrinsic *f);
int aslrtp_intrinsic_eval_int(const aslrtp_intrinsic *f, aslrtp_resolve_fn resolve, void *ud,
                              aslrt_error *err, json_int_t *out);
/* The same without the resolver, for the hot case: arguments that are
 * literals or paths aslrtp_path_quick finds in input (the template's "$"),
 * and a result without error.  1 with *out; 0 otherwise, with nothing
 * set: the caller takes aslrtp_intrinsic_eval_int, which reports. */
int aslrtp_intrinsic_eval_int_quick(const aslrtp_intrinsic *f, json_t *input, json_int_t *out);
/* A counter's call, States.MathAdd of a path and an integer literal in a
 * Java int's range (either order): the path, with *step the literal; NULL
 * for any other call. */
const aslrtp_path *aslrtp_intrinsic_step(const aslrtp_intrinsic *f, json_int_t *step);
/* Such a call's value when the path finds an integer whose sum with step
 * is a Java int, as aslrtp_intrinsic_eval_int_quick: 1 with *out, else 0. */
static inline __attribute__((always_inline)) int aslrtp_step_quick(const aslrtp_path *p,
                                                                   json_int_t step,
                                                                   json_t *input,
                                                                   json_int_t *out)
{
    json_t *c = aslrtp_path_quick(p, input);
    if (!c || !json_is_integer(c))
        return 0;
    json_int_t x = json_integer_value(c), sum = x + step;
    if (x < INT32_MIN || x > INT32_MAX || sum < INT32_MIN || sum > INT32_MAX)
        return 0;
    *out = sum;
    return 1;
}
/* The longest f's result can be as JSON text, whatever its arguments;
 * SIZE_MAX when that depends on them. */
size_t aslrtp_intrinsic_bound(const aslrtp_intrinsic *f);

/* ==== choice.c: Choice comparisons and timestamps ======================= */

/* Applies a comparison operator.  value is the Variable's value (NULL when
 * the path matched nothing: only IsPresent accepts that; the caller reports
 * the error otherwise); operand is the literal or the ...Path value.
 * Returns 1 or 0. */
int aslrtp_compare(int op, json_t *value, json_t *operand);
/* The same for a numeric operator (ASLRT_CMP_NUMERIC_*) between two
 * integers, a loop counter against a literal: inline, as each pass of a
 * loop asks. */
static inline int aslrtp_compare_ints(int op, json_int_t x, json_int_t y)
{
    switch (op) {
    case ASLRT_CMP_NUMERIC_EQ: return x == y;
    case ASLRT_CMP_NUMERIC_LT: return x < y;
    case ASLRT_CMP_NUMERIC_GT: return x > y;
    case ASLRT_CMP_NUMERIC_LE: return x <= y;
    case ASLRT_CMP_NUMERIC_GE: return x >= y;
    }
    return 0;
}

/* Parses an RFC 3339 timestamp as AWS accepts it (uppercase T and Z, or a
 * numeric offset; fractional seconds optional).  Stores seconds since the
 * epoch (UTC) and nanoseconds. */
bool aslrtp_timestamp_parse(const char *s, int64_t *sec, int32_t *nsec);
/* Formats ms since the epoch as AWS's context timestamps:
 * "2024-05-01T12:00:00.123Z" (buf of at least 32 bytes). */
void aslrtp_timestamp_format(long long ms, char *buf, size_t size);

/* ==== task.c: task handlers ============================================= */

/* Calls the handler bound to resource with input (borrowed).  timeout_s of
 * 0 means none.  When cancel (may be NULL) becomes non-zero, a running
 * program is stopped with its process group (Error "aslc.Cancelled").  On success *out is a new reference and 1 is returned; on
 * failure err holds the Error and Cause as AWS would report them (for an
 * unbound resource: an error naming the resource). */
int aslrtp_task_invoke(const aslrt_bindings *b, const char *resource,
                       json_t *input, double timeout_s, const aslrtp_cancel *cancel,
                       json_t **out, aslrt_error *err);
/* The same for a Lambda function called through the optimized integration:
 * compact != 0 re-serializes a function error's payload compactly (as
 * lambda:invoke reports it), *raw_len (may be NULL) receives the size of
 * the response the handler printed (its Content-Length), *log_tail (may
 * be NULL; malloc'd) the last 4 KB of what a program handler logged (an
 * HTTP handler: the decoded X-Amz-Log-Result; it asks for the log only
 * when log_tail is not NULL), and *version (may be NULL; malloc'd, left
 * unchanged when the handler does not say) the version that ran, as
 * X-Amz-Executed-Version gives it. */
int aslrtp_task_invoke_lambda(const aslrt_bindings *b, const char *resource, json_t *input,
                              double timeout_s, const aslrtp_cancel *cancel, int compact,
                              size_t *raw_len, char **log_tail, char **version, json_t **out,
                              aslrt_error *err);

/* The same for the Task state named state: its handler is the binding
 * keyed by that name (a bindings file's "States" section), else the one
 * keyed by exactly resource, else the first pattern that matches it.
 * Unbound, the error (aslc.UnboundResource) names the state, the resource
 * and the ways to answer the Task. */
int aslrtp_task_invoke_state(const aslrt_bindings *b, const char *state, const char *resource,
                             json_t *input, double timeout_s, const aslrtp_cancel *cancel,
                             int compact, size_t *raw_len, char **log_tail, char **version,
                             json_t **out, aslrt_error *err);

/* Whether a binding answers the Task state named state (may be NULL) with
 * resource: keyed by the name, by the resource, or by a matching glob. */
bool aslrtp_task_bound(const aslrt_bindings *b, const char *state, const char *resource);
/* The bindings file's "StateMachines" section (nested executions): whether
 * one was given, and the definition file keyed by exactly key (an ARN or
 * a name), or NULL. */
bool aslrtp_bindings_has_machines(const aslrt_bindings *b);
const char *aslrtp_bindings_machine(const aslrt_bindings *b, const char *key);
/* The endpoint URL the bindings file's "Endpoints" gives the AWS service
 * named service (its aws-sdk name), else its "*" entry, else NULL. */
const char *aslrtp_bindings_endpoint(const aslrt_bindings *b, const char *service);
/* Binds pattern to the Lambda Invoke API at url, as a bindings file's
 * {"http": url} does (after the bindings already there); false with *why. */
int aslrtp_bindings_add_http(aslrt_bindings *b, const char *pattern, const char *url,
                             char **why);

/* ==== task_http.c: the "http" handler kind (AWS Lambda Invoke API) ====== */

typedef struct aslrtp_http aslrtp_http;

/* Builds the handler of an "http" binding from its object in a bindings
 * file (borrowed): {"http": URL, "function"?, "region"?, "sign"?}.  On a
 * bad binding (or in a build without libcurl) returns NULL with *member
 * (the member at fault, borrowed from obj or static; NULL for the binding
 * itself) and *why (malloc'd), for the loader to report with its
 * location. */
aslrtp_http *aslrtp_http_load(json_t *obj, const char **member, char **why);
void aslrtp_http_free(aslrtp_http *h);
/* Calls the function through the Invoke API: the arguments and results of
 * aslrtp_task_invoke_lambda.  Safe from several threads at once. */
int aslrtp_http_invoke(aslrtp_http *h, const char *resource, json_t *input, double timeout_s,
                       const aslrtp_cancel *cancel, int compact, size_t *raw_len,
                       char **log_tail, char **version, json_t **out, aslrt_error *err);

/* ==== task_worker.c: persistent worker processes ("worker": true) ====== */

typedef struct aslrtp_worker aslrtp_worker;

/* The handlers an adapter script runs as Lambda's runtime for their
 * language would (argv: interpreter, adapter, file, handler name):
 * runtime/aslc-python-handler and runtime/aslc-node-handler.  NONE is a
 * program, argv its own. */
enum { ASLRTP_ADAPTER_NONE = 0, ASLRTP_ADAPTER_PYTHON, ASLRTP_ADAPTER_NODE };

/* The command line of an adapter handler's process (argv: interpreter,
 * adapter, file, handler name, then the adapter's own options, such as
 * "--env" "NAME=VALUE"): interpreter adapter [--worker] --ready-fd 3
 * --resource ARN [--timeout SECONDS] [options] -- file handler.  timeout
 * may be NULL.  The array is malloc'd, its strings are borrowed. */
char **aslrtp_adapter_argv(char *const *argv, int worker, const char *resource,
                           const char *timeout);

/* A worker for a program binding (argv: program and arguments) or, with
 * adapter set (ASLRTP_ADAPTER_*), an adapter one (argv: interpreter,
 * adapter, file, handler name, options).  argv and cwd (may be NULL) are copied; no
 * process starts before the first call.  NULL when argv is too short. */
aslrtp_worker *aslrtp_worker_create(const char *const *argv, const char *cwd, int adapter);
/* Closes the workers' stdin, kills what is left of their process groups
 * after a grace period, reaps them and frees w.  No call may be running. */
void aslrtp_worker_destroy(aslrtp_worker *w);
/* Calls the handler through one of resource's worker processes (started
 * when none is idle): the arguments and results of
 * aslrtp_task_invoke_lambda, the same errors as a per-call program.  Safe
 * from several threads at once. */
int aslrtp_worker_invoke(aslrtp_worker *w, const char *resource, json_t *input,
                         double timeout_s, const aslrtp_cancel *cancel, int compact,
                         size_t *raw_len, char **log_tail, json_t **out, aslrt_error *err);

/* ==== mock.c: mocked Task responses ===================================== */

/* True when the mock file (mk may be NULL) answers state (index). */
bool aslrtp_mock_covers(const aslrt_mocks *mk, int state);
/* The state (index) is not mocked any more: a --override-task wins
 * (doc/behaviour.md §41).  mk may be NULL. */
void aslrtp_mock_drop(aslrt_mocks *mk, int state);
/* The mocked answer of a covered state (index) at its call-th invocation
 * (from 0): 1 with *out (new) for a Return; 0 with err filled for a Throw
 * or a missing or malformed entry. */
int aslrtp_mock_invoke(const aslrt_mocks *mk, int state, const char *state_name, long call,
                       json_t **out, aslrt_error *err);

/* ==== payload.c: payload templates ("key.$" objects) ==================== */

typedef struct aslrtp_tmpl aslrtp_tmpl;

/* Compiles a template (Parameters, ResultSelector, ItemSelector, ...):
 * "key.$" values become paths or intrinsic calls, constant subtrees become
 * one shared value.  On error NULL with *err. */
aslrtp_tmpl *aslrtp_tmpl_compile(json_t *t, char **err);
void aslrtp_tmpl_free(aslrtp_tmpl *t);
/* The longest an output of t can be as JSON text, whatever the input:
 * from its constants and the intrinsics whose results are bounded; SIZE_MAX
 * when a path's value goes into it. */
size_t aslrtp_tmpl_bound(const aslrtp_tmpl *t);
/* Builds the payload for input (borrowed; shown in error causes).  Paths
 * from "$" are walked over input, the others ($$, $var) are resolved
 * through resolve(ud, ...).  Returns a new value, or NULL with
 * err filled (Error name and Cause detail, without AWS's state prefix). */
json_t *aslrtp_tmpl_eval(const aslrtp_tmpl *t, aslrtp_resolve_fn resolve, void *ud,
                         json_t *input, aslrt_error *err);
/* The same, given the template's last two outputs in kept (held there, or
 * NULL; the newest first), which it updates: an object template's output
 * that nobody else holds any more is filled anew in place instead of being
 * built (and an integer only it holds, an intrinsic's, takes the new
 * value in place).  kept starts as two NULLs; the first evaluation only marks it, so
 * a template evaluated once keeps nothing.  The caller releases kept
 * (json_decref of each) when it is done with the template. */
json_t *aslrtp_tmpl_eval_kept(const aslrtp_tmpl *t, json_t *kept[2], aslrtp_resolve_fn resolve,
                              void *ud, json_t *input, aslrt_error *err);

/* ==== pool.c: threads for Parallel branches and Map iterations ========== */

/* Runs fn(ud, i, worker) for every i in [0, n), taking i in order, on
 * `workers` threads (worker ids 0 .. workers-1; with 1, in the calling
 * thread).  Once *stop (may be NULL) is non-zero no further i is started.
 * Returns when every started call has returned. */
typedef void (*aslrtp_work_fn)(void *ud, size_t i, int worker);
void aslrtp_pool_run(size_t n, int workers, aslrtp_work_fn fn, void *ud,
                     const volatile int *stop);
/* The number of threads a fan-out uses by default: the machine's cores. */
int aslrtp_pool_default_size(void);

/* ==== history.c: the execution history (GetExecutionHistory) ============ */

/* Every event type the runtime writes: its enum name, AWS's type, and the
 * member holding its details (NULL: it has none). */
#define ASLRTP_EVENTS(X)                                                                    \
    X(EXECUTION_STARTED, "ExecutionStarted", "executionStartedEventDetails")               \
    X(EXECUTION_SUCCEEDED, "ExecutionSucceeded", "executionSucceededEventDetails")         \
    X(EXECUTION_FAILED, "ExecutionFailed", "executionFailedEventDetails")                  \
    X(EXECUTION_TIMED_OUT, "ExecutionTimedOut", "executionTimedOutEventDetails")           \
    X(EXECUTION_ABORTED, "ExecutionAborted", "executionAbortedEventDetails")               \
    X(PASS_STATE_ENTERED, "PassStateEntered", "stateEnteredEventDetails")                  \
    X(PASS_STATE_EXITED, "PassStateExited", "stateExitedEventDetails")                     \
    X(TASK_STATE_ENTERED, "TaskStateEntered", "stateEnteredEventDetails")                  \
    X(TASK_STATE_EXITED, "TaskStateExited", "stateExitedEventDetails")                     \
    X(TASK_STATE_ABORTED, "TaskStateAborted", NULL)                                        \
    X(CHOICE_STATE_ENTERED, "ChoiceStateEntered", "stateEnteredEventDetails")              \
    X(CHOICE_STATE_EXITED, "ChoiceStateExited", "stateExitedEventDetails")                 \
    X(WAIT_STATE_ENTERED, "WaitStateEntered", "stateEnteredEventDetails")                  \
    X(WAIT_STATE_EXITED, "WaitStateExited", "stateExitedEventDetails")                     \
    X(SUCCEED_STATE_ENTERED, "SucceedStateEntered", "stateEnteredEventDetails")            \
    X(SUCCEED_STATE_EXITED, "SucceedStateExited", "stateExitedEventDetails")               \
    X(FAIL_STATE_ENTERED, "FailStateEntered", "stateEnteredEventDetails")                  \
    X(PARALLEL_STATE_ENTERED, "ParallelStateEntered", "stateEnteredEventDetails")          \
    X(PARALLEL_STATE_STARTED, "ParallelStateStarted", NULL)                                \
    X(PARALLEL_STATE_SUCCEEDED, "ParallelStateSucceeded", NULL)                            \
    X(PARALLEL_STATE_FAILED, "ParallelStateFailed", NULL)                                  \
    X(PARALLEL_STATE_ABORTED, "ParallelStateAborted", NULL)                                \
    X(PARALLEL_STATE_EXITED, "ParallelStateExited", "stateExitedEventDetails")             \
    X(MAP_STATE_ENTERED, "MapStateEntered", "stateEnteredEventDetails")                    \
    X(MAP_STATE_STARTED, "MapStateStarted", "mapStateStartedEventDetails")                 \
    X(MAP_STATE_SUCCEEDED, "MapStateSucceeded", NULL)                                      \
    X(MAP_STATE_FAILED, "MapStateFailed", NULL)                                            \
    X(MAP_STATE_ABORTED, "MapStateAborted", NULL)                                          \
    X(MAP_STATE_EXITED, "MapStateExited", "stateExitedEventDetails")                       \
    X(MAP_ITERATION_STARTED, "MapIterationStarted", "mapIterationStartedEventDetails")     \
    X(MAP_ITERATION_SUCCEEDED, "MapIterationSucceeded", "mapIterationSucceededEventDetails") \
    X(MAP_ITERATION_FAILED, "MapIterationFailed", "mapIterationFailedEventDetails")        \
    X(MAP_ITERATION_ABORTED, "MapIterationAborted", "mapIterationAbortedEventDetails")     \
    X(MAP_RUN_STARTED, "MapRunStarted", "mapRunStartedEventDetails")                       \
    X(MAP_RUN_SUCCEEDED, "MapRunSucceeded", NULL)                                          \
    X(MAP_RUN_FAILED, "MapRunFailed", "mapRunFailedEventDetails")                          \
    X(TASK_SCHEDULED, "TaskScheduled", "taskScheduledEventDetails")                        \
    X(TASK_STARTED, "TaskStarted", "taskStartedEventDetails")                              \
    X(TASK_SUBMITTED, "TaskSubmitted", "taskSubmittedEventDetails")                        \
    X(TASK_SUCCEEDED, "TaskSucceeded", "taskSucceededEventDetails")                        \
    X(TASK_FAILED, "TaskFailed", "taskFailedEventDetails")                                 \
    X(TASK_TIMED_OUT, "TaskTimedOut", "taskTimedOutEventDetails")                          \
    X(LAMBDA_SCHEDULED, "LambdaFunctionScheduled", "lambdaFunctionScheduledEventDetails")  \
    X(LAMBDA_STARTED, "LambdaFunctionStarted", NULL)                                       \
    X(LAMBDA_SUCCEEDED, "LambdaFunctionSucceeded", "lambdaFunctionSucceededEventDetails")  \
    X(LAMBDA_FAILED, "LambdaFunctionFailed", "lambdaFunctionFailedEventDetails")           \
    X(LAMBDA_TIMED_OUT, "LambdaFunctionTimedOut", "lambdaFunctionTimedOutEventDetails")    \
    X(EVALUATION_FAILED, "EvaluationFailed", "evaluationFailedEventDetails")              \
    X(ACTIVITY_SCHEDULED, "ActivityScheduled", "activityScheduledEventDetails")            \
    X(ACTIVITY_STARTED, "ActivityStarted", "activityStartedEventDetails")                  \
    X(ACTIVITY_SUCCEEDED, "ActivitySucceeded", "activitySucceededEventDetails")            \
    X(ACTIVITY_FAILED, "ActivityFailed", "activityFailedEventDetails")                     \
    X(ACTIVITY_TIMED_OUT, "ActivityTimedOut", "activityTimedOutEventDetails")

enum {
    ASLRTP_EV_NONE = 0,
#define X(e, name, details) ASLRTP_EV_##e,
    ASLRTP_EVENTS(X)
#undef X
};

/* A list of events, owned by one thread at a time. */
typedef struct aslrtp_hist aslrtp_hist;
aslrtp_hist *aslrtp_hist_create(void);
void aslrtp_hist_destroy(aslrtp_hist *h);
/* Appends an event; steals details (may be NULL). */
void aslrtp_hist_add_new(aslrtp_hist *h, long id, long prev, int type, long long ms,
                         json_t *details);
size_t aslrtp_hist_count(const aslrtp_hist *h);
/* Sets the previousEventId of the i-th event of h. */
void aslrtp_hist_set_prev(aslrtp_hist *h, size_t i, long prev);
/* Moves every event of src to the end of dst; ids and previousEventIds in
 * [lo, hi] are shifted by delta.  src is left empty. */
void aslrtp_hist_splice(aslrtp_hist *dst, aslrtp_hist *src, long lo, long hi, long delta);
/* {"events": [...]}: a new value. */
json_t *aslrtp_hist_json(const aslrtp_hist *h);
/* Makes h the execution's own list, whose events go to sink as soon as
 * they are final (doc/behaviour.md §31.1): those added at once, those
 * spliced in by aslrtp_hist_flush.  keep: delivered events stay (for
 * aslrtp_hist_json); else they are dropped once delivered. */
void aslrtp_hist_set_sink(aslrtp_hist *h, void (*sink)(void *ud, const json_t *event), void *ud,
                          bool keep);
/* Hands the events not yet delivered to the sink (none: nothing). */
void aslrtp_hist_flush(aslrtp_hist *h);
/* Events held by all the lists of the process (tests of bounded memory). */
size_t aslrtp_hist_live(void);
/* v serialized as AWS prints it, as the JSON string the API returns. */
json_t *aslrtp_hist_payload(const json_t *v);
/* A history file written as the execution goes: open it on path ("-":
 * stderr; NULL with errno), hand aslrtp_hist_file_event to
 * aslrt_config.history_event with it, then close it: 0 when all of the
 * document was written, else an errno value (-1: reason unknown). */
typedef struct aslrtp_hist_file aslrtp_hist_file;
aslrtp_hist_file *aslrtp_hist_file_open(const char *path);
void aslrtp_hist_file_event(void *ud, const json_t *event);
int aslrtp_hist_file_close(aslrtp_hist_file *w);
/* The *StateEntered / *StateExited event of a state type (inline: two
 * of them are written for every state an execution runs). */
static inline int aslrtp_hist_entered(int state_type)
{
    switch (state_type) {
    case ASLRT_STATE_PASS: return ASLRTP_EV_PASS_STATE_ENTERED;
    case ASLRT_STATE_TASK: return ASLRTP_EV_TASK_STATE_ENTERED;
    case ASLRT_STATE_CHOICE: return ASLRTP_EV_CHOICE_STATE_ENTERED;
    case ASLRT_STATE_WAIT: return ASLRTP_EV_WAIT_STATE_ENTERED;
    case ASLRT_STATE_SUCCEED: return ASLRTP_EV_SUCCEED_STATE_ENTERED;
    case ASLRT_STATE_FAIL: return ASLRTP_EV_FAIL_STATE_ENTERED;
    case ASLRT_STATE_PARALLEL: return ASLRTP_EV_PARALLEL_STATE_ENTERED;
    default: return ASLRTP_EV_MAP_STATE_ENTERED;
    }
}

static inline int aslrtp_hist_exited(int state_type)
{
    switch (state_type) {
    case ASLRT_STATE_PASS: return ASLRTP_EV_PASS_STATE_EXITED;
    case ASLRT_STATE_TASK: return ASLRTP_EV_TASK_STATE_EXITED;
    case ASLRT_STATE_CHOICE: return ASLRTP_EV_CHOICE_STATE_EXITED;
    case ASLRT_STATE_WAIT: return ASLRTP_EV_WAIT_STATE_EXITED;
    case ASLRT_STATE_SUCCEED: return ASLRTP_EV_SUCCEED_STATE_EXITED;
    case ASLRT_STATE_PARALLEL: return ASLRTP_EV_PARALLEL_STATE_EXITED;
    default: return ASLRTP_EV_MAP_STATE_EXITED;
    }
}
/* resourceType and resource of a Task's Resource (malloc'd). */
void aslrtp_hist_resource(const char *arn, char **type, char **resource);

/* ==== callback.c: task tokens and the callback endpoint ================= */

/* The endpoint of one execution that its callback tasks (.waitForTaskToken)
 * wait on; shared by the execution's branches and iterations through a
 * slot (a pointer that is NULL until the first token is made). */
typedef struct aslrtp_cb_server aslrtp_cb_server;
/* One callback task, from aslrtp_cb_open until its wait ends. */
typedef struct aslrtp_cb_task aslrtp_cb_task;

/* A new task token (malloc'd) for a task of the execution whose endpoint
 * *slot holds, creating the endpoint on first use (it listens only once a
 * task waits).  NULL with err filled when no token can be made. */
char *aslrtp_cb_token_create(aslrtp_cb_server **slot, aslrt_error *err);
/* Opens the task of token: from now on SendTask* calls with the token are
 * accepted, and the endpoint listens (its socket and thread are created
 * with the first task).  NULL with err filled on failure. */
aslrtp_cb_task *aslrtp_cb_open(aslrtp_cb_server **slot, const char *token, aslrt_error *err);
/* Closes a task that will not wait (its invocation failed): the token gets
 * TaskTimedOut from now on. */
void aslrtp_cb_close(aslrtp_cb_task *t);
/* Makes t an activity task, which accepts one "ActivityStarted" message
 * (aslrt_activity_started) before its outcome. */
void aslrtp_cb_expect_worker(aslrtp_cb_task *t);

/* How a wait ended. */
enum {
    ASLRTP_CB_SUCCEEDED = 1,     /* SendTaskSuccess: *out */
    ASLRTP_CB_FAILED,            /* SendTaskFailure: err (Error, Cause may be NULL) */
    ASLRTP_CB_TIMED_OUT,         /* timeout_ms passed */
    ASLRTP_CB_HEARTBEAT_TIMED_OUT, /* heartbeat_ms passed without a heartbeat */
    ASLRTP_CB_ABORTED            /* *abort_flag or *cancel became non-zero */
};

typedef struct aslrtp_cb_limits {
    double timeout_ms;           /* execution time left until TimeoutSeconds; < 0: none */
    double heartbeat_ms;         /* HeartbeatSeconds in ms; < 0: none */
    double scale;                /* real ms per execution ms: 1 real, F scaled, 0 skipped */
    const aslrtp_cancel *cancel; /* stop once set (may be NULL) */
    /* An activity's worker took the task (aslrt_activity_started): called
     * in the waiting thread, once, with the worker's name (may be NULL). */
    void (*started)(void *ud, const char *worker_name);
    void *started_ud;
} aslrtp_cb_limits;

/* Waits until the task's outcome arrives or a limit passes, then closes t
 * (later calls with its token get TaskTimedOut).  Returns ASLRTP_CB_*;
 * *gained_ms receives the execution time that passed beyond the real time
 * (what the execution's clock must move ahead by). */
int aslrtp_cb_wait(aslrtp_cb_task *t, const aslrtp_cb_limits *l, json_t **out,
                   aslrt_error *err, double *gained_ms);
/* Stops listening, removes the socket and frees every task (none may be
 * waiting any more).  NULL is ignored. */
void aslrtp_cb_server_destroy(aslrtp_cb_server *srv);

/* ==== itemreader.c: distributed Map input and output ==================== */

/* S3 is a folder here: s3://BUCKET/KEY is the file S3_ROOT/BUCKET/KEY.
 * Returns that path (malloc'd), or NULL when bucket is empty, ".", "..",
 * or holds a '/', or key has a ".." component: a definition cannot reach
 * outside the root. */
char *aslrtp_s3_path(const char *s3_root, const char *bucket, const char *key);
/* Paths beneath the root are opened without following symbolic links:
 * by openat2 where the kernel has it, else component by component.  on:
 * the second way only (the tests run both). */
void aslrtp_s3_portable(bool on);

/* Where S3 is for the distributed Map: a folder (root), or, root NULL,
 * S3's API at the endpoint configured for it (aws/s3.c). */
typedef struct aslrtp_s3_place {
    const char *root;
    const aslrt_config *cfg;
    const char *region;
} aslrtp_s3_place;
/* The place of an execution: --s3-root when given, else S3's endpoint
 * when one is configured for S3, else the current directory. */
void aslrtp_s3_place_of(const aslrt_config *cfg, const char *region, aslrtp_s3_place *at);

/* ItemReader.  resource is "arn:aws:states:::s3:getObject" (params
 * {"Bucket","Key"}) or "arn:aws:states:::s3:listObjectsV2" (params
 * {"Bucket","Prefix"?}); reader_config (may be NULL) is the ReaderConfig:
 * InputType JSON | JSONL | CSV (MANIFEST and PARQUET fail as unsupported),
 * CSVHeaderLocation FIRST_ROW (default) | GIVEN with CSVHeaders,
 * CSVDelimiter, ItemsPointer (JSON only), Transformation NONE |
 * LOAD_AND_FLATTEN (listObjectsV2: read every listed object as InputType and
 * concatenate the items).  max_items: 0 = all, else at most that many.
 * Returns a new array of items: CSV rows as objects of strings in header
 * order; listObjectsV2 items as {"Etag","Key","LastModified" (epoch
 * seconds),"Size","StorageClass"} in key order.  On failure NULL with
 * err = States.ItemReaderFailed and AWS's cause where known. */
json_t *aslrtp_items_read(const char *s3_root, const char *resource, json_t *params,
                          json_t *reader_config, long max_items, aslrt_error *err);
/* The same at any place. */
json_t *aslrtp_items_read_at(const aslrtp_s3_place *at, const char *resource, json_t *params,
                             json_t *reader_config, long max_items, aslrt_error *err);

/* The same item by item (doc/behaviour.md §44): an open reader gives the
 * items one at a time, reading its object as far as they need (a JSON
 * object with ItemsPointer, or one that is not an array of JSON values,
 * is read whole).  aslrtp_items_next: 1 with *item (a new reference), 0
 * after the last item (or at max_items), -1 with err. */
typedef struct aslrtp_items aslrtp_items;
aslrtp_items *aslrtp_items_open(const aslrtp_s3_place *at, const char *resource,
                                json_t *params, json_t *reader_config, long max_items,
                                aslrt_error *err);
int aslrtp_items_next(aslrtp_items *it, json_t **item, aslrt_error *err);
void aslrtp_items_close(aslrtp_items *it);

/* ItemBatcher.  Splits items (borrowed array) into a new array of batches
 * {"BatchInput": batch_input (only when not NULL; shared, not copied),
 * "Items": [...]} in order.  A batch closes at max_items_per_batch items or
 * before the item that would make its serialization (aslrt_json_dumps of the
 * whole batch object) longer than max_bytes_per_batch (0: no limit, for
 * either).  An item that cannot fit even alone fails: NULL with
 * err = States.ItemReaderFailed. */
json_t *aslrtp_items_batch(json_t *items, long max_items_per_batch,
                           long max_bytes_per_batch, json_t *batch_input,
                           aslrt_error *err);

/* The same batch by batch: each item added (borrowed) may close the
 * batch before it (*closed, a new reference, else NULL); finish gives the
 * last batch (NULL when there was no item).  An item that cannot fit even
 * alone fails add with err. */
typedef struct aslrtp_batcher {
    long max_items, max_bytes;
    json_t *batch_input;      /* borrowed */
    size_t base;              /* the size of an empty batch */
    json_t *batch;            /* the open batch, or NULL */
    size_t count, bytes, index;
} aslrtp_batcher;
void aslrtp_batcher_init(aslrtp_batcher *b, long max_items_per_batch,
                         long max_bytes_per_batch, json_t *batch_input);
bool aslrtp_batcher_add(aslrtp_batcher *b, json_t *item, json_t **closed, aslrt_error *err);
json_t *aslrtp_batcher_finish(aslrtp_batcher *b);

/* ResultWriter.  results[i] is child i's output, or its error output
 * {"Error","Cause"} when failed[i] (failed may be NULL: none failed);
 * inputs[i] its input.  writer_config (may be NULL) is the WriterConfig
 * (OutputType JSON | JSONL, Transformation NONE | COMPACT | FLATTEN).
 * With params {"Bucket","Prefix"} (the bucket directory must exist) writes
 * <Prefix>/<map run id>/manifest.json plus SUCCEEDED_0.json and FAILED_0.json
 * (each only when it has entries) and returns {"MapRunArn",
 * "ResultWriterDetails":{"Bucket","Key": the manifest's key}}.  With params
 * NULL writes nothing and returns the transformed results (failed children
 * always in NONE's shape).  On failure NULL with
 * err = States.ResultWriterFailed. */
json_t *aslrtp_results_write(const char *s3_root, json_t *params, json_t *writer_config,
                             const char *map_run_arn, json_t *results,
                             const unsigned char *failed, json_t *inputs,
                             aslrt_error *err);
/* The same at any place. */
json_t *aslrtp_results_write_at(const aslrtp_s3_place *at, json_t *params,
                                json_t *writer_config, const char *map_run_arn,
                                json_t *results, const unsigned char *failed, json_t *inputs,
                                aslrt_error *err);

/* The same child by child (doc/behaviour.md §44): open checks the
 * configuration and the bucket, add writes child index's entries as it
 * finishes (to SUCCEEDED_0.json or FAILED_0.json, which appear at their
 * keys only in finish, with the manifest; with params NULL add keeps the
 * transformed entries and finish returns them), close frees it and
 * removes what finish did not put in place. */
typedef struct aslrtp_results aslrtp_results;
aslrtp_results *aslrtp_results_open(const aslrtp_s3_place *at, json_t *params,
                                    json_t *writer_config, const char *map_run_arn,
                                    aslrt_error *err);
bool aslrtp_results_add(aslrtp_results *w, size_t index, json_t *input, json_t *result,
                        bool failed, aslrt_error *err);
json_t *aslrtp_results_finish(aslrtp_results *w, aslrt_error *err);
void aslrtp_results_close(aslrtp_results *w);

/* ==== text.c: the text of Causes ======================================= */

/* Appends n bytes of s as valid UTF-8 (each bad byte and NUL becomes
 * U+FFFD). */
void aslrtp_text_add(aslrtp_buf *b, const char *s, size_t n);
/* s without leading and trailing blanks; *n is its length in and out. */
const char *aslrtp_text_trim(const char *s, size_t *n);
/* At most max bytes of s, cut at a character, with an ellipsis if cut. */
void aslrtp_text_excerpt(aslrtp_buf *b, const char *s, size_t n, size_t max);
/* Sets err to (name, the text of b) and frees b's data. */
void aslrtp_fail_with(aslrt_error *err, const char *name, aslrtp_buf *b);
/* A handler's stderr as a Cause quotes it: tail holds its last bytes (at
 * least ASLRTP_STDERR_TAIL once that many came, at most twice that) and
 * *cut says that earlier bytes were dropped. */
#define ASLRTP_STDERR_TAIL 2048
void aslrtp_tail_keep(aslrtp_buf *tail, int *cut, const char *s, size_t n);
/* Appends "\nstderr: " and the last ASLRTP_STDERR_TAIL bytes of tail, the
 * same whatever reads the pipe cut them into; nothing if it is blank. */
void aslrtp_tail_add(aslrtp_buf *b, const aslrtp_buf *tail, int cut);
/* Step Functions' payload quota: a task result above it fails the state
 * with States.DataLimitExceeded (doc/behaviour.md §17.1, §23). */
#define ASLRTP_DATA_LIMIT 262144
/* How much of a handler's stdout a Cause quotes (stderr: ASLRTP_STDERR_TAIL). */
#define ASLRTP_STDOUT_EXCERPT 512
/* Sets err to States.DataLimitExceeded for a result of resource over the
 * quota, with AWS's Cause. */
void aslrtp_data_limit_error(aslrt_error *err, const char *resource);
/* How a handler is named in Causes: "program 'P'", or for an adapter kind
 * (argv: interpreter, adapter, file, function) "Python handler 'F' in
 * 'FILE'", "Node.js handler 'F' in 'FILE'". */
void aslrtp_handler_name(aslrtp_buf *b, char *const *argv, int adapter);
/* What a handler that succeeded printed (text[0..len) kept of total bytes)
 * as a result: null when blank, else JSON.  Returns 0 with err set
 * (States.DataLimitExceeded over the quota, Lambda.Unknown when not JSON). */
int aslrtp_handler_result(char *const *argv, int adapter, const char *resource,
                          const char *text, size_t len, size_t total, json_t **out,
                          aslrt_error *err);
/* Sets err to Lambda.Unknown for a handler process that died or failed
 * without saying why (wait status): Lambda's "Runtime exited with error",
 * the handler, its stderr tail and an excerpt of its stdout out[0..len).
 * An adapter handler's process that ended without its answer (exit status
 * 0 included) gets Lambda's own Runtime.ExitError instead. */
void aslrtp_handler_crashed(char *const *argv, int adapter, const char *resource, int status,
                            const aslrtp_buf *tail, int cut, const char *out, size_t len,
                            aslrt_error *err);
/* The error of a handler that could not run (aslc's, not an AWS name). */
#define ASLRTP_HANDLER_FAILED "aslc.HandlerFailed"
/* Sets err to ASLRTP_HANDLER_FAILED for a handler whose process could not
 * start (errno value rc), naming an adapter handler's interpreter too. */
void aslrtp_handler_unstartable(char *const *argv, int adapter, const char *resource, int rc,
                                aslrt_error *err);
/* The end of what a handler logged (its stderr tail), at most 4 KB as
 * Lambda's LogResult holds (malloc'd). */
char *aslrtp_log_tail(const aslrtp_buf *log);
/* strerror_r: the text of errno value e. */
const char *aslrtp_errstr(int e, char *buf, size_t size);
/* url as it may be printed: a user name and password in it become "***"
 * (user:pw@host becomes ***@host); malloc'd. */
char *aslrtp_url_redact(const char *url);
/* Whether url holds a user name or password (what aslrtp_url_redact hides). */
int aslrtp_url_has_userinfo(const char *url);
/* Go's name of a signal, as Lambda reports it ("segmentation fault"), or
 * "signal N". */
const char *aslrtp_signal_name(int sig, char *buf, size_t size);

/* ==== proc.c: handler processes and the one poll loop =================== */

/* A handler process in its own process group, and our ends of its pipes
 * (close-on-exec, non-blocking; -1 once closed). */
typedef struct aslrtp_proc {
    pid_t pid;
    int in, out, err;           /* its stdin, stdout, stderr */
    int ready;                  /* its ready pipe (fd 3) until it said so; -1 */
    int pidfd;                  /* readable once it exits; -1 without pidfd_open */
} aslrtp_proc;

/* Starts argv (in cwd, when given; with ready set, with a ready pipe on its
 * fd 3: proc.c).  Returns 0, or an errno value when it could not be
 * started. */
int aslrtp_proc_start(char *const *argv, const char *cwd, int ready, aslrtp_proc *p);
/* True once it has exited (it stays a zombie until reaped). */
int aslrtp_proc_exited(const aslrtp_proc *p);
/* Kills what is left of its process group, and it. */
void aslrtp_proc_kill(aslrtp_proc *p);
/* Waits for it, closes our descriptors and returns its wait status. */
int aslrtp_proc_reap(aslrtp_proc *p);
/* Closes *fd (when open) and sets it to -1. */
void aslrtp_fd_close(int *fd);
/* The monotonic-clock time timeout_s from now, for aslrtp_talk.deadline
 * (-1, none, when timeout_s <= 0). */
long long aslrtp_proc_deadline(double timeout_s);

/* How long a handler's initialisation may take outside its call's time
 * limit: Lambda's limit on the Init phase (doc/behaviour.md §37). */
#define ASLRTP_INIT_LIMIT_MS 10000

/* One exchange with a process: the poll loop's instructions and outcome. */
typedef struct aslrtp_talk {
    const char *in;             /* written to its stdin */
    size_t in_len;
    int close_in;               /* close its stdin once in is written */
    int skip_stdout;            /* leave its stdout unread */
    long long deadline;         /* aslrtp_proc_deadline; -1: none */
    long long ready_ms;         /* > 0: once the process says it is ready
                                   (its ready pipe), deadline becomes then
                                   + ready_ms */
    long long eof_grace_ms;     /* once its stdout ended, how long it may take
                                   to exit; -1: as long as it takes */
    const aslrtp_cancel *cancel; /* stop once set (may be NULL) */
    /* Receives what it writes on stdout (is_stdout) or stderr. */
    void (*output)(void *ud, int is_stdout, const char *s, size_t n);
    int (*done)(void *ud);      /* stop once true (NULL: at its exit) */
    void *ud;
    size_t sent;                /* out: bytes of in written */
    int exited, timed_out, cancelled; /* out: why the loop stopped */
} aslrtp_talk;

/* The poll loop: writes t->in, passes output on, and returns once t->done,
 * the process's exit, the deadline, the end of the grace or the cancel
 * flag says so (or poll fails).  SIGPIPE is blocked in the calling thread
 * meanwhile. */
void aslrtp_proc_talk(aslrtp_proc *p, aslrtp_talk *t);
/* Sets t's deadline for a call limited to timeout_s (none when <= 0).  With
 * init set, the process is a new one with a ready pipe: the limit counts
 * from its saying it is ready, or from ASLRTP_INIT_LIMIT_MS after now if it
 * has not said so by then. */
void aslrtp_talk_limit(aslrtp_talk *t, double timeout_s, int init);
/* Passes on what is left in its stdout (is_stdout) or stderr, bounded. */
void aslrtp_proc_drain(aslrtp_proc *p, aslrtp_talk *t, int is_stdout);
/* A per-call program: starts argv, talks (t->in, then EOF on its stdin)
 * until it exits, times out or is cancelled, kills what is left of its
 * group, drains its output (when it exited) and reaps it into *status.
 * Returns 0, or an errno value when it could not be started. */
int aslrtp_proc_run(char *const *argv, const char *cwd, int ready, aslrtp_talk *t,
                    int *status);
/* A handler's stderr: passed through to ours (the handler's log, as
 * CloudWatch would show it) and its tail kept (tail may be NULL). */
void aslrtp_proc_log(aslrtp_buf *tail, int *cut, const char *s, size_t n);

/* ==== jsonata/asl.c: JSONata fields of ASL (doc/behaviour.md §5) =========== */

struct jn_ctx;
struct jn_value;
typedef struct aslrtp_jfield aslrtp_jfield;

aslrtp_jfield *aslrtp_jfield_compile(const aslrt_item *src, char **why);
void aslrtp_jfield_free(aslrtp_jfield *f);
/* Evaluates every "{% %}" expression of the field over input ($ of the
 * expressions) in cx, whose bindings ($states, variables) the caller made.
 * Returns the field's value, or NULL with *detail (malloc'd) worded as AWS
 * words it: "The JSONata expression '...' specified for the field '...'
 * returned nothing (undefined)." */
json_t *aslrtp_jfield_eval(const aslrtp_jfield *f, struct jn_ctx *cx, struct jn_value *input,
                           char **detail);
bool aslrtp_jfield_is_expression(const aslrtp_jfield *f);
/* "... returned an unexpected result type. Expected 'array', but was
 * 'number' for value: 1" (malloc'd). */
char *aslrtp_jfield_type_error(const aslrtp_jfield *f, const char *expected, const json_t *v);
/* $partition, $range, $hash, $random, $uuid, $parse: in jsonata.h, as
 * aslrtp_jsonata_functions. */

/* ==== exec.c and bench.c: repeated executions (--bench N) =============== */

/* aslrt_execute, and *transitions (may be NULL) receives the states the
 * execution entered, its branches' and iterations' included, whether it
 * succeeded or not. */
int aslrtp_execute_counted(const aslrt_program *p, const aslrt_config *cfg, json_t *input,
                           json_t **output, aslrt_error *err, unsigned long *transitions);

/* Runs p n times (n >= 1) on the same input (borrowed), each a fresh
 * execution with cfg, and writes the report of --bench to report:
 * executions, successes and failures, executions/s, transitions/s, latency
 * min/p50/p90/p99/max and the process's peak RSS.  Stops early when
 * *cfg->abort_flag is set.  The return value, *output and err are those of
 * aslrt_execute for the last execution that did not succeed, or for the
 * last one when all succeeded (the caller prints them as for one run).
 * Returns -1 with err filled (nothing run) when the latencies of n
 * executions cannot be stored. */
int aslrtp_bench_run(const aslrt_program *p, const aslrt_config *cfg, json_t *input, long n,
                     FILE *report, json_t **output, aslrt_error *err);

/* ==== teststep.c and fanout.c: one state run by TestState ================ */

/* server/teststate.c runs one state by calling the ops itself
 * (doc/behaviour.md §32).  These give it the execution's internals: the
 * variables (copied) and the context object (a reference; set after
 * aslrt_op_enter, which forgets the context), a failure of the state's
 * service with error and cause (the mock's errorOutput), the error the
 * execution holds, the attempts each of the current state's retriers has
 * made (set to count for all of them), and path item over doc (a new
 * value, or NULL with the error recorded); a state tested alone has no
 * limit on how long it runs (aslrtp_step_unlimited). */
void aslrtp_step_unlimited(aslrt_exec *ex);
void aslrtp_step_set_vars(aslrt_exec *ex, json_t *vars);
json_t *aslrtp_step_vars(const aslrt_exec *ex);
void aslrtp_step_set_context(aslrt_exec *ex, json_t *context);
void aslrtp_step_fail(aslrt_exec *ex, const char *error, const char *cause);
const aslrt_error *aslrtp_step_error(const aslrt_exec *ex);
void aslrtp_step_set_retries(aslrt_exec *ex, int count);
json_t *aslrtp_step_select(aslrt_exec *ex, int item, json_t *doc);
/* The retrier of the current state (0 for its first) whose ErrorEquals
 * matches the error the execution holds, or -1 (recover.c). */
int aslrtp_recover_match(const aslrt_exec *ex);
/* The current Map state's MaxConcurrency and tolerated failures, evaluated
 * as the Map op does (-1: not given); false with the error recorded. */
bool aslrtp_map_limits(aslrt_exec *ex, aslrt_frame *f, long long *max_concurrency,
                       long long *tolerated_count, double *tolerated_pct);

#endif /* ASLRT_PRIVATE_H */
