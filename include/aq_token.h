/* aq_token.h — bearer tokens and device passwords: made from the OS random source, stored
 * only as SHA-256 hashes, compared in constant time. */
#ifndef AQ_TOKEN_H
#define AQ_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#define AQ_TOKEN_HASH_LEN 32
/* "aqs_" + 64 hex digits (256 random bits) + NUL */
#define AQ_TOKEN_SIZE 69
/* "sha256$" + 32 hex salt + "$" + 64 hex hash + NUL */
#define AQ_PASSWORD_HASH_SIZE 105

/* Writes a fresh station token into buf (AQ_TOKEN_SIZE bytes). False if the OS random source
 * failed (the caller must not fall back to anything weaker). */
bool aq_token_generate(char buf[AQ_TOKEN_SIZE]);

/* SHA-256 of the token's bytes. */
void aq_token_hash(const char *token, unsigned char out[AQ_TOKEN_HASH_LEN]);

/* Constant-time equality of two hashes: the time taken does not depend on where they differ. */
bool aq_token_hash_equal(const unsigned char a[AQ_TOKEN_HASH_LEN],
			 const unsigned char b[AQ_TOKEN_HASH_LEN]);

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void aq_hex_encode(const unsigned char *bytes, size_t n, char *out);

/* Salted hash of a device password (HJ 212 PW), "sha256$<salt>$<hash>". False when the OS
 * random source failed. */
bool aq_password_hash(const char *password, char out[AQ_PASSWORD_HASH_SIZE]);
/* True when password matches a hash made by aq_password_hash (constant time in the hash). */
bool aq_password_check(const char *password, const char *stored);

#endif
