/* pd_map_unit.c - wm_pd_attach against damaged trace maps (docs/predecoded.md, "Trace map"):
 * a form whose map offset or map entries point outside it is refused, never walked. Built
 * with WM_PREDECODE and ASan+UBSan (an unchecked walk reads past the exact-size copy). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasmote.h"
#include "wm_pd.h"

#include "harness.h"

/* *bytes: the module's bytes, freed by the caller after the module's last use */
static wm_module *load(wm_arena *a, const char *path, unsigned char **bytes)
{
    size_t len;
    unsigned char *b = read_file(path, &len);
    CHECK(b != NULL);
    wm_module *m;
    wm_error e;
    CHECK(wm_load(a, b, len, &m, &e) == WM_OK);
    *bytes = b;
    return m;
}

/* A fresh exact-size copy of the form, damaged by `damage`, then attached. */
static wm_err attach_damaged(wm_module *m, const uint8_t *form, size_t len,
                             void (*damage)(uint8_t *f, size_t len))
{
    uint8_t *f = malloc(len);
    CHECK(f != NULL);
    memcpy(f, form, len);
    if (damage) damage(f, len);
    wm_error e;
    wm_module copy = *m;
    wm_err rc = wm_pd_attach(&copy, f, len, &e);
    if (rc == WM_OK) (void)wm_pd_code_offset(&copy, f + len - 1);
    free(f);
    return rc;
}

static void map_past_end(uint8_t *f, size_t len) { wm_st32(f + WM_PD_AT_MAP, (uint32_t)len + 2u); }
static void map_in_header(uint8_t *f, size_t len) { (void)len, wm_st32(f + WM_PD_AT_MAP, 8u); }
static void unterminated(uint8_t *f, size_t len) /* one continuation byte and nothing below */
{
    wm_st32(f + WM_PD_AT_MAP, (uint32_t)len - 1u);
    f[len - 1] = 0x80;
}
static void entry_past_map(uint8_t *f, size_t len) /* a form delta of 2^31-1 units */
{
    static const uint8_t big[6] = {0x00, 0x07, 0xFF, 0xFF, 0xFF, 0xFF}; /* read downwards */
    wm_st32(f + WM_PD_AT_MAP, (uint32_t)len - 6u);
    memcpy(f + len - 6, big, 6);
}
static void body_in_map(uint8_t *f, size_t len)
{
    (void)len;
    wm_st32(f + WM_PD_HEADER, wm_ld32(f + WM_PD_AT_MAP));
}

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    size_t size = 8u << 20;
    unsigned char *mem = malloc(size);
    CHECK(mem != NULL);
    wm_arena a;
    wm_arena_init(&a, mem, size);
    char path[4096];
    snprintf(path, sizeof path, "%s/mem.wasm", argv[1]);
    unsigned char *bytes;
    wm_module *m = load(&a, path, &bytes);
    static uint64_t out[1u << 15];
    size_t len;
    wm_error e;
    CHECK(wm_pd_translate_in(m, (uint8_t *)out, sizeof out, &len, &e) == WM_OK);
    const uint8_t *form = (const uint8_t *)out;
    CHECK(wm_ld32(form + 16) + 6u <= len); /* a map of a few entries (the module's loads) */
    CHECK(attach_damaged(m, form, len, NULL) == WM_OK);
    CHECK(attach_damaged(m, form, len, map_past_end) == WM_ERR_MALFORMED);
    CHECK(attach_damaged(m, form, len, map_in_header) == WM_ERR_MALFORMED);
    CHECK(attach_damaged(m, form, len, unterminated) == WM_ERR_MALFORMED);
    CHECK(attach_damaged(m, form, len, entry_past_map) == WM_ERR_MALFORMED);
    CHECK(attach_damaged(m, form, len, body_in_map) == WM_ERR_MALFORMED);
    free(bytes);
    free(mem);
    printf("ok\n");
    return 0;
}
