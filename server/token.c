/* token.c — token generation from getrandom(2), SHA-256 through GnuTLS, constant-time
 * comparison; device passwords hashed with Argon2id (libsodium's crypto_pwhash). Tokens and
 * passwords themselves are never stored or logged; only their hashes are. */
#include "aq_token.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <sodium.h>
#include <string.h>
#include <sys/random.h>

static bool random_bytes(unsigned char *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = getrandom(buf + got, n - got, 0);
		if (r < 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

void aq_hex_encode(const unsigned char *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = '\0';
}

bool aq_token_generate(char buf[AQ_TOKEN_SIZE])
{
	unsigned char raw[32];
	if (!random_bytes(raw, sizeof raw))
		return false;
	memcpy(buf, "aqs_", 4);
	aq_hex_encode(raw, sizeof raw, buf + 4);
	return true;
}

void aq_token_hash(const char *token, unsigned char out[AQ_TOKEN_HASH_LEN])
{
	gnutls_hash_fast(GNUTLS_DIG_SHA256, token, strlen(token), out);
}

bool aq_token_hash_equal(const unsigned char a[AQ_TOKEN_HASH_LEN], const unsigned char b[AQ_TOKEN_HASH_LEN])
{
	volatile unsigned char diff = 0;
	for (size_t i = 0; i < AQ_TOKEN_HASH_LEN; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

static void salted_hash(const char *salt_hex, const char *password, char out_hex[65])
{
	unsigned char digest[32];
	gnutls_hash_hd_t h;
	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0) {
		memset(out_hex, 0, 65);
		return;
	}
	gnutls_hash(h, salt_hex, strlen(salt_hex));
	gnutls_hash(h, password, strlen(password));
	gnutls_hash_deinit(h, digest);
	aq_hex_encode(digest, sizeof digest, out_hex);
}

#define LEGACY_PREFIX "sha256$"
#define LEGACY_SIZE 105 /* "sha256$" + 32 hex salt + "$" + 64 hex hash + NUL */

bool aq_password_hash(const char *password, char out[AQ_PASSWORD_HASH_SIZE])
{
	if (sodium_init() < 0)
		return false;
	return crypto_pwhash_str(out, password, strlen(password), AQ_PASSWORD_OPSLIMIT, AQ_PASSWORD_MEMLIMIT) == 0;
}

/* aqrank's first device password hash: SHA-256 of the hex salt followed by the password. */
static bool legacy_check(const char *password, const char *stored)
{
	char salt_hex[33], hash_hex[65];
	if (strlen(stored) != LEGACY_SIZE - 1 || stored[39] != '$')
		return false;
	memcpy(salt_hex, stored + 7, 32);
	salt_hex[32] = '\0';
	salted_hash(salt_hex, password, hash_hex);
	volatile unsigned char diff = 0;
	for (size_t i = 0; i < 64; i++)
		diff |= (unsigned char)(hash_hex[i] ^ stored[40 + i]);
	return diff == 0;
}

bool aq_password_check(const char *password, const char *stored)
{
	if (!stored || !stored[0])
		return false;
	if (strncmp(stored, LEGACY_PREFIX, strlen(LEGACY_PREFIX)) == 0)
		return legacy_check(password, stored);
	if (strncmp(stored, "$argon2id$", 10) != 0 || strlen(stored) >= AQ_PASSWORD_HASH_SIZE || sodium_init() < 0)
		return false;
	return crypto_pwhash_str_verify(stored, password, strlen(password)) == 0;
}

bool aq_password_needs_upgrade(const char *stored)
{
	if (!stored || !stored[0])
		return false;
	if (strncmp(stored, LEGACY_PREFIX, strlen(LEGACY_PREFIX)) == 0)
		return true;
	return sodium_init() >= 0 &&
	       crypto_pwhash_str_needs_rehash(stored, AQ_PASSWORD_OPSLIMIT, AQ_PASSWORD_MEMLIMIT) != 0;
}
