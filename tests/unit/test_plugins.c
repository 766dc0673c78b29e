/*
 * Plugins without a server: the row schema parser (good rows, every error a
 * plugin can make), JSON pointers and the http-json mapping, shell quoting of
 * hostile values checked by running the expanded command through /bin/sh,
 * and template checks. The child-process module has its own test_proc.c.
 */
#include "../../backends/model.h"
#include "../../backends/plugin.h"
#include "../../common/util.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- row schema ---- */

static bool parse(enum model_kind kind, const char *json, struct rowset **rs,
                  struct plugin_rows *keep, char **cause)
{
    *rs = rowset_create(kind, "plug");
    *cause = NULL;
    return plugin_parse_rows(json, strlen(json), *rs, keep, cause);
}

/* The error for json, or "" when it parsed. */
static char *parse_error(enum model_kind kind, const char *json)
{
    struct rowset *rs;
    char *cause;
    bool ok = parse(kind, json, &rs, NULL, &cause);
    rowset_destroy(rs);
    if (ok) {
        free(cause);
        return xstrdup("");
    }
    return cause != NULL ? cause : xstrdup("(no cause)");
}

static void error_has(enum model_kind kind, const char *json, const char *want, const char *what)
{
    char *e = parse_error(kind, json);
    tap_ok(strstr(e, want) != NULL, "%s: error names it", what);
    if (strstr(e, want) == NULL) {
        tap_diag("got '%s', want it to contain '%s'", e, want);
    }
    free(e);
}

static void test_schema_good(void)
{
    const char *json =
        "{\"rows\":[{\"key\":\"orders\",\"cells\":{\"QUEUE\":\"orders\",\"msgs\":12,"
        "\"READY\":10.5,\"STATE\":\"running\"},\"tone\":\"warn\",\"tones\":{\"MSGS\":\"crit\"},"
        "\"detail\":{\"group\":\"billing\",\"lag\":3}},"
        "{\"key\":\"empty\"},{\"key\":7,\"cells\":{\"QUEUE\":42,\"TREND\":true,\"MSGS\":null}}]}";
    struct rowset *rs;
    struct plugin_rows keep = {0};
    char *cause;
    bool ok = parse(MODEL_QUEUES, json, &rs, &keep, &cause);
    tap_ok(ok, "a good document parses");
    if (!ok) {
        tap_diag("%s", cause);
    }
    tap_is_int((long long)rs->nrows, 3, "three rows");
    tap_is_str(rowset_key(rs, 0), "orders", "the key");
    tap_is_str(rowset_cell_text(rs, 0, QUEUE_NAME), "orders", "a text cell");
    tap_ok(rowset_cell_num(rs, 0, QUEUE_MSGS) == 12, "a number cell (column names fold case)");
    tap_ok(rowset_cell_num(rs, 0, QUEUE_READY) == 10.5, "a fractional number");
    tap_is_str(rowset_cell_text(rs, 0, QUEUE_SOURCE), "plug", "SOURCE is filled by opsdeck");
    tap_is_int(rs->rows[0].tone, TONE_WARN, "the row's tone");
    tap_is_int(rowset_cells(rs, 0)[QUEUE_MSGS].tone, TONE_CRIT, "a cell's tone");
    tap_ok(strstr(rowset_str(rs, rs->rows[0].detail), "group\tbilling") != NULL &&
               strstr(rowset_str(rs, rs->rows[0].detail), "lag\t3") != NULL,
           "detail lines, numbers as text");
    tap_is_str(rowset_cell_text(rs, 1, QUEUE_NAME), "", "a row without cells is empty");
    tap_is_str(rowset_key(rs, 2), "7", "a numeric key becomes text");
    tap_is_str(rowset_cell_text(rs, 2, QUEUE_NAME), "42", "a number in a text column");
    tap_is_str(rowset_cell_text(rs, 2, QUEUE_TREND), "true", "a boolean in a text column");
    tap_is_int((long long)keep.n, 3, "the kept rows");
    const struct plugin_row *r = plugin_rows_find(&keep, "orders");
    tap_ok(r != NULL && r->cells[QUEUE_MSGS] != NULL && strcmp(r->cells[QUEUE_MSGS], "12") == 0,
           "kept: integers without a fraction");
    tap_ok(r != NULL && r->cells[QUEUE_READY] != NULL && strcmp(r->cells[QUEUE_READY], "10.5") == 0,
           "kept: fractions as printed");
    tap_ok(r != NULL && r->cells[QUEUE_VHOST] == NULL, "kept: a missing cell is NULL");
    tap_ok(plugin_rows_find(&keep, "nope") == NULL, "an unknown key is not found");
    plugin_rows_clear(&keep);
    rowset_destroy(rs);

    ok = parse(MODEL_DEPLOYS, "{\"rows\":[]}", &rs, NULL, &cause);
    tap_ok(ok && rs->nrows == 0, "no rows is fine");
    rowset_destroy(rs);
    ok = parse(MODEL_DEPLOYS,
               "{\"rows\":[{\"key\":\"shop/cart\",\"cells\":{\"NAMESPACE\":\"shop\","
               "\"DEPLOYMENT\":\"cart\",\"READY\":\"3/3\",\"AGE\":1700000000,\"ROLLOUT\":"
               "\"complete\"}}]}",
               &rs, NULL, &cause);
    tap_ok(ok && rowset_cell_num(rs, 0, DEPLOY_AGE) == 1700000000.0 &&
               strcmp(rowset_cell_text(rs, 0, DEPLOY_READY), "3/3") == 0,
           "deployments: READY is text, AGE epoch seconds");
    rowset_destroy(rs);
}

