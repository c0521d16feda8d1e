/*
 * domain.c - registered domains through libpsl, and name shape (see
 * domain.h).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpsl.h>

#include "labwarden/domain.h"
#include "labwarden/table.h"

/*
 * libpsl's lookup is the costliest step of a DNS question, and names
 * repeat: a small direct-mapped cache remembers, per name hash, where
 * the registered domain starts.  A stale or colliding entry can only
 * point at a label start inside the name, checked before use.
 */
#define CACHE_SLOTS	4096

struct psl_cache {
	uint64_t hash[CACHE_SLOTS];
	uint16_t offset[CACHE_SLOTS];
	uint16_t length[CACHE_SLOTS];
};

struct lw_psl {
	psl_ctx_t *ctx;
	struct psl_cache cache;
};

struct lw_psl *lw_psl_load(const char *path, char *err, size_t errlen)
{
	if (access(path, R_OK) != 0) {
		snprintf(err, errlen, "%s: %s (install the Debian package "
		    "publicsuffix, or set dns.public_suffix_list)", path,
		    strerror(errno));
		return NULL;
	}
	struct lw_psl *psl = calloc(1, sizeof *psl);
	if (!psl || !(psl->ctx = psl_load_file(path))) {
		free(psl);
		snprintf(err, errlen, "%s: not a Public Suffix List", path);
		return NULL;
	}
	return psl;
}

void lw_psl_free(struct lw_psl *psl)
{
	if (psl) {
		psl_free(psl->ctx);
		free(psl);
	}
}

const char *lw_registered_domain(struct lw_psl *psl, const char *name)
{
	struct psl_cache *cache = &psl->cache;
	size_t len = strlen(name);
	uint64_t h = lw_hash64(name, len);	/* never 0: 0 is empty */
	size_t slot = (size_t)(h >> 20) % CACHE_SLOTS;

	if (cache->hash[slot] == h && cache->length[slot] == len &&
	    cache->offset[slot] <= len)
		return name + cache->offset[slot];
	/* libpsl returns a pointer into name, or NULL when name is itself
	 * a public suffix (or empty). */
	const char *reg = psl_registrable_domain(psl->ctx, name);
	if (!reg)
		reg = name;
	if (len < UINT16_MAX) {
		cache->hash[slot] = h;
		cache->length[slot] = (uint16_t)len;
		cache->offset[slot] = (uint16_t)(reg - name);
	}
	return reg;
}

void lw_name_shape(const char *name, const char *registered,
    struct lw_name_shape *shape)
{
	uint16_t counts[256];	/* only the entries of bytes seen are used */
	size_t label = 0;

	memset(shape, 0, sizeof *shape);
	shape->length = strlen(name);
	if (shape->length)
		shape->labels = 1;
	for (const char *p = name; *p; p++) {
		if (*p == '.' && (p == name || p[-1] != '\\')) {
			shape->labels++;
			label = 0;
			continue;
		}
		if (++label > shape->longest_label)
			shape->longest_label = label;
	}
	if (registered > name && registered <= name + shape->length)
		shape->sub_length = (size_t)(registered - name) - 1;
	/* Entropy of the subdomain's bytes, dots left out.  The counts are
	 * cleared for the bytes present only: no 512-byte clear per name. */
	const unsigned char *sub = (const unsigned char *)name;
	size_t n = 0;
	for (size_t i = 0; i < shape->sub_length; i++)
		counts[sub[i]] = 0;
	for (size_t i = 0; i < shape->sub_length; i++)
		if (sub[i] != '.') {
			counts[sub[i]]++;
			n++;
		}
	for (size_t i = 0; i < shape->sub_length && n; i++) {
		unsigned c = sub[i];
		if (c == '.' || counts[c] == 0)
			continue;
		double p = (double)counts[c] / (double)n;
		shape->sub_entropy -= p * log2(p);
		counts[c] = 0;	/* each byte value once */
	}
}
