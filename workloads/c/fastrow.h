#ifndef HP_FASTROW_H
#define HP_FASTROW_H
/* Fast line parsers for c-threads: one pass of 16-byte compares finds a
 * line's commas and its newline, then only the fields a task uses are
 * read, digits eight at a time (SWAR). They accept only lines that are
 * plainly well-formed (short fields, no surprises); anything else returns
 * NULL and the caller parses that line again with rows.h, the exact
 * parser, which accepts it or names what is wrong. So the two agree on
 * every input, by construction: the fast path is an accelerator, never a
 * second definition of the format.
 *
 * A fast parser reads up to FR_MARGIN bytes past the start of a line: call
 * it only while p + FR_MARGIN <= end (fr_limit()). */
#include "rows.h"

#include <stdint.h>
#include <string.h>
#if defined(__AVX2__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#define FR_NEON 1
#endif

#define FR_MARGIN 96

#if defined(__GNUC__)
#define FR_INLINE static inline __attribute__((always_inline))
#define FR_PRAGMA(x) _Pragma(#x)
#define FR_UNROLL(n) FR_PRAGMA(GCC unroll n)
#else
#define FR_INLINE static inline
#define FR_UNROLL(n)
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FR_ENABLED 1
#else
#define FR_ENABLED 0    /* the SWAR below assumes little-endian loads */
#endif

/* Where fast parsing stops for a buffer ending at end. */
FR_INLINE const char *fr_limit(const char *begin, const char *end)
{
    return FR_ENABLED && end - begin > FR_MARGIN ? end - FR_MARGIN : begin;
}

FR_INLINE uint64_t fr_load8(const char *s)
{
    uint64_t w;
    memcpy(&w, s, 8);
    return w;
}

/* The line at p, up to 64 bytes: its length (the offset of '\n') and a mask
 * of the commas before it, or -1 when it is longer or holds a '\r'. One
 * compare finds every byte in 0x08..0x0f ('\n', '\r', tab...): the first
 * must be the '\n'. All 64 bytes are scanned, without early exit: line
 * lengths vary, and a mispredicted exit costs more than the spare loads. */
FR_INLINE int fr_line(const char *p, uint64_t *commas)
{
    uint64_t cm = 0, nm = 0;
#if defined(__AVX2__)
    const __m256i c = _mm256_set1_epi8(','), low = _mm256_set1_epi8(0x07);
    const __m256i ctl = _mm256_set1_epi8(0x0f);
    for (int k = 0; k < 2; k++) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32 * k));
        cm |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, c)) << (32 * k);
        nm |= (uint64_t)(uint32_t)_mm256_movemask_epi8(
                  _mm256_cmpeq_epi8(_mm256_or_si256(v, low), ctl)) << (32 * k);
    }
#elif defined(__SSE2__)
    const __m128i c = _mm_set1_epi8(','), low = _mm_set1_epi8(0x07), ctl = _mm_set1_epi8(0x0f);
    FR_UNROLL(4)
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        cm |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, c)) << (16 * k);
        nm |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(v, low), ctl))
              << (16 * k);
    }
#elif defined(FR_NEON)
    /* NEON has no movemask: each compare's 0xff bytes keep one bit of
     * their position in the byte, and three rounds of pairwise adds fold
     * the 64 bytes into the 64-bit mask. */
    static const uint8_t bit[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const uint8x16_t w = vld1q_u8(bit), c = vdupq_n_u8(','), low = vdupq_n_u8(0x07);
    const uint8x16_t ctl = vdupq_n_u8(0x0f);
    uint8x16_t cq[4], nq[4];
    for (int k = 0; k < 4; k++) {
        uint8x16_t v = vld1q_u8((const uint8_t *)p + 16 * k);
        cq[k] = vandq_u8(vceqq_u8(v, c), w);
        nq[k] = vandq_u8(vceqq_u8(vorrq_u8(v, low), ctl), w);
    }
    uint8x16_t cs = vpaddq_u8(vpaddq_u8(cq[0], cq[1]), vpaddq_u8(cq[2], cq[3]));
    uint8x16_t ns = vpaddq_u8(vpaddq_u8(nq[0], nq[1]), vpaddq_u8(nq[2], nq[3]));
    cm = vgetq_lane_u64(vreinterpretq_u64_u8(vpaddq_u8(cs, cs)), 0);
    nm = vgetq_lane_u64(vreinterpretq_u64_u8(vpaddq_u8(ns, ns)), 0);
#else
    for (int k = 0; k < 64; k++) {
        unsigned char ch = (unsigned char)p[k];
        cm |= (uint64_t)(ch == ',') << k;
        nm |= (uint64_t)((ch | 0x07) == 0x0f) << k;
    }
#endif
    if (!nm)
        return -1;
    int len = __builtin_ctzll(nm);
    if (p[len] != '\n')
        return -1;
    *commas = cm & ((1ULL << len) - 1);     /* len < 64 */
    return len;
}

