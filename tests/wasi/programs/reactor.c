/* A WASI reactor (cc --wasi): its constructor runs in _initialize, before any export. Its
 * output tests the stream's exactness: a line longer than a piece, and bytes with no
 * newline after them. */
#include <stdio.h>
#include <string.h>

static int ready;

/* It prints: the compiler cannot fold it into static data. */
__attribute__((constructor)) static void init(void)
{
    printf("init\n");
    ready = 42;
}

__attribute__((export_name("value"))) int value(void)
{
    char line[301];
    memset(line, 'x', 300);
    line[300] = 0;
    printf("value %d\n%s\n", ready, line);
    fwrite("\x01\x02\x7f", 1, 3, stdout);
    fflush(stdout);
    return ready;
}
