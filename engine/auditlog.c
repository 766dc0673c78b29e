/*
 * The audit log to syslog (auditlog.h): format, socket, backlog, and the
 * one-report-per-outage rule.
 */
#include "auditlog.h"

#include "../common/clock.h"
#include "../common/loop.h"
#include "../common/text.h"
#include "../common/util.h"
#include "../common/whoami.h"
#include "config.h"
#include "journal.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static const struct {
    const char *name;
    int code;
} facilities[] = {
    {"auth", LOG_AUTH >> 3},     {"authpriv", LOG_AUTHPRIV >> 3}, {"daemon", LOG_DAEMON >> 3},
    {"user", LOG_USER >> 3},     {"local0", LOG_LOCAL0 >> 3},     {"local1", LOG_LOCAL1 >> 3},
    {"local2", LOG_LOCAL2 >> 3}, {"local3", LOG_LOCAL3 >> 3},     {"local4", LOG_LOCAL4 >> 3},
    {"local5", LOG_LOCAL5 >> 3}, {"local6", LOG_LOCAL6 >> 3},     {"local7", LOG_LOCAL7 >> 3},
};

bool auditlog_facility_parse(const char *name, int *facility)
{
    for (size_t i = 0; i < sizeof facilities / sizeof facilities[0]; i++) {
        if (strcmp(name, facilities[i].name) == 0) {
            *facility = facilities[i].code;
            return true;
        }
    }
    return false;
}

const char *auditlog_facility_name(int facility)
{
    for (size_t i = 0; i < sizeof facilities / sizeof facilities[0]; i++) {
        if (facilities[i].code == facility) {
            return facilities[i].name;
        }
    }
    return "?";
}

int auditlog_severity(const char *result)
{
    if (result != NULL && (str_has_prefix(result, "error") || str_has_prefix(result, "failed"))) {
        return LOG_WARNING;
    }
    return LOG_NOTICE;
}

char *auditlog_format(int facility, int severity, int64_t wall_ms, const char *tag, long pid,
                      const char *line)
{
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(wall_ms / 1000);
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL) {
        memset(&tm, 0, sizeof tm);
    }
    /* RFC 3164's TIMESTAMP: the day of the month space-padded, no year */
    return xasprintf("<%d>%s %2d %02d:%02d:%02d %s[%ld]: %s", facility * 8 + severity,
                     months[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tag, pid,
                     line);
}

/*
 * A datagram socket queues few messages (net.unix.max_dgram_qlen, 10 by
 * default): a burst of lines (a drill rolling back ten actions in one tick)
 * finds it full before the daemon has read. That is no outage: what waits
 * goes on a timer (RETRY_MS) as the daemon reads, and only a socket still full
 * after BUSY_SAY_MS, or a full backlog, is said. At exit, what waits gets up
 * to EXIT_WAIT_MS (the loop is over: a short wait blocks nobody).
 */
enum { RETRY_MS = 100, RETRY_DOWN_MS = 1000, BUSY_SAY_MS = 3000, EXIT_WAIT_MS = 1000 };

struct auditlog {
    int facility;
    char *socket_path;
    char *tag;
    int fd; /* -1: not connected */
    char *backlog[AUDITLOG_BACKLOG];
    size_t nbacklog;
    size_t dropped;  /* lines pushed out of the backlog in this outage */
    size_t late;     /* lines of the backlog sent after the outage */
    bool down;       /* an outage said, not yet over */
    bool reporting;  /* appending our own line: queue or send only */
    char *last_file; /* the audit file, for the words at the end */
    auditlog_say_cb say;
    void *say_ud;
    struct loop *loop;        /* for the retry timer; NULL: retries come with the next line */
    struct loop_timer *retry; /* armed while lines wait */
    uint64_t busy_since;      /* monotonic ms the socket was first found full; 0: it was not */
};

struct auditlog *auditlog_create(const struct config *cfg)
{
    if (cfg == NULL || !cfg->audit_syslog) {
        return NULL;
    }
    struct auditlog *al = xcalloc(1, sizeof *al);
    al->facility = cfg->audit_facility;
    al->socket_path = xstrdup(cfg->audit_socket != NULL ? cfg->audit_socket : "/dev/log");
    al->tag = xstrdup(cfg->audit_tag != NULL ? cfg->audit_tag : "opsdeck");
    al->fd = -1;
    return al;
}

void auditlog_set_say(struct auditlog *al, auditlog_say_cb say, void *ud)
{
    if (al != NULL) {
        al->say = say;
        al->say_ud = ud;
    }
}

