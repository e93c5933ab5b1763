// The dashboard: polls /dashboard/stats every second (and, in distributed mode, /cluster and
// /metrics/cluster every other second), fills the cards, and asks for a key when the server wants one.
import { call, NeedsKey, setKey } from './api.js';
import { CARDS, createCard } from './cards.js';
import { formatNumber } from './chart.js';
import { startPlayground } from './playground.js';

const TICK_MS = 1000;
const $ = (selector) => document.querySelector(selector);

const cards = CARDS.map(createCard);
let info = null;
/** The model the cards show ('' = all models) and its /info (the default model's for all). */
let view = '';
let viewInfo = null;
let before = null;
let ticks = 0;
let waitingForKey = false;

function status(text, problem = false) {
  const node = $('[data-testid="status"]');
  node.textContent = text;
  node.classList.toggle('problem', problem);
}

function uptime(seconds) {
  const s = Math.floor(seconds);
  const parts = [Math.floor(s / 86400), Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60, s % 60];
  return `${parts[0] ? `${parts[0]}d ` : ''}${parts
    .slice(1)
    .map((p) => String(p).padStart(2, '0'))
    .join(':')}`;
}

function showFacts(about) {
  const facts = {
    model: about.model_id,
    backend: about.backend,
    device: about.device,
    dtype: about.dtype,
    version: about.version,
  };
  for (const [key, value] of Object.entries(facts))
    $(`[data-testid="${key}"]`).textContent = String(value ?? '–');
}

async function loadInfo() {
  info = await call('/info');
  viewInfo = info;
  showFacts(info);
  await loadModels(true);
}

/**
 * Every served model (GET /v1/models) with its state: the list under the title, the view menu, and
 * (the first time) the playground's menu with the default selected. Refreshed every few seconds, as
 * models load and unload.
 */
async function loadModels(first = false) {
  const listed = await call('/v1/models').catch(() => null);
  const models = listed?.data ?? [{ id: info.model_id, state: 'loaded', default: true }];
  $('[data-testid="model-states"]').replaceChildren(
    ...models.map((m) => {
      const item = document.createElement('li');
      item.dataset.model = m.id;
      item.dataset.state = m.state ?? (m.loaded ? 'loaded' : 'unloaded');
      item.textContent = `${m.id}${m.default ? ' (default)' : ''}: ${item.dataset.state}`;
      return item;
    }),
  );
  const menu = $('#view-model');
  const all = new Option('all models', '', false, view === '');
  menu.replaceChildren(
    all,
    ...models.map((m) => new Option(`${m.id} (${m.state ?? 'loaded'})`, m.id, false, m.id === view)),
  );
  if (first) {
    $('#play-model').replaceChildren(
      ...models.map((m) => new Option(m.id, m.id, false, m.id === info.model_id)),
    );
    // LLM rerankers take an instruction; a cross-encoder refuses one, so the field is shown only for them.
    const llm = typeof info.model_kind === 'string' && info.model_kind !== 'cross-encoder';
    $('#play-instruction-field').hidden = !llm;
    $('#play-instruction').placeholder = llm ? (info.default_instruction ?? '') : '';
  }
}

/** `stats` as the chosen model sees it: its block of /metrics in place of the server's figures. */
function viewed(stats) {
  const block = view ? stats?.models?.[view] : undefined;
  if (!block) return stats;
  return { ...stats, view, engine: { metrics: block, controller: block.controller } };
}

async function choose(model) {
  view = model;
  viewInfo = view ? await call(`/info?model=${encodeURIComponent(view)}`) : info;
  showFacts({ ...viewInfo, version: info.version });
  for (const card of cards) card.show(view);
  before = null;
}

async function tick() {
  if (!info) await loadInfo();
  const now = await call('/dashboard/stats');
  const seconds = before ? (now.at - before.at) / 1000 : 0;
  for (const card of cards) card.update(viewed(now), viewed(before), seconds, viewInfo);
  if (ticks % 5 === 4) await loadModels();
  $('[data-testid="uptime"]').textContent = uptime(now.engine.metrics.uptime_seconds);
  if (now.distributed && ticks % 2 === 0) await updateCluster();
  before = now;
  ticks++;
  document.body.dataset.ticks = String(ticks);
  status(now.phase === 'ready' ? 'live' : now.phase, now.phase !== 'ready');
}

async function updateCluster() {
  const [cluster, totals] = await Promise.all([call('/cluster'), call('/metrics/cluster')]);
  $('#cluster').hidden = false;
  const byId = new Map(totals.per_server.map((s) => [s.id, s]));
  $('[data-testid="cluster-summary"]').textContent =
    `${totals.servers} servers · ${formatNumber(totals.requests)} requests · ${formatNumber(totals.errors)} errors · ` +
    `${formatNumber(totals.documents)} documents · p95 ${formatNumber(totals.latency_ms?.p95 ?? Number.NaN)} ms`;
  $('[data-testid="cluster-rows"]').replaceChildren(
    ...cluster.servers.map((server) => {
      const t = byId.get(server.id);
      const row = document.createElement('tr');
      const cells = [
        server.id === cluster.self ? `${server.id} (this one)` : server.id,
        `${server.host}:${server.port}`,
        server.load.active,
        server.load.waiting,
        t?.requests,
        t?.errors,
        t?.documents,
        t?.latency_ms?.p50,
        t?.latency_ms?.p95,
        t?.latency_ms?.p99,
      ];
      for (const value of cells) {
        const cell = document.createElement('td');
        cell.textContent = typeof value === 'number' ? formatNumber(value) : (value ?? '–');
        row.append(cell);
      }
      return row;
    }),
  );
}

function askForKey(message) {
  waitingForKey = true;
  const form = $('#key-form');
  form.hidden = false;
  status(message, true);
  $('#key').focus();
}

async function loop() {
  try {
    await tick();
  } catch (error) {
    if (error instanceof NeedsKey) return askForKey(error.message);
    status(`cannot read the metrics: ${error.message}`, true);
  }
  setTimeout(loop, TICK_MS);
}

$('#key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  setKey($('#key').value.trim());
  $('#key').value = '';
  $('#key-form').hidden = true;
  if (waitingForKey) {
    waitingForKey = false;
    loop();
  }
});

$('#view-model').addEventListener('change', (event) => {
  choose(event.target.value).catch((error) => status(`cannot show the model: ${error.message}`, true));
});
$('#cards').append(...cards.map((card) => card.section));
startPlayground({ onNeedsKey: askForKey });
loop();
