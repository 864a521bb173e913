// The dashboard and the executive report in a real browser (Debian's chromium driven by
// playwright-core) on a running platform: a dataset, training started from the page with live
// progress, the model's channels, the budget scenario form, reports in HTML and PDF. Screenshots
// and PDF pages are kept in test/artifacts/ (gitignored) to be looked at.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { launchChromium } from '@mmm/report';
import type { Browser, Page } from 'playwright-core';
import { graphql, ROOT, stackToken, startStack, type Stack } from '../support/stack';

jest.setTimeout(180_000);

const ARTIFACTS = path.join(ROOT, 'test', 'artifacts', 'dashboard');
const WS = 'e2e-dashboard';
let stack: Stack;
let browser: Browser;
let page: Page;
let chromium: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Data = any;
const gql = (query: string, variables: Record<string, unknown> = {}) =>
  graphql<Data>(stack.gatewayUrl, query, variables, { 'x-workspace-id': WS });

const shot = (name: string, fullPage = true) =>
  page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage });

beforeAll(async () => {
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  chromium = execFileSync('bash', [path.join(ROOT, 'scripts', 'ensure-chromium.sh')], {
    encoding: 'utf8',
  }).trim();
  [stack, browser] = await Promise.all([startStack(), launchChromium(chromium)]);
  const reply = await gql(
    `mutation D($input: SyntheticDatasetInput!) { generateSyntheticDataset(input: $input) { dataset { id } } }`,
    { input: { name: 'brand-weekly', weeks: 78, channels: 3, seed: 11 } },
  );
  expect(reply.errors).toBeUndefined();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  // The page must work offline: any request off this origin fails the test.
  const origin = new URL(stack.services.reporting.url).origin;
  const offOrigin: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) offOrigin.push(r.url());
  });
  page.on('pageerror', (e) => {
    throw e;
  });
  await page.goto(`${origin}/dashboard/`);
  await page.fill('#workspace', WS);
  // An analyst's token: everything the page does (optimize, report) is an analyst's work.
  await page.fill(
    '#token',
    await stackToken({ subject: 'dash-analyst', roles: ['analyst'], workspaces: [WS] }),
  );
  await page.click('#settings button[type=submit]');
  expect(offOrigin).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the dashboard', () => {
  let modelId: string;

  it('lists the datasets and trains a model from the button, with live progress', async () => {
    const row = page.locator('#datasets tr[data-dataset]', { hasText: 'brand-weekly' });
    await row.waitFor();
    await row.locator('button.train').click();
    const job = page.locator('#jobs li.job');
    await job.waitFor();
    await shot('1-training');
    await page.locator('#jobs li.job[data-status=SUCCEEDED]').waitFor({ timeout: 120_000 });
    expect(await job.textContent()).toMatch(/100% · done/);
    await page.locator('#models tr[data-model]').first().waitFor();
    modelId = (await page.locator('#models tr[data-model]').first().getAttribute('data-model'))!;
  });

  it('shows the trained model: metrics, channels with intervals, ROAS and response curve charts', async () => {
    await page.locator('#jobs a', { hasText: 'open model' }).click();
    await page.locator('#channels tr[data-channel]').first().waitFor();
    const channels = await page
      .locator('#channels tr[data-channel]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-channel')));
    const served = await gql(`query M($id: ID!) { model(id: $id) { channels { channel kind } } }`, {
      id: modelId,
    });
    expect(channels).toEqual(
      served.data.model.channels.filter((c: Data) => c.kind === 'PAID').map((c: Data) => c.channel),
    );
    // ROAS with its interval in each row; both charts drawn by ECharts in the browser.
    for (const text of await page
      .locator('#channels tr[data-channel] td:nth-child(3)')
      .allTextContents()) {
      expect(text).toMatch(/^\d+\.\d\d \(\d+\.\d\d–\d+\.\d\d\)$/);
    }
    expect(await page.locator('#roas-chart svg path').count()).toBeGreaterThan(5);
    expect(await page.locator('#curves-chart svg path').count()).toBeGreaterThan(5);
    expect(await page.locator('#model-summary').textContent()).toMatch(/R² 0\.\d{3}, NRMSE/);
    await shot('2-model');
  });

  it('submits a budget scenario (with introspection off, as the gateway runs by default)', async () => {
    await page.fill('#periods', '13');
    await page.click('#optimize');
    await page.locator('#allocation tr[data-channel]').first().waitFor();
    expect(await page.locator('#allocation tr[data-channel]').count()).toBe(3);
    expect(await page.locator('#scenario-summary').textContent()).toMatch(/Expected KPI/);
    await page.locator('#scenario').scrollIntoViewIfNeeded();
    await shot('3-scenario');
  });

  it('generates the executive report, and the report opens with its sections', async () => {
    await page.click('#report-html');
    const ready = page.locator('#reports li[data-status=READY]').first();
    await ready.waitFor({ timeout: 60_000 });
    const href = (await ready.locator('a.report-link').getAttribute('href'))!;
    const report = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await report.goto(href);
    const sections = await report
      .locator('main > section[id]')
      .evaluateAll((s) => s.map((x) => x.id));
    expect(sections).toEqual(
      expect.arrayContaining([
        'headline',
        'fit',
        'contributions',
        'channels',
        'curves',
        'quality',
        'method',
      ]),
    );
    expect(await report.locator('#headline .card').count()).toBe(6);
    expect(await report.locator('#curves figure svg').count()).toBe(3);
    expect(await report.locator('h1').textContent()).toMatch(/media mix report/);
    await report.screenshot({ path: path.join(ARTIFACTS, '4-report.png'), fullPage: true });
    await report.close();
    await shot('4-reports-list', false);
  });

  it('prints the report to PDF with the expected pages and text', async () => {
    await page.click('#report-pdf');
    const pdfItem = page.locator('#reports li[data-status=READY]', { hasText: 'PDF' }).first();
    await pdfItem.waitFor({ timeout: 60_000 });
    const href = (await pdfItem.locator('a.report-link').getAttribute('href'))!;
    const res = await fetch(href);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    const file = path.join(ARTIFACTS, 'report.pdf');
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    const pages = Number(
      /Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))![1],
    );
    expect(pages).toBeGreaterThanOrEqual(4);
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    for (const heading of [
      'Headline',
      'Actual vs fitted',
      'What each channel returns',
      'Response curves',
      'Model quality',
      'Caveats and method',
    ]) {
      expect(text).toContain(heading);
    }
    execFileSync('pdftoppm', ['-r', '70', '-png', file, path.join(ARTIFACTS, 'report-page')]);
    expect(readdirSync(ARTIFACTS).filter((f) => f.startsWith('report-page')).length).toBe(pages);
  });

  it('gets a report of its own when the model is promoted to production', async () => {
    const promoted = await gql(`mutation P($id: ID!) { promoteModel(id: $id) { stage } }`, {
      id: modelId,
    });
    expect(promoted.data.promoteModel.stage).toBe('PRODUCTION');
    const deadline = Date.now() + 30_000;
    let origins: string[] = [];
    while (Date.now() < deadline) {
      const reply = await gql(
        `query R($id: ID!) { model(id: $id) { reports { origin status } } }`,
        { id: modelId },
      );
      origins = reply.data.model.reports
        .filter((r: Data) => r.status === 'READY')
        .map((r: Data) => r.origin);
      if (origins.includes('promotion')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(origins).toContain('promotion');
  });
});
