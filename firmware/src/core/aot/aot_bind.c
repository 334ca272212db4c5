/* aot_bind.c - checking AOT code against the runtime and the module (wm_aot_attach) and
 * giving each instance its context (what native code reaches memory, globals, tables and
 * functions through). */
#include "aot_internal.h"

#include "sha256.h"

const char *wm_aot_arch_name(uint32_t arch)
{
    switch (arch) {
    case 0: return "none";
    case WM_AOT_ARCH_THUMBV7EM: return "thumbv7em";
    case WM_AOT_ARCH_RV32IMAC: return "rv32imac";
    case WM_AOT_ARCH_X86_64: return "x86_64";
    case WM_AOT_ARCH_XTENSA: return "xtensa-lx6";
    case WM_AOT_ARCH_THUMBV7M: return "thumbv7m";
    case WM_AOT_ARCH_THUMBV8MMAIN: return "thumbv8m.main";
    case WM_AOT_ARCH_AARCH64: return "aarch64";
    case WM_AOT_ARCH_XTENSA_LX106: return "xtensa-lx106";
    default: return "unknown";
    }
}

int wm_aot_attached(const wm_module *mod) { return mod->native != NULL; }

static wm_err bad(wm_error *err, wm_err code, const char *msg)
{
    return wm_fail(err, code, NULL, NULL, msg);
}

/* A function object's size must be a power of two (call_indirect finds a defined function's
 * index with a shift). */
typedef char wm_aot_func_size_is_pow2[(sizeof(wm_func) & (sizeof(wm_func) - 1)) == 0 ? 1 : -1];

static uint32_t log2u(uint32_t v)
{
    uint32_t n = 0;
    while ((1u << n) < v) n++;
    return n;
}

wm_err wm_aot_attach(wm_module *mod, const uint8_t *code, size_t len, uint8_t arch, uint16_t abi,
                     wm_error *err)
{
    return wm_aot_bind(mod, code, len, arch, abi, 0, err);
}

wm_err wm_aot_attach_committed(wm_module *mod, const uint8_t *code, size_t len, uint8_t arch,
                               uint16_t abi, wm_error *err)
{
    return wm_aot_bind(mod, code, len, arch, abi, WM_AOT_BIND_COMMITTED, err);
}

wm_err wm_aot_bind(wm_module *mod, const uint8_t *code, size_t len, uint8_t arch, uint16_t abi,
                   unsigned how, wm_error *err)
{
    int isolated = (how & WM_AOT_BIND_ISOLATED) != 0;
    if (!mod || !code) return bad(err, WM_ERR_ARGS, "aot: NULL argument");
    if (WM_AOT_ARCH_SELF == 0)
        return bad(err, WM_ERR_INVALID, "aot: this runtime build cannot run native code");
    if (arch != WM_AOT_ARCH_SELF)
        return bad(err, WM_ERR_INVALID, "aot: code is for another architecture");
    if (abi != WM_AOT_ABI_VERSION)
        return bad(err, WM_ERR_INVALID, "aot: code is for another AOT ABI version");
    if (((uintptr_t)code & 7u) != 0)
        return bad(err, WM_ERR_ARGS, "aot: code is not 8-byte aligned");
    if (len < WM_AOT_HEADER_BYTES)
        return bad(err, WM_ERR_MALFORMED, "aot: section shorter than its header");
    if (wm_aot_u32(code, WM_AOT_H_MAGIC) != WM_AOT_MAGIC)
        return bad(err, WM_ERR_MALFORMED, "aot: bad magic");
    uint32_t hsize = wm_aot_u32(code, WM_AOT_H_SIZE);
    uint32_t flags = wm_aot_u32(code, WM_AOT_H_FLAGS);
    uint32_t nfuncs = wm_aot_u32(code, WM_AOT_H_NFUNCS);
    uint32_t entries = wm_aot_u32(code, WM_AOT_H_ENTRIES);
    uint32_t types = wm_aot_u32(code, WM_AOT_H_TYPES);
    uint32_t code_off = wm_aot_u32(code, WM_AOT_H_CODE);
    uint32_t code_size = wm_aot_u32(code, WM_AOT_H_CODE_SIZE);
    uint32_t frame = wm_aot_u32(code, WM_AOT_H_FRAME);
    uint32_t align = wm_aot_u32(code, WM_AOT_H_ALIGN);
    if (hsize < WM_AOT_HEADER_BYTES || hsize > len || (flags & ~WM_AOT_F_KNOWN) != 0 ||
        align == 0 || (align & (align - 1u)) != 0 || align > 4096u)
        return bad(err, WM_ERR_MALFORMED, "aot: bad header size, flags or alignment");
    if ((flags & WM_AOT_F_NO_BOUNDS) && !isolated)
        return bad(err, WM_ERR_INVALID,
                   "aot: code without bounds checks runs only isolated "
                   "by the MPU");
    if (wm_aot_u32(code, WM_AOT_H_CTX_SIZE) != sizeof(wm_aot_ctx))
        return bad(err, WM_ERR_INVALID, "aot: code was compiled for another context layout");
    if (wm_aot_u32(code, WM_AOT_H_NIMPORTS) != mod->nfunc_imports ||
        nfuncs != mod->nfuncs - mod->nfunc_imports)
        return bad(err, WM_ERR_INVALID, "aot: function count differs from the module");
    /* tables: 4 bytes per function each, aligned, inside the payload, before the code */
    uint64_t tbytes = (uint64_t)nfuncs * 4u;
    if ((entries & 3u) || (types & 3u) || entries < hsize || types < hsize ||
        (uint64_t)entries + tbytes > code_off || (uint64_t)types + tbytes > code_off ||
        (code_off & 15u) || (uint64_t)code_off + code_size != len)
        return bad(err, WM_ERR_MALFORMED,
                   "aot: table or code offsets out of bounds (or the section was truncated)");
    if (((uintptr_t)(code + code_off) & (align - 1u)) != 0)
        return bad(err, WM_ERR_ARGS, "aot: code is not aligned as it was linked");
    if (frame == 0 || frame > (1u << 20))
        return bad(err, WM_ERR_MALFORMED, "aot: implausible native frame size");
    for (uint32_t j = 0; j < nfuncs; j++) {
        uint32_t e = wm_aot_u32(code, entries + 4u * j);
        if (e != WM_AOT_NO_ENTRY && e >= code_size)
            return bad(err, WM_ERR_MALFORMED, "aot: entry point outside the code");
        const wm_functype *t = mod->funcs[j].type;
        if (wm_aot_u32(code, types + 4u * j) !=
            wm_aot_sig_hash(t->params, t->nparams, t->results, t->nresults))
            return bad(err, WM_ERR_INVALID, "aot: a function's type differs from the module");
        /* at every load, and up to 256 values hashed a function: 68 000 functions of the
         * widest type were ~80 M Cortex-M4 instructions without a watchdog kick */
        wm_work_charge(mod->work, 1u + (t->nparams + t->nresults) / 8u);
    }
    /* The most expensive check (as many instructions as hashing the package again) is made
     * once, when the image is committed; a stored image's content hash, verified at every
     * load, then proves these are the bytes it was made on. */
    if (!(how & WM_AOT_BIND_COMMITTED)) {
        uint8_t digest[32];
        (void)wm_sha256_metered(mod->bytes, mod->len, digest, mod->work);
        if (wm_memcmp(digest, code + WM_AOT_H_MODULE_HASH, 32) != 0)
            return bad(err, WM_ERR_INVALID, "aot: code was compiled from another module");
    }
    mod->native = isolated ? &wm_aot_native_ops_iso : &wm_aot_native_ops;
    mod->native_code = code;
    return WM_OK;
}

