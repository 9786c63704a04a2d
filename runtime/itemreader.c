/*
 * itemreader.c - the distributed Map's input and output: ItemReader,
 * ItemBatcher and ResultWriter (doc/behaviour.md §15.3).
 *
 * The model: S3 is a folder.  s3://BUCKET/KEY is the file ROOT/BUCKET/KEY,
 * a bucket is a directory of ROOT, and a listing is the files under the
 * bucket directory whose relative path (the key, '/'-separated) starts
 * with the prefix, in byte order as S3 lists them.  Or S3 is S3: when no
 * folder is given and an endpoint is configured for S3, objects are read,
 * listed and written through its API (aws/s3.c); an object read is then
 * held in a temporary file, so that both places share the readers below.  Nothing here keeps a
 * whole object in memory unless the format needs it: CSV and JSONL are read
 * record by record and stop at MaxItems; only a JSON document (which must
 * be parsed whole anyway) is loaded at once, with no size limit.
 *
 * The folder is a closed place (doc/behaviour.md §34): every path under
 * the root is opened from the root's directory descriptor without following
 * a symbolic link (openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS where
 * the kernel has it, else one O_NOFOLLOW openat per component), so neither
 * a definition nor a link planted inside the root reaches a file outside
 * it.  S3 has no links: a key through one is a key that does not exist, and
 * a listing skips them.  Every file written there is written whole or not
 * at all: a temporary file in the same directory, fsync, rename.
 *
 * Text is decoded as AWS's Java reader decodes it: invalid UTF-8 is not an
 * error, each ill-formed sequence (its maximal subpart) becomes U+FFFD.
 *
 * Errors are States.ItemReaderFailed / States.ResultWriterFailed with the
 * cause AWS records where one is known (the corpus: "CSV headers cannot
 * contain duplicates.", "Attempting to map over non-iterable node.") and a
 * plain description otherwise.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* O_NOFOLLOW, O_DIRECTORY, O_CLOEXEC, syscall */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/syscall.h>
#if defined(SYS_openat2) && defined(__has_include)
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#define HAVE_OPENAT2 1
#endif
#endif
#endif

#include <openssl/evp.h>

#include "aslrt_private.h"
#include "aws/aws.h"

#define READER_FAILED ASLRTP_ERR_ITEM_READER_FAILED
#define WRITER_FAILED ASLRTP_ERR_RESULT_WRITER_FAILED

