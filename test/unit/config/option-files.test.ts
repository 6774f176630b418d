/**
 * OptionFiles against files written to a temporary directory. The expected outputs are what
 * my_print_defaults (mariadb-client 10.11.19) printed for the same bytes; the parity test
 * re-checks a corpus against the real program.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  mysqldGroups,
  type OptionFileEnv,
  OptionFiles,
  type OptionFileSources,
  optionFileEnv,
  parseGroupSpec,
  SST_GROUPS,
  SYSTEM_OPTION_FILES,
} from '../../../src/config/option-files';
import { Exit } from '../../../src/errors';
import { assertSstError } from '../../helpers/assert-sst';

let root = '';
let counter = 0;

before(() => {
  root = fs.mkdtempSync(join(tmpdir(), 'option-files-unit-'));
});

after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** A fresh directory per case, so cases cannot see each other's files. */
function caseDir(): string {
  const dir = join(root, `case-${++counter}`);
  fs.mkdirSync(dir);
  return dir;
}

function write(dir: string, name: string, content: string | Buffer): string {
  const file = join(dir, name);
  fs.mkdirSync(dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode: 0o644 });
  return file;
}

/** A hermetic environment: no system files, no HOME file unless the case writes one. */
function env(dir: string, extra: OptionFileEnv = {}): OptionFileEnv {
  return { cwd: dir, home: join(dir, 'no-home'), ...extra };
}

/** Writes dir/my.cnf and loads it as --defaults-file, from dir. */
function loadMyCnf(dir: string, content: string, extra: OptionFileEnv = {}): OptionFiles {
  write(dir, 'my.cnf', content);
  return OptionFiles.load({ defaultsFile: 'my.cnf' }, env(dir, extra), []);
}

function loadFile(content: string | Buffer, sources: Omit<OptionFileSources, 'defaultsFile'> = {}): OptionFiles {
  const dir = caseDir();
  write(dir, 'my.cnf', content);
  return OptionFiles.load({ ...sources, defaultsFile: 'my.cnf' }, env(dir), []);
}

function printed(content: string | Buffer, groups: readonly string[] = ['sst']): string[] {
  return loadFile(content).print(groups);
}

describe('groups', () => {
  test('only the asked groups, in file order rather than group order', () => {
    const cnf = '[sst]\na=1\n[mysqld]\nb=2\n[client]\nc=3\n[sst]\nd=4\n[mysqld]\ne=5\n';
    assert.deepEqual(printed(cnf, ['mysqld', 'sst']), ['--a=1', '--b=2', '--d=4', '--e=5']);
    assert.deepEqual(printed(cnf, ['client']), ['--c=3']);
    assert.deepEqual(printed(cnf, ['nothing']), []);
  });

  test('names compare without case', () => {
    const files = loadFile('[SsT]\na=1\n[sst-é]\nb=2\n');
    assert.deepEqual(files.print(['sst']), ['--a=1']);
    assert.deepEqual(files.print(['SST']), ['--a=1']);
    assert.deepEqual(files.print(['SST-é']), ['--b=2']);
  });

  test('trailing blanks in a header are dropped, leading ones kept, text after ] ignored', () => {
    const cnf = '[sst ]\na=1\n[ sst]\nb=2\n[sst]junk\nc=3\n[sst]]\nd=4\n[sst] # comment\ne=5\n[]\nf=6\n[zz # c]\ng=7\n';
    assert.deepEqual(printed(cnf), ['--a=1', '--c=3', '--d=4', '--e=5']);
    assert.deepEqual(printed(cnf, [' sst']), ['--b=2']);
    assert.deepEqual(printed(cnf, ['zz # c']), ['--g=7']);
  });

  test('a header without ] is fatal', () => {
    assertSstError(
      () => loadFile('[sst]\na=1\n[broken\nb=2\n'),
      Exit.BAD_CONFIG,
      /^Wrong group definition in config file: .*\/my\.cnf at line 3$/,
    );
  });

  test('an option before any header is fatal', () => {
    assertSstError(
      () => loadFile('# c\n\na=1\n[sst]\n'),
      Exit.BAD_CONFIG,
      /^Found option without preceding group in config file: .*my\.cnf at line: 3$/,
    );
  });

  test('-/_ are distinct in group names', () => {
    assert.deepEqual(printed('[mysqld_safe]\na=1\n[mysqld-safe]\nb=2\n', ['mysqld_safe']), ['--a=1']);
  });
});

