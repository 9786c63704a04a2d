/*
 * parse.c - JSONata text to the tree the evaluator walks: the
 * tokenizer and Pratt parser of jsonata-js's parser.js, then its AST
 * processing (processAST): location paths flattened into arrays of steps,
 * predicates turned into stages, the parent operator % resolved to the
 * step it names (seekParent/resolveAncestry), tail calls of lambdas wrapped
 * as thunks.  The parse tree is built from mutable `pn` records that carry
 * every field the JavaScript objects grow along the way; once processing
 * is over they are frozen into const aslrt_jn_node trees (aslrt.h), the
 * same shape aslc emits as C initializers.
 *
 * Positions are those jsonata-js reports: the offset in UTF-16 code units
 * just after the token.  Syntax errors jump out through a jmp_buf local to
 * the parse; jn_parse returns NULL with the S0xxx error filled in.
 *
 * Signatures (<s-nn?:s>) are parsed here too, for lambdas at parse time
 * (S0401, S0402) and for every function at run time (jn_sig_parse).
 */
#include <math.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "aslrt_private.h"
#include "private.h"

/* ==== tokens ============================================================ */

enum {
    S_END = 1, S_NAME, S_LITERAL, S_REGEX,
    S_DOT, S_LBRACKET, S_RBRACKET, S_LBRACE, S_RBRACE, S_LPAREN, S_RPAREN, S_COMMA,
    S_AT, S_HASH, S_SEMI, S_COLON, S_QUESTION, S_PLUS, S_MINUS, S_STAR, S_SLASH,
    S_PERCENT, S_PIPE, S_EQ, S_LT, S_GT, S_CARET, S_STARSTAR, S_DOTDOT, S_ASSIGN,
    S_NE, S_LE, S_GE, S_APPLY, S_AND, S_OR, S_IN, S_AMP, S_BANG, S_TILDE,
    S_COUNT
};

static const char *const op_text[S_COUNT] = {
    [S_DOT] = ".", [S_LBRACKET] = "[", [S_RBRACKET] = "]", [S_LBRACE] = "{",
    [S_RBRACE] = "}", [S_LPAREN] = "(", [S_RPAREN] = ")", [S_COMMA] = ",",
    [S_AT] = "@", [S_HASH] = "#", [S_SEMI] = ";", [S_COLON] = ":", [S_QUESTION] = "?",
    [S_PLUS] = "+", [S_MINUS] = "-", [S_STAR] = "*", [S_SLASH] = "/",
    [S_PERCENT] = "%", [S_PIPE] = "|", [S_EQ] = "=", [S_LT] = "<", [S_GT] = ">",
    [S_CARET] = "^", [S_STARSTAR] = "**", [S_DOTDOT] = "..", [S_ASSIGN] = ":=",
    [S_NE] = "!=", [S_LE] = "<=", [S_GE] = ">=", [S_APPLY] = "~>", [S_AND] = "and",
    [S_OR] = "or", [S_IN] = "in", [S_AMP] = "&", [S_BANG] = "!", [S_TILDE] = "~",
    [S_END] = "(end)",
};

/* Left binding powers of the symbol table, as parser.js leaves them. */
static const int lbp_of[S_COUNT] = {
    [S_DOT] = 75, [S_LBRACKET] = 80, [S_LBRACE] = 70, [S_LPAREN] = 80, [S_AT] = 80,
    [S_HASH] = 80, [S_QUESTION] = 20, [S_PLUS] = 50, [S_MINUS] = 50, [S_STAR] = 60,
    [S_SLASH] = 60, [S_PERCENT] = 60, [S_EQ] = 40, [S_LT] = 40, [S_GT] = 40,
    [S_CARET] = 40, [S_ASSIGN] = 10, [S_NE] = 40, [S_LE] = 40, [S_GE] = 40,
    [S_APPLY] = 40, [S_AND] = 30, [S_OR] = 25, [S_IN] = 40, [S_AMP] = 50,
};

/* Node types: the token types, then what nud/led and processAST make. */
enum {
    T_END = 0, T_NAME, T_VARIABLE, T_OPERATOR, T_STRING, T_NUMBER, T_VALUE, T_REGEX,
    T_UNARY, T_BINARY, T_FUNCTION, T_PARTIAL, T_LAMBDA, T_CONDITION, T_TRANSFORM,
    T_BLOCK, T_WILDCARD, T_DESCENDANT, T_PARENT, T_PATH, T_BIND, T_APPLY, T_SORT,
    T_FILTER, T_INDEX, T_GROUP, T_TERM
};

static const char *const type_name[] = {
    "(end)", "name", "variable", "operator", "string", "number", "value", "regex",
    "unary", "binary", "function", "partial", "lambda", "condition", "transform",
    "block", "wildcard", "descendant", "parent", "path", "bind", "apply", "sort",
    "filter", "index", "group", "term"
};

typedef struct pn pn;

typedef struct plist {
    pn **v;
    int n, cap;
} plist;

typedef struct pslot {
    const char *label;
    int level;
    int index;
} pslot;

typedef struct pslots {
    pslot **v;
    int n, cap;
    bool defined;          /* JavaScript's "seekingParent !== undefined" */
} pslots;

struct pn {
    int id;                /* S_* of the token */
    int type;              /* T_* */
    int position;
    int lbp;
    /* the token's value */
    const char *str;       /* names, variables, strings, regex pattern */
    size_t len;
    const char *str2;      /* regex flags */
    double num;
    int lit;               /* ASLRT_JN_LIT_* */
    /* tree */
    pn *lhs, *rhs, *expression, *procedure, *body, *condition, *then, *els;
    pn *pattern, *update, *del, *group;
    plist expressions, arguments, steps, stages, predicate, pairs, terms;
    const char *signature;
    bool keep_array, keep_singleton, consarray, tuple, thunk, descending, has_else;
    bool has_stages, has_predicate;
    const char *focus, *index;
    pslot *ancestor;       /* name, wildcard */
    pslot *slot;           /* parent */
    pslots seeking;
    const aslrt_jn_node *frozen;
};

typedef struct parser {
    jn_ctx *cx;
    const char *src;
    size_t len;
    size_t pos;            /* byte offset of the tokenizer */
    /* byte offset -> UTF-16 offset, incrementally */
    size_t cache_byte;
    int cache_char;
    pn *node;              /* the current token */
    jmp_buf jmp;
    jn_error *err;
    int ancestor_label, ancestor_index;
    pn **ancestry;
    int nancestry, capancestry;
    int depth;             /* recursion of expression(), process(), freeze() */
} parser;

/* Deeper nesting than this is refused rather than risking the C stack. */
#define MAX_NESTING 2000

static int char_pos(parser *p, size_t byte)
{
    if (byte < p->cache_byte) {
        p->cache_byte = 0;
        p->cache_char = 0;
    }
    size_t end = byte < p->len ? byte : p->len;
    if (end > p->cache_byte)    /* astral characters count two (a surrogate pair) */
        p->cache_char += (int)aslrtp_utf16_length(p->src + p->cache_byte, end - p->cache_byte);
    p->cache_byte = byte;
    return p->cache_char;
}

/* ---- errors ---- */

/* Raises a syntax error: token (text, JSON-quoted in the message unless
 * token_raw is given: the text of a number or literal) and value fill the
 * template. */
