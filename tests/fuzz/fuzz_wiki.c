/*
 * libFuzzer harness: a wiki runbook's code block or text (untrusted: anyone
 * may write the page) through placeholder detection, the template and the
 * fill (engine/placeholder.c) and action recognition (engine/recognise.c).
 * Every placeholder lies inside the text, in order, without overlap, with a
 * valid variable name; the template holds each one's ${var} reference; a
 * recognised block names a pane and a non-empty target.
 */
#include "../../common/util.h"
#include "../../engine/placeholder.h"
#include "../../engine/recognise.h"
#include "../../engine/vars.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *value(const char *var, void *ud)
{
    (void)ud;
    return var[0] == 's' ? "v<a>{{b}}" : NULL;
}

static void check(const char *text, const struct ph_list *l)
{
    size_t at = 0, n = strlen(text);
    for (size_t i = 0; i < l->n; i++) {
        const struct placeholder *p = &l->v[i];
        if (p->start < at || p->end <= p->start || p->end > n || !vars_valid_name(p->var) ||
            strncmp(text + p->start, p->raw, p->end - p->start) != 0) {
            abort();
        }
        at = p->end;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = xstrndup((const char *)data, size);
    struct ph_list code = {0}, prose = {0};
    placeholder_find_code(text, NULL, NULL, &code);
    check(text, &code);
    char *tmpl = placeholder_template(text, &code);
    /* the template is code again: read the same way (it may differ where the text was not sh) */
    struct ph_list again = {0};
    placeholder_find_code(tmpl, NULL, NULL, &again);
    check(tmpl, &again);
    for (size_t i = 0; i < code.n; i++) {
        char *ref = xasprintf("${%s}", code.v[i].var);
        if (strstr(tmpl, ref) == NULL) {
            abort(); /* a placeholder found but not rewritten into its reference */
        }
        free(ref);
    }
    placeholder_find_text(text, &prose);
    check(text, &prose);
    free(placeholder_fill(text, &prose, value, NULL));
    struct recog r;
    if (recognise(tmpl, &r)) {
        if (r.pane == NULL || r.verb == NULL || r.target == NULL || r.target[0] == '\0') {
            abort();
        }
        free(recog_describe(&r, r.target));
        recog_finish(&r);
    }
    (void)placeholder_html_is_text(text, size);
    placeholder_list_free(&again);
    placeholder_list_free(&code);
    placeholder_list_free(&prose);
    free(tmpl);
    free(text);
    return 0;
}
