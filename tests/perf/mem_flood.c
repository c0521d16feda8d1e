/*
 * mem_flood.c - t121: memory is bounded by limits.memory_mb, not by
 * traffic.
 *
 * Drives the whole sensor (decoder, inventory, DNS, connections) with
 * 10,000,000 frames from random source MACs and then 1,000,000 DNS
 * queries for random names from random hosts, and checks that peak RSS
 * stays under limits.memory_mb, that the tables evicted (counted), and
 * that table_pressure facts were raised at most once a minute per table.
 *
 * With a rules path the default scenes run too, so their window tables
 * are inside the bound as well.
 *
 * usage: mem_flood [MEMORY_MB [MACS [NAMES [RULES]]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "labwarden/scene.h"
#include "labwarden/sensor.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)	/* xorshift64*: deterministic */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

struct counts {
	uint64_t facts[LW_EV_COUNT];
};

static void count_fact(void *ctx, const struct lw_fact *f)
{
	((struct counts *)ctx)->facts[f->type]++;
}

static size_t put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

/* Ethernet + IPv4 + UDP around payload; returns the frame length. */
static size_t udp_frame(uint8_t *buf, const uint8_t mac[6], uint32_t src_ip,
    const uint8_t *payload, size_t plen)
{
	static const uint8_t gw[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
	uint8_t *ip = buf + 14, *udp = ip + 20;

	memcpy(buf, gw, 6);
	memcpy(buf + 6, mac, 6);
	put16(buf + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (unsigned)(20 + 8 + plen));
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, (uint8_t[]){ 192, 168, (uint8_t)(src_ip >> 8),
	    (uint8_t)src_ip }, 4);
	memcpy(ip + 16, (uint8_t[]){ 192, 168, 1, 1 }, 4);
	put16(udp, 40000 + (src_ip & 0xfff));
	put16(udp + 2, 53);
	put16(udp + 4, (unsigned)(8 + plen));
	put16(udp + 6, 0);
	memcpy(udp + 8, payload, plen);
	return 14 + 20 + 8 + plen;
}

/* A DNS query for "<random>.<random>.com" (two random labels). */
static size_t dns_query(uint8_t *msg)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t n = 0;

	memset(msg, 0, 12);
	put16(msg, (unsigned)(rng() & 0xffff));
	put16(msg + 2, 0x0100);
	put16(msg + 4, 1);
	n = 12;
	for (int label = 0; label < 2; label++) {
		size_t len = 8 + rng() % 20;
		msg[n++] = (uint8_t)len;
		for (size_t i = 0; i < len; i++)
			msg[n++] = (uint8_t)alphabet[rng() % 36];
	}
	memcpy(msg + n, "\3com\0", 5);
	n += 5;
	n += put16(msg + n, 1);
	n += put16(msg + n, 1);
	return n;
}

static void feed(struct lw_sensor *s, uint8_t *frame, size_t len,
    uint64_t ts)
{
	struct lw_packet pkt;

	memset(&pkt, 0, sizeof pkt);
	pkt.ts_ns = ts;
	pkt.caplen = pkt.wirelen = (uint32_t)len;
	pkt.linktype = LW_LINK_ETHERNET;
	lw_sensor_packet(s, &pkt, frame);
}

int main(int argc, char **argv)
{
	static struct lw_sensor sensor;
	struct lw_config cfg;
	struct lw_writer writer;
	struct counts counts = { { 0 } };
	char err[512];
	uint8_t frame[600], msg[256], mac[6];
	uint64_t ts = 1700000000ull * LW_NS_PER_SEC;

	lw_config_defaults(&cfg);
	cfg.memory_mb = argc > 1 ? strtoull(argv[1], NULL, 10) : 64;
	uint64_t macs = argc > 2 ? strtoull(argv[2], NULL, 10) : 10000000;
	uint64_t names = argc > 3 ? strtoull(argv[3], NULL, 10) : 1000000;
	lw_writer_init(&writer, NULL, 0, LW_FORMAT_JSON);
	if (!lw_sensor_init(&sensor, &cfg, &writer, false, NULL, stderr, err,
	    sizeof err)) {
		fprintf(stderr, "mem_flood: %s\n", err);
		return 2;
	}
	lw_sensor_add_sink(&sensor, count_fact, &counts);
	static struct lw_scene_set set;
	static struct lw_scene_engine engine;
	bool scenes = argc > 4;
	if (scenes) {
		struct lw_diag diag;
		const char *paths[1] = { argv[4] };
		lw_diag_init(&diag);
		bool ok = lw_scenes_load(&set, paths, 1, &cfg, &diag);
		lw_diag_print(&diag, stderr);
		lw_diag_free(&diag);
		if (!ok || !lw_scene_engine_init(&engine, &set, &writer, &cfg,
		    err, sizeof err))
			return 2;
		lw_sensor_add_sink(&sensor, lw_scene_engine_fact, &engine);
	}
	size_t qlen = dns_query(msg);
	for (uint64_t i = 0; i < macs; i++, ts += 100000) {	/* 10k/s */
		uint64_t r = rng();
		memcpy(mac, &r, 6);
		mac[0] &= 0xfe;		/* unicast; half randomized */
		feed(&sensor, frame, udp_frame(frame, mac, (uint32_t)(r >> 48),
		    msg, qlen), ts);
	}
	for (uint64_t i = 0; i < names; i++, ts += 100000) {
		uint64_t r = rng();
		memcpy(mac, &r, 6);
		mac[0] &= 0xfc;
		qlen = dns_query(msg);
		feed(&sensor, frame, udp_frame(frame, mac, (uint32_t)(r >> 48),
		    msg, qlen), ts);
	}
	lw_sensor_finish(&sensor, err, sizeof err);

	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double peak_mb = (double)ru.ru_maxrss / 1024.0;
	uint64_t evicted = 0;
	for (unsigned i = 0; i < sensor.ntables; i++)
		evicted += sensor.tables[i]->evictions;
	double minutes = (double)(macs + names) / 10000.0 / 60.0;
	printf("packets %llu, peak RSS %.1f MiB (limit %llu MiB), "
	    "evictions %llu, new_mac %llu, new_domain %llu, "
	    "table_pressure %llu over %.0f minutes of traffic\n",
	    (unsigned long long)(macs + names), peak_mb,
	    (unsigned long long)cfg.memory_mb, (unsigned long long)evicted,
	    (unsigned long long)counts.facts[LW_EV_NEW_MAC],
	    (unsigned long long)counts.facts[LW_EV_NEW_DOMAIN],
	    (unsigned long long)counts.facts[LW_EV_TABLE_PRESSURE], minutes);
	lw_sensor_print_tables(&sensor, stdout);
	int rc = 0;
	if (peak_mb >= (double)cfg.memory_mb) {
		printf("FAIL peak RSS over limits.memory_mb\n");
		rc = 1;
	}
	if (evicted == 0 || counts.facts[LW_EV_TABLE_PRESSURE] == 0) {
		printf("FAIL a flood should evict and raise table_pressure\n");
		rc = 1;
	}
	/* at most once a minute per table (+1 for the first) */
	if (counts.facts[LW_EV_TABLE_PRESSURE] >
	    (uint64_t)(minutes + 2) * sensor.ntables) {
		printf("FAIL table_pressure more than once a minute\n");
		rc = 1;
	}
	if (scenes) {
		printf("scenes: %llu firings\n",
		    (unsigned long long)engine.firings);
		lw_scene_engine_free(&engine);
		lw_scenes_free(&set);
	}
	lw_sensor_free(&sensor);
	return rc;
}