static _Noreturn void perr(parser *p, const char *code, int position, const char *token,
                           bool token_is_string, const char *value, bool value_is_string)
{
    jn_error *e = p->err;
    memset(e, 0, sizeof *e);
    snprintf(e->code, sizeof e->code, "%s", code);
    e->position = position;
    if (token)
        snprintf(e->token, sizeof e->token, "%s", token);
    const char *t = jn_error_template(code);
    aslrtp_buf b = {0};
    while (t && *t) {
        if (t[0] == '{' && t[1] == '{') {
            const char *name = t + 2;
            const char *close = strstr(name, "}}");
            if (!close)
                break;
            const char *v = NULL;
            bool quoted = false;
            if (strncmp(name, "token", 5) == 0) {
                v = token;
                quoted = token_is_string;
            } else if (strncmp(name, "value", 5) == 0) {
                v = value;
                quoted = value_is_string;
            }
            if (!v) {
                aslrtp_buf_adds(&b, "undefined");
            } else if (quoted) {
                jn_value sv = {.type = JN_STRING};
                sv.u.string.s = v;
                sv.u.string.len = strlen(v);
                char tmp[300];
                jn_render_value(&sv, tmp, sizeof tmp);
                aslrtp_buf_adds(&b, tmp);
            } else {
                aslrtp_buf_adds(&b, v);
            }
            t = close + 2;
            continue;
        }
        aslrtp_buf_add(&b, t, 1);
        t++;
    }
    snprintf(e->message, sizeof e->message, "%s", b.data ? b.data : code);
    free(b.data);
    longjmp(p->jmp, 1);
}

/* The text of a token's value as JSON.stringify shows it, and whether it
 * is a string (to be quoted). */
static const char *token_text(parser *p, const pn *t, bool *is_string)
{
    *is_string = false;
    switch (t->type) {
    case T_NUMBER: {
        char buf[40];
        jn_format_number(t->num, buf);
        return jn_strndup(p->cx, buf, strlen(buf));
    }
    case T_VALUE:
        return t->lit == ASLRT_JN_LIT_TRUE ? "true" : t->lit == ASLRT_JN_LIT_FALSE ? "false"
                                                                                  : "null";
    case T_REGEX:
        return "{}";
    default:
        if (t->id == S_END && t->type == T_END) {
            *is_string = true;
            return "(end)";
        }
        *is_string = true;
        return t->str ? t->str : "";
    }
}

/* ==== tokenizer ========================================================= */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v';
}

static int single_op(char c)
{
    switch (c) {
    case '.': return S_DOT;
    case '[': return S_LBRACKET;
    case ']': return S_RBRACKET;
    case '{': return S_LBRACE;
    case '}': return S_RBRACE;
    case '(': return S_LPAREN;
    case ')': return S_RPAREN;
    case ',': return S_COMMA;
    case '@': return S_AT;
    case '#': return S_HASH;
    case ';': return S_SEMI;
    case ':': return S_COLON;
    case '?': return S_QUESTION;
    case '+': return S_PLUS;
    case '-': return S_MINUS;
    case '*': return S_STAR;
    case '/': return S_SLASH;
    case '%': return S_PERCENT;
    case '|': return S_PIPE;
    case '=': return S_EQ;
    case '<': return S_LT;
    case '>': return S_GT;
    case '^': return S_CARET;
    case '&': return S_AMP;
    case '!': return S_BANG;
    case '~': return S_TILDE;
    default: return 0;
    }
}

static pn *new_pn(parser *p)
{
    return jn_alloc(p->cx, sizeof(pn));
}

static pn *make_token(parser *p, int id, int type)
{
    pn *t = new_pn(p);
    t->id = id;
    t->type = type;
    t->position = char_pos(p, p->pos);
    return t;
}

