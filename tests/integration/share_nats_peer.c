/*
 * One "host" of the war room over NATS (engine/share_nats.h), driven by
 * tests/integration/share-nats.sh and tests/bench/share-nats.sh:
 *
 *   owner URL RUN DIR COUNT INTERVAL_MS [QUEUE_MAX]
 *       append COUNT events to DIR/RUN.jsonl (journal.c: written and fsync'd
 *       first), publish each, publish a document; answer every request with
 *       {"t":"reply","id":N,"ok":true,"message":"from USER"} and print
 *       "request USER LINE"; print the status line when it changes; after the
 *       last event, print "acked N" once the stream holds all N lines of the
 *       journal (COUNT 0: a new owner of an existing journal), and run
 *       until DIR/stop exists.
 *   follow URL RUN OUT EXPECT
 *       write every line delivered to OUT; print "link down"/"link up"; exit 0
 *       one second after the line with seq EXPECT (late duplicates would show).
 *   request URL RUN LINE
 *       send LINE, print the reply line, exit 0 (1 without one in 15 s).
 *   raw URL SUBJECT MSG-ID LINE
 *       publish LINE to JetStream as it is, with that Nats-Msg-Id (libnats
 *       directly: a stream with duplicates and gaps that no owner would make).
 *   bench URL RUN N
 *       owner and follower on one loop: N events 20 ms apart, publish call to
 *       follower's line callback; prints p50/p95/max in ms.
 * Credentials: OPSDECK_NATS_USER / OPSDECK_NATS_PASSWORD, or the file
 * $PEER_CREDS; $PEER_AS: the user name requests claim. Exit 2 with the
 * cause when create or follow fails.
 */
#include "../../common/clock.h"
#include "../../common/loop.h"
#include "../../common/util.h"
#include "../../engine/journal.h"
#include "../../engine/share_nats.h"

#include <cjson/cJSON.h>
#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct loop *loop;
static struct share_nats_owner *owner;
static struct share_nats_follower *follower;

/* ---- owner ---- */

struct owner_state {
    struct journal *j;
    const char *dir, *run;
    long count, appended;
    char *last_status;
    bool acked_said;
};

static void on_request(void *ud, const char *user, const char *line, size_t len,
                       struct share_nats_reply *reply)
{
    printf("request %s %.*s\n", user, (int)len, line);
    fflush(stdout);
    cJSON *req = cJSON_ParseWithLength(line, len);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
    char *msg = xasprintf("from %s", user);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "t", "reply");
    cJSON_AddNumberToObject(out, "id", cJSON_IsNumber(id) ? id->valuedouble : 0);
    cJSON_AddBoolToObject(out, "ok", true);
    cJSON_AddStringToObject(out, "message", msg);
    char *s = cJSON_PrintUnformatted(out);
    share_nats_reply(owner, reply, s, strlen(s));
    free(s);
    free(msg);
    cJSON_Delete(out);
    cJSON_Delete(req);
}

static void owner_tick(void *ud)
{
    struct owner_state *st = ud;
    if (st->appended < st->count) {
        st->appended++;
        cJSON *data = cJSON_CreateObject();
        cJSON_AddNumberToObject(data, "n", (double)st->appended);
        struct journal_event ev = {
            .actor = "alice", .host = "host-a", .run = st->run, .action = "note", .data = data};
        char *line = NULL, *cause = NULL;
        if (!journal_append_line(st->j, &ev, &line, &cause)) {
            fprintf(stderr, "append: %s\n", cause);
            exit(1);
        }
        share_nats_publish(owner, journal_last_seq(st->j), line, strlen(line));
        free(line);
        cJSON_Delete(data);
    }
    char *status = share_nats_owner_status(owner);
    if (st->last_status == NULL || strcmp(status, st->last_status) != 0) {
        printf("status %s\n", status);
        fflush(stdout);
        free(st->last_status);
        st->last_status = status;
    } else {
        free(status);
    }
    if (st->appended == st->count && !st->acked_said &&
        share_nats_owner_acked(owner) >= journal_last_seq(st->j)) {
        printf("acked %llu\n", (unsigned long long)journal_last_seq(st->j));
        fflush(stdout);
        st->acked_said = true;
    }
    char *stop = xasprintf("%s/stop", st->dir);
    if (access(stop, F_OK) == 0) {
        loop_quit(loop);
    }
    free(stop);
}

