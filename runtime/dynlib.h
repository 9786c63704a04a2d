/*
 * dynlib.h - the shared libraries the runtime opens on first use instead
 * of at start: libcurl (HTTP tasks, AWS service calls), libxml2 (the
 * XML answers of AWS's query, ec2 and rest-xml protocols) and libcrypto
 * (digests and base64).  Linked in,
 * they and what they pull (GnuTLS, Kerberos, LDAP, SSH, ICU, libstdc++:
 * some forty libraries) were mapped and relocated by every workflow
 * program before main, whether or not a Task ever called HTTP; opened by
 * their sonames when the first call needs them, a program that never does
 * maps only the C library (doc/architecture.md, "Start-up").
 *
 * Each library is a table of function pointers, filled by dlsym from the
 * list below; curl.h and aws/xml.h turn the library's own names into
 * calls through the table, so the code that uses them reads as plain
 * libcurl and libxml2 (a file that includes this header calls them
 * through the tables).  A call through a table is valid only after its
 * load function returned 1: every path into libcurl goes through
 * aslrtp_curl_ready() (curl.c), every path into libxml2 through
 * aslrtp_xml_load().
 */
#ifndef ASLRT_DYNLIB_H
#define ASLRT_DYNLIB_H

#include "config.h"

/* A table's member: a pointer to the function f as the library declares it. */
#define ASLRTP_DYNLIB_MEMBER(f) __typeof__(f) *f;

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

typedef struct aslrtp_curl_api {
    ASLRTP_CURL_FUNCTIONS(ASLRTP_DYNLIB_MEMBER)
} aslrtp_curl_api;
extern aslrtp_curl_api aslrtp_curl_fn;

/* Opens libcurl once per process (later calls return the first answer):
 * 1, or 0 with *why (static text) naming the library and the reason. */
int aslrtp_curl_load(const char **why);
#endif /* HAVE_LIBCURL */

#include <openssl/evp.h>

/* The libcrypto functions the runtime calls: digests (States.Hash,
 * JSONata's $hash, S3's checksums and ETags) and base64 (task tokens,
 * States.Base64Encode and Decode, AWS's blobs).  Linked in, libcrypto's
 * 17,000 relocations took 2.5 ms of every aslc start on a virtual machine,
 * and its constructor ran in every workflow program. */
#define ASLRTP_CRYPTO_FUNCTIONS(X)                                                     \
    X(EVP_md5) X(EVP_sha1) X(EVP_sha256) X(EVP_sha384) X(EVP_sha512) X(EVP_Digest)      \
    X(EVP_MD_CTX_new) X(EVP_MD_CTX_free) X(EVP_DigestInit_ex) X(EVP_DigestUpdate)       \
    X(EVP_DigestFinal_ex) X(EVP_EncodeBlock) X(EVP_DecodeBlock)

typedef struct aslrtp_crypto_api {
    ASLRTP_CRYPTO_FUNCTIONS(ASLRTP_DYNLIB_MEMBER)
} aslrtp_crypto_api;
extern aslrtp_crypto_api aslrtp_crypto_fn;

/* Opens libcrypto once per process.  A process that cannot open it ends
 * as one that linked it would have at its start: a message naming the
 * library and the package on stderr, exit status 127. */
void aslrtp_crypto_need(void);
/* The index of a digest by the names States.Hash and $hash accept
 * ("MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"), or -1, without
 * opening libcrypto; and that digest, or NULL, opening it. */
int aslrtp_crypto_md_index(const char *name);
const EVP_MD *aslrtp_crypto_md(const char *name);

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>

/* The libxml2 functions the runtime calls. */
#define ASLRTP_XML_FUNCTIONS(X)                                                        \
    X(xmlInitParser) X(xmlReadMemory) X(xmlFreeDoc) X(xmlFreeNode) X(xmlNewDoc)        \
    X(xmlNewNode) X(xmlNewChild) X(xmlNewTextChild) X(xmlNewNs) X(xmlSetNs)            \
    X(xmlNewProp) X(xmlNewNsProp) X(xmlDocGetRootElement) X(xmlDocSetRootElement)      \
    X(xmlUnlinkNode) X(xmlDocDumpMemoryEnc) X(xmlBufferCreate) X(xmlBufferContent)      \
    X(xmlBufferFree) X(xmlNewTextWriterMemory) X(xmlFreeTextWriter)                    \
    X(xmlTextWriterSetIndent) X(xmlTextWriterSetIndentString)                          \
    X(xmlTextWriterStartDocument) X(xmlTextWriterEndDocument)                          \
    X(xmlTextWriterStartElement) X(xmlTextWriterEndElement)                            \
    X(xmlTextWriterWriteAttribute) X(xmlTextWriterWriteFormatAttribute)                \
    X(xmlTextWriterWriteString)

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

/* What a program linked statically calls for dlopen (ld --wrap=dlopen):
 * nothing is ever loaded there. */
void *__wrap_dlopen(const char *file, int mode);

/* The libraries' own names, called through the tables (dynlib.c, which
 * fills them, sees the names as the libraries declare them). */
#ifndef ASLRTP_DYNLIB_TABLES_ONLY
#ifdef HAVE_LIBCURL
/* libcurl's functions, called through the table dynlib.c fills when
 * aslrtp_curl_ready() first runs (libcurl's type-checking macros for
 * setopt and getinfo give way to the table's entries). */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init aslrtp_curl_fn.curl_global_init
