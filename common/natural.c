/*
 * Natural order (natural.h): tables built once, the comparison, and the
 * fixed-size keys a sort compares with memcmp before it asks natural_cmp.
 */
#include "natural.h"

#include <ctype.h>
#include <string.h>

/*
 * Natural order for names: "web2" < "web10". Digits runs compare by value,
 * everything else case-insensitively.
 */
static unsigned char nat_lower[256];
static bool nat_digit[256];
static bool nat_ready;

/* tolower and isdigit once per byte value: a sort of 100,000 names calls them millions of times */
static void nat_init(void)
{
    if (!nat_ready) {
        for (int i = 0; i < 256; i++) {
            nat_lower[i] = (unsigned char)tolower(i);
            nat_digit[i] = isdigit(i) != 0;
        }
        nat_ready = true;
    }
}

int natural_cmp(const char *sa, const char *sb)
{
    const unsigned char *a = (const unsigned char *)sa, *b = (const unsigned char *)sb;
    nat_init();
    while (*a != '\0' && *b != '\0') {
        if (nat_digit[*a] && nat_digit[*b]) {
            while (*a == '0') {
                a++;
            }
            while (*b == '0') {
                b++;
            }
            size_t la = 0, lb = 0;
            while (nat_digit[a[la]]) {
                la++;
            }
            while (nat_digit[b[lb]]) {
                lb++;
            }
            if (la != lb) {
                return la < lb ? -1 : 1;
            }
            int c = memcmp(a, b, la);
            if (c != 0) {
                return c < 0 ? -1 : 1;
            }
            a += la;
            b += lb;
            continue;
        }
        int ca = nat_lower[*a], cb = nat_lower[*b];
        if (ca != cb) {
            return ca < cb ? -1 : 1;
        }
        a++;
        b++;
    }
    return (*a != '\0') - (*b != '\0');
}

/*
 * Up to len bytes that order as natural_cmp does whenever they differ: the
 * lowered bytes, and a digit run as '0' (digits sort apart from every other
 * byte), its length without leading zeros, its digits. Shorter texts end in
 * zero bytes; equal keys leave the decision to natural_cmp.
 */
bool natural_key(unsigned char *k, size_t len, const char *t)
{
    nat_init();
    memset(k, 0, len);
    size_t n = 0;
    const unsigned char *u = (const unsigned char *)t;
    while (*u != '\0' && n < len) {
        if (!nat_digit[*u]) {
            k[n++] = nat_lower[*u++];
            continue;
        }
        while (*u == '0') {
            u++;
        }
        size_t run = 0;
        while (nat_digit[u[run]]) {
            run++;
        }
        k[n++] = '0';
        if (n == len) {
            break;
        }
        k[n++] = (unsigned char)(run > 255 ? 255 : run);
        if (run > 255 || n + run > len) {
            for (size_t i = 0; i < run && n < len; i++) {
                k[n++] = u[i];
            }
            return false; /* cut: natural_cmp decides equal keys */
        }
        memcpy(k + n, u, run);
        n += run;
        u += run;
    }
    return *u == '\0';
}
