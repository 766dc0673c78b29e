/*
 * Finding the runbook of an alert.
 *
 * Three sources, in order (docs/runbooks.md): the config's explicit
 * `[runbooks] alert.NAME = FILE`, the alert's runbook_url, then NAME.md. An
 * explicit mapping that points nowhere is an error, not a reason to fall back:
 * the operator asked for that file, and opening another one at 3 a.m. would
 * be worse than saying so. A runbook_url usually points at a wiki we cannot
 * read offline, so only its last path segment is used, as a file name looked
 * up in the runbook directories (with ".md" added when it has no extension,
 * as wiki URLs often have none).
 *
 * Alert labels and URLs come from the monitored systems, not from the
 * operator: a name taken from them must be a plain file name (no '/', no
 * leading '.') so that "../../etc/passwd" finds nothing. Local paths in a
 * runbook_url are taken as they are: they only ever get opened and parsed,
 * and every command in a runbook is confirmed before it runs.
 */
#include "locate.h"

#include "../common/util.h"
#include "paths.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef OPSDECK_RUNBOOKDIR
#define OPSDECK_RUNBOOKDIR "/usr/local/share/opsdeck/runbooks"
#endif
#ifndef OPSDECK_SOURCE_RUNBOOKDIR
#define OPSDECK_SOURCE_RUNBOOKDIR ""
#endif

static const char *home_dir(void)
{
    const char *home = getenv("HOME");
    if (home != NULL && home[0] == '/') {
        return home;
    }
    struct passwd *pw = getpwuid(getuid());
    return pw != NULL && pw->pw_dir != NULL && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
}

char *locate_expand_home(const char *path)
{
    const char *home = home_dir();
    if (home != NULL && path[0] == '~' && (path[1] == '\0' || path[1] == '/')) {
        return xasprintf("%s%s", home, path + 1);
    }
    return xstrdup(path);
}

/* For messages: the home directory as `~`, as the operator would type it. */
static char *tilde(const char *path)
{
    const char *home = home_dir();
    size_t n = home != NULL ? strlen(home) : 0;
    if (n > 1 && strncmp(path, home, n) == 0 && (path[n] == '/' || path[n] == '\0')) {
        return xasprintf("~%s", path + n);
    }
    return xstrdup(path);
}

/* The config file's directory, against which relative paths in it are read. */
static char *config_dir(const struct config *cfg)
{
    const char *slash = cfg != NULL && cfg->path != NULL ? strrchr(cfg->path, '/') : NULL;
    if (slash == NULL) {
        return xstrdup(".");
    }
    return slash == cfg->path ? xstrdup("/") : xstrndup(cfg->path, (size_t)(slash - cfg->path));
}

/* `~/x` from home, `/x` as is, `x` relative to the config file. */
static char *config_path(const struct config *cfg, const char *p)
{
    if (p[0] == '~' || p[0] == '/') {
        return locate_expand_home(p);
    }
    char *dir = config_dir(cfg);
    char *full = xasprintf("%s/%s", dir, p);
    free(dir);
    return full;
}

static void add_dir(char ***dirs, size_t *n, char *dir)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*dirs)[i], dir) == 0) {
            free(dir);
            return;
        }
    }
    *dirs = xreallocarray(*dirs, *n + 2, sizeof **dirs);
    (*dirs)[(*n)++] = dir;
    (*dirs)[*n] = NULL;
}

char **locate_dirs(const struct config *cfg, size_t *np)
{
    char **dirs = xcalloc(1, sizeof *dirs);
    size_t n = 0;
    if (cfg != NULL && cfg->nrunbook_dirs > 0) {
        for (size_t i = 0; i < cfg->nrunbook_dirs; i++) {
            add_dir(&dirs, &n, config_path(cfg, cfg->runbook_dirs[i]));
        }
    } else {
        char *conf = paths_config_dir();
        if (conf != NULL) {
            add_dir(&dirs, &n, xasprintf("%s/runbooks", conf));
        }
        free(conf);
    }
    if (OPSDECK_SOURCE_RUNBOOKDIR[0] != '\0') {
        add_dir(&dirs, &n, xstrdup(OPSDECK_SOURCE_RUNBOOKDIR));
    }
    add_dir(&dirs, &n, xstrdup(OPSDECK_RUNBOOKDIR));
    if (np != NULL) {
        *np = n;
    }
    return dirs;
}

