/* Fuzz target: the shared AWS credentials file (lib/s3_creds.c, the INI
 * reader behind ls__s3_credentials): the file is
 * $AWS_SHARED_CREDENTIALS_FILE, the profile one of a few names (default,
 * an explicit s3.profile, one with a space).  Input: the file's text. */
#include "fuzz_util.h"

#include "libstream/conf.h"
#include "libstream/error.h"
#include "s3_int.h"

static ls_conf_t *confs[4]; /* NULL: "default" */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const char *const profiles[] = {NULL, "prod", "my profile",
                                           "default"};
    (void)argc;
    (void)argv;
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_SECURITY_TOKEN");
    unsetenv("AWS_PROFILE");
    for (size_t i = 1; i < 4; i++) {
        confs[i] = ls_conf_new();
        FZ_CHECK(confs[i] != NULL);
        FZ_CHECK(ls_conf_set(confs[i], "s3.profile", profiles[i]) == NULL);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return -1;
    setenv("AWS_SHARED_CREDENTIALS_FILE", fz_file(data, size), 1);
    for (size_t i = 0; i < 4; i++) {
        char *akid = NULL, *secret = NULL, *token = NULL, *source = NULL;
        ls_error_t *err = ls__s3_credentials(confs[i], &akid, &secret,
                                             &token, &source);
        if (!err) {
            FZ_CHECK(akid && *akid && secret && *secret && token && source);
            FZ_CHECK(!strncmp(source, "file ", 5));
            /* Trimmed values. */
            FZ_CHECK(!ls__s3_is_ws(akid[0]) &&
                     !ls__s3_is_ws(akid[strlen(akid) - 1]));
        } else {
            FZ_CHECK(!akid && !secret && !token && !source);
            /* An error never quotes the file (it may hold a secret). */
            FZ_CHECK(ls_error_message(err) != NULL);
            ls_error_destroy(err);
        }
        ls__s3_wipe_free(akid);
        ls__s3_wipe_free(secret);
        ls__s3_wipe_free(token);
        free(source);
    }
    return 0;
}
