/* libstream: listening sockets for the embedded HTTP servers. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listen_int.h"

ls_error_t *ls__listen_resolve(const char *addr, int port, const char *what,
                               struct addrinfo **out)
{
    struct addrinfo hints;
    char ps[16];
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(ps, sizeof(ps), "%d", port);
    *out = NULL;
    int rc = getaddrinfo(addr, ps, &hints, out);
    if (rc)
        return ls_error_new(LS_ERR_INVALID_ARG, "invalid value \"%s\" for "
                            "%s: %s", addr, what, gai_strerror(rc));
    return NULL;
}

ls_error_t *ls__listen_tcp(const char *addr, int port, const char *what,
                           int *fd, int *ipv6, int *bound_port)
{
    struct addrinfo *ai = NULL;
    ls_error_t *err = ls__listen_resolve(addr, port, what, &ai);
    if (err)
        return err;
    int s = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        int e = errno;
        freeaddrinfo(ai);
        return ls_error_new(LS_ERR_IO, "listen on %s port %d: socket: %s",
                            addr, port, strerror(e));
    }
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    *ipv6 = ai->ai_family == AF_INET6;
    if (bind(s, ai->ai_addr, ai->ai_addrlen) || listen(s, 256)) {
        int e = errno;
        freeaddrinfo(ai);
        close(s);
        return ls_error_new(LS_ERR_IO, "listen on %s port %d: %s", addr, port,
                            strerror(e));
    }
    freeaddrinfo(ai);
    fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    *bound_port = port;
    if (!getsockname(s, (struct sockaddr *)&ss, &sl))
        *bound_port = ss.ss_family == AF_INET6
                          ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                          : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    *fd = s;
    return NULL;
}
