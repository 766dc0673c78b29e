/*
 * Who and where: the user and the host every audit line, journal event and
 * silence names. Read once, then kept for the life of the process.
 */
#ifndef OPSDECK_WHOAMI_H
#define OPSDECK_WHOAMI_H

/* $USER, else the user of the effective uid, else "unknown". */
const char *whoami_user(void);
/* The host name, else "unknown". */
const char *whoami_host(void);

#endif
