/* aot_bind_cost.c - binding an AOT section checks each function's type hash (up to 256
 * values hashed a function) at every load; those checks charge the install's work meter,
 * so the watchdog is fed through a module of many wide functions. argv[1]: such a module.
 * Builds an AOT section that matches it (no code is run), binds it as a load of a stored
 * image does (wm_aot_attach_committed) and prints the meter's kicks, then "ok". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aot.h"
#include "wasmote.h"
#include "wm_aot_abi.h"
#include "wm_internal.h"
#include "wm_work.h"

#include "harness.h"

static void put32(uint8_t *p, uint32_t v) { wm_st32(p, v); }

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    loaded_module lm;
    load_module_file(&lm, argv[1], 256u << 20);
    wm_module *m = lm.m;
    wm_error e;
    uint32_t n = m->nfuncs - m->nfunc_imports;
    uint32_t entries = WM_AOT_HEADER_BYTES, types = entries + 4u * n;
    uint32_t code = (types + 4u * n + 15u) & ~15u, len = code + 16u;
    uint8_t *s = wm_arena_alloc(&lm.arena, len, 16);
    CHECK(s != NULL);
    memset(s, 0, len);
    put32(s + WM_AOT_H_MAGIC, WM_AOT_MAGIC);
    put32(s + WM_AOT_H_SIZE, WM_AOT_HEADER_BYTES);
    put32(s + WM_AOT_H_CTX_SIZE, (uint32_t)sizeof(wm_aot_ctx));
    put32(s + WM_AOT_H_NIMPORTS, m->nfunc_imports);
    put32(s + WM_AOT_H_NFUNCS, n);
    put32(s + WM_AOT_H_FRAME, 64u);
    put32(s + WM_AOT_H_ENTRIES, entries);
    put32(s + WM_AOT_H_CODE, code);
    put32(s + WM_AOT_H_CODE_SIZE, 16u);
    put32(s + WM_AOT_H_TYPES, types);
    put32(s + WM_AOT_H_ALIGN, 16u);
    for (uint32_t j = 0; j < n; j++) {
        const wm_functype *t = m->funcs[j].type;
        put32(s + entries + 4u * j, WM_AOT_NO_ENTRY);
        put32(s + types + 4u * j, wm_aot_sig_hash(t->params, t->nparams, t->results, t->nresults));
    }
    wm_work w;
    wm_work_init(&w, NULL);
    m->work = &w;
    wm_err rc = wm_aot_attach_committed(m, s, len, WM_AOT_ARCH_SELF, WM_AOT_ABI_VERSION, &e);
    CHECK(rc == WM_OK);
    printf("functions %u kicks %u\n", (unsigned)n, (unsigned)w.kicks);
    unload_module_file(&lm);
    printf("ok\n");
    return 0;
}
