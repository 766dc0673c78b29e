/*
 * libFuzzer harness: the Signals answers of Prometheus (instant and range
 * queries) must parse or fail with a reason, never crash; whatever parsed
 * gives exactly one row per service through slo_row(). The first byte picks
 * the parser; the input is not NUL-terminated.
 */
#include "../../backends/prometheus_signals.h"
#include "../../common/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct prom_signals *services(void)
{
    static const char *const kv[][2] = {
        {"service", "checkout"},
        {"service.checkout.saturation", "max(x{{{labels}}})"},
        {"service", "payments"},
        {"service.payments.rules", "sloth"},
    };
    struct prom_signals *ps = prom_signals_create();
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
        char *cause = NULL;
        if (prom_signals_configure(ps, kv[i][0], kv[i][1], &cause) != 1) {
            abort();
        }
    }
    return ps;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct prom_signals *ps;
    if (ps == NULL) {
        ps = services();
    }
    if (size == 0) {
        return 0;
    }
    bool range = data[0] & 1;
    char *body = xmalloc(size);
    memcpy(body, data + 1, size - 1);
    struct prom_answer *a = prom_answer_create(ps);
    char *cause = NULL;
    bool ok = range ? prom_answer_range(a, body, size - 1, 1000, 60, &cause)
                    : prom_answer_instant(a, body, size - 1, &cause);
    if (ok) {
        struct rowset *rs = rowset_create(MODEL_SIGNALS, "fuzz");
        prom_answer_rows(a, rs);
        if (rs->nrows != prom_signals_count(ps) || strcmp(rowset_key(rs, 0), "checkout") != 0) {
            abort(); /* one row per service, in order */
        }
        rowset_destroy(rs);
    } else if (cause == NULL) {
        abort(); /* every failure says why */
    }
    free(cause);
    prom_answer_destroy(a);
    free(body);
    return 0;
}
