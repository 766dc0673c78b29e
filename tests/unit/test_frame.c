/*
 * Text down a pane (panes/frame.h) collected as lines: paragraphs wrapped and
 * never cut (a word wider than the line is broken), lines broken with their
 * blanks kept (code, output), Markdown tables in aligned columns wrapped to
 * the width with their head marked.
 */
#include "../../common/util.h"
#include "../../panes/frame.h"
#include "tap.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

static struct frame_lines lines;

static struct frame at(int w)
{
    frame_lines_free(&lines);
    return frame_collect(&lines, w, screen_glyphs(false));
}

static bool all_fit(int w)
{
    for (size_t i = 0; i < lines.n; i++) {
        if (utf8_width(lines.v[i].text) > w) {
            tap_diag("line %zu is %d wide: '%s'", i, utf8_width(lines.v[i].text), lines.v[i].text);
            return false;
        }
    }
    return true;
}

static char *joined(void)
{
    struct strbuf sb = {0};
    strbuf_add(&sb, "", 0);
    for (size_t i = 0; i < lines.n; i++) {
        strbuf_printf(&sb, "%s\n", lines.v[i].text);
    }
    return sb.s;
}

static void test_wrap(void)
{
    struct frame f = at(20);
    frame_put_text(&f, "Never drain more than one server of be_web at a time", 0, "-");
    char *s = joined();
    tap_is_str(s, "Never drain more\nthan one server of\nbe_web at a time\n",
               "a paragraph wraps at the width, every word kept");
    free(s);
    f = at(10);
    frame_put_text(&f, "see https://wiki.example.com/runbooks/web", 0, "-");
    tap_ok(all_fit(10), "a word wider than the line is broken, not cut");
    s = joined();
    tap_is_str(s, "see\nhttps://wi\nki.example\n.com/runbo\noks/web\n", "broken at the width");
    free(s);
    struct strbuf back = {0};
    for (size_t i = 1; i < lines.n; i++) {
        strbuf_str(&back, lines.v[i].text);
    }
    tap_is_str(back.s, "https://wiki.example.com/runbooks/web", "its pieces make the word again");
    free(back.s);
    f = at(12);
    frame_put_hard(&f, "a  b   c    d     e      f", 0, 2);
    s = joined();
    tap_is_str(s, "a  b   c    \n  d     e   \n     f\n",
               "a hard break keeps the blanks, indents the rest");
    free(s);
}

static void test_table(void)
{
    const char *text = "Before.\n"
                       "| Symptom | First move |\n"
                       "|---|:---:|\n"
                       "| 5xx | drain that server of the pool, then read its logs |\n"
                       "| all down | page |\n"
                       "After.";
    struct frame f = at(40);
    frame_put_text(&f, text, 0, "-");
    char *s = joined();
    tap_ok(all_fit(40), "the table fits the width");
    tap_is_str(s,
               "Before.\n"
               "Symptom  | First move\n"
               "----------------------------------------\n"
               "5xx      | drain that server of the\n"
               "         | pool, then read its logs\n"
               "all down | page\n"
               "After.\n",
               "columns aligned, a long cell wrapped inside its column, the head ruled");
    free(s);
    tap_ok(lines.v[1].attr & A_BOLD, "the head row is bold");
    tap_ok(!(lines.v[3].attr & A_BOLD), "a body row is not");
    f = at(80);
    frame_put_text(&f, "| a | b |\n| longer cell | x |", 0, "-");
    s = joined();
    tap_is_str(s, "a           | b\nlonger cell | x\n", "a table without a head is aligned too");
    free(s);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    test_wrap();
    test_table();
    frame_lines_free(&lines);
    return tap_done();
}
