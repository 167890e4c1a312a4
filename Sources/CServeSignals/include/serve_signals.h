#ifndef CSERVESIGNALS_SERVE_SIGNALS_H
#define CSERVESIGNALS_SERVE_SIGNALS_H
// See serve_signals.c: the process blocks SIGHUP, SIGTERM and SIGINT before main when its subcommand is `serve`.

// 1 when they were blocked before main, 0 otherwise (another subcommand).
int mta_sts_host_serve_signals_blocked_early(void);
#endif
