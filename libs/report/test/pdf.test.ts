import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  buildReportData,
  ChromiumMissingError,
  parseReportAllocation,
  renderPdf,
  renderReportHtml,
} from '../src';
import { knownAllocation, knownModel } from './fixtures';

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '..', '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'mmm-pdf-'));
let chromium: string;

beforeAll(() => {
  // Installs Debian's chromium (and poppler-utils) where absent, as root.
  chromium = execFileSync('bash', [path.join(ROOT, 'scripts', 'ensure-chromium.sh')], {
    encoding: 'utf8',
  }).trim();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scripts/ensure-chromium.sh', () => {
  const script = path.join(ROOT, 'scripts', 'ensure-chromium.sh');
  it('prints the path of the chromium it finds, or of CHROMIUM_PATH', () => {
    expect(chromium).toMatch(/chromium/);
    const r = spawnSync('bash', [script], {
      env: { PATH: process.env.PATH ?? '', CHROMIUM_PATH: chromium },
      encoding: 'utf8',
    });
    expect(r).toMatchObject({ status: 0, stdout: `${chromium}\n`, stderr: '' });
  });

  it('refuses a CHROMIUM_PATH that is not an executable file, in one line', () => {
    const r = spawnSync('bash', [script], {
      env: { PATH: process.env.PATH ?? '', CHROMIUM_PATH: dir },
      encoding: 'utf8',
    });
    expect(r).toMatchObject({
      status: 1,
      stdout: '',
      stderr: `CHROMIUM_PATH=${dir} is not an executable file: fix or unset it.\n`,
    });
  });
});

describe('the PDF', () => {
  it('says clearly when Chromium is absent', async () => {
    await expect(
      renderPdf('<p>x</p>', { executablePath: '/nonexistent/chromium' }),
    ).rejects.toThrow(new ChromiumMissingError('/nonexistent/chromium'));
    expect(new ChromiumMissingError('/x').message).toMatch(
      /install it \(apt-get install -y chromium/,
    );
  });

  it('prints the report on its pages with every section, from the same HTML', async () => {
    const data = buildReportData(knownModel(), {
      allocation: parseReportAllocation(knownAllocation()),
      generatedAt: '2024-04-01T00:00:00.000Z',
    });
    const pdf = await renderPdf(renderReportHtml(data), {
      executablePath: chromium,
      footer: data.title,
    });
    expect(Buffer.from(pdf.subarray(0, 5)).toString()).toBe('%PDF-');
    const file = path.join(dir, 'report.pdf');
    writeFileSync(file, pdf);
    const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
    const pages = Number(/Pages:\s+(\d+)/.exec(info)![1]);
    expect(pages).toBeGreaterThanOrEqual(4);
    expect(pages).toBeLessThanOrEqual(7);
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    const order = [
      'Revenue media mix report',
      'Headline',
      'Actual vs fitted revenue',
      'Where the revenue comes from',
      'What each channel returns',
      'Response curves',
      'Recommended allocation',
      'Model quality',
      'Caveats and method',
    ].map((heading) => text.indexOf(heading));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(text).toMatch(/page 1 of \d/);
    // The first page carries the headline figures.
    const first = text.split('\f')[0];
    expect(first).toContain('MEDIA-DRIVEN SHARE');
    expect(first).toContain('+400'); // the expected lift
  });
});
