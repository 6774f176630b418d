/**
 * Pure text rewrites that turn MariaDB's own `galera` MTR tests of the stock
 * `wsrep_sst_method=rsync` into twins that run `rsync_tunnel` (`make test-mtr`).
 * Every change a twin gets is listed here, with its reason.
 */

/** The twins' suite name; MTR splits suite names at '-', so none here. */
export const TWIN_SUITE = 'galera_rsync_tunnel';

/** An active (uncommented) `wsrep_sst_method=rsync` line, in any spelling of the separators. */
const RSYNC_METHOD = /^(\s*wsrep[-_]sst[-_]method\s*=\s*)rsync(\s*)$/gm;

/** True when an option file, `.opt` or `.combinations` text selects the stock rsync method. */
export function usesRsyncMethod(text: string): boolean {
  return new RegExp(RSYNC_METHOD.source, 'm').test(text);
}

/**
 * Twins that cannot say anything about rsync_tunnel, with the reason; they are reported
 * as N/A and not run.
 */
export const NOT_APPLICABLE: Readonly<Record<string, string>> = {
  galera_sst_rsync_missing_stunnel:
    'tests the stock script without stunnel (MTR_SST_SIMULATE_NO_STUNNEL hook, its "stunnel binary was not ' +
    'found" error); rsync_tunnel never uses stunnel',
  galera_sst_cn_injection:
    "asserts that the donor mariadbd rejects the stock joiner's ready line carrying a shell-unsafe " +
    'certificate CN ("Bad remote auth string"); rsync_tunnel never puts such a CN into its ready line (it ' +
    'advertises "joiner"), so that rejection cannot happen',
};

/** MTR's own test PKI (`std_data`): CN=localhost, issued by cacert.pem, no subjectAltName. */
const STD_DATA = '@ENV.MYSQL_TEST_DIR/std_data';
const STD_TLS = [`tca=${STD_DATA}/cacert.pem`, `tcert=${STD_DATA}/server-cert.pem`, `tkey=${STD_DATA}/server-key.pem`];

/**
 * Extra `[sst]` options some twins need, with the reason.
 * galera_sst_rsync_recv_auto: the joiner advertises `::1` (AUTO from wsrep_node_address), and
 * MTR's certificate names only `localhost`; the stock script accepts CN=localhost for a local
 * address, rsync_tunnel checks the advertised host unless told the name to expect.
 */
const EXTRA_SST: Readonly<Record<string, readonly string[]>> = {
  galera_sst_rsync_recv_auto: ['sockopt=commonname=localhost'],
};

const OWN_MATERIAL = /^\s*t(ca|capath|cert|key)\s*=/m;
const OWN_CA = /^\s*t(ca|capath)\s*=/m;
const SERVER_MATERIAL = /^\s*ssl[-_](ca|capath|cert|key|server[-_]\w+|client[-_]\w+)\s*=/m;

/**
 * A test's `.cnf`: the method becomes rsync_tunnel, and TLS material is added where
 * the test names none (rsync_tunnel always encrypts): MTR's std_data certificates, or just the
 * CA when the test gives tcert/tkey without one (the stock script then skips verification,
 * rsync_tunnel would check against the system trust store). Tests that configure ssl-* keep
 * exactly their configuration.
 */
export function twinCnf(test: string, text: string): string {
  const body = text.replace(RSYNC_METHOD, '$1rsync_tunnel$2');
  const add: string[] = [];
  if (!OWN_MATERIAL.test(body) && !SERVER_MATERIAL.test(body)) add.push(...STD_TLS);
  else if (OWN_MATERIAL.test(body) && !OWN_CA.test(body)) add.push(STD_TLS[0] as string);
  add.push(...(EXTRA_SST[test] ?? []));
  if (add.length === 0) return body;
  return `${body.replace(/\n*$/, '\n')}\n[sst]\n${add.join('\n')}\n`;
}

/**
 * A `.combinations` file: only the combinations that use rsync are kept, renamed (a suite.pm
 * skip list keyed on the stock name must not hide them) and switched to rsync_tunnel.
 */
