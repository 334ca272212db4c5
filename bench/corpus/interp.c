/* Larger: a bytecode stack machine whose opcodes dispatch through a function table. */
#include "wm_export.h"

enum op {
    OP_HALT, OP_PUSH, OP_POP, OP_DUP, OP_SWAP, OP_OVER, OP_ADD, OP_SUB, OP_MUL, OP_DIV,
    OP_MOD, OP_NEG, OP_AND, OP_OR, OP_XOR, OP_SHL, OP_SHR, OP_EQ, OP_LT, OP_GT, OP_NOT,
    OP_JMP, OP_JZ, OP_JNZ, OP_LOAD, OP_STORE, OP_CALL, OP_RET, OP_PRINT, OP_COUNT
};

enum status { ST_RUN, ST_HALT, ST_STACK, ST_DIV0, ST_BADOP, ST_BADADDR, ST_FUEL };

#define STACK_MAX 64
#define FRAMES_MAX 16
#define VARS 16

struct vm {
    const uint8_t *code;
    uint32_t code_len, pc, sp, fp;
    int32_t stack[STACK_MAX];
    uint32_t frames[FRAMES_MAX];
    int32_t vars[VARS];
    int32_t out_hash;
    enum status st;
};

typedef void (*handler)(struct vm *);

static int32_t pop(struct vm *m) {
    if (m->sp == 0) { m->st = ST_STACK; return 0; }
    return m->stack[--m->sp];
}

static void push(struct vm *m, int32_t v) {
    if (m->sp == STACK_MAX) { m->st = ST_STACK; return; }
    m->stack[m->sp++] = v;
}

static int32_t fetch_i32(struct vm *m) {
    if (m->pc + 4 > m->code_len) { m->st = ST_BADADDR; return 0; }
    const uint8_t *p = m->code + m->pc;
    m->pc += 4;
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16
                     | (uint32_t)p[3] << 24);
}

static void h_halt(struct vm *m) { m->st = ST_HALT; }
static void h_push(struct vm *m) { push(m, fetch_i32(m)); }
static void h_pop(struct vm *m) { (void)pop(m); }
static void h_dup(struct vm *m) { int32_t a = pop(m); push(m, a); push(m, a); }
static void h_swap(struct vm *m) { int32_t b = pop(m), a = pop(m); push(m, b); push(m, a); }
static void h_over(struct vm *m) { int32_t b = pop(m), a = pop(m); push(m, a); push(m, b); push(m, a); }
static void h_add(struct vm *m) { int32_t b = pop(m), a = pop(m); push(m, (int32_t)((uint32_t)a + (uint32_t)b)); }
static void h_sub(struct vm *m) { int32_t b = pop(m), a = pop(m); push(m, (int32_t)((uint32_t)a - (uint32_t)b)); }
static void h_mul(struct vm *m) { int32_t b = pop(m), a = pop(m); push(m, (int32_t)((uint32_t)a * (uint32_t)b)); }
static void h_div(struct vm *m) {
    int32_t b = pop(m), a = pop(m);
    if (b == 0 || (a == INT32_MIN && b == -1)) { m->st = ST_DIV0; return; }
    push(m, a / b);
}
static void h_mod(struct vm *m) {
    int32_t b = pop(m), a = pop(m);
    if (b == 0 || (a == INT32_MIN && b == -1)) { m->st = ST_DIV0; return; }
    push(m, a % b);
}
static void h_neg(struct vm *m) { push(m, (int32_t)(0u - (uint32_t)pop(m))); }
static void h_and(struct vm *m) { int32_t b = pop(m), a = pop(m); push(m, a & b); }
static void h_or(struct vm *m) { int32_t b = pop(m), a = pop(m); push(m, a | b); }
static void h_xor(struct vm *m) { int32_t b = pop(m), a = pop(m); push(m, a ^ b); }
static void h_shl(struct vm *m) { int32_t b = pop(m), a = pop(m); push(m, (int32_t)((uint32_t)a << (b & 31))); }
static void h_shr(struct vm *m) { int32_t b = pop(m), a = pop(m); push(m, a >> (b & 31)); }
static void h_eq(struct vm *m) { int32_t b = pop(m), a = pop(m); push(m, a == b); }
static void h_lt(struct vm *m) { int32_t b = pop(m), a = pop(m); push(m, a < b); }
static void h_gt(struct vm *m) { int32_t b = pop(m), a = pop(m); push(m, a > b); }
static void h_not(struct vm *m) { push(m, !pop(m)); }
static void jump(struct vm *m, int32_t target) {
    if (target < 0 || (uint32_t)target >= m->code_len) { m->st = ST_BADADDR; return; }
    m->pc = (uint32_t)target;
}
static void h_jmp(struct vm *m) { jump(m, fetch_i32(m)); }
static void h_jz(struct vm *m) { int32_t t = fetch_i32(m); if (pop(m) == 0) jump(m, t); }
static void h_jnz(struct vm *m) { int32_t t = fetch_i32(m); if (pop(m) != 0) jump(m, t); }
static void h_load(struct vm *m) {
    int32_t i = fetch_i32(m);
    if (i < 0 || i >= VARS) { m->st = ST_BADADDR; return; }
    push(m, m->vars[i]);
}
static void h_store(struct vm *m) {
    int32_t i = fetch_i32(m);
    if (i < 0 || i >= VARS) { m->st = ST_BADADDR; return; }
    m->vars[i] = pop(m);
}
static void h_call(struct vm *m) {
    int32_t t = fetch_i32(m);
    if (m->fp == FRAMES_MAX) { m->st = ST_STACK; return; }
    m->frames[m->fp++] = m->pc;
    jump(m, t);
}
static void h_ret(struct vm *m) {
    if (m->fp == 0) { m->st = ST_HALT; return; }
    m->pc = m->frames[--m->fp];
}
static void h_print(struct vm *m) { m->out_hash = m->out_hash * 33 + pop(m); }

