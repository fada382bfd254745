// Rewrites the config table in the README from the schema: `bun run docs:config`.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configTable, TABLE_END, TABLE_START } from '../src/config-doc.ts';

const readme = resolve(import.meta.dirname, '../../../README.md');
const text = readFileSync(readme, 'utf8');
const start = text.indexOf(TABLE_START);
const end = text.indexOf(TABLE_END);
if (start < 0 || end < 0) throw new Error(`README.md lacks the ${TABLE_START} … ${TABLE_END} markers`);
writeFileSync(readme, `${text.slice(0, start + TABLE_START.length)}\n${configTable()}\n${text.slice(end)}`);
console.log('README.md config table updated');
