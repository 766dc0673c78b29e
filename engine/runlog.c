/* Run ids and journal reading shared by runbook runs and drills (runlog.h). */
#include "runlog.h"

#include "../common/clock.h"
#include "../common/util.h"
#include "journal.h"
#include "paths.h"

#include <cjson/cJSON.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char *slug(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot != NULL && dot != base ? (size_t)(dot - base) : strlen(base);
    char *s = xmalloc(n + 2);
    size_t o = 0;
    for (size_t i = 0; i < n && o < 40; i++) {
        unsigned char c = (unsigned char)base[i];
        if (isalnum(c)) {
            s[o++] = (char)tolower(c);
        } else if (o > 0 && s[o - 1] != '-') {
            s[o++] = '-';
        }
    }
    while (o > 0 && s[o - 1] == '-') {
        o--;
    }
    if (o == 0) {
        s[o++] = 'r';
    }
    s[o] = '\0';
    return s;
}

static unsigned random16(void)
{
    unsigned char b[2] = {0, 0};
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, b, 2) != 2) {
        uint64_t x = clock_mono_ms() ^ ((uint64_t)getpid() << 16);
        b[0] = (unsigned char)x;
        b[1] = (unsigned char)(x >> 8);
    }
    if (fd >= 0) {
        close(fd);
    }
    return (unsigned)b[0] << 8 | b[1];
}

char *runlog_new_id(const char *path)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char ts[32];
    strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm);
    char *sl = slug(path);
    char *id = xasprintf("%s-%s-%04x", ts, sl, random16());
    free(sl);
    return id;
}

/* The journal's events; lines that are not events are skipped (a torn tail after kill -9). */
cJSON **runlog_read(const char *path, size_t *n, char **cause)
{
    struct journal_line *lines = NULL;
    size_t nlines = 0;
    int err = 0;
    if (!journal_read(path, &lines, &nlines, &err)) {
        *cause = xasprintf("%s: %s", path, strerror(err));
        return NULL;
    }
    cJSON **ev = xcalloc(nlines > 0 ? nlines : 1, sizeof *ev);
    size_t cnt = 0;
    for (size_t i = 0; i < nlines; i++) {
        if (cJSON_IsString(cJSON_GetObjectItem(lines[i].obj, "action"))) {
            ev[cnt++] = lines[i].obj;
        } else {
            cJSON_Delete(lines[i].obj);
        }
    }
    free(lines);
    *n = cnt;
    return ev;
}

void runlog_free(cJSON **ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cJSON_Delete(ev[i]);
    }
    free(ev);
}

struct journal *runlog_open(const char *dir, const char *id, bool create, char **cause)
{
    if (dir == NULL) {
        *cause = xstrdup("no home directory for the state: set XDG_STATE_HOME or HOME");
        return NULL;
    }
    if (!paths_mkdir_p(dir, 0700, cause)) {
        return NULL;
    }
    char *path = xasprintf("%s/%s.jsonl", dir, id);
    struct journal *j = NULL;
    if (create && access(path, F_OK) == 0) {
        *cause = xasprintf("%s exists already", path);
    } else {
        j = journal_open(path, cause);
    }
    free(path);
    return j;
}
