// maillage's web front: a client of the public GraphQL API like any other. It reads and
// writes only through POST /graphql, with the session cookie and the documents of
// /ui/graphql/ (kept in front/graphql/, validated against schema.graphql by the tests).
// Every figure shown is one the API gave the signed-in person; nothing is filtered here.

const main = document.getElementById('contenu');
const views = document.getElementById('vues');
const tools = document.getElementById('outils');
const demo = document.body.dataset.demo === 'true';

// ---------------------------------------------------------------- the API

const documents = new Map();

/** The text of the document `name`, fetched once (a failed fetch is tried again next time). */
function documentText(name) {
  if (!documents.has(name)) {
    const text = fetch(`/ui/graphql/${name}.graphql`).then((response) => {
      if (!response.ok) throw new Error(`document ${name} missing (${response.status})`);
      return response.text();
    });
    text.catch(() => documents.delete(name));
    documents.set(name, text);
  }
  return documents.get(name);
}

class ApiError extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join(' ; '));
    this.codes = errors.map((e) => e.extensions && e.extensions.code);
  }
}

/**
 * Runs the operation `operationName` of the document `name` (each file's main operation bears
 * the file's name); its data, or an ApiError when nothing came back.
 */
async function api(name, variables = {}, operationName = name) {
  const response = await fetch('/graphql', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ query: await documentText(name), variables, operationName }),
  });
  const body = await response.json();
  if (body.errors && body.errors.length) {
    if (!body.data || Object.values(body.data).every((v) => v === null)) {
      throw new ApiError(body.errors);
    }
    console.warn(name, body.errors);
  }
  return body.data;
}

// ---------------------------------------------------------------- building the page

/** An element: `h('p', { class: 'x' }, 'text', child…)`. */
function h(tag, attributes = {}, ...children) {
  const svg = ['svg', 'circle', 'rect', 'text', 'title', 'g', 'line'].includes(tag);
  const element = svg
    ? document.createElementNS('http://www.w3.org/2000/svg', tag)
    : document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

const number = new Intl.NumberFormat('fr-FR');
const decimal = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat('fr-FR', { style: 'percent', maximumFractionDigits: 1 });
const dateTime = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'short', timeStyle: 'short' });
const show = (value) => (value === null || value === undefined ? '—' : value);
const hours = (value) => (value === null || value === undefined ? '—' : `${decimal.format(value)} h`);

const LABELS = {
  ANCT: 'ANCT', PREFECT: 'Préfecture', AUDITOR: 'Auditeur', OPERATOR: 'Opérateur', AGENT: 'Agent',
  DATA_PROTECTION: 'Délégué à la protection des données',
  CANDIDATE: 'Candidate', PROPOSED: 'Proposée', AUDIT_SCHEDULED: 'Audit programmé',
  AUDIT_PASSED: 'Audit réussi', AUDIT_FAILED: 'Audit échoué', APPROVED: 'Validée',
  LABELLED: 'Labellisée', WITHDRAWN: 'Label retiré',
  FAMILY: 'Famille', EMPLOYMENT: 'Emploi', HEALTH: 'Santé', RETIREMENT: 'Retraite',
  TAXES: 'Impôts', IDENTITY_DOCUMENTS: 'Papiers d’identité', VEHICLE: 'Véhicule',
  JUSTICE: 'Justice', HOUSING_ENERGY: 'Logement, énergie', AGRICULTURE: 'Agriculture',
  INFORMATION: 'Information', ONLINE_PROCEDURE: 'Démarche en ligne', REFERRAL: 'Orientation',
  OPEN: 'Ouverte', ANSWERED: 'Répondue', CLOSED: 'Close',
  USERS: 'Usagers', AGENTS: 'Agents', STRUCTURE: 'Structure', PARTNER: 'Partenaire',
};
const label = (key) => LABELS[key] || key;

/** The DSFR colour of each label status (map points and legend). */
const STATUS_COLOURS = {
  LABELLED: '#18753c', APPROVED: '#1f8d49', AUDIT_PASSED: '#3a8b6b',
  AUDIT_SCHEDULED: '#b34000', PROPOSED: '#c3992a', CANDIDATE: '#7b7b7b',
  AUDIT_FAILED: '#ce0500', WITHDRAWN: '#3a3a3a',
};

function alert(kind, title, text) {
  return h('div', { class: `fr-alert fr-alert--${kind} fr-mb-3w`, role: kind === 'error' ? 'alert' : 'status' },
    h('h3', { class: 'fr-alert__title' }, title), text ? h('p', {}, text) : null);
}

/**
 * A key figure, marked with `data-figure` (the browser tests read it) and with
 * `elementtiming` (the browser reports when it was first painted: bench/paint.py).
 */
function figure(key, value, text) {
  return h('div', { class: 'mg-figure' },
    h('p', { class: 'mg-figure__value', 'data-figure': key, elementtiming: `figure:${key}` }, value),
    h('p', { class: 'mg-figure__label' }, text));
}

