/*
 * The line history (tui/history.h) of the :promql prompt: added lines, none
 * twice in a row, the last max kept, line breaks, a file written 0600 and
 * read back, a missing file, a line too long in the file left out.
 */
#include "../../tui/history.h"
#include "tap.h"

#include <sys/stat.h>
#include <unistd.h>

static bool same(const struct history *h, const char *const *want, size_t n)
{
    bool ok = h->n == n;
    for (size_t i = 0; ok && i < n; i++) {
        ok = strcmp(h->lines[i], want[i]) == 0;
    }
    if (!ok) {
        for (size_t i = 0; i < h->n; i++) {
            tap_diag("line %zu: '%s'", i, h->lines[i]);
        }
    }
    return ok;
}

int main(void)
{
    char dir[] = "/tmp/opsdeck-history.XXXXXX";
    if (mkdtemp(dir) == NULL) {
        tap_ok(false, "a temporary directory");
        return tap_done();
    }
    char *path = xasprintf("%s/sub/promql_history", dir);
    struct history h = {0};
    history_load(&h, path, 3);
    tap_is_int((long long)h.n, 0, "a missing file: an empty history");
    tap_ok(history_newest(&h) == NULL, "no newest line");

    tap_ok(history_add(&h, "up"), "a line is added");
    tap_ok(!history_add(&h, "up"), "the same line again is not");
    tap_ok(!history_add(&h, "  up "), "nor with spaces around it");
    tap_ok(!history_add(&h, ""), "an empty line is not added");
    tap_ok(history_add(&h, "rate(x[5m])"), "another is");
    tap_ok(history_add(&h, "up"), "an older line again is (not twice in a row)");
    tap_ok(history_add(&h, "a\nb"), "a line with a break");
    const char *want[] = {"rate(x[5m])", "up", "a b"};
    tap_ok(same(&h, want, 3), "the last 3 kept, oldest first, the break a space");
    tap_is_str(history_newest(&h), "a b", "the newest");

    char *cause = NULL;
    tap_ok(history_save(&h, path, &cause), "saved (%s)", cause ? cause : "ok");
    free(cause);
    struct stat st;
    tap_ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "the file is 0600");
    char *sub = xasprintf("%s/sub", dir);
    tap_ok(stat(sub, &st) == 0 && (st.st_mode & 0777) == 0700, "its new directory is 0700");

    struct history back = {0};
    history_load(&back, path, 50);
    tap_ok(same(&back, want, 3), "read back the same");
    history_load(&back, path, 2);
    tap_ok(same(&back, want + 1, 2), "read with a smaller max: the newest 2");

    FILE *f = fopen(path, "a");
    if (f != NULL) {
        for (int i = 0; i < 5000; i++) {
            fputc('x', f);
        }
        fputs("\nlast\n", f);
        fclose(f);
    }
    history_load(&back, path, 50);
    const char *want2[] = {"rate(x[5m])", "up", "a b", "last"};
    tap_ok(same(&back, want2, 4), "a line too long is left out whole");

    chmod(sub, 0500);
    history_add(&h, "more");
    cause = NULL;
    bool wrote = history_save(&h, path, &cause);
    tap_ok(geteuid() == 0 || (!wrote && cause != NULL), "a directory it cannot write: an error");
    free(cause);
    chmod(sub, 0700);

    history_free(&back);
    history_free(&h);
    unlink(path);
    char *tmp = xasprintf("%s.tmp", path);
    unlink(tmp);
    rmdir(sub);
    rmdir(dir);
    free(tmp);
    free(sub);
    free(path);
    return tap_done();
}
