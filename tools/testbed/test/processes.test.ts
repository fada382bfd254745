import { describe, expect, it } from 'vitest';
import { childProcesses, processesMatching } from '../src/index.ts';

describe('childProcesses and processesMatching', () => {
  it('find children and grandchildren, and nothing once they are gone', async () => {
    // A tag in the command line, so that tests running beside this one cannot be mistaken for it.
    const tag = `${process.pid}${Date.now()}`;
    const child = Bun.spawn(['sh', '-c', `sleep 30.${tag} & wait`]);
    let grandchild: number | undefined;
    try {
      let found: Awaited<ReturnType<typeof childProcesses>> = [];
      for (let i = 0; i < 50 && !found.some((p) => p.command.startsWith('sleep')); i++, await Bun.sleep(20)) found = await childProcesses();
      const sh = found.find((p) => p.pid === child.pid);
      expect(sh).toMatchObject({ ppid: process.pid, command: `sh -c sleep 30.${tag} & wait` });
      grandchild = found.find((p) => p.ppid === child.pid)?.pid;
      expect(found.find((p) => p.pid === grandchild)).toMatchObject({ command: `sleep 30.${tag}` });
      expect((await childProcesses(child.pid)).map((p) => p.command)).toEqual([`sleep 30.${tag}`]);
      expect((await processesMatching(new RegExp(`^sleep 30\\.${tag}`, 'g'))).length).toBe(1);
      // A /g pattern tried twice still matches: test() would carry lastIndex from one process to the next.
      expect((await processesMatching(new RegExp(tag, 'g'))).length).toBe(2);
    } finally {
      // The sleep first: killed after its shell, it would be left to init.
      if (grandchild) process.kill(grandchild, 'SIGKILL');
      child.kill('SIGKILL');
      await child.exited;
    }
    expect(await processesMatching(new RegExp(tag))).toEqual([]);
  });
});
