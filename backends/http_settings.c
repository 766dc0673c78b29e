/*
 * An HTTP backend's settings (http.h): the common keys of its config section
 * (url, timeouts, body cap, retries, TLS, credentials), checked as they are
 * read, and the secret loaded once at start. Split from http.c, which keeps
 * the requests; the retry budget (issue 20) is allocated here with the
 * settings, since requests hold the settings const.
 */
#include "http.h"

#include "pollpolicy.h"

#include "../common/clock.h"
#include "../common/util.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { SECRET_FILE_MAX = 65536 };

void http_settings_init(struct http_settings *s)
{
    memset(s, 0, sizeof *s);
    s->connect_timeout_ms = 3000;
    s->timeout_ms = 5000;
    s->max_body = 32u << 20;
    s->retries = 2;
    s->budget = xmalloc(sizeof *s->budget);
    retry_budget_init(s->budget);
}

void http_settings_free(struct http_settings *s)
{
    free(s->url);
    free(s->ca_file);
    free(s->user);
    if (s->secret != NULL) {
        /* do not leave the secret lying in freed memory */
        memset(s->secret, 0, strlen(s->secret));
        free(s->secret);
    }
    free(s->secret_env);
    free(s->secret_file);
    free(s->budget);
    memset(s, 0, sizeof *s);
}

static bool parse_size(const char *v, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (end == v || errno != 0) {
        return false;
    }
    unsigned long long mul = 1;
    if (*end == 'K' || *end == 'k') {
        mul = 1024;
        end++;
    } else if (*end == 'M' || *end == 'm') {
        mul = 1024 * 1024;
        end++;
    } else if (*end == 'G' || *end == 'g') {
        mul = 1024ull * 1024 * 1024;
        end++;
    }
    if (*end != '\0' || n == 0 || n > (1ull << 40) / mul) {
        return false;
    }
    *out = (size_t)(n * mul);
    return true;
}

static int set_secret_source(struct http_settings *s, const char *key, const char *value,
                             char **cause)
{
    if (s->secret_env != NULL || s->secret_file != NULL) {
        *cause = xasprintf("%s: a secret is already set (one of password_env, password_file, "
                           "token_env, token_file)",
                           key);
        return -1;
    }
    bool is_env = strstr(key, "_env") != NULL;
    if (is_env) {
        s->secret_env = xstrdup(value);
    } else {
        s->secret_file = str_expand_home(value);
    }
    return 1;
}

/*
 * The authority of an http(s) URL: a host (a name, an address or [IPv6]) and,
 * after a ':', a port of 1 to 65535. NULL when good, else why not.
 */
static const char *url_authority_problem(const char *url)
{
    const char *a = strstr(url, "://") + 3;
    size_t n = strcspn(a, "/?#");
    const char *at = memchr(a, '@', n);
    if (at != NULL) {
        n -= (size_t)(at + 1 - a); /* user:password@ is curl's to read */
        a = at + 1;
    }
    const char *host_end = a;
    if (n > 0 && a[0] == '[') {
        const char *close = memchr(a, ']', n);
        if (close == NULL) {
            return "an IPv6 address without its ']'";
        }
        host_end = close + 1;
    } else {
        while (host_end < a + n && *host_end != ':') {
            host_end++;
        }
    }
    if (host_end == a || (a[0] == '[' && host_end == a + 2)) {
        return "no host";
    }
    if (host_end == a + n) {
        return NULL;
    }
    if (*host_end != ':') {
        return "something after the host that is not a port";
    }
    const char *p = host_end + 1;
    size_t digits = (size_t)(a + n - p);
    if (digits == 0) {
        return "an empty port (say it, or leave out the ':')";
    }
    long port = 0;
    for (size_t i = 0; i < digits; i++) {
        if (p[i] < '0' || p[i] > '9' || digits > 5) {
            return "a port that is not a number from 1 to 65535";
        }
        port = port * 10 + (p[i] - '0');
    }
    return port >= 1 && port <= 65535 ? NULL : "a port that is not a number from 1 to 65535";
}

