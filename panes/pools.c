/* The pools pane: what is serving. */
#include "tablepane.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Aggregate rows of a whole backend end in "/BACKEND" (HAProxy): not servers. */
static bool is_server(const struct rowset *rs, size_t row)
{
    const char *key = rowset_key(rs, row);
    size_t n = strlen(key);
    return !(n >= 8 && strcmp(key + n - 8, "/BACKEND") == 0);
}

/* "DOWN drain" ends with the admin word the operator set (HAProxy's show servers state). */
static bool ends_with_word(const char *status, const char *word)
{
    size_t n = strlen(status), k = strlen(word);
    return n > k && status[n - k - 1] == ' ' && strcasecmp(status + n - k, word) == 0;
}

static void pools_summary(const struct tableview *tv, char *buf, size_t len)
{
    /* by the first word: "UP 1/2" is going down but still up, "DOWN 1/2" coming back */
    static const char *const words[] = {"UP", "DOWN", "DRAIN", "MAINT"};
    size_t count[4] = {0};
    const struct rowref *rows;
    size_t nrows = tableview_filtered(tv, &rows);
    for (size_t i = 0; i < nrows; i++) {
        const struct rowset *rs = rows[i].rs;
        size_t row = rows[i].row;
        const char *status = rowset_cell_text(rs, row, POOL_STATUS);
        for (size_t w = 0; w < 4 && is_server(rs, row); w++) {
            size_t n = strlen(words[w]);
            if (strncasecmp(status, words[w], n) == 0 && (status[n] == '\0' || status[n] == ' ')) {
                count[w]++;
            } else if (w >= 2 && ends_with_word(status, words[w])) {
                count[w]++; /* "DOWN drain": down, and drained by someone, both counted */
            }
        }
    }
    snprintf(buf, len, "%zu up, %zu down, %zu drain, %zu maint", count[0], count[1], count[2],
             count[3]);
}

static const struct pane_table pools_table = {
    .kind = MODEL_POOLS,
    .sort_col = -1,
    .group_col = POOL_NAME,
    .name_col = POOL_SERVER,
    .summary = pools_summary,
};

const struct pane_ops pools_pane = {
    .name = "pools",
    .title = "Pools",
    .keys = tablepane_keys,
    .table = &pools_table,
    TABLEPANE_CALLBACKS,
};
