/*
 * Where a value would be code: given the words of one simple command as sh
 * splits them, which words does some program read as shell code (or as the
 * choice of what runs)? The command name; the script of sh -c (and bash,
 * dash, zsh, ksh, busybox sh); the arguments of eval; ssh's remote command;
 * su -c; what watch runs through sh -c; the operands of [[ -eq ]] and the
 * other arithmetic tests. Wrappers (sudo, env, timeout, nice, xargs...) are
 * looked through to the command they run, as are kubectl/oc/docker/podman
 * exec.
 *
 * shtmpl.c reads the template (quotes, expansions, here-documents) and asks
 * this judge about each simple command; the judge reads no shell syntax
 * itself. No opsdeck concepts here.
 */
#ifndef OPSDECK_SHCODE_H
#define OPSDECK_SHCODE_H

#include <stddef.h>

/*
 * The byte that stands for a value in a word's text: a word holding it is
 * data whatever it says, and never a wrapper's name.
 */
#define SHCODE_VALUE "\x01"

/* Why a word is code: where the value would land, and what to write instead. */
struct shcode_verdict {
    const char *where; /* "names the program to run" */
    const char *hint;  /* "a value never chooses what runs; ..." */
};

/*
 * Judge one simple command: words[0..n-1] as the command would see them
 * (quotes and escapes removed, a value as SHCODE_VALUE, redirections left
 * out). code[k] is set for each word k that is code; the others are left as
 * they are (the caller zeroes code[0..n-1]). The verdicts are static.
 */
void shcode_judge(char *const *words, size_t n, const struct shcode_verdict **code);

#endif