function csvCell(value) {
  const text = value === null || value === undefined ? '' : String(value);
  return /[";\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * A DSFR table with its caption and a CSV download of exactly its rows. `columns` are
 * `[heading, row => shown value, row => raw value (CSV)]`.
 */
function table(id, caption, columns, rows) {
  const download = () => {
    const lines = [columns.map((c) => csvCell(c[0])).join(';')];
    for (const row of rows) lines.push(columns.map((c) => csvCell((c[2] || c[1])(row))).join(';'));
    const blob = new Blob([`\ufeff${lines.join('\n')}\n`], { type: 'text/csv;charset=utf-8' });
    const link = h('a', { href: URL.createObjectURL(blob), download: `${id}.csv` });
    document.body.append(link);
    link.click();
    link.remove();
  };
  return h('div', { class: 'fr-mb-3w' },
    h('div', { class: 'fr-table fr-table--no-scroll fr-mb-1w', 'data-table': id },
      h('div', { class: 'fr-table__wrapper' }, h('div', { class: 'fr-table__container' },
        h('div', { class: 'fr-table__content' },
          h('table', {},
            h('caption', {}, caption),
            h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c[0])))),
            h('tbody', {}, rows.length
              ? rows.map((row) => h('tr', {}, columns.map((c) => h('td', {}, c[1](row)))))
              : h('tr', {}, h('td', { colspan: columns.length }, 'Aucune donnée')))))))),
    h('button', { class: 'fr-btn fr-btn--secondary fr-btn--sm', type: 'button', onclick: download },
      `Télécharger « ${caption} » (CSV)`));
}

let chartsLoaded = null;

/**
 * DSFR's charts (@gouvfr/dsfr-chart, vendored under /ui/dsfr/chart/): loaded once, when a view
 * first shows a chart, so that the figures above it paint without waiting for them.
 */
function loadCharts() {
  if (!chartsLoaded) {
    document.head.append(h('link', { rel: 'stylesheet', href: '/ui/dsfr/chart/DSFRChart.css' }));
    chartsLoaded = import('/ui/dsfr/chart/DSFRChart.js').catch((error) => {
      // The tables beside the charts still give every figure; the next view tries again.
      console.warn('DSFR charts unavailable', error);
      chartsLoaded = null;
    });
  }
  return chartsLoaded;
}

/**
 * A DSFR bar chart of `{ label, count }`. The canvas says nothing to a screen reader, so the
 * chart is one image with its title, and the table beside it gives the same figures.
 */
function barChart(id, title, items, horizontal = true) {
  loadCharts();
  return h('div', { class: 'mg-chart', role: 'img', 'aria-label': `${title} (le tableau voisin donne les mêmes chiffres)`, 'data-chart': id },
    h('bar-chart', {
      x: JSON.stringify([items.map((i) => i.label)]),
      y: JSON.stringify([items.map((i) => i.count)]),
      name: JSON.stringify([title]),
      horizontal: horizontal ? 'true' : null,
      'selected-palette': 'default',
    }));
}

/**
 * A table of a connection read page by page: the first page's rows, and a button that reads
 * the next page (`next(cursor)`: the next page of the connection) and adds its rows.
 */
function pagedTable(id, caption, columns, first, next) {
  const rows = first.edges.map((e) => e.node);
  const holder = h('div', {});
  let page = first.pageInfo;
  const render = () => {
    const more = page.hasNextPage
      ? h('button', { class: 'fr-btn fr-btn--tertiary fr-btn--sm fr-mb-3w', type: 'button', 'data-more': id, onclick: async (event) => {
        event.target.disabled = true;
        try {
          const connection = await next(page.endCursor);
          rows.push(...connection.edges.map((e) => e.node));
          page = connection.pageInfo;
          render();
          // Keyboard users stay where they were: on the button, or on the table once complete.
          const target = holder.querySelector('[data-more]') || holder.querySelector('table');
          if (target.tagName === 'TABLE') target.tabIndex = -1;
          target.focus();
        } catch (error) {
          holder.append(alert('error', 'La suite ne vient pas', error.message));
          event.target.disabled = false;
        }
      } }, 'Afficher les suivantes')
      : null;
    const shown = first.totalCount === undefined ? caption : `${caption} (${number.format(rows.length)} sur ${number.format(first.totalCount)})`;
    holder.replaceChildren(...[table(id, shown, columns, rows), more].filter(Boolean));
  };
  render();
  return holder;
}

/** A chart and its table, side by side. */
function chartAndTable(id, title, items, heading = 'Catégorie', horizontal = true) {
  return h('div', { class: 'mg-pair' },
    barChart(id, title, items, horizontal),
    table(id, title, [[heading, (r) => r.label], ['Nombre', (r) => number.format(r.count), (r) => r.count]], items));
}

function section(title, ...children) {
  return h('section', { class: 'mg-section' }, h('h2', { class: 'fr-h4' }, title), ...children);
}

// ---------------------------------------------------------------- the prefect / ANCT dashboard

