/* The report of an unattended drill (drillauto.h). */
#include "drillauto.h"

#include "../common/text.h"
#include "../engine/report.h"
#include "reportcmd.h"

#include <stdlib.h>

bool drillauto_report(const char *runs_dir, const char *run_id, FILE *out, FILE *err)
{
    char *cause = NULL;
    char *md = report_markdown(runs_dir, run_id, &cause);
    if (md == NULL) {
        text_printf(err, "opsdeck: the report of %s: %s\n", run_id, cause);
        free(cause);
        return false;
    }
    const char *url = getenv(DRILLAUTO_REPORT_ENV);
    bool ok = true;
    if (url == NULL || url[0] == '\0') {
        fputs("\n", out); /* no webhook: the report goes where the output goes */
        fputs(md, out);
    } else {
        ok = reportcmd_post(DRILLAUTO_REPORT_ENV, md);
    }
    fflush(out);
    free(md);
    return ok;
}
