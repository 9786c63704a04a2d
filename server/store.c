/*
 * store.c - the server's records in SQLite (server.h, "store.c"): JSON
 * documents in, the same documents out, durable once a call returns.
 *
 * Everything the API reports lives in one database, DIR/aslc.db, or in
 * memory for tests.  Three tables hold the documents as compact JSON text
 * (doc/architecture.md, "The server's store"):
 *
 *   records     state machines and activities, by kind and ARN
 *   executions  DescribeExecution's documents, with the few members the
 *               lists filter and sort by copied into columns
 *   events      history events, by execution and id
 *
 * and a fourth, meta, holds the key that signs pagination tokens.  The
 * store reads nothing else of a document: what a record says is the API's
 * business.
 *
 * Durability is SQLite's: write-ahead log, synchronous=FULL (the log is
 * synced at every commit), and every write in a transaction that has
 * committed before the call returns.  One connection serves every thread
 * behind one mutex; its statements are prepared once, at open.
 *
 * Lists page by key, never by offset (their orders: doc/behaviour.md
 * §30), so that a page is stable while records come and go: a token names
 * the last row of the page before (its sequence number; for executions its
 * start date too; for events its id).
 * A token is that position and an HMAC-SHA256 (libcrypto) of it and of the
 * list it belongs to, under the store's own key, in URL-safe base64: the
 * store knows its tokens again across restarts and takes no other.
 *
 * The schema has a version (PRAGMA user_version); open brings an older
 * database up to SCHEMA_VERSION through the steps of `migrations` and
 * refuses a newer one.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sqlite3.h>

#include "aslrt_private.h"
#include "server.h"

/* PRAGMA application_id of an aslc store: "ASLC". */
#define APPLICATION_ID 0x41534C43
/* The schema this file reads and writes. */
#define SCHEMA_VERSION 1
/* How long a writer waits for another process holding the database. */
#define BUSY_TIMEOUT_MS 10000
/* The bytes of the token key, and of the MAC a token carries. */
#define KEY_SIZE 32
#define MAC_SIZE 16
/* Tokens longer than this are not ours (AWS's nextToken is at most 1024). */
#define TOKEN_MAX 1024

/* migrations[v] takes a database from schema version v to v + 1. */
static const char *const migrations[SCHEMA_VERSION] = {
    /* 0 -> 1: the first schema.  AUTOINCREMENT: a deleted row's sequence
     * number is never given again, so a token naming it still means "after
     * this point". */
    "CREATE TABLE meta ("
    "  key TEXT PRIMARY KEY,"
    "  value BLOB NOT NULL);"
    "CREATE TABLE records ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  kind INTEGER NOT NULL,"
    "  arn TEXT NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  UNIQUE (kind, arn));"
    "CREATE TABLE executions ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  arn TEXT NOT NULL UNIQUE,"
    "  machine_arn TEXT NOT NULL,"
    "  map_run_arn TEXT,"
    "  status TEXT NOT NULL,"
    "  start_ms INTEGER NOT NULL,"
    "  doc TEXT NOT NULL);"
    "CREATE INDEX executions_by_machine ON executions (machine_arn, start_ms, seq);"
    "CREATE INDEX executions_by_map_run ON executions (map_run_arn, start_ms, seq)"
    "  WHERE map_run_arn IS NOT NULL;"
    "CREATE INDEX executions_running ON executions (seq) WHERE status = 'RUNNING';"
    "CREATE TABLE events ("
    "  exec_seq INTEGER NOT NULL,"
    "  id INTEGER NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  PRIMARY KEY (exec_seq, id)) WITHOUT ROWID;",
};

