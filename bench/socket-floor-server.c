/* socket-floor-server - the least a server can do per new TLS connection over real sockets with this libssl: one
 * thread, one epoll set, one certificate, a fixed response, then close_notify and close. No SNI choice, no
 * parsing, no timers, no logging. Run against it with the same client as `make bench` row a) to see what part of
 * a server's CPU per connection is OpenSSL plus the kernel, and what part is the server's own.
 *
 * build: gcc -O2 -o socket-floor-server bench/socket-floor-server.c -lssl -lcrypto
 * run:   taskset -c 1 ./socket-floor-server CERTS/mta-sts.d1.test/fullchain.pem CERTS/mta-sts.d1.test/privkey.pem 18999
 *        then e.g. taskset -c 0 bench/out/work/bin/hsbench -a 127.0.0.1 -p 18999 -s mta-sts.d1.test \
 *             -u /.well-known/mta-sts.txt -c 50 -t 10, and the server's utime+stime from /proc/PID/stat.
 * TLS settings as mta-sts-host's, from bench/floor-server-context.h (shared with bench/handshake-floor.c): no
 * tickets, no session cache, TLS_AES_128_GCM_SHA256, X25519. Socket handling as mta-sts-host's: TCP_DEFER_ACCEPT,
 * the handshake started at accept, TCP_CORK before the response so that it, close_notify and FIN leave in one
 * segment. Record buffers are kept for the connection's life (no SSL_MODE_RELEASE_BUFFERS): the fewest
 * allocations, whatever the memory. */
#define _GNU_SOURCE /* accept4 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "floor-server-context.h"

static const char response[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 61\r\n"
                               "Cache-Control: max-age=300\r\nConnection: close\r\n\r\n"
                               "version: STSv1\r\nmode: enforce\r\nmx: mx.d1.test\r\nmax_age: 86400\r\n";

struct connection {
    SSL *ssl;
    int fd;
    int registered;
};

static void finish(struct connection *c) {
    SSL_free(c->ssl);
    close(c->fd);
    free(c);
}

/* Drives one connection as far as its input allows; returns once it waits for the peer or is gone. */
static void step(int poller, struct connection *c) {
    ERR_clear_error();
    if (!SSL_is_init_finished(c->ssl)) {
        int result = SSL_do_handshake(c->ssl);
        if (result != 1) {
            if (SSL_get_error(c->ssl, result) != SSL_ERROR_WANT_READ) return finish(c);
            if (!c->registered) {
                struct epoll_event event = {.events = EPOLLIN, .data.ptr = c};
                epoll_ctl(poller, EPOLL_CTL_ADD, c->fd, &event);
                c->registered = 1;
            }
            return;
        }
    }
    char buffer[4096];
    int count = SSL_read(c->ssl, buffer, sizeof buffer);
    if (count <= 0) {
        if (SSL_get_error(c->ssl, count) == SSL_ERROR_WANT_READ) return;
        return finish(c);
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &one, sizeof one);
    SSL_write(c->ssl, response, sizeof response - 1);
    SSL_shutdown(c->ssl);
    finish(c);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s FULLCHAIN.pem PRIVKEY.pem PORT\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN); /* a client gone before the response must not end the server */
    SSL_CTX *context = floor_server_context(argv[1], argv[2]);
    if (!context) return 1;

    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1, defer = 10;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(listener, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof defer);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[3])),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 4096) != 0) {
        perror("listen");
        return 1;
    }
    int poller = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(poller, EPOLL_CTL_ADD, listener, &event);

    struct epoll_event events[128];
    for (;;) {
        int ready = epoll_wait(poller, events, 128, -1);
        for (int i = 0; i < ready; i++) {
            struct connection *c = events[i].data.ptr;
            if (c) {
                step(poller, c);
                continue;
            }
            int fd;
            while ((fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                c = calloc(1, sizeof *c);
                c->fd = fd;
                c->ssl = SSL_new(context);
                SSL_set_fd(c->ssl, fd);
                SSL_set_accept_state(c->ssl);
                step(poller, c);
            }
        }
    }
}
