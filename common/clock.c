/*
 * Time (clock.h). RFC 3339 is parsed by hand, not with strptime(): the
 * fraction and the offset vary by writer, and timegm() is not in C11.
 */
#include "clock.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

uint64_t clock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* -1: the real clock; else where clock_pin_wall() stopped it */
static int64_t pinned_ms = -1;

void clock_pin_wall(int64_t wall_ms)
{
    pinned_ms = wall_ms;
}

int64_t clock_wall_ms(void)
{
    if (pinned_ms >= 0) {
        return pinned_ms;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_wall_s(void)
{
    return clock_wall_ms() / 1000;
}

void clock_format_rfc3339(char buf[32], int64_t wall_ms)
{
    time_t secs = (time_t)(wall_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char tmp[96]; /* wide enough for any int the compiler can imagine */
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(wall_ms % 1000));
    size_t n = strlen(tmp);
    n = n < 31 ? n : 31;
    memcpy(buf, tmp, n);
    buf[n] = '\0';
}

void clock_format_rfc3339_s(char buf[32], int64_t wall_s)
{
    char ms[32];
    clock_format_rfc3339(ms, wall_s * 1000);
    memcpy(buf, ms, 19); /* up to the seconds */
    buf[19] = 'Z';
    buf[20] = '\0';
}

/* ---- RFC 3339 parsing ---- */

/* n decimal digits at *p, advancing it; false if any is not a digit. */
static bool take_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9') {
            return false;
        }
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool take_char(const char **p, const char *accept)
{
    if (**p != '\0' && strchr(accept, **p) != NULL) {
        (*p)++;
        return true;
    }
    return false;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* "Z", "+hh:mm", "-hhmm" to seconds east of UTC. */
static bool take_offset(const char **p, int *out)
{
    int hh, mm;
    if (take_char(p, "Zz")) {
        *out = 0;
        return true;
    }
    char sign = **p;
    if (!take_char(p, "+-") || !take_digits(p, 2, &hh)) {
        return false;
    }
    take_char(p, ":");
    if (!take_digits(p, 2, &mm) || hh > 23 || mm > 59) {
        return false;
    }
    *out = (sign == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
    return true;
}

bool clock_parse_rfc3339(const char *s, int64_t *wall_ms)
{
    int y, mo, d, h, mi, sec, off;
    const char *p = s;
    if (s == NULL || !take_digits(&p, 4, &y) || !take_char(&p, "-") || !take_digits(&p, 2, &mo) ||
        !take_char(&p, "-") || !take_digits(&p, 2, &d) || !take_char(&p, "Tt ") ||
        !take_digits(&p, 2, &h) || !take_char(&p, ":") || !take_digits(&p, 2, &mi) ||
        !take_char(&p, ":") || !take_digits(&p, 2, &sec)) {
        return false;
    }
    int ms = 0;
    if (take_char(&p, ".")) {
        if (*p < '0' || *p > '9') {
            return false;
        }
        int digits = 0;
        for (; *p >= '0' && *p <= '9'; p++, digits++) {
            ms = digits < 3 ? ms * 10 + (*p - '0') : ms;
        }
        for (; digits < 3; digits++) {
            ms *= 10;
        }
    }
    if (!take_offset(&p, &off) || *p != '\0') {
        return false;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60) {
        return false;
    }
    *wall_ms = (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off) * 1000 + ms;
    return true;
}

bool clock_parse_rfc3339_s(const char *s, int64_t *wall_s)
{
    int64_t ms;
    if (!clock_parse_rfc3339(s, &ms)) {
        return false;
    }
    *wall_s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    return true;
}

/* ---- durations ---- */

bool duration_parse(const char *s, int64_t *out)
{
    int64_t total = 0;
    bool any = false;
    const char *p = s;
    while (*p != '\0') {
        if (!isdigit((unsigned char)*p)) {
            return false;
        }
        int64_t n = 0;
        while (isdigit((unsigned char)*p)) {
            if (n > (INT64_MAX - 9) / 10) {
                return false;
            }
            n = n * 10 + (*p - '0');
            p++;
        }
        int64_t unit = 1;
        switch (*p) {
        case 's':
            p++;
            break;
        case 'm':
            unit = 60;
            p++;
            break;
        case 'h':
            unit = 3600;
            p++;
            break;
        case 'd':
            unit = 86400;
            p++;
            break;
        case '\0':
            if (any) {
                return false; /* "1h30" is ambiguous */
            }
            break;
        default:
            return false;
        }
        if (n > (INT64_MAX - total) / unit) {
            return false;
        }
        total += n * unit;
        any = true;
    }
    if (!any) {
        return false;
    }
    *out = total;
    return true;
}

void duration_format(char *buf, size_t len, int64_t s)
{
    if (s < 0) {
        snprintf(buf, len, "--");
    } else if (s < 60) {
        snprintf(buf, len, "%llds", (long long)s);
    } else if (s < 3600) {
        snprintf(buf, len, "%lldm", (long long)(s / 60));
    } else if (s < 86400) {
        snprintf(buf, len, "%lldh", (long long)(s / 3600));
    } else {
        snprintf(buf, len, "%lldd", (long long)(s / 86400));
    }
}

void duration_format2(char *buf, size_t len, int64_t s)
{
    if (s < 3600) {
        duration_format(buf, len, s);
        return;
    }
    bool days = s >= 86400;
    long long big = (long long)(days ? s / 86400 : s / 3600);
    long long small = (long long)(days ? s % 86400 / 3600 : s % 3600 / 60);
    int n = snprintf(buf, len, "%lld%c", big, days ? 'd' : 'h');
    if (small != 0 && n > 0 && (size_t)n < len) {
        snprintf(buf + n, len - (size_t)n, "%lld%c", small, days ? 'h' : 'm');
    }
}
