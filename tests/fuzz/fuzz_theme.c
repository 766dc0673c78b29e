/* libFuzzer harness: the theme parser must give an error or a theme, never crash. */
#include "../../common/util.h"
#include "../../tui/theme.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = xstrndup((const char *)data, size);
    char *cause = NULL;
    struct theme t;
    theme_builtin(&t);
    if (!theme_parse(&t, "fuzz.theme", text, &cause) && cause == NULL) {
        abort(); /* a failure always says why */
    }
    free(cause);
    free(text);
    return 0;
}
