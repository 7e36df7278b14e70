/*
 * web_hub.c - the hub pages of the web interface (being written).
 */
#include "web/web.h"

const vios_web_route vios_web_hub_routes[] = {
	{ NULL, 0, NULL, NULL },
};
