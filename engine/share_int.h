/*
 * Inside the war room's Unix-socket side (share_sock.c: the owner,
 * share_client.c: the follower): limits and socket paths. Nothing else
 * includes this.
 */
#ifndef OPSDECK_SHARE_INT_H
#define OPSDECK_SHARE_INT_H

struct sockaddr_un;

enum {
    SHARE_LINE_MAX = 1 << 20,   /* a request, or a journal line with a command's output */
    SHARE_HELLO_MAX = 32 << 20, /* owner -> follower: a hello carries the whole document (a
                                   4 MiB runbook or drill, JSON-escaped) */
    SHARE_QUEUE_MAX = 64 << 20, /* a follower this far behind is dropped */
    SHARE_PEERS_MAX = 256,
};

/* DIR/RUN-ID.EXT; NULL with *cause for a bad id or a path too long for a socket. */
char *share_path(const char *dir, const char *run_id, const char *ext, char **cause);
void share_sockaddr(struct sockaddr_un *sa, const char *path);

#endif
