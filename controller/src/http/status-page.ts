import { formatDuration } from '../shared/format-duration.ts';
import { html, SafeHtml } from './html-escape.ts';
import { STATUS_PAGE_CSS } from './status-page-style.ts';
import type { HealthReport } from '../status/health-types.ts';
import type { RecentJob, StatusView } from '../status/status-view.ts';

/** Class-name safe: external states become a known-harmless token. */
const token = (value: string) => value.toLowerCase().replace(/[^a-z0-9]+/g, '-');

const formatTime = (iso: string) => {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : new Date(time).toISOString().slice(0, 19).replace('T', ' ');
};

const badge = (label: string, kind: string) =>
  html`<span class="badge badge-${token(kind)}">${label}</span>`;

const section = (id: string, title: string, count: number, body: SafeHtml, empty: string) =>
  html`<section id="${id}" class="panel">
    <h2>${title} <span class="count">${count}</span></h2>
    ${count > 0 ? body : html`<p class="empty">${empty}</p>`}
  </section>`;

/** A heading in an object is a numeric, right-aligned column. */
const table = (headings: (string | { num: string })[], rows: SafeHtml[]) =>
  html`<table>
    <thead>
      <tr>
        ${headings.map((h) =>
          typeof h === 'string' ? html`<th>${h}</th>` : html`<th class="num">${h.num}</th>`,
        )}
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
  </table>`;

function jobState(job: RecentJob): SafeHtml {
  const state =
    job.state === 'completed'
      ? badge(job.conclusion ?? 'completed', job.conclusion ?? 'completed')
      : badge(job.state === 'queued' ? 'queued' : 'running', job.state);
  return job.givenUp ? html`${state} ${badge('given up', 'given-up')}` : state;
}

function capacity(health: HealthReport): SafeHtml {
  const inUse = health.runners.length;
  const percent = health.maxRunners > 0 ? Math.min(100, (inUse / health.maxRunners) * 100) : 100;
  const byState = new Map<string, number>();
  for (const runner of health.runners)
    byState.set(runner.state, (byState.get(runner.state) ?? 0) + 1);
  const breakdown = [...byState].map(([state, n]) => `${n} ${state}`).join(' · ') || 'none';
  return html`<section id="capacity" class="cards">
    <div class="card">
      <div class="label">Runners in use</div>
      <div class="value" id="runners-in-use">${inUse} <small>/ ${health.maxRunners}</small></div>
      <div class="bar${percent >= 100 ? ' full' : ''}">
        <span style="width:${percent.toFixed(0)}%"></span>
      </div>
      <div class="muted">${breakdown}</div>
    </div>
    <div class="card">
      <div class="label">Queue depth</div>
      <div class="value" id="queue-depth">${health.queueDepth}</div>
      <div class="muted">jobs waiting for a runner</div>
    </div>
    <div class="card">
      <div class="label">Docker engines</div>
      <div class="value ${health.docker.reachable ? 'good' : 'bad'}" id="docker">
        ${health.docker.reachable ? 'reachable' : 'unreachable'}
      </div>
      <div class="muted">
        ${
          health.docker.error ??
          `${health.docker.engines.filter((e) => e.up).length} of ${health.docker.engines.length} up`
        }
      </div>
    </div>
  </section>`;
}

function warnings(list: string[]): SafeHtml {
  if (list.length === 0)
    return html`<section id="warnings" class="panel quiet">
      <p class="empty">No warnings.</p>
    </section>`;
  return html`<section id="warnings" class="panel alert" role="alert">
    <h2>Warnings <span class="count">${list.length}</span></h2>
    <ul>
      ${list.map((warning) => html`<li>${warning}</li>`)}
    </ul>
  </section>`;
}

const runnerRows = (runners: HealthReport['runners']) =>
  runners.map(
    (r) =>
      html`<tr data-runner-name="${r.name}">
        <td class="mono">${r.name}</td>
        <td class="wrap">${r.pool}</td>
        <td>${badge(r.state, r.state)}</td>
        <td class="mono">${r.jobId ?? '—'}</td>
        <td class="num">${formatDuration(r.ageSeconds)}</td>
      </tr>`,
  );

const poolRows = (health: HealthReport) =>
  health.repositories.flatMap((repo) =>
    repo.pools.map((pool) => {
      const runners = health.runners.filter((r) => r.pool === pool.id).length;
      const source = pool.scaleSet
        ? html`scale set
            <span class="mono">${pool.scaleSet.name}</span>
            ${badge(pool.scaleSet.state, pool.scaleSet.state === 'listening' ? 'ok' : 'degraded')}`
        : html`webhook`;
      const image = pool.runnerImage;
      return html`<tr data-pool-id="${pool.id}">
        <td class="mono">${pool.id}</td>
        <td class="wrap mono">${pool.labels.join(', ')}</td>
        <td>${source}</td>
        <td class="num">${runners} / ${pool.maxRunners}</td>
        <td class="num">
          ${pool.waitingJobs}
          ${pool.waitReasons
            .filter((count) => count.jobs > 0)
            .map((count) => html`<div class="muted">${count.jobs} ${count.reason}</div>`)}
        </td>
        <td class="wrap mono" title="${image.image}">
          ${image.version ?? 'unknown'}${image.revision ? html` <span class="muted">${image.revision.slice(0, 7)}</span>` : ''}
        </td>
        <td>${badge(pool.healthy ? 'ok' : 'degraded', pool.healthy ? 'ok' : 'degraded')}</td>
      </tr>`;
    }),
  );