static void failf(aslrt_error *err, const char *error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void failf(aslrt_error *err, const char *error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *cause = aslrtp_malloc(n > 0 ? (size_t)n + 1 : 1);
    va_start(ap, fmt);
    vsnprintf(cause, n > 0 ? (size_t)n + 1 : 1, fmt, ap);
    va_end(ap);
    aslrt_error_set(err, error, cause);
    free(cause);
}

/* ==== Paths ============================================================= */

/* True when the '/'-separated text has a ".." component. */
static bool has_dotdot(const char *s)
{
    for (const char *p = s; *p;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return true;
        if (!slash)
            break;
        p = slash + 1;
    }
    return false;
}

/* A bucket is one directory of the root; a key stays inside it. */
static bool valid_location(const char *bucket, const char *key)
{
    return bucket && key && *bucket && !strchr(bucket, '/') && strcmp(bucket, ".") &&
           strcmp(bucket, "..") && !has_dotdot(key);
}

char *aslrtp_s3_path(const char *s3_root, const char *bucket, const char *key)
{
    if (!s3_root || !valid_location(bucket, key))
        return NULL;
    return aslrtp_strdupf("%s/%s/%s", s3_root, bucket, key);
}

/* 1 while openat2 may be tried: cleared for good when the kernel lacks it
 * (ENOSYS, or EPERM from a seccomp filter that does not know it), or by
 * aslrtp_s3_portable for the tests of the other way. */
static atomic_int try_openat2 = 1;

void aslrtp_s3_portable(bool on)
{
    try_openat2 = !on;
}

/* Opens rel beneath dirfd one component at a time, each with O_NOFOLLOW:
 * a symbolic link anywhere fails with ELOOP.  Empty and "." components
 * are skipped; rel has no ".." (valid_location). */
static int open_walk(int dirfd, const char *rel, int flags)
{
    int cur = dirfd;
    const char *p = rel;
    for (;;) {
        while (*p == '/')
            p++;
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 1 && *p == '.') {
            p += n;
            if (*p)
                continue;
            n = 0;
        }
        if (n == 0) {
            /* No component at all: nothing was named. */
            if (cur != dirfd)
                close(cur);
            errno = ENOENT;
            return -1;
        }
        if (n > NAME_MAX) {
            if (cur != dirfd)
                close(cur);
            errno = ENAMETOOLONG;
            return -1;
        }
        char name[NAME_MAX + 1];
        memcpy(name, p, n);
        name[n] = '\0';
        p += n;
        /* The last component is the one that is not followed by another. */
        const char *q = p;
        while (*q == '/' || (q[0] == '.' && (q[1] == '/' || q[1] == '\0')))
            q++;
        bool last = *q == '\0';
        /* "a/" and "a/." name a directory, as openat2 reads them. */
        int f = !last ? O_RDONLY | O_DIRECTORY : q != p ? flags | O_DIRECTORY : flags;
        int fd = openat(cur, name, f | O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        if (cur != dirfd)
            close(cur);
        if (fd < 0) {
            errno = e;
            return -1;
        }
        if (last)
            return fd;
        cur = fd;
    }
}

/* Opens rel (a '/'-separated path without "..") beneath the directory
 * dirfd with flags, following no symbolic link.  Returns the descriptor,
 * or -1 with errno: ELOOP when a link is in the way (EXDEV when openat2
 * says the path leaves dirfd), ENOENT, ENOTDIR, EACCES... */
static int open_beneath(int dirfd, const char *rel, int flags)
{
#ifdef HAVE_OPENAT2
    if (try_openat2) {
        struct open_how how;
        memset(&how, 0, sizeof how);
        how.flags = (unsigned long long)(flags | O_CLOEXEC);
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
        for (int attempt = 0; attempt < 8; attempt++) {
            long fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
            if (fd >= 0)
                return (int)fd;
            if (errno == EAGAIN || errno == EINTR)
                continue;       /* a rename raced the lookup */
            if (errno != ENOSYS && errno != EPERM)
                return -1;
            try_openat2 = 0;
            break;
        }
    }
#endif
    return open_walk(dirfd, rel, flags);
}

/* True when errno says that the path does not lead to an object: the
 * answer S3 gives is then "does not exist". */
static bool absent(int e)
{
    return e == ENOENT || e == ENOTDIR || e == ELOOP || e == EXDEV || e == EISDIR ||
           e == ENAMETOOLONG;
}

/* The root's directory, or -1 with errno. */
static int open_root(const char *root)
{
    return open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* The root of the reader's folder, or -1 after failing the reader. */
static int open_reader_root(const aslrtp_s3_place *at, aslrt_error *err)
{
    int rootfd = open_root(at->root);
    if (rootfd < 0)
        failf(err, READER_FAILED, "Could not open the S3 folder %s: %s", at->root,
              strerror(errno));
    return rootfd;
}

/* The bucket's directory beneath the root (descriptor rootfd), or -1 with
 * errno (ELOOP for a bucket that is a symbolic link). */
static int open_bucket(int rootfd, const char *bucket)
{
    return open_beneath(rootfd, bucket, O_RDONLY | O_DIRECTORY);
}

/* Opens the object key of the bucket directory bfd for reading: a
 * regular file (not a FIFO, which would block, nor a directory).  Returns
 * -1 with errno (ENOENT for something that is not a regular file). */
static int open_key(int bfd, const char *key, struct stat *st)
{
    int fd = open_beneath(bfd, key, O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        errno = ENOENT;
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl != -1)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}

/* ==== Reading objects =================================================== */

/* The items read so far and the limit (0: none). */
typedef struct sink {
    json_t *items;
    long max;
} sink;

static bool full(const sink *s)
{
    return s->max > 0 && json_array_size(s->items) >= (size_t)s->max;
}

void aslrtp_s3_place_of(const aslrt_config *cfg, const char *region, aslrtp_s3_place *at)
{
    at->cfg = cfg;
    at->region = region;
    at->root = cfg ? cfg->s3_root : NULL;
    if (!at->root && !aslrtp_s3_remote(cfg))
        at->root = ".";
}

/* err's cause (S3's error as the aws-sdk integration words it) as the
 * Map's own failure error_name. */
static void s3_failed(aslrt_error *err, const char *error_name, aslrt_error *call)
{
    aslrt_error_set(err, error_name, call->cause ? call->cause : call->error);
    aslrt_error_clear(call);
}

/* s3://bucket/key read through S3's API into a temporary file. */
static FILE *fetch_object(const aslrtp_s3_place *at, const char *bucket, const char *key,
                          aslrt_error *err)
{
    aslrt_error call = {NULL, NULL};
    size_t len = 0;
    char *data = aslrtp_s3_get(at->cfg, at->region, bucket, key, &len, &call);
    if (!data) {
        s3_failed(err, READER_FAILED, &call);
        return NULL;
    }
    FILE *f = tmpfile();
    if (!f || fwrite(data, 1, len, f) != len || fseek(f, 0, SEEK_SET) != 0) {
        failf(err, READER_FAILED, "Could not hold s3://%s/%s in a temporary file: %s", bucket,
              key, strerror(errno));
        if (f)
            fclose(f);
        f = NULL;
    }
    free(data);
    return f;
}

#define NO_BUCKET "The specified bucket does not exist (Service: S3, Status Code: 404)"
#define NO_KEY "The specified key does not exist. (Service: S3, Status Code: 404)"

/* Opens s3://bucket/key for reading.  The causes are S3's own texts
 * (recorded for the aws-sdk getObject/listObjectsV2 tasks), without the
 * request ids; a bucket or key reached through a symbolic link does not
 * exist, as S3 has no links (doc/behaviour.md §34). */
static FILE *open_object(const aslrtp_s3_place *at, const char *bucket, const char *key,
                         aslrt_error *err)
{
    if (!at->root)
        return fetch_object(at, bucket, key, err);
    if (!valid_location(bucket, key)) {
        failf(err, READER_FAILED, "Invalid S3 location: bucket '%s', key '%s'.", bucket, key);
        return NULL;
    }
    int rootfd = open_reader_root(at, err);
    if (rootfd < 0)
        return NULL;
    FILE *f = NULL;
    struct stat st;
    int bfd = open_bucket(rootfd, bucket), fd = -1;
    if (bfd < 0) {
        if (absent(errno))
            failf(err, READER_FAILED, "%s", NO_BUCKET);
        else
            failf(err, READER_FAILED, "Could not open the bucket %s: %s", bucket,
                  strerror(errno));
    } else if ((fd = open_key(bfd, key, &st)) < 0) {
        if (absent(errno))
            failf(err, READER_FAILED, "%s", NO_KEY);
        else
            failf(err, READER_FAILED, "Could not read s3://%s/%s: %s", bucket, key,
                  strerror(errno));
    } else if (!(f = fdopen(fd, "rb"))) {
        failf(err, READER_FAILED, "Could not read s3://%s/%s: %s", bucket, key,
              strerror(errno));
        close(fd);
    }
    if (bfd >= 0)
        close(bfd);
    close(rootfd);
    return f;
}

/* Resolves an RFC 6901 JSON Pointer ("" is the whole document). */
static json_t *pointer_get(json_t *doc, const char *ptr)
{
    if (!*ptr)
        return doc;
    if (*ptr != '/')
        return NULL;
    json_t *cur = doc;
    const char *p = ptr + 1;
    for (;;) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        aslrtp_buf tok = {0};
        aslrtp_buf_add(&tok, "", 0);
        for (size_t i = 0; i < n; i++) {
            if (p[i] == '~' && i + 1 < n && (p[i + 1] == '0' || p[i + 1] == '1')) {
                aslrtp_buf_add(&tok, p[i + 1] == '0' ? "~" : "/", 1);
                i++;
            } else
                aslrtp_buf_add(&tok, p + i, 1);
        }
        json_t *next = NULL;
        if (json_is_object(cur))
            next = json_object_getn(cur, tok.data, tok.len);
        else if (json_is_array(cur) && tok.len > 0 &&
                 strspn(tok.data, "0123456789") == tok.len &&
                 (tok.len == 1 || tok.data[0] != '0')) {
            size_t idx = strtoul(tok.data, NULL, 10);
            next = json_array_get(cur, idx);
        }
        free(tok.data);
        if (!next)
            return NULL;
        cur = next;
        if (!end)
            return cur;
        p = end + 1;
    }
}

/* InputType JSON: the object is one JSON document holding an array (or,
 * with ItemsPointer, an array somewhere inside it). */
static bool read_json(FILE *f, const char *where, const char *pointer, sink *s,
                      aslrt_error *err)
{
    aslrtp_buf raw = {0}, text = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        aslrtp_buf_add(&raw, chunk, n);
    aslrtp_utf8_add_clean(&text, raw.data ? raw.data : "", raw.len, 0);
    free(raw.data);
    json_error_t jerr;
    json_t *doc = aslrtp_json_loads(text.data ? text.data : "", text.len, &jerr);
    free(text.data);
    if (!doc) {
        failf(err, READER_FAILED, "The object %s is not valid JSON: %s (line %d, column %d)",
              where, jerr.text, jerr.line, jerr.column);
        return false;
    }
    json_t *node = doc;
    if (pointer) {
        node = pointer_get(doc, pointer);
        if (!node) {
            failf(err, READER_FAILED,
                  "The ItemsPointer '%s' does not match a node in the object %s.",
                  pointer, where);
            json_decref(doc);
            return false;
        }
    }
    /* AWS, recorded: a document that is an object, not an array. */
    if (!json_is_array(node)) {
        aslrt_error_set(err, READER_FAILED, "Attempting to map over non-iterable node.");
        json_decref(doc);
        return false;
    }
    size_t i;
    json_t *item;
    json_array_foreach(node, i, item) {
        if (full(s))
            break;
        json_array_append(s->items, item);
    }
    json_decref(doc);
    return true;
}

/* InputType JSONL: one JSON value per line; blank lines are skipped. */
static bool read_jsonl(FILE *f, const char *where, sink *s, aslrt_error *err)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    bool ok = true;
    aslrtp_buf text = {0};
    while (!full(s) && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t n = (size_t)len;
        if (n && line[n - 1] == '\n')
            n--;
        if (n && line[n - 1] == '\r')
            n--;
        size_t k = 0;
        while (k < n && strchr(" \t\r\f\v", line[k]))
            k++;
        if (k == n)
            continue;
        text.len = 0;
        aslrtp_utf8_add_clean(&text, line, n, 0);
        json_error_t jerr;
        json_t *v = aslrtp_json_loads(text.data, text.len, &jerr);
        if (!v) {
            failf(err, READER_FAILED, "Line %ld of the object %s is not valid JSON: %s",
                  lineno, where, jerr.text);
            ok = false;
            break;
        }
        json_array_append_new(s->items, v);
    }
    free(line);
    free(text.data);
    return ok;
}

