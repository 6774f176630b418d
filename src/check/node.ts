/**
 * `check` without --listen/--peer: everything a joiner or donor on this node depends on, judged
 * without touching data or the network beyond a bind probe.
 */
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { describeGroups } from '../config/load';
import type { CertificateInfo } from '../config/tls-preflight';
import { SstError } from '../errors';
import { formatHostPort } from '../net/address';
import type { RsyncTool } from '../proc/tools';
import { foreignSymlinkProblem, systemLinkFs } from '../rsync/module-symlinks';
import { resolveLayout, type Layout } from '../config/settings';
import { evaluateAccess, underProtectedHome, type Need } from './access';
import { advertisedAddress, type Advertised, type InterfaceAddress } from './advertised';
import type { CheckArgs } from './args';
import {
  addressSettings,
  DEFAULT_USER,
  describeTls,
  loadConfig,
  resolveCheckTls,
  type CheckConfig,
  type TlsContext,
} from './config';
import {
  describeIdentity,
  describeUid,
  parseGroup,
  parsePasswd,
  resolveIdentity,
  systemPasswd,
  type Identity,
} from '../proc/accounts';
import { accessQuery } from './inspect';
import { portItem } from './port';
import type { Report } from './render';
import { numbersItem, precopyContext } from './numbers';
import { item, type CheckItem } from './result';
import { certificateItems, nameItem } from './tls-items';
import { tlsPlacementItem } from './tls-placement';
import { checkRsync, checkSocat } from './tools';

