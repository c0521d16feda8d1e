/*
 * dns.h - DNS message parser (RFC 1035 wire format, plus EDNS0, SRV,
 * SVCB/HTTPS).  Used for DNS over UDP and TCP, mDNS and LLMNR.
 *
 * lw_dns_parse() fills a caller-owned struct lw_dns_msg; it never
 * allocates and never reads outside msg[0..len).  Names are written in
 * presentation form: lowercased, no trailing dot ("" is the root), with
 * '.' and '\' inside a label and every byte outside 0x21..0x7e escaped
 * as \DDD.  Compression pointers are followed with a hop limit (forward
 * ones too, as resolvers do), so a pointer loop or a pointer to itself
 * ends the parse with LW_DNS_BAD_POINTER instead of looping.  A name longer than 255
 * wire bytes or a label longer than 63 is LW_DNS_BAD_NAME.
 *
 * Questions and records beyond the fixed capacities are counted
 * (nquestions_total, nrecords_total) but not stored.
 */
#ifndef LABWARDEN_DNS_H
#define LABWARDEN_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LW_DNS_HEADER_LEN	12
#define LW_DNS_NAME_WIRE_MAX	255	/* RFC 1035 2.3.4 */
#define LW_DNS_LABEL_MAX	63
/* Presentation form: every byte may become \DDD (4 chars), plus NUL. */
#define LW_DNS_NAME_TEXT_MAX	(LW_DNS_NAME_WIRE_MAX * 4 + 1)
#define LW_DNS_RDATA_TEXT_MAX	1024	/* longer rdata text is cut */
#define LW_DNS_MAX_QUESTIONS	32
#define LW_DNS_MAX_RECORDS	64	/* answers+authority+additional */
#define LW_DNS_MAX_POINTER_HOPS	32

/* RR types that get decoded rdata. */
enum {
	LW_DNS_T_A = 1, LW_DNS_T_NS = 2, LW_DNS_T_CNAME = 5, LW_DNS_T_SOA = 6,
	LW_DNS_T_NULL = 10, LW_DNS_T_PTR = 12, LW_DNS_T_MX = 15,
	LW_DNS_T_TXT = 16, LW_DNS_T_AAAA = 28, LW_DNS_T_SRV = 33,
	LW_DNS_T_OPT = 41, LW_DNS_T_SVCB = 64, LW_DNS_T_HTTPS = 65,
	LW_DNS_T_ANY = 255,
};

enum lw_dns_error {
	LW_DNS_OK = 0,
	LW_DNS_TRUNCATED,	/* message ends inside a field */
	LW_DNS_BAD_NAME,	/* label > 63, name > 255, reserved label type */
	LW_DNS_BAD_POINTER,	/* loop, self pointer, into the header or
				 * past the end, too many hops */
	LW_DNS_BAD_RDATA,	/* rdlength disagrees with the type's layout */
	LW_DNS_ERROR_COUNT
};

enum lw_dns_section { LW_DNS_ANSWER, LW_DNS_AUTHORITY, LW_DNS_ADDITIONAL };

struct lw_dns_question {
	char	 name[LW_DNS_NAME_TEXT_MAX];
	uint16_t qtype;
	uint16_t qclass;	/* without the mDNS unicast-response bit */
	bool	 unicast_response;	/* mDNS QU bit (top bit of qclass) */
	/* Shape of the name, for tunnel detection. */
	uint8_t	 labels;	/* number of labels */
	uint8_t	 longest_label;	/* bytes, on the wire */
	uint16_t wire_len;	/* bytes of the name on the wire, <= 255 */
};

struct lw_dns_record {
	enum lw_dns_section section;
	char	 name[LW_DNS_NAME_TEXT_MAX];
	uint16_t rrtype;
	uint16_t rrclass;	/* without the mDNS cache-flush bit; for OPT
				 * the UDP size, untouched */
	bool	 cache_flush;	/* mDNS cache-flush bit (top bit of class) */
	uint32_t ttl;
	uint16_t rdlength;
	/*
	 * rdata in presentation form: A/AAAA address; CNAME/NS/PTR target
	 * name; MX "pref name"; SRV "prio weight port target"; SOA "mname
	 * rname serial refresh retry expire minimum"; TXT the strings
	 * joined with no separator, non-printables \DDD-escaped and '\'
	 * and '"' written \\ and \"; SVCB/HTTPS "prio target"; other
	 * types "" (rdlength tells size).  A root name in rdata is "." (an
	 * empty field would vanish between spaces).
	 */
	char	 rdata[LW_DNS_RDATA_TEXT_MAX];
};

struct lw_dns_msg {
	uint16_t id;
	bool	 qr;		/* response */
	uint8_t	 opcode;
	bool	 aa, tc, rd, ra;
	uint16_t rcode;		/* 12 bits when EDNS extends it */
	uint16_t qdcount, ancount, nscount, arcount;	/* header counts */

	struct lw_dns_question questions[LW_DNS_MAX_QUESTIONS];
	unsigned nquestions;		/* stored */
	unsigned nquestions_total;	/* parsed */
	struct lw_dns_record records[LW_DNS_MAX_RECORDS];
	unsigned nrecords;		/* stored */
	unsigned nrecords_total;	/* parsed */

	bool	 edns;		/* an OPT record was present */
	uint16_t edns_udp_size;
	uint8_t	 edns_version;
	bool	 edns_do;

	/*
	 * First problem met.  Everything parsed before it stays valid: a
	 * message cut after its questions still yields its questions.
	 */
	enum lw_dns_error error;
};

/* Parse one DNS message (for TCP: without the 2-byte length prefix). */
enum lw_dns_error lw_dns_parse(const uint8_t *msg, size_t len,
	    struct lw_dns_msg *out);

/* "A", "AAAA", "TXT"... or "TYPE65280" (buf at least 12 bytes). */
const char *lw_dns_type_name(uint16_t type, char *buf, size_t len);
/* "NOERROR", "NXDOMAIN"... or "RCODE23" (buf at least 12 bytes). */
const char *lw_dns_rcode_name(uint16_t rcode, char *buf, size_t len);
/* Stable snake_case name of an error ("bad_pointer"...). */
const char *lw_dns_error_name(enum lw_dns_error error);

#endif
