/* WASI's process functions: arguments and environment (from the manifest), clocks, sleeping
 * in poll_oneoff (a blocking call, like sleep_ms), exit, yield, random bytes. */
#include "wasi.h"

enum {
    CLOCK_REALTIME = 0,
    CLOCK_MONOTONIC = 1,
    CLOCK_PROCESS_CPUTIME = 2,
    CLOCK_THREAD_CPUTIME = 3
};
enum { EVENT_CLOCK = 0, EVENT_FD_READ = 1, EVENT_FD_WRITE = 2 };
#define SUBSCRIPTION_SIZE 48u
#define EVENT_SIZE 32u
#define NS_PER_MS 1000000u

/* ---- arguments and environment ---- */

/* argv (the module's name, then the manifest's arguments) or the environment. */
typedef struct {
    const char *first; /* NULL: none */
    uint32_t n;
    const uint8_t *list; /* n x (u8 length, bytes) */
} strset;

static strset argv_of(const wm_sb_module *mod)
{
    strset s = {mod->manifest.name, mod->manifest.nargs, mod->manifest.args};
    return s;
}

static strset env_of(const wm_sb_module *mod)
{
    strset s = {NULL, mod->manifest.nenv, mod->manifest.env};
    return s;
}

static void set_sizes(const strset *s, uint32_t *count, uint32_t *bytes)
{
    *count = s->n + (s->first ? 1u : 0u);
    *bytes = s->first ? (uint32_t)wm_strlen(s->first) + 1u : 0u;
    const uint8_t *p = s->list;
    for (uint32_t i = 0; i < s->n; i++) {
        *bytes += p[0] + 1u;
        p += 1u + p[0];
    }
}

static wm_err sizes_get(wm_instance *inst, const strset *s, const wm_val *args, wm_val *results)
{
    bool f1, f2;
    uint8_t *count = wm_sb_range(inst, wm_wasi_arg(args, 0), 4, &f1);
    uint8_t *size = wm_sb_range(inst, wm_wasi_arg(args, 1), 4, &f2);
    if (f1 || f2) return wm_wasi_ret(results, WM_WASI_EFAULT);
    uint32_t n, bytes;
    set_sizes(s, &n, &bytes);
    wm_st32(count, n);
    wm_st32(size, bytes);
    return wm_wasi_ret(results, WM_WASI_ESUCCESS);
}

/* Pointers at vec (n x u32), NUL-terminated strings at buf; both checked whole first. */
static wm_err strings_get(wm_instance *inst, const strset *s, const wm_val *args, wm_val *results)
{
    uint32_t n, bytes, vec = wm_wasi_arg(args, 0), buf = wm_wasi_arg(args, 1);
    bool f1, f2;
    set_sizes(s, &n, &bytes);
    uint8_t *v = wm_sb_range(inst, vec, n * 4u, &f1);
    uint8_t *b = wm_sb_range(inst, buf, bytes, &f2);
    if (f1 || f2) return wm_wasi_ret(results, WM_WASI_EFAULT);
    uint32_t at = 0, k = 0;
    if (s->first) {
        uint32_t len = (uint32_t)wm_strlen(s->first);
        wm_st32(v, buf);
        wm_memcpy(b, s->first, len);
        b[len] = 0;
        at = len + 1u;
        k = 1;
    }
    const uint8_t *p = s->list;
    for (uint32_t i = 0; i < s->n; i++, k++) {
        wm_st32(v + 4u * k, buf + at);
        wm_memcpy(b + at, p + 1, p[0]);
        b[at + p[0]] = 0;
        at += p[0] + 1u;
        p += 1u + p[0];
    }
    return wm_wasi_ret(results, WM_WASI_ESUCCESS);
}

WM_WASI_FN(wm_wasi_args_sizes_get)
{
    strset s = argv_of(user);
    return sizes_get(inst, &s, args, results);
}

WM_WASI_FN(wm_wasi_args_get)
{
    strset s = argv_of(user);
    return strings_get(inst, &s, args, results);
}

WM_WASI_FN(wm_wasi_environ_sizes_get)
{
    strset s = env_of(user);
    return sizes_get(inst, &s, args, results);
}

WM_WASI_FN(wm_wasi_environ_get)
{
    strset s = env_of(user);
    return strings_get(inst, &s, args, results);
}

/* ---- clocks ---- */

uint64_t wm_wasi_now_ns(const wm_sb_module *mod)
{
    const wm_sb_platform *pl = &mod->host->plat;
    return (pl->now_ms ? pl->now_ms(pl->ctx) : 0u) * NS_PER_MS;
}

/* 0 with *ns, or a WASI errno. The device clock counts milliseconds; a board that does not
 * know the date starts the realtime clock at 1970 at boot. */
