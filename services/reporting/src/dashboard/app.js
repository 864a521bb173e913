// The MMM dashboard: plain JavaScript, no build step, no framework. It talks only to the
// gateway's GraphQL, through ./graphql on this origin (the reporting service forwards it).
'use strict';

(function () {
  const GRAPHQL = 'graphql';
  const POLL_MS = 1000;
  const palette = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442'];
  const state = {
    workspace: localStorage.getItem('mmm.workspace') || 'default',
    token: localStorage.getItem('mmm.token') || '',
    datasets: [],
    models: [],
    model: null,
    jobs: JSON.parse(localStorage.getItem('mmm.jobs') || '[]'),
    charts: {},
  };

  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  };

  function compact(v) {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    if (v === 0) return '0';
    const abs = Math.abs(v);
    const units = [
      [1e9, 'B'],
      [1e6, 'M'],
      [1e3, 'k'],
    ];
    for (const [size, suffix] of units) {
      if (abs >= size) return `${+(v / size).toPrecision(3)}${suffix}`;
    }
    return abs >= 1 ? String(+v.toPrecision(3)) : v.toFixed(3);
  }
  const pct = (v, d = 1) => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(d)}%`);
  const fixed = (v, d = 2) => (v === null || v === undefined ? '–' : Number(v).toFixed(d));
  const interval = (e) =>
    !e
      ? '–'
      : e.lower !== null && e.upper !== null
        ? `${fixed(e.estimate)} (${fixed(e.lower)}–${fixed(e.upper)})`
        : fixed(e.estimate);

  class GraphQLFailure extends Error {
    constructor(errors) {
      super(errors.map((e) => e.message).join('; '));
      this.errors = errors;
    }
  }

  async function gql(query, variables) {
    const headers = { 'content-type': 'application/json', 'x-workspace-id': state.workspace };
    if (state.token) headers.authorization = `Bearer ${state.token}`;
    const res = await fetch(GRAPHQL, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables: variables || {} }),
    });
    let body;
    try {
      body = await res.json();
    } catch {
      throw new Error(`the gateway answered ${res.status} without JSON`);
    }
    if (body.errors && body.errors.length) throw new GraphQLFailure(body.errors);
    return body.data;
  }

  function setStatus(text, kind) {
    const s = $('status');
    s.textContent = text;
    s.className = `status ${kind || ''}`;
  }

  // ---- datasets and models -------------------------------------------------------------

  const DATASETS = `{ datasets { id name periodCount startDate endDate channels { name }
    models { id datasetId version stage createdAt metrics { r2 nrmse mape decompRssd } holdout { periods mape } } } }`;

  async function loadDatasets() {
    const data = await gql(DATASETS);
    state.datasets = data.datasets;
    state.models = data.datasets.flatMap((d) =>
      d.models.map((m) => ({ ...m, datasetName: d.name })),
    );
    state.models.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    renderDatasets();
    renderModels();
    setStatus(`connected · workspace ${state.workspace}`, 'ok');
  }

  function renderDatasets() {
    const body = $('datasets').tBodies[0];
    body.replaceChildren(
      ...(state.datasets.length
        ? state.datasets.map((d) =>
            el(
              'tr',
              { 'data-dataset': d.id },
              el('td', {}, d.name),
              el('td', {}, d.periodCount),
              el('td', {}, `${d.startDate} – ${d.endDate}`),
              el('td', { title: d.channels.map((c) => c.name).join(', ') }, d.channels.length),
              el(
                'td',
                {},
                el(
                  'button',
                  { type: 'button', class: 'train', onclick: () => train(d) },
                  'Train model',
                ),
              ),
            ),
          )
        : [
            el(
              'tr',
              {},
              el('td', { colspan: 5, class: 'muted' }, 'No datasets in this workspace.'),
            ),
          ]),
    );
  }

  function renderModels() {
    const body = $('models').tBodies[0];
    body.replaceChildren(
      ...(state.models.length
        ? state.models.map((m) =>
            el(
              'tr',
              {
                'data-model': m.id,
                class: `selectable${state.model && state.model.id === m.id ? ' selected' : ''}`,
                onclick: () => selectModel(m.id),
              },
              el('td', {}, m.datasetName),
              el('td', {}, `v${m.version}`),
              el('td', {}, el('span', { class: `badge ${m.stage}` }, m.stage)),
              el('td', {}, fixed(m.metrics.r2, 3)),
              el('td', {}, fixed(m.metrics.nrmse, 3)),
              el('td', {}, pct(m.metrics.mape)),
              el('td', {}, fixed(m.metrics.decompRssd, 3)),
              el('td', {}, m.holdout ? pct(m.holdout.mape) : '–'),
              el('td', {}, m.createdAt.slice(0, 16).replace('T', ' ')),
            ),
          )
        : [
            el(
              'tr',
              {},
              el('td', { colspan: 9, class: 'muted' }, 'No models yet: train one from a dataset.'),
            ),
          ]),
    );
  }

  // ---- training ----------------------------------------------------------------------

  const TRAIN = `mutation Train($input: TrainModelInput!) { trainModel(input: $input) { id status } }`;
  const JOB = `query Job($id: ID!) { trainingJob(id: $id) { id datasetId status progress phase candidatesDone candidatesTotal bestNrmse modelId error } }`;

  async function train(dataset) {
    try {
      const data = await gql(TRAIN, { input: { datasetId: dataset.id } });
      state.jobs = [
        { id: data.trainModel.id, datasetName: dataset.name, workspace: state.workspace },
        ...state.jobs,
      ].slice(0, 10);
      localStorage.setItem('mmm.jobs', JSON.stringify(state.jobs));
      await pollJobs();
    } catch (error) {
      setStatus(`training could not start: ${error.message}`, 'error');
    }
  }

  const jobViews = new Map();
  let polling = null;

  async function pollJobs() {
    clearTimeout(polling);
    const mine = state.jobs.filter((j) => j.workspace === state.workspace);
    let active = false;
    let finished = false;
    for (const job of mine) {
      const known = jobViews.get(job.id);
      if (known && !['QUEUED', 'RUNNING'].includes(known.status)) continue;
      try {
        const data = await gql(JOB, { id: job.id });
        if (!data.trainingJob) continue;
        jobViews.set(job.id, { ...data.trainingJob, datasetName: job.datasetName });
        if (['QUEUED', 'RUNNING'].includes(data.trainingJob.status)) active = true;
        else if (known) finished = true;
      } catch (error) {
        setStatus(`job ${job.id}: ${error.message}`, 'error');
      }
    }
    renderJobs(mine);
    if (finished) await loadDatasets();
    if (active) polling = setTimeout(() => void pollJobs(), POLL_MS);
  }

  function renderJobs(mine) {
    const list = $('jobs');
    const items = mine.map((j) => jobViews.get(j.id)).filter(Boolean);
    if (!items.length) {
      list.replaceChildren(el('li', { class: 'muted' }, 'No training started from this page yet.'));
      return;
    }
    list.replaceChildren(
      ...items.map((j) =>
        el(
          'li',
          { class: 'job', 'data-job': j.id, 'data-status': j.status },
          el('span', { class: `badge ${j.status}` }, j.status),
          ' ',
          j.datasetName,
          ' ',
          el('progress', { max: 1, value: j.progress }),
          ` ${Math.round(j.progress * 100)}% · ${j.phase} · ${j.candidatesDone}/${j.candidatesTotal} candidates`,
          j.bestNrmse !== null ? ` · best NRMSE ${fixed(j.bestNrmse, 3)}` : '',
          j.modelId
            ? el(
                'a',
                { href: '#', onclick: (e) => (e.preventDefault(), selectModel(j.modelId)) },
                ' open model',
              )
            : '',
          j.error ? el('span', { class: 'down' }, ` ${j.error}`) : '',
        ),
      ),
    );
  }

  // ---- one model ---------------------------------------------------------------------

  const MODEL = `query Model($id: ID!) { model(id: $id) {
    id datasetId version stage kpiName kpiType periodCount startDate endDate
    metrics { r2 nrmse mape decompRssd } holdout { periods r2 mape }
    channels { channel kind spend roas { estimate lower upper level method } cpa { estimate lower upper level method }
      marginalRoas spendShare effectShare carryoverShare }
    responseCurves(points: 31) { channel currentSpend currentResponse points { spend response } }
  } }`;

  async function selectModel(id) {
    try {
      const data = await gql(MODEL, { id });
      if (!data.model) return;
      state.model = data.model;
      renderModels();
      renderModel();
      await loadReports();
    } catch (error) {
      setStatus(`model ${id}: ${error.message}`, 'error');
    }
  }

  function chart(id) {
    const node = $(id);
    if (!state.charts[id]) state.charts[id] = echarts.init(node, null, { renderer: 'svg' });
    return state.charts[id];
  }

  function renderModel() {
    const m = state.model;
    const cpa = m.kpiType === 'CONVERSIONS';
    $('model-detail').hidden = false;
    const dataset = state.datasets.find((d) => d.id === m.datasetId);
    $('model-title').textContent =
      `Model v${m.version} of ${dataset ? dataset.name : m.datasetId} · ${m.stage}`;
    $('model-summary').textContent =
      `${m.kpiName} (${m.kpiType.toLowerCase()}), ${m.periodCount} periods ${m.startDate || ''} – ${m.endDate || ''}; R² ${fixed(m.metrics.r2, 3)}, NRMSE ${fixed(m.metrics.nrmse, 3)}, MAPE ${pct(m.metrics.mape)}, DECOMP.RSSD ${fixed(m.metrics.decompRssd, 3)}${m.holdout ? `; holdout (${m.holdout.periods}) MAPE ${pct(m.holdout.mape)}` : ''}.`;
    $('roas-head').textContent = cpa ? 'CPA (interval)' : 'ROAS (interval)';
    const paid = m.channels.filter((c) => c.kind === 'PAID');
    $('channels').tBodies[0].replaceChildren(
      ...paid.map((c) =>
        el(
          'tr',
          { 'data-channel': c.channel },
          el('td', {}, c.channel),
          el('td', {}, compact(c.spend)),
          el('td', {}, interval(cpa ? c.cpa : c.roas)),
          el('td', {}, fixed(c.marginalRoas)),
          el('td', {}, pct(c.spendShare)),
          el('td', {}, pct(c.effectShare)),
          el('td', {}, pct(c.carryoverShare)),
        ),
      ),
    );
    const figure = (c) => (cpa ? c.cpa : c.roas) || { estimate: 0, lower: null, upper: null };
    chart('roas-chart').setOption(
      {
        animation: false,
        grid: { left: 50, right: 12, top: 36, bottom: 28 },
        legend: { top: 0 },
        tooltip: { trigger: 'axis' },
        xAxis: { type: 'category', data: paid.map((c) => c.channel) },
        yAxis: { type: 'value', name: cpa ? 'CPA' : 'ROAS', min: 0 },
        series: [
          {
            name: cpa ? 'CPA' : 'ROAS',
            type: 'bar',
            data: paid.map((c) => figure(c).estimate),
            itemStyle: { color: '#0072B2' },
          },
          {
            name: 'interval',
            type: 'custom',
            data: paid.map((c, i) => [i, figure(c).lower, figure(c).upper]),
            encode: { x: 0, y: [1, 2] },
            renderItem: (params, api) => {
              if (api.value(1) === null || isNaN(api.value(1))) return null;
              const lo = api.coord([api.value(0), api.value(1)]);
              const hi = api.coord([api.value(0), api.value(2)]);
              const style = { stroke: '#222', lineWidth: 1.5 };
              return {
                type: 'group',
                children: [
                  { type: 'line', shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style },
                  {
                    type: 'line',
                    shape: { x1: lo[0] - 6, y1: lo[1], x2: lo[0] + 6, y2: lo[1] },
                    style,
                  },
                  {
                    type: 'line',
                    shape: { x1: hi[0] - 6, y1: hi[1], x2: hi[0] + 6, y2: hi[1] },
                    style,
                  },
                ],
              };
            },
            itemStyle: { color: '#222' },
            z: 5,
          },
          {
            name: 'marginal',
            type: 'scatter',
            symbol: 'diamond',
            symbolSize: 11,
            data: paid.map((c) => (cpa && c.marginalRoas ? 1 / c.marginalRoas : c.marginalRoas)),
            itemStyle: { color: '#D55E00' },
          },
        ],
      },
      true,
    );
    chart('curves-chart').setOption(
      {
        animation: false,
        grid: { left: 60, right: 16, top: 40, bottom: 40 },
        legend: { top: 0, type: 'scroll' },
        tooltip: { trigger: 'item' },
        xAxis: {
          type: 'value',
          name: 'spend per period',
          nameLocation: 'middle',
          nameGap: 26,
          axisLabel: { formatter: compact },
        },
        yAxis: {
          type: 'value',
          name: `${m.kpiName} per period`,
          axisLabel: { formatter: compact },
        },
        series: m.responseCurves.flatMap((c, i) => [
          {
            name: c.channel,
            type: 'line',
            showSymbol: false,
            data: c.points.map((p) => [p.spend, p.response]),
            itemStyle: { color: palette[i % palette.length] },
          },
          {
            name: c.channel,
            type: 'scatter',
            symbolSize: 9,
            data: [[c.currentSpend, c.currentResponse]],
            itemStyle: { color: palette[i % palette.length] },
            tooltip: { formatter: () => `${c.channel}: current spend ${compact(c.currentSpend)}` },
          },
        ]),
      },
      true,
    );
    renderScenarioForm(paid);
  }

  // ---- budget scenario ---------------------------------------------------------------

  function renderScenarioForm(paid) {
    $('bounds').tBodies[0].replaceChildren(
      ...paid.map((c) =>
        el(
          'tr',
          { 'data-channel': c.channel },
          el('td', {}, c.channel),
          el(
            'td',
            {},
            el('input', {
              type: 'number',
              min: 0,
              step: 'any',
              value: 0.5,
              name: `min-${c.channel}`,
            }),
          ),
          el(
            'td',
            {},
            el('input', {
              type: 'number',
              min: 0,
              step: 'any',
              value: 2,
              name: `max-${c.channel}`,
            }),
          ),
        ),
      ),
    );
    $('scenario-result').hidden = true;
    $('scenario-message').hidden = true;
    $('optimize').disabled = false;
  }

  const OPTIMIZE = `mutation Optimize($modelId: ID!, $scenario: ScenarioInput!) {
    optimizeBudget(modelId: $modelId, scenario: $scenario) {
      id periods budget objective status method
      spend { current recommended }
      channels { channel current recommended change response { current recommended lift } beyondHistory }
      expectedKpi { current { estimate } recommended { estimate } lift { estimate lower upper } }
    }
  }`;

  async function optimize(event) {
    event.preventDefault();
    const m = state.model;
    if (!m) return;
    const objective = $('objective').value;
    const scenario = { periods: Number($('periods').value), objective };
    if ($('budget').value !== '') scenario.budget = Number($('budget').value);
    if (objective.startsWith('TARGET')) scenario.target = Number($('target').value);
    scenario.channels = [...$('bounds').tBodies[0].rows].map((row) => {
      const channel = row.dataset.channel;
      const rule = { channel };
      const min = row.querySelector(`[name="min-${channel}"]`).value;
      const max = row.querySelector(`[name="max-${channel}"]`).value;
      if (min !== '') rule.minMultiple = Number(min);
      if (max !== '') rule.maxMultiple = Number(max);
      return rule;
    });
    const message = $('scenario-message');
    message.hidden = true;
    $('optimize').disabled = true;
    try {
      const data = await gql(OPTIMIZE, { modelId: m.id, scenario });
      renderAllocation(data.optimizeBudget);
      await loadReports();
    } catch (error) {
      message.textContent = `The scenario was refused: ${error.message}`;
      message.className = 'notice error';
      message.hidden = false;
    } finally {
      $('optimize').disabled = false;
    }
  }

  function renderAllocation(s) {
    state.scenario = s;
    const lift = s.expectedKpi.lift;
    $('scenario-summary').textContent =
      `Scenario ${s.id}: ${s.objective}, ${s.periods} periods, budget ${compact(s.budget)} (${s.status}). Expected KPI ${compact(s.expectedKpi.current.estimate)} → ${compact(s.expectedKpi.recommended.estimate)}, lift ${compact(lift.estimate)}${lift.lower !== null ? ` (${compact(lift.lower)} to ${compact(lift.upper)})` : ''}.`;
    $('allocation').tBodies[0].replaceChildren(
      ...s.channels.map((c) =>
        el(
          'tr',
          { 'data-channel': c.channel },
          el('td', {}, c.channel + (c.beyondHistory ? ' *' : '')),
          el('td', {}, compact(c.current)),
          el('td', {}, compact(c.recommended)),
          el(
            'td',
            { class: c.change > 0 ? 'up' : c.change < 0 ? 'down' : '' },
            c.change === null ? '–' : pct(c.change),
          ),
          el('td', {}, compact(c.response.recommended - c.response.current)),
        ),
      ),
    );
    $('scenario-result').hidden = false;
  }

  // ---- reports -----------------------------------------------------------------------

  const REPORTS = `query Reports($modelId: ID!) { reports(modelId: $modelId) {
    id status format url origin scenarioId createdAt error downloads { name format url } } }`;
  const GENERATE = `mutation Generate($modelId: ID!, $scenarioId: ID, $format: ReportFormat) {
    generateReport(modelId: $modelId, scenarioId: $scenarioId, format: $format) { id status } }`;
  let reportPolling = null;

  async function loadReports() {
    clearTimeout(reportPolling);
    if (!state.model) return;
    let reports;
    try {
      reports = (await gql(REPORTS, { modelId: state.model.id })).reports;
    } catch (error) {
      $('reports').replaceChildren(
        el('li', { class: 'down' }, `Reports unavailable: ${error.message}`),
      );
      return;
    }
    $('reports').replaceChildren(
      ...(reports.length
        ? reports.map((r) =>
            el(
              'li',
              { 'data-report': r.id, 'data-status': r.status },
              el('span', { class: `badge ${r.status}` }, r.status),
              ` ${r.format} · ${r.origin}${r.scenarioId ? ` · scenario ${r.scenarioId}` : ''} · ${new Date(r.createdAt).toLocaleString()} `,
              r.url
                ? el(
                    'a',
                    { class: 'report-link', href: r.url, target: '_blank', rel: 'noopener' },
                    `open ${r.format}`,
                  )
                : '',
              r.downloads.length ? ' · ' : '',
              r.downloads.length
                ? el(
                    'a',
                    {
                      class: 'tables-link',
                      href: r.downloads.find((d) => d.format === 'JSON').url,
                    },
                    'tables (JSON)',
                  )
                : '',
              r.error ? el('span', { class: 'down' }, ` ${r.error}`) : '',
            ),
          )
        : [el('li', { class: 'muted' }, 'No reports of this model yet.')]),
    );
    if (reports.some((r) => r.status === 'PENDING'))
      reportPolling = setTimeout(() => void loadReports(), POLL_MS);
  }

  async function generate(format) {
    if (!state.model) return;
    try {
      const scenarioId = state.scenario && state.scenario.id ? state.scenario.id : null;
      await gql(GENERATE, { modelId: state.model.id, scenarioId, format });
      await loadReports();
    } catch (error) {
      setStatus(`report: ${error.message}`, 'error');
    }
  }

  // ---- start -------------------------------------------------------------------------

  async function refresh() {
    try {
      await loadDatasets();
      await pollJobs();
    } catch (error) {
      setStatus(`gateway: ${error.message}`, 'error');
    }
  }

  $('workspace').value = state.workspace;
  $('token').value = state.token;
  $('settings').addEventListener('submit', (event) => {
    event.preventDefault();
    state.workspace = $('workspace').value.trim() || 'default';
    state.token = $('token').value.trim();
    localStorage.setItem('mmm.workspace', state.workspace);
    localStorage.setItem('mmm.token', state.token);
    state.model = null;
    $('model-detail').hidden = true;
    void refresh();
  });
  $('objective').addEventListener('change', () => {
    $('target').disabled = !$('objective').value.startsWith('TARGET');
  });
  $('scenario').addEventListener('submit', (event) => void optimize(event));
  $('report-html').addEventListener('click', () => void generate('HTML'));
  $('report-pdf').addEventListener('click', () => void generate('PDF'));
  window.addEventListener('resize', () => Object.values(state.charts).forEach((c) => c.resize()));
  void refresh();
})();
