/*
 * web_partner.c - the partner pages of the web interface (being written).
 */
#include "web/web.h"

const vios_web_route vios_web_partner_routes[] = {
	{ NULL, 0, NULL, NULL },
};
