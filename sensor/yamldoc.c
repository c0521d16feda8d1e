/*
 * yamldoc.c - libyaml documents with file:line:col diagnostics.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "labwarden/clock.h"
#include "labwarden/yamldoc.h"

bool lw_ydoc_load(struct lw_ydoc *y, const char *path, struct lw_diag *diag)
{
	yaml_parser_t parser;
	struct stat st;

	memset(y, 0, sizeof *y);
	y->path = path;
	y->diag = diag;
	FILE *f = fopen(path, "rb");
	if (!f) {
		lw_diag_add(diag, path, 0, 0, "%s", strerror(errno));
		return false;
	}
	if (fstat(fileno(f), &st) == 0 && st.st_size > LW_YAML_MAX_BYTES) {
		lw_diag_add(diag, path, 0, 0, "file too large (%lld bytes, "
		    "limit %u)", (long long)st.st_size, LW_YAML_MAX_BYTES);
		fclose(f);
		return false;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &y->doc)) {
		lw_diag_add(diag, path, (unsigned)parser.problem_mark.line + 1,
		    (unsigned)parser.problem_mark.column + 1, "YAML: %s%s%s",
		    parser.problem ? parser.problem : "syntax error",
		    parser.context ? " " : "",
		    parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		fclose(f);
		return false;
	}
	yaml_parser_delete(&parser);
	fclose(f);
	y->loaded = true;
	return true;
}

void lw_ydoc_free(struct lw_ydoc *y)
{
	if (y->loaded)
		yaml_document_delete(&y->doc);
	y->loaded = false;
}

yaml_node_t *lw_ydoc_root(struct lw_ydoc *y)
{
	return y->loaded ? yaml_document_get_root_node(&y->doc) : NULL;
}

yaml_node_t *lw_ydoc_node(struct lw_ydoc *y, int index)
{
	return yaml_document_get_node(&y->doc, index);
}

void lw_ydoc_error(struct lw_ydoc *y, const yaml_node_t *node,
    const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	lw_diag_add(y->diag, y->path,
	    node ? (unsigned)node->start_mark.line + 1 : 0,
	    node ? (unsigned)node->start_mark.column + 1 : 0, "%s", msg);
}

static const char *kind_name(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_SCALAR_NODE:
		return "a value";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "empty";
	}
}

const char *lw_ydoc_str(struct lw_ydoc *y, const yaml_node_t *node,
    const char *what)
{
	if (node && node->type == YAML_SCALAR_NODE)
		return (const char *)node->data.scalar.value;
	lw_ydoc_error(y, node, "%s: expected a value, found %s", what,
	    node ? kind_name(node) : "nothing");
	return NULL;
}

bool lw_ydoc_is_map(struct lw_ydoc *y, const yaml_node_t *node,
    const char *what)
{
	if (node && node->type == YAML_MAPPING_NODE)
		return true;
	lw_ydoc_error(y, node, "%s: expected a mapping (key: value), "
	    "found %s", what, node ? kind_name(node) : "nothing");
	return false;
}

bool lw_ydoc_is_seq(struct lw_ydoc *y, const yaml_node_t *node,
    const char *what)
{
	if (node && node->type == YAML_SEQUENCE_NODE)
		return true;
	lw_ydoc_error(y, node, "%s: expected a list ([a, b] or - items), "
	    "found %s", what, node ? kind_name(node) : "nothing");
	return false;
}

bool lw_ydoc_duration(struct lw_ydoc *y, const yaml_node_t *node,
    const char *what, uint64_t *ns)
{
	const char *text = lw_ydoc_str(y, node, what);
	if (!text)
		return false;
	if (lw_duration_parse(text, ns))
		return true;
	lw_ydoc_error(y, node, "%s: bad duration '%s' (write e.g. 90s, "
	    "15m, 2h, 7d)", what, text);
	return false;
}

bool lw_ydoc_uint(struct lw_ydoc *y, const yaml_node_t *node,
    const char *what, uint64_t max, uint64_t *out)
{
	const char *text = lw_ydoc_str(y, node, what);
	char *end;

	if (!text)
		return false;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (*text < '0' || *text > '9' || *end || errno || v > max) {
		lw_ydoc_error(y, node, "%s: expected a whole number 0..%llu, "
		    "found '%s'", what, (unsigned long long)max, text);
		return false;
	}
	*out = v;
	return true;
}

void lw_ydoc_unknown_key(struct lw_ydoc *y, const yaml_node_t *key,
    const char *where, const char *const *known)
{
	const char *name = key->type == YAML_SCALAR_NODE ?
	    (const char *)key->data.scalar.value : "?";
	const char *near = lw_suggest(name, known);

	if (near)
		lw_ydoc_error(y, key, "%s: unknown key '%s' - did you mean "
		    "'%s'?", where, name, near);
	else
		lw_ydoc_error(y, key, "%s: unknown key '%s'", where, name);
}
