/*
 * Placeholders in a runbook nobody wrote for opsdeck (docs/runbooks.md
 * "Placeholders"): the parts of a wiki page's commands and text that the
 * reader is meant to replace before running anything.
 *
 *   <server>  <your name>  <NAMESPACE>  <host:port>     angle brackets
 *   {{name}}  {{ .name }}  {{ .Values.name }}            templates
 *   $SERVER  ${SERVER}   (code only: set neither in the environment nor
 *                         in the block itself, nor special like $1 $? $HOME)
 *   XXX  TODO  TBD  CHANGEME  REPLACE_ME  FIXME         markers (code only)
 *   [server-name]                                      bracketed words
 *
 * What is not one: shell redirections (`<file`, `<in >out`, `<<EOF`,
 * `<(cmd)`, `2>&1`), comparisons, a here-document's delimiter, HTML tags
 * (`<br>`, `<b>`, `</b>`, `<a href=...>`), autolinks (`<https://...>`), a Go
 * template in single quotes or after an option (`-o go-template='{{.x}}'`,
 * `docker inspect -f {{.State}}`), globs and tests (`[a-z]`, `[ -f x ]`,
 * `[[:space:]]`), array subscripts, and anything in a shell comment. Code is
 * read with sh's quoting (single, double, $'...', backslash, here-documents),
 * so each placeholder also says where it stands.
 *
 * Each placeholder has a run variable that holds its value (var): the name
 * with every byte that is not a variable name's turned into '_' ("your name"
 * -> your_name, "SERVER" stays SERVER). placeholder_template() turns code
 * into a template where each placeholder is a ${var} reference valid where it
 * stands, so its value reaches the command as data through common/shtmpl.c
 * (inside '...' the quotes are closed around it: '"${var}"'); the command
 * never holds the placeholder's text. No curses, no I/O.
 */
#ifndef OPSDECK_PLACEHOLDER_H
#define OPSDECK_PLACEHOLDER_H

#include <stdbool.h>
#include <stddef.h>

enum ph_form { PH_ANGLE, PH_TEMPLATE, PH_DOLLAR, PH_MARKER, PH_BRACKET };

enum ph_where { PH_BARE, PH_SQUOTED, PH_DQUOTED, PH_HEREDOC, PH_TEXT };

struct placeholder {
    size_t start, end; /* its bytes in the text */
    char *raw;         /* as written: "<server>" */
    char *name;        /* what it asks for: "server", "your name" */
    char *var;         /* the run variable holding its value: "server", "your_name" */
    enum ph_form form;
    enum ph_where where;
};

struct ph_list {
    struct placeholder *v;
    size_t n;
};

/*
 * Is $NAME (braced: ${NAME}) set for the command anyway: the environment it
 * runs in, or for ${NAME} a variable of the runbook? NULL: getenv().
 */
typedef bool (*ph_set_fn)(const char *name, bool braced, void *ud);

/* The placeholders of a shell code block, in order (appended to out). */
void placeholder_find_code(const char *code, ph_set_fn set, void *ud, struct ph_list *out);
/* The placeholders of Markdown text as shown (angle, template and bracket forms). */
void placeholder_find_text(const char *text, struct ph_list *out);
void placeholder_list_free(struct ph_list *l);

/* The variable that holds the value of a placeholder named name; caller frees. */
char *placeholder_var(const char *name);

/* code with each placeholder of l (found in code) as a ${var} reference; caller frees. */
char *placeholder_template(const char *code, const struct ph_list *l);

/* The value of a variable, or NULL when it has none. */
typedef const char *(*ph_value_fn)(const char *var, void *ud);
/* text with each placeholder of l that has a value replaced by it; caller frees. */
char *placeholder_fill(const char *text, const struct ph_list *l, ph_value_fn value, void *ud);

/*
 * Inline HTML as md4c reports it (`<your name>` reads as an open tag with an
 * attribute): true when it is a placeholder to show as text, not markup.
 */
bool placeholder_html_is_text(const char *html, size_t len);

#endif