/* The statements, prepared once at open. */
#define STATEMENTS(X)                                                                    \
    X(BEGIN, "BEGIN IMMEDIATE")                                                          \
    X(COMMIT, "COMMIT")                                                                  \
    X(ROLLBACK, "ROLLBACK")                                                              \
    X(REC_INSERT, "INSERT INTO records (kind, arn, doc) VALUES (?1, ?2, ?3)"             \
                  " ON CONFLICT (kind, arn) DO NOTHING")                                 \
    X(REC_UPSERT, "INSERT INTO records (kind, arn, doc) VALUES (?1, ?2, ?3)"             \
                  " ON CONFLICT (kind, arn) DO UPDATE SET doc = excluded.doc")           \
    X(REC_GET, "SELECT doc FROM records WHERE kind = ?1 AND arn = ?2")                   \
    X(REC_DELETE, "DELETE FROM records WHERE kind = ?1 AND arn = ?2")                    \
    X(REC_LIST, "SELECT seq, doc FROM records WHERE kind = ?1 AND seq > ?2"              \
                " ORDER BY seq LIMIT ?3")                                                \
    X(EXEC_INSERT, "INSERT INTO executions"                                              \
                   " (arn, machine_arn, map_run_arn, status, start_ms, doc)"             \
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (arn) DO NOTHING")      \
    X(EXEC_UPDATE, "UPDATE executions SET machine_arn = ?2, map_run_arn = ?3,"           \
                   " status = ?4, start_ms = ?5, doc = ?6 WHERE arn = ?1")               \
    X(EXEC_GET, "SELECT doc FROM executions WHERE arn = ?1")                             \
    X(EXEC_SEQ, "SELECT seq FROM executions WHERE arn = ?1")                             \
    X(EXEC_LIST_MACHINE, "SELECT start_ms, seq, doc FROM executions"                     \
                         " WHERE machine_arn = ?1 AND (?2 IS NULL OR status = ?2)"       \
                         " AND (start_ms, seq) < (?3, ?4)"                               \
                         " ORDER BY start_ms DESC, seq DESC LIMIT ?5")                   \
    X(EXEC_LIST_MAP_RUN, "SELECT start_ms, seq, doc FROM executions"                     \
                         " WHERE map_run_arn = ?1 AND (?2 IS NULL OR status = ?2)"       \
                         " AND (start_ms, seq) < (?3, ?4)"                               \
                         " ORDER BY start_ms DESC, seq DESC LIMIT ?5")                   \
    X(EXEC_RUNNING, "SELECT doc FROM executions WHERE status = 'RUNNING' ORDER BY seq")  \
    /* A state machine's executions and its Map Runs' (whose state machine    */       \
    /* ARN is "MACHINE/label", doc/behaviour.md §30; '0' follows '/').        */       \
    X(EVENTS_DELETE_OF, "DELETE FROM events WHERE exec_seq IN"                           \
                        " (SELECT seq FROM executions WHERE machine_arn = ?1"            \
                        "  OR (machine_arn > ?1 || '/' AND machine_arn < ?1 || '0'))")   \
    X(EXEC_DELETE_OF, "DELETE FROM executions WHERE machine_arn = ?1"                    \
                      " OR (machine_arn > ?1 || '/' AND machine_arn < ?1 || '0')")       \
    X(EV_LAST, "SELECT max(id) FROM events WHERE exec_seq = ?1")                         \
    X(EV_INSERT, "INSERT INTO events (exec_seq, id, doc) VALUES (?1, ?2, ?3)")           \
    X(EV_LIST_FWD, "SELECT id, doc FROM events WHERE exec_seq = ?1 AND id > ?2"          \
                   " ORDER BY id LIMIT ?3")                                              \
    X(EV_LIST_REV, "SELECT id, doc FROM events WHERE exec_seq = ?1 AND id < ?2"          \
                   " ORDER BY id DESC LIMIT ?3")

enum {
#define X(name, sql) ST_##name,
    STATEMENTS(X)
#undef X
    ST_COUNT
};

static const char *const statement_sql[ST_COUNT] = {
#define X(name, sql) sql,
    STATEMENTS(X)
#undef X
};

struct srv_store {
    sqlite3 *db;
    pthread_mutex_t lock;           /* held around every use of db */
    sqlite3_stmt *st[ST_COUNT];
    unsigned char key[KEY_SIZE];    /* signs the pagination tokens */
};

/* ==== Errors ============================================================= */

/* *err = "store: " and the formatted text (malloc'd), when err is set. */
__attribute__((format(printf, 2, 3)))
static void set_err(char **err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *m = NULL;
    if (vasprintf(&m, fmt, ap) < 0)
        m = NULL;
    va_end(ap);
    *err = aslrtp_strdupf("store: %s", m ? m : "out of memory");
    free(m);
}

/* SRV_FAILED with *err = what was being done and SQLite's last message. */
__attribute__((format(printf, 3, 4)))
static int db_fail(srv_store *s, char **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *what = NULL;
    if (vasprintf(&what, fmt, ap) < 0)
        what = NULL;
    va_end(ap);
    set_err(err, "%s: %s", what ? what : "?", sqlite3_errmsg(s->db));
    free(what);
    return SRV_FAILED;
}

/* ==== Statements and transactions ======================================== */

/* Readies st for another use (after SQLite's message is read). */
static void done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Binds text v to parameter i (SQL NULL for NULL). */
static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* Runs a statement that returns no rows; SQLite's code (SQLITE_DONE when
 * it ran). */
static int run(srv_store *s, int which)
{
    sqlite3_stmt *st = s->st[which];
    int rc = sqlite3_step(st);
    while (rc == SQLITE_ROW)
        rc = sqlite3_step(st);
    return rc;
}

static int begin(srv_store *s, char **err, const char *what)
{
    int rc = run(s, ST_BEGIN) == SQLITE_DONE ? SRV_OK : db_fail(s, err, "%s: beginning", what);
    done(s->st[ST_BEGIN]);
    return rc;
}

/* Ends the transaction: commits when rc is SRV_OK (and reports a failed
 * commit), rolls back otherwise; returns the outcome. */
static int end(srv_store *s, int rc, char **err, const char *what)
{
    if (rc == SRV_OK) {
        if (run(s, ST_COMMIT) != SQLITE_DONE)
            rc = db_fail(s, err, "%s: committing", what);
        done(s->st[ST_COMMIT]);
        if (rc == SRV_OK)
            return SRV_OK;
    }
    /* a failed statement may have rolled back already */
    if (!sqlite3_get_autocommit(s->db)) {
        run(s, ST_ROLLBACK);
        done(s->st[ST_ROLLBACK]);
    }
    return rc;
}

/* The compact JSON text of an object (malloc'd), or NULL with *err. */
static char *doc_text(const json_t *doc, const char *what, char **err)
{
    if (!json_is_object(doc)) {
        set_err(err, "%s: the document is not a JSON object", what);
        return NULL;
    }
    char *text = json_dumps(doc, JSON_COMPACT);
    if (!text)
        set_err(err, "%s: the document cannot be written as JSON", what);
    return text;
}

