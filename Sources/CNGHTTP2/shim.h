#ifndef CNGHTTP2_SHIM_H
#define CNGHTTP2_SHIM_H
// Debian 12 ships nghttp2 1.52: no *2 functions.
#include <nghttp2/nghttp2.h>
#endif
