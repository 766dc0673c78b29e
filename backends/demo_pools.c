/*
 * The demo's HAProxy-like pools (demo_shop.h): twelve servers in three pools
 * whose sessions follow a slow load wave; be_web/web3 flaps, and a pool short
 * of a server queues and errors a little on the others. Drain lets sessions
 * finish over about three ticks; maint stops them at once.
 */
#include "demo_shop.h"

#include "../common/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The server that flaps: be_web/web3. */
static const char FLAP_POOL[] = "be_web";

static const int FLAP_NUM = 3;

static const char *const admin_names[] = {"ready", "drain", "maint"};

static const struct {
    const char *code;
    const char *desc;
} checks[] = {
    [CHECK_OK] = {"L7OK", "Layer7 check passed (200)"},
    [CHECK_CONN] = {"L4CON", "Layer4 connection problem: Connection refused"},
    [CHECK_TIMEOUT] = {"L4TOUT", "Layer4 timeout"},
};

/* ---- the simulation ---- */

/* A slow load curve shared by every pool, so traffic visibly rises and falls. */
static double load_wave(const struct demo *d)
{
    int t = (int)(d->ticks % 40);
    return 0.8 + 0.4 * (t < 20 ? t : 40 - t) / 20.0;
}

static const char *server_status(const struct server *s)
{
    if (s->admin == ADMIN_MAINT) {
        return "MAINT";
    }
    if (!s->up) {
        return "DOWN";
    }
    return s->admin == ADMIN_DRAIN ? "DRAIN" : "UP";
}

static enum tone server_tone(const struct server *s)
{
    if (s->admin == ADMIN_MAINT) {
        return TONE_WARN;
    }
    if (!s->up) {
        return TONE_CRIT;
    }
    return s->admin == ADMIN_DRAIN ? TONE_WARN : TONE_OK;
}

/* Serving traffic: neither down nor in maintenance. */
static bool server_serving(const struct server *s)
{
    return s->up && s->admin != ADMIN_MAINT;
}

void demo_pools_init(struct demo *d)
{
    size_t n = 0;
    for (size_t p = 0; p < DEMO_POOLS; p++) {
        n += (size_t)demo_pool_defs[p].servers;
    }
    d->servers = xcalloc(n, sizeof *d->servers);
    d->nservers = n;
    struct server *s = d->servers;
    for (size_t p = 0; p < DEMO_POOLS; p++) {
        for (int i = 1; i <= demo_pool_defs[p].servers; i++, s++) {
            s->pool = &demo_pool_defs[p];
            s->num = i;
            snprintf(s->name, sizeof s->name, "%s%d", s->pool->prefix, i);
            s->up = true;
            s->flaps = strcmp(s->pool->name, FLAP_POOL) == 0 && i == FLAP_NUM;
            s->flap_in = 5 + (int)demo_rng_below(d, 3);
            s->sess = demo_round0(s->pool->sess * (0.8 + 0.4 * demo_rng_unit(d)));
            s->total = 100000 + demo_rng_below(d, 900000);
            s->errors = demo_rng_below(d, 50);
            s->rt = demo_round0(s->pool->rt * (0.8 + 0.4 * demo_rng_unit(d)));
            s->changed = d->t0 - 86400 - (int64_t)demo_rng_below(d, 30 * 86400);
        }
    }
}

static void server_flap(struct demo *d, struct server *s)
{
    s->up = !s->up;
    s->changed = d->now;
    if (s->up) {
        s->check = CHECK_OK;
        s->flap_in = 7 + (int)demo_rng_below(d, 4);
    } else {
        /* requests in flight when it died were answered with 5xx */
        s->check = demo_rng_below(d, 2) == 0 ? CHECK_CONN : CHECK_TIMEOUT;
        s->errors += 20 + demo_rng_below(d, 40);
        s->flap_in = 3 + (int)demo_rng_below(d, 2);
    }
}

static void server_step(struct demo *d, struct server *s, double dt, bool degraded)
{
    if (!server_serving(s)) {
        s->sess = 0;
        s->qcur = 0;
        return;
    }
    if (s->admin == ADMIN_DRAIN) {
        s->sess = demo_max0(s->sess - s->drain_step);
    } else {
        double target = s->pool->sess * (0.7 + 0.6 * demo_rng_unit(d)) * load_wave(d);
        s->sess = demo_round0(s->sess + (target - s->sess) / 2);
    }
    s->total += demo_round0(s->sess * dt * (2 + demo_rng_unit(d)));
    /* a pool short of a server queues and errors a little on the others */
    s->errors += (demo_rng_below(d, 4) == 0 ? 1 : 0) + (degraded ? demo_rng_below(d, 4) : 0);
    s->rt = demo_round0(s->pool->rt * (0.8 + 0.5 * demo_rng_unit(d)) * (degraded ? 1.6 : 1.0));
    s->qcur = degraded ? demo_rng_below(d, 4) : 0;
}