describe('group suffix', () => {
  const cnf = '[sst]\na=1\n[sst.n2]\nb=2\n[SST.N2]\nc=3\n[sst.n3]\nd=4\n[sstn2]\ne=5\n[mysqld.n2]\nf=6\n';

  test('--defaults-group-suffix adds <group><suffix> for every group, case-insensitively', () => {
    const files = loadFile(cnf, { defaultsGroupSuffix: '.n2' });
    assert.deepEqual(files.print(['sst']), ['--a=1', '--b=2', '--c=3']);
    assert.deepEqual(files.print(['sst', 'mysqld']), ['--a=1', '--b=2', '--c=3', '--f=6']);
    assert.equal(files.groupSuffix, '.n2');
  });

  test('without a suffix, suffixed groups are not read', () => {
    assert.deepEqual(loadFile(cnf).print(['sst']), ['--a=1']);
  });

  test('MARIADB_GROUP_SUFFIX beats MYSQL_GROUP_SUFFIX; the option beats both; empty disables', () => {
    const dir = caseDir();
    write(dir, 'my.cnf', cnf);
    const load = (sources: OptionFileSources, e: OptionFileEnv): string[] =>
      OptionFiles.load({ defaultsFile: 'my.cnf', ...sources }, env(dir, e), []).print(['sst']);
    assert.deepEqual(load({}, { mysqlGroupSuffix: '.n3' }), ['--a=1', '--d=4']);
    assert.deepEqual(load({}, { mariadbGroupSuffix: '.n2', mysqlGroupSuffix: '.n3' }), ['--a=1', '--b=2', '--c=3']);
    assert.deepEqual(load({}, { mariadbGroupSuffix: '', mysqlGroupSuffix: '.n3' }), ['--a=1']);
    assert.deepEqual(load({ defaultsGroupSuffix: '.n3' }, { mariadbGroupSuffix: '.n2' }), ['--a=1', '--d=4']);
    assert.deepEqual(load({ defaultsGroupSuffix: '' }, { mariadbGroupSuffix: '.n2' }), ['--a=1']);
  });
});