static uint32_t clock_now(const wm_sb_module *mod, uint32_t id, uint64_t *ns)
{
    const wm_sb_platform *pl = &mod->host->plat;
    switch (id) {
    case CLOCK_REALTIME:
        if (pl->realtime_ns && pl->realtime_ns(pl->ctx, ns)) return 0;
        *ns = wm_wasi_now_ns(mod);
        return 0;
    case CLOCK_MONOTONIC: *ns = wm_wasi_now_ns(mod); return 0;
    case CLOCK_PROCESS_CPUTIME:
    case CLOCK_THREAD_CPUTIME: return WM_WASI_ENOTSUP; /* no per-module CPU clock */
    default: return WM_WASI_EINVAL;
    }
}

WM_WASI_FN(wm_wasi_clock_res_get)
{
    uint32_t id = wm_wasi_arg(args, 0);
    uint64_t ns;
    bool fault;
    uint32_t rc = clock_now(user, id, &ns);
    if (rc) return wm_wasi_ret(results, rc);
    uint8_t *out = wm_sb_range(inst, wm_wasi_arg(args, 1), 8, &fault);
    if (fault) return wm_wasi_ret(results, WM_WASI_EFAULT);
    const wm_sb_platform *pl = &((wm_sb_module *)user)->host->plat;
    bool fine = id == CLOCK_REALTIME && pl->realtime_ns && pl->realtime_ns(pl->ctx, &ns);
    wm_st64(out, fine ? 1000u : NS_PER_MS);
    return wm_wasi_ret(results, WM_WASI_ESUCCESS);
}

WM_WASI_FN(wm_wasi_clock_time_get)
{
    uint64_t ns;
    bool fault;
    uint32_t rc = clock_now(user, wm_wasi_arg(args, 0), &ns);
    if (rc) return wm_wasi_ret(results, rc);
    uint8_t *out = wm_sb_range(inst, wm_wasi_arg(args, 2), 8, &fault);
    if (fault) return wm_wasi_ret(results, WM_WASI_EFAULT);
    wm_st64(out, ns);
    return wm_wasi_ret(results, WM_WASI_ESUCCESS);
}

/* ---- poll_oneoff: clock subscriptions sleep; stdio is always ready ---- */

static void put_event(uint8_t *ev, const uint8_t *sub, uint32_t error, uint8_t type)
{
    wm_memset(ev, 0, EVENT_SIZE);
    wm_memcpy(ev, sub, 8); /* userdata */
    ev[8] = (uint8_t)error;
    ev[9] = (uint8_t)(error >> 8);
    ev[10] = type;
}

/* Nanoseconds until a clock subscription fires (0 = due), or a WASI errno in *err. */
static uint64_t clock_wait(const wm_sb_module *mod, const uint8_t *sub, uint32_t *err)
{
    uint64_t now, timeout = wm_ld64(sub + 24);
    *err = clock_now(mod, wm_ld32(sub + 16), &now);
    if (*err) return 0;
    if (sub[40] & 1u) /* abstime */
        return timeout > now ? timeout - now : 0;
    return timeout;
}

WM_WASI_FN(wm_wasi_poll_oneoff)
{
    wm_sb_module *mod = user;
    uint32_t n = wm_wasi_arg(args, 2);
    bool f1, f2, f3;
    if (n == 0 || n > WM_WASI_POLL_MAX) return wm_wasi_ret(results, WM_WASI_EINVAL);
    const uint8_t *subs = wm_sb_range(inst, wm_wasi_arg(args, 0), n * SUBSCRIPTION_SIZE, &f1);
    uint8_t *evs = wm_sb_range(inst, wm_wasi_arg(args, 1), n * EVENT_SIZE, &f2);
    uint8_t *nevents = wm_sb_range(inst, wm_wasi_arg(args, 3), 4, &f3);
    if (f1 || f2 || f3) return wm_wasi_ret(results, WM_WASI_EFAULT);
    wm_charge(inst, n);
    /* Ready now: fd subscriptions (stdin at its end, stdout/stderr writable, others bad)
     * and clock subscriptions that cannot be waited for. */
    uint32_t ready = 0, err;
    uint64_t soonest = UINT64_MAX;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *s = subs + i * SUBSCRIPTION_SIZE;
        uint8_t tag = s[8];
        if (tag == EVENT_CLOCK) {
            uint64_t wait = clock_wait(mod, s, &err);
            if (err)
                put_event(evs + ready++ * EVENT_SIZE, s, err, EVENT_CLOCK);
            else if (wait < soonest)
                soonest = wait;
        } else if (tag == EVENT_FD_READ || tag == EVENT_FD_WRITE) {
            uint32_t fd = wm_ld32(s + 16);
            bool ok = wm_wasi_stdio_open(mod, fd) && (tag == EVENT_FD_READ) == (fd == 0);
            put_event(evs + ready++ * EVENT_SIZE, s, ok ? 0u : (uint32_t)WM_WASI_EBADF, tag);
        } else {
            put_event(evs + ready++ * EVENT_SIZE, s, WM_WASI_EINVAL, tag);
        }
    }
    if (ready == 0) {
        /* Sleep until the soonest clock (rounded up to the device's milliseconds; one that
         * is due already yields). The call is made again when the module wakes (the sleep
         * hook then answers "over"): the soonest ones have fired. */
        uint64_t ms = soonest / NS_PER_MS + (soonest % NS_PER_MS != 0u); /* (no +999999: wraps) */
        const wm_sb_platform *pl = &mod->host->plat;
        if (pl->sleep && pl->sleep(pl->ctx, mod, ms > 0x7FFFFFFFu ? 0x7FFFFFFFu : (uint32_t)ms))
            return WM_ERR_BLOCKED;
        for (uint32_t i = 0; i < n; i++) {
            const uint8_t *s = subs + i * SUBSCRIPTION_SIZE;
            if (s[8] == EVENT_CLOCK && clock_wait(mod, s, &err) <= soonest)
                put_event(evs + ready++ * EVENT_SIZE, s, err, EVENT_CLOCK);
        }
    }
    wm_st32(nevents, ready);
    return wm_wasi_ret(results, WM_WASI_ESUCCESS);
}