void demo_pools_step(struct demo *d, double dt)
{
    for (size_t i = 0; i < d->nservers; i++) {
        struct server *s = &d->servers[i];
        if (s->flaps && --s->flap_in <= 0) {
            server_flap(d, s);
        }
    }
    for (size_t i = 0; i < d->nservers; i++) {
        bool degraded = false;
        for (size_t j = 0; j < d->nservers; j++) {
            if (d->servers[j].pool == d->servers[i].pool && !d->servers[j].up) {
                degraded = true;
            }
        }
        server_step(d, &d->servers[i], dt, degraded);
    }
}

static struct server *server_find(struct demo *d, const char *key)
{
    for (size_t i = 0; i < d->nservers; i++) {
        struct server *s = &d->servers[i];
        size_t pl = strlen(s->pool->name);
        if (strncmp(key, s->pool->name, pl) == 0 && key[pl] == '/' &&
            strcmp(key + pl + 1, s->name) == 0) {
            return s;
        }
    }
    return NULL;
}

const struct server *demo_server_flapper(const struct demo *d)
{
    for (size_t i = 0; i < d->nservers; i++) {
        if (d->servers[i].flaps) {
            return &d->servers[i];
        }
    }
    return NULL;
}

/* ---- rows ---- */

static void publish_server(struct rowset *rs, const struct server *s, const char *source)
{
    char key[64];
    snprintf(key, sizeof key, "%s/%s", s->pool->name, s->name);
    rowset_begin(rs, key);
    rowset_text(rs, POOL_NAME, s->pool->name);
    rowset_text(rs, POOL_SERVER, s->name);
    rowset_text(rs, POOL_STATUS, server_status(s));
    rowset_cell_tone(rs, POOL_STATUS, server_tone(s));
    if (server_tone(s) == TONE_CRIT) {
        rowset_row_tone(rs, TONE_CRIT);
    }
    rowset_num(rs, POOL_WEIGHT, 100);
    rowset_num(rs, POOL_SESS, s->sess);
    rowset_num(rs, POOL_TOTAL, s->total);
    rowset_num(rs, POOL_QUEUE, s->qcur);
    /* HAProxy reports no check status for a server in maintenance */
    rowset_text(rs, POOL_CHECK, s->admin == ADMIN_MAINT ? "" : checks[s->check].code);
    if (s->admin != ADMIN_MAINT && s->check != CHECK_OK) {
        rowset_cell_tone(rs, POOL_CHECK, TONE_CRIT);
    }
    rowset_num(rs, POOL_5XX, s->errors);
    rowset_num(rs, POOL_RT, s->rt);
    rowset_text(rs, POOL_SOURCE, source);

    rowset_detailf(rs, "address", "10.0.%d.%d:8080", s->pool->subnet, 10 + s->num);
    rowset_detail(rs, "check",
                  s->admin == ADMIN_MAINT ? "disabled (maintenance)" : checks[s->check].desc);
    rowset_detail(rs, "admin state", admin_names[s->admin]);
    demo_detail_time(rs, "last change", s->changed);
    rowset_detail(rs, "balance", "roundrobin");
    rowset_detail(rs, "mode", "http");
}

void demo_pools_publish(struct backend *b, const struct demo *d)
{
    struct rowset *rs = rowset_create(MODEL_POOLS, b->name);
    for (size_t i = 0; i < d->nservers; i++) {
        publish_server(rs, &d->servers[i], b->name);
    }
    backend_publish(b, rs);
}

/* ---- actions ---- */

bool demo_pools_act(struct demo *d, const char *verb, const char *target, char **msg)
{
    struct server *s = server_find(d, target);
    if (s == NULL) {
        *msg = xasprintf("no such server: %s", target);
        return false;
    }
    if (strcmp(verb, "drain") == 0) {
        s->admin = ADMIN_DRAIN;
        /* established sessions finish over about three ticks */
        s->drain_step = s->sess > 3 ? demo_round0(s->sess / 3 + 0.49) : 1;
    } else if (strcmp(verb, "maint") == 0) {
        s->admin = ADMIN_MAINT;
        s->sess = 0;
        s->qcur = 0;
    } else {
        s->admin = ADMIN_READY;
    }
    s->changed = d->now;
    *msg = xasprintf("%s set to %s", target,
                     s->admin == ADMIN_DRAIN   ? "DRAIN"
                     : s->admin == ADMIN_MAINT ? "MAINT"
                                               : "READY");
    return true;
}
