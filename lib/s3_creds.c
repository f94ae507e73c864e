/* libstream: the S3 client's credentials chain: s3.access.key.id and
 * s3.secret.access.key (with s3.session.token), else AWS_ACCESS_KEY_ID
 * and AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN or
 * AWS_SECURITY_TOKEN), else a profile of the shared credentials file
 * (s3.profile, $AWS_PROFILE or "default" in $AWS_SHARED_CREDENTIALS_FILE
 * or ~/.aws/credentials).  See include/libstream/s3.h and
 * lib/s3_int.h.
 *
 * Every copy of a secret is wiped before it is freed, and no error
 * quotes a line of the file (it may hold a secret). */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s3_int.h"

#define S3_CRED_FILE_MAX ((off_t)1 << 20)

/* ---- credentials ------------------------------------------------------------- */

static char *trim(char *s)
{
    while (ls__s3_is_ws(*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && ls__s3_is_ws(e[-1]))
        *--e = '\0';
    return s;
}

/* The credentials file's path (malloc'd): $AWS_SHARED_CREDENTIALS_FILE,
 * else $HOME/.aws/credentials, else the login's home. */
static char *credentials_path(void)
{
    const char *f = getenv("AWS_SHARED_CREDENTIALS_FILE");
    char *out = NULL;
    if (f && *f)
        return strdup(f);
    const char *home = getenv("HOME");
    char buf[4096];
    struct passwd pw, *res = NULL;
    if ((!home || !*home) &&
        getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res) == 0 && res)
        home = res->pw_dir;
    if (!home || !*home)
        home = "";
    if (asprintf(&out, "%s/.aws/credentials", home) < 0)
        return NULL;
    return out;
}

/* Read a whole small file (wiped and freed by the caller).  -1 with
 * errno on failure. */
static int read_small_file(const char *path, char **out, size_t *len)
{
    struct stat sb;
    memset(&sb, 0, sizeof(sb));
    errno = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    *out = NULL;
    if (fd < 0)
        return -1;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) ||
        sb.st_size > S3_CRED_FILE_MAX) {
        int e = errno;
        if (e == 0 || !S_ISREG(sb.st_mode))
            e = EISDIR;
        if (S_ISREG(sb.st_mode) && sb.st_size > S3_CRED_FILE_MAX)
            e = EFBIG;
        close(fd);
        errno = e;
        return -1;
    }
    size_t cap = (size_t)sb.st_size + 1, n = 0;
    char *b = malloc(cap);
    if (!b) {
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    for (;;) {
        ssize_t r = read(fd, b + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            explicit_bzero(b, n);
            free(b);
            close(fd);
            errno = e;
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n == cap - 1)
            break; /* the file grew: read what stat said */
    }
    close(fd);
    b[n] = '\0';
    *out = b;
    *len = n;
    return 0;
}

typedef struct {
    char *akid, *secret, *token;
    int found;    /* the profile's section exists */
    int has_role; /* role_arn / sso / credential_process: unsupported */
} profile_t;

/* Parse INI text for [profile]; values are copied.  Lines are never
 * quoted in errors (they may hold a secret). */
static int parse_profile(char *text, const char *profile, profile_t *pr)
{
    int in = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *l = trim(line);
        if (!*l || *l == '#' || *l == ';')
            continue;
        if (*l == '[') {
            char *rb = strchr(l, ']');
            if (!rb) {
                in = 0;
                continue;
            }
            *rb = '\0';
            in = !strcmp(trim(l + 1), profile);
            if (in)
                pr->found = 1;
            continue;
        }
        if (!in)
            continue;
        char *eq = strchr(l, '=');
        if (!eq)
            continue;
        *eq = '\0';
        char *k = trim(l), *v = trim(eq + 1);
        char **dst = NULL;
        if (!strcasecmp(k, "aws_access_key_id"))
            dst = &pr->akid;
        else if (!strcasecmp(k, "aws_secret_access_key"))
            dst = &pr->secret;
        else if (!strcasecmp(k, "aws_session_token") ||
                 (!strcasecmp(k, "aws_security_token") && !pr->token))
            dst = &pr->token;
        else if (!strcasecmp(k, "role_arn") ||
                 !strcasecmp(k, "credential_process") ||
                 !strncasecmp(k, "sso_", 4))
            pr->has_role = 1;
        if (dst) {
            ls__s3_wipe_free(*dst);
            if (!(*dst = strdup(v)))
                return -1;
        }
    }
    return 0;
}

static void profile_free(profile_t *pr)
{
    ls__s3_wipe_free(pr->akid);
    ls__s3_wipe_free(pr->secret);
    ls__s3_wipe_free(pr->token);
    memset(pr, 0, sizeof(*pr));
}

