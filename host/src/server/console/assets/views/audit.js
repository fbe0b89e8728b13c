// Calls and refusals, filtered by agent, skill, outcome and time, each
// with its receipt.
import { el, form, refresh } from '../dom.js';
import { api } from '../session.js';

let filter = {};

// Outcomes as the invocation path records them (`code` of its category).
const OUTCOMES = [['', 'any'], ['success', 'success'], ['invalid_input', 'invalid input'],
  ['capability_denied', 'refused: capability denied'], ['timeout', 'timed out'], ['out_of_memory', 'out of memory'],
  ['output_too_large', 'output too large'], ['guest_trap', 'the skill crashed'], ['failed', 'failed'],
  ['not_found', 'not found'], ['assignment_disabled', 'refused: disabled for the agent'],
  ['skill_not_active', 'refused: skill not active'], ['approval_pending', 'refused: approval pending'],
  ['secret_not_set', 'refused: secret not set'], ['upstream_unreachable', 'upstream unreachable'],
  ['upstream_error', 'upstream error'], ['busy', 'busy'], ['internal', 'internal error']];

// The receipt in words: time, memory, output, each request made and each
// refusal with its reason.
function receipt(record) {
  const lines = [`took ${(record.durationUs / 1000).toFixed(1)} ms, ${record.peakMemoryBytes} bytes of memory at most, ${record.outputBytes} bytes out, over ${record.surface}`];
  for (const request of record.requests ?? []) {
    lines.push(request.refused
      ? `refused ${request.method} ${request.origin}: ${request.refused}`
      : `${request.method} ${request.origin}: ${request.status ?? ''} ${request.bytes} bytes in ${request.durationMs} ms`);
  }
  for (const denial of record.denials ?? []) lines.push(`denied ${denial.capability} ${denial.target}: ${denial.reason}`);
  return lines;
}

export async function audit() {
  const query = new URLSearchParams({ limit: '50' });
  for (const [key, value] of Object.entries(filter)) if (value) query.set(key, value);
  const page = await api(`/api/audit?${query}`);
  const filters = form('Filter the audit', [
    ['skill', 'Skill', { value: filter.skill ?? '' }], ['agent', 'Agent', { value: filter.agent ?? '' }],
    ['outcome', 'Outcome', { options: OUTCOMES }],
    ['since', 'Since (RFC 3339, e.g. 2026-12-06T00:00:00Z)', { value: filter.since ?? '' }],
  ], 'Filter', async (values) => {
    filter = values;
    refresh();
  });
  if (filter.outcome) filters.querySelector('select[name="outcome"]').value = filter.outcome;
  const records = page.invocations.map((record) => el('details', { class: 'item', 'data-outcome': record.outcome },
    el('summary', {}, `${record.createdAt} ${record.agentName ?? '-'} ${record.skillName}.${record.ability}: ${record.outcome}`),
    el('ul', { class: 'receipt' }, receipt(record).map((line) => el('li', {}, line))),
    el('details', {}, el('summary', {}, 'The whole record'), el('pre', {}, JSON.stringify(record, null, 2)))));
  return [el('h2', {}, 'Audit'), filters, records.length ? records : el('p', {}, 'No calls match.')];
}
