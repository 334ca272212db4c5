/* A module that tries to write to the key-value store without being granted `kv`. */
#include "wasmote.h"

__attribute__((export_name("run"))) int32_t run(void)
{
    static const char key[] = "owned";
    return wm_kv_set(key, 5, key, 5);
}
