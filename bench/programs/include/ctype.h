/* ctype.h for the benchmark programs (ASCII, the "C" locale). */
#ifndef WM_BENCH_CTYPE_H
#define WM_BENCH_CTYPE_H

int isdigit(int c);
int isspace(int c);
int isxdigit(int c);
int tolower(int c);

#endif
