/**
 * A strict reader of Prometheus' text exposition format 0.0.4, for tests: every line must be a
 * HELP, a TYPE, a comment, a blank or a sample of the family declared just before it, or it
 * throws with the line. (prom-client writes this format but has no public reader.)
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** The sample's own name: a histogram's are <family>_bucket, _sum and _count. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<string>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
/** The sample names each type may use, after its family's name. */
const SUFFIXES: Record<MetricType, readonly string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/** The families of a scrape, by name, in the order written. */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  let current: Family | undefined;
  const familyNamed = (name: string, line: string): Family => {
    if (!METRIC_NAME.test(name)) throw new Error(`bad metric name in: ${line}`);
    let family = families.get(name);
    if (!family) {
      family = { name, type: 'untyped', help: '', samples: [] };
      families.set(name, family);
    } else if (family !== current) {
      throw new Error(`family ${name} is not written in one piece: ${line}`);
    }
    current = family;
    return family;
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
    if (meta) {
      const [, keyword, name, rest = ''] = meta as unknown as [string, string, string, string?];
      const family = familyNamed(name, line);
      if (keyword === 'HELP') {
        family.help = unescape(rest, false, line);
      } else {
        if (!TYPES.has(rest)) throw new Error(`unknown type in: ${line}`);
        if (family.samples.length) throw new Error(`TYPE after samples in: ${line}`);
        family.type = rest as MetricType;
      }
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = parseSample(line);
    const family = current && SUFFIXES[current.type].some((suffix) => current!.name + suffix === sample.name) ? current : familyNamed(sample.name, line);
    family.samples.push(sample);
  }
  return families;
}

function parseSample(line: string): Sample {
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
  if (!name) throw new Error(`no metric name in: ${line}`);
  let at = name.length;
  const labels: Record<string, string> = {};
  if (line[at] === '{') {
    at++;
    while (line[at] !== '}') {
      const label = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(at));
      if (!label || !LABEL_NAME.test(label[1]!)) throw new Error(`bad label at ${at} in: ${line}`);
      at += label[0].length;
      let raw = '';
      while (line[at] !== '"') {
        if (at >= line.length) throw new Error(`unterminated label value in: ${line}`);
        if (line[at] === '\\') raw += line[at++];
        raw += line[at++];
      }
      at++;
      if (label[1]! in labels) throw new Error(`label ${label[1]} twice in: ${line}`);
      labels[label[1]!] = unescape(raw, true, line);
      if (line[at] === ',') at++;
      else if (line[at] !== '}') throw new Error(`expected , or } at ${at} in: ${line}`);
    }
    at++;
  }
  const fields = line.slice(at).trim().split(/\s+/);
  if (fields.length < 1 || fields.length > 2 || line[at] !== ' ') throw new Error(`expected " value [timestamp]" in: ${line}`);
  return { name, labels, value: parseValue(fields[0]!, line) };
}

/** As Prometheus reads it (Go's ParseFloat): Inf and NaN in any case (prom-client writes `Nan`). */
function parseValue(text: string, line: string): number {
  if (/^\+?inf(inity)?$/i.test(text)) return Infinity;
  if (/^-inf(inity)?$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) throw new Error(`bad value ${text} in: ${line}`);
  return value;
}

/** HELP text escapes \\ and \n; label values also \". */
function unescape(raw: string, quotes: boolean, line: string): string {
  return raw.replace(/\\(.)/g, (_, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    if (c === '"' && quotes) return '"';
    throw new Error(`bad escape \\${c} in: ${line}`);
  });
}
