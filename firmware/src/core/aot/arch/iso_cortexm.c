/* iso_cortexm.c - isolation of native code on Cortex-M (ARMv7-M PMSAv7: M3/M4/M7; ARMv8-M
 * Mainline PMSAv8: M33): the MPU regions of a run, its start frame, what it asked for.
 * The switches themselves are the SVCall and fault handlers in iso_thumb.S. See aot_iso.c
 * and docs/aot.md ("Isolation by the MPU").
 *
 * Privilege model: firmware code runs privileged in thread mode on the main stack (MSP) with
 * the MPU off. Native code runs unprivileged in thread mode on the process stack (PSP) = its
 * own stack, with the MPU on (PRIVDEFENA: handlers keep the default map) and regions for
 * exactly the gate, its code, its user block, its stack and its memory. Interrupts taken
 * meanwhile stack their frame on the PSP (checked by the MPU with the module's rights) and
 * run on the MSP. */
#include "aot_internal.h"

#if WM_AOT_ISO_PMSA != 0 && defined(__arm__)

#include "../../base/wm_msg.h"
#include "mpu_cover.h"

#define REG(a) (*(volatile uint32_t *)(uintptr_t)(a))
#define MPU_TYPE 0xE000ED90u
#define MPU_CTRL 0xE000ED94u
#define MPU_RNR 0xE000ED98u
#define MPU_RBAR 0xE000ED9Cu
#define MPU_RASR 0xE000EDA0u /* PMSAv8: RLAR */
#define MPU_MAIR0 0xE000EDC0u
#define SCB_SHCSR 0xE000ED24u

/* The run whose native code is on the CPU (NULL when firmware code runs). Exception handlers
 * get no argument, so this one pointer is the CPU's state, not the runtime's: the SVCall and
 * fault handlers (iso_thumb.S) read it to know where to save native registers or to which
 * run a fault belongs, and clear it when they return to the runtime. */
wm_aot_iso_cpu *volatile wm_aot_iso_cur;
static int g_pmsa; /* set once at start-up by wm_aot_isolation_init */

/* iso_thumb.S: its stubs number the services as WM_AOT_SVC_* does (DONE's is written there) */
typedef char wm_aot_svc_done_is_12[WM_AOT_SVC_DONE == 12 && WM_AOT_SVC_COUNT == 13 ? 1 : -1];
void wm_aot_iso_svc_enter(wm_aot_iso_cpu *cpu);
extern const uint8_t wm_aot_gate_start[], wm_aot_gate_end[];
void wm_aot_gate_done(void);

int wm_aot_isolation(void) { return g_pmsa; }

#if WM_AOT_ISO_PMSA == 7
/* RASR: XN, AP (read-only for both / full access), TEX-S-C-B (normal memory: write-through
 * for code, write-back write-allocate for data). */
#define ATTR_CODE ((6u << 24) | (1u << 17))
#define ATTR_DATA ((1u << 28) | (3u << 24) | (1u << 19) | (1u << 17) | (1u << 16))
#else
/* RBAR: AP read-only any / read-write any, XN; RLAR: AttrIndx (MAIR0 attr 1 WT, 0 WB). */
#define RBAR_CODE (3u << 1)
#define RBAR_DATA ((1u << 1) | 1u)
#define RLAR_CODE (1u << 1)
#define RLAR_DATA 0u
#endif

int wm_aot_isolation_init(void)
{
    uint32_t dregion = (REG(MPU_TYPE) >> 8) & 0xFFu;
    if (dregion < WM_AOT_ISO_REGIONS) return 0; /* no MPU, or too small */
    REG(MPU_CTRL) = 0;
    for (uint32_t i = 0; i < dregion; i++) {
        REG(MPU_RNR) = i;
        REG(MPU_RASR) = 0;
    }
#if WM_AOT_ISO_PMSA == 8
    REG(MPU_MAIR0) = 0xFFu | (0xAAu << 8); /* normal write-back / write-through */
#endif
    /* MemManage, BusFault and UsageFault as their own exceptions (not HardFault), so that
     * iso_thumb.S can tell a module's fault from the firmware's */
    REG(SCB_SHCSR) |= (1u << 16) | (1u << 17) | (1u << 18);
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    g_pmsa = WM_AOT_ISO_PMSA;
    return g_pmsa;
}

size_t wm_aot_iso_granule(uint64_t bytes)
{
#if WM_AOT_ISO_PMSA == 7
    uint32_t align, round;
    wm_mpu_v7_layout(bytes, 2, &align, &round);
    return align;
#else
    (void)bytes;
    return 32;
#endif
}

