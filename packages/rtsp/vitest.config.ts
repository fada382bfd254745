import { defineConfig } from 'vitest/config';
import { reportTo } from '../../vitest.shared.ts';

export default defineConfig({ test: { ...reportTo('rtsp'), testTimeout: 30000, hookTimeout: 30000 } });