describe('option lines', () => {
  test('blanks around = and around the line are dropped', () => {
    const cnf = '[sst]\na = 1\n  b=2  \n\tc\t=\t3\t\nd=   4\ne   =5\n';
    assert.deepEqual(printed(cnf), ['--a=1', '--b=2', '--c=3', '--d=4', '--e=5']);
  });

  test('whitespace is latin1 whitespace: \\v, \\f and NBSP (0xA0) too', () => {
    const cnf = Buffer.concat([Buffer.from('[sst]\nv=\x0ba\x0c\nn=a'), Buffer.from([0xa0]), Buffer.from('\n')]);
    assert.deepEqual(printed(cnf), ['--v=a', '--n=a']);
  });

  test('a UTF-8 value survives unless it ends in byte 0xA0, which MariaDB trims', () => {
    assert.deepEqual(printed('[sst]\np=/données/密钥.pem\ng=voilà\n'), ['--p=/données/密钥.pem', '--g=voil\ufffd']);
  });

  test('keys without values and empty values', () => {
    const cnf = '[sst]\nbare\nbare2   \n  bare3 # c\nempty=\nempty2 =   \n';
    assert.deepEqual(printed(cnf), ['--bare', '--bare2', '--bare3', '--empty=', '--empty2=']);
  });

  test('keys are printed as written: case, -/_, loose-, inner spaces, leading dashes', () => {
    const cnf = '[sst]\nUPPER=1\nsnake_key=2\nloose-x=3\nloose_y=4\nkey with space = 5\n--dd=6\n';
    assert.deepEqual(printed(cnf), [
      '--UPPER=1',
      '--snake_key=2',
      '--loose-x=3',
      '--loose_y=4',
      '--key with space=5',
      '----dd=6',
    ]);
  });

  test('values keep inner spaces and everything after the first =', () => {
    const cnf = '[sst]\na=x  y   z\nb=k=v=w\nc==lead\nd=verify=0,cipher=HIGH:!aNULL\n';
    assert.deepEqual(printed(cnf), ['--a=x  y   z', '--b=k=v=w', '--c==lead', '--d=verify=0,cipher=HIGH:!aNULL']);
  });

  test('duplicate keys are all kept, in order', () => {
    assert.deepEqual(printed('[sst]\nk=1\nk=2\n[mysqld]\nk=3\n[sst]\nk=4\nk\n'), ['--k=1', '--k=2', '--k=4', '--k']);
  });

  test('an empty key prints as --=; indented, MariaDB takes the rest of the line as key', () => {
    assert.deepEqual(printed('[sst]\n=v\n=\n'), ['--=v', '--=']);
    assert.deepEqual(printed('[sst]\n  =  v # c\n'), ['--=  v =v']);
    assert.deepEqual(printed('[sst]\n =\n'), ['--=\n=']);
  });

  test('CRLF line ends are whitespace', () => {
    const cnf = '[sst] # c\r\na=1\r\nq="x y"\r\nbare\r\n[mysqld]\r\nb=2\r\n';
    assert.deepEqual(printed(cnf, ['sst', 'mysqld']), ['--a=1', '--q=x y', '--bare', '--b=2']);
  });

  test('lines longer than 4094 bytes are cut into several lines, as fgets does', () => {
    const files = printed(`[sst]\nlong=${'x'.repeat(5000)}\nafter=1\n`);
    assert.deepEqual(
      files.map((l) => l.length),
      [4096, 913, 9],
    );
    assert.equal(files[1], `--${'x'.repeat(911)}`);
  });

  test('a NUL byte ends the line', () => {
    assert.deepEqual(printed(Buffer.from('[sst]\na=b\0c\nd=1\n')), ['--a=b', '--d=1']);
  });

  test('the last line needs no newline', () => {
    assert.deepEqual(printed('[sst]\na=1'), ['--a=1']);
  });
});

describe('comments', () => {
  test('# and ; start comment lines, indented or not', () => {
    assert.deepEqual(printed('# c\n; c\n  # c\n\t; c\n[sst]\n#a=1\n;b=2\nc=3\n'), ['--c=3']);
  });

  test('# ends the line anywhere outside quotes, even without a blank before it', () => {
    const cnf = '[sst]\na=1 # c\nb=2\t# c\nc=x#y\nke#y=1\nk2 #x=1\n';
    assert.deepEqual(printed(cnf), ['--a=1', '--b=2', '--c=x', '--ke', '--k2']);
  });

  test('; after the start of a line is data', () => {
    assert.deepEqual(printed('[sst]\na=x ; y\nb=x;y\n'), ['--a=x ; y', '--b=x;y']);
  });

  test('# inside quotes is data, also when the quote opens mid-value', () => {
    const cnf = `[sst]\na="x # y" # c\nb='x#y'#c\nc=a'b#c\nd=a"b#c"d#e\ne='a#b\n`;
    assert.deepEqual(printed(cnf), ['--a=x # y', '--b=x#y', "--c=a'b#c", '--d=a"b#c"d', "--e='a#b"]);
  });

  test('a backslash protects a quote only inside quotes', () => {
    const cnf = `[sst]\na="a\\"b#c" #x\nb=a\\'b#c\n`;
    assert.deepEqual(printed(cnf), ['--a=a"b#c', "--b=a'b#c"]);
  });
});

describe('quotes', () => {
  test('one pair of matching outer quotes is removed', () => {
    const cnf = `[sst]\na='x y'\nb="x y"\nc=''\nd=""\ne= "  padded  "  \nf="it's"\ng='say "hi"'\n`;
    assert.deepEqual(printed(cnf), [
      '--a=x y',
      '--b=x y',
      '--c=',
      '--d=',
      '--e=  padded  ',
      "--f=it's",
      '--g=say "hi"',
    ]);
  });

  test('mismatched, lone or partial quotes stay', () => {
    const cnf = `[sst]\na='x"\nb="x\nc=x'\nd='\ne='a'b\nf='a' b\n`;
    assert.deepEqual(printed(cnf), [`--a='x"`, '--b="x', "--c=x'", "--d='", "--e='a'b", "--f='a' b"]);
  });
});