static void test_schema_errors(void)
{
    error_has(MODEL_QUEUES, "{\"error\":\"redis is down\"}", "plugin error: redis is down",
              "{\"error\":...} is the plugin's message");
    error_has(MODEL_QUEUES, "hello", "not JSON", "garbage");
    error_has(MODEL_QUEUES, "", "not JSON", "nothing at all");
    error_has(MODEL_QUEUES, "[1,2]", "expected a JSON object", "an array");
    error_has(MODEL_QUEUES, "{\"rowz\":[]}", "no \"rows\" array", "no rows");
    error_has(MODEL_QUEUES, "{\"rows\":[{\"key\":\"a\",\"cells\":{\"QUEUE\":\"a\",\"DEPTH\":1}}]}",
              "unknown column 'DEPTH' for queues (columns: QUEUE, VHOST", "an unknown column");
    error_has(MODEL_QUEUES, "{\"rows\":[{\"key\":\"a\",\"cells\":{\"SOURCE\":\"me\"}}]}",
              "SOURCE is filled by opsdeck", "SOURCE from a plugin");
    error_has(MODEL_QUEUES, "{\"rows\":[{\"key\":\"a\",\"cells\":{\"context\":\"prod\"}}]}",
              "row 'a': CONTEXT is filled by opsdeck", "CONTEXT from a plugin (its backend's)");
    error_has(MODEL_QUEUES, "{\"rows\":[{\"key\":\"a\",\"cells\":{\"DEPTH\":1}}]}", "TREND, DLQ)",
              "the column list names neither CONTEXT nor SOURCE");
    error_has(MODEL_QUEUES, "{\"rows\":[{\"key\":\"a\"},{\"key\":\"b\"},{\"key\":\"a\"}]}",
              "row 3: duplicate key 'a'", "a duplicate key");
    error_has(MODEL_QUEUES, "{\"rows\":[{\"key\":\"a\",\"cells\":{\"MSGS\":\"12\"}}]}",
              "row 'a': column MSGS wants a number, got a string", "a number as a string");
    error_has(MODEL_QUEUES, "{\"rows\":[{\"key\":\"a\",\"cells\":{\"QUEUE\":{}}}]}",
              "column QUEUE wants text, got an object", "an object as text");
    error_has(MODEL_QUEUES, "{\"rows\":[{\"cells\":{}}]}", "row 1: no key", "a missing key");
    error_has(MODEL_QUEUES, "{\"rows\":[{\"key\":\"\"}]}", "row 1: no key", "an empty key");
    error_has(MODEL_QUEUES, "{\"rows\":[3]}", "row 1: not an object", "a row that is a number");
    error_has(MODEL_QUEUES, "{\"rows\":[{\"key\":\"a\",\"cell\":{}}]}", "unknown member 'cell'",
              "a misspelt member");
    error_has(MODEL_QUEUES, "{\"rows\":[{\"key\":\"a\",\"tone\":\"red\"}]}", "bad tone",
              "an unknown tone");
    error_has(MODEL_QUEUES, "{\"rows\":[{\"key\":\"a\",\"cells\":[1]}]}", "cells must be an object",
              "cells as an array");
    error_has(MODEL_QUEUES, "{\"rows\":[{\"key\":\"a\",\"detail\":{\"x\":[1]}}]}",
              "detail x must be text", "a detail that is an array");
    error_has(MODEL_POOLS, "{\"rows\":[{\"key\":\"a\",\"cells\":{\"QUEUE\":\"a\"}}]}",
              "unknown column 'QUEUE' for pools", "a column of another pane");
}

