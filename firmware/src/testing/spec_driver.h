/* spec_driver.h - a line-oriented command interpreter that drives the runtime core for the
 * WebAssembly spec suite (and `wasmote exec`). Portable and freestanding: the posix port
 * feeds it stdin/stdout, a device feeds it its UART. The host (Python) reads the suite's
 * JSON, sends commands and judges the answers; this side stays dumb.
 *
 * LINE FORMAT (one command per line, tokens separated by one space, answer = one line)
 *
 * Tokens that are names (module names, export names, register names, module sources) are
 * percent-encoded by the host: every byte outside 0x21..0x7e and '%' itself is sent as %XX;
 * a lone "%" is the empty name. Export names may contain NUL (%00), other names may not.
 * Values are TYPE:BITS with BITS the raw bit pattern in lowercase hex (floats as IEEE
 * bits): i32:2a  i64:ffffffffffffffff  f32:7fc00000  f64:3ff0000000000000
 * funcref:null  externref:null  externref:HANDLE (hex host handle; funcref results that
 * are not null print as funcref:1 - their identity is not observable).
 *
 *   module NAME SRC        load, validate, instantiate; on success it becomes the current
 *                          module (and is called NAME unless NAME is "-").  -> ok
 *                          SRC is handed to the port's module_bytes callback: a file path
 *                          on posix, the module's bytes as hex on a device.
 *   probe SRC              the same, but the instance never becomes current or named (for
 *                          assert_invalid/_malformed/_unlinkable/_uninstantiable).
 *   register AS NAME       make NAME's exports importable as module AS ("-" = current).
 *   invoke NAME FIELD V..  call export FIELD of module NAME ("-" = current). -> ok V..
 *   get NAME FIELD         read exported global FIELD.                       -> ok V
 *   exports NAME           -> ok KIND:NAME[:PARAMS:RESULTS] ...  KIND func, table, memory,
 *                          global; NAME percent-encoded (':' as %3A too); funcs carry their
 *                          signature in wm_host_func letters (i I f F r e): func:add:ii:i
 *   fuel N                 budget (decimal) for each later invoke; 0 = unlimited.
 *   resume NAME N          continue NAME's call suspended by outoffuel with N more fuel
 *                          (decimal) -> the call's answer (maybe outoffuel again). An invoke
 *                          on a suspended module drops the suspended call first.
 *   slices N...            (at most 16; none to stop) an invoke that runs out of fuel is
 *                          resumed by the driver itself with these fuels in turn until it
 *                          ends: exact suspension without a round trip per slice.
 *   resumes                -> ok N: how often those slices cut a call so far.
 *   watch OFF LEN...       (at most 4 ranges, decimal; none to stop) at each of those cuts,
 *                          hash these bytes of the instance's memory (cut at its end) into
 *                          a trail: where each suspension happened, as the program shows it.
 *   trail                  -> ok HASH N: the trail (hex) of the N cuts since the last
 *                          `trail` (or `watch`), then starts a new one.
 *   limit KEY N            per-instance limits (wm_limits) for later modules: KEY is stack
 *                          (value slots), depth (call depth), memcap (byte budget of a linear
 *                          memory), memreserve (bytes reserved for memory.grow) or tablecap.
 *   reset                  forget every module and registration and rebuild spectest
 *                          (its table may hold their functions); frees their arena memory.
 *   mem                    -> ok USED SIZE  (arena bytes, decimal)
 *
 * A module SRC may also be a package (.wmp, docs/module-format.md): its module is loaded and,
 * when it carries AOT code for this runtime's architecture (core/aot/aot.h), that code is
 * attached and runs natively. This harness trusts what it is given: no signature policy
 * (the device's install path, core/sandbox, applies it). A package for another architecture
 * runs interpreted; a damaged AOT section is an error (KIND malformed or invalid).
 *
 * Answers other than ok:
 *   error KIND OFFSET MESSAGE   KIND is malformed | invalid | unlinkable | nomemory |
 *                               notfound | args | state | limit | driver; OFFSET is the byte
 *                               offset in the module (hex, 0 when none).
 *   trap MESSAGE                a trap (also from a start function / segment init).
 *   exhausted MESSAGE           call stack exhausted (value stack or call depth limit).
 *   outoffuel                   the budget ran out; the call is suspended (see resume).
 *
 * The `spectest` module is always importable: print, print_i32, print_i64, print_f32,
 * print_f64, print_i32_f32, print_f64_f64 (do nothing), global_i32 = 666, global_i64 = 666,
 * global_f32 = 666.6, global_f64 = 666.6, table (funcref 10..20), memory (1..2 pages).
 */
#ifndef WM_SPEC_DRIVER_H
#define WM_SPEC_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#include "wasmote.h"

/* What the port provides. */
#define WM_SD_MAX_SLICES 16u
#define WM_SD_MAX_WATCH 4u

