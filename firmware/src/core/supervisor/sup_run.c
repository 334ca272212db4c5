/* RUN: one call of an export on a fresh, temporary instance (s->tmp), released afterwards.
 * The call runs in slices of the module's fuel with the scheduler stepping in between, so
 * the started modules keep their timing while a RUN computes or sleeps. */
#include "sup_internal.h"

static const char *type_name(uint8_t t)
{
    switch (t) {
    case WM_I32: return "i32";
    case WM_I64: return "i64";
    case WM_F32: return "f32";
    case WM_F64: return "f64";
    case WM_FUNCREF: return "funcref";
    default: return "externref";
    }
}

static bool number_type(uint8_t t)
{
    return t == WM_I32 || t == WM_I64 || t == WM_F32 || t == WM_F64;
}

/* Checks the export's signature and the arguments against it; WM_ST_OK or a status and a
 * message. Only numbers cross the wire: a reference parameter would let the peer hand the
 * runtime an address, a reference result would show it one. */
static int check_args(const wm_func *f, const char *export_name, const wm_wire_value *args,
                      uint32_t nargs, wm_msg *t)
{
    uint32_t np = 0, nr = 0;
    const uint8_t *pt = NULL, *rt = NULL;
    wm_func_sig(f, &np, &pt, &nr, &rt);
    for (uint32_t i = 0; i < np + nr; i++) {
        uint8_t ty = i < np ? pt[i] : rt[i - np];
        if (!number_type(ty)) {
            wm_msg_fail(t, WM_ST_BAD_ARGS, export_name);
            wm_msg_put(t, i < np ? " takes a " : " returns a ");
            wm_msg_put(t, type_name(ty));
            wm_msg_put(t, ": only i32, i64, f32 and f64 cross the wire (RUN)");
            return WM_ST_BAD_ARGS;
        }
    }
    bool ok = np == nargs && nr <= WM_PROTO_MAX_VALUES;
    for (uint32_t i = 0; ok && i < np; i++) {
        ok = pt[i] == args[i].type;
    }
    if (ok) {
        return WM_ST_OK;
    }
    wm_msg_fail(t, WM_ST_BAD_ARGS, export_name);
    wm_msg_put(t, " takes (");
    for (uint32_t i = 0; i < np; i++) {
        wm_msg_put(t, i > 0 ? ", " : "");
        wm_msg_put(t, type_name(pt[i]));
    }
    wm_msg_put(t, ")");
    return WM_ST_BAD_ARGS;
}

/* Runs the call to completion, trap, or a budget; WM_ST_* with results or the reason. */
static int call_sliced(wm_supervisor *s, wm_slot *sl, const wm_func *f, const wm_val *in,
                       uint32_t nargs, wm_val *out, uint32_t nr, wm_msg *t)
{
    uint64_t slice = wm_sup_slice(s, sl), total = 0;
    wm_error err = {WM_OK, 0, "", NULL};
    wm_err e = WM_OK;
    bool first = true;
    for (;;) {
        e = first ? wm_call(sl->sb.inst, f, in, nargs, out, nr, slice, &err)
                  : wm_resume(sl->sb.inst, slice, out, nr, &err);
        first = false;
        uint64_t left = wm_fuel_left(sl->sb.inst);
        total += e == WM_ERR_OUT_OF_FUEL ? slice : (left <= slice ? slice - left : 0u);
        if (e == WM_ERR_OUT_OF_FUEL) {
            if (total >= s->cfg.run_fuel) {
                wm_abort(sl->sb.inst);
                return wm_msg_fail(t, WM_ST_TRAP, "out of fuel (the call ran too long)");
            }
            (void)wm_sup_step(s); /* the started modules get their turn */
            continue;
        }
        if (e == WM_ERR_BLOCKED) {
            uint64_t since = wm_sup_now(s);
            while (!wm_sup_woken(s, sl)) {
                if (wm_sup_now(s) - since > s->cfg.run_block_ms) {
                    wm_abort(sl->sb.inst);
                    wm_msg_fail(t, WM_ST_TRAP, "blocked for more than ");
                    wm_msg_put_u(t, s->cfg.run_block_ms);
                    wm_msg_put(t, " ms in sleep_ms/receive (RUN waits only that long)");
                    return WM_ST_TRAP;
                }
                if (!wm_sup_step(s) && s->cfg.idle != NULL) {
                    s->cfg.idle();
                }
            }
            continue;
        }
        break;
    }
    if (e != WM_OK) {
        uint32_t code = 0;
        if (wm_sb_exited(&sl->sb, err.msg, &code)) {
            wm_msg_fail(t, WM_ST_EXITED, NULL);
            wm_sup_exit_text(t, code);
            return WM_ST_EXITED;
        }
        if (e != WM_ERR_TRAP && e != WM_ERR_EXHAUSTION) {
            return wm_msg_fail(t, WM_ST_BAD_ARGS, err.msg);
        }
        wm_msg_fail(t, WM_ST_TRAP, NULL);
        wm_sup_trap_text(sl, &err, t);
        return WM_ST_TRAP;
    }
    return WM_ST_OK;
}