/* ---- JSON pointers and the http-json mapping ---- */

static const char *pointed(const cJSON *doc, const char *ptr)
{
    static char buf[64];
    char *cause = NULL;
    const cJSON *v = plugin_pointer(doc, ptr, &cause);
    if (v == NULL) {
        snprintf(buf, sizeof buf, "!%s", cause != NULL ? cause : "");
        free(cause);
        return buf;
    }
    if (cJSON_IsString(v)) {
        return v->valuestring;
    }
    snprintf(buf, sizeof buf, "%s",
             cJSON_IsNumber(v)   ? "(number)"
             : cJSON_IsArray(v)  ? "(array)"
             : cJSON_IsObject(v) ? "(object)"
                                 : "(other)");
    return buf;
}

static void test_pointer(void)
{
    cJSON *doc = cJSON_Parse("{\"a\":{\"b\":\"ab\"},\"c/d\":\"slash\",\"e~f\":\"tilde\","
                             "\"arr\":[\"zero\",\"one\"],\"\":\"empty\",\"~1\":\"lit\"}");
    tap_is_str(pointed(doc, ""), "(object)", "\"\" is the whole document");
    tap_is_str(pointed(doc, "/a/b"), "ab", "a nested member");
    tap_is_str(pointed(doc, "/c~1d"), "slash", "~1 is /");
    tap_is_str(pointed(doc, "/e~0f"), "tilde", "~0 is ~");
    tap_is_str(pointed(doc, "/~01"), "lit", "~01 is ~1, not /");
    tap_is_str(pointed(doc, "/"), "empty", "/ is the member named \"\"");
    tap_is_str(pointed(doc, "/arr/1"), "one", "an array index");
    tap_ok(pointed(doc, "/arr/01")[0] == '!', "a leading zero is no index");
    tap_ok(pointed(doc, "/arr/-")[0] == '!', "- (past the end) does not resolve");
    tap_ok(pointed(doc, "/arr/2")[0] == '!', "past the end does not resolve");
    const char *miss = pointed(doc, "/a/x/y");
    tap_ok(strstr(miss, "pointer /a/x/y did not resolve: no member 'x' at /a") != NULL,
           "a miss names the pointer and where it stopped");
    if (strstr(miss, "/a/x/y") == NULL) {
        tap_diag("%s", miss);
    }
    tap_ok(strstr(pointed(doc, "/a/b/c"), "not an object or array") != NULL,
           "descending into a string");
    char *cause = NULL;
    tap_ok(!plugin_pointer_valid("a/b", &cause) && strstr(cause, "starts with '/'") != NULL,
           "a pointer must start with /");
    free(cause);
    cause = NULL;
    tap_ok(!plugin_pointer_valid("/a~2", &cause), "~2 is no escape");
    free(cause);
    cJSON_Delete(doc);
}

