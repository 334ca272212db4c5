/* See Arduino.h in this folder: Debian's xtensa-lx106-elf-gcc has no C library headers. */
#ifndef WM_TEST_STRING_H
#define WM_TEST_STRING_H
#include <stddef.h>
void *memset(void *d, int c, size_t n);
#endif
