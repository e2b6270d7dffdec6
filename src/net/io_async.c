/*
 * io_async.c — closing packet sockets without waiting (io.h): the close of
 * an AF_PACKET socket waits for an RCU grace period in the kernel
 * (synchronize_net in packet_release, once more to free a ring), which a
 * scan that has its answers need not sit through.
 */
#include "net/io.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

/* Run fn(arg) on a detached thread; false when none could be started. */
static bool detach(void *(*fn)(void *), void *arg)
{
    pthread_t th;
    pthread_attr_t a;
    if (pthread_attr_init(&a) != 0)
        return false;
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&th, &a, fn, arg);
    pthread_attr_destroy(&a);
    return rc == 0;
}

static void *rx_close_thread(void *arg)
{
    rx_close(arg);
    return NULL;
}

static void *tx_close_thread(void *arg)
{
    tx_close(arg);
    return NULL;
}

static void *fd_close_thread(void *arg)
{
    close((int)(intptr_t)arg);
    return NULL;
}

void rx_close_async(struct rx *r)
{
    if (r && !detach(rx_close_thread, r))
        rx_close(r);
}

void tx_close_async(struct tx *t)
{
    if (t && !detach(tx_close_thread, t))
        tx_close(t);
}

void io_close_fd_async(int fd)
{
    if (fd >= 0 && !detach(fd_close_thread, (void *)(intptr_t)fd))
        close(fd);
}
