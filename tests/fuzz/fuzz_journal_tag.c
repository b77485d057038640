/* fuzz_journal_tag.c - libFuzzer harness for rb_journal_tag_parse (rb_io.h), the reader of the tag
 * (cell key and run identity) every journal record carries; the bytes come from a file in the run
 * directory, so they are untrusted. Besides the sanitizers it checks the contract: a tag that parses
 * formats back to exactly the input bytes, and its key splits into dataset, label and severity.
 * Built and run by tests/fuzz/run.sh. */
#include "rb_io.h"
#include "rb_core.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rb_journal_tag tag;
    if (rb_journal_tag_parse((const char *)data, size, &tag) == RB_OK) {
        char text[4096], dataset[128], label[256];
        int severity;
        if (rb_journal_tag_format(&tag, text, sizeof text) != RB_OK) __builtin_trap();
        if (strlen(text) != size || memcmp(text, data, size) != 0) __builtin_trap(); /* round trip */
        if (rb_journal_key_split(tag.key, dataset, sizeof dataset, label, sizeof label, &severity) != RB_OK)
            __builtin_trap();
        if (severity < 0 || severity > 99 || !dataset[0] || !label[0]) __builtin_trap();
    }
    rb_error_clear();
    return 0;
}
