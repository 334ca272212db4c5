/* aot.h - binding ahead-of-time compiled native code to a loaded module (docs/aot.md).
 *
 * After wm_load, a port or the sandbox attaches the AOT section of the module's package;
 * from then on wm_instantiate, wm_call, wm_resume, wm_abort, wm_yield and wm_fuel_left work
 * exactly as for interpreted code (same fuel units, same trap messages), but the module's
 * functions run as native code. Nothing above wasmote.h needs to know.
 *
 * The code is executed in place: `code` must stay valid and unchanged as long as the module
 * and its instances, and must be executable (flash or RAM on a microcontroller; on a posix
 * host the port maps it executable first).
 */
#ifndef WM_AOT_H
#define WM_AOT_H

#include <stddef.h>
#include <stdint.h>

#include "wasmote.h"
#include "wm_aot_abi.h"

/* The architecture code this build of the runtime runs natively (0 = none: AOT sections
 * are ignored and the interpreter runs). It needs an arch switch in aot/arch/. */
#if defined(__x86_64__)
#define WM_AOT_ARCH_SELF WM_AOT_ARCH_X86_64
#elif defined(__aarch64__)
#define WM_AOT_ARCH_SELF WM_AOT_ARCH_AARCH64
#elif defined(__thumb2__) && defined(__ARM_ARCH_8M_MAIN__) && defined(__ARM_FP)
#define WM_AOT_ARCH_SELF WM_AOT_ARCH_THUMBV8MMAIN
#elif defined(__thumb2__) && defined(__ARM_ARCH_7EM__) && defined(__ARM_FP)
#define WM_AOT_ARCH_SELF WM_AOT_ARCH_THUMBV7EM
#elif defined(__thumb2__) && (defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__)) && \
    !defined(__ARM_FP)
#define WM_AOT_ARCH_SELF WM_AOT_ARCH_THUMBV7M
#elif defined(__riscv) && __riscv_xlen == 32 && defined(__riscv_mul) && \
    defined(__riscv_compressed) && !defined(__riscv_flen)
#define WM_AOT_ARCH_SELF WM_AOT_ARCH_RV32IMAC
#else
#define WM_AOT_ARCH_SELF 0u
#endif

/* Stack bytes kept free below the deepest native frame for runtime helpers and interrupt
 * handlers that run on a module's stack (a port may raise it). */
#ifndef WM_AOT_STACK_RESERVE
#define WM_AOT_STACK_RESERVE 1024u
#endif

/* Binds native code to `mod`. `code`/`len` is the AOT section payload after its 8-byte
 * header (docs/module-format.md), `arch`/`abi` the values of that header. Checks the
 * architecture and ABI version against this runtime, the header, every offset and size,
 * the function count and every function's type against the module, and that the code was
 * compiled from exactly this module (SHA-256). On failure the module is left interpreted:
 * WM_ERR_INVALID (does not belong to this runtime or module) or WM_ERR_MALFORMED (the
 * section itself is damaged), with a message saying what. Attach before instantiating. */
wm_err wm_aot_attach(wm_module *mod, const uint8_t *code, size_t len, uint8_t arch,
                     uint16_t abi, wm_error *err);

/* True when `mod` runs native code. */
int wm_aot_attached(const wm_module *mod);

/* Static name of an architecture code, e.g. "thumbv7em" ("none" for 0). */
const char *wm_aot_arch_name(uint32_t arch);

#endif /* WM_AOT_H */
