import { describe, expect, it } from 'vitest';
import { maxWeightMatching } from '../src/assignment.ts';

const total = (weights: number[][], pairs: Array<[number, number]>) => pairs.reduce((sum, [r, c]) => sum + weights[r]![c]!, 0);
const solve = (weights: number[][]) => maxWeightMatching(Float64Array.from(weights.flat()), weights.length, weights[0]?.length ?? 0);

/** Best total over every way to match rows to distinct columns (or leave them out), by brute force. */
function bruteForce(weights: number[][]): number {
  const columns = weights[0]?.length ?? 0;
  const best = (row: number, used: Set<number>): number => {
    if (row === weights.length) return 0;
    let result = best(row + 1, used);
    for (let c = 0; c < columns; c++) {
      if (used.has(c) || weights[row]![c]! <= 0) continue;
      used.add(c);
      result = Math.max(result, weights[row]![c]! + best(row + 1, used));
      used.delete(c);
    }
    return result;
  };
  return best(0, new Set());
}

describe('maxWeightMatching', () => {
  it('finds the best total where greedy (largest first) does not', () => {
    // Greedy takes 0.9, then is left with 0.1: 1.0. Crossing over gives 0.8 + 0.8 = 1.6.
    const weights = [
      [0.9, 0.8],
      [0.8, 0.1],
    ];
    const pairs = solve(weights);
    expect(pairs.sort()).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(total(weights, pairs)).toBeCloseTo(1.6);
  });

  it('never matches a pair of weight 0 or less, and leaves rows or columns over', () => {
    const weights = [
      [0.5, 0, -1],
      [0, 0, 0],
    ];
    expect(solve(weights)).toEqual([[0, 0]]);
    expect(solve([[0]])).toEqual([]);
    expect(solve([[0.3], [0.7], [0.2]])).toEqual([[1, 0]]);
  });

  it('matches brute force on 300 random problems up to 6 × 6, sparse and dense', () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let n = 0; n < 300; n++) {
      const rows = 1 + Math.floor(random() * 6);
      const columns = 1 + Math.floor(random() * 6);
      const density = random();
      const weights = Array.from({ length: rows }, () => Array.from({ length: columns }, () => (random() < density ? random() - 0.2 : 0)));
      const pairs = solve(weights);
      expect(new Set(pairs.map(([r]) => r)).size).toBe(pairs.length);
      expect(new Set(pairs.map(([, c]) => c)).size).toBe(pairs.length);
      for (const [r, c] of pairs) expect(weights[r]![c]).toBeGreaterThan(0);
      expect(total(weights, pairs)).toBeCloseTo(bruteForce(weights), 9);
    }
  });
});
