/*
 * usage.c — the -h text, in nmap's layout and grouping, listing only what
 * works today, and the -V text. The scan types, output formats and discovery probes are
 * printed from their tables (scan_modules[], output_modules[],
 * disc_options[]), and so are the man page's lists of them
 * (cli_man_lists, checked against docs/prtip.1 by a test). The rest of
 * docs/prtip.1 says the same things as the text here; change both together.
 */
#include "cli/cli.h"
#include "output/output.h"
#include "scan/disc_modules.h"
#include "scan/scan_module.h"

#include <string.h>

#ifndef PRTIP_VERSION
#define PRTIP_VERSION "0.0.0"
#endif

static const char usage_head[] =
    "Usage: prtip [Scan Type(s)] [Options] {target specification}\n"
    "TARGET SPECIFICATION:\n"
    "  Can pass hostnames, IP addresses, networks, etc.\n"
    "  Ex: localhost, 127.0.0.1, 198.18.0.0/24, 198.18.0-1.1-254, ::1, fd00::/120\n"
    "  -iL <inputfilename>: Input from list of hosts/networks (- is stdin)\n"
    "  --exclude <host1[,host2][,host3],...>: Exclude hosts/networks\n"
    "  --excludefile <exclude_file>: Exclude list from file\n"
    "  -4/-6: Use IPv4 only / IPv6 only for host names and literals\n"
    "HOST DISCOVERY:\n"
    "  -sL: List Scan - simply list targets to scan\n"
    "  -sn: Ping Scan - disable port scan\n"
    "  -Pn: Treat all hosts as online -- skip host discovery\n";
/* disc_options[] here */
static const char usage_disc_tail[] =
    "  --disable-arp-ping: No ARP or ND ping, even for local targets\n"
    "  Default as root: ARP/ND for local targets, else ICMP echo, SYN to 443,\n"
    "  ACK to 80 and ICMP timestamp; without root: connect to 80 and 443.\n"
    "  -n/-R: Never do DNS resolution/Always resolve [default: sometimes]\n"
    "  --system-dns: Use OS's DNS resolver (the default and only one so far)\n"
    "SCAN TECHNIQUES:\n";
