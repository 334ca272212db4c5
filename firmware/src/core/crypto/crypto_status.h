/* Status codes shared by the device-side crypto (SHA-256, SHA-512, Ed25519). */
#ifndef WM_CRYPTO_STATUS_H
#define WM_CRYPTO_STATUS_H

/* 0 means success; every failure has its own code so the store and the
 * package installer can say precisely why a package was refused. */
typedef enum {
    WM_CRYPTO_OK = 0,
    WM_CRYPTO_ERR_ARG = 1,          /* NULL pointer with a non-zero length, NULL context */
    WM_CRYPTO_ERR_TOO_LONG = 2,     /* total hashed length exceeds what the padding can encode */
    WM_CRYPTO_ERR_FINISHED = 3,     /* update/final after final without a new init */
    WM_CRYPTO_ERR_BAD_S = 4,        /* signature scalar S is not < L (non-canonical) */
    WM_CRYPTO_ERR_BAD_KEY = 5,      /* public key A does not decode to a curve point */
    WM_CRYPTO_ERR_WEAK_KEY = 6,     /* public key A has small order (policy: refused) */
    WM_CRYPTO_ERR_BAD_R = 7,        /* R does not decode to a curve point */
    WM_CRYPTO_ERR_WEAK_R = 8,       /* R has small order (policy: refused) */
    WM_CRYPTO_ERR_BAD_SIGNATURE = 9 /* everything decodes but [S]B != R + [k]A */
} wm_crypto_status;

#endif
