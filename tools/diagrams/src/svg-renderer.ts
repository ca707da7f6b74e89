import { AslMachine, EdgeKind, GraphOptions, NodeKind, START_NODE_ID, WorkflowEdge, WorkflowGraph, WorkflowNode, workflowGraph } from './workflow-graph';

// dagre's CommonJS build: its package default export is ESM.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dagre = require('@dagrejs/dagre') as typeof import('@dagrejs/dagre', { with: { 'resolution-mode': 'require' } }).default;

export interface RenderOptions extends GraphOptions {
  /** A title drawn above the graph. @default - none */
  readonly title?: string;
}

/** Fill, stroke and corner radius of each kind of state. */
const STYLES: Record<NodeKind, { fill: string; stroke: string; radius: number }> = {
  Start: { fill: '#374151', stroke: '#374151', radius: 14 },
  Task: { fill: '#dbeafe', stroke: '#1d4ed8', radius: 8 },
  Choice: { fill: '#fef3c7', stroke: '#b45309', radius: 0 },
  Wait: { fill: '#ede9fe', stroke: '#6d28d9', radius: 8 },
  Pass: { fill: '#f3f4f6', stroke: '#4b5563', radius: 8 },
  Succeed: { fill: '#dcfce7', stroke: '#15803d', radius: 20 },
  Fail: { fill: '#fee2e2', stroke: '#b91c1c', radius: 20 },
  Map: { fill: '#e0f2fe', stroke: '#0369a1', radius: 8 },
  Parallel: { fill: '#e0f2fe', stroke: '#0369a1', radius: 8 },
};

const EDGE_COLOURS: Record<EdgeKind, string> = { next: '#374151', choice: '#b45309', default: '#b45309', catch: '#b91c1c' };

const FONT = 'Helvetica, Arial, sans-serif';
const TITLE_SIZE = 13;
const DETAIL_SIZE = 11;
const LABEL_SIZE = 10;
const PADDING_X = 14;
const LINE_GAP = 4;
const PADDING_Y = 9;
const CHOICE_POINT = 14;

/**
 * Renders a state machine as an SVG: states laid out top to bottom with
 * dagre, a box per state coloured by type (Choice as a hexagon, Succeed and
 * Fail as pills), solid arrows for Next/Choices/Default (Choice arrows
 * labelled with their condition), dashed red arrows for Catch.
 *
 * Deterministic: the graph is built in a fixed order and every number is
 * written with at most one decimal, so the same definition gives the same bytes.
 */
export function renderWorkflowSvg(definition: AslMachine, options: RenderOptions = {}): string {
  return renderGraphSvg(workflowGraph(definition, options), options);
}

