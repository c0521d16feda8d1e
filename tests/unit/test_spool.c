/*
 * test_spool.c - t117: the bounded on-disk spool behind MQTT events:
 * order, acknowledgement, the bound (oldest dropped and counted), the
 * file across reopenings, a record cut by a crash, a file that is no
 * spool, compaction that keeps the file small, and acknowledgements
 * that arrive after their records were dropped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labwarden/spool.h"

#define HDR 24

static char dir[64];

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/lw-t117-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *spool_path(void)
{
	static char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, LW_SPOOL_FILE);
	return path;
}

static off_t file_size(void)
{
	struct stat st;
	return stat(spool_path(), &st) == 0 ? st.st_size : -1;
}

static void append(struct lw_spool *sp, int n, size_t len)
{
	char err[256], payload[8192];

	assert_true(len < sizeof payload);
	memset(payload, 'x', len);
	snprintf(payload, len, "m%06d", n);
	payload[strlen(payload)] = len > 7 ? 'x' : '\0';
	assert_true(lw_spool_append(sp, "lw/t/event", payload, len, err,
	    sizeof err));
}

/* The number in the next record's payload, -1 when there is none. */
static int next_number(struct lw_spool *sp, uint64_t *end)
{
	struct lw_spool_rec rec;
	int n;

	if (!lw_spool_next(sp, &rec))
		return -1;
	assert_string_equal(rec.topic, "lw/t/event");
	assert_int_equal(sscanf(rec.payload, "m%06d", &n), 1);
	if (end)
		*end = rec.end;
	lw_spool_rec_free(&rec);
	return n;
}

static void test_order_and_ack(void **state)
{
	char err[256];
	uint64_t end = 0;
	(void)state;

	struct lw_spool *sp = lw_spool_open(NULL, 1 << 20, err, sizeof err);
	assert_non_null(sp);
	for (int i = 0; i < 50; i++)
		append(sp, i, 100);
	assert_int_equal(lw_spool_pending(sp), 50);
	for (int i = 0; i < 20; i++)
		assert_int_equal(next_number(sp, &end), i);
	assert_int_equal(lw_spool_unsent(sp), 30);
	lw_spool_ack(sp, end);
	assert_int_equal(lw_spool_pending(sp), 30);
	lw_spool_rewind(sp);	/* unacknowledged ones again, in order */
	assert_int_equal(next_number(sp, NULL), 20);
	lw_spool_ack(sp, end);	/* stale: changes nothing */
	assert_int_equal(lw_spool_pending(sp), 30);
	for (int i = 21; i < 50; i++)
		assert_int_equal(next_number(sp, &end), i);
	assert_int_equal(next_number(sp, NULL), -1);
	lw_spool_ack(sp, end);
	assert_int_equal(lw_spool_pending(sp), 0);
	assert_int_equal(lw_spool_bytes(sp), 0);
	assert_int_equal(lw_spool_dropped(sp), 0);
	assert_true(lw_spool_close(sp, err, sizeof err));
}

static void test_bound_drops_oldest(void **state)
{
	char err[256];
	(void)state;

	struct lw_spool *sp = lw_spool_open(NULL, 4096, err, sizeof err);
	for (int i = 0; i < 40; i++)
		append(sp, i, 500);
	assert_true(lw_spool_bytes(sp) <= 4096);
	uint64_t kept = lw_spool_pending(sp);
	assert_int_equal(lw_spool_dropped(sp) + kept, 40);
	assert_true(kept >= 6);
	/* the newest are kept, oldest first */
	for (uint64_t i = 40 - kept; i < 40; i++)
		assert_int_equal(next_number(sp, NULL), (int)i);
	/* one record bigger than the whole bound: refused, counted */
	char big[5000];
	memset(big, 'b', sizeof big);
	assert_false(lw_spool_append(sp, "lw/t/event", big, sizeof big, err,
	    sizeof err));
	assert_non_null(strstr(err, "does not fit"));
	assert_false(lw_spool_append(sp, "", "x", 1, err, sizeof err));
	lw_spool_close(sp, NULL, 0);
}

static void test_drop_while_in_flight(void **state)
{
	char err[256];
	uint64_t end1 = 0, end2 = 0;
	(void)state;

	struct lw_spool *sp = lw_spool_open(NULL, 4096, err, sizeof err);
	append(sp, 0, 1000);
	append(sp, 1, 1000);
	assert_int_equal(next_number(sp, &end1), 0);	/* in flight */
	for (int i = 2; i < 10; i++)	/* pushes 0 and 1 out */
		append(sp, i, 1000);
	lw_spool_ack(sp, end1);		/* its record is gone: ignored */
	int first = next_number(sp, &end2);
	assert_true(first >= 2);	/* the send cursor moved with the head */
	lw_spool_ack(sp, end2);
	assert_int_equal(lw_spool_pending(sp), 9 - first);
	lw_spool_close(sp, NULL, 0);
}

static void test_file_across_reopen(void **state)
{
	char err[256];
	uint64_t end = 0;
	(void)state;

	struct lw_spool *sp = lw_spool_open(dir, 1 << 20, err, sizeof err);
	assert_non_null(sp);
	assert_true(lw_spool_on_disk(sp));
	for (int i = 0; i < 5; i++)
		append(sp, i, 200);
	assert_true(lw_spool_close(sp, err, sizeof err));

	sp = lw_spool_open(dir, 1 << 20, err, sizeof err);
	assert_int_equal(lw_spool_pending(sp), 5);
	assert_int_equal(next_number(sp, NULL), 0);
	assert_int_equal(next_number(sp, &end), 1);
	lw_spool_ack(sp, end);
	assert_true(lw_spool_close(sp, err, sizeof err));

	sp = lw_spool_open(dir, 1 << 20, err, sizeof err);
	assert_int_equal(lw_spool_pending(sp), 3);
	for (int i = 2; i < 5; i++)
		assert_int_equal(next_number(sp, &end), i);
	lw_spool_ack(sp, end);
	assert_int_equal(file_size(), HDR);	/* empty: started over */
	append(sp, 7, 100);
	assert_true(lw_spool_close(sp, err, sizeof err));
	sp = lw_spool_open(dir, 1 << 20, err, sizeof err);
	assert_int_equal(next_number(sp, &end), 7);
	lw_spool_ack(sp, end);
	lw_spool_close(sp, NULL, 0);
}

