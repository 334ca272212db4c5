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
 * are ignored and the interpreter runs). It needs an arch switch in aot/arch/.
 * WM_AOT_DISABLE: a board whose store is not executable (the ESP8266's RAM store). */
#if defined(WM_AOT_DISABLE)
#define WM_AOT_ARCH_SELF 0u
#elif defined(__x86_64__)
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
#elif defined(__XTENSA__) && defined(__XTENSA_CALL0_ABI__) && defined(__XTENSA_SOFT_FLOAT__)
#define WM_AOT_ARCH_SELF WM_AOT_ARCH_XTENSA_LX106
#else
#define WM_AOT_ARCH_SELF 0u
#endif

/* Isolation (docs/aot.md, "Isolation by the MPU"): native code runs unprivileged with MPU
 * regions for exactly its code, its memory, its stack and the data it reaches through its
 * context; every call into the runtime crosses back to privileged code through a gate (SVC),
 * and a fault becomes a trap of that module. WM_AOT_ISO_PMSA is the MPU architecture this
 * build programs: 7 (PMSAv7: Cortex-M3/M4/M7), 8 (PMSAv8: Cortex-M33), 0 none. A posix
 * build with WM_AOT_ISO_SIM runs the same gate and services without protection (tests). */
#if WM_AOT_ARCH_SELF != 0 && defined(__arm__) && defined(__ARM_ARCH_8M_MAIN__)
#define WM_AOT_ISO_PMSA 8
#elif WM_AOT_ARCH_SELF != 0 && defined(__arm__) && \
    (defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__))
#define WM_AOT_ISO_PMSA 7
#elif WM_AOT_ARCH_SELF != 0 && defined(WM_AOT_ISO_SIM)
#define WM_AOT_ISO_PMSA 7
#else
#define WM_AOT_ISO_PMSA 0
#endif

/* Native code that does not come back to the runtime (its fuel checks call the gate at
 * least every WM_AOT_ISO_SLICE units; code that skips them, a hostile or broken image, never
 * does) is stopped by the port's tick after WM_AOT_ISO_STUCK_TICKS ticks (the Cortex-M ports
 * tick at 1 kHz), a trap of its module, well before the watchdog would reset the board.
 * Honest code cannot trip it: a unit of fuel buys at most ~32 instructions on a Cortex-M4F
 * (docs/supervisor.md, "Fuel"), so 40000 units are at most ~1.3 M instructions, 51 ms at
 * 25 MHz (soft-float cores pay more for float arithmetic per unit; still well under it).
 * Fewer units per trip cost more gate trips (10000 cost isolated code ~10 %). */
#ifndef WM_AOT_ISO_STUCK_TICKS
#define WM_AOT_ISO_STUCK_TICKS 500u
#endif
#ifndef WM_AOT_ISO_SLICE
#define WM_AOT_ISO_SLICE 40000u
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
wm_err wm_aot_attach(wm_module *mod, const uint8_t *code, size_t len, uint8_t arch, uint16_t abi,
                     wm_error *err);

/* As wm_aot_attach, but the module's native code will run isolated (see above): its
 * instances are laid out for the MPU and every call runs unprivileged. WM_ERR_INVALID when
 * this build or board cannot isolate (wm_aot_isolation() == 0); WM_ERR_LIMIT when the MPU's
 * regions cannot cover the code where it lies (too large for them at that address): the
 * section is sound, and the module can run interpreted. */
wm_err wm_aot_attach_isolated(wm_module *mod, const uint8_t *code, size_t len, uint8_t arch,
                              uint16_t abi, wm_error *err);

/* As wm_aot_attach / wm_aot_attach_isolated with every check but the module's SHA-256: for
 * a section of a stored image that passed the full check (wm_sb_check, at its commit) and
 * whose package content hash the caller has verified since (wm_pkg_parse at every load),
 * which covers the module and the section: the same bytes, so the same binding. Loading
 * then hashes once (the package), not twice (the package and the module). */
wm_err wm_aot_attach_committed(wm_module *mod, const uint8_t *code, size_t len, uint8_t arch,
                               uint16_t abi, wm_error *err);
wm_err wm_aot_attach_isolated_committed(wm_module *mod, const uint8_t *code, size_t len,
                                        uint8_t arch, uint16_t abi, wm_error *err);

/* Sets up isolation once at start-up (the port calls it after wiring the SVCall and
 * MemManage/BusFault/UsageFault vectors to core/aot: wm_aot_svc_vector, wm_aot_fault_vector).
 * Returns the PMSA version in use (7, 8), or 0 when the CPU has no usable MPU. */
int wm_aot_isolation_init(void);
/* The PMSA version isolation runs with (0: not initialised or not available). */
int wm_aot_isolation(void);

/* True when `mod` runs native code. */
int wm_aot_attached(const wm_module *mod);

/* Static name of an architecture code, e.g. "thumbv7em" ("none" for 0). */
const char *wm_aot_arch_name(uint32_t arch);

#endif /* WM_AOT_H */