/* Field boundaries: pos[k] is the offset of the k-th comma, pos[n] = len.
 * Returns 0, or -1 unless the line has exactly n commas. n is a constant
 * at every call, so the loop unrolls. */
FR_INLINE int fr_fields(uint64_t commas, int len, int n, int *pos)
{
#if defined(__POPCNT__) || defined(FR_NEON)
    if (__builtin_popcountll(commas) != n)
        return -1;
    FR_UNROLL(8)
    for (int k = 0; k < n; k++) {
        pos[k] = __builtin_ctzll(commas);
        commas &= commas - 1;
    }
    pos[n] = len;
    return 0;
#else
    uint64_t any = 1;
    FR_UNROLL(8)
    for (int k = 0; k < n; k++) {
        any &= commas != 0;
        pos[k] = commas ? __builtin_ctzll(commas) : 0;
        commas &= commas - 1;
    }
    pos[n] = len;
    return any && !commas ? 0 : -1;
#endif
}

/* Up to 8 digits at s, as a number, or -1 unless all L are digits. */
FR_INLINE int64_t fr_digits8(const char *s, int L)
{
    uint64_t w = fr_load8(s) - 0x3030303030303030ULL;
    w <<= 8 * (8 - L);      /* drops the bytes past the field; zeros lead */
    if (((w + 0x7676767676767676ULL) | w) & 0x8080808080808080ULL)
        return -1;
    w = (w * 10 + (w >> 8)) & 0x00ff00ff00ff00ffULL;
    w = (w * 100 + (w >> 16)) & 0x0000ffff0000ffffULL;
    return (int64_t)((w * 10000 + (w >> 32)) & 0xffffffffULL);
}

/* The unsigned field [s, s+L), 1 to 16 digits (csv_uint takes up to 19:
 * longer ones go the slow way). */
#if defined(__SSSE3__) && defined(__SSE4_1__)
/* With SSSE3 and SSE4.1: the field's digits moved to the end of one
 * 16-byte register, zeros before them, then combined pairwise (2, 4, 8
 * digits at a time) by multiply-adds: any length in one pass. */
static const signed char fr_right[17][16] __attribute__((aligned(16))) = {
    {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1},
    {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0},
    {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 1},
    {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 1, 2},
    {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 1, 2, 3},
    {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 1, 2, 3, 4},
    {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 1, 2, 3, 4, 5},
    {-1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 1, 2, 3, 4, 5, 6},
    {-1, -1, -1, -1, -1, -1, -1, -1, 0, 1, 2, 3, 4, 5, 6, 7},
    {-1, -1, -1, -1, -1, -1, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8},
    {-1, -1, -1, -1, -1, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
    {-1, -1, -1, -1, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
    {-1, -1, -1, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
    {-1, -1, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
    {-1, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13},
    {-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
};

FR_INLINE int fr_uint(const char *s, int L, uint64_t *v)
{
    if (L < 1 || L > 16)
        return -1;
    __m128i d = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const void *)s),
                             _mm_set1_epi8('0'));
    d = _mm_shuffle_epi8(d, _mm_load_si128((const __m128i *)(const void *)fr_right[L]));
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_subs_epu8(d, _mm_set1_epi8(9)),
                                         _mm_setzero_si128())) != 0xffff)
        return -1;
    __m128i t = _mm_maddubs_epi16(d, _mm_set1_epi16(0x010a));      /* 10 a + b */
    t = _mm_madd_epi16(t, _mm_set1_epi32(0x00010064));              /* 100 ab + cd */
    t = _mm_packus_epi32(t, t);
    t = _mm_madd_epi16(t, _mm_set1_epi32(0x00012710));              /* 10000 abcd + efgh */
    *v = (uint64_t)(uint32_t)_mm_cvtsi128_si32(t) * 100000000ULL +
         (uint32_t)_mm_extract_epi32(t, 1);
    return 0;
}
#else
FR_INLINE int fr_uint(const char *s, int L, uint64_t *v)
{
    if (L < 1 || L > 16)
        return -1;
    if (L <= 8) {
        int64_t x = fr_digits8(s, L);
        *v = (uint64_t)x;
        return x < 0 ? -1 : 0;
    }
    int64_t hi = fr_digits8(s, L - 8), lo = fr_digits8(s + L - 8, 8);
    *v = (uint64_t)hi * 100000000ULL + (uint64_t)lo;
    return (hi | lo) < 0 ? -1 : 0;
}
#endif

