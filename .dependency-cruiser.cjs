/**
 * The layers of src/ (docs/architecture.md), checked by `npm run deps` in every test run: no import
 * cycles, shared code knows no destination, destinations know each other not, lower layers do not reach
 * up, and nothing shipped imports the emulators or the tests.
 */
const SHARED = '^src/((errors|http|pipeline|state|sources|definitions|reports|github|jobs|plan|reconcile|commands)/|settings\\.ts|secrets\\.ts)';
const LOW = '^src/(errors|http|pipeline|state)/';
/** What may name the destinations: the registry, and the demo that wires emulators of them. */
const WIRING = '^src/(registry\\.ts|cli\\.ts|demo/|commands/demo\\.ts)';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Import cycles make modules impossible to read or test alone.', from: {}, to: { circular: true } },
    {
      name: 'shared-knows-no-destination',
      severity: 'error',
      comment: 'Shared code reaches destinations only through the registry (src/registry.ts).',
      from: { path: SHARED, pathNot: WIRING },
      to: { path: '^src/destinations/' },
    },
    {
      name: 'destinations-apart',
      severity: 'error',
      comment: 'A destination module stands alone: what two share belongs in shared code.',
      from: { path: '^src/destinations/([^/]+)/' },
      to: { path: '^src/destinations/', pathNot: '^src/destinations/$1/' },
    },
    {
      name: 'destinations-below-the-engine',
      severity: 'error',
      comment: 'Modules are called by the engine; they do not call it (or the registry, or commands).',
      from: { path: '^src/destinations/' },
      to: { path: '^src/(registry\\.ts|reconcile/|commands/|cli\\.ts|plan/planner\\.ts|jobs/skeleton\\.ts)' },
    },
    {
      name: 'low-layers-stay-low',
      severity: 'error',
      comment: 'HTTP, the pipeline, state, the source and errors serve everything above them and import none of it.',
      from: { path: LOW },
      to: { path: '^src/(definitions|reports|github|jobs|plan|reconcile|commands|registry\\.ts|cli\\.ts)' },
    },
    {
      name: 'the-source-below-the-engine',
      severity: 'error',
      comment: 'Reading Domo serves jobs and plans; it does not know them.',
      from: { path: '^src/sources/' },
      to: { path: '^src/(jobs|plan|reconcile|commands|github|destinations|registry\\.ts|cli\\.ts)' },
    },
    {
      name: 'emulators-only-for-the-demo',
      severity: 'error',
      comment: 'Emulators serve tests and the demo, never a real run.',
      from: { path: '^src/', pathNot: '^src/(emulators|demo)/' },
      to: { path: '^src/emulators/' },
    },
    { name: 'no-tests-in-src', severity: 'error', from: { path: '^src/' }, to: { path: '^(test|bench)/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