static int hex4(const char *s, size_t avail)
{
    if (avail < 4)
        return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

static pn *scan_regex(parser *p)
{
    /* the '/' has been consumed */
    size_t start = p->pos;
    int depth = 0;
    const char *s = p->src;
    while (p->pos < p->len) {
        char c = s[p->pos];
        if (c == '/' && depth == 0) {
            size_t bs = 0;
            while (p->pos >= bs + 1 && s[p->pos - (bs + 1)] == '\\')
                bs++;
            if (bs % 2 == 0) {
                size_t plen = p->pos - start;
                if (plen == 0)
                    perr(p, "S0301", char_pos(p, p->pos), NULL, false, NULL, false);
                const char *pattern = jn_strndup(p->cx, s + start, plen);
                p->pos++;
                size_t fstart = p->pos;
                while (p->pos < p->len && (s[p->pos] == 'i' || s[p->pos] == 'm'))
                    p->pos++;
                pn *t = make_token(p, S_REGEX, T_REGEX);
                t->str = pattern;
                t->len = plen;
                t->str2 = jn_strndup(p->cx, s + fstart, p->pos - fstart);
                return t;
            }
        }
        if ((c == '(' || c == '[' || c == '{') && (p->pos == 0 || s[p->pos - 1] != '\\'))
            depth++;
        if ((c == ')' || c == ']' || c == '}') && (p->pos == 0 || s[p->pos - 1] != '\\'))
            depth--;
        p->pos++;
    }
    perr(p, "S0302", char_pos(p, p->pos), NULL, false, NULL, false);
}

/* The next token, or NULL at the end.  infix: a '/' is division. */
static pn *lex(parser *p, bool infix)
{
    const char *s = p->src;
    for (;;) {
        if (p->pos >= p->len)
            return NULL;
        while (p->pos < p->len && is_ws(s[p->pos]))
            p->pos++;
        if (p->pos + 1 < p->len && s[p->pos] == '/' && s[p->pos + 1] == '*') {
            size_t start = p->pos;
            p->pos += 2;
            for (;;) {
                if (p->pos + 1 < p->len && s[p->pos] == '*' && s[p->pos + 1] == '/')
                    break;
                p->pos++;
                if (p->pos >= p->len)
                    perr(p, "S0106", char_pos(p, start), NULL, false, NULL, false);
            }
            p->pos += 2;
            continue;
        }
        break;
    }
    if (p->pos >= p->len) {
        /* whitespace at the end: parser.js returns null from the name scan */
        return NULL;
    }
    char c = s[p->pos];
    char c1 = p->pos + 1 < p->len ? s[p->pos + 1] : '\0';
    if (!infix && c == '/') {
        p->pos++;
        return scan_regex(p);
    }
    int two = 0;
    if (c == '.' && c1 == '.')
        two = S_DOTDOT;
    else if (c == ':' && c1 == '=')
        two = S_ASSIGN;
    else if (c == '!' && c1 == '=')
        two = S_NE;
    else if (c == '>' && c1 == '=')
        two = S_GE;
    else if (c == '<' && c1 == '=')
        two = S_LE;
    else if (c == '*' && c1 == '*')
        two = S_STARSTAR;
    else if (c == '~' && c1 == '>')
        two = S_APPLY;
    if (two) {
        p->pos += 2;
        pn *t = make_token(p, two, T_OPERATOR);
        t->str = op_text[two];
        return t;
    }
    int one = single_op(c);
    if (one) {
        p->pos++;
        pn *t = make_token(p, one, T_OPERATOR);
        t->str = op_text[one];
        return t;
    }
    if (c == '"' || c == '\'') {
        char quote = c;
        p->pos++;
        aslrtp_buf b = {0};
        aslrtp_buf_add(&b, "", 0);
        while (p->pos < p->len) {
            c = s[p->pos];
            if (c == '\\') {
                p->pos++;
                c = p->pos < p->len ? s[p->pos] : '\0';
                const char *esc = NULL;
                switch (c) {
                case '"': esc = "\""; break;
                case '\\': esc = "\\"; break;
                case '/': esc = "/"; break;
                case 'b': esc = "\b"; break;
                case 'f': esc = "\f"; break;
                case 'n': esc = "\n"; break;
                case 'r': esc = "\r"; break;
                case 't': esc = "\t"; break;
                default: break;
                }
                if (esc) {
                    aslrtp_buf_add(&b, esc, 1);
                } else if (c == 'u') {
                    int cp = hex4(s + p->pos + 1, p->len - p->pos - 1);
                    if (cp < 0) {
                        free(b.data);
                        perr(p, "S0104", char_pos(p, p->pos), NULL, false, NULL, false);
                    }
                    p->pos += 4;
                    if (cp >= 0xD800 && cp <= 0xDBFF && p->pos + 6 < p->len &&
                        s[p->pos + 1] == '\\' && s[p->pos + 2] == 'u') {
                        int lo = hex4(s + p->pos + 3, p->len - p->pos - 3);
                        if (lo >= 0xDC00 && lo <= 0xDFFF) {
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                            p->pos += 6;
                        }
                    }
                    aslrtp_utf8_add(&b, (uint32_t)cp);
                } else {
                    char tok[2] = {c, '\0'};
                    free(b.data);
                    perr(p, "S0103", char_pos(p, p->pos), tok, true, NULL, false);
                }
            } else if (c == quote) {
                p->pos++;
                pn *t = make_token(p, S_LITERAL, T_STRING);
                t->str = jn_strndup(p->cx, b.data, b.len);
                t->len = b.len;
                free(b.data);
                return t;
            } else {
                aslrtp_buf_add(&b, &c, 1);
            }
            p->pos++;
        }
        free(b.data);
        perr(p, "S0101", char_pos(p, p->pos), NULL, false, NULL, false);
    }
    /* numbers: -?(0|[1-9][0-9]*)(\.[0-9]+)?([Ee][-+]?[0-9]+)? */
    if (c >= '0' && c <= '9') {
        size_t i = p->pos;
        if (s[i] == '0')
            i++;
        else
            while (i < p->len && s[i] >= '0' && s[i] <= '9')
                i++;
        if (i + 1 < p->len && s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9') {
            i++;
            while (i < p->len && s[i] >= '0' && s[i] <= '9')
                i++;
        }
        if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
            size_t j = i + 1;
            if (j < p->len && (s[j] == '+' || s[j] == '-'))
                j++;
            if (j < p->len && s[j] >= '0' && s[j] <= '9') {
                while (j < p->len && s[j] >= '0' && s[j] <= '9')
                    j++;
                i = j;
            }
        }
        char *text = jn_strndup(p->cx, s + p->pos, i - p->pos);
        double d = strtod(text, NULL);
        if (!isfinite(d))
            perr(p, "S0102", char_pos(p, p->pos), text, true, NULL, false);
        p->pos = i;
        pn *t = make_token(p, S_LITERAL, T_NUMBER);
        t->num = d;
        return t;
    }
    if (c == '`') {
        p->pos++;
        const char *end = memchr(s + p->pos, '`', p->len - p->pos);
        if (end) {
            size_t n = (size_t)(end - (s + p->pos));
            const char *name = jn_strndup(p->cx, s + p->pos, n);
            p->pos += n + 1;
            pn *t = make_token(p, S_NAME, T_NAME);
            t->str = name;
            t->len = n;
            return t;
        }
        p->pos = p->len;
        perr(p, "S0105", char_pos(p, p->pos), NULL, false, NULL, false);
    }
    size_t i = p->pos;
    while (i < p->len && !is_ws(s[i]) && !single_op(s[i]))
        i++;
    if (s[p->pos] == '$') {
        const char *name = jn_strndup(p->cx, s + p->pos + 1, i - p->pos - 1);
        size_t n = i - p->pos - 1;
        p->pos = i;
        pn *t = make_token(p, S_NAME, T_VARIABLE);
        t->str = name;
        t->len = n;
        return t;
    }
    size_t n = i - p->pos;
    const char *name = s + p->pos;
    p->pos = i;
    if (n == 2 && memcmp(name, "or", 2) == 0) {
        pn *t = make_token(p, S_OR, T_OPERATOR);
        t->str = "or";
        return t;
    }
    if (n == 2 && memcmp(name, "in", 2) == 0) {
        pn *t = make_token(p, S_IN, T_OPERATOR);
        t->str = "in";
        return t;
    }
    if (n == 3 && memcmp(name, "and", 3) == 0) {
        pn *t = make_token(p, S_AND, T_OPERATOR);
        t->str = "and";
        return t;
    }
    if ((n == 4 && memcmp(name, "true", 4) == 0) || (n == 5 && memcmp(name, "false", 5) == 0) ||
        (n == 4 && memcmp(name, "null", 4) == 0)) {
        pn *t = make_token(p, S_LITERAL, T_VALUE);
        t->lit = name[0] == 't' ? ASLRT_JN_LIT_TRUE
                 : name[0] == 'f' ? ASLRT_JN_LIT_FALSE : ASLRT_JN_LIT_NULL;
        return t;
    }
    if (n == 0 && p->pos == p->len)
        return NULL;
    pn *t = make_token(p, S_NAME, T_NAME);
    t->str = jn_strndup(p->cx, name, n);
    t->len = n;
    return t;
}

/* ==== the Pratt parser ================================================== */

/* Room for one more of the n pointers at v (capacity *cap): v itself, or
 * a copy twice as large in the arena. */
static void *grow(parser *p, void *v, int n, int *cap)
{
    if (n < *cap)
        return v;
    *cap = *cap ? *cap * 2 : 4;
    void **nv = jn_alloc(p->cx, (size_t)*cap * sizeof *nv);
    if (n)
        memcpy(nv, v, (size_t)n * sizeof *nv);
    return nv;
}

static void list_push(parser *p, plist *l, pn *v)
{
    l->v = grow(p, l->v, l->n, &l->cap);
    l->v[l->n++] = v;
}

static void slots_push(parser *p, pslots *l, pslot *v)
{
    l->v = grow(p, l->v, l->n, &l->cap);
    l->v[l->n++] = v;
    l->defined = true;
}

static pn *end_node(parser *p)
{
    pn *t = new_pn(p);
    t->id = S_END;
    t->type = T_END;
    t->str = "(end)";
    t->position = char_pos(p, p->len);
    return t;
}

/* advance(id, infix) of parser.js */
static pn *advance(parser *p, int id, bool infix)
{
    if (id && p->node->id != id) {
        bool is_string;
        const char *tok = token_text(p, p->node, &is_string);
        perr(p, p->node->id == S_END ? "S0203" : "S0202", p->node->position, tok, is_string,
             op_text[id] ? op_text[id] : "", true);
    }
    pn *t = lex(p, infix);
    if (!t) {
        p->node = end_node(p);
        return p->node;
    }
    if (t->type == T_OPERATOR && (t->id == S_BANG || t->id == S_TILDE))
        perr(p, "S0204", t->position, t->str, true, NULL, false);
    t->lbp = lbp_of[t->id];
    p->node = t;
    return t;
}

static pn *expression(parser *p, int rbp);

/* The key: value pairs of an object constructor (after its '{'), into
 * t->pairs, and the closing '}'. */
static void object_pairs(parser *p, pn *t)
{
    if (p->node->id != S_RBRACE) {
        for (;;) {
            pn *k = expression(p, 0);
            advance(p, S_COLON, false);
            pn *v = expression(p, 0);
            list_push(p, &t->pairs, k);
            list_push(p, &t->pairs, v);
            if (p->node->id != S_COMMA)
                break;
            advance(p, S_COMMA, false);
        }
    }
    advance(p, S_RBRACE, true);
}

