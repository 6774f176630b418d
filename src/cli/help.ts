import { PROGRAM, VERSION } from '../version';

export const HELP_TEXT = `${PROGRAM} ${VERSION}
MariaDB Galera State Snapshot Transfer: rsync inside a socat OpenSSL tunnel.

mariadbd runs this program when wsrep_sst_method=rsync_tunnel:
  ${PROGRAM} --role joiner --address HOST[:PORT] --datadir DIR [--defaults-file F]
      [--defaults-extra-file F] [--defaults-group-suffix S] --parent PID [--progress 0|1]
      [--binlog NAME] [--binlog-index NAME] [--mysqld-args ARGS...]
  ${PROGRAM} --role donor --address HOST:PORT/MODULE --datadir DIR --gtid UUID:SEQNO
      [--gtid-domain-id N] [--bypass] [--local-port P] [--socket S] [--progress 0|1]
      [--defaults-file F] ... [--mysqld-args ARGS...]

Configuration, read from mariadbd's option files, group [sst]:
  tca      CA certificate file (or directory) trusted for the peer's certificate
  tcert    this node's certificate, or a key+certificate PEM bundle
  tkey     this node's private key (optional when tcert is a bundle)
  sockopt  extra socat OpenSSL address options, e.g. cipher=HIGH:!aNULL
  ssl-mode VERIFY_IDENTITY (default), VERIFY_CA or REQUIRED

Other commands:
  ${PROGRAM} --help       this text
  ${PROGRAM} --version    program, Node.js and OpenSSL versions
  ${PROGRAM} check [--defaults-file F] [--defaults-extra-file F]
      [--defaults-group-suffix S] [--datadir D] [--json]
    A dry run on this node, reading the option files as the SST does. One line
    per item, PASS/WARN/FAIL (SKIP: not checked after an earlier FAIL): socat
    with OpenSSL, rsync, the user= of [mysqld] (default mysql) and whether it
    can read the certificate, key and CA (mode bits and owners only, no ACLs),
    key matches certificate, CA issued it, expiry (WARN under 30 days), the
    name donors verify against the certificate, the SST port free, and the
    datadir and InnoDB/Aria directories writable by that user.
    Donors verify the address this node advertises: wsrep_sst_receive_address
    unless AUTO, else the host of wsrep_node_address, else bind_address unless
    a wildcard, else the first non-loopback interface address (mariadbd never
    uses the host name). The port is that of wsrep_sst_receive_address, or 4444.
  ${PROGRAM} check --listen [--port P] [--bind HOST] [--timeout S] [...]
    Runs the TLS listener a joiner here would run (same socat options, also
    verifying the connecting node as a joiner does) for S seconds (default 60)
    or until Ctrl-C, answering each verified connection with a fixed line.
  ${PROGRAM} check --peer HOST[:PORT] [--timeout S] [...]
    Connects to a --listen on another node as a donor would (its certificate
    must name HOST: give the address that node advertises) and reports the
    negotiated protocol and cipher, or socat's exact verification error,
    waiting at most S seconds (default 20).
  check writes to stdout; --json prints one JSON object instead. Exit status:
  0 when nothing FAILs, 1 otherwise, 22 for a bad check command line.

Exit codes are errno values: 2 missing program or file, 3 signalled, 13 TLS
verification failed, 16 port taken, 22 bad configuration, 32 aborted,
71 rsync protocol mismatch, 111 joiner unreachable, 114 previous SST running,
255 transfer failed.
`;
