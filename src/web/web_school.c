/*
 * web_school.c - the school pages of the web interface (being written).
 */
#include "web/web.h"

const vios_web_route vios_web_school_routes[] = {
	{ NULL, 0, NULL, NULL },
};
