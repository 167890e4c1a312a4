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
// A connection's owner rides in its socket BIO's callback argument (SSL_set_fd made the BIO; no BIO callback is
// ever set, so nothing else reads it): a plain field, where SSL_set_app_data allocates an ex_data stack, two heap
// blocks of about 48 bytes, for every connection.
static inline void shim_SSL_set_owner(SSL *ssl, void *owner) {
    BIO *bio = SSL_get_rbio(ssl);
    if (bio) BIO_set_callback_arg(bio, (char *)owner);
}
static inline void *shim_SSL_get_owner(const SSL *ssl) {
    BIO *bio = SSL_get_rbio(ssl);
    return bio ? BIO_get_callback_arg(bio) : NULL;
}

// Stacks are macros over OPENSSL_sk_*; these keep the casts in one place.
static inline int shim_sk_X509_num(const STACK_OF(X509) *sk) { return sk_X509_num(sk); }
static inline X509 *shim_sk_X509_value(const STACK_OF(X509) *sk, int i) { return sk_X509_value(sk, i); }
static inline STACK_OF(X509) *shim_sk_X509_new_null(void) { return sk_X509_new_null(); }
static inline int shim_sk_X509_push(STACK_OF(X509) *sk, X509 *x) { return sk_X509_push(sk, x); }
static inline void shim_sk_X509_pop_free(STACK_OF(X509) *sk) { sk_X509_pop_free(sk, X509_free); }

/// Calls `visit` for every DNS name in the certificate's subjectAltName extension.
static inline void shim_X509_visit_dns_names(X509 *cert, void *ctx, void (*visit)(void *ctx, const unsigned char *name, int length)) {
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (names == NULL) return;
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, i);
        if (name->type == GEN_DNS) {
            visit(ctx, ASN1_STRING_get0_data(name->d.dNSName), ASN1_STRING_length(name->d.dNSName));
        }
    }
    GENERAL_NAMES_free(names);
}

// SSL_OP_* are built from casts Swift does not import.
static const uint64_t shim_SSL_OP_CIPHER_SERVER_PREFERENCE = SSL_OP_CIPHER_SERVER_PREFERENCE;
static const uint64_t shim_SSL_OP_NO_COMPRESSION = SSL_OP_NO_COMPRESSION;
static const uint64_t shim_SSL_OP_NO_RENEGOTIATION = SSL_OP_NO_RENEGOTIATION;
static const uint64_t shim_SSL_OP_NO_TICKET = SSL_OP_NO_TICKET;

static inline void shim_OPENSSL_free(void *p) { OPENSSL_free(p); }

// A reusable private-key decoder: creating one costs ~2 ms in OpenSSL 3.0, decoding with it ~60 us, against
// ~360 us for each PEM_read_bio_PrivateKey (which builds a decoder every time).
static inline OSSL_DECODER_CTX *shim_private_key_decoder(EVP_PKEY **output) {
    return OSSL_DECODER_CTX_new_for_pkey(output, "PEM", NULL, NULL, OSSL_KEYMGMT_SELECT_KEYPAIR, NULL, NULL);
}

// --- certificate generation (SelfSignedAuthority) ---
// EVP_EC_gen is a macro over the variadic EVP_PKEY_Q_keygen, which Swift cannot call.
static inline EVP_PKEY *shim_EVP_EC_gen(const char *curve) { return EVP_EC_gen(curve); }
#endif
