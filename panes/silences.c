/* The silences pane: what is muted, until when. Shown in the Alerts slot (v). */
#include "tablepane.h"

#include <stdio.h>

static void silences_summary(const struct tableview *tv, char *buf, size_t len)
{
    size_t active = pane_count_text(tv, SILENCE_STATE, "active");
    size_t pending = pane_count_text(tv, SILENCE_STATE, "pending");
    size_t expired = pane_count_text(tv, SILENCE_STATE, "expired");
    snprintf(buf, len, "%zu active, %zu pending, %zu expired", active, pending, expired);
}

static const struct pane_table silences_table = {
    .kind = MODEL_SILENCES,
    .sort_col = -1,
    .group_col = SILENCE_STATE,
    .name_col = SILENCE_ID,
    .summary = silences_summary,
};

const struct pane_ops silences_pane = {
    .name = "silences",
    .title = "Silences",
    .keys = tablepane_keys,
    .table = &silences_table,
    TABLEPANE_CALLBACKS,
};
