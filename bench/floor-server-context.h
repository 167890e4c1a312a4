/* floor-server-context.h - the server SSL_CTX of bench/handshake-floor.c and bench/socket-floor-server.c: one
 * certificate chain and key, and mta-sts-host's TLS settings (no tickets, no session cache, TLS_AES_128_GCM_SHA256,
 * X25519), kept in one place so that the two floors measure the same handshake. */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>

/* NULL (with OpenSSL's errors printed) when the chain or key cannot be loaded. */
static SSL_CTX *floor_server_context(const char *fullchain, const char *privkey) {
    SSL_CTX *context = SSL_CTX_new(TLS_server_method());
    if (!SSL_CTX_use_certificate_chain_file(context, fullchain)
        || !SSL_CTX_use_PrivateKey_file(context, privkey, SSL_FILETYPE_PEM)) {
        ERR_print_errors_fp(stderr);
        SSL_CTX_free(context);
        return NULL;
    }
    SSL_CTX_set_options(context, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(context, 0);
    SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_ciphersuites(context, "TLS_AES_128_GCM_SHA256");
    SSL_CTX_set1_groups_list(context, "X25519");
    return context;
}
