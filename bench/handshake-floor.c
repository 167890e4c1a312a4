/* handshake-floor - server-side CPU of OpenSSL's own TLS 1.3 full handshake + one request/response, with memory
 * BIOs: no sockets, no event loop, no kernel. What any server linking this libssl pays at least per new
 * connection; `make bench` row a) minus this is the server's own cost plus the kernel's.
 *
 * build: gcc -O2 -o handshake-floor bench/handshake-floor.c -lssl -lcrypto
 * run:   taskset -c 1 ./handshake-floor CERTS/mta-sts.d1.test/fullchain.pem CERTS/mta-sts.d1.test/privkey.pem 3000
 *        (CERTS: bench/out/work/sites-n1000/certs after a `make bench`; mta-sts.rsa.test for RSA-2048)
 * Only the server's calls are timed (CLOCK_THREAD_CPUTIME_ID); the client runs in the same thread, untimed.
 * Settings as mta-sts-host's: no tickets, no session cache, TLS_AES_128_GCM_SHA256, X25519. */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "floor-server-context.h"

static double thread_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* Moves whatever one side wrote to the other side's input. */
static void pump(BIO *from, BIO *to) {
    char buffer[16384];
    int count;
    while ((count = BIO_read(from, buffer, sizeof buffer)) > 0) BIO_write(to, buffer, count);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s FULLCHAIN.pem PRIVKEY.pem HANDSHAKES\n", argv[0]);
        return 2;
    }
    SSL_CTX *server_context = floor_server_context(argv[1], argv[2]);
    if (!server_context) return 1;
    SSL_CTX *client_context = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_session_cache_mode(client_context, SSL_SESS_CACHE_OFF);

    const char *request = "GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.d1.test\r\n\r\n";
    const char *response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 61\r\n\r\n"
                           "version: STSv1\r\nmode: enforce\r\nmx: mx.d1.test\r\nmax_age: 86400\r\n";
    int handshakes = atoi(argv[3]);
    double server_seconds = 0;
    for (int i = 0; i < handshakes; i++) {
        BIO *to_server = BIO_new(BIO_s_mem()), *to_client = BIO_new(BIO_s_mem());
        BIO *client_in = BIO_new(BIO_s_mem()), *server_in = BIO_new(BIO_s_mem());
        SSL *client = SSL_new(client_context);
        SSL_set_tlsext_host_name(client, "mta-sts.d1.test");
        SSL_set_bio(client, client_in, to_server);
        SSL_set_connect_state(client);

        double started = thread_seconds();
        SSL *server = SSL_new(server_context);
        SSL_set_bio(server, server_in, to_client);
        SSL_set_accept_state(server);
        server_seconds += thread_seconds() - started;

        char buffer[4096];
        int answered = 0;
        for (int flight = 0; flight < 10 && !answered; flight++) {
            SSL_do_handshake(client);
            if (flight > 0 && SSL_is_init_finished(client)) SSL_write(client, request, strlen(request));
            pump(to_server, server_in);
            started = thread_seconds();
            if (SSL_read(server, buffer, sizeof buffer) > 0) {
                SSL_write(server, response, strlen(response));
                answered = 1;
            }
            server_seconds += thread_seconds() - started;
            pump(to_client, client_in);
        }
        SSL_read(client, buffer, sizeof buffer);
        started = thread_seconds();
        SSL_shutdown(server);
        SSL_free(server);
        server_seconds += thread_seconds() - started;
        SSL_free(client);
        if (!answered) {
            fprintf(stderr, "handshake %d: no request reached the server\n", i);
            return 1;
        }
    }
    printf("server CPU per handshake + request (OpenSSL only, memory BIOs): %.1f us over %d\n",
           server_seconds / handshakes * 1e6, handshakes);
    return 0;
}
