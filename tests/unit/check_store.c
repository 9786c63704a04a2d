/*
 * check_store.c - the server's SQLite store (server/store.c): named
 * records, executions and their events go in and come back, page by page,
 * across a reopen, a SIGKILL in the middle of writing, and eight threads
 * writing at once; tokens the store did not give out are refused.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include <sqlite3.h>

#include "server.h"
#include "testutil.h"

#define MACHINE "arn:aws:states:us-east-1:123456789012:stateMachine:"
#define ACTIVITY "arn:aws:states:us-east-1:123456789012:activity:"
#define EXECUTION "arn:aws:states:us-east-1:123456789012:execution:"
#define MAP_RUN "arn:aws:states:us-east-1:123456789012:mapRun:"

/* ==== Helpers ============================================================ */

static srv_store *open_store(const char *dir)
{
    char *err = NULL;
    srv_store *s = srv_store_open(dir, &err);
    ck_assert_msg(s != NULL, "open: %s", err ? err : "");
    return s;
}

/* A state machine's record. */
static json_t *machine_doc(const char *name, int n)
{
    char *arn = aslrtp_strdupf(MACHINE "%s", name);
    json_t *doc = json_pack("{ss ss si ss}", "stateMachineArn", arn, "name", name, "n", n,
                            "definition", "{\"StartAt\":\"A\"}");
    free(arn);
    return doc;
}

/* Stores record name of kind (create), failing the test unless SRV_OK. */
static void put_record(srv_store *s, srv_kind kind, const char *name, int n)
{
    char *arn = aslrtp_strdupf("%s%s", kind == SRV_MACHINE ? MACHINE : ACTIVITY, name);
    json_t *doc = machine_doc(name, n);
    char *err = NULL;
    int rc = srv_store_put(s, kind, arn, doc, true, NULL, &err);
    ck_assert_msg(rc == SRV_OK, "put %s: %d %s", arn, rc, err ? err : "");
    json_decref(doc);
    free(arn);
}

/* An execution's document: MACHINE machine, EXECUTION machine:name. */
static json_t *exec_doc(const char *machine, const char *name, const char *status,
                        long long start)
{
    char *arn = aslrtp_strdupf(EXECUTION "%s:%s", machine, name);
    char *marn = aslrtp_strdupf(MACHINE "%s", machine);
    json_t *doc = json_pack("{ss ss ss ss sI ss}", "executionArn", arn, "stateMachineArn", marn,
                            "name", name, "status", status, "startDate", (json_int_t)start,
                            "input", "{\"k\":[1,2.5,\"\\u0000x\"]}");
    free(arn);
    free(marn);
    return doc;
}

static void insert_exec(srv_store *s, json_t *doc)
{
    char *err = NULL;
    int rc = srv_store_exec_insert(s, doc, NULL, &err);
    ck_assert_msg(rc == SRV_OK, "insert: %d %s", rc, err ? err : "");
}

/* An array of events ids first..last, each after the one before. */
static json_t *events(long first, long last)
{
    json_t *a = json_array();
    for (long id = first; id <= last; id++)
        json_array_append_new(a, json_pack("{sI sI sI ss s{ss}}", "id", (json_int_t)id,
                                           "previousEventId", (json_int_t)(id - 1), "timestamp",
                                           (json_int_t)(1000 + id), "type", "PassStateEntered",
                                           "stateEnteredEventDetails", "name", "A"));
    return a;
}

/* The string member key of the i-th element of a. */
static const char *member(json_t *a, size_t i, const char *key)
{
    return json_string_value(json_object_get(json_array_get(a, i), key));
}

static long long int_member(json_t *a, size_t i, const char *key)
{
    return json_integer_value(json_object_get(json_array_get(a, i), key));
}

/* Every page of a list, as the sizes of its pages and the documents in
 * order.  kind < 0: executions of machine_arn with status; kind -2:
 * events of machine_arn (an execution ARN), reverse when status is set. */
static json_t *list_all(srv_store *s, int kind, const char *arn, const char *status, int limit,
                        int *pages)
{
    json_t *all = json_array();
    char *token = NULL;
    *pages = 0;
    do {
        json_t *page = NULL;
        char *next = NULL, *err = NULL;
        int rc = kind >= 0 ? srv_store_list(s, (srv_kind)kind, token, limit, &page, &next, &err)
                 : kind == -1
                     ? srv_store_exec_list(s, arn, status, token, limit, &page, &next, &err)
                     : srv_store_events_list(s, arn, status != NULL, token, limit, &page, &next,
                                             &err);
        ck_assert_msg(rc == SRV_OK, "list: %d %s", rc, err ? err : "");
        ck_assert(json_is_array(page));
        ck_assert_int_le(json_array_size(page), limit);
        /* a page before the last is full */
        if (next)
            ck_assert_int_eq(json_array_size(page), limit);
        json_array_extend(all, page);
        json_decref(page);
        free(token);
        token = next;
        ++*pages;
    } while (token);
    return all;
}

/* ==== Named records ====================================================== */

