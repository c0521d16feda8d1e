/*
 * audit.c - the audit log in state_dir, rotated by size (audit.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "labwarden/audit.h"
#include "labwarden/clock.h"

struct lw_audit {
	struct lw_audit *next;	/* open logs, so two owners share one */
	unsigned refs;
	pthread_mutex_t lock;
	char	*path;
	int	 fd;
	uint64_t size, max_bytes;
	unsigned keep;
	uint64_t failures;
};

static int open_log(const char *path, uint64_t *size)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	*size = fd >= 0 && fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return fd;
}

/*
 * The action layer and the key rotator both audit into state_dir: they
 * share one open log (one lock, one size count, one rotation) rather
 * than racing each other's renames.
 */
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lw_audit *open_logs;

static struct lw_audit *shared_log(const char *dir)
{
	size_t len = strlen(dir);

	while (len > 1 && dir[len - 1] == '/')	/* "dir/" is "dir" */
		len--;
	for (struct lw_audit *a = open_logs; a; a = a->next)
		if (a->path && strncmp(a->path, dir, len) == 0 &&
		    strcmp(a->path + len, "/" LW_AUDIT_FILE) == 0) {
			a->refs++;
			return a;
		}
	return NULL;
}

static struct lw_audit *audit_new(const char *dir, uint64_t max_bytes,
    unsigned keep, char *err, size_t errlen);

struct lw_audit *lw_audit_open(const char *dir, uint64_t max_bytes,
    unsigned keep, char *err, size_t errlen)
{
	struct lw_audit *a;

	if (!dir)
		return audit_new(NULL, max_bytes, keep, err, errlen);
	pthread_mutex_lock(&open_lock);
	if (!(a = shared_log(dir)) &&
	    (a = audit_new(dir, max_bytes, keep, err, errlen))) {
		a->next = open_logs;
		open_logs = a;
	}
	pthread_mutex_unlock(&open_lock);
	return a;
}

static void audit_free(struct lw_audit *a);

static struct lw_audit *audit_new(const char *dir, uint64_t max_bytes,
    unsigned keep, char *err, size_t errlen)
{
	struct lw_audit *a = calloc(1, sizeof *a);

	if (!a) {
		snprintf(err, errlen, "audit log: out of memory");
		return NULL;
	}
	pthread_mutex_init(&a->lock, NULL);
	a->refs = 1;
	a->fd = -1;
	a->max_bytes = max_bytes ? max_bytes : LW_AUDIT_MAX_BYTES;
	a->keep = keep ? keep : LW_AUDIT_KEEP;
	if (!dir)
		return a;
	size_t len = strlen(dir) + sizeof "/" LW_AUDIT_FILE;
	a->path = malloc(len);
	if (!a->path) {
		audit_free(a);
		snprintf(err, errlen, "audit log: out of memory");
		return NULL;
	}
	size_t dirlen = strlen(dir);
	while (dirlen > 1 && dir[dirlen - 1] == '/')
		dirlen--;
	snprintf(a->path, len, "%.*s/%s", (int)dirlen, dir, LW_AUDIT_FILE);
	a->fd = open_log(a->path, &a->size);
	if (a->fd < 0) {
		snprintf(err, errlen, "%s: %s", a->path, strerror(errno));
		audit_free(a);
		return NULL;
	}
	return a;
}

/* audit.jsonl -> .1 -> .2 ... -> .keep (the oldest goes). */
static void rotate(struct lw_audit *a)
{
	size_t len = strlen(a->path) + 16;
	char from[len], to[len];

	fsync(a->fd);
	close(a->fd);
	for (unsigned i = a->keep; i > 0; i--) {
		if (i == 1)
			snprintf(from, len, "%s", a->path);
		else
			snprintf(from, len, "%s.%u", a->path, i - 1);
		snprintf(to, len, "%s.%u", a->path, i);
		rename(from, to);
	}
	a->fd = open_log(a->path, &a->size);
}

void lw_audit_write(struct lw_audit *a, json_t *record)
{
	char ts[LW_TIME_STRLEN];
	struct timespec now;

	if (!a || !record) {
		json_decref(record);
		return;
	}
	if (!json_object_get(record, "ts")) {
		clock_gettime(CLOCK_REALTIME, &now);
		json_object_set_new(record, "ts", json_string(lw_time_format(
		    (uint64_t)now.tv_sec * LW_NS_PER_SEC + (uint64_t)now.tv_nsec,
		    ts, sizeof ts)));
	}
	char *line = json_dumps(record, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(record);
	if (!line) {
		__atomic_add_fetch(&a->failures, 1, __ATOMIC_RELAXED);
		return;
	}
	size_t n = strlen(line);
	line[n] = '\n';		/* json_dumps' NUL becomes the newline */
	pthread_mutex_lock(&a->lock);
	if (a->fd >= 0) {
		if (a->size + n + 1 > a->max_bytes && a->size > 0)
			rotate(a);
		ssize_t w = a->fd >= 0 ? write(a->fd, line, n + 1) : -1;
		if (w == (ssize_t)(n + 1))
			a->size += n + 1;
		else
			__atomic_add_fetch(&a->failures, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&a->lock);
	free(line);
}

uint64_t lw_audit_failures(const struct lw_audit *a)
{
	return a ? __atomic_load_n(&a->failures, __ATOMIC_RELAXED) : 0;
}

void lw_audit_close(struct lw_audit *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&open_lock);
	bool last = --a->refs == 0;
	for (struct lw_audit **p = &open_logs; last && *p; p = &(*p)->next)
		if (*p == a) {
			*p = a->next;
			break;
		}
	pthread_mutex_unlock(&open_lock);
	if (last)
		audit_free(a);
}

static void audit_free(struct lw_audit *a)
{
	if (a->fd >= 0) {
		fsync(a->fd);
		close(a->fd);
	}
	pthread_mutex_destroy(&a->lock);
	free(a->path);
	free(a);
}
