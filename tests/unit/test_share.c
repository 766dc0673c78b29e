/*
 * The war room's hub on one host (engine/share_sock.c, share.c), in process,
 * on the real loop, over real Unix sockets in a temp dir, with a real runlog
 * as the owner's run and owner ops written here:
 *   - a follower gets hello (run, kind, owner, you = this process's user from
 *     SO_PEERCRED, role), the whole history in order, "synced", then every
 *     live event once; a notice as {"live":true}, a RUNLOG_LOCAL one never;
 *   - roles: share_role_for (names, "*", "@group", unknown), an observer's
 *     and a participant's refusals (apply not called), unknown ops and lines
 *     that are no request get ok false and the owner serves the others;
 *   - handover: offer, accept, the new driver's op reaches apply, accept
 *     without an offer, handing back and take back;
 *   - a follower that never reads is dropped ("dropped") while the others
 *     get every event and the loop keeps turning;
 *   - leaving ("left", the card), destroy (bye, socket and card gone), the
 *     owner killed (closed without bye), create's and connect's errors;
 *   - share_cards: newest first, a dead pid not live, garbage skipped.
 * The owner's name is $USER (whoami_user), set here to a name that is not
 * the Unix user, so the owner and the followers (all this process's uid)
 * are told apart.
 */
#include "../../common/clock.h"
#include "../../common/loop.h"
#include "../../common/util.h"
#include "../../common/whoami.h"
#include "../../engine/journal.h"
#include "../../engine/runlog.h"
#include "../../engine/share.h"
#include "tap.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define OWNER "owner-of-test"

static char tmp[] = "/tmp/opsdeck-share-XXXXXX";
static char me[256];
static struct loop *loop;

/* ---- the owner: a runlog and the ops ---- */

struct presence_rec {
    char user[64];
    bool joined;
    char reason[32];
};

struct owner {
    struct runlog *rl;
    struct share_server *s;
    int applied;
    enum share_op last_op;
    enum share_role last_role;
    char last_user[64];
    struct presence_rec pres[64];
    size_t npres;
    int changed;
    const char *source; /* the doc's source (a big runbook), or NULL */
};

static cJSON *o_doc(void *ud, enum share_role role)
{
    struct owner *o = ud;
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "path", "test.md");
    if (o->source != NULL) {
        cJSON_AddStringToObject(d, "source", o->source);
    }
    cJSON_AddStringToObject(d, "for", share_role_name(role));
    return d;
}

static bool o_history(void *ud, runlog_event_cb cb, void *cbud, char **cause)
{
    struct owner *o = ud;
    return runlog_history(o->rl, cb, cbud, cause);
}

static bool o_apply(void *ud, const struct share_peer *peer, enum share_op op, const cJSON *req,
                    char **cause)
{
    struct owner *o = ud;
    (void)req;
    (void)cause;
    o->applied++;
    o->last_op = op;
    o->last_role = peer->role;
    snprintf(o->last_user, sizeof o->last_user, "%s", peer->user);
    return true;
}

static void o_presence(void *ud, const struct share_peer *peer, bool joined, const char *reason)
{
    struct owner *o = ud;
    if (o->npres < 64) {
        struct presence_rec *p = &o->pres[o->npres++];
        snprintf(p->user, sizeof p->user, "%s", peer->user);
        p->joined = joined;
        snprintf(p->reason, sizeof p->reason, "%s", reason != NULL ? reason : "");
    }
}

static void o_changed(void *ud)
{
    ((struct owner *)ud)->changed++;
}

static const struct share_owner_ops ops = {
    .kind = "runbook",
    .doc = o_doc,
    .line = NULL,
    .history = o_history,
    .apply = o_apply,
    .presence = o_presence,
    .changed = o_changed,
};

static bool owner_start(struct owner *o, const char *id, enum runlog_mode mode,
                        const char *participants)
{
    memset(o, 0, sizeof *o);
    char *cause = NULL;
    char *runs = xasprintf("%s/runs", tmp);
    o->rl = runlog_create(runs, id, mode, &cause);
    free(runs);
    if (o->rl == NULL) {
        tap_diag("runlog_create: %s", cause);
        free(cause);
        return false;
    }
    o->s = share_server_create(loop, tmp, id, "A test run", participants, &ops, o, &cause);
    if (o->s == NULL) {
        tap_diag("share_server_create: %s", cause);
        free(cause);
        runlog_destroy(o->rl);
        return false;
    }
    runlog_subscribe(o->rl, share_server_event, o->s);
    return true;
}

static void owner_stop(struct owner *o, const char *reason)
{
    if (o->rl != NULL && o->s != NULL) {
        runlog_unsubscribe(o->rl, share_server_event, o->s);
    }
    share_server_destroy(o->s, reason);
    runlog_destroy(o->rl);
    o->s = NULL;
    o->rl = NULL;
}

static bool append(struct owner *o, const char *action, const char *step, const char *pad)
{
    cJSON *d = cJSON_CreateObject();
    if (pad != NULL) {
        cJSON_AddStringToObject(d, "pad", pad);
    }
    struct journal_event ev = {
        .actor = OWNER, .host = "bastion", .action = action, .step = step, .data = d};
    char *cause = NULL;
    bool ok = runlog_append(o->rl, &ev, &cause);
    if (!ok) {
        tap_diag("append: %s", cause);
    }
    cJSON_Delete(d);
    free(cause);
    return ok;
}

