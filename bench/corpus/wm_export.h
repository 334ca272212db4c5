/* Shared helpers for the strip benchmark corpus: freestanding, no libc. */
#ifndef WM_CORPUS_EXPORT_H
#define WM_CORPUS_EXPORT_H

#include <stddef.h>
#include <stdint.h>

/* Exported names are what the benchmark and the differential test call. */
#define WM_EXPORT(name) __attribute__((export_name(name)))

#endif
