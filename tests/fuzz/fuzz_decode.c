/*
 * fuzz_decode.c - libFuzzer target for the decoder entry point.
 *
 * Input layout: byte 0 picks the link type (index into the supported
 * list), the rest is the captured frame.  The frame is copied into a
 * buffer of exactly its length so AddressSanitizer sees any over-read.
 * The caplen/wirelen pair is varied too: wirelen may exceed caplen, as
 * with a snap length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "labwarden/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = {
	LW_LINK_ETHERNET, LW_LINK_LINUX_SLL, LW_LINK_LINUX_SLL2, LW_LINK_RAW,
	LW_LINK_IPV4, LW_LINK_IPV6, LW_LINK_NULL, LW_LINK_LOOP, LW_LINK_PPP,
	LW_LINK_PPP_HDLC, LW_LINK_NFLOG, LW_LINK_PKTAP, LW_LINK_RAW_ALT,
	LW_LINK_RAW_ALT2,
};
#define NLINKTYPES (sizeof linktypes / sizeof linktypes[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lw_packet pkt;
	char text[64];

	if (size < 1 || size > 65536)
		return 0;
	size_t len = size - 1;
	uint8_t *frame = malloc(len ? len : 1);
	if (!frame)
		return 0;
	memcpy(frame, data + 1, len);

	memset(&pkt, 0, sizeof pkt);
	pkt.linktype = linktypes[(data[0] & 0x7f) % NLINKTYPES];
	pkt.caplen = (uint32_t)len;
	pkt.wirelen = (data[0] & 0x80) ? (uint32_t)len + 100 : (uint32_t)len;
	enum lw_malformed why = lw_decode(&pkt, frame);

	/* Touch what a consumer touches, so a bad pointer shows up here. */
	if (lw_malformed_name(why)[0] == '\0')
		abort();
	if (pkt.src_mac)
		lw_mac_str(pkt.src_mac, text, sizeof text);
	if (pkt.dst_mac)
		lw_mac_str(pkt.dst_mac, text, sizeof text);
	lw_addr_str(&pkt.src_ip, text, sizeof text);
	lw_addr_str(&pkt.arp_spa, text, sizeof text);
	if (pkt.nflog_prefix && (pkt.nflog_prefix < frame ||
	    pkt.nflog_prefix + pkt.nflog_prefix_len > frame + len))
		abort();
	char prefix[LW_NFLOG_PREFIX_MAX + 1];
	if (strlen(lw_packet_nflog_prefix(&pkt, prefix, sizeof prefix)) !=
	    pkt.nflog_prefix_len)
		abort();
	if (pkt.payload_len) {
		if (pkt.payload < frame || pkt.payload + pkt.payload_len >
		    frame + len)
			abort();
		volatile uint8_t sink = pkt.payload[pkt.payload_len - 1];
		(void)sink;
	}
	free(frame);
	return 0;
}
