/** The module names on the wire, as the original script and upstream spell them (docs/protocol.md §3.3). */
export const MODULE = 'rsync_tunnel_sst';

export const MODULES = {
  data: MODULE,
  logDir: `${MODULE}-log_dir`,
  dataHome: `${MODULE}-data_dir`,
  undoDir: `${MODULE}-undo_dir`,
  ariaLog: `${MODULE}-aria_log`,
  /** Ours: binary logs arrive here and are moved into place after the marker. */
  binlog: `${MODULE}-binlog`,
} as const;

/** The rsync daemon user the donor authenticates as, with the joiner's per-SST secret as password. */
export const AUTH_USER = 'sst';

/** Completion marker, as the original script names it (docs/protocol.md §2.6). */
export const MARKER = 'rsync_tunnel_sst_complete';

/** Joiner-side staging directory for binlogs, inside the datadir so a rename puts them in place. */
export const BINLOG_STAGING = '.rsync_tunnel_sst_binlogs';

/** The donor's ordered list of the binlogs it sent, travelling with them. */
export const BINLOG_LIST = 'binlog.list';

/**
 * Files we create or read in the datadir (docs/protocol.md §2.6, §3.1); the daemon hides all but the marker from the
 * donor.
 */
export const FILES = {
  sstPid: 'wsrep_sst.pid',
  inProgress: 'sst_in_progress',
  listenerPid: 'rsync_tunnel_sst-socat.pid',
  marker: MARKER,
  tablesFlushed: 'tables_flushed',
  sstError: 'sst_error',
} as const;
