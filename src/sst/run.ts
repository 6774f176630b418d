import type { SstArgs } from '../config/args';
import { Exit } from '../errors';
import { log } from '../log';
import { parseDonorAddress, parseJoinerAddress } from '../net/address';
import { serverProcess } from '../proc/ancestors';
import { startGuard } from '../proc/guard';
import { identityText, selfStartTime } from '../proc/identity';
import { Lifecycle } from '../proc/lifecycle';
import { createPrivateDir, dirIdentity, ownerHere, removePrivateDir } from '../proc/private-dir';
import { pidListensOn } from '../proc/sockets';
import { writeProtocolLine } from '../protocol/out';
import { readStdinAuth } from '../protocol/stdin';
import { quietSocatLine } from '../tunnel/socat-messages';
import { PROGRAM, VERSION } from '../version';
import { runDonor } from './donor';
import { runJoiner } from './joiner';
import { prepare } from './prepare';

const DONOR_STDIN_WAIT_MS = 30_000;

/** The role's request and configuration, then the role with the program's own effects. */
async function runRole(
  args: SstArgs,
  life: Lifecycle,
  work: string,
  stdinAuth: Promise<Map<string, string>>,
): Promise<void> {
  const protocol = (line: string): void => writeProtocolLine(args.role, line);
  if (args.role === 'joiner') {
    const address = parseJoinerAddress(args.address, args.port);
    await runJoiner({ args, address, prepared: prepare(args), life, work, protocol, listensOn: pidListensOn });
    return;
  }
  const target = parseDonorAddress(args.address);
  const prepared = prepare(args);
  await runDonor({
    args,
    target,
    prepared,
    parent: serverProcess(),
    life,
    work,
    protocol,
    stdinAuth,
    env: process.env,
  });
}

/** Runs one role; whatever happens, every child is stopped and our files are removed before we return. */
export async function runSst(args: SstArgs): Promise<number> {
  const ownerTag = identityText(process.pid, selfStartTime());
  // Before the guard: it removes this directory, should we be killed before our cleanup could.
  const work = createPrivateDir();
  const workOwner = ownerHere(dirIdentity(work));
  startGuard(ownerTag, work);
  const life = new Lifecycle({ ownerTag, quiet: quietSocatLine });
  life.onCleanup(() => {
    const removal = removePrivateDir(work, workOwner);
    if (!removal.removed && !removal.gone) log.warn(`left ${work}: ${removal.why}`);
  });
  // 11.8 donors write the joiner's secret to stdin only after creating a temporary SQL user, and
  // then close it; the donor waits only when the environment did not carry the secret.
  const stdinAuth = readStdinAuth(args.role === 'donor' ? DONOR_STDIN_WAIT_MS : undefined);
  log.info(
    `${PROGRAM} ${VERSION} starting as ${args.role} (PID ${process.pid}), address ` +
      `${args.address.replace(/^.*@/, '')}, datadir ${args.datadir}`,
  );
  const started = life.clock.now();
  try {
    await runRole(args, life, work, stdinAuth);
    log.info(`${args.role} finished in ${((life.clock.now() - started) / 1000).toFixed(1)} s`);
    return Exit.OK;
  } finally {
    await life.shutdown();
  }
}