/** The message of an expected failure; anything else is a bug and goes on up. */
function message(e: unknown): string {
  if (e instanceof SstError) return e.message;
  throw e;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export function interfaceAddresses(): InterfaceAddress[] {
  return Object.entries(networkInterfaces()).flatMap(([name, list]) =>
    (list ?? []).map((i) => ({ name, address: i.address, family: i.family, internal: i.internal })),
  );
}

function identityItem(config: CheckConfig): { item: CheckItem; identity?: Identity } {
  const identity = resolveIdentity(
    config.user,
    parsePasswd(readText('/etc/passwd')),
    parseGroup(readText('/etc/group')),
  );
  if (identity === undefined) {
    return {
      item: item(
        'user',
        'mariadbd user',
        'WARN',
        `user '${config.user}' (user= in [mysqld], default ${DEFAULT_USER}) is not in /etc/passwd: file ` +
          `permissions cannot be checked for it`,
      ),
    };
  }
  return {
    item: item('user', 'mariadbd user', 'PASS', `${describeIdentity(identity)}: mariadbd and its SST run as this user`),
    identity,
  };
}

interface Access {
  id: string;
  label: string;
  path: string;
  need: Need;
  /** A missing directory the joiner creates (mkdir -p) is fine when its parent allows it. */
  createMissing: boolean;
}

function accessItem(a: Access, identity: Identity | undefined, user: string): CheckItem {
  if (identity === undefined) return item(a.id, a.label, 'SKIP', `not checked: user '${user}' is unknown (${a.path})`);
  const verdict = evaluateAccess(identity, accessQuery(a.path, a.createMissing), a.need);
  if (!verdict.ok) return item(a.id, a.label, verdict.kind === 'unknown' ? 'WARN' : 'FAIL', verdict.detail);
  if (a.need !== 'write-dir' && underProtectedHome(a.path)) {
    return item(
      a.id,
      a.label,
      'WARN',
      `${verdict.detail}, but mariadb.service sets ProtectHome=true, which hides /home, /root and /run/user ` +
        `from mariadbd: move it (e.g. to /etc/mysql/ssl)`,
    );
  }
  return item(a.id, a.label, 'PASS', verdict.detail);
}

function tlsFiles(tls: TlsContext, suffix: string): Access[] {
  const s = tls.settings;
  const tag = suffix ? `:${suffix.replace(/[^a-z]/g, '')}` : '';
  const parts: [string, string, string | undefined, Access['need']][] = [
    ['cert', 'cert', s.cert, 'read-file'],
    ['key', 'key', s.key, 'read-file'],
    ['ca', 'CA file', s.caFile, 'read-file'],
    ['capath', 'CA dir', s.caPath, 'read-dir'],
  ];
  return parts.flatMap(([id, name, path, need]) =>
    path === undefined
      ? []
      : [{ id: `readable:${id}${tag}`, label: `${name} readable${suffix}`, path, need, createMissing: false }],
  );
}

function sameMaterial(a: TlsContext, b: TlsContext): boolean {
  const x = a.settings;
  const y = b.settings;
  return x.cert === y.cert && x.key === y.key && x.caFile === y.caFile && x.caPath === y.caPath;
}

function joinerNameItem(
  tls: TlsContext,
  certificate: CertificateInfo | undefined,
  advertised: Advertised | undefined,
): CheckItem {
  if (certificate === undefined)
    return item('name', 'cert name for donors', 'SKIP', 'not checked: the certificate could not be read');
  if (advertised === undefined)
    return item('name', 'cert name for donors', 'SKIP', 'not checked: no usable SST address (see above)');
  return nameItem(tls, certificate, advertised);
}

/**
 * TLS as a joiner (whose certificate donors verify) and, only when the ssl-server-/ssl-client-
 * options make it differ, as a donor too.
 */
function tlsItems(
  config: CheckConfig,
  identity: Identity | undefined,
  advertised: Advertised | undefined,
  now: Date,
): CheckItem[] {
  let joiner: TlsContext;
  let donor: TlsContext;
  try {
    joiner = resolveCheckTls(config, 'joiner');
    donor = resolveCheckTls(config, 'donor');
  } catch (e) {
    const skip = 'not checked: no usable TLS settings';
    return [
      item('tls', 'TLS settings', 'FAIL', message(e)),
      item('key-match', 'cert and key', 'SKIP', skip),
      item('ca', 'CA issued cert', 'SKIP', skip),
      item('expiry', 'cert validity', 'SKIP', skip),
      item('name', 'cert name for donors', 'SKIP', skip),
    ];
  }
  const roles = sameMaterial(joiner, donor)
    ? [{ tls: joiner, suffix: '' }]
    : [
        { tls: joiner, suffix: ' (joiner)' },
        { tls: donor, suffix: ' (donor)' },
      ];
  const problems = [...joiner.settings.warnings, ...joiner.weakens];
  const sentences = [describeTls(joiner), ...problems].map((t) => t.replace(/\.$/, ''));
  const items = [item('tls', 'TLS settings', problems.length > 0 ? 'WARN' : 'PASS', sentences.join('. '))];
  for (const { tls, suffix } of roles) {
    items.push(...tlsFiles(tls, suffix).map((a) => accessItem(a, identity, config.user)));
    const certs = certificateItems(tls, now, suffix);
    items.push(...certs.items);
    // Donors verify the certificate this node presents as a joiner; the donor side has no name to match.
    if (tls === joiner) items.push(joinerNameItem(tls, certs.certificate, advertised));
  }
  return items;
}

const LAYOUT_LABELS: [key: 'dataHome' | 'logDir' | 'undoDir' | 'ariaLog', id: string, what: string, label: string][] = [
  ['dataHome', 'innodb-data-home-dir', 'InnoDB data directory', 'InnoDB data writable'],
  ['logDir', 'innodb-log-group-home-dir', 'InnoDB redo log directory', 'InnoDB redo writable'],
  ['undoDir', 'innodb-undo-directory', 'InnoDB undo directory', 'InnoDB undo writable'],
  ['ariaLog', 'aria-log-dir-path', 'Aria log directory', 'Aria log writable'],
];

/**
 * The directories a joiner writes into. The environment (INNODB_DATA_HOME_DIR, …) is left out:
 * ours is the operator's shell, not mariadbd's. Directories equal to the datadir are one line.
 */
function directoryItems(config: CheckConfig, identity: Identity | undefined): CheckItem[] {
  let layout: Layout;
  try {
    layout = resolveLayout({ datadir: config.datadir, mysqld: {} }, config.lookup, config.mysqld, {});
  } catch (e) {
    return [item('writable:datadir', 'datadir writable', 'FAIL', message(e))];
  }
  const shared = LAYOUT_LABELS.filter(([key]) => layout[key] === layout.datadir).map(([, , what]) => what);
  const datadir = accessItem(
    {
      id: 'writable:datadir',
      label: 'datadir writable',
      path: layout.datadir,
      need: 'write-dir',
      createMissing: false,
    },
    identity,
    config.user,
  );
  if (shared.length > 0 && datadir.status === 'PASS') datadir.detail += ` (it is also the ${shared.join(', ')})`;
  const items = [datadir];
  const seen = new Set([layout.datadir]);
  for (const [key, id, , label] of LAYOUT_LABELS) {
    const dir = layout[key];
    if (seen.has(dir)) continue;
    seen.add(dir);
    items.push(
      accessItem(
        { id: `writable:${id}`, label, path: dir, need: 'write-dir', createMissing: true },
        identity,
        config.user,
      ),
    );
  }
  return items;
}

/** rsync 3.5.0+ daemons refuse module paths through other users' symlinks: the joiner would fail before `ready`. */
function symlinkItem(config: CheckConfig, rsync: RsyncTool | undefined, identity: Identity | undefined): CheckItem {
  const label = 'symlinks in SST paths';
  if (rsync === undefined) return item('symlinks', label, 'SKIP', 'not checked: no usable rsync');
  if (!rsync.features.refusesForeignSymlinks)
    return item('symlinks', label, 'PASS', `rsync ${rsync.version} does not restrict symlinks in module paths`);
  let layout: Layout;
  try {
    layout = resolveLayout({ datadir: config.datadir, mysqld: {} }, config.lookup, config.mysqld, {});
  } catch (e) {
    return item('symlinks', label, 'SKIP', `not checked: ${message(e)}`);
  }
  // The joiner's daemon runs as root when mariadbd's SST runs as root, else as the mariadbd user.
  const owners = identity === undefined ? [0] : [0, identity.uid];
  const passwd = systemPasswd();
  const dirs = [...new Set([layout.datadir, layout.dataHome, layout.logDir, layout.undoDir, layout.ariaLog])];
  const problem = foreignSymlinkProblem(dirs, owners, rsync.version, systemLinkFs, (uid) => describeUid(uid, passwd));
  return problem === undefined
    ? item('symlinks', label, 'PASS', `no symlink owned by another user on the way to ${dirs.join(', ')}`)
    : item('symlinks', label, 'FAIL', problem);
}

/** The joiner serves the datadir and the InnoDB/Aria directories as rsync modules. */
function placementItem(config: CheckConfig): CheckItem {
  const label = 'TLS files outside the SST';
  let layout: Layout;
  let settings: ReturnType<typeof resolveCheckTls>['settings'][];
  try {
    layout = resolveLayout({ datadir: config.datadir, mysqld: {} }, config.lookup, config.mysqld, {});
    settings = [resolveCheckTls(config, 'joiner').settings, resolveCheckTls(config, 'donor').settings];
  } catch (e) {
    return item('tls-placement', label, 'SKIP', `not checked: ${message(e)}`);
  }
  const modules = [
    { what: 'datadir', dir: layout.datadir },
    ...LAYOUT_LABELS.map(([key, , what]) => ({ what, dir: layout[key] })),
  ];
  return tlsPlacementItem(modules, settings);
}

export async function checkNode(args: CheckArgs, now = new Date()): Promise<Report> {
  const rsync = checkRsync();
  const items: CheckItem[] = [checkSocat().item, rsync.item];
  const context: [string, string][] = [];
  let config: CheckConfig;
  try {
    config = loadConfig(args);
  } catch (e) {
    items.push(item('config', 'option files', 'FAIL', message(e)));
    items.push(item('rest', 'other checks', 'SKIP', 'not checked: they need the configuration'));
    return { mode: 'node', context, items };
  }
  const files = config.files.length > 0 ? config.files.join(', ') : '(none found)';
  context.push(
    ['option files', files],
    ['option groups', describeGroups(config)],
    ['datadir', `${config.datadir} (${config.datadirSource})`],
  );
  items.push(
    item(
      'config',
      'option files',
      config.warnings.length > 0 ? 'WARN' : 'PASS',
      [`read ${files}`, ...config.warnings].join('; '),
    ),
  );

  const who = identityItem(config);
  items.push(who.item);
  context.push(['mariadbd user', config.user]);

  let advertised: Advertised | undefined;
  let addressItem: CheckItem;
  try {
    advertised = advertisedAddress(addressSettings(config), interfaceAddresses());
    addressItem = item(
      'address',
      'SST address',
      'PASS',
      `a joiner here advertises ${formatHostPort(advertised)} (${advertised.source})`,
    );
    context.push(['SST address', `${advertised.host} port ${advertised.port}`]);
  } catch (e) {
    addressItem = item('address', 'SST address', 'FAIL', message(e));
  }
  items.push(addressItem);
  items.push(...tlsItems(config, who.identity, advertised, now));
  items.push(
    advertised !== undefined
      ? await portItem(advertised)
      : item('port', 'SST port free', 'SKIP', 'not checked: no usable SST address'),
  );
  items.push(numbersItem(config.lookup, config.mysqld));
  const precopy = precopyContext(config.lookup);
  if (precopy !== undefined) context.push(['precopy', precopy]);
  items.push(...directoryItems(config, who.identity));
  items.push(symlinkItem(config, rsync.tool, who.identity));
  items.push(placementItem(config));
  return { mode: 'node', context, items };
}
