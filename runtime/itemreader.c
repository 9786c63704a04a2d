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
 * held in a temporary file, so that both places share the readers below.
 *
 * Nothing here holds all the items or all the results (doc/behaviour.md
 * §44): an open reader (aslrtp_items_open) gives one item at a time, a CSV
 * record, a JSONL line, a listed object or an element of a JSON array
 * (decoded by jansson one value at a time), and stops at MaxItems; only a
 * JSON document with ItemsPointer, or one that is not an array of values,
 * is read whole.  The batcher makes one batch at a time, and an open
 * writer (aslrtp_results_open) writes each child's entries to its result
 * file as it comes, the files put at their keys at the end.  The
 * whole-array functions (aslrtp_items_read, aslrtp_items_batch,
 * aslrtp_results_write) are built on these.
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


#include "aslrt_private.h"
#include "dynlib.h"
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
    aslrtp_crypto_need();
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

/* ---- Reading an object item by item ------------------------------------ */

/* Bytes are read in chunks of at least this size. */
#define CHUNK 65536

enum { J_START, J_VALUE, J_NEXT, J_END };

/* An InputType JSON object read one element of its top-level array at a
 * time (doc/behaviour.md §44): the bytes are cleaned of invalid UTF-8 chunk
 * by chunk (a sequence cut by a chunk's end waits for the next chunk, so
 * the cleaning is the whole text's), and jansson decodes one value at a
 * time from the text held, which is the element being decoded and at most
 * a chunk beyond it. */
typedef struct jstream {
    aslrtp_buf text;            /* cleaned text; [pos, len) not consumed yet */
    size_t pos;
    char *raw;                  /* the bytes of a read, after the carry */
    size_t rawcap;
    char carry[4];              /* a UTF-8 sequence cut by the last read's end */
    size_t ncarry;
    bool eof;
    int state;                  /* J_START, J_VALUE (after '[' or ','), J_NEXT, J_END */
    bool first;                 /* J_VALUE right after '[': ']' may close */
} jstream;

/* How many bytes at the end of s[0..n) start a UTF-8 sequence that the
 * bytes after them may complete (0: none). */
static size_t cut_tail(const char *s, size_t n)
{
    for (size_t k = 1; k <= 3 && k <= n; k++) {
        unsigned char c = (unsigned char)s[n - k];
        if ((c & 0xC0) == 0x80)
            continue;               /* a continuation byte: look further back */
        size_t need = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 && c <= 0xEF ? 3
                    : c >= 0xC2 && c <= 0xDF ? 2 : 0;
        return need > k ? k : 0;
    }
    return 0;
}

/* Reads at least want more bytes (fewer at the end of f) into the text.
 * False when f had already ended. */
static bool js_fill(jstream *js, FILE *f, size_t want)
{
    if (js->eof)
        return false;
    if (js->pos) {
        memmove(js->text.data, js->text.data + js->pos, js->text.len - js->pos);
        js->text.len -= js->pos;
        js->pos = 0;
    }
    if (want < CHUNK)
        want = CHUNK;
    if (js->rawcap < want + sizeof js->carry) {
        js->rawcap = want + sizeof js->carry;
        free(js->raw);
        js->raw = aslrtp_malloc(js->rawcap);
    }
    memcpy(js->raw, js->carry, js->ncarry);
    size_t n = js->ncarry + fread(js->raw + js->ncarry, 1, want, f);
    if (feof(f) || ferror(f))
        js->eof = true;
    size_t keep = js->eof ? 0 : cut_tail(js->raw, n);
    aslrtp_buf_reserve(&js->text, n);
    aslrtp_utf8_add_clean(&js->text, js->raw, n - keep, 0);
    memcpy(js->carry, js->raw + n - keep, keep);
    js->ncarry = keep;
    return true;
}

static bool json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The next element of the array: 1 with *item, 0 after the array (and
 * nothing but white space after it), -1 when the text is anything else
 * (not an array, not JSON): the whole document then says what it is. */