describe('escapes', () => {
  test('\\n \\t \\r \\b \\s \\\\ \\" and \\\' are resolved, in or out of quotes', () => {
    const cnf = `[sst]\nn=a\\nb\nt=a\\tb\nr=a\\rb\nb=a\\bb\ns=\\s\\sx\\s\nbs=C:\\\\x\ndq=a\\"b\nsq=a\\'b\nq="x\\ty"\n`;
    assert.deepEqual(printed(cnf), [
      '--n=a\nb',
      '--t=a\tb',
      '--r=a\rb',
      '--b=a\bb',
      '--s=  x ',
      '--bs=C:\\x',
      '--dq=a"b',
      "--sq=a'b",
      '--q=x\ty',
    ]);
  });

  test('other escapes and a final backslash stay as written', () => {
    const cnf = `[sst]\na=a\\zb\\0c\\xd\nb=abc\\\nc=a\\#b\n`;
    assert.deepEqual(printed(cnf), ['--a=a\\zb\\0c\\xd', '--b=abc\\', '--c=a\\']);
  });
});

describe('!include', () => {
  test('reads the file in place; relative names are taken from the working directory', () => {
    const dir = caseDir();
    write(dir, 'inc/a.cnf', '[sst]\nfrom-a=1\n');
    const files = loadMyCnf(
      dir,
      '[sst]\nbefore=1\n!include inc/a.cnf\nafter=1\n  !include   ./inc/../inc/a.cnf   \n!include\tinc/a.cnf\n',
    );
    assert.deepEqual(files.print(['sst']), ['--before=1', '--from-a=1', '--after=1', '--from-a=1', '--from-a=1']);
    assert.deepEqual(files.files, [
      join(dir, 'my.cnf'),
      join(dir, 'inc/a.cnf'),
      `${dir}/inc/../inc/a.cnf`,
      join(dir, 'inc/a.cnf'),
    ]);
  });

  test('the including file keeps its group after the include', () => {
    const dir = caseDir();
    const inc = write(dir, 'inc.cnf', '[sst]\nin=1\n[other]\nin=2\n');
    const files = loadMyCnf(dir, `[mysqld]\n!include ${inc}\nx=1\n`);
    assert.deepEqual(files.print(['mysqld']), ['--x=1']);
    assert.deepEqual(files.print(['sst']), ['--in=1']);
  });

  test('~/ is the home directory', () => {
    const dir = caseDir();
    write(dir, 'home/h.cnf', '[sst]\nhome=1\n');
    const files = loadMyCnf(dir, '[sst]\n!include ~/h.cnf\n', { home: join(dir, 'home') });
    assert.deepEqual(files.print(['sst']), ['--home=1']);
  });

  test('a missing file, a trailing comment (part of the name) and unknown directives are ignored', () => {
    const dir = caseDir();
    write(dir, 'a.cnf', '[sst]\na=1\n');
    assert.deepEqual(
      loadMyCnf(
        dir,
        '[sst]\n!include missing.cnf\n!include a.cnf # c\n!includex a.cnf\n!INCLUDE a.cnf\n!bogus\nend=1\n!include',
      ).print(['sst']),
      ['--end=1'],
    );
  });

  test('a directive without a name is fatal at the top level', () => {
    assertSstError(
      () => loadFile('[sst]\n!include   \n'),
      Exit.BAD_CONFIG,
      /^Wrong '!include' directive in config file: .*my\.cnf at line 2$/,
    );
    assertSstError(() => loadFile('[sst]\n!includedir\n'), Exit.BAD_CONFIG, /^Wrong '!includedir' directive/);
  });

  test('an error inside an included file ends that file only, with a warning', () => {
    const dir = caseDir();
    write(dir, 'bad-group.cnf', '[sst]\nkept=1\n[broken\nlost=1\n');
    write(dir, 'no-group.cnf', 'orphan=1\n[sst]\nlost=1\n');
    const files = loadMyCnf(dir, '[sst]\n!include bad-group.cnf\na=1\n!include no-group.cnf\nb=1\n');
    assert.deepEqual(files.print(['sst']), ['--kept=1', '--a=1', '--b=1']);
    assert.equal(files.warnings.length, 2);
    assert.match(files.warnings[0] ?? '', /Wrong group definition .*bad-group\.cnf at line 3/);
    assert.match(files.warnings[1] ?? '', /Found option without preceding group .*no-group\.cnf at line: 1/);
  });

  test('recursion stops after 10 levels, with a warning', () => {
    const dir = caseDir();
    const self = join(dir, 'self.cnf');
    write(dir, 'self.cnf', `[sst]\nx=1\n!include ${self}\n`);
    const files = OptionFiles.load({ defaultsFile: self }, env(dir), []);
    assert.equal(files.print(['sst']).length, 11);
    assert.equal(files.warnings.length, 1);
    assert.match(files.warnings[0] ?? '', /maximum include recursion level/);
  });
});