/* The document in column col of st's current row, a new reference; NULL
 * with *err when the text there is not JSON. */
static json_t *column_doc(sqlite3_stmt *st, int col, char **err)
{
    const char *text = (const char *)sqlite3_column_text(st, col);
    int n = sqlite3_column_bytes(st, col);
    json_error_t e;
    json_t *doc = text ? json_loadb(text, (size_t)n, JSON_ALLOW_NUL, &e) : NULL;
    if (!doc)
        set_err(err, "a stored document does not read back: %s", text ? e.text : "empty");
    return doc;
}

/* ==== Pagination tokens ================================================== */

/* The MAC of position pos in the list named by list. */
static void token_mac(const srv_store *s, const char *list, const char *pos,
                      unsigned char mac[EVP_MAX_MD_SIZE])
{
    char *msg = aslrtp_strdupf("%s\n%s", list, pos);
    unsigned int n = 0;
    HMAC(EVP_sha256(), s->key, KEY_SIZE, (const unsigned char *)msg, strlen(msg), mac, &n);
    free(msg);
}

/* The token (malloc'd) of position pos in list. */
static char *token_make(const srv_store *s, const char *list, const char *pos)
{
    size_t n = strlen(pos);
    unsigned char *raw = aslrtp_malloc(MAC_SIZE + n);
    unsigned char mac[EVP_MAX_MD_SIZE];
    token_mac(s, list, pos, mac);
    memcpy(raw, mac, MAC_SIZE);
    memcpy(raw + MAC_SIZE, pos, n);
    char *token = aslrtp_base64_encode(raw, MAC_SIZE + n, ASLRTP_B64_URL | ASLRTP_B64_NOPAD, NULL);
    free(raw);
    return token;
}

/* The position (malloc'd) token names in list, or NULL when the store did
 * not give that token out for that list. */
static char *token_read(const srv_store *s, const char *list, const char *token)
{
    size_t tn = strlen(token);
    if (tn == 0 || tn > TOKEN_MAX)
        return NULL;
    size_t n = 0;
    char *raw = aslrtp_base64_decode(token, tn, ASLRTP_B64_URL | ASLRTP_B64_NOPAD, &n);
    if (!raw || n <= MAC_SIZE || memchr(raw + MAC_SIZE, '\0', n - MAC_SIZE)) {
        free(raw);
        return NULL;
    }
    /* one text per token: base64 without padding can spell the same
     * bytes more than one way */
    char *again = aslrtp_base64_encode(raw, n, ASLRTP_B64_URL | ASLRTP_B64_NOPAD, NULL);
    bool canonical = strcmp(again, token) == 0;
    free(again);
    if (!canonical) {
        free(raw);
        return NULL;
    }
    char *pos = aslrtp_memdup(raw + MAC_SIZE, n - MAC_SIZE);
    unsigned char mac[EVP_MAX_MD_SIZE];
    token_mac(s, list, pos, mac);
    bool ok = CRYPTO_memcmp(mac, raw, MAC_SIZE) == 0;
    free(raw);
    if (!ok) {
        free(pos);
        return NULL;
    }
    return pos;
}

/* Reads count integers separated by ',' from pos (all of it); false when
 * it holds anything else. */
static bool parse_position(const char *pos, int count, long long *v)
{
    const char *p = pos;
    for (int i = 0; i < count; i++) {
        if (i > 0 && *p++ != ',')
            return false;
        if (*p != '-' && (*p < '0' || *p > '9'))
            return false;
        char *end;
        errno = 0;
        v[i] = strtoll(p, &end, 10);
        if (errno || end == p)
            return false;
        p = end;
    }
    return *p == '\0';
}

/* The position of list in token (NULL: the start, leaving v alone): true,
 * or false when the token is not one of list's. */
static bool token_position(const srv_store *s, const char *list, const char *token, int count,
                           long long *v)
{
    if (!token)
        return true;
    char *pos = token_read(s, list, token);
    bool ok = pos && parse_position(pos, count, v);
    free(pos);
    return ok;
}

/* The part of a list's name for string v: its length and itself, or "-"
 * for NULL, so that no two lists share a name. */
static void list_part(aslrtp_buf *b, const char *v)
{
    if (v)
        aslrtp_buf_addf(b, "|%zu:%s", strlen(v), v);
    else
        aslrtp_buf_adds(b, "|-");
}

/* ==== Opening and closing ================================================ */

/* mkdir -p path, each directory made with mode 0700; its parent synced
 * so that a new directory survives a crash.  0, or -1 with errno. */
static int make_dirs(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) == 0) {
        if (S_ISDIR(sb.st_mode))
            return 0;
        errno = ENOTDIR;
        return -1;
    }
    if (errno != ENOENT)
        return -1;
    char *parent = aslrtp_strdup(path);
    char *slash = strrchr(parent, '/');
    while (slash && slash > parent && slash[1] == '\0') {   /* "dir/" */
        *slash = '\0';
        slash = strrchr(parent, '/');
    }
    int rc = 0;
    if (slash) {
        if (slash == parent)
            slash[1] = '\0';                                  /* "/dir": "/" */
        else
            *slash = '\0';
        rc = make_dirs(parent);
    } else {
        strcpy(parent, ".");
    }
    if (rc == 0 && mkdir(path, 0700) != 0 && errno != EEXIST)
        rc = -1;
    if (rc == 0) {
        int fd = open(parent, O_RDONLY | O_DIRECTORY);
        if (fd >= 0) {
            fsync(fd);
            close(fd);
        }
    }
    int saved = errno;
    free(parent);
    errno = saved;
    return rc;
}