static void notice(struct owner *o, enum runlog_kind kind, const char *result)
{
    struct runlog_event ev = {.kind = kind, .result = result};
    runlog_notice(o->rl, &ev);
}

/* ---- a follower: what it heard, as a log of words ---- */

struct fol {
    struct share_client *c;
    char *log[4096];
    size_t n;
    uint64_t seqs[4096];
    size_t nseq;
    int dup_or_order; /* a journal seq not one more than the last (after the last hello) */
    cJSON *hello;     /* the last hello */
    bool closed, bye;
    char why[256];
    uint64_t reply_id;
    bool reply_ok;
    char reply_msg[256];
    char offer_from[64];
    char role[32];
};

static void fol_log(struct fol *f, char *word)
{
    if (f->n < 4096) {
        f->log[f->n++] = word;
    } else {
        free(word);
    }
}

static void f_event(void *ud, const struct runlog_event *ev)
{
    struct fol *f = ud;
    if (ev->live) {
        fol_log(f, xasprintf("live:%s:%s", ev->action, ev->result != NULL ? ev->result : ""));
        return;
    }
    if (f->nseq > 0 && ev->seq != f->seqs[f->nseq - 1] + 1) {
        f->dup_or_order++;
    }
    if (f->nseq < 4096) {
        f->seqs[f->nseq++] = ev->seq;
    }
    fol_log(f, xasprintf("ev:%llu:%s", (unsigned long long)ev->seq, ev->action));
}

static void f_message(void *ud, const char *type, const cJSON *msg)
{
    struct fol *f = ud;
    if (strcmp(type, "hello") == 0) {
        cJSON_Delete(f->hello);
        f->hello = cJSON_Duplicate(msg, true);
        f->nseq = 0; /* the history starts over */
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(msg, "role");
        fol_log(f, xasprintf("hello:%s", cJSON_IsString(r) ? r->valuestring : "?"));
        return;
    }
    if (strcmp(type, "reply") == 0) {
        f->reply_id = (uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(msg, "id"));
        f->reply_ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "ok"));
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(msg, "message");
        snprintf(f->reply_msg, sizeof f->reply_msg, "%s", cJSON_IsString(m) ? m->valuestring : "");
    } else if (strcmp(type, "offer") == 0) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(msg, "from");
        snprintf(f->offer_from, sizeof f->offer_from, "%s",
                 cJSON_IsString(m) ? m->valuestring : "");
    } else if (strcmp(type, "role") == 0) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(msg, "role");
        snprintf(f->role, sizeof f->role, "%s", cJSON_IsString(m) ? m->valuestring : "");
    }
    fol_log(f, xstrdup(type));
}

static void f_closed(void *ud, bool bye, const char *why)
{
    struct fol *f = ud;
    f->closed = true;
    f->bye = bye;
    snprintf(f->why, sizeof f->why, "%s", why != NULL ? why : "");
}

static const struct share_follow_hooks hooks = {f_event, f_message, f_closed};

static void fol_free(struct fol *f)
{
    share_client_destroy(f->c);
    for (size_t i = 0; i < f->n; i++) {
        free(f->log[i]);
    }
    cJSON_Delete(f->hello);
    memset(f, 0, sizeof *f);
}

static void fol_clear(struct fol *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->log[i]);
    }
    f->n = 0;
}

static bool fol_has(const struct fol *f, const char *word)
{
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->log[i], word) == 0) {
            return true;
        }
    }
    return false;
}

static size_t fol_count(const struct fol *f, const char *prefix)
{
    size_t k = 0;
    for (size_t i = 0; i < f->n; i++) {
        k += strncmp(f->log[i], prefix, strlen(prefix)) == 0;
    }
    return k;
}

/* The log joined by spaces (for one exact comparison); caller frees. */
static char *fol_text(const struct fol *f)
{
    struct strbuf sb = {0};
    for (size_t i = 0; i < f->n; i++) {
        strbuf_printf(&sb, "%s%s", i > 0 ? " " : "", f->log[i]);
    }
    return sb.s != NULL ? sb.s : xstrdup("");
}

static bool fol_join(struct fol *f, const char *id)
{
    memset(f, 0, sizeof *f);
    char *cause = NULL;
    f->c = share_client_connect(loop, tmp, id, &hooks, f, &cause);
    if (f->c == NULL) {
        tap_diag("connect: %s", cause);
        free(cause);
        return false;
    }
    return true;
}

/* Run the loop until word is in f's log (true) or ms pass (false). */
static bool wait_for(struct fol *f, const char *word, int ms)
{
    uint64_t end = clock_mono_ms() + (uint64_t)ms;
    while (!fol_has(f, word) && clock_mono_ms() < end) {
        loop_run_once(loop, 10);
    }
    return fol_has(f, word);
}

static void run_for(int ms)
{
    uint64_t end = clock_mono_ms() + (uint64_t)ms;
    while (clock_mono_ms() < end) {
        loop_run_once(loop, 5);
    }
}

/* Send a request and wait for its reply; false when none came. */
static bool ask(struct fol *f, enum share_op op, cJSON *args)
{
    char *cause = NULL;
    uint64_t id = share_client_request(f->c, op, args, &cause);
    if (id == 0) {
        tap_diag("request: %s", cause);
        free(cause);
        return false;
    }
    uint64_t end = clock_mono_ms() + 2000;
    while (f->reply_id != id && clock_mono_ms() < end) {
        loop_run_once(loop, 10);
    }
    return f->reply_id == id;
}

