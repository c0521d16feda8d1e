/*
 * keys_conf.c - read keys.NAME, vault: and the router a WireGuard key
 * names (backends.NAME) into a key's settings, reporting every mistake
 * as file:line:col (keys_int.h, docs/keys.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labwarden/backend_http.h"
#include "keys_int.h"

#define DEFAULT_BYTES		32
#define DEFAULT_GRACE_NS	(3600 * LW_NS_PER_SEC)
#define DEFAULT_MIN_INTERVAL_NS	(60 * LW_NS_PER_SEC)
#define DEFAULT_TIMEOUT_NS	(10 * LW_NS_PER_SEC)
#define WG_PSK_BYTES		32	/* wg genpsk: 32 bytes, base64 */

static const char *const key_keys[] = {
	"store", "path", "mount", "field", "length", "encoding", "prefix",
	"grace", "min_interval", "reload_url", "reload_method",
	"reload_secret_file", "reload_secret_env", "reload_timeout",
	"reload_ca_file", "reload_insecure", "wireguard.router",
	"wireguard.interface", "wireguard.peer", NULL
};
static const char *const vault_keys[] = {
	"url", "token_file", "token_env", "ca_file", "insecure", "timeout",
	"namespace", NULL
};

const char *key_store_name(const struct key_conf *kc)
{
	return kc->store == KEY_STORE_VAULT ? "vault" : "file";
}

void key_conf_where(const struct key_conf *kc, char *buf, size_t len)
{
	if (kc->store == KEY_STORE_VAULT)
		snprintf(buf, len, "vault %s/%s", kc->vpath.mount,
		    kc->vpath.secret);
	else
		snprintf(buf, len, "file %s", kc->file);
}

/*
 * base_file / base_env of sec into src, checked now by reading it (the
 * value is wiped at once) so `labwarden check` finds a missing file.
 */
static bool secret_src(struct lw_section *sec, const char *base,
    bool required, struct key_secret_src *src, struct lw_diag *diag)
{
	char buf[LW_SECRET_MAX], key[96];

	memset(src, 0, sizeof *src);
	int got = lw_be_read_secret(sec, base, required, buf, sizeof buf,
	    diag);
	explicit_bzero(buf, sizeof buf);
	if (got <= 0)
		return false;
	snprintf(key, sizeof key, "%s_file", base);
	const char *file = lw_section_str(sec, key, NULL);
	if (file) {
		lw_section_path(sec, file, src->file, sizeof src->file);
		snprintf(src->where, sizeof src->where, "%s.%s", sec->where,
		    key);
	} else {
		snprintf(key, sizeof key, "%s_env", base);
		snprintf(src->env, sizeof src->env, "%s",
		    lw_section_str(sec, key, ""));
		snprintf(src->where, sizeof src->where, "%s.%s", sec->where,
		    key);
	}
	return true;
}

bool key_secret_read(const struct key_secret_src *src, char *buf,
    size_t buflen, char *why, size_t whylen)
{
	buf[0] = '\0';
	if (src->env[0]) {
		const char *v = getenv(src->env);
		if (!v || !*v || strlen(v) >= buflen) {
			snprintf(why, whylen, "%s: $%s is %s", src->where,
			    src->env, v && *v ? "too long" : "not set");
			return false;
		}
		snprintf(buf, buflen, "%s", v);
		return true;
	}
	/* Non-blocking, and only a regular file: a FIFO or a terminal
	 * named here must not hang the worker. */
	int fd = open(src->file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s: %s: %s", src->where, src->file,
		    fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return false;
	}
	ssize_t n = read(fd, buf, buflen - 1);
	close(fd);
	if (n <= 0 || (size_t)n == buflen - 1) {
		explicit_bzero(buf, buflen);
		snprintf(why, whylen, "%s: %s: %s", src->where, src->file,
		    n < 0 ? "cannot read" : n == 0 ? "empty" : "too long");
		return false;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!buf[0]) {
		snprintf(why, whylen, "%s: %s: empty first line", src->where,
		    src->file);
		return false;
	}
	return true;
}

/* url: http(s)://..., kept without a trailing slash. */
static bool url_ok(struct lw_section *sec, const char *key, const char *url,
    char *out, size_t outlen, struct lw_diag *diag)
{
	size_t len = strlen(url);

	if ((strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8)
	    != 0) || len >= outlen || strpbrk(url, " \t\r\n")) {
		lw_section_error(sec, key, diag, "an http:// or https:// URL "
		    "(at most %zu characters), not '%s'", outlen - 1, url);
		return false;
	}
	/* user:password@ in a URL would be a secret in the config. */
	const char *host = strstr(url, "://") + 3;
	const char *at = strchr(host, '@');
	if (at && at < host + strcspn(host, "/?#")) {
		lw_section_error(sec, key, diag, "no credentials in URLs: "
		    "use a *_file: or *_env: key");
		return false;
	}
	while (len > 8 && url[len - 1] == '/')
		len--;
	snprintf(out, outlen, "%.*s", (int)len, url);
	return true;
}

