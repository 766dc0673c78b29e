/*
 * libFuzzer harness for shell templates (common/shtmpl.c). The input is a
 * template. Properties:
 *   - refused: a cause and a line inside the template;
 *   - accepted: the command is the template with exactly each use replaced
 *     by its environment reference ("${ENV}" bare, ${ENV} inside "..."), and
 *     each escape by the shell's own ${name}: nothing else is touched; every
 *     use names a ref whose env is a valid shell name; the preview of a
 *     value that is pure shell syntax holds it only where the uses were.
 * The input is not NUL-terminated.
 */
#include "../../common/shtmpl.h"
#include "../../common/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *value(const char *name, void *ud)
{
    (void)name;
    (void)ud;
    return "$(x)";
}

static void check(const char *tmpl, enum shtmpl_names names)
{
    struct shtmpl t;
    char *cause = NULL;
    int line = 0;
    if (!shtmpl_compile(&t, tmpl, names, &line, &cause)) {
        int lines = 1;
        for (const char *p = tmpl; *p != '\0'; p++) {
            lines += *p == '\n';
        }
        if (cause == NULL || line < 1 || line > lines) {
            abort();
        }
        free(cause);
        return;
    }
    struct strbuf sb = {0};
    strbuf_add(&sb, "", 0);
    size_t at = 0;
    for (size_t u = 0; u < t.nuses; u++) {
        const struct shtmpl_use *use = &t.uses[u];
        if (use->start < at || use->end <= use->start) {
            abort(); /* uses are in order and do not overlap */
        }
        strbuf_add(&sb, tmpl + at, use->start - at);
        if (use->escape) {
            strbuf_add(&sb, tmpl + use->start + 1, use->end - use->start - 1);
        } else {
            const char *env = t.refs[use->ref].env;
            for (const char *p = env; *p != '\0'; p++) {
                bool ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                          (*p >= '0' && *p <= '9') || *p == '_';
                if (!ok) {
                    abort();
                }
            }
            strbuf_printf(&sb, use->quoted ? "${%s}" : "\"${%s}\"", env);
        }
        at = use->end;
    }
    strbuf_str(&sb, tmpl + at);
    if (strcmp(sb.s, t.command) != 0) {
        abort();
    }
    free(sb.s);
    char *p = shtmpl_preview(&t, tmpl, value, NULL);
    free(p);
    char **env = shtmpl_env(&t, value, NULL, &cause);
    if (env == NULL) {
        abort();
    }
    shtmpl_env_free(env);
    shtmpl_finish(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *tmpl = xmalloc(size + 1);
    memcpy(tmpl, data, size);
    tmpl[size] = '\0';
    check(tmpl, SHTMPL_VARS);
    check(tmpl, SHTMPL_ANY);
    free(tmpl);
    return 0;
}
