/*
 * mqtt_cmd.c - commands from Home Assistant: checked, carried out
 * through the action layer, answered (mqtt.h).
 *
 * Parsing trusts nothing: the topic must be one of ours, the payload
 * short, without NUL bytes, and exactly what the entity sends (ON/OFF,
 * PRESS, a key name, or a small JSON object with known keys and an
 * address for a target).  A retained message is refused: a command
 * left on the broker must never fire again after a reconnect.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "labwarden/clock.h"
#include "labwarden/decode.h"
#include "labwarden/mqtt.h"
#include "labwarden/nftables.h"

#define ECHO_MAX	256	/* of a payload, in the result */
#define FOR_MAX_NS	(30ull * 24 * 3600 * LW_NS_PER_SEC)

size_t lw_mqtt_cmd_topics(const struct lw_mqtt_conf *c,
    char subs[][LW_MQTT_TOPIC_MAX], size_t max)
{
	static const char *const leaves[] = {
		"cmd", "cmd/+", "pause/set", "host/+/quarantine/set",
		"host/+/lockdown",
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof leaves / sizeof leaves[0] && n < max;
	    i++)
		lw_mqtt_topic(c, leaves[i], subs[n++], LW_MQTT_TOPIC_MAX);
	return n;
}

json_t *lw_mqtt_request_json(const char *topic, const void *payload,
    size_t len)
{
	char echo[ECHO_MAX + 4];
	const unsigned char *p = payload;
	size_t n = 0;

	for (size_t i = 0; i < len && n < ECHO_MAX; i++)
		echo[n++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	if (len > ECHO_MAX) {
		memcpy(echo + n, "...", 3);
		n += 3;
	}
	echo[n] = '\0';
	json_t *req = json_object();
	json_t *t = json_string(topic);
	json_object_set_new(req, "topic", t ? t : json_string("?"));
	json_object_set_new(req, "payload", json_string(echo));
	return req;
}

/* "ON"/"OFF" (as Home Assistant's switch sends them). */
static bool on_off(const char *payload, bool *on, char *err, size_t errlen)
{
	if (strcasecmp(payload, "ON") == 0)
		*on = true;
	else if (strcasecmp(payload, "OFF") == 0)
		*on = false;
	else {
		snprintf(err, errlen, "payload must be ON or OFF");
		return false;
	}
	return true;
}

static bool press(const char *payload, char *err, size_t errlen)
{
	if (strcasecmp(payload, "PRESS") == 0)
		return true;
	snprintf(err, errlen, "payload must be PRESS");
	return false;
}

/* "aabbccddeeff" from a topic level. */
static bool parse_mac12(const char *text, size_t len, uint8_t mac[6])
{
	if (len != 12)
		return false;
	for (int i = 0; i < 12; i++)
		if (!isxdigit((unsigned char)text[i]))
			return false;
	for (int i = 0; i < 6; i++) {
		char byte[3] = { text[2 * i], text[2 * i + 1], '\0' };
		mac[i] = (uint8_t)strtoul(byte, NULL, 16);
	}
	return true;
}

static bool key_name(const char *text)
{
	size_t n = strlen(text);

	if (n == 0 || n >= 64)
		return false;
	for (const char *p = text; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return false;
	return true;
}

/* <root>/host/<mac12>/quarantine/set or .../lockdown */
static bool parse_host(const char *rest, const char *payload,
    struct lw_mqtt_cmd *cmd, char *err, size_t errlen)
{
	const char *slash = strchr(rest, '/');

	if (!slash || !parse_mac12(rest, (size_t)(slash - rest), cmd->mac)) {
		snprintf(err, errlen, "no such host topic: the host level must "
		    "be 12 hex digits of a MAC");
		return false;
	}
	if (strcmp(slash + 1, "quarantine/set") == 0) {
		cmd->kind = LW_MCMD_QUARANTINE;
		return on_off(payload, &cmd->on, err, errlen);
	}
	if (strcmp(slash + 1, "lockdown") == 0) {
		cmd->kind = LW_MCMD_HOST_LOCKDOWN;
		return press(payload, err, errlen);
	}
	snprintf(err, errlen, "unknown host command '%s'", slash + 1);
	return false;
}

static bool json_op(const char *action, enum lw_act_op *op)
{
	if (strcmp(action, "lockdown") == 0)
		*op = LW_REQ_LOCKDOWN;
	else if (strcmp(action, "quarantine") == 0)
		*op = LW_REQ_QUARANTINE;
	else if (strcmp(action, "release") == 0)
		*op = LW_REQ_RELEASE;
	else
		return false;
	return true;
}

/* Only the keys we know, each of the right kind. */
static bool json_fields(json_t *doc, struct lw_mqtt_cmd *cmd, char *err,
    size_t errlen)
{
	const char *key;
	json_t *val;

	json_object_foreach(doc, key, val) {
		if (strcmp(key, "action") != 0 && strcmp(key, "target") != 0 &&
		    strcmp(key, "for") != 0) {
			snprintf(err, errlen, "unknown key '%.40s' (known: "
			    "action, target, for)", key);
			return false;
		}
		if (!json_is_string(val)) {
			snprintf(err, errlen, "'%s' must be a string", key);
			return false;
		}
	}
	const char *action = json_string_value(json_object_get(doc, "action"));
	const char *target = json_string_value(json_object_get(doc, "target"));
	const char *dur = json_string_value(json_object_get(doc, "for"));
	if (!action || !json_op(action, &cmd->op)) {
		snprintf(err, errlen, "\"action\" must be release, lockdown or "
		    "quarantine");
		return false;
	}
	if (!target || strlen(target) >= sizeof cmd->target ||
	    !lw_nft_target_ok(target)) {
		snprintf(err, errlen, "\"target\" must be an IP or a MAC "
		    "address");
		return false;
	}
	snprintf(cmd->target, sizeof cmd->target, "%s", target);
	if (dur && (cmd->op == LW_REQ_RELEASE || !lw_duration_parse(dur,
	    &cmd->for_ns) || cmd->for_ns == 0 || cmd->for_ns > FOR_MAX_NS)) {
		snprintf(err, errlen, "\"for\" is a duration from 1s to 30d "
		    "(lockdown and quarantine only)");
		return false;
	}
	return true;
}

static bool parse_json(const char *payload, size_t len,
    struct lw_mqtt_cmd *cmd, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *doc = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &jerr);

	cmd->kind = LW_MCMD_ACT;
	if (!doc || !json_is_object(doc)) {
		if (doc)
			snprintf(err, errlen, "malformed JSON: not an object");
		else
			snprintf(err, errlen, "malformed JSON: %s (at "
			    "character %d)", jerr.text, jerr.position);
		json_decref(doc);
		return false;
	}
	bool ok = json_fields(doc, cmd, err, errlen);
	json_decref(doc);
	return ok;
}

/* <root>/cmd/<name> */
static bool parse_named(const char *name, const char *payload,
    struct lw_mqtt_cmd *cmd, char *err, size_t errlen)
{
	if (strcmp(name, "release_all") == 0) {
		cmd->kind = LW_MCMD_RELEASE_ALL;
		return press(payload, err, errlen);
	}
	if (strcmp(name, "rotate_keys") == 0) {
		cmd->kind = LW_MCMD_ROTATE;
		if (strcasecmp(payload, "PRESS") == 0)
			return true;	/* every key */
		if (!key_name(payload)) {
			snprintf(err, errlen, "payload must be PRESS or a key "
			    "name");
			return false;
		}
		snprintf(cmd->key, sizeof cmd->key, "%s", payload);
		return true;
	}
	snprintf(err, errlen, "unknown command '%.40s'", name);
	return false;
}

bool lw_mqtt_cmd_parse(const struct lw_mqtt_conf *c, const char *topic,
    const void *payload, size_t len, bool retained, struct lw_mqtt_cmd *cmd,
    char *err, size_t errlen)
{
	size_t rootlen = strlen(c->root);
	char text[LW_MQTT_PAYLOAD_MAX + 1];

	memset(cmd, 0, sizeof *cmd);
	if (retained) {
		snprintf(err, errlen, "ignored: a retained command (commands "
		    "are never retained, so a stale one cannot fire after a "
		    "reconnect)");
		return false;
	}
	if (strncmp(topic, c->root, rootlen) != 0 || topic[rootlen] != '/') {
		snprintf(err, errlen, "not a command topic");
		return false;
	}
	if (len > LW_MQTT_PAYLOAD_MAX || memchr(payload, '\0', len)) {
		snprintf(err, errlen, len > LW_MQTT_PAYLOAD_MAX ? "payload "
		    "longer than %d bytes" : "payload holds a NUL byte",
		    LW_MQTT_PAYLOAD_MAX);
		return false;
	}
	memcpy(text, payload, len);
	text[len] = '\0';
	const char *rest = topic + rootlen + 1;
	if (strcmp(rest, "cmd") == 0)
		return parse_json(text, len, cmd, err, errlen);
	if (strncmp(rest, "cmd/", 4) == 0)
		return parse_named(rest + 4, text, cmd, err, errlen);
	if (strcmp(rest, "pause/set") == 0) {
		cmd->kind = LW_MCMD_PAUSE;
		return on_off(text, &cmd->on, err, errlen);
	}
	if (strncmp(rest, "host/", 5) == 0)
		return parse_host(rest + 5, text, cmd, err, errlen);
	snprintf(err, errlen, "not a command topic");
	return false;
}

/* ---- carrying commands out (main thread) ---- */

static const char *op_name(enum lw_act_op op)
{
	return op == LW_REQ_LOCKDOWN ? "lockdown" : op == LW_REQ_QUARANTINE ?
	    "quarantine" : "release";
}

static void fail(json_t *res, const char *why)
{
	json_object_set_new(res, "ok", json_false());
	json_object_set_new(res, "error", json_string(why));
}

/* One request to the action layer; its answer merged into res. */
static bool submit(const struct lw_mqtt_actions *acts, enum lw_act_op op,
    const char *target, uint64_t for_ns, uint64_t now_ns, json_t *res)
{
	struct lw_act_req req = { .op = op, .origin = "mqtt",
	    .automatic = false, .now_ns = now_ns, .for_ns = for_ns };
	const char *key;
	json_t *val;

	json_object_set_new(res, "action", json_string(op_name(op)));
	json_object_set_new(res, "target", json_string(target));
	if (!acts || !acts->submit) {
		fail(res, "actions are not available in this version");
		return false;
	}
	snprintf(req.target.text, sizeof req.target.text, "%s", target);
	if (strchr(target, ':') && strlen(target) == 17)
		snprintf(req.target.mac, sizeof req.target.mac, "%s", target);
	else
		snprintf(req.target.ip, sizeof req.target.ip, "%s", target);
	json_t *out = json_object();
	const char *status = acts->submit(acts->ctx, &req, out);
	bool ok = status && (strcmp(status, "done") == 0 ||
	    strcmp(status, "dry-run") == 0 || strcmp(status, "pending") == 0);
	json_object_foreach(out, key, val)
		if (strcmp(key, "action") != 0 && strcmp(key, "target") != 0 &&
		    strcmp(key, "status") != 0)
			json_object_set(res, key, val);
	json_object_set_new(res, "status", json_string(status ? status :
	    "failed"));
	json_object_set_new(res, "ok", json_boolean(ok));
	if (!ok)
		json_object_set_new(res, "error", json_string(
		    json_string_value(json_object_get(out, "detail")) ?
		    json_string_value(json_object_get(out, "detail")) :
		    status ? status : "failed"));
	json_decref(out);
	return ok;
}

/* A host's address from the inventory, for a lockdown. */
static bool host_ip(const struct lw_inventory *inv, const uint8_t mac[6],
    char *ip, size_t iplen)
{
	const struct lw_device *dev = inv ? lw_table_peek(&inv->devices, mac) :
	    NULL;

	if (!dev || !dev->ip.family)
		return false;
	lw_addr_str(&dev->ip, ip, iplen);
	return true;
}

static void release_all(const struct lw_mqtt_actions *acts, uint64_t now_ns,
    json_t *res)
{
	size_t i, released = 0;
	json_t *rec, *failed = json_array();

	if (!acts || !acts->active || !acts->submit) {
		fail(res, "actions are not available in this version");
		json_decref(failed);
		return;
	}
	json_t *active = acts->active(acts->ctx, now_ns);
	json_array_foreach(active, i, rec) {
		const char *target = json_string_value(json_object_get(rec,
		    "target"));
		json_t *one = json_object();
		if (target && submit(acts, LW_REQ_RELEASE, target, 0, now_ns,
		    one))
			released++;
		else if (target)
			json_array_append_new(failed, json_pack("{s:s, s:O}",
			    "target", target, "error", json_object_get(one,
			    "error")));
		json_decref(one);
	}
	json_decref(active);
	json_object_set_new(res, "action", json_string("release_all"));
	json_object_set_new(res, "released", json_integer((json_int_t)
	    released));
	json_object_set_new(res, "ok", json_boolean(json_array_size(failed) ==
	    0));
	if (json_array_size(failed))
		json_object_set_new(res, "failed", failed);
	else
		json_decref(failed);
}

static void rotate(const struct lw_mqtt_actions *acts, const char *key,
    uint64_t now_ns, json_t *res)
{
	char detail[512] = "";

	json_object_set_new(res, "action", json_string("rotate_key"));
	json_object_set_new(res, "target", json_string(key[0] ? key : "all"));
	if (!acts || !acts->rotate) {
		fail(res, "key rotation is not available in this version");
		return;
	}
	const char *status = acts->rotate(acts->ctx, key, now_ns, detail,
	    sizeof detail);
	bool ok = status && (strcmp(status, "pending") == 0 ||
	    strcmp(status, "dry-run") == 0 || strcmp(status, "done") == 0);
	json_object_set_new(res, "ok", json_boolean(ok));
	json_object_set_new(res, "status", json_string(status ? status :
	    "failed"));
	if (detail[0] || !ok)
		json_object_set_new(res, ok ? "detail" : "error",
		    json_string(detail[0] ? detail : "failed"));
}

json_t *lw_mqtt_cmd_run(const struct lw_mqtt_cmd *cmd,
    const struct lw_mqtt_actions *acts, const struct lw_inventory *inv,
    uint64_t now_ns)
{
	json_t *res = json_object();
	char mac[18], ip[64];

	lw_mac_str(cmd->mac, mac, sizeof mac);
	switch (cmd->kind) {
	case LW_MCMD_ACT:
		submit(acts, cmd->op, cmd->target, cmd->for_ns, now_ns, res);
		break;
	case LW_MCMD_QUARANTINE:
		submit(acts, cmd->on ? LW_REQ_QUARANTINE : LW_REQ_RELEASE, mac,
		    cmd->on ? cmd->for_ns : 0, now_ns, res);
		break;
	case LW_MCMD_HOST_LOCKDOWN:
		if (host_ip(inv, cmd->mac, ip, sizeof ip))
			submit(acts, LW_REQ_LOCKDOWN, ip, cmd->for_ns, now_ns,
			    res);
		else {
			json_object_set_new(res, "action",
			    json_string("lockdown"));
			json_object_set_new(res, "target", json_string(mac));
			fail(res, "no IP address is known for this host");
		}
		break;
	case LW_MCMD_RELEASE_ALL:
		release_all(acts, now_ns, res);
		break;
	case LW_MCMD_PAUSE:
		json_object_set_new(res, "action", json_string(cmd->on ?
		    "pause" : "resume"));
		if (!acts || !acts->set_paused)
			fail(res, "pausing is not available in this version");
		else {
			acts->set_paused(acts->ctx, cmd->on);
			json_object_set_new(res, "ok", json_true());
		}
		break;
	case LW_MCMD_ROTATE:
		rotate(acts, cmd->key, now_ns, res);
		break;
	}
	return res;
}
