/* check_token.c — Check suite for token.c: token format and uniqueness, SHA-256 known answers
 * (reference digests from Python's hashlib), hex encoding, the semantics of the constant-time
 * comparison, and device passwords: Argon2id and the older salted SHA-256 (format, right/wrong,
 * malformed stored strings, fresh salts, known answers that pin both schemes, and which stored
 * hashes ask for an upgrade). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aq_token.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static bool is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* --- tokens --- */

/* Each iteration draws a batch and checks the exact shape of every token. */
START_TEST(test_token_format)
{
	for (int k = 0; k < 100; k++) {
		char buf[AQ_TOKEN_SIZE];
		memset(buf, '#', sizeof buf);
		ck_assert(aq_token_generate(buf));
		ck_assert_msg(memchr(buf, '\0', sizeof buf) == buf + AQ_TOKEN_SIZE - 1,
			      "token is not NUL-terminated at %d", AQ_TOKEN_SIZE - 1);
		ck_assert_uint_eq(strlen(buf), 68);
		ck_assert_msg(strncmp(buf, "aqs_", 4) == 0, "token %s lacks the aqs_ prefix", buf);
		ck_assert_msg(is_lower_hex(buf + 4, 64), "token %s is not 64 lower-case hex digits", buf);
	}
}
END_TEST

static int cmp_token(const void *a, const void *b)
{
	return memcmp(a, b, AQ_TOKEN_SIZE);
}

/* 20000 draws: no duplicates, and every hex digit turns up about equally often in every
 * position (a weak but cheap guard against a broken random source or encoder). */
START_TEST(test_token_unique)
{
	enum {
		DRAWS = 20000
	};
	char(*t)[AQ_TOKEN_SIZE] = calloc(DRAWS, AQ_TOKEN_SIZE);
	static long count[64][16];
	ck_assert_ptr_nonnull(t);
	for (int i = 0; i < DRAWS; i++) {
		ck_assert(aq_token_generate(t[i]));
		for (int k = 0; k < 64; k++) {
			char c = t[i][4 + k];
			count[k][c <= '9' ? c - '0' : c - 'a' + 10]++;
		}
	}
	qsort(t, DRAWS, AQ_TOKEN_SIZE, cmp_token);
	for (int i = 1; i < DRAWS; i++)
		ck_assert_msg(strcmp(t[i - 1], t[i]) != 0, "duplicate token %s", t[i]);
	/* expected 1250 per digit per position, σ ≈ 34: 800..1700 is beyond 13σ */
	for (int k = 0; k < 64; k++)
		for (int d = 0; d < 16; d++)
			ck_assert_msg(count[k][d] > 800 && count[k][d] < 1700,
				      "hex digit %x at position %d seen %ld times in %d tokens", d, k, count[k][d],
				      DRAWS);
	free(t);
}
END_TEST

/* --- hashing --- */

struct hash_case {
	const char *in;
	const char *hex; /* SHA-256, from hashlib */
};

