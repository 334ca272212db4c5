/* Test driver for the device-side sandbox (firmware/src/core/sandbox): reads commands from
 * stdin, one per line, and prints one result line per command (plus "log ..." lines from
 * modules). Built by tests/sandbox with the posix build; a test program, not firmware.
 *
 *   provision HEX64            add a trusted public key
 *   pin NAME MAJ MIN PATCH     pretend NAME was installed at this version
 *   arch ARCH ABI              this firmware's AOT architecture / ABI
 *   install SLOT FILE          -> ok NOTES | refused CODE OFFSET MESSAGE
 *   call SLOT EXPORT [I32...]  -> ok [RESULT] | trap MESSAGE | fuel | error CODE MESSAGE
 *   uninstall SLOT             -> ok
 *   setpin PIN LEVEL / getpin PIN  -> ok / level
 *   kvremount                  -> ok (remount the kv store from flash: persistence)
 *   kvcut                      -> power cuts at every flash step of a set; ok N
 *   kvfuzz SEED N              random set/delete/get/remount against a model; ok OPS
 *   api                        the host function table: NAME/SIG/CAP ...
 *   imports                    every import table: MODULE.NAME/SIG/CAP/STUB ... (STUB 1:
 *                              an ungranted one links a stub)
 *   kicks                      watchdog kicks of the install work meter since the last
 *                              `kicks` (core/base/wm_work.h) -> N
 * A call that ends in proc_exit answers "exit N"; a trap "trap MESSAGE [wasm ...]". Output
 * (WASI fd_write) comes as "out NAME FLAGS HEX" lines; random bytes are a fixed sequence.
 *   kvpins                     pins come from the kv store (pins.c) from now on
 *   pinrecord SLOT             record the version of the module in SLOT as its pin
 *   pinclear NAME              forget the pin of NAME
 *   sleepms MS                 -> ok after MS milliseconds
 *   sim WHAT [ARGS]            the SIMULATED peripherals (port/posix/sim_periph.h):
 *     temp MILLI | stretch POLLS | jam CLOCKS | adc CH CODE | uart TEXT  -> ok
 *     addressed ADDR -> times the address went out on the wires
 *     ee ADDR N -> N EEPROM bytes in hex | pwm CH -> HZ DUTY | busy -> bus lock bits
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flash_ram.h"
#include "pins.h"
#include "sandbox.h"
#include "sim_periph.h"

#define SLOTS 4
#define ARENA_SIZE (512u * 1024u)
#define KV_SECTOR 1024u
#define KV_SIZE 4096u

static const char *const pin_names[] = {"led0", "led1", "button0", "switch0"};
static const uint8_t pin_flags[] = {WM_GPIO_OUT | WM_GPIO_IN, WM_GPIO_OUT | WM_GPIO_IN, WM_GPIO_IN,
                                    WM_GPIO_IN};

typedef struct {
    wm_sb_host host;
    wm_sb_module mods[SLOTS];
    bool live[SLOTS];
    uint8_t *arena_mem[SLOTS];
    wm_arena arena[SLOTS];
    uint8_t *pkg[SLOTS];
    uint8_t keys[8][32];
    uint32_t nkeys;
    char pin_name[8][33];
    uint16_t pin_ver[8][3];
    uint32_t npins;
    wm_sb_device dev;
    wm_work work; /* the install's work meter: counts the kicks it would give */
    uint8_t levels[4];
    wm_gpio_sim gpio;
    uint8_t kv_mem[KV_SIZE];
    wm_flash_ram flash;
    wm_kv kv;
    unsigned sleeps;
    uint32_t random_next;
    wm_sim_periph periph;
} harness;

