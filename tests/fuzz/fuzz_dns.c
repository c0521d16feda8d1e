/*
 * fuzz_dns.c - libFuzzer target for the DNS message parser.
 *
 * The input is one DNS message (a UDP payload), copied into a heap
 * buffer of exactly its size so that ASan sees any read past it.  The
 * output struct is filled with junk first, then every stored string
 * must come back NUL-terminated inside its buffer, whatever the input,
 * and hold only what presentation form allows: names are printable
 * ASCII without spaces, every '\' starts "\DDD", "\." or "\\", and
 * reading the escapes back gives exactly the shape (labels, longest
 * label, wire length) the parser reported.  Rdata text is printable.
 * Seeds: fuzz/seeds_dns, made by fuzz/make_dns_seeds.py.
 */
#include <stdlib.h>
#include <string.h>

#include "labwarden/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct lw_dns_msg msg;	/* ~160 KB */

static size_t check_terminated(const char *text, size_t cap)
{
	if (memchr(text, '\0', cap) == NULL)
		abort();
	return strlen(text);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Walk a name in presentation form back to wire terms: its label count,
 * longest label and length on the wire.  Aborts on a character or an
 * escape the parser must never write.
 */
static void check_name(const char *name, size_t cap, unsigned *labels,
    unsigned *longest, unsigned *wire_len)
{
	size_t n = check_terminated(name, cap), label = 0;

	*labels = *longest = 0;
	*wire_len = 1;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || name[i] == '.') {
			if (n == 0)
				break;		/* the root */
			if (label == 0 || label > LW_DNS_LABEL_MAX)
				abort();	/* empty or long label */
			(*labels)++;
			*wire_len += 1 + (unsigned)label;
			if (label > *longest)
				*longest = (unsigned)label;
			label = 0;
			continue;
		}
		if (name[i] <= 0x20 || name[i] >= 0x7f ||
		    (name[i] >= 'A' && name[i] <= 'Z'))
			abort();
		if (name[i] == '\\') {
			if (name[i + 1] == '.' || name[i + 1] == '\\')
				i++;
			else if (is_digit(name[i + 1]) &&
			    is_digit(name[i + 2]) && is_digit(name[i + 3]) &&
			    (name[i + 1] - '0') * 100 + (name[i + 2] - '0') * 10 +
			    (name[i + 3] - '0') <= 255)
				i += 3;
			else
				abort();
		}
		label++;
	}
	if (*wire_len > LW_DNS_NAME_WIRE_MAX)
		abort();
}

static void check_rdata(const char *text, size_t cap)
{
	size_t n = check_terminated(text, cap);

	for (size_t i = 0; i < n; i++)
		if (text[i] < 0x20 || text[i] > 0x7e)
			abort();
}

static void check_questions(void)
{
	unsigned labels, longest, wire_len;

	for (unsigned i = 0; i < msg.nquestions; i++) {
		const struct lw_dns_question *q = &msg.questions[i];
		check_name(q->name, sizeof q->name, &labels, &longest,
		    &wire_len);
		if (labels != q->labels || longest != q->longest_label ||
		    wire_len != q->wire_len)
			abort();
		if (q->qclass & 0x8000)
			abort();
	}
}

static void check_records(void)
{
	unsigned labels, longest, wire_len;
	char buf[12];

	for (unsigned i = 0; i < msg.nrecords; i++) {
		const struct lw_dns_record *rr = &msg.records[i];
		check_name(rr->name, sizeof rr->name, &labels, &longest,
		    &wire_len);
		check_rdata(rr->rdata, sizeof rr->rdata);
		if ((unsigned)rr->section > LW_DNS_ADDITIONAL)
			abort();
		if (rr->rrtype != LW_DNS_T_OPT && (rr->rrclass & 0x8000))
			abort();
		if (strlen(lw_dns_type_name(rr->rrtype, buf, sizeof buf)) == 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum lw_dns_error err;
	char buf[12];
	uint8_t *copy;

	copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	if (size)
		memcpy(copy, data, size);
	memset(&msg, 0xa5, sizeof msg);
	err = lw_dns_parse(copy, size, &msg);
	free(copy);

	if (err != msg.error || (unsigned)err >= LW_DNS_ERROR_COUNT)
		abort();
	if (msg.nquestions > LW_DNS_MAX_QUESTIONS ||
	    msg.nquestions > msg.nquestions_total ||
	    msg.nquestions_total > msg.qdcount ||
	    msg.nrecords > LW_DNS_MAX_RECORDS ||
	    msg.nrecords > msg.nrecords_total ||
	    msg.nrecords_total > (unsigned)msg.ancount + msg.nscount +
	    msg.arcount || msg.rcode > 0xfff)
		abort();
	if (err == LW_DNS_OK && (msg.nquestions_total != msg.qdcount ||
	    msg.nrecords_total != (unsigned)msg.ancount + msg.nscount +
	    msg.arcount))
		abort();
	check_questions();
	check_records();
	if (strlen(lw_dns_rcode_name(msg.rcode, buf, sizeof buf)) == 0 ||
	    strlen(lw_dns_error_name(msg.error)) == 0)
		abort();
	return 0;
}