static int configure_url(struct http_settings *s, const char *value, char **cause)
{
    if (!str_has_prefix(value, "http://") && !str_has_prefix(value, "https://")) {
        *cause = xasprintf("bad url '%s' (http:// or https://)", value);
        return -1;
    }
    const char *problem = url_authority_problem(value);
    if (problem != NULL) {
        *cause = xasprintf("bad url '%s': %s", value, problem);
        return -1;
    }
    free(s->url);
    s->url = xstrdup(value);
    size_t n = strlen(s->url);
    while (n > 0 && s->url[n - 1] == '/') {
        s->url[--n] = '\0';
    }
    return 1;
}

int http_settings_configure(struct http_settings *s, const char *key, const char *value,
                            char **cause)
{
    if (strcmp(key, "url") == 0) {
        return configure_url(s, value, cause);
    }
    if (strcmp(key, "connect_timeout") == 0) {
        int64_t secs;
        if (!duration_parse(value, &secs) || secs < 1 || secs > 300) {
            *cause = xasprintf("bad connect_timeout '%s' (e.g. 3s)", value);
            return -1;
        }
        s->connect_timeout_ms = (int)secs * 1000;
        return 1;
    }
    if (strcmp(key, "max_body") == 0) {
        if (!parse_size(value, &s->max_body)) {
            *cause = xasprintf("bad max_body '%s' (e.g. 32M)", value);
            return -1;
        }
        return 1;
    }
    if (strcmp(key, "retries") == 0) {
        if (strlen(value) != 1 || value[0] < '0' || value[0] > '5') {
            *cause = xasprintf("bad retries '%s' (0 to 5)", value);
            return -1;
        }
        s->retries = value[0] - '0';
        return 1;
    }
    if (strcmp(key, "ca_file") == 0) {
        free(s->ca_file);
        s->ca_file = str_expand_home(value);
        return 1;
    }
    if (strcmp(key, "insecure") == 0) {
        if (!str_parse_bool(value, &s->insecure)) {
            *cause = xasprintf("bad insecure '%s' (true or false)", value);
            return -1;
        }
        return 1;
    }
    if (strcmp(key, "auth") == 0) {
        if (strcmp(value, "none") == 0) {
            s->auth = HTTP_AUTH_NONE;
        } else if (strcmp(value, "basic") == 0) {
            s->auth = HTTP_AUTH_BASIC;
        } else if (strcmp(value, "bearer") == 0) {
            s->auth = HTTP_AUTH_BEARER;
        } else {
            *cause = xasprintf("bad auth '%s' (none, basic or bearer)", value);
            return -1;
        }
        return 1;
    }
    if (strcmp(key, "user") == 0) {
        free(s->user);
        s->user = xstrdup(value);
        return 1;
    }
    if (strcmp(key, "password_env") == 0 || strcmp(key, "password_file") == 0 ||
        strcmp(key, "token_env") == 0 || strcmp(key, "token_file") == 0) {
        return set_secret_source(s, key, value, cause);
    }
    return 0;
}

/* "PATH" or "PATH (a symlink to TARGET)": errors name the file the user can fix. */
static char *secret_file_name(const char *path)
{
    struct stat lst;
    if (lstat(path, &lst) != 0 || !S_ISLNK(lst.st_mode)) {
        return xstrdup(path);
    }
    char *target = realpath(path, NULL);
    if (target == NULL) {
        char link[4096];
        ssize_t n = readlink(path, link, sizeof link - 1);
        link[n > 0 ? n : 0] = '\0';
        return xasprintf("%s (a symlink to %s)", path, link);
    }
    char *name = xasprintf("%s (a symlink to %s)", path, target);
    free(target);
    return name;
}

/*
 * A secret's bytes become part of a request: a token goes into an HTTP
 * header, where a CR or LF would start another header. Empty is a mistake too
 * (it would send "Bearer ").
 */
static bool secret_ok(const char *secret, const char *what, bool header, char **cause)
{
    if (secret[0] == '\0') {
        *cause = xasprintf("%s is empty", what);
        return false;
    }
    for (const unsigned char *c = (const unsigned char *)secret; header && *c != '\0'; c++) {
        if (*c < 0x20 || *c == 0x7f) {
            *cause =
                xasprintf("%s holds %s inside the token: refused (it would add to the HTTP "
                          "request's headers)",
                          what, *c == '\r' || *c == '\n' ? "a line break" : "a control character");
            return false;
        }
    }
    return true;
}

/*
 * A symlink is followed (Kubernetes mounts a service account's token through
 * two of them); what it reaches must be a regular file that is not group or
 * world readable, checked on the descriptor that is read.
 */
