/*
 * fuzz_dhcp.c - libFuzzer target for the DHCP message parser.
 *
 * The input is one DHCP message (a UDP payload), copied into a heap
 * buffer of exactly its size so that ASan sees any read past it.  The
 * output struct is filled with junk first: every text field must come
 * back NUL-terminated inside its buffer, whatever the input, and hold
 * only what its format allows (escaped text is printable ASCII with
 * no quote, client id is hex, fingerprint is digits and commas).
 * Seeds: fuzz/seeds_dhcp, made by fuzz/make_dhcp_seeds.py.
 */
#include <stdlib.h>
#include <string.h>

#include "labwarden/dhcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t check_terminated(const char *text, size_t cap)
{
	if (memchr(text, '\0', cap) == NULL)
		abort();
	return strlen(text);
}

static void check_escaped(const char *text, size_t cap)
{
	size_t n = check_terminated(text, cap);

	for (size_t i = 0; i < n; i++)
		if (text[i] < 0x20 || text[i] > 0x7e || text[i] == '"')
			abort();
}

static void check_chars(const char *text, size_t cap, const char *allowed)
{
	size_t n = check_terminated(text, cap);

	if (strspn(text, allowed) != n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lw_dhcp_msg msg;	/* ~5 KB */
	enum lw_dhcp_error err;
	uint8_t *copy;

	copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	if (size)
		memcpy(copy, data, size);
	memset(&msg, 0xa5, sizeof msg);
	err = lw_dhcp_parse(copy, size, &msg);
	free(copy);

	if (err != msg.error || (unsigned)err >= LW_DHCP_ERROR_COUNT)
		abort();
	check_escaped(msg.hostname, sizeof msg.hostname);
	check_escaped(msg.vendor_class, sizeof msg.vendor_class);
	check_escaped(msg.domain_name, sizeof msg.domain_name);
	check_chars(msg.client_id, sizeof msg.client_id, "0123456789abcdef");
	if (strlen(msg.client_id) % 2 != 0)
		abort();
	check_chars(msg.fingerprint, sizeof msg.fingerprint, "0123456789,");
	if (strlen(lw_dhcp_type_name(msg.msg_type)) == 0 ||
	    strlen(lw_dhcp_error_name(msg.error)) == 0)
		abort();
	return 0;
}
