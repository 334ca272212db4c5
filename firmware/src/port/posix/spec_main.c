/* spec_main.c - the posix spec-suite driver: spec_driver over stdin/stdout.
 *
 * Usage: wasmote-spec [--arena-mb N] [--hex-modules] [--predecode]
 * (--predecode: every module runs on the pre-decoded interpreter where it covers it.)
 * Commands on stdin (see src/testing/spec_driver.h). Module sources are file paths, or with
 * --hex-modules inline hex as a device receives them. Exit status 0 at end of input, 1 on a
 * setup failure.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "spec_driver.h"

#define LINE_CAP (1u << 20)

static long posix_read_line(void *ctx, char *buf, size_t cap)
{
    (void)ctx;
    if (fgets(buf, (int)cap, stdin) == NULL) return -1;
    size_t n = strlen(buf);
    if (n > 0 && buf[n - 1] == '\n') {
        buf[--n] = '\0';
        if (n > 0 && buf[n - 1] == '\r') buf[--n] = '\0';
        return (long)n;
    }
    if (feof(stdin)) return (long)n;
    /* Too long: drop the rest of the line so the next one starts clean. */
    int c;
    while ((c = getchar()) != EOF && c != '\n') {
    }
    return -2;
}

static void posix_write(void *ctx, const char *data, size_t len)
{
    (void)ctx;
    fwrite(data, 1, len, stdout);
    /* The host waits for each answer, so push it out at every line end. */
    if (len > 0 && data[len - 1] == '\n') fflush(stdout);
}

static wm_err posix_module_bytes(void *ctx, const char *src, wm_arena *arena, const uint8_t **bytes,
                                 size_t *len)
{
    (void)ctx;
    FILE *f = fopen(src, "rb");
    if (f == NULL) return WM_ERR_NOT_FOUND;
    wm_err rc = WM_ERR_NOT_FOUND;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        if (size >= 0 && fseek(f, 0, SEEK_SET) == 0) {
            /* One spare byte so that an empty file still gets a non-NULL buffer. */
            uint8_t *buf = wm_arena_alloc(arena, (size_t)size + 1, 8);
            if (buf == NULL) {
                rc = WM_ERR_NO_MEMORY;
            } else if (fread(buf, 1, (size_t)size, f) == (size_t)size) {
                *bytes = buf;
                *len = (size_t)size;
                rc = WM_OK;
            }
        }
    }
    fclose(f);
    return rc;
}

/* AOT code from packages runs from private read+execute mappings (never writable and
 * executable at once); `reset` (code NULL) unmaps them all. */
typedef struct posix_exec_map {
    struct posix_exec_map *next;
    void *base;
    size_t size;
} posix_exec_map;

static const uint8_t *posix_exec_code(void *ctx, const uint8_t *code, size_t len)
{
    posix_exec_map **list = (posix_exec_map **)ctx;
    if (code == NULL) {
        while (*list != NULL) {
            posix_exec_map *m = *list;
            *list = m->next;
            munmap(m->base, m->size);
            free(m);
        }
        return NULL;
    }
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t size = (len + page - 1) / page * page;
    posix_exec_map *m = malloc(sizeof *m);
    void *p = size ? mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                   : MAP_FAILED;
    if (m == NULL || p == MAP_FAILED) {
        free(m);
        return NULL;
    }
    memcpy(p, code, len);
    if (mprotect(p, size, PROT_READ | PROT_EXEC) != 0) {
        munmap(p, size);
        free(m);
        return NULL;
    }
    m->base = p;
    m->size = size;
    m->next = *list;
    *list = m;
    return p;
}

int main(int argc, char **argv)
{
    size_t arena_mb = 256;
    bool predecode = false;
    wm_sd_io io = {NULL, posix_read_line, posix_write, posix_module_bytes};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--arena-mb") == 0 && i + 1 < argc) {
            arena_mb = (size_t)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--predecode") == 0) {
            predecode = true;
        } else if (strcmp(argv[i], "--hex-modules") == 0) {
            io.module_bytes = wm_sd_hex_module_bytes;
        } else {
            fprintf(stderr, "usage: %s [--arena-mb N] [--hex-modules] [--predecode]\n", argv[0]);
            return 1;
        }
    }
    void *mem = malloc(arena_mb << 20);
    char *line = malloc(LINE_CAP);
    if (mem == NULL || line == NULL || arena_mb == 0) {
        fprintf(stderr, "cannot allocate a %zu MiB arena\n", arena_mb);
        return 1;
    }
    wm_spec_driver d;
    wm_err rc = wm_sd_init(&d, &io, mem, arena_mb << 20);
    if (rc != WM_OK) {
        fprintf(stderr, "cannot build the spectest module: %s\n", wm_err_name(rc));
        return 1;
    }
    posix_exec_map *maps = NULL;
    d.load = wm_sd_load_package;
    d.exec_code = posix_exec_code;
    d.exec_ctx = &maps;
    d.predecode = predecode;
    wm_sd_run(&d, line, LINE_CAP);
    posix_exec_code(&maps, NULL, 0);
    free(line);
    free(mem);
    return 0;
}