START_TEST(test_put_get_replace_delete)
{
    srv_store *s = open_store(NULL);
    char *err = NULL;
    json_t *doc = machine_doc("one", 1);
    ck_assert_int_eq(srv_store_put(s, SRV_MACHINE, MACHINE "one", doc, true, NULL, &err), SRV_OK);
    json_t *got = srv_store_get(s, SRV_MACHINE, MACHINE "one");
    ck_assert(json_equal(got, doc));
    json_decref(got);
    /* the same ARN of the other kind is another record */
    ck_assert_ptr_null(srv_store_get(s, SRV_ACTIVITY, MACHINE "one"));

    /* create again: SRV_EXISTS, the stored record handed back, nothing changed */
    json_t *other = machine_doc("one", 2), *existing = NULL;
    ck_assert_int_eq(srv_store_put(s, SRV_MACHINE, MACHINE "one", other, true, &existing, &err),
                     SRV_EXISTS);
    ck_assert(json_equal(existing, doc));
    json_decref(existing);
    ck_assert_int_eq(srv_store_put(s, SRV_MACHINE, MACHINE "one", other, true, NULL, &err),
                     SRV_EXISTS);
    got = srv_store_get(s, SRV_MACHINE, MACHINE "one");
    ck_assert_int_eq(json_integer_value(json_object_get(got, "n")), 1);
    json_decref(got);

    /* replace: the new document, in the old one's place in the list */
    put_record(s, SRV_MACHINE, "two", 2);
    ck_assert_int_eq(srv_store_put(s, SRV_MACHINE, MACHINE "one", other, false, NULL, &err),
                     SRV_OK);
    got = srv_store_get(s, SRV_MACHINE, MACHINE "one");
    ck_assert(json_equal(got, other));
    json_decref(got);
    int pages;
    json_t *all = list_all(s, SRV_MACHINE, NULL, NULL, 10, &pages);
    ck_assert_int_eq(json_array_size(all), 2);
    ck_assert_str_eq(member(all, 0, "name"), "one");
    ck_assert_int_eq(int_member(all, 0, "n"), 2);
    ck_assert_str_eq(member(all, 1, "name"), "two");
    json_decref(all);
    /* replace of a record not there stores it */
    json_t *three = machine_doc("three", 3);
    ck_assert_int_eq(srv_store_put(s, SRV_MACHINE, MACHINE "three", three, false, NULL, &err),
                     SRV_OK);
    got = srv_store_get(s, SRV_MACHINE, MACHINE "three");
    ck_assert(json_equal(got, three));
    json_decref(got);

    /* delete */
    ck_assert_int_eq(srv_store_delete(s, SRV_ACTIVITY, MACHINE "one", &err), SRV_NOT_FOUND);
    ck_assert_int_eq(srv_store_delete(s, SRV_MACHINE, MACHINE "one", &err), SRV_OK);
    ck_assert_ptr_null(srv_store_get(s, SRV_MACHINE, MACHINE "one"));
    ck_assert_int_eq(srv_store_delete(s, SRV_MACHINE, MACHINE "one", &err), SRV_NOT_FOUND);
    /* and made again, it is the newest */
    ck_assert_int_eq(srv_store_put(s, SRV_MACHINE, MACHINE "one", doc, true, NULL, &err), SRV_OK);
    all = list_all(s, SRV_MACHINE, NULL, NULL, 1, &pages);
    ck_assert_int_eq(pages, 3);
    ck_assert_str_eq(member(all, 0, "name"), "two");
    ck_assert_str_eq(member(all, 1, "name"), "three");
    ck_assert_str_eq(member(all, 2, "name"), "one");
    json_decref(all);

    /* what goes in comes back: a NUL in a string, reals, big integers,
     * text beyond ASCII */
    json_t *odd = json_pack("{s:s% s:f s:f s:I s:s s:[n,b,{}]}", "nul", "a\0b", 3, "real", 0.1,
                            "tiny", 5e-324, "big", (json_int_t)9007199254740993LL, "text",
                            "\xc3\xa9\xf0\x9f\x98\x80", "more", 1);
    ck_assert_int_eq(srv_store_put(s, SRV_ACTIVITY, ACTIVITY "odd", odd, true, NULL, &err),
                     SRV_OK);
    got = srv_store_get(s, SRV_ACTIVITY, ACTIVITY "odd");
    ck_assert(json_equal(got, odd));
    json_decref(got);
    json_decref(odd);

    /* bad input: a clear error, no crash */
    json_t *arr = json_array();
    ck_assert_int_eq(srv_store_put(s, SRV_MACHINE, MACHINE "x", arr, true, NULL, &err),
                     SRV_FAILED);
    assert_contains(err, "not a JSON object");
    free(err);
    err = NULL;
    ck_assert_int_eq(srv_store_put(s, SRV_MACHINE, NULL, doc, true, NULL, &err), SRV_FAILED);
    assert_contains(err, "no ARN");
    free(err);
    json_decref(arr);
    json_decref(doc);
    json_decref(other);
    json_decref(three);
    srv_store_close(s);
}
END_TEST

START_TEST(test_list_pages)
{
    srv_store *s = open_store(NULL);
    char name[16];
    for (int i = 0; i < 7; i++) {
        snprintf(name, sizeof name, "m%d", i);
        put_record(s, SRV_MACHINE, name, i);
        if (i < 3) {
            snprintf(name, sizeof name, "a%d", i);
            put_record(s, SRV_ACTIVITY, name, i);
        }
    }
    int pages;
    json_t *all = list_all(s, SRV_MACHINE, NULL, NULL, 3, &pages);
    ck_assert_int_eq(pages, 3);
    ck_assert_int_eq(json_array_size(all), 7);
    for (int i = 0; i < 7; i++)
        ck_assert_int_eq(int_member(all, i, "n"), i);
    json_decref(all);
    /* a page size that divides the count: no empty page at the end */
    all = list_all(s, SRV_MACHINE, NULL, NULL, 7, &pages);
    ck_assert_int_eq(pages, 1);
    ck_assert_int_eq(json_array_size(all), 7);
    json_decref(all);
    all = list_all(s, SRV_ACTIVITY, NULL, NULL, 2, &pages);
    ck_assert_int_eq(pages, 2);
    ck_assert_int_eq(json_array_size(all), 3);
    ck_assert_str_eq(member(all, 2, "name"), "a2");
    json_decref(all);

    /* records deleted and added between pages: the next page goes on
     * after the last one seen */
    json_t *page = NULL;
    char *next = NULL, *err = NULL;
    ck_assert_int_eq(srv_store_list(s, SRV_MACHINE, NULL, 2, &page, &next, &err), SRV_OK);
    ck_assert_str_eq(member(page, 1, "name"), "m1");
    json_decref(page);
    ck_assert_int_eq(srv_store_delete(s, SRV_MACHINE, MACHINE "m1", &err), SRV_OK);
    ck_assert_int_eq(srv_store_delete(s, SRV_MACHINE, MACHINE "m2", &err), SRV_OK);
    put_record(s, SRV_MACHINE, "m7", 7);
    char *token = next;
    ck_assert_int_eq(srv_store_list(s, SRV_MACHINE, token, 2, &page, &next, &err), SRV_OK);
    ck_assert_int_eq(json_array_size(page), 2);
    ck_assert_str_eq(member(page, 0, "name"), "m3");
    ck_assert_str_eq(member(page, 1, "name"), "m4");
    json_decref(page);
    free(token);
    token = next;
    ck_assert_int_eq(srv_store_list(s, SRV_MACHINE, token, 5, &page, &next, &err), SRV_OK);
    ck_assert_int_eq(json_array_size(page), 3);
    ck_assert_str_eq(member(page, 2, "name"), "m7");
    ck_assert_ptr_null(next);
    json_decref(page);
    free(token);

    /* an empty kind: one empty page */
    srv_store *empty = open_store(NULL);
    ck_assert_int_eq(srv_store_list(empty, SRV_ACTIVITY, NULL, 5, &page, &next, &err), SRV_OK);
    ck_assert_int_eq(json_array_size(page), 0);
    ck_assert_ptr_null(next);
    json_decref(page);
    srv_store_close(empty);
    srv_store_close(s);
}
END_TEST