/* timeout, ca_file, insecure of sec (under prefix) into hc. */
static bool http_opts(struct lw_section *sec, const char *prefix,
    struct key_http_conf *hc, struct lw_diag *diag)
{
	char key[64];
	uint64_t ns;
	bool ok = true;

	snprintf(key, sizeof key, "%stimeout", prefix);
	ok &= lw_section_duration(sec, key, DEFAULT_TIMEOUT_NS, &ns, diag);
	hc->timeout_ms = ns / 1000000 ? ns / 1000000 : 1;
	snprintf(key, sizeof key, "%sinsecure", prefix);
	ok &= lw_section_bool(sec, key, false, &hc->insecure, diag);
	snprintf(key, sizeof key, "%sca_file", prefix);
	const char *ca = lw_section_str(sec, key, NULL);
	hc->ca_file[0] = '\0';
	if (ca) {
		lw_section_path(sec, ca, hc->ca_file, sizeof hc->ca_file);
		if (access(hc->ca_file, R_OK) != 0) {
			lw_section_error(sec, key, diag, "%s: %s", hc->ca_file,
			    strerror(errno));
			ok = false;
		}
	}
	return ok;
}

static bool vault_read(struct lw_section *sec, struct key_conf *vc,
    struct lw_diag *diag)
{
	const char *url = lw_section_need(sec, "url", diag);
	bool ok = url && url_ok(sec, "url", url, vc->vault.url,
	    sizeof vc->vault.url, diag);

	ok &= http_opts(sec, "", &vc->vault, diag);
	ok &= secret_src(sec, "token", true, &vc->vault_token, diag);
	const char *ns = lw_section_str(sec, "namespace", NULL);
	if (ns && (strlen(ns) >= sizeof vc->vault_namespace ||
	    strpbrk(ns, " \t\r\n"))) {
		lw_section_error(sec, "namespace", diag, "a Vault namespace "
		    "without spaces, at most %zu characters",
		    sizeof vc->vault_namespace - 1);
		ok = false;
	} else if (ns)
		snprintf(vc->vault_namespace, sizeof vc->vault_namespace,
		    "%s", ns);
	lw_section_unused(sec, vault_keys, diag);
	return ok;
}

/* length:, encoding:, prefix: into kc->gen. */
static bool generator_read(struct lw_section *sec, struct key_conf *kc,
    struct lw_diag *diag)
{
	uint64_t bytes;
	bool ok = lw_section_uint(sec, "length", DEFAULT_BYTES,
	    LW_KEY_MAX_BYTES, &bytes, diag);

	if (ok && bytes < LW_KEY_MIN_BYTES) {
		lw_section_error(sec, "length", diag, "at least %d random "
		    "bytes, not %llu", LW_KEY_MIN_BYTES,
		    (unsigned long long)bytes);
		ok = false;
	}
	kc->gen.bytes = (size_t)bytes;
	const char *enc = lw_section_str(sec, "encoding", "base64url");
	if (!lw_key_encoding_parse(enc, &kc->gen.encoding)) {
		lw_section_error(sec, "encoding", diag, "hex, base64url or "
		    "base64, not '%s'", enc);
		ok = false;
	}
	const char *prefix = lw_section_str(sec, "prefix", "");
	bool plain = strlen(prefix) <= LW_KEY_PREFIX_MAX;
	for (const char *p = prefix; plain && *p; p++)
		plain = *p > ' ' && *p < 127 && *p != '"' && *p != '\\';
	if (!plain) {
		lw_section_error(sec, "prefix", diag, "at most %d printable "
		    "characters, no spaces, quotes or backslashes",
		    LW_KEY_PREFIX_MAX);
		ok = false;
	} else
		snprintf(kc->gen.prefix, sizeof kc->gen.prefix, "%s", prefix);
	return ok;
}

static bool reload_read(struct lw_section *sec, struct key_conf *kc,
    struct lw_diag *diag)
{
	const char *url = lw_section_str(sec, "reload_url", NULL);
	bool ok = true;

