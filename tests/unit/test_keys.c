/*
 * test_keys.c - t114: the key generator (encodings, lengths, prefix,
 * fingerprint) and the reading of Vault paths (keys.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "labwarden/keys.h"

/* RFC 4648 §10 test vectors. */
static const struct {
	const char *in, *b64, *b64url, *hex;
} vectors[] = {
	{ "", "", "", "" },
	{ "f", "Zg==", "Zg", "66" },
	{ "fo", "Zm8=", "Zm8", "666f" },
	{ "foo", "Zm9v", "Zm9v", "666f6f" },
	{ "foob", "Zm9vYg==", "Zm9vYg", "666f6f62" },
	{ "fooba", "Zm9vYmE=", "Zm9vYmE", "666f6f6261" },
	{ "foobar", "Zm9vYmFy", "Zm9vYmFy", "666f6f626172" },
};

static void test_rfc4648_vectors(void **state)
{
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof vectors / sizeof *vectors; i++) {
		const uint8_t *raw = (const uint8_t *)vectors[i].in;
		size_t n = strlen(vectors[i].in);
		assert_true(lw_key_encode(LW_KEY_BASE64, raw, n, out,
		    sizeof out));
		assert_string_equal(out, vectors[i].b64);
		assert_true(lw_key_encode(LW_KEY_BASE64URL, raw, n, out,
		    sizeof out));
		assert_string_equal(out, vectors[i].b64url);
		assert_true(lw_key_encode(LW_KEY_HEX, raw, n, out,
		    sizeof out));
		assert_string_equal(out, vectors[i].hex);
	}
}

/* The two alphabets differ exactly in the last two letters. */
static void test_url_alphabet(void **state)
{
	const uint8_t raw[] = { 0xfb, 0xff, 0xbf };
	char out[16];

	(void)state;
	assert_true(lw_key_encode(LW_KEY_BASE64, raw, 3, out, sizeof out));
	assert_string_equal(out, "+/+/");
	assert_true(lw_key_encode(LW_KEY_BASE64URL, raw, 3, out, sizeof out));
	assert_string_equal(out, "-_-_");
	assert_true(lw_key_encode(LW_KEY_HEX, raw, 3, out, sizeof out));
	assert_string_equal(out, "fbffbf");
}

static void test_encode_too_small(void **state)
{
	const uint8_t raw[4] = { 1, 2, 3, 4 };
	char out[9];

	(void)state;
	assert_false(lw_key_encode(LW_KEY_HEX, raw, 4, out, 8));  /* 8+NUL */
	assert_true(lw_key_encode(LW_KEY_HEX, raw, 4, out, 9));
	assert_string_equal(out, "01020304");
	assert_false(lw_key_encode(LW_KEY_BASE64, raw, 4, out, 8));
	assert_true(lw_key_encode(LW_KEY_BASE64, raw, 4, out, 9));
	assert_string_equal(out, "AQIDBA==");
	assert_false(lw_key_encode(LW_KEY_BASE64URL, raw, 4, out, 6));
	assert_true(lw_key_encode(LW_KEY_BASE64URL, raw, 4, out, 7));
	assert_string_equal(out, "AQIDBA");
}

static bool only(const char *s, const char *set)
{
	return strspn(s, set) == strlen(s);
}

#define B64URL "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
	"0123456789-_"
#define B64 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="

/* Every length and encoding: the promised length and alphabet. */
static void test_lengths(void **state)
{
	static const size_t sizes[] = { 16, 17, 18, 31, 32, 33, 64, 100,
	    LW_KEY_MAX_BYTES };
	static const struct { enum lw_key_encoding enc; const char *set; }
	    kinds[] = {
		{ LW_KEY_HEX, "0123456789abcdef" },
		{ LW_KEY_BASE64URL, B64URL },
		{ LW_KEY_BASE64, B64 },
	};
	char key[LW_KEY_TEXT_MAX], err[128];

	(void)state;
	for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
		for (size_t k = 0; k < 3; k++) {
			struct lw_keygen gen = { sizes[s], kinds[k].enc, "" };
			size_t want = kinds[k].enc == LW_KEY_HEX ? 2 * sizes[s] :
			    kinds[k].enc == LW_KEY_BASE64 ? 4 * ((sizes[s] + 2) /
			    3) : (4 * sizes[s] + 2) / 3;
			assert_int_equal(lw_keygen_length(&gen), want);
			assert_true(lw_keygen_make(&gen, key, sizeof key, err,
			    sizeof err));
			assert_int_equal(strlen(key), want);
			assert_true(only(key, kinds[k].set));
		}
}

/* WireGuard's preshared key: 32 bytes in base64 are 44 characters. */
static void test_wireguard_shape(void **state)
{
	struct lw_keygen gen = { 32, LW_KEY_BASE64, "" };
	char key[LW_KEY_TEXT_MAX], err[128];

	(void)state;
	assert_true(lw_keygen_make(&gen, key, sizeof key, err, sizeof err));
	assert_int_equal(strlen(key), 44);
	assert_int_equal(key[43], '=');
	assert_int_not_equal(key[42], '=');
}

