#ifndef CLINUX_SHIM_H
#define CLINUX_SHIM_H
// Linux and glibc calls that Swift's Glibc module hides behind _GNU_SOURCE. Declared without including system headers,
// which belong to Glibc's module.
struct sockaddr;
extern int accept4(int sockfd, struct sockaddr *addr, unsigned int *addrlen, int flags);
extern int malloc_trim(unsigned long pad);
extern int mallopt(int param, int value);
#define CLINUX_M_ARENA_MAX (-8)

// epoll and eventfd are not in Swift's Glibc module.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#endif
