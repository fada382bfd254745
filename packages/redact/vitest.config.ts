import { defineConfig } from 'vitest/config';
import { reportTo } from '../../vitest.shared.ts';

export default defineConfig({ test: { ...reportTo('redact'), testTimeout: 10000, hookTimeout: 10000, } });