/* scan_modules[] here */
static const char usage_scan_tail[] =
    "  --scanflags <flags>: Customize TCP scan flags (SYNFIN, URGPSHFIN, 0x29 ...)\n"
    "  Default: -sS as root, else -sT. One TCP scan type per run; all but -sT\n"
    "  send raw packets and need root or CAP_NET_RAW.\n"
    "PORT SPECIFICATION AND SCAN ORDER:\n"
    "  -p <port ranges>: Only scan specified ports\n"
    "    Ex: -p22; -p1-65535; -p-; -p 21-25,80,443,8080; -p T:22,http*\n"
    "  --exclude-ports <port ranges>: Exclude the specified ports from scanning\n"
    "  -F: Fast mode - Scan fewer ports than the default scan (top 100)\n"
    "  -r: Scan ports sequentially - don't randomize\n"
    "  --top-ports <number>: Scan <number> most common ports (within -p if given)\n"
    "OS DETECTION:\n"
    "  -O: Enable OS detection (IPv4; nmap-os-db from the data directory)\n"
    "  --osscan-limit: Limit OS detection to promising targets\n"
    "  --osscan-guess: Guess OS more aggressively\n"
    "  --max-os-tries <n>: Sends of an unanswered OS probe [5]\n"
    "  --os-db <file>: Read this nmap-os-db instead\n"
    "  --os-passive: Guess the OS of every host from the SYN scan's SYN-ACKs (O1/W1/T1 only)\n"
    "SERVICE/VERSION DETECTION:\n"
    "  -sV: Probe open ports to determine service/version info (nmap-service-probes)\n"
    "  --version-intensity <level>: Set from 0 (light) to 9 (try all probes)\n"
    "  --version-light: Limit to most likely probes (intensity 2)\n"
    "  --version-all: Try every single probe (intensity 9)\n"
    "  --version-trace: Show detailed version scan activity (for debugging)\n"
    "  --version-timeout <time>: Cap the wait for any one probe's reply\n"
    "  --versiondb <file>: Read probes from <file> instead of nmap-service-probes\n"
    "  --allports: Also probe the ports nmap-service-probes excludes (9100-9107)\n"
    "  -A: Aggressive scan: -sV -O so far (scripts and traceroute are planned)\n"
    "TIMING AND PERFORMANCE:\n"
    "  Options which take <time> are in seconds, or append 'ms' (milliseconds),\n"
    "  's' (seconds), 'm' (minutes), or 'h' (hours) to the value (e.g. 30m).\n"
    "  -T<0-5>: Set timing template (higher is faster)\n"
    "  --min-hostgroup/max-hostgroup <size>: Parallel host scan group sizes\n"
    "  --min-parallelism/max-parallelism <numprobes>: Probe parallelization\n"
    "  --min-rtt-timeout/max-rtt-timeout/initial-rtt-timeout <time>: Specifies\n"
    "      probe round trip time.\n"
    "  --max-retries <tries>: Caps number of port scan probe retransmissions.\n"
    "  --host-timeout <time>: Give up on target after this long\n"
    "  --scan-delay/--max-scan-delay <time>: Adjust delay between probes\n"
    "  --min-rate <number>: Send packets no slower than <number> per second\n"
    "  --max-rate <number>: Send packets no faster than <number> per second\n"
    "  --rate <number>: Raw scans: send <number> packets per second (masscan)\n"
    "  --wait <time>: Raw scans: time to wait for replies after the last probe\n"
    "FIREWALL/IDS EVASION AND SPOOFING (raw scans):\n"
    "  -S <IP_Address>: Spoof source address\n"
    "  -e <iface>: Use specified interface\n"
    "  -g/--source-port <portnum>: Use given port number\n"
    "RAW PACKET I/O AND SCALE (raw scans):\n"
    "  --shard <i/n|auto>: Scan shard i of n (1/n .. n/n), same --seed on every machine;\n"
    "      auto: from a Kubernetes Indexed Job or a Slurm job array (docs/SCALE.md)\n"
    "  --send-method <auto|raw|packet|ring>: How probes are sent\n"
    "  --sender-threads <n>: Send from n threads, each with its own socket (1-16)\n"
    "  --send-eth/--send-ip: Send using raw ethernet frames or IP packets\n"
    "      (--send-method packet / raw)\n"
    "  --recv-method <auto|ring|pcap|socket>: How replies are captured\n"
    "  --dry-run: Print the probes instead of sending them\n"
    "  --stats-every <time>: Print nmap's Stats lines (and XML taskprogress) this often\n"
    "OUTPUT:\n";