/* Lists machines from token; the outcome, with page and next NULL unless
 * SRV_OK. */
static int list_with(srv_store *s, srv_kind kind, const char *token)
{
    json_t *page = (json_t *)1;
    char *next = (char *)1, *err = NULL;
    int rc = srv_store_list(s, kind, token, 2, &page, &next, &err);
    if (rc != SRV_OK) {
        ck_assert_ptr_null(page);
        ck_assert_ptr_null(next);
    }
    json_decref(page);
    free(next);
    free(err);
    return rc;
}

START_TEST(test_bad_tokens)
{
    srv_store *s = open_store(NULL);
    for (int i = 0; i < 5; i++) {
        char name[8];
        snprintf(name, sizeof name, "m%d", i);
        put_record(s, SRV_MACHINE, name, i);
        put_record(s, SRV_ACTIVITY, name, i);
    }
    json_t *ex = exec_doc("m0", "e0", "RUNNING", 1);
    insert_exec(s, ex);
    json_t *ex2 = exec_doc("m0", "e1", "RUNNING", 2);
    insert_exec(s, ex2);
    json_t *evs = events(1, 5);
    char *err = NULL;
    ck_assert_int_eq(srv_store_events_append(s, EXECUTION "m0:e0", evs, &err), SRV_OK);

    json_t *page;
    char *machines = NULL, *activities = NULL, *execs = NULL, *execs_running = NULL,
         *evs_fwd = NULL, *evs_rev = NULL;
    ck_assert_int_eq(srv_store_list(s, SRV_MACHINE, NULL, 2, &page, &machines, &err), SRV_OK);
    json_decref(page);
    ck_assert_int_eq(srv_store_list(s, SRV_ACTIVITY, NULL, 2, &page, &activities, &err), SRV_OK);
    json_decref(page);
    ck_assert_int_eq(srv_store_exec_list(s, MACHINE "m0", NULL, NULL, 1, &page, &execs, &err),
                     SRV_OK);
    json_decref(page);
    ck_assert_int_eq(
        srv_store_exec_list(s, MACHINE "m0", "RUNNING", NULL, 1, &page, &execs_running, &err),
        SRV_OK);
    json_decref(page);
    ck_assert_int_eq(
        srv_store_events_list(s, EXECUTION "m0:e0", false, NULL, 2, &page, &evs_fwd, &err),
        SRV_OK);
    json_decref(page);
    ck_assert_int_eq(
        srv_store_events_list(s, EXECUTION "m0:e0", true, NULL, 2, &page, &evs_rev, &err),
        SRV_OK);
    json_decref(page);
    ck_assert(machines && activities && execs && execs_running && evs_fwd && evs_rev);

    ck_assert_int_eq(list_with(s, SRV_MACHINE, machines), SRV_OK);
    /* garbage */
    static const char *const garbage[] = {"", "x", "abc", "!!!!", "AAAAAAAAAAAAAAAAAAAAAAAAAA",
                                          "eyJhIjoxfQ==", "MQ", "\xff\xfe", "-1", "1,2"};
    for (size_t i = 0; i < sizeof garbage / sizeof *garbage; i++)
        ck_assert_int_eq(list_with(s, SRV_MACHINE, garbage[i]), SRV_BAD_TOKEN);
    char big[5000];
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ck_assert_int_eq(list_with(s, SRV_MACHINE, big), SRV_BAD_TOKEN);
    /* tampered: each character changed in turn, and the token cut short
     * or lengthened */
    size_t n = strlen(machines);
    for (size_t i = 0; i < n; i++) {
        char *t = aslrtp_strdup(machines);
        t[i] = t[i] == 'A' ? 'B' : 'A';
        ck_assert_int_eq(list_with(s, SRV_MACHINE, t), SRV_BAD_TOKEN);
        free(t);
    }
    char *cut = aslrtp_memdup(machines, n - 1);
    ck_assert_int_eq(list_with(s, SRV_MACHINE, cut), SRV_BAD_TOKEN);
    free(cut);
    char *longer = aslrtp_strdupf("%sA", machines);
    ck_assert_int_eq(list_with(s, SRV_MACHINE, longer), SRV_BAD_TOKEN);
    free(longer);
    /* of another list */
    ck_assert_int_eq(list_with(s, SRV_MACHINE, activities), SRV_BAD_TOKEN);
    ck_assert_int_eq(list_with(s, SRV_ACTIVITY, machines), SRV_BAD_TOKEN);
    ck_assert_int_eq(list_with(s, SRV_MACHINE, evs_fwd), SRV_BAD_TOKEN);
    char *next = NULL;
    page = NULL;
    ck_assert_int_eq(srv_store_exec_list(s, MACHINE "m1", NULL, machines, 1, &page, &next, &err),
                     SRV_BAD_TOKEN);
    ck_assert_int_eq(srv_store_exec_list(s, MACHINE "m1", NULL, execs, 1, &page, &next, &err),
                     SRV_BAD_TOKEN);
    ck_assert_int_eq(
        srv_store_exec_list(s, MACHINE "m0", NULL, execs_running, 1, &page, &next, &err),
        SRV_BAD_TOKEN);
    ck_assert_int_eq(
        srv_store_exec_list(s, MACHINE "m0", "SUCCEEDED", execs_running, 1, &page, &next, &err),
        SRV_BAD_TOKEN);
    ck_assert_int_eq(
        srv_store_events_list(s, EXECUTION "m0:e0", true, evs_fwd, 2, &page, &next, &err),
        SRV_BAD_TOKEN);
    ck_assert_int_eq(
        srv_store_events_list(s, EXECUTION "m0:e0", false, evs_rev, 2, &page, &next, &err),
        SRV_BAD_TOKEN);
    ck_assert_int_eq(
        srv_store_events_list(s, EXECUTION "m0:e1", false, evs_fwd, 2, &page, &next, &err),
        SRV_BAD_TOKEN);
    ck_assert_ptr_null(page);
    ck_assert_ptr_null(next);
    /* of another store */
    srv_store *other = open_store(NULL);
    put_record(other, SRV_MACHINE, "m0", 0);
    ck_assert_int_eq(list_with(other, SRV_MACHINE, machines), SRV_BAD_TOKEN);
    srv_store_close(other);
    /* the tokens themselves still work */
    ck_assert_int_eq(list_with(s, SRV_ACTIVITY, activities), SRV_OK);
    ck_assert_int_eq(
        srv_store_exec_list(s, MACHINE "m0", "RUNNING", execs_running, 1, &page, &next, &err),
        SRV_OK);
    ck_assert_str_eq(member(page, 0, "name"), "e0");
    json_decref(page);

    free(machines);
    free(activities);
    free(execs);
    free(execs_running);
    free(evs_fwd);
    free(evs_rev);
    json_decref(ex);
    json_decref(ex2);
    json_decref(evs);
    srv_store_close(s);
}
END_TEST

