/**
 * The audit trail at the door: every mutation the gateway ran or refused (after the caller was
 * known) becomes one record on NATS. The record is written after the response, so an outage of
 * NATS never fails a request; a record that cannot be stored is logged whole and counted.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import {
  publishAudit,
  type AuditEntry,
  type AuditOutcome,
  type JetStreamClient,
  type Logger,
} from '@mmm/platform';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { GatewayContext } from './context';

export interface AuditSink {
  record(entry: AuditEntry): void;
  /** Resolves once every record handed over so far is stored or given up. */
  flush(): Promise<void>;
}

const REFUSALS = new Set([
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'PAYLOAD_TOO_LARGE',
  'QUERY_TOO_COMPLEX',
  'GRAPHQL_VALIDATION_FAILED',
]);

export function natsAuditSink(js: JetStreamClient, logger: Logger, failed: () => void): AuditSink {
  const pending = new Set<Promise<unknown>>();
  return {
    record(entry) {
      const p = publishAudit(js, entry)
        .catch((error: unknown) => {
          failed();
          logger.error('audit record not stored', { audit: entry, error: String(error) });
        })
        .finally(() => pending.delete(p));
      pending.add(p);
    },
    async flush() {
      await Promise.all([...pending]);
    },
  };
}

export function auditPlugin(sink: AuditSink): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ operation, document, contextValue, errors, operationName }) {
          const op =
            operation ??
            (document?.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as
              | OperationDefinitionNode
              | undefined);
          if (op?.operation !== 'mutation' || !contextValue.identity) return;
          const codes = [
            ...new Set(
              (errors ?? []).map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR')),
            ),
          ];
          const outcome: AuditOutcome =
            codes.length === 0 ? 'OK' : codes.some((c) => REFUSALS.has(c)) ? 'REFUSED' : 'ERROR';
          sink.record({
            workspaceId: contextValue.workspaceId,
            requestId: contextValue.requestId,
            subject: contextValue.identity.subject,
            role: contextValue.identity.role,
            operationName: operationName ?? op.name?.value ?? '',
            fields: op.selectionSet.selections.flatMap((s) =>
              s.kind === Kind.FIELD ? [s.name.value] : [],
            ),
            outcome,
            errorCodes: codes,
          });
        },
      };
    },
  };
}
