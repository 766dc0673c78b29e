/*
 * RabbitMQ's words as text for a person (rabbitmq.h): server text cleaned
 * for the viewer, any JSON value as short text, the messages a peek got, and
 * the reason an error body gives. Everything from the server passes text.h's
 * filter: names and payloads are shown, never obeyed.
 */
#include "rabbitmq.h"

#include "../common/json.h"
#include "../common/text.h"
#include "../common/util.h"
#include "http.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    PEEK_PAYLOAD_SHOWN = 50000, /* bytes of each payload shown: whole, as RabbitMQ sends it */
    DETAIL_VALUE_MAX = 400,     /* a JSON value shown in the detail */
};

/* ---- text ---- */

void rabbitmq_text_add(struct strbuf *sb, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t k = i;
        while (k < n && s[k] != '\r' && s[k] != '\t') {
            k++;
        }
        text_add(sb, s + i, k - i, TEXT_NEWLINE);
        if (k < n && s[k] == '\t') {
            strbuf_add(sb, " ", 1);
        }
        i = k + (k < n);
    }
}

char *rabbitmq_json_text(const cJSON *v)
{
    if (cJSON_IsString(v)) {
        return xstrdup(v->valuestring);
    }
    char *s = cJSON_PrintUnformatted(v);
    char *out = xasprintf("%.*s", DETAIL_VALUE_MAX, s != NULL ? s : "?");
    cJSON_free(s);
    return out;
}

/* ---- the peek answer ---- */

static void peek_headers(struct strbuf *sb, const cJSON *headers)
{
    const cJSON *h;
    cJSON_ArrayForEach(h, headers)
    {
        if (h->string == NULL) {
            continue;
        }
        if (strcmp(h->string, "x-death") == 0 && cJSON_IsArray(h)) {
            const cJSON *d;
            cJSON_ArrayForEach(d, h)
            {
                const cJSON *count = cJSON_GetObjectItemCaseSensitive(d, "count");
                char *keys =
                    rabbitmq_json_text(cJSON_GetObjectItemCaseSensitive(d, "routing-keys"));
                strbuf_printf(
                    sb, "  x-death: queue %s, reason %s, count %.0f, exchange '%s', keys %s\n",
                    json_str(d, "queue") ? json_str(d, "queue") : "?",
                    json_str(d, "reason") ? json_str(d, "reason") : "?",
                    cJSON_IsNumber(count) ? count->valuedouble : 0,
                    json_str(d, "exchange") ? json_str(d, "exchange") : "", keys);
                free(keys);
            }
            continue;
        }
        char *v = rabbitmq_json_text(h);
        strbuf_printf(sb, "  header %s: ", h->string);
        rabbitmq_text_add(sb, v, strlen(v));
        strbuf_add(sb, "\n", 1);
        free(v);
    }
}

static void peek_message(struct strbuf *sb, const cJSON *m, int i, int n)
{
    const char *rk = json_str(m, "routing_key"), *ex = json_str(m, "exchange");
    const cJSON *redelivered = cJSON_GetObjectItemCaseSensitive(m, "redelivered");
    strbuf_printf(sb, "\n--- message %d of %d ---\n", i, n);
    strbuf_add(sb, "routing key: ", 13);
    rabbitmq_text_add(sb, rk != NULL ? rk : "", rk != NULL ? strlen(rk) : 0);
    strbuf_add(sb, "  exchange: ", 12);
    if (ex == NULL || ex[0] == '\0') {
        strbuf_add(sb, "(default)", 9);
    } else {
        rabbitmq_text_add(sb, ex, strlen(ex));
    }
    strbuf_printf(sb, "  redelivered: %s\n", cJSON_IsTrue(redelivered) ? "yes" : "no");
    const cJSON *props = json_obj(m, "properties");
    const cJSON *p;
    cJSON_ArrayForEach(p, props)
    {
        if (p->string == NULL || strcmp(p->string, "headers") == 0) {
            continue;
        }
        char *v = rabbitmq_json_text(p);
        strbuf_printf(sb, "  %s: ", p->string);
        rabbitmq_text_add(sb, v, strlen(v));
        strbuf_add(sb, "\n", 1);
        free(v);
    }
    peek_headers(sb, json_obj(props, "headers"));
    const char *payload = json_str(m, "payload");
    const char *enc = json_str(m, "payload_encoding");
    const cJSON *bytes = cJSON_GetObjectItemCaseSensitive(m, "payload_bytes");
    size_t plen = payload != NULL ? strlen(payload) : 0;
    strbuf_printf(sb, "payload (%.0f bytes, %s):\n", cJSON_IsNumber(bytes) ? bytes->valuedouble : 0,
                  enc != NULL ? enc : "?");
    rabbitmq_text_add(sb, payload != NULL ? payload : "",
                      plen > PEEK_PAYLOAD_SHOWN ? PEEK_PAYLOAD_SHOWN : plen);
    if (plen > PEEK_PAYLOAD_SHOWN) {
        strbuf_printf(sb, "\n... (%zu more characters not shown)", plen - PEEK_PAYLOAD_SHOWN);
    } else if (cJSON_IsNumber(bytes) && enc != NULL && strcmp(enc, "string") == 0 &&
               bytes->valuedouble > (double)plen) {
        strbuf_printf(sb, "\n... (RabbitMQ sent the first %zu of %.0f bytes)", plen,
                      bytes->valuedouble);
    }
    strbuf_add(sb, "\n", 1);
}

