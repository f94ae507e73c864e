/* libstream: version of the headers and of the library at run time. */
#ifndef LIBSTREAM_VERSION_H
#define LIBSTREAM_VERSION_H

#include "common.h"

LS_BEGIN_DECLS

/** Version of these headers as 0xMMmmpp00 (major, minor, patch). */
#define LS_VERSION 0x00010000

/** The library's version as an int like LS_VERSION. Never fails. */
LS_EXPORT int ls_version(void);

/** The library's version as "major.minor.patch"; static storage, never NULL. */
LS_EXPORT const char *ls_version_str(void);

LS_END_DECLS

#endif
