/*
 * fuzz_dns.c - libFuzzer target for the DNS message parser.
 *
 * The input is one DNS message, copied into a buffer of exactly its
 * size so AddressSanitizer sees any over-read.  Every stored name and
 * rdata must come back NUL-terminated inside its buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "labwarden/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *text, size_t cap)
{
	if (memchr(text, '\0', cap) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lw_dns_msg msg;
	char name[16];

	if (size > 65535)
		return 0;
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	lw_dns_parse(copy, size, &msg);
	if (msg.nquestions > LW_DNS_MAX_QUESTIONS ||
	    msg.nrecords > LW_DNS_MAX_RECORDS)
		abort();
	for (unsigned i = 0; i < msg.nquestions; i++) {
		check_text(msg.questions[i].name, sizeof msg.questions[i].name);
		lw_dns_type_name(msg.questions[i].qtype, name, sizeof name);
	}
	for (unsigned i = 0; i < msg.nrecords; i++) {
		check_text(msg.records[i].name, sizeof msg.records[i].name);
		check_text(msg.records[i].rdata, sizeof msg.records[i].rdata);
	}
	lw_dns_rcode_name(msg.rcode, name, sizeof name);
	lw_dns_error_name(msg.error);
	free(copy);
	return 0;
}
