/* The WASI preview-1 subset a microcontroller can honour (docs/wasi.md), and
 * AssemblyScript's runtime imports. Shared by the files of this folder; the sandbox sees only
 * the import tables (wm_wasi_api, wm_as_api) through wm_sb_import_sets.
 *
 * What exists: fds 0 (stdin: always at end of file), 1 and 2 (stdout/stderr: the module's
 * output, to the log); no preopened directories, no sockets. Every pointer and length from
 * the module is checked against its memory before anything is read or written; host work
 * (bytes written, random bytes) is charged as fuel. */
#ifndef WM_WASI_H
#define WM_WASI_H

#include "../sandbox.h"

/* WASI errno values (wasi_snapshot_preview1.witx). */
enum {
    WM_WASI_ESUCCESS = 0,
    WM_WASI_EBADF = 8,
    WM_WASI_EFAULT = 21,
    WM_WASI_EINVAL = 28,
    WM_WASI_EIO = 29,
    WM_WASI_ENOSYS = 52,
    WM_WASI_ENOTDIR = 54,
    WM_WASI_ENOTSOCK = 57,
    WM_WASI_ENOTSUP = 58,
    WM_WASI_EOVERFLOW = 61,
    WM_WASI_ESPIPE = 70,
    WM_WASI_ENOTCAPABLE = 76
};

/* Bounds on one call's host work (a longer write is a short write; libc loops). */
#define WM_WASI_IOV_MAX 1024u   /* iovecs in one fd_write/fd_read (wasi-libc's IOV_MAX) */
#define WM_WASI_WRITE_MAX 1024u /* bytes one fd_write takes */
#define WM_WASI_POLL_MAX 32u    /* subscriptions in one poll_oneoff */
/* Fuel charged for host work, on top of the call itself: output goes through a UART that
 * is far slower than the interpreter, so a byte costs several units. */
#define WM_WASI_FUEL_PER_OUT_BYTE 4u
/* ... and each piece of output (an OUTPUT event and an entry of the device's log ring,
 * which may have to compact the ring: as a log line, WM_SB_FUEL_LOG_LINE). fd_write takes
 * only the bytes the fuel left pays for (a short write), so one call overshoots its fuel
 * by at most a byte and two pieces. */
#define WM_WASI_FUEL_PER_PIECE WM_SB_FUEL_LOG_LINE
/* Random bytes come from the device's HMAC-DRBG: each request costs its SP 800-90A update
 * steps (about nine SHA-256 compressions twice, some 150 000 instructions on a Cortex-M4,
 * a reseed from the port's source every 1024 requests) and each 32 bytes one HMAC. A
 * random_get fills at most WM_WASI_RANDOM_PIECE bytes per slice: a longer request yields
 * between pieces and completes over several slices (the call blocks, as sleep does), so no
 * request runs one long slice. env.seed (8 bytes) is one request. */
#define WM_WASI_RANDOM_PIECE 64u
#define WM_WASI_FUEL_PER_RANDOM_CALL 6000u
#define WM_WASI_FUEL_PER_RANDOM_BYTE 16u
/* What one request of n random bytes charges. */
#define WM_WASI_RANDOM_FUEL(n) \
    (WM_WASI_FUEL_PER_RANDOM_CALL + (uint64_t)(n)*WM_WASI_FUEL_PER_RANDOM_BYTE)
/* The most one call of random_get or env.seed charges (hostapi.c: shortens the slice). */
#define WM_WASI_FUEL_RANDOM_MAX WM_WASI_RANDOM_FUEL(WM_WASI_RANDOM_PIECE)

const wm_sb_api_entry *wm_wasi_api(uint32_t *count);
const wm_sb_api_entry *wm_as_api(uint32_t *count);
/* The trap message of proc_exit: a trap with exactly this pointer is the module ending
 * itself (wm_sb_exited), whatever happened in earlier calls. */
extern const char wm_wasi_exit_msg[];
/* Linked for a WASI function the manifest does not grant: answers ENOTCAPABLE. */
wm_err wm_wasi_denied(wm_instance *inst, void *user, const wm_val *args, wm_val *results);

/* ---- helpers of this folder ---- */
wm_err wm_wasi_ret(wm_val *results, uint32_t errno_value);
static inline uint32_t wm_wasi_arg(const wm_val *args, uint32_t i) { return args[i].of.i32; }
/* True if fd is one of 0..2 and not closed. */
bool wm_wasi_stdio_open(const wm_sb_module *mod, uint32_t fd);
/* Monotonic nanoseconds from the platform's millisecond clock. */
uint64_t wm_wasi_now_ns(const wm_sb_module *mod);

/* The functions of the import table (wasi_table.c), by file. */
#define WM_WASI_FN(name) \
    wm_err name(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
/* wasi_fd.c */
WM_WASI_FN(wm_wasi_fd_write);
WM_WASI_FN(wm_wasi_fd_read);
WM_WASI_FN(wm_wasi_fd_fdstat_get);
WM_WASI_FN(wm_wasi_fd_filestat_get);
WM_WASI_FN(wm_wasi_fd_close);
WM_WASI_FN(wm_wasi_fd_fdstat_set_flags);
WM_WASI_FN(wm_wasi_fd_spipe);  /* seek, tell, pread, pwrite */
WM_WASI_FN(wm_wasi_fd_notsup); /* advise, allocate, sync, set_rights, set_size, ... */
WM_WASI_FN(wm_wasi_fd_readdir);
WM_WASI_FN(wm_wasi_fd_prestat); /* prestat_get, prestat_dir_name */
WM_WASI_FN(wm_wasi_path);       /* path_* with the directory fd first */
WM_WASI_FN(wm_wasi_path_symlink);
WM_WASI_FN(wm_wasi_sock);
/* wasi_proc.c */
WM_WASI_FN(wm_wasi_args_get);
WM_WASI_FN(wm_wasi_args_sizes_get);
WM_WASI_FN(wm_wasi_environ_get);
WM_WASI_FN(wm_wasi_environ_sizes_get);
WM_WASI_FN(wm_wasi_clock_res_get);
WM_WASI_FN(wm_wasi_clock_time_get);
WM_WASI_FN(wm_wasi_poll_oneoff);
WM_WASI_FN(wm_wasi_proc_exit);
WM_WASI_FN(wm_wasi_proc_raise);
WM_WASI_FN(wm_wasi_sched_yield);
WM_WASI_FN(wm_wasi_random_get);
/* One request of n bytes from the device's random source, charged WM_WASI_RANDOM_FUEL(n):
 * 0, or -1 when the device has no source (random_get and env.seed). */
int wm_wasi_draw_random(wm_instance *inst, wm_sb_module *mod, uint8_t *buf, uint32_t n);
/* AssemblyScript's env.seed (assemblyscript.c): one DRBG request, charged as random_get's. */
wm_err wm_as_seed(wm_instance *inst, void *user, const wm_val *args, wm_val *results);

#endif
