/* aq_token.h — bearer tokens and device passwords: tokens are made from the OS random source
 * and stored only as SHA-256 hashes (256 random bits need no slow hash), device passwords
 * (often six digits) only as Argon2id hashes; both are compared in constant time. */
#ifndef AQ_TOKEN_H
#define AQ_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#define AQ_TOKEN_HASH_LEN 32
/* "aqs_" + 64 hex digits (256 random bits) + NUL */
#define AQ_TOKEN_SIZE 69
/* libsodium's crypto_pwhash_STRBYTES: "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>" + NUL.
 * The older "sha256$<salt>$<hash>" (105 bytes) fits too. */
#define AQ_PASSWORD_HASH_SIZE 128
/* Argon2id cost of a device password hash: OWASP's 19 MiB, 2 passes (~30 ms on one core). */
#define AQ_PASSWORD_OPSLIMIT 2
#define AQ_PASSWORD_MEMLIMIT (19u * 1024u * 1024u)

/* Writes a fresh station token into buf (AQ_TOKEN_SIZE bytes). False if the OS random source
 * failed (the caller must not fall back to anything weaker). */
bool aq_token_generate(char buf[AQ_TOKEN_SIZE]);

/* SHA-256 of the token's bytes. */
void aq_token_hash(const char *token, unsigned char out[AQ_TOKEN_HASH_LEN]);

/* Constant-time equality of two hashes: the time taken does not depend on where they differ. */
bool aq_token_hash_equal(const unsigned char a[AQ_TOKEN_HASH_LEN], const unsigned char b[AQ_TOKEN_HASH_LEN]);

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void aq_hex_encode(const unsigned char *bytes, size_t n, char *out);

/* Argon2id hash of a device password (HJ 212 PW) in libsodium's string form, with a fresh
 * random salt. Slow on purpose (AQ_PASSWORD_OPSLIMIT/MEMLIMIT). False when libsodium could
 * not be initialised or the memory was not there. */
bool aq_password_hash(const char *password, char out[AQ_PASSWORD_HASH_SIZE]);
/* True when password matches stored: an Argon2id string made by aq_password_hash, or the
 * salted SHA-256 ("sha256$…") of aqrank before 0.x, still honoured so that devices keep
 * working until their hash is upgraded. Constant time in the hash. */
bool aq_password_check(const char *password, const char *stored);
/* True when stored should be replaced by a fresh aq_password_hash after a successful check:
 * an old SHA-256 hash, or Argon2id with other costs than today's. */
bool aq_password_needs_upgrade(const char *stored);

#endif