static const char *hello_str(const struct fol *f, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(f->hello, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The users the card DIR/ID.json lists, "a,b"; caller frees. */
static char *card_people(const char *id)
{
    char *path = xasprintf("%s/%s.json", tmp, id);
    size_t len = 0;
    char *text = tap_fixture(tmp, strrchr(path, '/') + 1, &len);
    free(path);
    cJSON *o = cJSON_Parse(text);
    free(text);
    struct strbuf sb = {0};
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, "people"))
    {
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(e, "user");
        strbuf_printf(&sb, "%s%s", sb.s != NULL ? "," : "",
                      cJSON_IsString(u) ? u->valuestring : "?");
    }
    cJSON_Delete(o);
    return sb.s != NULL ? sb.s : xstrdup("");
}

static bool exists(const char *dir, const char *name)
{
    char *p = xasprintf("%s/%s", dir, name);
    struct stat st;
    bool ok = lstat(p, &st) == 0;
    free(p);
    return ok;
}

/* ---- tests ---- */

static void test_follow(void)
{
    struct owner o;
    if (!tap_ok(owner_start(&o, "run-follow", RUNLOG_NEW, NULL), "the owner shares a run")) {
        return;
    }
    append(&o, "run.start", NULL, NULL);
    append(&o, "step.enter", "one", NULL);
    append(&o, "step.done", "one", NULL);

    struct fol f;
    if (!tap_ok(fol_join(&f, "run-follow"), "a follower connects")) {
        owner_stop(&o, NULL);
        return;
    }
    tap_ok(wait_for(&f, "synced", 2000), "it hears synced");
    char *text = fol_text(&f);
    tap_is_str(text, "hello:observer ev:1:run.start ev:2:step.enter ev:3:step.done synced presence",
               "hello, every journal line in order, synced, then who is there");
    free(text);
    tap_is_str(hello_str(&f, "run"), "run-follow", "hello: run");
    tap_is_str(hello_str(&f, "kind"), "runbook", "hello: kind");
    tap_is_str(hello_str(&f, "owner"), OWNER, "hello: owner (the owner's name)");
    tap_is_str(hello_str(&f, "you"), me, "hello: you (the kernel's uid, not a claim)");
    tap_is_str(hello_str(&f, "role"), "observer", "hello: role (nobody listed: observer)");
    const cJSON *doc = cJSON_GetObjectItemCaseSensitive(f.hello, "doc");
    const cJSON *dfor = cJSON_GetObjectItemCaseSensitive(doc, "for");
    tap_ok(cJSON_IsString(dfor) && strcmp(dfor->valuestring, "observer") == 0,
           "hello: the doc is the one for its role");
    tap_ok(o.npres == 1 && o.pres[0].joined && strcmp(o.pres[0].user, me) == 0,
           "presence(joined) called once, with the kernel's user");

    fol_clear(&f);
    append(&o, "step.enter", "two", NULL);
    notice(&o, RL_SECRET, "hunter2");
    notice(&o, RL_STATUS, "on step two");
    append(&o, "note", "two", NULL);
    tap_ok(wait_for(&f, "ev:5:note", 2000), "live events arrive");
    run_for(50);
    text = fol_text(&f);
    tap_is_str(text, "ev:4:step.enter live:status:on step two ev:5:note",
               "each once, in order; the notice as live; the local one never");
    free(text);
    tap_is_int(f.dup_or_order, 0, "no seq twice or out of order");

    /* a second follower joining later replays the same and then hears the same */
    struct fol g;
    fol_join(&g, "run-follow");
    tap_ok(wait_for(&g, "synced", 2000), "a second follower is synced");
    tap_is_int((long long)fol_count(&g, "ev:"), 5, "it replays all five lines");
    tap_ok(!fol_has(&g, "live:secret:hunter2") && !fol_has(&f, "live:secret:hunter2"),
           "no follower ever hears the local notice");
    append(&o, "step.done", "two", NULL);
    tap_ok(wait_for(&g, "ev:6:step.done", 2000) && wait_for(&f, "ev:6:step.done", 2000),
           "both hear the next event");
    tap_is_int((long long)fol_count(&f, "ev:6:"), 1, "the first once");
    tap_is_int((long long)fol_count(&g, "ev:6:"), 1, "the second once");
    fol_free(&f);
    fol_free(&g);

    /* a big runbook (runbooks may be 4 MiB): its hello is one long line */
    size_t big = 3 << 20;
    char *source = xcalloc(1, big + 1);
    for (size_t i = 0; i < big; i++) {
        source[i] = i % 64 == 63 ? '\n' : 'm'; /* escaped on the wire: longer still */
    }
    o.source = source;
    fol_join(&f, "run-follow");
    tap_ok(wait_for(&f, "synced", 5000), "a follower of a 3 MiB runbook is synced");
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(f.hello, "doc"), "source");
    tap_ok(cJSON_IsString(src) && strcmp(src->valuestring, source) == 0,
           "its hello carries the whole source");
    tap_ok(!f.closed, "and the connection stays up (%s)", f.why);
    fol_free(&f);
    o.source = NULL;
    free(source);
    run_for(30);
    owner_stop(&o, NULL);
}

