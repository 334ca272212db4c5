/* device_main.c - a posix "device": the firmware's device side (core/device/device.h:
 * store, config area, protocol, supervisor) with its flash in a file, speaking over
 * stdin/stdout or one TCP connection at a time. It drives wm_device exactly as a firmware
 * main does, through context-free callbacks, so the posix tests exercise the same glue.
 * GPIO is simulated: led0, led1 (outputs), button0, button1 (inputs, always 0); with
 * --gpio-log FILE every output change is appended as "MILLIS PIN LEVEL". Buses, UART, ADC
 * and PWM are SIMULATED too (sim_periph.h: a TMP105 and an AT24C32 on a line-level I2C
 * bus, ...); with --tmp105 FILE the sensor reads its temperature (millidegrees Celsius)
 * from FILE at every conversion.
 *
 * Usage: wasmote-device --flash FILE [--flash-size BYTES] [--sector BYTES] [--kv BYTES]
 *                       [--tcp PORT | --stdio] [--board NAME] [--ram BYTES] [--fuel N]
 *                       [--gpio-log FILE] [--retained FILE] [--entropy os|jitter]
 *                       [--kv-file FILE] [--aot] [--erase-counts FILE]
 *                       [--kv-lifetime HOURS] [--clock host|cpu] [--tmp105 FILE]
 *                       [--in-place]
 * Each module is translated at install into its pre-decoded form, stored beside it, and
 * runs that (docs/predecoded.md), as on the QEMU images; --in-place turns that off (the
 * module runs from its code; --predecode, the default, is still accepted).
 * --kv-file keeps the config area (keys, pins, module kv data; --kv bytes) in a file of
 * its own, so it outlives a store that is thrown away (`wasmote exec --kv DIR`). The
 * realtime clock WASI programs read is the host's.
 * --aot runs the native code of packages compiled for this host (`wasmote compile -t
 * host`), signed or not: `wasmote exec` runs the user's own code on the user's computer.
 * Each load maps its code read+execute once (never writable and executable at once); the
 * mappings stay until the process ends, which is what exec's short runs need.
 * --erase-counts keeps a u32 erase count per flash sector in FILE (mapped: readable while
 * the device runs, kept across restarts), for wear measurements. --kv-lifetime is how many
 * hours the config area must last (default ten years): the modules' write budgets may add
 * up to what its flash sustains for that long.
 * --retained keeps the "RAM that survives a reset" in FILE, so that killing the process
 * in the middle of a module's slice and starting it again looks like a watchdog reset.
 * With --tcp it listens on 127.0.0.1:PORT (0 = any free port), prints
 * "listening on 127.0.0.1:PORT" on stderr; a new connection replaces the current one (like
 * re-plugging a cable) with all device state kept, so a host can resume a push. RESET
 * boots again (re-mount, autostart) keeping the flash, like a reboot.
 * Entropy: the OS's getrandom (INFO: "hardware"), or with --entropy jitter only clock
 * jitter, as a board without an RNG has (INFO: "seeded DRBG").
 * Clock: the host's monotonic clock, or with --clock cpu the device's own time (see
 * device_millis), which a loaded host slows down but cannot make late: for tests that
 * assert how late the scheduler wakes a module, like QEMU's -icount for a board.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <time.h>

#include "aot/aot.h"
#include "device/device.h"
#if WM_PREDECODE
#include "runtime/wm_pd.h"
/* modules run pre-decoded, their form stored beside them (docs/predecoded.md) */
static const wm_sup_pd_ops g_pd_ops = {wm_pd_translate_kept, wm_pd_attach};
#endif
#include "flash_file.h"
#include "sandbox/gpio.h"
#include "sim_periph.h"