async function dashboardView(me) {
  const national = me.roles.some((r) => r.role === 'ANCT');
  const mine = me.roles.filter((r) => r.role === 'PREFECT' && r.department).map((r) => r.department);
  const initial = !national && mine.length === 1 ? mine[0].code : '';
  // The key figures are asked for at once, while the department list comes.
  const figures = dashboardFigures(initial, '', '', 'DashboardKeyFigures');
  figures.catch(() => {});
  const departments = national ? (await api('Departments')).departments : mine;
  const picker = h('select', { class: 'fr-select', id: 'departement', name: 'departement' },
    h('option', { value: '' }, national ? 'Tout le réseau' : 'Tous mes départements'),
    departments.map((d) => h('option', { value: d.code }, `${d.code} — ${d.name}`)));
  picker.value = initial;
  const from = h('input', { class: 'fr-input', type: 'date', id: 'du', name: 'du' });
  const to = h('input', { class: 'fr-input', type: 'date', id: 'au', name: 'au' });
  const results = h('div', { id: 'resultats', 'aria-live': 'polite' });
  const form = h('form', { class: 'fr-grid-row fr-grid-row--gutters fr-grid-row--bottom', onsubmit: (event) => {
    event.preventDefault();
    loadDashboard(results, picker.value, from.value, to.value);
  } },
    h('div', { class: 'fr-col-12 fr-col-md-5 fr-select-group' }, h('label', { class: 'fr-label', for: 'departement' }, 'Département'), picker),
    h('div', { class: 'fr-col-6 fr-col-md-2 fr-input-group' }, h('label', { class: 'fr-label', for: 'du' }, 'Du'), from),
    h('div', { class: 'fr-col-6 fr-col-md-2 fr-input-group' }, h('label', { class: 'fr-label', for: 'au' }, 'Au'), to),
    h('div', { class: 'fr-col-12 fr-col-md-3' }, h('button', { class: 'fr-btn', type: 'submit' }, 'Afficher')));
  main.replaceChildren(h('h1', {}, 'Tableau de bord'), form, results);
  await loadDashboard(results, picker.value, '', '', figures);
}

/**
 * The dashboard for a department ('' for all the caller's) and a period: every figure, or
 * with `DashboardKeyFigures` the key figures alone.
 */
function dashboardFigures(department, from, to, operation = 'Dashboard') {
  const filter = {};
  if (department) filter.departments = [department];
  if (from) filter.from = from;
  if (to) filter.to = to;
  return api('Dashboard', { filter }, operation);
}

