/* Rowsets and the store: building, reading back, replacing, forgetting. */
#include "../../backends/model.h"
#include "tap.h"

#include <stdlib.h>

static struct rowset *pools(const char *source, int n, const char *status)
{
    struct rowset *rs = rowset_create(MODEL_POOLS, source);
    for (int i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof key, "be_web/web%d", i + 1);
        rowset_begin(rs, key);
        rowset_text(rs, POOL_NAME, "be_web");
        rowset_textf(rs, POOL_SERVER, "web%d", i + 1);
        rowset_text(rs, POOL_STATUS, status);
        rowset_num(rs, POOL_SESS, i * 10);
        rowset_detail(rs, "addr", "10.0.0.1:80\nsecond line");
    }
    return rs;
}

/* n alerts-like rows: short cells (interned) and a long detail each. */
static void add_alerts(struct rowset *rs, int n)
{
    for (int i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof key, "%016x", (unsigned)i * 7919u);
        rowset_begin(rs, key);
        rowset_text(rs, ALERT_SEV, i % 3 ? "warning" : "critical");
        rowset_textf(rs, ALERT_NAME, "Alert%02d", i % 50);
        rowset_textf(rs, ALERT_TARGET, "instance=host-%05d:9100", i);
        rowset_textf(rs, ALERT_SUMMARY, "host-%05d is down", i);
        rowset_detailf(rs, "annotation.description", "a longer text about host-%05d and why", i);
    }
    rowset_end(rs);
}

static struct rowset *alerts(int n)
{
    struct rowset *rs = rowset_create(MODEL_ALERTS, "am");
    add_alerts(rs, n);
    return rs;
}

/* rowset_size / rowset_reserve_as: the next set of a like answer is made without growing. */
static void test_reserve_as(void)
{
    struct rowset *first = alerts(5000);
    struct rowset_size size = rowset_size(first);
    tap_ok(size.nrows == 5000 && size.slen == first->slen && size.interned >= 10000,
           "the size of a set: rows, text, strings interned (%zu)", size.interned);
    struct rowset *next = rowset_create(MODEL_ALERTS, "am");
    rowset_reserve_as(next, size);
    const char *strings = next->strings;
    const void *rows = next->rows, *cells = next->cells;
    size_t scap = next->scap;
    add_alerts(next, 5000);
    tap_ok(next->strings == strings && next->scap == scap && (const void *)next->rows == rows &&
               (const void *)next->cells == cells,
           "made as big as the last: text, rows and cells never moved");
    struct rowset_size again = rowset_size(next);
    tap_ok(again.nrows == size.nrows && again.slen == size.slen && again.interned == size.interned,
           "the same rows as before, the same size");
    tap_is_str(rowset_cell_text(next, 4999, ALERT_TARGET), "instance=host-04999:9100",
               "the rows read back");
    struct rowset_size none = {0};
    struct rowset *empty = rowset_create(MODEL_ALERTS, "am");
    rowset_reserve_as(empty, none);
    tap_ok(empty->rows == NULL && empty->nrows == 0, "the size of nothing reserves nothing");
    rowset_destroy(empty);
    rowset_destroy(first);
    rowset_destroy(next);
}

int main(void)
{
    test_reserve_as();
    struct rowset *rs = pools("lb1", 3, "UP");
    tap_is_int((long long)rs->nrows, 3, "three rows built");
    rowset_end(rs);
    tap_is_str(rowset_key(rs, 1), "be_web/web2", "key read back");
    tap_is_str(rowset_cell_text(rs, 2, POOL_SERVER), "web3", "text cell");
    tap_is_str(rowset_cell_text(rs, 2, POOL_SESS), "20", "numeric cell text");
    tap_ok(rowset_cell_num(rs, 2, POOL_SESS) == 20, "numeric cell value");
    tap_is_str(rowset_cell_text(rs, 0, POOL_CHECK), "", "unset cell is empty");
    tap_is_str(rowset_str(rs, rs->rows[0].detail), "addr\t10.0.0.1:80 second line\n",
               "detail flattened to one line per field");

    struct store *st = store_create();
    uint64_t g0 = store_generation(st, MODEL_POOLS);
    store_publish(st, rs);
    store_publish(st, pools("lb2", 2, "DOWN"));
    tap_is_int((long long)store_nrows(st, MODEL_POOLS), 5, "two sources merged");
    tap_ok(store_generation(st, MODEL_POOLS) == g0 + 2, "generation bumps per publish");
    tap_ok(store_generation(st, MODEL_QUEUES) == 0, "other kinds untouched");
    store_publish(st, pools("lb1", 1, "DRAIN"));
    tap_is_int((long long)store_nrows(st, MODEL_POOLS), 3, "republish replaces the source");
    const struct rowset *found;
    size_t row;
    tap_ok(store_find(st, MODEL_POOLS, "lb1", "be_web/web1", &found, &row) &&
               strcmp(rowset_cell_text(found, row, POOL_STATUS), "DRAIN") == 0,
           "find sees the new rows");
    tap_ok(!store_find(st, MODEL_POOLS, "lb1", "be_web/web2", &found, &row),
           "rows gone from the source are gone");
    store_forget(st, MODEL_POOLS, "lb2");
    tap_is_int((long long)store_nrows(st, MODEL_POOLS), 1, "forget drops a source");

    char buf[16];
    model_format_num(buf, sizeof buf, 12345);
    tap_is_str(buf, "12.3k", "12345 -> 12.3k");
    model_format_num(buf, sizeof buf, 2500000);
    tap_is_str(buf, "2.5M", "2.5M");
    model_format_num(buf, sizeof buf, 1.25);
    tap_is_str(buf, "1.2", "fractions keep one digit");
    enum model_kind k;
    tap_ok(model_kind_from_name("Pools", &k) && k == MODEL_POOLS, "kind by name");
    tap_ok(model_kind_from_name("deployments", &k) && k == MODEL_DEPLOYS,
           "kind by title: deployments");
    tap_ok(model_kind_from_name("deploys", &k) && k == MODEL_DEPLOYS, "and by name: deploys");
    tap_ok(!model_kind_from_name("deploy", &k), "but not by a prefix");
    tap_is_int(model_column_by_title(MODEL_QUEUES, "ready"), QUEUE_READY, "column by title");

    struct rowset *big = rowset_create(MODEL_QUEUES, "bulk");
    for (int i = 0; i < 10000; i++) {
        char key[32];
        snprintf(key, sizeof key, "/q%05d", i);
        rowset_begin(big, key);
        rowset_text(big, QUEUE_NAME, key + 1);
        rowset_num(big, QUEUE_READY, i);
    }
    store_publish(st, big);
    tap_is_int((long long)store_nrows(st, MODEL_QUEUES), 10000, "10,000 rows");
    tap_is_str(rowset_cell_text(big, 9999, QUEUE_NAME), "q09999", "last of 10,000 intact");
    store_destroy(st);
    return tap_done();
}