export function renderGraphSvg(graph: WorkflowGraph, options: RenderOptions = {}): string {
  const layout = new dagre.graphlib.Graph({ multigraph: true });
  layout.setGraph({ rankdir: 'TB', nodesep: 28, edgesep: 14, ranksep: 38, marginx: 16, marginy: 16 });
  for (const node of graph.nodes) {
    layout.setNode(node.id, nodeSize(node));
  }
  graph.edges.forEach((edge, index) => {
    const labelWidth = edge.label ? textWidth(edge.label, LABEL_SIZE) + 8 : 0;
    layout.setEdge(edge.from, edge.to, {
      width: labelWidth,
      height: edge.label ? LABEL_SIZE + 6 : 0,
      labelpos: 'c',
      // Keep the happy path straight: failure arrows bend around it, not through it.
      weight: edge.kind === 'catch' ? 1 : 4,
      minlen: 1,
    }, `e${index}`);
  });
  dagre.layout(layout);

  const graphLabel = layout.graph();
  const titleHeight = options.title ? 30 : 0;
  const legendHeight = 34;
  const width = Math.max(graphLabel.width ?? 0, 560);
  const height = (graphLabel.height ?? 0) + titleHeight + legendHeight;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}" viewBox="0 0 ${num(width)} ${num(height)}" font-family="${FONT}">`);
  out.push('<defs>');
  for (const kind of Object.keys(EDGE_COLOURS).sort() as EdgeKind[]) {
    out.push(`<marker id="arrow-${kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${EDGE_COLOURS[kind]}"/></marker>`);
  }
  out.push('</defs>');
  out.push(`<rect x="0" y="0" width="${num(width)}" height="${num(height)}" fill="#ffffff"/>`);
  if (options.title) {
    out.push(`<text x="16" y="22" font-size="15" font-weight="bold" fill="#111827">${escapeXml(options.title)}</text>`);
  }
  out.push(`<g transform="translate(0,${num(titleHeight)})">`);
  // Edges first, so boxes sit on top of the lines that meet them.
  graph.edges.forEach((edge, index) => {
    const laidOut = layout.edge(edge.from, edge.to, `e${index}`);
    out.push(edgeSvg(edge, laidOut.points ?? [], laidOut.x, laidOut.y));
  });
  for (const node of graph.nodes) {
    const laidOut = layout.node(node.id);
    out.push(nodeSvg(node, laidOut.x!, laidOut.y!, laidOut.width, laidOut.height));
  }
  out.push('</g>');
  out.push(legendSvg(height - legendHeight + 6));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function nodeSize(node: WorkflowNode): { width: number; height: number } {
  if (node.kind === 'Start') return { width: 64, height: 28 };
  const lines = [...node.details, ...node.catchNotes.map(catchNote)];
  const widest = Math.max(textWidth(node.title, TITLE_SIZE, true), ...lines.map((d) => textWidth(d, DETAIL_SIZE)));
  const extra = node.kind === 'Choice' ? 2 * CHOICE_POINT : 0;
  return {
    width: Math.ceil(widest + 2 * PADDING_X + extra),
    height: Math.ceil(2 * PADDING_Y + TITLE_SIZE + lines.length * (DETAIL_SIZE + LINE_GAP)),
  };
}

function nodeSvg(node: WorkflowNode, cx: number, cy: number, width: number, height: number): string {
  const style = STYLES[node.kind];
  const left = cx - width / 2;
  const top = cy - height / 2;
  const parts: string[] = [`<g class="state state-${node.kind.toLowerCase()}" data-state="${escapeXml(node.id === START_NODE_ID ? '' : node.id)}">`];
  if (node.kind === 'Choice') {
    const points = [
      [left, cy], [left + CHOICE_POINT, top], [left + width - CHOICE_POINT, top],
      [left + width, cy], [left + width - CHOICE_POINT, top + height], [left + CHOICE_POINT, top + height],
    ].map(([x, y]) => `${num(x)},${num(y)}`).join(' ');
    parts.push(`<polygon points="${points}" fill="${style.fill}" stroke="${style.stroke}" stroke-width="1.5"/>`);
  } else {
    const double = node.kind === 'Map' || node.kind === 'Parallel';
    if (double) {
      parts.push(`<rect x="${num(left + 4)}" y="${num(top + 4)}" width="${num(width)}" height="${num(height)}" rx="${style.radius}" fill="${style.fill}" stroke="${style.stroke}" stroke-width="1"/>`);
    }
    parts.push(`<rect x="${num(left)}" y="${num(top)}" width="${num(width)}" height="${num(height)}" rx="${style.radius}" fill="${style.fill}" stroke="${style.stroke}" stroke-width="1.5"/>`);
  }
  if (node.kind === 'Start') {
    parts.push(`<text x="${num(cx)}" y="${num(cy + 4)}" text-anchor="middle" font-size="12" font-weight="bold" fill="#ffffff">Start</text>`);
  } else {
    let baseline = top + PADDING_Y + TITLE_SIZE - 2;
    parts.push(`<text x="${num(cx)}" y="${num(baseline)}" text-anchor="middle" font-size="${TITLE_SIZE}" font-weight="bold" fill="#111827">${escapeXml(node.title)}</text>`);
    for (const line of node.details) {
      baseline += DETAIL_SIZE + LINE_GAP;
      parts.push(`<text x="${num(cx)}" y="${num(baseline)}" text-anchor="middle" font-size="${DETAIL_SIZE}" fill="#374151">${escapeXml(line)}</text>`);
    }
    for (const target of node.catchNotes) {
      baseline += DETAIL_SIZE + LINE_GAP;
      parts.push(`<text class="catch-note" data-to="${escapeXml(target)}" x="${num(cx)}" y="${num(baseline)}" text-anchor="middle" font-size="${DETAIL_SIZE}" fill="${EDGE_COLOURS.catch}">${escapeXml(catchNote(target))}</text>`);
    }
  }
  parts.push('</g>');
  return parts.join('');
}

