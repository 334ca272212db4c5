/* lx106_fp_impl.h - IEEE 754 binary32/binary64 add, subtract, multiply, divide and rounding
 * in integer arithmetic, round to nearest even, subnormals in and out; included once per
 * format by lx106_softfloat.c (a template: FP_* name the format, FP(x) prefixes names).
 * A NaN operand comes back quieted with its payload, an invalid operation gives the
 * canonical NaN: both are what WebAssembly's arithmetic NaN rules accept.
 *
 * Working significands keep the leading (implicit) bit at FP_SIG + 3: three bits below the
 * last kept one for guard, round and a sticky OR of everything shifted out. */

/* unused in one of the formats (libgcc has __divsf3) */
#define FP_FN static __attribute__((unused))
#define FP_W ((int)(8 * sizeof(FP_UINT)))
#define FP_ONE ((FP_UINT)1)
#define FP_IMPLICIT (FP_ONE << FP_SIG)
#define FP_SIG_MASK (FP_IMPLICIT - 1u)
#define FP_SIGN (FP_ONE << (FP_W - 1))
#define FP_ABS (FP_SIGN - 1u)
#define FP_EXP_MAX ((int)((FP_ABS >> FP_SIG))) /* all-ones exponent */
#define FP_INF ((FP_UINT)FP_EXP_MAX << FP_SIG)
#define FP_QUIET (FP_ONE << (FP_SIG - 1))
#define FP_QNAN (FP_INF | FP_QUIET)
#define FP_BIAS (FP_EXP_MAX >> 1)

/* sig >> n with the shifted-out bits ORed into bit 0; any n >= 0. */
FP_FN FP_UINT FP(shr_sticky)(FP_UINT sig, int n)
{
    if (n == 0) {
        return sig;
    }
    if (n >= FP_W) {
        return sig != 0u;
    }
    return (sig >> n) | ((sig << (FP_W - n)) != 0u);
}

/* sign | the value 1.fff * 2^(exp - bias) where sig has its leading bit at FP_SIG + 3, or
 * at most there when exp is 1 and the value is subnormal. exp may be out of range. */
FP_FN FP_UINT FP(round_pack)(FP_UINT sign, int exp, FP_UINT sig)
{
    if (exp >= FP_EXP_MAX) {
        return sign | FP_INF;
    }
    if (exp <= 0) {
        sig = FP(shr_sticky)(sig, 1 - exp);
        exp = 0;
    }
    unsigned rest = (unsigned)(sig & 7u);
    FP_UINT r = sign | ((FP_UINT)exp << FP_SIG) | ((sig >> 3) & FP_SIG_MASK);
    if (rest > 4u || (rest == 4u && (r & 1u))) {
        r++; /* a carry out of the significand moves into the exponent, up to infinity */
    }
    return r;
}

/* Shifts a nonzero sig left until its leading bit is at FP_SIG + 3; returns the shift. */
FP_FN int FP(normalize)(FP_UINT *sig)
{
    int n = 0;
    while (!(*sig & (FP_IMPLICIT << 3))) {
        *sig <<= 1;
        n++;
    }
    return n;
}

FP_FN FP_UINT FP(add)(FP_UINT a, FP_UINT b)
{
    FP_UINT a_abs = a & FP_ABS, b_abs = b & FP_ABS;
    if (a_abs - 1u >= FP_INF - 1u || b_abs - 1u >= FP_INF - 1u) {
        if (a_abs > FP_INF) {
            return a | FP_QUIET;
        }
        if (b_abs > FP_INF) {
            return b | FP_QUIET;
        }
        if (a_abs == FP_INF) {
            return (b_abs == FP_INF && ((a ^ b) & FP_SIGN)) ? FP_QNAN : a;
        }
        if (b_abs == FP_INF) {
            return b;
        }
        if (a_abs == 0u) {
            return b_abs == 0u ? (a & b) : b; /* -0 + -0 = -0, else +0 */
        }
        return a;
    }
    if (b_abs > a_abs) { /* a has the larger magnitude */
        FP_UINT t = a;
        a = b;
        b = t;
        a_abs = a & FP_ABS;
        b_abs = b & FP_ABS;
    }
    int a_exp = (int)(a_abs >> FP_SIG), b_exp = (int)(b_abs >> FP_SIG);
    FP_UINT a_sig = a_abs & FP_SIG_MASK, b_sig = b_abs & FP_SIG_MASK;
    /* a subnormal has exponent 1 without the implicit bit: no normalising needed here */
    if (a_exp == 0) {
        a_exp = 1;
    } else {
        a_sig |= FP_IMPLICIT;
    }
    if (b_exp == 0) {
        b_exp = 1;
    } else {
        b_sig |= FP_IMPLICIT;
    }
    a_sig <<= 3;
    b_sig = FP(shr_sticky)(b_sig << 3, a_exp - b_exp);
    if ((a ^ b) & FP_SIGN) {
        a_sig -= b_sig;
        if (a_sig == 0u) {
            return 0u; /* exact cancellation: +0 when rounding to nearest */
        }
    } else {
        a_sig += b_sig;
        if (a_sig & (FP_IMPLICIT << 4)) {
            a_sig = FP(shr_sticky)(a_sig, 1);
            a_exp++;
        }
    }
    a_exp -= FP(normalize)(&a_sig); /* exact: the low bits are zeros when it shifts far */
    return FP(round_pack)(a & FP_SIGN, a_exp, a_sig);
}