/* output_modules[] here */
static const char usage_tail[] =
    "  -v: Increase verbosity level (use -vv or -v3 for more)\n"
    "  -d: Increase debugging level (use -dd or -d3 for more)\n"
    "  --reason: Display the reason a port is in a particular state\n"
    "  --open: Only show open (or possibly open) ports\n"
    "  --append-output: Append to rather than clobber specified output files\n"
    "  --stylesheet <path/URL>: XSL stylesheet to transform XML output to HTML\n"
    "  --webxml: Reference stylesheet from Nmap.Org for more portable XML\n"
    "  --no-stylesheet: Prevent associating of XSL stylesheet w/XML output\n"
    "  --packet-trace: Show all packets sent and received\n"
    "  --packet-capture <file>: Write every frame sent and received as PCAPNG\n"
    "  --resume <filename>: Resume an aborted scan\n"
    "STORAGE (prtip db --help for the stored scans):\n"
    "  --db <file|postgresql://...|pg:>: Store the scan in a SQLite file or PostgreSQL\n"
    "  --db-default: Store it in $XDG_DATA_HOME/prtip/scans.db (~/.local/share/prtip)\n"
    "  --db-job <name>: Group scans as one (the shards of one --shard scan)\n"
    "MISC:\n"
    "  --datadir <dirname>: Look for nmap's data files here first\n"
    "  --privileged: Assume that the user is fully privileged (-sS by default)\n"
    "  --unprivileged: Assume the user lacks raw socket privileges (-sT, connect ping)\n"
    "  --iflist: Print host interfaces and routes (for debugging)\n"
    "  --noninteractive: Disable runtime interactions via keyboard (a key prints the status)\n"
    "  --seed <number>: Seed the random probe order (default: a fresh random seed)\n"
    "  -V: Print version number\n"
    "  -h: Print this help summary page.\n"
    "EXAMPLES:\n"
    "  prtip 127.0.0.1\n"
    "  prtip -sT -p 22,80,443 -T4 127.0.0.1\n"
    "  prtip -p- --open --reason -oA lab 198.18.0.1\n"
    "  prtip -F -Pn 198.18.0.0/24 --exclude 198.18.0.1\n"
    "  prtip -sn 198.18.0.0/24\n"
    "  prtip -sL -n 198.18.0.0/30\n"
    "  prtip -sS -p 1-1000 --rate 10000 198.18.0.0/24\n"
    "  prtip -sA --scanflags FIN -p 22,80 -Pn 198.18.0.2\n"
    "  prtip -sS -p 80 --shard 1/2 --seed 7 --dry-run 198.18.0.0/15\n"
    "  prtip -F --db-default 198.18.0.0/24; prtip db compare previous latest\n"
    "SEE THE MAN PAGE (man prtip) FOR MORE OPTIONS AND EXAMPLES\n";

/* The modules that -oA writes, in table order. */
static size_t oa_modules(const struct output_module *out[], size_t max)
{
    size_t n = 0;
    for (size_t i = 0; output_modules[i] && n < max; i++)
        if (output_modules[i]->ext && output_modules[i]->option[0])
            out[n++] = output_modules[i];
    return n;
}

static const char *const count_words[] = {"no", "one", "two", "three", "four", "five", "six"};

void cli_usage(FILE *fp)
{
    fprintf(fp, "prtip %s ( nmap-compatible network scanner )\n", PRTIP_VERSION);
    fputs(usage_head, fp);
    for (const struct disc_option *d = disc_options; d->option; d++)
        fprintf(fp, "  %s%s: %s\n", d->option, d->default_ports ? "[portlist]" : "", d->help);
    fputs(usage_disc_tail, fp);
    for (size_t i = 0; scan_modules[i]; i++)
        fprintf(fp, "  %s: %s\n", scan_modules[i]->option, scan_modules[i]->help);
    fputs(usage_scan_tail, fp);
    for (size_t i = 0; output_modules[i]; i++)
        if (output_modules[i]->option[0])
            fprintf(fp, "  %s <file>: %s\n", output_modules[i]->option, output_modules[i]->summary);
    fputs("     (- as <file> is standard output)\n", fp);
    const struct output_module *oa[8];
    size_t n = oa_modules(oa, 8);
    fprintf(fp, "  -oA <basename>: Output in the %s formats at once\n     (",
            n < sizeof(count_words) / sizeof(count_words[0]) ? count_words[n] : "main");
    for (size_t i = 0; i < n; i++)
        fprintf(fp, "%s%s.%s",
                i == 0       ? "<basename>"
                : i + 1 == n ? " and "
                             : ", ",
                i == 0 ? "" : "", oa[i]->ext);
    fputs(")\n", fp);
    fputs(usage_tail, fp);
}

/* Text for roff: "-" is a hyphen there, "\-" the minus of option names. */
static void roff_text(FILE *fp, const char *s)
{
    for (; *s; s++) {
        if (*s == '-' || *s == '\\')
            fputc('\\', fp);
        fputc(*s, fp);
    }
}

/* A marker line pair around each generated list: the man page holds the
 * text between them verbatim, and the test compares it with this output. */
