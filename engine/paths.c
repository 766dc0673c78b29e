/*
 * XDG base directories and mkdir -p.
 *
 * The XDG spec says a relative $XDG_*_HOME is invalid and must be ignored, so
 * we fall back to $HOME and then to the passwd entry (sudo -u, cron and some
 * SSH setups run without $HOME). If there is no home directory at all the
 * directory functions return NULL: writing state into the current directory
 * would scatter audit logs wherever opsdeck happened to be started.
 */
#include "paths.h"

#include "../common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *home_dir(void)
{
    const char *home = getenv("HOME");
    if (home != NULL && home[0] == '/') {
        return home;
    }
    struct passwd *pw = getpwuid(getuid());
    if (pw != NULL && pw->pw_dir != NULL && pw->pw_dir[0] == '/') {
        return pw->pw_dir;
    }
    return NULL;
}

static char *xdg_dir(const char *var, const char *fallback)
{
    const char *base = getenv(var);
    if (base != NULL && base[0] == '/') {
        return xasprintf("%s/opsdeck", base);
    }
    const char *home = home_dir();
    if (home == NULL) {
        return NULL;
    }
    return xasprintf("%s/%s/opsdeck", home, fallback);
}

char *paths_state_dir(void)
{
    return xdg_dir("XDG_STATE_HOME", ".local/state");
}

char *paths_config_dir(void)
{
    return xdg_dir("XDG_CONFIG_HOME", ".config");
}

/* Is the directory of path (or path itself, dir true) a group's shared one (setgid)? */
static bool shared_dir(const char *path, bool dir)
{
    const char *slash = strrchr(path, '/');
    char *d = dir             ? xstrdup(path)
              : slash != NULL ? xstrndup(path, (size_t)(slash - path))
                              : xstrdup(".");
    struct stat st;
    bool yes =
        stat(d[0] != '\0' ? d : "/", &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & S_ISGID);
    free(d);
    return yes;
}

void paths_share_mode(int fd, const char *path)
{
    struct stat st;
    if (shared_dir(path, false) && fstat(fd, &st) == 0 && st.st_uid == geteuid() &&
        (st.st_mode & 0777) != 0660) {
        (void)fchmod(fd, 0660);
    }
}

/* Make one component; an existing directory (or a link to one) is fine. */
static bool make_one(const char *dir, int mode, char **cause)
{
    bool group = shared_dir(dir, false);
    if (mkdir(dir, (mode_t)(group ? 02770 : mode)) == 0) {
        if (group) {
            (void)chmod(dir, 02770); /* past the umask: the group works in it */
        }
        return true;
    }
    int err = errno;
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            return true;
        }
        *cause = xasprintf("%s: exists and is not a directory", dir);
        return false;
    }
    *cause = xasprintf("%s: %s", dir, strerror(err));
    return false;
}

bool paths_mkdir_p(const char *path, int mode, char **cause)
{
    if (path == NULL || *path == '\0') {
        *cause = xstrdup("cannot create a directory with an empty name");
        return false;
    }
    char *dir = xstrdup(path);
    bool ok = true;
    /* Cut the path after each component in turn; skip the root and "//". */
    for (char *p = dir + 1; ok; p++) {
        if (*p != '/' && *p != '\0') {
            continue;
        }
        char saved = *p;
        *p = '\0';
        if (p[-1] != '/') {
            ok = make_one(dir, mode, cause);
        }
        *p = saved;
        if (saved == '\0') {
            break;
        }
    }
    free(dir);
    return ok;
}

bool paths_write_whole(const char *path, const char *text, int mode, char **cause)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    bool made = true;
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        char *why = NULL;
        made = paths_mkdir_p(dir, 0700, &why);
        if (!made && cause != NULL) {
            *cause = why;
            why = NULL;
        }
        free(why);
    }
    free(dir);
    if (!made) {
        return false;
    }
    char *tmp = xasprintf("%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    bool ok = fd >= 0;
    int err = ok ? 0 : errno;
    size_t len = strlen(text);
    for (size_t off = 0; ok && off < len;) {
        ssize_t n = write(fd, text + off, len - off);
        ok = n > 0;
        err = ok ? 0 : errno;
        off += ok ? (size_t)n : 0;
    }
    if (fd >= 0 && close(fd) != 0 && ok) {
        ok = false;
        err = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = false;
        err = errno;
    }
    if (!ok) {
        if (cause != NULL) {
            *cause = xasprintf("%s: %s", path, err != 0 ? strerror(err) : "short write");
        }
        unlink(tmp);
    }
    free(tmp);
    return ok;
}
