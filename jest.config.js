// ESM all the way: @kubernetes/client-node (1.x, like 2.x) ships only ESM, so jest runs in its
// native-ESM mode (node --experimental-vm-modules) with ts-jest's ESM preset.
/** @type {import('jest').Config} */
const esm = {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
};

export default {
  // Jest reads testTimeout only at the top level, not per project. Integration tests start real
  // processes (broker clients, bridges, webhooks); units finish in milliseconds either way.
  testTimeout: 120000,
  projects: [
    { ...esm, displayName: 'unit', testMatch: ['<rootDir>/tests/unit/**/*.test.ts'] },
    {
      ...esm,
      displayName: 'integration',
      testMatch: ['<rootDir>/tests/integration/**/*.test.ts'],
    },
    { ...esm, displayName: 'e2e', testMatch: ['<rootDir>/tests/e2e/**/*.test.ts'] },
  ],
};
