/*
 * libFuzzer harness: any bytes from an API go through utf8_fit() before they
 * reach the terminal. Whatever the input, the output must fit its width, end
 * inside the buffer and carry no control bytes.
 */
#include "../../common/util.h"

#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setlocale(LC_ALL, "C.UTF-8");
        ready = 1;
    }
    if (size < 1) {
        return 0;
    }
    int width = data[0] % 64;
    char *text = xstrndup((const char *)data + 1, size - 1);
    char buf[96];
    int used = utf8_fit(buf, sizeof buf, text, width, "~");
    if (used > width || utf8_width(buf) > width || strlen(buf) >= sizeof buf) {
        abort();
    }
    for (const char *p = buf; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            abort();
        }
    }
    free(text);
    return 0;
}
