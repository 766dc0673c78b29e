/*
 * A tiny TAP producer for meson's `protocol: 'tap'`. Functions, not macros:
 * every check takes a description so a failure names what broke.
 */
#ifndef OPSDECK_TAP_H
#define OPSDECK_TAP_H

#include "../../common/util.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count;
static int tap_failed;

static inline bool tap_ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline bool tap_ok(bool cond, const char *fmt, ...)
{
    va_list ap;
    tap_count++;
    if (!cond) {
        tap_failed++;
    }
    printf("%s %d - ", cond ? "ok" : "not ok", tap_count);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    return cond;
}

static inline bool tap_is_str(const char *got, const char *want, const char *what)
{
    bool same =
        (got == NULL && want == NULL) || (got != NULL && want != NULL && strcmp(got, want) == 0);
    tap_ok(same, "%s", what);
    if (!same) {
        printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)", want ? want : "(null)");
    }
    return same;
}

static inline bool tap_is_int(long long got, long long want, const char *what)
{
    tap_ok(got == want, "%s", what);
    if (got != want) {
        printf("#   got:  %lld\n#   want: %lld\n", got, want);
    }
    return got == want;
}

static inline void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void tap_diag(const char *fmt, ...)
{
    va_list ap;
    printf("# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

/* Print the plan and return the exit status for main(). */
/*
 * The bytes of dir/name, NUL-terminated, in a buffer of exactly *len + 1 (so
 * ASan sees a parser reading past the end); "" and a diagnostic when the file
 * cannot be read, so the checks on it fail and say why.
 */
static inline char *tap_fixture(const char *dir, const char *name, size_t *len)
{
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    char *buf = xstrdup("");
    *len = 0;
    if (f == NULL) {
        tap_diag("cannot open %s", path);
        free(path);
        return buf;
    }
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        buf = xrealloc(buf, *len + n + 1);
        memcpy(buf + *len, chunk, n);
        *len += n;
        buf[*len] = '\0';
    }
    fclose(f);
    free(path);
    return buf;
}

static inline int tap_done(void)
{
    printf("1..%d\n", tap_count);
    return tap_failed == 0 ? 0 : 1;
}

#endif
