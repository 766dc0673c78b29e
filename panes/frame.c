/* Text down a pane's window (frame.h). */
#include "frame.h"

#include "../common/util.h"

#include <stdlib.h>
#include <string.h>

void frame_put(struct frame *f, const char *text, unsigned attr)
{
    if (f->y < f->bottom) {
        screen_put(f->win, f->y, f->x, f->w, text, attr, f->gl);
        f->y++;
    }
}

struct wrap_put {
    struct frame *f;
    unsigned attr;
    int max; /* lines left for this text */
};

static void wrap_put_line(const char *line, void *ud)
{
    struct wrap_put *wp = ud;
    if (wp->max > 0) {
        frame_put(wp->f, line, wp->attr);
        wp->max--;
    }
}

void frame_put_wrapped(struct frame *f, const char *text, unsigned attr, int max, bool skip_blank)
{
    struct wrap_put wp = {.f = f, .attr = attr, .max = max};
    frame_wrap(text, f->w, skip_blank, wrap_put_line, &wp);
}

void frame_rule(struct frame *f, unsigned attr)
{
    if (f->y >= f->bottom) {
        return;
    }
    struct strbuf sb = {0};
    for (int i = 0; i < f->w; i++) {
        strbuf_str(&sb, f->gl->h);
    }
    frame_put(f, sb.s, attr);
    free(sb.s);
}

int frame_wrap(const char *text, int width, bool skip_blank, void (*fn)(const char *line, void *ud),
               void *ud)
{
    int count = 0;
    struct strbuf line = {0};
    if (width < 4) {
        width = 4;
    }
    for (const char *p = text; *p != '\0' || line.n > 0;) {
        size_t n = strcspn(p, "\n");
        char *para = xstrndup(p, n);
        char *save = NULL;
        int lw = 0;
        line.n = 0;
        strbuf_add(&line, "", 0);
        for (char *word = strtok_r(para, " \t", &save); word != NULL;
             word = strtok_r(NULL, " \t", &save)) {
            int ww = utf8_width(word);
            if (lw > 0 && lw + 1 + ww > width) {
                fn(line.s, ud);
                count++;
                line.n = 0;
                line.s[0] = '\0';
                lw = 0;
            }
            if (lw > 0) {
                strbuf_add(&line, " ", 1);
                lw++;
            }
            strbuf_str(&line, word);
            lw += ww;
        }
        if (lw > 0 || !skip_blank) {
            fn(line.s, ud);
            count++;
        }
        line.n = 0;
        free(para);
        p += n;
        if (*p == '\0') {
            break;
        }
        p++;
    }
    free(line.s);
    return count;
}

char *frame_reflow(const char *text, const char *keep)
{
    char *s = xstrdup(text);
    for (char *p = strchr(s, '\n'); p != NULL; p = strchr(p + 1, '\n')) {
        char next = p[1];
        bool brk =
            next == '\n' || next == '\0' || strchr(keep, next) != NULL || (p > s && p[-1] == '\n');
        if (!brk) {
            *p = ' ';
        }
    }
    return s;
}
