/*
 * JSON helpers every JSON backend shares: a parse that says where it failed,
 * and field access where a field of the wrong type counts as missing (APIs
 * omit fields or send null; the caller decides what missing means).
 */
#ifndef OPSDECK_JSON_H
#define OPSDECK_JSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Parse len bytes of JSON (a NUL ends the text early). False with *cause
 * ("invalid JSON at byte 12 of 40", "empty response") on failure or trailing
 * data; the caller owns *out.
 */
bool json_parse(const char *body, size_t len, cJSON **out, char **cause);
/* json_parse, and the document must be an array: else *cause is "expected a JSON array of WHAT". */
bool json_parse_array(const char *body, size_t len, const char *what, cJSON **out, char **cause);

/* obj[name] of any type; NULL when absent or obj is no object. */
const cJSON *json_get(const cJSON *obj, const char *name);
/* obj[name] as a string, object or array; NULL when absent, of another type, or obj is no object.
 */
const char *json_str(const cJSON *obj, const char *name);
const cJSON *json_obj(const cJSON *obj, const char *name);
const cJSON *json_arr(const cJSON *obj, const char *name);
/* obj[name] as a bool; dflt when absent or of another type. */
bool json_bool(const cJSON *obj, const char *name, bool dflt);

/* "a string", "a number", "a boolean", "an array", "an object", "null": for error messages. */
const char *json_type_name(const cJSON *v);
/* Add name: value to obj when value is not NULL (an absent field stays absent). */
void json_add_str(cJSON *obj, const char *name, const char *value);

/*
 * Print root (indented) and a newline to out for a person's terminal or a
 * pipe: cJSON escapes C0 controls; C1, bidi, invisible characters and bad
 * bytes are made visible too (common/text.h), so no value moves a cursor.
 */
void json_print_clean(FILE *out, const cJSON *root);

#endif