void wm_aot_iso_one_region(uint64_t bytes, size_t *align, size_t *round)
{
#if WM_AOT_ISO_PMSA == 7
    uint32_t a, r;
    wm_mpu_v7_layout(bytes, 1, &a, &r);
    *align = a;
    *round = r;
#else
    (void)bytes;
    *align = 32;
    *round = 32;
#endif
}

void wm_aot_iso_gate_block(wm_aot_iso_block *b)
{
    b->base = b->lo = (uintptr_t)wm_aot_gate_start;
    b->size = 256; /* the gate is one aligned 256-byte block (iso_thumb.S) */
    b->hi = b->base + b->size;
    b->kind = WM_AOT_ISO_CODE;
    b->regions = 1;
}

int wm_aot_iso_map_make(wm_aot_iso_map *map, const wm_aot_iso_block *b, unsigned n)
{
    unsigned used = 0;
    for (unsigned i = 0; i < n; i++) {
        unsigned k = 0, room = WM_AOT_ISO_REGIONS - used;
        unsigned max = b[i].regions < room ? b[i].regions : room;
        int code = b[i].kind == WM_AOT_ISO_CODE;
#if WM_AOT_ISO_PMSA == 7
        if (wm_mpu_v7_cover((uint32_t)b[i].base, (uint32_t)b[i].size, (uint32_t)b[i].lo,
                            (uint32_t)b[i].hi, code ? ATTR_CODE : ATTR_DATA, max, &map->r[used],
                            &k) != 0)
            return -1;
#else
        if (wm_mpu_v8_cover((uint32_t)b[i].base, (uint32_t)b[i].size, (uint32_t)b[i].lo,
                            (uint32_t)b[i].hi, code ? RBAR_CODE : RBAR_DATA,
                            code ? RLAR_CODE : RLAR_DATA, max, &map->r[used], &k) != 0)
            return -1;
#endif
        used += k;
    }
#if WM_AOT_ISO_PMSA == 7
    for (unsigned i = 0; i < used; i++) map->r[i][0] |= (1u << 4) | i; /* VALID, REGION */
#endif
    map->n = used;
    return 0;
}

void wm_aot_iso_start(wm_aot_run *r, wm_aot_entry entry, wm_aot_ctx *uctx)
{
    /* an exception frame that "returns" into entry(uctx, io), which returns into the gate's
     * DONE stub */
    uint32_t *f = (uint32_t *)(r->hi - 32u);
    f[0] = (uint32_t)(uintptr_t)uctx;
    f[1] = (uint32_t)(uintptr_t)r->io;
    f[2] = f[3] = f[4] = 0;
    f[5] = (uint32_t)(uintptr_t)wm_aot_gate_done | 1u;
    f[6] = (uint32_t)(uintptr_t)entry & ~1u;
    f[7] = 1u << 24; /* xPSR: Thumb */
    wm_memset(&r->cpu, 0, sizeof r->cpu);
    r->cpu.psp = (uint32_t)(uintptr_t)f;
    r->cpu.exc = 0xFFFFFFFDu; /* thread mode, process stack, basic frame */
}

void wm_aot_iso_enter(wm_aot_run *r, const wm_aot_iso_map *map)
{
    for (uint32_t i = 0; i < WM_AOT_ISO_REGIONS; i++) {
        REG(MPU_RNR) = i;
        if (i < map->n) {
            REG(MPU_RBAR) = map->r[i][0];
            REG(MPU_RASR) = map->r[i][1];
        } else {
            REG(MPU_RASR) = 0;
        }
    }
    r->cpu.status = 0;
    r->cpu.ticks = 0;
    wm_aot_iso_svc_enter(&r->cpu); /* the MPU goes on and off in the handlers */
}

/* " at 0x" and a fault address in all eight digits (a register's width, as a debugger shows
 * it; wm_msg_put_hex drops leading zeros). */
static void put_address(wm_msg *m, uint32_t v)
{
    char h[15] = " at 0x";
    for (int i = 0; i < 8; i++) h[6 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 0xFu];
    h[14] = '\0';
    wm_msg_put(m, h);
}

/* A request whose stack pointer (or its stack arguments) lies outside the run's stack. */
static int stack_outside(char *msg, size_t cap)
{
    wm_msg m;
    wm_msg_init(&m, msg, cap);
    wm_msg_put(&m, "native code called the runtime with its stack pointer outside its stack");
    return -1;
}

