/* harness.h - what the posix-built C test programs under tests/ share: their checks, bit
 * casts, file reading and wasm value builders. Test harness code, never in the product.
 * Builders add -I tests/harness/c (tests/harness/c_harness.py: INCLUDE_DIR). */
#ifndef WM_TEST_HARNESS_H
#define WM_TEST_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a failed CHECK names besides the place (e.g. which pass of a twice-run case);
 * define it before this header; a null string names nothing. */
#ifndef CHECK_CONTEXT
#define CHECK_CONTEXT ((const char *)0)
#endif

static inline void check_report(const char *file, int line, const char *context)
{
    if (context)
        printf("FAIL %s:%d (%s): ", file, line, context);
    else
        printf("FAIL %s:%d: ", file, line);
}

/* A check that ends the program at once (exit 1) with where and what failed. */
#define CHECK(c)                                             \
    do {                                                     \
        if (!(c)) {                                          \
            check_report(__FILE__, __LINE__, CHECK_CONTEXT); \
            printf("%s\n", #c);                              \
            exit(1);                                         \
        }                                                    \
    } while (0)

/* How many EXPECTs failed so far (the program says so and exits 1 at the end). */
static inline unsigned *expect_failures(void)
{
    static unsigned n;
    return &n;
}

/* A check that reports (printf-style message) and counts, and goes on: a sweep over cut
 * points says everything it found. */
#define EXPECT(cond, ...)                                    \
    do {                                                     \
        if (!(cond)) {                                       \
            check_report(__FILE__, __LINE__, CHECK_CONTEXT); \
            printf(__VA_ARGS__);                             \
            printf("\n");                                    \
            ++*expect_failures();                            \
        }                                                    \
    } while (0)

/* Bit patterns of floats and back, without aliasing. */
static inline uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static inline uint64_t f64_bits(double f)
{
    uint64_t u;
    memcpy(&u, &f, 8);
    return u;
}
static inline float f32_of(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static inline double f64_of(uint64_t u)
{
    double f;
    memcpy(&f, &u, 8);
    return f;
}

/* The whole file at `path` in a malloc'd buffer (one spare byte); CHECKs that it reads. */
static inline unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    CHECK(b && fread(b, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* Argument values for programs of the runtime's API (include this after wasmote.h). */
#ifdef WASMOTE_H
static inline wm_val i32v(uint32_t v)
{
    wm_val x;
    x.type = WM_I32;
    x.of.i64 = 0;
    x.of.i32 = v;
    return x;
}
static inline wm_val i64v(uint64_t v)
{
    wm_val x;
    x.type = WM_I64;
    x.of.i64 = v;
    return x;
}

/* A module file loaded into a fresh malloc'd arena (both CHECKed), for programs that measure
 * or translate one module; unload_module_file frees the arena and the file's bytes. */
typedef struct loaded_module {
    unsigned char *mem, *bytes;
    wm_arena arena;
    wm_module *m;
} loaded_module;
static inline void load_module_file(loaded_module *l, const char *path, size_t arena_size)
{
    size_t len;
    l->mem = malloc(arena_size);
    l->bytes = read_file(path, &len);
    CHECK(l->mem != NULL);
    wm_arena_init(&l->arena, l->mem, arena_size);
    wm_error e;
    CHECK(wm_load(&l->arena, l->bytes, len, &l->m, &e) == WM_OK);
}
static inline void unload_module_file(loaded_module *l)
{
    free(l->bytes);
    free(l->mem);
}
#endif

#endif
