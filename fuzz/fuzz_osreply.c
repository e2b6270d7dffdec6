/*
 * libFuzzer harness for the OS detection reply parsing (detect/osfp.c):
 * the input is cut into up to sixteen replies (a 2-byte big-endian length
 * before each), one per probe, which osfp reads as received IPv4 packets
 * (TCP, ICMP echo replies, U1's ICMP error) and turns into nmap's test
 * lines. The real receive path only hands osfp packets that osprobe.c's
 * classify accepted; osfp must still never read outside a reply.
 *
 *   fuzz_osreply -max_total_time=60 fuzz/corpus/osreply
 */
#include "detect/osfp.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct os_target t;
    memset(&t, 0, sizeof t);
    if (size < 8)
        return 0;
    t.seq_base = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | data[2] << 8 | data[3];
    t.ack = t.seq_base ^ 0x5a5a5a5a;
    t.ttl = data[4];
    t.direct = data[5] & 1;
    t.u1_sum = (uint16_t)(data[6] << 8 | data[7]);
    size_t off = 8;
    for (int p = 0; p < OSP_COUNT && off + 2 <= size; p++) {
        size_t len = (size_t)data[off] << 8 | data[off + 1];
        off += 2;
        if (len > size - off)
            len = size - off;
        if (len > OS_REPLY_MAX)
            len = OS_REPLY_MAX;
        t.sent[p] = true;
        t.sent_us[p] = 100000 * (p < 6 ? p : 0);
        t.reply[p].got = len > 0;
        t.reply[p].len = (uint16_t)len;
        t.reply[p].sent_us = t.sent_us[p];
        memcpy(t.reply[p].pkt, data + off, len);
        off += len;
    }
    char method;
    int d = os_distance(&t, &method);
    (void)os_u1_distance(&t);
    struct os_obs o;
    struct os_seq_info si;
    os_fp_compute(&t, d, &o, &si);
    char buf[4096];
    os_obs_format(&o, buf, sizeof buf);
    if (si.responses < 0 || si.responses > 6)
        __builtin_trap();
    return 0;
}
