/*
 * schema.c — the one schema of both back ends, its version table and its
 * migrations. Version N of the schema is migrations[0..N) applied in
 * order; a database records the version it has in prtip_schema. Column
 * types are those both SQLite and PostgreSQL know (TEXT, INTEGER, BIGINT,
 * DOUBLE PRECISION); the automatically numbered scan id is the back end's.
 *
 * Layout (docs/STORAGE.md has the column list): one row per scan (scans)
 * and per scan type (scan_types); per host (hosts, keyed by scan and the
 * host's sequence number in the scan); per port (ports: scan, host, index
 * in the host's record), with services, tls and scripts beside it; host
 * scripts have port_idx -1; OS matches per host. Lists (CPEs,
 * subjectAltNames, OS classes) and script trees are JSON text.
 *
 * No FOREIGN KEY constraints: they cost a lookup per inserted row (a
 * trigger per row in PostgreSQL), and rows only ever come from the writer,
 * a whole host per transaction; prune deletes a scan's rows from every
 * table (store_delete_scans).
 */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Version 1. "%s" is the back end's id_ddl. */
static const char *const schema_v1[] = {
    "CREATE TABLE IF NOT EXISTS scans ("
    " id %s, job TEXT, shard TEXT, scanner TEXT NOT NULL, version TEXT NOT NULL,"
    " args TEXT NOT NULL, start_ns BIGINT NOT NULL, end_ns BIGINT, elapsed_s DOUBLE PRECISION,"
    " state TEXT NOT NULL, error TEXT, mode INTEGER NOT NULL, verbosity INTEGER NOT NULL,"
    " debugging INTEGER NOT NULL, open_only INTEGER NOT NULL, show_reason INTEGER NOT NULL,"
    " version_scan INTEGER NOT NULL, stylesheet TEXT, hosts_total BIGINT, hosts_up BIGINT,"
    " hosts_down BIGINT, origin TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS scans_job ON scans (job)",
    "CREATE TABLE IF NOT EXISTS scan_types ("
    " scan_id BIGINT NOT NULL, idx INTEGER NOT NULL,"
    " type TEXT NOT NULL, scanflags TEXT NOT NULL, proto TEXT NOT NULL, nservices BIGINT NOT NULL,"
    " services TEXT, PRIMARY KEY (scan_id, idx))",
    "CREATE TABLE IF NOT EXISTS hosts ("
    " scan_id BIGINT NOT NULL, seq BIGINT NOT NULL,"
    " addr TEXT NOT NULL, addr_key TEXT NOT NULL, hostname TEXT, other_addrs TEXT, rdns TEXT,"
    " status TEXT NOT NULL, reason TEXT NOT NULL, reason_ttl INTEGER NOT NULL, mac TEXT,"
    " srtt_us BIGINT NOT NULL, rttvar_us BIGINT NOT NULL, timeout_us BIGINT NOT NULL,"
    " start_ns BIGINT NOT NULL, end_ns BIGINT NOT NULL, timed_out INTEGER NOT NULL,"
    " interrupted INTEGER NOT NULL, ports_unscanned BIGINT NOT NULL, os_fingerprint TEXT,"
    " PRIMARY KEY (scan_id, seq))",
    "CREATE INDEX IF NOT EXISTS hosts_addr ON hosts (addr_key)",
    "CREATE TABLE IF NOT EXISTS ports ("
    " scan_id BIGINT NOT NULL, host_seq BIGINT NOT NULL, idx INTEGER NOT NULL,"
    " proto TEXT NOT NULL, port INTEGER NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL,"
    " reason_ttl INTEGER NOT NULL, service TEXT, PRIMARY KEY (scan_id, host_seq, idx))",
    "CREATE INDEX IF NOT EXISTS ports_port ON ports (port, proto)",
    "CREATE TABLE IF NOT EXISTS services ("
    " scan_id BIGINT NOT NULL, host_seq BIGINT NOT NULL, port_idx INTEGER NOT NULL,"
    " name TEXT NOT NULL, product TEXT, version TEXT, extrainfo TEXT, hostname TEXT,"
    " ostype TEXT, devicetype TEXT, cpe TEXT, method TEXT NOT NULL, conf INTEGER NOT NULL,"
    " tunnel_ssl INTEGER NOT NULL, PRIMARY KEY (scan_id, host_seq, port_idx))",
    "CREATE TABLE IF NOT EXISTS tls ("
    " scan_id BIGINT NOT NULL, host_seq BIGINT NOT NULL, port_idx INTEGER NOT NULL,"
    " protocol TEXT, cipher TEXT, alpn TEXT, subject TEXT, issuer TEXT, san TEXT,"
    " not_before BIGINT NOT NULL, not_after BIGINT NOT NULL, sha256 TEXT, key_type TEXT,"
    " key_bits BIGINT NOT NULL, PRIMARY KEY (scan_id, host_seq, port_idx))",
    "CREATE TABLE IF NOT EXISTS scripts ("
    " scan_id BIGINT NOT NULL, host_seq BIGINT NOT NULL, port_idx INTEGER NOT NULL,"
    " ord INTEGER NOT NULL, script_id TEXT NOT NULL, output TEXT, elems TEXT,"
    " PRIMARY KEY (scan_id, host_seq, port_idx, ord))",
    "CREATE TABLE IF NOT EXISTS os_matches ("
    " scan_id BIGINT NOT NULL, host_seq BIGINT NOT NULL, ord INTEGER NOT NULL,"
    " name TEXT NOT NULL, accuracy INTEGER NOT NULL, line BIGINT NOT NULL, classes TEXT,"
    " PRIMARY KEY (scan_id, host_seq, ord))",
    NULL,
};

