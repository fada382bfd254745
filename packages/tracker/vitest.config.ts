import { defineConfig } from 'vitest/config';
import { reportTo } from '../../vitest.shared.ts';

export default defineConfig({ test: { ...reportTo('tracker'), testTimeout: 60000, hookTimeout: 60000 } });
