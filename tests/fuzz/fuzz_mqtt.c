/*
 * fuzz_mqtt.c - libFuzzer target for what MQTT hands labwarden and what
 * its spool reads back from disk.
 *
 * First byte even: a command.  The rest is "TOPIC-SUFFIX\nPAYLOAD" under
 * <root>/ (the first byte's bit 1 says retained); a command that parses
 * is carried out against a do-nothing action layer and an empty
 * inventory, and its result serialised.  First byte odd: the rest is a
 * spool file, opened, read to the end, acknowledged, appended to and
 * closed.  Nothing may crash, leak, hang or read out of bounds.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labwarden/mqtt.h"
#include "labwarden/spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *submit(void *ctx, const struct lw_act_req *req,
    json_t *out)
{
	(void)ctx;
	(void)req;
	json_object_set_new(out, "detail", json_string("fuzz"));
	return "done";
}

static json_t *active(void *ctx, uint64_t now)
{
	(void)ctx;
	(void)now;
	return json_pack("[{s:s}]", "target", "10.0.0.1");
}

static void command(const struct lw_mqtt_conf *c, struct lw_inventory *inv,
    const uint8_t *data, size_t size, bool retained)
{
	struct lw_mqtt_actions acts = { submit, NULL, NULL, active, NULL, NULL };
	char topic[LW_MQTT_TOPIC_MAX + 64], err[300];
	const uint8_t *nl = memchr(data, '\n', size);
	size_t tlen = nl ? (size_t)(nl - data) : size;
	struct lw_mqtt_cmd cmd;

	if (tlen > 64)
		tlen = 64;
	int n = snprintf(topic, sizeof topic, "%s/", c->root);
	memcpy(topic + n, data, tlen);
	topic[n + tlen] = '\0';
	const uint8_t *payload = nl ? nl + 1 : data + size;
	size_t plen = (size_t)(data + size - payload);
	if (lw_mqtt_cmd_parse(c, topic, payload, plen, retained, &cmd, err,
	    sizeof err)) {
		json_t *res = lw_mqtt_cmd_run(&cmd, &acts, inv, 1);
		char *text = json_dumps(res, 0);
		free(text);
		json_decref(res);
	}
	json_decref(lw_mqtt_request_json(topic, payload, plen));
}

static char dir[64];

/* The spool directory and what the spool moved aside in it. */
static void remove_dir(void)
{
	char path[400];
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
	rmdir(dir);
}

static void spool(const uint8_t *data, size_t size)
{
	char path[128], err[300];
	struct lw_spool_rec rec;
	uint64_t end = 0;

	if (!dir[0]) {
		snprintf(dir, sizeof dir, "/tmp/lw-fuzz-mqtt-%d", (int)getpid());
		mkdir(dir, 0700);
		atexit(remove_dir);
	}
	snprintf(path, sizeof path, "%s/%s", dir, LW_SPOOL_FILE);
	FILE *f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(data, 1, size, f);
	fclose(f);
	struct lw_spool *sp = lw_spool_open(dir, 4096, err, sizeof err);
	if (!sp)
		return;
	for (int i = 0; i < 64 && lw_spool_next(sp, &rec); i++) {
		end = rec.end;
		lw_spool_rec_free(&rec);
	}
	lw_spool_ack(sp, end);
	lw_spool_append(sp, "t/x", "payload", 7, err, sizeof err);
	lw_spool_close(sp, NULL, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lw_mqtt_conf conf;
	static struct lw_inventory inv;
	static bool ready;

	if (!ready) {
		struct lw_inventory_caps caps = { 8, 8, 8 };
		struct lw_section sec = { 0 };
		struct lw_diag diag;
		char err[64];
		sec.where = "mqtt";
		sec.file = "fuzz.yaml";
		sec.kv[0] = (struct lw_kv){ "sensor_id", "fz", 1, 1 };
		sec.n = 1;
		lw_diag_init(&diag);
		lw_mqtt_conf_load(&sec, &conf, false, &diag);
		lw_diag_free(&diag);
		lw_inventory_init(&inv, &caps, err, sizeof err);
		ready = true;
	}
	if (size < 1 || size > 65536)
		return 0;
	if (data[0] & 1)
		spool(data + 1, size - 1);
	else
		command(&conf, &inv, data + 1, size - 1, data[0] & 2);
	return 0;
}
