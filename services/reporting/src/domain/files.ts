import type { IncomingMessage, ServerResponse } from 'node:http';
import { isStorageId, type WorkspaceStorage } from '@mmm/platform';
import { tableCsv, type ReportTable } from '@mmm/report';
import type { LinkSigner } from './links';
import { REPORT_FILE_KINDS } from './reports';

// GET /reports/<workspace>/<id>.html | .pdf | .json (every table) and
// /reports/<workspace>/<id>/<table>.csv, each with the link's expires and sig.

const FILE = /^\/reports\/([^/]+)\/([^/.]+)(?:\.(html|pdf|json)|\/([a-z_]+)\.csv)$/;

const TYPES = {
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

function send(res: ServerResponse, status: number, message: string) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(message + '\n');
}

/** Serves report files to holders of a valid link; true when the path was a report file's. */
export function reportFilesRoute(
  storage: (workspaceId: string) => WorkspaceStorage,
  signer: LinkSigner,
) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://reporting');
    const m = FILE.exec(url.pathname);
    if (!m) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'only GET');
      return true;
    }
    const [, workspaceId, id, ext, table] = m;
    if (!/^[-_a-zA-Z0-9]{1,64}$/.test(workspaceId) || !isStorageId(id)) {
      send(res, 404, 'no such report');
      return true;
    }
    if (
      !signer.verify(workspaceId, id, url.searchParams.get('expires'), url.searchParams.get('sig'))
    ) {
      send(res, 403, 'this link is not valid or has expired: ask for the report again');
      return true;
    }
    const files = storage(workspaceId).files;
    const kind =
      ext === 'pdf'
        ? REPORT_FILE_KINDS.pdf
        : ext === 'html'
          ? REPORT_FILE_KINDS.html
          : REPORT_FILE_KINDS.tables;
    const bytes = await files.get(kind, id);
    if (!bytes) {
      send(res, 404, 'this report has no such file');
      return true;
    }
    let body: Uint8Array | string = bytes;
    let type = TYPES[(ext ?? 'csv') as keyof typeof TYPES];
    let filename = `${id}.${ext ?? 'csv'}`;
    if (table) {
      const { tables } = JSON.parse(new TextDecoder().decode(bytes)) as { tables: ReportTable[] };
      const found = tables.find((t) => t.name === table);
      if (!found) {
        send(res, 404, `this report has no table ${table}`);
        return true;
      }
      body = tableCsv(found);
      type = TYPES.csv;
      filename = `${id}-${table}.csv`;
    }
    const length = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    res.writeHead(200, {
      'content-type': type,
      'content-length': length,
      'content-disposition': `${ext === 'html' || ext === 'pdf' ? 'inline' : 'attachment'}; filename="${filename}"`,
      'cache-control': 'private, max-age=300',
      'x-content-type-options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
