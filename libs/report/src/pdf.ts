/**
 * The report as PDF: headless Chromium (Debian's, driven by playwright-core; no browser is
 * downloaded) prints the same HTML. Network requests are refused, so a PDF can only show what
 * the self-contained page holds.
 */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags for a headless Chromium in a container or CI: no sandbox, GPU or background traffic. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** No Chromium at the configured path: says how to get one. */
export class ChromiumMissingError extends Error {
  override readonly name = 'ChromiumMissingError';
  constructor(readonly executablePath: string) {
    super(
      `PDF needs Chromium, which is not installed at ${executablePath}: install it (apt-get install -y chromium, or scripts/ensure-chromium.sh as root)`,
    );
  }
}

export interface PdfOptions {
  /** Default /usr/bin/chromium. */
  executablePath?: string;
  /** Launch and print must finish within this (default 60 s). */
  timeoutMs?: number;
  /** Footer text left of the page number (default: none). */
  footer?: string;
}

/** Launches the headless browser the PDF and the browser tests use. */
export async function launchChromium(executablePath = DEFAULT_CHROMIUM_PATH, timeoutMs = 60_000) {
  if (!existsSync(executablePath)) throw new ChromiumMissingError(executablePath);
  return chromium.launch({
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: timeoutMs,
  });
}

function escapeText(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Prints a self-contained HTML page to an A4 PDF with page numbers. */
export async function renderPdf(html: string, options: PdfOptions = {}): Promise<Uint8Array> {
  const timeout = options.timeoutMs ?? 60_000;
  const browser = await launchChromium(options.executablePath, timeout);
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(timeout);
    await page.route(/^https?:/, (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
    await page.emulateMedia({ media: 'print' });
    const pdf = await page.pdf({
      format: 'A4',
      printBackground: true,
      preferCSSPageSize: true,
      displayHeaderFooter: true,
      headerTemplate: '<span></span>',
      footerTemplate: `<div style="font-size:8px;width:100%;padding:0 12mm;color:#666;display:flex;justify-content:space-between"><span>${escapeText(options.footer ?? '')}</span><span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>`,
    });
    return new Uint8Array(pdf);
  } finally {
    await browser.close();
  }
}
