import { ArchitectureGraph, ArchitectureKind, ArchitectureNode } from './architecture-graph';
import { textWidth } from './svg-renderer';

// dagre's CommonJS build: its package default export is ESM.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dagre = require('@dagrejs/dagre') as typeof import('@dagrejs/dagre', { with: { 'resolution-mode': 'require' } }).default;

const FONT = 'Helvetica, Arial, sans-serif';
const TITLE_SIZE = 12;
const DETAIL_SIZE = 10.5;
const CLUSTER_SIZE = 12;
const PADDING_X = 10;
const PADDING_Y = 8;
const LINE_GAP = 3.5;

const STYLES: Record<ArchitectureKind, { fill: string; stroke: string }> = {
  source: { fill: '#fef3c7', stroke: '#b45309' },
  stream: { fill: '#ede9fe', stroke: '#6d28d9' },
  lake: { fill: '#dcfce7', stroke: '#15803d' },
  etl: { fill: '#e0f2fe', stroke: '#0369a1' },
  warehouse: { fill: '#dbeafe', stroke: '#1d4ed8' },
  workflow: { fill: '#fce7f3', stroke: '#be185d' },
  endpoint: { fill: '#ffedd5', stroke: '#c2410c' },
  api: { fill: '#f3f4f6', stroke: '#374151' },
  monitor: { fill: '#fee2e2', stroke: '#b91c1c' },
  trigger: { fill: '#fee2e2', stroke: '#b91c1c' },
};

export interface ArchitectureRenderOptions {
  /** A title drawn above the picture. @default - none */
  readonly title?: string;
}

/**
 * Renders the architecture graph left to right with dagre: a box per node,
 * coloured by kind, inside a group per stack, inside a group per stage.
 * Deterministic like the workflow picture: fixed order, one decimal.
 */
