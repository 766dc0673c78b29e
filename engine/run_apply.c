/*
 * A war-room request applied to a runbook run (run.h run_apply): one switch
 * from share.h's operations to the run's commands, used for the owner's own
 * keys and for a follower's request alike, so both take the same path and
 * the same checks. The caller sets who asked (run_set_actor) around it.
 */
#include "run.h"
#include "runstep.h"

#include "../common/json.h"
#include "../common/util.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

/* data for a claim, unclaim or propose: the step (id, number or the current one), a text */
static cJSON *step_data(const struct run *r, const cJSON *args, const char **step, char **cause)
{
    const struct runbook *rb = run_runbook(r);
    const char *id = json_str(args, "step");
    if (id == NULL || id[0] == '\0') {
        const struct rb_step *s = run_step(r);
        if (s == NULL) {
            set_cause(cause, "the run has ended");
            return NULL;
        }
        id = s->id;
    } else {
        char *end = NULL;
        long n = strtol(id, &end, 10);
        if (end != id && *end == '\0' && n >= 1 && (size_t)n <= rb->nsteps) {
            id = rb->steps[n - 1].id;
        }
    }
    for (size_t i = 0; i < rb->nsteps; i++) {
        if (strcmp(rb->steps[i].id, id) == 0) {
            *step = rb->steps[i].id;
            cJSON *d = cJSON_CreateObject();
            cJSON_AddStringToObject(d, "step", *step);
            const char *text = json_str(args, "text");
            if (text != NULL && text[0] != '\0') {
                cJSON_AddStringToObject(d, "text", text);
            }
            return d;
        }
    }
    if (cause != NULL) {
        *cause = xasprintf("no step '%s' in this runbook", id);
    }
    return NULL;
}

bool run_apply(struct run *r, enum share_op op, const cJSON *args, char **cause)
{
    const char *text = json_str(args, "text");
    switch (op) {
    case SOP_NOTE:
        if (text == NULL || text[0] == '\0') {
            set_cause(cause, "an empty note");
            return false;
        }
        return run_note(r, text, cause);
    case SOP_CLAIM:
    case SOP_UNCLAIM:
    case SOP_PROPOSE: {
        const char *step = NULL;
        cJSON *d = step_data(r, args, &step, cause);
        return d != NULL && run_record(r, share_op_name(op), d, cause);
    }
    case SOP_APPROVE:
        return run_approve(r, run_actor(r), cause);
    case SOP_CONFIRM:
        return run_confirm(r, cause);
    case SOP_SKIP:
        return run_skip(r, cause);
    case SOP_BACK:
        return run_back(r, cause);
    case SOP_JUMP: {
        const char *step = NULL;
        cJSON *d = step_data(r, args, &step, cause);
        cJSON_Delete(d);
        return d != NULL && run_jump(r, step, cause);
    }
    case SOP_INPUT: {
        const char *v = json_str(args, "value");
        return run_input(r, v != NULL ? v : "", cause);
    }
    case SOP_CHOOSE: {
        double c = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(args, "choice"));
        if (!(c >= 0 && c < 64)) {
            set_cause(cause, "no such choice");
            return false;
        }
        return run_choose(r, (size_t)c, cause);
    }
    case SOP_STOP:
        return run_stop(r, cause);
    case SOP_HANDOVER:
    case SOP_ACCEPT:
    case SOP_DECLINE: {
        cJSON *d = cJSON_CreateObject();
        const char *to = json_str(args, "to");
        if (to != NULL) {
            cJSON_AddStringToObject(d, "to", to);
        }
        const char *from = json_str(args, "from");
        if (from != NULL) {
            cJSON_AddStringToObject(d, "from", from);
        }
        return run_record(r,
                          op == SOP_HANDOVER ? "handover.offer"
                          : op == SOP_ACCEPT ? "handover.accept"
                                             : "handover.decline",
                          d, cause);
    }
    case SOP_EXPECT:
    case SOP_DRILL:
    case SOP_ABORT:
    case SOP_UNKNOWN:
        break;
    }
    set_cause(cause, "not a runbook request");
    return false;
}
