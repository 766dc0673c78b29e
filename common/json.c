/* JSON helpers shared by the backends (see json.h). */
#include "json.h"

#include "../common/util.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

static bool is_json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool json_parse(const char *body, size_t len, cJSON **out, char **cause)
{
    size_t n = body != NULL ? strnlen(body, len) : 0;
    size_t start = 0;
    while (start < n && is_json_space(body[start])) {
        start++;
    }
    if (start == n) {
        *cause = xstrdup("empty response");
        return false;
    }
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(body, n, &end, false);
    if (doc == NULL) {
        size_t pos = end != NULL && end >= body ? (size_t)(end - body) : 0;
        *cause = xasprintf("invalid JSON at byte %zu of %zu", pos, n);
        return false;
    }
    size_t pos = end != NULL ? (size_t)(end - body) : n;
    while (pos < n && is_json_space(body[pos])) {
        pos++;
    }
    if (pos < n) {
        cJSON_Delete(doc);
        *cause = xasprintf("unexpected data after the JSON at byte %zu of %zu", pos, n);
        return false;
    }
    *out = doc;
    return true;
}

bool json_parse_array(const char *body, size_t len, const char *what, cJSON **out, char **cause)
{
    cJSON *doc = NULL;
    if (!json_parse(body, len, &doc, cause)) {
        return false;
    }
    if (!cJSON_IsArray(doc)) {
        cJSON_Delete(doc);
        *cause = xasprintf("expected a JSON array of %s", what);
        return false;
    }
    *out = doc;
    return true;
}

const cJSON *json_get(const cJSON *obj, const char *name)
{
    return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, name) : NULL;
}

const char *json_str(const cJSON *obj, const char *name)
{
    const cJSON *v = json_get(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

const cJSON *json_obj(const cJSON *obj, const char *name)
{
    const cJSON *v = json_get(obj, name);
    return cJSON_IsObject(v) ? v : NULL;
}

const cJSON *json_arr(const cJSON *obj, const char *name)
{
    const cJSON *v = json_get(obj, name);
    return cJSON_IsArray(v) ? v : NULL;
}

bool json_bool(const cJSON *obj, const char *name, bool dflt)
{
    const cJSON *v = json_get(obj, name);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : dflt;
}

const char *json_type_name(const cJSON *v)
{
    if (cJSON_IsString(v)) {
        return "a string";
    }
    if (cJSON_IsNumber(v)) {
        return "a number";
    }
    if (cJSON_IsBool(v)) {
        return "a boolean";
    }
    if (cJSON_IsArray(v)) {
        return "an array";
    }
    if (cJSON_IsObject(v)) {
        return "an object";
    }
    return "null";
}

void json_add_str(cJSON *obj, const char *name, const char *value)
{
    if (value != NULL) {
        cJSON_AddStringToObject(obj, name, value);
    }
}

void json_print_clean(FILE *out, const cJSON *root)
{
    char *text = cJSON_Print(root);
    char *clean = text_clean_str(text, TEXT_JSON | TEXT_NEWLINE | TEXT_TAB);
    fprintf(out, "%s\n", clean);
    free(clean);
    free(text);
}
