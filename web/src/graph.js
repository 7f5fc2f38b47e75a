// The graph of a stream, laid out by dagre: groups are boxes (clusters),
// processes are nodes in priority order left to right, and processes of
// other streams (awaited, or waiting for this one) are dashed nodes outside.
import dagre from './vendor/dagre.esm.js';
import { h, enc } from './lib.js';

export function renderGraph(plan, statuses = {}) {
  const g = new dagre.graphlib.Graph({ compound: true, multigraph: true });
  g.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 46, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  const width = (text) => Math.max(90, 7.2 * text.length + 24);
  for (const grp of plan.groups) {
    g.setNode(`group:${grp.prcs_grp}`, { label: `${grp.prcs_grp} (prir ${grp.prir})`, cluster: true });
  }
  const processes = plan.nodes.filter((n) => n.kind === 'process');
  for (const n of processes) {
    g.setNode(n.name, { label: n.name, width: width(n.name), height: 30, node: n });
    if (g.hasNode(`group:${n.prcs_grp}`)) g.setParent(n.name, `group:${n.prcs_grp}`);
    for (const up of n.after) g.setEdge(up, n.name, { cross: false }, `${up}->${n.name}`);
    for (const ext of n.external) {
      const id = `ext:${ext.strem_nm}.${ext.prcs_nm}`;
      if (!g.hasNode(id)) {
        g.setNode(id, { label: `${ext.strem_nm} › ${ext.prcs_nm}`, width: width(`${ext.strem_nm} › ${ext.prcs_nm}`),
          height: 30, external: ext.strem_nm });
      }
      g.setEdge(id, n.name, { cross: true, mode: ext.depn_mode }, `${id}->${n.name}`);
    }
  }
  for (const d of plan.dependents || []) {
    const id = `ext:${d.strem_nm}.${d.prcs_nm}`;
    if (!g.hasNode(id)) {
      g.setNode(id, { label: `${d.strem_nm} › ${d.prcs_nm}`, width: width(`${d.strem_nm} › ${d.prcs_nm}`),
        height: 30, external: d.strem_nm });
    }
    if (g.hasNode(d.waits_for)) g.setEdge(d.waits_for, id, { cross: true }, `${d.waits_for}->${id}`);
  }
  dagre.layout(g);

  const info = g.graph();
  const svg = h('svg', { class: 'graph', width: info.width + 20, height: info.height + 20,
    viewBox: `0 0 ${info.width + 20} ${info.height + 20}`, role: 'img', 'aria-label': `graph of ${plan.stream}` });
  for (const id of g.nodes()) {
    const n = g.node(id);
    if (!n.cluster) continue;
    svg.append(h('g', { class: 'cluster', 'data-group': id.slice(6) },
      h('rect', { x: n.x - n.width / 2, y: n.y - n.height / 2, width: n.width, height: n.height, rx: 6 }),
      h('text', { x: n.x - n.width / 2 + 8, y: n.y - n.height / 2 + 14 }, n.label)));
  }
  for (const e of g.edges()) {
    const edge = g.edge(e);
    const pts = edge.points;
    const d = pts.map((p, i) => `${i ? 'L' : 'M'}${p.x},${p.y}`).join(' ');
    const last = pts[pts.length - 1];
    const prev = pts[pts.length - 2];
    const ang = Math.atan2(last.y - prev.y, last.x - prev.x);
    const arrow = `M${last.x},${last.y} L${last.x - 8 * Math.cos(ang - 0.4)},${last.y - 8 * Math.sin(ang - 0.4)}` +
      ` M${last.x},${last.y} L${last.x - 8 * Math.cos(ang + 0.4)},${last.y - 8 * Math.sin(ang + 0.4)}`;
    svg.append(h('path', { d: `${d} ${arrow}`, class: edge.cross ? 'cross' : '' },
      h('title', {}, `${e.v.replace(/^ext:/, '')} → ${e.w.replace(/^ext:/, '')}${edge.mode ? ` (${edge.mode})` : ''}`)));
  }
  for (const id of g.nodes()) {
    const n = g.node(id);
    if (n.cluster) continue;
    const status = n.node ? statuses[n.node.name] : undefined;
    const box = h('g', { class: `node${n.external ? ' external' : ''}`, 'data-node': id },
      h('rect', { x: n.x - n.width / 2, y: n.y - n.height / 2, width: n.width, height: n.height, rx: 4,
        class: status !== undefined ? `st-${status}` : '' }),
      h('text', { x: n.x, y: n.y + 4, 'text-anchor': 'middle' }, n.label),
      h('title', {}, n.node ? `${n.node.name}: prcs_typ ${n.node.prcs_typ}, prir ${n.node.prir}` +
        `${n.node.skipped ? ' (inactive)' : ''}${n.node.notes.length ? `\n${n.node.notes.join('\n')}` : ''}`
        : `process of stream ${n.external}`));
    svg.append(n.external ? svgLink(`/streams/${enc(n.external)}/graph`, box) : box);
  }
  return svg;
}

// h('a') makes an HTML link, which an SVG neither draws nor lets one click.
function svgLink(href, child) {
  const a = document.createElementNS('http://www.w3.org/2000/svg', 'a');
  a.setAttribute('href', href);
  a.append(child);
  return a;
}