export function twinCombinations(text: string): string {
  const sections = text.split(/^(?=\[)/m).filter((s) => s.startsWith('['));
  return sections
    .filter((s) => usesRsyncMethod(s))
    .map((s) => s.replace(/^\[(\w+)\]/, '[$1_tunnel]').replace(RSYNC_METHOD, '$1rsync_tunnel$2'))
    .join('');
}

/**
 * The suite's shared option files (galera_2nodes.cnf, …):
 * - `ssl-mode=DISABLED` goes: rsync_tunnel refuses it (it always encrypts), so every twin runs
 *   the default VERIFY_IDENTITY unless the test sets its own ssl-mode;
 * - the joiner advertises `localhost` instead of `127.0.0.1`: the donor verifies the joiner's
 *   certificate against the advertised host, and MTR's certificate names `localhost`.
 */
export function twinBaseOptionFile(text: string): string {
  return text
    .replace(/^\s*ssl[-_]mode\s*=\s*DISABLED\s*\n/gm, '')
    .replace(/^(\s*wsrep[-_]sst[-_]receive[-_]address\s*=\s*'?)127\.0\.0\.1:/gm, '$1localhost:');
}

/** The stock script's log wording a test greps, and rsync_tunnel's line for the same event. */
const STOCK_WORDING: ReadonlyArray<readonly [string, string]> = [
  // Logged by both roles at every start, as our `TLS: ssl-mode <mode>, certificate …` line is.
  ['Using stunnel for SSL encryption', 'TLS: ssl-mode'],
  ['Verifying peer certificate chain for ssl-mode=VERIFY_CA', 'TLS: ssl-mode VERIFY_CA'],
];

/** Lines of a `.test` whose value is a pattern searched in the error log (not echoed into the result). */
const PATTERN_LINE = /^--let\s+(\$assert_select|\$assert_match|SEARCH_PATTERN)\s*=/;

/**
 * A `.test`: no stunnel requirement (rsync_tunnel uses socat), and log patterns of the stock
 * script's wording search for rsync_tunnel's line for the same event. `$assert_text` stays: it
 * is echoed into the `.result`.
 */
export function twinTest(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^--source\s+include\/have_stunnel\.inc\s*$/.test(line))
    .map((line) =>
      PATTERN_LINE.test(line) ? STOCK_WORDING.reduce((l, [stock, ours]) => l.split(stock).join(ours), line) : line,
    )
    .join('\n');
}

/**
 * The copied suite.pm: its own package name (MTR also loads the galera suite's, for the includes
 * twins share), the directory of the binary under test first on the PATH mariadbd inherits (the
 * wsrep check puts the client directory, /usr/bin, in front), and a suppression for the warning
 * mariadbd gives about a `localhost` receive address, as the suite has for `127.0.0.1`.
 */
export function twinSuitePm(text: string, binDir: string): string {
  const anchor = /^return wsrep_not_ok\(\) if wsrep_not_ok\(\);[ \t]*$/m;
  if (!/^package My::Suite::Galera;$/m.test(text) || !anchor.test(text)) {
    throw new Error('galera suite.pm has changed: no package line or wsrep_not_ok() check to anchor on');
  }
  if (/["\\$@]/.test(binDir)) throw new Error(`binary directory ${JSON.stringify(binDir)} cannot be quoted for Perl`);
  const ours = [
    `$ENV{PATH} = "${binDir}:$ENV{PATH}";`,
    'chomp(my $sst_bin = `sh -c "command -v wsrep_sst_rsync_tunnel"`);',
    `die "wsrep_sst_rsync_tunnel on PATH is '$sst_bin', not the one under test" unless $sst_bin eq ` +
      `"${binDir}/wsrep_sst_rsync_tunnel";`,
    "push @::global_suppressions, qr(WSREP: wsrep_sst_receive_address is set to 'localhost);",
  ].join('\n');
  return text
    .replace(/^package My::Suite::Galera;$/m, 'package My::Suite::GaleraRsyncTunnel;')
    .replace(anchor, (m) => `${m}\n${ours}`);
}
