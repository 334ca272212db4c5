/* Quicksort (recursive, median of three) of 10 000 pseudo-random ints, n times: calls,
 * compares, unpredictable branches and i32 memory traffic. */
#include "kernel.h"

#define COUNT 10000

static int32_t v[COUNT];

static void swap(int32_t *x, int32_t *y)
{
    int32_t t = *x;
    *x = *y;
    *y = t;
}

static void quicksort(int32_t *a, int lo, int hi)
{
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (a[mid] < a[lo]) swap(&a[mid], &a[lo]);
        if (a[hi] < a[lo]) swap(&a[hi], &a[lo]);
        if (a[hi] < a[mid]) swap(&a[hi], &a[mid]);
        int32_t pivot = a[mid];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                swap(&a[i], &a[j]);
                i++;
                j--;
            }
        }
        /* Recurse into the smaller half to bound the depth. */
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
}

KERNEL_EXPORT uint32_t run(uint32_t n)
{
    uint32_t seed = 11;
    uint32_t sum = 0;
    for (uint32_t rep = 0; rep < n; rep++) {
        for (int i = 0; i < COUNT; i++)
            v[i] = (int32_t)lcg_next(&seed);
        quicksort(v, 0, COUNT - 1);
        for (int i = 0; i < COUNT; i += 97)
            sum = sum * 33u + (uint32_t)v[i];
        for (int i = 1; i < COUNT; i++)
            if (v[i - 1] > v[i])
                return 0xBADu; /* not sorted */
    }
    return sum;
}