static void test_map(void)
{
    cJSON *doc = cJSON_Parse(
        "{\"data\":{\"queues\":[{\"name\":\"orders\",\"stats\":{\"depth\":\"12\",\"cons\":2}},"
        "{\"name\":\"emails\",\"stats\":{\"depth\":5}},{\"name\":\"bare\"}]}}");
    struct plugin_map m = {0};
    m.rows = xstrdup("/data/queues");
    m.key = xstrdup("/name");
    m.cols[QUEUE_NAME] = xstrdup("/name");
    m.cols[QUEUE_MSGS] = xstrdup("/stats/depth");
    m.cols[QUEUE_CONSUMERS] = xstrdup("/stats/cons");
    struct rowset *rs = rowset_create(MODEL_QUEUES, "hj");
    char *cause = NULL;
    bool ok = plugin_map_rows(doc, &m, rs, NULL, &cause);
    tap_ok(ok, "a mapping applies");
    if (!ok) {
        tap_diag("%s", cause);
    }
    tap_is_int((long long)rs->nrows, 3, "one row per element");
    tap_ok(rowset_cell_num(rs, 0, QUEUE_MSGS) == 12, "a numeric string counts as a number");
    tap_ok(rowset_cell_num(rs, 1, QUEUE_MSGS) == 5, "a number");
    tap_is_str(rowset_cell_text(rs, 2, QUEUE_MSGS), "", "a value missing in one row is empty");
    tap_is_str(rowset_cell_text(rs, 2, QUEUE_SOURCE), "hj", "SOURCE filled");
    rowset_destroy(rs);

    free(m.cols[QUEUE_CONSUMERS]);
    m.cols[QUEUE_CONSUMERS] = xstrdup("/stats/consumers");
    rs = rowset_create(MODEL_QUEUES, "hj");
    ok = plugin_map_rows(doc, &m, rs, NULL, &cause);
    tap_ok(!ok && strstr(cause, "column.CONS = /stats/consumers resolved in none of the 3 rows"),
           "a column pointer that never resolves is named");
    free(cause);
    rowset_destroy(rs);

    free(m.rows);
    m.rows = xstrdup("/data/queue");
    rs = rowset_create(MODEL_QUEUES, "hj");
    ok = plugin_map_rows(doc, &m, rs, NULL, &cause);
    tap_ok(!ok && strstr(cause, "pointer /data/queue did not resolve") != NULL,
           "a rows pointer that does not resolve is named");
    free(cause);
    rowset_destroy(rs);

    free(m.rows);
    m.rows = xstrdup("/data");
    rs = rowset_create(MODEL_QUEUES, "hj");
    ok = plugin_map_rows(doc, &m, rs, NULL, &cause);
    tap_ok(!ok && strstr(cause, "is an object, not an array") != NULL, "rows must be an array");
    free(cause);
    rowset_destroy(rs);

    free(m.rows);
    m.rows = xstrdup("/data/queues");
    free(m.key);
    m.key = xstrdup("/id");
    rs = rowset_create(MODEL_QUEUES, "hj");
    ok = plugin_map_rows(doc, &m, rs, NULL, &cause);
    tap_ok(!ok && strstr(cause, "row 1: key pointer /id did not resolve") != NULL,
           "a key pointer that does not resolve is named");
    free(cause);
    rowset_destroy(rs);
    plugin_map_free(&m);
    cJSON_Delete(doc);

    doc = cJSON_Parse("[{\"n\":\"a\"},{\"n\":\"a\"}]");
    m.rows = xstrdup("");
    m.key = xstrdup("/n");
    m.cols[QUEUE_NAME] = xstrdup("/n");
    rs = rowset_create(MODEL_QUEUES, "hj");
    ok = plugin_map_rows(doc, &m, rs, NULL, &cause);
    tap_ok(!ok && strstr(cause, "duplicate key 'a'") != NULL,
           "rows = \"\" is the document; duplicate keys refused");
    free(cause);
    rowset_destroy(rs);
    plugin_map_free(&m);
    cJSON_Delete(doc);
}

/* ---- shell quoting ---- */

static char *tmpdir;

/* Run cmd through /bin/sh and return its stdout. */
/* Output of cmd run by /bin/sh with env ("NAME=value", NULL-terminated) set. */
static char *sh_output(const char *cmd, char **env)
{
    for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
        char *copy = xstrdup(env[i]);
        char *eq = strchr(copy, '=');
        *eq = '\0';
        setenv(copy, eq + 1, 1);
        free(copy);
    }
    FILE *f = popen(cmd, "r");
    char *out = xcalloc(1, 4096);
    size_t n = f != NULL ? fread(out, 1, 4095, f) : 0;
    out[n] = '\0';
    if (f != NULL) {
        pclose(f);
    }
    return out;
}

