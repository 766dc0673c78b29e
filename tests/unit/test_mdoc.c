/*
 * The Markdown layer of runbooks and drills (engine/mdoc.c): headings into
 * nodes with their lines, plain body text, code blocks, `opsdeck` annotation
 * keys with their lines, malformed annotation lines as issues, the node cap,
 * and the small text helpers both parsers share.
 */
#include "../../common/util.h"
#include "../../engine/mdoc.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char DOC[] = "Intro text\n"             /* 1 */
                          "\n"                       /* 2 */
                          "# The Title\n"            /* 3 */
                          "\n"                       /* 4 */
                          "Before the first step.\n" /* 5 */
                          "\n"                       /* 6 */
                          "## Step one\n"            /* 7 */
                          "Some *emphasis* and `code` and a [link](http://x).\n"
                          "Second line.\n"  /* 9 */
                          "\n"              /* 10 */
                          "- item a\n"      /* 11 */
                          "- item b\n"      /* 12 */
                          "\n"              /* 13 */
                          "1. first\n"      /* 14 */
                          "2. second\n"     /* 15 */
                          "\n"              /* 16 */
                          "```opsdeck\n"    /* 17 */
                          "type: command\n" /* 18 */
                          "run: echo a # not a comment\n"
                          "timeout: 5m # a comment\n" /* 20 */
                          "Key: Value\n"              /* 21 */
                          "garbage line\n"            /* 22 */
                          "# comment line\n"          /* 23 */
                          "```\n"                     /* 24 */
                          "\n"                        /* 25 */
                          "```sh\n"                   /* 26 */
                          "echo one\n"                /* 27 */
                          "echo two\n"                /* 28 */
                          "```\n"                     /* 29 */
                          "\n"                        /* 30 */
                          "    indented code\n"       /* 31 */
                          "\n"                        /* 32 */
                          "### Sub &amp; step &#x41;\n"
                          "> quoted\n" /* 34 */
                          "\n"         /* 35 */
                          "##\n";      /* 36 */

static const char *const FREE_KEYS[] = {"run", NULL};

static char *body(const struct mdoc_node *n)
{
    return mdoc_body_text(&n->body);
}

static void test_walk(void)
{
    struct mdoc m;
    mdoc_init(&m, DOC, strlen(DOC));
    tap_is_int((long long)m.nlines, 37, "mdoc_init counts the lines (the last one empty)");
    tap_ok(mdoc_parse_markdown(&m, FREE_KEYS, 100), "the walk succeeds");
    tap_is_str(m.title, "The Title", "the H1 is the title");
    if (!tap_is_int((long long)m.nnodes, 4, "the intro and one node per other heading")) {
        mdoc_finish(&m);
        return;
    }
    const struct mdoc_node *intro = &m.nodes[0];
    tap_ok(intro->level == 0 && intro->line == 1, "nodes[0] is the intro, at line 1");
    char *b = body(intro);
    tap_is_str(b, "Intro text\n\nBefore the first step.", "the intro keeps what the title splits");
    free(b);

    const struct mdoc_node *one = &m.nodes[1];
    tap_ok(one->level == 2 && one->line == 7, "a level-2 heading at its line");
    tap_is_str(one->title, "Step one", "its title");
    tap_ok(one->content, "a node with text has content");
    b = body(one);
    tap_is_str(b,
               "Some emphasis and code and a link <http://x>. Second line.\n\n"
               "- item a\n- item b\n\n1. first\n2. second",
               "body: inline markup gone, a soft break a blank, lists kept as lists");
    free(b);
    if (tap_is_int((long long)one->ncode, 2, "two code blocks; the annotation is not one")) {
        tap_is_str(one->code[0], "echo one\necho two", "a fenced block, without its fences");
        tap_is_int(one->code_line[0], 27, "its first line");
        tap_is_str(one->code[1], "indented code", "an indented block");
        tap_is_int(one->code_line[1], 31, "its first line");
    }
    if (tap_is_int((long long)one->nkvs, 4, "four annotation keys")) {
        tap_ok(strcmp(one->kvs[0].key, "type") == 0 && one->kvs[0].line == 18, "type at 18");
        tap_is_str(one->kvs[1].value, "echo a # not a comment",
                   "a free-text key keeps its '#' (run)");
        tap_is_str(one->kvs[2].value, "5m", "another key loses its comment");
        tap_ok(strcmp(one->kvs[3].key, "key") == 0 && strcmp(one->kvs[3].value, "Value") == 0,
               "keys are lower case, values as written");
        tap_is_int(one->kvs[3].line, 21, "each key has its line");
    }
    if (tap_is_int((long long)m.nissues, 1, "one malformed annotation line")) {
        tap_is_int(m.issues[0].line, 22, "named by its line");
        tap_is_str(m.issues[0].message, "expected 'key: value', got 'garbage line'",
                   "and what was wrong");
    }

    const struct mdoc_node *sub = &m.nodes[2];
    tap_ok(sub->level == 3 && sub->line == 33, "a level-3 heading at its line");
    tap_is_str(sub->title, "Sub & step A", "entities in a title are decoded");
    b = body(sub);
    tap_is_str(b, "> quoted", "a quote keeps its marker");
    free(b);

    const struct mdoc_node *empty = &m.nodes[3];
    tap_ok(empty->line == 36 && empty->title != NULL && empty->title[0] == '\0' && !empty->content,
           "an empty heading: its line, an empty title, no content");
    mdoc_finish(&m);
    tap_ok(m.nodes == NULL && m.nnodes == 0, "mdoc_finish empties it");
}

