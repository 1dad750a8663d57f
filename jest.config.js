/** @type {import('jest').Config} */
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript', tsx: true }, target: 'es2022', transform: { react: { runtime: 'automatic' } } }, module: { type: 'commonjs' } }];

module.exports = {
  // Jest's 5 s default is a timed assertion in disguise: a property test or an import test that
  // is simply slower on a busy or slow machine would fail without anything being wrong.
  testTimeout: 60_000,
  projects: [
    {
      displayName: 'core',
      testEnvironment: 'node',
      roots: ['<rootDir>/cloudfunctions', '<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/', '<rootDir>/test/web/'],
      // FC_SEED, FC_PATH and FC_RUNS for every fast-check property; a property outliving its test stopped
      setupFilesAfterEnv: ['<rootDir>/test/support/fast-check-setup.ts'],
      transform: { '^.+\\.(t|j)sx?$': swc },
    },
    {
      // Real Chromium against the H5 build served by the local runtime.
      displayName: 'e2e',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/e2e'],
      testMatch: ['**/*.test.ts'],
      transform: { '^.+\\.(t|j)sx?$': swc },
    },
    {
      // The pages in jsdom: Taro's platform modules and the transport replaced by stand-ins.
      displayName: 'web',
      testEnvironment: 'jsdom',
      roots: ['<rootDir>/test/web'],
      testMatch: ['**/*.test.ts?(x)'],
      setupFiles: ['<rootDir>/test/web/setup.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/fast-check-setup.ts', '<rootDir>/test/web/each.ts'],
      // the build's BRAND_DOMAIN (config/index.ts), as the pages' tests spell our links
      globals: { BRAND_DOMAIN: 'brand.example', BRAND_NAME: '会员中心' },
      moduleNameMapper: {
        '^@tarojs/components$': '<rootDir>/test/web/stubs/components.tsx',
        '^@tarojs/taro$': '<rootDir>/test/web/stubs/taro.ts',
        '^\\./transport$': '<rootDir>/test/web/stubs/transport.ts',
        '\\.css$': '<rootDir>/test/web/stubs/style.ts',
        '\\.(png|jpe?g|gif|svg)$': '<rootDir>/test/web/stubs/file.ts',
      },
      transform: { '^.+\\.(t|j)sx?$': swc },
    },
  ],
};