static void test_quoting(void)
{
    char *pwned = xasprintf("%s/pwned", tmpdir);
    char *dollar = xasprintf("$(touch %s)", pwned);
    char *tick = xasprintf("`touch %s`", pwned);
    char *semi = xasprintf("x; touch %s", pwned);
    char *quote = xasprintf("x'; touch %s; '", pwned);
    char *nl = xasprintf("a\ntouch %s\n", pwned);
    const char *values[] = {dollar, tick,    semi, quote, nl,       "",       "'",  "''",
                            "\\",   "$HOME", "*",  "-n",  "a b  c", "\"dq\"", "!x", "~root"};
    struct plugin_rows keep = {0};
    struct rowset *rs;
    char *cause;
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        /* the value travels as a plugin would print it: inside JSON */
        cJSON *o = cJSON_CreateObject();
        cJSON *rows = cJSON_AddArrayToObject(o, "rows");
        cJSON *row = cJSON_CreateObject();
        cJSON_AddStringToObject(row, "key", "k");
        cJSON_AddStringToObject(cJSON_AddObjectToObject(row, "cells"), "QUEUE", values[i]);
        cJSON_AddItemToArray(rows, row);
        char *json = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        bool ok = parse(MODEL_QUEUES, json, &rs, &keep, &cause);
        free(json);
        rowset_destroy(rs);
        struct shtmpl_command cmd = {0};
        ok = ok && plugin_command(MODEL_QUEUES,
                                  "printf '%s|' ${QUEUE} ${input}; printf '<%s>' \"q=${QUEUE}\"",
                                  "k", plugin_rows_find(&keep, "k"), values[i], &cmd, &cause);
        char *out = ok ? sh_output(cmd.command, cmd.env) : xstrdup("(no command)");
        char *want = xasprintf("%s|%s|<q=%s>", values[i], values[i], values[i]);
        char *what = xasprintf("value %zu reaches the command as one word, unchanged", i);
        tap_is_str(out, want, what);
        free(what);
        free(want);
        free(out);
        shtmpl_command_finish(&cmd);
    }
    struct stat st;
    tap_ok(stat(pwned, &st) != 0, "no hostile value ran a command");
    plugin_rows_clear(&keep);
    free(pwned);
    free(dollar);
    free(tick);
    free(semi);
    free(quote);
    free(nl);
}

static void template_refused(const char *tmpl, bool input, const char *want)
{
    char *cause = NULL;
    bool ok = plugin_template_check(MODEL_QUEUES, tmpl, input, &cause);
    tap_ok(!ok && cause != NULL && strstr(cause, want) != NULL, "refused: %s", tmpl);
    if (ok || cause == NULL || strstr(cause, want) == NULL) {
        tap_diag("got '%s'", cause != NULL ? cause : "(accepted)");
    }
    free(cause);
}

static void test_templates(void)
{
    char *cause = NULL;
    tap_ok(plugin_template_check(MODEL_QUEUES, "redis-cli XTRIM ${QUEUE} MAXLEN ${input} | cat",
                                 true, &cause),
           "a template with bare variables");
    tap_ok(plugin_template_check(MODEL_QUEUES, "echo \"$HOME\" '$x' \\${QUEUE} ${key} ${msgs}",
                                 false, &cause),
           "shell variables, quotes without ${...}, an escaped ${ and folded case are fine");
    template_refused("echo '${QUEUE}'", false, "inside single quotes");
    template_refused("echo $((${MSGS} + 1))", false, "inside $(( ))");
    template_refused("echo `echo ${QUEUE}`", false, "inside backquotes");
    template_refused("sh -c \"echo ${QUEUE}\"", false, "sh -c");
    tap_ok(plugin_template_check(MODEL_QUEUES, "echo \"x ${QUEUE}\"", false, &cause),
           "a variable inside double quotes is data");
    template_refused("echo ${QUEU}", false, "unknown variable ${QUEU}");
    template_refused("echo ${input}", false, "unknown variable ${input}");
    template_refused("echo ${QUEUE", false, "unterminated");
    template_refused("echo 'x", false, "unterminated single quote");
    template_refused("echo ${HOME:-x}", false, "unknown variable");
    struct shtmpl_command cmd;
    tap_ok(plugin_command(MODEL_QUEUES, "a ${MSGS} b ${IN/s}", "k", NULL, NULL, &cmd, &cause),
           "a command for no row");
    tap_ok(strcmp(cmd.env[0], "OPSDECK_VAR_MSGS=") == 0, "no row: cells are empty values");
    shtmpl_command_finish(&cmd);
}

