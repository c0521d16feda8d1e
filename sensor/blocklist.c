/*
 * blocklist.c - domain block and allow lists (see blocklist.h).
 *
 * The set is open-addressed with linear probing: a slot is one 64-bit
 * word, 56 bits of the name's hash above the 8-bit index of its list
 * (0 = empty), so a million names take 16 MB.  It doubles while loading
 * to stay at most half full; its size follows the lists, which the user
 * chose, never the traffic.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "labwarden/blocklist.h"
#include "labwarden/lines.h"
#include "labwarden/table.h"

#define LINE_MAX_BYTES	4096
#define NAME_MAX_BYTES	253

struct lw_blocklist_slot {
	uint64_t word;		/* hash56 << 8 | list; 0 when empty */
};

#define SLOT_HASH(w)	((w) >> 8)
#define SLOT_LIST(w)	((uint32_t)((w) & 0xff))

/* 56 bits of a name's hash, never 0. */
static uint64_t name_hash(const char *name)
{
	uint64_t h = lw_hash64(name, strlen(name)) >> 8;
	return h ? h : 1;
}

void lw_blocklist_init(struct lw_blocklist *bl)
{
	memset(bl, 0, sizeof *bl);
}

void lw_blocklist_free(struct lw_blocklist *bl)
{
	free(bl->slots);
	for (size_t i = 0; i < bl->nfiles; i++)
		free(bl->files[i].path);
	memset(bl, 0, sizeof *bl);
}

static bool grow(struct lw_blocklist *bl)
{
	size_t nslots = bl->nslots ? bl->nslots * 2 : 1024;
	struct lw_blocklist_slot *slots = calloc(nslots, sizeof *slots);

	if (!slots)
		return false;
	for (size_t i = 0; i < bl->nslots; i++) {
		uint64_t w = bl->slots[i].word;
		if (!w)
			continue;
		size_t j = SLOT_HASH(w) & (nslots - 1);
		while (slots[j].word)
			j = (j + 1) & (nslots - 1);
		slots[j].word = w;
	}
	free(bl->slots);
	bl->slots = slots;
	bl->nslots = nslots;
	return true;
}

/* The list index for hash, or -1. */
static int lookup(const struct lw_blocklist *bl, uint64_t hash)
{
	if (!bl->nslots)
		return -1;
	/* At most half full: a probe always meets an empty slot. */
	for (size_t j = hash & (bl->nslots - 1);; j = (j + 1) &
	    (bl->nslots - 1)) {
		uint64_t w = bl->slots[j].word;
		if (!w)
			return -1;
		if (SLOT_HASH(w) == hash)
			return (int)SLOT_LIST(w);
	}
}

/* Insert; the first blocklist to name a domain keeps it, an allowlist
 * takes it over. */
static bool insert(struct lw_blocklist *bl, uint64_t hash, uint32_t list)
{
	if ((bl->count + 1) * 2 > bl->nslots && !grow(bl))
		return false;
	size_t j = hash & (bl->nslots - 1);
	while (bl->slots[j].word) {
		if (SLOT_HASH(bl->slots[j].word) == hash) {
			if (bl->files[list].allow)
				bl->slots[j].word = hash << 8 | list;
			return true;
		}
		j = (j + 1) & (bl->nslots - 1);
	}
	bl->slots[j].word = hash << 8 | list;
	bl->count++;
	return true;
}

/* Lowercase and check a domain in place; NULL when it is not one. */
static const char *clean_domain(char *name)
{
	size_t n = strlen(name);

	if (n && name[n - 1] == '.')
		name[--n] = '\0';
	if (strncmp(name, "*.", 2) == 0) {
		name += 2;
		n -= 2;
	}
	if (n == 0 || n > NAME_MAX_BYTES)
		return NULL;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)tolower((unsigned char)name[i]);
		name[i] = (char)c;
		if (c == '.') {
			if (label == 0)
				return NULL;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return NULL;
		} else
			return NULL;
	}
	return label ? name : NULL;
}

static bool is_ip_literal(const char *tok)
{
	size_t n = strspn(tok, "0123456789abcdefABCDEF.:");
	return n == strlen(tok) && (strchr(tok, '.') || strchr(tok, ':')) &&
	    (isdigit((unsigned char)tok[0]) || tok[0] == ':');
}

static bool hosts_placeholder(const char *name)
{
	return strcmp(name, "localhost") == 0 ||
	    strcmp(name, "localhost.localdomain") == 0 ||
	    strcmp(name, "local") == 0 || strcmp(name, "broadcasthost") == 0 ||
	    strncmp(name, "ip6-", 4) == 0 || strcmp(name, "0.0.0.0") == 0;
}

