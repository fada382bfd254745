// Shared by every workspace's vitest.config.ts: when TEST_REPORT_DIR is set (scripts/test.sh),
// each run also writes a JSON report there, which scripts/test-summary.ts adds up.
export function reportTo(name: string) {
  const dir = process.env.TEST_REPORT_DIR;
  if (!dir) return {};
  return { reporters: ['default', 'json'], outputFile: { json: `${dir}/${name}.json` } };
}