static void test_too_many(void)
{
    struct strbuf sb = {0};
    for (int i = 0; i < 20; i++) {
        strbuf_printf(&sb, "## Step %d\n\ntext\n\n", i);
    }
    struct mdoc m;
    mdoc_init(&m, sb.s, sb.n);
    tap_ok(!mdoc_parse_markdown(&m, NULL, 5), "more headings than the cap: the walk fails");
    tap_ok(m.too_many, "... and says why");
    tap_ok(m.nnodes <= 7, "it stopped near the cap (%zu nodes)", m.nnodes);
    mdoc_finish(&m);

    mdoc_init(&m, sb.s, sb.n);
    tap_ok(mdoc_parse_markdown(&m, NULL, 100) && !m.too_many && m.nnodes == 21,
           "under the cap: every heading");
    tap_ok(m.title == NULL, "no H1: no title");
    mdoc_finish(&m);
    free(sb.s);
}

static void test_lines(void)
{
    const char *src = "a\nbb\n\nccc";
    struct mdoc m;
    mdoc_init(&m, src, strlen(src));
    tap_is_int(mdoc_line_at(&m, 0), 1, "offset 0 is line 1");
    tap_is_int(mdoc_line_at(&m, 1), 1, "the newline belongs to its line");
    tap_is_int(mdoc_line_at(&m, 2), 2, "the next byte starts line 2");
    tap_is_int(mdoc_line_at(&m, 5), 3, "an empty line");
    tap_is_int(mdoc_line_at(&m, 8), 4, "the last line without a newline");
    tap_ok(mdoc_in_src(&m, src + 3) && !mdoc_in_src(&m, src + strlen(src)) &&
               !mdoc_in_src(&m, NULL),
           "mdoc_in_src: inside only");
    mdoc_finish(&m);
}

static void test_by_hand(void)
{
    struct mdoc m;
    mdoc_init(&m, "", 0);
    struct mdoc_node *n = mdoc_push_node(&m, 2, xstrdup("From JSON"), 4);
    mdoc_node_add_kv(n, "type", "wait", 5);
    mdoc_node_add_kv(n, "until", "queues x ready < 1", 6);
    mdoc_node_add_kv(n, "interval", "1s", 7);
    mdoc_node_add_code(n, "echo hi", 8);
    tap_ok(m.nnodes == 1 && n->level == 2 && n->line == 4, "a node built by hand");
    tap_ok(n->nkvs == 3 && strcmp(n->kvs[2].key, "interval") == 0 && n->kvs[2].line == 7,
           "keys in order, with their lines (the array grows)");
    tap_ok(n->ncode == 1 && n->code_line[0] == 8 && strcmp(n->code[0], "echo hi") == 0,
           "a code block with its line");
    mdoc_add_issue(&m, 9, xstrdup("second"));
    mdoc_add_issue(&m, 3, xstrdup("first"));
    mdoc_add_issue(&m, 9, xstrdup("third"));
    mdoc_issues_warn(&m.issues, &m.nissues, 1, xstrdup("a warning"));
    mdoc_issues_sort(m.issues, m.nissues);
    tap_ok(m.nissues == 4 && m.issues[0].line == 1 && m.issues[0].warning,
           "a warning is an issue marked so");
    tap_ok(strcmp(m.issues[1].message, "first") == 0 &&
               strcmp(m.issues[2].message, "second") == 0 &&
               strcmp(m.issues[3].message, "third") == 0 && !m.issues[2].warning,
           "issues sort by line, in the order found within a line");
    mdoc_finish(&m);
}