/* ==== Executions ========================================================= */

START_TEST(test_exec_insert_update_get)
{
    srv_store *s = open_store(NULL);
    char *err = NULL;
    json_t *doc = exec_doc("m", "e", "RUNNING", 1000);
    insert_exec(s, doc);
    json_t *got = srv_store_exec_get(s, EXECUTION "m:e");
    ck_assert(json_equal(got, doc));
    json_decref(got);
    ck_assert_ptr_null(srv_store_exec_get(s, EXECUTION "m:none"));

    /* the ARN taken: SRV_EXISTS with the stored execution */
    json_t *again = exec_doc("m", "e", "RUNNING", 2000), *existing = NULL;
    ck_assert_int_eq(srv_store_exec_insert(s, again, &existing, &err), SRV_EXISTS);
    ck_assert(json_equal(existing, doc));
    json_decref(existing);

    /* update: the document replaced, the events appended with it */
    json_t *evs = events(1, 3);
    ck_assert_int_eq(srv_store_exec_update(s, doc, evs, &err), SRV_OK);
    json_decref(evs);
    json_object_set_new(doc, "status", json_string("SUCCEEDED"));
    json_object_set_new(doc, "stopDate", json_integer(3000));
    json_object_set_new(doc, "output", json_string("{\"done\":true}"));
    evs = events(4, 5);
    ck_assert_int_eq(srv_store_exec_update(s, doc, evs, &err), SRV_OK);
    json_decref(evs);
    got = srv_store_exec_get(s, EXECUTION "m:e");
    ck_assert(json_equal(got, doc));
    json_decref(got);
    ck_assert_int_eq(srv_store_exec_update(s, doc, NULL, &err), SRV_OK);
    int pages;
    json_t *all = list_all(s, -2, EXECUTION "m:e", NULL, 100, &pages);
    ck_assert_int_eq(json_array_size(all), 5);
    json_decref(all);
    all = list_all(s, -1, MACHINE "m", "SUCCEEDED", 10, &pages);
    ck_assert_int_eq(json_array_size(all), 1);
    json_decref(all);

    /* an execution not there: SRV_NOT_FOUND, and its events not kept */
    json_t *none = exec_doc("m", "none", "SUCCEEDED", 1);
    evs = events(1, 2);
    ck_assert_int_eq(srv_store_exec_update(s, none, evs, &err), SRV_NOT_FOUND);
    ck_assert_ptr_null(srv_store_exec_get(s, EXECUTION "m:none"));
    ck_assert_int_eq(srv_store_events_append(s, EXECUTION "m:none", evs, &err), SRV_NOT_FOUND);
    /* a failed update leaves the document as it was: the events' second id
     * is taken */
    json_t *bad = json_deep_copy(doc);
    json_object_set_new(bad, "status", json_string("FAILED"));
    json_t *dup = events(6, 6);
    json_array_append_new(dup, json_pack("{si ss}", "id", 5, "type", "Dup"));
    ck_assert_int_eq(srv_store_exec_update(s, bad, dup, &err), SRV_FAILED);
    assert_contains(err, EXECUTION "m:e");
    free(err);
    err = NULL;
    got = srv_store_exec_get(s, EXECUTION "m:e");
    ck_assert_str_eq(json_string_value(json_object_get(got, "status")), "SUCCEEDED");
    json_decref(got);
    all = list_all(s, -2, EXECUTION "m:e", NULL, 100, &pages);
    ck_assert_int_eq(json_array_size(all), 5);
    json_decref(all);

    /* documents without the indexed members */
    static const char *const keys[] = {"executionArn", "stateMachineArn", "status", "startDate"};
    for (size_t i = 0; i < 4; i++) {
        json_t *d = exec_doc("m", "k", "RUNNING", 1);
        json_object_del(d, keys[i]);
        ck_assert_int_eq(srv_store_exec_insert(s, d, NULL, &err), SRV_FAILED);
        assert_contains(err, keys[i]);
        free(err);
        err = NULL;
        ck_assert_int_eq(srv_store_exec_update(s, d, NULL, &err), SRV_FAILED);
        free(err);
        err = NULL;
        json_decref(d);
    }
    /* events that are not events */
    json_t *notarray = json_object();
    ck_assert_int_eq(srv_store_events_append(s, EXECUTION "m:e", notarray, &err), SRV_FAILED);
    free(err);
    err = NULL;
    json_t *noid = json_pack("[{ss}]", "type", "X");
    ck_assert_int_eq(srv_store_events_append(s, EXECUTION "m:e", noid, &err), SRV_FAILED);
    assert_contains(err, "id");
    free(err);

    json_decref(notarray);
    json_decref(noid);
    json_decref(none);
    json_decref(bad);
    json_decref(dup);
    json_decref(evs);
    json_decref(again);
    json_decref(doc);
    srv_store_close(s);
}
END_TEST

