/*
 * Shell templates: no value ever becomes shell code.
 *
 * The injection corpus: every hostile value in every quoting context where a
 * reference is allowed is compiled, then run for real by /bin/sh (and bash
 * when it is there) in an empty directory with the values in the
 * environment, as opsdeck runs commands. The output must be the value byte
 * for byte and the directory must stay empty. Every context where no safe
 * reference exists must be refused, on the right line, with a hint.
 */
#include "../../common/shtmpl.h"
#include "../../common/util.h"
#include "tap.h"

#include <dirent.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Run `shell -c cmd` with env added; stdout, or NULL when it could not start. */
static char *run(const char *shell, const char *cmd, char *const *add)
{
    size_t n = 0, na = 0;
    while (environ[n] != NULL) {
        n++;
    }
    while (add != NULL && add[na] != NULL) {
        na++;
    }
    char **env = xcalloc(n + na + 1, sizeof *env);
    memcpy(env, environ, n * sizeof *env);
    memcpy(env + n, add, na * sizeof *env);
    int fds[2];
    if (pipe(fds) != 0) {
        free(env);
        return NULL;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    char *argv[] = {(char *)shell, (char *)"-c", (char *)cmd, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, shell, &fa, NULL, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return NULL;
    }
    struct strbuf sb = {0};
    strbuf_add(&sb, "", 0);
    char buf[4096];
    ssize_t got;
    while ((got = read(fds[0], buf, sizeof buf)) > 0) {
        strbuf_add(&sb, buf, (size_t)got);
    }
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    return sb.s;
}

static int stray_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    if (d == NULL) {
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    }
    closedir(d);
    return n;
}

static const char *the_value;

static const char *value_of(const char *name, void *ud)
{
    (void)ud;
    return strcmp(name, "v") == 0 || strcmp(name, "w") == 0 ? the_value : NULL;
}

/*
 * Templates where ${v} is allowed, and what each prints for a value V
 * ('V' stands for the value; the rest is literal).
 */
struct context {
    const char *tmpl;
    const char *want; /* with V for the value */
};

static const struct context SAFE[] = {
    {"printf '%s' ${v}", "V"},
    {"printf '%s' x${v}y", "xVy"},
    {"printf '%s' \"${v}\"", "V"},
    {"printf '%s' \"q=${v}\"", "q=V"},
    {"printf '%s' \"${v}${v}\"", "VV"},
    {"printf '%s' \"$(printf '%s.' ${v})\"", "V."},
    {"printf '%s' \"$(printf '%s' \"<${v}>\")\"", "<V>"},
    {"x=${v}; printf '%s' \"$x\"", "V"},
    {"x=\"${v}\" && printf '%s' \"$x\"", "V"},
    {"for i in ${v}; do printf '%s' \"$i\"; done", "V"},
    {"case ${v} in *) printf '%s' ${v};; esac", "V"},
    {"printf '%s' ${v} > out.txt && cat out.txt && rm out.txt", "V"},
    {"printf '%s\\n' ${v} | { IFS= read -r l; printf '%s' \"$l\"; }", "V1"},
    {"test -n \"${v}\" || printf ''; printf '%s' ${w}", "V"},
    {"# a comment with '${v}' and it's\nprintf '%s' ${v}", "V"},
    {"sh -c 'printf \"%s\" \"$1\"' sh ${v}", "V"},
    {"sudo_not_here=1; env printf '%s' ${v}", "V"},
    {"cat <<'EOF'\nliteral $${v}\nEOF\nprintf '%s' ${v}", "literal ${v}\nV"},
    {"X=set; printf '%s' $${X}${v}", "setV"},
};

/* A test name on one line: TAP reads a newline as the end of the name. */
static char *one_line(const char *s)
{
    char *o = xstrdup(s);
    for (char *p = o; *p != '\0'; p++) {
        if (*p == '\n') {
            *p = '|';
        }
    }
    return o;
}

