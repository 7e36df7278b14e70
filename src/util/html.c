/*
 * html.c - the one HTML escaping rule (html.h).
 */
#include "util/html.h"

#include <stddef.h>

const char *vios_html_entity(int c)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	default: return NULL;
	}
}
