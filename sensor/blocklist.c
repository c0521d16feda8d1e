/*
 * blocklist.c - domain block and allow lists (see blocklist.h).
 *
 * The set is open-addressed with linear probing: a slot is one 64-bit
 * word, 56 bits of the name's hash above the 8-bit index of its list
 * (a hash is never 0, so a 0 word is an empty slot), and a million
 * names take 16 MB.  It doubles while loading to stay at most half
 * full; its size follows the lists, which the user chose, never the
 * traffic.  Two names share a slot only if 56 bits of hash agree: about
 * one lookup in 10^10 against a million names.
 *
 * The hash (FNV-1a, then MurmurHash3's finalizer) reads a name from its
 * last byte to its first, folding ASCII case.  A lookup walks the name
 * once from the right and has the hash of every suffix ("c", "b.c",
 * "a.b.c") on the way: one pass over at most 253 bytes, whatever the
 * name, instead of hashing each suffix anew.
 *
 * Precedence: an allowlist entry for the name or any parent wins over
 * every blocklist; otherwise the most specific listed suffix names the
 * list.  A name in two blocklists belongs to the first one loaded.
 *
 * Formats, line by line (white space and CR around a line ignored):
 *   blank, "# comment", "! Adblock comment", "[Adblock Plus 2.0]"
 *   hosts    "0.0.0.0 name [name...] [# comment]" (any IPv4 or IPv6
 *            address; localhost, broadcasthost, ip6-* and the like
 *            are skipped)
 *   plain    "name" ("*.name" is name: its subdomains are covered)
 *   Adblock  "||name^", "||name^|", "||name^$options" (options ignored,
 *            except $badfilter, which cancels a rule: a bad line)
 * Anything else is a bad line, in particular Adblock paths, wildcards,
 * element hiding ("name##selector") and exceptions ("@@||name^"); a
 * generic "##selector" starts with '#' and passes for a comment, which
 * is harmless: it names no domain.  An exception in
 * a blocklist is not taken as an allow entry: a list the user chose to
 * block with should not be able to unblock what other lists block; an
 * allowlist says so explicitly.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "labwarden/blocklist.h"
#include "labwarden/lines.h"

#define LINE_MAX_BYTES	4096
#define NAME_MAX_BYTES	253
#define LABEL_MAX_BYTES	63
#define ADDR_MAX_BYTES	64	/* an IPv6 address with a zone */
#define FIRST_SLOTS	1024

struct lw_blocklist_slot {
	uint64_t word;		/* hash56 << 8 | list; 0 when empty */
};

#define SLOT_HASH(w)	((w) >> 8)
#define SLOT_LIST(w)	((uint32_t)((w) & 0xff))

_Static_assert(LW_BLOCKLIST_MAX_LISTS <= 256, "a list index is 8 bits");

#define FNV_BASIS	0xcbf29ce484222325ull
#define FNV_PRIME	0x100000001b3ull

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* One byte more of a name, read right to left. */
static uint64_t hash_byte(uint64_t h, char c)
{
	return (h ^ (unsigned char)ascii_lower(c)) * FNV_PRIME;
}

/* FNV-1a spreads its low bits poorly; the slot index is low bits. */
static uint64_t hash_finish(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	h >>= 8;		/* 56 bits: the list index takes the rest */
	return h ? h : 1;	/* 0 is an empty slot */
}

static uint64_t name_hash(const char *name, size_t len)
{
	uint64_t h = FNV_BASIS;

	while (len > 0)
		h = hash_byte(h, name[--len]);
	return hash_finish(h);
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
	size_t nslots = bl->nslots ? bl->nslots * 2 : FIRST_SLOTS;

	if (nslots < bl->nslots)
		return false;
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
	size_t mask = bl->nslots - 1;

	/* At most half full: a probe always meets an empty slot. */
	for (size_t j = hash & mask;; j = (j + 1) & mask) {
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
	if (bl->count >= bl->nslots / 2 && !grow(bl))
		return false;
	size_t mask = bl->nslots - 1;
	size_t j = hash & mask;
	while (bl->slots[j].word) {
		if (SLOT_HASH(bl->slots[j].word) == hash) {
			if (bl->files[list].allow)
				bl->slots[j].word = hash << 8 | list;
			return true;
		}
		j = (j + 1) & mask;
	}
	bl->slots[j].word = hash << 8 | list;
	bl->count++;
	return true;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	    c == '\v' || c == '\f';
}

static char *strip(char *s)
{
	while (is_space(*s))
		s++;
	for (size_t n = strlen(s); n > 0 && is_space(s[n - 1]);)
		s[--n] = '\0';
	return s;
}

static bool is_name_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '_';
}

