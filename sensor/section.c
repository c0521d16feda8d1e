/*
 * section.c - configuration sections read by their owners (section.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labwarden/section.h"

void lw_section_free(struct lw_section *sec)
{
	for (size_t i = 0; i < sec->n; i++) {
		free(sec->kv[i].key);
		free(sec->kv[i].value);
	}
	free(sec->file);
	free(sec->where);
	free(sec->name);
	memset(sec, 0, sizeof *sec);
}

const struct lw_kv *lw_section_find(struct lw_section *sec, const char *key)
{
	for (size_t i = 0; i < sec->n; i++)
		if (strcmp(sec->kv[i].key, key) == 0) {
			sec->used[i] = true;
			return &sec->kv[i];
		}
	return NULL;
}

const char *lw_section_str(struct lw_section *sec, const char *key,
    const char *def)
{
	const struct lw_kv *kv = lw_section_find(sec, key);
	return kv ? kv->value : def;
}

static void add_at(const struct lw_section *sec, const struct lw_kv *kv,
    struct lw_diag *diag, const char *msg)
{
	lw_diag_add(diag, sec->file, kv ? kv->line : sec->line,
	    kv ? kv->col : sec->col, "%s", msg);
}

void lw_section_error(const struct lw_section *sec, const char *key,
    struct lw_diag *diag, const char *fmt, ...)
{
	const struct lw_kv *kv = NULL;
	char msg[768], body[640];
	va_list ap;

	for (size_t i = 0; key && i < sec->n; i++)
		if (strcmp(sec->kv[i].key, key) == 0)
			kv = &sec->kv[i];
	va_start(ap, fmt);
	vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	if (key)
		snprintf(msg, sizeof msg, "%s.%s: %s", sec->where, key, body);
	else
		snprintf(msg, sizeof msg, "%s: %s", sec->where, body);
	add_at(sec, kv, diag, msg);
}

bool lw_section_bool(struct lw_section *sec, const char *key, bool def,
    bool *out, struct lw_diag *diag)
{
	const char *v = lw_section_str(sec, key, NULL);

	*out = def;
	if (!v)
		return true;
	if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0)
		*out = false;
	else {
		lw_section_error(sec, key, diag, "true or false, not '%s'", v);
		return false;
	}
	return true;
}

bool lw_section_uint(struct lw_section *sec, const char *key, uint64_t def,
    uint64_t max, uint64_t *out, struct lw_diag *diag)
{
	const char *v = lw_section_str(sec, key, NULL);
	char *end;

	*out = def;
	if (!v)
		return true;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (*v < '0' || *v > '9' || *end || errno || n > max) {
		lw_section_error(sec, key, diag, "a whole number from 0 to "
		    "%llu, not '%s'", (unsigned long long)max, v);
		return false;
	}
	*out = n;
	return true;
}

bool lw_section_duration(struct lw_section *sec, const char *key,
    uint64_t def_ns, uint64_t *out_ns, struct lw_diag *diag)
{
	const char *v = lw_section_str(sec, key, NULL);

	*out_ns = def_ns;
	if (!v)
		return true;
	if (!lw_duration_parse(v, out_ns)) {
		lw_section_error(sec, key, diag, "bad duration '%s' (write "
		    "e.g. 500ms, 90s, 15m, 2h, 7d)", v);
		*out_ns = def_ns;
		return false;
	}
	return true;
}

const char *lw_section_need(struct lw_section *sec, const char *key,
    struct lw_diag *diag)
{
	const char *v = lw_section_str(sec, key, NULL);

	if (!v || !*v)
		lw_section_error(sec, v ? key : NULL, diag, "%s%s", v ? "" :
		    key, v ? "empty" : ": missing");
	return v && *v ? v : NULL;
}

void lw_section_unused(struct lw_section *sec, const char *const *known,
    struct lw_diag *diag)
{
	for (size_t i = 0; i < sec->n; i++) {
		if (sec->used[i])
			continue;
		char top[128];
		snprintf(top, sizeof top, "%s", sec->kv[i].key);
		const char *near = lw_suggest(top, known);
		char msg[512];
		snprintf(msg, sizeof msg, "%s: unknown key '%s'%s%s%s",
		    sec->where, sec->kv[i].key, near ? " - did you mean '" :
		    "", near ? near : "", near ? "'?" : "");
		add_at(sec, &sec->kv[i], diag, msg);
	}
}

void lw_section_path(const struct lw_section *sec, const char *path,
    char *out, size_t outlen)
{
	const char *slash = sec->file ? strrchr(sec->file, '/') : NULL;

	if (path[0] == '/' || !slash)
		snprintf(out, outlen, "%s", path);
	else
		snprintf(out, outlen, "%.*s/%s", (int)(slash - sec->file),
		    sec->file, path);
}

const char *lw_section_file(struct lw_section *sec, const char *key,
    char *out, size_t outlen)
{
	const char *v = lw_section_str(sec, key, NULL);

	out[0] = '\0';
	if (!v)
		return NULL;
	lw_section_path(sec, v, out, outlen);
	return out;
}

static bool read_secret_file(const char *path, char *buf, size_t buflen,
    char *err, size_t errlen)
{
	/* Non-blocking, and only a regular file: a FIFO or a device
	 * named by mistake must not hang the start. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s: not a regular file", path);
		return false;
	}
	ssize_t n = read(fd, buf, buflen - 1);
	int saved = errno;
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(saved));
		return false;
	}
	if ((size_t)n == buflen - 1) {
		snprintf(err, errlen, "%s: longer than %zu bytes: not a secret",
		    path, buflen - 2);
		return false;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';	/* the first line */
	if (!buf[0]) {
		snprintf(err, errlen, "%s: empty", path);
		return false;
	}
	return true;
}

bool lw_section_secret(struct lw_section *sec, const char *base,
    bool required, char *buf, size_t buflen, char *err, size_t errlen)
{
	char key[96], path[4096];

	err[0] = '\0';
	buf[0] = '\0';
	if (lw_section_find(sec, base)) {
		/* X_file / X_env beside it are not "unknown keys" too */
		snprintf(key, sizeof key, "%s_file", base);
		lw_section_find(sec, key);
		snprintf(key, sizeof key, "%s_env", base);
		lw_section_find(sec, key);
		snprintf(err, errlen, "%s.%s: secrets are not config values; "
		    "use %s_file: PATH or %s_env: VARIABLE", sec->where, base,
		    base, base);
		return false;
	}
	snprintf(key, sizeof key, "%s_file", base);
	const char *file = lw_section_str(sec, key, NULL);
	snprintf(key, sizeof key, "%s_env", base);
	const char *env = lw_section_str(sec, key, NULL);
	if (file) {
		lw_section_path(sec, file, path, sizeof path);
		if (!read_secret_file(path, buf, buflen, err, errlen)) {
			char why[600];
			snprintf(why, sizeof why, "%s", err);
			snprintf(err, errlen, "%s.%s_file: %s", sec->where, base,
			    why);
			return false;
		}
		return true;
	}
	if (env) {
		const char *v = getenv(env);
		if (!v || !*v) {
			snprintf(err, errlen, "%s.%s_env: $%s is not set",
			    sec->where, base, env);
			return false;
		}
		if (strlen(v) >= buflen) {
			snprintf(err, errlen, "%s.%s_env: $%s is too long",
			    sec->where, base, env);
			return false;
		}
		snprintf(buf, buflen, "%s", v);
		return true;
	}
	if (required)
		snprintf(err, errlen, "%s: needs %s_file: PATH or %s_env: "
		    "VARIABLE", sec->where, base, base);
	return false;
}
