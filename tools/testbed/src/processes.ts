import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  command: string;
}

/** Every live process, read from /proc (no `ps` needed). Zombies count: a zombie is a leak too. */
export function listProcesses(): ProcessInfo[] {
  const list: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name is in parentheses and may itself contain spaces or parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      list.push({ pid: Number(entry), ppid: Number(fields[1]), command: cmdline || stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) });
    } catch {
      // The process ended while we looked.
    }
  }
  return list;
}

/** Descendants of a process (children, grandchildren, …). */
export async function childProcesses(pid: number = process.pid): Promise<ProcessInfo[]> {
  const all = listProcesses();
  const found: ProcessInfo[] = [];
  const parents = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}

/** Processes (but this one) whose command line matches, e.g. /ffmpeg.*8554/ to find a leaked ffmpeg. */
export async function processesMatching(pattern: RegExp): Promise<ProcessInfo[]> {
  // search(), not test(): a /g or /y pattern's test() carries lastIndex from one process to the next.
  return listProcesses().filter((p) => p.pid !== process.pid && p.command.search(pattern) >= 0);
}
