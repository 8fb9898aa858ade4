/* SPDX-License-Identifier: MIT */
/*
 * The TLS server name of a QUIC client Initial (search/quic.h). Initial packets are
 * encrypted with keys anyone can derive from the client's Destination Connection ID
 * (RFC 9001 section 5.2): HKDF-Extract with the version's salt, HKDF-Expand-Label for the
 * "client in" secret and its key, iv and header-protection key (RFC 8446 section 7.1). The
 * header protection is removed (RFC 9001 section 5.4: AES-128-ECB over a 16-byte sample),
 * the payload decrypted (AES-128-GCM, section 5.3), its CRYPTO frames (RFC 9000 section 19.6)
 * placed by offset, and the ClientHello read by the TLS parser of applayer.c. Every length is
 * checked against the datagram; anything unexpected is "no server name".
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "search/filter.h"
#include "search/quic.h"

#define CRYPTO_MAX 8192 /* a ClientHello larger than this is not looked at */
#define PIECES_MAX 64   /* CRYPTO frames kept per datagram */

typedef struct qversion {
    uint32_t version;
    unsigned initial_type; /* long-header packet type of Initial */
    uint8_t salt[20];
    const char *key, *iv, *hp; /* HKDF-Expand-Label labels */
} qversion_t;

static const qversion_t versions[] = {
    /* RFC 9001 section 5.2 */
    {0x00000001,
     0,
     {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
      0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a},
     "quic key",
     "quic iv",
     "quic hp"},
    /* RFC 9369 sections 3.2, 3.3.1 and 3.3.2 */
    {0x6b3343cf,
     1,
     {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
      0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9},
     "quicv2 key",
     "quicv2 iv",
     "quicv2 hp"},
    /* draft-ietf-quic-tls-29 section 5.2, still sent by some clients */
    {0xff00001d,
     0,
     {0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
      0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99},
     "quic key",
     "quic iv",
     "quic hp"},
};

static EVP_KDF *hkdf;
static pthread_once_t hkdf_once = PTHREAD_ONCE_INIT;

static void hkdf_fetch(void)
{
    hkdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);
}

/* HKDF (RFC 5869) with SHA-256, one mode at a time: extract (salt, ikm) or expand (prk, info). */
static int hkdf_run(int mode, const uint8_t *salt, size_t slen, const uint8_t *key, size_t klen,
                    const uint8_t *info, size_t ilen, uint8_t *out, size_t olen)
{
    pthread_once(&hkdf_once, hkdf_fetch);
    if (!hkdf)
        return -1;
    EVP_KDF_CTX *c = EVP_KDF_CTX_new(hkdf);
    if (!c)
        return -1;
    OSSL_PARAM p[6], *q = p;
    *q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    *q++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, klen);
    if (salt)
        *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, slen);
    if (info)
        *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, ilen);
    *q = OSSL_PARAM_construct_end();
    int ok = EVP_KDF_derive(c, out, olen, p);
    EVP_KDF_CTX_free(c);
    return ok == 1 ? 0 : -1;
}

/* HKDF-Expand-Label (RFC 8446 section 7.1) with an empty context. */
static int expand_label(const uint8_t prk[32], const char *label, uint8_t *out, size_t olen)
{
    uint8_t info[2 + 1 + 6 + 32 + 1];
    size_t l = strlen(label);
    if (l > 32)
        return -1;
    info[0] = (uint8_t)(olen >> 8);
    info[1] = (uint8_t)olen;
    info[2] = (uint8_t)(6 + l);
    memcpy(info + 3, "tls13 ", 6);
    memcpy(info + 9, label, l);
    info[9 + l] = 0;
    return hkdf_run(EVP_KDF_HKDF_MODE_EXPAND_ONLY, NULL, 0, prk, 32, info, 10 + l, out, olen);
}

int apc__quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len,
                           apc__quic_keys_t *k)
{
    const qversion_t *v = NULL;
    for (size_t i = 0; i < sizeof versions / sizeof *versions; i++)
        if (versions[i].version == version)
            v = &versions[i];
    if (!v || dcid_len > 20)
        return -1;
    uint8_t initial[32], client[32];
    if (hkdf_run(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, v->salt, sizeof v->salt, dcid, dcid_len, NULL, 0,
                 initial, 32) < 0 ||
        expand_label(initial, "client in", client, 32) < 0 ||
        expand_label(client, v->key, k->key, 16) < 0 ||
        expand_label(client, v->iv, k->iv, 12) < 0 || expand_label(client, v->hp, k->hp, 16) < 0)
        return -1;
    return 0;
}

