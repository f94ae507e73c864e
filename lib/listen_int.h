/* libstream: a listening TCP socket for the embedded HTTP servers (the
 * HTTP source and the monitor), opened by us so that a bad address or a
 * busy port gets a precise error (libmicrohttpd reports none).  Not
 * installed. */
#ifndef LS_LISTEN_INT_H
#define LS_LISTEN_INT_H

#include <netdb.h>

#include "libstream/error.h"

/* Resolve addr:port for listening into *out (freeaddrinfo() it), or
 * LS_ERR_INVALID_ARG "invalid value "ADDR" for WHAT: reason". */
ls_error_t *ls__listen_resolve(const char *addr, int port, const char *what,
                               struct addrinfo **out);

/* Listen on addr:port (port 0: a free one), non-blocking, close-on-exec.
 * what names the setting in errors (e.g. "httpsrc.bind").  Fills *fd,
 * *ipv6 (non-zero for an IPv6 socket) and *bound_port.  Errors:
 * LS_ERR_INVALID_ARG for an address that does not resolve, LS_ERR_IO
 * for socket/bind/listen failures (port in use, permission). */
ls_error_t *ls__listen_tcp(const char *addr, int port, const char *what,
                           int *fd, int *ipv6, int *bound_port);

#endif