/*
 * Lowercase and check a domain in place: labels of 1 to 63 bytes of
 * [a-z0-9_-], 253 bytes in all, a trailing dot dropped.  NULL when it
 * is not one.
 */
static char *clean_domain(char *name)
{
	size_t n = strlen(name), label = 0;

	if (n > 0 && name[n - 1] == '.')
		name[--n] = '\0';
	if (n == 0 || n > NAME_MAX_BYTES)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = ascii_lower(name[i]);
		name[i] = c;
		if (c == '.') {
			if (label == 0)
				return NULL;
			label = 0;
		} else if (!is_name_byte(c) || ++label > LABEL_MAX_BYTES)
			return NULL;
	}
	return label > 0 ? name : NULL;
}

/* Any IPv4 or IPv6 address, an IPv6 one perhaps with "%zone". */
static bool is_ip_literal(const char *tok)
{
	unsigned char addr[16];
	char text[ADDR_MAX_BYTES];
	size_t n = strcspn(tok, "%");

	if (n >= sizeof text || strlen(tok) >= sizeof text)
		return false;
	memcpy(text, tok, n);
	text[n] = '\0';
	if (tok[n] == '%')	/* a zone: IPv6 only */
		return inet_pton(AF_INET6, text, addr) == 1;
	return inet_pton(AF_INET, text, addr) == 1 ||
	    inet_pton(AF_INET6, text, addr) == 1;
}

/* The names every hosts file carries for the machine itself. */
static bool hosts_placeholder(const char *name)
{
	static const char *const names[] = {
		"localhost", "localhost.localdomain", "local",
		"broadcasthost", "0.0.0.0",
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcasecmp(name, names[i]) == 0)
			return true;
	return strncasecmp(name, "ip6-", 4) == 0;
}

/*
 * Adblock element hiding and its kin: "##", "#@#", "#?#", "#$#"...
 * right after a domain (no space before).  A '#' after white space, or
 * at the start of a line, begins a comment instead.
 */
static bool is_element_hiding(const char *line)
{
	for (const char *p = strchr(line, '#'); p; p = strchr(p + 1, '#')) {
		if (p == line || is_space(p[-1]))
			continue;
		const char *q = p + 1;
		while (*q == '@' || *q == '?' || *q == '$' || *q == '%')
			q++;
		if (*q == '#')
			return true;
	}
	return false;
}

struct loader {
	struct lw_blocklist *bl;
	uint32_t list;
	struct lw_blocklist_file *file;
	FILE	*report;
	size_t	 lineno;
	bool	 line_bad;	/* this line is counted already */
	bool	 oom;
};

static void bad_line(struct loader *ld, const char *why)
{
	if (ld->line_bad)
		return;		/* one count and one report per line */
	ld->line_bad = true;
	ld->file->bad_lines++;
	if (ld->report && ld->file->bad_lines <= LW_BLOCKLIST_REPORT_LINES)
		fprintf(ld->report, "%s:%zu: %s\n", ld->file->path,
		    ld->lineno, why);
}

static void add_name(struct loader *ld, char *token)
{
	const char *name = clean_domain(token);

	if (!name) {
		bad_line(ld, "not a domain name");
		return;
	}
	if (!insert(ld->bl, name_hash(name, strlen(name)), ld->list))
		ld->oom = true;
	else
		ld->file->entries++;
}

/* "||domain^", "||domain^|" or "||domain^$options". */
static void adblock_line(struct loader *ld, char *line)
{
	char *domain = line + 2;
	size_t n = strcspn(domain, "^/*|$");
	char *rest = domain + n;

	if (*rest != '^' || !(rest[1] == '\0' || strcmp(rest + 1, "|") == 0 ||
	    rest[1] == '$')) {
		bad_line(ld, "Adblock rule other than ||domain^");
		return;
	}
	if (rest[1] == '$' && strstr(rest, "badfilter")) {
		bad_line(ld, "Adblock $badfilter rule");
		return;
	}
	*rest = '\0';
	add_name(ld, domain);
}