/* ---- CSV --------------------------------------------------------------- */

typedef struct csv_conf {
    char delim;
    json_t *headers;            /* GIVEN headers (borrowed), or NULL: FIRST_ROW */
} csv_conf;

/* Reads one record into fields (an array of strings it clears first).
 * Returns false at the end of the input.  The rules are AWS's documented
 * ones: a field starting with '"' is quoted and may hold delimiters and
 * newlines, "" inside quotes is one quote; a backslash escapes a backslash,
 * a quote or the delimiter and is otherwise dropped.  Records end at \n,
 * \r\n or \r; empty lines are no records (the recorded "   " line is one:
 * it is not empty). */
static bool csv_record(FILE *f, char delim, json_t *fields, aslrtp_buf *field)
{
    json_array_clear(fields);
    field->len = 0;
    bool any = false, quoted = false, at_start = true;
    for (;;) {
        int c = getc(f);
        if (c == EOF) {
            if (!any)
                return false;
            break;
        }
        if (!quoted && (c == '\n' || c == '\r')) {
            if (c == '\r') {
                int d = getc(f);
                if (d != '\n' && d != EOF)
                    ungetc(d, f);
            }
            if (!any)
                continue;
            break;
        }
        any = true;
        if (quoted && c == '"') {
            int d = getc(f);
            if (d == '"') {
                aslrtp_buf_add(field, "\"", 1);
                continue;
            }
            if (d != EOF)
                ungetc(d, f);
            quoted = false;
            continue;
        }
        if (c == '\\') {
            int d = getc(f);
            if (d == '\\' || d == '"' || d == delim) {
                char ch = (char)d;
                aslrtp_buf_add(field, &ch, 1);
            } else if (d != EOF)
                ungetc(d, f);
            at_start = false;
            continue;
        }
        if (!quoted && c == delim) {
            json_array_append_new(fields, aslrtp_utf8_json_string(field->data ? field->data : "",
                                                    field->len));
            field->len = 0;
            at_start = true;
            continue;
        }
        if (!quoted && c == '"' && at_start) {
            quoted = true;
            at_start = false;
            continue;
        }
        char ch = (char)c;
        aslrtp_buf_add(field, &ch, 1);
        at_start = false;
    }
    json_array_append_new(fields, aslrtp_utf8_json_string(field->data ? field->data : "", field->len));
    return true;
}

/* AWS, recorded: "CSV headers cannot contain duplicates." */
static bool check_headers(json_t *headers, aslrt_error *err)
{
    json_t *seen = json_object();
    size_t i;
    json_t *h;
    bool ok = true;
    json_array_foreach(headers, i, h) {
        const char *k = json_string_value(h);
        size_t n = json_string_length(h);
        if (!k) {
            aslrt_error_set(err, READER_FAILED, "CSVHeaders must be strings.");
            ok = false;
            break;
        }
        if (json_object_getn(seen, k, n)) {
            aslrt_error_set(err, READER_FAILED, "CSV headers cannot contain duplicates.");
            ok = false;
            break;
        }
        json_object_setn_new(seen, k, n, json_true());
    }
    json_decref(seen);
    return ok;
}

/* InputType CSV: each record becomes an object of strings keyed by the
 * headers, in header order; short records are padded with "", extra fields
 * dropped (AWS docs; recorded for ",,," under three headers). */