static uint64_t now_ms(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void log_line(void *ctx, wm_sb_module *mod, const uint8_t *msg, uint32_t len)
{
    (void)ctx;
    printf("log %s ", mod->manifest.name);
    for (uint32_t i = 0; i < len; i++) putchar(msg[i] >= 0x20 && msg[i] < 0x7F ? msg[i] : '?');
    putchar('\n');
}

static void output_piece(void *ctx, wm_sb_module *mod, const uint8_t *data, uint32_t len,
                         uint32_t flags)
{
    (void)ctx;
    printf("out %s %u ", mod->manifest.name, flags);
    for (uint32_t i = 0; i < len; i++) printf("%02x", data[i]);
    printf("\n");
}

/* A fixed sequence: tests check that random_get fills what it is given, not its entropy. */
static int fixed_random(void *ctx, uint8_t *buf, uint32_t len)
{
    harness *h = ctx;
    for (uint32_t i = 0; i < len; i++) buf[i] = (uint8_t)(h->random_next++ * 151u + 7u);
    return 0;
}

static bool sleep_hook(void *ctx, wm_sb_module *mod, uint32_t ms)
{
    harness *h = ctx;
    (void)mod;
    (void)ms;
    h->sleeps++;
    return false; /* no scheduler here: sleeping returns at once */
}

static uint64_t now_ms64(void) { return now_ms(NULL); }

static void cmd_sim(harness *h, const char *what, const char *line)
{
    wm_sim_periph *s = &h->periph;
    long a = 0, b = 0;
    char text[256] = "";
    int n = sscanf(line, "%*s %*s %ld %ld", &a, &b);
    if (strcmp(what, "temp") == 0 && n >= 1) {
        s->temp_mc = (int32_t)a;
    } else if (strcmp(what, "stretch") == 0 && n >= 1) {
        s->stretch = (uint32_t)a;
        s->stretch_left = 0;
        s->d_scl = 1;
    } else if (strcmp(what, "jam") == 0 && n >= 1) {
        s->jam = (uint32_t)a;
    } else if (strcmp(what, "adc") == 0 && n >= 2 && a >= 0 && a < 4) {
        s->adc_in[a] = (uint8_t)b;
    } else if (strcmp(what, "uart") == 0 && sscanf(line, "%*s %*s %255s", text) == 1) {
        (void)s->ops.uart_write(s, 0, (const uint8_t *)text, (uint32_t)strlen(text));
    } else if (strcmp(what, "addressed") == 0 && n >= 1 && a >= 0 && a < 128) {
        printf("%u\n", s->addressed[a]);
        return;
    } else if (strcmp(what, "ee") == 0 && n >= 2 && a >= 0 && b > 0 &&
               a + b <= (long)WM_SIM_EEPROM_SIZE) {
        for (long i = 0; i < b; i++) printf("%02x", s->ee[a + i]);
        printf("\n");
        return;
    } else if (strcmp(what, "pwm") == 0 && n >= 1 && a >= 0 && a < 2) {
        printf("%u %u\n", s->pwm_hz[a], s->pwm_duty[a]);
        return;
    } else if (strcmp(what, "busy") == 0) {
        printf("%u %u\n", h->host.i2c_busy, h->host.spi_busy);
        return;
    } else {
        printf("error bad sim command\n");
        return;
    }
    printf("ok\n");
}

static int pinned(void *ctx, const char *name, uint16_t v[3])
{
    harness *h = ctx;
    for (uint32_t i = 0; i < h->npins; i++) {
        if (strcmp(h->pin_name[i], name) == 0) {
            memcpy(v, h->pin_ver[i], sizeof h->pin_ver[i]);
            return 1;
        }
    }
    return 0;
}

static uint8_t *read_file(const char *path, uint32_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1u);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (uint32_t)n;
    return buf;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static void cmd_install(harness *h, int slot, const char *path)
{
    if (h->live[slot]) wm_sb_uninstall(&h->mods[slot]);
    h->live[slot] = false;
    free(h->pkg[slot]);
    uint32_t size = 0;
    h->pkg[slot] = read_file(path, &size);
    if (!h->pkg[slot]) {
        printf("error cannot read %s\n", path);
        return;
    }
    wm_arena_init(&h->arena[slot], h->arena_mem[slot], ARENA_SIZE);
    char err_buf[WM_MSG_MAX];
    wm_msg err;
    wm_msg_init(&err, err_buf, sizeof err_buf);
    int rc =
        wm_sb_install(&h->host, &h->mods[slot], &h->arena[slot], h->pkg[slot], size, &h->dev, &err);
    if (rc) {
        printf("refused %d 0x%x %s\n", err.status, (unsigned)err.offset, err.buf);
        return;
    }
    h->live[slot] = true;
    printf("ok");
    for (uint32_t b = 1; b <= WM_SB_NOTE_AOT_MPU; b <<= 1)
        if (h->mods[slot].decision.notes & b) printf(" [%s]", wm_sb_note_text(b));
    if (h->mods[slot].decision.aot) printf(" [aot %u]", h->mods[slot].decision.aot->arch);
    printf("\n");
}

static void cmd_call(harness *h, int slot, const char *name, char *rest)
{
    if (!h->live[slot]) {
        printf("error no module in slot %d\n", slot);
        return;
    }
    wm_val args[8], res[1];
    uint32_t n = 0;
    for (char *t = strtok(rest, " \n"); t && n < 8; t = strtok(NULL, " \n")) {
        args[n].type = WM_I32;
        args[n++].of.i32 = (uint32_t)strtol(t, NULL, 0);
    }
    wm_extern ext;
    uint32_t nres = 0;
    if (wm_export(h->mods[slot].inst, name, &ext) == WM_OK && ext.kind == WM_EXTERN_FUNC) {
        uint32_t np;
        const uint8_t *p, *r;
        wm_func_sig(ext.of.func, &np, &p, &nres, &r);
    }
    wm_error e = {WM_OK, 0, 0, NULL};
    wm_err rc = wm_sb_call(&h->mods[slot], name, args, n, res, nres > 1 ? 1 : nres, &e);
    if (rc == WM_OK) {
        if (nres)
            printf("ok %d\n", (int32_t)res[0].of.i32);
        else
            printf("ok\n");
    } else if (rc == WM_ERR_OUT_OF_FUEL) {
        wm_abort(h->mods[slot].inst);
        printf("fuel\n");
    } else if (wm_sb_exited(&h->mods[slot], e.msg, &nres)) {
        printf("exit %u\n", nres);
    } else if (rc == WM_ERR_TRAP || rc == WM_ERR_EXHAUSTION) {
        char text[160];
        wm_msg t;
        wm_msg_init(&t, text, sizeof text);
        wm_sb_trap_text(&h->mods[slot], e.msg, &t);
        printf("trap %s\n", text);
    } else {
        printf("error %s %s\n", wm_err_name(rc), e.msg ? e.msg : "");
    }
}

static int pin_index(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(pin_names[i], name) == 0) return i;
    return -1;
}

