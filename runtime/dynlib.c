/*
 * dynlib.c - libcurl, libxml2 and libcrypto opened on first use (see
 * dynlib.h): the library by the soname configure found (the one Debian's
 * libcurl4, libxml2 and libssl3 packages ship), then each function of the
 * list by dlsym into its table, once per process behind pthread_once.  A
 * library that is missing or lacks a function leaves a message naming the
 * soname, the reason and the package, which the caller reports as the
 * call's error (libcrypto's callers cannot: the process ends with it).
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ASLRTP_DYNLIB_TABLES_ONLY
#include "dynlib.h"

/* A program linked statically (aslc build links so a machine that needs
 * no library, doc/architecture.md "Start-up") has its calls of dlopen come
 * here (ld --wrap=dlopen): the C library's static dlopen works only beside
 * the very C library it was linked from, so it is never called.  The flag
 * tells open_library why nothing was opened. */
static int dlopen_refused;

void *__wrap_dlopen(const char *file, int mode)
{
    (void)file;
    (void)mode;
    __atomic_store_n(&dlopen_refused, 1, __ATOMIC_RELAXED);
    return NULL;
}

/* Opens soname and fills table, a struct of n function pointers in the
 * order of names, once every one was found; NULL on success, else the
 * message (in msg, size n_msg). */
static const char *open_library(const char *soname, const char *package,
                                const char *const *names, void *table, size_t n,
                                char *msg, size_t n_msg)
{
    void *fns[64];
    if (n > sizeof fns / sizeof *fns)
        abort();            /* a list longer than this file allows for */
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h && __atomic_load_n(&dlopen_refused, __ATOMIC_RELAXED)) {
        snprintf(msg, n_msg,
                 "%s cannot be loaded by this program, which is linked statically (aslc build "
                 "does so when the definition names no Task, ItemReader, ResultWriter, hash "
                 "or base64); build it with --pie",
                 soname);
        return msg;
    }
    if (!h) {
        const char *e = dlerror();
        snprintf(msg, n_msg, "%s could not be loaded (%s); install %s", soname,
                 e ? e : "unknown error", package);
        return msg;
    }
    for (size_t i = 0; i < n; i++) {
        dlerror();
        fns[i] = dlsym(h, names[i]);
        if (!fns[i]) {
            snprintf(msg, n_msg, "%s has no function %s: it is older than this runtime needs",
                     soname, names[i]);
            /* The library stays open: its constructors may have run. */
            return msg;
        }
    }
    memcpy(table, fns, n * sizeof *fns);
    return NULL;
}

#define ASLRTP_DYNLIB_NAME(f) #f,

/* ---- libcurl ------------------------------------------------------------- */

#ifdef HAVE_LIBCURL
aslrtp_curl_api aslrtp_curl_fn;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static const char *curl_why;        /* written once, under curl_once */
static char curl_msg[512];

static void curl_open(void)
{
    static const char *const names[] = {ASLRTP_CURL_FUNCTIONS(ASLRTP_DYNLIB_NAME)};
    _Static_assert(sizeof aslrtp_curl_fn == sizeof names, "one pointer per name");
    curl_why = open_library(ASLC_CURL_SONAME, "libcurl (Debian: libcurl4)", names,
                            &aslrtp_curl_fn, sizeof names / sizeof *names, curl_msg,
                            sizeof curl_msg);
}

int aslrtp_curl_load(const char **why)
{
    pthread_once(&curl_once, curl_open);
    *why = curl_why;
    return curl_why == NULL;
}
#endif

/* ---- libcrypto ----------------------------------------------------------- */

aslrtp_crypto_api aslrtp_crypto_fn;

static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;
static const char *crypto_why;      /* written once, under crypto_once */
static char crypto_msg[512];

static void crypto_open(void)
{
    static const char *const names[] = {ASLRTP_CRYPTO_FUNCTIONS(ASLRTP_DYNLIB_NAME)};
    _Static_assert(sizeof aslrtp_crypto_fn == sizeof names, "one pointer per name");
    crypto_why = open_library(ASLC_CRYPTO_SONAME, "libcrypto (Debian: libssl3)", names,
                              &aslrtp_crypto_fn, sizeof names / sizeof *names, crypto_msg,
                              sizeof crypto_msg);
}

void aslrtp_crypto_need(void)
{
    pthread_once(&crypto_once, crypto_open);
    if (crypto_why) {
        /* As the dynamic loader ends a program whose library is missing. */
        dprintf(STDERR_FILENO, "%s: error while loading shared libraries: %s\n",
                program_invocation_short_name, crypto_why);
        _exit(127);
    }
}

int aslrtp_crypto_md_index(const char *name)
{
    static const char *const names[] = {"MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(names[i], name))
            return (int)i;
    return -1;
}

const EVP_MD *aslrtp_crypto_md(const char *name)
{
    int i = aslrtp_crypto_md_index(name);
    if (i < 0)
        return NULL;
    aslrtp_crypto_need();
    const aslrtp_crypto_api *c = &aslrtp_crypto_fn;
    const EVP_MD *(*const md[])(void) = {c->EVP_md5, c->EVP_sha1, c->EVP_sha256, c->EVP_sha384,
                                         c->EVP_sha512};
    return md[i]();
}

/* ---- libxml2 ------------------------------------------------------------- */

aslrtp_xml_api aslrtp_xml_fn;

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
static const char *xml_why;         /* written once, under xml_once */
static char xml_msg[512];
/* xmlFree: libxml2 built with per-thread allocators (Debian's) has a
 * function giving the thread's; otherwise a variable. */
static xmlFreeFunc *(*xml_free_of_thread)(void);
static xmlFreeFunc *xml_free_var;

static void xml_open(void)
{
    static const char *const names[] = {ASLRTP_XML_FUNCTIONS(ASLRTP_DYNLIB_NAME)};
    _Static_assert(sizeof aslrtp_xml_fn == sizeof names, "one pointer per name");
    xml_why = open_library(ASLC_XML_SONAME, "libxml2 (Debian: libxml2)", names, &aslrtp_xml_fn,
                           sizeof names / sizeof *names, xml_msg, sizeof xml_msg);
    if (xml_why)
        return;
    void *h = dlopen(ASLC_XML_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    void *f = h ? dlsym(h, "__xmlFree") : NULL;
    if (f)
        memcpy(&xml_free_of_thread, &f, sizeof f);
    else if (h)
        xml_free_var = (xmlFreeFunc *)dlsym(h, "xmlFree");
    if (h)
        dlclose(h);         /* the reference open_library took stays */
    if (!xml_free_of_thread && !xml_free_var) {
        snprintf(xml_msg, sizeof xml_msg, "%s has no xmlFree", ASLC_XML_SONAME);
        xml_why = xml_msg;
        return;
    }
    aslrtp_xml_fn.xmlInitParser();
}

int aslrtp_xml_load(const char **why)
{
    pthread_once(&xml_once, xml_open);
    *why = xml_why;
    return xml_why == NULL;
}

void aslrtp_xml_free(void *p)
{
    xmlFreeFunc fn = xml_free_of_thread ? *xml_free_of_thread() : *xml_free_var;
    fn(p);
}
