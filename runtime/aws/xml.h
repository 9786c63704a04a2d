/*
 * xml.h - what the XML protocols (query.c, restxml.c) share: a guarded
 * libxml2 parse of an answer, the walk of its elements, and the reading
 * and writing of a value by its model shape (doc/behaviour.md §27).
 */
#ifndef ASLRT_AWS_XML_H
#define ASLRT_AWS_XML_H

#include "../dynlib.h"  /* libxml2's names, called through its table */
#include "aws.h"


/* The most an XML answer may hold: a page of a listing is far below it. */
#define ASLRTP_XML_LIMIT (16 * 1024 * 1024)

/* Parses the XML text body[0..len): no network, no entity substitution,
 * no DTD (a document that declares one is refused: an AWS answer never
 * does), libxml2's default depth limit, at most ASLRTP_XML_LIMIT bytes.
 * Returns the document, or NULL with *why (static text) saying why. */
xmlDoc *aslrtp_xml_parse(const char *body, size_t len, const char **why);

/* Opens libxml2 (dynlib.c) before a codec builds a document: 1, or 0
 * with err set (aslc.MissingLibrary, doc/behaviour.md §43). */
int aslrtp_xml_ready(aslrt_error *err);

/* The element name's local part ("Code" for "s3:Code"). */
const char *aslrtp_xml_name(const xmlNode *n);
/* The first child element of n named name (local part), or NULL. */
xmlNode *aslrtp_xml_child(const xmlNode *n, const char *name);
/* The first element named name in n's subtree (n included), depth first,
 * or NULL. */
xmlNode *aslrtp_xml_find(xmlNode *n, const char *name);
/* The text of n: its text and CDATA children joined, entity references
 * left out (malloc'd, never NULL). */
char *aslrtp_xml_text(const xmlNode *n);

/* The value of node as shape says (members by their model names); node
 * is the element that holds the value.  body_only skips the members that
 * travel in the URI, the query string, the headers or the status (the
 * top of a rest-xml output).  A new reference. */
json_t *aslrtp_xml_value(const aslrtp_aws_service *s, int shape, xmlNode *node, bool body_only);

/* Adds value v as shape says under parent, in an element named name
 * (members by their wire names; lists and maps flattened or wrapped as
 * the model says).  Returns 1, or 0 with err filled when v cannot be
 * written as the shape (where names the parameter). */
int aslrtp_xml_put(const aslrtp_aws_service *s, int shape, const char *name, json_t *v,
                   xmlNode *parent, const char *where, aslrt_error *err);

/* ---- Scalars as text (shared by every non-JSON protocol) ---------------- */

/* The text of the scalar v for shape type (string, number, boolean,
 * timestamp in format fmt: "iso8601", "rfc822" or "unixTimestamp", blob
 * as base64 unless raw), malloc'd; NULL when v cannot be one (an object
 * for a number).  A string shape given a JSON object, array, number or
 * boolean takes its JSON text, as Step Functions passes it. */
char *aslrtp_aws_scalar_text(const aslrtp_aws_shape *sh, json_t *v, const char *fmt, bool raw);

/* The JSON value of the text t for shape type (numbers, booleans,
 * timestamps kept as text for protocol.c to convert); a new reference. */
json_t *aslrtp_aws_scalar_value(const aslrtp_aws_shape *sh, const char *t);

/* Appends s percent-encoded as SigV4 wants it: every byte but A-Z a-z 0-9
 * - _ . ~ (and '/' when keep_slash) as %XX with capital hex digits. */
void aslrtp_aws_uri_encode(aslrtp_buf *b, const char *s, size_t n, bool keep_slash);

/* The error code, message and request ids of an XML error answer (query,
 * ec2, rest-xml): the first <Error> element's <Code> and <Message>, the
 * first <RequestId> or <RequestID>, the first <HostId>.  A body that is
 * not XML leaves f as it is.  Returns whether a code was found. */
bool aslrtp_xml_fault(const aslrtp_aws_response *r, aslrtp_aws_fault *f);

/* Wording of a bad answer: aslc.AwsBadAnswer naming the service and op. */
void aslrtp_aws_bad_answer(const aslrtp_aws_service *s, const aslrtp_aws_op *op,
                           const char *why, aslrt_error *err);

#endif /* ASLRT_AWS_XML_H */