/** Resolves once the browser has painted what is on the page now. */
function painted() {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

/** The row of key figures (those `d` has: the key figures alone, or every figure). */
function keyFigures(department, d) {
  const r = d.reporting;
  const s = d.supportRequests;
  const p = d.labelPipeline;
  const t = d.training;
  return h('div', { class: 'mg-figures', 'data-dashboard': department || 'tout' },
    figure('reporting.total', number.format(r.total), 'demandes accompagnées'),
    figure('reporting.resolvedOnSiteShare', r.resolvedOnSiteShare === null ? '—' : percent.format(r.resolvedOnSiteShare), 'résolues sur place'),
    figure('supportRequests.total', number.format(s.total), 'demandes Administration+'),
    figure('supportRequests.late', number.format(s.late), 'en retard sur le délai de 72 h ouvrées'),
    p ? figure('labelPipeline.reauditsDue', number.format(p.reauditsDue), 'réaudits à programmer') : null,
    t ? figure('training.qualified', `${number.format(t.qualified)} / ${number.format(t.agents)}`, 'agents formés (5,5 jours et webinaires)') : null);
}

let dashboardLoads = 0;

/**
 * Shows the dashboard: the key figures first (`pending`: already asked for), painted, then
 * every figure, with the sections, maps and charts. The server runs one dashboard request at
 * a time, so the whole one is asked for once the key figures are in. A later load supersedes
 * this one.
 */
async function loadDashboard(results, department, from, to, pending = null) {
  const load = ++dashboardLoads;
  const current = () => load === dashboardLoads;
  results.replaceChildren(h('p', {}, 'Chargement des chiffres…'));
  try {
    const first = (await (pending || dashboardFigures(department, from, to, 'DashboardKeyFigures'))).dashboard;
    if (!current()) return;
    results.replaceChildren(keyFigures(department, first), h('p', {}, 'Chargement du détail…'));
  } catch (error) {
    if (current()) results.replaceChildren(alert('error', 'Les chiffres ne sont pas disponibles', error.message));
    return;
  }
  await painted();
  if (!current()) return;
  let d;
  try {
    d = (await dashboardFigures(department, from, to)).dashboard;
  } catch (error) {
    if (current()) results.lastChild.replaceWith(alert('error', 'Le détail des chiffres n’est pas disponible', error.message));
    return;
  }
  if (!current()) return;
  const r = d.reporting;
  const s = d.supportRequests;
  const p = d.labelPipeline;
  const t = d.training;
  results.replaceChildren(keyFigures(department, d));
  if (department) {
    const map = h('div', {}, h('p', {}, 'Chargement de la carte…'));
    results.append(section('Carte des France Services', map));
    structuresMap(map, department, d.coverage || []);
  } else if (d.coverage && d.coverage.length > 1) {
    results.append(section('Couverture des cantons', coverageMap(d.coverage)));
  }
  results.append(
    section('Demandes accompagnées par mois', chartAndTable('par-mois', 'Demandes par mois', r.byMonth, 'Mois', false)),
    section('Demandes par partenaire', chartAndTable('par-partenaire', 'Demandes par partenaire', r.byPartner, 'Partenaire')),
    section('Demandes par thème', chartAndTable('par-theme', 'Demandes par thème', r.byTheme.map((i) => ({ ...i, label: label(i.key) })), 'Thème')),
    section('Administration+',
      table('administration-plus', 'Demandes Administration+ par partenaire', [
        ['Partenaire', (x) => x.partner],
        ['Demandes', (x) => number.format(x.count), (x) => x.count],
        ['En retard', (x) => number.format(x.late), (x) => x.late],
        ['Répondues', (x) => number.format(x.answered), (x) => x.answered],
        ['Délai médian', (x) => hours(x.medianHours), (x) => x.medianHours],
        ['9e décile du délai', (x) => hours(x.p90Hours), (x) => x.p90Hours],
      ], adminPlusRows(s, d.answerDelays))),
  );
  if (p) {
    results.append(section('Labellisation',
      chartAndTable('labellisation', 'Structures par étape du label', p.byStatus.map((i) => ({ ...i, label: label(i.key) })), 'Étape'),
      table('reaudits', 'Audits et réaudits', [['', (x) => x[0]], ['Nombre', (x) => number.format(x[1]), (x) => x[1]]], [
        ['Audits réussis', p.auditsPassed], ['Audits échoués', p.auditsFailed],
        ['Réaudits à programmer', p.reauditsDue], ['Réaudits programmés', p.reauditsScheduled],
        ['Réaudits en retard', p.reauditsOverdue], ['Retraits de label à prononcer', p.withdrawalsDue],
      ])));
  }
  if (d.complianceGaps) {
    results.append(section('Écarts aux critères de qualité',
      table('ecarts', 'Critères non remplis', [
        ['Critère', (x) => x.criterion],
        ['Structures évaluées', (x) => number.format(x.assessed), (x) => x.assessed],
        ['Non rempli', (x) => number.format(x.unmet), (x) => x.unmet],
      ], d.complianceGaps)));
  }
  results.append(section('Référents manquants',
    table('referents-manquants', 'Partenaires sans leurs deux référents back-office', [
      ['Partenaire', (x) => x.label],
      ['Départements concernés', (x) => number.format(x.count), (x) => x.count],
    ], d.missingReferents)));
  if (t) {
    results.append(section('Formation des agents',
      table('formation', 'Formation des agents', [['', (x) => x[0]], ['Nombre', (x) => number.format(x[1]), (x) => x[1]]],
        [['Agents', t.agents], ['Formés', t.qualified]])));
  }
  if (d.satisfaction) {
    results.append(section('Satisfaction',
      table('satisfaction', 'Enquêtes de satisfaction', [
        ['Public', (x) => label(x.audience)],
        ['Réponses', (x) => number.format(x.answers), (x) => x.answers],
        ['Note moyenne', (x) => (x.mean === null ? '—' : decimal.format(x.mean)), (x) => x.mean],
      ], d.satisfaction)));
  }
  if (d.mysteryVisits) {
    results.append(section('Visites mystère',
      table('visites-mystere', 'Visites mystère', [
        ['Département', (x) => x.department],
        ['Visites', (x) => number.format(x.visits), (x) => x.visits],
        ['Score moyen', (x) => (x.meanScore === null ? '—' : `${decimal.format(x.meanScore)} / ${x.maxScore}`), (x) => x.meanScore],
      ], d.mysteryVisits)));
  }
}

function adminPlusRows(figures, delays) {
  const partners = new Map();
  const row = (code) => {
    if (!partners.has(code)) {
      partners.set(code, { partner: code, count: 0, late: 0, answered: 0, medianHours: null, p90Hours: null });
    }
    return partners.get(code);
  };
  for (const item of figures.byPartner) row(item.key).count = item.count;
  for (const item of figures.lateByPartner) row(item.key).late = item.count;
  for (const delay of delays) Object.assign(row(delay.partner), delay);
  return [...partners.values()];
}

/** The share of each department's cantons that hold a labelled France Services, on DSFR's map. */
function coverageMap(coverage) {
  loadCharts();
  const share = (c) => (c.cantons ? c.covered / c.cantons : null);
  const cantons = coverage.reduce((n, c) => n + c.cantons, 0);
  const covered = coverage.reduce((n, c) => n + c.covered, 0);
  const shown = (value) => (value === null ? null : Math.round(value * 1000) / 10);
  const data = Object.fromEntries(coverage.filter((c) => c.cantons).map((c) => [c.department, shown(share(c))]));
  const title = 'Part des cantons où une France Services labellisée est présente, par département';
  return h('div', { class: 'mg-pair' },
    h('div', { class: 'mg-chart', role: 'img', 'aria-label': `${title} (le tableau voisin donne les mêmes chiffres)`, 'data-chart': 'couverture' },
      h('map-chart', {
        data: JSON.stringify(data),
        value: String(shown(cantons ? covered / cantons : null) ?? ''),
        name: 'Cantons couverts (%)',
        date: new Date().toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris' }),
        level: 'dep',
        'selected-palette': 'sequentialAscending',
      })),
    h('div', {},
      h('p', { 'data-figure': 'coverage.covered' },
        `${number.format(covered)} cantons couverts sur ${number.format(cantons)} (${number.format(cantons - covered)} sans France Services)`),
      h('details', {}, h('summary', {}, `Le tableau, département par département (${number.format(coverage.length)})`),
        table('couverture', 'Cantons couverts par département', [
          ['Département', (x) => x.department],
          ['Cantons', (x) => number.format(x.cantons), (x) => x.cantons],
          ['Couverts', (x) => number.format(x.covered), (x) => x.covered],
          ['Sans France Services', (x) => number.format(x.uncovered), (x) => x.uncovered],
          ['Part couverte', (x) => (share(x) === null ? '—' : percent.format(share(x))), (x) => share(x)],
        ], coverage))));
}

/** The structures of a department on a map (their coordinates; no outline is drawn). */
async function structuresMap(container, department, coverage) {
  const structures = [];
  let after = null;
  try {
    do {
      const page = (await api('StructuresMap', { department, after })).structures;
      structures.push(...page.edges.map((e) => e.node));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
  } catch (error) {
    container.replaceChildren(alert('error', 'La carte n’est pas disponible', error.message));
    return;
  }
  const placed = structures.filter((s) => s.location);
  const width = 600;
  const height = 480;
  const children = [];
  if (placed.length) {
    const lats = placed.map((s) => s.location.latitude);
    const lons = placed.map((s) => s.location.longitude);
    const scaleX = Math.cos(((Math.min(...lats) + Math.max(...lats)) / 2) * (Math.PI / 180));
    const spanX = Math.max((Math.max(...lons) - Math.min(...lons)) * scaleX, 0.01);
    const spanY = Math.max(Math.max(...lats) - Math.min(...lats), 0.01);
    const scale = Math.min((width - 40) / spanX, (height - 40) / spanY);
    for (const s of placed) {
      const x = 20 + (s.location.longitude - Math.min(...lons)) * scaleX * scale;
      const y = 20 + (Math.max(...lats) - s.location.latitude) * scale;
      children.push(h('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: 6, fill: STATUS_COLOURS[s.labelStatus] || '#000091', stroke: '#ffffff', 'stroke-width': 1.5, 'data-structure': s.matricule },
        h('title', {}, `${s.name} — ${label(s.labelStatus)}`)));
    }
  }
  const statuses = [...new Set(structures.map((s) => s.labelStatus))];
  const covered = coverage.find((c) => c.department === department);
  container.replaceChildren(
    h('svg', { class: 'mg-map', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': 'carte-titre', 'data-map': department },
      h('title', { id: 'carte-titre' }, `${placed.length} France Services du département ${department}, par étape du label (liste ci-dessous)`),
      children),
    h('ul', { class: 'mg-legend' }, statuses.map((status) => h('li', {},
      h('svg', { width: 14, height: 14, 'aria-hidden': 'true' }, h('circle', { cx: 7, cy: 7, r: 6, fill: STATUS_COLOURS[status] || '#000091' })),
      `${label(status)} (${structures.filter((s) => s.labelStatus === status).length})`))),
    covered ? h('p', { 'data-figure': 'coverage.covered' },
      `${number.format(covered.covered)} cantons couverts sur ${number.format(covered.cantons)} (${number.format(covered.uncovered)} sans France Services)`) : null,
    table('structures', `France Services du département ${department}`, [
      ['Matricule', (x) => x.matricule], ['Nom', (x) => x.name], ['Commune', (x) => (x.commune ? x.commune.name : '—'), (x) => (x.commune ? x.commune.name : '')],
      ['Label', (x) => label(x.labelStatus), (x) => x.labelStatus],
    ], structures));
}

// ---------------------------------------------------------------- live events

let stopLive = () => {};

/**
 * Follows `supportEvents` over WebSocket (graphql-transport-ws, the session cookie
 * authenticates) and calls `onEvent` with each notice; reconnects after a drop. Stopped when
 * the view changes.
 */
function followEvents(onEvent) {
  stopLive();
  let active = true;
  let socket = null;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql/ws`;
  const open = async () => {
    const query = await documentText('SupportEvents');
    if (!active) return;
    socket = new WebSocket(url, 'graphql-transport-ws');
    socket.onopen = () => socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (data.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: 'evenements', type: 'subscribe', payload: { query } }));
      } else if (data.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong' }));
      } else if (data.type === 'next' && data.payload.data) {
        onEvent(data.payload.data.supportEvents);
      }
    };
    socket.onclose = () => {
      if (active) setTimeout(open, 5000);
    };
  };
  open();
  stopLive = () => {
    active = false;
    if (socket) socket.close();
  };
}

const EVENT_TEXT = {
  REQUEST_SENT: 'nouvelle demande',
  MESSAGE_WRITTEN: 'nouveau message',
  DEADLINE_PASSED: 'échéance dépassée',
};

function liveNotice() {
  return h('p', { class: 'fr-badge fr-badge--info fr-mb-2w', id: 'direct', 'aria-live': 'polite', hidden: true });
}

function announce(notice, event) {
  notice.hidden = false;
  notice.textContent = `En direct : ${EVENT_TEXT[event.kind] || event.kind} — ${event.structure}, ${event.partner}`;
}

// ---------------------------------------------------------------- the operator portal

function timeLeft(request) {
  if (request.firstAnsweredAt) return 'répondue';
  const left = (new Date(request.dueAt) - Date.now()) / 3600000;
  return left >= 0 ? `${decimal.format(left)} h restantes` : h('span', { class: 'mg-late' }, `en retard de ${decimal.format(-left)} h`);
}

async function operatorView() {
  const detail = h('div', { id: 'demande', 'aria-live': 'polite' });
  const top = h('div', {});
  const notice = liveNotice();
  const render = (data) => top.replaceChildren(...operatorInbox(data, detail));
  render(await api('OperatorPortal'));
  main.replaceChildren(h('h1', {}, 'Portail opérateur'), notice, top, detail);
  followEvents(async (event) => {
    announce(notice, event);
    render(await api('OperatorPortal'));
  });
}

function operatorInbox(data, detail) {
  return [
    h('div', { class: 'mg-figures' },
      figure('supportRequests.totalCount', number.format(data.supportRequests.totalCount), 'demandes Administration+'),
      figure('supportRequests.late', number.format(data.lateRequests.totalCount), 'en retard'),
      figure('structures.totalCount', number.format(data.structures.totalCount), 'France Services où le partenaire est présent')),
    section('Boîte de réception Administration+',
      pagedTable('boite', 'Demandes Administration+ reçues', [
        ['Structure', (x) => (x.structure ? x.structure.name : '—'), (x) => (x.structure ? x.structure.matricule : '')],
        ['Département', (x) => (x.structure ? x.structure.department.code : '—')],
        ['Envoyée', (x) => dateTime.format(new Date(x.sentAt)), (x) => x.sentAt],
        ['Échéance (72 h ouvrées)', (x) => dateTime.format(new Date(x.dueAt)), (x) => x.dueAt],
        ['Temps restant', timeLeft, (x) => (x.firstAnsweredAt ? 'répondue' : x.late ? 'en retard' : 'dans le délai')],
        ['Statut', (x) => label(x.status), (x) => x.status],
        ['', (x) => h('button', { class: 'fr-btn fr-btn--sm fr-btn--tertiary', type: 'button', 'data-open': x.id, onclick: () => openRequest(detail, x.id) }, 'Ouvrir'), () => ''],
      ], data.supportRequests, async (after) => (await api('OperatorPortal', { after }, 'InboxPage')).supportRequests)),
    section('France Services où le partenaire est présent',
      pagedTable('structures-partenaire', 'France Services du partenaire', [
        ['Matricule', (x) => x.matricule], ['Nom', (x) => x.name], ['Département', (x) => x.department.code],
        ['Commune', (x) => (x.commune ? x.commune.name : '—')], ['Label', (x) => label(x.labelStatus), (x) => x.labelStatus],
      ], data.structures, async (after) => (await api('OperatorPortal', { after }, 'PartnerStructuresPage')).structures)),
    ...data.me.roles.filter((r) => r.role === 'OPERATOR' && r.partner).map((r) => section(`Référents ${r.partner.name}`,
      table('referents-partenaire', `Référents ${r.partner.code}`, [
        ['Département', (x) => `${x.department.code} — ${x.department.name}`, (x) => x.department.code],
        ['Rôle', (x) => (x.kind === 'BACK_OFFICE' ? 'Back-office' : 'Formation'), (x) => x.kind],
        ['Nom', (x) => x.name], ['Courriel', (x) => x.email], ['Téléphone', (x) => show(x.phone), (x) => x.phone || ''],
      ], r.partner.referents || []))),
  ];
}

function fileToAttachment(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve({
      fileName: file.name,
      contentType: file.type || 'application/octet-stream',
      contentBase64: String(reader.result).split(',')[1] || '',
    });
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

async function openRequest(container, id) {
  container.replaceChildren(h('p', {}, 'Ouverture de la demande…'));
  let r;
  try {
    r = (await api('SupportRequest', { id })).node;
  } catch (error) {
    container.replaceChildren(alert('error', 'La demande ne s’ouvre pas', error.message));
    return;
  }
  const body = h('textarea', { class: 'fr-input', id: 'reponse', name: 'reponse', rows: 4, required: true });
  const files = h('input', { class: 'fr-upload', type: 'file', id: 'fichiers', name: 'fichiers', multiple: true, accept: '.pdf,.png,.jpg,.jpeg' });
  const outcome = h('div', { 'aria-live': 'polite' });
  let key = crypto.randomUUID();
  const form = h('form', { onsubmit: async (event) => {
    event.preventDefault();
    try {
      const attachments = await Promise.all([...files.files].map(fileToAttachment));
      await api('WriteMessage', { request: id, body: body.value, attachments, key });
      key = crypto.randomUUID();
      await openRequest(container, id);
      container.prepend(alert('success', 'Message envoyé'));
    } catch (error) {
      outcome.replaceChildren(alert('error', 'Le message n’est pas parti', error.message));
    }
  } },
    h('div', { class: 'fr-input-group' }, h('label', { class: 'fr-label', for: 'reponse' }, 'Votre message'), body),
    h('div', { class: 'fr-upload-group fr-mb-2w' },
      h('label', { class: 'fr-label', for: 'fichiers' }, 'Pièces jointes', h('span', { class: 'fr-hint-text' }, 'PDF, PNG ou JPEG, 4 Mo au plus chacune')), files),
    h('button', { class: 'fr-btn', type: 'submit' }, 'Envoyer'), outcome);
  container.replaceChildren(section(`Demande — ${r.structure ? r.structure.name : ''}`,
    h('p', {}, `${label(r.status)} · envoyée le ${dateTime.format(new Date(r.sentAt))} · échéance ${dateTime.format(new Date(r.dueAt))}`),
    h('h3', { class: 'fr-h6' }, show(r.subject)),
    h('p', {}, show(r.description)),
    h('p', {}, h('strong', {}, 'Usager : '), show(r.citizenName), r.citizenDetails ? ` — ${r.citizenDetails}` : ''),
    h('h3', { class: 'fr-h6' }, 'Échanges'),
    (r.messages || []).map((m) => h('div', { class: `mg-message mg-message--${m.side}` },
      h('p', { class: 'fr-text--sm fr-mb-1v' }, `${label(m.side)} · ${m.authorEmail} · ${dateTime.format(new Date(m.createdAt))}`), m.body)),
    (r.attachments || []).length ? h('ul', {}, r.attachments.map((a) => h('li', {}, `${a.fileName} (${a.contentType}, ${number.format(a.sizeBytes)} octets)`))) : null,
    r.status === 'CLOSED' ? alert('info', 'Demande close') : form));
}

// ---------------------------------------------------------------- the agent desk

async function agentView(me) {
  const structures = me.roles.filter((r) => r.role === 'AGENT' && r.structure).map((r) => r.structure);
  if (!structures.length) {
    main.replaceChildren(h('h1', {}, 'Bureau de l’agent'), alert('info', 'Aucune structure', 'Votre rôle d’agent n’est rattaché à aucune structure.'));
    return;
  }
  const structure = structures[0].matricule;
  const data = await api('AgentDesk', { structure });
  const suggestions = data.reportingSuggestions;
  const today = new Date().toLocaleDateString('sv-SE', { timeZone: 'Europe/Paris' });
  const partner = h('select', { class: 'fr-select', id: 'partenaire', name: 'partenaire', required: true },
    suggestions.partners.map((p) => h('option', { value: p.code }, `${p.code} — ${p.name}`)));
  const theme = h('select', { class: 'fr-select', id: 'theme', name: 'theme', required: true },
    suggestions.themes.map((t) => h('option', { value: t }, label(t))));
  const day = h('input', { class: 'fr-input', type: 'date', id: 'jour', name: 'jour', value: today, required: true });
  const help = h('select', { class: 'fr-select', id: 'aide', name: 'aide' },
    suggestions.helpKinds.map((k) => h('option', { value: k }, label(k))));
  const duration = h('input', { class: 'fr-input', type: 'number', id: 'duree', name: 'duree', min: 1, max: 480, value: 15 });
  const resolved = h('input', { type: 'checkbox', id: 'resolue', name: 'resolue', checked: true });
  const outcome = h('div', { id: 'enregistrement', 'aria-live': 'polite' });
  const count = h('p', { class: 'mg-figure__value', 'data-figure': 'reportEntries.totalCount' }, number.format(data.reportEntries.totalCount));
  let key = crypto.randomUUID();
  const form = h('form', { onsubmit: async (event) => {
    event.preventDefault();
    try {
      await api('RecordEntry', { key, input: {
        structure, occurredOn: day.value, partner: partner.value, theme: theme.value,
        helpKind: help.value, resolvedOnSite: resolved.checked, durationMinutes: Number(duration.value),
      } });
      key = crypto.randomUUID();
      const again = await api('AgentDesk', { structure });
      count.textContent = number.format(again.reportEntries.totalCount);
      outcome.replaceChildren(alert('success', 'Demande enregistrée', `${partner.value} · ${label(theme.value)} · ${day.value}`));
    } catch (error) {
      outcome.replaceChildren(alert('error', 'La demande n’est pas enregistrée', error.message));
    }
  } },
    h('div', { class: 'fr-grid-row fr-grid-row--gutters' },
      h('div', { class: 'fr-col-12 fr-col-md-6 fr-select-group' }, h('label', { class: 'fr-label', for: 'partenaire' }, 'Partenaire'), partner),
      h('div', { class: 'fr-col-12 fr-col-md-6 fr-select-group' }, h('label', { class: 'fr-label', for: 'theme' }, 'Thème'), theme)),
    h('details', { class: 'fr-mb-2w' }, h('summary', {}, 'Précisions (date, type d’aide, durée)'),
      h('div', { class: 'fr-grid-row fr-grid-row--gutters' },
        h('div', { class: 'fr-col-12 fr-col-md-3 fr-input-group' }, h('label', { class: 'fr-label', for: 'jour' }, 'Jour'), day),
        h('div', { class: 'fr-col-12 fr-col-md-3 fr-select-group' }, h('label', { class: 'fr-label', for: 'aide' }, 'Type d’aide'), help),
        h('div', { class: 'fr-col-12 fr-col-md-3 fr-input-group' }, h('label', { class: 'fr-label', for: 'duree' }, 'Durée (minutes)'), duration),
        h('div', { class: 'fr-col-12 fr-col-md-3 fr-checkbox-group' }, resolved, h('label', { class: 'fr-label', for: 'resolue' }, 'Résolue sur place')))),
    h('button', { class: 'fr-btn', type: 'submit' }, 'Enregistrer la demande'), outcome);
  const requests = h('div', {});
  const renderRequests = (desk) => requests.replaceChildren(agentRequests(desk.supportRequests));
  renderRequests(data);
  const notice = liveNotice();
  followEvents(async (event) => {
    announce(notice, event);
    renderRequests(await api('AgentDesk', { structure }));
  });
  main.replaceChildren(
    h('h1', {}, `Bureau de l’agent — ${data.structure.name}`),
    notice,
    h('div', { class: 'mg-figures' }, h('div', { class: 'mg-figure' }, count, h('p', { class: 'mg-figure__label' }, 'demandes enregistrées par la structure'))),
    section('Enregistrer une demande accompagnée', form),
    section('Demandes Administration+ de la structure', requests),
    section('Formation des agents de la structure',
      table('formation-agents', 'Formation des agents', [
        ['Agent', (x) => x.name],
        ['Jours suivis', (x) => decimal.format(x.training.daysCompleted), (x) => x.training.daysCompleted],
        ['Socle commun', (x) => (x.training.commonCore ? 'oui' : 'non')],
        ['Formations partenaires', (x) => (x.training.partnerTraining ? 'oui' : 'non')],
        ['Webinaires obligatoires', (x) => (x.training.mandatoryWebinars ? 'oui' : 'non')],
        ['Formé', (x) => (x.training.qualified ? 'oui' : 'non')],
      ], data.structure.agents || [])));
}

function agentRequests(requests) {
  return pagedTable('demandes-structure', 'Demandes Administration+', [
    ['Partenaire', (x) => (x.partner ? x.partner.code : '—')],
    ['Envoyée', (x) => dateTime.format(new Date(x.sentAt)), (x) => x.sentAt],
    ['Échéance', (x) => dateTime.format(new Date(x.dueAt)), (x) => x.dueAt],
    ['Statut', (x) => (x.late ? h('span', { class: 'mg-late' }, `${label(x.status)}, en retard`) : label(x.status)), (x) => x.status],
  ], requests, async (after) => (await api('AgentDesk', { after }, 'DeskRequestsPage')).supportRequests);
}

// ---------------------------------------------------------------- navigation and sign-in

const VIEWS = [
  { id: 'tableau', title: 'Tableau de bord', roles: ['ANCT', 'PREFECT'], open: dashboardView },
  { id: 'operateur', title: 'Portail opérateur', roles: ['OPERATOR'], open: operatorView },
  { id: 'agent', title: 'Bureau de l’agent', roles: ['AGENT'], open: agentView },
];

function signInPage() {
  tools.replaceChildren(h('li', {}, h('a', { class: 'fr-btn', href: '/auth/login' }, 'Se connecter')));
  views.replaceChildren();
  main.replaceChildren(
    h('h1', {}, 'France Services — maillage'),
    h('p', { class: 'fr-text--lead' }, 'Tableaux de bord des départements, portail des opérateurs partenaires et bureau des agents.'),
    h('ul', { class: 'fr-btns-group fr-btns-group--inline' },
      h('li', {}, h('a', { class: 'fr-btn', href: '/auth/login' }, 'Se connecter')),
      demo ? h('li', {}, h('a', { class: 'fr-btn fr-btn--secondary', href: '/auth/demo' }, 'Comptes de démonstration')) : null));
}

async function start() {
  stopLive();
  let me;
  // The dashboard's documents come while the caller is identified (most users open it).
  for (const name of ['Dashboard', 'Departments']) documentText(name).catch(() => {});
  try {
    me = (await api('Me')).me;
  } catch (error) {
    if (error.codes && error.codes.includes('UNAUTHENTICATED')) {
      signInPage();
    } else {
      main.replaceChildren(alert('error', 'Le service ne répond pas', error.message));
    }
    return;
  }
  const roles = new Set(me.roles.map((r) => r.role));
  const open = VIEWS.filter((v) => v.roles.some((role) => roles.has(role)));
  tools.replaceChildren(
    h('li', {}, h('span', { class: 'fr-btn fr-btn--tertiary-no-outline', 'data-email': me.email }, me.email)),
    h('li', {}, h('form', { method: 'post', action: '/auth/logout' }, h('button', { class: 'fr-btn', type: 'submit' }, 'Se déconnecter'))));
  const wanted = location.hash.replace('#/', '');
  const view = open.find((v) => v.id === wanted) || open[0];
  views.replaceChildren(...open.map((v) => h('li', { class: 'fr-nav__item' },
    h('a', { class: 'fr-nav__link', href: `#/${v.id}`, 'aria-current': v === view ? 'page' : null }, v.title))));
  if (!view) {
    main.replaceChildren(h('h1', {}, 'Bienvenue'), alert('info', 'Aucune vue pour vos rôles',
      `Vos rôles (${[...roles].map(label).join(', ') || 'aucun'}) n’ouvrent pas de vue ici ; l’API GraphQL reste à votre disposition.`));
    return;
  }
  main.replaceChildren(h('p', {}, 'Chargement…'));
  try {
    await view.open(me);
  } catch (error) {
    main.replaceChildren(h('h1', {}, view.title), alert('error', 'La vue ne s’affiche pas', error.message));
  }
  document.title = `${view.title} · maillage · France Services`;
}

window.addEventListener('hashchange', start);
start();
