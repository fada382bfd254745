import { defineConfig } from 'vitest/config';
import { reportTo } from '../../vitest.shared.ts';

export default defineConfig({ test: { ...reportTo('detector'), testTimeout: 30000, hookTimeout: 30000 } });