static bool read_csv(FILE *f, const csv_conf *conf, sink *s, aslrt_error *err)
{
    json_t *fields = json_array();
    json_t *headers = conf->headers ? json_incref(conf->headers) : NULL;
    aslrtp_buf field = {0};
    bool ok = true;
    if (!headers) {
        if (csv_record(f, conf->delim, fields, &field))
            headers = json_deep_copy(fields);
        else
            goto done;          /* an empty object: no items */
    }
    if (!check_headers(headers, err)) {
        ok = false;
        goto done;
    }
    size_t nh = json_array_size(headers);
    while (!full(s) && csv_record(f, conf->delim, fields, &field)) {
        json_t *row = json_object();
        for (size_t i = 0; i < nh; i++) {
            json_t *h = json_array_get(headers, i);
            json_t *v = json_array_get(fields, i);
            json_object_setn_new(row, json_string_value(h), json_string_length(h),
                                 v ? json_incref(v) : json_string(""));
        }
        json_array_append_new(s->items, row);
    }
done:
    json_decref(headers);
    json_decref(fields);
    free(field.data);
    return ok;
}

/* ---- ReaderConfig ------------------------------------------------------ */

enum { IN_NONE, IN_JSON, IN_JSONL, IN_CSV };

typedef struct reader {
    int type;
    const char *pointer;        /* ItemsPointer or NULL */
    csv_conf csv;
    bool flatten;               /* Transformation LOAD_AND_FLATTEN */
} reader;

static const char *config_string(json_t *config, const char *name)
{
    return config ? json_string_value(json_object_get(config, name)) : NULL;
}

static bool parse_config(json_t *config, reader *r, aslrt_error *err)
{
    memset(r, 0, sizeof *r);
    r->csv.delim = ',';
    const char *type = config_string(config, "InputType");
    if (!type)
        r->type = IN_NONE;
    else if (!strcmp(type, "JSON"))
        r->type = IN_JSON;
    else if (!strcmp(type, "JSONL"))
        r->type = IN_JSONL;
    else if (!strcmp(type, "CSV"))
        r->type = IN_CSV;
    else if (!strcmp(type, "MANIFEST") || !strcmp(type, "PARQUET")) {
        failf(err, READER_FAILED, "ItemReader InputType %s is not supported by aslc.", type);
        return false;
    } else {
        failf(err, READER_FAILED, "Unknown ItemReader InputType '%s'.", type);
        return false;
    }

    const char *delim = config_string(config, "CSVDelimiter");
    static const struct { const char *name; char c; } delims[] = {
        {"COMMA", ','}, {"PIPE", '|'}, {"SEMICOLON", ';'}, {"SPACE", ' '}, {"TAB", '\t'},
    };
    if (delim) {
        size_t i;
        for (i = 0; i < sizeof delims / sizeof delims[0]; i++)
            if (!strcmp(delim, delims[i].name))
                break;
        if (i == sizeof delims / sizeof delims[0]) {
            failf(err, READER_FAILED, "Unknown CSVDelimiter '%s'.", delim);
            return false;
        }
        r->csv.delim = delims[i].c;
    }

    const char *loc = config_string(config, "CSVHeaderLocation");
    if (loc && !strcmp(loc, "GIVEN")) {
        r->csv.headers = config ? json_object_get(config, "CSVHeaders") : NULL;
        if (!json_is_array(r->csv.headers)) {
            aslrt_error_set(err, READER_FAILED,
                            "CSVHeaders must be given when CSVHeaderLocation is GIVEN.");
            return false;
        }
    } else if (loc && strcmp(loc, "FIRST_ROW")) {
        failf(err, READER_FAILED, "Unknown CSVHeaderLocation '%s'.", loc);
        return false;
    }

    r->pointer = config_string(config, "ItemsPointer");
    const char *tr = config_string(config, "Transformation");
    if (tr && !strcmp(tr, "LOAD_AND_FLATTEN"))
        r->flatten = true;
    else if (tr && strcmp(tr, "NONE")) {
        failf(err, READER_FAILED, "Unknown ItemReader Transformation '%s'.", tr);
        return false;
    }
    return true;
}

/* Reads the object s3://bucket/key as r says into s. */
static bool read_object(const aslrtp_s3_place *at, const char *bucket, const char *key,
                        const reader *r, sink *s, aslrt_error *err)
{
    FILE *f = open_object(at, bucket, key, err);
    if (!f)
        return false;
    char *where = aslrtp_strdupf("s3://%s/%s", bucket, key);
    bool ok = false;
    switch (r->type) {
    case IN_JSON:
        ok = read_json(f, where, r->pointer, s, err);
        break;
    case IN_JSONL:
        ok = read_jsonl(f, where, s, err);
        break;
    case IN_CSV:
        ok = read_csv(f, &r->csv, s, err);
        break;
    default:
        aslrt_error_set(err, READER_FAILED,
                        "ReaderConfig.InputType is required to read an S3 object.");
        break;
    }
    if (ok && ferror(f)) {
        failf(err, READER_FAILED, "Could not read %s.", where);
        ok = false;
    }
    fclose(f);
    free(where);
    return ok;
}

/* ---- listObjectsV2 ----------------------------------------------------- */

typedef struct listing {
    char **keys;
    size_t n, cap;
} listing;

/* Collects the regular files under the directory dfd (whose key prefix
 * is base, "" or ending in '/') with keys starting with prefix, and closes
 * dfd.  Descends only into directories that can hold such keys.  Symbolic
 * links are not objects: neither listed nor followed (doc/behaviour.md
 * §34). */
static void walk(int dfd, const char *base, const char *prefix, listing *l)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return;
    }
    struct dirent *e;
    size_t plen = strlen(prefix);
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        char *key = aslrtp_strdupf("%s%s", base, e->d_name);
        size_t klen = strlen(key);
        if (S_ISDIR(st.st_mode)) {
            char *sub = aslrtp_strdupf("%s/", key);
            size_t m = klen + 1 < plen ? klen + 1 : plen;
            int sfd = -1;
            if (!strncmp(sub, prefix, m) &&
                (sfd = openat(dirfd(d), e->d_name,
                              O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0)
                walk(sfd, sub, prefix, l);
            free(sub);
        } else if (S_ISREG(st.st_mode) && klen >= plen && !strncmp(key, prefix, plen)) {
            if (l->n == l->cap) {
                l->cap = l->cap ? l->cap * 2 : 16;
                l->keys = aslrtp_reallocarray(l->keys, l->cap, sizeof *l->keys);
            }
            l->keys[l->n++] = key;
            key = NULL;
        }
        free(key);
    }
    closedir(d);
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* S3's ETag of a single-part upload: the quoted hex MD5 of the content
 * of the open file fd. */
static char *etag_of(int fd)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE], chunk[65536];
    unsigned mdlen = 0;
    ssize_t n = 0;
    bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
    while (ok && ((n = read(fd, chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR)))
        if (n > 0)
            ok = EVP_DigestUpdate(ctx, chunk, (size_t)n);
    ok = ok && n == 0 && EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return NULL;
    aslrtp_buf b = {0};
    aslrtp_buf_add(&b, "\"", 1);
    for (unsigned i = 0; i < mdlen; i++)
        aslrtp_buf_addf(&b, "%02x", md[i]);
    aslrtp_buf_add(&b, "\"", 1);
    return aslrtp_buf_finish(&b);
}

