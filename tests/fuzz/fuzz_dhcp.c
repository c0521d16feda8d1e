/*
 * fuzz_dhcp.c - libFuzzer target for the DHCP message parser.
 *
 * The input is one DHCP message (a UDP payload), copied into a buffer
 * of exactly its size; every text field must come back NUL-terminated
 * inside its buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "labwarden/dhcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *text, size_t cap)
{
	if (memchr(text, '\0', cap) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lw_dhcp_msg msg;

	if (size > 65535)
		return 0;
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	lw_dhcp_parse(copy, size, &msg);
	check_text(msg.hostname, sizeof msg.hostname);
	check_text(msg.vendor_class, sizeof msg.vendor_class);
	check_text(msg.client_id, sizeof msg.client_id);
	check_text(msg.fingerprint, sizeof msg.fingerprint);
	check_text(msg.domain_name, sizeof msg.domain_name);
	lw_dhcp_type_name(msg.msg_type);
	lw_dhcp_error_name(msg.error);
	free(copy);
	return 0;
}
