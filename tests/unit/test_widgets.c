/*
 * The dialog's one focus rule (fields, then the confirm button, then Cancel;
 * Cancel first when there is nothing to type), wrapping that keeps every
 * character, the viewer's fields and what y copies, and the exact bytes of
 * the OSC 52 clipboard sequence.
 */
#include "../../tui/clipboard.h"
#include "../../tui/table.h"
#include "../../tui/widgets.h"
#include "tap.h"

#include <locale.h>

static enum dialog_result press(struct dialog *d, wint_t ch)
{
    return dialog_key(d, ch, false);
}

static enum dialog_result press_key(struct dialog *d, wint_t key)
{
    return dialog_key(d, key, true);
}

static void test_focus_no_field(void)
{
    struct dialog d;
    dialog_open(&d, "Drain", "Drain server be_web/web2", "Drain", NULL, NULL, NULL);
    tap_is_int(d.focus, dialog_cancel_at(&d), "nothing to type: Cancel has the focus first");
    tap_is_int(press(&d, '\r'), DIALOG_CANCEL, "Enter on it cancels");
    press(&d, '\t');
    tap_is_int(d.focus, dialog_confirm_at(&d), "Tab: the confirm button");
    press(&d, '\t');
    tap_is_int(d.focus, dialog_cancel_at(&d), "Tab again: Cancel (the order goes round)");
    press_key(&d, KEY_BTAB);
    tap_is_int(d.focus, dialog_confirm_at(&d), "Shift-Tab goes back");
    tap_is_int(press(&d, '\r'), DIALOG_CONFIRM, "Enter on the confirm button confirms");
    dialog_close(&d);
}

static void test_focus_one_field(void)
{
    struct dialog d;
    dialog_open(&d, "Peek", "Peek at queue q", "Peek", "Messages", "5", NULL);
    tap_is_int(d.focus, 0, "a value to type: its field has the focus first");
    press(&d, '\t');
    tap_is_int(d.focus, dialog_confirm_at(&d),
               "Tab from the field: the confirm button, not Cancel");
    press(&d, '\t');
    tap_is_int(d.focus, dialog_cancel_at(&d), "then Cancel");
    press(&d, '\t');
    tap_is_int(d.focus, 0, "then the field again");
    dialog_close(&d);

    dialog_open(&d, "Purge", "Purge queue q", "Purge", NULL, NULL, "orders");
    tap_is_int(d.focus, 0, "a typed confirmation: the field first");
    for (const char *c = "orders"; *c; c++) {
        press(&d, (wint_t)*c);
    }
    tap_is_str(dialog_field(&d, 0), "orders", "typing goes to it");
    tap_is_int(press(&d, '\t'), DIALOG_OPEN, "Tab moves on");
    tap_is_int(press(&d, '\r'), DIALOG_CONFIRM, "Enter on the confirm button confirms");
    dialog_close(&d);

    /* the typed word is the deliberate act: Enter on it confirms; anything else says so */
    dialog_open(&d, "Emergency stop", "Abort?", "Abort", NULL, NULL, "abort\nPINEAPPLE");
    tap_ok(strstr(d.labels[0], "'abort' (or 'PINEAPPLE')") != NULL, "both words are named (%s)",
           d.labels[0]);
    for (const char *c = "abrot"; *c; c++) {
        press(&d, (wint_t)*c);
    }
    tap_is_int(press(&d, '\r'), DIALOG_OPEN, "a wrong word + Enter keeps the dialog");
    tap_ok(d.error != NULL && strstr(d.error, "'abrot' is not 'abort'") != NULL,
           "and says why (%s)", d.error ? d.error : "(none)");
    tap_is_int(d.focus, 0, "the field keeps the focus");
    press(&d, 'x');
    tap_ok(d.error == NULL, "the message goes at the next key");
    dialog_close(&d);
    const char *words[] = {"abort", "ABORT", " abort ", "pineapple"};
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        dialog_open(&d, "Emergency stop", "Abort?", "Abort", NULL, NULL, "abort\nPINEAPPLE");
        for (const char *c = words[w]; *c; c++) {
            press(&d, (wint_t)*c);
        }
        tap_ok(press(&d, '\r') == DIALOG_CONFIRM, "'%s' + Enter confirms", words[w]);
        dialog_close(&d);
    }
    dialog_open(&d, "Emergency stop", "Abort?", "Abort", NULL, NULL, "abort");
    tap_is_int(press(&d, '\r'), DIALOG_OPEN, "Enter on nothing typed keeps the dialog");
    tap_ok(d.error != NULL && strstr(d.error, "type abort then Enter; Esc cancels") != NULL,
           "and says what to type (%s)", d.error ? d.error : "(none)");
    tap_is_int(press(&d, 27), DIALOG_CANCEL, "Esc cancels");
    dialog_close(&d);

    dialog_open(&d, "Purge", "Purge queue q", "Purge", NULL, NULL, "orders");
    press(&d, '\t');
    tap_is_int(press(&d, '\r'), DIALOG_OPEN, "untyped, the confirm button does nothing");
    dialog_close(&d);
}

