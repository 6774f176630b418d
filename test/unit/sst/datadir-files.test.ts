/**
 * Files we read and write in the datadir (src/sst/datadir-files.ts), on real
 * files, symlinks and FIFOs: a link planted there must never make us write
 * into, or read and log, another file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  claimDatadir,
  createDatadirFile,
  entryExists,
  FILES,
  readDatadirFile,
  readPid,
  READ_LIMIT,
} from '../../../src/sst/datadir-files';
import { Exit, SstError } from '../../../src/errors';
import { Lifecycle } from '../../../src/proc/lifecycle';

const SECRET = 'victim-secret-line-that-must-never-be-logged';

let root = '';
let counter = 0;

before(() => {
  root = fs.mkdtempSync(join(tmpdir(), 'sst-datadir-files-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** A fresh datadir, and a victim file outside it. */
function scene(): { datadir: string; victim: string } {
  const dir = join(root, String(++counter));
  const datadir = join(dir, 'data');
  fs.mkdirSync(datadir, { recursive: true });
  const victim = join(dir, 'victim');
  fs.writeFileSync(victim, `${SECRET}\n${process.pid}\n`);
  return { datadir, victim };
}

function refused(pattern: RegExp, code: number = Exit.FAILED): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof SstError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    assert.doesNotMatch(e.message, new RegExp(SECRET), 'the message quotes the file');
    return true;
  };
}

describe('createDatadirFile', () => {
  test('a symlink in place: the link is replaced by a file, its target stays unchanged', () => {
    const { datadir, victim } = scene();
    const file = join(datadir, FILES.sstPid);
    fs.symlinkSync(victim, file);
    createDatadirFile(file, '123\n');
    assert.equal(fs.readFileSync(victim, 'utf8'), `${SECRET}\n${process.pid}\n`);
    assert.ok(fs.lstatSync(file).isFile());
    assert.equal(fs.readFileSync(file, 'utf8'), '123\n');
  });

  test('a dangling symlink: its target is not created', () => {
    const { datadir } = scene();
    const target = join(datadir, '..', 'created-through-link');
    const file = join(datadir, FILES.inProgress);
    fs.symlinkSync(target, file);
    createDatadirFile(file, '');
    assert.equal(fs.existsSync(target), false);
    assert.ok(fs.lstatSync(file).isFile());
  });

  test('a stale regular file is replaced, not appended to', () => {
    const { datadir } = scene();
    const file = join(datadir, FILES.listenerPid);
    fs.writeFileSync(file, '99999999\nold\n');
    createDatadirFile(file, '42\n');
    assert.equal(fs.readFileSync(file, 'utf8'), '42\n');
  });

  test('a directory where the file should be cannot be created: an SstError, not a crash', () => {
    const { datadir } = scene();
    const file = join(datadir, 'no-such-dir', FILES.sstPid);
    assert.throws(() => createDatadirFile(file, ''), refused(/cannot create/));
  });
});

describe('readDatadirFile', () => {
  test('a regular file: its content; a missing one: undefined', () => {
    const { datadir } = scene();
    const file = join(datadir, FILES.tablesFlushed);
    assert.equal(readDatadirFile(file), undefined);
    fs.writeFileSync(file, 'a:1 0\n');
    assert.equal(readDatadirFile(file), 'a:1 0\n');
  });

  test('a symlink, even to a readable file, is refused without quoting the target', () => {
    const { datadir, victim } = scene();
    const file = join(datadir, FILES.marker);
    fs.symlinkSync(victim, file);
    assert.throws(() => readDatadirFile(file), refused(/is a symbolic link: refused/));
    assert.throws(() => readDatadirFile(file, Exit.ABORTED), refused(/is a symbolic link/, Exit.ABORTED));
  });

  test('a FIFO is refused at once instead of hanging the open', () => {
    const { datadir } = scene();
    const file = join(datadir, FILES.tablesFlushed);
    execFileSync('mkfifo', [file]);
    assert.throws(() => readDatadirFile(file), refused(/is not a regular file: refused/));
  });

  test('a directory is refused', () => {
    const { datadir } = scene();
    const file = join(datadir, FILES.marker);
    fs.mkdirSync(file);
    assert.throws(() => readDatadirFile(file), refused(/is not a regular file/));
  });

  test(`a file larger than ${READ_LIMIT} bytes is refused; exactly ${READ_LIMIT} is read whole`, () => {
    const { datadir } = scene();
    const file = join(datadir, FILES.marker);
    fs.writeFileSync(file, 'x'.repeat(READ_LIMIT));
    assert.equal(readDatadirFile(file)?.length, READ_LIMIT);
    fs.writeFileSync(file, `${SECRET}\n${'x'.repeat(READ_LIMIT)}`);
    assert.throws(() => readDatadirFile(file), refused(/larger than 4096 bytes: refused/));
  });
});

describe('entryExists', () => {
  test('sees a dangling symlink, which existsSync would not', () => {
    const { datadir } = scene();
    const file = join(datadir, FILES.sstError);
    assert.equal(entryExists(file), false);
    fs.symlinkSync(join(datadir, 'nowhere'), file);
    assert.equal(entryExists(file), true);
  });
});

describe('readPid', () => {
  test('a pid file symlinked to a file naming a live process names nothing', () => {
    const { datadir, victim } = scene();
    const file = join(datadir, FILES.sstPid);
    fs.writeFileSync(victim, `${process.pid}\n`);
    fs.symlinkSync(victim, file);
    assert.equal(readPid(file), undefined);
  });

  test('a regular pid file names its PID', () => {
    const { datadir } = scene();
    const file = join(datadir, FILES.sstPid);
    fs.writeFileSync(file, '4242 extra\n');
    assert.equal(readPid(file), 4242);
  });
});

describe('claimDatadir', () => {
  test('a symlinked wsrep_sst.pid: our PID goes into a new file, the link target stays unchanged', async () => {
    const { datadir, victim } = scene();
    // The victim names no live process: a symlink must not make us wait either.
    fs.writeFileSync(victim, `${SECRET}\n`);
    const pidFile = join(datadir, FILES.sstPid);
    fs.symlinkSync(victim, pidFile);
    const life = new Lifecycle();
    try {
      await claimDatadir(life, datadir);
      assert.equal(fs.readFileSync(victim, 'utf8'), `${SECRET}\n`);
      assert.ok(fs.lstatSync(pidFile).isFile());
      // Our PID and start time: a later SST tells us from a reused PID by both.
      assert.match(fs.readFileSync(pidFile, 'utf8'), new RegExp(`^${process.pid} \\d+\\n$`));
    } finally {
      await life.shutdown();
      life.dispose();
    }
    assert.equal(fs.existsSync(pidFile), false, 'the cleanup removes our pid file');
    assert.equal(fs.readFileSync(victim, 'utf8'), `${SECRET}\n`);
  });
});
