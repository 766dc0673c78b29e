/* libFuzzer harness: the config parser must give an error or a config, never crash. */
#include "../../common/util.h"
#include "../../engine/config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = xstrndup((const char *)data, size);
    char *cause = NULL;
    struct config *cfg = config_parse("fuzz.ini", text, &cause);
    if (cfg == NULL && (cause == NULL || strncmp(cause, "fuzz.ini", 8) != 0)) {
        abort(); /* every error must name the file */
    }
    config_destroy(cfg);
    free(cause);
    free(text);
    return 0;
}