static void test_prefix(void **state)
{
	struct lw_keygen gen = { 24, LW_KEY_BASE64URL, "sk-lab-" };
	char key[LW_KEY_TEXT_MAX], err[128];

	(void)state;
	assert_true(lw_keygen_make(&gen, key, sizeof key, err, sizeof err));
	assert_int_equal(strncmp(key, "sk-lab-", 7), 0);
	assert_int_equal(strlen(key), 7 + 32);
	assert_int_equal(lw_keygen_length(&gen), 7 + 32);
	assert_true(only(key + 7, B64URL));
}

/* Fresh randomness each time: 200 keys of 16 bytes, all different. */
static void test_keys_differ(void **state)
{
	static char keys[200][40];
	struct lw_keygen gen = { 16, LW_KEY_HEX, "" };
	char err[128];

	(void)state;
	for (int i = 0; i < 200; i++) {
		assert_true(lw_keygen_make(&gen, keys[i], sizeof keys[i], err,
		    sizeof err));
		for (int j = 0; j < i; j++)
			assert_string_not_equal(keys[i], keys[j]);
	}
}

/* A buffer too small, or a length out of range: refused, out emptied. */
static void test_make_refuses(void **state)
{
	struct lw_keygen gen = { 32, LW_KEY_HEX, "pre-" };
	struct lw_keygen big = { LW_KEY_MAX_BYTES + 1, LW_KEY_HEX, "" };
	struct lw_keygen none = { 0, LW_KEY_HEX, "" };
	char key[68], err[128];

	(void)state;
	memset(key, 'x', sizeof key);
	assert_false(lw_keygen_make(&gen, key, sizeof key, err, sizeof err));
	assert_int_equal(key[0], '\0');
	assert_false(lw_keygen_make(&big, key, sizeof key, err, sizeof err));
	assert_false(lw_keygen_make(&none, key, sizeof key, err, sizeof err));
	char fits[69];
	assert_true(lw_keygen_make(&gen, fits, sizeof fits, err, sizeof err));
	assert_int_equal(strlen(fits), 68);
}

static void test_encoding_names(void **state)
{
	enum lw_key_encoding enc;

	(void)state;
	assert_true(lw_key_encoding_parse("hex", &enc));
	assert_int_equal(enc, LW_KEY_HEX);
	assert_true(lw_key_encoding_parse("base64url", &enc));
	assert_int_equal(enc, LW_KEY_BASE64URL);
	assert_true(lw_key_encoding_parse("base64", &enc));
	assert_int_equal(enc, LW_KEY_BASE64);
	assert_false(lw_key_encoding_parse("Base64", &enc));
	assert_false(lw_key_encoding_parse("b64", &enc));
	assert_false(lw_key_encoding_parse("", &enc));
	assert_string_equal(lw_key_encoding_name(LW_KEY_BASE64URL),
	    "base64url");
}

/* The first 8 hex digits of SHA-256 ("abc": FIPS 180-2's example). */
static void test_fingerprint(void **state)
{
	char fp[LW_KEY_FP_LEN];

	(void)state;
	lw_key_fingerprint("abc", 3, fp);
	assert_string_equal(fp, "ba7816bf");
	lw_key_fingerprint("", 0, fp);
	assert_string_equal(fp, "e3b0c442");
}

/* ---- Vault paths ---- */

static void path_ok(const char *path, const char *mount,
    const char *want_mount, const char *want_secret)
{
	struct lw_vault_path vp;
	char err[256] = "";

	if (!lw_vault_path_parse(path, mount, &vp, err, sizeof err))
		fail_msg("'%s' (mount %s) refused: %s", path,
		    mount ? mount : "-", err);
	assert_string_equal(vp.mount, want_mount);
	assert_string_equal(vp.secret, want_secret);
}

static void path_bad(const char *path, const char *mount, const char *why)
{
	struct lw_vault_path vp;
	char err[256] = "";

	if (lw_vault_path_parse(path, mount, &vp, err, sizeof err))
		fail_msg("'%s' (mount %s) taken as %s + %s", path,
		    mount ? mount : "-", vp.mount, vp.secret);
	if (!strstr(err, why))
		fail_msg("'%s': '%s' does not say '%s'", path, err, why);
}