static pn *nud(parser *p, pn *t)
{
    switch (t->id) {
    case S_END:
    case S_NAME:
    case S_LITERAL:
    case S_REGEX:
    case S_AND:
    case S_OR:
    case S_IN:
        return t;
    case S_MINUS:
        t->expression = expression(p, 70);
        t->type = T_UNARY;
        return t;
    case S_STAR:
        t->type = T_WILDCARD;
        return t;
    case S_STARSTAR:
        t->type = T_DESCENDANT;
        return t;
    case S_PERCENT:
        t->type = T_PARENT;
        return t;
    case S_LPAREN:
        while (p->node->id != S_RPAREN) {
            list_push(p, &t->expressions, expression(p, 0));
            if (p->node->id != S_SEMI)
                break;
            advance(p, S_SEMI, false);
        }
        advance(p, S_RPAREN, true);
        t->type = T_BLOCK;
        return t;
    case S_LBRACKET:
        if (p->node->id != S_RBRACKET) {
            for (;;) {
                pn *item = expression(p, 0);
                if (p->node->id == S_DOTDOT) {
                    pn *range = new_pn(p);
                    range->type = T_BINARY;
                    range->id = S_DOTDOT;
                    range->str = "..";
                    range->position = p->node->position;
                    range->lhs = item;
                    advance(p, S_DOTDOT, false);
                    range->rhs = expression(p, 0);
                    item = range;
                }
                list_push(p, &t->expressions, item);
                if (p->node->id != S_COMMA)
                    break;
                advance(p, S_COMMA, false);
            }
        }
        advance(p, S_RBRACKET, true);
        t->type = T_UNARY;
        return t;
    case S_LBRACE:
        object_pairs(p, t);
        t->type = T_UNARY;
        return t;
    case S_PIPE:
        t->type = T_TRANSFORM;
        t->pattern = expression(p, 0);
        advance(p, S_PIPE, false);
        t->update = expression(p, 0);
        if (p->node->id == S_COMMA) {
            advance(p, S_COMMA, false);
            t->del = expression(p, 0);
        }
        advance(p, S_PIPE, false);
        return t;
    default: {
        bool is_string;
        const char *tok = token_text(p, t, &is_string);
        perr(p, "S0211", t->position, tok, is_string, NULL, false);
    }
    }
}

static pn *led(parser *p, pn *t, pn *left)
{
    switch (t->id) {
    case S_LPAREN: {
        t->procedure = left;
        t->type = T_FUNCTION;
        if (p->node->id != S_RPAREN) {
            for (;;) {
                if (p->node->type == T_OPERATOR && p->node->id == S_QUESTION) {
                    t->type = T_PARTIAL;
                    list_push(p, &t->arguments, p->node);
                    advance(p, S_QUESTION, false);
                } else {
                    list_push(p, &t->arguments, expression(p, 0));
                }
                if (p->node->id != S_COMMA)
                    break;
                advance(p, S_COMMA, false);
            }
        }
        advance(p, S_RPAREN, true);
        if (left->type == T_NAME &&
            ((left->len == 8 && memcmp(left->str, "function", 8) == 0) ||
             (left->len == 2 && memcmp(left->str, "\xce\xbb", 2) == 0))) {
            for (int i = 0; i < t->arguments.n; i++) {
                pn *arg = t->arguments.v[i];
                if (arg->type != T_VARIABLE) {
                    bool is_string;
                    const char *tok = token_text(p, arg, &is_string);
                    char idx[16];
                    snprintf(idx, sizeof idx, "%d", i + 1);
                    perr(p, "S0208", arg->position, tok, is_string,
                         jn_strndup(p->cx, idx, strlen(idx)), false);
                }
            }
            t->type = T_LAMBDA;
            if (p->node->id == S_LT) {
                int sig_pos = p->node->position;
                int depth = 1;
                /* Built in the arena: advance() may raise a syntax error
                 * (longjmp) midway, and nothing malloc'd may be in flight. */
                char *text = jn_strndup(p->cx, "<", 1);
                size_t len = 1;
                while (depth > 0 && p->node->id != S_LBRACE && p->node->id != S_END) {
                    pn *tok = advance(p, 0, false);
                    if (tok->id == S_GT)
                        depth--;
                    else if (tok->id == S_LT)
                        depth++;
                    bool is_string;
                    const char *piece = token_text(p, tok, &is_string);
                    size_t n = strlen(piece);
                    char *grown = jn_alloc(p->cx, len + n + 1);
                    memcpy(grown, text, len);
                    memcpy(grown + len, piece, n + 1);
                    text = grown;
                    len += n;
                }
                advance(p, S_GT, false);
                int offset;
                char bad[32];
                const char *code = jn_sig_check(text, &offset, bad, sizeof bad);
                if (code)
                    perr(p, code, sig_pos + offset, NULL, false, bad, true);
                t->signature = text;
            }
            advance(p, S_LBRACE, false);
            t->body = expression(p, 0);
            advance(p, S_RBRACE, false);
        }
        return t;
    }
    case S_LBRACKET:
        if (p->node->id == S_RBRACKET) {
            pn *step = left;
            while (step && step->type == T_BINARY && step->id == S_LBRACKET)
                step = step->lhs;
            step->keep_array = true;
            advance(p, S_RBRACKET, false);
            return left;
        }
        t->lhs = left;
        t->rhs = expression(p, 0);
        t->type = T_BINARY;
        advance(p, S_RBRACKET, true);
        return t;
    case S_CARET:
        advance(p, S_LPAREN, false);
        for (;;) {
            pn *term = new_pn(p);
            term->type = T_TERM;
            if (p->node->id == S_LT) {
                advance(p, S_LT, false);
            } else if (p->node->id == S_GT) {
                term->descending = true;
                advance(p, S_GT, false);
            }
            term->expression = expression(p, 0);
            list_push(p, &t->terms, term);
            if (p->node->id != S_COMMA)
                break;
            advance(p, S_COMMA, false);
        }
        advance(p, S_RPAREN, false);
        t->lhs = left;
        t->type = T_BINARY;
        return t;
    case S_LBRACE:
        object_pairs(p, t);
        t->lhs = left;
        t->type = T_BINARY;
        return t;
    case S_ASSIGN:
        if (left->type != T_VARIABLE) {
            bool is_string;
            const char *tok = token_text(p, left, &is_string);
            perr(p, "S0212", left->position, tok, is_string, NULL, false);
        }
        t->lhs = left;
        t->rhs = expression(p, lbp_of[S_ASSIGN] - 1);
        t->type = T_BINARY;
        return t;
    case S_AT:
    case S_HASH:
        t->lhs = left;
        t->rhs = expression(p, lbp_of[t->id]);
        if (t->rhs->type != T_VARIABLE)
            perr(p, "S0214", t->rhs->position, t->id == S_AT ? "@" : "#", true, NULL, false);
        t->type = T_BINARY;
        return t;
    case S_QUESTION:
        t->type = T_CONDITION;
        t->condition = left;
        t->then = expression(p, 0);
        if (p->node->id == S_COLON) {
            advance(p, S_COLON, false);
            t->els = expression(p, 0);
            t->has_else = true;
        }
        return t;
    default:
        /* the infix operators */
        t->lhs = left;
        t->rhs = expression(p, lbp_of[t->id]);
        t->type = T_BINARY;
        return t;
    }
}

