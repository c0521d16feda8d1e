/*
 * net.c - CIDR parsing and matching.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labwarden/net.h"

static bool host_bits_clear(const struct lw_addr *a, unsigned prefix)
{
	unsigned bits = a->family == 4 ? 32 : 128;
	for (unsigned i = prefix; i < bits; i++)
		if (a->bytes[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

bool lw_cidr_parse(const char *text, struct lw_cidr *out, char *why,
    size_t whylen)
{
	char buf[64];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);

	memset(out, 0, sizeof *out);
	if (alen == 0 || alen >= sizeof buf) {
		snprintf(why, whylen, "'%s' is not an address or prefix", text);
		return false;
	}
	memcpy(buf, text, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, out->addr.bytes) == 1)
		out->addr.family = 4;
	else if (inet_pton(AF_INET6, buf, out->addr.bytes) == 1)
		out->addr.family = 6;
	else {
		snprintf(why, whylen, "'%s' is not an IPv4 or IPv6 address",
		    buf);
		return false;
	}
	unsigned max = out->addr.family == 4 ? 32 : 128;
	out->prefix = max;
	if (slash) {
		char *end;
		unsigned long p = strtoul(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || p > max) {
			snprintf(why, whylen, "'%s': prefix length must be "
			    "0..%u", text, max);
			return false;
		}
		out->prefix = (unsigned)p;
	}
	if (!host_bits_clear(&out->addr, out->prefix)) {
		snprintf(why, whylen, "'%s' has host bits set past /%u",
		    text, out->prefix);
		return false;
	}
	return true;
}

bool lw_cidr_contains(const struct lw_cidr *cidr, const struct lw_addr *a)
{
	if (a->family != cidr->addr.family)
		return false;
	unsigned full = cidr->prefix / 8, rest = cidr->prefix % 8;
	if (memcmp(a->bytes, cidr->addr.bytes, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a->bytes[full] & mask) == cidr->addr.bytes[full];
}
