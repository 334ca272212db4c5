/* Runs stored modules for the protocol (RUN) and at boot (autostart) on the wasmote
 * runtime: load in place from the memory-mapped store, instantiate in an arena the port
 * hands in, call one export with a fuel budget, release everything again.
 *
 * START runs `_start` of a module in the background: one instance at a time, resumed a
 * slice of fuel per main-loop turn (wm_runner_step), while RUN keeps working above it in
 * the same arena; STOP aborts it.
 *
 * Host functions linked (module "wasmote"): log(ptr, len) -> i32, which becomes a LOG
 * event tagged with the module's name, and yield() -> i32. The rest of host API 1
 * (docs/api.md) comes with the host-API component. */
#ifndef WM_RUNNER_H
#define WM_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "protocol.h"
#include "wasmote.h"

#define WM_RUNNER_LOG_MAX 128u

/* The one module running in the background (START): suspended between slices of fuel. */
typedef struct {
    bool active;
    char name[WM_STORE_NAME_MAX + 1];
    size_t mark;          /* arena mark to release when it ends */
    wm_instance *inst;
} wm_runner_bg;

typedef struct {
    wm_arena arena;
    wm_store *store;             /* where START finds modules */
    uint64_t slice;              /* fuel per background step */
    wm_runner_bg bg;
    wm_limits limits;
    uint64_t fuel;               /* per call; a module that runs out traps "out of fuel" */
    wm_protocol *proto;          /* for LOG events during a call */
    const char *module;          /* name of the module being run */
    wm_host_func host[2];
    char msg[96];                /* last validation / load error */
} wm_runner;

/* `mem`/`size`: RAM for modules and instances (released after every call). */
void wm_runner_init(wm_runner *r, void *mem, size_t size, uint64_t fuel);
/* Fill a protocol runner (RUN, START, STOP) that uses `r` and finds modules in `store`. */
void wm_runner_ops(wm_runner *r, wm_protocol_runner *ops, wm_store *store);
/* Give the background module one slice of fuel; an exit or trap ends it with an EXIT or
 * TRAP event. Returns true while a module is still running. */
bool wm_runner_step(wm_runner *r, wm_protocol *p);
/* Store validate callback (ctx = wm_runner*): the loader's full validation. */
int wm_runner_validate(void *ctx, const uint8_t *image, uint32_t size);
const char *wm_runner_validate_error(void *ctx);
/* Call `_start` of every autostart module; a trap is reported as a TRAP event and a log
 * line and does not stop the others (a bad module cannot brick the device). Returns the
 * number of modules that ran without trapping. */
uint32_t wm_runner_autostart(wm_runner *r, wm_protocol *p, wm_store *st);

#endif
