import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Emulators bind 127.0.0.1 on ephemeral ports, so files can run in parallel safely.
    pool: 'forks',
  },
});