/* Two digits at s, or -1. */
FR_INLINE int fr_two(const char *s)
{
    unsigned a = (unsigned)(unsigned char)s[0] - '0', b = (unsigned)(unsigned char)s[1] - '0';
    return a < 10 && b < 10 ? (int)(a * 10 + b) : -1;
}

/* Money "digits.dd" in [s, s+L), as cents. */
FR_INLINE int fr_money(const char *s, int L, uint64_t *cents)
{
    if (L < 4 || s[L - 3] != '.')
        return -1;
    uint64_t whole;
    int frac = fr_two(s + L - 2);
    if (fr_uint(s, L - 3, &whole) < 0 || frac < 0)
        return -1;
    *cents = whole * 100 + (uint64_t)frac;
    return 0;
}

/* Discount "0.dd" in [s, s+L), as hundredths. */
FR_INLINE int fr_discount(const char *s, int L, unsigned *hundredths)
{
    int d = fr_two(s + 2);
    if (L != 4 || s[0] != '0' || s[1] != '.' || d < 0)
        return -1;
    *hundredths = (unsigned)d;
    return 0;
}

/* A name list as words in a small open-addressing table keyed by the first
 * word: a field is matched with one probe (two for the rare collision) and
 * three compares, whatever the list's length. */
#define FR_SLOTS 64

struct fr_names {
    signed char slot[FR_SLOTS];     /* name index, or -1 */
    int len[8];
    uint64_t w0[8], w1[8];
};

FR_INLINE uint64_t fr_prefix(const char *s, int L)
{
    uint64_t w = 0;
    memcpy(&w, s, (size_t)(L < 8 ? L : 8));
    return w;
}

/* 6 bits (FR_SLOTS); no two names of any list of WORKLOADS.md share a slot
 * (test_fastrow checks), so a valid field is found at the first probe. */
FR_INLINE unsigned fr_hash(uint64_t w0)
{
    return (unsigned)(((w0 ^ (w0 >> 32)) * 0x9E3779B97F4A7C15ULL) >> 58);
}

static inline void fr_names_init(struct fr_names *t, const char *const *names, int n)
{
    memset(t->slot, -1, sizeof t->slot);
    for (int i = 0; i < n && i < 8; i++) {
        int L = (int)strlen(names[i]);
        t->len[i] = L;
        t->w0[i] = fr_prefix(names[i], L);
        t->w1[i] = L > 8 ? fr_prefix(names[i] + 8, L - 8) : 0;
        unsigned h = fr_hash(t->w0[i]);
        while (t->slot[h] >= 0)
            h = (h + 1) % FR_SLOTS;
        t->slot[h] = (signed char)i;
    }
}

/* The index of the name [s, s+L), or -1. */
FR_INLINE int fr_name(const struct fr_names *t, const char *s, int L)
{
    if (L < 1 || L > 16)
        return -1;
    uint64_t a = fr_load8(s), b = 0;
    if (L < 8) {
        a &= (1ULL << (8 * L)) - 1;
    } else if (L > 8) {
        b = fr_load8(s + 8);
        if (L < 16)
            b &= (1ULL << (8 * (L - 8))) - 1;
    }
    for (unsigned h = fr_hash(a);; h = (h + 1) % FR_SLOTS) {
        int i = t->slot[h];
        if (i < 0)
            return -1;
        if (t->len[i] == L && t->w0[i] == a && t->w1[i] == b)
            return i;
    }
}

