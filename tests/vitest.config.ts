import { defineConfig } from 'vitest/config';
import { reportTo } from '../vitest.shared.ts';

export default defineConfig({ test: { ...reportTo('e2e'), testTimeout: 90000, hookTimeout: 90000, fileParallelism: false } });