static int run_owner(struct share_nats_opts *o, char **argv, int argc)
{
    struct owner_state st = {.dir = argv[4], .run = argv[3]};
    st.count = atol(argv[5]);
    long interval = atol(argv[6]);
    if (argc > 7) {
        o->queue_max = (size_t)atol(argv[7]);
    }
    char *path = xasprintf("%s/%s.jsonl", st.dir, st.run), *cause = NULL;
    st.j = journal_open(path, &cause);
    if (st.j == NULL) {
        fprintf(stderr, "journal: %s\n", cause);
        free(cause);
        return 1;
    }
    owner = share_nats_owner_create(loop, o, st.run, path, on_request, &st, &cause);
    if (owner == NULL) {
        printf("error %s\n", cause);
        free(cause);
        journal_close(st.j);
        free(path);
        return 2;
    }
    const char doc[] = "{\"t\":\"doc\",\"doc\":{\"path\":\"drill.md\"}}";
    share_nats_publish_doc(owner, doc, strlen(doc));
    loop_timer_add(loop, (uint64_t)interval, (uint64_t)interval, owner_tick, &st);
    loop_run(loop);
    share_nats_owner_destroy(owner);
    journal_close(st.j);
    free(st.last_status);
    free(path);
    return 0;
}

/* ---- follower ---- */

struct follow_state {
    FILE *out;
    uint64_t expect;
    bool reached;
    bool reply_only;
};

static void follow_done(void *ud)
{
    loop_quit(loop);
}

static void on_line(void *ud, const char *line, size_t len)
{
    struct follow_state *st = ud;
    if (st->reply_only) {
        if (strstr(line, "\"t\":\"reply\"") != NULL) {
            printf("%.*s\n", (int)len, line);
            loop_quit(loop);
        }
        return;
    }
    fprintf(st->out, "%.*s\n", (int)len, line);
    fflush(st->out);
    if (!st->reached && share_nats_follower_seq(follower) >= st->expect) {
        st->reached = true;
        loop_timer_add(loop, 1000, 0, follow_done, NULL);
    }
}

static void on_link(void *ud, bool up, int64_t since_ms)
{
    printf("link %s since %lld\n", up ? "up" : "down", (long long)since_ms);
    fflush(stdout);
}

static int run_follow(struct share_nats_opts *o, char **argv, bool request)
{
    struct follow_state st = {.reply_only = request};
    char *cause = NULL;
    if (!request) {
        st.out = fopen(argv[4], "w");
        st.expect = strtoull(argv[5], NULL, 10);
    }
    follower = share_nats_follow(loop, o, argv[3], on_line, on_link, &st, &cause);
    if (follower == NULL) {
        printf("error %s\n", cause);
        free(cause);
        return 2;
    }
    if (request) {
        if (!share_nats_request(follower, argv[4], strlen(argv[4]), &cause)) {
            printf("error %s\n", cause);
            return 2;
        }
        loop_timer_add(loop, 15000, 0, follow_done, NULL);
    }
    loop_run(loop);
    share_nats_unfollow(follower);
    if (st.out != NULL) {
        fclose(st.out);
    }
    return request || st.reached ? 0 : 1;
}

/* ---- raw ---- */

static int run_raw(char **argv)
{
    natsConnection *nc = NULL;
    natsOptions *opts = NULL;
    jsCtx *js = NULL;
    jsPubAck *ack = NULL;
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = argv[4];
    natsStatus s = natsOptions_Create(&opts);
    if (s == NATS_OK) {
        natsOptions_SetURL(opts, argv[2]);
        natsOptions_SetUserInfo(opts, getenv("OPSDECK_NATS_USER"), getenv("OPSDECK_NATS_PASSWORD"));
        s = natsConnection_Connect(&nc, opts);
    }
    if (s == NATS_OK) {
        s = natsConnection_JetStream(&js, nc, NULL);
    }
    if (s == NATS_OK) {
        s = js_Publish(&ack, js, argv[3], argv[5], (int)strlen(argv[5]), &po, NULL);
    }
    printf("%s\n", natsStatus_GetText(s));
    jsPubAck_Destroy(ack);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(opts);
    return s == NATS_OK ? 0 : 1;
}

