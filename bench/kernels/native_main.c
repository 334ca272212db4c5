/* Native harness for the benchmark kernels: prints run(n) for n from argv[1]. */
#include <stdio.h>
#include <stdlib.h>

#include "kernel.h"

int main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1u;
    printf("%u\n", (unsigned)run(n));
    return 0;
}