/* The value's first line when the context reads one line (V1). */
static char *want_for(const char *want, const char *value)
{
    struct strbuf sb = {0};
    strbuf_add(&sb, "", 0);
    for (const char *p = want; *p != '\0'; p++) {
        if (p[0] == 'V' && p[1] == '1') {
            strbuf_add(&sb, value, strcspn(value, "\n"));
            p++;
        } else if (*p == 'V') {
            strbuf_str(&sb, value);
        } else {
            strbuf_add(&sb, p, 1);
        }
    }
    return sb.s;
}

static void test_corpus(void)
{
    static char big[300000];
    memset(big, 'x', 100000);
    big[100000] = '\0';
    const char *const corpus[] = {
        "x; touch PWNED",
        "$(touch PWNED)",
        "`touch PWNED`",
        "'; touch PWNED; '",
        "\"; touch PWNED; \"",
        "\"$(touch PWNED)\"",
        "'$(touch PWNED)'",
        "it's \"quoted\"",
        "line one\nline two\n; touch PWNED",
        "back\\slash\\",
        "\\'",
        "\\\"",
        "\\$(touch PWNED)",
        "*",
        "-n",
        "-e \\n",
        "",
        "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x94\xa5",
        "\xff\xfe not utf-8 \x80",
        "${other}",
        "$${X}",
        "$HOME",
        "a|touch PWNED",
        "a && touch PWNED",
        "a > PWNED",
        "~",
        "{a,b}",
        "a[$(touch PWNED)]",
        "$((1+1))",
        "  leading and trailing  ",
        "\ttab\r\n",
        "EOF\ntouch PWNED\nEOF",
        "\x1b]52;c;dG91Y2ggUFdORUQ=\x07",
        big,
    };
    char tmpl[] = "/tmp/opsdeck-shtmpl-XXXXXX";
    char *dir = mkdtemp(tmpl);
    char cwd[4096];
    if (!tap_ok(dir != NULL && getcwd(cwd, sizeof cwd) != NULL && chdir(dir) == 0, "temp dir")) {
        return;
    }
    const char *shells[] = {"/bin/sh", "/bin/bash"};
    for (size_t sh = 0; sh < 2; sh++) {
        struct stat st;
        if (stat(shells[sh], &st) != 0) {
            tap_diag("%s is not here", shells[sh]);
            continue;
        }
        size_t failures = 0, runs = 0;
        for (size_t c = 0; c < sizeof SAFE / sizeof SAFE[0]; c++) {
            struct shtmpl t;
            char *cause = NULL;
            char *name = one_line(SAFE[c].tmpl);
            bool ok = tap_ok(shtmpl_compile(&t, SAFE[c].tmpl, SHTMPL_VARS, NULL, &cause),
                             "allowed: %s", name);
            free(name);
            if (!ok) {
                tap_diag("refused: %s", cause);
                free(cause);
                continue;
            }
            for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
                the_value = corpus[i];
                char **env = shtmpl_env(&t, value_of, NULL, &cause);
                char *out = env != NULL ? run(shells[sh], t.command, env) : NULL;
                char *want = want_for(SAFE[c].want, corpus[i]);
                bool same = out != NULL && strcmp(out, want) == 0;
                int stray = stray_files(dir);
                runs++;
                if (!same || stray != 0) {
                    failures++;
                    tap_diag("%s: %s with value %zu: got '%.60s' want '%.60s', %d stray files",
                             shells[sh], SAFE[c].tmpl, i, out ? out : "(none)", want, stray);
                }
                free(want);
                free(out);
                shtmpl_env_free(env);
            }
            shtmpl_finish(&t);
        }
        tap_ok(failures == 0,
               "%s: %zu runs of the corpus in every allowed context: each value "
               "arrives as data, unchanged, and nothing ran",
               shells[sh], runs);
    }
    struct stat st;
    tap_ok(stat("PWNED", &st) != 0, "no payload ever created its file");
    if (chdir(cwd) != 0) {
        tap_diag("cannot return to %s", cwd);
    }
    rmdir(dir);
}

/* ---- refused contexts ---- */