typedef struct wm_sd_io {
    void *ctx;
    /* Reads the next line into buf (without the line end, NUL-terminated, at most cap-1
     * bytes). Returns its length, -1 at end of input, -2 when the line did not fit. */
    long (*read_line)(void *ctx, char *buf, size_t cap);
    /* Writes len bytes of answer text. The driver ends every answer with "\n". */
    void (*write)(void *ctx, const char *data, size_t len);
    /* Turns a (decoded) module source token into the module's bytes, allocated from `arena`
     * so they live exactly as long as the module. Returns WM_OK, WM_ERR_NO_MEMORY or
     * WM_ERR_NOT_FOUND (source unreadable / not valid hex). */
    wm_err (*module_bytes)(void *ctx, const char *src, wm_arena *arena, const uint8_t **bytes,
                           size_t *len);
} wm_sd_io;

typedef struct wm_sd_named wm_sd_named;

/* All driver state; the port owns it (no globals). */
typedef struct wm_spec_driver wm_spec_driver;
struct wm_spec_driver {
    wm_sd_io io;
    wm_arena arena; /* modules, instances, module bytes */
    wm_arena meta;  /* names and linker entries (1/16 of the memory) */
    wm_linker linker;
    wm_linker base_linker; /* the linker right after spectest was added (for reset) */
    size_t base_mark;      /* arena mark right after spectest was built (for reset) */
    size_t base_meta_mark;
    wm_instance *current;
    wm_sd_named *named; /* list of NAME -> instance, in the meta arena */
    wm_limits limits;
    uint64_t fuel;
    uint32_t suspended_results; /* result count of the call an outoffuel suspended */
    /* `slices A B ...`: a call that runs out of fuel is resumed here, with these fuels in
     * turn, until it ends (no round trip per slice); none: it answers outoffuel. */
    uint32_t slices[WM_SD_MAX_SLICES];
    uint32_t nslices, next_slice;
    uint64_t resumes; /* how often those slices cut a call (`resumes`) */
    /* `watch OFF LEN ...`: memory ranges hashed at each cut into `trail` (`trail_cuts` of
     * them), so a test sees where each suspension happened, not only how many there were */
    uint32_t watch[2 * WM_SD_MAX_WATCH];
    uint32_t nwatch;
    uint64_t trail, trail_cuts;
    /* Optional (set after wm_sd_init; NULL = wm_load): loads a module from SRC's bytes into
     * d->arena. wm_sd_load_package (spec_aot.c) also takes packages with AOT code. On a
     * failure that is not the runtime's, it returns an error with err->code WM_OK and a
     * message (answered as `error driver`). */
    wm_err (*load)(struct wm_spec_driver *d, const uint8_t *bytes, size_t len, wm_module **out,
                   wm_error *err);
    /* Optional (set after wm_sd_init; NULL = AOT code runs in place, as on a device):
     * returns an executable copy of `len` bytes of AOT code, aligned to 4096, or NULL when
     * out of space; called with code NULL on `reset` to release every copy. */
    const uint8_t *(*exec_code)(void *ctx, const uint8_t *code, size_t len);
    void *exec_ctx;
    char load_msg[128]; /* a `load` hook's message (err->msg may point here) */
#if WM_PREDECODE
    /* Every module loaded is translated to the pre-decoded form (docs/predecoded.md), in
     * the arena; one the translator does not cover runs in place. Counts of each. */
    bool predecode;
    uint32_t pd_modules, pd_in_place;
    uint64_t pd_form_bytes, pd_code_bytes; /* the forms' sizes, their modules' code bodies */
#endif
};

/* Sets up the driver over `mem` (the arena for everything) and builds spectest. */
wm_err wm_sd_init(wm_spec_driver *d, const wm_sd_io *io, void *mem, size_t size);

/* Executes one command line (modified in place) and writes its answer. */
void wm_sd_exec_line(wm_spec_driver *d, char *line);

/* Reads and executes lines until the end of input. `buf` is the line buffer. */
void wm_sd_run(wm_spec_driver *d, char *buf, size_t cap);

/* A `load` hook (spec_aot.c): a package (.wmp) loads its module and attaches its AOT code
 * for this architecture, if any (no signature policy: the harness trusts its input); other
 * bytes load as a plain module. */
wm_err wm_sd_load_package(wm_spec_driver *d, const uint8_t *bytes, size_t len, wm_module **out,
                          wm_error *err);

/* A ready-made module_bytes callback for ports that receive modules inline: SRC is the
 * module's bytes as hex (two digits per byte, either case), decoded into the arena. */
wm_err wm_sd_hex_module_bytes(void *ctx, const char *src, wm_arena *arena, const uint8_t **bytes,
                              size_t *len);

#endif /* WM_SPEC_DRIVER_H */
