/*
 * bulk.c - see bulk.h. Every block starts with a header (64 bytes, so what
 * follows keeps any alignment malloc gives) saying how it was made.
 */
#include "util/bulk.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE (2u << 20)

typedef struct {
	size_t size;  /* bytes the caller asked for */
	size_t map;   /* bytes mapped at base; 0: from malloc */
	void *base;
} bulk_hdr;

#define HDR 64
_Static_assert(sizeof(bulk_hdr) <= HDR, "the header fits its room");

void *vios_bulk_alloc(size_t size)
{
	bulk_hdr h = { size, 0, NULL };
	char *p;

	if (size == 0 || size > SIZE_MAX - HDR - HUGE_PAGE)
		return NULL;
	if (size < VIOS_BULK_MIN) {
		if ((p = malloc(HDR + size)) == NULL)
			return NULL;
		h.base = p;
	} else {
		uintptr_t at;
		h.map = HDR + size + HUGE_PAGE;
		h.base = mmap(NULL, h.map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (h.base == MAP_FAILED)
			return NULL;
		/* from the first 2 MiB boundary: huge pages need it */
		at = ((uintptr_t)h.base + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
		p = (char *)at;
		/* a hint: refused (no THP in this kernel) it is an ordinary mapping */
		(void)madvise(p, h.map - (size_t)(at - (uintptr_t)h.base), MADV_HUGEPAGE);
	}
	memcpy(p, &h, sizeof(h));
	return p + HDR;
}

void *vios_bulk_realloc(void *p, size_t size)
{
	bulk_hdr h;
	void *q;

	if (p == NULL)
		return vios_bulk_alloc(size);
	memcpy(&h, (char *)p - HDR, sizeof(h));
	if ((q = vios_bulk_alloc(size)) == NULL)
		return NULL;
	memcpy(q, p, h.size < size ? h.size : size);
	vios_bulk_free(p);
	return q;
}

void vios_bulk_free(void *p)
{
	bulk_hdr h;

	if (p == NULL)
		return;
	memcpy(&h, (char *)p - HDR, sizeof(h));
	if (h.map)
		munmap(h.base, h.map);
	else
		free(h.base);
}