/* RFC 9000 section 16: a variable-length integer at *off; -1 past `len`. */
static int varint(const uint8_t *p, size_t len, size_t *off, uint64_t *out)
{
    if (*off >= len)
        return -1;
    size_t n = (size_t)1 << (p[*off] >> 6);
    if (*off + n > len)
        return -1;
    uint64_t v = p[*off] & 0x3f;
    for (size_t i = 1; i < n; i++)
        v = v << 8 | p[*off + i];
    *off += n;
    *out = v;
    return 0;
}

static int aes_ecb_block(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, key, NULL) == 1 &&
                    EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
                    EVP_EncryptUpdate(c, out, &n, in, 16) == 1 && n == 16;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

/* AES-128-GCM open of ct (its last 16 bytes the tag) into pt; 0 when the tag holds. */
static int gcm_open(const apc__quic_keys_t *k, const uint8_t nonce[12], const uint8_t *aad,
                    size_t alen, const uint8_t *ct, size_t clen, uint8_t *pt)
{
    if (clen < 16)
        return -1;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0,
        ok = c && EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, k->key, nonce) == 1 &&
             EVP_DecryptUpdate(c, NULL, &n, aad, (int)alen) == 1 &&
             EVP_DecryptUpdate(c, pt, &n, ct, (int)(clen - 16)) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)(ct + clen - 16)) == 1 &&
             EVP_DecryptFinal_ex(c, pt + n, &n) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

/* The CRYPTO stream of a datagram's Initial packets: bytes by offset and the pieces seen. */
typedef struct crypto {
    uint8_t buf[CRYPTO_MAX];
    uint8_t hdr[1600]; /* one packet's header, unprotected: the AEAD's associated data */
    uint8_t pt[4096];  /* one packet's payload, decrypted */
    size_t n;
    struct {
        size_t off, len;
    } piece[PIECES_MAX];
} crypto_t;

/* RFC 9000 section 17.2.2: the frames an Initial may carry; CRYPTO data kept. -1 on a frame
 * an Initial may not carry or one cut short. */
static int frames(const uint8_t *p, size_t len, crypto_t *cr)
{
    size_t off = 0;
    while (off < len) {
        uint64_t t, a, b, c, n;
        if (varint(p, len, &off, &t) < 0)
            return -1;
        switch (t) {
        case 0x00: /* PADDING */
        case 0x01: /* PING */
            break;
        case 0x02: /* ACK */
        case 0x03:
            if (varint(p, len, &off, &a) < 0 || varint(p, len, &off, &a) < 0 ||
                varint(p, len, &off, &n) < 0 || varint(p, len, &off, &a) < 0)
                return -1;
            for (uint64_t i = 0; i < n; i++)
                if (varint(p, len, &off, &a) < 0 || varint(p, len, &off, &b) < 0)
                    return -1;
            if (t == 0x03 && (varint(p, len, &off, &a) < 0 || varint(p, len, &off, &b) < 0 ||
                              varint(p, len, &off, &c) < 0))
                return -1;
            break;
        case 0x06: /* CRYPTO */
            if (varint(p, len, &off, &a) < 0 || varint(p, len, &off, &b) < 0 || b > len - off)
                return -1;
            if (a < CRYPTO_MAX && b <= CRYPTO_MAX - a && cr->n < PIECES_MAX) {
                memcpy(cr->buf + a, p + off, (size_t)b);
                cr->piece[cr->n].off = (size_t)a;
                cr->piece[cr->n].len = (size_t)b;
                cr->n++;
            }
            off += (size_t)b;
            break;
        case 0x1c: /* CONNECTION_CLOSE */
            if (varint(p, len, &off, &a) < 0 || varint(p, len, &off, &a) < 0 ||
                varint(p, len, &off, &b) < 0 || b > len - off)
                return -1;
            off += (size_t)b;
            break;
        default:
            return -1;
        }
    }
    return 0;
}

/* How many bytes from offset 0 the pieces cover without a hole. */
static size_t covered(const crypto_t *cr)
{
    size_t end = 0;
    for (int grew = 1; grew;) {
        grew = 0;
        for (size_t i = 0; i < cr->n; i++)
            if (cr->piece[i].off <= end && cr->piece[i].off + cr->piece[i].len > end) {
                end = cr->piece[i].off + cr->piece[i].len;
                grew = 1;
            }
    }
    return end;
}

