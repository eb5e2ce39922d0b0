// The chart of a run: Vega-Lite compiled to Vega, rendered headless to SVG.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import { SCENARIOS, VARIANTS } from './shared.mjs';

const SHORT = { a: '(a) one protected field', b: '(b) 1,000 @visitor objects', c: '(c) no protected field' };

export async function renderChart(medians, redeemMedians, machine, config, file) {
  const values = [];
  for (const scenario of SCENARIOS) {
    const bare = medians[scenario.id].bare.reqPerSec;
    for (const variant of VARIANTS) {
      const m = medians[scenario.id][variant];
      values.push({ scenario: SHORT[scenario.id], variant, reqPerSec: Math.round(m.reqPerSec), ratio: +(m.reqPerSec / bare).toFixed(2), p99: m.p99 });
    }
  }
  const color = { field: 'variant', type: 'nominal', sort: VARIANTS, scale: { domain: VARIANTS, range: ['#9e9e9e', '#1f77b4', '#ff7f0e', '#d62728'] } };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'graphql-visitor-pass: throughput relative to bare Apollo (higher is better)',
      subtitle: `${config.mode} run ${machine.date.slice(0, 10)}, ${machine.cpus} CPUs, Node ${machine.node}; median of ${config.rounds} rounds; label = req/s`,
    },
    data: { values },
    width: 560,
    height: 300,
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'scenario', type: 'nominal', title: null, axis: { labelAngle: 0 } },
          xOffset: { field: 'variant', sort: VARIANTS },
          y: { field: 'ratio', type: 'quantitative', title: 'req/s ÷ bare req/s', scale: { domain: [0, Math.max(1.1, Math.ceil((Math.max(...values.map((v) => v.ratio)) + 0.05) * 10) / 10)] } },
          color,
          tooltip: [{ field: 'variant' }, { field: 'reqPerSec' }, { field: 'ratio' }, { field: 'p99' }],
        },
      },
      {
        mark: { type: 'text', dy: -6, fontSize: 9 },
        encoding: {
          x: { field: 'scenario', type: 'nominal' },
          xOffset: { field: 'variant', sort: VARIANTS },
          y: { field: 'ratio', type: 'quantitative' },
          text: { field: 'reqPerSec', type: 'quantitative', format: ',' },
        },
      },
      { mark: { type: 'rule', strokeDash: [4, 3], color: '#444' }, encoding: { y: { datum: 1 } } },
    ],
  };
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  writeFileSync(file, svg);
}

// node bench/chart.mjs bench/results/results.json bench/results/chart.svg: re-renders a saved run.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [input, output] = process.argv.slice(2);
  const run = JSON.parse(readFileSync(input, 'utf8'));
  await renderChart(run.medians, run.redeemMedians, run.machine, run.config, output);
}
