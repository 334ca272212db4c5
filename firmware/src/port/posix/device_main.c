/* device_main.c - a posix "device": the wire protocol and module store of the firmware,
 * with its flash in a file, speaking over stdin/stdout or one TCP connection at a time.
 *
 * Usage: wasmote-device --flash FILE [--flash-size BYTES] [--sector BYTES]
 *                       [--tcp PORT | --stdio] [--board NAME] [--ram BYTES] [--fuel N]
 * With --tcp it listens on 127.0.0.1:PORT (0 = any free port), prints
 * "listening on 127.0.0.1:PORT" on stderr, and after a disconnect accepts the next
 * connection with all state kept (so a host can resume a push). RESET re-mounts the store
 * and re-initialises the protocol, like a reboot that keeps the flash.
 */
#define _POSIX_C_SOURCE 200809L

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
#include <sys/socket.h>
#include <unistd.h>

#include "flash_file.h"
#include "protocol/protocol.h"
#include "protocol/runner.h"

#define FIRMWARE_VERSION "wasmote-posix 0.1.0"

typedef struct {
    int in_fd;
    int out_fd;
    int reset;
} link_state;

static int link_read(void *ctx, uint8_t *buf, size_t cap)
{
    link_state *l = ctx;
    ssize_t n = read(l->in_fd, buf, cap);
    if (n > 0) {
        return (int)n;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        return 0;
    }
    return -1; /* EOF or error: link down */
}

static int link_write(void *ctx, const uint8_t *buf, size_t len)
{
    link_state *l = ctx;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(l->out_fd, buf + done, len - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct pollfd p = {l->out_fd, POLLOUT, 0};
                (void)poll(&p, 1, 100);
                continue;
            }
            return -1;
        }
        done += (size_t)n;
    }
    return 0;
}

static void link_reset(void *ctx)
{
    ((link_state *)ctx)->reset = 1;
}

typedef struct {
    wm_flash_file flash;
    wm_store store;
    wm_protocol proto;
    wm_protocol_config cfg;
    wm_runner runner;
    wm_protocol_runner runner_ops;
    link_state link;
} device;

/* Boot: mount the store, start the protocol, start autostart modules. */
static int device_boot(device *d)
{
    int rc = wm_store_mount(&d->store, &d->flash.ops);
    if (rc != WM_STORE_OK) {
        fprintf(stderr, "wasmote-device: store mount failed (%d)\n", rc);
        return -1;
    }
    wm_protocol_init(&d->proto, &d->cfg);
    (void)wm_runner_autostart(&d->runner, &d->proto, &d->store);
    return 0;
}

static void set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) {
        (void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    }
}

/* Serve one link until it drops (returns 0), a new TCP client knocks on `listen_fd`
 * (returns 1: like re-plugging a cable, the newest host wins) or a fatal error (-1). */
static int serve(device *d, int listen_fd)
{
    set_nonblocking(d->link.in_fd);
    for (;;) {
        struct pollfd p[2] = {{d->link.in_fd, POLLIN, 0}, {listen_fd, POLLIN, 0}};
        int pr = poll(p, listen_fd >= 0 ? 2 : 1, 1000);
        if (pr < 0 && errno != EINTR) {
            return -1;
        }
        if (pr <= 0) {
            continue;
        }
        if (listen_fd >= 0 && (p[1].revents & POLLIN) != 0) {
            return 1;
        }
        if (wm_protocol_poll(&d->proto) != 0) {
            return 0; /* link down */
        }
        if (d->link.reset) {
            d->link.reset = 0;
            if (device_boot(d) != 0) {
                return -1;
            }
            static const char msg[] = FIRMWARE_VERSION;
            (void)wm_protocol_event(&d->proto, WM_EV_BOOT, "", msg, sizeof msg - 1u);
        }
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
                    " [--tcp PORT | --stdio] [--board NAME] [--ram BYTES] [--fuel N]\n");
}