describe('!includedir', () => {
  test('reads only *.cnf (last extension, exact case), sorted by bytes, hidden ones too', () => {
    const dir = caseDir();
    for (const name of [
      'b.cnf',
      'a.cnf',
      'A.cnf',
      '_u.cnf',
      '.hidden.cnf',
      'x.CNF',
      'y.cnf.bak',
      'z.ini',
      'a.b.cnf',
      '10.cnf',
      '9.cnf',
      'README',
      'cnf',
    ]) {
      write(dir, `conf.d/${name}`, `[sst]\nfile=${name}\n`);
    }
    write(dir, 'conf.d/sub.cnf/inner.cnf', '[sst]\nfile=inner\n');
    fs.symlinkSync('a.cnf', join(dir, 'conf.d/link.cnf'));
    fs.symlinkSync('nowhere', join(dir, 'conf.d/dangling.cnf'));
    const files = loadMyCnf(dir, '[mysqld]\n!includedir conf.d\n');
    const order = ['.hidden.cnf', '10.cnf', '9.cnf', 'A.cnf', '_u.cnf', 'a.b.cnf', 'a.cnf', 'b.cnf', 'a.cnf'];
    assert.deepEqual(
      files.print(['sst']),
      order.map((n) => `--file=${n}`),
    );
    assert.equal(files.files.length, 1 + order.length);
    assert.equal(files.files[order.length], join(dir, 'conf.d/link.cnf'));
  });

  test('a missing directory is fatal at the top level and a warning below it', () => {
    assertSstError(
      () => loadFile('[sst]\n!includedir /nonexistent-dir-for-test\n'),
      Exit.NOT_FOUND,
      /Can't read dir of '\/nonexistent-dir-for-test'/,
    );
    const dir = caseDir();
    write(dir, 'inc.cnf', '[sst]\nkept=1\n!includedir nope\nlost=1\n');
    const files = loadMyCnf(dir, '[sst]\n!include inc.cnf\nafter=1\n');
    assert.deepEqual(files.print(['sst']), ['--kept=1', '--after=1']);
    assert.equal(files.warnings.length, 1);
  });

  test('~ is not expanded in !includedir', () => {
    const dir = caseDir();
    write(dir, 'home/d/a.cnf', '[sst]\na=1\n');
    write(dir, 'my.cnf', '[sst]\n!includedir ~/d\n');
    assertSstError(
      () => OptionFiles.load({ defaultsFile: 'my.cnf' }, env(dir, { home: join(dir, 'home') }), []),
      Exit.NOT_FOUND,
      /'~\/d'/,
    );
  });
});

