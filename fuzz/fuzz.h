/* fuzz.h — what every libFuzzer harness of fuzz/ shares: the entry points libFuzzer calls and
 * the check that turns a broken invariant into a crash the fuzzer reports and keeps. */
#ifndef AQ_FUZZ_H
#define AQ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* abort() rather than assert(): the check must hold in every build, NDEBUG or not. */
#define FUZZ_CHECK(cond)                                                                          \
	do {                                                                                      \
		if (!(cond)) {                                                                    \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                  \
		}                                                                                 \
	} while (0)

/* A NUL-terminated copy of the input (the parsers take C strings). The caller frees it. An
 * embedded NUL ends the string early, as it would in a header or a file read with fgets. */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