static int js_next(jstream *js, FILE *f, json_t **item)
{
    for (;;) {
        while (js->pos < js->text.len && json_space(js->text.data[js->pos]))
            js->pos++;
        if (js->pos == js->text.len) {
            if (js_fill(js, f, CHUNK))
                continue;
            return js->state == J_END ? 0 : -1;
        }
        char c = js->text.data[js->pos];
        if (js->state == J_START) {
            if (c != '[')
                return -1;
            js->pos++;
            js->state = J_VALUE;
            js->first = true;
            continue;
        }
        if (js->state == J_NEXT && (c == ',' || c == ']')) {
            js->pos++;
            js->state = c == ',' ? J_VALUE : J_END;
            js->first = false;
            continue;
        }
        if (js->state == J_VALUE && c == ']' && js->first) {
            js->pos++;
            js->state = J_END;
            continue;
        }
        if (js->state != J_VALUE)
            return -1;
        size_t avail = js->text.len - js->pos, used = 0;
        json_error_t jerr;
        json_t *v = aslrtp_json_loads_first(js->text.data + js->pos, avail, &used, &jerr);
        /* A value that ends where the text held ends may go on (a number's
         * digits) unless the object has ended too. */
        if (v && (used < avail || js->eof)) {
            js->pos += used;
            js->state = J_NEXT;
            js->first = false;
            *item = v;
            return 1;
        }
        json_decref(v);
        /* An error well before the end of the text held is one whatever
         * follows; one near the end may be the end of the text. */
        if (js->eof || (!v && (size_t)jerr.position + 8 < avail))
            return -1;
        js_fill(js, f, avail);
    }
}

/* An object being read: its items come one at a time. */
typedef struct source {
    FILE *f;
    char *where;                /* s3://bucket/key */
    const reader *r;
    bool ended;
    /* JSON */
    jstream js;
    json_t *doc, *node;         /* the whole document, when read whole */
    size_t index;               /* node's next element */
    size_t given;               /* elements given so far */
    /* JSONL */
    char *line;
    size_t cap;
    long lineno;
    aslrtp_buf text;
    /* CSV */
    json_t *headers, *fields;
    aslrtp_buf field;
} source;

/* InputType JSON read whole: one JSON document holding an array (or, with
 * ItemsPointer, an array somewhere inside it), from the object's start. */
