import type { GraphNode, GraphPayload } from '../../src/ui-server/types.ts';
import { ICON_PATHS } from './icons.tsx';
import { KIND_COLORS, NODE_WIDTH, metricLines, nodeHeight, nodeIcon } from './model.ts';
import type { Positions } from './layoutCore.ts';

function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * The whole graph as SVG, drawn from the layout model rather than the DOM, so nodes scrolled
 * off screen are not lost and nothing half-loaded is captured.
 */
export function graphToSvg(graph: GraphPayload, positions: Positions): string {
  const pad = 24;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  const size = new Map<string, { x: number; y: number; w: number; h: number }>();
  for (const n of graph.nodes) {
    const p = positions[n.id];
    if (p === undefined) continue;
    const box = { x: p.x, y: p.y, w: NODE_WIDTH, h: nodeHeight(n) };
    size.set(n.id, box);
    minX = Math.min(minX, box.x);
    minY = Math.min(minY, box.y);
    maxX = Math.max(maxX, box.x + box.w);
    maxY = Math.max(maxY, box.y + box.h);
  }
  if (!Number.isFinite(minX)) {
    minX = minY = 0;
    maxX = maxY = 10;
  }
  const width = maxX - minX + pad * 2;
  const height = maxY - minY + pad * 2;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="${minX - pad} ${minY - pad} ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif">`,
    `<rect x="${minX - pad}" y="${minY - pad}" width="${width}" height="${height}" fill="#f8fafc"/>`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#94a3b8"/></marker></defs>',
  ];
  for (const e of graph.edges) {
    const a = size.get(e.source);
    const b = size.get(e.target);
    if (a === undefined || b === undefined) continue;
    const x1 = a.x + a.w;
    const y1 = a.y + a.h / 2;
    const x2 = b.x;
    const y2 = b.y + b.h / 2;
    const mid = (x1 + x2) / 2;
    parts.push(
      `<path d="M${x1} ${y1}C${mid} ${y1} ${mid} ${y2} ${x2} ${y2}" fill="none" stroke="#94a3b8" stroke-width="1.5" marker-end="url(#arrow)"/>`,
    );
  }
  for (const n of graph.nodes) {
    const box = size.get(n.id);
    if (box === undefined) continue;
    parts.push(nodeSvg(n, box));
  }
  parts.push('</svg>');
  return parts.join('\n');
}

function nodeSvg(n: GraphNode, box: { x: number; y: number; w: number; h: number }): string {
  const c = KIND_COLORS[n.kind];
  const dash = n.kind === 'external' ? ' stroke-dasharray="5 3"' : '';
  const status = n.status !== undefined && n.status !== 'ok' ? n.status : undefined;
  const out = [
    `<g data-id="${esc(n.id)}">`,
    `<rect x="${box.x}" y="${box.y}" width="${box.w}" height="${box.h}" rx="${n.kind === 'stage' ? 6 : 14}" fill="${c.fill}" stroke="${status === undefined ? c.border : '#dc2626'}" stroke-width="${status === undefined ? 1.5 : 2.5}"${dash}/>`,
    `<g transform="translate(${box.x + 10} ${box.y + 9})" stroke="${c.border}" fill="none" stroke-width="1.4" stroke-linecap="round"><path d="${ICON_PATHS[nodeIcon(n)] ?? ''}"/></g>`,
    `<text x="${box.x + 32}" y="${box.y + 21}" font-size="13" font-weight="600" fill="${c.text}">${esc(clip(n.label, 24))}</text>`,
  ];
  const sub =
    n.kind === 'stage' ? (n.cmd ?? '') : status !== undefined ? status : (n.path ?? n.url ?? '');
  out.push(
    `<text x="${box.x + 10}" y="${box.y + 38}" font-size="11" fill="#475569">${esc(clip(sub, 34))}</text>`,
  );
  metricLines(n).forEach(([k, v], i) => {
    out.push(
      `<text x="${box.x + 10}" y="${box.y + 56 + i * 16}" font-size="11" fill="${c.text}">${esc(clip(k, 22))}: <tspan font-weight="600">${esc(v)}</tspan></text>`,
    );
  });
  out.push('</g>');
  return out.join('');
}

export function download(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** PNG through a canvas: the SVG drawn as an image (no network, no extra library). */
export async function svgToPng(svg: string, scale = 2): Promise<Blob> {
  const img = new Image();
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error('cannot render the SVG'));
      img.src = url;
    });
    const canvas = document.createElement('canvas');
    // browsers cap canvas size; big graphs get a smaller scale
    const s = Math.min(scale, 16000 / Math.max(img.width, img.height, 1));
    canvas.width = Math.max(1, Math.round(img.width * s));
    canvas.height = Math.max(1, Math.round(img.height * s));
    const ctx = canvas.getContext('2d');
    if (ctx === null) throw new Error('no canvas');
    ctx.scale(s, s);
    ctx.drawImage(img, 0, 0);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((b) => (b === null ? reject(new Error('no PNG')) : resolve(b)), 'image/png'),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}
