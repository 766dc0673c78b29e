/*
 * libFuzzer harness: the Kubernetes DeploymentList and ReplicaSetList parsers
 * and the Status error reader must give rows, a template or an error, never
 * crash; rows must have unique keys; every failure must say why. The input is
 * not NUL-terminated, as a response body cut at the cap would not be.
 */
#include "../../backends/kubernetes.h"
#include "../../common/util.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_keys(const struct rowset *rs)
{
    for (size_t i = 0; i < rs->nrows; i++) {
        for (size_t j = i + 1; j < rs->nrows; j++) {
            if (strcmp(rowset_key(rs, i), rowset_key(rs, j)) == 0) {
                abort(); /* keys must be unique within a source */
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = xmalloc(size > 0 ? size : 1);
    memcpy(body, data, size);

    struct rowset *rs = rowset_create(MODEL_DEPLOYS, "fuzz");
    struct model_keys keys = {0};
    char *cont = NULL, *cause = NULL;
    if (kubernetes_parse_deployments(body, size, rs, 1795426200, &keys, &cont, &cause)) {
        check_keys(rs);
    } else if (cause == NULL || cont != NULL) {
        abort();
    }
    free(cont);
    free(cause);
    cause = NULL;
    model_keys_free(&keys);
    rowset_destroy(rs);

    cJSON *t = NULL;
    long rev = -1;
    if (kubernetes_previous_revision(body, size, "3f1b7c52-6a0e-4d1e-9b51-2c8f0a7e6d11", 9, &t,
                                     &rev, &cause)) {
        if (t == NULL || rev < 0 || rev >= 9) {
            abort(); /* a previous revision is below the current one */
        }
        cJSON_Delete(t);
    } else if (cause == NULL) {
        abort();
    }
    free(cause);

    struct http_response r = {.status = 403, .body = body, .len = size};
    free(kubernetes_describe_failure(&r));
    free(body);
    return 0;
}
