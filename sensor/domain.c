/*
 * domain.c - registered domains through libpsl, and name shape (see
 * domain.h).
 *
 * Names arrive in DNS presentation form: lowercase, no trailing dot,
 * and any byte that is not plain text escaped as "\." "\\" or "\DDD".
 * libpsl knows nothing of escapes: it would take the dot of "\." for a
 * label boundary.  Such names (rare, and mostly hostile) are handed to
 * libpsl as a copy in which an escaped dot is no longer a dot; a name
 * with upper case or a trailing dot, which the DNS parser never makes,
 * is mended in the same copy.  The answer is then mapped back to an
 * offset into the caller's name.
 *
 * What libpsl does (0.21, checked in test_domain.c):
 *  - both sections of the list apply: "foo.github.io" is registered as
 *    itself (github.io is a private-section suffix);
 *  - an unknown top label is a suffix by the implicit "*" rule, so
 *    "a.printer.lan" -> "printer.lan", and "lan" alone is a suffix;
 *  - psl_registrable_domain() is NULL for a suffix and for "": we
 *    answer the name itself;
 *  - it expects lower case ("WWW.BBC.CO.UK" gives "CO.UK") and no
 *    trailing dot (which the text and DAFSA forms treat differently).
 *
 * libpsl's lookup is the costliest step of a DNS question, and names
 * repeat: a small direct-mapped cache remembers, per name hash, where
 * the registered domain starts.  An entry is used only for a name of
 * the same 64-bit hash and length, and its offset is inside the name.
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

/* Longest name in presentation form: 253 bytes, each escaped as \DDD. */
#define NAME_TEXT_MAX	(253 * 4)
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
	if (!psl) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	psl->ctx = psl_load_file(path);
	/* libpsl takes almost any text file for a list (every line a
	 * rule): ask for a rule every real list has. */
	if (!psl->ctx || !psl_is_public_suffix2(psl->ctx, "com",
	    PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE)) {
		lw_psl_free(psl);
		snprintf(err, errlen, "%s: not a Public Suffix List (install "
		    "the Debian package publicsuffix)", path);
		return NULL;
	}
	return psl;
}

void lw_psl_free(struct lw_psl *psl)
{
	if (psl) {
		if (psl->ctx)
			psl_free(psl->ctx);
		free(psl);
	}
}

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Whether libpsl can take name as it is. */
static bool psl_ready(const char *name, size_t *len)
{
	size_t n = 0;
	bool ready = true;

	for (; name[n]; n++)
		if (name[n] == '\\' || (name[n] >= 'A' && name[n] <= 'Z'))
			ready = false;
	*len = n;
	return ready && !(n > 0 && name[n - 1] == '.');
}

/*
 * Copy name for libpsl: lower case, an escaped dot made a '-' (any byte
 * but a dot would do: no rule holds a backslash, so the label matches
 * nothing), a final unescaped dot dropped.  Same offsets as name.
 */
static void psl_copy(const char *name, size_t len, char *copy)
{
	size_t i = 0;

	copy[len] = '\0';
	while (i < len) {
		char c = name[i];
		if (c == '\\' && i + 1 < len) {
			copy[i] = c;
			copy[i + 1] = name[i + 1] == '.' ? '-' :
			    ascii_lower(name[i + 1]);
			i += 2;
		} else if (c == '.' && i + 1 == len) {
			copy[i++] = '\0';	/* the root's dot */
		} else
			copy[i++] = ascii_lower(c);
	}
}

/* The registered domain of name (len bytes), through libpsl. */
static const char *registered(const psl_ctx_t *ctx, const char *name,
    size_t len, bool ready)
{
	char copy[NAME_TEXT_MAX + 1];
	const char *reg;

	if (ready) {
		/* libpsl answers with a pointer into name, or NULL when
		 * name is itself a public suffix (or empty). */
		reg = psl_registrable_domain(ctx, name);
		return reg ? reg : name;
	}
	if (len > NAME_TEXT_MAX)
		return name;	/* longer than any DNS name: no suffix */
	psl_copy(name, len, copy);
	reg = psl_registrable_domain(ctx, copy);
	if (!reg || reg < copy || reg > copy + len)
		return name;
	return name + (reg - copy);
}

const char *lw_registered_domain(struct lw_psl *psl, const char *name)
{
	size_t len;

	if (!psl)
		return name;
	bool ready = psl_ready(name, &len);
	struct psl_cache *cache = &psl->cache;
	uint64_t h = lw_hash64(name, len);
	size_t slot = (size_t)(h >> 20) % CACHE_SLOTS;

	if (cache->hash[slot] == h && cache->length[slot] == len &&
	    cache->offset[slot] <= len)
		return name + cache->offset[slot];
	const char *reg = registered(psl->ctx, name, len, ready);
	if (len < UINT16_MAX) {
		cache->hash[slot] = h;
		cache->length[slot] = (uint16_t)len;
		cache->offset[slot] = (uint16_t)(reg - name);
	}
	return reg;
}

/*
 * Bytes of the presentation escape at p: "\DDD" is 4, "\x" is 2, a
 * lone backslash at the end 1; any other byte 1.
 */
static size_t escape_len(const char *p)
{
	if (p[0] != '\\' || p[1] == '\0')
		return 1;
	if (p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9' &&
	    p[3] >= '0' && p[3] <= '9')
		return 4;
	return 2;
}

static double entropy(const unsigned char *sub, size_t sub_len)
{
	uint32_t counts[256];	/* only the entries of bytes seen are used */
	double bits = 0.0;
	size_t n = 0;

	/* Clear only the counts of bytes present: names are short, the
	 * table is not. */
	for (size_t i = 0; i < sub_len; i++)
		counts[sub[i]] = 0;
	for (size_t i = 0, step; i < sub_len; i += step) {
		step = escape_len((const char *)sub + i);
		if (step == 1 && sub[i] == '.')
			continue;	/* a label boundary, not data */
		for (size_t k = 0; k < step && i + k < sub_len; k++) {
			counts[sub[i + k]]++;
			n++;
		}
	}
	for (size_t i = 0; i < sub_len && n > 0; i++) {
		uint32_t c = counts[sub[i]];
		if (c == 0)
			continue;	/* a boundary dot, or counted already */
		double p = (double)c / (double)n;
		bits -= p * log2(p);
		counts[sub[i]] = 0;	/* each byte value once */
	}
	return bits;
}

void lw_name_shape(const char *name, const char *registered,
    struct lw_name_shape *shape)
{
	size_t label = 0;

	memset(shape, 0, sizeof *shape);
	shape->length = strlen(name);
	if (shape->length > 0)
		shape->labels = 1;
	/* Escapes are whole: the dot of "\." is inside its label. */
	for (size_t i = 0; i < shape->length;) {
		size_t step = escape_len(name + i);
		if (step == 1 && name[i] == '.') {
			shape->labels++;
			label = 0;
		} else {
			label += step;
			if (label > shape->longest_label)
				shape->longest_label = label;
		}
		i += step;
	}
	/* Compared as integers: registered may point anywhere. */
	uintptr_t start = (uintptr_t)name, reg = (uintptr_t)registered;
	if (reg > start && reg <= start + shape->length) {
		shape->sub_length = (size_t)(reg - start);
		if (registered[-1] == '.')
			shape->sub_length--;	/* the joining dot */
	}
	shape->sub_entropy = entropy((const unsigned char *)name,
	    shape->sub_length);
}