static void refused(const char *tmpl, int want_line, const char *want)
{
    struct shtmpl t;
    char *cause = NULL;
    int line = 0;
    bool ok = shtmpl_compile(&t, tmpl, SHTMPL_VARS, &line, &cause);
    bool good = !ok && cause != NULL && strstr(cause, want) != NULL && line == want_line;
    char *name = one_line(tmpl);
    tap_ok(good, "refused at line %d (%s): %s", want_line, want, name);
    free(name);
    if (!good) {
        tap_diag("got line %d: %s", line, cause != NULL ? cause : "(accepted)");
    }
    if (ok) {
        shtmpl_finish(&t);
    }
    free(cause);
}

static void test_refused(void)
{
    refused("printf '[%s]\\n' 'q=${v}'", 1, "inside single quotes");
    refused("awk '{print \"${v}\"}'", 1, "inside single quotes");
    refused("printf %s $'a${v}'", 1, "inside $'...'");
    refused("cat <<EOF\n${v}\nEOF", 2, "inside a here-document");
    refused("cat <<'EOF'\nx\n${v}\nEOF", 3, "inside a here-document");
    refused("cat <<-EOF\n\tx ${v}\n\tEOF\necho ok", 2, "inside a here-document");
    refused("echo $((${n} * 2))", 1, "inside $(( ))");
    refused("echo `echo ${v}`", 1, "inside backquotes");
    refused("echo \"`echo ${v}`\"", 1, "inside backquotes");
    refused("echo ${x:-${v}}", 1, "inside the shell's own ${...}");
    refused("sh -c \"echo ${v}\"", 1, "sh -c");
    refused("bash -ec 'x' && bash -o pipefail -c \"${v}\"", 1, "sh -c");
    refused("kubectl exec -n x pod -- sh -c \"ls ${v}\"", 1, "sh -c");
    refused("sudo -u root sh -c \"ls ${v}\"", 1, "sh -c");
    refused("eval echo ${v}", 1, "eval");
    refused("ssh -p 22 host restart ${v}", 1, "ssh's remote command");
    refused("ssh host \"systemctl restart ${v}\"", 1, "ssh's remote command");
    refused("su -c \"id ${v}\" root", 1, "su -c");
    refused("watch -n 1 ls ${v}", 1, "watch");
    refused("${cmd} --help", 1, "names the program");
    refused("timeout 5 ${cmd}", 1, "names the program");
    refused("[[ ${n} -eq 3 ]]", 1, "arithmetic test");
    refused("echo ok\necho 'unterminated", 2, "unterminated single quote");
    refused("echo \"x", 1, "unterminated double quote");
    refused("echo $(echo x", 1, "unterminated $(");
    /* the hint is there */
    struct shtmpl t;
    char *cause = NULL;
    shtmpl_compile(&t, "echo '${v}'", SHTMPL_VARS, NULL, &cause);
    tap_ok(cause != NULL && strstr(cause, "'q='\"${v}\"") != NULL, "a fix is suggested");
    free(cause);
}

/* ---- the rest of the interface ---- */

static const char *named(const char *name, void *ud)
{
    (void)ud;
    if (strcmp(name, "secret") == 0) {
        return "[secret]";
    }
    if (strcmp(name, "unset") == 0) {
        return NULL;
    }
    return strcmp(name, "q") == 0 ? "it's" : "a b";
}

