/* SPDX-License-Identifier: MIT */
/* The drainer's doorbell (see bell.h). */
#include "source/bell.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/error.h"

int apc__bell_init(apc__bell_t *b)
{
    atomic_init(&b->sleeping, 0);
    b->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    return b->fd < 0 ? apc__err_errno(errno, "cannot create an eventfd") : 0;
}

void apc__bell_destroy(apc__bell_t *b)
{
    if (b->fd >= 0)
        close(b->fd);
    b->fd = -1;
}

void apc__bell_ring(apc__bell_t *b)
{
    /* The work was published before this fence; the drainer's flag is read after it. */
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&b->sleeping, memory_order_relaxed) &&
        atomic_exchange(&b->sleeping, 0)) {
        uint64_t one = 1;
        /* EAGAIN: the counter is already non-zero, the drainer will wake anyway. */
        ssize_t w = write(b->fd, &one, sizeof one);
        (void)w;
    }
}

void apc__bell_prepare(apc__bell_t *b)
{
    atomic_store(&b->sleeping, 1);
    atomic_thread_fence(memory_order_seq_cst);
}

void apc__bell_cancel(apc__bell_t *b)
{
    atomic_store(&b->sleeping, 0);
}

void apc__bell_wait(apc__bell_t *b, int timeout_ms)
{
    struct pollfd p = {.fd = b->fd, .events = POLLIN};
    if (poll(&p, 1, timeout_ms) > 0) {
        uint64_t v;
        ssize_t r = read(b->fd, &v, sizeof v); /* resets the counter */
        (void)r;
    }
    atomic_store(&b->sleeping, 0);
}