static bool load_doc(source *src, aslrt_error *err)
{
    aslrtp_buf raw = {0}, text = {0};
    char *chunk = aslrtp_malloc(CHUNK);
    size_t n;
    rewind(src->f);
    while ((n = fread(chunk, 1, CHUNK, src->f)) > 0)
        aslrtp_buf_add(&raw, chunk, n);
    free(chunk);
    aslrtp_utf8_add_clean(&text, raw.data ? raw.data : "", raw.len, 0);
    free(raw.data);
    json_error_t jerr;
    json_t *doc = aslrtp_json_loads(text.data ? text.data : "", text.len, &jerr);
    free(text.data);
    if (!doc) {
        failf(err, READER_FAILED, "The object %s is not valid JSON: %s (line %d, column %d)",
              src->where, jerr.text, jerr.line, jerr.column);
        return false;
    }
    json_t *node = doc;
    const char *pointer = src->r->pointer;
    if (pointer) {
        node = pointer_get(doc, pointer);
        if (!node) {
            failf(err, READER_FAILED,
                  "The ItemsPointer '%s' does not match a node in the object %s.",
                  pointer, src->where);
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
    src->doc = doc;
    src->node = node;
    return true;
}

static void source_close(source *src)
{
    if (!src)
        return;
    if (src->f)
        fclose(src->f);
    free(src->where);
    free(src->js.text.data);
    free(src->js.raw);
    json_decref(src->doc);
    free(src->line);
    free(src->text.data);
    json_decref(src->headers);
    json_decref(src->fields);
    free(src->field.data);
    free(src);
}

/* Opens s3://bucket/key to be read as r says (a CSV object's header row
 * is read here; a JSON object with ItemsPointer is read whole). */
static source *source_open(const aslrtp_s3_place *at, const char *bucket, const char *key,
                           const reader *r, aslrt_error *err)
{
    FILE *f = open_object(at, bucket, key, err);
    if (!f)
        return NULL;
    source *src = aslrtp_calloc(1, sizeof *src);
    src->f = f;
    src->r = r;
    src->where = aslrtp_strdupf("s3://%s/%s", bucket, key);
    bool ok = true;
    switch (r->type) {
    case IN_JSON:
        if (r->pointer)
            ok = load_doc(src, err);
        break;
    case IN_JSONL:
        break;
    case IN_CSV:
        src->fields = json_array();
        if (r->csv.headers)
            src->headers = json_incref(r->csv.headers);
        else if (csv_record(f, r->csv.delim, src->fields, &src->field))
            src->headers = json_deep_copy(src->fields);
        else
            src->ended = true;      /* an empty object: no items */
        if (src->headers && !check_headers(src->headers, err))
            ok = false;
        break;
    default:
        aslrt_error_set(err, READER_FAILED,
                        "ReaderConfig.InputType is required to read an S3 object.");
        ok = false;
        break;
    }
    if (!ok) {
        source_close(src);
        return NULL;
    }
    return src;
}

/* InputType JSONL: one JSON value per line; blank lines are skipped. */
static int jsonl_next(source *src, json_t **item, aslrt_error *err)
{
    ssize_t len;
    while ((len = getline(&src->line, &src->cap, src->f)) >= 0) {
        src->lineno++;
        char *line = src->line;
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
        src->text.len = 0;
        aslrtp_utf8_add_clean(&src->text, line, n, 0);
        json_error_t jerr;
        json_t *v = aslrtp_json_loads(src->text.data, src->text.len, &jerr);
        if (!v) {
            failf(err, READER_FAILED, "Line %ld of the object %s is not valid JSON: %s",
                  src->lineno, src->where, jerr.text);
            return -1;
        }
        *item = v;
        return 1;
    }
    return 0;
}

/* InputType CSV: each record becomes an object of strings keyed by the
 * headers, in header order; short records are padded with "", extra fields
 * dropped (AWS docs; recorded for ",,," under three headers). */
static int csv_next(source *src, json_t **item)
{
    if (!csv_record(src->f, src->r->csv.delim, src->fields, &src->field))
        return 0;
    size_t nh = json_array_size(src->headers);
    json_t *row = json_object();
    for (size_t i = 0; i < nh; i++) {
        json_t *h = json_array_get(src->headers, i);
        json_t *v = json_array_get(src->fields, i);
        json_object_setn_new(row, json_string_value(h), json_string_length(h),
                             v ? json_incref(v) : json_string(""));
    }
    *item = row;
    return 1;
}

/* The object's next item: 1 with *item, 0 at its end, -1 with err. */
static int source_next(source *src, json_t **item, aslrt_error *err)
{
    int rc = 0;
    if (src->ended)
        return 0;
    switch (src->r->type) {
    case IN_JSON:
        if (!src->doc) {
            rc = js_next(&src->js, src->f, item);
            if (rc >= 0)
                break;
            /* Not an array of JSON values: the document read whole says
             * what is wrong, with the error and position jansson gives
             * for it; should it read well after all, its elements go on
             * from the first not given. */
            if (!load_doc(src, err))
                return -1;
            src->index = src->given;
        }
        rc = src->index < json_array_size(src->node);
        if (rc)
            *item = json_incref(json_array_get(src->node, src->index++));
        break;
    case IN_JSONL:
        rc = jsonl_next(src, item, err);
        break;
    case IN_CSV:
        rc = csv_next(src, item);
        break;
    }
    if (rc > 0) {
        src->given++;
        return 1;
    }
    src->ended = true;
    if (rc == 0 && ferror(src->f)) {
        failf(err, READER_FAILED, "Could not read %s.", src->where);
        return -1;
    }
    return rc;
}

/* ---- listObjectsV2 and the reader -------------------------------------- */

struct aslrtp_items {
    aslrtp_s3_place at;
    reader r;
    char *bucket;
    long max, count;            /* the limit (0: none) and the items given */
    source *src;                /* the object being read */
    bool list;                  /* listObjectsV2 */
    char **keys;                /* a folder's listing, in key order */
    size_t nkeys, next;
    json_t *objects;            /* S3's listing */
    int bfd;                    /* the bucket's directory (a folder's listing) */
};

void aslrtp_items_close(aslrtp_items *it)
{
    if (!it)
        return;
    source_close(it->src);
    for (size_t i = 0; i < it->nkeys; i++)
        free(it->keys[i]);
    free(it->keys);
    json_decref(it->objects);
    if (it->bfd >= 0)
        close(it->bfd);
    free(it->bucket);
    free(it);
}

/* A folder's listing: the keys under the bucket starting with prefix. */
static bool list_local(aslrtp_items *it, const char *prefix, aslrt_error *err)
{
    const char *bucket = it->bucket;
    if (!valid_location(bucket, "") || has_dotdot(prefix)) {
        failf(err, READER_FAILED, "Invalid S3 location: bucket '%s', prefix '%s'.",
              bucket, prefix);
        return false;
    }
    int rootfd = open_reader_root(&it->at, err);
    if (rootfd < 0)
        return false;
    it->bfd = open_bucket(rootfd, bucket);
    close(rootfd);
    if (it->bfd < 0) {
        if (absent(errno))
            failf(err, READER_FAILED, "%s", NO_BUCKET);
        else
            failf(err, READER_FAILED, "Could not open the bucket %s: %s", bucket,
                  strerror(errno));
        return false;
    }
    listing l = {0};
    int wfd = dup(it->bfd);
    if (wfd < 0) {
        failf(err, READER_FAILED, "Could not list s3://%s/%s: %s", bucket, prefix,
              strerror(errno));
        return false;
    }
    walk(wfd, "", prefix, &l);
    if (l.n)
        qsort(l.keys, l.n, sizeof *l.keys, key_cmp);
    it->keys = l.keys;
    it->nkeys = l.n;
    return true;
}

aslrtp_items *aslrtp_items_open(const aslrtp_s3_place *at, const char *resource,
                                json_t *params, json_t *reader_config, long max_items,
                                aslrt_error *err)
{
    aslrtp_items *it = aslrtp_calloc(1, sizeof *it);
    it->at = *at;
    it->bfd = -1;
    it->max = max_items > 0 ? max_items : 0;
    if (!parse_config(reader_config, &it->r, err))
        goto fail;
    const char *bucket = json_string_value(json_object_get(params, "Bucket"));
    if (!bucket) {
        aslrt_error_set(err, READER_FAILED,
                        "The ItemReader Parameters must have a string field Bucket.");
        goto fail;
    }
    it->bucket = aslrtp_strdup(bucket);
    if (resource && !strcmp(resource, "arn:aws:states:::s3:getObject")) {
        const char *key = json_string_value(json_object_get(params, "Key"));
        if (!key) {
            aslrt_error_set(err, READER_FAILED,
                            "The ItemReader Parameters must have a string field Key.");
            goto fail;
        }
        if (!(it->src = source_open(&it->at, bucket, key, &it->r, err)))
            goto fail;
    } else if (resource && !strcmp(resource, "arn:aws:states:::s3:listObjectsV2")) {
        json_t *p = json_object_get(params, "Prefix");
        const char *prefix = p ? json_string_value(p) : "";
        it->list = true;
        if (!prefix) {
            aslrt_error_set(err, READER_FAILED, "The ItemReader Prefix must be a string.");
            goto fail;
        }
        if (it->r.flatten && it->r.type == IN_NONE) {
            aslrt_error_set(err, READER_FAILED,
                            "Transformation LOAD_AND_FLATTEN requires ReaderConfig.InputType.");
            goto fail;
        }
        if (it->at.root) {
            if (!list_local(it, prefix, err))
                goto fail;
        } else {
            aslrt_error call = {NULL, NULL};
            it->objects = aslrtp_s3_list(it->at.cfg, it->at.region, bucket, prefix, &call);
            if (!it->objects) {
                s3_failed(err, READER_FAILED, &call);
                goto fail;
            }
        }
    } else {
        failf(err, READER_FAILED, "Unsupported ItemReader Resource '%s'.",
              resource ? resource : "(none)");
        goto fail;
    }
    return it;
fail:
    aslrtp_items_close(it);
    return NULL;
}

int aslrtp_items_next(aslrtp_items *it, json_t **item, aslrt_error *err)
{
    for (;;) {
        if (it->max > 0 && it->count >= it->max)
            return 0;
        if (it->src) {
            int rc = source_next(it->src, item, err);
            if (rc) {
                it->count += rc > 0;
                return rc;
            }
            source_close(it->src);
            it->src = NULL;
        }
        if (!it->list)
            return 0;
        /* The next listed object: read (LOAD_AND_FLATTEN), or an item. */
        const char *key = NULL;
        json_t *o = NULL;
        if (it->objects) {
            while (!key && it->next < json_array_size(it->objects)) {
                o = json_array_get(it->objects, it->next++);
                key = json_string_value(json_object_get(o, "Key"));
            }
        } else if (it->next < it->nkeys) {
            key = it->keys[it->next++];
        }
        if (!key)
            return 0;
        if (it->r.flatten) {
            if (!(it->src = source_open(&it->at, it->bucket, key, &it->r, err)))
                return -1;
            continue;
        }
        json_t *v;
        if (it->objects) {
            v = json_object();
            json_object_set(v, "Etag", json_object_get(o, "ETag"));
            json_object_set(v, "Key", json_object_get(o, "Key"));
            json_object_set(v, "LastModified", json_object_get(o, "LastModified"));
            json_object_set(v, "Size", json_object_get(o, "Size"));
            json_object_set(v, "StorageClass", json_object_get(o, "StorageClass"));
        } else if (!(v = object_item(it->bfd, it->bucket, key, err))) {
            return -1;
        }
        it->count++;
        *item = v;
        return 1;
    }
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
    aslrtp_items *it = aslrtp_items_open(at, resource, params, reader_config, max_items, err);
    if (!it)
        return NULL;
    json_t *items = json_array(), *v;
    int rc;
    while ((rc = aslrtp_items_next(it, &v, err)) > 0)
        json_array_append_new(items, v);
    aslrtp_items_close(it);
    if (rc < 0) {
        json_decref(items);
        return NULL;
    }
    return items;
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

void aslrtp_batcher_init(aslrtp_batcher *b, long max_items_per_batch,
                         long max_bytes_per_batch, json_t *batch_input)
{
    memset(b, 0, sizeof *b);
    b->max_items = max_items_per_batch;
    b->max_bytes = max_bytes_per_batch;
    b->batch_input = batch_input;
    /* The batch is measured as the child's input: the whole
     * {"BatchInput":..,"Items":[..]} object.  An empty batch's size plus
     * each item's plus one comma between items is exactly its length. */
    json_t *empty = new_batch(batch_input);
    b->base = dumped_size(empty);
    json_decref(empty);
}

bool aslrtp_batcher_add(aslrtp_batcher *b, json_t *item, json_t **closed, aslrt_error *err)
{
    *closed = NULL;
    size_t isz = b->max_bytes > 0 ? dumped_size(item) : 0;
    size_t i = b->index++;
    if (b->max_bytes > 0 && b->base + isz > (size_t)b->max_bytes) {
        failf(err, READER_FAILED,
              "The item at index %zu does not fit in a batch of at most %ld bytes "
              "(MaxInputBytesPerBatch): it makes a batch of %zu bytes.",
              i, b->max_bytes, b->base + isz);
        return false;
    }
    if (b->batch && ((b->max_items > 0 && b->count >= (size_t)b->max_items) ||
                     (b->max_bytes > 0 && b->bytes + 1 + isz > (size_t)b->max_bytes))) {
        *closed = b->batch;
        b->batch = NULL;
    }
    if (!b->batch) {
        b->batch = new_batch(b->batch_input);
        b->count = 0;
        b->bytes = b->base;
    }
    json_array_append(json_object_get(b->batch, "Items"), item);
    b->bytes += isz + (b->count ? 1 : 0);
    b->count++;
    return true;
}

json_t *aslrtp_batcher_finish(aslrtp_batcher *b)
{
    json_t *last = b->batch;
    b->batch = NULL;
    return last;
}

json_t *aslrtp_items_batch(json_t *items, long max_items_per_batch,
                           long max_bytes_per_batch, json_t *batch_input, aslrt_error *err)
{
    json_t *batches = json_array(), *closed;
    size_t n = json_array_size(items);
    if (n == 0)
        return batches;
    aslrtp_batcher b;
    aslrtp_batcher_init(&b, max_items_per_batch, max_bytes_per_batch, batch_input);
    for (size_t i = 0; i < n; i++) {
        if (!aslrtp_batcher_add(&b, json_array_get(items, i), &closed, err)) {
            json_decref(aslrtp_batcher_finish(&b));
            json_decref(batches);
            return NULL;
        }
        if (closed)
            json_array_append_new(batches, closed);
    }
    json_array_append_new(batches, aslrtp_batcher_finish(&b));
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

/* Creates a new temporary file in the directory dfd, its name (".aslc-tmp-"
 * and 16 random hex digits) in tmp.  Returns the descriptor (open for
 * writing), or -1 with errno. */
static int open_temp(int dfd, char tmp[32])
{
    for (int attempt = 0;; attempt++) {
        unsigned char rnd[8];
        aslrtp_random_bytes(rnd, sizeof rnd);
        int k = snprintf(tmp, 32, ".aslc-tmp-");
        for (size_t i = 0; i < sizeof rnd; i++)
            k += snprintf(tmp + k, 32 - (size_t)k, "%02x", rnd[i]);
        int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST || attempt >= 16)
            return fd;
    }
}

/* Writes data[0..n) as the file name of the directory dfd, whole or not
 * at all: into a new temporary file of the same directory, synced, then
 * renamed over name (which replaces a file, or a link, never writes
 * through one).  Whoever opens name sees the old content or all of the
 * new.  Returns 0 or an errno value; the temporary file never remains. */
static int write_atomic(int dfd, const char *name, const char *data, size_t n)
{
    char tmp[32];
    int fd = open_temp(dfd, tmp);
    if (fd < 0)
        return errno;
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
    aslrtp_crypto_need();
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

/* One result file (SUCCEEDED_0.json, FAILED_0.json) as it is written,
 * entry by entry (doc/behaviour.md §44): in the folder a temporary file in
 * the key's directory, renamed to its key once the Map Run has ended; for
 * S3 an anonymous temporary file, put then. */
typedef struct part {
    FILE *f;
    int dfd;                    /* the key's directory (folder), or -1 */
    char tmp[32];               /* the temporary file's name there */
    char *key;
    size_t size, entries;
} part;

struct aslrtp_results {
    aslrtp_s3_place at;
    int tr;
    bool jsonl;
    run r;
    char *arn;                  /* the Map Run's ARN (r.arn) */
    const char *bucket;         /* NULL: no export (WriterConfig alone) */
    char *dirkey;               /* <Prefix>/<map run id> */
    json_t *params;
    json_t *array;              /* no export: the transformed results */
    json_t *entries;            /* one child's entries (scratch) */
    aslrtp_buf buf;
    part parts[2];              /* SUCCEEDED, FAILED */
};

static const char *const part_status[2] = {"SUCCEEDED", "FAILED"};

/* The children's StartDate and StopDate: now, as AWS writes timestamps
 * (2025-02-04T16:41:18.237Z). */
static void set_date(run *r)
{
    long long now = aslrtp_wall_ms();
    time_t secs = (time_t)(now / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t dl = strftime(r->date, sizeof r->date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(r->date + dl, sizeof r->date - dl, ".%03dZ", (int)(now % 1000));
}

void aslrtp_results_close(aslrtp_results *w)
{
    if (!w)
        return;
    for (int k = 0; k < 2; k++) {
        part *p = &w->parts[k];
        if (p->f)
            fclose(p->f);
        if (p->dfd >= 0) {
            if (p->tmp[0])
                unlinkat(p->dfd, p->tmp, 0);
            close(p->dfd);
        }
        free(p->key);
    }
    free(w->r.exec_base);
    free(w->r.sm_arn);
    free(w->arn);
    free(w->dirkey);
    json_decref(w->params);
    json_decref(w->array);
    json_decref(w->entries);
    free(w->buf.data);
    free(w);
}

aslrtp_results *aslrtp_results_open(const aslrtp_s3_place *at, json_t *params,
                                    json_t *writer_config, const char *map_run_arn,
                                    aslrt_error *err)
{
    aslrtp_results *w = aslrtp_calloc(1, sizeof *w);
    w->at = *at;
    w->parts[0].dfd = w->parts[1].dfd = -1;
    w->entries = json_array();
    /* Defaults (AWS docs): exporting without WriterConfig is NONE in JSON;
     * no export at all is COMPACT. */
    w->tr = params ? TR_NONE : TR_COMPACT;
    const char *t = config_string(writer_config, "Transformation");
    const char *o = config_string(writer_config, "OutputType");
    w->arn = aslrtp_strdup(map_run_arn ? map_run_arn : "");
    w->r.arn = w->arn;
    const char *colon = strrchr(w->r.arn, ':');
    w->r.id = colon ? colon + 1 : w->r.arn;
    w->r.exec_base = arn_as(w->r.arn, "execution");
    w->r.sm_arn = arn_as(w->r.arn, "stateMachine");
    set_date(&w->r);
    if (t) {
        if (!strcmp(t, "NONE"))
            w->tr = TR_NONE;
        else if (!strcmp(t, "COMPACT"))
            w->tr = TR_COMPACT;
        else if (!strcmp(t, "FLATTEN"))
            w->tr = TR_FLATTEN;
        else {
            failf(err, WRITER_FAILED, "Unknown ResultWriter Transformation '%s'.", t);
            goto fail;
        }
    }
    if (o && !strcmp(o, "JSONL"))
        w->jsonl = true;
    else if (o && strcmp(o, "JSON")) {
        failf(err, WRITER_FAILED, "Unknown ResultWriter OutputType '%s'.", o);
        goto fail;
    }
    if (!params) {
        /* WriterConfig alone: the transformed results are the state's output. */
        w->array = json_array();
        return w;
    }
    w->params = json_incref(params);
    const char *bucket = json_string_value(json_object_get(params, "Bucket"));
    json_t *pj = json_object_get(params, "Prefix");
    const char *prefix = pj ? json_string_value(pj) : "";
    if (!bucket || !prefix) {
        aslrt_error_set(err, WRITER_FAILED,
                        "The ResultWriter Parameters must have string fields Bucket and Prefix.");
        goto fail;
    }
    w->bucket = bucket;
    /* Key layout (AWS docs): <Prefix>/<map run id>/manifest.json. */
    size_t plen = strlen(prefix);
    w->dirkey = aslrtp_strdupf("%s%s%s", prefix, plen && prefix[plen - 1] != '/' ? "/" : "",
                               w->r.id);
    /* A folder: the bucket's directory must exist (S3 needs the bucket;
     * AWS fails the export with ResultWriterFailed), the prefix's are
     * made as the files are written.  S3 itself says when the bucket is
     * missing. */
    if (!valid_location(bucket, w->dirkey) || !*w->r.id) {
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
    return w;
fail:
    aslrtp_results_close(w);
    return NULL;
}

/* Starts result file k: its temporary file, then "[" for JSON. */
static bool part_open(aslrtp_results *w, int k, aslrt_error *err)
{
    part *p = &w->parts[k];
    p->key = aslrtp_strdupf("%s/%s_0.json", w->dirkey, part_status[k]);
    int e = 0;
    if (w->at.root) {
        int rootfd = open_root(w->at.root), bfd = -1, fd = -1;
        if (rootfd < 0)
            e = errno;
        else if ((bfd = open_bucket(rootfd, w->bucket)) < 0)
            e = errno;
        else if ((p->dfd = make_dirs(bfd, w->dirkey)) < 0)
            e = errno;
        else if ((fd = open_temp(p->dfd, p->tmp)) < 0) {
            e = errno;
            p->tmp[0] = '\0';
        } else if (!(p->f = fdopen(fd, "wb"))) {
            e = errno;
            close(fd);
        }
        if (bfd >= 0)
            close(bfd);
        if (rootfd >= 0)
            close(rootfd);
    } else if (!(p->f = tmpfile())) {
        e = errno;
    }
    if (e) {
        failf(err, WRITER_FAILED, "Could not write s3://%s/%s: %s", w->bucket, p->key,
              write_why(e));
        return false;
    }
    if (!w->jsonl && fputc('[', p->f) != EOF)
        p->size++;
    return true;
}

bool aslrtp_results_add(aslrtp_results *w, size_t index, json_t *input, json_t *result,
                        bool failed, aslrt_error *err)
{
    set_date(&w->r);
    if (w->array) {
        add_entries(w->array, &w->r, w->tr, index, input, result, failed);
        return true;
    }
    /* SUCCEEDED_0 holds the successes, FAILED_0 the failures (always in
     * NONE's shape); a file is written only when it has children, as in
     * the docs' manifest example ("FAILED": []). */
    int k = failed ? 1 : 0;
    part *p = &w->parts[k];
    if (!p->f && !part_open(w, k, err))
        return false;
    json_array_clear(w->entries);
    add_entries(w->entries, &w->r, w->tr, index, input, result, failed);
    size_t i;
    json_t *e;
    json_array_foreach(w->entries, i, e) {
        w->buf.len = 0;
        if (!w->jsonl && p->entries)
            aslrtp_buf_add(&w->buf, ",", 1);
        aslrtp_buf_add_json(&w->buf, e);
        if (w->jsonl)
            aslrtp_buf_add(&w->buf, "\n", 1);
        if (fwrite(w->buf.data, 1, w->buf.len, p->f) != w->buf.len) {
            failf(err, WRITER_FAILED, "Could not write s3://%s/%s: %s", w->bucket, p->key,
                  write_why(errno));
            return false;
        }
        p->size += w->buf.len;
        p->entries++;
    }
    return true;
}

/* Ends result file k and puts it at its key: the folder's temporary file
 * synced and renamed, or the S3 temporary file read back and put. */
static bool part_finish(aslrtp_results *w, int k, aslrt_error *err)
{
    part *p = &w->parts[k];
    int e = 0;
    if (!w->jsonl && fputc(']', p->f) != EOF)
        p->size++;
    if (fflush(p->f) != 0 || ferror(p->f))
        e = errno ? errno : EIO;
    if (w->at.root) {
        if (!e && fsync(fileno(p->f)) != 0)
            e = errno;
        if (fclose(p->f) != 0 && !e)
            e = errno;
        p->f = NULL;
        const char *slash = strrchr(p->key, '/');
        if (!e && renameat(p->dfd, p->tmp, p->dfd, slash ? slash + 1 : p->key) != 0)
            e = errno;
        if (!e) {
            p->tmp[0] = '\0';
            fsync(p->dfd);  /* the rename made durable too (some file systems refuse) */
        }
    } else if (!e) {
        char *data = aslrtp_malloc(p->size + 1);
        rewind(p->f);
        if (fread(data, 1, p->size, p->f) != p->size) {
            e = ferror(p->f) && errno ? errno : EIO;
        } else {
            aslrt_error call = {NULL, NULL};
            if (!aslrtp_s3_put(w->at.cfg, w->at.region, w->bucket, p->key, data, p->size,
                               &call)) {
                s3_failed(err, WRITER_FAILED, &call);
                free(data);
                return false;
            }
        }
        free(data);
    }
    if (e) {
        failf(err, WRITER_FAILED, "Could not write s3://%s/%s: %s", w->bucket, p->key,
              write_why(e));
        return false;
    }
    return true;
}

json_t *aslrtp_results_finish(aslrtp_results *w, aslrt_error *err)
{
    if (w->array) {
        json_t *ret = w->array;
        w->array = NULL;
        return ret;
    }
    json_t *files = json_pack("{s:[],s:[],s:[]}", "FAILED", "PENDING", "SUCCEEDED");
    bool ok = true;
    for (int k = 0; k < 2 && ok; k++) {
        part *p = &w->parts[k];
        if (!p->f)
            continue;
        ok = part_finish(w, k, err);
        json_array_append_new(json_object_get(files, part_status[k]),
                              json_pack("{s:s,s:I}", "Key", p->key, "Size", (json_int_t)p->size));
    }
    json_t *ret = NULL;
    if (ok) {
        json_t *manifest = json_pack("{s:s,s:s,s:O}", "DestinationBucket", w->bucket,
                                     "MapRunArn", w->r.arn, "ResultFiles", files);
        char *key = aslrtp_strdupf("%s/manifest.json", w->dirkey);
        char *text = aslrt_json_dumps(manifest);
        if (put_object(&w->at, w->bucket, key, text, strlen(text), err))
            ret = json_pack("{s:s,s:{s:s,s:s}}", "MapRunArn", w->r.arn, "ResultWriterDetails",
                            "Bucket", w->bucket, "Key", key);
        free(text);
        free(key);
        json_decref(manifest);
    }
    json_decref(files);
    return ret;
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
    aslrtp_results *w = aslrtp_results_open(at, params, writer_config, map_run_arn, err);
    if (!w)
        return NULL;
    json_t *ret = NULL;
    size_t n = json_array_size(results);
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++)
        ok = aslrtp_results_add(w, i, json_array_get(inputs, i), json_array_get(results, i),
                                failed && failed[i], err);
    if (ok)
        ret = aslrtp_results_finish(w, err);
    aslrtp_results_close(w);
    return ret;
}