void locate_dirs_free(char **dirs)
{
    for (size_t i = 0; dirs != NULL && dirs[i] != NULL; i++) {
        free(dirs[i]);
    }
    free(dirs);
}

static bool is_file(const char *path, int *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        *err = errno;
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        *err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        return false;
    }
    return true;
}

/* A name from a label or a URL, safe to join to a directory. */
static bool plain_name(const char *name)
{
    return name[0] != '\0' && name[0] != '.' && strchr(name, '/') == NULL;
}

static char *find_in_dirs(char *const *dirs, const char *name)
{
    if (!plain_name(name)) {
        return NULL;
    }
    for (size_t i = 0; dirs[i] != NULL; i++) {
        char *path = xasprintf("%s/%s", dirs[i], name);
        int err;
        if (is_file(path, &err)) {
            return path;
        }
        free(path);
    }
    return NULL;
}

/* The value of the first "key\tvalue" line, or NULL. Caller frees. */
static char *detail_get(const char *detail, const char *key)
{
    size_t klen = strlen(key);
    for (const char *line = detail; line != NULL && *line != '\0';) {
        const char *nl = strchr(line, '\n');
        const char *end = nl != NULL ? nl : line + strlen(line);
        if ((size_t)(end - line) > klen && strncmp(line, key, klen) == 0 && line[klen] == '\t') {
            return xstrndup(line + klen + 1, (size_t)(end - line - (ptrdiff_t)klen - 1));
        }
        line = nl != NULL ? nl + 1 : NULL;
    }
    return NULL;
}