static void test_role_for(void)
{
    struct group *gr = getgrgid(getgid());
    char *group = xasprintf("@%s", gr != NULL ? gr->gr_name : "root");
    char *named = xasprintf("bob, %s ,carol", me);
    tap_is_int(share_role_for(named, me), SHARE_PARTICIPANT, "named in a list: participant");
    tap_is_int(share_role_for("bob,carol", me), SHARE_OBSERVER, "not named: observer");
    tap_is_int(share_role_for("*", me), SHARE_PARTICIPANT, "*: everyone is a participant");
    tap_is_int(share_role_for(group, me), SHARE_PARTICIPANT, "@group: its primary group");
    tap_is_int(share_role_for("@no-such-group-xyz", me), SHARE_OBSERVER,
               "@a group that does not exist: observer");
    tap_is_int(share_role_for("*", "no-such-user-xyz"), SHARE_PARTICIPANT,
               "* even for a user unknown to the system");
    tap_is_int(share_role_for(group, "no-such-user-xyz"), SHARE_OBSERVER,
               "an unknown user is in no group: observer");
    tap_is_int(share_role_for(NULL, me), SHARE_OBSERVER, "no list: observer");
    tap_is_int(share_role_for("", me), SHARE_OBSERVER, "an empty list: observer");
    char *prefix = xasprintf("%.*s", (int)(strlen(me) > 1 ? strlen(me) - 1 : 0), me);
    tap_is_int(share_role_for(prefix, me), SHARE_OBSERVER, "a prefix of the name is not the name");
    free(prefix);
    free(group);
    free(named);
}

/* A raw socket to the owner: write lines, read what comes back. */
static int raw_connect(const char *id)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s.sock", tmp, id);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Read from fd (running the loop) until want is in what came; the text, caller frees. */
static char *raw_until(int fd, struct strbuf *sb, const char *want, int ms)
{
    uint64_t end = clock_mono_ms() + (uint64_t)ms;
    while ((sb->s == NULL || strstr(sb->s, want) == NULL) && clock_mono_ms() < end) {
        loop_run_once(loop, 10);
        char buf[8192];
        ssize_t n;
        while ((n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT)) > 0) {
            buf[n] = '\0';
            strbuf_printf(sb, "%s", buf);
        }
    }
    return sb->s != NULL ? strstr(sb->s, want) : NULL;
}

static void test_roles(void)
{
    struct owner o;
    if (!tap_ok(owner_start(&o, "run-roles", RUNLOG_NEW, "nobody-else"), "a run, nobody listed")) {
        return;
    }
    append(&o, "run.start", NULL, NULL);
    struct fol f;
    fol_join(&f, "run-roles");
    wait_for(&f, "synced", 2000);
    cJSON *args = cJSON_CreateObject();
    cJSON_AddStringToObject(args, "text", "hi");
    tap_ok(ask(&f, SOP_NOTE, args), "an observer's note gets a reply");
    tap_ok(!f.reply_ok, "refused");
    tap_ok(strstr(f.reply_msg, "you are an observer") != NULL, "with the observer's reason: %s",
           f.reply_msg);
    tap_is_int(o.applied, 0, "apply is not called");
    tap_ok(ask(&f, SOP_CONFIRM, NULL) && !f.reply_ok && strstr(f.reply_msg, "only the driver"),
           "an observer's driver op: only the driver (%s)", f.reply_msg);
    tap_is_int(o.applied, 0, "apply is still not called");

    char *cause = NULL;
    tap_ok(share_server_set_role(o.s, me, SHARE_PARTICIPANT, &cause),
           "the owner makes it a participant");
    tap_ok(wait_for(&f, "hello:participant", 2000), "it starts over as a participant");
    tap_is_str(f.role, "participant", "a role message says so");
    args = cJSON_CreateObject();
    cJSON_AddStringToObject(args, "text", "hi");
    tap_ok(ask(&f, SOP_NOTE, args) && f.reply_ok, "a participant's note is done");
    tap_ok(o.applied == 1 && o.last_op == SOP_NOTE && strcmp(o.last_user, me) == 0 &&
               o.last_role == SHARE_PARTICIPANT,
           "apply called with the op, the kernel's user and its role");
    tap_ok(ask(&f, SOP_SKIP, NULL) && !f.reply_ok, "a participant's skip is refused");
    tap_ok(strstr(f.reply_msg, "only the driver") != NULL && strstr(f.reply_msg, OWNER) != NULL,
           "only the driver (the owner) may: %s", f.reply_msg);
    tap_is_int(o.applied, 1, "apply is not called for it");
    tap_ok(!share_server_set_role(o.s, me, SHARE_DRIVER, &cause), "set_role cannot make a driver");
    free(cause);
    cause = NULL;
    tap_ok(!share_server_set_role(o.s, "nobody-joined", SHARE_PARTICIPANT, &cause) &&
               cause != NULL && strstr(cause, "has not joined") != NULL,
           "set_role of somebody not joined: refused");
    free(cause);

    /* bad lines from a raw connection */
    int fd = raw_connect("run-roles");
    struct strbuf sb = {0};
    tap_ok(fd >= 0 && raw_until(fd, &sb, "\"synced\"", 2000), "a raw connection is synced");
    const char *bad = "this is not json\n{\"t\":\"nope\"}\n[1,2]\n{\"t\":\"req\",\"id\":7,\"op\":"
                      "\"dance\"}\n";
    if (write(fd, bad, strlen(bad)) != (ssize_t)strlen(bad)) {
        tap_diag("short write");
    }
    tap_ok(raw_until(fd, &sb, "unknown request 'dance'", 2000) != NULL,
           "an unknown op gets a reply naming it");
    const char *p = strstr(sb.s, "\"id\":7");
    tap_ok(p != NULL && strstr(p, "\"ok\":false") != NULL, "with its id and ok false");
    size_t notreq = 0;
    for (const char *q = sb.s; (q = strstr(q, "not a request")) != NULL; q++) {
        notreq++;
    }
    tap_is_int((long long)notreq, 3, "not json, no req, not an object: three 'not a request'");
    tap_ok(strstr(sb.s, "\"ok\":true") == NULL, "none of them ok");
    tap_is_int(o.applied, 1, "apply never called for them");
    append(&o, "note", NULL, NULL);
    tap_ok(wait_for(&f, "ev:2:note", 2000), "the owner still serves the other follower");
    tap_ok(raw_until(fd, &sb, "\"seq\":2", 2000) != NULL, "and the raw one");
    notice(&o, RL_SECRET, "hunter2");
    notice(&o, RL_STATUS, "where we are");
    tap_ok(raw_until(fd, &sb, "where we are", 2000) != NULL &&
               strstr(sb.s, "{\"live\":true,\"action\":\"status\"") != NULL,
           "on the wire a notice is {\"live\":true,\"action\":\"status\",...}");
    tap_ok(strstr(sb.s, "hunter2") == NULL && strstr(sb.s, "secret") == NULL,
           "a local notice never crosses the socket");
    free(sb.s);
    close(fd);
    fol_free(&f);
    run_for(30);
    owner_stop(&o, NULL);
}

