#!/usr/bin/perl
# dump_nmap_parser.pl FILE.xml: what Nmap::Parser (Debian libnmap-parser-perl)
# reports for an nmap XML file, one fact a line, hosts sorted by address and
# ports by number, to diff against another scanner's file. Nmap::Parser keeps
# the first <extraports> of a host, so their order in the file decides what
# it reports.
use strict;
use warnings;
use Nmap::Parser;

my $np = Nmap::Parser->new();
$np->parsefile($ARGV[0]);
for my $h (sort { $a->addr cmp $b->addr } $np->all_hosts()) {
    my $ad = $h->addr;
    printf "host %s type=%s status=%s hostname=%s\n", $ad, $h->addrtype, $h->status,
      $h->hostname || '-';
    for my $proto ('tcp', 'udp') {
        my @ports = $proto eq 'tcp' ? $h->tcp_ports() : $h->udp_ports();
        for my $p (sort { $a <=> $b } @ports) {
            my $state = $proto eq 'tcp' ? $h->tcp_port_state($p) : $h->udp_port_state($p);
            my $ttl = $proto eq 'tcp' ? $h->tcp_port_state_ttl($p) : $h->{ports}{udp}{$p}{reason_ttl};
            my $svc = $proto eq 'tcp' ? $h->tcp_service($p) : $h->udp_service($p);
            printf "port %s %s/%s state=%s reason_ttl=%s service=%s\n", $ad, $proto, $p, $state,
              $ttl // '-', $svc->name // '-';
        }
    }
    printf "extraports %s state=%s count=%s\n", $ad, $h->extraports_state // '-',
      $h->extraports_count // '-';
}