/* ---- process ---- */

const char wm_wasi_exit_msg[] = "exit";

/* Ends the module: the call traps with wm_wasi_exit_msg (wm_sb_exited). */
WM_WASI_FN(wm_wasi_proc_exit)
{
    wm_sb_module *mod = user;
    (void)results;
    mod->wasi.exit_code = wm_wasi_arg(args, 0);
    return wm_trap(inst, wm_wasi_exit_msg);
}

WM_WASI_FN(wm_wasi_proc_raise)
{
    (void)inst;
    (void)user;
    (void)args;
    return wm_wasi_ret(results, WM_WASI_ENOSYS);
}

WM_WASI_FN(wm_wasi_sched_yield)
{
    wm_sb_module *mod = user;
    const wm_sb_platform *pl = &mod->host->plat;
    (void)inst;
    (void)args;
    if (pl->sleep && pl->sleep(pl->ctx, mod, 0)) return WM_ERR_BLOCKED;
    return wm_wasi_ret(results, WM_WASI_ESUCCESS);
}

int wm_wasi_draw_random(wm_instance *inst, wm_sb_module *mod, uint8_t *buf, uint32_t n)
{
    const wm_sb_platform *pl = &mod->host->plat;
    if (!pl->random || pl->random(pl->ctx, buf, n) != 0) return -1;
    wm_charge(inst, WM_WASI_RANDOM_FUEL(n));
    return 0;
}

WM_WASI_FN(wm_wasi_random_get)
{
    wm_sb_module *mod = user;
    wm_wasi_state *st = &mod->wasi;
    uint32_t ptr = wm_wasi_arg(args, 0), len = wm_wasi_arg(args, 1);
    bool fault;
    uint8_t *buf = wm_sb_range(inst, ptr, len, &fault);
    if (fault) return wm_wasi_ret(results, WM_WASI_EFAULT);
    if (len == 0) return wm_wasi_ret(results, WM_WASI_ESUCCESS);
    const wm_sb_platform *pl = &mod->host->plat;
    if (!pl->random) return wm_wasi_ret(results, WM_WASI_EIO);
    uint32_t done = 0;
    if (st->random_done != 0) {
        /* The retry of a call blocked between pieces finds its yield armed (sleep answers
         * false and disarms it). Anything else (a call dropped while blocked) starts over,
         * after the yield this has just armed. */
        bool retry = pl->sleep != NULL && !pl->sleep(pl->ctx, mod, 0);
        if (retry && st->random_ptr == ptr && st->random_len == len) done = st->random_done;
        st->random_done = 0;
        if (!retry && pl->sleep != NULL) return WM_ERR_BLOCKED;
    }
    do {
        uint32_t n = len - done < WM_WASI_RANDOM_PIECE ? len - done : WM_WASI_RANDOM_PIECE;
        if (wm_wasi_draw_random(inst, mod, buf + done, n) != 0)
            return wm_wasi_ret(results, WM_WASI_EIO);
        done += n;
        if (done < len && pl->sleep != NULL && pl->sleep(pl->ctx, mod, 0)) {
            st->random_ptr = ptr;
            st->random_len = len;
            st->random_done = done;
            return WM_ERR_BLOCKED; /* the next slice continues (results are ignored) */
        }
    } while (done < len); /* (a platform without a scheduler: all pieces now, each charged) */
    return wm_wasi_ret(results, WM_WASI_ESUCCESS);
}
