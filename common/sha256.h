#ifndef HP_SHA256_H
#define HP_SHA256_H
#include <stddef.h>
#include <stdint.h>

/* FIPS 180-4 SHA-256; the payload carries its own so it needs only libc. */
struct sha256 {
    uint32_t h[8];
    uint64_t len;
    unsigned char block[64];
    size_t fill;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *p, size_t n);
void sha256_final(struct sha256 *s, unsigned char out[32]);
/* Writes 64 lowercase hex digits and a NUL. */
void sha256_hex(const unsigned char d[32], char out[65]);
/* Hashes a whole file; -1 with errno set when it cannot be read. */
int sha256_file(const char *path, char out[65], unsigned long long *bytes);

#endif
