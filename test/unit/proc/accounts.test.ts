/** Who mariadbd runs as: the passwd and group files (src/proc/accounts.ts). */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { describeIdentity, parseGroup, parsePasswd, resolveIdentity } from '../../../src/proc/accounts';

const PASSWD = `root:x:0:0:root:/root:/bin/bash
# a comment
mysql:x:102:105:MySQL Server,,,:/nonexistent:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
broken line
123:x:123:123::/:/bin/false
`;

const GROUP = `root:x:0:
mysql:x:105:
ssl-cert:x:110:postgres,mysql
backup:x:34:
nogroup:x:65534:
`;

describe('identity', () => {
  const passwd = parsePasswd(PASSWD);
  const groups = parseGroup(GROUP);

  test('passwd and group parsing skip comments and malformed lines', () => {
    assert.deepEqual(
      passwd.map((p) => p.name),
      ['root', 'mysql', 'nobody', '123'],
    );
    assert.deepEqual(groups.find((g) => g.name === 'ssl-cert')?.members, ['postgres', 'mysql']);
  });

  test('a user gets its primary group first, then the groups listing it', () => {
    assert.deepEqual(resolveIdentity('mysql', passwd, groups), { user: 'mysql', uid: 102, gids: [105, 110] });
    assert.deepEqual(resolveIdentity('root', passwd, groups), { user: 'root', uid: 0, gids: [0] });
  });

  test('a name wins over a uid; an all-digit value is a uid only when no name matches (my_check_user)', () => {
    assert.equal(resolveIdentity('123', passwd, groups)?.user, '123');
    assert.equal(resolveIdentity('102', passwd, groups)?.user, 'mysql');
    assert.equal(resolveIdentity('4242', passwd, groups), undefined);
    assert.equal(resolveIdentity('mariadb', passwd, groups), undefined);
  });

  test('description', () => {
    assert.equal(
      describeIdentity({ user: 'mysql', uid: 102, gids: [105, 110] }),
      'mysql (uid 102, gid 105, groups 110)',
    );
  });
});