size_t auditlog_backlog(const struct auditlog *al)
{
    return al != NULL ? al->nbacklog : 0;
}

static void say(struct auditlog *al, const char *text)
{
    if (al->say != NULL) {
        al->say(text, al->say_ud);
    } else {
        text_printf(stderr, "opsdeck: %s\n", text);
    }
}

static void disconnect(struct auditlog *al)
{
    if (al->fd >= 0) {
        close(al->fd);
        al->fd = -1;
    }
}

static bool connect_socket(struct auditlog *al, char **why)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(al->socket_path) >= sizeof sa.sun_path) {
        *why = xasprintf("%s: path too long for a socket", al->socket_path);
        return false;
    }
    memcpy(sa.sun_path, al->socket_path, strlen(al->socket_path) + 1);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *why = xasprintf("socket: %s", strerror(errno));
        return false;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int err = errno;
        close(fd);
        *why = err == EPROTOTYPE ? xasprintf("%s: a stream socket (opsdeck sends datagrams, as "
                                             "syslog(3) does)",
                                             al->socket_path)
                                 : xasprintf("%s: %s", al->socket_path, strerror(err));
        return false;
    }
    al->fd = fd;
    return true;
}

/* The peer is gone (a daemon restarted makes its socket anew): connect again. */
static bool peer_gone(int err)
{
    return err == ECONNREFUSED || err == ENOTCONN || err == ECONNRESET || err == EPIPE ||
           err == ENOENT || err == EDESTADDRREQ;
}

/*
 * Send one message. false with *why; *keep says whether it may go later (a
 * message too long for a datagram never will).
 */
static bool send_msg(struct auditlog *al, const char *msg, bool *keep, bool *busy, char **why)
{
    size_t len = strlen(msg);
    *keep = true;
    *busy = false;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (al->fd < 0 && !connect_socket(al, why)) {
            return false;
        }
        if (send(al->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len) {
            return true;
        }
        int err = errno;
        if (attempt == 0 && peer_gone(err)) {
            disconnect(al);
            continue;
        }
        if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
            *busy = true;
            *why = xasprintf("%s: the syslog daemon is not reading (its queue is full)",
                             al->socket_path);
        } else if (err == EMSGSIZE) {
            *keep = false;
            *why = xasprintf("%s: a line of %zu bytes is too long for one datagram",
                             al->socket_path, len);
        } else {
            *why = xasprintf("%s: %s", al->socket_path, strerror(err));
            disconnect(al);
        }
        return false;
    }
    return false;
}

static void queue(struct auditlog *al, char *msg)
{
    if (al->nbacklog == AUDITLOG_BACKLOG) {
        free(al->backlog[0]);
        memmove(al->backlog, al->backlog + 1, (AUDITLOG_BACKLOG - 1) * sizeof al->backlog[0]);
        al->nbacklog--;
        al->dropped++;
    }
    al->backlog[al->nbacklog++] = msg;
}

/* Send what waits, oldest first; false (with *why) at the first that does not go. */
static bool flush(struct auditlog *al, bool *busy, char **why)
{
    size_t sent = 0;
    bool ok = true;
    *busy = false;
    while (sent < al->nbacklog) {
        bool keep;
        if (send_msg(al, al->backlog[sent], &keep, busy, why)) {
            al->late++;
        } else if (keep) {
            ok = false;
            break;
        } else {
            free(*why); /* too long: it never goes; the file has it */
            *why = NULL;
            al->dropped++;
        }
        free(al->backlog[sent]);
        al->backlog[sent] = NULL;
        sent++;
    }
    memmove(al->backlog, al->backlog + sent, (al->nbacklog - sent) * sizeof al->backlog[0]);
    al->nbacklog -= sent;
    return ok;
}

/* One line of ours in the audit log, about syslog itself; mirrored too (queued or sent). */
static void record(struct auditlog *al, struct journal *j, const char *result)
{
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "socket", al->socket_path);
    cJSON_AddStringToObject(data, "facility", auditlog_facility_name(al->facility));
    cJSON_AddStringToObject(data, "tag", al->tag);
    struct journal_event ev = {
        .actor = whoami_user(),
        .host = whoami_host(),
        .action = "audit.syslog",
        .target = al->socket_path,
        .result = result,
        .data = data,
    };
    char *cause = NULL;
    al->reporting = true;
    if (!journal_append(j, &ev, &cause)) {
        free(cause); /* the audit file's own failure is the action's to tell */
    }
    al->reporting = false;
    cJSON_Delete(data);
}

static void retry(void *ud);