static void test_focus_form(void)
{
    const char *labels[] = {"Matchers", "Duration", "Comment"};
    char *values[] = {"alertname=\"X\"", "2h", "from opsdeck"};
    struct dialog d;
    dialog_open_form(&d, "Silence", "Silence alert X", "Silence", labels, values, 3);
    tap_is_int(d.focus, 0, "a form: the first field first");
    int order[6];
    for (int i = 0; i < 6; i++) {
        order[i] = d.focus;
        press(&d, '\t');
    }
    tap_ok(order[0] == 0 && order[1] == 1 && order[2] == 2 && order[3] == dialog_confirm_at(&d) &&
               order[4] == dialog_cancel_at(&d) && order[5] == 0,
           "Tab: fields, Silence, Cancel, the first field (%d %d %d %d %d %d)", order[0], order[1],
           order[2], order[3], order[4], order[5]);
    d.focus = dialog_first_focus(&d);
    tap_is_int(press(&d, '\r'), DIALOG_OPEN, "Enter on a field: open");
    press(&d, '\r');
    tap_is_int(press(&d, '\r'), DIALOG_OPEN, "Enter on the last field: still open");
    tap_is_int(d.focus, dialog_confirm_at(&d),
               "Enter past the last field lands on the confirm button");
    tap_is_int(press(&d, '\r'), DIALOG_CONFIRM, "a deliberate Enter there confirms");
    dialog_close(&d);
}

static void test_scroll(void)
{
    struct dialog d;
    dialog_open(&d, "Run", "a\nb\nc", "Run", NULL, NULL, NULL);
    d.body_rows = 30;
    d.body_shown = 10;
    press_key(&d, KEY_NPAGE);
    tap_is_int(d.scroll, 9, "PgDn scrolls the body a page");
    press_key(&d, KEY_NPAGE);
    press_key(&d, KEY_NPAGE);
    tap_is_int(d.scroll, 20, "not past the last row");
    press_key(&d, KEY_UP);
    tap_is_int(d.scroll, 19, "Up scrolls a row back");
    tap_is_int(d.focus, dialog_cancel_at(&d), "scrolling leaves the focus where it was");
    dialog_close(&d);
}

static void test_wrap(void)
{
    const char *cmd = "cut -d, -f1,2 access.log | grep -E '^(GET|POST)  /api' | sort";
    struct strbuf sb = {0};
    int rows = 0;
    bool fits = true;
    for (const char *p = cmd; *p;) {
        size_t shown;
        size_t n = utf8_wrap_next(p, 20, &shown);
        char *row = xstrndup(p, shown);
        fits = fits && utf8_width(row) <= 20 && n > 0;
        free(row);
        strbuf_add(&sb, p, n);
        p += n;
        rows++;
    }
    tap_ok(fits, "every row fits 20 cells");
    tap_is_str(sb.s, cmd,
               "the rows put back together are the command, every byte (two blanks too)");
    tap_ok(rows == 4, "in 4 rows (%d)", rows);
    free(sb.s);
    size_t shown;
    tap_is_int((long long)utf8_wrap_next("https://example.com/a/very/long/path", 10, &shown), 10,
               "a word longer than the row breaks inside");
    tap_is_int((long long)utf8_wrap_next("hello world", 8, &shown), 6, "breaks after the blank");
    tap_is_int((long long)shown, 5, "and the blank is not drawn");
    tap_is_int((long long)utf8_wrap_next("ab\ncd", 10, &shown), 2, "stops at a newline");
    tap_is_int((long long)utf8_wrap_next("日本語の", 5, &shown), 6,
               "wide characters count two cells");
}

