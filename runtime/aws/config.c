/*
 * config.c - where a service call goes and as whom, found the way the AWS
 * SDKs and CLI find it (doc/behaviour.md §25):
 *
 *  - the endpoint: the bindings file's "Endpoints" (by aws-sdk name, then
 *    "*"), AWS_ENDPOINT_URL_<SERVICE> (the service id in capitals, spaces
 *    made '_': AWS_ENDPOINT_URL_DYNAMODB), AWS_ENDPOINT_URL, the profile's
 *    endpoint_url, and only when --aws allows it, AWS's own endpoint for the
 *    region (https://PREFIX.REGION.amazonaws.com).  AWS_IGNORE_CONFIGURED_
 *    ENDPOINT_URLS=true ignores the variables and the profile, as the SDKs
 *    do;
 *  - the credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with
 *    AWS_SESSION_TOKEN), else the profile (--profile, AWS_PROFILE, else
 *    "default") in the shared credentials file (AWS_SHARED_CREDENTIALS_FILE,
 *    else ~/.aws/credentials), then in the config file (AWS_CONFIG_FILE,
 *    else ~/.aws/config, where it is "[profile NAME]").
 *
 * Nothing is cached: the files are read at each call, which costs little
 * next to the call itself and follows a file that changes.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws.h"

/* The value of variable name, or NULL when unset or empty. */
static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static bool ignore_configured(void)
{
    const char *v = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    return v && strcasecmp(v, "true") == 0;
}

static const char *profile_name(const aslrt_config *cfg)
{
    if (cfg && cfg->profile && *cfg->profile)
        return cfg->profile;
    const char *p = env("AWS_PROFILE");
    return p ? p : "default";
}

/* The file named by variable var, else ~/.aws/base (malloc'd), or NULL. */
static char *aws_file(const char *var, const char *base)
{
    const char *v = env(var);
    if (v)
        return aslrtp_strdup(v);
    const char *home = env("HOME");
    return home ? aslrtp_strdupf("%s/.aws/%s", home, base) : NULL;
}

/* Trims s in place; returns its first non-blank character. */
static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* The value of key in section of the INI file path (malloc'd), or NULL.
 * In the config file (config true) a profile's section is "profile NAME",
 * except "default". */
static char *ini_get(const char *path, const char *profile, bool config, const char *key)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f)
        return NULL;
    char *want = config && strcmp(profile, "default") != 0
                     ? aslrtp_strdupf("profile %s", profile)
                     : aslrtp_strdup(profile);
    char line[4096], *found = NULL;
    bool in = false;
    while (!found && fgets(line, sizeof line, f)) {
        char *s = trim(line);
        if (*s == '#' || *s == ';' || !*s)
            continue;
        if (*s == '[') {
            char *end = strchr(s, ']');
            if (end) {
                *end = '\0';
                in = strcmp(trim(s + 1), want) == 0;
            }
            continue;
        }
        char *eq = strchr(s, '=');
        if (!in || !eq || isspace((unsigned char)*s))
            continue;
        *eq = '\0';
        if (strcmp(trim(s), key) == 0)
            found = aslrtp_strdup(trim(eq + 1));
    }
    fclose(f);
    free(want);
    return found;
}

/* key of the profile: the credentials file first, then the config file. */
static char *profile_get(const aslrt_config *cfg, const char *key)
{
    const char *profile = profile_name(cfg);
    char *creds = aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
    char *v = ini_get(creds, profile, false, key);
    free(creds);
    if (!v) {
        char *conf = aws_file("AWS_CONFIG_FILE", "config");
        v = ini_get(conf, profile, true, key);
        free(conf);
    }
    return v;
}

