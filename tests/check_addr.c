/* check_addr.c — Check suite for addr.c: parsing addresses and networks, the per-address key
 * (IPv4 as it is, IPv6 by /64), list matching with prefixes, and bad lists refused. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aq_addr.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

struct parse_case {
	const char *in;
	bool ok;
	const char *formatted;
	bool v4;
};

static const struct parse_case parse_cases[] = {
	{"192.0.2.7", true, "192.0.2.7", true},
	{"127.0.0.1", true, "127.0.0.1", true},
	{"::1", true, "::1", false},
	{"[2001:db8::1]", true, "2001:db8::1", false},
	{"::ffff:10.1.2.3", true, "10.1.2.3", true}, /* a mapped address is the IPv4 one */
	{"", false, NULL, false},
	{"localhost", false, NULL, false},
	{"256.1.1.1", false, NULL, false},
	{"1.2.3", false, NULL, false},
	{"1.2.3.4/8", false, NULL, false},
	{"2001:db8::g", false, NULL, false},
	{"[::1", false, NULL, false},
};

START_TEST(test_parse)
{
	const struct parse_case *c = &parse_cases[_i];
	struct aq_addr a;
	char text[64];
	ck_assert_msg(aq_addr_parse(c->in, &a) == c->ok, "%s", c->in);
	if (!c->ok)
		return;
	aq_addr_format(&a, text, sizeof text);
	ck_assert_str_eq(text, c->formatted);
	ck_assert(aq_addr_is_v4(&a) == c->v4);
}
END_TEST

START_TEST(test_sockaddr)
{
	struct sockaddr_in in = {.sin_family = AF_INET};
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
	struct aq_addr a, b;
	inet_pton(AF_INET, "198.51.100.9", &in.sin_addr);
	ck_assert(aq_addr_from_sockaddr((struct sockaddr *)&in, &a));
	ck_assert(aq_addr_parse("198.51.100.9", &b));
	ck_assert_mem_eq(a.b, b.b, 16);
	inet_pton(AF_INET6, "2001:db8:1:2:3:4:5:6", &in6.sin6_addr);
	ck_assert(aq_addr_from_sockaddr((struct sockaddr *)&in6, &a));
	ck_assert(aq_addr_parse("2001:db8:1:2:3:4:5:6", &b));
	ck_assert_mem_eq(a.b, b.b, 16);
	struct sockaddr other = {.sa_family = AF_UNIX};
	ck_assert(!aq_addr_from_sockaddr(&other, &a));
	ck_assert(!aq_addr_from_sockaddr(NULL, &a));
}
END_TEST

/* Two addresses, and whether they count as the same client. */
struct key_case {
	const char *a, *b;
	bool same;
};

static const struct key_case key_cases[] = {
	{"192.0.2.7", "192.0.2.7", true},
	{"192.0.2.7", "192.0.2.8", false},
	{"2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", true}, /* one /64 */
	{"2001:db8:1:2::1", "2001:db8:1:3::1", false},
	{"::ffff:192.0.2.7", "192.0.2.7", true},
	{"127.0.0.1", "127.0.0.2", false},
};

START_TEST(test_client_key)
{
	const struct key_case *c = &key_cases[_i];
	struct aq_addr a, b;
	unsigned char ka[32], kb[32];
	ck_assert(aq_addr_parse(c->a, &a) && aq_addr_parse(c->b, &b));
	struct aq_addr x = aq_addr_client_key(&a), y = aq_addr_client_key(&b);
	ck_assert_msg((memcmp(x.b, y.b, 16) == 0) == c->same, "%s vs %s", c->a, c->b);
	aq_addr_key_bytes(&x, ka);
	aq_addr_key_bytes(&y, kb);
	ck_assert((memcmp(ka, kb, 32) == 0) == c->same);
}
END_TEST

/* The limiter table probes by the first four bytes of a key: neighbouring IPv4 addresses
 * must not all start alike. */
