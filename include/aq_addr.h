/* aq_addr.h — client addresses for per-address limits: the key a limit counts by (an IPv4
 * address, or the /64 network an IPv6 host is normally given, so that one host cannot pose
 * as 2^64 clients), and lists of addresses and networks such as AQRANK_TRUSTED_PROXIES.
 * Addresses are kept as 16 bytes, IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d). Pure. */
#ifndef AQ_ADDR_H
#define AQ_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct aq_addr {
	unsigned char b[16];
};

/* The address of an AF_INET or AF_INET6 socket address; false for other families. */
bool aq_addr_from_sockaddr(const struct sockaddr *sa, struct aq_addr *out);
/* "192.0.2.7", "2001:db8::1" or "[2001:db8::1]"; false when text is none of these. */
bool aq_addr_parse(const char *text, struct aq_addr *out);
/* True for IPv4 (mapped) addresses. */
bool aq_addr_is_v4(const struct aq_addr *a);
/* The text of a ("192.0.2.7", "2001:db8::1") into buf (at least 46 bytes). */
void aq_addr_format(const struct aq_addr *a, char *buf, size_t size);
/* The socket address to listen on for a numeric host ("127.0.0.1", "::", "[::1]", or "" for
 * every address) and a port; false when host is not numeric. No name lookup is done. */
bool aq_addr_listen(const char *host, int port, struct sockaddr_storage *addr, socklen_t *len);
/* The key per-address limits count by: a itself for IPv4, its /64 network for IPv6. */
struct aq_addr aq_addr_client_key(const struct aq_addr *a);
/* 32 bytes that name key for a limiter keyed by hashes (aq_ratelimit): distinct from every
 * token hash, since tokens are hashed with SHA-256 and these bytes are not. */
void aq_addr_key_bytes(const struct aq_addr *key, unsigned char out[32]);

#define AQ_ADDR_LIST_MAX 32

/* Addresses and networks ("10.0.0.0/8", "::1", "2001:db8::/32"). */
struct aq_addr_list {
	size_t n;
	struct {
		struct aq_addr addr;
		int prefix; /* bits of addr that must match, 0..128 (IPv4 /n is 96 + n) */
	} nets[AQ_ADDR_LIST_MAX];
};

/* Parses a comma-separated list (spaces allowed, empty = no entry). On a bad entry returns
 * false with a message naming it in err. */
bool aq_addr_list_parse(const char *text, struct aq_addr_list *out, char *err, size_t errlen);
/* True when a is in one of the list's networks. */
bool aq_addr_list_match(const struct aq_addr_list *list, const struct aq_addr *a);

#endif
