/*
 * oui.c - IEEE registry vendor lookup (see oui.h).
 *
 * Each registry row becomes (prefix bits, prefix length, name offset);
 * the rows of all three files sit in one array sorted by prefix, and a
 * lookup tries the 36-, 28- and 24-bit prefixes of the address in turn.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "labwarden/lines.h"
#include "labwarden/oui.h"

#define LINE_MAX_BYTES	4096

struct lw_oui_entry {
	uint64_t prefix;	/* left-aligned in 48 bits */
	uint32_t name_off;
	uint8_t	 bits;		/* 24, 28 or 36 */
};

struct growing {
	size_t	 entries_cap, names_cap;
};

/*
 * The next CSV field of line at *pos into out (quotes removed, "" as
 * one quote).  Returns false at the end of the line.
 */
static bool csv_field(const char *line, size_t *pos, char *out, size_t cap)
{
	size_t i = *pos, n = 0;
	bool quoted = line[i] == '"';

	if (line[i] == '\0' || line[i] == '\n' || line[i] == '\r')
		return false;
	if (quoted)
		i++;
	for (; line[i] && line[i] != '\n' && line[i] != '\r'; i++) {
		if (quoted && line[i] == '"') {
			if (line[i + 1] == '"') {
				i++;
			} else {
				quoted = false;
				continue;
			}
		} else if (!quoted && line[i] == ',')
			break;
		if (n + 1 < cap)
			out[n++] = line[i];
	}
	out[n] = '\0';
	*pos = line[i] == ',' ? i + 1 : i;
	return true;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	for (size_t n = strlen(s); n && isspace((unsigned char)s[n - 1]);)
		s[--n] = '\0';
	return s;
}

static bool parse_prefix(const char *hex, uint64_t *prefix, uint8_t *bits)
{
	size_t n = strlen(hex);
	uint64_t v = 0;

	if (n != 6 && n != 7 && n != 9)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)hex[i]))
			return false;
		v = v << 4 | (uint64_t)(isdigit((unsigned char)hex[i]) ?
		    hex[i] - '0' : (tolower((unsigned char)hex[i]) - 'a' + 10));
	}
	*bits = (uint8_t)(n * 4);
	*prefix = v << (48 - n * 4);
	return true;
}

static bool add_entry(struct lw_oui *oui, struct growing *g, uint64_t prefix,
    uint8_t bits, const char *name)
{
	size_t nlen = strlen(name) + 1;

	if (oui->count == g->entries_cap) {
		size_t cap = g->entries_cap ? g->entries_cap * 2 : 4096;
		void *p = realloc(oui->entries, cap * sizeof *oui->entries);
		if (!p)
			return false;
		oui->entries = p;
		g->entries_cap = cap;
	}
	while (oui->names_len + nlen > g->names_cap) {
		size_t cap = g->names_cap ? g->names_cap * 2 : 65536;
		void *p = realloc(oui->names, cap);
		if (!p)
			return false;
		oui->names = p;
		g->names_cap = cap;
	}
	memcpy(oui->names + oui->names_len, name, nlen);
	oui->entries[oui->count++] = (struct lw_oui_entry){ prefix,
	    (uint32_t)oui->names_len, bits };
	oui->names_len += nlen;
	return true;
}

static bool load_file(struct lw_oui *oui, struct growing *g, const char *path,
    char *err, size_t errlen)
{
	char line[LINE_MAX_BYTES], reg[32], assign[32], name[512];
	FILE *f = fopen(path, "r");
	bool header = true;

	if (!f) {
		snprintf(err, errlen, "%s: %s (install the Debian package "
		    "ieee-data)", path, strerror(errno));
		return false;
	}
	enum lw_line got;
	while ((got = lw_read_line(f, line, sizeof line)) != LW_LINE_EOF) {
		size_t pos = 0;
		uint64_t prefix;
		uint8_t bits;
		if (got == LW_LINE_TOO_LONG) {
			oui->bad_lines++;
			continue;
		}
		if (header) {
			header = false;
			if (strncmp(line, "Registry,", 9) == 0)
				continue;
		}
		if (!csv_field(line, &pos, reg, sizeof reg) ||
		    !csv_field(line, &pos, assign, sizeof assign) ||
		    !csv_field(line, &pos, name, sizeof name) ||
		    !parse_prefix(trim(assign), &prefix, &bits)) {
			oui->bad_lines++;
			continue;
		}
		if (!add_entry(oui, g, prefix, bits, trim(name))) {
			fclose(f);
			snprintf(err, errlen, "%s: out of memory", path);
			return false;
		}
	}
	fclose(f);
	return true;
}