START_TEST(test_key_bytes_spread)
{
	unsigned char first[64][4];
	for (int i = 0; i < 64; i++) {
		char text[32];
		struct aq_addr a;
		unsigned char k[32];
		snprintf(text, sizeof text, "10.0.0.%d", i);
		ck_assert(aq_addr_parse(text, &a));
		aq_addr_key_bytes(&a, k);
		memcpy(first[i], k, 4);
		for (int j = 0; j < i; j++)
			ck_assert_msg(memcmp(first[i], first[j], 4) != 0, "%d and %d", i, j);
	}
}
END_TEST

struct match_case {
	const char *list;
	const char *addr;
	bool match;
};

static const struct match_case match_cases[] = {
	{"127.0.0.1,::1", "127.0.0.1", true},
	{"127.0.0.1,::1", "::1", true},
	{"127.0.0.1,::1", "127.0.0.2", false},
	{"127.0.0.1, ::1", "::2", false},
	{"10.0.0.0/8", "10.255.1.2", true},
	{"10.0.0.0/8", "11.0.0.1", false},
	{"192.168.1.0/25", "192.168.1.127", true},
	{"192.168.1.0/25", "192.168.1.128", false},
	{"172.16.0.0/12", "172.31.255.255", true},
	{"172.16.0.0/12", "172.32.0.0", false},
	{"0.0.0.0/0", "8.8.8.8", true},
	{"0.0.0.0/0", "2001:db8::1", false}, /* IPv4 /0 is every IPv4 address only */
	{"2001:db8::/32", "2001:db8:ffff::1", true},
	{"2001:db8::/32", "2001:db9::1", false},
	{"::/0", "2001:db8::1", true},
	{"", "127.0.0.1", false},
	{" , ", "127.0.0.1", false},
	{"10.0.0.5", "10.0.0.5", true},
};

START_TEST(test_match)
{
	const struct match_case *c = &match_cases[_i];
	struct aq_addr_list list;
	struct aq_addr a;
	char err[128];
	ck_assert_msg(aq_addr_list_parse(c->list, &list, err, sizeof err), "%s: %s", c->list, err);
	ck_assert(aq_addr_parse(c->addr, &a));
	ck_assert_msg(aq_addr_list_match(&list, &a) == c->match, "%s in %s", c->addr, c->list);
}
END_TEST

struct bad_case {
	const char *list;
	const char *named; /* the message names this */
};

static const struct bad_case bad_cases[] = {
	{"nginx", "nginx"},
	{"10.0.0.0/33", "10.0.0.0/33"},
	{"::/129", "::/129"},
	{"10.0.0.1/", "10.0.0.1/"},
	{"10.0.0.1/x", "10.0.0.1/x"},
	{"10.0.0.1/-1", "10.0.0.1/-1"},
	{"127.0.0.1,,bad", "bad"},
	{"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33", "1"},
};

START_TEST(test_bad_lists)
{
	const struct bad_case *c = &bad_cases[_i];
	struct aq_addr_list list;
	char err[128] = "";
	ck_assert(!aq_addr_list_parse(c->list, &list, err, sizeof err));
	ck_assert_msg(strstr(err, c->named) != NULL, "%s: %s", c->list, err);
}
END_TEST

START_TEST(test_list_full)
{
	char text[1024] = "";
	struct aq_addr_list list;
	char err[128];
	for (int i = 0; i < AQ_ADDR_LIST_MAX; i++) {
		size_t used = strlen(text);
		snprintf(text + used, sizeof text - used, "%s10.0.%d.0/24", i ? "," : "", i);
	}
	ck_assert(aq_addr_list_parse(text, &list, err, sizeof err));
	ck_assert_uint_eq(list.n, AQ_ADDR_LIST_MAX);
	strcat(text, ",10.1.0.0/24");
	ck_assert(!aq_addr_list_parse(text, &list, err, sizeof err));
	ck_assert(strstr(err, "more than") != NULL);
}
END_TEST

static Suite *addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("addr");
	tcase_add_loop_test(tc, test_parse, 0, N(parse_cases));
	tcase_add_test(tc, test_sockaddr);
	tcase_add_loop_test(tc, test_client_key, 0, N(key_cases));
	tcase_add_test(tc, test_key_bytes_spread);
	tcase_add_loop_test(tc, test_match, 0, N(match_cases));
	tcase_add_loop_test(tc, test_bad_lists, 0, N(bad_cases));
	tcase_add_test(tc, test_list_full);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(addr_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
