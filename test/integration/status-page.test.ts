import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderStatusPage } from '../../controller/src/http/status-page.ts';
import { launchChromium, type BrowserSession } from '../support/harness/browser.ts';
import { sampleStatusView } from '../support/fixtures/sample-status-view.ts';

const ARTIFACTS = 'test-artifacts';

let server: Server;
let url: string;
let browser: BrowserSession;
const requested: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    requested.push(request.url ?? '');
    if (request.url !== '/') return response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(renderStatusPage(sampleStatusView()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await launchChromium();
  browser.page.on('pageerror', (error) => pageErrors.push(error.message));
  await browser.page.goto(url, { waitUntil: 'load' });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe('the status page in Chromium', () => {
  it('shows the status, capacity and every warning', async () => {
    const { page } = browser;
    await expect(page.title()).resolves.toBe('Runner autoscaler: degraded');
    await expect(page.locator('#overall-status').textContent()).resolves.toBe('degraded');
    await expect(page.locator('#runners-in-use').innerText()).resolves.toBe('3 / 6');
    await expect(page.locator('#queue-depth').innerText()).resolves.toBe('2');
    const warnings = page.locator('#warnings[role="alert"]');
    expect(await warnings.isVisible()).toBe(true);
    await expect(warnings.locator('li').count()).resolves.toBe(3);
    const box = await warnings.boundingBox();
    const runnersBox = await page.locator('#runners').boundingBox();
    expect(box && runnersBox && box.y < runnersBox.y).toBe(true);
  });

  it('has one row per runner, waiting job and recent job, and marks the given-up job', async () => {
    const { page } = browser;
    await expect(page.locator('#runners tbody tr').count()).resolves.toBe(3);
    await expect(page.locator('#waiting-jobs tbody tr').count()).resolves.toBe(3);
    await expect(page.locator('#recent-jobs tbody tr').count()).resolves.toBe(6);
    const givenUp = page.locator('#recent-jobs tr[data-job-id="998"]');
    await expect(givenUp.getAttribute('class')).resolves.toBe('given-up');
    await expect(givenUp.locator('.badge-given-up').innerText()).resolves.toMatch(/given up/i);
    await expect(page.locator('#waiting-jobs tr[data-job-id="998"]').count()).resolves.toBe(0);
    await expect(
      page.locator('#recent-jobs tr[data-job-id="1000"] td').last().innerText(),
    ).resolves.toBe('5 min 5 s');
  });

  it('shows hostile text as text and never runs it', async () => {
    const { page } = browser;
    await expect(
      page.evaluate(() => (globalThis as { __xss?: unknown }).__xss),
    ).resolves.toBeUndefined();
    await expect(page.locator('script, img').count()).resolves.toBe(0);
    await expect(page.locator('#warnings li').last().innerText()).resolves.toContain(
      '<img src=x onerror="window.__xss=1"><script>',
    );
    await expect(
      page.locator('#waiting-jobs tr[data-job-id="2001"] td').nth(1).innerText(),
    ).resolves.toContain('acme/<img src=x');
    expect(requested).toEqual(['/']); // no image, stylesheet or favicon fetched from the payload
    expect(pageErrors).toEqual([]);
  });

  it('is captured for review, light and dark', async () => {
    const { page } = browser;
    await mkdir(ARTIFACTS, { recursive: true });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot({ path: `${ARTIFACTS}/status-page.png`, fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: `${ARTIFACTS}/status-page-dark.png`, fullPage: true });
  });
});