struct loader {
	struct lw_blocklist *bl;
	uint32_t list;
	struct lw_blocklist_file *file;
	FILE	*report;
	size_t	 lineno;
	bool	 oom;
};

static void bad_line(struct loader *ld, const char *why)
{
	ld->file->bad_lines++;
	if (ld->report && ld->file->bad_lines <= LW_BLOCKLIST_REPORT_LINES)
		fprintf(ld->report, "%s:%zu: %s; line skipped\n",
		    ld->file->path, ld->lineno, why);
}

static void add_name(struct loader *ld, char *token)
{
	const char *name = clean_domain(token);

	if (!name) {
		bad_line(ld, "not a domain name");
		return;
	}
	if (!insert(ld->bl, name_hash(name), ld->list))
		ld->oom = true;
	else
		ld->file->entries++;
}

/* "||domain^" with optional "$options" or a trailing '|'. */
static void adblock_line(struct loader *ld, char *line)
{
	char *caret = strchr(line, '^');

	if (!caret || (caret[1] && caret[1] != '$' && caret[1] != '|') ||
	    strpbrk(line + 2, "/*")) {
		bad_line(ld, "Adblock rule other than ||domain^");
		return;
	}
	*caret = '\0';
	add_name(ld, line + 2);
}

static void parse_line(struct loader *ld, char *line)
{
	char *hash = strchr(line, '#');
	char *save = NULL;

	if (line[0] == '!' || line[0] == '[')	/* Adblock comment/header */
		return;
	if (strncmp(line, "||", 2) == 0) {
		line[strcspn(line, " \t\r\n")] = '\0';
		adblock_line(ld, line);
		return;
	}
	if (hash)
		*hash = '\0';
	char *tok = strtok_r(line, " \t\r\n", &save);
	if (!tok)
		return;
	if (!is_ip_literal(tok)) {	/* plain list: one name */
		if (strtok_r(NULL, " \t\r\n", &save))
			bad_line(ld, "more than one word on a plain line");
		else
			add_name(ld, tok);
		return;
	}
	bool any = false;
	while ((tok = strtok_r(NULL, " \t\r\n", &save))) {
		any = true;
		if (!hosts_placeholder(tok))
			add_name(ld, tok);
	}
	if (!any)
		bad_line(ld, "address without a name");
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

bool lw_blocklist_add_file(struct lw_blocklist *bl, const char *path,
    bool allow, FILE *report, char *err, size_t errlen)
{
	char line[LINE_MAX_BYTES];

	if (bl->nfiles == LW_BLOCKLIST_MAX_LISTS) {
		snprintf(err, errlen, "%s: more than %d lists", path,
		    LW_BLOCKLIST_MAX_LISTS);
		return false;
	}
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	struct lw_blocklist_file *file = &bl->files[bl->nfiles];
	memset(file, 0, sizeof *file);
	file->path = strdup(path);
	if (!file->path) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return false;
	}
	file->name = base_name(file->path);
	file->allow = allow;
	struct loader ld = { bl, (uint32_t)bl->nfiles, file, report, 0, false };
	bl->nfiles++;
	enum lw_line got;
	while (!ld.oom && (got = lw_read_line(f, line, sizeof line)) !=
	    LW_LINE_EOF) {
		ld.lineno++;
		if (got == LW_LINE_TOO_LONG)
			bad_line(&ld, "line too long");
		else
			parse_line(&ld, line);
	}
	bool read_error = ferror(f);
	fclose(f);
	if (report && file->bad_lines > LW_BLOCKLIST_REPORT_LINES)
		fprintf(report, "%s: %zu more bad lines not shown\n", path,
		    file->bad_lines - LW_BLOCKLIST_REPORT_LINES);
	if (ld.oom || read_error) {
		snprintf(err, errlen, "%s: %s", path, ld.oom ?
		    "out of memory" : "read error");
		return false;
	}
	return true;
}

const char *lw_blocklist_match(const struct lw_blocklist *bl,
    const char *name)
{
	const char *blocked = NULL;

	if (!bl->count)
		return NULL;
	/* Every suffix at a label boundary, longest first: at most 128. */
	for (const char *p = name; p && *p;) {
		int list = lookup(bl, name_hash(p));
		if (list >= 0) {
			if (bl->files[list].allow)
				return NULL;
			if (!blocked)
				blocked = bl->files[list].name;
		}
		p = strchr(p, '.');
		if (p)
			p++;
	}
	return blocked;
}
