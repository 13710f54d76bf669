/* Seed inputs for the fuzz targets that the shared test vectors do not cover: small valid
 * app images for every chip (imagegen), files of the other kinds sota_ident knows, and
 * hand-made multipart bodies, DNS queries, HTTP requests and otadata entries.
 * Run at build time by tests/fuzz/make_seeds.sh; not a fuzz target itself.
 *
 *   seedgen OUTDIR     writes OUTDIR/<target>/<name> (directories must exist:
 *                      image ident update multipart dns http otadata) */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imagegen.h"
#include "sota_chip.h"
#include "sota_multipart.h"

static const char *s_out;

static void write_file(const char *target, const char *name, const void *pre, size_t prelen,
                       const void *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s", s_out, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || (prelen && fwrite(pre, 1, prelen, f) != prelen) ||
        (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
        fprintf(stderr, "seedgen: cannot write %s\n", path);
        exit(1);
    }
}

static uint8_t *make_image(const sota_chip_t *chip, uint32_t size, bool hash, size_t *len)
{
    imagegen_opts_t o;
    imagegen_defaults(&o);
    o.chip = chip;
    o.size = size;
    o.hash = hash;
    o.seed = size ^ chip->chip_id;
    uint8_t *img = NULL;
    int rc = imagegen_build(&o, &img, len);
    if (rc != IMAGEGEN_OK) {
        o.size = imagegen_min_size(&o);
        rc = imagegen_build(&o, &img, len);
    }
    if (rc != IMAGEGEN_OK) {
        fprintf(stderr, "seedgen: imagegen for %s: %s\n", chip->name, imagegen_strerror(rc));
        exit(1);
    }
    return img;
}

static void images(void)
{
    size_t count = 0;
    const sota_chip_t *chips = sota_chip_list(&count);
    static const uint32_t sizes[] = { 0 /* minimum */, 0x1200, 0x2800 };
    for (size_t c = 0; c < count; c++) {
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            for (int hash = 1; hash >= 0; hash--) {
                if (!hash && s != 1) {
                    continue;
                }
                size_t len;
                uint8_t *img = make_image(&chips[c], sizes[s] ? sizes[s] : 1, hash, &len);
                char name[96];
                snprintf(name, sizeof name, "gen_%s_%zu%s.bin", chips[c].name, len,
                         hash ? "" : "_nohash");
                /* fuzz_image: split byte; fuzz_ident: mode 1 (exact total), no limits;
                 * fuzz_update: this chip, exact length, no policy / full policy */
                write_file("image", name, "\x80", 1, img, len);
                write_file("ident", name, "\x01\0\0\0\0", 5, img, len);
                uint8_t pre[3] = { (uint8_t)(0x30 | c), 0x11, 0x01 };
                write_file("update", name, pre, 3, img, len);
                if (s == 1) {
                    uint8_t strict[3] = { (uint8_t)(0xF0 | c), 0x23, 0x0D };
                    snprintf(name, sizeof name, "gen_%s_%zu%s_strict.bin", chips[c].name, len,
                             hash ? "" : "_nohash");
                    write_file("update", name, strict, 3, img, len);
                }
                free(img);
            }
        }
    }
}