/* One listObjectsV2 item as the AWS docs show it:
 * {"Etag": "\"05704fbd...\"", "Key": "...", "LastModified": 1668699881,
 *  "Size": 34910, "StorageClass": "STANDARD"} (LastModified in epoch
 * seconds), for key in the bucket directory bfd. */
static json_t *object_item(int bfd, const char *bucket, const char *key, aslrt_error *err)
{
    struct stat st;
    char *etag = NULL;
    json_t *item = NULL;
    int fd = open_key(bfd, key, &st);
    if (fd >= 0 && (etag = etag_of(fd))) {
        item = json_object();
        json_object_set_new(item, "Etag", json_string(etag));
        json_object_set_new(item, "Key", aslrtp_utf8_json_string(key, strlen(key)));
        json_object_set_new(item, "LastModified", json_integer((json_int_t)st.st_mtime));
        json_object_set_new(item, "Size", json_integer((json_int_t)st.st_size));
        json_object_set_new(item, "StorageClass", json_string("STANDARD"));
    } else if (fd < 0 && absent(errno))
        failf(err, READER_FAILED, "%s", NO_KEY);
    else
        failf(err, READER_FAILED, "Could not read s3://%s/%s: %s", bucket, key,
              strerror(errno));
    if (fd >= 0)
        close(fd);
    free(etag);
    return item;
}

/* The listing through S3's API: the same items as a folder's. */
static bool list_remote(const aslrtp_s3_place *at, const char *bucket, const char *prefix,
                        const reader *r, sink *s, aslrt_error *err)
{
    aslrt_error call = {NULL, NULL};
    json_t *objects = aslrtp_s3_list(at->cfg, at->region, bucket, prefix, &call);
    if (!objects) {
        s3_failed(err, READER_FAILED, &call);
        return false;
    }
    bool ok = true;
    size_t i;
    json_t *o;
    json_array_foreach(objects, i, o) {
        if (!ok || full(s))
            break;
        const char *key = json_string_value(json_object_get(o, "Key"));
        if (!key)
            continue;
        if (r->flatten) {
            ok = read_object(at, bucket, key, r, s, err);
            continue;
        }
        json_t *item = json_object();
        json_object_set(item, "Etag", json_object_get(o, "ETag"));
        json_object_set(item, "Key", json_object_get(o, "Key"));
        json_object_set(item, "LastModified", json_object_get(o, "LastModified"));
        json_object_set(item, "Size", json_object_get(o, "Size"));
        json_object_set(item, "StorageClass", json_object_get(o, "StorageClass"));
        json_array_append_new(s->items, item);
    }
    json_decref(objects);
    return ok;
}

static bool list_objects(const aslrtp_s3_place *at, const char *bucket, const char *prefix,
                         const reader *r, sink *s, aslrt_error *err)
{
    if (!at->root)
        return list_remote(at, bucket, prefix, r, s, err);
    if (!valid_location(bucket, "") || has_dotdot(prefix)) {
        failf(err, READER_FAILED, "Invalid S3 location: bucket '%s', prefix '%s'.",
              bucket, prefix);
        return false;
    }
    int rootfd = open_reader_root(at, err);
    if (rootfd < 0)
        return false;
    int bfd = open_bucket(rootfd, bucket);
    close(rootfd);
    if (bfd < 0) {
        if (absent(errno))
            failf(err, READER_FAILED, "%s", NO_BUCKET);
        else
            failf(err, READER_FAILED, "Could not open the bucket %s: %s", bucket,
                  strerror(errno));
        return false;
    }
    listing l = {0};
    int wfd = dup(bfd);
    if (wfd >= 0)
        walk(wfd, "", prefix, &l);
    if (l.n)
        qsort(l.keys, l.n, sizeof *l.keys, key_cmp);

    bool ok = wfd >= 0;
    if (!ok)
        failf(err, READER_FAILED, "Could not list s3://%s/%s: %s", bucket, prefix,
              strerror(errno));
    for (size_t i = 0; i < l.n && ok && !full(s); i++) {
        if (r->flatten)
            ok = read_object(at, bucket, l.keys[i], r, s, err);
        else {
            json_t *item = object_item(bfd, bucket, l.keys[i], err);
            if (item)
                json_array_append_new(s->items, item);
            else
                ok = false;
        }
    }
    for (size_t i = 0; i < l.n; i++)
        free(l.keys[i]);
    free(l.keys);
    close(bfd);
    return ok;
}

json_t *aslrtp_items_read(const char *s3_root, const char *resource, json_t *params,
                          json_t *reader_config, long max_items, aslrt_error *err)
{
    aslrtp_s3_place at = {.root = s3_root};
    return aslrtp_items_read_at(&at, resource, params, reader_config, max_items, err);
}

