/** check's owner of its socat processes (check/socat-owner.ts), over fake children and a fake process. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { socatOwner } from '../../../src/check/socat-owner';
import { Supervisor } from '../../../src/proc/supervisor';
import { FakeProcesses } from '../fixtures/fake-child';
import { FakeHost } from '../fixtures/fake-host';

describe('socat owner of check (fake child)', () => {
  test(
    'nothing made and nothing hooked until the first socat; ' + 'then one supervisor and one exit hook (fake child)',
    () => {
      const host = new FakeHost();
      const fake = new FakeProcesses();
      let made = 0;
      const owner = socatOwner(host, () => {
        made++;
        return new Supervisor({ spawn: fake.spawn, groups: fake.groups });
      });
      assert.equal(made, 0);
      assert.equal(host.hookCount(), 0);
      const supervisor = owner.supervisor();
      assert.equal(owner.supervisor(), supervisor);
      assert.equal(made, 1);
      assert.equal(host.hookCount(), 1);
    },
  );

  test('exit SIGKILLs every socat group at once; dispose removes the hook (fake child)', () => {
    const host = new FakeHost();
    const fake = new FakeProcesses();
    const owner = socatOwner(host, () => new Supervisor({ spawn: fake.spawn, groups: fake.groups }));
    const listener = owner.supervisor().spawn({ name: 'socat', command: 'socat', args: [] });
    host.emit('exit');
    assert.deepEqual(fake.signalsTo(listener.pid), ['SIGKILL']);
    owner.dispose();
    assert.equal(host.hookCount(), 0);
  });
});
