/* OSC 52 (clipboard.h). */
#include "clipboard.h"

#include "../common/util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *clipboard_sequence(const char *text, char **cause)
{
    size_t n = strlen(text);
    if (n > CLIPBOARD_MAX) {
        *cause = xasprintf("too long for the clipboard (%zu bytes, at most %d)", n, CLIPBOARD_MAX);
        return NULL;
    }
    char *b64 = base64_encode(text, n);
    char *seq = xasprintf("\033]52;c;%s\a", b64);
    free(b64);
    return seq;
}

bool clipboard_copy(const char *text, char **cause)
{
    char *seq = clipboard_sequence(text, cause);
    if (seq == NULL) {
        return false;
    }
    /* straight to the terminal: curses has no call for it, and a frame is not in progress */
    size_t len = strlen(seq);
    bool ok = true;
    for (size_t off = 0; off < len;) {
        ssize_t w = write(STDOUT_FILENO, seq + off, len - off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            *cause = xasprintf("the terminal refused the clipboard: %s",
                               w < 0 ? strerror(errno) : "short write");
            ok = false;
            break;
        }
        off += (size_t)w;
    }
    free(seq);
    return ok;
}
