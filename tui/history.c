/* A line history in a file (history.h). */
#include "history.h"

#include "../common/util.h"
#include "../engine/paths.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { HISTORY_LINE_MAX = 4096 };

static void drop_oldest(struct history *h)
{
    while (h->max > 0 && h->n > h->max) {
        free(h->lines[0]);
        memmove(h->lines, h->lines + 1, (h->n - 1) * sizeof *h->lines);
        h->n--;
    }
}

bool history_add(struct history *h, const char *line)
{
    char *copy = xstrdup(line);
    for (char *c = copy; *c != '\0'; c++) {
        if (*c == '\n' || *c == '\r') {
            *c = ' ';
        }
    }
    str_trim(copy);
    const char *newest = history_newest(h);
    if (copy[0] == '\0' || (newest != NULL && strcmp(newest, copy) == 0)) {
        free(copy);
        return false;
    }
    h->lines = xreallocarray(h->lines, h->n + 1, sizeof *h->lines);
    h->lines[h->n++] = copy;
    drop_oldest(h);
    return true;
}

void history_load(struct history *h, const char *path, size_t max)
{
    history_free(h);
    h->max = max > 0 ? max : 1;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return;
    }
    char buf[HISTORY_LINE_MAX];
    while (fgets(buf, sizeof buf, f) != NULL) {
        size_t len = strlen(buf);
        if (len > 0 && buf[len - 1] != '\n' && !feof(f)) {
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n') {
            } /* a line too long is left out whole */
            continue;
        }
        buf[strcspn(buf, "\n")] = '\0';
        history_add(h, buf);
    }
    fclose(f);
}

bool history_save(const struct history *h, const char *path, char **cause)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        if (!paths_mkdir_p(dir, 0700, cause)) {
            free(dir);
            return false;
        }
    }
    free(dir);
    char *tmp = xasprintf("%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && fchmod(fd, 0600) == 0;
    for (size_t i = 0; ok && i < h->n; i++) {
        char *line = xasprintf("%s\n", h->lines[i]);
        size_t len = strlen(line);
        for (size_t off = 0; ok && off < len;) {
            ssize_t w = write(fd, line + off, len - off);
            ok = w > 0;
            off += ok ? (size_t)w : 0;
        }
        free(line);
    }
    if (fd >= 0 && close(fd) != 0) {
        ok = false;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = false;
    }
    if (!ok) {
        *cause = xasprintf("cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return ok;
}

const char *history_newest(const struct history *h)
{
    return h->n > 0 ? h->lines[h->n - 1] : NULL;
}

void history_free(struct history *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->lines[i]);
    }
    free(h->lines);
    h->lines = NULL;
    h->n = 0;
}