static void test_handover(void)
{
    struct owner o;
    if (!tap_ok(owner_start(&o, "run-hand", RUNLOG_NEW, me), "a run, this user a participant")) {
        return;
    }
    append(&o, "run.start", NULL, NULL);
    struct fol f;
    fol_join(&f, "run-hand");
    tap_ok(wait_for(&f, "hello:participant", 2000), "it joins as a participant");
    wait_for(&f, "synced", 2000);
    char *cause = NULL;
    tap_ok(ask(&f, SOP_ACCEPT, NULL) && !f.reply_ok &&
               strstr(f.reply_msg, "nobody offered you control") != NULL,
           "accept without an offer: refused (%s)", f.reply_msg);
    tap_ok(share_server_driver(o.s) == NULL, "the owner still drives");
    tap_ok(!share_server_offer(o.s, "nobody-joined", &cause) && cause != NULL &&
               strstr(cause, "has not joined") != NULL,
           "an offer to somebody not joined is refused");
    free(cause);
    cause = NULL;
    tap_ok(share_server_offer(o.s, me, &cause), "the owner offers control");
    tap_ok(wait_for(&f, "offer", 2000), "the follower gets the offer");
    tap_is_str(f.offer_from, OWNER, "from the owner");
    tap_is_str(share_server_offered(o.s), me, "share_server_offered names it");
    int before = o.applied;
    fol_clear(&f);
    tap_ok(ask(&f, SOP_ACCEPT, NULL) && f.reply_ok, "accept: done");
    tap_is_int(o.applied, before + 1, "accept reaches apply (journaled)");
    tap_ok(wait_for(&f, "hello:driver", 2000), "a new hello with role driver");
    tap_is_str(f.role, "driver", "a role message: driver");
    tap_is_str(share_server_driver(o.s), me, "share_server_driver returns it");
    tap_ok(share_server_offered(o.s) == NULL, "the offer is used up");
    size_t n = 0;
    const struct share_peer *people = share_server_people(o.s, &n);
    tap_ok(n == 1 && people[0].role == SHARE_DRIVER, "people: it drives");
    tap_ok(ask(&f, SOP_CONFIRM, NULL) && f.reply_ok, "a driver op from it is done");
    tap_ok(o.last_op == SOP_CONFIRM && o.last_role == SHARE_DRIVER, "and reaches apply as driver");
    tap_ok(ask(&f, SOP_ACCEPT, NULL) && !f.reply_ok, "accept again, with no offer: refused");
    tap_ok(!share_server_offer(o.s, me, &cause), "the owner cannot offer what it does not hold");
    free(cause);
    cause = NULL;
    tap_ok(!share_server_take_back(o.s, &cause) && cause != NULL,
           "take back before it is handed back: refused");
    free(cause);
    cause = NULL;

    cJSON *args = cJSON_CreateObject();
    cJSON_AddStringToObject(args, "to", "nobody-joined");
    tap_ok(ask(&f, SOP_HANDOVER, args) && !f.reply_ok, "hand over to somebody not joined: refused");
    args = cJSON_CreateObject();
    cJSON_AddStringToObject(args, "to", OWNER);
    tap_ok(ask(&f, SOP_HANDOVER, args) && f.reply_ok, "the driver hands back to the owner");
    tap_is_str(share_server_offered(o.s), OWNER, "offered to the owner");
    fol_clear(&f);
    tap_ok(share_server_take_back(o.s, &cause), "the owner takes back");
    tap_ok(share_server_driver(o.s) == NULL, "the owner drives again");
    tap_ok(wait_for(&f, "hello:participant", 2000), "the follower starts over as a participant");
    tap_is_str(f.role, "participant", "its role message says participant");
    before = o.applied;
    tap_ok(ask(&f, SOP_CONFIRM, NULL) && !f.reply_ok, "its driver op is refused now");
    tap_is_int(o.applied, before, "and does not reach apply");
    free(cause);
    cause = NULL;

    /* the driver's connection drops: control comes back to the owner's console */
    tap_ok(share_server_offer(o.s, me, &cause), "the owner offers again");
    wait_for(&f, "offer", 2000);
    tap_ok(ask(&f, SOP_ACCEPT, NULL) && f.reply_ok, "and it accepts again");
    tap_is_str(share_server_driver(o.s), me, "it drives");
    size_t npres = o.npres;
    fol_free(&f);
    uint64_t end = clock_mono_ms() + 2000;
    while (o.npres == npres && clock_mono_ms() < end) {
        loop_run_once(loop, 10);
    }
    tap_ok(o.npres == npres + 1 && strcmp(o.pres[npres].reason, "left") == 0,
           "the driver left: presence(left)");
    tap_ok(share_server_driver(o.s) == NULL, "the owner's console drives again");
    struct fol g;
    fol_join(&g, "run-hand");
    wait_for(&g, "synced", 2000);
    tap_ok(wait_for(&g, "hello:participant", 10),
           "who joins again is a participant, not the driver");
    tap_ok(share_server_offer(o.s, me, &cause), "and the owner can offer control again");
    free(cause);
    fol_free(&g);
    run_for(30);
    owner_stop(&o, NULL);
}

