/* The boot self-test: loads the built-in module (selftest.wat), calls each export on the
 * runtime and compares the result bits with the ones wasmtime computed on the host. */
#ifndef WM_APP_SELFTEST_H
#define WM_APP_SELFTEST_H

#include <stddef.h>
#include <stdint.h>

/* Prints one line per case and a summary line; returns the number of failed cases
 * (or 1 when the module could not be loaded). `ram` is scratch for the runtime's arena. */
unsigned wm_selftest_run(uint8_t *ram, size_t ram_size);

#endif /* WM_APP_SELFTEST_H */