static void enter(parser *p)
{
    if (++p->depth > MAX_NESTING) {
        jn_error *e = p->err;
        memset(e, 0, sizeof *e);
        snprintf(e->code, sizeof e->code, "U1001");
        e->position = char_pos(p, p->pos);
        snprintf(e->message, sizeof e->message, "The expression is nested too deeply");
        longjmp(p->jmp, 1);
    }
}

static pn *expression(parser *p, int rbp)
{
    enter(p);
    pn *t = p->node;
    advance(p, 0, true);
    pn *left = nud(p, t);
    while (rbp < p->node->lbp) {
        t = p->node;
        advance(p, 0, false);
        left = led(p, t, left);
    }
    p->depth--;
    return left;
}

/* ==== processAST ======================================================== */

static _Noreturn void perr_node(parser *p, const char *code, const pn *n)
{
    bool is_string;
    const char *tok = token_text(p, n, &is_string);
    perr(p, code, n->position, tok, is_string, NULL, false);
}

/* A tail call in a lambda body becomes a thunk the trampoline runs. */
static pn *tail_call_optimize(parser *p, pn *expr)
{
    if (expr->type == T_FUNCTION && !expr->has_predicate) {
        pn *thunk = new_pn(p);
        thunk->type = T_LAMBDA;
        thunk->thunk = true;
        thunk->position = expr->position;
        thunk->body = expr;
        return thunk;
    }
    if (expr->type == T_CONDITION) {
        expr->then = tail_call_optimize(p, expr->then);
        if (expr->has_else)
            expr->els = tail_call_optimize(p, expr->els);
        return expr;
    }
    if (expr->type == T_BLOCK) {
        int n = expr->expressions.n;
        if (n > 0)
            expr->expressions.v[n - 1] = tail_call_optimize(p, expr->expressions.v[n - 1]);
        return expr;
    }
    return expr;
}

static pslot *seek_parent(parser *p, pn *node, pslot *slot)
{
    switch (node->type) {
    case T_NAME:
    case T_WILDCARD:
        slot->level--;
        if (slot->level == 0) {
            if (node->ancestor)
                p->ancestry[slot->index]->slot->label = node->ancestor->label;
            node->ancestor = slot;
            node->tuple = true;
        }
        break;
    case T_PARENT:
        slot->level++;
        break;
    case T_BLOCK:
        if (node->expressions.n > 0) {
            node->tuple = true;
            slot = seek_parent(p, node->expressions.v[node->expressions.n - 1], slot);
        }
        break;
    case T_PATH: {
        node->tuple = true;
        int index = node->steps.n - 1;
        slot = seek_parent(p, node->steps.v[index--], slot);
        while (slot->level > 0 && index >= 0)
            slot = seek_parent(p, node->steps.v[index--], slot);
        break;
    }
    default:
        perr(p, "S0217", node->position, type_name[node->type], true, NULL, false);
    }
    return slot;
}

static void push_ancestry(parser *p, pn *result, pn *value)
{
    if (value->seeking.defined || value->type == T_PARENT) {
        if (!result->seeking.defined) {
            result->seeking.defined = true;
            result->seeking.n = 0;
        }
        for (int i = 0; i < value->seeking.n; i++)
            slots_push(p, &result->seeking, value->seeking.v[i]);
        if (value->type == T_PARENT)
            slots_push(p, &result->seeking, value->slot);
    }
}

static void resolve_ancestry(parser *p, pn *path)
{
    int index = path->steps.n - 1;
    pn *laststep = path->steps.v[index];
    pslots slots = {0};
    for (int i = 0; i < laststep->seeking.n; i++)
        slots_push(p, &slots, laststep->seeking.v[i]);
    if (laststep->type == T_PARENT)
        slots_push(p, &slots, laststep->slot);
    for (int is = 0; is < slots.n; is++) {
        pslot *slot = slots.v[is];
        index = path->steps.n - 2;
        while (slot->level > 0) {
            if (index < 0) {
                slots_push(p, &path->seeking, slot);
                break;
            }
            pn *step = path->steps.v[index--];
            while (index >= 0 && step->focus && path->steps.v[index]->focus)
                step = path->steps.v[index--];
            slot = seek_parent(p, step, slot);
        }
    }
}

static pn *process(parser *p, pn *expr);

static pn *path_of(parser *p, pn *step)
{
    pn *r = new_pn(p);
    r->type = T_PATH;
    r->position = step->position;
    list_push(p, &r->steps, step);
    return r;
}

static pn *process_binary(parser *p, pn *expr)
{
    pn *result;
    switch (expr->id) {
    case S_DOT: {
        pn *lstep = process(p, expr->lhs);
        if (lstep->type == T_PATH)
            result = lstep;
        else
            result = path_of(p, lstep);
        if (lstep->type == T_PARENT) {
            result->seeking = (pslots){0};
            slots_push(p, &result->seeking, lstep->slot);
        }
        pn *rest = process(p, expr->rhs);
        if (rest->type == T_PATH) {
            for (int i = 0; i < rest->steps.n; i++)
                list_push(p, &result->steps, rest->steps.v[i]);
        } else {
            if (rest->has_predicate) {
                rest->stages = rest->predicate;
                rest->has_stages = true;
                rest->predicate = (plist){0};
                rest->has_predicate = false;
            }
            list_push(p, &result->steps, rest);
        }
        for (int i = 0; i < result->steps.n; i++) {
            pn *step = result->steps.v[i];
            if (step->type == T_NUMBER || step->type == T_VALUE) {
                bool is_string;
                const char *v = token_text(p, step, &is_string);
                perr(p, "S0213", step->position, NULL, false, v, false);
            }
        }
        for (int i = 0; i < result->steps.n; i++)
            if (result->steps.v[i]->type == T_STRING)
                result->steps.v[i]->type = T_NAME;
        for (int i = 0; i < result->steps.n; i++)
            if (result->steps.v[i]->keep_array)
                result->keep_singleton = true;
        pn *first = result->steps.v[0];
        if (first->type == T_UNARY && first->id == S_LBRACKET)
            first->consarray = true;
        pn *last = result->steps.v[result->steps.n - 1];
        if (last->type == T_UNARY && last->id == S_LBRACKET)
            last->consarray = true;
        resolve_ancestry(p, result);
        break;
    }
    case S_LBRACKET: {
        result = process(p, expr->lhs);
        pn *step = result;
        bool stages = false;
        if (result->type == T_PATH) {
            step = result->steps.v[result->steps.n - 1];
            stages = true;
        }
        if (step->group)
            perr(p, "S0209", expr->position, NULL, false, NULL, false);
        pn *predicate = process(p, expr->rhs);
        if (predicate->seeking.defined) {
            for (int i = 0; i < predicate->seeking.n; i++) {
                pslot *slot = predicate->seeking.v[i];
                if (slot->level == 1)
                    seek_parent(p, step, slot);
                else
                    slot->level--;
            }
            push_ancestry(p, step, predicate);
        }
        pn *filter = new_pn(p);
        filter->type = T_FILTER;
        filter->expression = predicate;
        filter->position = expr->position;
        if (stages) {
            step->has_stages = true;
            list_push(p, &step->stages, filter);
        } else {
            step->has_predicate = true;
            list_push(p, &step->predicate, filter);
        }
        break;
    }
    case S_LBRACE: {
        result = process(p, expr->lhs);
        if (result->group)
            perr(p, "S0210", expr->position, NULL, false, NULL, false);
        pn *g = new_pn(p);
        g->type = T_GROUP;
        g->position = expr->position;
        for (int i = 0; i < expr->pairs.n; i++)
            list_push(p, &g->pairs, process(p, expr->pairs.v[i]));
        result->group = g;
        break;
    }
    case S_CARET: {
        result = process(p, expr->lhs);
        if (result->type != T_PATH)
            result = path_of(p, result);
        pn *sort = new_pn(p);
        sort->type = T_SORT;
        sort->position = expr->position;
        for (int i = 0; i < expr->terms.n; i++) {
            pn *term = expr->terms.v[i];
            pn *e = process(p, term->expression);
            push_ancestry(p, sort, e);
            pn *t = new_pn(p);
            t->type = T_TERM;
            t->descending = term->descending;
            t->expression = e;
            list_push(p, &sort->terms, t);
        }
        list_push(p, &result->steps, sort);
        resolve_ancestry(p, result);
        break;
    }
    case S_ASSIGN:
        result = new_pn(p);
        result->type = T_BIND;
        result->position = expr->position;
        result->lhs = process(p, expr->lhs);
        result->rhs = process(p, expr->rhs);
        push_ancestry(p, result, result->rhs);
        break;
    case S_AT: {
        result = process(p, expr->lhs);
        pn *step = result;
        if (result->type == T_PATH)
            step = result->steps.v[result->steps.n - 1];
        if (step->has_stages || step->has_predicate)
            perr(p, "S0215", expr->position, NULL, false, NULL, false);
        if (step->type == T_SORT)
            perr(p, "S0216", expr->position, NULL, false, NULL, false);
        if (expr->keep_array)
            step->keep_array = true;
        step->focus = expr->rhs->str;
        step->tuple = true;
        break;
    }
    case S_HASH: {
        result = process(p, expr->lhs);
        pn *step = result;
        if (result->type == T_PATH) {
            step = result->steps.v[result->steps.n - 1];
        } else {
            result = path_of(p, result);
            if (step->has_predicate) {
                step->stages = step->predicate;
                step->has_stages = true;
                step->predicate = (plist){0};
                step->has_predicate = false;
            }
        }
        if (!step->has_stages) {
            step->index = expr->rhs->str;
        } else {
            pn *ix = new_pn(p);
            ix->type = T_INDEX;
            ix->str = expr->rhs->str;
            ix->len = expr->rhs->len;
            ix->position = expr->position;
            list_push(p, &step->stages, ix);
        }
        step->tuple = true;
        break;
    }
    case S_APPLY:
        result = new_pn(p);
        result->type = T_APPLY;
        result->position = expr->position;
        result->lhs = process(p, expr->lhs);
        result->rhs = process(p, expr->rhs);
        result->keep_array = result->lhs->keep_array || result->rhs->keep_array;
        break;
    default:
        result = new_pn(p);
        result->type = T_BINARY;
        result->id = expr->id;
        result->str = expr->str;
        result->position = expr->position;
        result->lhs = process(p, expr->lhs);
        result->rhs = process(p, expr->rhs);
        push_ancestry(p, result, result->lhs);
        push_ancestry(p, result, result->rhs);
        break;
    }
    return result;
}

