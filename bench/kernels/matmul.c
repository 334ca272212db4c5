/* 48x48 int32 matrix multiply, n times (C = A*B, then A = C mod small to keep it going).
 * Nested loops with 2-D index arithmetic and i32 loads/stores. */
#include "kernel.h"

#define N 48

static int32_t a[N][N], b[N][N], c[N][N];

KERNEL_EXPORT uint32_t run(uint32_t n)
{
    uint32_t seed = 7;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            a[i][j] = (int32_t)(lcg_next(&seed) >> 24) - 128;
            b[i][j] = (int32_t)(lcg_next(&seed) >> 24) - 128;
        }
    uint32_t sum = 0;
    for (uint32_t rep = 0; rep < n; rep++) {
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                int32_t s = 0;
                for (int k = 0; k < N; k++)
                    s += a[i][k] * b[k][j];
                c[i][j] = s;
            }
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                sum = sum * 31u + (uint32_t)c[i][j];
                a[i][j] = (c[i][j] & 0xFF) - 128;
            }
    }
    return sum;
}
