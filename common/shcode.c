/*
 * Where a word of a simple command is code (shcode.h): tables and a judge,
 * no lexing. The judge skips assignments, looks through wrappers (sudo, env,
 * timeout, xargs...: their options, then the command they run), then asks
 * what the command is: a word with a value in it that names the program, the
 * script of a shell's -c, what eval, ssh, su -c and watch run, the operands
 * of [[ -eq ]], and what kubectl/oc/docker/podman exec run (judged again).
 * Anything it does not recognise is not code.
 */
#include "shcode.h"

#include "util.h"

#include <stdbool.h>
#include <string.h>

static const char *word_base(const char *w)
{
    const char *slash = strrchr(w, '/');
    return slash != NULL ? slash + 1 : w;
}

/* Commands that run another command: their options, then it. */
struct wrapper {
    const char *name;
    const char *argopts; /* short options that take the next word */
    int operands;        /* words before the command (timeout's duration) */
    bool assignments;    /* NAME=value words before the command (env) */
};

static const struct wrapper WRAPPERS[] = {
    {"sudo", "ugCDhprtUT", 0, true}, {"doas", "uC", 0, false},          {"env", "uCS", 0, true},
    {"nohup", "", 0, false},         {"time", "fo", 0, false},          {"exec", "a", 0, false},
    {"command", "", 0, false},       {"builtin", "", 0, false},         {"setsid", "", 0, false},
    {"nice", "n", 0, false},         {"ionice", "cnt", 0, false},       {"timeout", "sk", 1, false},
    {"stdbuf", "ioe", 0, false},     {"xargs", "IinPLlsdEa", 0, false}, {"chroot", "", 1, false},
};

static const struct wrapper *wrapper_find(const char *w)
{
    for (size_t i = 0; i < sizeof WRAPPERS / sizeof WRAPPERS[0]; i++) {
        if (strcmp(w, WRAPPERS[i].name) == 0) {
            return &WRAPPERS[i];
        }
    }
    return NULL;
}

static bool is_name_char(char c, bool first)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

/* NAME=value: a variable for the command, not a word of it. */
static bool is_assignment(const char *w)
{
    if (!is_name_char(w[0], true)) {
        return false;
    }
    size_t n = 1;
    while (is_name_char(w[n], false)) {
        n++;
    }
    return w[n] == '=';
}

/* Index of the first word after the options of words[i] (argopts take the next word). */
static size_t skip_options(char *const *w, size_t n, size_t i, const char *argopts)
{
    while (i < n && w[i][0] == '-' && w[i][1] != '\0') {
        if (strcmp(w[i], "--") == 0) {
            return i + 1;
        }
        bool takes = w[i][1] != '-' && strchr(argopts, w[i][strlen(w[i]) - 1]) != NULL;
        i += takes ? 2 : 1;
    }
    return i;
}

static const struct shcode_verdict V_COMMAND = {
    "names the program to run",
    "a value never chooses what runs; use a decision step with one fixed command per choice"};
static const struct shcode_verdict V_SHELL = {
    "is in the script that a second shell runs (sh -c)",
    "pass it as an argument after the script: sh -c 'echo \"$1\"' sh \"${v}\""};
static const struct shcode_verdict V_EVAL = {"is in what eval runs as shell code",
                                             "drop eval and write the command itself"};
static const struct shcode_verdict V_SSH = {
    "is in ssh's remote command, which the remote shell reads as code",
    "send it on stdin: printf '%s\\n' \"${v}\" | ssh HOST 'read -r v; do-something \"$v\"'"};
static const struct shcode_verdict V_SU = {
    "is in the command su -c runs as shell code",
    "pass it in the environment (su -w) or on stdin instead"};
static const struct shcode_verdict V_WATCH = {
    "is in what watch runs through sh -c", "use watch -x, which runs the command without a shell"};
static const struct shcode_verdict V_TEST = {
    "is an operand of an arithmetic test in [[ ]], which bash evaluates as an expression",
    "compare as text with =, or check it is a number first"};

static const char *const SHELLS[] = {"sh",   "bash", "dash",    "zsh", "ksh",
                                     "mksh", "ash",  "busybox", NULL};

/*
 * Mark which of words i..n-1 (one simple command, redirections removed) are
 * code: code[k] set to the reason.
 */