static pn *process(parser *p, pn *expr)
{
    pn *result;
    enter(p);
    switch (expr->type) {
    case T_BINARY:
        result = process_binary(p, expr);
        break;
    case T_UNARY:
        result = new_pn(p);
        result->type = T_UNARY;
        result->id = expr->id;
        result->str = expr->str;
        result->position = expr->position;
        if (expr->id == S_LBRACKET) {
            for (int i = 0; i < expr->expressions.n; i++) {
                pn *v = process(p, expr->expressions.v[i]);
                push_ancestry(p, result, v);
                list_push(p, &result->expressions, v);
            }
        } else if (expr->id == S_LBRACE) {
            for (int i = 0; i < expr->pairs.n; i++) {
                pn *v = process(p, expr->pairs.v[i]);
                push_ancestry(p, result, v);
                list_push(p, &result->pairs, v);
            }
        } else {
            result->expression = process(p, expr->expression);
            if (expr->id == S_MINUS && result->expression->type == T_NUMBER) {
                result = result->expression;
                result->num = -result->num;
            } else {
                push_ancestry(p, result, result->expression);
            }
        }
        break;
    case T_FUNCTION:
    case T_PARTIAL:
        result = new_pn(p);
        result->type = expr->type;
        result->position = expr->position;
        for (int i = 0; i < expr->arguments.n; i++) {
            pn *a = process(p, expr->arguments.v[i]);
            push_ancestry(p, result, a);
            list_push(p, &result->arguments, a);
        }
        result->procedure = process(p, expr->procedure);
        break;
    case T_LAMBDA: {
        result = new_pn(p);
        result->type = T_LAMBDA;
        result->arguments = expr->arguments;
        result->signature = expr->signature;
        result->position = expr->position;
        pn *body = process(p, expr->body);
        result->body = tail_call_optimize(p, body);
        break;
    }
    case T_CONDITION:
        result = new_pn(p);
        result->type = T_CONDITION;
        result->position = expr->position;
        result->condition = process(p, expr->condition);
        push_ancestry(p, result, result->condition);
        result->then = process(p, expr->then);
        push_ancestry(p, result, result->then);
        if (expr->has_else) {
            result->els = process(p, expr->els);
            result->has_else = true;
            push_ancestry(p, result, result->els);
        }
        break;
    case T_TRANSFORM:
        result = new_pn(p);
        result->type = T_TRANSFORM;
        result->position = expr->position;
        result->pattern = process(p, expr->pattern);
        result->update = process(p, expr->update);
        if (expr->del)
            result->del = process(p, expr->del);
        break;
    case T_BLOCK:
        result = new_pn(p);
        result->type = T_BLOCK;
        result->position = expr->position;
        for (int i = 0; i < expr->expressions.n; i++) {
            pn *part = process(p, expr->expressions.v[i]);
            push_ancestry(p, result, part);
            if (part->consarray || (part->type == T_PATH && part->steps.v[0]->consarray))
                result->consarray = true;
            list_push(p, &result->expressions, part);
        }
        break;
    case T_NAME:
        result = path_of(p, expr);
        if (expr->keep_array)
            result->keep_singleton = true;
        break;
    case T_PARENT: {
        result = new_pn(p);
        result->type = T_PARENT;
        result->position = expr->position;
        pslot *slot = jn_alloc(p->cx, sizeof *slot);
        slot->label = jn_printf(p->cx, "!%d", p->ancestor_label++);
        slot->level = 1;
        slot->index = p->ancestor_index++;
        result->slot = slot;
        if (p->nancestry == p->capancestry) {
            int cap = p->capancestry ? p->capancestry * 2 : 8;
            pn **v = jn_alloc(p->cx, (size_t)cap * sizeof *v);
            if (p->nancestry)
                memcpy(v, p->ancestry, (size_t)p->nancestry * sizeof *v);
            p->ancestry = v;
            p->capancestry = cap;
        }
        p->ancestry[p->nancestry++] = result;
        break;
    }
    case T_STRING:
    case T_NUMBER:
    case T_VALUE:
    case T_WILDCARD:
    case T_DESCENDANT:
    case T_VARIABLE:
    case T_REGEX:
        result = expr;
        break;
    case T_OPERATOR:
        if (expr->id == S_AND || expr->id == S_OR || expr->id == S_IN) {
            expr->type = T_NAME;
            expr->len = strlen(expr->str);
            result = process(p, expr);
        } else if (expr->id == S_QUESTION) {
            result = expr;
        } else {
            perr_node(p, "S0201", expr);
        }
        break;
    default: {
        bool is_string;
        const char *tok = token_text(p, expr, &is_string);
        perr(p, expr->id == S_END ? "S0207" : "S0206", expr->position, tok, is_string, NULL,
             false);
    }
    }
    if (expr->keep_array)
        result->keep_array = true;
    p->depth--;
    return result;
}