int main(int argc, char **argv)
{
    static device d;
    const char *flash_path = NULL, *board = "posix";
    long size = 256 * 1024, sector = 4096, port = -1, ram = 4L * 1024 * 1024;
    long long fuel = 100000000LL;
    int use_stdio = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--flash") == 0 && v != NULL) {
            flash_path = v;
        } else if (strcmp(argv[i], "--flash-size") == 0 && v != NULL) {
            size = strtol(v, NULL, 0);
        } else if (strcmp(argv[i], "--sector") == 0 && v != NULL) {
            sector = strtol(v, NULL, 0);
        } else if (strcmp(argv[i], "--tcp") == 0 && v != NULL) {
            port = strtol(v, NULL, 0);
        } else if (strcmp(argv[i], "--ram") == 0 && v != NULL) {
            ram = strtol(v, NULL, 0);
        } else if (strcmp(argv[i], "--fuel") == 0 && v != NULL) {
            fuel = strtoll(v, NULL, 0);
        } else if (strcmp(argv[i], "--board") == 0 && v != NULL) {
            board = v;
        } else if (strcmp(argv[i], "--stdio") == 0) {
            use_stdio = 1;
            continue;
        } else {
            usage();
            return 2;
        }
        i++;
    }
    if (flash_path == NULL || (port < 0 && !use_stdio) || size <= 0 || sector <= 0 ||
        size % sector != 0 || port > 65535 || ram < 4096 || fuel <= 0) {
        usage();
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (wm_flash_file_open(&d.flash, flash_path, (uint32_t)size, (uint32_t)sector) != 0) {
        fprintf(stderr, "wasmote-device: cannot open flash file %s: %s\n", flash_path,
                strerror(errno));
        return 1;
    }
    d.link.in_fd = -1; /* no link yet: boot-time events go nowhere */
    d.link.out_fd = -1;
    d.cfg.io.ctx = &d.link;
    d.cfg.io.read = link_read;
    d.cfg.io.write = link_write;
    d.cfg.io.reset = link_reset;
    d.cfg.store = &d.store;
    d.cfg.firmware_version = FIRMWARE_VERSION;
    d.cfg.board = board;
    /* The runtime's arena: every RUN loads, instantiates and releases inside it. */
    void *arena = malloc((size_t)ram);
    if (arena == NULL) {
        fprintf(stderr, "wasmote-device: cannot allocate %ld bytes of module RAM\n", ram);
        return 1;
    }
    wm_runner_init(&d.runner, arena, (size_t)ram, (uint64_t)fuel);
    wm_runner_ops(&d.runner, &d.runner_ops);
    d.cfg.free_ram = (uint32_t)ram;
    d.cfg.runner = &d.runner_ops;
    d.cfg.validate = wm_runner_validate;
    d.cfg.validate_ctx = &d.runner;
    d.cfg.validate_error = wm_runner_validate_error;
    if (device_boot(&d) != 0) {
        return 1;
    }
    if (use_stdio) {
        d.link.in_fd = STDIN_FILENO;
        d.link.out_fd = STDOUT_FILENO;
        int rc = serve(&d, -1);
        wm_flash_file_close(&d.flash);
        return rc == 0 ? 0 : 1;
    }
    int lfd = listen_tcp((int)port);
    if (lfd < 0) {
        fprintf(stderr, "wasmote-device: cannot listen on port %ld: %s\n", port, strerror(errno));
        return 1;
    }
    for (;;) {
        int cfd = accept(lfd, NULL, NULL);
        if (cfd < 0) {
            if (errno == EINTR) {
                continue;
            }
            return 1;
        }
        int one = 1;
        (void)setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        d.link.in_fd = cfd;
        d.link.out_fd = cfd;
        int rc = serve(&d, lfd);
        close(cfd);
        wm_protocol_link_lost(&d.proto);
        if (rc < 0) {
            return 1;
        }
    }
}