static wm_err aot_instantiate(wm_arena *arena, wm_instance *inst, wm_error *err)
{
    const wm_module *m = inst->mod;
    wm_aot_inst *ai = (wm_aot_inst *)wm_arena_alloc(arena, sizeof *ai, 8);
    uint64_t **globals = (uint64_t **)wm_arena_alloc(arena, (m->nglobals + 1) * sizeof(void *), 8);
    wm_aot_table *tables =
        (wm_aot_table *)wm_arena_alloc(arena, (m->ntables + 1) * sizeof(wm_aot_table), 8);
    if (!ai || !globals || !tables)
        return wm_fail(err, WM_ERR_NO_MEMORY, NULL, NULL, "out of memory");
    wm_memset(ai, 0, sizeof *ai);
    for (uint32_t i = 0; i < m->nglobals; i++) globals[i] = &inst->globals[i]->val;
    for (uint32_t i = 0; i < m->ntables; i++) {
        tables[i].elems = inst->tables[i]->elems;
        tables[i].size = &inst->tables[i]->size;
    }
    ai->code = m->native_code;
    ai->frame = wm_aot_u32(ai->code, WM_AOT_H_FRAME);
    wm_aot_ctx *c = &ai->ctx;
    c->globals = (uint64_t *const *)globals;
    c->tables = tables;
    c->funcs = (const void *const *)inst->funcs;
    c->own_base = (uintptr_t)inst->own;
    c->own_shift = log2u((uint32_t)sizeof(wm_func));
    c->nown = m->nfuncs - m->nfunc_imports;
    c->rt = &wm_aot_rt_v1;
    c->inst = inst;
    inst->native = ai;
    if (m->native == &wm_aot_native_ops_iso) return wm_aot_iso_instantiate(arena, inst, ai, err);
    return WM_OK;
}

wm_aot_entry wm_aot_entry_of(const wm_func *f)
{
    const wm_module *m = f->inst->mod;
    const uint8_t *code = m->native_code;
    uint32_t j = (uint32_t)(f->def - m->funcs);
    uint32_t e = wm_aot_u32(code, wm_aot_u32(code, WM_AOT_H_ENTRIES) + 4u * j);
    if (e == WM_AOT_NO_ENTRY) return NULL;
    /* Code and data pointers convert through an integer: the blob is code. */
    return (wm_aot_entry)(uintptr_t)(code + wm_aot_u32(code, WM_AOT_H_CODE) + e);
}

/* wm_aot_native_ops is completed in aot_exec.c (call/resume); instantiate lives here. */
wm_err wm_aot_instantiate_hook(wm_arena *arena, wm_instance *inst, wm_error *err);
wm_err wm_aot_instantiate_hook(wm_arena *arena, wm_instance *inst, wm_error *err)
{
    return aot_instantiate(arena, inst, err);
}
