/*
 * dynlib.h - the shared libraries the runtime opens on first use instead
 * of at start: libcurl (HTTP tasks, AWS service calls) and libxml2 (the
 * XML answers of AWS's query, ec2 and rest-xml protocols).  Linked in,
 * they and what they pull (GnuTLS, Kerberos, LDAP, SSH, ICU, libstdc++:
 * some forty libraries) were mapped and relocated by every workflow
 * program before main, whether or not a Task ever called HTTP; opened by
 * their sonames when the first call needs them, a program that never does
 * maps only the C library (doc/architecture.md, "Start-up").
 *
 * Each library is a table of function pointers, filled by dlsym from the
 * list below; curl.h and aws/xml.h turn the library's own names into
 * calls through the table, so the code that uses them reads as plain
 * libcurl and libxml2.  A call through a table is valid only after its
 * load function returned 1: every path into libcurl goes through
 * aslrtp_curl_ready() (curl.c), every path into libxml2 through
 * aslrtp_xml_load().
 */
#ifndef ASLRT_DYNLIB_H
#define ASLRT_DYNLIB_H

#include "config.h"

#ifdef HAVE_LIBCURL
#include <curl/curl.h>

/* The libcurl functions the runtime calls. */
#define ASLRTP_CURL_FUNCTIONS(X)                                                       \
    X(curl_global_init) X(curl_easy_init) X(curl_easy_cleanup) X(curl_easy_reset)      \
    X(curl_easy_setopt) X(curl_easy_getinfo) X(curl_easy_strerror) X(curl_free)        \
    X(curl_multi_init) X(curl_multi_cleanup) X(curl_multi_add_handle)                  \
    X(curl_multi_remove_handle) X(curl_multi_perform) X(curl_multi_poll)               \
    X(curl_multi_info_read) X(curl_multi_strerror) X(curl_slist_append)                \
    X(curl_slist_free_all) X(curl_url) X(curl_url_cleanup) X(curl_url_get) X(curl_url_set)

#define ASLRTP_DYNLIB_MEMBER(f) __typeof__(f) *f;
typedef struct aslrtp_curl_api {
    ASLRTP_CURL_FUNCTIONS(ASLRTP_DYNLIB_MEMBER)
} aslrtp_curl_api;
extern aslrtp_curl_api aslrtp_curl_fn;

/* Opens libcurl once per process (later calls return the first answer):
 * 1, or 0 with *why (static text) naming the library and the reason. */
int aslrtp_curl_load(const char **why);
#endif /* HAVE_LIBCURL */

#include <libxml/parser.h>
#include <libxml/tree.h>

/* The libxml2 functions the runtime calls. */
#define ASLRTP_XML_FUNCTIONS(X)                                                        \
    X(xmlInitParser) X(xmlReadMemory) X(xmlFreeDoc) X(xmlFreeNode) X(xmlNewDoc)        \
    X(xmlNewNode) X(xmlNewChild) X(xmlNewTextChild) X(xmlNewNs) X(xmlSetNs)            \
    X(xmlNewProp) X(xmlNewNsProp) X(xmlDocGetRootElement) X(xmlDocSetRootElement)      \
    X(xmlUnlinkNode) X(xmlDocDumpMemoryEnc)

typedef struct aslrtp_xml_api {
    ASLRTP_XML_FUNCTIONS(ASLRTP_DYNLIB_MEMBER)
} aslrtp_xml_api;
extern aslrtp_xml_api aslrtp_xml_fn;

/* Opens libxml2 once per process and initializes its parser: 1, or 0
 * with *why (static text) naming the library and the reason. */
int aslrtp_xml_load(const char **why);
/* libxml2's xmlFree (a variable, or a per-thread one behind a function,
 * depending on how libxml2 was built). */
void aslrtp_xml_free(void *p);

#endif /* ASLRT_DYNLIB_H */