/* ---- bench ---- */

struct bench_state {
    long n, sent, got;
    uint64_t seq;
    uint64_t *t_pub;
    double *lat;
};

static void bench_line(void *ud, const char *line, size_t len)
{
    struct bench_state *b = ud;
    uint64_t seq = 0;
    if (journal_line_seq(line, len, &seq) && seq >= 1 && seq <= (uint64_t)b->n) {
        b->lat[b->got++] = (double)(clock_mono_ms() - b->t_pub[seq - 1]);
        if (b->got == b->n) {
            loop_quit(loop);
        }
    }
}

static void bench_tick(void *ud)
{
    struct bench_state *b = ud;
    if (b->sent < b->n) {
        b->sent++;
        char *line = xasprintf("{\"seq\":%ld,\"action\":\"note\",\"n\":%ld}", b->sent, b->sent);
        b->t_pub[b->sent - 1] = clock_mono_ms();
        share_nats_publish(owner, (uint64_t)b->sent, line, strlen(line));
        free(line);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int run_bench(struct share_nats_opts *o, char **argv)
{
    struct bench_state b = {.n = atol(argv[4])};
    if (b.n <= 0) {
        fprintf(stderr, "share_nats_peer bench: N must be a positive count\n");
        return 64;
    }
    b.t_pub = xcalloc((size_t)b.n, sizeof *b.t_pub);
    b.lat = xcalloc((size_t)b.n, sizeof *b.lat);
    char *cause = NULL;
    owner = share_nats_owner_create(loop, o, argv[3], NULL, NULL, NULL, &cause);
    follower =
        owner != NULL ? share_nats_follow(loop, o, argv[3], bench_line, NULL, &b, &cause) : NULL;
    if (follower == NULL) {
        printf("error %s\n", cause);
        free(cause);
        return 2;
    }
    loop_timer_add(loop, 20, 20, bench_tick, &b);
    loop_run(loop);
    qsort(b.lat, (size_t)b.got, sizeof *b.lat, cmp_double);
    printf("publish to follower over loopback NATS, %ld events: p50 %.0f ms, p95 %.0f ms, max "
           "%.0f ms\n",
           b.got, b.lat[b.got / 2], b.lat[b.got * 95 / 100], b.lat[b.got - 1]);
    share_nats_unfollow(follower);
    share_nats_owner_destroy(owner);
    free(b.t_pub);
    free(b.lat);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: see the comment on top of share_nats_peer.c\n");
        return 64;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    loop = loop_create();
    struct share_nats_opts o = {.url = argv[2], .timeout_ms = 2000};
    o.user = getenv("PEER_AS");          /* request as somebody else (refused) */
    o.creds_file = getenv("PEER_CREDS"); /* else OPSDECK_NATS_USER/_PASSWORD */
    int rc;
    if (strcmp(argv[1], "owner") == 0 && argc >= 7) {
        rc = run_owner(&o, argv, argc);
    } else if (strcmp(argv[1], "follow") == 0 && argc >= 6) {
        rc = run_follow(&o, argv, false);
    } else if (strcmp(argv[1], "request") == 0) {
        rc = run_follow(&o, argv, true);
    } else if (strcmp(argv[1], "raw") == 0 && argc >= 6) {
        rc = run_raw(argv);
    } else if (strcmp(argv[1], "bench") == 0) {
        rc = run_bench(&o, argv);
    } else {
        fprintf(stderr, "share_nats_peer: unknown mode %s\n", argv[1]);
        rc = 64;
    }
    loop_destroy(loop);
    return rc;
}
