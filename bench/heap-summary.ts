/**
 * Where a heap snapshot's memory goes: `node --import tsx bench/heap-summary.ts FILE [TOP]`.
 * Groups nodes as DevTools' Summary does (by constructor, or by kind: strings, code, closures),
 * with each group's own size and the size it retains (what would be freed without the group's
 * nodes: what is unreachable from the roots once they are taken out, weak edges ignored), and
 * for each group the groups that hold it.
 */
import { readFileSync } from 'node:fs';

type Snapshot = {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
};

export type HeapGroup = {
  group: string;
  count: number;
  selfBytes: number;
  retainedBytes: number;
  heldBy: string;
};

export type HeapGraph = {
  groups: string[];
  groupOf: Int32Array;
  self: Float64Array;
  firstEdge: Int32Array;
  targets: Int32Array;
  weak: Uint8Array;
  total: number;
};

function groupName(type: string, name: string): string {
  switch (type) {
    case 'object':
      return name.split(' ')[0] ?? name;
    case 'string':
    case 'concatenated string':
    case 'sliced string':
      return '(string)';
    case 'closure':
      return '(closure)';
    case 'code':
      return '(compiled code)';
    case 'array':
      return `(array ${name})`;
    case 'hidden':
    case 'object shape':
      return `(system ${name.split(' ')[0] ?? ''})`;
    default:
      return `(${type})`;
  }
}

export function readHeapGraph(path: string): HeapGraph {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const meta = raw.snapshot.meta;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const [type, name, selfSize, edgeCount] = ['type', 'name', 'self_size', 'edge_count'].map((f) =>
    meta.node_fields.indexOf(f),
  ) as [number, number, number, number];
  const [edgeType, toNode] = ['type', 'to_node'].map((f) => meta.edge_fields.indexOf(f)) as [
    number,
    number,
  ];
  const nodeTypes = meta.node_types[0];
  const weakType = meta.edge_types[0].indexOf('weak');
  const count = raw.nodes.length / nf;
  const groups: string[] = [];
  const groupIds = new Map<string, number>();
  const groupOf = new Int32Array(count);
  const self = new Float64Array(count);
  const firstEdge = new Int32Array(count + 1);
  const targets = new Int32Array(raw.edges.length / ef);
  const weak = new Uint8Array(targets.length);
  let edge = 0;
  let total = 0;
  for (let n = 0; n < count; n += 1) {
    const base = n * nf;
    const key = groupName(
      nodeTypes[raw.nodes[base + type] ?? 0] ?? '',
      raw.strings[raw.nodes[base + name] ?? 0] ?? '',
    );
    let id = groupIds.get(key);
    if (id === undefined) {
      id = groups.length;
      groups.push(key);
      groupIds.set(key, id);
    }
    groupOf[n] = id;
    self[n] = raw.nodes[base + selfSize] ?? 0;
    total += self[n] ?? 0;
    firstEdge[n] = edge;
    const edges = raw.nodes[base + edgeCount] ?? 0;
    for (let e = 0; e < edges; e += 1, edge += 1) {
      targets[edge] = (raw.edges[edge * ef + toNode] ?? 0) / nf;
      weak[edge] = raw.edges[edge * ef + edgeType] === weakType ? 1 : 0;
    }
  }
  firstEdge[count] = edge;
  return { groups, groupOf, self, firstEdge, targets, weak, total };
}

/** Bytes reachable from the root (node 0) without passing through a node `excluded` names. */
function reachableBytes(graph: HeapGraph, excluded: (n: number) => boolean): number {
  const seen = new Uint8Array(graph.self.length);
  const stack = [0];
  seen[0] = 1;
  let bytes = 0;
  while (stack.length > 0) {
    const n = stack.pop() as number;
    bytes += graph.self[n] ?? 0;
    for (let e = graph.firstEdge[n] ?? 0; e < (graph.firstEdge[n + 1] ?? 0); e += 1) {
      if (graph.weak[e]) continue;
      const to = graph.targets[e] ?? 0;
      if (seen[to] || excluded(to)) continue;
      seen[to] = 1;
      stack.push(to);
    }
  }
  return bytes;
}

/** The `top` groups by own size, and any group named in `also`, with what they retain. */
export function summarize(graph: HeapGraph, top = 25, also: string[] = []): HeapGroup[] {
  const count = new Float64Array(graph.groups.length);
  const selfBytes = new Float64Array(graph.groups.length);
  for (let n = 0; n < graph.self.length; n += 1) {
    const g = graph.groupOf[n] ?? 0;
    count[g] = (count[g] ?? 0) + 1;
    selfBytes[g] = (selfBytes[g] ?? 0) + (graph.self[n] ?? 0);
  }
  const chosen = graph.groups
    .map((_, g) => g)
    .sort((a, b) => (selfBytes[b] ?? 0) - (selfBytes[a] ?? 0))
    .slice(0, top);
  for (const name of also) {
    const g = graph.groups.indexOf(name);
    if (g >= 0 && !chosen.includes(g)) chosen.push(g);
  }
  const reachable = reachableBytes(graph, () => false);
  return chosen.map((g) => ({
    group: graph.groups[g] ?? '',
    count: count[g] ?? 0,
    selfBytes: selfBytes[g] ?? 0,
    retainedBytes: reachable - reachableBytes(graph, (n) => graph.groupOf[n] === g),
    heldBy: holders(graph, g),
  }));
}

/** The groups whose nodes point at the group's nodes most often (strong edges), top three. */
function holders(graph: HeapGraph, g: number): string {
  const counts = new Map<number, number>();
  for (let n = 0; n < graph.self.length; n += 1) {
    const from = graph.groupOf[n] ?? 0;
    if (from === g) continue;
    for (let e = graph.firstEdge[n] ?? 0; e < (graph.firstEdge[n + 1] ?? 0); e += 1) {
      if (graph.weak[e] || graph.groupOf[graph.targets[e] ?? 0] !== g) continue;
      counts.set(from, (counts.get(from) ?? 0) + 1);
    }
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([from, n]) => `${graph.groups[from] ?? ''} ×${n}`)
    .join(', ');
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(2).padStart(7);

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const [path, top = '25', ...also] = process.argv.slice(2);
  if (!path) throw new Error('usage: heap-summary.ts FILE [TOP] [GROUP…]');
  const graph = readHeapGraph(path);
  process.stdout.write(`${path}: ${mb(graph.total)} MB in ${graph.self.length} nodes\n`);
  process.stdout.write('   self MB  retained MB    count  group  (held by)\n');
  for (const row of summarize(graph, Number(top), also))
    process.stdout.write(
      `  ${mb(row.selfBytes)}  ${mb(row.retainedBytes)}     ${String(row.count).padStart(7)}  ` +
        `${row.group}  (${row.heldBy})\n`,
    );
}
