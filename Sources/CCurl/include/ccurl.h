#ifndef CCURL_H
#define CCURL_H
// libcurl, loaded when first needed (dlopen), not linked: Debian's libcurl4 brings about 27 libraries with it
// (rtmp, ssh2, Kerberos, LDAP, ...), and only ACME (`serve --acme-directory`) and `verify` (the command, or
// `serve --verify-every`) talk HTTPS as a client. Every other process, and a server without either, never maps
// them.
//
// ccurl_load must succeed before any other function here is called. The setopt/getinfo wrappers exist because
// curl_easy_setopt and curl_easy_getinfo are variadic: one typed wrapper per kind of argument.
#include <curl/curl.h>
#include <stddef.h>

// 0 once libcurl is loaded (the first call loads it; later calls return the first result). On failure, `error`
// receives the reason (dlerror's text, or the missing symbol).
int ccurl_load(char *error, size_t error_size);

CURLcode ccurl_global_init(long flags);
CURL *ccurl_easy_init(void);
void ccurl_easy_cleanup(CURL *handle);
void ccurl_easy_reset(CURL *handle);
CURLcode ccurl_easy_perform(CURL *handle);
const char *ccurl_easy_strerror(CURLcode code);
struct curl_slist *ccurl_slist_append(struct curl_slist *list, const char *text);
void ccurl_slist_free_all(struct curl_slist *list);

CURLcode ccurl_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode ccurl_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode ccurl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode ccurl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode ccurl_easy_setopt_blob(CURL *handle, CURLoption option, struct curl_blob *value);
CURLcode ccurl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
// CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION take the same callback type.
CURLcode ccurl_easy_setopt_write_callback(CURL *handle, CURLoption option, curl_write_callback callback);
CURLcode ccurl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode ccurl_easy_getinfo_string(CURL *handle, CURLINFO info, char **value);
#endif