/* A flash that stops working (as a power cut) after `budget` erase/program calls. */
typedef struct {
    wm_flash_ops ops;
    const wm_flash_ops *real;
    int budget;
} cut_flash;

static int cut_read(void *c, uint32_t a, uint8_t *b, uint32_t n)
{
    cut_flash *f = c;
    return f->real->read(f->real->ctx, a, b, n);
}

static int cut_erase(void *c, uint32_t a)
{
    cut_flash *f = c;
    if (f->budget-- <= 0) return -1;
    return f->real->erase(f->real->ctx, a);
}

static int cut_program(void *c, uint32_t a, const uint8_t *b, uint32_t n)
{
    cut_flash *f = c;
    if (f->budget-- <= 0) {
        /* a torn write: the first half lands */
        if (f->budget == -1 && n > 1) (void)f->real->program(f->real->ctx, a, b, n / 2);
        return -1;
    }
    return f->real->program(f->real->ctx, a, b, n);
}

/* For every cut point of a set (including ones that compact), the store afterwards holds
 * the old or the new value, and other keys are intact. */
static void cmd_kvcut(harness *h)
{
    static uint8_t mem[KV_SIZE];
    const uint8_t ns[] = "cutter", other[] = "other", k[] = "key";
    uint8_t val[64], buf[256];
    int points = 0;
    for (int cut = 0; cut < 200; cut++) {
        wm_flash_ram fr;
        memset(mem, 0xFF, sizeof mem);
        wm_flash_ram_init(&fr, mem, KV_SIZE, KV_SECTOR);
        wm_kv kv;
        if (wm_kv_mount(&kv, &fr.ops)) goto fail;
        /* fill the log close to a compaction */
        if (wm_kv_set(&kv, other, 5, k, 3, (const uint8_t *)"keep", 4, 4096)) goto fail;
        memset(val, 'o', sizeof val);
        for (int i = 0; i < 20; i++)
            if (wm_kv_set(&kv, ns, 6, k, 3, val, sizeof val, 4096)) goto fail;
        cut_flash cf = {fr.ops, &fr.ops, cut};
        cf.ops.ctx = &cf;
        cf.ops.mapped = NULL;
        cf.ops.read = cut_read;
        cf.ops.erase = cut_erase;
        cf.ops.program = cut_program;
        wm_kv kc;
        if (wm_kv_mount(&kc, &cf.ops)) goto fail;
        uint8_t nv[64];
        memset(nv, 'n', sizeof nv);
        int rc = wm_kv_set(&kc, ns, 6, k, 3, nv, sizeof nv, 4096);
        wm_kv after;
        if (wm_kv_mount(&after, &fr.ops)) goto fail;
        int n = wm_kv_get(&after, ns, 6, k, 3, buf, sizeof buf);
        if (n != 64 || (memcmp(buf, val, 64) != 0 && memcmp(buf, nv, 64) != 0)) goto fail;
        if (rc == 0 && memcmp(buf, nv, 64) != 0) goto fail;
        if (wm_kv_get(&after, other, 5, k, 3, buf, sizeof buf) != 4 || memcmp(buf, "keep", 4))
            goto fail;
        points++;
        if (rc == 0) break; /* the budget was enough: every earlier point was a cut */
        continue;
    fail:
        printf("kvcut failed at cut %d\n", cut);
        return;
    }
    (void)h;
    printf("ok %d\n", points);
}

