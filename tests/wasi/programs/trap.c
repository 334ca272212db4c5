/* Traps two calls deep: the report must name both functions and their lines. */
#include <stdio.h>

int table[4];

__attribute__((noinline)) int filter_step(int i) { return table[i * 1000000]; }

int main(int argc, char **argv)
{
    (void)argv;
    printf("about to fail\n");
    return filter_step(argc);
}