#define curl_easy_init aslrtp_curl_fn.curl_easy_init
#define curl_easy_cleanup aslrtp_curl_fn.curl_easy_cleanup
#define curl_easy_reset aslrtp_curl_fn.curl_easy_reset
#define curl_easy_setopt aslrtp_curl_fn.curl_easy_setopt
#define curl_easy_getinfo aslrtp_curl_fn.curl_easy_getinfo
#define curl_easy_strerror aslrtp_curl_fn.curl_easy_strerror
#define curl_free aslrtp_curl_fn.curl_free
#define curl_multi_init aslrtp_curl_fn.curl_multi_init
#define curl_multi_cleanup aslrtp_curl_fn.curl_multi_cleanup
#define curl_multi_add_handle aslrtp_curl_fn.curl_multi_add_handle
#define curl_multi_remove_handle aslrtp_curl_fn.curl_multi_remove_handle
#define curl_multi_perform aslrtp_curl_fn.curl_multi_perform
#define curl_multi_poll aslrtp_curl_fn.curl_multi_poll
#define curl_multi_info_read aslrtp_curl_fn.curl_multi_info_read
#define curl_multi_strerror aslrtp_curl_fn.curl_multi_strerror
#define curl_slist_append aslrtp_curl_fn.curl_slist_append
#define curl_slist_free_all aslrtp_curl_fn.curl_slist_free_all
#define curl_url aslrtp_curl_fn.curl_url
#define curl_url_cleanup aslrtp_curl_fn.curl_url_cleanup
#define curl_url_get aslrtp_curl_fn.curl_url_get
#define curl_url_set aslrtp_curl_fn.curl_url_set
#endif /* HAVE_LIBCURL */

/* libcrypto's functions, called through the table dynlib.c fills when
 * aslrtp_crypto_need() first runs: every function that calls one calls
 * that first. */
#define EVP_md5 aslrtp_crypto_fn.EVP_md5
#define EVP_sha1 aslrtp_crypto_fn.EVP_sha1
#define EVP_sha256 aslrtp_crypto_fn.EVP_sha256
#define EVP_sha384 aslrtp_crypto_fn.EVP_sha384
#define EVP_sha512 aslrtp_crypto_fn.EVP_sha512
#define EVP_Digest aslrtp_crypto_fn.EVP_Digest
#define EVP_MD_CTX_new aslrtp_crypto_fn.EVP_MD_CTX_new
#define EVP_MD_CTX_free aslrtp_crypto_fn.EVP_MD_CTX_free
#define EVP_DigestInit_ex aslrtp_crypto_fn.EVP_DigestInit_ex
#define EVP_DigestUpdate aslrtp_crypto_fn.EVP_DigestUpdate
#define EVP_DigestFinal_ex aslrtp_crypto_fn.EVP_DigestFinal_ex
#define EVP_EncodeBlock aslrtp_crypto_fn.EVP_EncodeBlock
#define EVP_DecodeBlock aslrtp_crypto_fn.EVP_DecodeBlock

/* libxml2's functions, called through the table dynlib.c fills when
 * aslrtp_xml_load() first runs: aslrtp_xml_parse, every codec entry that
 * builds a document, and aslc test's JUnit writer load it first. */
#undef xmlFree
#define xmlFree aslrtp_xml_free
#define xmlInitParser aslrtp_xml_fn.xmlInitParser
#define xmlReadMemory aslrtp_xml_fn.xmlReadMemory
#define xmlFreeDoc aslrtp_xml_fn.xmlFreeDoc
#define xmlFreeNode aslrtp_xml_fn.xmlFreeNode
#define xmlNewDoc aslrtp_xml_fn.xmlNewDoc
#define xmlNewNode aslrtp_xml_fn.xmlNewNode
#define xmlNewChild aslrtp_xml_fn.xmlNewChild
#define xmlNewTextChild aslrtp_xml_fn.xmlNewTextChild
#define xmlNewNs aslrtp_xml_fn.xmlNewNs
#define xmlSetNs aslrtp_xml_fn.xmlSetNs
#define xmlNewProp aslrtp_xml_fn.xmlNewProp
#define xmlNewNsProp aslrtp_xml_fn.xmlNewNsProp
#define xmlDocGetRootElement aslrtp_xml_fn.xmlDocGetRootElement
#define xmlDocSetRootElement aslrtp_xml_fn.xmlDocSetRootElement
#define xmlUnlinkNode aslrtp_xml_fn.xmlUnlinkNode
#define xmlDocDumpMemoryEnc aslrtp_xml_fn.xmlDocDumpMemoryEnc
#define xmlBufferCreate aslrtp_xml_fn.xmlBufferCreate
#define xmlBufferContent aslrtp_xml_fn.xmlBufferContent
#define xmlBufferFree aslrtp_xml_fn.xmlBufferFree
#define xmlNewTextWriterMemory aslrtp_xml_fn.xmlNewTextWriterMemory
#define xmlFreeTextWriter aslrtp_xml_fn.xmlFreeTextWriter
#define xmlTextWriterSetIndent aslrtp_xml_fn.xmlTextWriterSetIndent
#define xmlTextWriterSetIndentString aslrtp_xml_fn.xmlTextWriterSetIndentString
#define xmlTextWriterStartDocument aslrtp_xml_fn.xmlTextWriterStartDocument
#define xmlTextWriterEndDocument aslrtp_xml_fn.xmlTextWriterEndDocument
#define xmlTextWriterStartElement aslrtp_xml_fn.xmlTextWriterStartElement
#define xmlTextWriterEndElement aslrtp_xml_fn.xmlTextWriterEndElement
#define xmlTextWriterWriteAttribute aslrtp_xml_fn.xmlTextWriterWriteAttribute
#define xmlTextWriterWriteFormatAttribute aslrtp_xml_fn.xmlTextWriterWriteFormatAttribute
#define xmlTextWriterWriteString aslrtp_xml_fn.xmlTextWriterWriteString
#endif /* ASLRTP_DYNLIB_TABLES_ONLY */

#endif /* ASLRT_DYNLIB_H */
