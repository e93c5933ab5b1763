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

async function loadInfo() {
  info = await call('/info');
  const facts = {
    model: info.model_id,
    backend: info.backend,
    device: info.device,
    dtype: info.dtype,
    version: info.version,
  };
  for (const [key, value] of Object.entries(facts))
    $(`[data-testid="${key}"]`).textContent = String(value ?? '–');
  // Every served model (GET /v1/models), the default selected; the playground sends the choice.
  const listed = await call('/v1/models').catch(() => null);
  const names = listed?.data?.map((m) => m.id) ?? [info.model_id];
  const select = $('#play-model');
  select.replaceChildren(...names.map((name) => new Option(name, name, false, name === info.model_id)));
  // LLM rerankers take an instruction; a cross-encoder refuses one, so the field is shown only for them.
  const llm = typeof info.model_kind === 'string' && info.model_kind !== 'cross-encoder';
  $('#play-instruction-field').hidden = !llm;
  $('#play-instruction').placeholder = llm ? (info.default_instruction ?? '') : '';
}

async function tick() {
  if (!info) await loadInfo();
  const now = await call('/dashboard/stats');
  const seconds = before ? (now.at - before.at) / 1000 : 0;
  for (const card of cards) card.update(now, before, seconds, info);
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

$('#cards').append(...cards.map((card) => card.section));
startPlayground({ onNeedsKey: askForKey });
loop();