static void man_begin(FILE *fp, const char *what, const char *table)
{
    fprintf(fp, ".\\\" BEGIN %s: generated from %s by prtip --help-man-lists\n", what, table);
}

static void man_end(FILE *fp, const char *what)
{
    fprintf(fp, ".\\\" END %s\n", what);
}

void cli_man_lists(FILE *fp)
{
    man_begin(fp, "discovery probes", "disc_options[] (src/scan/disc_modules.c)");
    for (const struct disc_option *d = disc_options; d->option; d++) {
        fputs(".TP\n.B ", fp);
        roff_text(fp, d->option);
        if (d->default_ports)
            fputs("\\fR[\\fIportlist\\fR]", fp);
        fputc('\n', fp);
        roff_text(fp, d->help);
        if (d->default_ports) {
            fputs(" (default ", fp);
            roff_text(fp, d->default_ports);
            fputc(')', fp);
        }
        fputs(".\n", fp);
    }
    man_end(fp, "discovery probes");

    man_begin(fp, "scan types", "scan_modules[] (src/scan/scan_modules.c)");
    for (size_t i = 0; scan_modules[i]; i++) {
        fputs(".TP\n.B ", fp);
        roff_text(fp, scan_modules[i]->option);
        fputc('\n', fp);
        roff_text(fp, scan_modules[i]->help);
        fputs(".\n", fp);
    }
    man_end(fp, "scan types");

    man_begin(fp, "output formats", "output_modules[] (src/output/output_modules.c)");
    for (size_t i = 0; output_modules[i]; i++) {
        if (!output_modules[i]->option[0])
            continue;
        fputs(".TP\n.BI ", fp);
        roff_text(fp, output_modules[i]->option);
        fputs(" \" file\"\n", fp);
        roff_text(fp, output_modules[i]->summary);
        fputs(".\n", fp);
    }
    const struct output_module *oa[8];
    size_t n = oa_modules(oa, 8);
    fputs(".TP\n.BI \\-oA \" basename\"\nWrite", fp);
    for (size_t i = 0; i < n; i++) {
        fputs(i == 0 ? " " : i + 1 == n ? " and " : ", ", fp);
        roff_text(fp, oa[i]->option);
    }
    fputs(" at once, to", fp);
    for (size_t i = 0; i < n; i++) {
        fputs(i == 0 ? " " : i + 1 == n ? " and " : ", ", fp);
        fprintf(fp, "\\fIbasename\\fP.%s", oa[i]->ext);
    }
    fputs(".\n", fp);
    man_end(fp, "output formats");
}

void cli_print_version(FILE *fp)
{
    fprintf(fp, "prtip version %s\n", PRTIP_VERSION);
    /* Programs that drive nmap (python3-nmap's PortScanner) run -V and
     * accept the binary only if a line matches nmap's "Nmap version X.Y (
     * http...)". The nmap release prtip's options and output follow: */
    fputs("Nmap version 7.93-compatible ( https://nmap.org ): options and output as nmap 7.93\n",
          fp);
#if defined(__clang__)
    fprintf(fp, "Compiled with: clang %s, C11\n", __clang_version__);
#elif defined(__GNUC__)
    fprintf(fp, "Compiled with: gcc %s, C11\n", __VERSION__);
#endif
#if defined(__x86_64__)
    fputs("Platform: x86_64-pc-linux-gnu\n", fp);
#elif defined(__aarch64__)
    fputs("Platform: aarch64-unknown-linux-gnu\n", fp);
#else
    fputs("Platform: linux\n", fp);
#endif
    fputs("Scan types:", fp);
    for (size_t i = 0; scan_modules[i]; i++)
        fprintf(fp, " %s", scan_modules[i]->option);
    fputs("\nOutput formats:", fp);
    for (size_t i = 0; output_modules[i]; i++)
        fprintf(fp, " %s", output_modules[i]->option);
    fprintf(fp, "\nData files: %s\n", services_datadir());
}
