/* Who and where (whoami.h). */
#include "whoami.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

const char *whoami_user(void)
{
    static char actor[256];
    if (actor[0] != '\0') {
        return actor;
    }
    const char *user = getenv("USER");
    if (user == NULL || *user == '\0') {
        struct passwd *pw = getpwuid(geteuid());
        user = pw != NULL && pw->pw_name != NULL && *pw->pw_name != '\0' ? pw->pw_name : "unknown";
    }
    snprintf(actor, sizeof actor, "%s", user);
    return actor;
}

const char *whoami_host(void)
{
    static char host[256];
    if (host[0] != '\0') {
        return host;
    }
    /* gethostname may not terminate a truncated name. */
    if (gethostname(host, sizeof host - 1) < 0 || host[0] == '\0') {
        snprintf(host, sizeof host, "unknown");
    }
    host[sizeof host - 1] = '\0';
    return host;
}
