/* See Arduino.h in this folder: Debian's xtensa-lx106-elf-gcc has no C library headers. */
#ifndef WM_TEST_STDLIB_H
#define WM_TEST_STDLIB_H
#include <stddef.h>
void *malloc(size_t n);
#endif