describe('which files are read', () => {
  function layout(): { dir: string; e: OptionFileEnv; system: string[] } {
    const dir = caseDir();
    const system = [write(dir, 'etc/my.cnf', '[t]\nv=etc\n'), write(dir, 'etc/mysql/my.cnf', '[t]\nv=etc-mysql\n')];
    write(dir, 'mysql-home/my.cnf', '[t]\nv=mysql-home\n');
    write(dir, 'mariadb-home/my.cnf', '[t]\nv=mariadb-home\n');
    write(dir, 'home/.my.cnf', '[t]\nv=home\n');
    write(dir, 'extra.cnf', '[t]\nv=extra\n');
    write(dir, 'defaults.cnf', '[t]\nv=defaults\n');
    return { dir, e: env(dir, { home: join(dir, 'home'), mysqlHome: join(dir, 'mysql-home') }), system };
  }

  test('system files, MYSQL_HOME/my.cnf, the extra file, ~/.my.cnf', () => {
    const { e, system } = layout();
    const files = OptionFiles.load({ defaultsExtraFile: 'extra.cnf' }, e, system);
    assert.deepEqual(files.print(['t']), ['--v=etc', '--v=etc-mysql', '--v=mysql-home', '--v=extra', '--v=home']);
    assert.equal(files.files.length, 5);
  });

  test('MARIADB_HOME wins over MYSQL_HOME, even when empty', () => {
    const { dir, e, system } = layout();
    const mariadb = OptionFiles.load({}, { ...e, mariadbHome: join(dir, 'mariadb-home') }, system);
    assert.deepEqual(mariadb.print(['t']), ['--v=etc', '--v=etc-mysql', '--v=mariadb-home', '--v=home']);
    const empty = OptionFiles.load({}, { ...e, mariadbHome: '' }, system);
    assert.deepEqual(empty.print(['t']), ['--v=etc', '--v=etc-mysql', '--v=home']);
  });

  test('a name listed twice is read once, at its later place', () => {
    const { dir, e, system } = layout();
    const twice = OptionFiles.load({}, { ...e, mysqlHome: join(dir, 'etc') }, system);
    assert.deepEqual(twice.print(['t']), ['--v=etc-mysql', '--v=etc', '--v=home']);
    const homeTwice = OptionFiles.load({ defaultsExtraFile: 'extra.cnf' }, { ...e, mysqlHome: '~' }, system);
    assert.deepEqual(homeTwice.print(['t']), ['--v=etc', '--v=etc-mysql', '--v=extra', '--v=home']);
  });

  test('a ~ directory in MYSQL_HOME holds .my.cnf', () => {
    const { dir, e } = layout();
    write(dir, 'home/sub/.my.cnf', '[t]\nv=home-sub\n');
    const files = OptionFiles.load({}, { ...e, mysqlHome: '~/sub' }, []);
    assert.deepEqual(files.print(['t']), ['--v=home-sub', '--v=home']);
  });

  test('--defaults-file replaces everything, the extra file included', () => {
    const { e, system } = layout();
    const files = OptionFiles.load({ defaultsFile: 'defaults.cnf', defaultsExtraFile: 'extra.cnf' }, e, system);
    assert.deepEqual(files.print(['t']), ['--v=defaults']);
  });

  test('an unset HOME skips ~/.my.cnf', () => {
    const { e } = layout();
    assert.deepEqual(OptionFiles.load({}, { ...e, home: undefined, mysqlHome: undefined }, []).files, []);
  });

  test('a missing required file is NOT_FOUND, shown as my_print_defaults shows it', () => {
    const { dir, e } = layout();
    assertSstError(
      () => OptionFiles.load({ defaultsFile: 'nope.cnf' }, e, []),
      Exit.NOT_FOUND,
      `Could not open required defaults file: ${dir}/nope.cnf`,
    );
    assertSstError(
      () => OptionFiles.load({ defaultsFile: './x/../nope.cnf' }, e, []),
      Exit.NOT_FOUND,
      `Could not open required defaults file: ${dir}/x/../nope.cnf`,
    );
    assertSstError(
      () => OptionFiles.load({ defaultsFile: '~/nope.cnf' }, e, []),
      Exit.NOT_FOUND,
      'Could not open required defaults file: ~/nope.cnf',
    );
    assertSstError(
      () => OptionFiles.load({ defaultsExtraFile: '/nope/extra.cnf' }, e, []),
      Exit.NOT_FOUND,
      'Could not open required defaults file: /nope/extra.cnf',
    );
  });

  test('~/ in --defaults-file and --defaults-extra-file is the home directory', () => {
    const { e } = layout();
    assert.deepEqual(OptionFiles.load({ defaultsFile: '~/.my.cnf' }, e, []).print(['t']), ['--v=home']);
    assert.deepEqual(
      OptionFiles.load({ defaultsExtraFile: '~/../extra.cnf' }, { ...e, mysqlHome: undefined }, []).print(['t']),
      ['--v=extra', '--v=home'],
    );
  });

  test('a directory opens but yields nothing; an empty --defaults-file names the working directory', () => {
    const { dir, e } = layout();
    assert.deepEqual(OptionFiles.load({ defaultsFile: dir }, e, []).files, []);
    assert.deepEqual(OptionFiles.load({ defaultsFile: '' }, e, []).files, []);
    assert.deepEqual(OptionFiles.load({ defaultsExtraFile: '' }, e, []).print(['t']), ['--v=mysql-home', '--v=home']);
  });

  test('a world-writable file is ignored with a warning, even as --defaults-file', () => {
    const { dir, e } = layout();
    const file = write(dir, 'ww.cnf', '[t]\nv=ww\n');
    fs.chmodSync(file, 0o666);
    const files = OptionFiles.load({ defaultsFile: file }, e, []);
    assert.deepEqual(files.print(['t']), []);
    assert.deepEqual(files.warnings, [`World-writable config file '${file}' is ignored`]);
    fs.chmodSync(file, 0o664);
    assert.deepEqual(OptionFiles.load({ defaultsFile: file }, e, []).print(['t']), ['--v=ww']);
  });

  test('an unreadable required file is NOT_FOUND', {
    skip: process.getuid?.() === 0 ? 'root reads every file' : false,
  }, () => {
    const { dir, e } = layout();
    const file = write(dir, 'secret.cnf', '[t]\nv=1\n');
    fs.chmodSync(file, 0o000);
    assertSstError(
      () => OptionFiles.load({ defaultsFile: file }, e, []),
      Exit.NOT_FOUND,
      /Could not open required defaults file/,
    );
  });

  test('defaults: the real system files and process.env', () => {
    assert.deepEqual(SYSTEM_OPTION_FILES, ['/etc/my.cnf', '/etc/mysql/my.cnf']);
    const e = optionFileEnv({
      HOME: '/h',
      MYSQL_HOME: '/m',
      MARIADB_HOME: '/mm',
      MYSQL_GROUP_SUFFIX: '.a',
      MARIADB_GROUP_SUFFIX: '.b',
    });
    assert.deepEqual(e, {
      home: '/h',
      mysqlHome: '/m',
      mariadbHome: '/mm',
      mysqlGroupSuffix: '.a',
      mariadbGroupSuffix: '.b',
      cwd: process.cwd(),
    });
  });
});

