/*
 * domain.c - registered domains through libpsl, and name shape (see
 * domain.h).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libpsl.h>

#include "labwarden/domain.h"

struct lw_psl *lw_psl_load(const char *path, char *err, size_t errlen)
{
	if (access(path, R_OK) != 0) {
		snprintf(err, errlen, "%s: %s (install the Debian package "
		    "publicsuffix, or set dns.public_suffix_list)", path,
		    strerror(errno));
		return NULL;
	}
	psl_ctx_t *psl = psl_load_file(path);
	if (!psl) {
		snprintf(err, errlen, "%s: not a Public Suffix List", path);
		return NULL;
	}
	return (struct lw_psl *)psl;
}

void lw_psl_free(struct lw_psl *psl)
{
	if (psl)
		psl_free((psl_ctx_t *)psl);
}

const char *lw_registered_domain(const struct lw_psl *psl, const char *name)
{
	const char *reg = psl_registrable_domain((const psl_ctx_t *)psl, name);

	/* libpsl returns a pointer into name, or NULL when name is itself
	 * a public suffix (or empty). */
	return reg ? reg : name;
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