const unservedRows = (health: HealthReport) =>
  health.unservedJobs.map(
    (job) =>
      html`<tr data-job-id="${job.jobId}">
        <td class="mono">${job.jobId}</td>
        <td class="wrap">${job.repository}</td>
        <td class="wrap mono">${job.labels.join(', ')}</td>
        <td class="wrap mono">
          ${job.pools.map((pool) => html`<div>${pool.id}: ${pool.labels.join(', ')}</div>`)}
        </td>
      </tr>`,
  );

const engineRows = (health: HealthReport) =>
  health.docker.engines.map(
    (engine) =>
      html`<tr data-engine="${engine.name}">
        <td class="mono">${engine.name}</td>
        <td class="wrap mono">${engine.endpoint}</td>
        <td>${badge(engine.up ? 'up' : 'down', engine.up ? 'ok' : 'failing')}</td>
        <td class="num">${engine.runners} / ${engine.capacity}</td>
        <td class="mono">${engine.platforms.join(', ') || '—'}</td>
      </tr>`,
  );

/** How a wait reason looks: on its way, held by a cap or room, or held by trouble. */
function reasonBadge(reason: string): SafeHtml {
  const kind =
    reason === 'runner-started' || reason === 'pending'
      ? 'wait-normal'
      : reason === 'pool-cap' || reason === 'global-cap' || reason === 'no-engine-room'
        ? 'wait-capacity'
        : 'wait-trouble';
  return html`<span class="badge badge-${kind}">${reason}</span>`;
}

const waitingRows = (jobs: HealthReport['waitingJobs']) =>
  jobs.map(
    (job) =>
      html`<tr data-job-id="${job.jobId}" data-reason="${token(job.reason)}">
        <td class="mono">${job.jobId}</td>
        <td class="text">${job.repository}</td>
        <td class="mono">${job.pool ?? '—'}</td>
        <td class="num" title="since ${formatTime(job.since)}">
          ${formatDuration(job.waitingSeconds)}
        </td>
        <td class="wrap">${reasonBadge(job.reason)} ${job.detail}</td>
      </tr>`,
  );

const recentRows = (jobs: RecentJob[]) =>
  jobs.map(
    (job) =>
      html`<tr
        data-job-id="${job.id}"
        data-state="${job.state}"
        ${job.givenUp ? html` class="given-up"` : ''}
      >
        <td class="mono">${job.id}</td>
        <td class="wrap">${job.repository}</td>
        <td>${jobState(job)}</td>
        <td class="mono">${job.runnerName ?? '—'}</td>
        <td class="num" title="queued at ${formatTime(job.queuedAt)}">
          ${formatDuration(job.queueSeconds)}
        </td>
        <td class="num">
          ${job.durationSeconds === null ? '—' : formatDuration(job.durationSeconds)}
        </td>
      </tr>`,
  );

export function renderStatusPage(view: StatusView): string {
  const { health } = view;
  const runners = section(
    'runners',
    'Runners',
    health.runners.length,
    table(['Name', 'Pool', 'State', 'Job', { num: 'Age' }], runnerRows(health.runners)),
    'No runners.',
  );
  const waitingJobs = section(
    'waiting-jobs',
    'Waiting jobs, oldest first',
    health.waitingJobs.length,
    table(
      ['Job', 'Repository', 'Pool', { num: 'Waiting for' }, 'Why'],
      waitingRows(health.waitingJobs),
    ),
    'No job is waiting.',
  );
  const poolCount = health.repositories.reduce((sum, repo) => sum + repo.pools.length, 0);
  const pools = section(
    'pools',
    'Pools',
    poolCount,
    table(
      ['Pool', 'Labels', 'Jobs from', { num: 'Runners' }, { num: 'Waiting' }, 'Runner', 'Status'],
      poolRows(health),
    ),
    'No pools.',
  );
  const unserved = section(
    'unserved-jobs',
    'Jobs no pool serves',
    health.unservedJobs.length,
    table(['Job', 'Repository', 'Its labels', 'Pools and their labels'], unservedRows(health)),
    'Every recent job had a pool with all its labels.',
  );
  const engines = section(
    'engines',
    'Docker engines',
    health.docker.engines.length,
    table(['Engine', 'Endpoint', 'State', { num: 'Runners' }, 'Platforms'], engineRows(health)),
    'No engine.',
  );
  const recent = section(
    'recent-jobs',
    'Recent jobs',
    view.recentJobs.length,
    table(
      ['Job', 'Repository', 'State', 'Runner', { num: 'Queued' }, { num: 'Duration' }],
      recentRows(view.recentJobs),
    ),
    'No jobs yet.',
  );
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta http-equiv="refresh" content="10" />
        <link rel="icon" href="data:," />
        <title>Runner autoscaler: ${health.status}</title>
        <style>
          ${new SafeHtml(STATUS_PAGE_CSS)}
        </style>
      </head>
      <body>
        <main>
          <header>
            <div>
              <h1>Runner autoscaler</h1>
              <div class="muted">
                Generated
                <time id="generated-at" datetime="${view.generatedAt}"
                  >${formatTime(view.generatedAt)} UTC</time
                >
                · refreshes every 10 s · version
                <span id="version" class="mono"
                  >${health.build.version} (${health.build.revision.slice(0, 12)})</span
                >
              </div>
            </div>
            <span
              id="overall-status"
              class="badge badge-${health.status}"
              data-status="${health.status}"
              >${health.status}</span
            >
          </header>
          ${capacity(health)} ${warnings(health.warnings)} ${waitingJobs} ${pools} ${unserved}
          ${runners} ${recent} ${engines}
        </main>
      </body>
    </html> `.value;
}
