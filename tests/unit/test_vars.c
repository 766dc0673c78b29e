/*
 * Variables: the table, ${name} expansion, and above all commands. Each
 * hostile value goes into a real command built by vars_command() and run by
 * /bin/sh in an empty directory with the values in its environment, as
 * opsdeck runs it: the output must be the value byte for byte and nothing may
 * appear in the directory. (common/shtmpl.c has the full corpus of contexts.)
 */
#include "../../engine/vars.h"
#include "tap.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *run_sh(const char *cmd, char **env)
{
    for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
        char *copy = xstrdup(env[i]);
        char *eq = strchr(copy, '=');
        *eq = '\0';
        setenv(copy, eq + 1, 1);
        free(copy);
    }
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
    s = vars_expand(&v, "echo ${q} \"q=${q}\"", VARS_SHOWN_COMMAND, &missing);
    tap_is_str(s, "echo 'it'\\''s' \"q=it's\"",
               "shown command: a quoted word where it stands bare, as it is inside \"...\"");
    free(s);
    s = vars_expand(&v, "echo '${q}'", VARS_SHOWN_COMMAND, &missing);
    tap_is_str(s, "echo 'it's'", "a command that will be refused is shown as text");
    free(s);
    s = vars_expand(&v, "echo ${nope}", VARS_SHOWN_COMMAND, &missing);
    tap_ok(s == NULL && missing != NULL && strcmp(missing, "nope") == 0,
           "shown command: an unset variable is named");
    free(missing);
    missing = NULL;
    s = vars_expand(&v, "${ref}", VARS_TEXT, &missing);
    tap_is_str(s, "${other}", "a value is not expanded again");
    free(s);
    s = vars_expand(&v, "echo $${HOME} $HOME $$ ${ svc} ${svc", VARS_SHOWN_COMMAND, &missing);
    tap_is_str(s, "echo ${HOME} $HOME $$ ${ svc} ${svc", "$${X} escapes; other $ text untouched");
    free(s);
    s = vars_expand(&v, "${HOME:-/}", VARS_SHOWN_COMMAND, &missing);
    tap_is_str(s, "${HOME:-/}", "shell parameter expansion is not a reference");
    free(s);
    s = vars_expand(&v, "", VARS_SHOWN_COMMAND, &missing);
    tap_is_str(s, "", "empty template");
    free(s);
    s = vars_expand(&v, "a ${svc} ${nope} ${also}", VARS_TEXT, &missing);
    tap_ok(s == NULL, "an unset variable fails the expansion");
    tap_is_str(missing, "nope", "and names the first unset variable");
    free(missing);
    s = vars_expand(&v, "${nope}", VARS_TEXT, NULL);
    tap_ok(s == NULL, "missing may be NULL");

    struct shtmpl_command c;
    char *cause = NULL;
    tap_ok(vars_command(&v, "echo ${svc} \"${q}\"", &c, &cause), "a command is built");
    tap_is_str(c.command, "echo \"${OPSDECK_VAR_svc}\" \"${OPSDECK_VAR_q}\"",
               "its text names environment variables, never values");
    tap_ok(c.env != NULL && strcmp(c.env[0], "OPSDECK_VAR_svc=checkout") == 0 &&
               strcmp(c.env[1], "OPSDECK_VAR_q=it's") == 0 && c.env[2] == NULL,
           "the values travel in the environment");
    shtmpl_command_finish(&c);
    tap_ok(!vars_command(&v, "echo ${nope}", &c, &cause) &&
               strcmp(cause, "unset variable nope") == 0,
           "an unset variable refuses the command");
    free(cause);
    tap_ok(!vars_command(&v, "echo ok\nawk '{print \"${q}\"}'", &c, &cause) &&
               str_has_prefix(cause, "line 2 of the command: ${q} inside single quotes"),
           "a value where it could be code refuses the command, with its line");
    free(cause);
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
        char *cause = NULL;
        vars_set(&v, "v", corpus[i]);
        vars_set(&v, "other", "EXPANDED");
        struct shtmpl_command cmd;
        bool built = vars_command(&v, "printf %s ${v}; printf '|%s' \"${v}\"", &cmd, &cause);
        char *out = built ? run_sh(cmd.command, cmd.env) : xstrdup("(not built)");
        char *want = xasprintf("%s|%s", corpus[i], corpus[i]);
        bool same = strcmp(out, want) == 0;
        tap_ok(same, "value %zu reaches the shell as data, bare and inside quotes", i);
        if (!same) {
            tap_diag("cmd: %s", built ? cmd.command : cause);
            tap_diag("got: %s", out);
        }
        tap_is_int(stray_files(dir), 0, "and created no file");
        free(want);
        free(out);
        free(cause);
        shtmpl_command_finish(&cmd);
        vars_clear(&v);
    }
    /* The same value twice and next to text: still words of their own. */
    struct vars v = {0};
    vars_set(&v, "v", "a b");
    struct shtmpl_command cmd;
    char *cause = NULL;
    vars_command(&v, "printf '[%s]' ${v} x${v}y", &cmd, &cause);
    char *out = run_sh(cmd.command, cmd.env);
    tap_is_str(out, "[a b][xa by]", "a value glued to text stays one word");
    free(out);
    shtmpl_command_finish(&cmd);
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
