/*
 * clock.c - packet time in replay, wall time live, and time text.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stdint.h>

#include "labwarden/clock.h"

void lw_clock_init_replay(struct lw_clock *clock)
{
	clock->live = false;
	clock->now_ns = 0;
}

void lw_clock_init_live(struct lw_clock *clock)
{
	clock->live = true;
	clock->now_ns = 0;
}

/*
 * A damaged timestamp may claim any time; past the year 2262 (INT64_MAX
 * ns) it is held there, so that "now + a duration" can never wrap.
 */
#define CLOCK_MAX_NS	((uint64_t)INT64_MAX)

void lw_clock_observe(struct lw_clock *clock, uint64_t packet_ns)
{
	if (packet_ns > CLOCK_MAX_NS)
		packet_ns = CLOCK_MAX_NS;
	if (!clock->live && packet_ns > clock->now_ns)
		clock->now_ns = packet_ns;
}

uint64_t lw_clock_now(const struct lw_clock *clock)
{
	if (!clock->live)
		return clock->now_ns;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * LW_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

const char *lw_time_format(uint64_t ns, char *buf, size_t len)
{
	time_t secs = (time_t)(ns / LW_NS_PER_SEC);
	unsigned usec = (unsigned)(ns % LW_NS_PER_SEC / 1000);
	struct tm tm;

	if (!gmtime_r(&secs, &tm) || tm.tm_year > 9999 - 1900) {
		snprintf(buf, len, "9999-12-31T23:59:59.999999Z");
		return buf;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, usec);
	return buf;
}

bool lw_duration_parse(const char *text, uint64_t *ns)
{
	static const struct {
		const char *suffix;
		uint64_t ns;
	} units[] = {
		{ "ms", 1000000ull },
		{ "s", LW_NS_PER_SEC },
		{ "m", 60 * LW_NS_PER_SEC },
		{ "h", 3600 * LW_NS_PER_SEC },
		{ "d", 86400 * LW_NS_PER_SEC },
		{ "w", 7 * 86400 * LW_NS_PER_SEC },
	};
	char *end;

	if (!text || *text < '0' || *text > '9')
		return false;
	errno = 0;
	unsigned long long n = strtoull(text, &end, 10);
	if (errno == ERANGE)
		return false;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		if (n > UINT64_MAX / units[i].ns)
			return false;
		*ns = n * units[i].ns;
		return true;
	}
	return false;
}
