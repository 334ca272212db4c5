/* WASI file descriptors: 0 stdin (always at end of file), 1 stdout and 2 stderr (the
 * module's output), nothing else. Output goes to the platform in pieces of at most
 * WM_LOG_MAX bytes, split at newlines (the newline itself is the piece's "line ends"
 * flag), so the host rebuilds the exact byte stream and a device log stays line-oriented. */
#include "wasi.h"

#include "../sb_api.h"

enum { FILETYPE_CHARACTER_DEVICE = 2 };
#define RIGHT_FD_READ (1u << 1)
#define RIGHT_FD_WRITE (1u << 6)
#define RIGHT_POLL_FD_READWRITE (1u << 27)

wm_err wm_wasi_ret(wm_val *results, uint32_t errno_value)
{
    results[0].type = WM_I32;
    results[0].of.i32 = errno_value;
    return WM_OK;
}

bool wm_wasi_stdio_open(const wm_sb_module *mod, uint32_t fd)
{
    return fd <= 2u && !(mod->wasi.closed & (1u << fd));
}

/* ---- output pieces ---- */

typedef struct {
    wm_sb_module *mod;
    uint32_t flags; /* WM_SB_OUT_STDERR or 0 */
    uint32_t len;
    uint64_t spent;  /* fuel the bytes and pieces taken so far cost */
    uint64_t budget; /* the fuel left when the call began */
    uint8_t buf[WM_LOG_MAX];
} piece;

static void emit(piece *o, bool line_ends)
{
    const wm_sb_platform *pl = &o->mod->host->plat;
    if (pl->output)
        pl->output(pl->ctx, o->mod, o->buf, o->len,
                   o->flags | (line_ends ? 0u : (uint32_t)WM_SB_OUT_PARTIAL));
    else if (pl->log)
        pl->log(pl->ctx, o->mod, o->buf, o->len);
    o->len = 0;
}

/* Takes the bytes of p the fuel left pays for (the call's first byte always, so that it
 * makes progress): a byte WM_WASI_FUEL_PER_OUT_BYTE, a piece it ends WM_WASI_FUEL_PER_PIECE
 * more (each piece is an event and a log ring entry). Returns how many it took: the rest
 * is a short write, which libc retries in the next slice. */
static uint32_t put_bytes(piece *o, const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        bool ends = p[i] == '\n' || o->len + 1u == WM_LOG_MAX;
        uint64_t cost = WM_WASI_FUEL_PER_OUT_BYTE + (ends ? WM_WASI_FUEL_PER_PIECE : 0u);
        if (o->spent > 0 && o->spent + cost > o->budget) return i;
        o->spent += cost;
        if (p[i] == '\n') {
            emit(o, true);
            continue;
        }
        o->buf[o->len++] = p[i];
        if (o->len == WM_LOG_MAX) emit(o, false);
    }
    return n;
}

/* The iovec array [iovs, iovs + n*8): every entry checked against memory before any byte
 * is used (each one alone, so no sum can wrap). 0 or a WASI errno. */
static uint32_t check_iovs(wm_instance *inst, uint32_t iovs, uint32_t n, const uint8_t **arr)
{
    bool fault;
    if (n > WM_WASI_IOV_MAX) return WM_WASI_EINVAL;
    *arr = wm_sb_range(inst, iovs, n * 8u, &fault);
    if (fault) return WM_WASI_EFAULT;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t buf = wm_ld32(*arr + 8u * i), len = wm_ld32(*arr + 8u * i + 4u);
        (void)wm_sb_range(inst, buf, len, &fault);
        if (fault) return WM_WASI_EFAULT;
    }
    return 0;
}

wm_err wm_wasi_fd_write(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    wm_sb_module *mod = user;
    uint32_t fd = wm_wasi_arg(args, 0), n = wm_wasi_arg(args, 2);
    bool fault;
    if ((fd != 1u && fd != 2u) || !wm_wasi_stdio_open(mod, fd))
        return wm_wasi_ret(results, WM_WASI_EBADF);
    uint8_t *nwritten = wm_sb_range(inst, wm_wasi_arg(args, 3), 4, &fault);
    if (fault) return wm_wasi_ret(results, WM_WASI_EFAULT);
    const uint8_t *iov = NULL;
    uint32_t rc = check_iovs(inst, wm_wasi_arg(args, 1), n, &iov);
    if (rc) return wm_wasi_ret(results, rc);
    piece out;
    out.mod = mod;
    out.flags = fd == 2u ? (uint32_t)WM_SB_OUT_STDERR : 0u;
    out.len = 0;
    out.spent = 0;
    out.budget = wm_fuel_left(inst);
    uint32_t done = 0;
    for (uint32_t i = 0; i < n && done < WM_WASI_WRITE_MAX; i++) {
        uint32_t len = wm_ld32(iov + 8u * i + 4u);
        if (len > WM_WASI_WRITE_MAX - done) len = WM_WASI_WRITE_MAX - done;
        const uint8_t *p = wm_sb_range(inst, wm_ld32(iov + 8u * i), len, &fault);
        uint32_t took = p ? put_bytes(&out, p, len) : len;
        done += took;
        if (took < len) break;
    }
    if (out.len) {
        emit(&out, false);
        out.spent += WM_WASI_FUEL_PER_PIECE;
    }
    wm_st32(nwritten, done);
    wm_charge(inst, out.spent); /* past the fuel left by at most a byte and two pieces */
    return wm_wasi_ret(results, WM_WASI_ESUCCESS);
}

