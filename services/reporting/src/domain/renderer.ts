import { parseModel } from '@mmm/core';
import {
  publishEvent,
  readDataset,
  readModelArtifact,
  readScenario,
  type JetStreamClient,
  type Logger,
  type WorkspaceStorage,
} from '@mmm/platform';
import {
  buildReportData,
  parseReportAllocation,
  renderPdf,
  renderReportHtml,
  reportTables,
  tablesJson,
  type ReportAttribution,
} from '@mmm/report';

import type { AttributionSource } from './attribution-source';
import { createReportShelf, REPORT_FILE_KINDS, type ReportRecord } from './reports';

export interface RendererDeps {
  js: JetStreamClient;
  storage: (workspaceId: string) => WorkspaceStorage;
  attribution: AttributionSource;
  chromiumPath: string;
  timeoutMs: number;
  logger: Logger;
}

export interface Renderer {
  /**
   * Renders a report's files from its model (and scenario, attribution run), stores them,
   * marks the record READY and publishes report.generated; or marks it FAILED with the reason.
   * Resolves with the final record; never rejects for a problem of the inputs.
   */
  render(record: ReportRecord, headers?: Record<string, string>): Promise<ReportRecord>;
}

/** A problem of the report's inputs: the report fails with this reason; retrying cannot help. */
class ReportInputMissing extends Error {}

const encoder = new TextEncoder();

export function createRenderer(deps: RendererDeps): Renderer {
  // One Chromium at a time: each takes a few hundred MB.
  let printing: Promise<unknown> = Promise.resolve();
  const print = (html: string, footer: string) => {
    const next = printing.then(() =>
      renderPdf(html, { executablePath: deps.chromiumPath, timeoutMs: deps.timeoutMs, footer }),
    );
    printing = next.catch(() => undefined);
    return next;
  };

  async function produce(record: ReportRecord, headers: Record<string, string>) {
    const s = deps.storage(record.workspaceId);
    const artifact = await readModelArtifact(s, record.modelId);
    if (!artifact) throw new ReportInputMissing(`model ${record.modelId} not found`);
    const model = parseModel(artifact.model);
    let allocation = null;
    let scenarioLabel: string | undefined;
    if (record.scenarioId) {
      const scenario = await readScenario(s, record.scenarioId);
      if (!scenario) throw new ReportInputMissing(`scenario ${record.scenarioId} not found`);
      if (scenario.modelId !== record.modelId) {
        throw new ReportInputMissing(
          `scenario ${record.scenarioId} belongs to model ${scenario.modelId}, not ${record.modelId}`,
        );
      }
      allocation = parseReportAllocation(scenario.allocation);
      scenarioLabel = `${scenario.name ?? `Scenario ${scenario.id}`} (${scenario.origin}, ${scenario.createdAt.slice(0, 10)})`;
    }
    const notes: string[] = [];
    let attribution: ReportAttribution | null = null;
    if (record.attributionId) {
      try {
        attribution = await deps.attribution(record.workspaceId, record.attributionId, headers);
        if (!attribution) notes.push(`Attribution run ${record.attributionId} was not found.`);
      } catch (error) {
        notes.push(
          `Attribution run ${record.attributionId} could not be read (${(error as Error).message}); the comparison is left out.`,
        );
      }
    }
    const datasetId = model.provenance?.dataset?.id;
    const dataset = datasetId ? await readDataset(s, datasetId).catch(() => null) : null;
    const data = buildReportData(model, {
      modelLabel: `Model ${record.modelId}${dataset ? `, dataset ${dataset.name}` : datasetId ? `, dataset ${datasetId}` : ''}`,
      scenarioLabel,
      allocation,
      attribution,
      notes,
    });
    const html = renderReportHtml(data);
    const tables = reportTables(data);
    await s.files.put(REPORT_FILE_KINDS.html, record.id, encoder.encode(html));
    await s.files.put(REPORT_FILE_KINDS.tables, record.id, encoder.encode(tablesJson(tables)));
    const formats: ReportRecord['formats'] = ['HTML'];
    if (record.format === 'PDF') {
      const pdf = await print(html, data.title);
      await s.files.put(REPORT_FILE_KINDS.pdf, record.id, pdf);
      formats.push('PDF');
    }
    return { title: data.title, formats, tables: tables.map((t) => t.name) };
  }

  return {
    async render(record, headers = {}) {
      const shelf = createReportShelf(deps.storage(record.workspaceId).kv.reports);
      const started = Date.now();
      let done: ReportRecord;
      try {
        const out = await produce(record, headers);
        done = {
          ...record,
          ...out,
          status: 'READY',
          error: null,
          updatedAt: new Date().toISOString(),
        };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        deps.logger.warn('report failed', { reportId: record.id, modelId: record.modelId, reason });
        done = { ...record, status: 'FAILED', error: reason, updatedAt: new Date().toISOString() };
        await shelf.put(done);
        return done;
      }
      await shelf.put(done);
      await publishEvent(
        deps.js,
        'report.generated',
        {
          workspaceId: record.workspaceId,
          reportId: record.id,
          modelId: record.modelId,
          scenarioId: record.scenarioId ?? '',
          formats: done.formats.map((f) => f.toLowerCase()),
          objects: done.formats.map((f) =>
            deps
              .storage(record.workspaceId)
              .files.name(f === 'PDF' ? REPORT_FILE_KINDS.pdf : REPORT_FILE_KINDS.html, record.id),
          ),
        },
        {
          msgId: `report.generated:${record.workspaceId}:${record.id}`,
          requestId: headers['x-request-id'],
        },
      );
      deps.logger.info('report rendered', {
        reportId: record.id,
        modelId: record.modelId,
        formats: done.formats,
        ms: Date.now() - started,
      });
      return done;
    },
  };
}