START_TEST(test_exec_list)
{
    srv_store *s = open_store(NULL);
    /* start dates with ties: e0..e9 at 100, 300, 200, 300, 100, ...; the
     * newest first, and among equal dates the last inserted first */
    static const long long start[] = {100, 300, 200, 300, 100, 500, 200, 300, 400, 100};
    for (int i = 0; i < 10; i++) {
        char name[8];
        snprintf(name, sizeof name, "e%d", i);
        json_t *d = exec_doc("m", name, i % 3 == 0 ? "SUCCEEDED" : "RUNNING", start[i]);
        insert_exec(s, d);
        json_decref(d);
        /* another machine's, and a machine whose name starts alike */
        d = exec_doc("other", name, "RUNNING", start[i]);
        insert_exec(s, d);
        json_decref(d);
        d = exec_doc("mm", name, "RUNNING", start[i]);
        insert_exec(s, d);
        json_decref(d);
    }
    static const char *const newest_first[] = {"e5", "e8", "e7", "e3", "e1",
                                               "e6", "e2", "e9", "e4", "e0"};
    int pages;
    json_t *all = list_all(s, -1, MACHINE "m", NULL, 3, &pages);
    ck_assert_int_eq(pages, 4);
    ck_assert_int_eq(json_array_size(all), 10);
    for (int i = 0; i < 10; i++)
        ck_assert_str_eq(member(all, i, "name"), newest_first[i]);
    json_decref(all);
    /* status filter: SUCCEEDED are e0, e3, e6, e9 */
    static const char *const succeeded[] = {"e3", "e6", "e9", "e0"};
    all = list_all(s, -1, MACHINE "m", "SUCCEEDED", 1, &pages);
    ck_assert_int_eq(pages, 4);
    for (int i = 0; i < 4; i++)
        ck_assert_str_eq(member(all, i, "name"), succeeded[i]);
    json_decref(all);
    all = list_all(s, -1, MACHINE "m", "RUNNING", 4, &pages);
    ck_assert_int_eq(json_array_size(all), 6);
    ck_assert_int_eq(pages, 2);
    json_decref(all);
    all = list_all(s, -1, MACHINE "m", "ABORTED", 4, &pages);
    ck_assert_int_eq(json_array_size(all), 0);
    json_decref(all);
    all = list_all(s, -1, MACHINE "nothing", NULL, 4, &pages);
    ck_assert_int_eq(json_array_size(all), 0);
    json_decref(all);

    /* a status change moves an execution between filtered lists */
    json_t *d = srv_store_exec_get(s, EXECUTION "m:e5");
    json_object_set_new(d, "status", json_string("SUCCEEDED"));
    char *err = NULL;
    ck_assert_int_eq(srv_store_exec_update(s, d, NULL, &err), SRV_OK);
    json_decref(d);
    all = list_all(s, -1, MACHINE "m", "SUCCEEDED", 2, &pages);
    ck_assert_int_eq(json_array_size(all), 5);
    ck_assert_str_eq(member(all, 0, "name"), "e5");
    json_decref(all);

    /* a Map Run's child executions, by the Map Run's ARN */
    for (int i = 0; i < 5; i++) {
        char name[8];
        snprintf(name, sizeof name, "c%d", i);
        json_t *c = exec_doc("m/Map", name, "SUCCEEDED", 1000 + i);
        json_object_set_new(c, "mapRunArn", json_string(MAP_RUN "m/Map:run1"));
        insert_exec(s, c);
        json_decref(c);
    }
    all = list_all(s, -1, MAP_RUN "m/Map:run1", NULL, 2, &pages);
    ck_assert_int_eq(json_array_size(all), 5);
    ck_assert_int_eq(pages, 3);
    ck_assert_str_eq(member(all, 0, "name"), "c4");
    ck_assert_str_eq(member(all, 4, "name"), "c0");
    json_decref(all);
    all = list_all(s, -1, MAP_RUN "m/Map:run1", "RUNNING", 2, &pages);
    ck_assert_int_eq(json_array_size(all), 0);
    json_decref(all);
    /* the machine's own list holds none of them */
    all = list_all(s, -1, MACHINE "m", NULL, 100, &pages);
    ck_assert_int_eq(json_array_size(all), 10);
    json_decref(all);

    /* deleting the machine's executions takes its Map Runs' and their
     * events, and leaves "mm" and "other" alone */
    json_t *evs = events(1, 4);
    ck_assert_int_eq(srv_store_events_append(s, EXECUTION "m:e1", evs, &err), SRV_OK);
    ck_assert_int_eq(srv_store_events_append(s, EXECUTION "mm:e1", evs, &err), SRV_OK);
    json_decref(evs);
    ck_assert_int_eq(srv_store_exec_delete_of(s, MACHINE "m", &err), SRV_OK);
    all = list_all(s, -1, MACHINE "m", NULL, 100, &pages);
    ck_assert_int_eq(json_array_size(all), 0);
    json_decref(all);
    all = list_all(s, -1, MAP_RUN "m/Map:run1", NULL, 100, &pages);
    ck_assert_int_eq(json_array_size(all), 0);
    json_decref(all);
    ck_assert_ptr_null(srv_store_exec_get(s, EXECUTION "m:e1"));
    json_t *page = NULL;
    char *next = NULL;
    ck_assert_int_eq(
        srv_store_events_list(s, EXECUTION "m:e1", false, NULL, 10, &page, &next, &err),
        SRV_NOT_FOUND);
    all = list_all(s, -1, MACHINE "mm", NULL, 100, &pages);
    ck_assert_int_eq(json_array_size(all), 10);
    json_decref(all);
    all = list_all(s, -1, MACHINE "other", NULL, 100, &pages);
    ck_assert_int_eq(json_array_size(all), 10);
    json_decref(all);
    all = list_all(s, -2, EXECUTION "mm:e1", NULL, 100, &pages);
    ck_assert_int_eq(json_array_size(all), 4);
    json_decref(all);
    /* an ARN inserted again after the delete is a new execution */
    d = exec_doc("m", "e1", "RUNNING", 1);
    insert_exec(s, d);
    json_decref(d);
    all = list_all(s, -2, EXECUTION "m:e1", NULL, 100, &pages);
    ck_assert_int_eq(json_array_size(all), 0);
    json_decref(all);
    srv_store_close(s);
}
END_TEST

/* ==== Events ============================================================= */

