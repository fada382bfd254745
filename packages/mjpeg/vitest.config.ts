import { defineConfig } from 'vitest/config';
import { reportTo } from '../../vitest.shared.ts';

export default defineConfig({ test: { ...reportTo('mjpeg'), testTimeout: 20000, hookTimeout: 20000, } });