/* One Initial packet at p (len bytes left in the datagram): its length in *used, its CRYPTO
 * frames into cr. The keys are derived from its DCID once per datagram (*k, *have). */
static int initial(const uint8_t *p, size_t len, const qversion_t *v, apc__quic_keys_t *k,
                   int *have, crypto_t *cr, size_t *used)
{
    size_t off = 5;
    size_t dcil = p[off++];
    if (dcil > 20 || off + dcil + 1 > len)
        return -1;
    const uint8_t *dcid = p + off;
    off += dcil;
    size_t scil = p[off++];
    if (scil > 20 || off + scil > len)
        return -1;
    off += scil;
    uint64_t tlen, plen;
    if (varint(p, len, &off, &tlen) < 0 || tlen > len - off)
        return -1;
    off += (size_t)tlen;
    if (varint(p, len, &off, &plen) < 0 || plen > len - off || plen < 4 + 16)
        return -1;
    size_t pn_off = off;
    *used = pn_off + (size_t)plen;
    if (!*have) {
        if (apc__quic_initial_keys(v->version, dcid, dcil, k) < 0)
            return -1;
        *have = 1;
    }
    /* RFC 9001 section 5.4.2: the sample starts 4 bytes after the packet number's start. */
    if (pn_off + 4 + 16 > *used)
        return -1;
    uint8_t mask[16];
    if (aes_ecb_block(k->hp, p + pn_off + 4, mask) < 0)
        return -1;
    uint8_t *hdr = cr->hdr, *pt = cr->pt;
    size_t hlen = pn_off;
    if (hlen + 4 > sizeof cr->hdr)
        return -1; /* a token too long to hold: not a first Initial worth reading */
    memcpy(hdr, p, hlen);
    hdr[0] ^= mask[0] & 0x0f;
    size_t pnl = (size_t)(hdr[0] & 3) + 1;
    uint64_t pn = 0;
    for (size_t i = 0; i < pnl; i++) {
        hdr[hlen + i] = p[pn_off + i] ^ mask[1 + i];
        pn = pn << 8 | hdr[hlen + i];
    }
    uint8_t nonce[12];
    memcpy(nonce, k->iv, 12);
    for (size_t i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
    size_t clen = (size_t)plen - pnl;
    if (clen > sizeof cr->pt || clen < 16)
        return -1;
    if (gcm_open(k, nonce, hdr, hlen + pnl, p + pn_off + pnl, clen, pt) < 0)
        return -1;
    return frames(pt, clen - 16, cr);
}

int apc__quic_sni(const uint8_t *p, size_t len, char *out, size_t n)
{
    crypto_t *cr = NULL;
    apc__quic_keys_t k;
    int have = 0, r = -1;
    size_t off = 0;
    /* RFC 9000 section 12.2: packets coalesced in one datagram, each with its own header. */
    while (off + 7 <= len) {
        const uint8_t *q = p + off;
        if ((q[0] & 0xc0) != 0xc0)
            break; /* a short header (or no fixed bit): the rest of the datagram */
        uint32_t ver = (uint32_t)q[1] << 24 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 8 | q[4];
        const qversion_t *v = NULL;
        for (size_t i = 0; i < sizeof versions / sizeof *versions; i++)
            if (versions[i].version == ver)
                v = &versions[i];
        if (!v || ((q[0] >> 4) & 3) != v->initial_type)
            break; /* other versions, and packets after the Initials, carry no ClientHello */
        if (!cr) {
            if (!(cr = malloc(sizeof *cr)))
                break;
            cr->n = 0;
        }
        size_t used = 0;
        if (initial(q, len - off, v, &k, &have, cr, &used) < 0)
            break;
        off += used;
    }
    if (cr && cr->n) {
        size_t got = covered(cr);
        /* RFC 8446 section 4: a ClientHello (type 1) whose 4-byte header and body are here. */
        if (got >= 4 && cr->buf[0] == 1) {
            size_t hl = (size_t)cr->buf[1] << 16 | (size_t)cr->buf[2] << 8 | cr->buf[3];
            if (4 + hl <= got)
                r = apc__tls_hello_sni(cr->buf, 4 + hl, out, n);
        }
    }
    free(cr);
    return r;
}
