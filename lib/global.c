/* libstream: explicit process-wide initialisation (libcurl). */
#include <curl/curl.h>

#include "libstream/global.h"

ls_error_t *ls_global_init(void)
{
    CURLcode rc = curl_global_init(CURL_GLOBAL_ALL);
    if (rc != CURLE_OK)
        return ls_error_new(LS_ERR_GENERIC, "curl_global_init: %s",
                            curl_easy_strerror(rc));
    return NULL;
}

void ls_global_cleanup(void) { curl_global_cleanup(); }