static void hosts_line(struct loader *ld, char *save)
{
	bool any = false;

	for (char *tok; (tok = strtok_r(NULL, " \t", &save));) {
		any = true;
		if (!hosts_placeholder(tok))
			add_name(ld, tok);
	}
	if (!any)
		bad_line(ld, "address without a name");
}

static void plain_line(struct loader *ld, char *tok, char *save)
{
	if (strtok_r(NULL, " \t", &save)) {
		bad_line(ld, "more than one word on a plain line");
		return;
	}
	if (strncmp(tok, "*.", 2) == 0)
		tok += 2;	/* the name covers its subdomains anyway */
	add_name(ld, tok);
}

static void parse_line(struct loader *ld, char *line)
{
	char *save = NULL, *tok;

	line = strip(line);
	if (*line == '\0' || *line == '#' || *line == '!')
		return;		/* blank, comment, Adblock comment */
	if (*line == '[') {
		if (line[strlen(line) - 1] != ']')
			bad_line(ld, "not a domain name");
		return;		/* "[Adblock Plus 2.0]" */
	}
	if (is_element_hiding(line)) {
		bad_line(ld, "Adblock element hiding rule");
		return;
	}
	line[strcspn(line, "#")] = '\0';	/* a comment after the data */
	line = strip(line);
	if (strncmp(line, "@@", 2) == 0) {
		bad_line(ld, "Adblock exception rule (use an allowlist)");
		return;
	}
	if (strncmp(line, "||", 2) == 0) {
		adblock_line(ld, line);
		return;
	}
	tok = strtok_r(line, " \t", &save);
	if (!tok)
		return;
	if (is_ip_literal(tok))
		hosts_line(ld, save);
	else
		plain_line(ld, tok, save);
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
	struct loader ld = { bl, (uint32_t)bl->nfiles, file, report, 0,
	    false, false };
	bl->nfiles++;
	enum lw_line got;
	/* Bounded by the file: every pass consumes a line. */
	while (!ld.oom && (got = lw_read_line(f, line, sizeof line)) !=
	    LW_LINE_EOF) {
		ld.lineno++;
		ld.line_bad = false;
		if (got == LW_LINE_TOO_LONG)
			bad_line(&ld, "line too long");
		else if (got == LW_LINE_NUL)
			bad_line(&ld, "a NUL byte in the line");
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

/* Whether the dot at name[dot] is escaped ("\."): an odd run of
 * backslashes before it. */
static bool dot_escaped(const char *name, size_t dot)
{
	size_t run = 0;

	while (run < dot && name[dot - 1 - run] == '\\')
		run++;
	return run % 2 == 1;
}

/* Note what list holds the suffix with this hash; true when it is an
 * allowlist, which settles the name. */
static bool allowed(const struct lw_blocklist *bl, uint64_t hash,
    const char **blocked)
{
	int list = lookup(bl, hash);

	if (list < 0)
		return false;
	if (bl->files[list].allow)
		return true;
	*blocked = bl->files[list].name;
	return false;
}

const char *lw_blocklist_match(const struct lw_blocklist *bl,
    const char *name)
{
	const char *blocked = NULL;
	uint64_t h = FNV_BASIS;
	size_t len = strlen(name), i;

	if (!bl->count)
		return NULL;
	if (len > 0 && name[len - 1] == '.')
		len--;		/* the root */
	/*
	 * Right to left: at each label boundary h covers the suffix after
	 * it, so shorter suffixes come first: an allow settles the name,
	 * a block is kept unless a longer suffix is blocked too.  No entry
	 * is longer than 253 bytes or holds a backslash (a DNS escape), so
	 * the walk stops at either.
	 */
	for (i = len; i > 0 && len - i <= NAME_MAX_BYTES; i--) {
		char c = name[i - 1];
		if (c == '\\')
			return blocked;
		if (c == '.') {
			if (dot_escaped(name, i - 1))
				return blocked;		/* inside a label */
			if (i < len && allowed(bl, hash_finish(h), &blocked))
				return NULL;
		}
		h = hash_byte(h, c);
	}
	if (i == 0 && len > 0 && allowed(bl, hash_finish(h), &blocked))
		return NULL;		/* the whole name */
	return blocked;
}
