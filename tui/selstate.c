/*
 * The selected row of each table pane, remembered across sessions
 * (console.h): $XDG_STATE_HOME/opsdeck/selection.json, {"alerts": {"source":
 * "am", "key": "fp..."}, ...}. Loaded when the console starts (a row comes
 * back selected as soon as its backend publishes it, tableview_select_key),
 * written whenever a selection changed at the end of a frame, replaced
 * whole through a rename so a kill leaves the old file or the new one. A
 * missing, unreadable or malformed file means nothing is remembered: the
 * console starts on the first rows, as it always did.
 */
#include "console.h"

#include "../common/json.h"
#include "../common/util.h"
#include "../engine/mdoc.h"
#include "../engine/paths.h"
#include "../panes/tablepane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SELSTATE_MAX = 64 * 1024 };

static char *selstate_path(void)
{
    char *dir = paths_state_dir();
    char *path = xasprintf("%s/selection.json", dir);
    free(dir);
    return path;
}

void selstate_load(struct ui *ui)
{
    char *path = selstate_path(), *cause = NULL;
    size_t len;
    char *text = mdoc_read_file(path, SELSTATE_MAX, &len, &cause);
    cJSON *doc = NULL;
    if (text != NULL && json_parse(text, len, &doc, &cause) && cJSON_IsObject(doc)) {
        for (size_t i = 0; i < ui->npanels; i++) {
            struct panel *p = &ui->panels[i];
            const cJSON *o = p->ops->table != NULL ? json_obj(doc, p->ops->name) : NULL;
            const char *source = json_str(o, "source"), *key = json_str(o, "key");
            if (source != NULL && key != NULL) {
                tablepane_select_key(p->self, source, key);
            }
        }
    }
    cJSON_Delete(doc);
    free(cause);
    free(text);
    free(path);
    free(ui->selstate_saved);
    ui->selstate_saved = NULL;
}

/* What would be written now; NULL when no pane has a selection yet. */
static char *selstate_json(struct ui *ui)
{
    cJSON *doc = cJSON_CreateObject();
    bool any = false;
    for (size_t i = 0; i < ui->npanels; i++) {
        struct panel *p = &ui->panels[i];
        const struct tableview *tv = p->ops->table != NULL ? tablepane_view(p->self) : NULL;
        if (tv == NULL || tv->sel_key == NULL || tv->sel_source == NULL) {
            continue;
        }
        cJSON *o = cJSON_AddObjectToObject(doc, p->ops->name);
        cJSON_AddStringToObject(o, "source", tv->sel_source);
        cJSON_AddStringToObject(o, "key", tv->sel_key);
        any = true;
    }
    char *text = any ? cJSON_PrintUnformatted(doc) : NULL;
    cJSON_Delete(doc);
    return text;
}

void selstate_save(struct ui *ui)
{
    char *text = selstate_json(ui);
    if (text == NULL || (ui->selstate_saved != NULL && strcmp(text, ui->selstate_saved) == 0)) {
        free(text);
        return;
    }
    char *path = selstate_path();
    if (paths_write_whole(path, text, 0600, NULL)) {
        free(ui->selstate_saved);
        ui->selstate_saved = text;
        text = NULL;
    }
    free(text);
    free(path);
}
