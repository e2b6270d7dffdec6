"""Read one counter every millisecond until SIGTERM, for the bench scripts.

    python3 bench/sampler.py sysfs PATH              a statistics file such as
                                                     /sys/class/net/IF/statistics/rx_packets
                                                     (one pread of the open file a read)
    python3 bench/sampler.py nft FAMILY TABLE NAME   an nftables named counter, read
                                                     in-process through libnftables
                                                     (~50 us a read)

Run it in the namespace that owns the counter. Prints "ready" once the first
read worked, then, after SIGTERM, one "t count" line per sample (t in
seconds of CLOCK_MONOTONIC).
"""
import os
import signal
import sys
import time


def sysfs_reader(path):
    fd = os.open(path, os.O_RDONLY)
    return lambda: int(os.pread(fd, 64, 0))


def nft_reader(family, table, name):
    import ctypes
    import re

    lib = ctypes.CDLL("libnftables.so.1")
    lib.nft_ctx_new.restype = ctypes.c_void_p
    for fn in ("nft_ctx_buffer_output", "nft_ctx_buffer_error", "nft_ctx_get_output_buffer"):
        getattr(lib, fn).argtypes = [ctypes.c_void_p]
    lib.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.nft_ctx_get_output_buffer.restype = ctypes.c_char_p
    ctx = lib.nft_ctx_new(0)
    lib.nft_ctx_buffer_output(ctx)
    lib.nft_ctx_buffer_error(ctx)
    cmd = f"list counter {family} {table} {name}".encode()
    pat = re.compile(rb"packets (\d+)")

    def read():
        if lib.nft_run_cmd_from_buffer(ctx, cmd) != 0:
            sys.exit(f"sampler: cannot read counter {name} of {family} {table}")
        return int(pat.search(lib.nft_ctx_get_output_buffer(ctx)).group(1))

    return read


def main(argv):
    if len(argv) == 3 and argv[1] == "sysfs":
        read = sysfs_reader(argv[2])
    elif len(argv) == 5 and argv[1] == "nft":
        read = nft_reader(*argv[2:5])
    else:
        sys.exit(__doc__)
    out, stop = [], False

    def on_term(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    read()
    print("ready", flush=True)
    while not stop:
        out.append((time.monotonic(), read()))
        time.sleep(0.001)
    out.append((time.monotonic(), read()))
    sys.stdout.write("".join(f"{t:.6f} {v}\n" for t, v in out))


if __name__ == "__main__":
    main(sys.argv)
