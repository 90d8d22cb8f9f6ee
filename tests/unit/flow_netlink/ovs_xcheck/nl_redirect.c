// SPDX-License-Identifier: GPL-2.0
// LD_PRELOAD shim for the ovs-dpctl cross-check: every AF_NETLINK socket the
// program opens becomes a SOCK_SEQPACKET Unix socket connected to the fake
// kernel at $NL_REDIRECT_PATH (one netlink message or batch per datagram,
// as on a real netlink socket). The first datagram on each connection tells
// the fake kernel the netlink protocol. Netlink-only socket calls (connect
// to the kernel, bind, getsockname, SOL_NETLINK options) are answered here.
// Nothing reaches the real kernel's netlink.
//
// The kernel answers a netlink request before sendmsg() returns, and OVS
// relies on it (a non-blocking receive right after sending finds every
// reply, or none when there is none). So each socket has a second
// connection, and a send returns only once the fake kernel has queued all its
// replies and then written one byte on that second connection.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_FDS 4096
static uint32_t fake_pid[MAX_FDS]; // 0: not ours
static int sync_fd[MAX_FDS];
static uint32_t next_pid = 1;

static int (*real_socket)(int, int, int);
static int (*real_connect)(int, const struct sockaddr*, socklen_t);

static int connect_fake_kernel(const char* path, int type_flags, const char hello[8], uint32_t token)
{
    int fd = real_socket(AF_UNIX, SOCK_SEQPACKET | type_flags, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);
    char msg[12];
    memcpy(msg, hello, 8);
    memcpy(msg + 8, &token, 4);
    if (real_connect(fd, (struct sockaddr*)&sun, sizeof(sun)) < 0 || send(fd, msg, sizeof(msg), 0) != sizeof(msg)) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

// After a request went out: wait for the fake kernel to have answered it.
static void wait_for_kernel(int fd)
{
    char c;
    while (recv(sync_fd[fd], &c, 1, 0) < 0 && errno == EINTR)
        ;
}

static int is_fake(int fd) { return fd >= 0 && fd < MAX_FDS && fake_pid[fd]; }

int socket(int domain, int type, int protocol)
{
    if (!real_socket)
        real_socket = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
    if (!real_connect)
        real_connect = (int (*)(int, const struct sockaddr*, socklen_t))dlsym(RTLD_NEXT, "connect");
    if (domain != AF_NETLINK)
        return real_socket(domain, type, protocol);

    const char* path = getenv("NL_REDIRECT_PATH");
    if (!path) {
        errno = EAFNOSUPPORT;
        return -1;
    }
    uint32_t pid = (uint32_t)(getpid() & 0xfffff) | (next_pid++ << 20);
    char hello[8] = { 'P', 'R', 'O', 'T' };
    uint32_t p = (uint32_t)protocol;
    memcpy(hello + 4, &p, 4);
    int fd = connect_fake_kernel(path, type & (SOCK_CLOEXEC | SOCK_NONBLOCK), hello, pid);
    if (fd < 0)
        return -1;
    char sync_hello[8] = { 'S', 'Y', 'N', 'C', 0, 0, 0, 0 };
    int sfd = connect_fake_kernel(path, SOCK_CLOEXEC, sync_hello, pid);
    if (sfd < 0 || fd >= MAX_FDS) {
        close(fd);
        if (sfd >= 0)
            close(sfd);
        errno = EMFILE;
        return -1;
    }
    fake_pid[fd] = pid;
    sync_fd[fd] = sfd;
    return fd;
}

int connect(int fd, const struct sockaddr* addr, socklen_t len)
{
    if (!real_connect)
        real_connect = (int (*)(int, const struct sockaddr*, socklen_t))dlsym(RTLD_NEXT, "connect");
    if (is_fake(fd))
        return 0;
    return real_connect(fd, addr, len);
}

int bind(int fd, const struct sockaddr* addr, socklen_t len)
{
    static int (*real_bind)(int, const struct sockaddr*, socklen_t);
    if (!real_bind)
        real_bind = (int (*)(int, const struct sockaddr*, socklen_t))dlsym(RTLD_NEXT, "bind");
    if (is_fake(fd))
        return 0;
    return real_bind(fd, addr, len);
}

int getsockname(int fd, struct sockaddr* addr, socklen_t* len)
{
    static int (*real_getsockname)(int, struct sockaddr*, socklen_t*);
    if (!real_getsockname)
        real_getsockname = (int (*)(int, struct sockaddr*, socklen_t*))dlsym(RTLD_NEXT, "getsockname");
    if (!is_fake(fd))
        return real_getsockname(fd, addr, len);
    struct sockaddr_nl nl;
    memset(&nl, 0, sizeof(nl));
    nl.nl_family = AF_NETLINK;
    nl.nl_pid = fake_pid[fd];
    socklen_t n = *len < sizeof(nl) ? *len : sizeof(nl);
    memcpy(addr, &nl, n);
    *len = sizeof(nl);
    return 0;
}

int setsockopt(int fd, int level, int name, const void* val, socklen_t len)
{
    static int (*real_setsockopt)(int, int, int, const void*, socklen_t);
    if (!real_setsockopt)
        real_setsockopt = (int (*)(int, int, int, const void*, socklen_t))dlsym(RTLD_NEXT, "setsockopt");
    if (is_fake(fd) && level != SOL_SOCKET)
        return 0;
    return real_setsockopt(fd, level, name, val, len);
}

int close(int fd)
{
    static int (*real_close)(int);
    if (!real_close)
        real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
    if (fd >= 0 && fd < MAX_FDS && fake_pid[fd]) {
        fake_pid[fd] = 0;
        real_close(sync_fd[fd]);
    }
    return real_close(fd);
}

// Messages "to the kernel" drop their netlink address; messages "from the
// kernel" come from pid 0.
ssize_t sendmsg(int fd, const struct msghdr* msg, int flags)
{
    static ssize_t (*real_sendmsg)(int, const struct msghdr*, int);
    if (!real_sendmsg)
        real_sendmsg = (ssize_t(*)(int, const struct msghdr*, int))dlsym(RTLD_NEXT, "sendmsg");
    if (!is_fake(fd))
        return real_sendmsg(fd, msg, flags);
    struct msghdr m = *msg;
    m.msg_name = NULL;
    m.msg_namelen = 0;
    m.msg_control = NULL;
    m.msg_controllen = 0;
    ssize_t r = real_sendmsg(fd, &m, flags);
    if (r >= 0)
        wait_for_kernel(fd);
    return r;
}

ssize_t send(int fd, const void* buf, size_t len, int flags)
{
    static ssize_t (*real_send)(int, const void*, size_t, int);
    if (!real_send)
        real_send = (ssize_t(*)(int, const void*, size_t, int))dlsym(RTLD_NEXT, "send");
    ssize_t r = real_send(fd, buf, len, flags);
    if (r >= 0 && is_fake(fd))
        wait_for_kernel(fd);
    return r;
}

ssize_t sendto(int fd, const void* buf, size_t len, int flags, const struct sockaddr* addr, socklen_t alen)
{
    static ssize_t (*real_sendto)(int, const void*, size_t, int, const struct sockaddr*, socklen_t);
    if (!real_sendto)
        real_sendto = (ssize_t(*)(int, const void*, size_t, int, const struct sockaddr*, socklen_t))dlsym(RTLD_NEXT, "sendto");
    if (!is_fake(fd))
        return real_sendto(fd, buf, len, flags, addr, alen);
    ssize_t r = real_sendto(fd, buf, len, flags, NULL, 0);
    if (r >= 0)
        wait_for_kernel(fd);
    return r;
}

ssize_t recvmsg(int fd, struct msghdr* msg, int flags)
{
    static ssize_t (*real_recvmsg)(int, struct msghdr*, int);
    if (!real_recvmsg)
        real_recvmsg = (ssize_t(*)(int, struct msghdr*, int))dlsym(RTLD_NEXT, "recvmsg");
    if (!is_fake(fd))
        return real_recvmsg(fd, msg, flags);
    void* name = msg->msg_name;
    socklen_t namelen = msg->msg_namelen;
    msg->msg_name = NULL;
    msg->msg_namelen = 0;
    ssize_t r = real_recvmsg(fd, msg, flags);
    msg->msg_name = name;
    if (name && namelen >= sizeof(struct sockaddr_nl)) {
        struct sockaddr_nl nl;
        memset(&nl, 0, sizeof(nl));
        nl.nl_family = AF_NETLINK;
        memcpy(name, &nl, sizeof(nl));
        msg->msg_namelen = sizeof(nl);
    } else {
        msg->msg_namelen = 0;
    }
    return r;
}