static const handler handlers[OP_COUNT] = {
    h_halt, h_push, h_pop, h_dup, h_swap, h_over, h_add, h_sub, h_mul, h_div,
    h_mod, h_neg, h_and, h_or, h_xor, h_shl, h_shr, h_eq, h_lt, h_gt, h_not,
    h_jmp, h_jz, h_jnz, h_load, h_store, h_call, h_ret, h_print,
};

static struct vm g_vm;

/* Runs `code` for at most `fuel` instructions; returns top of stack, or -(status) on error. */
WM_EXPORT("vm_run") int32_t vm_run(const uint8_t *code, uint32_t len, uint32_t fuel) {
    struct vm *m = &g_vm;
    m->code = code; m->code_len = len; m->pc = 0; m->sp = 0; m->fp = 0;
    m->out_hash = 0; m->st = ST_RUN;
    for (int i = 0; i < VARS; i++) m->vars[i] = 0;
    while (m->st == ST_RUN) {
        if (fuel-- == 0) { m->st = ST_FUEL; break; }
        if (m->pc >= m->code_len) { m->st = ST_BADADDR; break; }
        uint8_t op = m->code[m->pc++];
        if (op >= OP_COUNT) { m->st = ST_BADOP; break; }
        handlers[op](m);
    }
    if (m->st != ST_HALT) return -(int32_t)m->st;
    return m->sp ? m->stack[m->sp - 1] : m->out_hash;
}

#define I32(v) (uint8_t)((v) & 0xFF), (uint8_t)(((v) >> 8) & 0xFF), \
               (uint8_t)(((v) >> 16) & 0xFF), (uint8_t)(((uint32_t)(v) >> 24) & 0xFF)

/* Iterative factorial of 10 via a subroutine, printing each partial product. */
static const uint8_t prog_fact[] = {
    OP_PUSH, I32(1), OP_STORE, I32(0),          /* 0: acc = 1 */
    OP_PUSH, I32(10), OP_STORE, I32(1),         /* 10: n = 10 */
    OP_LOAD, I32(1), OP_JZ, I32(40),            /* 20: while n */
    OP_CALL, I32(41), OP_JMP, I32(20),          /* 30: body */
    OP_HALT,                                    /* 40 */
    OP_LOAD, I32(0), OP_LOAD, I32(1), OP_MUL,   /* 41: acc *= n */
    OP_DUP, OP_PRINT, OP_STORE, I32(0),
    OP_LOAD, I32(1), OP_PUSH, I32(1), OP_SUB, OP_STORE, I32(1), /* n -= 1 */
    OP_RET,
};

static const uint8_t prog_div0[] = { OP_PUSH, I32(7), OP_PUSH, I32(0), OP_DIV, OP_HALT };
static const uint8_t prog_loop[] = { OP_JMP, I32(0) };

WM_EXPORT("selftest") int32_t selftest(void) {
    int32_t a = vm_run(prog_fact, sizeof prog_fact, 10000);
    int32_t b = vm_run(prog_div0, sizeof prog_div0, 100);
    int32_t c = vm_run(prog_loop, sizeof prog_loop, 1000);
    return a * 7 + b * 3 + c;
}
