/* pd_keep_unit.c - the install's translation stops where what it may keep does
 * (wm_pd_translate_kept: the store's room after the image), so a form that would not be
 * stored costs the install little: argv[1] is a module of many loops (a form twice its
 * size). Prints the work meter's kicks of a translation kept to 256 bytes and of a whole
 * one, then "ok". Built with WM_PREDECODE, ASan+UBSan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasmote.h"
#include "wm_pd.h"
#include "wm_work.h"

#include "harness.h"

static uint32_t kicks_of(wm_module *m, uint8_t *out, size_t cap, size_t keep, wm_err want,
                         const char *msg)
{
    wm_work w;
    wm_work_init(&w, NULL);
    m->work = &w;
    size_t len = 0;
    wm_error e;
    memset(&e, 0, sizeof e);
    CHECK(wm_pd_translate_kept(m, out, cap, keep, &len, &e) == want);
    CHECK(msg == NULL || (e.msg != NULL && strcmp(e.msg, msg) == 0));
    CHECK(len <= keep);
    return w.kicks;
}

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    loaded_module lm;
    load_module_file(&lm, argv[1], 64u << 20);
    wm_module *m = lm.m;
    size_t cap = 16u << 20;
    uint8_t *out = wm_arena_alloc(&lm.arena, cap, 8);
    CHECK(out != NULL);
    uint32_t kept =
        kicks_of(m, out, cap, 256u, WM_ERR_LIMIT, "no room to keep its pre-decoded form");
    uint32_t whole = kicks_of(m, out, cap, SIZE_MAX, WM_OK, NULL);
    printf("kept %u whole %u\n", (unsigned)kept, (unsigned)whole);
    unload_module_file(&lm);
    printf("ok\n");
    return 0;
}