int wm_sup_run(void *ctx, wm_protocol *p, const char *name, const uint8_t *image, uint32_t size,
               const char *export_name, const wm_wire_value *args, uint32_t nargs,
               wm_wire_value *results, uint32_t *nresults, wm_msg *msg)
{
    wm_supervisor *s = ctx;
    wm_slot *sl = &s->tmp;
    (void)p;
    if (s->in_run) {
        return wm_msg_fail(msg, WM_ST_BUSY, "another RUN is in progress");
    }
    wm_sup_strcpy(sl->name, name, sizeof sl->name);
    int st = wm_sup_load(s, sl, name, image, size, msg);
    if (st != WM_ST_OK) {
        return st;
    }
    s->in_run = true;
    wm_extern ext;
    if (export_name[0] == '\0') { /* the module's entry, as START would run it */
        export_name = sl->sb.manifest.entry[0] != '\0' ? sl->sb.manifest.entry : "_start";
    }
    if (wm_export(sl->sb.inst, export_name, &ext) != WM_OK || ext.kind != WM_EXTERN_FUNC) {
        st = wm_msg_fail(msg, WM_ST_NOT_FOUND, "no exported function '");
        wm_msg_put(msg, export_name);
        wm_msg_put(msg, "'");
        wm_sup_put_exports(msg, sl->sb.inst);
    } else {
        st = check_args(ext.of.func, export_name, args, nargs, msg);
    }
    uint32_t np = 0, nr = 0;
    const uint8_t *pt = NULL, *rt = NULL;
    wm_val in[WM_PROTO_MAX_VALUES], out[WM_PROTO_MAX_VALUES];
    if (st == WM_ST_OK) {
        wm_func_sig(ext.of.func, &np, &pt, &nr, &rt);
        for (uint32_t i = 0; i < nargs; i++) {
            in[i].type = args[i].type;
            in[i].of.i64 = 0;
            if (args[i].type == WM_I32 || args[i].type == WM_F32) {
                in[i].of.i32 = (uint32_t)args[i].bits;
            } else {
                in[i].of.i64 = args[i].bits;
            }
        }
        /* a WASI reactor is initialized first */
        const wm_func *init = wm_sup_reactor_init(sl->sb.inst, export_name);
        st = init != NULL ? call_sliced(s, sl, init, NULL, 0, NULL, 0, msg) : WM_ST_OK;
        if (st == WM_ST_OK) {
            st = call_sliced(s, sl, ext.of.func, in, nargs, out, nr, msg);
        }
    }
    if (st == WM_ST_OK) {
        for (uint32_t i = 0; i < nr; i++) {
            results[i].type = rt[i];
            if (rt[i] == WM_I32 || rt[i] == WM_F32) {
                results[i].bits = out[i].of.i32;
            } else {
                results[i].bits = out[i].of.i64; /* numbers only: check_args */
            }
        }
        *nresults = nr;
    }
    wm_sup_unload(s, sl);
    s->in_run = false;
    if (st == WM_ST_TRAP) {
        /* A trap of a call counts like one of a started run (ls TRAPS, last trap): in the
         * module's record, claimed like START claims one if it has none yet. */
        wm_slot *rec = wm_sup_find(s, name);
        if (rec == NULL && (rec = wm_sup_claim(s)) != NULL) {
            wm_sup_reset_record(rec, name);
        }
        if (rec != NULL) {
            rec->traps++;
            wm_sup_strcpy(rec->last_trap, msg->buf, sizeof rec->last_trap);
        }
    }
    return st;
}