static void test_viewer_copy(void)
{
    struct viewer v;
    viewer_open(&v, "Alerts abc (am)");
    viewer_add(&v, "%s\t%s", "SEV", "critical");
    viewer_add(&v, "%s", "");
    viewer_add(&v, "%s\t%s", "runbook_url", "https://runbooks.example.com/shop/queue-backlog.md");
    char *what = NULL;
    char *text = viewer_copy_text(&v, &what);
    tap_is_str(text, "critical", "y copies the selected field's value (the first field at first)");
    tap_is_str(what, "SEV", "named by its label");
    free(text);
    free(what);
    viewer_key(&v, 'j', false, 10);
    viewer_key(&v, 'j', false, 10);
    text = viewer_copy_text(&v, &what);
    tap_is_str(text, "https://runbooks.example.com/shop/queue-backlog.md",
               "j moves to the runbook_url: the whole URL, no label");
    free(text);
    free(what);
    viewer_close(&v);
    viewer_open(&v, "message");
    viewer_add(&v, "line one");
    viewer_add(&v, "line two");
    text = viewer_copy_text(&v, &what);
    tap_is_str(text, "line one\nline two", "without fields y copies the whole text");
    free(text);
    free(what);
    viewer_close(&v);
}

static void test_osc52(void)
{
    char *cause = NULL;
    char *seq = clipboard_sequence("opsdeck", &cause);
    tap_is_str(seq, "\033]52;c;b3BzZGVjaw==\a", "OSC 52: ESC ] 52 ; c ; base64 BEL, exactly");
    free(seq);
    seq = clipboard_sequence("a\033]0;x\a\n", &cause);
    tap_is_str(seq, "\033]52;c;YRtdMDt4Bwo=\a",
               "control bytes travel inside the base64, never raw");
    free(seq);
    char *b = base64_encode("\xff\xfe\x00", 3);
    tap_is_str(b, "//4A", "binary bytes, a NUL among them");
    free(b);
    b = base64_encode("ab", 2);
    tap_is_str(b, "YWI=", "one byte of padding");
    free(b);
    char *big = xmalloc(CLIPBOARD_MAX + 2);
    memset(big, 'x', CLIPBOARD_MAX + 1);
    big[CLIPBOARD_MAX + 1] = '\0';
    seq = clipboard_sequence(big, &cause);
    tap_ok(seq == NULL && cause != NULL && strstr(cause, "too long") != NULL,
           "over the cap: refused with a reason (%s)", cause ? cause : "none");
    free(cause);
    big[CLIPBOARD_MAX] = '\0';
    cause = NULL;
    seq = clipboard_sequence(big, &cause);
    tap_ok(seq != NULL && strlen(seq) <= 100000, "at the cap: sent, %zu bytes of sequence",
           seq ? strlen(seq) : 0);
    free(seq);
    free(big);
}

/* h/l: a long SUMMARY in a 40-cell table can be read whole by scrolling. */
static void test_hscroll(void)
{
    struct store *st = store_create();
    struct rowset *rs = rowset_create(MODEL_ALERTS, "am");
    rowset_begin(rs, "fp1");
    rowset_text(rs, ALERT_SEV, "critical");
    rowset_text(rs, ALERT_NAME, "CheckoutErrors");
    rowset_text(rs, ALERT_SUMMARY,
                "Checkout error ratio above 5% for 10 minutes on every region of "
                "the shop, see the runbook before you drain anything");
    store_publish(st, rs);
    struct tableview tv;
    tableview_init(&tv, MODEL_ALERTS);
    tableview_refresh(&tv, st);
    struct table_layout lay;
    table_layout(&tv, 40, &lay);
    tap_ok(lay.natural > 40 && lay.total == 40, "fitted: the row takes the width, more exists (%d)",
           lay.natural);
    tap_ok(!table_hscroll(&tv, 40, -1), "h at the fitted view: nowhere to go");
    tap_ok(table_hscroll(&tv, 40, 1) && tv.wide && tv.hoff == 0, "l: every column whole");
    table_layout(&tv, 40, &lay);
    int summary = -1;
    for (int i = 0; i < lay.ncols; i++) {
        summary = lay.col[i] == ALERT_SUMMARY ? lay.width[i] : summary;
    }
    tap_ok(summary >= 111, "the SUMMARY column is as wide as its text (%d)", summary);
    int steps = 0;
    while (table_hscroll(&tv, 40, 1) && steps < 100) {
        steps++;
    }
    tap_ok(tv.hoff == lay.total - 40, "l again scrolls, up to the last cell of the row (%d of %d)",
           tv.hoff, lay.total);
    while (tv.wide && steps < 200) {
        table_hscroll(&tv, 40, -1);
        steps++;
    }
    tap_ok(!tv.wide && tv.hoff == 0, "h back past the left edge: the fitted view again");
    tableview_finish(&tv);
    store_destroy(st);
}

int main(void)
{
    test_hscroll();
    setlocale(LC_ALL, "C.UTF-8");
    test_focus_no_field();
    test_focus_one_field();
    test_focus_form();
    test_scroll();
    test_wrap();
    test_viewer_copy();
    test_osc52();
    return tap_done();
}
