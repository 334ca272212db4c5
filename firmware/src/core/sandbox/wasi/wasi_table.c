/* The import table of module "wasi_snapshot_preview1": all 46 functions of WASI preview 1
 * with their exact signatures (wasi_snapshot_preview1.witx), so any wasi-libc or Rust std
 * program links. A function behind a capability links the real one only when the manifest
 * grants it, else wm_wasi_denied (ENOTCAPABLE). The others do nothing a module could abuse
 * (no fd but stdio exists) and are always linked. Mirrored by wasi.py on the host. */
#include "wasi.h"

wm_err wm_wasi_denied(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    (void)inst;
    (void)user;
    (void)args;
    return wm_wasi_ret(results, WM_WASI_ENOTCAPABLE);
}

static const wm_sb_api_entry k_wasi[] = {
    {"args_get", "ii:i", 0, wm_wasi_args_get},
    {"args_sizes_get", "ii:i", 0, wm_wasi_args_sizes_get},
    {"environ_get", "ii:i", 0, wm_wasi_environ_get},
    {"environ_sizes_get", "ii:i", 0, wm_wasi_environ_sizes_get},
    {"clock_res_get", "ii:i", WM_CAP_TIME, wm_wasi_clock_res_get},
    {"clock_time_get", "iIi:i", WM_CAP_TIME, wm_wasi_clock_time_get},
    {"fd_advise", "iIIi:i", 0, wm_wasi_fd_notsup},
    {"fd_allocate", "iII:i", 0, wm_wasi_fd_notsup},
    {"fd_close", "i:i", WM_CAP_LOG, wm_wasi_fd_close},
    {"fd_datasync", "i:i", 0, wm_wasi_fd_notsup},
    {"fd_fdstat_get", "ii:i", WM_CAP_LOG, wm_wasi_fd_fdstat_get},
    {"fd_fdstat_set_flags", "ii:i", 0, wm_wasi_fd_fdstat_set_flags},
    {"fd_fdstat_set_rights", "iII:i", 0, wm_wasi_fd_notsup},
    {"fd_filestat_get", "ii:i", 0, wm_wasi_fd_filestat_get},
    {"fd_filestat_set_size", "iI:i", 0, wm_wasi_fd_notsup},
    {"fd_filestat_set_times", "iIIi:i", 0, wm_wasi_fd_notsup},
    {"fd_pread", "iiiIi:i", 0, wm_wasi_fd_spipe},
    {"fd_prestat_get", "ii:i", 0, wm_wasi_fd_prestat},
    {"fd_prestat_dir_name", "iii:i", 0, wm_wasi_fd_prestat},
    {"fd_pwrite", "iiiIi:i", 0, wm_wasi_fd_spipe},
    {"fd_read", "iiii:i", 0, wm_wasi_fd_read},
    {"fd_readdir", "iiiIi:i", 0, wm_wasi_fd_readdir},
    {"fd_renumber", "ii:i", 0, wm_wasi_fd_notsup},
    {"fd_seek", "iIii:i", WM_CAP_LOG, wm_wasi_fd_spipe},
    {"fd_sync", "i:i", 0, wm_wasi_fd_notsup},
    {"fd_tell", "ii:i", 0, wm_wasi_fd_spipe},
    {"fd_write", "iiii:i", WM_CAP_LOG, wm_wasi_fd_write},
    {"path_create_directory", "iii:i", 0, wm_wasi_path},
    {"path_filestat_get", "iiiii:i", 0, wm_wasi_path},
    {"path_filestat_set_times", "iiiiIIi:i", 0, wm_wasi_path},
    {"path_link", "iiiiiii:i", 0, wm_wasi_path},
    {"path_open", "iiiiiIIii:i", 0, wm_wasi_path},
    {"path_readlink", "iiiiii:i", 0, wm_wasi_path},
    {"path_remove_directory", "iii:i", 0, wm_wasi_path},
    {"path_rename", "iiiiii:i", 0, wm_wasi_path},
    {"path_symlink", "iiiii:i", 0, wm_wasi_path_symlink},
    {"path_unlink_file", "iii:i", 0, wm_wasi_path},
    {"poll_oneoff", "iiii:i", WM_CAP_SLEEP, wm_wasi_poll_oneoff},
    {"proc_exit", "i:", 0, wm_wasi_proc_exit},
    {"proc_raise", "i:i", 0, wm_wasi_proc_raise},
    {"sched_yield", ":i", 0, wm_wasi_sched_yield},
    {"random_get", "ii:i", WM_CAP_RANDOM, wm_wasi_random_get},
    {"sock_accept", "iii:i", 0, wm_wasi_sock},
    {"sock_recv", "iiiiii:i", 0, wm_wasi_sock},
    {"sock_send", "iiiii:i", 0, wm_wasi_sock},
    {"sock_shutdown", "ii:i", 0, wm_wasi_sock},
};

const wm_sb_api_entry *wm_wasi_api(uint32_t *count)
{
    *count = (uint32_t)(sizeof k_wasi / sizeof k_wasi[0]);
    return k_wasi;
}

static const wm_sb_import_set k_sets[] = {
    {"wasmote", wm_sb_api, NULL},
    {"wasi_snapshot_preview1", wm_wasi_api, wm_wasi_denied},
    {"env", wm_as_api, NULL},
};

const wm_sb_import_set *wm_sb_import_sets(uint32_t *count)
{
    *count = (uint32_t)(sizeof k_sets / sizeof k_sets[0]);
    return k_sets;
}