function edgeSvg(edge: WorkflowEdge, points: { x: number; y: number }[], labelX: number | undefined, labelY: number | undefined): string {
  const colour = EDGE_COLOURS[edge.kind];
  const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${num(p.x)},${num(p.y)}`).join(' ');
  const dash = edge.kind === 'catch' ? ' stroke-dasharray="5 4"' : '';
  const parts = [`<g class="edge edge-${edge.kind}" data-from="${escapeXml(edge.from === START_NODE_ID ? '' : edge.from)}" data-to="${escapeXml(edge.to)}">`];
  parts.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="${edge.kind === 'catch' ? 1 : 1.4}"${dash} marker-end="url(#arrow-${edge.kind})"/>`);
  if (edge.label && labelX !== undefined && labelY !== undefined) {
    const w = textWidth(edge.label, LABEL_SIZE) + 6;
    parts.push(`<rect x="${num(labelX - w / 2)}" y="${num(labelY - 7)}" width="${num(w)}" height="14" rx="3" fill="#ffffff" fill-opacity="0.9"/>`);
    parts.push(`<text x="${num(labelX)}" y="${num(labelY + 3.5)}" text-anchor="middle" font-size="${LABEL_SIZE}" fill="${colour}">${escapeXml(edge.label)}</text>`);
  }
  parts.push('</g>');
  return parts.join('');
}

/** The line a state whose Catch leads to a shared failure handler shows instead of an arrow. */
function catchNote(target: string): string {
  return `on error → ${target}`;
}

function legendSvg(y: number): string {
  const entries: [NodeKind, string][] = [['Task', 'Task'], ['Choice', 'Choice'], ['Wait', 'Wait'], ['Pass', 'Pass'], ['Succeed', 'Succeed'], ['Fail', 'Fail']];
  const parts = [`<g class="legend" transform="translate(16,${num(y)})" font-size="11" fill="#374151">`];
  let x = 0;
  for (const [kind, label] of entries) {
    const style = STYLES[kind];
    parts.push(`<rect x="${x}" y="0" width="14" height="12" rx="${Math.min(style.radius, 6)}" fill="${style.fill}" stroke="${style.stroke}"/>`);
    parts.push(`<text x="${x + 19}" y="10">${label}</text>`);
    x += 19 + Math.ceil(textWidth(label, 11)) + 16;
  }
  parts.push(`<path d="M${x},6 L${x + 26},6" stroke="${EDGE_COLOURS.catch}" stroke-dasharray="5 4"/>`);
  parts.push(`<text x="${x + 31}" y="10">Catch (error path)</text>`);
  parts.push('</g>');
  return parts.join('');
}

/**
 * An estimate of a text's width from average Helvetica glyph widths: no font
 * metrics are available without a browser, and the estimate keeps the render
 * the same on every machine.
 */
export function textWidth(text: string, size: number, bold = false): number {
  let em = 0;
  for (const ch of text) {
    if ('il.,:;|!\'`'.includes(ch)) em += 0.28;
    else if ('fjtrI()[] '.includes(ch)) em += 0.34;
    else if ('mwMW'.includes(ch)) em += 0.86;
    else if (ch >= 'A' && ch <= 'Z') em += 0.68;
    else em += 0.56;
  }
  return em * size * (bold ? 1.07 : 1);
}

/** Numbers with at most one decimal and no trailing zero, identical on every platform. */
function num(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
