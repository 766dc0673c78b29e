/*
 * share_nats.h in a build without libnats (meson -Dnats=disabled, or no
 * libnats-dev): following and owning over NATS say so, nothing else changes.
 */
#include "share_nats.h"

#include "../common/util.h"

#define NO_NATS                                                                                    \
    "opsdeck was built without NATS (install libnats-dev and rebuild, or use the [share] dir "     \
    "socket)"

struct share_nats_owner *share_nats_owner_create(struct loop *loop, const struct share_nats_opts *o,
                                                 const char *run_id, const char *journal,
                                                 share_nats_request_cb cb, void *ud, char **cause)
{
    *cause = xstrdup(NO_NATS);
    return NULL;
}

void share_nats_owner_destroy(struct share_nats_owner *own)
{
}

void share_nats_publish(struct share_nats_owner *own, uint64_t seq, const char *line, size_t len)
{
}

void share_nats_publish_doc(struct share_nats_owner *own, const char *line, size_t len)
{
}

void share_nats_reply(struct share_nats_owner *own, struct share_nats_reply *reply,
                      const char *line, size_t len)
{
}

char *share_nats_owner_status(struct share_nats_owner *own)
{
    return xstrdup(NO_NATS);
}

uint64_t share_nats_owner_acked(struct share_nats_owner *own)
{
    return 0;
}

struct share_nats_follower *share_nats_follow(struct loop *loop, const struct share_nats_opts *o,
                                              const char *run_id, share_nats_line_cb line_cb,
                                              share_nats_link_cb link_cb, void *ud, char **cause)
{
    *cause = xstrdup(NO_NATS);
    return NULL;
}

void share_nats_unfollow(struct share_nats_follower *f)
{
}

bool share_nats_request(struct share_nats_follower *f, const char *line, size_t len, char **cause)
{
    *cause = xstrdup(NO_NATS);
    return false;
}

uint64_t share_nats_follower_seq(struct share_nats_follower *f)
{
    return 0;
}