static void test_slow(void)
{
    struct owner o;
    if (!tap_ok(owner_start(&o, "run-slow", RUNLOG_MEMORY, NULL), "a run in memory")) {
        return;
    }
    struct fol f;
    fol_join(&f, "run-slow");
    wait_for(&f, "synced", 2000);
    int fd = raw_connect("run-slow"); /* never reads */
    uint64_t end = clock_mono_ms() + 2000;
    while (o.npres < 2 && clock_mono_ms() < end) {
        loop_run_once(loop, 10);
    }
    tap_ok(fd >= 0 && o.npres == 2, "a reader and a sleeper joined");
    size_t big = 256 * 1024;
    char *pad = xcalloc(1, big + 1);
    memset(pad, 'p', big);
    int count = 360; /* 90 MiB: past the 64 MiB a follower may lag */
    bool dropped = false;
    for (int i = 0; i < count; i++) {
        append(&o, "note", NULL, pad);
        /* let the loop turn until the reader has it (it reads; the sleeper does not) */
        uint64_t until = clock_mono_ms() + 3000;
        while (f.nseq < (size_t)(i + 1) && clock_mono_ms() < until) {
            loop_run_once(loop, 5);
        }
        for (size_t k = 0; k < o.npres; k++) {
            dropped = dropped || (!o.pres[k].joined && strcmp(o.pres[k].reason, "dropped") == 0);
        }
    }
    run_for(50);
    for (size_t k = 0; k < o.npres; k++) {
        dropped = dropped || (!o.pres[k].joined && strcmp(o.pres[k].reason, "dropped") == 0);
    }
    tap_ok(dropped, "the sleeper is dropped: presence(left, \"dropped\")");
    size_t leaves = 0;
    for (size_t k = 0; k < o.npres; k++) {
        leaves += !o.pres[k].joined;
    }
    tap_is_int((long long)leaves, 1, "only the sleeper left");
    tap_is_int((long long)f.nseq, count, "the reader got every event");
    tap_is_int(f.dup_or_order, 0, "each once, in order");
    tap_ok(!f.closed, "the reader is still connected");
    size_t n = 0;
    share_server_people(o.s, &n);
    tap_is_int((long long)n, 1, "people: the reader alone");
    /* the sleeper's socket is closed by the owner: it reads EOF after the buffer */
    char buf[65536];
    ssize_t r;
    size_t total = 0;
    end = clock_mono_ms() + 3000;
    while ((r = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) != 0 && clock_mono_ms() < end) {
        if (r > 0) {
            total += (size_t)r;
        } else {
            loop_run_once(loop, 5);
        }
    }
    tap_ok(r == 0, "the sleeper's connection was closed by the owner (after %zu bytes)", total);
    free(pad);
    close(fd);
    fol_free(&f);
    run_for(30);
    owner_stop(&o, NULL);
}

