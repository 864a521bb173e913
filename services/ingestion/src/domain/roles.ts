import type { IssueList } from './issues';
import type { Channel, ColumnRoles, TableColumn } from './types';

/** A numeric column the roles ask for, with the input field that named it. */
export interface RoleColumn {
  name: string;
  role: TableColumn['role'];
  channel: string | null;
  field: string;
  /** Whether the file has this column. */
  present: boolean;
}

export interface ResolvedRoles {
  date: { name: string; field: string; present: boolean };
  /** KPI, then each paid channel's spend (and exposure), organic, controls. */
  columns: RoleColumn[];
  channels: Channel[];
  organic: string[];
  controls: string[];
}

/**
 * Matches the roles against the file's header. Every role column must exist,
 * no column may play two roles, and there must be at least one paid channel.
 */
export function resolveRoles(
  roles: ColumnRoles,
  header: string[],
  issues: IssueList,
): ResolvedRoles {
  const inFile = new Set(header);
  const claimedBy = new Map<string, string>();

  const claim = (name: string, field: string): boolean => {
    if (name.trim() === '') {
      issues.add({ row: null, column: null, field, message: `${field} must name a column.` });
      return false;
    }
    const earlier = claimedBy.get(name);
    if (earlier !== undefined) {
      issues.add({
        row: null,
        column: name,
        field,
        message: `Column "${name}" is given two roles: ${earlier} and ${field}.`,
      });
    } else {
      claimedBy.set(name, field);
    }
    if (!inFile.has(name)) {
      const near = header.find((h) => h.toLowerCase() === name.toLowerCase());
      const hint = near === undefined ? '' : ` Did you mean "${near}"?`;
      issues.add({
        row: null,
        column: name,
        field,
        message: `Column "${name}" named in ${field} is not in the file.${hint}`,
      });
      return false;
    }
    return true;
  };

  const date = { name: roles.date, field: 'roles.date', present: claim(roles.date, 'roles.date') };
  const columns: RoleColumn[] = [];
  const add = (name: string, role: RoleColumn['role'], channel: string | null, field: string) => {
    columns.push({ name, role, channel, field, present: claim(name, field) });
  };

  add(roles.kpi, 'KPI', null, 'roles.kpi');

  if (roles.paidMedia.length === 0) {
    issues.add({
      row: null,
      column: null,
      field: 'roles.paidMedia',
      message: 'At least one paid media channel is needed in roles.paidMedia.',
    });
  }
  const channels: Channel[] = [];
  const channelNames = new Map<string, string>();
  roles.paidMedia.forEach((media, i) => {
    const field = `roles.paidMedia[${i}]`;
    const name = (media.channel ?? '').trim() || media.spend;
    const earlier = channelNames.get(name);
    if (earlier !== undefined) {
      issues.add({
        row: null,
        column: null,
        field: `${field}.channel`,
        message: `Channel name "${name}" is used by ${earlier} and ${field}.`,
      });
    }
    channelNames.set(name, field);
    add(media.spend, 'PAID_SPEND', name, `${field}.spend`);
    const exposure = media.exposure?.trim() ? media.exposure : null;
    if (exposure !== null) add(exposure, 'PAID_EXPOSURE', name, `${field}.exposure`);
    channels.push({ name, spendColumn: media.spend, exposureColumn: exposure });
  });

  const organic = roles.organic ?? [];
  organic.forEach((name, i) => add(name, 'ORGANIC', name, `roles.organic[${i}]`));
  const controls = roles.controls ?? [];
  controls.forEach((name, i) => add(name, 'CONTROL', null, `roles.controls[${i}]`));

  return { date, columns, channels, organic, controls };
}