static void judge(char *const *w, size_t n, size_t i, const struct shcode_verdict **code)
{
    while (i < n && is_assignment(w[i])) {
        i++;
    }
    /* look through wrappers to the command they run */
    const struct wrapper *wr;
    while (i < n && w[i][0] != SHCODE_VALUE[0] && (wr = wrapper_find(word_base(w[i]))) != NULL) {
        i = skip_options(w, n, i + 1, wr->argopts);
        while (wr->assignments && i < n && is_assignment(w[i])) {
            i++;
        }
        i += (size_t)wr->operands;
    }
    if (i >= n) {
        return;
    }
    if (strchr(w[i], SHCODE_VALUE[0]) != NULL) {
        code[i] = &V_COMMAND;
        return;
    }
    const char *cmd = word_base(w[i]);
    if (strcmp(cmd, "eval") == 0) {
        for (size_t k = i + 1; k < n; k++) {
            code[k] = &V_EVAL;
        }
    } else if (str_in(cmd, SHELLS)) {
        bool dash_c = false;
        size_t k = i + 1;
        if (strcmp(cmd, "busybox") == 0 && k < n && str_in(w[k], SHELLS)) {
            k++;
        }
        for (; k < n && (w[k][0] == '-' || w[k][0] == '+'); k++) {
            if (strcmp(w[k], "--") == 0) {
                k++;
                break;
            }
            dash_c = dash_c || (w[k][1] != '-' && strchr(w[k] + 1, 'c') != NULL);
            if ((strcmp(w[k], "-o") == 0 || strcmp(w[k], "+o") == 0 || strcmp(w[k], "-O") == 0) &&
                k + 1 < n) {
                k++; /* -o pipefail */
            }
        }
        if (dash_c && k < n) {
            code[k] = &V_SHELL;
        }
    } else if (strcmp(cmd, "ssh") == 0 || strcmp(cmd, "slogin") == 0) {
        size_t k = skip_options(w, n, i + 1, "bcDEeFIiJLlmOopQRSWwB");
        for (k++; k < n; k++) {
            code[k] = &V_SSH;
        }
    } else if (strcmp(cmd, "su") == 0 || strcmp(cmd, "runuser") == 0) {
        for (size_t k = i + 1; k < n; k++) {
            if (strcmp(w[k], "-c") == 0 || strcmp(w[k], "--command") == 0) {
                if (k + 1 < n) {
                    code[k + 1] = &V_SU;
                }
            } else if (str_has_prefix(w[k], "--command=")) {
                code[k] = &V_SU;
            }
        }
    } else if (strcmp(cmd, "watch") == 0) {
        size_t k = i + 1;
        bool exec = false;
        for (; k < n && w[k][0] == '-'; k++) {
            exec = exec || strcmp(w[k], "-x") == 0 || strcmp(w[k], "--exec") == 0;
            if (strcmp(w[k], "-n") == 0 || strcmp(w[k], "--interval") == 0) {
                k++;
            }
        }
        for (; k < n && !exec; k++) {
            code[k] = &V_WATCH;
        }
        if (exec) {
            judge(w, n, k, code);
        }
    } else if (strcmp(cmd, "[[") == 0) {
        static const char *const arith[] = {"-eq", "-ne", "-lt", "-le", "-gt", "-ge", NULL};
        for (size_t k = i + 1; k + 1 < n; k++) {
            if (str_in(w[k], arith)) {
                code[k - 1] = &V_TEST;
                code[k + 1] = &V_TEST;
            }
        }
    } else if ((strcmp(cmd, "kubectl") == 0 || strcmp(cmd, "oc") == 0) && i + 1 < n &&
               strcmp(w[i + 1], "exec") == 0) {
        for (size_t k = i + 2; k < n; k++) {
            if (strcmp(w[k], "--") == 0) {
                judge(w, n, k + 1, code);
                break;
            }
        }
    } else if ((strcmp(cmd, "docker") == 0 || strcmp(cmd, "podman") == 0) && i + 1 < n &&
               strcmp(w[i + 1], "exec") == 0) {
        size_t k = skip_options(w, n, i + 2, "euw");
        judge(w, n, k + 1, code); /* past the container */
    }
}

void shcode_judge(char *const *words, size_t n, const struct shcode_verdict **code)
{
    judge(words, n, 0, code);
}
