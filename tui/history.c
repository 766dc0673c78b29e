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
    struct strbuf sb = {0};
    strbuf_str(&sb, "");
    for (size_t i = 0; i < h->n; i++) {
        strbuf_printf(&sb, "%s\n", h->lines[i]);
    }
    bool ok = paths_write_whole(path, sb.s, 0600, cause);
    free(sb.s);
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
