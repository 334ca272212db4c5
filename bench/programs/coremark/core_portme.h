/* CoreMark port for wasmote's benchmarks (from barebones/core_portme.h of eembc/coremark):
 * every engine - the wasm module, the host executable, the Cortex-M4 image - builds the
 * same port. No clock and no console: the bench counts instructions outside the program,
 * and ee_printf only picks up the validation (coremark_run.c). */
#ifndef CORE_PORTME_H
#define CORE_PORTME_H

#include <stddef.h>
#include <stdint.h>

#define HAS_FLOAT 0
#define HAS_TIME_H 0
#define USE_CLOCK 0
#define HAS_STDIO 0
#define HAS_PRINTF 0
#define COMPILER_VERSION "see bench/workloads.py"
#define COMPILER_FLAGS "see bench/workloads.py"
#define MEM_LOCATION "STATIC"

typedef signed short ee_s16;
typedef unsigned short ee_u16;
typedef signed int ee_s32;
typedef double ee_f32;
typedef unsigned char ee_u8;
typedef unsigned int ee_u32;
typedef uintptr_t ee_ptr_int; /* holds a pointer on every target (8 bytes on the host) */
typedef size_t ee_size_t;

#define align_mem(x) (void *)(4 + (((ee_ptr_int)(x)-1) & ~3))

#define CORETIMETYPE ee_u32
typedef ee_u32 CORE_TICKS;

#define SEED_METHOD SEED_VOLATILE
#define MEM_METHOD MEM_STATIC
#define MULTITHREAD 1
#define USE_PTHREAD 0
#define USE_FORK 0
#define USE_SOCKET 0
#define MAIN_HAS_NOARGC 1
#define MAIN_HAS_NORETURN 0

extern ee_u32 default_num_contexts;

typedef struct CORE_PORTABLE_S {
    ee_u8 portable_id;
} core_portable;

void portable_init(core_portable *p, int *argc, char *argv[]);
void portable_fini(core_portable *p);

/* TOTAL_DATA_SIZE 2000 with seeds 0, 0, 0x66: the "2K performance run" CoreMark knows
 * the CRCs of */
#define PERFORMANCE_RUN 1

int ee_printf(const char *fmt, ...);

#endif /* CORE_PORTME_H */
