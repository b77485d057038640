/* fuzz_override.c - libFuzzer harness for rb_config_parse_override (rb_core.h), the splitter of
 * `--set path=value`. The input is taken as a NUL-terminated string. Besides the sanitizers it checks
 * the contract: on success both halves are non-empty strings and the path holds no '='; on failure
 * nothing is handed out. Built and run by tests/fuzz/run.sh. */
#include "rb_core.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *path = NULL, *value = NULL;
    if (rb_config_parse_override(text, &path, &value) == RB_OK) {
        if (!path || !value || !path[0] || !value[0] || strchr(path, '=')) __builtin_trap();
        if (strlen(path) + strlen(value) + 1 > strlen(text)) __builtin_trap();
        free(path);
        free(value);
    } else if (path || value) {
        __builtin_trap(); /* a failure hands out nothing */
    }
    rb_error_clear();
    free(text);
    return 0;
}