/* stdin is at its end: every read returns 0 bytes. */
wm_err wm_wasi_fd_read(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    wm_sb_module *mod = user;
    bool fault;
    if (wm_wasi_arg(args, 0) != 0u || !wm_wasi_stdio_open(mod, 0))
        return wm_wasi_ret(results, WM_WASI_EBADF);
    uint8_t *nread = wm_sb_range(inst, wm_wasi_arg(args, 3), 4, &fault);
    if (fault) return wm_wasi_ret(results, WM_WASI_EFAULT);
    const uint8_t *iov = NULL;
    uint32_t rc = check_iovs(inst, wm_wasi_arg(args, 1), wm_wasi_arg(args, 2), &iov);
    if (rc) return wm_wasi_ret(results, rc);
    wm_st32(nread, 0);
    return wm_wasi_ret(results, WM_WASI_ESUCCESS);
}

wm_err wm_wasi_fd_fdstat_get(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    wm_sb_module *mod = user;
    uint32_t fd = wm_wasi_arg(args, 0);
    bool fault;
    if (!wm_wasi_stdio_open(mod, fd)) return wm_wasi_ret(results, WM_WASI_EBADF);
    uint8_t *st = wm_sb_range(inst, wm_wasi_arg(args, 1), 24, &fault);
    if (fault) return wm_wasi_ret(results, WM_WASI_EFAULT);
    wm_memset(st, 0, 24);
    st[0] = FILETYPE_CHARACTER_DEVICE; /* no seek or tell right: libc treats it as a tty */
    wm_st64(st + 8, (fd == 0 ? RIGHT_FD_READ : RIGHT_FD_WRITE) | RIGHT_POLL_FD_READWRITE);
    return wm_wasi_ret(results, WM_WASI_ESUCCESS);
}

wm_err wm_wasi_fd_filestat_get(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    wm_sb_module *mod = user;
    bool fault;
    if (!wm_wasi_stdio_open(mod, wm_wasi_arg(args, 0))) return wm_wasi_ret(results, WM_WASI_EBADF);
    uint8_t *st = wm_sb_range(inst, wm_wasi_arg(args, 1), 64, &fault);
    if (fault) return wm_wasi_ret(results, WM_WASI_EFAULT);
    wm_memset(st, 0, 64);
    st[16] = FILETYPE_CHARACTER_DEVICE;
    wm_st64(st + 24, 1); /* nlink */
    return wm_wasi_ret(results, WM_WASI_ESUCCESS);
}

wm_err wm_wasi_fd_close(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    wm_sb_module *mod = user;
    uint32_t fd = wm_wasi_arg(args, 0);
    (void)inst;
    if (!wm_wasi_stdio_open(mod, fd)) return wm_wasi_ret(results, WM_WASI_EBADF);
    mod->wasi.closed = (uint8_t)(mod->wasi.closed | (1u << fd));
    return wm_wasi_ret(results, WM_WASI_ESUCCESS);
}

wm_err wm_wasi_fd_fdstat_set_flags(wm_instance *inst, void *user, const wm_val *args,
                                   wm_val *results)
{
    wm_sb_module *mod = user;
    (void)inst;
    if (!wm_wasi_stdio_open(mod, wm_wasi_arg(args, 0))) return wm_wasi_ret(results, WM_WASI_EBADF);
    return wm_wasi_ret(results, wm_wasi_arg(args, 1) == 0 ? WM_WASI_ESUCCESS : WM_WASI_ENOTSUP);
}

/* An open stdio fd answers `on_stdio`, any other fd EBADF. */
static wm_err fd_answer(const wm_sb_module *mod, uint32_t fd, uint32_t on_stdio, wm_val *results)
{
    return wm_wasi_ret(results, wm_wasi_stdio_open(mod, fd) ? on_stdio : WM_WASI_EBADF);
}

/* seek, tell, pread, pwrite: the stdio fds are streams. */
wm_err wm_wasi_fd_spipe(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    (void)inst;
    return fd_answer(user, wm_wasi_arg(args, 0), WM_WASI_ESPIPE, results);
}

/* advise, allocate, set_rights, set_size, set_times, renumber, sync, datasync. */
wm_err wm_wasi_fd_notsup(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    (void)inst;
    return fd_answer(user, wm_wasi_arg(args, 0), WM_WASI_ENOTSUP, results);
}

wm_err wm_wasi_fd_readdir(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    (void)inst;
    return fd_answer(user, wm_wasi_arg(args, 0), WM_WASI_ENOTDIR, results);
}

/* No preopened directory: libc's scan from fd 3 ends at the first EBADF. */
wm_err wm_wasi_fd_prestat(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    (void)inst;
    (void)user;
    (void)args;
    return wm_wasi_ret(results, WM_WASI_EBADF);
}

/* path_*: the directory fd (argument `at`) is never a directory here. */
static wm_err path_answer(void *user, const wm_val *args, uint32_t at, wm_val *results)
{
    return fd_answer(user, wm_wasi_arg(args, at), WM_WASI_ENOTDIR, results);
}

wm_err wm_wasi_path(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    (void)inst;
    return path_answer(user, args, 0, results);
}

wm_err wm_wasi_path_symlink(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    (void)inst;
    return path_answer(user, args, 2, results);
}

wm_err wm_wasi_sock(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    (void)inst;
    return fd_answer(user, wm_wasi_arg(args, 0), WM_WASI_ENOTSOCK, results);
}