/* %XX decoding; a %00 or a malformed escape is left as it is. */
static char *url_decode(const char *s, size_t len)
{
    char *out = xmalloc(len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        int hi = s[i] == '%' && i + 2 < len ? str_hex_value(s[i + 1]) : -1;
        int lo = hi >= 0 ? str_hex_value(s[i + 2]) : -1;
        if (lo >= 0 && hi * 16 + lo != 0) {
            out[n++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[n++] = s[i];
        }
    }
    out[n] = '\0';
    return out;
}

/*
 * The file name a URL (or a relative path) ends with: query and fragment
 * dropped, decoded, ".md" added when it has no extension. NULL when there is
 * no usable name ("https://wiki/", "https://wiki/a/..").
 */
static char *url_file_name(const char *url)
{
    const char *start = url;
    const char *scheme = strstr(url, "://");
    if (scheme != NULL) {
        start = strchr(scheme + 3, '/'); /* the path, after the authority */
        if (start == NULL) {
            return NULL;
        }
    }
    size_t len = strcspn(start, "?#");
    while (len > 0 && start[len - 1] == '/') {
        len--;
    }
    const char *seg = start;
    for (size_t i = 0; i < len; i++) {
        if (start[i] == '/') {
            seg = start + i + 1;
        }
    }
    char *name = url_decode(seg, len - (size_t)(seg - start));
    if (!plain_name(name)) {
        free(name);
        return NULL;
    }
    if (strchr(name, '.') == NULL) {
        char *md = xasprintf("%s.md", name);
        free(name);
        name = md;
    }
    return name;
}

/* A runbook_url that names a local file: its path, or NULL when it is a URL. */
static char *url_local_path(const char *url)
{
    if (str_has_prefix(url, "file://")) {
        const char *p = url + 7;
        if (str_has_prefix(p, "localhost/")) {
            p += 9;
        }
        return p[0] == '/' ? url_decode(p, strcspn(p, "?#")) : NULL;
    }
    if (url[0] == '/' || (url[0] == '~' && (url[1] == '/' || url[1] == '\0'))) {
        return locate_expand_home(url);
    }
    return NULL;
}

static char *from_mapping(const struct config *cfg, const struct config_entry *e, char *const *dirs,
                          char **cause)
{
    char *path = NULL;
    int err = ENOENT;
    if (strchr(e->value, '/') == NULL && e->value[0] != '~') {
        /* a bare name: the runbook directories, like every other lookup */
        path = find_in_dirs(dirs, e->value);
        if (path == NULL) {
            char *first = tilde(dirs[0]);
            *cause = xasprintf("no runbook for %s: [runbooks] alert.%s = %s (%s:%d): no %s in "
                               "%s or the shipped runbooks",
                               e->key, e->key, e->value, cfg->path, e->line, e->value, first);
            free(first);
        }
        return path;
    }
    path = config_path(cfg, e->value);
    if (is_file(path, &err)) {
        return path;
    }
    *cause = xasprintf("no runbook for %s: [runbooks] alert.%s = %s (%s:%d): %s: %s", e->key,
                       e->key, e->value, cfg->path, e->line, path, strerror(err));
    free(path);
    return NULL;
}

/* What to say when nothing was found; url may be NULL. */
static char *not_found(const char *name, const char *url, const char *url_name, int url_err,
                       char *const *dirs)
{
    char *first = tilde(dirs[0]);
    char *why;
    char *want = xasprintf("%s.md", name);
    if (url == NULL) {
        why = xasprintf("no runbook_url and no %s in the runbook directories", want);
    } else if (url_err != 0) {
        why = xasprintf("runbook_url %s: %s", url, strerror(url_err));
    } else {
        why = xasprintf("runbook_url %s has no local copy", url);
        if (url_name != NULL) {
            free(want);
            want = xstrdup(url_name);
        }
    }
    char *cause = xasprintf("no runbook for %s: %s; put %s in %s or map it with [runbooks] "
                            "alert.%s = FILE",
                            name, why, want, first, name);
    free(first);
    free(why);
    free(want);
    return cause;
}

char *locate_runbook(const struct config *cfg, const char *alertname, const char *detail,
                     char **cause)
{
    char *label = alertname == NULL ? detail_get(detail, "label.alertname") : NULL;
    const char *name = alertname != NULL ? alertname : label;
    if (name == NULL || name[0] == '\0') {
        *cause = xstrdup("no runbook: the alert has no alertname label");
        free(label);
        return NULL;
    }
    char **dirs = locate_dirs(cfg, NULL);
    char *path = NULL;
    char *url = NULL, *url_name = NULL;
    int url_err = 0;

    for (size_t i = 0; cfg != NULL && i < cfg->nrunbook_alerts; i++) {
        if (strcmp(cfg->runbook_alerts[i].key, name) == 0) {
            path = from_mapping(cfg, &cfg->runbook_alerts[i], dirs, cause);
            goto done;
        }
    }

    url = detail_get(detail, "annotation.runbook_url");
    if (url == NULL) {
        url = detail_get(detail, "runbook_url");
    }
    if (url != NULL && url[0] == '\0') {
        free(url);
        url = NULL;
    }
    if (url != NULL) {
        char *local = url_local_path(url);
        if (local != NULL) {
            if (is_file(local, &url_err)) {
                path = local;
                goto done;
            }
            free(local);
        } else {
            url_name = url_file_name(url);
            path = url_name != NULL ? find_in_dirs(dirs, url_name) : NULL;
            if (path != NULL) {
                goto done;
            }
        }
    }

    char *own = xasprintf("%s.md", name);
    path = find_in_dirs(dirs, own);
    free(own);
    if (path == NULL) {
        *cause = not_found(name, url, url_name, url_err, dirs);
    }
done:
    free(url);
    free(url_name);
    free(label);
    locate_dirs_free(dirs);
    return path;
}

size_t locate_alert_vars(const char *detail, const char *alertname, struct vars *v)
{
    size_t n = 0;
    for (const char *line = detail; line != NULL && *line != '\0';) {
        const char *nl = strchr(line, '\n');
        const char *end = nl != NULL ? nl : line + strlen(line);
        const char *tab = memchr(line, '\t', (size_t)(end - line));
        if (tab != NULL && str_has_prefix(line, "label.") && tab > line + 6) {
            char *key = xstrndup(line + 6, (size_t)(tab - line - 6));
            if (vars_valid_name(key)) {
                char *value = xstrndup(tab + 1, (size_t)(end - tab - 1));
                vars_set(v, key, value);
                free(value);
                n++;
            }
            free(key);
        }
        line = nl != NULL ? nl + 1 : NULL;
    }
    if (alertname != NULL && alertname[0] != '\0' && vars_get(v, "alertname") == NULL) {
        vars_set(v, "alertname", alertname);
        n++;
    }
    return n;
}
