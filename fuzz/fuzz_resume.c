/*
 * fuzz_resume.c — libFuzzer harness for the --resume file reader
 * (output/resume.h: prtip resume files and nmap -oG logs) and for
 * --packet-trace's frame printer (net/trace.h, its TCP option walk).
 * The input is the file's content (through a memfd, since resume_load
 * reads a path) and, as a frame, goes to trace_frame for Ethernet and raw
 * IP, written to /dev/null. A loaded state must be self-consistent.
 *
 *   cmake -S . -B build-fuzz -DPRTIP_FUZZ=ON -DCMAKE_C_COMPILER=clang && \
 *       cmake --build build-fuzz --target fuzz_resume
 *   ./build-fuzz/fuzz_resume fuzz/corpus/resume -max_total_time=30
 */
#include "net/capture.h"
#include "net/trace.h"
#include "output/resume.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *null;
    if (!null)
        null = fopen("/dev/null", "w");
    int fd = memfd_create("resume", 0);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) == (ssize_t)size) {
        char path[64], err[512];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        struct resume_state rs;
        if (resume_load(path, &rs, err, sizeof err) == 0) {
            if (rs.argc < 1 || !rs.argv || rs.argv[rs.argc] != NULL)
                abort();
            for (size_t i = 0; i < rs.nhosts; i++)
                if (rs.hosts[i].nports > 65536 * 3)
                    abort();
            for (size_t i = 0; i < rs.npartial; i++)
                if (rs.partial[i].nports > 65536 * 3)
                    abort();
            if (rs.pos.valid && (rs.pos.nsenders == 0 || rs.pos.nsenders > SCAN_POS_MAX_SENDERS))
                abort();
            resume_free(&rs);
        }
    }
    close(fd);
    if (null) {
        trace_frame(null, 0.0, CAPTURE_OUT, CAPTURE_LINK_ETHERNET, data, size, size, false);
        trace_frame(null, 0.0, CAPTURE_IN, CAPTURE_LINK_RAW, data, size, size, true);
    }
    return 0;
}
