/*
 * libFuzzer harness: an alert's detail lines (from a backend, so untrusted)
 * through locate_runbook() and locate_alert_vars(). Either a path or a cause,
 * never both or neither; a runbook found by a name taken from the alert is a
 * plain file directly inside one of the runbook directories; every variable
 * set has a valid name.
 */
#include "../../common/util.h"
#include "../../engine/locate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A runbook_url that names a local file may lead anywhere: that is allowed. */
static bool has_local_url(const char *detail)
{
    static const char *const keys[] = {"runbook_url\t", "annotation.runbook_url\t"};
    for (size_t k = 0; k < 2; k++) {
        for (const char *p = strstr(detail, keys[k]); p != NULL; p = strstr(p + 1, keys[k])) {
            const char *v = p + strlen(keys[k]);
            if (*v == '/' || *v == '~' || strncmp(v, "file:", 5) == 0) {
                return true;
            }
        }
    }
    return false;
}

static bool inside_a_dir(const char *path)
{
    char **dirs = locate_dirs(NULL, NULL);
    bool ok = false;
    for (size_t i = 0; dirs[i] != NULL && !ok; i++) {
        size_t n = strlen(dirs[i]);
        const char *name = path + n + 1;
        ok = strncmp(path, dirs[i], n) == 0 && path[n] == '/' && name[0] != '.' &&
             name[0] != '\0' && strchr(name, '/') == NULL;
    }
    locate_dirs_free(dirs);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Details are C strings: cut at the first NUL, as the model's arena would. */
    char *detail = xmalloc(size + 1);
    memcpy(detail, data, size);
    detail[size] = '\0';

    char *cause = NULL;
    char *path = locate_runbook(NULL, NULL, detail, &cause);
    if ((path == NULL) == (cause == NULL)) {
        abort(); /* exactly one of them */
    }
    if (path != NULL && !has_local_url(detail) && !inside_a_dir(path)) {
        abort(); /* a name from the alert left the runbook directories */
    }
    if (cause != NULL && strncmp(cause, "no runbook", 10) != 0) {
        abort();
    }
    free(path);
    free(cause);

    struct vars v = {0};
    size_t n = locate_alert_vars(detail, "Fuzz", &v);
    if (n < v.n) {
        abort(); /* it counts what it sets (repeated labels count again) */
    }
    for (size_t i = 0; i < v.n; i++) {
        if (!vars_valid_name(v.names[i])) {
            abort();
        }
    }
    vars_clear(&v);
    free(detail);
    return 0;
}