json_t *aslrtp_items_read_at(const aslrtp_s3_place *at, const char *resource, json_t *params,
                             json_t *reader_config, long max_items, aslrt_error *err)
{
    reader r;
    if (!parse_config(reader_config, &r, err))
        return NULL;
    const char *bucket = json_string_value(json_object_get(params, "Bucket"));
    if (!bucket) {
        aslrt_error_set(err, READER_FAILED,
                        "The ItemReader Parameters must have a string field Bucket.");
        return NULL;
    }
    sink s = {json_array(), max_items > 0 ? max_items : 0};
    bool ok;
    if (resource && !strcmp(resource, "arn:aws:states:::s3:getObject")) {
        const char *key = json_string_value(json_object_get(params, "Key"));
        if (!key) {
            aslrt_error_set(err, READER_FAILED,
                            "The ItemReader Parameters must have a string field Key.");
            ok = false;
        } else
            ok = read_object(at, bucket, key, &r, &s, err);
    } else if (resource && !strcmp(resource, "arn:aws:states:::s3:listObjectsV2")) {
        json_t *p = json_object_get(params, "Prefix");
        const char *prefix = p ? json_string_value(p) : "";
        if (!prefix) {
            aslrt_error_set(err, READER_FAILED, "The ItemReader Prefix must be a string.");
            ok = false;
        } else if (r.flatten && r.type == IN_NONE) {
            aslrt_error_set(err, READER_FAILED,
                            "Transformation LOAD_AND_FLATTEN requires ReaderConfig.InputType.");
            ok = false;
        } else
            ok = list_objects(at, bucket, prefix, &r, &s, err);
    } else {
        failf(err, READER_FAILED, "Unsupported ItemReader Resource '%s'.",
              resource ? resource : "(none)");
        ok = false;
    }
    if (!ok) {
        json_decref(s.items);
        return NULL;
    }
    return s.items;
}

/* ==== ItemBatcher ======================================================= */

static size_t dumped_size(const json_t *v)
{
    char *s = aslrt_json_dumps(v);
    size_t n = strlen(s);
    free(s);
    return n;
}

static json_t *new_batch(json_t *batch_input)
{
    json_t *b = json_object();
    if (batch_input)
        json_object_set(b, "BatchInput", batch_input);
    json_object_set_new(b, "Items", json_array());
    return b;
}

json_t *aslrtp_items_batch(json_t *items, long max_items_per_batch,
                           long max_bytes_per_batch, json_t *batch_input, aslrt_error *err)
{
    json_t *batches = json_array();
    size_t n = json_array_size(items);
    if (n == 0)
        return batches;
    /* The batch is measured as the child's input: the whole
     * {"BatchInput":..,"Items":[..]} object.  An empty batch's size plus
     * each item's plus one comma between items is exactly its length. */
    json_t *empty = new_batch(batch_input);
    size_t base = dumped_size(empty);
    json_decref(empty);

    json_t *batch = NULL;
    size_t count = 0, bytes = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(items, i);
        size_t isz = max_bytes_per_batch > 0 ? dumped_size(item) : 0;
        if (max_bytes_per_batch > 0 && base + isz > (size_t)max_bytes_per_batch) {
            failf(err, READER_FAILED,
                  "The item at index %zu does not fit in a batch of at most %ld bytes "
                  "(MaxInputBytesPerBatch): it makes a batch of %zu bytes.",
                  i, max_bytes_per_batch, base + isz);
            json_decref(batches);
            return NULL;
        }
        if (batch && ((max_items_per_batch > 0 && count >= (size_t)max_items_per_batch) ||
                      (max_bytes_per_batch > 0 &&
                       bytes + 1 + isz > (size_t)max_bytes_per_batch)))
            batch = NULL;
        if (!batch) {
            batch = new_batch(batch_input);
            json_array_append_new(batches, batch);
            count = 0;
            bytes = base;
        }
        json_array_append(json_object_get(batch, "Items"), item);
        bytes += isz + (count ? 1 : 0);
        count++;
    }
    return batches;
}

/* ==== ResultWriter ====================================================== */

enum { TR_NONE, TR_COMPACT, TR_FLATTEN };

/* Why a write beneath the root failed, for errno e. */
static const char *write_why(int e)
{
    if (e == ELOOP || e == EXDEV)
        return "a symbolic link is in the way (S3 has no links; aslc follows none "
               "beneath the S3 folder)";
    return strerror(e);
}

/* Opens the directory rel beneath dfd, making each missing component and
 * following no symbolic link.  Returns the descriptor, or -1 with errno. */
static int make_dirs(int dfd, const char *rel)
{
    int cur = dup(dfd);
    for (const char *p = rel; cur >= 0 && *p;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n > NAME_MAX) {
            close(cur);
            errno = ENAMETOOLONG;
            return -1;
        }
        if (n && !(n == 1 && *p == '.')) {
            char name[NAME_MAX + 1];
            memcpy(name, p, n);
            name[n] = '\0';
            int fd = -1;
            if (mkdirat(cur, name, 0777) == 0 || errno == EEXIST)
                fd = openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int e = errno;
            struct stat st;
            if (fd < 0 && e == ENOTDIR && fstatat(cur, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISLNK(st.st_mode))
                e = ELOOP;      /* O_DIRECTORY said so of the link */
            close(cur);
            errno = e;
            cur = fd;
        }
        if (!slash)
            break;
        p = slash + 1;
    }
    return cur;
}

/* Writes data[0..n) as the file name of the directory dfd, whole or not
 * at all: into a new temporary file of the same directory, synced, then
 * renamed over name (which replaces a file, or a link, never writes
 * through one).  Whoever opens name sees the old content or all of the
 * new.  Returns 0 or an errno value; the temporary file never remains. */
static int write_atomic(int dfd, const char *name, const char *data, size_t n)
{
    char tmp[32];
    int fd = -1;
    for (int attempt = 0; fd < 0; attempt++) {
        unsigned char rnd[8];
        aslrtp_random_bytes(rnd, sizeof rnd);
        int k = snprintf(tmp, sizeof tmp, ".aslc-tmp-");
        for (size_t i = 0; i < sizeof rnd; i++)
            k += snprintf(tmp + k, sizeof tmp - (size_t)k, "%02x", rnd[i]);
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0 && (errno != EEXIST || attempt >= 16))
            return errno;
    }
    int e = 0;
    for (size_t off = 0; off < n && !e;) {
        ssize_t w = write(fd, data + off, n - off);
        if (w > 0)
            off += (size_t)w;
        else if (w < 0 && errno != EINTR)
            e = errno;
        else if (w == 0)
            e = EIO;
    }
    if (!e && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && renameat(dfd, tmp, dfd, name) != 0)
        e = errno;
    if (e) {
        unlinkat(dfd, tmp, 0);
        return e;
    }
    fsync(dfd);     /* the rename made durable too (some file systems refuse: no matter) */
    return 0;
}

/* Writes text[0..len) as s3://bucket/key under the root: the key's
 * directories are made beneath the bucket's, and the file written
 * atomically, no symbolic link followed (doc/behaviour.md §34). */
