/*
 * bytes.h — reads of big-endian (network order) fields from packet and
 * file bytes, for the parsers that walk them by hand. p must hold 2 (4)
 * readable bytes; nothing is aligned.
 */
#ifndef PRTIP_CORE_BYTES_H
#define PRTIP_CORE_BYTES_H

#include <stdint.h>

static inline unsigned be16_get(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static inline uint32_t be32_get(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#endif
