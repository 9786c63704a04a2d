/*
 * http.c - the HTTP side of aslc serve: libmicrohttpd receives requests,
 * this file turns each into an action of AWS's JSON 1.0 protocol and its
 * answer into a response (doc/behaviour.md §29).
 *
 *   POST /   X-Amz-Target: AWSStepFunctions.<Action>
 *            Content-Type: application/x-amz-json-1.0
 *            body: the request's members as a JSON object
 *   200      the response's members;  4xx/5xx {"__type": CODE, "message": ...}
 *
 * Every response carries x-amzn-RequestId.  Requests are signed with SigV4
 * by the SDKs and the AWS CLI: any signature is accepted unless the server
 * was given keys (--access-key-id, --secret-access-key), then a request
 * must be signed with them.  The region of the request (its signature's
 * credential scope) names the region of the ARNs it creates.
 *
 * A thread per connection: StartSyncExecution waits for its execution and
 * GetActivityTask polls for up to a minute, neither holding up the rest.
 * A body is read up to a limit, beyond which the request is refused
 * without being read further.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "aslrt_private.h"
#include "server.h"

/* The largest body read: a definition may be 1 MiB, escaped in JSON. */
#define MAX_BODY (8u << 20)
#define TARGET_PREFIX "AWSStepFunctions."

struct srv_http {
    srv *s;
    struct MHD_Daemon *d;
};

/* One request being read. */
typedef struct request {
    char *body;
    size_t len;
    bool too_large;
} request;

/* ---- Responses ----------------------------------------------------------------- */

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, const json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(13));
    if (!text)
        text = aslrtp_strdup("{}");
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    char id[ASLRTP_UUID_SIZE];
    aslrtp_uuid_v4(id);
    MHD_add_response_header(r, "Content-Type", "application/x-amz-json-1.0");
    MHD_add_response_header(r, "x-amzn-RequestId", id);
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result send_fault(struct MHD_Connection *c, const srv_fault *f)
{
    json_t *b = json_pack("{s:s,s:s}", "__type", f->type, "message",
                          f->message ? f->message : "");
    enum MHD_Result ok = send_json(c, f->status ? (unsigned)f->status : 400, b);
    json_decref(b);
    return ok;
}

/* ---- SigV4 ----------------------------------------------------------------------- */

/* The parts of an Authorization header: AWS4-HMAC-SHA256 Credential=AKID/
 * DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=HEX. */
typedef struct auth {
    char key_id[129];
    char scope[256];     /* DATE/REGION/SERVICE/aws4_request */
    char date[16];
    char region[64];
    char signed_headers[1024];
    char signature[65];
} auth;

/* The value of name= in the header (up to a comma), copied into out. */
static bool auth_field(const char *h, const char *name, char *out, size_t size)
{
    const char *p = strstr(h, name);
    if (!p)
        return false;
    p += strlen(name);
    size_t n = strcspn(p, ", ");
    if (n == 0 || n >= size)
        return false;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

static bool auth_parse(const char *h, auth *a)
{
    memset(a, 0, sizeof *a);
    if (!h || strncmp(h, "AWS4-HMAC-SHA256 ", 17) != 0)
        return false;
    char cred[400];
    if (!auth_field(h, "Credential=", cred, sizeof cred) ||
        !auth_field(h, "SignedHeaders=", a->signed_headers, sizeof a->signed_headers) ||
        !auth_field(h, "Signature=", a->signature, sizeof a->signature))
        return false;
    char *slash = strchr(cred, '/');
    if (!slash || (size_t)(slash - cred) >= sizeof a->key_id)
        return false;
    memcpy(a->key_id, cred, (size_t)(slash - cred));
    snprintf(a->scope, sizeof a->scope, "%s", slash + 1);
    /* DATE/REGION/SERVICE/aws4_request */
    const char *parts[4];
    size_t lens[4];
    const char *p = a->scope;
    for (int i = 0; i < 4; i++) {
        parts[i] = p;
        lens[i] = strcspn(p, "/");
        p += lens[i];
        if (i < 3 && *p++ != '/')
            return false;
    }
    if (*p || lens[0] != 8 || lens[1] == 0 || lens[1] >= sizeof a->region ||
        lens[3] != 12 || strncmp(parts[3], "aws4_request", 12) != 0)
        return false;
    memcpy(a->date, parts[0], 8);
    memcpy(a->region, parts[1], lens[1]);
    return true;
}

static void hmac(const unsigned char *key, size_t klen, const char *msg, unsigned char out[32])
{
    unsigned int n = 32;
    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &n);
}

