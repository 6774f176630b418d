import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { descendants, descendantsIn, receivers } from '../../../src/proc/descendants';
import type { ProcessEntry } from '../../../src/proc/process-table';

const entry = (pid: number, ppid: number, comm: string, zombie = false): ProcessEntry => ({
  pid,
  ppid,
  pgid: 10,
  comm,
  zombie,
});

/** listener 10 → socat child 11 → rsync daemon 12 → receiver 13; a stranger's daemon 21 under 20; a zombie 31. */
const TREE = [
  entry(1, 0, 'systemd'),
  entry(13, 12, 'rsync'),
  entry(10, 1, 'socat'),
  entry(11, 10, 'socat'),
  entry(12, 11, 'rsync'),
  entry(20, 10, 'socat'),
  entry(21, 20, 'rsync'),
  entry(31, 10, 'socat', true),
  entry(40, 1, 'rsync'),
  entry(41, 40, 'rsync'),
];

function statText(e: ProcessEntry): string {
  return `${e.pid} (${e.comm}) ${e.zombie ? 'Z' : 'S'} ${e.ppid} ${e.pgid} 0 0`;
}

describe('descendants', () => {
  test('from a whole table, whatever its order; zombies left out', () => {
    assert.deepEqual(
      descendantsIn(TREE, 10)
        .map((p) => p.pid)
        .sort(),
      [11, 12, 13, 20, 21],
    );
    assert.deepEqual(descendantsIn(TREE, 13), []);
  });

  test("from the kernel's children lists, the same", () => {
    const files = new Map<string, string>();
    for (const e of TREE) {
      files.set(`/proc/${e.pid}/stat`, statText(e));
      files.set(
        `/proc/${e.pid}/task/${e.pid}/children`,
        TREE.filter((c) => c.ppid === e.pid)
          .map((c) => `${c.pid} `)
          .join(''),
      );
    }
    const scan = (): ProcessEntry[] => assert.fail('no whole scan when the lists exist');
    assert.deepEqual(
      descendants(10, (f) => files.get(f), scan)
        .map((p) => p.pid)
        .sort(),
      [11, 12, 13, 20, 21],
    );
  });

  test('a process that exits between the list and its stat is skipped', () => {
    const files = new Map([
      ['/proc/10/task/10/children', '11 12 '],
      ['/proc/11/stat', statText(entry(11, 10, 'socat'))],
      ['/proc/11/task/11/children', ''],
    ]);
    assert.deepEqual(
      descendants(
        10,
        (f) => files.get(f),
        () => [],
      ).map((p) => p.pid),
      [11],
    );
  });

  test('without the lists (kernel built without them): a whole scan', () => {
    assert.deepEqual(
      descendants(
        10,
        () => undefined,
        () => TREE,
      )
        .map((p) => p.pid)
        .sort(),
      [11, 12, 13, 20, 21],
    );
  });

  test("receivers: rsyncs forked by an rsync daemon, not the daemons nor a stranger's", () => {
    assert.deepEqual(
      receivers(descendantsIn(TREE, 10)).map((p) => p.pid),
      [13],
    );
    assert.deepEqual(receivers([entry(12, 11, 'rsync'), entry(13, 12, 'rsync-other')]), []);
  });
});