/* ==== signatures (signature.js) ========================================= */

static unsigned char sym_bit(char c)
{
    switch (c) {
    case 'a': return JN_SYM_A;
    case 's': return JN_SYM_S;
    case 'n': return JN_SYM_N;
    case 'b': return JN_SYM_B;
    case 'l': return JN_SYM_L;
    case 'f': return JN_SYM_F;
    case 'o': return JN_SYM_O;
    case 'm': return JN_SYM_M;
    default: return 0;
    }
}

static size_t closing(const char *s, size_t start, char open, char close)
{
    int depth = 1;
    size_t pos = start;
    size_t len = strlen(s);
    while (pos < len) {
        pos++;
        if (s[pos] == close) {
            if (--depth == 0)
                break;
        } else if (s[pos] == open) {
            depth++;
        }
    }
    return pos;
}

/* One pass over the text: fills params (when not NULL) or reports the
 * first error. */
static const char *sig_scan(jn_ctx *cx, const char *s, jn_sig_param *params, int *nparams,
                            int *offset, char *bad, size_t badsize)
{
    size_t len = strlen(s);
    int n = 0;
    jn_sig_param cur = {0};
    jn_sig_param *prev = NULL;
    jn_sig_param dummy = {0};
    for (size_t pos = 1; pos < len; pos++) {
        char c = s[pos];
        if (c == ':')
            break;
        jn_sig_param *slot = params ? &params[n] : &dummy;
        switch (c) {
        case 's': case 'n': case 'b': case 'l': case 'o':
        case 'a': case 'f': case 'j': case 'x':
            cur = (jn_sig_param){0};
            cur.type = c;
            if (c == 'a' || c == 'x')
                cur.cls = 0xFF;
            else if (c == 'f')
                cur.cls = JN_SYM_F;
            else if (c == 'j')
                cur.cls = 0xFF & ~JN_SYM_F;
            else
                cur.cls = sym_bit(c) | JN_SYM_M;
            *slot = cur;
            prev = slot;
            n++;
            break;
        case '-':
            if (prev) {
                prev->context = true;
                prev->ctx_cls = prev->cls;
                if (prev->quant & JN_Q_OPT)
                    prev->quant |= JN_Q_LAZY;
                prev->quant |= JN_Q_OPT;
            }
            break;
        case '?':
            if (prev) {
                if (prev->quant & JN_Q_OPT)
                    prev->quant |= JN_Q_LAZY;
                prev->quant |= JN_Q_OPT;
            }
            break;
        case '+':
            if (prev)
                prev->quant |= JN_Q_PLUS;
            break;
        case '(': {
            size_t end = closing(s, pos, '(', ')');
            size_t clen = end > pos ? end - pos - 1 : 0;
            if (memchr(s + pos + 1, '<', clen)) {
                if (offset) {
                    *offset = (int)pos;
                    snprintf(bad, badsize, "%.*s", (int)clen, s + pos + 1);
                }
                return "S0402";
            }
            cur = (jn_sig_param){0};
            cur.type = '(';
            cur.cls = JN_SYM_M;
            for (size_t i = 0; i < clen; i++)
                cur.cls |= sym_bit(s[pos + 1 + i]);
            *slot = cur;
            prev = slot;
            n++;
            pos = end;
            break;
        }
        case '<':
            if (prev && (prev->type == 'a' || prev->type == 'f')) {
                size_t end = closing(s, pos, '<', '>');
                if (params && cx)
                    prev->subtype = jn_strndup(cx, s + pos + 1, end > pos ? end - pos - 1 : 0);
                pos = end;
            } else {
                if (offset) {
                    *offset = (int)pos;
                    if (prev)
                        snprintf(bad, badsize, "%c", prev->type);
                    else
                        snprintf(bad, badsize, "undefined");
                }
                return "S0401";
            }
            break;
        default:
            break;
        }
    }
    if (nparams)
        *nparams = n;
    return NULL;
}

const char *jn_sig_check(const char *text, int *offset, char *bad, size_t badsize)
{
    return sig_scan(NULL, text, NULL, NULL, offset, bad, badsize);
}

jn_sig *jn_sig_parse(jn_ctx *cx, const char *text)
{
    int n = 0;
    int off;
    char bad[8];
    sig_scan(NULL, text, NULL, &n, &off, bad, sizeof bad);
    jn_sig *sig = jn_alloc(cx, sizeof *sig);
    sig->p = jn_alloc(cx, (size_t)(n ? n : 1) * sizeof(jn_sig_param));
    sig_scan(cx, text, sig->p, &sig->n, &off, bad, sizeof bad);
    return sig;
}

static bool match_from(const jn_sig *sig, int i, int nparams, const unsigned char *syms, int n,
                       int pos, bool anchored, int (*caps)[2], int *end)
{
    if (i == nparams) {
        if (anchored && pos != n)
            return false;
        *end = pos;
        return true;
    }
    const jn_sig_param *pr = &sig->p[i];
    int run = 0;
    while (pos + run < n && (syms[pos + run] & pr->cls))
        run++;
    int max, min;
    if (pr->quant & JN_Q_PLUS) {
        max = run;
        min = (pr->quant & JN_Q_OPT) ? 0 : 1;
    } else {
        max = run > 0 ? 1 : 0;
        min = (pr->quant & JN_Q_OPT) ? 0 : 1;
    }
    if (max < min)
        return false;
    bool lazy = (pr->quant & JN_Q_LAZY) != 0;
    for (int k = lazy ? min : max; lazy ? k <= max : k >= min; k += lazy ? 1 : -1) {
        if (caps) {
            caps[i][0] = pos;
            caps[i][1] = k;
        }
        if (match_from(sig, i + 1, nparams, syms, n, pos + k, anchored, caps, end))
            return true;
    }
    return false;
}

bool jn_sig_match(const jn_sig *sig, int nparams, const unsigned char *syms, int n,
                  bool anchored, int (*caps)[2], int *matched)
{
    int end = 0;
    bool ok = match_from(sig, 0, nparams, syms, n, 0, anchored, caps, &end);
    if (matched)
        *matched = end;
    return ok;
}

/* ==== freezing into aslrt_jn_node ======================================= */

static const aslrt_jn_node *freeze(parser *p, pn *n);

static const aslrt_jn_node *const *freeze_list(parser *p, const plist *l)
{
    if (l->n == 0)
        return NULL;
    const aslrt_jn_node **v = jn_alloc(p->cx, (size_t)l->n * sizeof *v);
    for (int i = 0; i < l->n; i++)
        v[i] = freeze(p, l->v[i]);
    return v;
}

static int binary_op(int id)
{
    switch (id) {
    case S_PLUS: return ASLRT_JN_OP_ADD;
    case S_MINUS: return ASLRT_JN_OP_SUB;
    case S_STAR: return ASLRT_JN_OP_MUL;
    case S_SLASH: return ASLRT_JN_OP_DIV;
    case S_PERCENT: return ASLRT_JN_OP_MOD;
    case S_EQ: return ASLRT_JN_OP_EQ;
    case S_NE: return ASLRT_JN_OP_NE;
    case S_LT: return ASLRT_JN_OP_LT;
    case S_LE: return ASLRT_JN_OP_LE;
    case S_GT: return ASLRT_JN_OP_GT;
    case S_GE: return ASLRT_JN_OP_GE;
    case S_AMP: return ASLRT_JN_OP_CONCAT;
    case S_AND: return ASLRT_JN_OP_AND;
    case S_OR: return ASLRT_JN_OP_OR;
    case S_IN: return ASLRT_JN_OP_IN;
    case S_DOTDOT: return ASLRT_JN_OP_RANGE;
    default: return 0;
    }
}

