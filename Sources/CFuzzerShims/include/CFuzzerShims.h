#ifndef CFUZZERSHIMS_H
#define CFUZZERSHIMS_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver, for a program that has its own `main` (SwiftPM names an executable's
/// entry point itself on Linux, so libFuzzer's `main` cannot be used). Linked only into the
/// instrumented build (`-sanitize=fuzzer`); the normal build never calls it.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