static void test_leave_and_bye(void)
{
    struct owner o;
    if (!tap_ok(owner_start(&o, "run-bye", RUNLOG_NEW, me), "a run")) {
        return;
    }
    append(&o, "run.start", NULL, NULL);
    struct fol f, g;
    fol_join(&f, "run-bye");
    fol_join(&g, "run-bye");
    wait_for(&f, "synced", 2000);
    wait_for(&g, "synced", 2000);
    run_for(30);
    char *people = card_people("run-bye");
    char *two = xasprintf("%s,%s", me, me);
    tap_is_str(people, two, "the card lists both followers");
    free(people);
    free(two);
    tap_ok(exists(tmp, "run-bye.sock"), "the socket is there");
    share_client_destroy(g.c);
    g.c = NULL;
    uint64_t end = clock_mono_ms() + 2000;
    while (o.npres < 3 && clock_mono_ms() < end) {
        loop_run_once(loop, 10);
    }
    tap_ok(o.npres == 3 && !o.pres[2].joined && strcmp(o.pres[2].reason, "left") == 0,
           "a follower that disconnects: presence(left, \"left\")");
    people = card_people("run-bye");
    tap_is_str(people, me, "the card lists one follower now");
    free(people);
    tap_ok(wait_for(&f, "presence", 1000), "the other hears the presence");

    owner_stop(&o, "the incident is over");
    end = clock_mono_ms() + 2000;
    while (!f.closed && clock_mono_ms() < end) {
        loop_run_once(loop, 10);
    }
    tap_ok(f.closed && f.bye, "destroy: the follower's closed hook sees bye");
    tap_is_str(f.why, "the incident is over", "with the owner's reason");
    tap_ok(!exists(tmp, "run-bye.sock"), "the socket is removed");
    tap_ok(!exists(tmp, "run-bye.json"), "the card is removed");
    fol_free(&f);
    fol_free(&g);
}

static void test_owner_killed(void)
{
    int ready[2];
    if (pipe(ready) != 0) {
        tap_ok(false, "pipe");
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(ready[0]);
        loop_destroy(loop);
        loop = loop_create();
        struct owner o;
        if (!owner_start(&o, "run-kill", RUNLOG_MEMORY, NULL)) {
            _exit(1);
        }
        append(&o, "run.start", NULL, NULL);
        if (write(ready[1], "x", 1) != 1) {
            _exit(1);
        }
        for (;;) {
            loop_run_once(loop, 100);
        }
    }
    close(ready[1]);
    char c;
    bool up = read(ready[0], &c, 1) == 1;
    close(ready[0]);
    tap_ok(up, "a child owns a run");
    char *cause = NULL;
    struct owner o2;
    memset(&o2, 0, sizeof o2);
    o2.s = share_server_create(loop, tmp, "run-kill", NULL, NULL, &ops, &o2, &cause);
    tap_ok(o2.s == NULL && cause != NULL && strstr(cause, "shared by another console") != NULL,
           "a live owner's socket: refused (%s)", cause != NULL ? cause : "");
    free(cause);
    cause = NULL;
    share_server_destroy(o2.s, NULL);

    struct fol f;
    fol_join(&f, "run-kill");
    tap_ok(wait_for(&f, "synced", 2000) && fol_has(&f, "ev:1:run.start"), "a follower follows it");
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    uint64_t end = clock_mono_ms() + 2000;
    while (!f.closed && clock_mono_ms() < end) {
        loop_run_once(loop, 10);
    }
    tap_ok(f.closed && !f.bye, "the owner killed: closed without bye (%s)", f.why);
    fol_free(&f);

    struct fol g;
    memset(&g, 0, sizeof g);
    g.c = share_client_connect(loop, tmp, "run-kill", &hooks, &g, &cause);
    tap_ok(g.c == NULL && cause != NULL && strstr(cause, "is gone") != NULL,
           "connect to a dead owner's socket: the owner is gone (%s)", cause != NULL ? cause : "");
    free(cause);
    cause = NULL;
    fol_free(&g);

    struct owner o;
    tap_ok(owner_start(&o, "run-kill", RUNLOG_MEMORY, NULL),
           "a new owner replaces the dead one's stale socket");
    append(&o, "run.start", NULL, NULL);
    fol_join(&g, "run-kill");
    tap_ok(wait_for(&g, "synced", 2000), "and followers join it");
    fol_free(&g);
    run_for(30);
    owner_stop(&o, NULL);
}

static void test_errors(void)
{
    char *cause = NULL;
    char *longdir = xasprintf("%s/%0120d", tmp, 0);
    mkdir(longdir, 0700);
    struct owner o;
    memset(&o, 0, sizeof o);
    struct share_server *s =
        share_server_create(loop, longdir, "run-x", NULL, NULL, &ops, &o, &cause);
    tap_ok(s == NULL && cause != NULL && strstr(cause, "too long") != NULL &&
               strstr(cause, "[share] dir") != NULL,
           "a socket path too long: a clear cause (%s)", cause != NULL ? cause : "");
    free(cause);
    cause = NULL;
    share_server_destroy(s, NULL);
    rmdir(longdir);
    free(longdir);

    s = share_server_create(loop, tmp, "../x", NULL, NULL, &ops, &o, &cause);
    tap_ok(s == NULL && cause != NULL && strstr(cause, "bad run id") != NULL, "a bad run id");
    free(cause);
    cause = NULL;

    struct fol f;
    memset(&f, 0, sizeof f);
    f.c = share_client_connect(loop, tmp, "no-such-run", &hooks, &f, &cause);
    tap_ok(f.c == NULL && cause != NULL && strstr(cause, "no shared run") != NULL,
           "connect to a missing run: no shared run (%s)", cause != NULL ? cause : "");
    free(cause);
    cause = NULL;

    /* a stale socket file left by nobody (not even bound) */
    char *stale = xasprintf("%s/run-stale.sock", tmp);
    FILE *fp = fopen(stale, "w");
    if (fp != NULL) {
        fclose(fp);
    }
    free(stale);
    tap_ok(owner_start(&o, "run-stale", RUNLOG_MEMORY, NULL),
           "a stale file in the way is replaced");
    owner_stop(&o, NULL);
}