static void test_vault_paths(void **state)
{
	(void)state;
	/* The interface's example, with the API's data/ in it. */
	path_ok("secret/data/ai/openai", NULL, "secret", "ai/openai");
	path_ok("secret/ai/openai", NULL, "secret", "ai/openai");
	path_ok("/secret/data/ai/openai/", NULL, "secret", "ai/openai");
	path_ok("kv/data/x", NULL, "kv", "x");
	path_ok("kv/x", NULL, "kv", "x");
	/* A secret whose own name starts with data: data/ twice. */
	path_ok("secret/data/data/x", NULL, "secret", "data/x");
	/* mount: for mounts with a slash, and paths relative to it. */
	path_ok("team/kv/data/app/key", "team/kv", "team/kv", "app/key");
	path_ok("data/app/key", "team/kv", "team/kv", "app/key");
	path_ok("app/key", "team/kv", "team/kv", "app/key");
	path_ok("metadata/x", "secret", "secret", "metadata/x");
	path_ok("secret/metadata/x", "secret", "secret", "metadata/x");
}

static void test_vault_paths_refused(void **state)
{
	(void)state;
	path_bad("secret", NULL, "MOUNT/data/PATH");
	path_bad("secret/", NULL, "MOUNT/data/PATH");
	path_bad("", NULL, "MOUNT/data/PATH");
	path_bad("secret/data", NULL, "no secret");
	path_bad("secret/data/", NULL, "no secret");
	path_bad("secret/metadata/ai/openai", NULL, "metadata API");
	path_bad("secret/destroy/x", NULL, "destroy API");
	path_bad("secret/subkeys/x", NULL, "subkeys API");
	path_bad("secret/a//b", NULL, "segments");
	path_bad("secret/a/../b", NULL, "segments");
	path_bad("secret/./b", NULL, "segments");
	path_bad("secret/a b", NULL, "spaces");
	path_bad("secret/a?version=1", NULL, "'?'");
	path_bad("secret/a#b", NULL, "'#'");
	path_bad("secret/%2e%2e", NULL, "'%'");
	path_bad("secret/a\tb", NULL, "spaces");
	path_bad("x", "", "mount");
	path_bad("x", "a/../b", "mount");
	path_bad("data/", "secret", "no secret");
}

/* Paths that do not fit are refused, never cut. */
static void test_vault_path_length(void **state)
{
	char long_path[2000];
	struct lw_vault_path vp;
	char err[256];

	(void)state;
	memset(long_path, 'a', sizeof long_path - 1);
	long_path[sizeof long_path - 1] = '\0';
	memcpy(long_path, "secret/", 7);
	assert_false(lw_vault_path_parse(long_path, NULL, &vp, err,
	    sizeof err));
	memset(long_path, 'm', 200);
	long_path[200] = '/';
	long_path[201] = 'x';
	long_path[202] = '\0';
	assert_false(lw_vault_path_parse(long_path, NULL, &vp, err,
	    sizeof err));
}

/* Once stopping (exit), a request - from a scene, the CLI or MQTT - is
 * refused as "shutting down" and nothing is started. */
static void test_refused_when_stopping(void **state)
{
	char dir[64] = "/tmp/lw-test-keys-XXXXXX", path[128], text[256];
	char err[512], detail[256];
	struct lw_config cfg;
	struct lw_diag diag;
	struct stat st;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/labwarden.yaml", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "keys:\n  svc: { store: file, path: %s/svc.key }\n", dir);
	fclose(f);
	lw_config_defaults(&cfg);
	lw_diag_init(&diag);
	assert_true(lw_config_load(&cfg, path, &diag));
	assert_true(lw_keys_check_config(&cfg, &diag));
	struct lw_keys *keys = lw_keys_new(&cfg, NULL, true, dir, err,
	    sizeof err);
	assert_non_null(keys);

	assert_string_equal(lw_keys_request(keys, "svc", "cli", 1, detail,
	    sizeof detail), "pending");
	lw_keys_drain(keys, 1, 10000);
	snprintf(text, sizeof text, "%s/svc.key", dir);
	assert_int_equal(stat(text, &st), 0);	/* rotated: version 1 */
	lw_keys_stop(keys);
	const char *status = lw_keys_request(keys, "svc", "mqtt",
	    3600 * 1000000000ull, detail, sizeof detail);
	assert_string_equal(status, "refused");
	assert_string_equal(detail, "svc: shutting down");
	lw_keys_drain(keys, 3600 * 1000000000ull, 1000);
	snprintf(text, sizeof text, "%s/svc.key.prev", dir);
	assert_int_not_equal(stat(text, &st), 0);	/* no second version */
	lw_keys_free(keys);
	lw_diag_free(&diag);
	lw_config_free(&cfg);
	snprintf(text, sizeof text, "rm -rf '%s'", dir);
	assert_int_equal(system(text), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_url_alphabet),
		cmocka_unit_test(test_encode_too_small),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_wireguard_shape),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_keys_differ),
		cmocka_unit_test(test_make_refuses),
		cmocka_unit_test(test_encoding_names),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_vault_paths),
		cmocka_unit_test(test_vault_paths_refused),
		cmocka_unit_test(test_vault_path_length),
		cmocka_unit_test(test_refused_when_stopping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
