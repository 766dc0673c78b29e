/*
 * The JSON helpers every backend reads through: a parse that says where it
 * failed (the byte, of how many), refuses trailing data, stops at a NUL and
 * calls blank input empty; field access where a field of the wrong type, or
 * a parent that is not an object, counts as missing.
 */
#include "../../common/json.h"
#include "../../common/util.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

/* The cause for body (len bytes), or "" when it parsed. */
static char *parse_cause(const char *body, size_t len)
{
    cJSON *doc = NULL;
    char *cause = NULL;
    if (json_parse(body, len, &doc, &cause)) {
        cJSON_Delete(doc);
        return xstrdup("");
    }
    return cause != NULL ? cause : xstrdup("(no cause)");
}

static void is_cause(const char *body, const char *want, const char *what)
{
    char *got = parse_cause(body, strlen(body));
    tap_is_str(got, want, what);
    free(got);
}

static void test_parse(void)
{
    cJSON *doc = NULL;
    char *cause = NULL;
    tap_ok(json_parse("{\"a\": [1, 2]}", 13, &doc, &cause) && cJSON_IsObject(doc),
           "an object parses");
    cJSON_Delete(doc);
    is_cause("  [1]\n\t ", "", "blanks around the document are fine");

    is_cause("", "empty response", "empty input is an empty response");
    is_cause(" \r\n\t", "empty response", "so is blank input");
    char *got = parse_cause(NULL, 0);
    tap_is_str(got, "empty response", "and no body at all");
    free(got);

    is_cause("[1,2,x]", "invalid JSON at byte 5 of 7", "a bad value: its byte");
    is_cause("{\"a\" 1}", "invalid JSON at byte 5 of 7", "a missing colon: its byte");
    is_cause("{\"a\":1", "invalid JSON at byte 5 of 6", "cut short: the last byte");
    is_cause("nul", "invalid JSON at byte 0 of 3", "a bad literal: where it starts");

    is_cause("{} {}", "unexpected data after the JSON at byte 3 of 5",
             "trailing data is refused, with its byte");
    is_cause("[1]x", "unexpected data after the JSON at byte 3 of 4", "even one byte");
    is_cause("[1]\n\n]", "unexpected data after the JSON at byte 5 of 6",
             "after blanks, the byte of the data");

    /* a NUL ends the text: what follows is not read (a body cut at the cap) */
    const char nul[] = "[1]\0garbage";
    got = parse_cause(nul, sizeof nul - 1);
    tap_is_str(got, "", "a NUL ends the text early");
    free(got);
    const char nul_bad[] = "[1,\0 2]";
    got = parse_cause(nul_bad, sizeof nul_bad - 1);
    tap_is_str(got, "invalid JSON at byte 2 of 3", "and the length counts to the NUL");
    free(got);
    doc = NULL;
    tap_ok(json_parse_array("[1]", 3, "things", &doc, &cause) && cJSON_IsArray(doc),
           "parse_array: an array");
    cJSON_Delete(doc);
    got = NULL;
    tap_ok(!json_parse_array("{}", 2, "things", &doc, &got), "parse_array: an object is refused");
    tap_is_str(got, "expected a JSON array of things", "saying what was expected");
    free(got);
    got = NULL;
    tap_ok(!json_parse_array("[", 1, "things", &doc, &got) && got != NULL &&
               strstr(got, "invalid JSON") != NULL,
           "parse_array: a parse error is the parser's");
    free(got);
    /* len bounds the read: the text need not be NUL-terminated */
    got = parse_cause("[12345]", 4);
    tap_is_str(got, "invalid JSON at byte 3 of 4", "len bounds the read");
    free(got);
}

static void test_fields(void)
{
    cJSON *doc = NULL;
    char *cause = NULL;
    const char *text = "{\"s\": \"x\", \"n\": 3, \"o\": {\"k\": \"v\"}, \"a\": [1], \"t\": true, "
                       "\"f\": false, \"z\": null}";
    if (!json_parse(text, strlen(text), &doc, &cause)) {
        tap_diag("%s", cause);
    }
    tap_is_str(json_str(doc, "s"), "x", "json_str: a string");
    tap_ok(json_str(doc, "n") == NULL, "json_str: a number counts as missing");
    tap_ok(json_str(doc, "missing") == NULL, "json_str: absent");
    tap_ok(json_str(doc, "z") == NULL, "json_str: null counts as missing");
    tap_ok(json_obj(doc, "o") != NULL && json_obj(doc, "a") == NULL, "json_obj: only an object");
    tap_ok(json_arr(doc, "a") != NULL && json_arr(doc, "o") == NULL, "json_arr: only an array");
    tap_is_str(json_str(json_obj(doc, "o"), "k"), "v", "a nested field");
    tap_ok(json_str(json_obj(doc, "missing"), "k") == NULL, "through a missing parent: missing");
    tap_ok(json_get(doc, "n") != NULL && cJSON_IsNumber(json_get(doc, "n")), "json_get: any type");
    tap_ok(json_get(doc, "missing") == NULL, "json_get: absent");
    tap_ok(json_bool(doc, "t", false) && !json_bool(doc, "f", true), "json_bool: true and false");
    tap_ok(json_bool(doc, "s", true) && !json_bool(doc, "s", false),
           "json_bool: a string counts as missing (the default)");
    tap_ok(json_bool(doc, "missing", true), "json_bool: absent is the default");

    /* a parent that is not an object has no fields, even when its items have names */
    const cJSON *arr = json_arr(doc, "a");
    tap_ok(json_get(arr, "0") == NULL && json_str(arr, "s") == NULL,
           "an array has no fields (json_get, json_str)");
    tap_ok(json_get(json_get(doc, "s"), "s") == NULL, "a string has no fields");
    tap_ok(json_get(NULL, "s") == NULL && json_str(NULL, "s") == NULL &&
               !json_bool(NULL, "t", false),
           "NULL has no fields");
    cJSON_Delete(doc);

    /* keys are case-sensitive */
    if (json_parse("{\"Name\": \"x\"}", 13, &doc, &cause)) {
        tap_ok(json_str(doc, "name") == NULL && json_str(doc, "Name") != NULL,
               "names are case-sensitive");
        cJSON_Delete(doc);
    }
}

static void test_type_names(void)
{
    cJSON *s = cJSON_CreateString("x"), *n = cJSON_CreateNumber(1), *b = cJSON_CreateTrue();
    cJSON *a = cJSON_CreateArray(), *o = cJSON_CreateObject(), *z = cJSON_CreateNull();
    tap_is_str(json_type_name(s), "a string", "type name: string");
    tap_is_str(json_type_name(n), "a number", "type name: number");
    tap_is_str(json_type_name(b), "a boolean", "type name: boolean");
    tap_is_str(json_type_name(a), "an array", "type name: array");
    tap_is_str(json_type_name(o), "an object", "type name: object");
    tap_is_str(json_type_name(z), "null", "type name: null");
    tap_is_str(json_type_name(NULL), "null", "type name: nothing");
    cJSON_Delete(s);
    cJSON_Delete(n);
    cJSON_Delete(b);
    cJSON_Delete(a);
    cJSON_Delete(o);
    cJSON_Delete(z);
}

int main(void)
{
    test_parse();
    test_fields();
    test_type_names();
    return tap_done();
}
