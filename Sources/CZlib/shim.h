// zlib (zlib1g-dev): streamed gzip inflation of TLS-RPT reports, with a cap on the inflated size.
#include <zlib.h>

// inflateInit2 is a macro (it passes the library's version and the stream's size): Swift cannot call it.
static inline int czlib_inflate_init_gzip(z_streamp stream) {
    // 15 window bits + 16: a gzip header and trailer, nothing else.
    return inflateInit2(stream, 15 + 16);
}
