/*
 * The terminal's clipboard through OSC 52: ESC ] 52 ; c ; BASE64 BEL. The
 * terminal (or tmux with `set-clipboard on`, which keeps it in a paste buffer
 * and passes it on to the outer terminal) sets the clipboard; over SSH it
 * needs nothing on the remote host. The text is ours to encode: any byte goes,
 * base64 carries it. Terminals cap what they accept (hterm and others at
 * about 100,000 bytes of sequence), so a longer text is refused with a
 * reason, never cut without a word.
 */
#ifndef OPSDECK_CLIPBOARD_H
#define OPSDECK_CLIPBOARD_H

#include <stdbool.h>
#include <stddef.h>

enum { CLIPBOARD_MAX = 74994 }; /* bytes of text: 99,992 of base64, 100,000 with the frame */

/* The escape sequence for text (caller frees), or NULL and *cause when it is too long. */
char *clipboard_sequence(const char *text, char **cause);
/* Write it to the terminal (stdout); false and *cause when refused or the write failed. */
bool clipboard_copy(const char *text, char **cause);

#endif