/* A header value with its outer spaces cut and inner runs made one space,
 * as SigV4's canonical headers want it. */
static void put_trimmed(FILE *f, const char *v)
{
    while (*v == ' ' || *v == '\t')
        v++;
    bool space = false;
    for (; *v; v++) {
        if (*v == ' ' || *v == '\t') {
            space = true;
            continue;
        }
        if (space)
            fputc(' ', f);
        space = false;
        fputc(*v, f);
    }
}

/* Whether the request carries a's signature by secret (SigV4 over
 * method POST, the path, no query, the signed headers and the body). */
static bool signature_ok(struct MHD_Connection *c, const char *url, const auth *a,
                         const char *secret, const char *body, size_t len)
{
    const char *amz_date = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Amz-Date");
    if (!amz_date)
        return false;
    unsigned char digest[32];
    char body_hex[65], creq_hex[65];
    SHA256((const unsigned char *)body, len, digest);
    aslrtp_hex(digest, 32, body_hex);
    char *creq = NULL;
    size_t clen = 0;
    FILE *f = open_memstream(&creq, &clen);
    if (!f)
        return false;
    fprintf(f, "POST\n%s\n\n", url && *url ? url : "/");
    /* The signed headers, in the order given (already sorted, lower case). */
    char names[sizeof a->signed_headers];
    snprintf(names, sizeof names, "%s", a->signed_headers);
    for (char *save = NULL, *h = strtok_r(names, ";", &save); h; h = strtok_r(NULL, ";", &save)) {
        const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, h);
        fprintf(f, "%s:", h);
        put_trimmed(f, v ? v : "");
        fputc('\n', f);
    }
    fprintf(f, "\n%s\n%s", a->signed_headers, body_hex);
    fclose(f);
    SHA256((const unsigned char *)creq, clen, digest);
    free(creq);
    aslrtp_hex(digest, 32, creq_hex);
    char *sts = aslrtp_strdupf("AWS4-HMAC-SHA256\n%s\n%s\n%s", amz_date, a->scope, creq_hex);
    char *k0 = aslrtp_strdupf("AWS4%s", secret);
    /* DATE, REGION, SERVICE, "aws4_request" */
    char scope[sizeof a->scope];
    snprintf(scope, sizeof scope, "%s", a->scope);
    unsigned char k[32];
    char *save = NULL;
    hmac((unsigned char *)k0, strlen(k0), strtok_r(scope, "/", &save), k);
    for (char *part; (part = strtok_r(NULL, "/", &save));)
        hmac(k, 32, part, k);
    unsigned char sig[32];
    hmac(k, 32, sts, sig);
    char sig_hex[65];
    aslrtp_hex(sig, 32, sig_hex);
    OPENSSL_cleanse(k0, strlen(k0));
    free(k0);
    free(sts);
    return strlen(a->signature) == 64 && CRYPTO_memcmp(sig_hex, a->signature, 64) == 0;
}

/* A signature is good for 5 minutes either side of its X-Amz-Date
 * (doc/behaviour.md §29). */
#define SIGNATURE_SKEW 300

/* YYYYMMDDTHHMMSSZ written for t. */
static void amz_date(time_t t, char out[17])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* When the signature of a request dated amz (X-Amz-Date) is out of its
 * time, AWS's InvalidSignatureException says which way; false otherwise. */
static bool signature_expired(const char *amz, srv_fault *f)
{
    struct tm tm = {0};
    const char *end = amz ? strptime(amz, "%Y%m%dT%H%M%SZ", &tm) : NULL;
    if (!end || *end)
        return false;   /* not a date: the signature cannot match */
    time_t when = timegm(&tm), now = time(NULL);
    char now_s[17], bound[17];
    amz_date(now, now_s);
    if (when < now - SIGNATURE_SKEW) {
        amz_date(now - SIGNATURE_SKEW, bound);
        srv_fault_set(f, 400, "InvalidSignatureException",
                      "Signature expired: %s is now earlier than %s (%s - 5 min.)", amz, bound,
                      now_s);
        return true;
    }
    if (when > now + SIGNATURE_SKEW) {
        amz_date(now + SIGNATURE_SKEW, bound);
        srv_fault_set(f, 400, "InvalidSignatureException",
                      "Signature not yet current: %s is still later than %s (%s + 5 min.)", amz,
                      bound, now_s);
        return true;
    }
    return false;
}

/* ---- Requests -------------------------------------------------------------------- */