static void test_interface(void)
{
    struct shtmpl t;
    char *cause = NULL;
    const char *tmpl = "curl \"http://x/?q=${q}\" -H ${a.b} ${a_b} ${q} $${HOME} ${HOME:-/}";
    tap_ok(shtmpl_compile(&t, tmpl, SHTMPL_VARS, NULL, &cause), "compiles");
    tap_is_str(t.command,
               "curl \"http://x/?q=${OPSDECK_VAR_q}\" -H \"${OPSDECK_VAR_a_b}\" "
               "\"${OPSDECK_VAR_a_b_2}\" \"${OPSDECK_VAR_q}\" ${HOME} ${HOME:-/}",
               "references become environment references valid where they stand");
    tap_is_int((long long)t.nrefs, 3, "three distinct names");
    tap_is_str(t.refs[1].name, "a.b", "names as written");
    tap_is_str(t.refs[1].env, "OPSDECK_VAR_a_b", "dots become underscores");
    tap_is_str(t.refs[2].env, "OPSDECK_VAR_a_b_2", "a clash gets a suffix");
    char *p = shtmpl_preview(&t, tmpl, named, NULL);
    tap_is_str(p, "curl \"http://x/?q=it's\" -H 'a b' 'a b' 'it'\\''s' ${HOME} ${HOME:-/}",
               "preview: quoted words bare, values as they are inside \"...\"");
    free(p);
    char **env = shtmpl_env(&t, named, NULL, &cause);
    tap_ok(env != NULL && strcmp(env[0], "OPSDECK_VAR_q=it's") == 0 && env[3] == NULL,
           "env: one entry per name");
    shtmpl_env_free(env);
    shtmpl_finish(&t);

    tap_ok(shtmpl_compile(&t, "echo ${unset}", SHTMPL_VARS, NULL, &cause), "compiles");
    env = shtmpl_env(&t, named, NULL, &cause);
    tap_ok(env == NULL && cause != NULL && strcmp(cause, "unset variable unset") == 0,
           "an unset name is said");
    free(cause);
    p = shtmpl_preview(&t, "echo ${unset}", named, NULL);
    tap_is_str(p, "echo ${unset}", "preview keeps an unset reference as written");
    free(p);
    shtmpl_finish(&t);

    /* a value over the kernel's limit is said, not a bare exit 127 */
    char *huge = xmalloc(SHTMPL_ENV_MAX + 1);
    memset(huge, 'x', SHTMPL_ENV_MAX);
    huge[SHTMPL_ENV_MAX] = '\0';
    the_value = huge;
    tap_ok(shtmpl_compile(&t, "echo ${v}", SHTMPL_VARS, NULL, &cause), "compiles");
    env = shtmpl_env(&t, value_of, NULL, &cause);
    tap_ok(env == NULL && cause != NULL && strstr(cause, "variable v is 131072 bytes") != NULL,
           "a value too long to pass is said with its size");
    tap_diag("%s", cause != NULL ? cause : "");
    free(cause);
    shtmpl_finish(&t);
    free(huge);

    /* plugin names: any ${...} */
    tap_ok(shtmpl_compile(&t, "echo ${RT ms} ${IN/s} \"${5XX}\"", SHTMPL_ANY, NULL, &cause),
           "SHTMPL_ANY takes column titles");
    tap_is_str(t.command,
               "echo \"${OPSDECK_VAR_RT_ms}\" \"${OPSDECK_VAR_IN_s}\" \"${OPSDECK_VAR_5XX}\"",
               "each as a variable name the shell accepts");
    shtmpl_finish(&t);

    /* a template without references is unchanged */
    const char *plain = "for f in *.log; do case $f in a) echo \"$f\" `date` $((1+2));; esac; done "
                        "# it's fine\ncat <<EOF\n$HOME\nEOF";
    tap_ok(shtmpl_compile(&t, plain, SHTMPL_VARS, NULL, &cause) && strcmp(t.command, plain) == 0,
           "text without references passes unchanged");
    shtmpl_finish(&t);
    tap_ok(shtmpl_compile(&t, "x=$(case a in a) echo ${v};; esac); echo \"$x\"", SHTMPL_VARS, NULL,
                          &cause),
           "case patterns inside $( ) do not close it");
    shtmpl_finish(&t);

    char *q = shtmpl_quote("it's");
    tap_is_str(q, "'it'\\''s'", "quote: closed, escaped, reopened");
    free(q);
    size_t end = 0;
    tap_is_int((long long)shtmpl_ref_len("${a.b-c}x", SHTMPL_VARS, &end), 5, "ref_len: name");
    tap_is_int((long long)end, 8, "ref_len: whole reference");
    tap_is_int((long long)shtmpl_ref_len("${1x}", SHTMPL_VARS, &end), 0, "ref_len: not a name");
}

int main(void)
{
    test_corpus();
    test_refused();
    test_interface();
    return tap_done();
}
