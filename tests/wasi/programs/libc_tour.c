/* A wasi-libc program for the WASI tests: floats through printf, malloc, qsort, snprintf,
 * time and rand, its arguments and environment; exits with the status it is told. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    printf("floats %.3f %g %e %.1f\n", 3.14159265, 0.1, 12345.678, -2.25);
    int *v = malloc(1000 * sizeof *v);
    if (!v) return 3;
    long sum = 0;
    for (int i = 0; i < 1000; i++) {
        v[i] = (i * 7919) % 1000;
        sum += v[i];
    }
    qsort(v, 1000, sizeof *v, cmp);
    printf("malloc+qsort %d %d %d sum %ld\n", v[0], v[500], v[999], sum);
    free(v);
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%s-%05d-%x", "id", 42, 0xbeef);
    printf("snprintf %d [%s]\n", n, buf);
    srand(7);
    int r1 = rand(), r2 = rand();
    printf("rand %d %d\n", r1, r2);
    time_t t = time(NULL);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    clock_gettime(CLOCK_MONOTONIC, &b);
    int ordered = b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec);
    printf("time %s monotonic %s\n", t != (time_t)-1 ? "ok" : "failed",
           ordered ? "ok" : "backwards");
    for (int i = 1; i < argc; i++) printf("arg %d %s\n", i, argv[i]);
    const char *who = getenv("WHO");
    fprintf(stderr, "to stderr: %s\n", who ? who : "(no WHO)");
    return argc > 1 ? atoi(argv[argc - 1]) : 0;
}
