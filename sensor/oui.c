/*
 * oui.c - IEEE registry vendor lookup (see oui.h).
 *
 * Each registry row becomes (prefix bits, prefix length, name offset).
 * The rows of all three files are read into one array, then moved into
 * an open-addressed table at most half full, keyed by (prefix, length);
 * a lookup tries the 36-, 28- and 24-bit prefixes of the address in
 * turn, so an MA-S or MA-M block inside an MA-L one wins.
 *
 * The files are CSV as RFC 4180 has it: a quoted field may hold commas,
 * doubled quotes and even newlines (the IEEE puts line breaks inside
 * some addresses), so a row is read as a record that may span lines.
 * Records are bounded in lines and fields in bytes; a row that breaks a
 * bound or does not parse is counted in bad_lines and skipped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "labwarden/lines.h"
#include "labwarden/oui.h"

#define LINE_MAX_BYTES	4096
#define RECORD_MAX_LINES 16	/* an address with line breaks, no more */
#define FIELD_MAX_BYTES	256	/* longest vendor name today: 108 */
#define FIELDS_KEPT	3	/* registry, assignment, organisation */
#define NAMES_MAX_BYTES	UINT32_MAX	/* name offsets are 32 bits */

struct lw_oui_entry {
	uint64_t prefix;	/* left-aligned in 48 bits */
	uint32_t name_off;
	uint8_t	 bits;		/* 24, 28 or 36; 0 marks an empty slot */
};

struct growing {
	size_t	 entries_cap, names_cap;
};

/* Where the CSV reader is inside a record. */
enum csv_state {
	CSV_FIELD_START,	/* nothing of this field read yet */
	CSV_UNQUOTED,
	CSV_QUOTED,
	CSV_QUOTE_IN_QUOTED,	/* '"' seen: a doubled quote or the end */
};

/* One record being read; only the first FIELDS_KEPT fields are kept. */
struct csv_record {
	enum csv_state state;
	size_t	 field;		/* index of the field being read */
	size_t	 len[FIELDS_KEPT];
	char	 text[FIELDS_KEPT][FIELD_MAX_BYTES];
	bool	 too_long;	/* a kept field overflowed its buffer */
};

static void csv_begin(struct csv_record *rec)
{
	rec->state = CSV_FIELD_START;
	rec->field = 0;
	rec->too_long = false;
	for (size_t i = 0; i < FIELDS_KEPT; i++) {
		rec->len[i] = 0;
		rec->text[i][0] = '\0';
	}
}

static void csv_put(struct csv_record *rec, char c)
{
	if (rec->field >= FIELDS_KEPT)
		return;		/* the address and beyond: not kept */
	size_t *len = &rec->len[rec->field];
	if (*len + 1 >= FIELD_MAX_BYTES) {
		rec->too_long = true;
		return;
	}
	rec->text[rec->field][(*len)++] = c;
	rec->text[rec->field][*len] = '\0';
}

static void csv_end_field(struct csv_record *rec)
{
	rec->field++;
	rec->state = CSV_FIELD_START;
}

/*
 * Feed one line (without its line break) to the record.  Returns true
 * when the record is complete, false when a quoted field is still open
 * and the record goes on to the next line.
 */
static bool csv_feed(struct csv_record *rec, const char *line)
{
	for (const char *p = line; *p; p++) {
		char c = *p;
		switch (rec->state) {
		case CSV_FIELD_START:
			if (c == '"')
				rec->state = CSV_QUOTED;
			else if (c == ',')
				csv_end_field(rec);
			else {
				csv_put(rec, c);
				rec->state = CSV_UNQUOTED;
			}
			break;
		case CSV_UNQUOTED:
			if (c == ',')
				csv_end_field(rec);
			else
				csv_put(rec, c);
			break;
		case CSV_QUOTED:
			if (c == '"')
				rec->state = CSV_QUOTE_IN_QUOTED;
			else
				csv_put(rec, c);
			break;
		case CSV_QUOTE_IN_QUOTED:
			if (c == '"') {		/* "" is one quote */
				csv_put(rec, '"');
				rec->state = CSV_QUOTED;
			} else if (c == ',')
				csv_end_field(rec);
			else {
				/* Text after a closing quote: not RFC 4180,
				 * but keep it rather than lose the row. */
				csv_put(rec, c);
				rec->state = CSV_UNQUOTED;
			}
			break;
		}
	}
	if (rec->state == CSV_QUOTED) {
		csv_put(rec, '\n');	/* the line break is field text */
		return false;
	}
	return true;
}

/* Fields in a complete record: those ended by commas, and the last. */
static size_t csv_fields(const struct csv_record *rec)
{
	return rec->field + 1;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	    c == '\v' || c == '\f';
}

