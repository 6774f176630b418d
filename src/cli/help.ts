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

Exit codes are errno values: 2 missing program or file, 3 signalled, 13 TLS
verification failed, 16 port taken, 22 bad configuration, 32 aborted,
71 rsync protocol mismatch, 111 joiner unreachable, 114 previous SST running,
255 transfer failed.
`;
