import { defineConfig } from 'vitest/config';
import { reportTo } from '../../vitest.shared.ts';

export default defineConfig({ test: { ...reportTo('server'), testTimeout: 30000, hookTimeout: 30000, } });
