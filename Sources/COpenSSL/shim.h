#ifndef COPENSSL_SHIM_H
#define COPENSSL_SHIM_H
// Only what Swift cannot call directly: OpenSSL macros become static inline functions here.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/bn.h>
#include <openssl/decoder.h>

typedef int (*shim_servername_cb)(SSL *ssl, int *alert, void *arg);

static inline long shim_SSL_CTX_set_servername_callback(SSL_CTX *ctx, shim_servername_cb cb) {
    return SSL_CTX_set_tlsext_servername_callback(ctx, cb);
}
static inline int shim_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}
static inline int shim_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_max_proto_version(ctx, version);
}
static inline long shim_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline long shim_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline int shim_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) {
    return (int)SSL_CTX_set1_groups_list(ctx, list);
}
static inline void shim_SSL_CTX_set_read_ahead(SSL_CTX *ctx, int yes) { SSL_CTX_set_read_ahead(ctx, yes); }
// The SNI a client sends (a macro over SSL_ctrl).
static inline int shim_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}
// The ex_data slot that links an SSL object to its connection (SSL_get_ex_new_index is a macro).
static inline int shim_SSL_get_ex_new_index(void) { return SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL); }

// Stacks are macros over OPENSSL_sk_*; these keep the casts in one place.
static inline int shim_sk_X509_num(const STACK_OF(X509) *sk) { return sk_X509_num(sk); }
static inline X509 *shim_sk_X509_value(const STACK_OF(X509) *sk, int i) { return sk_X509_value(sk, i); }
static inline STACK_OF(X509) *shim_sk_X509_new_null(void) { return sk_X509_new_null(); }
static inline int shim_sk_X509_push(STACK_OF(X509) *sk, X509 *x) { return sk_X509_push(sk, x); }
static inline void shim_sk_X509_pop_free(STACK_OF(X509) *sk) { sk_X509_pop_free(sk, X509_free); }

static inline int shim_sk_GENERAL_NAME_num(const GENERAL_NAMES *sk) { return sk_GENERAL_NAME_num(sk); }
static inline GENERAL_NAME *shim_sk_GENERAL_NAME_value(const GENERAL_NAMES *sk, int i) { return sk_GENERAL_NAME_value(sk, i); }

static inline STACK_OF(X509_EXTENSION) *shim_sk_X509_EXTENSION_new_null(void) { return sk_X509_EXTENSION_new_null(); }
static inline int shim_sk_X509_EXTENSION_push(STACK_OF(X509_EXTENSION) *sk, X509_EXTENSION *x) {
    return sk_X509_EXTENSION_push(sk, x);
}
static inline void shim_sk_X509_EXTENSION_pop_free(STACK_OF(X509_EXTENSION) *sk) {
    sk_X509_EXTENSION_pop_free(sk, X509_EXTENSION_free);
}

// SSL_OP_* are built from casts Swift does not import.
static const uint64_t shim_SSL_OP_CIPHER_SERVER_PREFERENCE = SSL_OP_CIPHER_SERVER_PREFERENCE;
static const uint64_t shim_SSL_OP_NO_COMPRESSION = SSL_OP_NO_COMPRESSION;
static const uint64_t shim_SSL_OP_NO_RENEGOTIATION = SSL_OP_NO_RENEGOTIATION;
static const uint64_t shim_SSL_OP_NO_TICKET = SSL_OP_NO_TICKET;

static inline void shim_OPENSSL_free(void *p) { OPENSSL_free(p); }

// --- certificate generation (SelfSignedAuthority) ---
// EVP_EC_gen is a macro over the variadic EVP_PKEY_Q_keygen, which Swift cannot call.
static inline EVP_PKEY *shim_EVP_EC_gen(const char *curve) { return EVP_EC_gen(curve); }
#endif