/* Random operations on a small store (frequent compactions) checked against a model. */
static void cmd_kvfuzz(unsigned seed, int nops)
{
    static uint8_t mem[KV_SIZE];
    enum { NS = 3, KEYS = 6 };
    static const uint8_t *const names[NS] = {(const uint8_t *)"alpha", (const uint8_t *)"b",
                                             (const uint8_t *)"gamma.2"};
    static const uint32_t name_len[NS] = {5, 1, 7};
    int model_len[NS][KEYS];
    uint8_t model_fill[NS][KEYS];
    uint8_t val[WM_KV_VALUE_MAX], buf[WM_KV_VALUE_MAX];
    memset(mem, 0xFF, sizeof mem);
    wm_flash_ram fr;
    wm_flash_ram_init(&fr, mem, KV_SIZE, KV_SECTOR);
    wm_kv kv;
    if (wm_kv_mount(&kv, &fr.ops)) {
        printf("kvfuzz mount failed\n");
        return;
    }
    for (int n = 0; n < NS; n++)
        for (int k = 0; k < KEYS; k++) model_len[n][k] = -1;
    srand(seed);
    for (int op = 0; op < nops; op++) {
        int n = rand() % NS, k = rand() % KEYS, what = rand() % 10;
        uint8_t key[2] = {'k', (uint8_t)('0' + k)};
        uint32_t klen = 1u + (uint32_t)(k & 1);
        const uint8_t *kp = klen == 1 ? key + 1 : key;
        /* the quota counts flash bytes: 16 + (ns + key + value) rounded up to 8 */
        int used = 0;
        for (int j = 0; j < KEYS; j++)
            if (model_len[n][j] >= 0)
                used += 16 + (((int)name_len[n] + 1 + (j & 1) + model_len[n][j] + 7) & ~7);
        if (what < 5) {
            int len = rand() % 120;
            uint8_t fill = (uint8_t)rand();
            memset(val, fill, (size_t)len);
            int old = model_len[n][k] >= 0
                          ? 16 + (((int)(name_len[n] + klen) + model_len[n][k] + 7) & ~7)
                          : 0;
            int rc = wm_kv_set(&kv, names[n], name_len[n], kp, klen, val, (uint32_t)len, 400);
            bool fits = used - old + 16 + (((int)(name_len[n] + klen) + len + 7) & ~7) <= 400;
            /* 3 x 400 bytes fit a 2 KiB bank: a set within its quota always succeeds */
            if (fits && rc == 0) {
                model_len[n][k] = len;
                model_fill[n][k] = fill;
            } else if (!(rc == WM_E_QUOTA && !fits)) {
                printf("kvfuzz op %d: set -> %d (fits %d)\n", op, rc, fits);
                return;
            }
        } else if (what < 7) {
            int rc = wm_kv_delete(&kv, names[n], name_len[n], kp, klen);
            if (rc != (model_len[n][k] >= 0 ? 0 : WM_E_NOTFOUND)) {
                printf("kvfuzz op %d: delete -> %d\n", op, rc);
                return;
            }
            model_len[n][k] = -1;
        } else if (what < 9) {
            int rc = wm_kv_get(&kv, names[n], name_len[n], kp, klen, buf, sizeof buf);
            int want = model_len[n][k] >= 0 ? model_len[n][k] : WM_E_NOTFOUND;
            bool same = true;
            for (int i = 0; i < rc && rc == want; i++) same &= buf[i] == model_fill[n][k];
            if (rc != want || !same) {
                printf("kvfuzz op %d: get -> %d, want %d\n", op, rc, want);
                return;
            }
            if (wm_kv_usage(&kv, names[n], name_len[n]) != used) {
                printf("kvfuzz op %d: usage\n", op);
                return;
            }
        } else if (wm_kv_mount(&kv, &fr.ops)) {
            printf("kvfuzz op %d: remount failed\n", op);
            return;
        }
    }
    printf("ok %d\n", nops);
}