static size_t slot_of(uint64_t prefix, uint8_t bits, size_t mask)
{
	uint64_t h = (prefix | bits) * 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 32) & mask;
}

/* The rows read become a table at most half full; the first row for a
 * (prefix, length) wins, as the registry lists each once. */
static bool build_table(struct lw_oui *oui)
{
	size_t n = 1024;

	while (n < oui->count * 2)
		n <<= 1;
	oui->slots = calloc(n, sizeof *oui->slots);
	if (!oui->slots)
		return false;
	oui->nslots = n;
	for (size_t i = 0; i < oui->count; i++) {
		const struct lw_oui_entry *e = &oui->entries[i];
		size_t j = slot_of(e->prefix, e->bits, n - 1);
		while (oui->slots[j].bits && !(oui->slots[j].prefix ==
		    e->prefix && oui->slots[j].bits == e->bits))
			j = (j + 1) & (n - 1);
		if (!oui->slots[j].bits)
			oui->slots[j] = *e;
	}
	free(oui->entries);
	oui->entries = NULL;
	return true;
}

bool lw_oui_load(struct lw_oui *oui, const char *dir, char *err,
    size_t errlen)
{
	static const char *const optional[] = { "mam.csv", "oui36.csv" };
	struct growing g = { 0, 0 };
	char path[4096];

	memset(oui, 0, sizeof *oui);
	snprintf(path, sizeof path, "%s/oui.csv", dir);
	if (!load_file(oui, &g, path, err, errlen)) {
		lw_oui_free(oui);
		return false;
	}
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, optional[i]);
		if (access(path, R_OK) == 0 && !load_file(oui, &g, path, err, errlen)) {
			lw_oui_free(oui);
			return false;
		}
	}
	if (!build_table(oui)) {
		snprintf(err, errlen, "%s: out of memory", dir);
		lw_oui_free(oui);
		return false;
	}
	return true;
}

void lw_oui_free(struct lw_oui *oui)
{
	free(oui->entries);
	free(oui->slots);
	free(oui->names);
	memset(oui, 0, sizeof *oui);
}

static const struct lw_oui_entry *find(const struct lw_oui *oui,
    uint64_t prefix, uint8_t bits)
{
	size_t mask = oui->nslots - 1;

	/* At most half full: a probe always meets an empty slot. */
	for (size_t j = slot_of(prefix, bits, mask);; j = (j + 1) & mask) {
		const struct lw_oui_entry *e = &oui->slots[j];
		if (!e->bits)
			return NULL;
		if (e->prefix == prefix && e->bits == bits)
			return e;
	}
}

const char *lw_oui_vendor(const struct lw_oui *oui, const uint8_t mac[6])
{
	static const uint8_t lengths[] = { 36, 28, 24 };
	uint64_t addr = 0;

	if (!oui->nslots || lw_mac_is_local(mac) || lw_mac_is_group(mac))
		return NULL;
	for (int i = 0; i < 6; i++)
		addr = addr << 8 | mac[i];
	for (size_t i = 0; i < sizeof lengths; i++) {
		uint64_t mask = ~0ull << (48 - lengths[i]) & 0xffffffffffffull;
		const struct lw_oui_entry *e = find(oui, addr & mask,
		    lengths[i]);
		if (e)
			return oui->names + e->name_off;
	}
	return NULL;
}
