/* addr.c — client addresses and address lists (see aq_addr.h). */
#include "aq_addr.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool aq_addr_from_sockaddr(const struct sockaddr *sa, struct aq_addr *out)
{
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		memcpy(out->b, v4_mapped, 12);
		memcpy(out->b + 12, &in->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(out->b, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return true;
	}
	return false;
}

bool aq_addr_parse(const char *text, struct aq_addr *out)
{
	char buf[64];
	size_t n = strlen(text);
	if (n >= sizeof buf)
		return false;
	if (n >= 2 && text[0] == '[' && text[n - 1] == ']') {
		memcpy(buf, text + 1, n - 2);
		buf[n - 2] = '\0';
	} else {
		memcpy(buf, text, n + 1);
	}
	struct in_addr v4;
	if (inet_pton(AF_INET, buf, &v4) == 1) {
		memcpy(out->b, v4_mapped, 12);
		memcpy(out->b + 12, &v4, 4);
		return true;
	}
	return strchr(buf, ':') && inet_pton(AF_INET6, buf, out->b) == 1;
}

bool aq_addr_is_v4(const struct aq_addr *a)
{
	return memcmp(a->b, v4_mapped, 12) == 0;
}

void aq_addr_format(const struct aq_addr *a, char *buf, size_t size)
{
	char text[INET6_ADDRSTRLEN] = "?";
	if (aq_addr_is_v4(a))
		inet_ntop(AF_INET, a->b + 12, text, sizeof text);
	else
		inet_ntop(AF_INET6, a->b, text, sizeof text);
	snprintf(buf, size, "%s", text);
}

struct aq_addr aq_addr_client_key(const struct aq_addr *a)
{
	struct aq_addr key = *a;
	if (!aq_addr_is_v4(a))
		memset(key.b + 8, 0, 8);
	return key;
}

void aq_addr_key_bytes(const struct aq_addr *key, unsigned char out[32])
{
	/* The limiter probes by the first bytes: spread them (FNV-1a, then a murmur finish),
	 * since every IPv4 key starts with the same twelve. */
	uint64_t h = 1469598103934665603ULL;
	for (int i = 0; i < 16; i++)
		h = (h ^ key->b[i]) * 1099511628211ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	memset(out, 0, 32);
	memcpy(out, &h, sizeof h);
	memcpy(out + 8, key->b, 16);
	out[31] = 'A'; /* an address, not a token hash */
}

static bool parse_net(const char *text, struct aq_addr *addr, int *prefix)
{
	char buf[64];
	size_t n = strlen(text);
	if (n >= sizeof buf)
		return false;
	memcpy(buf, text, n + 1);
	char *slash = strchr(buf, '/');
	long bits = -1;
	if (slash) {
		char *end;
		*slash = '\0';
		if (!slash[1] || slash[1] < '0' || slash[1] > '9')
			return false;
		bits = strtol(slash + 1, &end, 10);
		if (*end || bits < 0)
			return false;
	}
	if (!aq_addr_parse(buf, addr))
		return false;
	bool v4 = aq_addr_is_v4(addr);
	if (bits > (v4 ? 32 : 128))
		return false;
	*prefix = bits < 0 ? 128 : (int)(v4 ? 96 + bits : bits);
	return true;
}

bool aq_addr_list_parse(const char *text, struct aq_addr_list *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	const char *p = text;
	while (*p) {
		size_t n = strcspn(p, ",");
		char item[64];
		const char *s = p, *e = p + n;
		while (s < e && *s == ' ')
			s++;
		while (e > s && e[-1] == ' ')
			e--;
		if (e > s) {
			if ((size_t)(e - s) >= sizeof item) {
				snprintf(err, errlen, "%.40s...: not an address or network", s);
				return false;
			}
			memcpy(item, s, (size_t)(e - s));
			item[e - s] = '\0';
			if (out->n == AQ_ADDR_LIST_MAX) {
				snprintf(err, errlen, "more than %d addresses or networks", AQ_ADDR_LIST_MAX);
				return false;
			}
			if (!parse_net(item, &out->nets[out->n].addr, &out->nets[out->n].prefix)) {
				snprintf(err, errlen, "%s: not an address or network (e.g. 10.0.0.5, 10.0.0.0/8, ::1)",
					 item);
				return false;
			}
			out->n++;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return true;
}

bool aq_addr_list_match(const struct aq_addr_list *list, const struct aq_addr *a)
{
	for (size_t i = 0; list && i < list->n; i++) {
		int bits = list->nets[i].prefix, whole = bits / 8, rest = bits % 8;
		const unsigned char *net = list->nets[i].addr.b;
		if (memcmp(net, a->b, (size_t)whole) != 0)
			continue;
		if (rest && ((net[whole] ^ a->b[whole]) & (0xff << (8 - rest)) & 0xff))
			continue;
		return true;
	}
	return false;
}

bool aq_addr_listen(const char *host, int port, struct sockaddr_storage *addr, socklen_t *len)
{
	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	char portbuf[8], h[64];
	snprintf(portbuf, sizeof portbuf, "%d", port);
	snprintf(h, sizeof h, "%s", host ? host : "");
	if (h[0] == '[') { /* [::1] */
		memmove(h, h + 1, strlen(h));
		h[strcspn(h, "]")] = '\0';
	}
	if (getaddrinfo(h[0] ? h : NULL, portbuf, &hints, &res) != 0 || !res)
		return false;
	memset(addr, 0, sizeof *addr);
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return true;
}
