#include "serve_signals.h"

#include <signal.h>
#include <string.h>

// `serve` takes SIGHUP, SIGTERM and SIGINT through Dispatch signal sources, which on Linux read a signalfd: it sees
// a signal only while that signal is blocked, and a blocked signal waits, pending, until it is read. Blocked here,
// before main and before any thread exists (threads inherit the mask), a signal sent at any moment after exec is
// never fatal: one that arrives during start-up waits for the sources. In main it would come too late: loading and
// initializing the Swift runtime takes milliseconds, during which the default action (terminate) applies. Other
// subcommands keep the default, so Ctrl-C stops `check` at once.
static int blocked_early;

static void block_serve_signals(int argc, char **argv, char **envp) {
    (void)envp;
    if (argc < 2 || argv == NULL || argv[1] == NULL || strcmp(argv[1], "serve") != 0) {
        return;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    blocked_early = sigprocmask(SIG_BLOCK, &set, NULL) == 0;
}

// glibc calls the executable's pre-initializers with (argc, argv, envp), after the shared libraries are loaded and
// relocated but before their initializers and the executable's constructors: the earliest point code can run.
__attribute__((section(".preinit_array"), used))
static void (*const block_serve_signals_entry)(int, char **, char **) = block_serve_signals;

int mta_sts_host_serve_signals_blocked_early(void) {
    return blocked_early;
}