/* The trap message of a fault of native code. */
static void fault_msg(const wm_aot_iso_cpu *cpu, wm_msg *m)
{
    uint32_t cfsr = cpu->cfsr;
    if (cpu->ipsr == 4u) {           /* MemManage */
        if ((cfsr & 0x3Bu) == 0x01u) /* IACCVIOL alone: a fetch outside its code */
            wm_msg_put(m, "native code executed outside its code (MPU)");
        else
            wm_msg_put(m, "out of bounds memory access (MPU)");
        if (cfsr & 0x80u) put_address(m, cpu->mmfar); /* MMARVALID */
    } else if (cpu->ipsr == 5u) {                     /* BusFault */
        wm_msg_put(m, "bus fault in native code");
        if (cfsr & 0x8000u) put_address(m, cpu->bfar); /* BFARVALID */
    } else if (cfsr & (1u << 20)) {                    /* UsageFault STKOF (v8-M) */
        wm_msg_put(m, "call stack exhausted (native stack limit)");
    } else if (cfsr & (1u << 24)) {
        wm_msg_put(m, "unaligned access in native code");
    } else {
        wm_msg_put(m, "invalid instruction in native code");
    }
}

/* Called by wm_aot_tick_vector (iso_thumb.S) at every tick of the port: 1 when the native
 * code on the CPU has run WM_AOT_ISO_STUCK_TICKS without coming back to the runtime. */
int wm_aot_iso_tick(void);
int wm_aot_iso_tick(void)
{
    wm_aot_iso_cpu *cpu = wm_aot_iso_cur;
    return cpu != NULL && ++cpu->ticks >= WM_AOT_ISO_STUCK_TICKS;
}

int wm_aot_iso_request(wm_aot_run *r, uint32_t *svc, uint64_t a[5], char *msg, size_t cap)
{
    const wm_aot_iso_cpu *cpu = &r->cpu;
    if (cpu->status != WM_AOT_ISO_SERVICE) { /* the message only on the way out */
        wm_msg m;
        wm_msg_init(&m, msg, cap);
        if (cpu->status == WM_AOT_ISO_FAULT) {
            fault_msg(cpu, &m);
        } else if (cpu->status == WM_AOT_ISO_STUCK) {
            wm_msg_put(&m, "native code did not come back to the runtime for ");
            wm_msg_put_u(&m, WM_AOT_ISO_STUCK_TICKS);
            wm_msg_put(&m, " ms (stopped by the timer)");
        } else {
            wm_msg_put(&m, "native code made a supervisor call outside the gate");
        }
        return -1;
    }
    /* the request's exception frame (r0-r3, r12, lr, pc, xPSR [, FP state]) and, for a
     * service of more than four arguments (the context in r0 and three more in r1-r3), the
     * two stack arguments above it, inside this run's stack: mem_init's and table_fill's
     * count is their fifth (before, only table_init and table_copy read the stack, and
     * memory.init and table.fill in isolated native code did nothing, n = 0) */
    uintptr_t psp = cpu->psp;
    uintptr_t fsize = (cpu->exc & 0x10u) ? 32u : 104u;
    if ((psp & 7u) != 0 || psp < r->lo || psp > r->stack_top || r->stack_top - psp < fsize) {
        return stack_outside(msg, cap);
    }
    const uint32_t *f = (const uint32_t *)psp;
    uint32_t w[6] = {f[0], f[1], f[2], f[3], 0, 0};
    *svc = f[4];
    if (*svc == WM_AOT_SVC_MEM_INIT || *svc == WM_AOT_SVC_TABLE_INIT ||
        *svc == WM_AOT_SVC_TABLE_COPY || *svc == WM_AOT_SVC_TABLE_FILL) {
        uintptr_t args = psp + fsize + ((f[7] & 0x200u) ? 4u : 0u);
        if (args > r->stack_top || r->stack_top - args < 8u) {
            return stack_outside(msg, cap);
        }
        w[4] = ((const uint32_t *)args)[0];
        w[5] = ((const uint32_t *)args)[1];
    }
    for (unsigned i = 0; i < 5u; i++) a[i] = w[i + 1u];
    return 0;
}

void wm_aot_iso_ret(wm_aot_run *r, uintptr_t v)
{
    ((uint32_t *)(uintptr_t)r->cpu.psp)[0] = (uint32_t)v; /* the frame's r0 */
}

uintptr_t wm_aot_iso_sp(const wm_aot_run *r) { return r->cpu.psp; }

#endif