static ls_error_t *creds_from_file(const ls_conf_t *conf, char **akid,
                                   char **secret, char **token,
                                   char **source)
{
    const char *profile = ls__s3_conf_str(conf, "s3.profile");
    const char *pvar = NULL;
    int explicit_profile = 1;
    if (!profile) {
        profile = getenv("AWS_PROFILE");
        pvar = "$AWS_PROFILE";
        if (!profile || !*profile) {
            profile = "default";
            explicit_profile = 0;
        }
    }
    const char *named = pvar ? pvar : "s3.profile";
    char shown_profile[80];
    ls__s3_printable(shown_profile, sizeof(shown_profile), profile, 64);
    char *path = credentials_path();
    if (!path)
        return ls__s3_nomem();
    char shown_path[300];
    ls__s3_printable(shown_path, sizeof(shown_path), path, 256);

    char *text = NULL;
    size_t len = 0;
    ls_error_t *err = NULL;
    profile_t pr;
    memset(&pr, 0, sizeof(pr));
    if (read_small_file(path, &text, &len)) {
        int e = errno;
        if (e == ENOMEM)
            err = ls__s3_nomem();
        else if (e == ENOENT && !explicit_profile)
            err = ls_error_new(LS_ERR_ACCESS,
                               "s3: no credentials: set s3.access.key.id "
                               "and s3.secret.access.key, or "
                               "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                               "or a [default] profile in %s",
                               shown_path);
        else if (e == ENOENT)
            err = ls_error_new(LS_ERR_INVALID_ARG,
                               "s3: profile \"%s\" (%s): credentials file %s "
                               "does not exist",
                               shown_profile, named, shown_path);
        else
            err = ls_error_new(LS_ERR_IO,
                               "s3: cannot read credentials file %s: %s",
                               shown_path, strerror(e));
        goto out;
    }
    if (parse_profile(text, profile, &pr)) {
        err = ls__s3_nomem();
        goto out;
    }
    if (!pr.found) {
        if (explicit_profile)
            err = ls_error_new(LS_ERR_INVALID_ARG,
                               "s3: profile \"%s\" (%s) is not in the "
                               "credentials file %s",
                               shown_profile, named, shown_path);
        else
            err = ls_error_new(LS_ERR_ACCESS,
                               "s3: no credentials: set s3.access.key.id "
                               "and s3.secret.access.key, or "
                               "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                               "or a [default] profile in %s",
                               shown_path);
        goto out;
    }
    if (!pr.akid || !*pr.akid || !pr.secret || !*pr.secret) {
        err = ls_error_new(LS_ERR_INVALID_ARG,
                           "s3: profile \"%s\" in %s has no %s%s",
                           shown_profile, shown_path,
                           !pr.akid || !*pr.akid ? "aws_access_key_id"
                                                 : "aws_secret_access_key",
                           pr.has_role ? " (role, SSO and credential_process "
                                         "profiles are not supported)"
                                       : "");
        goto out;
    }
    *akid = pr.akid;
    *secret = pr.secret;
    *token = pr.token ? pr.token : strdup("");
    pr.akid = pr.secret = pr.token = NULL;
    if (asprintf(source, "file %s [%s]", shown_path, shown_profile) < 0)
        *source = NULL;
    if (!*token || !*source)
        err = ls__s3_nomem();
out:
    profile_free(&pr);
    if (text) {
        explicit_bzero(text, len);
        free(text);
    }
    free(path);
    return err;
}

ls_error_t *ls__s3_credentials(const ls_conf_t *conf, char **akid,
                               char **secret, char **token, char **source)
{
    const char *ca = ls__s3_conf_str(conf, "s3.access.key.id");
    const char *cs = ls__s3_conf_str(conf, "s3.secret.access.key");
    const char *ct = ls__s3_conf_str(conf, "s3.session.token");
    ls_error_t *err = NULL;
    *akid = *secret = *token = *source = NULL;
    if (ca || cs) {
        if (!ca || !cs)
            return ls_error_new(LS_ERR_INVALID_ARG,
                                "s3: %s is set but %s is not",
                                ca ? "s3.access.key.id"
                                   : "s3.secret.access.key",
                                ca ? "s3.secret.access.key"
                                   : "s3.access.key.id");
        *akid = strdup(ca);
        *secret = strdup(cs);
        *token = strdup(ct ? ct : "");
        *source = strdup("conf");
    } else {
        const char *ea = getenv("AWS_ACCESS_KEY_ID");
        const char *es = getenv("AWS_SECRET_ACCESS_KEY");
        const char *et = getenv("AWS_SESSION_TOKEN");
        if (!et || !*et)
            et = getenv("AWS_SECURITY_TOKEN");
        ea = ea && *ea ? ea : NULL;
        es = es && *es ? es : NULL;
        if (ea || es) {
            if (!ea || !es)
                return ls_error_new(LS_ERR_INVALID_ARG,
                                    "s3: %s is set but %s is not",
                                    ea ? "AWS_ACCESS_KEY_ID"
                                       : "AWS_SECRET_ACCESS_KEY",
                                    ea ? "AWS_SECRET_ACCESS_KEY"
                                       : "AWS_ACCESS_KEY_ID");
            *akid = strdup(ea);
            *secret = strdup(es);
            *token = strdup(et ? et : "");
            *source = strdup("env");
        } else {
            err = creds_from_file(conf, akid, secret, token, source);
        }
    }
    if (!err && (!*akid || !*secret || !*token || !*source))
        err = ls__s3_nomem();
    if (err) {
        ls__s3_wipe_free(*akid);
        ls__s3_wipe_free(*secret);
        ls__s3_wipe_free(*token);
        free(*source);
        *akid = *secret = *token = *source = NULL;
    }
    return err;
}
