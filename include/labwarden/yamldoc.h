/*
 * yamldoc.h - a YAML file loaded with libyaml, with positions kept.
 *
 * Config and rule loaders walk libyaml's document tree directly; these
 * helpers add the file name to every diagnostic and make the common
 * checks ("is a mapping", "is a string", "is a duration") one call.
 */
#ifndef LABWARDEN_YAMLDOC_H
#define LABWARDEN_YAMLDOC_H

#include <stdbool.h>
#include <stdint.h>

#include <yaml.h>

#include "labwarden/diag.h"

#define LW_YAML_MAX_BYTES (4u << 20)	/* a config is never this big */

struct lw_ydoc {
	yaml_document_t doc;
	const char *path;
	struct lw_diag *diag;
	bool	 loaded;
};

/* False (with a diagnostic) if the file cannot be read or parsed. */
bool	 lw_ydoc_load(struct lw_ydoc *y, const char *path,
	    struct lw_diag *diag);
void	 lw_ydoc_free(struct lw_ydoc *y);
yaml_node_t *lw_ydoc_root(struct lw_ydoc *y);
yaml_node_t *lw_ydoc_node(struct lw_ydoc *y, int index);

/* Diagnostic at a node's position. */
void	 lw_ydoc_error(struct lw_ydoc *y, const yaml_node_t *node,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Scalar text, or NULL (and a diagnostic naming 'what') if not one. */
const char *lw_ydoc_str(struct lw_ydoc *y, const yaml_node_t *node,
	    const char *what);
bool	 lw_ydoc_is_map(struct lw_ydoc *y, const yaml_node_t *node,
	    const char *what);
bool	 lw_ydoc_is_seq(struct lw_ydoc *y, const yaml_node_t *node,
	    const char *what);
bool	 lw_ydoc_duration(struct lw_ydoc *y, const yaml_node_t *node,
	    const char *what, uint64_t *ns);
bool	 lw_ydoc_uint(struct lw_ydoc *y, const yaml_node_t *node,
	    const char *what, uint64_t max, uint64_t *out);
/* Report a key not in 'known' (NULL-terminated), with a suggestion. */
void	 lw_ydoc_unknown_key(struct lw_ydoc *y, const yaml_node_t *key,
	    const char *where, const char *const *known);

#endif
