/**
 * Maximum-weight matching of rows to columns, each used at most once, over the pairs whose weight
 * is positive (a pair of weight ≤ 0 is never matched). Exact: the Hungarian method.
 *
 * This is what ByteTrack's `lap.lapjv(cost, extend_cost=True, cost_limit=thresh)` computes: the
 * extension lets a row or a column stay unmatched at thresh/2, so a pair is worth matching only
 * below cost thresh, and the total saving Σ(thresh − cost) is maximised. Callers pass
 * weight = thresh − cost.
 *
 * The pairs split into independent groups (a track and the boxes that overlap it); each group is
 * solved alone, so a scene of 100 objects costs about 100 tiny problems instead of one O(100³).
 *
 * @param weights row-major, rows × columns
 * @returns [row, column] pairs
 */
export function maxWeightMatching(weights: Float64Array, rows: number, columns: number): Array<[number, number]> {
  const parent = Int32Array.from({ length: rows + columns }, (_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) if (weights[r * columns + c]! > 0) parent[root(r)] = root(rows + c);
  }
  const groups = new Map<number, { rows: number[]; columns: number[] }>();
  const group = (i: number) => {
    const key = root(i);
    let found = groups.get(key);
    if (!found) groups.set(key, (found = { rows: [], columns: [] }));
    return found;
  };
  for (let r = 0; r < rows; r++) group(r).rows.push(r);
  for (let c = 0; c < columns; c++) group(rows + c).columns.push(c);

  const pairs: Array<[number, number]> = [];
  for (const { rows: groupRows, columns: groupColumns } of groups.values()) {
    if (!groupRows.length || !groupColumns.length) continue;
    if (groupRows.length === 1 && groupColumns.length === 1) {
      pairs.push([groupRows[0]!, groupColumns[0]!]);
      continue;
    }
    const size = Math.max(groupRows.length, groupColumns.length);
    const cost = new Float64Array(size * size);
    for (let i = 0; i < groupRows.length; i++) {
      for (let j = 0; j < groupColumns.length; j++) cost[i * size + j] = -Math.max(0, weights[groupRows[i]! * columns + groupColumns[j]!]!);
    }
    const assigned = hungarian(cost, size);
    for (let i = 0; i < groupRows.length; i++) {
      const j = assigned[i]!;
      if (j < groupColumns.length && weights[groupRows[i]! * columns + groupColumns[j]!]! > 0) pairs.push([groupRows[i]!, groupColumns[j]!]);
    }
  }
  return pairs;
}

/**
 * Minimum-cost perfect assignment on a square matrix (the O(n³) shortest-augmenting-path form of
 * the Hungarian method with row and column potentials). Returns the column of each row.
 */
function hungarian(cost: Float64Array, n: number): Int32Array {
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const rowOfColumn = new Int32Array(n + 1); // 1-based; 0: free
  const way = new Int32Array(n + 1);
  const minSlack = new Float64Array(n + 1);
  const used = new Uint8Array(n + 1);
  for (let row = 1; row <= n; row++) {
    rowOfColumn[0] = row;
    let column = 0;
    minSlack.fill(Infinity);
    used.fill(0);
    do {
      used[column] = 1;
      const r = rowOfColumn[column]!;
      let delta = Infinity;
      let next = 0;
      for (let c = 1; c <= n; c++) {
        if (used[c]) continue;
        const slack = cost[(r - 1) * n + (c - 1)]! - u[r]! - v[c]!;
        if (slack < minSlack[c]!) {
          minSlack[c] = slack;
          way[c] = column;
        }
        if (minSlack[c]! < delta) {
          delta = minSlack[c]!;
          next = c;
        }
      }
      for (let c = 0; c <= n; c++) {
        if (used[c]) {
          u[rowOfColumn[c]!]! += delta;
          v[c]! -= delta;
        } else minSlack[c]! -= delta;
      }
      column = next;
    } while (rowOfColumn[column] !== 0);
    do {
      const previous = way[column]!;
      rowOfColumn[column] = rowOfColumn[previous]!;
      column = previous;
    } while (column !== 0);
  }
  const columnOfRow = new Int32Array(n);
  for (let c = 1; c <= n; c++) columnOfRow[rowOfColumn[c]! - 1] = c - 1;
  return columnOfRow;
}