START_TEST(test_events)
{
    srv_store *s = open_store(NULL);
    json_t *d = exec_doc("m", "e", "RUNNING", 1);
    insert_exec(s, d);
    json_decref(d);
    char *err = NULL;
    int pages;
    json_t *all = list_all(s, -2, EXECUTION "m:e", NULL, 10, &pages);
    ck_assert_int_eq(json_array_size(all), 0);
    ck_assert_int_eq(pages, 1);
    json_decref(all);
    /* 25 events in three batches, one of them out of order */
    json_t *a = events(1, 10), *b = events(11, 20), *c = events(21, 25);
    ck_assert_int_eq(srv_store_events_append(s, EXECUTION "m:e", a, &err), SRV_OK);
    ck_assert_int_eq(srv_store_events_append(s, EXECUTION "m:e", c, &err), SRV_OK);
    ck_assert_int_eq(srv_store_events_append(s, EXECUTION "m:e", b, &err), SRV_OK);
    /* an empty batch, and none */
    json_t *empty = json_array();
    ck_assert_int_eq(srv_store_events_append(s, EXECUTION "m:e", empty, &err), SRV_OK);
    ck_assert_int_eq(srv_store_events_append(s, EXECUTION "m:e", NULL, &err), SRV_OK);
    json_decref(empty);

    all = list_all(s, -2, EXECUTION "m:e", NULL, 10, &pages);
    ck_assert_int_eq(pages, 3);
    ck_assert_int_eq(json_array_size(all), 25);
    for (int i = 0; i < 25; i++) {
        ck_assert_int_eq(int_member(all, i, "id"), i + 1);
        ck_assert_int_eq(int_member(all, i, "previousEventId"), i);
        ck_assert_int_eq(int_member(all, i, "timestamp"), 1001 + i);
        ck_assert_str_eq(member(all, i, "type"), "PassStateEntered");
    }
    ck_assert(json_equal(json_array_get(all, 12), json_array_get(b, 2)));
    json_decref(all);
    all = list_all(s, -2, EXECUTION "m:e", "reverse", 10, &pages);
    ck_assert_int_eq(pages, 3);
    ck_assert_int_eq(json_array_size(all), 25);
    for (int i = 0; i < 25; i++)
        ck_assert_int_eq(int_member(all, i, "id"), 25 - i);
    json_decref(all);
    all = list_all(s, -2, EXECUTION "m:e", "reverse", 25, &pages);
    ck_assert_int_eq(pages, 1);
    json_decref(all);
    all = list_all(s, -2, EXECUTION "m:e", NULL, 1000, &pages);
    ck_assert_int_eq(pages, 1);
    ck_assert_int_eq(json_array_size(all), 25);
    json_decref(all);

    /* an id taken: the whole batch refused */
    json_t *dup = events(26, 28);
    json_array_append_new(dup, json_pack("{si}", "id", 3));
    ck_assert_int_eq(srv_store_events_append(s, EXECUTION "m:e", dup, &err), SRV_FAILED);
    assert_contains(err, "store: appending events to " EXECUTION "m:e");
    assert_contains(err, "event 3 of " EXECUTION "m:e");
    assert_contains(err, "UNIQUE constraint failed");
    free(err);
    all = list_all(s, -2, EXECUTION "m:e", NULL, 100, &pages);
    ck_assert_int_eq(json_array_size(all), 25);
    json_decref(all);

    /* an execution not there */
    json_t *page = NULL;
    char *next = NULL;
    ck_assert_int_eq(
        srv_store_events_list(s, EXECUTION "m:none", false, NULL, 10, &page, &next, &err),
        SRV_NOT_FOUND);
    ck_assert_ptr_null(page);
    ck_assert_int_eq(srv_store_events_append(s, EXECUTION "m:none", a, &err), SRV_NOT_FOUND);
    json_decref(a);
    json_decref(b);
    json_decref(c);
    json_decref(dup);
    srv_store_close(s);
}
END_TEST

/* ==== Recovery =========================================================== */

START_TEST(test_recover)
{
    srv_store *s = open_store(NULL);
    char *err = NULL;
    json_t *d = exec_doc("m", "with-events", "RUNNING", 1);
    insert_exec(s, d);
    json_decref(d);
    json_t *evs = events(1, 7);
    ck_assert_int_eq(srv_store_events_append(s, EXECUTION "m:with-events", evs, &err), SRV_OK);
    json_decref(evs);
    d = exec_doc("m", "bare", "RUNNING", 2);
    insert_exec(s, d);
    json_decref(d);
    d = exec_doc("m", "done", "SUCCEEDED", 3);
    insert_exec(s, d);
    json_decref(d);

    const char *cause = "The server stopped while the execution was running.";
    ck_assert_int_eq(srv_store_recover(s, 77777, "States.Runtime", cause, &err), 2);
    d = srv_store_exec_get(s, EXECUTION "m:with-events");
    ck_assert_str_eq(json_string_value(json_object_get(d, "status")), "FAILED");
    ck_assert_int_eq(json_integer_value(json_object_get(d, "stopDate")), 77777);
    ck_assert_str_eq(json_string_value(json_object_get(d, "error")), "States.Runtime");
    ck_assert_str_eq(json_string_value(json_object_get(d, "cause")), cause);
    ck_assert_str_eq(json_string_value(json_object_get(d, "name")), "with-events");
    json_decref(d);
    int pages;
    json_t *all = list_all(s, -2, EXECUTION "m:with-events", NULL, 100, &pages);
    ck_assert_int_eq(json_array_size(all), 8);
    json_t *want = json_pack("{si si si ss s{ss ss}}", "id", 8, "previousEventId", 7,
                             "timestamp", 77777, "type", "ExecutionFailed",
                             "executionFailedEventDetails", "error", "States.Runtime", "cause",
                             cause);
    ck_assert(json_equal(json_array_get(all, 7), want));
    json_decref(want);
    json_decref(all);
    all = list_all(s, -2, EXECUTION "m:bare", NULL, 100, &pages);
    ck_assert_int_eq(json_array_size(all), 1);
    ck_assert_int_eq(int_member(all, 0, "id"), 1);
    ck_assert_int_eq(int_member(all, 0, "previousEventId"), 0);
    ck_assert_str_eq(member(all, 0, "type"), "ExecutionFailed");
    json_decref(all);
    d = srv_store_exec_get(s, EXECUTION "m:done");
    ck_assert_str_eq(json_string_value(json_object_get(d, "status")), "SUCCEEDED");
    ck_assert_ptr_null(json_object_get(d, "stopDate"));
    json_decref(d);
    all = list_all(s, -1, MACHINE "m", "FAILED", 100, &pages);
    ck_assert_int_eq(json_array_size(all), 2);
    json_decref(all);
    all = list_all(s, -1, MACHINE "m", "RUNNING", 100, &pages);
    ck_assert_int_eq(json_array_size(all), 0);
    json_decref(all);
    /* nothing left to recover */
    ck_assert_int_eq(srv_store_recover(s, 88888, "States.Runtime", cause, &err), 0);
    srv_store_close(s);
}
END_TEST

/* ==== On disk ============================================================ */

