/** Kept equal to package.json's version by a unit test. */
export const VERSION = '0.5.0';
export const PROGRAM = 'wsrep_sst_rsync_tunnel';
