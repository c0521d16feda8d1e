/*
 * test_http.c - t115: the HTTP client (http.h) against a one-connection
 * server on 127.0.0.1 in a thread:
 *
 *   - a reply holding key material is never left in freed memory: the
 *     body grows by copy and wipes the old block (no realloc of it), and
 *     lw_http_resp_free wipes body and headers (free and realloc are
 *     wrapped at link time, -Wl,--wrap, to look at what is released);
 *   - lw_http_set_abort: a request to a server that never answers ends
 *     at once when the flag is set from another thread, long before its
 *     timeout, with resp.aborted.
 */
#define _GNU_SOURCE	/* memmem, malloc_usable_size */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "labwarden/http.h"

#define MARK		"KEYMATERIAL-"
#define BODY_LEN	(256u << 10)	/* many 16 KiB writes: many growths */

/* ---- what is released ---- */

void	*__real_realloc(void *p, size_t n);
void	 __real_free(void *p);
void	*__wrap_realloc(void *p, size_t n);
void	 __wrap_free(void *p);

static volatile int watching;	/* only this thread's work is looked at */
static pthread_t watcher;
static unsigned released_with_key;

static bool holds_key(void *p)
{
	return p && memmem(p, malloc_usable_size(p), MARK, strlen(MARK));
}

static bool watched(void)
{
	return watching && pthread_equal(pthread_self(), watcher);
}

/* realloc may move the block and release the old copy unwiped. */
void *__wrap_realloc(void *p, size_t n)
{
	if (watched() && holds_key(p))
		released_with_key++;
	return __real_realloc(p, n);
}

void __wrap_free(void *p)
{
	if (watched() && holds_key(p))
		released_with_key++;
	__real_free(p);
}

/* ---- the server ---- */

struct server {
	int	 fd;
	uint16_t port;
	bool	 answer;	/* false: read the request, never reply */
	pthread_t thread;
};

static void read_request(int c)
{
	char buf[4096];
	size_t have = 0;

	while (have < sizeof buf - 1) {
		ssize_t n = recv(c, buf + have, sizeof buf - 1 - have, 0);
		if (n <= 0)
			return;
		have += (size_t)n;
		buf[have] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			return;
	}
}

static void send_all(int c, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(c, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void *serve(void *arg)
{
	struct server *s = arg;
	int c = accept(s->fd, NULL, NULL);
	char head[256], body[4096];

	if (c < 0)
		return NULL;
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){ 10, 0 },
	    sizeof(struct timeval));
	read_request(c);
	if (s->answer) {
		int n = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\n"
		    "Content-Length: %u\r\nX-Key: " MARK "in-a-header\r\n"
		    "Connection: close\r\n\r\n", BODY_LEN);
		send_all(c, head, (size_t)n);
		for (size_t i = 0; i < sizeof body; i++)
			body[i] = MARK[i % strlen(MARK)];
		for (unsigned sent = 0; sent < BODY_LEN; sent += sizeof body)
			send_all(c, body, sizeof body);
	}
	/* Until the client goes (or 10 s). */
	while (recv(c, body, sizeof body, 0) > 0)
		;
	close(c);
	return NULL;
}

static void server_start(struct server *s, bool answer)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof a;

	s->answer = answer;
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->fd >= 0);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(s->fd, 1), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &alen), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
	pthread_join(s->thread, NULL);
	close(s->fd);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the tests ---- */

static void test_reply_wiped(void **state)
{
	struct server srv;
	struct lw_http_opts opts = { .timeout_ms = 10000 };
	struct lw_http_resp resp;
	char url[64];

	(void)state;
	server_start(&srv, true);
	snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/secret/data/x",
	    srv.port);
	struct lw_http_req req = { .method = "GET", .url = url };
	struct lw_http *h = lw_http_new(&opts);
	assert_non_null(h);

	watcher = pthread_self();
	released_with_key = 0;
	watching = 1;
	bool replied = lw_http_do(h, &req, &resp);
	unsigned while_growing = released_with_key;
	size_t len = resp.len;
	bool body_ok = resp.body && memcmp(resp.body, MARK, strlen(MARK)) == 0;
	bool head_ok = resp.headers && strstr(resp.headers, MARK);
	lw_http_resp_free(&resp);
	watching = 0;

	assert_true(replied);
	assert_int_equal(len, BODY_LEN);
	assert_true(body_ok);
	assert_true(head_ok);
	assert_int_equal(while_growing, 0);	/* old blocks wiped */
	assert_int_equal(released_with_key, 0);	/* and the reply's own */
	assert_null(resp.body);
	assert_null(resp.headers);
	lw_http_free(h);
	server_stop(&srv);
}

struct setter {
	int	*flag;
	unsigned delay_ms;
};

static void *set_later(void *arg)
{
	struct setter *s = arg;

	nanosleep(&(struct timespec){ 0, (long)s->delay_ms * 1000000 }, NULL);
	__atomic_store_n(s->flag, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_abort(void **state)
{
	struct server srv;
	struct lw_http_opts opts = { .timeout_ms = 8000 };
	struct lw_http_resp resp;
	int flag = 0;
	char url[64];
	pthread_t t;

	(void)state;
	server_start(&srv, false);
	snprintf(url, sizeof url, "http://127.0.0.1:%u/hangs", srv.port);
	struct lw_http_req req = { .method = "POST", .url = url,
	    .body = "{}", .body_len = 2 };
	struct lw_http *h = lw_http_new(&opts);
	assert_non_null(h);
	lw_http_set_abort(h, &flag);

	struct setter setter = { &flag, 300 };
	assert_int_equal(pthread_create(&t, NULL, set_later, &setter), 0);
	double started = now_s();
	bool replied = lw_http_do(h, &req, &resp);
	double took = now_s() - started;
	pthread_join(t, NULL);

	assert_false(replied);
	assert_true(resp.aborted);
	assert_false(resp.timed_out);
	assert_string_equal(resp.error, "aborted");
	assert_true(took >= 0.25 && took < 1.0);	/* not the 8 s timeout */
	lw_http_resp_free(&resp);

	/* A flag already set: the next request does not even wait. */
	started = now_s();
	assert_false(lw_http_do(h, &req, &resp));
	assert_true(resp.aborted && now_s() - started < 1.0);
	lw_http_resp_free(&resp);
	lw_http_free(h);
	server_stop(&srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_wiped),
		cmocka_unit_test(test_abort),
	};

	if (!lw_http_global_init())
		return 1;
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	lw_http_global_cleanup();
	return rc;
}