/* The single integer a PRAGMA or query answers, or -1 with *err. */
static long long query_int(srv_store *s, const char *sql, char **err)
{
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        db_fail(s, err, "%s", sql);
        return -1;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    else
        db_fail(s, err, "%s", sql);
    sqlite3_finalize(st);
    return v;
}

/* Runs the statements of sql; SRV_OK or SRV_FAILED with *err. */
static int exec_sql(srv_store *s, const char *sql, const char *what, char **err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        set_err(err, "%s: %s", what, msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return SRV_FAILED;
    }
    return SRV_OK;
}

/* Brings the schema to SCHEMA_VERSION and reads (or makes) the token key,
 * in one transaction. */
static int setup_schema(srv_store *s, const char *name, char **err)
{
    if (exec_sql(s, "BEGIN IMMEDIATE", name, err))
        return SRV_FAILED;
    int rc = SRV_FAILED;
    long long app = query_int(s, "PRAGMA application_id", err);
    long long version = app < 0 ? -1 : query_int(s, "PRAGMA user_version", err);
    long long tables = version < 0 ? -1 : query_int(s, "SELECT count(*) FROM sqlite_master", err);
    if (tables < 0)
        goto out;
    if ((app != 0 && app != APPLICATION_ID) || (app == 0 && tables > 0)) {
        set_err(err, "%s is not a store of aslc", name);
        goto out;
    }
    if (version > SCHEMA_VERSION) {
        set_err(err, "%s has schema version %lld, newer than this aslc knows (%d): "
                "use a newer aslc", name, version, SCHEMA_VERSION);
        goto out;
    }
    for (long long v = version; v < SCHEMA_VERSION; v++) {
        char *what = aslrtp_strdupf("%s: schema version %lld to %lld", name, v, v + 1);
        int r = exec_sql(s, migrations[v], what, err);
        free(what);
        if (r)
            goto out;
    }
    if (version < SCHEMA_VERSION) {
        char *sql = aslrtp_strdupf("PRAGMA application_id = %d; PRAGMA user_version = %d",
                                   APPLICATION_ID, SCHEMA_VERSION);
        int r = exec_sql(s, sql, name, err);
        free(sql);
        if (r)
            goto out;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'token_key'", -1, &st,
                           NULL) != SQLITE_OK) {
        db_fail(s, err, "%s: reading the token key", name);
        goto out;
    }
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW && sqlite3_column_bytes(st, 0) == KEY_SIZE) {
        memcpy(s->key, sqlite3_column_blob(st, 0), KEY_SIZE);
        rc = SRV_OK;
    } else if (step == SQLITE_DONE) {
        sqlite3_finalize(st);
        st = NULL;
        aslrtp_random_bytes(s->key, KEY_SIZE);
        if (sqlite3_prepare_v2(s->db, "INSERT INTO meta (key, value) VALUES ('token_key', ?1)",
                               -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_blob(st, 1, s->key, KEY_SIZE, SQLITE_STATIC);
            if (sqlite3_step(st) == SQLITE_DONE)
                rc = SRV_OK;
        }
        if (rc)
            db_fail(s, err, "%s: storing the token key", name);
    } else if (step == SQLITE_ROW) {
        set_err(err, "%s: the token key is damaged", name);
    } else {
        db_fail(s, err, "%s: reading the token key", name);
    }
    sqlite3_finalize(st);
out:
    if (rc == SRV_OK)
        rc = exec_sql(s, "COMMIT", name, err);
    if (rc != SRV_OK && !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Sets journal_mode=WAL (a file's), synchronous=FULL and the busy timeout. */
static int setup_connection(srv_store *s, const char *name, bool in_memory, char **err)
{
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    if (!in_memory) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK
            || sqlite3_step(st) != SQLITE_ROW) {
            sqlite3_finalize(st);
            return db_fail(s, err, "%s: setting the write-ahead log", name);
        }
        const char *mode = (const char *)sqlite3_column_text(st, 0);
        bool wal = mode && strcmp(mode, "wal") == 0;
        if (!wal)
            set_err(err, "%s: the write-ahead log cannot be used here (journal mode %s)", name,
                    mode ? mode : "unknown");
        sqlite3_finalize(st);
        if (!wal)
            return SRV_FAILED;
    }
    return exec_sql(s, "PRAGMA synchronous = FULL", name, err);
}

srv_store *srv_store_open(const char *dir, char **err)
{
    char *path = NULL;
    if (dir) {
        if (!*dir) {
            set_err(err, "the data directory is an empty name");
            return NULL;
        }
        if (make_dirs(dir) != 0) {
            set_err(err, "cannot make the data directory %s: %s", dir, strerror(errno));
            return NULL;
        }
        path = aslrtp_strdupf("%s/aslc.db", dir);
    }
    const char *name = path ? path : "the in-memory store";
    srv_store *s = aslrtp_calloc(1, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path ? path : ":memory:", &s->db, flags, NULL);
    if (rc != SQLITE_OK) {
        if (s->db)
            db_fail(s, err, "opening %s", name);
        else
            set_err(err, "opening %s: out of memory", name);
        goto fail;
    }
    if (setup_connection(s, name, !path, err) || setup_schema(s, name, err))
        goto fail;
    for (int i = 0; i < ST_COUNT; i++) {
        if (sqlite3_prepare_v3(s->db, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
                               NULL) != SQLITE_OK) {
            db_fail(s, err, "%s: preparing \"%s\"", name, statement_sql[i]);
            goto fail;
        }
    }
    free(path);
    return s;
fail:
    free(path);
    srv_store_close(s);
    return NULL;
}

void srv_store_close(srv_store *s)
{
    if (!s)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    sqlite3_close_v2(s->db);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* ==== Named records ====================================================== */

/* The record of kind and arn (a new reference), or NULL; the lock held. */
static json_t *record_get(srv_store *s, srv_kind kind, const char *arn)
{
    sqlite3_stmt *st = s->st[ST_REC_GET];
    sqlite3_bind_int(st, 1, (int)kind);
    bind_text(st, 2, arn);
    json_t *doc = NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        doc = column_doc(st, 0, NULL);
    done(st);
    return doc;
}

int srv_store_put(srv_store *s, srv_kind kind, const char *arn, json_t *doc, bool create,
                  json_t **existing, char **err)
{
    if (existing)
        *existing = NULL;
    if (!arn) {
        set_err(err, "storing a record: no ARN");
        return SRV_FAILED;
    }
    char *what = aslrtp_strdupf("storing %s", arn);
    char *text = doc_text(doc, what, err);
    if (!text) {
        free(what);
        return SRV_FAILED;
    }
    pthread_mutex_lock(&s->lock);
    int rc = begin(s, err, what);
    if (rc == SRV_OK) {
        sqlite3_stmt *st = s->st[create ? ST_REC_INSERT : ST_REC_UPSERT];
        sqlite3_bind_int(st, 1, (int)kind);
        bind_text(st, 2, arn);
        bind_text(st, 3, text);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(s, err, "%s", what);
        else if (create && sqlite3_changes(s->db) == 0)
            rc = SRV_EXISTS;
        done(st);
        if (rc == SRV_EXISTS && existing)
            *existing = record_get(s, kind, arn);
        /* nothing was written when the record exists: end() rolls back */
        rc = end(s, rc, err, what);
    }
    pthread_mutex_unlock(&s->lock);
    free(text);
    free(what);
    return rc;
}

json_t *srv_store_get(srv_store *s, srv_kind kind, const char *arn)
{
    if (!arn)
        return NULL;
    pthread_mutex_lock(&s->lock);
    json_t *doc = record_get(s, kind, arn);
    pthread_mutex_unlock(&s->lock);
    return doc;
}

int srv_store_delete(srv_store *s, srv_kind kind, const char *arn, char **err)
{
    if (!arn)
        return SRV_NOT_FOUND;
    char *what = aslrtp_strdupf("deleting %s", arn);
    pthread_mutex_lock(&s->lock);
    int rc = begin(s, err, what);
    if (rc == SRV_OK) {
        sqlite3_stmt *st = s->st[ST_REC_DELETE];
        sqlite3_bind_int(st, 1, (int)kind);
        bind_text(st, 2, arn);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(s, err, "%s", what);
        else if (sqlite3_changes(s->db) == 0)
            rc = SRV_NOT_FOUND;
        done(st);
        rc = end(s, rc, err, what);
    }
    pthread_mutex_unlock(&s->lock);
    free(what);
    return rc;
}

/* Runs st (bound but for its LIMIT, parameter limit_param) for one page:
 * at most limit documents (column doc_col) into *page, and in *last_row
 * the position columns (count of them from 0) of the page's last row when
 * a row follows it; returns whether one does, or -1 with *err.  The lock
 * held. */
static int fetch_page(srv_store *s, sqlite3_stmt *st, int limit_param, int limit, int doc_col,
                      int count, long long *last_row, json_t *page, const char *what,
                      char **err)
{
    sqlite3_bind_int64(st, limit_param, (sqlite3_int64)limit + 1);
    int more = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((int)json_array_size(page) == limit) {
            more = 1;
            break;
        }
        json_t *doc = column_doc(st, doc_col, err);
        if (!doc) {
            more = -1;
            break;
        }
        json_array_append_new(page, doc);
        for (int i = 0; i < count; i++)
            last_row[i] = sqlite3_column_int64(st, i);
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_fail(s, err, "%s", what);
        more = -1;
    }
    done(st);
    return more;
}

/* The token of a page that ends at position v[0..count) of list. */
static char *position_token(const srv_store *s, const char *list, int count, const long long *v)
{
    aslrtp_buf b = {0};
    for (int i = 0; i < count; i++)
        aslrtp_buf_addf(&b, i ? ",%lld" : "%lld", v[i]);
    char *pos = aslrtp_buf_finish(&b);
    char *token = token_make(s, list, pos);
    free(pos);
    return token;
}

/* Hands page (or NULL and frees it, more < 0) and next to the caller. */
static int finish_page(const srv_store *s, int more, json_t *page, const char *list, int count,
                       const long long *last_row, json_t **out, char **next)
{
    if (more < 0) {
        json_decref(page);
        return SRV_FAILED;
    }
    *out = page;
    if (more)
        *next = position_token(s, list, count, last_row);
    return SRV_OK;
}

int srv_store_list(srv_store *s, srv_kind kind, const char *token, int limit, json_t **page,
                   char **next, char **err)
{
    *page = NULL;
    *next = NULL;
    char list[32];
    snprintf(list, sizeof list, "records|%d", (int)kind);
    long long after = 0;
    if (!token_position(s, list, token, 1, &after))
        return SRV_BAD_TOKEN;
    if (limit <= 0) {
        set_err(err, "listing records: the page size %d is not positive", limit);
        return SRV_FAILED;
    }
    json_t *p = json_array();
    long long last = 0;
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = s->st[ST_REC_LIST];
    sqlite3_bind_int(st, 1, (int)kind);
    sqlite3_bind_int64(st, 2, after);
    int more = fetch_page(s, st, 3, limit, 1, 1, &last, p, "listing records", err);
    pthread_mutex_unlock(&s->lock);
    return finish_page(s, more, p, list, 1, &last, page, next);
}

/* ==== Executions ========================================================= */

/* The indexed members of an execution's document. */
typedef struct exec_keys {
    const char *arn, *machine_arn, *map_run_arn, *status;
    long long start_ms;
} exec_keys;

/* Reads doc's indexed members; false with *err when one is missing. */
static bool exec_keys_of(const json_t *doc, exec_keys *k, char **err)
{
    k->arn = json_string_value(json_object_get(doc, "executionArn"));
    k->machine_arn = json_string_value(json_object_get(doc, "stateMachineArn"));
    k->map_run_arn = json_string_value(json_object_get(doc, "mapRunArn"));
    k->status = json_string_value(json_object_get(doc, "status"));
    json_t *start = json_object_get(doc, "startDate");
    const char *missing = !json_is_object(doc) ? "is not a JSON object"
                          : !k->arn            ? "has no executionArn string"
                          : !k->machine_arn    ? "has no stateMachineArn string"
                          : !k->status         ? "has no status string"
                          : !json_is_number(start) ? "has no startDate number"
                                                   : NULL;
    if (missing) {
        set_err(err, "storing execution %s: the document %s", k->arn ? k->arn : "", missing);
        return false;
    }
    k->start_ms = json_is_integer(start) ? json_integer_value(start)
                                         : (long long)json_real_value(start);
    return true;
}

/* The sequence number of execution arn, 0 when there is none, -1 on
 * failure (with *err).  The lock held. */
static long long exec_seq(srv_store *s, const char *arn, const char *what, char **err)
{
    sqlite3_stmt *st = s->st[ST_EXEC_SEQ];
    bind_text(st, 1, arn);
    int rc = sqlite3_step(st);
    long long seq = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_fail(s, err, "%s", what);
        seq = -1;
    }
    done(st);
    return seq;
}

