/*
 * Time: the two clocks, RFC 3339 and human durations. Every layer reads
 * time here, so there is one parser of RFC 3339 (Alertmanager, Kubernetes,
 * NATS and the journals all write it) and one way to say "5m".
 */
#ifndef OPSDECK_CLOCK_H
#define OPSDECK_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Monotonic milliseconds; wall-clock milliseconds and seconds since the epoch. */
uint64_t clock_mono_ms(void);
int64_t clock_wall_ms(void);
int64_t clock_wall_s(void);
/*
 * Test-only (OPSDECK_EPOCH, golden screens): the wall clock stands still at
 * wall_ms from now on, so every time shown (the title bar, ages, a step's
 * elapsed time, journal stamps) is the same on every run. Deadlines on the
 * wall clock never pass while it stands; the monotonic clock still runs.
 * A negative value restores the real clock.
 */
void clock_pin_wall(int64_t wall_ms);

/* UTC RFC 3339 with milliseconds, e.g. 2026-11-23T10:12:59.123Z, into buf[32]. */
void clock_format_rfc3339(char buf[32], int64_t wall_ms);
/* The same in whole seconds, e.g. 2026-11-23T10:12:59Z (kubectl writes these). */
void clock_format_rfc3339_s(char buf[32], int64_t wall_s);
/*
 * RFC 3339 ("2026-11-23T09:12:59.798Z", "...+02:00", "t" or a blank for the
 * "T") to milliseconds since the epoch; digits past the milliseconds are
 * dropped. False on anything else, including impossible dates.
 */
bool clock_parse_rfc3339(const char *s, int64_t *wall_ms);
/* The same in whole seconds (the fraction dropped), as the APIs' ages need. */
bool clock_parse_rfc3339_s(const char *s, int64_t *wall_s);

/*
 * Parse "90", "90s", "30m", "1h30m", "2d" into seconds. Returns false (and
 * leaves *out alone) on anything else, including overflow and negatives.
 */
bool duration_parse(const char *s, int64_t *out);
/* Compact human age: "42s", "5m", "3h", "2d", "--" when negative. buf >= 16. */
void duration_format(char *buf, size_t len, int64_t seconds);
/* The same with a second unit where it matters: "42s", "5m", "1h59m", "2d3h". buf >= 24. */
void duration_format2(char *buf, size_t len, int64_t seconds);

#endif