static void test_text(void)
{
    size_t bad = 0;
    tap_ok(mdoc_valid_text("plain\ttext\r\n", 12, &bad), "tabs and CR LF are text");
    tap_ok(mdoc_valid_text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5", 14, &bad),
           "UTF-8 of two, three and four bytes");
    tap_ok(!mdoc_valid_text("ab\x1b[31m", 7, &bad) && bad == 2, "ESC is not text (at 2)");
    tap_ok(mdoc_is_control("ab\x1b", 3, 2) && !mdoc_is_control("ab\x1b", 3, 1),
           "mdoc_is_control tells a control from bad UTF-8");
    tap_ok(!mdoc_valid_text("a\xc0\xaf", 3, &bad) && bad == 1, "an overlong form is refused");
    tap_ok(!mdoc_valid_text("a\xe2\x82", 3, &bad) && bad == 1, "a cut sequence is refused");
    tap_ok(!mdoc_valid_text("\x80x", 2, &bad) && bad == 0, "a stray continuation is refused");
    tap_ok(!mdoc_is_control("\xc0", 1, 0), "... and is not a control");

    char *s = mdoc_slug("Check the error-rate: 5xx!");
    tap_is_str(s, "check-the-error-rate-5xx", "a slug: lower case, one dash per gap");
    free(s);
    s = mdoc_slug("  Café déjà vu ");
    tap_is_str(s, "caf-d-j-vu", "a slug keeps ASCII letters and digits only");
    free(s);
    s = mdoc_slug("!!!");
    tap_is_str(s, "", "nothing to keep: empty");
    free(s);

    tap_ok(mdoc_hash("", 0) == 0xcbf29ce484222325ULL, "FNV-1a of nothing is the offset basis");
    tap_ok(mdoc_hash("a", 1) == 0xaf63dc4c8601ec8cULL, "FNV-1a of 'a'");
    tap_ok(mdoc_hash("ab", 2) != mdoc_hash("ba", 2), "order matters");

    s = mdoc_default_title("/srv/runbooks/pool-server-down.md");
    tap_is_str(s, "pool-server-down", "a default title: the file name without the extension");
    free(s);
    s = mdoc_default_title("drill.v2.md");
    tap_is_str(s, "drill", "... without every extension");
    free(s);
    s = mdoc_trim_dup("  x y \t", 7);
    tap_is_str(s, "x y", "mdoc_trim_dup trims both ends");
    free(s);
    s = mdoc_trim_dup("  abc  ", 4);
    tap_is_str(s, "ab", "... within the length given");
    free(s);

    char v1[] = "5m # five minutes", v2[] = "a#b", v3[] = "# all comment", v4[] = "x\t# tab";
    mdoc_strip_comment(v1);
    mdoc_strip_comment(v2);
    mdoc_strip_comment(v3);
    mdoc_strip_comment(v4);
    tap_is_str(v1, "5m", "a comment after a blank goes");
    tap_is_str(v2, "a#b", "a '#' inside a word stays");
    tap_is_str(v3, "", "a value that is all comment is empty");
    tap_is_str(v4, "x", "after a tab too");

    struct strbuf sb = {0};
    strbuf_str(&sb, "\n\r\nbody text \n\t ");
    s = mdoc_body_text(&sb);
    tap_is_str(s, "body text", "a body without leading blank lines or trailing blanks");
    free(s);
    free(sb.s);
}

static void test_read_file(const char *dir)
{
    char *path = xasprintf("%s/doc.md", dir);
    FILE *f = fopen(path, "w");
    fputs("# Small\n", f);
    fclose(f);
    size_t len = 0;
    char *cause = NULL;
    char *text = mdoc_read_file(path, 1024, &len, &cause);
    tap_ok(text != NULL && len == 8 && strcmp(text, "# Small\n") == 0, "a file is read whole");
    free(text);
    text = mdoc_read_file(path, 8, &len, &cause);
    tap_ok(text != NULL && len == 8, "exactly the cap is fine");
    free(text);
    text = mdoc_read_file(path, 7, &len, &cause);
    tap_ok(text == NULL && cause != NULL && strstr(cause, "larger than") != NULL,
           "over the cap: refused (%s)", cause != NULL ? cause : "");
    free(cause);
    cause = NULL;
    text = mdoc_read_file(dir, 1024, &len, &cause);
    tap_ok(text == NULL && cause != NULL && strstr(cause, "not a regular file") != NULL,
           "a directory is refused");
    free(cause);
    cause = NULL;
    char *missing = xasprintf("%s/nope.md", dir);
    text = mdoc_read_file(missing, 1024, &len, &cause);
    tap_ok(text == NULL && cause != NULL && strstr(cause, "No such file") != NULL,
           "a missing file: the path and why");
    free(cause);
    unlink(path);
    free(path);
    free(missing);
}

int main(void)
{
    char tmpl[] = "/tmp/opsdeck-mdoc.XXXXXX";
    char *dir = mkdtemp(tmpl);
    test_walk();
    test_too_many();
    test_lines();
    test_by_hand();
    test_text();
    if (dir != NULL) {
        test_read_file(dir);
        tap_ok(rmdir(dir) == 0, "cleanup");
    }
    return tap_done();
}
