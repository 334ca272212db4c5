/* Medium: a JSON tokenizer with a small validator that checks nesting. */
#include "wm_export.h"

enum tok {
    T_END, T_LBRACE, T_RBRACE, T_LBRACKET, T_RBRACKET, T_COLON, T_COMMA,
    T_STRING, T_NUMBER, T_TRUE, T_FALSE, T_NULL, T_ERROR
};

struct lexer {
    const char *s;
    uint32_t pos, len;
    int64_t number;     /* integer part of the last number, scaled by 1000 */
    uint32_t str_hash;  /* FNV-1a of the last string's bytes */
};

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int match_word(struct lexer *lx, const char *w) {
    uint32_t i = 0;
    while (w[i]) {
        if (lx->pos + i >= lx->len || lx->s[lx->pos + i] != w[i]) return 0;
        i++;
    }
    lx->pos += i;
    return 1;
}

static enum tok lex_string(struct lexer *lx) {
    uint32_t h = 2166136261u;
    lx->pos++;
    while (lx->pos < lx->len) {
        char c = lx->s[lx->pos++];
        if (c == '"') { lx->str_hash = h; return T_STRING; }
        if (c == '\\') {
            if (lx->pos >= lx->len) return T_ERROR;
            c = lx->s[lx->pos++];
            switch (c) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u': {
                uint32_t v = 0;
                for (int k = 0; k < 4; k++) {
                    if (lx->pos >= lx->len) return T_ERROR;
                    char d = lx->s[lx->pos++];
                    v <<= 4;
                    if (is_digit(d)) v |= (uint32_t)(d - '0');
                    else if (d >= 'a' && d <= 'f') v |= (uint32_t)(d - 'a' + 10);
                    else if (d >= 'A' && d <= 'F') v |= (uint32_t)(d - 'A' + 10);
                    else return T_ERROR;
                }
                c = (char)(v & 0x7F);
                break;
            }
            case '"': case '\\': case '/': break;
            default: return T_ERROR;
            }
        }
        h = (h ^ (uint8_t)c) * 16777619u;
    }
    return T_ERROR;
}

static enum tok lex_number(struct lexer *lx) {
    int neg = 0;
    int64_t v = 0;
    int frac_digits = 0;
    if (lx->s[lx->pos] == '-') { neg = 1; lx->pos++; }
    if (lx->pos >= lx->len || !is_digit(lx->s[lx->pos])) return T_ERROR;
    while (lx->pos < lx->len && is_digit(lx->s[lx->pos])) v = v * 10 + (lx->s[lx->pos++] - '0');
    v *= 1000;
    if (lx->pos < lx->len && lx->s[lx->pos] == '.') {
        int64_t scale = 100;
        lx->pos++;
        while (lx->pos < lx->len && is_digit(lx->s[lx->pos])) {
            if (scale) { v += (lx->s[lx->pos] - '0') * scale; scale /= 10; }
            lx->pos++;
            frac_digits++;
        }
        if (!frac_digits) return T_ERROR;
    }
    lx->number = neg ? -v : v;
    return T_NUMBER;
}

static enum tok next_token(struct lexer *lx) {
    while (lx->pos < lx->len && is_space(lx->s[lx->pos])) lx->pos++;
    if (lx->pos >= lx->len) return T_END;
    char c = lx->s[lx->pos];
    switch (c) {
    case '{': lx->pos++; return T_LBRACE;
    case '}': lx->pos++; return T_RBRACE;
    case '[': lx->pos++; return T_LBRACKET;
    case ']': lx->pos++; return T_RBRACKET;
    case ':': lx->pos++; return T_COLON;
    case ',': lx->pos++; return T_COMMA;
    case '"': return lex_string(lx);
    case 't': return match_word(lx, "true") ? T_TRUE : T_ERROR;
    case 'f': return match_word(lx, "false") ? T_FALSE : T_ERROR;
    case 'n': return match_word(lx, "null") ? T_NULL : T_ERROR;
    default: return (c == '-' || is_digit(c)) ? lex_number(lx) : T_ERROR;
    }
}

/* Returns a digest of the token stream, or -1 for malformed input / bad nesting. */
WM_EXPORT("json_digest") int64_t json_digest(const char *s, uint32_t len) {
    struct lexer lx = {s, 0, len, 0, 0};
    char stack[64];
    int depth = 0;
    int64_t digest = 17;
    for (;;) {
        enum tok t = next_token(&lx);
        if (t == T_ERROR) return -1;
        if (t == T_END) break;
        if (t == T_LBRACE || t == T_LBRACKET) {
            if (depth == 64) return -1;
            stack[depth++] = (char)t;
        } else if (t == T_RBRACE || t == T_RBRACKET) {
            if (!depth || stack[--depth] != (char)(t == T_RBRACE ? T_LBRACE : T_LBRACKET))
                return -1;
        }
        digest = digest * 31 + t;
        if (t == T_NUMBER) digest ^= lx.number;
        if (t == T_STRING) digest += lx.str_hash;
    }
    return depth ? -1 : digest;
}

static const char doc[] =
    "{\"sensor\": \"bme280\", \"rate_hz\": 12.5, \"channels\": [1, 2, 3, -4.25],\n"
    " \"enabled\": true, \"calib\": null, \"name\": \"t\\u0041ank \\\"B\\\"\",\n"
    " \"limits\": {\"lo\": -40, \"hi\": 85.125, \"alarm\": false}}";

WM_EXPORT("selftest") int64_t selftest(void) {
    return json_digest(doc, sizeof doc - 1) + json_digest("[1, 2", 5);
}