/* Files of the other kinds sota_ident names. */
static void ident_kinds(void)
{
    static uint8_t b[0x9000];
    const char *pre = "\x01\0\0\0\0";

    memset(b, 0, 512);
    memcpy(b, "\x7F" "ELF\x01\x01\x01", 7);
    write_file("ident", "elf", pre, 5, b, 512);
    memcpy(b, "\x1F\x8B\x08\x00", 4);
    write_file("ident", "gzip", pre, 5, b, 64);
    memcpy(b, "PK\x03\x04", 4);
    write_file("ident", "zip", pre, 5, b, 64);
    memset(b, 0, 512);
    memcpy(b, "UF2\n\x57\x51\x5D\x9E", 8);
    write_file("ident", "uf2", pre, 5, b, 512);

    memset(b, 0xFF, 0x2000);
    memcpy(b + 8, "littlefs", 8);
    write_file("ident", "littlefs", pre, 5, b, 0x2000);
    memset(b, 0xFF, 0x2000);
    memcpy(b + 0x1008, "littlefs", 8);
    write_file("ident", "littlefs_block1", pre, 5, b, 0x2000);

    /* FAT boot sector: jump, OEM, 512 bytes/sector, 1 sector/cluster, 1 reserved, 2 FATs */
    uint8_t fat[512];
    memset(fat, 0, sizeof fat);
    memcpy(fat, "\xEB\x3C\x90MSDOS5.0\x00\x02\x01\x01\x00\x02", 17);
    memcpy(fat + 0x36, "FAT12   ", 8);
    fat[510] = 0x55;
    fat[511] = 0xAA;
    write_file("ident", "fat", pre, 5, fat, sizeof fat);
    memset(b, 0xFF, 0x1000);
    memcpy(b + 0x1000, fat, sizeof fat);
    memset(b + 0x1200, 0, 0x200);
    write_file("ident", "fat_wl", pre, 5, b, 0x1400);

    /* SPIFFS: the magic at the end of the first lookup page (256-byte pages) */
    memset(b, 0xFF, 0x2000);
    b[254] = 0x29 ^ 0x00;
    b[255] = 0x05 ^ 0x01;
    write_file("ident", "spiffs", pre, 5, b, 0x2000);

    memset(b, 0xFF, 0x2000);
    write_file("ident", "erased", pre, 5, b, 0x2000);
    write_file("ident", "empty", pre, 5, b, 0);

    /* merged images: esp32 (bootloader at 0x1000), esp32s3 (at 0) with a table at 0x8000,
     * and a bare bootloader (segment 0 in IRAM, no app description) */
    size_t count = 0;
    const sota_chip_t *chips = sota_chip_list(&count);
    for (size_t c = 0; c < count; c++) {
        const sota_chip_t *chip = &chips[c];
        size_t len;
        uint8_t *img = make_image(chip, 0x1200, true, &len);
        uint8_t *boot = b + chip->bootloader_offset;
        memset(b, 0xFF, sizeof b);
        memcpy(boot, img, len);
        boot[24] = (uint8_t)chip->iram_low;
        boot[25] = (uint8_t)(chip->iram_low >> 8);
        boot[26] = (uint8_t)(chip->iram_low >> 16);
        boot[27] = (uint8_t)(chip->iram_low >> 24);
        memset(boot + 0x20, 0, 4);   /* no app description magic */
        char name[64];
        snprintf(name, sizeof name, "bootloader_%s", chip->name);
        write_file("ident", name, pre, 5, boot, len);
        memcpy(b + 0x8000, "\xAA\x50\x01\x02\x00\x90\x00\x00\x00\x40\x00\x00nvs", 15);
        snprintf(name, sizeof name, "merged_%s", chip->name);
        write_file("ident", name, pre, 5, b, 0x8000 + 32);
        free(img);
    }
}

static void multipart_body(const char *name, const char *boundary, uint8_t seed,
                           const char *body, size_t body_len)
{
    uint8_t pre[1 + SOTA_MP_BOUNDARY_MAX + 1];
    size_t bl = strlen(boundary);
    pre[0] = (uint8_t)bl;
    memcpy(pre + 1, boundary, bl);
    pre[1 + bl] = seed;
    write_file("multipart", name, pre, bl + 2, body, body_len);
}

#define MP(name, boundary, seed, lit) multipart_body(name, boundary, seed, lit, sizeof lit - 1)

static void multipart(void)
{
    MP("curl", "------------------------d74496d66958873e", 0x01,
       "--------------------------d74496d66958873e\r\n"
       "Content-Disposition: form-data; name=\"file\"; filename=\"app.bin\"\r\n"
       "Content-Type: application/octet-stream\r\n\r\n"
       "\xE9\x04\x02\x20 firmware bytes \r\n--not-the-boundary\r\n"
       "\r\n--------------------------d74496d66958873e--\r\n");
    MP("webkit", "----WebKitFormBoundary7MA4YWxkTrZu0gW", 0x22,
       "--" "----WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
       "Content-Disposition: form-data; name=\"note\"\r\n\r\n"
       "hello\r\n"
       "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
       "content-disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".bin\"\r\n"
       "Content-Type: application/octet-stream\r\n"
       "X-Extra: folded\r\n continued\r\n\r\n"
       "\xE9\x00\x00\x00\r\n"
       "------WebKitFormBoundary7MA4YWxkTrZu0gW--\r\nepilogue");
    MP("preamble", "xyz", 0x93,
       "This is a preamble.\r\n--xyz\r\nContent-Disposition: form-data; name=file\r\n\r\n"
       "data\r\n--xyz--");
    MP("no_parts", "b", 0x04, "--b--\r\n");
    MP("truncated", "b", 0x05,
       "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\npartial data");
    MP("bare_lf", "b", 0x06, "--b\nContent-Disposition: form-data; name=\"f\"\n\nx\n--b--\n");
    MP("no_disposition", "b", 0x07, "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n");
    MP("space_boundary", "a b'()+_,-./:=?", 0x08,
       "--a b'()+_,-./:=?\r\nContent-Disposition: form-data; name=\"\"\r\n\r\n"
       "\r\n--a b'()+_,-./:=\r\n--a b'()+_,-./:=?--");
    MP("abort", "q", 0x80 | 0x10, "--q\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
       "--q\r\nContent-Disposition: form-data; name=b; filename=c\r\n\r\n2\r\n--q--");
    char longb[SOTA_MP_BOUNDARY_MAX + 1];
    memset(longb, 'L', SOTA_MP_BOUNDARY_MAX);
    longb[SOTA_MP_BOUNDARY_MAX] = '\0';
    char body[400];
    int n = snprintf(body, sizeof body, "--%s\r\nContent-Disposition: form-data; name=\"file\"; "
                     "filename=\"f\"\r\n\r\nzz\r\n--%s--\r\n", longb, longb);
    multipart_body("long_boundary", longb, 0x09, body, (size_t)n);

    /* as Content-Type strings too (the target also parses the whole input as one) */
    static const char *const cts[] = {
        "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
        "Multipart/Form-Data; charset=utf-8; BOUNDARY=\"quoted boundary\"",
        "multipart/form-data ; boundary = x",
        "multipart/form-data; boundary=\"unterminated",
        "multipart/mixed; boundary=x",
        "multipart/form-data; boundary=a; boundary=b",
    };
    for (size_t i = 0; i < sizeof cts / sizeof cts[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "content_type_%zu", i);
        write_file("multipart", name, NULL, 0, cts[i], strlen(cts[i]));
    }
}

