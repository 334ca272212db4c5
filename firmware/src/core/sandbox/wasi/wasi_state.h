/* What the WASI layer and the AssemblyScript imports keep per module (in wm_sb_module). */
#ifndef WM_WASI_STATE_H
#define WM_WASI_STATE_H

#include <stdbool.h>
#include <stdint.h>

#define WM_WASI_TEXT_MAX 96u

typedef struct wm_wasi_state {
    uint8_t closed;              /* bit n set: fd n (0..2) was closed by fd_close */
    uint32_t exit_code;          /* of the last proc_exit (wm_sb_exited says if a trap was one) */
    char text[WM_WASI_TEXT_MAX]; /* the module's own trap message (AssemblyScript abort) */
    /* A random_get cut into pieces: which call (buffer, length) and how much is filled; only
     * the retry of that blocked call continues it (random_done != 0). */
    uint32_t random_ptr, random_len, random_done;
} wm_wasi_state;

#endif