int main(void)
{
    static harness h;
    static char line[4096];
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 0; i < SLOTS; i++) h.arena_mem[i] = malloc(ARENA_SIZE);
    wm_gpio_sim_init(&h.gpio, pin_names, pin_flags, h.levels, 4);
    memset(h.kv_mem, 0xFF, sizeof h.kv_mem);
    wm_flash_ram_init(&h.flash, h.kv_mem, KV_SIZE, KV_SECTOR);
    if (wm_kv_mount(&h.kv, &h.flash.ops)) return 2;
    wm_sim_periph_init(&h.periph, now_ms64);
    wm_sb_platform plat = {&h,
                           now_ms,
                           log_line,
                           sleep_hook,
                           NULL,
                           &h.gpio.ops,
                           &h.kv,
                           output_piece,
                           fixed_random,
                           NULL,
                           NULL,
                           NULL, /* no kv write budget here: the supervisor's */
                           0,    /* log_byte_fuel: the default */
                           &h.periph.ops};
    wm_sb_host_init(&h.host, &plat);
    h.dev.keys = (const uint8_t(*)[32])h.keys;
    h.dev.pinned = pinned;
    h.dev.pin_ctx = &h;
    wm_work_init(&h.work, NULL);
    h.dev.work = &h.work;
    while (fgets(line, sizeof line, stdin)) {
        char cmd[32] = "", a[256] = "", b[256] = "";
        int off = 0;
        if (sscanf(line, "%31s %255s %255s %n", cmd, a, b, &off) < 1) continue;
        if (strcmp(cmd, "provision") == 0 && strlen(a) == 64 && h.nkeys < 8) {
            for (int i = 0; i < 32; i++)
                h.keys[h.nkeys][i] = (uint8_t)(hexval(a[2 * i]) * 16 + hexval(a[2 * i + 1]));
            h.dev.nkeys = ++h.nkeys;
            printf("ok\n");
        } else if (strcmp(cmd, "pin") == 0 && h.npins < 8) {
            unsigned ma = 0, mi = 0, pa = 0;
            sscanf(line, "%*s %*s %u %u %u", &ma, &mi, &pa);
            snprintf(h.pin_name[h.npins], 33, "%.32s", a);
            h.pin_ver[h.npins][0] = (uint16_t)ma;
            h.pin_ver[h.npins][1] = (uint16_t)mi;
            h.pin_ver[h.npins][2] = (uint16_t)pa;
            h.npins++;
            printf("ok\n");
        } else if (strcmp(cmd, "arch") == 0) {
            h.dev.arch = (uint8_t)atoi(a);
            h.dev.aot_abi = (uint16_t)atoi(b);
            printf("ok\n");
        } else if (strcmp(cmd, "install") == 0) {
            int s = atoi(a);
            if (s < 0 || s >= SLOTS)
                printf("error bad slot\n");
            else
                cmd_install(&h, s, b);
        } else if (strcmp(cmd, "call") == 0) {
            int s = atoi(a);
            char rest[1024] = "";
            if (off > 0) snprintf(rest, sizeof rest, "%s", line + off);
            if (s < 0 || s >= SLOTS)
                printf("error bad slot\n");
            else
                cmd_call(&h, s, b, rest);
        } else if (strcmp(cmd, "uninstall") == 0) {
            int s = atoi(a);
            if (s >= 0 && s < SLOTS && h.live[s]) wm_sb_uninstall(&h.mods[s]);
            if (s >= 0 && s < SLOTS) h.live[s] = false;
            printf("ok\n");
        } else if (strcmp(cmd, "setpin") == 0 && pin_index(a) >= 0) {
            h.levels[pin_index(a)] = (uint8_t)atoi(b);
            printf("ok\n");
        } else if (strcmp(cmd, "getpin") == 0 && pin_index(a) >= 0) {
            printf("%d\n", h.levels[pin_index(a)]);
        } else if (strcmp(cmd, "kvremount") == 0) {
            printf(wm_kv_mount(&h.kv, &h.flash.ops) == 0 ? "ok\n" : "error mount\n");
        } else if (strcmp(cmd, "kvcut") == 0) {
            cmd_kvcut(&h);
        } else if (strcmp(cmd, "kvfuzz") == 0) {
            cmd_kvfuzz((unsigned)atoi(a), atoi(b));
        } else if (strcmp(cmd, "api") == 0) {
            uint32_t n;
            const wm_sb_api_entry *e = wm_sb_api(&n);
            for (uint32_t i = 0; i < n; i++)
                printf("%s%s/%s/%u", i ? " " : "", e[i].name, e[i].sig, e[i].cap);
            printf("\n");
        } else if (strcmp(cmd, "imports") == 0) {
            uint32_t ns;
            const wm_sb_import_set *sets = wm_sb_import_sets(&ns);
            for (uint32_t k = 0; k < ns; k++) {
                uint32_t n;
                const wm_sb_api_entry *e = sets[k].table(&n);
                for (uint32_t i = 0; i < n; i++)
                    printf("%s%s.%s/%s/%u/%d", k || i ? " " : "", sets[k].module, e[i].name,
                           e[i].sig, e[i].cap, sets[k].denied != NULL);
            }
            printf("\n");
        } else if (strcmp(cmd, "kicks") == 0) {
            printf("%u\n", (unsigned)h.work.kicks);
            wm_work_init(&h.work, NULL);
        } else if (strcmp(cmd, "kvpins") == 0) {
            h.dev.pinned = wm_sb_pin_lookup;
            h.dev.pin_ctx = &h.kv;
            printf("ok\n");
        } else if (strcmp(cmd, "pinrecord") == 0 && atoi(a) >= 0 && atoi(a) < SLOTS &&
                   h.live[atoi(a)]) {
            const wm_manifest *m = &h.mods[atoi(a)].manifest;
            printf(wm_sb_pin_record(&h.kv, m->name, m->version, NULL) == 0 ? "ok\n" : "error\n");
        } else if (strcmp(cmd, "pinclear") == 0) {
            printf("%d\n", wm_sb_pin_clear(&h.kv, a));
        } else if (strcmp(cmd, "sleepms") == 0) {
            struct timespec ts = {0, atol(a) * 1000000L};
            nanosleep(&ts, NULL);
            printf("ok\n");
        } else if (strcmp(cmd, "sim") == 0) {
            cmd_sim(&h, a, line);
        } else if (strcmp(cmd, "sleeps") == 0) {
            printf("%u\n", h.sleeps);
        } else {
            printf("error unknown command %s\n", cmd);
        }
    }
    return 0;
}
