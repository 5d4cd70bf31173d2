/**
 * A picture of the dashboard's layout, drawn from the saved objects alone (the
 * NDJSON Kibana imports): each panel's box where its gridData puts it, with its
 * title and kind. docs/kibana.md shows it; a test keeps it in step with the file.
 */

interface GridPanel {
  type: string;
  title?: string;
  gridData: { x: number; y: number; w: number; h: number };
  embeddableConfig?: { attributes?: { visualizationType?: string } };
}

const COLUMN = 20;
const ROW = 16;
const KIND: Record<string, string> = { lnsXY: 'Lens bar chart', lnsDatatable: 'Lens table', map: 'Maps', search: 'Saved search' };
const FILL: Record<string, string> = { lnsXY: '#e6f0fa', lnsDatatable: '#eef7ee', map: '#fdf3e1', search: '#f3eefa' };

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The SVG of the dashboard in `ndjson` (the first dashboard object). */
export function dashboardLayoutSvg(ndjson: string): string {
  const objects = ndjson.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { type: string; attributes: { title: string; panelsJSON?: string } });
  const dashboard = objects.find((o) => o.type === 'dashboard');
  if (!dashboard?.attributes.panelsJSON) throw new Error('No dashboard with panels in the saved objects');
  const panels = JSON.parse(dashboard.attributes.panelsJSON) as GridPanel[];
  const width = 48 * COLUMN;
  const top = 40;
  const height = top + Math.max(...panels.map((p) => p.gridData.y + p.gridData.h)) * ROW + 10;
  const boxes = panels.map((p) => {
    const kind = p.type === 'lens' ? (p.embeddableConfig?.attributes?.visualizationType ?? 'lens') : p.type;
    const x = p.gridData.x * COLUMN + 2;
    const y = top + p.gridData.y * ROW + 2;
    const w = p.gridData.w * COLUMN - 4;
    const h = p.gridData.h * ROW - 4;
    return [
      `  <g>`,
      `    <rect x="${x}" y="${y}" width="${w}" height="${h}" rx="4" fill="${FILL[kind] ?? '#f4f4f4'}" stroke="#69707d"/>`,
      `    <text x="${x + 10}" y="${y + 22}" font-size="14" font-weight="bold">${escape(p.title ?? '')}</text>`,
      `    <text x="${x + 10}" y="${y + 42}" font-size="12" fill="#535966">${escape(KIND[kind] ?? kind)}</text>`,
      `  </g>`,
    ].join('\n');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `  <rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `  <text x="4" y="26" font-size="18" font-weight="bold">${escape(dashboard.attributes.title)}</text>`,
    ...boxes,
    '</svg>',
    '',
  ].join('\n');
}
