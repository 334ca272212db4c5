/* lx106_helpers.h - the libgcc helpers the port supplies (lx106_intdiv.c,
 * lx106_softfloat.c). Their names are libgcc's (__udivsi3 ...); a host test builds the
 * same code with another prefix (WM_LX106_HELPER_PREFIX) to compare it with the host. */
#ifndef LX106_HELPERS_H
#define LX106_HELPERS_H

#include <stdint.h>

#ifndef WM_LX106_HELPER_PREFIX
#define WM_LX106_HELPER_PREFIX __
#endif
#define WM_LX106_CAT2(p, n) p##n
#define WM_LX106_CAT(p, n) WM_LX106_CAT2(p, n)
#define WM_LX106_HELPER(name) WM_LX106_CAT(WM_LX106_HELPER_PREFIX, name)

uint64_t WM_LX106_HELPER(umulsidi3)(uint32_t a, uint32_t b);
uint32_t WM_LX106_HELPER(udivsi3)(uint32_t n, uint32_t d);
uint32_t WM_LX106_HELPER(umodsi3)(uint32_t n, uint32_t d);
int32_t WM_LX106_HELPER(divsi3)(int32_t n, int32_t d);
uint64_t WM_LX106_HELPER(udivdi3)(uint64_t n, uint64_t d);
uint64_t WM_LX106_HELPER(umoddi3)(uint64_t n, uint64_t d);
int64_t WM_LX106_HELPER(divdi3)(int64_t n, int64_t d);
int64_t WM_LX106_HELPER(muldi3)(int64_t a, int64_t b);

float WM_LX106_HELPER(addsf3)(float a, float b);
float WM_LX106_HELPER(subsf3)(float a, float b);
float WM_LX106_HELPER(mulsf3)(float a, float b);
double WM_LX106_HELPER(adddf3)(double a, double b);
double WM_LX106_HELPER(subdf3)(double a, double b);
double WM_LX106_HELPER(muldf3)(double a, double b);
double WM_LX106_HELPER(divdf3)(double a, double b);
float WM_LX106_HELPER(floatsisf)(int32_t a);
float WM_LX106_HELPER(floatunsisf)(uint32_t a);
double WM_LX106_HELPER(floatsidf)(int32_t a);
double WM_LX106_HELPER(floatunsidf)(uint32_t a);
int32_t WM_LX106_HELPER(fixdfsi)(double a);
uint32_t WM_LX106_HELPER(fixunsdfsi)(double a);
uint32_t WM_LX106_HELPER(fixunssfsi)(float a);
double WM_LX106_HELPER(extendsfdf2)(float a);
float WM_LX106_HELPER(truncdfsf2)(double a);

#endif /* LX106_HELPERS_H */