/* Unpacks a finite nonzero |x| into a significand with the implicit bit at FP_SIG and an
 * exponent (subnormals normalised, so the exponent may be <= 0). */
FP_FN int FP(unpack)(FP_UINT x_abs, FP_UINT *sig)
{
    int exp = (int)(x_abs >> FP_SIG);
    FP_UINT s = x_abs & FP_SIG_MASK;
    if (exp == 0) {
        exp = 1;
        while (!(s & FP_IMPLICIT)) {
            s <<= 1;
            exp--;
        }
    } else {
        s |= FP_IMPLICIT;
    }
    *sig = s;
    return exp;
}

/* The special cases shared by multiply and divide: NaNs, infinities, zeros. Returns 1 and
 * sets *r when one applies. */
FP_FN int FP(special_muldiv)(FP_UINT a, FP_UINT b, int div, FP_UINT *r)
{
    FP_UINT a_abs = a & FP_ABS, b_abs = b & FP_ABS, sign = (a ^ b) & FP_SIGN;
    if (a_abs > FP_INF) {
        *r = a | FP_QUIET;
    } else if (b_abs > FP_INF) {
        *r = b | FP_QUIET;
    } else if (a_abs == FP_INF) {
        /* inf * 0 and inf / inf are invalid */
        *r = (div ? b_abs == FP_INF : b_abs == 0u) ? FP_QNAN : (sign | FP_INF);
    } else if (b_abs == FP_INF) {
        *r = div ? sign : (a_abs == 0u ? FP_QNAN : (sign | FP_INF));
    } else if (a_abs == 0u) {
        *r = (div && b_abs == 0u) ? FP_QNAN : sign;
    } else if (b_abs == 0u) {
        *r = div ? (sign | FP_INF) : sign;
    } else {
        return 0;
    }
    return 1;
}

FP_FN FP_UINT FP(mul)(FP_UINT a, FP_UINT b)
{
    FP_UINT r;
    if (FP(special_muldiv)(a, b, 0, &r)) {
        return r;
    }
    FP_UINT a_sig, b_sig, hi, lo;
    int exp = FP(unpack)(a & FP_ABS, &a_sig) + FP(unpack)(b & FP_ABS, &b_sig) - FP_BIAS;
    FP(wide_mul)(a_sig, b_sig, &hi, &lo);
    /* the product's leading bit is at 2 FP_SIG or 2 FP_SIG + 1: bring it to FP_SIG + 3 */
    int shift = FP_SIG - 3;
    if (hi & (FP_ONE << (2 * FP_SIG + 1 - FP_W))) {
        shift++;
        exp++;
    }
    FP_UINT sig = (hi << (FP_W - shift)) | (lo >> shift) | ((lo << (FP_W - shift)) != 0u);
    return FP(round_pack)((a ^ b) & FP_SIGN, exp, sig);
}

FP_FN FP_UINT FP(div)(FP_UINT a, FP_UINT b)
{
    FP_UINT r;
    if (FP(special_muldiv)(a, b, 1, &r)) {
        return r;
    }
    FP_UINT a_sig, b_sig;
    int exp = FP(unpack)(a & FP_ABS, &a_sig) - FP(unpack)(b & FP_ABS, &b_sig) + FP_BIAS;
    if (a_sig < b_sig) {
        a_sig <<= 1;
        exp--;
    }
    /* restoring division, one quotient bit per step: FP_SIG + 4 bits, then the sticky */
    FP_UINT q = 0u, rem = a_sig;
    for (int i = 0; i < FP_SIG + 4; i++) {
        q <<= 1;
        if (rem >= b_sig) {
            rem -= b_sig;
            q |= 1u;
        }
        rem <<= 1;
    }
    return FP(round_pack)((a ^ b) & FP_SIGN, exp, q | (rem != 0u));
}

#undef FP_FN
#undef FP_W
#undef FP_ONE
#undef FP_IMPLICIT
#undef FP_SIG_MASK
#undef FP_SIGN
#undef FP_ABS
#undef FP_EXP_MAX
#undef FP_INF
#undef FP_QUIET
#undef FP_QNAN
#undef FP_BIAS