describe('get()', () => {
  const mysqldOrSst = parseGroupSpec('--mysqld|sst', '10.11');

  function files(content: string, suffix?: string): OptionFiles {
    return loadFile(content, suffix === undefined ? {} : { defaultsGroupSuffix: suffix });
  }

  test('the first group set with a non-empty value wins', () => {
    const f = files('[sst]\nssl-mode=DISABLED\n[mysqld]\nssl-mode=REQUIRED\n');
    assert.equal(f.get(mysqldOrSst, 'ssl-mode'), 'REQUIRED');
    assert.equal(f.get([SST_GROUPS], 'ssl-mode'), 'DISABLED');
    assert.equal(f.get([SST_GROUPS, mysqldGroups('10.11')], 'ssl-mode'), 'DISABLED');
  });

  test('within a set the last occurrence in file order wins', () => {
    const f = files('[mysqld]\ntmpdir=/a\n[galera]\ntmpdir=/b\n[mysqld]\ntmpdir=/c\n[mariadb]\ntmpdir=/d\n');
    assert.equal(f.get(mysqldOrSst, 'tmpdir'), '/d');
  });

  test('an empty or bare last value falls through to the next set', () => {
    const f = files(
      '[mysqld]\ntmpdir=/m\ntmpdir=\nbackup-threads=2\nbackup-threads\n[sst]\ntmpdir=/s\nbackup-threads=3\n',
    );
    assert.equal(f.get(mysqldOrSst, 'tmpdir'), '/s');
    assert.equal(f.get(mysqldOrSst, 'backup-threads'), '3');
    assert.equal(f.get([mysqldGroups('10.11')], 'tmpdir'), undefined);
  });

  test('nothing found is undefined', () => {
    assert.equal(files('[sst]\na=1\n').get(mysqldOrSst, 'tca'), undefined);
    assert.equal(files('[sst]\na=1\n').get([], 'a'), undefined);
  });

  test('_ and - are one; loose- is dropped on both sides', () => {
    const f = files(
      '[sst]\nsst_max_binlogs=4\nloose-tca=/loose\nloose_tcert=/loose-underscore\n--loose-tkey=/dd\nloosesockopt=x\n',
    );
    assert.equal(f.get(mysqldOrSst, 'sst-max-binlogs'), '4');
    assert.equal(f.get(mysqldOrSst, 'sst_max_binlogs'), '4');
    assert.equal(f.get(mysqldOrSst, 'tca'), '/loose');
    assert.equal(f.get(mysqldOrSst, 'loose-tca'), '/loose');
    assert.equal(f.get(mysqldOrSst, 'tcert'), '/loose-underscore');
    assert.equal(f.get(mysqldOrSst, 'tkey'), undefined);
    assert.equal(f.get(mysqldOrSst, 'sockopt'), undefined);
  });

  test('values are trimmed and keep their inner = and spaces', () => {
    const f = files('[sst]\nsockopt=" verify=0,cipher=HIGH "\ntca = /a b/ca.pem\n');
    assert.equal(f.get(mysqldOrSst, 'sockopt'), 'verify=0,cipher=HIGH');
    assert.equal(f.get(mysqldOrSst, 'tca'), '/a b/ca.pem');
  });

  test('a value holding a newline is kept whole (upstream cuts it), so callers can refuse it', () => {
    assert.equal(files('[sst]\ntca=/a\\n--tca=/b\n').get(mysqldOrSst, 'tca'), '/a\n--tca=/b');
    assert.equal(files('[sst]\ntca=/a\\nb\n').get(mysqldOrSst, 'tca'), '/a\nb');
  });

  test('suffixed groups take part', () => {
    const f = files('[sst]\ntcert=/plain\n[sst.n2]\ntcert=/n2\n[mysqld.n2]\nssl-ca=/m2\n', '.n2');
    assert.equal(f.get(mysqldOrSst, 'tcert'), '/n2');
    assert.equal(f.get(mysqldOrSst, 'ssl-ca'), '/m2');
  });

  test('[client] is never read by --mysqld|sst', () => {
    assert.equal(files('[client]\nssl-ca=/client\n').get(mysqldOrSst, 'ssl-ca'), undefined);
  });
});

describe('group lists', () => {
  test('mysqldGroups() with and without a version, in my_print_defaults --mysqld order', () => {
    const plain = ['mysqld', 'server', 'mariadb', 'mariadbd', 'client-server', 'galera'];
    assert.deepEqual(mysqldGroups(), plain);
    assert.deepEqual(mysqldGroups('not a version'), plain);
    const v1011 = [
      'mysqld',
      'server',
      'mysqld-10.11',
      'mariadb',
      'mariadb-10.11',
      'mariadbd',
      'mariadbd-10.11',
      'client-server',
      'galera',
    ];
    assert.deepEqual(mysqldGroups('10.11'), v1011);
    assert.deepEqual(mysqldGroups('10.11.19-MariaDB'), v1011);
  });

  test('parseGroupSpec() and SST_GROUPS', () => {
    assert.deepEqual(SST_GROUPS, ['sst']);
    assert.deepEqual(parseGroupSpec('--mysqld|sst|xtrabackup', '11.4'), [
      mysqldGroups('11.4'),
      ['sst'],
      ['xtrabackup'],
    ]);
    assert.deepEqual(parseGroupSpec('sst'), [['sst']]);
  });
});