/*
 * Version 2: the findings the records gained after version 1 — the ICMP
 * error's source (ports.reason_ip), -sV's evidence, the TLS facts beyond
 * the certificate's names and dates, and -O's report (hosts.os_report,
 * JSON: a nested structure read and written whole). One column per ALTER
 * (SQLite takes no more); new columns are nullable (SQLite cannot add a
 * NOT NULL column without a default), NULL read as absent / 0 / false, so
 * rows written by version 1 read as they did.
 */
static const char *const schema_v2[] = {
    "ALTER TABLE ports ADD COLUMN reason_ip TEXT",
    "ALTER TABLE services ADD COLUMN probe TEXT",
    "ALTER TABLE services ADD COLUMN line BIGINT",
    "ALTER TABLE services ADD COLUMN soft INTEGER",
    "ALTER TABLE services ADD COLUMN differs TEXT",
    "ALTER TABLE services ADD COLUMN fingerprint TEXT",
    "ALTER TABLE tls ADD COLUMN sni TEXT",
    "ALTER TABLE tls ADD COLUMN days_left BIGINT",
    "ALTER TABLE tls ADD COLUMN serial TEXT",
    "ALTER TABLE tls ADD COLUMN sig_alg TEXT",
    "ALTER TABLE tls ADD COLUMN spki_sha256 TEXT",
    "ALTER TABLE tls ADD COLUMN sha1 TEXT",
    "ALTER TABLE tls ADD COLUMN md5 TEXT",
    "ALTER TABLE tls ADD COLUMN self_signed INTEGER",
    "ALTER TABLE tls ADD COLUMN chain_len BIGINT",
    "ALTER TABLE tls ADD COLUMN ja3s TEXT",
    "ALTER TABLE tls ADD COLUMN pem TEXT",
    "ALTER TABLE hosts ADD COLUMN os_report TEXT",
    NULL,
};

/*
 * Version 3: indexes whose cost does not grow with the database's history.
 * hosts_addr led with addr_key, so each scan's hosts went into random
 * places among every earlier scan's: writing a /17 into a file holding 20
 * earlier scans took 5x the index work of the first (and left the page
 * cache). Led by scan_id, a scan's entries share one region; a look-up by
 * address across scans is one range per scan (the queries join scans).
 * PostgreSQL compares the key columns byte-wise (COLLATE "C"): under the
 * cluster's locale (en_US.UTF-8, C.UTF-8) every b-tree comparison of
 * addr_key and proto went through strcoll; the keys are hex and ASCII, so
 * byte order is their order. A statement prefixed "postgresql:" runs only
 * on that back end (SQLite's BINARY collation is already byte-wise).
 * ports_port indexed every stored port by number, most of them closed or
 * filtered, and was the costliest index to keep; the question it answers
 * is where a port is open ("db query --port 3389 --state open" over every
 * scan), so it now holds the open ports only (ports_open).
 * scans.stored_up / stored_open: the up hosts and open ports among a scan's
 * stored rows, written with its end, so that db list reads one row per
 * scan instead of counting all its rows (0.6 s for 22 /17 scans, growing
 * with every scan); the migration counts them for the scans that ended,
 * NULL (counted at each list) for a scan still running then.
 */