/* Trim surrounding white space in place; returns the new start. */
static char *trim(char *s)
{
	while (is_space(*s))
		s++;
	for (size_t n = strlen(s); n > 0 && is_space(s[n - 1]);)
		s[--n] = '\0';
	return s;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The registry names its block size; the assignment must have the hex
 * digits that size takes (MA-L 6, MA-M 7, MA-S 9).
 */
static bool parse_prefix(const char *registry, const char *hex,
    uint64_t *prefix, uint8_t *bits)
{
	static const struct { const char *name; size_t digits; } kinds[] = {
		{ "MA-L", 6 }, { "MA-M", 7 }, { "MA-S", 9 },
	};
	size_t n = strlen(hex), want = 0;
	uint64_t v = 0;

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(registry, kinds[i].name) == 0)
			want = kinds[i].digits;
	if (want == 0 || n != want)
		return false;
	for (size_t i = 0; i < n; i++) {
		int d = hex_value(hex[i]);
		if (d < 0)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	*bits = (uint8_t)(n * 4);
	*prefix = v << (48 - n * 4);
	return true;
}

static bool add_entry(struct lw_oui *oui, struct growing *g, uint64_t prefix,
    uint8_t bits, const char *name)
{
	size_t nlen = strlen(name) + 1;

	if (oui->names_len > NAMES_MAX_BYTES - nlen)
		return false;	/* offsets would not fit in 32 bits */
	if (oui->count == g->entries_cap) {
		size_t cap = g->entries_cap ? g->entries_cap * 2 : 4096;
		void *p = reallocarray(oui->entries, cap, sizeof *oui->entries);
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

/* Outcome of one record. */
enum row { ROW_EOF, ROW_OK, ROW_BAD };

/*
 * Read the next record of f into rec: one line, and the lines after it
 * while a quoted field stays open (at most RECORD_MAX_LINES in all).
 */
static enum row read_record(FILE *f, char *line, size_t size,
    struct csv_record *rec)
{
	enum lw_line got;

	do		/* blank lines are no rows; bounded by the file */
		got = lw_read_line(f, line, size);
	while (got == LW_LINE_OK && line[0] == '\0');
	if (got == LW_LINE_EOF)
		return ROW_EOF;
	csv_begin(rec);
	for (size_t lines = 1;; lines++) {
		if (got == LW_LINE_TOO_LONG || got == LW_LINE_NUL)
			return ROW_BAD;
		if (csv_feed(rec, line))
			return rec->too_long ? ROW_BAD : ROW_OK;
		/* A quote left open: the record goes on, unless that is
		 * a runaway quote that would swallow the file. */
		if (lines == RECORD_MAX_LINES)
			return ROW_BAD;
		got = lw_read_line(f, line, size);
		if (got == LW_LINE_EOF)
			return ROW_BAD;		/* quote never closed */
	}
}

static bool load_file(struct lw_oui *oui, struct growing *g, const char *path,
    char *err, size_t errlen)
{
	char line[LINE_MAX_BYTES];
	struct csv_record rec;
	FILE *f = fopen(path, "r");
	bool first = true;
	enum row got;

	if (!f) {
		snprintf(err, errlen, "%s: %s (install the Debian package "
		    "ieee-data)", path, strerror(errno));
		return false;
	}
	while ((got = read_record(f, line, sizeof line, &rec)) != ROW_EOF) {
		uint64_t prefix;
		uint8_t bits;

		if (got == ROW_BAD) {
			oui->bad_lines++;
			first = false;
			continue;
		}
		char *registry = trim(rec.text[0]);
		char *assignment = trim(rec.text[1]);
		char *name = trim(rec.text[2]);
		if (first && strcmp(registry, "Registry") == 0) {
			first = false;		/* the header row */
			continue;
		}
		first = false;
		if (csv_fields(&rec) < FIELDS_KEPT || *name == '\0' ||
		    !parse_prefix(registry, assignment, &prefix, &bits)) {
			oui->bad_lines++;
			continue;
		}
		if (!add_entry(oui, g, prefix, bits, name)) {
			fclose(f);
			snprintf(err, errlen, "%s: out of memory", path);
			return false;
		}
	}
	bool read_error = ferror(f);
	fclose(f);
	if (read_error) {
		snprintf(err, errlen, "%s: read error", path);
		return false;
	}
	return true;
}

static size_t slot_of(uint64_t prefix, uint8_t bits, size_t mask)
{
	/* The prefix's low bits are zero, so the length fits beside it. */
	uint64_t h = (prefix | bits) * 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 32) & mask;
}

/* The rows read become a table at most half full; the first row for a
 * (prefix, length) wins, as the registry lists each once. */
static bool build_table(struct lw_oui *oui)
{
	size_t n = 1024;

	while (n / 2 < oui->count) {
		if (n > SIZE_MAX / 2 / sizeof *oui->slots)
			return false;
		n <<= 1;
	}
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
	if ((size_t)snprintf(path, sizeof path, "%s/oui.csv", dir) >=
	    sizeof path) {
		snprintf(err, errlen, "%.64s...: path too long", dir);
		return false;
	}
	if (!load_file(oui, &g, path, err, errlen)) {
		lw_oui_free(oui);
		return false;
	}
	for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++) {
		/* Shorter than the oui.csv path: cannot be cut. */
		snprintf(path, sizeof path, "%s/%s", dir, optional[i]);
		if (access(path, R_OK) == 0 &&
		    !load_file(oui, &g, path, err, errlen)) {
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
	static const uint8_t lengths[] = { 36, 28, 24 };	/* longest first */
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