static bool read_secret_file(const char *path, bool header, char **out, char **cause)
{
    char *name = secret_file_name(path);
    /* O_NONBLOCK: a FIFO in its place must not freeze the start */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int err = errno;
        const char *why = err == ENOENT && strchr(name, '(') != NULL
                              ? "the symlink's target does not exist"
                          : err == ELOOP ? "its symlinks loop (too many levels of symbolic links)"
                                         : strerror(err);
        *cause = xasprintf("%s: %s", name, why);
        free(name);
        return false;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        *cause = xasprintf("%s: not a regular file", name);
        close(fd);
        free(name);
        return false;
    }
    if (st.st_mode & 077) {
        *cause = xasprintf("%s is readable by group or others: chmod 600 it%s", name,
                           strchr(name, '(') != NULL
                               ? " (the target; in Kubernetes, defaultMode: 0400 on the volume)"
                               : "");
        close(fd);
        free(name);
        return false;
    }
    char *buf = xmalloc(SECRET_FILE_MAX + 1);
    ssize_t n = read(fd, buf, SECRET_FILE_MAX);
    close(fd);
    if (n < 0) {
        *cause = xasprintf("%s: %s", name, strerror(errno));
        free(buf);
        free(name);
        return false;
    }
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        buf[--n] = '\0';
    }
    if (!secret_ok(buf, name, header, cause)) {
        memset(buf, 0, (size_t)n);
        free(buf);
        free(name);
        return false;
    }
    free(name);
    *out = buf;
    return true;
}

/* Is the URL's host an IP literal (no name to resolve)? */
static bool host_is_numeric(const char *url)
{
    const char *h = strstr(url, "://");
    h = h != NULL ? h + 3 : url;
    if (*h == '[') {
        return true; /* IPv6 literal */
    }
    for (; *h != '\0' && *h != ':' && *h != '/'; h++) {
        if (!isdigit((unsigned char)*h) && *h != '.') {
            return false;
        }
    }
    return true;
}

/*
 * A libcurl without an asynchronous resolver looks names up inside
 * curl_multi_perform(), blocking the one loop: then only IP addresses will do.
 */
static bool resolver_ok(const char *url, char **cause)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    if ((v->features & CURL_VERSION_ASYNCHDNS) || host_is_numeric(url)) {
        return true;
    }
    *cause = xasprintf("this libcurl resolves names synchronously (no AsynchDNS), which would "
                       "freeze the console: use an IP address in %s",
                       url);
    return false;
}

bool http_settings_finish(struct http_settings *s, int timeout_ms, char **cause)
{
    s->timeout_ms = timeout_ms;
    if (s->url == NULL) {
        *cause = xstrdup("url is required");
        return false;
    }
    if (!resolver_ok(s->url, cause)) {
        return false;
    }
    bool has_source = s->secret_env != NULL || s->secret_file != NULL;
    if (s->auth == HTTP_AUTH_NONE && has_source) {
        *cause = xstrdup("a secret is set but auth = none (set auth = basic or bearer)");
        return false;
    }
    if (s->auth != HTTP_AUTH_NONE && !has_source) {
        *cause = xstrdup("auth needs password_env, password_file, token_env or token_file");
        return false;
    }
    if (s->auth == HTTP_AUTH_BASIC && s->user == NULL) {
        *cause = xstrdup("auth = basic needs user");
        return false;
    }
    bool header = s->auth == HTTP_AUTH_BEARER;
    if (s->secret_env != NULL) {
        const char *v = getenv(s->secret_env);
        if (v == NULL || v[0] == '\0') {
            *cause = xasprintf("environment variable %s is not set", s->secret_env);
            return false;
        }
        char *what = xasprintf("environment variable %s", s->secret_env);
        bool ok = secret_ok(v, what, header, cause);
        free(what);
        if (!ok) {
            return false;
        }
        s->secret = xstrdup(v);
    } else if (s->secret_file != NULL &&
               !read_secret_file(s->secret_file, header, &s->secret, cause)) {
        return false;
    }
    if (s->ca_file != NULL && access(s->ca_file, R_OK) != 0) {
        *cause = xasprintf("ca_file %s: %s", s->ca_file, strerror(errno));
        return false;
    }
    return true;
}
