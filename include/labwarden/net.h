/*
 * net.h - address prefixes (CIDR) and membership, for networks.* lists.
 */
#ifndef LABWARDEN_NET_H
#define LABWARDEN_NET_H

#include <stdbool.h>

#include "labwarden/decode.h"

struct lw_cidr {
	struct lw_addr addr;	/* host bits cleared */
	unsigned prefix;	/* 0..32 or 0..128 */
};

/* "192.168.0.0/16", "fd00::/8", or a bare address (a /32 or /128).
 * Rejects host bits set past the prefix, to catch "192.168.1.1/16". */
bool	lw_cidr_parse(const char *text, struct lw_cidr *out, char *why,
	    size_t whylen);
bool	lw_cidr_contains(const struct lw_cidr *cidr, const struct lw_addr *a);

#endif
