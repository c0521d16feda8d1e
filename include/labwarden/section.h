/*
 * section.h - a configuration section owned by a later module, kept as
 * flat key/value pairs with their file positions.
 *
 * config.c does not know what an OpenWrt backend, a Vault key store or
 * an MQTT broker needs; it keeps backends.NAME, keys.NAME and mqtt as
 * sections and their owners read and check them.  Nested mappings are
 * flattened to dotted keys ("headers.X-Api-Version"), sequences to
 * indexed ones ("tags.0", "tags.1").  Every value is the YAML scalar's
 * text, so a diagnostic can name file:line:col of the exact field.
 *
 * Secrets never appear as values: lw_section_secret() reads NAME_file
 * (first line, trailing newline cut) or NAME_env, and refuses a plain
 * NAME key with a message that says how to do it instead.
 */
#ifndef LABWARDEN_SECTION_H
#define LABWARDEN_SECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "labwarden/clock.h"	/* lw_duration_parse */
#include "labwarden/diag.h"

#define LW_SECTION_MAX_KEYS	128
#define LW_SECRET_MAX		4096

struct lw_kv {
	char	*key;		/* "url", "headers.X-Token", "tags.0" */
	char	*value;
	unsigned line, col;	/* 1-based */
};

struct lw_section {
	char	*file;		/* the config file, for diagnostics */
	char	*where;		/* "backends.router", "keys.openai", "mqtt" */
	char	*name;		/* "router", "openai", "mqtt" */
	unsigned line, col;	/* of the section itself */
	struct lw_kv kv[LW_SECTION_MAX_KEYS];
	size_t	 n;
	bool	 used[LW_SECTION_MAX_KEYS];	/* marked by the getters */
};

void	 lw_section_free(struct lw_section *sec);
/* The pair for key, or NULL; marks it used. */
const struct lw_kv *lw_section_find(struct lw_section *sec, const char *key);
/* The value for key, or def; marks it used. */
const char *lw_section_str(struct lw_section *sec, const char *key,
	    const char *def);
/* Typed getters: an absent key leaves *out at def and returns true; a
 * present but bad one adds "file:line:col: where.key: why" to diag and
 * returns false. */
bool	 lw_section_bool(struct lw_section *sec, const char *key, bool def,
	    bool *out, struct lw_diag *diag);
bool	 lw_section_uint(struct lw_section *sec, const char *key,
	    uint64_t def, uint64_t max, uint64_t *out, struct lw_diag *diag);
bool	 lw_section_duration(struct lw_section *sec, const char *key,
	    uint64_t def_ns, uint64_t *out_ns, struct lw_diag *diag);
/* A file name: key's value read relative to the config file's directory
 * (as NAME_file secrets are) into out; NULL (out empty) when absent. */
const char *lw_section_file(struct lw_section *sec, const char *key,
	    char *out, size_t outlen);
/* A required key: its value, or NULL with "where.key: missing". */
const char *lw_section_need(struct lw_section *sec, const char *key,
	    struct lw_diag *diag);
/* A diagnostic at key's position (the section's when key is absent). */
void	 lw_section_error(const struct lw_section *sec, const char *key,
	    struct lw_diag *diag, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
/* Every key no getter asked for is reported, with a near miss from
 * known (NULL-terminated) when there is one.  Call after reading. */
void	 lw_section_unused(struct lw_section *sec, const char *const *known,
	    struct lw_diag *diag);
/*
 * A secret named base: from base_file (path relative to the config's
 * directory) or base_env.  Returns true with the secret in buf (NUL-
 * terminated); false when neither is given (*err empty, unless
 * required) or it cannot be read (*err says why, never the value).  A
 * plain `base:` key is refused: secrets are not config values.
 */
bool	 lw_section_secret(struct lw_section *sec, const char *base,
	    bool required, char *buf, size_t buflen, char *err,
	    size_t errlen);
/* path as the section's file means it: relative to the config file's
 * directory unless absolute, into out (cut at outlen). */
void	 lw_section_path(const struct lw_section *sec, const char *path,
	    char *out, size_t outlen);

#endif
