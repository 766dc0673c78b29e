/*
 * A tiny TAP producer for meson's `protocol: 'tap'`. Functions, not macros:
 * every check takes a description so a failure names what broke.
 */
#ifndef OPSDECK_TAP_H
#define OPSDECK_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
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
static inline int tap_done(void)
{
    printf("1..%d\n", tap_count);
    return tap_failed == 0 ? 0 : 1;
}

#endif
