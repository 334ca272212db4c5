/* What the WASI layer and the AssemblyScript imports keep per module (in wm_sb_module). */
#ifndef WM_WASI_STATE_H
#define WM_WASI_STATE_H

#include <stdbool.h>
#include <stdint.h>

#define WM_WASI_TEXT_MAX 96u

typedef struct wm_wasi_state {
    uint8_t closed;     /* bit n set: fd n (0..2) was closed by fd_close */
    bool exited;        /* proc_exit was called: the trap that ends the call is the exit */
    uint32_t exit_code;
    bool has_text;      /* `text` holds the module's own trap message (AssemblyScript abort) */
    char text[WM_WASI_TEXT_MAX];
} wm_wasi_state;

#endif