static bool put_local(const char *root, const char *bucket, const char *key,
                      const char *text, size_t len, aslrt_error *err)
{
    const char *slash = strrchr(key, '/');
    const char *name = slash ? slash + 1 : key;
    char *dir = aslrtp_memdup(key, slash ? (size_t)(slash - key) : 0);
    int rootfd = open_root(root), bfd = -1, dfd = -1, e = 0;
    bool ok = false;
    if (rootfd < 0)
        failf(err, WRITER_FAILED, "Could not open the S3 folder %s: %s", root, strerror(errno));
    else if ((bfd = open_bucket(rootfd, bucket)) < 0)
        failf(err, WRITER_FAILED, "%s", absent(errno) ? NO_BUCKET : strerror(errno));
    else if (!*name || !strcmp(name, "."))
        failf(err, WRITER_FAILED, "Invalid S3 location: bucket '%s', key '%s'.", bucket, key);
    else if ((dfd = make_dirs(bfd, dir)) < 0)
        failf(err, WRITER_FAILED, "Could not write s3://%s/%s: %s", bucket, key,
              write_why(errno));
    else if ((e = write_atomic(dfd, name, text, len)) != 0)
        failf(err, WRITER_FAILED, "Could not write s3://%s/%s: %s", bucket, key,
              write_why(e));
    else
        ok = true;
    if (dfd >= 0)
        close(dfd);
    if (bfd >= 0)
        close(bfd);
    if (rootfd >= 0)
        close(rootfd);
    free(dir);
    return ok;
}

/* The child execution's name: a name-based (v3) UUID of the Map Run id and
 * the item index, so that reruns give the same names. */
static char *child_name(const char *run_id, size_t index)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    char *text = aslrtp_strdupf("%s:%zu", run_id, index);
    if (!EVP_Digest(text, strlen(text), md, &mdlen, EVP_md5(), NULL) || mdlen < 16)
        memset(md, 0, 16);
    free(text);
    char name[ASLRTP_UUID_SIZE];
    aslrtp_uuid_format(md, 3, name);
    return aslrtp_strdup(name);
}

/* map_run_arn with ":mapRun:" replaced by ":<kind>:" (the child executions'
 * ARNs are built on the Map Run's: execution:<sm>/<label>:<run id>:<name>). */
static char *arn_as(const char *map_run_arn, const char *kind)
{
    const char *m = strstr(map_run_arn, ":mapRun:");
    if (!m)
        return aslrtp_strdup(map_run_arn);
    return aslrtp_strdupf("%.*s:%s:%s", (int)(m - map_run_arn), map_run_arn, kind,
                          m + strlen(":mapRun:"));
}

typedef struct run {
    const char *arn;
    const char *id;
    char *exec_base, *sm_arn;
    char date[32];
} run;

/* A child execution in Transformation NONE's shape (AWS docs, the
 * SUCCEEDED_n.json example): the DescribeExecution fields with Input and
 * Output as JSON text, keys in alphabetical order.  Failed children carry
 * Error and Cause instead of Output. */
static json_t *none_entry(const run *r, size_t i, json_t *input, json_t *result,
                          bool failed)
{
    json_t *e = json_object();
    char *name = child_name(r->id, i);
    if (failed) {
        json_t *c = json_object_get(result, "Cause");
        json_t *er = json_object_get(result, "Error");
        if (json_is_string(c))
            json_object_set(e, "Cause", c);
        if (json_is_string(er))
            json_object_set(e, "Error", er);
    }
    json_object_set_new(e, "ExecutionArn", json_sprintf("%s:%s", r->exec_base, name));
    char *in = aslrt_json_dumps(input);
    json_object_set_new(e, "Input", json_string(in));
    free(in);
    json_object_set_new(e, "InputDetails", json_pack("{s:b}", "Included", 1));
    json_object_set_new(e, "Name", json_string(name));
    if (!failed) {
        char *out = aslrt_json_dumps(result);
        json_object_set_new(e, "Output", json_string(out));
        free(out);
        json_object_set_new(e, "OutputDetails", json_pack("{s:b}", "Included", 1));
    }
    json_object_set_new(e, "RedriveCount", json_integer(0));
    if (failed)
        json_object_set_new(e, "RedriveStatus", json_string("REDRIVABLE"));
    else {
        json_object_set_new(e, "RedriveStatus", json_string("NOT_REDRIVABLE"));
        json_object_set_new(e, "RedriveStatusReason",
                            json_string("Execution is SUCCEEDED and cannot be redriven"));
    }
    json_object_set_new(e, "StartDate", json_string(r->date));
    json_object_set_new(e, "StateMachineArn", json_string(r->sm_arn));
    json_object_set_new(e, "Status", json_string(failed ? "FAILED" : "SUCCEEDED"));
    json_object_set_new(e, "StopDate", json_string(r->date));
    free(name);
    return e;
}

/* Adds child i's entries to out as the transformation shapes them. */
static void add_entries(json_t *out, const run *r, int tr, size_t i, json_t *input,
                        json_t *result, bool failed)
{
    if (failed || tr == TR_NONE)
        json_array_append_new(out, none_entry(r, i, input, result, failed));
    else if (tr == TR_FLATTEN && json_is_array(result))
        json_array_extend(out, result);
    else
        json_array_append(out, result ? result : json_null());
}

/* The text of a result file: a JSON array, or JSON Lines. */
static char *file_text(json_t *entries, bool jsonl)
{
    if (!jsonl)
        return aslrt_json_dumps(entries);
    aslrtp_buf b = {0};
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e) {
        aslrtp_buf_add_json(&b, e);
        aslrtp_buf_add(&b, "\n", 1);
    }
    return aslrtp_buf_finish(&b);
}

/* Writes text[0..len) as s3://bucket/key: a file under the root, or a
 * PutObject. */
static bool put_object(const aslrtp_s3_place *at, const char *bucket, const char *key,
                       const char *text, size_t len, aslrt_error *err)
{
    if (at->root)
        return put_local(at->root, bucket, key, text, len, err);
    aslrt_error call = {NULL, NULL};
    if (aslrtp_s3_put(at->cfg, at->region, bucket, key, text, len, &call))
        return true;
    s3_failed(err, WRITER_FAILED, &call);
    return false;
}