/* The execution arn's document (a new reference) or NULL; the lock held. */
static json_t *exec_get(srv_store *s, const char *arn)
{
    sqlite3_stmt *st = s->st[ST_EXEC_GET];
    bind_text(st, 1, arn);
    json_t *doc = NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        doc = column_doc(st, 0, NULL);
    done(st);
    return doc;
}

/* Appends events (an array of event objects with integer ids; NULL: none)
 * to the execution of sequence number seq; in a transaction, the lock
 * held. */
static int events_insert(srv_store *s, long long seq, const char *arn, json_t *events,
                         const char *what, char **err)
{
    if (!events)
        return SRV_OK;
    if (!json_is_array(events)) {
        set_err(err, "%s: the events are not a JSON array", what);
        return SRV_FAILED;
    }
    sqlite3_stmt *st = s->st[ST_EV_INSERT];
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev) {
        json_t *id = json_object_get(ev, "id");
        if (!json_is_integer(id)) {
            set_err(err, "%s: event %zu has no integer id", what, i);
            return SRV_FAILED;
        }
        char *text = doc_text(ev, what, err);
        if (!text)
            return SRV_FAILED;
        sqlite3_bind_int64(st, 1, seq);
        sqlite3_bind_int64(st, 2, json_integer_value(id));
        bind_text(st, 3, text);
        free(text);
        int rc = SRV_OK;
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(s, err, "%s: event %lld of %s", what, (long long)json_integer_value(id),
                         arn);
        done(st);
        if (rc)
            return rc;
    }
    return SRV_OK;
}

