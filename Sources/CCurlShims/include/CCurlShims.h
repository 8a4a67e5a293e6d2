// Typed entry points for libcurl's variadic and macro-only API, which Swift cannot call.
// One function per argument kind; every symbol carries the CCurlShims_ prefix.
#ifndef CCURLSHIMS_H
#define CCURLSHIMS_H

#include <curl/curl.h>

typedef size_t (*CCurlShims_data_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);

CURLcode CCurlShims_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode CCurlShims_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
CURLcode CCurlShims_easy_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode CCurlShims_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode CCurlShims_easy_setopt_callback(CURL *handle, CURLoption option, CCurlShims_data_callback value);

CURLcode CCurlShims_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode CCurlShims_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value);

CURLMcode CCurlShims_multi_setopt_long(CURLM *handle, CURLMoption option, long value);
CURLMcode CCurlShims_multi_setopt_pointer(CURLM *handle, CURLMoption option, void *value);
CURLMcode CCurlShims_multi_setopt_socket_callback(CURLM *handle, curl_socket_callback value);
CURLMcode CCurlShims_multi_setopt_timer_callback(CURLM *handle, curl_multi_timer_callback value);

/// CURL_SOCKET_TIMEOUT: curl_multi_socket_action's "no socket, the timer expired".
curl_socket_t CCurlShims_socket_timeout(void);

long CCurlShims_global_all(void);
int CCurlShims_error_size(void);

#endif