static enum MHD_Result answer(struct MHD_Connection *c, srv *s, const char *url, request *rq)
{
    srv_fault f = {0, NULL, NULL};
    const srv_options *o = srv_opts(s);
    enum MHD_Result ok;
    if (rq->too_large) {
        srv_fault_set(&f, 413, "RequestEntityTooLargeException",
                      "Request body must be at most %u bytes", MAX_BODY);
        goto fault;
    }
    const char *target = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Amz-Target");
    if (!target || strncmp(target, TARGET_PREFIX, strlen(TARGET_PREFIX)) != 0) {
        srv_fault_set(&f, 400, "UnknownOperationException",
                      "Operation %s is unknown: the X-Amz-Target header names "
                      "AWSStepFunctions.<Action>",
                      target ? target : "(none)");
        goto fault;
    }
    const char *action = target + strlen(TARGET_PREFIX);
    auth a;
    bool signed_ = auth_parse(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"),
                              &a);
    if (o->access_key) {
        if (!signed_) {
            srv_fault_set(&f, 400, "MissingAuthenticationTokenException",
                          "Missing Authentication Token");
            goto fault;
        }
        if (strcmp(a.key_id, o->access_key) != 0) {
            srv_fault_set(&f, 400, "UnrecognizedClientException",
                          "The security token included in the request is invalid.");
            goto fault;
        }
        if (!signature_ok(c, url, &a, o->secret_key ? o->secret_key : "", rq->body ? rq->body : "",
                          rq->len)) {
            srv_fault_set(&f, 400, "InvalidSignatureException",
                          "The request signature we calculated does not match the signature you "
                          "provided. Check your AWS Secret Access Key and signing method. Consult "
                          "the service documentation for details.");
            goto fault;
        }
        if (signature_expired(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Amz-Date"),
                              &f))
            goto fault;
    }
    json_t *req;
    if (rq->len == 0) {
        req = json_object();
    } else {
        json_error_t je;
        req = aslrtp_json_loads(rq->body, rq->len, &je);
        if (!req || !json_is_object(req)) {
            json_decref(req);
            srv_fault_set(&f, 400, "SerializationException",
                          req ? "Start of structure or map found where not expected."
                              : "The request body is not JSON: %s",
                          je.text);
            goto fault;
        }
    }
    json_t *res = srv_api_call(s, action, req, signed_ ? a.region : NULL, &f);
    json_decref(req);
    if (!res)
        goto fault;
    ok = send_json(c, 200, res);
    json_decref(res);
    return ok;
fault:
    ok = send_fault(c, &f);
    srv_fault_clear(&f);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)version;
    srv_http *h = cls;
    request *rq = *con_cls;
    if (!rq) {
        rq = aslrtp_calloc(1, sizeof *rq);
        *con_cls = rq;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (!rq->too_large && rq->len + *upload_size <= MAX_BODY) {
            rq->body = aslrtp_realloc(rq->body, rq->len + *upload_size + 1);
            memcpy(rq->body + rq->len, upload_data, *upload_size);
            rq->len += *upload_size;
            rq->body[rq->len] = '\0';
        } else {
            rq->too_large = true;
            free(rq->body);
            rq->body = NULL;
            rq->len = 0;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "POST") != 0) {
        srv_fault f = {0, NULL, NULL};
        srv_fault_set(&f, 404, "UnknownOperationException",
                      "aslc serve answers the Step Functions API: POST / with X-Amz-Target");
        enum MHD_Result ok = send_fault(c, &f);
        srv_fault_clear(&f);
        return ok;
    }
    return answer(c, h->s, url, rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    request *rq = *con_cls;
    if (rq) {
        free(rq->body);
        free(rq);
        *con_cls = NULL;
    }
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    fputs("aslc serve: ", stderr);
    vfprintf(stderr, fmt, ap);
}

srv_http *srv_http_start(srv *s, int *port, char **err)
{
    const srv_options *o = srv_opts(s);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_ERROR_LOG;
    const char *host = o->host ? o->host : "127.0.0.1";
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)o->port);
    } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)o->port);
        flags |= MHD_USE_IPv6;
    } else {
        *err = aslrtp_strdupf("--host '%s' is not an IPv4 or IPv6 address", host);
        return NULL;
    }
    srv_http *h = aslrtp_calloc(1, sizeof *h);
    h->s = s;
    h->d = MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL, on_request, h,
                            MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)1024,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300, MHD_OPTION_END);
    if (!h->d) {
        *err = aslrtp_strdupf("cannot listen on %s port %d (in use, or not an address of "
                              "this machine)",
                              host, o->port);
        free(h);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    *port = info ? info->port : o->port;
    return h;
}

void srv_http_stop(srv_http *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->d);
    free(h);
}
