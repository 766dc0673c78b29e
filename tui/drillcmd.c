/*
 * The drill commands that run no drill themselves (drillcmd.h).
 *
 * --wheel: the candidates are DIR's regular *.md files that are drills
 * (drill_detect), sorted by name so a seed picks the same file on every
 * host; the pick is the seed's splitmix64 modulo their count. Which file and
 * which seed are said on stderr, so the facilitator can repeat the draw.
 * --from-run writes engine/drill_fromrun.c's Markdown to stdout or to a new
 * FILE (an existing one is not overwritten).
 */
#include "drillcmd.h"

#include "../common/text.h"
#include "../common/util.h"
#include "../engine/drill.h"
#include "../engine/drill_extra.h"
#include "../engine/drill_fromrun.h"
#include "../engine/mdoc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int drillcmd_from_run(int argc, char **argv)
{
    if (argc < 4 || argc > 5 || argv[3][0] == '-' || (argc == 5 && argv[4][0] == '-')) {
        fprintf(stderr, "usage: opsdeck drill --from-run RUN-ID [FILE]\n");
        return 2;
    }
    char *cause = NULL;
    char *md = drill_from_run(NULL, argv[3], &cause);
    if (md == NULL) {
        text_printf(stderr, "opsdeck: %s\n", cause != NULL ? cause : "failed");
        free(cause);
        return 1;
    }
    int status = 0;
    if (argc == 5) {
        int fd = open(argv[4], O_WRONLY | O_CREAT | O_EXCL, 0644);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (f == NULL || fputs(md, f) == EOF || fclose(f) != 0) {
            text_printf(stderr, "opsdeck: %s: %s\n", argv[4],
                        errno == EEXIST ? "exists already (not overwritten)" : strerror(errno));
            status = 1;
        } else {
            text_printf(stderr, "opsdeck: wrote %s: check it with opsdeck lint %s\n", argv[4],
                        argv[4]);
        }
    } else {
        fputs(md, stdout);
    }
    free(md);
    return status;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_drill_file(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        return false;
    }
    size_t len = 0;
    char *cause = NULL;
    char *text = mdoc_read_file(path, 4 << 20, &len, &cause);
    free(cause);
    bool drill = text != NULL && drill_detect(text, len);
    free(text);
    return drill;
}

char *drillcmd_wheel(const char *dir, const char *seed, char **cause)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        *cause = xasprintf("--wheel %s: %s", dir, strerror(errno));
        return NULL;
    }
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 4 || strcmp(e->d_name + len - 3, ".md") != 0) {
            continue;
        }
        char *path = xasprintf("%s/%s", dir, e->d_name);
        if (is_drill_file(path)) {
            names = xreallocarray(names, n + 1, sizeof *names);
            names[n++] = path;
        } else {
            free(path);
        }
    }
    closedir(d);
    if (n == 0) {
        *cause = xasprintf("--wheel %s: no drill in it (*.md files whose block says drill:)", dir);
        free(names);
        return NULL;
    }
    qsort(names, n, sizeof *names, name_cmp);
    unsigned long long s;
    char *end = NULL;
    if (seed != NULL) {
        s = strtoull(seed, &end, 10);
        if (seed[0] < '0' || seed[0] > '9' || *end != '\0') {
            *cause = xasprintf("bad --seed '%s' (a whole number)", seed);
            for (size_t i = 0; i < n; i++) {
                free(names[i]);
            }
            free(names);
            return NULL;
        }
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        s = ((unsigned long long)ts.tv_nsec ^ (unsigned long long)getpid()) % 1000000;
    }
    size_t pick = (size_t)(drill_extra_mix(s) % n); /* as the drill's own draws */
    text_printf(stderr,
                "opsdeck: wheel of misfortune: drew %s (%zu of %zu drills, seed %llu: --seed %llu "
                "draws it again)\n",
                names[pick], pick + 1, n, s, s);
    char *out = names[pick];
    for (size_t i = 0; i < n; i++) {
        if (i != pick) {
            free(names[i]);
        }
    }
    free(names);
    return out;
}
