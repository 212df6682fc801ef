/**
 * Dominator tree of a heap snapshot (Cooper, Harvey and Kennedy's iterative algorithm over strong
 * edges): each node's retained size, and the largest nodes with their dominator chain, for
 * `node --import tsx bench/heap-dominators.ts FILE [TOP]`.
 */
import { readHeapGraph, type HeapGraph } from './heap-summary.ts';

export type Dominators = { idom: Int32Array; retained: Float64Array };

export function dominators(graph: HeapGraph): Dominators {
  const count = graph.self.length;
  const { firstEdge, targets, weak } = graph;
  // Post-order from the root over strong edges.
  const order = new Int32Array(count).fill(-1);
  const postOrder: number[] = [];
  const stack: number[] = [0];
  const next = new Int32Array(count);
  for (let n = 0; n < count; n += 1) next[n] = firstEdge[n] ?? 0;
  const visited = new Uint8Array(count);
  visited[0] = 1;
  while (stack.length > 0) {
    const n = stack[stack.length - 1] as number;
    const e = next[n] ?? 0;
    if (e < (firstEdge[n + 1] ?? 0)) {
      next[n] = e + 1;
      const to = targets[e] ?? 0;
      if (!weak[e] && !visited[to]) {
        visited[to] = 1;
        stack.push(to);
      }
    } else {
      stack.pop();
      order[n] = postOrder.length;
      postOrder.push(n);
    }
  }
  // Predecessors (strong edges between reachable nodes), as lists by node.
  const predCount = new Int32Array(count + 1);
  for (let n = 0; n < count; n += 1) {
    if (!visited[n]) continue;
    for (let e = firstEdge[n] ?? 0; e < (firstEdge[n + 1] ?? 0); e += 1)
      if (!weak[e] && visited[targets[e] ?? 0]) {
        const slot = (targets[e] ?? 0) + 1;
        predCount[slot] = (predCount[slot] ?? 0) + 1;
      }
  }
  for (let n = 0; n < count; n += 1)
    predCount[n + 1] = (predCount[n + 1] ?? 0) + (predCount[n] ?? 0);
  const preds = new Int32Array(predCount[count] ?? 0);
  const fill = predCount.slice(0, count);
  for (let n = 0; n < count; n += 1) {
    if (!visited[n]) continue;
    for (let e = firstEdge[n] ?? 0; e < (firstEdge[n + 1] ?? 0); e += 1) {
      const to = targets[e] ?? 0;
      if (!weak[e] && visited[to]) preds[(fill[to] as number)++] = n;
    }
  }
  const idom = new Int32Array(count).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number) => {
    while (a !== b) {
      while ((order[a] ?? 0) < (order[b] ?? 0)) a = idom[a] ?? 0;
      while ((order[b] ?? 0) < (order[a] ?? 0)) b = idom[b] ?? 0;
    }
    return a;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (let i = postOrder.length - 2; i >= 0; i -= 1) {
      const n = postOrder[i] as number;
      let dom = -1;
      for (let p = predCount[n] ?? 0; p < (predCount[n + 1] ?? 0); p += 1) {
        const pred = preds[p] as number;
        if (idom[pred] === -1) continue;
        dom = dom === -1 ? pred : intersect(pred, dom);
      }
      if (dom !== -1 && idom[n] !== dom) {
        idom[n] = dom;
        changed = true;
      }
    }
  }
  const retained = Float64Array.from(graph.self);
  for (const n of postOrder) {
    if (n === 0) continue;
    const dom = idom[n] ?? 0;
    retained[dom] = (retained[dom] ?? 0) + (retained[n] ?? 0);
  }
  return { idom, retained };
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(2).padStart(7);

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const [path, top = '40'] = process.argv.slice(2);
  if (!path) throw new Error('usage: heap-dominators.ts FILE [TOP]');
  const graph = readHeapGraph(path);
  const { idom, retained } = dominators(graph);
  const chain = (n: number) => {
    const names: string[] = [];
    for (let m = idom[n] ?? 0; m !== 0 && names.length < 6; m = idom[m] ?? 0)
      names.push(graph.groups[graph.groupOf[m] ?? 0] ?? '');
    return names.join(' < ');
  };
  const nodes = [...retained.keys()]
    .filter((n) => n !== 0)
    .sort((a, b) => (retained[b] ?? 0) - (retained[a] ?? 0));
  process.stdout.write(`${path}: ${mb(retained[0] ?? 0)} MB reachable\n`);
  for (const n of nodes.slice(0, Number(top)))
    process.stdout.write(
      `  ${mb(retained[n] ?? 0)} MB  ${graph.groups[graph.groupOf[n] ?? 0] ?? ''} @${n}  < ${chain(n)}\n`,
    );
}
