/*
 * ctext.c - text from a definition made safe to stand in C source: string
 * literals, comments and identifiers.
 *
 * Every string of a definition that the C backend (emit_c.c) or the JSONata
 * tree writer (emit_jsonata.c) puts into generated code goes through here,
 * so that no definition can inject code: a literal escapes in octal every
 * byte outside plain printable ASCII and escapes `?` against trigraphs; a
 * comment holds a sanitised copy that can never close it; an identifier
 * keeps only ASCII letters, digits and underscores.  The writers below know
 * nothing of the IR or of either emitter.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "aslrt_private.h"
#include "backend.h"

/* s (len bytes) as a C string literal, split every 100 columns. */
void asl_put_literal_n(FILE *out, const char *s, size_t len)
{
    if (!s) {
        fputs("0", out);
        return;
    }
    fputc('"', out);
    size_t col = 0;
    for (const unsigned char *p = (const unsigned char *)s; p < (const unsigned char *)s + len; p++) {
        /* Long literals are split so that lines stay readable. */
        if (col >= 100) {
            fputs("\"\n    \"", out);
            col = 0;
        }
        unsigned char ch = *p;
        if (ch == '"' || ch == '\\' || ch == '?') {
            fputc('\\', out);
            fputc(ch, out);
            col += 2;
        } else if (ch >= 0x20 && ch < 0x7f) {
            fputc(ch, out);
            col++;
        } else {
            fprintf(out, "\\%03o", ch);
            col += 4;
        }
    }
    fputc('"', out);
}

/* s (a state name, a file name) in a comment: printable ASCII only, at
 * most 60 characters, never closing it. */
void asl_put_comment_text(FILE *out, const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && n < 60; p++, n++) {
        unsigned char ch = *p;
        if (ch == '*' || ch == '/' || ch == '\\' || ch == '?' || ch < 0x20 || ch >= 0x7f)
            fputc('.', out);
        else
            fputc(ch, out);
    }
    if (strlen(s) > 60)
        fputs("...", out);
}

/* Whether prefix makes good C names: <prefix>_machine is an external
 * symbol, so the prefix is an identifier (ASCII letters, digits, '_') that
 * starts with a letter (a file-scope name starting with '_' is reserved by
 * C11 7.1.3), and is not in the runtime's namespace ("aslrt") nor the
 * names aslc gives the state machines a workflow starts ("aslc_"). */
bool asl_emit_c_prefix_ok(const char *prefix)
{
    if (!isalpha((unsigned char)prefix[0]) || (unsigned char)prefix[0] >= 0x80)
        return false;
    for (const char *p = prefix; *p; p++)
        if (!(isalnum((unsigned char)*p) && (unsigned char)*p < 0x80) && *p != '_')
            return false;
    return strncmp(prefix, "aslrt", 5) != 0 && strncmp(prefix, "aslc_", 5) != 0;
}

/* A file name as a C identifier, without its directory and suffix; "m_" is
 * put in front of one that asl_emit_c_prefix_ok would refuse. */
char *asl_emit_c_identifier(const char *filename)
{
    const char *base = strrchr(filename, '/');
    base = base ? base + 1 : filename;
    size_t n = strlen(base);
    static const char *const suffixes[] = {".asl.json", ".json", ".asl", NULL};
    for (size_t i = 0; suffixes[i]; i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && strcmp(base + n - k, suffixes[i]) == 0) {
            n -= k;
            break;
        }
    }
    char *id = aslrtp_malloc(n + 3);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)base[i];
        id[i] = (isalnum(ch) && ch < 0x80) ? (char)ch : '_';
    }
    id[n] = '\0';
    if (!asl_emit_c_prefix_ok(id)) {
        memmove(id + 2, id, n + 1);
        memcpy(id, "m_", 2);
    }
    return id;
}