#define FIRMWARE_VERSION "wasmote-posix 0.1.0"

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --clock cpu: the device's time is the CPU time of its thread (the work it did) plus the
 * time it waited in poll, each wait counted at most as long as it asked for. A host that
 * runs other processes delays the device as a whole; a module's lateness in this time is
 * then only what the device itself did meanwhile (other modules' slices, requests), not
 * how long the host kept it off the CPU. */
static struct {
    int cpu;
    uint64_t waited_ns;
} g_clock;

static uint32_t device_millis(void)
{
    uint64_t ns = g_clock.cpu ? clock_ns(CLOCK_THREAD_CPUTIME_ID) + g_clock.waited_ns
                              : clock_ns(CLOCK_MONOTONIC);
    return (uint32_t)(ns / 1000000u);
}

/* poll() that credits the cpu clock with its wait, up to the timeout it asked for. */
static int poll_waiting(struct pollfd *p, nfds_t n, int timeout_ms)
{
    uint64_t t0 = g_clock.cpu && timeout_ms > 0 ? clock_ns(CLOCK_MONOTONIC) : 0u;
    int pr = poll(p, n, timeout_ms);
    if (t0 != 0u) {
        uint64_t waited = clock_ns(CLOCK_MONOTONIC) - t0;
        uint64_t asked = (uint64_t)timeout_ms * 1000000u;
        g_clock.waited_ns += waited < asked ? waited : asked;
    }
    return pr;
}

/* The port's UART: a buffered non-blocking fd pair (a port may keep statics; the core not). */
static struct {
    int in_fd;
    int out_fd;
    uint8_t buf[4096];
    size_t len;
    size_t pos;
    int down;
    int reset;
} g_link = {-1, -1, {0}, 0, 0, 0, 0};

static int link_read_byte(void)
{
    if (g_link.pos == g_link.len) {
        ssize_t n = g_link.in_fd >= 0 ? read(g_link.in_fd, g_link.buf, sizeof g_link.buf) : -1;
        if (n <= 0) {
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                g_link.down = 1; /* EOF or error */
            }
            return -1;
        }
        g_link.len = (size_t)n;
        g_link.pos = 0;
    }
    return g_link.buf[g_link.pos++];
}

static void link_idle(void)
{
    struct pollfd p = {g_link.out_fd, POLLOUT, 0};
    (void)poll_waiting(&p, 1, 10);
}

static size_t link_write(const uint8_t *buf, size_t len)
{
    if (g_link.out_fd < 0 || g_link.down) {
        return len; /* nobody listening: bytes are lost, as on an unplugged UART */
    }
    ssize_t n = write(g_link.out_fd, buf, len);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            g_link.down = 1;
            return len;
        }
        link_idle(); /* wait for room rather than spin: the core retries at once */
        return 0;
    }
    return (size_t)n;
}

static void link_reset(void)
{
    g_link.reset = 1; /* main loop boots again once the response is out */
}

static void set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) {
        (void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    }
}

static bool posix_realtime_ns(uint64_t *ns)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
        return false;
    }
    *ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return true;
}

typedef wm_err (*aot_attach_fn)(wm_module *mod, const uint8_t *code, size_t len, uint8_t arch,
                                uint16_t abi, wm_error *err);

/* Native code runs from a private read+execute copy of the package's AOT section. */
static wm_err posix_aot_copy(wm_module *mod, const uint8_t *code, size_t len, uint8_t arch,
                             uint16_t abi, wm_error *err, aot_attach_fn attach)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t size = (len + page - 1) / page * page;
    void *p = size ? mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                   : MAP_FAILED;
    if (p == MAP_FAILED) {
        err->code = WM_ERR_NO_MEMORY;
        err->offset = 0;
        err->msg = "no executable memory for AOT code";
        return WM_ERR_NO_MEMORY;
    }
    memcpy(p, code, len);
    if (mprotect(p, size, PROT_READ | PROT_EXEC) != 0) {
        munmap(p, size);
        err->code = WM_ERR_NO_MEMORY;
        err->offset = 0;
        err->msg = "no executable memory for AOT code";
        return WM_ERR_NO_MEMORY;
    }
    return attach(mod, p, len, arch, abi, err);
}

static wm_err posix_aot_attach(wm_module *mod, const uint8_t *code, size_t len, uint8_t arch,
                               uint16_t abi, wm_error *err)
{
    return posix_aot_copy(mod, code, len, arch, abi, err, wm_aot_attach);
}

/* Loading a committed image: its module hash was checked before the commit. */
static wm_err posix_aot_attach_committed(wm_module *mod, const uint8_t *code, size_t len,
                                         uint8_t arch, uint16_t abi, wm_error *err)
{
    return posix_aot_copy(mod, code, len, arch, abi, err, wm_aot_attach_committed);
}

/* The OS's random bytes: on a host this is the "hardware" source. */
static int os_entropy(uint8_t *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = getrandom(buf + done, len - done, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        done += (size_t)n;
    }
    return WM_RANDOM_HARDWARE;
}

