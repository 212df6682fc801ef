import { describe, expect, it } from 'vitest';
import { escapeHtml, html } from '../../controller/src/http/html-escape.ts';
import { renderStatusPage } from '../../controller/src/http/status-page.ts';
import { formatDuration } from '../../controller/src/shared/format-duration.ts';
import type { StatusView } from '../../controller/src/status/status-view.ts';
import { sampleStatusView } from '../support/fixtures/sample-status-view.ts';

/** The markup of one `<section id=…>`: sections do not nest. */
const sectionOf = (page: string, id: string) => {
  const start = page.indexOf(`<section id="${id}"`);
  expect(start, `section #${id}`).toBeGreaterThanOrEqual(0);
  return page.slice(start, page.indexOf('</section>', start));
};
const rows = (markup: string) => markup.match(/<tr[\s>]/g)?.length ?? 0;

describe('renderStatusPage', () => {
  const page = renderStatusPage(sampleStatusView());

  it('is a complete page that refreshes itself and needs nothing else', () => {
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page).toContain('<meta http-equiv="refresh" content="10" />');
    expect(page).toMatch(/<\/html>\s*$/);
    // The empty icon keeps browsers from asking for /favicon.ico on every refresh.
    const withoutIcon = page.replace('<link rel="icon" href="data:," />', '');
    expect(withoutIcon).not.toMatch(/<(script|link|img|iframe)\b|<[^>]+\s(src|href)=/i);
  });

  it('shows the overall status, the time and the capacity', () => {
    expect(page).toMatch(/id="overall-status"[^>]*data-status="degraded"/);
    expect(page).toContain('datetime="2025-01-15T10:20:30.000Z"');
    expect(page).toContain('2025-01-15 10:20:30 UTC');
    expect(sectionOf(page, 'capacity')).toMatch(/id="runners-in-use">3 <small>\/ 6<\/small>/);
    expect(sectionOf(page, 'capacity')).toContain('1 busy · 1 idle · 1 starting');
    expect(sectionOf(page, 'capacity')).toContain('id="queue-depth">2<');
  });

  it('lists every warning in an alert', () => {
    const warnings = sectionOf(page, 'warnings');
    expect(warnings).toContain('role="alert"');
    expect(warnings.match(/<li>/g)).toHaveLength(3);
    expect(warnings).toContain('pull access denied for ghcr.io/acme/runner');
  });

  it('has one row per runner, waiting job and recent job', () => {
    expect(rows(sectionOf(page, 'runners'))).toBe(1 + 3);
    expect(sectionOf(page, 'runners')).toContain('data-runner-name="runner-api-7f3a"');
    const waiting = sectionOf(page, 'waiting-jobs');
    expect(rows(waiting)).toBe(1 + 3);
    expect(waiting).toContain('data-job-id="2002"');
    expect(waiting).not.toContain('data-job-id="998"'); // given up: no longer waiting
    expect(rows(sectionOf(page, 'recent-jobs'))).toBe(1 + 6);
  });

  it('marks given-up jobs and formats times', () => {
    const recent = sectionOf(page, 'recent-jobs');
    expect(recent).toMatch(/data-job-id="998"[^>]*class="given-up"/);
    expect(recent).toContain('badge-given-up');
    expect(recent).toContain('1 h 2 min');
    expect(recent).toContain('5 min 5 s');
    expect(recent).toContain('badge-success');
    expect(recent).toContain('badge-failure');
  });

  it('escapes text from GitHub and Docker everywhere', () => {
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<script>');
    expect(page).toContain('&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;');
    expect(page).toContain('acme/&lt;img');

    const hostile = '"><script>alert(1)</script>';
    const view = sampleStatusView();
    view.health.status = 'ok';
    view.health.warnings = [`<script>alert(1)</script>`];
    view.health.docker = { reachable: false, error: hostile, engines: [] };
    view.health.runners = [
      { name: hostile, repo: hostile, pool: hostile, state: hostile, jobId: 1, ageSeconds: 1 },
    ];
    view.recentJobs = view.recentJobs.map((job) => ({
      ...job,
      repository: hostile,
      runnerName: hostile,
      conclusion: hostile,
      state: 'completed',
    }));
    view.generatedAt = hostile;
    const out = renderStatusPage(view);
    expect(out).not.toContain('<script');
    expect(out).toContain('&quot;&gt;&lt;script&gt;');
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // A state becomes a class name only as a harmless token.
    expect(out).toContain('class="badge badge--script-alert-1-script-"');
  });

  it('says so when there is nothing to show', () => {
    const view: StatusView = {
      generatedAt: '2025-01-15T10:20:30.000Z',
      recentJobs: [],
      health: {
        ...sampleStatusView().health,
        status: 'ok',
        runners: [],
        warnings: [],
        queueDepth: 0,
        waitingJobs: [],
        repositories: [],
        unservedJobs: [],
        docker: { reachable: true, engines: [] },
      },
    };
    const out = renderStatusPage(view);
    expect(sectionOf(out, 'warnings')).toContain('No warnings.');
    expect(out).not.toContain('role="alert"');
    expect(sectionOf(out, 'runners')).toContain('No runners.');
    expect(sectionOf(out, 'waiting-jobs')).toContain('No job is waiting.');
    expect(sectionOf(out, 'recent-jobs')).toContain('No jobs yet.');
    expect(out).not.toContain('<table');
  });
});

