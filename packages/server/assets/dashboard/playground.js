// The playground: native POST /rerank with return_tokens (and, for LLM rerankers, an instruction), the
// ranking drawn with score bars.
import { call, NeedsKey } from './api.js';
import { formatNumber } from './chart.js';

const $ = (selector) => document.querySelector(selector);

export function startPlayground({ onNeedsKey }) {
  const form = $('#play');
  const status = $('[data-testid="play-status"]');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const query = $('#play-query').value;
    const documents = $('#play-docs')
      .value.split('\n')
      .map((line) => line.trim())
      .filter((line) => line.length > 0);
    const topN = Number($('#play-top').value) || 0;
    // Sent only when the field is shown (LLM rerankers) and filled; empty means the server's default.
    const instruction = $('#play-instruction-field').hidden ? '' : $('#play-instruction').value.trim();
    const button = form.querySelector('button');
    button.disabled = true;
    status.textContent = 'ranking…';
    const started = performance.now();
    try {
      const answer = await call('/rerank', {
        model: $('#play-model').value || undefined,
        query,
        documents,
        top_k: topN,
        return_documents: false,
        return_tokens: true,
        ...(instruction && { instruction }),
      });
      const took = performance.now() - started;
      render(answer.results, documents);
      status.textContent =
        `${answer.results.length} of ${documents.length} documents in ${formatNumber(took)} ms ` +
        `(server ${formatNumber(answer.processing_time_ms)} ms)`;
    } catch (error) {
      if (error instanceof NeedsKey) onNeedsKey(error.message);
      status.textContent = `failed: ${error.message}`;
      $('[data-testid="play-results"]').replaceChildren();
    } finally {
      button.disabled = false;
    }
  });
}

function render(results, documents) {
  $('[data-testid="play-results"]').replaceChildren(
    ...results.map((result) => {
      const item = document.createElement('li');
      item.dataset.index = String(result.index);
      item.dataset.score = String(result.score);
      const text = document.createElement('p');
      text.className = 'doc';
      text.textContent = documents[result.index];
      const bar = document.createElement('div');
      bar.className = 'bar';
      bar.setAttribute('role', 'meter');
      bar.setAttribute('aria-valuemin', '0');
      bar.setAttribute('aria-valuemax', '1');
      bar.setAttribute('aria-valuenow', String(result.relevance_score));
      bar.setAttribute('aria-label', 'relevance');
      const fill = document.createElement('span');
      // CSSOM writes are allowed under the CSP's style-src 'self' (style attributes in markup are not).
      fill.style.width = `${(result.relevance_score * 100).toFixed(1)}%`;
      bar.append(fill);
      const facts = document.createElement('p');
      facts.className = 'facts-line';
      facts.textContent =
        `#${result.index} · relevance ${result.relevance_score.toFixed(4)} · score ${result.score.toFixed(4)} · ` +
        `${result.tokens} tokens${result.truncated ? ' · truncated' : ''}`;
      if (result.truncated) item.classList.add('truncated');
      item.append(text, bar, facts);
      return item;
    }),
  );
}
