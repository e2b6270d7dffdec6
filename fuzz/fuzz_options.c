/*
 * fuzz_options.c — libFuzzer harness for the command line: whole command
 * lines through cli_parse (cli/cli.h: getopt, every option's value, the
 * post-parse checks, ports, targets and nmap-services), and the value
 * parsers it calls checked against their own contracts.
 *
 * Input: byte 0 picks the mode, the rest is text.
 *   mode 0-7: the text is a command line, one word per line ('\n' or NUL
 *     separates words; at most 64 words), parsed as "prtip WORD...".
 *   8: --scanflags value (tcp_scanflags_parse; its format parses back);
 *   9: a time value (timing_parse_time); 10: a -T level;
 *   11: --shard value; 12: an address literal (ipaddr_parse; its text
 *     form parses back to the same address).
 * A value parser's refusal must say something; that it is one line is the
 * command line's promise (cli_fail), checked in modes 0-7.
 *
 * The harness keeps the command line away from the machine: names resolve
 * through fake_dns.h, nmap-services is a small file the harness writes to
 * a private data directory, stdin is /dev/null, and a word with '/'
 * followed by anything but a digit (a path such as /dev/zero for -iL) is
 * refused, so only CIDR suffixes and relative paths remain. Messages go to
 * a memory stream: a refused command line must say why in lines starting
 * "prtip: " (or nmap's "Failed to resolve" warning), the last one the error.
 *
 *   fuzz_options -max_total_time=60 fuzz/corpus/options
 */
#include "cli/cli.h"
#include "core/addr.h"
#include "core/permute.h"
#include "core/timing.h"
#include "fake_dns.h"
#include "scan/tcp_classify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_WORDS 64

/* Ours, written for this harness: a few names, ports and frequencies. */
static const char services_text[] = "ftp\t21/tcp\t0.197667\n"
                                    "ssh\t22/tcp\t0.182286\n"
                                    "domain\t53/udp\t0.213496\n"
                                    "domain\t53/tcp\t0.048463\n"
                                    "http\t80/tcp\t0.484143\n"
                                    "https\t443/tcp\t0.208669\n"
                                    "snmp\t161/udp\t0.433467\n"
                                    "http-alt\t8080/tcp\t0.042903\n"
                                    "sctp-echo\t7/sctp\t0.000010\n";

static char dir[] = "/tmp/prtip-fuzz-options-XXXXXX";
static char path[sizeof dir + 32];

static void cleanup(void)
{
    unlink(path);
    rmdir(dir);
}

static int setup(void)
{
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/nmap-services", dir);
    atexit(cleanup);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(services_text, f);
    fclose(f);
    setenv("PRTIP_DATADIR", dir, 1);
    /* -h, -V and --iflist print here; -iL - reads here. */
    if (!freopen("/dev/null", "r", stdin))
        return -1;
    stdout = fopen("/dev/null", "w");
    return stdout ? 0 : -1;
}

static bool safe_word(const char *w)
{
    for (const char *s = strchr(w, '/'); s; s = strchr(s + 1, '/'))
        if (s[1] < '0' || s[1] > '9')
            return false;
    return true;
}

static void command_line(const char *text, size_t len)
{
    char *argv[MAX_WORDS + 2];
    int argc = 0;
    argv[argc++] = "prtip";
    char *copy = malloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, text, len);
    copy[len] = '\0';
    for (char *w = copy; w <= copy + len && argc <= MAX_WORDS;) {
        size_t n = strcspn(w, "\n");
        w[n] = '\0';
        if (!safe_word(w))
            goto out;
        argv[argc++] = w;
        w += n + 1;
    }
    argv[argc] = NULL;

    char *msgs = NULL;
    size_t msglen = 0;
    FILE *saved = stderr;
    stderr = open_memstream(&msgs, &msglen);
    if (!stderr) {
        stderr = saved;
        goto out;
    }
    struct config scan;
    config_init(&scan);
    enum cli_result rc = cli_parse(argc, argv, &scan);
    fclose(stderr);
    stderr = saved;
    if (rc == CLI_ERROR && argc > 1) {
        /* Something was said, line by line, and the last line is prtip's. */
        if (msglen == 0 || msgs[msglen - 1] != '\n')
            __builtin_trap();
        msgs[msglen - 1] = '\0';
        const char *last = strrchr(msgs, '\n');
        last = last ? last + 1 : msgs;
        if (strncmp(last, "prtip: ", 7) != 0)
            __builtin_trap();
    }
    config_free(&scan);
    free(msgs);
out:
    free(copy);
}

static void value(int mode, const char *text)
{
    char err[512];
    switch (mode) {
    case 8: {
        uint8_t flags, again;
        char buf[32];
        if (tcp_scanflags_parse(text, &flags, err, sizeof err) == 0) {
            tcp_scanflags_format(flags, buf, sizeof buf);
            if (flags && (tcp_scanflags_parse(buf, &again, err, sizeof err) != 0 || again != flags))
                __builtin_trap();
        } else if (!err[0]) {
            __builtin_trap();
        }
        break;
    }
    case 9: {
        uint64_t ms;
        if (timing_parse_time(text, &ms, err, sizeof err) != 0 && !err[0])
            __builtin_trap();
        break;
    }
    case 10: {
        int level = timing_parse_level(text);
        if (level < -1 || level > 5)
            __builtin_trap();
        break;
    }
    case 11: {
        uint32_t shard, n;
        if (permute_parse_shard(text, &shard, &n, err, sizeof err) == 0) {
            if (n == 0 || shard >= n)
                __builtin_trap();
        } else if (!err[0]) {
            __builtin_trap();
        }
        break;
    }
    default: {
        struct ipaddr a, b;
        char buf[IPADDR_STRLEN];
        if (ipaddr_parse(text, &a) == 0) {
            if (ipaddr_parse(ipaddr_str(&a, buf, sizeof buf), &b) != 0 || !ipaddr_equal(&a, &b))
                __builtin_trap();
        }
        break;
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        if (setup() != 0)
            abort();
        ready = 1;
    }
    if (size < 1 || size > 2048)
        return 0;
    int mode = data[0] % 13;
    if (mode < 8) {
        /* NULs separate words too. */
        char *text = malloc(size);
        if (!text)
            return 0;
        for (size_t i = 1; i < size; i++)
            text[i - 1] = data[i] ? (char)data[i] : '\n';
        command_line(text, size - 1);
        free(text);
        return 0;
    }
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    value(mode, text);
    free(text);
    return 0;
}
