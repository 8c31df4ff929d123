/* token.c — token generation from getrandom(2), SHA-256 through GnuTLS, constant-time
 * comparison. Tokens themselves are never stored or logged; only their hashes are. */
#include "aq_token.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
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

bool aq_token_hash_equal(const unsigned char a[AQ_TOKEN_HASH_LEN],
			 const unsigned char b[AQ_TOKEN_HASH_LEN])
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

bool aq_password_hash(const char *password, char out[AQ_PASSWORD_HASH_SIZE])
{
	unsigned char salt[16];
	char salt_hex[33], hash_hex[65];
	if (!random_bytes(salt, sizeof salt))
		return false;
	aq_hex_encode(salt, sizeof salt, salt_hex);
	salted_hash(salt_hex, password, hash_hex);
	memcpy(out, "sha256$", 7);
	memcpy(out + 7, salt_hex, 32);
	out[39] = '$';
	memcpy(out + 40, hash_hex, 65);
	return true;
}

bool aq_password_check(const char *password, const char *stored)
{
	char salt_hex[33], hash_hex[65];
	if (!stored || strlen(stored) != AQ_PASSWORD_HASH_SIZE - 1 || strncmp(stored, "sha256$", 7) != 0 ||
	    stored[39] != '$')
		return false;
	memcpy(salt_hex, stored + 7, 32);
	salt_hex[32] = '\0';
	salted_hash(salt_hex, password, hash_hex);
	volatile unsigned char diff = 0;
	for (size_t i = 0; i < 64; i++)
		diff |= (unsigned char)(hash_hex[i] ^ stored[40 + i]);
	return diff == 0;
}