static const struct hash_case hash_cases[] = {
	{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	{"aqs_0000000000000000000000000000000000000000000000000000000000000000",
	 "a1e514755b18d329a6fd99d7069f3b7427f713b8cf27a5ceab807448ba43c4c7"},
	{"东四", "8a9f993de5a92ff3d75df73ddc22bf0904326b7eaa8688b8173cb33b7f4af1b8"},
};

START_TEST(test_hash_known)
{
	const struct hash_case *c = &hash_cases[_i];
	unsigned char h[AQ_TOKEN_HASH_LEN], again[AQ_TOKEN_HASH_LEN];
	char hex[2 * AQ_TOKEN_HASH_LEN + 1];
	aq_token_hash(c->in, h);
	aq_hex_encode(h, sizeof h, hex);
	ck_assert_str_eq(hex, c->hex);
	aq_token_hash(c->in, again);
	ck_assert(memcmp(h, again, sizeof h) == 0);
	ck_assert(aq_token_hash_equal(h, again));
}
END_TEST

/* Fresh tokens: the hash is deterministic, differs between tokens, and one changed character
 * changes it. */
START_TEST(test_hash_tokens)
{
	char a[AQ_TOKEN_SIZE], b[AQ_TOKEN_SIZE];
	unsigned char ha[AQ_TOKEN_HASH_LEN], ha2[AQ_TOKEN_HASH_LEN], hb[AQ_TOKEN_HASH_LEN];
	ck_assert(aq_token_generate(a));
	ck_assert(aq_token_generate(b));
	aq_token_hash(a, ha);
	aq_token_hash(a, ha2);
	aq_token_hash(b, hb);
	ck_assert(aq_token_hash_equal(ha, ha2));
	ck_assert(!aq_token_hash_equal(ha, hb));
	a[4 + _i] = a[4 + _i] == '0' ? '1' : '0';
	aq_token_hash(a, ha2);
	ck_assert_msg(!aq_token_hash_equal(ha, ha2), "changing hex digit %d leaves the hash", _i);
}
END_TEST

struct hex_case {
	unsigned char bytes[6];
	size_t n;
	const char *hex;
};

static const struct hex_case hex_cases[] = {
	{{0}, 0, ""},
	{{0x00}, 1, "00"},
	{{0xff}, 1, "ff"},
	{{0x0f, 0xf0}, 2, "0ff0"},
	{{0x00, 0xff, 0x10, 0xab, 0x9c, 0x01}, 6, "00ff10ab9c01"},
};

START_TEST(test_hex_encode)
{
	const struct hex_case *c = &hex_cases[_i];
	char out[16];
	memset(out, '#', sizeof out);
	aq_hex_encode(c->bytes, c->n, out);
	ck_assert_str_eq(out, c->hex);
	ck_assert_int_eq(out[2 * c->n + 1], '#'); /* nothing written past the NUL */
}
END_TEST

/* Equal only when all 32 bytes are: flip each bit of each byte in turn. */
START_TEST(test_hash_equal_every_bit)
{
	unsigned char a[AQ_TOKEN_HASH_LEN], b[AQ_TOKEN_HASH_LEN];
	aq_token_hash("some token", a);
	int byte = _i / 8, bit = _i % 8;
	memcpy(b, a, sizeof a);
	ck_assert(aq_token_hash_equal(a, b));
	b[byte] ^= (unsigned char)(1u << bit);
	ck_assert_msg(!aq_token_hash_equal(a, b), "byte %d bit %d ignored", byte, bit);
	ck_assert_msg(!aq_token_hash_equal(b, a), "byte %d bit %d ignored (swapped)", byte, bit);
}
END_TEST

START_TEST(test_hash_equal_patterns)
{
	unsigned char zero[AQ_TOKEN_HASH_LEN] = {0}, ones[AQ_TOKEN_HASH_LEN], mixed[AQ_TOKEN_HASH_LEN];
	memset(ones, 0xff, sizeof ones);
	for (int i = 0; i < AQ_TOKEN_HASH_LEN; i++)
		mixed[i] = (unsigned char)(i % 2 ? 0xff : 0);
	ck_assert(aq_token_hash_equal(zero, zero));
	ck_assert(aq_token_hash_equal(ones, ones));
	ck_assert(!aq_token_hash_equal(zero, ones));
	ck_assert(!aq_token_hash_equal(zero, mixed));
	ck_assert(!aq_token_hash_equal(mixed, ones));
}
END_TEST

/* --- device passwords --- */

static const char *const passwords[] = {"123456", "", "密码", "p@ss word with spaces",
					"0123456789012345678901234567890123456789012345678901234567890123456789"};

START_TEST(test_password_round_trip)
{
	const char *pw = passwords[_i];
	char a[AQ_PASSWORD_HASH_SIZE], b[AQ_PASSWORD_HASH_SIZE];
	ck_assert(aq_password_hash(pw, a));
	ck_assert(aq_password_hash(pw, b));
	/* Argon2id at today's cost, in libsodium's string form, and it fits the buffer */
	ck_assert_msg(strncmp(a, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0, "%s", a);
	ck_assert_uint_le(strlen(a) + 1, AQ_PASSWORD_HASH_SIZE);
	ck_assert(!aq_password_needs_upgrade(a));
	/* a fresh salt each time, so the same password gives different strings */
	ck_assert(strcmp(a, b) != 0);
	ck_assert_msg(aq_password_check(pw, a), "\"%s\" does not verify against its own hash %s", pw, a);
	ck_assert(aq_password_check(pw, b));
	/* wrong passwords: another one, a prefix, an extension, a case change */
	ck_assert(!aq_password_check("wrong", a));
	ck_assert(!aq_password_check("12345", a) || strcmp(pw, "12345") == 0);
	char longer[128];
	snprintf(longer, sizeof longer, "%sx", pw);
	ck_assert(!aq_password_check(longer, a));
	if (*pw)
		ck_assert(!aq_password_check("", a));
}
END_TEST

struct known_pw_case {
	const char *pw;
	const char *stored; /* sha256$salt$SHA-256(salt_hex || password), from hashlib; or Argon2id */
	bool upgrade;	    /* aq_password_needs_upgrade */
};

static const struct known_pw_case known_pw[] = {
	{"123456",
	 "sha256$00112233445566778899aabbccddeeff$"
	 "fa2f35eba15768650f7bd746c5d0a5717efe258c497c98ff6b6f7c6d23351fe8",
	 true},
	{"",
	 "sha256$00112233445566778899aabbccddeeff$"
	 "5947d7c33d783f94b3b4c1a96ebc8991ed28f1b069b71e03376cba8caa98a720",
	 true},
	{"密码",
	 "sha256$00112233445566778899aabbccddeeff$"
	 "930bebe4c02ecb985e659382e1b1badc86b792b9a8b2246eeb3b98e96d52697e",
	 true},
	/* Argon2id strings made by libsodium 1.0.18: today's cost, and a cheaper one to upgrade */
	{"123456", "$argon2id$v=19$m=19456,t=2,p=1$y4lndijiCBtOZzvkkLouCg$aKJeiftI37gUCrh1A/e4IP7ftXSaxRRIuawQNHnHm+0",
	 false},
	{"", "$argon2id$v=19$m=19456,t=2,p=1$9ApMJGzo3Z/mnpGfbUd8Uw$siZCx3X8xrVoFk1h5dEPtxkb1YiAEAJnzLKg8xk2PXQ",
	 false},
	{"123456", "$argon2id$v=19$m=8192,t=1,p=1$8RINoBqD9dSFom/W1rvf9w$6VswXGrJp82zRxjNj/b+ocrTaLXEmsTvQ8rBYu6WBq4",
	 true},
};

/* Hashes stored in the database must keep verifying: the scheme is pinned by known answers.
 * Regression (fixed): fails for the same off-by-one as test_password_round_trip. */
START_TEST(test_password_known)
{
	const struct known_pw_case *c = &known_pw[_i];
	ck_assert_msg(aq_password_check(c->pw, c->stored), "\"%s\" does not verify", c->pw);
	ck_assert(!aq_password_check("not it", c->stored));
	ck_assert_int_eq(aq_password_needs_upgrade(c->stored), c->upgrade);
}
END_TEST

#define GOOD "sha256$00112233445566778899aabbccddeeff$fa2f35eba15768650f7bd746c5d0a5717efe258c497c98ff6b6f7c6d23351fe8"

static const char *const malformed[] = {
	"",
	"sha256$",
	"123456",
	/* one character short, one too many */
	"sha256$00112233445566778899aabbccddeeff$fa2f35eba15768650f7bd746c5d0a5717efe258c497c98ff6b6f7c6d23351fe",
	/* Regression (fixed): with the off-by-one length check, these two 105-character strings (a valid hash
	 * followed by garbage) are the ones aq_password_check accepts. */
	GOOD "8",
	GOOD "\n",
	/* other algorithm name, same length */
	"sha512$00112233445566778899aabbccddeeff$fa2f35eba15768650f7bd746c5d0a5717efe258c497c98ff6b6f7c6d23351fe8",
	"SHA256$00112233445566778899aabbccddeeff$fa2f35eba15768650f7bd746c5d0a5717efe258c497c98ff6b6f7c6d23351fe8",
	/* separator moved or missing */
	"sha256$00112233445566778899aabbccddeeff#fa2f35eba15768650f7bd746c5d0a5717efe258c497c98ff6b6f7c6d23351fe8",
	"sha256$0112233445566778899aabbccddeeff$00fa2f35eba15768650f7bd746c5d0a5717efe258c497c98ff6b6f7c6d23351fe8",
	/* salt or hash changed by one digit */
	"sha256$10112233445566778899aabbccddeeff$fa2f35eba15768650f7bd746c5d0a5717efe258c497c98ff6b6f7c6d23351fe8",
	"sha256$00112233445566778899aabbccddeeff$fa2f35eba15768650f7bd746c5d0a5717efe258c497c98ff6b6f7c6d23351fe9",
	"sha256$00112233445566778899aabbccddeeff$ea2f35eba15768650f7bd746c5d0a5717efe258c497c98ff6b6f7c6d23351fe8",
	/* upper-case hex is not what aq_password_hash writes */
	"sha256$00112233445566778899aabbccddeeff$FA2F35EBA15768650F7BD746C5D0A5717EFE258C497C98FF6B6F7C6D23351FE8",
	/* the plain SHA-256 of the password without a salt */
	"8d969eef6ecad3c29a3a629280e686cf0c3f5d5a86aff3ca12020c923adc6c92",
	/* Argon2id with the hash changed, cut short, or another variant's name */
	"$argon2id$v=19$m=19456,t=2,p=1$y4lndijiCBtOZzvkkLouCg$aKJeiftI37gUCrh1A/e4IP7ftXSaxRRIuawQNHnHm+1",
	"$argon2id$v=19$m=19456,t=2,p=1$y4lndijiCBtOZzvkkLouCg$",
	"$argon2i$v=19$m=19456,t=2,p=1$y4lndijiCBtOZzvkkLouCg$aKJeiftI37gUCrh1A/e4IP7ftXSaxRRIuawQNHnHm+0",
	/* all zeros, the output of a failed hash */
	"sha256$00112233445566778899aabbccddeeff$0000000000000000000000000000000000000000000000000000000000000000",
};

START_TEST(test_password_malformed)
{
	ck_assert_msg(!aq_password_check("123456", malformed[_i]), "accepted \"%s\"", malformed[_i]);
}
END_TEST

START_TEST(test_password_null_stored)
{
	ck_assert(!aq_password_check("123456", NULL));
	ck_assert(!aq_password_check("", NULL));
}
END_TEST

static Suite *token_suite(void)
{
	Suite *s = suite_create("token");
	TCase *tc;

	tc = tcase_create("tokens");
	tcase_add_loop_test(tc, test_token_format, 0, 20);
	tcase_add_test(tc, test_token_unique);
	tcase_add_loop_test(tc, test_hash_known, 0, N(hash_cases));
	tcase_add_loop_test(tc, test_hash_tokens, 0, 64);
	tcase_add_loop_test(tc, test_hex_encode, 0, N(hex_cases));
	tcase_add_loop_test(tc, test_hash_equal_every_bit, 0, AQ_TOKEN_HASH_LEN * 8);
	tcase_add_test(tc, test_hash_equal_patterns);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("passwords");
	tcase_set_timeout(tc, 60); /* Argon2id is slow on purpose, slower still under ASan */
	tcase_add_loop_test(tc, test_password_round_trip, 0, N(passwords));
	tcase_add_loop_test(tc, test_password_known, 0, N(known_pw));
	tcase_add_loop_test(tc, test_password_malformed, 0, N(malformed));
	tcase_add_test(tc, test_password_null_stored);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(token_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
