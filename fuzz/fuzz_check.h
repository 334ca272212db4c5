/* fuzz_check.h - an oracle of a fuzz target: a broken expectation is a finding, so stop
 * the way libFuzzer reports (a trap, with the input saved), not with an assert that a
 * release build could drop. */
#ifndef WM_FUZZ_CHECK_H
#define WM_FUZZ_CHECK_H

#define CHECK(cond)           \
    do {                      \
        if (!(cond)) {        \
            __builtin_trap(); \
        }                     \
    } while (0)

#endif