/* Replaces the document of an execution (k its keys) and appends events;
 * in a transaction, the lock held. */
static int exec_write(srv_store *s, json_t *doc, const exec_keys *k, json_t *events,
                      const char *what, char **err)
{
    char *text = doc_text(doc, what, err);
    if (!text)
        return SRV_FAILED;
    sqlite3_stmt *st = s->st[ST_EXEC_UPDATE];
    bind_text(st, 1, k->arn);
    bind_text(st, 2, k->machine_arn);
    bind_text(st, 3, k->map_run_arn);
    bind_text(st, 4, k->status);
    sqlite3_bind_int64(st, 5, k->start_ms);
    bind_text(st, 6, text);
    free(text);
    int rc = SRV_OK;
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(s, err, "%s", what);
    else if (sqlite3_changes(s->db) == 0)
        rc = SRV_NOT_FOUND;
    done(st);
    if (rc == SRV_OK && events) {
        long long seq = exec_seq(s, k->arn, what, err);
        rc = seq < 0 ? SRV_FAILED : events_insert(s, seq, k->arn, events, what, err);
    }
    return rc;
}

int srv_store_exec_insert(srv_store *s, json_t *doc, json_t **existing, char **err)
{
    if (existing)
        *existing = NULL;
    exec_keys k;
    if (!exec_keys_of(doc, &k, err))
        return SRV_FAILED;
    char *what = aslrtp_strdupf("storing execution %s", k.arn);
    char *text = doc_text(doc, what, err);
    if (!text) {
        free(what);
        return SRV_FAILED;
    }
    pthread_mutex_lock(&s->lock);
    int rc = begin(s, err, what);
    if (rc == SRV_OK) {
        sqlite3_stmt *st = s->st[ST_EXEC_INSERT];
        bind_text(st, 1, k.arn);
        bind_text(st, 2, k.machine_arn);
        bind_text(st, 3, k.map_run_arn);
        bind_text(st, 4, k.status);
        sqlite3_bind_int64(st, 5, k.start_ms);
        bind_text(st, 6, text);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(s, err, "%s", what);
        else if (sqlite3_changes(s->db) == 0)
            rc = SRV_EXISTS;
        done(st);
        if (rc == SRV_EXISTS && existing)
            *existing = exec_get(s, k.arn);
        rc = end(s, rc, err, what);
    }
    pthread_mutex_unlock(&s->lock);
    free(text);
    free(what);
    return rc;
}