static void dns_query(const char *name, uint8_t flags0, uint8_t flags1, uint16_t qd,
                      const char *qname, size_t qname_len, uint16_t type, uint16_t cls,
                      const void *extra, size_t extra_len)
{
    uint8_t p[600];
    size_t n = 0;
    p[n++] = 0xAB;
    p[n++] = 0xCD;
    p[n++] = flags0;
    p[n++] = flags1;
    p[n++] = (uint8_t)(qd >> 8);
    p[n++] = (uint8_t)qd;
    memset(p + n, 0, 6);
    if (extra_len) {
        p[n + 5] = 1;   /* ARCOUNT 1: the EDNS OPT record */
    }
    n += 6;
    memcpy(p + n, qname, qname_len);
    n += qname_len;
    p[n++] = (uint8_t)(type >> 8);
    p[n++] = (uint8_t)type;
    p[n++] = (uint8_t)(cls >> 8);
    p[n++] = (uint8_t)cls;
    memcpy(p + n, extra, extra_len);
    n += extra_len;
    write_file("dns", name, NULL, 0, p, n);
}

static void dns(void)
{
    static const char ex[] = "\x07" "example" "\x03" "com" "\x00";
    static const char cap[] = "\x14" "connectivitycheck" "\x07" "gstatic" "\x03" "com";
    static const char opt[] = "\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00";
    dns_query("a", 0x01, 0x00, 1, ex, sizeof ex - 1, 1, 1, NULL, 0);
    dns_query("aaaa", 0x01, 0x00, 1, ex, sizeof ex - 1, 28, 1, NULL, 0);
    dns_query("https_edns", 0x01, 0x20, 1, ex, sizeof ex - 1, 65, 1, opt, sizeof opt - 1);
    dns_query("captive", 0x01, 0x00, 1, cap, sizeof cap, 1, 1, NULL, 0);
    dns_query("pointer", 0x01, 0x00, 1, "\xC0\x0C", 2, 1, 1, NULL, 0);
    dns_query("qd2", 0x01, 0x00, 2, ex, sizeof ex - 1, 1, 1, NULL, 0);
    dns_query("opcode_status", 0x10, 0x00, 1, ex, sizeof ex - 1, 1, 1, NULL, 0);
    dns_query("response", 0x81, 0x80, 1, ex, sizeof ex - 1, 1, 1, NULL, 0);
    dns_query("truncated", 0x01, 0x00, 1, "\x07" "exam", 5, 1, 1, NULL, 0);
    char longname[300];
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        longname[n++] = 63;
        memset(longname + n, 'a' + i, 63);
        n += 63;
    }
    longname[n++] = 0;
    dns_query("name_too_long", 0x01, 0x00, 1, longname, n, 1, 1, NULL, 0);
    n = 0;
    for (int i = 0; i < 3; i++) {
        longname[n++] = 63;
        memset(longname + n, 'a' + i, 63);
        n += 63;
    }
    longname[n++] = 61;
    memset(longname + n, 'z', 61);
    n += 61;
    longname[n++] = 0;
    dns_query("name_255", 0x01, 0x00, 1, longname, n, 1, 1, NULL, 0);
    dns_query("label_64", 0x01, 0x00, 1, "\x40" "x", 2, 1, 1, NULL, 0);
    write_file("dns", "short", NULL, 0, "\xAB\xCD\x01\x00\x00\x01\x00\x00\x00\x00\x00", 11);
}

