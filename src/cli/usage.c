/*
 * usage.c — the -h text, in nmap's layout and grouping, listing only what
 * works today. docs/prtip.1 says the same things; change both together.
 */
#include "cli/cli.h"

#ifndef PRTIP_VERSION
#define PRTIP_VERSION "0.0.0"
#endif

static const char usage_text[] =
    "Usage: prtip [Scan Type(s)] [Options] {target specification}\n"
    "TARGET SPECIFICATION:\n"
    "  Can pass hostnames, IP addresses, networks, etc.\n"
    "  Ex: localhost, 127.0.0.1, 198.18.0.0/24, 198.18.0-1.1-254, ::1, fd00::/120\n"
    "  -iL <inputfilename>: Input from list of hosts/networks (- is stdin)\n"
    "  --exclude <host1[,host2][,host3],...>: Exclude hosts/networks\n"
    "  --excludefile <exclude_file>: Exclude list from file\n"
    "  -4/-6: Use IPv4 only / IPv6 only for host names and literals\n"
    "HOST DISCOVERY:\n"
    "  -Pn: Treat all hosts as online -- skip host discovery\n"
    "  -n/-R: Never do DNS resolution/Always resolve [default: sometimes]\n"
    "SCAN TECHNIQUES:\n"
    "  -sT: TCP connect() scan (the default; needs no privileges)\n"
    "PORT SPECIFICATION AND SCAN ORDER:\n"
    "  -p <port ranges>: Only scan specified ports\n"
    "    Ex: -p22; -p1-65535; -p-; -p 21-25,80,443,8080; -p T:22,http*\n"
    "  --exclude-ports <port ranges>: Exclude the specified ports from scanning\n"
    "  -F: Fast mode - Scan fewer ports than the default scan (top 100)\n"
    "  -r: Scan ports sequentially - don't randomize\n"
    "  --top-ports <number>: Scan <number> most common ports (within -p if given)\n"
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
    "OUTPUT:\n"
    "  -oN/-oX/-oG/-oJ <file>: Output scan in normal, XML, Grepable or JSON format,\n"
    "     respectively, to the given filename (- is standard output).\n"
    "  -oA <basename>: Output in the four formats at once\n"
    "     (<basename>.nmap, .gnmap, .xml and .json)\n"
    "  -v: Increase verbosity level (use -vv or -v3 for more)\n"
    "  -d: Increase debugging level (use -dd or -d3 for more)\n"
    "  --reason: Display the reason a port is in a particular state\n"
    "  --open: Only show open (or possibly open) ports\n"
    "MISC:\n"
    "  --seed <number>: Seed the random port order (default: a fresh random seed)\n"
    "  -V: Print version number\n"
    "  -h: Print this help summary page.\n"
    "EXAMPLES:\n"
    "  prtip 127.0.0.1\n"
    "  prtip -sT -p 22,80,443 -T4 127.0.0.1\n"
    "  prtip -p- --open --reason -oA lab 198.18.0.1\n"
    "  prtip -F -Pn 198.18.0.0/24 --exclude 198.18.0.1\n"
    "SEE THE MAN PAGE (man prtip) FOR MORE OPTIONS AND EXAMPLES\n";

void cli_usage(FILE *fp)
{
    fprintf(fp, "prtip %s ( nmap-compatible network scanner )\n", PRTIP_VERSION);
    fputs(usage_text, fp);
}
