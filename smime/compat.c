/*
 * compat.c - fallbacks for library calls outside C11/POSIX.1-2008 that
 * some C libraries lack (configure's AC_CHECK_FUNCS decides; the
 * prototypes are in config.h).  On glibc both are provided and this file
 * compiles to nothing.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef HAVE_REALLOCARRAY
/*
 * reallocarray - realloc(ptr, nmemb * size) that fails with ENOMEM instead
 * of overflowing the multiplication (OpenBSD semantics).  Returns the new
 * block (the caller frees it) or NULL with ptr left untouched.
 */
void *
reallocarray(void *ptr, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(ptr, nmemb * size);
}
#endif

#ifndef HAVE_MEMMEM
/*
 * memmem - first occurrence of the nlen bytes at needle in the hlen bytes
 * at haystack; a pointer into haystack, or NULL.  An empty needle matches
 * at haystack (glibc semantics).
 */
void *
memmem(const void *haystack, size_t hlen, const void *needle, size_t nlen)
{
	const unsigned char *h = haystack;
	size_t i;

	if (nlen == 0)
		return (void *)h;
	for (i = 0; nlen <= hlen && i <= hlen - nlen; i++) {
		if (h[i] == *(const unsigned char *)needle &&
		    memcmp(h + i, needle, nlen) == 0)
			return (void *)(h + i);
	}
	return NULL;
}
#endif

/* ISO C forbids an empty translation unit. */
typedef int smime_compat_unused;
