/*
 * statefile.c - atomic JSON state files (see statefile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "labwarden/statefile.h"

bool lw_write_all(int fd, const void *data, size_t len)
{
	const char *buf = data;

	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

void lw_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

bool lw_state_write(const char *dir, const char *name, const json_t *doc,
    char *err, size_t errlen)
{
	char path[4096], tmp[4200];
	char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);

	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if (!text) {
		snprintf(err, errlen, "%s: out of memory", path);
		return false;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	bool ok = fd >= 0 && lw_write_all(fd, text, strlen(text)) &&
	    lw_write_all(fd, "\n", 1) && fsync(fd) == 0;
	int saved = errno;
	if (fd >= 0 && close(fd) != 0 && ok) {
		ok = false;
		saved = errno;
	}
	free(text);
	if (ok && rename(tmp, path) != 0) {
		ok = false;
		saved = errno;
	}
	if (!ok) {
		snprintf(err, errlen, "%s: cannot write state: %s", path,
		    strerror(saved));
		unlink(tmp);
		return false;
	}
	lw_sync_dir(dir);
	return true;
}

bool lw_state_move_aside(const char *path, const char *why)
{
	char aside[4200], stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	snprintf(aside, sizeof aside, "%s.corrupt-%s", path, stamp);
	if (rename(path, aside) == 0) {
		fprintf(stderr, "labwarden: %s: %s; moved aside to %s, "
		    "starting fresh\n", path, why, aside);
		return true;
	}
	fprintf(stderr, "labwarden: %s: %s; cannot move it aside (%s), "
	    "starting fresh\n", path, why, strerror(errno));
	return false;
}

json_t *lw_state_read(const char *dir, const char *name, const char *kind)
{
	char path[4096], why[300];
	json_error_t jerr;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (access(path, F_OK) != 0)
		return NULL;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		snprintf(why, sizeof why, "line %d: %s", jerr.line, jerr.text);
		lw_state_move_aside(path, why);
		return NULL;
	}
	const char *got = json_string_value(json_object_get(doc, "kind"));
	json_int_t version = json_integer_value(json_object_get(doc,
	    "version"));
	if (!json_is_object(doc) || !got || strcmp(got, kind) != 0 ||
	    version != 1) {
		snprintf(why, sizeof why, "not a labwarden %s state file "
		    "(version 1)", kind);
		json_decref(doc);
		lw_state_move_aside(path, why);
		return NULL;
	}
	return doc;
}
