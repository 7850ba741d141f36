// Import direction between folders (npm run lint). The design's layers, lowest first:
//   core/{errors,log,config,image,html,service} → core/list, core/store → core/download → core/round → core/fleet
//   → core/metrics (the metrics' names, for fetch, worker and the dashboard) → fetch, worker, coordinator, web → cli.
//   Tests, bench and examples may import anything; harness/ anything but tests, bench and examples; the product
//   never imports harness/, tests, bench or examples.
/** @type {import('dependency-cruiser').IConfiguration} */
const layers = [
  [
    'core/(errors|log|config|image|html|service)/',
    ['core/(list|store|download|round|fleet)/', '^(fetch|worker|coordinator|web|cli)/'],
  ],
  ['core/list/', ['core/(store|download|round|fleet)/', '^(fetch|worker|coordinator|web|cli)/']],
  ['core/store/', ['core/(list|download|round|fleet)/', '^(fetch|worker|coordinator|web|cli)/']],
  ['core/download/', ['core/(round|fleet)/', '^(fetch|worker|coordinator|web|cli)/']],
  ['core/round/', ['core/fleet/', '^(fetch|worker|coordinator|web|cli)/']],
  ['core/fleet/', ['core/metrics/', '^(fetch|worker|coordinator|web|cli)/']],
  ['core/metrics/', ['core/fleet/', '^(fetch|worker|coordinator|web|cli)/']],
  ['^web/', ['core/(list|download|round|fleet)/', '^(fetch|worker|coordinator|cli)/']],
  ['^(worker|coordinator)/', ['^(fetch|cli)/']],
  ['^fetch/', ['^(worker|coordinator|cli)/']],
];

module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycle',
      comment: 'Folders depend one way: a cycle between two folders means a concept sits in the wrong one.',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-file-cycle',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-product-to-harness',
      comment: 'harness/ serves tests, bench and examples; the product must not depend on it.',
      severity: 'error',
      from: { path: '^(cli|core|fetch|worker|coordinator|web)/' },
      to: { path: '^(harness|test|bench|examples)/' },
    },
    {
      name: 'harness-stands-alone',
      comment: 'tests, bench and examples build on harness/, never the other way round.',
      severity: 'error',
      from: { path: '^harness/' },
      to: { path: '^(test|bench|examples)/' },
    },
    ...layers.map(([from, tos], index) => ({
      name: `layer-${index}`,
      comment: `${from} may not import ${tos.join(' or ')}`,
      severity: 'error',
      from: { path: `^${from.replace(/^\^/, '')}` },
      to: { path: tos.map((to) => (to.startsWith('^') ? to : `^${to}`)) },
    })),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