describe('renderStatusPage: why each job waits', () => {
  const page = renderStatusPage(sampleStatusView());

  it('lists the waiting jobs oldest first, each with its wait, pool and reason', () => {
    const waiting = sectionOf(page, 'waiting-jobs');
    const order = [...waiting.matchAll(/data-job-id="(\d+)"/g)].map((match) => match[1]);
    expect(order).toEqual(['2001', '3003', '2002']);
    expect(waiting).toMatch(
      /data-job-id="2001" data-reason="runner-started"[\s\S]*3 min 5 s[\s\S]*badge-wait-normal">runner-started<\/span>\s*runner runner-api-c41d is up on local/,
    );
    // No pool serves it: no pool, and the trouble colour.
    expect(waiting).toMatch(/data-job-id="3003"[\s\S]*—[\s\S]*badge-wait-trouble">no-pool/);
    expect(waiting).toMatch(/data-job-id="2002"[\s\S]*GitHub refuses to register a runner/);
    expect(waiting).toContain('title="since 2025-01-15 10:17:25"');
  });

  it("shows each pool's waiting jobs by reason", () => {
    expect(sectionOf(page, 'pools')).toMatch(
      /data-pool-id="web"[\s\S]*<div class="muted">1 registration-failed<\/div>/,
    );
  });
});

describe('renderStatusPage: versions, pools, engines and unserved jobs', () => {
  const page = renderStatusPage(sampleStatusView());

  it('shows the controller version and each pool with its labels and runner image version', () => {
    expect(page).toMatch(/id="version"[^>]*>1\.4\.0 \(0123abc\)/);
    const pools = sectionOf(page, 'pools');
    expect(rows(pools)).toBe(1 + 2);
    expect(pools).toMatch(/data-pool-id="api"[\s\S]*self-hosted, linux[\s\S]*2\.338\.0/);
  });

  it("sets a job no pool serves beside the pools' labels", () => {
    const unserved = sectionOf(page, 'unserved-jobs');
    expect(unserved).toMatch(
      /data-job-id="3003"[\s\S]*self-hosted, gpu[\s\S]*api: self-hosted, linux/,
    );
  });

  it('lists the engines with their state, load and platforms', () => {
    const engines = sectionOf(page, 'engines');
    expect(engines).toMatch(/data-engine="local"[\s\S]*badge-ok[\s\S]*3 \/ 6[\s\S]*linux\/amd64/);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0.0 s'],
    [0.4, '0.4 s'],
    [4.2, '4.2 s'],
    [9.96, '10 s'],
    [42, '42 s'],
    [59.6, '1 min'],
    [60, '1 min'],
    [185, '3 min 5 s'],
    [3600, '1 h'],
    [3720, '1 h 2 min'],
    [90_000, '1 d 1 h'],
    [-1, '—'],
    [Number.NaN, '—'],
  ])('%s s is "%s"', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

describe('html', () => {
  it('escapes the five characters and keeps nested markup', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p>${inner}${[1, null, undefined, 'x&y']}</p>`.value).toBe(
      '<p><b>&lt;i&gt;</b>1x&amp;y</p>',
    );
  });
});
