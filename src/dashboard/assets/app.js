// The dashboard page. Plain browser JavaScript, no framework: the page is small, and building
// every node with textContent (never innerHTML) is what keeps untrusted text (app names,
// versions, log lines, check output) inert.
'use strict';

(() => {
  const csrf = document.querySelector('meta[name="cutover-csrf"]').content;
  const readOnly = document.querySelector('meta[name="cutover-read-only"]').content === 'true';
  const $ = (id) => document.getElementById(id);
  const COLORS = ['blue', 'green'];

  /** Builds an element; string and number children become text nodes, never markup. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs ?? {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') el.className = value;
      else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  function replace(el, ...children) {
    el.replaceChildren(...children.flat(Infinity).filter((c) => c !== undefined && c !== null && c !== false));
  }

  const fmtTime = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false });
  const fmtDate = (iso) => { const t = Date.parse(iso); return Number.isFinite(t) ? new Date(t).toLocaleString([], { hour12: false }) : String(iso); };
  function fmtDuration(ms) {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
    if (ms < 1000) return `${Math.round(ms)}ms`;
    if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
    return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
  }
  const pretty = (value) => (typeof value === 'string' ? value : JSON.stringify(value, null, 2));

  // ---- state ---------------------------------------------------------------------------

  const params = new URLSearchParams(location.search);
  let currentApp = params.get('app');
  let view = null;
  let source = null;
  /** Where the current app's charts come from (`traffic-source` events): router, prometheus or none. */
  let trafficSource = null;
  const traffic = { blue: [], green: [] };
  const charts = [];
  const MAX_POINTS = 600;

  async function api(path, options = {}) {
    const res = await fetch(path, { credentials: 'same-origin', ...options });
    const text = await res.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch { body = { error: { message: text } }; }
    if (!res.ok) {
      const err = new Error(body?.error?.message ?? `HTTP ${res.status}`);
      err.code = body?.error?.code;
      throw err;
    }
    return body;
  }

  async function loadApps() {
    const { apps } = await api('/api/apps');
    if (!currentApp || !apps.some((a) => a.name === currentApp)) currentApp = apps[0]?.name ?? null;
    replace($('apps'), apps.map((a) => h('li', null, h('a', {
      href: `?app=${encodeURIComponent(a.name)}`,
      'aria-current': a.name === currentApp ? 'page' : undefined,
      onclick: (event) => { event.preventDefault(); selectApp(a.name); },
    }, a.name, h('span', { class: 'muted' }, ` (${a.platform})`)))));
    return apps;
  }

  function selectApp(name) {
    currentApp = name;
    history.replaceState(null, '', `?app=${encodeURIComponent(name)}`);
    for (const c of COLORS) traffic[c] = [];
    trafficSource = null;
    void loadApps();
    connect();
  }

  function connect() {
    if (source) source.close();
    if (!currentApp) {
      replace($('app-title'), 'No apps');
      return;
    }
    source = new EventSource(`/api/apps/${encodeURIComponent(currentApp)}/events`);
    const connection = $('connection');
    source.onopen = () => { connection.textContent = 'live'; connection.classList.remove('down'); };
    source.onerror = () => { connection.textContent = 'reconnecting…'; connection.classList.add('down'); };
    source.addEventListener('view', (event) => { view = JSON.parse(event.data); render(); });
    source.addEventListener('traffic-source', (event) => { trafficSource = JSON.parse(event.data); drawCharts(); });
    source.addEventListener('traffic-history', (event) => {
      const history = JSON.parse(event.data);
      for (const c of COLORS) traffic[c] = history[c] ?? [];
      drawCharts();
    });
    source.addEventListener('traffic', (event) => {
      const points = JSON.parse(event.data);
      for (const c of COLORS) {
        if (points[c]) traffic[c].push(points[c]);
        if (traffic[c].length > MAX_POINTS) traffic[c].splice(0, traffic[c].length - MAX_POINTS);
      }
      drawCharts();
    });
    source.addEventListener('problem', (event) => showResult(false, JSON.parse(event.data).message));
  }

  // ---- rendering -----------------------------------------------------------------------

  function render() {
    if (!view) return;
    document.title = `${view.app} · cutover`;
    replace($('app-title'), view.app, h('span', { class: 'muted' }, ` · ${view.platform}`));
    const status = view.status;
    const warnings = [...(status?.warnings ?? [])];
    if (view.statusError) warnings.push(view.statusError);
    replace($('warnings'), warnings.map((w) => h('span', { class: 'warning' }, w, h('br'))));
    renderColors();
    renderOperation();
    renderAnalysis();
    renderHistory();
    renderLogs();
    renderMarkers();
  }

  // The color cards, kept across view updates. Every update of the view (several a second while
  // charts stream) used to replace the cards and their Flags buttons, and a click whose press
  // and release fell on either side of a replacement was lost, as it was for the action bar
  // (renderActions). What a card shows is redrawn in place; its button only when what it acts
  // on changed.
  const colorCards = new Map();

  function colorCard(color) {
    if (!colorCards.has(color)) {
      colorCards.set(color, {
        article: h('article', { class: `color-card ${color}`, 'data-color': color, 'aria-label': `${color} color` }),
        actions: h('div', { class: 'actions' }),
        drawnFrom: '',
      });
    }
    return colorCards.get(color);
  }

  function renderColors() {
    const status = view.status;
    const state = view.state;
    const live = status?.live.color ?? state?.live ?? null;
    const maintenance = status?.maintenance ?? state?.maintenance ?? { on: false };
    for (const color of COLORS) {
      const s = status?.colors[color];
      const record = state?.colors[color];
      const role = live === color ? 'live' : (s && typeof s.ready === 'number' && s.ready > 0) ? 'preview' : 'idle';
      const flags = state?.flags?.[color] ?? {};
      const health = s?.healthy === null || s?.healthy === undefined ? '-' : s.healthy ? 'healthy' : 'unhealthy';
      const card = colorCard(color);
      card.article.dataset.role = role;
      // Everything but the actions box is drawn afresh; that box stays where it is.
      for (const child of [...card.article.children]) if (child !== card.actions) child.remove();
      card.article.prepend(
        h('h3', null, color,
          h('span', { class: `badge ${role}` }, role),
          role === 'live' && maintenance.on ? h('span', { class: 'badge maintenance' }, 'maintenance') : null),
        h('dl', null,
          h('dt', null, 'version'), h('dd', { class: 'version' }, s?.version ?? record?.version ?? '-'),
          h('dt', null, 'state'), h('dd', { class: 'state' }, s?.state ?? record?.state ?? '-'),
          h('dt', null, 'ready'), h('dd', { class: 'ready' }, typeof s?.ready === 'number' ? `${s.ready}/${s.desired ?? '?'}` : 'unknown'),
          h('dt', null, 'health'), h('dd', { class: `health ${health}` }, health),
          s?.detail ? [h('dt', null, 'detail'), h('dd', null, s.detail)] : null,
          role === 'live' && maintenance.on ? [h('dt', null, 'maintenance'), h('dd', null, maintenance.message || 'on')] : null,
          h('dt', null, 'flags'), h('dd', null, Object.keys(flags).length === 0 ? h('span', { class: 'muted' }, 'none')
            : h('ul', { class: 'flags' }, Object.entries(flags).map(([k, v]) => h('li', null, `${k} = ${JSON.stringify(v)}`))))));
      if (!view.actions) {
        card.drawnFrom = '';
        card.actions.remove();
        continue;
      }
      const drawnFrom = JSON.stringify([currentApp, flags, live === color]);
      if (drawnFrom !== card.drawnFrom || card.actions.childElementCount === 0) {
        card.drawnFrom = drawnFrom;
        replace(card.actions, h('button', { type: 'button', 'data-action': `flags-${color}`, onclick: () => editFlags(color, flags, live === color) }, `Flags on ${color}…`));
      }
      if (card.actions.parentNode !== card.article) card.article.append(card.actions);
    }
    const box = $('colors');
    const articles = COLORS.map((color) => colorCard(color).article);
    if (articles.some((article, i) => box.children[i] !== article)) replace(box, articles);
  }

  /**
   * True when the operation in the record is not running any more: the process that ran it is
   * gone (killed, crashed, the machine rebooted), as `status` reports it. A deploy waiting at
   * its gate is not interrupted: it waits for `promote`.
   */
  function operationInterrupted() {
    const op = view?.state?.operation;
    const reported = view?.status?.operation;
    if (!op || !reported || reported.id !== op.id || !reported.holderGone) return false;
    const last = op.phases.at(-1);
    return !(last && (last.status === 'waiting' || (last.name === 'gate' && last.status === 'running')));
  }

  function phaseItem(phase, interrupted = false) {
    const evidence = phase.data === undefined ? null : h('details', null, h('summary', null, 'evidence'), h('pre', null, pretty(phase.data)));
    // A phase whose process died stays `running` in the record; it is shown as what it is.
    const status = interrupted && phase.status === 'running' ? 'interrupted' : phase.status;
    return h('li', { 'data-phase': phase.name, 'data-status': status },
      h('div', { class: 'phase-head' },
        h('span', { class: 'phase-name' }, phase.name),
        h('span', { class: `badge ${status}` }, status),
        h('span', { class: 'muted' }, phase.status === 'running' ? `${interrupted ? 'started' : 'since'} ${fmtDate(phase.startedAt)}` : fmtDuration(phase.durationMs))),
      h('div', { class: 'detail' }, phase.detail),
      evidence);
  }

  function renderOperation() {
    const op = view.state?.operation ?? null;
    const last = op?.phases.at(-1);
    // A manual gate waits while its phase runs; --no-switch and a held analysis leave it `waiting`.
    const waiting = Boolean(op && last && (last.status === 'waiting' || (last.name === 'gate' && last.status === 'running')));
    replace($('gate'), waiting ? h('div', { class: 'gate', id: 'gate-box', role: 'region', 'aria-label': 'Gate' },
      h('strong', null, `${op.kind} of ${op.version ?? '-'} is waiting at the ${op.phase}: promote to switch traffic to ${op.target}, or abort`),
      h('div', { class: 'detail' }, op.phases.at(-1)?.detail ?? '')) : null);
    if (!op) {
      // The operation that just ended stays on screen, with its outcome, until the next one starts.
      const outcome = view.state?.lastOutcome;
      const entries = outcome ? view.history.filter((e) => e.operationId === outcome.operationId) : [];
      const finished = entries.find((e) => e.event === 'finished');
      replace($('operation'), h('p', { class: 'muted', id: 'no-operation' }, 'No operation in progress.',
        outcome ? ` Last: ${outcome.kind} ${entries[0]?.version ?? ''} ${outcome.outcome} at ${fmtDate(outcome.at)}${finished?.message ? ` (${finished.message})` : ''}.` : ''),
        entries.length ? h('ol', { class: 'timeline', id: 'timeline', 'aria-label': 'Phases of the last operation', 'data-operation': outcome.operationId, 'data-outcome': outcome.outcome },
          entries.filter((e) => e.event === 'phase' && e.phase).map((e) => phaseItem(e.phase))) : null);
    } else {
      const interrupted = operationInterrupted();
      replace($('operation'),
        h('p', null, h('strong', null, `${op.kind} ${op.version ?? ''}`), ` to ${op.target}`,
          h('span', { class: 'muted' }, ` · started ${fmtDate(op.startedAt)} · by ${op.holder?.command ?? '?'} (pid ${op.holder?.pid ?? '?'})`)),
        interrupted ? h('p', { class: 'warning', id: 'interrupted' },
          `The ${op.kind} of ${op.version ?? '-'} was interrupted at ${op.phase}: its process, ${view.status.operation.holder}, is gone. `,
          'Run `cutover resume` to finish it, or `cutover abort` to undo it.') : null,
        h('ol', { class: 'timeline', id: 'timeline', 'aria-label': 'Phases' }, op.phases.map((p) => phaseItem(p, interrupted))));
    }
    $('operation').dataset.interrupted = String(Boolean(op) && operationInterrupted());
    renderActions(op, waiting);
  }

  // What the action buttons were last drawn from. Every update of the view (several a second
  // while charts stream) used to replace the buttons, and a click whose press and release fell on
  // either side of a replacement was lost: no dialog opened. They are redrawn only when something
  // they show or act on changed.
  let drawnActions = '';

  function renderActions(op, waiting) {
    const box = $('actions');
    if (!view.actions) { drawnActions = ''; replace(box); box.hidden = true; return; }
    box.hidden = false;
    const maintenanceOn = (view.status?.maintenance ?? view.state?.maintenance)?.on;
    const live = view.state?.live;
    const drawnFrom = JSON.stringify([currentApp, op ? [op.kind, op.version, op.target] : null, Boolean(waiting), live ?? null, Boolean(maintenanceOn)]);
    if (drawnFrom === drawnActions && box.childElementCount > 0) return;
    drawnActions = drawnFrom;
    const button = (name, label, cls, run, disabled) => h('button', { type: 'button', class: cls, 'data-action': name, onclick: run, disabled }, label);
    replace(box,
      button('promote', 'Promote', 'primary', () => confirmAndRun({ action: 'promote' }, `Promote the ${op?.kind ?? 'deploy'} of ${op?.version ?? '-'}? Traffic switches to ${op?.target ?? 'the new color'}.`), !(op && waiting)),
      button('abort', 'Abort', 'danger', () => confirmAndRun({ action: 'abort' }, `Abort the ${op?.kind} of ${op?.version ?? '-'}? The previously live color keeps serving.`), !op),
      button('rollback', 'Roll back', 'danger', () => confirmAndRun({ action: 'rollback' }, `Roll back? Traffic goes back to the other color${live ? ` (${live === 'blue' ? 'green' : 'blue'})` : ''}.`), !live),
      button('finalize', 'Finalize', '', () => confirmAndRun({ action: 'finalize' }, 'End the bake window now and retire the old color?'), !live),
      maintenanceOn
        ? button('maintenance-off', 'Maintenance off', '', () => confirmAndRun({ action: 'maintenance', on: false }, 'Turn maintenance mode off? Live traffic reaches the app again.'))
        : button('maintenance-on', 'Maintenance on…', 'danger', () => maintenanceOn_()));
  }

  function maintenanceOn_() {
    const input = h('input', { type: 'text', id: 'maintenance-message', maxlength: 2000, placeholder: 'Back in a few minutes' });
    confirmAndRun(() => ({ action: 'maintenance', on: true, message: input.value || undefined }),
      'Turn maintenance mode on? Live traffic gets 503 and the maintenance page.',
      [h('label', { for: 'maintenance-message' }, 'Message (optional)'), input]);
  }

  function editFlags(color, flags, isLive) {
    const set = h('input', { type: 'text', id: 'flags-set', placeholder: 'new_checkout=true limit=5' });
    const unset = h('input', { type: 'text', id: 'flags-unset', placeholder: Object.keys(flags).join(' ') || 'key other_key' });
    confirmAndRun(() => {
      const assignments = {};
      for (const part of set.value.split(/\s+/).filter(Boolean)) {
        const eq = part.indexOf('=');
        if (eq <= 0) throw new Error(`expected key=value, got "${part}"`);
        const raw = part.slice(eq + 1);
        let value = raw;
        try { value = JSON.parse(raw); } catch { /* a plain string */ }
        assignments[part.slice(0, eq)] = value;
      }
      return { action: 'flags', color, set: assignments, unset: unset.value.split(/\s+/).filter(Boolean) };
    }, isLive ? `${color} is LIVE: changing its flags restarts its replicas one at a time while they serve traffic.` : `Change the flags of ${color}? It restarts with them.`,
    [h('label', { for: 'flags-set' }, 'Set (key=value, space-separated; values are JSON when they parse)'), set,
      h('label', { for: 'flags-unset' }, 'Unset (keys, space-separated)'), unset]);
  }

  /** Asks in a modal dialog (Esc cancels), then runs the action and shows its result. */
  function confirmAndRun(action, text, extra = []) {
    const dialog = $('confirm');
    replace($('confirm-text'), text);
    replace($('confirm-extra'), extra);
    dialog.returnValue = '';
    dialog.onclose = async () => {
      if (dialog.returnValue !== 'ok') return;
      let body;
      try {
        body = typeof action === 'function' ? action() : action;
      } catch (err) {
        showResult(false, err.message);
        return;
      }
      showResult(null, `${body.action}: working…`);
      for (const b of document.querySelectorAll('#actions button, .color-card button')) b.disabled = true;
      try {
        const res = await api(`/api/apps/${encodeURIComponent(currentApp)}/actions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-cutover-csrf': csrf },
          body: JSON.stringify(body),
        });
        showResult(true, describeResult(body.action, res.result));
      } catch (err) {
        showResult(false, `${body.action} refused: ${err.message}`);
      } finally {
        // The buttons were disabled by hand above: draw them afresh whatever the view says.
        drawnActions = '';
        for (const card of colorCards.values()) card.drawnFrom = '';
        render();
      }
    };
    dialog.showModal();
    (extra.find((e) => e.tagName === 'INPUT') ?? $('confirm-ok')).focus();
  }

  function describeResult(action, result) {
    if (result && typeof result === 'object') {
      if (action === 'maintenance') return `maintenance ${result.on ? 'on' : 'off'}${result.on && result.message ? `: ${result.message}` : ''}`;
      if (action === 'flags') return `flags on ${result.color}: ${JSON.stringify(result.flags)} (${result.restarted === 'none' ? 'applies at its next start' : result.restarted === 'rolling' ? 'rolling restart done' : 'restarted'})`;
      if (typeof result.message === 'string') return `${action}: ${result.outcome ?? 'done'}: ${result.message}`;
    }
    return `${action}: done`;
  }

  function showResult(ok, text) {
    const box = $('result');
    box.hidden = false;
    box.className = `result ${ok === true ? 'ok' : ok === false ? 'error' : ''}`;
    box.textContent = text;
  }

  /** The analysis of the operation in progress, else of the most recent one that had any. */
  function latestAnalysis() {
    const sources = [];
    const op = view.state?.operation;
    if (op) sources.push(...op.phases.map((p) => ({ phase: p, version: op.version })));
    for (const entry of [...view.history].reverse()) if (entry.event === 'phase' && entry.phase) sources.push({ phase: entry.phase, version: entry.version });
    const found = [];
    for (const { phase, version } of sources) {
      const data = phase.data;
      const analysis = data && typeof data === 'object' ? data.analysis : undefined;
      if (analysis && typeof analysis === 'object') found.push({ phase: phase.name, version, analysis });
      if (found.length >= 2) break;
    }
    return found;
  }

  function renderAnalysis() {
    const list = latestAnalysis();
    if (list.length === 0) {
      replace($('analysis'), h('p', { class: 'muted' }, 'No analysis yet: each measurement appears here as it is taken (configure analysis: to measure a release before and after the switch).'));
      return;
    }
    replace($('analysis'), list.map(({ phase, version, analysis }) => {
      const metrics = Array.isArray(analysis.metrics) ? analysis.metrics : [];
      const measurements = Array.isArray(analysis.measurements) ? analysis.measurements : [];
      // A running analysis (written by the deploy after each measurement) shows its readings open, newest first.
      const live = analysis.live === true;
      // Only a deploy that is still running takes more readings; one whose process died does not.
      const stopped = live && operationInterrupted();
      const rows = live ? [...measurements].reverse() : measurements;
      return h('div', { class: 'analysis-run', 'data-live': live ? 'true' : null },
        h('h3', null, `${analysis.name ?? phase} of ${version ?? '-'}: `, h('span', { class: `verdict ${stopped ? 'interrupted' : analysis.verdict}` }, stopped ? 'interrupted (its process is gone)' : live ? 'running (live)' : analysis.verdict ?? '?')),
        analysis.reason ? h('p', { class: 'detail' }, analysis.reason) : null,
        metrics.length ? h('div', { class: 'table-wrap' }, h('table', null,
          h('thead', null, h('tr', null, h('th', null, 'metric'), h('th', null, 'verdict'), h('th', null, 'reason'), h('th', null, 'readings'))),
          h('tbody', null, metrics.map((m) => h('tr', null, h('td', null, m.metric), h('td', null, m.verdict), h('td', null, m.reason),
            h('td', null, m.counts ? `${m.counts.successful} ok, ${m.counts.failed} failed, ${m.counts.inconclusive} inconclusive, ${m.counts.error} error` : '')))))) : null,
        measurements.length ? h('details', { open: live }, h('summary', null, `${measurements.length} measurement${measurements.length === 1 ? '' : 's'}${stopped ? ' before it stopped' : live ? ' so far' : ''}`), h('div', { class: 'table-wrap' }, h('table', { class: 'measurements' },
          h('thead', null, h('tr', null, h('th', null, 'time'), h('th', null, 'metric'), h('th', null, '#'), h('th', null, 'verdict'), h('th', null, 'value'), h('th', null, 'baseline'), h('th', null, 'reason'))),
          h('tbody', null, rows.map((m) => h('tr', null, h('td', null, typeof m.finishedAt === 'number' ? fmtTime(m.finishedAt) : ''), h('td', null, m.metric), h('td', null, m.index), h('td', null, `${m.phase}${m.warmup ? ' (warm-up)' : ''}`),
            h('td', null, m.value ?? '-'), h('td', null, m.baselineValue ?? '-'),
            h('td', null, m.reason, m.comparison ? h('details', null, h('summary', null, 'baseline comparison'), h('pre', null, pretty(m.comparison))) : null))))))) : null,
        !metrics.length && !measurements.length ? h('pre', null, pretty(analysis)) : null);
    }));
  }

  function renderHistory() {
    const groups = new Map();
    view.history.forEach((entry, index) => {
      // Maintenance and flag changes are single entries outside any operation.
      const key = entry.operationId === 'none' || entry.operationId === 'down' ? `${entry.operationId}-${index}` : entry.operationId;
      let g = groups.get(key);
      if (!g) { g = { id: key, kind: entry.kind, version: entry.version, entries: [], outcome: null, at: entry.at, message: '' }; groups.set(key, g); }
      g.entries.push(entry);
      if (entry.event === 'finished') { g.outcome = entry.outcome ?? 'done'; g.message = entry.message ?? ''; }
    });
    const ordered = [...groups.values()].reverse();
    if (ordered.length === 0) { replace($('history'), h('p', { class: 'muted' }, 'No history yet.')); return; }
    const open = new Set([...document.querySelectorAll('#history details[open]')].map((d) => d.dataset.operation));
    replace($('history'), ordered.slice(0, 50).map((g) => h('details', { 'data-operation': g.id, open: open.has(g.id) },
      h('summary', null, g.outcome === 'done' && g.message ? `${g.message} · ${fmtDate(g.at)}` : `${g.kind} ${g.version ?? ''} · ${g.outcome ?? 'in progress'} · ${fmtDate(g.at)}`),
      g.message ? h('p', { class: 'detail' }, g.message) : null,
      h('ol', { class: 'timeline' }, g.entries.filter((e) => e.event === 'phase' && e.phase).map((e) => phaseItem(e.phase))))));
  }

  function renderLogs() {
    replace($('logs'), COLORS.map((color) => {
      const lines = view.logs?.[color] ?? [];
      const pre = h('pre', { 'data-color': color, tabindex: 0, 'aria-label': `${color} logs` },
        lines.length === 0 ? h('span', { class: 'muted' }, 'no log lines') : lines.map((l) => h('span', { class: l.stream === 'stderr' ? 'log-err' : '' }, `[${l.source}] ${l.line}\n`)));
      const wrap = h('div', null, h('h3', null, `${color}`), pre);
      queueMicrotask(() => { pre.scrollTop = pre.scrollHeight; });
      return wrap;
    }));
  }

  function renderMarkers() {
    const markers = (view.markers ?? []).slice(-20);
    replace($('markers'), markers.map((m) => h('li', { class: m.kind, 'data-kind': m.kind }, `${m.label} at ${fmtTime(m.at)}`)));
    drawCharts();
  }

  // ---- charts --------------------------------------------------------------------------

  const cssVar = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

  /** Draws a vertical line with a label at each switch and rollback moment. */
  function markerPlugin() {
    return {
      hooks: {
        draw: [(u) => {
          const ctx = u.ctx;
          const [min, max] = [u.scales.x.min, u.scales.x.max];
          for (const m of view?.markers ?? []) {
            const x = m.at / 1000;
            if (x < min || x > max) continue;
            const px = Math.round(u.valToPos(x, 'x', true));
            ctx.save();
            ctx.strokeStyle = m.kind === 'rollback' ? cssVar('--bad') : cssVar('--warn');
            ctx.lineWidth = 2 * devicePixelRatio;
            ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
            ctx.beginPath();
            ctx.moveTo(px, u.bbox.top);
            ctx.lineTo(px, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.fillStyle = ctx.strokeStyle;
            ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
            ctx.fillText(m.kind, px + 4 * devicePixelRatio, u.bbox.top + 12 * devicePixelRatio);
            ctx.restore();
          }
        }],
      },
    };
  }

  const CHARTS = [
    { id: 'rps', title: 'Requests per second', series: [['blue', 'rps', 'blue req/s'], ['green', 'rps', 'green req/s']], unit: '' },
    { id: 'errors', title: 'Error rate (5xx)', series: [['blue', 'errorRate', 'blue errors'], ['green', 'errorRate', 'green errors']], unit: '%', scale: 100 },
    { id: 'latency', title: 'Latency p50 / p99', series: [['blue', 'p50Ms', 'blue p50'], ['blue', 'p99Ms', 'blue p99'], ['green', 'p50Ms', 'green p50'], ['green', 'p99Ms', 'green p99']], unit: 'ms' },
  ];

  function chartData(def) {
    const base = traffic.blue.length >= traffic.green.length ? traffic.blue : traffic.green;
    const xs = base.map((p) => p.at / 1000);
    const byColor = { blue: new Map(traffic.blue.map((p) => [p.at, p])), green: new Map(traffic.green.map((p) => [p.at, p])) };
    return [xs, ...def.series.map(([color, key]) => base.map((p) => {
      const v = byColor[color].get(p.at)?.[key];
      return v === null || v === undefined ? null : v * (def.scale ?? 1);
    }))];
  }

  /**
   * The line above the charts: what to configure when there is no traffic source, what went
   * wrong reading it, or that the first points are on their way. Never an empty chart area.
   */
  function renderTrafficNote(empty) {
    const note = $('traffic-note');
    const src = trafficSource;
    const from = src?.kind === 'prometheus' ? `Prometheus at ${src.address}` : 'the router\'s metrics';
    let state = 'ok';
    let text = '';
    if (!src) state = 'unknown';
    else if (src.kind === 'none') [state, text] = ['missing', src.hint];
    else if (src.problem) [state, text] = ['problem', `Cannot read the charts' source: ${src.problem}`];
    else if (empty) [state, text] = ['waiting', `Waiting for the first samples from ${from}…`];
    else if (src.kind === 'prometheus') text = `From ${from}.`;
    note.dataset.state = state;
    note.dataset.source = src?.kind ?? '';
    note.className = state === 'missing' || state === 'problem' ? 'traffic-note warning' : 'traffic-note muted';
    note.textContent = text;
    note.hidden = text === '';
  }

  function drawCharts() {
    const container = $('charts');
    const empty = traffic.blue.length === 0 && traffic.green.length === 0;
    renderTrafficNote(empty);
    container.hidden = trafficSource?.kind === 'none';
    if (typeof uPlot === 'undefined') return;
    const width = Math.max(260, Math.floor((container.clientWidth || 600) / (container.clientWidth > 1000 ? 3 : container.clientWidth > 660 ? 2 : 1)) - 16);
    if (charts.length === 0) {
      for (const def of CHARTS) {
        const target = h('div', { class: 'chart', id: `chart-${def.id}`, 'data-points': 0, role: 'img', 'aria-label': def.title });
        container.append(h('figure', { class: 'chart-figure' }, h('h3', null, def.title), target));
        const stroke = (color, key) => (color === 'blue' ? cssVar('--blue') : cssVar('--green')) + (key === 'p99Ms' ? '' : '');
        const plot = new uPlot({
          width,
          height: 180,
          plugins: [markerPlugin()],
          scales: { x: { time: true } },
          axes: [{ stroke: cssVar('--muted'), grid: { stroke: cssVar('--border') } }, { stroke: cssVar('--muted'), grid: { stroke: cssVar('--border') }, values: (u, vals) => vals.map((v) => `${v}${def.unit}`) }],
          series: [{}, ...def.series.map(([color, key, label]) => ({ label, stroke: stroke(color, key), width: 2, dash: key === 'p99Ms' ? [6, 3] : undefined, spanGaps: false }))],
        }, chartData(def), target);
        charts.push({ def, plot, target });
      }
      new ResizeObserver(() => drawCharts()).observe(container);
      return;
    }
    for (const c of charts) {
      const data = chartData(c.def);
      c.plot.setData(data);
      if (Math.abs(c.plot.width - width) > 4) c.plot.setSize({ width, height: 180 });
      c.target.dataset.points = String(data[0].length);
      c.target.dataset.latest = data.slice(1).map((series) => series.at(-1) ?? '').join(',');
      c.target.dataset.markers = String((view?.markers ?? []).filter((m) => data[0].length && m.at / 1000 >= data[0][0] && m.at / 1000 <= data[0].at(-1)).length);
    }
  }

  // ---- start ---------------------------------------------------------------------------

  if (readOnly) $('mode').hidden = false;
  loadApps().then(() => { connect(); drawCharts(); }).catch((err) => showResult(false, `cannot load the apps: ${err.message}`));
})();