/* What a board without an RNG has: the low bits of a fast clock read in a loop. */
static int jitter_entropy(uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        buf[i] = (uint8_t)ts.tv_nsec;
    }
    return WM_RANDOM_SEEDED;
}

/* Simulated pins, and the log of output changes tests read. */
static const char *const g_pin_names[4] = {"led0", "led1", "button0", "button1"};
static const uint8_t g_pin_flags[4] = {WM_GPIO_OUT, WM_GPIO_OUT, WM_GPIO_IN, WM_GPIO_IN};
static uint8_t g_pin_levels[4];
static wm_gpio_sim g_gpio;
static wm_gpio_ops g_gpio_logged;
static FILE *g_gpio_log;

static int gpio_write_logged(void *ctx, uint32_t pin, int level)
{
    int rc = g_gpio.ops.write(ctx, pin, level);
    if (rc == 0 && g_gpio_log != NULL) {
        fprintf(g_gpio_log, "%u %s %d\n", device_millis(), g_pin_names[pin], level != 0);
        fflush(g_gpio_log);
    }
    return rc;
}

static uint64_t device_millis64(void) { return device_millis(); }

static wm_sim_periph g_periph; /* SIMULATED buses and channels (sim_periph.h) */

/* Kept across RESET (an in-process reboot), like a port's retained RAM; with --retained
 * in a file, across the process being killed too. */
static wm_sup_retained g_retained_static;

/* A file of `size` bytes mapped shared (created with zeros), or NULL. */
static void *map_file(const char *path, size_t size)
{
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
        return NULL;
    }
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    return m == MAP_FAILED ? NULL : m;
}

static wm_sup_retained *map_retained(const char *path)
{
    return path == NULL ? &g_retained_static : map_file(path, sizeof(wm_sup_retained));
}

static int boot(wm_device *dev, const wm_device_config *cfg)
{
    int rc = wm_device_boot(dev, cfg);
    if (rc != 0) {
        fprintf(stderr, "wasmote-device: store mount failed (%d)\n", rc);
    }
    return rc;
}

/* Serve one link until it drops (0), a new TCP client knocks on `listen_fd` (1), or a
 * fatal error (-1). */
static int serve(wm_device *dev, const wm_device_config *cfg, int listen_fd)
{
    set_nonblocking(g_link.in_fd);
    g_link.len = g_link.pos = 0;
    g_link.down = 0;
    bool busy = true;
    for (;;) {
        struct pollfd p[2] = {{g_link.in_fd, POLLIN, 0}, {listen_fd, POLLIN, 0}};
        /* Runnable modules need the loop turning; sleeping ones wake within a ms. */
        int wait_ms = busy ? 0 : wm_sup_running(&dev->sup) > 0 ? 1 : 1000;
        int pr = poll_waiting(p, listen_fd >= 0 ? 2 : 1, wait_ms);
        if (pr < 0 && errno != EINTR) {
            return -1;
        }
        if (pr > 0 && listen_fd >= 0 && (p[1].revents & POLLIN) != 0) {
            return 1;
        }
        busy = wm_device_poll(dev);
        if (g_link.reset) {
            g_link.reset = 0;
            wm_device_config again = *cfg;
            again.reset_cause = WM_RESET_SOFTWARE;
            if (boot(dev, &again) != 0) {
                return -1;
            }
            static const char msg[] = FIRMWARE_VERSION;
            (void)wm_protocol_event(&dev->proto, WM_EV_BOOT, "", msg, sizeof msg - 1u);
        }
        if (g_link.down) {
            return 0;
        }
    }
}

/* No host connected: the modules keep running, as on a board with nothing on its UART,
 * until a client connects. Returns its fd, or -1 on a fatal error. */
static int await_client(wm_device *dev, int listen_fd)
{
    bool busy = true;
    for (;;) {
        struct pollfd p = {listen_fd, POLLIN, 0};
        int wait_ms = busy ? 0 : wm_sup_running(&dev->sup) > 0 ? 1 : 1000;
        int pr = poll_waiting(&p, 1, wait_ms);
        if (pr < 0 && errno != EINTR) {
            return -1;
        }
        if (pr > 0 && (p.revents & POLLIN) != 0) {
            int cfd = accept(listen_fd, NULL, NULL);
            if (cfd >= 0) {
                return cfd;
            }
            if (errno != EINTR && errno != ECONNABORTED) {
                return -1;
            }
        }
        busy = wm_sup_step(&dev->sup);
    }
}

