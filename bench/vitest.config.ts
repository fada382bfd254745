import { defineConfig } from 'vitest/config';
import { reportTo } from '../vitest.shared.ts';

export default defineConfig({ test: { ...reportTo('bench'), testTimeout: 180000, hookTimeout: 60000, fileParallelism: false } });