static const aslrt_jn_node *freeze(parser *p, pn *n)
{
    if (n->frozen)
        return n->frozen;
    enter(p);
    aslrt_jn_node *f = jn_alloc(p->cx, sizeof *f);
    n->frozen = f;
    f->position = n->position;
    if (n->keep_array)
        f->flags |= ASLRT_JN_KEEP_ARRAY;
    if (n->tuple)
        f->flags |= ASLRT_JN_TUPLE;
    if (n->consarray)
        f->flags |= ASLRT_JN_CONSARRAY;
    f->focus = n->focus;
    f->index = n->index;
    if (n->ancestor)
        f->ancestor = n->ancestor->label;
    switch (n->type) {
    case T_PATH:
        f->type = ASLRT_JN_PATH;
        if (n->keep_singleton)
            f->flags |= ASLRT_JN_KEEP_SINGLETON;
        f->items = freeze_list(p, &n->steps);
        f->nitems = n->steps.n;
        break;
    case T_BINARY:
        f->type = ASLRT_JN_BINARY;
        f->op = binary_op(n->id);
        f->lhs = freeze(p, n->lhs);
        f->rhs = freeze(p, n->rhs);
        break;
    case T_UNARY:
        if (n->id == S_MINUS) {
            f->type = ASLRT_JN_NEGATE;
            f->lhs = freeze(p, n->expression);
        } else if (n->id == S_LBRACKET) {
            f->type = ASLRT_JN_ARRAY;
            f->items = freeze_list(p, &n->expressions);
            f->nitems = n->expressions.n;
        } else {
            f->type = ASLRT_JN_OBJECT;
            f->items = freeze_list(p, &n->pairs);
            f->nitems = n->pairs.n;
        }
        break;
    case T_NAME:
        f->type = ASLRT_JN_NAME;
        f->str = n->str;
        f->len = n->len;
        f->hash = jn_hash(n->str, n->len);
        break;
    case T_STRING:
        f->type = ASLRT_JN_STRING;
        f->str = n->str;
        f->len = n->len;
        break;
    case T_NUMBER:
        f->type = ASLRT_JN_NUMBER;
        f->number = n->num;
        break;
    case T_VALUE:
        f->type = ASLRT_JN_VALUE;
        f->op = n->lit;
        break;
    case T_WILDCARD:
        f->type = ASLRT_JN_WILDCARD;
        break;
    case T_DESCENDANT:
        f->type = ASLRT_JN_DESCENDANT;
        break;
    case T_PARENT:
        f->type = ASLRT_JN_PARENT;
        f->ancestor = n->slot->label;
        break;
    case T_CONDITION:
        f->type = ASLRT_JN_CONDITION;
        f->lhs = freeze(p, n->condition);
        f->rhs = freeze(p, n->then);
        if (n->has_else)
            f->third = freeze(p, n->els);
        break;
    case T_BLOCK:
        f->type = ASLRT_JN_BLOCK;
        f->items = freeze_list(p, &n->expressions);
        f->nitems = n->expressions.n;
        break;
    case T_BIND:
        f->type = ASLRT_JN_BIND;
        f->lhs = freeze(p, n->lhs);
        f->rhs = freeze(p, n->rhs);
        break;
    case T_REGEX:
        f->type = ASLRT_JN_REGEX;
        f->str = n->str;
        f->len = n->len;
        f->str2 = n->str2;
        break;
    case T_FUNCTION:
    case T_PARTIAL:
        f->type = n->type == T_FUNCTION ? ASLRT_JN_FUNCTION : ASLRT_JN_PARTIAL;
        f->lhs = freeze(p, n->procedure);
        f->items = freeze_list(p, &n->arguments);
        f->nitems = n->arguments.n;
        break;
    case T_OPERATOR:
        f->type = ASLRT_JN_PLACEHOLDER;
        break;
    case T_VARIABLE:
        f->type = ASLRT_JN_VARIABLE;
        f->str = n->str;
        f->len = n->len;
        f->hash = jn_hash(n->str, n->len);
        break;
    case T_LAMBDA:
        f->type = ASLRT_JN_LAMBDA;
        if (n->thunk)
            f->flags |= ASLRT_JN_THUNK;
        f->items = freeze_list(p, &n->arguments);
        f->nitems = n->arguments.n;
        if (n->signature) {
            f->str = n->signature;
            f->len = strlen(n->signature);
        }
        f->lhs = freeze(p, n->body);
        break;
    case T_APPLY:
        f->type = ASLRT_JN_APPLY;
        f->lhs = freeze(p, n->lhs);
        f->rhs = freeze(p, n->rhs);
        break;
    case T_TRANSFORM:
        f->type = ASLRT_JN_TRANSFORM;
        f->lhs = freeze(p, n->pattern);
        f->rhs = freeze(p, n->update);
        if (n->del)
            f->third = freeze(p, n->del);
        break;
    case T_SORT:
        f->type = ASLRT_JN_SORT;
        f->items = freeze_list(p, &n->terms);
        f->nitems = n->terms.n;
        break;
    case T_TERM:
        f->type = ASLRT_JN_SORT_TERM;
        if (n->descending)
            f->flags |= ASLRT_JN_DESCENDING;
        f->lhs = freeze(p, n->expression);
        break;
    case T_FILTER:
        f->type = ASLRT_JN_FILTER;
        f->lhs = freeze(p, n->expression);
        break;
    case T_INDEX:
        f->type = ASLRT_JN_INDEX;
        f->str = n->str;
        f->len = n->len;
        f->hash = jn_hash(n->str, n->len);
        break;
    case T_GROUP:
        f->type = ASLRT_JN_GROUP;
        f->items = freeze_list(p, &n->pairs);
        f->nitems = n->pairs.n;
        break;
    default:
        break;
    }
    if (n->has_stages) {
        f->stages = freeze_list(p, &n->stages);
        f->nstages = n->stages.n;
    }
    if (n->has_predicate) {
        f->predicate = freeze_list(p, &n->predicate);
        f->npredicate = n->predicate.n;
    }
    if (n->group)
        f->group = freeze(p, n->group);
    p->depth--;
    return f;
}

/* ==== entry ============================================================= */

const jn_node *jn_parse(jn_ctx *cx, const char *expr, size_t len, jn_error *err)
{
    parser p = {0};
    jn_error local;
    p.cx = cx;
    p.src = expr;
    p.len = len;
    p.err = err ? err : &local;
    if (setjmp(p.jmp))
        return NULL;
    p.node = end_node(&p);
    p.node->id = 0;
    advance(&p, 0, false);
    pn *e = expression(&p, 0);
    if (p.node->id != S_END) {
        bool is_string;
        const char *tok = token_text(&p, p.node, &is_string);
        perr(&p, "S0201", p.node->position, tok, is_string, NULL, false);
    }
    p.depth = 0;
    e = process(&p, e);
    if (e->type == T_PARENT || e->seeking.defined)
        perr(&p, "S0217", e->position, type_name[e->type], true, NULL, false);
    p.depth = 0;
    return freeze(&p, e);
}