static int listen_tcp(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    if (fd < 0) {
        return -1;
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 1) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
        close(fd);
        return -1;
    }
    fprintf(stderr, "listening on 127.0.0.1:%d\n", ntohs(a.sin_port));
    fflush(stderr);
    return fd;
}

static void usage(void)
{
    fprintf(stderr, "usage: wasmote-device --flash FILE [--flash-size BYTES] [--sector BYTES]"
                    " [--kv BYTES] [--tcp PORT | --stdio] [--board NAME] [--ram BYTES]"
                    " [--fuel N] [--gpio-log FILE] [--retained FILE] [--entropy os|jitter]"
                    " [--kv-file FILE] [--aot] [--erase-counts FILE] [--kv-lifetime HOURS]"
                    " [--clock host|cpu] [--tmp105 FILE] [--in-place]\n");
}

int main(int argc, char **argv)
{
    static wm_device dev;
    static wm_flash_file flash, kv_flash;
    const char *kv_path = NULL;
    const char *flash_path = NULL, *board = "posix", *gpio_log = NULL, *retained = NULL;
    const char *entropy = "os", *clock = "host";
    const char *erase_counts = NULL;
    long kv_lifetime = 0;
    long size = 320 * 1024, sector = 4096, port = -1, ram = 4L * 1024 * 1024, kv = 64 * 1024;
    const char *tmp105 = NULL;
    long long fuel = 100000000LL;
    int use_stdio = 0, aot = 0, predecode = 1;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--stdio") == 0) {
            use_stdio = 1;
            continue;
        }
        if (strcmp(argv[i], "--aot") == 0) {
            aot = 1;
            continue;
        }
        if (strcmp(argv[i], "--predecode") == 0 || strcmp(argv[i], "--in-place") == 0) {
            predecode = argv[i][2] == 'p';
            continue;
        }
        if (v == NULL) {
            usage();
            return 2;
        }
        if (strcmp(argv[i], "--flash") == 0) {
            flash_path = v;
        } else if (strcmp(argv[i], "--flash-size") == 0) {
            size = strtol(v, NULL, 0);
        } else if (strcmp(argv[i], "--sector") == 0) {
            sector = strtol(v, NULL, 0);
        } else if (strcmp(argv[i], "--tcp") == 0) {
            port = strtol(v, NULL, 0);
        } else if (strcmp(argv[i], "--ram") == 0) {
            ram = strtol(v, NULL, 0);
        } else if (strcmp(argv[i], "--fuel") == 0) {
            fuel = strtoll(v, NULL, 0);
        } else if (strcmp(argv[i], "--board") == 0) {
            board = v;
        } else if (strcmp(argv[i], "--kv") == 0) {
            kv = strtol(v, NULL, 0);
        } else if (strcmp(argv[i], "--gpio-log") == 0) {
            gpio_log = v;
        } else if (strcmp(argv[i], "--retained") == 0) {
            retained = v;
        } else if (strcmp(argv[i], "--entropy") == 0) {
            entropy = v;
        } else if (strcmp(argv[i], "--kv-file") == 0) {
            kv_path = v;
        } else if (strcmp(argv[i], "--erase-counts") == 0) {
            erase_counts = v;
        } else if (strcmp(argv[i], "--kv-lifetime") == 0) {
            kv_lifetime = strtol(v, NULL, 0);
        } else if (strcmp(argv[i], "--clock") == 0) {
            clock = v;
        } else if (strcmp(argv[i], "--tmp105") == 0) {
            tmp105 = v;
        } else {
            usage();
            return 2;
        }
        i++;
    }
    if (flash_path == NULL || (port < 0 && !use_stdio) || size <= 0 || sector <= 0 ||
        size % sector != 0 || port > 65535 || ram < 4096 || fuel <= 0 || kv < 0 ||
        kv % sector != 0 || (kv >= size && kv_path == NULL) || kv_lifetime < 0 ||
        kv_lifetime > 0x7FFFFFFF ||
        (strcmp(entropy, "os") != 0 && strcmp(entropy, "jitter") != 0) ||
        (strcmp(clock, "host") != 0 && strcmp(clock, "cpu") != 0)) {
        usage();
        return 2;
    }
    g_clock.cpu = strcmp(clock, "cpu") == 0;
    signal(SIGPIPE, SIG_IGN);
    if (wm_flash_file_open(&flash, flash_path, (uint32_t)size, (uint32_t)sector) != 0) {
        fprintf(stderr, "wasmote-device: cannot open flash file %s: %s\n", flash_path,
                strerror(errno));
        return 1;
    }
    if (kv_path != NULL &&
        wm_flash_file_open(&kv_flash, kv_path, (uint32_t)kv, (uint32_t)sector) != 0) {
        fprintf(stderr, "wasmote-device: cannot open kv file %s: %s\n", kv_path, strerror(errno));
        return 1;
    }
    if (erase_counts != NULL &&
        (flash.erase_counts = map_file(erase_counts, (size_t)(size / sector) * 4u)) == NULL) {
        fprintf(stderr, "wasmote-device: cannot map %s: %s\n", erase_counts, strerror(errno));
        return 1;
    }
    /* The runtime's arena: every RUN loads, instantiates and releases inside it. */
    uint8_t *arena = malloc((size_t)ram);
    if (arena == NULL) {
        fprintf(stderr, "wasmote-device: cannot allocate %ld bytes of module RAM\n", ram);
        return 1;
    }
    if (gpio_log != NULL && (g_gpio_log = fopen(gpio_log, "a")) == NULL) {
        fprintf(stderr, "wasmote-device: cannot open %s: %s\n", gpio_log, strerror(errno));
        return 1;
    }
    wm_sup_retained *kept = map_retained(retained);
    if (kept == NULL) {
        fprintf(stderr, "wasmote-device: cannot map %s: %s\n", retained, strerror(errno));
        return 1;
    }
    wm_gpio_sim_init(&g_gpio, g_pin_names, g_pin_flags, g_pin_levels, 4);
    wm_sim_periph_init(&g_periph, device_millis64);
    g_periph.temp_file = tmp105;
    g_gpio_logged = g_gpio.ops;
    g_gpio_logged.write = gpio_write_logged;
    wm_device_config cfg = {
        .read_byte = link_read_byte,
        .write = link_write,
        .idle = link_idle,
        .reset = link_reset,
        .millis = device_millis,
        .board = board,
        .firmware_version = FIRMWARE_VERSION,
        .flash = &flash.ops,
        .kv_size = (uint32_t)kv,
        .ram = arena,
        .ram_size = (size_t)ram,
        .run_fuel = (uint64_t)fuel,
        .gpio = &g_gpio_logged,
        .periph = &g_periph.ops,
        .retained = kept,
        .kv_lifetime_h = (uint32_t)kv_lifetime,
        .reset_cause = WM_RESET_POWER,
        .entropy = strcmp(entropy, "jitter") == 0 ? jitter_entropy : os_entropy,
        .realtime_ns = posix_realtime_ns,
        .kv_flash = kv_path != NULL ? &kv_flash.ops : NULL,
        .aot_arch = aot ? WM_AOT_ARCH_SELF : 0u,
        .aot_abi = aot ? WM_AOT_ABI_VERSION : 0u,
        .aot_attach = aot && WM_AOT_ARCH_SELF != 0 ? posix_aot_attach : NULL,
        .aot_attach_committed = aot && WM_AOT_ARCH_SELF != 0 ? posix_aot_attach_committed : NULL,
        .aot_unsigned = (uint8_t)aot,
#if WM_PREDECODE
        .pd = predecode ? &g_pd_ops : NULL,
#endif
    };
    (void)predecode; /* (a build without WM_PREDECODE) */
    if (boot(&dev, &cfg) != 0) {
        return 1;
    }
    if (use_stdio) {
        g_link.in_fd = STDIN_FILENO;
        g_link.out_fd = STDOUT_FILENO;
        int rc = serve(&dev, &cfg, -1);
        wm_flash_file_close(&flash);
        return rc == 0 ? 0 : 1;
    }
    int lfd = listen_tcp((int)port);
    if (lfd < 0) {
        fprintf(stderr, "wasmote-device: cannot listen on port %ld: %s\n", port, strerror(errno));
        return 1;
    }
    for (;;) {
        int cfd = await_client(&dev, lfd);
        if (cfd < 0) {
            return 1;
        }
        int one = 1;
        (void)setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        g_link.in_fd = cfd;
        g_link.out_fd = cfd;
        int rc = serve(&dev, &cfg, lfd);
        close(cfd);
        g_link.in_fd = g_link.out_fd = -1;
        wm_protocol_link_lost(&dev.proto);
        if (rc < 0) {
            return 1;
        }
    }
}