bool rabbitmq_format_peek(const char *body, size_t len, const char *queue, char **text,
                          char **cause)
{
    cJSON *doc = NULL;
    if (!json_parse_array(body, len, "messages", &doc, cause)) {
        return false;
    }
    int n = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, doc)
    {
        n += cJSON_IsObject(m);
    }
    struct strbuf sb = {0};
    if (n == 0) {
        strbuf_printf(&sb, "%s is empty: no message to peek", queue);
    } else {
        strbuf_printf(
            &sb, "peeked %d message%s of %s (requeued: still in the queue, marked redelivered)\n",
            n, n == 1 ? "" : "s", queue);
        int i = 0;
        bool counted = false;
        cJSON_ArrayForEach(m, doc)
        {
            if (cJSON_IsObject(m)) {
                peek_message(&sb, m, ++i, n);
                counted = counted || cJSON_GetObjectItemCaseSensitive(
                                         json_obj(json_obj(m, "properties"), "headers"),
                                         "x-delivery-count") != NULL;
            }
        }
        if (counted) {
            /* a quorum queue counts a requeued get as a delivery */
            strbuf_printf(&sb, "\nnote: each peek of a quorum queue adds to x-delivery-count; past "
                               "x-delivery-limit RabbitMQ dead-letters or drops the message\n");
        }
    }
    cJSON_Delete(doc);
    /* names and x-death fields came in unfiltered: shown, not obeyed (text.h) */
    *text = text_clean(sb.s, sb.n, TEXT_NEWLINE);
    free(sb.s);
    return true;
}

/* ---- failures ---- */

char *rabbitmq_describe_failure(const struct http_response *r)
{
    cJSON *doc = NULL;
    char *cause = NULL;
    const char *reason = NULL;
    if (r->error == NULL && json_parse(r->body, r->len, &doc, &cause)) {
        reason = json_str(doc, "reason");
    }
    free(cause);
    char *out;
    if (reason != NULL && reason[0] != '\0') {
        struct strbuf sb = {0};
        strbuf_add(&sb, "", 0);
        for (const char *p = reason; *p != '\0';) {
            size_t len = strcspn(p, "\n");
            rabbitmq_text_add(&sb, p, len);
            p += len;
            if (*p == '\n') {
                if (sb.n > 0 && sb.s[sb.n - 1] != ' ') {
                    strbuf_add(&sb, ": ", sb.s[sb.n - 1] == ':' ? 1 : 2);
                }
                p++;
            }
        }
        while (sb.n > 0 && (sb.s[sb.n - 1] == ' ' || sb.s[sb.n - 1] == ':')) {
            sb.s[--sb.n] = '\0';
        }
        struct http_response bare = *r;
        bare.body = "";
        bare.len = 0;
        char *head = http_describe_failure(&bare);
        out = xasprintf("%s: %s", head, sb.s);
        free(head);
        free(sb.s);
    } else {
        out = http_describe_failure(r);
    }
    cJSON_Delete(doc);
    return out;
}