json_t *aslrtp_results_write(const char *s3_root, json_t *params, json_t *writer_config,
                             const char *map_run_arn, json_t *results,
                             const unsigned char *failed, json_t *inputs, aslrt_error *err)
{
    aslrtp_s3_place at = {.root = s3_root};
    return aslrtp_results_write_at(&at, params, writer_config, map_run_arn, results, failed,
                                   inputs, err);
}

json_t *aslrtp_results_write_at(const aslrtp_s3_place *at, json_t *params,
                                json_t *writer_config, const char *map_run_arn,
                                json_t *results, const unsigned char *failed, json_t *inputs,
                                aslrt_error *err)
{
    /* Defaults (AWS docs): exporting without WriterConfig is NONE in JSON;
     * no export at all is COMPACT. */
    int tr = params ? TR_NONE : TR_COMPACT;
    bool jsonl = false;
    const char *t = config_string(writer_config, "Transformation");
    const char *o = config_string(writer_config, "OutputType");
    if (t) {
        if (!strcmp(t, "NONE"))
            tr = TR_NONE;
        else if (!strcmp(t, "COMPACT"))
            tr = TR_COMPACT;
        else if (!strcmp(t, "FLATTEN"))
            tr = TR_FLATTEN;
        else {
            failf(err, WRITER_FAILED, "Unknown ResultWriter Transformation '%s'.", t);
            return NULL;
        }
    }
    if (o && !strcmp(o, "JSONL"))
        jsonl = true;
    else if (o && strcmp(o, "JSON")) {
        failf(err, WRITER_FAILED, "Unknown ResultWriter OutputType '%s'.", o);
        return NULL;
    }

    run r = {.arn = map_run_arn ? map_run_arn : ""};
    const char *colon = strrchr(r.arn, ':');
    r.id = colon ? colon + 1 : r.arn;
    r.exec_base = arn_as(r.arn, "execution");
    r.sm_arn = arn_as(r.arn, "stateMachine");
    long long now = aslrtp_wall_ms();
    time_t secs = (time_t)(now / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    /* AWS's timestamp form: 2025-02-04T16:41:18.237Z. */
    size_t dl = strftime(r.date, sizeof r.date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(r.date + dl, sizeof r.date - dl, ".%03dZ", (int)(now % 1000));

    size_t n = json_array_size(results);
    json_t *ret = NULL;
    if (!params) {
        /* WriterConfig alone: the transformed results are the state's output. */
        ret = json_array();
        for (size_t i = 0; i < n; i++)
            add_entries(ret, &r, tr, i, json_array_get(inputs, i),
                        json_array_get(results, i), failed && failed[i]);
        goto done;
    }

    const char *bucket = json_string_value(json_object_get(params, "Bucket"));
    json_t *pj = json_object_get(params, "Prefix");
    const char *prefix = pj ? json_string_value(pj) : "";
    if (!bucket || !prefix) {
        aslrt_error_set(err, WRITER_FAILED,
                        "The ResultWriter Parameters must have string fields Bucket and Prefix.");
        goto done;
    }
    /* Key layout (AWS docs): <Prefix>/<map run id>/manifest.json. */
    size_t plen = strlen(prefix);
    char *dirkey = aslrtp_strdupf("%s%s%s", prefix,
                                  plen && prefix[plen - 1] != '/' ? "/" : "", r.id);
    /* A folder: the bucket's directory must exist (S3 needs the bucket;
     * AWS fails the export with ResultWriterFailed), the prefix's are
     * made as the files are written.  S3 itself says when the bucket is
     * missing. */
    if (!valid_location(bucket, dirkey) || !*r.id) {
        failf(err, WRITER_FAILED, "Invalid S3 location: bucket '%s', prefix '%s'.", bucket,
              prefix);
        goto fail;
    }
    if (at->root) {
        int rootfd = open_root(at->root);
        int bfd = rootfd >= 0 ? open_bucket(rootfd, bucket) : -1;
        int e = errno;
        if (bfd >= 0)
            close(bfd);
        if (rootfd >= 0)
            close(rootfd);
        if (bfd < 0) {
            if (rootfd < 0)
                failf(err, WRITER_FAILED, "Could not open the S3 folder %s: %s", at->root,
                      strerror(e));
            else
                failf(err, WRITER_FAILED, "%s", absent(e) ? NO_BUCKET : strerror(e));
            goto fail;
        }
    }

    json_t *files = json_pack("{s:[],s:[],s:[]}", "FAILED", "PENDING", "SUCCEEDED");
    bool ok = true;
    for (int pass = 0; pass < 2 && ok; pass++) {
        /* SUCCEEDED_0 holds the successes, FAILED_0 the failures (always in
         * NONE's shape); a file is written only when it has entries, as in
         * the docs' manifest example ("FAILED": []). */
        bool want_failed = pass == 1;
        json_t *entries = json_array();
        size_t count = 0;
        for (size_t i = 0; i < n; i++) {
            bool f = failed && failed[i];
            if (f != want_failed)
                continue;
            count++;
            add_entries(entries, &r, tr, i, json_array_get(inputs, i),
                        json_array_get(results, i), f);
        }
        if (count) {
            const char *status = want_failed ? "FAILED" : "SUCCEEDED";
            char *key = aslrtp_strdupf("%s/%s_0.json", dirkey, status);
            char *text = file_text(entries, jsonl);
            size_t len = strlen(text);
            ok = put_object(at, bucket, key, text, len, err);
            json_array_append_new(json_object_get(files, status),
                                  json_pack("{s:s,s:I}", "Key", key, "Size", (json_int_t)len));
            free(text);
            free(key);
        }
        json_decref(entries);
    }
    if (ok) {
        json_t *manifest = json_pack("{s:s,s:s,s:O}", "DestinationBucket", bucket,
                                     "MapRunArn", r.arn, "ResultFiles", files);
        char *key = aslrtp_strdupf("%s/manifest.json", dirkey);
        char *text = aslrt_json_dumps(manifest);
        if (put_object(at, bucket, key, text, strlen(text), err))
            ret = json_pack("{s:s,s:{s:s,s:s}}", "MapRunArn", r.arn, "ResultWriterDetails",
                            "Bucket", bucket, "Key", key);
        free(text);
        free(key);
        json_decref(manifest);
    }
    json_decref(files);
fail:
    free(dirkey);
done:
    free(r.exec_base);
    free(r.sm_arn);
    return ret;
}