int srv_store_exec_update(srv_store *s, json_t *doc, json_t *events, char **err)
{
    exec_keys k;
    if (!exec_keys_of(doc, &k, err))
        return SRV_FAILED;
    char *what = aslrtp_strdupf("updating execution %s", k.arn);
    pthread_mutex_lock(&s->lock);
    int rc = begin(s, err, what);
    if (rc == SRV_OK)
        rc = end(s, exec_write(s, doc, &k, events, what, err), err, what);
    pthread_mutex_unlock(&s->lock);
    free(what);
    return rc;
}

json_t *srv_store_exec_get(srv_store *s, const char *arn)
{
    if (!arn)
        return NULL;
    pthread_mutex_lock(&s->lock);
    json_t *doc = exec_get(s, arn);
    pthread_mutex_unlock(&s->lock);
    return doc;
}

/* Whether arn names a Map Run (arn:PARTITION:states:REGION:ACCOUNT:mapRun:...). */
static bool is_map_run_arn(const char *arn)
{
    const char *p = arn;
    for (int i = 0; i < 5 && p; i++) {
        p = strchr(p, ':');
        if (p)
            p++;
    }
    return p && strncmp(p, "mapRun:", 7) == 0;
}

int srv_store_exec_list(srv_store *s, const char *machine_arn, const char *status,
                        const char *token, int limit, json_t **page, char **next, char **err)
{
    *page = NULL;
    *next = NULL;
    if (!machine_arn || limit <= 0) {
        set_err(err, "listing executions: %s", !machine_arn ? "no state machine ARN"
                                                            : "the page size is not positive");
        return SRV_FAILED;
    }
    aslrtp_buf b = {0};
    aslrtp_buf_adds(&b, "executions");
    list_part(&b, machine_arn);
    list_part(&b, status);
    char *list = aslrtp_buf_finish(&b);
    long long after[2] = {LLONG_MAX, LLONG_MAX};
    if (!token_position(s, list, token, 2, after)) {
        free(list);
        return SRV_BAD_TOKEN;
    }
    char *what = aslrtp_strdupf("listing the executions of %s", machine_arn);
    json_t *p = json_array();
    long long last[2] = {0, 0};
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = s->st[is_map_run_arn(machine_arn) ? ST_EXEC_LIST_MAP_RUN
                                                         : ST_EXEC_LIST_MACHINE];
    bind_text(st, 1, machine_arn);
    bind_text(st, 2, status);
    sqlite3_bind_int64(st, 3, after[0]);
    sqlite3_bind_int64(st, 4, after[1]);
    int more = fetch_page(s, st, 5, limit, 2, 2, last, p, what, err);
    pthread_mutex_unlock(&s->lock);
    int rc = finish_page(s, more, p, list, 2, last, page, next);
    free(what);
    free(list);
    return rc;
}

int srv_store_exec_delete_of(srv_store *s, const char *machine_arn, char **err)
{
    if (!machine_arn) {
        set_err(err, "deleting executions: no state machine ARN");
        return SRV_FAILED;
    }
    char *what = aslrtp_strdupf("deleting the executions of %s", machine_arn);
    pthread_mutex_lock(&s->lock);
    int rc = begin(s, err, what);
    if (rc == SRV_OK) {
        static const int steps[] = {ST_EVENTS_DELETE_OF, ST_EXEC_DELETE_OF};
        for (size_t i = 0; i < sizeof steps / sizeof *steps && rc == SRV_OK; i++) {
            sqlite3_stmt *st = s->st[steps[i]];
            bind_text(st, 1, machine_arn);
            if (sqlite3_step(st) != SQLITE_DONE)
                rc = db_fail(s, err, "%s", what);
            done(st);
        }
        rc = end(s, rc, err, what);
    }
    pthread_mutex_unlock(&s->lock);
    free(what);
    return rc;
}

/* ==== History events ===================================================== */

