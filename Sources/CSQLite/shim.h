// SQLite (libsqlite3-dev): the index of stored TLS-RPT reports.
#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro cast of -1 to a function pointer: Swift cannot spell it.
static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }
