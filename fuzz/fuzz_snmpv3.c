/*
 * libFuzzer harness for the SNMPv3 report decoder behind snmp-info's
 * version rewrite (vhint_snmpv3_engine, detect/version_hint.c): any bytes a
 * UDP service sends back to the SNMPv3 discovery GET. On success the
 * enterprise number must fit what the engine ID can carry. Seeds live in
 * fuzz/corpus/snmpv3/.
 *
 *   fuzz_snmpv3 -max_total_time=60 fuzz/corpus/snmpv3
 */
#include "detect/version_internal.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct snmp_engine e;
    int rc = vhint_snmpv3_engine(data, size, &e);
    if (rc != 0 && rc != -1)
        abort();
    if (rc == 0 && e.rfc3411 && e.enterprise >= 0x80000000u)
        abort();
    return 0;
}