#define FR_F(k) (p + (k ? pos[k - 1] + 1 : 0))                 /* field k's start */
#define FR_L(k) (pos[k] - (k ? pos[k - 1] + 1 : 0))            /* and its length */

/* facts.csv for groupby: product_id, quantity, unit_price, discount. */
FR_INLINE const char *fr_facts_groupby(const char *p, struct row *r)
{
    uint64_t commas;
    int pos[8], len = fr_line(p, &commas);
    if (len < 0 || fr_fields(commas, len, 7, pos) < 0 ||
        fr_uint(FR_F(2), FR_L(2), &r->product) < 0 || fr_uint(FR_F(4), FR_L(4), &r->qty) < 0 ||
        fr_money(FR_F(5), FR_L(5), &r->cents) < 0 || fr_discount(FR_F(6), FR_L(6), &r->disc) < 0)
        return NULL;
    return p + len + 1;
}

/* facts.csv for join: user_id, ts, quantity, unit_price, discount, channel. */
FR_INLINE const char *fr_facts_join(const char *p, const struct fr_names *channels,
                                        struct row *r)
{
    uint64_t commas;
    int pos[8], len = fr_line(p, &commas);
    if (len < 0 || fr_fields(commas, len, 7, pos) < 0 ||
        fr_uint(FR_F(1), FR_L(1), &r->user) < 0 || fr_uint(FR_F(3), FR_L(3), &r->ts) < 0 ||
        fr_uint(FR_F(4), FR_L(4), &r->qty) < 0 || fr_money(FR_F(5), FR_L(5), &r->cents) < 0 ||
        fr_discount(FR_F(6), FR_L(6), &r->disc) < 0 ||
        (r->channel = fr_name(channels, FR_F(7), FR_L(7))) < 0)
        return NULL;
    return p + len + 1;
}

/* users.csv: user_id, segment, region (signup_ts is only counted). */
FR_INLINE const char *fr_users(const char *p, const struct fr_names *segments,
                               const struct fr_names *regions, struct row *r)
{
    uint64_t commas;
    int pos[4], len = fr_line(p, &commas);
    if (len < 0 || fr_fields(commas, len, 3, pos) < 0 ||
        fr_uint(FR_F(0), FR_L(0), &r->id) < 0 ||
        (r->seg = fr_name(segments, FR_F(1), FR_L(1))) < 0 ||
        (r->reg = fr_name(regions, FR_F(2), FR_L(2))) < 0)
        return NULL;
    return p + len + 1;
}

/* events.csv and stream.csv: two unsigned fields (user_id then ts, or ts
 * then user_id) into *a and *b, an event type, an amount. */
FR_INLINE const char *fr_event_line(const char *p, const struct fr_names *types, uint64_t *a,
                                    uint64_t *b, struct row *r)
{
    uint64_t commas;
    int pos[4], len = fr_line(p, &commas);
    if (len < 0 || fr_fields(commas, len, 3, pos) < 0 || fr_uint(FR_F(0), FR_L(0), a) < 0 ||
        fr_uint(FR_F(1), FR_L(1), b) < 0 || (r->type = fr_name(types, FR_F(2), FR_L(2))) < 0 ||
        fr_money(FR_F(3), FR_L(3), &r->cents) < 0)
        return NULL;
    return p + len + 1;
}

/* events.csv: user_id, ts, event_type, amount. */
FR_INLINE const char *fr_events(const char *p, const struct fr_names *types, struct row *r)
{
    return fr_event_line(p, types, &r->user, &r->ts, r);
}

/* stream.csv: ts, user_id, event_type, amount. */
FR_INLINE const char *fr_stream(const char *p, const struct fr_names *types, struct row *r)
{
    return fr_event_line(p, types, &r->ts, &r->user, r);
}

#undef FR_F
#undef FR_L
#endif
