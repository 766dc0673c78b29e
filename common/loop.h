/*
 * The one event loop (DESIGN rule 1). One thread waits in curl_multi_poll() on
 * the libcurl multi handle, the terminal, the signal self-pipe, child-process
 * pipes and sockets, until the earliest timer is due. Nothing here blocks: a
 * backend that never answers costs nothing but an entry in the poll set.
 *
 * No curses here: headless modes (snapshot, runbooks in line mode) run on the
 * same loop.
 */
#ifndef OPSDECK_LOOP_H
#define OPSDECK_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_timer;
struct loop_watch;

typedef void (*loop_timer_cb)(void *ud);
/* revents as poll(2) reports them (POLLIN, POLLOUT, POLLHUP, POLLERR). */
typedef void (*loop_fd_cb)(int fd, short revents, void *ud);
typedef void (*loop_signal_cb)(int signo, void *ud);
/* Called after every curl_multi_perform(); the HTTP client reads messages here. */
typedef void (*loop_curl_cb)(void *ud);

struct loop *loop_create(void);
void loop_destroy(struct loop *loop);

/* The libcurl multi handle (CURLM *) shared by every HTTP backend. */
void *loop_curl_multi(struct loop *loop);
void loop_set_curl_handler(struct loop *loop, loop_curl_cb cb, void *ud);

/* Timers on the monotonic clock; interval 0 means one-shot (freed after firing). */
struct loop_timer *loop_timer_add(struct loop *loop, uint64_t delay_ms, uint64_t interval_ms,
                                  loop_timer_cb cb, void *ud);
void loop_timer_cancel(struct loop *loop, struct loop_timer *t);
/* Re-arm a periodic timer to fire after delay_ms (e.g. "poll now"). */
void loop_timer_reset(struct loop *loop, struct loop_timer *t, uint64_t delay_ms);

struct loop_watch *loop_watch_fd(struct loop *loop, int fd, short events, loop_fd_cb cb, void *ud);
void loop_watch_events(struct loop *loop, struct loop_watch *w, short events);
void loop_unwatch(struct loop *loop, struct loop_watch *w);

/*
 * Deliver SIGWINCH, SIGHUP, SIGTERM, SIGINT and SIGCHLD through the self-pipe
 * to cb, on the loop. SIGPIPE is ignored.
 */
void loop_on_signal(struct loop *loop, loop_signal_cb cb, void *ud);

/* Wait for and dispatch one round of events, at most max_wait_ms (-1: no limit). */
void loop_run_once(struct loop *loop, int max_wait_ms);
/* Run until loop_quit(). */
void loop_run(struct loop *loop);
void loop_quit(struct loop *loop);
bool loop_quitting(const struct loop *loop);
/* Undo loop_quit(): work that must finish while quitting (a drill's rollbacks) runs the loop. */
void loop_cancel_quit(struct loop *loop);
/* The loop's view of now, refreshed once per iteration. */
uint64_t loop_now_ms(const struct loop *loop);

#endif
