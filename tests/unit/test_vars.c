/*
 * Variables: the table, ${name} expansion, and above all shell quoting. Each
 * hostile value is substituted into a real command line and run by /bin/sh in
 * an empty directory: the output must be the value byte for byte and nothing
 * may appear in the directory.
 */
#include "../../engine/vars.h"
#include "tap.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *run_sh(const char *cmd)
{
    FILE *f = popen(cmd, "r");
    struct strbuf sb = {0};
    strbuf_add(&sb, "", 0);
    if (f == NULL) {
        return sb.s;
    }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        strbuf_add(&sb, buf, n);
    }
    pclose(f);
    return sb.s;
}

/* Names in dir other than the sentinel file the test put there. */
static int stray_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    if (d == NULL) {
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
            strcmp(e->d_name, "sentinel") != 0) {
            n++;
        }
    }
    closedir(d);
    return n;
}

static void test_table(void)
{
    struct vars v = {0};
    vars_set(&v, "a", "1");
    vars_set(&v, "b", "2");
    vars_set(&v, "a", "3");
    tap_is_str(vars_get(&v, "a"), "3", "set twice: the later value wins");
    tap_is_int((long long)v.n, 2, "and no duplicate entry");
    vars_unset(&v, "a");
    tap_ok(vars_get(&v, "a") == NULL, "unset removes");
    tap_is_str(vars_get(&v, "b"), "2", "unset keeps the others");
    vars_unset(&v, "nope");
    tap_is_int((long long)v.n, 1, "unset of an unknown name is harmless");
    vars_clear(&v);
    tap_ok(v.n == 0 && v.names == NULL, "clear empties");

    tap_ok(vars_valid_name("instance") && vars_valid_name("_x") && vars_valid_name("a.b-c_1"),
           "valid names");
    tap_ok(!vars_valid_name("") && !vars_valid_name("1x") && !vars_valid_name("a b") &&
               !vars_valid_name("a$") && !vars_valid_name("-a"),
           "invalid names");
}

static void test_expand(void)
{
    struct vars v = {0};
    char *missing = NULL;
    vars_set(&v, "svc", "checkout");
    vars_set(&v, "q", "it's");
    vars_set(&v, "other", "OTHER");
    vars_set(&v, "ref", "${other}");

    char *s = vars_expand(&v, "restart ${svc} now", VARS_TEXT, &missing);
    tap_is_str(s, "restart checkout now", "text mode substitutes as is");
    free(s);
    s = vars_expand(&v, "echo ${q}", VARS_SHELL, &missing);
    tap_is_str(s, "echo 'it'\\''s'", "shell mode: one single-quoted word");
    free(s);
    s = vars_expand(&v, "${ref}", VARS_TEXT, &missing);
    tap_is_str(s, "${other}", "a value is not expanded again");
    free(s);
    s = vars_expand(&v, "echo $${HOME} $HOME $$ ${ svc} ${svc", VARS_SHELL, &missing);
    tap_is_str(s, "echo ${HOME} $HOME $$ ${ svc} ${svc", "$${X} escapes; other $ text untouched");
    free(s);
    s = vars_expand(&v, "${HOME:-/}", VARS_SHELL, &missing);
    tap_is_str(s, "${HOME:-/}", "shell parameter expansion is not a reference");
    free(s);
    s = vars_expand(&v, "", VARS_SHELL, &missing);
    tap_is_str(s, "", "empty template");
    free(s);
    s = vars_expand(&v, "a ${svc} ${nope} ${also}", VARS_TEXT, &missing);
    tap_ok(s == NULL, "an unset variable fails the expansion");
    tap_is_str(missing, "nope", "and names the first unset variable");
    free(missing);
    s = vars_expand(&v, "${nope}", VARS_TEXT, NULL);
    tap_ok(s == NULL, "missing may be NULL");
    char *q = vars_shell_quote("");
    tap_is_str(q, "''", "empty value quotes to ''");
    free(q);
    vars_clear(&v);
}

static void collect(const char *name, void *ud)
{
    struct strbuf *sb = ud;
    strbuf_str(sb, name);
    strbuf_str(sb, ",");
}

static void test_refs(void)
{
    struct strbuf sb = {0};
    strbuf_add(&sb, "", 0);
    vars_each_ref("x ${a} $${b} ${c.d-e} ${1x} ${f", collect, &sb);
    tap_is_str(sb.s, "a,c.d-e,", "each_ref lists references, not escapes or junk");
    free(sb.s);
}

static void test_injection(void)
{
    static const char *const corpus[] = {
        "x; rm -rf /",
        "$(touch PWNED)",
        "`touch PWNED`",
        "'; touch PWNED; '",
        "\"; touch PWNED; \"",
        "it's \"quoted\"",
        "line one\nline two\n; touch PWNED",
        "back\\slash\\",
        "\\'",
        "*",
        "sentinel*",
        "-n",
        "-e \\n",
        "",
        "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x94\xa5",
        "${other}",
        "$${X}",
        "$HOME",
        "a|touch PWNED",
        "a && touch PWNED",
        "a > PWNED",
        "~",
        "{a,b}",
        "''''",
        "  leading and trailing  ",
        "\ttab",
    };
    char tmpl[] = "/tmp/opsdeck-vars-XXXXXX";
    char *dir = mkdtemp(tmpl);
    char cwd[4096];
    if (!tap_ok(dir != NULL && getcwd(cwd, sizeof cwd) != NULL, "temp dir")) {
        return;
    }
    char *sentinel = xasprintf("%s/sentinel", dir);
    FILE *f = fopen(sentinel, "w");
    if (f != NULL) {
        fclose(f);
    }
    if (chdir(dir) != 0) {
        tap_ok(false, "chdir to temp dir");
        free(sentinel);
        return;
    }
    for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
        struct vars v = {0};
        char *missing = NULL;
        vars_set(&v, "v", corpus[i]);
        vars_set(&v, "other", "EXPANDED");
        char *cmd = vars_expand(&v, "printf %s ${v}", VARS_SHELL, &missing);
        char *out = cmd != NULL ? run_sh(cmd) : xstrdup("(expand failed)");
        bool same = strcmp(out, corpus[i]) == 0;
        tap_ok(same, "value %zu reaches the shell as one literal word", i);
        if (!same) {
            tap_diag("cmd: %s", cmd ? cmd : "(null)");
            tap_diag("got: %s", out);
        }
        tap_is_int(stray_files(dir), 0, "and created no file");
        free(out);
        free(cmd);
        free(missing);
        vars_clear(&v);
    }
    /* The same value twice and next to text: still words of their own. */
    struct vars v = {0};
    vars_set(&v, "v", "a b");
    char *cmd = vars_expand(&v, "printf '[%s]' ${v} x${v}y", VARS_SHELL, NULL);
    char *out = run_sh(cmd);
    tap_is_str(out, "[a b][xa by]", "a value glued to text stays one word");
    free(out);
    free(cmd);
    vars_clear(&v);

    if (chdir(cwd) != 0) {
        tap_diag("cannot return to %s", cwd);
    }
    unlink(sentinel);
    rmdir(dir);
    free(sentinel);
}

int main(void)
{
    test_table();
    test_expand();
    test_refs();
    test_injection();
    return tap_done();
}