START_TEST(test_reopen)
{
    char *dir = path_in("reopen/data/store");
    srv_store *s = open_store(dir);
    struct stat sb;
    ck_assert_int_eq(stat(dir, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0700);
    put_record(s, SRV_MACHINE, "m0", 0);
    put_record(s, SRV_MACHINE, "m1", 1);
    put_record(s, SRV_MACHINE, "m2", 2);
    put_record(s, SRV_ACTIVITY, "a0", 0);
    json_t *d = exec_doc("m0", "e0", "RUNNING", 5);
    insert_exec(s, d);
    json_t *evs = events(1, 4);
    char *err = NULL;
    ck_assert_int_eq(srv_store_exec_update(s, d, evs, &err), SRV_OK);
    json_t *page = NULL;
    char *token = NULL;
    ck_assert_int_eq(srv_store_list(s, SRV_MACHINE, NULL, 1, &page, &token, &err), SRV_OK);
    json_decref(page);
    srv_store_close(s);

    s = open_store(dir);
    json_t *got = srv_store_exec_get(s, EXECUTION "m0:e0");
    ck_assert(json_equal(got, d));
    json_decref(got);
    got = srv_store_get(s, SRV_ACTIVITY, ACTIVITY "a0");
    ck_assert_ptr_nonnull(got);
    json_decref(got);
    int pages;
    json_t *all = list_all(s, -2, EXECUTION "m0:e0", NULL, 3, &pages);
    ck_assert_int_eq(json_array_size(all), 4);
    json_decref(all);
    /* a token given out before the restart still pages on */
    char *next = NULL;
    ck_assert_int_eq(srv_store_list(s, SRV_MACHINE, token, 5, &page, &next, &err), SRV_OK);
    ck_assert_int_eq(json_array_size(page), 2);
    ck_assert_str_eq(member(page, 0, "name"), "m1");
    ck_assert_ptr_null(next);
    json_decref(page);
    /* and a new store in another directory does not take it */
    char *dir2 = path_in("reopen/other");
    srv_store *s2 = open_store(dir2);
    ck_assert_int_eq(list_with(s2, SRV_MACHINE, token), SRV_BAD_TOKEN);
    srv_store_close(s2);
    free(dir2);
    ck_assert_int_eq(srv_store_recover(s, 9, "States.Runtime", "restarted", &err), 1);
    srv_store_close(s);

    s = open_store(dir);
    got = srv_store_exec_get(s, EXECUTION "m0:e0");
    ck_assert_str_eq(json_string_value(json_object_get(got, "status")), "FAILED");
    json_decref(got);
    srv_store_close(s);
    free(token);
    json_decref(d);
    json_decref(evs);
    free(dir);
}
END_TEST

/* Runs sql on the database file of dir (a test's own connection). */
static void sql_on(const char *dir, const char *sql)
{
    char *path = aslrtp_strdupf("%s/aslc.db", dir);
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK, "%s: %s", sql,
                  msg ? msg : "");
    sqlite3_close(db);
    free(path);
}

START_TEST(test_open_errors)
{
    char *err = NULL;
    /* a newer schema than this store knows */
    char *dir = path_in("newer");
    srv_store *s = open_store(dir);
    put_record(s, SRV_MACHINE, "m", 0);
    srv_store_close(s);
    sql_on(dir, "PRAGMA user_version = 99");
    ck_assert_ptr_null(srv_store_open(dir, &err));
    assert_contains(err, "schema version 99, newer than this aslc knows (1)");
    assert_contains(err, "newer/aslc.db");
    free(err);
    err = NULL;
    /* the version this store wrote opens again */
    sql_on(dir, "PRAGMA user_version = 1");
    s = open_store(dir);
    json_t *got = srv_store_get(s, SRV_MACHINE, MACHINE "m");
    ck_assert_ptr_nonnull(got);
    json_decref(got);
    srv_store_close(s);
    free(dir);

    /* another program's database */
    dir = path_in("foreign");
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    sql_on(dir, "CREATE TABLE t (x)");
    ck_assert_ptr_null(srv_store_open(dir, &err));
    assert_contains(err, "is not a store of aslc");
    free(err);
    err = NULL;
    free(dir);

    /* a file that is no database */
    free(write_file("garbage/aslc.db", "this is not a database, not at all, no. 0123456789\n"
                                       "more text to fill a page header........................\n",
                    0600));
    dir = path_in("garbage");
    ck_assert_ptr_null(srv_store_open(dir, &err));
    assert_contains(err, "garbage/aslc.db");
    free(err);
    err = NULL;
    free(dir);

    /* a data directory that is a file */
    free(write_file("plain", "x", 0600));
    dir = path_in("plain");
    ck_assert_ptr_null(srv_store_open(dir, &err));
    assert_contains(err, "cannot make the data directory");
    free(err);
    err = NULL;
    free(dir);
    dir = path_in("plain/below");
    ck_assert_ptr_null(srv_store_open(dir, &err));
    assert_contains(err, "plain/below");
    free(err);
    free(dir);
}
END_TEST

/* ---- Durability: a writer killed with SIGKILL ---------------------------- */

/* Writes returned so far, in the child. */
static atomic_int written;
static srv_store *child_store;
static int report_fd;

/* The i-th write of the child: a state machine (i % 3 == 0), an execution
 * started (1) or that execution finished with three events (2). */
static int child_write(int i, char **err)
{
    char name[16];
    int rc;
    if (i % 3 == 0) {
        snprintf(name, sizeof name, "m%d", i);
        char *arn = aslrtp_strdupf(MACHINE "%s", name);
        json_t *doc = machine_doc(name, i);
        rc = srv_store_put(child_store, SRV_MACHINE, arn, doc, true, NULL, err);
        json_decref(doc);
        free(arn);
    } else {
        snprintf(name, sizeof name, "e%d", i - i % 3 + 1);
        json_t *doc = exec_doc("m", name, i % 3 == 1 ? "RUNNING" : "SUCCEEDED", i);
        if (i % 3 == 1) {
            rc = srv_store_exec_insert(child_store, doc, NULL, err);
        } else {
            json_t *evs = events(1, 3);
            rc = srv_store_exec_update(child_store, doc, evs, err);
            json_decref(evs);
        }
        json_decref(doc);
    }
    return rc;
}

static void *child_writer(void *arg)
{
    (void)arg;
    for (int i = 0;; i++) {
        char *err = NULL;
        if (child_write(i, &err) != SRV_OK) {
            fprintf(stderr, "child write %d: %s\n", i, err ? err : "");
            _exit(3);
        }
        if (write(report_fd, &i, sizeof i) != sizeof i)
            _exit(4);
        atomic_store(&written, i + 1);
    }
    return NULL;
}

