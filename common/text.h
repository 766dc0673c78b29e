/*
 * Untrusted text made printable: the one filter every byte that came from
 * outside (backends, plugins, runbooks, variables, command output, journals)
 * passes before it reaches a terminal, a line mode or a report (DESIGN rule 7).
 *
 * Such text may hold terminal controls (an ESC sequence that moves the cursor,
 * retitles the window or writes the clipboard with OSC 52; a C1 control, which
 * some terminals obey like ESC), bidi overrides that make text read other than
 * it is, and invisible characters. They are shown, not obeyed:
 *
 *   C0 controls, DEL          caret notation: ESC ^[, NUL ^@, BEL ^G, CR ^M, DEL ^?
 *                             (\n and \t pass only when the caller allows them)
 *   C1 controls U+0080-U+009F <U+009B> (only when validly encoded as UTF-8:
 *                             a lone byte 0x9B is invalid UTF-8, below)
 *   bidi and invisible        <U+202E>: U+061C, U+180E, U+200B-U+200F, U+2028-U+202E,
 *                             U+2060-U+206F, U+FEFF, U+FFF9-U+FFFB, U+E0000-U+E007F
 *   invalid UTF-8             \xNN for each byte (overlongs, surrogates, stray
 *                             continuation bytes, truncated sequences, 0xF5-0xFF)
 *
 * Everything else passes unchanged. The replacements are printable ASCII, so
 * the output is valid UTF-8, fits an ASCII terminal as well as the input did,
 * and cleaning it again changes nothing. Literal text that looks like a
 * replacement ("^[" typed as two characters) is left alone, as cat -v does.
 *
 * UTF-8 is decoded here, not by the C library: the answer does not depend on
 * the locale, so a line mode under LANG=C filters exactly as under C.UTF-8.
 * Display widths (which need the locale) are util.c's business; its cell
 * filter classifies characters with text_next().
 */
#ifndef OPSDECK_TEXT_H
#define OPSDECK_TEXT_H

#include "util.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum text_flags {
    TEXT_NEWLINE = 1 << 0, /* \n passes: multi-line text (command output, a body) */
    TEXT_TAB = 1 << 1,     /* \t passes */
    /*
     * For text inside a JSON document (already escaped by cJSON): replacements
     * are JSON escapes (\u001b, \u202e, a surrogate pair above U+FFFF), so the
     * data survives exactly; an invalid byte becomes the six characters \\xNN.
     */
    TEXT_JSON = 1 << 2,
};

/* One character of untrusted text. */
struct text_char {
    size_t len;     /* input bytes it takes, at least 1 */
    bool plain;     /* print the input bytes as they are; else print shown */
    char shown[16]; /* the visible form when !plain: printable ASCII, NUL-terminated */
};

/*
 * Classify the character at s, of which n >= 1 bytes may be read. A sequence
 * cut short by n is invalid here (its first byte is shown); text_stream holds
 * it for the next chunk instead.
 */
void text_next(const char *s, size_t n, unsigned flags, struct text_char *c);

/* Append the n bytes of s, cleaned, to sb. NUL bytes are shown as ^@. */
void text_add(struct strbuf *sb, const char *s, size_t n, unsigned flags);
/* The n bytes of s, cleaned. Caller frees. */
char *text_clean(const char *s, size_t n, unsigned flags);
/* The same for a C string; NULL for NULL. Caller frees. */
char *text_clean_str(const char *s, unsigned flags);

/*
 * printf to out, cleaned: how line modes print. The formatted text is one
 * line (a \n inside it shows as ^J, \t passes), except the newlines that
 * begin and end the format itself: "\n== %s ==\n" prints a blank line and a
 * line whatever %s holds, so outside text can neither control the terminal
 * nor forge a line of its own. Multi-line text goes through text_clean()
 * with TEXT_NEWLINE, or line by line.
 */
void text_printf(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void text_vprintf(FILE *out, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/*
 * Text that arrives in chunks (a child's output read by read(2)): a UTF-8
 * sequence cut by the end of a chunk is held until the next one, so a
 * character (a C1 control or U+202E among them) split across two reads is
 * shown as if it came in one. An ESC sequence split across reads needs no
 * state: each control byte is replaced on its own and nothing is passed
 * because of what came before. Zero-initialise or text_stream_init().
 */
struct text_stream {
    unsigned flags;
    unsigned char held[3]; /* the start of a sequence cut by the last chunk */
    size_t nheld;
};
void text_stream_init(struct text_stream *ts, unsigned flags);
/* Append the cleaned chunk to out; up to 3 bytes of a cut sequence wait for the next. */
void text_stream_add(struct text_stream *ts, struct strbuf *out, const char *s, size_t n);
/* The stream ended (or jumped): what was held is shown as invalid; ts starts afresh. */
void text_stream_end(struct text_stream *ts, struct strbuf *out);

#endif
