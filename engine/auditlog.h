/*
 * The audit log mirrored to the system log ([audit] syslog = on), so central
 * logging keeps what was done when the host that did it is gone.
 *
 * A mirror on the audit journal (journal_set_mirror): every line appended to
 * the audit log, once it is on disk, is also sent as one datagram on the
 * local syslog socket (AF_UNIX, SOCK_DGRAM, default /dev/log), in the form
 * syslog(3) sends there, RFC 3164 without the HOSTNAME field (the local daemon
 * adds the host itself; rsyslog's imuxsock and journald would read a host name
 * there as the TAG):
 *   <PRI>Mmm dd hh:mm:ss TAG[PID]: {"seq":...,"ts":...,...}
 * PRI = facility * 8 + severity: notice, warning for a failed result ("error:
 * ...", "failed..."). The timestamp is local time, as syslog(3)'s.
 *
 * Never blocks: the socket is non-blocking and each send is MSG_DONTWAIT. A
 * full socket (a burst of lines: the kernel queues about ten datagrams) is no
 * outage: what waits is sent from a timer as the daemon reads. A
 * stream socket is refused with a clear error (datagrams only, as /dev/log is
 * on Linux). A send that fails on a dead peer (the daemon restarted, its
 * socket made anew) reconnects once and sends again.
 *
 * Nothing is lost silently: the audit file has every line whatever syslog
 * does. A line that cannot be sent waits in a small backlog (AUDITLOG_BACKLOG
 * lines; past it the oldest are dropped and counted) and goes, in order,
 * before the next line once the socket takes them again. The first failure
 * of an outage is said once (the say callback: stderr, or the console's
 * status line) and recorded in the audit log itself as action "audit.syslog",
 * result "failed: WHY"; the end of the outage as "ok: ...: N lines sent late,
 * M dropped". Those lines are appended from inside the mirror: while it does
 * so it only queues or sends, never reports, so it cannot loop.
 */
#ifndef OPSDECK_AUDITLOG_H
#define OPSDECK_AUDITLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct journal;
struct loop;

enum { AUDITLOG_BACKLOG = 256 };

/* A facility by name (auth authpriv daemon user local0..local7): its code (LOG_AUTHPRIV >> 3). */
bool auditlog_facility_parse(const char *name, int *facility);
/* The facility's name, or "?". */
const char *auditlog_facility_name(int facility);
/* The severity of an audit line by its result: LOG_WARNING for a failure, else LOG_NOTICE. */
int auditlog_severity(const char *result);
/* One message (exposed for tests); wall_ms is shown in local time. Caller frees. */
char *auditlog_format(int facility, int severity, int64_t wall_ms, const char *tag, long pid,
                      const char *line);

typedef void (*auditlog_say_cb)(const char *text, void *ud);

struct auditlog;

/* From the config's [audit]; NULL when syslog is off (or cfg is NULL). */
struct auditlog *auditlog_create(const struct config *cfg);
/* Mirror j's lines (j: the audit journal, as opened). al NULL: nothing. */
void auditlog_attach(struct auditlog *al, struct journal *j);
/*
 * The loop to retry on while lines wait (a full socket drains as the daemon
 * reads); without one they go with the next line. NULL: none.
 */
void auditlog_set_loop(struct auditlog *al, struct loop *loop);
/* Who hears a failure (and a recovery); default: stderr. say NULL: back to stderr. */
void auditlog_set_say(struct auditlog *al, auditlog_say_cb say, void *ud);
/* The lines still waiting (tests). */
size_t auditlog_backlog(const struct auditlog *al);
/* Closes the socket; lines still waiting are only in the audit file. NULL: nothing. */
void auditlog_destroy(struct auditlog *al);

#endif