/* While lines wait: try again soon (less often while the socket is gone). */
static void arm(struct auditlog *al)
{
    if (al->loop != NULL && al->nbacklog > 0 && al->retry == NULL) {
        al->retry = loop_timer_add(al->loop, al->down ? RETRY_DOWN_MS : RETRY_MS, 0, retry, al);
    }
}

/* The timer: send what waits; saying "back" is the next line's (it has the journal). */
static void retry(void *ud)
{
    struct auditlog *al = ud;
    al->retry = NULL;
    char *why = NULL;
    bool busy;
    if (flush(al, &busy, &why)) {
        al->busy_since = 0;
    }
    free(why);
    arm(al);
}

static void on_line(struct journal *j, const struct journal_event *ev, const char *line, void *ud)
{
    struct auditlog *al = ud;
    free(al->last_file);
    al->last_file = xstrdup(journal_path(j));
    char *msg = auditlog_format(al->facility, auditlog_severity(ev->result), clock_wall_ms(),
                                al->tag, (long)getpid(), line);
    char *why = NULL;
    bool keep = true, busy = false;
    bool ok = flush(al, &busy, &why) && send_msg(al, msg, &keep, &busy, &why);
    if (ok) {
        free(msg);
        al->busy_since = 0;
    } else if (keep) {
        queue(al, msg);
    } else {
        free(msg);
        al->dropped++;
    }
    if (!ok && busy && !al->down && al->nbacklog < AUDITLOG_BACKLOG) {
        /* full, not gone: an outage only when it stays full */
        uint64_t now = clock_mono_ms();
        if (al->busy_since == 0) {
            al->busy_since = now;
        }
        if (now - al->busy_since < BUSY_SAY_MS) {
            free(why);
            arm(al);
            return;
        }
    }
    if (al->reporting) {
        free(why); /* our own line: queued or sent, nothing said about it */
        arm(al);
        return;
    }
    if (!ok && !al->down) {
        al->down = true;
        al->late = 0;
        char *text = xasprintf("audit to syslog failed: %s (the audit file %s keeps every line)",
                               why, journal_path(j));
        say(al, text);
        free(text);
        char *result = xasprintf("failed: %s", why);
        record(al, j, result);
        free(result);
    } else if (ok && al->down) {
        al->down = false;
        char *text = xasprintf("audit to syslog: back on %s: %zu line%s sent late, %zu dropped "
                               "(they are in %s)",
                               al->socket_path, al->late, al->late == 1 ? "" : "s", al->dropped,
                               journal_path(j));
        al->late = 0;
        al->dropped = 0;
        say(al, text);
        char *result = xasprintf("ok: %s", text + strlen("audit to syslog: "));
        record(al, j, result);
        free(result);
        free(text);
    }
    free(why);
    arm(al);
}

void auditlog_set_loop(struct auditlog *al, struct loop *loop)
{
    if (al != NULL) {
        if (al->retry != NULL) {
            loop_timer_cancel(al->loop, al->retry);
            al->retry = NULL;
        }
        al->loop = loop;
        arm(al);
    }
}

void auditlog_attach(struct auditlog *al, struct journal *j)
{
    if (al != NULL && j != NULL) {
        journal_set_mirror(j, on_line, al);
    }
}

void auditlog_destroy(struct auditlog *al)
{
    if (al == NULL) {
        return;
    }
    if (al->retry != NULL) {
        loop_timer_cancel(al->loop, al->retry);
    }
    /* what waits: a last chance while the daemon reads (a burst at the end of `act`) */
    uint64_t until = clock_mono_ms() + EXIT_WAIT_MS;
    for (;;) {
        char *why = NULL;
        bool busy;
        bool sent = flush(al, &busy, &why);
        free(why);
        uint64_t now = clock_mono_ms();
        if (sent || !busy || al->fd < 0 || now >= until) {
            break;
        }
        struct pollfd pfd = {.fd = al->fd, .events = POLLOUT};
        poll(&pfd, 1, (int)(until - now));
    }
    if (al->nbacklog > 0) {
        text_printf(stderr,
                    "opsdeck: %zu audit line%s not sent to syslog (%s): they are in %s only\n",
                    al->nbacklog, al->nbacklog == 1 ? "" : "s", al->socket_path,
                    al->last_file != NULL ? al->last_file : "the audit file");
    }
    for (size_t i = 0; i < al->nbacklog; i++) {
        free(al->backlog[i]);
    }
    disconnect(al);
    free(al->socket_path);
    free(al->tag);
    free(al->last_file);
    free(al);
}
