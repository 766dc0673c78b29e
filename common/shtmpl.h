/*
 * Shell command templates: text written for `/bin/sh -c` in which ${name}
 * stands for a value (a runbook variable, an alert label, a plugin cell) that
 * must reach the command as data, whatever it holds.
 *
 * shtmpl_compile() reads the template the way sh does (quotes, escapes, $( ),
 * backticks, $(( )), the shell's own ${...}, here-documents, comments) and
 * rewrites every reference into a reference to an environment variable that
 * is valid where it stands:
 *     bare word     ${v}      ->  "${OPSDECK_VAR_v}"
 *     in "..."      "q=${v}"  ->  "q=${OPSDECK_VAR_v}"
 * The values then travel in the child's environment (shtmpl_env()): the
 * shell expands each once and never reads it as syntax, and none of them is
 * in the child's argv (ps shows the template, not a secret).
 *
 * Where no such reference exists, the template is refused with the line, the
 * context and a hint: inside '...' or $'...', a here-document's body, $(( )),
 * backticks, the shell's own ${...}; and where the text around it is itself
 * code for a second shell: the command name, the script of sh -c, the
 * arguments of eval, ssh's remote command, su -c, watch, and the operands of
 * [[ -eq ]]. Nothing else about the shell is checked.
 *
 * `$${name}` is the escape for a literal `${name}` (the shell's own variable).
 * No opsdeck concepts here: the caller says which names exist.
 */
#ifndef OPSDECK_SHTMPL_H
#define OPSDECK_SHTMPL_H

#include <stdbool.h>
#include <stddef.h>

/* What counts as a reference. */
enum shtmpl_names {
    SHTMPL_VARS, /* ${name}, name [A-Za-z_][A-Za-z0-9_.-]*; any other ${...} is the shell's */
    SHTMPL_ANY,  /* every ${...} without a brace or $ inside (plugin columns: ${RT ms}) */
};

/* The prefix of the environment variables that carry the values. */
#define SHTMPL_ENV_PREFIX "OPSDECK_VAR_"

/*
 * The longest "NAME=value" string the kernel passes to a child
 * (MAX_ARG_STRLEN, 32 pages on Linux), terminating NUL included.
 */
enum { SHTMPL_ENV_MAX = 32 * 4096 };

struct shtmpl_ref {
    char *name; /* as written between the braces */
    char *env;  /* the environment variable the command reads: OPSDECK_VAR_name, '.' '-' ' ' as _ */
};

/* One place where a reference (or the escape `$${name}`) stands in the template. */
struct shtmpl_use {
    size_t start, end; /* the bytes of "${name}" (or "$${name}") in the template */
    size_t ref;        /* index into refs; unused for an escape */
    bool quoted;       /* inside "...": the value stands as it is, not as a word of its own */
    bool escape;       /* `$${name}`: the shell reads the literal ${name} */
};

struct shtmpl {
    char *command;           /* the text for /bin/sh -c */
    struct shtmpl_ref *refs; /* distinct names, in order of first use */
    size_t nrefs;
    struct shtmpl_use *uses;
    size_t nuses;
};

/*
 * Compile tmpl into t. False with *cause (caller frees) and *line (1-based,
 * within tmpl) when a reference stands where no safe one exists or the text
 * does not read as sh (an unterminated quote); t is then empty. line may be NULL.
 */
bool shtmpl_compile(struct shtmpl *t, const char *tmpl, enum shtmpl_names names, int *line,
                    char **cause);
/* Free what t holds; a zeroed t is fine. */
void shtmpl_finish(struct shtmpl *t);

/* The value of a name, or NULL when it has none. */
typedef const char *(*shtmpl_value_fn)(const char *name, void *ud);

/*
 * The "ENV=value" strings of every reference, NULL-terminated (free with
 * shtmpl_env_free). NULL with *cause when a name has no value ("unset
 * variable NAME") or a value is too long for the kernel to pass.
 */
char **shtmpl_env(const struct shtmpl *t, shtmpl_value_fn value, void *ud, char **cause);
void shtmpl_env_free(char **env);

/* What runs: `/bin/sh -c command` with env added to the child's environment. */
struct shtmpl_command {
    char *command;
    char **env; /* "OPSDECK_VAR_name=value", NULL-terminated */
};

/*
 * Compile tmpl and take the values of its references: false with *cause
 * (and *line, which may be NULL) as shtmpl_compile() and shtmpl_env() say.
 */
bool shtmpl_command(const char *tmpl, enum shtmpl_names names, shtmpl_value_fn value, void *ud,
                    struct shtmpl_command *out, int *line, char **cause);
void shtmpl_command_finish(struct shtmpl_command *c);

/*
 * The command as the operator reads it before confirming: the template with
 * each value where its reference stands, as the command will see it (a
 * single-quoted word where it stands bare, the text itself inside "...").
 * A name without a value is left as ${name}. Caller frees.
 */
char *shtmpl_preview(const struct shtmpl *t, const char *tmpl, shtmpl_value_fn value, void *ud);

/*
 * If s starts "${name}" that is a reference, the length of name and *end
 * (the bytes of the whole reference); 0 otherwise (*end untouched).
 */
size_t shtmpl_ref_len(const char *s, enum shtmpl_names names, size_t *end);

/* One single-quoted shell word for s ('it'\''s'), for display. Caller frees. */
char *shtmpl_quote(const char *s);

#endif
