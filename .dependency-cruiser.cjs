/**
 * The layers of src/ (CONTRIBUTING.md, "Layers"), checked by `make lint-layers`, first in `make test`.
 *
 * Left to right; an import may only go to the same folder or to a folder further right, so two
 * folders of one layer (sst and check, tunnel and rsync, proc and protocol, the three files at the
 * bottom) never import each other either:
 *
 *   main.ts → cli → sst | check → tunnel | rsync → config → net → proc | protocol → errors.ts | log.ts | version.ts
 *
 * Type-only imports count (tsPreCompilationDeps): a type that climbs a layer ties the layers as
 * much as a value does. A file in a folder missing from LAYERS fails too, so a new folder gets
 * its place in the order when it is made.
 */
const LAYERS = [['main.ts'], ['cli'], ['sst', 'check'], ['tunnel', 'rsync'], ['config'], ['net'], ['proc', 'protocol'], ['errors.ts', 'log.ts', 'version.ts']];

/** `src/<name>` itself for a file, anything under it for a folder. */
const under = (names) => `^src/(?:${names.map((n) => (n.endsWith('.ts') ? `${n.replace('.', '\\.')}$` : `${n}/`)).join('|')})`;

const known = LAYERS.flat();

const levelOf = (name) => LAYERS.findIndex((layer) => layer.includes(name));

/** Per folder: what it must not import (every other name of its own layer or a layer to its left). */
const layerRules = known
  .map((name) => ({ name, banned: known.filter((other) => other !== name && levelOf(other) <= levelOf(name)) }))
  .filter(({ banned }) => banned.length > 0)
  .map(({ name, banned }) => ({
    name: `layer:${name}`,
    severity: 'error',
    comment: `src/${name} may import only from itself and from ${LAYERS.slice(levelOf(name) + 1).map((l) => l.join(' | ')).join(' → ') || 'nothing else in src/'}`,
    from: { path: under([name]) },
    to: { path: under(banned) },
  }));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'layer:unplaced',
      severity: 'error',
      comment: 'every module of src/ belongs to a layer: add a new folder to LAYERS in .dependency-cruiser.cjs (and to CONTRIBUTING.md)',
      from: { path: '^src/', pathNot: under(known) },
      to: {},
    },
    {
      name: 'layer:unplaced-target',
      severity: 'error',
      comment: 'every module of src/ belongs to a layer: add a new folder to LAYERS in .dependency-cruiser.cjs (and to CONTRIBUTING.md)',
      from: {},
      to: { path: '^src/', pathNot: under(known) },
    },
  ],
  options: {
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
