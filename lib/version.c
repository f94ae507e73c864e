/* libstream: version. */
#include "libstream/version.h"

int ls_version(void) { return LS_VERSION; }

const char *ls_version_str(void) { return "0.1.0"; }