START_TEST(test_sigkill)
{
    char *dir = path_in("killed");
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        report_fd = fds[1];
        char *err = NULL;
        child_store = srv_store_open(dir, &err);
        if (!child_store)
            _exit(2);
        pthread_t t;
        if (pthread_create(&t, NULL, child_writer, NULL) != 0)
            _exit(5);
        /* killed while the writer is in the middle of its next write */
        while (atomic_load(&written) < 150) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
        raise(SIGKILL);
        _exit(6);
    }
    close(fds[1]);
    int reported = 0, i;
    ssize_t n;
    while ((n = read(fds[0], &i, sizeof i)) == sizeof i) {
        ck_assert_int_eq(i, reported);
        reported++;
    }
    close(fds[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                  "the writer ended otherwise (status %d)", status);
    ck_assert_int_ge(reported, 150);

    /* every write that returned is there */
    srv_store *s = open_store(dir);
    int running = 0;
    for (i = 0; i < reported; i++) {
        char arn[128];
        if (i % 3 == 0) {
            snprintf(arn, sizeof arn, MACHINE "m%d", i);
            json_t *got = srv_store_get(s, SRV_MACHINE, arn);
            ck_assert_msg(got != NULL, "write %d lost", i);
            ck_assert_int_eq(json_integer_value(json_object_get(got, "n")), i);
            json_decref(got);
            continue;
        }
        snprintf(arn, sizeof arn, EXECUTION "m:e%d", i - i % 3 + 1);
        json_t *got = srv_store_exec_get(s, arn);
        ck_assert_msg(got != NULL, "write %d lost", i);
        const char *st = json_string_value(json_object_get(got, "status"));
        if (i % 3 == 2) {
            ck_assert_msg(strcmp(st, "SUCCEEDED") == 0, "write %d lost", i);
            int pages;
            json_t *all = list_all(s, -2, arn, NULL, 10, &pages);
            ck_assert_int_eq(json_array_size(all), 3);
            json_decref(all);
        } else if (strcmp(st, "RUNNING") == 0) {
            running++;
        }
        json_decref(got);
    }
    /* the write in flight may have landed or not; nothing beyond it did */
    char arn[128];
    snprintf(arn, sizeof arn, MACHINE "m%d", reported - reported % 3 + 3);
    ck_assert_ptr_null(srv_store_get(s, SRV_MACHINE, arn));
    char *err = NULL;
    int recovered = srv_store_recover(s, 1, "States.Runtime", "killed", &err);
    ck_assert_msg(recovered >= running && recovered <= running + 1, "recovered %d of %d",
                  recovered, running);
    srv_store_close(s);

    /* and the file is sound, in write-ahead log mode */
    char *path = aslrtp_strdupf("%s/aslc.db", dir);
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    static const char *const checks[][2] = {{"PRAGMA integrity_check", "ok"},
                                            {"PRAGMA journal_mode", "wal"}};
    for (size_t c = 0; c < 2; c++) {
        sqlite3_stmt *st = NULL;
        ck_assert_int_eq(sqlite3_prepare_v2(db, checks[c][0], -1, &st, NULL), SQLITE_OK);
        ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
        ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), checks[c][1]);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    free(path);
    free(dir);
}
END_TEST

/* ---- Threads ------------------------------------------------------------- */

#define THREADS 8
#define PER_THREAD 20

static srv_store *shared_store;

/* Thread k: PER_THREAD machines, and as many executions started, given
 * events and finished, listing as it goes. */
static void *thread_writer(void *arg)
{
    long k = (long)arg;
    char *failure = NULL;
    for (int j = 0; j < PER_THREAD && !failure; j++) {
        char name[32];
        snprintf(name, sizeof name, "t%ld-%d", k, j);
        char *arn = aslrtp_strdupf(MACHINE "%s", name);
        json_t *doc = machine_doc(name, (int)k * 1000 + j);
        char *err = NULL;
        if (srv_store_put(shared_store, SRV_MACHINE, arn, doc, true, NULL, &err) != SRV_OK)
            failure = err ? err : aslrtp_strdup("put");
        json_decref(doc);
        free(arn);
        if (failure)
            break;
        doc = exec_doc("shared", name, "RUNNING", j);
        json_t *evs = events(1, 2);
        char *earn = aslrtp_strdupf(EXECUTION "shared:%s", name);
        if (srv_store_exec_insert(shared_store, doc, NULL, &err) != SRV_OK
            || srv_store_events_append(shared_store, earn, evs, &err) != SRV_OK)
            failure = err ? err : aslrtp_strdup("insert");
        json_decref(evs);
        evs = events(3, 3);
        json_object_set_new(doc, "status", json_string("SUCCEEDED"));
        if (!failure && srv_store_exec_update(shared_store, doc, evs, &err) != SRV_OK)
            failure = err ? err : aslrtp_strdup("update");
        json_decref(evs);
        json_decref(doc);
        free(earn);
        json_t *page = NULL;
        char *next = NULL;
        if (!failure
            && srv_store_exec_list(shared_store, MACHINE "shared", "RUNNING", NULL, 5, &page,
                                   &next, &err) != SRV_OK)
            failure = err ? err : aslrtp_strdup("list");
        json_decref(page);
        free(next);
    }
    return failure;
}

START_TEST(test_threads)
{
    char *dir = path_in("threads");
    shared_store = open_store(dir);
    pthread_t t[THREADS];
    for (long k = 0; k < THREADS; k++)
        ck_assert_int_eq(pthread_create(&t[k], NULL, thread_writer, (void *)k), 0);
    for (int k = 0; k < THREADS; k++) {
        void *failure = NULL;
        pthread_join(t[k], &failure);
        ck_assert_msg(failure == NULL, "thread %d: %s", k, (char *)failure);
    }
    srv_store_close(shared_store);

    srv_store *s = open_store(dir);
    int pages;
    json_t *all = list_all(s, SRV_MACHINE, NULL, NULL, 7, &pages);
    ck_assert_int_eq(json_array_size(all), THREADS * PER_THREAD);
    /* each thread's records in the order it made them */
    int last[THREADS];
    for (int k = 0; k < THREADS; k++)
        last[k] = -1;
    for (size_t i = 0; i < json_array_size(all); i++) {
        int n = (int)int_member(all, i, "n");
        ck_assert_int_eq(n % 1000, last[n / 1000] + 1);
        last[n / 1000] = n % 1000;
    }
    json_decref(all);
    all = list_all(s, -1, MACHINE "shared", "SUCCEEDED", 9, &pages);
    ck_assert_int_eq(json_array_size(all), THREADS * PER_THREAD);
    for (size_t i = 0; i < json_array_size(all); i++) {
        json_t *evs = list_all(s, -2, member(all, i, "executionArn"), NULL, 2, &pages);
        ck_assert_int_eq(json_array_size(evs), 3);
        json_decref(evs);
    }
    json_decref(all);
    srv_store_close(s);
    free(dir);
}
END_TEST

int main(void)
{
    if (scratch_create("check_store") != 0)
        return 1;
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("store");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_put_get_replace_delete);
    tcase_add_test(tc, test_list_pages);
    tcase_add_test(tc, test_bad_tokens);
    tcase_add_test(tc, test_exec_insert_update_get);
    tcase_add_test(tc, test_exec_list);
    tcase_add_test(tc, test_events);
    tcase_add_test(tc, test_recover);
    tcase_add_test(tc, test_reopen);
    tcase_add_test(tc, test_open_errors);
    tcase_add_test(tc, test_sigkill);
    tcase_add_test(tc, test_threads);
    suite_add_tcase(s, tc);
    int failed = run_suite(s, CK_ENV);
    scratch_remove();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