export function renderArchitectureSvg(graph: ArchitectureGraph, options: ArchitectureRenderOptions = {}): string {
  const layout = new dagre.graphlib.Graph({ compound: true, multigraph: true });
  layout.setGraph({ rankdir: 'TB', nodesep: 18, ranksep: 26, edgesep: 10, marginx: 16, marginy: 16 });
  const stacks = [...new Set(graph.nodes.map((n) => n.stack))];
  const stages = [...new Set(stacks.map(stageOf))];
  for (const stage of stages) layout.setNode(`stage:${stage}`, { label: stage });
  for (const stack of stacks) {
    layout.setNode(`stack:${stack}`, { label: stack });
    layout.setParent(`stack:${stack}`, `stage:${stageOf(stack)}`);
  }
  for (const node of graph.nodes) {
    layout.setNode(node.id, size(node));
    layout.setParent(node.id, `stack:${node.stack}`);
  }
  graph.edges.forEach((edge, i) => layout.setEdge(edge.from, edge.to, { minlen: 1, weight: 2 }, `e${i}`));
  // Stages one below the other, so the picture keeps the README's width: an undrawn edge from
  // the last box of a stage to the first of the next puts the next stage on the ranks below.
  for (let i = 1; i < stages.length; i++) {
    const last = [...graph.nodes].reverse().find((n) => stageOf(n.stack) === stages[i - 1]);
    const first = graph.nodes.find((n) => stageOf(n.stack) === stages[i]);
    if (last && first) layout.setEdge(last.id, first.id, { minlen: 2, weight: 0 }, `stage${i}`);
  }
  dagre.layout(layout);

  const g = layout.graph();
  const titleHeight = options.title ? 30 : 0;
  // Each group's box grows upwards to hold its label inside: a stack's by one label, a stage's by two.
  const labelRoom = CLUSTER_SIZE + 8;
  const top = titleHeight + 2 * labelRoom;
  const width = Math.max(g.width ?? 0, options.title ? textWidth(options.title, 15, true) + 32 : 0, 480);
  const height = (g.height ?? 0) + top;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}" viewBox="0 0 ${num(width)} ${num(height)}" font-family="${FONT}">`);
  out.push('<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#374151"/></marker></defs>');
  out.push(`<rect x="0" y="0" width="${num(width)}" height="${num(height)}" fill="#ffffff"/>`);
  if (options.title) out.push(`<text x="16" y="22" font-size="15" font-weight="bold" fill="#111827">${escapeXml(options.title)}</text>`);
  out.push(`<g transform="translate(0,${num(top)})">`);
  const labels: string[] = [];
  for (const [prefix, fill, stroke] of [['stage', '#f9fafb', '#9ca3af'], ['stack', '#ffffff', '#d1d5db']] as const) {
    for (const name of prefix === 'stage' ? stages : stacks) {
      const c = layout.node(`${prefix}:${name}`);
      const grow = prefix === 'stage' ? 2 * labelRoom : labelRoom;
      const left = c.x! - c.width / 2;
      const boxTop = c.y! - c.height / 2 - grow;
      const boxWidth = c.width;
      out.push(`<rect class="${prefix}" data-name="${escapeXml(name)}" x="${num(left)}" y="${num(boxTop)}" width="${num(boxWidth)}" height="${num(c.height + grow)}" rx="6" fill="${fill}" stroke="${stroke}" stroke-dasharray="${prefix === 'stage' ? '6 4' : 'none'}"/>`);
      // Labels go over the arrows, on a patch of the group's colour, so a line never runs through one.
      const label = prefix === 'stage' ? `${name} (stage)` : `${lastSegment(name)} stack`;
      const labelWidth = textWidth(label, CLUSTER_SIZE, true) + 6;
      labels.push(`<rect x="${num(left + 5)}" y="${num(boxTop + 3)}" width="${num(labelWidth)}" height="${CLUSTER_SIZE + 4}" fill="${fill}"/>`
        + `<text class="${prefix}-label" x="${num(left + 8)}" y="${num(boxTop + CLUSTER_SIZE + 3)}" font-size="${CLUSTER_SIZE}" font-weight="bold" fill="#4b5563">${escapeXml(label)}</text>`);
    }
  }
  graph.edges.forEach((edge, i) => {
    const points = layout.edge(edge.from, edge.to, `e${i}`).points ?? [];
    const d = points.map((p: { x: number; y: number }, j: number) => `${j === 0 ? 'M' : 'L'}${num(p.x)},${num(p.y)}`).join(' ');
    out.push(`<path class="flow" data-from="${escapeXml(edge.from)}" data-to="${escapeXml(edge.to)}" d="${d}" fill="none" stroke="#374151" stroke-width="1.3" marker-end="url(#arrow)"/>`);
  });
  out.push(...labels);
  for (const node of graph.nodes) {
    const n = layout.node(node.id);
    out.push(nodeSvg(node, n.x!, n.y!, n.width, n.height));
  }
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function size(node: ArchitectureNode): { width: number; height: number } {
  const widest = Math.max(textWidth(node.title, TITLE_SIZE, true), ...node.details.map((d) => textWidth(d, DETAIL_SIZE)));
  return { width: Math.ceil(widest + 2 * PADDING_X), height: Math.ceil(2 * PADDING_Y + TITLE_SIZE + node.details.length * (DETAIL_SIZE + LINE_GAP)) };
}

function nodeSvg(node: ArchitectureNode, cx: number, cy: number, width: number, height: number): string {
  const style = STYLES[node.kind];
  const left = cx - width / 2;
  const top = cy - height / 2;
  const parts = [`<g class="node node-${node.kind}" data-id="${escapeXml(node.id)}">`];
  parts.push(`<rect x="${num(left)}" y="${num(top)}" width="${num(width)}" height="${num(height)}" rx="6" fill="${style.fill}" stroke="${style.stroke}" stroke-width="1.4"/>`);
  let baseline = top + PADDING_Y + TITLE_SIZE - 2;
  parts.push(`<text x="${num(cx)}" y="${num(baseline)}" text-anchor="middle" font-size="${TITLE_SIZE}" font-weight="bold" fill="#111827">${escapeXml(node.title)}</text>`);
  for (const line of node.details) {
    baseline += DETAIL_SIZE + LINE_GAP;
    parts.push(`<text x="${num(cx)}" y="${num(baseline)}" text-anchor="middle" font-size="${DETAIL_SIZE}" fill="#374151">${escapeXml(line)}</text>`);
  }
  parts.push('</g>');
  return parts.join('');
}

/** `FreshetPipeline/Dev/Data` -> `FreshetPipeline/Dev`. */
function stageOf(stack: string): string {
  const parts = stack.split('/');
  return parts.length > 1 ? parts.slice(0, -1).join('/') : stack;
}

function lastSegment(path: string): string {
  return path.split('/').pop() ?? path;
}

function num(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
