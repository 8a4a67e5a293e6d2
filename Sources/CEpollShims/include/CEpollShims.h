// Linux's epoll and eventfd, which the Swift Glibc module does not export (CurlSocketEvents:
// libcurl's multi_socket API waits on them).
#ifndef CEPOLLSHIMS_H
#define CEPOLLSHIMS_H

#include <sys/epoll.h>
#include <sys/eventfd.h>

#endif