#define HTTP(name, lit) write_file("http", name, NULL, 0, lit, sizeof lit - 1)

static void http(void)
{
    HTTP("get", "GET / HTTP/1.1\r\nHost: 192.168.4.1\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n");
    HTTP("get_query", "GET /api/status?a=1&file=x%20y&=z HTTP/1.1\r\nHost: h\r\n"
         "Cookie: a=1; sid=abcdef0123; b=2\r\nX-A: \r\n\r\n");
    HTTP("pipelined", "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /bb HTTP/1.1\r\nHost: h\r\n\r\n"
         "GET /health HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    HTTP("http10", "GET /x HTTP/1.0\r\n\r\n");
    HTTP("post_raw", "POST /update HTTP/1.1\r\nHost: h\r\nContent-Type: application/octet-stream\r\n"
         "Content-Length: 8\r\n\r\n\xE9\x04\x02\x20\x00\x00\x00\x00");
    HTTP("post_multipart", "POST /update HTTP/1.1\r\nHost: h\r\n"
         "Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 129\r\n\r\n"
         "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"app.bin\"\r\n"
         "Content-Type: application/octet-stream\r\n\r\nABCD\r\n--XyZ--\r\n");
    HTTP("post_short_body", "POST /update HTTP/1.1\r\nContent-Length: 100\r\n\r\nonly this");
    HTTP("post_no_length", "POST /update HTTP/1.1\r\nHost: h\r\n\r\n");
    HTTP("post_chunked", "POST /update HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
         "4\r\nabcd\r\n0\r\n\r\n");
    HTTP("length_and_te", "POST /update HTTP/1.1\r\nContent-Length: 4\r\n"
         "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    HTTP("two_lengths", "POST /update HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde");
    HTTP("negative_length", "POST /update HTTP/1.1\r\nContent-Length: -1\r\n\r\n");
    HTTP("huge_length", "POST /update HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n");
    HTTP("put_echo", "PUT /echo HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
         "PUT /echo HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    HTTP("not_found", "DELETE /nothing HTTP/1.1\r\n\r\nGET /health HTTP/1.1\r\n\r\n");
    HTTP("wrong_method", "PUT /update HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    HTTP("unknown_method", "BREW /pot HTTP/1.1\r\n\r\n");
    HTTP("bad_version", "GET / HTTP/2.0\r\n\r\n");
    HTTP("bare_lf", "GET / HTTP/1.1\nHost: h\n\n");
    HTTP("bare_cr", "GET / HTTP/1.1\rHost: h\r\r");
    HTTP("folding", "GET / HTTP/1.1\r\nX-A: one\r\n two\r\n\r\n");
    HTTP("nul", "GET /\0x HTTP/1.1\r\nHost: \0\r\n\r\n");
    HTTP("upgrade", "GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    HTTP("expect", "POST /update HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx");

    static char big[4096];
    int n = snprintf(big, sizeof big, "GET /");
    memset(big + n, 'u', 510);
    n += 510;
    n += snprintf(big + n, sizeof big - (size_t)n, " HTTP/1.1\r\n\r\n");
    write_file("http", "uri_limit", NULL, 0, big, (size_t)n);
    n = snprintf(big, sizeof big, "GET / HTTP/1.1\r\nX-Long: ");
    memset(big + n, 'h', 1000);
    n += 1000;
    n += snprintf(big + n, sizeof big - (size_t)n, "\r\n\r\n");
    write_file("http", "header_limit", NULL, 0, big, (size_t)n);
}

static void otadata(void)
{
    /* seq 0 (wraps), seq UINT32_MAX - 1, NEW without factory, both PENDING_VERIFY */
    static const uint8_t wrap[] = {
        0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00,
    };
    uint8_t e[65];
    memset(e, 0xFF, sizeof e);
    memcpy(e, wrap, sizeof wrap);
    e[64] = 0x3F;
    write_file("otadata", "seq0_nofactory", NULL, 0, e, sizeof e);
    e[64] = 0x5F;
    write_file("otadata", "small_otadata", NULL, 0, e, sizeof e);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: seedgen OUTDIR\n");
        return 2;
    }
    s_out = argv[1];
    images();
    ident_kinds();
    multipart();
    dns();
    http();
    otadata();
    return 0;
}