static void test_torn_record_cut(void **state)
{
	char err[256];
	(void)state;

	unlink(spool_path());
	struct lw_spool *sp = lw_spool_open(dir, 1 << 20, err, sizeof err);
	for (int i = 0; i < 3; i++)
		append(sp, i, 300);
	lw_spool_close(sp, NULL, 0);
	off_t size = file_size();
	assert_int_equal(truncate(spool_path(), size - 5), 0);	/* a crash */

	sp = lw_spool_open(dir, 1 << 20, err, sizeof err);
	assert_int_equal(lw_spool_pending(sp), 2);
	assert_int_equal(next_number(sp, NULL), 0);
	assert_int_equal(next_number(sp, NULL), 1);
	assert_int_equal(next_number(sp, NULL), -1);
	append(sp, 3, 300);	/* goes where the torn one was */
	assert_int_equal(next_number(sp, NULL), 3);
	lw_spool_close(sp, NULL, 0);

	/* a flipped byte inside a record: its checksum fails */
	FILE *f = fopen(spool_path(), "r+b");
	fseek(f, HDR + 16 + 12, SEEK_SET);
	fputc('Z', f);
	fclose(f);
	sp = lw_spool_open(dir, 1 << 20, err, sizeof err);
	assert_int_equal(lw_spool_pending(sp), 0);
	lw_spool_close(sp, NULL, 0);
}

static int count_aside(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)))
		n += strstr(e->d_name, ".corrupt-") != NULL;
	closedir(d);
	return n;
}

/* A file moved aside of exactly size bytes? */
static bool aside_of_size(off_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[600];
	struct stat st;
	bool found = false;

	while (!found && (e = readdir(d))) {
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		found = strstr(e->d_name, ".corrupt-") && stat(path, &st) == 0 &&
		    st.st_size == size;
	}
	closedir(d);
	return found;
}

static void test_not_a_spool(void **state)
{
	char err[256];
	(void)state;

	FILE *f = fopen(spool_path(), "wb");
	fputs("this is not a spool at all, just some text", f);
	fclose(f);
	struct lw_spool *sp = lw_spool_open(dir, 1 << 20, err, sizeof err);
	assert_non_null(sp);
	assert_int_equal(lw_spool_pending(sp), 0);
	assert_int_equal(count_aside(), 1);
	append(sp, 1, 10);
	assert_int_equal(next_number(sp, NULL), 1);
	lw_spool_close(sp, NULL, 0);

	/* a header pointing past the end of the file */
	f = fopen(spool_path(), "wb");
	fwrite("LWSPOOL1\0\0\0\0\0\0\0\0\xff\xff\0\0\0\0\0\0", 1, HDR, f);
	fclose(f);
	sp = lw_spool_open(dir, 1 << 20, err, sizeof err);
	assert_non_null(sp);
	assert_int_equal(lw_spool_pending(sp), 0);
	lw_spool_close(sp, NULL, 0);

	/* a head so far past base that header + (head - base) wraps to a
	 * small number: refused, moved aside, not cut to a tiny file */
	f = fopen(spool_path(), "wb");
	fwrite("LWSPOOL1\0\0\0\0\0\0\0\0\xff\xff\xff\xff\xff\xff\xff\xff",
	    1, HDR, f);
	for (int i = 0; i < 40; i++)
		fputc('x', f);
	fclose(f);
	sp = lw_spool_open(dir, 1 << 20, err, sizeof err);
	assert_non_null(sp);
	assert_int_equal(lw_spool_pending(sp), 0);
	assert_true(aside_of_size(HDR + 40));	/* kept whole, aside */
	lw_spool_close(sp, NULL, 0);
	assert_false(lw_spool_open("/nonexistent/dir", 4096, err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent/dir"));
}

static void test_compaction_bounds_file(void **state)
{
	char err[256];
	uint64_t end = 0;
	(void)state;

	unlink(spool_path());
	struct lw_spool *sp = lw_spool_open(dir, 8192, err, sizeof err);
	/* Always one record left unacknowledged: the file never empties,
	 * so only compaction keeps it small. */
	append(sp, 0, 700);
	int sent = 0;
	for (int i = 1; i < 2000; i++) {
		append(sp, i, 700);
		assert_int_equal(next_number(sp, &end), sent++);
		lw_spool_ack(sp, end);
		assert_true(file_size() <= HDR + 2 * 8192 + 1024);
	}
	assert_int_equal(lw_spool_pending(sp), 1);
	assert_int_equal(lw_spool_dropped(sp), 0);
	lw_spool_close(sp, NULL, 0);
	sp = lw_spool_open(dir, 8192, err, sizeof err);
	assert_int_equal(next_number(sp, NULL), 1999);
	lw_spool_close(sp, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_ack),
		cmocka_unit_test(test_bound_drops_oldest),
		cmocka_unit_test(test_drop_while_in_flight),
		cmocka_unit_test(test_file_across_reopen),
		cmocka_unit_test(test_torn_record_cut),
		cmocka_unit_test(test_not_a_spool),
		cmocka_unit_test(test_compaction_bounds_file),
	};
	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