	if (!url)
		return true;
	ok &= url_ok(sec, "reload_url", url, kc->reload.url,
	    sizeof kc->reload.url, diag);
	ok &= http_opts(sec, "reload_", &kc->reload, diag);
	const char *method = lw_section_str(sec, "reload_method", "POST");
	if (strcmp(method, "POST") && strcmp(method, "PUT") &&
	    strcmp(method, "GET")) {
		lw_section_error(sec, "reload_method", diag, "POST, PUT or "
		    "GET, not '%s'", method);
		ok = false;
	}
	snprintf(kc->reload_method, sizeof kc->reload_method, "%s", method);
	kc->reload_signed = secret_src(sec, "reload_secret", false,
	    &kc->reload_secret, diag);
	return ok && (kc->reload_signed || (!lw_section_find(sec,
	    "reload_secret_file") && !lw_section_find(sec,
	    "reload_secret_env") && !lw_section_find(sec, "reload_secret")));
}

/* The router of wireguard.router: a backends entry of a type we know. */
static bool router_read(const struct lw_config *cfg, struct lw_section *sec,
    struct key_conf *kc, struct lw_diag *diag)
{
	const char *name = lw_section_need(sec, "wireguard.router", diag);
	size_t i;

	if (!name)
		return false;
	for (i = 0; i < cfg->nbackends; i++)
		if (strcmp(cfg->backend_names[i], name) == 0)
			break;
	const char *type = i < cfg->nbackends ? cfg->backend_types[i] : NULL;
	if (!type || !cfg->backend_conf[i] || (strcmp(type, "mikrotik") &&
	    strcmp(type, "openwrt"))) {
		lw_section_error(sec, "wireguard.router", diag, "%s", !type ?
		    "no backend of that name under backends:" :
		    "a backend of type mikrotik or openwrt");
		return false;
	}
	struct lw_section *be = cfg->backend_conf[i];
	kc->router = strcmp(type, "mikrotik") == 0 ? KEY_ROUTER_MIKROTIK :
	    KEY_ROUTER_OPENWRT;
	snprintf(kc->router_name, sizeof kc->router_name, "%s", name);
	/* the router's url by its backend's own rule */
	bool ok = lw_be_read_url(be, true, NULL, kc->router_http.url,
	    sizeof kc->router_http.url, diag);
	ok &= http_opts(be, "", &kc->router_http, diag);
	/* the user as the router's backend names it: MikroTik's `user`,
	 * OpenWrt's `username` */
	const char *user = kc->router == KEY_ROUTER_MIKROTIK ?
	    lw_section_str(be, "user", "admin") :
	    lw_section_str(be, "username", "root");
	snprintf(kc->router_user, sizeof kc->router_user, "%s", user);
	ok &= secret_src(be, "password", true, &kc->router_password, diag);
	return ok;
}

/* wireguard.*: the peer on the router; the generator is WireGuard's. */
static bool wireguard_read(const struct lw_config *cfg,
    struct lw_section *sec, struct key_conf *kc, struct lw_diag *diag)
{
	static const char *const generator_keys[] = {
		"length", "encoding", "prefix", NULL
	};
	bool ok = router_read(cfg, sec, kc, diag);

