/*
 * keygen.c - new keys from the kernel's random numbers, as text
 * (keys.h): hex, base64url or base64 after an optional prefix, and the
 * fingerprint that stands for a key wherever a person reads about it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "labwarden/http.h"
#include "labwarden/keys.h"

static const char *const encoding_names[] = {
	[LW_KEY_HEX] = "hex", [LW_KEY_BASE64URL] = "base64url",
	[LW_KEY_BASE64] = "base64",
};

bool lw_key_encoding_parse(const char *name, enum lw_key_encoding *enc)
{
	for (size_t i = 0; i < sizeof encoding_names / sizeof *encoding_names;
	    i++)
		if (strcmp(name, encoding_names[i]) == 0) {
			*enc = (enum lw_key_encoding)i;
			return true;
		}
	return false;
}

const char *lw_key_encoding_name(enum lw_key_encoding enc)
{
	return (size_t)enc < sizeof encoding_names / sizeof *encoding_names ?
	    encoding_names[enc] : "?";
}

static size_t encoded_length(enum lw_key_encoding enc, size_t n)
{
	switch (enc) {
	case LW_KEY_HEX: return 2 * n;
	case LW_KEY_BASE64URL: return (4 * n + 2) / 3;	/* no padding */
	case LW_KEY_BASE64: return 4 * ((n + 2) / 3);
	}
	return 0;
}

size_t lw_keygen_length(const struct lw_keygen *gen)
{
	return strlen(gen->prefix) + encoded_length(gen->encoding, gen->bytes);
}

static void encode_hex(const uint8_t *raw, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Base64 of RFC 4648 with the given alphabet; '=' padding or none. */
static void encode_b64(const uint8_t *raw, size_t n, char *out,
    const char *alphabet, bool pad)
{
	size_t o = 0, i = 0;

	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 |
		    raw[i + 2];
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		out[o++] = alphabet[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)raw[i] << 16;
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8;
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
}

bool lw_key_encode(enum lw_key_encoding enc, const uint8_t *raw, size_t n,
    char *out, size_t outlen)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char b64url[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

	if (encoded_length(enc, n) >= outlen)
		return false;
	switch (enc) {
	case LW_KEY_HEX: encode_hex(raw, n, out); return true;
	case LW_KEY_BASE64URL: encode_b64(raw, n, out, b64url, false);
		return true;
	case LW_KEY_BASE64: encode_b64(raw, n, out, b64, true); return true;
	}
	return false;
}

/* getrandom may return fewer bytes than asked (signals, > 256 bytes). */
static bool fill_random(uint8_t *buf, size_t n, char *err, size_t errlen)
{
	size_t got = 0;
	unsigned tries = 0;

	while (got < n && tries++ < 64) {
		ssize_t r = getrandom(buf + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "getrandom: %s", strerror(errno));
			return false;
		}
		got += (size_t)r;
	}
	if (got < n) {
		snprintf(err, errlen, "getrandom: short read");
		return false;
	}
	return true;
}

bool lw_keygen_make(const struct lw_keygen *gen, char *out, size_t outlen,
    char *err, size_t errlen)
{
	uint8_t raw[LW_KEY_MAX_BYTES];
	size_t plen = strlen(gen->prefix);
	bool ok = false;

	out[0] = '\0';
	if (gen->bytes < 1 || gen->bytes > sizeof raw ||
	    lw_keygen_length(gen) >= outlen) {
		snprintf(err, errlen, "key length out of range");
		return false;
	}
	if (fill_random(raw, gen->bytes, err, errlen)) {
		memcpy(out, gen->prefix, plen);
		ok = lw_key_encode(gen->encoding, raw, gen->bytes, out + plen,
		    outlen - plen);
		if (!ok)
			snprintf(err, errlen, "key does not fit");
	}
	explicit_bzero(raw, sizeof raw);
	if (!ok)
		explicit_bzero(out, outlen);
	return ok;
}

void lw_key_fingerprint(const char *key, size_t len, char out[LW_KEY_FP_LEN])
{
	char hex[65];

	lw_sha256_hex(key, len, hex);
	memcpy(out, hex, LW_KEY_FP_LEN - 1);
	out[LW_KEY_FP_LEN - 1] = '\0';
}
