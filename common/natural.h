/*
 * Natural order for names, as tables sort them: "web2" < "web10". Digit runs
 * compare by value (leading zeros ignored), every other byte
 * case-insensitively (tolower in the C locale). natural_key writes a prefix
 * of a text such that two keys that differ order as natural_cmp orders their
 * texts, so a sort of 100,000 names compares memory, not strings; equal keys
 * leave the decision to natural_cmp.
 */
#ifndef OPSDECK_NATURAL_H
#define OPSDECK_NATURAL_H

#include <stdbool.h>
#include <stddef.h>

/* <0, 0 or >0 as a sorts before, with or after b. */
int natural_cmp(const char *a, const char *b);
/* Fill k[len] with t's key; true when the key holds the whole text. */
bool natural_key(unsigned char *k, size_t len, const char *t);

#endif