	kc->wireguard = true;
	for (int i = 0; generator_keys[i]; i++)
		if (lw_section_find(sec, generator_keys[i])) {
			lw_section_error(sec, generator_keys[i], diag, "not for "
			    "a WireGuard key: it is always 32 random bytes in "
			    "base64");
			ok = false;
		}
	kc->gen.bytes = WG_PSK_BYTES;
	kc->gen.encoding = LW_KEY_BASE64;
	kc->gen.prefix[0] = '\0';
	const char *iface = lw_section_need(sec, "wireguard.interface", diag);
	const char *peer = lw_section_need(sec, "wireguard.peer", diag);
	if (iface && (strlen(iface) >= sizeof kc->wg_interface ||
	    strspn(iface, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-") != strlen(iface))) {
		lw_section_error(sec, "wireguard.interface", diag, "an "
		    "interface name (letters, digits, '_', '.', '-')");
		ok = false;
	}
	/* A WireGuard public key: 32 bytes in base64, 44 characters. */
	if (peer && (strlen(peer) != 44 || peer[43] != '=' ||
	    strspn(peer, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/") != 43)) {
		lw_section_error(sec, "wireguard.peer", diag, "the peer's "
		    "public key (44 characters of base64, as wg shows it)");
		ok = false;
	}
	if (iface)
		snprintf(kc->wg_interface, sizeof kc->wg_interface, "%s", iface);
	if (peer)
		snprintf(kc->wg_peer, sizeof kc->wg_peer, "%s", peer);
	return ok && iface && peer;
}

static bool store_read(const struct lw_config *cfg, struct lw_section *sec,
    struct key_conf *kc, struct lw_diag *diag)
{
	const char *store = lw_section_need(sec, "store", diag);
	const char *path = lw_section_need(sec, "path", diag);
	const char *mount = lw_section_str(sec, "mount", NULL);
	char why[256];
	bool ok = store && path;

	if (store && strcmp(store, "vault") && strcmp(store, "file")) {
		lw_section_error(sec, "store", diag, "vault or file, not '%s'",
		    store);
		return false;
	}
	if (!ok)
		return false;
	kc->store = strcmp(store, "vault") == 0 ? KEY_STORE_VAULT :
	    KEY_STORE_FILE;
	if (kc->store == KEY_STORE_FILE) {
		if (mount || lw_section_find(sec, "field")) {
			lw_section_error(sec, mount ? "mount" : "field", diag,
			    "only for store: vault");
			ok = false;
		}
		lw_section_path(sec, path, kc->file, sizeof kc->file);
		return ok;
	}
	if (!cfg->vault) {
		lw_section_error(sec, "store", diag, "a Vault store needs "
		    "a vault: section (url:, token_file: or token_env:)");
		ok = false;
	}
	if (!lw_vault_path_parse(path, mount, &kc->vpath, why, sizeof why)) {
		lw_section_error(sec, "path", diag, "%s", why);
		ok = false;
	}
	const char *field = lw_section_str(sec, "field", kc->wireguard ?
	    "preshared_key" : "api_key");
	if (!*field || strlen(field) >= sizeof kc->field ||
	    strpbrk(field, "\"\\") || strpbrk(field, "\x01\x02\x03\x04\x05"
	    "\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16"
	    "\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f")) {
		lw_section_error(sec, "field", diag, "a field name of 1 to %zu "
		    "characters without quotes or control characters",
		    sizeof kc->field - 1);
		ok = false;
	} else
		snprintf(kc->field, sizeof kc->field, "%s", field);
	return ok;
}

bool key_vault_read(const struct lw_config *cfg, struct key_conf *vc,
    struct lw_diag *diag)
{
	memset(vc, 0, sizeof *vc);
	return !cfg->vault || vault_read(cfg->vault, vc, diag);
}

bool key_conf_read(const struct lw_config *cfg, size_t i,
    const struct key_conf *vault, struct key_conf *kc, struct lw_diag *diag)
{
	struct lw_section *sec = cfg->key_conf[i];
	size_t before = diag->count + diag->dropped;

	memset(kc, 0, sizeof *kc);
	snprintf(kc->name, sizeof kc->name, "%s", cfg->key_names[i]);
	if (!sec)
		return false;	/* config.c said it is not a mapping */
	if (strlen(cfg->key_names[i]) >= sizeof kc->name ||
	    strspn(cfg->key_names[i], "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
	    strlen(cfg->key_names[i]))
		lw_section_error(sec, NULL, diag, "a key name is letters, "
		    "digits, '_', '.' and '-', at most %zu characters",
		    sizeof kc->name - 1);
	bool wg = lw_section_find(sec, "wireguard.router") ||
	    lw_section_find(sec, "wireguard.interface") ||
	    lw_section_find(sec, "wireguard.peer");
	if (wg)
		wireguard_read(cfg, sec, kc, diag);
	else
		generator_read(sec, kc, diag);
	store_read(cfg, sec, kc, diag);
	kc->vault = vault->vault;
	kc->vault_token = vault->vault_token;
	memcpy(kc->vault_namespace, vault->vault_namespace,
	    sizeof kc->vault_namespace);
	lw_section_duration(sec, "grace", DEFAULT_GRACE_NS, &kc->grace_ns,
	    diag);
	lw_section_duration(sec, "min_interval", DEFAULT_MIN_INTERVAL_NS,
	    &kc->min_interval_ns, diag);
	reload_read(sec, kc, diag);
	lw_section_unused(sec, key_keys, diag);
	return diag->count + diag->dropped == before;
}

bool lw_keys_check_config(const struct lw_config *cfg, struct lw_diag *diag)
{
	size_t before = diag->count + diag->dropped;
	struct key_conf *vault = malloc(sizeof *vault);
	struct key_conf *kc = malloc(sizeof *kc);

	if (!vault || !kc) {
		free(vault);
		free(kc);
		lw_diag_add(diag, cfg->path, 0, 0, "keys: out of memory");
		return false;
	}
	/* vault: once, even when no key uses it yet. */
	key_vault_read(cfg, vault, diag);
	for (size_t i = 0; i < cfg->nkeys; i++)
		key_conf_read(cfg, i, vault, kc, diag);
	free(vault);
	free(kc);
	return diag->count + diag->dropped == before;
}
