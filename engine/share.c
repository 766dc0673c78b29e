/* Roles and request names of the war room (share.h). */
#include "share.h"

#include <string.h>

static const char *const role_names[] = {"observer", "participant", "driver"};

const char *share_role_name(enum share_role r)
{
    return (unsigned)r < sizeof role_names / sizeof role_names[0] ? role_names[r] : "?";
}

bool share_role_parse(const char *s, enum share_role *out)
{
    for (size_t i = 0; s != NULL && i < sizeof role_names / sizeof role_names[0]; i++) {
        if (strcmp(s, role_names[i]) == 0) {
            *out = (enum share_role)i;
            return true;
        }
    }
    return false;
}

static const struct {
    const char *name;
    enum share_role role;
} ops[] = {
#define SHARE_OP_ROW(op, name, role) {name, role},
    SHARE_OPS(SHARE_OP_ROW)
#undef SHARE_OP_ROW
};

enum share_op share_op_parse(const char *name)
{
    for (size_t i = 0; name != NULL && i < sizeof ops / sizeof ops[0]; i++) {
        if (strcmp(name, ops[i].name) == 0) {
            return (enum share_op)i;
        }
    }
    return SOP_UNKNOWN;
}

const char *share_op_name(enum share_op op)
{
    return (unsigned)op < sizeof ops / sizeof ops[0] ? ops[op].name : "?";
}

enum share_role share_op_role(enum share_op op)
{
    return (unsigned)op < sizeof ops / sizeof ops[0] ? ops[op].role : SHARE_DRIVER;
}