/* ---- streamed (issue 19): the output is read a row at a time ---- */

static void test_streamed(void)
{
    struct rowset *rs;
    char *cause;
    bool ok = parse(MODEL_QUEUES,
                    "{\"version\":2,\"rows\":[{\"key\":\"a\",\"cells\":{\"MSGS\":1}}],"
                    "\"generated\":{\"at\":\"[not] {a} \\\"row\\\"\"}}",
                    &rs, NULL, &cause);
    tap_ok(ok && rs->nrows == 1 && rowset_cell_num(rs, 0, QUEUE_MSGS) == 1,
           "members before and after rows (brackets in strings) are fine");
    rowset_destroy(rs);
    error_has(MODEL_QUEUES, "{\"rows\":[{\"key\":\"a\"}],\"error\":\"late\"}", "plugin error: late",
              "an error after the rows is still the plugin's message");
    error_has(MODEL_QUEUES, "{\"rows\":[3],\"error\":\"first\"}", "plugin error: first",
              "an error beside a bad row wins, as it always has");
    error_has(MODEL_QUEUES, "{\"rows\":[{\"key\":\"a\"}]} trailing",
              "bad output: unexpected data after the JSON at byte 23 of 31",
              "trailing data after the rows (once ignored) is refused");
    error_has(MODEL_QUEUES, "{\"rows\":[{\"key\":\"a\"},", "not JSON", "output cut in the rows");
    error_has(MODEL_QUEUES, "{\"rows\":{\"key\":\"a\"}}", "no \"rows\" array",
              "rows that are an object");

    /* a large output: every row, keys checked across all of them */
    struct strbuf sb = {0};
    strbuf_str(&sb, "{\"rows\":[");
    for (int i = 0; i < 50000; i++) {
        strbuf_printf(&sb, "%s{\"key\":\"q%d\",\"cells\":{\"QUEUE\":\"q%d\",\"MSGS\":%d}}",
                      i > 0 ? "," : "", i, i, i);
    }
    strbuf_str(&sb, "]}");
    ok = parse(MODEL_QUEUES, sb.s, &rs, NULL, &cause);
    tap_ok(ok && rs->nrows == 50000 && rowset_cell_num(rs, 49999, QUEUE_MSGS) == 49999,
           "50,000 rows, streamed");
    rowset_destroy(rs);
    strbuf_str(&sb, ""); /* keep sb.s */
    sb.s[sb.n - 2] = '\0';
    char *dup = xasprintf("%s,{\"key\":\"q7\"}]}", sb.s);
    error_has(MODEL_QUEUES, dup, "row 50001: duplicate key 'q7'", "a duplicate among 50,001 rows");
    free(dup);
    free(sb.s);

    /* the rows pointer as a member path */
    static const struct {
        const char *ptr, *member;
    } paths[] = {
        {"", ""},
        {"/data/queues", "data.queues"},
        {"/items", "items"},
        {"/a~1b/c~0d", "a/b.c~d"},
        {"/data/0", NULL},
        {"/data.x/y", NULL},
        {"/data//y", NULL},
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char *m = NULL;
        bool has = plugin_pointer_member(paths[i].ptr, &m);
        tap_ok(paths[i].member != NULL ? has && strcmp(m, paths[i].member) == 0 : !has,
               "rows pointer '%s' as a member path: %s", paths[i].ptr,
               has ? m : "none (read whole)");
        free(m);
    }
}

int main(void)
{
    char tmpl[] = "/tmp/opsdeck-test-plugins.XXXXXX";
    tmpdir = mkdtemp(tmpl);
    test_schema_good();
    test_schema_errors();
    test_streamed();
    test_pointer();
    test_map();
    test_quoting();
    test_templates();
    char *rm = xasprintf("rm -rf '%s'", tmpdir);
    if (system(rm) != 0) {
        tap_diag("could not remove %s", tmpdir);
    }
    free(rm);
    return tap_done();
}