/* A live owner that does not accept (stopped): its backlog full, it is neither replaced nor
 * waited for. */
static void test_owner_stuck(void)
{
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/run-stuck.sock", tmp);
    if (!tap_ok(bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(lfd, 0) == 0,
                "an owner that listens and never accepts")) {
        close(lfd);
        return;
    }
    int pending[64];
    size_t np = 0;
    bool full = false;
    while (np < 64 && !full) {
        int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (connect(c, (struct sockaddr *)&sa, sizeof sa) == 0) {
            pending[np++] = c;
        } else {
            full = errno == EAGAIN;
            close(c);
        }
    }
    tap_ok(full, "its backlog is full after %zu connections", np);
    struct owner o;
    memset(&o, 0, sizeof o);
    char *cause = NULL;
    struct share_server *s =
        share_server_create(loop, tmp, "run-stuck", NULL, NULL, &ops, &o, &cause);
    tap_ok(s == NULL && cause != NULL && strstr(cause, "shared by another console") != NULL,
           "a second owner does not take a stuck live owner's socket (%s)",
           cause != NULL ? cause : "");
    free(cause);
    cause = NULL;
    share_server_destroy(s, NULL);
    tap_ok(exists(tmp, "run-stuck.sock"), "the socket is still there");
    struct fol f;
    memset(&f, 0, sizeof f);
    f.c = share_client_connect(loop, tmp, "run-stuck", &hooks, &f, &cause);
    tap_ok(f.c == NULL && cause != NULL && strstr(cause, "does not answer") != NULL,
           "a follower is told the owner does not answer (%s)", cause != NULL ? cause : "");
    free(cause);
    fol_free(&f);
    for (size_t i = 0; i < np; i++) {
        close(pending[i]);
    }
    close(lfd);
    unlink(sa.sun_path);
}

static void write_file(const char *name, const char *text)
{
    char *p = xasprintf("%s/cards/%s", tmp, name);
    FILE *f = fopen(p, "w");
    if (f != NULL) {
        fputs(text, f);
        fclose(f);
    }
    free(p);
}

static void test_cards(void)
{
    char *dir = xasprintf("%s/cards", tmp);
    mkdir(dir, 0700);
    pid_t dead = fork();
    if (dead == 0) {
        _exit(0);
    }
    waitpid(dead, NULL, 0);
    char *a =
        xasprintf("{\"run\":\"old\",\"kind\":\"runbook\",\"title\":\"Old\",\"owner\":\"ann\","
                  "\"host\":\"%s\",\"pid\":%ld,\"started\":1000,\"people\":[{\"user\":\"bob\","
                  "\"role\":\"participant\"}]}",
                  whoami_host(), (long)getpid());
    char *b = xasprintf("{\"run\":\"new\",\"kind\":\"drill\",\"owner\":\"cy\",\"host\":\"%s\","
                        "\"pid\":%ld,\"started\":3000,\"people\":[]}",
                        whoami_host(), (long)dead);
    char *c = xasprintf("{\"run\":\"mid\",\"kind\":\"runbook\",\"owner\":\"di\",\"host\":\"%s\","
                        "\"pid\":%ld,\"started\":2000}",
                        whoami_host(), (long)getpid());
    write_file("old.json", a);
    write_file("new.json", b);
    write_file("mid.json", c);
    write_file("junk.json", "this is { not json");
    write_file("norun.json", "{\"kind\":\"runbook\"}");
    write_file("array.json", "[1,2,3]");
    write_file("notes.txt", a);
    write_file(".hidden.json", b);
    free(a);
    free(b);
    free(c);
    size_t n = 0;
    struct share_card *cards = share_cards(dir, &n);
    tap_is_int((long long)n, 3, "three cards; garbage, no run, other files and dot files skipped");
    if (n == 3) {
        tap_ok(strcmp(cards[0].run, "new") == 0 && strcmp(cards[1].run, "mid") == 0 &&
                   strcmp(cards[2].run, "old") == 0,
               "newest first");
        tap_ok(!cards[0].live, "a card whose pid is dead is not live");
        tap_ok(cards[1].live && cards[2].live, "a card whose pid lives is live");
        tap_is_str(cards[2].people, "bob (participant)", "people: name (role)");
        tap_is_str(cards[2].owner, "ann", "owner");
        tap_is_str(cards[0].kind, "drill", "kind");
    }
    share_cards_free(cards, n);
    n = 99;
    cards = share_cards("/nonexistent-opsdeck-dir", &n);
    tap_ok(cards == NULL && n == 0, "a missing dir: no cards");
    free(dir);
}

int main(void)
{
    setenv("USER", OWNER, 1); /* the owner's name: not the Unix user */
    struct passwd *pw = getpwuid(geteuid());
    snprintf(me, sizeof me, "%s", pw != NULL ? pw->pw_name : "?");
    if (mkdtemp(tmp) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    loop = loop_create();
    test_follow();
    test_role_for();
    test_roles();
    test_handover();
    test_leave_and_bye();
    test_slow();
    test_owner_killed();
    test_errors();
    test_owner_stuck();
    test_cards();
    loop_destroy(loop);
    char *cmd = xasprintf("rm -rf '%s'", tmp);
    if (system(cmd) != 0) {
        tap_diag("cannot remove %s", tmp);
    }
    free(cmd);
    return tap_done();
}