int srv_store_events_append(srv_store *s, const char *exec_arn, json_t *events, char **err)
{
    if (!exec_arn)
        return SRV_NOT_FOUND;
    char *what = aslrtp_strdupf("appending events to %s", exec_arn);
    pthread_mutex_lock(&s->lock);
    int rc = begin(s, err, what);
    if (rc == SRV_OK) {
        long long seq = exec_seq(s, exec_arn, what, err);
        rc = seq < 0    ? SRV_FAILED
             : seq == 0 ? SRV_NOT_FOUND
                        : events_insert(s, seq, exec_arn, events, what, err);
        rc = end(s, rc, err, what);
    }
    pthread_mutex_unlock(&s->lock);
    free(what);
    return rc;
}

int srv_store_events_list(srv_store *s, const char *exec_arn, bool reverse, const char *token,
                          int limit, json_t **page, char **next, char **err)
{
    *page = NULL;
    *next = NULL;
    if (!exec_arn)
        return SRV_NOT_FOUND;
    if (limit <= 0) {
        set_err(err, "listing the events of %s: the page size is not positive", exec_arn);
        return SRV_FAILED;
    }
    aslrtp_buf b = {0};
    aslrtp_buf_adds(&b, reverse ? "events-reverse" : "events");
    list_part(&b, exec_arn);
    char *list = aslrtp_buf_finish(&b);
    long long after = reverse ? LLONG_MAX : LLONG_MIN;
    if (!token_position(s, list, token, 1, &after)) {
        free(list);
        return SRV_BAD_TOKEN;
    }
    char *what = aslrtp_strdupf("listing the events of %s", exec_arn);
    json_t *p = json_array();
    long long last = 0;
    pthread_mutex_lock(&s->lock);
    long long seq = exec_seq(s, exec_arn, what, err);
    int more = -1, rc = SRV_FAILED;
    if (seq > 0) {
        sqlite3_stmt *st = s->st[reverse ? ST_EV_LIST_REV : ST_EV_LIST_FWD];
        sqlite3_bind_int64(st, 1, seq);
        sqlite3_bind_int64(st, 2, after);
        more = fetch_page(s, st, 3, limit, 1, 1, &last, p, what, err);
    }
    pthread_mutex_unlock(&s->lock);
    if (seq == 0) {
        json_decref(p);
        rc = SRV_NOT_FOUND;
    } else {
        rc = finish_page(s, more, p, list, 1, &last, page, next);
    }
    free(what);
    free(list);
    return rc;
}

/* ==== Recovery =========================================================== */

/* The last event id of the execution of sequence number seq (0: none), or
 * -1 with *err.  The lock held. */
static long long last_event_id(srv_store *s, long long seq, const char *what, char **err)
{
    sqlite3_stmt *st = s->st[ST_EV_LAST];
    sqlite3_bind_int64(st, 1, seq);
    long long id = -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);   /* max() of none is NULL: 0 */
    else
        db_fail(s, err, "%s", what);
    done(st);
    return id;
}

/* Fails one running execution (doc, modified here) at now_ms.  The lock
 * held, in a transaction. */
static int fail_execution(srv_store *s, json_t *doc, long long now_ms, const char *error,
                          const char *cause, const char *what, char **err)
{
    json_object_set_new(doc, "status", json_string("FAILED"));
    json_object_set_new(doc, "stopDate", json_integer(now_ms));
    json_t *details = json_object();
    if (error) {
        json_object_set_new(doc, "error", json_string(error));
        json_object_set_new(details, "error", json_string(error));
    }
    if (cause) {
        json_object_set_new(doc, "cause", json_string(cause));
        json_object_set_new(details, "cause", json_string(cause));
    }
    exec_keys k;
    if (!exec_keys_of(doc, &k, err)) {
        json_decref(details);
        return SRV_FAILED;
    }
    long long seq = exec_seq(s, k.arn, what, err);
    long long last = seq <= 0 ? -1 : last_event_id(s, seq, what, err);
    if (last < 0) {
        json_decref(details);
        return SRV_FAILED;
    }
    json_t *events = json_pack("[{sI sI sI ss so}]", "id", (json_int_t)(last + 1),
                               "previousEventId", (json_int_t)last, "timestamp",
                               (json_int_t)now_ms, "type", "ExecutionFailed",
                               "executionFailedEventDetails", details);
    int rc = exec_write(s, doc, &k, events, what, err);
    json_decref(events);
    return rc;
}

int srv_store_recover(srv_store *s, long long now_ms, const char *error, const char *cause,
                      char **err)
{
    const char *what = "failing the executions left running";
    pthread_mutex_lock(&s->lock);
    int rc = begin(s, err, what);
    int count = 0;
    if (rc == SRV_OK) {
        /* read them all before writing any: no write under an open read */
        json_t *running = json_array();
        sqlite3_stmt *st = s->st[ST_EXEC_RUNNING];
        int step;
        while (rc == SRV_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
            json_t *doc = column_doc(st, 0, err);
            if (doc)
                json_array_append_new(running, doc);
            else
                rc = SRV_FAILED;
        }
        if (rc == SRV_OK && step != SQLITE_DONE)
            rc = db_fail(s, err, "%s", what);
        done(st);
        size_t i;
        json_t *doc;
        json_array_foreach(running, i, doc) {
            if (rc != SRV_OK)
                break;
            rc = fail_execution(s, doc, now_ms, error, cause, what, err);
            count++;
        }
        json_decref(running);
        rc = end(s, rc, err, what);
    }
    pthread_mutex_unlock(&s->lock);
    return rc == SRV_OK ? count : -1;
}