/* The configured endpoint of s (malloc'd), or NULL. */
static char *configured_endpoint(const aslrt_config *cfg, const aslrtp_aws_service *s)
{
    const char *b = aslrtp_bindings_endpoint(cfg ? cfg->bindings : NULL,
                                             aslrtp_aws_str_at(s->sdk_name));
    if (b)
        return aslrtp_strdup(b);
    if (ignore_configured())
        return NULL;
    char *var = aslrtp_strdupf("AWS_ENDPOINT_URL_%s", aslrtp_aws_str_at(s->env_name));
    const char *v = env(var);
    free(var);
    if (!v)
        v = env("AWS_ENDPOINT_URL");
    if (v)
        return aslrtp_strdup(v);
    return profile_get(cfg, "endpoint_url");
}

static char *strip_slashes(char *url)
{
    size_t n = strlen(url);
    while (n && url[n - 1] == '/')
        url[--n] = '\0';
    return url;
}

bool aslrtp_aws_has_endpoint(const aslrt_config *cfg, const aslrtp_aws_service *s)
{
    if (cfg && cfg->aws)
        return true;
    char *e = configured_endpoint(cfg, s);
    free(e);
    return e != NULL;
}

void aslrtp_aws_target_free(aslrtp_aws_target *t)
{
    free(t->endpoint);
    free(t->region);
    free(t->access_key);
    free(t->secret_key);
    free(t->session_token);
    memset(t, 0, sizeof *t);
}

/* Whether s holds no control characters (it becomes part of a header). */
static bool header_safe(const char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

int aslrtp_aws_target_resolve(const aslrt_config *cfg, const aslrtp_aws_service *s,
                              const char *region, aslrtp_aws_target *t, aslrt_error *err)
{
    memset(t, 0, sizeof *t);
    t->endpoint = configured_endpoint(cfg, s);
    if (!t->endpoint && !(cfg && cfg->aws))
        return 0;
    t->region = aslrtp_strdup(region);
    if (!t->endpoint) {
        /* AWS's own endpoint (the global partition). */
        t->endpoint = aslrtp_strdupf("https://%s.%s.amazonaws.com",
                                     aslrtp_aws_str_at(s->endpoint_prefix), region);
    }
    strip_slashes(t->endpoint);
    if (strncmp(t->endpoint, "http://", 7) != 0 && strncmp(t->endpoint, "https://", 8) != 0) {
        char *shown = aslrtp_url_redact(t->endpoint);   /* never a password */
        char *c = aslrtp_strdupf("the endpoint '%s' configured for %s is not an http:// or "
                                 "https:// URL", shown, aslrtp_aws_str_at(s->service_id));
        free(shown);
        aslrt_error_set(err, "aslc.AwsConfigError", c);
        free(c);
        aslrtp_aws_target_free(t);
        return -1;
    }
    const char *key = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
    if (key && secret) {
        t->access_key = aslrtp_strdup(key);
        t->secret_key = aslrtp_strdup(secret);
        const char *token = env("AWS_SESSION_TOKEN");
        t->session_token = token ? aslrtp_strdup(token) : NULL;
    } else {
        t->access_key = profile_get(cfg, "aws_access_key_id");
        t->secret_key = profile_get(cfg, "aws_secret_access_key");
        t->session_token = profile_get(cfg, "aws_session_token");
    }
    if (!t->access_key || !t->secret_key || !*t->access_key || !*t->secret_key) {
        char *c = aslrtp_strdupf(
            "Unable to load credentials for %s at %s: set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or give the profile '%s' aws_access_key_id and "
            "aws_secret_access_key in ~/.aws/credentials",
            aslrtp_aws_str_at(s->service_id), t->endpoint, profile_name(cfg));
        aslrt_error_set(err, "aslc.AwsCredentialsError", c);
        free(c);
        aslrtp_aws_target_free(t);
        return -1;
    }
    if (!header_safe(t->access_key) || !header_safe(t->secret_key) ||
        !header_safe(t->session_token)) {
        aslrt_error_set(err, "aslc.AwsCredentialsError",
                        "the AWS credentials hold a control character");
        aslrtp_aws_target_free(t);
        return -1;
    }
    return 1;
}