static const char *const schema_v3[] = {
    "DROP INDEX IF EXISTS hosts_addr",
    "postgresql:ALTER TABLE hosts ALTER COLUMN addr_key TYPE TEXT COLLATE \"C\"",
    "postgresql:ALTER TABLE ports ALTER COLUMN proto TYPE TEXT COLLATE \"C\"",
    "CREATE INDEX IF NOT EXISTS hosts_addr ON hosts (scan_id, addr_key)",
    "DROP INDEX IF EXISTS ports_port",
    "CREATE INDEX IF NOT EXISTS ports_open ON ports (port, proto) WHERE state = 'open'",
    "ALTER TABLE scans ADD COLUMN stored_up BIGINT",
    "ALTER TABLE scans ADD COLUMN stored_open BIGINT",
    "UPDATE scans SET stored_up = (SELECT count(*) FROM hosts h WHERE h.scan_id = scans.id AND "
    "h.status = 'up'), stored_open = (SELECT count(*) FROM ports p WHERE p.scan_id = scans.id AND "
    "p.state = 'open') WHERE end_ns IS NOT NULL",
    NULL,
};

/* migrations[i] takes a database from version i to i + 1. */
static const char *const *const migrations[] = {schema_v1, schema_v2, schema_v3};

static int get_version(void *ctx, size_t n, const char *const *v)
{
    if (n >= 1 && v[0])
        *(long *)ctx = strtol(v[0], NULL, 10);
    return 0;
}

static int read_version(struct store *st, long *version, char *err, size_t errlen)
{
    *version = 0;
    return store_exec(st, "SELECT max(version) FROM prtip_schema", NULL, 0, get_version, version,
                      err, errlen);
}

int store_schema_prepare(struct store *st, char *err, size_t errlen)
{
    _Static_assert(sizeof(migrations) / sizeof(migrations[0]) == STORE_SCHEMA_VERSION,
                   "one migration per schema version");
    long version = 0;
    char why[384];
    /* Fast path, no lock: a database already at our version. */
    if (read_version(st, &version, why, sizeof(why)) == 0 && version == STORE_SCHEMA_VERSION)
        return 0;
    if (version > STORE_SCHEMA_VERSION) {
        snprintf(err, errlen,
                 "schema version %ld is newer than this prtip knows (%d): written by a later "
                 "prtip; upgrade prtip to read it",
                 version, STORE_SCHEMA_VERSION);
        return -1;
    }
    char *e = err;
    if (st->be->exec(st->conn, st->be->schema_begin, NULL, 0, NULL, NULL, e, errlen) < 0)
        return -1;
    if (st->be->exec(st->conn,
                     "CREATE TABLE IF NOT EXISTS prtip_schema (version INTEGER NOT NULL, "
                     "applied_ns BIGINT NOT NULL)",
                     NULL, 0, NULL, NULL, e, errlen) < 0)
        goto fail;
    /* Another process may have migrated while we waited for the lock. */
    if (read_version(st, &version, e, errlen) < 0)
        goto fail;
    if (version > STORE_SCHEMA_VERSION) {
        snprintf(err, errlen, "schema version %ld is newer than this prtip knows (%d)", version,
                 STORE_SCHEMA_VERSION);
        goto fail;
    }
    for (long v = version; v < STORE_SCHEMA_VERSION; v++) {
        for (size_t i = 0; migrations[v][i]; i++) {
            const char *stmt = migrations[v][i];
            const char *colon = strchr(stmt, ':');
            /* "backend:SQL" (SQL itself starts with an upper-case word). */
            if (colon && (size_t)(colon - stmt) == strspn(stmt, "abcdefghijklmnopqrstuvwxyz")) {
                size_t len = (size_t)(colon - stmt);
                if (strlen(st->be->name) != len || strncmp(stmt, st->be->name, len) != 0)
                    continue;
                stmt = colon + 1;
            }
            char sql[2048];
            int n = snprintf(sql, sizeof(sql), stmt, st->be->id_ddl);
            /* Tables with a composite key (all but scans) cluster on it. */
            if (strncmp(sql, "CREATE TABLE", 12) == 0 && strstr(sql, "PRIMARY KEY (") && n > 0 &&
                (size_t)n < sizeof(sql))
                snprintf(sql + n, sizeof(sql) - (size_t)n, "%s", st->be->keyed_table_suffix);
            if (st->be->exec(st->conn, sql, NULL, 0, NULL, NULL, e, errlen) < 0)
                goto fail;
        }
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        struct store_val p[] = {sv_int(v + 1),
                                sv_int((int64_t)now.tv_sec * 1000000000 + now.tv_nsec)};
        if (st->be->exec(st->conn, "INSERT INTO prtip_schema (version, applied_ns) VALUES ($1, $2)",
                         p, 2, NULL, NULL, e, errlen) < 0)
            goto fail;
    }
    if (st->be->exec(st->conn, "COMMIT", NULL, 0, NULL, NULL, e, errlen) < 0)
        goto fail;
    return 0;
fail:;
    char ignore[64];
    st->be->exec(st->conn, "ROLLBACK", NULL, 0, NULL, NULL, ignore, sizeof(ignore));
    return -1;
}
