/*
 * Time (common/clock.c): the one RFC 3339 parser and its formatters, round
 * trips, offsets, fractions, and what it refuses.
 */
#include "../../common/clock.h"
#include "tap.h"

#include <string.h>

static void parses(const char *s, int64_t want_ms)
{
    int64_t ms = -1;
    bool ok = clock_parse_rfc3339(s, &ms);
    tap_ok(ok && ms == want_ms, "%s is %lld ms", s, (long long)want_ms);
    if (!ok || ms != want_ms) {
        tap_diag("got %s %lld", ok ? "ok" : "refused", (long long)ms);
    }
}

static void refuses(const char *s)
{
    int64_t ms = 42;
    tap_ok(!clock_parse_rfc3339(s, &ms) && ms == 42, "refused, untouched: '%s'", s);
}

int main(void)
{
    parses("1970-01-01T00:00:00Z", 0);
    parses("2026-11-23T09:12:59Z", 1795425179000LL);
    parses("2026-11-23T09:12:59.798Z", 1795425179798LL);
    parses("2026-11-23T09:12:59.7Z", 1795425179700LL);
    parses("2026-11-23T09:12:59.123456789Z", 1795425179123LL);
    parses("2026-11-23T11:12:59+02:00", 1795425179000LL);
    parses("2026-11-23T04:12:59-0500", 1795425179000LL);
    parses("2026-11-23t09:12:59z", 1795425179000LL);
    parses("2026-11-23 09:12:59Z", 1795425179000LL);
    parses("2024-02-29T00:00:00Z", 1709164800000LL);
    parses("1969-12-31T23:59:59Z", -1000);
    refuses("");
    refuses("2026-11-23");
    refuses("2026-11-23T09:12:59");
    refuses("2026-13-01T00:00:00Z");
    refuses("2025-02-29T00:00:00Z");
    refuses("2026-11-23T24:00:00Z");
    refuses("2026-11-23T09:12:59.Z");
    refuses("2026-11-23T09:12:59Zjunk");
    refuses("2026-11-23T09:12:59+25:00");
    int64_t s = 0;
    tap_ok(clock_parse_rfc3339_s("2026-11-23T09:12:59.999Z", &s) && s == 1795425179,
           "seconds: the fraction is dropped");
    tap_ok(clock_parse_rfc3339_s("1969-12-31T23:59:59.5Z", &s) && s == -1,
           "seconds before the epoch round down");

    char buf[32];
    clock_format_rfc3339(buf, 1795425179798LL);
    tap_is_str(buf, "2026-11-23T09:12:59.798Z", "format with milliseconds");
    clock_format_rfc3339_s(buf, 1795425179);
    tap_is_str(buf, "2026-11-23T09:12:59Z", "format in seconds");
    int64_t now = clock_wall_ms(), back = 0;
    clock_format_rfc3339(buf, now);
    tap_ok(clock_parse_rfc3339(buf, &back) && back == now, "now round-trips (%s)", buf);
    uint64_t m1 = clock_mono_ms(), m2 = clock_mono_ms();
    tap_ok(m2 >= m1, "the monotonic clock does not go back");
    return tap_done();
}
